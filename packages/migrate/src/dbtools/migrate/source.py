"""Reading a source schema: a dump file (or stdin), or a live database through SQLAlchemy.

Live sources reuse the dump parsers: MySQL's `SHOW CREATE TABLE` output goes through the same
sqlglot-based parser as a mysqldump file, and PostgreSQL's catalog is turned into DDL with
`format_type`, `pg_get_expr`, `pg_get_constraintdef` and `pg_get_indexdef`, then parsed with pglast.
So a table reads the same way whether it comes from a dump or from the server.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from . import grants, mysql_live_grants, pg_live_acl
from .dumpkind import check_kind
from .dumpread import Statement, read_statements
from .errors import SourceError
from .model import Ignored, SourceSchema
from .mysql_parse import MySQLSchemaBuilder

ENGINES = ("mysql", "postgres")


def parse_dump(engine: str, stream: BinaryIO | Iterable[bytes], whole: bool = True) -> SourceSchema:
    """Parse a mysqldump / pg_dump plain-format stream into a source schema (a `whole` dump
    must end with the tool's completion line, see dumpread.read_events)."""
    if engine not in ENGINES:
        raise SourceError(f"source must be one of {ENGINES}, not {engine!r}")
    schema = SourceSchema(engine)
    statements = read_statements(engine, check_kind(engine, stream), schema.diagnostics, whole)
    if engine == "mysql":
        MySQLSchemaBuilder(schema).feed_all(statements)
        if whole and not schema.incomplete():
            _mysqldump_counters(schema)
    else:
        from .pg_parse import PgSchemaBuilder  # pglast takes a while to import: only when needed

        PgSchemaBuilder(schema).feed_all(statements)
        if whole:
            _catalog_order(schema)
    return schema


def _catalog_order(schema: SourceSchema) -> None:
    """pg_dump moves some tables ahead of the others for dependencies; a whole dump's tables
    are put in the order the live reader lists them (tables, then partitions, each by schema
    and name), so that the DDL of a dump and of a live read of one database is the same."""

    def key(name: str) -> tuple[bool, str, str]:
        nsp, rel = name.split(".", 1) if "." in name else ("public", name)
        return (name in schema.partitions, nsp, rel)

    schema.tables = {name: schema.tables[name] for name in sorted(schema.tables, key=key)}


def _mysqldump_counters(schema: SourceSchema) -> None:
    """mysqldump writes SHOW CREATE TABLE, which leaves out `AUTO_INCREMENT=` when the next
    value is 1: in a whole dump, a table without it starts at 1 (as a live read finds)."""
    for table in schema.tables.values():
        if table.auto_increment_next is None and any(c.auto_increment for c in table.columns):
            table.auto_increment_next = 1


@contextmanager
def open_dump(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise SourceError(f"cannot open dump file {path}: {exc.strerror}") from exc
    with f:
        yield f


def read_dump_file(engine: str, path: str) -> SourceSchema:
    with open_dump(path) as f:
        return parse_dump(engine, f)


# ---------------------------------------------------------------------------------------------
# live databases


def engine_of_url(url: str) -> str:
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith(("mysql", "mariadb")):
        return "mysql"
    if scheme.startswith(("postgres", "postgresql")):
        return "postgres"
    if scheme.startswith("sqlite"):
        return "sqlite"
    raise SourceError(
        f"unsupported URL scheme {scheme!r}: use mysql+pymysql://..., postgresql+psycopg://... "
        "or sqlite:///file.db"
    )


def sqlalchemy_url(url: str) -> str:
    """Pick the drivers this package depends on when the URL names none."""
    scheme, rest = url.split("://", 1)
    if scheme in ("mysql", "mariadb"):
        scheme = "mysql+pymysql"
    elif scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


_DB_KWARG = {"pymysql": "database", "pg8000": "database", "psycopg": "dbname"}


def _create_engine(url: str) -> Any:
    """A SQLAlchemy engine; with `?cloudsql_instance=project:region:name` in the URL, connections
    go through dbtools-connector (IAM, mTLS to Cloud SQL) instead of a direct TCP connection."""
    try:
        import sqlalchemy
        from sqlalchemy.engine import make_url
    except ImportError as exc:  # pragma: no cover - a dependency
        raise SourceError("SQLAlchemy is required for --url sources") from exc
    if engine_of_url(url) == "sqlite":
        from .sqlite_source import check_sqlite_url

        check_sqlite_url(url)
    try:
        parsed = make_url(sqlalchemy_url(url))
        instance = parsed.query.get("cloudsql_instance")
        if not instance:
            return sqlalchemy.create_engine(parsed)
        if isinstance(instance, tuple):
            instance = instance[0]
        parsed = parsed.difference_update_query(["cloudsql_instance"])
        driver = parsed.get_driver_name()
        if driver not in _DB_KWARG:
            raise SourceError(f"Cloud SQL sources use pymysql, pg8000 or psycopg, not {driver!r}")
        try:
            from dbtools.connector import Connector  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise SourceError(
                "cloudsql_instance= needs the Cloud SQL connector: pip install dbtools-connector "
                "(or run its local listener and give a plain URL to it)"
            ) from exc
        connector = Connector()
        kwargs = {
            "user": parsed.username,
            "password": parsed.password or "",
            _DB_KWARG[driver]: parsed.database,
        }

        def connect() -> Any:
            return connector.connect(str(instance), driver, **kwargs)

        return sqlalchemy.create_engine(parsed, creator=connect)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(f"cannot use URL {url!r}: {exc}") from exc


def read_live(url: str) -> SourceSchema:
    engine = engine_of_url(url)
    sa_engine = _create_engine(url)
    try:
        with sa_engine.connect() as conn:
            if engine == "mysql":
                return _read_mysql(conn)
            if engine == "sqlite":
                from .sqlite_source import read_sqlite

                return read_sqlite(conn)
            return _read_postgres(conn)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(f"cannot read the schema from {sa_engine.url!r}: {exc}") from exc
    finally:
        sa_engine.dispose()


def _q_my(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _read_mysql(conn: Any) -> SourceSchema:
    from sqlalchemy import text

    schema = SourceSchema("mysql", live=True)
    conn.execute(text("SET time_zone = '+00:00'"))
    schema.time_zone = "+00:00"
    builder = MySQLSchemaBuilder(schema)
    rows = conn.execute(text("SHOW FULL TABLES")).fetchall()
    for name, kind in rows:
        if kind == "VIEW":
            schema.ignored.append(Ignored("view", name))
            continue
        ddl = conn.execute(text(f"SHOW CREATE TABLE {_q_my(name)}")).fetchone()[1]
        builder.feed(Statement(ddl, 0))
    for trig in conn.execute(text("SHOW TRIGGERS")).fetchall():
        schema.ignored.append(Ignored("trigger", trig[0], 0, f"on {trig[2]}"))
    routines = conn.execute(
        text(
            "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_NAME"
        )
    ).fetchall()
    for kind, name in routines:
        schema.ignored.append(Ignored(str(kind).lower(), name))
    events = conn.execute(
        text("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
    ).fetchall()
    for (name,) in events:
        schema.ignored.append(Ignored("event", name))
    database = conn.execute(text("SELECT DATABASE()")).scalar()
    lines, unread = mysql_live_grants.read(conn, database)
    for line in lines:
        builder.feed(Statement(line, 0))
    schema.ignored.extend(unread)
    for table in schema.tables.values():
        for col in table.columns:
            if col.auto_increment:
                top = conn.execute(
                    text(f"SELECT MAX({_q_my(col.name)}) FROM {_q_my(table.name)}")
                ).scalar()
                schema.identity_max[(table.name, col.name)] = int(top or 0)
    return schema


def _q_pg(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_PG_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.relkind,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
ORDER BY c.relispartition, n.nspname, c.relname
"""
_PG_PARENTS = """
SELECT n.nspname, p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace n ON n.oid = p.relnamespace WHERE i.inhrelid = :oid ORDER BY i.inhseqno
"""
_PG_PARTITIONS = """
SELECT cn.nspname, c.relname, pn.nspname, p.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p')
"""
_PG_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_PG_CONSTRAINTS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = :oid AND contype IN ('p', 'u', 'f', 'c')
  AND conparentid = 0 AND conislocal  -- as pg_dump: not the copies a parent's put on children
ORDER BY contype = 'f', conname
"""
_PG_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
WHERE i.indrelid = :oid AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
ORDER BY i.indexrelid::regclass::text
"""
# comments on tables and columns, as pg_dump writes them (COMMENT ON ...)
_PG_COMMENTS = """
SELECT n.nspname, c.relname, a.attname, d.description FROM pg_description d
JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY n.nspname, c.relname, d.objsubid
"""
_PG_ENUMS = """
SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
GROUP BY n.nspname, t.typname
"""
_PG_DOMAINS = """
SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod),
       (SELECT array_agg(pg_get_constraintdef(c.oid)) FROM pg_constraint c WHERE c.contypid = t.oid)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""
_PG_TRIGGERS = """
SELECT t.tgname, n.nspname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND t.tgparentid = 0  -- a partitioned table's trigger once, as pg_dump writes it
"""
_PG_RULES = """
SELECT r.rulename, n.nspname, c.relname FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""
_PG_EVENT_TRIGGERS = "SELECT evtname FROM pg_event_trigger"
# comments on other objects than tables and columns (those are read with the tables), named as
# the dump parser names them (pg_parse._CommentStmt): kind and name without `public.`
_PG_OTHER_COMMENTS = """
SELECT o.type, o.identity, d.description
FROM pg_description d CROSS JOIN LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o
WHERE o.type IN ('index', 'sequence', 'view', 'materialized view', 'schema', 'type')
  AND COALESCE(o.schema, o.identity) NOT IN ('pg_catalog', 'information_schema')
  AND COALESCE(o.schema, o.identity) NOT LIKE 'pg_toast%'
  AND NOT (o.type = 'schema' AND o.identity = 'public'
           AND d.description = 'standard public schema')
"""
# privileges granted on tables, views and sequences to others than their owner, as pg_dump
# writes them (GRANT ... ON TABLE / SEQUENCE); those on columns, schemas and routines and the
# comments on routines and constraints come as pg_dump's statements (pg_live_acl)
_PG_GRANTS = """
SELECT n.nspname, c.relname, c.relkind = 'S', COALESCE(r.rolname, 'PUBLIC'),
       array_agg(a.privilege_type ORDER BY a.privilege_type)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL aclexplode(c.relacl) a
LEFT JOIN pg_roles r ON r.oid = a.grantee
WHERE c.relacl IS NOT NULL AND a.grantee <> c.relowner
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
GROUP BY 1, 2, 3, 4
"""
_PG_ROUTINES = """
SELECT p.prokind, n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
"""


_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')+)'::regclass\)")


def _pg_name(nsp: str, name: str) -> str:
    """A relation as the dump parser names it: schema-qualified unless in `public`."""
    return name if nsp == "public" else f"{nsp}.{name}"


def _lit_pg(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pg_keys_and_indexes(conn: Any, builder: Any, oid: int, qname: str, later: list[str]) -> None:
    """A table's constraints and indexes as pg_dump writes them (foreign keys into `later`)."""
    from sqlalchemy import text

    for conname, condef in conn.execute(text(_PG_CONSTRAINTS), {"oid": oid}):
        stmt = f"ALTER TABLE ONLY {qname} ADD CONSTRAINT {_q_pg(conname)} {condef}"
        if condef.startswith("FOREIGN KEY"):
            later.append(stmt)
        else:
            builder.feed(Statement(stmt, 0))
    for (indexdef,) in conn.execute(text(_PG_INDEXES), {"oid": oid}):
        builder.feed(Statement(indexdef, 0))


def _read_postgres(conn: Any) -> SourceSchema:
    from sqlalchemy import text

    from .pg_parse import PgSchemaBuilder

    schema = SourceSchema("postgres", live=True)
    builder = PgSchemaBuilder(schema)
    conn.execute(text("SET search_path = ''"))  # fully qualified names from format_type
    for nsp, name, labels in conn.execute(text(_PG_ENUMS)).fetchall():
        values = ", ".join(_lit_pg(v) for v in labels)
        builder.feed(Statement(f"CREATE TYPE {_q_pg(nsp)}.{_q_pg(name)} AS ENUM ({values})", 0))
    for nsp, name, base, checks in conn.execute(text(_PG_DOMAINS)).fetchall():
        cons = " ".join(checks or [])
        builder.feed(Statement(f"CREATE DOMAIN {_q_pg(nsp)}.{_q_pg(name)} AS {base} {cons}", 0))
    later: list[str] = []
    tables = conn.execute(text(_PG_TABLES)).fetchall()
    serial_cols: list[tuple[str, str, str, str | None]] = []
    for oid, nsp, name, kind, bound in tables:
        qname = f"{_q_pg(nsp)}.{_q_pg(name)}"
        if bound is not None:  # a partition: what it carries is merged into its parent
            ((pnsp, parent),) = conn.execute(text(_PG_PARENTS), {"oid": oid}).fetchall()
            ddl = f"CREATE TABLE {qname} PARTITION OF {_q_pg(pnsp)}.{_q_pg(parent)} {bound}"
            builder.feed(Statement(ddl, 0))
            _pg_keys_and_indexes(conn, builder, oid, qname, later)
            continue
        if kind in ("v", "m"):
            schema.ignored.append(
                Ignored(
                    "view" if kind == "v" else "materialized view",
                    name if nsp == "public" else f"{nsp}.{name}",
                )
            )
            continue
        cols = []
        for att, typ, notnull, default, identity, generated in conn.execute(
            text(_PG_COLUMNS), {"oid": oid}
        ):
            part = f"{_q_pg(att)} {typ}"
            if generated == "s" and default is not None:
                part += f" GENERATED ALWAYS AS ({default}) STORED"
            elif identity in ("a", "d"):
                part += (
                    " GENERATED " + ("ALWAYS" if identity == "a" else "BY DEFAULT") + " AS IDENTITY"
                )
            elif default is not None:
                part += f" DEFAULT {default}"
            if notnull:
                part += " NOT NULL"
            cols.append(part)
            if identity in ("a", "d") or (default or "").startswith("nextval("):
                serial_cols.append((nsp, name, att, default))
        ddl = f"CREATE TABLE {qname} ({', '.join(cols)})"
        parents = conn.execute(text(_PG_PARENTS), {"oid": oid}).fetchall()
        if parents:
            ddl += " INHERITS (" + ", ".join(f"{_q_pg(a)}.{_q_pg(b)}" for a, b in parents) + ")"
        if kind == "p":
            ddl += (
                " PARTITION BY "
                + conn.execute(text("SELECT pg_get_partkeydef(:oid)"), {"oid": oid}).scalar()
            )
        builder.feed(Statement(ddl, 0))
        _pg_keys_and_indexes(conn, builder, oid, qname, later)
    for stmt in later:
        builder.feed(Statement(stmt, 0))
    for nsp, rel, att, text_ in conn.execute(text(_PG_COMMENTS)).fetchall():
        target = f"{_q_pg(nsp)}.{_q_pg(rel)}"
        what = f"COLUMN {target}.{_q_pg(att)}" if att else f"TABLE {target}"
        builder.feed(Statement(f"COMMENT ON {what} IS {_lit_pg(text_)}", 0))
    for cnsp, child, pnsp, parent in conn.execute(text(_PG_PARTITIONS)).fetchall():
        key = child if cnsp == "public" else f"{cnsp}.{child}"
        schema.partitions[key] = parent if pnsp == "public" else f"{pnsp}.{parent}"
    for trig, nsp, rel in conn.execute(text(_PG_TRIGGERS)).fetchall():
        schema.ignored.append(Ignored("trigger", trig, 0, f"on {_pg_name(nsp, rel)}"))
    for rule, nsp, rel in conn.execute(text(_PG_RULES)).fetchall():
        schema.ignored.append(Ignored("rule", rule, 0, f"on {_pg_name(nsp, rel)}"))
    for (name,) in conn.execute(text(_PG_EVENT_TRIGGERS)).fetchall():
        schema.ignored.append(Ignored("event trigger", name))
    for kind, identity, comment in conn.execute(text(_PG_OTHER_COMMENTS)).fetchall():
        name = identity.removeprefix("public.")
        schema.ignored.append(Ignored("comment", f"{kind} {name}", 0, comment))
    for nsp, rel, is_sequence, grantee, privileges in conn.execute(text(_PG_GRANTS)).fetchall():
        kind = "sequence" if is_sequence else "table"
        schema.ignored.extend(
            grants.entries(True, kind, [_pg_name(nsp, rel)], privileges, [grantee])
        )
    for stmt in pg_live_acl.statements(conn):
        builder.feed(Statement(stmt, 0))
    for kind, name in conn.execute(text(_PG_ROUTINES)).fetchall():
        schema.ignored.append(
            Ignored(
                {"p": "procedure", "a": "aggregate", "w": "window function"}.get(kind, "function"),
                name,
            )
        )
    builder.finish()
    for nsp, name, att, default in serial_cols:
        table_key = name if nsp == "public" else f"{nsp}.{name}"
        top = conn.execute(
            text(f"SELECT MAX({_q_pg(att)}) FROM {_q_pg(nsp)}.{_q_pg(name)}")
        ).scalar()
        seq_top = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"),
            {"t": f"{_q_pg(nsp)}.{_q_pg(name)}", "c": att},
        ).scalar()
        fed_by = _NEXTVAL.match(default or "")
        if not seq_top and fed_by:
            # a nextval() default on a sequence the column does not own (pagila's payment):
            # the dump's setval() counts, so the live read must too
            seq_top = conn.execute(
                text("SELECT CAST(CAST(:s AS regclass) AS text)"),
                {"s": fed_by.group(1).replace("''", "'")},
            ).scalar()
        current = int(top or 0)
        col = schema.tables[table_key].column(att) if table_key in schema.tables else None
        if seq_top and col is not None and col.sequence is None:
            # named in the report as the dump names it (from OWNED BY / the nextval default)
            col.sequence = seq_top.removeprefix("public.")
        if seq_top:
            row = conn.execute(text(f"SELECT last_value, is_called FROM {seq_top}")).fetchone()
            if row is not None:
                current = max(current, int(row[0]) if row[1] else int(row[0]) - 1)
        schema.identity_max[(table_key, att)] = current
    return schema


def parse_text(engine: str, text: str | bytes, whole: bool = False) -> SourceSchema:
    """Parse dump text held in memory (tests, notebooks): a fragment unless `whole` says it is
    a complete dump (then its tool's completion line is expected)."""
    import io

    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_dump(engine, io.BytesIO(data), whole)
