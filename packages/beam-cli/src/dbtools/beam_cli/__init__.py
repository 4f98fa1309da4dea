"""The `--runner beam` options spanner-migrate and dvt share, and the checks made on them before
any work starts. Apache Beam is imported only when `--runner beam` is chosen."""

from __future__ import annotations

from importlib.metadata import version as _distribution_version

from .options import BEAM_ONLY, DEFAULT_RANGE_ROWS, Decorator, RunnerChoice, runner_options
from .pipeline_args import unknown_pipeline_args
from .settings import check_runner_settings

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-beam-cli")

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
