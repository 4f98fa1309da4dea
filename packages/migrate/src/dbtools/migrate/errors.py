"""One exception hierarchy for the package; every message says what was wrong and what to do."""

from __future__ import annotations


class MigrateError(Exception):
    """Base class of every error raised by dbtools.migrate."""


class SourceError(MigrateError):
    """The source (dump file or live database) could not be read."""


class SessionError(MigrateError):
    """A session file is malformed or belongs to another source/version."""


class ApplyError(MigrateError):
    """Spanner rejected or could not be reached while creating the schema."""


class DataError(MigrateError):
    """The data load cannot go on (Spanner unreachable, checkpoint of another run, ...)."""
