"""`dvt validate row --runner beam` against the in-process run, on this machine.

    python benchmarks/dvt/beambench.py [--rows 500000] [--partitions 10]

One table in two PostgreSQL databases on the local server (created and dropped here), one
planted difference; each run in a fresh process: the in-process run, then Beam's DirectRunner
with 1 and 2 worker processes. Prints rows/s over the whole run (pipeline start-up included),
and the peak RSS of the launcher and of the largest worker process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid

import psycopg

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"

CHILD = r"""
import json, resource, sys, time
from click.testing import CliRunner
from dbtools.dvt.cli import main
src, tgt, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t = time.perf_counter()
res = CliRunner().invoke(main, ["validate", "row", "-sc", src, "-tc", tgt, "-t", "orders",
    "--format", "json", *extra])
wall = time.perf_counter() - t
assert res.exit_code == 1, res.output
s = json.loads(res.stdout)[0]["summary"]
print(json.dumps({"wall": wall, "summary": s,
    "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--partitions", type=int, default=10)
    args = ap.parse_args()
    names = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(SERVER, autocommit=True) as admin:
        for n in names:
            admin.execute(f'CREATE DATABASE "{n}"')
    urls = [SERVER.rsplit("/", 1)[0] + "/" + n for n in names]
    try:
        for url in urls:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric(12,2));"
                    f"INSERT INTO orders SELECT g, 'note ' || g, g * 0.25 "
                    f"FROM generate_series(1, {args.rows}) g; ANALYZE orders"
                )
        with psycopg.connect(urls[1], autocommit=True) as conn:
            conn.execute("UPDATE orders SET note = 'changed' WHERE id = 4242")
        runs: dict[str, list[str]] = {"in-process": []}
        for w in (1, 2):
            runs[f"beam, {w} worker{'s' if w > 1 else ''}"] = [
                "--runner", "beam", "--partitions", str(args.partitions), "--beam-args",
                f"--direct_num_workers={w} --direct_running_mode=multi_processing",
            ]  # fmt: skip
        print(f"{args.rows:,} rows, PostgreSQL -> PostgreSQL, 1 planted difference")
        print(f"{'path':<18} {'rows/s':>9} {'wall s':>7} {'launcher MB':>11} {'worker MB':>9}")
        base = None
        for name, extra in runs.items():
            t0 = time.perf_counter()
            done = subprocess.run(
                ["nice", sys.executable, "-c", CHILD, urls[0], urls[1], json.dumps(extra)],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            r = json.loads(done.stdout.strip().splitlines()[-1])
            s = r["summary"]
            assert (s["matched"], s["mismatched"]) == (args.rows - 1, 1), s
            rate = args.rows / r["wall"]
            base = base or rate
            worker = f"{r['child_kb'] / 1024:9.0f}" if name != "in-process" else f"{'-':>9}"
            print(
                f"{name:<18} {rate:9,.0f} {r['wall']:7.1f} {r['self_kb'] / 1024:11.0f} {worker}"
                f"   ({rate / base:.2f}x in-process; {time.perf_counter() - t0:.0f} s)"
            )
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            for n in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


if __name__ == "__main__":
    main()
