"""The pg_catalog relations spanner-local answers for PostgreSQL-dialect databases.

Built from the catalog like information_schema. OID columns use DuckDB's UINTEGER, a type no
Spanner column maps to, so that results can carry Spanner's PG_OID annotation.
"""

from __future__ import annotations

import zlib
from typing import Any

from .catalog import Catalog, Column, render_index_ddl

SCHEMA = "spanner_pg_catalog"
OID, S, N, B = "UINTEGER", "VARCHAR", "BIGINT", "BOOLEAN"

NAMESPACES = {"pg_catalog": 11, "public": 2200, "information_schema": 75_000, "spanner_sys": 75_001}

# (oid, name, length, category, element oid, array oid) as PostgreSQL numbers them.
TYPES: tuple[tuple[int, str, int, str, int, int], ...] = (
    (16, "bool", 1, "B", 0, 1000),
    (17, "bytea", -1, "U", 0, 1001),
    (20, "int8", 8, "N", 0, 1016),
    (25, "text", -1, "S", 0, 1009),
    (700, "float4", 4, "N", 0, 1021),
    (701, "float8", 8, "N", 0, 1022),
    (1043, "varchar", -1, "S", 0, 1015),
    (1082, "date", 4, "D", 0, 1182),
    (1184, "timestamptz", 8, "D", 0, 1185),
    (1700, "numeric", -1, "N", 0, 1231),
    (3802, "jsonb", -1, "U", 0, 3807),
    (1000, "_bool", -1, "A", 16, 0),
    (1001, "_bytea", -1, "A", 17, 0),
    (1016, "_int8", -1, "A", 20, 0),
    (1009, "_text", -1, "A", 25, 0),
    (1021, "_float4", -1, "A", 700, 0),
    (1022, "_float8", -1, "A", 701, 0),
    (1015, "_varchar", -1, "A", 1043, 0),
    (1182, "_date", -1, "A", 1082, 0),
    (1185, "_timestamptz", -1, "A", 1184, 0),
    (1231, "_numeric", -1, "A", 1700, 0),
    (3807, "_jsonb", -1, "A", 3802, 0),
)

# Spanner type code -> PostgreSQL type OID (scalars; arrays use the type's array OID).
TYPE_OIDS = {
    "BOOL": 16,
    "BYTES": 17,
    "INT64": 20,
    "FLOAT32": 700,
    "FLOAT64": 701,
    "STRING": 1043,
    "DATE": 1082,
    "TIMESTAMP": 1184,
    "NUMERIC": 1700,
    "JSON": 3802,
}
_ARRAY_OIDS = {t[0]: t[5] for t in TYPES}
_TYPE_LENGTHS = {t[0]: t[2] for t in TYPES}


def relation_oid(name: str) -> int:
    """A stable OID per table or index name (so OIDs survive schema changes and restarts)."""
    return 16384 + zlib.crc32(name.lower().encode()) % (2**31 - 16384)


def type_oid(col: Column) -> int:
    if col.stype.element is not None:
        return _ARRAY_OIDS[TYPE_OIDS[col.stype.element.code]]
    return TYPE_OIDS[col.stype.code]


RELATIONS: dict[str, list[tuple[str, str]]] = {
    "pg_namespace": [("oid", OID), ("nspname", S), ("nspowner", OID), ("nspacl", S)],
    "pg_tables": [
        ("schemaname", S),
        ("tablename", S),
        ("tableowner", S),
        ("tablespace", S),
        ("hasindexes", B),
        ("hasrules", B),
        ("hastriggers", B),
        ("rowsecurity", B),
    ],
    "pg_views": [("schemaname", S), ("viewname", S), ("viewowner", S), ("definition", S)],
    # Spanner has no enum types: empty, as Spanner's is (TypeORM asks it for every column)
    "pg_enum": [("oid", OID), ("enumtypid", OID), ("enumsortorder", "FLOAT"), ("enumlabel", S)],
    "pg_indexes": [
        ("schemaname", S),
        ("tablename", S),
        ("indexname", S),
        ("tablespace", S),
        ("indexdef", S),
    ],
    "pg_type": [
        ("oid", OID),
        ("typname", S),
        ("typnamespace", OID),
        ("typowner", OID),
        ("typlen", N),
        ("typbyval", B),
        ("typtype", S),
        ("typcategory", S),
        ("typispreferred", B),
        ("typisdefined", B),
        ("typdelim", S),
        ("typrelid", OID),
        ("typelem", OID),
        ("typarray", OID),
        ("typnotnull", B),
        ("typbasetype", OID),
        ("typtypmod", N),
        ("typndims", N),
        ("typcollation", OID),
    ],
    "pg_class": [
        ("oid", OID),
        ("relname", S),
        ("relnamespace", OID),
        ("reltype", OID),
        ("relowner", OID),
        ("relam", OID),
        ("relhasindex", B),
        ("relisshared", B),
        ("relpersistence", S),
        ("relkind", S),
        ("relnatts", N),
        ("relchecks", N),
        ("relhasrules", B),
        ("relhastriggers", B),
        ("relrowsecurity", B),
        ("relispartition", B),
    ],
    "pg_attribute": [
        ("attrelid", OID),
        ("attname", S),
        ("atttypid", OID),
        ("attlen", N),
        ("attnum", N),
        ("attndims", N),
        ("atttypmod", N),
        ("attnotnull", B),
        ("atthasdef", B),
        ("attidentity", S),
        ("attgenerated", S),
        ("attisdropped", B),
        ("attislocal", B),
    ],
    "pg_index": [
        ("indexrelid", OID),
        ("indrelid", OID),
        ("indnatts", N),
        ("indnkeyatts", N),
        ("indisunique", B),
        ("indisprimary", B),
        ("indkey", S),
    ],
}


def build(catalog: Catalog) -> dict[str, tuple[list[tuple[str, str]], list[tuple[Any, ...]]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in RELATIONS}
    for name, oid in NAMESPACES.items():
        rows["pg_namespace"].append((oid, name, 10, None))
    for table in catalog.tables.values():
        has_indexes = bool(catalog.indexes_of(table.name))
        rows["pg_tables"].append(
            ("public", table.name, "spanner_admin", None, has_indexes, False, False, False)
        )
    for view in catalog.views.values():
        rows["pg_views"].append(("public", view.name, "spanner_admin", view.query))
    for index in catalog.indexes.values():
        rows["pg_indexes"].append(
            ("public", index.table, index.name, None, render_index_ddl(index, catalog.dialect))
        )
    public = NAMESPACES["public"]
    for table in catalog.tables.values():
        toid = relation_oid(table.name)
        indexes = catalog.indexes_of(table.name)
        rows["pg_class"].append(
            (
                toid,
                table.name,
                public,
                0,
                10,
                0,
                True,
                False,
                "p",
                "r",
                len(table.columns),
                len(table.checks),
                False,
                False,
                False,
                False,
            )
        )
        positions = {c.name.lower(): n for n, c in enumerate(table.columns, start=1)}
        for num, col in enumerate(table.columns, start=1):
            oid = type_oid(col)
            rows["pg_attribute"].append(
                (
                    toid,
                    col.name,
                    oid,
                    _TYPE_LENGTHS.get(oid, -1),
                    num,
                    1 if col.stype.element is not None else 0,
                    -1,
                    col.not_null,
                    col.default is not None,
                    "",
                    "s" if col.generated else "",
                    False,
                    True,
                )
            )
        pk_oid = relation_oid(f"PRIMARY_KEY_{table.name}")
        pk_keys = " ".join(str(positions[k.column.lower()]) for k in table.primary_key)
        rows["pg_class"].append(
            (
                pk_oid,
                f"{table.name}_pkey",
                public,
                0,
                10,
                403,
                False,
                False,
                "p",
                "i",
                len(table.primary_key),
                0,
                False,
                False,
                False,
                False,
            )
        )
        rows["pg_index"].append(
            (pk_oid, toid, len(table.primary_key), len(table.primary_key), True, True, pk_keys)
        )
        for index in indexes:
            ioid = relation_oid(index.name)
            keys = [str(positions[k.column.lower()]) for k in index.keys]
            stored = [str(positions[c.lower()]) for c in index.storing]
            rows["pg_class"].append(
                (
                    ioid,
                    index.name,
                    public,
                    0,
                    10,
                    403,
                    False,
                    False,
                    "p",
                    "i",
                    len(keys) + len(stored),
                    0,
                    False,
                    False,
                    False,
                    False,
                )
            )
            rows["pg_index"].append(
                (
                    ioid,
                    toid,
                    len(keys) + len(stored),
                    len(keys),
                    index.unique,
                    False,
                    " ".join(keys + stored),
                )
            )
    for oid, name, length, category, elem, array in TYPES:
        rows["pg_type"].append(
            (
                oid,
                name,
                11,
                10,
                length,
                length > 0,
                "b",
                category,
                False,
                True,
                ",",
                0,
                elem,
                array,
                False,
                0,
                -1,
                0,
                0,
            )
        )
    return {name: (cols, rows[name]) for name, cols in RELATIONS.items()}
