"""ASGI middleware for Starlette and FastAPI (any ASGI app, really).

>>> app.add_middleware(SqlCommenterMiddleware)          # Starlette / FastAPI
>>> app = SqlCommenterMiddleware(app)                   # any ASGI app

The router runs after the middleware, so the route is read lazily, when a statement needs it,
from `scope["route"]` that Starlette/FastAPI routers set: `route` is the path template
(`/items/{item_id}`), `controller` the route's name (the endpoint function's name by default).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .context import RequestContext, reset_request, set_request

__all__ = ["SqlCommenterMiddleware"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


@lru_cache(maxsize=32)
def _framework(module: str) -> str:
    """`fastapi:<ver>` / `starlette:<ver>` from the module of the application class Starlette
    puts in `scope["app"]`, or plain "asgi"."""
    name = module.split(".")[0]
    if name in ("fastapi", "starlette"):
        try:
            return f"{name}:{version(name)}"
        except PackageNotFoundError:
            return name
    return "asgi"


def _resolve(scope: Scope) -> Mapping[str, str | None] | None:
    route = scope.get("route")
    if route is None:
        return None
    path = getattr(route, "path", None)
    name = getattr(route, "name", None)
    if name is None:
        endpoint = scope.get("endpoint")
        name = getattr(endpoint, "__name__", None)
    return {"route": path, "controller": name}


class SqlCommenterMiddleware:
    """Sets framework/route/controller/action for the code that handles each request."""

    def __init__(self, app: ASGIApp, framework: str | None = None) -> None:
        """`framework`: the value of the `framework` key (default: detected per request)."""
        self.app = app
        self.framework = framework

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        ctx = RequestContext(
            {
                "framework": self.framework or _framework(type(scope.get("app")).__module__),
                "action": scope.get("method"),
            },
            lambda: _resolve(scope),
        )
        token = set_request(ctx)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_request(token)
