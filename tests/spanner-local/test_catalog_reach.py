"""A client's SQL reaches Spanner's catalog only, never DuckDB's own, in both dialects.

DuckDB resolves names Spanner lacks (its pg_catalog views found unqualified, duckdb_* views
and table functions, the system/main/temp qualifiers, spanner-local's internal schemas);
each must be answered with Spanner's contents or refused as Spanner refuses an unknown
relation, never answered from DuckDB (which returned e.g. no row at all for
`SELECT count(*) FROM pg_enum`).
"""

from __future__ import annotations

import uuid

import pytest
from dbtools.spanner_local import pg_catalog, relation_guard
from dbtools.spanner_local.translate import PG_CATALOG_ALLOWED, PG_CATALOG_IMPLEMENTED
from google.api_core import exceptions
from google.cloud.spanner_admin_database_v1 import DatabaseDialect

NOT_IMPLEMENTED = sorted(PG_CATALOG_ALLOWED - PG_CATALOG_IMPLEMENTED)
# DuckDB's views that are no Spanner relation, in either dialect.
DUCKDB_ONLY = sorted(relation_guard.duckdb_relations() - PG_CATALOG_ALLOWED)
TABLE_FUNCTIONS = [
    "duckdb_tables()",
    "duckdb_settings()",
    "range(3)",
    "read_csv('x.csv')",
    "query('select 1')",
    "pragma_table_info('t')",
]
QUALIFIED = [
    "main.t",
    "memory.main.t",
    "system.main.duckdb_tables",
    "temp.main.x",
    "spanner_information_schema.tables",
    "spanner_pg_catalog.pg_type",
    "spanner_local_internal.catalog",
    "spanner_local_versions.t",
]


def _new(server, dialect, ddl):
    instance = server.client().instance(server.instance)
    db_id = "t" + uuid.uuid4().hex[:20]
    if dialect == "POSTGRESQL":
        db = instance.database(db_id, database_dialect=DatabaseDialect.POSTGRESQL)
        db.create().result(60)
        db.update_ddl(ddl).result(60)
    else:
        db = instance.database(db_id, ddl_statements=ddl)
        db.create().result(60)
    return db


@pytest.fixture(scope="module")
def pdb(local_server):
    db = _new(
        local_server,
        "POSTGRESQL",
        ["create table t (x bigint primary key, s varchar(10))", "create index t_by_s on t (s)"],
    )
    yield db
    db.drop()


@pytest.fixture(scope="module")
def gdb(local_server):
    db = _new(
        local_server,
        "GOOGLE_STANDARD_SQL",
        [
            "CREATE TABLE t (x INT64, s STRING(10)) PRIMARY KEY (x)",
            # a user table named like one of DuckDB's views is the user's table
            "CREATE TABLE sqlite_master (id INT64, note STRING(MAX)) PRIMARY KEY (id)",
        ],
    )
    yield db
    db.drop()


def _q(db, sql):
    with db.snapshot() as s:
        return list(s.execute_sql(sql))


def _refused(db, sql):
    with pytest.raises(exceptions.InvalidArgument) as err:
        _q(db, sql)
    return err.value.message.split(", request_id = ")[0]  # the client appends the request id


# ------------------------------------------------------------------ PostgreSQL


@pytest.mark.parametrize("rel", NOT_IMPLEMENTED)
@pytest.mark.parametrize("form", ["{}", "pg_catalog.{}", '"{}"', "t join {} on true"])
def test_pg_catalog_relation_not_implemented_is_refused_however_named(pdb, rel, form):
    message = _refused(pdb, f"select count(*) from {form.format(rel)}")
    assert f"pg_catalog.{rel}" in message and "does not implement" in message


def test_pg_enum_is_spanners_empty_relation_not_duckdbs(pdb):
    # the example: DuckDB's own pg_enum view answered count(*) with no row at all;
    # Spanner has no enum types, so its pg_enum is empty and count(*) is one row of 0
    assert _q(pdb, "SELECT count(*) FROM pg_enum") == [[0]]
    assert _q(pdb, "select x from t where x in (select enumtypid from pg_enum)") == []


def test_unimplemented_relations_in_subqueries_are_refused(pdb):
    for sql in (
        "select * from t where x in (select prorettype from pg_proc)",
        "select * from t, (select * from pg_proc) p",
        "from pg_description",
        "select * from (table pg_proc) x",
        "select * from t, lateral (select * from pg_depend) d",
    ):
        assert "does not implement" in _refused(pdb, sql)


@pytest.mark.parametrize("rel", sorted(PG_CATALOG_IMPLEMENTED))
def test_pg_catalog_relation_answers_the_same_qualified_or_not(pdb, rel):
    unqualified = _q(pdb, f"select * from {rel}")
    assert unqualified == _q(pdb, f"select * from pg_catalog.{rel}")
    assert unqualified == _q(pdb, f'select * from "{rel}"')


def test_pg_catalog_rows_are_spanners_for_the_schema(pdb):
    # Spanner's PostgreSQL types, not DuckDB's (which has 41 rows and other OIDs)
    assert _q(pdb, "select count(*) from pg_type") == [[len(pg_catalog.TYPES)]]
    assert _q(pdb, "select tablename, hasindexes from pg_tables where schemaname = 'public'") == [
        ["t", True]
    ]
    assert _q(pdb, "select indexname from pg_indexes") == [["t_by_s"]]
    rows = _q(
        pdb,
        "select a.attname, ty.typname from pg_attribute a join pg_class c on c.oid = a.attrelid "
        "join pg_type ty on ty.oid = a.atttypid where c.relname = 't' order by a.attnum",
    )
    assert rows == [["x", "int8"], ["s", "varchar"]]


def test_a_cte_named_like_a_catalog_relation_is_the_cte(pdb):
    # (a relation spanner-local implements is rewritten to its own even then: not covered)
    assert _q(pdb, "with pg_proc as (select 7 as a) select a from pg_proc") == [[7]]


@pytest.mark.parametrize("rel", DUCKDB_ONLY)
def test_pg_duckdb_views_are_unknown_relations(pdb, rel):
    assert _refused(pdb, f"select * from {rel}") == f'relation "{rel}" does not exist'


# ------------------------------------------------------------------ both dialects


@pytest.mark.parametrize("call", TABLE_FUNCTIONS)
def test_duckdb_table_functions_are_refused(pdb, gdb, call):
    name = call.split("(")[0]
    assert _refused(pdb, f"select * from {call}") == f"function {name}() does not exist"
    assert _refused(gdb, f"SELECT * FROM {call}") == f"Table-valued function not found: {name}"


@pytest.mark.parametrize("name", QUALIFIED)
def test_duckdb_and_internal_schemas_are_unknown(pdb, gdb, name):
    assert _refused(pdb, f"select * from {name}") == f'relation "{name}" does not exist'
    assert _refused(gdb, f"SELECT * FROM {name}") == f"Table not found: {name}"


def test_unnest_and_plain_tables_still_work(pdb, gdb):
    assert _q(pdb, "select * from unnest(array[1, 2])") == [[1], [2]]
    assert _q(pdb, "select count(*) from generate_series(1, 3)") == [[3]]
    assert "generate_series" in _refused(gdb, "SELECT * FROM generate_series(1, 3)")
    assert _q(gdb, "SELECT * FROM UNNEST([1, 2]) AS u") == [[1], [2]]
    assert _q(gdb, "SELECT a.x FROM t a JOIN t b ON a.x = b.x, t c") == []
    # `main` as an alias, outside the FROM list, is the alias
    assert _q(gdb, "SELECT main.x FROM t AS main") == []
    # FROM inside a function's arguments or after IS DISTINCT names no relation
    assert _q(pdb, "select extract(year from date '2024-05-01')") == [[2024]]
    assert _q(pdb, "select substring('abc' from 2)") == [["bc"]]
    assert _q(pdb, "select 1 is distinct from abs(2)") == [[True]]
    assert _q(gdb, "SELECT EXTRACT(YEAR FROM DATE '2024-05-01')") == [[2024]]
    assert (
        _q(gdb, "SELECT x FROM t@{FORCE_INDEX=_BASE_TABLE} WHERE x IS DISTINCT FROM ABS(1)") == []
    )


def test_duckdbs_from_first_subquery_is_checked_too(pdb):
    message = _refused(pdb, "select * from t where x in (from duckdb_tables() select 1)")
    assert message == "function duckdb_tables() does not exist"


# ------------------------------------------------------------------ GoogleSQL


@pytest.mark.parametrize("rel", [r for r in DUCKDB_ONLY if r != "sqlite_master"])
def test_gsql_duckdb_views_are_unknown_tables(gdb, rel):
    assert _refused(gdb, f"SELECT * FROM {rel}") == f"Table not found: {rel}"


@pytest.mark.parametrize("rel", ["pg_enum", "pg_type", "pg_class", "pg_catalog.pg_type"])
def test_gsql_has_no_pg_catalog(gdb, rel):
    assert _refused(gdb, f"SELECT * FROM {rel}") == f"Table not found: {rel}"


def test_gsql_information_schema_views_spanner_lacks_are_unknown(gdb):
    # DuckDB's information_schema has character_sets; Spanner's GoogleSQL one does not
    assert "character_sets" in _refused(gdb, "SELECT * FROM information_schema.character_sets")


def test_gsql_user_table_named_like_a_duckdb_view_is_the_users(gdb):
    gdb.run_in_transaction(lambda tx: tx.insert("sqlite_master", ["id", "note"], [[1, "mine"]]))
    assert _q(gdb, "SELECT id, note FROM sqlite_master") == [[1, "mine"]]


def test_dml_cannot_read_duckdb_catalog(gdb, pdb):
    def gsql(tx):
        tx.execute_update("INSERT INTO t (x) SELECT 1 FROM duckdb_tables()")

    def pg(tx):
        tx.execute_update("delete from t where x in (select oid from pg_proc)")

    with pytest.raises(exceptions.InvalidArgument, match="duckdb_tables"):
        gdb.run_in_transaction(gsql)
    with pytest.raises(exceptions.InvalidArgument, match="pg_proc"):
        pdb.run_in_transaction(pg)


def test_a_view_cannot_be_defined_on_duckdb_catalog(gdb):
    op = gdb.update_ddl(
        ["CREATE VIEW leak SQL SECURITY INVOKER AS SELECT table_name FROM duckdb_tables()"]
    )
    with pytest.raises(exceptions.GoogleAPICallError, match="duckdb_tables"):
        op.result(60)


def test_a_generated_column_cannot_read_duckdb_catalog(gdb):
    op = gdb.update_ddl(
        [
            "CREATE TABLE g (id INT64, n INT64 AS ((SELECT COUNT(*) FROM duckdb_tables())) STORED)"
            " PRIMARY KEY (id)"
        ]
    )
    with pytest.raises(exceptions.GoogleAPICallError, match="duckdb_tables"):
        op.result(60)
