"""Spanner types and how they are spelled in each dialect and stored in DuckDB (data, not logic)."""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud.spanner_v1.types.type import TypeAnnotationCode, TypeCode

from . import protos
from .errors import InvalidArgument

GOOGLE_SQL = "GOOGLE_STANDARD_SQL"
POSTGRESQL = "POSTGRESQL"

# The numbers are the official enums' (one place for that fact); spanner-local handles every code
# they name, so a code added by a newer client release shows up here and in the tests at once.
TYPE_CODES: dict[str, int] = {n: int(c) for n, c in TypeCode.__members__.items() if int(c)}
CODE_NAMES: dict[int, str] = {v: k for k, v in TYPE_CODES.items()}

ANNOTATIONS: dict[str, int] = {
    n: int(c) for n, c in TypeAnnotationCode.__members__.items() if int(c)
}
ANNOTATION_NAMES: dict[int, str] = {v: k for k, v in ANNOTATIONS.items()}

# How a scalar Spanner type is stored in DuckDB. NUMERIC is Spanner's fixed NUMERIC(38, 9).
DUCKDB_TYPES: dict[str, str] = {
    "BOOL": "BOOLEAN",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "FLOAT32": "FLOAT",
    # nanoseconds since 0001-01-01T00:00:00Z (see timestamps: DuckDB's timestamps keep micros)
    "TIMESTAMP": "UHUGEINT",
    "DATE": "DATE",
    "STRING": "VARCHAR",
    "BYTES": "BLOB",
    "NUMERIC": "DECIMAL(38,9)",
    "JSON": "JSON",
    "INTERVAL": "INTERVAL",
    "UUID": "UUID",
    # proto messages are stored serialized, proto enums as their number
    "PROTO": "BLOB",
    "ENUM": "BIGINT",
}
# The one field of the stand-in for an empty STRUCT, which DuckDB cannot hold.
EMPTY_STRUCT_FIELD = "_empty"
# Types named by a proto bundle's fully qualified name rather than a keyword.
PROTO_CODES = frozenset({"PROTO", "ENUM"})

# DuckDB result column types (as `str(duckdb_type)` spells them) -> Spanner type code.
DUCKDB_RESULT_TYPES: dict[str, str] = {
    "BOOLEAN": "BOOL",
    "TINYINT": "INT64",
    "SMALLINT": "INT64",
    "INTEGER": "INT64",
    "BIGINT": "INT64",
    "HUGEINT": "INT64",
    "UTINYINT": "INT64",
    "USMALLINT": "INT64",
    "UINTEGER": "INT64",
    "UBIGINT": "INT64",
    "DOUBLE": "FLOAT64",
    "FLOAT": "FLOAT32",
    "VARCHAR": "STRING",
    "BLOB": "BYTES",
    "DATE": "DATE",
    "UHUGEINT": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_S": "TIMESTAMP",
    "JSON": "JSON",
    "INTERVAL": "INTERVAL",
    "UUID": "UUID",
    "NULL": "INT64",
    '"NULL"': "INT64",
}

# GoogleSQL DDL type names (upper case) -> type code.
GSQL_TYPE_NAMES: dict[str, str] = {
    "BOOL": "BOOL",
    "INT64": "INT64",
    "FLOAT64": "FLOAT64",
    "FLOAT32": "FLOAT32",
    "TIMESTAMP": "TIMESTAMP",
    "DATE": "DATE",
    "STRING": "STRING",
    "BYTES": "BYTES",
    "NUMERIC": "NUMERIC",
    "JSON": "JSON",
}
# Types whose GoogleSQL spelling needs a length: STRING(MAX), BYTES(10).
GSQL_SIZED = frozenset({"STRING", "BYTES"})

# PostgreSQL-dialect DDL type names (lower case, multi-word names joined by one space)
# -> (type code, annotation). Names Spanner does not accept are simply absent.
PG_TYPE_NAMES: dict[str, tuple[str, str | None]] = {
    "bigint": ("INT64", None),
    "int8": ("INT64", None),
    # Spanner's PostgreSQL interface stores every integer column as bigint
    "int": ("INT64", None),
    "integer": ("INT64", None),
    "int4": ("INT64", None),
    "boolean": ("BOOL", None),
    "bool": ("BOOL", None),
    "bytea": ("BYTES", None),
    "character varying": ("STRING", None),
    "varchar": ("STRING", None),
    "text": ("STRING", None),
    "date": ("DATE", None),
    "double precision": ("FLOAT64", None),
    "float8": ("FLOAT64", None),
    "real": ("FLOAT32", None),
    "float4": ("FLOAT32", None),
    "jsonb": ("JSON", "PG_JSONB"),
    "numeric": ("NUMERIC", "PG_NUMERIC"),
    "decimal": ("NUMERIC", "PG_NUMERIC"),
    "timestamptz": ("TIMESTAMP", None),
    "timestamp with time zone": ("TIMESTAMP", None),
}
# Spellings Spanner's PostgreSQL interface rejects, with the reason it gives.
PG_REJECTED_TYPES: dict[str, str] = {
    "serial": "SERIAL",
    "bigserial": "BIGSERIAL",
    "smallserial": "SMALLSERIAL",
    "serial4": "SERIAL4",
    "serial8": "SERIAL8",
}

# PostgreSQL's built-in types that Spanner's PostgreSQL interface does not have (its data types
# page lists what it has: array, bool, bytea, date, float4/8, int8, interval, jsonb, numeric,
# timestamptz, varchar/text). A column or a cast of one of these fails with
# PG_UNSUPPORTED_TYPE_MESSAGE; DuckDB has several of them, so spanner-local checks by name.
PG_UNSUPPORTED_TYPES: frozenset[str] = frozenset(
    {
        "bit",
        "bit varying",
        "varbit",
        "money",
        "inet",
        "cidr",
        "macaddr",
        "macaddr8",
        "xml",
        "tsvector",
        "tsquery",
        "point",
        "line",
        "lseg",
        "box",
        "path",
        "polygon",
        "circle",
        "int4range",
        "int8range",
        "numrange",
        "tsrange",
        "tstzrange",
        "daterange",
        "txid_snapshot",
        "pg_lsn",
        "timetz",
        "time with time zone",
        # Spanner's only date-time types are date and timestamptz, and its only JSON type jsonb
        "timestamp",
        "timestamp without time zone",
        "time",
        "time without time zone",
        "json",
    }
)
# Spellings of supported types that begin with an unsupported one's name.
PG_SUPPORTED_LONG_SPELLINGS: frozenset[str] = frozenset({"timestamp with time zone"})
PG_UNSUPPORTED_TYPE_MESSAGE = "Type <{name}> is not supported."

# Canonical spelling when Spanner prints DDL / information_schema.
PG_CANONICAL: dict[str, str] = {
    "INT64": "bigint",
    "BOOL": "boolean",
    "BYTES": "bytea",
    "STRING": "character varying",
    "DATE": "date",
    "FLOAT64": "double precision",
    "FLOAT32": "real",
    "JSON": "jsonb",
    "NUMERIC": "numeric",
    "TIMESTAMP": "timestamp with time zone",
}


@dataclass(frozen=True)
class SType:
    """A Spanner type: a code, an element type for arrays, a PostgreSQL annotation."""

    code: str
    element: SType | None = None
    annotation: str | None = None
    fields: tuple[tuple[str, SType], ...] = ()
    fqn: str | None = None  # PROTO / ENUM: the fully qualified proto type name

    def to_pb(self) -> protos.Type:
        pb = protos.Type(code=TYPE_CODES[self.code])
        if self.fqn:
            pb.proto_type_fqn = self.fqn
        if self.annotation:
            pb.type_annotation = ANNOTATIONS[self.annotation]
        if self.element is not None:
            pb.array_element_type.CopyFrom(self.element.to_pb())
        if self.code == "STRUCT":
            for name, ftype in self.fields:
                f = pb.struct_type.fields.add()
                f.name = name
                f.type_.CopyFrom(ftype.to_pb())
        return pb

    @classmethod
    def from_pb(cls, pb: protos.Type) -> SType:
        code = CODE_NAMES.get(pb.code)
        if code is None:
            raise InvalidArgument(f"Invalid type: type code {pb.code} is not a Spanner type.")
        annotation = ANNOTATION_NAMES.get(pb.type_annotation)
        if code == "ARRAY":
            if not pb.HasField("array_element_type") or not pb.array_element_type.code:
                raise InvalidArgument("Invalid type: an ARRAY type must have an element type.")
            return cls("ARRAY", element=cls.from_pb(pb.array_element_type))
        if code == "STRUCT":
            fields = tuple((f.name, cls.from_pb(f.type_)) for f in pb.struct_type.fields)
            return cls("STRUCT", fields=fields)
        if code in PROTO_CODES:
            return cls(code, fqn=pb.proto_type_fqn)
        return cls(code, annotation=annotation)

    def duckdb(self) -> str:
        if self.element is not None:
            return self.element.duckdb() + "[]"
        if self.code == "STRUCT":
            if not self.fields:
                # DuckDB has no empty STRUCT: one placeholder field stands in (see codec.decode)
                return f'STRUCT("{EMPTY_STRUCT_FIELD}" BOOLEAN)'
            fields = ", ".join(
                f'"{name}" {ftype.duckdb()}'
                for name, ftype in zip(self.field_keys, (f[1] for f in self.fields), strict=True)
            )
            return f"STRUCT({fields})"
        return DUCKDB_TYPES[self.code]

    @property
    def field_keys(self) -> list[str]:
        """Struct field names made unique (Spanner allows anonymous and repeated ones)."""
        keys: list[str] = []
        for i, (name, _) in enumerate(self.fields):
            key = name or f"_{i}"
            while key.lower() in (k.lower() for k in keys):
                key = f"{key}_{i}"
            keys.append(key)
        return keys

    @property
    def scalar(self) -> SType:
        return self.element if self.element is not None else self


def annotate_for_dialect(stype: SType, dialect: str) -> SType:
    """Add the type annotations that PostgreSQL-dialect databases put on NUMERIC and JSON."""
    if dialect != POSTGRESQL:
        return stype
    if stype.element is not None:
        return SType("ARRAY", element=annotate_for_dialect(stype.element, dialect))
    if stype.code == "NUMERIC":
        return SType("NUMERIC", annotation="PG_NUMERIC")
    if stype.code == "JSON":
        return SType("JSON", annotation="PG_JSONB")
    return stype
