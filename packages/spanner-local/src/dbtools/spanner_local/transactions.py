"""Transactions: each read-write or read-only Spanner transaction is a DuckDB transaction.

DuckDB's optimistic MVCC gives snapshot reads and first-committer-wins write conflicts, which
become Spanner's ABORTED (the client retries). A failed statement poisons a DuckDB transaction
but not a Spanner one, so the successful DML of a read-write transaction is kept and replayed
into a fresh DuckDB transaction after an error; if the replay does not reproduce the same row
counts the transaction is ABORTED, as Spanner would do after a lock conflict.

Snapshots alone would allow write skew, which Spanner's read locks prevent: so a read-write
transaction records the rows it read (whole tables when a statement does not pin its keys; see
row_locks), and its commit is ABORTED if a transaction that committed after it began wrote any
of them. Read-only transactions take no part in this: they read their snapshot, lock-free.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import duckdb

from . import executor, limits, row_locks
from . import mutations as mutation_writes
from .database import Database
from .errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    SpannerLocalError,
)

T = TypeVar("T")

READ_WRITE, READ_ONLY, PARTITIONED = "read_write", "read_only", "partitioned_dml"
IDLE_TIMEOUT_S = 600.0


@dataclass
class Transaction:
    id: bytes
    db: Database
    mode: str
    read_timestamp: dt.datetime
    tag: str = ""
    state: str = "active"  # active | committed | rolled_back | aborted
    cursor: duckdb.DuckDBPyConnection | None = None
    history: list[tuple[str, dict[str, Any], dict[str, Any], int]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    commit_ts: dt.datetime | None = None  # fixed early when DML uses PENDING_COMMIT_TIMESTAMP()
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.RLock = field(default_factory=threading.RLock)
    start_version: int | None = None  # db.version before the first DuckDB BEGIN
    reads: row_locks.AccessSet = field(default_factory=row_locks.AccessSet)
    writes: row_locks.AccessSet = field(default_factory=row_locks.AccessSet)
    seq: int = 0
    read_at: dt.datetime | None = None  # read-only at an exact past timestamp (staleness)
    single_use: bool = False  # a single-use read-only transaction: ends with its one read
    catalog_at_begin: Any = None  # the schema when the DuckDB transaction began
    # Tables copied (temporary tables of the cursor) before DML that does not pin its keys
    # first wrote them: the commit finds their old row versions by comparison (see versions).
    snapshots: dict[str, str] = field(default_factory=dict)
    # mutations the transaction's DML produced (commit stats count them with the Commit's)
    dml_mutations: int = 0

    # --------------------------------------------------------------- DuckDB side

    def _begin(self) -> duckdb.DuckDBPyConnection:
        if self.cursor is None:
            if self.start_version is None:
                self.start_version = self.db.version  # read before BEGIN: errs towards aborting
            self.catalog_at_begin = self.db.catalog
            self.cursor = self.db.new_cursor()
            self.cursor.execute("BEGIN TRANSACTION")
            if self.read_at is not None:
                self.db.shadow_as_of(self.cursor, self.read_at)
        return self.cursor

    def _discard(self) -> None:
        if self.cursor is not None:
            try:
                self.cursor.execute("ROLLBACK")
            except duckdb.Error:
                pass
            self.cursor.close()
            self.cursor = None
        self.snapshots.clear()

    def check_active(self) -> None:
        if self.state == "aborted":
            raise Aborted("Transaction was aborted.")
        if self.state == "committed":
            raise FailedPrecondition(
                "Cannot start a new operation: the transaction has already committed."
            )
        if self.state == "rolled_back":
            raise FailedPrecondition("Transaction has been rolled back.")

    def pending_commit_ts(self) -> dt.datetime:
        if self.commit_ts is None:
            self.commit_ts = self.db.clock.next()
        return self.commit_ts

    # --------------------------------------------------------------- operations

    def run(
        self,
        work: Callable[[duckdb.DuckDBPyConnection], T],
        tables: Iterable[str] = (),
        keys: tuple[str, set[row_locks.Key]] | None = None,
    ) -> T:
        """Run read work inside the transaction, recovering the DuckDB side after an error.

        `keys` (table, primary keys) narrows what is read from the tables to those rows.
        """
        with self.lock:
            self.check_active()
            if self.mode == READ_WRITE:
                if keys is not None:
                    self.reads.add_keys(*keys)
                else:
                    self.reads.add_tables(self.db.catalog.base_tables(tables))
            self.last_used = time.monotonic()
            cur = self._begin()
            try:
                return work(cur)
            except SpannerLocalError as exc:
                self._recover(exc)
                raise
            except duckdb.Error as exc:
                err = executor.map_error(exc, self.db.dialect)
                self._recover(err)
                raise err from exc

    def execute_dml(
        self,
        sql: str,
        values: dict[str, Any],
        types: dict[str, Any],
        mutation_limit: bool = True,
    ) -> executor.Result:
        """Run one DML statement in the transaction. Its mutations (counted as commit stats
        count them) may be at most Cloud Spanner's per-commit limit: for DML, Spanner applies
        that limit per statement, not to the transaction's sum; a statement over it fails with
        INVALID_ARGUMENT and is undone, the transaction goes on. Partitioned DML
        (`mutation_limit` False) has no such limit."""
        with self.lock:
            self.check_active()
            if self.mode == READ_ONLY:
                raise InvalidArgument(
                    "DML statements can only be performed in a read-write or partitioned DML transaction."
                )
            self.last_used = time.monotonic()
            cur = self._begin()
            target = None
            try:
                tr = executor.translate_statement(self.db, sql)
                target = executor.dml_target(self.db, tr.sql)
                self._snapshot_before(cur, tr, target, values)
                self._record_dml(tr, target, values)
                if target is not None:
                    executor.check_key_not_updated(target, tr.updated_columns)
                result, tr = executor.run_sql(
                    self.db, cur, sql, values, types, self._commit_ts_if_needed(sql), tr
                )
                if target is not None:
                    touched = {target.name.lower()}
                    self.touched |= touched
                    if executor.has_integrity_rules(self.db, touched):
                        executor.enforce_integrity(self.db, cur, touched)
                    produced = mutation_writes.count_dml_mutations(
                        self.db, tr, target, result.row_count or 0
                    )
                    if mutation_limit:
                        limits.check_mutation_count(produced)
                    self.dml_mutations += produced
            except SpannerLocalError as exc:
                if isinstance(exc, AlreadyExists) and self._changed_since_start(target):
                    # The clashing row may come from a transaction that committed after this
                    # one began: on Spanner the two would have conflicted, so retry this one.
                    exc = Aborted(
                        "Transaction was aborted: a concurrent transaction wrote the same table."
                    )
                self._recover(exc)
                raise exc from None
            self.history.append((sql, values, types, result.row_count or 0))
            return result

    def _snapshot_before(
        self, cur: duckdb.DuckDBPyConnection, tr: Any, target: Any, values: dict[str, Any]
    ) -> None:
        """Copy the target of DML that does not pin its keys before this transaction first
        writes it (after an earlier write the copy would not be the state before)."""
        if target is None:
            return
        name = target.name.lower()
        if name in self.snapshots or name in self.writes.names():
            return
        pinned = row_locks.keys_of(self.db.catalog, tr.sql, values)
        if pinned is not None and pinned[0] is target:
            return
        snapshot = self.db.versions.snapshot(cur, target, len(self.snapshots))
        if snapshot is not None:
            self.snapshots[name] = snapshot

    def _record_dml(self, tr: Any, target: Any, values: dict[str, Any]) -> None:
        """What a DML statement reads and writes: its rows when it pins their keys."""
        pinned = row_locks.keys_of(self.db.catalog, tr.sql, values)
        if target is not None and pinned is not None and pinned[0] is target:
            name = target.name.lower()
            self.reads.add_keys(name, pinned[1])
            self.writes.add_keys(name, pinned[1])
        else:
            self.reads.add_tables(self.db.catalog.base_tables(tr.tables))
            if target is not None:
                self.writes.add_tables({target.name.lower()})
        if target is not None and tr.sql.lstrip()[:6].upper() == "DELETE":
            self.writes.add_tables(row_locks.dependents(self.db.catalog, target.name.lower()))

    def _changed_since_start(self, table: Any) -> bool:
        if table is None or self.start_version is None:
            return False
        return self.db.table_versions.get(table.name.lower(), 0) > self.start_version

    def _commit_ts_if_needed(self, sql: str) -> dt.datetime | None:
        lowered = sql.lower()
        if "pending_commit_timestamp" in lowered:
            return self.pending_commit_ts()
        return None

    def _recover(self, err: SpannerLocalError) -> None:
        """After a failed statement: fresh DuckDB transaction with the earlier DML replayed."""
        self._discard()
        if isinstance(err, Aborted):
            self.state = "aborted"
            return
        if not self.history:
            return
        cur = self._begin()
        for sql, values, types, count in self.history:
            try:
                result, _ = executor.run_sql(self.db, cur, sql, values, types, self.commit_ts)
            except (SpannerLocalError, duckdb.Error):
                self.state = "aborted"
                self._discard()
                return
            if (result.row_count or 0) != count:
                self.state = "aborted"
                self._discard()
                return

    def commit(self, mutations: list[Any]) -> dt.datetime:
        with self.lock:
            self.check_active()
            if self.mode == READ_ONLY:
                raise FailedPrecondition("Cannot commit a read-only transaction.")
            cur = self._begin()
            early = self.commit_ts  # fixed by PENDING_COMMIT_TIMESTAMP() in DML
            if early is not None:
                self.db.committing.add(early)
            try:
                writes = self.writes
                with self.db.commit_lock:
                    # The timestamp is taken under the lock, so that commits land in the order
                    # of their timestamps: whoever sees a commit also sees all earlier ones.
                    ts = early or self.db.clock.next()
                    touched = (
                        mutation_writes.apply_mutations(self.db, cur, mutations, ts, writes)
                        if mutations
                        else set()
                    )
                    touched |= self.touched
                    if executor.has_integrity_rules(self.db, touched):
                        executor.enforce_integrity(self.db, cur, touched)
                    writes.add_tables(touched - writes.names())  # unaccounted for: whole table
                    self._validate_reads()
                    self._record_versions(cur, writes, ts)
                    cur.execute("COMMIT")
                    self.db.version += 1
                    for name in touched | writes.tables:
                        self.db.table_versions[name] = self.db.version
                    self.db.history.record(self.db.version, writes)
            except SpannerLocalError as exc:
                self._discard()
                self.state = "aborted" if isinstance(exc, Aborted) else "rolled_back"
                raise
            except duckdb.Error as exc:
                self._discard()
                err = executor.map_error(exc, self.db.dialect)
                self.state = "aborted" if isinstance(err, Aborted) else "rolled_back"
                raise err from exc
            finally:
                if early is not None:
                    self.db.committing.discard(early)
            if self.cursor is not None:
                self.cursor.close()
                self.cursor = None
            self.state = "committed"
            self.commit_ts = ts
            return ts

    def _record_versions(
        self, cur: duckdb.DuckDBPyConnection, writes: row_locks.AccessSet, ts: dt.datetime
    ) -> None:
        # A copy is the state before this commit only if no other commit wrote the table since
        # this transaction began.
        versions = self.db.table_versions
        start = self.start_version or 0
        fresh = {n: t for n, t in self.snapshots.items() if versions.get(n, 0) <= start}
        try:
            self.db.record_versions(cur, writes, ts, fresh)
        except duckdb.Error as exc:
            if self.db.catalog is not self.catalog_at_begin:
                # A schema change ran since this transaction began; DuckDB would refuse the
                # commit as well (a conflict), so the client retries it.
                raise Aborted(
                    "Transaction was aborted: a schema change ran while it was open."
                ) from exc
            raise

    def _validate_reads(self) -> None:
        if not self.reads or self.start_version is None:
            return
        if self.start_version >= self.db.history.floor:
            changed = self.db.history.conflict(self.reads, self.start_version)
        else:  # older than the remembered commits: table granularity
            versions = self.db.table_versions
            names = versions if "*" in self.reads.tables else self.reads.names()
            changed = next((t for t in names if versions.get(t, 0) > self.start_version), None)
        if changed is not None:
            raise Aborted(
                f"Transaction was aborted: rows of table {changed} that it read were changed by "
                "a transaction that committed after it began."
            )

    def rollback(self) -> None:
        with self.lock:
            self._discard()
            if self.state == "active":
                self.state = "rolled_back"


class TransactionManager:
    def __init__(self) -> None:
        self._txns: dict[bytes, Transaction] = {}
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()

    def begin(self, db: Database, mode: str, tag: str = "") -> Transaction:
        self._sweep()
        txn = Transaction(os.urandom(16), db, mode, db.clock.now(), tag)
        with self._lock:
            self._txns[txn.id] = txn
        return txn

    def get(self, txn_id: bytes) -> Transaction:
        with self._lock:
            txn = self._txns.get(txn_id)
        if txn is None:
            if not txn_id:
                raise InvalidArgument("Transaction id is empty.")
            raise NotFound("Transaction not found")
        return txn

    def forget_database(self, db: Database) -> None:
        with self._lock:
            victims = [t for t in self._txns.values() if t.db is db]
            for t in victims:
                del self._txns[t.id]
        for t in victims:
            t.rollback()

    def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < 10:
            return
        self._last_sweep = now
        with self._lock:
            stale = [
                t
                for t in self._txns.values()
                if (t.state != "active" and now - t.last_used > 60)
                or now - t.last_used > IDLE_TIMEOUT_S
            ]
            for t in stale:
                del self._txns[t.id]
        for t in stale:
            t.rollback()
