"""The shared server fixtures: each test gets its own database, and it is gone afterwards."""

from __future__ import annotations

import psycopg
import pymysql

_seen: dict[str, str] = {}


def test_pg_db_is_private(pg_db, pg_server):
    assert pg_db.database != pg_server.database
    with psycopg.connect(pg_db.url) as conn:
        assert conn.execute("select current_database()").fetchone() == (pg_db.database,)
    _seen["pg"] = pg_db.database


def test_pg_db_was_dropped(pg_server):
    # Runs after the test above (file order), whose database must be gone by now.
    with psycopg.connect(pg_server.url) as conn:
        names = {r[0] for r in conn.execute("select datname from pg_database")}
    assert _seen["pg"] not in names


def test_mysql_db_is_private(mysql_db, mysql_server):
    assert mysql_db.database != mysql_server.database
    conn = pymysql.connect(**mysql_db.pymysql_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute("select database(), @@character_set_database")
            assert cur.fetchone() == (mysql_db.database, "utf8mb4")
    finally:
        conn.close()
    _seen["mysql"] = mysql_db.database


def test_mysql_db_was_dropped(mysql_server):
    conn = pymysql.connect(**mysql_server.pymysql_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute("show databases")
            names = {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
    assert _seen["mysql"] not in names
