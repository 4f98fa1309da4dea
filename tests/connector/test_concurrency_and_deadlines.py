"""Sync connects do not serialize; every connect has an end-to-end deadline; telemetry."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pg8000.dbapi
import pytest
from dbtools import cloudsql_local as cl
from dbtools.connector import Connector, ConnectTimeoutError
from opentelemetry.sdk.metrics.export import HistogramDataPoint, NumberDataPoint


def test_concurrent_sync_connects_overlap(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any
) -> None:
    warm = connector.connect(names.PG, "pg8000", user=pg_server.user, db="test")
    warm.close()
    emu.faults.latency = 0.2  # every proxy TLS handshake now takes 200 ms
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(10)

    def work() -> None:
        try:
            barrier.wait()
            start = time.monotonic()
            conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db="test")
            end = time.monotonic()
            conn.close()
            with lock:
                spans.append((start, end))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    # How many connects were in flight at once: all of them, when nothing serializes them
    # (the reference runs them one after another on its loop thread: at most 1).
    points = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    in_flight = peak = 0
    for _, step in points:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak >= 5


def test_deadline_while_waiting_for_a_certificate(
    make_connector: Any, emu: cl.Emulator, names: Any
) -> None:
    connector: Connector = make_connector(timeout=0.5)
    emu.faults.latency = 3.0
    with pytest.raises(ConnectTimeoutError, match=r"no certificate .* within the connect timeout"):
        connector.connect(names.PG, "pg8000", user="postgres")


@pytest.fixture
def silent_backend() -> Iterator[str]:
    """A "database" that accepts connections and never says a word: a server that hangs
    during the login (pymysql waits for a greeting, pg8000 for the startup answer)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize(
    ("driver", "version"), [("pg8000", "POSTGRES_15"), ("pymysql", "MYSQL_8_0")]
)
def test_deadline_during_the_driver_login(
    names: Any, silent_backend: str, driver: str, version: str
) -> None:
    hung = "proj:local:hung"
    config = cl.Config(
        instances=[cl.Instance(hung, database_version=version, backend=silent_backend)]
    )
    with cl.serve(config) as hung_emu:
        connector = Connector(
            admin_api_endpoint=hung_emu.admin_url, credentials=hung_emu.credentials(names.PRINCIPAL)
        )
        try:
            # The first connect also fetches the certificate (slow on a loaded machine); the
            # second has it cached, so its whole deadline is spent waiting for the login.
            with pytest.raises(ConnectTimeoutError):
                connector.connect(hung, driver, user="someone", db="test", timeout=3)
            # The TLS handshake with the proxy succeeds; the login then never gets an answer
            # (pymysql has no read timeout by default: only the connector's deadline ends it).
            with pytest.raises(ConnectTimeoutError, match=f"the {driver} login to .* did not"):
                connector.connect(hung, driver, user="someone", db="test", timeout=1)
        finally:
            connector.close()


async def test_deadline_async(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any
) -> None:
    conn = await connector.connect_async(names.PG, "asyncpg", user=pg_server.user, db="test")
    await conn.close()
    emu.faults.latency = 3.0
    with pytest.raises(ConnectTimeoutError):
        await connector.connect_async(
            names.PG, "asyncpg", user=pg_server.user, db="test", timeout=0.5
        )


def _points(reader: Any, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    found: list[Any] = []
    for rm in data.resource_metrics if data else []:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == name:
                    found.extend(metric.data.data_points)
    return found


def _sum_for(reader: Any, name: str, **attrs: str) -> float:
    total = 0.0
    for p in _points(reader, name):
        if all(p.attributes.get(k) == v for k, v in attrs.items()):
            assert isinstance(p, NumberDataPoint)
            total += p.value
    return total


def test_metrics_and_spans(make_connector: Any, names: Any, pg_server: Any, otel: Any) -> None:
    reader, spans = otel["reader"], otel["spans"]
    connector: Connector = make_connector(
        meter_provider=otel["meter_provider"], tracer_provider=otel["tracer_provider"]
    )
    before_ok = _sum_for(
        reader, "dbtools.connector.dial_count", instance=names.PG, driver="pg8000", status="ok"
    )
    before_open = _sum_for(
        reader, "dbtools.connector.open_connections", instance=names.PG, driver="pg8000"
    )
    before_refresh = _sum_for(
        reader, "dbtools.connector.refresh_count", instance=names.PG, status="success"
    )
    conns = [
        connector.connect(names.PG, "pg8000", user=pg_server.user, db="test") for _ in range(3)
    ]
    assert (
        _sum_for(reader, "dbtools.connector.open_connections", instance=names.PG, driver="pg8000")
        == before_open + 3
    )
    for c in conns:
        c.close()
    assert (
        _sum_for(reader, "dbtools.connector.open_connections", instance=names.PG, driver="pg8000")
        == before_open
    )
    assert (
        _sum_for(
            reader, "dbtools.connector.dial_count", instance=names.PG, driver="pg8000", status="ok"
        )
        == before_ok + 3
    )
    assert (
        _sum_for(reader, "dbtools.connector.refresh_count", instance=names.PG, status="success")
        >= before_refresh + 1
    )
    latency = [
        p
        for p in _points(reader, "dbtools.connector.dial_latency")
        if p.attributes.get("driver") == "pg8000"
    ]
    assert latency and all(isinstance(p, HistogramDataPoint) for p in latency)
    assert sum(p.count for p in latency) >= 3
    span_names = [s.name for s in spans.get_finished_spans()]
    assert span_names.count("dbtools.connector.connect") == 3
    assert "dbtools.connector.refresh" in span_names

    # A failed connect: counted as an error, its span errored with the exception once.
    with pytest.raises(pg8000.dbapi.DatabaseError, match=r"does not exist|password authentication"):
        connector.connect(names.PG, "pg8000", user="no_such_role_xyz", db="test")
    assert (
        _sum_for(
            reader, "dbtools.connector.dial_count", instance=names.PG, driver="pg8000",
            status="error",
        )
        >= 1
    )  # fmt: skip
    failed = [s for s in spans.get_finished_spans() if s.name == "dbtools.connector.connect"][-1]
    assert failed.status.status_code.name == "ERROR"
    assert [e.name for e in failed.events] == ["exception"]


def _child_connects(connector: Connector, instance: str, user: str, out: Any) -> None:
    try:
        conn = connector.connect(instance, "pg8000", user=user, db="test", timeout=10)
        cur = conn.cursor()
        cur.execute("select pg_backend_pid()")
        out.send(("ok", cur.fetchone()[0]))
        conn.close()
    except BaseException as exc:
        out.send(("error", repr(exc)))


def test_connector_survives_fork(connector: Connector, names: Any, pg_server: Any) -> None:
    import multiprocessing

    # Created and used in the parent (loop thread running, certificate cached), as under
    # gunicorn --preload; then used in forked children, for an instance that needs a refresh
    # (which runs on a loop thread the child does not inherit).
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db="test")
    conn.close()
    ctx = multiprocessing.get_context("fork")
    results = []
    for _ in range(2):
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(
            target=_child_connects, args=(connector, names.PG_CAS, pg_server.user, child_end)
        )
        proc.start()
        if not parent_end.poll(60):
            proc.kill()
            raise AssertionError("the forked child did not answer")
        results.append(parent_end.recv())
        proc.join(30)
    assert [r[0] for r in results] == ["ok", "ok"], results
    # The parent's connector is unaffected.
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db="test")
    conn.close()
