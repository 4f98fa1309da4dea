r"""The canonical text of a value, in Python: the reference every dialect's SQL must agree with.

The same rules are written as SQL for each engine in `dialects/`; SQLite runs this module
itself through registered functions, and the tests check every engine's SQL against it.

Rules (also in the package README):
- framing: every column contributes its text followed by `|`; in text-like columns `\` and `|`
  are escaped as `\\` and `\|`; NULL contributes `\N|`, which no escaped text can produce. So NULL,
  '' and 'NULL' differ, and values cannot shift between columns ('ab'+'c' ≠ 'a'+'bc').
- integers: decimal digits, `-` sign.
- decimals: the exact value, no exponent, trailing fractional zeros and a trailing `.` removed
  (`100.50` → `100.5`, `100.00` → `100`), so scale changes between engines do not matter.
- floats (real and double): the shortest text that round-trips the IEEE double (float32 values
  widened exactly to double), written as `<d>[.<digits>]e<exp>`; `0`, `nan`, `inf`, `-inf`.
- text: as stored (unicode not normalized, trailing spaces significant); CHAR(n) padding removed.
- booleans: `1`/`0` (so a MySQL tinyint(1) matches); a text column compared with a boolean one
  maps 1/t/true/y/yes and 0/f/false/n/no, case-insensitively.
- dates `YYYY-MM-DD`; times `HH:MM:SS[.ffffff]`; timestamps `YYYY-MM-DD HH:MM:SS[.ffffff]` in
  UTC, to the microsecond, trailing fractional zeros (and a bare `.`) dropped (values without a
  time zone are taken as UTC wall clock).
- binary: lower-case hex. uuid: lower case. others: the engine's text.
- json: parsed and written again with object keys sorted by code point, no whitespace,
  non-ASCII characters as themselves, numbers by value as decimals (`1.50`, `15e-1` → `1.5`);
  text that does not parse stays as it is. No engine can sort keys the same way in SQL (PostgreSQL
  jsonb orders keys by length first, MariaDB/SQLite/DuckDB keep the written order), so JSON
  columns are fetched as text and canonicalized here, on every engine (see `json_text`).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from .types import Kind

NULL_FRAME = "\\N|"
SEPARATOR = "|"
TRUE_WORDS = ("1", "T", "TRUE", "Y", "YES")
FALSE_WORDS = ("0", "F", "FALSE", "N", "NO")
HASH_HEX_CHARS = 32  # 128 bits of SHA-256: collisions are out of reach for any table size


def decimal_text(value: Decimal) -> str:
    """Exact decimal without exponent and without trailing fractional zeros."""
    if value.is_nan():
        return "NaN"
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def float_text_from_shortest(text: str, negative: bool) -> str:
    """`<d>[.<digits>]e<exp>` from any engine's shortest text of |x| (`1e+20`, `0.00001`, `1.0`)."""
    mantissa, _, exp = text.lower().partition("e")
    ip, _, fp = mantissa.partition(".")
    digits = ip + fp
    stripped = digits.lstrip("0")
    leading = len(digits) - len(stripped)
    sig = stripped.rstrip("0")
    exponent = (int(exp) if exp else 0) + len(ip) - 1 - leading
    body = sig[0] + ("." + sig[1:] if len(sig) > 1 else "")
    return ("-" if negative else "") + body + "e" + str(exponent)


def round32(value: float) -> float:
    """The nearest 32-bit float, widened back exactly (how FLOAT32 / REAL store a double)."""
    import struct

    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:  # beyond the float32 range: stored as infinity
        return math.copysign(math.inf, value)


def float_text(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    return float_text_from_shortest(repr(abs(value)), value < 0)


def _to_decimal(value: Any, scale: int | None) -> Decimal:
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, float):
        # SQLite keeps DECIMAL columns as REAL: the declared scale restores the intended value.
        d = Decimal(repr(value))
    else:
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            return Decimal("NaN")
    if scale is not None and d.is_finite() and isinstance(value, float):
        d = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
    return d


def _to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    text = str(value).strip().replace("Z", "+00:00")
    return dt.datetime.fromisoformat(text)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def canonical(
    kind: Kind,
    value: Any,
    scale: int | None = None,
    *,
    rtrim: bool = False,
    upper: bool = False,
    boolmap: bool = False,
    as_float: bool = False,
    float32: bool = False,
) -> str | None:
    """Canonical text of one value (None for NULL)."""
    if value is None:
        return None
    if float32 and kind in (Kind.INT, Kind.DECIMAL, Kind.FLOAT, Kind.BOOL):
        text = float_text(round32(float(value)))
    elif as_float and kind in (Kind.INT, Kind.DECIMAL, Kind.FLOAT, Kind.BOOL):
        text = float_text(float(value))
    elif kind is Kind.INT or kind is Kind.BOOL:
        if isinstance(value, str):
            text = value
        else:
            text = str(int(value))
    elif kind is Kind.DECIMAL:
        text = decimal_text(_to_decimal(value, scale))
    elif kind is Kind.FLOAT:
        text = float_text(float(value))
    elif kind is Kind.DATE:
        text = (
            value.isoformat()[:10]
            if isinstance(value, dt.date)
            else _to_datetime(value).date().isoformat()
        )
    elif kind is Kind.TIME:
        t = value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))
        text = _trim_fraction(t.strftime("%H:%M:%S.%f"))
    elif kind in (Kind.TIMESTAMP, Kind.TIMESTAMPTZ):
        text = _trim_fraction(_utc(_to_datetime(value)).strftime("%Y-%m-%d %H:%M:%S.%f"))
    elif kind is Kind.BINARY:
        raw = value.encode() if isinstance(value, str) else bytes(value)
        text = raw.hex()
    elif kind is Kind.UUID:
        text = str(value).lower()
    elif kind is Kind.JSON:
        text = json_text(value) or ""
    else:
        text = value.decode() if isinstance(value, (bytes, bytearray)) else str(value)
    if rtrim:
        text = text.rstrip(" ")
    if upper:
        text = text.upper()
    if boolmap:
        word = text.upper()
        text = "1" if word in TRUE_WORDS else "0" if word in FALSE_WORDS else text
    return text


def _json_write(value: Any, out: list[str]) -> None:
    import json

    if isinstance(value, dict):
        out.append("{")
        for i, k in enumerate(sorted(value)):
            if i:
                out.append(",")
            out.append(json.dumps(k, ensure_ascii=False))
            out.append(":")
            _json_write(value[k], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _json_write(v, out)
        out.append("]")
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    else:  # str, bool, None
        out.append(json.dumps(value, ensure_ascii=False))


def json_text(text: str | None) -> str | None:
    """The canonical form of a JSON document (see the module rules); None stays None."""
    import json

    if text is None:
        return None
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text).decode("utf-8")
    elif not isinstance(text, str):  # a driver that already parsed it (dict, list, ...)
        text = json.dumps(text)
    try:
        value = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return text
    out: list[str] = []
    _json_write(value, out)
    return "".join(out)


def _trim_fraction(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def frame(text: str | None, escaped: bool = True) -> str:
    """One column's contribution to the row text."""
    if text is None:
        return NULL_FRAME
    return (escape(text) if escaped else text) + SEPARATOR


def row_text(texts: list[str | None], escaped: list[bool] | None = None) -> str:
    flags = escaped or [True] * len(texts)
    return "".join(frame(t, e) for t, e in zip(texts, flags, strict=True))


def row_hash(text: str) -> str:
    import hashlib  # only SQLite hashes in Python; keep libcrypto out of the other runs

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_HEX_CHARS]


# --- values finished in Python: arrays and geometry ------------------------------------------
def _as_text(value: Any) -> str:
    return (
        bytes(value).decode("utf-8")
        if isinstance(value, (bytes, bytearray, memoryview))
        else str(value)
    )


def array_items(value: Any, source: str) -> list[Any] | None:
    """The elements of an array value: a driver's list, a MySQL SET's text ('a,c'; '' is the
    empty set), or a JSON array's text. None when the value is not an array at all."""
    import json

    if isinstance(value, (list, tuple)):
        return list(value)
    if source == "csv":
        text = _as_text(value)
        return text.split(",") if text else []
    try:
        parsed = json.loads(_as_text(value), parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def array_text(value: Any, element: Kind, source: str, float32: bool = False) -> str | None:
    """An array as a JSON list of its elements' canonical texts (null for a NULL element), so
    ['a','c'], the SET 'a,c' and the JSON '["a", "c"]' are equal; text that is not an array is
    kept as it is (and so differs)."""
    import json

    if value is None:
        return None
    items = array_items(value, source)
    if items is None:
        return _as_text(value)
    texts = []
    for item in items:
        if isinstance(item, (list, dict)):
            texts.append(json_text(json.dumps(item, default=str)))
        else:
            texts.append(canonical(element, item, float32=float32))
    return json.dumps(texts, ensure_ascii=False, separators=(",", ":"))


def geometry_text(value: Any, source: str) -> str | None:
    """Canonical WKT from WKB (`source` 'wkb') or WKT text ('wkt'); unreadable values are kept
    as their text (hex for bytes), so they differ from any geometry."""
    from . import geometry

    if value is None:
        return None
    try:
        if source == "wkb":
            return geometry.wkb_text(value)
        return geometry.wkt_text(_as_text(value))
    except (geometry.GeometryError, ValueError, UnicodeDecodeError):
        if isinstance(value, (bytes, bytearray, memoryview)):
            return "unreadable geometry " + bytes(value).hex()
        return str(value)


# how a value fetched for Python finishing becomes its canonical text, by Render.finish
FINISHERS: dict[str, Any] = {
    "json": lambda v, r: json_text(v),
    "array_list": lambda v, r: array_text(v, r.element or Kind.OTHER, "list", r.float32),
    "array_csv": lambda v, r: array_text(v, r.element or Kind.STRING, "csv", r.float32),
    "array_json": lambda v, r: array_text(v, r.element or Kind.OTHER, "json", r.float32),
    "wkb": lambda v, r: geometry_text(v, "wkb"),
    "wkt": lambda v, r: geometry_text(v, "wkt"),
}
