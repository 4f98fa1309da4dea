"""Empty statements, statements PostgreSQL clients send that have nothing to do on Spanner
(LISTEN, VACUUM...), and statements pgadapter does not support."""

from __future__ import annotations

import re

from .. import protocol as p
from ..classify import STATEMENT_WORDS
from ..errors import FeatureNotSupported, PgError
from ..lexer import code_only
from ..portal import Portal
from ..session import Session


async def run_empty(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    s.send(p.EMPTY_QUERY)


async def run_noop(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    s.send(p.command_complete(portal.prepared.stmt.tag))


_FIRST_TOKEN = re.compile(r"[^\s(]+")


async def run_unsupported(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    stmt = portal.prepared.stmt
    if stmt.tag not in STATEMENT_WORDS:
        # not a statement PostgreSQL knows (a typo such as `selec 1`): its parser's error
        token = _FIRST_TOKEN.search(code_only(stmt.sql))
        near = token.group(0) if token else stmt.tag
        raise PgError(f'syntax error at or near "{near}"', "42601")
    raise FeatureNotSupported(
        f"{portal.prepared.stmt.tag} is not supported by pgadapter",
        hint="Spanner supports queries, DML, DDL and transaction control.",
    )
