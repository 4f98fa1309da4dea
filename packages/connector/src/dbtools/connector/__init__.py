"""dbtools-connector: an IAM-authenticated Cloud SQL connector."""

from __future__ import annotations

from .connector import Connector, create_async_connector
from .errors import (
    AdminAPIError,
    ClosedConnectorError,
    ConfigurationError,
    ConnectError,
    ConnectorError,
    ConnectTimeoutError,
    CredentialsError,
    DriverNotInstalledError,
    ExpiredCertificateError,
    IAMAuthNotSupportedError,
    IncompatibleDriverError,
    InstanceNotFoundError,
    InvalidInstanceNameError,
    IPTypeNotFoundError,
    QuotaExceededError,
    RegionMismatchError,
    ServerIdentityError,
    UnsupportedDriverError,
)
from .listener import LocalListener
from .options import IPType, RefreshStrategy
from .version import __version__

__all__ = [
    "AdminAPIError",
    "ClosedConnectorError",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeoutError",
    "Connector",
    "ConnectorError",
    "CredentialsError",
    "DriverNotInstalledError",
    "ExpiredCertificateError",
    "IAMAuthNotSupportedError",
    "IPType",
    "IPTypeNotFoundError",
    "IncompatibleDriverError",
    "InstanceNotFoundError",
    "InvalidInstanceNameError",
    "LocalListener",
    "QuotaExceededError",
    "RefreshStrategy",
    "RegionMismatchError",
    "ServerIdentityError",
    "UnsupportedDriverError",
    "__version__",
    "create_async_connector",
]
