"""The data load as an Apache Beam pipeline (`spanner-migrate data ... --runner beam`).

The pipeline, per interleave level (parents are committed before their children):

    work units ─► Reshuffle ─► LoadUnit ─┬─ counts: rows per (table, unit) ─► ToDict ─┐ (side input)
    (key ranges                (read, convert,├─ bad rows (unit-relative positions) ──────┼─► global
     or dump ranges)            cut, write)   └─ deferred batches (tables without a key, ─┘   positions
                                                  from a dump: their keys need positions)   ─► bad_rows.jsonl

- Conversion and batch cutting are the threaded load's: the dump fast paths (fastpaths.py: the
  column-typed readers, statements converted in bulk) and the row loop (batching.cut_rows); commits
  go through writer.Writer (InsertOrUpdate, retries, bisection of refused batches), in the
  DoFn's own thread. InsertOrUpdate by key makes a retried bundle rewrite the same rows: no
  duplicate, no gap. Tables without a key get deterministic keys from their row positions.
- Rows read / written / bad are Beam counters (namespace dbtools.migrate, one per table), and
  the launcher checks read = written + bad per table from the committed values.
- Bad rows carry their position in their source table, as in the threaded load's file: each
  unit numbers its rows from 1 and the counts of the units before it (a side input) give the
  offset, so both paths write the same records.
- Nothing here assumes a runner: files go through Beam's FileSystems (a gs:// path on
  Dataflow), workers open their own source and Spanner connections in `setup`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import AsSingleton, TaggedOutput

from .batching import BadRow, Batch, cut_rows
from .convert import Conversion
from .dumpencoding import DeclaredEncoding
from .dumpread import encoding_of_data
from .errors import DataError
from .fastpaths import Layouts, list_events, statement_events
from .ledger import bad_record_line
from .loadplan import TablePlan, plan_tables
from .loadresult import LoadResult, TableStats
from .rowconvert import Layout, synthetic_key
from .workunits import DumpRange, KeyRange, RangeLines, range_query
from .writer import NullDatabase, RateLimiter, Writer

NAMESPACE = "dbtools.migrate"
_COUNTERS = ("rows_read", "rows_written", "bad_rows")


@dataclass
class BeamJob:
    """What every worker needs; pickled with the pipeline."""

    conv: Conversion
    tz: dt.tzinfo
    engine: str
    batch_mutations: int
    url: str | None = None  # a live source (SQLAlchemy URL)
    dump: str | None = None  # a dump file every worker can open (a gs:// path on Dataflow)
    snapshot: str | None = None  # PostgreSQL: the exported snapshot every range reads in
    target: dict[str, Any] | None = None  # open_database() arguments; None: a dry run
    tables: set[str] | None = None  # source tables of this interleave level (None: all)
    fail_once: str | None = None  # tests: a directory of markers, see LoadUnit._maybe_fail
    fail_after: int = 1


def _counter(kind: str, table: str) -> Any:
    return Metrics.counter(NAMESPACE, f"{kind}/{table}")


class LoadUnit(beam.DoFn):
    """Reads one work unit, converts and cuts its rows, commits the batches."""

    def __init__(self, job: BeamJob) -> None:
        self.job = job

    def setup(self) -> None:
        job = self.job
        self.plans = plan_tables(job.conv, job.tz)
        self.layouts = Layouts(self.plans, job.batch_mutations, job.tables)
        if job.target is None:
            db: Any = NullDatabase()
        else:
            from .apply import open_database

            db = open_database(**job.target)
        self.refused: list[tuple[Any, ...]] = []
        # a row Spanner refuses: (table, key, column, value, reason, source table, position)
        self.writer = Writer(db, 1, RateLimiter(None), lambda *bad: self.refused.append(bad))
        self.sa = None
        if job.url:
            from .source import _create_engine

            self.sa = _create_engine(job.url)

    def teardown(self) -> None:
        if self.sa is not None:
            self.sa.dispose()
        self.writer.close()

    def process(self, unit: KeyRange | DumpRange) -> Iterator[Any]:
        self.refused = []
        self.commits = 0
        self.unit = unit
        if isinstance(unit, KeyRange):
            yield from self._live(unit)
        else:
            yield from self._dump(unit)

    # -- sources ---------------------------------------------------------------------------
    def _live(self, unit: KeyRange) -> Iterator[Any]:
        from sqlalchemy import text

        from .datasource import select_list, snapshot

        job = self.job
        table = job.conv.source.tables[unit.table]
        plan = self.plans[unit.table]
        assert self.sa is not None
        with self.sa.connect() as conn:
            if job.snapshot:  # every range of every table as of one instant
                conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                conn.execute(text(f"SET TRANSACTION SNAPSHOT '{job.snapshot}'"))
            else:  # MySQL/MariaDB: a consistent snapshot per range (see README for the limits)
                snapshot(job.engine, conn)
            sql, params = range_query(
                job.engine,
                table.name,
                select_list(job.engine, table, plan),
                table.primary_key,
                unit,
            )
            result = conn.execution_options(stream_results=True, yield_per=5000).execute(
                text(sql), params
            )
            rows = (list(r) for r in result)
            lay = self.layouts.get(unit.table, plan, None)
            stats, top = TableStats(), dict[int, int]()
            # a table without a key is a single unit: its positions are already global
            out = list(
                self._take(plan.source.name, plan, lay, list_events, rows, 0, False, stats, top)
            )
        yield from out
        yield from self._finish({plan.source.name: (plan, stats, top)})

    def _dump(self, unit: DumpRange) -> Iterator[Any]:
        from .rows import read_rows

        job = self.job
        assert job.dump is not None
        diagnostics: list[Any] = []
        seen: dict[str, tuple[TablePlan, TableStats, dict[int, int]]] = {}
        out: list[Any] = []
        encoding = self._encoding() if unit.start else None
        with FileSystems.open(job.dump, compression_type="uncompressed") as f:
            lines = RangeLines(job.engine, f, unit)
            rows = read_rows(
                job.engine, lines, diagnostics, typed=self.layouts.typed_reader, encoding=encoding
            )
            for batch in rows:
                plan = self.plans.get(batch.table)
                if plan is None or (job.tables is not None and plan.source.name not in job.tables):
                    continue
                name = plan.source.name
                if name not in seen:
                    seen[name] = (plan, TableStats(), {})
                _plan, stats, top = seen[name]
                lay = self.layouts.get(batch.table, plan, batch.columns, batch.codec)
                pos = stats.read
                # a table without a key: its keys come from global positions, known later
                defer = bool(plan.synthetic)
                out.extend(
                    self._take(name, plan, lay, statement_events, batch, pos, defer, stats, top)
                )
        for d in diagnostics:
            if d.kind == "incomplete":
                continue  # a range is a fragment; the launcher checks the whole dump's end
            # `line` counts from the range's first line, at byte `first_byte` of the dump: the
            # launcher makes it the dump's own line number (beamrun)
            record = {"line": d.line, "kind": d.kind, "message": d.message}
            out.append(TaggedOutput("diagnostics", {**record, "first_byte": lines.first_byte}))
        yield from out
        yield from self._finish(seen)

    def _encoding(self) -> DeclaredEncoding:
        """The encoding the dump's data statements are written in (its head declares it): a
        range after the head reads its bytes in it, as the threaded load does; read once per
        worker."""
        found = self.__dict__.get("_data_encoding")
        if found is None:
            assert self.job.dump is not None
            with FileSystems.open(self.job.dump, compression_type="uncompressed") as f:
                found = self.__dict__["_data_encoding"] = encoding_of_data(self.job.engine, f)
        return found

    # -- the row loop ----------------------------------------------------------------------
    def _take(
        self,
        name: str,
        plan: TablePlan,
        lay: Layout,
        events: Any,
        rows: Any,
        pos: int,
        defer: bool,
        stats: TableStats,
        top: dict[int, int],
    ) -> Iterator[Any]:
        """`events` (fastpaths.statement_events or list_events) of `rows`: batches committed
        (or deferred), bad rows out."""
        unit = self.unit.index
        if defer:  # keys come later: the row loop, as the threaded load does for such tables
            found = cut_rows(lay, name, False, rows.rows, pos, 0, stats, top)
        else:
            found = events(lay, name, bool(plan.synthetic), rows, pos, 0, stats, top)
        for ev in found:
            if type(ev) is Batch:
                if not ev.rows:
                    continue
                if defer:
                    yield TaggedOutput(
                        "deferred", (name, unit, lay.target_cols, ev.rows, ev.keys, ev.positions)
                    )
                else:
                    self._commit(plan, name, lay.target_cols, ev.rows, ev.keys, ev.positions)
            else:
                assert isinstance(ev, BadRow)
                _counter("bad_rows", name).inc()
                yield TaggedOutput(
                    "bad",
                    ((name, unit), (name, ev.key, ev.column, ev.value, ev.reason, ev.position)),
                )

    def _commit(
        self, plan: TablePlan, name: str, cols: list[str], rows: Any, keys: Any, positions: Any
    ) -> None:
        written, bad = _counter("rows_written", name), _counter("bad_rows", name)

        def done(w: int, b: int) -> None:
            written.inc(w)
            bad.inc(b)

        self.writer.write_now(plan.target.name, cols, rows, keys, done, name, positions)
        self.commits += 1
        self._maybe_fail()

    def _maybe_fail(self) -> None:
        """Tests: the first unit to reach `fail_after` commits fails, once per marker directory,
        as a worker that dies halfway through a bundle would."""
        job = self.job
        if not job.fail_once or self.commits != job.fail_after:
            return
        marker = FileSystems.join(job.fail_once, "failed-once")
        if FileSystems.exists(marker):
            return
        FileSystems.create(marker).close()
        raise RuntimeError(f"injected failure after {self.commits} commits of {self.unit}")

    def _finish(
        self, seen: dict[str, tuple[TablePlan, TableStats, dict[int, int]]]
    ) -> Iterator[Any]:
        unit = self.unit.index
        for name, (plan, stats, top) in seen.items():
            _counter("rows_read", name).inc(stats.read)
            for n, value in top.items():
                col = plan.columns[n].target
                Metrics.distribution(NAMESPACE, f"identity/{plan.target.name}/{col}").update(value)
            yield TaggedOutput("count", ((name, unit), stats.read))
        for table, key, column, value, reason, source, position in self.refused:
            yield TaggedOutput(
                "bad", ((source, unit), (table, key, column, value, reason, position))
            )
        self.refused = []


def _offset(counts: dict[tuple[str, int], int], name: str, unit: int) -> int:
    """Rows of table `name` in the units before `unit` (units are numbered in source order)."""
    return sum(n for (t, i), n in counts.items() if t == name and i < unit)


class WriteDeferred(LoadUnit):
    """Batches of tables without a key, read from a dump: their synthetic keys (from global row
    positions) are added and the batches committed."""

    def process(self, item: Any, counts: dict[tuple[str, int], int]) -> Iterator[Any]:  # type: ignore[override]
        name, unit, cols, rows, keys, positions = item
        self.refused = []
        self.commits = 0
        self.unit = DumpRange(unit, 0, 0, False)
        plan = self.plans[name]
        offset = _offset(counts, name, unit)
        glob = [p + offset for p in positions]
        for row, p in zip(rows, glob, strict=True):
            row.append(synthetic_key(name, p - 1))
        self._commit(plan, name, cols, rows, keys, glob)
        for table, key, column, value, reason, _source, position in self.refused:
            yield (table, key, column, value, reason, name, position)


def _globalize(item: Any, counts: dict[tuple[str, int], int]) -> tuple[Any, ...]:
    (name, unit), (table, key, column, value, reason, position) = item
    return (table, key, column, value, reason, name, position + _offset(counts, name, unit))


def _write_bad_rows(records: list[tuple[Any, ...]], path: str) -> int:
    records = sorted(records, key=lambda r: (r[5], r[6], str(r[2])))
    with FileSystems.create(path) as f:
        for r in records:
            f.write(bad_record_line(*r).encode("utf-8"))
    return len(records)


def build(p: beam.Pipeline, job: BeamJob, units: list[Any], bad_rows_path: str) -> dict[str, Any]:
    """Add the load of `units` to pipeline `p`; the bad rows go to `bad_rows_path`."""
    loaded = (
        p
        | "Units" >> beam.Create(units)
        | "Spread" >> beam.Reshuffle()
        | "Load"
        >> beam.ParDo(LoadUnit(job)).with_outputs("count", "bad", "deferred", "diagnostics")
    )
    counts = loaded.count | "Counts" >> beam.combiners.ToDict()
    bad = loaded.bad | "Positions" >> beam.Map(_globalize, counts=AsSingleton(counts))
    refused = loaded.deferred | "Deferred" >> beam.ParDo(
        WriteDeferred(job), counts=AsSingleton(counts)
    )
    written = (
        (bad, refused)
        | "AllBad" >> beam.Flatten()
        | "OneList" >> beam.combiners.ToList()
        | "BadFile" >> beam.Map(_write_bad_rows, bad_rows_path)
    )
    diagnostics = loaded.diagnostics | "Diagnostics" >> beam.combiners.ToList()
    return {"bad_written": written, "diagnostics": diagnostics}


def outcome(metrics: Any, result: LoadResult) -> dict[tuple[str, str], int]:
    """Fold the pipeline's counters into `result` (per table) and check read = written + bad;
    returns the IDENTITY maxima (Spanner table, column) -> largest value loaded."""
    identity: dict[tuple[str, str], int] = {}
    for m in metrics.query()["counters"]:
        if m.key.metric.namespace != NAMESPACE:
            continue
        kind, table = m.key.metric.name.split("/", 1)
        value = m.committed if m.committed is not None else m.attempted
        stats = result.tables.setdefault(table, TableStats())
        if kind == "rows_read":
            stats.read += value
        elif kind == "rows_written":
            stats.written += value
        elif kind == "bad_rows":
            stats.bad += value
    for m in metrics.query()["distributions"]:
        if m.key.metric.namespace != NAMESPACE:
            continue
        _kind, table, col = m.key.metric.name.split("/", 2)
        value = m.committed if m.committed is not None else m.attempted
        identity[(table, col)] = max(identity.get((table, col), 0), value.max)
    off = {
        t: (s.read, s.written, s.bad)
        for t, s in result.tables.items()
        if s.read != s.written + s.bad
    }
    if off:
        raise DataError(
            f"rows read != written + bad after the pipeline: {off} (read, written, bad)"
        )
    for stats in result.tables.values():
        stats.complete = True
    return identity
