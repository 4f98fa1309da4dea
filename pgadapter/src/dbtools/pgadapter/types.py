"""PostgreSQL type OIDs and their Spanner counterparts, as a data table.

Spanner's PostgreSQL dialect has fewer types than PostgreSQL: every integer is int8, every
string varchar, every timestamp timestamptz. Parameters of the narrower PG types (int2, int4,
text, json, timestamp...) are accepted and widened; results are always described with the
Spanner type's OID, as PGAdapter does.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud.spanner_v1.types.type import TypeAnnotationCode, TypeCode


@dataclass(frozen=True)
class PgType:
    name: str  # as format_type() prints it
    oid: int
    array_oid: int
    size: int  # typlen: -1 for varlena
    spanner: str  # key of SPANNER_CODES: the Spanner type a value of this PG type is sent as
    kind: str  # codec family used by codecs.py


# name, oid, array oid, typlen, Spanner type, codec family
_TYPES: tuple[tuple[str, int, int, int, str, str], ...] = (
    ("boolean", 16, 1000, 1, "BOOL", "bool"),
    ("bytea", 17, 1001, -1, "BYTES", "bytea"),
    ("name", 19, 1003, 64, "STRING", "text"),
    ("bigint", 20, 1016, 8, "INT64", "int8"),
    ("smallint", 21, 1005, 2, "INT64", "int2"),
    ("integer", 23, 1007, 4, "INT64", "int4"),
    ("text", 25, 1009, -1, "STRING", "text"),
    ("oid", 26, 1028, 4, "PG_OID", "oid"),
    ("json", 114, 199, -1, "PG_JSONB", "json"),
    ("real", 700, 1021, 4, "FLOAT32", "float4"),
    ("double precision", 701, 1022, 8, "FLOAT64", "float8"),
    ("unknown", 705, 0, -2, "STRING", "text"),
    ("character", 1042, 1014, -1, "STRING", "text"),
    ("character varying", 1043, 1015, -1, "STRING", "text"),
    ("date", 1082, 1182, 4, "DATE", "date"),
    ("timestamp without time zone", 1114, 1115, 8, "TIMESTAMP", "timestamp"),
    ("timestamp with time zone", 1184, 1185, 8, "TIMESTAMP", "timestamptz"),
    ("numeric", 1700, 1231, -1, "PG_NUMERIC", "numeric"),
    ("uuid", 2950, 2951, 16, "STRING", "uuid"),
    ("jsonb", 3802, 3807, -1, "PG_JSONB", "jsonb"),
    ("interval", 1186, 1187, 16, "INTERVAL", "interval"),
)

BY_OID: dict[int, PgType] = {row[1]: PgType(*row) for row in _TYPES}
# array OID → element type
ARRAY_ELEMENT: dict[int, PgType] = {t.array_oid: t for t in BY_OID.values() if t.array_oid}
BY_NAME: dict[str, PgType] = {t.name: t for t in BY_OID.values()}
# Short names that appear in casts and DDL.
BY_NAME.update(
    {
        "bool": BY_OID[16],
        "int8": BY_OID[20],
        "int": BY_OID[23],
        "int4": BY_OID[23],
        "int2": BY_OID[21],
        "float8": BY_OID[701],
        "float4": BY_OID[700],
        "varchar": BY_OID[1043],
        "timestamptz": BY_OID[1184],
        "decimal": BY_OID[1700],
    }
)

# Spanner result type → the OID used in RowDescription.
SPANNER_TO_OID: dict[str, int] = {
    "BOOL": 16,
    "BYTES": 17,
    "INT64": 20,
    "PG_OID": 26,
    "FLOAT32": 700,
    "FLOAT64": 701,
    "STRING": 1043,
    "DATE": 1082,
    "TIMESTAMP": 1184,
    "PG_NUMERIC": 1700,
    "NUMERIC": 1700,
    "PG_JSONB": 3802,
    "JSON": 3802,
    "UUID": 2950,
    "INTERVAL": 1186,
}

UNKNOWN = 705


def type_size(oid: int) -> int:
    t = BY_OID.get(oid)
    return t.size if t else -1


def array_oid_of(oid: int) -> int:
    t = BY_OID.get(oid)
    return t.array_oid if t else 0


def format_type(oid: int) -> str:
    """format_type() of an OID, as psql shows it (arrays as `bigint[]`)."""
    if oid in ARRAY_ELEMENT:
        return ARRAY_ELEMENT[oid].name + "[]"
    t = BY_OID.get(oid)
    return t.name if t else "unknown"


# names of the official enums' numbers, for raw protobuf messages that carry plain ints
_TYPE_CODES = {int(c): n for n, c in TypeCode.__members__.items()}
_ANNOTATIONS = {int(c): n for n, c in TypeAnnotationCode.__members__.items() if int(c)}


def _enum_name(value: object, table: dict[int, str]) -> str:
    """proto-plus enums have .name; raw protobuf messages carry plain ints."""
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    return table.get(int(value), "") if isinstance(value, int) else ""


def spanner_key(type_pb: object) -> tuple[str, str | None]:
    """(Spanner scalar key, element key for arrays) of a google.cloud.spanner_v1 Type."""
    code_name = _enum_name(getattr(type_pb, "code", 0), _TYPE_CODES)
    if code_name == "ARRAY":
        elem = getattr(type_pb, "array_element_type", None)
        return "ARRAY", spanner_key(elem)[0]
    annotation = _enum_name(getattr(type_pb, "type_annotation", 0), _ANNOTATIONS)
    if annotation in ("PG_NUMERIC", "PG_JSONB", "PG_OID"):
        return annotation, None
    return code_name, None


def oid_for_spanner(type_pb: object) -> int:
    key, elem = spanner_key(type_pb)
    if key == "ARRAY":
        return array_oid_of(SPANNER_TO_OID.get(elem or "", 1043)) or 1015
    return SPANNER_TO_OID.get(key, 1043)
