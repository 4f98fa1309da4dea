"""dbtools.migrate: move a MySQL or PostgreSQL schema (and data) to Cloud Spanner.

The public API (see `dbtools.migrate.api` for the whole walk-through):

    from dbtools import migrate

    source = migrate.read_source(engine="mysql", file="dump.sql")
    conv = migrate.convert_schema(source, "google_standard_sql")
    rep = migrate.build_report(conv)
    migrate.write_outputs(conv, rep, out)
    migrate.apply_schema(migrate.schema_statements(conv), dialect=..., project=..., ...)
    load = migrate.load_data(conv, source, database=migrate.open_database(...), out=out, file=...)

Every other module of the package is internal.
"""

from importlib import import_module
from importlib.metadata import version as _distribution_version
from typing import TYPE_CHECKING, Any

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-migrate")

# The names below are imported on first use (PEP 562): a Beam worker unpickling a work unit
# imports this package, and needs neither the SQL expression translator (sqlglot) nor the
# report writer that `api` brings; the launcher imports them when it converts. Each name of
# __all__ comes from `api`, or from the module named here.
_NOT_IN_API = {
    "Conversion": "convert",
    "LoadResult": "data",
    "TableStats": "data",
    "SourceSchema": "model",
}

if TYPE_CHECKING:
    from .api import (
        DataLoad,
        Dialect,
        IdentityStyle,
        MigrateError,
        NullDatabase,
        Report,
        apply_schema,
        build_report,
        convert_schema,
        load_data,
        open_database,
        read_report,
        read_source,
        restart_identities,
        schema_statements,
        write_outputs,
    )
    from .convert import Conversion
    from .data import LoadResult, TableStats
    from .model import SourceSchema


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _NOT_IN_API.get(name, "api")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Conversion",
    "DataLoad",
    "Dialect",
    "IdentityStyle",
    "LoadResult",
    "MigrateError",
    "NullDatabase",
    "Report",
    "SourceSchema",
    "TableStats",
    "__version__",
    "apply_schema",
    "build_report",
    "convert_schema",
    "load_data",
    "open_database",
    "read_report",
    "read_source",
    "restart_identities",
    "schema_statements",
    "write_outputs",
]
