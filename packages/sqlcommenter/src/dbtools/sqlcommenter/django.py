"""Django: a middleware (sync and async) for the request keys, and the ORM's statements
commented through Django's execute wrappers on every database alias.

settings.py:
    MIDDLEWARE = ["dbtools.sqlcommenter.django.SqlCommenterMiddleware", ...]
    SQLCOMMENTER = {"application": "shop"}     # optional: Options fields

The wrapper is installed on each database connection as Django opens it (all aliases, also
outside requests, e.g. management commands), once per connection, so queries are never commented
twice and `assertNumQueries` counts are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from .context import RequestContext, reset_request, set_request
from .core import Commenter, make_options
from .lexer import dialect_family

__all__ = ["SqlCommenterMiddleware", "install", "uninstall"]

_FRAMEWORK = f"django:{version('django')}"
_STATE: dict[str, Any] = {}


def _resolve(request: Any) -> Mapping[str, str | None] | None:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    return {"route": match.route, "controller": match.view_name}


def _context(request: Any) -> RequestContext:
    return RequestContext(
        {"framework": _FRAMEWORK, "action": request.method}, lambda: _resolve(request)
    )


class _ExecuteWrapper:
    """Django execute wrapper: comments `sql` for one connection's vendor."""

    def __init__(self, commenter: Commenter) -> None:
        self.commenter = commenter

    def __call__(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any
    ) -> Any:
        if isinstance(sql, str):
            # Django backends take %s placeholders and expect %% whenever params are given.
            sql = self.commenter(sql, params_passed=params is not None or many)
        return execute(sql, params, many, context)


def _wrapper_for(vendor: str, backend: str) -> _ExecuteWrapper:
    wrappers: dict[str, _ExecuteWrapper] = _STATE.setdefault("wrappers", {})
    found = wrappers.get(backend)
    if found is None:
        opts = _STATE["options"]
        if opts.dialect is None:
            opts = make_options(opts, dialect=dialect_family(vendor))
        commenter = Commenter(
            opts,
            static_tags={"db_framework": _FRAMEWORK, "db_driver": backend},
            paramstyle="format",
        )
        found = wrappers[backend] = _ExecuteWrapper(commenter)
    return found


def _attach(connection: Any) -> None:
    if not any(isinstance(w, _ExecuteWrapper) for w in connection.execute_wrappers):
        # db_driver names the Django backend, e.g. django.db.backends.postgresql
        backend = type(connection).__module__.removesuffix(".base")
        connection.execute_wrappers.append(_wrapper_for(connection.vendor, backend))


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    _attach(connection)


def install(**options: Any) -> None:
    """Comment ORM statements on every alias (called by the middleware with `SQLCOMMENTER`)."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    _STATE["options"] = make_options(None, **options)
    _STATE["wrappers"] = {}
    connection_created.connect(_on_connection_created, dispatch_uid="dbtools.sqlcommenter")
    for conn in connections.all(initialized_only=True):
        conn.execute_wrappers[:] = [
            w for w in conn.execute_wrappers if not isinstance(w, _ExecuteWrapper)
        ]
        _attach(conn)
    _STATE["installed"] = True


def uninstall() -> None:
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.disconnect(dispatch_uid="dbtools.sqlcommenter")
    for conn in connections.all(initialized_only=True):
        conn.execute_wrappers[:] = [
            w for w in conn.execute_wrappers if not isinstance(w, _ExecuteWrapper)
        ]
    _STATE.clear()


class SqlCommenterMiddleware:
    """Sync- and async-capable middleware setting framework/route/controller/action."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        if not _STATE.get("installed"):
            install(**getattr(settings, "SQLCOMMENTER", {}))

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self.__acall__(request)
        token = set_request(_context(request))
        try:
            return self.get_response(request)
        finally:
            reset_request(token)

    async def __acall__(self, request: Any) -> Any:
        token = set_request(_context(request))
        try:
            return await self.get_response(request)
        finally:
            reset_request(token)
