"""Untyped PostgreSQL literals read as the type of the column they meet.

PostgreSQL gives a quoted literal the type of what it is written to or compared with and
reads it as that type's input ('off' is a boolean, '{1,2}' an array, '\\x01' bytea), where
DuckDB would cast it its own way ('1.5' becomes the bigint 2). From a statement's tokens and
its tables' column types, `rewrites` finds those literals (INSERT ... VALUES and UPDATE ... SET
targets, and comparisons with a column) and gives the DuckDB SQL for each. Pure: no I/O.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping

from . import pg_casts, pg_literals
from .codec import PG_NUMERIC_NAN_SQL, abbreviate_number, numeric_fits
from .errors import InvalidArgument
from .lexer import Tok


def rewrites(
    toks: list[Tok], column_types: Callable[[str], dict[str, str]], dml: bool
) -> frozenset[tuple[int, str]]:
    """(token index, DuckDB SQL) of each literal to read as its column's type; numeric literals
    that cannot be stored exactly raise InvalidArgument."""
    targets = _literal_targets(toks, column_types) if dml else {}
    targets.update(_compared_literals(toks, column_types))
    out = set()
    for k, code in targets.items():
        if toks[k].kind == "str":
            out.add((k, _STRING_INPUT_SQL[code](toks[k].text)))
        elif code == "NUMERIC":
            check_numeric_literal(toks[k].text)
    return frozenset(out)


def timestamp_columns(
    toks: list[Tok], column_types: Callable[[str], dict[str, str]]
) -> frozenset[str]:
    """The TIMESTAMP (timestamptz) columns of the tables the statement names, lower-case."""
    columns = _statement_columns(toks, column_types)
    return frozenset(name for name, code in columns.items() if code == "TIMESTAMP")


def check_numeric_literal(text: str) -> None:
    """A numeric literal spanner-local cannot store exactly is refused, never rounded."""
    if not numeric_fits(decimal.Decimal(text)):
        raise InvalidArgument(
            f"numeric value {abbreviate_number(text)} cannot be stored exactly by spanner-local, "
            "which keeps at most 29 digits before and 9 after the decimal point"
        )


# The literal a column of each of these types takes: PostgreSQL reads a string written to a
# bytea column as bytea input, one written to an array column as array input ('{}', '{1,2}'),
# and a number written to a numeric column must fit exactly.
_LITERAL_KINDS: dict[str, tuple[str, ...]] = {
    "BYTES": ("str",),
    "NUMERIC": ("num", "str"),
    "ARRAY": ("str",),
    "ARRAY<BYTES>": ("str",),
    "BOOL": ("str",),
    "INT64": ("str",),
    "TIMESTAMP": ("str",),
    "DATE": ("str",),
    "FLOAT64": ("str",),
    "FLOAT32": ("str",),
    "JSON": ("str",),
}
# Column types whose untyped literals are rewritten.
COLUMN_CODES = frozenset(_LITERAL_KINDS)


def _numeric_text_sql(literal: str) -> str:
    """An untyped '...' literal meeting a numeric column, read as numeric input."""
    text = pg_literals.unquote(literal).strip()
    if text.lower() == "nan":
        return PG_NUMERIC_NAN_SQL
    try:
        decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise InvalidArgument(
            "invalid input syntax for type numeric: "
            f'"{abbreviate_number(pg_literals.unquote(literal))}"'
        ) from None
    check_numeric_literal(text)
    return literal


# Column types whose untyped literals are read as the explicit cast to that type reads them.
_CAST_TARGETS = {
    "BOOL": "bool",
    "INT64": "int8",
    "TIMESTAMP": "timestamptz",
    "DATE": "date",
    "FLOAT64": "float8",
    "FLOAT32": "float4",
    "JSON": "jsonb",
}


def _cast_rule(pg_type: str) -> Callable[[str], str]:
    def rule(literal: str) -> str:
        return pg_casts.input_sql(pg_type, pg_literals.unquote(literal))

    return rule


# How an untyped string literal written to or compared with a column of that type is rewritten
# for DuckDB: PostgreSQL reads it as input of the column's type, where DuckDB's own casts
# differ ('off' is no boolean to DuckDB; '1.5' becomes the bigint 2; 'NaN' no decimal).
_STRING_INPUT_SQL: dict[str, Callable[[str], str]] = {
    "BYTES": pg_literals.bytea_literal_sql,
    "ARRAY": pg_literals.array_literal_sql,
    "ARRAY<BYTES>": pg_literals.bytea_array_literal_sql,
    "NUMERIC": _numeric_text_sql,
    **{code: _cast_rule(pg_type) for code, pg_type in _CAST_TARGETS.items()},
}
_COMPARISONS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})
# Words after which a name is a table the statement reads or writes.
_TABLE_BEFORE = frozenset({"FROM", "JOIN", "UPDATE", "INTO"})


def _statement_columns(
    toks: list[Tok], column_types: Callable[[str], dict[str, str]]
) -> dict[str, str | None]:
    """Columns of the tables the statement names -> type code (None where two tables give one
    name different types, so that neither applies)."""
    columns: dict[str, str | None] = {}
    for k in range(1, len(toks)):
        if toks[k].kind not in ("word", "ident"):
            continue
        if not (toks[k - 1].upper in _TABLE_BEFORE or toks[k - 1].text == ","):
            continue
        if toks[k].text.lower() == "public" and toks[k + 1].text == ".":
            k += 2
        for name, code in column_types(toks[k].text).items():
            if code:  # "" is a column DuckDB reads as PostgreSQL does
                columns[name] = code if columns.get(name, code) == code else None
    return columns


def _is_column(toks: list[Tok], k: int, columns: Mapping[str, str | None]) -> str | None:
    """The type code of the column toks[k] names, when it stands alone as an operand."""
    t = toks[k]
    if t.kind not in ("word", "ident") or toks[k + 1].text in ("(", "."):
        return None
    return columns.get(t.text.lower())


def _ends_operand(tok: Tok) -> bool:
    """Whether the token after a literal ends it as an operand (no cast, no operator)."""
    return tok.kind != "op" or tok.text in (")", ",", ";")


def _compared_literals(
    toks: list[Tok], column_types: Callable[[str], dict[str, str]]
) -> dict[int, str]:
    """Untyped string literals compared with a column -> the column's type code: `col op
    'x'`, `'x' op col`, `col IN ('x', ...)` and `col BETWEEN 'x' AND 'y'`."""
    columns = {k: v for k, v in _statement_columns(toks, column_types).items() if v}
    if not columns:
        return {}
    out: dict[int, str] = {}

    def literal(k: int) -> bool:
        return toks[k].kind == "str" and toks[k].text.startswith("'") and _ends_operand(toks[k + 1])

    for k in range(len(toks) - 2):
        code = _is_column(toks, k, columns)
        if code is None or code not in _STRING_INPUT_SQL:
            continue
        nxt = toks[k + 1]
        if nxt.text in _COMPARISONS and literal(k + 2):
            out[k + 2] = code
        elif nxt.upper == "IN" and toks[k + 2].text == "(":
            j = k + 3
            while j < len(toks) and literal(j):
                out[j] = code
                if toks[j + 1].text != ",":
                    break
                j += 2
        elif nxt.upper == "BETWEEN" and literal(k + 2) and toks[k + 3].upper == "AND":
            out[k + 2] = code
            if literal(k + 4):
                out[k + 4] = code
        if k >= 2 and toks[k - 1].text in _COMPARISONS and _starts_operand(toks, k - 2):
            out[k - 2] = code
    return out


# Words after which a literal starts a comparison's left operand (`WHERE 'x' < col`).
_OPERAND_AFTER = frozenset({"WHERE", "AND", "OR", "NOT", "ON", "WHEN", "HAVING", "(", ","})


def _starts_operand(toks: list[Tok], k: int) -> bool:
    """Whether toks[k] is a string literal standing alone as the left operand of what follows."""
    t = toks[k]
    return (
        t.kind == "str"
        and t.text.startswith("'")
        and (k == 0 or toks[k - 1].upper in _OPERAND_AFTER or toks[k - 1].text in _OPERAND_AFTER)
    )


def _is_bare_literal(toks: list[Tok], k: int, kinds: tuple[str, ...]) -> bool:
    """Whether toks[k] is a literal of one of `kinds` standing alone as a value (a number may
    have a sign)."""
    kind = toks[k].kind
    if kind not in kinds or (kind == "str" and not toks[k].text.startswith("'")):
        return False
    before = k - 1
    if kind == "num" and toks[before].text == "-":
        before -= 1
    return toks[before].text in ("(", ",", "=") and (
        toks[k + 1].text in (",", ")", "") or toks[k + 1].upper in ("WHERE", "RETURNING")
    )


def _literal_targets(
    toks: list[Tok], column_types: Callable[[str], dict[str, str]]
) -> dict[int, str]:
    """Literals a DML statement writes into bytea, array or numeric columns -> the column's type:
    INSERT INTO t (cols) VALUES (...) by position, and UPDATE t SET col = literal."""
    words = [t.upper for t in toks]
    out: dict[int, str] = {}
    if words[:2] == ["INSERT", "INTO"] and len(toks) > 3:
        columns = column_types(toks[2].text)
        if not columns:
            return out
        if toks[3].text == "(":
            names, k = [], 4
            while k < len(toks) and toks[k].text != ")":
                if toks[k].kind in ("word", "ident"):
                    names.append(toks[k].text.lower())
                k += 1
            k += 1
        else:  # no column list: the values fill the table's columns in order
            names, k = list(columns), 3
        if k >= len(toks) or toks[k].upper != "VALUES":
            return out
        k += 1
        while k < len(toks) and toks[k].text == "(":
            pos, depth, k = 0, 0, k + 1
            while k < len(toks) and not (toks[k].text == ")" and depth == 0):
                t = toks[k]
                depth += {"(": 1, ")": -1}.get(t.text, 0)
                code = columns.get(names[pos]) if pos < len(names) else None
                if depth == 0 and t.text == ",":
                    pos += 1
                elif depth == 0 and code and _is_bare_literal(toks, k, _LITERAL_KINDS[code]):
                    out[k] = code
                k += 1
            k += 1
            if k < len(toks) and toks[k].text == ",":
                k += 1
        return out
    if words[:1] == ["UPDATE"] and len(toks) > 1:
        columns = column_types(toks[1].text)
        for k in range(2, len(toks) - 2):
            code = columns.get(toks[k].text.lower()) if toks[k].kind in ("word", "ident") else None
            if not code or toks[k + 1].text != "=":
                continue
            value = k + 3 if toks[k + 2].text == "-" else k + 2
            if _is_bare_literal(toks, value, _LITERAL_KINDS[code]):
                out[value] = code
    return out
