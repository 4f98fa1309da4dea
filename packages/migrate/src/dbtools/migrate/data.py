"""Moving the data: dump rows or live-table chunks -> converted values -> Spanner mutations.

- Every row is written with InsertOrUpdate, so a rerun (or a resumed run) never duplicates rows.
- Batches are cut by Spanner's commit limit counting index entries, written by a pool of writer
  threads with adaptive backoff on ABORTED / RESOURCE_EXHAUSTED / UNAVAILABLE and an optional
  rate limit; a batch Spanner refuses for its content is split until the bad rows are isolated.
- A checkpoint (per table: rows done, in source order) follows the contiguous commits and is
  written at most once a second (and at table ends, interruptions and the end); `resume=True`
  skips what is done. Counts are exact: read = written + bad, per table.
- Bad rows go to a JSON-lines file: table, key, column, value, reason.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from . import typedrows
from .convert import Conversion
from .errors import MigrateError
from .model import SpTable, Table
from .rows import FAST_NAMES, RowBatch, TypedReader, fast_value_expr, fast_width
from .values import BadValue, converter, inline_form, parse_timezone

MAX_COMMIT_MUTATIONS = 80_000
DEFAULT_BATCH_MUTATIONS = 20_000
MAX_BATCH_BYTES = 16 * 1024 * 1024
_SYNTH_NS = uuid.UUID("6f1d2a3c-0b7e-4c1e-9a51-2a0d3f6b8e10")


class DataError(MigrateError):
    """The data load cannot go on (Spanner unreachable, checkpoint of another run, ...)."""


@dataclass
class ColumnPlan:
    source: str
    target: str
    convert: Callable[[Any], Any]


@dataclass
class TablePlan:
    source: Table
    target: SpTable
    columns: list[ColumnPlan]  # in source column order; skipped columns are absent
    positions: dict[str, int]  # source column -> position in a full source row
    key: list[str]  # source names of the key columns (for bad-row reports and keyset reads)
    mutations_per_row: int
    synthetic: str | None  # target name of the synthetic key column, filled here


def plan_tables(conv: Conversion, tz: dt.tzinfo) -> dict[str, TablePlan]:
    plans: dict[str, TablePlan] = {}
    # MySQL TIMESTAMP values are dumped in the dump's TIME_ZONE (and read in UTC when live);
    # DATETIME and PostgreSQL's timestamp without time zone are wall-clock times in `tz`.
    stamp_tz = parse_timezone(conv.source.time_zone) if conv.source.time_zone else tz
    for sp in conv.schema.tables:
        if sp.skip:
            continue
        src = conv.source.tables[sp.source_name]
        cols: list[ColumnPlan] = []
        for scol in src.columns:
            tcol = next((c for c in sp.columns if c.source_name == scol.name), None)
            if tcol is None or tcol.generated is not None:
                continue  # skipped, or computed by Spanner
            col_tz = (
                stamp_tz if conv.source.engine == "mysql" and scol.type.name == "timestamp" else tz
            )
            cols.append(
                ColumnPlan(
                    scol.name, tcol.name, converter(scol.type, tcol.type, conv.dialect, col_tz)
                )
            )
        index_cells = sum(len(ix.keys) + len(ix.storing) + 1 for ix in sp.indexes)
        key = [
            c.source_name
            for c in (sp.column(k) for k, _ in sp.primary_key)
            if c is not None and c.source_name
        ]
        plans[sp.source_name] = TablePlan(
            src,
            sp,
            cols,
            {c.name: i for i, c in enumerate(src.columns)},
            key,
            len(cols) + (1 if sp.synthetic_pk else 0) + index_cells,
            sp.synthetic_pk,
        )
    # rows of partitions load into their parent
    for child, parent in conv.source.partitions.items():
        if parent in plans:
            plans[child] = plans[parent]
    return plans


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


class RateLimiter:
    def __init__(self, rows_per_second: float | None) -> None:
        self.rate = rows_per_second
        self.lock = threading.Lock()
        self.next_time = time.monotonic()

    def take(self, rows: int) -> None:
        if not self.rate:
            return
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_time)
            self.next_time = start + rows / self.rate
        delay = start - now
        if delay > 0:
            time.sleep(delay)


_RETRYABLE = (
    "Aborted",
    "ResourceExhausted",
    "ServiceUnavailable",
    "DeadlineExceeded",
    "InternalServerError",
)


def _spanner_error(exc: BaseException) -> bool:
    """An error reported by Spanner? (google.api_core is imported only once something failed:
    ~0.17 s CPU that a dry run never needs.)"""
    from google.api_core import exceptions as gexc

    return isinstance(exc, gexc.GoogleAPICallError)


class Writer:
    """Commits batches with InsertOrUpdate, in parallel, retrying what Spanner asks to retry."""

    def __init__(
        self, database: Any, parallelism: int, limiter: RateLimiter, on_bad: Callable[..., None]
    ) -> None:
        self.database = database
        self.pool = cf.ThreadPoolExecutor(
            max_workers=max(1, parallelism), thread_name_prefix="spanner-writer"
        )
        self.slots = threading.Semaphore(max(1, parallelism) * 2)  # bounded queue: constant memory
        self.limiter = limiter
        self.on_bad = on_bad
        self.backoff = 0.0

    def submit(
        self,
        table: str,
        columns: list[str],
        rows: list[list[Any]],
        keys: list[Any],
        done: Callable[[int, int], None],
        source: str,
        positions: Sequence[int],
    ) -> cf.Future[None]:
        """`positions`: of the rows in their source table `source` (1-based, for bad rows)."""
        self.slots.acquire()
        fut = self.pool.submit(self._write, table, columns, rows, keys, done, source, positions)
        fut.add_done_callback(lambda _f: self.slots.release())
        return fut

    def _commit(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        attempt = 0
        while True:
            self.limiter.take(len(rows))
            try:
                with self.database.batch() as batch:
                    batch.insert_or_update(table, columns, rows)
                self.backoff = max(0.0, self.backoff * 0.5 - 0.01)
                return
            except Exception as exc:
                if not _spanner_error(exc) or type(exc).__name__ not in _RETRYABLE or attempt >= 8:
                    raise
                attempt += 1
                # adaptive: every writer slows down while Spanner pushes back
                self.backoff = min(30.0, max(0.05, self.backoff * 2 or 0.1))
                time.sleep(self.backoff * (0.5 + random.random()))

    def _write(
        self,
        table: str,
        columns: list[str],
        rows: list[list[Any]],
        keys: list[Any],
        done: Callable[[int, int], None],
        source: str,
        positions: Sequence[int],
    ) -> None:
        try:
            self._commit(table, columns, rows)
            done(len(rows), 0)
        except Exception as exc:
            if not _spanner_error(exc) or type(exc).__name__ in _RETRYABLE:
                raise
            if len(rows) == 1:
                self.on_bad(
                    table,
                    keys[0],
                    None,
                    None,
                    f"Spanner refused the row: {getattr(exc, 'message', exc)}",
                    source,
                    positions[0],
                )
                done(0, 1)
                return
            half = len(rows) // 2  # isolate the rows Spanner refuses (CHECK, size, ...)
            self._write(table, columns, rows[:half], keys[:half], done, source, positions[:half])
            self._write(table, columns, rows[half:], keys[half:], done, source, positions[half:])

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class _NullBatch:
    def __enter__(self) -> _NullBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def insert_or_update(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        pass


class NullDatabase:
    """Takes every batch and keeps nothing: data dry runs (every row converted, none written)."""

    def batch(self) -> _NullBatch:
        return _NullBatch()


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
        record = {
            "table": table,
            "key": key,
            "column": column,
            "value": _printable(value),
            "reason": reason,
            "source_table": source_table,
            "source_row": source_row,
        }
        with self.lock:
            self.file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self.file.flush()

    def close(self) -> None:
        self.file.close()


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


def _printable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


@dataclass
class _Layout:
    target_cols: list[str]
    width: int
    key_idx: list[int | None]
    single_key: int | None
    steps: list[tuple[int | None, Callable[[Any], Any], str]]
    convert_row: Callable[[list[Any]], list[Any]]
    big: list[int]
    identity: list[int]
    limit: int
    # raw converters by row width and groups per value (add_batch)
    raw: dict[tuple[int, int], tuple[Callable[..., Any], Callable[..., Any]]] = field(
        default_factory=dict
    )
    # column-typed readers by row width (typed_reader); None: the layout has none
    typed: dict[int, typedrows.TypedRowReader | None] = field(default_factory=dict)


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
        self._layouts: dict[tuple[str, tuple[str, ...] | None], _Layout] = {}

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
        self.bad.add(table, _printable(key), column, value, reason, source, position)

    def _layout(self, source_table: str, plan: TablePlan, columns: list[str] | None) -> _Layout:
        """What add_rows needs for one table and column list, built once (dumps repeat the
        same INSERT head thousands of times)."""
        cache_key = (source_table, tuple(columns) if columns is not None else None)
        layout = self._layouts.get(cache_key)
        if layout is not None:
            return layout
        positions = plan.positions if columns is None else {c: i for i, c in enumerate(columns)}
        idx = [positions.get(c.source) for c in plan.columns]
        key_idx = [positions.get(k) for k in plan.key]
        # (position in the source row, converter, source name): built once, used per row
        steps = [(i, cp.convert, cp.source) for cp, i in zip(plan.columns, idx, strict=True)]
        layout = _Layout(
            target_cols=[c.target for c in plan.columns]
            + ([plan.synthetic] if plan.synthetic else []),
            width=len(positions),
            key_idx=key_idx,
            single_key=key_idx[0] if len(key_idx) == 1 else None,
            steps=steps,
            convert_row=_row_converter(steps),
            # only cells that can be big are measured for the batch byte limit
            big=[n for n, cp in enumerate(plan.columns) if _may_be_big(plan.target, cp.target)],
            identity=[
                n
                for n, cp in enumerate(plan.columns)
                if (c := plan.target.column(cp.target)) is not None and (c.identity or c.sequence)
            ],
            limit=max(1, self.batch_mutations // max(1, plan.mutations_per_row)),
        )
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
            reader = typedrows.build(cols, width, lay.key_idx, _printable)
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
        self, batch: RowBatch, lay: _Layout
    ) -> tuple[Callable[[Any], list[Any]] | None, Callable[[Any], list[Any]]]:
        """The converter of one regex match of this batch and the key extractor of a list of
        them; (None, ...) when the rows must go through the row loop (wrong width)."""
        reader = batch.reader
        if isinstance(reader, typedrows.TypedRowReader):
            return reader.convert, reader.keys
        if reader is None and batch.raw:
            width = fast_width(batch.raw[0], batch.groups)
            if width == lay.width:  # otherwise every row is bad: the row loop says why
                return _raw_converters(lay, width, batch.groups)
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
        target_cols, width, key_idx, single_key = (
            lay.target_cols,
            lay.width,
            lay.key_idx,
            lay.single_key,
        )
        steps, convert_row, big, identity, limit = (
            lay.steps,
            lay.convert_row,
            lay.big,
            lay.identity,
            lay.limit,
        )
        max_key = max((i for i in key_idx if i is not None), default=-1)
        batch: list[list[Any]] = []
        keys: list[Any] = []
        positions: list[int] = []  # (not contiguous when bad rows are left out)
        size = 0
        top: dict[int, int] = {}
        for row in rows:
            pos += 1
            if pos <= done_before:
                stats.skipped_resume += 1
                continue
            stats.read += 1
            if len(row) != width:  # MySQL and PostgreSQL refuse such rows: so do we
                reason = f"{len(row)} values for {width} columns"
                key = _row_key(row, key_idx, single_key) if len(row) > max_key else None
                self.bad.add(name, key, None, row, reason, name, pos)
                stats.bad += 1
                if not batch:
                    self._advance(name, pos)
                continue
            try:
                out = convert_row(row)
            except (BadValue, IndexError):
                out = []  # the slow path says which column was bad
                try:
                    for i, convert_value, _src in steps:
                        value = row[i] if i is not None and i < len(row) else None
                        out.append(None if value is None else convert_value(value))
                except BadValue as exc:
                    failed = exc
                else:  # pragma: no cover - the fast path failed, the slow one did not
                    failed = BadValue("row does not match the table's columns")
                    out = out[: len(steps) - 1]
                at, _conv, src = steps[len(out)]
                key = _row_key(row, key_idx, single_key)
                value = row[at] if at is not None and at < len(row) else None
                self.bad.add(name, key, src, value, str(failed), name, pos)
                stats.bad += 1
                if not batch:  # otherwise the next flush of this table covers its position
                    self._advance(name, pos)
                continue
            if plan.synthetic:
                # deterministic: the same source row gets the same key on a rerun
                out.append(str(uuid.uuid5(_SYNTH_NS, f"{name}\x00{pos - 1}")))
            for n in identity:
                if out[n] is not None and out[n] > top.get(n, 0):
                    top[n] = out[n]
            batch.append(out)
            keys.append(row[single_key] if single_key is not None else _row_key(row, key_idx, None))
            positions.append(pos)
            if big:
                size += sum(len(out[n]) for n in big if out[n] is not None)
            if len(batch) >= limit or size >= MAX_BATCH_BYTES:
                self.position[name] = pos
                self._flush(name, plan, target_cols, batch, keys, pos, positions)
                batch, keys, positions, size = [], [], [], 0
        self.position[name] = pos
        if batch:
            self._flush(name, plan, target_cols, batch, keys, pos, positions)
        self._note_identity(plan, top)

    def _note_identity(self, plan: TablePlan, top: dict[int, int]) -> None:
        for n, value in top.items():
            k = (plan.target.name, plan.columns[n].target)
            self.identity_max[k] = max(value, self.identity_max.get(k, 0))

    def _add_list(
        self,
        name: str,
        plan: TablePlan,
        lay: _Layout,
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
            keys = [_row_key(row, lay.key_idx, None) for row in rows]
        return self._take_converted(name, plan, lay, out, keys, pos)

    def _take_converted(
        self,
        name: str,
        plan: TablePlan,
        lay: _Layout,
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


def interleave_levels(conv: Conversion) -> list[set[str]]:
    """Source tables grouped so that interleave parents come before their children (Spanner
    refuses a child row whose parent row is not there yet)."""
    by_name = {t.name: t for t in conv.schema.tables if not t.skip}
    level: dict[str, int] = {}

    def depth(t: SpTable) -> int:
        if t.name not in level:
            parent = by_name.get(t.parent or "")
            level[t.name] = 0 if parent is None else depth(parent) + 1
        return level[t.name]

    groups: dict[int, set[str]] = {}
    for t in by_name.values():
        groups.setdefault(depth(t), set()).add(t.source_name)
    return [groups[k] for k in sorted(groups)]


def identity_restarts(conv: Conversion, maxima: dict[tuple[str, str], int]) -> list[str]:
    """DDL that moves IDENTITY counters past the loaded maximum where the schema's start is lower.

    (The schema already starts counters past the source's maximum when it was known; this covers
    dumps without AUTO_INCREMENT= / setval and rows added to the source since.)
    """
    gsql = conv.dialect == "google_standard_sql"
    out = []
    for (table, column), top in sorted(maxima.items()):
        sp = conv.schema.table(table)
        col = sp.column(column) if sp is not None else None
        if col is None or not (col.identity or col.sequence) or (col.start_counter or 0) > top:
            continue
        if col.sequence and gsql:
            out.append(
                f"ALTER SEQUENCE `{col.sequence}` SET OPTIONS (skip_range_min = 1, skip_range_max = {top})"
            )
        elif col.sequence:
            out.append(f'ALTER SEQUENCE "{col.sequence}" SKIP RANGE 1 {top}')
        elif gsql:
            out.append(
                f"ALTER TABLE `{table}` ALTER COLUMN `{column}` ALTER IDENTITY RESTART COUNTER WITH {top + 1}"
            )
        else:
            out.append(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" RESTART COUNTER WITH {top + 1}'
            )
    return out


def _row_converter(
    steps: list[tuple[int | None, Callable[[Any], Any], str]],
) -> Callable[[list[Any]], list[Any]]:
    """One function per table layout that converts a whole row without a Python-level loop
    (about a third faster than looping over the columns); BadValue / IndexError propagate."""
    env: dict[str, Any] = {}
    cells = []
    for n, (i, convert_value, _src) in enumerate(steps):
        env[f"c{n}"] = convert_value
        expr = f"c{n}(v{n})"
        inline = inline_form(convert_value)
        if inline is not None:
            template, names = inline
            expr = template.format(v=f"v{n}", c=f"c{n}")
            env.update(names)
        cells.append("None" if i is None else f"(None if (v{n} := row[{i}]) is None else {expr})")
    source = "def convert_row(row):\n    return [" + ", ".join(cells) + "]\n"
    exec(compile(source, "<row converter>", "exec"), env)
    return env["convert_row"]


def _raw_converters(
    lay: _Layout, width: int, groups: int
) -> tuple[Callable[[tuple[str, ...]], list[Any]], Callable[[list[tuple[str, ...]]], list[Any]]]:
    """The row converter fused with the fast-path tokenizer's typing (rows.fast_value_expr),
    for raw matches of `width` columns of `groups` groups each; and the key extractor for them."""
    cached = lay.raw.get((width, groups))
    if cached is not None:
        return cached
    env: dict[str, Any] = dict(FAST_NAMES)
    cells = []
    for n, (i, convert_value, _src) in enumerate(lay.steps):
        if i is None:
            cells.append("None")
            continue
        if i >= width:
            cells.append("_short()")  # IndexError: the row loop reports the row
            continue
        env[f"c{n}"] = convert_value
        expr = f"c{n}(v{n})"
        inline = inline_form(convert_value)
        if inline is not None:
            template, names = inline
            expr = template.format(v=f"v{n}", c=f"c{n}")
            env.update(names)
        cells.append(f"(None if (v{n} := {fast_value_expr(i, groups)}) is None else {expr})")
    if lay.single_key is not None and lay.single_key < width:
        key = fast_value_expr(lay.single_key, groups)
    else:  # as _row_key: printable values, a list for a key of several columns
        items = [
            f"_printable({fast_value_expr(i, groups)})" if i is not None and i < width else "None"
            for i in lay.key_idx
        ]
        key = items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"
        env["_printable"] = _printable
    env["_short"] = _raise_short
    source = (
        "def convert_raw(t):\n    return [" + ", ".join(cells) + "]\n"
        "def raw_keys(found):\n    return [" + key + " for t in found]\n"
    )
    exec(compile(source, "<raw row converter>", "exec"), env)
    cached = (env["convert_raw"], env["raw_keys"])
    lay.raw[width, groups] = cached
    return cached


def _raise_short() -> Any:
    raise IndexError("row shorter than the table")


def _row_key(row: list[Any], key_idx: list[int | None], single: int | None) -> Any:
    if single is not None:
        return _printable(row[single])
    values = [_printable(row[i]) if i is not None and i < len(row) else None for i in key_idx]
    return values[0] if len(values) == 1 else values


def _may_be_big(table: SpTable, column: str) -> bool:
    col = table.column(column)
    if col is None:
        return False
    return col.type.base in ("STRING", "BYTES", "JSON") and (
        col.type.length is None or col.type.length > 4096
    )
