"""The package version, in one place (the user agent, telemetry and `--version` read it)."""

__version__ = "0.1.0"
