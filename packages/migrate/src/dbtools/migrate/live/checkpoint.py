"""The live migration's position, kept in Spanner beside the data it describes.

One row per stream in `dbtools_live_checkpoint`: a JSON state with the phase ("backfill" or
"streaming"), the position the stream resumes from, and the counts so far. The applier writes
it in the same commit as the rows it covers, so after a kill at any instant the checkpoint and
the data agree: a restart replays from the checkpoint, and every replayed change is idempotent
(full row images written with InsertOrUpdate, deletes by key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

TABLE = "dbtools_live_checkpoint"
COLUMNS = ["stream", "state"]
DDL = {
    "google_standard_sql": (
        f"CREATE TABLE {TABLE} (stream STRING(MAX) NOT NULL, state STRING(MAX) NOT NULL) "
        "PRIMARY KEY (stream)"
    ),
    "postgresql": (
        f"CREATE TABLE {TABLE} (stream character varying NOT NULL PRIMARY KEY, "
        "state character varying NOT NULL)"
    ),
}


@dataclass
class State:
    engine: str  # "mysql" | "postgres"
    phase: str  # "backfill" (the snapshot's rows are being copied) | "streaming"
    position: str  # where the change stream resumes (a binlog FILE:POS or an LSN)
    slot: str | None = None  # PostgreSQL: the replication slot
    publication: str | None = None  # PostgreSQL: the user's publication (None: the tool's own)
    # PostgreSQL: each table's columns at the snapshot, [name, type oid, typmod, type name]:
    # what the stream's table descriptions are compared with to see a DDL change
    shapes: dict[str, list[list[Any]]] = field(default_factory=dict)
    # PostgreSQL: each table's definition at the snapshot (schema_watch), what the catalog is
    # compared with while streaming to see DDL that sends no row
    catalog: dict[str, dict[str, str]] = field(default_factory=dict)
    dialect: str = "google_standard_sql"  # the target's (cutover writes DDL in it)
    # [Spanner table, column, sequence or None] of the generated key columns: cutover moves
    # their counters past the rows the stream wrote
    counters: list[list[str | None]] = field(default_factory=list)
    events: int = 0  # row changes applied, all tables, since the start
    per_table: dict[str, dict[str, int]] = field(default_factory=dict)
    source_time: float = 0.0  # the source commit time of the last applied transaction

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> State:
        data = json.loads(text)
        return cls(**data)

    def count(self, table: str, op: str, n: int = 1) -> None:
        per = self.per_table.setdefault(table, {})
        per[op] = per.get(op, 0) + n
        self.events += n

    def copy(self) -> State:
        return State.from_json(self.to_json())


def ensure_table(database: Any, dialect: str) -> None:
    """Create the checkpoint table when it is not there yet (a fresh target)."""
    if not table_exists(database, TABLE):
        op = database.update_ddl([DDL[dialect]])
        op.result(600)


def table_exists(database: Any, name: str) -> bool:
    return name in existing_tables(database)


def existing_tables(database: Any) -> set[str]:
    """Names of the user tables of the database (both dialects: no parameters, no schema
    qualifiers that differ between them)."""
    with database.snapshot() as snap:
        rows = list(
            snap.execute_sql("SELECT table_name, table_schema FROM information_schema.tables")
        )
    return {r[0] for r in rows if r[1] in ("", "public")}


def read(database: Any, stream: str) -> State | None:
    from google.cloud.spanner_v1 import KeySet

    with database.snapshot() as snap:
        rows = list(snap.read(TABLE, COLUMNS, KeySet(keys=[[stream]])))
    return State.from_json(rows[0][1]) if rows else None


def write(batch: Any, stream: str, state: State) -> None:
    """Add the checkpoint row to `batch` (the commit that carries the data)."""
    batch.insert_or_update(TABLE, COLUMNS, [[stream, state.to_json()]])
