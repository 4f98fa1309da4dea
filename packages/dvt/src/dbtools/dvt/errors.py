"""One exception hierarchy for the package; every message says what to do next."""

from __future__ import annotations


class DvtError(Exception):
    """Base class of every error dvt raises on purpose."""


class ConfigError(DvtError):
    """A validation config, a flag combination or a connection entry is invalid."""


class ConnectionSpecError(ConfigError):
    """A connection URL or a named connection cannot be resolved."""


class UnsupportedEngineError(ConfigError):
    """The URL names an engine dvt has no dialect for."""


class IntrospectionError(DvtError):
    """A table, its columns or its primary key could not be read."""


class QueryError(DvtError):
    """A query sent to one of the databases failed."""


class PipelineError(DvtError):
    """A Beam pipeline did not finish (the runner's log, or Dataflow's job page, has the
    workers' tracebacks)."""


class ConnectError(QueryError):
    """A database could not be reached or refused the login: nothing on it can be validated."""
