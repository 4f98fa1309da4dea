"""Commit limits: Spanner's mutation count, with its INVALID_ARGUMENT message."""

from __future__ import annotations

import pytest
from google.api_core import exceptions


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
