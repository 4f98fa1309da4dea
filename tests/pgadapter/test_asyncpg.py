"""asyncpg through the proxy: extended protocol, binary formats, statement cache."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal

import asyncpg
import pytest

COLUMNS = "id, name, v, f8, f4, b, byt, ts, d, j, txt, a_i, a_s, a_f8, a_b, a_n, a_d, a_ts, a_by"
ROW = (
    1,
    "héllo",
    Decimal("-12345.000000001"),
    2.5,
    1.25,
    False,
    b"\x00\xff",
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc),
    dt.date(1970, 1, 1),
    json.dumps({"a": [1, 2]}),
    "text",
    [1, None, 2**63 - 1],
    ["x", None, ""],
    [1.5, None],
    [True, False, None],
    [Decimal("0.5"), None],
    [dt.date(2024, 2, 29)],
    [dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), None],
    [b"\x01\x02", None],
)


async def test_every_type_binary_round_trip(typed_url: str) -> None:
    conn = await asyncpg.connect(typed_url)
    try:
        placeholders = ", ".join(f"${i + 1}" for i in range(len(ROW)))
        status = await conn.execute(
            f"insert into all_types ({COLUMNS}) values ({placeholders})", *ROW
        )
        assert status == "INSERT 0 1"
        row = await conn.fetchrow(f"select {COLUMNS} from all_types where id = $1", 1)
        assert row is not None
        got = list(row)
        assert got[:9] == list(ROW[:9])
        assert json.loads(got[9]) == {"a": [1, 2]}
        assert got[10:] == list(ROW[10:])
    finally:
        await conn.close()


async def test_int2_int4_parameters_and_casts(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("select $1::int4 + 1", 41) == 42
        assert await conn.fetchval("select $1::int2", 7) == 7
        assert await conn.fetchval("select $1::numeric * 2", Decimal("1.25")) == Decimal("2.5")
        assert await conn.fetchval("select $1::text || 'x'", "a") == "ax"
        assert await conn.fetchval(
            "select $1::timestamptz", dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        ) == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    finally:
        await conn.close()


async def test_statement_cache_reuses_prepared_statements(url: str) -> None:
    conn = await asyncpg.connect(url, statement_cache_size=100)
    try:
        await conn.execute("create table t (id bigint primary key, n varchar)")
        for i in range(20):
            await conn.execute("insert into t (id, n) values ($1, $2)", i, f"n{i}")
        for i in range(20):
            assert await conn.fetchval("select n from t where id = $1", i) == f"n{i}"
        assert len(conn._stmt_cache) >= 2  # type: ignore[attr-defined]
    finally:
        await conn.close()


async def test_executemany_and_fetch(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("create table t (id bigint primary key, f float8)")
        await conn.executemany(
            "insert into t (id, f) values ($1, $2)", [(i, i * 1.5) for i in range(100)]
        )
        rows = await conn.fetch("select id, f from t where id >= $1 order by id", 90)
        assert [tuple(r) for r in rows] == [(i, i * 1.5) for i in range(90, 100)]
    finally:
        await conn.close()


async def test_transactions(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("create table t (id bigint primary key)")
        async with conn.transaction():
            await conn.execute("insert into t values ($1)", 1)
            await conn.execute("insert into t values ($1)", 2)
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await conn.execute("insert into t values ($1)", 3)
                raise RuntimeError("roll back")
        assert await conn.fetchval("select count(*) from t") == 2
        async with conn.transaction(readonly=True):
            assert await conn.fetchval("select count(*) from t") == 2
    finally:
        await conn.close()


async def test_errors_keep_connection_usable(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.exceptions.UndefinedTableError):
            await conn.fetch("select * from nope")
        await conn.execute("create table t (id bigint primary key)")
        await conn.execute("insert into t values (1)")
        with pytest.raises(asyncpg.exceptions.UniqueViolationError):
            await conn.execute("insert into t values ($1)", 1)
        assert await conn.fetchval("select 2") == 2
    finally:
        await conn.close()


async def test_cursor_iteration_with_prefetch(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("create table t (id bigint primary key)")
        await conn.execute("insert into t select * from generate_series(1, 1000)")
        async with conn.transaction():
            seen = [r["id"] async for r in conn.cursor("select id from t order by id", prefetch=64)]
        assert seen == list(range(1, 1001))
    finally:
        await conn.close()


async def test_timeout_sends_cancel_request_and_connection_survives(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        long_query = (
            "select count(*) from generate_series(1, 15000) a, generate_series(1, 15000) b "
            "where (a.a * b.b) % 7 = 3"
        )
        with pytest.raises(asyncio.TimeoutError):
            await conn.fetchval(long_query, timeout=0.3)
        assert await conn.fetchval("select 5") == 5
    finally:
        await conn.close()
