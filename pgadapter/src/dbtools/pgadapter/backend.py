"""The Spanner side of one PostgreSQL connection, built on the official google-cloud-spanner client.

Everything here is synchronous (the Spanner client is) and runs on a worker thread; the asyncio
connection layer calls it through `run_in_executor`. One `SpannerConnection` belongs to one PG
connection and holds its transaction state, like the Java Connection API behind PGAdapter:

- queries outside a transaction use a single-use read-only snapshot (strong reads);
- a read/write transaction begins inline with its first statement and is committed by COMMIT,
  or at Sync/end of a simple query for an implicit transaction;
- result rows stay undecoded (the client's lazy decoding: lists of protobuf Values), for the
  connection layer encodes PostgreSQL's wire format straight from them (codecs.value_encoder);
- statements of a read/write transaction are logged with a digest of their results, so that when
  Spanner aborts the transaction it can be replayed on a new one and continue as long as every
  replayed statement returns exactly what the client already saw (otherwise 40001 is reported).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud.spanner_v1 import ExecuteSqlRequest, RequestOptions

from . import partitions
from .errors import PgError, QueryCanceled
from .settings import multi_use_staleness
from .spanner_private import (
    instance_of,
    result_read_timestamp,
    result_rows,
    snapshot_read_timestamp,
    timestamp_datetime,
    transaction_begun,
)
from .sqlstate import pg_error_from
from .types import oid_for_spanner

QueryMode = ExecuteSqlRequest.QueryMode
MAX_ABORT_RETRIES = 8
PREFETCH = 64  # rows read with the first response


@dataclass
class ColumnInfo:
    name: str
    oid: int


@dataclass
class Plan:
    """What PLAN mode (or a dry run) tells about a statement before it runs."""

    columns: list[ColumnInfo]
    param_oids: dict[str, int]  # "p1" → OID for the parameters Spanner inferred


def columns_of(fields: Any) -> list[ColumnInfo]:
    return [ColumnInfo(f.name, oid_for_spanner(f.type_)) for f in fields]


class Cursor:
    """Rows of one executed statement, fetched in chunks by the connection layer. Rows from
    Spanner are lists of protobuf Values (see `decode` for Python values)."""

    def __init__(
        self,
        rows: Iterator[list[Any]] | None,
        columns: list[ColumnInfo] | None,
        *,
        row_count: int | None = None,
        stats_source: Any = None,
        digest: hashlib._Hash | None = None,
        on_close: Callable[[], None] | None = None,
        cancel_flag: threading.Event | None = None,
    ) -> None:
        self._rows = rows
        self._buffer: list[list[Any]] = []
        self._eof = rows is None  # the stream has no more rows (some may still be buffered)
        self.columns = columns
        self.row_count = row_count
        self._stats_source = stats_source
        self._digest = digest
        self._on_close = on_close
        self._cancel = cancel_flag
        self.done = rows is None
        self.fetched = 0

    def prime(self, prefetch: int = 1) -> None:
        """Start the stream so that the column metadata is known (Describe needs it), reading
        up to `prefetch` rows ahead: a small result then needs no second trip to a thread."""
        if self.columns is not None or self._rows is None:
            return
        rows = self._rows
        try:
            while len(self._buffer) < max(prefetch, 1):
                self._buffer.append(next(rows))
        except StopIteration:
            self._eof = True
        self._load_columns()

    @property
    def exhausted(self) -> bool:
        """Every remaining row is in memory: fetching cannot block."""
        return self._eof

    def _load_columns(self) -> None:
        if self.columns is None:
            fields = getattr(self._stats_source, "fields", None)
            self.columns = columns_of(fields) if fields else []

    def fetch(self, n: int) -> list[list[Any]]:
        """Up to n rows (all when n <= 0)."""
        if self._buffer:
            if 0 < n < len(self._buffer):
                out, self._buffer = self._buffer[:n], self._buffer[n:]
            else:
                out, self._buffer = self._buffer, []
        else:
            out = []
        if not self._eof and self._rows is not None:
            rows = self._rows
            while n <= 0 or len(out) < n:
                if self._cancel is not None and self._cancel.is_set():
                    self.close()
                    raise QueryCanceled()
                try:
                    out.append(next(rows))
                except StopIteration:
                    self._eof = True
                    break
        self.done = self._eof and not self._buffer
        self._load_columns()
        self.fetched += len(out)
        if self._digest is not None:
            for row in out:
                _digest_row(self._digest, row)
        if self.done:
            self._finish()
        return out

    def decode(self, rows: list[list[Any]]) -> list[list[Any]]:
        """Rows as the client's Python values (int, str, Decimal, datetime...)."""
        decode_row = getattr(self._stats_source, "decode_row", None)
        return [decode_row(r) for r in rows] if decode_row is not None else rows

    def _finish(self) -> None:
        if self.row_count is None and self._stats_source is not None:
            stats = getattr(self._stats_source, "stats", None)
            if stats is not None and "row_count_exact" in stats:
                self.row_count = int(stats.row_count_exact)
        self.close()

    def abort(self) -> None:
        """Cancel the gRPC stream under this cursor (from another thread), best effort.

        The client keeps the stream inside a generator (`_restart_on_unavailable`) with no public
        handle; cancelling the call is what makes the server stop working on the query."""
        gen = getattr(self._stats_source, "_response_iterator", None)
        frame = getattr(gen, "gi_frame", None)
        try:
            call = frame.f_locals.get("iterator") if frame is not None else None
            cancel = getattr(call, "cancel", None)
            if callable(cancel):
                cancel()
        except Exception:  # the stream may be finishing concurrently: nothing to cancel then
            pass

    def close(self) -> None:
        self.done = True
        if self._on_close is not None:
            cb, self._on_close = self._on_close, None
            cb()


# kinds of logged mutations → the transaction method that replays them
MUTATION_OPS = {"mutation": "insert", "upsert": "insert_or_update"}


@dataclass
class _Logged:
    sql: str
    params: dict[str, Any] | tuple[Any, ...] | None  # a tuple for a mutation (see kind)
    types: dict[str, Any] | None
    digest: str
    kind: str  # "query", "dml", or a MUTATION_OPS kind (params then hold (table, columns, rows))
    rows: int = 0  # rows of a query the client received


@dataclass
class _Txn:
    read_only: bool
    handle: Any = None  # spanner Transaction or multi-use Snapshot
    log: list[_Logged] = field(default_factory=list)
    retries: int = 0


def _wrap(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except PgError:
        raise
    except Exception as exc:  # every Spanner/gRPC failure becomes a PG error with a SQLSTATE
        raise pg_error_from(exc) from exc


class SpannerConnection:
    """Transaction state and statement execution against one Spanner database."""

    def __init__(self, database: Any, stats: Counter[str] | None = None) -> None:
        self.database = database
        self.stats: Counter[str] = stats if stats is not None else Counter()
        self._session: Any = None
        self._txn: _Txn | None = None
        self.cancel_flag = threading.Event()
        self.retry_aborts = True
        self.active: Cursor | None = None  # the cursor being primed/fetched, for cancel()
        # session settings (spanner.*), set by the connection layer
        self.staleness: dict[str, Any] = {}  # keyword arguments of single-use snapshots
        self.last_commit_timestamp: dt.datetime | None = None  # of the last read/write commit
        # of the last read-only transaction or autocommit query (SHOW spanner.read_timestamp)
        # the last read-only read's timestamp: a datetime, or protobuf's (seconds, nanos) until
        # someone asks (last_read_timestamp)
        self._read_timestamp: dt.datetime | tuple[int, int] | None = None
        self.return_commit_stats = False  # spanner.return_commit_stats
        # the mutation count of the last commit, when it asked for commit stats
        self.last_mutation_count: int | None = None
        self.priority = 0  # RequestOptions.Priority
        self.request_tag: str | None = None  # for the next statement only
        self.transaction_tag: str | None = None  # for the next read/write transaction

    def request_options(self) -> RequestOptions | None:
        if not self.request_tag and not self.priority:
            return None
        return RequestOptions(request_tag=self.request_tag or "", priority=self.priority)

    def _commit_options(self) -> RequestOptions | None:
        return RequestOptions(priority=self.priority) if self.priority else None

    def _new_transaction(self) -> Any:
        handle = self._own_session().transaction()
        if self.transaction_tag:
            handle.transaction_tag = self.transaction_tag
        return handle

    def cancel(self) -> None:
        """From the event loop thread: stop the running statement."""
        self.cancel_flag.set()
        cursor = self.active
        if cursor is not None:
            cursor.abort()

    # --- lifecycle ------------------------------------------------------------------------

    def _own_session(self) -> Any:
        """The session this connection's transactions run on, from the database's sessions
        manager: the shared multiplexed session (or one from the pool when multiplexed
        sessions are turned off), so that connections do not each create sessions."""
        if self._session is None:
            from google.cloud.spanner_v1.database_sessions_manager import TransactionType

            manager = self.database.sessions_manager
            self._session = _wrap(lambda: manager.get_session(TransactionType.READ_WRITE))
        return self._session

    def close(self) -> None:
        try:
            self.rollback()
        finally:
            if self._session is not None:
                session, self._session = self._session, None
                try:
                    self.database.sessions_manager.put_session(session)
                except Exception:  # a pooled session that cannot go back expires server-side
                    pass

    # --- transactions ---------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._txn is not None

    @property
    def has_statements(self) -> bool:
        return self._txn is not None and (bool(self._txn.log) or self._txn.handle is not None)

    def begin(self, read_only: bool) -> None:
        if self._txn is None:
            self._txn = _Txn(read_only=read_only)

    def set_read_only(self, read_only: bool) -> None:
        txn = self._txn
        if txn is None:
            return
        if txn.handle is not None and txn.read_only != read_only:
            raise PgError(
                "SET TRANSACTION ISOLATION LEVEL / READ ONLY must be called before any query",
                "25001",
            )
        txn.read_only = read_only

    def _handle(self) -> Any:
        txn = self._txn
        assert txn is not None
        if txn.handle is None:
            session = self._own_session()
            if txn.read_only:
                snap = session.snapshot(multi_use=True, **multi_use_staleness(self.staleness))
                _wrap(snap.begin)
                txn.handle = snap
                self.note_read_timestamp(snapshot_read_timestamp(snap))
            elif txn.log:
                self._rerun(txn, None)  # after fail(): rebuild the state the log describes
            else:
                txn.handle = self._new_transaction()
        return txn.handle

    def note_read_timestamp(self, when: dt.datetime | tuple[int, int] | None) -> None:
        """Keep the read timestamp Spanner reported for a read-only read (None: none reported,
        as for reads in a transaction already begun)."""
        if when is not None:
            self._read_timestamp = when

    @property
    def last_read_timestamp(self) -> dt.datetime | None:
        """SHOW spanner.read_timestamp: the timestamp of the last read-only read."""
        when = self._read_timestamp
        if isinstance(when, tuple):
            when = self._read_timestamp = timestamp_datetime(when)
        return when

    def commit(self) -> None:
        txn, self._txn = self._txn, None
        if txn is None or txn.handle is None or txn.read_only:
            self.transaction_tag = None
            return
        while True:
            try:
                committed = txn.handle.commit(
                    return_commit_stats=self.return_commit_stats,
                    request_options=self._commit_options(),
                )
                self.transaction_tag = None
                if isinstance(committed, dt.datetime):  # SHOW spanner.commit_timestamp
                    self.last_commit_timestamp = committed
                    stats = getattr(txn.handle, "commit_stats", None)
                    self.last_mutation_count = (
                        int(stats.mutation_count)
                        if self.return_commit_stats and stats is not None
                        else None
                    )
                return
            except gexc.Aborted as exc:
                self._txn = txn
                try:
                    self._replay(exc)
                finally:
                    self._txn = None
            except Exception as exc:
                raise pg_error_from(exc) from exc

    def rollback(self) -> None:
        txn, self._txn = self._txn, None
        if txn is not None:
            self.transaction_tag = None
        if txn is None or txn.handle is None or txn.read_only:
            return
        try:
            if transaction_begun(txn.handle):
                txn.handle.rollback()
        except Exception:  # rollback failures leave nothing to undo: the txn expires
            pass

    def fail(self) -> None:
        """A statement of the transaction block failed: give back the Spanner transaction (and its
        locks) now, but keep the statement log, so ROLLBACK TO SAVEPOINT can rebuild it."""
        txn = self._txn
        if txn is None:
            return
        self._release(txn)
        txn.handle = None

    def _release(self, txn: _Txn) -> None:
        if txn.handle is None or txn.read_only:
            return
        try:
            if transaction_begun(txn.handle):
                txn.handle.rollback()
        except Exception:  # nothing to undo if it fails: the transaction expires
            pass

    def savepoint(self) -> int:
        """A savepoint is a position in the statement log."""
        return len(self._txn.log) if self._txn is not None else 0

    def rollback_to(self, position: int) -> None:
        """Emulate ROLLBACK TO SAVEPOINT: a fresh transaction that replays the log up to the
        savepoint (Spanner has no savepoints); 40001 if the replay sees different data."""
        txn = self._txn
        if txn is None or txn.read_only:
            return
        if len(txn.log) == position and txn.handle is not None:
            return
        self._release(txn)
        txn.handle = None
        del txn.log[position:]
        if txn.log:
            self._rerun(txn, None)

    def _replay(self, cause: Exception) -> None:
        """Re-run the logged statements on a fresh transaction after ABORTED."""
        txn = self._txn
        assert txn is not None
        if not self.retry_aborts or txn.retries >= MAX_ABORT_RETRIES:
            raise pg_error_from(cause) from cause
        txn.retries += 1
        self.stats["aborts_retried"] += 1
        # back off (with jitter) so that the transaction we lost to can finish first
        time.sleep(min(0.005 * 2**txn.retries, 0.25) * (0.5 + random.random()))
        self._rerun(txn, cause)

    def _rerun(self, txn: _Txn, cause: Exception | None) -> None:
        txn.handle = self._new_transaction()
        for entry in txn.log:
            if isinstance(entry.params, tuple):  # a mutation: (table, columns, rows)
                getattr(txn.handle, MUTATION_OPS[entry.kind])(*entry.params)
                continue
            digest = hashlib.sha256()
            try:
                rs = txn.handle.execute_sql(
                    entry.sql, params=entry.params, param_types=entry.types, lazy_decode=True
                )
                for i, row in enumerate(rs):
                    if entry.kind == "query" and i >= entry.rows:
                        break
                    _digest_row(digest, row)
                if entry.kind == "dml":
                    stats = getattr(rs, "stats", None)
                    if stats is not None and "row_count_exact" in stats:
                        digest.update(f"#{int(stats.row_count_exact)}".encode())
            except gexc.Aborted as again:
                return self._replay(again)
            except Exception as exc:
                raise pg_error_from(exc) from exc
            if digest.hexdigest() != entry.digest:
                raise PgError(
                    "could not serialize access: the Spanner transaction was aborted and the "
                    "retried transaction saw different data",
                    "40001",
                    hint="Retry the transaction.",
                ) from cause
        return None

    # --- statements -----------------------------------------------------------------------

    def query(
        self, sql: str, params: dict[str, Any] | None, types: dict[str, Any] | None
    ) -> Cursor:
        """Run a query (or DML with RETURNING inside a transaction) and return its cursor."""
        self.cancel_flag.clear()
        if self._txn is None:
            checkout = self.database.snapshot(**self.staleness)
            snap = _wrap(checkout.__enter__)
            try:
                rs = snap.execute_sql(
                    sql,
                    params=params,
                    param_types=types,
                    request_options=self.request_options(),
                    lazy_decode=True,
                )
                cursor = Cursor(
                    result_rows(rs),
                    None,
                    stats_source=rs,
                    on_close=lambda: checkout.__exit__(None, None, None),
                    cancel_flag=self.cancel_flag,
                )
                self.active = cursor
                _wrap(lambda: cursor.prime(PREFETCH))
                self.note_read_timestamp(result_read_timestamp(rs))
            except BaseException:
                checkout.__exit__(None, None, None)
                raise
            return cursor
        return self._in_txn(sql, params, types, "query")

    def _in_txn(
        self, sql: str, params: dict[str, Any] | None, types: dict[str, Any] | None, kind: str
    ) -> Cursor:
        txn = self._txn
        assert txn is not None
        while True:
            handle = self._handle()
            try:
                rs = handle.execute_sql(
                    sql,
                    params=params,
                    param_types=types,
                    request_options=self.request_options(),
                    lazy_decode=True,
                )
                self.active = Cursor(None, [], stats_source=rs)
                digest = hashlib.sha256()
                rows = _fully_read(rs) if kind == "dml" else None
                cursor = Cursor(
                    iter(rows) if rows is not None else result_rows(rs),
                    None,
                    stats_source=rs,
                    digest=digest,
                    cancel_flag=self.cancel_flag,
                )
                cursor.prime()
                if kind == "dml":
                    stats = getattr(rs, "stats", None)
                    if stats is not None and "row_count_exact" in stats:
                        cursor.row_count = int(stats.row_count_exact)
                if not txn.read_only:
                    entry = _Logged(sql, params, types, "", kind)
                    txn.log.append(entry)
                    _finalize_digest_later(cursor, entry, digest)
                return cursor
            except gexc.Aborted as exc:
                if txn.read_only:
                    raise pg_error_from(exc) from exc
                self._replay(exc)
            except PgError:
                raise
            except Exception as exc:
                raise pg_error_from(exc) from exc

    def execute_dml(
        self, sql: str, params: dict[str, Any] | None, types: dict[str, Any] | None
    ) -> Cursor:
        """Run DML in the current transaction (the caller opens one for autocommit)."""
        self.cancel_flag.clear()
        if self._txn is None:
            raise PgError("internal error: DML outside a transaction", "XX000")
        if self._txn.read_only:
            raise PgError("cannot execute DML in a read-only transaction", "25006")
        return self._in_txn(sql, params, types, "dml")

    def partitioned_dml(
        self, sql: str, params: dict[str, Any] | None, types: dict[str, Any] | None
    ) -> int:
        """Autocommit DML in spanner.autocommit_dml_mode = 'partitioned_non_atomic'."""
        self.cancel_flag.clear()
        return int(
            _wrap(
                lambda: self.database.execute_partitioned_dml(
                    sql, params=params, param_types=types, request_options=self.request_options()
                )
            )
        )

    def batch_dml(
        self, statements: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]
    ) -> list[int]:
        txn = self._txn
        assert txn is not None and not txn.read_only
        while True:
            handle = self._handle()
            try:
                status, counts = handle.batch_update(
                    statements, request_options=self.request_options()
                )
            except gexc.Aborted as exc:
                self._replay(exc)
                continue
            except Exception as exc:
                raise pg_error_from(exc) from exc
            code = getattr(status, "code", 0)
            for (sql, params, types), count in zip(statements, counts, strict=False):
                txn.log.append(_Logged(sql, params, types, _count_digest(count), "dml"))
            if code:
                import grpc
                from google.api_core.exceptions import from_grpc_status

                grpc_code = next(
                    (c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN
                )
                raise pg_error_from(from_grpc_status(grpc_code, status.message))
            return list(counts)

    def insert_rows(
        self,
        table: str,
        columns: list[str],
        groups: list[list[list[Any]]],
        *,
        parallel: int = 1,
        upsert: bool = False,
    ) -> int:
        """Insert rows as mutations. In a transaction they join it (one commit with everything
        else); otherwise each group is committed on its own (retried when Spanner aborts it:
        blind inserts are safe to replay), up to `parallel` commits at a time. `upsert`:
        insert-or-update mutations (spanner.copy_upsert), so existing keys are overwritten."""
        kind = "upsert" if upsert else "mutation"
        txn = self._txn
        if txn is not None:
            if txn.read_only:
                raise PgError("cannot execute COPY FROM in a read-only transaction", "25006")
            handle = self._handle()
            total = 0
            for rows in groups:
                getattr(handle, MUTATION_OPS[kind])(table, columns, rows)
                txn.log.append(_Logged("", (table, columns, rows), None, "", kind))
                total += len(rows)
            return total

        def commit(rows: list[list[Any]]) -> int:
            return self.commit_rows(table, columns, rows, upsert)

        self.cancel_flag.clear()
        if parallel <= 1 or len(groups) <= 1:
            return sum(commit(rows) for rows in groups)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=parallel) as pool:
            return sum(pool.map(commit, groups))

    def commit_rows(
        self, table: str, columns: list[str], rows: list[list[Any]], upsert: bool = False
    ) -> int:
        """Insert (`upsert`: insert or update) rows in a commit of their own (retried when
        Spanner aborts it: blind writes are safe to replay); a streaming COPY calls this for
        each batch."""
        if self.cancel_flag.is_set():
            raise QueryCanceled()
        op = MUTATION_OPS["upsert" if upsert else "mutation"]
        _wrap(
            lambda: self.database.run_in_transaction(lambda t: getattr(t, op)(table, columns, rows))
        )
        return len(rows)

    def plan(self, sql: str, types: dict[str, Any] | None, dml: bool = False) -> Plan:
        """Ask Spanner for the result columns and inferred parameter types without running.

        Queries are planned in a read-only snapshot; DML only plans in a read/write transaction,
        so it gets a throw-away one (begun inline, rolled back)."""

        def read(rs: Any) -> Plan:
            for _ in rs:
                pass
            meta = rs.metadata
            params = {
                f.name: oid_for_spanner(f.type_)
                for f in getattr(meta.undeclared_parameters, "fields", [])
            }
            return Plan(columns_of(meta.row_type.fields), params)

        def run() -> Plan:
            if not dml:
                with self.database.snapshot() as snap:
                    return read(snap.execute_sql(sql, param_types=types, query_mode=QueryMode.PLAN))
            txn = self._own_session().transaction()
            try:
                return read(txn.execute_sql(sql, param_types=types, query_mode=QueryMode.PLAN))
            finally:
                if transaction_begun(txn):
                    try:
                        txn.rollback()
                    except Exception:  # nothing was written: the transaction just expires
                        pass

        return _wrap(run)

    def ddl(self, statements: list[str], timeout: float = 600.0) -> None:
        def run() -> None:
            op = self.database.update_ddl(statements)
            op.result(timeout=timeout)

        _wrap(run)

    def partition_tokens(
        self,
        sql: str,
        params: dict[str, Any] | None,
        types: dict[str, Any] | None,
        options: partitions.Options,
    ) -> list[str]:
        """PARTITION: the query's partition tokens."""
        if self._txn is not None:
            raise PgError("PARTITION cannot run inside a transaction block", "25001")
        return _wrap(lambda: partitions.partition(self.database, sql, params, types, options))

    def run_partition(self, token: str) -> Cursor:
        """RUN PARTITION 'token': the rows of one partition."""
        rs = _wrap(lambda: partitions.run_partition(self.database, token))
        return self._partition_cursor(rs, result_rows(rs), None)

    def run_partitioned_query(
        self,
        sql: str,
        params: dict[str, Any] | None,
        types: dict[str, Any] | None,
        options: partitions.Options,
    ) -> Cursor:
        """RUN PARTITIONED QUERY: the rows of every partition of the query."""
        if self._txn is not None:
            raise PgError("RUN PARTITIONED QUERY cannot run inside a transaction block", "25001")
        first, rows, batch = _wrap(
            lambda: partitions.run_all(self.database, sql, params, types, options)
        )
        return self._partition_cursor(first, rows, batch.close)

    def _partition_cursor(
        self, rs: Any, rows: Iterator[list[Any]], on_close: Callable[[], None] | None
    ) -> Cursor:
        self.cancel_flag.clear()
        cursor = Cursor(
            rows, None, stats_source=rs, on_close=on_close, cancel_flag=self.cancel_flag
        )
        self.active = cursor
        _wrap(lambda: cursor.prime(PREFETCH))
        return cursor

    def read_outside(self, sql: str) -> list[list[Any]]:
        """A strong single-use read that ignores the connection's transaction."""

        def run() -> list[list[Any]]:
            with self.database.snapshot() as snap:
                return list(snap.execute_sql(sql))

        return list(_wrap(run))

    def database_ddl(self) -> list[str]:
        def run() -> list[str]:
            self.database.reload()
            return list(self.database.ddl_statements)

        return list(_wrap(run))

    def list_databases(self) -> list[str]:
        instance = instance_of(self.database)
        return sorted(
            db.name.rsplit("/", 1)[-1] for db in _wrap(lambda: list(instance.list_databases()))
        )


def _fully_read(rs: Any) -> list[list[Any]]:
    return list(result_rows(rs))


def _digest_row(digest: Any, row: list[Any]) -> None:
    """Add a row of protobuf Values to a result digest. Each serialized Value is self-delimiting
    (tag, then a length or a fixed-size number), so their concatenation is unambiguous."""
    for value in row:
        digest.update(value.SerializeToString(deterministic=True))


def _count_digest(count: int) -> str:
    return hashlib.sha256(f"#{count}".encode()).hexdigest()


def _finalize_digest_later(cursor: Cursor, entry: _Logged, digest: Any) -> None:
    """The digest covers the rows the client received, so it is taken when the cursor closes."""
    previous = cursor._on_close

    def done() -> None:
        if cursor.row_count is not None and entry.kind == "dml":
            digest.update(f"#{cursor.row_count}".encode())
        entry.digest = digest.hexdigest()
        entry.rows = cursor.fetched
        if previous:
            previous()

    cursor._on_close = done
    if cursor.done:
        cursor.close()
