"""PostgreSQL v3 wire protocol: framing, frontend message parsing, backend message building.

Pure functions over bytes with no I/O and no session state, so every malformed input can be
tested directly. The asyncio server reads frames with `read_startup` / `read_message` and hands
the bodies to `parse_frontend`.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import PgError, ProtocolError

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102

# A startup packet larger than this is not a startup packet (PostgreSQL uses 10000 too).
MAX_STARTUP_LENGTH = 10_000
# Largest regular message accepted by default (--max-message-size): a Spanner request is at
# most 10 MiB per value and 100 MB per commit; PostgreSQL's own limit is 1 GB.
MAX_MESSAGE_LENGTH = 64 * 1024 * 1024

_I16 = struct.Struct("!h")
_U16 = struct.Struct("!H")
_I32 = struct.Struct("!i")
_U32 = struct.Struct("!I")


# --- frontend messages ---------------------------------------------------------------------


@dataclass
class StartupMessage:
    version: int
    params: dict[str, str]


@dataclass
class SSLRequest:
    pass


@dataclass
class GSSENCRequest:
    pass


@dataclass
class CancelRequest:
    process_id: int
    secret_key: int


@dataclass
class Query:
    sql: str


@dataclass
class Parse:
    name: str
    sql: str
    param_oids: list[int]


@dataclass
class Bind:
    portal: str
    statement: str
    param_formats: list[int]
    params: list[bytes | None]
    result_formats: list[int]


@dataclass
class Describe:
    kind: str  # "S" statement or "P" portal
    name: str


@dataclass
class Execute:
    portal: str
    max_rows: int


@dataclass
class Close:
    kind: str
    name: str


@dataclass
class Sync:
    pass


@dataclass
class Flush:
    pass


@dataclass
class Terminate:
    pass


@dataclass
class PasswordMessage:
    password: bytes


@dataclass
class CopyData:
    data: bytes


@dataclass
class CopyDone:
    pass


@dataclass
class CopyFail:
    message: str


@dataclass
class FunctionCall:
    oid: int = 0
    args: list[bytes | None] = field(default_factory=list)


StartupPacket = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest
FrontendMessage = (
    Query
    | Parse
    | Bind
    | Describe
    | Execute
    | Close
    | Sync
    | Flush
    | Terminate
    | PasswordMessage
    | CopyData
    | CopyDone
    | CopyFail
    | FunctionCall
)


class _Reader:
    """Bounds-checked cursor over one message body."""

    __slots__ = ("buf", "pos", "what")

    def __init__(self, buf: bytes, what: str) -> None:
        self.buf = buf
        self.pos = 0
        self.what = what

    def _truncated(self) -> ProtocolError:
        return ProtocolError(f"invalid {self.what} message: truncated or bad length field")

    def _need(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.buf):
            raise self._truncated()

    # int16/int32 let unpack_from do the bounds check: they run several times per Bind, and
    # a separate check was a good part of parsing one
    def int16(self) -> int:
        try:
            v: int = _I16.unpack_from(self.buf, self.pos)[0]
        except struct.error:
            raise self._truncated() from None
        self.pos += 2
        return v

    def int32(self) -> int:
        try:
            v: int = _I32.unpack_from(self.buf, self.pos)[0]
        except struct.error:
            raise self._truncated() from None
        self.pos += 4
        return v

    def byte(self) -> str:
        self._need(1)
        v = self.buf[self.pos : self.pos + 1]
        self.pos += 1
        return v.decode("latin-1")

    def raw(self, n: int) -> bytes:
        self._need(n)
        v = self.buf[self.pos : self.pos + n]
        self.pos += n
        return bytes(v)

    def cstring(self) -> str:
        end = self.buf.find(b"\0", self.pos)
        if end < 0:
            raise ProtocolError(f"invalid {self.what} message: string not terminated")
        raw = self.buf[self.pos : end]
        self.pos = end + 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PgError(
                f"invalid byte sequence for encoding UTF8 in {self.what} message", "22021"
            ) from None

    def count(self) -> int:
        """An element count: 16 bits, unsigned (0 to 65535), as PostgreSQL reads it."""
        return self.int16() & 0xFFFF

    def end(self) -> None:
        if self.pos != len(self.buf):
            raise ProtocolError(
                f"invalid {self.what} message: {len(self.buf) - self.pos} extra bytes"
            )


def parse_startup(body: bytes) -> StartupPacket:
    """Parse the body (after the length word) of the first packet of a connection."""
    r = _Reader(body, "startup")
    code = r.int32()
    if code == SSL_REQUEST:
        r.end()
        return SSLRequest()
    if code == GSSENC_REQUEST:
        r.end()
        return GSSENCRequest()
    if code == CANCEL_REQUEST:
        pid, key = r.int32(), r.int32()
        r.end()
        return CancelRequest(pid, key)
    if code >> 16 != 3:
        raise ProtocolError(
            f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: "
            "server supports 3.0 to 3.0"
        )
    params: dict[str, str] = {}
    while True:
        name = r.cstring()
        if not name:
            break
        params[name] = r.cstring()
    r.end()
    return StartupMessage(code, params)


def _parse_query(r: _Reader) -> Query:
    sql = r.cstring()
    r.end()
    return Query(sql)


def _parse_parse(r: _Reader) -> Parse:
    name, sql = r.cstring(), r.cstring()
    oids = [r.int32() & 0xFFFFFFFF for _ in range(r.count())]
    r.end()
    return Parse(name, sql, oids)


def _parse_bind(r: _Reader) -> Bind:
    portal, stmt = r.cstring(), r.cstring()
    formats = [r.int16() for _ in range(r.count())]
    params: list[bytes | None] = []
    for _ in range(r.count()):
        n = r.int32()
        if n < -1:
            raise ProtocolError("invalid Bind message: negative parameter length")
        params.append(None if n == -1 else r.raw(n))
    results = [r.int16() for _ in range(r.count())]
    r.end()
    for codes in (formats, results):
        for f in codes:
            if f != 0 and f != 1:
                raise ProtocolError(f"invalid Bind message: unsupported format code {f}")
    return Bind(portal, stmt, formats, params, results)


def _parse_describe(r: _Reader, what: str) -> Describe | Close:
    kind = r.byte()
    name = r.cstring()
    r.end()
    if kind not in ("S", "P"):
        raise ProtocolError(f"invalid {what} message subtype {kind!r}")
    return Describe(kind, name) if what == "Describe" else Close(kind, name)


def _parse_execute(r: _Reader) -> Execute:
    portal = r.cstring()
    max_rows = r.int32()
    r.end()
    return Execute(portal, max(max_rows, 0))


def _parse_empty(r: _Reader, msg: Sync | Flush | Terminate | CopyDone) -> FrontendMessage:
    r.end()
    return msg


def parse_frontend(kind: bytes, body: bytes) -> FrontendMessage:
    """Parse one regular frontend message (type byte + body without the length word)."""
    if kind == b"Q":
        return _parse_query(_Reader(body, "Query"))
    if kind == b"P":
        return _parse_parse(_Reader(body, "Parse"))
    if kind == b"B":
        return _parse_bind(_Reader(body, "Bind"))
    if kind == b"D":
        return _parse_describe(_Reader(body, "Describe"), "Describe")
    if kind == b"C":
        return _parse_describe(_Reader(body, "Close"), "Close")
    if kind == b"E":
        return _parse_execute(_Reader(body, "Execute"))
    if kind == b"S":
        return _parse_empty(_Reader(body, "Sync"), Sync())
    if kind == b"H":
        return _parse_empty(_Reader(body, "Flush"), Flush())
    if kind == b"X":
        return _parse_empty(_Reader(body, "Terminate"), Terminate())
    if kind == b"p":
        return PasswordMessage(body.rstrip(b"\0"))
    if kind == b"d":
        return CopyData(bytes(body))
    if kind == b"c":
        return _parse_empty(_Reader(body, "CopyDone"), CopyDone())
    if kind == b"f":
        r = _Reader(body, "CopyFail")
        return CopyFail(r.cstring())
    if kind == b"F":
        return FunctionCall()
    printable = kind.decode("latin-1")
    raise ProtocolError(f"invalid frontend message type {ord(printable) if printable else 0}")


# --- framing -------------------------------------------------------------------------------


async def read_startup(reader: asyncio.StreamReader) -> StartupPacket:
    """Read and parse one startup-phase packet; raises ProtocolError on bad framing."""
    head = await reader.readexactly(4)
    (length,) = _I32.unpack(head)
    if length < 8 or length > MAX_STARTUP_LENGTH:
        raise ProtocolError(f"invalid length of startup packet: {length}")
    return parse_startup(await reader.readexactly(length - 4))


async def read_message(
    reader: asyncio.StreamReader, max_length: int = MAX_MESSAGE_LENGTH
) -> tuple[bytes, bytes]:
    """Read one regular message frame: (type byte, body)."""
    kind, length = frame_header(await reader.readexactly(5), max_length)
    body = await reader.readexactly(length - 4) if length > 4 else b""
    return kind, body


def frame_header(head: bytes, max_length: int = MAX_MESSAGE_LENGTH) -> tuple[bytes, int]:
    """A regular message's type byte and length (which counts itself), checked."""
    kind = head[:1]
    (length,) = _I32.unpack_from(head, 1)
    if length < 4:
        raise ProtocolError(f"invalid message length {length} for message type {kind!r}")
    if length > max_length:
        raise ProtocolError(
            f"invalid message length {length} for message type {kind!r}: over the limit of "
            f"{max_length} bytes",
            detail="pgadapter's --max-message-size sets the limit.",
        )
    return kind, length


# --- backend messages ----------------------------------------------------------------------


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + _I32.pack(len(body) + 4) + body


def _cstr(s: str) -> bytes:
    return s.encode("utf-8") + b"\0"


AUTH_OK = _msg(b"R", _I32.pack(0))
AUTH_CLEARTEXT = _msg(b"R", _I32.pack(3))
PARSE_COMPLETE = _msg(b"1", b"")
BIND_COMPLETE = _msg(b"2", b"")
CLOSE_COMPLETE = _msg(b"3", b"")
NO_DATA = _msg(b"n", b"")
PORTAL_SUSPENDED = _msg(b"s", b"")
EMPTY_QUERY = _msg(b"I", b"")
SSL_NO = b"N"
SSL_YES = b"S"


def parameter_status(name: str, value: str) -> bytes:
    return _msg(b"S", _cstr(name) + _cstr(value))


def backend_key_data(pid: int, secret: int) -> bytes:
    return _msg(b"K", _I32.pack(pid) + _I32.pack(secret))


_READY = {status: _msg(b"Z", status.encode("ascii")) for status in "ITE"}


def ready_for_query(status: str) -> bytes:
    return _READY[status]


def command_complete(tag: str) -> bytes:
    return _msg(b"C", _cstr(tag))


def parameter_description(oids: Sequence[int]) -> bytes:
    return _msg(b"t", _U16.pack(len(oids)) + b"".join(_U32.pack(o) for o in oids))


@dataclass(frozen=True)
class Column:
    """One RowDescription field."""

    name: str
    type_oid: int
    type_size: int = -1
    type_mod: int = -1
    table_oid: int = 0
    column_number: int = 0


_FIELD_TAIL = struct.Struct("!IhIhih")


def row_description(columns: Sequence[Column], formats: Sequence[int]) -> bytes:
    parts = [_I16.pack(len(columns))]
    for col, fmt in zip(columns, formats, strict=False):
        parts.append(_cstr(col.name))
        parts.append(
            _FIELD_TAIL.pack(
                col.table_oid, col.column_number, col.type_oid, col.type_size, col.type_mod, fmt
            )
        )
    return _msg(b"T", b"".join(parts))


_NULL_FIELD = _I32.pack(-1)


_pack_i32 = _I32.pack
_pack_i16 = _I16.pack


def _as_is(v: bytes | None) -> bytes | None:
    return v


def data_row(values: Sequence[bytes | None]) -> bytes:
    """One DataRow of values already encoded (None is NULL)."""
    return data_rows([_as_is] * len(values), [values])


def data_rows(
    encoders: Sequence[Callable[[Any], bytes | None]], rows: Iterable[Sequence[Any]]
) -> bytes:
    """DataRow messages for rows, each value encoded by its column's encoder (None is NULL):
    one pass per row, the hot loop of every result."""
    count = _pack_i16(len(encoders))
    out: list[bytes] = []
    for row in rows:
        parts = [count]
        append = parts.append
        size = 6
        for enc, v in zip(encoders, row, strict=False):
            data = enc(v)
            if data is None:
                append(_NULL_FIELD)
                size += 4
            else:
                append(_pack_i32(len(data)))
                append(data)
                size += 4 + len(data)
        out.append(b"D" + _pack_i32(size) + b"".join(parts))
    return b"".join(out)


def _fields(err: PgError) -> bytes:
    parts = [
        b"S" + _cstr(err.severity),
        b"V" + _cstr(err.severity),
        b"C" + _cstr(err.sqlstate),
        b"M" + _cstr(err.message),
    ]
    if err.detail:
        parts.append(b"D" + _cstr(err.detail))
    if err.hint:
        parts.append(b"H" + _cstr(err.hint))
    if err.position:
        parts.append(b"P" + _cstr(str(err.position)))
    if getattr(err, "where", None):
        parts.append(b"W" + _cstr(err.where or ""))
    return b"".join(parts) + b"\0"


def error_response(err: PgError) -> bytes:
    return _msg(b"E", _fields(err))


def notice_response(message: str, severity: str = "NOTICE", sqlstate: str = "00000") -> bytes:
    return _msg(b"N", _fields(PgError(message, sqlstate, severity=severity)))


def copy_in_response(ncols: int, fmt: int = 0) -> bytes:
    """CopyInResponse: overall format 0 (text, csv) or 1 (binary), the same for every column."""
    return _msg(b"G", bytes([fmt]) + _pack_i16(ncols) + _pack_i16(fmt) * ncols)


def copy_out_response(ncols: int, fmt: int = 0) -> bytes:
    return _msg(b"H", bytes([fmt]) + _pack_i16(ncols) + _pack_i16(fmt) * ncols)


def copy_data(data: bytes) -> bytes:
    return b"d" + _I32.pack(len(data) + 4) + data


COPY_DONE = _msg(b"c", b"")
