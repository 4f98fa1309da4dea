"""Flask: framework, route (the URL rule), controller (the endpoint) and action (HTTP method).

>>> from dbtools.sqlcommenter.flask import init_app
>>> init_app(app)
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from .wsgi import SqlCommenterMiddleware

__all__ = ["init_app"]


def _resolve(environ: dict[str, Any]) -> Mapping[str, str | None] | None:
    from flask import has_request_context, request

    if not has_request_context():
        return None
    rule = request.url_rule
    return {"route": rule.rule if rule else None, "controller": request.endpoint}


def init_app(app: Any) -> Any:
    """Wrap `app.wsgi_app` (idempotent); returns `app`."""
    if not isinstance(app.wsgi_app, SqlCommenterMiddleware):
        app.wsgi_app = SqlCommenterMiddleware(
            app.wsgi_app, framework=f"flask:{version('flask')}", resolve=_resolve
        )
    return app
