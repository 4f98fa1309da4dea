"""PostgreSQL wire-protocol server in front of a Cloud Spanner PostgreSQL-dialect database."""

from __future__ import annotations

from .errors import ConfigError, PgAdapterError, PgError, ProtocolError
from .server import Proxy, ProxyConfig, ProxyServer, serve

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "PgAdapterError",
    "PgError",
    "ProtocolError",
    "Proxy",
    "ProxyConfig",
    "ProxyServer",
    "__version__",
    "serve",
]
