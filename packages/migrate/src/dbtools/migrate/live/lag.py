"""How far behind the target is, and how fast changes are applied (pure: no I/O)."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from . import positions
from .checkpoint import State

RATE_WINDOW = 5.0  # seconds of commits the events/s figure averages over


class Progress:
    def __init__(self, engine: str, clock: Any = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self.commits: deque[tuple[float, int]] = deque()  # (when, events total after it)
        self.started = clock()

    def committed(self, state: State) -> None:
        self.commits.append((self.clock(), state.events))
        self._prune()

    def _prune(self) -> None:
        # keep one record older than the window: the base the rate is measured from
        start = self.clock() - RATE_WINDOW
        while len(self.commits) > 1 and self.commits[1][0] <= start:
            self.commits.popleft()

    def rate(self) -> float:
        """Events applied per second over the last RATE_WINDOW seconds."""
        self._prune()
        if len(self.commits) < 2:
            return 0.0
        (t0, e0), (_t1, e1) = self.commits[0], self.commits[-1]
        return (e1 - e0) / max(self.clock() - t0, 1e-6)

    def status(self, state: State, head: str | None, pending: int) -> dict[str, Any]:
        """One status record: where the target is, how far behind the source's head."""
        behind = positions.distance(self.engine, state.position, head) if head else None
        caught_up = behind == 0 and pending == 0
        if caught_up:
            lag = 0.0
        elif state.source_time:
            lag = max(0.0, self.clock() - state.source_time)
        else:
            lag = None
        return {
            "event": "status",
            "at": round(self.clock(), 3),  # seconds since the epoch
            "phase": state.phase,
            "position": state.position,
            "source_head": head,
            "bytes_behind": behind,
            "events_pending": pending,
            "lag_seconds": None if lag is None else round(lag, 3),
            "events_applied": state.events,
            "events_per_second": round(self.rate(), 1),
            "tables": state.per_table,
        }


def render(status: dict[str, Any]) -> str:
    """The one-line terminal form of a status record."""
    lag = status["lag_seconds"]
    tables = ", ".join(
        f"{t} +{c.get('insert', 0)} ~{c.get('update', 0)} -{c.get('delete', 0)}"
        for t, c in sorted(status["tables"].items())
    )
    behind = status["bytes_behind"]
    return (
        f"{status['phase']} at {status['position']}: lag "
        f"{'?' if lag is None else f'{lag:.1f}s'}, "
        f"{'?' if behind is None else behind} bytes and {status['events_pending']} events behind, "
        f"{status['events_applied']} applied ({status['events_per_second']:.0f}/s)"
        + (f" [{tables}]" if tables else "")
    )
