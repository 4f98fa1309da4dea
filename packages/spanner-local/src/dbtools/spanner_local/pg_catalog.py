"""The pg_catalog relations spanner-local answers for PostgreSQL-dialect databases.

Built from the catalog like information_schema. OID columns use DuckDB's UINTEGER, a type no
Spanner column maps to, so that results can carry Spanner's PG_OID annotation.
"""

from __future__ import annotations

from typing import Any

from .catalog import Catalog, render_index_ddl

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
    for index in catalog.indexes.values():
        rows["pg_indexes"].append(
            ("public", index.table, index.name, None, render_index_ddl(index, catalog.dialect))
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
