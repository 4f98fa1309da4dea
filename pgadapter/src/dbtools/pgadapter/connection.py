"""One PostgreSQL client connection: the protocol loop.

Startup (TLS negotiation, StartupMessage, authentication), then the simple and extended query
protocols: Parse classifies a statement once (`classify`), Bind decodes parameters, Describe
and Execute run it through the handler of its kind (`handlers`), Sync ends the implicit
transaction. The session's state and the plumbing of Spanner calls are in `session`; the
protocol bytes come from `protocol`.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from . import handlers
from . import protocol as p
from .backend import SpannerConnection
from .classify import Kind
from .errors import FeatureNotSupported, PgError, ProtocolError
from .handlers.queries import columns_by_running, local_answer, plan, portal_columns
from .handlers.settings import show_result
from .handlers.writes import ddl
from .params import decode_params
from .portal import Portal, Prepared, fields, local_columns
from .session import BACKEND_SETTINGS, Host, Session
from .settings import REPORTED, canonical_name, is_utf8, parse_startup_options
from .statement_text import analyze_one, classify_all

log = logging.getLogger(__name__)
# startup packet parameters that are not settings
_NOT_SETTINGS = frozenset({"user", "database", "options", "replication"})
T = TypeVar("T")

# statement texts longer than this are split and classified in a worker process (text_workers):
# below it, the trip there costs more than the work
LARGE_STATEMENT = 64 * 1024

_Step = Callable[[Any, Any], Awaitable[None]]  # (the connection, a message) -> handled


class PgConnection(Session):
    """Serves one client socket until it terminates or disconnects."""

    dispatch = staticmethod(handlers.run)

    def __init__(
        self, server: Host, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super().__init__(server, reader, writer)
        self.skip_until_sync = False
        self.max_message = server.config.max_message_size
        # a query portal whose Describe is answered with its Execute (see describe())
        self._described: Portal | None = None

    # --- startup ----------------------------------------------------------------------------

    async def startup(self) -> bool:
        """Handle SSL/GSSENC negotiation, the StartupMessage and authentication."""
        ssl_done = gss_done = tls = False
        timeout = self.server.config.startup_timeout
        while True:
            packet = await asyncio.wait_for(p.read_startup(self.reader), timeout)
            if isinstance(packet, p.SSLRequest):
                if ssl_done:
                    raise ProtocolError("duplicate SSLRequest")
                ssl_done = True
                ctx = self.server.ssl_context
                if ctx is None:
                    self.send(p.SSL_NO)
                    await self.flush()
                else:
                    self.send(p.SSL_YES)
                    await self.flush()
                    start_tls = getattr(self.writer, "start_tls", None)
                    if start_tls is None:  # StreamWriter.start_tls is Python 3.11+
                        raise PgError("TLS needs Python 3.11 or later", "08P01", severity="FATAL")
                    try:
                        await start_tls(ctx)
                    except (ssl.SSLError, OSError) as exc:
                        # a client that does not speak TLS, or distrusts the certificate: one
                        # line for the operator, no traceback
                        peer = self.writer.get_extra_info("peername")
                        log.warning("TLS handshake with %s failed: %s", peer, exc)
                        raise ConnectionResetError("TLS handshake failed") from exc
                    tls = True
                continue
            if isinstance(packet, p.GSSENCRequest):
                if gss_done:
                    raise ProtocolError("duplicate GSSENCRequest")
                gss_done = True
                self.send(b"N")
                await self.flush()
                continue
            if isinstance(packet, p.CancelRequest):
                self.server.cancel(packet.process_id, packet.secret_key)
                return False
            break
        config = self.server.config
        if config.ssl_mode == "require" and not tls:
            raise PgError(
                "pgadapter requires TLS: this connection is not encrypted",
                "28000",
                hint="Connect with sslmode=require (or verify-ca / verify-full).",
                severity="FATAL",
            )
        if self.server.active_connections > config.max_connections > 0:
            raise PgError("sorry, too many clients already", "53300", severity="FATAL")
        params = packet.params
        self.user = params.get("user", "")
        if not self.user:
            raise PgError(
                "no PostgreSQL user name specified in startup packet", "28000", severity="FATAL"
            )
        self.database_id = params.get("database") or self.server.config.database or ""
        if not self.database_id:
            raise PgError(
                "no database given: pass dbname in the connection or start pgadapter with -d",
                "3D000",
                severity="FATAL",
            )
        given = self._startup_settings(params)
        credentials, cred_key = None, ""
        if self.server.config.auth == "password":
            self.send(p.AUTH_CLEARTEXT)
            await self.flush()
            kind, body = await asyncio.wait_for(p.read_message(self.reader, 1 << 20), timeout)
            msg = p.parse_frontend(kind, body)
            if not isinstance(msg, p.PasswordMessage):
                raise ProtocolError("expected a password message")
            credentials, cred_key = self.server.credentials_from_password(self.user, msg.password)
        database = await self.server.open_session(self.database_id, credentials, cred_key)
        self.backend = SpannerConnection(database, self.server.stats)
        self.loop_reads = await self.server.loop_reads(database)
        for key in BACKEND_SETTINGS:
            if key in given:  # what they change lives in the backend, which exists now
                self.assign(key, given[key], report=False)
        self.pid = self.server.register(self)
        log.info(
            "connection %d from %s: user %s, database %s",
            self.pid,
            self.writer.get_extra_info("peername") or "unix socket",
            self.user,
            self.database_id,
        )
        self.send(p.AUTH_OK)
        for key in REPORTED:
            self.send(p.parameter_status(key, self.settings.get(key, "")))
        self.send(p.backend_key_data(self.pid, self.secret))
        self.send(p.ready_for_query("I"))
        await self.flush()
        return True

    def _startup_settings(self, params: dict[str, str]) -> dict[str, str]:
        """Settings from the startup packet's `options` and its other parameters (asyncpg's
        server_settings, libpq's application_name...), checked by the settings table's rules
        in both places, as PostgreSQL does: an unknown name that is not a custom `x.y` one
        fails the connection with 42704. Returns those given."""
        try:
            return self._assign_startup_settings(params)
        except PgError as exc:
            exc.severity = "FATAL"  # a bad startup setting ends the connection attempt
            raise

    def _assign_startup_settings(self, params: dict[str, str]) -> dict[str, str]:
        given = {canonical_name(k): v for k, v in parse_startup_options(params.get("options", ""))}
        for key, value in params.items():
            if key not in _NOT_SETTINGS:  # the rest are settings, applied after `options`
                given[canonical_name(key)] = value
        encoding = given.pop("client_encoding", "UTF8")
        if not is_utf8(encoding):
            raise PgError(
                f'client_encoding "{encoding}" is not supported',
                "22023",
                hint="pgadapter speaks UTF8 only; set PGCLIENTENCODING=UTF8.",
                severity="FATAL",
            )
        for key, value in given.items():
            self.assign(key, value, report=False)  # ParameterStatus follows AuthenticationOk
        self.settings["session_authorization"] = self.user
        return given

    # --- main loop ---------------------------------------------------------------------------

    async def serve(self) -> None:
        # one dict lookup per message instead of a chain of isinstance tests (four messages a
        # prepared query): what each type does, and whether a pending error skips it
        loop_steps = self._loop_steps
        extended_steps = self._extended_steps
        while True:
            pending, self.pending_read = self.pending_read, None
            kind, body = await (pending or p.read_message(self.reader, self.max_message))
            try:
                msg = p.parse_frontend(kind, body)
            except ProtocolError:
                raise
            except PgError as exc:  # a well-framed message with bad content (e.g. not UTF-8)
                if kind == b"Q":
                    self.send(p.error_response(exc))
                    self.send(p.ready_for_query(self.status))
                    await self.flush()
                elif not self.skip_until_sync:
                    await self._extended_error(exc)
                continue
            kind_of = type(msg)
            if kind_of is p.Terminate:
                return
            if self._described is not None and kind_of is not p.Execute:
                try:
                    await self._send_described()
                except PgError as exc:
                    await self._extended_error(exc)
            step = loop_steps.get(kind_of)
            if step is not None:
                await step(self, msg)
                continue
            if self.skip_until_sync:
                continue
            try:
                await extended_steps[kind_of](self, msg)
            except ProtocolError:
                raise
            except PgError as exc:
                await self._extended_error(exc)

    async def _on_query(self, msg: p.Query) -> None:
        await self.simple_query(msg.sql)

    async def _on_sync(self, _: p.Sync) -> None:
        self.skip_until_sync = False
        await self.sync()

    async def _on_flush(self, _: p.Flush) -> None:
        await self.flush()

    async def _ignore(self, _: p.FrontendMessage) -> None:
        """Stray copy messages outside COPY are ignored, as PostgreSQL does."""

    async def _on_close(self, msg: p.Close) -> None:
        self.close_object(msg)

    async def _on_function_call(self, _: p.FunctionCall) -> None:
        raise FeatureNotSupported("the function call protocol is not supported")

    async def _on_password(self, _: p.PasswordMessage) -> None:
        raise ProtocolError("unexpected password message")

    def _log_error(self, exc: PgError) -> None:
        """One line per failed statement (a cancel or a client's mistake is not a fault of the
        proxy: no traceback)."""
        log.info("connection %d: ERROR %s: %s", self.pid, exc.sqlstate, exc.message)

    async def _extended_error(self, exc: PgError) -> None:
        self._described = None
        self._log_error(exc)
        self.send(p.error_response(exc))
        self.skip_until_sync = True
        await self.fail_transaction()

    async def sync(self) -> None:
        await self.end_implicit()
        if self.status == "I":
            # outside a transaction block, Sync ends the implicit transaction and with it every
            # portal: a half-read cursor must not keep its Spanner stream (and session) open
            self.close_portals()
        else:
            self.close_portals(only_unnamed=True)
        self.send(p.ready_for_query(self.status))
        await self.flush()

    async def _off_loop_if_large(self, fn: Callable[[str], T], sql: str) -> T:
        """Lexing and classifying cost time in proportion to the text: a large one is done in
        a worker process, so the event loop goes on serving the other connections."""
        if len(sql) <= LARGE_STATEMENT:
            return fn(sql)
        result: T = await self.server.text_workers.run(fn.__name__, sql)
        return result

    # --- simple query -----------------------------------------------------------------------

    async def simple_query(self, sql: str) -> None:
        self.cancel_requested = False
        log.debug("connection %d: query: %s", self.pid, sql)
        try:
            classified = await self._off_loop_if_large(classify_all, sql)
        except PgError as exc:  # the worker that classified a large text died
            self.send(p.error_response(exc))
            await self.fail_transaction()
            classified = None
        if not classified:
            if classified is not None:
                self.send(p.EMPTY_QUERY)
            self.send(p.ready_for_query(self.status))
            await self.flush()
            return
        try:
            i = 0
            while i < len(classified):
                stmt = classified[i]
                if stmt.kind == Kind.DDL and self.status != "E" and self.batch is None:
                    # a run of DDL statements goes to Spanner as one UpdateDatabaseDdl batch
                    j = i
                    while j < len(classified) and classified[j].kind == Kind.DDL:
                        j += 1
                    await ddl(self, classified[i:j])
                    i = j
                    continue
                portal = Portal.of(stmt)
                await self.run_portal(portal, 0, describe=True)
                i += 1
        except PgError as exc:
            self._log_error(exc)
            self.send(p.error_response(exc))
            await self.fail_transaction()
        await self.end_implicit()
        self.send(p.ready_for_query(self.status))
        await self.flush()

    # --- extended protocol ------------------------------------------------------------------

    async def parse(self, msg: p.Parse) -> None:
        if msg.name and msg.name in self.statements:
            raise PgError(f'prepared statement "{msg.name}" already exists', "42P05")
        stmt, highest, casts = await self._off_loop_if_large(analyze_one, msg.sql)
        count = max(highest, len(msg.param_oids))
        oids = list(msg.param_oids) + [0] * (count - len(msg.param_oids))
        for index, oid in casts.items():
            if 0 < index <= count and oids[index - 1] in (0, 705):
                oids[index - 1] = oid
        self.statements[msg.name] = Prepared(msg.name, stmt, oids)
        self.send(p.PARSE_COMPLETE)

    async def bind(self, msg: p.Bind) -> None:
        # statement_timeout counts from here: a Describe that runs the query comes before the
        # Execute (run_portal), and must not be timed from the previous statement's start
        self.statement_started = asyncio.get_running_loop().time()
        prep = self.statements.get(msg.statement)
        if prep is None:
            raise PgError(f'prepared statement "{msg.statement}" does not exist', "26000")
        if len(msg.params) != len(prep.param_oids):
            # PostgreSQL reports it and waits for Sync; the connection goes on
            raise PgError(
                f"bind message supplies {len(msg.params)} parameters, but prepared statement "
                f'"{msg.statement}" requires {len(prep.param_oids)}',
                "08P01",
            )
        if msg.portal and msg.portal in self.portals:
            raise PgError(f'portal "{msg.portal}" already exists', "42P03")
        if not prep.planned and any(o in (0, 705) for o in prep.param_oids):
            # binary values need a type to be decoded; text ones (psycopg sends str as unknown)
            # are sent typed when the type can be learnt, so '{a,b}' reaches an array column
            # as an array
            await plan(self, prep)
        params, types = decode_params(msg.params, msg.param_formats, prep.param_oids, self.tz)
        self.portals[msg.portal] = Portal(msg.portal, prep, params, types, msg.result_formats)
        self.send(p.BIND_COMPLETE)

    async def describe(self, msg: p.Describe) -> None:
        if msg.kind == "S":
            prep = self.statements.get(msg.name)
            if prep is None:
                raise PgError(f'prepared statement "{msg.name}" does not exist', "26000")
            local = local_answer(self, prep.stmt)
            await plan(self, prep)
            # the client was told "varchar" for the types nothing revealed, and encodes them so
            prep.param_oids = [o or 1043 for o in prep.param_oids]
            self.send(p.parameter_description(prep.param_oids))
            columns = local_columns(local) if local is not None else prep.columns
            if columns is None and prep.stmt.kind == Kind.QUERY:
                columns = await columns_by_running(self, prep)
            if prep.stmt.kind == Kind.SHOW:
                columns = local_columns(show_result(self, prep.stmt))
            if columns:
                self.send(p.row_description(fields(columns), [0] * len(columns)))
            else:
                self.send(p.NO_DATA)
            return
        portal = self.portals.get(msg.name)
        if portal is None:
            raise PgError(f'portal "{msg.name}" does not exist', "34000")
        if portal.prepared.stmt.kind == Kind.QUERY and portal.cursor is None:
            # answered with the Execute that follows (which tells whether the statement reads
            # the whole result: see _portal_columns), or before any other message
            self._described = portal
            return
        await self._describe_portal(portal)

    async def _send_described(self) -> None:
        portal, self._described = self._described, None
        if portal is not None:
            await self._describe_portal(portal)

    async def _describe_portal(self, portal: Portal) -> None:
        columns = await portal_columns(self, portal)
        if columns:
            self.send(self.output(portal, columns).description)
        else:
            self.send(p.NO_DATA)

    async def execute(self, msg: p.Execute) -> None:
        portal = self.portals.get(msg.portal)
        if portal is None:
            raise PgError(f'portal "{msg.portal}" does not exist', "34000")
        self.cancel_requested = False
        log.debug("connection %d: execute %r: %s", self.pid, msg.portal, portal.prepared.stmt.sql)
        described, self._described = self._described, None
        if described is not None and described is not portal:
            await self._describe_portal(described)
        await self.run_portal(portal, msg.max_rows, describe=described is portal)

    def close_object(self, msg: p.Close) -> None:
        if msg.kind == "S":
            self.statements.pop(msg.name, None)
        else:
            portal = self.portals.pop(msg.name, None)
            if portal is not None and portal.cursor is not None:
                portal.cursor.close()
        self.send(p.CLOSE_COMPLETE)

    # serve()'s dispatch: the messages handled even while an error skips the rest of the
    # extended query messages up to Sync, then the extended query messages themselves
    _loop_steps: ClassVar[dict[type, _Step]] = {
        p.Query: _on_query,
        p.Sync: _on_sync,
        p.Flush: _on_flush,
        p.CopyData: _ignore,
        p.CopyDone: _ignore,
        p.CopyFail: _ignore,
    }
    _extended_steps: ClassVar[dict[type, _Step]] = {
        p.Parse: parse,
        p.Bind: bind,
        p.Describe: describe,
        p.Execute: execute,
        p.Close: _on_close,
        p.FunctionCall: _on_function_call,
        p.PasswordMessage: _on_password,
    }
