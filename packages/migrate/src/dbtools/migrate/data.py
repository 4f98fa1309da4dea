"""The threaded data load: dump rows or live-table chunks -> converted values -> Spanner.

- Every row is written with InsertOrUpdate, so a rerun (or a resumed run) never duplicates rows.
- Rows are converted and cut into batches by fastpaths.py (shared with the Beam pipeline): a
  dump's statements converted in bulk (one `map` over a statement, or straight from the
  tokenizer's regex matches) when they can be, the row loop (batching.cut_rows) otherwise.
- Batches go to writer.Writer (threads, backoff, rate limit, bisection of refused batches).
- A checkpoint (per table: rows done, in source order) follows the contiguous commits and is
  written at most once a second (and at table ends, interruptions and the end); `resume=True`
  skips what is done. Counts are exact: read = written + bad, per table.
- Bad rows go to a JSON-lines file: table, key, column, value, reason (ledger.BadRows).

The plan, the ledger, the writer and the row conversion live in their own modules; the names
below are re-exported so that `dbtools.migrate.data` keeps working as an import path.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fastpaths
from .batching import BadRow, Batch
from .convert import Conversion
from .errors import DataError
from .ledger import BadRows, Checkpoint
from .loadplan import ColumnPlan, TablePlan, identity_restarts, interleave_levels, plan_tables
from .loadresult import LoadResult, TableStats
from .rowconvert import (
    DEFAULT_BATCH_MUTATIONS,
    MAX_BATCH_BYTES,
    MAX_COMMIT_MUTATIONS,
    Layout,
    row_converter,
    synthetic_key,
)
from .rows import RowBatch
from .writer import NullDatabase, RateLimiter, Writer

__all__ = [
    "DEFAULT_BATCH_MUTATIONS",
    "MAX_BATCH_BYTES",
    "MAX_COMMIT_MUTATIONS",
    "BadRows",
    "Checkpoint",
    "ColumnPlan",
    "DataError",
    "LoadResult",
    "Loader",
    "NullDatabase",
    "RateLimiter",
    "TablePlan",
    "TableStats",
    "Writer",
    "identity_restarts",
    "interleave_levels",
    "plan_tables",
    "synthetic_key",
]

_row_converter = row_converter  # the name tests/migrate/test_values.py has used


@dataclass
class _Pending:
    """Commits of one table can finish out of order; the checkpoint moves over contiguous ones."""

    next_seq: int = 0
    next_ckpt: int = 0
    done_upto: int = 0
    finished: dict[int, int] = field(default_factory=dict)  # seq -> rows position after it


class Loader:
    def __init__(
        self,
        conv: Conversion,
        database: Any,
        out: Path,
        *,
        source_label: str,
        tz: dt.tzinfo,
        parallelism: int = 4,
        batch_mutations: int = DEFAULT_BATCH_MUTATIONS,
        rows_per_second: float | None = None,
        resume: bool = False,
        progress: Callable[[str, TableStats], None] | None = None,
        checkpoint_interval: float = 1.0,
    ) -> None:
        self.conv = conv
        self.plans = plan_tables(conv, tz)
        out.mkdir(parents=True, exist_ok=True)
        self.checkpoint = Checkpoint(
            out / "checkpoint.json", source_label, resume, checkpoint_interval
        )
        self.bad = BadRows(out / "bad_rows.jsonl", append=resume, done=self.checkpoint.done)
        self.result = LoadResult(bad_rows_file=str(out / "bad_rows.jsonl"))
        self.batch_mutations = min(batch_mutations, MAX_COMMIT_MUTATIONS)
        self.writer = Writer(database, parallelism, RateLimiter(rows_per_second), self.bad.add)
        self.lock = threading.Lock()
        self.pending: dict[str, _Pending] = {}
        self.progress = progress
        self.position: dict[str, int] = {}  # rows of each table seen in source order
        self.identity_max: dict[tuple[str, str], int] = {}  # (Spanner table, column) -> max loaded
        self.futures: list[cf.Future[None]] = []
        self.layouts = fastpaths.Layouts(self.plans, self.batch_mutations)
        # rows.read_rows' lookup of column-typed readers (see fastpaths.Layouts)
        self.typed_reader = self.layouts.typed_reader

    def _stats(self, table: str) -> TableStats:
        with self.lock:
            return self.result.tables.setdefault(table, TableStats())

    # -- rows in -----------------------------------------------------------------------------
    def add_batch(self, batch: RowBatch) -> None:
        """Rows of one dump statement, through the fast paths (fastpaths.statement_events)."""
        plan = self.plans.get(batch.table)
        if plan is None:
            return  # a table the session skips, or one not in the schema
        lay = self.layouts.get(batch.table, plan, batch.columns, batch.codec)
        self._take(plan, lay, fastpaths.statement_events, batch)

    def add_rows(
        self, source_table: str, columns: list[str] | None, rows: Iterable[list[Any]]
    ) -> None:
        plan = self.plans.get(source_table)
        if plan is None:
            return  # a table the session skips, or one not in the schema
        lay = self.layouts.get(source_table, plan, columns)
        self._take(plan, lay, fastpaths.list_events, rows)

    def _take(self, plan: TablePlan, lay: Layout, events: Any, rows: Any) -> None:
        """The events of `events(...)` (a fastpaths function) for `rows`: batches committed,
        bad rows written, the checkpoint moved past bad rows no batch covers."""
        name = plan.source.name
        stats = self._stats(name)
        done_before = self.checkpoint.done(name)
        pos = self.position.get(name, 0)
        top: dict[int, int] = {}
        for ev in events(lay, name, bool(plan.synthetic), rows, pos, done_before, stats, top):
            if type(ev) is Batch:
                self.position[name] = ev.upto
                if ev.rows:
                    self._flush(
                        name, plan, lay.target_cols, ev.rows, ev.keys, ev.upto, ev.positions
                    )
            else:
                assert isinstance(ev, BadRow)
                self.bad.add(name, ev.key, ev.column, ev.value, ev.reason, name, ev.position)
                if ev.alone:  # otherwise the next flush of this table covers its position
                    self._advance(name, ev.position)
        for n, value in top.items():
            k = (plan.target.name, plan.columns[n].target)
            self.identity_max[k] = max(value, self.identity_max.get(k, 0))

    def _flush(
        self,
        name: str,
        plan: TablePlan,
        cols: list[str],
        batch: list[list[Any]],
        keys: list[Any],
        upto: int,
        positions: Sequence[int] | None = None,  # None: the rows just before `upto`
    ) -> None:
        if positions is None:
            positions = range(upto - len(batch) + 1, upto + 1)
        with self.lock:
            pend = self.pending.setdefault(name, _Pending(done_upto=self.checkpoint.done(name)))
            seq = pend.next_seq
            pend.next_seq += 1
        stats = self._stats(name)

        def done(written: int, bad: int) -> None:
            with self.lock:
                stats.written += written
                stats.bad += bad

        fut = self.writer.submit(plan.target.name, cols, batch, keys, done, name, positions)
        fut.add_done_callback(lambda f: self._committed(name, seq, upto, f))
        self.futures.append(fut)
        if len(self.futures) >= 1024:
            # memory stays flat however long the load: forget commits that succeeded, keep the
            # pending ones and the failures (close() reports them)
            self.futures = [f for f in self.futures if not f.done() or f.exception() is not None]

    def _committed(self, name: str, seq: int, upto: int, fut: cf.Future[None]) -> None:
        if fut.exception() is not None:
            return
        with self.lock:
            pend = self.pending[name]
            pend.finished[seq] = upto
            moved = False
            while pend.next_ckpt in pend.finished:  # the contiguous prefix of committed batches
                pend.done_upto = max(pend.done_upto, pend.finished.pop(pend.next_ckpt))
                pend.next_ckpt += 1
                moved = True
            upto_now = pend.done_upto
        if moved:
            self.checkpoint.update(name, upto_now)
        if self.progress:
            self.progress(name, self._stats(name))

    def _advance(self, name: str, upto: int) -> None:
        """A bad row counts as done for the checkpoint once the batches before it are."""
        with self.lock:
            pend = self.pending.setdefault(name, _Pending(done_upto=self.checkpoint.done(name)))
            seq = pend.next_seq
            pend.next_seq += 1
        done: cf.Future[None] = cf.Future()
        done.set_result(None)
        self._committed(name, seq, upto, done)

    def drain(self) -> None:
        """Wait until everything submitted so far is committed (between interleave levels)."""
        for fut in list(self.futures):
            try:
                fut.result()
            except Exception:
                pass
        self.checkpoint.flush()

    def finish_table(self, name: str) -> None:
        stats = self._stats(name)
        stats.complete = True
        self.checkpoint.flush()

    def interrupt(self) -> None:
        """The load stops (Ctrl-C): batches not started are dropped, those in flight finish,
        and the checkpoint records every contiguous commit, for --resume."""
        self.writer.pool.shutdown(wait=True, cancel_futures=True)
        self.checkpoint.flush()
        self.bad.close()

    def close(self) -> LoadResult:
        errors = []
        try:
            for fut in self.futures:
                try:
                    fut.result()
                except Exception as exc:
                    errors.append(exc)
            self.writer.close()
        finally:
            # whatever stops the load, what did commit is on disk: a resume starts after it
            self.checkpoint.flush()
            self.bad.close()
        if errors:
            raise DataError(f"writing to Spanner failed: {errors[0]}") from errors[0]
        for name, stats in self.result.tables.items():
            self.checkpoint.update(name, self.position.get(name, 0), complete=True)
            stats.complete = True
        return self.result
