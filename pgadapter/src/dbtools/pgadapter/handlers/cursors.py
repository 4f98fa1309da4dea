"""DECLARE, FETCH/MOVE and CLOSE: SQL cursors, kept as named portals.

A WITH HOLD cursor's rows are read at DECLARE (PostgreSQL reads them at commit), so it outlives
its transaction; a SCROLL cursor keeps the rows it has read so that it can go back; any other
reads its Spanner stream forward only (see `scroll`)."""

from __future__ import annotations

from functools import partial

from .. import protocol as p
from ..catalog import LocalResult
from ..classify import Kind
from ..commands import Close, Declare
from ..errors import PgError
from ..loopread import LoopCursor
from ..portal import Output, Portal, fields, formats
from ..scroll import FORWARD, BufferedRows, CursorPosition, FetchSpec, RowSource, StreamedRows
from ..session import Session
from .queries import portal_columns


async def run_declare(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    stmt = portal.prepared.stmt
    command = stmt.command(Declare)
    name = command.name
    if s.status == "I" and not s.implicit and not command.hold:
        raise PgError("DECLARE CURSOR can only be used in transaction blocks", "25P01")
    if name in s.portals:
        raise PgError(f'cursor "{name}" already exists', "42P03")
    query = stmt.inner
    assert query is not None
    if query.kind != Kind.QUERY:
        raise PgError("DECLARE CURSOR needs a SELECT or VALUES query", "42601")
    cursor_portal = Portal.of(query, name, hold=command.hold, scroll=command.scroll, declared=True)
    if command.hold:
        # a held cursor outlives its transaction: its rows are read now, as PostgreSQL does
        # at commit
        columns = await portal_columns(s, cursor_portal)
        if cursor_portal.local is None:
            cursor = cursor_portal.cursor
            assert cursor is not None
            rows = await s.run_blocking(lambda: cursor.decode(cursor.fetch(0)))
            cursor_portal.local = LocalResult(
                [(c.name, c.oid) for c in columns or []], rows, "SELECT"
            )
            cursor_portal.cursor = None
    s.portals[name] = cursor_portal
    s.send(p.command_complete("DECLARE CURSOR"))


async def run_fetch(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    """FETCH and MOVE."""
    spec = portal.prepared.stmt.command(FetchSpec)
    target = s.cursor_named(spec.cursor)
    columns = await portal_columns(s, target) or []
    move = spec.verb == "MOVE"
    if describe and not move:
        s.send(p.row_description(fields(columns), [0] * len(columns)))
    cursor = target.cursor
    if isinstance(cursor, LoopCursor) and not cursor.complete:
        # a protocol-level portal read on the event loop: receive what the FETCH needs
        # there, since its rows cannot be pulled from a worker thread
        ahead = spec.count if spec.direction == FORWARD and spec.count > 0 else 0
        await s.run_on_loop(cursor.fill(ahead))
    position = target.position
    if position is None:
        position = target.position = CursorPosition(_row_source(target), target.scroll)
    run = partial(position.run, spec.direction, spec.count, not move)
    rows, count = run() if position.source.ready else await s.run_blocking(run)
    if not move:
        fmts = formats(portal.result_formats, len(columns))
        out = Output.build(columns, fmts, s.text_out, raw=target.local is None)
        s.send(out.rows(rows))
    s.send(p.command_complete(f"{spec.verb} {count}"))


def _row_source(target: Portal) -> RowSource:
    """Rows already in memory (WITH HOLD, answered locally) or the Spanner stream; a SCROLL
    cursor keeps what it reads, any other holds one fetch's rows at a time."""
    if target.local is not None:
        return BufferedRows(list(target.local.rows))
    cursor = target.cursor
    assert cursor is not None
    if target.scroll:
        return BufferedRows([], cursor.fetch)
    return StreamedRows(cursor)


async def run_close(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    name = portal.prepared.stmt.command(Close).name
    if name is None:
        names = [n for n in s.portals if n]
    elif name in s.portals and name:
        names = [name]
    else:
        raise PgError(f'cursor "{name}" does not exist', "34000")
    for n in names:
        old = s.portals.pop(n)
        if old.cursor is not None:
            s.server.executor.submit(old.cursor.close)
    s.send(p.command_complete("CLOSE CURSOR"))
