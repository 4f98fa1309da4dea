"""One client's session: its state (settings, transaction status, prepared statements, portals,
the Spanner connection) and the plumbing every statement handler uses: queueing backend
messages, running Spanner calls off the event loop with statement_timeout and CancelRequest
honoured, and the transaction bookkeeping PostgreSQL's states need ("I" idle, "T" in a
transaction block, "E" failed transaction block: every statement gets 25P02 until it ends).

`PgConnection` (the protocol loop) is a Session; the statement handlers (`handlers/`) take one.
The server is seen through `Host`, so this module and the connection never import the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import replace
from functools import partial
from typing import Any, Protocol, TypeVar

from google.api_core import exceptions as gexc

from . import protocol as p
from .backend import ColumnInfo, SpannerConnection
from .block_settings import BlockSettings, SettingsMark
from .call_context import CallContext, Calls, bind
from .catalog import Catalog, SessionInfo, load_catalog
from .classify import Statement
from .codecs import DEFAULT_TEXT_OUT
from .config import ProxyConfig
from .errors import PgError, QueryCanceled
from .loopread import LoopCursor, LoopReads
from .portal import Output, Portal, Prepared, formats
from .settings import DEFAULT_SETTINGS, REPORTED, parse_setting
from .sqlcommenter import tags_from_comment
from .sqlstate import pg_error_from

log = logging.getLogger(__name__)
T = TypeVar("T")


class Host(Protocol):
    """What a session needs from the server that accepted it."""

    config: ProxyConfig
    executor: concurrent.futures.ThreadPoolExecutor
    text_workers: Any  # text_workers.TextWorkers
    stats: Any  # collections.Counter[str]
    ssl_context: Any
    active_connections: int

    def register(self, conn: Any) -> int: ...
    def unregister(self, conn: Any) -> None: ...
    def cancel(self, pid: int, secret: int) -> None: ...
    def credentials_from_password(self, user: str, password: bytes) -> tuple[Any, str]: ...
    async def open_session(self, database_id: str, credentials: Any, cred_key: str) -> Any: ...
    async def loop_reads(self, db: Any) -> Any: ...


_UNTAGGED = contextlib.nullcontext()  # statement_tag() of a statement without a tag


class Handler(Protocol):
    """Runs one statement of its kind: `max_rows` is Execute's row limit (0: all), `describe`
    asks for the RowDescription before the rows (simple query, or Describe answered late)."""

    def __call__(
        self, session: Session, portal: Portal, max_rows: int, describe: bool, /
    ) -> Awaitable[None]: ...


class Session:
    # runs a statement by its kind (handlers.run); set by the connection, since the handlers
    # import this module and not the reverse
    dispatch: Handler

    def __init__(
        self, server: Host, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.pid = 0
        self.secret = secrets.randbits(31)
        # what RESET gives back: PostgreSQL's defaults, and the server's DDL mode
        self.defaults = dict(DEFAULT_SETTINGS)
        self.defaults["spanner.ddl_transaction_mode"] = server.config.ddl_transaction_mode
        self.settings: dict[str, str] = dict(self.defaults)
        self.user = ""
        self.database_id = ""
        self.backend: SpannerConnection | None = None
        self.status = "I"  # I, T (explicit block), E (failed block)
        self.implicit = False  # a transaction opened for statements before Sync
        self.statements: dict[str, Prepared] = {}
        self.portals: dict[str, Portal] = {}
        self.catalog: Catalog | None = None
        self._running: asyncio.Future[Any] | None = None
        self._out: list[bytes] = []
        self.out_size = 0
        self.timeout_ms = 0  # statement_timeout
        self.statement_started: float | None = None
        self.cancel_requested = False
        self.calls = Calls()  # the streams of this connection's statements, for cancel()
        self.plan_cache: dict[str, Any] = {}
        self.ddl_mode = server.config.ddl_transaction_mode
        self.text_out = DEFAULT_TEXT_OUT  # TimeZone and IntervalStyle, for text results
        self.busy = False  # a Spanner call is running for this connection
        self.savepoints: list[tuple[str, int, SettingsMark | None]] = []
        self.block: BlockSettings | None = None  # settings changed in a transaction block
        self.batch: tuple[str, list[Any]] | None = None  # START BATCH DDL|DML
        # a client message whose reading a statement timeout interrupted (COPY FROM STDIN)
        self.pending_read: asyncio.Future[tuple[bytes, bytes]] | None = None
        self.loop_reads: LoopReads | None = None  # autocommit queries without a thread hop
        self.on_loop = False  # a statement's Spanner call runs on the event loop (run_on_loop)
        self._client_watch: asyncio.TimerHandle | None = None  # see _watch_client
        self.copy_peak_rows = 0

    # --- output -----------------------------------------------------------------------------

    @property
    def tz(self) -> dt.tzinfo:
        """The session's TimeZone, which timestamptz parameters without an offset are read in."""
        return self.text_out.tz

    def send(self, data: bytes) -> None:
        """Queue backend messages; they leave in one write at the next flush point (Sync,
        Flush, end of a simple query, or every 64 kB of rows), as PostgreSQL batches them."""
        self._out.append(data)
        self.out_size += len(data)

    async def flush(self) -> None:
        if self._out:
            self.writer.write(b"".join(self._out))
            self._out.clear()
            self.out_size = 0
        await self.writer.drain()

    def output(self, portal: Portal, columns: list[ColumnInfo]) -> Output:
        """The portal's RowDescription and encoders, reused from its prepared statement's last
        execution when the columns and formats are the same."""
        out = portal.output
        if out is None:
            fmts = formats(portal.result_formats, len(columns))
            raw = portal.local is None
            prep = portal.prepared
            out = prep.output
            if out is None or not out.matches(columns, fmts, self.text_out, raw):
                out = Output.build(columns, fmts, self.text_out, raw)
                prep.output = out
            portal.output = out
        return out

    # --- running statements -----------------------------------------------------------------

    def run_portal(self, portal: Portal, max_rows: int, *, describe: bool) -> Awaitable[None]:
        """Run a statement through the handler of its kind (its coroutine, to be awaited: see
        handlers.run for why this is not one more)."""
        self.statement_started = asyncio.get_running_loop().time()
        return self.dispatch(self, portal, max_rows, describe)

    def deadline(self) -> float | None:
        """When the running statement must end (loop.time(), i.e. time.monotonic()), if
        statement_timeout is set."""
        if self.timeout_ms <= 0:
            return None
        started = self.statement_started or asyncio.get_running_loop().time()
        return started + self.timeout_ms / 1000

    def timed_out(self) -> PgError:
        self.server.stats["statement_timeouts"] += 1
        return PgError("canceling statement due to statement timeout", "57014")

    def call_context(self, stream_deadline: bool = True) -> CallContext:
        """What the running statement's Spanner calls carry (see call_context). A result
        stream that later statements go on reading (a cursor, a suspended portal) is opened
        without the deadline: each of those statements has its own, which the proxy enforces."""
        return CallContext(
            self.deadline(), self.settings.get("application_name", ""), stream_deadline, self.calls
        )

    def submit(
        self, fn: Callable[..., T], *args: Any, stream_deadline: bool = True
    ) -> concurrent.futures.Future[T]:
        """Run `fn` on the worker pool under the statement's call context."""
        ctx = self.call_context(stream_deadline)
        return self.server.executor.submit(bind(ctx, partial(fn, *args)))

    def spanner_call(self, running: asyncio.Future[Any]) -> _SpannerCall:
        """While a Spanner call runs: cancel() can reach it, and the CancelledError a
        CancelRequest causes becomes 57014."""
        return _SpannerCall(self, running)

    @contextlib.contextmanager
    def cancellable(self, marker: asyncio.Future[Any]) -> Iterator[None]:
        """`marker` stands for the running statement (COPY FROM) so that a CancelRequest can
        stop it between its calls."""
        self._running = marker
        try:
            yield
        finally:
            if self._running is marker:
                self._running = None

    async def run_on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """Await Spanner work that runs on the event loop (loopread) as run_blocking does work on
        a thread: a CancelRequest or statement_timeout ends it with 57014."""
        deadline = self.deadline()
        self.on_loop = True
        if self._client_watch is None:
            self._client_watch = asyncio.get_running_loop().call_later(0.25, self._watch_client)
        try:
            if deadline is not None:
                return await self._run_on_loop_until(work, deadline)
            # awaited in this connection's own task, which a CancelRequest cancels: a Task of
            # its own per query would cost two more event loop turns (start and wake-up)
            own = asyncio.current_task()
            assert own is not None
            with _SpannerCall(self, own):
                return await work
        finally:
            self.on_loop = False

    def _watch_client(self) -> None:
        """While statements run on the loop: a client that hangs up cancels the running one
        (and with it its Spanner call), as run_blocking does. A timer every 0.25 s for as long
        as the connection keeps running statements on the loop, not one per statement (a timer
        made and cancelled per point query): it stops at a check that finds none running, and
        the next statement starts it again."""
        if self.on_loop:
            if self.client_gone():
                self.cancel()
            else:
                self._client_watch = asyncio.get_running_loop().call_later(0.25, self._watch_client)
                return
        self._client_watch = None

    async def _run_on_loop_until(self, work: Coroutine[Any, Any, T], deadline: float) -> T:
        task = asyncio.ensure_future(work)
        with self.spanner_call(task):
            try:
                left = deadline - asyncio.get_running_loop().time()
                return await asyncio.wait_for(task, max(left, 0.0))
            except asyncio.TimeoutError:
                raise self.timed_out() from None
            except PgError as exc:
                if exc.detail == "Spanner status DEADLINE_EXCEEDED":
                    raise self.timed_out() from exc  # Spanner ended it at our deadline
                raise

    async def run_blocking(self, fn: Callable[[], T], *, stream_deadline: bool = True) -> T:
        """Run a Spanner call on the pool; a CancelRequest abandons it and raises 57014, a
        client that hangs up meanwhile ends the session."""
        work = self.submit(fn, stream_deadline=stream_deadline)
        fut = asyncio.wrap_future(work)
        loop = asyncio.get_running_loop()
        deadline = self.deadline()
        with self.spanner_call(fut):
            try:
                while not fut.done():
                    wait = 0.25 if deadline is None else max(0.0, min(0.25, deadline - loop.time()))
                    await asyncio.wait((fut,), timeout=wait)
                    if fut.done():
                        break
                    if deadline is not None and loop.time() >= deadline:
                        if self.backend is not None:
                            self.backend.cancel()
                        self.calls.cancel()
                        work.add_done_callback(_discard)
                        raise self.timed_out()
                    if self.client_gone():
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
                raise self.timed_out() from exc  # Spanner ended it at our deadline
            if err is exc:
                raise
            raise err from exc

    def client_gone(self) -> bool:
        return self.reader.at_eof() or self.writer.transport.is_closing()

    def cancel(self) -> None:
        """Called by the server for a matching CancelRequest (ignored between statements)."""
        running = self._running
        if running is None or running.done():
            return
        self.cancel_requested = True
        if self.backend is not None:
            self.backend.cancel()
        self.calls.cancel()
        running.cancel()

    def require_backend(self) -> SpannerConnection:
        backend = self.backend
        assert backend is not None, "statements run only after startup"
        return backend

    # --- transactions -----------------------------------------------------------------------

    async def fail_transaction(self) -> None:
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
            await self.rollback_backend()

    async def rollback_backend(self) -> None:
        backend = self.backend
        if backend is not None and backend.in_transaction:
            try:
                await self.run_blocking(backend.rollback)
            except PgError:
                pass

    async def end_implicit(self) -> None:
        """Commit the implicit transaction that statements since the last Sync/Query opened."""
        if not self.implicit:
            return
        self.implicit = False
        try:
            await self.run_blocking(self.require_backend().commit)
        except PgError as exc:
            self.send(p.error_response(exc))

    def ensure_write_transaction(self) -> None:
        backend = self.require_backend()
        if self.status == "T":
            if not backend.in_transaction:
                backend.begin(read_only=self.settings.get("transaction_read_only") == "on")
            return
        if not backend.in_transaction:
            backend.begin(read_only=False)
            self.implicit = True

    def close_portals_except(self, keep: str) -> None:
        for name in [n for n, x in self.portals.items() if n != keep and not x.hold]:
            self.close_cursor_of(self.portals.pop(name))

    def close_portals(self, only_unnamed: bool = False) -> None:
        for name in [
            n for n, x in self.portals.items() if n == "" or (not only_unnamed and not x.hold)
        ]:
            self.close_cursor_of(self.portals.pop(name))

    def close_cursor_of(self, portal: Portal) -> None:
        """Close a portal's Spanner stream on a worker (closing may wait on gRPC); a cursor that
        was read to its end is closed already, and one read on the loop closes without waiting:
        neither needs a trip to a thread."""
        cursor = portal.cursor
        if isinstance(cursor, LoopCursor):
            cursor.close()
        elif cursor is not None and not cursor.done:
            self.server.executor.submit(cursor.close)

    # --- settings ---------------------------------------------------------------------------

    def assign(self, key: str, value: str, *, report: bool = True, local: bool = False) -> None:
        """SET key = value by the settings table's rules, with what the value changes in the
        session; a reported setting that changes is sent as ParameterStatus (`report`). In a
        transaction block the change is recorded, to be undone as PostgreSQL undoes it
        (`local`: SET LOCAL)."""
        text = self._apply(key, value, report)
        if self.block is not None:
            self.block.record(key, text, local)

    def _apply(self, key: str, value: str, report: bool = True) -> str:
        text, parsed = parse_setting(key, value)
        effect = SETTING_EFFECTS.get(key)
        if effect is not None:
            effect(self, parsed)
        old = self.settings.get(key)
        self.settings[key] = text
        if report and key in REPORTED and old != text:
            self.send(p.parameter_status(key, text))
        return text

    def begin_block(self) -> None:
        self.block = BlockSettings(dict(self.settings))

    def end_block(self, committed: bool) -> None:
        """The block's settings as COMMIT or ROLLBACK leave them."""
        block, self.block = self.block, None
        if block is not None:
            self._restore(
                block.after_commit() if committed else block.after_rollback(self.settings)
            )

    def settings_mark(self) -> SettingsMark | None:
        return self.block.mark(self.settings) if self.block is not None else None

    def back_to_mark(self, mark: SettingsMark | None) -> None:
        if self.block is not None and mark is not None:
            self._restore(self.block.back_to(mark, self.settings))

    def _restore(self, values: dict[str, str | None]) -> None:
        for key, value in values.items():
            if value is None:
                self.settings.pop(key, None)  # a custom setting made in the block
            elif self.settings.get(key) != value:
                self._apply(key, value)

    def reset_all(self) -> None:
        for key, value in self.defaults.items():
            if key not in ("session_authorization", "client_encoding"):
                if self.settings.get(key) != value:
                    self.assign(key, value)

    # --- catalog, tags ----------------------------------------------------------------------

    def session_info(self) -> SessionInfo:
        return SessionInfo(
            self.database_id, self.user, self.pid, self.settings, self.assign, self._assign_local
        )

    def _assign_local(self, key: str, value: str) -> None:
        """set_config(..., true): SET LOCAL; outside a block it would end with its statement,
        so it is only checked."""
        if self.status == "I":
            parse_setting(key, value)
        else:
            self.assign(key, value, local=True)

    def catalog_snapshot(self) -> Catalog:
        """Runs on a worker thread (the catalog is read with Spanner queries)."""
        if self.catalog is None:
            backend = self.require_backend()

            def rows(sql: str) -> list[list[Any]]:
                # outside the client's transaction: catalog reads must not join (and so
                # count as statements of) the transaction, or DDL after them would be refused
                return backend.read_outside(sql)

            self.catalog = load_catalog(rows, self.database_id)
        return self.catalog

    def schema_changed(self) -> None:
        self.catalog = None
        self.plan_cache.clear()

    def statement_tag(self, sql: str = "") -> contextlib.AbstractContextManager[None]:
        """spanner.statement_tag applies to the next statement only, as in PGAdapter; with
        spanner.sqlcommenter_tags on, a sqlcommenter comment tags the statement instead."""
        settings = self.settings
        if not settings.get("spanner.statement_tag") and not (
            "/*" in sql and settings.get("spanner.sqlcommenter_tags") == "on"
        ):
            # the common case, every statement's: no tag to set, nor to clear afterwards
            if self.backend is not None:
                self.backend.request_tag = None
            return _UNTAGGED
        return self._tagged(sql)

    @contextlib.contextmanager
    def _tagged(self, sql: str) -> Iterator[None]:
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

    def cursor_named(self, name: str) -> Portal:
        """A cursor (a named portal) that FETCH, MOVE or CLOSE names."""
        target = self.portals.get(name)
        if target is None or not target.name:
            raise PgError(f'cursor "{name}" does not exist', "34000")
        return target

    # --- teardown ---------------------------------------------------------------------------

    async def close(self) -> None:
        self.server.unregister(self)
        # a client gone mid-statement: its streams stop on Spanner too, not only here
        self.calls.cancel()
        for portal in self.portals.values():
            if portal.cursor is not None:
                portal.cursor.close()
        self.portals.clear()
        backend, self.backend = self.backend, None
        if backend is not None:
            # not awaited: a client that hung up must not wait for the rollback round trip,
            # and the server's shutdown drains the pool
            self.server.executor.submit(_close_quietly, backend)


# --- what a setting's value changes in the session ------------------------------------------


def _set_timezone(s: Session, tz: dt.tzinfo) -> None:
    s.text_out = replace(s.text_out, tz=tz)


def _set_interval_style(s: Session, style: str) -> None:
    s.text_out = replace(s.text_out, interval_style=style)


def _set_timeout(s: Session, ms: int) -> None:
    s.timeout_ms = ms


def _set_ddl_mode(s: Session, mode: str) -> None:
    s.ddl_mode = mode


def _set_staleness(s: Session, staleness: dict[str, Any]) -> None:
    if s.backend is not None:
        s.backend.staleness = staleness


def _set_priority(s: Session, priority: int) -> None:
    if s.backend is not None:
        s.backend.priority = priority


def _set_transaction_tag(s: Session, tag: str) -> None:
    if s.backend is not None:
        if s.backend.has_statements:
            raise PgError(
                "spanner.transaction_tag must be set before the transaction's first statement",
                "25001",
            )
        s.backend.transaction_tag = tag or None


def _set_commit_stats(s: Session, on: bool) -> None:
    if s.backend is not None:
        s.backend.return_commit_stats = on


SETTING_EFFECTS: dict[str, Callable[[Session, Any], None]] = {
    "TimeZone": _set_timezone,
    "IntervalStyle": _set_interval_style,
    "statement_timeout": _set_timeout,
    "spanner.ddl_transaction_mode": _set_ddl_mode,
    "spanner.read_only_staleness": _set_staleness,
    "spanner.rpc_priority": _set_priority,
    "spanner.transaction_tag": _set_transaction_tag,
    "spanner.return_commit_stats": _set_commit_stats,
}
# settings whose effect lives in the Spanner connection: applied again once it exists, when
# given at startup (before it does)
BACKEND_SETTINGS = (
    "spanner.read_only_staleness",
    "spanner.rpc_priority",
    "spanner.return_commit_stats",
)


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


__all__ = ["Handler", "Host", "Session", "Statement"]


class _SpannerCall:
    """Session.spanner_call's context. A class, not a generator-based context manager: every
    autocommit query enters one, and the generator's machinery cost five calls more."""

    __slots__ = ("running", "session")

    def __init__(self, session: Session, running: asyncio.Future[Any]) -> None:
        self.session = session
        self.running = running

    def __enter__(self) -> None:
        self.session._running = self.running
        self.session.busy = True

    def __exit__(self, kind: type[BaseException] | None, exc: Any, tb: Any) -> None:
        s, running = self.session, self.running
        s.busy = False
        s._running = None
        if kind is not None and issubclass(kind, asyncio.CancelledError) and s.cancel_requested:
            # when `running` is the connection's own task, the cancellation is ours to take
            # back (Python 3.11+ counts them), unless something else (server shutdown)
            # cancelled the task too
            uncancel = getattr(running, "uncancel", None)
            if running is not asyncio.current_task() or uncancel is None or uncancel() == 0:
                raise QueryCanceled() from None
