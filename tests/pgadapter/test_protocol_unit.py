"""Frontend message parsing and backend message building, without any server."""

from __future__ import annotations

import asyncio
import struct

import pytest
from dbtools.pgadapter import protocol as p
from dbtools.pgadapter.errors import PgError, ProtocolError
from hypothesis import given
from hypothesis import strategies as st


def _startup(params: dict[str, str], version: int = 196608) -> bytes:
    body = struct.pack("!i", version)
    for k, v in params.items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    return body + b"\0"


def test_parse_startup_message() -> None:
    msg = p.parse_startup(_startup({"user": "u", "database": "d", "options": "-c x=1"}))
    assert isinstance(msg, p.StartupMessage)
    assert msg.params == {"user": "u", "database": "d", "options": "-c x=1"}


@pytest.mark.parametrize(
    ("code", "cls"),
    [(80877103, p.SSLRequest), (80877104, p.GSSENCRequest)],
)
def test_parse_negotiation_requests(code: int, cls: type) -> None:
    assert isinstance(p.parse_startup(struct.pack("!i", code)), cls)


def test_parse_cancel_request() -> None:
    msg = p.parse_startup(struct.pack("!iii", 80877102, 42, 7))
    assert msg == p.CancelRequest(42, 7)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\0\0",
        struct.pack("!i", 80877102) + b"\0\0\0\1",  # cancel without secret
        struct.pack("!i", 80877103) + b"x",  # SSLRequest with trailing bytes
        struct.pack("!i", 196608) + b"user\0u",  # unterminated value
        struct.pack("!i", 196608) + b"user\0u\0",  # no final terminator
        struct.pack("!i", 131072) + b"\0",  # protocol 2.0
    ],
)
def test_bad_startup_bodies(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        p.parse_startup(body)


def test_parse_extended_messages() -> None:
    parse = p.parse_frontend(b"P", b"s1\0select $1\0" + struct.pack("!hi", 1, 20))
    assert parse == p.Parse("s1", "select $1", [20])
    bind_body = (
        b"\0s1\0"
        + struct.pack("!hh", 1, 1)
        + struct.pack("!h", 2)
        + struct.pack("!i", 3)
        + b"abc"
        + struct.pack("!i", -1)
        + struct.pack("!hh", 1, 1)
    )
    assert p.parse_frontend(b"B", bind_body) == p.Bind("", "s1", [1], [b"abc", None], [1])
    assert p.parse_frontend(b"D", b"Sname\0") == p.Describe("S", "name")
    assert p.parse_frontend(b"C", b"P\0") == p.Close("P", "")
    assert p.parse_frontend(b"E", b"\0" + struct.pack("!i", 10)) == p.Execute("", 10)
    assert p.parse_frontend(b"S", b"") == p.Sync()
    assert p.parse_frontend(b"H", b"") == p.Flush()
    assert p.parse_frontend(b"X", b"") == p.Terminate()
    assert p.parse_frontend(b"Q", b"select 1\0") == p.Query("select 1")
    assert p.parse_frontend(b"p", b"secret\0") == p.PasswordMessage(b"secret")


def test_parse_oid_above_int32_is_unsigned() -> None:
    msg = p.parse_frontend(b"P", b"\0q\0" + struct.pack("!hI", 1, 0xFFFFFFF0))
    assert isinstance(msg, p.Parse) and msg.param_oids == [0xFFFFFFF0]


@pytest.mark.parametrize("kind", [b"!", b"\0", b"z", b"A"])
def test_unknown_message_types(kind: bytes) -> None:
    with pytest.raises(ProtocolError, match="invalid frontend message type"):
        p.parse_frontend(kind, b"")


def test_invalid_utf8_is_an_error_not_a_crash() -> None:
    with pytest.raises(PgError) as info:
        p.parse_frontend(b"Q", b"select '\xff'\0")
    assert info.value.sqlstate == "22021"


def test_bind_with_unsupported_format_code() -> None:
    body = b"\0\0" + struct.pack("!hh", 1, 7) + struct.pack("!h", 0) + struct.pack("!h", 0)
    with pytest.raises(ProtocolError, match="format code 7"):
        p.parse_frontend(b"B", body)


@given(st.sampled_from(list(b"PBDECSHXQpdcfF")), st.binary(max_size=64))
def test_random_bodies_raise_only_pg_errors(kind: int, body: bytes) -> None:
    """Whatever the bytes, parsing either succeeds or raises a PgError, nothing else."""
    try:
        p.parse_frontend(bytes([kind]), body)
    except PgError:
        pass


def test_read_message_rejects_bad_lengths() -> None:
    async def run(data: bytes) -> tuple[bytes, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await p.read_message(reader)

    assert asyncio.run(run(b"Q" + struct.pack("!i", 6) + b"x\0")) == (b"Q", b"x\0")
    with pytest.raises(ProtocolError):
        asyncio.run(run(b"Q" + struct.pack("!i", 3)))
    with pytest.raises(asyncio.IncompleteReadError):
        asyncio.run(run(b"Q" + struct.pack("!i", 50) + b"short"))


def test_backend_messages() -> None:
    assert p.ready_for_query("I") == b"Z\0\0\0\x05I"
    assert p.command_complete("SELECT 1") == b"C\0\0\0\x0dSELECT 1\0"
    assert p.data_row([b"1", None]) == b"D\0\0\0\x0f\0\x02\0\0\0\x011\xff\xff\xff\xff"
    desc = p.row_description([p.Column("a", 20, 8)], [1])
    assert desc == b"T" + struct.pack("!ih", 4 + 2 + 2 + 18, 1) + b"a\0" + struct.pack(
        "!IhIhih", 0, 0, 20, 8, -1, 1
    )
    err = p.error_response(PgError("boom", "42P01", detail="d", hint="h"))
    assert err.startswith(b"E") and b"C42P01\0" in err and b"Mboom\0" in err
    assert b"Dd\0" in err and b"Hh\0" in err and err.endswith(b"\0\0")
    assert (
        p.parameter_description([20, 0xFFFFFFF0]) == b"t\0\0\0\x0e\0\x02\0\0\0\x14\xff\xff\xff\xf0"
    )
