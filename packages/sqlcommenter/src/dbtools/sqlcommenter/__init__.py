"""sqlcommenter-spec comments on SQL, tied to the current OpenTelemetry span.

Pure pieces: `comment()`, `parse()`, `serialize()`. Integrations live in submodules:
`dbtools.sqlcommenter.sqlalchemy`, `.psycopg`, `.dbapi`; request keys come from the middlewares
in `.wsgi` (and `.flask`), `.asgi` and `.django`.
"""

from __future__ import annotations

from .context import RequestContext, current_request, request_context, tagged
from .core import Commenter, Options, comment
from .errors import ConfigurationError, SqlCommenterError
from .parser import SqlComment, TraceContext, parse, parse_traceparent
from .serializer import serialize

__version__ = "0.1.0"

__all__ = [
    "Commenter",
    "ConfigurationError",
    "Options",
    "RequestContext",
    "SqlComment",
    "SqlCommenterError",
    "TraceContext",
    "__version__",
    "comment",
    "current_request",
    "parse",
    "parse_traceparent",
    "request_context",
    "serialize",
    "tagged",
]
