"""The one exception hierarchy of dbtools.pgadapter.

`PgError` carries everything a PostgreSQL ErrorResponse needs (SQLSTATE, message, detail, hint),
so that any layer can raise it and the connection layer turns it into wire bytes unchanged.
"""

from __future__ import annotations


class PgAdapterError(Exception):
    """Base class of every error raised by dbtools.pgadapter."""


class ConfigError(PgAdapterError):
    """The proxy was started with options that cannot work (bad port, missing credentials...)."""


class PgError(PgAdapterError):
    """An error reported to the PostgreSQL client as an ErrorResponse."""

    def __init__(
        self,
        message: str,
        sqlstate: str = "XX000",
        *,
        detail: str | None = None,
        hint: str | None = None,
        severity: str = "ERROR",
        position: int | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint
        self.severity = severity
        self.position = position
        self.where = where  # the CONTEXT line, e.g. "COPY t, line 3, column id"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.sqlstate}: {self.message})"

    def __reduce__(self) -> tuple[object, ...]:
        # pickled whole (errors come back from text_workers' processes): the subclasses'
        # constructors take other arguments than Exception.args
        return (_restore, (type(self), self.message, dict(self.__dict__)))


def _restore(cls: type[PgError], message: str, state: dict[str, object]) -> PgError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ProtocolError(PgError):
    """The client broke the wire protocol; the connection is closed after reporting it."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message, "08P01", detail=detail, severity="FATAL")


class QueryCanceled(PgError):
    """The running statement was cancelled by a CancelRequest."""

    def __init__(self) -> None:
        super().__init__("canceling statement due to user request", "57014")


class FeatureNotSupported(PgError):
    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, "0A000", hint=hint)
