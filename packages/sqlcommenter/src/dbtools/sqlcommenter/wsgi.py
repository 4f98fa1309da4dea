"""WSGI middleware: request keys for every statement issued while a request is handled.

>>> app.wsgi_app = SqlCommenterMiddleware(app.wsgi_app, framework="myframework:1.0")

Plain WSGI knows no route template, so `route` comes from `resolve(environ)` when you give one
(never the raw path: it would make every URL a different statement). Flask users want
`dbtools.sqlcommenter.flask.init_app`, which knows Flask's routes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .context import RequestContext, reset_request, set_request

__all__ = ["SqlCommenterMiddleware"]

Resolver = Callable[[], Mapping[str, str | None] | None]


class SqlCommenterMiddleware:
    """Sets framework/route/controller/action for the duration of each WSGI call."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        framework: str = "wsgi",
        resolve: Callable[[dict[str, Any]], Mapping[str, str | None] | None] | None = None,
    ) -> None:
        self.app = app
        self.framework = framework
        self.resolve = resolve

    def _context(self, environ: dict[str, Any]) -> RequestContext:
        resolver: Resolver | None = None
        if self.resolve is not None:
            resolve = self.resolve

            def resolver() -> Mapping[str, str | None] | None:
                return resolve(environ)

        tags = {"framework": self.framework, "action": environ.get("REQUEST_METHOD")}
        return RequestContext(tags, resolver)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        token = set_request(self._context(environ))
        try:
            return self.app(environ, start_response)
        finally:
            reset_request(token)
