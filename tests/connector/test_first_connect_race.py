"""Ten simultaneous first connects on a fresh Connector, per driver, from threads and from
asyncio tasks, repeated: every one succeeds and the Connector keeps working afterwards.

psycopg is the driver that exposed the race (it goes through the in-process listener, which
the first connects start together); the others are here so that a change to any transport is
held to the same bar.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from dbtools.connector import Connector

ROUNDS = 5
CALLERS = 10

# driver -> (instance attribute of `names`, which server fixture, SQL returning 1 row)
DRIVERS = {
    "psycopg": ("PG", "pg", "select pg_backend_pid()"),
    "pg8000": ("PG", "pg", "select pg_backend_pid()"),
    "asyncpg": ("PG", "pg", "select pg_backend_pid()"),
    "pymysql": ("MY", "my", "select connection_id()"),
}


def _kwargs(server: Any) -> dict[str, Any]:
    return {"user": server.user, "password": server.password or None, "db": server.database}


def _one_sync(conn: Any, sql: str) -> Any:
    cur = conn.cursor()
    cur.execute(sql)
    value = cur.fetchone()[0]
    cur.close()
    return value


async def _one_async(conn: Any, sql: str) -> Any:
    if hasattr(conn, "fetchval"):  # asyncpg
        return await conn.fetchval(sql)
    cur = await conn.execute(sql)  # psycopg AsyncConnection
    return (await cur.fetchone())[0]


async def _close_async(conn: Any) -> None:
    await conn.close()


def _burst_threads(
    connector: Connector, instance: str, driver: str, kw: dict[str, Any], sql: str
) -> list[Any]:
    """CALLERS threads released together, each making one connect and one query."""
    barrier = threading.Barrier(CALLERS)
    results: list[Any] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        try:
            conn = connector.connect(instance, driver, **kw)
            try:
                value = _one_sync(conn, sql)
            finally:
                conn.close()
            with lock:
                results.append(value)
        except BaseException as exc:  # collected and reported below
            with lock:
                failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, f"{len(failures)} of {CALLERS} first connects failed: {failures[0]!r}"
    return results


async def _burst_tasks(
    connector: Connector, instance: str, driver: str, kw: dict[str, Any], sql: str
) -> list[Any]:
    start = asyncio.Event()

    async def work() -> Any:
        await start.wait()
        conn = await connector.connect_async(instance, driver, **kw)
        try:
            return await _one_async(conn, sql)
        finally:
            await _close_async(conn)

    tasks = [asyncio.ensure_future(work()) for _ in range(CALLERS)]
    await asyncio.sleep(0)
    start.set()
    outcome = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [o for o in outcome if isinstance(o, BaseException)]
    assert not failures, f"{len(failures)} of {CALLERS} first connects failed: {failures[0]!r}"
    return list(outcome)


def _check_listener_state(connector: Connector, driver: str) -> None:
    """psycopg: exactly one private listener, and its socket file is still there."""
    if driver != "psycopg":
        assert connector._listeners == {}
        return
    (listener,) = connector._listeners.values()
    if listener.unix_path is not None:
        assert os.path.exists(listener.unix_path)


SYNC = ["psycopg", "pg8000", "pymysql"]
ASYNC = ["psycopg", "asyncpg"]


@pytest.mark.parametrize("driver", SYNC)
def test_simultaneous_first_connects_from_threads(
    make_connector: Callable[..., Connector],
    names: Any,
    pg_server: Any,
    mysql_server: Any,
    driver: str,
) -> None:
    attr, which, sql = DRIVERS[driver]
    instance = getattr(names, attr)
    kw = _kwargs(pg_server if which == "pg" else mysql_server)
    for _ in range(ROUNDS):
        connector = make_connector()
        backends = _burst_threads(connector, instance, driver, kw, sql)
        assert len(set(backends)) == CALLERS  # ten real server sessions, not one reused
        _check_listener_state(connector, driver)
        # The Connector is still healthy: the original failure made every later connect fail.
        conn = connector.connect(instance, driver, **kw)
        assert _one_sync(conn, "select 1") == 1
        conn.close()
        connector.close()


@pytest.mark.parametrize("driver", ASYNC)
def test_simultaneous_first_connects_from_tasks(
    make_connector: Callable[..., Connector], names: Any, pg_server: Any, driver: str
) -> None:
    attr, _which, sql = DRIVERS[driver]
    instance = getattr(names, attr)
    kw = _kwargs(pg_server)

    async def rounds() -> None:
        for _ in range(ROUNDS):
            connector = make_connector()
            backends = await _burst_tasks(connector, instance, driver, kw, sql)
            assert len(set(backends)) == CALLERS
            _check_listener_state(connector, driver)
            conn = await connector.connect_async(instance, driver, **kw)
            assert await _one_async(conn, "select 1") == 1
            await _close_async(conn)
            await connector.close_async()

    asyncio.run(rounds())


def _mixed_round(connector: Connector, instance: str, kw: dict[str, Any]) -> None:
    """CALLERS threads and CALLERS asyncio tasks released together on one fresh Connector."""
    sql = "select pg_backend_pid()"
    barrier = threading.Barrier(2)
    thread_result: list[Any] = []

    def in_threads() -> None:
        barrier.wait()
        thread_result.extend(_burst_threads(connector, instance, "psycopg", kw, sql))

    async def in_tasks() -> list[Any]:
        await asyncio.to_thread(barrier.wait)
        return await _burst_tasks(connector, instance, "psycopg", kw, sql)

    runner = threading.Thread(target=in_threads)
    runner.start()
    task_result = asyncio.run(in_tasks())
    runner.join(60)
    assert len(thread_result) == CALLERS and len(task_result) == CALLERS
    assert len(set(thread_result) | set(task_result)) == 2 * CALLERS


def test_simultaneous_first_psycopg_connects_from_threads_and_tasks_together(
    make_connector: Callable[..., Connector], names: Any, pg_server: Any
) -> None:
    """Sync and async callers share one listener per instance: both kinds start it at once."""
    for _ in range(ROUNDS):
        connector = make_connector()
        _mixed_round(connector, names.PG, _kwargs(pg_server))
        _check_listener_state(connector, "psycopg")
        connector.close()
