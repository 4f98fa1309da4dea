"""MariaDB through SQLAlchemy + pymysql, and the DB-API wrapper over pymysql, sqlite3, psycopg."""

from __future__ import annotations

import sqlite3
from importlib.metadata import version

import psycopg
import pymysql
import pytest
import sqlalchemy
from dbtools.sqlcommenter import parse, tagged
from dbtools.sqlcommenter.dbapi import wrap
from dbtools.sqlcommenter.sqlalchemy import instrument
from sqlalchemy import create_engine, text

OWN_MYSQL = "select info from information_schema.processlist where id = connection_id()"


@pytest.mark.parametrize("hook", ["dialect", "event"])
def test_sqlalchemy_pymysql_comment_reaches_mariadb(mysql_db, tracer, traceparent, hook) -> None:
    engine = instrument(
        create_engine(mysql_db.sqlalchemy_url("pymysql")), application="shop", hook=hook
    )
    try:
        with tracer.start_as_current_span("req") as span, engine.connect() as conn:
            seen = conn.execute(text(OWN_MYSQL)).scalar_one()
            with_param = conn.execute(text(OWN_MYSQL + " and :x = 1"), {"x": 1}).scalar_one()
            with tagged(route="/a/b"):
                hashed = conn.execute(
                    text(
                        "select '#' as h, info from information_schema.processlist where id = connection_id()"
                    )
                ).one()
            commented = conn.execute(text(OWN_MYSQL + " # mine")).scalar_one()
    finally:
        engine.dispose()
    tags = parse(seen, "mysql").tags
    assert seen.startswith(OWN_MYSQL + " /*")
    assert tags["traceparent"] == traceparent(span)
    assert tags["db_driver"] == f"pymysql:{version('pymysql')}"
    assert tags["db_framework"] == f"sqlalchemy:{sqlalchemy.__version__}"
    # pymysql substitutes client-side: the literal arrives, and our %% arrived as %
    assert with_param.startswith(OWN_MYSQL + " and 1 = 1 /*")
    assert parse(with_param, "mysql").tags == tags
    assert hashed[0] == "#" and parse(hashed[1], "mysql").tags["route"] == "/a/b"
    assert commented == OWN_MYSQL + " # mine"


def test_prepend_for_mysql(mysql_db) -> None:
    engine = instrument(create_engine(mysql_db.sqlalchemy_url("pymysql")), position="prepend")
    try:
        with engine.connect() as conn:
            seen = conn.execute(text(OWN_MYSQL)).scalar_one()
    finally:
        engine.dispose()
    assert seen.startswith("/*db_driver=") and seen.endswith("*/ " + OWN_MYSQL)


def test_dbapi_wrapper_over_pymysql(mysql_db, tracer, traceparent) -> None:
    raw = pymysql.connect(**mysql_db.pymysql_kwargs())
    conn = wrap(raw, application="raw")
    try:
        with tracer.start_as_current_span("x") as span, conn.cursor() as cur:
            cur.execute(OWN_MYSQL)
            seen = cur.fetchone()[0]
            cur.execute(OWN_MYSQL + " and %s = 1", (1,), sqlcomment={"n": "100%"})
            with_param = cur.fetchone()[0]
            cur.execute("create table t (v varchar(20))")
            cur.executemany("insert into t values (%s)", [("a",), ("b",)])
            conn.commit()
            cur.execute("select count(*) from t")
            assert cur.fetchone() == (2,)
    finally:
        conn.close()
    assert parse(seen, "mysql").tags["traceparent"] == traceparent(span)
    assert parse(seen, "mysql").tags["db_driver"] == f"pymysql:{version('pymysql')}"
    assert with_param.startswith(OWN_MYSQL + " and 1 = 1 /*")
    assert parse(with_param, "mysql").tags["n"] == "100%"
    assert conn.wrapped is raw


def test_dbapi_wrapper_over_sqlite3_sees_statements_as_executed() -> None:
    raw = sqlite3.connect(":memory:")
    executed: list[str] = []
    raw.set_trace_callback(executed.append)
    conn = wrap(raw, application="lite")
    with tagged(job="j"):
        conn.execute("create table t (a text)")
        conn.execute("insert into t values (?)", ("50% off",))
        assert conn.execute("select a from t where a like '%off'").fetchone() == ("50% off",)
    conn.execute("select 1 -- mine")
    conn.close()
    executed = [s for s in executed if s.strip() != "BEGIN"]  # sqlite3's own implicit BEGIN
    # qmark driver: a single % everywhere, with or without parameters
    for statement in executed[:3]:
        assert "%%" not in statement
        assert parse(statement, "sqlite").tags == {
            "application": "lite",
            "db_driver": f"sqlite3:{sqlite3.sqlite_version}",
            "job": "j",
        }
    assert executed[1].startswith("insert into t values ('50% off') /*")
    assert executed[3] == "select 1 -- mine"


def test_dbapi_wrapper_over_psycopg(pg_db) -> None:
    conn = wrap(psycopg.connect(pg_db.url, autocommit=True), db_driver=False, application="w")
    try:
        cur = conn.cursor()
        cur.execute("select query from pg_stat_activity where pid = pg_backend_pid()")
        seen = cur.fetchone()[0]
    finally:
        conn.close()
    assert parse(seen).tags == {"application": "w"}
