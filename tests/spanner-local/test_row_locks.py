"""Conflicts at row granularity: transactions on different rows of one table do not abort."""

from __future__ import annotations

import threading

import pytest
from dbtools.spanner_local import row_locks
from google.cloud import spanner

DDL = [
    "CREATE TABLE Counters (Id INT64 NOT NULL, N INT64 NOT NULL) PRIMARY KEY (Id)",
    "CREATE TABLE Named (Name STRING(50) NOT NULL, N INT64) PRIMARY KEY (Name)",
]
THREADS = 50
ROUNDS = 4


@pytest.fixture
def counters(gsql_db):
    gsql_db.update_ddl(DDL).result(60)
    with gsql_db.batch() as b:
        b.insert("Counters", ["Id", "N"], [(i, 0) for i in range(THREADS)])
    return gsql_db


def _hammer(db, work, threads=THREADS, rounds=ROUNDS):
    """Run work(txn, thread_no) `rounds` times in each of `threads` threads; count attempts."""
    attempts = [0] * threads
    errors = []
    start = threading.Barrier(threads, timeout=60)

    def worker(n):
        try:
            start.wait()
            for _ in range(rounds):

                def txn_fn(txn):
                    attempts[n] += 1
                    work(txn, n)

                db.run_in_transaction(txn_fn)
        except Exception as exc:  # reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors[:3]
    return sum(attempts)


def _counts(db):
    with db.snapshot() as s:
        return dict(s.execute_sql("SELECT Id, N FROM Counters"))


def test_increments_of_different_rows_by_sql_never_abort(target, counters):
    def bump(txn, n):
        (value,) = next(
            iter(
                txn.execute_sql(
                    "SELECT N FROM Counters WHERE Id = @id",
                    params={"id": n},
                    param_types={"id": spanner.param_types.INT64},
                )
            )
        )
        txn.execute_update(
            "UPDATE Counters SET N = @n WHERE Id = @id",
            params={"n": value + 1, "id": n},
            param_types={"n": spanner.param_types.INT64, "id": spanner.param_types.INT64},
        )

    attempts = _hammer(counters, bump)
    assert _counts(counters) == {i: ROUNDS for i in range(THREADS)}
    if target.is_local:
        assert attempts == THREADS * ROUNDS  # not one ABORTED retry


def test_increments_of_different_rows_by_read_and_mutation_never_abort(target, counters):
    def bump(txn, n):
        (row,) = list(txn.read("Counters", ["Id", "N"], spanner.KeySet(keys=[[n]])))
        txn.update("Counters", ["Id", "N"], [(n, row[1] + 1)])

    attempts = _hammer(counters, bump)
    assert _counts(counters) == {i: ROUNDS for i in range(THREADS)}
    if target.is_local:
        assert attempts == THREADS * ROUNDS


def test_one_shared_row_stays_exact(counters):
    def bump(txn, n):
        (value,) = next(iter(txn.execute_sql("SELECT N FROM Counters WHERE Id = 0")))
        txn.update("Counters", ["Id", "N"], [(0, value + 1)])

    attempts = _hammer(counters, bump, threads=10, rounds=5)
    assert _counts(counters)[0] == 50
    assert attempts >= 50


def test_a_write_to_a_row_that_was_read_still_aborts_the_reader(target, counters):
    """Reader reads row 1 and (unpinned) scans nothing else; a writer commits row 1 meanwhile."""
    read_done, write_done = threading.Event(), threading.Event()
    attempts = []

    def reader(txn):
        attempts.append(1)
        (value,) = next(iter(txn.execute_sql("SELECT N FROM Counters WHERE Id = 1")))
        if len(attempts) == 1:
            read_done.set()
            write_done.wait(10)
        txn.update("Counters", ["Id", "N"], [(2, value + 10)])  # writes another row

    def writer():
        read_done.wait(10)
        counters.run_in_transaction(lambda t: t.update("Counters", ["Id", "N"], [(1, 5)]))
        write_done.set()

    t = threading.Thread(target=writer)
    t.start()
    counters.run_in_transaction(reader)
    t.join()
    assert _counts(counters)[2] == 15  # the retry saw the writer's 5: no write skew
    if target.is_local:
        assert len(attempts) == 2


def test_a_table_scan_conflicts_with_any_row_written(target, counters):
    read_done, write_done = threading.Event(), threading.Event()
    attempts = []

    def reader(txn):
        attempts.append(1)
        (total,) = next(iter(txn.execute_sql("SELECT SUM(N) FROM Counters")))
        if len(attempts) == 1:
            read_done.set()
            write_done.wait(10)
        txn.insert_or_update("Named", ["Name", "N"], [("total", total)])

    def writer():
        read_done.wait(10)
        counters.run_in_transaction(lambda t: t.update("Counters", ["Id", "N"], [(7, 3)]))
        write_done.set()

    t = threading.Thread(target=writer)
    t.start()
    counters.run_in_transaction(reader)
    t.join()
    with counters.snapshot() as s:
        assert list(s.execute_sql("SELECT N FROM Named")) == [[3]]
    if target.is_local:
        assert len(attempts) == 2


def test_read_only_transactions_do_not_block_or_abort_writers(counters):
    with counters.snapshot(multi_use=True) as snap:
        before = dict(snap.execute_sql("SELECT Id, N FROM Counters"))
        counters.run_in_transaction(lambda t: t.update("Counters", ["Id", "N"], [(3, 9)]))
        assert dict(snap.execute_sql("SELECT Id, N FROM Counters")) == before
    assert _counts(counters)[3] == 9


# ------------------------------------------------------------------- unit level


def _catalog(db_ddl):
    from dbtools.spanner_local.database import Database

    db = Database(name="projects/p/instances/i/databases/d", dialect="GOOGLE_STANDARD_SQL")
    db.apply_ddl(db.parse_ddl(db_ddl))
    return db.catalog


@pytest.mark.parametrize(
    ("sql", "params", "keys"),
    [
        ('SELECT "N" FROM "Counters" WHERE "Id" = 3', {}, {(3,)}),
        ('SELECT "N" FROM "Counters" WHERE "Id" = $id AND "N" > 0', {"id": 4}, {(4,)}),
        ('UPDATE "Counters" SET "N" = 1 WHERE ("Id" = -2)', {}, {(-2,)}),
        ('INSERT INTO "Counters" ("Id", "N") VALUES (1, 2), ($k, 3)', {"k": 9}, {(1,), (9,)}),
        ('SELECT "N" FROM "Named" WHERE "Name" = \'x\'', {}, {("x",)}),
        ('SELECT "N" FROM "Counters" WHERE "Id" = 3 OR "Id" = 4', {}, None),
        ('SELECT "N" FROM "Counters" WHERE "N" = 3', {}, None),
        ('SELECT "N" FROM "Counters"', {}, None),
        ('SELECT "N" FROM "Counters" WHERE "Id" = (SELECT 1)', {}, None),
        (
            'SELECT c."N" FROM "Counters" c JOIN "Named" n ON c."N" = n."N" WHERE c."Id" = 1',
            {},
            None,
        ),
        ('SELECT "N" FROM "Counters" WHERE "Id" = \'3\'', {}, None),
    ],
)
def test_pinned_keys(sql, params, keys):
    found = row_locks.keys_of(_catalog(DDL), sql, params)
    assert (found[1] if found else None) == keys


def test_access_set_overlap():
    reads = row_locks.AccessSet()
    reads.add_keys("t", {(1,)})
    other = row_locks.AccessSet()
    other.add_keys("t", {(2,)})
    assert reads.overlap(other) is None
    other.add_keys("t", {(1,)})
    assert reads.overlap(other) == "t"
    whole = row_locks.AccessSet({"t"})
    assert reads.overlap(whole) == "t"
    assert row_locks.AccessSet({"*"}).overlap(other) == "t"
    assert row_locks.AccessSet({"u"}).overlap(other) is None


def test_history_forgets_beyond_its_limit():
    history = row_locks.CommitHistory(limit=2)
    for v in range(1, 5):
        history.record(v, row_locks.AccessSet({"t"}))
    assert history.floor == 2
    assert history.conflict(row_locks.AccessSet({"t"}), since=3) == "t"
    assert history.conflict(row_locks.AccessSet({"t"}), since=4) is None
