"""Untyped string literals compared with (or written to) a column are read as input of the
column's type, as PostgreSQL reads them; compared with what the real PostgreSQL answers."""

from __future__ import annotations

import psycopg
import pytest
from google.api_core import exceptions

DDL = (
    "create table t (id bigint primary key, ts timestamptz, num numeric, b bool, d date, "
    "f float8, s text)"
)
ROWS = (
    "insert into t (id, ts, num, b, d, f, s) values "
    "(1, '2024-03-01T00:00:00Z', 1.5, true, '2024-03-01', 2.5, 'x'), "
    "(2, '2023-01-01T00:00:00Z', 2, false, '2023-01-01', 1, 'y'), "
    "(3, null, 'NaN', null, null, 'NaN', null)"
)
ANSWERED = [
    "ts > '2024-01-01'",
    "'2024-01-01' < ts",
    "ts between '2023-06-01' and '2024-12-31'",
    "num = '1.5'",
    "num = '1.50'",
    "num > '1.25'",
    "num in ('1.5', '2')",
    "num between '1' and '1.75'",
    "num = 'NaN'",
    "num = ' nan '",
    "b = 'true'",
    "b = 't'",
    "b = 'yes'",
    "b = 'on'",
    "b <> 'off'",
    "b = 'of'",
    "b in ('y', 'no')",
    "t.b = 'TRUE'",
    "'y' = b",
    "d = '2024-03-01'",
    "d > '2023-06-01'",
    "f < '2.5'",
    "f = 'NaN'",
    "id = '1'",
    "id = ' 2 '",
    "id < '+2'",
    "id in ('1', '3')",
    "s = 'x'",
]
REFUSED = [
    "num = 'abc'",
    "b = 'maybe'",
    "b = 'o'",
    "id = '1.5'",
    "id in ('1', '2.0')",
    "id = '99999999999999999999'",
]


@pytest.fixture
def both(pg_spanner_db, pg_db):
    pg_spanner_db.update_ddl([DDL]).result(60)
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(ROWS))
    conn = psycopg.connect(pg_db.url, autocommit=True)
    conn.execute(DDL)
    conn.execute(ROWS)
    yield pg_spanner_db, conn
    conn.close()


def test_untyped_literals_in_comparisons_match_postgresql(both):
    db, conn = both
    queries = [f"select id from t where {cond} order by id" for cond in ANSWERED]
    expected = [[list(r) for r in conn.execute(q).fetchall()] for q in queries]
    with db.snapshot(multi_use=True) as s:
        got = [[list(r) for r in s.execute_sql(q)] for q in queries]
    assert dict(zip(ANSWERED, got, strict=True)) == dict(zip(ANSWERED, expected, strict=True))
    assert sum(1 for rows in expected if rows) >= len(ANSWERED) - 3  # the cases select rows


@pytest.mark.parametrize("cond", REFUSED)
def test_literals_postgresql_refuses_are_refused(both, cond):
    db, conn = both
    sql = f"select id from t where {cond}"
    with pytest.raises(psycopg.errors.DataError):
        conn.execute(sql)
    with pytest.raises(exceptions.InvalidArgument, match=r"input syntax|out of range"):
        with db.snapshot() as s:
            list(s.execute_sql(sql))


def test_untyped_literals_written_to_bool_and_bigint_columns(both):
    db, conn = both
    statements = [
        "insert into t (id, b) values ('10', 'off')",
        "update t set b = 'yes' where id = '2'",
    ]
    for sql in statements:
        conn.execute(sql)
        db.run_in_transaction(lambda tx, sql=sql: tx.execute_update(sql))
    query = "select id, b from t order by id"
    with db.snapshot() as s:
        assert list(s.execute_sql(query)) == [list(r) for r in conn.execute(query).fetchall()]
    with pytest.raises(exceptions.InvalidArgument, match="invalid input syntax for type boolean"):
        db.run_in_transaction(
            lambda tx: tx.execute_update("insert into t (id, b) values (11, 'perhaps')")
        )
