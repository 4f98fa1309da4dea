"""What a PostgreSQL connection's settings put on each Spanner call its statements make.

- `statement_timeout` becomes the gRPC deadline of every call of the statement (ExecuteSql,
  ExecuteStreamingSql, ExecuteBatchDml, BeginTransaction, Commit, ...), as the Java Connection
  API behind PGAdapter sets the timeout of each RPC from its statement timeout: Spanner then
  stops the work itself when the time is up, instead of running on for nobody.
- `application_name` travels as the request header APPLICATION_NAME_HEADER (see the README
  for why a header).

The Python Spanner client has no per-call hook for either (Commit takes no timeout and no
call takes extra metadata), so one gRPC client interceptor on the database's channel reads
them from a context variable; the connection sets it around the work it hands to a worker
thread (`bind`).
"""

from __future__ import annotations

import collections
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.api_core import exceptions as gexc

from .spanner_private import intercept_transport, spanner_transport

log = logging.getLogger(__name__)

APPLICATION_NAME_HEADER = "x-pgadapter-application-name"
# a deadline already passed still makes the call, which fails at once with DEADLINE_EXCEEDED
_MIN_TIMEOUT = 0.001

T = TypeVar("T")


class Calls:
    """The calls a connection's statements have open (streams, and the CANCELLABLE_UNARY
    calls), so that a cancel reaches them.

    The client keeps a stream's call object out of reach until its first response has come
    (api_core waits for it inside the call), and a query that is slow to its first row is
    exactly the one to cancel: the interceptor records the call as it is made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[Any] = []

    def add(self, call: Any) -> None:
        with self._lock:
            self._open = [c for c in self._open if not _done(c)]
            self._open.append(call)

    def cancel(self) -> None:
        """Cancel every open call (Spanner stops the statements they run)."""
        with self._lock:
            calls, self._open = self._open, []
        for call in calls:
            try:
                call.cancel()
            except Exception:  # finishing concurrently: nothing left to cancel
                pass


def _done(call: Any) -> bool:
    done = getattr(call, "done", None)
    return bool(done()) if callable(done) else False


@dataclass(frozen=True)
class CallContext:
    deadline: float | None  # time.monotonic() by which the statement must end; None: no limit
    application_name: str = ""
    stream_deadline: bool = True  # False: result streams (read by later statements) get none
    calls: Calls | None = None  # where the streams opened under this context are recorded


_current: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar(
    "pgadapter_call_context", default=None
)


def bind(ctx: CallContext, fn: Callable[[], T]) -> Callable[[], T]:
    """`fn`, made to run under `ctx` on whatever thread calls it."""

    def run() -> T:
        token = _current.set(ctx)
        try:
            return fn()
        finally:
            _current.reset(token)

    return run


def current() -> CallContext | None:
    return _current.get()


def header_value(application_name: str) -> str:
    """gRPC text headers take printable ASCII only; PostgreSQL shows others as '?' too."""
    return "".join(c if " " <= c <= "~" else "?" for c in application_name)


class _Details(
    collections.namedtuple(
        "_Details",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


def call_options(
    ctx: CallContext | None,
    metadata: Sequence[tuple[str, str]] | None,
    timeout: float | None = None,
    stream: bool = True,
) -> tuple[float | None, list[tuple[str, str]]]:
    """The timeout and metadata of one Spanner call made under `ctx`, from the call's own."""
    out = list(metadata or ())
    if ctx is None:
        return timeout, out
    if ctx.deadline is not None and (ctx.stream_deadline or not stream):
        left = max(ctx.deadline - time.monotonic(), _MIN_TIMEOUT)
        timeout = left if timeout is None else min(timeout, left)
    if ctx.application_name:
        out.append((APPLICATION_NAME_HEADER, header_value(ctx.application_name)))
    return timeout, out


def _adjust(details: Any, stream: bool) -> Any:
    ctx = _current.get()
    if ctx is None or (ctx.deadline is None and not ctx.application_name):
        return details
    timeout, metadata = call_options(ctx, details.metadata, details.timeout, stream)
    return _Details(
        details.method,
        timeout,
        metadata,
        details.credentials,
        getattr(details, "wait_for_ready", None),
        getattr(details, "compression", None),
    )


class _Interceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(_adjust(details, False), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        call = continuation(_adjust(details, True), request)
        ctx = _current.get()
        if ctx is not None and ctx.calls is not None:
            ctx.calls.add(call)
        return call


# unary calls that can run for as long as a statement does: made as futures, so that a cancel
# reaches them (a blocking unary call gives no handle until it is over). Commit is not among
# them: a commit cut off midway leaves the client not knowing whether it happened.
CANCELLABLE_UNARY = frozenset(
    {"/google.spanner.v1.Spanner/ExecuteBatchDml", "/google.spanner.v1.Spanner/ExecuteSql"}
)


class _CancellableUnary:
    """A unary call that records itself in the running statement's `Calls` while it runs."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __call__(self, request: Any, **kwargs: Any) -> Any:
        ctx = _current.get()
        if ctx is None or ctx.calls is None:
            return self._inner(request, **kwargs)
        future = self._inner.future(request, **kwargs)
        ctx.calls.add(future)
        try:
            return future.result()
        except grpc.FutureCancelledError:
            raise gexc.Cancelled("the call was cancelled by a CancelRequest") from None

    def __getattr__(self, name: str) -> Any:  # with_call, future: as they are
        return getattr(self._inner, name)


class _Channel:
    """A channel whose CANCELLABLE_UNARY methods are _CancellableUnary; the rest as it is."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        callable_ = self._inner.unary_unary(method, *args, **kwargs)
        return _CancellableUnary(callable_) if method in CANCELLABLE_UNARY else callable_

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def install(database: Any) -> None:
    """Route the Spanner API calls of `database` through the interceptor (once).

    The client builds its gRPC stubs from the transport's channel when the transport is made;
    they are rebuilt here on the intercepted channel."""
    transport = spanner_transport(database)
    if getattr(transport, "_pgadapter_intercepted", False):
        return
    if not intercept_transport(
        database, lambda ch: _Channel(grpc.intercept_channel(ch, _Interceptor()))
    ):
        # not the gRPC transport this was written for: the proxy still enforces
        # statement_timeout itself, only Spanner does not see the deadline and the name
        log.warning("pgadapter: cannot pass statement_timeout/application_name to Spanner")
        return
    transport._pgadapter_intercepted = True
