"""One PostgreSQL client connection: startup, simple and extended query protocol, transactions.

The protocol bytes come from `protocol`, statement kinds from `classify`, catalog answers from
`catalog`, Spanner work from `backend` (run on the server's thread pool so the event loop never
blocks on a gRPC call). PostgreSQL's transaction states are kept here: "I" idle, "T" in a
transaction block, "E" failed transaction block (every statement gets 25P02 until it ends).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.api_core import exceptions as gexc

from . import protocol as p
from .backend import PREFETCH, ColumnInfo, Cursor, SpannerConnection
from .call_context import CallContext, bind
from .catalog import (
    DEFAULT_SETTINGS,
    REPORTED,
    Catalog,
    LocalResult,
    SessionInfo,
    Table,
    answer_catalog,
    answer_function_select,
    answer_with_params,
    canonical_name,
    load_catalog,
    show,
)
from .classify import (
    DDL_MODES,
    Kind,
    Statement,
    classify,
    max_param_index,
    split_args,
    split_statements,
    strip_comments,
    substitute_params,
    truncate_targets,
)
from .codecs import (
    UTC,
    ValueEncoder,
    param_decoder,
    python_encoder,
    text_value_parser,
    value_encoder,
)
from .copy import (
    BINARY_HEADER,
    BINARY_TRAILER,
    CopyBatcher,
    CopySpec,
    binary_row,
    check_atomic,
    convert_rows,
    format_csv_row,
    format_text_row,
    mutations_per_row,
    parse_copy,
    read_rows,
)
from .copy_stream import CopyInPipeline
from .errors import FeatureNotSupported, PgError, ProtocolError, QueryCanceled
from .infer import infer_param_types, infer_returning
from .loopread import LoopCursor, LoopReads, SessionGone
from .orm_catalog import answer_orm_catalog
from .params import decode_params, infer_from_casts, spanner_type_for
from .scroll import (
    FORWARD,
    BufferedRows,
    CursorPosition,
    FetchSpec,
    RowSource,
    StreamedRows,
    parse_fetch,
)
from .settings import parse_dml_mode, parse_priority, parse_staleness
from .sqlcommenter import tags_from_comment
from .sqlstate import pg_error_from
from .types import BY_NAME, BY_OID, type_size

if TYPE_CHECKING:
    from .server import ProxyServer

log = logging.getLogger(__name__)
T = TypeVar("T")

FETCH_CHUNK = 2000
COPY_PARALLEL_COMMITS = 4  # non-atomic COPY: commits in flight at once
COPY_COALESCE_BYTES = 1 << 20  # non-atomic COPY: data waiting for the converter, at most


@dataclass
class Output:
    """How a statement's rows go on the wire: RowDescription and one encoder per column. Kept
    with the prepared statement, so that executing it again with the same columns and formats
    builds neither again."""

    columns: list[ColumnInfo]
    formats: list[int]
    tz: dt.tzinfo
    raw: bool  # rows are Spanner's protobuf Values (else Python values built by the proxy)
    description: bytes
    encoders: list[ValueEncoder]

    @classmethod
    def build(
        cls, columns: list[ColumnInfo], formats: list[int], tz: dt.tzinfo, raw: bool
    ) -> Output:
        make = value_encoder if raw else python_encoder
        encoders = [make(c.oid, f, tz) for c, f in zip(columns, formats, strict=False)]
        return cls(
            columns, formats, tz, raw, p.row_description(_fields(columns), formats), encoders
        )

    def matches(
        self, columns: list[ColumnInfo], formats: list[int], tz: dt.tzinfo, raw: bool
    ) -> bool:
        return (
            self.raw == raw
            and self.tz is tz
            and self.formats == formats
            and self.columns == columns
        )

    def rows(self, rows: list[list[Any]]) -> bytes:
        """DataRow messages for rows."""
        return p.data_rows(self.encoders, rows)


@dataclass
class Prepared:
    name: str
    stmt: Statement
    param_oids: list[int]
    columns: list[ColumnInfo] | None = None
    planned: bool = False
    output: Output | None = None  # the last execution's, reused while the columns match


@dataclass
class Portal:
    name: str
    prepared: Prepared
    params: dict[str, Any]
    types: dict[str, Any]
    result_formats: list[int]
    cursor: Cursor | LoopCursor | None = None
    local: LocalResult | None = None
    local_pos: int = 0
    sent: int = 0
    started: bool = False
    output: Output | None = None
    row_count: int | None = None
    hold: bool = False  # a WITH HOLD cursor: survives the end of its transaction
    scroll: bool = False  # a SCROLL cursor: FETCH may go backward
    position: CursorPosition | None = None  # where FETCH/MOVE left a DECLAREd cursor
    declared: bool = False  # opened by DECLARE: FETCH reads it through the synchronous client


class _Canceled(Exception):
    pass


class PgConnection:
    """Serves one client socket until it terminates or disconnects."""

    def __init__(
        self,
        server: ProxyServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.pid = 0
        self.secret = secrets.randbits(31)
        self.settings: dict[str, str] = dict(DEFAULT_SETTINGS)
        self.user = ""
        self.database_id = ""
        self.backend: SpannerConnection | None = None
        self.status = "I"  # I, T (explicit block), E (failed block)
        self.implicit = False  # a transaction opened for statements before Sync
        self.statements: dict[str, Prepared] = {}
        self.portals: dict[str, Portal] = {}
        self.skip_until_sync = False
        self._catalog: Catalog | None = None
        self._running: asyncio.Future[Any] | None = None
        self._out: list[bytes] = []
        self._out_size = 0
        self.timeout_ms = 0  # statement_timeout
        self._statement_started: float | None = None
        self._cancel_requested = False
        self._plan_cache: dict[str, Any] = {}
        self.ddl_mode = server.config.ddl_transaction_mode
        self.tz: dt.tzinfo = UTC
        self.busy = False  # a Spanner call is running for this connection
        self.savepoints: list[tuple[str, int]] = []
        self.backend_staleness: dict[str, Any] = {}
        self.batch: tuple[str, list[Any]] | None = None  # START BATCH DDL|DML
        # a query portal whose Describe is answered with its Execute (see describe())
        self._described: Portal | None = None
        # a client message whose reading a statement timeout interrupted (COPY FROM STDIN)
        self._pending_read: asyncio.Future[tuple[bytes, bytes]] | None = None
        self.loop_reads: LoopReads | None = None  # autocommit queries without a thread hop

    # --- plumbing ---------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Queue backend messages; they leave in one write at the next flush point (Sync,
        Flush, end of a simple query, or every 64 kB of rows), as PostgreSQL batches them."""
        self._out.append(data)
        self._out_size += len(data)

    async def flush(self) -> None:
        if self._out:
            self.writer.write(b"".join(self._out))
            self._out.clear()
            self._out_size = 0
        await self.writer.drain()

    def _deadline(self) -> float | None:
        """When the running statement must end (loop.time(), i.e. time.monotonic()), if
        statement_timeout is set."""
        if self.timeout_ms <= 0:
            return None
        started = self._statement_started or asyncio.get_running_loop().time()
        return started + self.timeout_ms / 1000

    def _timed_out(self) -> PgError:
        self.server.stats["statement_timeouts"] += 1
        return PgError("canceling statement due to statement timeout", "57014")

    def call_context(self, stream_deadline: bool = True) -> CallContext:
        """What the running statement's Spanner calls carry (see call_context). A result
        stream that later statements go on reading (a cursor, a suspended portal) is opened
        without the deadline: each of those statements has its own, which the proxy enforces."""
        return CallContext(
            self._deadline(), self.settings.get("application_name", ""), stream_deadline
        )

    def submit(
        self, fn: Callable[..., T], *args: Any, stream_deadline: bool = True
    ) -> concurrent.futures.Future[T]:
        """Run `fn` on the worker pool under the statement's call context."""
        ctx = self.call_context(stream_deadline)
        return self.server.executor.submit(bind(ctx, partial(fn, *args)))

    @contextlib.contextmanager
    def _spanner_call(self, running: asyncio.Future[Any]) -> Iterator[None]:
        """While a Spanner call runs: cancel() can reach it, and the CancelledError a
        CancelRequest causes becomes 57014."""
        self._running = running
        self.busy = True
        try:
            yield
        except asyncio.CancelledError:
            if self._cancel_requested:
                # when `running` is the connection's own task, the cancellation is ours to
                # take back (Python 3.11+ counts them), unless something else (server
                # shutdown) cancelled the task too
                uncancel = getattr(running, "uncancel", None)
                if running is not asyncio.current_task() or uncancel is None or uncancel() == 0:
                    raise QueryCanceled() from None
            raise
        finally:
            self.busy = False
            self._running = None

    async def run_on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """Await Spanner work that runs on the event loop (loopread) as run_blocking does work on
        a thread: a CancelRequest or statement_timeout ends it with 57014."""
        deadline = self._deadline()
        if deadline is None:
            # awaited in this connection's own task, which a CancelRequest cancels: a Task of
            # its own per query would cost two more event loop turns (start and wake-up)
            own = asyncio.current_task()
            assert own is not None
            with self._spanner_call(own):
                return await work
        task = asyncio.ensure_future(work)
        with self._spanner_call(task):
            try:
                left = deadline - asyncio.get_running_loop().time()
                return await asyncio.wait_for(task, max(left, 0.0))
            except asyncio.TimeoutError:
                raise self._timed_out() from None
            except PgError as exc:
                if exc.detail == "Spanner status DEADLINE_EXCEEDED":
                    raise self._timed_out() from exc  # Spanner ended it at our deadline
                raise

    async def run_blocking(self, fn: Callable[[], T], *, stream_deadline: bool = True) -> T:
        """Run a Spanner call on the pool; a CancelRequest abandons it and raises 57014, a
        client that hangs up meanwhile ends the session."""
        work = self.submit(fn, stream_deadline=stream_deadline)
        fut = asyncio.wrap_future(work)
        loop = asyncio.get_running_loop()
        deadline = self._deadline()
        with self._spanner_call(fut):
            try:
                while not fut.done():
                    wait = 0.25 if deadline is None else max(0.0, min(0.25, deadline - loop.time()))
                    await asyncio.wait((fut,), timeout=wait)
                    if fut.done():
                        break
                    if deadline is not None and loop.time() >= deadline:
                        if self.backend is not None:
                            self.backend.cancel()
                        work.add_done_callback(_discard)
                        raise self._timed_out()
                    if self._client_gone():
                        self.cancel()
                        work.add_done_callback(_discard)
                        raise ConnectionResetError("client disconnected during a statement")
            except asyncio.CancelledError:
                work.add_done_callback(_discard)
                raise
        if fut.cancelled():  # cancel() cancelled the wrapper; the thread may still run
            work.add_done_callback(_discard)
            raise QueryCanceled()
        try:
            return fut.result()
        except (PgError, gexc.GoogleAPICallError) as exc:
            # a result stream fails while rows are fetched, outside the backend's wrapping
            err = pg_error_from(exc)
            if deadline is not None and err.detail == "Spanner status DEADLINE_EXCEEDED":
                raise self._timed_out() from exc  # Spanner ended it at our deadline
            if err is exc:
                raise
            raise err from exc

    def _client_gone(self) -> bool:
        return self.reader.at_eof() or self.writer.transport.is_closing()

    def cancel(self) -> None:
        """Called by the server for a matching CancelRequest (ignored between statements)."""
        running = self._running
        if running is None or running.done():
            return
        self._cancel_requested = True
        if self.backend is not None:
            self.backend.cancel()
        running.cancel()

    # --- startup ----------------------------------------------------------------------------

    async def startup(self) -> bool:
        """Handle SSL/GSSENC negotiation, the StartupMessage and authentication."""
        ssl_done = gss_done = False
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
                    await start_tls(ctx)
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
        for key, value in _parse_options(params.get("options", "")).items():
            self.settings[canonical_name(key)] = value
        # other startup parameters are settings too (asyncpg's server_settings, libpq's
        # application_name...); names the proxy does not know are ignored, as PGAdapter does
        for key, value in params.items():
            name = canonical_name(key)
            if key not in ("user", "database", "options", "replication") and (
                name in self.settings or name.startswith("spanner.")
            ):
                self.settings[name] = value
        if not _is_utf8(self.settings["client_encoding"]):
            raise PgError(
                f'client_encoding "{self.settings["client_encoding"]}" is not supported',
                "22023",
                hint="pgadapter speaks UTF8 only; set PGCLIENTENCODING=UTF8.",
                severity="FATAL",
            )
        self.settings["client_encoding"] = "UTF8"
        self.settings["session_authorization"] = self.user
        self.timeout_ms = _parse_duration_ms(self.settings["statement_timeout"])
        self._apply_timezone(self.settings["TimeZone"])
        credentials, cred_key = None, ""
        if self.server.config.auth == "password":
            self.send(p.AUTH_CLEARTEXT)
            await self.flush()
            kind, body = await asyncio.wait_for(p.read_message(self.reader, 1 << 20), timeout)
            msg = p.parse_frontend(kind, body)
            if not isinstance(msg, p.PasswordMessage):
                raise ProtocolError("expected a password message")
            credentials, cred_key = self.server.credentials_from_password(self.user, msg.password)
        database = await asyncio.get_running_loop().run_in_executor(
            self.server.executor,
            self.server.open_database,
            self.database_id,
            credentials,
            cred_key,
        )
        self.backend = SpannerConnection(database, self.server.stats)
        self.loop_reads = await self.server.loop_reads(database)
        for key in ("spanner.read_only_staleness", "spanner.rpc_priority"):
            if self.settings.get(key):  # given in the startup options
                try:
                    self._assign(key, self.settings[key])
                except PgError as exc:
                    exc.severity = "FATAL"
                    raise
        self.pid = self.server.register(self)
        self.send(p.AUTH_OK)
        for key in REPORTED:
            self.send(p.parameter_status(key, self.settings.get(key, "")))
        self.send(p.backend_key_data(self.pid, self.secret))
        self.send(p.ready_for_query("I"))
        await self.flush()
        return True

    def _apply_timezone(self, name: str) -> None:
        if name.upper() in ("UTC", "GMT", "Z", "ZULU"):
            self.tz = UTC
            return
        try:
            self.tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise PgError(f'invalid value for parameter "TimeZone": "{name}"', "22023") from None

    # --- main loop --------------------------------------------------------------------------

    async def serve(self) -> None:
        while True:
            pending, self._pending_read = self._pending_read, None
            kind, body = await (pending or p.read_message(self.reader))
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
            if isinstance(msg, p.Terminate):
                return
            if self._described is not None and not isinstance(msg, p.Execute):
                try:
                    await self._send_described()
                except PgError as exc:
                    await self._extended_error(exc)
            if isinstance(msg, p.Query):
                await self.simple_query(msg.sql)
                continue
            if isinstance(msg, p.Sync):
                self.skip_until_sync = False
                await self.sync()
                continue
            if isinstance(msg, p.Flush):
                await self.flush()
                continue
            if isinstance(msg, (p.CopyData, p.CopyDone, p.CopyFail)):
                continue  # stray copy messages outside COPY are ignored, as PostgreSQL does
            if self.skip_until_sync:
                continue
            try:
                if isinstance(msg, p.Parse):
                    await self.parse(msg)
                elif isinstance(msg, p.Bind):
                    await self.bind(msg)
                elif isinstance(msg, p.Describe):
                    await self.describe(msg)
                elif isinstance(msg, p.Execute):
                    await self.execute(msg)
                elif isinstance(msg, p.Close):
                    self.close_object(msg)
                elif isinstance(msg, p.FunctionCall):
                    raise FeatureNotSupported("the function call protocol is not supported")
                elif isinstance(msg, p.PasswordMessage):
                    raise ProtocolError("unexpected password message")
            except ProtocolError:
                raise
            except PgError as exc:
                await self._extended_error(exc)

    async def _extended_error(self, exc: PgError) -> None:
        self._described = None
        self.send(p.error_response(exc))
        self.skip_until_sync = True
        await self._fail_transaction()

    async def _fail_transaction(self) -> None:
        if self.status == "T":
            self.status = "E"
            backend = self.backend
            if backend is not None:
                try:
                    await self.run_blocking(backend.fail)
                except PgError:
                    pass
        elif self.implicit:
            self.implicit = False
            await self._rollback_backend()

    async def _rollback_backend(self) -> None:
        backend = self.backend
        if backend is not None and backend.in_transaction:
            try:
                await self.run_blocking(backend.rollback)
            except PgError:
                pass

    async def _end_implicit(self) -> None:
        """Commit the implicit transaction that statements since the last Sync/Query opened."""
        if not self.implicit:
            return
        self.implicit = False
        try:
            assert self.backend is not None
            await self.run_blocking(self.backend.commit)
        except PgError as exc:
            self.send(p.error_response(exc))

    async def sync(self) -> None:
        await self._end_implicit()
        if self.status == "I":
            # outside a transaction block, Sync ends the implicit transaction and with it every
            # portal: a half-read cursor must not keep its Spanner stream (and session) open
            self._close_portals()
        else:
            self._close_portals(only_unnamed=True)
        self.send(p.ready_for_query(self.status))
        await self.flush()

    def _close_portals_except(self, keep: str) -> None:
        for name in [n for n, x in self.portals.items() if n != keep and not x.hold]:
            self._close_cursor_of(self.portals.pop(name))

    def _close_portals(self, only_unnamed: bool = False) -> None:
        for name in [
            n for n, x in self.portals.items() if n == "" or (not only_unnamed and not x.hold)
        ]:
            self._close_cursor_of(self.portals.pop(name))

    def _close_cursor_of(self, portal: Portal) -> None:
        """Close a portal's Spanner stream on a worker (closing may wait on gRPC); a cursor that
        was read to its end is closed already, and one read on the loop closes without waiting:
        neither needs a trip to a thread."""
        cursor = portal.cursor
        if isinstance(cursor, LoopCursor):
            cursor.close()
        elif cursor is not None and not cursor.done:
            self.server.executor.submit(cursor.close)

    # --- simple query -----------------------------------------------------------------------

    async def simple_query(self, sql: str) -> None:
        self._cancel_requested = False
        statements = split_statements(sql)
        if statements == [""]:
            self.send(p.EMPTY_QUERY)
            self.send(p.ready_for_query(self.status))
            await self.flush()
            return
        classified = [classify(text) for text in statements]
        try:
            i = 0
            while i < len(classified):
                stmt = classified[i]
                if stmt.kind == Kind.DDL and self.status != "E" and self.batch is None:
                    # a run of DDL statements goes to Spanner as one UpdateDatabaseDdl batch
                    j = i
                    while j < len(classified) and classified[j].kind == Kind.DDL:
                        j += 1
                    await self._ddl(classified[i:j])
                    i = j
                    continue
                portal = Portal("", Prepared("", stmt, []), {}, {}, [0])
                await self.run_portal(portal, 0, describe=True)
                i += 1
        except PgError as exc:
            self.send(p.error_response(exc))
            await self._fail_transaction()
        await self._end_implicit()
        self.send(p.ready_for_query(self.status))
        await self.flush()

    # --- extended protocol ------------------------------------------------------------------

    async def parse(self, msg: p.Parse) -> None:
        if msg.name and msg.name in self.statements:
            raise PgError(f'prepared statement "{msg.name}" already exists', "42P05")
        stmts = split_statements(msg.sql)
        if len(stmts) > 1:
            raise PgError("cannot insert multiple commands into a prepared statement", "42601")
        stmt = classify(stmts[0])
        count = max(max_param_index(stmt.sql), len(msg.param_oids))
        oids = list(msg.param_oids) + [0] * (count - len(msg.param_oids))
        for index, oid in infer_from_casts(stmt.sql).items():
            if 0 < index <= count and oids[index - 1] in (0, 705):
                oids[index - 1] = oid
        self.statements[msg.name] = Prepared(msg.name, stmt, oids)
        self.send(p.PARSE_COMPLETE)

    async def _plan(self, prep: Prepared) -> None:
        """Fill unknown parameter types and RETURNING columns: Spanner's PLAN mode first, then
        local inference from the catalog (for backends without PLAN support)."""
        if prep.planned:
            return
        prep.planned = True
        stmt = prep.stmt
        if stmt.kind not in (Kind.QUERY, Kind.DML):
            return
        if self._local_answer(stmt) is not None or (
            "pg_" in stmt.sql and answer_catalog(stmt.sql, lambda: _EMPTY_CATALOG, list) is not None
        ):
            return
        unknown = [i for i, o in enumerate(prep.param_oids) if o in (0, 705)]
        need_cols = stmt.kind == Kind.DML and stmt.returning
        if not unknown and not need_cols:
            return
        backend = self.backend
        assert backend is not None
        types = {
            f"p{i + 1}": t
            for i, oid in enumerate(prep.param_oids)
            if (t := spanner_type_for(oid)) is not None
        }
        key = stmt.sql + repr(sorted(types))
        if key in self._plan_cache:
            plan = self._plan_cache[key]
        else:
            try:
                is_dml = stmt.kind == Kind.DML
                plan = await self.run_blocking(lambda: backend.plan(stmt.sql, types, is_dml))
            except QueryCanceled:
                raise
            except PgError:
                plan = None  # no PLAN mode, or a statement Spanner will reject when run
            if len(self._plan_cache) > 2000:
                self._plan_cache.clear()
            self._plan_cache[key] = plan
        if plan is not None:
            for i in unknown:
                prep.param_oids[i] = plan.param_oids.get(f"p{i + 1}", 0)
            if stmt.kind == Kind.QUERY or stmt.returning:
                prep.columns = plan.columns
        unknown = [i for i, o in enumerate(prep.param_oids) if o in (0, 705)]
        if unknown or (need_cols and prep.columns is None):
            cat = await self.run_blocking(self._catalog_snapshot)
            inferred = infer_param_types(stmt.sql, cat)
            for i in unknown:
                prep.param_oids[i] = inferred.get(i + 1, 0)
            if need_cols and prep.columns is None:
                cols = infer_returning(stmt.sql, cat)
                if cols is not None:
                    prep.columns = [ColumnInfo(n, o) for n, o in cols]

    async def bind(self, msg: p.Bind) -> None:
        # statement_timeout counts from here: a Describe that runs the query comes before the
        # Execute (run_portal), and must not be timed from the previous statement's start
        self._statement_started = asyncio.get_running_loop().time()
        prep = self.statements.get(msg.statement)
        if prep is None:
            raise PgError(f'prepared statement "{msg.statement}" does not exist', "26000")
        if len(msg.params) != len(prep.param_oids):
            raise ProtocolError(
                f"bind message supplies {len(msg.params)} parameters, but prepared statement "
                f'"{msg.statement}" requires {len(prep.param_oids)}'
            )
        if msg.portal and msg.portal in self.portals:
            raise PgError(f'portal "{msg.portal}" already exists', "42P03")
        if not prep.planned and any(o in (0, 705) for o in prep.param_oids):
            # binary values need a type to be decoded; text ones (psycopg sends str as unknown)
            # are sent typed when the type can be learnt, so '{a,b}' reaches an array column
            # as an array
            await self._plan(prep)
        params, types = decode_params(msg.params, msg.param_formats, prep.param_oids, self.tz)
        self.portals[msg.portal] = Portal(msg.portal, prep, params, types, msg.result_formats)
        self.send(p.BIND_COMPLETE)

    async def describe(self, msg: p.Describe) -> None:
        if msg.kind == "S":
            prep = self.statements.get(msg.name)
            if prep is None:
                raise PgError(f'prepared statement "{msg.name}" does not exist', "26000")
            local = self._local_answer(prep.stmt)
            await self._plan(prep)
            # the client was told "varchar" for the types nothing revealed, and encodes them so
            prep.param_oids = [o or 1043 for o in prep.param_oids]
            self.send(p.parameter_description(prep.param_oids))
            columns = _local_columns(local) if local is not None else prep.columns
            if columns is None and prep.stmt.kind == Kind.QUERY:
                columns = await self._columns_by_running(prep)
            if prep.stmt.kind == Kind.SHOW:
                columns = _local_columns(self._show(prep.stmt))
            if columns:
                self.send(p.row_description(_fields(columns), [0] * len(columns)))
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
        columns = await self._portal_columns(portal)
        if columns:
            self.send(self._output(portal, columns).description)
        else:
            self.send(p.NO_DATA)

    def _output(self, portal: Portal, columns: list[ColumnInfo]) -> Output:
        """The portal's RowDescription and encoders, reused from its prepared statement's last
        execution when the columns and formats are the same."""
        out = portal.output
        if out is None:
            formats = _formats(portal.result_formats, len(columns))
            raw = portal.local is None
            prep = portal.prepared
            out = prep.output
            if out is None or not out.matches(columns, formats, self.tz, raw):
                out = Output.build(columns, formats, self.tz, raw)
                prep.output = out
            portal.output = out
        return out

    async def _columns_by_running(self, prep: Prepared) -> list[ColumnInfo] | None:
        """Columns of a query whose plan was unavailable: run it once with NULL parameters."""
        types = {
            f"p{i + 1}": t
            for i, oid in enumerate(prep.param_oids)
            if (t := spanner_type_for(oid)) is not None
        }
        params = {f"p{i + 1}": None for i in range(len(prep.param_oids))}
        portal = Portal("", prep, params, types, [0])
        cols = await self._portal_columns(portal, whole=True)  # closed right here
        if portal.cursor is not None:
            cursor = portal.cursor
            await self.run_blocking(cursor.close)
        return cols

    async def _portal_columns(self, portal: Portal, whole: bool = False) -> list[ColumnInfo] | None:
        """The result columns; for a query this opens its stream (`whole`: the statement
        reads it to the end, so the stream may carry the statement's deadline)."""
        stmt = portal.prepared.stmt
        if stmt.kind == Kind.FETCH:
            target, spec = self._fetch_target(stmt)
            if spec.verb == "MOVE":
                return None
            return await self._portal_columns(target)
        if portal.local is None:
            local = self._local_answer(stmt, portal.params)
            if local is None and stmt.kind == Kind.SHOW:
                local = self._show(stmt)
            if local is None and stmt.kind == Kind.QUERY:
                local = await self._catalog_answer(stmt, portal.params)
            portal.local = local
        if portal.local is not None:
            return _local_columns(portal.local)
        if stmt.kind == Kind.QUERY:
            if self.status == "E":
                raise _aborted()
            await self._open_cursor(portal, whole)
            assert portal.cursor is not None
            return portal.cursor.columns
        if stmt.kind == Kind.DML and stmt.returning:
            if portal.cursor is not None:
                return portal.cursor.columns
            if portal.prepared.columns is None:
                await self._plan(portal.prepared)
            if portal.prepared.columns is None:
                await self._open_dml(portal)  # no other way to learn the columns: run it now
                assert portal.cursor is not None
                return portal.cursor.columns
            return portal.prepared.columns
        return None

    async def execute(self, msg: p.Execute) -> None:
        portal = self.portals.get(msg.portal)
        if portal is None:
            raise PgError(f'portal "{msg.portal}" does not exist', "34000")
        self._cancel_requested = False
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

    # --- running statements -----------------------------------------------------------------

    # --- START BATCH / RUN BATCH ---------------------------------------------------------

    async def _batch_control(self, stmt: Statement) -> None:
        backend = self.backend
        assert backend is not None
        if stmt.kind == Kind.START_BATCH:
            what = stmt.words[2] if len(stmt.words) > 2 else ""
            if self.batch is not None:
                raise PgError("a batch is already active on this connection", "25001")
            if what not in ("DDL", "DML"):
                raise PgError("syntax error: START BATCH DDL or START BATCH DML", "42601")
            if what == "DDL" and self.status == "T":
                raise PgError("cannot start a DDL batch in a transaction block", "25001")
            self.batch = (what, [])
            self.send(p.command_complete("START BATCH"))
            return
        if stmt.kind == Kind.ABORT_BATCH:
            if self.batch is None:
                raise PgError("there is no active batch", "25000")
            self.batch = None
            self.send(p.command_complete("ABORT BATCH"))
            return
        if self.batch is None:
            raise PgError("there is no active batch", "25000", hint="START BATCH DDL|DML first.")
        what, items = self.batch
        self.batch = None
        if what == "DDL":
            if items:
                await self._ddl(items, complete=False)
        elif items:
            await self._ensure_write_transaction()
            await self.run_blocking(lambda: backend.batch_dml(items))
        self.send(p.command_complete("RUN BATCH"))

    def _add_to_batch(self, portal: Portal) -> bool:
        """Buffer a statement of an active batch; False for statements that run at once."""
        assert self.batch is not None
        stmt = portal.prepared.stmt
        what, items = self.batch
        if stmt.kind in (Kind.SET, Kind.SHOW, Kind.RESET, Kind.EMPTY):
            return False
        if what == "DDL" and stmt.kind == Kind.DDL:
            items.append(stmt)
            self.send(p.command_complete(stmt.tag))
            return True
        if what == "DML" and stmt.kind == Kind.DML and not stmt.returning:
            items.append((stmt.sql, portal.params or None, portal.types or None))
            self.send(p.command_complete(_dml_tag(stmt.tag, 0)))
            return True
        raise PgError(
            f"only {what} statements can be added to a {what} batch",
            "25000",
            hint="RUN BATCH or ABORT BATCH first.",
        )

    # --- PREPARE / EXECUTE ------------------------------------------------------------------

    def _prepare_sql(self, stmt: Statement) -> None:
        m = re.match(
            r'(?is)^\s*PREPARE\s+("(?:[^"]|"")+"|\w+)\s*(?:\((.*?)\))?\s*AS\s+(.*?)\s*;?\s*$',
            strip_comments(stmt.sql),
        )
        if not m:
            raise PgError("syntax error in PREPARE: PREPARE name [(types)] AS statement", "42601")
        name = _name(m.group(1))
        if name in self.statements:
            raise PgError(f'prepared statement "{name}" already exists', "42P05")
        oids = []
        for t in split_args(m.group(2) or ""):
            ptype = BY_NAME.get(re.sub(r"\s*\(.*\)$", "", t.strip().lower()))
            if ptype is None:
                raise PgError(f'type "{t.strip()}" does not exist', "42704")
            oids.append(ptype.oid)
        inner = classify(m.group(3))
        count = max(max_param_index(inner.sql), len(oids))
        oids += [0] * (count - len(oids))
        self.statements[name] = Prepared(name, inner, oids)
        self.send(p.command_complete("PREPARE"))

    async def _execute_sql(self, stmt: Statement, max_rows: int, describe: bool) -> None:
        m = re.match(
            r'(?is)^\s*EXECUTE\s+("(?:[^"]|"")+"|\w+)\s*(?:\((.*)\))?\s*;?\s*$',
            strip_comments(stmt.sql),
        )
        if not m:
            raise PgError("syntax error in EXECUTE: EXECUTE name [(values)]", "42601")
        name = _name(m.group(1))
        prep = self.statements.get(name)
        if prep is None:
            raise PgError(f'prepared statement "{name}" does not exist', "26000")
        args = split_args(m.group(2) or "")
        if len(args) != len(prep.param_oids):
            raise PgError(
                f'wrong number of parameters for prepared statement "{name}"',
                "42601",
                detail=f"Expected {len(prep.param_oids)} parameters but got {len(args)}.",
            )
        values = []
        for arg, oid in zip(args, prep.param_oids, strict=True):
            ptype = BY_OID.get(oid)
            values.append(f"({arg})::{ptype.name}" if ptype is not None else f"({arg})")
        sql = substitute_params(prep.stmt.sql, values)
        inner = Portal("", Prepared("", classify(sql), []), {}, {}, [0])
        await self.run_portal(inner, max_rows, describe=describe)

    # --- cursors ----------------------------------------------------------------------------

    async def _declare(self, stmt: Statement) -> None:
        m = re.match(
            r'(?is)^\s*DECLARE\s+("(?:[^"]|"")+"|\w+)\s+(.*?)\bCURSOR\b(.*?)\bFOR\s+(.*?)\s*;?\s*$',
            strip_comments(stmt.sql),
        )
        if not m:
            raise PgError("syntax error in DECLARE: DECLARE name CURSOR FOR query", "42601")
        name = _name(m.group(1))
        hold = bool(re.search(r"(?i)\bWITH\s+HOLD\b", m.group(3)))
        # PostgreSQL lets a cursor declared without SCROLL go backward when its plan allows
        # it (and warns not to rely on that); here only SCROLL cursors keep their rows for it
        options = m.group(2).upper().split()
        scroll = "SCROLL" in options and "NO" not in options
        if self.status == "I" and not self.implicit and not hold:
            raise PgError("DECLARE CURSOR can only be used in transaction blocks", "25P01")
        if name in self.portals:
            raise PgError(f'cursor "{name}" already exists', "42P03")
        query = classify(m.group(4))
        if query.kind != Kind.QUERY:
            raise PgError("DECLARE CURSOR needs a SELECT or VALUES query", "42601")
        portal = Portal(
            name, Prepared(name, query, []), {}, {}, [0], hold=hold, scroll=scroll, declared=True
        )
        if hold:
            # a held cursor outlives its transaction: its rows are read now, as PostgreSQL does
            # at commit
            columns = await self._portal_columns(portal)
            if portal.local is None:
                cursor = portal.cursor
                assert cursor is not None
                rows = await self.run_blocking(lambda: cursor.decode(cursor.fetch(0)))
                portal.local = LocalResult([(c.name, c.oid) for c in columns or []], rows, "SELECT")
                portal.cursor = None
        self.portals[name] = portal
        self.send(p.command_complete("DECLARE CURSOR"))

    def _fetch_target(self, stmt: Statement) -> tuple[Portal, FetchSpec]:
        """The cursor a FETCH/MOVE names, and how it moves."""
        spec = parse_fetch(stmt.sql)
        target = self.portals.get(spec.cursor)
        if target is None or not target.name:
            raise PgError(f'cursor "{spec.cursor}" does not exist', "34000")
        return target, spec

    async def _fetch(self, portal: Portal, describe: bool) -> None:
        stmt = portal.prepared.stmt
        target, spec = self._fetch_target(stmt)
        columns = await self._portal_columns(target) or []
        move = spec.verb == "MOVE"
        if describe and not move:
            self.send(p.row_description(_fields(columns), [0] * len(columns)))
        cursor = target.cursor
        if isinstance(cursor, LoopCursor) and not cursor.complete:
            # a protocol-level portal read on the event loop: receive what the FETCH needs
            # there, since its rows cannot be pulled from a worker thread
            ahead = spec.count if spec.direction == FORWARD and spec.count > 0 else 0
            await self.run_on_loop(cursor.fill(ahead))
        position = target.position
        if position is None:
            position = target.position = CursorPosition(self._row_source(target), target.scroll)
        run = partial(position.run, spec.direction, spec.count, not move)
        rows, count = run() if position.source.ready else await self.run_blocking(run)
        if not move:
            formats = _formats(portal.result_formats, len(columns))
            out = Output.build(columns, formats, self.tz, raw=target.local is None)
            self.send(out.rows(rows))
        self.send(p.command_complete(f"{spec.verb} {count}"))

    @staticmethod
    def _row_source(target: Portal) -> RowSource:
        """Rows already in memory (WITH HOLD, answered locally) or the Spanner stream; a SCROLL
        cursor keeps what it reads, any other holds one fetch's rows at a time."""
        if target.local is not None:
            return BufferedRows(list(target.local.rows))
        cursor = target.cursor
        assert cursor is not None
        if target.scroll:
            return BufferedRows([], cursor.fetch)
        return StreamedRows(cursor)

    async def _close_cursor(self, stmt: Statement) -> None:
        m = re.match(r'(?is)^\s*CLOSE\s+("(?:[^"]|"")+"|\w+)\s*;?\s*$', strip_comments(stmt.sql))
        if not m:
            raise PgError("syntax error in CLOSE: CLOSE name | ALL", "42601")
        name = _name(m.group(1))
        if name == "all" and not m.group(1).startswith('"'):
            names = [n for n in self.portals if n]
        elif name in self.portals and name:
            names = [name]
        else:
            raise PgError(f'cursor "{name}" does not exist', "34000")
        for n in names:
            old = self.portals.pop(n)
            if old.cursor is not None:
                cursor = old.cursor
                self.server.executor.submit(cursor.close)
        self.send(p.command_complete("CLOSE CURSOR"))

    def _session_info(self) -> SessionInfo:
        return SessionInfo(self.database_id, self.user, self.pid, self.settings)

    def _local_answer(
        self, stmt: Statement, params: dict[str, Any] | None = None
    ) -> LocalResult | None:
        if stmt.kind != Kind.QUERY or stmt.not_local:
            return None
        local = answer_with_params(stmt.sql, params)
        if local is None:
            local = answer_function_select(stmt.sql, self._session_info())
        if local is None:
            stmt.not_local = True  # decided once per statement, not per execution
        return local

    async def _catalog_answer(
        self, stmt: Statement, params: dict[str, Any] | None = None
    ) -> LocalResult | None:
        if "pg_" not in stmt.sql:
            return None
        backend = self.backend
        assert backend is not None

        def run() -> LocalResult | None:
            orm = answer_orm_catalog(stmt.sql, params, self._catalog_snapshot, backend.read_outside)
            if orm is not None:
                return orm
            return answer_catalog(stmt.sql, self._catalog_snapshot, backend.list_databases)

        return await self.run_blocking(run)

    def _catalog_snapshot(self) -> Catalog:
        """Runs on a worker thread (from _catalog_answer)."""
        if self._catalog is None:
            backend = self.backend
            assert backend is not None

            def rows(sql: str) -> list[list[Any]]:
                # outside the client's transaction: catalog reads must not join (and so
                # count as statements of) the transaction, or DDL after them would be refused
                return backend.read_outside(sql)

            self._catalog = load_catalog(rows, self.database_id)
        return self._catalog

    def _show(self, stmt: Statement) -> LocalResult:
        m = re.match(r"(?is)\s*SHOW\s+(.+?)\s*;?\s*$", stmt.sql)
        name = m.group(1).strip().strip('"') if m else ""
        if " ".join(name.upper().split()) == "DATABASE DDL":
            return LocalResult([("statement", 1043)], [], "SHOW")  # rows come from Spanner
        return show(self.settings, name)

    async def _open_cursor(self, portal: Portal, whole: bool = False) -> None:
        if portal.cursor is not None:
            return
        backend = self.backend
        assert backend is not None
        sql, params, types = portal.prepared.stmt.sql, portal.params or None, portal.types or None
        reads = self.loop_reads
        with self._statement_tag(sql):
            if reads is not None and not backend.in_transaction and not portal.declared:
                # autocommit: a single-use read sent from the event loop, no thread hop
                options = backend.request_options()
                staleness = backend.staleness
                for _ in range(2):
                    try:
                        portal.cursor = await self.run_on_loop(
                            reads.query(
                                sql,
                                params,
                                types,
                                staleness,
                                options,
                                PREFETCH,
                                self.call_context(stream_deadline=whole),
                            )
                        )
                        return
                    except SessionGone:  # the client's sessions manager has a newer one
                        await self.run_blocking(reads.refresh_session)
            portal.cursor = await self.run_blocking(
                lambda: backend.query(sql, params, types), stream_deadline=whole
            )

    async def run_portal(self, portal: Portal, max_rows: int, *, describe: bool) -> None:
        self._statement_started = asyncio.get_running_loop().time()
        stmt = portal.prepared.stmt
        kind = stmt.kind
        if self.status == "E" and kind not in (Kind.COMMIT, Kind.ROLLBACK, Kind.ROLLBACK_TO):
            raise _aborted()
        if kind == Kind.EMPTY:
            self.send(p.EMPTY_QUERY)
            return
        if kind in (Kind.BEGIN, Kind.COMMIT, Kind.ROLLBACK):
            await self._transaction_control(stmt)
            self.savepoints.clear()
            if kind != Kind.BEGIN:  # the end of a transaction closes its portals
                self._close_portals_except(portal.name)
            return
        if kind in (Kind.SAVEPOINT, Kind.RELEASE, Kind.ROLLBACK_TO):
            await self._savepoint(stmt)
            return
        if kind in (Kind.START_BATCH, Kind.RUN_BATCH, Kind.ABORT_BATCH):
            await self._batch_control(stmt)
            return
        if self.batch is not None and self._add_to_batch(portal):
            return
        if kind == Kind.PREPARE:
            self._prepare_sql(stmt)
            return
        if kind == Kind.EXECUTE:
            await self._execute_sql(stmt, max_rows, describe)
            return
        if kind == Kind.DECLARE:
            await self._declare(stmt)
            return
        if kind == Kind.FETCH:
            await self._fetch(portal, describe)
            return
        if kind == Kind.CLOSE:
            await self._close_cursor(stmt)
            return
        if kind == Kind.SHOW and stmt.words[1:3] == ["DATABASE", "DDL"]:
            backend = self.backend
            assert backend is not None
            ddl = await self.run_blocking(backend.database_ddl)
            portal.local = LocalResult([("statement", 1043)], [[d + ";"] for d in ddl], "SHOW")
        if kind == Kind.SET:
            self._set(stmt)
            return
        if kind == Kind.RESET:
            self._reset(stmt)
            return
        if kind == Kind.NOOP:
            self._noop(stmt)
            return
        if kind == Kind.UNSUPPORTED:
            raise FeatureNotSupported(
                f"{stmt.tag} is not supported by pgadapter",
                hint="Spanner supports queries, DML, DDL and transaction control.",
            )
        if kind == Kind.DDL:
            await self._ddl([stmt])
            return
        if kind == Kind.TRUNCATE:
            await self._truncate(stmt)
            return
        if kind == Kind.COPY:
            await self._copy(stmt)
            return
        if kind == Kind.DML:
            await self._dml(portal, max_rows, describe)
            return
        # queries and SHOW
        columns = await self._portal_columns(portal, whole=max_rows <= 0)
        if describe and columns is not None:
            self.send(self._output(portal, columns).description)
        await self._send_rows(portal, max_rows, "SELECT" if kind == Kind.QUERY else "SHOW")

    @contextlib.contextmanager
    def _statement_tag(self, sql: str = "") -> Iterator[None]:
        """spanner.statement_tag applies to the next statement only, as in PGAdapter; with
        spanner.sqlcommenter_tags on, a sqlcommenter comment tags the statement instead."""
        backend = self.backend
        tag = self.settings.get("spanner.statement_tag") or None
        request_tag = tag
        if self.settings.get("spanner.sqlcommenter_tags") == "on" and "/*" in sql:
            from_comment, txn_tag = tags_from_comment(sql)
            request_tag = tag or from_comment
            if txn_tag and backend is not None and not backend.has_statements:
                backend.transaction_tag = txn_tag
        if backend is not None:
            backend.request_tag = request_tag
        try:
            yield
        finally:
            if backend is not None:
                backend.request_tag = None
            if tag:
                self.settings["spanner.statement_tag"] = ""

    async def _send_rows(self, portal: Portal, max_rows: int, tag: str) -> None:
        columns = await self._portal_columns(portal)
        out = self._output(portal, columns or [])
        if portal.local is not None:
            rows = portal.local.rows[portal.local_pos :]
            if max_rows > 0:
                rows = rows[:max_rows]
            portal.local_pos += len(rows)
            self.send(out.rows(rows))
            portal.sent += len(rows)
            if portal.local_pos < len(portal.local.rows):
                self.send(p.PORTAL_SUSPENDED)
                return
            final = tag if tag == "SHOW" or portal.local.tag == "SHOW" else f"SELECT {portal.sent}"
            self.send(p.command_complete(final))
            return
        cursor = portal.cursor
        assert cursor is not None
        remaining = max_rows if max_rows > 0 else 0
        while True:
            want = min(FETCH_CHUNK, remaining) if max_rows > 0 else FETCH_CHUNK

            def fetch(want: int = want) -> tuple[bytes, int]:
                rows = cursor.fetch(want)
                return out.rows(rows), len(rows)

            try:
                if isinstance(cursor, LoopCursor) and not cursor.complete:
                    await self.run_on_loop(cursor.fill(want))
                # rows already in memory are encoded right here: no trip to a thread
                data, n = fetch() if cursor.exhausted else await self.run_blocking(fetch)
            except BaseException:
                cursor.close()
                raise
            self.send(data)
            portal.sent += n
            if self._out_size > 1 << 16:
                await self.flush()
            if max_rows > 0:
                remaining -= n
                if remaining <= 0 and not cursor.done:
                    self.send(p.PORTAL_SUSPENDED)
                    return
            if cursor.done:
                break
        if tag == "SELECT":
            self.send(p.command_complete(f"SELECT {portal.sent}"))
        else:
            count = cursor.row_count if cursor.row_count is not None else portal.sent
            self.send(p.command_complete(_dml_tag(tag, count)))

    async def _ensure_write_transaction(self) -> None:
        backend = self.backend
        assert backend is not None
        if self.status == "T":
            if not backend.in_transaction:
                backend.begin(read_only=self.settings.get("transaction_read_only") == "on")
            return
        if not backend.in_transaction:
            backend.begin(read_only=False)
            self.implicit = True

    async def _dml(self, portal: Portal, max_rows: int, describe: bool) -> None:
        stmt = portal.prepared.stmt
        backend = self.backend
        assert backend is not None
        if (
            portal.cursor is None
            and not stmt.returning
            and self.status == "I"
            and not backend.in_transaction
            and self.settings.get("spanner.autocommit_dml_mode") == "PARTITIONED_NON_ATOMIC"
        ):
            sql, params, types = stmt.sql, portal.params or None, portal.types or None
            with self._statement_tag(sql):
                count = await self.run_blocking(lambda: backend.partitioned_dml(sql, params, types))
            self.send(p.command_complete(_dml_tag(stmt.tag, count)))
            return
        if portal.cursor is None:
            await self._open_dml(portal)
        cursor = portal.cursor
        assert cursor is not None
        if stmt.returning:
            if describe:
                cols = cursor.columns or []
                self.send(p.row_description(_fields(cols), [0] * len(cols)))
            await self._send_rows(portal, max_rows, stmt.tag)
            return
        await self.run_blocking(lambda: cursor.fetch(0))
        self.send(p.command_complete(_dml_tag(stmt.tag, cursor.row_count or 0)))

    # --- COPY -------------------------------------------------------------------------------

    async def _copy(self, stmt: Statement) -> None:
        spec = parse_copy(stmt.sql)
        if spec.direction == "from":
            await self._copy_from(spec)
        else:
            await self._copy_to(spec)

    def _copy_table(self, cat: Catalog, name: str) -> Table:
        schema, _, table = name.rpartition(".")
        for t in cat.tables:
            if t.name.lower() == table.lower() and (schema or "public") == (t.schema or "public"):
                return t
        raise PgError(f'relation "{name}" does not exist', "42P01")

    async def _copy_from(self, spec: CopySpec) -> None:
        backend = self.backend
        assert backend is not None and spec.table is not None
        cat = await self.run_blocking(self._catalog_snapshot)
        table = self._copy_table(cat, spec.table)
        by_name = {c.name.lower(): c for c in table.columns}
        names = spec.columns or [c.name for c in table.columns]
        missing = [n for n in names if n.lower() not in by_name]
        if missing:
            raise PgError(
                f'column "{missing[0]}" of relation "{table.name}" does not exist', "42703"
            )
        cols = [by_name[n.lower()] for n in names]
        binary = spec.format == "binary"
        parsers = [
            param_decoder(c.type_oid, 1) if binary else text_value_parser(c.type_oid, self.tz)
            for c in cols
        ]
        per_row = mutations_per_row(
            len(cols), [len(ix.columns) + len(ix.storing) for ix in table.indexes if not ix.primary]
        )
        self.send(p.copy_in_response(len(cols), 1 if binary else 0))
        await self.flush()
        column_names = [c.name for c in cols]
        mode = self.settings.get("spanner.autocommit_dml_mode", "").lower()
        in_block = self.status == "T" or backend.in_transaction
        if not in_block and mode == "partitioned_non_atomic":
            count = await self._copy_from_streaming(
                spec, table.name, column_names, parsers, per_row
            )
            self.send(p.command_complete(f"COPY {count}"))
            return
        chunks: list[bytes] = []
        deadline = self._deadline()
        while True:
            kind, body = await self._copy_message(deadline)
            if kind == b"d":
                chunks.append(body)
            elif kind == b"c":
                break
            elif kind == b"f":
                reason = body.rstrip(b"\0").decode("utf-8", "replace")
                raise PgError(f"COPY from stdin failed: {reason}", "57014")
            elif kind in (b"H", b"S"):
                continue  # ignored during copy-in, as PostgreSQL does
            else:
                raise PgError(f"unexpected message type {kind!r} during COPY from stdin", "08P01")
        data = b"".join(chunks)
        chunks.clear()
        rows = await self.run_blocking(
            lambda: convert_rows(read_rows(data, spec), table.name, column_names, parsers)
        )
        # atomic: one commit (or the open transaction), so everything is read and checked first
        check_atomic(rows, per_row, table.name)
        groups = [rows] if rows else []
        if self.status == "T" and not backend.in_transaction:
            backend.begin(read_only=self.settings.get("transaction_read_only") == "on")
        count = await self.run_blocking(
            lambda: backend.insert_rows(table.name, column_names, groups, parallel=1)
        )
        self.send(p.command_complete(f"COPY {count}"))

    async def _copy_from_streaming(
        self,
        spec: CopySpec,
        table: str,
        columns: list[str],
        parsers: list[Callable[[Any], Any]],
        per_row: int,
    ) -> int:
        """Non-atomic COPY FROM: rows are parsed as CopyData arrives and committed in batches
        that fit Spanner's limits, several commits in flight while more data is read, so the
        memory held does not grow with the input (see CopyInPipeline). Parsing and converting
        run on a worker thread. A bad row stops the copy; batches already committed stay.
        statement_timeout covers the whole COPY: waiting for data, converting, committing."""
        backend = self.backend
        assert backend is not None
        backend.cancel_flag.clear()
        deadline = self._deadline()
        # stands for the running statement so that a CancelRequest (cancel()) can stop the copy
        marker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._running = marker

        async def within_deadline(fut: asyncio.Future[T]) -> T:
            if deadline is not None:
                left = deadline - asyncio.get_running_loop().time()
                await asyncio.wait((fut,), timeout=max(left, 0.0))
                if not fut.done():
                    backend.cancel()  # commits not yet started stop; the others end at the
                    raise self._timed_out()  # deadline they carry
            return await fut

        pipeline = CopyInPipeline(
            CopyBatcher(spec, table, columns, parsers, per_row),
            run=lambda fn, *args: asyncio.wrap_future(self.submit(fn, *args)),
            commit=lambda rows: asyncio.wrap_future(
                self.submit(backend.commit_rows, table, columns, rows)
            ),
            guard=within_deadline,
            parallel=COPY_PARALLEL_COMMITS,
            max_waiting=COPY_COALESCE_BYTES,
        )
        try:
            while True:
                kind, body = await self._copy_message(deadline)
                if marker.cancelled():
                    raise QueryCanceled()
                error = pipeline.failed()
                if error is not None:
                    raise error
                if kind == b"d":
                    await pipeline.feed(body)
                elif kind == b"c":
                    return await pipeline.finish()
                elif kind == b"f":
                    reason = body.rstrip(b"\0").decode("utf-8", "replace")
                    raise PgError(f"COPY from stdin failed: {reason}", "57014")
                elif kind in (b"H", b"S"):
                    continue  # ignored during copy-in, as PostgreSQL does
                else:
                    raise PgError(
                        f"unexpected message type {kind!r} during COPY from stdin", "08P01"
                    )
        finally:
            if self._running is marker:
                self._running = None
            await pipeline.close()
            self.copy_peak_rows = pipeline.peak_rows

    async def _copy_message(
        self, deadline: float | None, read: asyncio.Future[tuple[bytes, bytes]] | None = None
    ) -> tuple[bytes, bytes]:
        """The next message of a COPY FROM STDIN (`read`: its reading, already begun), or
        57014 when statement_timeout passes first. A message half-read then is left for the
        main loop (which drops the rest of the copy data), so the framing is never lost."""
        if deadline is None:
            return await (read or p.read_message(self.reader))
        if read is None:
            read = asyncio.ensure_future(p.read_message(self.reader))
        left = deadline - asyncio.get_running_loop().time()
        await asyncio.wait((read,), timeout=max(left, 0.0))
        if not read.done():
            self._pending_read = read
            raise self._timed_out()
        return read.result()

    async def _copy_to(self, spec: CopySpec) -> None:
        backend = self.backend
        assert backend is not None
        if spec.query is not None:
            sql = spec.query
        else:
            assert spec.table is not None
            cols = ", ".join(_quote_ident(c) for c in spec.columns) if spec.columns else "*"
            target = ".".join(_quote_ident(x) for x in spec.table.split("."))
            sql = f"SELECT {cols} FROM {target}"
        cursor = await self.run_blocking(lambda: backend.query(sql, None, None))
        try:
            columns = cursor.columns or []
            binary = spec.format == "binary"
            encoders = [value_encoder(c.oid, 1 if binary else 0, self.tz) for c in columns]
            forced = [c.name.lower() in spec.force_quote for c in columns]
            fmt_row = (
                (lambda vals: format_csv_row(vals, spec, forced))
                if spec.format == "csv"
                else (lambda vals: format_text_row(vals, spec))
            )
            self.send(p.copy_out_response(len(columns), 1 if binary else 0))
            if binary:
                self.send(p.copy_data(BINARY_HEADER))
            if spec.header and spec.format == "csv":
                self.send(p.copy_data(fmt_row([c.name for c in columns]).encode("utf-8")))
            sent = 0
            while True:

                def fetch() -> tuple[bytes, int]:
                    rows = cursor.fetch(FETCH_CHUNK)
                    if binary:
                        return b"".join(
                            p.copy_data(
                                binary_row([e(v) for e, v in zip(encoders, row, strict=False)])
                            )
                            for row in rows
                        ), len(rows)
                    return b"".join(
                        p.copy_data(
                            fmt_row(
                                [
                                    None if (b := e(v)) is None else b.decode("utf-8")
                                    for e, v in zip(encoders, row, strict=False)
                                ]
                            ).encode("utf-8")
                        )
                        for row in rows
                    ), len(rows)

                data, n = fetch() if cursor.exhausted else await self.run_blocking(fetch)
                self.send(data)
                sent += n
                if self._out_size > 1 << 16:
                    await self.flush()
                if cursor.done:
                    break
        finally:
            cursor.close()
        if binary:
            self.send(p.copy_data(BINARY_TRAILER))
        self.send(p.COPY_DONE)
        self.send(p.command_complete(f"COPY {sent}"))

    async def _truncate(self, stmt: Statement) -> None:
        tables = truncate_targets(stmt.sql)
        if not tables:
            raise PgError("syntax error in TRUNCATE: no table named", "42601")
        backend = self.backend
        assert backend is not None
        await self._ensure_write_transaction()
        for table in tables:
            delete = partial(backend.execute_dml, f"DELETE FROM {table}", None, None)
            cursor = await self.run_blocking(delete)
            await self.run_blocking(partial(cursor.fetch, 0))
        self.send(p.command_complete("TRUNCATE TABLE"))

    async def _open_dml(self, portal: Portal) -> None:
        if self.status == "E":
            raise _aborted()
        backend = self.backend
        assert backend is not None
        await self._ensure_write_transaction()
        stmt = portal.prepared.stmt
        sql, params, types = stmt.sql, portal.params or None, portal.types or None
        with self._statement_tag(sql):
            portal.cursor = await self.run_blocking(lambda: backend.execute_dml(sql, params, types))

    async def _ddl(self, statements: list[Statement], complete: bool = True) -> None:
        """DDL goes through UpdateDatabaseDdl, never inside a Spanner transaction; what happens to
        an open transaction depends on spanner.ddl_transaction_mode, as in PGAdapter."""
        backend = self.backend
        assert backend is not None
        mode = self.ddl_mode
        if mode == "single" and len(statements) > 1:
            raise PgError(
                "DDL batches are not allowed when spanner.ddl_transaction_mode is 'single'",
                "25001",
                hint="Send one DDL statement at a time, or SET spanner.ddl_transaction_mode = 'batch'.",
            )
        if self.status == "T":
            empty = not backend.in_transaction or not backend.has_statements
            if mode == "autocommit_explicit_transaction":
                await self.run_blocking(backend.commit)
                self.status = "I"
            elif not empty or mode == "single":
                raise PgError(
                    "DDL statements are not allowed in a transaction block that has executed "
                    "other statements: Spanner cannot run DDL in a transaction",
                    "25001",
                    hint="Run the DDL outside the transaction, or SET "
                    "spanner.ddl_transaction_mode = 'autocommit_explicit_transaction'.",
                )
        elif self.implicit and backend.in_transaction:
            if mode in ("single", "batch"):
                raise PgError(
                    "DDL statements cannot be mixed with DML in one batch",
                    "25001",
                    hint="Send the DDL separately, or SET spanner.ddl_transaction_mode = "
                    "'autocommit_implicit_transaction'.",
                )
            self.implicit = False
            await self.run_blocking(backend.commit)
        sqls = [stmt.sql for stmt in statements]
        try:
            await self.run_blocking(lambda: backend.ddl(sqls))
        finally:
            self._catalog = None
            self._plan_cache.clear()
        if complete:
            for stmt in statements:
                self.send(p.command_complete(stmt.tag))

    async def _transaction_control(self, stmt: Statement) -> None:
        backend = self.backend
        assert backend is not None
        if stmt.kind == Kind.BEGIN:
            if self.status != "I":
                self.send(
                    p.notice_response(
                        "there is already a transaction in progress", "WARNING", "25001"
                    )
                )
            else:
                if self.implicit:
                    # BEGIN after statements in the same batch: they join the block
                    self.implicit = False
                else:
                    default_ro = self.settings.get("default_transaction_read_only") == "on"
                    read_only = stmt.read_only if stmt.read_only is not None else default_ro
                    self.settings["transaction_read_only"] = "on" if read_only else "off"
                    backend.begin(read_only=read_only)
                self.status = "T"
            self.send(p.command_complete("BEGIN"))
            return
        if stmt.kind == Kind.COMMIT:
            if self.status == "I" and not self.implicit:
                self.send(
                    p.notice_response("there is no transaction in progress", "WARNING", "25P01")
                )
                self.send(p.command_complete("COMMIT"))
                return
            if self.status == "E":
                await self._rollback_backend()
                self.status = "I"
                self.send(p.command_complete("ROLLBACK"))
                return
            self.status = "I"
            self.implicit = False
            await self.run_blocking(backend.commit)
            self.send(p.command_complete("COMMIT"))
            return
        if self.status == "I" and not self.implicit:
            self.send(p.notice_response("there is no transaction in progress", "WARNING", "25P01"))
        self.status = "I"
        self.implicit = False
        await self._rollback_backend()
        self.send(p.command_complete("ROLLBACK"))

    async def _savepoint(self, stmt: Statement) -> None:
        """Savepoints, emulated by positions in the transaction's statement log."""
        backend = self.backend
        assert backend is not None
        names = [w for w in stmt.words[1:] if w not in ("SAVEPOINT", "TO", "TRANSACTION")]
        m = re.search(
            r'(?is)(?:SAVEPOINT|RELEASE|TO)\s+(?:SAVEPOINT\s+)?("[^"]+"|\w+)\s*;?\s*$', stmt.sql
        )
        name = (m.group(1).strip('"') if m else (names[0] if names else "")).lower()
        if self.status == "I":
            raise PgError(f"{stmt.tag} can only be used in transaction blocks", "25P01")
        if stmt.kind == Kind.SAVEPOINT:
            self.savepoints.append((name, backend.savepoint()))
            self.send(p.command_complete("SAVEPOINT"))
            return
        index = next(
            (i for i in range(len(self.savepoints) - 1, -1, -1) if self.savepoints[i][0] == name),
            None,
        )
        if index is None:
            raise PgError(f'savepoint "{name}" does not exist', "3B001")
        if stmt.kind == Kind.RELEASE:
            del self.savepoints[index:]
            self.send(p.command_complete("RELEASE"))
            return
        position = self.savepoints[index][1]
        del self.savepoints[index + 1 :]
        await self.run_blocking(lambda: backend.rollback_to(position))
        self.status = "T"
        self.send(p.command_complete("ROLLBACK"))

    def _noop(self, stmt: Statement) -> None:
        """Session housekeeping PostgreSQL clients send; nothing reaches Spanner."""
        first = stmt.words[0]
        if first == "DEALLOCATE":
            names = [w for w in stmt.words[1:] if w != "PREPARE"]
            m = re.search(r'(?is)DEALLOCATE\s+(?:PREPARE\s+)?("[^"]+"|\w+)', stmt.sql)
            if names[:1] == ["ALL"]:
                self.statements = {k: v for k, v in self.statements.items() if k == ""}
            elif m:
                name = m.group(1)
                name = name[1:-1] if name.startswith('"') else name
                if self.statements.pop(name, None) is None and name.lower() not in self.statements:
                    raise PgError(f'prepared statement "{name}" does not exist', "26000")
                self.statements.pop(name.lower(), None)
        elif first == "DISCARD":
            if self.status != "I":
                raise PgError("DISCARD ALL cannot run inside a transaction block", "25001")
            self.statements.clear()
            self.batch = None
            for portal in self.portals.values():
                if portal.cursor is not None:
                    portal.cursor.close()
            self.portals.clear()
            for key, value in DEFAULT_SETTINGS.items():
                if key not in ("session_authorization", "client_encoding"):
                    if self.settings.get(key) != value:
                        self._assign(key, value)
        self.send(p.command_complete(stmt.tag))

    # --- SET / RESET ------------------------------------------------------------------------

    def _set(self, stmt: Statement) -> None:
        ws = stmt.words
        backend = self.backend
        assert backend is not None
        if ws[1:2] == ["TRANSACTION"] or ws[1:3] == ["SESSION", "CHARACTERISTICS"]:
            if stmt.read_only is not None:
                value = "on" if stmt.read_only else "off"
                if ws[1] == "TRANSACTION":
                    if self.status == "T":
                        backend.set_read_only(stmt.read_only)
                        self.settings["transaction_read_only"] = value
                else:
                    self.settings["default_transaction_read_only"] = value
            self.send(p.command_complete("SET"))
            return
        name, given = _parse_set(stmt.sql)
        key = canonical_name(name)
        self._assign(key, DEFAULT_SETTINGS.get(key, "") if given is None else given)
        self.send(p.command_complete("SET"))

    def _assign(self, key: str, value: str) -> None:
        if key == "TimeZone":
            self._apply_timezone(value)
        elif key == "client_encoding":
            if not _is_utf8(value):
                raise PgError(
                    f'invalid value for parameter "client_encoding": "{value}"',
                    "22023",
                    hint="pgadapter supports UTF8 only.",
                )
            value = "UTF8"
        elif key == "spanner.ddl_transaction_mode":
            mode = value.lower()
            if mode not in DDL_MODES:
                raise PgError(
                    f'invalid value for parameter "spanner.ddl_transaction_mode": "{value}"',
                    "22023",
                    hint="One of: " + ", ".join(DDL_MODES),
                )
            self.ddl_mode = mode
            value = mode
        elif key == "spanner.autocommit_dml_mode":
            value = parse_dml_mode(value)
        elif key == "spanner.read_only_staleness":
            value, self.backend_staleness = parse_staleness(value)
            if self.backend is not None:
                self.backend.staleness = self.backend_staleness
        elif key == "spanner.rpc_priority":
            value, priority = parse_priority(value)
            if self.backend is not None:
                self.backend.priority = priority
        elif key == "spanner.sqlcommenter_tags":
            flag = value.strip().lower()
            if flag not in ("on", "off", "true", "false", "1", "0"):
                raise PgError(
                    f'parameter "spanner.sqlcommenter_tags" requires a Boolean value: "{value}"',
                    "22023",
                )
            value = "on" if flag in ("on", "true", "1") else "off"
        elif key == "spanner.transaction_tag":
            if self.backend is not None:
                if self.backend.has_statements:
                    raise PgError(
                        "spanner.transaction_tag must be set before the transaction's first "
                        "statement",
                        "25001",
                    )
                self.backend.transaction_tag = value or None
        elif key == "statement_timeout":
            self.timeout_ms = _parse_duration_ms(value)
            value = value.strip()
        elif key in ("server_version", "server_encoding", "integer_datetimes", "is_superuser"):
            raise PgError(f'parameter "{key}" cannot be changed', "55P02")
        old = self.settings.get(key)
        self.settings[key] = value
        if key in REPORTED and old != value:
            self.send(p.parameter_status(key, value))

    def _reset(self, stmt: Statement) -> None:
        m = re.match(r"(?is)\s*RESET\s+(.+?)\s*;?\s*$", stmt.sql)
        name = m.group(1).strip().strip('"') if m else ""
        if name.upper() == "ALL":
            for key, value in DEFAULT_SETTINGS.items():
                if (
                    key not in ("session_authorization", "client_encoding")
                    and self.settings.get(key) != value
                ):
                    self._assign(key, value)
        else:
            key = canonical_name(name)
            self._assign(key, DEFAULT_SETTINGS.get(key, ""))
        self.send(p.command_complete("RESET"))

    # --- teardown ---------------------------------------------------------------------------

    async def close(self) -> None:
        self.server.unregister(self)
        for portal in self.portals.values():
            if portal.cursor is not None:
                portal.cursor.close()
        self.portals.clear()
        backend, self.backend = self.backend, None
        if backend is not None:
            # not awaited: a client that hung up must not wait for the rollback round trip,
            # and the server's shutdown drains the pool
            self.server.executor.submit(_close_quietly, backend)


_EMPTY_CATALOG = Catalog("", [], [])


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _parse_duration_ms(value: str) -> int:
    """statement_timeout's value: a number of milliseconds, or a number with a unit."""
    m = _DURATION.match(value)
    if not m:
        raise PgError(
            f'invalid value for parameter "statement_timeout": "{value}"',
            "22023",
            hint='Valid units for this parameter are "ms", "s", "min", "h", and "d".',
        )
    return int(float(m.group(1)) * _UNIT_MS[(m.group(2) or "ms").lower()])


def _is_utf8(name: str) -> bool:
    """asyncpg sends 'utf-8' (quotes included); PostgreSQL accepts any spelling of UTF8."""
    return name.strip("'\" ").upper().replace("-", "").replace("_", "") in ("UTF8", "UNICODE")


def _close_quietly(backend: SpannerConnection) -> None:
    try:
        backend.close()
    except Exception:  # closing must never fail the server
        log.debug("closing the Spanner session failed", exc_info=True)


def _discard(fut: concurrent.futures.Future[Any]) -> None:
    """Result of an abandoned (cancelled) call: close cursors, swallow errors."""
    if fut.cancelled():
        return
    exc = fut.exception()
    if exc is None:
        result = fut.result()
        close = getattr(result, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                pass


def _aborted() -> PgError:
    return PgError(
        "current transaction is aborted, commands ignored until end of transaction block",
        "25P02",
    )


def _local_columns(local: LocalResult) -> list[ColumnInfo]:
    return [ColumnInfo(name, oid) for name, oid in local.columns]


def _fields(columns: list[ColumnInfo]) -> list[p.Column]:
    return [p.Column(c.name, c.oid, type_size(c.oid)) for c in columns]


def _formats(requested: list[int], n: int) -> list[int]:
    if not requested:
        return [0] * n
    if len(requested) == 1:
        return requested * n
    if len(requested) != n:
        raise ProtocolError(
            f"bind message has {len(requested)} result formats but query has {n} columns"
        )
    return list(requested)


def _name(token: str) -> str:
    """An SQL identifier as PostgreSQL folds it."""
    if len(token) >= 2 and token[0] == token[-1] == '"':
        return token[1:-1].replace('""', '"')
    return token.lower()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dml_tag(tag: str, count: int) -> str:
    return f"INSERT 0 {count}" if tag == "INSERT" else f"{tag} {count}"


_SET_RE = re.compile(
    r"(?is)^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?(?:(TIME\s+ZONE)|(NAMES)|(\"?[\w.]+\"?)\s*(?:=|\bTO\b))\s*(.*?)\s*;?\s*$"
)


def _parse_set(sql: str) -> tuple[str, str | None]:
    m = _SET_RE.match(sql)
    if not m:
        raise PgError(f"syntax error in SET statement: {sql.strip()[:80]}", "42601")
    name = (
        "TimeZone" if m.group(1) else ("client_encoding" if m.group(2) else m.group(3).strip('"'))
    )
    raw = m.group(4).strip()
    if raw.upper() in ("DEFAULT", "LOCAL") or not raw:
        return name, None
    parts = [x.strip() for x in _split_commas(raw)]
    values = [
        x[1:-1].replace("''", "'") if len(x) >= 2 and x[0] == x[-1] == "'" else x for x in parts
    ]
    return name, ", ".join(values)


def _split_commas(s: str) -> list[str]:
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in s:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


def _parse_options(options: str) -> dict[str, str]:
    """The startup `options` parameter: `-c key=value --key=value`."""
    out: dict[str, str] = {}
    tokens = re.findall(r"(?:\\.|\S)+", options)
    i = 0
    while i < len(tokens):
        tok = tokens[i].replace("\\ ", " ")
        if tok == "-c" and i + 1 < len(tokens):
            tok = tokens[i + 1].replace("\\ ", " ")
            i += 1
        elif tok.startswith("-c"):
            tok = tok[2:]
        elif tok.startswith("--"):
            tok = tok[2:]
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k.replace("-", "_")] = v
        i += 1
    return out
