"""numeric through the proxy, in text and in binary format, read by psql and psycopg, against
what the real PostgreSQL sends for the same SQL.

The queries avoid results that PostgreSQL pads to a display scale (`1.5 * 2` is `3.0` there):
spanner-local does not keep a numeric's display scale (its README), so those would differ in
trailing zeros only. Everything here must match digit for digit.
"""

from __future__ import annotations

import subprocess

import psycopg
import pytest

QUERIES = [
    "select id, v, v::text from t order by id",
    "select -v from t where id < 5 order by id",
    "select sum(v) from t where id < 4",
    "select min(v), max(v), count(v) from t where id < 5",
    "select 1::numeric / 3, 2::numeric / 3, -1::numeric / 7, 'NaN'::numeric",
    "select v / 7, v / -7 from t where id in (1, 2) order by id",
]
VALUES = (
    "(1, 1.5), (2, -2.25), (3, 12345678901234567890.123456789), (4, 0.000000001), "
    "(5, 'NaN'), (6, null)"
)
DDL = "create table t (id bigint primary key, v numeric)"


@pytest.fixture
def numeric_dsn(proxy, make_database) -> str:  # type: ignore[no-untyped-def]
    name = make_database([DDL])
    dsn = f"host=127.0.0.1 port={proxy.port} dbname={name} user=u"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"insert into t (id, v) values {VALUES}")
    return dsn


@pytest.fixture
def postgresql_dsn(pg_db) -> str:  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(DDL)
        conn.execute(f"insert into t (id, v) values {VALUES}")
    return pg_db.url


def _psql(dsn: str) -> str:
    out = subprocess.run(
        ["psql", "-X", "-A", "-F", "|", *(a for q in QUERIES for a in ("-c", q)), dsn],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_numeric_through_psql_matches_postgresql(numeric_dsn, postgresql_dsn) -> None:  # type: ignore[no-untyped-def]
    got = _psql(numeric_dsn)
    assert got == _psql(postgresql_dsn)
    assert "1|1.5|1.5\n" in got and "0.33333333333333333333" in got


@pytest.mark.parametrize("binary", [False, True])
def test_numeric_through_psycopg_matches_postgresql(numeric_dsn, postgresql_dsn, binary) -> None:  # type: ignore[no-untyped-def]
    def answers(dsn: str) -> list[list[list[str | None]]]:
        with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor(binary=binary) as cur:
            return [
                [[None if x is None else str(x) for x in row] for row in cur.execute(q)]
                for q in QUERIES
            ]

    assert answers(numeric_dsn) == answers(postgresql_dsn)
