"""Value conversion: a source value (typed, from a dump token, a COPY field or a driver) to the
Python value google-cloud-spanner expects for the column's Spanner type.

Converters are built once per column (`converter()`), then called per value; a value that cannot
be converted raises `BadValue` with the reason, and the row becomes a bad row. Nothing is decided
from sentinel strings: NULL is `None` from the readers, so the text 'NULL' stays text.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import re
import struct
import weakref
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from .model import MYSQL_SPATIAL, SourceType, SpType

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NUMERIC_MAX_INT_DIGITS, NUMERIC_MAX_SCALE = 29, 9
UTC = dt.timezone.utc


class BadValue(ValueError):
    """A value that cannot be stored in its Spanner column; the message says why."""


class Num(str):
    """A numeric literal from a dump, kept as text so that no precision is lost on the way."""

    __slots__ = ()


class Bits(str):
    """A MySQL bit literal b'0101'."""

    __slots__ = ()


Converter = Callable[[Any], Any]

# Converters whose common case is one expression: row converters generated per table (data.py)
# inline it and call the converter only for other values. `{v}` is the value, `{c}` the
# converter; the dict holds the other names the expression uses.
_INLINE: weakref.WeakKeyDictionary[Converter, tuple[str, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def inline_form(conv: Converter) -> tuple[str, dict[str, Any]] | None:
    """The inline expression of a converter's common case, if it has one."""
    return _INLINE.get(conv)


# The dump text form of a converter's common case, for the column-typed row readers
# (typedrows.py): a kind and its argument. Their patterns admit only that form, so the value is
# converted without a test; the converter itself still handles every other value.
_FORM: weakref.WeakKeyDictionary[Converter, tuple[str, Any]] = weakref.WeakKeyDictionary()


def text_form(conv: Converter) -> tuple[str, Any] | None:
    """("int" | "float" | "numeric" | "date", None), ("string" | "bytes", max length or -1)
    or ("timestamp", offset to subtract or None), if the converter has such a common case."""
    return _FORM.get(conv)


def parse_timezone(name: str | None) -> dt.tzinfo:
    """'UTC', an IANA name or an offset like '+05:30'."""
    if not name or name.upper() in ("UTC", "Z", "SYSTEM"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})", name.strip())
    if m:
        delta = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        return dt.timezone(-delta if m.group(1) == "-" else delta)
    try:
        return ZoneInfo(name)
    except Exception as exc:
        raise ValueError(f"unknown time zone {name!r}: use UTC, an IANA name or +HH:MM") from exc


# --- helpers ---------------------------------------------------------------------------------


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadValue("bytes are not valid UTF-8 text") from exc
    if isinstance(v, str):
        if _has_surrogates(v):
            raise BadValue("text is not valid UTF-8 (the dump holds other bytes)")
        return str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    if isinstance(v, dt.timedelta):
        return _timedelta_text(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _has_surrogates(s: str) -> bool:
    if s.isascii():
        return False
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _timedelta_text(v: dt.timedelta) -> str:
    """MySQL TIME as returned by drivers (a timedelta) in MySQL's own text form."""
    total = v.days * 86400 + v.seconds
    sign = "-" if total < 0 else ""
    total = abs(total)
    text = f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
    return text + (f".{v.microseconds:06d}" if v.microseconds else "")


def _to_bytes(v: Any) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    raise BadValue(f"{type(v).__name__} is not binary data")


def _int(v: Any) -> int:
    """(The first test is repeated inline in row converters: keep them the same.)"""
    if type(v) is str and len(v) < 19 and v.isdecimal():
        return int(v)  # the common case from dumps: 18 digits always fit INT64
    if type(v) is Num or type(v) is str:
        try:
            out = int(v)
        except ValueError as exc:
            raise BadValue(f"{v!r} is not an integer") from exc
        if not INT64_MIN <= out <= INT64_MAX:
            raise BadValue(f"{out} is outside INT64's range")
        return out
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        out = v
    elif isinstance(v, (str, bytes)):
        text = v.decode() if isinstance(v, bytes) else v
        try:
            out = int(text.strip())
        except ValueError as exc:
            raise BadValue(f"{text!r} is not an integer") from exc
    elif isinstance(v, decimal.Decimal) and v == v.to_integral_value():
        out = int(v)
    elif isinstance(v, float) and v.is_integer():
        out = int(v)
    else:
        raise BadValue(f"{v!r} is not an integer")
    if not INT64_MIN <= out <= INT64_MAX:
        raise BadValue(f"{out} is outside INT64's range")
    return out


_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        if v in (0, 1):
            return bool(v)
        raise BadValue(
            f"{v} is not a boolean (0 or 1); choose INT64 for this column in the session"
        )
    if isinstance(v, Bits):
        return _bool(int(v or "0", 2))
    if isinstance(v, Num) and v.lstrip("-").isdigit():
        return _bool(int(v))
    if isinstance(v, (bytes, bytearray)):
        return _bool(int.from_bytes(v, "big"))
    text = _text(v).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(f"{text!r} is not a boolean")


def _float(v: Any) -> float:
    if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
        return float(v)
    text = _text(v).strip()
    try:
        return float(text)
    except ValueError as exc:
        raise BadValue(f"{text!r} is not a number") from exc


_SINGLE = struct.Struct("f")


def _float32(v: Any) -> float:
    """A FLOAT32 value: rounded to single precision here, as Spanner stores it, so that the
    text of a dump ("-41.123") and a driver's double (-41.12300109863281) give the same value."""
    x = _float(v)
    try:
        return _SINGLE.unpack(_SINGLE.pack(x))[0]
    except OverflowError as exc:
        raise BadValue(f"{x!r} is out of FLOAT32 range") from exc


# at most 29 integer digits (after leading zeros) and 9 fractional ones (before trailing zeros)
_PLAIN_NUMERIC = re.compile(
    rf"[-+]?0*[0-9]{{1,{NUMERIC_MAX_INT_DIGITS}}}(?:\.[0-9]{{0,{NUMERIC_MAX_SCALE}}}0*)?"
)


def _numeric(gsql: bool) -> Converter:
    plain = _PLAIN_NUMERIC.fullmatch

    def conv(v: Any) -> decimal.Decimal:
        if (type(v) is str or type(v) is Num) and gsql and plain(v) is not None:
            # plain decimal text within NUMERIC's precision and scale: no tuple unpacking
            return decimal.Decimal(v)
        if isinstance(v, float):
            v = repr(v)
        try:
            d = v if isinstance(v, decimal.Decimal) else decimal.Decimal(_text(v).strip())
        except decimal.InvalidOperation as exc:
            raise BadValue(f"{v!r} is not a number") from exc
        if not d.is_finite():
            if gsql:
                raise BadValue(f"{d} cannot be stored in GoogleSQL NUMERIC")
            return d
        if gsql:
            _sign, digits, exp = d.as_tuple()
            assert isinstance(exp, int)
            scale = max(0, -exp)
            int_digits = max(0, len(digits) + exp)
            if scale > NUMERIC_MAX_SCALE:
                if d != d.quantize(
                    decimal.Decimal(1).scaleb(-NUMERIC_MAX_SCALE), rounding=decimal.ROUND_HALF_EVEN
                ):
                    raise BadValue(f"{d} has more than {NUMERIC_MAX_SCALE} fractional digits")
                d = d.quantize(decimal.Decimal(1).scaleb(-NUMERIC_MAX_SCALE))
            if int_digits > NUMERIC_MAX_INT_DIGITS and d != 0:
                raise BadValue(f"{d} has more than {NUMERIC_MAX_INT_DIGITS} integer digits")
        return d

    if gsql:
        _INLINE[conv] = (
            "(_Dec({v}) if type({v}) is str and _plain_num({v}) is not None else {c}({v}))",
            {"_Dec": decimal.Decimal, "_plain_num": plain},
        )
        _FORM[conv] = ("numeric", None)
    return conv


def _string(length: int | None, allowed: tuple[str, ...] = ()) -> Converter:
    allowed_set = set(allowed)
    if not allowed_set:
        limit = length if length is not None else -1

        def conv_plain(v: Any) -> str:
            if type(v) is str and v.isascii() and (limit < 0 or len(v) <= limit):
                return v  # ASCII text: no surrogates possible, characters = bytes
            text = _text(v)
            if length is not None and len(text) > length:
                raise BadValue(f"{len(text)} characters exceed STRING({length})")
            return text

        fits = "" if limit < 0 else f" and len({{v}}) <= {limit}"
        _INLINE[conv_plain] = (
            "({v} if type({v}) is str and {v}.isascii()" + fits + " else {c}({v}))",
            {},
        )
        _FORM[conv_plain] = ("string", limit)
        return conv_plain

    def conv(v: Any) -> str:
        text = v if type(v) is str and v.isascii() else _text(v)
        if length is not None and len(text) > length:
            raise BadValue(f"{len(text)} characters exceed STRING({length})")
        if allowed_set and text not in allowed_set:
            raise BadValue(f"{text!r} is not one of the allowed values {sorted(allowed_set)}")
        return text

    return conv


def mysql_bit_bytes(source: SourceType, v: str) -> bool:
    """Whether a BIT value in text is mysqldump's form (the value's bytes, ceil(n/8) of them,
    in a quoted string) rather than PostgreSQL's (n characters 0 and 1): their lengths differ
    but for BIT(1), where mysqldump's byte is \\0 or \\1, never the digit."""
    nbits = source.args[0] if source.args else 1
    return (
        source.name == "bit"
        and len(v) == (nbits + 7) // 8
        and (len(v) != nbits or v not in ("0", "1"))
    )


def _bytes_conv(length: int | None, source: SourceType) -> Converter:
    pg_bytea = source.name == "bytea"

    def conv(v: Any) -> bytes:
        if pg_bytea and isinstance(v, str) and v.startswith("\\x"):
            try:
                data = bytes.fromhex(v[2:])
            except ValueError as exc:
                raise BadValue("malformed bytea hex value") from exc
        elif isinstance(v, Bits):
            nbits = max(1, len(v))
            data = int(v or "0", 2).to_bytes((nbits + 7) // 8, "big")
        elif isinstance(v, int) and not isinstance(v, bool):
            data = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
        elif source.name in ("bit", "varbit") and isinstance(v, str):
            if mysql_bit_bytes(source, v):
                data = _to_bytes(v)
            else:
                try:
                    data = int(v or "0", 2).to_bytes(max(1, (len(v) + 7) // 8), "big")
                except ValueError as exc:
                    raise BadValue(f"{v[:20]!r} is not a bit string") from exc
        else:
            data = _to_bytes(v)
        if length is not None and len(data) > length:
            raise BadValue(f"{len(data)} bytes exceed BYTES({length})")
        return base64.b64encode(data)  # the client library sends BYTES base64-encoded

    _FORM[conv] = ("bytes", length if length is not None else -1)
    return conv


_DATE = re.compile(r"(\d{4,})-(\d{2})-(\d{2})$")


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    text = _text(v).strip()
    m = _DATE.match(text)
    if not m:
        raise BadValue(f"{text!r} is not a date")
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if y == 0 or mo == 0 or d == 0:
        raise BadValue(f"zero date {text!r} has no Spanner equivalent")
    try:
        return dt.date(y, mo, d)
    except ValueError as exc:
        raise BadValue(f"{text!r} is not a valid date: {exc}") from exc


def _timestamp(tz: dt.tzinfo) -> Converter:
    """Naive values are read in `tz`; values with an offset keep it. The result is UTC."""

    fixed = not isinstance(tz, ZoneInfo)
    # a fixed zone is an offset: parse the wall time as UTC (a '+00:00' suffix is far cheaper
    # than datetime.replace) and subtract the offset
    offset = tz.utcoffset(None) if fixed else None
    shift = offset if offset else None
    parse = dt.datetime.fromisoformat

    def conv(v: Any) -> dt.datetime:
        if fixed and type(v) is str and 19 <= len(v) <= 26 and v[10] == " " and v[:4] != "0000":
            try:  # 'YYYY-MM-DD HH:MM:SS[.ffffff]' in a fixed zone: the common dump case
                value = parse(v + "+00:00")
            except ValueError:
                pass  # an offset of its own, or not a timestamp: the general path says
            else:
                return value if shift is None else value - shift
        if isinstance(v, dt.datetime):
            value = v
        elif isinstance(v, dt.date):
            value = dt.datetime(v.year, v.month, v.day)
        else:
            text = _text(v).strip()
            if text.startswith("0000-00-00"):
                raise BadValue(f"zero date {text!r} has no Spanner equivalent")
            if text in ("infinity", "-infinity") or text.endswith(" BC"):
                raise BadValue(f"{text!r} is outside Spanner's TIMESTAMP range")
            iso = text.replace(" ", "T", 1)
            if re.search(r"[+-]\d{2}$", iso):  # PostgreSQL's '+00' offsets
                iso += ":00"
            try:
                value = dt.datetime.fromisoformat(iso)
            except ValueError as exc:
                raise BadValue(f"{text!r} is not a timestamp") from exc
        if value.tzinfo is None:
            value = (
                value.replace(tzinfo=tz) if not isinstance(tz, ZoneInfo) else _localize(value, tz)
            )
        return value.astimezone(UTC)

    if fixed:
        _FORM[conv] = ("timestamp", shift)
    return conv


def _localize(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time in `tz`; times that do not exist (spring forward) are bad values."""
    aware = value.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != value:
        raise BadValue(f"{value} does not exist in {tz.key} (daylight-saving gap)")
    return aware


def _json_conv(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    text = _text(v)
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise BadValue(f"not valid JSON: {exc}") from exc
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))


_ARRAY_BOUNDS = re.compile(r"\s*(?:\[\s*-?\d+\s*:\s*-?\d+\s*\]\s*)+=\s*")
_ARRAY_SPACE = " \t\n\r\v\f"


def parse_pg_array(text: str) -> list[Any]:
    """A one-dimensional PostgreSQL array literal '{a,"b c",NULL}' -> ['a', 'b c', None].

    Read as PostgreSQL's array_in reads it: optional explicit bounds, whitespace around elements
    ignored, backslash escapes in quoted and unquoted elements, unquoted NULL (any case) is NULL;
    an empty unquoted element, an unterminated quote or text after an element is malformed."""
    bounds = _ARRAY_BOUNDS.match(text) if text.lstrip().startswith("[") else None
    s = (text[bounds.end() :] if bounds else text).strip(_ARRAY_SPACE)
    if not (s.startswith("{") and s.endswith("}")):
        raise BadValue(f"{text[:40]!r} is not an array literal")
    body = s[1:-1]
    out: list[str | None] = []
    n, i = len(body), 0
    if not body.strip(_ARRAY_SPACE):
        return out
    while True:
        while i < n and body[i] in _ARRAY_SPACE:
            i += 1
        if i < n and body[i] == '"':
            i, item = _quoted_element(body, i + 1)
            out.append(item)
            while i < n and body[i] in _ARRAY_SPACE:
                i += 1
        else:
            i, element = _unquoted_element(body, i)
            out.append(element)
        if i == n:
            return out
        if body[i] != ",":
            raise BadValue("malformed array literal")
        i += 1


def _quoted_element(body: str, i: int) -> tuple[int, str]:
    """The element starting after an opening quote, and the index past its closing quote."""
    buf: list[str] = []
    n = len(body)
    while i < n:
        ch = body[i]
        if ch == '"':
            return i + 1, "".join(buf)
        if ch == "\\":
            i += 1
            if i == n:
                break
            ch = body[i]
        buf.append(ch)
        i += 1
    raise BadValue("malformed array literal: unterminated quoted element")


def _unquoted_element(body: str, i: int) -> tuple[int, Any]:
    """An unquoted element (trailing whitespace not kept unless escaped) and the index after it."""
    buf: list[str] = []
    keep = 0  # length of buf up to its last significant (non-space or escaped) character
    escaped = False
    n = len(body)
    while i < n:
        ch = body[i]
        if ch == ",":
            break
        if ch == "{":
            raise BadValue("multi-dimensional array")
        if ch in '"}':
            raise BadValue("malformed array literal")
        if ch == "\\":
            i += 1
            if i == n:
                raise BadValue("malformed array literal: trailing backslash")
            buf.append(body[i])
            keep, escaped = len(buf), True
        else:
            buf.append(ch)
            if ch not in _ARRAY_SPACE:
                keep = len(buf)
        i += 1
    if not keep:
        raise BadValue("malformed array literal: empty element")
    item = "".join(buf[:keep])
    return i, (None if not escaped and item.upper() == "NULL" else item)


def converter(source: SourceType, target: SpType, dialect: str, tz: dt.tzinfo) -> Converter:
    """The function converting one non-NULL source value for this column."""
    gsql = dialect == "google_standard_sql"
    if target.array:
        element = converter(
            SourceType(source.name, source.args, source.unsigned, source.values),
            SpType(target.base, target.length),
            dialect,
            tz,
        )

        def conv_array(v: Any) -> list[Any]:
            if isinstance(v, (list, tuple)):
                items = list(v)
            elif isinstance(v, (set, frozenset)):
                items = sorted(v)
            elif source.name == "set":
                text = _text(v)
                items = text.split(",") if text else []
            else:
                items = parse_pg_array(_text(v))
            return [None if x is None else element(x) for x in items]

        return conv_array
    base = target.base
    if source.array_dims and base in ("JSON", "STRING"):

        def conv_nested(v: Any) -> str:
            data = v if isinstance(v, (list, tuple)) else _pg_nested(_text(v))
            return json.dumps(data, ensure_ascii=False, default=str)

        return conv_nested
    if base == "INT64":
        return _int
    if base == "BOOL":
        return _bool
    if base == "FLOAT32":
        return _float32
    if base == "FLOAT64":
        return _float
    if base == "NUMERIC":
        conv = _numeric(gsql)
        if source.name == "money":
            return lambda v: conv(
                _text(v).replace("$", "").replace(",", "")
                if not isinstance(v, (int, decimal.Decimal))
                else v
            )
        return conv
    if base == "STRING":
        allowed = source.values if source.name == "enum" else ()
        string = _string(target.length, allowed)
        if source.name in MYSQL_SPATIAL:
            return lambda v: string(mysql_geometry_text(v))
        return string
    if base == "BYTES":
        return _bytes_conv(target.length, source)
    if base == "DATE":
        return _date
    if base == "TIMESTAMP":
        return _timestamp(tz)
    if base == "JSON":
        return _json_conv
    raise ValueError(f"no converter for {target.key()}")


def _pg_nested(text: str) -> Any:
    """Multi-dimensional PG array text -> nested lists (values as text)."""
    text = text.strip()
    if not text.startswith("{"):
        return text
    depth = 0
    buf: list[str] = []
    stack: list[list[Any]] = []
    cur: list[Any] = []
    in_quote = False
    for ch in text:
        if in_quote:
            if ch == '"':
                in_quote = False
            else:
                buf.append(ch)
            continue
        if ch == '"':
            in_quote = True
        elif ch == "{":
            stack.append(cur)
            cur = []
            depth += 1
        elif ch in ",}":
            if buf:
                token = "".join(buf)
                cur.append(None if token == "NULL" else token)
                buf = []
            if ch == "}":
                done = cur
                cur = stack.pop()
                cur.append(done)
                depth -= 1
        else:
            buf.append(ch)
    return cur[0] if cur else []


# --- spatial: MySQL's internal format (SRID + WKB) to WKT ---------------------------------------

_WKB_TYPES = {
    1: "POINT",
    2: "LINESTRING",
    3: "POLYGON",
    4: "MULTIPOINT",
    5: "MULTILINESTRING",
    6: "MULTIPOLYGON",
    7: "GEOMETRYCOLLECTION",
}


def _coord(x: float) -> str:
    """A coordinate at full precision: the shortest text that reads back as the same double
    (repr), integral values without a trailing `.0` (as MySQL writes them)."""
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))  # (-0.0 too: "0")
    if x != x or x in (float("inf"), float("-inf")):
        raise BadValue(f"coordinate {x!r} has no WKT form")
    return repr(x)


def wkb_to_wkt(data: bytes, offset: int = 0) -> tuple[str, int]:
    """Well-known binary -> well-known text; returns the text and the offset after it."""
    import struct

    order = "<" if data[offset] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, offset + 1)
    pos = offset + 5
    name = _WKB_TYPES.get(kind % 1000)
    if name is None:
        raise BadValue(f"unknown WKB geometry type {kind}")

    def coords(n: int) -> tuple[str, int]:
        nonlocal pos
        pts = []
        for _ in range(n):
            x, y = struct.unpack_from(order + "dd", data, pos)
            pos += 16
            pts.append(f"{_coord(x)} {_coord(y)}")
        return ", ".join(pts), pos

    if name == "POINT":
        text, pos = coords(1)
        return f"POINT({text})", pos
    (count,) = struct.unpack_from(order + "I", data, pos)
    pos += 4
    if name == "LINESTRING":
        text, pos = coords(count)
        return f"LINESTRING({text})", pos
    if name == "POLYGON":
        rings = []
        for _ in range(count):
            (n,) = struct.unpack_from(order + "I", data, pos)
            pos += 4
            text, pos = coords(n)
            rings.append(f"({text})")
        return f"POLYGON({', '.join(rings)})", pos
    parts = []
    for _ in range(count):
        text, pos = wkb_to_wkt(data, pos)
        if name != "GEOMETRYCOLLECTION":
            text = text[text.index("(") :]
            if name == "MULTIPOINT":
                text = text[1:-1]
        parts.append(text)
    return f"{name}({', '.join(parts)})", pos


def mysql_geometry_text(v: Any) -> str:
    """A spatial value from a dump (SRID + WKB bytes) or a live read (WKT text) -> WKT."""
    if isinstance(v, str) and (v[:1].isalpha() or v[:1] in "(<[") and not _has_surrogates(v):
        return v  # already text: WKT from ST_AsText, or PostgreSQL's geometric types
    data = _to_bytes(v)
    if len(data) < 9:
        raise BadValue("spatial value too short")
    try:
        text, _ = wkb_to_wkt(data, 4)  # the first 4 bytes are the SRID
    except Exception as exc:
        raise BadValue(f"malformed spatial value: {exc}") from exc
    return text


_INLINE[_int] = (
    "(int({v}) if type({v}) is str and len({v}) < 19 and {v}.isdecimal() else {c}({v}))",
    {},
)
_FORM[_int] = ("int", None)
_FORM[_float] = ("float", None)
_FORM[_date] = ("date", None)
