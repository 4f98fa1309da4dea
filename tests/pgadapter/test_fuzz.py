"""Generated protocol input, bounded and reproducible (hypothesis, derandomized): the message
parser fails only with PostgreSQL errors, and the server, fed generated message sequences,
stays responsive, drops every fuzzed connection, and holds no memory for them afterwards."""

from __future__ import annotations

import gc
import socket
import struct
import time
import tracemalloc

import psycopg
from dbtools.pgadapter import PgError, Proxy, protocol
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KINDS = b"QPBDCESHXdcfFp"

FIXED = settings(
    derandomize=True,  # the same cases on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _cstr(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass").replace(b"\0", b"") + b"\0"


# message bodies close enough to real ones to get past the first checks, and random bytes
sql = st.sampled_from(
    ["select 1", "select $1", "select $70000", "begin", "commit", "rollback", "set x = 1",
     "show all", "copy t from stdin", "fetch 1 from c", "", ";;", "select 'unterminated",
     "/* /* */", "declare c cursor for select 1", "prepare p as select $1", "execute p(1)"]
) | st.text(max_size=40)  # fmt: skip
int16 = st.integers(-(2**15), 2**15 - 1)
parse_body = st.builds(
    lambda name, q, oids: _cstr(name) + _cstr(q) + struct.pack("!h", len(oids))
    + b"".join(struct.pack("!i", o) for o in oids),
    st.sampled_from(["", "s"]), sql, st.lists(st.integers(0, 4000), max_size=4),
)  # fmt: skip
bind_body = st.builds(
    lambda portal, stmt, fmts, params, count: _cstr(portal) + _cstr(stmt)
    + struct.pack("!h", len(fmts)) + b"".join(struct.pack("!h", f) for f in fmts)
    + struct.pack("!h", count)
    + b"".join(struct.pack("!i", len(v)) + v for v in params) + b"\0\0",
    st.sampled_from(["", "p"]), st.sampled_from(["", "s"]), st.lists(int16, max_size=3),
    st.lists(st.binary(max_size=8), max_size=3), int16,
)  # fmt: skip
body = st.one_of(
    sql.map(_cstr), parse_body, bind_body, st.binary(max_size=64),
    st.sampled_from([b"", b"S\0", b"Ps\0", b"\0\0\0\0\0", b"\xff\xfe\xfd"]),
)  # fmt: skip
message = st.tuples(st.sampled_from([bytes([k]) for k in KINDS]), body, st.integers(-8, 8))


def _frame(kind: bytes, payload: bytes, skew: int) -> bytes:
    """A message; `skew` mostly 0, else a wrong length field (which desynchronizes framing)."""
    length = len(payload) + 4 + (skew if abs(skew) > 6 else 0)
    return kind + struct.pack("!i", length) + payload


@settings(FIXED, max_examples=1500)
@given(kind=st.sampled_from([bytes([k]) for k in KINDS]), payload=body)
def test_the_parser_fails_only_with_postgresql_errors(kind: bytes, payload: bytes) -> None:
    try:
        protocol.parse_frontend(kind, payload)
    except PgError as exc:
        assert len(exc.sqlstate) == 5


def _startup(database: str) -> bytes:
    pairs = f"user\0fuzz\0database\0{database}\0\0".encode()
    return struct.pack("!ii", len(pairs) + 8, 196608) + pairs


def _drain(sock: socket.socket) -> None:
    """Read what the server answers until it goes quiet or closes."""
    sock.settimeout(0.3)
    try:
        while sock.recv(65536):
            pass
    except (TimeoutError, ConnectionError):
        pass


def test_the_server_survives_generated_message_sequences(proxy: Proxy, database: str) -> None:
    gc.collect()
    tracemalloc.start(5)
    try:
        before = tracemalloc.take_snapshot()
        with psycopg.connect(proxy.dsn(database), autocommit=True) as probe:
            baseline = proxy.server.connection_count

            @settings(FIXED, max_examples=60)
            @given(st.lists(message, min_size=1, max_size=8))
            def run(messages: list[tuple[bytes, bytes, int]]) -> None:
                with socket.create_connection((proxy.host, proxy.port), timeout=10) as sock:
                    sock.sendall(_startup(database))
                    data = b"".join(_frame(*m) for m in messages)
                    try:
                        sock.sendall(data + b"S\0\0\0\4")
                    except ConnectionError:
                        pass  # the server ended the connection: a fatal protocol error
                    _drain(sock)
                # every connection stays responsive
                assert probe.execute("select 1").fetchone() == (1,)

            run()
            deadline = time.monotonic() + 30
            while proxy.server.connection_count > baseline and time.monotonic() < deadline:
                time.sleep(0.05)
            assert proxy.server.connection_count == baseline  # no fuzzed connection left
            assert probe.execute("select 2").fetchone() == (2,)
        gc.collect()
        time.sleep(0.5)  # sessions are closed on worker threads
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    held = sum(
        stat.size_diff
        for stat in after.compare_to(before, "filename")
        if "dbtools/pgadapter" in stat.traceback[0].filename
    )
    assert held < 128 * 1024, f"{held} bytes still held by pgadapter after the fuzz cases"
