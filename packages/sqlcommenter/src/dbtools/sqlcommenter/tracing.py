"""Trace keys from the current OpenTelemetry span.

The default path formats `traceparent` straight from the SpanContext (what the W3C propagator
would write, minus its dict and context plumbing); a user-given propagator is honoured instead
when one is configured.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import get_current_span

__all__ = ["TRACE_MODES", "trace_headers", "traceparent_from_span"]

TRACE_MODES = ("always", "sampled", "never")


def traceparent_from_span(sampled_only: bool) -> tuple[str, str] | None:
    """(traceparent, tracestate header) of the current span, or None when there is none to give.

    `sampled_only` leaves out spans whose sampled flag is off. The flags byte is written as is.
    """
    ctx = get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    flags = ctx.trace_flags
    if sampled_only and not flags & 0x01:
        return None
    state = ctx.trace_state
    return (
        f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{flags:02x}",
        state.to_header() if state else "",
    )


def trace_headers(propagator: Any, sampled_only: bool) -> dict[str, str] | None:
    """What `propagator` injects for the current context (e.g. `b3`), under the same rules."""
    ctx = get_current_span().get_span_context()
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
