"""What keeping row versions for stale reads costs the write path.

Two spanner-local servers in this process, one keeping versions for an hour (the default) and
one keeping none (`version_retention=0`), take the same work in alternating rounds through the
official client: commits of 500-row insert mutations, of 500-row update mutations (keyed
before-images), and one DML UPDATE of the whole table (before-images by comparing the table).
It prints rows/s for each and the ratio history/none.

    python benchmarks/spanner-local/version_history_ab.py [rounds] [rows_per_round]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from dbtools import spanner_local

DDL = ["CREATE TABLE T (K INT64 NOT NULL, A STRING(100), B INT64, C FLOAT64) PRIMARY KEY (K)"]
BATCH = 500


def _database(endpoint: spanner_local.Endpoint, name: str):
    db = endpoint.client().instance(endpoint.instance).database(name, ddl_statements=DDL)
    db.create().result(60)
    return db


def _round(db, start: int, rows: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    for lo in range(start, start + rows, BATCH):
        with db.batch() as b:
            b.insert(
                "T", ["K", "A", "B", "C"], [(k, f"v{k}", k, k / 3) for k in range(lo, lo + BATCH)]
            )
    timings["insert"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for lo in range(start, start + rows, BATCH):
        with db.batch() as b:
            b.update("T", ["K", "B"], [(k, -k) for k in range(lo, lo + BATCH)])
    timings["update"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    db.run_in_transaction(lambda t: t.execute_update("UPDATE T SET B = B + 1 WHERE TRUE"))
    timings["dml_whole_table"] = time.perf_counter() - t0
    return timings


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    with (
        spanner_local.serve() as with_history,
        spanner_local.serve(version_retention=dt.timedelta(0)) as without,
    ):
        dbs = {
            "history": _database(with_history, "history"),
            "none": _database(without, "nohistory"),
        }
        totals = {name: {"insert": 0.0, "update": 0.0, "dml_whole_table": 0.0} for name in dbs}
        dml_rows = {name: 0 for name in dbs}
        for r in range(rounds):
            for name, db in dbs.items() if r % 2 == 0 else reversed(dbs.items()):
                for k, v in _round(db, r * rows, rows).items():
                    totals[name][k] += v
                dml_rows[name] += (r + 1) * rows
    print(f"{rounds} rounds of {rows} rows, interleaved (table grows to {rounds * rows} rows)")
    for kind in ("insert", "update", "dml_whole_table"):
        count = {n: (dml_rows[n] if kind == "dml_whole_table" else rounds * rows) for n in dbs}
        rate = {n: count[n] / totals[n][kind] for n in dbs}
        print(
            f"{kind:16s} history {rate['history']:10,.0f} rows/s   none {rate['none']:10,.0f} "
            f"rows/s   ratio {rate['history'] / rate['none']:.2f}"
        )


if __name__ == "__main__":
    main()
