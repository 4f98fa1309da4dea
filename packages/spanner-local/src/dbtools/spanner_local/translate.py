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

from . import pg_literals, timestamps, typed_literals
from .codec import PG_NUMERIC_NAN_SQL
from .errors import InvalidArgument
from .lexer import LexError, Tok, iter_tokens, tokenize
from .typemap import GOOGLE_SQL, PG_UNSUPPORTED_TYPE_MESSAGE, PG_UNSUPPORTED_TYPES, POSTGRESQL

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
    "oid": "BIGINT",
    "timestamptz": timestamps.DUCKDB_TYPE,
}
# PostgreSQL functions Spanner offers under another name in DuckDB.
_PG_FUNCTIONS = {
    "jsonb_build_object": "json_object",
    "jsonb_build_array": "json_array",
    "jsonb_array_length": "json_array_length",
    "jsonb_typeof": "json_type",
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
        return _translate_pg(sql, frozenset())
    toks = _pg_tokens(sql)
    rewritten = typed_literals.rewrites(toks, column_types, classify(sql, POSTGRESQL) == "dml")
    return _translate_pg(sql, rewritten)


@lru_cache(maxsize=2048)
def _translate_pg(sql: str, literal_sql: frozenset[tuple[int, str]]) -> Translated:
    """`literal_sql`: (token index, DuckDB SQL) of the literals read as the input of the
    column type they are written to or compared with."""
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
    before: dict[int, str] = {}
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
            # outermost: what already starts here ends inside the left operand
            before[left] = f"{macro}(" + before.get(left, "")
            repl[i] = ","
            after[end] = ")" + after.get(end, "")
            i += 1 if end > i + 2 else 3  # a cast operand is translated in its turn
            continue
        if i > 0 and timestamps.is_pg_at_time_zone(toks, i):  # x AT TIME ZONE z
            left = _operand_start(toks, i - 1)
            before[left] = before.get(left, "") + "spanner_pg_at_zone("
            repl[i] = ","
            drop.update({i + 1, i + 2})
            zone_end = _operand_end(toks, i + 3)
            after[zone_end] = ")" + after.get(zone_end, "")
            i = zone_end + 1
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
            before[left] = before.get(left, "") + opening
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
    text = _splice(sql, toks, repl, drop, before, after)
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
    j = type_at + 1
    while j < len(toks) and toks[j].kind == "word" and toks[j].text.lower() in _TYPE_NAME_TAILS:
        j += 1
    if j < len(toks) and toks[j].text == "(":  # numeric(p, s), varchar(n)
        while j < len(toks) and toks[j].text != ")":
            j += 1
        j += 1
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
    if type_name == "bytea":
        return pg_literals.bytea_literal_sql(text), j - type_at + 2
    if timestamps.is_pg_timestamptz(toks, type_at) and text.startswith("'"):
        return timestamps.pg_literal_sql(pg_literals.unquote(text)), j - type_at + 2
    return None


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


def _param_columns(tree: Any) -> tuple[tuple[str, str], ...]:
    """Where a bare parameter meets a column: `col = @p` (either side, also <>, IN lists),
    `SET col = @p`, and INSERT VALUES by position."""
    if tree is None:
        return ()
    pairs: set[tuple[str, str]] = set()
    for node in tree.find_all(exp.EQ, exp.NEQ, exp.In):
        sides = [node.this, *(node.expressions if isinstance(node, exp.In) else [node.expression])]
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
