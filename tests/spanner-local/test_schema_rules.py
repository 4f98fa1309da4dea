"""Interleaving, foreign keys, NOT NULL, DEFAULT, generated columns and CHECK constraints."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import spanner


@pytest.fixture
def rel(gsql_db):
    gsql_db.update_ddl(
        [
            "CREATE TABLE Singers (SingerId INT64 NOT NULL, Name STRING(MAX), "
            "Country STRING(2) DEFAULT ('NL'), Upper STRING(MAX) AS (UPPER(Name)) STORED, "
            "Age INT64, CONSTRAINT AgeOk CHECK (Age >= 0)) PRIMARY KEY (SingerId)",
            "CREATE TABLE Albums (SingerId INT64 NOT NULL, AlbumId INT64 NOT NULL, Title STRING(MAX)) "
            "PRIMARY KEY (SingerId, AlbumId), INTERLEAVE IN PARENT Singers ON DELETE CASCADE",
            "CREATE TABLE Songs (SingerId INT64 NOT NULL, AlbumId INT64 NOT NULL, SongId INT64 NOT NULL) "
            "PRIMARY KEY (SingerId, AlbumId, SongId), INTERLEAVE IN PARENT Albums ON DELETE NO ACTION",
            "CREATE TABLE Concerts (ConcertId INT64 NOT NULL, SingerId INT64, "
            "CONSTRAINT FK_ConcertSinger FOREIGN KEY (SingerId) REFERENCES Singers (SingerId)) "
            "PRIMARY KEY (ConcertId)",
        ]
    ).result(60)
    with gsql_db.batch() as b:
        b.insert("Singers", ["SingerId", "Name"], [(1, "ann"), (2, "bob")])
        b.insert(
            "Albums", ["SingerId", "AlbumId", "Title"], [(1, 1, "a"), (1, 2, "b"), (2, 1, "c")]
        )
    return gsql_db


def _rows(db, sql):
    with db.snapshot() as s:
        return list(s.execute_sql(sql))


def test_default_and_generated_columns(rel):
    assert _rows(rel, "SELECT SingerId, Country, Upper FROM Singers ORDER BY SingerId") == [
        [1, "NL", "ANN"],
        [2, "NL", "BOB"],
    ]


def test_writing_a_generated_column_is_rejected(rel):
    with pytest.raises(exceptions.FailedPrecondition), rel.batch() as b:
        b.insert("Singers", ["SingerId", "Upper"], [(3, "X")])


def test_child_row_needs_its_parent(rel):
    with pytest.raises(exceptions.NotFound) as err, rel.batch() as b:
        b.insert("Albums", ["SingerId", "AlbumId", "Title"], [(9, 1, "orphan")])
    assert "Parent row" in str(err.value)


def test_delete_cascades_to_interleaved_children(rel):
    with rel.batch() as b:
        b.delete("Singers", spanner.KeySet(keys=[[1]]))
    assert _rows(rel, "SELECT SingerId, AlbumId FROM Albums") == [[2, 1]]


def test_delete_with_no_action_children_fails(rel):
    with rel.batch() as b:
        b.insert("Songs", ["SingerId", "AlbumId", "SongId"], [(2, 1, 1)])
    with pytest.raises(exceptions.FailedPrecondition), rel.batch() as b:
        b.delete("Albums", spanner.KeySet(keys=[[2, 1]]))
    assert _rows(rel, "SELECT COUNT(*) FROM Albums") == [[3]]


def test_foreign_key_is_enforced_both_ways(rel):
    with pytest.raises(exceptions.FailedPrecondition) as err, rel.batch() as b:
        b.insert("Concerts", ["ConcertId", "SingerId"], [(1, 42)])
    assert "FK_ConcertSinger" in str(err.value)
    with rel.batch() as b:
        b.insert("Concerts", ["ConcertId", "SingerId"], [(1, 2), (2, None)])
    with pytest.raises(exceptions.FailedPrecondition), rel.batch() as b:
        b.delete("Singers", spanner.KeySet(keys=[[2]]))
    assert _rows(rel, "SELECT COUNT(*) FROM Singers") == [[2]]


def test_foreign_key_checked_for_dml_too(rel):
    def work(txn):
        txn.execute_update("INSERT INTO Concerts (ConcertId, SingerId) VALUES (5, 77)")

    with pytest.raises(exceptions.FailedPrecondition):
        rel.run_in_transaction(work)


def test_check_constraint(rel):
    with pytest.raises(exceptions.OutOfRange), rel.batch() as b:
        b.update("Singers", ["SingerId", "Age"], [(1, -1)])


def test_string_length_limit(rel):
    with pytest.raises(exceptions.FailedPrecondition), rel.batch() as b:
        b.update("Singers", ["SingerId", "Country"], [(1, "NLD")])


def test_pg_interleave_and_defaults(pg_spanner_db):
    pg_spanner_db.update_ddl(
        [
            "create table parents (id bigint primary key, name varchar default 'n/a')",
            "create table kids (id bigint, kid bigint, primary key (id, kid)) interleave in parent parents on delete cascade",
        ]
    ).result(60)
    with pg_spanner_db.batch() as b:
        b.insert("parents", ["id"], [(1,)])
        b.insert("kids", ["id", "kid"], [(1, 1), (1, 2)])
    assert _rows(pg_spanner_db, "select name from parents") == [["n/a"]]

    def work(txn):
        return txn.execute_update(
            "delete from parents where id = $1",
            params={"p1": 1},
            param_types={"p1": spanner.param_types.INT64},
        )

    assert pg_spanner_db.run_in_transaction(work) == 1
    assert _rows(pg_spanner_db, "select count(*) from kids") == [[0]]


def test_bit_reversed_sequences(any_db):
    pg = any_db.dialect_name == "POSTGRESQL"
    if pg:
        ddl = [
            "create sequence seq bit_reversed_positive",
            "create table s (id bigint default nextval('seq') primary key, v varchar)",
        ]
    else:
        ddl = [
            "CREATE SEQUENCE Seq OPTIONS (sequence_kind = 'bit_reversed_positive')",
            "CREATE TABLE S (Id INT64 DEFAULT (GET_NEXT_SEQUENCE_VALUE(SEQUENCE Seq)), V STRING(MAX)) PRIMARY KEY (Id)",
        ]
    any_db.update_ddl(ddl).result(60)
    with any_db.batch() as b:
        b.insert("s" if pg else "S", ["v" if pg else "V"], [("a",), ("b",), ("c",)])
    ids = [r[0] for r in _rows(any_db, "select id from s" if pg else "SELECT Id FROM S")]
    assert len(set(ids)) == 3 and all(i > 0 for i in ids)
    ddl_out = list(
        any_db._instance._client.database_admin_api.get_database_ddl(
            database=any_db.name
        ).statements
    )
    assert any(s.upper().startswith("CREATE SEQUENCE") for s in ddl_out)
    with pytest.raises(exceptions.FailedPrecondition):
        any_db.update_ddl(["create sequence plain" if pg else "CREATE SEQUENCE Plain"]).result(60)


def test_table_with_empty_primary_key_holds_one_row(gsql_db):
    gsql_db.update_ddl(["CREATE TABLE Singleton (V STRING(MAX)) PRIMARY KEY ()"]).result(60)
    with gsql_db.batch() as b:
        b.insert("Singleton", ["V"], [("first",)])
    with pytest.raises(exceptions.AlreadyExists), gsql_db.batch() as b:
        b.insert("Singleton", ["V"], [("second",)])
    with gsql_db.batch() as b:
        b.update("Singleton", ["V"], [("updated",)])
    assert _rows(gsql_db, "SELECT V FROM Singleton") == [["updated"]]
    with gsql_db.snapshot() as snap:
        assert list(snap.read("Singleton", ["V"], spanner.KeySet(keys=[[]]))) == [["updated"]]
    with gsql_db.batch() as b:
        b.delete("Singleton", spanner.KeySet(keys=[[]]))
    assert _rows(gsql_db, "SELECT COUNT(*) FROM Singleton") == [[0]]


def test_views(any_db):
    pg = any_db.dialect_name == "POSTGRESQL"
    if pg:
        ddl = [
            "create table items (id bigint primary key, price numeric, qty bigint)",
            "create view expensive sql security invoker as select id, price from items where price > 10",
        ]
    else:
        ddl = [
            "CREATE TABLE Items (Id INT64, Price NUMERIC, Qty INT64) PRIMARY KEY (Id)",
            "CREATE VIEW Expensive SQL SECURITY INVOKER AS SELECT Id, Price FROM Items WHERE Price > 10",
        ]
    any_db.update_ddl(ddl).result(60)
    import decimal

    with any_db.batch() as b:
        b.insert(
            "items" if pg else "Items",
            ["id", "price", "qty"] if pg else ["Id", "Price", "Qty"],
            [(1, decimal.Decimal("5"), 1), (2, decimal.Decimal("50"), 2)],
        )
    assert _rows(any_db, "select id from expensive" if pg else "SELECT Id FROM Expensive") == [[2]]
    views = _rows(
        any_db,
        "select table_name, table_type from information_schema.tables where table_type = 'VIEW' "
        "and table_schema = " + ("'public'" if pg else "''"),
    )
    assert views == [["expensive" if pg else "Expensive", "VIEW"]]
    ddl_out = list(
        any_db._instance._client.database_admin_api.get_database_ddl(
            database=any_db.name
        ).statements
    )
    assert any("SQL SECURITY INVOKER" in s for s in ddl_out)
    with pytest.raises(exceptions.FailedPrecondition):
        any_db.update_ddl(["drop table items" if pg else "DROP TABLE Items"]).result(60)
    with pytest.raises((exceptions.FailedPrecondition, exceptions.InvalidArgument)):
        any_db.update_ddl(
            ["create view nosec as select 1" if pg else "CREATE VIEW NoSec AS SELECT 1"]
        ).result(60)
    any_db.update_ddl(["drop view expensive" if pg else "DROP VIEW Expensive"]).result(60)
    any_db.update_ddl(["drop table items" if pg else "DROP TABLE Items"]).result(60)


def test_pg_add_not_null_jsonb_default_to_indexed_table(pg_spanner_db):
    pg_spanner_db.update_ddl(
        ["create table b (id bigint primary key, n text)", "create unique index bn on b (n)"]
    ).result(60)
    with pg_spanner_db.batch() as b:
        b.insert("b", ["id", "n"], [(1, "x")])
    pg_spanner_db.update_ddl(
        [
            "alter table b add column j jsonb not null default '{}'::jsonb",
            "alter table b add column k jsonb",
            "alter table b alter column k set default '[]'::jsonb",
        ]
    ).result(60)
    with pg_spanner_db.batch() as b:
        b.insert("b", ["id", "n"], [(2, "y")])
    assert _rows(pg_spanner_db, "select id, j, k from b order by id") == [
        [1, {}, None],
        [2, {}, []],
    ]
    # the unique index still holds after the table changed
    with pytest.raises(exceptions.AlreadyExists):
        with pg_spanner_db.batch() as b:
            b.insert("b", ["id", "n"], [(3, "x")])
    # k has a NULL (row 1): NOT NULL is refused, with a message that says so
    with pytest.raises(exceptions.FailedPrecondition, match="NULL"):
        pg_spanner_db.update_ddl(["alter table b alter column k set not null"]).result(60)


def test_pg_views_with_postgresql_syntax(pg_spanner_db):
    pg_spanner_db.update_ddl(
        [
            "create table items (id bigint primary key, name text)",
            "create view v sql security invoker as "
            "select id::text as sid, upper(name) as n, '{1,2}'::bigint[] as a from public.items",
            "create or replace view w sql security invoker as "
            "select public.items.id from public.items where name is not null",
        ]
    ).result(60)
    with pg_spanner_db.batch() as b:
        b.insert("items", ["id", "name"], [(1, "a"), (2, None)])
    assert _rows(pg_spanner_db, "select * from v order by sid") == [
        ["1", "A", [1, 2]],
        ["2", None, [1, 2]],
    ]
    assert _rows(pg_spanner_db, "select id from public.w") == [[1]]
    with pytest.raises(exceptions.FailedPrecondition):
        pg_spanner_db.update_ddl(["drop table items"]).result(60)
