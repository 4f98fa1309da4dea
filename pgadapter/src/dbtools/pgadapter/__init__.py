"""PostgreSQL wire-protocol server in front of a Cloud Spanner PostgreSQL-dialect database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError, PgAdapterError, PgError, ProtocolError
from .version import __version__

if TYPE_CHECKING:
    from .server import Proxy, ProxyConfig, ProxyServer, serve


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


def __getattr__(name: str) -> Any:
    # the server pulls in the Spanner client (seconds of imports): load it on first use only,
    # so that `pgadapter --help` and the pure modules stay quick
    if name in ("Proxy", "ProxyConfig", "ProxyServer", "serve"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
