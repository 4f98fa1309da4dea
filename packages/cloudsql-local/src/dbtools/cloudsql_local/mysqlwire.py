"""The few MySQL/MariaDB protocol packets the proxy reads or writes to rewrite a login.

Pure functions over bytes. Reference: MySQL "Connection Phase" protocol documentation.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

CLIENT_CONNECT_WITH_DB = 0x00000008
CLIENT_SSL = 0x00000800
CLIENT_SECURE_CONNECTION = 0x00008000
CLIENT_PLUGIN_AUTH = 0x00080000
CLIENT_CONNECT_ATTRS = 0x00100000
CLIENT_PLUGIN_AUTH_LENENC = 0x00200000

NATIVE_PASSWORD = "mysql_native_password"


class ProtocolError(ValueError):
    """The peer sent something that is not the MySQL protocol."""


def packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload


def header(data: bytes) -> tuple[int, int]:
    """(payload length, sequence id) of a 4-byte packet header."""
    return int.from_bytes(data[:3], "little"), data[3]


def _cstring(buf: bytes, pos: int) -> tuple[bytes, int]:
    end = buf.find(b"\x00", pos)
    if end < 0:
        raise ProtocolError("unterminated string in packet")
    return buf[pos:end], end + 1


def _lenenc_int(buf: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(buf):
        raise ProtocolError("truncated length-encoded integer")
    first = buf[pos]
    if first < 0xFB:
        return first, pos + 1
    width = {0xFC: 2, 0xFD: 3, 0xFE: 8}.get(first)
    if width is None:
        raise ProtocolError(f"invalid length-encoded integer prefix {first:#x}")
    return int.from_bytes(buf[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


def lenenc_int(value: int) -> bytes:
    if value < 0xFB:
        return bytes([value])
    if value < 1 << 16:
        return b"\xfc" + value.to_bytes(2, "little")
    if value < 1 << 24:
        return b"\xfd" + value.to_bytes(3, "little")
    return b"\xfe" + value.to_bytes(8, "little")


@dataclass
class ServerHandshake:
    scramble: bytes  # the 20-byte nonce for password scrambling
    plugin: str
    capabilities: int


def parse_server_handshake(payload: bytes) -> ServerHandshake:
    if not payload or payload[0] != 10:
        raise ProtocolError("server greeting is not a HandshakeV10")
    _, pos = _cstring(payload, 1)  # server version
    pos += 4  # connection id
    part1 = payload[pos : pos + 8]
    pos += 9  # + filler
    caps = int.from_bytes(payload[pos : pos + 2], "little")
    pos += 2 + 1 + 2  # lower caps, charset, status
    caps |= int.from_bytes(payload[pos : pos + 2], "little") << 16
    pos += 2
    auth_len = payload[pos]
    pos += 1 + 10  # auth data length, reserved (MariaDB extended caps live here)
    part2_len = max(13, auth_len - 8)
    part2 = payload[pos : pos + part2_len]
    pos += part2_len
    plugin = ""
    if caps & CLIENT_PLUGIN_AUTH and pos < len(payload):
        raw, _ = _cstring(payload + b"\x00", pos)
        plugin = raw.decode()
    return ServerHandshake((part1 + part2)[:20], plugin, caps)


@dataclass
class ClientLogin:
    """A HandshakeResponse41, split so that the user and auth data can be replaced."""

    capabilities: int
    fixed: bytes  # capability flags, max packet size, charset, 23-byte filler: passed through
    user: str
    auth: bytes
    database: bytes | None
    plugin: str | None
    attrs: bytes  # the raw connection-attributes block (length prefix included), or b""

    def build(self) -> bytes:
        out = bytearray(self.fixed)
        out += self.user.encode() + b"\x00"
        if self.capabilities & CLIENT_PLUGIN_AUTH_LENENC:
            out += lenenc_int(len(self.auth)) + self.auth
        elif self.capabilities & CLIENT_SECURE_CONNECTION:
            out += bytes([len(self.auth)]) + self.auth
        else:
            out += self.auth + b"\x00"
        if self.capabilities & CLIENT_CONNECT_WITH_DB:
            out += (self.database or b"") + b"\x00"
        if self.capabilities & CLIENT_PLUGIN_AUTH:
            out += (self.plugin or "").encode() + b"\x00"
        out += self.attrs
        return bytes(out)


def parse_client_login(payload: bytes) -> ClientLogin:
    if len(payload) < 32:
        raise ProtocolError("client handshake response is too short (SSL request?)")
    caps = int.from_bytes(payload[:4], "little")
    if caps & CLIENT_SSL and len(payload) == 32:
        raise ProtocolError("client asked for TLS inside the already encrypted connection")
    fixed = payload[:32]
    user, pos = _cstring(payload, 32)
    if caps & CLIENT_PLUGIN_AUTH_LENENC:
        n, pos = _lenenc_int(payload, pos)
        auth = payload[pos : pos + n]
        pos += n
    elif caps & CLIENT_SECURE_CONNECTION:
        n = payload[pos]
        auth = payload[pos + 1 : pos + 1 + n]
        pos += 1 + n
    else:
        auth, pos = _cstring(payload, pos)
    database = None
    if caps & CLIENT_CONNECT_WITH_DB and pos < len(payload):
        database, pos = _cstring(payload, pos)
    plugin = None
    if caps & CLIENT_PLUGIN_AUTH and pos < len(payload):
        raw, pos = _cstring(payload, pos)
        plugin = raw.decode()
    attrs = payload[pos:] if caps & CLIENT_CONNECT_ATTRS else b""
    return ClientLogin(caps, fixed, user.decode("utf-8", "replace"), auth, database, plugin, attrs)


def native_password(password: str, scramble: bytes) -> bytes:
    """mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    stage1 = hashlib.sha1(password.encode()).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(scramble[:20] + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix, strict=True))


def error_packet(seq: int, message: str, errno: int = 1045, sqlstate: str = "28000") -> bytes:
    payload = b"\xff" + struct.pack("<H", errno) + b"#" + sqlstate.encode()[:5] + message.encode()
    return packet(seq, payload)


def parse_auth_switch(payload: bytes) -> tuple[str, bytes]:
    """(plugin name, new scramble) from an AuthSwitchRequest (0xFE) payload."""
    name, pos = _cstring(payload, 1)
    data = payload[pos:]
    return name.decode(), data.rstrip(b"\x00")
