"""PostgreSQL-dialect numeric arithmetic and aggregates: spanner-local (through the official
client) gives the value and the type the real PostgreSQL gives for the same SQL.

DuckDB divides and averages DECIMALs in DOUBLE (`10.0 / 3` came back as the float
3.3333333333333335); PostgreSQL gives numeric, rounded half away from zero at its chosen
scale. Values are compared as numbers: a result's display scale (`0.50000000000000000000`
against `0.5`) is not kept by spanner-local (README).
"""

from __future__ import annotations

import decimal

import psycopg
import pytest
from google.api_core import exceptions

VALUES = [(1, "1.5", 3), (2, "10.0", 7), (3, "-2.25", 2), (4, "0.001", -9), (5, None, 4)]
DDL = "create table n (id bigint primary key, v numeric, i bigint, f float8)"

QUERIES = [
    "select 1::numeric / 3, 2::numeric / 3, -2::numeric / 3, 7::numeric / 2, 1.5 / 3",
    "select v / 3, v / i, i / v, v / v from n where id < 5 order by id",
    "select i / 2, -i / 2, i / -2, f / 2, count(*) / 2 from n group by i, f order by i",
    "select 10 * v / 4, v * 3 / 2 / 5, v / 2 * 3, -v / 3, v / -3 from n where id < 5 order by id",
    "select v / (i + 1), (v + 1) / (i - 1) from n where id in (1, 2) order by id",
    "select case when v > 0 then v else 1 end / 3 from n where id < 5 order by id",
    "select id from n where v / 3 > 0.4 order by v / 3 desc",
    "select avg(v), avg(i), avg(f), avg(distinct v), avg(all i) from n",
    "select i > 0, avg(v), sum(v), min(v), max(v), count(v) from n group by i > 0 order by 1",
    "select avg(v) from n where id > 100",
    "select v + i, v - i, v * i, v * v, -v from n where id < 5 order by id",
    "select id from n where v = i - 1.5 or v < i / 2 order by id",
    "select id from n order by v desc, id",
    "select v::int8, v::float8, i::numeric / 4, (v / 3)::float8 from n where id < 4 order by id",
    # 35 significant digits: more than Python's default decimal context keeps
    "select (123456789.123456789::numeric * 987654321.987654321::numeric) / 1",
    "select 0.1::float8::numeric, i::numeric, (v * i)::numeric from n where id < 5 order by id",
]


def _literal(value: object) -> str:
    return "null" if value is None else f"'{value}'" if isinstance(value, str) else str(value)


def _rows_sql() -> str:
    return ", ".join(f"({k}, {_literal(v)}, {_literal(i)}, {_literal(i)})" for k, v, i in VALUES)


def _typed(rows: list) -> list:
    """Rows with each value as (kind, value): numbers compare by value, kinds must agree."""
    kinds = {decimal.Decimal: "numeric", int: "int8", float: "float8", bool: "bool"}
    return [[(kinds.get(type(x), type(x).__name__), x) for x in row] for row in rows]


@pytest.fixture(scope="module")
def pg_answers(pg_server):
    with psycopg.connect(pg_server.url) as conn:
        conn.execute(DDL.replace("create table", "create temp table"))
        conn.execute(f"insert into n values {_rows_sql()}")
        return [_typed(conn.execute(q).fetchall()) for q in QUERIES]


@pytest.fixture
def numbers(pg_spanner_db):
    pg_spanner_db.update_ddl([DDL]).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update(f"insert into n (id, v, i, f) values {_rows_sql()}")
    )
    return pg_spanner_db


def test_numeric_arithmetic_matches_postgresql(numbers, pg_answers):
    with numbers.snapshot(multi_use=True) as s:
        got = [_typed(list(s.execute_sql(q))) for q in QUERIES]
    for query, mine, theirs in zip(QUERIES, got, pg_answers, strict=True):
        assert mine == theirs, query


@pytest.mark.parametrize(
    ("sql", "error", "message"),
    [
        ("select 1::numeric / 0", exceptions.OutOfRange, "division by zero"),
        ("select v / (i - 3) from n where id = 1", exceptions.OutOfRange, "division by zero"),
        ("select 'NaN'::numeric / 2", exceptions.InvalidArgument, "cannot divide a numeric NaN"),
        # PostgreSQL answers 33333333333.33333333: the scale comes from the operands' display
        # scales, which spanner-local does not keep (a stored numeric could be 1.0 or 1.00)
        (
            "select 100000000000::numeric / 3",
            exceptions.InvalidArgument,
            "display scale of its operands",
        ),
        # a cast to numeric that DuckDB's DECIMAL(38, 9) would round (PostgreSQL: 15 digits)
        (
            "select (1 / 3::float8)::numeric",
            exceptions.InvalidArgument,
            "cannot be stored exactly",
        ),
        (
            "select (v * v * v * v)::numeric from n where id = 4",
            exceptions.InvalidArgument,
            "cannot be stored exactly",
        ),
        # 28 fractional digits: more than the 20 a quotient keeps
        (
            "select 0.00000001::numeric / 3",
            exceptions.InvalidArgument,
            "at most 18 digits before and 20 after",
        ),
    ],
)
def test_numeric_division_refuses_what_it_cannot_compute_exactly(numbers, sql, error, message):
    with pytest.raises(error, match=message):
        with numbers.snapshot() as s:
            list(s.execute_sql(sql))


WRITES = [
    "insert into w (id, v, i) values (1, 1.5, 3), (2, 10.0 / 4, 7), (3, 0.1::float8, 2)",
    "insert into w values (4, 1.5 * 1.5, 1), (5, -2, 1)",
    "update w set v = v * 2, i = i + 1 where id = 1",
    "update w set v = v / 3 where id = 1",
    "update w set v = (select max(v) from w) / 2 where id = 2",
]


def test_computed_values_written_to_numeric_columns_match_postgresql(pg_spanner_db, pg_db):
    ddl = "create table w (id bigint primary key, v numeric, i bigint)"
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(ddl)
        for sql in WRITES:
            conn.execute(sql)
        expected = conn.execute("select id, v, i from w order by id").fetchall()
    pg_spanner_db.update_ddl([ddl]).result(60)
    for sql in WRITES:
        pg_spanner_db.run_in_transaction(lambda tx, sql=sql: tx.execute_update(sql))
    with pg_spanner_db.snapshot() as s:
        assert [tuple(r) for r in s.execute_sql("select id, v, i from w order by id")] == expected


@pytest.mark.parametrize(
    "sql",
    [
        "insert into w (id, v) values (9, 1::numeric / 3)",
        "insert into w values (9, 0.1234567891::float8, 1)",
        "update w set v = v / 7 where id = 1",
        "update w set i = 2, v = v * 0.0000000001 where id = 1",
    ],
)
def test_a_value_a_numeric_column_cannot_hold_is_refused_not_rounded(pg_spanner_db, sql):
    pg_spanner_db.update_ddl(
        ["create table w (id bigint primary key, v numeric, i bigint)"]
    ).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update("insert into w (id, v, i) values (1, 1.5, 1)")
    )
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(sql))
    with pg_spanner_db.snapshot() as s:
        assert list(s.execute_sql("select id, v, i from w order by id")) == [
            [1, decimal.Decimal("1.5"), 1]
        ]
