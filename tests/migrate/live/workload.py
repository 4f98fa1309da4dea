"""A source workload for the live migration tests and benchmark: concurrent sessions that
insert, update, delete, move rows to new primary keys and run large transactions, each in an
id range of its own (no two sessions touch the same row), until stopped."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RETRYABLE = ("deadlock", "lock wait timeout")  # errors a session rolls back and goes on from
SESSION_SPAN = 1_000_000  # ids of session k are in [k * SPAN, (k + 1) * SPAN)

MYSQL_TABLES = [
    "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, price DECIMAL(12,2), "
    "at DATETIME(6), note TEXT)",
    "CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, item INT NOT NULL, qty INT, "
    "placed DATE)",
]
PG_TABLES = [
    "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, price NUMERIC(12,2), "
    "at TIMESTAMP, note TEXT)",
    "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, item INT NOT NULL, qty INT, placed DATE)",
]


@dataclass
class Counts:
    ops: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, op: str, n: int = 1) -> None:
        self.ops[op] = self.ops.get(op, 0) + n


def seed(conn: Any, engine: str, rows: int) -> None:
    """Rows for the backfill, in session 0's range."""
    cur = conn.cursor()
    mark = "%s"
    data = [(i, f"seed {i}", i * 1.25, f"note {i}" * (i % 3)) for i in range(rows)]
    cur.executemany(
        f"INSERT INTO items (id, name, price, at, note) VALUES ({mark}, {mark}, {mark}, "
        f"CURRENT_TIMESTAMP, {mark})",
        data,
    )
    conn.commit()


class Workload:
    """`sessions` threads writing through `connect()` connections (autocommit off) at about
    `rate` transactions per second in all (None: as fast as they go), until stop()."""

    def __init__(
        self,
        connect: Callable[[], Any],
        sessions: int = 3,
        rate: float | None = 40.0,
        large_every: int = 50,
        large_rows: int = 1500,
        seed_value: int = 7,
    ) -> None:
        self.connect = connect
        self.sessions = sessions
        self.rate = rate
        self.large_every = large_every
        self.large_rows = large_rows
        self.stopping = threading.Event()
        self.counts = Counts()
        self.lock = threading.Condition()  # notified at each transaction counted
        self.threads = [
            threading.Thread(target=self._run, args=(k + 1, seed_value + k), daemon=True)
            for k in range(sessions)
        ]

    def start(self) -> Workload:
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> Counts:
        """Stop the sessions and wait for them: each finishes its transaction first, so that
        after this no write reaches the source."""
        self.stopping.set()
        for t in self.threads:
            t.join(600)
            if t.is_alive():
                self.counts.errors.append(f"{t.name} did not stop")
        return self.counts

    def _count(self, op: str, n: int = 1) -> None:
        with self.lock:
            self.counts.add(op, n)
            self.lock.notify_all()

    def wait_for_ops(self, kinds: set[str], timeout: float = 600.0) -> set[str]:
        """Block until every kind of transaction in `kinds` has been committed at least once
        (or a session failed, or `timeout` passed); the kinds still missing."""
        with self.lock:
            self.lock.wait_for(
                lambda: kinds <= set(self.counts.ops) or bool(self.counts.errors), timeout
            )
            return kinds - set(self.counts.ops)

    def _run(self, session: int, seed_value: int) -> None:
        rnd = random.Random(seed_value)
        conn = self.connect()
        cur = conn.cursor()
        ids = _Ids(session * SESSION_SPAN)
        n = 0
        period = None if self.rate is None else self.sessions / self.rate
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                n += 1
                try:
                    op = self._transaction(cur, rnd, n, ids)
                    conn.commit()
                    self._count(op)
                except Exception as exc:
                    # InnoDB's UPDATE of orders by a column without an index locks every row
                    # it scans: on a slow machine sessions deadlock, or wait past the lock
                    # timeout; an application rolls back and goes on (the ids stay unused)
                    if not any(word in str(exc).lower() for word in RETRYABLE):
                        raise
                    conn.rollback()
                    self._count("deadlock_rollback")
                if period is not None:
                    left = period - (time.monotonic() - started)
                    if left > 0:
                        self.stopping.wait(left)
        except Exception as exc:  # the test asserts there were none
            with self.lock:
                self.counts.errors.append(f"session {session}: {exc!r}")
                self.lock.notify_all()
        finally:
            conn.close()

    def _transaction(self, cur: Any, rnd: random.Random, n: int, ids: _Ids) -> str:
        live = ids.live
        if n % self.large_every == 0:  # one large transaction
            first = ids.take(self.large_rows)
            rows = [
                (first + i, f"bulk {first + i}", rnd.randint(1, 10**6) / 100)
                for i in range(self.large_rows)
            ]
            cur.executemany(
                "INSERT INTO items (id, name, price, at) VALUES (%s, %s, %s, CURRENT_TIMESTAMP)",
                rows,
            )
            cur.execute(
                "UPDATE items SET price = price + 1 WHERE id >= %s AND id < %s",
                (first, first + self.large_rows // 2),
            )
            live.extend(range(first, first + self.large_rows))
            return "large_txn"
        op = rnd.choice(["insert", "insert", "update", "delete", "pk_update", "order"])
        if op == "insert" or not live:
            new = ids.take(1)
            cur.execute(
                "INSERT INTO items (id, name, price, at, note) VALUES "
                "(%s, %s, %s, CURRENT_TIMESTAMP, %s)",
                (new, f"item {new}", rnd.randint(1, 10**6) / 100, "x" * rnd.randint(0, 300)),
            )
            live.append(new)
            return "insert"
        if op == "update":
            cur.execute(
                "UPDATE items SET name = %s, price = %s, at = CURRENT_TIMESTAMP WHERE id = %s",
                (f"renamed {n}", rnd.randint(1, 10**6) / 100, rnd.choice(live)),
            )
        elif op == "delete":
            victim = live.pop(rnd.randrange(len(live)))
            cur.execute("DELETE FROM items WHERE id = %s", (victim,))
        elif op == "pk_update":
            old = live.pop(rnd.randrange(len(live)))
            new = ids.take(1)
            cur.execute("UPDATE items SET id = %s WHERE id = %s", (new, old))
            live.append(new)
        else:
            cur.execute(
                "INSERT INTO orders (item, qty, placed) VALUES (%s, %s, CURRENT_DATE)",
                (rnd.choice(live), rnd.randint(1, 9)),
            )
            cur.execute("UPDATE orders SET qty = qty + 1 WHERE item = %s", (rnd.choice(live),))
        return op


class _Ids:
    """A session's ids: the next unused one, and those it believes live."""

    def __init__(self, base: int) -> None:
        self.next = base
        self.live: list[int] = []

    def take(self, n: int) -> int:
        first = self.next
        self.next += n
        return first
