"""The worker side of a streaming (non-atomic) COPY FROM.

The connection's read loop hands each CopyData message in (`feed`, which waits only when
`max_waiting` bytes are already waiting); a background task converts what has arrived on a
worker thread, everything that arrived meanwhile in one go (so a client that sends a row per
message costs one trip to the pool per burst, not per row), and sends the batches it
completes to be committed, at most `parallel` commits at a time.
Memory: the data waiting (at most `max_waiting` bytes before the read loop waits), the piece
being converted, the batch being filled and the batches being committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from .copy import Batches, CopyBatcher


class CopyInPipeline:
    def __init__(
        self,
        batcher: CopyBatcher,
        *,
        run: Callable[..., asyncio.Future[Any]],
        commit: Callable[[list[list[Any]]], asyncio.Future[int]],
        guard: Callable[[asyncio.Future[Any]], Awaitable[Any]],
        parallel: int,
        max_waiting: int,
    ) -> None:
        self._batcher = batcher
        self._run = run  # runs fn(*args) on a worker thread
        self._commit = commit  # commits one batch on a worker thread
        self._guard = guard  # awaits a future within the statement's deadline
        self._parallel = parallel
        self._max_waiting = max_waiting
        self._waiting: list[bytes] = []
        self._waiting_bytes = 0
        self._ended = False
        self._has_data = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.inflight: deque[tuple[asyncio.Future[int], int]] = deque()
        self.committed = 0
        self.peak_rows = 0  # rows held at once: the batch being filled and those committing
        self._task = asyncio.ensure_future(self._convert_loop())

    def failed(self) -> BaseException | None:
        """The error that stopped the conversions (a bad row, a timeout), if any."""
        if self._task.done() and not self._task.cancelled():
            return self._task.exception()
        return None

    async def feed(self, chunk: bytes) -> None:
        self._waiting.append(chunk)
        self._waiting_bytes += len(chunk)
        self._has_data.set()
        if self._waiting_bytes >= self._max_waiting:
            self._room.clear()
            # the read loop waits until the converter took the data (or stopped)
            room = asyncio.ensure_future(self._room.wait())
            await asyncio.wait((room, self._task), return_when=asyncio.FIRST_COMPLETED)
            room.cancel()

    async def finish(self) -> int:
        """At CopyDone: convert the rest, wait for every commit; the rows committed."""
        self._ended = True
        self._has_data.set()
        await self._guard(self._task)
        while self.inflight:
            self.committed += await self._guard(self.inflight.popleft()[0])
        return self.committed

    async def close(self) -> None:
        """After an error: stop converting; let the commits already sent finish (their rows
        stay written) and swallow their errors, which give way to the first one."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task
        for fut, _ in self.inflight:
            with contextlib.suppress(Exception):
                await fut

    async def _convert_loop(self) -> None:
        while True:
            await self._has_data.wait()
            self._has_data.clear()
            if self._waiting:
                data = b"".join(self._waiting)
                self._waiting, self._waiting_bytes = [], 0
                self._room.set()
                await self._take(self._batcher.feed, data)
            if self._ended and not self._waiting:
                await self._take(self._batcher.finish)
                return

    async def _take(
        self, fn: Callable[..., tuple[Batches, BaseException | None]], *args: Any
    ) -> None:
        batches, error = await self._guard(self._run(fn, *args))
        for rows in batches:
            while len(self.inflight) >= self._parallel:
                self.committed += await self._guard(self.inflight.popleft()[0])
            self.inflight.append((self._commit(rows), len(rows)))
        held = len(self._batcher.filler.batch) + sum(n for _, n in self.inflight)
        self.peak_rows = max(self.peak_rows, held)
        if error is not None:
            raise error
