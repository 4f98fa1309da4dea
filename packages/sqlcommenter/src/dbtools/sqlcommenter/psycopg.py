"""psycopg 3 integration: sync and async connections, client- and server-side cursors.

>>> conn = connect("dbname=app", sqlcomment={"application": "billing"})  # or instrument(conn)
>>> aconn = await connect_async("dbname=app")
>>> pool = ConnectionPool(url, configure=instrument)          # psycopg_pool

It works by giving the connection cursor classes that comment the query before psycopg sees it
(so `sql.Composable` queries are rendered first). `cur.execute(..., sqlcomment={...})` adds keys
for one statement. `prepare=True` statements are commented in stable mode (no traceparent), so a
prepared statement is reused instead of one being created per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import psycopg
from psycopg import sql as pgsql
from psycopg.raw_cursor import RawCursorMixin

from ._versions import name_version
from .core import Commenter, Options, make_options

__all__ = ["commenter_of", "connect", "connect_async", "instrument", "uninstrument"]

C = TypeVar("C", psycopg.Connection[Any], psycopg.AsyncConnection[Any])

_ATTR = "_dbtools_sqlcommenter"
_ORIGINAL = "_dbtools_sqlcommenter_factories"


def _commented(
    cursor: Any,
    query: Any,
    params_passed: bool,
    tags: Mapping[str, object] | None,
    stable: bool,
) -> Any:
    commenter: Commenter | None = getattr(cursor.connection, _ATTR, None)
    if commenter is None:
        return query
    try:
        raw = isinstance(cursor, RawCursorMixin)  # $1 placeholders: '%' is not special
        if isinstance(query, str):
            return commenter(query, tags, params_passed=params_passed and not raw, stable=stable)
        if isinstance(query, pgsql.Composable):
            text = query.as_string(cursor.connection)
            out = commenter(text, tags, params_passed=params_passed and not raw, stable=stable)
            return query if out == text else out
        if isinstance(query, (bytes, bytearray)):
            encoding = cursor.connection.info.encoding
            text = bytes(query).decode(encoding)
            out = commenter(text, tags, params_passed=params_passed and not raw, stable=stable)
            return query if out == text else out.encode(encoding)
    except Exception:
        return query
    return query  # e.g. t-strings (Python 3.14 templates): sent as given


class _StreamCopyMixin:
    # stream() and copy() return (async) iterators / context managers in both cursor kinds,
    # so one plain method serves sync and async cursors alike.
    def stream(self, query: Any, params: Any = None, *, sqlcomment: Any = None, **kw: Any) -> Any:
        query = _commented(self, query, params is not None, sqlcomment, False)
        return super().stream(query, params, **kw)  # type: ignore[misc]

    def copy(self, statement: Any, params: Any = None, *, sqlcomment: Any = None, **kw: Any) -> Any:
        statement = _commented(self, statement, params is not None, sqlcomment, False)
        return super().copy(statement, params, **kw)  # type: ignore[misc]


class _SyncMixin(_StreamCopyMixin):
    def execute(self, query: Any, params: Any = None, *, sqlcomment: Any = None, **kw: Any) -> Any:
        stable = bool(kw.get("prepare"))
        query = _commented(self, query, params is not None, sqlcomment, stable)
        return super().execute(query, params, **kw)  # type: ignore[misc]

    def executemany(self, query: Any, params_seq: Any, *, sqlcomment: Any = None, **kw: Any) -> Any:
        query = _commented(self, query, True, sqlcomment, False)
        return super().executemany(query, params_seq, **kw)  # type: ignore[misc]


class _AsyncMixin(_StreamCopyMixin):
    async def execute(
        self, query: Any, params: Any = None, *, sqlcomment: Any = None, **kw: Any
    ) -> Any:
        stable = bool(kw.get("prepare"))
        query = _commented(self, query, params is not None, sqlcomment, stable)
        return await super().execute(query, params, **kw)  # type: ignore[misc]

    async def executemany(
        self, query: Any, params_seq: Any, *, sqlcomment: Any = None, **kw: Any
    ) -> Any:
        query = _commented(self, query, True, sqlcomment, False)
        return await super().executemany(query, params_seq, **kw)  # type: ignore[misc]


_SUBCLASSES: dict[type, type] = {}


def _commenting(cls: type, is_async: bool) -> type:
    """A subclass of the connection's cursor class that comments queries (made once per class)."""
    if getattr(cls, "_dbtools_commenting", False):
        return cls
    sub = _SUBCLASSES.get(cls)
    if sub is None:
        mixin = _AsyncMixin if is_async else _SyncMixin
        sub = type(f"Commenting{cls.__name__}", (mixin, cls), {"_dbtools_commenting": True})
        _SUBCLASSES[cls] = sub
    return sub


def instrument(conn: C, options: Options | None = None, **kwargs: Any) -> C:
    """Comment every statement sent through `conn` (sync or async); returns `conn`.

    Keyword arguments are `Options` fields. Calling it again replaces the previous settings.
    """
    opts = make_options(options, **kwargs)
    if opts.dialect is None:
        opts = make_options(opts, dialect="postgresql")
    commenter = Commenter(
        opts,
        static_tags={"db_driver": name_version("psycopg")},
        paramstyle="pyformat",
    )
    is_async = isinstance(conn, psycopg.AsyncConnection)
    if not hasattr(conn, _ORIGINAL):
        setattr(conn, _ORIGINAL, (conn.cursor_factory, conn.server_cursor_factory))
    setattr(conn, _ATTR, commenter)
    conn.cursor_factory = _commenting(conn.cursor_factory, is_async)
    conn.server_cursor_factory = _commenting(conn.server_cursor_factory, is_async)
    return conn


def uninstrument(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> None:
    """Restore the cursor classes `conn` had before `instrument`."""
    original = getattr(conn, _ORIGINAL, None)
    if original is not None:
        conn.cursor_factory, conn.server_cursor_factory = original
        delattr(conn, _ORIGINAL)
    if hasattr(conn, _ATTR):
        delattr(conn, _ATTR)


def commenter_of(conn: Any) -> Commenter | None:
    return getattr(conn, _ATTR, None)


def connect(
    conninfo: str = "",
    *,
    options: Options | None = None,
    sqlcomment: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> psycopg.Connection[Any]:
    """`psycopg.Connection.connect(conninfo, **kwargs)`, instrumented with `options` and the
    `sqlcomment` mapping of Options fields (e.g. `sqlcomment={"application": "billing"}`)."""
    return instrument(psycopg.Connection.connect(conninfo, **kwargs), options, **(sqlcomment or {}))


async def connect_async(
    conninfo: str = "",
    *,
    options: Options | None = None,
    sqlcomment: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> psycopg.AsyncConnection[Any]:
    """`psycopg.AsyncConnection.connect(...)`, instrumented like `connect`."""
    conn = await psycopg.AsyncConnection.connect(conninfo, **kwargs)
    return instrument(conn, options, **(sqlcomment or {}))
