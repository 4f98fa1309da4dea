"""The `--runner beam` options of `data` / `schema-and-data`, and what the threaded options mean
there (honoured, or refused with the reason). Apache Beam is imported only when it runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

OPTIONS = [
    click.option(
        "--runner",
        type=click.Choice(["threads", "beam"]),
        default="threads",
        show_default=True,
        help="threads: this process; beam: an Apache Beam pipeline (needs dbtools-migrate[beam]).",
    ),
    click.option(
        "--beam-args",
        default="",
        metavar="'ARGS'",
        help="Beam pipeline options, e.g. '--runner=DataflowRunner --project=P --region=R "
        "--temp_location=gs://B/tmp --setup_file=./setup.py' (default: Beam's DirectRunner).",
    ),
    click.option(
        "--beam-files",
        metavar="DIR",
        help="Where the workers write the bad rows (a gs:// path on Dataflow; default: --out).",
    ),
    click.option(
        "--beam-range-rows",
        type=click.IntRange(1),
        default=100_000,
        show_default=True,
        help="Live sources: rows per key range (a work unit).",
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


# pipeline settings the threaded load has no use for: refused without --runner beam
_BEAM_ONLY = ("beam_args", "beam_files", "beam_range_rows", "beam_chunk_bytes")


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def check_runner_settings(args: dict[str, Any]) -> None:
    """Before any work: every setting given applies to the chosen runner, Beam is installed
    when asked for, and Beam knows every pipeline option in --beam-args."""
    ctx = click.get_current_context()
    if args["runner"] != "beam":
        for name in _BEAM_ONLY:
            if _given(ctx, name):
                flag = "--" + name.replace("_", "-")
                raise click.UsageError(f"{flag} applies only to --runner beam")
        return
    for name, why in _NOT_FOR_BEAM.items():
        if _given(ctx, name):
            flag = "--" + name.replace("_", "-")
            raise click.UsageError(f"{flag} does not apply to --runner beam: {why}")
    from .beamrun import check_beam_available, unknown_pipeline_args
    from .errors import MigrateError

    try:
        check_beam_available()
    except MigrateError as exc:
        raise click.UsageError(str(exc)) from exc
    unknown = unknown_pipeline_args(args["beam_args"])
    if unknown:
        raise click.UsageError(f"--beam-args: Apache Beam knows no option {' '.join(unknown)}")


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
    )
