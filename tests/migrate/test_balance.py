"""Nothing in the source disappears without a word: every object the source catalog holds
(table, partition, column, key, index, foreign key, check, unique, view, trigger, routine, rule,
sequence, event, grant, comment) is in the DDL or named in the report, for each sample schema,
from the real pg_dump / mysqldump output of the loaded sample database and from a live read of
it. Each kind is counted, one catalog row per object (pg_catalog, MariaDB's information_schema),
against one accounted entry per object in the DDL and report, so that a lost object cannot hide
behind another object's name; and each name is looked for as well.
"""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools.migrate import ddl, report
from dbtools.migrate.convert import convert
from dbtools.migrate.model import SourceSchema
from dbtools.migrate.source import parse_text, read_live

from .conftest import mysql_client

SAMPLES = Path(__file__).parent / "samples"

PG_CATALOG = {
    "table": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
    "column": "SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON "
    "c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
    " AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped",
    # one row per object (a name can stand for several: constraint names are per table)
    "foreign key": "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = "
    "c.connamespace WHERE n.nspname = 'public' AND contype = 'f' AND conparentid = 0",
    # a table's own CHECKs (not the copies its partitions and children inherit), and a domain's
    # CHECK on each column of the domain (what the source enforces on that column)
    "check": "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
    " WHERE n.nspname = 'public' AND contype = 'c' AND conrelid <> 0 AND conislocal UNION ALL "
    "SELECT c.relname || '_' || a.attname || '_' || t.typname FROM pg_attribute a JOIN pg_class"
    " c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON "
    "t.oid = a.atttypid JOIN pg_constraint k ON k.contypid = t.oid AND k.contype = 'c' WHERE "
    "n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0"
    " AND NOT a.attisdropped",
    # a primary key (its name is not kept: Spanner's keys have none) by its table
    "primary key": "SELECT c.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
    "k.contype = 'p' AND k.conparentid = 0",
    # UNIQUE constraints and unique indexes (one kind in Spanner: a UNIQUE index), and the
    # other indexes; neither the primary key's nor those attached to a partitioned table's
    "unique": "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = "
    "c.connamespace WHERE n.nspname = 'public' AND contype = 'u' AND conparentid = 0 UNION ALL"
    " SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN "
    "pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'public' AND x.indisunique AND "
    "NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) AND NOT EXISTS "
    "(SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid)",
    "index": "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN "
    "pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'public' AND NOT x.indisunique "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) AND NOT "
    "EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid)",
    "view": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')",
    "trigger": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgparentid = 0",
    "routine": "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = 'public'",
    "rule": "SELECT rulename FROM pg_rules WHERE schemaname = 'public'",
    "sequence": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relkind = 'S'",
    # one per object and grantee other than the owner (named by its object): tables, views and
    # sequences; columns; schemas (beyond their initial privileges); functions (beyond the
    # EXECUTE every role has by default)
    "grant": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE n.nspname = 'public' AND a.grantee <> "
    "c.relowner GROUP BY c.relname, a.grantee UNION ALL SELECT c.relname FROM pg_attribute t "
    "JOIN pg_class c ON c.oid = t.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace CROSS "
    "JOIN LATERAL aclexplode(t.attacl) a WHERE n.nspname = 'public' GROUP BY c.relname, "
    "t.attname, a.grantee UNION ALL SELECT n.nspname FROM pg_namespace n CROSS JOIN LATERAL "
    "aclexplode(n.nspacl) a WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> "
    "'information_schema' AND a.grantee <> n.nspowner AND NOT EXISTS (SELECT 1 FROM "
    "pg_init_privs i CROSS JOIN LATERAL aclexplode(i.initprivs) b WHERE i.objoid = n.oid AND "
    "b.grantee = a.grantee AND b.privilege_type = a.privilege_type) GROUP BY n.nspname, "
    "a.grantee UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = "
    "p.pronamespace CROSS JOIN LATERAL aclexplode(p.proacl) a WHERE n.nspname = 'public' AND "
    "a.grantee NOT IN (p.proowner, 0) GROUP BY p.proname, a.grantee",
    # a function whose EXECUTE was taken from PUBLIC
    "revoke": "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = 'public' AND p.proacl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
    "aclexplode(p.proacl) a WHERE a.grantee = 0)",
    # every comment on an object of the schema (named by its text)
    "comment": "SELECT d.description FROM pg_description d CROSS JOIN LATERAL "
    "pg_identify_object(d.classoid, d.objoid, d.objsubid) o WHERE o.schema = 'public'",
}
MYSQL_CATALOG = {
    "table": "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_TYPE = 'BASE TABLE'",
    "column": "SELECT CONCAT(c.TABLE_NAME, '.', c.COLUMN_NAME) FROM information_schema.COLUMNS c"
    " JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = "
    "c.TABLE_NAME WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'",
    "foreign key": "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE "
    "CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'FOREIGN KEY'",
    "check": "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE "
    "CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'CHECK'",
    "primary key": "SELECT TABLE_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE "
    "CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'PRIMARY KEY'",
    # one row per index (an index's name is unique only in its table)
    "unique": "SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
    "DATABASE() AND INDEX_NAME <> 'PRIMARY' AND NON_UNIQUE = 0 GROUP BY TABLE_NAME, INDEX_NAME",
    "index": "SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
    "DATABASE() AND NON_UNIQUE = 1 GROUP BY TABLE_NAME, INDEX_NAME",
    # (MariaDB's CREATE SEQUENCE)
    "sequence": "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
    "DATABASE() AND TABLE_TYPE = 'SEQUENCE'",
    "view": "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
    "trigger": "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
    "DATABASE()",
    "routine": "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "
    "DATABASE()",
    "event": "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
    # one per object and account: the database's, a table's (with its columns'), a routine's
    # (mysqldump writes them with --system=users, from the system schema)
    "grant": "SELECT TABLE_SCHEMA FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA "
    "= DATABASE() GROUP BY GRANTEE UNION ALL SELECT TABLE_NAME FROM (SELECT TABLE_NAME, GRANTEE"
    " FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE() UNION SELECT "
    "TABLE_NAME, GRANTEE FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA = "
    "DATABASE()) g GROUP BY TABLE_NAME, GRANTEE UNION ALL SELECT Routine_name FROM "
    "mysql.procs_priv WHERE Db = DATABASE() GROUP BY Routine_name, Routine_type, User, Host",
    "comment": "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
    "DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_COMMENT <> '' UNION ALL SELECT "
    "COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
    "COLUMN_COMMENT <> ''",
}


def accounted(src: SourceSchema) -> tuple[str, set[str], set[str]]:
    """The DDL and report text, the source columns the report lists, and the source tables
    (partitions included) whose primary key is the Spanner table's key."""
    conv = convert(src, "google_standard_sql")
    rep = report.build(conv)
    columns = {
        f"{t['source_table']}.{c['source_column']}" for t in rep["tables"] for c in t["columns"]
    }
    keyed = {t.source_name for t in conv.schema.tables if not t.synthetic_pk}
    keyed |= {child for child, parent in conv.source.partitions.items() if parent in keyed}
    text = ddl.render(conv.schema) + "\n" + json.dumps(rep, ensure_ascii=False)
    return text, columns, keyed


# kinds of the report's not-migrated list that account for each catalog kind, one entry per
# object: the counts must match, not only the names (a name can stand for several objects)
NOT_MIGRATED_KINDS = {
    "view": {"view", "materialized view"},
    "trigger": {"trigger"},
    "routine": {"function", "procedure", "aggregate", "window function"},
    "rule": {"rule"},
    "event": {"event"},
    "grant": {"grant"},
    "revoke": {"revoke"},
}


# report issues that account for one source object each, not migrated, by catalog kind
DROPPED = {
    "index": {"index_fulltext", "index_expression", "index_partial", "index_unindexable"}
    | {"index_redundant"},
    "foreign key": {"fk_unresolved", "fk_type_mismatch"},
    "check": {"check_dropped", "check_json_valid"},
}
_SEQUENCE_COUNTER = {"auto_increment", "auto_increment_no_start"}


def counted(src: SourceSchema, database: str | None = None) -> dict[str, int]:
    """Objects per catalog kind as the conversion accounts for them, one each: tables (Spanner
    tables plus the partitions merged into them), source columns in the report, source tables
    whose key is the Spanner key, indexes / UNIQUEs / foreign keys / CHECKs in the DDL plus those
    the report says are not migrated, sequences feeding a counter (named by the report) or
    listed as not migrated, comments (a `comment` issue or a not-migrated entry each), and one
    not-migrated entry per view, trigger, routine, rule, event and grant (with `database`,
    the grants on that database only: mysqldump --system=users writes the whole server's)."""
    conv = convert(src, "google_standard_sql")
    rep = report.build(conv)
    issues = [i for t in rep["tables"] for i in t["issues"]]
    # a key declared on a table; on a partitioned table without one, each partition's own key
    # (the partitions of a table with a key have theirs attached to it: not in the catalog)
    keyed = {t.source_name for t in conv.schema.tables if not t.synthetic_pk}
    own_key = {n for n in keyed if src.tables[n].primary_key}
    from_parts = [c for c, p in conv.source.partitions.items() if p in keyed - own_key]
    out = {
        "table": len(conv.schema.tables) + len(conv.source.partitions),
        "column": sum(len(t["columns"]) for t in rep["tables"]),
        "primary key": len(own_key) + len(from_parts),
        "comment": sum(i["code"] == "comment" for i in issues)
        + sum(o["kind"] == "comment" for o in rep["not_migrated"]),
    }
    listed = [o for o in rep["not_migrated"] if database is None or _on(o["name"], database)]
    for kind, kinds in NOT_MIGRATED_KINDS.items():
        out[kind] = sum(o["kind"] in kinds for o in listed)
    out.update(_keys_and_constraints(src, conv, issues))
    # a counter's sequence, once however many columns it feeds
    fed = {
        i["params"]["src"]
        for i in issues
        if i["code"] in _SEQUENCE_COUNTER and i["params"]["src"].startswith("sequence ")
    }
    out["sequence"] = len(fed) + sum(i["code"] == "sequence_not_migrated" for i in issues)
    out["sequence"] += sum(i["code"] == "sequence_not_migrated" for i in rep["general_issues"])
    return out


def _on(name: str, database: str) -> bool:
    """Whether a MySQL not-migrated entry's name is on `database` (`database db`, `table
    db.t` ...) or not a grant's (a view, a trigger: named without their database)."""
    kind, _, target = name.partition(" ")
    return (
        not target
        or target == database
        or target.startswith(database + ".")
        or (kind not in ("database", "table", "procedure", "function", "server"))
    )


def _keys_and_constraints(
    src: SourceSchema, conv: Any, issues: list[dict[str, Any]]
) -> dict[str, int]:
    """Indexes, UNIQUEs, foreign keys and CHECKs: those in the Spanner schema that come from a
    source object, plus those the report lists as not migrated."""
    tables = conv.schema.tables
    # the CHECKs the conversion writes for an enum's values: not a source CHECK
    enum_checks = {
        f"CK_{t.name}_{c.name}"[:128]
        for t in tables
        for c in t.columns
        if any(
            i["code"] == "enum_to_string" and i["table"] == t.name and i["column"] == c.source_name
            for i in issues
        )
    }
    target = {name: res.name for name, res in conv.tables.items()}
    unique_source = {
        (target.get(name, name), ix.name)
        for name, t in src.tables.items()
        for ix in t.indexes
        if ix.unique
    }
    dropped_ix = [i for i in issues if i["code"] in DROPPED["index"]]
    dropped_unique = sum((i["table"], i["params"]["index"]) in unique_source for i in dropped_ix)
    promoted = sum(i["code"] == "unique_promoted" for i in issues)
    return {
        "unique": sum(ix.unique for t in tables for ix in t.indexes if ix.source_name)
        + promoted
        + dropped_unique,
        "index": sum(not ix.unique for t in tables for ix in t.indexes if ix.source_name)
        + len(dropped_ix)
        - dropped_unique,
        "foreign key": sum(len(t.foreign_keys) for t in tables)
        + sum(i["code"] in DROPPED["foreign key"] for i in issues),
        "check": sum(name not in enum_checks for t in tables for name, _e in t.checks)
        + sum(i["code"] in DROPPED["check"] for i in issues),
    }


def assert_counts_balance(catalog: dict[str, list[str]], found: dict[str, int]) -> None:
    want = {k: len(v) for k, v in catalog.items() if k in found}
    assert {k: found[k] for k in want} == want


def balance(
    catalog: dict[str, list[str]], text: str, columns: set[str], keyed: set[str]
) -> dict[str, Any]:
    missing: dict[str, list[str]] = {}
    for kind, names in catalog.items():
        if kind == "column":
            gone = [n for n in names if n not in columns]
        elif kind == "primary key":
            gone = [n for n in names if n not in keyed]
        else:
            gone = [n for n in names if n not in text]
        if gone:
            missing[kind] = gone
    return missing


def assert_balances(
    catalog: dict[str, list[str]], src: SourceSchema, database: str | None = None
) -> None:
    text, columns, keyed = accounted(src)
    assert_counts_balance(catalog, counted(src, database))
    counts = {k: len(v) for k, v in catalog.items()}
    assert balance(catalog, text, columns, keyed) == {}, counts


def _drop_one(src: SourceSchema, kind: str) -> None:
    """Take one object of `kind` out of a source read (as a reader that lost it would)."""
    tables = list(src.tables.values())
    if kind == "sequence":
        col = next(c for t in tables for c in t.columns if c.sequence)
        col.sequence, col.auto_increment = None, False
        src.sequences.pop(next(iter(src.sequences)), None)
        return
    items = {
        "index": lambda t: [ix for ix in t.indexes if not ix.unique],
        "unique": lambda t: [ix for ix in t.indexes if ix.unique],
        "foreign key": lambda t: t.foreign_keys,
        "check": lambda t: t.checks,
    }[kind]
    table = next(t for t in tables if items(t))
    gone = items(table)[0]
    for group in (table.indexes, table.foreign_keys, table.checks):
        if gone in group:
            group.remove(gone)


def assert_drops_are_counted(catalog: dict[str, list[str]], src: SourceSchema) -> None:
    """The count catches one lost object of each kind, even where its name still shows (a
    CHECK's name on another table, an index's name in a foreign key's ...)."""
    for kind in ("index", "unique", "foreign key", "check", "sequence"):
        if not catalog.get(kind):
            continue  # (MySQL samples have no sequence)
        lost = copy.deepcopy(src)
        _drop_one(lost, kind)
        assert counted(lost)[kind] == len(catalog[kind]) - 1, kind


@pytest.mark.parametrize("sample", ["videostore_pg.sql", "clinic_pg.src.sql"])
def test_postgres_sample_balances(pg_db: Any, realdumps: SimpleNamespace, sample: str) -> None:
    realdumps.psql_file(pg_db, SAMPLES / sample)
    role = f"balance_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        # grants and comments of the kinds pg_dump writes (the samples have none of the first)
        conn.execute(f"CREATE ROLE {role}")
        try:
            table, index, column = conn.execute(
                "SELECT t.relname, i.relname, (SELECT a.attname FROM pg_attribute a WHERE "
                "a.attrelid = t.oid AND a.attnum = 1) FROM pg_index x JOIN pg_class i ON i.oid = "
                "x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON "
                "n.oid = t.relnamespace WHERE n.nspname = 'public' AND NOT x.indisprimary "
                "AND t.relkind = 'r' ORDER BY 1, 2 LIMIT 1"
            ).fetchone()  # type: ignore[misc]
            routine, (fk, fk_table) = (
                conn.execute(q).fetchone()  # type: ignore[index]
                for q in (
                    "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON "
                    "n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prokind = 'f' "
                    "ORDER BY 1 LIMIT 1",
                    "SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE contype "
                    "= 'f' ORDER BY 1 LIMIT 1",
                )
            )
            routine = routine[0]
            for st in (
                f"GRANT SELECT ON {table} TO {role}",
                f"GRANT ALL ON {table} TO PUBLIC",
                f"GRANT UPDATE ({column}) ON {table} TO {role}",
                f"GRANT USAGE ON SCHEMA public TO {role}",
                f"REVOKE EXECUTE ON FUNCTION {routine} FROM PUBLIC",
                f"GRANT EXECUTE ON FUNCTION {routine} TO {role}",
                f"COMMENT ON INDEX {index} IS 'balance: an index comment'",
                f"COMMENT ON FUNCTION {routine} IS 'balance: a function comment'",
                f"COMMENT ON CONSTRAINT {fk} ON {fk_table} IS 'balance: a constraint comment'",
            ):
                conn.execute(st)
            catalog = {
                kind: [r[0] for r in conn.execute(query).fetchall()]  # type: ignore[arg-type]
                for kind, query in PG_CATALOG.items()
            }
            dump = subprocess.run(
                ["pg_dump", "--no-owner", pg_db.url], check=True, capture_output=True
            ).stdout
            live = read_live(pg_db.sqlalchemy_url())
        finally:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
    counts = {k: len(v) for k, v in catalog.items()}
    # the sample has every kind of object (so the balance means something)
    kinds = ("table", "foreign key", "check", "unique", "index", "sequence", "view", "trigger")
    kinds += ("routine", "grant", "revoke", "comment")
    assert all(counts[k] for k in kinds), counts
    dumped = parse_text("postgres", dump, whole=True)
    assert_balances(catalog, dumped)
    assert_balances(catalog, live)
    assert_drops_are_counted(catalog, dumped)


@pytest.mark.parametrize("sample", ["videostore_mysql.sql", "clinic_mysql.src.sql"])
def test_mysql_sample_balances(mysql_db: Any, realdumps: SimpleNamespace, sample: str) -> None:
    mysql_client(mysql_db, SAMPLES / sample)
    db = mysql_db.database
    account = f"'balance_{uuid.uuid4().hex[:8]}'@'%'"
    conn = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT t.TABLE_NAME, c.COLUMN_NAME FROM information_schema.TABLES t JOIN "
                "information_schema.COLUMNS c USING (TABLE_SCHEMA, TABLE_NAME) WHERE "
                "t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY 1, "
                "c.ORDINAL_POSITION LIMIT 1"
            )
            table, column = cur.fetchone()  # type: ignore[misc]
            cur.execute(
                "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE "
                "ROUTINE_SCHEMA = DATABASE() ORDER BY 2 LIMIT 1"
            )
            rtype, routine = cur.fetchone()  # type: ignore[misc]
            for st in (
                f"CREATE USER {account}",
                f"GRANT SELECT, INSERT ON `{db}`.`{table}` TO {account}",
                f"GRANT UPDATE (`{column}`) ON `{db}`.`{table}` TO {account}",
                f"GRANT CREATE VIEW ON `{db}`.* TO {account}",
                f"GRANT EXECUTE ON {rtype} `{db}`.`{routine}` TO {account}",
            ):
                cur.execute(st)
            catalog = {}
            for kind, query in MYSQL_CATALOG.items():
                cur.execute(query)
                catalog[kind] = [r[0] for r in cur.fetchall()]
            dump = realdumps.mysqldump(
                mysql_db, "--routines", "--triggers", "--events", "--system=users"
            )
            live = read_live(mysql_db.sqlalchemy_url())
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS {account}")
        conn.close()
    counts = {k: len(v) for k, v in catalog.items()}
    kinds = ("table", "foreign key", "check", "unique", "index", "view", "trigger", "routine")
    assert all(counts[k] for k in (*kinds, "grant")), counts
    dumped = parse_text("mysql", dump, whole=True)
    assert_balances(catalog, dumped, db)
    assert_balances(catalog, live, db)
    assert_drops_are_counted(catalog, dumped)
