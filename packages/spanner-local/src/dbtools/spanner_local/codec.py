"""Spanner wire values (google.protobuf.Value) <-> Python values <-> DuckDB.

Pure functions: no I/O. Decoders turn request values (params, mutations, keys) into the Python
objects DuckDB binds; setters write Python values fetched from DuckDB into result protobufs.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import functools
import json
import math
import re
from collections.abc import Callable
from typing import Any

from . import intervals, protos, timestamps
from .errors import InvalidArgument
from .typemap import (
    DUCKDB_RESULT_TYPES,
    EMPTY_STRUCT_FIELD,
    POSTGRESQL,
    SType,
    annotate_for_dialect,
)

UTC = dt.timezone.utc
COMMIT_TIMESTAMP_SENTINEL = "spanner.commit_timestamp()"

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|z|[+-]\d{2}:\d{2})?$"
)


class CommitTimestamp:
    """Placeholder for `spanner.commit_timestamp()`: replaced by the commit timestamp."""

    def __repr__(self) -> str:
        return "CommitTimestamp()"


COMMIT_TIMESTAMP = CommitTimestamp()


# ---------------------------------------------------------------- timestamps


def parse_timestamp(text: str) -> dt.datetime:
    """RFC 3339 with up to nine fractional digits -> aware UTC datetime (microseconds kept)."""
    m = _TS_RE.match(text.strip())
    if not m:
        raise InvalidArgument(f"Invalid value for timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micros = int((frac or "").ljust(6, "0")[:6])
    tz = UTC
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        value = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz
        )
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for timestamp: {text!r}") from exc
    return value.astimezone(UTC)


def format_timestamp(value: dt.datetime) -> str:
    """Aware or naive (taken as UTC) datetime -> Spanner's RFC 3339 form, trailing zeros dropped."""
    offset = value.utcoffset()
    if offset:
        value = value.astimezone(UTC)
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def timestamp_to_pb(value: dt.datetime) -> protos.Timestamp:
    ts = protos.Timestamp()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    epoch = dt.datetime(1970, 1, 1, tzinfo=UTC)
    delta = value - epoch
    ts.seconds = delta.days * 86400 + delta.seconds
    ts.nanos = delta.microseconds * 1000
    return ts


def timestamp_from_pb(ts: protos.Timestamp) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(
        seconds=ts.seconds, microseconds=ts.nanos // 1000
    )


# ---------------------------------------------------------------- numbers and JSON


# DuckDB's DECIMAL has no NaN, which PostgreSQL numeric has: PostgreSQL-dialect databases store
# it as the largest DECIMAL(38, 9), which also sorts and compares as PostgreSQL's NaN does
# (equal to itself, greater than every number).
PG_NUMERIC_NAN = decimal.Decimal("99999999999999999999999999999.999999999")
PG_NUMERIC_NAN_SQL = f"CAST('{PG_NUMERIC_NAN}' AS DECIMAL(38,9))"


def format_numeric(value: decimal.Decimal) -> str:
    """Spanner prints NUMERIC without exponent and without trailing fractional zeros."""
    if not value.is_finite():
        return "NaN" if value.is_nan() else str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def _json_number(text: str) -> Any:
    return _RawNumber(text)


class _RawNumber(str):
    """A JSON number kept as written, so that normalising JSON never changes its digits."""


def _dump_json(value: Any, pg: bool) -> str:
    if isinstance(value, dict):
        keys = sorted(value, key=(lambda k: (len(k.encode()), k.encode())) if pg else None)
        sep = ", " if pg else ","
        colon = ": " if pg else ":"
        inner = sep.join(
            json.dumps(k, ensure_ascii=False) + colon + _dump_json(value[k], pg) for k in keys
        )
        return "{" + inner + "}"
    if isinstance(value, list):
        sep = ", " if pg else ","
        return "[" + sep.join(_dump_json(v, pg) for v in value) + "]"
    if isinstance(value, _RawNumber):
        return _jsonb_number(value) if pg else str(value)
    return json.dumps(value, ensure_ascii=False)


def _jsonb_number(text: str) -> str:
    """A jsonb number as PostgreSQL's numeric prints it: no exponent, the input's fractional
    digits kept (`1.50`, `1e2` -> `100`), and no negative zero."""
    number = decimal.Decimal(text)
    return format(number.copy_abs() if number.is_zero() else number, "f")


def normalize_json(text: str, pg: bool) -> str:
    """Canonical JSON text as Spanner returns it (JSONB key order and spacing for PostgreSQL)."""
    try:
        parsed = json.loads(text, parse_float=_json_number, parse_int=_json_number)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid JSON value: {text[:100]!r}: {exc}") from exc
    return _dump_json(parsed, pg)


# ---------------------------------------------------------------- request values -> Python


def _kind(value: protos.Value) -> str:
    return value.WhichOneof("kind") or "null_value"


def _dec_int(value: protos.Value) -> int:
    kind = _kind(value)
    if kind == "string_value":
        try:
            return int(value.string_value)
        except ValueError as exc:
            raise InvalidArgument(f"Invalid value for INT64: {value.string_value!r}") from exc
    if kind == "number_value" and float(value.number_value).is_integer():
        return int(value.number_value)
    raise InvalidArgument(f"Invalid value for INT64: expected a string, got {kind}")


def _dec_float(value: protos.Value) -> float:
    kind = _kind(value)
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if value.string_value in special:
            return special[value.string_value]
        try:
            return float(value.string_value)
        except ValueError:
            pass
    raise InvalidArgument(f"Invalid value for FLOAT64: {_short(value)}")


def _dec_bool(value: protos.Value) -> bool:
    if _kind(value) == "bool_value":
        return value.bool_value
    raise InvalidArgument(f"Invalid value for BOOL: {_short(value)}")


def _dec_string(value: protos.Value) -> str:
    if _kind(value) == "string_value":
        return value.string_value
    raise InvalidArgument(f"Invalid value for STRING: {_short(value)}")


def _dec_bytes(value: protos.Value) -> bytes:
    text = _dec_string(value)
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for BYTES: {text[:50]!r} is not base64") from exc


def _dec_date(value: protos.Value) -> dt.date:
    text = _dec_string(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for DATE: {text!r}") from exc


def _dec_timestamp(value: protos.Value) -> Any:
    text = _dec_string(value)
    if text == COMMIT_TIMESTAMP_SENTINEL:
        return COMMIT_TIMESTAMP
    return timestamps.parse(text)


NUMERIC_INTEGER_DIGITS = 29
NUMERIC_SCALE = 9


def numeric_fits(number: decimal.Decimal) -> bool:
    """Whether `number` is exactly a NUMERIC(38, 9) value (at most 29 + 9 digits)."""
    if not number.is_finite():
        return False
    # as_tuple, not normalize(): normalize rounds to the context's 28 digits
    _, digit_tuple, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    digits = list(digit_tuple)
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    if digits == [0]:
        return True
    scale = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    return scale <= NUMERIC_SCALE and integer_digits <= NUMERIC_INTEGER_DIGITS


def _dec_numeric(value: protos.Value) -> decimal.Decimal:
    text = _dec_string(value) if _kind(value) == "string_value" else repr(_dec_float(value))
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation as exc:
        raise InvalidArgument(f"Invalid value for NUMERIC: {abbreviate_number(text)!r}") from exc
    return number


class NumericRangeError(InvalidArgument):
    """A NUMERIC value that cannot be stored exactly (not a value of the wrong type)."""


def abbreviate_number(text: str) -> str:
    """A number as an error message quotes it: whole when short, else its ends and its length
    (gRPC refuses a status message over 16 KB, and a PostgreSQL numeric may have 147,455
    digits)."""
    if len(text) <= 60:
        return text
    return f"{text[:30]}...{text[-12:]} ({len(text)} characters)"


def _check_numeric(number: decimal.Decimal, pg: bool) -> decimal.Decimal:
    """NUMERIC values are stored as DECIMAL(38, 9): one that does not fit is refused, never
    rounded. GoogleSQL's NUMERIC has exactly that range; the PostgreSQL dialect's is wider in
    Cloud Spanner, which spanner-local does not reproduce (see its README)."""
    if numeric_fits(number):
        return number
    text = abbreviate_number(format(number, "f"))
    if pg:
        raise NumericRangeError(
            f"numeric value {text} cannot be stored exactly by spanner-local, which keeps at most "
            f"{NUMERIC_INTEGER_DIGITS} digits before and {NUMERIC_SCALE} after the decimal point"
        )
    raise NumericRangeError(
        f"Invalid NUMERIC value: {text}. NUMERIC has a precision of 38 and a scale of 9: at most "
        f"{NUMERIC_INTEGER_DIGITS} digits before and {NUMERIC_SCALE} after the decimal point."
    )


def _dec_json(value: protos.Value) -> str:
    text = _dec_string(value)
    normalize_json(text, pg=False)  # validates
    return text


_DECODERS: dict[str, Callable[[protos.Value], Any]] = {
    "INT64": _dec_int,
    "FLOAT64": _dec_float,
    "FLOAT32": _dec_float,
    "BOOL": _dec_bool,
    "STRING": _dec_string,
    "BYTES": _dec_bytes,
    "DATE": _dec_date,
    "TIMESTAMP": _dec_timestamp,
    "NUMERIC": _dec_numeric,
    "JSON": _dec_json,
    "UUID": _dec_string,
    "INTERVAL": lambda v: intervals.duckdb_value(_dec_string(v)),
    # a proto message travels serialized (base64, as BYTES do), an enum as its number
    "PROTO": _dec_bytes,
    "ENUM": _dec_int,
}


def _short(value: protos.Value) -> str:
    return str(value).strip().replace("\n", " ")[:80]


def decode(value: protos.Value, stype: SType) -> Any:
    """A request value of type `stype` -> the Python object bound into DuckDB."""
    if _kind(value) == "null_value":
        return None
    if stype.code == "ARRAY":
        if _kind(value) != "list_value":
            raise InvalidArgument(f"Invalid value for ARRAY: {_short(value)}")
        assert stype.element is not None
        return [decode(v, stype.element) for v in value.list_value.values]
    if stype.code == "STRUCT":
        if _kind(value) != "list_value":
            raise InvalidArgument(f"Invalid value for STRUCT: {_short(value)}")
        if not stype.fields and not value.list_value.values:
            return {EMPTY_STRUCT_FIELD: None}
        if len(value.list_value.values) != len(stype.fields):
            raise InvalidArgument(
                f"Invalid value for STRUCT: {len(stype.fields)} fields expected, "
                f"{len(value.list_value.values)} given"
            )
        return {
            key: decode(v, ftype)
            for key, (_, ftype), v in zip(
                stype.field_keys, stype.fields, value.list_value.values, strict=True
            )
        }
    decoder = _DECODERS.get(stype.code)
    if decoder is None:
        raise InvalidArgument(f"Unsupported parameter type {stype.code}")
    result = decoder(value)
    if stype.code == "NUMERIC":
        if stype.annotation == "PG_NUMERIC" and result.is_nan():
            return PG_NUMERIC_NAN
        return _check_numeric(result, stype.annotation == "PG_NUMERIC")
    if stype.code == "JSON" and stype.annotation == "PG_JSONB":
        # stored as jsonb stores it, so that values compare equal whatever their spelling
        return normalize_json(result, pg=True)
    return result


def infer_type(value: protos.Value) -> SType:
    """The type Spanner gives an untyped parameter, judged from its wire form."""
    kind = _kind(value)
    if kind == "bool_value":
        return SType("BOOL")
    if kind == "number_value":
        return SType("FLOAT64")
    if kind == "list_value":
        items = [v for v in value.list_value.values if _kind(v) != "null_value"]
        return SType("ARRAY", element=infer_type(items[0]) if items else SType("STRING"))
    return SType("STRING")


def decode_untyped(value: protos.Value) -> Any:
    """Untyped parameter: strings stay strings (DuckDB coerces them by context)."""
    kind = _kind(value)
    if kind == "null_value":
        return None
    if kind == "list_value":
        return [decode_untyped(v) for v in value.list_value.values]
    return getattr(value, kind)


# ---------------------------------------------------------------- Python (from DuckDB) -> result values

Setter = Callable[[protos.Value, Any], None]
# Most types are spelled as a string_value: the text of a (non-NULL) value. The wire encoder
# writes these same texts straight as bytes (see wire), so this table is the one place that
# decides how such a value is spelled.
Speller = Callable[[Any], str]


def int_text(v: Any) -> str:
    return str(int(v))


def string_text(v: Any) -> str:
    return v if isinstance(v, str) else str(v)


def bytes_text(v: Any) -> str:
    if isinstance(v, str):
        v = v.encode()
    return base64.b64encode(bytes(v)).decode("ascii")


def date_text(v: Any) -> str:
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def timestamp_text(v: Any) -> str:
    if isinstance(v, int):
        return timestamps.format_rfc3339(v)  # a stored TIMESTAMP (nanoseconds)
    if isinstance(v, dt.datetime):
        return format_timestamp(v)
    if isinstance(v, dt.date):
        return format_timestamp(dt.datetime(v.year, v.month, v.day, tzinfo=UTC))
    return str(v)


_DUCKDB_INTERVAL = re.compile(
    r"^(?:(-?\d+) years? ?)?(?:(-?\d+) (?:months?|mons?) ?)?(?:(-?\d+) days? ?)?"
    r"(?:(-)?(\d+):(\d+):(\d+)(?:\.(\d+))?)?$"
)


def interval_iso(text: str) -> str:
    """DuckDB's interval text (`1 year 2 months 3 days 04:05:06.5`) -> Spanner's ISO 8601 form
    (`P1Y2M3DT4H5M6.5S`), each part with its own sign as Spanner keeps them."""
    m = _DUCKDB_INTERVAL.match(text.strip())
    if m is None:
        raise ValueError(f"unrecognized interval {text!r}")
    years, months, days, neg, hours, minutes, seconds, frac = m.groups()
    sign = "-" if neg else ""
    date = "".join(
        f"{int(v)}{unit}" for v, unit in ((years, "Y"), (months, "M"), (days, "D")) if v and int(v)
    )
    clock = ""
    if hours and int(hours):
        clock += f"{sign}{int(hours)}H"
    if minutes and int(minutes):
        clock += f"{sign}{int(minutes)}M"
    frac = (frac or "").rstrip("0")
    if (seconds and int(seconds)) or frac:
        clock += f"{sign}{int(seconds or 0)}{'.' + frac if frac else ''}S"
    text = date + ("T" + clock if clock else "")
    return f"P{text}" if text else "P0Y"


def interval_text(v: Any) -> str:
    # interval results are fetched as DuckDB's text form (see executor.run_sql)
    return interval_iso(str(v))


def numeric_text(v: Any) -> str:
    if not isinstance(v, decimal.Decimal):
        v = decimal.Decimal(str(v))
    return format_numeric(v)


def pg_numeric_text(v: Any) -> str:
    if isinstance(v, decimal.Decimal) and v == PG_NUMERIC_NAN:
        return "NaN"
    return numeric_text(v)


def json_text(v: Any) -> str:
    return normalize_json(v if isinstance(v, str) else json.dumps(v), pg=False)


def jsonb_text(v: Any) -> str:
    return normalize_json(v if isinstance(v, str) else json.dumps(v), pg=True)


_SPELLERS: dict[str, Speller] = {
    "INT64": int_text,
    "STRING": string_text,
    "BYTES": bytes_text,
    "DATE": date_text,
    "TIMESTAMP": timestamp_text,
    "NUMERIC": numeric_text,
    "JSON": json_text,
    "UUID": string_text,
    "INTERVAL": interval_text,
    "PROTO": bytes_text,
    "ENUM": int_text,
}
# Types whose annotation changes the spelling (others, such as PG_OID, spell as their code).
_ANNOTATED_SPELLERS: dict[tuple[str, str], Speller] = {
    ("NUMERIC", "PG_NUMERIC"): pg_numeric_text,
    ("JSON", "PG_JSONB"): jsonb_text,
}


def speller_for(stype: SType) -> Speller | None:
    """The text a (non-NULL) value of `stype` is sent as, or None when the type is not sent as
    a string_value (FLOAT64/FLOAT32, BOOL, ARRAY, STRUCT)."""
    if stype.annotation:
        annotated = _ANNOTATED_SPELLERS.get((stype.code, stype.annotation))
        if annotated is not None:
            return annotated
    return _SPELLERS.get(stype.code)


def _set_float(pb: protos.Value, v: Any) -> None:
    v = float(v)
    if math.isnan(v):
        pb.string_value = "NaN"
    elif math.isinf(v):
        pb.string_value = "Infinity" if v > 0 else "-Infinity"
    else:
        pb.number_value = v


def _set_bool(pb: protos.Value, v: Any) -> None:
    pb.bool_value = bool(v)


def _text_setter(speller: Speller) -> Setter:
    def set_text(pb: protos.Value, v: Any) -> None:
        pb.string_value = speller(v)

    return set_text


_OTHER_SETTERS: dict[str, Setter] = {
    "FLOAT64": _set_float,
    "FLOAT32": _set_float,
    "BOOL": _set_bool,
}


def setter_for(stype: SType) -> Setter:
    """A function writing a (non-NULL) Python value of `stype` into a protobuf Value."""
    if stype.code == "ARRAY":
        assert stype.element is not None
        inner = setter_for(stype.element)

        def set_array(pb: protos.Value, v: Any) -> None:
            lst = pb.list_value
            lst.SetInParent()
            for item in v:
                cell = lst.values.add()
                if item is None:
                    cell.null_value = protos.NULL_VALUE
                else:
                    inner(cell, item)

        return set_array
    if stype.code == "STRUCT":
        inners = [(name, setter_for(ftype)) for name, ftype in stype.fields]

        def set_struct(pb: protos.Value, v: Any) -> None:
            lst = pb.list_value
            lst.SetInParent()
            values = list(v.values()) if isinstance(v, dict) else list(v)
            for (_name, inner_setter), item in zip(inners, values, strict=False):
                cell = lst.values.add()
                if item is None:
                    cell.null_value = protos.NULL_VALUE
                else:
                    inner_setter(cell, item)

        return set_struct
    speller = speller_for(stype)
    if speller is not None:
        return _text_setter(speller)
    return _OTHER_SETTERS[stype.code]


def encode(value: Any, stype: SType) -> protos.Value:
    pb = protos.Value()
    if value is None:
        pb.null_value = protos.NULL_VALUE
    else:
        setter_for(stype)(pb, value)
    return pb


# ---------------------------------------------------------------- DuckDB result types -> Spanner


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


@functools.lru_cache(maxsize=1024)
def stype_from_duckdb(type_name: str, dialect: str) -> SType:
    """`str(DuckDBPyType)` of a result column -> the Spanner type its values are sent as.

    Cached: every query's result columns pass here, and STypes are immutable."""
    name = type_name.strip()
    if name.endswith("[]"):
        return SType("ARRAY", element=stype_from_duckdb(name[:-2], dialect))
    upper = name.upper()
    if upper.startswith("DECIMAL") or upper.startswith("NUMERIC"):
        return annotate_for_dialect(SType("NUMERIC"), dialect)
    if upper.startswith("STRUCT("):
        fields = []
        for part in _split_top_level(name[7:-1]):
            if part.startswith('"'):
                end = part.index('"', 1)
                while part[end + 1 : end + 2] == '"':  # doubled quote inside the name
                    end = part.index('"', end + 2)
                fname, ftype = part[1:end].replace('""', '"'), part[end + 1 :].strip()
            else:
                fname, _, ftype = part.partition(" ")
            fields.append((fname, stype_from_duckdb(ftype, dialect)))
        return SType("STRUCT", fields=tuple(fields))
    if upper.startswith("TUPLE("):
        # an unnamed struct, as GoogleSQL's `(a, b)` makes: a STRUCT whose fields have no name
        parts = _split_top_level(name[6:-1])
        return SType("STRUCT", fields=tuple(("", stype_from_duckdb(p, dialect)) for p in parts))
    if upper.startswith("VARCHAR"):
        return SType("STRING")
    if upper == "UINTEGER" and dialect == POSTGRESQL:
        return SType("INT64", annotation="PG_OID")  # pg_catalog OID columns
    code = DUCKDB_RESULT_TYPES.get(upper)
    if code is None:
        # MAP, UNION, ENUM, BIT...: Spanner has no such types; send their text form.
        return SType("STRING")
    return annotate_for_dialect(SType(code), dialect)
