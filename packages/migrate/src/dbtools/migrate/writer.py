"""Committing batches to Spanner: InsertOrUpdate by a pool of writer threads, adaptive backoff on
what Spanner asks to retry, an optional rate limit, and bisection of a batch Spanner refuses for
its content until the bad rows are isolated."""

from __future__ import annotations

import concurrent.futures as cf
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .rowconvert import printable


class RateLimiter:
    def __init__(self, rows_per_second: float | None) -> None:
        self.rate = rows_per_second
        self.lock = threading.Lock()
        self.next_time = time.monotonic()

    def take(self, rows: int) -> None:
        if not self.rate:
            return
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_time)
            self.next_time = start + rows / self.rate
        delay = start - now
        if delay > 0:
            time.sleep(delay)


RETRYABLE = (
    "Aborted",
    "ResourceExhausted",
    "ServiceUnavailable",
    "DeadlineExceeded",
    "InternalServerError",
)


def spanner_error(exc: BaseException) -> bool:
    """An error reported by Spanner? (google.api_core is imported only once something failed:
    ~0.17 s CPU that a dry run never needs.)"""
    from google.api_core import exceptions as gexc

    return isinstance(exc, gexc.GoogleAPICallError)


class Writer:
    """Commits batches with InsertOrUpdate, in parallel, retrying what Spanner asks to retry."""

    def __init__(
        self, database: Any, parallelism: int, limiter: RateLimiter, on_bad: Callable[..., None]
    ) -> None:
        self.database = database
        self.pool = cf.ThreadPoolExecutor(
            max_workers=max(1, parallelism), thread_name_prefix="spanner-writer"
        )
        self.slots = threading.Semaphore(max(1, parallelism) * 2)  # bounded queue: constant memory
        self.limiter = limiter
        self.on_bad = on_bad
        self.backoff = 0.0

    def submit(
        self,
        table: str,
        columns: list[str],
        rows: list[list[Any]],
        keys: list[Any],
        done: Callable[[int, int], None],
        source: str,
        positions: Sequence[int],
    ) -> cf.Future[None]:
        """`positions`: of the rows in their source table `source` (1-based, for bad rows)."""
        self.slots.acquire()
        fut = self.pool.submit(self.write_now, table, columns, rows, keys, done, source, positions)
        fut.add_done_callback(lambda _f: self.slots.release())
        return fut

    def _commit(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        attempt = 0
        while True:
            self.limiter.take(len(rows))
            try:
                with self.database.batch() as batch:
                    batch.insert_or_update(table, columns, rows)
                self.backoff = max(0.0, self.backoff * 0.5 - 0.01)
                return
            except Exception as exc:
                if not spanner_error(exc) or type(exc).__name__ not in RETRYABLE or attempt >= 8:
                    raise
                attempt += 1
                # adaptive: every writer slows down while Spanner pushes back
                self.backoff = min(30.0, max(0.05, self.backoff * 2 or 0.1))
                time.sleep(self.backoff * (0.5 + random.random()))

    def write_now(
        self,
        table: str,
        columns: list[str],
        rows: list[list[Any]],
        keys: list[Any],
        done: Callable[[int, int], None],
        source: str,
        positions: Sequence[int],
    ) -> None:
        """Commit in the calling thread, retrying and bisecting a refused batch down to its bad
        rows; `submit` runs this in the pool, a Beam DoFn calls it directly (the runner gives the
        parallelism)."""
        try:
            self._commit(table, columns, rows)
            done(len(rows), 0)
        except Exception as exc:
            if not spanner_error(exc) or type(exc).__name__ in RETRYABLE:
                raise
            if len(rows) == 1:
                self.on_bad(
                    table,
                    printable(keys[0]),
                    None,
                    None,
                    f"Spanner refused the row: {getattr(exc, 'message', exc)}",
                    source,
                    positions[0],
                )
                done(0, 1)
                return
            half = len(rows) // 2  # isolate the rows Spanner refuses (CHECK, size, ...)
            self.write_now(table, columns, rows[:half], keys[:half], done, source, positions[:half])
            self.write_now(table, columns, rows[half:], keys[half:], done, source, positions[half:])

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class _NullBatch:
    def __enter__(self) -> _NullBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def insert_or_update(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        pass


class NullDatabase:
    """Takes every batch and keeps nothing: data dry runs (every row converted, none written)."""

    def batch(self) -> _NullBatch:
        return _NullBatch()
