"""The schema model of one database: tables, columns, keys, indexes, foreign keys.

Pure data with JSON round-trip, plus the two renderings of it: the canonical DDL Spanner prints
back (GetDatabaseDdl) for each dialect, and the DuckDB DDL that stores it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .typemap import GOOGLE_SQL, GSQL_SIZED, PG_CANONICAL, POSTGRESQL, SType


@dataclass
class Column:
    name: str
    stype: SType
    length: int | None = None  # STRING(n)/BYTES(n); None means MAX / unbounded
    not_null: bool = False
    default: str | None = None  # expression text, in the database's dialect
    generated: str | None = None  # expression text of a generated column
    stored: bool = False
    allow_commit_timestamp: bool = False
    default_duckdb: str | None = None
    generated_duckdb: str | None = None


@dataclass
class KeyPart:
    column: str
    desc: bool = False


@dataclass
class ForeignKey:
    name: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    on_delete: str = "NO ACTION"


@dataclass
class Check:
    name: str
    expression: str


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: list[KeyPart]
    parent: str | None = None
    on_delete: str = "NO ACTION"
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def column(self, name: str) -> Column | None:
        low = name.lower()
        for col in self.columns:
            if col.name.lower() == low:
                return col
        return None

    @property
    def key_columns(self) -> list[Column]:
        return [c for c in (self.column(k.column) for k in self.primary_key) if c is not None]


@dataclass
class Index:
    name: str
    table: str
    keys: list[KeyPart]
    unique: bool = False
    null_filtered: bool = False
    storing: list[str] = field(default_factory=list)
    interleave_in: str | None = None


@dataclass
class View:
    name: str
    query: str  # in the database's dialect, as written
    security: str = "INVOKER"
    tables: list[str] = field(default_factory=list)  # lower-case tables and views it reads


@dataclass
class Catalog:
    dialect: str = GOOGLE_SQL
    tables: dict[str, Table] = field(default_factory=dict)  # keyed by lower-case name
    indexes: dict[str, Index] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    sequences: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> options
    views: dict[str, View] = field(default_factory=dict)

    # --------------------------------------------------------------- lookups

    def table(self, name: str) -> Table | None:
        return self.tables.get(name.lower())

    def index(self, name: str) -> Index | None:
        return self.indexes.get(name.lower())

    def base_tables(self, names: Iterable[str]) -> set[str]:
        """Names with views replaced by the tables they read (transitively), lower case."""
        out: set[str] = set()
        pending = [n.lower() for n in names]
        while pending:
            name = pending.pop()
            view = self.views.get(name)
            if view is None:
                out.add(name)
            elif name not in out:
                out.add(name)
                pending.extend(view.tables)
        return {n for n in out if n not in self.views}

    def children(self, table: str) -> list[Table]:
        low = table.lower()
        return [t for t in self.tables.values() if t.parent and t.parent.lower() == low]

    def indexes_of(self, table: str) -> list[Index]:
        low = table.lower()
        return [i for i in self.indexes.values() if i.table.lower() == low]

    def referencing(self, table: str) -> list[tuple[Table, ForeignKey]]:
        low = table.lower()
        return [
            (t, fk)
            for t in self.tables.values()
            for fk in t.foreign_keys
            if fk.ref_table.lower() == low
        ]

    def name_taken(self, name: str) -> bool:
        low = name.lower()
        if low in self.tables or low in self.indexes or low in self.views:
            return True
        return any(
            fk.name.lower() == low for t in self.tables.values() for fk in t.foreign_keys
        ) or any(c.name.lower() == low for t in self.tables.values() for c in t.checks)

    # --------------------------------------------------------------- persistence

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalog:
        def stype(d: dict[str, Any]) -> SType:
            return SType(
                d["code"],
                element=stype(d["element"]) if d.get("element") else None,
                annotation=d.get("annotation"),
                fields=tuple((f[0], stype(f[1])) for f in d.get("fields", ())),
            )

        cat = cls(
            dialect=data["dialect"],
            options=dict(data.get("options", {})),
            sequences={k: dict(v) for k, v in data.get("sequences", {}).items()},
            views={k: View(**v) for k, v in data.get("views", {}).items()},
        )
        for key, t in data["tables"].items():
            cols = [Column(**{**c, "stype": stype(c["stype"])}) for c in t["columns"]]
            cat.tables[key] = Table(
                name=t["name"],
                columns=cols,
                primary_key=[KeyPart(**k) for k in t["primary_key"]],
                parent=t["parent"],
                on_delete=t["on_delete"],
                foreign_keys=[ForeignKey(**f) for f in t["foreign_keys"]],
                checks=[Check(**c) for c in t["checks"]],
            )
        for key, i in data["indexes"].items():
            cat.indexes[key] = Index(**{**i, "keys": [KeyPart(**k) for k in i["keys"]]})
        return cat


# ------------------------------------------------------------------- rendering


def type_sql(col: Column, dialect: str) -> str:
    """A column's type as Spanner prints it in DDL and information_schema.spanner_type."""
    return _type_sql(col.stype, col.length, dialect)


def _type_sql(stype: SType, length: int | None, dialect: str) -> str:
    if dialect == POSTGRESQL:
        if stype.code == "ARRAY":
            assert stype.element is not None
            return _type_sql(stype.element, length, dialect) + "[]"
        base = PG_CANONICAL[stype.code]
        if stype.code == "STRING" and length is not None:
            return f"{base}({length})"
        return base
    if stype.code == "ARRAY":
        assert stype.element is not None
        return f"ARRAY<{_type_sql(stype.element, length, dialect)}>"
    if stype.code in GSQL_SIZED:
        return f"{stype.code}({'MAX' if length is None else length})"
    return stype.code


def quote_ident(name: str, dialect: str) -> str:
    """Spanner prints identifiers bare unless they need quoting."""
    if name.replace("_", "a").isalnum() and not name[0].isdigit():
        if dialect == POSTGRESQL and name != name.lower():
            return '"' + name + '"'
        return name
    if dialect == POSTGRESQL:
        return '"' + name.replace('"', '""') + '"'
    return "`" + name + "`"


def render_table_ddl(table: Table, dialect: str) -> str:
    q = lambda n: quote_ident(n, dialect)  # noqa: E731
    lines = []
    for col in table.columns:
        parts = [q(col.name), type_sql(col, dialect)]
        if col.not_null:
            parts.append("NOT NULL")
        if col.default is not None:
            parts.append(
                f"DEFAULT ({col.default})" if dialect == GOOGLE_SQL else f"DEFAULT {col.default}"
            )
        if col.generated is not None:
            expr = (
                f"AS ({col.generated})"
                if dialect == GOOGLE_SQL
                else f"GENERATED ALWAYS AS ({col.generated})"
            )
            parts.append(expr + (" STORED" if col.stored else ""))
        if col.allow_commit_timestamp:
            parts.append(
                "OPTIONS (\n    allow_commit_timestamp = true\n  )"
                if dialect == GOOGLE_SQL
                else "OPTIONS (allow_commit_timestamp = true)"
            )
        lines.append("  " + " ".join(parts) + ",")
    for fk in table.foreign_keys:
        ref = (
            f"  CONSTRAINT {q(fk.name)} FOREIGN KEY({', '.join(map(q, fk.columns))}) "
            f"REFERENCES {q(fk.ref_table)}({', '.join(map(q, fk.ref_columns))})"
        )
        if fk.on_delete == "CASCADE":
            ref += " ON DELETE CASCADE"
        lines.append(ref + ",")
    for chk in table.checks:
        lines.append(f"  CONSTRAINT {q(chk.name)} CHECK({chk.expression}),")
    keys = ", ".join(q(k.column) + (" DESC" if k.desc else "") for k in table.primary_key)
    if dialect == GOOGLE_SQL:
        text = f"CREATE TABLE {q(table.name)} (\n" + "\n".join(lines) + f"\n) PRIMARY KEY({keys})"
        if table.parent:
            text += f",\n  INTERLEAVE IN PARENT {q(table.parent)} ON DELETE {table.on_delete}"
        return text
    body = "\n".join([*lines, f"  PRIMARY KEY({keys})"])
    text = f"CREATE TABLE {q(table.name)} (\n{body}\n)"
    if table.parent:
        text += f" INTERLEAVE IN PARENT {q(table.parent)} ON DELETE {table.on_delete}"
    return text


def render_index_ddl(index: Index, dialect: str) -> str:
    q = lambda n: quote_ident(n, dialect)  # noqa: E731
    head = "CREATE "
    if index.unique:
        head += "UNIQUE "
    if index.null_filtered and dialect == GOOGLE_SQL:
        head += "NULL_FILTERED "
    keys = ", ".join(q(k.column) + (" DESC" if k.desc else "") for k in index.keys)
    text = f"{head}INDEX {q(index.name)} ON {q(index.table)}({keys})"
    if index.storing:
        word = "STORING" if dialect == GOOGLE_SQL else "INCLUDE"
        text += f" {word} ({', '.join(map(q, index.storing))})"
    if index.interleave_in:
        text += (", INTERLEAVE IN " if dialect == GOOGLE_SQL else " INTERLEAVE IN ") + q(
            index.interleave_in
        )
    if index.null_filtered and dialect == POSTGRESQL:
        text += " WHERE " + " AND ".join(f"{q(k.column)} IS NOT NULL" for k in index.keys)
    return text


def render_catalog_ddl(catalog: Catalog) -> list[str]:
    """Statements in creation order: parents before children, tables before their indexes."""
    out: list[str] = []
    done: set[str] = set()

    def emit(table: Table) -> None:
        key = table.name.lower()
        if key in done:
            return
        if table.parent and catalog.table(table.parent) and table.parent.lower() not in done:
            emit(catalog.tables[table.parent.lower()])
        for fk in table.foreign_keys:
            ref = catalog.table(fk.ref_table)
            if ref is not None and ref.name.lower() != key and ref.name.lower() not in done:
                done.add(key)  # guards against cycles
                emit(ref)
                done.discard(key)
        done.add(key)
        out.append(render_table_ddl(table, catalog.dialect))
        for index in catalog.indexes_of(table.name):
            out.append(render_index_ddl(index, catalog.dialect))

    for name, opts in catalog.sequences.items():
        out.append(render_sequence_ddl(name, opts, catalog.dialect))
    for table in catalog.tables.values():
        emit(table)
    for view in catalog.views.values():
        out.append(
            f"CREATE VIEW {quote_ident(view.name, catalog.dialect)} "
            f"SQL SECURITY {view.security} AS {view.query}"
        )
    return out


def render_sequence_ddl(name: str, opts: dict[str, str], dialect: str) -> str:
    if dialect == POSTGRESQL:
        text = f"CREATE SEQUENCE {quote_ident(name, dialect)} BIT_REVERSED_POSITIVE"
        if "skip_range_min" in opts:
            text += f" SKIP RANGE {opts['skip_range_min']} {opts['skip_range_max']}"
        if "start_with_counter" in opts:
            text += f" START COUNTER WITH {opts['start_with_counter']}"
        return text
    body = ",\n".join(
        f"  {k} = {v if v.lstrip('-').isdigit() else repr(v)}" for k, v in opts.items()
    )
    return f"CREATE SEQUENCE {quote_ident(name, dialect)} OPTIONS (\n{body}\n)"


def duckdb_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_create_table(table: Table) -> str:
    cols = []
    for col in table.columns:
        text = f"{duckdb_ident(col.name)} {col.stype.duckdb()}"
        if col.generated_duckdb is not None:
            text += f" GENERATED ALWAYS AS ({col.generated_duckdb}) VIRTUAL"
        else:
            if col.not_null:
                text += " NOT NULL"
            if col.default_duckdb is not None:
                text += f" DEFAULT ({col.default_duckdb})"
        cols.append(text)
    keys = ", ".join(duckdb_ident(k.column) for k in table.primary_key)
    if keys:
        cols.append(f"PRIMARY KEY ({keys})")
    return f"CREATE TABLE {duckdb_ident(table.name)} ({', '.join(cols)})"
