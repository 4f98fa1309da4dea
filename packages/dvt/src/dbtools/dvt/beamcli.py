"""The `--runner beam` options of `dvt validate row` (Apache Beam is imported only to run)."""

from __future__ import annotations

from typing import Any

import click

from .errors import ConfigError
from .option_group import option_group

_META = "dvt.beam"
# pipeline settings the in-process run has no use for: refused without --runner beam
_BEAM_ONLY = ("beam_args", "beam_files", "beam_range_rows")
# in-process settings a pipeline has no use for: refused when given, with the reason
_NOT_FOR_BEAM = {
    "workers": "the runner's worker count sets the parallelism",
    "block_rows": "each key range is checksummed whole inside each database",
}


beam_row_options = option_group(
    click.option(
        "--runner",
        type=click.Choice(["local", "beam"]),
        default="local",
        show_default=True,
        help="local: this process; beam: an Apache Beam pipeline (needs dbtools-dvt[beam]).",
    ),
    click.option(
        "--beam-args",
        default="",
        metavar="'ARGS'",
        help="Beam pipeline options, e.g. '--runner=DataflowRunner --project=P --region=R "
        "--temp_location=gs://B/tmp' (default: Beam's DirectRunner).",
    ),
    click.option(
        "--beam-files",
        metavar="DIR",
        help="Where workers leave the ranges' results (a gs:// path on Dataflow; default: "
        "a temporary directory).",
    ),
    click.option(
        "--beam-range-rows",
        type=click.IntRange(1),
        default=100_000,
        show_default=True,
        help="Rows per key range when --partitions is not given.",
    ),
)


def take_beam_settings(kw: dict[str, Any]) -> None:
    """Move the --runner settings out of `kw` into the command's context."""
    runner = kw.pop("runner", "local")
    settings = {
        "beam_args": kw.pop("beam_args", ""),
        "files": kw.pop("beam_files", None),
        "range_rows": kw.pop("beam_range_rows", 100_000),
    }
    ctx = click.get_current_context()
    if runner != "beam":
        for name in _BEAM_ONLY:
            source = ctx.get_parameter_source(name)
            if source is not None and source != click.core.ParameterSource.DEFAULT:
                raise click.UsageError(f"--{name.replace('_', '-')} applies only to --runner beam")
        return
    for name, why in _NOT_FOR_BEAM.items():
        source = ctx.get_parameter_source(name)
        if source is not None and source != click.core.ParameterSource.DEFAULT:
            raise click.UsageError(
                f"--{name.replace('_', '-')} does not apply to --runner beam: {why}"
            )
    try:
        import apache_beam  # noqa: F401
    except ImportError as exc:
        raise click.UsageError(
            "--runner beam needs Apache Beam: pip install 'dbtools-dvt[beam]'"
        ) from exc
    unknown = _unknown_pipeline_args(settings["beam_args"])
    if unknown:
        raise click.UsageError(f"--beam-args: Apache Beam knows no option {' '.join(unknown)}")
    if settings["files"] is None:
        import tempfile  # here: the in-process run has no use for it

        settings["files"] = ctx.with_resource(tempfile.TemporaryDirectory(prefix="dvt-beam-"))
    ctx.meta[_META] = settings


def _unknown_pipeline_args(beam_args: str) -> list[str]:
    """The arguments Beam cannot parse: Beam only logs that it discards them, so a misspelt
    `--runnr=DataflowRunner` would quietly run on the DirectRunner."""
    import logging
    import shlex

    from apache_beam.options.pipeline_options import PipelineOptions

    discarded: list[str] = []

    class _Discarded(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            args = record.args if isinstance(record.args, tuple) else ()
            if record.msg == "Discarding unparseable args: %s" and args:
                discarded.extend(str(a) for a in args[0])  # type: ignore[attr-defined]

    log = logging.getLogger("apache_beam.options.pipeline_options")
    handler = _Discarded(logging.WARNING)
    log.addHandler(handler)
    try:
        PipelineOptions(shlex.split(beam_args)).get_all_options()
    finally:
        log.removeHandler(handler)
    return discarded


def beam_settings() -> dict[str, Any] | None:
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(_META)


def run_row_beam(spec: Any, source: Any, target: Any, settings: dict[str, Any]) -> Any:
    from .beamrows import validate

    if spec.random_rows:
        raise ConfigError("--random-rows does not apply to --runner beam")
    return validate(spec, source, target, **settings)
