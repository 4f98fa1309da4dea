"""A record of every statement, read and commit that reached the server, for tests and users."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StatementRecord:
    """One request as it reached spanner-local.

    kind: "query", "dml", "batch_dml", "partitioned_dml", "read", "commit", "ddl".
    Commits list their mutations in `mutations` as (operation, table, row or key count).
    `deadline` is the time the caller gave the call, in seconds left when it arrived (None:
    no deadline); `metadata` the caller's gRPC request headers (text ones: user-agent,
    x-goog-api-client, x-goog-request-params, any custom header...), in the order sent.
    """

    kind: str
    database: str
    sql: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    request_tag: str = ""
    transaction_tag: str = ""
    table: str | None = None
    transaction_id: bytes = b""
    # commits: (operation, table, rows or keys) for each mutation, e.g. ("insert", "T", 500)
    mutations: tuple[tuple[str, str, int], ...] = ()
    deadline: float | None = None
    metadata: tuple[tuple[str, str], ...] = ()

    def header(self, key: str) -> str | None:
        """The first value of one request header (lower-case name), or None."""
        return next((v for k, v in self.metadata if k == key), None)

    @property
    def user_agent(self) -> str:
        """The caller's gRPC user agent."""
        return self.header("user-agent") or ""


class StatementLog:
    """Thread-safe, list-like, bounded (oldest entries drop off first)."""

    def __init__(self, enabled: bool = True, max_entries: int = 100_000) -> None:
        self.enabled = enabled
        self._items: deque[StatementRecord] = deque(maxlen=max_entries)
        self._lock = threading.Lock()

    def append(self, record: StatementRecord) -> None:
        if self.enabled:
            with self._lock:
                self._items.append(record)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[StatementRecord]:
        with self._lock:
            return list(self._items)

    def __iter__(self) -> Iterator[StatementRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> StatementRecord:
        return self.snapshot()[index]

    @property
    def sqls(self) -> list[str]:
        """The SQL text of every query and DML statement, in arrival order."""
        return [r.sql for r in self.snapshot() if r.sql is not None]

    def for_database(self, database: str) -> list[StatementRecord]:
        """Records of one database (full name or just the database id)."""
        return [
            r
            for r in self.snapshot()
            if r.database == database or r.database.endswith("/" + database)
        ]
