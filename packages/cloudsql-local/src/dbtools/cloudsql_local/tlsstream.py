"""Server-side TLS over an asyncio stream pair, through ssl.MemoryBIO.

asyncio's own TLS transport closes the socket without sending the alert when a handshake fails,
so a refused client would only see EOF. Driving the TLS object ourselves lets the refusal reach
the client as the real alert (certificate required, unknown CA, certificate expired...), and
lets the proxy pick the server certificate per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

_CHUNK = 65536


class TlsStream:
    """Reader/writer interface (read, readexactly, write, drain, close) over TLS."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ctx: ssl.SSLContext
    ) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.ssl = ctx.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self.raw_reader = reader
        self.raw_writer = writer
        self._buffer = bytearray()

    def _send_pending(self) -> None:
        # Synchronous, so records from concurrent readers and writers never interleave.
        data = self._outgoing.read()
        if data and not self.raw_writer.is_closing():
            self.raw_writer.write(data)

    async def _feed(self) -> bool:
        data = await self.raw_reader.read(_CHUNK)
        if not data:
            self._incoming.write_eof()
            return False
        self._incoming.write(data)
        return True

    async def handshake(self) -> None:
        """Complete the handshake; on failure the alert is sent before SSLError propagates."""
        while True:
            try:
                self.ssl.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._send_pending()
                await self.raw_writer.drain()
                if not await self._feed():
                    raise ConnectionResetError("client closed during the TLS handshake") from None
            except ssl.SSLError:
                self._send_pending()
                with contextlib.suppress(OSError):
                    await self.raw_writer.drain()
                raise
        self._send_pending()  # the server's last flight and session tickets
        await self.raw_writer.drain()

    def peer_certificate(self) -> bytes | None:
        return self.ssl.getpeercert(binary_form=True)

    async def read(self, n: int = _CHUNK) -> bytes:
        if self._buffer:
            data = bytes(self._buffer[:n])
            del self._buffer[:n]
            return data
        while True:
            try:
                return self.ssl.read(n)
            except ssl.SSLWantReadError:
                self._send_pending()
                if not await self._feed():
                    continue  # the next read reports the EOF
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    async def readexactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            try:
                chunk = self.ssl.read(_CHUNK)
            except ssl.SSLWantReadError:
                self._send_pending()
                await self._feed()  # at EOF, the next read raises SSLEOFError
                continue
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                chunk = b""
            if not chunk:
                raise asyncio.IncompleteReadError(bytes(self._buffer), n)
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def write(self, data: bytes) -> None:
        self.ssl.write(data)
        self._send_pending()

    async def drain(self) -> None:
        await self.raw_writer.drain()

    def close(self) -> None:
        with contextlib.suppress(ssl.SSLError, OSError, ValueError):
            self.ssl.unwrap()  # queue close_notify
        with contextlib.suppress(Exception):
            self._send_pending()
        self.raw_writer.close()
