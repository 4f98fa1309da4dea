"""The server-side proxy of one instance: TLS 1.3 with a required client certificate on
ip:3307, then the bytes piped to the real database, rewriting the login for IAM users.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509

from . import mysqlwire, pgwire
from .ca import InstanceCertificates, ServerIdentity, pem
from .config import Instance, iam_user_for
from .faults import Faults
from .scram import MECHANISM as SCRAM_MECHANISM
from .scram import ScramClient, ScramError
from .tlsstream import TlsStream

log = logging.getLogger(__name__)
_CHUNK = 65536
_HANDSHAKE_TIMEOUT = 15.0
_PRUNE_ABOVE = 1000


@dataclass(frozen=True)
class Grant:
    """What an ephemeral client certificate was issued with."""

    principal: str | None  # the IAM principal of the login token, None without IAM
    token_expiry: datetime | None


class GrantBook:
    """Client certificate serial -> Grant (thread-safe; the Admin API writes, proxies read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[int, Grant] = {}
        self._expiry: dict[int, datetime] = {}

    def add(self, serial: int, grant: Grant, cert_expiry: datetime | None = None) -> None:
        with self._lock:
            self._grants[serial] = grant
            if cert_expiry is not None:
                self._expiry[serial] = cert_expiry
            if len(self._grants) > _PRUNE_ABOVE:
                # A long-running emulator issues a certificate per refresh: forget the ones
                # that can no longer complete a handshake.
                now = datetime.now(timezone.utc)
                for old in [s for s, t in self._expiry.items() if t < now]:
                    del self._expiry[old]
                    self._grants.pop(old, None)

    def get(self, serial: int) -> Grant | None:
        with self._lock:
            return self._grants.get(serial)


class LoginRefused(Exception):
    """The proxy refused a database login (message goes to the client)."""


class BackendUnavailable(Exception):
    """The backend database could not be reached or did not answer in time; the message goes
    to the client in its protocol. `mysql_seq`: sequence number of that MySQL error packet."""

    def __init__(self, message: str, mysql_seq: int = 0) -> None:
        super().__init__(message)
        self.mysql_seq = mysql_seq


def _server_context(
    identity: ServerIdentity, client_ca_pem: str, folder: Path, tag: str
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=client_ca_pem)
    cert_file = folder / f"{tag}.crt"
    key_file = folder / f"{tag}.key"
    cert_file.write_text(identity.chain_pem)
    key_file.write_text(identity.key_pem)
    key_file.chmod(0o600)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


class InstanceProxy:
    """Listens on every address of one instance."""

    def __init__(
        self,
        instance: Instance,
        certs: InstanceCertificates,
        faults: Faults,
        grants: GrantBook,
        folder: Path,
        backend_timeout: float = 10.0,
    ) -> None:
        self.instance = instance
        self._backend_timeout = backend_timeout
        self._faults = faults
        self._grants = grants
        self._servers: list[asyncio.Server] = []
        # client transport -> backend transport (None until the backend is dialled)
        self._connections: dict[asyncio.StreamWriter, asyncio.StreamWriter | None] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # backend connections still in a login (not yet in _connections), by handler task
        self._logging_in: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.accepted = 0  # TCP connections ever accepted (tests: "nothing was dialled")
        client_ca = pem(certs.client_ca.cert)
        tag = instance.name
        self._good = _server_context(certs.server, client_ca, folder, tag)
        self._wrong = _server_context(certs.wrong_server, client_ca, folder, tag + "-wrong")

    async def listen(self, address: str) -> None:
        server = await asyncio.start_server(
            self._on_connection, host=address, port=self.instance.port, reuse_address=True
        )
        self._servers.append(server)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        self.close_connections()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        if self._tasks:
            # Aborted transports end their handlers; cancelling them instead makes asyncio log
            # a spurious error for every connection.
            _, stuck = await asyncio.wait(set(self._tasks), timeout=5)
            for task in stuck:
                task.cancel()
            if stuck:
                await asyncio.wait(stuck, timeout=1)
        self._servers.clear()

    def close_connections(self) -> int:
        """Drop every open client connection (like a failover); returns how many."""
        count = len(self._connections)
        for client, backend in list(self._connections.items()):
            client.transport.abort()
            if backend is not None:
                backend.transport.abort()
        for backend in list(self._logging_in.values()):
            backend.transport.abort()  # ends a wait for the backend's answer at once
        return count

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    async def _on_connection(
        self, raw_reader: asyncio.StreamReader, raw_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._connections[raw_writer] = None
        self.accepted += 1
        backend: asyncio.StreamWriter | None = None
        # Chosen per connection, so the fault knob acts on new connections at once.
        ctx = self._wrong if self._faults.wrong_server_identity else self._good
        client = TlsStream(raw_reader, raw_writer, ctx)
        try:
            if self._faults.refuse_connections:
                raw_writer.transport.abort()
                return
            delay = self._faults.latency + self.instance.latency
            if delay:
                # Before reading the ClientHello: the client waits `delay` for the server's
                # first flight, as it would for a server that far away.
                await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(client.handshake(), _HANDSHAKE_TIMEOUT)
            except ssl.SSLError as exc:
                log.info("%s: TLS handshake refused: %s", self.instance.connection_name, exc)
                return
            grant = self._grant_of(client)
            if self.instance.engine == "postgres":
                b_reader, backend = await self._postgres_login(client, grant)
            else:
                b_reader, backend = await self._mysql_login(client, grant)
            self._connections[raw_writer] = backend
            await _pipe_both(client, b_reader, backend)
        except LoginRefused as exc:
            log.info("%s: login refused: %s", self.instance.connection_name, exc)
        except BackendUnavailable as exc:
            log.warning("%s", exc)
            with contextlib.suppress(OSError, ssl.SSLError):
                client.write(self._backend_error(exc))
                await asyncio.wait_for(client.drain(), self._backend_timeout)
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.TimeoutError,  # not yet the builtin TimeoutError on Python 3.10
            ssl.SSLError,
        ) as exc:
            log.debug("%s: connection ended: %r", self.instance.connection_name, exc)
        except (pgwire.ProtocolError, mysqlwire.ProtocolError) as exc:
            log.info("%s: protocol error: %s", self.instance.connection_name, exc)
        finally:
            self._connections.pop(raw_writer, None)
            with contextlib.suppress(Exception):
                client.close()
            if backend is not None:
                with contextlib.suppress(Exception):
                    backend.close()
            if task is not None:
                self._tasks.discard(task)
                self._logging_in.pop(task, None)

    def _grant_of(self, client: TlsStream) -> Grant | None:
        der = client.peer_certificate()
        if not der:
            return None
        return self._grants.get(x509.load_der_x509_certificate(der).serial_number)

    @property
    def _backend_where(self) -> str:
        inst = self.instance
        return f"the backend of {inst.connection_name} at {inst.backend_host}:{inst.backend_port}"

    def _backend_error(self, exc: BackendUnavailable) -> bytes:
        if self.instance.engine == "postgres":
            return pgwire.error_response(str(exc), code="08001")
        return mysqlwire.error_packet(exc.mysql_seq, str(exc), errno=2003, sqlstate="08S01")

    async def _open_backend(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to the real database within the backend timeout."""
        check = "check the instance's backend setting and that the database server is running"
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.instance.backend_host, self.instance.backend_port),
                self._backend_timeout,
            )
        except asyncio.TimeoutError:
            raise BackendUnavailable(
                f"cloudsql-local: {self._backend_where} did not accept a connection within "
                f"{self._backend_timeout:g} s; {check}"
            ) from None
        except OSError as exc:
            raise BackendUnavailable(
                f"cloudsql-local: cannot reach {self._backend_where}: "
                f"{exc.strerror or exc}; {check}"
            ) from exc
        task = asyncio.current_task()
        if task is not None:
            self._logging_in[task] = writer
        return reader, writer

    async def _backend_read(self, reader: asyncio.StreamReader, n: int) -> bytes:
        """`n` bytes from the backend during a login the proxy drives, within the timeout."""
        try:
            return await asyncio.wait_for(reader.readexactly(n), self._backend_timeout)
        except asyncio.TimeoutError:
            raise BackendUnavailable(
                f"cloudsql-local: {self._backend_where} accepted the connection but did not "
                f"answer within {self._backend_timeout:g} s; is it a database server, and not "
                "overloaded?"
            ) from None

    async def _backend_first_reply(self, b_reader: asyncio.StreamReader, client: TlsStream) -> None:
        """Pass on the backend's first bytes once they come: a backend that accepts and never
        answers is reported to the client instead of leaving it waiting."""
        try:
            data = await asyncio.wait_for(b_reader.read(_CHUNK), self._backend_timeout)
        except asyncio.TimeoutError:
            data = None
        if not data:
            what = "closed the connection" if data == b"" else "sent nothing"
            raise BackendUnavailable(
                f"cloudsql-local: {self._backend_where} accepted the connection but {what} "
                f"within {self._backend_timeout:g} s; is it a database server, and not "
                "overloaded?"
            )
        client.write(data)

    def _check_iam_user(self, grant: Grant, user: str) -> str:
        """The backend role for an IAM login, or LoginRefused."""
        assert grant.principal is not None
        expected = iam_user_for(self.instance.engine, grant.principal)
        if user != expected:
            raise LoginRefused(
                f"Cloud SQL IAM user authentication failed for user {user!r}: the client "
                f"certificate was issued for IAM principal {grant.principal!r} "
                f"(database user {expected!r})"
            )
        if grant.token_expiry is not None and grant.token_expiry <= datetime.now(timezone.utc):
            raise LoginRefused(
                f"Cloud SQL IAM user authentication failed for user {user!r}: the login token "
                "of the client certificate has expired; fetch a new ephemeral certificate"
            )
        return self.instance.iam_roles.get(user, user)

    # --- PostgreSQL -------------------------------------------------------------------------

    async def _postgres_login(
        self, client: TlsStream, grant: Grant | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader = writer = client
        while True:
            head = await reader.readexactly(4)
            startup = pgwire.parse_startup(
                head + await reader.readexactly(pgwire.startup_length(head) - 4)
            )
            if startup.code in (pgwire.SSL_REQUEST, pgwire.GSSENC_REQUEST):
                writer.write(b"N")  # already inside TLS: decline a second layer
                await writer.drain()
                continue
            break
        iam = grant is not None and grant.principal is not None
        if startup.code != pgwire.PROTOCOL_3_0 or not iam:
            b_reader, b_writer = await self._open_backend()
            b_writer.write(startup.raw)
            if startup.code != pgwire.PROTOCOL_3_0:
                return b_reader, b_writer  # a CancelRequest: the server answers nothing
            try:
                await self._backend_first_reply(b_reader, writer)
            except BaseException:
                b_writer.close()
                raise
            return b_reader, b_writer
        assert grant is not None
        try:
            role = self._check_iam_user(grant, startup.user)
        except LoginRefused as exc:
            writer.write(pgwire.error_response(str(exc)))
            await writer.drain()
            raise
        b_reader, b_writer = await self._open_backend()
        try:
            await self._postgres_backend_auth(b_reader, b_writer, writer, startup.params, role)
        except BaseException:
            b_writer.close()
            raise
        return b_reader, b_writer

    async def _postgres_backend_auth(
        self,
        b_reader: asyncio.StreamReader,
        b_writer: asyncio.StreamWriter,
        client: TlsStream,
        params: dict[str, str],
        role: str,
    ) -> None:
        b_writer.write(pgwire.build_startup({**params, "user": role}))
        password = self.instance.backend_passwords.get(role)
        scram: ScramClient | None = None
        while True:
            head = await self._backend_read(b_reader, 5)
            tag, length = pgwire.message_header(head)
            body = await self._backend_read(b_reader, length)
            if tag == b"E":
                client.write(head + body)
                raise LoginRefused(pgwire.parse_error_message(body))
            if tag != b"R":
                client.write(head + body)
                continue
            method, data = int.from_bytes(body[:4], "big"), body[4:]
            if method == pgwire.AUTH_OK:
                client.write(head + body)
                return
            reply = None
            if password is not None:
                try:
                    reply = self._postgres_auth_step(method, data, role, password, scram)
                except ScramError as exc:
                    message = f"cloudsql-local could not log in to the backend as {role!r}: {exc}"
                    client.write(pgwire.error_response(message))
                    raise LoginRefused(message) from exc
            if reply is None:
                name = pgwire.AUTH_NAMES.get(method, f"method {method}")
                message = (
                    f"cloudsql-local cannot log in to the backend as role {role!r}: the server "
                    f"asks for {name} authentication; allow it with trust in pg_hba.conf, or set "
                    "the role's password in the instance's backend_passwords (password, md5 and "
                    "SCRAM-SHA-256 are supported)"
                )
                client.write(pgwire.error_response(message))
                raise LoginRefused(message)
            message_bytes, scram = reply
            b_writer.write(message_bytes)

    @staticmethod
    def _postgres_auth_step(
        method: int, data: bytes, role: str, password: str, scram: ScramClient | None
    ) -> tuple[bytes, ScramClient | None] | None:
        """The answer to one authentication request, or None if it is not supported."""
        if method == pgwire.AUTH_CLEARTEXT:
            return pgwire.password_message(password), scram
        if method == pgwire.AUTH_MD5:
            return pgwire.password_message(pgwire.md5_password(role, password, data[:4])), scram
        if method == pgwire.AUTH_SASL and SCRAM_MECHANISM in pgwire.sasl_mechanisms(data):
            scram = ScramClient(password)
            return pgwire.sasl_initial_response(SCRAM_MECHANISM, scram.first()), scram
        if method == pgwire.AUTH_SASL_CONTINUE and scram is not None:
            return pgwire.sasl_response(scram.final(data)), scram
        if method == pgwire.AUTH_SASL_FINAL and scram is not None:
            scram.verify(data)
            return b"", scram  # AuthenticationOk follows
        return None

    # --- MySQL ------------------------------------------------------------------------------

    async def _mysql_login(
        self, client: TlsStream, grant: Grant | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        b_reader, b_writer = await self._open_backend()
        try:
            if grant is None or grant.principal is None:
                await self._backend_first_reply(b_reader, client)  # the server greeting
                return b_reader, b_writer
            await self._mysql_iam(client, b_reader, b_writer, grant)
        except BaseException:
            b_writer.close()
            raise
        return b_reader, b_writer

    async def _mysql_iam(
        self,
        client: TlsStream,
        b_reader: asyncio.StreamReader,
        b_writer: asyncio.StreamWriter,
        grant: Grant,
    ) -> None:
        reader = writer = client
        length, _ = mysqlwire.header(head := await self._backend_read(b_reader, 4))
        greeting = await self._backend_read(b_reader, length)
        hello = mysqlwire.parse_server_handshake(greeting)
        writer.write(head + greeting)
        length, seq = mysqlwire.header(await reader.readexactly(4))
        login = mysqlwire.parse_client_login(await reader.readexactly(length))
        try:
            role = self._check_iam_user(grant, login.user)
        except LoginRefused as exc:
            writer.write(mysqlwire.error_packet(seq + 1, f"Access denied: {exc}"))
            await writer.drain()
            raise
        password = self.instance.backend_passwords.get(role, "")
        login.user = role
        login.auth = mysqlwire.native_password(password, hello.scramble)
        if login.plugin is not None:
            login.plugin = mysqlwire.NATIVE_PASSWORD
        b_writer.write(mysqlwire.packet(seq, login.build()))
        while True:
            try:
                length, b_seq = mysqlwire.header(await self._backend_read(b_reader, 4))
                payload = await self._backend_read(b_reader, length)
            except BackendUnavailable as exc:
                exc.mysql_seq = seq + 1  # the client's login packet was `seq`
                raise
            kind = payload[:1]
            if kind in (b"\x00", b"\xff"):
                # The client saw none of the exchange in between: renumber to follow its packet.
                writer.write(mysqlwire.packet(seq + 1, payload))
                if kind == b"\xff":
                    await writer.drain()
                    raise LoginRefused(payload[9:].decode("utf-8", "replace"))
                return
            if kind == b"\xfe":
                plugin, scramble = mysqlwire.parse_auth_switch(payload)
                if plugin == mysqlwire.NATIVE_PASSWORD or not password:
                    answer = mysqlwire.native_password(password, scramble) if password else b""
                    b_writer.write(mysqlwire.packet(b_seq + 1, answer))
                    continue
            elif kind == b"\x01" and payload[1:2] == b"\x03":
                continue  # caching_sha2_password fast-auth success; OK follows
            message = (
                f"cloudsql-local cannot log in to the backend as {role!r}: unsupported "
                "authentication exchange; use a passwordless user or mysql_native_password"
            )
            writer.write(mysqlwire.error_packet(seq + 1, message))
            await writer.drain()
            raise LoginRefused(message)


async def _pipe(
    reader: TlsStream | asyncio.StreamReader, writer: TlsStream | asyncio.StreamWriter
) -> None:
    with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
        while True:
            data = await reader.read(_CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()


async def _pipe_both(
    client: TlsStream, b_reader: asyncio.StreamReader, b_writer: asyncio.StreamWriter
) -> None:
    await b_writer.drain()
    await client.drain()
    up = asyncio.ensure_future(_pipe(client, b_writer))
    down = asyncio.ensure_future(_pipe(b_reader, client))
    try:
        # Database sessions have no useful half-close: when one side ends, end both.
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        up.cancel()
        down.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(up, down, return_exceptions=True)
