"""Tags from sqlcommenter comments (opt-in), seen in spanner-local's statement log."""

from __future__ import annotations

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter.sqlcommenter import parse_comment, tags_from_comment


def test_parse_comment() -> None:
    sql = "select 1 /*action='index',controller='users',route='%5Eusers%2F',x='it\\'s'*/"
    assert parse_comment(sql) == {
        "action": "index",
        "controller": "users",
        "route": "^users/",
        "x": "it's",
    }
    assert parse_comment("select 1 /* just a remark */") == {}
    # The last comment counts wherever it is (dbtools-sqlcommenter can prepend), if it is a
    # closed block comment; malformed pairs are skipped (the same answers as that package).
    assert parse_comment("/*a='b'*/ select 1") == {"a": "b"}
    assert parse_comment("select 1 /*a='b'*/ -- remark") == {}
    assert parse_comment("select 1 /*a='b',junk*/") == {"a": "b"}
    assert tags_from_comment("select 1 /*request_tag='q1',transaction_tag='t1'*/;") == ("q1", "t1")
    long = "select 1 /*k='" + "v" * 80 + "'*/"
    request, txn = tags_from_comment(long)
    assert request is not None and len(request) == 50 and txn is None


def test_comment_tags_reach_spanner_when_opted_in(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    ins = "insert into t (id) values (1) /*action='signup',controller='users'*/"
    ins2 = "insert into t (id) values (2) /*controller='users',transaction_tag='batch%20load'*/"
    sel = "select id from t where id = 1 /*action='show',controller='users'*/"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key)")
        conn.execute(ins)  # not opted in: no tags
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("set spanner.sqlcommenter_tags = maybe")
        conn.execute("set spanner.sqlcommenter_tags = on")
        conn.execute("delete from t where true")
        conn.execute(ins)
        conn.execute(ins2)
        conn.execute(sel).fetchall()
    records = [r for r in spanner.statement_log.for_database(database) if r.sql in (ins, ins2, sel)]
    assert [(r.sql, r.request_tag or "", r.transaction_tag or "") for r in records] == [
        (ins, "", ""),
        (ins, "action=signup,controller=users", ""),
        (ins2, "controller=users", "batch load"),
        (sel, "action=show,controller=users", ""),
    ]
