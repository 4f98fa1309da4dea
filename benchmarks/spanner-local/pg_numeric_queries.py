"""PostgreSQL-dialect numeric queries over N rows, inside spanner-local (no client, no gRPC):
each statement as spanner-local translates it, run by DuckDB with the functions and macros a
PostgreSQL-dialect database has. Run it from two checkouts to compare (PYTHONPATH chooses):

    python benchmarks/spanner-local/pg_numeric_queries.py [N]
    PYTHONPATH=/path/to/main/packages/spanner-local/src python benchmarks/spanner-local/...
"""

from __future__ import annotations

import statistics
import sys
import time

import duckdb
from dbtools.spanner_local import functions, translate

QUERIES = {
    "sum": "select sum(v) from t",
    "avg": "select avg(v) from t",
    "plus": "select sum(v + i) from t",
    "times": "select sum(v * i) from t",
    "compare": "select count(*) from t where v > 70000.5",
    "order by": "select id from t order by v desc limit 10",
    "numeric divide": "select sum(v / 3) from t",
    "bigint divide": "select sum(i / 3) from t",
}


def main(rows: int) -> None:
    print(f"spanner-local from {translate.__file__}")
    conn = duckdb.connect()
    conn.execute("SET GLOBAL integer_division = true")  # as a PostgreSQL-dialect database
    functions.register(conn, postgresql=True, database_id="bench")
    conn.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v DECIMAL(38,9), i BIGINT)")
    conn.execute(
        "INSERT INTO t SELECT r, CAST(r AS DECIMAL(38,9)) / 7 + 0.5, r % 1000 + 1 "
        f"FROM range({rows}) r(r)"
    )
    for name, sql in QUERIES.items():
        duck = translate.translate_pg(sql).sql
        times = []
        rounds = 1 if "divide" in name and rows > 100_000 else 5
        for _ in range(rounds):
            start = time.perf_counter()
            result = conn.execute(duck).fetchall()
            times.append(time.perf_counter() - start)
        median = statistics.median(times) * 1000
        print(f"{name:15s} {median:10.1f} ms  {result[0][0]!s:>34}  {duck}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
