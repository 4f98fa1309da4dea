"""Trace keys from the current OpenTelemetry span.

The default path formats `traceparent` straight from the SpanContext (what the W3C propagator
would write, minus its dict and context plumbing); a user-given propagator is honoured instead
when one is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from opentelemetry.trace import INVALID_SPAN_CONTEXT, SpanContext, get_current_span

__all__ = [
    "TRACE_MODES",
    "current_span_context",
    "format_trace",
    "record_query_text",
    "trace_headers",
]

TRACE_MODES = ("always", "sampled", "never")


def _public_lookup() -> SpanContext:
    return get_current_span().get_span_context()


def _make_fast_lookup() -> Callable[[], SpanContext]:
    """Read the span straight from OpenTelemetry's context variable when the default
    contextvars runtime context is in use (about a third of the public call chain's cost).
    Anything unexpected (another runtime context, a future layout) uses the public API."""
    try:
        from opentelemetry import context as otel_context
        from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
        from opentelemetry.trace.propagation import _SPAN_KEY

        runtime = otel_context._RUNTIME_CONTEXT
        var = getattr(runtime, "_current_context", None)
        if type(runtime) is not ContextVarsRuntimeContext or not isinstance(var, ContextVar):
            return _public_lookup
        if var.get() is not otel_context.get_current():
            return _public_lookup
    except Exception:
        return _public_lookup
    get = var.get
    invalid = INVALID_SPAN_CONTEXT

    def lookup() -> SpanContext:
        span = get().get(_SPAN_KEY)
        return invalid if span is None else span.get_span_context()

    return lookup


current_span_context = _make_fast_lookup()


def format_trace(ctx: SpanContext) -> tuple[str, str]:
    """(traceparent, tracestate header) for a valid SpanContext; flags are written as they are
    (e.g. `03`: sampled plus the W3C level-2 random-trace-id bit)."""
    state = ctx.trace_state
    return (
        f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}",
        state.to_header() if state else "",
    )


def trace_headers(propagator: Any, sampled_only: bool) -> dict[str, str] | None:
    """What `propagator` injects for the current context (e.g. `b3`), under the same rules."""
    ctx = current_span_context()
    if not ctx.is_valid or (sampled_only and not ctx.trace_flags & 0x01):
        return None
    carrier: dict[str, str] = {}
    propagator.inject(carrier)
    return carrier or None


def record_query_text(sql: str) -> None:
    """Copy the final statement into the current span as `db.query.text` (semconv name)."""
    span = get_current_span()
    if span.is_recording():
        span.set_attribute("db.query.text", sql)
