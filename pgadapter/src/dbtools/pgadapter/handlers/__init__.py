"""Statement handlers, one module per family of statement kinds, dispatched by kind.

Every handler has the `session.Handler` signature: it takes the session, the portal to run
(its prepared statement carries the classified `Statement`, with the arguments its kind needs),
Execute's row limit, and whether a RowDescription must precede the rows.
"""

from __future__ import annotations

from collections.abc import Awaitable

from ..classify import Kind
from ..portal import Portal, aborted
from ..session import Handler, Session
from .batches import add_to_batch, run_abort_batch, run_run_batch, run_start_batch
from .copy import run_copy
from .cursors import run_close, run_declare, run_fetch
from .housekeeping import run_empty, run_noop, run_unsupported
from .prepared import run_deallocate, run_execute, run_prepare
from .queries import run_query
from .settings import run_discard, run_reset, run_set
from .transactions import run_savepoint, run_transaction_control
from .writes import run_ddl, run_dml, run_truncate

HANDLERS: dict[Kind, Handler] = {
    Kind.QUERY: run_query,
    Kind.SHOW: run_query,
    Kind.DML: run_dml,
    Kind.DDL: run_ddl,
    Kind.TRUNCATE: run_truncate,
    Kind.BEGIN: run_transaction_control,
    Kind.COMMIT: run_transaction_control,
    Kind.ROLLBACK: run_transaction_control,
    Kind.SAVEPOINT: run_savepoint,
    Kind.RELEASE: run_savepoint,
    Kind.ROLLBACK_TO: run_savepoint,
    Kind.SET: run_set,
    Kind.RESET: run_reset,
    Kind.DISCARD: run_discard,
    Kind.COPY: run_copy,
    Kind.START_BATCH: run_start_batch,
    Kind.RUN_BATCH: run_run_batch,
    Kind.ABORT_BATCH: run_abort_batch,
    Kind.PREPARE: run_prepare,
    Kind.EXECUTE: run_execute,
    Kind.DEALLOCATE: run_deallocate,
    Kind.DECLARE: run_declare,
    Kind.FETCH: run_fetch,
    Kind.CLOSE: run_close,
    Kind.EMPTY: run_empty,
    Kind.NOOP: run_noop,
    Kind.UNSUPPORTED: run_unsupported,
    Kind.PARTITIONED: run_query,
}

# kinds that run in a failed transaction block (they end it)
ENDS_FAILED_BLOCK = frozenset({Kind.COMMIT, Kind.ROLLBACK, Kind.ROLLBACK_TO})
# kinds that run at once while a START BATCH is active (others are offered to the batch)
NOT_BATCHED = frozenset(
    {
        Kind.EMPTY,
        Kind.BEGIN,
        Kind.COMMIT,
        Kind.ROLLBACK,
        Kind.SAVEPOINT,
        Kind.RELEASE,
        Kind.ROLLBACK_TO,
        Kind.START_BATCH,
        Kind.RUN_BATCH,
        Kind.ABORT_BATCH,
    }
)


def run(s: Session, portal: Portal, max_rows: int, describe: bool) -> Awaitable[None]:
    """Run a statement by the handler of its kind. Not a coroutine itself but the handler's:
    every coroutine on the await chain is resumed at each event loop turn of the statement's
    Spanner call, so one level less is paid at each."""
    kind = portal.prepared.stmt.kind
    if s.status == "E" and kind not in ENDS_FAILED_BLOCK:
        raise aborted()
    if s.batch is not None and kind not in NOT_BATCHED and add_to_batch(s, portal):
        return _batched()
    return HANDLERS[kind](s, portal, max_rows, describe)


async def _batched() -> None:
    """A statement that joined the open batch: nothing runs now."""


__all__ = ["HANDLERS", "run"]
