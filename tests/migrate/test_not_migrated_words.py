"""What a dump holds that Spanner does not get is said in the report, from the real tools'
output: grants (listed, not converted: grants.py says why), comments on objects other than
tables and columns, and FLOAT values mysqldump writes with 6 significant digits."""

from __future__ import annotations

import subprocess
import uuid
from types import SimpleNamespace
from typing import Any

import psycopg
import pymysql
from dbtools.migrate import report
from dbtools.migrate.convert import convert
from dbtools.migrate.source import parse_text, read_live

from .conftest import mysqldump


def _not_migrated(src: Any) -> list[tuple[str, str, str]]:
    rep = report.build(convert(src, "google_standard_sql"))
    return sorted((o["kind"], o["name"], o["detail"]) for o in rep["not_migrated"])


def _issues(src: Any, code: str) -> list[str]:
    rep = report.build(convert(src, "google_standard_sql"))
    return sorted(i["column"] for t in rep["tables"] for i in t["issues"] if i["code"] == code)


def test_postgres_grants_and_comments_are_listed_from_dump_and_live(pg_db: Any) -> None:
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role}")
        try:
            for st in (
                "CREATE TABLE t (id int PRIMARY KEY, v text CONSTRAINT v_set CHECK (v <> ''))",
                "CREATE INDEX t_v ON t (v)",
                "CREATE SEQUENCE s",
                "CREATE VIEW w AS SELECT id FROM t",
                f"GRANT SELECT, INSERT ON t TO {role}",
                f"GRANT ALL ON t TO {role} WITH GRANT OPTION",
                f"GRANT USAGE ON SEQUENCE s TO {role}",
                "GRANT SELECT ON w TO PUBLIC",
                "COMMENT ON TABLE t IS 'the table'",
                "COMMENT ON INDEX t_v IS 'by value'",
                "COMMENT ON SEQUENCE s IS 'numbers'",
                # what a live read rebuilds as pg_dump's statements (pg_live_acl)
                "CREATE SCHEMA side",
                "CREATE FUNCTION side.twice(n integer, tag varchar) RETURNS int "
                "LANGUAGE sql AS 'SELECT n * 2'",
                "CREATE PROCEDURE tidy() LANGUAGE sql AS 'SELECT 1'",
                "CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer)",
                f"GRANT EXECUTE ON FUNCTION total(integer) TO {role}",
                "COMMENT ON AGGREGATE total(integer) IS 'adds up'",
                f"GRANT SELECT (v), UPDATE (v) ON t TO {role}",
                "GRANT INSERT (id) ON t TO PUBLIC",
                f"GRANT USAGE ON SCHEMA side TO {role}",
                f"GRANT ALL ON SCHEMA public TO {role}",
                "REVOKE EXECUTE ON FUNCTION side.twice(integer, varchar) FROM PUBLIC",
                f"GRANT EXECUTE ON FUNCTION side.twice(integer, varchar) TO {role}",
                "COMMENT ON FUNCTION side.twice(integer, varchar) IS 'doubles'",
                "COMMENT ON PROCEDURE tidy() IS 'tidies'",
                "COMMENT ON CONSTRAINT v_set ON t IS 'no empty values'",
                "COMMENT ON CONSTRAINT t_pkey ON t IS 'the key'",
            ):
                conn.execute(st)
            dump = subprocess.run(
                ["pg_dump", "--no-owner", pg_db.url], check=True, capture_output=True
            ).stdout
            dumped = _not_migrated(parse_text("postgres", dump, whole=True))
            live = _not_migrated(read_live(pg_db.sqlalchemy_url()))
        finally:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
    grants = [(k, n, d.split(":")[0]) for k, n, d in dumped if k in ("grant", "revoke")]
    assert grants == [
        ("grant", "function side.twice(integer, varchar)", f"GRANT EXECUTE TO {role}"),
        ("grant", "function total(integer)", f"GRANT EXECUTE TO {role}"),
        ("grant", "schema public", f"GRANT CREATE, USAGE TO {role}"),
        ("grant", "schema side", f"GRANT USAGE TO {role}"),
        ("grant", "sequence s", f"GRANT USAGE TO {role}"),
        (
            "grant",
            "table t",
            f"GRANT DELETE, INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE TO {role}",
        ),
        ("grant", "table t", "GRANT INSERT (id) TO PUBLIC"),
        ("grant", "table t", f"GRANT SELECT (v), UPDATE (v) TO {role}"),
        ("grant", "table w", "GRANT SELECT TO PUBLIC"),
        ("revoke", "function side.twice(integer, varchar)", "REVOKE EXECUTE FROM PUBLIC"),
    ]
    assert all("not migrated" in d for k, _n, d in dumped if k in ("grant", "revoke"))
    comments = [(k, n, d) for k, n, d in dumped if k == "comment"]
    assert comments == [
        ("comment", "aggregate total(integer)", "adds up"),
        ("comment", "constraint t.t_pkey", "the key"),
        ("comment", "constraint t.v_set", "no empty values"),
        ("comment", "function side.twice(integer, varchar)", "doubles"),
        ("comment", "index t_v", "by value"),
        ("comment", "procedure tidy()", "tidies"),
        ("comment", "sequence s", "numbers"),
    ]
    # the live read lists the same grants and comments
    kinds = ("grant", "revoke", "comment")
    assert [g for g in live if g[0] in kinds] == [g for g in dumped if g[0] in kinds]


def test_mysql_grants_in_a_dump_are_listed() -> None:
    text = (
        "CREATE TABLE `t` (`id` int NOT NULL, PRIMARY KEY (`id`));\n"
        "GRANT SELECT, INSERT ON `db`.`t` TO 'app'@'%';\n"
        "GRANT ALL PRIVILEGES ON *.* TO 'admin'@'localhost' WITH GRANT OPTION;\n"
        "GRANT `r1` TO 'bob'@'%';\n"
    )
    listed = [(k, n, d.split(":")[0]) for k, n, d in _not_migrated(parse_text("mysql", text))]
    assert listed == [
        ("grant", "server *.*", "GRANT ALL PRIVILEGES TO 'admin'@'localhost'"),
        ("grant", "table db.t", "GRANT INSERT, SELECT TO 'app'@'%'"),
        ("role grant", "`r1`", "GRANT `r1` TO 'bob'@'%'"),
    ]


def _mysql_grants(src: Any) -> list[tuple[str, str, str]]:
    return [(k, n, d.split(":")[0]) for k, n, d in _not_migrated(src) if k == "grant"]


def test_mysql_grants_are_listed_from_dump_and_live(mysql_db: Any) -> None:
    """mysqldump --system=users writes SHOW GRANTS; a live read lists the same grants on the
    database (its own, its tables', columns' and routines'), named alike."""
    user = f"app_{uuid.uuid4().hex[:8]}"
    account = f"'{user}'@'%'"
    db = mysql_db.database
    admin = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    try:
        with admin.cursor() as cur:
            for st in (
                "CREATE TABLE t (id int PRIMARY KEY, a int, b int)",
                "CREATE PROCEDURE tidy() SELECT 1",
                "CREATE FUNCTION one() RETURNS int RETURN 1",
                f"CREATE USER {account}",
                f"GRANT SELECT, INSERT ON `{db}`.t TO {account}",
                f"GRANT UPDATE (b, a), SELECT (a) ON `{db}`.t TO {account}",
                f"GRANT CREATE VIEW ON `{db}`.* TO {account}",
                f"GRANT EXECUTE ON PROCEDURE `{db}`.tidy TO {account}",
                f"GRANT EXECUTE ON FUNCTION `{db}`.one TO {account}",
            ):
                cur.execute(st)
        dump = mysqldump(mysql_db, "--system=users", "--routines")
        live = _mysql_grants(read_live(mysql_db.sqlalchemy_url()))
        reader = f"mysql+pymysql://{user}@{mysql_db.host}:{mysql_db.port}/{db}"
        as_user = _not_migrated(read_live(reader))
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS {account}")
        admin.close()
    mine = [g for g in _mysql_grants(parse_text("mysql", dump, whole=True)) if account in g[2]]
    assert mine == [
        ("grant", f"database {db}", f"GRANT CREATE VIEW TO {account}"),
        ("grant", f"function {db}.one", f"GRANT EXECUTE TO {account}"),
        ("grant", f"procedure {db}.tidy", f"GRANT EXECUTE TO {account}"),
        ("grant", "server *.*", f"GRANT USAGE TO {account}"),
        ("grant", f"table {db}.t", f"GRANT INSERT, SELECT, SELECT (a), UPDATE (a, b) TO {account}"),
    ]
    # the live read lists the database's grants (the server's are not the database's)
    assert live == [g for g in mine if g[1] != "server *.*"]
    # an account that may not read mysql.procs_priv is told what it could not list
    unread = [(k, n) for k, n, d in as_user if "not read" in d]
    assert unread == [("grant", "(routines)")]
    assert ("grant", f"table {db}.t") in {(k, n) for k, n, _d in as_user}


def test_mysqldump_float_digits_are_warned_per_column(
    mysql_db: Any, realdumps: SimpleNamespace
) -> None:
    conn = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE f (id int PRIMARY KEY, a float, b double, c float(53), "
                "d float(10,3), e float NOT NULL)"
            )
            cur.execute("INSERT INTO f VALUES (1, 16777216, 16777216, 16777216, 1.5, 123456.7)")
    finally:
        conn.close()
    dump = realdumps.mysqldump(mysql_db)
    # what the real mysqldump writes: FLOAT with 6 significant digits, DOUBLE in full
    assert b"(1,16777200,16777216,16777216,1.500,123457)" in dump.replace(b"\n", b"")
    assert _issues(parse_text("mysql", dump, whole=True), "dump_float_precision") == [
        "a",
        "d",
        "e",
    ]
    assert _issues(read_live(mysql_db.sqlalchemy_url()), "dump_float_precision") == []
