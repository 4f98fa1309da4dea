"""PostgreSQL casts, as one table: (source type, target type) -> how spanner-local converts.

DuckDB, which runs the PostgreSQL dialect's SQL, casts its own way: '1.5' becomes the bigint
2, '1e400' the double infinity, ' yes ' is no boolean, 'infinity' a date. PostgreSQL reads the
text of a cast with the target type's input function, and Spanner follows it within its own
types and ranges. So every cast of text that DuckDB would read differently goes through a rule
of `CASTS`:

- source "unknown" is a quoted literal (`'1.5'::int8`, `CAST('x' AS date)`): its rule gets the
  literal's value and returns DuckDB SQL for the exact result, or raises PostgreSQL's error
  while the statement is translated;
- other sources are the DuckDB type of a value known only when the statement runs (a column,
  an expression): their rule gets the SQL of that value and returns SQL that converts it (or
  calls `error(...)`). `MACROS` builds, per target, one macro `spanner_pg_cast_<target>(x)`
  that picks the rule by `typeof(x)`; sources without a rule keep DuckDB's cast.

numeric casts are not here: `translate` and `typed_literals` keep their own rules for it.
"""

from __future__ import annotations

from collections.abc import Callable

from . import pg_input, pg_literals, timestamps
from .errors import InvalidArgument

# A rule: (value as text or as SQL, the type's length modifier or None) -> DuckDB SQL.
Rule = Callable[[str, int | None], str]

# PostgreSQL spellings of the targets -> the target's name in CASTS. Spanner documents int,
# integer and int4 as aliases of bigint (its only integer type), varchar/text as one type.
TARGETS: dict[str, str] = {
    "int8": "int8",
    "bigint": "int8",
    "int": "int8",
    "integer": "int8",
    "int4": "int8",
    "bool": "bool",
    "boolean": "bool",
    "float8": "float8",
    "double precision": "float8",
    "float4": "float4",
    "real": "float4",
    "varchar": "varchar",
    "character varying": "varchar",
    "text": "varchar",
    "bytea": "bytea",
    "date": "date",
    "timestamptz": "timestamptz",
    "timestamp with time zone": "timestamptz",
    "jsonb": "jsonb",
}
# The DuckDB type each target is stored as.
DUCKDB_TYPES: dict[str, str] = {
    "int8": "BIGINT",
    "bool": "BOOLEAN",
    "float8": "DOUBLE",
    "float4": "FLOAT",
    "varchar": "VARCHAR",
    "bytea": "BLOB",
    "date": "DATE",
    "timestamptz": timestamps.DUCKDB_TYPE,
    "jsonb": "JSON",
}


def _float_sql(number: float, duckdb_type: str) -> str:
    # repr is the shortest text that reads back as the same double: nothing is rounded
    text = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(repr(number), repr(number))
    return f"CAST('{text}' AS {duckdb_type})"


def _varchar(value: str, length: int | None) -> str:
    # an explicit cast to varchar(n) cuts the text to n characters, as PostgreSQL's does
    return pg_literals.quote(value if length is None else value[:length])


def _timestamptz(value: str, _: int | None) -> str:
    word = value.strip().lower().lstrip("+")
    if word in ("infinity", "-infinity"):
        raise InvalidArgument(
            f'Spanner does not support infinite timestamps: "{value}" (timestamptz values range '
            "from 0001-01-01 00:00:00 to 9999-12-31 23:59:59.999999999 UTC)"
        )
    return timestamps.pg_literal_sql(value)


def _sql_text(text: str) -> str:
    """A message for DuckDB's error(): a SQL string literal."""
    return pg_literals.quote(text)


def _input_error(type_name: str, v: str) -> str:
    return f"error({_sql_text(f'invalid input syntax for type {type_name}: ' + chr(34))} || {v} || '\"')"


_BOOL_TRUE = ("t", "tr", "tru", "true", "y", "ye", "yes", "on", "1")
_BOOL_FALSE = ("f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0")
# C's isspace, as a regular-expression class (PostgreSQL trims it around input)
_WS = r"[ \t\n\r\v\f]*"


def _in_list(words: tuple[str, ...]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def _trimmed(v: str) -> str:
    return f"regexp_replace({v}, '^{_WS}|{_WS}$', '', 'g')"


def _text_to_int8(v: str, _: int | None) -> str:
    return (
        f"CASE WHEN NOT regexp_full_match({v}, '{_WS}[+-]?[0-9]+{_WS}') "
        f"THEN {_input_error('bigint', v)} "
        f"WHEN TRY_CAST({_trimmed(v)} AS BIGINT) IS NULL "
        f"THEN error('value \"' || {v} || '\" is out of range for type bigint') "
        f"ELSE CAST({_trimmed(v)} AS BIGINT) END"
    )


def _text_to_bool(v: str, _: int | None) -> str:
    word = f"lower({_trimmed(v)})"
    return (
        f"CASE WHEN {word} IN ({_in_list(_BOOL_TRUE)}) THEN true "
        f"WHEN {word} IN ({_in_list(_BOOL_FALSE)}) THEN false "
        f"ELSE {_input_error('boolean', v)} END"
    )


_FLOAT_PATTERN = (
    f"{_WS}([+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity)|nan){_WS}"
)


def _text_to_float(duckdb_type: str, pg_name: str) -> Rule:
    def rule(v: str, _: int | None) -> str:
        value = f"TRY_CAST({_trimmed(v)} AS {duckdb_type})"
        # a finite number that reads as infinity or zero overflowed or underflowed
        nonzero = f"regexp_matches({v}, '^{_WS}[+-]?[0-9]*[.]?[0-9]*[1-9]')"
        return (
            f"CASE WHEN NOT regexp_full_match(lower({v}), '{_FLOAT_PATTERN}') "
            f"THEN {_input_error(pg_name, v)} "
            f"WHEN {nonzero} AND (isinf({value}) OR {value} = 0) "
            f"THEN error('\"' || {v} || '\" is out of range for type {pg_name}') "
            f"ELSE {value} END"
        )

    return rule


def _float_to_int8(v: str, _: int | None) -> str:
    # PostgreSQL rounds half to even (rint) and refuses what bigint cannot hold
    return (
        f"CASE WHEN isnan({v}) OR isinf({v}) OR round_even({v}, 0) < -9223372036854775808 "
        f"OR round_even({v}, 0) >= 9223372036854775808 THEN error('bigint out of range') "
        f"ELSE CAST(round_even({v}, 0) AS BIGINT) END"
    )


def _text_to_date(v: str, _: int | None) -> str:
    word = f"lower({_trimmed(v)})"
    day = f"TRY_CAST({_trimmed(v)} AS DATE)"
    return (
        f"CASE WHEN {word} IN ('infinity', '+infinity', '-infinity') "
        f"THEN error('Spanner''s date has no infinity (dates range from 0001-01-01 to "
        f"9999-12-31): \"' || {v} || '\"') "
        f"WHEN {day} IS NULL THEN {_input_error('date', v)} "
        f"WHEN {day} NOT BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' "
        f"THEN error('date out of range: \"' || {v} || '\" (Spanner dates range from "
        f"0001-01-01 to 9999-12-31)') ELSE {day} END"
    )


def _text_to_timestamptz(v: str, _: int | None) -> str:
    word = f"lower({_trimmed(v)})"
    return (
        f"CASE WHEN {word} IN ('infinity', '+infinity', '-infinity') "
        f"THEN error('Spanner does not support infinite timestamps: \"' || {v} || '\"') "
        f"ELSE spanner_ts_parse({v}) END"
    )


def _to_timestamptz(v: str, _: int | None) -> str:
    # a date at its midnight, a timestamp without time zone as UTC (as timestamptz literals
    # without an offset are read)
    return f"spanner_ts_ns(CAST({v} AS TIMESTAMPTZ))"


def _float_text(v: str, _: int | None) -> str:
    # PostgreSQL's spellings of the special values (DuckDB's are nan, inf, -inf)
    return (
        f"CASE WHEN isnan({v}) THEN 'NaN' WHEN {v} = 'Infinity' THEN 'Infinity' "
        f"WHEN {v} = '-Infinity' THEN '-Infinity' ELSE CAST({v} AS VARCHAR) END"
    )


def _timestamptz_text(v: str, _: int | None) -> str:
    # in the default time zone, every stored digit kept
    return f"spanner_ts_text_in({v}, '{timestamps.DEFAULT_TIME_ZONE}')"


def _bytea_text(v: str, _: int | None) -> str:
    return f"'\\x' || lower(hex({v}))"


UNKNOWN = "unknown"

# (source, target) -> rule. Source UNKNOWN: a quoted literal, converted while translating;
# other sources: the DuckDB type of a run-time value.
CASTS: dict[tuple[str, str], Rule] = {
    (UNKNOWN, "int8"): lambda s, _: str(pg_literals.int8_input(s)),
    (UNKNOWN, "bool"): lambda s, _: "true" if pg_literals.bool_input(s) else "false",
    (UNKNOWN, "float8"): lambda s, _: _float_sql(pg_input.float8_input(s), "DOUBLE"),
    (UNKNOWN, "float4"): lambda s, _: _float_sql(pg_input.float4_input(s), "FLOAT"),
    (UNKNOWN, "varchar"): _varchar,
    (UNKNOWN, "bytea"): lambda s, _: pg_literals.bytea_sql(s),
    (UNKNOWN, "date"): lambda s, _: f"DATE '{pg_input.date_input(s).isoformat()}'",
    (UNKNOWN, "timestamptz"): _timestamptz,
    (UNKNOWN, "jsonb"): lambda s, _: f"CAST({pg_literals.quote(pg_input.jsonb_input(s))} AS JSON)",
    ("VARCHAR", "int8"): _text_to_int8,
    ("VARCHAR", "bool"): _text_to_bool,
    ("VARCHAR", "float8"): _text_to_float("DOUBLE", "double precision"),
    ("VARCHAR", "float4"): _text_to_float("FLOAT", "real"),
    ("VARCHAR", "date"): _text_to_date,
    ("DOUBLE", "int8"): _float_to_int8,
    ("FLOAT", "int8"): _float_to_int8,
    ("VARCHAR", "timestamptz"): _text_to_timestamptz,
    ("DATE", "timestamptz"): _to_timestamptz,
    ("TIMESTAMP", "timestamptz"): _to_timestamptz,
    (timestamps.DUCKDB_TYPE, "varchar"): _timestamptz_text,
    ("DOUBLE", "varchar"): _float_text,
    ("FLOAT", "varchar"): _float_text,
    ("BLOB", "varchar"): _bytea_text,
}

# Targets whose run-time casts go through a macro (those with a rule for a run-time source).
RUNTIME_TARGETS = frozenset(target for source, target in CASTS if source != UNKNOWN)


def literal_sql(target: str, value: str, length: int | None = None) -> str | None:
    """DuckDB SQL for `'value'::target` (target as PostgreSQL spells it), or None when the
    table has no rule for it; raises InvalidArgument with PostgreSQL's or Spanner's message."""
    name = TARGETS.get(target)
    if name is None or (UNKNOWN, name) not in CASTS:
        return None
    return input_sql(name, value, length)


def input_sql(name: str, value: str, length: int | None = None) -> str:
    """DuckDB SQL for text read as input of the target `name` (a name of CASTS's targets)."""
    return CASTS[UNKNOWN, name](value, length)


def runtime_macro(target: str, length: int | None = None) -> str | None:
    """The macro call's opening (`spanner_pg_cast_int8(`) for a cast of a run-time value to
    `target`, or None where DuckDB's own cast is PostgreSQL's."""
    name = TARGETS.get(target)
    if name == "varchar" and length is not None:
        return f"spanner_pg_cast_varchar_n({length}, "
    if name not in RUNTIME_TARGETS:
        return None
    return f"spanner_pg_cast_{name}("


def _macro(target: str) -> str:
    duckdb_type = DUCKDB_TYPES[target]
    branches = " ".join(
        f"WHEN '{source}' THEN {rule(f'TRY_CAST(y AS {source})', None)}"
        for (source, to), rule in CASTS.items()
        if to == target and source != UNKNOWN
    )
    # numerics of every DECIMAL width print as Spanner prints them (pg_numeric)
    other = "spanner_pg_numeric_text(y)" if target == "varchar" else f"CAST(y AS {duckdb_type})"
    return f"CREATE MACRO {_STORED_PREFIX}{target}(y) AS CASE typeof(y) {branches} ELSE {other} END"


def _binding_macro(target: str) -> str:
    # A macro's argument is copied wherever the body names it, and the rules name their value
    # several times: casts of casts would grow exponentially. The one-element list binds the
    # argument once to the lambda's `y` (a `let`). DuckDB refuses lambdas in stored
    # expressions (generated columns, defaults), which call the other macro (`stored`).
    return (
        f"CREATE MACRO {_PREFIX}{target}(x) AS "
        f"list_transform([x], lambda y: {_STORED_PREFIX}{target}(y))[1]"
    )


_PREFIX = "spanner_pg_cast_"
_STORED_PREFIX = "spanner_pg_cast_stored_"


def stored(sql: str) -> str:
    """DuckDB SQL for a stored expression (a default, a generated column): the cast macros
    without the lambda DuckDB refuses there."""
    return sql.replace(_PREFIX, _STORED_PREFIX)


# Persisted with database files, like the other macros (see functions.register).
MACROS: tuple[str, ...] = (
    *(_macro(t) for t in sorted(RUNTIME_TARGETS)),
    *(_binding_macro(t) for t in sorted(RUNTIME_TARGETS)),
    f"CREATE MACRO {_PREFIX}varchar_n(n, x) AS {_PREFIX}varchar(x)[1:n]",
    f"CREATE MACRO {_STORED_PREFIX}varchar_n(n, x) AS {_STORED_PREFIX}varchar(x)[1:n]",
)
