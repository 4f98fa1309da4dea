"""TypeORM's schema reads answered from information_schema (typeorm_catalog), with a recording
runner in place of Spanner: the texts are TypeORM 0.3's, as PostgresQueryRunner builds them."""

from __future__ import annotations

from typing import Any

import pytest
from dbtools.pgadapter.catalog import Catalog, Column, Index, Table
from dbtools.pgadapter.errors import PgError
from dbtools.pgadapter.typeorm_catalog import answer_typeorm_catalog

CAT = Catalog(
    "db1",
    ["public"],
    [
        Table(
            "public",
            "items",
            100,
            "r",
            [
                Column("id", 20, "bigint", True, None, 1),
                Column("name", 1043, "character varying(50)", True, None, 2),
                Column("tags", 1015, "character varying[]", False, None, 3),
                Column("created", 1184, "timestamp with time zone", False, None, 4),
                Column("price", 1700, "numeric", False, None, 5),
            ],
            [
                Index("items_pkey", 101, True, True, ["id"]),
                Index("items_by_name", 102, False, False, ["name"]),
                Index("items_nf", 103, True, False, ["name", "price"]),
            ],
        )
    ],
)

TABLES = (
    'SELECT "table_schema", "table_name", obj_description((\'"\' || "table_schema" || \'"."\''
    " || \"table_name\" || '\"')::regclass, 'pg_class') AS table_comment FROM"
    ' "information_schema"."tables" WHERE ("table_schema" = \'public\' AND "table_name" ='
    " 'items')"
)
COLUMNS = (
    "SELECT columns.*, pg_catalog.col_description(('\"' || table_catalog || '\".\"' ||"
    " table_schema || '\".\"' || table_name || '\"')::regclass::oid, ordinal_position) AS"
    ' description, (\'"\' || "udt_schema" || \'"."\' || "udt_name" || \'"\')::"regtype"::text'
    ' AS "regtype", pg_catalog.format_type("col_attr"."atttypid", "col_attr"."atttypmod") AS'
    ' "format_type" FROM "information_schema"."columns" LEFT JOIN "pg_catalog"."pg_attribute"'
    ' AS "col_attr" ON "col_attr"."attname" = "columns"."column_name" WHERE ("table_schema" ='
    " 'public' AND \"table_name\" = 'items')"
)
CONSTRAINTS = (
    'SELECT "ns"."nspname" AS "table_schema", "t"."relname" AS "table_name",'
    ' "cnst"."conname" AS "constraint_name", pg_get_constraintdef("cnst"."oid") AS "expression",'
    ' CASE "cnst"."contype" WHEN \'p\' THEN \'PRIMARY\' END AS "constraint_type",'
    ' "a"."attname" AS "column_name" FROM "pg_constraint" "cnst" INNER JOIN "pg_class" "t" ON'
    ' "t"."oid" = "cnst"."conrelid" WHERE "t"."relkind" IN (\'r\', \'p\') AND (("ns"."nspname"'
    " = 'public' AND \"t\".\"relname\" = 'items'))"
)
INDICES = (
    'SELECT "ns"."nspname" AS "table_schema", "t"."relname" AS "table_name", "i"."relname" AS'
    ' "constraint_name", "a"."attname" AS "column_name", CASE "ix"."indisunique" WHEN \'t\''
    ' THEN \'TRUE\' ELSE\'FALSE\' END AS "is_unique" FROM "pg_class" "t" WHERE'
    ' "t"."relkind" IN (\'r\', \'p\') AND "cnst"."contype" IS NULL AND'
    ' (("ns"."nspname" = \'public\' AND "t"."relname" = \'items\'))'
)
UDT = (
    'SELECT "udt_schema", "udt_name" FROM "information_schema"."columns" WHERE "table_schema" ='
    " 'public' AND \"table_name\" = 'items' AND \"column_name\"='tags'"
)


class Recorder:
    def __init__(self, *answers: list[list[Any]]) -> None:
        self.answers = list(answers)
        self.sql: list[str] = []

    def __call__(self, sql: str) -> list[list[Any]]:
        self.sql.append(sql)
        return self.answers.pop(0)


def answer(sql: str, run: Recorder) -> Any:
    return answer_typeorm_catalog(sql, lambda: CAT, run)


def test_tables_have_no_comment_and_filter_as_asked() -> None:
    run = Recorder([["public", "items"]])
    got = answer(TABLES, run)
    assert got.rows == [["public", "items", None]]
    assert [c for c, _ in got.columns] == ["table_schema", "table_name", "table_comment"]
    assert "(table_schema = 'public' AND table_name = 'items')" in run.sql[0]


def test_columns_add_postgres_facts_spanner_lacks() -> None:
    spanner_row = ["db1", "public", "items", "name", 2, None, "NO", "character varying", 50, None]
    spanner_row += ["NEVER", None, "NO", None, "character varying(50)"]
    tags = ["db1", "public", "items", "tags", 3, None, "YES", "ARRAY", None, None]
    tags += ["NEVER", None, "NO", None, "character varying[]"]
    created = ["db1", "public", "items", "created", 4, None, "YES", "timestamp with time zone"]
    created += [None, None, "NEVER", None, "NO", None, "timestamp with time zone"]
    got = answer(COLUMNS, Recorder([spanner_row, tags, created]))
    rows = [dict(zip([c for c, _ in got.columns], r, strict=True)) for r in got.rows]
    assert rows[0]["regtype"] == "character varying"
    assert rows[0]["format_type"] == "character varying(50)"
    assert rows[0]["udt_name"] == "varchar"
    assert rows[0]["description"] is None
    assert (rows[1]["regtype"], rows[1]["udt_name"]) == ("character varying[]", "_varchar")
    assert rows[2]["datetime_precision"] == 6
    assert dict(got.columns)["ordinal_position"] == 23  # cardinal_number: an integer


def test_columns_of_any_relation_come_from_their_information_schema_type() -> None:
    row = ["db1", "information_schema", "tables", "table_name", 1, None, "YES", "character varying"]
    row += [None, None, "NEVER", None, "NO", None, "character varying"]
    got = answer(COLUMNS, Recorder([row]))
    assert got.rows[0][-3:] == [None, "character varying", "character varying"]


def test_a_column_type_it_cannot_describe_is_refused() -> None:
    row = ["db1", "public", "items", "v", 1, None, "YES", "tokenlist"]
    row += [None, None, "NEVER", None, "NO", None, "tokenlist"]
    with pytest.raises(PgError, match="tokenlist") as err:
        answer(COLUMNS, Recorder([row]))
    assert err.value.sqlstate == "0A000"


def test_a_filter_it_cannot_read_is_refused_not_answered_empty() -> None:
    odd = COLUMNS.replace("(\"table_schema\" = 'public' AND \"table_name\" = 'items')", "1=1")
    with pytest.raises(PgError, match="not understood") as err:
        answer(odd, Recorder())
    assert err.value.sqlstate == "0A000"


def test_constraints_use_spanner_names_and_skip_not_null_checks() -> None:
    keys = [["public", "items", "PK_items", "PRIMARY KEY", "id"]]
    checks = [
        ["public", "items", "CK_IS_NOT_NULL_items_name", "name IS NOT NULL", "name"],
        ["public", "items", "price_positive", "(price > 0)", "price"],
    ]
    got = answer(CONSTRAINTS, Recorder(keys, checks))
    assert got.rows == [
        ["public", "items", "PK_items", "PRIMARY KEY (id)", "PRIMARY", "id"],
        ["public", "items", "price_positive", "CHECK ((price > 0))", "CHECK", "price"],
    ]


def test_indices_one_row_per_column_with_null_filter_as_condition() -> None:
    found = [["public", "items", "items_by_name", False], ["public", "items", "items_nf", True]]
    got = answer(INDICES, Recorder(found))
    assert got.rows == [
        ["public", "items", "items_by_name", "name", "FALSE", None, "varchar", "btree"],
        [
            "public",
            "items",
            "items_nf",
            "name",
            "TRUE",
            "(name IS NOT NULL) AND (price IS NOT NULL)",
            "varchar",
            "btree",
        ],
        [
            "public",
            "items",
            "items_nf",
            "price",
            "TRUE",
            "(name IS NOT NULL) AND (price IS NOT NULL)",
            "numeric",
            "btree",
        ],
    ]


def test_udt_name_of_an_array_column() -> None:
    got = answer(UDT, Recorder())
    assert got.rows == [["pg_catalog", "_varchar"]]


def test_other_queries_are_not_taken() -> None:
    assert answer("SELECT * FROM information_schema.columns", Recorder()) is None


def test_quoted_matviews_read_empty_other_quoted_catalog_reads_go_to_spanner() -> None:
    from dbtools.pgadapter.catalog import answer_catalog

    matviews = (
        "SELECT 'DROP MATERIALIZED VIEW IF EXISTS \"' || schemaname || '\".\"' || matviewname"
        ' || \'" CASCADE;\' as "query" FROM "pg_matviews" WHERE "schemaname" IN'
        " (current_schema())"
    )
    got = answer_catalog(matviews, lambda: CAT, list)
    assert got is not None and got.rows == [] and got.columns == [("query", 25)]
    other = 'SELECT c.relname AS "name", n.nspname AS "schema" FROM "pg_class" c JOIN "pg_namespace" n ON true'
    assert answer_catalog(other, lambda: CAT, list) is None
