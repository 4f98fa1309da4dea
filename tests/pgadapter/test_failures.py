"""Failing fast and clearly: Spanner unreachable (a closed port, a listener that never
answers), and stopping on SIGTERM/SIGINT whatever the clients are doing."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter import serve


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port that accepts connections and never answers a byte."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield int(s.getsockname()[1])


def test_cli_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dbtools.pgadapter.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    assert re.search(r"version \d+\.\d+\.\d+", out.stdout), out.stdout


def test_closed_spanner_port_is_a_fatal_error_naming_it() -> None:
    port = _closed_port()
    with serve("p", "i", "db", emulator_host=f"127.0.0.1:{port}", connect_timeout=30) as px:
        assert px.server.unreachable is not None  # checked at start
        out = subprocess.run(
            [
                "psql",
                "-X",
                "-At",
                "-h",
                px.host,
                "-p",
                str(px.port),
                "-U",
                "u",
                "-d",
                "db",
                "-c",
                "select 1",
            ],
            capture_output=True,
            text=True,
            timeout=60,  # psql must not hang: it gets the error well before this
        )
        assert out.returncode == 2, out
        assert f"cannot reach Spanner at 127.0.0.1:{port}" in out.stderr
        assert "Connection refused" in out.stderr
        assert "--emulator-host" in out.stderr  # the hint says what to check


def test_spanner_that_never_answers_is_a_fatal_error_after_the_timeout(
    silent_listener: int,
) -> None:
    address = f"127.0.0.1:{silent_listener}"
    with serve("p", "i", "db", emulator_host=address, connect_timeout=1) as px:
        with pytest.raises(psycopg.OperationalError) as err:
            psycopg.connect(px.dsn(), connect_timeout=60)
        text = str(err.value)
        assert f"Spanner at {address} did not answer within 1 s" in text
        assert px.server.connection_count == 0


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbtools.pgadapter.cli", "--port", "0", *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    assert m, line
    return proc, int(m.group(1))


def _startup_message(params: dict[str, str]) -> bytes:
    pairs = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params.items())
    body = (196608).to_bytes(4, "big") + pairs + b"\0"  # protocol 3.0
    return (len(body) + 4).to_bytes(4, "big") + body


def _stuck_client(port: int, database: str, sql: str | None) -> socket.socket:
    """A raw client that sends its startup (and a query) and then never reads."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(_startup_message({"user": "u", "database": database}))
    if sql is not None:
        body = sql.encode() + b"\0"
        sock.sendall(b"Q" + (len(body) + 4).to_bytes(4, "big") + body)
    return sock


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_server_despite_a_client_that_reads_nothing(
    spanner: spanner_local.Endpoint, database: str, sig: signal.Signals
) -> None:
    proc, port = _start_cli(
        "-p", spanner_local.DEFAULT_PROJECT, "-i", spanner.instance, "--emulator-host",
        spanner.address,
    )  # fmt: skip
    try:
        # a result that fills the socket buffers: the proxy's writes block on this client
        sql = "select repeat('x', 8000000)"
        stuck = _stuck_client(port, database, sql)
        with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname=database) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0  # a bound for a hang, well above the few seconds
        assert proc.stderr is not None
        assert "pgadapter stopped" in proc.stderr.read()
        stuck.close()
    finally:
        proc.kill()
        proc.wait()


def test_sigterm_stops_the_server_while_a_client_waits_on_spanner(silent_listener: int) -> None:
    """A client whose startup is stuck in a Spanner call (which never answers) does not hold
    the server after SIGTERM."""
    proc, port = _start_cli(
        "-p", "p", "-i", "i", "--emulator-host", f"127.0.0.1:{silent_listener}",
        "--connect-timeout", "600",
    )  # fmt: skip
    try:
        stuck = _stuck_client(port, "db", None)
        client = subprocess.Popen(
            [
                "psql",
                "-X",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "u",
                "-d",
                "db",
                "-c",
                "select 1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        with pytest.raises(subprocess.TimeoutExpired):
            client.wait(timeout=2)  # stuck in startup, as intended
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert client.wait(timeout=20) == 2  # psql is told the server went away
        stuck.close()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("sql", ["selec 1", "Foo bar", "(selec 1)", "/* c */ sleect * from t"])
def test_unknown_first_word_is_a_syntax_error_as_in_postgresql(dsn: str, sql: str) -> None:
    """Compared with the real PostgreSQL: same SQLSTATE (42601) and message."""
    pg = psycopg
    with pg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres") as real:
        with pytest.raises(pg.Error) as expected:
            real.execute(sql)
    with pg.connect(dsn) as conn:
        with pytest.raises(pg.Error) as got:
            conn.execute(sql)
        assert got.value.sqlstate == expected.value.sqlstate == "42601"
        assert got.value.diag.message_primary == expected.value.diag.message_primary
        conn.rollback()
        # a statement PostgreSQL has that pgadapter does not run stays unsupported
        with pytest.raises(pg.errors.FeatureNotSupported, match="LOCK"):
            conn.execute("lock table t")
