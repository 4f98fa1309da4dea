"""DML, TRUNCATE and DDL.

DML runs in the explicit transaction or an implicit one that Sync (or the end of a simple
query) commits; with spanner.autocommit_dml_mode PARTITIONED_NON_ATOMIC, autocommit DML is
partitioned DML. TRUNCATE is a DELETE of every row, as in PGAdapter. DDL goes through
UpdateDatabaseDdl, never inside a Spanner transaction; what happens to an open transaction
depends on spanner.ddl_transaction_mode, as in PGAdapter.
"""

from __future__ import annotations

from functools import partial

from .. import protocol as p
from ..classify import Statement
from ..commands import Truncate
from ..ddl_translate import ForeignKey, translate_ddl
from ..errors import PgError
from ..jdbc_catalog import FOREIGN_KEYS_SQL
from ..portal import Portal, dml_tag, fields
from ..session import Session
from .queries import open_dml, send_rows


async def run_dml(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    stmt = portal.prepared.stmt
    backend = s.require_backend()
    if (
        portal.cursor is None
        and not stmt.returning
        and s.status == "I"
        and not backend.in_transaction
        and s.settings.get("spanner.autocommit_dml_mode") == "PARTITIONED_NON_ATOMIC"
    ):
        sql, params, types = stmt.sql, portal.params or None, portal.types or None
        with s.statement_tag(sql):
            count = await s.run_blocking(lambda: backend.partitioned_dml(sql, params, types))
        s.send(p.command_complete(dml_tag(stmt.tag, count)))
        return
    if portal.cursor is None:
        await open_dml(s, portal)
    cursor = portal.cursor
    assert cursor is not None
    if stmt.returning:
        if describe:
            cols = cursor.columns or []
            s.send(p.row_description(fields(cols), [0] * len(cols)))
        await send_rows(s, portal, max_rows, stmt.tag)
        return
    await s.run_blocking(lambda: cursor.fetch(0))
    s.send(p.command_complete(dml_tag(stmt.tag, cursor.row_count or 0)))


async def run_truncate(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    tables = portal.prepared.stmt.command(Truncate).tables
    backend = s.require_backend()
    s.ensure_write_transaction()
    for table in tables:
        delete = partial(backend.execute_dml, f"DELETE FROM {table}", None, None)
        cursor = await s.run_blocking(delete)
        await s.run_blocking(partial(cursor.fetch, 0))
    s.send(p.command_complete("TRUNCATE TABLE"))


async def run_ddl(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    await ddl(s, [portal.prepared.stmt])


async def ddl(s: Session, statements: list[Statement], complete: bool = True) -> None:
    """Send DDL statements to Spanner as one batch (`complete`: answer CommandComplete for
    each; RUN BATCH answers once for all)."""
    backend = s.require_backend()
    mode = s.ddl_mode
    if mode == "single" and len(statements) > 1:
        raise PgError(
            "DDL batches are not allowed when spanner.ddl_transaction_mode is 'single'",
            "25001",
            hint="Send one DDL statement at a time, or SET spanner.ddl_transaction_mode = 'batch'.",
        )
    if s.status == "T":
        empty = not backend.in_transaction or not backend.has_statements
        if mode == "autocommit_explicit_transaction":
            await s.run_blocking(backend.commit)
            s.status = "I"
            s.end_block(committed=True)
        elif not empty or mode == "single":
            raise PgError(
                "DDL statements are not allowed in a transaction block that has executed "
                "other statements: Spanner cannot run DDL in a transaction",
                "25001",
                hint="Run the DDL outside the transaction, or SET "
                "spanner.ddl_transaction_mode = 'autocommit_explicit_transaction'.",
            )
    elif s.implicit and backend.in_transaction:
        if mode in ("single", "batch"):
            raise PgError(
                "DDL statements cannot be mixed with DML in one batch",
                "25001",
                hint="Send the DDL separately, or SET spanner.ddl_transaction_mode = "
                "'autocommit_implicit_transaction'.",
            )
        s.implicit = False
        await s.run_blocking(backend.commit)

    def foreign_keys() -> list[ForeignKey]:
        rows = backend.read_outside(FOREIGN_KEYS_SQL)
        return [ForeignKey(str(r[1]), str(r[2]), str(r[6])) for r in rows if r[0] == "public"]

    def send() -> None:
        sqls = [
            sql
            for stmt in statements
            for sql in translate_ddl(stmt.sql, s.catalog_snapshot, foreign_keys)
        ]
        backend.ddl(sqls)

    try:
        await s.run_blocking(send)
    finally:
        s.schema_changed()
    if complete:
        for stmt in statements:
            s.send(p.command_complete(stmt.tag))
