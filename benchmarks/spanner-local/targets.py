"""spanner-local's performance targets, before and after, interleaved in one run.

    python benchmarks/spanner-local/targets.py                      # before = main, a worktree
    python benchmarks/spanner-local/targets.py --before ../other    # before = another checkout
    python benchmarks/spanner-local/targets.py --scale 10000,100000,1000000 --rounds 0

Two spanner-local servers run as separate processes (the `spanner-local` CLI): "before" from
another checkout's `packages/spanner-local/src` (by default a temporary git worktree of
`main`), "after" from this one. The official google-cloud-spanner client in this process is
the driver. Each round measures every target on both servers, one after the other, so that the
machine's load falls on both alike; the figures are medians over the rounds.

- mutation load: rows per second of `database.batch()` commits of `--batch` 4-column rows
  (INT64 key, STRING, INT64, FLOAT64), `insert` then `insert_or_update`, wall clock
  including the client's own encoding; and the server's CPU per row;
- point read CPU: the server process's CPU time (every thread, from /proc schedstat) per
  single-use `execute_sql` of `SELECT ... WHERE Id = @id` (ExecuteStreamingSql), over
  `--reads` queries;
- one `read()` of 100,000 point keys: wall clock through the client.

`--floors` prints the server CPU of the cheapest calls next to a point query's.
`--client-share` prints the official client's own CPU in the two targets it bounds (a
100,000-key read; building insert mutations), with no server work in the figure. `--scale`
then measures cost growth on the "after" server: point read CPU, a 1,000-row range
scan's wall time and the load rate, at each table size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import spanner
from google.cloud.spanner_v1 import param_types

ROOT = Path(__file__).resolve().parents[2]
SRC = Path("packages") / "spanner-local" / "src"
DDL = [
    "CREATE TABLE Kv (Id INT64 NOT NULL, Name STRING(100), Qty INT64, Score FLOAT64) "
    "PRIMARY KEY (Id)"
]
COLUMNS = ["Id", "Name", "Qty", "Score"]
POINT_SQL = "SELECT Id, Name, Qty, Score FROM Kv WHERE Id = @id"
SCAN_SQL = "SELECT Id, Name, Qty, Score FROM Kv WHERE Id >= @s ORDER BY Id LIMIT 1000"
MANY_KEYS = 100_000


# ------------------------------------------------------------------- servers


class Server:
    """A spanner-local CLI process running the code under `src`."""

    def __init__(self, label: str, src: Path) -> None:
        self.label = label
        env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        code = "from dbtools.spanner_local.cli import main; main()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, "--port", "0", "--format", "json", "--no-statement-log"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.address = info["address"]
        self.client = spanner.Client(
            project=info["project"],
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.address},
            disable_builtin_metrics=True,
        )
        self.instance = self.client.instance(info["instance"])

    def cpu_ns(self) -> int:
        """CPU time of every thread of the server, in ns (schedstat: not rounded to ticks)."""
        total = 0
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                total += int((task / "schedstat").read_text().split()[0])
        return total

    def database(self) -> Any:
        db = self.instance.database("b" + uuid.uuid4().hex[:12], ddl_statements=DDL)
        db.create().result(120)
        return db

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


@contextlib.contextmanager
def main_worktree() -> Iterator[Path]:
    """A detached worktree of `main`, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="spanner-local-main-")) / "main"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(path), "main"],
        check=True,
    )
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=True
        )


# ------------------------------------------------------------------- measures


def rows(start: int, n: int) -> list[tuple[int, str, int, float]]:
    return [(i, f"name {i}", i % 1000, i / 7) for i in range(start, start + n)]


def load(db: Any, start: int, total: int, batch: int, kind: str = "insert") -> tuple[float, float]:
    """Write rows start..start+total in commits of `batch` mutations: (rows per second end to
    end, rows per second of the Commit calls alone, without the client building mutations)."""
    began, in_commit = time.perf_counter(), 0.0
    for first in range(start, start + total, batch):
        checkout = db.batch()
        b = checkout.__enter__()
        getattr(b, kind)("Kv", COLUMNS, rows(first, min(batch, start + total - first)))
        committing = time.perf_counter()
        checkout.__exit__(None, None, None)
        in_commit += time.perf_counter() - committing
    return total / (time.perf_counter() - began), total / in_commit


def point_read_cpu_ms(server: Server, db: Any, size: int, reads: int) -> float:
    def one() -> None:
        key = random.randrange(size)
        with db.snapshot() as snap:
            got = list(
                snap.execute_sql(
                    POINT_SQL, params={"id": key}, param_types={"id": param_types.INT64}
                )
            )
        assert len(got) == 1 and got[0][0] == key, got

    for _ in range(50):  # warm-up
        one()
    before = server.cpu_ns()
    for _ in range(reads):
        one()
    return (server.cpu_ns() - before) / reads / 1e6


def scan_ms(db: Any, size: int, scans: int) -> float:
    times = []
    for _ in range(scans):
        start = random.randrange(max(1, size - 1000))
        began = time.perf_counter()
        with db.snapshot() as snap:
            got = list(
                snap.execute_sql(
                    SCAN_SQL, params={"s": start}, param_types={"s": param_types.INT64}
                )
            )
        times.append(time.perf_counter() - began)
        assert len(got) == min(1000, size - start), len(got)
    return statistics.median(times) * 1e3


def many_keys(server: Server, db: Any, n: int) -> tuple[float, float]:
    """One read() of n point keys in random order: (seconds through the client, seconds of
    server CPU)."""
    keys = random.sample(range(n), n)
    cpu0, began = server.cpu_ns(), time.perf_counter()
    with db.snapshot() as snap:
        got = list(snap.read("Kv", ["Id", "Name"], spanner.KeySet(keys=[[k] for k in keys])))
    elapsed = time.perf_counter() - began
    assert len(got) == n, len(got)
    return elapsed, (server.cpu_ns() - cpu0) / 1e9


def client_share(server: Server) -> None:
    """The official client's own CPU in the two client-bound targets, without any server
    work in the figure: building and serializing a 100,000-key read and decoding the server's
    actual response bytes (fetched beforehand over raw gRPC), and building 4-column insert
    mutations. The client is in this process, so its CPU is this thread's CPU time."""
    import grpc
    from google.cloud.spanner_v1 import (
        CommitRequest,
        PartialResultSet,
        ReadRequest,
        TransactionOptions,
        TransactionSelector,
    )
    from google.cloud.spanner_v1.batch import Batch
    from google.cloud.spanner_v1.streamed import StreamedResultSet

    db = server.database()
    try:
        load(db, 0, MANY_KEYS, 10_000)
        session = db.spanner_api.create_session(database=db.name).name
        keys = random.sample(range(MANY_KEYS), MANY_KEYS)
        began = time.thread_time()
        key_set = spanner.KeySet(keys=[[k] for k in keys])
        strong = TransactionOptions(read_only=TransactionOptions.ReadOnly(strong=True))
        request = ReadRequest(
            session=session,
            table="Kv",
            columns=["Id", "Name"],
            key_set=key_set._to_pb(),
            transaction=TransactionSelector(single_use=strong),
        )
        wire = ReadRequest.serialize(request)
        build = time.thread_time() - began
        with grpc.insecure_channel(server.address) as channel:
            call = channel.unary_stream("/google.spanner.v1.Spanner/StreamingRead")
            responses = list(call(wire))  # raw bytes: no decoding here
        began = time.thread_time()
        got = list(StreamedResultSet(PartialResultSet.deserialize(b) for b in responses))
        decode = time.thread_time() - began
        assert len(got) == MANY_KEYS, len(got)
        batch_rows = rows(0, 5000)
        began = time.thread_time()
        b = Batch(db.session())
        b.insert("Kv", COLUMNS, batch_rows)
        CommitRequest.serialize(CommitRequest(session=session, mutations=b._mutations))
        per_row = (time.thread_time() - began) / len(batch_rows)
    finally:
        db.drop()
    print("\nthe official client's own CPU (no server work), in this process")
    print(f"read() of {MANY_KEYS:,} keys: build and serialize the request   {build:8.3f} s")
    print(
        f"read() of {MANY_KEYS:,} keys: decode the response ({len(responses)} messages) {decode:8.3f} s"
    )
    print(
        f"read() of {MANY_KEYS:,} keys: client total                      {build + decode:8.3f} s"
    )
    print(f"insert mutations: client µs per 4-column row             {per_row * 1e6:8.1f}")
    print(f"  = at most {1 / per_row:,.0f} rows/s end to end with a server costing nothing")


def round_on(server: Server, args: argparse.Namespace) -> dict[str, float]:
    db = server.database()
    try:
        cpu0 = server.cpu_ns()
        insert, insert_commit = load(db, 0, args.load_rows, args.batch)
        cpu_per_row = (server.cpu_ns() - cpu0) / args.load_rows / 1e3
        upsert, upsert_commit = load(db, 0, args.load_rows, args.batch, "insert_or_update")
        if args.load_rows < MANY_KEYS:
            load(db, args.load_rows, MANY_KEYS - args.load_rows, 10_000)
        size = max(args.load_rows, MANY_KEYS)
        keys_s, keys_cpu = many_keys(server, db, MANY_KEYS)
        return {
            "insert rows/s, end to end": insert,
            "insert rows/s, Commit call": insert_commit,
            "insert_or_update rows/s, end to end": upsert,
            "insert_or_update rows/s, Commit call": upsert_commit,
            "insert: server CPU µs per row": cpu_per_row,
            "insert: rows per server CPU-second": 1e6 / cpu_per_row,
            "point read: server CPU ms": point_read_cpu_ms(server, db, size, args.reads),
            f"read() of {MANY_KEYS:,} keys: s": keys_s,
            f"read() of {MANY_KEYS:,} keys: server CPU s": keys_cpu,
        }
    finally:
        db.drop()


def scale(server: Server, sizes: list[int], args: argparse.Namespace) -> None:
    print(f"\ncost growth on 'after' (commits of {args.batch:,} rows):")
    print(
        f"{'rows':>12}{'load rows/s':>14}{'load CPU µs/row':>18}{'last commit CPU µs/row':>24}"
        f"{'point read CPU ms':>20}{'1,000-row scan ms':>20}"
    )
    db = server.database()
    try:
        have = 0
        for size in sizes:
            cpu0 = server.cpu_ns()
            rate, _ = (
                load(db, have, size - have - args.batch, args.batch)
                if size - have > args.batch
                else (0.0, 0.0)
            )
            cpu1 = server.cpu_ns()
            # the last commit alone: its key check and insert against a table of size - batch rows
            load(db, size - args.batch, args.batch, args.batch)
            last = (server.cpu_ns() - cpu1) / args.batch / 1e3
            per_row = (server.cpu_ns() - cpu0) / (size - have) / 1e3
            have = size
            cpu = point_read_cpu_ms(server, db, size, args.reads)
            scan = scan_ms(db, size, 20)
            print(
                f"{size:>12,}{rate:>14,.0f}{per_row:>18.1f}{last:>24.1f}{cpu:>20.3f}{scan:>20.1f}",
                flush=True,
            )
    finally:
        db.drop()


def floors(server: Server, reads: int) -> None:
    """Where a point read's server CPU goes: the cheapest unary call, the cheapest query, and
    the point query, each through the client's raw API (no session pool, no snapshot)."""
    db = server.database()
    try:
        load(db, 0, 10_000, 10_000)
        api = db.spanner_api
        session = api.create_session(database=db.name).name
        point = {"session": session, "sql": POINT_SQL, "params": {"id": "5"}}
        point["param_types"] = {"id": {"code": "INT64"}}
        calls = {
            "GetSession (unary, no SQL)": lambda: api.get_session(name=session),
            "ExecuteStreamingSql SELECT 1": lambda: list(
                api.execute_streaming_sql(request={"session": session, "sql": "SELECT 1"})
            ),
            "ExecuteStreamingSql point query": lambda: list(
                api.execute_streaming_sql(request=point)
            ),
        }
        print(f"\nserver CPU per call on '{server.label}' (ms)")
        for name, call in calls.items():
            for _ in range(50):
                call()
            before = server.cpu_ns()
            for _ in range(reads):
                call()
            print(f"{name:<36}{(server.cpu_ns() - before) / reads / 1e6:>8.3f}")
    finally:
        db.drop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--before", type=Path, help="checkout to compare with (default: main)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=5000, help="mutations per commit")
    ap.add_argument("--load-rows", type=int, default=50_000)
    ap.add_argument("--reads", type=int, default=500)
    ap.add_argument("--scale", default="", help="table sizes for cost growth, e.g. 10000,100000")
    ap.add_argument("--floors", action="store_true", help="server CPU of the cheapest calls")
    ap.add_argument(
        "--client-share",
        action="store_true",
        help="the client's own CPU in the client-bound targets",
    )
    args = ap.parse_args()
    with contextlib.ExitStack() as stack:
        servers: list[Server] = []
        if args.rounds:
            before = args.before or stack.enter_context(main_worktree())
            servers.append(Server("before", before.resolve() / SRC))
        after = Server("after", ROOT / SRC)
        servers.append(after)
        for s in servers:
            stack.callback(s.stop)
        results: dict[str, list[dict[str, float]]] = {s.label: [] for s in servers}
        for r in range(args.rounds):
            for s in servers if r % 2 == 0 else reversed(servers):
                results[s.label].append(round_on(s, args))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        if args.rounds:
            report(results)
        if args.floors:
            floors(after, args.reads)
        if args.client_share:
            client_share(after)
        if args.scale:
            scale(after, [int(x) for x in args.scale.split(",")], args)


def report(results: dict[str, list[dict[str, float]]]) -> None:
    def med(label: str, key: str) -> float:
        return statistics.median(r[key] for r in results[label])

    print(f"medians of {len(results['after'])} interleaved rounds")
    print(f"{'measure':<42}{'before':>12}{'after':>12}{'after/before':>14}")
    for key in results["after"][0]:
        b, a = med("before", key), med("after", key)
        print(f"{key:<42}{b:>12,.3f}{a:>12,.3f}{a / b:>14.3f}")


if __name__ == "__main__":
    main()
