"""The package version, in one place (the user agent, telemetry and `--version` read it)."""

from importlib.metadata import version as _distribution_version

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-connector")
