"""pgadapter's own cost per prepared point query, as figures the machine's load barely moves.

    python benchmarks/pgadapter/proxy_cost.py                 # CPU per query, per thread
    python benchmarks/pgadapter/proxy_cost.py --callgrind     # instructions per query

Starts spanner-local and pgadapter (its CLI, or the CLI under callgrind with instrumentation
off until the measured queries start), loads a 10,000-row table, and sends psycopg point
queries (`select v from kv where id = $1`, server-side prepared, autocommit). Reported: the
pgadapter process's CPU time per query (every thread, from schedstat) and, with --callgrind,
the instructions its threads executed per query. Put another checkout's src first on
PYTHONPATH to measure that code instead.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg
from bench import _proc_cpu_ns
from stack import create_database, start_proxy, start_spanner_local, stop

ROWS = 10_000
WARM_UP = 300


def _thread_cpu_ns(pid: int) -> dict[str, int]:
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            out[f"{name} {task.name}"] = int((task / "schedstat").read_text().split()[0])
        except OSError:  # the thread ended meanwhile
            pass
    return out


def _callgrind(pid: int, switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(pid)], check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--callgrind", action="store_true", help="count instructions (slow)")
    args = ap.parse_args()

    backend = start_spanner_local()
    proxy = None
    out_file = Path(tempfile.mkdtemp()) / "callgrind.out"
    try:
        db = create_database(backend, ["create table kv (id bigint primary key, v varchar)"])
        db.run_in_transaction(
            lambda t: t.execute_update(
                "insert into kv select i, 'value ' || i::varchar "
                f"from generate_series(1, {ROWS}) s(i)"
            )
        )
        wrapper = None
        if args.callgrind:
            wrapper = [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out_file}",
            ]
        proxy, dsn = start_proxy(backend, wrapper)
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as conn:

            def run(n: int) -> None:
                for i in range(n):
                    conn.execute("select v from kv where id = %s", (i % ROWS + 1,)).fetchall()

            run(WARM_UP)
            before, threads_before = _proc_cpu_ns(proxy.pid), _thread_cpu_ns(proxy.pid)
            if args.callgrind:
                _callgrind(proxy.pid, "on")
            run(args.queries)
            if args.callgrind:
                _callgrind(proxy.pid, "off")
            spent, threads = _proc_cpu_ns(proxy.pid) - before, _thread_cpu_ns(proxy.pid)
        print(
            f"pgadapter CPU per query ({args.queries} queries): {spent / args.queries / 1e3:.1f} µs"
        )
        for name, ns in sorted(threads.items()):
            per_query = (ns - threads_before.get(name, 0)) / args.queries / 1e3
            if per_query >= 1:
                print(f"  thread {name}: {per_query:.1f} µs")
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(300)  # callgrind writes its counts at exit
        if args.callgrind:
            for row in out_file.read_text().splitlines():
                if row.startswith("totals:"):
                    per_query = int(row.split()[1]) / args.queries
                    print(f"instructions per query (all threads): {per_query:,.0f}")
    finally:
        stop(proxy, backend.proc)


if __name__ == "__main__":
    main()
