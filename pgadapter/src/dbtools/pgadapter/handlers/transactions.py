"""BEGIN, COMMIT, ROLLBACK and savepoints.

Savepoints are emulated by positions in the transaction's statement log (Spanner has none):
ROLLBACK TO replays the statements before the savepoint in a new transaction (backend)."""

from __future__ import annotations

from .. import protocol as p
from ..classify import Kind
from ..commands import SavepointName
from ..errors import PgError
from ..portal import Portal
from ..session import Session
from ..settings import sends_message


async def run_transaction_control(
    s: Session, portal: Portal, max_rows: int, describe: bool
) -> None:
    """BEGIN, COMMIT and ROLLBACK; the end of a transaction closes its portals (not WITH HOLD
    cursors)."""
    kind = portal.prepared.stmt.kind
    await _CONTROL[kind](s, portal)
    s.savepoints.clear()
    if kind != Kind.BEGIN:
        s.close_portals_except(portal.name)


async def _begin(s: Session, portal: Portal) -> None:
    stmt = portal.prepared.stmt
    if s.status != "I":
        if sends_message(s.settings, "WARNING"):
            message = "there is already a transaction in progress"
            s.send(p.notice_response(message, "WARNING", "25001"))
    else:
        if s.implicit:
            # BEGIN after statements in the same batch: they join the block
            s.implicit = False
        else:
            default_ro = s.settings.get("default_transaction_read_only") == "on"
            read_only = stmt.read_only if stmt.read_only is not None else default_ro
            s.settings["transaction_read_only"] = "on" if read_only else "off"
            s.require_backend().begin(read_only=read_only)
        s.status = "T"
        s.begin_block()
    s.send(p.command_complete("BEGIN"))


def _warn_no_transaction(s: Session) -> None:
    if sends_message(s.settings, "WARNING"):
        s.send(p.notice_response("there is no transaction in progress", "WARNING", "25P01"))


async def _commit(s: Session, portal: Portal) -> None:
    if s.status == "I" and not s.implicit:
        _warn_no_transaction(s)
        s.send(p.command_complete("COMMIT"))
        return
    if s.status == "E":  # COMMIT of a failed block rolls it back, as in PostgreSQL
        await s.rollback_backend()
        s.status = "I"
        s.end_block(committed=False)
        s.send(p.command_complete("ROLLBACK"))
        return
    s.status = "I"
    s.implicit = False
    try:
        await s.run_blocking(s.require_backend().commit)
    except BaseException:
        s.end_block(committed=False)  # a commit that failed rolled the block back
        raise
    s.end_block(committed=True)
    s.send(p.command_complete("COMMIT"))


async def _rollback(s: Session, portal: Portal) -> None:
    if s.status == "I" and not s.implicit:
        _warn_no_transaction(s)
    s.status = "I"
    s.implicit = False
    await s.rollback_backend()
    s.end_block(committed=False)
    s.send(p.command_complete("ROLLBACK"))


_CONTROL = {Kind.BEGIN: _begin, Kind.COMMIT: _commit, Kind.ROLLBACK: _rollback}


async def run_savepoint(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    """SAVEPOINT, RELEASE [SAVEPOINT] and ROLLBACK TO [SAVEPOINT]."""
    stmt = portal.prepared.stmt
    backend = s.require_backend()
    name = stmt.command(SavepointName).name
    if s.status == "I":
        raise PgError(f"{stmt.tag} can only be used in transaction blocks", "25P01")
    if stmt.kind == Kind.SAVEPOINT:
        s.savepoints.append((name, backend.savepoint(), s.settings_mark()))
        s.send(p.command_complete("SAVEPOINT"))
        return
    index = next(
        (i for i in range(len(s.savepoints) - 1, -1, -1) if s.savepoints[i][0] == name),
        None,
    )
    if index is None:
        raise PgError(f'savepoint "{name}" does not exist', "3B001")
    if stmt.kind == Kind.RELEASE:
        del s.savepoints[index:]
        s.send(p.command_complete("RELEASE"))
        return
    _, position, mark = s.savepoints[index]
    del s.savepoints[index + 1 :]
    await s.run_blocking(lambda: backend.rollback_to(position))
    s.back_to_mark(mark)
    s.status = "T"
    s.send(p.command_complete("ROLLBACK"))
