"""Timestamp-bound reads: exact data as of the timestamp, or FAILED_PRECONDITION, never newer
data in disguise."""

from __future__ import annotations

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


def test_read_before_a_later_change_is_refused_not_answered_with_new_data(db):
    first = _insert(db, 1)
    _insert(db, 2)
    with pytest.raises(exceptions.FailedPrecondition, match="no version history"):
        with db.snapshot(read_timestamp=first) as snap:
            _keys(snap)
    with pytest.raises(exceptions.FailedPrecondition, match="no version history"):
        with db.snapshot(exact_staleness=dt.timedelta(minutes=5)) as snap:
            _keys(snap)


def test_read_older_than_the_retention_period_is_too_old(db):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1, minutes=1)
    with pytest.raises(exceptions.FailedPrecondition, match="too old"):
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


def test_earliest_version_time_is_the_last_change(db):
    ts = _insert(db, 1)
    db.reload()
    assert db.earliest_version_time == ts
    with db.snapshot(read_timestamp=db.earliest_version_time) as snap:
        assert _keys(snap) == [1]
