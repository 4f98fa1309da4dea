"""Commits of thousands of mutations, through the official client: what is written, and the
errors, exactly as for a single row.

Mutations are decoded a column at a time and written as one relation per mutation; these tests
put the interesting value (a duplicate, a NULL, a value of the wrong type, an oversized string)
deep inside large mutations, and check that the error names it and that nothing of the commit
is kept.
"""

from __future__ import annotations

import math

import pytest
from google.api_core import exceptions
from google.cloud import spanner

DDL = [
    "CREATE TABLE Kv (Id INT64 NOT NULL, Name STRING(20), Qty INT64 NOT NULL, Score FLOAT64) "
    "PRIMARY KEY (Id)"
]
COLS = ["Id", "Name", "Qty", "Score"]
N = 3000


def _row(i: int) -> tuple[int, str, int, float]:
    return (i, f"name {i}", i % 97, i / 7 + 0.5)


@pytest.fixture
def kv(gsql_db):
    gsql_db.update_ddl(DDL).result(60)
    return gsql_db


def _all(db) -> list[list]:
    with db.snapshot() as s:
        return [list(r) for r in s.execute_sql("SELECT Id, Name, Qty, Score FROM Kv ORDER BY Id")]


def _count(db) -> int:
    with db.snapshot() as s:
        return next(iter(s.execute_sql("SELECT COUNT(*) FROM Kv")))[0]


def test_large_insert_reads_back_every_value(kv):
    with kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(N)])
    assert _all(kv) == [list(_row(i)) for i in range(N)]


def test_values_off_the_common_path_decode_exactly(kv):
    """NULLs, empty strings, zero, NaN, infinities and negative numbers among thousands."""
    specials = {
        5: (5, None, 0, None),
        6: (6, "", -1, 0.0),
        7: (7, "ünïcödé ✓", -(2**63), float("nan")),
        8: (8, "x", 2**63 - 1, float("inf")),
        9: (9, "y", 1, float("-inf")),
        10: (10, "z", 2, -0.25),
    }
    rows = [specials.get(i, _row(i)) for i in range(N)]
    with kv.batch() as b:
        b.insert("Kv", COLS, rows)
    got = _all(kv)
    assert len(got) == N
    assert got[5] == [5, None, 0, None]
    assert got[6] == [6, "", -1, 0.0]
    assert got[7][:3] == [7, "ünïcödé ✓", -(2**63)] and math.isnan(got[7][3])
    assert got[8] == [8, "x", 2**63 - 1, float("inf")]
    assert got[9] == [9, "y", 1, float("-inf")]
    assert got[10] == [10, "z", 2, -0.25]
    assert got[11] == list(_row(11))


def test_mixed_kinds_in_one_commit_apply_in_order(kv):
    with kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(N)])
    with kv.batch() as b:
        b.update("Kv", ["Id", "Qty"], [(i, 1000 + i) for i in range(0, 1000)])
        # half existing (updated), half new (inserted); the later of two rows with one key wins
        b.insert_or_update(
            "Kv",
            COLS,
            [(i, "upserted", 7, 1.5) for i in range(2500, 3500)] + [(3499, "last", 8, 2.5)],
        )
        b.replace("Kv", ["Id", "Qty"], [(i, 42) for i in range(1000, 1100)])  # others -> NULL
        b.delete(
            "Kv", spanner.KeySet(ranges=[spanner.KeyRange(start_closed=[2000], end_open=[2100])])
        )
    got = {r[0]: r for r in _all(kv)}
    assert len(got) == 3500 - 100
    assert got[0] == [0, "name 0", 1000, _row(0)[3]]
    assert got[999][2] == 1999
    assert got[1000] == [1000, None, 42, None]
    assert got[1099] == [1099, None, 42, None]
    assert got[1100] == list(_row(1100))
    assert 2000 not in got and 2099 not in got and got[2100] == list(_row(2100))
    assert got[2500] == [2500, "upserted", 7, 1.5]
    assert got[3000] == [3000, "upserted", 7, 1.5]
    assert got[3499] == [3499, "last", 8, 2.5]


def test_duplicate_key_inside_one_insert_is_already_exists_and_writes_nothing(kv):
    rows = [_row(i) for i in range(N)]
    rows[1500] = _row(10)
    with pytest.raises(exceptions.AlreadyExists) as err, kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(N, N + 100)])  # an earlier mutation
        b.insert("Kv", COLS, rows)
    assert "Row [10]" in str(err.value) and "already exists" in str(err.value)
    assert _count(kv) == 0


def test_insert_of_existing_key_deep_in_a_batch_is_already_exists(kv):
    with kv.batch() as b:
        b.insert("Kv", COLS, [_row(1234)])
    with pytest.raises(exceptions.AlreadyExists) as err, kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(N)])
    assert "Row [1234]" in str(err.value)
    assert _all(kv) == [list(_row(1234))]


def test_update_of_missing_key_is_not_found_and_writes_nothing(kv):
    with kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(N)])
    rows = [(i, 5) for i in range(N)]
    rows[2999] = (N + 7, 5)
    with pytest.raises(exceptions.NotFound) as err, kv.batch() as b:
        b.update("Kv", ["Id", "Qty"], rows)
    assert f"Row [{N + 7}]" in str(err.value) and "missing" in str(err.value)
    assert _all(kv) == [list(_row(i)) for i in range(N)]


def test_null_in_not_null_column_deep_in_a_batch(kv):
    rows = [_row(i) for i in range(N)]
    rows[777] = (777, "n", None, 1.0)
    with pytest.raises(exceptions.FailedPrecondition) as err, kv.batch() as b:
        b.insert("Kv", COLS, rows)
    assert "Kv.Qty must not be NULL" in str(err.value)
    assert _count(kv) == 0


def test_wrong_type_reports_the_first_bad_value_in_row_order(kv):
    """Row 200 has a bad Score, row 300 a bad Qty (an earlier column): Score is reported."""
    rows = [_row(i) for i in range(N)]
    rows[200] = (200, "n", 1, "not a float")
    rows[300] = (300, "n", "not an int", 1.0)
    with pytest.raises(exceptions.FailedPrecondition) as err, kv.batch() as b:
        b.insert("Kv", COLS, rows)
    assert "Invalid value for column Score in table Kv" in str(err.value)
    rows[200] = _row(200)
    with pytest.raises(exceptions.FailedPrecondition) as err, kv.batch() as b:
        b.insert("Kv", COLS, rows)
    assert "Invalid value for column Qty in table Kv" in str(err.value)
    assert _count(kv) == 0


def test_string_over_the_column_length_deep_in_a_batch(kv):
    rows = [_row(i) for i in range(N)]
    rows[1999] = (1999, "x" * 21, 1, 1.0)
    with pytest.raises(exceptions.FailedPrecondition) as err, kv.batch() as b:
        b.insert("Kv", COLS, rows)
    assert "Kv.Name, size: 21, limit: 20" in str(err.value)
    assert _count(kv) == 0


def test_row_with_too_few_values_is_refused(kv):
    rows: list[tuple] = [_row(i) for i in range(N)]
    rows[1000] = (1000, "short")
    with pytest.raises(exceptions.InvalidArgument) as err, kv.batch() as b:
        b.insert("Kv", COLS, rows)
    assert "2 values but 4 columns" in str(err.value)
    assert _count(kv) == 0


def test_commit_over_the_mutation_limit_is_refused_whole(kv):
    """80,000 mutations per commit: 20,001 rows of 4 columns are 80,004."""
    with pytest.raises(exceptions.InvalidArgument) as err, kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(20_001)])
    assert "mutations" in str(err.value).lower()
    assert _count(kv) == 0
    with kv.batch() as b:  # 80,000 exactly is fine
        b.insert("Kv", COLS, [_row(i) for i in range(20_000)])
    assert _count(kv) == 20_000


def test_a_failing_mutation_undoes_the_large_ones_before_it(kv):
    with kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(10)])
    with pytest.raises(exceptions.AlreadyExists), kv.batch() as b:
        b.insert("Kv", COLS, [_row(i) for i in range(100, 100 + N)])
        b.insert_or_update("Kv", COLS, [(i, "u", 1, 1.0) for i in range(N)])
        b.delete("Kv", spanner.KeySet(keys=[[1]]))
        b.insert("Kv", COLS, [_row(5)])
    assert _all(kv) == [list(_row(i)) for i in range(10)]
