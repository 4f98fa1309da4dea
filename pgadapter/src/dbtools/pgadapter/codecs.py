"""Text and binary codecs between PostgreSQL wire values and Spanner client values.

Results arrive as the Python values the `google-cloud-spanner` client decodes (int, float,
Decimal, str, base64 bytes for BYTES, date, datetime, JsonObject, lists); parameters leave as
the values the client encodes for a given Spanner type (numeric, dates, timestamps and JSON as
strings, bytes base64-encoded). Each codec family is a pair of functions in a table, so a new type
is a new row, not a new branch. The table covers every type the proxy carries in text and binary
format; it is kept whole (about 920 lines) so that the type coverage reads in one place.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
import re
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from google.api_core.datetime_helpers import DatetimeWithNanoseconds

from . import interval_text, intervals
from .errors import PgError
from .types import ARRAY_ELEMENT, BY_OID, PgType

UTC = dt.timezone.utc
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=UTC)
PG_EPOCH_DATE = dt.date(2000, 1, 1)
_PG_EPOCH_ORDINAL = PG_EPOCH_DATE.toordinal()


@dataclass(frozen=True)
class TextOut:
    """The session settings that shape text-format results: the time zone timestamptz values
    are shown in and the IntervalStyle interval values are printed in."""

    tz: dt.tzinfo = UTC
    interval_style: str = "postgres"


DEFAULT_TEXT_OUT = TextOut()

_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")
_I64 = struct.Struct("!q")
_U32 = struct.Struct("!I")
_F32 = struct.Struct("!f")
_F64 = struct.Struct("!d")

Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes], Any]


def _bad(type_name: str, raw: bytes | str) -> PgError:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return PgError(f'invalid input syntax for type {type_name}: "{text}"', "22P02")


# --- text output ----------------------------------------------------------------------------


def _float8_text(v: float) -> str:
    r = repr(v)
    if "e" not in r and "n" not in r and (1e-4 <= abs(v) < 1e15 or v == 0):
        # the common case: Python's shortest repr is PostgreSQL's, minus a trailing ".0"
        return r[:-2] if r.endswith(".0") else r
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return _shortest_float(r, 15)


def _float4_text(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _float8_text(v)
    target = _F32.pack(v)
    for precision in range(1, 10):
        s = f"{v:.{precision}g}"
        try:
            if _F32.pack(float(s)) == target:
                return _shortest_float(repr(float(s)), 6)
        except OverflowError:  # near FLT_MAX a short rounding overflows float4: more digits
            continue
    return _shortest_float(repr(v), 6)


def _shortest_float(r: str, exp_limit: int) -> str:
    """Reshape Python's shortest repr into PostgreSQL's: exponent form from 1e{exp_limit} up,
    or below 1e-4, `1e+20` style, no trailing `.0`."""
    mantissa, _, exp_s = r.partition("e")
    neg = mantissa.startswith("-")
    mantissa = mantissa.lstrip("-")
    int_part, _, frac = mantissa.partition(".")
    digits = (int_part + frac).lstrip("0")
    exp = int(exp_s) if exp_s else 0
    # position of the decimal point relative to the first significant digit
    if not digits:
        return "-0" if neg else "0"
    lead_zeros = len(int_part + frac) - len((int_part + frac).lstrip("0"))
    point = len(int_part) - lead_zeros + exp  # digits before the decimal point
    digits = digits.rstrip("0") or "0"
    sci_exp = point - 1
    sign = "-" if neg else ""
    if sci_exp < -4 or sci_exp >= exp_limit:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{m}e{'+' if sci_exp >= 0 else '-'}{abs(sci_exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _numeric_text(v: Any) -> str:
    if isinstance(v, Decimal):
        if v.is_nan():
            return "NaN"
        if v.is_infinite():
            return "Infinity" if v > 0 else "-Infinity"
        return format(v, "f")
    return str(v)


def _bytes_value(v: Any) -> bytes:
    """BYTES values come from the Spanner client base64-encoded; locally built ones are raw."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        try:
            return base64.b64decode(bytes(v), validate=True)
        except ValueError:
            return bytes(v)
    return str(v).encode()


class RawBytes(bytes):
    """bytes that are already raw (not base64), e.g. built by the local catalog."""


def _bytea_raw(v: Any) -> bytes:
    return bytes(v) if isinstance(v, RawBytes) else _bytes_value(v)


def _bytea_text(v: Any) -> str:
    return "\\x" + _bytea_raw(v).hex()


def _as_datetime(v: Any) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, str):
        return parse_timestamp(v, UTC)
    raise TypeError(f"not a timestamp: {v!r}")


def _offset_text(off: dt.timedelta | None) -> str:
    seconds = int(off.total_seconds()) if off else 0
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    hh, rem = divmod(seconds, 3600)
    mm, ss = divmod(rem, 60)
    out = f"{sign}{hh:02d}"
    if mm or ss:
        out += f":{mm:02d}"
    if ss:
        out += f":{ss:02d}"
    return out


def timestamptz_text(v: Any, tz: dt.tzinfo = UTC) -> str:
    exact = _as_datetime(v)
    d = exact.astimezone(tz)
    base = f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    # Spanner's nanoseconds are shown, as PGAdapter's text output shows them (PostgreSQL itself
    # has microseconds; the binary form carries microseconds, floored, as PGAdapter's does)
    fraction = f"{d.microsecond:06d}{_sub_micro_digits(exact)}".rstrip("0")
    if fraction:
        base += "." + fraction
    return base + _offset_text(d.utcoffset())


def _timestamp_text(v: Any) -> str:
    return timestamptz_text(v).removesuffix("+00")  # a timestamp without zone, shown in UTC


def _date_text(v: Any) -> str:
    if isinstance(v, dt.datetime):
        v = v.date()
    if isinstance(v, dt.date):
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    return str(v)


def _json_obj(v: Any) -> Any:
    """The plain Python value of a Spanner JsonObject (or of a JSON string)."""
    serialize = getattr(v, "serialize", None)
    if callable(serialize):
        text = serialize()
        return None if text is None else json.loads(text)
    if isinstance(v, str):
        return json.loads(v)
    return v


def _pg_json_dump(v: Any) -> str:
    """jsonb's text form: `{"a": 1, "b": [1, 2]}`, keys ordered by length then bytes."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
        inner = ", ".join(
            json.dumps(k, ensure_ascii=False) + ": " + _pg_json_dump(v[k]) for k in keys
        )
        return "{" + inner + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_pg_json_dump(x) for x in v) + "]"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return json.dumps(v, ensure_ascii=False)


def _jsonb_text(v: Any) -> str:
    return _pg_json_dump(_json_obj(v))


def _bool_text(v: Any) -> str:
    return "t" if v else "f"


def _str_text(v: Any) -> str:
    return v if isinstance(v, str) else str(v)


def interval_parts(v: Any) -> tuple[int, int, int]:
    """An interval as (months, days, microseconds): from the client's Interval (months, days,
    nanos), a timedelta, or Spanner's ISO 8601 text (P1Y2M3DT4H5M6.5S)."""
    if isinstance(v, dt.timedelta):
        return 0, v.days, v.seconds * 1_000_000 + v.microseconds
    if isinstance(v, str):
        from google.cloud.spanner_v1.data_types import Interval

        try:
            v = Interval.from_str(v)
        except ValueError:
            raise PgError(f'invalid input syntax for type interval: "{v}"', "22007") from None
    return int(v.months), int(v.days), int(v.nanos) // 1000


def _interval_text(v: Any) -> str:
    """PostgreSQL's default IntervalStyle, postgres: '1 year 2 mons -3 days +04:05:06.5'."""
    return interval_text.postgres(*interval_parts(v))


def _interval_binary(v: Any) -> bytes:
    months, days, micros = interval_parts(v)
    return _I64.pack(micros) + _I32.pack(days) + _I32.pack(months)


_TEXT_OUT: dict[str, Callable[[Any], str]] = {
    "bool": _bool_text,
    "bytea": _bytea_text,
    "int8": str,
    "int4": str,
    "int2": str,
    "oid": str,
    "text": _str_text,
    "uuid": _str_text,
    "float4": _float4_text,
    "float8": _float8_text,
    "numeric": _numeric_text,
    "date": _date_text,
    "timestamptz": timestamptz_text,
    "timestamp": _timestamp_text,
    "jsonb": _jsonb_text,
    "json": _jsonb_text,
    "interval": _interval_text,
}

_ARRAY_QUOTE = re.compile(r'[{},"\\\s]')


def _array_elem_text(s: str) -> str:
    if s == "" or s.upper() == "NULL" or _ARRAY_QUOTE.search(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def _array_text(elem: PgType, text_out: TextOut) -> Callable[[Any], str]:
    out = _scalar_text(elem, text_out)

    def encode(v: Any) -> str:
        items = ("NULL" if x is None else _array_elem_text(out(x)) for x in v)
        return "{" + ",".join(items) + "}"

    return encode


def _scalar_text(t: PgType, text_out: TextOut) -> Callable[[Any], str]:
    if t.kind == "timestamptz" and text_out.tz is not UTC:
        return lambda v: timestamptz_text(v, text_out.tz)
    if t.kind == "interval" and text_out.interval_style != "postgres":
        style = interval_text.STYLES[text_out.interval_style]
        return lambda v: style(*interval_parts(v))
    return _TEXT_OUT[t.kind]


def _int_bytes(v: Any) -> bytes:
    return b"%d" % v


def _str_bytes(v: Any) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else str(v).encode("utf-8")


def _bool_bytes(v: Any) -> bytes:
    return b"t" if v else b"f"


# Text encoders that produce bytes directly: the per-value hot path for the common types.
_TEXT_BYTES: dict[str, Encoder] = {
    "int8": _int_bytes,
    "int4": _int_bytes,
    "int2": _int_bytes,
    "oid": _int_bytes,
    "text": _str_bytes,
    "bool": _bool_bytes,
}


def text_encoder(oid: int, text_out: TextOut = DEFAULT_TEXT_OUT) -> Encoder:
    """value → text-format bytes for a result column of type `oid`."""
    if oid in ARRAY_ELEMENT:
        fn = _array_text(ARRAY_ELEMENT[oid], text_out)
    else:
        t = BY_OID.get(oid, BY_OID[25])
        fast = _TEXT_BYTES.get(t.kind)
        if fast is not None:
            return fast
        fn = _scalar_text(t, text_out)
    return lambda v: fn(v).encode("utf-8")


# --- binary output --------------------------------------------------------------------------


def numeric_binary(v: Any) -> bytes:
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    if d.is_nan():
        return struct.pack("!hhHh", 0, 0, 0xC000, 0)
    if d.is_infinite():
        return struct.pack("!hhHh", 0, 0, 0xD000 if d > 0 else 0xF000, 0)
    # copy_abs: abs() would round to the context's 28 digits
    return _numeric_binary_digits(d.is_signed(), format(d.copy_abs(), "f"))


def _numeric_binary_digits(negative: bool, text: str) -> bytes:
    """numeric's binary form from the plain decimal digits of its absolute value."""
    sign = 0x4000 if negative else 0
    int_part, _, frac = text.partition(".")
    dscale = len(frac)
    int_part = int_part.lstrip("0")
    int_part = "0" * (-len(int_part) % 4) + int_part
    frac = frac + "0" * (-len(frac) % 4)
    groups = [int(int_part[i : i + 4]) for i in range(0, len(int_part), 4)]
    weight = len(groups) - 1
    groups += [int(frac[i : i + 4]) for i in range(0, len(frac), 4)]
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
        sign = 0
    return struct.pack(f"!hhHh{len(groups)}H", len(groups), weight, sign, dscale, *groups)


def numeric_from_binary(b: bytes) -> str:
    if len(b) < 8:
        raise PgError("insufficient data left in message for numeric", "08P01")
    ndigits, weight, sign, dscale = struct.unpack_from("!hhHh", b)
    if sign == 0xC000:
        return "NaN"
    if sign in (0xD000, 0xF000):
        return "Infinity" if sign == 0xD000 else "-Infinity"
    if ndigits < 0 or len(b) != 8 + 2 * ndigits:
        raise PgError("invalid length in external numeric value", "08P01")
    digits = struct.unpack_from(f"!{ndigits}H", b, 8)
    value = 0
    for g in digits:
        value = value * 10000 + g
    exp = (weight - ndigits + 1) * 4
    with localcontext() as ctx:
        ctx.prec = 4 * (abs(weight) + ndigits + 2) + max(dscale, 0)  # exact: never round
        d = Decimal(value).scaleb(exp)
        if sign == 0x4000:
            d = -d
        if dscale >= 0:
            d = d.quantize(Decimal(1).scaleb(-dscale))
        return format(d, "f")


def _ts_binary(v: Any) -> bytes:
    delta = _as_datetime(v) - PG_EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return _I64.pack(micros)


def _date_binary(v: Any) -> bytes:
    if isinstance(v, dt.datetime):
        v = v.date()
    if isinstance(v, str):
        v = dt.date.fromisoformat(v)
    return _I32.pack(v.toordinal() - _PG_EPOCH_ORDINAL)


def _uuid_binary(v: Any) -> bytes:
    return uuid.UUID(str(v)).bytes


_BIN_OUT: dict[str, Encoder] = {
    "bool": lambda v: b"\x01" if v else b"\x00",
    "bytea": _bytea_raw,
    "int8": lambda v: _I64.pack(int(v)),
    "int4": lambda v: _I32.pack(int(v)),
    "int2": lambda v: _I16.pack(int(v)),
    "oid": lambda v: _U32.pack(int(v)),
    "text": lambda v: _str_text(v).encode("utf-8"),
    "uuid": _uuid_binary,
    "float4": lambda v: _F32.pack(float(v)),
    "float8": lambda v: _F64.pack(float(v)),
    "numeric": numeric_binary,
    "date": _date_binary,
    "timestamptz": _ts_binary,
    "timestamp": _ts_binary,
    "jsonb": lambda v: b"\x01" + _jsonb_text(v).encode("utf-8"),
    "json": lambda v: _jsonb_text(v).encode("utf-8"),
    "interval": _interval_binary,
}


def _array_binary(elem: PgType) -> Encoder:
    enc = _BIN_OUT[elem.kind]

    def encode(v: Any) -> bytes:
        items = list(v)
        if not items:
            return _I32.pack(0) + _I32.pack(0) + _U32.pack(elem.oid)
        has_null = any(x is None for x in items)
        parts = [_I32.pack(1), _I32.pack(1 if has_null else 0), _U32.pack(elem.oid)]
        parts += [_I32.pack(len(items)), _I32.pack(1)]
        for x in items:
            if x is None:
                parts.append(_I32.pack(-1))
            else:
                data = enc(x)
                parts.append(_I32.pack(len(data)))
                parts.append(data)
        return b"".join(parts)

    return encode


def binary_encoder(oid: int) -> Encoder:
    """value → binary-format bytes for a result column of type `oid`."""
    if oid in ARRAY_ELEMENT:
        return _array_binary(ARRAY_ELEMENT[oid])
    return _BIN_OUT[BY_OID.get(oid, BY_OID[25]).kind]


def encoder(oid: int, fmt: int, text_out: TextOut = DEFAULT_TEXT_OUT) -> Encoder:
    return binary_encoder(oid) if fmt == 1 else text_encoder(oid, text_out)


def python_encoder(
    oid: int, fmt: int, text_out: TextOut = DEFAULT_TEXT_OUT
) -> Callable[[Any], bytes | None]:
    """Python value (None for NULL) → wire bytes or None: for rows the proxy builds itself."""
    enc = encoder(oid, fmt, text_out)
    return lambda v: None if v is None else enc(v)


# --- results straight from Spanner's protobuf Values ---------------------------------------
#
# Result rows are read undecoded (the client's lazy decoding): each cell is a
# google.protobuf.struct_pb2.Value as Spanner sent it. INT64, NUMERIC, STRING, DATE, TIMESTAMP,
# BYTES (base64) and JSON arrive as strings, FLOAT64 as a number (or "NaN"/"Infinity"), BOOL as a
# bool. The common cases are encoded from those directly; the others go through a light
# conversion into what the value encoders above take.

ValueEncoder = Callable[[Any], bytes | None]


def _v_str(v: Any) -> str:
    return str(v.string_value)


def _v_int(v: Any) -> int:
    return int(v.string_value)


def _v_float(v: Any) -> float:
    # NaN and the infinities come as the strings "NaN", "Infinity", "-Infinity"
    return float(v.string_value) if v.WhichOneof("kind") == "string_value" else v.number_value


def _v_bool(v: Any) -> bool:
    return bool(v.bool_value)


def _v_b64(v: Any) -> bytes:
    return str(v.string_value).encode("ascii")  # base64, as the encoders above expect


# Value → the Python value the encoders above take, per codec family.
_FROM_VALUE: dict[str, Callable[[Any], Any]] = {
    "bool": _v_bool,
    "bytea": _v_b64,
    "int8": _v_int,
    "int4": _v_int,
    "int2": _v_int,
    "oid": _v_int,
    "text": _v_str,
    "uuid": _v_str,
    "float4": _v_float,
    "float8": _v_float,
    "numeric": lambda v: Decimal(v.string_value),
    "date": _v_str,
    "timestamptz": _v_str,
    "timestamp": _v_str,
    "jsonb": _v_str,
    "json": _v_str,
    "interval": _v_str,
}

_PLAIN_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


def _numeric_text_value(v: Any) -> bytes:
    s = v.string_value
    # Spanner sends PG_NUMERIC as a plain decimal string, which is PostgreSQL's text already
    if _PLAIN_DECIMAL.fullmatch(s):
        return s.encode("ascii")
    return _numeric_text(Decimal(s)).encode("ascii")


def _numeric_binary_value(v: Any) -> bytes:
    s = v.string_value
    if _PLAIN_DECIMAL.fullmatch(s):  # the usual case: no Decimal needed
        return _numeric_binary_digits(s.startswith("-"), s.lstrip("-"))
    return numeric_binary(Decimal(s))


def _float8_text_value(v: Any) -> bytes:
    return _float8_text(_v_float(v)).encode("ascii")


# Encoders that need no conversion at all: (codec family, format) → Value → bytes.
_DIRECT: dict[tuple[str, int], Callable[[Any], bytes]] = {
    ("int8", 0): lambda v: v.string_value.encode("ascii"),
    ("int8", 1): lambda v: _I64.pack(int(v.string_value)),
    ("text", 0): lambda v: v.string_value.encode("utf-8"),
    ("text", 1): lambda v: v.string_value.encode("utf-8"),
    ("float8", 0): _float8_text_value,
    ("float8", 1): lambda v: _F64.pack(_v_float(v)),
    ("bool", 0): lambda v: b"t" if v.bool_value else b"f",
    ("bool", 1): lambda v: b"\x01" if v.bool_value else b"\x00",
    ("numeric", 0): _numeric_text_value,
    ("numeric", 1): _numeric_binary_value,
    ("date", 0): lambda v: v.string_value.encode("ascii"),
}


def _is_null(v: Any) -> bool:
    return v.WhichOneof("kind") == "null_value"


def _nullable(enc: Callable[[Any], bytes]) -> ValueEncoder:
    def encode(v: Any) -> bytes | None:
        return None if v.WhichOneof("kind") == "null_value" else enc(v)

    return encode


def value_encoder(oid: int, fmt: int, text_out: TextOut = DEFAULT_TEXT_OUT) -> ValueEncoder:
    """Spanner protobuf Value → text (fmt 0) or binary (fmt 1) bytes for a result column of type
    `oid`, None for NULL: the same bytes as `encoder` gives for the client's decoded value."""
    elem = ARRAY_ELEMENT.get(oid)
    if elem is not None:
        convert = _FROM_VALUE[elem.kind]
        enc = encoder(oid, fmt, text_out)

        def array(v: Any) -> bytes:
            items = [None if _is_null(x) else convert(x) for x in v.list_value.values]
            return enc(items)

        return _nullable(array)
    kind = BY_OID.get(oid, BY_OID[25]).kind
    direct = _DIRECT.get((kind, fmt))
    if direct is not None:
        return _nullable(direct)
    convert = _FROM_VALUE[kind]
    enc = encoder(oid, fmt, text_out)
    return _nullable(lambda v: enc(convert(v)))


# --- parameters: wire → Spanner client value ------------------------------------------------

_TS_RE = re.compile(
    r"^\s*(\d{4,})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?(?::?\d{2})?)?\s*$",
    re.IGNORECASE,
)


def parse_timestamp(text: str, default_tz: dt.tzinfo) -> dt.datetime:
    m = _TS_RE.match(text)
    if not m:
        raise _bad("timestamp with time zone", text)
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz: dt.tzinfo = default_tz
    if zone:
        z = zone.upper()
        if z in ("Z", "UTC", "GMT"):
            tz = UTC
        else:
            sign = -1 if z[0] == "-" else 1
            digits = z[1:].replace(":", "")
            hours = int(digits[:-2] if len(digits) in (3, 4) else digits[:2])
            mins = (
                int(digits[-2:])
                if len(digits) in (3, 4)
                else (int(digits[2:4]) if len(digits) >= 4 else 0)
            )
            secs = int(digits[4:6]) if len(digits) == 6 else 0
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=mins, seconds=secs))
    try:
        value = dt.datetime(
            int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro, tzinfo=tz
        )
    except ValueError:
        raise PgError(f'date/time field value out of range: "{text}"', "22008") from None
    nanos = int((frac or "0").ljust(9, "0"))
    if nanos % 1000:
        # Spanner keeps nanoseconds, and so does PGAdapter's text input: keep the digits
        return DatetimeWithNanoseconds(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            nanosecond=nanos, tzinfo=tz,
        )  # fmt: skip
    return value


def _sub_micro_digits(d: Any) -> str:
    """The three digits below the microsecond of a client `DatetimeWithNanoseconds` ('' when
    they are zero or the value is a plain datetime, which has none)."""
    nanos = getattr(d, "nanosecond", 0)
    return f"{nanos % 1000:03d}" if nanos % 1000 else ""


def rfc3339(d: dt.datetime) -> str:
    u = d.astimezone(UTC)  # astimezone() drops a DatetimeWithNanoseconds' nanoseconds
    return u.strftime("%Y-%m-%dT%H:%M:%S.%f") + _sub_micro_digits(d) + "Z"


_TRUE = {"t", "true", "y", "yes", "on", "1"}
_FALSE = {"f", "false", "n", "no", "off", "0"}


def _parse_bool(s: str) -> bool:
    low = s.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _bad("boolean", s)


def _parse_int(name: str, bits: int) -> Callable[[str], int]:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def parse(s: str) -> int:
        try:
            v = int(s.strip())
        except ValueError:
            raise _bad(name, s) from None
        if not lo <= v <= hi:
            raise PgError(f'value "{s}" is out of range for type {name}', "22003")
        return v

    return parse


def _parse_float(s: str) -> float:
    try:
        return float(s.strip())
    except ValueError:
        raise _bad("double precision", s) from None


def _parse_numeric(s: str) -> str:
    try:
        d = Decimal(s.strip())
    except InvalidOperation:
        raise _bad("numeric", s) from None
    return "NaN" if d.is_nan() else s.strip()


def _parse_bytea(s: str) -> bytes:
    if s.startswith("\\x"):
        try:
            raw = bytes.fromhex(s[2:])
        except ValueError:
            raise _bad("bytea", s) from None
    else:
        raw = _unescape_bytea(s)
    return base64.b64encode(raw)


def _unescape_bytea(s: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
        elif s[i + 1 : i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif re.match(r"[0-3][0-7]{2}", s[i + 1 : i + 4]):
            out.append(int(s[i + 1 : i + 4], 8))
            i += 4
        else:
            raise _bad("bytea", s)
    return bytes(out)


def _parse_date(s: str) -> str:
    try:
        return dt.date.fromisoformat(s.strip()).isoformat()
    except ValueError:
        raise _bad("date", s) from None


def _parse_json(s: str) -> str:
    try:
        json.loads(s)
    except ValueError:
        raise _bad("json", s) from None
    return s


def _parse_uuid(s: str) -> str:
    try:
        return str(uuid.UUID(s.strip()))
    except ValueError:
        raise _bad("uuid", s) from None


def _text_parsers(tz: dt.tzinfo) -> dict[str, Callable[[str], Any]]:
    return {
        "bool": _parse_bool,
        "bytea": _parse_bytea,
        "int8": _parse_int("bigint", 64),
        "int4": _parse_int("integer", 32),
        "int2": _parse_int("smallint", 16),
        "oid": _parse_int("oid", 33),
        "text": lambda s: s,
        "uuid": _parse_uuid,
        "float4": _parse_float,
        "float8": _parse_float,
        "numeric": _parse_numeric,
        "date": _parse_date,
        "timestamptz": lambda s: rfc3339(parse_timestamp(s, tz)),
        "timestamp": lambda s: rfc3339(parse_timestamp(s, UTC)),
        "jsonb": _parse_json,
        "json": _parse_json,
        "interval": intervals.text_to_spanner,
    }


def text_value_parser(oid: int, tz: dt.tzinfo = UTC) -> Callable[[str], Any]:
    """text form → value for the Spanner client (a mutation or parameter), for type `oid`."""
    elem = ARRAY_ELEMENT.get(oid)
    base = elem or BY_OID.get(oid) or BY_OID[25]
    parse = _text_parsers(tz)[base.kind]
    if elem:
        return lambda s: _parse_array_text(s, parse)
    return parse


def _unpack(st: struct.Struct, name: str) -> Callable[[bytes], Any]:
    def decode(b: bytes) -> Any:
        if len(b) != st.size:
            raise PgError(f"incorrect binary data format in bind parameter of type {name}", "22P03")
        return st.unpack(b)[0]

    return decode


def _bin_ts(b: bytes) -> str:
    micros = _unpack(_I64, "timestamp")(b)
    return rfc3339(PG_EPOCH + dt.timedelta(microseconds=micros))


def _bin_date(b: bytes) -> str:
    days = _unpack(_I32, "date")(b)
    return dt.date.fromordinal(days + _PG_EPOCH_ORDINAL).isoformat()


def _bin_jsonb(b: bytes) -> str:
    if not b or b[0] != 1:
        raise PgError("unsupported jsonb version number", "22P03")
    return _parse_json(b[1:].decode("utf-8"))


def _bin_bool(b: bytes) -> bool:
    if len(b) != 1:
        raise PgError("incorrect binary data format in bind parameter of type boolean", "22P03")
    return b != b"\x00"


def _bin_uuid(b: bytes) -> str:
    if len(b) != 16:
        raise PgError("incorrect binary data format in bind parameter of type uuid", "22P03")
    return str(uuid.UUID(bytes=b))


_BIN_IN: dict[str, Decoder] = {
    "bool": _bin_bool,
    "bytea": base64.b64encode,
    "int8": _unpack(_I64, "bigint"),
    "int4": _unpack(_I32, "integer"),
    "int2": _unpack(_I16, "smallint"),
    "oid": _unpack(_U32, "oid"),
    "text": lambda b: b.decode("utf-8"),
    "uuid": _bin_uuid,
    "float4": _unpack(_F32, "real"),
    "float8": _unpack(_F64, "double precision"),
    "numeric": numeric_from_binary,
    "date": _bin_date,
    "timestamptz": _bin_ts,
    "timestamp": _bin_ts,
    "jsonb": _bin_jsonb,
    "json": lambda b: _parse_json(b.decode("utf-8")),
    "interval": intervals.binary_to_spanner,
}


def _parse_array_text(s: str, parse: Callable[[str], Any]) -> list[Any]:
    s = s.strip()
    if s.startswith("[") and "=" in s:  # explicit bounds: "[1:3]={...}"
        s = s.split("=", 1)[1].strip()
    if len(s) < 2 or s[0] != "{" or s[-1] != "}":
        raise PgError(f'malformed array literal: "{s}"', "22P02")
    body = s[1:-1]
    out: list[Any] = []
    if not body.strip():
        return out
    i, n = 0, len(body)
    while i <= n:
        while i < n and body[i] == " ":
            i += 1
        if i < n and body[i] == '"':
            i += 1
            buf = []
            while i < n and body[i] != '"':
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(body[i])
                i += 1
            if i >= n:
                raise PgError(f'malformed array literal: "{s}"', "22P02")
            i += 1
            out.append(parse("".join(buf)))
            while i < n and body[i] == " ":
                i += 1
        else:
            j = body.find(",", i)
            j = n if j < 0 else j
            item = body[i:j].strip()
            if item.startswith("{"):
                raise FeatureNotSupportedArray()
            if not item:  # `{a,}`, `{,a}`: PostgreSQL has no empty unquoted element
                raise PgError(f'malformed array literal: "{s}"', "22P02")
            out.append(None if item.upper() == "NULL" else parse(item))
            i = j
        if i < n and body[i] != ",":
            raise PgError(f'malformed array literal: "{s}"', "22P02")
        i += 1
    return out


class FeatureNotSupportedArray(PgError):
    def __init__(self) -> None:
        super().__init__("multi-dimensional arrays are not supported by Spanner", "0A000")


def _parse_array_binary(b: bytes, decode: Decoder) -> list[Any]:
    try:
        ndim, _flags, _elem = struct.unpack_from("!iiI", b)
        if ndim == 0:
            return []
        if ndim != 1:
            raise FeatureNotSupportedArray()
        count, _lbound = struct.unpack_from("!ii", b, 12)
        pos = 20
        out: list[Any] = []
        for _ in range(count):
            (n,) = _I32.unpack_from(b, pos)
            pos += 4
            if n == -1:
                out.append(None)
                continue
            if n < 0 or pos + n > len(b):
                raise PgError("insufficient data left in message", "08P01")
            out.append(decode(b[pos : pos + n]))
            pos += n
        return out
    except struct.error:
        raise PgError("insufficient data left in message", "08P01") from None


@functools.lru_cache(maxsize=1024)
def param_decoder(oid: int, fmt: int, tz: dt.tzinfo = UTC) -> Callable[[bytes], Any]:
    """wire bytes → value for the Spanner client, for a parameter of type `oid` (cached: a
    Bind must not rebuild the parser tables)."""
    elem = ARRAY_ELEMENT.get(oid)
    base = elem or BY_OID.get(oid) or BY_OID[25]
    if fmt == 1:
        scalar = _BIN_IN[base.kind]
        if elem:
            return lambda b: _parse_array_binary(b, scalar)
        return scalar
    text_parse = _text_parsers(tz)[base.kind]

    def decode_text(b: bytes) -> Any:
        try:
            s = b.decode("utf-8")
        except UnicodeDecodeError:
            raise PgError("invalid byte sequence for encoding UTF8", "22021") from None
        return _parse_array_text(s, text_parse) if elem else text_parse(s)

    return decode_text
