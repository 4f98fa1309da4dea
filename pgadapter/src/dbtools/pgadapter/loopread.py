"""Autocommit queries run on the event loop itself, with no trip to a worker thread.

A query outside a transaction is a single-use read-only snapshot: one ExecuteStreamingSql call
and its stream of PartialResultSets. The connection layer sends it from the event loop through
the grpc.aio method of the client's asyncio transport (`SpannerAsyncClient` on a grpc.aio
channel; see LoopReads for why not through its generated wrapper). A point query then costs no
event loop → worker → event loop hop (on a 2-core VM each hop is 0.1-0.2 ms of thread
wake-ups, more than the proxy's own protocol work) and none of the high-level Snapshot
wrapper's per-request bookkeeping. Rows are merged by the client's own `StreamedResultSet`
(values chunked across responses) and stay undecoded protobuf Values, as in backend.py.
Transactions, DML, DDL, COPY and cursors stay on the synchronous client (backend.py).
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.api_core.exceptions import NotFound, from_grpc_error
from google.api_core.gapic_v1 import routing_header
from google.cloud.spanner_v1 import (
    ExecuteSqlRequest,
    RequestOptions,
    TransactionOptions,
    TransactionSelector,
)
from google.cloud.spanner_v1 import Type as SpannerType
from google.cloud.spanner_v1.services.spanner.transports.base import DEFAULT_CLIENT_INFO
from google.cloud.spanner_v1.streamed import StreamedResultSet
from google.protobuf.struct_pb2 import Struct

from .backend import ColumnInfo, columns_of
from .call_context import CallContext, call_options
from .spanner_private import (
    make_value_pb,
    result_done,
    result_metadata,
    result_read_timestamp,
    result_rows,
)
from .sqlstate import pg_error_from


def make_api(client: Any, emulator_host: str | None) -> Any:
    """A SpannerAsyncClient for the same endpoint and credentials as the synchronous `client`
    (LoopReads sends the user agent and other headers itself). Must be called on the event loop that will use it (grpc.aio channels belong to one loop)."""
    from google.cloud.spanner_v1 import SpannerAsyncClient

    if emulator_host:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud.spanner_v1.services.spanner.transports.grpc_asyncio import (
            SpannerGrpcAsyncIOTransport,
        )

        channel = grpc.aio.insecure_channel(emulator_host)
        transport = SpannerGrpcAsyncIOTransport(channel=channel, credentials=AnonymousCredentials())
        return SpannerAsyncClient(transport=transport)
    options = getattr(client, "_client_options", None)
    return SpannerAsyncClient(credentials=client.credentials, client_options=options)


# spanner.read_only_staleness (the Snapshot keyword arguments of settings.parse_staleness) →
# the ReadOnly field that carries it
_STALENESS_FIELDS = ("read_timestamp", "min_read_timestamp", "max_staleness", "exact_staleness")


def read_only_selector(staleness: dict[str, Any]) -> TransactionSelector:
    """The single-use read-only transaction of an autocommit query."""
    bound = {k: v for k, v in staleness.items() if k in _STALENESS_FIELDS}
    read_only = TransactionOptions.ReadOnly(
        return_read_timestamp=True, **(bound or {"strong": True})
    )
    return TransactionSelector(single_use=TransactionOptions(read_only=read_only))


# The request is built as the raw protobuf message and wrapped once: building it through
# proto-plus (several nested messages and marshalled fields) was about a third of the time
# of query() for a point query.
_RequestPb = ExecuteSqlRequest.pb()
_TypePb = SpannerType.pb()


@functools.lru_cache(maxsize=64)
def _selector_pb(staleness: tuple[tuple[str, Any], ...]) -> Any:
    return TransactionSelector.pb(read_only_selector(dict(staleness)))


def _type_pb(t: Any) -> Any:
    return t if isinstance(t, _TypePb) else SpannerType.pb(t)


# result columns by the serialized row type of the result's metadata: a prepared statement's
# executions all get the same row type, so its proto-plus fields need converting only once.
# The lists are shared, and only read.
_COLUMNS: dict[bytes, list[ColumnInfo]] = {}
_CACHE_MAX = 1024  # entries of each of this module's caches, at most


def _columns(rs: StreamedResultSet) -> list[ColumnInfo]:
    metadata: Any = result_metadata(rs)  # the first response's ResultSetMetadata (protobuf)
    key = metadata.row_type.SerializeToString()
    columns = _COLUMNS.get(key)
    if columns is None:
        if len(_COLUMNS) >= _CACHE_MAX:
            _COLUMNS.clear()
        columns = _COLUMNS[key] = columns_of(rs.fields)
    return columns


def api_error(exc: Exception) -> Exception:
    """A gRPC error as the client's exception (NotFound, DeadlineExceeded, ...), as the
    generated client's wrapper raises them; any other exception as it is."""
    if isinstance(exc, grpc.RpcError):
        return from_grpc_error(exc)
    return exc


class _Feed:
    """The responses received so far, as the synchronous iterator StreamedResultSet reads:
    it stops when they run out, and goes on when more have arrived."""

    def __init__(self) -> None:
        self.pending: deque[Any] = deque()

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> Any:
        if not self.pending:
            raise StopIteration
        return self.pending.popleft()


class LoopCursor:
    """Rows of an autocommit query read on the event loop. Same surface as backend.Cursor for
    the connection layer, except that rows arrive through `fill` (awaited) and `fetch` only
    hands out rows already received, so it never blocks."""

    exhausted = True  # fetch() never blocks: rows come in through fill()
    row_count: int | None = None

    def __init__(self, stream: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._stream = stream
        self._responses: AsyncIterator[Any] = stream.__aiter__()
        self._loop = loop
        self._feed = _Feed()
        self._rs = StreamedResultSet(self._feed, lazy_decode=True)
        self._buffer: deque[list[Any]] = deque()
        self._ended = False  # the stream has no more responses
        self.columns: list[ColumnInfo] | None = None
        self.done = False
        self.fetched = 0

    @property
    def complete(self) -> bool:
        """Every row has been received (some may still be buffered)."""
        return self._ended

    async def fill(self, want: int) -> None:
        """Receive responses until `want` rows are buffered (every row when want <= 0) or the
        stream ends."""
        try:
            await self.receive(want)
        except Exception as exc:
            self.close()
            err = api_error(exc)
            raise pg_error_from(err) from err

    async def receive(self, want: int) -> None:
        """fill() with gRPC's exceptions as they are."""
        while not self._ended and (want <= 0 or len(self._buffer) < want):
            try:
                response = await self._responses.__anext__()
            except StopAsyncIteration:
                self._ended = True
                break
            self._feed.pending.append(response)
            self._buffer.extend(result_rows(self._rs))
            if result_done(self._rs):
                # the response marked `last`: the client's own result sets stop there too, and
                # waiting for the call's status as well took one more read per query
                self._ended = True
        if self.columns is None and result_metadata(self._rs) is not None:
            self.columns = _columns(self._rs)
        elif self.columns is None and self._ended:
            self.columns = []

    @property
    def read_timestamp(self) -> tuple[int, int] | None:
        """The read timestamp of this single-use read, once its first response is in (as
        result_read_timestamp gives it)."""
        return result_read_timestamp(self._rs)

    def fetch(self, n: int) -> list[list[Any]]:
        """Up to n of the rows received (all when n <= 0)."""
        buffer = self._buffer
        count = len(buffer) if n <= 0 else min(n, len(buffer))
        out = [buffer.popleft() for _ in range(count)]
        self.fetched += len(out)
        if self._ended and not buffer:
            self.close()
        return out

    def decode(self, rows: list[list[Any]]) -> list[list[Any]]:
        return [self._rs.decode_row(r) for r in rows]

    def close(self) -> None:
        """Safe from any thread: cancelling the call happens on the loop that owns it."""
        if self.done:
            return
        self.done = True
        if not self._ended:
            self._ended = True
            try:
                self._loop.call_soon_threadsafe(self._stream.cancel)
            except RuntimeError:  # the loop is closed (shutdown): the channel goes with it
                pass


class SessionGone(Exception):
    """Spanner no longer knows the multiplexed session the reads were sent on."""


def session_name(database: Any) -> str | None:
    """The database's multiplexed session (from the client's sessions manager), or None when
    the client gives out pooled sessions instead. Blocking: it may create the session."""
    from google.cloud.spanner_v1.database_sessions_manager import TransactionType

    manager = database.sessions_manager
    session = manager.get_session(TransactionType.READ_ONLY)
    if not session.is_multiplexed:
        manager.put_session(session)
        return None
    return str(session.name)


# The generated client's default deadline for ExecuteStreamingSql, which a call without a
# statement_timeout keeps.
DEFAULT_TIMEOUT = 3600.0


class LoopReads:
    """Autocommit queries of one database, sent from the event loop.

    The call goes to the transport's grpc.aio method itself, with the headers the generated
    client's wrapper would add (routing header, x-goog-api-client) computed once: the wrapper
    merges them anew on every call, and waits for the response headers in a turn of the event
    loop of its own (with the Task per query that connection.run_on_loop no longer makes and
    the per-query column conversion, 17 % of the instructions pgadapter executed per point
    query). Errors become the client's exceptions (`api_error`) as the wrapper makes them."""

    def __init__(self, api: Any, database: Any, session: str, client_info: Any = None) -> None:
        self.api = api
        self.database = database
        self._rpc = api.transport.execute_streaming_sql
        info = client_info or DEFAULT_CLIENT_INFO
        self._static = [
            info.to_grpc_metadata(),
            ("google-cloud-resource-prefix", database.name),
        ]
        self._built: dict[tuple[tuple[str, str], ...], grpc.aio.Metadata] = {}
        self._use_session(session)

    def _use_session(self, session: str) -> None:
        self.session_name = session
        self.metadata = [
            *self._static,
            routing_header.to_grpc_metadata((("session", session),)),
        ]

    def _grpc_metadata(self, metadata: list[tuple[str, str]]) -> grpc.aio.Metadata:
        """grpc.aio's form of the headers, which it would otherwise build on every call: the
        few combinations a database's connections send (application names) are kept."""
        key = tuple(metadata)
        built = self._built.get(key)
        if built is None:
            if len(self._built) >= _CACHE_MAX:
                self._built.clear()
            built = self._built[key] = grpc.aio.Metadata(*metadata)
        return built

    def refresh_session(self) -> None:
        """After SessionGone (blocking: run it on a worker)."""
        self._use_session(session_name(self.database) or self.session_name)

    async def query(
        self,
        sql: str,
        params: dict[str, Any] | None,
        types: dict[str, Any] | None,
        staleness: dict[str, Any],
        request_options: RequestOptions | None,
        prefetch: int,
        ctx: CallContext | None = None,
    ) -> LoopCursor:
        """Start the query and receive its first rows (up to `prefetch`): a small result is
        then complete, and its columns are known for Describe. `ctx` puts the statement's
        deadline and application_name on the call, as call_context's interceptor does for the
        synchronous client's calls."""
        pb = _RequestPb(
            session=self.session_name,
            sql=sql,
            transaction=_selector_pb(tuple(sorted(staleness.items()))),
        )
        if params:
            pb.params.CopyFrom(Struct(fields={k: make_value_pb(v) for k, v in params.items()}))
        if types:
            for key, t in types.items():
                pb.param_types[key].CopyFrom(_type_pb(t))
        if request_options is not None:
            pb.request_options.CopyFrom(RequestOptions.pb(request_options))
        request = ExecuteSqlRequest.wrap(pb)
        cursor: LoopCursor | None = None
        try:
            timeout, metadata = call_options(ctx, self.metadata)
            stream = self._rpc(
                request,
                metadata=self._grpc_metadata(metadata),
                timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            )
            cursor = LoopCursor(stream, asyncio.get_running_loop())
            await cursor.receive(prefetch)
        except BaseException as exc:
            if cursor is not None:
                cursor.close()
            if isinstance(exc, Exception):
                err = api_error(exc)
                if isinstance(err, NotFound) and "session" in str(err).lower():
                    raise SessionGone() from err
                raise pg_error_from(err) from err
            raise
        return cursor
