"""COPY FROM STDIN / TO STDOUT through the proxy: psycopg's copy API and the real psql (\\copy),
checked against spanner-local's data and statement log, and against real PostgreSQL's output."""

from __future__ import annotations

import os
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter import Proxy
from dbtools.pgadapter.handlers.copy import COPY_PARALLEL_COMMITS

DDL = "create table t (id bigint primary key, name varchar, v float8, ok bool)"


def _setup(dsn: str, ddl: str = DDL) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(ddl)
    return conn


def _count(conn: psycopg.Connection, table: str = "t") -> int:
    row = conn.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


def _commits(spanner: spanner_local.Endpoint, database: str) -> int:
    return sum(1 for r in spanner.statement_log.for_database(database) if r.kind == "commit")


def test_copy_text_100k_rows_non_atomic_round_trip(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with _setup(dsn) as conn:
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        before = _commits(spanner, database)
        with conn.cursor().copy("COPY t (id, name, v, ok) FROM STDIN") as cp:
            for i in range(100_000):
                cp.write_row((i, f"name {i}\t\\" if i % 7 else None, i / 4, i % 2 == 0))
        # 100,000 rows x 4 columns = 400,000 mutations: at least 5 commits of <= 80,000
        assert _commits(spanner, database) - before >= 5
        assert _count(conn) == 100_000
        row = conn.execute("select name, v, ok from t where id = 99999").fetchone()
        assert row == ("name 99999\t\\", 99999 / 4, False)
        assert conn.execute("select name from t where id = 7").fetchone() == (None,)
        # COPY TO returns the same rows
        with conn.cursor().copy("COPY t TO STDOUT") as cp:
            rows = {int(r[0]): r for r in cp.rows()}
        assert len(rows) == 100_000
        assert rows[99999] == ("99999", "name 99999\t\\", "24999.75", "f")
        assert rows[14] == ("14", None, "3.5", "t")


def test_copy_csv_100k_rows(dsn: str) -> None:
    with _setup(dsn, "create table c (id bigint primary key, s varchar)") as conn:
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        lines = ["id,s"] + [
            f'{i},"a,""{i}""\nline"' if i % 3 == 0 else f"{i},b{i}" for i in range(100_000)
        ]
        data = ("\n".join(lines) + "\n").encode()
        with conn.cursor().copy("COPY c FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
            for start in range(0, len(data), 65536):  # chunks split records anywhere
                cp.write(data[start : start + 65536])
        assert _count(conn, "c") == 100_000
        assert conn.execute("select s from c where id = 99999").fetchone() == ('a,"99999"\nline',)
        assert conn.execute("select s from c where id = 1").fetchone() == ("b1",)
        with conn.cursor().copy("COPY c TO STDOUT (FORMAT csv, HEADER)") as cp:
            out = b"".join(bytes(b) for b in cp).decode()
        assert out.startswith("id,s\n")
        assert '\n3,"a,""3""\nline"\n' in out


def test_atomic_copy_too_large_for_one_commit_writes_nothing(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with _setup(dsn) as conn:
        before = _commits(spanner, database)
        # 20,001 rows x 4 columns = 80,004 mutations: one more than a commit may hold
        with pytest.raises(psycopg.errors.ProgramLimitExceeded) as err:
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                for i in range(20_001):
                    cp.write_row((i, "x", 1.0, True))
        assert "80004 mutations" in str(err.value)
        assert "partitioned_non_atomic" in (err.value.diag.message_hint or "")
        assert _count(conn) == 0
        assert _commits(spanner, database) == before
        # exactly at the limit it is one commit
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            for i in range(20_000):
                cp.write_row((i, "x", 1.0, True))
        assert _count(conn) == 20_000
        assert _commits(spanner, database) == before + 1


def test_index_entries_count_towards_the_limit(dsn: str) -> None:
    with _setup(dsn) as conn:
        conn.execute("create index t_name on t (name, v)")
        # 14,000 rows x (4 columns + 2 index columns) = 84,000 mutations
        with pytest.raises(psycopg.errors.ProgramLimitExceeded, match="84000 mutations"):
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                for i in range(14_000):
                    cp.write_row((i, "x", 1.0, True))
        assert _count(conn) == 0


def test_storing_columns_of_an_index_count_towards_the_limit(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    """An index entry holds its key and its STORING columns: 4 columns + 1 key + 2 stored = 7
    mutations a row. Counting the key alone (5 a row) would let 12,000 rows (84,000 real
    mutations) through to a commit that Spanner refuses."""
    with _setup(dsn) as conn:
        conn.execute("create index t_name on t (name) include (v, ok)")
        with pytest.raises(psycopg.errors.ProgramLimitExceeded, match="84000 mutations"):
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                for i in range(12_000):
                    cp.write_row((i, "x", 1.0, True))
        assert _count(conn) == 0
        # 11,428 rows x 7 = 79,996: one commit, which spanner-local (counting the same way)
        # accepts
        before = _commits(spanner, database)
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            for i in range(11_428):
                cp.write_row((i, "x", 1.0, True))
        assert _count(conn) == 11_428
        assert _commits(spanner, database) == before + 1
        # non-atomic: batches are cut at 11,428 rows, so every commit fits
        conn.execute("delete from t")
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        before = len(spanner.statement_log.for_database(database))
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            for i in range(30_000):
                cp.write_row((i, f"n{i % 10}", 1.0, True))
        commits = [
            r for r in spanner.statement_log.for_database(database)[before:] if r.kind == "commit"
        ]
        assert sorted(rows for c in commits for _, _, rows in c.mutations) == [
            7_144,
            11_428,
            11_428,
        ]
        assert _count(conn) == 30_000


@pytest.mark.parametrize("mode", ["transactional", "partitioned_non_atomic"])
def test_bad_row_names_the_line_and_writes_nothing(dsn: str, mode: str) -> None:
    with _setup(dsn) as conn:
        conn.execute(f"set spanner.autocommit_dml_mode = '{mode}'")
        data = "".join(f"{i}\tn{i}\t1.5\tt\n" for i in range(1, 500))
        data += "500\tn500\tnot-a-number\tt\n501\tx\t1\tt\n"
        with pytest.raises(psycopg.errors.InvalidTextRepresentation) as err:
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                cp.write(data)
        assert "line 500" in str(err.value)
        assert err.value.diag.context is not None and "line 500, column v" in err.value.diag.context
        assert _count(conn) == 0
        # the connection is still usable
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            cp.write("1\ta\t2\tf\n")
        assert _count(conn) == 1


def test_wrong_number_of_columns(dsn: str) -> None:
    with _setup(dsn) as conn:
        with pytest.raises(psycopg.errors.BadCopyFileFormat, match="line 2"):
            with conn.cursor().copy("COPY t (id, name) FROM STDIN") as cp:
                cp.write("1\ta\n2\n")
        with pytest.raises(psycopg.errors.BadCopyFileFormat, match="extra data"):
            with conn.cursor().copy("COPY t (id, name) FROM STDIN") as cp:
                cp.write("1\ta\tb\n")
        assert _count(conn) == 0


def test_duplicate_key_rolls_back_the_whole_copy(dsn: str) -> None:
    with _setup(dsn) as conn:
        conn.execute("insert into t (id) values (3)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            with conn.cursor().copy("COPY t (id) FROM STDIN") as cp:
                cp.write("1\n2\n3\n4\n")
        assert _count(conn) == 1


def test_client_copy_fail_and_unknown_names(dsn: str) -> None:
    with _setup(dsn) as conn:
        # psycopg answers an exception in the block with CopyFail, then re-raises it
        with pytest.raises(RuntimeError, match="client gave up"):
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                cp.write("1\ta\t1\tt\n")
                raise RuntimeError("client gave up")
        assert _count(conn) == 0
        with pytest.raises(psycopg.errors.UndefinedTable):
            with conn.cursor().copy("COPY nope FROM STDIN") as cp:
                pass
        with pytest.raises(psycopg.errors.UndefinedColumn):
            with conn.cursor().copy("COPY t (id, nope) FROM STDIN") as cp:
                pass
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="server"):
            conn.execute("COPY t FROM '/etc/passwd'")


def test_copy_in_transaction_block_commits_or_rolls_back_with_it(dsn: str) -> None:
    with _setup(dsn) as conn:
        with pytest.raises(RuntimeError):
            with conn.transaction():
                conn.execute("insert into t (id) values (100)")
                with conn.cursor().copy("COPY t (id, name) FROM STDIN") as cp:
                    cp.write("1\ta\n2\tb\n")
                raise RuntimeError("roll back")
        assert _count(conn) == 0
        with conn.transaction():
            conn.execute("insert into t (id) values (100)")
            with conn.cursor().copy("COPY t (id, name) FROM STDIN") as cp:
                cp.write("1\ta\n2\tb\n")
        assert _count(conn) == 3


ALL_TYPES = (
    "create table a (id bigint primary key, s varchar, n numeric, f4 float4, b bytea,"
    " ts timestamptz, d date, j jsonb, ai bigint[], st varchar[])"
)
# the same text COPY data must load into PostgreSQL and into Spanner and come back identical
ALL_TYPES_DATA = (
    "1\ttab\\there\\nnewline \\\\ back\t12345.678\t1.5\t\\\\x00ff10\t2024-03-04 05:06:07.123456+00"
    '\t2024-02-29\t{"a": [1, 2], "b": "x"}\t{1,2,NULL}\t{"a b",c,NULL}\n'
    "2\t\\N\t0.5\t-0.25\t\\N\t1999-12-31 23:59:59+00\t0001-01-01\tnull\t{}\t{}\n"
    "3\tünïcödé ✓\t-1e-5\tInfinity\t\\\\x\t2000-01-01 00:00:00+00\t9999-12-31\t[]\t\\N\t\\N\n"
)


def test_all_types_copy_to_matches_postgresql(dsn: str, pg_db) -> None:  # type: ignore[no-untyped-def]
    outputs = []
    for target in (dsn, pg_db.dsn):
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("set timezone = 'UTC'")
            conn.execute(ALL_TYPES)
            with conn.cursor().copy("COPY a FROM STDIN") as cp:
                cp.write(ALL_TYPES_DATA)
            for fmt in ("", " (FORMAT csv, HEADER)"):
                with conn.cursor().copy(f"COPY (select * from a order by id) TO STDOUT{fmt}") as cp:
                    outputs.append(b"".join(bytes(b) for b in cp).decode())
    proxy_text, proxy_csv, pg_text, pg_csv = outputs
    assert proxy_text == pg_text
    assert proxy_csv == pg_csv


def test_binary_copy_both_ways_matches_postgresql(dsn: str, pg_db) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL's binary COPY output of the all-types rows...
    with psycopg.connect(pg_db.dsn, autocommit=True) as pg:
        pg.execute("set timezone = 'UTC'")
        pg.execute(ALL_TYPES)
        with pg.cursor().copy("COPY a FROM STDIN") as cp:
            cp.write(ALL_TYPES_DATA)
        with pg.cursor().copy("COPY (select * from a order by id) TO STDOUT (FORMAT binary)") as cp:
            pg_binary = b"".join(bytes(b) for b in cp)
        with pg.cursor().copy("COPY (select * from a order by id) TO STDOUT") as cp:
            pg_text = b"".join(bytes(b) for b in cp).decode()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(ALL_TYPES)
        # ... loads into Spanner through the proxy ...
        with conn.cursor().copy("COPY a FROM STDIN (FORMAT binary)") as cp:
            cp.write(pg_binary)
        with conn.cursor().copy("COPY (select * from a order by id) TO STDOUT") as cp:
            text = b"".join(bytes(b) for b in cp).decode()
        assert text == pg_text
        # ... and comes back byte for byte
        with conn.cursor().copy(
            "COPY (select * from a order by id) TO STDOUT (FORMAT binary)"
        ) as cp:
            assert b"".join(bytes(b) for b in cp) == pg_binary
        # psycopg's typed binary rows
        with conn.cursor().copy("COPY a (id, s, n) FROM STDIN (FORMAT binary)") as cp:
            cp.set_types(["int8", "text", "numeric"])
            cp.write_row((10, "ten", Decimal("10.5")))
        assert conn.execute("select s, n from a where id = 10").fetchone() == (
            "ten",
            Decimal("10.5"),
        )
        # truncated binary data is an error naming the row, and writes nothing
        with pytest.raises(psycopg.errors.BadCopyFileFormat, match="line 3"):
            with conn.cursor().copy("COPY a FROM STDIN (FORMAT binary)") as cp:
                cp.write(pg_binary[:-40])
        assert conn.execute("select count(*) from a").fetchone() == (4,)


def _psql(dsn: str, command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGTZ": "UTC", "PGCLIENTENCODING": "UTF8"}
    return subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-c", command, dsn],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


def test_psql_backslash_copy_both_ways(dsn: str, tmp_path: Path) -> None:
    with _setup(dsn) as conn:
        src = tmp_path / "in.csv"
        src.write_text("id,name,v,ok\n" + "".join(f'{i},"n,{i}",{i}.5,t\n' for i in range(3000)))
        res = _psql(dsn, "\\copy t from 'in.csv' with (format csv, header)", tmp_path)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "COPY 3000"
        assert _count(conn) == 3000
        res = _psql(dsn, "\\copy (select * from t order by id) to 'out.csv' csv header", tmp_path)
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "out.csv").read_text() == src.read_text()
        res = _psql(dsn, "\\copy t to 'out.txt'", tmp_path)
        assert res.returncode == 0, res.stderr
        lines = sorted((tmp_path / "out.txt").read_text().splitlines())
        assert len(lines) == 3000 and "10\tn,10\t10.5\tt" in lines
        # a text file back into an emptied table, through psql again
        conn.execute("delete from t where true")
        res = _psql(dsn, "\\copy t from 'out.txt'", tmp_path)
        assert res.returncode == 0, res.stderr
        assert _count(conn) == 3000
        # a bad line: psql reports the line and exits non-zero; the table is unchanged
        (tmp_path / "bad.txt").write_text("5000\ta\t1\tt\n5001\tb\tzzz\tt\n")
        res = _psql(dsn, "\\copy t from 'bad.txt'", tmp_path)
        assert res.returncode != 0
        assert "line 2" in res.stderr
        assert _count(conn) == 3000


def test_non_atomic_copy_commits_while_the_client_is_still_sending(
    dsn: str, database: str, spanner: spanner_local.Endpoint, proxy: Proxy
) -> None:
    """Memory stays bounded: batches are committed while input is still arriving, so the
    proxy never holds the whole input (4 columns: 20,000 rows per commit)."""
    with _setup(dsn) as conn:
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        before = _commits(spanner, database)
        seen_while_sending = 0
        with conn.cursor().copy("COPY t (id, name, v, ok) FROM STDIN") as cp:
            for i in range(60_000):
                cp.write(f"{i}\tn{i}\t1.5\tt\n")
            # the COPY is still open (no CopyDone yet): commits must already have happened
            for _ in range(600):
                seen_while_sending = _commits(spanner, database) - before
                if seen_while_sending >= 2:
                    break
                threading.Event().wait(0.1)
            for i in range(60_000, 80_000):
                cp.write(f"{i}\tn{i}\t1.5\tt\n")
        assert seen_while_sending >= 2
        assert _commits(spanner, database) - before == 4
        # the proxy's own count of rows held at once (batch being filled + commits in flight)
        held = proxy.server._connections[conn.info.backend_pid].copy_peak_rows
        assert 0 < held <= (COPY_PARALLEL_COMMITS + 1) * 20_000
        assert _count(conn) == 80_000


def test_non_atomic_bad_row_keeps_the_batches_already_committed(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with _setup(dsn) as conn:
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        data = "".join(f"{i}\tn{i}\t1.5\tt\n" for i in range(1, 50_001))
        data += "50001\tbad\tnot-a-number\tt\n50002\tx\t1\tt\n"
        with pytest.raises(psycopg.errors.InvalidTextRepresentation) as err:
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                cp.write(data)
        assert "line 50001" in str(err.value)
        # two full batches of 20,000 rows were committed before the bad row was read; the
        # 10,000 rows of the unfinished batch were not
        assert _count(conn) == 40_000
        assert conn.execute("select count(*) from t where id > 40000").fetchone() == (0,)


def test_cancel_request_stops_a_streaming_copy(dsn: str, proxy: Proxy) -> None:
    with _setup(dsn) as conn:
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                cp.write("".join(f"{i}\tn{i}\t1.5\tt\n" for i in range(1_000)))
                pg_conn = proxy.server._connections[conn.info.backend_pid]
                for _ in range(600):  # wait until the proxy is in the COPY
                    if pg_conn._running is not None:
                        break
                    threading.Event().wait(0.1)
                conn.cancel_safe()
                for _ in range(600):  # the CancelRequest reaches the proxy
                    if pg_conn._running is None or pg_conn._running.cancelled():
                        break
                    threading.Event().wait(0.1)
                cp.write("1000\tlast\t1.5\tt\n")
        # the connection is usable afterwards
        assert conn.execute("select 1").fetchone() == (1,)


def test_streaming_copy_converts_rows_off_the_event_loop(
    dsn: str, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a streaming COPY's rows are being converted, other connections are served: the
    conversion of the message holding the row named 'gate' waits until another connection's
    query has completed. Were the conversion on the event loop, that query could not run
    and the gate would give up (failing the COPY)."""
    from dbtools.pgadapter import copy as copy_module

    entered, release = threading.Event(), threading.Event()
    real_convert = copy_module.converted_rows

    def gated(rows, table, columns, parsers):  # type: ignore[no-untyped-def]
        rows = list(rows)
        if any(fields[1] == "gate" for _, fields in rows):
            entered.set()
            if not release.wait(60):
                raise RuntimeError("no other query completed while the COPY was converting")
        return real_convert(iter(rows), table, columns, parsers)

    monkeypatch.setattr(copy_module, "converted_rows", gated)
    with _setup(dsn) as conn, psycopg.connect(dsn, autocommit=True) as other:
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        result: dict[str, object] = {}

        def copy_in() -> None:
            try:
                with conn.cursor() as cur:
                    with cur.copy("COPY t (id, name, v, ok) FROM STDIN") as cp:
                        cp.write("".join(f"{i}\tn{i}\t1.5\tt\n" for i in range(30_000)))
                        cp.write("30000\tgate\t1.5\tt\n")
                        cp.write("".join(f"{i}\tn{i}\t1.5\tt\n" for i in range(30_001, 50_000)))
                    result["status"] = cur.statusmessage
            except Exception as exc:  # reported by the assertions below
                result["error"] = exc

        writer = threading.Thread(target=copy_in)
        writer.start()
        assert entered.wait(120)
        # the COPY is converting the gated message; another connection's query completes
        assert other.execute("select count(*) from t where id < 0").fetchone() == (0,)
        release.set()
        writer.join(120)
        assert result == {"status": "COPY 50000"}
        assert _count(conn) == 50_000


def _wait_for_timeout(proxy: Proxy, before: int) -> None:
    """Until the proxy has counted the statement timeout: the COPY holds rows the client sent
    and waits for more, which never come, so the timeout is the only way it ends. How long
    that takes does not matter (it is waited for, not timed)."""
    stats = proxy.server.stats
    for _ in range(2400):
        if stats["statement_timeouts"] > before:
            break
        threading.Event().wait(0.05)
    assert stats["statement_timeouts"] == before + 1


def test_statement_timeout_ends_a_streaming_copy_waiting_for_data(
    dsn: str, database: str, spanner: spanner_local.Endpoint, proxy: Proxy
) -> None:
    """statement_timeout covers the whole COPY, including waiting for the client's data; what
    was committed before it stays, in whole batches, and the session stays usable.

    Which batches were committed by then depends on the machine's speed, so the test asserts
    what holds for any of them: whole batches of 20,000 rows (the 1,000 rows of the unfinished
    one are never written), nothing sent after the timeout, and a spanner-local commit for
    every batch kept. That a batch committed before an error stays is shown without a race
    by test_non_atomic_bad_row_keeps_the_batches_already_committed."""
    with _setup(dsn) as conn:
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        conn.execute("set statement_timeout = '2s'")
        before = proxy.server.stats["statement_timeouts"]
        commits = _commits(spanner, database)
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                # more than one batch (20,000 rows of 4 columns)
                cp.write("".join(f"{i}\tn{i}\t1.5\tt\n" for i in range(21_000)))
                _wait_for_timeout(proxy, before)
                cp.write("21000\tlate\t1.5\tt\n")
        conn.execute("set statement_timeout = 0")
        assert conn.execute("select 1").fetchone() == (1,)
        kept = _count(conn)
        assert kept in (0, 20_000)
        assert conn.execute("select count(*) from t where id >= 20000").fetchone() == (0,)
        assert _commits(spanner, database) - commits >= kept // 20_000


def test_statement_timeout_ends_an_atomic_copy_waiting_for_data(dsn: str, proxy: Proxy) -> None:
    with _setup(dsn) as conn:
        conn.execute("set statement_timeout = '500ms'")
        before = proxy.server.stats["statement_timeouts"]
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            with conn.cursor().copy("COPY t FROM STDIN") as cp:
                cp.write("".join(f"{i}\tn{i}\t1.5\tt\n" for i in range(100)))
                _wait_for_timeout(proxy, before)
                cp.write("100\tlate\t1.5\tt\n")
        conn.execute("set statement_timeout = 0")
        assert _count(conn) == 0  # atomic: nothing written


@pytest.mark.parametrize("atomic", [True, False])
def test_copy_upsert_overwrites_existing_keys(dsn: str, atomic: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table kv (k bigint primary key, v varchar)")
        conn.execute("insert into kv (k, v) values (1, 'old'), (2, 'keep')")
        if not atomic:
            conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        with pytest.raises(psycopg.errors.UniqueViolation):
            with conn.cursor().copy("COPY kv FROM STDIN") as cp:
                cp.write("1\tnew\n3\tthree\n")
        conn.execute("set spanner.copy_upsert = true")
        assert conn.execute("show spanner.copy_upsert").fetchone() == ("on",)
        with conn.cursor().copy("COPY kv FROM STDIN") as cp:
            cp.write("1\tnew\n3\tthree\n")
        rows = conn.execute("select k, v from kv order by k").fetchall()
        assert rows == [(1, "new"), (2, "keep"), (3, "three")]
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="copy_upsert"):
            conn.execute("set spanner.copy_upsert = 'maybe'")
