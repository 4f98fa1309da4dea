"""SQL-level PREPARE, EXECUTE and DEALLOCATE (the protocol's Parse/Bind/Close are the
connection's). EXECUTE substitutes its arguments, cast to the declared types, for the $n
placeholders and runs the result as a statement of its own."""

from __future__ import annotations

from .. import protocol as p
from ..classify import classify
from ..commands import Deallocate, Execute, Prepare
from ..errors import PgError
from ..lexer import MAX_PARAMETERS, check_parameter_count, substitute_params
from ..portal import Portal, Prepared
from ..session import Session
from ..types import ARRAY_ELEMENT, BY_OID, format_type


async def run_prepare(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    stmt = portal.prepared.stmt
    command = stmt.command(Prepare)
    inner = stmt.inner
    assert inner is not None
    if command.name in s.statements:
        raise PgError(f'prepared statement "{command.name}" already exists', "42P05")
    oids = list(command.type_oids)
    if len(oids) > MAX_PARAMETERS:
        raise PgError(f"too many parameter types in PREPARE (at most {MAX_PARAMETERS})", "54023")
    count = max(check_parameter_count(inner.sql), len(oids))
    oids += [0] * (count - len(oids))
    s.statements[command.name] = Prepared(command.name, inner, oids)
    s.send(p.command_complete("PREPARE"))


async def run_execute(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    command = portal.prepared.stmt.command(Execute)
    prep = s.statements.get(command.name)
    if prep is None:
        raise PgError(f'prepared statement "{command.name}" does not exist', "26000")
    if len(command.args) != len(prep.param_oids):
        raise PgError(
            f'wrong number of parameters for prepared statement "{command.name}"',
            "42601",
            detail=f"Expected {len(prep.param_oids)} parameters but got {len(command.args)}.",
        )
    values = []
    for arg, oid in zip(command.args, prep.param_oids, strict=True):
        known = oid in BY_OID or oid in ARRAY_ELEMENT
        values.append(f"({arg})::{format_type(oid)}" if known else f"({arg})")
    sql = substitute_params(prep.stmt.sql, values)
    await s.run_portal(Portal.of(classify(sql)), max_rows, describe=describe)


async def run_deallocate(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    stmt = portal.prepared.stmt
    command = stmt.command(Deallocate)
    if command.all:
        s.statements = {k: v for k, v in s.statements.items() if k == ""}
    elif command.name is not None:
        name = command.name
        if s.statements.pop(name, None) is None and name.lower() not in s.statements:
            raise PgError(f'prepared statement "{name}" does not exist', "26000")
        s.statements.pop(name.lower(), None)
    s.send(p.command_complete(stmt.tag))
