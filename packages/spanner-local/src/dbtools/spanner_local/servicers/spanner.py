"""google.spanner.v1.Spanner: sessions, queries, reads, DML, transactions, commits."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

import grpc

from .. import big_literals, codec, executor, protos, row_locks, staleness, versions, wire
from .. import mutations as mutation_writes
from ..database import Database
from ..errors import FailedPrecondition, InvalidArgument, NotFound, SpannerLocalError
from ..executor import Result
from ..limits import MAX_SESSIONS_PER_BATCH
from ..registry import Registry
from ..statement_log import StatementRecord
from ..transactions import PARTITIONED, READ_ONLY, READ_WRITE, Transaction
from ..translate import INFO_SCHEMA, PG_CATALOG_SCHEMA
from ..translate import classify as _classify_sql
from .base import MethodTable, generic_handler

SERVICE = "google.spanner.v1.Spanner"
# A read at a future timestamp waits for it, as Spanner does, but not longer than this.
MESSAGE_BYTES = 1 << 20
CHUNK_CHARS = 512 * 1024  # at most 2 MB of UTF-8 per piece
NORMAL, PLAN, PROFILE = 0, 1, 2  # ExecuteSqlRequest.QueryMode


# Every request classifies its statement; applications send the same texts again and again.
# Only statements of ordinary length are remembered: a cache must not keep huge texts alive.
_classify_cached = functools.lru_cache(maxsize=4096)(_classify_sql)
CACHED_SQL_CHARS = 8192


def classify(sql: str, dialect: str) -> str:
    if len(sql) <= CACHED_SQL_CHARS:
        return _classify_cached(sql, dialect)
    return _classify_sql(sql, dialect)


def _mode_of(options: protos.TransactionOptions) -> str:
    mode = options.WhichOneof("mode")
    if mode == "read_write":
        return READ_WRITE
    if mode == "partitioned_dml":
        return PARTITIONED
    return READ_ONLY


def _stale_read_timestamp(db: Database, options: protos.TransactionOptions) -> Any:
    """The read timestamp of a read-only transaction, refused when older than the database's
    version retention period; a future timestamp is waited for, as Spanner waits."""
    now = db.clock.now()
    if options.WhichOneof("mode") != "read_only":
        return now
    at = staleness.read_at(options.read_only, now)
    if at is None:
        return now
    staleness.check(db, at)
    return at


def _begin_read_only(txn: Transaction, options: protos.TransactionOptions, read_ts: Any) -> None:
    """Give a new read-only transaction its timestamp; an exact one is read at (see versions)."""
    if options.WhichOneof("mode") != "read_only":
        return
    txn.read_timestamp = read_ts
    if staleness.is_exact(options.read_only):
        txn.read_at = read_ts


def _txn_pb(
    txn: Transaction | protos.Transaction, return_read_ts: bool = True
) -> protos.Transaction:
    if isinstance(txn, protos.Transaction):
        return txn  # a single-use transaction's read timestamp
    pb = protos.Transaction(id=txn.id)
    if return_read_ts and txn.mode == READ_ONLY:
        pb.read_timestamp.CopyFrom(codec.timestamp_to_pb(txn.read_timestamp))
    return pb


class SpannerServicer:
    def __init__(self, registry: Registry) -> None:
        self.reg = registry

    def handler(self) -> grpc.GenericRpcHandler:
        p = protos
        methods: MethodTable = {
            "CreateSession": (False, p.CreateSessionRequest, p.Session, self.CreateSession),
            "BatchCreateSessions": (
                False,
                p.BatchCreateSessionsRequest,
                p.BatchCreateSessionsResponse,
                self.BatchCreateSessions,
            ),
            "GetSession": (False, p.GetSessionRequest, p.Session, self.GetSession),
            "ListSessions": (
                False,
                p.ListSessionsRequest,
                p.ListSessionsResponse,
                self.ListSessions,
            ),
            "DeleteSession": (False, p.DeleteSessionRequest, p.Empty, self.DeleteSession),
            "ExecuteSql": (False, p.ExecuteSqlRequest, p.ResultSet, self.ExecuteSql),
            "ExecuteStreamingSql": (
                True,
                p.ExecuteSqlRequest,
                p.PartialResultSet,
                self.ExecuteStreamingSql,
            ),
            "ExecuteBatchDml": (
                False,
                p.ExecuteBatchDmlRequest,
                p.ExecuteBatchDmlResponse,
                self.ExecuteBatchDml,
            ),
            "Read": (False, p.ReadRequest, p.ResultSet, self.Read),
            "StreamingRead": (True, p.ReadRequest, p.PartialResultSet, self.StreamingRead),
            "BeginTransaction": (
                False,
                p.BeginTransactionRequest,
                p.Transaction,
                self.BeginTransaction,
            ),
            "Commit": (False, p.CommitRequest, p.CommitResponse, self.Commit),
            "Rollback": (False, p.RollbackRequest, p.Empty, self.Rollback),
            "PartitionQuery": (
                False,
                p.PartitionQueryRequest,
                p.PartitionResponse,
                self.PartitionQuery,
            ),
            "PartitionRead": (
                False,
                p.PartitionReadRequest,
                p.PartitionResponse,
                self.PartitionRead,
            ),
            "BatchWrite": (True, p.BatchWriteRequest, p.BatchWriteResponse, self.BatchWrite),
        }
        return generic_handler(SERVICE, methods)

    # --------------------------------------------------------------- sessions

    def CreateSession(self, req: protos.CreateSessionRequest, ctx: Any) -> protos.Session:
        return self.reg.create_session(req.database, req.session).to_pb()

    def BatchCreateSessions(
        self, req: protos.BatchCreateSessionsRequest, ctx: Any
    ) -> protos.BatchCreateSessionsResponse:
        if req.session_count <= 0:
            raise InvalidArgument("session_count must be positive.")
        count = min(req.session_count, MAX_SESSIONS_PER_BATCH)
        resp = protos.BatchCreateSessionsResponse()
        for _ in range(count):
            resp.session.append(self.reg.create_session(req.database, req.session_template).to_pb())
        return resp

    def GetSession(self, req: protos.GetSessionRequest, ctx: Any) -> protos.Session:
        info, _ = self.reg.session(req.name)
        return info.to_pb()

    def ListSessions(
        self, req: protos.ListSessionsRequest, ctx: Any
    ) -> protos.ListSessionsResponse:
        self.reg.database(req.database)
        resp = protos.ListSessionsResponse()
        with self.reg.lock:
            infos = [s for s in self.reg.sessions.values() if s.database == req.database]
        for s in infos:
            resp.sessions.append(s.to_pb())
        return resp

    def DeleteSession(self, req: protos.DeleteSessionRequest, ctx: Any) -> protos.Empty:
        self.reg.delete_session(req.name)
        return protos.Empty()

    # --------------------------------------------------------------- transactions

    def BeginTransaction(self, req: protos.BeginTransactionRequest, ctx: Any) -> protos.Transaction:
        _, db = self.reg.session(req.session)
        read_ts = _stale_read_timestamp(db, req.options)
        txn = self.reg.transactions.begin(
            db, _mode_of(req.options), req.request_options.transaction_tag
        )
        _begin_read_only(txn, req.options, read_ts)
        return _txn_pb(txn)

    def _selector(
        self, db: Database, selector: protos.TransactionSelector, tag: str
    ) -> tuple[Transaction | None, Transaction | protos.Transaction | None]:
        """-> (transaction to run in or None for single-use read-only, newly begun one).

        A single-use read-only transaction that asks for its read timestamp gets it as a
        `Transaction` message without an id, which the result metadata carries.
        """
        kind = selector.WhichOneof("selector")
        if kind == "id":
            txn = self.reg.transactions.get(selector.id)
            if txn.db is not db:
                raise InvalidArgument("Transaction belongs to another database.")
            return txn, None
        if kind == "begin":
            read_ts = _stale_read_timestamp(db, selector.begin)
            txn = self.reg.transactions.begin(db, _mode_of(selector.begin), tag)
            _begin_read_only(txn, selector.begin, read_ts)
            return txn, txn
        if kind == "single_use" and selector.single_use.WhichOneof("mode") in (
            "read_write",
            "partitioned_dml",
        ):
            raise InvalidArgument("Single-use transactions must be read-only.")
        single = selector.single_use if kind == "single_use" else None
        ts = _stale_read_timestamp(db, single) if single is not None else None
        pb = None
        if single is not None and ts is not None and single.read_only.return_read_timestamp:
            pb = protos.Transaction()
            pb.read_timestamp.CopyFrom(codec.timestamp_to_pb(ts))
        if single is not None and ts is not None and staleness.is_exact(single.read_only):
            # A read in the past runs in a transaction of its own that sees the versions then.
            txn = Transaction(os.urandom(16), db, READ_ONLY, ts, single_use=True, read_at=ts)
            return txn, pb
        return None, pb

    def _read_work(
        self,
        db: Database,
        txn: Transaction | None,
        work: Any,
        tables: tuple[str, ...],
        keys: tuple[str, set[Any]] | None = None,
        schema: tuple[str, ...] = (),
    ) -> Result:
        """Run `work` as `txn` reads (or on a borrowed cursor for a strong single-use read).

        A read at a past timestamp is refused when a table it reads, or with `schema`
        (versions.WHOLE_SCHEMA) the schema it reads, changed after that timestamp."""
        if txn is not None and txn.read_at is not None:
            checked = tables + schema
            if txn.cursor is None:  # the first read fixes the snapshot: commits up to it land
                # (a single-use read's age was checked as it arrived)
                staleness.check(db, txn.read_at, checked, age=not txn.single_use)
            else:
                db.versions.check(txn.read_at, db.clock.now(), list(checked))
        if txn is None:
            cur = db.borrow()
            try:
                result = work(cur)
            finally:
                db.give_back(cur)
        else:
            try:
                result = txn.run(work, tables, keys)
            finally:
                if txn.single_use:
                    txn.rollback()
        return result

    # --------------------------------------------------------------- SQL

    def _execute(
        self, req: protos.ExecuteSqlRequest, ctx: Any
    ) -> tuple[Result, Transaction | protos.Transaction | None, Database]:
        _, db = self.reg.session(req.session)
        tags = req.request_options
        params, ptypes = executor.decode_params(req.params, req.param_types, db.dialect)
        sql, values, types = big_literals.hoist(req.sql, db.dialect, params, ptypes)
        kind = classify(sql, db.dialect)
        txn, begun = self._selector(db, req.transaction, tags.transaction_tag)
        record_kind = "query"
        if kind == "ddl":
            raise InvalidArgument(
                "DDL statements cannot be executed with ExecuteSql; use UpdateDatabaseDdl."
            )
        if kind == "other":
            first = sql.strip().split(None, 1)[0] if sql.strip() else "(empty)"
            raise InvalidArgument(
                f"Statement not supported: {first[:40]}. Only queries and DML can be executed."
            )
        if kind == "dml":
            if txn is None or txn.single_use:
                raise InvalidArgument(
                    "DML statements may not be performed in single-use transactions, to avoid replay."
                )
            record_kind = "partitioned_dml" if txn.mode == PARTITIONED else "dml"
        self.reg.log.append(
            StatementRecord(
                kind=record_kind,
                database=db.name,
                sql=req.sql,
                params=params,
                request_tag=tags.request_tag,
                transaction_tag=tags.transaction_tag or (txn.tag if txn else ""),
                transaction_id=txn.id if txn else b"",
                **_caller(ctx),
            )
        )
        if kind == "dml":
            assert txn is not None
            if txn.mode == PARTITIONED:
                result = self._partitioned(db, txn, sql, values, types)
            else:
                result = txn.execute_dml(sql, values, types)
        else:
            commit_ts = None

            tr = executor.translate_statement(db, sql)

            def work(cur: Any) -> Result:
                return executor.run_sql(db, cur, sql, values, types, commit_ts, tr)[0]

            tables: tuple[str, ...] = ()
            keys = None
            if txn is not None:
                tables = tr.tables
                pinned = row_locks.keys_of(db.catalog, tr.sql, values)
                if pinned is not None:
                    keys = (pinned[0].name.lower(), pinned[1])
            schema = (versions.WHOLE_SCHEMA,) if _reads_schema(tr.sql) else ()
            result = self._read_work(db, txn, work, tables, keys, schema)
        return result, begun, db

    def _partitioned(
        self,
        db: Database,
        txn: Transaction,
        sql: str,
        values: dict[str, Any],
        types: dict[str, Any],
    ) -> Result:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head == "INSERT":
            raise InvalidArgument(
                "Only UPDATE and DELETE statements are supported in partitioned DML."
            )
        with txn.lock:
            txn.check_active()
            pdml = self.reg.transactions.begin(db, READ_WRITE, txn.tag)
            result = pdml.execute_dml(sql, values, types, mutation_limit=False)
            pdml.commit([])
            txn.state = "committed"
            return result

    def _stats(
        self, result: Result, partitioned: bool, query_mode: int = 0
    ) -> protos.ResultSetStats | None:
        """Row counts for DML; a one-node plan for PLAN and PROFILE query modes."""
        if result.row_count is None and query_mode == NORMAL:
            return None
        stats = protos.ResultSetStats()
        if result.row_count is not None:
            if partitioned:
                stats.row_count_lower_bound = result.row_count
            else:
                stats.row_count_exact = result.row_count
        if query_mode != NORMAL:
            node = stats.query_plan.plan_nodes.add()
            node.index = 0
            node.display_name = "spanner-local (DuckDB)"
        if query_mode == PROFILE:
            stats.query_stats.fields["rows_returned"].string_value = str(len(result.rows))
        if query_mode == PLAN:
            result.rows = []  # PLAN mode returns metadata and the plan, no rows
        return stats

    def ExecuteSql(self, req: protos.ExecuteSqlRequest, ctx: Any) -> protos.ResultSet:
        result, begun, _db = self._execute(req, ctx)
        stats = self._stats(result, self._is_partitioned(req), req.query_mode)
        rs = protos.ResultSet()
        self._fill_metadata(rs.metadata, result, begun)
        setters = [codec.setter_for(t) for _, t in result.columns]
        for row in result.rows:
            lv = rs.rows.add()
            _fill_row(lv.values, row, setters)
        if stats is not None:
            rs.stats.CopyFrom(stats)
        return rs

    def _is_partitioned(self, req: protos.ExecuteSqlRequest) -> bool:
        if req.transaction.WhichOneof("selector") == "id":
            try:
                return self.reg.transactions.get(req.transaction.id).mode == PARTITIONED
            except SpannerLocalError:
                return False
        return False

    def ExecuteStreamingSql(
        self, req: protos.ExecuteSqlRequest, ctx: Any
    ) -> Iterator[protos.PartialResultSet | bytes]:
        result, begun, _db = self._execute(req, ctx)
        stats = self._stats(result, self._is_partitioned(req), req.query_mode)
        yield from self._stream(result, begun, stats, req.resume_token)

    def _fill_metadata(
        self,
        md: protos.ResultSetMetadata,
        result: Result,
        begun: Transaction | protos.Transaction | None,
    ) -> None:
        md.row_type.SetInParent()
        for name, stype in result.columns:
            f = md.row_type.fields.add()
            f.name = name
            f.type_.CopyFrom(stype.to_pb())
        if begun is not None:
            md.transaction.CopyFrom(_txn_pb(begun))

    def _stream(
        self,
        result: Result,
        begun: Transaction | protos.Transaction | None,
        stats: protos.ResultSetStats | None,
        resume_token: bytes = b"",
    ) -> Iterator[protos.PartialResultSet | bytes]:
        """PartialResultSets of about MESSAGE_BYTES each, as Spanner streams them.

        Messages are cut between rows (with a resume token giving the rows sent so far) and
        strings longer than CHUNK_CHARS are split across messages with `chunked_value`, so that
        no message exceeds the client's default 4 MB receive limit.
        """
        rows = result.rows
        done = _resume_offset(resume_token, len(rows))
        cells = wire.encode_rows(rows[done:], [t for _, t in result.columns], CHUNK_CHARS)
        if cells is not None:
            yield from self._stream_wire(result, begun, stats, cells, done)
            return
        setters = [codec.setter_for(t) for _, t in result.columns]
        prs = protos.PartialResultSet()
        self._fill_metadata(prs.metadata, result, begun)
        size = 0
        for row in rows[done:]:
            for value, setter in zip(row, setters, strict=True):
                cell = prs.values.add()
                if value is None:
                    cell.null_value = protos.NULL_VALUE
                    size += 2
                    continue
                setter(cell, value)
                kind = cell.WhichOneof("kind")
                if kind == "string_value":
                    n = len(cell.string_value)
                    if n > CHUNK_CHARS:
                        text = cell.string_value
                        cell.string_value = text[:CHUNK_CHARS]
                        pos = CHUNK_CHARS
                        while pos < n:
                            prs.chunked_value = True
                            yield prs
                            prs = protos.PartialResultSet()
                            prs.values.add().string_value = text[pos : pos + CHUNK_CHARS]
                            pos += CHUNK_CHARS
                        size = CHUNK_CHARS
                    else:
                        size += n + 4
                elif kind == "list_value":
                    size += cell.ByteSize()
                else:
                    size += 12
            done += 1
            if size >= MESSAGE_BYTES and done < len(rows):
                prs.resume_token = str(done).encode()
                yield prs
                prs = protos.PartialResultSet()
                size = 0
        if stats is not None:
            prs.stats.CopyFrom(stats)
        prs.last = True
        yield prs

    def _stream_wire(
        self,
        result: Result,
        begun: Transaction | protos.Transaction | None,
        stats: protos.ResultSetStats | None,
        cells: list[bytes],
        done: int,
    ) -> Iterator[bytes]:
        """`_stream` from rows already encoded (see wire): each message is its serialized
        envelope followed by its rows' values, cut between rows at about MESSAGE_BYTES."""
        total = done + len(cells)
        prs = protos.PartialResultSet()
        self._fill_metadata(prs.metadata, result, begun)
        parts: list[bytes] = []
        size = 0
        for row in cells:
            parts.append(row)
            size += len(row)
            done += 1
            if size >= MESSAGE_BYTES and done < total:
                prs.resume_token = str(done).encode()
                yield prs.SerializeToString() + b"".join(parts)
                prs = protos.PartialResultSet()
                parts = []
                size = 0
        if stats is not None:
            prs.stats.CopyFrom(stats)
        prs.last = True
        yield prs.SerializeToString() + b"".join(parts)

    def ExecuteBatchDml(
        self, req: protos.ExecuteBatchDmlRequest, ctx: Any
    ) -> protos.ExecuteBatchDmlResponse:
        _, db = self.reg.session(req.session)
        tags = req.request_options
        if not req.statements:
            raise InvalidArgument("No statements in batch DML request.")
        txn, begun = self._selector(db, req.transaction, tags.transaction_tag)
        if txn is None or txn.mode != READ_WRITE:
            raise InvalidArgument("Batch DML is only supported in read-write transactions.")
        resp = protos.ExecuteBatchDmlResponse()
        caller = _caller(ctx)
        for i, stmt in enumerate(req.statements):
            params, ptypes = executor.decode_params(stmt.params, stmt.param_types, db.dialect)
            sql, values, types = big_literals.hoist(stmt.sql, db.dialect, params, ptypes)
            self.reg.log.append(
                StatementRecord(
                    kind="batch_dml",
                    database=db.name,
                    sql=stmt.sql,
                    params=params,
                    request_tag=tags.request_tag,
                    transaction_tag=tags.transaction_tag or txn.tag,
                    transaction_id=txn.id,
                    **caller,
                )
            )
            try:
                if classify(sql, db.dialect) != "dml":
                    raise InvalidArgument(f"Statement {i} is not a DML statement: {stmt.sql[:100]}")
                result = txn.execute_dml(sql, values, types)
            except SpannerLocalError as err:
                # ABORTED ends the whole call (the client retries the transaction); so does a
                # failure of the statement that was to begin the transaction inline, since no
                # result set could carry the transaction id back.
                if err.code == grpc.StatusCode.ABORTED or (i == 0 and begun is not None):
                    raise
                resp.status.code = err.code.value[0]
                resp.status.message = err.message
                break
            rs = resp.result_sets.add()
            if i == 0:
                self._fill_metadata(rs.metadata, Result([], []), begun)
            rs.stats.row_count_exact = result.row_count or 0
        else:
            resp.status.code = 0
        return resp

    # --------------------------------------------------------------- reads

    def _read(
        self, req: protos.ReadRequest, ctx: Any
    ) -> tuple[Result, Transaction | protos.Transaction | None]:
        _, db = self.reg.session(req.session)
        tags = req.request_options
        txn, begun = self._selector(db, req.transaction, tags.transaction_tag)
        self.reg.log.append(
            StatementRecord(
                kind="read",
                database=db.name,
                table=req.table,
                request_tag=tags.request_tag,
                transaction_tag=tags.transaction_tag or (txn.tag if txn else ""),
                transaction_id=txn.id if txn else b"",
                **_caller(ctx),
            )
        )
        if not req.columns:
            raise InvalidArgument("Read request must specify columns.")

        epoch = db.versions.epoch_at(req.table, txn.read_at) if txn and txn.read_at else None

        def work(cur: Any) -> Result:
            return executor.read(
                db,
                cur,
                req.table,
                req.index,
                list(req.columns),
                req.key_set,
                req.limit,
                epoch.table if epoch else None,
            )

        keys = None
        if txn is not None and not req.index:
            found = row_locks.read_keys(db.catalog, req.table, req.key_set)
            keys = (req.table.lower(), found) if found is not None else None
        return self._read_work(db, txn, work, (req.table.lower(),), keys), begun

    def Read(self, req: protos.ReadRequest, ctx: Any) -> protos.ResultSet:
        result, begun = self._read(req, ctx)
        rs = protos.ResultSet()
        self._fill_metadata(rs.metadata, result, begun)
        setters = [codec.setter_for(t) for _, t in result.columns]
        for row in result.rows:
            _fill_row(rs.rows.add().values, row, setters)
        return rs

    def StreamingRead(
        self, req: protos.ReadRequest, ctx: Any
    ) -> Iterator[protos.PartialResultSet | bytes]:
        result, begun = self._read(req, ctx)
        yield from self._stream(result, begun, None, req.resume_token)

    # --------------------------------------------------------------- commit / rollback

    def Commit(self, req: protos.CommitRequest, ctx: Any) -> protos.CommitResponse:
        _, db = self.reg.session(req.session)
        tags = req.request_options
        kind = req.WhichOneof("transaction")
        if kind == "single_use_transaction":
            if req.single_use_transaction.WhichOneof("mode") != "read_write":
                raise InvalidArgument(
                    "Commit of a single-use transaction requires read_write mode."
                )
            txn = self.reg.transactions.begin(db, READ_WRITE, tags.transaction_tag)
        elif kind == "transaction_id":
            txn = self.reg.transactions.get(req.transaction_id)
        else:
            raise InvalidArgument("Commit requires a transaction id or a single-use transaction.")
        self.reg.log.append(
            StatementRecord(
                kind="commit",
                database=db.name,
                request_tag=tags.request_tag,
                transaction_tag=tags.transaction_tag or txn.tag,
                transaction_id=txn.id,
                mutations=tuple(_mutation_summary(m) for m in req.mutations),
                **_caller(ctx),
            )
        )
        if txn.mode != READ_WRITE:
            raise FailedPrecondition("Cannot commit a transaction that is not read-write.")
        mutations = list(req.mutations)
        ts = txn.commit(mutations)
        resp = protos.CommitResponse()
        resp.commit_timestamp.CopyFrom(codec.timestamp_to_pb(ts))
        if req.return_commit_stats:
            resp.commit_stats.mutation_count = (
                mutation_writes.count_mutations(db, mutations) + txn.dml_mutations
            )
        return resp

    def Rollback(self, req: protos.RollbackRequest, ctx: Any) -> protos.Empty:
        self.reg.session(req.session)
        try:
            txn = self.reg.transactions.get(req.transaction_id)
        except NotFound:
            return protos.Empty()  # already gone (finished or expired): nothing to undo
        txn.rollback()
        return protos.Empty()

    # --------------------------------------------------------------- partitions and batch write

    def PartitionQuery(
        self, req: protos.PartitionQueryRequest, ctx: Any
    ) -> protos.PartitionResponse:
        _, db = self.reg.session(req.session)
        if classify(req.sql, db.dialect) != "query":
            raise InvalidArgument(
                "Only queries can be partitioned: PartitionQuery does not accept DML or other "
                "statements."
            )
        begun = self._partition_txn(db, req.transaction)
        resp = protos.PartitionResponse()
        resp.partitions.add().partition_token = b"spanner-local:0"
        if begun is not None:
            resp.transaction.CopyFrom(_txn_pb(begun))
        return resp

    def _partition_txn(
        self, db: Database, selector: protos.TransactionSelector
    ) -> Transaction | protos.Transaction | None:
        """Partitions belong to a read-only snapshot transaction (not single-use), as in Spanner."""
        txn, begun = self._selector(db, selector, "")
        if txn is None or txn.mode != READ_ONLY or txn.single_use:
            raise InvalidArgument(
                "Partitioned reads and queries are only supported in read-only transactions "
                "that are not single-use."
            )
        return begun

    def PartitionRead(self, req: protos.PartitionReadRequest, ctx: Any) -> protos.PartitionResponse:
        _, db = self.reg.session(req.session)
        begun = self._partition_txn(db, req.transaction)
        resp = protos.PartitionResponse()
        resp.partitions.add().partition_token = b"spanner-local:0"
        if begun is not None:
            resp.transaction.CopyFrom(_txn_pb(begun))
        return resp

    def BatchWrite(
        self, req: protos.BatchWriteRequest, ctx: Any
    ) -> Iterator[protos.BatchWriteResponse]:
        _, db = self.reg.session(req.session)
        for i, group in enumerate(req.mutation_groups):
            resp = protos.BatchWriteResponse()
            resp.indexes.append(i)
            txn = self.reg.transactions.begin(db, READ_WRITE, req.request_options.transaction_tag)
            try:
                ts = txn.commit(list(group.mutations))
                resp.commit_timestamp.CopyFrom(codec.timestamp_to_pb(ts))
            except SpannerLocalError as err:
                resp.status.code = err.code.value[0]
                resp.status.message = err.message
            yield resp


def _mutation_summary(m: protos.Mutation) -> tuple[str, str, int]:
    kind = m.WhichOneof("operation") or ""
    if kind == "delete":
        ks = m.delete.key_set
        return kind, m.delete.table, len(ks.keys) + len(ks.ranges) + (1 if ks.all_ else 0)
    w = getattr(m, kind) if kind else None
    return kind, (w.table if w is not None else ""), (len(w.values) if w is not None else 0)


def _caller(ctx: Any) -> dict[str, Any]:
    """What the statement log keeps of the call itself: its deadline and request headers."""
    remaining = ctx.time_remaining() if ctx is not None else None
    # gRPC reports "no deadline" as a huge number of seconds
    deadline = remaining if remaining is not None and remaining < 10**8 else None
    pairs = ctx.invocation_metadata() if ctx is not None else ()
    metadata = tuple((k, v) for k, v in pairs or () if isinstance(v, str))
    return {"deadline": deadline, "metadata": metadata}


def _reads_schema(translated_sql: str) -> bool:
    """Whether a translated query reads information_schema or pg_catalog: translation moves
    both into schemas of spanner-local's own names, which a user's statement cannot spell
    otherwise (except inside a string literal: then a stale read is refused, never wrong)."""
    return INFO_SCHEMA in translated_sql or PG_CATALOG_SCHEMA in translated_sql


def _resume_offset(token: bytes, total: int) -> int:
    """Rows already sent before a stream broke (our resume tokens count rows)."""
    if not token:
        return 0
    try:
        return min(max(int(token.decode()), 0), total)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid resume token: {token[:40]!r}") from exc


def _fill_row(values: Any, row: tuple[Any, ...], setters: list[Any]) -> None:
    for value, setter in zip(row, setters, strict=True):
        cell = values.add()
        if value is None:
            cell.null_value = protos.NULL_VALUE
        else:
            setter(cell, value)


__all__ = ["SpannerServicer"]
