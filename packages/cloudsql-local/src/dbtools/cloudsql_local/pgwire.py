"""The few PostgreSQL wire-protocol messages the proxy reads or writes to rewrite a login.

Pure functions over bytes. Protocol reference: PostgreSQL docs, "Message Formats".
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP_LENGTH = 10_000  # the server's own limit

AUTH_OK = 0
AUTH_CLEARTEXT = 3
AUTH_MD5 = 5
AUTH_SASL = 10
AUTH_SASL_CONTINUE = 11
AUTH_SASL_FINAL = 12
AUTH_NAMES = {
    2: "Kerberos",
    3: "cleartext password",
    5: "MD5 password",
    7: "GSSAPI",
    9: "SSPI",
    10: "SASL (SCRAM)",
}


class ProtocolError(ValueError):
    """The peer sent something that is not the PostgreSQL protocol."""


@dataclass
class StartupPacket:
    code: int
    params: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""

    @property
    def user(self) -> str:
        return self.params.get("user", "")


def startup_length(header: bytes) -> int:
    """Total length of a startup-phase packet from its first 4 bytes (validated)."""
    (length,) = struct.unpack("!I", header[:4])
    if not 8 <= length <= MAX_STARTUP_LENGTH:
        raise ProtocolError(f"invalid startup packet length {length}")
    return length


def parse_startup(packet: bytes) -> StartupPacket:
    """Parse a complete startup-phase packet (length prefix included)."""
    length, code = struct.unpack("!II", packet[:8])
    if length != len(packet):
        raise ProtocolError("startup packet length does not match its header")
    if code != PROTOCOL_3_0:
        return StartupPacket(code, {}, packet)
    body = packet[8:]
    if not body.endswith(b"\x00"):
        raise ProtocolError("startup packet is not NUL-terminated")
    items = body[:-1].split(b"\x00")
    if items and items[-1] == b"":
        items = items[:-1]
    if len(items) % 2:
        raise ProtocolError("startup packet has a parameter name without a value")
    try:
        params = {
            items[i].decode("utf-8"): items[i + 1].decode("utf-8") for i in range(0, len(items), 2)
        }
    except UnicodeDecodeError as exc:
        raise ProtocolError("startup packet parameters are not UTF-8") from exc
    return StartupPacket(code, params, packet)


def build_startup(params: dict[str, str]) -> bytes:
    body = b"".join(k.encode() + b"\x00" + v.encode() + b"\x00" for k, v in params.items())
    body += b"\x00"
    return struct.pack("!II", 8 + len(body), PROTOCOL_3_0) + body


def error_response(message: str, code: str = "28000", severity: str = "FATAL") -> bytes:
    fields = b"".join(
        tag + value.encode() + b"\x00"
        for tag, value in ((b"S", severity), (b"V", severity), (b"C", code), (b"M", message))
    )
    body = fields + b"\x00"
    return b"E" + struct.pack("!I", 4 + len(body)) + body


def parse_error_message(body: bytes) -> str:
    """The M field of an ErrorResponse body."""
    for part in body.split(b"\x00"):
        if part.startswith(b"M"):
            return part[1:].decode("utf-8", "replace")
    return "unknown error"


def password_message(password: str) -> bytes:
    body = password.encode() + b"\x00"
    return b"p" + struct.pack("!I", 4 + len(body)) + body


def sasl_initial_response(mechanism: str, data: bytes) -> bytes:
    body = mechanism.encode() + b"\x00" + struct.pack("!i", len(data)) + data
    return b"p" + struct.pack("!I", 4 + len(body)) + body


def sasl_response(data: bytes) -> bytes:
    return b"p" + struct.pack("!I", 4 + len(data)) + data


def sasl_mechanisms(body: bytes) -> list[str]:
    """Mechanism names of an AuthenticationSASL message (body after the method code)."""
    return [m.decode() for m in body.split(b"\x00") if m]


def md5_password(user: str, password: str, salt: bytes) -> str:
    inner = hashlib.md5((password + user).encode()).hexdigest()
    return "md5" + hashlib.md5(inner.encode() + salt).hexdigest()


def message_header(header: bytes) -> tuple[bytes, int]:
    """(type byte, body length) of a regular message's 5-byte header."""
    tag = header[:1]
    (length,) = struct.unpack("!I", header[1:5])
    if length < 4:
        raise ProtocolError(f"invalid message length {length}")
    return tag, length - 4
