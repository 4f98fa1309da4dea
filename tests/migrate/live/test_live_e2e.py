"""Live migration from MariaDB and from PostgreSQL end to end: backfill and streaming under a concurrent workload,
kill -9 of the migrator in the middle, restart, cutover with dvt; then a change on the target
alone makes the cutover say no-go and name it."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from livehelpers import Migrator, caught_up, cutover, spanner_rows
from workload import MYSQL_TABLES, PG_TABLES, Workload, seed

KINDS = {"insert", "update", "delete", "pk_update", "order", "large_txn"}  # workload transactions


@pytest.fixture(params=["mariadb", "postgres"])
def shop(request: Any) -> Any:
    """A source database `shop` with the workload's tables and 3000 rows, on a private server."""
    if request.param == "mariadb":
        server = request.getfixturevalue("mariadb_cdc")
        conn = server.connect()
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS shop")
            cur.execute("CREATE DATABASE shop CHARACTER SET utf8mb4")
            cur.execute("USE shop")
            for st in MYSQL_TABLES:
                cur.execute(st)
        seed(conn, "mysql", 3000)
    else:
        server = request.getfixturevalue("postgres_cdc")
        conn = server.connect()
        for st in ["DROP TABLE IF EXISTS items, orders", *PG_TABLES]:
            conn.execute(st)
        seed(conn, "postgres", 3000)
    conn.close()
    return server


def test_live_migration_survives_kill_9_and_cutover_validates(
    shop: Any, spanner: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    db = f"live_{shop.engine}"
    workload = Workload(
        lambda: shop.connect(autocommit=False), sessions=3, rate=60.0, large_rows=400
    ).start()
    try:
        first = Migrator(shop.url, out, spanner, db, batch_mutations=600)
        first.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] > 300)
        first.kill9()  # in the middle of streaming, with the workload still writing
        assert any(r.get("event") == "backfill_done" for r in first.records)
        second = Migrator(shop.url, out, spanner, db, batch_mutations=600)
        second.wait_for(
            lambda r: (
                r.get("event") == "status"
                and r["events_applied"] > first.last_status()["events_applied"] + 300
            )
        )
        # the restart resumed from the checkpoint: no second backfill
        assert not any(r.get("event", "").startswith("backfill") for r in second.records)
        resumed = next(r for r in second.records if r.get("event") == "streaming")["from"]
        assert resumed != next(r for r in first.records if r.get("event") == "streaming")["from"]
        if shop.engine == "mysql":  # MariaDB resumes by GTID (see test_live_checks for proof)
            assert " gtid=0-1-" in resumed
        # every kind of change has reached the source (however slowly the machine runs it)
        missing = workload.wait_for_ops(KINDS)
        assert not missing and not workload.counts.errors, (missing, workload.counts.errors)
    finally:
        counts = workload.stop()
    assert not counts.errors, counts.errors
    assert KINDS <= set(counts.ops)
    try:
        caught_up(second, shop.url)  # the backlog applied: cutover's own wait is then short
        code, text = cutover(shop.url, out, spanner, db)
        assert code == 0, (
            f"{text}\nmigrator (exit {second.proc.poll()}): {second.records[-2:]}\n"
            + "".join(second.stderr)[-2000:]
        )
        assert "0 differences" in text and "verdict: GO" in text
        # independently of dvt: the same rows on both sides
        src = shop.connect()
        with src.cursor() as cur:
            cur.execute("SELECT id, name, price FROM items ORDER BY id")
            source_items = [(r[0], r[1], Decimal(str(r[2]))) for r in cur.fetchall()]
        src.close()
        target_items = [
            (r[0], r[1], Decimal(str(r[2])))
            for r in spanner_rows(spanner, db, "SELECT id, name, price FROM items ORDER BY id")
        ]
        assert target_items == source_items
        # writes stopped: the lag the migrator reports comes down to zero
        status = second.wait_for(lambda r: r.get("event") == "status" and r["lag_seconds"] == 0.0)
        assert status["bytes_behind"] == 0 and status["tables"]["items"]["delete"] > 0

        # one change on the target alone: no-go, naming the table and the key
        victim = source_items[len(source_items) // 2][0]
        sp_db = spanner.client().instance(spanner.instance).database(db)
        with sp_db.batch() as batch:
            batch.update("items", ["id", "name"], [[victim, "changed on the target"]])
        code, text = cutover(shop.url, out, spanner, db)
        assert code == 1, text
        assert "verdict: NO-GO" in text
        assert "items" in text and str(victim) in text and "changed on the target" in text
    finally:
        second.stop()
