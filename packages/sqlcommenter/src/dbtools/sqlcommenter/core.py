"""The comment builder: options, the pure `comment()` function and the per-connection
`Commenter` that integrations call for every statement.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .context import _BLOCK, _REQUEST
from .errors import ConfigurationError
from .lexer import dialect_family, insert_position
from .serializer import encode, serialize, serialize_pair
from .tracing import (
    TRACE_MODES,
    current_span_context,
    format_trace,
    record_query_text,
    trace_headers,
)

__all__ = ["Commenter", "Options", "comment"]

logger = logging.getLogger("dbtools.sqlcommenter")

Position = Literal["append", "prepend"]
TraceMode = Literal["always", "sampled", "never"]
_POSITIONS = ("append", "prepend")
_PERCENT_STYLES = frozenset({"format", "pyformat"})
_POSITIONS_MAX = 2048  # distinct statements whose comment position is remembered per commenter
_CACHEABLE_LEN = 4096  # longer statements (bulk inserts with inline values) are not remembered


@dataclass(frozen=True)
class Options:
    """Everything a user can choose. Integrations accept the same names as keyword arguments.

    position: "append" (default, as the spec and OpenTelemetry say) puts the comment after the
        last statement, before a trailing `;`; "prepend" puts it first (survives truncated logs).
    trace: "always" adds traceparent/tracestate whenever a valid span is current; "sampled" only
        when that span is sampled; "never" leaves them out.
    stable: leave out per-request values (traceparent, tracestate) so the statement text stays
        the same across calls; for drivers that prepare or cache statements by their text.
    propagator: an OpenTelemetry TextMapPropagator whose injected headers become the trace keys
        (e.g. B3); by default traceparent/tracestate are formatted directly (W3C).
    application: value of the `application` key (None: no key).
    tags: extra static keys added to every statement.
    db_driver / db_framework: add those keys (driver and ORM name:version).
    request_tags: add framework/route/controller/action set by the middlewares.
    record_query_text: copy the final statement into the current span as `db.query.text`.
    dialect: lexer to use ("postgresql", "mysql", "sqlite", "generic"); integrations fill it in.
    """

    position: Position = "append"
    trace: TraceMode = "always"
    stable: bool = False
    propagator: Any = None
    application: str | None = None
    tags: Mapping[str, object] = field(default_factory=dict)
    db_driver: bool = True
    db_framework: bool = True
    request_tags: bool = True
    record_query_text: bool = False
    dialect: str | None = None

    def __post_init__(self) -> None:
        if self.position not in _POSITIONS:
            raise ConfigurationError(
                f"position={self.position!r} is not supported: use 'append' or 'prepend'"
            )
        if self.trace not in TRACE_MODES:
            raise ConfigurationError(
                f"trace={self.trace!r} is not supported: use 'always', 'sampled' or 'never'"
            )
        if self.propagator is not None and not callable(getattr(self.propagator, "inject", None)):
            raise ConfigurationError(
                "propagator must be an OpenTelemetry TextMapPropagator (an object with .inject())"
            )
        if not isinstance(self.tags, Mapping):
            raise ConfigurationError("tags must be a mapping of key to value")


def make_options(options: Options | None = None, **kwargs: Any) -> Options:
    """`options`, with any keyword arguments replacing its fields; unknown names are an error."""
    base = options or Options()
    if not kwargs:
        return base
    known = set(Options.__dataclass_fields__)
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(known))}"
        )
    values = {name: getattr(base, name) for name in known}
    values.update(kwargs)
    return Options(**values)


def _affix(sql: str, pos: int, body: str, position: str) -> str:
    if position == "append":
        return f"{sql[:pos]} /*{body}*/{sql[pos:]}"
    return f"/*{body}*/ {sql}"


def comment(
    sql: str,
    tags: Mapping[str, object],
    *,
    position: Position = "append",
    dialect: str | None = None,
    escape_percent: bool = False,
) -> str:
    """`sql` with a spec comment holding `tags`, or `sql` unchanged when it already has a comment,
    is empty, or `tags` serialize to nothing. Never raises on bad input: returns `sql` as is.

    escape_percent doubles `%` in the comment, for drivers with format/pyformat paramstyle that
    are given parameters (they would otherwise read `%2F` as a placeholder).
    """
    try:
        pos = insert_position(sql, dialect_family(dialect))
        if pos < 0:
            return sql
        body = serialize(tags)
        if not body:
            return sql
        if escape_percent:
            body = body.replace("%", "%%")
        return _affix(sql, pos, body, position)
    except Exception:
        logger.debug("sqlcommenter: could not comment a statement; sent unchanged", exc_info=True)
        return sql


class Commenter:
    """Adds comments for one engine or connection; built once, called for every statement.

    The static keys are serialized once; a statement with only trace keys on top costs one
    f-string. Calling it never raises: on any internal error the statement is returned as is.
    """

    def __init__(
        self,
        options: Options,
        *,
        static_tags: Mapping[str, object] | None = None,
        paramstyle: str | None = None,
    ) -> None:
        self.options = options
        static: dict[str, object] = {}
        for key, value in (static_tags or {}).items():
            if (key == "db_driver" and not options.db_driver) or (
                key == "db_framework" and not options.db_framework
            ):
                continue
            static[key] = value
        if options.application is not None:
            static["application"] = options.application
        static.update(options.tags)
        self.static_tags: dict[str, object] = {k: v for k, v in static.items() if v is not None}
        self.family = dialect_family(options.dialect)
        self.paramstyle = paramstyle
        self._percent = paramstyle in _PERCENT_STYLES
        self._append = options.position == "append"
        self._trace = options.trace != "never" and not options.stable
        self._sampled_only = options.trace == "sampled"
        self._propagator = options.propagator
        self._request = options.request_tags
        self._record = options.record_query_text
        self._warned = False
        # Pre-serialized static pairs, split where traceparent and tracestate sort in.
        pairs = sorted(serialize_pair(str(k), str(v)) for k, v in self.static_tags.items())
        self._static_body = ",".join(pairs)
        tp_at = bisect_left(pairs, "traceparent='")
        ts_at = bisect_left(pairs, "tracestate='")
        self._before = pairs[:tp_at]
        self._between = pairs[tp_at:ts_at]
        self._after = pairs[ts_at:]
        self._fast = not {"traceparent", "tracestate"} & self.static_tags.keys()
        # Statements repeat and a span covers many statements: remember the last answers.
        self._positions: dict[str, int] = {}
        self._last: tuple[Any, str] = (None, self._static_body)

    def __call__(
        self,
        sql: str,
        statement_tags: Mapping[str, object] | None = None,
        *,
        params_passed: bool = False,
        stable: bool = False,
    ) -> str:
        """The statement to send. `params_passed`: the driver will see parameters (so `%` must be
        doubled under format/pyformat). `stable`: leave out per-request keys for this statement.
        """
        try:
            return self._comment(sql, statement_tags, params_passed, stable)
        except Exception:
            if not self._warned:
                self._warned = True
                logger.warning(
                    "sqlcommenter: building a comment failed; statements go out unchanged",
                    exc_info=True,
                )
            return sql

    def _body_with_trace(self, span_ctx: Any) -> str:
        if span_ctx is None:
            return self._static_body
        traceparent, tracestate = format_trace(span_ctx)
        parts = [*self._before, f"traceparent='{traceparent}'", *self._between]
        if tracestate:
            parts.append(f"tracestate='{encode(tracestate)}'")
        parts.extend(self._after)
        return ",".join(parts)

    def _comment(
        self,
        sql: str,
        statement_tags: Mapping[str, object] | None,
        params_passed: bool,
        stable: bool,
    ) -> str:
        positions = self._positions
        pos = positions.get(sql)
        if pos is None:
            pos = insert_position(sql, self.family)
            if len(positions) >= _POSITIONS_MAX:
                positions.clear()
            if len(sql) <= _CACHEABLE_LEN:
                positions[sql] = pos
        if pos < 0:
            return sql
        request = _REQUEST.get() if self._request else None
        block = _BLOCK.get()
        span_ctx: Any = None
        headers: dict[str, str] | None = None
        if self._trace and not stable:
            if self._propagator is None:
                span_ctx = current_span_context()
                if not span_ctx.is_valid or (self._sampled_only and not span_ctx.trace_flags & 1):
                    span_ctx = None
            else:
                headers = trace_headers(self._propagator, self._sampled_only)
        if (
            self._fast
            and request is None
            and block is None
            and not statement_tags
            and headers is None
        ):
            last = self._last
            if last[0] is span_ctx:
                body = last[1]
            else:
                body = self._body_with_trace(span_ctx)
                self._last = (span_ctx, body)
        else:
            merged: dict[str, object] = dict(self.static_tags)
            if request is not None:
                merged.update(request.tags())
            if span_ctx is not None:
                traceparent, tracestate = format_trace(span_ctx)
                merged["traceparent"] = traceparent
                if tracestate:
                    merged["tracestate"] = tracestate
            if headers:
                merged.update(headers)
            if block:
                merged.update(block)
            if statement_tags:
                merged.update(statement_tags)
            body = serialize(merged)
        if not body:
            return sql
        if self._record:
            record_query_text(_affix(sql, pos, body, self.options.position))
        if params_passed and self._percent:
            # Only the comment is ours to escape; the application's SQL already follows the
            # driver's rules.
            body = body.replace("%", "%%")
        if self._append:
            return f"{sql[:pos]} /*{body}*/{sql[pos:]}"
        return f"/*{body}*/ {sql}"
