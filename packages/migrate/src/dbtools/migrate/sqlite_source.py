"""SQLite as a live source (`--url sqlite:///file.db`).

SQLite keeps each table's CREATE statement in `sqlite_master`. sqlglot rewrites it in
PostgreSQL's spelling (BLOB → bytea, DATETIME → timestamp, AUTOINCREMENT → identity...), and the
PostgreSQL builder reads it from there, so SQLite's declared types get PostgreSQL's type map and
its CHECKs, defaults and foreign keys the same rules as a PostgreSQL source. Secondary indexes
are rebuilt from `PRAGMA index_xinfo`, which is exact, instead of from their SQL text.
"""

from __future__ import annotations

import re
from typing import Any

from .dumpread import Statement
from .model import Diagnostic, Ignored, SourceSchema


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_to_postgres(sql: str) -> str | None:
    """One SQLite CREATE statement in PostgreSQL's syntax, or None when sqlglot cannot read it."""
    import sqlglot
    from sqlglot import exp

    try:
        parsed = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.ParseError:
        return None
    if isinstance(parsed, exp.Command):  # sqlglot's fallback for syntax it does not model
        return None
    return parsed.sql(dialect="postgres")


def index_ddl(conn: Any, table: str) -> list[str]:
    """CREATE INDEX statements for the indexes created with CREATE INDEX (not PK/UNIQUE)."""
    out = []
    for _seq, name, unique, origin, partial in conn.exec_driver_sql(
        f"PRAGMA index_list({_q(table)})"
    ).fetchall():
        if origin != "c":
            continue  # 'pk' and 'u' come with the table's own constraints
        keys = []
        for row in conn.exec_driver_sql(f"PRAGMA index_xinfo({_q(name)})").fetchall():
            _seqno, cid, colname, desc, _coll, key = row
            if not key:
                continue
            keys.append((_q(colname) if cid >= 0 else "<expression>") + (" DESC" if desc else ""))
        where = ""
        if partial:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
            ).scalar()
            converted = sqlite_to_postgres(sql or "")
            if converted and " WHERE " in converted.upper():
                where = converted[converted.upper().rindex(" WHERE ") :]
                # sqlglot writes `x IS NOT NULL` as `NOT x IS NULL`; the index rules (NULL_FILTERED)
                # look for the first form
                where = re.sub(r"\bNOT (\S+) IS NULL\b", r"\1 IS NOT NULL", where)
        head = "CREATE UNIQUE INDEX" if unique else "CREATE INDEX"
        out.append(f"{head} {_q(name)} ON {_q(table)} ({', '.join(keys)}){where}")
    return out


def read_sqlite(conn: Any) -> SourceSchema:
    """The schema of an open SQLAlchemy connection to a SQLite database."""
    from .pg_parse import PgSchemaBuilder

    schema = SourceSchema("postgres", live=True, origin="sqlite")
    builder = PgSchemaBuilder(schema)
    rows = conn.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, rowid"
    ).fetchall()
    tables = []
    for kind, name, tbl_name, sql in rows:
        if kind == "table":
            converted = sqlite_to_postgres(sql or "")
            if converted is None:
                schema.diagnostics.append(
                    Diagnostic(0, "syntax", f"table {name}: cannot read its SQLite DDL: {sql}")
                )
                continue
            builder.feed(Statement(converted, 0))
            tables.append(name)
        elif kind in ("view", "trigger"):
            detail = f"on {tbl_name}" if kind == "trigger" else ""
            schema.ignored.append(Ignored(kind, name, 0, detail))
    for name in tables:
        for ddl in index_ddl(conn, name):
            builder.feed(Statement(ddl, 0))
    builder.finish()
    for table in schema.tables.values():
        for col in table.columns:
            if col.auto_increment:
                top = conn.exec_driver_sql(
                    f"SELECT MAX({_q(col.name)}) FROM {_q(table.name)}"
                ).scalar()
                schema.identity_max[(table.name, col.name)] = int(top or 0)
    return schema


def check_sqlite_url(url: str) -> None:
    """Refuse a URL whose file does not exist: SQLite would silently create an empty database."""
    import os

    from .errors import SourceError

    path = url.split("://", 1)[1].split("?", 1)[0]
    path = path[1:] if path.startswith("/") else path  # sqlite:///rel.db, sqlite:////abs.db
    if path and path != ":memory:" and not os.path.exists(path):
        raise SourceError(f"SQLite database {path} does not exist; check the path in --url")
