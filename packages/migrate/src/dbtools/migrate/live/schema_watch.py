"""PostgreSQL: the migrated tables' definitions, read from the catalog, and what changed in them.

Logical decoding carries no DDL: pgoutput describes a table again only before its next row
change, and says nothing of indexes, constraints, NOT NULL or defaults. So the catalog is read
at the snapshot (kept in the checkpoint) and read again while streaming; a difference stops the
stream, naming each change. Each table's definition is a flat {"kind name": text} map, so that
a difference is a set difference and the checkpoint stores it as JSON.
"""

from __future__ import annotations

from typing import Any

Definition = dict[str, str]  # "column v" -> "integer", "index items_pkey" -> its CREATE ...

# one row per (table, entry): columns with their types, NOT NULL and defaults, indexes and
# constraints (with the server's own text for them), of the tables named "schema.table"
CATALOG_SQL = """
WITH t AS (
  SELECT c.oid, n.nspname || '.' || c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname || '.' || c.relname = ANY (%(names)s)
)
SELECT t.name, 'column ' || a.attname, format_type(a.atttypid, a.atttypmod)
FROM t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT t.name, 'not null ' || a.attname, 'NOT NULL'
FROM t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE a.attnotnull
UNION ALL
SELECT t.name, 'default ' || a.attname, pg_get_expr(d.adbin, d.adrelid)
FROM t JOIN pg_attrdef d ON d.adrelid = t.oid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.adnum AND NOT a.attisdropped
UNION ALL
SELECT t.name, 'index ' || i.relname, pg_get_indexdef(i.oid)
FROM t JOIN pg_index x ON x.indrelid = t.oid JOIN pg_class i ON i.oid = x.indexrelid
UNION ALL
SELECT t.name, 'constraint ' || k.conname, pg_get_constraintdef(k.oid)
FROM t JOIN pg_constraint k ON k.conrelid = t.oid
"""


def qualified(source_name: str) -> str:
    """migrate's name of a PostgreSQL table ("items", "sales.orders") -> "schema.table"."""
    return source_name if "." in source_name else f"public.{source_name}"


def read(cur: Any, tables: list[str]) -> dict[str, Definition]:
    """Each table's definition (by migrate's name), through a DB-API cursor; a table that is
    not there has none."""
    by_qualified = {qualified(t): t for t in tables}
    cur.execute(CATALOG_SQL, {"names": list(by_qualified)})
    out: dict[str, Definition] = {}
    for name, entry, text in cur.fetchall():
        out.setdefault(by_qualified[name], {})[entry] = text
    return out


KINDS = ("column", "not null", "default", "index", "constraint")  # the entries' kinds


def _split(key: str) -> tuple[str, str]:
    """An entry key -> (kind, name): `not null Odd Col` -> ("not null", "Odd Col")."""
    kind = next(k for k in KINDS if key.startswith(k + " "))
    return kind, key[len(kind) + 1 :]


def _columns(names: list[str], definition: Definition) -> str:
    return ", ".join(f"{n} ({definition[f'column {n}']})" for n in names)


def differences(before: dict[str, Definition], now: dict[str, Definition]) -> list[str]:
    """What changed in each table of `before`, one line per table, in words."""
    lines = []
    for table in sorted(before):
        old = before[table]
        new = now.get(table)
        if new is None:
            lines.append(f"table {table} is gone (dropped or renamed)")
            continue
        if old == new:
            continue
        parts = []
        cols_added = [_split(k)[1] for k in new if k not in old and _split(k)[0] == "column"]
        cols_gone = [_split(k)[1] for k in old if k not in new and _split(k)[0] == "column"]
        if cols_added:
            parts.append(f"new columns {_columns(cols_added, new)}")
        if cols_gone:
            parts.append(f"columns gone {', '.join(cols_gone)}")
        said = set(cols_added) | set(cols_gone)
        for key in sorted(set(old) | set(new)):
            kind, what = _split(key)
            if kind in ("column", "not null", "default") and what in said:
                continue  # the column's coming or going says it
            if key not in old:
                parts.append(f"new {key}: {new[key]}")
            elif key not in new:
                parts.append(f"{key} dropped (was {old[key]})")
            elif old[key] != new[key]:
                label = f"column {what} type" if kind == "column" else key
                parts.append(f"{label} {old[key]} -> {new[key]}")
        lines.append(f"table {table}: " + "; ".join(parts))
    return lines
