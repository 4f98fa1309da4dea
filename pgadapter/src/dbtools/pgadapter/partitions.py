"""PGAdapter's partitioned queries: PARTITION (the partition tokens of a query), RUN PARTITION
(the rows of one token) and RUN PARTITIONED QUERY (the rows of every partition).

A token names a partition kept in this process: its batch read-only transaction and the
PartitionQuery answer. Tokens are random, not serialized state, so a client cannot make the
proxy run what it did not partition itself; they are valid in the proxy process that made them
(any of its connections), and the oldest are dropped past `MAX_TOKENS`.
"""

from __future__ import annotations

import itertools
import os
import queue
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import PgError
from .spanner_private import result_rows

MAX_TOKENS = 10_000


@dataclass
class _Partition:
    batch: Any  # the BatchSnapshot its transaction belongs to
    spec: Any  # one of BatchSnapshot.generate_query_batches' answers
    database: Any


_lock = threading.Lock()
_tokens: OrderedDict[str, _Partition] = OrderedDict()


def _keep(part: _Partition) -> str:
    token = secrets.token_urlsafe(24)
    with _lock:
        _tokens[token] = part
        while len(_tokens) > MAX_TOKENS:
            _tokens.popitem(last=False)
    return token


@dataclass(frozen=True)
class Options:
    """What the session's settings ask of a partitioned query."""

    data_boost: bool = False  # spanner.data_boost_enabled
    max_partitions: int = 0  # spanner.max_partitions; 0: Spanner decides
    # spanner.max_partitioned_parallelism: partitions RUN PARTITIONED QUERY reads at once;
    # 0: one per processor
    parallelism: int = 1

    def workers(self) -> int:
        return self.parallelism or os.cpu_count() or 1

    def keywords(self) -> dict[str, Any]:
        """Keyword arguments of BatchSnapshot.generate_query_batches."""
        out: dict[str, Any] = {"data_boost_enabled": self.data_boost}
        if self.max_partitions:
            out["max_partitions"] = self.max_partitions
        return out


def partition(database: Any, sql: str, params: Any, types: Any, options: Options) -> list[str]:
    """PARTITION: the tokens of the query's partitions, from one batch transaction."""
    batch = database.batch_snapshot()
    specs = batch.generate_query_batches(
        sql, params=params, param_types=types, **options.keywords()
    )
    return [_keep(_Partition(batch, spec, database)) for spec in specs]


def _rows_of(batch: Any, spec: Any) -> Any:
    return batch.process_query_batch(spec, lazy_decode=True)


def run_partition(database: Any, token: str) -> Any:
    """RUN PARTITION: the result set of one partition this process made."""
    with _lock:
        part = _tokens.get(token)
    if part is None or part.database.name != database.name:
        raise PgError(
            "unknown partition token: tokens are made by PARTITION in this pgadapter process",
            "22023",
        )
    return _rows_of(part.batch, part.spec)


def run_all(
    database: Any, sql: str, params: Any, types: Any, options: Options
) -> tuple[Any, Iterator[Any], Any]:
    """RUN PARTITIONED QUERY: (the first partition's result set, for the columns and the
    decoding; the rows of every partition, `options.workers()` partitions read at a time; the
    batch, to close)."""
    batch = database.batch_snapshot()
    specs = list(
        batch.generate_query_batches(sql, params=params, param_types=types, **options.keywords())
    )
    if not specs:
        raise PgError("the query has no partitions", "XX000")
    first = _rows_of(batch, specs[0])
    workers = min(options.workers(), len(specs))
    if workers == 1:
        rest = (row for spec in specs[1:] for row in result_rows(_rows_of(batch, spec)))
        return first, itertools.chain(result_rows(first), rest), batch

    def reading(spec: Any) -> Callable[[], Iterator[Any]]:
        return lambda: result_rows(_rows_of(batch, spec))

    streams = [lambda: result_rows(first), *(reading(spec) for spec in specs[1:])]
    return first, read_in_parallel(streams, workers), batch


_DONE = object()  # a reader's last item in the queue
QUEUE_ROWS = 1024  # rows the readers may get ahead of the client, in all


@dataclass
class _Failed:
    error: BaseException


def read_in_parallel(streams: list[Callable[[], Iterator[Any]]], workers: int) -> Iterator[Any]:
    """The rows of every stream, `workers` streams read at a time (PGAdapter's
    max_partitioned_parallelism): rows arrive in the order the readers produce them. A reader's
    error ends the iteration with that error; closing the iterator stops the readers."""
    rows: queue.Queue[Any] = queue.Queue(QUEUE_ROWS)
    todo: queue.SimpleQueue[Callable[[], Iterator[Any]]] = queue.SimpleQueue()
    for stream in streams:
        todo.put(stream)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                rows.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            while not stop.is_set():
                try:
                    stream = todo.get_nowait()
                except queue.Empty:
                    break
                for row in stream():
                    if not put(row):
                        return
        except BaseException as exc:  # handed to the client's iteration
            put(_Failed(exc))
        finally:
            put(_DONE)

    threads = [
        threading.Thread(target=reader, name=f"partition-reader-{i}", daemon=True)
        for i in range(workers)
    ]
    for t in threads:
        t.start()
    try:
        running = workers
        while running:
            item = rows.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, _Failed):
                raise item.error
            else:
                yield item
    finally:
        stop.set()
