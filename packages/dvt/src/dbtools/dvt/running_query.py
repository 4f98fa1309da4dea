"""A query running on a thread of its own that another thread can cancel on the server (an
engine's `start_query`)."""

from __future__ import annotations

import threading
from typing import Any

Row = tuple[Any, ...]


class Running:
    """A query running on its own thread that another thread can cancel: a column validation
    starts each side's aggregates as soon as that side's columns are known, before the other
    side has answered, and cancels them if the plan of both sides turns out different."""

    def __init__(self, engine: Any, sql: str) -> None:
        self.engine, self.sql = engine, sql
        self._conn: Any = None
        self._cancelled = False
        self._lock = threading.Lock()
        self._rows: list[Row] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dvt-query", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = self.engine._borrow()
            with self._lock:
                self._conn = conn
                if self._cancelled:
                    conn.close()
                    return
            self._rows = self.engine._query_on(conn, self.sql)
        except BaseException as exc:  # handed to whoever takes the result
            self._error = exc
            return
        with self._lock:  # from here on `cancel` has nothing to interrupt
            self._conn = None
            cancelled = self._cancelled
        conn.close() if cancelled else self.engine._give_back(conn)

    def result(self) -> list[Row]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._rows

    def cancel(self) -> None:
        """Stop the query and wait until its thread has ended (its result is dropped)."""
        with self._lock:
            self._cancelled = True
        # Asked again until the thread ends: a request that reaches the server just before the
        # query starts is lost. If asking fails (the query just ended and closed its connection,
        # or the server refuses), the query ends on its own, within the query timeout.
        while self._thread.is_alive():
            with self._lock:
                conn = self._conn
            if conn is not None:
                try:
                    self.engine.interrupt(conn)
                except Exception:
                    self._thread.join()
                    return
            self._thread.join(0.2)
