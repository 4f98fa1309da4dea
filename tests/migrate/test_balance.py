"""Nothing in the source disappears without a word: every object the source catalog holds
(table, partition, column, key, index, foreign key, check, unique, view, trigger, routine, rule,
sequence, event, grant, comment) is in the DDL or named in the report, for each sample schema,
from the real pg_dump / mysqldump output of the loaded sample database and from a live read of
it; tables, columns, keys, views, triggers, routines, rules, events, grants and comments are also
counted (one accounted entry per object)."""

from __future__ import annotations

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

SAMPLES = Path(__file__).parent / "samples"

PG_CATALOG = {
    "table": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
    "column": "SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON "
    "c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
    " AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped",
    "constraint": "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = "
    "c.connamespace WHERE n.nspname = 'public' AND contype IN ('u', 'f', 'c') "
    "AND conrelid <> 0 AND conparentid = 0",
    # a primary key (its name is not kept: Spanner's keys have none) by its table
    "primary key": "SELECT c.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
    "k.contype = 'p' AND k.conparentid = 0",
    "index": "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN "
    "pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'public' AND NOT EXISTS (SELECT"
    " 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) AND NOT EXISTS (SELECT 1 FROM "
    "pg_inherits h WHERE h.inhrelid = x.indexrelid)",
    "view": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')",
    "trigger": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgparentid = 0",
    "routine": "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = 'public'",
    "rule": "SELECT rulename FROM pg_rules WHERE schemaname = 'public'",
    "sequence": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relkind = 'S'",
    # one per object and grantee other than the owner (named by its object)
    "grant": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE n.nspname = 'public' AND a.grantee <> "
    "c.relowner GROUP BY c.relname, a.grantee",
    # every comment on an object of the schema (named by its text)
    "comment": "SELECT d.description FROM pg_description d CROSS JOIN LATERAL "
    "pg_identify_object(d.classoid, d.objoid, d.objsubid) o WHERE o.schema = 'public'",
}
# (MySQL keeps grants in its system schema, which mysqldump writes only with --system=users)
MYSQL_CATALOG = {
    "table": "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_TYPE = 'BASE TABLE'",
    "column": "SELECT CONCAT(c.TABLE_NAME, '.', c.COLUMN_NAME) FROM information_schema.COLUMNS c"
    " JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = "
    "c.TABLE_NAME WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'",
    "constraint": "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE "
    "CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE IN ('FOREIGN KEY', 'CHECK') ",
    "primary key": "SELECT TABLE_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE "
    "CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'PRIMARY KEY'",
    "index": "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA ="
    " DATABASE() AND INDEX_NAME <> 'PRIMARY'",
    "view": "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
    "trigger": "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
    "DATABASE()",
    "routine": "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "
    "DATABASE()",
    "event": "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
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
}


def counted(src: SourceSchema) -> dict[str, int]:
    """Objects per catalog kind as the conversion accounts for them: tables (Spanner tables
    plus the partitions merged into them), source columns in the report, source tables whose
    key is the Spanner key, comments (a `comment` issue or a not-migrated entry each), and one
    not-migrated entry per view, trigger, routine, rule, event and grant."""
    conv = convert(src, "google_standard_sql")
    rep = report.build(conv)
    # a key declared on a table; on a partitioned table without one, each partition's own key
    # (the partitions of a table with a key have theirs attached to it: not in the catalog)
    keyed = {t.source_name for t in conv.schema.tables if not t.synthetic_pk}
    own_key = {n for n in keyed if src.tables[n].primary_key}
    from_parts = [c for c, p in conv.source.partitions.items() if p in keyed - own_key]
    out = {
        "table": len(conv.schema.tables) + len(conv.source.partitions),
        "column": sum(len(t["columns"]) for t in rep["tables"]),
        "primary key": len(own_key) + len(from_parts),
        "comment": sum(i["code"] == "comment" for t in rep["tables"] for i in t["issues"])
        + sum(o["kind"] == "comment" for o in rep["not_migrated"]),
    }
    for kind, kinds in NOT_MIGRATED_KINDS.items():
        out[kind] = sum(o["kind"] in kinds for o in rep["not_migrated"])
    return out


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


def assert_balances(catalog: dict[str, list[str]], src: SourceSchema) -> None:
    text, columns, keyed = accounted(src)
    assert_counts_balance(catalog, counted(src))
    counts = {k: len(v) for k, v in catalog.items()}
    assert balance(catalog, text, columns, keyed) == {}, counts


@pytest.mark.parametrize("sample", ["videostore_pg.sql", "clinic_pg.src.sql"])
def test_postgres_sample_balances(pg_db: Any, realdumps: SimpleNamespace, sample: str) -> None:
    realdumps.psql_file(pg_db, SAMPLES / sample)
    role = f"balance_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        # grants and comments of the kinds pg_dump writes (the samples have none of the first)
        conn.execute(f"CREATE ROLE {role}")
        try:
            table, index = conn.execute(
                "SELECT t.relname, i.relname FROM pg_index x JOIN pg_class i ON i.oid = "
                "x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON "
                "n.oid = t.relnamespace WHERE n.nspname = 'public' AND NOT x.indisprimary "
                "AND t.relkind = 'r' ORDER BY 1, 2 LIMIT 1"
            ).fetchone()  # type: ignore[misc]
            conn.execute(f"GRANT SELECT ON {table} TO {role}")
            conn.execute(f"GRANT ALL ON {table} TO PUBLIC")
            conn.execute(f"COMMENT ON INDEX {index} IS 'balance: an index comment'")
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
    kinds = ("table", "constraint", "index", "view", "trigger", "routine", "grant", "comment")
    assert all(counts[k] for k in kinds), counts
    assert_balances(catalog, parse_text("postgres", dump, whole=True))
    assert_balances(catalog, live)


@pytest.mark.parametrize("sample", ["videostore_mysql.sql", "clinic_mysql.src.sql"])
def test_mysql_sample_balances(mysql_db: Any, realdumps: SimpleNamespace, sample: str) -> None:
    cmd = ["mysql", "-h", mysql_db.host, "-P", str(mysql_db.port), "-u", mysql_db.user]
    subprocess.run(
        [*cmd, "--default-character-set=utf8mb4", mysql_db.database],
        stdin=(SAMPLES / sample).open("rb"),
        check=True,
        capture_output=True,
    )
    conn = pymysql.connect(**mysql_db.pymysql_kwargs())
    try:
        with conn.cursor() as cur:
            catalog = {}
            for kind, query in MYSQL_CATALOG.items():
                cur.execute(query)
                catalog[kind] = [r[0] for r in cur.fetchall()]
    finally:
        conn.close()
    dump = realdumps.mysqldump(mysql_db, "--routines", "--triggers", "--events")
    counts = {k: len(v) for k, v in catalog.items()}
    assert all(counts[k] for k in ("table", "constraint", "index", "view", "trigger", "routine"))
    assert_balances(catalog, parse_text("mysql", dump, whole=True))
    assert_balances(catalog, read_live(mysql_db.sqlalchemy_url()))
