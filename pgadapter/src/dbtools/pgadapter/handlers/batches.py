"""START BATCH DDL|DML, RUN BATCH, ABORT BATCH (PGAdapter's): statements of an active batch
are buffered and sent together (DDL as one UpdateDatabaseDdl, DML as one ExecuteBatchDml)."""

from __future__ import annotations

from .. import protocol as p
from ..catalog import LocalResult
from ..classify import Kind
from ..errors import PgError
from ..portal import Portal, dml_tag, local_columns
from ..session import Session
from .queries import UPDATE_COUNTS
from .writes import ddl

# statements that run at once during a batch
_NOT_BUFFERED = frozenset({Kind.SET, Kind.SHOW, Kind.RESET, Kind.EMPTY})


async def run_start_batch(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    stmt = portal.prepared.stmt
    what = stmt.words[2] if len(stmt.words) > 2 else ""
    if s.batch is not None:
        raise PgError("a batch is already active on this connection", "25001")
    if what not in ("DDL", "DML"):
        raise PgError("syntax error: START BATCH DDL or START BATCH DML", "42601")
    if what == "DDL" and s.status == "T":
        raise PgError("cannot start a DDL batch in a transaction block", "25001")
    s.batch = (what, [])
    s.send(p.command_complete("START BATCH"))


async def run_abort_batch(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    if s.batch is None:
        raise PgError("there is no active batch", "25000")
    s.batch = None
    s.send(p.command_complete("ABORT BATCH"))


async def run_run_batch(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    backend = s.require_backend()
    if s.batch is None:
        raise PgError("there is no active batch", "25000", hint="START BATCH DDL|DML first.")
    what, items = s.batch
    s.batch = None
    if what == "DDL":
        if items:
            await ddl(s, items, complete=False)
        s.send(p.command_complete("RUN BATCH"))
        return
    counts: list[int] = []
    if items:
        s.ensure_write_transaction()
        counts = await s.run_blocking(lambda: backend.batch_dml(items))
    # as PGAdapter: one row, UPDATE_COUNTS, an int8 array with each statement's count
    portal.local = LocalResult([(c.name, c.oid) for c in UPDATE_COUNTS], [[counts]], "RUN BATCH")
    out = s.output(portal, local_columns(portal.local))
    if describe:
        s.send(out.description)
    s.send(out.rows(portal.local.rows))
    s.send(p.command_complete("RUN BATCH"))


def add_to_batch(s: Session, portal: Portal) -> bool:
    """Buffer a statement of the active batch; False for statements that run at once."""
    assert s.batch is not None
    stmt = portal.prepared.stmt
    what, items = s.batch
    if stmt.kind in _NOT_BUFFERED:
        return False
    if what == "DDL" and stmt.kind == Kind.DDL:
        items.append(stmt)
        s.send(p.command_complete(stmt.tag))
        return True
    if what == "DML" and stmt.kind == Kind.DML and not stmt.returning:
        items.append((stmt.sql, portal.params or None, portal.types or None))
        s.send(p.command_complete(dml_tag(stmt.tag, 0)))
        return True
    raise PgError(
        f"only {what} statements can be added to a {what} batch",
        "25000",
        hint="RUN BATCH or ABORT BATCH first.",
    )
