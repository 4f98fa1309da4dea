"""The options every `--runner beam` command declares, with the tool's own wording where the
meaning differs (what `--beam-files` holds, what a range is)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

DEFAULT_RANGE_ROWS = 100_000

# the parameters only a pipeline uses: given without --runner beam they are refused
BEAM_ONLY = ("beam_args", "beam_files", "beam_range_rows")


@dataclass(frozen=True)
class RunnerChoice:
    """How a tool names its in-process runner, and the extra that installs Apache Beam."""

    local: str  # the --runner value of the in-process path ("threads", "local")
    local_help: str  # what it is, for --help
    extra: str  # the pip requirement that brings Apache Beam, e.g. "dbtools-dvt[beam]"


def runner_options(
    runner: RunnerChoice, *, files_help: str, range_rows_help: str
) -> list[Decorator]:
    """`--runner`, `--beam-args`, `--beam-files`, `--beam-range-rows`, in `--help` order."""
    return [
        click.option(
            "--runner",
            type=click.Choice([runner.local, "beam"]),
            default=runner.local,
            show_default=True,
            help=f"{runner.local}: {runner.local_help}; beam: an Apache Beam pipeline "
            f"(needs {runner.extra}).",
        ),
        click.option(
            "--beam-args",
            default="",
            metavar="'ARGS'",
            help="Beam pipeline options, e.g. '--runner=DataflowRunner --project=P --region=R "
            "--temp_location=gs://B/tmp --extra_package=dist/...whl' (README: 'Running on "
            "Dataflow'; default: Beam's DirectRunner).",
        ),
        click.option("--beam-files", metavar="DIR", help=files_help),
        click.option(
            "--beam-range-rows",
            type=click.IntRange(1),
            default=DEFAULT_RANGE_ROWS,
            show_default=True,
            help=range_rows_help,
        ),
    ]
