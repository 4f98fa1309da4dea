"""dbtools-dvt: data validation between two databases (row hashes, aggregates, schema)."""

from importlib.metadata import version as _distribution_version

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-dvt")
