"""Empty statements, statements PostgreSQL clients send that have nothing to do on Spanner
(LISTEN, VACUUM...), and statements pgadapter does not support."""

from __future__ import annotations

from .. import protocol as p
from ..errors import FeatureNotSupported
from ..portal import Portal
from ..session import Session


async def run_empty(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    s.send(p.EMPTY_QUERY)


async def run_noop(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    s.send(p.command_complete(portal.prepared.stmt.tag))


async def run_unsupported(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    raise FeatureNotSupported(
        f"{portal.prepared.stmt.tag} is not supported by pgadapter",
        hint="Spanner supports queries, DML, DDL and transaction control.",
    )
