"""Commit limits: Spanner's mutation count, with its INVALID_ARGUMENT message."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from .conftest import commit_mutation_count


@pytest.fixture
def wide(gsql_db):
    gsql_db.update_ddl(
        [
            "CREATE TABLE W (K INT64, A INT64, B INT64, C INT64) PRIMARY KEY (K)",
            "CREATE INDEX WA ON W(A)",
        ]
    ).result(60)
    return gsql_db


def test_too_many_mutations_is_invalid_argument(wide):
    # 16,001 rows x 4 columns + 16,001 index entries x 1 key column = 80,005 > 80,000
    rows = [(i, i, i, i) for i in range(16_001)]
    with pytest.raises(exceptions.InvalidArgument) as err, wide.batch() as b:
        b.insert("W", ["K", "A", "B", "C"], rows)
    assert "too many mutations" in str(err.value)
    assert "80000" in str(err.value)
    with wide.snapshot() as s:
        assert list(s.execute_sql("SELECT COUNT(*) FROM W")) == [[0]]


def test_just_under_the_limit_commits(wide):
    rows = [(i, i, i, i) for i in range(16_000)]  # exactly 80,000
    with wide.batch() as b:
        b.insert("W", ["K", "A", "B", "C"], rows)
    with wide.snapshot() as s:
        assert list(s.execute_sql("SELECT COUNT(*) FROM W")) == [[16_000]]


def test_commit_size_limit_message():
    from dbtools.spanner_local import limits
    from dbtools.spanner_local.errors import InvalidArgument

    limits.check_commit_size(limits.MAX_COMMIT_BYTES)
    with pytest.raises(InvalidArgument) as err:
        limits.check_commit_size(limits.MAX_COMMIT_BYTES + 1)
    assert "maximum total bytes-size" in err.value.message


# DML: Spanner applies the 80,000 limit to each statement's mutations (columns written per
# row plus index entries, as commit stats count them), not to the transaction's sum.
def _insert_rows(first: int, count: int) -> str:
    return (
        "INSERT INTO W (K, A, B, C) SELECT x, x, x, x "
        f"FROM UNNEST(GENERATE_ARRAY({first}, {first + count - 1})) AS x"
    )


def _fill(db, rows: int) -> None:
    # in statements of at most 10,000 rows (50,000 mutations) each
    def work(t):
        for first in range(0, rows, 10_000):
            t.execute_update(_insert_rows(first, min(10_000, rows - first)))

    db.run_in_transaction(work)


def _count_w(db) -> int:
    with db.snapshot() as s:
        [[count]] = list(s.execute_sql("SELECT COUNT(*) FROM W"))
    return count


def test_dml_statement_with_too_many_mutations_is_invalid_argument(wide):
    # 16,001 rows x (4 columns + 1 index entry) = 80,005 > 80,000
    with pytest.raises(exceptions.InvalidArgument) as err:
        wide.run_in_transaction(lambda t: t.execute_update(_insert_rows(0, 16_001)))
    assert "too many mutations" in str(err.value)
    assert "80000" in str(err.value)
    assert _count_w(wide) == 0


def test_dml_update_counts_its_set_columns_key_and_index_entries(wide):
    _fill(wide, 20_001)
    # per row: A, B and the key K written, plus the index entry of WA = 4; 20,001 rows
    update = "UPDATE W SET A = A + 1, B = B + 1 WHERE TRUE"
    with pytest.raises(exceptions.InvalidArgument, match="too many mutations"):
        wide.run_in_transaction(lambda t: t.execute_update(update))
    with wide.snapshot() as s:
        assert list(s.execute_sql("SELECT COUNT(*) FROM W WHERE A = K")) == [[20_001]]
    # 20,000 rows x 4 = 80,000: allowed
    wide.run_in_transaction(lambda t: t.execute_update(update + " AND K < 20000"))


def test_a_failed_dml_statement_leaves_the_transaction_usable(wide):
    # the transaction is begun by a first statement (the client cannot go on after a failed
    # statement that was to begin it inline); the failed one is undone, the others stay
    def work(t):
        t.execute_update(_insert_rows(0, 5))
        with pytest.raises(exceptions.InvalidArgument, match="too many mutations"):
            t.execute_update(_insert_rows(5, 16_001))
        return t.execute_update(_insert_rows(5, 10))

    assert wide.run_in_transaction(work) == 10
    assert _count_w(wide) == 15


def test_dml_limit_is_per_statement_not_per_transaction(wide):
    def work(t):
        t.execute_update(_insert_rows(0, 16_000))  # 80,000: at the limit
        t.execute_update(_insert_rows(16_000, 10_000))  # 50,000 more

    assert commit_mutation_count(wide, work) == 130_000
    assert _count_w(wide) == 26_000


def test_dml_in_a_batch_is_limited_per_statement(wide):
    def work(t):
        status, counts = t.batch_update([_insert_rows(0, 10), _insert_rows(10, 16_001)])
        return status.code, counts

    code, counts = wide.run_in_transaction(work)
    assert code == 3  # INVALID_ARGUMENT, for the second statement
    assert counts == [10]
    assert _count_w(wide) == 10


def test_partitioned_dml_has_no_mutation_limit(wide):
    _fill(wide, 20_001)
    assert wide.execute_partitioned_dml("UPDATE W SET A = A + 1, B = B + 1 WHERE TRUE") == 20_001


def test_mutation_sizes_are_summed_only_when_the_request_could_exceed_the_limit():
    from dbtools.spanner_local import limits

    def sizes(total):
        consumed.append(True)
        yield total

    consumed: list[bool] = []
    with limits.received(1000):  # a request within the limit: its mutations are too
        limits.check_mutations_size(sizes(limits.MAX_COMMIT_BYTES + 1))
    assert consumed == []
    with limits.received(limits.MAX_COMMIT_BYTES + 10):  # over: the mutations' own sizes decide
        limits.check_mutations_size(sizes(limits.MAX_COMMIT_BYTES))
        with pytest.raises(Exception, match="maximum total bytes-size"):
            limits.check_mutations_size(sizes(limits.MAX_COMMIT_BYTES + 1))
    with pytest.raises(Exception, match="maximum total bytes-size"):  # outside a call
        limits.check_mutations_size(sizes(limits.MAX_COMMIT_BYTES + 1))
    assert len(consumed) == 3
