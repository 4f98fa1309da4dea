"""Pairing source and target tables by name (`dvt find-tables`). Pure."""

from __future__ import annotations

import re


def _keys(name: str) -> list[str]:
    """Names a migrated table may carry, most exact first."""
    low = name.lower()
    schema, dot, table = low.rpartition(".")
    out = [low, table] if dot else [low]
    if dot and schema not in ("public", "main", "dbo"):
        out.insert(1, f"{schema}_{table}")  # schemas other than the default flattened
    out += [re.sub(r"[^a-z0-9]", "_", k) for k in out]
    out += [k.rstrip("_") for k in out]  # reserved words renamed with a trailing `_`
    return list(dict.fromkeys(out))


def match_tables(
    source: list[str], target: list[str]
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(pairs, source tables without a match, target tables without a match)."""
    by_key: dict[str, str] = {}
    for t in target:
        for k in reversed(_keys(t)):  # exact spellings win over derived ones
            by_key[k] = t
    pairs, used = [], set()
    src_only = []
    for s in source:
        hit = next((by_key[k] for k in _keys(s) if k in by_key and by_key[k] not in used), None)
        if hit is None:
            src_only.append(s)
            continue
        used.add(hit)
        pairs.append((s, hit))
    return pairs, src_only, [t for t in target if t not in used]
