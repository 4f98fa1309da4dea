"""SQLAlchemy 2.x integration (sync and async engines).

>>> engine = instrument(create_engine(url), application="billing")
>>> async_engine = instrument(create_async_engine(url))

Per statement: `.execution_options(sqlcomment={"key": "value"})` adds keys, and
`sqlcomment_stable=True` leaves out per-request keys for that statement.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Literal, TypeVar

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ._versions import name_version
from .core import Commenter, Options, make_options
from .errors import ConfigurationError

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


_DIALECT_METHODS = ("do_execute", "do_execute_no_params", "do_executemany")


def instrument(
    engine: E,
    options: Options | None = None,
    *,
    hook: Literal["dialect", "event"] = "dialect",
    **kwargs: Any,
) -> E:
    """Comment every statement `engine` (Engine or AsyncEngine) sends; returns `engine`.

    Keyword arguments are `Options` fields. Calling it again replaces the previous settings
    (never two comments, never two hooks).

    hook: "dialect" (default, cheapest) wraps the engine's own dialect `do_execute*` methods,
    so SQLAlchemy's echo log and `*_cursor_execute` listeners see the statement without the
    comment. "event" uses a `before_cursor_execute` listener instead, so later listeners and the
    echo log see the comment, at the cost of SQLAlchemy's event dispatch on every statement.
    """
    if hook not in ("dialect", "event"):
        raise ConfigurationError(f"hook={hook!r} is not supported: use 'dialect' or 'event'")
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

    def comment(statement: str, context: Any, passed: bool) -> str:
        try:
            tags = None
            stable = False
            if context is not None:
                eo = context.execution_options
                if eo:
                    tags = eo.get("sqlcomment")
                    stable = bool(eo.get("sqlcomment_stable", False))
            return commenter(statement, tags, params_passed=passed, stable=stable)
        except Exception:
            return statement

    uninstrument(engine)
    if hook == "event":

        def before_cursor_execute(
            conn: Any,
            cursor: Any,
            statement: str,
            parameters: Any,
            context: Any,
            executemany: bool,
        ) -> tuple[str, Any]:
            # SQLAlchemy calls cursor.execute(statement) without parameters only in this case.
            passed = bool(parameters) or context is None or not context.no_parameters
            return comment(statement, context, passed), parameters

        event.listen(sync, "before_cursor_execute", before_cursor_execute, retval=True)
        setattr(sync, _ATTR, (commenter, "event", before_cursor_execute))
        return engine

    dialect = sync.dialect
    do_execute = dialect.do_execute
    do_execute_no_params = dialect.do_execute_no_params
    do_executemany = dialect.do_executemany

    def execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> Any:
        return do_execute(cursor, comment(statement, context, True), parameters, context)

    def execute_no_params(cursor: Any, statement: str, context: Any = None) -> Any:
        return do_execute_no_params(cursor, comment(statement, context, False), context)

    def executemany(cursor: Any, statement: str, parameters: Any, context: Any = None) -> Any:
        return do_executemany(cursor, comment(statement, context, True), parameters, context)

    # Instance attributes shadow the dialect class's methods for this engine only (each
    # create_engine() has its own dialect object).
    dialect.do_execute = execute  # type: ignore[method-assign]
    dialect.do_execute_no_params = execute_no_params  # type: ignore[method-assign]
    dialect.do_executemany = executemany  # type: ignore[method-assign]
    setattr(sync, _ATTR, (commenter, "dialect", (execute, execute_no_params, executemany)))
    return engine


def uninstrument(engine: Any) -> None:
    """Stop commenting statements of `engine` (no-op when it was not instrumented)."""
    sync = _sync(engine)
    found = getattr(sync, _ATTR, None)
    if found is None:
        return
    _, hook, installed = found
    if hook == "event":
        event.remove(sync, "before_cursor_execute", installed)
    else:
        for name, ours in zip(_DIALECT_METHODS, installed, strict=True):
            if sync.dialect.__dict__.get(name) is ours:
                delattr(sync.dialect, name)
    delattr(sync, _ATTR)


def commenter_of(engine: Any) -> Commenter | None:
    """The `Commenter` an instrumented engine uses (for inspection and tests)."""
    found = getattr(_sync(engine), _ATTR, None)
    return found[0] if found else None
