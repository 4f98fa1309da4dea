"""The `--runner beam` options of `data` / `schema-and-data`, and what the threaded options mean
there (honoured, or refused with the reason). Apache Beam is imported only when it runs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import click
from dbtools.beam_cli import RunnerChoice, runner_options
from dbtools.beam_cli import check_runner_settings as _check

# tests and CI: the first work unit to commit once then fails, once per marker directory named
# here (a gs:// path on Dataflow), as a worker dying halfway through a bundle would; see README
FAIL_ONCE_ENV = "DBTOOLS_MIGRATE_BEAM_FAIL_ONCE"

RUNNER = RunnerChoice("threads", "this process", "dbtools-migrate[beam]")

OPTIONS = [
    *runner_options(
        RUNNER,
        files_help="Where the workers write the bad rows (a gs:// path on Dataflow; default: --out).",
        range_rows_help="Live sources: rows per key range (a work unit).",
    ),
    click.option(
        "--beam-chunk-bytes",
        type=click.IntRange(1),
        default=64 * 1024 * 1024,
        show_default=True,
        help="Dump files: bytes per range (a work unit); ranges start at the next statement.",
    ),
]

# threaded-load settings a pipeline has no use for: refused when given, with the reason
_NOT_FOR_BEAM = {
    "resume": "a Beam load is rerun whole (InsertOrUpdate makes a rerun idempotent)",
    "max_rows_per_second": "the runner's worker count sets the write rate",
    "write_parallelism": "the runner's worker count sets the parallelism",
    "read_parallelism": "the runner's worker count sets the parallelism",
    "checkpoint_interval": "a Beam load keeps no checkpoint (the runner retries failed bundles)",
}


def check_runner_settings(args: dict[str, Any]) -> None:
    """Before any work: every setting given applies to the chosen runner, Beam is installed
    when asked for, and Beam knows every pipeline option in --beam-args."""
    beam = _check(args, RUNNER, not_for_beam=_NOT_FOR_BEAM, beam_only=("beam_chunk_bytes",))
    if not beam and os.environ.get(FAIL_ONCE_ENV):
        raise click.UsageError(f"{FAIL_ONCE_ENV} applies only to --runner beam")


def beam_load(
    args: dict[str, Any], conv: Any, tz: dt.tzinfo, out: Path, target: dict[str, Any]
) -> tuple[Any, dict[tuple[str, str], int], dict[str, str], list[Any]]:
    """Run the load as Beam pipelines; (result, IDENTITY maxima, read info, diagnostics)."""
    from .beamrun import run

    return run(
        conv,
        tz=tz,
        out=out,
        beam_args=args["beam_args"],
        url=args["url"],
        dump=args["file"],
        target=None if args["dry_run"] else target,
        batch_mutations=args["batch_mutations"],
        range_rows=args["beam_range_rows"],
        chunk_bytes=args["beam_chunk_bytes"],
        files=args["beam_files"],
        fail_once=os.environ.get(FAIL_ONCE_ENV) or None,
    )
