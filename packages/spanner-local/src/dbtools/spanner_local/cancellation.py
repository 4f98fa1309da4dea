"""Cancelled gRPC calls interrupt the DuckDB statement they are running.

The servicer wrappers open a scope per call (`call_scope`); the executor marks the cursor it
runs a statement on (`running_on`). When the client cancels the call or its deadline passes,
gRPC runs the scope's callback, which interrupts that cursor; the statement then fails with
CANCELLED instead of running on for nobody.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from .errors import Cancelled

_local = threading.local()
# statements that stopped because they were interrupted (a cancelled call leaves no other
# trace, so tests read this)
interrupted = 0
_count_lock = threading.Lock()


# every call in progress, so that shutting the server down can stop their statements at once
_live: weakref.WeakSet[_Scope] = weakref.WeakSet()
_live_lock = threading.Lock()


def count_interrupted() -> None:
    global interrupted
    with _count_lock:
        interrupted += 1


class _Scope:
    def __init__(self) -> None:
        # the server's worker threads are named after it, so one server's shutdown finds its own
        self.thread = threading.current_thread().name
        self.lock = threading.Lock()
        self.cursor: duckdb.DuckDBPyConnection | None = None
        self.ended = False

    def on_termination(self) -> None:
        # gRPC calls this when the call ends for any reason; only a running statement matters.
        with self.lock:
            self.ended = True
            if self.cursor is not None:
                self.cursor.interrupt()


def interrupt_all(thread_prefix: str) -> int:
    """End every running statement of the calls on threads named `thread_prefix…` (a server's
    shutdown); returns how many calls were told."""
    with _live_lock:
        scopes = [s for s in _live if s.thread.startswith(thread_prefix)]
    for scope in scopes:
        scope.on_termination()
    return len(scopes)


@contextmanager
def call_scope(context: Any) -> Iterator[None]:
    scope = _Scope()
    with _live_lock:
        _live.add(scope)
    add_callback = getattr(context, "add_callback", None)
    if add_callback is not None and not add_callback(scope.on_termination):
        scope.ended = True  # the call is already over
    previous = getattr(_local, "scope", None)
    _local.scope = scope
    try:
        yield
    finally:
        _local.scope = previous


@contextmanager
def running_on(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Mark `cur` as running the current call's statement (interrupted if the call ends)."""
    scope: _Scope | None = getattr(_local, "scope", None)
    if scope is None:
        yield
        return
    with scope.lock:
        if scope.ended:
            raise Cancelled("The call was cancelled before the statement ran.")
        scope.cursor = cur
    try:
        yield
    finally:
        with scope.lock:
            scope.cursor = None
