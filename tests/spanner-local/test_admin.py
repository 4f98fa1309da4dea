"""Databases and schema through the official client's admin API, in both dialects."""

from __future__ import annotations

import uuid

import pytest
from google.api_core import exceptions
from google.cloud.spanner_admin_database_v1 import DatabaseDialect


def test_create_list_drop_googlesql_database(target):
    db_id = "adm" + uuid.uuid4().hex[:12]
    db = target.instance.database(
        db_id,
        ddl_statements=[
            "CREATE TABLE Singers (SingerId INT64 NOT NULL, Name STRING(1024)) PRIMARY KEY (SingerId)",
            "CREATE INDEX SingersByName ON Singers(Name)",
        ],
    )
    op = db.create()
    op.result(60)
    assert db.exists()
    names = [d.name for d in target.instance.list_databases()]
    assert db.name in names
    db.reload()
    assert db.database_dialect == DatabaseDialect.GOOGLE_STANDARD_SQL
    ddl = list(db.list_database_ddl().statements) if hasattr(db, "list_database_ddl") else None
    ddl = ddl or list(
        target.client.database_admin_api.get_database_ddl(database=db.name).statements
    )
    assert any("CREATE TABLE Singers" in s for s in ddl)
    assert any("CREATE INDEX SingersByName ON Singers(Name)" in s for s in ddl)
    db.drop()
    assert not db.exists()
    assert db.name not in [d.name for d in target.instance.list_databases()]


def test_create_postgresql_database_and_ddl(target):
    db = target.instance.database(
        "pg" + uuid.uuid4().hex[:12], database_dialect=DatabaseDialect.POSTGRESQL
    )
    db.create().result(60)
    try:
        db.update_ddl(
            [
                "create table singers (singer_id bigint primary key, name varchar(100) not null, "
                "score numeric, info jsonb)",
                "create unique index singers_by_name on singers (name)",
            ]
        ).result(60)
        db.reload()
        assert db.database_dialect == DatabaseDialect.POSTGRESQL
        ddl = list(target.client.database_admin_api.get_database_ddl(database=db.name).statements)
        table = next(s for s in ddl if s.startswith("CREATE TABLE singers"))
        assert "singer_id bigint NOT NULL" in table
        assert "name character varying(100) NOT NULL" in table
        assert "PRIMARY KEY(singer_id)" in table
        assert any(s.startswith("CREATE UNIQUE INDEX singers_by_name ON singers") for s in ddl)
    finally:
        db.drop()


def test_creating_an_existing_database_is_already_exists(target, gsql_db):
    again = target.instance.database(gsql_db.database_id)
    with pytest.raises(exceptions.AlreadyExists):
        again.create().result(60)


def test_dropping_a_missing_database_is_not_found(target):
    db = target.instance.database("missing" + uuid.uuid4().hex[:10])
    assert not db.exists()
    with pytest.raises(exceptions.NotFound):
        db.drop()


def test_invalid_database_id_is_rejected(target):
    with pytest.raises(exceptions.InvalidArgument):
        target.instance.database("Bad_Name_").create().result(60)


def test_ddl_syntax_error_is_invalid_argument(gsql_db):
    with pytest.raises(exceptions.InvalidArgument):
        gsql_db.update_ddl(["CREATE TABLE Broken (Id INT64"]).result(60)


def test_googlesql_table_without_primary_key_is_rejected(gsql_db):
    with pytest.raises(exceptions.InvalidArgument):
        gsql_db.update_ddl(["CREATE TABLE NoKey (Id INT64)"]).result(60)


def test_postgresql_table_without_primary_key_is_rejected(pg_spanner_db):
    with pytest.raises((exceptions.InvalidArgument, exceptions.FailedPrecondition)):
        pg_spanner_db.update_ddl(["create table nokey (id bigint)"]).result(60)


def test_postgresql_serial_is_rejected(pg_spanner_db):
    with pytest.raises((exceptions.InvalidArgument, exceptions.FailedPrecondition)):
        pg_spanner_db.update_ddl(["create table s (id serial primary key)"]).result(60)


def test_alter_and_drop_table_and_index(gsql_db):
    gsql_db.update_ddl(
        [
            "CREATE TABLE T (K INT64 NOT NULL, A STRING(10)) PRIMARY KEY (K)",
            "ALTER TABLE T ADD COLUMN B BOOL",
            "ALTER TABLE T ALTER COLUMN A STRING(20)",
            "CREATE INDEX TByA ON T(A) STORING (B)",
        ]
    ).result(60)
    with gsql_db.batch() as b:
        b.insert("T", ["K", "A", "B"], [(1, "x" * 20, True)])
    with pytest.raises(exceptions.FailedPrecondition):
        gsql_db.update_ddl(["DROP TABLE T"]).result(60)  # it still has an index
    gsql_db.update_ddl(["DROP INDEX TByA", "ALTER TABLE T DROP COLUMN B"]).result(60)
    with gsql_db.snapshot() as s:
        rows = list(s.execute_sql("SELECT * FROM T"))
    assert rows == [[1, "x" * 20]]
    gsql_db.update_ddl(["DROP TABLE T"]).result(60)
    with pytest.raises(exceptions.InvalidArgument), gsql_db.snapshot() as s:
        list(s.execute_sql("SELECT * FROM T"))


def test_duplicate_table_is_failed_precondition(gsql_db):
    gsql_db.update_ddl(["CREATE TABLE D (K INT64) PRIMARY KEY (K)"]).result(60)
    with pytest.raises(exceptions.FailedPrecondition):
        gsql_db.update_ddl(["CREATE TABLE D (K INT64) PRIMARY KEY (K)"]).result(60)


def test_interleave_and_foreign_keys_in_ddl(gsql_db):
    gsql_db.update_ddl(
        [
            "CREATE TABLE Singers (SingerId INT64 NOT NULL, Name STRING(MAX)) PRIMARY KEY (SingerId)",
            "CREATE TABLE Albums (SingerId INT64 NOT NULL, AlbumId INT64 NOT NULL, Title STRING(MAX)) "
            "PRIMARY KEY (SingerId, AlbumId), INTERLEAVE IN PARENT Singers ON DELETE CASCADE",
            "CREATE TABLE Venues (VenueId INT64 NOT NULL, HeadlinerId INT64, "
            "CONSTRAINT FK_VenueSinger FOREIGN KEY (HeadlinerId) REFERENCES Singers (SingerId)) "
            "PRIMARY KEY (VenueId)",
        ]
    ).result(60)
    ddl = list(
        gsql_db._instance._client.database_admin_api.get_database_ddl(
            database=gsql_db.name
        ).statements
    )
    albums = next(s for s in ddl if "CREATE TABLE Albums" in s)
    assert "INTERLEAVE IN PARENT Singers ON DELETE CASCADE" in albums
    venues = next(s for s in ddl if "CREATE TABLE Venues" in s)
    assert (
        "CONSTRAINT FK_VenueSinger FOREIGN KEY(HeadlinerId) REFERENCES Singers(SingerId)" in venues
    )
    with pytest.raises(exceptions.FailedPrecondition):
        gsql_db.update_ddl(["DROP TABLE Singers"]).result(60)


def test_interleave_requires_parent_key_prefix(gsql_db):
    gsql_db.update_ddl(["CREATE TABLE P (A INT64) PRIMARY KEY (A)"]).result(60)
    with pytest.raises(exceptions.FailedPrecondition):
        gsql_db.update_ddl(
            ["CREATE TABLE C (B INT64) PRIMARY KEY (B), INTERLEAVE IN PARENT P"]
        ).result(60)


def test_update_ddl_operation_metadata(gsql_db):
    op = gsql_db.update_ddl(["CREATE TABLE M (K INT64) PRIMARY KEY (K)", "CREATE INDEX MK ON M(K)"])
    op.result(60)
    meta = op.metadata
    assert list(meta.statements) == [
        "CREATE TABLE M (K INT64) PRIMARY KEY (K)",
        "CREATE INDEX MK ON M(K)",
    ]
    assert len(meta.commit_timestamps) == 2
    assert meta.commit_timestamps[0] <= meta.commit_timestamps[1]


def test_instances_are_listed_and_auto_created(local):
    name = "auto-" + uuid.uuid4().hex[:8]
    inst = local.client.instance(name)
    assert inst.exists()  # any instance a client asks for is created on first use
    db = inst.database("adb" + uuid.uuid4().hex[:8])
    db.create().result(60)
    assert db.exists()
    names = [i.name for i in local.client.list_instances()]
    assert f"projects/{local.client.project}/instances/{name}" in names
    assert f"projects/{local.client.project}/instances/test-instance" in names
    db.drop()
