"""TLS contexts for one instance: mutual TLS with the ephemeral client certificate, and the
server identity check built into the handshake itself.

The check lives in ``do_handshake`` of the socket/object classes the context creates, so every
path (blocking sockets, asyncio streams, asyncpg's own ``direct_tls`` connection) verifies the
server before a single byte of the database protocol is sent.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Callable

from .identity import ServerIdentity


class _VerifyingSSLSocket(ssl.SSLSocket):
    on_close: Callable[[], None] | None = None  # for the open-connections metric

    def _real_close(self) -> None:  # runs once, when the last file object is closed too
        callback, self.on_close = self.on_close, None
        super()._real_close()  # type: ignore[misc]
        if callback is not None:
            callback()

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        ctx = self.context
        if isinstance(ctx, InstanceSSLContext):
            ctx.identity.check_der(self.getpeercert(binary_form=True))


class _VerifyingSSLObject(ssl.SSLObject):
    def do_handshake(self) -> None:
        super().do_handshake()
        ctx = self.context
        if isinstance(ctx, InstanceSSLContext):
            ctx.identity.check_der(self.getpeercert(binary_form=True))


class InstanceSSLContext(ssl.SSLContext):
    """An ``SSLContext`` that also checks the server is the expected instance."""

    sslsocket_class = _VerifyingSSLSocket
    sslobject_class = _VerifyingSSLObject
    identity: ServerIdentity


def make_context(
    *,
    server_ca_pem: str,
    client_cert_pem: str,
    private_key_pem: bytes,
    identity: ServerIdentity,
    min_tls13: bool,
) -> InstanceSSLContext:
    """Build the client context. Blocking (it writes and reads a temp file): run off the loop."""
    ctx = InstanceSSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Hostname checking is replaced by `identity` (SAN or CN project:instance): instances are
    # dialled by IP and their certificates may carry only a CN, which `ssl` no longer matches.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3 if min_tls13 else ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cadata=server_ca_pem)
    ctx.identity = identity
    # `ssl` loads client keys only from files; keep the file private and short-lived.
    fd, path = tempfile.mkstemp(prefix="dbtools-connector-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(client_cert_pem.encode() + b"\n" + private_key_pem)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)
    return ctx
