"""Throughput of spanner-local through the official client: point reads, 1,000-row scans and
mutation inserts per second, and the time of one read() of every key. With SPANNER_EMULATOR_HOST set, the same work also runs against
the official emulator and the ratio is printed; otherwise only spanner-local is measured.

    python benchmarks/spanner-local/bench.py [--rows 20000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from dbtools import spanner_local
from google.auth.credentials import AnonymousCredentials
from google.cloud import spanner
from google.cloud.spanner_v1 import param_types

DDL = [
    "CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100), Price NUMERIC, "
    "Qty INT64, Updated TIMESTAMP) PRIMARY KEY (Id)"
]


def _client(address: str) -> Any:
    return spanner.Client(
        project="bench-project",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": address},
        disable_builtin_metrics=True,
    )


def _rate(seconds: float, fn: Callable[[], int]) -> float:
    """Units of work per second, running `fn` (which returns units done) for about `seconds`."""
    done, start = 0, time.perf_counter()
    while True:
        done += fn()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def run(address: str, rows: int, seconds: float) -> dict[str, float]:
    client = _client(address)
    instance = client.instance(
        "bench-instance",
        configuration_name="projects/bench-project/instanceConfigs/emulator-config",
        node_count=1,
    )
    if not instance.exists():
        instance.create().result(60)
    db = instance.database("b" + uuid.uuid4().hex[:12], ddl_statements=DDL)
    db.create().result(120)
    try:
        import datetime as dt
        import decimal

        now = dt.datetime.now(dt.timezone.utc)
        next_id = 0

        def insert_batch() -> int:
            nonlocal next_id
            batch = [
                (next_id + i, f"item {next_id + i}", decimal.Decimal("9.99"), i, now)
                for i in range(500)
            ]
            next_id += 500
            with db.batch() as b:
                b.insert("Items", ["Id", "Name", "Price", "Qty", "Updated"], batch)
            return len(batch)

        # A fixed number of rows, so that reads and scans always run on the same table size.
        start = time.perf_counter()
        while next_id < rows:
            insert_batch()
        inserts = next_id / (time.perf_counter() - start)
        total = next_id

        def point_read() -> int:
            key = random.randrange(total)
            with db.snapshot() as snap:
                got = list(
                    snap.read("Items", ["Id", "Name", "Price"], spanner.KeySet(keys=[[key]]))
                )
            assert len(got) == 1
            return 1

        def scan() -> int:
            start = random.randrange(total - 1000)
            with db.snapshot() as snap:
                got = list(
                    snap.execute_sql(
                        "SELECT Id, Name, Price, Qty, Updated FROM Items WHERE Id >= @s ORDER BY Id LIMIT 1000",
                        params={"s": start},
                        param_types={"s": param_types.INT64},
                    )
                )
            assert len(got) == 1000
            return 1

        def every_key_in_one_read() -> float:
            start = time.perf_counter()
            with db.snapshot() as snap:
                got = list(
                    snap.read(
                        "Items", ["Id", "Name"], spanner.KeySet(keys=[[k] for k in range(total)])
                    )
                )
            assert len(got) == total
            return time.perf_counter() - start

        return {
            f"read() of {total:,} point keys (s)": every_key_in_one_read(),
            "point reads/s": _rate(seconds, point_read),
            "1,000-row scans/s": _rate(seconds, scan),
            "mutation inserts (rows)/s": inserts,
        }
    finally:
        db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with spanner_local.serve(
        project="bench-project", instance="bench-instance", statement_log=False
    ) as ep:
        ours = run(ep.address, args.rows, args.seconds)
    emulator = os.environ.get("SPANNER_EMULATOR_HOST")
    theirs = run(emulator, args.rows, args.seconds) if emulator else None
    import google.cloud.spanner_v1 as sv

    print(f"google-cloud-spanner {sv.__version__}, spanner-local {spanner_local.__version__}")
    header = f"{'metric':<34}{'spanner-local':>15}"
    if theirs:
        header += f"{'emulator':>12}{'ratio':>8}"
    print(header)
    for name, value in ours.items():
        line = f"{name:<34}{value:>15.2f}"
        if theirs:
            line += f"{theirs[name]:>12.1f}{value / theirs[name]:>8.2f}"
        print(line)
    if not theirs:
        print("(set SPANNER_EMULATOR_HOST to compare with the official emulator)")


if __name__ == "__main__":
    main()
