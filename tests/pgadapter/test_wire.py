"""The wire protocol byte by byte: malformed and hostile input (a protocol error or a clean close,
never a crash or a leaked session, and the proxy keeps serving others) and exact message flows."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter import Proxy, serve


def _connect(proxy: Proxy) -> socket.socket:
    sock = socket.create_connection((proxy.host, proxy.port), timeout=20)
    _PENDING.pop(sock.fileno(), None)  # left by an earlier socket with the same number
    return sock


def _startup_packet(database: str, user: str = "raw") -> bytes:
    body = struct.pack("!i", 196608)
    for k, v in (("user", user), ("database", database)):
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


_PENDING: dict[int, bytes] = {}  # bytes read past the last message returned, per socket


def _read_messages(sock: socket.socket, until: bytes = b"Z") -> list[tuple[bytes, bytes]]:
    """Read backend messages until one of type `until` (or EOF)."""
    out: list[tuple[bytes, bytes]] = []
    buf = _PENDING.pop(sock.fileno(), b"")
    while True:
        while len(buf) < 5 or len(buf) < 1 + struct.unpack("!i", buf[1:5])[0]:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            buf += chunk
        length = struct.unpack("!i", buf[1:5])[0]
        kind, body, buf = buf[:1], buf[5 : 1 + length], buf[1 + length :]
        out.append((kind, body))
        if kind == until:
            if buf:
                _PENDING[sock.fileno()] = buf
            return out


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _error_code(body: bytes) -> str:
    for field in body.split(b"\0"):
        if field[:1] == b"C":
            return field[1:].decode()
    return ""


def _ready(proxy: Proxy, database: str) -> socket.socket:
    sock = _connect(proxy)
    sock.sendall(_startup_packet(database))
    msgs = _read_messages(sock)
    assert msgs[-1][0] == b"Z"
    return sock


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(20)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True


def _still_serving(proxy: Proxy, database: str) -> None:
    with psycopg.connect(proxy.dsn(database), autocommit=True) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def _wait_no_connections(proxy: Proxy) -> None:
    deadline = time.monotonic() + 20
    while proxy.server.connection_count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proxy.server.connection_count == 0


@pytest.mark.parametrize("length", [0, 3, 7, 10_001, 0x7FFFFFFF, -5])
def test_bad_startup_length(proxy: Proxy, database: str, length: int) -> None:
    sock = _connect(proxy)
    sock.sendall(struct.pack("!i", length) + b"\0" * 8)
    msgs = _read_messages(sock, b"E")
    assert msgs and msgs[0][0] == b"E" and _error_code(msgs[0][1]) == "08P01"
    assert _closed(sock)
    _still_serving(proxy, database)


def test_unsupported_protocol_version(proxy: Proxy, database: str) -> None:
    sock = _connect(proxy)
    body = struct.pack("!i", 2 << 16) + b"user\0x\0\0"
    sock.sendall(struct.pack("!i", len(body) + 4) + body)
    msgs = _read_messages(sock, b"E")
    assert _error_code(msgs[0][1]) == "08P01"
    assert b"unsupported frontend protocol 2.0" in msgs[0][1]
    assert _closed(sock)


def test_startup_without_terminator(proxy: Proxy) -> None:
    sock = _connect(proxy)
    body = struct.pack("!i", 196608) + b"user\0abc"  # value never terminated
    sock.sendall(struct.pack("!i", len(body) + 4) + body)
    msgs = _read_messages(sock, b"E")
    assert _error_code(msgs[0][1]) == "08P01"
    assert _closed(sock)


def test_unknown_message_type(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(_msg(b"!", b"whatever"))
    msgs = _read_messages(sock, b"E")
    assert _error_code(msgs[-1][1]) == "08P01"
    assert _closed(sock)
    _wait_no_connections(proxy)
    _still_serving(proxy, database)


@pytest.mark.parametrize("length", [0, 2, -1, 0x7FFFFFFF])
def test_bad_message_length(proxy: Proxy, database: str, length: int) -> None:
    sock = _ready(proxy, database)
    sock.sendall(b"Q" + struct.pack("!i", length) + b"select 1\0")
    msgs = _read_messages(sock, b"E")
    assert _error_code(msgs[-1][1]) == "08P01"
    assert _closed(sock)
    _wait_no_connections(proxy)


def test_truncated_message_then_disconnect(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(b"Q" + struct.pack("!i", 100) + b"select")  # promises 96 bytes, sends 6
    sock.close()
    _wait_no_connections(proxy)
    _still_serving(proxy, database)


@pytest.mark.parametrize(
    "body",
    [
        b"P" + struct.pack("!i", 9) + b"ab\0cd",  # Parse: query string not terminated
        _msg(b"B", b"\0\0" + struct.pack("!h", -1)),  # Bind: negative format count
        _msg(
            b"B", b"\0\0" + struct.pack("!hh", 0, 1) + struct.pack("!i", 50) + b"xx"
        ),  # value overruns
        _msg(b"E", b"\0"),  # Execute without max_rows
        _msg(b"D", b"Xname\0"),  # Describe with a bad subtype
        _msg(b"S", b"extra"),  # Sync with a body
    ],
)
def test_malformed_extended_messages(proxy: Proxy, database: str, body: bytes) -> None:
    sock = _ready(proxy, database)
    sock.sendall(body)
    msgs = _read_messages(sock, b"E")
    assert msgs and _error_code(msgs[-1][1]) == "08P01"
    assert _closed(sock)
    _wait_no_connections(proxy)


def test_statement_error_in_extended_protocol_skips_until_sync(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(
        _msg(b"B", b"\0nosuch\0" + struct.pack("!hhh", 0, 0, 0))  # unknown statement
        + _msg(b"E", b"\0" + struct.pack("!i", 0))  # skipped
        + _msg(b"S", b"")
    )
    msgs = _read_messages(sock)
    kinds = [k for k, _ in msgs]
    assert kinds == [b"E", b"Z"]
    assert _error_code(msgs[0][1]) == "26000"
    sock.sendall(_msg(b"Q", b"select 7 as x\0"))
    msgs = _read_messages(sock)
    assert [k for k, _ in msgs] == [b"T", b"D", b"C", b"Z"]
    sock.sendall(_msg(b"X", b""))
    assert _closed(sock)


def test_ssl_and_gssenc_requests_are_refused_then_startup_works(
    proxy: Proxy, database: str
) -> None:
    sock = _connect(proxy)
    sock.sendall(struct.pack("!ii", 8, 80877104))
    assert sock.recv(1) == b"N"
    sock.sendall(struct.pack("!ii", 8, 80877103))
    assert sock.recv(1) == b"N"
    sock.sendall(_startup_packet(database))
    msgs = _read_messages(sock)
    kinds = [k for k, _ in msgs]
    assert kinds[0] == b"R" and kinds[-1] == b"Z" and b"K" in kinds
    params = dict(body[:-1].split(b"\0", 1) for k, body in msgs if k == b"S")
    for name in (
        b"server_version",
        b"server_encoding",
        b"client_encoding",
        b"DateStyle",
        b"TimeZone",
        b"integer_datetimes",
        b"standard_conforming_strings",
        b"application_name",
        b"is_superuser",
    ):
        assert name in params
    sock.close()


def test_second_ssl_request_is_a_protocol_error(proxy: Proxy) -> None:
    sock = _connect(proxy)
    sock.sendall(struct.pack("!ii", 8, 80877103))
    assert sock.recv(1) == b"N"
    sock.sendall(struct.pack("!ii", 8, 80877103))
    msgs = _read_messages(sock, b"E")
    assert _error_code(msgs[0][1]) == "08P01"
    assert _closed(sock)


def test_unknown_database_is_fatal_3d000(proxy: Proxy) -> None:
    sock = _connect(proxy)
    sock.sendall(_startup_packet("no_such_database"))
    msgs = _read_messages(sock, b"E")
    assert _error_code(msgs[-1][1]) == "3D000"
    assert b"FATAL" in msgs[-1][1]
    assert _closed(sock)


def test_cancel_request_with_wrong_key_is_ignored(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    canceller = _connect(proxy)
    canceller.sendall(struct.pack("!iiii", 16, 80877102, 12345, 999))
    assert _closed(canceller)
    sock.sendall(_msg(b"Q", b"select 1\0"))
    assert [k for k, _ in _read_messages(sock)] == [b"T", b"D", b"C", b"Z"]
    sock.close()


def test_disconnect_mid_query_releases_the_connection(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(
        _msg(
            b"Q",
            b"select count(*) from generate_series(1, 4000) a, generate_series(1, 4000) b\0",
        )
    )
    time.sleep(0.05)
    sock.close()
    _wait_no_connections(proxy)
    _still_serving(proxy, database)


@pytest.fixture
def impatient_proxy(spanner: spanner_local.Endpoint) -> Iterator[Proxy]:
    with serve(
        spanner_local.DEFAULT_PROJECT,
        spanner.instance,
        emulator_host=spanner.address,
        startup_timeout=0.3,
    ) as px:
        yield px


def test_silent_tcp_connection_is_closed(impatient_proxy: Proxy, database: str) -> None:
    """A connection that never sends its startup packet (a TCP probe) is dropped."""
    silent = [_connect(impatient_proxy) for _ in range(5)]
    for sock in silent:
        assert _closed(sock)
    _still_serving(impatient_proxy, database)
    _wait_no_connections(impatient_proxy)


def test_garbage_flood_while_others_work(proxy: Proxy, database: str) -> None:
    """Many hostile connections at once do not disturb a well-behaved client."""
    errors: list[BaseException] = []

    def hostile(i: int) -> None:
        try:
            s = _connect(proxy)
            s.sendall(bytes((i * 37 + j) % 256 for j in range(200)))
            _closed(s)
        except OSError:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hostile, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    with psycopg.connect(proxy.dsn(database), autocommit=True) as conn:
        for i in range(20):
            assert conn.execute("select %s::bigint", (i,)).fetchone() == (i,)
    for t in threads:
        t.join(30)
    assert not errors
    _wait_no_connections(proxy)


def _parse(name: bytes, sql: bytes, oids: tuple[int, ...] = ()) -> bytes:
    return _msg(b"P", name + b"\0" + sql + b"\0" + struct.pack(f"!h{len(oids)}I", len(oids), *oids))


def _bind(portal: bytes, stmt: bytes, params: list[bytes], result_format: int = 0) -> bytes:
    """All parameters and results in one format: text (0) or binary (1)."""
    body = portal + b"\0" + stmt + b"\0" + struct.pack("!hh", 1, result_format)
    body += struct.pack("!h", len(params))
    for value in params:
        body += struct.pack("!i", len(value)) + value
    return _msg(b"B", body + struct.pack("!hh", 1, result_format))


def _execute(portal: bytes, max_rows: int = 0) -> bytes:
    return _msg(b"E", portal + b"\0" + struct.pack("!i", max_rows))


def test_execute_with_row_limit_suspends_the_portal(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(
        _parse(b"q", b"select * from generate_series(1, 5) g(x)")
        + _bind(b"p", b"q", [])
        + _msg(b"D", b"Pp\0")
        + _execute(b"p", 2)
        + _execute(b"p", 2)
        + _execute(b"p", 2)
        + _msg(b"S", b"")
    )
    msgs = _read_messages(sock)
    kinds = b"".join(k for k, _ in msgs)
    assert kinds == b"12TDDsDDsDCZ"
    values = [body[6:] for k, body in msgs if k == b"D"]
    assert values == [b"1", b"2", b"3", b"4", b"5"]
    assert msgs[-2][1] == b"SELECT 5\0"
    sock.close()


def test_flush_delivers_results_before_sync(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(
        _parse(b"", b"select $1::bigint * 2", (20,))
        + _bind(b"", b"", [struct.pack("!q", 21)], result_format=1)
        + _execute(b"")
        + _msg(b"H", b"")
    )
    msgs = _read_messages(sock, b"C")
    assert [k for k, _ in msgs] == [b"1", b"2", b"D", b"C"]
    # int8 in binary: the result column was asked for in binary
    assert msgs[2][1][2:] == struct.pack("!i", 8) + struct.pack("!q", 42)
    sock.sendall(_msg(b"S", b""))
    assert [k for k, _ in _read_messages(sock)] == [b"Z"]
    sock.close()


def test_describe_statement_and_close(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(
        _parse(b"named", b"select $1::bigint as a, $2::varchar as b")
        + _msg(b"D", b"Snamed\0")
        + _msg(b"C", b"Snamed\0")
        + _msg(b"D", b"Snamed\0")
        + _msg(b"S", b"")
    )
    msgs = _read_messages(sock)
    kinds = [k for k, _ in msgs]
    assert kinds == [b"1", b"t", b"T", b"3", b"E", b"Z"]
    assert msgs[1][1] == struct.pack("!hII", 2, 20, 1043)
    assert _error_code(msgs[4][1]) == "26000"
    sock.close()


def test_empty_query_and_multiple_results(proxy: Proxy, database: str) -> None:
    sock = _ready(proxy, database)
    sock.sendall(_msg(b"Q", b"\0"))
    assert [k for k, _ in _read_messages(sock)] == [b"I", b"Z"]
    sock.sendall(_msg(b"Q", b"select 1; ; select 2 as two\0"))
    msgs = _read_messages(sock)
    assert [k for k, _ in msgs] == [b"T", b"D", b"C", b"T", b"D", b"C", b"Z"]
    sock.close()


def _sessions(spanner: spanner_local.Endpoint, database: str) -> int:
    return sum(
        1 for s in list(spanner.registry.sessions.values()) if s.database.endswith("/" + database)
    )


def test_no_spanner_session_leaks(
    spanner: spanner_local.Endpoint, proxy: Proxy, database: str
) -> None:
    """Connections that open transactions, including ones that vanish mid-transaction or send
    garbage, give their Spanner sessions back."""
    with psycopg.connect(proxy.dsn(database), autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key)")
        conn.execute("select count(*) from t").fetchall()  # warms the shared session pool
    _wait_no_connections(proxy)
    baseline = _sessions(spanner, database)
    for i in range(5):
        sock = _ready(proxy, database)
        sock.sendall(_msg(b"Q", b"begin; insert into t values (%d)\0" % i))
        _read_messages(sock)
        if i % 2:
            sock.sendall(_msg(b"!", b""))  # protocol violation inside the transaction
        sock.close()  # gone without COMMIT or Terminate
    _wait_no_connections(proxy)
    deadline = time.monotonic() + 20
    while _sessions(spanner, database) > baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sessions(spanner, database) == baseline
    with psycopg.connect(proxy.dsn(database), autocommit=True) as conn:
        assert conn.execute("select count(*) from t").fetchone() == (0,)


def test_sync_closes_half_read_portals(proxy: Proxy, database: str) -> None:
    """Outside a transaction block Sync ends the portal: executing it again is an error."""
    sock = _ready(proxy, database)
    sock.sendall(
        _parse(b"q", b"select * from generate_series(1, 5) g(x)")
        + _bind(b"p", b"q", [])
        + _execute(b"p", 2)
        + _msg(b"S", b"")
    )
    assert b"".join(k for k, _ in _read_messages(sock)) == b"12DDsZ"
    sock.sendall(_execute(b"p", 2) + _msg(b"S", b""))
    msgs = _read_messages(sock)
    assert [k for k, _ in msgs] == [b"E", b"Z"] and _error_code(msgs[0][1]) == "34000"
    # inside a transaction block the portal lives on until COMMIT
    sock.sendall(
        _msg(b"Q", b"begin\0")
        + _bind(b"p", b"q", [])
        + _execute(b"p", 2)
        + _msg(b"S", b"")
        + _execute(b"p", 0)
        + _msg(b"S", b"")
    )
    msgs = _read_messages(sock)  # BEGIN's C, Z
    msgs = _read_messages(sock)
    assert b"".join(k for k, _ in msgs) == b"2DDsZ"
    msgs = _read_messages(sock)
    assert b"".join(k for k, _ in msgs) == b"DDDCZ"
    sock.close()


def _startup_with(proxy: Proxy, database: str, **params: str) -> list[tuple[bytes, bytes]]:
    body = struct.pack("!i", 196608)
    for k, v in {"user": "raw", "database": database, **params}.items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    with _connect(proxy) as sock:
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        return _read_messages(sock)


def _parameter_status(msgs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    pairs = [body.split(b"\0")[:2] for kind, body in msgs if kind == b"S"]
    return {k.decode(): v.decode() for k, v in pairs}


def test_startup_parameters_outside_options_are_settings(proxy: Proxy, database: str) -> None:
    """As in PostgreSQL: a known setting is applied (like `options -c`), an unknown one is
    FATAL 42704, a custom `x.y` one is kept, a bad value is refused."""
    msgs = _startup_with(proxy, database, TimeZone="Asia/Tokyo", **{"myapp.tenant": "7"})
    assert msgs[-1][0] == b"Z", msgs
    assert _parameter_status(msgs)["TimeZone"] == "Asia/Tokyo"
    msgs = _startup_with(proxy, database, foo="1")
    assert [k for k, _ in msgs] == [b"E"], msgs
    assert _error_code(msgs[0][1]) == "42704"
    assert b'unrecognized configuration parameter "foo"' in msgs[0][1]
    assert b"SFATAL" in msgs[0][1]
    msgs = _startup_with(proxy, database, **{"spanner.nonexistent": "1"})
    assert _error_code(msgs[0][1]) == "42704"
    msgs = _startup_with(proxy, database, statement_timeout="soon")
    assert msgs[0][0] == b"E" and _error_code(msgs[0][1]) == "22023", msgs
    msgs = _startup_with(proxy, database, **{"spanner.read_only_staleness": "MAX_STALENESS 10s"})
    assert msgs[-1][0] == b"Z", msgs
    _still_serving(proxy, database)


def test_startup_parameters_through_drivers(proxy: Proxy, database: str) -> None:
    """asyncpg's server_settings are startup parameters outside `options`."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(
            proxy.url(database), server_settings={"myapp.tenant": "7", "TimeZone": "Asia/Tokyo"}
        )
        try:
            assert await conn.fetchval("show myapp.tenant") == "7"
            assert await conn.fetchval("show timezone") == "Asia/Tokyo"
        finally:
            await conn.close()
        with pytest.raises(asyncpg.UndefinedObjectError, match='parameter "foo"'):
            await asyncpg.connect(proxy.url(database), server_settings={"foo": "1"})

    asyncio.run(run())
