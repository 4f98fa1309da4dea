"""Transaction semantics through the proxy: implicit/explicit, savepoints, ABORTED retry, DDL."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
import sqlalchemy as sa
from dbtools.pgadapter import Proxy
from sqlalchemy.ext.asyncio import create_async_engine


def _setup(dsn: str, rows: int = 2) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, v bigint)")
        for i in range(1, rows + 1):
            conn.execute("insert into t (id, v) values (%s, %s)", (i, i * 10))


def test_savepoints_are_emulated(dsn: str) -> None:
    _setup(dsn)
    with psycopg.connect(dsn) as conn:
        with conn.transaction():
            conn.execute("update t set v = 11 where id = 1")
            with pytest.raises(RuntimeError):
                with conn.transaction():  # SAVEPOINT ... ROLLBACK TO SAVEPOINT
                    conn.execute("update t set v = 99 where id = 2")
                    raise RuntimeError("undo the inner block")
            with conn.transaction():  # SAVEPOINT ... RELEASE SAVEPOINT
                conn.execute("insert into t (id, v) values (3, 30)")
        rows = conn.execute("select id, v from t order by id").fetchall()
    assert rows == [(1, 11), (2, 20), (3, 30)]


def test_rollback_to_savepoint_recovers_a_failed_block(dsn: str) -> None:
    _setup(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("begin")
        conn.execute("insert into t (id, v) values (5, 50)")
        conn.execute("savepoint s1")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into t (id, v) values (1, 0)")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("select 1")
        conn.execute("rollback to savepoint s1")
        conn.execute("insert into t (id, v) values (6, 60)")
        conn.execute("commit")
        assert conn.execute("select id from t order by id").fetchall() == [(1,), (2,), (5,), (6,)]
        with pytest.raises(psycopg.errors.NoActiveSqlTransaction):
            conn.execute("savepoint outside")
        conn.execute("begin")
        with pytest.raises(psycopg.errors.InvalidSavepointSpecification):
            conn.execute("rollback to savepoint never_made")
        conn.execute("rollback")


def test_implicit_transaction_in_a_pipeline_is_atomic(dsn: str) -> None:
    """Statements before one Sync form an implicit transaction: an error undoes them all."""
    _setup(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            with conn.pipeline():
                conn.execute("insert into t (id, v) values (%s, %s)", (10, 100))
                conn.execute("insert into t (id, v) values (%s, %s)", (1, 0))
        assert conn.execute("select count(*) from t").fetchone() == (2,)
        with conn.pipeline():
            conn.execute("insert into t (id, v) values (%s, %s)", (10, 100))
            conn.execute("insert into t (id, v) values (%s, %s)", (11, 110))
        assert conn.execute("select count(*) from t").fetchone() == (4,)


def test_write_conflict_is_retried_then_reported(proxy: Proxy, dsn: str) -> None:
    """spanner-local aborts a writer that conflicts with an open transaction: the proxy retries
    the implicit transaction, then reports 40001; once the other commits, the write goes in."""
    _setup(dsn)
    before = proxy.server.stats["aborts_retried"]
    with psycopg.connect(dsn, autocommit=True) as a, psycopg.connect(dsn, autocommit=True) as b:
        a.execute("begin")
        a.execute("update t set v = 21 where id = 2")
        with pytest.raises(psycopg.errors.SerializationFailure):
            b.execute("update t set v = 22 where id = 2")
        assert proxy.server.stats["aborts_retried"] > before
        a.execute("commit")
        b.execute("update t set v = 22 where id = 2")
        assert b.execute("select v from t where id = 2").fetchone() == (22,)


def test_aborted_transaction_with_changed_data_reports_40001(dsn: str) -> None:
    _setup(dsn)
    with psycopg.connect(dsn, autocommit=True) as a, psycopg.connect(dsn, autocommit=True) as b:
        a.execute("begin")
        assert a.execute("select v from t where id = 1").fetchone() == (10,)
        b.execute("update t set v = 77 where id = 1")
        with pytest.raises(psycopg.errors.SerializationFailure):
            a.execute("update t set v = v + 1 where id = 1")
            a.execute("commit")
        a.rollback() if a.info.transaction_status != psycopg.pq.TransactionStatus.IDLE else None
        assert a.execute("select v from t where id = 1").fetchone() == (77,)


def test_ddl_batch_in_one_query(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(
            "create table a (id bigint primary key); create table b (id bigint primary key);"
            "create index ai on a (id)"
        )
        assert cur.statusmessage == "CREATE"
        assert cur.nextset() and cur.statusmessage == "CREATE"
        assert cur.nextset() and cur.statusmessage == "CREATE"
        conn.execute("insert into b (id) values (1)")


def test_ddl_in_transactions(dsn: str) -> None:
    _setup(dsn)
    with psycopg.connect(dsn) as conn:  # BEGIN is sent first: an empty block accepts DDL
        conn.execute("create table c (id bigint primary key)")
        conn.commit()
        conn.execute("insert into t (id, v) values (3, 30)")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute("create table d (id bigint primary key)")
        conn.rollback()
        conn.execute("set spanner.ddl_transaction_mode = 'autocommit_explicit_transaction'")
        conn.commit()
        conn.execute("insert into t (id, v) values (4, 40)")
        conn.execute("create table d (id bigint primary key)")  # commits the insert first
        conn.rollback()
        assert conn.execute("select count(*) from t").fetchone() == (3,)
        conn.execute("insert into d (id) values (1)")
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute(
                "insert into t (id, v) values (9, 9); create table e (id bigint primary key)"
            )
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("set spanner.ddl_transaction_mode = 'sometimes'")


def test_ddl_error_keeps_connection_usable(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table a (id bigint primary key)")
        with pytest.raises(psycopg.errors.DuplicateTable):
            conn.execute("create table a (id bigint primary key)")
        assert conn.execute("select count(*) from a").fetchone() == (0,)


@pytest.mark.parametrize("driver", ["psycopg", "pg8000"])
def test_sqlalchemy_connects_and_queries(proxy: Proxy, database: str, driver: str) -> None:
    engine = sa.create_engine(f"postgresql+{driver}://u@{proxy.host}:{proxy.port}/{database}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("create table s (id bigint primary key, n varchar)"))
        with engine.begin() as conn:
            conn.execute(
                sa.text("insert into s (id, n) values (:i, :n)"),
                [{"i": 1, "n": "a"}, {"i": 2, "n": "b"}],
            )
        with engine.connect() as conn:
            assert conn.execute(sa.text("select n from s where id = :i"), {"i": 2}).scalar() == "b"
            assert conn.dialect.server_version_info[:2] == (14, 1)
            assert conn.dialect.default_schema_name == "public"
    finally:
        engine.dispose()


def test_sqlalchemy_asyncpg(proxy: Proxy, database: str) -> None:
    async def run() -> None:
        engine = create_async_engine(f"postgresql+asyncpg://u@{proxy.host}:{proxy.port}/{database}")
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text("create table s (id bigint primary key)"))
            async with engine.begin() as conn:
                await conn.execute(sa.text("insert into s (id) values (:i)"), [{"i": 1}, {"i": 2}])
            async with engine.connect() as conn:
                assert (await conn.execute(sa.text("select count(*) from s"))).scalar() == 2
        finally:
            await engine.dispose()

    asyncio.run(run())
