"""cloudsql-local: a local stand-in for Cloud SQL (Admin API + mTLS proxy on :3307).

from dbtools import cloudsql_local
config = cloudsql_local.Config(instances=[cloudsql_local.Instance("p:r:i")])
with cloudsql_local.serve(config) as emu:
    ...  # Connector(sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials())
"""

from __future__ import annotations

from importlib.metadata import version as _distribution_version

from .admin import AdminCall
from .config import (
    SCOPE_CLOUD_PLATFORM,
    SCOPE_SQL_ADMIN,
    SCOPE_SQL_LOGIN,
    Config,
    Instance,
    Token,
    iam_user_for,
)
from .errors import AddressInUseError, CloudSqlLocalError, ConfigError, UnknownInstanceError
from .faults import Faults
from .server import (
    Emulator,
    ServedInstance,
    random_loopback,
    remote_credentials,
    serve,
    serve_async,
)

# The one place the version is written is pyproject.toml; the installed metadata carries it.
__version__ = _distribution_version("dbtools-cloudsql-local")

__all__ = [
    "SCOPE_CLOUD_PLATFORM",
    "SCOPE_SQL_ADMIN",
    "SCOPE_SQL_LOGIN",
    "AddressInUseError",
    "AdminCall",
    "CloudSqlLocalError",
    "Config",
    "ConfigError",
    "Emulator",
    "Faults",
    "Instance",
    "ServedInstance",
    "Token",
    "UnknownInstanceError",
    "__version__",
    "iam_user_for",
    "random_loopback",
    "remote_credentials",
    "serve",
    "serve_async",
]
