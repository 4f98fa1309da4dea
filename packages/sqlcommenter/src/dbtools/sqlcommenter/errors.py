"""The package's exception hierarchy.

Only configuration mistakes raise: building a comment for a statement never raises into the
application (on any internal error the statement goes out unchanged).
"""

from __future__ import annotations


class SqlCommenterError(Exception):
    """Base class of every error this package raises."""


class ConfigurationError(SqlCommenterError, ValueError):
    """An option was given a value it does not accept; the message names the allowed values."""
