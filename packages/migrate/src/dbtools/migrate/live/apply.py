"""Source changes -> Spanner mutations, committed together with the checkpoint.

Changes are applied in source commit order. Changes are folded per key (the last change of a
key wins: every change carries the full new row, or is a delete), so a commit holds one
mutation per row it touches, written in the order of `order` (parents before children, deletes
children first). A commit is cut at a source transaction's end, when the next transaction would
not fit in the mutation budget with it (index entries counted, as the bulk loader counts them)
or when `interval` seconds have passed: a source transaction that fits in the budget is never
split, so every commit leaves the target as the source was at some transaction's end.

The checkpoint in each commit names the end of the last source transaction wholly inside the
data written so far. A source transaction bigger than one commit is split: the commits before
its end carry the previous position, so a restart replays that transaction from its start;
its replayed changes are full images and deletes by key, so the result is the same. When the
target has foreign keys or interleaved tables, such a transaction is held in memory until its
end and its commits follow `order`, so that none leaves a child row without its parent (memory
grows with the largest such transaction). Without them it is written in pieces as it comes,
and memory stays bounded by the budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..errors import MigrateError
from ..loadplan import TablePlan
from ..values import BadValue
from . import checkpoint
from .changes import Commit, RowChange, Truncate
from .checkpoint import State
from .order import parent_ranks, target_parents, write_order

_ALL = ("*all*",)  # the pending-map key of a table's truncation
Key = tuple[str, tuple[Any, ...]]  # (Spanner table, primary key)
Entry = tuple[str, list[Any] | None, int]  # (operation, the row of an upsert, mutations it costs)


def _op(entry: Entry) -> str:
    return entry[0]


class LiveError(MigrateError):
    """The live migration cannot go on (a value that does not convert, a DDL change, ...)."""


class Applier:
    def __init__(
        self,
        database: Any,
        plans: dict[str, TablePlan],
        stream: str,
        state: State,
        *,
        batch_mutations: int = 20_000,
        interval: float = 0.2,
        on_commit: Callable[[State, int], None] | None = None,
    ) -> None:
        self.database = database
        self.plans = plans
        self.stream = stream
        self.state = state  # as of the last source commit taken in (not yet necessarily written)
        self.written = state.copy()  # as of the last Spanner commit
        self.batch_mutations = batch_mutations
        self.interval = interval
        self.on_commit = on_commit
        self.pending: dict[Key, Entry] = {}  # whole source transactions, folded per key
        self.cost = 0
        self.open: dict[Key, Entry] = {}  # the open source transaction, folded per key
        self.open_cost = 0
        self.txn: list[tuple[str, str]] = []  # (table, op) of the open source transaction
        self.ranks = parent_ranks(target_parents(p.target for p in plans.values()))
        self.ordered = any(self.ranks.values())  # foreign keys or interleaving in the target
        self.dirty = False
        self.last_commit = time.monotonic()
        self._keys = {name: self._key_converters(plan) for name, plan in plans.items()}

    @staticmethod
    def _key_converters(plan: TablePlan) -> list[tuple[str, Callable[[Any], Any]]]:
        by_source = {c.source: c.convert for c in plan.columns}
        return [(k, by_source[k]) for k in plan.key]

    # -- changes in --------------------------------------------------------------------------
    def row(self, change: RowChange) -> None:
        plan = self.plans.get(change.table)
        if plan is None:
            return  # a table the migration does not carry
        target = plan.target.name
        self._same_columns(plan, change)
        if change.op == "delete":
            assert change.before is not None
            self._put(plan, (target, self._key(change.table, change.before)), ("delete", None))
        else:
            assert change.after is not None
            new_key = self._key(change.table, change.after)
            if change.op == "update" and change.before is not None:
                old_key = self._key(change.table, change.before)
                if old_key != new_key:  # a primary-key change: the old row goes
                    self._put(plan, (target, old_key), ("delete", None))
            self._put(plan, (target, new_key), ("upsert", self._convert(plan, change.after)))
        self.txn.append((change.table, change.op))

    def truncate(self, change: Truncate) -> None:
        plan = self.plans.get(change.table)
        if plan is None:
            return
        target = plan.target.name
        for key in [k for k in self.open if k[0] == target]:  # rows it wipes out
            self.open_cost -= self.open.pop(key)[2]
        self._put(plan, (target, _ALL), ("truncate", None), cost=1)
        self.txn.append((change.table, "truncate"))

    def commit(self, end: Commit) -> None:
        for table, op in self.txn:
            self.state.count(table, op)
        self.txn = []
        if self.pending and self.cost + self.open_cost > self.batch_mutations:
            self._flush()  # the transactions before, so that this one has a commit of its own
        if self.open_cost > self.batch_mutations:
            self._write_split()
        else:
            self._close_open()
        self.state.position = end.position
        self.state.source_time = end.source_time
        self.dirty = True
        if (
            self.cost >= self.batch_mutations
            or time.monotonic() - self.last_commit >= self.interval
        ):
            self._flush()

    def idle(self, position: str | None) -> None:
        """Between transactions with nothing more to read for now: write what is pending."""
        if position is not None and position != self.state.position:
            self.state.position = position
            self.dirty = True
        if self.dirty or self.pending:
            self._flush()

    def flush(self) -> None:
        if self.dirty or self.pending:
            self._flush()

    @staticmethod
    def _same_columns(plan: TablePlan, change: RowChange) -> None:
        """A row image with other columns than the migrated table's means its schema changed
        at the source (logical decoding carries no DDL: the rows are where it shows)."""
        known = plan.positions.keys()
        for image in (change.before, change.after):
            if image is None:
                continue
            added = [c for c in image if c not in known]
            dropped = [c for c in known if c not in image] if image is change.after else []
            if added or dropped:
                what = "; ".join(
                    part
                    for part in (
                        f"new columns {', '.join(added)}" if added else "",
                        f"columns gone {', '.join(dropped)}" if dropped else "",
                    )
                    if part
                )
                raise LiveError(
                    f"the source's schema changed: table {change.table} has {what}; the stream "
                    "stopped before this change (everything before is applied). Change the "
                    "Spanner schema to match, then migrate again from a fresh target"
                )

    # -- conversion ----------------------------------------------------------------------------
    def _key(self, table: str, row: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, convert in self._keys[table]:
            value = row.get(name)
            if value is None:
                raise LiveError(f"table {table}: a change has no value for key column {name}")
            out.append(self._value(table, name, value, convert, row))
        return tuple(out)

    def _convert(self, plan: TablePlan, row: dict[str, Any]) -> list[Any]:
        out = []
        for col in plan.columns:
            value = row.get(col.source)
            out.append(
                None
                if value is None
                else self._value(plan.source.name, col.source, value, col.convert, row)
            )
        return out

    def _value(
        self,
        table: str,
        column: str,
        value: Any,
        convert: Callable[[Any], Any],
        row: dict[str, Any],
    ) -> Any:
        try:
            return convert(value)
        except BadValue as exc:
            key = {k: row.get(k) for k, _ in self._keys[table]}
            raise LiveError(
                f"table {table}, key {key}: column {column} value {value!r} does not convert "
                f"({exc}); the stream stopped at {self.written.position}, nothing after it applied"
            ) from None

    # -- writing -------------------------------------------------------------------------------
    def _put(
        self, plan: TablePlan, key: Key, what: tuple[str, Any], cost: int | None = None
    ) -> None:
        old = self.open.pop(key, None)  # re-added at the end: a row's last change decides
        entry = (what[0], what[1], plan.mutations_per_row if cost is None else cost)
        self.open[key] = entry
        self.open_cost += entry[2] - (old[2] if old else 0)
        if self.open_cost >= self.batch_mutations and not self.ordered:
            # no order to keep between tables: written in pieces, each with the checkpoint
            # before this transaction (a restart replays it whole)
            if self.pending:
                self._flush()
            self._close_open()
            self._flush()

    def _close_open(self) -> None:
        """The open transaction's changes join the pending ones, after them."""
        truncated = {table for table, key in self.open if key == _ALL}
        for key in [k for k in self.pending if k[0] in truncated]:  # wiped out by it
            self.cost -= self.pending.pop(key)[2]
        for key, entry in self.open.items():
            old = self.pending.pop(key, None)
            self.cost += entry[2] - (old[2] if old else 0)
            self.pending[key] = entry
        self.open = {}
        self.open_cost = 0

    def _write_split(self) -> None:
        """The open transaction, too big for one commit, in commits that each leave every child
        row with its parent; each carries the position before it (a restart replays it)."""
        chunk: list[tuple[Key, Entry]] = []
        size = 0
        for item in write_order(self.open.items(), _op, self.ranks):
            if chunk and size + item[1][2] > self.batch_mutations:
                self._commit_entries(chunk, self.written)
                chunk, size = [], 0
            chunk.append(item)
            size += item[1][2]
        if chunk:
            self._commit_entries(chunk, self.written)
        self.open = {}
        self.open_cost = 0

    def _flush(self) -> None:
        # commit() folds a transaction into `state` at its end, so `state` is always the end of
        # the last whole source transaction, also while one is open (its rows are apart)
        boundary = self.state.copy()
        self._commit_entries(write_order(self.pending.items(), _op, self.ranks), boundary)
        self.pending = {}
        self.cost = 0
        self.written = boundary
        self.dirty = False

    def _commit_entries(self, entries: list[tuple[Key, Entry]], boundary: State) -> None:
        """One Spanner commit: these changes in this order, and the checkpoint `boundary`."""
        from google.cloud.spanner_v1 import KeySet

        groups: list[tuple[str, str, list[Any]]] = []
        for (table, key), (op, row, _cost) in entries:
            item = row if op == "upsert" else list(key)
            if groups and groups[-1][0] == table and groups[-1][1] == op and op != "truncate":
                groups[-1][2].append(item)
            else:
                groups.append((table, op, [item]))
        columns = {p.target.name: self._target_columns(p) for p in self.plans.values()}

        def write(batch: Any) -> None:
            for table, op, items in groups:
                if op == "upsert":
                    batch.insert_or_update(table, columns[table], items)
                elif op == "delete":
                    batch.delete(table, KeySet(keys=items))
                else:
                    batch.delete(table, KeySet(all_=True))
            checkpoint.write(batch, self.stream, boundary)

        commit_atomically(self.database, write)
        self.last_commit = time.monotonic()
        if self.on_commit is not None:
            self.on_commit(boundary, len(entries))

    @staticmethod
    def _target_columns(plan: TablePlan) -> list[str]:
        return [c.target for c in plan.columns]


_RETRIES = 5


def commit_atomically(database: Any, write: Callable[[Any], None]) -> None:
    """One atomic commit (a blind-write batch), retried on the errors a retry can cure."""
    from google.api_core import exceptions as gexc

    for attempt in range(_RETRIES):
        try:
            with database.batch() as batch:
                write(batch)
            return
        except (gexc.Aborted, gexc.ServiceUnavailable, gexc.DeadlineExceeded):
            if attempt == _RETRIES - 1:
                raise
            time.sleep(0.1 * 2**attempt)
