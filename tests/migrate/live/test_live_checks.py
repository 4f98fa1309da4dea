"""What the live command refuses and where it stops: server settings it needs (named, with what
to change), tables it cannot follow, a schema change at the source, a truncation applied."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from livehelpers import BIN, Migrator, cutover, spanner_rows

EXIT_SOURCE, EXIT_STREAM = 3, 6


def _live(url: str, out: Path, spanner: Any, database: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(BIN / "spanner-migrate"), "live", "--url", url, "--out", str(out),
           "--project", spanner.project, "--instance", spanner.instance, "--database", database,
           "--emulator-host", spanner.address]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_mariadb_without_row_binlog_is_refused_naming_each_setting(
    mysql_db: Any, spanner: Any, tmp_path: Path
) -> None:
    # the shared server: binary log off, MIXED format (read, never changed)
    import pymysql

    conn = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
        cur.execute("SELECT @@log_bin, @@binlog_format")
        log_bin, fmt = cur.fetchone()
    conn.close()
    assert (log_bin, fmt) != (1, "ROW"), "the shared server is expected without a ROW binlog"
    proc = _live(mysql_db.sqlalchemy_url("pymysql"), tmp_path, spanner, "refused_my")
    assert proc.returncode == EXIT_SOURCE, proc.stderr
    assert "not ready for live migration" in proc.stderr
    assert "log_bin is OFF" in proc.stderr and "--log-bin" in proc.stderr
    assert f"binlog_format is {fmt}" in proc.stderr and "binlog_format=ROW" in proc.stderr


def test_postgres_without_logical_wal_is_refused(pg_db: Any, spanner: Any, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        level = conn.execute("SHOW wal_level").fetchone()[0]
    assert level != "logical"
    proc = _live(pg_db.sqlalchemy_url("psycopg"), tmp_path, spanner, "refused_pg")
    assert proc.returncode == EXIT_SOURCE, proc.stderr
    assert f"wal_level is {level}" in proc.stderr and "wal_level = logical" in proc.stderr


def test_table_without_primary_key_is_refused(
    postgres_cdc: Any, spanner: Any, tmp_path: Path
) -> None:
    conn = postgres_cdc.connect()
    conn.execute("DROP TABLE IF EXISTS items, orders, loose")
    conn.execute("CREATE TABLE loose (a int, b text)")
    conn.close()
    proc = _live(postgres_cdc.url, tmp_path, spanner, "refused_keyless")
    assert proc.returncode == EXIT_SOURCE, proc.stderr
    assert "without a primary key" in proc.stderr and "loose" in proc.stderr


def test_truncate_is_applied_and_ddl_stops_the_stream(
    mariadb_cdc: Any, spanner: Any, tmp_path: Path
) -> None:
    conn = mariadb_cdc.connect()
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS shop")
        cur.execute("CREATE DATABASE shop")
        cur.execute("USE shop")
        cur.execute("CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))")
        cur.execute("CREATE TABLE b (id INT PRIMARY KEY, v VARCHAR(10))")
        cur.execute("INSERT INTO a VALUES (1, 'x'), (2, 'y')")
        cur.execute("INSERT INTO b VALUES (1, 'x')")
    mig = Migrator(mariadb_cdc.url, tmp_path, spanner, "ddl_stop")
    try:
        mig.wait_for(lambda r: r.get("event") == "streaming")
        with conn.cursor() as cur:
            cur.execute("TRUNCATE TABLE a")
            cur.execute("INSERT INTO a VALUES (3, 'z')")
            cur.execute("INSERT INTO b VALUES (2, 'w')")
        mig.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 3)
        assert spanner_rows(spanner, "ddl_stop", "SELECT id FROM a ORDER BY id") == [[3]]
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE b ADD COLUMN extra INT")
            cur.execute("INSERT INTO b VALUES (3, 'after', 1)")
        stopped = mig.wait_for(lambda r: r.get("event") == "stopped")
        assert mig.proc.wait(30) == EXIT_STREAM
        assert "ALTER TABLE b ADD COLUMN extra INT" in stopped["error"]
        assert "schema changed" in stopped["error"]
        # everything before the DDL is in, nothing after it
        assert spanner_rows(spanner, "ddl_stop", "SELECT id FROM b ORDER BY id") == [[1], [2]]
    finally:
        mig.stop()
        conn.close()


@pytest.mark.parametrize("source", ["mariadb_cdc", "postgres_cdc"])
def test_kill_9_during_backfill_redoes_it_from_a_new_snapshot(
    source: str, request: Any, spanner: Any, tmp_path: Path
) -> None:
    server = request.getfixturevalue(source)
    conn = server.connect()
    cur = conn.cursor()
    if server.engine == "mysql":
        cur.execute("DROP DATABASE IF EXISTS shop")
        cur.execute("CREATE DATABASE shop")
        cur.execute("USE shop")
    else:
        cur.execute("DROP TABLE IF EXISTS items, orders, loose, p, t")
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, f"v{i}") for i in range(20000)])
    db = f"backfill_kill_{server.engine}"
    first = Migrator(server.url, tmp_path, spanner, db, "--write-parallelism", 1,
                     batch_mutations=300)  # fmt: skip
    first.wait_for(lambda r: r.get("event") == "backfill")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if spanner_rows(spanner, db, "SELECT COUNT(*) FROM t")[0][0] > 0:
                break
        except Exception:  # the table is being created
            pass
        time.sleep(0.05)
    first.kill9()
    assert not any(r.get("event") == "backfill_done" for r in first.records)
    copied = spanner_rows(spanner, db, "SELECT COUNT(*) FROM t")[0][0]
    assert 0 < copied < 20000
    # rows the first copy has are deleted meanwhile
    cur.execute("DELETE FROM t WHERE id < 50")
    cur.execute("UPDATE t SET v = 'changed' WHERE id = 60")
    second = Migrator(server.url, tmp_path, spanner, db)
    try:
        second.wait_for(lambda r: r.get("event") == "status" and r["lag_seconds"] == 0.0)
        assert any(r.get("event") == "backfill_restart" for r in second.records)
        assert spanner_rows(spanner, db, "SELECT COUNT(*), MIN(id) FROM t") == [[19950, 50]]
        code, text = cutover(server.url, tmp_path, spanner, db)
        assert code == 0, text
    finally:
        second.stop()
        conn.close()


def test_postgres_column_added_at_the_source_stops_the_stream(
    postgres_cdc: Any, spanner: Any, tmp_path: Path
) -> None:
    conn = postgres_cdc.connect()
    for st in ["DROP TABLE IF EXISTS items, orders, loose, p",
               "CREATE TABLE p (id int PRIMARY KEY, v text)", "INSERT INTO p VALUES (1, 'a')"]:  # fmt: skip
        conn.execute(st)
    mig = Migrator(postgres_cdc.url, tmp_path, spanner, "pg_ddl_stop")
    try:
        mig.wait_for(lambda r: r.get("event") == "streaming")
        conn.execute("INSERT INTO p VALUES (2, 'b')")
        conn.execute("ALTER TABLE p ADD COLUMN extra int")
        conn.execute("INSERT INTO p VALUES (3, 'c', 7)")
        stopped = mig.wait_for(lambda r: r.get("event") == "stopped")
        assert mig.proc.wait(30) == EXIT_STREAM
        assert "schema changed" in stopped["error"] and "new columns extra" in stopped["error"]
        assert spanner_rows(spanner, "pg_ddl_stop", "SELECT id FROM p ORDER BY id") == [[1], [2]]
    finally:
        mig.stop()
        conn.close()


def test_postgres_publication_and_replica_identity_are_checked_at_start(
    postgres_cdc: Any, spanner: Any, tmp_path: Path
) -> None:
    conn = postgres_cdc.connect()
    for st in ["DROP TABLE IF EXISTS items, orders, loose, p, t, q, r CASCADE",
               "DROP PUBLICATION IF EXISTS partial",
               "CREATE TABLE q (id int PRIMARY KEY, v text)",
               "ALTER TABLE q REPLICA IDENTITY NOTHING",
               "CREATE TABLE r (id int PRIMARY KEY, code int NOT NULL UNIQUE)",
               "ALTER TABLE r REPLICA IDENTITY USING INDEX r_code_key",
               "CREATE PUBLICATION partial FOR TABLE q WITH (publish = 'insert, update')"]:  # fmt: skip
        conn.execute(st)
    cmd = [str(BIN / "spanner-migrate"), "live", "--url", postgres_cdc.url, "--out", str(tmp_path),
           "--project", spanner.project, "--instance", spanner.instance, "--database", "pub_check",
           "--emulator-host", spanner.address, "--publication", "partial"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_SOURCE, proc.stderr
    err = " ".join(proc.stderr.split())
    assert "table q: deletes and key changes carry nothing" in err
    assert 'ALTER TABLE "public"."q" REPLICA IDENTITY FULL' in err
    assert "table r: deletes and key changes carry its replica identity index (code)" in err
    assert "publication partial does not publish delete, truncate" in err
    assert 'publication partial lacks r: ALTER PUBLICATION "partial" ADD TABLE "public"."r"' in err
    conn.execute("DROP TABLE q, r")
    conn.execute("DROP PUBLICATION partial")
    conn.close()


def test_postgres_column_type_change_stops_the_stream_with_a_user_publication(
    postgres_cdc: Any, spanner: Any, tmp_path: Path
) -> None:
    conn = postgres_cdc.connect()
    for st in ["DROP TABLE IF EXISTS items, orders, loose, p, t, q, r CASCADE",
               "DROP PUBLICATION IF EXISTS mine",
               "CREATE TABLE t (id int PRIMARY KEY, v varchar(10))",
               "INSERT INTO t VALUES (1, 'a')",
               "CREATE PUBLICATION mine FOR ALL TABLES"]:  # fmt: skip
        conn.execute(st)
    mig = Migrator(postgres_cdc.url, tmp_path, spanner, "pg_type_stop", "--publication", "mine")
    try:
        mig.wait_for(lambda r: r.get("event") == "streaming")
        conn.execute("INSERT INTO t VALUES (2, 'b')")
        mig.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 1)
        conn.execute("ALTER TABLE t ALTER COLUMN v TYPE varchar(40)")  # same names, new type
        conn.execute("INSERT INTO t VALUES (3, 'c')")
        stopped = mig.wait_for(lambda r: r.get("event") == "stopped")
        assert mig.proc.wait(30) == EXIT_STREAM
        assert "schema changed" in stopped["error"]
        assert "column v type character varying(10) -> character varying(40)" in stopped["error"]
        assert spanner_rows(spanner, "pg_type_stop", "SELECT id FROM t ORDER BY id") == [[1], [2]]
    finally:
        mig.stop()
        conn.execute("DROP PUBLICATION IF EXISTS mine")
        conn.close()


def test_mariadb_resumes_by_gtid_not_by_file_and_offset(
    mariadb_cdc: Any, spanner: Any, tmp_path: Path
) -> None:
    """The checkpoint's file and offset are made wrong while the migrator is down: the restart
    still goes on from the right transaction, because it resumes by the GTID position."""
    import json

    conn = mariadb_cdc.connect()
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS shop")
        cur.execute("CREATE DATABASE shop")
        cur.execute("USE shop")
        cur.execute("CREATE TABLE g (id INT PRIMARY KEY, v VARCHAR(10))")
        cur.execute("INSERT INTO g VALUES (1, 'a')")
    db = "gtid_resume"
    first = Migrator(mariadb_cdc.url, tmp_path, spanner, db)
    first.wait_for(lambda r: r.get("event") == "streaming")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO g VALUES (2, 'b')")
        cur.execute("UPDATE g SET v = 'a2' WHERE id = 1")
    first.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 2)
    first.kill9()
    ((stream, state_text),) = spanner_rows(
        spanner, db, "SELECT stream, state FROM dbtools_live_checkpoint"
    )
    state = json.loads(state_text)
    gtid = state["position"].partition(" gtid=")[2]
    assert gtid.startswith("0-1-"), state["position"]
    state["position"] = f"binlog.999999:4 gtid={gtid}"  # a file that does not exist
    sp_db = spanner.client().instance(spanner.instance).database(db)
    with sp_db.batch() as batch:
        batch.update("dbtools_live_checkpoint", ["stream", "state"], [[stream, json.dumps(state)]])
    with conn.cursor() as cur:  # written while the migrator is down
        cur.execute("INSERT INTO g VALUES (3, 'c')")
        cur.execute("DELETE FROM g WHERE id = 2")
    second = Migrator(mariadb_cdc.url, tmp_path, spanner, db)
    try:
        resumed = second.wait_for(lambda r: r.get("event") == "streaming")["from"]
        assert resumed.endswith(f"gtid={gtid}")
        second.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 4)
        rows = spanner_rows(spanner, db, "SELECT id, v FROM g ORDER BY id")
        assert rows == [[1, "a2"], [3, "c"]]
        code, text = cutover(mariadb_cdc.url, tmp_path, spanner, db)
        assert code == 0, text
    finally:
        second.stop()
        conn.close()


_FK_TABLES = {
    "mysql": [
        "CREATE TABLE parent (id INT PRIMARY KEY, v INT)",
        "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, "
        "FOREIGN KEY (parent_id) REFERENCES parent (id))",
    ],
    "postgres": [  # deferred: a transaction may write a child before its parent, as above
        "CREATE TABLE parent (id INT PRIMARY KEY, v INT)",
        "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL REFERENCES parent (id) "
        "DEFERRABLE INITIALLY DEFERRED)",
    ],
}
_CHECKS_OFF = {"mysql": "SET FOREIGN_KEY_CHECKS = 0", "postgres": "SELECT 1"}
_CHECKS_ON = {"mysql": "SET FOREIGN_KEY_CHECKS = 1", "postgres": "SELECT 1"}


@pytest.fixture(params=["mariadb", "postgres"])
def fk_source(request: Any) -> Any:
    """`parent` and `child` (a foreign key) on a private server, empty."""
    server = request.getfixturevalue(
        "mariadb_cdc" if request.param == "mariadb" else "postgres_cdc"
    )
    conn = server.connect()
    if server.engine == "mysql":
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS shop")
            cur.execute("CREATE DATABASE shop")
            cur.execute("USE shop")
            for st in _FK_TABLES["mysql"]:
                cur.execute(st)
    else:
        for st in ["DROP TABLE IF EXISTS child, parent", *_FK_TABLES["postgres"]]:
            conn.execute(st)
    conn.close()
    return server


def _txn(server: Any, *statements: tuple[str, list[tuple[Any, ...]] | None]) -> None:
    """One source transaction: each (statement, rows for executemany or None)."""
    conn = server.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute(_CHECKS_OFF[server.engine])
        for sql, rows in statements:
            if rows is None:
                cur.execute(sql)
            else:
                cur.executemany(sql, rows)
        cur.execute(_CHECKS_ON[server.engine])
    conn.commit()
    conn.close()


def test_foreign_keys_hold_across_split_commits_and_a_restart(
    fk_source: Any, spanner: Any, tmp_path: Path
) -> None:
    """Transactions many times --batch-mutations write children before their parents (and
    delete parents before their children); others, each small, come one after the other while
    the migrator is down, so the restarted one reads them in one burst. Written in source order,
    a commit would hold children whose parents come in a later one, and Spanner's foreign key
    would refuse it; the restarted migrator must also go on past them."""
    src = fk_source
    db = f"fk_{src.engine}"
    ins_child = "INSERT INTO child VALUES (%s, %s)"
    ins_parent = "INSERT INTO parent VALUES (%s, 0)"
    first = Migrator(src.url, tmp_path, spanner, db, batch_mutations=40)
    try:
        first.wait_for(lambda r: r.get("event") == "streaming")
        assert any(r.get("event") == "indexes" for r in first.records)  # the FK, after the copy
        _txn(
            src,
            (ins_child, [(i, i) for i in range(1, 101)]),
            (ins_parent, [(i,) for i in range(1, 101)]),
            ("UPDATE parent SET v = 1", None),
        )
        first.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 300)
        assert first.proc.poll() is None, "".join(first.stderr)[-2000:]
    finally:
        assert first.stop() == 0, "".join(first.stderr)[-2000:]
    # while it is down: small transactions one after the other, and a large one deleting
    # parents before their children
    _txn(src, (ins_parent, [(i,) for i in range(201, 216)]))
    _txn(src, (ins_child, [(i, i) for i in range(301, 307)]),
         (ins_parent, [(i,) for i in range(301, 307)]))  # fmt: skip
    _txn(src, ("DELETE FROM parent WHERE id > 50 AND id <= 100", None),
         ("DELETE FROM child WHERE id > 50 AND id <= 100", None))  # fmt: skip
    second = Migrator(src.url, tmp_path, spanner, db, batch_mutations=40)
    try:
        second.wait_for(
            lambda r: r.get("event") == "status" and r["events_applied"] >= 300 + 15 + 12 + 100
        )
        assert second.proc.poll() is None, "".join(second.stderr)[-2000:]
        counts = "SELECT (SELECT COUNT(*) FROM parent), (SELECT COUNT(*) FROM child)"
        assert spanner_rows(spanner, db, counts) == [[50 + 15 + 6, 50 + 6]]
        assert spanner_rows(spanner, db, "SELECT MIN(v) FROM parent WHERE id <= 50") == [[1]]
        # and it keeps going: a change after the burst arrives too
        _txn(src, (ins_parent, [(999,)]))
        second.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 428)
        assert spanner_rows(spanner, db, "SELECT COUNT(*) FROM parent WHERE id = 999") == [[1]]
    finally:
        second.stop()


def _bit_reverse(counter: int) -> int:
    return int(f"{counter:063b}"[::-1], 2)


def test_cutover_moves_identity_counters_past_the_streamed_keys(
    fk_source: Any, spanner: Any, tmp_path: Path
) -> None:
    """Three rows at the backfill start the target's bit-reversed IDENTITY at counter 4; the
    stream then brings a row holding exactly the value counter 4 generates. After the cutover
    the target's first generated key must not be that value (the insert would be refused)."""
    src = fk_source
    db = f"ident_{src.engine}"
    ddl = {
        "mysql": "CREATE TABLE o (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)",
        "postgres": "CREATE TABLE o (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
        "v INT)",
    }[src.engine]
    _txn(src, ("DROP TABLE IF EXISTS o", None), (ddl, None),
         ("INSERT INTO o (v) VALUES (%s)", [(1,), (2,), (3,)]))  # fmt: skip
    mig = Migrator(src.url, tmp_path, spanner, db)
    try:
        mig.wait_for(lambda r: r.get("event") == "streaming")
        taken = _bit_reverse(4)  # what the target's counter 4 gives
        _txn(src, ("INSERT INTO o (id, v) VALUES (%s, 4)", [(taken,)]))
        mig.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 1)
        code, text = cutover(src.url, tmp_path, spanner, db)  # the migrator still following
    finally:
        assert mig.stop() == 0, "".join(mig.stderr)[-2000:]
    assert code == 0, text
    assert "generated key o.id" in text, text
    sp_db = spanner.client().instance(spanner.instance).database(db)
    sql = "INSERT INTO o (v) VALUES (5) THEN RETURN id"
    new_ids: list[Any] = []
    sp_db.run_in_transaction(lambda tx: new_ids.extend(r[0] for r in tx.execute_sql(sql)))
    assert len(new_ids) == 1 and new_ids[0] not in (1, 2, 3, taken), new_ids
    assert spanner_rows(spanner, db, "SELECT COUNT(*) FROM o") == [[5]]


def test_postgres_ddl_without_a_row_change_stops_the_stream_naming_it(
    postgres_cdc: Any, spanner: Any, tmp_path: Path
) -> None:
    """pgoutput says nothing of a new index, and of a new column until the table's next row
    change: the catalog is watched, so the stream stops with no row written after the DDL, and
    a restart stops again rather than going on with the other schema."""
    conn = postgres_cdc.connect()
    for st in ["DROP TABLE IF EXISTS items, orders, loose, p, t, q, r, w CASCADE",
               "CREATE TABLE w (id int PRIMARY KEY, v int)", "INSERT INTO w VALUES (1, 1)"]:  # fmt: skip
        conn.execute(st)
    db = "pg_ddl_watch"
    mig = Migrator(postgres_cdc.url, tmp_path, spanner, db)
    try:
        mig.wait_for(lambda r: r.get("event") == "streaming")
        conn.execute("INSERT INTO w VALUES (2, 2)")
        mig.wait_for(lambda r: r.get("event") == "status" and r["events_applied"] >= 1)
        conn.execute("CREATE INDEX w_v ON w (v)")
        conn.execute("ALTER TABLE w ADD COLUMN extra int NOT NULL DEFAULT 0")
        stopped = mig.wait_for(lambda r: r.get("event") == "stopped")
        assert mig.proc.wait(30) == EXIT_STREAM
        error = stopped["error"]
        assert "schema changed: table w: new columns extra (integer)" in error, error
        assert "new index w_v: CREATE INDEX w_v ON public.w USING btree (v)" in error, error
        assert spanner_rows(spanner, db, "SELECT id FROM w ORDER BY id") == [[1], [2]]
    finally:
        mig.stop()
    again = _live(postgres_cdc.url, tmp_path, spanner, db)
    assert again.returncode == EXIT_STREAM, again.stderr
    assert "new index w_v" in " ".join(again.stderr.split())
    conn.execute("DROP TABLE w")
    conn.close()
