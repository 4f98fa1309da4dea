"""Limits and client input checked by PostgreSQL's rules: parameter counts, message sizes,
setting values, database names, connection counts, TLS required; each an error with
PostgreSQL's SQLSTATE, and the connection survives where PostgreSQL's would."""

from __future__ import annotations

import logging
import socket
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter import Proxy, protocol, serve
from psycopg import errors


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _read_messages(sock: socket.socket) -> list[tuple[bytes, bytes]]:
    """Backend messages up to ReadyForQuery, or to the end of the connection."""
    out: list[tuple[bytes, bytes]] = []
    buf = b""
    while True:
        while len(buf) < 5 or len(buf) < 1 + struct.unpack("!i", buf[1:5])[0]:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            buf += chunk
        length = struct.unpack("!i", buf[1:5])[0]
        kind, body, buf = buf[:1], buf[5 : 1 + length], buf[1 + length :]
        out.append((kind, body))
        if kind == b"Z":
            assert not buf
            return out


def _error_code(body: bytes) -> str:
    return next((f[1:].decode() for f in body.split(b"\0") if f[:1] == b"C"), "")


def _ready(proxy: Proxy, database: str) -> socket.socket:
    sock = socket.create_connection((proxy.host, proxy.port), timeout=20)
    pairs = f"user\0raw\0database\0{database}\0\0".encode()
    sock.sendall(struct.pack("!ii", len(pairs) + 8, 196608) + pairs)
    assert _read_messages(sock)[-1][0] == b"Z"
    return sock


def _serve(spanner: spanner_local.Endpoint, **options: object) -> Proxy:
    return serve(  # type: ignore[return-value]
        spanner_local.DEFAULT_PROJECT, spanner.instance, emulator_host=spanner.address, **options
    )


def test_a_placeholder_past_65535_is_refused_before_anything_is_sized(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(errors.UndefinedParameter, match=r"no parameter \$100000000"):
            conn.execute("select $100000000", prepare=True)  # a Parse message
        with pytest.raises(errors.UndefinedParameter):
            conn.execute("prepare big as select $70000")
        assert conn.execute("select 1").fetchone() == (1,)  # the connection goes on


def test_counts_are_16_bits_unsigned_as_in_postgresql() -> None:
    description = protocol.parameter_description([20] * 40_000)
    assert struct.unpack("!H", description[5:7]) == (40_000,)
    params = b"".join(struct.pack("!i", 1) + b"1" for _ in range(40_000))
    body = b"\0\0" + struct.pack("!H", 0) + struct.pack("!H", 40_000) + params + b"\0\0"
    bind = protocol.parse_frontend(b"B", body)
    assert isinstance(bind, protocol.Bind) and len(bind.params) == 40_000


def test_bind_with_the_wrong_parameter_count_waits_for_sync(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    try:
        sock.sendall(_msg(b"P", b"s1\0select $1::int8\0\0\0"))
        # two parameters for a statement that has one
        values = struct.pack("!i", 1) + b"1" + struct.pack("!i", 1) + b"2"
        sock.sendall(_msg(b"B", b"\0s1\0\0\0\0\x02" + values + b"\0\0"))
        sock.sendall(_msg(b"E", b"\0\0\0\0\0"))  # skipped until Sync, as PostgreSQL does
        sock.sendall(_msg(b"S", b""))
        msgs = _read_messages(sock)
        kinds = [k for k, _ in msgs]
        assert kinds == [b"1", b"E", b"Z"], kinds
        assert _error_code(msgs[1][1]) == "08P01"
        sock.sendall(_msg(b"Q", b"select 7\0"))
        assert [k for k, _ in _read_messages(sock)] == [b"T", b"D", b"C", b"Z"]
    finally:
        sock.close()


def test_a_message_over_the_size_limit_ends_the_connection(
    spanner: spanner_local.Endpoint, database: str
) -> None:
    with _serve(spanner, max_message_size=1 << 16) as px:
        sock = _ready(px, database)
        try:
            # only the header: the length is refused before the body is read (or allocated)
            sock.sendall(b"Q" + struct.pack("!i", (1 << 16) + 5))
            msgs = _read_messages(sock)
            assert msgs and msgs[0][0] == b"E"
            assert _error_code(msgs[0][1]) == "08P01"
            assert b"over the limit of 65536 bytes" in msgs[0][1]
        finally:
            sock.close()
        with psycopg.connect(px.dsn(database)) as conn:  # others are served
            assert conn.execute("select 1").fetchone() == (1,)


@pytest.mark.parametrize(
    ("statement", "sqlstate", "message"),
    [
        ("set timezone = '" + "A" * 300 + "'", "22023", "TimeZone"),
        ("set timezone = '" + "a/" * 2000 + "'", "22023", "TimeZone"),
        ("set statement_timeout = '" + "9" * 400 + "'", "22023", "outside the valid range"),
        ("set statement_timeout = '100000d'", "22023", "outside the valid range"),
    ],
)
def test_settings_are_checked_by_postgresql_rules(
    dsn: str, statement: str, sqlstate: str, message: str
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error, match=message) as err:
            conn.execute(statement)
        assert err.value.sqlstate == sqlstate
        assert conn.execute("select 1").fetchone() == (1,)
        # the setting kept its value: statements do not time out
        assert conn.execute("show statement_timeout").fetchone() == ("0",)


def test_statement_timeout_at_the_top_of_its_range_is_accepted(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set statement_timeout = 2147483647")
        assert conn.execute("select 1").fetchone() == (1,)


def test_application_name_keeps_63_bytes(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, application_name="a" * 9000) as conn:
        assert conn.execute("show application_name").fetchone() == ("a" * 63,)
        assert conn.execute("select 1").fetchone() == (1,)  # Spanner calls still work
        conn.execute("set application_name = '" + "é" * 40 + "'")
        assert conn.execute("show application_name").fetchone() == ("?" * 40,)


def test_bad_startup_settings_end_the_connection_with_postgresql_errors(dsn: str) -> None:
    with pytest.raises(psycopg.OperationalError, match="outside the valid range"):
        psycopg.connect(dsn, options="-c statement_timeout=" + "9" * 400)
    with pytest.raises(psycopg.OperationalError, match="cannot be changed"):
        psycopg.connect(dsn, options="-c server_version=1")


@pytest.mark.parametrize("name", ["Bad-Name", "x", "a" * 31, "9lives", "ends_", "semi;colon"])
def test_auto_create_refuses_invalid_database_ids(
    spanner: spanner_local.Endpoint, name: str
) -> None:
    with _serve(spanner, auto_create_database=True) as px:
        with pytest.raises(psycopg.OperationalError, match="not a valid Spanner database id"):
            psycopg.connect(host=px.host, port=px.port, user="u", dbname=name, sslmode="disable")
        assert px.server.connection_count == 0


def test_max_connections(spanner: spanner_local.Endpoint, database: str) -> None:
    with _serve(spanner, max_connections=2) as px:
        a = psycopg.connect(px.dsn(database))
        b = psycopg.connect(px.dsn(database))
        try:
            with pytest.raises(psycopg.OperationalError, match="too many clients") as err:
                psycopg.connect(px.dsn(database))
            assert "53300" in str(err.value) or err.value.sqlstate in (None, "53300")
            b.close()
            with psycopg.connect(px.dsn(database)) as c:  # a place is free again
                assert c.execute("select 1").fetchone() == (1,)
        finally:
            a.close()
            b.close()


@pytest.fixture
def certificate(tmp_path: Path) -> Iterator[tuple[str, str]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    yield str(cert), str(key)


def test_ssl_mode_require_refuses_plaintext(
    spanner: spanner_local.Endpoint, database: str, certificate: tuple[str, str]
) -> None:
    cert, key = certificate
    with _serve(spanner, ssl_cert=cert, ssl_key=key, ssl_mode="require") as px:
        with pytest.raises(psycopg.OperationalError, match="requires TLS"):
            psycopg.connect(px.dsn(database))  # sslmode=disable
        tls = px.dsn(database).replace("sslmode=disable", "sslmode=require")
        with psycopg.connect(tls) as conn:
            assert conn.pgconn.ssl_in_use
            assert conn.execute("select 1").fetchone() == (1,)


def test_a_failed_tls_handshake_is_one_log_line(
    spanner: spanner_local.Endpoint,
    database: str,
    certificate: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    cert, key = certificate
    with _serve(spanner, ssl_cert=cert, ssl_key=key) as px:
        with caplog.at_level(logging.WARNING, logger="dbtools.pgadapter"):
            sock = socket.create_connection((px.host, px.port), timeout=20)
            sock.sendall(struct.pack("!ii", 8, protocol.SSL_REQUEST))
            assert sock.recv(1) == b"S"
            sock.sendall(b"this is not a TLS ClientHello" * 10)
            try:
                while sock.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            sock.close()
            with psycopg.connect(px.dsn(database)) as conn:  # the server goes on
                assert conn.execute("select 1").fetchone() == (1,)
        records = [r for r in caplog.records if r.name.startswith("dbtools.pgadapter")]
        failed = [r for r in records if "TLS handshake" in r.getMessage()]
        assert len(failed) == 1, [r.getMessage() for r in records]
        assert failed[0].exc_info is None  # no traceback
        assert not [r for r in records if r.levelno >= logging.ERROR]


def test_large_statements_are_classified_and_answered(dsn: str) -> None:
    """Texts past 64 kB are split and classified on a worker thread; the answers are the
    same as for small ones, in both protocols."""
    comments = "/* a long comment; with a semicolon */ " * 5_000  # ~200 kB
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(f"select 1 {comments}; select 2")
        assert cur.fetchone() == (1,)
        assert cur.nextset() and cur.fetchone() == (2,)
        assert conn.execute(f"select %s::int8 + 1 {comments}", [41]).fetchone() == (42,)
        with pytest.raises(errors.SyntaxError, match="multiple commands"):
            conn.execute(f"select 1; {comments} select %s::int8", [1])
        with pytest.raises(errors.UndefinedParameter):
            conn.execute(f"select $10000000 {comments}", prepare=True)
        assert conn.execute("select 3").fetchone() == (3,)
