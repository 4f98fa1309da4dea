"""`parse()`: turn a commented statement back into its key/values and trace context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexer import find_comments
from .serializer import decode

__all__ = ["SqlComment", "TraceContext", "parse", "parse_traceparent"]

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")


@dataclass(frozen=True)
class TraceContext:
    """The W3C trace context carried by `traceparent` (and `tracestate`) in a comment."""

    version: int
    trace_id: int
    span_id: int
    trace_flags: int
    trace_state: tuple[tuple[str, str], ...] = ()

    @property
    def sampled(self) -> bool:
        return bool(self.trace_flags & 0x01)

    @property
    def trace_id_hex(self) -> str:
        return f"{self.trace_id:032x}"

    @property
    def span_id_hex(self) -> str:
        return f"{self.span_id:016x}"

    @property
    def traceparent(self) -> str:
        return f"{self.version:02x}-{self.trace_id:032x}-{self.span_id:016x}-{self.trace_flags:02x}"


@dataclass(frozen=True)
class SqlComment:
    """What `parse` found: the tags (all keys, decoded), the trace context if any, and where."""

    tags: dict[str, str] = field(default_factory=dict)
    trace: TraceContext | None = None
    comment: str | None = None  # the raw comment text, delimiters included
    start: int = -1
    end: int = -1


def parse_traceparent(value: str, tracestate: str | None = None) -> TraceContext | None:
    """A `TraceContext` from W3C header values, or None if `value` is not a valid traceparent.

    Any trace-flags byte is accepted (e.g. `03`: sampled plus the level-2 random-trace-id bit).
    """
    m = _TRACEPARENT.fullmatch(value.strip())
    if m is None:
        return None
    version, trace_id, span_id, flags = (int(g, 16) for g in m.group(1, 2, 3, 4))
    if version == 0xFF or trace_id == 0 or span_id == 0 or (version == 0 and m.group(5)):
        return None
    state: list[tuple[str, str]] = []
    for member in (tracestate or "").split(","):
        key, eq, val = member.strip().partition("=")
        if eq and key:
            state.append((key, val))
    return TraceContext(version, trace_id, span_id, flags, tuple(state))


def parse_body(body: str) -> dict[str, str]:
    """Key/values of one comment body (`k='v',k2='v2'`), split on `,` then on the first `=`
    as the specification says (its values are URL-encoded, so a raw `,` is no part of one).
    Malformed pairs are left out; the well-formed ones around them still count."""
    tags: dict[str, str] = {}
    for pair in body.split(","):
        key, eq, raw = pair.partition("=")
        raw = raw.strip()
        if not eq or len(raw) < 2 or raw[0] != "'" or raw[-1] != "'":
            continue
        tags[decode(key.strip())] = decode(raw[1:-1])
    return tags


def parse(sql: str, dialect: str = "generic") -> SqlComment:
    """Parse the last comment of `sql` as the specification describes.

    Returns an empty `SqlComment` (no tags, `trace=None`) when there is no comment, or when the
    last one is not a closed `/* ... */` block (a trailing `-- remark` comes after any
    sqlcommenter comment, so there is none at the end). `dialect` only matters for finding
    comments correctly (quotes, `#`, dollar quotes, nested comments).
    """
    comments = find_comments(sql, dialect)
    if not comments or not comments[-1].is_block or not comments[-1].closed:
        return SqlComment()
    last = comments[-1]
    tags = parse_body(last.body)
    trace = None
    if "traceparent" in tags:
        trace = parse_traceparent(tags["traceparent"], tags.get("tracestate"))
    return SqlComment(tags=tags, trace=trace, comment=last.text, start=last.start, end=last.end)
