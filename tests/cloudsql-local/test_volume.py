"""Bytes survive the proxy intact, in both directions, in bulk and under concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import os

from dbtools import cloudsql_local
from google.cloud.sql.connector import Connector, create_async_connector

PG = "csl-proj:us-central1:pg"
MY = "csl-proj:us-central1:my"


def test_large_values_both_directions(emu: cloudsql_local.Emulator, pg_db, mysql_db) -> None:  # type: ignore[no-untyped-def]
    blob = os.urandom(4 * 1024 * 1024)
    digest = hashlib.sha256(blob).hexdigest()
    with Connector(sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()) as c:
        pg = c.connect(PG, "pg8000", user=pg_db.user, db=pg_db.database)
        cur = pg.cursor()
        cur.execute("CREATE TABLE blobs (id int PRIMARY KEY, data bytea)")
        cur.execute("INSERT INTO blobs VALUES (1, %s)", (blob,))
        pg.commit()
        cur.execute("SELECT encode(sha256(data), 'hex'), data FROM blobs")
        server_digest, back = cur.fetchone()
        assert server_digest == digest  # client -> server intact
        assert bytes(back) == blob  # server -> client intact
        pg.close()

        my = c.connect(MY, "pymysql", user=mysql_db.user, db=mysql_db.database)
        cur = my.cursor()
        cur.execute("CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB)")
        cur.execute("INSERT INTO blobs VALUES (1, %s)", (blob,))
        my.commit()
        cur.execute("SELECT SHA2(data, 256), data FROM blobs")
        server_digest, back = cur.fetchone()
        assert server_digest == digest
        assert back == blob
        my.close()


async def test_concurrent_sessions(emu: cloudsql_local.Emulator, pg_server) -> None:  # type: ignore[no-untyped-def]
    connector = await create_async_connector(
        sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()
    )

    async def session(n: int) -> list[int]:
        conn = await connector.connect_async(
            PG, "asyncpg", user=pg_server.user, db=pg_server.database
        )
        try:
            out = []
            for i in range(20):
                rows = await conn.fetch(
                    "SELECT $1::int * 1000 + g AS v, repeat('z', 200) AS pad "
                    "FROM generate_series(1, 50) g",
                    n * 100 + i,
                )
                assert all(len(r["pad"]) == 200 for r in rows)
                out.append(sum(r["v"] for r in rows))
            return out
        finally:
            await conn.close()

    try:
        results = await asyncio.gather(*(session(n) for n in range(16)))
    finally:
        await connector.close_async()
    for n, sums in enumerate(results):
        assert sums == [(n * 100 + i) * 1000 * 50 + 1275 for i in range(20)]
    for _ in range(200):  # the proxy notices the closes asynchronously
        if emu.instance(PG).open_connections == 0:
            break
        await asyncio.sleep(0.025)
    assert emu.instance(PG).open_connections == 0
