"""Before any work: every setting given applies to the chosen runner, Apache Beam is installed
when asked for, and Beam knows every pipeline option (a setting is honoured or refused)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from .options import BEAM_ONLY, RunnerChoice
from .pipeline_args import unknown_pipeline_args


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def check_runner_settings(
    params: Mapping[str, Any],
    runner: RunnerChoice,
    *,
    not_for_beam: Mapping[str, str],
    beam_only: Sequence[str] = (),
) -> bool:
    """Refuse (click.UsageError) what the chosen runner would ignore; True when it is Beam.

    `params`: the command's parameters; `not_for_beam`: in-process settings and why a pipeline
    has no use for them; `beam_only`: the tool's own pipeline settings besides the shared ones."""
    ctx = click.get_current_context()
    if params["runner"] != "beam":
        for name in (*BEAM_ONLY, *beam_only):
            if _given(ctx, name):
                raise click.UsageError(f"{_flag(name)} applies only to --runner beam")
        return False
    for name, why in not_for_beam.items():
        if _given(ctx, name):
            raise click.UsageError(f"{_flag(name)} does not apply to --runner beam: {why}")
    try:
        import apache_beam  # noqa: F401
    except ImportError as exc:
        raise click.UsageError(
            f"--runner beam needs Apache Beam: pip install '{runner.extra}'"
        ) from exc
    unknown = unknown_pipeline_args(params["beam_args"])
    if unknown:
        raise click.UsageError(f"--beam-args: Apache Beam knows no option {' '.join(unknown)}")
    return True
