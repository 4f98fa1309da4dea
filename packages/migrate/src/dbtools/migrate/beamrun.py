"""Launching the Beam load: cut the work into units, hold the source snapshot, run one pipeline
per interleave level, and turn the pipelines' counters into the load's report.

The launcher is the process that runs `spanner-migrate ... --runner beam`. It plans the units
(it reads the source's keys, or the dump's size), and for PostgreSQL it opens the transaction
whose snapshot every range reads in (`pg_export_snapshot()`): that transaction must stay open
until the last pipeline ends, so the launcher waits for the pipelines (also on Dataflow).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dbtools.beam_cli import DEFAULT_RANGE_ROWS

from .convert import Conversion
from .errors import DataError
from .loadplan import interleave_levels, plan_tables
from .loadresult import LoadResult
from .model import Diagnostic
from .workunits import dump_line_numbers, dump_ranges, plan_key_ranges

DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024


@contextlib.contextmanager
def _source_snapshot(engine: str, url: str) -> Iterator[tuple[Any, str | None]]:
    """A connection for planning, and PostgreSQL's exported snapshot id (held open)."""
    from sqlalchemy import text

    from .source import _create_engine

    sa = _create_engine(url)
    try:
        with sa.connect() as conn:
            snap = None
            if engine == "postgres":
                conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                snap = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            yield conn, snap
    finally:
        sa.dispose()


def run(
    conv: Conversion,
    *,
    tz: dt.tzinfo,
    out: Path,
    beam_args: str,
    url: str | None = None,
    dump: str | None = None,
    target: dict[str, Any] | None = None,
    batch_mutations: int = 20_000,
    range_rows: int = DEFAULT_RANGE_ROWS,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    files: str | None = None,
    fail_once: str | None = None,
) -> tuple[LoadResult, dict[tuple[str, str], int], dict[str, str], list[Diagnostic]]:
    """Load with Beam. Returns (result, IDENTITY maxima, how the source was read, diagnostics).

    `beam_args`: Beam pipeline options as on a command line (`--runner=DataflowRunner ...`);
    `files`: where workers write the bad-rows file (default: `out`; a gs:// path on Dataflow),
    copied into `out` at the end."""
    import apache_beam as beam
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    from .beamload import BeamJob, build, outcome

    engine = conv.source.engine
    options = PipelineOptions(shlex.split(beam_args))
    plans = plan_tables(conv, tz)
    levels = interleave_levels(conv)
    groups: list[set[str] | None] = list(levels) if len(levels) > 1 else [None]
    files = files or str(out)
    result = LoadResult(bad_rows_file=str(out / "bad_rows.jsonl"))
    identity: dict[tuple[str, str], int] = {}
    diagnostics: list[Diagnostic] = []
    bad_parts: list[str] = []
    if target is not None:
        target = {k: v for k, v in target.items() if k != "connect_timeout"}
    with contextlib.ExitStack() as stack:
        conn = snap = None
        if url:
            conn, snap = stack.enter_context(_source_snapshot(engine, url))
        for n, group in enumerate(groups):
            job = BeamJob(
                conv, tz, engine, batch_mutations, url, dump, snap, target, group, fail_once
            )
            if url:
                names = [
                    t for t in conv.source.tables if t in plans and (group is None or t in group)
                ]
                names = [t for t in names if plans[t].source.name == t]  # partitions: their parent
                units: list[Any] = []
                for t in names:
                    units += plan_key_ranges(
                        engine, conn, t, conv.source.tables[t].primary_key, range_rows
                    )
            else:
                assert dump is not None
                size = FileSystems.match([dump])[0].metadata_list[0].size_in_bytes
                units = dump_ranges(size, chunk_bytes)
            part = FileSystems.join(files, f"bad_rows.level{n}.jsonl")
            bad_parts.append(part)
            p = beam.Pipeline(options=options)
            outputs = build(p, job, units, part)
            diag_path = FileSystems.join(files, f"diagnostics.level{n}.json")
            _ = outputs["diagnostics"] | f"SaveDiagnostics{n}" >> beam.Map(_save_json, diag_path)
            state = _run_to_the_end(p, n)
            identity_part = outcome(state.metrics(), result)
            for k, v in identity_part.items():
                identity[k] = max(identity.get(k, 0), v)
            diagnostics += _dump_diagnostics(dump, _load_json(diag_path))
    with (out / "bad_rows.jsonl").open("wb") as f:
        for part in bad_parts:
            with FileSystems.open(part, compression_type="uncompressed") as src:
                f.write(src.read())
    FileSystems.delete(
        bad_parts
        + [FileSystems.join(files, f"diagnostics.level{n}.json") for n in range(len(groups))]
    )
    read_info = {
        "snapshot": (
            "one exported snapshot for every range"
            if snap
            else "a consistent snapshot per range"
            if url
            else "dump"
        ),
        "readers": "beam",
    }
    return result, identity, read_info, diagnostics


def _run_to_the_end(p: Any, level: int) -> Any:
    """Run one pipeline and wait for it; a pipeline that did not finish is a DataError naming
    what failed (the runner's own log, or Dataflow's job page, has the workers' tracebacks)."""
    from apache_beam.runners.runner import PipelineState

    try:
        state = p.run()
        final = state.wait_until_finish()
    except Exception as exc:  # a runner raises what a worker raised, or its own job error
        lines = [x for x in str(exc).splitlines() if x.strip()]
        raise DataError(
            f"the Beam pipeline of interleave level {level} failed: "
            f"{lines[-1].strip() if lines else type(exc).__name__}; rerun the same command "
            "(the load is idempotent: rows are written with InsertOrUpdate by key)"
        ) from exc
    if final is not None and final != PipelineState.DONE:
        raise DataError(f"the Beam pipeline of interleave level {level} ended {final}")
    return state


def _dump_diagnostics(dump: str | None, records: list[dict[str, Any]]) -> list[Diagnostic]:
    """The ranges' diagnostics, with the dump's own line numbers, in dump order."""
    if not records:
        return []
    from apache_beam.io.filesystems import FileSystems

    assert dump is not None
    with FileSystems.open(dump, compression_type="uncompressed") as f:
        first = dump_line_numbers(f, [r["first_byte"] for r in records])
    out = [
        Diagnostic(first[r["first_byte"]] + r["line"] - 1, r["kind"], r["message"]) for r in records
    ]
    return sorted(out, key=lambda d: d.line)


def _save_json(records: list[dict[str, Any]], path: str) -> None:
    import json

    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as f:
        f.write(json.dumps(records).encode())


def _load_json(path: str) -> list[dict[str, Any]]:
    import json

    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path, compression_type="uncompressed") as f:
        return list(json.loads(f.read()))
