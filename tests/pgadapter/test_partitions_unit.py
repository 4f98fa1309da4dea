"""RUN PARTITIONED QUERY's reader pool (spanner.max_partitioned_parallelism): every row of
every partition, at most `workers` partitions read at once, errors and early closes handled."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dbtools.pgadapter.partitions import Options, read_in_parallel


class Streams:
    """Fake partitions that count how many are being read at the same time."""

    def __init__(self, count: int, rows: int) -> None:
        self.count, self.rows = count, rows
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.opened = 0

    def stream(self, p: int) -> Callable[[], Iterator[Any]]:
        def rows() -> Iterator[Any]:
            with self.lock:
                self.active += 1
                self.opened += 1
                self.most = max(self.most, self.active)
            try:
                for r in range(self.rows):
                    time.sleep(0.001)  # let the other readers run meanwhile
                    yield (p, r)
            finally:
                with self.lock:
                    self.active -= 1

        return rows

    def all(self) -> list[Callable[[], Iterator[Any]]]:
        return [self.stream(p) for p in range(self.count)]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_row_arrives_and_at_most_workers_read_at_once(workers: int) -> None:
    streams = Streams(6, 20)
    got = list(read_in_parallel(streams.all(), workers))
    assert sorted(got) == [(p, r) for p in range(6) for r in range(20)]
    assert streams.most <= workers
    if workers > 1:
        assert streams.most > 1  # partitions were read side by side


def test_a_readers_error_ends_the_iteration_with_it() -> None:
    def broken() -> Iterator[Any]:
        yield (9, 0)
        raise RuntimeError("partition failed")

    streams = Streams(3, 50)
    with pytest.raises(RuntimeError, match="partition failed"):
        list(read_in_parallel([*streams.all(), broken], 2))


def test_closing_early_stops_the_readers() -> None:
    streams = Streams(8, 10_000)
    it = read_in_parallel(streams.all(), 4)
    assert next(it) is not None
    it.close()
    deadline = time.monotonic() + 10
    while streams.active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert streams.active == 0
    assert streams.opened < 8  # the partitions nobody started stay unread


def test_zero_parallelism_means_one_reader_per_processor() -> None:
    assert Options(parallelism=0).workers() >= 1
    assert Options(parallelism=3).workers() == 3
