"""The listener's own protocol bytes, decoded the way clients decode them."""

from __future__ import annotations

import struct

from dbtools.connector import wire


def test_pg_error_is_a_well_formed_error_response() -> None:
    data = wire.pg_error("no cert for x\0y")
    assert data[:1] == b"E"
    (length,) = struct.unpack("!i", data[1:5])
    assert length == len(data) - 1
    fields = dict((f[:1], f[1:].decode()) for f in data[5:].split(b"\0") if f)
    assert fields[b"S"] == "FATAL"
    assert fields[b"C"] == "08001"
    assert fields[b"M"] == "no cert for x y"


def test_mysql_error_is_an_err_packet() -> None:
    data = wire.mysql_error("boom")
    length = int.from_bytes(data[:3], "little")
    assert length == len(data) - 4
    assert data[3] == 0  # sequence id
    assert data[4] == 0xFF
    assert struct.unpack("<H", data[5:7])[0] == 2003
    assert data[7:] == b"boom"


def test_startup_request_codes() -> None:
    assert wire.pg_request_code(struct.pack("!ii", 8, 80877103)) == (8, wire.SSL_REQUEST)
    assert wire.GSSENC_REQUEST in wire.DECLINED_REQUESTS
    assert wire.CANCEL_REQUEST not in wire.DECLINED_REQUESTS


def test_listener_failures_round_trip_through_client_error_text() -> None:
    from dbtools.connector import ServerIdentityError

    text = wire.failure_text(ServerIdentityError("cert for proj:other\nsee docs"))
    client_says = f"connection failed: FATAL:  {text}\n"
    assert wire.parse_failure(client_says) == (
        "ServerIdentityError",
        "cert for proj:other\nsee docs",
    )
    assert wire.parse_failure("FATAL: password authentication failed") is None
