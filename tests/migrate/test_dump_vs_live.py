"""A dump run and a live run of the same database give the same DDL, the same identity starts,
the same issues and the same list of objects not migrated. The databases are the sample
schemas (sakila-like and pagila-like, and the larger clinic schema, with partitions, triggers,
rules and routines) loaded
with the real clients, dumped with the real mysqldump / pg_dump."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from dbtools.migrate import ddl, report
from dbtools.migrate.convert import convert
from dbtools.migrate.model import SourceSchema
from dbtools.migrate.source import parse_text, read_live

from .conftest import mysql_client

SAMPLES = Path(__file__).parent / "samples"
PG_EXTRA = [
    # a counter fed by a sequence the column does not own (pagila's payment_id): the dump's
    # setval() and the live sequence must give the same start
    "CREATE SEQUENCE loose_seq",
    "SELECT setval('loose_seq', 500)",
    "CREATE TABLE loose (id int DEFAULT nextval('loose_seq') NOT NULL PRIMARY KEY, v text)",
    "INSERT INTO loose (id, v) VALUES (7, 'x')",
    "CREATE RULE loose_no_delete AS ON DELETE TO loose DO INSTEAD NOTHING",
    "CREATE SCHEMA other",
    "CREATE TABLE other.thing (id int PRIMARY KEY)",
]


def comparable(src: SourceSchema, dialect: str) -> dict[str, Any]:
    conv = convert(src, dialect)
    rep = report.build(conv)
    # "(live)" says where a maximum was read; everything else must be the same
    issues = sorted(
        (i["code"], i["table"] or "", i["column"] or "", i["explanation"].replace(" (live)", ""))
        for t in rep["tables"]
        for i in t["issues"]
    ) + sorted((i["code"], i["explanation"]) for i in rep["general_issues"])  # type: ignore[misc]
    return {
        "ddl": ddl.render(conv.schema),
        "issues": issues,
        "not_migrated": sorted((o["kind"], o["name"], o["detail"]) for o in rep["not_migrated"]),
        "diagnostics": rep["diagnostics"],
    }


def assert_same(dumped: SourceSchema, live: SourceSchema) -> None:
    for dialect in ("google_standard_sql", "postgresql"):
        a, b = comparable(dumped, dialect), comparable(live, dialect)
        assert a["diagnostics"] == b["diagnostics"] == []
        assert a["ddl"] == b["ddl"]
        assert a["not_migrated"] == b["not_migrated"]
        assert a["issues"] == b["issues"]


@pytest.mark.parametrize("sample", ["videostore_pg.sql", "clinic_pg.src.sql"])
def test_postgres_dump_and_live_agree(pg_db: Any, realdumps: SimpleNamespace, sample: str) -> None:
    realdumps.psql_file(pg_db, SAMPLES / sample)
    import psycopg

    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        for st in PG_EXTRA:
            conn.execute(st)
    dumped = parse_text("postgres", realdumps.pg_dump(pg_db), whole=True)
    live = read_live(pg_db.sqlalchemy_url())
    assert_same(dumped, live)
    loose = re.search(
        r"CREATE TABLE `loose` \(\n  `id` [^\n]*", comparable(live, "google_standard_sql")["ddl"]
    )
    assert loose and "START COUNTER WITH 501" in loose.group(0)
    kinds = {(k, n) for k, n, _d in comparable(live, "google_standard_sql")["not_migrated"]}
    assert ("rule", "loose_no_delete") in kinds


@pytest.mark.parametrize("sample", ["videostore_mysql.sql", "clinic_mysql.src.sql"])
@pytest.mark.parametrize("variant", ["default", "skip-extended-insert"])
def test_mysql_dump_and_live_agree(
    mysql_db: Any, realdumps: SimpleNamespace, variant: str, sample: str
) -> None:
    mysql_client(mysql_db, SAMPLES / sample)
    dump = realdumps.mysqldump(
        mysql_db, "--routines", "--triggers", "--events", *realdumps.MYSQL_VARIANTS[variant]
    )
    assert_same(parse_text("mysql", dump, whole=True), read_live(mysql_db.sqlalchemy_url()))
