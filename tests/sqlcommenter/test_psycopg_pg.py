"""psycopg 3 connections against the real PostgreSQL, sync and async."""

from __future__ import annotations

import psycopg
from dbtools.sqlcommenter import parse, tagged
from dbtools.sqlcommenter.psycopg import connect, connect_async, instrument, uninstrument
from psycopg import sql

OWN = "select query from pg_stat_activity where pid = pg_backend_pid()"


def test_sync_connection_sends_comment(pg_db, tracer, traceparent) -> None:
    with connect(pg_db.url, autocommit=True, sqlcomment={"application": "jobs"}) as conn:
        with tracer.start_as_current_span("job") as span:
            seen = conn.execute(OWN).fetchone()[0]
            with_params = conn.execute(OWN + " and %s = 1", [1]).fetchone()[0]
            cur = conn.cursor()
            cur.execute(OWN, sqlcomment={"step": "2/3"})
            per_statement = cur.fetchone()[0]
    tags = parse(seen).tags
    assert seen.startswith(OWN + " /*")
    assert tags["traceparent"] == traceparent(span)
    assert tags["application"] == "jobs"
    assert tags["db_driver"] == f"psycopg:{psycopg.__version__}"
    assert with_params.startswith(OWN + " and $1 = 1 /*")
    assert parse(with_params).tags == tags
    assert parse(per_statement).tags["step"] == "2/3"


def test_composable_query(pg_db) -> None:
    query = sql.SQL("select {} as lit, query from pg_stat_activity where pid = {}").format(
        sql.Literal("/* not a comment -- ;"), sql.SQL("pg_backend_pid()")
    )
    with connect(pg_db.url, autocommit=True) as conn, tagged(kind="composable"):
        lit, seen = conn.execute(query).fetchone()
    assert lit == "/* not a comment -- ;"
    assert parse(seen, "postgresql").tags["kind"] == "composable"
    assert seen.startswith("select '/* not a comment -- ;' as lit")


def test_bytes_query(pg_db) -> None:
    with connect(pg_db.url, autocommit=True) as conn, tagged(kind="bytes"):
        seen = conn.execute(OWN.encode()).fetchone()[0]
    assert parse(seen).tags["kind"] == "bytes"


def test_server_side_cursor_and_client_cursor(pg_db) -> None:
    with connect(pg_db.url, sqlcomment={"application": "x"}) as conn:
        with conn.cursor(name="named") as cur:
            cur.execute("select 1 as one")
            assert cur.fetchone() == (1,)
            declared = conn.execute(
                "select statement from pg_cursors where name = 'named'"
            ).fetchone()[0]
    assert parse(declared).tags["application"] == "x"
    with psycopg.connect(pg_db.url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        instrument(conn, application="client")
        seen = conn.execute(OWN + " and %s = 1", [1]).fetchone()[0]
    # client-side binding: the server sees the literal, and our %% became %
    assert seen.startswith(OWN + " and 1 = 1 /*")
    assert parse(seen).tags["application"] == "client"


def test_prepared_statements_use_stable_comment(pg_db, tracer) -> None:
    with connect(pg_db.url, autocommit=True, sqlcomment={"application": "prep"}) as conn:
        for i in range(3):
            with tracer.start_as_current_span(f"req{i}"):
                conn.execute("select %s::int", [i], prepare=True)
        prepared = conn.execute(
            "select statement from pg_prepared_statements where statement like 'select $1%'"
        ).fetchall()
    # one server-side prepared statement reused by all three calls, comment without traceparent
    assert len(prepared) == 1
    tags = parse(prepared[0][0]).tags
    assert tags["application"] == "prep" and "traceparent" not in tags


def test_uninstrument_restores_cursor_classes(pg_db) -> None:
    conn = psycopg.connect(pg_db.url, autocommit=True)
    try:
        before = conn.cursor_factory
        instrument(conn)
        instrument(conn)  # idempotent: still one level of commenting
        assert conn.execute(OWN).fetchone()[0].count("/*") == 1
        uninstrument(conn)
        assert conn.cursor_factory is before
        assert conn.execute(OWN).fetchone()[0] == OWN
    finally:
        conn.close()


async def test_async_connection(pg_db, tracer, traceparent) -> None:
    conn = await connect_async(pg_db.url, autocommit=True, sqlcomment={"application": "async"})
    try:
        with tracer.start_as_current_span("areq") as span:
            cur = await conn.execute(OWN)
            seen = (await cur.fetchone())[0]
            cur = conn.cursor()
            await cur.execute(OWN + " and %s = 1", [1], sqlcomment={"k": "v"})
            with_params = (await cur.fetchone())[0]
            async with conn.cursor(name="acur", withhold=True) as scur:
                await scur.execute("select 1")
                assert await scur.fetchone() == (1,)
    finally:
        await conn.close()
    assert parse(seen).tags["traceparent"] == traceparent(span)
    assert parse(seen).tags["application"] == "async"
    assert parse(with_params).tags["k"] == "v"


def test_comment_builder_failure_sends_sql_unchanged(pg_db, monkeypatch) -> None:
    from dbtools.sqlcommenter import core

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal bug")

    monkeypatch.setattr(core, "current_span_context", boom)
    with connect(pg_db.url, autocommit=True) as conn:
        seen = conn.execute(OWN).fetchone()[0]
    assert seen == OWN


def test_server_errors_and_dropped_connections_propagate(pg_db) -> None:
    """The commenter never hides what the server says: errors reach the application unchanged."""
    import pytest

    with connect(pg_db.url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("select * from no_such_table")
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("selec 1")
        pid = conn.info.backend_pid
        with psycopg.connect(pg_db.url, autocommit=True) as killer:
            killer.execute("select pg_terminate_backend(%s)", [pid])
        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 1")


def _running_query(url: str, pid: int) -> str:
    """What another backend is running, read from a second connection."""
    with psycopg.connect(url, autocommit=True) as other:
        row = other.execute("select query from pg_stat_activity where pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def test_copy_and_stream_are_commented(pg_db) -> None:
    with connect(pg_db.url, autocommit=True, sqlcomment={"application": "copy"}) as conn:
        conn.execute("create table t (a int)")
        cur = conn.cursor()
        with cur.copy("copy t from stdin") as copy:
            copy.write_row((1,))
            during_copy = _running_query(pg_db.url, conn.info.backend_pid)
        rows = list(cur.stream(OWN))
        assert conn.execute("select count(*) from t").fetchone() == (1,)
    assert during_copy.startswith("copy t from stdin /*")
    assert parse(during_copy).tags["application"] == "copy"
    assert parse(rows[0][0]).tags["application"] == "copy"


async def test_async_copy_is_commented(pg_db) -> None:
    conn = await connect_async(pg_db.url, autocommit=True, sqlcomment={"application": "acopy"})
    try:
        await conn.execute("create table t (a int)")
        cur = conn.cursor()
        async with cur.copy("copy t from stdin") as copy:
            await copy.write_row((1,))
            during_copy = _running_query(pg_db.url, conn.info.backend_pid)
        cur = await conn.execute("select count(*) from t")
        assert (await cur.fetchone()) == (1,)
    finally:
        await conn.close()
    assert parse(during_copy).tags["application"] == "acopy"
