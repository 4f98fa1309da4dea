"""The connector's own event loop, in a daemon thread: certificate refreshes and the in-process
listener run there, whatever loop (or none) the application uses."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str = "dbtools-connector") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call_soon(self, fn: Callable[[], object]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def in_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def stop(self, timeout: float = 5.0) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.in_loop():
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self.loop.close()


class Watchdog:
    """One thread that fires deadline callbacks: ends blocking driver handshakes on time
    without a timer thread per connect."""

    def __init__(self) -> None:
        self._reset()
        # The thread and its lock stay in the parent of a fork; the child starts its own.
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, when: float, fn: Callable[[], None]) -> int:
        with self._cond:
            ident = next(self._ids)
            heapq.heappush(self._heap, (when, ident, fn))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(time.monotonic,), name="dbtools-watchdog", daemon=True
                )
                self._thread.start()
            if self._heap[0][1] == ident:  # wake the thread only for a new earliest deadline
                self._cond.notify()
            return ident

    def cancel(self, ident: int) -> None:
        with self._cond:
            self._cancelled.add(ident)

    def _run(self, clock: Callable[[], float]) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                when, ident, fn = self._heap[0]
                now = clock()
                if ident in self._cancelled:
                    heapq.heappop(self._heap)
                    self._cancelled.discard(ident)
                    continue
                if when > now:
                    self._cond.wait(when - now)
                    continue
                heapq.heappop(self._heap)
            try:
                fn()
            except Exception:
                pass


WATCHDOG = Watchdog()
