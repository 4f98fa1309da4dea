"""TIMESTAMP with Spanner's nanoseconds over Spanner's whole range (0001-01-01 to 9999-12-31).

DuckDB's TIMESTAMP/TIMESTAMPTZ keep microseconds, and its TIMESTAMP_NS (a 64-bit count of
nanoseconds) covers only 1677-2262. So a Spanner TIMESTAMP is stored as a DuckDB UHUGEINT: the
nanoseconds since 0001-01-01T00:00:00Z. Why this shape:

- One column, one value: keys, indexes, comparisons, ORDER BY, DISTINCT, GROUP BY, MIN/MAX,
  arrays and parameters work on the integer unchanged, and exactly. A hidden sub-microsecond
  column would have to follow every column reference through the translator.
- Unsigned, counted from year 1: every Spanner timestamp is >= 0, and UHUGEINT is a type no other
  Spanner value is stored as, so a result column of that type is known to be a TIMESTAMP (DuckDB
  type aliases do not survive expressions, so an alias of HUGEINT would not say so).
- The offset from the Unix epoch is a whole number of seconds, so `value % 1e9` is the
  nanosecond of the second, and floor division by a unit is floor division of Unix time.

Functions that need a calendar (EXTRACT, TIMESTAMP_TRUNC, FORMAT_TIMESTAMP, DATE) get the value
as a DuckDB TIMESTAMPTZ floored to the microsecond: truncating to a unit, or extracting a field
down to MICROSECOND, gives the same answer from the floored value, so nothing is lost. What is
pure arithmetic on nanoseconds (TIMESTAMP_ADD/SUB/DIFF, UNIX_*, TIMESTAMP_SECONDS/..., EXTRACT
NANOSECOND) is done on the integer. The rest of the translator never sees this: `rewrite_gsql`
turns GoogleSQL's timestamp expressions into calls of the macros below before sqlglot prints
DuckDB SQL, and the macros convert.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import duckdb
from sqlglot import exp

from .errors import FailedPrecondition, InvalidArgument
from .lexer import Tok

UTC = dt.timezone.utc
# Seconds from 0001-01-01T00:00:00Z to the Unix epoch.
EPOCH_OFFSET_SECONDS = 62135596800
NANOS = 1_000_000_000
EPOCH_OFFSET = EPOCH_OFFSET_SECONDS * NANOS
# 10000-01-01T00:00:00Z, one past Spanner's largest timestamp, in stored nanoseconds.
END = (253402300800 + EPOCH_OFFSET_SECONDS) * NANOS
MAX = END - 1
DUCKDB_TYPE = "UHUGEINT"
# The time zone Spanner uses where a statement names none (a database's default_time_zone
# option, which spanner-local does not offer, would change it).
DEFAULT_TIME_ZONE = "America/Los_Angeles"

_YEAR_ONE = dt.datetime(1, 1, 1, tzinfo=UTC)
_TS_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?"
    r"\s*(Z|z|UTC|[+-]\d{1,2}(?::?\d{2})?)?$"
)


# ---------------------------------------------------------------- Python side


def _checked(value: int, text: object) -> int:
    if not 0 <= value <= MAX:
        raise InvalidArgument(f"Timestamp is out of range: {text}")
    return value


def parse(text: str) -> int:
    """RFC 3339 (or Spanner's `YYYY-MM-DD HH:MM:SS[.fffffffff][zone]`) -> stored nanoseconds.

    Up to nine fractional digits, all kept; a missing zone is UTC. More digits are refused.
    """
    m = _TS_RE.match(text.strip())
    if not m:
        raise InvalidArgument(f"Invalid value for timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    offset = 0
    if zone and zone.upper() not in ("Z", "UTC"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        hours, minutes = (
            (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        )
        offset = sign * (hours * 3600 + minutes * 60)
    try:
        day_start = dt.datetime(int(year), int(month), int(day), tzinfo=UTC)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for timestamp: {text!r}") from exc
    h, mi, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h > 23 or mi > 59 or s > 59:
        raise InvalidArgument(f"Invalid value for timestamp: {text!r}")
    seconds = (day_start - _YEAR_ONE).days * 86400 + h * 3600 + mi * 60 + s - offset
    return _checked(seconds * NANOS + int((frac or "").ljust(9, "0")), text)


def from_datetime(value: dt.datetime) -> int:
    """An aware (or naive, taken as UTC) datetime -> stored nanoseconds; a
    `DatetimeWithNanoseconds` (the client library's) keeps its nanoseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _YEAR_ONE
    nanos = getattr(value, "nanosecond", 0) or value.microsecond * 1000
    return _checked((delta.days * 86400 + delta.seconds) * NANOS + nanos, value)


def format_rfc3339(value: int) -> str:
    """Stored nanoseconds -> Spanner's wire form: RFC 3339 in UTC, trailing zeros dropped."""
    seconds, nanos = divmod(value, NANOS)
    d = _YEAR_ONE + dt.timedelta(seconds=seconds)
    text = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def literal_sql(value: int) -> str:
    return f"CAST('{value}' AS {DUCKDB_TYPE})"


def pg_literal_sql(text: str) -> str:
    """A PostgreSQL timestamptz input string -> its stored value as DuckDB SQL, every digit kept."""
    try:
        return literal_sql(parse(text))
    except InvalidArgument:
        raise InvalidArgument(
            f'invalid input syntax for type timestamp with time zone: "{text}"'
        ) from None


def pg_token_sql(toks: list[Tok], at: int) -> tuple[str, int] | None:
    """PostgreSQL timestamp spellings at toks[at] -> (DuckDB SQL, tokens it replaces):
    `timestamptz '...'`, the bare keyword `current_timestamp`, and casts to `timestamp with
    time zone` (`timestamptz` is in translate's table of cast types)."""
    tok = toks[at]
    if tok.kind != "word":
        return None
    nxt = toks[at + 1] if at + 1 < len(toks) else None
    if tok.text.lower() == "current_timestamp" and (nxt is None or nxt.text != "("):
        return "spanner_ts_now()", 1
    tail = [t.text.lower() for t in toks[at + 1 : at + 4]]
    if (
        tok.text.lower() == "timestamp"
        and tail == ["with", "time", "zone"]
        and at > 0
        and (toks[at - 1].text == "::" or toks[at - 1].upper == "AS")
    ):
        return DUCKDB_TYPE, 4  # `::timestamp with time zone`, as SQLAlchemy writes its casts
    if tok.text.lower() == "timestamptz" and nxt is not None and nxt.kind == "str":
        if nxt.text.startswith("'") and (at == 0 or toks[at - 1].text != "::"):
            return pg_literal_sql(nxt.text[1:-1].replace("''", "'")), 2
    return None


# type names of typed literals (`timestamptz '...'`) that can be the left of `± interval`
TYPED_LITERAL_WORDS = frozenset({"TIMESTAMPTZ", "TIMESTAMP", "DATE"})
# keywords after which + or - is a sign, not an operator
_BEFORE_AN_OPERAND = frozenset(
    {"SELECT", "WHERE", "AND", "OR", "NOT", "THEN", "ELSE", "WHEN", "CASE", "ON", "BY", "AS",
     "IN", "IS", "HAVING", "RETURNING", "SET", "VALUES", "LIKE", "BETWEEN", "DISTINCT", "ALL",
     "ANY", "SOME", "LIMIT", "OFFSET"}
)  # fmt: skip


def pg_interval_op(
    toks: list[Tok],
    at: int,
    operand_end: Callable[[list[Tok], int], int],
    left_is_timestamp: bool = False,
) -> tuple[str, int] | None:
    """For `x + interval '...'` / `x - $1::interval` / `x + CAST(e AS interval)` when toks[at]
    is that + or -: the macro, and the last token of the interval operand. `left_is_timestamp`:
    the left operand is itself `ts ± interval` (which ends like an interval)."""
    if toks[at].text not in ("+", "-") or at + 2 >= len(toks) or at == 0:
        return None
    before = toks[at - 1]
    if before.kind == "op" and before.text not in (")", "]"):
        return None  # a unary sign: `-$1::interval`, `(+interval '1 day')`
    if before.kind == "word" and before.upper in _BEFORE_AN_OPERAND:
        return None  # a unary sign after a keyword: `SELECT -interval '1 day'`
    if not left_is_timestamp and (
        (before.upper == "INTERVAL" and toks[at - 2].text == "::")
        or (before.kind == "str" and toks[at - 2].upper == "INTERVAL")
    ):
        return None  # interval ± interval: DuckDB's own arithmetic
    macro = "spanner_ts_plus" if toks[at].text == "+" else "spanner_ts_minus"
    if toks[at + 1].upper == "INTERVAL" and toks[at + 2].kind == "str":
        return macro, at + 2
    if toks[at + 1].kind not in ("word", "op") or toks[at + 1].text in (")", ","):
        return None
    end = operand_end(toks, at + 1)
    if toks[end].upper == "INTERVAL" and toks[end - 1].text == "::":
        return macro, end  # a value cast to interval (a parameter: `$1::interval`)
    if (
        toks[at + 1].upper == "CAST"
        and toks[end].text == ")"
        and toks[end - 1].upper == "INTERVAL"
        and toks[end - 2].upper == "AS"
    ):
        return macro, end
    return None


def is_pg_at_time_zone(toks: list[Tok], at: int) -> bool:
    """Whether toks[at] starts `AT TIME ZONE` (its operand before, the zone after)."""
    return (
        toks[at].upper == "AT"
        and at + 3 < len(toks)
        and toks[at + 1].upper == "TIME"
        and toks[at + 2].upper == "ZONE"
    )


def pg_extract(toks: list[Tok], at: int) -> dict[int, str] | None:
    """`extract(field from x)` at toks[at] -> token replacements calling spanner_pg_extract."""
    if toks[at].upper != "EXTRACT" or at + 3 >= len(toks):
        return None
    if toks[at + 1].text != "(" or toks[at + 3].upper != "FROM":
        return None
    field = toks[at + 2].text.strip("'\"").lower()
    return {at: "spanner_pg_extract", at + 2: f"'{field}'", at + 3: ","}


# ---------------------------------------------------------------- DuckDB side

_US_OFFSET = EPOCH_OFFSET_SECONDS * 1_000_000
_OVERFLOW = "Timestamp overflow: the result is outside 0001-01-01 to 9999-12-31"
_SUB_MICROS = "FORMAT_TIMESTAMP cannot show the nanoseconds of a timestamp with this format element"

_PG_EXTRACT_NANOS = (
    "spanner-local cannot show the nanoseconds of this timestamptz in the extract field "
)

_PG_AT_ZONE_NANOS = (
    "spanner-local cannot show the nanoseconds of this timestamptz in a timestamp without time "
    "zone (AT TIME ZONE keeps microseconds)"
)

_PG_TO_CHAR_TYPES = "spanner-local formats timestamptz and date values with to_char, not "
_PG_TO_CHAR_NANOS = (
    "to_char cannot show the nanoseconds of this timestamptz with MS or US (it would cut them)"
)
_PG_DIFF_NANOS = (
    "spanner-local cannot subtract timestamptz values whose difference has nanoseconds "
    "(its intervals keep microseconds)"
)

# Persisted with database files (column defaults may use them); see functions.register.
# Each macro is created after the ones it calls.
MACROS = (
    # a HUGEINT count of nanoseconds -> stored, or Spanner's overflow error
    f"CREATE MACRO spanner_ts_check(v) AS CASE WHEN v < 0 OR v > {MAX} "
    f"THEN error('{_OVERFLOW}') ELSE CAST(v AS {DUCKDB_TYPE}) END",
    # stored nanoseconds -> TIMESTAMPTZ, floored to the microsecond
    "CREATE MACRO spanner_ts_us(n) AS "
    f"CAST(make_timestamp(CAST(n // 1000 AS BIGINT) - {_US_OFFSET}) AS TIMESTAMPTZ)",
    # CAST(x AS STRING): a timestamp as `YYYY-MM-DD HH:MM:SS[.fffffffff]+00`
    "CREATE MACRO spanner_ts_text(n) AS "
    "strftime(spanner_ts_us(n), '%Y-%m-%d %H:%M:%S') || CASE WHEN n % 1000000000 = 0 THEN '' "
    "ELSE '.' || rtrim(lpad(CAST(n % 1000000000 AS VARCHAR), 9, '0'), '0') END || '+00'",
    # the offset from UTC of zone z at stored nanoseconds n, as Spanner prints it: `+HH`, with
    # `:MM` (and `:SS`, for historic local mean times) only when they are not zero
    "CREATE MACRO spanner_ts_offset_s(n, z) AS "
    "CAST(epoch(timezone(z, spanner_ts_us(n))) - epoch(spanner_ts_us(n)) AS BIGINT)",
    "CREATE MACRO spanner_ts_offset(s) AS CASE WHEN s < 0 THEN '-' ELSE '+' END "
    "|| lpad(CAST(abs(s) // 3600 AS VARCHAR), 2, '0') "
    "|| CASE WHEN abs(s) % 3600 = 0 THEN '' "
    "ELSE ':' || lpad(CAST(abs(s) % 3600 // 60 AS VARCHAR), 2, '0') END "
    "|| CASE WHEN abs(s) % 60 = 0 THEN '' ELSE ':' || lpad(CAST(abs(s) % 60 AS VARCHAR), 2, '0') END",
    # a timestamp as text in zone z: `YYYY-MM-DD HH:MM:SS[.fffffffff]-08`, every digit kept
    "CREATE MACRO spanner_ts_text_in(n, z) AS "
    "strftime(timezone(z, spanner_ts_us(n)), '%Y-%m-%d %H:%M:%S') || CASE WHEN n % 1000000000 = 0 "
    "THEN '' ELSE '.' || rtrim(lpad(CAST(n % 1000000000 AS VARCHAR), 9, '0'), '0') END "
    "|| spanner_ts_offset(spanner_ts_offset_s(n, z))",
    # TIMESTAMP_ADD / TIMESTAMP_SUB, with ZetaSQL's words when the result leaves the range
    "CREATE MACRO spanner_ts_add(t, n, step, verb, words) AS CASE "
    f"WHEN CAST(t AS HUGEINT) + n * step NOT BETWEEN 0 AND {MAX} "
    "THEN error(verb || CAST(n AS VARCHAR) || words || spanner_ts_text(t) || ' causes overflow') "
    "ELSE CAST(CAST(t AS HUGEINT) + n * step AS UHUGEINT) END",
    # TIMESTAMPTZ (microseconds) -> stored nanoseconds
    f"CREATE MACRO spanner_ts_ns(t) AS spanner_ts_check(CAST(epoch_us(t) AS HUGEINT) * 1000 "
    f"+ {EPOCH_OFFSET})",
    # text with up to nine fractional digits -> stored nanoseconds, every digit kept
    "CREATE MACRO spanner_ts_parse(s) AS spanner_ts_check(CAST(spanner_ts_ns(CAST("
    r"regexp_replace(s, '(\.[0-9]{6})[0-9]{1,3}', '\1') AS TIMESTAMPTZ)) AS HUGEINT) "
    r"+ CAST(rpad(regexp_extract(s, '\.[0-9]{6}([0-9]{1,3})', 1), 3, '0') AS INTEGER))",
    # any value -> stored nanoseconds: a timestamp as is, text parsed, a DATE at midnight UTC
    "CREATE MACRO spanner_ts_from(x) AS CASE typeof(x) "
    f"WHEN '{DUCKDB_TYPE}' THEN TRY_CAST(x AS {DUCKDB_TYPE}) "
    "WHEN 'VARCHAR' THEN spanner_ts_parse(TRY_CAST(x AS VARCHAR)) "
    "ELSE spanner_ts_ns(TRY_CAST(x AS TIMESTAMPTZ)) END",
    # an argument of a function that takes a TIMESTAMP or a DATE -> TIMESTAMPTZ
    f"CREATE MACRO spanner_ts_in(x) AS CASE WHEN typeof(x) = '{DUCKDB_TYPE}' "
    f"THEN spanner_ts_us(TRY_CAST(x AS {DUCKDB_TYPE})) ELSE CAST(x AS TIMESTAMPTZ) END",
    # the same, refusing a value whose nanoseconds the function would drop
    f"CREATE MACRO spanner_ts_in_exact(x) AS CASE WHEN typeof(x) = '{DUCKDB_TYPE}' "
    f"AND TRY_CAST(x AS {DUCKDB_TYPE}) % 1000 <> 0 THEN error('{_SUB_MICROS}') "
    "ELSE spanner_ts_in(x) END",
    "CREATE MACRO spanner_ts_now() AS spanner_ts_ns(now())",
    # the digits below the microsecond of a timestamp (0 for a DATE)
    f"CREATE MACRO spanner_ts_sub_us(x) AS CASE WHEN typeof(x) = '{DUCKDB_TYPE}' "
    f"THEN CAST(TRY_CAST(x AS {DUCKDB_TYPE}) % 1000 AS HUGEINT) ELSE CAST(0 AS HUGEINT) END",
    # PostgreSQL: timestamptz +/- interval (the calendar on microseconds, the rest kept),
    # date_trunc, extract (fields that show fractions of a second refuse nanoseconds)
    "CREATE MACRO spanner_ts_plus(x, i) AS spanner_ts_check("
    "CAST(spanner_ts_ns(spanner_ts_in(x) + i) AS HUGEINT) + spanner_ts_sub_us(x))",
    "CREATE MACRO spanner_ts_minus(x, i) AS spanner_ts_check("
    "CAST(spanner_ts_ns(spanner_ts_in(x) - i) AS HUGEINT) + spanner_ts_sub_us(x))",
    # timestamptz - timestamptz: an interval of days and time (PostgreSQL's justify_hours),
    # which keeps microseconds: a difference with nanoseconds is refused, not cut
    "CREATE MACRO spanner_pg_ts_diff(a, b) AS CASE "
    "WHEN (CAST(a AS HUGEINT) - CAST(b AS HUGEINT)) % 1000 <> 0 "
    f"THEN error('{_PG_DIFF_NANOS}') ELSE to_days(CAST((CAST(a AS HUGEINT) - CAST(b AS HUGEINT)) "
    f"// {86400 * NANOS} AS INTEGER)) + to_microseconds(CAST((CAST(a AS HUGEINT) "
    f"- CAST(b AS HUGEINT)) % {86400 * NANOS} // 1000 AS BIGINT)) END",
    # to_char(timestamptz, format): the wall-clock time in the default time zone, as a
    # TIMESTAMP for strftime; `exact` refuses a value whose nanoseconds the format would cut
    f"CREATE MACRO spanner_pg_wall(x, exact) AS CASE WHEN typeof(x) NOT IN ('{DUCKDB_TYPE}', "
    f"'DATE') THEN error('{_PG_TO_CHAR_TYPES}' || typeof(x)) "
    f"WHEN exact AND spanner_ts_sub_us(x) <> 0 THEN error('{_PG_TO_CHAR_NANOS}') "
    "WHEN typeof(x) = 'DATE' THEN CAST(TRY_CAST(x AS DATE) AS TIMESTAMP) "
    f"ELSE timezone('{DEFAULT_TIME_ZONE}', spanner_ts_in(x)) END",
    "CREATE MACRO spanner_pg_date_trunc(f, x) AS spanner_ts_ns(date_trunc(f, spanner_ts_in(x)))",
    "CREATE MACRO spanner_pg_extract(f, x) AS CASE WHEN lower(f) IN "
    "('second', 'seconds', 'epoch', 'microseconds', 'microsecond', 'milliseconds', 'millisecond') "
    f"AND spanner_ts_sub_us(x) <> 0 THEN error('{_PG_EXTRACT_NANOS}' || f) "
    "ELSE date_part(f, spanner_ts_in(x)) END",
    # x AT TIME ZONE z: the wall-clock time in z, a timestamp without time zone, which keeps
    # microseconds (as PostgreSQL's does), so a value with more digits is refused, not cut
    "CREATE MACRO spanner_pg_at_zone(x, z) AS CASE WHEN spanner_ts_sub_us(x) <> 0 "
    f"THEN error('{_PG_AT_ZONE_NANOS}') ELSE timezone(z, spanner_ts_in(x)) END",
    # text with up to nine fractional digits, a wall-clock time in zone z (an offset written in
    # the text wins) -> stored nanoseconds, every digit kept
    "CREATE MACRO spanner_ts_parse_in(s, z) AS CASE WHEN regexp_matches(s, "
    r"'[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]*)?)?\s*([zZ]|UTC|[+-][0-9]{1,2}(:?[0-9]{2})?)$') "
    "THEN spanner_ts_parse(s) ELSE spanner_ts_check(CAST(spanner_ts_ns(timezone(z, CAST("
    r"regexp_replace(s, '(\.[0-9]{6})[0-9]{1,3}', '\1') AS TIMESTAMP))) AS HUGEINT) "
    r"+ CAST(rpad(regexp_extract(s, '\.[0-9]{6}([0-9]{1,3})', 1), 3, '0') AS INTEGER)) END",
    # the digits of a fraction of a second -> nanoseconds; more than nine are refused
    "CREATE MACRO spanner_ts_fraction(d) AS CASE WHEN length(d) > 9 "
    "THEN error('PARSE_TIMESTAMP: more than nine fractional digits in ' || d) "
    "WHEN d = '' THEN CAST(0 AS HUGEINT) ELSE CAST(rpad(d, 9, '0') AS HUGEINT) END",
    # TIMESTAMP(x, zone): text as a wall-clock time in the zone, a DATE as its midnight there
    "CREATE MACRO spanner_ts_from_in(x, z) AS CASE typeof(x) "
    "WHEN 'VARCHAR' THEN spanner_ts_parse_in(TRY_CAST(x AS VARCHAR), z) "
    "ELSE spanner_ts_ns(timezone(z, CAST(TRY_CAST(x AS DATE) AS TIMESTAMP))) END",
    # STRING(x, zone) and CAST(x AS STRING) (in the default time zone)
    f"CREATE MACRO spanner_to_text_in(x, z) AS CASE WHEN typeof(x) = '{DUCKDB_TYPE}' "
    f"THEN spanner_ts_text_in(TRY_CAST(x AS {DUCKDB_TYPE}), z) ELSE CAST(x AS VARCHAR) END",
    # GENERATE_TIMESTAMP_ARRAY over stored nanoseconds: start, start + step, ... up to end
    "CREATE MACRO spanner_ts_array(a, b, step) AS CASE WHEN step = 0 "
    "THEN error('Sequence step cannot be 0.') ELSE list_transform(range(0, CASE "
    "WHEN (step > 0 AND b < a) OR (step < 0 AND b > a) THEN 0 ELSE CAST(("
    "CAST(b AS HUGEINT) - CAST(a AS HUGEINT)) // step + 1 AS BIGINT) END), "
    f"lambda i: CAST(CAST(a AS HUGEINT) + i * step AS {DUCKDB_TYPE})) END",
    # CAST(x AS STRING): a timestamp in the default time zone, as Spanner prints it
    f"CREATE MACRO spanner_to_text(x) AS spanner_to_text_in(x, '{DEFAULT_TIME_ZONE}')",
)

# GoogleSQL's fixed-length date parts, in nanoseconds (TIMESTAMP_ADD/SUB/DIFF accept these).
UNIT_NANOS: dict[str, int] = {
    "NANOSECOND": 1,
    "MICROSECOND": 1_000,
    "MILLISECOND": 1_000_000,
    "SECOND": NANOS,
    "MINUTE": 60 * NANOS,
    "HOUR": 3600 * NANOS,
    "DAY": 86400 * NANOS,
}
# UNIX_* functions and TIMESTAMP_SECONDS/MILLIS/MICROS (sqlglot's scale: digits after seconds).
_UNIX_UNITS: dict[type[exp.Expression], int] = {
    exp.UnixSeconds: NANOS,
    exp.UnixMillis: 1_000_000,
    exp.UnixMicros: 1_000,
}
_SUBSECOND = {"NANOSECOND": 1, "MICROSECOND": 1_000, "MILLISECOND": 1_000_000}
_SCALE_NANOS = {None: NANOS, 0: NANOS, 3: 1_000_000, 6: 1_000, 9: 1}


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _cast(node: exp.Expression, to: str) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build(to, dialect="duckdb"))


def _int(value: int) -> exp.Expression:
    return _cast(exp.Literal.string(str(value)), "HUGEINT")


def _stored(value: int) -> exp.Expression:
    return _cast(exp.Literal.string(str(value)), DUCKDB_TYPE)


def _unit(node: exp.Expression, fn: str) -> int:
    unit = node.args.get("unit")
    name = (unit.name if unit is not None else "").upper()
    if name not in UNIT_NANOS:
        raise InvalidArgument(f"Unsupported date part {name} in function {fn}")
    return UNIT_NANOS[name]


def _is_ts_type(to: exp.DataType) -> bool:
    return to.this in (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMP)


def _operand(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    """A timestamp operand as stored nanoseconds: a string literal is parsed here, exactly."""
    if isinstance(node, exp.Literal) and node.is_string:
        return _stored(parse(node.this))
    return _call("spanner_ts_from", recurse(node))


def rewrite_gsql(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    """The DuckDB form of one GoogleSQL timestamp expression, or None when `node` is not one.

    `recurse` translates a reused child: sqlglot does not visit the children of a replaced node.
    """
    rule = _RULES.get(type(node))
    return rule(node, recurse) if rule is not None else None


def _r_cast(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    to = node.args["to"]
    inner = node.this
    if _is_ts_type(to):
        return _operand(inner, recurse)
    if to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR) and not isinstance(
        inner, exp.Literal
    ):
        return _call("spanner_to_text", recurse(inner))
    if to.this == exp.DataType.Type.DATE and not isinstance(inner, exp.Literal):
        return _cast(_call("spanner_ts_in", recurse(inner)), "DATE")
    return None


def _r_timestamp(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    zone = node.args.get("zone") or node.expression
    if zone is None:
        return _operand(node.this, recurse)
    # TIMESTAMP(text, zone) / TIMESTAMP(date, zone): the wall-clock time in that zone
    return _call("spanner_ts_from_in", recurse(node.this), recurse(zone))


def _r_add(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression], sign: int = 1
) -> exp.Expression:
    fn = "TIMESTAMP_ADD" if sign > 0 else "TIMESTAMP_SUB"
    step = _unit(node, fn)
    unit = node.args["unit"].name.upper()
    words = f" {unit} to timestamp " if sign > 0 else f" {unit} from timestamp "
    return _call(
        "spanner_ts_add",
        _operand(node.this, recurse),
        _cast(recurse(node.expression), "HUGEINT"),
        _int(step * sign),
        exp.Literal.string("Adding " if sign > 0 else "Subtracting "),
        exp.Literal.string(words),
    )


def _r_sub(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    return _r_add(node, recurse, -1)


def _r_diff(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    step = _unit(node, "TIMESTAMP_DIFF")
    diff = exp.Sub(
        this=_cast(_operand(node.this, recurse), "HUGEINT"),
        expression=_cast(_operand(node.expression, recurse), "HUGEINT"),
    )
    # DuckDB's integer `//` truncates toward zero, as TIMESTAMP_DIFF does
    return _cast(exp.IntDiv(this=exp.Paren(this=diff), expression=_int(step)), "BIGINT")


def _r_trunc(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    unit = node.args.get("unit")
    name = (unit.name if unit is not None else "").upper()
    value = _operand(node.this, recurse)
    if name == "NANOSECOND":
        return value
    if name == "MICROSECOND":
        exact = _cast(value, "HUGEINT")
        floor = exp.Sub(this=exact, expression=exp.Mod(this=exact.copy(), expression=_int(1000)))
        return _call("spanner_ts_check", exp.Paren(this=floor))
    trunc = node.copy()
    trunc.set("this", _call("spanner_ts_us", value))
    if trunc.args.get("zone") is not None:
        trunc.set("zone", recurse(trunc.args["zone"]))
    return _call("spanner_ts_ns", trunc)


def _r_extract(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    part = node.this.name.upper() if node.this is not None else ""
    if part in _SUBSECOND:
        # the fraction of the second, from the integer (DuckDB's MICROSECOND counts the seconds
        # too); arithmetic on HUGEINT: DuckDB mixes UHUGEINT with HUGEINT as DOUBLE
        value = _cast(_operand(node.expression, recurse), "HUGEINT")
        fraction = exp.Paren(this=exp.Mod(this=value, expression=_int(NANOS)))
        return _cast(exp.IntDiv(this=fraction, expression=_int(_SUBSECOND[part])), "BIGINT")
    out = node.copy()
    out.set("expression", _call("spanner_ts_in", recurse(node.expression)))
    return out


def _r_format(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    fmt = node.args.get("format")
    text = fmt.this if isinstance(fmt, exp.Literal) else ""
    # %E*S / %E<n>S / %N show digits below the microsecond: refuse where they would be lost
    wrapper = (
        "spanner_ts_in_exact" if ("%E" in text or "%N" in text or not text) else "spanner_ts_in"
    )
    ts = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
    node.set("this", _call(wrapper, ts))
    return None  # translate._fix_types finishes it (and visits the children)


def _r_date(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    if node.expressions or node.args.get("zone") is not None:
        return None
    if isinstance(node.this, exp.Literal):
        return None
    return _cast(_call("spanner_ts_in", recurse(node.this)), "DATE")


def _r_unix(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    step = _UNIX_UNITS.get(type(node), 1)
    value = _operand(
        node.this if not isinstance(node, exp.Anonymous) else node.expressions[0], recurse
    )
    # the offset is whole seconds: floor of stored nanoseconds is floor of Unix time
    since = exp.Sub(
        this=exp.IntDiv(this=_cast(value, "HUGEINT"), expression=_int(step)),
        expression=_int(EPOCH_OFFSET // step),
    )
    return _cast(exp.Paren(this=since), "BIGINT")


def _r_from_unix(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    scale = node.args.get("scale")
    digits = int(scale.this) if isinstance(scale, exp.Literal) else None
    if digits not in _SCALE_NANOS or node.args.get("zone") is not None:
        return None
    step = _SCALE_NANOS[digits]
    total = exp.Add(
        this=exp.Mul(this=_cast(recurse(node.this), "HUGEINT"), expression=_int(step)),
        expression=_int(EPOCH_OFFSET),
    )
    return _call("spanner_ts_check", exp.Paren(this=total))


def _r_current(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    return _call("spanner_ts_ns", exp.CurrentTimestamp())


def _r_anonymous(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    name = str(node.this).upper()
    if name == "UNIX_NANOS" and len(node.expressions) == 1:
        return _r_unix(node, recurse)
    return None


def _r_string(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    zone = node.args.get("zone")
    if zone is None:
        return _call("spanner_to_text", recurse(node.this))
    return _call("spanner_to_text_in", recurse(node.this), recurse(zone))


# PARSE_TIMESTAMP's format elements that stand for others DuckDB's strptime knows.
_FORMAT_SHORTHANDS = {"%F": "%Y-%m-%d", "%T": "%H:%M:%S", "%R": "%H:%M", "%D": "%m/%d/%y"}
# Seconds with a fraction of any length (%E*S) or of n digits (%E<n>S).
_FRACTION_ELEMENT = re.compile(r"%E(\*|\d)S")
_YEAR_ELEMENTS = ("%Y", "%y", "%C", "%G", "%g")
_ZONE_ELEMENTS = ("%z", "%Z", "%Ez")


def _r_parse(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    """PARSE_TIMESTAMP(format, text[, zone]) -> stored nanoseconds, every fractional digit kept,
    the text read in the zone (the default time zone without one) unless it has an offset."""
    fmt = node.args.get("format")
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise InvalidArgument("spanner-local needs PARSE_TIMESTAMP's format as a string literal")
    text = fmt.this
    for short, full in _FORMAT_SHORTHANDS.items():
        text = text.replace(short, full)
    value = recurse(node.this)
    nanos: exp.Expression = _int(0)
    fractions = list(_FRACTION_ELEMENT.finditer(text))
    if len(fractions) > 1:
        raise InvalidArgument("PARSE_TIMESTAMP format has more than one seconds element")
    if fractions:
        at = fractions[0].start()
        sep = text[at - 1] if at > 0 and (at < 2 or text[at - 2] != "%") else ""
        if not sep or sep == "%":
            raise InvalidArgument(
                "spanner-local reads %E*S in PARSE_TIMESTAMP only after a literal separator "
                "(as in %H:%M:%E*S)"
            )
        # the last `<sep>SS.digits` of the text: its digits are the fraction of the second
        pattern = exp.Literal.string("^(.*" + re.escape(sep) + "[0-9]{1,2})[.]([0-9]+)")
        digits = _call("regexp_extract", value.copy(), pattern, exp.Literal.number(2))
        nanos = _call("spanner_ts_fraction", digits)
        value = _call("regexp_replace", value, pattern.copy(), exp.Literal.string("\\1"))
        text = _FRACTION_ELEMENT.sub("%S", text)
    if not any(element in text for element in _YEAR_ELEMENTS):  # GoogleSQL's default year
        value = exp.DPipe(this=exp.Literal.string("1970 "), expression=value)
        text = "%Y " + text
    parsed = _call("strptime", value, exp.Literal.string(text))
    if any(element in text for element in _ZONE_ELEMENTS):
        moment = _cast(parsed, "TIMESTAMPTZ")
    else:
        zone = node.args.get("zone")
        zone = recurse(zone) if zone is not None else exp.Literal.string(DEFAULT_TIME_ZONE)
        moment = _call("timezone", zone, parsed)
    exact = exp.Add(this=_cast(_call("spanner_ts_ns", moment), "HUGEINT"), expression=nanos)
    return _call("spanner_ts_check", exact)


def _r_generate_array(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    """GENERATE_TIMESTAMP_ARRAY(start, end, INTERVAL n unit) on stored nanoseconds, exactly."""
    step = node.args.get("step")
    if not isinstance(step, exp.Interval):
        raise InvalidArgument(
            "GENERATE_TIMESTAMP_ARRAY needs an INTERVAL step (INTERVAL n unit) in spanner-local"
        )
    unit = step.args.get("unit")
    name = (unit.name if unit is not None else "").upper()
    if name not in UNIT_NANOS:
        raise InvalidArgument(
            f"Unsupported date part {name} in function GENERATE_TIMESTAMP_ARRAY; the step must "
            "be NANOSECOND, MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR or DAY"
        )
    count = step.this
    count = exp.Literal.number(count.this) if isinstance(count, exp.Literal) else recurse(count)
    nanos = exp.Mul(this=_cast(count, "HUGEINT"), expression=_int(UNIT_NANOS[name]))
    return _call(
        "spanner_ts_array",
        _operand(node.args["start"], recurse),
        _operand(node.args["end"], recurse),
        exp.Paren(this=nanos),
    )


def _r_type(
    node: exp.Expression, recurse: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression | None:
    # a TIMESTAMP inside ARRAY<...> or STRUCT<...> (casts to TIMESTAMP itself are rules above)
    if isinstance(node, exp.DataType) and _is_ts_type(node):
        return exp.DataType.build(DUCKDB_TYPE, dialect="duckdb")
    return None


_RULES: dict[type[exp.Expression], Callable[..., exp.Expression | None]] = {
    exp.Cast: _r_cast,
    exp.Timestamp: _r_timestamp,
    exp.TimestampAdd: _r_add,
    exp.TimestampSub: _r_sub,
    exp.TimestampDiff: _r_diff,
    exp.TimestampTrunc: _r_trunc,
    exp.Extract: _r_extract,
    exp.TimeToStr: _r_format,
    exp.Date: _r_date,
    exp.UnixSeconds: _r_unix,
    exp.UnixMillis: _r_unix,
    exp.UnixMicros: _r_unix,
    exp.UnixToTime: _r_from_unix,
    exp.CurrentTimestamp: _r_current,
    exp.Anonymous: _r_anonymous,
    exp.String: _r_string,
    exp.GenerateTimestampArray: _r_generate_array,
    exp.StrToTime: _r_parse,
    exp.DataType: _r_type,
}


def check_stored_columns(conn: duckdb.DuckDBPyConnection, database: str) -> None:
    """A database file written before TIMESTAMP kept nanoseconds stores it as TIMESTAMPTZ:
    refuse to open it, rather than mix microsecond and nanosecond columns."""
    old = conn.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal "
        "AND database_name = current_database() AND schema_name = 'main' "
        "AND data_type LIKE 'TIMESTAMP WITH TIME ZONE%'"
    ).fetchall()
    if old:
        columns = ", ".join(f"{t}.{c}" for t, c in old)
        raise FailedPrecondition(
            f"Database {database} was written by an older spanner-local that stored TIMESTAMP "
            f"columns with microseconds ({columns}); this version stores nanoseconds and cannot "
            "open it. Recreate the database (drop its files in the data directory)."
        )


def commit_timestamp_sql(param: str) -> str:
    """The DuckDB form of the pending commit timestamp's parameter (bound as stored nanos)."""
    return f"CAST(${param} AS {DUCKDB_TYPE})"
