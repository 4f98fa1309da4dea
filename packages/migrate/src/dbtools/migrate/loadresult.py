"""What a data load did, per table: rows read, written, bad, skipped by a resume."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableStats:
    read: int = 0
    written: int = 0
    bad: int = 0
    skipped_resume: int = 0
    complete: bool = False


@dataclass
class LoadResult:
    tables: dict[str, TableStats] = field(default_factory=dict)
    bad_rows_file: str | None = None
    elapsed: float = 0.0
    dry_run: bool = False  # rows were converted, none written: the report must say 0 written

    @property
    def bad(self) -> int:
        return sum(t.bad for t in self.tables.values())

    def to_json(self) -> dict[str, Any]:
        out = {}
        # in a dry run the rows a write would take are converted ones, none written
        done = "rows_converted" if self.dry_run else "rows_written"
        for name, t in self.tables.items():
            rating = _data_rating(t.read, t.bad)
            out[name] = {
                "rows_read": t.read,
                "rows_written": 0 if self.dry_run else t.written,
                done: t.written,
                "bad_rows": t.bad,
                "skipped_by_resume": t.skipped_resume,
                "complete": t.complete,
                "rating": rating,
            }
        read = sum(t.read for t in self.tables.values())
        written = sum(t.written for t in self.tables.values())
        return {
            "rows_read": read,
            "rows_written": 0 if self.dry_run else written,
            done: written,
            "bad_rows": self.bad,
            "dry_run": self.dry_run,
            "rating": _data_rating(read, self.bad),
            "seconds": round(self.elapsed, 3),
            "bad_rows_file": self.bad_rows_file,
            "tables": out,
        }


def _data_rating(rows: int, bad: int) -> str:
    if bad == 0:
        return "EXCELLENT"
    if bad < rows / 20:
        return "GOOD"
    if bad < rows / 3:
        return "OK"
    return "POOR"
