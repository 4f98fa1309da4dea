"""asyncpg: typed CRUD with its binary codecs (and its pg_type introspection for arrays and
jsonb), transactions, prepared statements, copy_records_to_table / copy_from_query, a cursor."""

from __future__ import annotations

import asyncio
import json

import asyncpg
from workload import COLUMNS, DDL, ROWS, SEQ, STREAMED, check, check_rows, report

PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, 14))


async def main() -> None:
    conn = await asyncpg.connect()
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    for stmt in DDL:
        await conn.execute(stmt)
    async with conn.transaction():
        await conn.executemany(f"INSERT INTO items ({COLUMNS}) VALUES ({PLACEHOLDERS})", ROWS)
    got = await conn.fetch(f"SELECT {COLUMNS} FROM items ORDER BY id")
    check_rows([tuple(r) for r in got])
    try:
        async with conn.transaction():
            await conn.execute("UPDATE items SET name = 'changed' WHERE id = 1")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    check(await conn.fetchval("SELECT name FROM items WHERE id = 1"), "alpha", "rollback")
    stmt = await conn.prepare("SELECT name FROM items WHERE id = $1")
    for i in range(1, 4):
        check(await stmt.fetchval(i), ROWS[i - 1][1], f"prepared {i}")
    try:
        await conn.execute("INSERT INTO notes (id, item_id) VALUES (2, 99)")
        raise AssertionError("FK violation accepted")
    except asyncpg.ForeignKeyViolationError:
        pass
    await conn.copy_records_to_table("seq", records=[(i,) for i in range(1, SEQ + 1)])
    lines: list[bytes] = []

    async def sink(chunk: bytes) -> None:
        lines.append(chunk)

    await conn.copy_from_query("SELECT id FROM seq ORDER BY id", output=sink)
    copied = [int(x) for x in b"".join(lines).split()]
    check(copied, list(range(1, SEQ + 1)), "copy_from_query")
    streamed = total = 0
    async with conn.transaction():
        async for a, _b in conn.cursor("SELECT a.id, b.id FROM seq a CROSS JOIN seq b"):
            streamed += 1
            total += a
    check(streamed, STREAMED, "streamed rows")
    await conn.close()
    report("asyncpg", streamed=streamed, sum=total, copied=len(copied), rows=len(ROWS))


if __name__ == "__main__":
    asyncio.run(main())
