"""The `--runner beam` options spanner-migrate and dvt share, and the checks made on them before
any work starts. Apache Beam is imported only when `--runner beam` is chosen."""

from __future__ import annotations

from typing import Any

from .options import BEAM_ONLY, DEFAULT_RANGE_ROWS, Decorator, RunnerChoice, runner_options
from .pipeline_args import unknown_pipeline_args
from .settings import check_runner_settings

__all__ = [
    "BEAM_ONLY",
    "DEFAULT_RANGE_ROWS",
    "Decorator",
    "RunnerChoice",
    "__version__",
    "check_runner_settings",
    "runner_options",
    "unknown_pipeline_args",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # The one place the version is written is pyproject.toml; the installed metadata
        # carries it. Read on use: the tools' start-up does not pay for importlib.metadata.
        from importlib.metadata import version

        return version("dbtools-beam-cli")
    raise AttributeError(name)
