"""statement_timeout and application_name reach Spanner: the deadline and a request header of
every call, as spanner-local's statement log records them."""

from __future__ import annotations

import threading

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter.call_context import APPLICATION_NAME_HEADER, header_value
from dbtools.spanner_local import cancellation

# DuckDB counts about 10^10 rows a second here: this runs until something interrupts it
ENDLESS = (
    "select count(*) from generate_series(1, 10000) a, generate_series(1, 10000) b, "
    "generate_series(1, 10000) c, generate_series(1, 10000) d"
)


def _records(spanner: spanner_local.Endpoint, database: str, start: int) -> list:  # type: ignore[type-arg]
    return spanner.statement_log.for_database(database)[start:]


def test_settings_are_on_every_request(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with psycopg.connect(
        dsn, autocommit=True, application_name="nightly-report", options="-c statement_timeout=45s"
    ) as conn:
        conn.execute("create table t (id bigint primary key, v varchar)")
        start = len(spanner.statement_log.for_database(database))
        conn.execute("select * from t").fetchall()
        with conn.transaction():
            conn.execute("insert into t values (1, 'a')")
            conn.execute("update t set v = 'b' where id = 1")
        mine = _records(spanner, database, start)
        assert {r.kind for r in mine} >= {"query", "dml", "commit"}
        for record in mine:
            assert record.header(APPLICATION_NAME_HEADER) == "nightly-report"
            # the statement's remaining time, not the client library's default (an hour)
            assert record.deadline is not None and 0 < record.deadline < 46
            assert "dbtools-pgadapter/" in (record.header("x-goog-api-client") or "")
        # SET changes what the next requests carry; no timeout leaves the library's default
        conn.execute("set application_name = 'étude'")
        conn.execute("set statement_timeout = 0")
        start = len(spanner.statement_log.for_database(database))
        conn.execute("insert into t values (2, 'c')")
        mine = _records(spanner, database, start)
        assert mine and {r.kind for r in mine} >= {"dml", "commit"}
        for record in mine:
            assert record.header(APPLICATION_NAME_HEADER) == "?tude"
            assert record.deadline is not None and record.deadline > 600
        # an empty application_name sends no header
        conn.execute("set application_name = ''")
        start = len(spanner.statement_log.for_database(database))
        conn.execute("select v from t where id = 2").fetchone()
        mine = _records(spanner, database, start)
        assert mine and all(r.header(APPLICATION_NAME_HEADER) is None for r in mine)


def test_extended_protocol_queries_carry_the_deadline(
    dsn: str, url: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    """psycopg with parameters (Parse/Bind/Describe/Execute/Sync) and asyncpg (prepared
    statements): the query's stream carries the statement's deadline too."""
    import asyncio

    import asyncpg

    with psycopg.connect(dsn, autocommit=True, options="-c statement_timeout=30s") as conn:
        conn.execute("create table t (id bigint primary key, v varchar)")
        conn.execute("insert into t values (%s, %s)", (1, "a"))
        start = len(spanner.statement_log.for_database(database))
        assert conn.execute("select v from t where id = %s", (1,)).fetchall() == [("a",)]
        cur = conn.cursor()
        cur.execute("select v from t where id = %s", (1,))
        assert cur.description is not None and cur.description[0].name == "v"
        assert cur.fetchall() == [("a",)]
    queries = [r for r in _records(spanner, database, start) if r.kind == "query"]
    assert len(queries) >= 2
    assert all(r.deadline is not None and r.deadline < 31 for r in queries)

    async def with_asyncpg() -> list[object]:
        conn = await asyncpg.connect(url, server_settings={"statement_timeout": "25s"})
        try:
            return [r["v"] for r in await conn.fetch("select v from t where id = $1", 1)]
        finally:
            await conn.close()

    start = len(spanner.statement_log.for_database(database))
    assert asyncio.run(with_asyncpg()) == ["a"]
    queries = [
        r
        for r in _records(spanner, database, start)
        if r.kind == "query" and r.sql == "select v from t where id = $1"
    ]
    assert queries and all(r.deadline is not None and r.deadline < 26 for r in queries)


def test_other_connections_keep_their_own_settings(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    """Connections share one Spanner client and channel; the values are per connection."""
    with (
        psycopg.connect(dsn, autocommit=True, application_name="a1") as one,
        psycopg.connect(
            dsn, autocommit=True, application_name="b2", options="-c statement_timeout=20s"
        ) as two,
    ):
        start = len(spanner.statement_log.for_database(database))
        one.execute("select 1 + 1").fetchone()
        two.execute("select 2 + 2").fetchone()
        mine = _records(spanner, database, start)
        by_sql = {r.sql: r for r in mine if r.sql}
        first = next(r for s, r in by_sql.items() if "1 + 1" in s)
        second = next(r for s, r in by_sql.items() if "2 + 2" in s)
        assert first.header(APPLICATION_NAME_HEADER) == "a1"
        assert first.deadline is not None and first.deadline > 600
        assert second.header(APPLICATION_NAME_HEADER) == "b2"
        assert second.deadline is not None and second.deadline < 21


def test_a_long_statement_is_stopped_by_spanner_at_the_timeout(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set statement_timeout = '1s'")
        before = cancellation.interrupted
        start = len(spanner.statement_log.for_database(database))
        with pytest.raises(psycopg.errors.QueryCanceled) as err:
            conn.execute(ENDLESS)
        assert err.value.sqlstate == "57014"
        assert "statement timeout" in str(err.value)
        record = next(r for r in _records(spanner, database, start) if r.sql == ENDLESS)
        assert record.deadline is not None and record.deadline < 1.5
        # spanner-local interrupted the query itself: the deadline reached the server
        for _ in range(600):
            if cancellation.interrupted > before:
                break
            threading.Event().wait(0.05)
        assert cancellation.interrupted > before
        # the session is still usable, in and out of transactions
        assert conn.execute("select 1").fetchone() == (1,)
        conn.execute("create table t (id bigint primary key)")
        with conn.transaction():
            conn.execute("insert into t values (1)")
        assert conn.execute("select count(*) from t").fetchone() == (1,)


def test_a_timeout_inside_a_transaction_block_fails_the_block(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create table t (id bigint primary key)")
        conn.commit()
        conn.execute("set statement_timeout = '1s'")
        conn.execute("insert into t values (1)")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(ENDLESS)
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("select 1")
        conn.rollback()
        assert conn.execute("select count(*) from t").fetchone() == (0,)


def test_header_value_keeps_printable_ascii() -> None:
    assert header_value("psql") == "psql"
    assert header_value("app\tnäme") == "app?n?me"


def test_a_cursor_outlives_the_deadline_of_the_statement_that_opened_it(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    """statement_timeout limits each FETCH, not the cursor: its Spanner stream, read by later
    statements, carries no deadline of the first FETCH's."""
    with psycopg.connect(dsn) as conn:
        conn.execute("create table t (id bigint primary key, pad varchar)")
        conn.commit()
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            for i in range(5_000):  # 10 MB: more than the stream holds before it is read
                cp.write_row((i, "x" * 2_000))
        conn.commit()
        # each FETCH (10 MB at most) has room on a loaded machine; the pause does not
        conn.execute("set statement_timeout = '2s'")
        start = len(spanner.statement_log.for_database(database))
        with conn.cursor(name="slow_reader") as cur:
            cur.itersize = 100
            cur.execute("select id, pad from t order by id")
            first = cur.fetchmany(100)
            threading.Event().wait(2.5)  # longer than the timeout, between two FETCHes
            rest = cur.fetchall()
        assert [r[0] for r in first + rest] == list(range(5_000))
        record = next(
            r
            for r in _records(spanner, database, start)
            if r.sql == "select id, pad from t order by id"
        )
        assert record.deadline is not None and record.deadline > 600
        conn.commit()
