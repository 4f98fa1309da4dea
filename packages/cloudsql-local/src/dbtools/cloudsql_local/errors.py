"""The one exception hierarchy of cloudsql-local."""

from __future__ import annotations


class CloudSqlLocalError(Exception):
    """Base class for every error cloudsql-local raises itself."""


class ConfigError(CloudSqlLocalError):
    """The configuration (in code or in a TOML file) is invalid."""


class AddressInUseError(CloudSqlLocalError):
    """An instance's proxy address (ip:3307) is already taken by another process."""


class UnknownInstanceError(CloudSqlLocalError, KeyError):
    """A connection name that the running emulator does not serve."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
