"""pgbench's built-in select-only and simple-update scripts through the proxy.

`pgbench -i` cannot initialize a Spanner database (tables without primary keys, VACUUM, a
100,000-row COPY in one transaction), so data/pgbench_init.sql is the documented custom init:
the same tables with primary keys (pgbench_history keyed by a bit-reversed sequence), loaded with
COPY and psql's \\copy in non-atomic mode."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import psycopg

INIT = Path(__file__).parent / "data" / "pgbench_init.sql"


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGCLIENTENCODING": "UTF8"}
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, **kw)  # type: ignore[call-overload,no-any-return]


def test_pgbench_builtin_scripts_without_failures(dsn: str) -> None:
    init = _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(INIT), dsn])
    assert init.returncode == 0, init.stderr
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from pgbench_accounts").fetchone() == (100_000,)
    for script, expect in (("-S", "select only"), ("-N", "simple update")):
        res = _run(["pgbench", "-n", script, "-c", "4", "-t", "40", "--max-tries", "20", dsn])
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"<builtin: {expect}>" in res.stdout
        assert "number of transactions actually processed: 160/160" in res.stdout
        m = re.search(r"number of failed transactions: (\d+)", res.stdout)
        assert m is not None and m.group(1) == "0", res.stdout
    with psycopg.connect(dsn) as conn:
        history = conn.execute("select count(*) from pgbench_history").fetchone()
        assert history == (160,)
