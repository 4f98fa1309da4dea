"""The load's ledger on disk: the checkpoint (rows safely in Spanner, per table) and the bad-rows
file (one JSON line per row that could not be loaded, with where it is in its source)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import DataError
from .rowconvert import printable


class Checkpoint:
    """Per table: how many rows (in source order) are safely in Spanner.

    Kept in memory after every commit, written to disk at most every `interval` seconds (and
    always for a finished table, by `flush`, and at the end): a rewrite of the whole file per
    commit cost ~7% of a fast load. The file may lag behind Spanner, never run ahead of it, so
    a resume after a hard kill rewrites the last few batches (InsertOrUpdate: harmless) and
    never skips a row.
    """

    def __init__(self, path: Path, source_label: str, resume: bool, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self.lock = threading.Lock()
        self.data: dict[str, Any] = {
            "format": "dbtools-migrate-checkpoint",
            "version": 1,
            "source": source_label,
            "tables": {},
        }
        if resume and path.exists():
            old = json.loads(path.read_text())
            if old.get("source") != source_label:
                raise DataError(
                    f"checkpoint {path} belongs to source {old.get('source')!r}, not {source_label!r}; "
                    "use another --out directory or drop --resume"
                )
            self.data = old
        elif path.exists():
            path.unlink()
        self.dirty = False
        self.written_at = time.monotonic()
        self.writes = 0

    def done(self, table: str) -> int:
        return int(self.data["tables"].get(table, {}).get("rows_done", 0))

    def complete(self, table: str) -> bool:
        return bool(self.data["tables"].get(table, {}).get("complete"))

    def update(self, table: str, rows_done: int, complete: bool = False) -> None:
        with self.lock:
            entry = self.data["tables"].setdefault(table, {})
            entry["rows_done"] = max(rows_done, int(entry.get("rows_done", 0)))
            entry["complete"] = complete or bool(entry.get("complete"))
            self.dirty = True
            if complete or time.monotonic() - self.written_at >= self.interval:
                self._write()

    def flush(self) -> None:
        """Write what is in memory now (table ends, interruptions, the end of the load)."""
        with self.lock:
            if self.dirty:
                self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        os.replace(tmp, self.path)  # atomic: a kill never leaves half a checkpoint
        self.dirty = False
        self.written_at = time.monotonic()
        self.writes += 1


class BadRows:
    """The bad-rows file. Each record also says where the row is in its source table
    (`source_table`, `source_row`: 1-based, in source order), so that a resume can drop the
    records of rows past the checkpoint, which the resumed run reads, and reports, again."""

    def __init__(self, path: Path, append: bool, done: Callable[[str], int] | None = None) -> None:
        self.path = path
        self.lock = threading.Lock()
        if append and done is not None and path.exists():
            _keep_done(path, done)
        self.file = path.open("a" if append else "w", encoding="utf-8")

    def add(
        self,
        table: str,
        key: Any,
        column: str | None,
        value: Any,
        reason: str,
        source_table: str,
        source_row: int,
    ) -> None:
        line = bad_record_line(table, key, column, value, reason, source_table, source_row)
        with self.lock:
            self.file.write(line)
            self.file.flush()

    def close(self) -> None:
        self.file.close()


def bad_record_line(
    table: str,
    key: Any,
    column: str | None,
    value: Any,
    reason: str,
    source_table: str,
    source_row: int,
) -> str:
    """One line of the bad-rows file (the one format of both load paths)."""
    record = {
        "table": table,
        "key": key,
        "column": column,
        "value": printable(value),
        "reason": reason,
        "source_table": source_table,
        "source_row": source_row,
    }
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


def _keep_done(path: Path, done: Callable[[str], int]) -> None:
    """Drop the records of rows that the checkpoint does not cover (atomically)."""
    kept = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
                at = int(rec["source_row"])
                table = str(rec["source_table"])
            except (ValueError, KeyError, TypeError):
                kept.append(line)  # not ours to judge (an older file): kept as it is
                continue
            if at <= done(table):
                kept.append(line)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(kept), encoding="utf-8")
    os.replace(tmp, path)
