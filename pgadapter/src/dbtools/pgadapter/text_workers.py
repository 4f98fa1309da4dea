"""Worker processes for the work that grows with a client's text (splitting and classifying a
large statement), so that the event loop goes on serving the other connections meanwhile.

A worker thread is not enough: the lexer is Python code, and while it holds the GIL the loop
thread waits up to a switch interval (5 ms) each time it wants the GIL back, that is after
every one of its socket waits; a 3 MB statement raised another client's `select 1` tenfold.
The workers are processes of their own program (`text_worker`), not multiprocessing's: those
re-import the parent's main script, which may be any program that embeds the proxy. They
start at the first large statement, and end when the server stops or dies (their stdin ends).
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from typing import Any

from .errors import PgError
from .text_worker import FUNCTIONS, frame

_LENGTH_SIZE = 8


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def call(self, name: str, text: str) -> tuple[bool, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(frame(name.encode() + b"\0" + text.encode()))
        await self.proc.stdin.drain()
        head = await self.proc.stdout.readexactly(_LENGTH_SIZE)
        body = await self.proc.stdout.readexactly(int.from_bytes(head, "big"))
        result: tuple[bool, Any] = pickle.loads(body)
        return result

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


class TextWorkers:
    """Up to `workers` processes running `statement_text`'s functions on one text each."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._freed: asyncio.Condition | None = None

    async def _take(self) -> _Worker:
        if self._freed is None:
            self._freed = asyncio.Condition()
        async with self._freed:
            while not self._idle and len(self._all) >= self.workers:
                await self._freed.wait()
            if self._idle:
                return self._idle.pop()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "dbtools.pgadapter.text_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            worker = _Worker(proc)
            self._all.add(worker)
            return worker

    async def _give_back(self, worker: _Worker, healthy: bool) -> None:
        assert self._freed is not None
        async with self._freed:
            if healthy:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
                worker.kill()
                await worker.proc.wait()
            self._freed.notify()

    async def run(self, name: str, text: str) -> Any:
        """statement_text's function `name` applied to `text` in a worker process; the PgError
        it raises is raised here."""
        assert name in FUNCTIONS, name
        worker = await self._take()
        healthy = False
        try:
            ok, value = await worker.call(name, text)
            healthy = True
        except (OSError, asyncio.IncompleteReadError, EOFError, pickle.UnpicklingError) as exc:
            # the worker died (killed, out of memory): the next statement starts another
            raise PgError(
                "the process parsing this statement ended before it finished",
                "53200",
                hint="The statement text may be too large for the memory available.",
            ) from exc
        finally:
            # not healthy also when cancelled (the client went away) mid-call: the worker's
            # answer would come to the next caller, so it goes, and its work stops with it
            await asyncio.shield(self._give_back(worker, healthy))
        if not ok:
            raise value
        return value

    async def close(self) -> None:
        """End every worker (at server stop)."""
        workers, self._all, self._idle = list(self._all), set(), []
        for worker in workers:
            if worker.proc.stdin is not None:
                worker.proc.stdin.close()
        for worker in workers:
            try:
                await asyncio.wait_for(worker.proc.wait(), 5)
            except asyncio.TimeoutError:
                worker.kill()
                await worker.proc.wait()

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._all]
