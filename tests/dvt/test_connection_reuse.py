"""An engine reuses one idle connection between queries (catalog, then aggregates): its
session set-up still holds on reuse, a connection whose query failed is not reused, and the
idle connection is closed at the end of a run."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from dbtools import dvt
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.errors import QueryError

SESSION = {
    "postgresql": (
        "SELECT pg_backend_pid(), current_setting('TimeZone'), "
        "current_setting('statement_timeout'), current_setting('DateStyle')",
        ("UTC", "7s", "ISO, MDY"),
    ),
    "mysql": (
        "SELECT CONNECTION_ID(), @@time_zone, @@collation_connection, "
        "@@session.group_concat_max_len",
        ("+00:00", "utf8mb4_bin", 1048576),
    ),
}


@pytest.fixture(params=list(SESSION))
def url(request: Any, pg_db: Any, mysql_db: Any) -> str:
    db = pg_db if request.param == "postgresql" else mysql_db
    return f"{db.url}?query_timeout=7"


def test_second_query_reuses_the_connection_with_its_session(url: str) -> None:
    engine = open_engine(parse_url(url))
    sql, settings = SESSION[engine.spec.engine]
    try:
        first, second = engine.query(sql)[0], engine.query(sql)[0]
    finally:
        engine.close()
    assert first[0] == second[0]  # the same server session
    assert first[1:] == second[1:] == settings  # set-up survived the rollback between queries


def test_failed_query_connection_is_not_reused(url: str) -> None:
    engine = open_engine(parse_url(url))
    sql, _ = SESSION[engine.spec.engine]
    try:
        before = engine.query(sql)[0][0]
        with pytest.raises(QueryError, match="no_such_table"):
            engine.query("SELECT * FROM no_such_table")
        after = engine.query(sql)[0][0]
    finally:
        engine.close()
    assert before != after


def test_transaction_ends_between_queries(pg_db: Any) -> None:
    """A reused connection sees what others committed since its last query."""
    engine = open_engine(parse_url(pg_db.url))
    with psycopg.connect(pg_db.url, autocommit=True) as other:
        other.execute("CREATE TABLE t (id int PRIMARY KEY)")
        try:
            assert engine.query("SELECT count(*) FROM t") == [(0,)]
            other.execute("INSERT INTO t VALUES (1)")
            assert engine.query("SELECT count(*) FROM t") == [(1,)]
        finally:
            engine.close()


def test_run_from_urls_leaves_no_connection_open(pg_db: Any) -> None:
    app = "dvt_reuse_probe"
    with psycopg.connect(pg_db.url, autocommit=True) as admin:
        admin.execute("CREATE TABLE t (id int PRIMARY KEY, v numeric(10,2))")
        admin.execute("INSERT INTO t VALUES (1, 1.50), (2, NULL)")
        url = f"{pg_db.url}?application_name={app}"
        result = dvt.validate_columns(url, url, "t", aggregates={"count": ["*"], "sum": ["v"]})
        assert result.passed
        left = None
        for _ in range(50):  # a backend leaves pg_stat_activity shortly after its client quits
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,)
            ).fetchone()
            if left == (0,):
                break
            time.sleep(0.1)
    assert left == (0,)


# `slow` costs 300 s per row, but only where a query reads it (declared immutable, so the view
# is flattened and an unread column is never computed)
SLOW_VIEW = (
    "CREATE FUNCTION slow(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS "
    "$$ BEGIN PERFORM pg_sleep(300); RETURN i; END $$",
    "CREATE VIEW v AS SELECT id, amount, slow(id) AS slow FROM t",
)


@pytest.fixture
def slow_guess(pg_db: Any) -> str:
    """A source whose guessed aggregates would sleep 300 s: the view has a column `slow` the
    target table lacks, so the real plan leaves it out and the guess must be cancelled."""
    with psycopg.connect(pg_db.url, autocommit=True) as admin:
        admin.execute("CREATE TABLE t (id int PRIMARY KEY, amount numeric(10,2))")
        admin.execute("INSERT INTO t VALUES (1, 1.50), (2, NULL), (3, -2.25)")
        for stmt in SLOW_VIEW:
            admin.execute(stmt)
    return str(pg_db.url)


def _in_thread(fn: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    return thread, out


def test_guessed_aggregates_that_differ_from_the_plan_are_cancelled(slow_guess: str) -> None:
    url = f"{slow_guess}?query_timeout=600"
    thread, out = _in_thread(
        lambda: dvt.validate_columns(
            url, url, "v", "t", aggregates={"count": ["*"], "sum": ["amount"]}
        )
    )
    thread.join(120)  # far below the 300 s the guess would sleep
    assert not thread.is_alive(), "the guessed query was not cancelled"
    (result,) = out
    assert result.passed
    checked = {(f.check, f.column) for f in result.findings}
    assert checked == {("count", "*"), ("count", "id"), ("count", "amount"), ("sum", "amount")}


def test_a_failing_side_cancels_the_other_sides_guess(slow_guess: str) -> None:
    url = f"{slow_guess}?query_timeout=600"
    thread, out = _in_thread(
        lambda: dvt.validate_columns(url, url, "v", "no_such_table", aggregates={"count": ["*"]})
    )
    thread.join(120)
    assert not thread.is_alive(), "the source's guessed query was not cancelled"
    (result,) = out
    assert result.error is not None and "no_such_table" in result.error


SLEEP = {"postgresql": "SELECT pg_sleep(300)", "mysql": "SELECT SLEEP(300)"}


def test_a_started_query_is_stopped_on_the_server_by_cancel(url: str) -> None:
    engine = open_engine(parse_url(url.replace("query_timeout=7", "query_timeout=600")))
    sql, _ = SESSION[engine.spec.engine]
    try:
        running = engine.start_query(SLEEP[engine.spec.engine])
        thread, _ = _in_thread(running.cancel)
        thread.join(120)  # far below the 300 s the query would sleep
        assert not thread.is_alive(), "cancel did not stop the query"
        engine.query(sql)  # the engine goes on working after a cancelled query
    finally:
        engine.close()
