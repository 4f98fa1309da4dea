"""Fixtures: one spanner-local per session, one in-process pgadapter in front of it, and a fresh
PostgreSQL-dialect database per test (named in the connection's startup packet)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dbtools import spanner_local
from dbtools.pgadapter import Proxy, serve
from google.cloud.spanner_admin_database_v1.types import DatabaseDialect
from google.cloud.spanner_v1.testing.mock_spanner import start_mock_server


@pytest.fixture(scope="session")
def spanner() -> Iterator[spanner_local.Endpoint]:
    with spanner_local.serve() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def spanner_client(spanner: spanner_local.Endpoint):  # type: ignore[no-untyped-def]
    return spanner.client()


@pytest.fixture(scope="session")
def proxy(spanner: spanner_local.Endpoint) -> Iterator[Proxy]:
    with serve(
        spanner_local.DEFAULT_PROJECT, spanner.instance, emulator_host=spanner.address
    ) as px:
        yield px


def create_database(spanner_client, instance: str, ddl: list[str] | None = None) -> str:  # type: ignore[no-untyped-def]
    name = f"db_{uuid.uuid4().hex[:12]}"
    db = spanner_client.instance(instance).database(
        name, database_dialect=DatabaseDialect.POSTGRESQL
    )
    db.create().result(120)
    if ddl:
        db.update_ddl(ddl).result(120)
    return name


@pytest.fixture
def make_database(spanner: spanner_local.Endpoint, spanner_client) -> Iterator[Callable[..., str]]:  # type: ignore[no-untyped-def]
    """Create more databases in the instance (dropped at the end of the test)."""
    made: list[str] = []

    def make(ddl: list[str] | None = None) -> str:
        made.append(create_database(spanner_client, spanner.instance, ddl))
        return made[-1]

    yield make
    for name in made:
        try:
            spanner_client.instance(spanner.instance).database(name).drop()
        except Exception:
            pass


@pytest.fixture
def database(spanner: spanner_local.Endpoint, spanner_client) -> Iterator[str]:  # type: ignore[no-untyped-def]
    name = create_database(spanner_client, spanner.instance)
    yield name
    try:
        spanner_client.instance(spanner.instance).database(name).drop()
    except Exception:
        pass


@pytest.fixture
def dsn(proxy: Proxy, database: str) -> str:
    return proxy.dsn(database)


@pytest.fixture
def url(proxy: Proxy, database: str) -> str:
    """postgresql:// form, for asyncpg and pg8000-style parsing."""
    return proxy.url(database)


ALL_TYPES_DDL = (
    "CREATE TABLE all_types ("
    " id bigint PRIMARY KEY, name varchar(20) NOT NULL, v numeric, f8 float8, f4 float4,"
    " b bool, byt bytea, ts timestamptz, d date, j jsonb, txt text,"
    " a_i bigint[], a_s varchar[], a_f8 float8[], a_b bool[], a_n numeric[], a_d date[],"
    " a_ts timestamptz[], a_by bytea[], a_j jsonb[])"
)


@pytest.fixture
def typed_name(spanner: spanner_local.Endpoint, spanner_client) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database with the all_types table."""
    name = create_database(spanner_client, spanner.instance, [ALL_TYPES_DDL])
    yield name
    try:
        spanner_client.instance(spanner.instance).database(name).drop()
    except Exception:
        pass


@pytest.fixture
def typed_db(proxy: Proxy, typed_name: str) -> str:
    return proxy.dsn(typed_name)


@pytest.fixture
def typed_url(proxy: Proxy, typed_name: str) -> str:
    return proxy.url(typed_name)


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[Any, Proxy]]:
    """The scripted mock Spanner server that ships with google-cloud-spanner, and a proxy in
    front of it: the exact requests the proxy sends are visible, and errors can be injected."""
    server, servicer, _admin, port = start_mock_server()
    try:
        with serve("p", "i", "d", emulator_host=f"localhost:{port}") as proxy:
            yield servicer, proxy
    finally:
        server.stop(0)


@dataclass
class Processes:
    """spanner-local and pgadapter, each in a process of its own (started by their CLIs): what
    one measures of pgadapter's process (latency under load, RSS, threads, fds) is not mixed
    with the test's own work or spanner-local's."""

    spanner: subprocess.Popen[str]
    pgadapter: subprocess.Popen[str]
    port: int
    log: list[str]  # pgadapter's stderr after its startup line, as it comes

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={database} user=test sslmode=disable"


def _drain(stream: Any, into: list[str]) -> None:
    """Read a child's pipe to its end, so that the child never blocks writing to it."""

    def run() -> None:
        for line in stream:
            into.append(line)

    threading.Thread(target=run, daemon=True).start()


@pytest.fixture(scope="module")
def processes() -> Iterator[Processes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    spanner = subprocess.Popen(
        [sys.executable, "-m", "dbtools.spanner_local.cli", "--port", "0", "--format", "json",
         "--no-statement-log"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert spanner.stdout is not None and spanner.stderr is not None
        info = json.loads(spanner.stdout.readline())
        _drain(spanner.stderr, [])
        pgadapter = subprocess.Popen(
            [sys.executable, "-m", "dbtools.pgadapter.cli", "--port", "0",
             "-p", info["project"], "-i", info["instance"],
             "--emulator-host", info["address"], "--auto-create-database"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            assert pgadapter.stderr is not None
            line = pgadapter.stderr.readline()
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            assert m, f"unexpected startup line {line!r}"
            log: list[str] = []
            _drain(pgadapter.stderr, log)
            yield Processes(spanner, pgadapter, int(m.group(1)), log)
        finally:
            pgadapter.terminate()
            pgadapter.wait(30)
    finally:
        spanner.terminate()
        spanner.wait(30)
