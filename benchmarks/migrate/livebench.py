"""Live migration benchmark: how fast source changes are applied to spanner-local, and the lag
under a fixed source write rate.

Per source (a private MariaDB with a ROW binlog, a private PostgreSQL with wal_level=logical,
started here in temporary directories as the tests do):
1. backfill of the seed rows (the bulk loader's rows/s: the baseline the change rate is
   compared with, same machine, same target);
2. sustained apply rate: the migrator is stopped, a backlog of changes is written (inserts,
   then updates, then deletes, in transactions of 100 rows), the migrator is started again and
   the changes it applies per second until it has caught up are measured from its own status
   records;
3. lag: a workload of concurrent sessions writes at a fixed transaction rate for a fixed time
   while the migrator runs; the lag it reports every second is summarised.

The reference (Datastream + Dataflow) runs only on Google Cloud and cannot be run here side by
side; the ratio printed is against our own bulk load of the same target.

    python benchmarks/migrate/livebench.py [--source mariadb,postgres] [--backlog 20000]
        [--rate 40] [--seconds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "migrate" / "live"))

from conftest import private_mariadb, private_postgres  # noqa: E402
from livehelpers import Migrator  # noqa: E402
from workload import MYSQL_TABLES, PG_TABLES, Workload, seed  # noqa: E402

SEED_ROWS = 20_000
TXN_ROWS = 100


def _prepare(server: Any) -> None:
    conn = server.connect()
    if server.engine == "mysql":
        with conn.cursor() as cur:
            cur.execute("USE shop")
            for st in MYSQL_TABLES:
                cur.execute(st)
    else:
        for st in PG_TABLES:
            conn.execute(st)
    seed(conn, server.engine, SEED_ROWS)
    conn.close()


def _backlog(server: Any, events: int) -> int:
    """Inserts, then updates, then deletes of the same rows, TXN_ROWS per transaction."""
    conn = server.connect(autocommit=False)
    cur = conn.cursor()
    rows = events // 3
    base = 50_000_000
    written = 0
    for start in range(0, rows, TXN_ROWS):
        ids = range(base + start, base + min(rows, start + TXN_ROWS))
        cur.executemany(
            "INSERT INTO items (id, name, price, at) VALUES (%s, %s, %s, CURRENT_TIMESTAMP)",
            [(i, f"bench {i}", i % 1000 / 10) for i in ids],
        )
        conn.commit()
        written += len(ids)
    for start in range(0, rows, TXN_ROWS):
        cur.execute(
            "UPDATE items SET price = price + 1 WHERE id >= %s AND id < %s",
            (base + start, base + min(rows, start + TXN_ROWS)),
        )
        conn.commit()
        written += cur.rowcount
    for start in range(0, rows, TXN_ROWS):
        cur.execute(
            "DELETE FROM items WHERE id >= %s AND id < %s",
            (base + start, base + min(rows, start + TXN_ROWS)),
        )
        conn.commit()
        written += cur.rowcount
    conn.close()
    return written


def _caught_up(r: dict[str, Any], at_least: int) -> bool:
    return (
        r.get("event") == "status"
        and r["events_applied"] >= at_least
        and r["bytes_behind"] == 0
        and r["events_pending"] == 0
    )


def run_source(
    name: str, spanner: Any, backlog: int, rate: float, seconds: float
) -> dict[str, Any]:
    opener = private_mariadb if name == "mariadb" else private_postgres
    out = Path(tempfile.mkdtemp(prefix="livebench-"))
    with opener() as server:
        _prepare(server)
        db = f"bench_{name}"
        # 1. backfill
        mig = Migrator(server.url, out, spanner, db)
        mig.wait_for(lambda r: r.get("event") == "backfill_done", timeout=600)
        # from the snapshot's start to the last row committed (process start and DDL excluded)
        backfill_s = mig.when("backfill_done") - mig.when("backfill")
        mig.wait_for(lambda r: r.get("event") == "status")
        mig.stop()
        # 2. backlog, then catch up
        events = _backlog(server, backlog)
        mig = Migrator(server.url, out, spanner, db)
        mig.wait_for(lambda r: _caught_up(r, events), timeout=900)
        statuses = [r for r in mig.records if r.get("event") == "status"]
        moving = [r for r in statuses if r["events_applied"] > 0]
        first, last = moving[0], next(r for r in statuses if _caught_up(r, events))
        span = max(1e-3, last["at"] - first["at"])
        applied = last["events_applied"] - first["events_applied"]
        apply_rate = applied / span
        # 3. lag under a fixed write rate
        base_events = last["events_applied"]
        seen = len(mig.records)
        work = Workload(
            lambda: server.connect(autocommit=False), sessions=3, rate=rate, large_every=10**9
        ).start()
        time.sleep(seconds)
        counts = work.stop()
        mig.wait_for(lambda r: r.get("event") == "status" and r["lag_seconds"] == 0.0, timeout=300)
        during = [r for r in mig.records[seen:] if r.get("event") == "status"]
        lags = [r["lag_seconds"] for r in during if r["lag_seconds"] is not None]
        streamed = during[-1]["events_applied"] - base_events
        mig.stop()
    txns = sum(v for k, v in counts.ops.items() if k != "deadlock_rollback")
    return {
        "source": name,
        "backfill_rows_per_s": SEED_ROWS / backfill_s,
        "backlog_events": events,
        "apply_events_per_s": apply_rate,
        "ratio_to_backfill": apply_rate / (SEED_ROWS / backfill_s),
        "workload_txn_per_s": txns / seconds,
        "workload_events": streamed,
        "lag_median_s": statistics.median(lags) if lags else None,
        "lag_max_s": max(lags) if lags else None,
    }


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default="mariadb,postgres")
    parser.add_argument("--backlog", type=int, default=15_000, help="changes in the backlog")
    parser.add_argument("--rate", type=float, default=40.0, help="workload transactions/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="workload duration")
    args = parser.parse_args()
    from dbtools import spanner_local

    rows = []
    with spanner_local.serve() as spanner:
        for name in args.source.split(","):
            rows.append(run_source(name, spanner, args.backlog, args.rate, args.seconds))
    print(
        "| source | backfill rows/s | backlog changes | applied changes/s | ratio to backfill "
        "| workload txn/s | changes streamed | lag median s | lag max s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['source']} | {r['backfill_rows_per_s']:,.0f} | {r['backlog_events']:,} "
            f"| {r['apply_events_per_s']:,.0f} | {r['ratio_to_backfill']:.2f} "
            f"| {r['workload_txn_per_s']:.1f} | {r['workload_events']:,} "
            f"| {_secs(r['lag_median_s'])} | {_secs(r['lag_max_s'])} |"
        )


if __name__ == "__main__":
    main()
