"""spanner-local: an embedded stand-in for Cloud Spanner that the official client runs against.

from dbtools import spanner_local
with spanner_local.serve() as endpoint:
    client = endpoint.client()
"""

from .errors import SpannerLocalError
from .server import DEFAULT_INSTANCE, DEFAULT_PROJECT, Endpoint, serve, start
from .statement_log import StatementLog, StatementRecord

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_INSTANCE",
    "DEFAULT_PROJECT",
    "Endpoint",
    "SpannerLocalError",
    "StatementLog",
    "StatementRecord",
    "__version__",
    "serve",
    "start",
]
