"""SQL translation: GoogleSQL (via sqlglot) and Spanner's PostgreSQL dialect -> DuckDB SQL.

Both dialects' translators live here because they share the token-level helpers (splicing,
operand bounds, hints); that is why the module is near 1,000 lines. How untyped PostgreSQL
literals take their column's type is in `typed_literals`, the lexing in `lexer`.

Parameters become DuckDB named parameters (`@name` -> `$name`, `$1` -> `$p1`), so that one
binding path serves both dialects. `information_schema` resolves to the Spanner-shaped tables
spanner-local keeps in the schema INFO_SCHEMA; pg_catalog tables Spanner lacks are rejected.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from . import pg_casts, pg_literals, pg_numeric, pg_to_char, timestamps, typed_literals
from .codec import PG_NUMERIC_NAN_SQL
from .errors import InvalidArgument
from .lexer import LexError, Tok, iter_tokens, tokenize
from .typemap import (
    GOOGLE_SQL,
    PG_SUPPORTED_LONG_SPELLINGS,
    PG_UNSUPPORTED_TYPE_MESSAGE,
    PG_UNSUPPORTED_TYPES,
    POSTGRESQL,
)

INFO_SCHEMA = "spanner_information_schema"
COMMIT_TS_PARAM = "__spanner_commit_ts"

# pg_catalog relations Spanner's PostgreSQL interface offers (a subset of PostgreSQL's);
# any other pg_catalog relation is rejected as Spanner rejects it.
PG_CATALOG_ALLOWED = frozenset(
    {
        "pg_namespace",
        "pg_tables",
        "pg_indexes",
        "pg_type",
        "pg_class",
        "pg_attribute",
        "pg_index",
        "pg_settings",
        "pg_views",
        "pg_proc",
        "pg_database",
        "pg_am",
        "pg_attrdef",
        "pg_collation",
        "pg_constraint",
        "pg_enum",
        "pg_extension",
        "pg_sequence",
        "pg_sequences",
        "pg_range",
        "pg_roles",
        "pg_description",
        "pg_available_extensions",
        "pg_matviews",
        "pg_policies",
        "pg_user",
        "pg_authid",
        "pg_inherits",
        "pg_rewrite",
        "pg_trigger",
        "pg_depend",
        "pg_language",
    }
)
# Of those, the ones spanner-local answers (built from its catalog by `pg_catalog.build`;
# `relation_guard` keeps DuckDB's own pg_catalog views out of reach).
PG_CATALOG_IMPLEMENTED = frozenset(
    {
        "pg_namespace",
        "pg_enum",
        "pg_tables",
        "pg_views",
        "pg_indexes",
        "pg_type",
        "pg_class",
        "pg_attribute",
        "pg_index",
    }
)
PG_CATALOG_SCHEMA = "spanner_pg_catalog"

# PostgreSQL type names in casts whose DuckDB spelling differs (or whose default differs:
# DuckDB's bare DECIMAL is DECIMAL(18,3)).
_PG_CAST_TYPES = {
    "jsonb": "JSON",
    "numeric": "DECIMAL(38,9)",
    "decimal": "DECIMAL(38,9)",
    "bytea": "BLOB",
    "float8": "DOUBLE",
    "float4": "FLOAT",
    "int8": "BIGINT",
    # Spanner documents these as aliases of bigint, its only integer type
    "int": "BIGINT",
    "int4": "BIGINT",
    "integer": "BIGINT",
    "oid": "BIGINT",
    "timestamptz": timestamps.DUCKDB_TYPE,
}
# PostgreSQL functions Spanner offers under another name in DuckDB.
_PG_FUNCTIONS = {
    "jsonb_build_object": "json_object",
    "jsonb_build_array": "json_array",
    "jsonb_array_length": "json_array_length",
    "jsonb_typeof": "spanner_pg_jsonb_typeof",
    "nextval": "spanner_sequence_next",
    "version": "spanner_pg_version",
    "current_database": "spanner_pg_current_database",
    "current_schema": "spanner_pg_current_schema",
    "encode": "spanner_pg_encode",
    "decode": "spanner_pg_decode",
    "convert_to": "spanner_pg_convert_to",
    "convert_from": "spanner_pg_convert_from",
    "sha256": "spanner_pg_sha256",
    "generate_uuid": "spanner_pg_generate_uuid",
    "now": "spanner_ts_now",
    "date_trunc": "spanner_pg_date_trunc",
    "transaction_timestamp": "spanner_ts_now",
}

_DML_WORDS = {"INSERT", "UPDATE", "DELETE"}
_QUERY_WORDS = {"SELECT", "WITH", "FROM", "(", "GRAPH", "VALUES"}


@dataclass(frozen=True)
class Translated:
    sql: str
    kind: str  # "query" | "dml"
    returning: bool = False
    uses_commit_ts: bool = False
    params: tuple[str, ...] = ()
    updated_columns: tuple[str, ...] = ()  # SET targets of an UPDATE
    inserted_columns: tuple[str, ...] = ()  # an INSERT's column list (empty: none given)
    tables: tuple[str, ...] = ("*",)  # lower-case tables referenced; "*" when unknown
    # Result column names as Spanner gives them, when they can be told from the statement.
    output_names: tuple[str, ...] | None = None
    # Where each result column comes from when it is a bare parameter ("@name") or column
    # ("name"); None for other expressions. Lets proto-typed values keep their proto type.
    output_sources: tuple[str | None, ...] | None = None
    # (parameter, column) pairs where a parameter is compared with or written to a column:
    # an untyped parameter takes that column's type, as Spanner infers it.
    param_columns: tuple[tuple[str, str], ...] = ()


def classify(sql: str, dialect: str = GOOGLE_SQL) -> str:
    """ "query", "dml" or "ddl", judged from the first word after any statement hint (only
    the tokens up to that word are read)."""
    tokens = iter_tokens(sql, dialect)
    try:
        for tok in tokens:
            if tok.text == "@":
                opening = next(tokens)
                if opening.text != "{":
                    break
                depth = 1
                for inner in tokens:
                    depth += {"{": 1, "}": -1}.get(inner.text, 0)
                    if depth == 0:
                        break
                continue
            word = tok.upper or tok.text
            if word in _DML_WORDS:
                return "dml"
            if word in _QUERY_WORDS:
                return "query"
            if word in ("CREATE", "ALTER", "DROP"):
                return "ddl"
            break
    except LexError as exc:
        raise InvalidArgument(f"Syntax error: {exc.problem}") from exc
    return "other"


def _tokens(sql: str, dialect: str) -> list[Tok]:
    try:
        return tokenize(sql, dialect)
    except LexError as exc:
        raise InvalidArgument(f"Syntax error: {exc.problem}") from exc


def _pg_tokens(sql: str) -> list[Tok]:
    """PostgreSQL tokens, a dollar-quoted string given as the '...' literal of the same value
    (DuckDB reads `$$...$$` differently; callers splice the token's text in its place)."""
    return [
        Tok("str", pg_literals.quote(_dollar_body(t.text)), t.start, t.end)
        if t.kind == "str" and t.text.startswith("$")
        else t
        for t in _tokens(sql, POSTGRESQL)
    ]


def _dollar_body(text: str) -> str:
    tag_length = text.index("$", 1) + 1
    return text[tag_length:-tag_length]


def _skip_hints(toks: list[Tok]) -> list[Tok]:
    """Drop `@{...}` statement/table hints (GoogleSQL) and `/*@ ... */` (already comments)."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "op" and t.text == "@" and i + 1 < len(toks) and toks[i + 1].text == "{":
            depth = 0
            while i < len(toks):
                if toks[i].text == "{":
                    depth += 1
                elif toks[i].text == "}":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            i += 1
            continue
        out.append(t)
        i += 1
    return out


def _splice(
    sql: str,
    toks: list[Tok],
    replacements: dict[int, str],
    drop: set[int],
    before: dict[int, str] | None = None,
    after: dict[int, str] | None = None,
) -> str:
    """Rebuild `sql` with some tokens replaced or dropped, keeping everything else verbatim.

    `before` / `after` put text in front of / behind a token (whatever becomes of it).
    """
    before = before or {}
    after = after or {}
    out, pos = [], 0
    for idx, tok in enumerate(toks):
        if idx in before:
            out.append(sql[pos : tok.start])
            out.append(before[idx])
            pos = tok.start
        if idx in after and idx not in replacements and idx not in drop:
            out.append(sql[pos : tok.end])
            out.append(after[idx])
            pos = tok.end
            continue
        if idx in replacements or idx in drop:
            out.append(sql[pos : tok.start])
            out.append(replacements.get(idx, ""))
            out.append(after.get(idx, ""))
            pos = tok.end
    out.append(sql[pos:])
    return "".join(out)


_KEYWORDS_BEFORE_PAREN = frozenset(
    {
        "AND",
        "OR",
        "NOT",
        "WHERE",
        "SELECT",
        "ON",
        "WHEN",
        "THEN",
        "ELSE",
        "IN",
        "IS",
        "AS",
        "HAVING",
        "BY",
        "SET",
        "VALUES",
        "RETURNING",
        "CASE",
        "EXISTS",
        "LIKE",
        "FROM",
        "JOIN",
    }
)


def _primary_start(toks: list[Tok], end: int) -> int:
    k = end
    while True:  # casts, `::type` and `::type[]`
        if k >= 4 and toks[k].text == "]" and toks[k - 1].text == "[" and toks[k - 3].text == "::":
            k -= 4
        elif k >= 2 and toks[k].kind == "word" and toks[k - 1].text == "::":
            k -= 2
        else:
            break
    if toks[k].text == "]":  # ARRAY[...], or a subscript of what comes before
        depth = 0
        while k >= 0:
            depth += {"]": 1, "[": -1}.get(toks[k].text, 0)
            if depth == 0:
                break
            k -= 1
        if k > 0 and toks[k - 1].upper == "ARRAY":
            return k - 1
        return _primary_start(toks, k - 1) if k > 0 else 0
    if toks[k].text == ")":
        depth = 0
        while k >= 0:
            depth += {")": 1, "(": -1}.get(toks[k].text, 0)
            if depth == 0:
                break
            k -= 1
        if k > 0 and (
            toks[k - 1].kind == "ident"
            or (toks[k - 1].kind == "word" and toks[k - 1].upper not in _KEYWORDS_BEFORE_PAREN)
        ):
            k -= 1  # a function call
        return max(k, 0)
    if toks[k].kind == "num" and k > 0 and toks[k - 1].text == "$":
        return k - 1
    while k >= 2 and toks[k - 1].text == "." and toks[k - 2].kind in ("word", "ident"):
        k -= 2
    return k


def _operand_start(toks: list[Tok], end: int) -> int:
    """First token of the operand that ends at `end`: a name, literal, $n, call or (...), with
    any ::type casts, and any chain of -> / ->> before it (same precedence, left-associative)."""
    k = _primary_start(toks, end)
    while k >= 3 and toks[k - 1].text == ">" and toks[k - 2].text == "-":
        k = _primary_start(toks, k - 3)
    while (
        k >= 4 and toks[k - 1].text == ">" and toks[k - 2].text == ">" and toks[k - 3].text == "-"
    ):
        k = _primary_start(toks, k - 4)
    return k


# Type names that may stand before a string literal to type it (`numeric '1.5'`).
_TYPED_LITERAL_WORDS = frozenset(
    {"numeric", "decimal", "date", "timestamptz", "interval", "jsonb", "bytea", "text", "varchar"}
)


def _product_start(toks: list[Tok], end: int) -> int:
    """First token of the left operand of a `/` whose left side ends at `end`: `*`, `/` and
    `%` bind alike and from the left, so `a * b / c` divides `a * b`."""
    k = _factor_start(toks, end)
    while k >= 2 and toks[k - 1].kind == "op" and toks[k - 1].text in ("*", "/", "%"):
        k = _factor_start(toks, k - 2)
    return k


def _factor_start(toks: list[Tok], end: int) -> int:
    if toks[end].upper == "END":  # CASE ... END
        depth = 0
        for k in range(end, -1, -1):
            depth += {"END": 1, "CASE": -1}.get(toks[k].upper, 0)
            if depth == 0:
                return k
    k = _operand_start(toks, end)
    if (
        toks[k].kind == "str"
        and k > 0
        and toks[k - 1].kind == "word"
        and toks[k - 1].text.lower() in _TYPED_LITERAL_WORDS
    ):
        return k - 1
    return k


def _factor_end(toks: list[Tok], start: int) -> int:
    """Last token of the right operand of a `/` that begins at `start` (a sign included)."""
    if toks[start].text in ("-", "+") and start + 1 < len(toks):
        start += 1
    if toks[start].upper == "CASE":
        depth = 0
        for k in range(start, len(toks)):
            depth += {"CASE": 1, "END": -1}.get(toks[k].upper, 0)
            if depth == 0:
                return k
    if (
        toks[start].kind == "word"
        and toks[start].text.lower() in _TYPED_LITERAL_WORDS
        and start + 1 < len(toks)
        and toks[start + 1].kind == "str"
    ):
        start += 1
    return _operand_end(toks, start)


def _operand_end(toks: list[Tok], start: int) -> int:
    """Last token of the operand that begins at `start` (the mirror of `_operand_start`)."""
    k = start
    if toks[k].text == "$" and k + 1 < len(toks) and toks[k + 1].kind == "num":
        k += 1
    elif toks[k].kind in ("word", "ident"):
        while (
            k + 2 < len(toks) and toks[k + 1].text == "." and toks[k + 2].kind in ("word", "ident")
        ):
            k += 2
    if (k + 1 < len(toks) and toks[k + 1].text == "(") or toks[k].text == "(":
        k = k + 1 if toks[k].text != "(" else k
        depth = 0
        while k < len(toks):
            depth += {"(": 1, ")": -1}.get(toks[k].text, 0)
            if depth == 0:
                break
            k += 1
    elif toks[k].upper == "ARRAY" and k + 1 < len(toks) and toks[k + 1].text == "[":
        k += 1
        depth = 0
        while k < len(toks):
            depth += {"[": 1, "]": -1}.get(toks[k].text, 0)
            if depth == 0:
                break
            k += 1
    while k + 2 < len(toks) and toks[k + 1].text == "::" and toks[k + 2].kind == "word":
        k += 2
        if k + 2 < len(toks) and toks[k + 1].text == "[" and toks[k + 2].text == "]":
            k += 2
    return k


# PostgreSQL operators DuckDB lacks -> the call that implements them (functions.py), as the text
# before, between and after the two operands. `@>` serves arrays and jsonb (the macro looks at
# the left operand's type); `?` is jsonb only.
_PG_JSONB_OPERATORS = {
    ("@", ">"): ("spanner_pg_contains(", ", ", ")"),
    ("?",): ("spanner_pg_jsonb_exists(CAST(", " AS VARCHAR), CAST(", " AS VARCHAR))"),
}


def pg_catalog_check(name: str) -> None:
    rel = name.lower()
    if rel not in PG_CATALOG_ALLOWED:
        raise InvalidArgument(f'relation "pg_catalog.{rel}" does not exist')
    if rel not in PG_CATALOG_IMPLEMENTED:
        raise InvalidArgument(
            f"pg_catalog.{rel} exists on Cloud Spanner but spanner-local does not implement it"
        )


# ------------------------------------------------------------------- PostgreSQL


def translate_pg(
    sql: str, column_types: Callable[[str], dict[str, str]] | None = None
) -> Translated:
    """`column_types(table)`: the columns whose untyped literals PostgreSQL reads as their
    type's input (see `typed_literals`), for the literals written to or compared with them."""
    if column_types is None:
        return _translate_pg(sql, frozenset(), frozenset())
    toks = _pg_tokens(sql)
    dml = classify(sql, POSTGRESQL) == "dml"
    rewritten = typed_literals.rewrites(toks, column_types, dml)
    stored = pg_numeric.stored_expressions(toks, column_types) if dml else frozenset()
    ts_columns = typed_literals.timestamp_columns(toks, column_types)
    return _translate_pg(sql, rewritten, ts_columns, stored)


class _Openings:
    """What rewrites open before a token (`f(` of `f(x)`), several at one token nested by
    reach: the construct reaching the furthest token encloses the others, and among equals the
    later rewrite encloses the earlier (`v::float8::numeric`). Rewrites are found in token
    order, so neither "append" nor "prepend" is right for both a prefix construct around a
    cast (`to_char(v::float8, ...)`) and a cast of a cast (`v::float8::int8`)."""

    def __init__(self) -> None:
        self._at: dict[int, list[tuple[int, int, str]]] = {}

    def add(self, start: int, text: str, reach: int) -> None:
        entries = self._at.setdefault(start, [])
        entries.append((reach, len(entries), text))

    def render(self) -> dict[int, str]:
        return {
            start: "".join(text for _, _, text in sorted(entries, key=lambda e: (-e[0], -e[1])))
            for start, entries in self._at.items()
        }


@lru_cache(maxsize=2048)
def _translate_pg(
    sql: str,
    literal_sql: frozenset[tuple[int, str]],
    ts_columns: frozenset[str],
    numeric_stores: frozenset[tuple[int, int]] = frozenset(),
) -> Translated:
    """`literal_sql`: (token index, DuckDB SQL) of the literals read as the input of the
    column type they are written to or compared with; `ts_columns`: the statement's
    timestamptz columns (a timestamptz minus a timestamptz is an interval). `numeric_stores`:
    (first, last) token of the expressions written to numeric columns (pg_numeric.STORE_MACRO)."""
    toks = _pg_tokens(sql)
    _reject_unsupported_types(toks)
    dollar_quoted = {
        k: t.text for k, t in enumerate(toks) if t.kind == "str" and sql[t.start] == "$"
    }
    repl: dict[int, str] = dict(dollar_quoted)
    repl.update(literal_sql)
    drop: set[int] = set()
    params: list[str] = []
    # sqlglot's tokenizer misreads `$1,$2)` (a dollar-quoted string?): it parses a copy of the
    # statement with spaces around each parameter.
    parse_repl: dict[int, str] = {}
    before = _Openings()
    after: dict[int, str] = {}
    interval_spans: dict[int, int] = {}  # last token of a `x ± interval` → its first token
    uses_commit_ts = False
    returning = False
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if (
            t.kind == "op"
            and t.text == "$"
            and nxt is not None
            and nxt.kind == "num"
            and nxt.start == t.end
        ):
            repl[i] = f"$p{nxt.text}"
            parse_repl[i] = f" ${nxt.text} "
            drop.add(i + 1)
            params.append(f"p{nxt.text}")
            i += 2
            continue
        if (
            i > 0
            and pg_numeric.is_text_cast(toks, i)
            and toks[_operand_start(toks, i - 1)].text == "$"
        ):  # $1::text: a parameter keeps DuckDB's cast (_pg_runtime_cast); numerics are trimmed
            start = _operand_start(toks, i - 1)
            before.add(start, f"{pg_numeric.TEXT_MACRO}(", i + 1)
            repl[i] = ")"
            drop.add(i + 1)
            i += 2
            continue
        if t.kind == "op" and t.text == "/" and 0 < i < len(toks) - 1:  # see pg_numeric
            left = _product_start(toks, i - 1)
            right = _factor_end(toks, i + 1)
            before.add(left, f"{pg_numeric.DIV_MACRO}(", right)
            repl[i] = ","
            after[right] = ")" + after.get(right, "")
            i += 1
            continue
        avg = (
            pg_numeric.avg_macro(toks, i + 1)
            if t.kind == "word" and t.text.lower() == "avg" and nxt is not None and nxt.text == "("
            else None
        )
        if avg is not None:  # see pg_numeric
            repl[i] = avg[0]
            drop.update(range(i + 2, i + 2 + avg[1]))
            i += 1
            continue
        if pg_numeric.is_numeric_cast(toks, i):  # x::numeric: refused where DuckDB would round
            start = _operand_start(toks, i - 1)
            before.add(start, f"{pg_numeric.STORE_MACRO}(", i + 1)
            after[i - 1] = ")" + after.get(i - 1, "")
        operand = pg_numeric.numeric_cast_operand(toks, i)
        if operand is not None:  # CAST(x AS numeric): as x::numeric
            numeric_stores |= {operand}
        text_as = pg_numeric.cast_as_text_end(toks, i)
        if (
            text_as is not None and toks[i + 2].text == "$" and text_as == i + 4
        ):  # CAST($1 AS text)  # CAST(x AS text): its operand's tokens are still visited
            repl[i] = pg_numeric.TEXT_MACRO
            drop.update({text_as, text_as + 1})
            i += 1
            continue
        if (
            t.upper == "CAST"
            and nxt is not None
            and nxt.text == "("
            and i + 3 < len(toks)
            and toks[i + 2].kind == "str"
            and toks[i + 2].text.startswith("'")
            and toks[i + 3].upper == "AS"
        ):
            cast = _pg_cast_literal(toks, i)
            if cast is not None:
                replacement, first, last = cast
                repl[first] = replacement
                if first != last:
                    drop.update(range(i + 1, last + 1))
                i = last + 1
                continue
        if (
            t.kind == "num"
            and nxt is not None
            and nxt.text == "::"
            and i + 2 < len(toks)
            and toks[i + 2].text.lower() in ("numeric", "decimal")
        ):
            typed_literals.check_numeric_literal(t.text)
        extract = timestamps.pg_extract(toks, i)
        if extract is not None:
            repl.update(extract)
            i += 4
            continue
        interval_op = (
            timestamps.pg_interval_op(toks, i, _operand_end, (i - 1) in interval_spans)
            if i > 0
            else None
        )
        if interval_op is not None:  # timestamptz +/- an interval (see timestamps)
            macro, end = interval_op
            # left-associative: `ts + a - b` wraps the first sum; a typed literal
            # (`timestamptz '...'`) starts at its type name
            left = interval_spans.get(i - 1, _operand_start(toks, i - 1))
            if (
                toks[left].kind == "str"
                and left > 0
                and toks[left - 1].upper in timestamps.TYPED_LITERAL_WORDS
            ):
                left -= 1
            interval_spans[end] = left
            before.add(left, f"{macro}(", end)
            repl[i] = ","
            after[end] = ")" + after.get(end, "")
            i += 1 if end > i + 2 else 3  # a cast operand is translated in its turn
            continue
        to_char = _pg_to_char(toks, i) if t.text.lower() == "to_char" else None
        if to_char is not None:  # to_char(timestamptz, 'literal format') -> strftime
            value_start, value_end, fmt_at, fmt, exact = to_char
            repl[i] = "strftime"
            before.add(value_start, "spanner_pg_wall(", fmt_at)
            after[value_end] = f", {exact})" + after.get(value_end, "")
            repl[fmt_at] = pg_literals.quote(fmt)
            i += 1
            continue
        difference = _pg_timestamp_difference(toks, i, ts_columns) if t.text == "-" else None
        if difference is not None:  # timestamptz - timestamptz: an interval (see timestamps)
            left, right = difference
            before.add(left, "spanner_pg_ts_diff(", right)
            repl[i] = ","
            after[right] = ")" + after.get(right, "")
            i += 1
            continue
        if i > 0 and timestamps.is_pg_at_time_zone(toks, i):  # x AT TIME ZONE z
            left = _operand_start(toks, i - 1)
            repl[i] = ","
            drop.update({i + 1, i + 2})
            zone_end = _operand_end(toks, i + 3)
            before.add(left, "spanner_pg_at_zone(", zone_end)
            after[zone_end] = ")" + after.get(zone_end, "")
            i = zone_end + 1
            continue
        typed = _pg_prefixed_literal(toks, i)
        if typed is not None:  # date '...', int8 '...': the type's input, as for '...'::type
            repl[i] = typed
            drop.add(i + 1)
            i += 2
            continue
        runtime = _pg_runtime_cast(toks, i) if t.text == "::" and i > 0 else None
        if runtime is not None:  # value::type, converted by the type's rules (see pg_casts)
            opening, last = runtime
            left = _pg_value_start(toks, i - 1)
            before.add(left, opening, last)
            drop.update(range(i, last + 1))
            after[last] = ")" + after.get(last, "")
            i = last + 1
            continue
        cast_call = _pg_runtime_cast_call(toks, i) if t.upper == "CAST" else None
        if cast_call is not None:  # CAST(value AS type): the same
            opening, type_from, close = cast_call
            repl[i] = opening
            drop.add(i + 1)
            drop.update(range(type_from, close))
            i += 2
            continue
        pg_ts = timestamps.pg_token_sql(toks, i)
        if pg_ts is not None:  # timestamptz '...', current_timestamp (see timestamps)
            repl[i], consumed = pg_ts
            drop.update(range(i + 1, i + consumed))
            i += consumed
            continue
        if t.kind == "str" and t.text.startswith("'") and nxt is not None and nxt.text == "::":
            literal = _pg_typed_literal(t.text, toks, i + 2)
            if literal is not None:
                sql_text, consumed = literal
                repl[i] = sql_text
                drop.update(range(i + 1, i + consumed))
                i += consumed
                continue
        # `('...')::type`, as PGAdapter's EXECUTE writes its arguments: the same forms, with the
        # parentheses kept around the replacement
        if (
            t.kind == "str"
            and t.text.startswith("'")
            and i > 0
            and toks[i - 1].text == "("
            and nxt is not None
            and nxt.text == ")"
            and i + 2 < len(toks)
            and toks[i + 2].text == "::"
        ):
            literal = _pg_typed_literal(t.text, toks, i + 3)
            if literal is not None:
                sql_text, consumed = literal
                repl[i] = sql_text
                drop.update(range(i + 2, i + 1 + consumed))
                i += 1 + consumed
                continue
        if (
            _names(t, "public")
            and nxt is not None
            and nxt.text == "."
            and not (i > 0 and toks[i - 1].text == ".")
        ):
            # user tables live in PostgreSQL's default schema, which is DuckDB's main
            repl[i] = ""
            drop.add(i + 1)
            i += 2
            continue
        if _names(t, "information_schema") and nxt is not None and nxt.text == ".":
            repl[i] = INFO_SCHEMA
        elif _names(t, "pg_catalog") and nxt is not None and nxt.text == ".":
            pg_catalog_check(toks[i + 2].text)
            repl[i] = PG_CATALOG_SCHEMA
        elif (
            # unquoted in any case, or quoted exactly (TypeORM writes FROM "pg_tables")
            (t.text.lower() if t.kind == "word" else t.text if t.kind == "ident" else "")
            in PG_CATALOG_IMPLEMENTED
            and i > 0
            and (toks[i - 1].upper in ("FROM", "JOIN") or toks[i - 1].text == ",")
            and not (nxt is not None and nxt.text in (".", "("))
        ):
            # pg_catalog comes first on PostgreSQL's search path
            repl[i] = f"{PG_CATALOG_SCHEMA}.{t.text.lower()}"
        elif (
            t.kind == "word" and t.text.lower() == "spanner" and nxt is not None and nxt.text == "."
        ):
            fn = toks[i + 2].text.lower() if i + 2 < len(toks) else ""
            if fn == "pending_commit_timestamp":
                # spanner.pending_commit_timestamp() -> the commit timestamp parameter
                j = i + 3
                if j + 1 < len(toks) and toks[j].text == "(" and toks[j + 1].text == ")":
                    repl[i] = timestamps.commit_timestamp_sql(COMMIT_TS_PARAM)
                    drop.update({i + 1, i + 2, j, j + 1})
                    uses_commit_ts = True
                    i = j + 2
                    continue
            else:
                repl[i] = ""
                drop.add(i + 1)  # spanner.f(...) -> f(...), where DuckDB has an equivalent
        elif (
            t.kind == "word"
            and t.text.lower() in _PG_CAST_TYPES
            and i > 0
            and i not in drop
            and (toks[i - 1].text == "::" or toks[i - 1].upper == "AS")
            and not (nxt is not None and nxt.text == "(")
        ):
            repl[i] = _PG_CAST_TYPES[t.text.lower()]
        elif (
            t.kind == "word"
            and t.text.lower() in _PG_FUNCTIONS
            and nxt is not None
            and nxt.text == "("
        ):
            repl[i] = _PG_FUNCTIONS[t.text.lower()]
        elif t.kind == "word" and t.upper == "RETURNING":
            returning = True
        elif t.kind == "op" and (
            (t.text == "@" and nxt is not None and nxt.text == ">" and nxt.start == t.end)
            or t.text == "?"
        ):
            # @> (arrays, jsonb) and jsonb ? text: f(left, right)
            width = 2 if t.text == "@" else 1
            opening, middle, closing = _PG_JSONB_OPERATORS[
                tuple(x.text for x in toks[i : i + width])
            ]
            if i == 0 or i + width >= len(toks) - 1:
                raise InvalidArgument(f"Syntax error: operator {t.text} needs two operands")
            left = _operand_start(toks, i - 1)
            right = _operand_end(toks, i + width)
            before.add(left, opening, right)
            repl[i] = middle
            if width == 2:
                drop.add(i + 1)
            after[right] = closing + after.get(right, "")
            i += width
            continue
        elif t.upper == "FOR" and nxt is not None and nxt.upper == "UPDATE":
            # A lock hint: spanner-local validates what a transaction read when it commits,
            # so reads are serializable without it. Its variants Spanner does not offer.
            following = toks[i + 2] if i + 2 < len(toks) else None
            if following is not None and following.upper in ("OF", "NOWAIT", "SKIP"):
                raise InvalidArgument(f"FOR UPDATE {following.text.upper()} is not supported")
            drop.update({i, i + 1})
            i += 2
            continue
        i += 1
    for first, last in numeric_stores:  # outermost: after every rewrite inside the span
        before.add(first, f"{pg_numeric.STORE_MACRO}(", last)
        after[last] = after.get(last, "") + ")"
    text = pg_numeric.expand_calls(_splice(sql, toks, repl, drop, before.render(), after))
    kind = classify(sql, POSTGRESQL)
    tree = _pg_parse(
        _splice(sql, toks, {**dollar_quoted, **parse_repl}, {j + 1 for j in parse_repl})
    )
    updated = _updated_columns(tree) if tree is not None else ()
    inserted = _inserted_columns(tree) if tree is not None else ()
    tables = _tables(tree) if tree is not None else ("*",)
    output = _output_names(tree, pg=True) if kind != "dml" else None
    param_columns = _param_columns(tree)
    return Translated(
        text,
        "dml" if kind == "dml" else "query",
        returning,
        uses_commit_ts,
        tuple(params),
        updated_columns=updated,
        inserted_columns=inserted,
        tables=tables,
        output_names=output,
        param_columns=param_columns,
    )


# Longest spelling first, so `bit varying` is named as such rather than as `bit`.
_UNSUPPORTED_TYPE_WORDS = sorted(
    (tuple(name.split()) for name in PG_UNSUPPORTED_TYPES), key=len, reverse=True
)


def _reject_unsupported_types(toks: list[Tok]) -> None:
    """Casts (`::t`, `CAST(... AS t)`) and typed literals (`t '...'`) of a type Spanner's
    PostgreSQL interface lacks fail as they do on Spanner, though DuckDB could run them."""
    for k, t in enumerate(toks):
        if t.kind != "word" or k == 0:
            continue
        before = toks[k - 1]
        name = _unsupported_type_at(toks, k)
        if name is None:
            continue
        typed_literal = (
            before.text != "."
            and k + 1 < len(toks)
            and toks[k + 1].kind == "str"
            and toks[k + 1].text.startswith("'")
        )
        if (
            before.text == "::"
            or (before.upper == "AS" and _inside_cast(toks, k - 1))
            or typed_literal
        ):
            raise InvalidArgument(PG_UNSUPPORTED_TYPE_MESSAGE.format(name=name))


def _unsupported_type_at(toks: list[Tok], k: int) -> str | None:
    for spelling in PG_SUPPORTED_LONG_SPELLINGS:
        supported = spelling.split()
        if [t.text.lower() for t in toks[k : k + len(supported)]] == supported:
            return None
    for words in _UNSUPPORTED_TYPE_WORDS:
        if k + len(words) <= len(toks) and all(
            toks[k + j].kind == "word" and toks[k + j].text.lower() == w
            for j, w in enumerate(words)
        ):
            return " ".join(words)
    return None


def _inside_cast(toks: list[Tok], at: int) -> bool:
    """Whether the token at `at` sits directly in a CAST( ... ) (not an alias's AS)."""
    depth = 0
    for j in range(at - 1, -1, -1):
        text = toks[j].text
        if text == ")":
            depth += 1
        elif text == "(":
            if depth == 0:
                return j > 0 and toks[j - 1].upper == "CAST"
            depth -= 1
    return False


_TYPE_NAME_TAILS = frozenset({"precision", "varying", "with", "without", "time", "zone"})


def _pg_typed_literal(text: str, toks: list[Tok], type_at: int) -> tuple[str, int] | None:
    """`'...'::type` forms DuckDB would misread: (replacement, tokens it replaces) or None.

    Array literals keep their cast (DuckDB casts the list it gets element by element); NaN
    numerics and hex bytea replace the literal and the cast.
    """
    if type_at >= len(toks) or toks[type_at].kind != "word":
        return None
    # the type name: one word, or one of PostgreSQL's multi-word spellings
    j = _type_end(toks, type_at)
    type_name = toks[type_at].text.lower()
    is_array = j + 1 < len(toks) and toks[j].text == "[" and toks[j + 1].text == "]"
    if is_array:
        return pg_literals.array_literal_sql(text), 1
    if type_name in ("numeric", "decimal") and pg_literals.unquote(text).lower() == "nan":
        return PG_NUMERIC_NAN_SQL, j - type_at + 2
    if type_name in ("numeric", "decimal"):
        try:
            number = pg_literals.unquote(text) if text.startswith("'") else text
            decimal.Decimal(number)
        except decimal.InvalidOperation:
            return None  # DuckDB reports what it cannot read
        typed_literals.check_numeric_literal(number)
    if not text.startswith("'"):
        return None
    spelling, length = _pg_type_spelling(toks, type_at, j)
    converted = pg_casts.literal_sql(spelling, pg_literals.unquote(text), length)
    if converted is None:
        return None
    return converted, j - type_at + 2


def _type_end(toks: list[Tok], type_at: int) -> int:
    """One past the last token of the type name at toks[type_at] (modifiers included)."""
    j = type_at + 1
    while j < len(toks) and toks[j].kind == "word" and toks[j].text.lower() in _TYPE_NAME_TAILS:
        j += 1
    if j < len(toks) and toks[j].text == "(":  # numeric(p, s), varchar(n)
        while j < len(toks) and toks[j].text != ")":
            j += 1
        j += 1
    return j


# Calls whose value is a timestamptz.
_PG_TIMESTAMP_CALLS = frozenset(
    {"now", "transaction_timestamp", "statement_timestamp", "clock_timestamp"}
)


def _is_pg_timestamptz(toks: list[Tok], start: int, end: int, ts_columns: frozenset[str]) -> bool:
    """Whether toks[start:end + 1] is an operand known to be a timestamptz when translating: a
    cast to it, a typed literal, a clock function, or a timestamptz column."""
    first, last = toks[start], toks[end]
    if last.kind == "word" and last.text.lower() == "timestamptz" and toks[end - 1].text == "::":
        return True
    if end >= start + 4 and [t.text.lower() for t in toks[end - 3 : end + 1]] == [
        "timestamp",
        "with",
        "time",
        "zone",
    ]:
        return toks[end - 4].text == "::"
    if first.kind != "word":
        return False
    name = first.text.lower()
    if end == start + 1 and name == "timestamptz" and last.kind == "str":
        return True
    if name == "current_timestamp" and end == start:
        return True
    if name in _PG_TIMESTAMP_CALLS and toks[start + 1].text == "(":
        return True
    if (
        name == "spanner"
        and end > start + 2
        and toks[start + 2].text.lower() == ("pending_commit_timestamp")
    ):
        return True
    named = [t for t in toks[start : end + 1] if t.text != "."]
    return all(t.kind in ("word", "ident") for t in named) and named[-1].text.lower() in ts_columns


def _pg_timestamp_difference(
    toks: list[Tok], at: int, ts_columns: frozenset[str]
) -> tuple[int, int] | None:
    """`a - b` at the `-` toks[at], both known to be timestamptz: (first token of a, last of b)."""
    if at == 0 or at + 1 >= len(toks):
        return None
    prev = toks[at - 1]
    if not (prev.kind in ("word", "ident", "str", "num") or prev.text in (")", "]")):
        return None
    left = _pg_value_start(toks, at - 1)
    start = at + 1
    if (
        toks[start].text.lower() == "timestamptz"
        and start + 1 < len(toks)
        and toks[start + 1].kind == "str"
    ):
        right = start + 1  # a typed literal, `timestamptz '...'`
    else:
        right = _operand_end(toks, start)
    if _is_pg_timestamptz(toks, left, at - 1, ts_columns) and _is_pg_timestamptz(
        toks, start, right, ts_columns
    ):
        return left, right
    return None


def _pg_to_char(toks: list[Tok], at: int) -> tuple[int, int, int, str, str] | None:
    """`to_char(value, 'format')` at toks[at]: (first and last token of the value, the format's
    token, the strftime format, whether a value with nanoseconds must be refused)."""
    if at + 1 >= len(toks) or toks[at + 1].text != "(" or (at > 0 and toks[at - 1].text == "."):
        return None
    depth, k, comma = 0, at + 1, None
    while k < len(toks):
        depth += {"(": 1, ")": -1}.get(toks[k].text, 0)
        if depth == 0:
            break
        if depth == 1 and toks[k].text == ",":
            comma = k
        k += 1
    if comma is None or k != comma + 2 or comma == at + 2:
        return None
    fmt = toks[comma + 1]
    if fmt.kind != "str" or not fmt.text.startswith("'"):
        raise InvalidArgument("spanner-local needs to_char's format as a string literal")
    strftime, fraction = pg_to_char.strftime_format(pg_literals.unquote(fmt.text))
    return at + 2, comma - 1, comma + 1, strftime, "true" if fraction else "false"


def _pg_prefixed_literal(toks: list[Tok], at: int) -> str | None:
    """`type '...'` (PostgreSQL's typed literal) -> DuckDB SQL for its value, for the types of
    pg_casts; None for anything else."""
    t = toks[at]
    if t.kind != "word" or at + 1 >= len(toks) or t.text.lower() not in pg_casts.TARGETS:
        return None
    value = toks[at + 1]
    if value.kind != "str" or not value.text.startswith("'"):
        return None
    if at > 0 and (toks[at - 1].text in ("::", ".") or toks[at - 1].upper == "AS"):
        return None
    return pg_casts.literal_sql(t.text.lower(), pg_literals.unquote(value.text))


def _pg_runtime_cast(toks: list[Tok], at: int) -> tuple[str, int] | None:
    """`value::type` at the `::` toks[at], when pg_casts converts values of that type at run
    time: (the macro call's opening, the last token of the type). Parameters keep DuckDB's
    cast: the client gives their type, and a macro would hide it from the binder."""
    if at + 1 >= len(toks) or toks[at + 1].kind != "word":
        return None
    end = _type_end(toks, at + 1)
    if end < len(toks) and toks[end].text == "[":
        return None  # arrays keep DuckDB's element-wise cast
    spelling, length = _pg_type_spelling(toks, at + 1, end)
    opening = pg_casts.runtime_macro(spelling, length)
    if opening is None or toks[_operand_start(toks, at - 1)].text == "$":
        return None
    return opening, end - 1


# Type names that may stand before a string literal as its type (`jsonb '{}'`).
_PG_LITERAL_TYPES = frozenset(pg_casts.TARGETS) | {"interval", "numeric", "decimal"}


def _pg_value_start(toks: list[Tok], end: int) -> int:
    """`_operand_start`, with a typed literal's type name (`jsonb '{}'`) taken in."""
    start = _operand_start(toks, end)
    if (
        start > 0
        and toks[start].kind == "str"
        and toks[start - 1].kind == "word"
        and toks[start - 1].text.lower() in _PG_LITERAL_TYPES
        and not (start > 1 and toks[start - 2].text in ("::", "."))
    ):
        return start - 1
    return start


def _pg_runtime_cast_call(toks: list[Tok], at: int) -> tuple[str, int, int] | None:
    """`CAST(value AS type)` at toks[at] for the types of `_pg_runtime_cast`: (the macro call's
    opening, the AS token, the closing parenthesis)."""
    if at + 2 >= len(toks) or toks[at + 1].text != "(":
        return None
    depth, k, as_at = 0, at + 1, None
    while k < len(toks):
        depth += {"(": 1, ")": -1}.get(toks[k].text, 0)
        if depth == 0:
            break
        if depth == 1 and toks[k].upper == "AS":
            as_at = k
        k += 1
    if as_at is None or k >= len(toks) or as_at + 1 >= k:
        return None
    if toks[as_at + 1].kind != "word" or (k > 0 and toks[k - 1].text == "]"):
        return None
    if toks[at + 2].text == "$" and as_at == at + 4:
        return None  # a parameter: see _pg_runtime_cast
    spelling, length = _pg_type_spelling(toks, as_at + 1, k)
    opening = pg_casts.runtime_macro(spelling, length)
    if opening is None:
        return None
    return opening, as_at, k


def _pg_type_spelling(toks: list[Tok], start: int, end: int) -> tuple[str, int | None]:
    """The type name written in toks[start:end] (`timestamp with time zone`) and its length
    modifier (`varchar(10)`: 10; None without one)."""
    words, length = [], None
    for k in range(start, end):
        if toks[k].text == "(":
            if toks[k + 1].kind == "num" and toks[k + 2].text == ")":
                length = int(toks[k + 1].text)
            break
        words.append(toks[k].text.lower())
    return " ".join(words), length


def _pg_cast_literal(toks: list[Tok], at: int) -> tuple[str, int, int] | None:
    """CAST('...' AS type) forms of `_pg_typed_literal`: (replacement, token, last token).

    An array literal only replaces the string (the cast stays); the others replace it all.
    """
    literal = _pg_typed_literal(toks[at + 2].text, toks, at + 4)
    if literal is None:
        return None
    text, consumed = literal
    if consumed == 1:
        return text, at + 2, at + 2  # the literal only
    close = at + 4
    depth = 0
    while close < len(toks) and not (toks[close].text == ")" and depth == 0):
        depth += {"(": 1, ")": -1}.get(toks[close].text, 0)
        close += 1
    if close >= len(toks):
        return None
    return text, at, close  # CAST ... ): the replacement goes where CAST was


# ------------------------------------------------------------------- GoogleSQL


def _positional_struct_cast(node: exp.Cast) -> exp.Expression | None:
    """CAST(x AS STRUCT<a T, b U>): GoogleSQL converts fields by position, DuckDB by name."""
    to = node.args.get("to")
    if not (
        isinstance(to, exp.DataType)
        and to.this == exp.DataType.Type.STRUCT
        and to.expressions
        and all(isinstance(f, exp.ColumnDef) for f in to.expressions)
    ):
        return None
    source = node.this
    if isinstance(source, exp.Struct):
        return None  # a typed struct literal: its fields are already in order
    fields = []
    for i, field in enumerate(to.expressions, start=1):
        value = exp.Anonymous(
            this="struct_extract_at", expressions=[source.copy(), exp.Literal.number(i)]
        )
        cast = exp.Cast(this=value, to=field.args["kind"].copy())
        fields.append(exp.PropertyEQ(this=exp.to_identifier(field.name), expression=cast))
    return exp.Anonymous(this="struct_pack", expressions=fields)


def _fix_types(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast):
        positional = _positional_struct_cast(node)
        if positional is not None:
            return positional
    rewritten = timestamps.rewrite_gsql(node, _fix_subtree)
    if rewritten is not None:
        return rewritten
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Star):
        # (struct expression).*: DuckDB expands a struct into columns with UNNEST
        return exp.Unnest(expressions=[node.this.copy().transform(_fix_types)])
    if (
        isinstance(node, exp.DataType)
        and node.this in (exp.DataType.Type.DECIMAL,)
        and not node.expressions
    ):
        return exp.DataType.build("DECIMAL(38, 9)")
    if isinstance(node, exp.Table):
        ident = node.this
        name = ident.name if isinstance(ident, exp.Identifier) else ""
        db = node.db or ""
        if name.lower().startswith("information_schema."):
            return exp.Table(
                this=exp.to_identifier(name.split(".", 1)[1]),
                db=exp.to_identifier(INFO_SCHEMA),
                alias=node.args.get("alias"),
            )
        if db.lower() == "information_schema":
            node.set("db", exp.to_identifier(INFO_SCHEMA))
    if isinstance(node, exp.Literal) and not node.is_string:
        text = str(node.this)
        if "." in text or "e" in text.lower():
            # GoogleSQL numeric literals with a point or exponent are FLOAT64, not NUMERIC.
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
        if isinstance(node.parent, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)):
            # GoogleSQL integer literals are INT64; DuckDB's small ones are INT32 and overflow.
            return exp.Cast(this=node.copy(), to=exp.DataType.build("BIGINT"))
    if isinstance(node, exp.TimeToStr) and node.args.get("zone") is not None:
        # FORMAT_TIMESTAMP(fmt, ts, zone): sqlglot's DuckDB output would drop the zone.
        ts = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
        local = exp.Anonymous(this="TIMEZONE", expressions=[node.args["zone"].copy(), ts.copy()])
        return exp.Anonymous(this="STRFTIME", expressions=[local, node.args["format"].copy()])
    if isinstance(node, exp.Format):
        # GoogleSQL FORMAT is printf-style; DuckDB's FORMAT is fmt-style, its PRINTF is not.
        return exp.Anonymous(this="PRINTF", expressions=[node.this, *node.expressions])
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "PENDING_COMMIT_TIMESTAMP":
        return exp.Cast(
            this=exp.Placeholder(this=COMMIT_TS_PARAM),
            to=exp.DataType.build(timestamps.DUCKDB_TYPE, dialect="duckdb"),
        )
    return node


def _fix_subtree(node: exp.Expression) -> exp.Expression:
    return node.transform(_fix_types)


_NEXT_SEQ = re.compile(r"GET_NEXT_SEQUENCE_VALUE\s*\(\s*SEQUENCE\s+([`\w.]+)\s*\)", re.I)


def _without_for_update(toks: list[Tok]) -> list[Tok]:
    """Drop a query's FOR UPDATE lock hint: spanner-local validates a transaction's reads when
    it commits, so its reads are serializable without the lock."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        if toks[i].upper == "FOR" and i + 1 < len(toks) and toks[i + 1].upper == "UPDATE":
            i += 2
            continue
        out.append(toks[i])
        i += 1
    return out


@lru_cache(maxsize=2048)
def translate_gsql(sql: str) -> Translated:
    # GET_NEXT_SEQUENCE_VALUE(SEQUENCE s) is not an expression sqlglot can parse: call the macro.
    sql = _NEXT_SEQ.sub(lambda m: f"SPANNER_SEQUENCE_NEXT('{m.group(1).strip('`').lower()}')", sql)
    toks = _skip_hints(_tokens(sql, GOOGLE_SQL))
    kind = classify(sql)
    if kind == "query":
        toks = _without_for_update(toks)
    # Rebuild the statement from its tokens without hints; find THEN RETURN / INSERT OR ...
    text = " ".join(sql[t.start : t.end] for t in toks if t.kind != "eof")
    returning_sql = ""
    insert_mode = ""
    if kind == "dml":
        words = [t.upper for t in toks]
        for k in range(len(words) - 1):
            if words[k] == "THEN" and words[k + 1] == "RETURN":
                body = " ".join(sql[t.start : t.end] for t in toks[:k])
                ret = " ".join(sql[t.start : t.end] for t in toks[k + 2 :] if t.kind != "eof")
                text, returning_sql = body, ret
                break
        if (
            len(words) > 2
            and words[0] == "INSERT"
            and words[1] == "OR"
            and words[2] in ("UPDATE", "IGNORE")
        ):
            insert_mode = "REPLACE" if words[2] == "UPDATE" else "IGNORE"
            text = "INSERT " + text.split(None, 3)[3]
    try:
        tree = sqlglot.parse_one(text, read="bigquery")
    except sqlglot.errors.SqlglotError as exc:  # ParseError, TokenError...
        raise InvalidArgument(f"Syntax error: {str(exc).splitlines()[0]}") from exc
    if isinstance(tree, (exp.Update, exp.Delete)) and tree.args.get("where") is None:
        verb = "UPDATE" if isinstance(tree, exp.Update) else "DELETE"
        raise InvalidArgument(
            f"{verb} must have a WHERE clause: add WHERE true to apply it to every row."
        )
    if isinstance(tree, exp.Insert) and not isinstance(tree.this, exp.Schema):
        raise InvalidArgument(
            "Syntax error: INSERT must list the target columns, as in INSERT INTO T (A, B) ..."
        )
    updated = _updated_columns(tree)
    inserted = _inserted_columns(tree)
    tables = _tables(tree)
    output = _output_names(tree, pg=False)
    sources = _output_sources(tree)
    param_columns = _param_columns(tree)
    tree = tree.transform(_fix_types)
    params = tuple(
        sorted({p.name for p in tree.find_all(exp.Placeholder, exp.Parameter) if p.name})
    )
    out = tree.sql(dialect="duckdb")
    uses_commit_ts = COMMIT_TS_PARAM in out
    if insert_mode:
        out = re.sub(r"^INSERT\s+INTO", f"INSERT OR {insert_mode} INTO", out, count=1)
    if returning_sql:
        ret_tree = sqlglot.parse_one(f"SELECT {returning_sql}", read="bigquery").transform(
            _fix_types
        )
        assert isinstance(ret_tree, exp.Select)
        out += " RETURNING " + ", ".join(e.sql(dialect="duckdb") for e in ret_tree.expressions)
    return Translated(
        out,
        "dml" if kind == "dml" else "query",
        bool(returning_sql),
        uses_commit_ts,
        params,
        updated_columns=updated,
        inserted_columns=inserted,
        tables=tables,
        output_names=output,
        output_sources=sources,
        param_columns=param_columns,
    )


def _param_name(node: Any) -> str | None:
    if isinstance(node, exp.Placeholder) and node.name:
        return node.name
    if isinstance(node, exp.Parameter):
        inner = node.this
        text = inner.name if isinstance(inner, exp.Expression) else str(inner or "")
        return f"p{text}" if text.isdigit() else (text or None)
    return None


_COMPARISON_NODES = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.In, exp.Between)


def _param_columns(tree: Any) -> tuple[tuple[str, str], ...]:
    """Where a bare parameter meets a column: `col = @p` (either side, also <>, <, <=, >, >=,
    IN lists, BETWEEN), `SET col = @p`, and INSERT VALUES by position."""
    if tree is None:
        return ()
    pairs: set[tuple[str, str]] = set()
    for node in tree.find_all(*_COMPARISON_NODES):
        if isinstance(node, exp.In):
            sides = [node.this, *node.expressions]
        elif isinstance(node, exp.Between):
            sides = [node.this, node.args.get("low"), node.args.get("high")]
        else:
            sides = [node.this, node.expression]
        cols = [s for s in sides if isinstance(s, exp.Column)]
        for side in sides:
            name = _param_name(side)
            if name is not None:
                pairs.update((name, c.name) for c in cols)
    if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema):
        names = [c.name for c in tree.this.expressions]
        values = tree.expression
        if isinstance(values, exp.Values):
            for row in values.expressions:
                for col, item in zip(names, row.expressions, strict=False):
                    name = _param_name(item)
                    if name is not None:
                        pairs.add((name, col))
    return tuple(sorted(pairs))


def _output_sources(tree: Any) -> tuple[str | None, ...] | None:
    if not isinstance(tree, exp.Query):
        return None
    sources: list[str | None] = []
    for item in tree.selects:
        node = item.this if isinstance(item, exp.Alias) else item
        if isinstance(node, (exp.Placeholder, exp.Parameter)) and node.name:
            sources.append("@" + node.name)
        elif isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            sources.append(node.name)
        elif isinstance(item, exp.Star) or isinstance(node, exp.Column):
            return None  # * expands to several columns
        else:
            sources.append(None)
    return tuple(sources)


def _names(tok: Any, name: str) -> bool:
    """`tok` names the lower-case schema `name`: unquoted in any case, or quoted exactly (as
    ORMs write `"information_schema"."tables"`)."""
    if tok.kind == "word":
        return bool(tok.text.lower() == name)
    return bool(tok.kind == "ident" and tok.text == name)  # the lexer took the quotes off


def _tables(tree: Any) -> tuple[str, ...]:
    """Lower-case names of the user tables a statement references (CTE names excluded)."""
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    names = set()
    for table in tree.find_all(exp.Table):
        db = (table.db or "").lower()
        if db in ("information_schema", INFO_SCHEMA, "pg_catalog", PG_CATALOG_SCHEMA):
            continue
        name = table.name.lower()
        if name.startswith("information_schema.") or not name or name in ctes:
            continue
        names.add(name)
    return tuple(sorted(names))


def _output_names(tree: Any, pg: bool) -> tuple[str, ...] | None:
    """Spanner names unaliased expressions "" (GoogleSQL) or like PostgreSQL does."""
    if tree is None or not isinstance(tree, exp.Query):
        return None
    names: list[str] = []
    for item in tree.selects:
        if isinstance(item, exp.Star) or (
            isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
        ):
            return None  # * expands to the table's columns: DuckDB names them right
        if isinstance(item, exp.Alias):
            names.append(item.alias)
        elif isinstance(item, exp.Column):
            names.append(item.name)
        elif not pg:
            names.append("")
        else:
            names.append(_pg_column_name(item)[0])
    return tuple(names)


# PostgreSQL's internal names of types, which it gives to a cast of an unnamed expression.
_PG_TYPE_COLUMN_NAMES = {
    exp.DataType.Type.BIGINT: "int8",
    exp.DataType.Type.INT: "int4",
    exp.DataType.Type.SMALLINT: "int2",
    exp.DataType.Type.TEXT: "text",
    exp.DataType.Type.VARCHAR: "varchar",
    exp.DataType.Type.CHAR: "bpchar",
    exp.DataType.Type.BOOLEAN: "bool",
    exp.DataType.Type.DOUBLE: "float8",
    exp.DataType.Type.FLOAT: "float4",
    exp.DataType.Type.DECIMAL: "numeric",
    exp.DataType.Type.JSONB: "jsonb",
    exp.DataType.Type.JSON: "json",
    exp.DataType.Type.VARBINARY: "bytea",
    exp.DataType.Type.DATE: "date",
    exp.DataType.Type.TIMESTAMPTZ: "timestamptz",
    exp.DataType.Type.TIMESTAMP: "timestamp",
}


def _pg_column_name(node: Any) -> tuple[str, int]:
    """PostgreSQL's name for an unaliased result column, and how strong a name it is.

    As PostgreSQL's FigureColname: a column reference or function call gives its name; a cast
    passes on its operand's name, or else names the column after the type; others ?column?.
    """
    if isinstance(node, exp.Column):
        return node.name, 2
    if isinstance(node, exp.Paren):
        return _pg_column_name(node.this)
    if isinstance(node, (exp.Cast, exp.TryCast)):
        name, strength = _pg_column_name(node.this)
        if strength > 1:
            return name, strength
        to = node.args.get("to")
        if isinstance(to, exp.DataType):
            if to.this == exp.DataType.Type.ARRAY and to.expressions:
                to = to.expressions[0]
            type_name = _PG_TYPE_COLUMN_NAMES.get(to.this)
            if type_name is not None:
                return type_name, 1
        return name, strength
    if isinstance(node, exp.Array):
        return "array", 2
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower(), 2
    if isinstance(node, exp.Func):
        return node.sql_name().lower(), 2
    return "?column?", 0


def _pg_parse(sql: str) -> Any:
    try:
        return sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.SqlglotError:  # statement metadata is then unknown, not an error
        return None


def _inserted_columns(tree: Any) -> tuple[str, ...]:
    if not isinstance(tree, exp.Insert) or not isinstance(tree.this, exp.Schema):
        return ()
    return tuple(e.name for e in tree.this.expressions)


def _updated_columns(tree: Any) -> tuple[str, ...]:
    if not isinstance(tree, exp.Update):
        return ()
    names = []
    for eq in tree.expressions:
        target = eq.this if isinstance(eq, exp.EQ) else None
        if isinstance(target, exp.Column):
            names.append(target.name)
    return tuple(names)


def translate(
    sql: str, dialect: str, column_types: Callable[[str], dict[str, str]] | None = None
) -> Translated:
    """`column_types(table)`: a table's bytea, array and numeric columns (lower-case name -> type
    code), for PostgreSQL-dialect literals written into them."""
    if dialect == POSTGRESQL:
        return translate_pg(sql, column_types)
    return translate_gsql(sql)
