"""COPY FROM with one CopyData message per row, as some clients send it: rows per second
through an in-process pgadapter in front of an in-process spanner-local (non-atomic mode).

    python benchmarks/pgadapter/copy_per_row.py [--rows 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from dbtools import spanner_local
from dbtools.pgadapter import serve
from google.cloud.spanner_admin_database_v1.types import DatabaseDialect


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with spanner_local.serve(statement_log=False) as ep:
        db = (
            ep.client()
            .instance(ep.instance)
            .database("bench_db", database_dialect=DatabaseDialect.POSTGRESQL)
        )
        db.create().result(60)
        with (
            serve(spanner_local.DEFAULT_PROJECT, ep.instance, emulator_host=ep.address) as px,
            psycopg.connect(px.dsn("bench_db"), autocommit=True) as conn,
        ):
            conn.execute("create table t (id bigint primary key, v varchar, f float8)")
            conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
            rates = []
            for _ in range(args.runs):
                conn.execute("delete from t")
                started = time.perf_counter()
                with conn.cursor().copy("COPY t FROM STDIN") as cp:
                    for i in range(args.rows):
                        cp.connection.pgconn.put_copy_data(f"{i}\trow {i}\t{i / 7}\n".encode())
                rates.append(args.rows / (time.perf_counter() - started))
    shown = " / ".join(f"{r:,.0f}" for r in rates)
    print(f"one CopyData per row: {shown} rows/s, median {statistics.median(rates):,.0f}")


if __name__ == "__main__":
    main()
