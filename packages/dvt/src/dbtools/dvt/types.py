"""Logical column types: every engine's native type names mapped onto a few comparison kinds.

The kind decides how a value is turned into its canonical text (see `canon.py` and the
dialects); precision/scale/length are kept for the schema comparison.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Kind(str, enum.Enum):
    INT = "int"
    DECIMAL = "decimal"
    FLOAT = "float"
    STRING = "string"
    CHAR = "char"  # blank-padded fixed length: trailing spaces are padding, not data
    BOOL = "bool"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"  # no time zone: the wall clock is taken as UTC
    TIMESTAMPTZ = "timestamptz"  # an instant: compared in UTC
    BINARY = "binary"
    UUID = "uuid"
    JSON = "json"
    ARRAY = "array"  # Spanner ARRAY<T>, PostgreSQL/DuckDB T[]: compared element by element
    GEOMETRY = "geometry"  # MySQL/MariaDB spatial, PostGIS: compared as WKT at full precision
    OTHER = "other"


NUMERIC_KINDS = frozenset({Kind.INT, Kind.DECIMAL, Kind.FLOAT})
TEXT_KINDS = frozenset({Kind.STRING, Kind.CHAR})


@dataclass(frozen=True)
class Column:
    name: str
    native: str  # the type as the engine spells it, lower case
    kind: Kind
    precision: int | None = None
    scale: int | None = None
    length: int | None = None
    nullable: bool = True
    element: Kind | None = None  # the element kind of an ARRAY
    element_float32: bool = False  # an ARRAY of 32-bit floats (FLOAT32, real[], FLOAT[])
    int_range: tuple[int, int] | None = None  # the values an integer type holds
    fraction: int | None = None  # fractional-second digits a time/timestamp keeps

    @property
    def float32(self) -> bool:
        """A 32-bit float (REAL, FLOAT4, FLOAT32, MySQL FLOAT): compared as 32-bit values."""
        return self.kind is Kind.FLOAT and self.precision == FLOAT32_BITS


FLOAT32_BITS, FLOAT64_BITS = 24, 53  # significand bits, as SQL's float(p) counts them


# (pattern on the lower-cased native type, kind). First match wins; patterns are anchored.
# Shared by every engine: the names do not collide in a harmful way across engines.
_TYPE_PATTERNS: tuple[tuple[str, Kind], ...] = (
    (
        r"(tinyint|smallint|mediumint|bigint|int|integer|int2|int4|int8|int64|serial|bigserial|smallserial|hugeint|utinyint|usmallint|uinteger|ubigint|uhugeint)(\(\d+\))?( unsigned| signed| zerofill)*",
        Kind.INT,
    ),
    (r"(numeric|decimal|dec|number|bignumeric)(\s*\(.*\))?( unsigned)?", Kind.DECIMAL),
    (
        r"(real|float|float4|float8|float32|float64|double|double precision)(\s*\(.*\))?( unsigned)?",
        Kind.FLOAT,
    ),
    (r"(bpchar|character|char|nchar|national character)(\s*\(\d+\))?", Kind.CHAR),
    (
        r"(character varying|varchar|nvarchar|national character varying|text|tinytext|mediumtext|longtext|string|clob|citext|name|enum|set)(\s*\(.*\))?",
        Kind.STRING,
    ),
    (r"(boolean|bool)", Kind.BOOL),
    (r"date", Kind.DATE),
    (r"time(\s*\(\d+\))?( without time zone)?", Kind.TIME),
    (
        r"(timestamp|datetime|timestamp_us|timestamp_ms|timestamp_s|timestamp_ns)(\s*\(\d+\))?( without time zone)?",
        Kind.TIMESTAMP,
    ),
    (r"(timestamptz|timestamp(\s*\(\d+\))? with time zone)", Kind.TIMESTAMPTZ),
    (
        r"(bytea|blob|tinyblob|mediumblob|longblob|binary|varbinary|bytes|bit varying|raw)(\s*\(.*\))?",
        Kind.BINARY,
    ),
    (r"uuid", Kind.UUID),
    (r"(json|jsonb)", Kind.JSON),
)
_COMPILED = tuple((re.compile(p + r"$"), k) for p, k in _TYPE_PATTERNS)

MYSQL_SPATIAL = (
    "geometry",
    "point",
    "linestring",
    "polygon",
    "multipoint",
    "multilinestring",
    "multipolygon",
    "geometrycollection",
    "geomcollection",
)

# Engine-specific meanings that override the shared table.
_ENGINE_OVERRIDES: dict[str, dict[str, Kind]] = {
    # MySQL/MariaDB TIMESTAMP is stored in UTC and shown in the session zone (we set +00:00).
    "mysql": {"timestamp": Kind.TIMESTAMPTZ, **dict.fromkeys(MYSQL_SPATIAL, Kind.GEOMETRY)},
    # PostGIS: geometry and geography columns, read as WKB (ST_AsBinary) like MySQL's.
    "postgresql": {"geometry": Kind.GEOMETRY, "geography": Kind.GEOMETRY},
    # Spanner's TIMESTAMP is an instant.
    "spanner": {"timestamp": Kind.TIMESTAMPTZ},
}

_NUM_ARGS = re.compile(r"\(\s*(\d+|max)\s*(?:,\s*(\d+)\s*)?\)")


_ARRAY = re.compile(r"^array\s*<(.*)>$|^(.*?)\s*\[\d*\]$")

# Float types by width: 32-bit names (MySQL's bare FLOAT is 32-bit, DuckDB's FLOAT and REAL too;
# SQLite's REAL is a double).
_FLOAT32_NAMES = frozenset({"real", "float4", "float32"})


def _float_bits(engine: str, base: str, text: str) -> int:
    m = re.search(r"\(\s*(\d+)", text)
    if base == "float" and m and engine in ("postgresql", "mysql", "duckdb"):
        return FLOAT32_BITS if int(m.group(1)) <= 24 else FLOAT64_BITS
    if base in _FLOAT32_NAMES and engine != "sqlite":
        return FLOAT32_BITS
    if base == "float" and engine in ("mysql", "duckdb"):
        return FLOAT32_BITS
    return FLOAT64_BITS


def element_type(engine: str, native: str) -> tuple[Kind, int | None] | None:
    """(kind, precision) of an array type's elements (`ARRAY<FLOAT32>`, `real[]`), else None;
    float elements carry their significand bits as the precision, as `parse_type` gives."""
    m = _ARRAY.match(" ".join(native.lower().split()))
    if not m:
        return None
    kind, precision, _, _ = parse_type(engine, (m.group(1) or m.group(2)).strip())
    return kind, precision


def parse_type(engine: str, native: str) -> tuple[Kind, int | None, int | None, int | None]:
    """(kind, precision, scale, length) for a native type name such as `numeric(12,2)`.

    Floats carry their significand bits as the precision (24: 32-bit, 53: 64-bit)."""
    text = " ".join(native.lower().split())
    if _ARRAY.match(text):
        return Kind.ARRAY, None, None, None
    base = re.sub(r"\s*\(.*?\)", "", text)
    kind = _ENGINE_OVERRIDES.get(engine, {}).get(base)
    if kind is None:
        kind = next((k for rx, k in _COMPILED if rx.match(text)), Kind.OTHER)
    precision = scale = length = None
    m = _NUM_ARGS.search(text)
    if kind is Kind.DECIMAL:
        if m and m.group(1) != "max":
            precision = int(m.group(1))
            scale = int(m.group(2)) if m.group(2) else 0
        elif engine == "spanner" and base == "numeric":
            precision, scale = 38, 9
        elif engine == "mysql":
            precision, scale = 10, 0  # MySQL's bare DECIMAL is DECIMAL(10,0)
    elif kind is Kind.FLOAT:
        precision = _float_bits(engine, base.replace(" unsigned", ""), text)
    elif kind in (Kind.STRING, Kind.CHAR, Kind.BINARY) and m and m.group(1) != "max":
        length = int(m.group(1))
    if kind is Kind.CHAR and length is None and engine != "duckdb":
        length = 1
    if engine in ("duckdb", "sqlite") and kind is Kind.CHAR:
        # DuckDB's and SQLite's CHAR is an alias of VARCHAR: no padding semantics.
        kind = Kind.STRING
    return kind, precision, scale, length


# integer type name → bits (unsigned variants hold 0 … 2**bits − 1)
INT_BITS: dict[str, int] = {
    "tinyint": 8,
    "utinyint": 8,
    "smallint": 16,
    "int2": 16,
    "usmallint": 16,
    "smallserial": 16,
    "mediumint": 24,
    "int": 32,
    "integer": 32,
    "int4": 32,
    "serial": 32,
    "uinteger": 32,
    "bigint": 64,
    "int8": 64,
    "int64": 64,
    "bigserial": 64,
    "ubigint": 64,
    "hugeint": 128,
    "uhugeint": 128,
}


def int_range(engine: str, native: str) -> tuple[int, int] | None:
    text = " ".join(native.lower().split())
    base = re.sub(r"\s*\(.*?\)", "", text).split(" ")[0]
    if engine == "sqlite":
        return -(2**63), 2**63 - 1  # every SQLite INTEGER is 64-bit
    bits = INT_BITS.get(base)
    if bits is None:
        return None
    if "unsigned" in text or base.startswith("u"):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


# fractional-second digits when the type names none
_DEFAULT_FRACTION: dict[str, int] = {
    "postgresql": 6,
    "mysql": 0,
    "duckdb": 6,
    "spanner": 9,
}
_DUCK_FRACTION = {"timestamp_s": 0, "timestamp_ms": 3, "timestamp_us": 6, "timestamp_ns": 9}


def fraction_digits(engine: str, native: str) -> int | None:
    text = " ".join(native.lower().split())
    if engine == "sqlite":
        return None  # text: whatever was written
    if text in _DUCK_FRACTION:
        return _DUCK_FRACTION[text]
    m = re.search(r"\(\s*(\d+)\s*\)", text)
    if m:
        return int(m.group(1))
    return _DEFAULT_FRACTION.get(engine)


def make_column(engine: str, name: str, native: str, nullable: bool = True) -> Column:
    kind, precision, scale, length = parse_type(engine, native)
    element = element_type(engine, native) if kind is Kind.ARRAY else None
    return Column(
        name=name,
        native=" ".join(native.lower().split()),
        kind=kind,
        precision=precision,
        scale=scale,
        length=length,
        nullable=nullable,
        element=element[0] if element else None,
        element_float32=element == (Kind.FLOAT, FLOAT32_BITS),
        int_range=int_range(engine, native) if kind is Kind.INT else None,
        fraction=(
            fraction_digits(engine, native)
            if kind in (Kind.TIME, Kind.TIMESTAMP, Kind.TIMESTAMPTZ)
            else None
        ),
    )
