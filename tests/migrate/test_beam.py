"""The Beam load (`--runner beam`) against the threaded load, on Beam's DirectRunner with two
worker processes, real MariaDB and PostgreSQL, and spanner-local: the same Spanner contents
(dvt row validation between the two targets finds 0 differences) and the same bad-row records;
a unit that fails halfway and is run again leaves no duplicate and no gap; the key splitter
gives balanced ranges on a 1M-row table whose keys are spread unevenly.

The DirectRunner does not retry a failed bundle (Dataflow retries it up to four times): the
retry tests run the failed command again, which re-executes every unit from its start as a
runner's retry does, over the half-written rows of the failed attempt. The failure is injected
from the command line (DBTOOLS_MIGRATE_BEAM_FAIL_ONCE), as a user or CI would.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from click.testing import CliRunner
from dbtools.dvt.cli import main as dvt_main
from dbtools.migrate.apply import open_database
from dbtools.migrate.beamcli import FAIL_ONCE_ENV
from dbtools.migrate.cli import main
from dbtools.migrate.workunits import RangeLines, dump_line_numbers, dump_ranges, plan_key_ranges

from .test_data import BAD_ROWS, MYSQL_ROWS, MYSQL_SCHEMA

TWO_WORKERS = "--direct_num_workers=2 --direct_running_mode=multi_processing"

# rows enough for several key ranges and dump ranges; keys spread unevenly
MYSQL_MORE = """
CREATE TABLE `items` (`id` bigint NOT NULL, `name` varchar(40), `price` decimal(12,2), PRIMARY KEY (`id`));
CREATE TABLE `loose` (`v` int, `w` varchar(10));
"""


def _items_sql(n: int) -> str:
    rows = []
    for i in range(1, n + 1):
        key = i if i <= n * 3 // 4 else 1_000_000 * i  # a dense run, then a sparse tail
        rows.append(f"({key},'item {i}',{i}.{i % 100:02d})")
    loose = [f"({i % 7},'w{i}')" for i in range(n // 3)]
    out = []
    for j in range(0, len(rows), 100):  # the keyless table's INSERTs between the others
        out.append(f"INSERT INTO `items` VALUES {','.join(rows[j : j + 100])};\n")
        out.append(f"INSERT INTO `loose` VALUES {','.join(loose[j // 3 : (j + 100) // 3])};\n")
    return "".join(out)


def _spanner_url(spanner: Any, database: str) -> str:
    return (
        f"spanner:///projects/{spanner.project}/instances/{spanner.instance}/databases/"
        f"{database}?emulator_host={spanner.address}"
    )


def _dvt_differences(spanner: Any, a: str, b: str, tables: list[str]) -> dict[str, Any]:
    res = CliRunner().invoke(
        dvt_main,
        [
            "validate",
            "row",
            "-sc",
            _spanner_url(spanner, a),
            "-tc",
            _spanner_url(spanner, b),
            "-t",
            ",".join(tables),
            "--format",
            "json",
        ],
    )
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    report = json.loads(res.output)
    return {v["source_table"]: (v["status"], len(v["findings"]), v["summary"]) for v in report}


def _count(spanner: Any, database: str, table: str) -> int:
    db = open_database(
        project=spanner.project,
        instance=spanner.instance,
        database=database,
        emulator_host=spanner.address,
    )
    with db.snapshot() as snap:
        return next(iter(snap.execute_sql(f"SELECT COUNT(*) FROM {table}")))[0]


def _bad_lines(out: Path) -> list[str]:
    return sorted((out / "bad_rows.jsonl").read_text(encoding="utf-8").splitlines())


def _migrate(
    spanner: Any,
    command: str,
    source: list[str],
    out: Path,
    database: str,
    *extra: str,
    env: dict[str, str] | None = None,
) -> Any:
    return CliRunner().invoke(
        main,
        [
            command,
            *source,
            *("--out", str(out), "--project", spanner.project, "--instance", spanner.instance),
            *("--database", database, "--emulator-host", spanner.address),
            *("--no-identity", "--format", "json", *extra),
        ],
        env=env,
    )


def _load(spanner: Any, source: list[str], out: Path, database: str, *extra: str) -> dict[str, Any]:
    res = _migrate(spanner, "schema-and-data", source, out, database, *extra)
    assert res.exit_code == 0, res.output
    return json.loads((out / "data_report.json").read_text())


def _counts(spanner: Any, database: str, tables: list[str]) -> dict[str, int]:
    return {t: _count(spanner, database, t) for t in tables}


def _load_failing_once(
    spanner: Any,
    source: list[str],
    out: Path,
    database: str,
    threads: dict[str, Any],
    *extra: str,
) -> dict[str, Any]:
    """The Beam load with the CLI's failure hook: the first run fails after a unit's first
    commit (part of its rows written), the same `data` command run again over them leaves
    each table with the threaded load's row count: no duplicate, no gap."""
    markers = out.parent / f"{database}-markers"
    markers.mkdir()
    written = {t: v["rows_written"] for t, v in threads["tables"].items()}
    env = {FAIL_ONCE_ENV: str(markers)}
    beam = ("--runner", "beam", "--beam-args", TWO_WORKERS, *extra)
    failed = _migrate(spanner, "schema-and-data", source, out, database, *beam, env=env)
    assert failed.exit_code == 4, failed.output
    assert "the Beam pipeline of interleave level 0 failed: " in failed.output
    assert "injected failure after 1 commits of KeyRange(" in failed.output
    assert "[while running 'Load/ParDo(LoadUnit)']; rerun the same command" in failed.output
    assert [m.name for m in markers.iterdir()] == ["failed-once"]
    assert 0 < sum(_counts(spanner, database, list(written)).values()) < sum(written.values())
    rerun = _migrate(spanner, "data", source, out, database, *beam, env=env)
    assert rerun.exit_code == 0, rerun.output
    assert _counts(spanner, database, list(written)) == written
    return json.loads((out / "data_report.json").read_text())


def _same(spanner: Any, a: str, b: str, tables: list[str], ra: dict, rb: dict) -> None:
    found = _dvt_differences(spanner, a, b, tables)
    assert {t: v[:2] for t, v in found.items()} == {t: ("success", 0) for t in tables}, found
    for key in ("rows_read", "rows_written", "bad_rows"):
        assert ra[key] == rb[key], (key, ra[key], rb[key])
    for t in tables:
        assert ra["tables"][t]["rows_read"] == rb["tables"][t]["rows_read"]
        assert ra["tables"][t]["rows_written"] == rb["tables"][t]["rows_written"]


def test_dump_split_into_ranges_loads_what_the_threaded_path_loads(
    spanner: Any, tmp_path: Path
) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(
        MYSQL_SCHEMA + MYSQL_MORE + MYSQL_ROWS + BAD_ROWS + _items_sql(900) + "-- Dump completed\n"
    )
    assert dump.stat().st_size > 5 * 4000
    source = ["--source", "mysql", "--file", str(dump)]
    threads = _load(spanner, source, tmp_path / "t", "dump_threads")
    # ~4 KB ranges: INSERTs of one table across ranges, the keyless table's rows too
    beam = _load(
        spanner,
        source,
        tmp_path / "b",
        "dump_beam",
        "--runner",
        "beam",
        "--beam-chunk-bytes",
        "4000",
        "--beam-args",
        TWO_WORKERS,
    )
    assert beam["rows_read"] == beam["rows_written"] + beam["bad_rows"] == 9 + 900 + 300
    assert beam["bad_rows"] == 3 and beam["source_reads"]["readers"] == "beam"
    _same(spanner, "dump_threads", "dump_beam", ["edge", "items", "loose", "nokey"], threads, beam)
    assert _bad_lines(tmp_path / "b") == _bad_lines(tmp_path / "t")


def _mysql(db: Any, text: str) -> None:
    subprocess.run(
        [
            *("mysql", "--default-character-set=utf8mb4", "-h", db.host, "-P", str(db.port)),
            *("-u", db.user, db.database, "--init-command=SET sql_mode=''"),
        ],
        input=text.encode(),
        check=True,
        capture_output=True,
    )


def test_live_mariadb_by_key_ranges_and_a_unit_failing_halfway(
    spanner: Any, mysql_db: Any, tmp_path: Path
) -> None:
    _mysql(mysql_db, MYSQL_SCHEMA + MYSQL_MORE + MYSQL_ROWS + BAD_ROWS + _items_sql(900))
    url = mysql_db.sqlalchemy_url("pymysql")
    threads = _load(spanner, ["--url", url], tmp_path / "t", "live_my_threads")
    out = tmp_path / "b"
    # several commits per range: 100 rows of 3 columns a commit, 200 rows a range
    small = ("--batch-mutations", "300", "--beam-range-rows", "200")
    beam = _load_failing_once(spanner, ["--url", url], out, "live_my_beam", threads, *small)
    assert beam["source_reads"]["snapshot"] == "a consistent snapshot per range"
    assert beam["rows_read"] == beam["rows_written"] + beam["bad_rows"] == threads["rows_read"]
    assert _count(spanner, "live_my_beam", "items") == 900  # no duplicate, no gap
    _same(
        spanner,
        "live_my_threads",
        "live_my_beam",
        ["edge", "items", "loose", "nokey"],
        threads,
        beam,
    )
    assert _bad_lines(out) == _bad_lines(tmp_path / "t")


PG_SQL = """
CREATE TABLE acct (id bigint PRIMARY KEY, owner text, balance numeric, opened timestamptz, tags text[]);
INSERT INTO acct SELECT CASE WHEN g <= 600 THEN g ELSE g * 1000003 END, 'owner ' || g, g * 1.25,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour', ARRAY['t' || (g % 3), NULL]
  FROM generate_series(1, 800) g;
INSERT INTO acct VALUES (5000000000, 'too big', 1e40, NULL, NULL), (5000000001, 'nan', 'NaN', NULL, NULL);
CREATE TABLE logbook (at int, line text);
INSERT INTO logbook SELECT g % 5, 'line ' || g FROM generate_series(1, 250) g;
"""


def test_live_postgres_ranges_share_one_exported_snapshot(
    spanner: Any, pg_db: Any, tmp_path: Path
) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(PG_SQL)
    url = pg_db.sqlalchemy_url("psycopg")
    threads = _load(spanner, ["--url", url], tmp_path / "t", "live_pg_threads")
    small = ("--batch-mutations", "500", "--beam-range-rows", "150")  # 100 rows a commit
    beam = _load_failing_once(
        spanner, ["--url", url], tmp_path / "b", "live_pg_beam", threads, *small
    )
    assert beam["source_reads"]["snapshot"] == "one exported snapshot for every range"
    assert beam["bad_rows"] == threads["bad_rows"] > 0
    assert beam["rows_read"] == beam["rows_written"] + beam["bad_rows"] == 802 + 250
    _same(spanner, "live_pg_threads", "live_pg_beam", ["acct", "logbook"], threads, beam)
    assert _bad_lines(tmp_path / "b") == _bad_lines(tmp_path / "t")


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        # the checks are dbtools-beam-cli's (tests/beam-cli); here: migrate's settings reach them
        (["--runner", "beam", "--write-parallelism", "8"], {}, "--write-parallelism does not"),
        (["--runner", "beam", "--resume"], {}, "--resume does not apply to --runner beam"),
        (["--beam-chunk-bytes", "10"], {}, "--beam-chunk-bytes applies only to --runner beam"),
        (["--runner", "beam", "--beam-args", "--runnr=X"], {}, "knows no option --runnr"),
        # the failure hook without a pipeline would be ignored
        ([], {FAIL_ONCE_ENV: "/tmp/m"}, f"{FAIL_ONCE_ENV} applies only to --runner beam"),
    ],
)
def test_settings_the_chosen_runner_would_ignore_are_refused(
    tmp_path: Path, extra: list[str], env: dict[str, str], message: str
) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(MYSQL_SCHEMA + MYSQL_ROWS + "-- Dump completed\n")
    res = CliRunner().invoke(
        main,
        [
            *("data", "--source", "mysql", "--file", str(dump), "--out", str(tmp_path / "o")),
            *("--project", "p", "--instance", "i", "--database", "d", "--dry-run"),
            *extra,
        ],
        env=env,
    )
    assert res.exit_code == 2 and message in res.output, res.output
    assert not (tmp_path / "o").exists()  # refused before any work


def _range_sizes(conn: Any, table: str, ranges: list[Any]) -> list[int]:
    from sqlalchemy import text

    sizes = []
    for r in ranges:
        where, params = [], {}
        if r.lo is not None:
            where.append("id >= :lo")
            params["lo"] = r.lo
        if r.hi is not None:
            where.append("id < :hi")
            params["hi"] = r.hi
        q = f"SELECT COUNT(*) FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")
        sizes.append(int(conn.execute(text(q), params).scalar()))
    return sizes


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_splitter_balances_a_million_unevenly_spread_keys(
    engine: str, pg_db: Any, mysql_db: Any
) -> None:
    """900k keys packed in 1..900000, 100k spread over 10^6..10^11: ranges by key value would
    put 90% of the rows in one range; ranges by key sample hold ~100k rows each."""
    from sqlalchemy import create_engine

    if engine == "postgres":
        with psycopg.connect(pg_db.url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE big (id bigint PRIMARY KEY, v int);"
                "INSERT INTO big SELECT CASE WHEN g <= 900000 THEN g ELSE (g - 900000)::bigint * 1000000 END, g "
                "FROM generate_series(1, 1000000) g"
            )
        url = pg_db.sqlalchemy_url("psycopg")
    else:
        conn = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE big (id bigint PRIMARY KEY, v int)")
            cur.execute(
                "INSERT INTO big SELECT IF(seq <= 900000, seq, (seq - 900000) * 1000000), seq "
                "FROM seq_1_to_1000000"
            )
        conn.close()
        url = mysql_db.sqlalchemy_url("pymysql")
    sa = create_engine(url)
    try:
        with sa.connect() as conn:
            ranges = plan_key_ranges(engine, conn, "big", ["id"], 100_000)
            sizes = _range_sizes(conn, "big", ranges)
    finally:
        sa.dispose()
    assert sum(sizes) == 1_000_000
    assert 9 <= len(ranges) <= 11
    assert max(sizes) <= 1.1 * 100_000 and min(sizes) >= 0.9 * 100_000, sizes


PG_PARTITIONED = """
CREATE TABLE meas (id int NOT NULL, region text NOT NULL, v numeric(8,2), PRIMARY KEY (id, region))
  PARTITION BY LIST (region);
CREATE TABLE meas_east PARTITION OF meas FOR VALUES IN ('east');
CREATE TABLE meas_west PARTITION OF meas FOR VALUES IN ('west');
INSERT INTO meas SELECT g, CASE WHEN g % 3 = 0 THEN 'west' ELSE 'east' END, g * 0.5
  FROM generate_series(1, 600) g;
"""


def test_postgres_partitions_live_and_dumped_and_dump_line_numbers(
    spanner: Any, pg_db: Any, tmp_path: Path
) -> None:
    """A partitioned table (rows in its partitions) loads into the parent table as the threaded
    load does it, live by key ranges and from a pg_dump cut into byte ranges; a statement that
    cannot be read, in a later range, is reported with its line in the dump file."""
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(PG_PARTITIONED)
    url = pg_db.sqlalchemy_url("psycopg")
    beam = ("--runner", "beam", "--beam-args", TWO_WORKERS)
    threads = _load(spanner, ["--url", url], tmp_path / "lt", "part_live_t")
    live = _load(
        spanner, ["--url", url], tmp_path / "lb", "part_live_b", *beam, "--beam-range-rows", "150"
    )
    assert live["tables"]["meas"]["rows_written"] == 600
    _same(spanner, "part_live_t", "part_live_b", ["meas"], threads, live)

    lines = subprocess.run(
        ["pg_dump", "--no-owner", "-d", pg_db.url], check=True, capture_output=True, text=True
    ).stdout.splitlines(keepends=True)
    assert any(x.startswith("COPY public.meas_east ") for x in lines)  # rows in the partitions
    after_data = max(i for i, x in enumerate(lines) if x == "\\.\n") + 1
    lines.insert(after_data, "INSERT INTO public.meas VALUES (9001, 'east', random());\n")
    dump = tmp_path / "part.sql"
    dump.write_text("".join(lines))
    assert dump.stat().st_size > 4 * 2000  # several ranges, the bad statement in a later one
    source = ["--source", "postgres", "--file", str(dump)]
    threads = _load(spanner, source, tmp_path / "dt", "part_dump_t")
    dumped = _load(
        spanner, source, tmp_path / "db", "part_dump_b", *beam, "--beam-chunk-bytes", "2000"
    )
    assert dumped["tables"]["meas"]["rows_written"] == 600
    _same(spanner, "part_dump_t", "part_dump_b", ["meas"], threads, dumped)
    wanted = [{"line": after_data + 1, "kind": "syntax"}]
    for rep in (threads, dumped):
        assert [{k: d[k] for k in ("line", "kind")} for d in rep["diagnostics"]] == wanted
    assert dumped["diagnostics"] == threads["diagnostics"]


def test_dump_ranges_give_every_statement_once_at_any_cut() -> None:
    """Cuts at every offset, those landing exactly on a line start included (such a line once
    went to neither range), inside a COPY block and inside a line; each range's first line
    gets its line number in the file."""
    head = "COPY public.t (id, v) FROM stdin;\n"
    text = "SET x = 1;\n" + "".join(
        f"INSERT INTO t VALUES ({i});\n" if i % 10 else f"{head}{i}\tа\n{i + 1}\tb\n\\.\n"
        for i in range(60)
    )
    data = text.encode()
    all_lines = data.splitlines(keepends=True)  # the first range starts at the file's start
    for chunk in range(7, 90):
        got: list[bytes] = []
        for r in dump_ranges(len(data), chunk):
            lines = RangeLines("postgres", io.BytesIO(data), r)
            mine = list(lines)
            if mine:
                assert lines.first_byte is not None
                first = dump_line_numbers(io.BytesIO(data), [lines.first_byte])[lines.first_byte]
                assert all_lines[first - 1] == mine[0], (chunk, r)
            got += mine
        assert got == all_lines, chunk
