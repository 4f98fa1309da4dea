"""Row validation as an Apache Beam pipeline (`dvt validate row ... --runner beam`).

    key ranges ─► Reshuffle ─► CheckRange ─► ToList ─► one results file ─► the launcher's report
                                 │
                                 ├─ COUNT(*) and SUM(hash prefix) of the range, inside each database
                                 └─ only when they differ: the range's (key, hash) rows from both
                                    sides, merged, differences listed (the in-process merge)

The launcher plans the validation (RowValidator.prepare: columns, keys, value expressions), cuts
the first key column into ranges (the in-process partitioner, from the source's own keys), and
builds the result with the in-process code (RowValidator._result: the same findings, mismatch
details and JSON). Workers open their own connections in `setup`; the ranges' results come back
through a file under `files` (a gs:// path on Dataflow), so nothing assumes one machine.
"""

from __future__ import annotations

import pickle
import shlex
import uuid
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from dbtools.beam_cli import DEFAULT_RANGE_ROWS

from .connections import ConnSpec
from .engines import open_engine
from .errors import ConfigError, PipelineError
from .merge import MergeCounts
from .results import ValidationResult
from .rows import RowSpec, RowValidator, _and, partition_bounds, range_predicate

NAMESPACE = "dbtools.dvt"


class CheckRange(beam.DoFn):
    """One key range: equal (count, hash sum) on both sides, or the merged rows' differences."""

    def __init__(self, spec: RowSpec, source: ConnSpec, target: ConnSpec) -> None:
        self.spec, self.source_spec, self.target_spec = spec, source, target

    def setup(self) -> None:
        self.source = open_engine(self.source_spec)
        self.target = open_engine(self.target_spec)
        self.validator = RowValidator(self.spec, self.source, self.target)
        self.prep = self.validator.prepare()
        p = self.prep
        # the in-process checksum blocks' rule: a hash of key and values, when SQL computes it
        self.hashes = None
        if self.spec.mode == "hash" and not p.json_at:
            v = self.validator
            self.hashes = (
                v._value_exprs(p.src, p.keys + p.plan.pairs, True, "hash")[0],
                v._value_exprs(p.tgt, p.keys + p.plan.pairs, False, "hash")[0],
            )

    def teardown(self) -> None:
        for e in (self.source, self.target):
            close = getattr(e, "close", None)
            if close is not None:
                close()

    def _digest(self, side: Any, engine: Any, expr: str, pred: str | None) -> tuple[int, int]:
        d = engine.dialect
        row = engine.query(
            f"SELECT COUNT(*), SUM({d.hex_to_int48(expr)}) FROM {side.from_clause}"
            f"{_and(side.filter, pred)}"
        )[0]
        return int(row[0]), int(row[1] or 0)

    def process(self, rng: tuple[str | None, str | None]) -> Iterator[Any]:
        sp, tp = rng
        p, v = self.prep, self.validator
        if self.hashes is not None:
            a = self._digest(p.src, self.source, self.hashes[0], sp)
            b = self._digest(p.tgt, self.target, self.hashes[1], tp)
            if a == b:
                Metrics.counter(NAMESPACE, "ranges_equal").inc()
                Metrics.counter(NAMESPACE, "rows_matched").inc(a[0])
                yield (MergeCounts(source_rows=a[0], target_rows=b[0], matched=a[0]), [])
                return
        Metrics.counter(NAMESPACE, "ranges_drilled").inc()
        v._diffs = []
        counts = v._merge(
            v._select(p.src, p.keys, p.src_vals, True, sp),
            v._select(p.tgt, p.keys, p.tgt_vals, False, tp),
            len(p.keys),
            p.needs_norm,
        )
        Metrics.counter(NAMESPACE, "rows_matched").inc(counts.matched)
        yield (counts, list(v._diffs))


def _save(results: list[Any], path: str) -> None:
    with FileSystems.create(path) as f:
        f.write(pickle.dumps(results))


def _run_to_the_end(pipe: Any) -> None:
    from apache_beam.runners.runner import PipelineState

    try:
        final = pipe.run().wait_until_finish()
    except Exception as exc:  # a runner raises what a worker raised, or its own job error
        lines = [x for x in str(exc).splitlines() if x.strip()]
        last = lines[-1].strip() if lines else type(exc).__name__
        raise PipelineError(f"the Beam pipeline failed: {last}") from exc
    if final is not None and final != PipelineState.DONE:
        raise PipelineError(f"the Beam pipeline ended {final}")


def validate(
    spec: RowSpec,
    source: Any,
    target: Any,
    beam_args: str,
    files: str,
    range_rows: int = DEFAULT_RANGE_ROWS,
) -> ValidationResult:
    """Run one row validation as a Beam pipeline; the result the in-process run would give."""
    from apache_beam.options.pipeline_options import PipelineOptions

    if spec.random_rows:
        raise ConfigError("--random-rows is not supported with --runner beam")
    v = RowValidator(spec, source, target)
    p = v.prepare()
    src, tgt, keys = p.src, p.tgt, p.keys
    count = spec.partitions
    if count is None:
        total = int(source.query(f"SELECT COUNT(*) FROM {src.from_clause}{_and(src.filter)}")[0][0])
        count = max(1, -(-total // max(1, range_rows)))
    bounds = (
        partition_bounds(source, src.from_clause, src.filter, keys[0].source, count)
        if count > 1
        else []
    )
    ranges = [
        (
            range_predicate(source, keys[0].source, lo, hi),
            range_predicate(target, keys[0].target, lo, hi),
        )
        for lo, hi in zip([None, *bounds], [*bounds, None], strict=True)
    ]
    path = FileSystems.join(files, f"dvt-ranges-{uuid.uuid4().hex}.pickle")
    pipe = beam.Pipeline(options=PipelineOptions(shlex.split(beam_args)))
    _ = (
        pipe
        | "Ranges" >> beam.Create(ranges)
        | "Spread" >> beam.Reshuffle()
        | "Check" >> beam.ParDo(CheckRange(spec, source.spec, target.spec))
        | "OneList" >> beam.combiners.ToList()
        | "Save" >> beam.Map(_save, path)
    )
    _run_to_the_end(pipe)
    with FileSystems.open(path, compression_type="uncompressed") as f:
        results = pickle.loads(f.read())
    FileSystems.delete([path])
    counts = MergeCounts()
    for part, diffs in results:
        counts.add(part)
        for d in diffs:
            v._sink(*d)
    return v._result(src, tgt, keys, p.plan, counts)
