"""Queries (SELECT, VALUES, WITH...) and SHOW: answered locally when the proxy knows the
answer (session functions, catalog emulation, settings), else read from Spanner, on the event
loop in autocommit (loop reads) or through a worker thread; rows stream in chunks, a portal
with a row limit suspends."""

from __future__ import annotations

from typing import Any

from .. import protocol as p
from ..backend import PREFETCH, ColumnInfo
from ..catalog import (
    Catalog,
    LocalResult,
    answer_catalog,
    answer_function_select,
    answer_with_params,
)
from ..classify import Kind, Statement
from ..errors import PgError, QueryCanceled
from ..infer import infer_param_types, infer_returning
from ..loopread import LoopCursor, SessionGone
from ..orm_catalog import answer_orm_catalog
from ..params import spanner_type_for
from ..pg_cursors import OpenCursor, answer_pg_cursors
from ..portal import Portal, Prepared, aborted, dml_tag, local_columns
from ..scroll import FetchSpec
from ..session import Session
from .partitions import auto_partitioned, open_partitioned
from .settings import show_result

FETCH_CHUNK = 2000
UPDATE_COUNTS = (ColumnInfo("UPDATE_COUNTS", 1016),)  # RUN BATCH's row, as PGAdapter sends it
_EMPTY_CATALOG = Catalog("", [], [])


async def run_query(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    """QUERY, SHOW and the partitioned query statements."""
    stmt = portal.prepared.stmt
    if stmt.kind == Kind.SHOW and stmt.words[1:3] == ["DATABASE", "DDL"]:
        backend = s.require_backend()
        ddl = await s.run_blocking(backend.database_ddl)
        portal.local = LocalResult([("statement", 1043)], [[d + ";"] for d in ddl], "SHOW")
    columns = await portal_columns(s, portal, whole=max_rows <= 0)
    if describe and columns is not None:
        s.send(s.output(portal, columns).description)
    await send_rows(s, portal, max_rows, "SHOW" if stmt.kind == Kind.SHOW else "SELECT")


def open_cursors(s: Session) -> list[OpenCursor]:
    return [
        OpenCursor(name, portal.prepared.stmt.sql, portal.hold, portal.scroll)
        for name, portal in s.portals.items()
        if portal.declared
    ]


def local_answer(
    s: Session, stmt: Statement, params: dict[str, Any] | None = None
) -> LocalResult | None:
    """A FROM-less SELECT of session functions, or a query of parameter types (asyncpg's),
    answered without Spanner."""
    if stmt.kind != Kind.QUERY or stmt.not_local:
        return None
    local = answer_pg_cursors(stmt.sql, params, open_cursors(s))
    if local is not None:
        return local
    local = answer_with_params(stmt.sql, params)
    if local is None:
        local = answer_function_select(stmt.sql, s.session_info())
    if local is None:
        stmt.not_local = True  # decided once per statement, not per execution
    return local


async def catalog_answer(
    s: Session, stmt: Statement, params: dict[str, Any] | None = None
) -> LocalResult | None:
    # TypeORM's udt_name read goes to information_schema only, for columns Spanner lacks
    if "pg_" not in stmt.sql and '"udt_name"' not in stmt.sql:
        return None
    backend = s.require_backend()

    def run() -> LocalResult | None:
        orm = answer_orm_catalog(stmt.sql, params, s.catalog_snapshot, backend.read_outside)
        if orm is not None:
            return orm
        return answer_catalog(stmt.sql, s.catalog_snapshot, backend.list_databases)

    return await s.run_blocking(run)


def _spanner_types(param_oids: list[int]) -> dict[str, Any]:
    return {
        f"p{i + 1}": t
        for i, oid in enumerate(param_oids)
        if (t := spanner_type_for(oid)) is not None
    }


async def plan(s: Session, prep: Prepared) -> None:
    """Fill unknown parameter types and RETURNING columns: Spanner's PLAN mode first, then
    local inference from the catalog (for backends without PLAN support)."""
    if prep.planned:
        return
    prep.planned = True
    stmt = prep.stmt
    if stmt.kind not in (Kind.QUERY, Kind.DML):
        return
    if local_answer(s, stmt) is not None or (
        "pg_" in stmt.sql and answer_catalog(stmt.sql, lambda: _EMPTY_CATALOG, list) is not None
    ):
        return
    unknown = [i for i, o in enumerate(prep.param_oids) if o in (0, 705)]
    need_cols = stmt.kind == Kind.DML and stmt.returning
    if not unknown and not need_cols:
        return
    backend = s.require_backend()
    types = _spanner_types(prep.param_oids)
    key = stmt.sql + repr(sorted(types))
    if key in s.plan_cache:
        found = s.plan_cache[key]
    else:
        try:
            is_dml = stmt.kind == Kind.DML
            found = await s.run_blocking(lambda: backend.plan(stmt.sql, types, is_dml))
        except QueryCanceled:
            raise
        except PgError:
            found = None  # no PLAN mode, or a statement Spanner will reject when run
        if len(s.plan_cache) > 2000:
            s.plan_cache.clear()
        s.plan_cache[key] = found
    if found is not None:
        for i in unknown:
            prep.param_oids[i] = found.param_oids.get(f"p{i + 1}", 0)
        if stmt.kind == Kind.QUERY or stmt.returning:
            prep.columns = found.columns
    unknown = [i for i, o in enumerate(prep.param_oids) if o in (0, 705)]
    if unknown or (need_cols and prep.columns is None):
        cat = await s.run_blocking(s.catalog_snapshot)
        inferred = infer_param_types(stmt.sql, cat)
        for i in unknown:
            prep.param_oids[i] = inferred.get(i + 1, 0)
        if need_cols and prep.columns is None:
            cols = infer_returning(stmt.sql, cat)
            if cols is not None:
                prep.columns = [ColumnInfo(n, o) for n, o in cols]


async def columns_by_running(s: Session, prep: Prepared) -> list[ColumnInfo] | None:
    """Columns of a query whose plan was unavailable: run it once with NULL parameters."""
    params = {f"p{i + 1}": None for i in range(len(prep.param_oids))}
    portal = Portal("", prep, params, _spanner_types(prep.param_oids), [0])
    cols = await portal_columns(s, portal, whole=True)  # closed right here
    if portal.cursor is not None:
        cursor = portal.cursor
        await s.run_blocking(cursor.close)
    return cols


async def portal_columns(
    s: Session, portal: Portal, whole: bool = False
) -> list[ColumnInfo] | None:
    """The result columns; for a query this opens its stream (`whole`: the statement
    reads it to the end, so the stream may carry the statement's deadline)."""
    stmt = portal.prepared.stmt
    if stmt.kind == Kind.FETCH:
        spec = stmt.command(FetchSpec)
        target = s.cursor_named(spec.cursor)
        if spec.verb == "MOVE":
            return None
        return await portal_columns(s, target)
    if stmt.kind == Kind.RUN_BATCH:
        # a DML batch's RUN BATCH answers with its update counts (batches.run_run_batch)
        return list(UPDATE_COUNTS) if s.batch is not None and s.batch[0] == "DML" else None
    if portal.local is None:
        local = local_answer(s, stmt, portal.params)
        if local is None and stmt.kind == Kind.SHOW:
            local = show_result(s, stmt)
        if local is None and stmt.kind == Kind.QUERY:
            local = await catalog_answer(s, stmt, portal.params)
        portal.local = local
    if portal.local is not None:
        return local_columns(portal.local)
    if stmt.kind == Kind.QUERY:
        if s.status == "E":
            raise aborted()
        await open_cursor(s, portal, whole)
        assert portal.cursor is not None
        return portal.cursor.columns
    if stmt.kind == Kind.PARTITIONED:
        await open_partitioned(s, portal)
        if portal.local is not None:
            return local_columns(portal.local)
        assert portal.cursor is not None
        return portal.cursor.columns
    if stmt.kind == Kind.DML and stmt.returning:
        if portal.cursor is not None:
            return portal.cursor.columns
        if portal.prepared.columns is None:
            await plan(s, portal.prepared)
        if portal.prepared.columns is None:
            await open_dml(s, portal)  # no other way to learn the columns: run it now
            assert portal.cursor is not None
            return portal.cursor.columns
        return portal.prepared.columns
    return None


async def open_cursor(s: Session, portal: Portal, whole: bool = False) -> None:
    if portal.cursor is not None:
        return
    if await auto_partitioned(s, portal):
        return
    backend = s.require_backend()
    sql, params, types = portal.prepared.stmt.sql, portal.params or None, portal.types or None
    reads = s.loop_reads
    with s.statement_tag(sql):
        if reads is not None and not backend.in_transaction and not portal.declared:
            # autocommit: a single-use read sent from the event loop, no thread hop
            options = backend.request_options()
            staleness = backend.staleness
            for _ in range(2):
                try:
                    cursor = await s.run_on_loop(
                        reads.query(
                            sql,
                            params,
                            types,
                            staleness,
                            options,
                            PREFETCH,
                            s.call_context(stream_deadline=whole),
                        )
                    )
                    backend.note_read_timestamp(cursor.read_timestamp)
                    portal.cursor = cursor
                    return
                except SessionGone:  # the client's sessions manager has a newer one
                    await s.run_blocking(reads.refresh_session)
        portal.cursor = await s.run_blocking(
            lambda: backend.query(sql, params, types), stream_deadline=whole
        )


async def open_dml(s: Session, portal: Portal) -> None:
    """Start a DML statement in the (explicit or implicit) transaction; its cursor gives the
    RETURNING rows and the row count."""
    if s.status == "E":
        raise aborted()
    backend = s.require_backend()
    s.ensure_write_transaction()
    stmt = portal.prepared.stmt
    sql, params, types = stmt.sql, portal.params or None, portal.types or None
    with s.statement_tag(sql):
        portal.cursor = await s.run_blocking(lambda: backend.execute_dml(sql, params, types))


async def send_rows(s: Session, portal: Portal, max_rows: int, tag: str) -> None:
    columns = await portal_columns(s, portal)
    out = s.output(portal, columns or [])
    if portal.local is not None:
        rows = portal.local.rows[portal.local_pos :]
        if max_rows > 0:
            rows = rows[:max_rows]
        portal.local_pos += len(rows)
        s.send(out.rows(rows))
        portal.sent += len(rows)
        if portal.local_pos < len(portal.local.rows):
            s.send(p.PORTAL_SUSPENDED)
            return
        final = tag if tag == "SHOW" or portal.local.tag == "SHOW" else f"SELECT {portal.sent}"
        s.send(p.command_complete(final))
        return
    cursor = portal.cursor
    assert cursor is not None
    remaining = max_rows if max_rows > 0 else 0
    while True:
        want = min(FETCH_CHUNK, remaining) if max_rows > 0 else FETCH_CHUNK

        def fetch(want: int = want) -> tuple[bytes, int]:
            rows = cursor.fetch(want)
            return out.rows(rows), len(rows)

        try:
            if isinstance(cursor, LoopCursor) and not cursor.complete:
                await s.run_on_loop(cursor.fill(want))
            # rows already in memory are encoded right here: no trip to a thread
            data, n = fetch() if cursor.exhausted else await s.run_blocking(fetch)
        except BaseException:
            cursor.close()
            raise
        s.send(data)
        portal.sent += n
        if s.out_size > 1 << 16:
            await s.flush()
        if max_rows > 0:
            remaining -= n
            if remaining <= 0 and not cursor.done:
                s.send(p.PORTAL_SUSPENDED)
                return
        if cursor.done:
            break
    if tag == "SELECT":
        s.send(p.command_complete(f"SELECT {portal.sent}"))
    else:
        count = cursor.row_count if cursor.row_count is not None else portal.sent
        s.send(p.command_complete(dml_tag(tag, count)))
