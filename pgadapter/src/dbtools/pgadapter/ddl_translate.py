"""PostgreSQL DDL that ORMs send, in the form Spanner accepts, where the meaning is the same:

- `DROP TABLE t` drops t's indexes with it in PostgreSQL; Spanner refuses to drop a table that
  has indexes, so their DROP INDEX go first (SQLAlchemy's drop_all, Django's delete_model);
- `DROP TABLE t CASCADE` also drops the foreign keys of other tables that reference t (Spanner
  has no CASCADE); views depending on t are not dropped: Spanner then refuses, naming them;
- `DROP VIEW v CASCADE` (TypeORM's dropDatabase) drops v and the views depending on it;
  Spanner has no CASCADE but refuses to drop a view others depend on, naming them, so the
  statement is sent without it: it does the same or fails saying why;
- `CONSTRAINT t_pkey PRIMARY KEY (...)` (Knex) and `CONSTRAINT pk_t PRIMARY KEY (...)`
  (PGAdapter's rule, which TypeORM entities and Liquibase change sets follow with
  `PK_<table>`) name the primary key what it is called anyway, and Spanner takes no name
  there: the name is dropped only when it is one of those two (case-insensitive, like
  PGAdapter); any other name goes to Spanner, which refuses it;
- `text array`, the SQL standard's spelling of `text[]` (TypeORM), in CREATE/ALTER TABLE;
- operator classes `varchar_pattern_ops`/`text_pattern_ops` in CREATE INDEX (Django, for
  LIKE 'x%'): Spanner has no operator classes, and its indexes are plain ordered keys.

Everything else is sent unchanged. Pure: the catalog and foreign keys are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .catalog import Catalog
from .commands import fold_name


@dataclass(frozen=True)
class ForeignKey:
    table: str  # the referencing table (schema public)
    name: str
    referenced: str


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_DROP_TABLE = re.compile(
    rf"(?is)^\s*DROP\s+TABLE\s+(IF\s+EXISTS\s+)?((?:{_IDENT}\.)?{_IDENT}"
    rf"(?:\s*,\s*(?:{_IDENT}\.)?{_IDENT})*)\s*(CASCADE|RESTRICT)?\s*;?\s*$"
)
_DROP_VIEW = re.compile(
    rf"(?is)^(\s*DROP\s+VIEW\s+(?:IF\s+EXISTS\s+)?(?:{_IDENT}\.)?{_IDENT})"
    rf"\s+(?:CASCADE|RESTRICT)\s*(;?)\s*$"
)
_PATTERN_OPS = re.compile(r"(?i)\s+(?:varchar|text|bpchar)_pattern_ops\b")
_NAMED_PK = re.compile(rf"(?is)\bCONSTRAINT\s+({_IDENT})\s+(PRIMARY\s+KEY)\b")
# `<type> ARRAY` as a column type: after a type word or its (length), before the column's end
# or its constraints
_ARRAY_WORD = re.compile(
    r"(?i)(?<=[\w)])\s+ARRAY\b(?!\s*\[)(?=\s*[,)]|\s+(?:NOT|NULL|DEFAULT|PRIMARY|UNIQUE|"
    r"CHECK|REFERENCES|CONSTRAINT|GENERATED)\b|\s*$)"
)
_CREATE_TABLE = re.compile(
    rf"(?is)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:{_IDENT}\s*\.\s*)?({_IDENT})"
)


def _split_names(text: str) -> list[tuple[str, str]]:
    """`a, public."B"` → [("public", "a"), ("public", "B")]."""
    out = []
    for part in re.findall(rf"(?:{_IDENT}\.)?{_IDENT}", text):
        pieces = re.findall(_IDENT, part)
        names = [fold_name(x) for x in pieces]
        out.append((names[0], names[1]) if len(names) == 2 else ("public", names[0]))
    return out


def _drop_table(
    m: re.Match[str], catalog: Callable[[], Catalog], fks: Callable[[], list[ForeignKey]]
) -> list[str]:
    if_exists, names, behaviour = m.group(1), m.group(2), (m.group(3) or "").upper()
    cat = catalog()
    tables = {(t.schema, t.name): t for t in cat.tables}
    out: list[str] = []
    dropped = _split_names(names)
    for schema, name in dropped:
        table = tables.get((schema, name))
        if table is None:
            continue  # Spanner answers for a missing table (or IF EXISTS skips it)
        if behaviour == "CASCADE":
            targets = {n for _s, n in dropped}
            for fk in fks():
                if fk.referenced == name and fk.table not in targets:
                    out.append(f"ALTER TABLE {_quote(fk.table)} DROP CONSTRAINT {_quote(fk.name)}")
        prefix = "" if schema == "public" else f"{_quote(schema)}."
        out += [f"DROP INDEX {prefix}{_quote(ix.name)}" for ix in table.indexes if not ix.primary]
    exists = "IF EXISTS " if if_exists else ""
    out.append(f"DROP TABLE {exists}{names.strip()}")
    return out


def _create_table(sql: str) -> str:
    m = _CREATE_TABLE.match(sql)
    if not m:
        return sql
    table = fold_name(m.group(1)).lower()
    default_names = {f"{table}_pkey", f"pk_{table}"}

    def unname(pk: re.Match[str]) -> str:
        name = fold_name(pk.group(1)).lower()
        return pk.group(2) if name in default_names else pk.group(0)

    return _NAMED_PK.sub(unname, sql)


def translate_ddl(
    sql: str, catalog: Callable[[], Catalog], foreign_keys: Callable[[], list[ForeignKey]]
) -> list[str]:
    """The statements to send to Spanner for one DDL statement."""
    m = _DROP_TABLE.match(sql)
    if m:
        return _drop_table(m, catalog, foreign_keys)
    view = _DROP_VIEW.match(sql)
    if view:
        return [view.group(1) + view.group(2)]
    if re.match(r"(?is)^\s*CREATE\s+(UNIQUE\s+)?INDEX\b", sql):
        return [_PATTERN_OPS.sub("", sql)]
    if _CREATE_TABLE.match(sql):
        return [_ARRAY_WORD.sub("[]", _create_table(sql))]
    if re.match(r"(?is)^\s*ALTER\s+TABLE\b", sql):
        return [_ARRAY_WORD.sub("[]", sql)]
    return [sql]
