"""The status codes and error texts Spanner answers with, seen through the official client."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from google.api_core import exceptions
from google.cloud.spanner_dbapi import connect
from google.cloud.spanner_dbapi.exceptions import ProgrammingError

TABLE = "CREATE TABLE T (Id INT64, Name STRING(MAX)) PRIMARY KEY (Id)"


def test_ddl_naming_a_missing_table_is_not_found(target):
    db = target.instance.database(
        "t" + uuid.uuid4().hex[:20], ddl_statements=[TABLE, "CREATE INDEX Ix ON Nope (Name)"]
    )
    with pytest.raises(exceptions.NotFound, match="Table not found: Nope"):
        db.create()


def test_missing_table_in_dml_names_its_location(gsql_db):
    sql = "UPDATE NonExistent SET name = 'foo' WHERE id > 1"
    with pytest.raises(exceptions.InvalidArgument) as info:
        gsql_db.execute_partitioned_dml(sql)
    assert info.value.message.startswith(f"Table not found: NonExistent [at 1:8]\n{sql}\n       ^")


def test_dml_in_a_read_only_transaction_is_invalid_argument(gsql_db):
    gsql_db.update_ddl([TABLE]).result(60)
    with gsql_db.snapshot(multi_use=True) as snap:
        snap.begin()
        with pytest.raises(exceptions.InvalidArgument, match="read-write"):
            list(snap.execute_sql("INSERT INTO T (Id, Name) VALUES (1, 'a')"))


def test_dbapi_read_only_dml_is_a_programming_error(target, gsql_db):
    gsql_db.update_ddl([TABLE]).result(60)
    conn = connect(target.instance.instance_id, gsql_db.database_id, client=target.client)
    conn.read_only = True
    cur = conn.cursor()
    with pytest.raises(ProgrammingError):
        cur.execute("INSERT INTO T (Id, Name) VALUES (1, 'a')")
    conn.close()


def test_partition_query_rejects_dml(gsql_db):
    gsql_db.update_ddl([TABLE]).result(60)
    snapshot = gsql_db.batch_snapshot()
    try:
        with pytest.raises(exceptions.InvalidArgument, match="Only queries can be partitioned"):
            list(snapshot.generate_query_batches("DELETE FROM T WHERE true"))
        assert list(snapshot.generate_query_batches("SELECT Id FROM T"))
    finally:
        snapshot.close()


def test_single_use_snapshot_returns_its_read_timestamp(target, gsql_db):
    gsql_db.update_ddl([TABLE]).result(60)
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    conn = connect(target.instance.instance_id, gsql_db.database_id, client=target.client)
    conn.autocommit = True
    conn.read_only = True
    cur = conn.cursor()
    cur.execute("SELECT * FROM T")
    cur.fetchall()
    cur.execute("SHOW VARIABLE READ_TIMESTAMP")
    (ts,) = cur.fetchone()
    assert before < ts < dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    conn.close()


def test_stale_reads_see_old_versions_or_are_refused(local):
    """A read at T sees the data as of T; before what spanner-local knows, FAILED_PRECONDITION."""
    db = local.new_database(ddl=[TABLE])
    try:
        with db.batch() as b:
            b.insert("T", ["Id", "Name"], [(1, "a")])
        committed = b.committed
        with db.snapshot(read_timestamp=committed) as snap:
            assert list(snap.execute_sql("SELECT Name FROM T")) == [["a"]]
        with db.batch() as b:
            b.update("T", ["Id", "Name"], [(1, "b")])
        with db.snapshot(read_timestamp=committed) as snap:
            assert list(snap.execute_sql("SELECT Name FROM T")) == [["a"]]
        with pytest.raises(exceptions.FailedPrecondition, match="exceeded the maximum timestamp"):
            with db.snapshot(exact_staleness=dt.timedelta(minutes=61)) as snap:
                list(snap.execute_sql("SELECT Name FROM T"))
        with db.snapshot() as snap:
            assert list(snap.execute_sql("SELECT Name FROM T")) == [["b"]]
    finally:
        db.drop()


@pytest.mark.parametrize(
    ("dialect", "sql", "message"),
    [
        ("GOOGLE_STANDARD_SQL", "SELECT NO_SUCH_FN(1)", "Function not found: NO_SUCH_FN"),
        ("POSTGRESQL", "select no_such_fn(1)", "function no_such_fn does not exist"),
        ("POSTGRESQL", "select 'x'::bigint", "invalid input syntax for type"),
    ],
)
def test_engine_errors_in_spanner_words(local, dialect, sql, message):
    db = local.new_database(dialect)
    try:
        with pytest.raises(exceptions.InvalidArgument) as info:
            with db.snapshot() as snap:
                list(snap.execute_sql(sql))
        assert message.lower() in info.value.message.lower()
        assert " Error: " not in info.value.message  # no DuckDB category prefix
    finally:
        db.drop()
