"""PostgreSQL partitions merged into their parent, keeping what Spanner can keep.

Spanner splits a table by key on its own, so a partitioned table becomes one table. What the
partitions carry on their own (pg_dump writes a partition's primary key, indexes, CHECKs and foreign
keys on the partition when the parent has none) is carried over to the merged table when every
partition has it; otherwise it is listed, with the reason, in the parent's `partition_notes`
(the conversion turns each into an issue).

A primary key of the partitions is unique only inside each partition: the merged key is that
key joined with the partition key columns it lacks, which is what PostgreSQL itself demands of
a key on the partitioned table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .model import Check, ForeignKey, Index, Table

KEPT, LOST = "partition_object_kept", "partition_object_lost"
_PLAIN_KEY = re.compile(r'^\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*$')


def partition_key_columns(parent: Table) -> list[str] | None:
    """The columns of `PARTITION BY kind (a, b)`; None when a key part is an expression."""
    for opt in parent.options:
        if not opt.upper().startswith("PARTITION BY "):
            continue
        inner = opt[opt.index("(") + 1 : opt.rindex(")")] if "(" in opt else ""
        parts = inner.split(",") if inner else []
        if not parts or not all(_PLAIN_KEY.match(p) for p in parts):
            return None
        return [p.strip().strip('"').replace('""', '"') for p in parts]
    return None


def _index_sig(ix: Index) -> Hashable:
    keys = tuple((k.column, k.desc, k.prefix, k.expression) for k in ix.keys)
    return (keys, ix.unique, ix.kind, ix.where, tuple(ix.include))


def _fk_sig(fk: ForeignKey) -> Hashable:
    return (tuple(fk.columns), fk.ref_table, tuple(fk.ref_columns), fk.on_delete, fk.on_update)


def _cols(names: Sequence[str | None]) -> str:
    return ", ".join(n or "(expression)" for n in names)


def merge(parent: Table, parts: list[Table]) -> None:
    """Carry the partitions' own keys, indexes and foreign keys over to `parent` (in place);
    every one not carried over is noted with the reason."""
    if not parts:
        return
    notes = parent.partition_notes
    names = [p.name for p in parts]
    every = f"all {len(parts)} partitions" if len(parts) > 1 else f"partition {names[0]}"
    key_cols = partition_key_columns(parent)
    _merge_primary_key(parent, parts, key_cols, every, notes)
    _merge_objects(
        parent,
        parts,
        lambda t: t.indexes,
        _index_sig,
        lambda ix: _add_index(parent, ix, key_cols, every, notes),
        "index",
        lambda ix: f"{ix.name} ({_cols([k.column for k in ix.keys])})",
        notes,
    )
    _merge_objects(
        parent,
        parts,
        lambda t: t.checks,
        lambda c: c.expression,
        lambda c: _add_check(parent, c, every, notes),
        "CHECK",
        lambda c: c.name,  # (the expression's text differs between a dump and a live read)
        notes,
    )
    _merge_objects(
        parent,
        parts,
        lambda t: t.foreign_keys,
        _fk_sig,
        lambda fk: _add_fk(parent, fk, every, notes),
        "foreign key",
        lambda fk: f"{fk.name} ({_cols(list(fk.columns))}) -> {fk.ref_table}",
        notes,
    )


def _merge_primary_key(
    parent: Table,
    parts: list[Table],
    key_cols: list[str] | None,
    every: str,
    notes: list[list[str]],
) -> None:
    keys = {tuple(p.primary_key) for p in parts}
    if parent.primary_key:
        odd = [p.name for p in parts if p.primary_key and p.primary_key != parent.primary_key]
        if odd:
            notes.append(
                [
                    LOST,
                    f"the primary keys of partitions {', '.join(odd)} differ from the table's "
                    f"({_cols(list(parent.primary_key))}); the table's is used",
                ]
            )
        return
    missing = [p.name for p in parts if not p.primary_key]
    if missing or len(keys) != 1:
        detail = (
            f"partitions {', '.join(missing)} have none"
            if missing
            else "the partitions have different ones: "
            + "; ".join(f"{p.name} ({_cols(list(p.primary_key))})" for p in parts)
        )
        notes.append([LOST, f"no primary key taken from the partitions: {detail}"])
        return
    (pk,) = keys
    if key_cols is None:
        notes.append(
            [
                LOST,
                f"the primary key ({_cols(list(pk))}) of {every} is not used: the partition key "
                "is an expression, so the key may repeat across partitions",
            ]
        )
        return
    added = [c for c in key_cols if c not in pk]
    parent.primary_key = [*pk, *added]
    parent.pk_desc = [False] * len(parent.primary_key)
    for name in parent.primary_key:
        col = parent.column(name)
        if col is not None:
            col.not_null = True
    joined = (
        f", joined with the partition key column(s) {_cols(list(added))} (the partitions' key "
        "is unique only inside each partition)"
        if added
        else ""
    )
    notes.append([KEPT, f"primary key ({_cols(parent.primary_key)}) taken from {every}{joined}"])


def _merge_objects(
    parent: Table,
    parts: list[Table],
    items: Callable[[Table], list[Any]],
    sig: Callable[[Any], Hashable],
    add: Callable[[Any], None],
    kind: str,
    show: Callable[[Any], str],
    notes: list[list[str]],
) -> None:
    have = {sig(x) for x in items(parent)}
    seen: dict[Hashable, list[tuple[str, Any]]] = {}
    for p in parts:
        for x in items(p):
            seen.setdefault(sig(x), []).append((p.name, x))
    # in name order: a dump and a live read list them in different orders
    for s, found in sorted(seen.items(), key=lambda kv: show(kv[1][0][1])):
        if s in have:
            continue  # the parent's own (pg_dump repeats attached indexes on each partition)
        if len({name for name, _ in found}) == len(parts):
            add(found[0][1])
        else:
            where = ", ".join(f"{show(x)} on {name}" for name, x in found)
            notes.append(
                [LOST, f"{kind} {where} not migrated: not on every partition of the table"]
            )


def _add_index(
    parent: Table, ix: Index, key_cols: list[str] | None, every: str, notes: list[list[str]]
) -> None:
    cols = [k.column for k in ix.keys]
    unique = ix.unique
    why = ""
    if unique and (key_cols is None or not set(key_cols) <= set(cols)):
        unique = False  # unique per partition is not unique in the merged table
        why = (
            " (not UNIQUE: it was unique only inside each partition, as it lacks the partition key)"
        )
    stem = "_".join(c or "expr" for c in cols)
    name = f"{parent.name}_{stem}_{'key' if unique else 'idx'}"
    parent.indexes.append(Index(name, list(ix.keys), unique, ix.kind, ix.where, list(ix.include)))
    notes.append(
        [
            LOST if why else KEPT,
            f"index {name} ({_cols(cols)}) made from the same index on {every} ({ix.name} ...)"
            + why,
        ]
    )


def _add_check(parent: Table, check: Check, every: str, notes: list[list[str]]) -> None:
    name = f"{parent.name}_{check.name}"
    parent.checks.append(Check(name, check.expression))
    notes.append([KEPT, f"CHECK {name} made from the same CHECK on {every} ({check.name} ...)"])


def _add_fk(parent: Table, fk: ForeignKey, every: str, notes: list[list[str]]) -> None:
    name = f"{parent.name}_{'_'.join(fk.columns)}_fkey"
    parent.foreign_keys.append(
        ForeignKey(
            name, list(fk.columns), fk.ref_table, list(fk.ref_columns), fk.on_delete, fk.on_update
        )
    )
    notes.append(
        [
            KEPT,
            f"foreign key {name} ({_cols(list(fk.columns))}) -> {fk.ref_table} made from the "
            f"same foreign key on {every} ({fk.name} ...)",
        ]
    )
