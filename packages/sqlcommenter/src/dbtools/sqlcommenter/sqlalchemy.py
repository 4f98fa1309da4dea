"""SQLAlchemy 2.x integration (sync and async engines) through the `before_cursor_execute` event.

>>> engine = instrument(create_engine(url), application="billing")
>>> async_engine = instrument(create_async_engine(url))

Per statement: `.execution_options(sqlcomment={"key": "value"})` adds keys, and
`sqlcomment_stable=True` leaves out per-request keys for that statement.
"""

from __future__ import annotations

import sqlite3
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ._versions import name_version
from .core import Commenter, Options, make_options

__all__ = ["commenter_of", "instrument", "uninstrument"]

E = TypeVar("E")

_ATTR = "_dbtools_sqlcommenter"
# DB-API modules whose distribution name differs from SQLAlchemy's driver name.
_DISTRIBUTIONS = {"mysqldb": ("mysqlclient",), "mysqlconnector": ("mysql-connector-python",)}


def _driver_tag(engine: Engine) -> str:
    driver = engine.dialect.driver
    if driver == "pysqlite":
        return f"pysqlite:{sqlite3.sqlite_version}"
    return name_version(driver, *_DISTRIBUTIONS.get(driver, (driver,)))


def _sync(engine: Any) -> Engine:
    sync = getattr(engine, "sync_engine", engine)
    if not isinstance(sync, Engine):
        raise TypeError(
            f"instrument() takes an Engine or AsyncEngine, not {type(engine).__name__}; "
            "call it on the result of create_engine()/create_async_engine()"
        )
    return sync


def instrument(engine: E, options: Options | None = None, **kwargs: Any) -> E:
    """Comment every statement `engine` (Engine or AsyncEngine) sends; returns `engine`.

    Keyword arguments are `Options` fields. Calling it again replaces the previous settings
    (the listener is never registered twice).
    """
    sync = _sync(engine)
    opts = make_options(options, **kwargs)
    if opts.dialect is None:
        opts = make_options(opts, dialect=sync.dialect.name)
    commenter = Commenter(
        opts,
        static_tags={
            "db_driver": _driver_tag(sync),
            "db_framework": f"sqlalchemy:{sqlalchemy.__version__}",
        },
        paramstyle=sync.dialect.paramstyle,
    )

    def before_cursor_execute(
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        try:
            tags = None
            stable = False
            passed = True
            if context is not None:
                eo = context.execution_options
                if eo:
                    tags = eo.get("sqlcomment")
                    stable = bool(eo.get("sqlcomment_stable", False))
                # SQLAlchemy calls cursor.execute(statement) without parameters only then.
                passed = bool(parameters) or not context.no_parameters
            return commenter(statement, tags, params_passed=passed, stable=stable), parameters
        except Exception:
            return statement, parameters

    uninstrument(engine)
    event.listen(sync, "before_cursor_execute", before_cursor_execute, retval=True)
    setattr(sync, _ATTR, (commenter, before_cursor_execute))
    return engine


def uninstrument(engine: Any) -> None:
    """Stop commenting statements of `engine` (no-op when it was not instrumented)."""
    sync = _sync(engine)
    found = getattr(sync, _ATTR, None)
    if found is not None:
        event.remove(sync, "before_cursor_execute", found[1])
        delattr(sync, _ATTR)


def commenter_of(engine: Any) -> Commenter | None:
    """The `Commenter` an instrumented engine uses (for inspection and tests)."""
    found = getattr(_sync(engine), _ATTR, None)
    return found[0] if found else None
