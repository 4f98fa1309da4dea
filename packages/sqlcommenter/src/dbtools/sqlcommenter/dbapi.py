"""Any DB-API 2 connection: a thin wrapper whose cursors comment what they execute.

>>> conn = wrap(pymysql.connect(...), application="billing")
>>> conn.cursor().execute("select 1")          # select 1 /*application='billing',db_driver=...*/

The driver's paramstyle (for `%` escaping), lexer dialect and `db_driver` value are found from the
driver module; pass `paramstyle=` / `driver=` when the connection comes from somewhere unusual.
Everything not overridden is delegated to the real connection/cursor.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

from ._versions import name_version
from .core import Commenter, Options, make_options
from .lexer import dialect_family

__all__ = ["CommentingConnection", "CommentingCursor", "wrap"]

_DISTRIBUTIONS = {
    "MySQLdb": ("mysqlclient",),
    "mysql": ("mysql-connector-python",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "psycopg": ("psycopg",),
}


def _module_attr(module_path: str, attr: str) -> Any:
    """`attr` from the innermost loaded module on `module_path` that has it."""
    parts = module_path.split(".")
    for i in range(len(parts), 0, -1):
        mod = sys.modules.get(".".join(parts[:i]))
        if mod is not None and hasattr(mod, attr):
            return getattr(mod, attr)
    return None


def _driver_tag(root: str) -> str:
    if root == "sqlite3":
        import sqlite3

        return f"sqlite3:{sqlite3.sqlite_version}"
    return name_version(root, *_DISTRIBUTIONS.get(root, (root,)))


class CommentingCursor:
    """Delegates to the real cursor; `execute`/`executemany` comment the statement first."""

    __slots__ = ("_commenter", "_cursor")

    def __init__(self, cursor: Any, commenter: Commenter) -> None:
        self._cursor = cursor
        self._commenter = commenter

    def execute(
        self, operation: Any, parameters: Any = None, *args: Any, sqlcomment: Any = None, **kw: Any
    ) -> Any:
        if isinstance(operation, str):
            operation = self._commenter(operation, sqlcomment, params_passed=parameters is not None)
        if parameters is None and not args and not kw:
            return self._cursor.execute(operation)
        return self._cursor.execute(operation, parameters, *args, **kw)

    def executemany(
        self, operation: Any, seq_of_parameters: Any, *args: Any, sqlcomment: Any = None, **kw: Any
    ) -> Any:
        if isinstance(operation, str):
            operation = self._commenter(operation, sqlcomment, params_passed=True)
        return self._cursor.executemany(operation, seq_of_parameters, *args, **kw)

    @property
    def wrapped(self) -> Any:
        return self._cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)

    def __enter__(self) -> CommentingCursor:
        self._cursor.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._cursor.__exit__(*exc)


class CommentingConnection:
    """Delegates to the real connection; its cursors are `CommentingCursor`s."""

    __slots__ = ("_commenter", "_conn")

    def __init__(self, conn: Any, commenter: Commenter) -> None:
        self._conn = conn
        self._commenter = commenter

    @property
    def wrapped(self) -> Any:
        return self._conn

    @property
    def commenter(self) -> Commenter:
        return self._commenter

    def cursor(self, *args: Any, **kwargs: Any) -> CommentingCursor:
        return CommentingCursor(self._conn.cursor(*args, **kwargs), self._commenter)

    def execute(self, operation: Any, parameters: Any = None, **kw: Any) -> CommentingCursor:
        """The sqlite3-style shortcut, for drivers that have it: a cursor, executed."""
        cur = self.cursor()
        cur.execute(operation, parameters, **kw)
        return cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __enter__(self) -> CommentingConnection:
        self._conn.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._conn.__exit__(*exc)


def wrap(
    conn: Any,
    options: Options | None = None,
    *,
    paramstyle: str | None = None,
    driver: str | None = None,
    static_tags: Mapping[str, object] | None = None,
    **kwargs: Any,
) -> CommentingConnection:
    """Wrap a DB-API 2 connection so every statement is commented; kwargs are `Options` fields.

    paramstyle: the driver's (default: the driver module's `paramstyle`).
    driver: the `db_driver` value (default: `module:version` of the driver).
    """
    module_path = type(conn).__module__
    root = module_path.split(".")[0]
    opts = make_options(options, **kwargs)
    if opts.dialect is None:
        opts = make_options(opts, dialect=dialect_family(root))
    tags: dict[str, object] = {"db_driver": driver or _driver_tag(root)}
    tags.update(static_tags or {})
    commenter = Commenter(
        opts,
        static_tags=tags,
        paramstyle=paramstyle or _module_attr(module_path, "paramstyle"),
    )
    return CommentingConnection(conn, commenter)
