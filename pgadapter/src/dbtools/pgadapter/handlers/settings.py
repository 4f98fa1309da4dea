"""SET, RESET, SHOW and DISCARD: the session's settings, by the table in `settings`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import protocol as p
from ..catalog import TEXT, LocalResult
from ..classify import Statement
from ..commands import Reset, SetCommand, SetParameter, SetTransaction, Show
from ..errors import PgError
from ..portal import Portal
from ..session import Session
from ..settings import canonical_name, lookup_setting, parse_setting, sends_message


async def run_set(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    stmt = portal.prepared.stmt
    command = stmt.command(SetCommand)
    if isinstance(command, SetTransaction):
        # SET TRANSACTION / SET SESSION CHARACTERISTICS AS TRANSACTION: the access mode
        if stmt.read_only is not None:
            value = "on" if stmt.read_only else "off"
            if not command.session:
                if s.status == "T":
                    s.require_backend().set_read_only(stmt.read_only)
                    s.settings["transaction_read_only"] = value
            else:
                s.settings["default_transaction_read_only"] = value
    else:
        assert isinstance(command, SetParameter)
        key = canonical_name(command.name)
        value = s.defaults.get(key, "") if command.value is None else command.value
        if command.local and s.status == "I":
            # as PostgreSQL: outside a block SET LOCAL would end with its own statement
            parse_setting(key, value)
            if sends_message(s.settings, "WARNING"):
                message = "SET LOCAL can only be used in transaction blocks"
                s.send(p.notice_response(message, "WARNING", "25P01"))
        else:
            s.assign(key, value, local=command.local)
    s.send(p.command_complete("SET"))


async def run_reset(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    command = portal.prepared.stmt.command(Reset)
    if command.name is None:
        s.reset_all()
    else:
        key = canonical_name(command.name)
        s.assign(key, s.defaults.get(key, ""))
    s.send(p.command_complete("RESET"))


async def run_discard(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    """DISCARD ALL: prepared statements, cursors, batch and settings back to a new session's."""
    if s.status != "I":
        raise PgError("DISCARD ALL cannot run inside a transaction block", "25001")
    s.statements.clear()
    s.batch = None
    for each in s.portals.values():
        if each.cursor is not None:
            each.cursor.close()
    s.portals.clear()
    s.reset_all()
    s.send(p.command_complete(portal.prepared.stmt.tag))


def show_result(s: Session, stmt: Statement) -> LocalResult:
    """SHOW's answer for this session (SHOW DATABASE DDL: its rows come from Spanner)."""
    name = stmt.command(Show).name
    if " ".join(name.upper().split()) == "DATABASE DDL":
        return LocalResult([("statement", 1043)], [], "SHOW")
    state = SESSION_STATE.get(name.lower())
    if state is not None:
        columns, row = state(s)
        return LocalResult(columns, [row], "SHOW")
    return show(s.settings, name)


Answer = tuple[list[tuple[str, int]], list[Any]]  # columns (name, type OID), the one row
TIMESTAMPTZ = 1184
INT8 = 20


def _commit_timestamp(s: Session) -> Answer:
    when = s.backend.last_commit_timestamp if s.backend is not None else None
    return [("spanner.commit_timestamp", TIMESTAMPTZ)], [when]


def _read_timestamp(s: Session) -> Answer:
    when = s.backend.last_read_timestamp if s.backend is not None else None
    return [("spanner.read_timestamp", TIMESTAMPTZ)], [when]


def _commit_response(s: Session) -> Answer:
    """PGAdapter's two columns; mutation_count is null unless the commit asked for commit
    stats (spanner.return_commit_stats)."""
    backend = s.backend
    row = (
        [None, None]
        if backend is None
        else [
            backend.last_commit_timestamp,
            backend.last_mutation_count,
        ]
    )
    return [("commit_timestamp", TIMESTAMPTZ), ("mutation_count", INT8)], row


# PGAdapter's read-only SHOW values that are facts of the session, not settings: each is null
# until the session has done what sets it (a read/write commit, a read-only read)
SESSION_STATE: dict[str, Callable[[Session], Answer]] = {
    "spanner.commit_timestamp": _commit_timestamp,
    "spanner.read_timestamp": _read_timestamp,
    "spanner.commit_response": _commit_response,
}


def show(settings: dict[str, str], name: str) -> LocalResult:
    """SHOW name | ALL | TRANSACTION ISOLATION LEVEL."""
    low = name.lower()
    if low == "all":
        rows = [[k, v, ""] for k, v in sorted(settings.items(), key=lambda kv: kv[0].lower())]
        return LocalResult([("name", TEXT), ("setting", TEXT), ("description", TEXT)], rows, "SHOW")
    if low in ("transaction isolation level", "transaction_isolation"):
        return LocalResult(
            [("transaction_isolation", TEXT)], [[settings["transaction_isolation"]]], "SHOW"
        )
    value = lookup_setting(settings, name)
    if value is None:
        raise PgError(f'unrecognized configuration parameter "{name}"', "42704")
    return LocalResult([(low, TEXT)], [[value]], "SHOW")
