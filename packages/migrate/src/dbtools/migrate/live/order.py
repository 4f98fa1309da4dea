"""The order of the mutations of one Spanner commit (pure: no I/O).

A commit holds changes folded per key, one mutation per row. Spanner checks foreign keys when
a commit ends, but a child row of an interleaved table needs its parent already written, and a
source transaction too big for one commit is written in several: every commit then has to leave
the target with no child row missing its parent. Changes are therefore written in phases:

1. truncations, children's tables first;
2. inserts and updates, parents' tables first (a row's parent is either untouched or written
   in this phase before it: the source's state at the transaction's end has every parent);
3. deletes, children's tables first (a row deleted has no child left at the end, and the
   children being deleted go before it).

Within a table and a phase, the source's order is kept. Any prefix of this order, cut at a
commit, leaves every remaining child with its parent. Self-references and cycles add no rank
(the source's order decides between rows of such tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

PHASE = {"truncate": 0, "upsert": 1, "delete": 2}


def parent_ranks(parents: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Table -> its depth below the tables it references or is interleaved in (0: none)."""
    ranks: dict[str, int] = {}

    def rank(table: str, seen: frozenset[str]) -> int:
        if table in ranks:
            return ranks[table]
        seen = seen | {table}
        above = [rank(p, seen) for p in parents.get(table, ()) if p not in seen]
        ranks[table] = 1 + max(above) if above else 0
        return ranks[table]

    for table in parents:
        rank(table, frozenset())
    return ranks


def target_parents(targets: Iterable[Any]) -> dict[str, set[str]]:
    """Spanner table -> the tables its foreign keys reference and its interleave parent."""
    return {
        t.name: {fk.ref_table for fk in t.foreign_keys} | ({t.parent} if t.parent else set())
        for t in targets
    }


def write_order(
    entries: Iterable[tuple[tuple[str, Any], T]],
    op_of: Any,
    ranks: Mapping[str, int],
) -> list[tuple[tuple[str, Any], T]]:
    """`entries` ((table, key), entry) in the phase order above; `op_of(entry)` is its
    operation ("truncate", "upsert" or "delete")."""

    def order(item: tuple[tuple[str, Any], T]) -> tuple[int, int]:
        op = op_of(item[1])
        r = ranks.get(item[0][0], 0)
        return PHASE[op], (r if op == "upsert" else -r)

    return sorted(entries, key=order)  # stable: the source's order within a table and phase
