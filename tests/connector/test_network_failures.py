"""Every network call of the connector is bounded by the connect timeout and its failure names
the endpoint: the Admin API, the token endpoint and the instance, each tried as a real closed
port and as a listener that accepts and never answers, with every driver."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from dbtools import cloudsql_local as cl
from dbtools.connector import (
    AdminAPIError,
    ConnectError,
    Connector,
    ConnectorError,
    ConnectTimeoutError,
)
from google.oauth2.credentials import Credentials as OAuthCredentials

TIMEOUT = 2.0
SLACK = 4.0  # thread hand-offs and a loaded 2-core machine; the bound is the configured timeout


def _timed(attempt: Callable[[], None]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(ConnectorError) as info:
        attempt()
    return info.value, time.monotonic() - started


def _sync_and_async(connector: Connector, instance: str) -> list[Callable[[], None]]:
    async def via_asyncpg() -> None:
        await connector.connect_async(instance, "asyncpg", user="postgres")

    return [
        lambda: connector.connect(instance, "pg8000", user="postgres"),
        lambda: asyncio.run(via_asyncpg()),
    ]


def test_admin_api_on_a_closed_port(make_connector: Any, names: Any, closed_port: int) -> None:
    endpoint = f"http://127.0.0.1:{closed_port}"
    connector = make_connector(admin_api_endpoint=endpoint, timeout=TIMEOUT)
    for attempt in _sync_and_async(connector, names.PG):
        error, elapsed = _timed(attempt)
        assert isinstance(error, (AdminAPIError, ConnectTimeoutError))
        assert endpoint in str(error) and "check network access" in str(error)
        assert elapsed < TIMEOUT + SLACK


def test_admin_api_that_accepts_and_never_answers(
    make_connector: Any, names: Any, silent_listener: Callable[..., Any]
) -> None:
    silent = silent_listener()
    endpoint = f"http://127.0.0.1:{silent.port}"
    connector = make_connector(admin_api_endpoint=endpoint, timeout=TIMEOUT)
    for attempt in _sync_and_async(connector, names.PG):
        error, elapsed = _timed(attempt)
        assert isinstance(error, ConnectTimeoutError)
        assert f"Cloud SQL Admin API at {endpoint}" in str(error)
        assert elapsed < TIMEOUT + SLACK
    assert silent.accepted  # it really was reached, and said nothing


@pytest.mark.parametrize("kind", ["closed", "silent"])
def test_token_endpoint_down(
    make_connector: Any,
    names: Any,
    closed_port: int,
    silent_listener: Callable[..., Any],
    kind: str,
) -> None:
    port = closed_port if kind == "closed" else silent_listener().port
    token_uri = f"http://127.0.0.1:{port}/token"
    creds = OAuthCredentials(
        token=None, refresh_token="r", token_uri=token_uri, client_id="c", client_secret="s"
    )
    connector = make_connector(credentials=creds, timeout=TIMEOUT)
    for attempt in _sync_and_async(connector, names.PG):
        error, elapsed = _timed(attempt)
        assert token_uri in str(error)
        assert elapsed < TIMEOUT + SLACK
    # The refresh that timed out on the caller's side may still be waiting in its thread (for
    # at most the same timeout): let it end inside this test, after the last retry.
    connector.close()
    connector._tokens.wait_idle(TIMEOUT + SLACK)


def test_instance_on_a_closed_port_with_every_driver(
    make_connector: Any, emu: cl.Emulator, names: Any, closed_port: int, every_driver: Any
) -> None:
    connector = make_connector(server_port=closed_port, timeout=TIMEOUT)
    for driver, attempt in every_driver(connector, names.PG, names.MY):
        ip = emu.instance(names.MY if driver == "pymysql" else names.PG).ip_address
        error, elapsed = _timed(attempt)
        assert isinstance(error, ConnectError), (driver, error)
        assert f"at {ip}:{closed_port}" in str(error), driver
        assert "the instance is running" in str(error), driver
        assert elapsed < TIMEOUT + SLACK


def test_instance_that_accepts_and_never_answers_with_every_driver(
    make_connector: Any,
    emu: cl.Emulator,
    names: Any,
    silent_listener: Callable[..., Any],
    every_driver: Any,
) -> None:
    for instance, drivers in (
        (names.PG, {"pg8000", "psycopg", "asyncpg", "psycopg-async"}),
        (names.MY, {"pymysql"}),
    ):
        ip = emu.instance(instance).ip_address
        silent = silent_listener(ip)  # on the instance's own address, another port
        connector = make_connector(server_port=silent.port, timeout=TIMEOUT)
        for driver, attempt in every_driver(connector, names.PG, names.MY):
            if driver not in drivers:
                continue
            error, elapsed = _timed(attempt)
            assert isinstance(error, ConnectTimeoutError), (driver, error)
            assert f"at {ip}:{silent.port}" in str(error), (driver, str(error))
            assert elapsed < TIMEOUT + SLACK, driver


CLI = [sys.executable, "-m", "dbtools.connector.cli"]


def _cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    out = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)
    return out, time.monotonic() - started


def _one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    return lines[0]


def test_cli_version() -> None:
    from dbtools.connector import __version__

    out, _ = _cli("--version")
    assert (out.returncode, out.stdout.strip()) == (0, f"cloudsql-connector, version {__version__}")


def test_cli_admin_api_down_or_hung(
    names: Any, closed_port: int, silent_listener: Callable[..., Any]
) -> None:
    for port in (closed_port, silent_listener().port):
        endpoint = f"http://127.0.0.1:{port}"
        out, elapsed = _cli(
            "listen", names.PG, "--port", "0", "--token", "t",
            "--admin-api-endpoint", endpoint, "--timeout", str(TIMEOUT),
        )  # fmt: skip
        assert endpoint in _one_line_error(out)
        assert elapsed < TIMEOUT + SLACK + 10  # + interpreter and imports on a loaded machine


def test_cli_ordinary_mistakes(
    emu: cl.Emulator, names: Any, tmp_path: Any, silent_listener: Callable[..., Any]
) -> None:
    auth = ["--admin-api-endpoint", emu.admin_url, "--token", emu.access_token(names.PRINCIPAL)]
    taken = silent_listener()
    out, _ = _cli("listen", names.PG, "--port", str(taken.port), *auth)
    assert "address already in use" in _one_line_error(out)
    bad = tmp_path / "key.json"
    bad.write_text('{"type": "nope"}')
    out, _ = _cli("listen", names.PG, "--credentials-file", str(bad))
    assert f"cannot use --credentials-file {bad}" in _one_line_error(out)
    bad.write_text("not json")
    out, _ = _cli("listen", names.PG, "--credentials-file", str(bad))
    assert "is not a valid json file" in _one_line_error(out)
    for usage in (["--port", "70000"], ["--timeout", "0"], ["--max-connections", "-1"]):
        out, _ = _cli("listen", names.PG, *usage, *auth)
        assert out.returncode == 2 and usage[0] in out.stderr and "Traceback" not in out.stderr


def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # a flag set by another thread: nothing to await on
        time.sleep(0.01)


def test_a_caller_giving_up_does_not_cancel_the_shared_refresh(
    silent_listener: Callable[..., Any],
) -> None:
    """An asyncio caller that times out cancels its wrapped future; the refresh it shared with
    others must still end with its own error, not be cancelled under the thread doing it (which
    then failed with InvalidStateError, seen in CI)."""
    from dbtools.connector.auth import TokenSource
    from dbtools.connector.errors import CredentialsError

    token_uri = f"http://127.0.0.1:{silent_listener().port}/token"
    creds = OAuthCredentials(
        token=None, refresh_token="r", token_uri=token_uri, client_id="c", client_secret="s"
    )
    source = TokenSource(creds, timeout=1.0)

    async def give_up_early() -> None:
        # wait until the thread has taken the refresh, then give up, as a short connect would
        task = asyncio.ensure_future(source.token())
        await asyncio.to_thread(_until, lambda: source.refreshing)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(task, 0.05)

    asyncio.run(give_up_early())
    shared = source._inflight
    assert shared is not None
    source.wait_idle(TIMEOUT + SLACK)
    assert shared.done() and not shared.cancelled()
    assert isinstance(shared.exception(), CredentialsError)
    assert token_uri in str(shared.exception())
