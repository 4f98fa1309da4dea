"""Read-write transactions, DML, batch DML, mutations, snapshots and commit timestamps."""

from __future__ import annotations

import threading

import pytest
from google.api_core import exceptions
from google.cloud import spanner
from google.cloud.spanner_v1 import param_types

from .conftest import commit_mutation_count

DDL = [
    "CREATE TABLE Accounts (Id INT64 NOT NULL, Owner STRING(100), Balance INT64 NOT NULL) PRIMARY KEY (Id)",
    "CREATE TABLE Events (Id INT64 NOT NULL, At TIMESTAMP OPTIONS (allow_commit_timestamp = true)) PRIMARY KEY (Id)",
]


@pytest.fixture
def bank(gsql_db):
    gsql_db.update_ddl(DDL).result(60)
    with gsql_db.batch() as b:
        b.insert("Accounts", ["Id", "Owner", "Balance"], [(1, "ann", 100), (2, "bob", 50)])
    return gsql_db


def _rows(db, sql, **kw):
    with db.snapshot() as s:
        return list(s.execute_sql(sql, **kw))


def test_dml_in_transaction_sees_its_own_writes(bank):
    def work(txn):
        n = txn.execute_update(
            "UPDATE Accounts SET Balance = Balance - 10 WHERE Id = @id",
            params={"id": 1},
            param_types={"id": param_types.INT64},
        )
        inside = list(txn.execute_sql("SELECT Balance FROM Accounts WHERE Id = 1"))
        m = txn.execute_update("INSERT INTO Accounts (Id, Owner, Balance) VALUES (3, 'cy', 5)")
        return n, inside, m

    assert bank.run_in_transaction(work) == (1, [[90]], 1)
    assert _rows(bank, "SELECT Id, Balance FROM Accounts ORDER BY Id") == [[1, 90], [2, 50], [3, 5]]


def test_exception_in_transaction_function_rolls_back(bank):
    class Boom(Exception):
        pass

    def work(txn):
        txn.execute_update("UPDATE Accounts SET Balance = 0 WHERE TRUE")
        raise Boom

    with pytest.raises(Boom):
        bank.run_in_transaction(work)
    assert _rows(bank, "SELECT SUM(Balance) FROM Accounts") == [[150]]


def test_batch_update_counts(bank):
    def work(txn):
        return txn.batch_update(
            [
                "UPDATE Accounts SET Balance = Balance + 1 WHERE TRUE",
                ("DELETE FROM Accounts WHERE Id = @id", {"id": 2}, {"id": param_types.INT64}),
            ]
        )

    status, counts = bank.run_in_transaction(work)
    assert status.code == 0
    assert counts == [2, 1]
    assert _rows(bank, "SELECT Id, Balance FROM Accounts") == [[1, 101]]


def test_batch_update_stops_at_first_error_and_keeps_earlier_statements(bank):
    def work(txn):
        status, counts = txn.batch_update(
            [
                "UPDATE Accounts SET Balance = 1 WHERE Id = 1",
                "INSERT INTO Accounts (Id, Owner, Balance) VALUES (2, 'dup', 0)",
                "UPDATE Accounts SET Balance = 2 WHERE Id = 2",
            ]
        )
        return status, counts

    status, counts = bank.run_in_transaction(work)
    assert status.code == 6  # ALREADY_EXISTS
    assert counts == [1]
    # the transaction committed what ran before the failing statement, and nothing after it
    assert _rows(bank, "SELECT Id, Balance FROM Accounts ORDER BY Id") == [[1, 1], [2, 50]]


def test_failed_dml_does_not_end_the_transaction(bank):
    def work(txn):
        txn.execute_update("UPDATE Accounts SET Balance = 7 WHERE Id = 1")
        with pytest.raises(exceptions.AlreadyExists):
            txn.execute_update("INSERT INTO Accounts (Id, Owner, Balance) VALUES (1, 'x', 0)")
        txn.execute_update("UPDATE Accounts SET Balance = 8 WHERE Id = 2")

    bank.run_in_transaction(work)
    assert _rows(bank, "SELECT Balance FROM Accounts ORDER BY Id") == [[7], [8]]


def test_mutations_insert_update_upsert_replace_delete(bank):
    def work(txn):
        txn.insert("Accounts", ["Id", "Owner", "Balance"], [(10, "d", 1)])
        txn.update("Accounts", ["Id", "Balance"], [(1, 111)])
        txn.insert_or_update(
            "Accounts", ["Id", "Owner", "Balance"], [(2, "bobby", 2), (11, "e", 3)]
        )
        txn.replace("Accounts", ["Id", "Balance"], [(10, 9)])  # Owner becomes NULL
        txn.delete("Accounts", spanner.KeySet(keys=[[11]]))

    bank.run_in_transaction(work)
    assert _rows(bank, "SELECT Id, Owner, Balance FROM Accounts ORDER BY Id") == [
        [1, "ann", 111],
        [2, "bobby", 2],
        [10, None, 9],
    ]


def test_insert_existing_row_is_already_exists(bank):
    with pytest.raises(exceptions.AlreadyExists) as err, bank.batch() as b:
        b.insert("Accounts", ["Id", "Owner", "Balance"], [(1, "again", 0)])
    assert "already exists" in str(err.value)
    assert _rows(bank, "SELECT Owner FROM Accounts WHERE Id = 1") == [["ann"]]


def test_update_missing_row_is_not_found(bank):
    with pytest.raises(exceptions.NotFound), bank.batch() as b:
        b.update("Accounts", ["Id", "Balance"], [(99, 0)])


def test_not_null_violation_is_failed_precondition(bank):
    with pytest.raises(exceptions.FailedPrecondition), bank.batch() as b:
        b.insert("Accounts", ["Id", "Owner", "Balance"], [(5, "x", None)])


def test_unknown_table_and_column_in_mutations(bank):
    with pytest.raises(exceptions.NotFound), bank.batch() as b:
        b.insert("NoSuchTable", ["Id"], [(1,)])
    with pytest.raises(exceptions.NotFound), bank.batch() as b:
        b.insert("Accounts", ["Id", "NoSuchColumn", "Balance"], [(7, 1, 1)])


def test_unknown_table_and_column_in_sql(bank):
    with pytest.raises(exceptions.InvalidArgument) as err:
        _rows(bank, "SELECT * FROM NoSuchTable")
    assert "NoSuchTable" in str(err.value)
    with pytest.raises(exceptions.InvalidArgument) as err:
        _rows(bank, "SELECT NoSuchColumn FROM Accounts")
    assert "NoSuchColumn" in str(err.value)


def test_delete_ranges_and_all(bank):
    with bank.batch() as b:
        b.insert("Accounts", ["Id", "Owner", "Balance"], [(i, "x", i) for i in range(3, 10)])
    with bank.batch() as b:
        b.delete(
            "Accounts", spanner.KeySet(ranges=[spanner.KeyRange(start_closed=[3], end_open=[6])])
        )
    assert [r[0] for r in _rows(bank, "SELECT Id FROM Accounts ORDER BY Id")] == [1, 2, 6, 7, 8, 9]
    with bank.batch() as b:
        b.delete("Accounts", spanner.KeySet(all_=True))
    assert _rows(bank, "SELECT COUNT(*) FROM Accounts") == [[0]]


def test_conflicting_transactions_abort_and_the_client_retries(target, bank):
    """A reads, B commits a write to the same row, A writes: A is aborted and retried."""
    a_read = threading.Event()
    b_done = threading.Event()
    attempts = []
    errors = []

    def work_a(txn):
        attempts.append(1)
        (balance,) = next(iter(txn.execute_sql("SELECT Balance FROM Accounts WHERE Id = 1")))
        if len(attempts) == 1:
            a_read.set()
            b_done.wait(5)
        txn.update("Accounts", ["Id", "Balance"], [(1, balance + 1)])

    def run_b():
        try:
            a_read.wait(10)
            bank.run_in_transaction(
                lambda t: t.execute_update(
                    "UPDATE Accounts SET Balance = Balance + 100 WHERE Id = 1"
                )
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            b_done.set()

    tb = threading.Thread(target=run_b)
    tb.start()
    bank.run_in_transaction(work_a)
    tb.join()
    assert not errors
    assert _rows(bank, "SELECT Balance FROM Accounts WHERE Id = 1") == [[201]]
    if target.is_local:
        assert len(attempts) == 2  # the first attempt was ABORTED and retried by the client


def test_concurrent_increments_lose_no_update(bank):
    def bump(txn):
        txn.execute_update("UPDATE Accounts SET Balance = Balance + 1 WHERE Id = 2")

    def worker():
        for _ in range(8):
            bank.run_in_transaction(bump)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _rows(bank, "SELECT Balance FROM Accounts WHERE Id = 2") == [[50 + 32]]


def test_multi_use_snapshot_is_consistent(bank):
    with bank.snapshot(multi_use=True) as snap:
        first = list(snap.execute_sql("SELECT SUM(Balance) FROM Accounts"))
        with bank.batch() as b:
            b.update("Accounts", ["Id", "Balance"], [(1, 0)])
        second = list(snap.execute_sql("SELECT SUM(Balance) FROM Accounts"))
        read = list(snap.read("Accounts", ["Balance"], spanner.KeySet(keys=[[1]])))
    assert first == second == [[150]]
    assert read == [[100]]
    assert _rows(bank, "SELECT SUM(Balance) FROM Accounts") == [[50]]


def test_stale_reads_are_accepted(bank):
    import datetime as dt

    with bank.snapshot(exact_staleness=dt.timedelta(seconds=0)) as snap:
        assert list(snap.execute_sql("SELECT COUNT(*) FROM Accounts")) == [[2]]
    with bank.snapshot(max_staleness=dt.timedelta(seconds=10)) as snap:
        assert list(snap.execute_sql("SELECT COUNT(*) FROM Accounts")) == [[2]]


def test_dml_in_read_only_snapshot_is_rejected(bank):
    with pytest.raises(exceptions.GoogleAPICallError), bank.snapshot() as snap:
        list(snap.execute_sql("UPDATE Accounts SET Balance = 0 WHERE TRUE"))


def test_commit_timestamps(bank):
    with bank.batch() as b:
        b.insert("Events", ["Id", "At"], [(1, spanner.COMMIT_TIMESTAMP)])
    first = b.committed
    with bank.batch() as b2:
        b2.insert("Events", ["Id", "At"], [(2, spanner.COMMIT_TIMESTAMP)])
    second = b2.committed
    assert first < second
    rows = _rows(bank, "SELECT Id, At FROM Events ORDER BY Id")
    assert rows[0][1] == first and rows[1][1] == second


def test_commit_timestamp_requires_column_option(bank):
    bank.update_ddl(["CREATE TABLE Plain (Id INT64, At TIMESTAMP) PRIMARY KEY (Id)"]).result(60)
    with pytest.raises(exceptions.FailedPrecondition), bank.batch() as b:
        b.insert("Plain", ["Id", "At"], [(1, spanner.COMMIT_TIMESTAMP)])


def test_pending_commit_timestamp_in_dml(bank):
    def work(txn):
        txn.execute_update("INSERT INTO Events (Id, At) VALUES (5, PENDING_COMMIT_TIMESTAMP())")

    bank.run_in_transaction(work)
    rows = _rows(bank, "SELECT At FROM Events WHERE Id = 5")
    assert rows[0][0] is not None


def test_partitioned_dml(bank):
    with bank.batch() as b:
        b.insert("Accounts", ["Id", "Owner", "Balance"], [(i, "p", i) for i in range(3, 23)])
    count = bank.execute_partitioned_dml(
        "UPDATE Accounts SET Balance = 0 WHERE Owner = @o",
        params={"o": "p"},
        param_types={"o": param_types.STRING},
    )
    assert count == 20
    assert _rows(bank, "SELECT COUNT(*) FROM Accounts WHERE Balance = 0") == [[20]]


def test_dml_returning(bank):
    def work(txn):
        rows = list(
            txn.execute_sql(
                "UPDATE Accounts SET Balance = Balance * 2 WHERE Id = 1 THEN RETURN Id, Balance"
            )
        )
        return rows

    assert bank.run_in_transaction(work) == [[1, 200]]


def test_googlesql_update_and_delete_need_where(bank):
    for sql in ("UPDATE Accounts SET Balance = 0", "DELETE FROM Accounts"):
        with pytest.raises(exceptions.InvalidArgument):
            bank.run_in_transaction(lambda txn, sql=sql: txn.execute_update(sql))
    assert _rows(bank, "SELECT COUNT(*) FROM Accounts") == [[2]]


def test_primary_key_columns_cannot_be_updated(bank):
    with pytest.raises(exceptions.InvalidArgument):
        bank.run_in_transaction(
            lambda txn: txn.execute_update("UPDATE Accounts SET Id = 9 WHERE Id = 1")
        )


def test_session_pool_without_multiplexed_sessions(target, bank, monkeypatch):
    # FixedSizePool in google-cloud-spanner 3.71 compares a naive and an aware datetime when
    # multiplexed sessions are off (a client bug, independent of the server); BurstyPool works.
    for var in (
        "GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS",
        "GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS_FOR_RW",
        "GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS_PARTITIONED_OPS",
    ):
        monkeypatch.setenv(var, "false")
    db = bank._instance.database(bank.database_id, pool=spanner.BurstyPool(target_size=3))
    with db.snapshot() as snap:
        assert list(snap.execute_sql("SELECT COUNT(*) FROM Accounts")) == [[2]]
    db.run_in_transaction(
        lambda txn: txn.execute_update("UPDATE Accounts SET Balance = 1 WHERE Id = 1")
    )
    with db.batch() as b:
        b.insert("Accounts", ["Id", "Owner", "Balance"], [(3, "pool", 3)])
    assert _rows(db, "SELECT Id, Balance FROM Accounts ORDER BY Id") == [[1, 1], [2, 50], [3, 3]]
    if target.is_local:
        sessions = [s for s in target.endpoint.registry.sessions.values() if s.database == db.name]
        assert any(not s.multiplexed for s in sessions)


def test_schema_change_during_transaction_aborts_and_retries(target, bank):
    attempts = []

    def work(txn):
        attempts.append(1)
        txn.execute_update("UPDATE Accounts SET Balance = Balance + 1 WHERE Id = 1")
        if len(attempts) == 1:
            bank.update_ddl(["ALTER TABLE Accounts ADD COLUMN Note STRING(MAX)"]).result(60)

    bank.run_in_transaction(work)
    assert _rows(bank, "SELECT Balance, Note FROM Accounts WHERE Id = 1") == [[101, None]]
    if target.is_local:
        assert len(attempts) == 2


def test_batch_snapshot_partitioned_query(bank):
    batch = bank.batch_snapshot()
    try:
        rows = sorted(batch.run_partitioned_query("SELECT Id, Balance FROM Accounts"))
    finally:
        batch.close()
    assert rows == [[1, 100], [2, 50]]


def test_racing_inserts_of_the_same_key_abort_and_retry(target, bank):
    """Both check that a key is free, both insert it: the later one is retried, sees the row."""
    both_read = threading.Barrier(2, timeout=10)
    outcomes = []

    def claim(name):
        attempts = []

        def work(txn):
            attempts.append(1)
            exists = list(txn.execute_sql("SELECT Owner FROM Accounts WHERE Id = 7"))
            if len(attempts) == 1:
                try:
                    both_read.wait()
                except threading.BrokenBarrierError:
                    pass
            if exists:
                return exists[0][0]
            txn.insert("Accounts", ["Id", "Owner", "Balance"], [(7, name, 0)])
            return name

        outcomes.append((name, bank.run_in_transaction(work), len(attempts)))

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    owner = _rows(bank, "SELECT Owner FROM Accounts WHERE Id = 7")[0][0]
    assert sorted(o[1] for o in outcomes) == [owner, owner]  # both agree on the winner
    if target.is_local:
        assert sorted(o[2] for o in outcomes) == [1, 2]  # the loser was aborted once


def test_write_skew_is_prevented(target, bank):
    """Both read both balances, each withdraws from a different account: one is retried."""
    both_read = threading.Barrier(2, timeout=10)
    attempts = {"a": 0, "b": 0}

    def withdraw(who, account):
        def work(txn):
            attempts[who] += 1
            total = next(iter(txn.execute_sql("SELECT SUM(Balance) FROM Accounts")))[0]
            if attempts[who] == 1:
                try:
                    both_read.wait()
                except threading.BrokenBarrierError:
                    pass
            if total >= 120:  # the rule: the sum of both balances stays >= 0 after taking 120
                txn.update(
                    "Accounts", ["Id", "Balance"], [(account, -120 + (100 if account == 1 else 50))]
                )

        bank.run_in_transaction(work)

    threads = [threading.Thread(target=withdraw, args=a) for a in (("a", 1), ("b", 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = _rows(bank, "SELECT SUM(Balance) FROM Accounts")[0][0]
    assert total == 150 - 120  # only one withdrawal happened
    if target.is_local:
        assert sorted(attempts.values()) == [1, 2]


def test_batch_write_mutation_groups(bank):
    with bank.mutation_groups() as groups:
        ok = groups.group()
        ok.insert("Accounts", ["Id", "Owner", "Balance"], [(30, "g1", 1)])
        bad = groups.group()
        bad.insert("Accounts", ["Id", "Owner", "Balance"], [(1, "dup", 1)])
        responses = list(groups.batch_write())
    by_index = {idx: r for r in responses for idx in r.indexes}
    assert by_index[0].status.code == 0 and by_index[0].commit_timestamp is not None
    assert by_index[1].status.code == 6  # ALREADY_EXISTS, and the other group still committed
    assert _rows(bank, "SELECT Owner FROM Accounts WHERE Id = 30") == [["g1"]]


def test_partitioned_reads_and_commit_stats(bank):
    batch = bank.batch_snapshot()
    try:
        parts = list(
            batch.generate_read_batches("Accounts", ["Id", "Balance"], spanner.KeySet(all_=True))
        )
        rows = sorted(row for part in parts for row in batch.process_read_batch(part))
    finally:
        batch.close()
    assert rows == [[1, 100], [2, 50]]

    def work(txn):
        txn.insert("Accounts", ["Id", "Owner", "Balance"], [(40, "s", 1)])

    assert commit_mutation_count(bank, work) == 3


def test_read_only_transaction_reports_requested_timestamp(target, bank):
    import datetime as dt
    import time

    at = dt.datetime.now(dt.timezone.utc)  # after the fixture's writes
    time.sleep(0.05)
    with bank.snapshot(read_timestamp=at, multi_use=True) as snap:
        rows = list(snap.execute_sql("SELECT COUNT(*) FROM Accounts"))
        assert snap._read_timestamp == at  # the client keeps what the server reported
    assert rows == [[2]]


def test_racing_dml_inserts_of_the_same_key_abort_and_retry(target, bank):
    both_read = threading.Barrier(2, timeout=10)
    results = []

    def claim(name):
        attempts = []

        def work(txn):
            attempts.append(1)
            exists = list(txn.execute_sql("SELECT Owner FROM Accounts WHERE Id = 8"))
            if len(attempts) == 1:
                try:
                    both_read.wait()
                except threading.BrokenBarrierError:
                    pass
            if exists:
                return exists[0][0]
            txn.execute_update(f"INSERT INTO Accounts (Id, Owner, Balance) VALUES (8, '{name}', 0)")
            return name

        results.append(bank.run_in_transaction(work))

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("p", "q")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    owner = _rows(bank, "SELECT Owner FROM Accounts WHERE Id = 8")[0][0]
    assert results == [owner, owner]
