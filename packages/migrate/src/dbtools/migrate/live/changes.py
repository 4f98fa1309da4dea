"""The change records the capture modules produce and the applier consumes (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RowChange:
    """One row changed by a source transaction. `before` is the old image (updates, deletes),
    `after` the new one (inserts, updates), each by source column name."""

    table: str  # source table name, as the migration's plans know it
    op: str  # "insert" | "update" | "delete"
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Truncate:
    table: str


@dataclass
class Commit:
    """The end of a source transaction: after it, the stream may resume at `position`."""

    position: str
    source_time: float  # the source's commit time (seconds since the epoch)


@dataclass
class Idle:
    """Nothing to apply for now; the stream's read position is `position` (a heartbeat or
    a transaction on other tables), safe to checkpoint."""

    position: str | None = None


@dataclass
class SchemaChange:
    """A DDL statement on a migrated table: the stream stops before it."""

    statement: str
    position: str  # where the stream stopped: the last commit before the DDL
    tables: list[str] = field(default_factory=list)


Event = RowChange | Truncate | Commit | Idle | SchemaChange
