"""The end-to-end demo (examples/demo.py) run as a user runs it, and its output checked step by step.

Each run is a subprocess of the interpreter running the tests, so the CLIs it calls are the ones
installed in this environment (as `nox -s demo` does). The work directory of each run is the
test's tmp_path, where the migration report and the dvt results are read back as JSON.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pymysql
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.py"
SHOP = ROOT / "examples" / "shop"
TABLES = [
    "customers", "addresses", "categories", "suppliers", "products", "inventory", "orders",
    "order_items", "payments", "shipments", "reviews", "event_log",
]  # fmt: skip

pytestmark = pytest.mark.timeout(300)


def run_demo(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The demo's own settings come from the arguments only; it starts its own spanner-local.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DBTOOLS_DEMO_") and k != "SPANNER_EMULATOR_HOST"
    }
    return subprocess.run(
        [sys.executable, str(DEMO), "--workdir", str(work), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=280,
        check=False,
    )


def source_counts() -> dict[str, int]:
    conn = sqlite3.connect(":memory:")
    for name in ("schema.sql", "data.sql"):
        conn.executescript((SHOP / name).read_text(encoding="utf-8"))
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    conn.close()
    return counts


def dvt_results(work: Path, kind: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in work.glob(f"dvt-{kind}-*.json"):
        for r in json.loads(path.read_text()):
            out[r["target_table"]] = r
    return out


def check_successful_run(proc: subprocess.CompletedProcess[str], work: Path) -> None:
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    for n in range(1, 8):
        assert f"==> [{n}/7]" in out
    counts = source_counts()
    total = sum(counts.values())

    # step 3: every table migrated, every row written, the report shown
    assert f"Data: {total} of {total} rows, 0 bad" in out
    for table, rows in counts.items():
        assert re.search(rf"^    {table}\s+(EXCELLENT|GOOD|OK|POOR)\s+{rows}\s", out, re.M), table
    assert "event_log     POOR" in out and "no primary key: added synth_id" in out
    report = json.loads((work / "migration" / "report.json").read_text())
    assert sorted(t["table"] for t in report["tables"]) == sorted(TABLES)
    assert report["summary"]["issues"]["error"] == 0

    # steps 4 and 5: dvt compared every table and found nothing
    columns, rows = dvt_results(work, "column"), dvt_results(work, "row")
    assert sorted(columns) == sorted(TABLES)
    assert sorted(rows) == sorted(TABLES)
    for table in TABLES:
        assert columns[table]["status"] == "success", columns[table]
        assert columns[table]["summary"]["failed"] == 0
        s = rows[table]["summary"]
        assert rows[table]["status"] == "success", rows[table]
        assert s["source_rows"] == s["target_rows"] == s["matched"] == counts[table]
        assert re.search(
            rf"^    {table}\s+success\s+{counts[table]} rows: {counts[table]} matched", out, re.M
        )

    # step 6: queries answered through pgadapter
    assert "psycopg: 3 of 3 queries answered" in out
    assert "Heavy-duty Stove | 124528.33" in out  # top product by revenue
    assert re.search(r"delivered \| 442 \| 1487887\.83", out)
    assert re.search(r"bronze\s+\|\s+236", out)  # psql's table

    # step 7: the tags, as spanner-local received them
    for route in ("/reports/top-products", "/reports/orders-by-status", "/reports/ratings"):
        assert f"route={route}" in out
    assert "client=psql" in out
    assert "4 tagged statements in the log" in out
    assert "Demo finished" in out


def test_demo_on_the_bundled_sample(tmp_path: Path) -> None:
    check_successful_run(run_demo(tmp_path), tmp_path)


def test_demo_reports_a_planted_difference_and_exits_1(tmp_path: Path) -> None:
    proc = run_demo(tmp_path, "--plant-difference")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "UPDATE orders SET total = total + 1 WHERE order_id = 42  -- 1 row" in out
    columns, rows = dvt_results(tmp_path, "column"), dvt_results(tmp_path, "row")
    # exactly the planted difference: one aggregate, one row, one column, one table
    assert [t for t, r in columns.items() if r["status"] != "success"] == ["orders"]
    assert [t for t, r in rows.items() if r["status"] != "success"] == ["orders"]
    failed = [f for f in columns["orders"]["findings"] if f["status"] != "success"]
    assert [(f["column"], f["check"]) for f in failed] == [("total", "sum")]
    assert rows["orders"]["summary"]["mismatched"] == 1
    assert rows["orders"]["summary"]["matched"] == 1499
    diff = [f for f in rows["orders"]["findings"] if f["status"] != "success"]
    assert diff[0]["key"] == {"order_id": 42} and diff[0]["column"] == "total"
    assert float(diff[0]["target"]) - float(diff[0]["source"]) == pytest.approx(1)
    assert 'difference key {"order_id": 42} total' in out
    assert "FAILED: dvt validate column found differences in orders" in out
    assert "FAILED: dvt validate row found differences in orders" in out
    assert "Demo FAILED" in out
    # the queries still ran after the failed validation
    assert "psycopg: 3 of 3 queries answered" in out


def test_demo_with_a_live_postgresql_source(tmp_path: Path, pg_db) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        for name in ("schema.sql", "data.sql"):
            conn.execute((SHOP / name).read_text(encoding="utf-8"))
    proc = run_demo(tmp_path, "--source-url", pg_db.url)
    assert f"Source: the live database {pg_db.url}" in proc.stdout
    assert "shop.db" not in proc.stdout  # the SQLite sample was not built
    check_successful_run(proc, tmp_path)


def test_demo_with_a_live_mariadb_source(tmp_path: Path, mysql_db) -> None:
    # MariaDB's TIMESTAMP has no microseconds and a 2038 limit: DATETIME(6) is its equivalent.
    schema = (SHOP / "schema.sql").read_text(encoding="utf-8").replace(" TIMESTAMP", " DATETIME(6)")
    data = (SHOP / "data.sql").read_text(encoding="utf-8")
    conn = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    try:
        with conn.cursor() as cur:
            for stmt in (schema + "\n" + data).split(";\n"):
                if stmt.strip():
                    cur.execute(stmt)
    finally:
        conn.close()
    proc = run_demo(tmp_path, "--source-url", mysql_db.url)
    assert f"Source: the live database {mysql_db.url}" in proc.stdout
    check_successful_run(proc, tmp_path)


def test_demo_fails_cleanly_when_the_source_is_unreachable(tmp_path: Path) -> None:
    proc = run_demo(tmp_path, "--source-url", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert proc.returncode == 1
    assert "Demo FAILED" in proc.stdout
    assert "spanner-migrate exited with 3" in proc.stdout  # 3: source unreadable
    assert "==> [4/7]" not in proc.stdout  # nothing to validate without a migration


def test_demo_against_an_external_emulator(tmp_path: Path) -> None:
    """--emulator-host: the path taken for the official emulator, here served by spanner-local
    in the test process so that the test can read what reached the server."""
    from dbtools import spanner_local
    from dbtools.sqlcommenter import parse

    with spanner_local.serve() as endpoint:
        proc = run_demo(tmp_path, "--emulator-host", endpoint.address)
        out = proc.stdout
        assert proc.returncode == 0, out + proc.stderr
        assert f"Target: Spanner emulator at {endpoint.address}" in out
        database = re.search(r"database: (shop_[0-9a-f]{8}) \(PostgreSQL dialect\)", out)
        assert database, out  # a fresh database name, so that reruns on one emulator start clean
        assert "this target has none to show" in out
        assert "psycopg: 3 of 3 queries answered" in out
        name = f"{endpoint.project}/instances/{endpoint.instance}/databases/{database.group(1)}"
        tagged = [
            parse(rec.sql).tags
            for rec in endpoint.statement_log.for_database(f"projects/{name}")
            if rec.sql and "dbtools-demo" in rec.sql
        ]
        routes = sorted(t.get("route", "") for t in tagged)
        assert routes == [
            "",
            "/reports/orders-by-status",
            "/reports/ratings",
            "/reports/top-products",
        ]
        assert all(t["application"] == "dbtools-demo" for t in tagged)


def test_demo_never_prints_a_source_password() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("dbtools_demo", DEMO)
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    assert demo.redact("mysql://root:s3cr%40t@db:3306/shop") == "mysql://root:***@db:3306/shop"
    assert demo.redact("-sc postgresql://u:p@h/d -tc x") == "-sc postgresql://u:***@h/d -tc x"
    assert demo.redact("postgresql://postgres@127.0.0.1/x") == "postgresql://postgres@127.0.0.1/x"
    assert demo.redact("spanner:///projects/p/instances/i") == "spanner:///projects/p/instances/i"
