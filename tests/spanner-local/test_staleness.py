"""Timestamp-bound reads: the data as of the timestamp (row versions kept for the retention
period), or FAILED_PRECONDITION, never newer data in disguise."""

from __future__ import annotations

import contextlib
import datetime as dt
import time

import pytest
from google.api_core import exceptions

DDL = ["CREATE TABLE T (K INT64 NOT NULL, V INT64) PRIMARY KEY (K)"]


@pytest.fixture
def db(local):
    database = local.new_database(ddl=DDL)
    yield database
    database.drop()


def _insert(db, k):
    with db.batch() as b:
        b.insert("T", ["K", "V"], [(k, k)])
    return b.committed


def _keys(snap):
    return sorted(r[0] for r in snap.execute_sql("SELECT K FROM T"))


def test_read_at_a_commit_timestamp_sees_that_commit(db):
    ts = _insert(db, 1)
    with db.snapshot(read_timestamp=ts) as snap:
        assert _keys(snap) == [1]
    with db.snapshot(exact_staleness=dt.timedelta(0)) as snap:
        assert _keys(snap) == [1]
    with db.snapshot(read_timestamp=ts) as snap:  # Read API too
        assert [r[0] for r in snap.read("T", ["K"], _all())] == [1]


def _rows(snap, sql="SELECT K, V FROM T ORDER BY K"):
    return [tuple(r) for r in snap.execute_sql(sql)]


def _set(db, k, v):
    with db.batch() as b:
        b.insert_or_update("T", ["K", "V"], [(k, v)])
    return b.committed


def _delete(db, k):
    from google.cloud import spanner

    with db.batch() as b:
        b.delete("T", spanner.KeySet(keys=[[k]]))
    return b.committed


def test_stale_reads_see_the_versions_of_their_timestamp(db):
    """Inserts, updates and deletes after a timestamp are invisible to a read at it, through
    queries, the Read API, single-use and multi-use snapshots alike."""
    t1 = _insert(db, 1)
    t2 = _insert(db, 2)
    t3 = _set(db, 1, 100)
    t4 = _delete(db, 2)
    t5 = _set(db, 1, 1000)
    expected = {
        t1: [(1, 1)],
        t2: [(1, 1), (2, 2)],
        t3: [(1, 100), (2, 2)],
        t4: [(1, 100)],
        t5: [(1, 1000)],
    }
    for ts, rows in expected.items():
        with db.snapshot(read_timestamp=ts) as snap:
            assert _rows(snap) == rows, ts
        with db.snapshot(read_timestamp=ts) as snap:
            assert sorted(tuple(r) for r in snap.read("T", ["K", "V"], _all())) == rows
        with db.snapshot(read_timestamp=ts, multi_use=True) as snap:
            assert _rows(snap) == rows
            assert _rows(snap, "SELECT V FROM T WHERE K = 1") == [(rows[0][1],)]
    # Just before the first insert: nothing; a microsecond before an update: the old value.
    with db.snapshot(read_timestamp=t1 - dt.timedelta(microseconds=1)) as snap:
        assert _rows(snap) == []
    with db.snapshot(read_timestamp=t3 - dt.timedelta(microseconds=1)) as snap:
        assert _rows(snap) == [(1, 1), (2, 2)]
    with db.snapshot() as snap:  # strong reads are unaffected
        assert _rows(snap) == [(1, 1000)]


@contextlib.contextmanager
def _frozen(endpoint, db):
    """The database's clock stopped a second ahead of the wall clock: it moves only when the
    test moves it (commits still get strictly increasing timestamps, a microsecond apart)."""
    clock = endpoint.registry.database(db.name).clock
    wall = clock.source
    now = [clock.now() + dt.timedelta(seconds=1)]
    clock.source = lambda: now[0]
    try:
        yield now
    finally:
        clock.source = wall  # commits stay later than the frozen time: it never goes back


@pytest.fixture
def frozen_clock(db, local):
    with _frozen(local.endpoint, db) as now:
        yield now


def test_exact_staleness_reads_the_past(db, frozen_clock):
    first = _insert(db, 1)
    frozen_clock[0] += dt.timedelta(seconds=10)
    changed = _set(db, 1, 5)
    _insert(db, 2)
    assert changed - first >= dt.timedelta(seconds=10)
    # now is a few microseconds after `changed`: five seconds ago is between the two commits
    with db.snapshot(exact_staleness=dt.timedelta(seconds=5)) as snap:
        assert _rows(snap) == [(1, 1)]
    with db.snapshot(exact_staleness=dt.timedelta(seconds=10.5)) as snap:  # before `first`
        assert _rows(snap) == []
    with db.snapshot(exact_staleness=dt.timedelta(0)) as snap:
        assert _rows(snap) == [(1, 5), (2, 2)]


def test_stale_read_of_a_dml_change_sees_the_old_rows(db):
    """DML that does not pin its keys (whole-table before-images)."""
    _insert(db, 1)
    before = _insert(db, 2)

    def work(txn):
        txn.execute_update("UPDATE T SET V = V * 10 WHERE V > 0")
        txn.execute_update("DELETE FROM T WHERE K = 2")
        txn.execute_update("INSERT INTO T (K, V) VALUES (3, 3)")

    db.run_in_transaction(work)
    with db.snapshot(read_timestamp=before) as snap:
        assert _rows(snap) == [(1, 1), (2, 2)]
    with db.snapshot() as snap:
        assert _rows(snap) == [(1, 10), (3, 3)]


def test_stale_read_after_a_schema_change_sees_the_old_schema(db):
    """Spanner keeps schema versions: a read at a timestamp before a table was altered sees
    the table as it was declared then, through queries and the Read API."""
    before = _set(db, 1, 1)
    db.update_ddl(["ALTER TABLE T ADD COLUMN W STRING(10)"]).result(60)
    added = _set(db, 2, 2)
    with db.batch() as b:
        b.update("T", ["K", "W"], [(1, "one")])
    db.update_ddl(["ALTER TABLE T DROP COLUMN V"]).result(60)
    now = _insert_kw(db, 3, "three")
    with db.snapshot(read_timestamp=before) as snap:  # K, V
        assert _rows(snap, "SELECT * FROM T ORDER BY K") == [(1, 1)]
    with db.snapshot(read_timestamp=before) as snap:
        assert [tuple(r) for r in snap.read("T", ["K", "V"], _all())] == [(1, 1)]
    with db.snapshot(read_timestamp=added) as snap:  # K, V, W
        assert _rows(snap, "SELECT * FROM T ORDER BY K") == [(1, 1, None), (2, 2, None)]
    with db.snapshot(read_timestamp=added, multi_use=True) as snap:
        assert [tuple(r) for r in snap.read("T", ["K", "W"], _all())] == [(1, None), (2, None)]
        assert _rows(snap, "SELECT V FROM T WHERE K = 2") == [(2,)]
    with db.snapshot(read_timestamp=now) as snap:  # K, W
        assert _rows(snap, "SELECT * FROM T ORDER BY K") == [(1, "one"), (2, None), (3, "three")]
    # a column that did not exist then is an unknown column, as in Spanner
    with pytest.raises(exceptions.GoogleAPICallError, match="W"):
        with db.snapshot(read_timestamp=before) as snap:
            _rows(snap, "SELECT W FROM T")
    with pytest.raises(exceptions.NotFound, match="W"):
        with db.snapshot(read_timestamp=before) as snap:
            list(snap.read("T", ["K", "W"], _all()))


def _insert_kw(db, k, w):
    with db.batch() as b:
        b.insert("T", ["K", "W"], [(k, w)])
    return b.committed


def test_stale_read_of_a_table_created_or_dropped_since_is_refused(db):
    after = _set(db, 1, 7)
    db.update_ddl(["CREATE TABLE U (K INT64 NOT NULL) PRIMARY KEY (K)"]).result(60)
    with db.snapshot(read_timestamp=after) as snap:  # another table's changes: no matter
        assert _rows(snap) == [(1, 7)]
    with pytest.raises(exceptions.FailedPrecondition, match="Table U did not exist"):
        with db.snapshot(read_timestamp=after) as snap:
            _rows(snap, "SELECT K FROM U")
    db.update_ddl(["ALTER TABLE T ADD COLUMN W STRING(10)", "DROP TABLE T"]).result(60)
    with pytest.raises(exceptions.FailedPrecondition, match="Table T did not exist"):
        with db.snapshot(read_timestamp=after) as snap:
            _rows(snap)


def test_earlier_schemas_expire_with_the_retention_period(db, local, frozen_clock):
    before = _set(db, 1, 1)
    db.update_ddl(["ALTER TABLE T ADD COLUMN W STRING(10)"]).result(60)
    history = local.endpoint.registry.database(db.name).versions
    assert len(history.epochs["t"]) == 1
    frozen_clock[0] += history.retention + dt.timedelta(minutes=7)  # past the next prune
    _set(db, 1, 2)  # a commit prunes
    assert history.epochs["t"] == []
    with pytest.raises(exceptions.FailedPrecondition, match="maximum timestamp staleness"):
        with db.snapshot(read_timestamp=before) as snap:
            _rows(snap)


def _table_names(snap, sql):
    return sorted(r[0] for r in snap.execute_sql(sql))


GSQL_TABLES = "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ''"


def test_stale_read_of_the_schema_never_shows_todays_schema(db):
    """information_schema read as of a time before a schema change would show today's schema
    (spanner-local keeps no schema versions): refused, as reads of a changed table are."""
    before = _insert(db, 1)
    with db.snapshot(read_timestamp=before) as snap:  # no change since: served
        assert _table_names(snap, GSQL_TABLES) == ["T"]
    db.update_ddl(["CREATE INDEX TByV ON T (V)"]).result(60)  # no table changes, the schema does
    with pytest.raises(exceptions.FailedPrecondition, match="only the current schema"):
        with db.snapshot(read_timestamp=before) as snap:
            _table_names(snap, GSQL_TABLES)
    with db.snapshot(read_timestamp=before) as snap:  # the table's own data is still served
        assert _keys(snap) == [1]
    after = _insert(db, 2)
    with db.snapshot(read_timestamp=after) as snap:
        assert _table_names(snap, GSQL_TABLES) == ["T"]
    with db.snapshot(exact_staleness=dt.timedelta(0)) as snap:
        assert _table_names(snap, GSQL_TABLES) == ["T"]
    with db.snapshot() as snap:  # strong reads are never refused
        assert _table_names(snap, GSQL_TABLES) == ["T"]


def test_stale_read_of_pg_catalog_after_a_schema_change_is_refused(local):
    db = local.new_database(
        dialect="POSTGRESQL", ddl=["CREATE TABLE t (k bigint PRIMARY KEY, v bigint)"]
    )
    try:
        with db.batch() as b:
            b.insert("t", ["k", "v"], [(1, 1)])
        before = b.committed
        sql = "SELECT relname FROM pg_catalog.pg_class WHERE relname = 't'"
        with db.snapshot(read_timestamp=before) as snap:
            assert _table_names(snap, sql) == ["t"]
        db.update_ddl(["CREATE TABLE u (k bigint PRIMARY KEY)"]).result(60)
        with pytest.raises(exceptions.FailedPrecondition, match="only the current schema"):
            with db.snapshot(read_timestamp=before) as snap:
                _table_names(snap, sql)
    finally:
        db.drop()


def test_read_older_than_the_retention_period_is_too_old(db):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1, minutes=1)
    with pytest.raises(exceptions.FailedPrecondition, match="exceeded the maximum timestamp"):
        with db.snapshot(read_timestamp=old) as snap:
            _keys(snap)


def test_bounded_staleness_reads_current_data(db):
    _insert(db, 1)
    with db.snapshot(max_staleness=dt.timedelta(seconds=10)) as snap:
        assert _keys(snap) == [1]
    with db.snapshot(min_read_timestamp=dt.datetime.now(dt.timezone.utc)) as snap:
        assert _keys(snap) == [1]
    with pytest.raises(exceptions.InvalidArgument):
        with db.snapshot(exact_staleness=dt.timedelta(seconds=-1)) as snap:
            _keys(snap)


def test_future_read_timestamp_waits_for_it(db):
    _insert(db, 1)
    at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=300)
    with db.snapshot(read_timestamp=at) as snap:
        assert _keys(snap) == [1]
    assert dt.datetime.now(dt.timezone.utc) >= at


def test_multi_use_stale_snapshot_keeps_its_data_after_later_commits(db):
    _insert(db, 1)
    time.sleep(0.01)
    with db.snapshot(exact_staleness=dt.timedelta(microseconds=1), multi_use=True) as snap:
        assert _keys(snap) == [1]
        _insert(db, 2)
        assert _keys(snap) == [1]  # its snapshot, fixed by the first read
    with db.snapshot() as snap:
        assert _keys(snap) == [1, 2]


def test_commit_timestamps_strictly_increase(db):
    stamps = [_insert(db, k) for k in range(20)]
    assert stamps == sorted(set(stamps))


def _all():
    from google.cloud import spanner

    return spanner.KeySet(all_=True)


def test_concurrent_commit_timestamps_are_distinct_and_carried_by_the_data(local):
    import threading

    from google.cloud import spanner

    db = local.new_database(
        ddl=[
            "CREATE TABLE C (K INT64 NOT NULL, At TIMESTAMP OPTIONS (allow_commit_timestamp = true))"
            " PRIMARY KEY (K)"
        ]
    )
    stamps = {}
    errors = []

    def worker(n):
        try:
            for i in range(5):
                k = n * 100 + i
                with db.batch() as b:
                    b.insert("C", ["K", "At"], [(k, spanner.COMMIT_TIMESTAMP)])
                stamps[k] = b.committed
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(stamps.values())) == len(stamps) == 40
    with db.snapshot() as snap:
        stored = dict(snap.execute_sql("SELECT K, At FROM C"))
    assert stored == stamps
    db.drop()


def test_earliest_version_time_is_when_the_history_begins(db):
    db.reload()
    assert db.version_retention_period == "1h"
    start = db.earliest_version_time
    assert start <= _insert(db, 1)
    with pytest.raises(exceptions.FailedPrecondition, match="no versions of this database"):
        with db.snapshot(read_timestamp=start - dt.timedelta(microseconds=1)) as snap:
            _keys(snap)


@pytest.fixture
def short_retention():
    """A private server whose versions live half a second."""
    from dbtools import spanner_local

    with spanner_local.serve(version_retention=dt.timedelta(milliseconds=500)) as endpoint:
        client = endpoint.client()
        database = client.instance(endpoint.instance).database("short", ddl_statements=DDL)
        database.create().result(60)
        with _frozen(endpoint, database) as now:
            yield database, now


def test_versions_expire_after_the_retention_period(short_retention):
    db, now = short_retention
    db.reload()
    assert db.version_retention_period == "0.5s"
    first = _insert(db, 1)
    _set(db, 1, 2)
    with db.snapshot(read_timestamp=first) as snap:
        assert _rows(snap) == [(1, 1)]
    now[0] += dt.timedelta(seconds=0.6)
    _set(db, 1, 3)  # a commit prunes what expired
    now[0] += dt.timedelta(milliseconds=10)
    with pytest.raises(exceptions.FailedPrecondition, match="exceeded the maximum timestamp"):
        with db.snapshot(read_timestamp=first) as snap:
            _rows(snap)
    with pytest.raises(exceptions.FailedPrecondition, match="exceeded the maximum timestamp"):
        with db.snapshot(exact_staleness=dt.timedelta(seconds=1)) as snap:
            _rows(snap)
    with db.snapshot(exact_staleness=dt.timedelta(milliseconds=1)) as snap:
        assert _rows(snap) == [(1, 3)]


def test_a_retention_of_zero_keeps_no_versions():
    from dbtools import spanner_local

    with spanner_local.serve(version_retention=dt.timedelta(0)) as endpoint:
        client = endpoint.client()
        db = client.instance(endpoint.instance).database("none", ddl_statements=DDL)
        db.create().result(60)
        ts = _insert(db, 1)
        with db.snapshot(read_timestamp=ts + dt.timedelta(milliseconds=50)) as snap:
            assert _keys(snap) == [1]  # a read in the future is a read at "now"
        with pytest.raises(exceptions.FailedPrecondition, match="exceeded the maximum"):
            with db.snapshot(read_timestamp=ts) as snap:
                _keys(snap)


def test_negative_retention_is_rejected():
    from dbtools import spanner_local
    from dbtools.spanner_local.versions import parse_period

    with pytest.raises(ValueError):
        spanner_local.start(version_retention=dt.timedelta(seconds=-1))
    for bad in ("-1s", "5", "1w", "", "nan", "infh"):
        with pytest.raises(ValueError):
            parse_period(bad)
    assert parse_period("90m") == dt.timedelta(minutes=90)


def test_old_versions_keep_every_type_exactly(local):
    """Before-images go through both paths (mutation keys, and whole-table DML) unchanged."""
    import base64
    import decimal
    import math

    from google.cloud.spanner_v1.data_types import JsonObject

    db = local.new_database(
        ddl=[
            "CREATE TABLE A (K STRING(20) NOT NULL, I INT64, F FLOAT64, N NUMERIC, B BYTES(10), "
            "S ARRAY<STRING(5)>, J JSON, D DATE, Ts TIMESTAMP, Ok BOOL) PRIMARY KEY (K)"
        ]
    )
    cols = ["K", "I", "F", "N", "B", "S", "J", "D", "Ts", "Ok"]
    row = (
        "k1",
        -(2**63),
        float("nan"),
        decimal.Decimal("-12345678901234567890123456789.123456789"),
        base64.b64encode(b"\x00\xff"),  # the client sends BYTES base64-encoded
        ["a", None, ""],
        JsonObject({"x": [1, 2.5, None]}),
        dt.date(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc),
        True,
    )
    empty = ("k2",) + (None,) * 9
    with db.batch() as b:
        b.insert("A", cols, [row, empty])
    first = b.committed
    with db.batch() as b:  # keyed before-images
        b.update("A", cols, [("k1", 1, 1.0, decimal.Decimal(1), b"", [], None, None, None, None)])
    db.run_in_transaction(lambda t: t.execute_update("UPDATE A SET I = 7 WHERE TRUE"))
    db.run_in_transaction(lambda t: t.execute_update("DELETE FROM A WHERE I = 7"))
    with db.snapshot(read_timestamp=first) as snap:
        got = [tuple(r) for r in snap.execute_sql(f"SELECT {', '.join(cols)} FROM A ORDER BY K")]
    assert len(got) == 2
    assert got[1] == empty
    old = got[0]
    assert math.isnan(old[2])
    assert old[:2] == row[:2] and old[3:] == row[3:]  # BYTES come back base64, as sent
    with db.snapshot() as snap:
        assert list(snap.execute_sql("SELECT K FROM A")) == []
    db.drop()


def test_stale_reads_see_rows_a_cascade_deleted(local):
    db = local.new_database(
        ddl=[
            "CREATE TABLE P (K INT64 NOT NULL) PRIMARY KEY (K)",
            "CREATE TABLE C (K INT64 NOT NULL, N INT64 NOT NULL) PRIMARY KEY (K, N), "
            "INTERLEAVE IN PARENT P ON DELETE CASCADE",
        ]
    )
    from google.cloud import spanner

    with db.batch() as b:
        b.insert("P", ["K"], [(1,)])
        b.insert("C", ["K", "N"], [(1, 1), (1, 2)])
    before = b.committed
    with db.batch() as b:
        b.delete("P", spanner.KeySet(keys=[[1]]))
    with db.snapshot(read_timestamp=before) as snap:
        assert sorted(tuple(r) for r in snap.execute_sql("SELECT K, N FROM C")) == [(1, 1), (1, 2)]
    with db.snapshot() as snap:
        assert list(snap.execute_sql("SELECT K, N FROM C")) == []
    db.drop()


def test_a_commit_timestamp_is_the_version_its_data_carries(local):
    from google.cloud import spanner

    db = local.new_database(
        ddl=[
            "CREATE TABLE W (K INT64 NOT NULL, At TIMESTAMP OPTIONS (allow_commit_timestamp = true))"
            " PRIMARY KEY (K)"
        ]
    )
    stamps = []
    for k in range(3):
        with db.batch() as b:
            b.insert("W", ["K", "At"], [(k, spanner.COMMIT_TIMESTAMP)])
        stamps.append(b.committed)
    assert stamps == sorted(set(stamps))
    for k, ts in enumerate(stamps):
        with db.snapshot(read_timestamp=ts) as snap:
            rows = [tuple(r) for r in snap.execute_sql("SELECT K, At FROM W ORDER BY K")]
        assert rows == list(zip(range(k + 1), stamps[: k + 1], strict=True))
        with db.snapshot(read_timestamp=ts - dt.timedelta(microseconds=1)) as snap:
            assert len(list(snap.execute_sql("SELECT K FROM W"))) == k
    db.drop()


def test_postgresql_stale_reads(local):
    db = local.new_database(
        "POSTGRESQL", ddl=["CREATE TABLE t (k bigint PRIMARY KEY, v varchar, ts timestamptz)"]
    )
    moment = dt.datetime(2020, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone.utc)
    with db.batch() as b:
        b.insert("t", ["k", "v", "ts"], [(1, "one", moment)])
    before = b.committed

    def work(txn):
        txn.execute_update("UPDATE t SET v = $1 WHERE k = 1", params={"p1": "uno"})
        txn.execute_update("INSERT INTO t (k, v) VALUES (2, 'two')")

    db.run_in_transaction(work)
    with db.snapshot(read_timestamp=before) as snap:
        assert [tuple(r) for r in snap.execute_sql("SELECT k, v, ts FROM t ORDER BY k")] == [
            (1, "one", moment)
        ]
    with db.snapshot() as snap:
        assert [tuple(r) for r in snap.execute_sql("SELECT k, v FROM t ORDER BY k")] == [
            (1, "uno"),
            (2, "two"),
        ]
    db.drop()


def test_bounded_staleness_reports_a_timestamp_within_its_bound(db):
    _insert(db, 1)
    asked = dt.datetime.now(dt.timezone.utc)
    with db.snapshot(max_staleness=dt.timedelta(seconds=5)) as snap:
        assert _keys(snap) == [1]
        assert snap._transaction_read_timestamp >= asked - dt.timedelta(seconds=5)
    floor = dt.datetime.now(dt.timezone.utc)
    with db.snapshot(min_read_timestamp=floor) as snap:
        assert _keys(snap) == [1]
        assert snap._transaction_read_timestamp >= floor


def test_versions_do_not_survive_a_restart_and_reads_before_it_say_so(tmp_path):
    from dbtools import spanner_local

    with spanner_local.serve(data_dir=tmp_path) as endpoint:
        db = endpoint.client().instance(endpoint.instance).database("persisted", ddl_statements=DDL)
        db.create().result(60)
        old = _insert(db, 1)
    with spanner_local.serve(data_dir=tmp_path) as endpoint:
        db = endpoint.client().instance(endpoint.instance).database("persisted")
        with pytest.raises(exceptions.FailedPrecondition, match="no versions of this database"):
            with db.snapshot(read_timestamp=old) as snap:
                _keys(snap)
        after = _set(db, 1, 9)
        _delete(db, 1)
        with db.snapshot(read_timestamp=after - dt.timedelta(microseconds=1)) as snap:
            assert _rows(snap) == [(1, 1)]  # the row as reloaded, before the update
        with db.snapshot(read_timestamp=after) as snap:
            assert _rows(snap) == [(1, 9)]
        with db.snapshot() as snap:
            assert _rows(snap) == []


def test_stale_read_of_dml_pinned_by_key(db):
    """DML whose WHERE fixes the key keeps only those rows' versions; an untyped parameter
    that the key lookup cannot convert falls back to comparing the table."""
    from google.cloud.spanner_v1 import param_types

    _insert(db, 1)
    before = _insert(db, 2)

    def work(txn):
        txn.execute_update(
            "UPDATE T SET V = 10 WHERE K = @k",
            params={"k": 1},
            param_types={"k": param_types.INT64},
        )
        txn.execute_update("UPDATE T SET V = 20 WHERE K = @k", params={"k": "2"})

    db.run_in_transaction(work)
    with db.snapshot(read_timestamp=before) as snap:
        assert _rows(snap) == [(1, 1), (2, 2)]
    with db.snapshot() as snap:
        assert _rows(snap) == [(1, 10), (2, 20)]


def test_stale_reads_through_views_and_indexes(local):
    from google.cloud import spanner

    db = local.new_database(
        ddl=[
            "CREATE TABLE T (K INT64 NOT NULL, V INT64) PRIMARY KEY (K)",
            "CREATE INDEX ByV ON T (V)",
            "CREATE VIEW Big SQL SECURITY INVOKER AS SELECT T.K, T.V FROM T WHERE T.V > 1",
        ]
    )
    before = _set(db, 1, 5)
    _set(db, 1, 0)
    _set(db, 2, 7)
    with db.snapshot(read_timestamp=before) as snap:
        assert [tuple(r) for r in snap.execute_sql("SELECT K, V FROM Big")] == [(1, 5)]
    with db.snapshot(read_timestamp=before) as snap:
        rows = snap.read("T", ["K", "V"], spanner.KeySet(all_=True), index="ByV")
        assert [tuple(r) for r in rows] == [(1, 5)]
    with db.snapshot() as snap:
        assert [tuple(r) for r in snap.execute_sql("SELECT K, V FROM Big")] == [(2, 7)]
    db.drop()


@pytest.mark.parametrize("dialect", ["GOOGLE_STANDARD_SQL", "POSTGRESQL"])
def test_alter_database_sets_the_retention_period(local, dialect):
    db = local.new_database(dialect)
    db_id = db.database_id
    if dialect == "POSTGRESQL":
        statement = "ALTER DATABASE {} SET spanner.version_retention_period = '{}'"
    else:
        statement = "ALTER DATABASE {} SET OPTIONS (version_retention_period = '{}')"
    db.update_ddl([statement.format(db_id, "36h")]).result(60)
    db.reload()
    assert db.version_retention_period == "36h"
    for bad in ("30m", "8d", "soon"):
        with pytest.raises(exceptions.GoogleAPICallError, match="version_retention_period"):
            db.update_ddl([statement.format(db_id, bad)]).result(60)
    db.reload()
    assert db.version_retention_period == "36h"
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=30)
    with pytest.raises(exceptions.FailedPrecondition, match="no versions of this database"):
        with db.snapshot(read_timestamp=long_ago) as snap:  # within 36h, before the history
            list(snap.execute_sql("SELECT 1"))
    db.drop()
