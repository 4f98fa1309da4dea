"""How the existing-key check of a mutation commit grows with the table, in DuckDB alone.

    python benchmarks/spanner-local/key_check_growth.py 10000,100000,1000000,5000000

Before inserting, a commit asks which of its keys the table already holds (mutations.py,
`_existing_keys`): a join of the table with the commit's keys. This grows one table in place
and times, at each size, that query (and the other ways DuckDB offers to ask the same) for
5,000 keys spread over the whole key range: absent keys (an insert) and present ones (an
insert_or_update). The table's keys are even numbers; absent keys are odd numbers between
them, so no row group can be skipped by its key range (keys past the end of the table, as an
ascending load writes, are cheaper: DuckDB skips row groups by the join's key range).
Medians of 7, this process's CPU time.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

import duckdb

KEYS = 5000
QUERIES = {
    "join IS NOT DISTINCT FROM (what commits run)": (
        'SELECT t."Id" FROM "Kv" AS t JOIN (SELECT UNNEST($1::BIGINT[]) AS "Id") AS k '
        'ON t."Id" IS NOT DISTINCT FROM k."Id"'
    ),
    "join =": (
        'SELECT t."Id" FROM "Kv" AS t JOIN (SELECT UNNEST($1::BIGINT[]) AS "Id") AS k '
        'ON t."Id" = k."Id"'
    ),
    "IN (subquery)": 'SELECT "Id" FROM "Kv" WHERE "Id" IN (SELECT UNNEST($1::BIGINT[]))',
    "= ANY(list)": 'SELECT "Id" FROM "Kv" WHERE "Id" = ANY($1::BIGINT[])',
}


def cpu_ms(con: duckdb.DuckDBPyConnection, sql: str, keys: list[int]) -> float:
    times = []
    for _ in range(7):
        began = time.process_time()
        con.execute(sql, [keys]).fetchall()
        times.append(time.process_time() - began)
    return statistics.median(times) * 1e3


def main() -> None:
    sizes = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000").split(",")]
    con = duckdb.connect(config={"threads": 2})  # as spanner-local opens its databases
    con.execute('CREATE TABLE "Kv" ("Id" BIGINT PRIMARY KEY, "Name" VARCHAR, "Qty" BIGINT)')
    print(f"{'rows':>12}  {'query':<46}{'absent keys ms':>16}{'present keys ms':>17}")
    have = 0
    for size in sizes:
        con.execute(
            "INSERT INTO \"Kv\" SELECT i * 2, 'name ' || i, i % 1000 FROM range($1, $2) t(i)",
            [have, size],
        )
        have = size
        absent = [2 * random.randrange(size) + 1 for _ in range(KEYS)]
        present = [2 * random.randrange(size) for _ in range(KEYS)]
        for label, sql in QUERIES.items():
            a, p = cpu_ms(con, sql, absent), cpu_ms(con, sql, present)
            print(f"{size:>12,}  {label:<46}{a:>16.1f}{p:>17.1f}", flush=True)


if __name__ == "__main__":
    main()
