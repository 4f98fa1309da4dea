"""PostgreSQL-dialect numeric as text: spanner-local (through the official client) answers what
the real PostgreSQL answers for the same SQL.

spanner-local keeps a numeric in a DECIMAL(38, 9), whose own text form pads nine fractional
digits (`1.500000000`); PostgreSQL and Spanner print `1.5`. The values here carry no trailing
fractional zeros: a value's display scale (`10.0` printed as `10.0`) is not kept (README).
"""

from __future__ import annotations

import psycopg
import pytest
from google.api_core import exceptions

VALUES = [
    (1, "1.5", 3),
    (2, "-2.25", 7),
    (3, "100", -2),
    (4, "0", 0),
    (5, "0.000000001", 1),
    (6, "12345678901234567890123456789.123456789", 1),
    (7, "-99999999999999999999999999999.999999999", 1),
    (8, "NaN", 1),
    (9, None, None),
]
DDL = "create table n (id bigint primary key, v numeric, i bigint)"

QUERIES = [
    "select v::text from n order by id",
    "select v::varchar from n order by id",
    "select cast(v as text) from n order by id",
    "select cast(v as varchar) from n order by id",
    "select (v * i)::text from n where id < 7 order by id",
    "select (v + i)::text, (v - 1)::text from n where id < 7 order by id",
    "select (v)::text || '|' || id::text from n order by id",
    "select '1.5'::numeric::text, cast('-0.25'::numeric as text), 7::numeric::text",
    "select 'NaN'::numeric::text, cast(cast('nan' as numeric) as text)",
    "select sum(v)::text, min(v)::text, max(v)::text from n where id < 6",
    "select v from n where v::text = '1.5'",
    "select count(*) from n where cast(v as text) like '%.5'",
    # other casts to text are untouched
    "select 42::text, 'abc'::text, 1.5::float8::text, true::text, cast(id as text) from n "
    "where id = 1",
]


def _pg_literal(value: str | None) -> str:
    return "null" if value is None else f"'{value}'"


@pytest.fixture(scope="module")
def pg_answers(pg_server):
    rows = ", ".join(f"({k}, {_pg_literal(v)}, {'null' if i is None else i})" for k, v, i in VALUES)
    with psycopg.connect(pg_server.url) as conn:
        conn.execute(DDL.replace("create table", "create temp table"))
        conn.execute(f"insert into n values {rows}")
        return [[list(r) for r in conn.execute(q).fetchall()] for q in QUERIES]


@pytest.fixture
def numbers(pg_spanner_db):
    pg_spanner_db.update_ddl([DDL]).result(60)
    rows = ", ".join(f"({k}, {_pg_literal(v)}, {'null' if i is None else i})" for k, v, i in VALUES)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update(f"insert into n (id, v, i) values {rows}")
    )
    return pg_spanner_db


def test_numeric_text_matches_postgresql(numbers, pg_answers):
    with numbers.snapshot(multi_use=True) as s:
        got = [[list(r) for r in s.execute_sql(q)] for q in QUERIES]
    for query, mine, theirs in zip(QUERIES, got, pg_answers, strict=True):
        if query.startswith("select v from"):  # the value itself: compare as numbers
            theirs = [[str(x) for x in row] for row in theirs]
            mine = [[str(x) for x in row] for row in mine]
        assert mine == theirs, query


def test_numeric_text_of_a_parameter(numbers):
    import decimal

    from google.cloud.spanner_v1 import param_types

    with numbers.snapshot() as s:
        rows = list(
            s.execute_sql(
                "select $1::text, cast($1 as varchar)",
                params={"p1": decimal.Decimal("-3.140")},
                param_types={"p1": param_types.PG_NUMERIC},
            )
        )
    assert rows == [["-3.14", "-3.14"]]


def test_numeric_text_of_a_value_spanner_local_cannot_hold_is_refused(numbers):
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        with numbers.snapshot() as s:
            list(s.execute_sql("select '1.0000000001'::numeric::text"))
