"""Row version history, so that reads at a past timestamp see the data as of that timestamp.

Every user table `T` has a history table `spanner_local_versions.T` with T's columns plus the
commit timestamp of a change and whether the row was absent. When a read-write transaction
commits at timestamp ts, the before-image of each row it wrote is added there (from the last
committed state, which under the commit lock is the state just before this commit): the old
row, or its key marked absent when the row did not exist. The state of T as of a timestamp R is
then: the current rows whose keys changed at no timestamp after R, plus, for the keys that did,
the before-image of their first change after R unless it is marked absent.

Schema versions: when a schema change alters a table, the rows it held just before the change
(under the old schema) are copied, and its version history up to then is kept beside them, as
an epoch of that table ending at the change. A read at a timestamp inside an epoch sees the
table as declared then: the epoch's rows rolled back by the epoch's history, exactly as the
current table is rolled back by the current history. A table created, or dropped, after the
read timestamp is refused (a dropped table's epochs are dropped with it).

A stale read runs its SQL unchanged: its cursor shadows each table with a temporary view of
that state (DuckDB resolves temporary views before tables). History older than the database's
version retention period is pruned, and reads before it fail as Spanner fails them.

Keys a transaction wrote are known for mutations and for DML that pins its keys. For other DML
the transaction copies the table (inside DuckDB) before it first writes it, and the commit
compares the copy with the result; the copy is the state before the commit because such DML
reads the whole table, so a concurrent commit to it would have aborted this one. Tables changed
by cascades, or whose copy is not usable, are compared with the committed rows fetched through
another cursor, which is slower.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb

from . import row_locks
from .catalog import Table, duckdb_ident
from .errors import DdlError, FailedPrecondition

SCHEMA = "spanner_local_versions"
TS = '"$version_ts"'
GONE = '"$version_absent"'
DEFAULT_RETENTION = dt.timedelta(hours=1)  # Spanner's default version_retention_period
BEFORE = '"$spanner_local_before"'

# schema_changed's key for the schema as a whole: never a table's name (those are identifiers).
WHOLE_SCHEMA = "*schema"


def history_table(table_name: str) -> str:
    return f"{SCHEMA}.{duckdb_ident(table_name.lower())}"


def _ts_literal(ts: dt.datetime) -> str:
    """A commit or read timestamp as a DuckDB literal (commit timestamps are microseconds)."""
    return f"TIMESTAMPTZ '{ts.astimezone(dt.timezone.utc).isoformat(sep=' ')}'"


def _typed_columns(cur: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str]]:
    cur.execute(f"SELECT * FROM {source} LIMIT 0")
    return [(duckdb_ident(d[0]), str(d[1])) for d in cur.description or []]


def _rows_relation(rows: list[tuple[Any, ...]], types: list[str]) -> tuple[str, list[Any]]:
    """Rows fetched from one cursor as a relation for another: a typed list per column,
    unnested side by side (values keep their exact DuckDB types)."""
    params = [[row[i] for row in rows] for i in range(len(types))]
    select = ", ".join(f"UNNEST(${i + 1}::{t}[]) AS c{i}" for i, t in enumerate(types))
    return f"SELECT {select}", params


def _match(key_cols: list[str], left: str, right: str) -> str:
    if not key_cols:
        return "TRUE"  # PRIMARY KEY (): at most one row
    return " AND ".join(f"{left}.{c} IS NOT DISTINCT FROM {right}.{c}" for c in key_cols)


@dataclass
class Epoch:
    """One earlier schema of a table: from `start` (its creation or previous change; None when
    it began before the history did) until the schema change at `until`."""

    start: dt.datetime | None
    until: dt.datetime
    table: Table  # the table as declared then
    rows: str  # history-schema table of its rows just before `until`
    hist: str  # history-schema table of its before-images up to `until`
    shape: list[tuple[str, str]] = field(default_factory=list)

    def covers(self, at: dt.datetime) -> bool:
        return (self.start is None or self.start <= at) and at < self.until


def _epoch_table(kind: str, table_name: str, n: int) -> str:
    return duckdb_ident(f"{table_name.lower()}${kind}${n}")


class History:
    """The version history of one database and its retention window."""

    def __init__(self, retention: dt.timedelta, opened: dt.datetime) -> None:
        if retention < dt.timedelta(0):
            raise ValueError("The version retention period must not be negative.")
        self.retention = retention
        # Nothing is known of the data before the history began (when the process opened the
        # database), nor of a table before its last schema change.
        self.since = opened
        # lower-case name -> (timestamp of its last schema change, name as declared); WHOLE_SCHEMA:
        # the last change of any kind (what information_schema and pg_catalog show)
        self.schema_changed: dict[str, tuple[dt.datetime, str]] = {}
        self._last_prune = opened
        self._lock = threading.Lock()
        # Each table's DuckDB columns (quoted name, type), by table: every schema change makes
        # new Table objects, so an entry is valid while its table is the one in the catalog.
        self._shapes: dict[str, tuple[Table, list[tuple[str, str]]]] = {}
        # lower-case name -> the table's earlier schemas, oldest first
        self.epochs: dict[str, list[Epoch]] = {}
        self._epoch_count = 0

    def _shape(self, cur: duckdb.DuckDBPyConnection, table: Table) -> list[tuple[str, str]]:
        key = table.name.lower()
        cached = self._shapes.get(key)
        if cached is not None and cached[0] is table:
            return cached[1]
        shape = _typed_columns(cur, duckdb_ident(table.name))
        self._shapes[key] = (table, shape)
        return shape

    @property
    def enabled(self) -> bool:
        return self.retention > dt.timedelta(0)

    # ------------------------------------------------------------- schema

    def create(self, cur: duckdb.DuckDBPyConnection, catalog_db: str, table: Table) -> None:
        """(Re)create the history table of `table` to match its current columns."""
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cur.execute(f"DROP TABLE IF EXISTS {history_table(table.name)}")
        real = f"{catalog_db}.main.{duckdb_ident(table.name)}"
        cur.execute(
            f"CREATE TABLE {history_table(table.name)} AS SELECT *, "
            f"NULL::TIMESTAMPTZ AS {TS}, NULL::BOOLEAN AS {GONE} FROM {real} LIMIT 0"
        )

    def drop(self, cur: duckdb.DuckDBPyConnection, table_name: str) -> None:
        cur.execute(f"DROP TABLE IF EXISTS {history_table(table_name)}")
        for epoch in self.epochs.get(table_name.lower(), []):
            self._drop_epoch(cur, epoch)

    def forget(self, table_name: str) -> None:
        """After a committed DROP TABLE: its earlier schemas are gone with it."""
        self.epochs.pop(table_name.lower(), None)

    @staticmethod
    def _drop_epoch(cur: duckdb.DuckDBPyConnection, epoch: Epoch) -> None:
        cur.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{epoch.rows}")
        cur.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{epoch.hist}")

    def retire(
        self, cur: duckdb.DuckDBPyConnection, catalog_db: str, table: Table
    ) -> tuple[str, str] | None:
        """Before a schema change alters `table`, in the DDL's transaction: keep its rows and
        its history as they are (see `add_epoch` once the change has its timestamp). None when
        no versions are kept."""
        if not self.enabled:
            return None
        self._epoch_count += 1
        n = self._epoch_count
        rows, hist = _epoch_table("rows", table.name, n), _epoch_table("hist", table.name, n)
        real = f"{catalog_db}.main.{duckdb_ident(table.name)}"
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cur.execute(f"CREATE TABLE {SCHEMA}.{rows} AS SELECT * FROM {real}")
        cur.execute(f"ALTER TABLE {history_table(table.name)} RENAME TO {hist}")
        return rows, hist

    def add_epoch(
        self,
        cur: duckdb.DuckDBPyConnection,
        table: Table,
        kept: tuple[str, str],
        until: dt.datetime,
    ) -> None:
        """Record the schema of `table` that the change at `until` ended (its tables `kept`
        by `retire`)."""
        key = table.name.lower()
        start = self.schema_changed.get(key, (None, ""))[0]
        rows, hist = kept
        shape = _typed_columns(cur, f"{SCHEMA}.{rows}")
        self.epochs.setdefault(key, []).append(Epoch(start, until, table, rows, hist, shape))

    def epoch_at(self, table_name: str, at: dt.datetime) -> Epoch | None:
        """The earlier schema of a table in force at `at`, or None when it is the current one
        (or none is known)."""
        for epoch in self.epochs.get(table_name.lower(), []):
            if epoch.covers(at):
                return epoch
        return None

    # ------------------------------------------------------------- writes

    def record(
        self,
        committed: duckdb.DuckDBPyConnection,
        cur: duckdb.DuckDBPyConnection,
        tables: dict[str, Table],
        writes: row_locks.AccessSet,
        ts: dt.datetime,
        snapshots: dict[str, str] | None = None,
    ) -> None:
        """Add the before-images of what `writes` covers, in the committing transaction `cur`.

        `committed` is an autocommit cursor: it sees the state before this commit. `snapshots`
        maps tables to temporary tables of `cur` that hold that same state.
        """
        if not self.enabled:
            return
        whole = set(tables) if "*" in writes.tables else writes.tables
        for name in sorted(writes.names() - {"*"} | whole):
            table = tables.get(name)
            if table is None:
                continue
            if name in whole or name not in writes.keys:
                self._record_diff(committed, cur, table, ts, (snapshots or {}).get(name))
            else:
                self._record_keys(committed, cur, table, writes.keys[name], ts)

    def _record_keys(
        self,
        committed: duckdb.DuckDBPyConnection,
        cur: duckdb.DuckDBPyConnection,
        table: Table,
        keys: set[row_locks.Key],
        ts: dt.datetime,
    ) -> None:
        if not keys:
            return
        real = duckdb_ident(table.name)
        shape = self._shape(committed, table)
        cols = [name for name, _ in shape]
        key_cols = [duckdb_ident(c.name) for c in table.key_columns]
        if not key_cols:
            self._record_diff(committed, cur, table, ts)
            return
        key_types = [c.stype.duckdb() for c in table.key_columns]
        params = [[k[i] for k in keys] for i in range(len(key_cols))]
        unnest = ", ".join(
            f"UNNEST(${i + 1}::{t}[]) AS {c}"
            for i, (c, t) in enumerate(zip(key_cols, key_types, strict=True))
        )
        try:
            # Only rows that existed travel between the cursors (none for new keys).
            before = committed.execute(
                f"SELECT t.* FROM {real} AS t JOIN (SELECT {unnest}) AS k "
                f"ON {_match(key_cols, 't', 'k')}",
                params,
            ).fetchall()
        except duckdb.Error:
            # A key value that does not convert to its column's type (a pinned DML key given
            # as an untyped parameter): compare the whole table instead, which is exact too.
            self._record_diff(committed, cur, table, ts)
            return
        stamp = _ts_literal(ts)
        hist = history_table(table.name)
        if before:
            rel, args = _rows_relation(before, [t for _, t in shape])
            cur.execute(
                f"INSERT INTO {hist} SELECT {', '.join(f'c{i}' for i in range(len(cols)))}, "
                f"{stamp}, FALSE FROM ({rel})",
                args,
            )
        if len(before) == len(keys):
            return
        # The other keys were absent before this commit.
        absent = ", ".join(f"k.{c}" if c in key_cols else "NULL" for c in cols)
        insert = f"INSERT INTO {hist} SELECT {absent}, {stamp}, TRUE FROM (SELECT {unnest}) AS k"
        if not before:  # all of them (new keys: the bulk-load case)
            cur.execute(insert, params)
            return
        positions = [cols.index(c) for c in key_cols]
        found = [[row[i] for row in before] for i in positions]
        n = len(key_cols)
        found_unnest = ", ".join(
            f"UNNEST(${n + i + 1}::{t}[]) AS {c}"
            for i, (c, t) in enumerate(zip(key_cols, key_types, strict=True))
        )
        cur.execute(
            f"{insert} WHERE NOT EXISTS (SELECT 1 FROM (SELECT {found_unnest}) AS e "
            f"WHERE {_match(key_cols, 'e', 'k')})",
            params + found,
        )

    def _record_diff(
        self,
        committed: duckdb.DuckDBPyConnection,
        cur: duckdb.DuckDBPyConnection,
        table: Table,
        ts: dt.datetime,
        snapshot: str | None = None,
    ) -> None:
        """Before-images by comparing the table before and after: `snapshot` is a temporary
        table of `cur` holding the state before (see `snapshot`), else the committed rows are
        fetched through `committed`."""
        real = duckdb_ident(table.name)
        typed = self._shape(committed, table)
        cols = [name for name, _ in typed]
        args: list[Any] = []
        if snapshot is not None:
            old = snapshot
        else:
            before = committed.execute(f"SELECT * FROM {real}").fetchall()
            if before:
                rel, args = _rows_relation(before, [t for _, t in typed])
                renamed = ", ".join(f"c{i} AS {c}" for i, c in enumerate(cols))
                old = f"(SELECT {renamed} FROM ({rel}))"
            else:
                old = f"(SELECT * FROM {real} WHERE FALSE)"
        key_cols = [duckdb_ident(c.name) for c in table.key_columns]
        col_list = ", ".join(cols)
        stamp = _ts_literal(ts)
        old_row = ", ".join(f"b.{c}" for c in cols)
        new_row = ", ".join(f"n.{c}" for c in cols)
        # Rows changed or deleted: their old image. Rows inserted: their key, absent.
        cur.execute(
            f"INSERT INTO {history_table(table.name)} SELECT {old_row}, {stamp}, FALSE "
            f"FROM {old} AS b LEFT JOIN (SELECT {col_list}, TRUE AS {BEFORE} FROM {real}) AS n "
            f"ON {_match(key_cols, 'b', 'n')} "
            f"WHERE n.{BEFORE} IS NULL OR ({old_row}) IS DISTINCT FROM ({new_row})",
            args,
        )
        absent = ", ".join(f"n.{c}" if c in key_cols else "NULL" for c in cols)
        cur.execute(
            f"INSERT INTO {history_table(table.name)} SELECT {absent}, {stamp}, TRUE "
            f"FROM {real} AS n WHERE NOT EXISTS "
            f"(SELECT 1 FROM {old} AS b WHERE {_match(key_cols, 'b', 'n')})",
            args,
        )

    def snapshot(self, cur: duckdb.DuckDBPyConnection, table: Table, n: int) -> str | None:
        """Copy `table` as `cur`'s transaction sees it into a temporary table, before a write
        that does not pin its keys: the commit compares against it inside DuckDB, far faster
        than fetching the committed rows. None when no versions are kept."""
        if not self.enabled:
            return None
        name = f'"$spanner_local_before_{n}"'
        cur.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM main.{duckdb_ident(table.name)}")
        return name

    def prune(self, cur: duckdb.DuckDBPyConnection, tables: list[str], now: dt.datetime) -> None:
        """Drop versions older than the retention period (at most every tenth of it).

        `cur` is an autocommit cursor: the deletions commit on their own, so they never make a
        transaction conflict, and read-only snapshots already open keep seeing what they need.
        """
        with self._lock:
            if now - self._last_prune < self.retention / 10:
                return
            self._last_prune = now
        cutoff = _ts_literal(now - self.retention)
        for name in tables:
            cur.execute(f"DELETE FROM {history_table(name)} WHERE {TS} < {cutoff}")
        oldest = now - self.retention
        for key, epochs in list(self.epochs.items()):
            expired = [e for e in epochs if e.until < oldest]
            if expired:  # replaced, not edited: readers may be going through the list
                self.epochs[key] = [e for e in epochs if e.until >= oldest]
                for epoch in expired:
                    self._drop_epoch(cur, epoch)

    # ------------------------------------------------------------- reads

    def check(self, at: dt.datetime, now: dt.datetime, tables: list[str], age: bool = True) -> None:
        """Fail as Spanner does when `at` is older than the retention period, and say so when
        the versions a read at `at` needs are not kept."""
        if age and at < now - self.retention:
            raise FailedPrecondition(
                f"Read-only transaction timestamp {at.isoformat()} has exceeded the maximum "
                f"timestamp staleness (the version retention period is {format_period(self.retention)})."
            )
        if at < self.since:
            raise FailedPrecondition(
                f"spanner-local has no versions of this database from before "
                f"{self.since.isoformat()} (when it was opened); the read timestamp is "
                f"{at.isoformat()}."
            )
        for key in tables:
            changed, name = self.schema_changed.get(key.lower(), (None, key))
            if changed is not None and at < changed and key == WHOLE_SCHEMA:
                raise FailedPrecondition(
                    f"spanner-local keeps only the current schema: it changed at "
                    f"{changed.isoformat()}, after the read timestamp {at.isoformat()}, so "
                    "information_schema and pg_catalog cannot be read as of then."
                )
            if changed is not None and at < changed and self.epoch_at(key, at) is None:
                raise FailedPrecondition(
                    f"Table {name} did not exist at the read timestamp {at.isoformat()}: it was "
                    f"created or dropped at or before {changed.isoformat()} (spanner-local keeps "
                    "the earlier schemas of altered tables, not of created or dropped ones)."
                )

    def shadow(
        self,
        cur: duckdb.DuckDBPyConnection,
        catalog_db: str,
        tables: list[Table],
        at: dt.datetime,
    ) -> None:
        """Make `cur` (inside a transaction) see every table as of `at`."""
        # the client's DatetimeWithNanoseconds carries nanoseconds DuckDB cannot hold
        stamp = _ts_literal(at.replace(nanosecond=0) if hasattr(at, "nanosecond") else at)  # type: ignore[call-arg]
        for current in tables:
            epoch = self.epoch_at(current.name, at)
            if epoch is None:
                table = current
                real = f"{catalog_db}.main.{duckdb_ident(table.name)}"
                hist = f"{catalog_db}.{history_table(table.name)}"
                cols = [name for name, _ in self._shape(cur, table)]
            else:  # the table as declared then
                table = epoch.table
                real = f"{catalog_db}.{SCHEMA}.{epoch.rows}"
                hist = f"{catalog_db}.{SCHEMA}.{epoch.hist}"
                cols = [name for name, _ in epoch.shape]
            col_list = ", ".join(cols)
            key_cols = [duckdb_ident(c.name) for c in table.key_columns]
            partition = f"PARTITION BY {', '.join(key_cols)} " if key_cols else ""
            cur.execute(
                f"CREATE TEMP VIEW {duckdb_ident(table.name)} AS "
                f"SELECT {col_list} FROM {real} AS cur WHERE NOT EXISTS "
                f"(SELECT 1 FROM {hist} AS h WHERE h.{TS} > {stamp} "
                f"AND {_match(key_cols, 'h', 'cur')}) "
                f"UNION ALL SELECT {col_list} FROM (SELECT *, row_number() OVER "
                f'({partition}ORDER BY {TS}) AS "$first" FROM {hist} WHERE {TS} > {stamp}) '
                f'WHERE "$first" = 1 AND NOT {GONE}'
            )


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_period(text: str) -> dt.timedelta:
    """A retention period as Spanner spells it ("1h", "90m", "7d", "3600s"; "0" for none),
    fractions of a second allowed ("0.5s")."""
    t = text.strip().lower()
    unit = t[-1:] if t[-1:] in _UNITS else ""
    number = t[: len(t) - len(unit)]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(
            f"Invalid retention period {text!r}: expected a number with a unit s, m, h or d "
            "(e.g. 1h, 90s)."
        ) from None
    if value < 0 or value != value or (value and not unit):
        raise ValueError(
            f"Invalid retention period {text!r}: it must be 0 or a positive number with a unit "
            "s, m, h or d."
        )
    try:
        return dt.timedelta(seconds=value * _UNITS.get(unit, 1))
    except OverflowError:
        raise ValueError(f"Invalid retention period {text!r}: too long.") from None


# The database option that sets the period in DDL (GoogleSQL, PostgreSQL), and Spanner's bounds.
RETENTION_OPTIONS = ("version_retention_period", "spanner.version_retention_period")
OPTION_RANGE = (dt.timedelta(hours=1), dt.timedelta(days=7))


def retention_option(options: dict[str, str]) -> dt.timedelta | None:
    """The retention period an ALTER DATABASE sets (None when it sets none; NULL restores
    Spanner's default). Outside 1 hour to 7 days it is refused, as Spanner refuses it."""
    lowered = {k.lower(): v for k, v in options.items()}
    raw = next((lowered[k] for k in RETENTION_OPTIONS if k in lowered), None)
    if raw is None:
        return None
    text = raw.strip()
    if text.lower() == "null":
        return DEFAULT_RETENTION
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    try:
        period = parse_period(text)
    except ValueError as exc:
        raise DdlError(f"Invalid version_retention_period: {text}. {exc}") from None
    low, high = OPTION_RANGE
    if not low <= period <= high:
        raise DdlError(
            f"Invalid version_retention_period: {text}. It must be between 1h and 7d "
            "(spanner-local's --version-retention sets other periods for a whole server)."
        )
    return period


def format_period(retention: dt.timedelta) -> str:
    """A retention period as Spanner spells it in `version_retention_period`."""
    seconds = retention.total_seconds()
    if seconds and seconds % 3600 == 0:
        return f"{int(seconds) // 3600}h"
    return f"{seconds:g}s"
