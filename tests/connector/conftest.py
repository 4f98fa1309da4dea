"""cloudsql-local in front of the real PostgreSQL and MariaDB, plus an OpenTelemetry SDK that
records what the connector reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dbtools import cloudsql_local as cl
from dbtools.connector import Connector
from dbtools.connector.admin_api import RetryPolicy
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

PRINCIPAL = "tester@cloudsql-local.iam.gserviceaccount.com"
PG = "proj:local:pg"
PG_CAS = "proj:local:pgcas"
MY = "proj:local:my"
MY_CAS = "proj:local:mycas"
PG_PRIVATE = "proj:local:pgpriv"
PG_IAM_USER = "tester@cloudsql-local.iam"
MY_IAM_USER = "tester"


@pytest.fixture(scope="session")
def emulator(pg_server: Any, mysql_server: Any) -> Iterator[cl.Emulator]:
    pg_backend = f"{pg_server.host}:{pg_server.port}"
    config = cl.Config(
        instances=[
            cl.Instance(
                PG,
                backend=pg_backend,
                ip_types=("PRIMARY", "PRIVATE"),
                iam_roles={PG_IAM_USER: pg_server.user},
                backend_passwords={pg_server.user: pg_server.password}
                if pg_server.password
                else {},
            ),
            cl.Instance(
                PG_CAS,
                backend=pg_backend,
                server_ca_mode="GOOGLE_MANAGED_CAS_CA",
                ip_types=("PRIMARY", "PSC"),
            ),
            cl.Instance(PG_PRIVATE, backend=pg_backend, ip_types=("PRIVATE",)),
            cl.Instance(
                MY_CAS,
                database_version="MYSQL_8_0",
                backend=f"{mysql_server.host}:{mysql_server.port}",
                server_ca_mode="CUSTOMER_MANAGED_CAS_CA",
            ),
            cl.Instance(
                MY,
                database_version="MYSQL_8_0",
                backend=f"{mysql_server.host}:{mysql_server.port}",
                iam_roles={MY_IAM_USER: mysql_server.user},
                backend_passwords={mysql_server.user: mysql_server.password}
                if mysql_server.password
                else {},
            ),
        ]
    )
    with cl.serve(config) as emu:
        yield emu


@pytest.fixture
def emu(emulator: cl.Emulator) -> Iterator[cl.Emulator]:
    """The session's emulator, with every fault knob off before and after the test."""
    emulator.faults.clear()
    yield emulator
    emulator.faults.clear()


FAST_RETRY = RetryPolicy(attempts=4, base=0.01, factor=2.0)


class Names:
    """Instance names and IAM users of the session's emulator."""

    PRINCIPAL = PRINCIPAL
    PG = PG
    PG_CAS = PG_CAS
    MY = MY
    MY_CAS = MY_CAS
    PG_PRIVATE = PG_PRIVATE
    PG_IAM_USER = PG_IAM_USER
    MY_IAM_USER = MY_IAM_USER


@pytest.fixture
def names() -> type[Names]:
    return Names


@pytest.fixture
def make_connector(emu: cl.Emulator) -> Iterator[Callable[..., Connector]]:
    """A factory of connectors pointed at the emulator, all closed after the test."""
    made: list[Connector] = []

    def make(**kwargs: Any) -> Connector:
        kwargs.setdefault("admin_api_endpoint", emu.admin_url)
        kwargs.setdefault("credentials", emu.credentials(PRINCIPAL))
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeout", 20)
        conn = Connector(**kwargs)
        made.append(conn)
        return conn

    yield make
    for conn in made:
        conn.close()


@pytest.fixture
def connector(make_connector: Callable[..., Connector]) -> Connector:
    return make_connector()


@pytest.fixture
def admin_calls(emu: cl.Emulator) -> Callable[..., list[Any]]:
    """Admin API calls made since the test started, optionally of one operation."""
    before = len(emu.admin_calls)

    def get(operation: str | None = None) -> list[Any]:
        return [
            c for c in emu.admin_calls[before:] if operation is None or c.operation == operation
        ]

    return get


@pytest.fixture
def otel() -> dict[str, Any]:
    """OpenTelemetry providers of this test's own (no global state), with in-memory readers."""
    reader = InMemoryMetricReader()
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    return {
        "reader": reader,
        "spans": spans,
        "meter_provider": MeterProvider(metric_readers=[reader]),
        "tracer_provider": tracer_provider,
    }


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A crash in one of the connector's threads is a failure, not a warning.
    here = str(__file__).rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
            )


Attempt = tuple[str, Callable[[], None]]


@pytest.fixture
def every_driver(
    pg_server: Any, mysql_server: Any
) -> Callable[[Connector, str, str], list[Attempt]]:
    """`every_driver(connector, pg_instance, my_instance)`: (driver, connect-and-close) for
    every driver and caller kind (sync and asyncio), against the real servers' test databases."""

    def attempts(connector: Connector, pg: str, my: str) -> list[Attempt]:
        def sync(instance: str, driver: str, server: Any) -> Callable[[], None]:
            def run() -> None:
                connector.connect(instance, driver, user=server.user, db=server.database).close()

            return run

        def asynchronous(driver: str) -> Callable[[], None]:
            async def go() -> None:
                conn = await connector.connect_async(
                    pg, driver, user=pg_server.user, db=pg_server.database
                )
                await conn.close()

            return lambda: asyncio.run(go())

        return [
            ("pg8000", sync(pg, "pg8000", pg_server)),
            ("psycopg", sync(pg, "psycopg", pg_server)),
            ("pymysql", sync(my, "pymysql", mysql_server)),
            ("asyncpg", asynchronous("asyncpg")),
            ("psycopg-async", asynchronous("psycopg")),
        ]

    return attempts
