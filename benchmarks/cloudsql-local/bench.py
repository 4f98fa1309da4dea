"""What the cloudsql-local proxy costs: the same work through it (with the official connector,
as tests use it) and straight to the local PostgreSQL, in the same run, and the ratio.

    python benchmarks/cloudsql-local/bench.py [--connects 50] [--rows 200000]

Work: (1) N sequential connect + SELECT 1 + close; (2) N queries on one open connection;
(3) streaming a large result set (rows x ~100 bytes).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pg8000.dbapi
from dbtools import cloudsql_local
from google.cloud.sql.connector import Connector
from google.cloud.sql.connector.version import __version__ as connector_version

NAME = "bench:us-central1:pg"


def _timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best of `repeat` runs, in seconds (best-of filters noise from the shared machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connects", type=int, default=50)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()

    url = urlsplit(
        os.environ.get("DBTOOLS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    host, port = url.hostname or "127.0.0.1", url.port or 5432
    user, db = url.username or "postgres", (url.path or "/test").lstrip("/") or "test"
    config = cloudsql_local.Config(
        instances=[cloudsql_local.Instance(NAME, backend=f"{host}:{port}")]
    )

    def direct() -> Any:
        return pg8000.dbapi.connect(user=user, host=host, port=port, database=db)

    with (
        cloudsql_local.serve(config) as emu,
        Connector(sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()) as connector,
    ):

        def proxied() -> Any:
            return connector.connect(NAME, "pg8000", user=user, db=db)

        proxied().close()  # warm the connector's certificate cache: steady state is measured

        def connects(factory: Callable[[], Any]) -> Callable[[], None]:
            def run() -> None:
                for _ in range(args.connects):
                    conn = factory()
                    cur = conn.cursor()
                    cur.execute("SELECT 1")
                    cur.fetchall()
                    conn.close()

            return run

        def queries(factory: Callable[[], Any]) -> Callable[[], None]:
            conn = factory()

            def run() -> None:
                cur = conn.cursor()
                for i in range(args.queries):
                    cur.execute("SELECT %s::int + 1", (i,))
                    cur.fetchall()

            return run

        def stream(factory: Callable[[], Any]) -> Callable[[], None]:
            conn = factory()
            sql = f"SELECT g, repeat('x', 100) FROM generate_series(1, {args.rows}) g"

            def run() -> None:
                cur = conn.cursor()
                cur.execute(sql)
                assert len(cur.fetchall()) == args.rows

            return run

        results = []
        for label, work in (
            (f"{args.connects} connect+query+close", connects),
            (f"{args.queries} queries, one connection", queries),
            (f"stream {args.rows} rows x ~100 B", stream),
        ):
            ref = _timed(work(direct))
            ours = _timed(work(proxied))
            results.append((label, ref, ours))

    print(
        f"python {platform.python_version()}, cloud-sql-python-connector {connector_version}, "
        f"pg8000 {pg8000.__version__}, {os.cpu_count()} cores"
    )
    print(f"{'work':40} {'direct':>10} {'via cloudsql-local':>20} {'ratio':>7}")
    for label, ref, ours in results:
        print(f"{label:40} {ref:>9.3f}s {ours:>19.3f}s {ours / ref:>6.2f}x")
    print(f"geomean ratio {statistics.geometric_mean([o / r for _, r, o in results]):.2f}x")


if __name__ == "__main__":
    main()
