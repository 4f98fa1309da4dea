"""TypeORM's column query through pgadapter, compared with the same query on PostgreSQL for the
same table: the facts TypeORM reads from each column agree."""

from __future__ import annotations

import uuid

import psycopg

REAL_PG = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
# the types both have, with the spelling each stores (Spanner's text is character varying)
COLUMNS = (
    "id bigint NOT NULL PRIMARY KEY, name varchar(50) NOT NULL, price numeric, attrs jsonb,"
    " created timestamptz, day date, payload bytea, tags varchar[], scores bigint[],"
    " active boolean, r4 real, r8 double precision"
)
# PostgresQueryRunner.loadTables' column query (TypeORM 0.3), for one table
QUERY = (
    "SELECT columns.*, pg_catalog.col_description(('\"' || table_catalog || '\".\"' ||"
    " table_schema || '\".\"' || table_name || '\"')::regclass::oid, ordinal_position) AS"
    ' description, (\'"\' || "udt_schema" || \'"."\' || "udt_name" || \'"\')::"regtype"::text'
    ' AS "regtype", pg_catalog.format_type("col_attr"."atttypid", "col_attr"."atttypmod") AS'
    ' "format_type" FROM "information_schema"."columns" LEFT JOIN "pg_catalog"."pg_attribute"'
    ' AS "col_attr" ON "col_attr"."attname" = "columns"."column_name" AND'
    ' "col_attr"."attrelid" = ( SELECT "cls"."oid" FROM "pg_catalog"."pg_class" AS "cls" LEFT'
    ' JOIN "pg_catalog"."pg_namespace" AS "ns" ON "ns"."oid" = "cls"."relnamespace" WHERE'
    ' "cls"."relname" = "columns"."table_name" AND "ns"."nspname" = "columns"."table_schema" )'
    " WHERE (\"table_schema\" = 'public' AND \"table_name\" = '{table}')"
)
# what TypeORM reads of each column (PostgresQueryRunner.loadTables); numeric_precision is
# Spanner's own (read as is: it has none for real, PostgreSQL says 24; TypeORM reads it only
# for numeric columns, where both have none)
READ = (
    "column_name",
    "data_type",
    "is_nullable",
    "regtype",
    "format_type",
    "udt_schema",
    "udt_name",
    "numeric_scale",
    "datetime_precision",
    "character_maximum_length",
    "column_default",
    "ordinal_position",
    "description",
    "collation_name",
    "character_set_name",
    "is_identity",
)


def _facts(conn: psycopg.Connection, table: str) -> list[dict[str, object]]:
    cur = conn.execute(QUERY.format(table=table))
    names = [c.name for c in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    rows.sort(key=lambda r: str(r["column_name"]))
    return [{k: r[k] for k in READ} for r in rows]


def test_column_facts_match_postgresql(dsn: str) -> None:
    table = f"typeorm_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(REAL_PG, autocommit=True) as real:
        real.execute(f"CREATE TABLE {table} ({COLUMNS})")
        try:
            expected = _facts(real, table)
        finally:
            real.execute(f"DROP TABLE {table}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} ({COLUMNS})")
        got = _facts(conn, table)
    assert [r["column_name"] for r in got] == [r["column_name"] for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs
