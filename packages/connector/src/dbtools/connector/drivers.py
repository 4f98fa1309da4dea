"""The drivers the connector knows, as data: engine, sync/async, and how a connection is made.

`transport` says how the driver reaches the instance:
- "socket": we hand the driver a connected, verified TLS socket (pg8000, pymysql);
- "listener": libpq takes only a host/port or socket path, so it connects to the connector's
  in-process local listener, which dials the instance (psycopg);
- "asyncpg": asyncpg opens its own direct-TLS connection with our SSL context.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from .errors import DriverNotInstalledError, UnsupportedDriverError


@dataclass(frozen=True)
class Driver:
    name: str
    module: str  # what to import
    engine: str
    sync: bool
    async_: bool
    transport: str
    database_kwarg: str  # what the driver calls the database name
    extra: str  # pip extra that installs it


DRIVERS: dict[str, Driver] = {
    d.name: d
    for d in (
        Driver("pg8000", "pg8000.dbapi", "postgresql", True, False, "socket", "database", "pg8000"),
        Driver("pymysql", "pymysql", "mysql", True, False, "socket", "database", "pymysql"),
        Driver("psycopg", "psycopg", "postgresql", True, True, "listener", "dbname", "psycopg"),
        Driver("asyncpg", "asyncpg", "postgresql", False, True, "asyncpg", "database", "asyncpg"),
    )
}

ALIASES = {"psycopg3": "psycopg", "psycopg_async": "psycopg"}

# Accepted spellings of the database name; each driver gets its own spelling.
DATABASE_KWARGS = ("db", "database", "dbname")


def lookup(name: str) -> Driver:
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return DRIVERS[key]
    except KeyError:
        known = ", ".join(sorted(DRIVERS))
        raise UnsupportedDriverError(
            f"driver {name!r} is not supported; use one of {known} (libpq clients such as "
            "psycopg2 or psql can use the local listener: `cloudsql-connector listen`)"
        ) from None


def load(driver: Driver) -> ModuleType:
    try:
        return importlib.import_module(driver.module)
    except ImportError as exc:
        raise DriverNotInstalledError(
            f"driver {driver.name!r} is not installed: pip install 'dbtools-connector[{driver.extra}]'"
        ) from exc


def normalize_kwargs(driver: Driver, kwargs: dict[str, object]) -> dict[str, object]:
    """Map db/database/dbname to the driver's own name for it."""
    out = dict(kwargs)
    for alias in DATABASE_KWARGS:
        if alias in out and alias != driver.database_kwarg:
            out.setdefault(driver.database_kwarg, out.pop(alias))
    return out
