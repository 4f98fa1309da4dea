"""pgadapter benchmark: the same work through psycopg -> pgadapter and through the
google-cloud-spanner client directly, against one spanner-local. spanner-local and pgadapter run
as their CLIs in processes of their own, as in a deployment, so that the client's work, the
proxy's and the backend's do not share one interpreter lock.

    python benchmarks/pgadapter/bench.py [--queries 500] [--rows 200000]

Prints (1) the latency of a point query each way and the latency pgadapter adds, and (2) rows per
second streaming a large result (psycopg text and binary vs. the client's own iteration), and
(3) rows per second loaded with COPY FROM STDIN vs. the client's own insert mutations, and
(4) the proxy's resident memory with 200 idle connections.
Google's published figure for the Java PGAdapter is "at most 0.2 ms" added per query.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import psycopg
from google.auth.credentials import AnonymousCredentials
from google.cloud.spanner_v1 import (
    ExecuteSqlRequest,
    SpannerAsyncClient,
    TransactionOptions,
    TransactionSelector,
    param_types,
)
from google.cloud.spanner_v1.database_sessions_manager import TransactionType
from google.cloud.spanner_v1.services.spanner.transports.grpc_asyncio import (
    SpannerGrpcAsyncIOTransport,
)
from google.protobuf.struct_pb2 import Struct, Value
from stack import create_database, start_proxy, start_spanner_local, stop


def _timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _interleaved(arms: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Latency of each call, taken in rounds of one call of each arm, the order rotating from
    round to round: a change of the machine's load falls on every arm alike, and each proxied
    call can be compared with the direct calls of its own round."""
    names = list(arms)
    out: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            t0 = time.perf_counter()
            arms[name]()
            out[name].append(time.perf_counter() - t0)
    return out


def _quartiles(xs: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(xs, n=4)
    return q[0], q[1], q[2]


def _proc_cpu_ns(pid: int) -> int:
    """CPU time of every thread of process `pid`, in ns (schedstat: not rounded to ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


def _cpu_per_call(fn: Callable[[], object], repeat: int, pid: int | None = None) -> float:
    """Seconds of CPU per call of fn over `repeat` calls: this process's, plus process pid's."""
    own, other = time.process_time_ns(), _proc_cpu_ns(pid) if pid else 0
    for _ in range(repeat):
        fn()
    spent = time.process_time_ns() - own + (_proc_cpu_ns(pid) - other if pid else 0)
    return spent / repeat / 1e9


def _report_point(n: int, lat: dict[str, list[float]], cpu: dict[str, float]) -> None:
    print(f"point query, {n} interleaved rounds, median [quartiles] in ms:")
    for name, xs in lat.items():
        q1, q2, q3 = (x * 1e3 for x in _quartiles(xs))
        print(f"  {name:34s}: {q2:7.3f}  [{q1:.3f} .. {q3:.3f}]")
    proxied = lat[PROXIED]
    for base in (DIRECT, GAPIC):
        added = [p - d for d, p in zip(lat[base], proxied, strict=True)]
        q1, q2, q3 = (x * 1e3 for x in _quartiles(added))
        ratio = statistics.median(proxied) / statistics.median(lat[base])
        print(f"  added vs {base:25s}: {q2:7.3f}  [{q1:.3f} .. {q3:.3f}]  ratio {ratio:4.2f}x")
    print(f"point query CPU time per query, {n} in a row (client and, proxied, pgadapter):")
    for name, seconds in cpu.items():
        print(f"  {name:34s}: {seconds * 1e3:7.3f} ms")
    for base in (DIRECT, GAPIC):
        print(f"  added vs {base:25s}: {(cpu[PROXIED] - cpu[base]) * 1e3:7.3f} ms")


DIRECT = "client, Snapshot.execute_sql"
GAPIC = "client, SpannerAsyncClient (GAPIC)"
PROXIED = "psycopg -> pgadapter"


def _gapic_point(db: Any, address: str, sql: str) -> Callable[[int], object]:
    """The point query through the client's lower-level asyncio API (what pgadapter sends its
    autocommit reads with), on an event loop of this thread: no thread hop either."""
    loop = asyncio.new_event_loop()

    async def connect() -> Any:  # a grpc.aio channel belongs to the loop it is made on
        channel = grpc.aio.insecure_channel(address)
        transport = SpannerGrpcAsyncIOTransport(channel=channel, credentials=AnonymousCredentials())
        return SpannerAsyncClient(transport=transport)

    api = loop.run_until_complete(connect())
    session = db.sessions_manager.get_session(TransactionType.READ_ONLY).name
    single_use = TransactionSelector(
        single_use=TransactionOptions(read_only=TransactionOptions.ReadOnly(strong=True))
    )
    metadata = [("google-cloud-resource-prefix", db.name)]

    async def run(key: int) -> list[Any]:
        request = ExecuteSqlRequest(
            session=session,
            sql=sql,
            params=Struct(fields={"p1": Value(string_value=str(key))}),
            param_types={"p1": param_types.INT64},
            transaction=single_use,
        )
        stream = await api.execute_streaming_sql(request=request, metadata=metadata)
        return [r async for r in stream]

    return lambda key: loop.run_until_complete(run(key))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--copy-rows", type=int, default=100_000)
    ap.add_argument("--idle", type=int, default=200)
    ap.add_argument(
        "--only", choices=("all", "point"), default="all", help="point: the point query only"
    )
    args = ap.parse_args()

    backend = start_spanner_local()
    proxy = None
    try:
        address = backend.address
        db = create_database(
            backend,
            [
                "create table kv (id bigint primary key, v varchar, n numeric, f float8)",
                "create table load_direct (id bigint primary key, v varchar, f float8)",
                "create table load_proxy (id bigint primary key, v varchar, f float8)",
            ],
        )

        def load(t: Any) -> None:
            # Spanner takes at most 80,000 mutations in one DML statement: 20,000 rows of 4
            for first in range(1, args.rows + 1, 20_000):
                last = min(first + 19_999, args.rows)
                t.execute_update(
                    "insert into kv select i, 'value ' || i::varchar, i * 1.5, i / 3.0 "
                    f"from generate_series({first}, {last}) s(i)"
                )

        db.run_in_transaction(load)
        proxy, dsn = start_proxy(backend)
        conn = psycopg.connect(dsn, autocommit=True, prepare_threshold=0)
        point = "select v from kv where id = $1"
        ids = iter(range(1, 10**9))

        def direct_point() -> None:
            with db.snapshot() as snap:
                list(
                    snap.execute_sql(
                        point,
                        params={"p1": next(ids) % args.rows + 1},
                        param_types={"p1": param_types.INT64},
                    )
                )

        gapic = _gapic_point(db, address, point)

        def gapic_point() -> None:
            gapic(next(ids) % args.rows + 1)

        def proxy_point() -> None:
            conn.execute("select v from kv where id = %s", (next(ids) % args.rows + 1,)).fetchall()

        arms = {DIRECT: direct_point, GAPIC: gapic_point, PROXIED: proxy_point}
        for fn in arms.values():  # warm up every path
            _timed(fn, 50)
        latency = _interleaved(arms, args.queries)
        # CPU time per query, which the machine's load barely moves: the benchmark process's
        # own (the client; psycopg for the proxied query) plus, for the proxied query, the
        # pgadapter process's (all its threads: event loop, workers, gRPC)
        cpu = {
            DIRECT: _cpu_per_call(direct_point, args.queries),
            GAPIC: _cpu_per_call(gapic_point, args.queries),
            PROXIED: _cpu_per_call(proxy_point, args.queries, proxy.pid),
        }
        if args.only != "point":
            # (4) memory of the proxy process with N idle connections (measured before the large
            # results and loads below, whose garbage would blur the figure)
            rss_before = _rss_kb(proxy.pid)
            idle = [psycopg.connect(dsn, autocommit=True) for _ in range(args.idle)]
            for c in idle:
                c.execute("select 1").fetchall()  # each one has run a statement, then idles
            time.sleep(1)
            rss_after = _rss_kb(proxy.pid)
            for c in idle:
                c.close()

            big = "select id, v, n, f from kv"

            def direct_stream() -> int:
                with db.snapshot() as snap:
                    return sum(1 for _ in snap.execute_sql(big))

            def proxy_stream(binary: bool) -> int:
                cur = conn.cursor(binary=binary)
                return sum(1 for _ in cur.stream(big))

            t0 = time.perf_counter()
            n_direct = direct_stream()
            t_direct = time.perf_counter() - t0
            c0, t0 = _proc_cpu_ns(proxy.pid), time.perf_counter()
            n_text = proxy_stream(False)
            t_text = time.perf_counter() - t0
            cpu_text = (_proc_cpu_ns(proxy.pid) - c0) / max(n_text, 1) / 1e3
            c0, t0 = _proc_cpu_ns(proxy.pid), time.perf_counter()
            n_bin = proxy_stream(True)
            t_bin = time.perf_counter() - t0
            cpu_bin = (_proc_cpu_ns(proxy.pid) - c0) / max(n_bin, 1) / 1e3

            # (3) COPY FROM: psycopg's COPY through the proxy (non-atomic: batches of <= 80,000
            # mutations) against the client's own insert mutations in batches of the same size
            load = [(i, f"row {i}", i / 7) for i in range(args.copy_rows)]
            per_commit = 80_000 // 3
            t0 = time.perf_counter()
            for start in range(0, len(load), per_commit):
                chunk = [list(r) for r in load[start : start + per_commit]]
                db.run_in_transaction(
                    lambda t, c=chunk: t.insert("load_direct", ["id", "v", "f"], c)
                )
            t_copy_direct = time.perf_counter() - t0
            conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
            t0 = time.perf_counter()
            with conn.cursor().copy("COPY load_proxy (id, v, f) FROM STDIN") as cp:
                for row in load:
                    cp.write_row(row)
            t_copy_proxy = time.perf_counter() - t0
        conn.close()

    finally:
        stop(proxy, backend.proc)

    print(
        f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}"
    )
    _report_point(args.queries, latency, cpu)
    if args.only != "point":
        print(f"streaming {args.rows} rows (4 columns):")
        print(f"  google-cloud-spanner direct : {n_direct / t_direct:10.0f} rows/s")
        print(
            f"  psycopg text  -> pgadapter  : {n_text / t_text:10.0f} rows/s   ratio {t_text / t_direct:5.2f}x time"
            f"   pgadapter CPU {cpu_text:5.2f} us/row"
        )
        print(
            f"  psycopg binary-> pgadapter  : {n_bin / t_bin:10.0f} rows/s   ratio {t_bin / t_direct:5.2f}x time"
            f"   pgadapter CPU {cpu_bin:5.2f} us/row"
        )
        print(f"COPY FROM of {args.copy_rows} rows (3 columns):")
        print(f"  google-cloud-spanner mutations: {args.copy_rows / t_copy_direct:10.0f} rows/s")
        print(
            f"  psycopg COPY  -> pgadapter    : {args.copy_rows / t_copy_proxy:10.0f} rows/s   "
            f"ratio {t_copy_proxy / t_copy_direct:5.2f}x time"
        )
        print(f"{args.idle} idle connections:")
        print(
            f"  pgadapter RSS {rss_before / 1024:.1f} MB -> {rss_after / 1024:.1f} MB "
            f"({(rss_after - rss_before) / max(args.idle, 1):.0f} kB per connection)"
        )


if __name__ == "__main__":
    main()
