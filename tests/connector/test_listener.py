"""The local listener (in process and CLI) with real libpq (psql, psycopg) and MySQL clients."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools import cloudsql_local as cl
from dbtools.connector import Connector, InstanceNotFoundError


def psql(conninfo: str, sql: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    return subprocess.run(
        ["psql", conninfo, "-XAtc", sql], capture_output=True, text=True, timeout=30, env=env
    )


def test_psql_over_tcp_listener(connector: Connector, names: Any, pg_server: Any) -> None:
    listener = connector.start_listener(names.PG, port=0)
    assert listener.engine == "postgresql"
    # psql's default sslmode=prefer asks for TLS first; the listener declines, psql goes on.
    out = psql(f"host=127.0.0.1 port={listener.port} user={pg_server.user} dbname=test", "select 1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_libpq_with_any_options_and_many_concurrent_connections(
    connector: Connector, names: Any, pg_server: Any
) -> None:
    listener = connector.start_listener(names.PG, port=0)
    conninfo = (
        f"host=127.0.0.1 port={listener.port} user={pg_server.user} dbname=test "
        "application_name=through-listener sslmode=prefer gssencmode=prefer"
    )
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(conninfo) as conn:
                row = conn.execute(
                    "select current_setting('application_name'), pg_backend_pid(), "
                    "count(*) from generate_series(1, 20000)"
                ).fetchone()
                results.append(row)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len({r[1] for r in results}) == 16
    assert all(r[0] == "through-listener" and r[2] == 20000 for r in results)
    assert listener.served >= 16


def test_unix_socket_listener_and_mysql(
    connector: Connector, names: Any, mysql_server: Any, pg_server: Any
) -> None:
    with tempfile.TemporaryDirectory(prefix="dbtc") as d:
        pg = connector.start_listener(names.PG, unix_socket_dir=d)
        my = connector.start_listener(names.MY, port=0, unix_socket_dir=d)
        assert pg.unix_path == Path(d) / names.PG / ".s.PGSQL.5432"
        out = psql(f"host={d}/{names.PG} user={pg_server.user} dbname=test", "select 2")
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "2"
        for kwargs in ({"unix_socket": str(my.unix_path)}, {"host": "127.0.0.1", "port": my.port}):
            conn = pymysql.connect(user=mysql_server.user, database="test", **kwargs)  # type: ignore[arg-type]
            with conn.cursor() as cur:
                cur.execute("select 3")
                assert cur.fetchone() == (3,)
            conn.close()
        connector.stop_listener(pg)
        assert not pg.unix_path.exists()


def test_listener_reports_dial_failures_to_the_client(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any
) -> None:
    listener = connector.start_listener(names.PG, port=0)
    emu.faults.wrong_server_identity = True
    out = psql(f"host=127.0.0.1 port={listener.port} user={pg_server.user} dbname=test", "select 1")
    assert out.returncode != 0
    assert "dbtools-connector" in out.stderr and "not issued for instance" in out.stderr


def test_listener_start_fails_fast_on_unknown_instance(connector: Connector) -> None:
    with pytest.raises(InstanceNotFoundError):
        connector.start_listener("proj:local:missing", port=0)


@pytest.fixture
def cli(emu: cl.Emulator, names: Any) -> Iterator[Any]:
    procs: list[subprocess.Popen[str]] = []

    def run(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
        cmd = [
            sys.executable, "-m", "dbtools.connector.cli", "listen", *args,
            "--admin-api-endpoint", emu.admin_url,
            "--token", emu.access_token(names.PRINCIPAL),
            "--format", "json",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(
                f"CLI exited early: {proc.wait(10)} {proc.stderr.read() if proc.stderr else ''}"
            )
        return proc, json.loads(line)

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_cli_listen_with_psql(cli: Any, names: Any, pg_server: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="dbtc") as d:
        proc, ready = cli(names.PG, "--port", "0", "--unix-socket", d)
        assert ready["status"] == "ready"
        (info,) = ready["listeners"]
        assert info["engine"] == "postgresql"
        port = info["port"]
        out = psql(f"host=127.0.0.1 port={port} user={pg_server.user} dbname=test", "select 'tcp'")
        assert (out.returncode, out.stdout.strip()) == (0, "tcp"), out.stderr
        out = psql(f"host={d}/{names.PG} user={pg_server.user} dbname=test", "select 'unix'")
        assert (out.returncode, out.stdout.strip()) == (0, "unix"), out.stderr
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert json.loads(stdout.strip().splitlines()[-1]) == {"status": "stopped"}


def test_cli_exit_code_and_message_for_unknown_instance(emu: cl.Emulator, names: Any) -> None:
    cmd = [
        sys.executable, "-m", "dbtools.connector.cli", "listen", "proj:local:missing",
        "--port", "0", "--admin-api-endpoint", emu.admin_url,
        "--token", emu.access_token(names.PRINCIPAL),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "proj:local:missing" in out.stderr and "Cloud SQL Client role" in out.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "dbtools.connector.cli", "listen"], capture_output=True, text=True
    )
    assert usage.returncode == 2


def test_cli_iam_login_and_drain_on_sigterm(cli: Any, names: Any, pg_server: Any) -> None:
    proc, ready = cli(names.PG, "--port", "0", "--auto-iam-authn")
    port = ready["listeners"][0]["port"]
    # The IAM user logs in without a password; cloudsql-local maps it to the backend role.
    out = psql(
        f"host=127.0.0.1 port={port} user={names.PG_IAM_USER} dbname=test", "select current_user"
    )
    assert (out.returncode, out.stdout.strip()) == (0, pg_server.user), out.stderr
    refused = psql(f"host=127.0.0.1 port={port} user=someone@proj.iam dbname=test", "select 1")
    assert refused.returncode != 0 and "IAM user authentication failed" in refused.stderr
    # A connection open at SIGTERM may finish its work before the listener exits.
    conn = psycopg.connect(f"host=127.0.0.1 port={port} user={names.PG_IAM_USER} dbname=test")
    proc.send_signal(signal.SIGTERM)
    assert conn.execute("select 41 + 1").fetchone() == (42,)
    conn.close()
    proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_listener_max_connections(connector: Connector, names: Any, pg_server: Any) -> None:
    listener = connector.start_listener(names.PG, port=0, max_connections=1)
    conninfo = f"host=127.0.0.1 port={listener.port} user={pg_server.user} dbname=test"
    with psycopg.connect(conninfo) as first:
        out = psql(conninfo, "select 1")
        assert out.returncode != 0
        assert "too many connections" in out.stderr and "max 1" in out.stderr
        assert first.execute("select 1").fetchone() == (1,)
    # Once the first one has gone, there is room again.
    import time

    end = time.monotonic() + 30
    while listener.active and time.monotonic() < end:
        time.sleep(0.02)
    out = psql(conninfo, "select 1")
    assert out.returncode == 0, out.stderr


def test_listener_survives_dropped_and_malformed_connections(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any
) -> None:
    import socket
    import time

    listener = connector.start_listener(names.PG, port=0)
    conninfo = f"host=127.0.0.1 port={listener.port} user={pg_server.user} dbname=test"
    conn = psycopg.connect(conninfo)
    assert conn.execute("select 1").fetchone() == (1,)
    # The instance drops every connection (a failover): the client sees it, nothing hangs.
    assert emu.close_connections(names.PG) >= 1
    with pytest.raises(psycopg.OperationalError):
        conn.execute("select 1")
    conn.close()
    # Garbage instead of a startup message: that client is cut off, nobody else is.
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\x00\x00\x04", b""):
        with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as raw:
            raw.sendall(junk)
            raw.shutdown(socket.SHUT_WR)
            assert raw.recv(100) == b""
    end = time.monotonic() + 30
    while listener.active and time.monotonic() < end:
        time.sleep(0.02)
    assert listener.active == 0
    with psycopg.connect(conninfo) as again:
        assert again.execute("select 2").fetchone() == (2,)


def test_listener_drops_a_client_that_never_sends_its_startup(
    make_connector: Any, names: Any, pg_server: Any
) -> None:
    """A local client that connects and says nothing is let go after the connect timeout (as
    PostgreSQL's authentication_timeout does), and others are served meanwhile."""
    import socket
    import time

    connector = make_connector(timeout=1.5)
    listener = connector.start_listener(names.PG, port=0)
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as mute:
        started = time.monotonic()
        out = psql(
            f"host=127.0.0.1 port={listener.port} user={pg_server.user} dbname=test", "select 7"
        )
        assert (out.returncode, out.stdout.strip()) == (0, "7"), out.stderr
        assert mute.recv(1) == b""  # closed by the listener, not by our 30 s timeout
        assert time.monotonic() - started < 1.5 + 10
