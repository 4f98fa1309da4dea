"""sqlcommenter-spec comments on SQL, tied to the current OpenTelemetry span.

Pure pieces: `comment()`, `parse()`, `serialize()`. Integrations live in submodules:
`dbtools.sqlcommenter.sqlalchemy`, `.psycopg`, `.dbapi`; request keys come from the middlewares
in `.wsgi` (and `.flask`), `.asgi` and `.django`.
"""

from __future__ import annotations

from importlib.metadata import version as _distribution_version

from .context import RequestContext, current_request, request_context, tagged
from .core import Commenter, Options, comment
from .errors import ConfigurationError, SqlCommenterError
from .parser import SqlComment, TraceContext, parse, parse_traceparent
from .serializer import serialize

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-sqlcommenter")

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
