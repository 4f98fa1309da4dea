"""The threaded data load: dump rows or live-table chunks -> converted values -> Spanner.

- Every row is written with InsertOrUpdate, so a rerun (or a resumed run) never duplicates rows.
- Rows are converted and cut into batches by batching.cut_rows (the one row loop, shared with
  the Beam pipeline); a dump's INSERT statements take the fast paths here first: a whole
  statement converted in one `map`, or straight from the tokenizer's regex matches.
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
from operator import itemgetter
from pathlib import Path
from typing import Any

from . import typedrows
from .batching import BadRow, Batch, cut_rows
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
    build_layout,
    printable,
    raw_converters,
    row_converter,
    row_key,
    synthetic_key,
)
from .rows import RowBatch, TypedReader, fast_width
from .values import BadValue
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
        self.writer = Writer(
            database, parallelism, RateLimiter(rows_per_second), self._bad_from_writer
        )
        self.lock = threading.Lock()
        self.pending: dict[str, _Pending] = {}
        self.progress = progress
        self.position: dict[str, int] = {}  # rows of each table seen in source order
        self.identity_max: dict[tuple[str, str], int] = {}  # (Spanner table, column) -> max loaded
        self.futures: list[cf.Future[None]] = []
        self._layouts: dict[tuple[str, tuple[str, ...] | None], Layout] = {}

    def _stats(self, table: str) -> TableStats:
        with self.lock:
            return self.result.tables.setdefault(table, TableStats())

    def _bad_from_writer(
        self,
        table: str,
        key: Any,
        column: str | None,
        value: Any,
        reason: str,
        source: str,
        position: int,
    ) -> None:
        self.bad.add(table, printable(key), column, value, reason, source, position)

    def _layout(self, source_table: str, plan: TablePlan, columns: list[str] | None) -> Layout:
        """What add_rows needs for one table and column list, built once (dumps repeat the
        same INSERT head thousands of times)."""
        cache_key = (source_table, tuple(columns) if columns is not None else None)
        layout = self._layouts.get(cache_key)
        if layout is not None:
            return layout
        layout = build_layout(plan, columns, self.batch_mutations)
        self._layouts[cache_key] = layout
        return layout

    # -- rows in -----------------------------------------------------------------------------
    def typed_reader(
        self, source_table: str, columns: list[str] | None, width: int
    ) -> TypedReader | None:
        """The column-typed reader for INSERTs of this table with rows of `width` values, or
        None (rows.read_rows tries it before the general fast path; see typedrows.py)."""
        plan = self.plans.get(source_table)
        if plan is None or plan.synthetic:
            return None
        lay = self._layout(source_table, plan, columns)
        if width in lay.typed:
            return lay.typed[width]
        reader = None
        if width == lay.width and width <= 4096:  # other widths: bad rows, by the row loop
            not_null = {c.name for c in plan.source.columns if c.not_null}
            cols = [typedrows.Column(i, conv, src in not_null) for i, conv, src in lay.steps]
            reader = typedrows.build(cols, width, lay.key_idx, printable)
        lay.typed[width] = reader
        return reader

    def add_batch(self, batch: RowBatch) -> None:
        """Rows of one dump statement. A fast-path mysqldump batch is converted straight from
        its regex matches (no typed rows in between), in commit-sized slices (mysqldump writes
        up to ~1 MB, thousands of rows, per INSERT); from the first slice that needs the row
        loop on (a bad row, a batch too big in bytes), the row loop takes the rest."""
        plan = self.plans.get(batch.table)
        if plan is None:
            return
        raw = batch.raw
        done = 0
        if raw and not plan.synthetic:
            name = plan.source.name
            lay = self._layout(batch.table, plan, batch.columns)
            if self.position.get(name, 0) >= self.checkpoint.done(name):
                convert_one, keys_of = self._raw_path(batch, lay)
                limit = lay.limit
                while convert_one is not None and done < len(raw):
                    part = raw[done : done + limit] if done or len(raw) > limit else raw
                    try:
                        out = list(map(convert_one, part))
                    except (ValueError, IndexError):  # BadValue, or text Python refuses
                        break  # the row loop finds the bad rows
                    pos = self.position.get(name, 0)
                    if not self._take_converted(name, plan, lay, out, keys_of(part), pos):
                        break
                    done += len(part)
                if done == len(raw):
                    return
        rows = batch.rows
        self.add_rows(batch.table, batch.columns, rows[done:] if done else rows)

    def _raw_path(
        self, batch: RowBatch, lay: Layout
    ) -> tuple[Callable[[Any], list[Any]] | None, Callable[[Any], list[Any]]]:
        """The converter of one regex match of this batch and the key extractor of a list of
        them; (None, ...) when the rows must go through the row loop (wrong width)."""
        reader = batch.reader
        if isinstance(reader, typedrows.TypedRowReader):
            return reader.convert, reader.keys
        if reader is None and batch.raw:
            width = fast_width(batch.raw[0], batch.groups)
            if width == lay.width:  # otherwise every row is bad: the row loop says why
                return raw_converters(lay, width, batch.groups)
        return None, list

    def add_rows(
        self, source_table: str, columns: list[str] | None, rows: Iterable[list[Any]]
    ) -> None:
        plan = self.plans.get(source_table)
        if plan is None:
            return  # a table the session skips, or one not in the schema
        name = plan.source.name
        stats = self._stats(name)
        done_before = self.checkpoint.done(name)
        lay = self._layout(source_table, plan, columns)
        pos = self.position.get(name, 0)
        if (
            type(rows) is list
            and pos >= done_before
            and not plan.synthetic
            and self._add_list(name, plan, lay, rows, pos)
        ):
            return
        top: dict[int, int] = {}
        for ev in cut_rows(lay, name, bool(plan.synthetic), rows, pos, done_before, stats, top):
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
        self._note_identity(plan, top)

    def _note_identity(self, plan: TablePlan, top: dict[int, int]) -> None:
        for n, value in top.items():
            k = (plan.target.name, plan.columns[n].target)
            self.identity_max[k] = max(value, self.identity_max.get(k, 0))

    def _add_list(
        self,
        name: str,
        plan: TablePlan,
        lay: Layout,
        rows: list[list[Any]],
        pos: int,
    ) -> bool:
        """All rows of a list converted in one `map` (the dump case: a whole INSERT statement).
        Returns False, having changed nothing, when a row is bad or short, or a batch would be
        too big: the row-by-row loop then handles the list."""
        if rows and set(map(len, rows)) != {lay.width}:
            return False  # rows of the wrong width are bad rows: the row loop says so
        if len(rows) > lay.limit:
            return False
        try:
            out = list(map(lay.convert_row, rows))
        except (BadValue, IndexError):
            return False
        single = lay.single_key
        if single is not None:
            keys = list(map(itemgetter(single), rows))
        else:
            keys = [row_key(row, lay.key_idx, None) for row in rows]
        return self._take_converted(name, plan, lay, out, keys, pos)

    def _take_converted(
        self,
        name: str,
        plan: TablePlan,
        lay: Layout,
        out: list[list[Any]],
        keys: list[Any],
        pos: int,
    ) -> bool:
        """Converted rows (none bad) into one batch; False, having changed nothing, when the
        batch would be too big for one commit."""
        big = lay.big
        if big:
            size = 0
            for n in big:
                size += sum(map(len, filter(None, map(itemgetter(n), out))))
            if size >= MAX_BATCH_BYTES:
                return False
        top: dict[int, int] = {}
        for n in lay.identity:
            values = [v for v in map(itemgetter(n), out) if v is not None]
            if values and max(values) > 0:
                top[n] = max(values)
        pos += len(out)
        self._stats(name).read += len(out)
        self.position[name] = pos
        if out:
            self._flush(name, plan, lay.target_cols, out, keys, pos)
        self._note_identity(plan, top)
        return True

    def add_keyed_rows(self, source_table: str, rows: Iterable[list[Any]]) -> None:
        self.add_rows(source_table, None, rows)

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
