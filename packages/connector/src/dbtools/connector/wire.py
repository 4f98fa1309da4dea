"""The few bytes of the PostgreSQL and MySQL protocols the local listener must speak itself:
declining TLS/GSS requests (the hop to the instance is already TLS), and reporting a failure to
the client in its own protocol so that psql or mysql print our message. Pure functions."""

from __future__ import annotations

import re
import struct

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102

# PostgreSQL startup-phase requests the listener answers with "N" (not supported here).
DECLINED_REQUESTS = frozenset({SSL_REQUEST, GSSENC_REQUEST})


def pg_request_code(header: bytes) -> tuple[int, int]:
    """(length, code) of the first 8 bytes of an untyped startup-phase message."""
    length, code = struct.unpack("!ii", header)
    return length, code


def pg_error(message: str, sqlstate: str = "08001") -> bytes:
    """An ErrorResponse ('E') with severity FATAL."""
    fields = b""
    for tag, value in (
        (b"S", "FATAL"),
        (b"V", "FATAL"),
        (b"C", sqlstate),
        (b"M", message),
    ):
        fields += tag + value.encode("utf-8", "replace").replace(b"\0", b" ") + b"\0"
    fields += b"\0"
    return b"E" + struct.pack("!i", len(fields) + 4) + fields


def mysql_error(message: str, errno: int = 2003) -> bytes:
    """An ERR packet as the server's first packet (before the handshake: no SQL state)."""
    payload = b"\xff" + struct.pack("<H", errno) + message.encode("utf-8", "replace")[:65000]
    return struct.pack("<I", len(payload))[:3] + b"\x00" + payload


def error_packet(engine: str, message: str) -> bytes:
    return mysql_error(message) if engine == "mysql" else pg_error(message)


# How the listener words a failure, so that the in-process callers can raise the same type.
_PREFIX = "dbtools-connector"
_PARSE = re.compile(_PREFIX + r": (?P<kind>[A-Za-z]+Error): (?P<message>.*)", re.DOTALL)


def failure_text(exc: BaseException) -> str:
    return f"{_PREFIX}: {type(exc).__name__}: {exc}"


def parse_failure(text: str) -> tuple[str, str] | None:
    """(error class name, message) from a client's error text, if the listener wrote it."""
    match = _PARSE.search(text)
    if not match:
        return None
    return match["kind"], match["message"].strip()
