"""pgadapter's process returns to its baseline of memory, threads and open files after many
connections, errors, cancels and dropped clients.

Measured from /proc on the pgadapter process started by its CLI (the `processes` fixture):
the baseline is taken after a first round of the same work (pools and caches are there to
stay), and the bound is a tolerance relative to it.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

import psycopg
import pytest
from psycopg import errors

from .conftest import Processes

ENDLESS = (
    "select count(*) from generate_series(1, 10000) a, generate_series(1, 10000) b, "
    "generate_series(1, 10000) c, generate_series(1, 10000) d"
)


def _usage(pid: int) -> tuple[int, int, int]:
    """(RSS in kB, threads, open fds) of a process."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads, len(os.listdir(f"/proc/{pid}/fd"))


def _round(processes: Processes, database: str) -> None:
    dsn = processes.dsn(database)
    for _ in range(40):  # connections that work and go
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("select 1").fetchone()
            with pytest.raises(errors.UndefinedTable):
                conn.execute("select * from no_such_table")
            with pytest.raises(errors.SyntaxError):
                conn.execute("select (1")
    for _ in range(5):  # statements cancelled, inside and outside transactions
        for autocommit in (True, False):
            with psycopg.connect(dsn, autocommit=autocommit) as conn:
                threading.Timer(0.3, conn.cancel).start()
                with pytest.raises(errors.QueryCanceled):
                    conn.execute(ENDLESS)
    for _ in range(20):  # clients that hang up mid-protocol
        sock = socket.create_connection(("127.0.0.1", processes.port))
        pairs = f"user\0u\0database\0{database}\0\0".encode()
        sock.sendall(struct.pack("!ii", len(pairs) + 8, 196608) + pairs)
        sock.sendall(b"Q\0\0\0\x20select 1")  # cut short
        sock.close()


def _settled(pid: int, baseline: tuple[int, int, int]) -> tuple[int, int, int]:
    """The usage once connections have wound down (their fds go as clients finish)."""
    deadline = time.monotonic() + 30
    while True:
        now = _usage(pid)
        if now[2] <= baseline[2] or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def test_usage_returns_to_baseline_after_connections_errors_and_cancels(
    processes: Processes,
) -> None:
    pid = processes.pgadapter.pid
    database = "resources"
    _round(processes, database)  # warm: pools, caches, worker threads
    baseline = _settled(pid, _usage(pid))
    for _ in range(3):
        _round(processes, database)
    rss, threads, fds = _settled(pid, baseline)
    print(f"baseline {baseline}, after 3 rounds {(rss, threads, fds)}")
    # the worker threads are a pool that grows up to ProxyConfig.max_workers (32) and does not
    # shrink; a thread per connection or per cancel would go past it
    assert threads <= baseline[1] + 32, (baseline, threads)
    assert fds <= baseline[2], (baseline, fds)
    # memory: allocator arenas keep some slack; a leak of each round's connections would grow
    # it by a multiple of what one round needed
    assert rss < baseline[0] * 1.25, (baseline, rss)
