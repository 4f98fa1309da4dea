"""dbtools-dvt: data validation between two databases (row hashes, aggregates, schema).

The public Python API (documented in `api.py` and the README):

    from dbtools import dvt
    result = dvt.validate_rows(source_url, target_url, "orders")

Its names are loaded on first use, so that `import dbtools.dvt` stays cheap for the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

DISTRIBUTION = "dbtools-dvt"

# public name → the module that defines it
_EXPORTS = {
    "connect": "api",
    "run": "api",
    "validate_rows": "api",
    "validate_columns": "api",
    "validate_schema": "api",
    "plan_migration": "api",
    "validate_migration": "api",
    "read_results": "api",
    "read_history": "api",
    "exit_code": "api",
    "Validation": "api",
    "RowSpec": "rows",
    "ColumnSpec": "columns",
    "SchemaSpec": "schema",
    "ValidationResult": "results",
    "Finding": "results",
    "Timeouts": "timeouts",
    "DvtError": "errors",
    "ConfigError": "errors",
    "ConnectError": "errors",
    "QueryError": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # The one place the version is written is pyproject.toml; the installed metadata
        # carries it. Read on use: importlib.metadata costs a run's start-up a tenth of a second.
        from importlib.metadata import version

        return version(DISTRIBUTION)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dbtools.dvt' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
