"""A cancelled or timed-out call interrupts the DuckDB statement it started."""

from __future__ import annotations

import time

import pytest
from dbtools.spanner_local import cancellation
from google.api_core import exceptions

# 10^16 rows: DuckDB counts about 10^10 a second here, so this runs until interrupted
ENDLESS = (
    "select count(*) from generate_series(1, 10000) a, generate_series(1, 10000) b, "
    "generate_series(1, 10000) c, generate_series(1, 10000) d"
)


def _wait_for_interrupt(before: int) -> None:
    while cancellation.interrupted == before:  # pytest-timeout bounds this if it never happens
        time.sleep(0.05)


def test_deadline_interrupts_the_running_query(local):
    db = local.new_database("POSTGRESQL")
    before = cancellation.interrupted
    with pytest.raises(exceptions.DeadlineExceeded):
        with db.snapshot() as s:
            list(s.execute_sql(ENDLESS, timeout=1.0, retry=None))
    _wait_for_interrupt(before)
    # the database still answers, in new and in read-write transactions
    with db.snapshot() as s:
        assert list(s.execute_sql("select 1")) == [[1]]
    db.update_ddl(["create table t (id bigint primary key)"]).result(60)
    assert db.run_in_transaction(lambda t: t.execute_update("insert into t (id) values (1)")) == 1
    db.drop()


def test_deadline_in_a_transaction_interrupts_and_the_retry_works(local):
    db = local.new_database("POSTGRESQL")
    db.update_ddl(["create table t (id bigint primary key)"]).result(60)
    before = cancellation.interrupted

    def work(txn):
        txn.execute_update("insert into t (id) values (1)")
        list(txn.execute_sql(ENDLESS, timeout=1.0, retry=None))

    with pytest.raises(exceptions.DeadlineExceeded):
        db.run_in_transaction(work)
    _wait_for_interrupt(before)
    with db.snapshot() as s:
        assert list(s.execute_sql("select count(*) from t")) == [[0]]
    db.drop()
