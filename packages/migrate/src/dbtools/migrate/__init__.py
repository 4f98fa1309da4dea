"""dbtools.migrate: move a MySQL or PostgreSQL schema (and data) to Cloud Spanner."""

from importlib.metadata import version as _distribution_version

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-migrate")
