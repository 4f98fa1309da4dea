"""The one exception hierarchy of dbtools-connector.

Every error says what went wrong and what to do about it. Errors that callers commonly catch by
a standard type also derive from it (a connect timeout is a ``TimeoutError``, a server identity
failure is an ``ssl.SSLCertVerificationError``) so generic retry code keeps working.
"""

from __future__ import annotations

import ssl


class ConnectorError(Exception):
    """Base class of every error raised by dbtools-connector."""


class ConfigurationError(ConnectorError, ValueError):
    """An option or argument is invalid."""


class InvalidInstanceNameError(ConfigurationError):
    """The instance connection name is not ``project:region:instance``."""


class ClosedConnectorError(ConnectorError):
    """The connector was closed and refuses new connections."""


class UnsupportedDriverError(ConfigurationError):
    """The driver name is not one this connector knows."""


class DriverNotInstalledError(ConnectorError, ImportError):
    """The driver is known but its package is not installed."""


class IncompatibleDriverError(ConnectorError):
    """The driver speaks another database engine than the instance runs."""


class AdminAPIError(ConnectorError):
    """The Cloud SQL Admin API answered with an error."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class QuotaExceededError(AdminAPIError):
    """The Admin API refused the call with HTTP 429 (quota or rate limit)."""

    def __init__(
        self, message: str, *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status, reason="RESOURCE_EXHAUSTED")
        self.retry_after = retry_after


class ExpiredCertificateError(AdminAPIError):
    """The Admin API issued a client certificate that had already expired (a clock problem
    here or there); raised before any connection is attempted."""


class InstanceNotFoundError(AdminAPIError):
    """The instance does not exist, or the credentials may not see it."""


class RegionMismatchError(ConnectorError):
    """The region in the connection name is not the instance's region."""


class IAMAuthNotSupportedError(ConnectorError):
    """Automatic IAM database authentication was asked for an engine that lacks it."""


class CredentialsError(ConnectorError):
    """The credentials could not produce a valid access token (expired, revoked, missing)."""


class IPTypeNotFoundError(ConnectorError):
    """The instance has no address of the requested IP type."""


class ServerIdentityError(ConnectorError, ssl.SSLCertVerificationError):
    """The server presented a certificate that was not issued for the expected instance."""

    def __str__(self) -> str:  # SSLError's own would print the args tuple
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class ConnectTimeoutError(ConnectorError, TimeoutError):
    """A connect did not finish within its deadline."""


class ConnectError(ConnectorError, OSError):
    """The TCP or TLS connection to the instance failed."""
