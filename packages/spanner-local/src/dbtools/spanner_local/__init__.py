"""spanner-local: an embedded stand-in for Cloud Spanner that the official client runs against.

from dbtools import spanner_local
with spanner_local.serve() as endpoint:
    client = endpoint.client()
"""

from importlib.metadata import version as _distribution_version

from .errors import SpannerLocalError
from .server import DEFAULT_INSTANCE, DEFAULT_PROJECT, Endpoint, serve, start
from .statement_log import StatementLog, StatementRecord

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-spanner-local")

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
