"""PostgreSQL-dialect numeric values written by INSERT ... SELECT, ON CONFLICT DO UPDATE,
CAST(x AS numeric), DEFAULT and generated columns: spanner-local (through the official client)
stores what the real PostgreSQL stores, or refuses a value its DECIMAL(38, 9) would round
(each refused case checks that PostgreSQL's answer has more than nine fractional digits, so
storing it here would have rounded it silently).
"""

from __future__ import annotations

import decimal

import psycopg
import pytest
from google.api_core import exceptions

DDL = [
    "create table w (id bigint primary key, v numeric, i bigint,"
    " d numeric default 2.5, g numeric generated always as (v * 2) stored)",
]

EXACT_WRITES = [
    "insert into w (id, v, i) values (1, 1.5, 3)",
    "insert into w (id, v, i) select 2, 1::float8 / 4, 7",
    "insert into w (id, v, i) select id + 10, v * i as x, i from w where id = 1",
    "insert into w (id, v, i) select distinct 3, cast(0.5::float8 as numeric), 1",
    "insert into w (id, v) values (1, 4) on conflict (id) do update set v = excluded.v / 8",
    "insert into w (id, v) select 2, 3 on conflict (id) do update set v = excluded.v * 0.25",
]


def _rows(rows: list) -> list[tuple]:
    return [tuple(r) for r in rows]


def test_exact_values_are_stored_as_postgresql_stores_them(pg_spanner_db, pg_db):
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(DDL[0])
        for sql in EXACT_WRITES:
            conn.execute(sql)
        expected = conn.execute("select id, v, i, d, g from w order by id").fetchall()
    pg_spanner_db.update_ddl(DDL).result(60)
    for sql in EXACT_WRITES:
        pg_spanner_db.run_in_transaction(lambda tx, sql=sql: tx.execute_update(sql))
    with pg_spanner_db.snapshot() as s:
        got = _rows(s.execute_sql("select id, v, i, d, g from w order by id"))
    assert got == expected
    assert {decimal.Decimal("0.5"), decimal.Decimal("0.75")} <= {row[1] for row in got}


ROUNDED = [
    # (statement, the value PostgreSQL computes for the numeric column)
    ("insert into w (id, v) select 9, 1::float8 / 3", "select 1::float8 / 3"),
    ("insert into w (id, v, i) select 9, v / 7, i from w where id = 1", "select 1.5 / 7"),
    (
        "insert into w (id, v) values (1, 2) on conflict (id) do update set v = excluded.v / 3",
        "select 2::numeric / 3",
    ),
    (
        "insert into w (id, v) select 1, 2 on conflict (id) do update set v = w.v * 0.0000000001",
        "select 1.5 * 0.0000000001",
    ),
    ("insert into w (id, v) values (9, cast(1::float8 / 3 as numeric))", "select 1::float8 / 3"),
    ("update w set v = cast(v / 7 as numeric) where id = 1", "select 1.5 / 7"),
]


@pytest.mark.parametrize(("sql", "postgresql_value"), ROUNDED)
def test_a_value_that_would_be_rounded_is_refused(pg_spanner_db, pg_server, sql, postgresql_value):
    with psycopg.connect(pg_server.url) as conn:
        (value,) = conn.execute(f"select ({postgresql_value})::numeric").fetchone()
    assert -value.as_tuple().exponent > 9  # PostgreSQL keeps more digits than DECIMAL(38, 9)
    pg_spanner_db.update_ddl(DDL).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update("insert into w (id, v, i) values (1, 1.5, 1)")
    )
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(sql))
    with pg_spanner_db.snapshot() as s:
        assert _rows(s.execute_sql("select id, v from w order by id")) == [
            (1, decimal.Decimal("1.5"))
        ]


def test_a_cast_to_numeric_that_would_round_is_refused(pg_spanner_db, pg_server):
    with psycopg.connect(pg_server.url) as conn:
        (value,) = conn.execute("select cast(1::float8 / 3 as numeric)").fetchone()
    assert value == decimal.Decimal("0.333333333333333")
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        with pg_spanner_db.snapshot() as s:
            list(s.execute_sql("select cast(1::float8 / 3 as numeric)"))
    with pg_spanner_db.snapshot() as s:
        assert _rows(
            s.execute_sql("select cast(1::float8 / 4 as numeric), cast(2 as numeric)")
        ) == [(decimal.Decimal("0.25"), decimal.Decimal("2"))]


@pytest.mark.parametrize(
    ("column", "insert"),
    [
        ("d numeric default (1.0 / 3)", "insert into x (id) values (1)"),
        (
            "d numeric generated always as (v / 7) stored",
            "insert into x (id, v) values (1, 1.5)",
        ),
    ],
)
def test_a_default_or_generated_value_that_would_be_rounded_is_refused(
    pg_spanner_db, pg_db, column, insert
):
    ddl = f"create table x (id bigint primary key, v numeric, {column})"
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(ddl)
        conn.execute(insert)
        (value,) = conn.execute("select d from x").fetchone()
    assert -value.as_tuple().exponent > 9
    pg_spanner_db.update_ddl([ddl]).result(60)
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(insert))
    with pg_spanner_db.snapshot() as s:
        assert list(s.execute_sql("select count(*) from x")) == [[0]]
