"""One Spanner database: its catalog, its DuckDB storage, its DDL history and commit clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from . import (
    ddl_parser,
    functions,
    infoschema,
    pg_catalog,
    row_locks,
    schema,
    timestamps,
    versions,
)
from .catalog import Catalog, duckdb_ident, render_catalog_ddl
from .codec import UTC
from .errors import DdlError, DdlSyntaxError, SpannerLocalError
from .translate import INFO_SCHEMA, classify
from .typemap import POSTGRESQL

DUCKDB_THREADS = 2
META_SCHEMA = "spanner_local_internal"
META_TABLE = f"{META_SCHEMA}.catalog"


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(UTC)


class CommitClock:
    """Strictly increasing microsecond timestamps: commit timestamps never repeat or go back.

    `source` is where the time comes from (the wall clock); tests replace it with a clock they
    move themselves, so that what a read at a past timestamp sees does not depend on how fast
    the machine runs.
    """

    def __init__(self, source: Callable[[], dt.datetime] = _wall_clock) -> None:
        self.source = source
        self._last = dt.datetime(1970, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def next(self) -> dt.datetime:
        with self._lock:
            now = self.source()
            if now <= self._last:
                now = self._last + dt.timedelta(microseconds=1)
            self._last = now
            return now

    def now(self) -> dt.datetime:
        with self._lock:
            return max(self.source(), self._last)

    @property
    def last(self) -> dt.datetime:
        """The latest timestamp handed out (commits and schema changes are at or before it)."""
        with self._lock:
            return self._last


@dataclass
class Database:
    name: str  # projects/P/instances/I/databases/D
    dialect: str
    path: Path | None = None
    catalog: Catalog = field(default_factory=Catalog)
    create_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    # How far each sequence's values run ahead of its DuckDB counter: skip ranges move it.
    sequence_offsets: dict[str, int] = field(default_factory=dict)
    # How long old row versions are kept for reads at a past timestamp (0: none are kept).
    version_retention: dt.timedelta = versions.DEFAULT_RETENTION

    def __post_init__(self) -> None:
        self.catalog.dialect = self.dialect
        target = str(self.path) if self.path else ":memory:"
        self.conn = duckdb.connect(target, config={"threads": DUCKDB_THREADS})
        self.conn.execute("SET GLOBAL TimeZone = 'UTC'")
        if self.dialect == POSTGRESQL:
            # PostgreSQL (and Spanner's PostgreSQL interface) truncates bigint / bigint, and
            # sorts NULLs as the largest values.
            self.conn.execute("SET GLOBAL integer_division = true")
            self.conn.execute("SET GLOBAL default_null_order = 'nulls_last_on_asc_first_on_desc'")
        else:
            # GoogleSQL sorts NULLs as the smallest values.
            self.conn.execute("SET GLOBAL default_null_order = 'nulls_first_on_asc_last_on_desc'")
        self._sequence_lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._published = False  # the .json that lists the database on disk is written
        self._load_stored_catalog()
        timestamps.check_stored_columns(self.conn, self.name)
        self._skip_ranges: dict[str, tuple[int, int]] = {}
        self._refresh_skip_ranges()
        functions.register(
            self.conn,
            postgresql=self.dialect == POSTGRESQL,
            database_id=self.database_id,
            sequence_value=self.sequence_value,
        )
        # SQL reaches DuckDB from clients: no file access (read_csv, ATTACH, COPY ...), and no
        # way to turn it back on.
        self.conn.execute("SET GLOBAL enable_external_access = false")
        self.conn.execute("SET GLOBAL lock_configuration = true")
        self.ddl_lock = threading.RLock()
        # Commit versions: read-write transactions that read a table validate at commit that
        # no transaction committed a write to it after they began (Spanner's reads take locks;
        # DuckDB's snapshots would otherwise allow write skew).
        self.version = 0
        self.table_versions: dict[str, int] = {}
        self.history = row_locks.CommitHistory()  # write sets of recent commits
        # The timestamps of commits under way: a read at a past timestamp waits for those at
        # or before it.
        self.committing: set[dt.datetime] = set()
        self.commit_lock = threading.Lock()
        self.clock = CommitClock()
        # ALTER DATABASE ... version_retention_period, kept in the catalog, beats the server's
        # default period.
        stored = versions.retention_option(self.catalog.options)
        self.versions = versions.History(stored or self.version_retention, self.clock.next())
        # The DuckDB catalog (named after the file) that temporary views name tables through.
        self.catalog_db = duckdb_ident(
            self.conn.execute("SELECT current_database()").fetchall()[0][0]
        )
        self._create_histories()
        self._idle: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        self.closed = False
        self.refresh_infoschema()

    # --------------------------------------------------------------- sequences

    def _refresh_skip_ranges(self) -> None:
        ranges: dict[str, tuple[int, int]] = {}
        named = [(name, opts) for name, opts in self.catalog.sequences.items()]
        for table in self.catalog.tables.values():
            named += [
                (c.identity["sequence"], c.identity)
                for c in table.columns
                if c.identity is not None and "sequence" in c.identity
            ]
        for name, opts in named:
            if "skip_range_min" in opts and "skip_range_max" in opts:
                ranges[name.lower()] = (int(opts["skip_range_min"]), int(opts["skip_range_max"]))
        self._skip_ranges = ranges

    def sequence_value(self, name: str, counter: int) -> int:
        """The next bit-reversed value of sequence `name`, whose DuckDB counter gave `counter`.

        Values in the sequence's skip range are passed over by moving its offset on, so that
        later counters stay ahead of the ones used.
        """
        key = name.lower().removeprefix("public.")
        with self._sequence_lock:
            offset = self.sequence_offsets.get(key, 0)
            effective = functions.next_outside(counter + offset, self._skip_ranges.get(key))
            if effective != counter + offset:
                self.sequence_offsets[key] = effective - counter
                self.save()
        value = functions.bit_reverse(effective)
        assert value is not None
        return value

    # --------------------------------------------------------------- stored catalog

    def _load_stored_catalog(self) -> None:
        """The catalog lives in DuckDB, committed in the same transaction as the DDL it
        describes, so a crash can never separate the two; an older data dir (catalog only in
        the .json) is migrated here."""
        self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
        self.conn.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (id INTEGER PRIMARY KEY, body VARCHAR)"
        )
        rows = self.conn.execute(f"SELECT body FROM {META_TABLE} WHERE id = 1").fetchall()
        if not rows:
            self.conn.execute(
                f"INSERT INTO {META_TABLE} VALUES (1, ?)", [json.dumps(self.catalog.to_json())]
            )
        else:
            self.catalog = Catalog.from_json(json.loads(rows[0][0]))
            self.catalog.dialect = self.dialect

    # --------------------------------------------------------------- row versions

    def _create_histories(self) -> None:
        """Fresh (empty) version histories: none is kept across a restart."""
        cur = self.new_cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.execute(f"DROP SCHEMA IF EXISTS {versions.SCHEMA} CASCADE")
            cur.execute(f"CREATE SCHEMA {versions.SCHEMA}")
            for table in self.catalog.tables.values():
                self.versions.create(cur, self.catalog_db, table)
            cur.execute("COMMIT")
        finally:
            cur.close()

    def record_versions(
        self,
        cur: duckdb.DuckDBPyConnection,
        writes: row_locks.AccessSet,
        ts: dt.datetime,
        snapshots: dict[str, str] | None = None,
    ) -> None:
        """Keep the before-images of a commit's writes (called under the commit lock, in the
        committing transaction, so that they land with it)."""
        if not self.versions.enabled:
            return
        committed = self.borrow()
        try:
            tables = dict(self.catalog.tables)
            self.versions.record(committed, cur, tables, writes, ts, snapshots)
            self.versions.prune(committed, list(tables), ts)
        finally:
            self.give_back(committed)

    def _add_epoch(self, table: Any, kept: tuple[str, str], until: dt.datetime) -> None:
        cur = self.new_cursor()
        try:
            self.versions.add_epoch(cur, table, kept, until)
        finally:
            cur.close()

    def shadow_as_of(self, cur: duckdb.DuckDBPyConnection, at: dt.datetime) -> None:
        """Make `cur`, inside a transaction, read every table as of `at`."""
        self.versions.shadow(cur, self.catalog_db, list(self.catalog.tables.values()), at)

    @property
    def database_id(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    # --------------------------------------------------------------- cursors

    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        return self.conn.cursor()

    def borrow(self) -> duckdb.DuckDBPyConnection:
        """An autocommit cursor for single-use work; give it back with `give_back`."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self.conn.cursor()

    def give_back(self, cur: duckdb.DuckDBPyConnection) -> None:
        if not self.closed:
            self._idle.put(cur)

    # --------------------------------------------------------------- DDL

    def parse_ddl(self, statements: list[str]) -> list[ddl_parser.Operation]:
        ops = []
        for text in statements:
            if classify(text, self.dialect) not in ("ddl",) and not text.strip().upper().startswith(
                ("ANALYZE", "GRANT", "REVOKE")
            ):
                raise DdlSyntaxError(
                    f"Error parsing Spanner DDL statement: {text} : Syntax error on line 1, "
                    "column 1: Expecting 'CREATE', 'ALTER' or 'DROP'"
                )
            ops.append(ddl_parser.parse_ddl(text, self.dialect))
        return ops

    def apply_ddl(
        self, ops: list[ddl_parser.Operation]
    ) -> tuple[list[dt.datetime], SpannerLocalError | None]:
        """Apply statements in order; stop at the first failure (earlier ones stay applied)."""
        stamps: list[dt.datetime] = []
        with self.ddl_lock:
            try:
                for op in ops:
                    retention = (
                        versions.retention_option(op.options)
                        if isinstance(op, ddl_parser.AlterDatabase)
                        else None
                    )
                    new_catalog, stmts = schema.apply(self.catalog, op)
                    changed = _changed_tables(self.catalog, new_catalog)
                    cur = self.new_cursor()
                    kept: dict[str, tuple[str, str]] = {}
                    try:
                        cur.execute("BEGIN TRANSACTION")
                        for name in changed:  # altered tables keep their earlier schema
                            if name in self.catalog.tables and name in new_catalog.tables:
                                retired = self.versions.retire(
                                    cur, self.catalog_db, self.catalog.tables[name]
                                )
                                if retired is not None:
                                    kept[name] = retired
                        for stmt in stmts:
                            cur.execute(stmt)
                        for name in changed:
                            if name in new_catalog.tables:
                                self.versions.create(cur, self.catalog_db, new_catalog.tables[name])
                            else:
                                self.versions.drop(cur, name)
                        cur.execute(
                            f"UPDATE {META_TABLE} SET body = ? WHERE id = 1",
                            [json.dumps(new_catalog.to_json())],
                        )
                        cur.execute("COMMIT")
                    except duckdb.Error as exc:
                        try:
                            cur.execute("ROLLBACK")
                        except duckdb.Error:
                            pass
                        raise DdlError(_ddl_storage_message(exc)) from exc
                    finally:
                        cur.close()
                    old_catalog, self.catalog = self.catalog, new_catalog
                    if retention is not None:
                        self.versions.retention = retention
                    stamps.append(self.clock.next())
                    self.versions.schema_changed[versions.WHOLE_SCHEMA] = (stamps[-1], "")
                    for name, tables in kept.items():
                        self._add_epoch(old_catalog.tables[name], tables, stamps[-1])
                    for name in changed:
                        if name not in new_catalog.tables:
                            self.versions.forget(name)
                        declared = (new_catalog.tables.get(name) or old_catalog.tables[name]).name
                        self.versions.schema_changed[name] = (stamps[-1], declared)
            except SpannerLocalError as exc:
                return stamps, exc
            finally:
                self._refresh_skip_ranges()
                self.refresh_infoschema()
                self.save()
        return stamps, None

    def ddl_statements(self) -> list[str]:
        return render_catalog_ddl(self.catalog)

    def refresh_infoschema(self) -> None:
        schemas = {INFO_SCHEMA: infoschema.build(self.catalog, self.database_id)}
        if self.dialect == POSTGRESQL:
            schemas[pg_catalog.SCHEMA] = pg_catalog.build(self.catalog)
        cur = self.new_cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            for schema_name, views in schemas.items():
                cur.execute(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")
                cur.execute(f"CREATE SCHEMA {schema_name}")
                for view, (cols, rows) in views.items():
                    coldefs = ", ".join(f'"{c}" {t}' for c, t in cols)
                    cur.execute(f'CREATE TABLE {schema_name}."{view}" ({coldefs})')
                    if rows:
                        marks = ", ".join("?" for _ in cols)
                        cur.executemany(
                            f'INSERT INTO {schema_name}."{view}" VALUES ({marks})', rows
                        )
            cur.execute("COMMIT")
        finally:
            cur.close()

    # --------------------------------------------------------------- persistence

    def publish(self) -> None:
        """Write the .json that makes the database exist on disk (after its creation is done)."""
        self._published = True
        self.save()

    def save(self) -> None:
        if self.path is None or not self._published:
            return
        meta = {
            "name": self.name,
            "dialect": self.dialect,
            "create_time": self.create_time.isoformat(),
            "catalog": self.catalog.to_json(),
            "sequence_offsets": self.sequence_offsets,
        }
        with self._save_lock:
            tmp = self.path.with_suffix(".json.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(json.dumps(meta, indent=1))
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self.path.with_suffix(".json"))

    @classmethod
    def load(
        cls, path: Path, version_retention: dt.timedelta = versions.DEFAULT_RETENTION
    ) -> Database:
        meta: dict[str, Any] = json.loads(path.with_suffix(".json").read_text())
        db = cls(
            name=meta["name"],
            dialect=meta["dialect"],
            path=path,
            catalog=Catalog.from_json(meta["catalog"]),
            create_time=dt.datetime.fromisoformat(meta["create_time"]),
            sequence_offsets=dict(meta.get("sequence_offsets", {})),
            version_retention=version_retention,
        )
        db._published = True
        return db

    def close(self) -> None:
        self.closed = True
        try:
            while True:
                self._idle.get_nowait().close()
        except queue.Empty:
            pass
        try:
            self.conn.close()
        except duckdb.Error:
            pass

    def drop(self) -> None:
        self.close()
        if self.path is not None:
            # The .json first: without it a half-deleted database is not loaded again.
            for p in (self.path.with_suffix(".json"), self.path, Path(str(self.path) + ".wal")):
                p.unlink(missing_ok=True)


def _changed_tables(old: Catalog, new: Catalog) -> list[str]:
    """Tables a schema change created, dropped or altered (lower-case names)."""
    names = set(old.tables) | set(new.tables)
    return sorted(n for n in names if old.tables.get(n) != new.tables.get(n))


def _ddl_storage_message(exc: duckdb.Error) -> str:
    text = str(exc)
    if isinstance(exc, duckdb.ConstraintException) and "NOT NULL constraint failed" in text:
        return "Cannot set NOT NULL: the column contains NULL values."
    return f"The schema change could not be applied: {text.splitlines()[0]}"
