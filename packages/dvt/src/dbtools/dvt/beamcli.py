"""The `--runner beam` options of `dvt validate row` (Apache Beam is imported only to run); the
options and their checks are dbtools-beam-cli's, shared with spanner-migrate."""

from __future__ import annotations

from typing import Any

import click
from dbtools.beam_cli import RunnerChoice, check_runner_settings, runner_options

from .errors import ConfigError
from .option_group import option_group

_META = "dvt.beam"
RUNNER = RunnerChoice("local", "this process", "dbtools-dvt[beam]")
# in-process settings a pipeline has no use for: refused when given, with the reason
_NOT_FOR_BEAM = {
    "workers": "the runner's worker count sets the parallelism",
    "block_rows": "each key range is checksummed whole inside each database",
}


beam_row_options = option_group(
    *runner_options(
        RUNNER,
        files_help="Where workers leave the ranges' results (a gs:// path on Dataflow; default: "
        "a temporary directory).",
        range_rows_help="Rows per key range when --partitions is not given.",
    )
)


def take_beam_settings(kw: dict[str, Any]) -> None:
    """Move the --runner settings out of `kw` into the command's context."""
    params = {
        name: kw.pop(name) for name in ("runner", "beam_args", "beam_files", "beam_range_rows")
    }
    if not check_runner_settings(params, RUNNER, not_for_beam=_NOT_FOR_BEAM):
        return
    ctx = click.get_current_context()
    files = params["beam_files"]
    if files is None:
        import tempfile  # here: the in-process run has no use for it

        files = ctx.with_resource(tempfile.TemporaryDirectory(prefix="dvt-beam-"))
    ctx.meta[_META] = {
        "beam_args": params["beam_args"],
        "files": files,
        "range_rows": params["beam_range_rows"],
    }


def beam_settings() -> dict[str, Any] | None:
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(_META)


def run_row_beam(spec: Any, source: Any, target: Any, settings: dict[str, Any]) -> Any:
    from .beamrows import validate

    if spec.random_rows:
        raise ConfigError("--random-rows does not apply to --runner beam")
    return validate(spec, source, target, **settings)
