"""Per-engine SQL builders (pure: no I/O)."""

from __future__ import annotations

from ..errors import UnsupportedEngineError
from .base import Dialect
from .duckdb import DuckDBDialect
from .mysql import MySQLDialect
from .postgres import PostgresDialect
from .spanner import SpannerDialect, SpannerPgDialect
from .sqlite import SQLiteDialect

DIALECTS: dict[str, type[Dialect]] = {
    "postgresql": PostgresDialect,
    "mysql": MySQLDialect,
    "sqlite": SQLiteDialect,
    "duckdb": DuckDBDialect,
    "spanner": SpannerDialect,
    "spanner_pg": SpannerPgDialect,
}


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]()
    except KeyError:
        raise UnsupportedEngineError(
            f"no SQL dialect for engine {name!r}; supported: {', '.join(sorted(DIALECTS))}"
        ) from None


__all__ = ["DIALECTS", "Dialect", "get_dialect"]
