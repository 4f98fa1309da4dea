"""The data half end to end: dumps and live databases into spanner-local, value by value;
bad rows and --max-bad-rows; an interrupted run resumed gives exactly the source rows."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dbtools.migrate import ddl
from dbtools.migrate.apply import apply_schema
from dbtools.migrate.cli import main
from dbtools.migrate.convert import convert
from dbtools.migrate.data import DataError, Loader
from dbtools.migrate.datasource import load_dump
from dbtools.migrate.source import parse_text
from dbtools.migrate.values import UTC

from .conftest import mysql_client, psql_file, spanner_args, spanner_database, target_args

_ids = itertools.count()

MYSQL_SCHEMA = """
CREATE TABLE `edge` (
  `id` bigint NOT NULL,
  `i_min` bigint DEFAULT NULL,
  `u_big` bigint unsigned DEFAULT NULL,
  `flag` tinyint(1) DEFAULT NULL,
  `n` decimal(38,9) DEFAULT NULL,
  `f` double DEFAULT NULL,
  `s` varchar(20) DEFAULT NULL,
  `b` blob DEFAULT NULL,
  `dtm` datetime(6) DEFAULT NULL,
  `ts` timestamp(6) NULL DEFAULT NULL,
  `d` date DEFAULT NULL,
  `j` json DEFAULT NULL,
  `e` enum('a','b') DEFAULT NULL,
  `st` set('x','y') DEFAULT NULL,
  `bt` bit(8) DEFAULT NULL,
  `y` year(4) DEFAULT NULL,
  `tm` time DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `nokey` (`v` int DEFAULT NULL, `w` varchar(5) DEFAULT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
"""
MYSQL_ROWS = """
/*!40103 SET TIME_ZONE='+00:00' */;
INSERT INTO `edge` VALUES (1,-9223372036854775808,9223372036854775807,1,12345678901234567890.123456789,1.5,'\U0001f600 emoji',0x00FF,'2024-03-10 01:59:59.999999','2024-01-01 00:00:00.000001','2024-02-29','{\\"k\\": [1, 2]}','a','x,y',b'10000001',2155,'-838:59:59'),(2,NULL,NULL,NULL,NULL,NULL,'',NULL,NULL,NULL,NULL,NULL,NULL,'',NULL,NULL,NULL),(3,0,0,0,0.000000001,-0,'NULL','',NULL,NULL,'1000-01-01','null','b','',NULL,1901,'00:00:01');
INSERT INTO `nokey` VALUES (1,'a'),(1,'a'),(2,NULL);
"""
BAD_ROWS = """
INSERT INTO `edge` (`id`,`u_big`) VALUES (10,18446744073709551615);
INSERT INTO `edge` (`id`,`d`) VALUES (11,'0000-00-00');
INSERT INTO `edge` (`id`,`flag`) VALUES (12,7);
"""


def _db(spanner: Any, dialect: str, conv: Any) -> Any:
    name = f"data{next(_ids)}"
    apply_schema(
        ddl.statements(conv.schema),
        project=spanner.project,
        instance=spanner.instance,
        database=name,
        dialect=dialect,
        emulator_host=spanner.address,
    )
    return spanner_database(spanner, name), name


def _rows(db: Any, sql: str) -> list[list[Any]]:
    with db.snapshot() as snap:
        return [list(r) for r in snap.execute_sql(sql)]


EXPECTED_ROW_1 = [
    1,
    -(2**63),
    2**63 - 1,
    True,
    decimal.Decimal("12345678901234567890.123456789"),
    1.5,
    "\U0001f600 emoji",
    b"\x00\xff",
    dt.datetime(2024, 3, 10, 1, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    dt.date(2024, 2, 29),
    {"k": [1, 2]},
    "a",
    ["x", "y"],
    b"\x81",
    2155,
    "-838:59:59",
]


def _normalise(row: list[Any]) -> list[Any]:
    out = []
    for v in row:
        if isinstance(v, bytes):  # the client returns BYTES base64-encoded
            v = base64.b64decode(v)
        if isinstance(v, dt.datetime):
            v = dt.datetime(
                v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, tzinfo=UTC
            )
        if type(v).__name__ == "JsonObject":
            text = v.serialize()
            v = json.loads(text) if text is not None else "json-null"
        out.append(v)
    return out


@pytest.mark.parametrize("dialect", ["google_standard_sql", "postgresql"])
def test_mysql_dump_values_land_exactly(spanner: Any, tmp_path: Path, dialect: str) -> None:
    text = MYSQL_SCHEMA + MYSQL_ROWS + BAD_ROWS
    conv = convert(parse_text("mysql", text), dialect, identity=False, uuid_default=False)
    db, _ = _db(spanner, dialect, conv)
    loader = Loader(conv, db, tmp_path, source_label="t", tz=UTC)
    load_dump(loader, "mysql", io.BytesIO(text.encode()), [])
    result = loader.close()
    edge = result.tables["edge"]
    assert (edge.read, edge.written, edge.bad) == (6, 3, 3)
    rows = sorted(
        (_normalise(r) for r in _rows(db, "SELECT * FROM edge ORDER BY id")), key=lambda r: r[0]
    )
    assert rows[0] == EXPECTED_ROW_1
    assert (
        rows[1][6] == "" and rows[1][13] == [] and rows[1][7] is None
    )  # '' stays '', NULL stays NULL
    assert (
        rows[2][6] == "NULL"
        and rows[2][4] == decimal.Decimal("0.000000001")
        and rows[2][16] == "00:00:01"
    )
    bad = [json.loads(line) for line in (tmp_path / "bad_rows.jsonl").read_text().splitlines()]
    assert {(b["key"], b["column"]) for b in bad} == {("10", "u_big"), ("11", "d"), ("12", "flag")}
    assert all(b["reason"] for b in bad)
    # no primary key: synthetic keys, one row per source row (duplicates in the source included)
    assert sorted(r[:2] for r in _rows(db, "SELECT v, w FROM nokey")) == [
        [1, "a"],
        [1, "a"],
        [2, None],
    ]


def test_invalid_utf8_becomes_a_bad_row(spanner: Any, tmp_path: Path) -> None:
    text = (
        MYSQL_SCHEMA + "INSERT INTO `edge` (`id`,`s`) VALUES (20,'ok'),(21,'caf"
    ).encode() + b"\xe9');\n"
    conv = convert(parse_text("mysql", text), "google_standard_sql")
    db, _ = _db(spanner, "google_standard_sql", conv)
    loader = Loader(conv, db, tmp_path, source_label="t", tz=UTC)
    load_dump(loader, "mysql", io.BytesIO(text), [])
    res = loader.close()
    assert (res.tables["edge"].written, res.tables["edge"].bad) == (1, 1)
    bad = json.loads((tmp_path / "bad_rows.jsonl").read_text())
    assert bad["key"] == "21" and "UTF-8" in bad["reason"] and bad["value"] == "caf\\xe9"


PG_DUMP = """
CREATE TYPE public.mood AS ENUM ('sad', 'ok');
CREATE TABLE public.pgedge (
    id integer NOT NULL,
    i8 bigint,
    n numeric(12,3),
    t text,
    tags text[],
    ts timestamp without time zone,
    tstz timestamp with time zone,
    by bytea,
    j jsonb,
    m public.mood,
    iv interval,
    u uuid,
    ok boolean
);
COPY public.pgedge (id, i8, n, t, tags, ts, tstz, by, j, m, iv, u, ok) FROM stdin;
1\t-9223372036854775808\t123456789.125\ttab\\there\t{a,"b c",NULL}\t2024-11-03 01:30:00\t2024-06-01 12:00:00.000001+02\t\\\\x00ff\t{"a": 1}\tok\t1 day 02:00:00\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\tt
2\t\\N\t\\N\t\t{}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tf
3\t0\t0.001\tNULL\t\\N\t2024-03-10 02:30:00\t\\N\t\\N\tnull\tsad\t\\N\t\\N\t\\N
\\.
ALTER TABLE ONLY public.pgedge ADD CONSTRAINT pgedge_pkey PRIMARY KEY (id);
"""


@pytest.mark.parametrize("dialect", ["google_standard_sql", "postgresql"])
def test_pg_dump_copy_values(spanner: Any, tmp_path: Path, dialect: str) -> None:
    conv = convert(parse_text("postgres", PG_DUMP), dialect)
    db, _ = _db(spanner, dialect, conv)
    tz = __import__("dbtools.migrate.values", fromlist=["parse_timezone"]).parse_timezone(
        "America/New_York"
    )
    loader = Loader(conv, db, tmp_path, source_label="t", tz=tz)
    load_dump(loader, "postgres", io.BytesIO(PG_DUMP.encode()), [])
    res = loader.close()
    # row 3: 2024-03-10 02:30 does not exist in New York (DST gap): a bad row, not a shifted value
    assert (res.tables["pgedge"].read, res.tables["pgedge"].written, res.tables["pgedge"].bad) == (
        3,
        2,
        1,
    )
    rows = {r[0]: _normalise(r) for r in _rows(db, "SELECT * FROM pgedge")}
    r1 = rows[1]
    assert r1[1] == -(2**63) and r1[2] == decimal.Decimal("123456789.125") and r1[3] == "tab\there"
    assert r1[4] == ["a", "b c", None]
    # 01:30 on the fall-back night is ambiguous; the first (EDT) reading is used
    assert r1[5] == dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert r1[6] == dt.datetime(2024, 6, 1, 10, 0, 0, 1, tzinfo=UTC)
    assert (
        r1[7] == b"\x00\xff" and r1[8] == {"a": 1} and r1[9] == "ok" and r1[10] == "1 day 02:00:00"
    )
    assert r1[11] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" and r1[12] is True
    assert rows[2][3] == "" and rows[2][4] == [] and rows[2][12] is False


class _FailingDatabase:
    """Stands for a process killed after `commits` successful commits."""

    def __init__(self, db: Any, commits: int) -> None:
        self.db, self.left = db, commits

    def batch(self) -> Any:
        if self.left <= 0:
            raise KeyboardInterrupt("killed")
        self.left -= 1
        return self.db.batch()


def test_interrupted_run_resumes_without_duplicates(spanner: Any, tmp_path: Path) -> None:
    schema = "CREATE TABLE `big` (`id` int NOT NULL, `v` varchar(10), PRIMARY KEY (`id`));\nCREATE TABLE `log` (`v` int);\n"
    inserts = "".join(
        f"INSERT INTO `big` VALUES {','.join(f'({i},{chr(39)}v{i}{chr(39)})' for i in range(b * 100, b * 100 + 100))};\n"
        for b in range(20)
    ) + "".join(
        f"INSERT INTO `log` VALUES {','.join(f'({i})' for i in range(b * 50, b * 50 + 50))};\n"
        for b in range(10)
    )
    text = schema + inserts
    conv = convert(parse_text("mysql", text), "google_standard_sql")
    db, _ = _db(spanner, "google_standard_sql", conv)
    first = Loader(
        conv,
        _FailingDatabase(db, 7),
        tmp_path,
        source_label="dump",
        tz=UTC,
        parallelism=2,
        batch_mutations=300,
    )
    with pytest.raises((DataError, KeyboardInterrupt)):
        load_dump(first, "mysql", io.BytesIO(text.encode()), [])
        first.close()
    first.writer.pool.shutdown(wait=True)
    done_before = json.loads((tmp_path / "checkpoint.json").read_text())["tables"]
    assert 0 < sum(t["rows_done"] for t in done_before.values()) < 2500
    again = Loader(conv, db, tmp_path, source_label="dump", tz=UTC, resume=True)
    load_dump(again, "mysql", io.BytesIO(text.encode()), [])
    res = again.close()
    assert res.tables["big"].skipped_resume + res.tables["big"].read == 2000
    assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id) FROM big") == [
        [2000, 2000, 0, 1999]
    ]
    # the table without a key has deterministic synthetic keys: a rerun adds nothing
    assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT v) FROM log") == [[500, 500]]
    # a resume with another source is refused
    with pytest.raises(DataError, match="belongs to"):
        Loader(conv, db, tmp_path, source_label="other.sql", tz=UTC, resume=True)


def test_coalesced_checkpoint_lags_spanner_and_a_resume_from_it_is_exact(
    spanner: Any, tmp_path: Path
) -> None:
    rows = 2000
    schema = "CREATE TABLE `big` (`id` int NOT NULL, `v` varchar(10), PRIMARY KEY (`id`));\n"
    # every 97th value is too long for varchar(10): 21 bad rows, before and after the checkpoints
    value = [f"'v{i}'" if i % 97 else "'much too long'" for i in range(rows)]
    text = schema + "".join(
        f"INSERT INTO `big` VALUES {','.join(f'({i},{value[i]})' for i in range(b, b + 100))};\n"
        for b in range(0, rows, 100)
    )
    bad_ids = list(range(0, rows, 97))
    conv = convert(parse_text("mysql", text), "google_standard_sql")
    db, _ = _db(spanner, "google_standard_sql", conv)
    checkpoint = tmp_path / "checkpoint.json"
    first = Loader(
        conv,
        _FailingDatabase(db, 9),
        tmp_path,
        source_label="dump",
        tz=UTC,
        parallelism=1,  # commits in order: the 10th fails
        batch_mutations=200,  # 100 rows per commit
        checkpoint_interval=3600,
    )
    load_dump(first, "mysql", io.BytesIO(text.encode()), [])
    # 9 commits went through, and not one checkpoint write: a hard kill now leaves none
    assert first.checkpoint.writes == 0 and not checkpoint.exists()
    with pytest.raises((DataError, KeyboardInterrupt)):
        first.close()
    # a failure (or Ctrl-C: Loader.interrupt) writes what is in memory: the committed prefix
    done = json.loads(checkpoint.read_text())["tables"]["big"]["rows_done"]
    assert done == 900 and first.checkpoint.writes == 1
    assert _rows(db, "SELECT COUNT(*) FROM big") == [[900 - 10]]  # 10 bad rows among them
    # the file as an earlier coalesced write left it, behind what Spanner holds
    stale = json.loads(checkpoint.read_text())
    stale["tables"]["big"]["rows_done"] = 550
    checkpoint.write_text(json.dumps(stale))
    again = Loader(
        conv, db, tmp_path, source_label="dump", tz=UTC, checkpoint_interval=3600, resume=True
    )
    load_dump(again, "mysql", io.BytesIO(text.encode()), [])
    res = again.close()
    big = res.tables["big"]
    # rows 550-899 are written a second time (InsertOrUpdate), none is skipped or doubled
    assert (big.skipped_resume, big.read, big.written, big.bad) == (550, 1450, 1435, 15)
    good = rows - len(bad_ids)
    assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id) FROM big") == [
        [good, good, 1, rows - 1]
    ]
    # each bad row is in the file once: the resume dropped the records past the checkpoint
    # (the first run had reported all 21), then read those rows and reported them again
    bad = [json.loads(line) for line in (tmp_path / "bad_rows.jsonl").read_text().splitlines()]
    assert sorted(int(b["key"]) for b in bad) == bad_ids
    assert all(b["source_row"] == int(b["key"]) + 1 for b in bad)
    assert json.loads(checkpoint.read_text())["tables"]["big"] == {
        "rows_done": rows,
        "complete": True,
    }


def test_cli_schema_and_data_with_max_bad_rows(spanner: Any, tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(MYSQL_SCHEMA + MYSQL_ROWS + BAD_ROWS + "-- Dump completed\n")
    base = [
        "schema-and-data",
        "--source",
        "mysql",
        "--file",
        str(dump),
        "--project",
        spanner.project,
        "--instance",
        spanner.instance,
        "--emulator-host",
        spanner.address,
        "--no-identity",
        "--format",
        "json",
    ]
    res = CliRunner().invoke(
        main,
        [*base, "--out", str(tmp_path / "a"), "--database", "cli_data_a", "--max-bad-rows", "2"],
    )
    assert res.exit_code == 5, res.output
    res = CliRunner().invoke(
        main,
        [*base, "--out", str(tmp_path / "b"), "--database", "cli_data_b", "--max-bad-rows", "3"],
    )
    assert res.exit_code == 0, res.output
    summary = next(json.loads(x) for x in res.output.splitlines() if x.startswith('{"rows_read"'))
    assert summary["rows_read"] == summary["rows_written"] + summary["bad_rows"] == 9
    rep = json.loads((tmp_path / "b" / "data_report.json").read_text())
    assert rep["tables"]["edge"] == {
        **rep["tables"]["edge"],
        "rows_read": 6,
        "rows_written": 3,
        "bad_rows": 3,
    }
    assert (tmp_path / "b" / "schema.ddl").exists()
    text = (tmp_path / "b" / "report.txt").read_text()
    assert "Data conversion: POOR (3 of 6 rows written, 3 bad)." in text  # the edge table
    full = json.loads((tmp_path / "b" / "report.json").read_text())
    assert full["summary"]["data"]["bad_rows"] == 3
    assert next(t for t in full["tables"] if t["table"] == "edge")["data"]["rows_read"] == 6


def test_live_mysql_and_pg_sources(spanner: Any, mysql_db: Any, pg_db: Any, tmp_path: Path) -> None:
    mysql_text = MYSQL_SCHEMA + MYSQL_ROWS
    mysql_client(mysql_db, mysql_text.encode())
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", pg_db.url],
        input=PG_DUMP.replace(
            "3\t0\t0.001\tNULL\t\\N\t2024-03-10 02:30:00",
            "3\t0\t0.001\tNULL\t\\N\t2024-03-10 03:30:00",
        ).encode(),
        check=True,
        capture_output=True,
    )
    for url, table, expected in (
        (mysql_db.sqlalchemy_url("pymysql"), "edge", 3),
        (pg_db.sqlalchemy_url("psycopg"), "pgedge", 3),
    ):
        out = tmp_path / table
        res = CliRunner().invoke(
            main,
            [
                "schema-and-data",
                "--url",
                url,
                "--out",
                str(out),
                *spanner_args(spanner, f"live_{table}"),
                "--no-identity",
                "--format",
                "json",
                "--source-timezone",
                "America/New_York",
            ],
        )
        assert res.exit_code == 0, res.output
        rep = json.loads((out / "data_report.json").read_text())
        assert rep["tables"][table]["rows_written"] == expected and rep["bad_rows"] == 0
        db = spanner_database(spanner, f"live_{table}")
        rows = {r[0]: _normalise(r) for r in _rows(db, f"SELECT * FROM {table}")}
        if table == "edge":
            # DATETIME is a wall-clock time in --source-timezone; TIMESTAMP is read in UTC
            assert rows[1][8] == dt.datetime(2024, 3, 10, 6, 59, 59, 999999, tzinfo=UTC)
            assert rows[1][:8] == EXPECTED_ROW_1[:8] and rows[1][9:] == EXPECTED_ROW_1[9:]
            assert rows[2][6] == "" and rows[3][6] == "NULL"
        else:
            assert rows[1][4] == ["a", "b c", None] and rows[1][10] == "1 day 02:00:00"
            assert rows[1][6] == dt.datetime(2024, 6, 1, 10, 0, 0, 1, tzinfo=UTC)


def test_identity_counters_move_past_the_loaded_rows() -> None:
    from dbtools.migrate.data import identity_restarts

    text = "CREATE TABLE `a` (`id` int NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) AUTO_INCREMENT=50;\nCREATE TABLE `b` (`id` int NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`));\n"
    for dialect, expected in (
        (
            "google_standard_sql",
            "ALTER TABLE `b` ALTER COLUMN `id` ALTER IDENTITY RESTART COUNTER WITH 8",
        ),
        ("postgresql", 'ALTER TABLE "b" ALTER COLUMN "id" RESTART COUNTER WITH 8'),
    ):
        conv = convert(parse_text("mysql", text), dialect)
        # a: the schema already starts past 49 (AUTO_INCREMENT=50); b: no start known
        assert identity_restarts(conv, {("a", "id"): 40, ("b", "id"): 7}) == [expected]
        assert identity_restarts(conv, {("a", "id"): 60}) != []


def test_indexes_before_flag_and_progress_events(spanner: Any, tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(
        "CREATE TABLE `t` (`id` int NOT NULL, `v` varchar(5), PRIMARY KEY (`id`), KEY `ix_v` (`v`));\nINSERT INTO `t` VALUES (1,'a'),(2,'b');\n-- Dump completed\n"
    )
    res = CliRunner().invoke(
        main,
        [
            "schema-and-data",
            "--source",
            "mysql",
            "--file",
            str(dump),
            "--out",
            str(tmp_path / "o"),
            *spanner_args(spanner, "idx_before"),
            "--indexes-before",
        ],
    )
    assert res.exit_code == 0, res.output
    events = [json.loads(x) for x in res.output.splitlines() if x.startswith('{"event"')]
    assert events and events[-1]["table"] == "t" and events[-1]["rows_written"] == 2
    db = spanner_database(spanner, "idx_before")
    with db.snapshot() as snap:
        names = [
            r[0]
            for r in snap.execute_sql(
                "SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 't'"
            )
        ]
    assert "ix_v" in names


def test_live_pg_sample_parallel_readers_share_a_snapshot(
    spanner: Any, pg_db: Any, tmp_path: Path
) -> None:
    import psycopg

    sample = Path(__file__).parent / "samples" / "videostore_pg.sql"
    psql_file(pg_db, sample)
    res = CliRunner().invoke(
        main,
        [
            "schema-and-data",
            "--url",
            pg_db.url,
            "--out",
            str(tmp_path),
            *spanner_args(spanner, "vs_parallel"),
            "--no-identity",
            "--read-parallelism",
            "3",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "data_report.json").read_text())
    assert rep["source_reads"] == {"snapshot": "one exported snapshot", "readers": "3"}
    with psycopg.connect(pg_db.url) as conn:
        expected = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in rep["tables"]
        }
    db = spanner_database(spanner, "vs_parallel")
    for table, count in expected.items():
        assert rep["tables"][table]["rows_read"] == rep["tables"][table]["rows_written"] == count, (
            table
        )
        assert _rows(db, f"SELECT COUNT(*) FROM {table}") == [[count]], table


# a checkpoint per commit or coalesced; a hard kill, or Ctrl-C (which writes the checkpoint)
@pytest.mark.parametrize(("interval", "how"), [("0", "KILL"), ("1", "KILL"), ("1", "INT")])
def test_killed_process_resumes_to_exactly_the_source_rows(
    spanner: Any, tmp_path: Path, interval: str, how: str
) -> None:
    import os
    import signal
    import sys
    import time

    rows = 3000
    dump = tmp_path / "big.sql"
    with dump.open("w") as f:
        f.write("CREATE TABLE `big` (`id` int NOT NULL, `v` varchar(10), PRIMARY KEY (`id`));\n")
        f.write("CREATE TABLE `nokey` (`v` int);\n")
        for b in range(rows // 100):
            f.write(
                "INSERT INTO `big` VALUES "
                + ",".join(f"({i},'v{i}')" for i in range(b * 100, b * 100 + 100))
                + ";\n"
            )
            f.write(
                "INSERT INTO `nokey` VALUES "
                + ",".join(f"({i})" for i in range(b * 10, b * 10 + 10))
                + ";\n"
            )
        f.write("-- Dump completed\n")
    out = tmp_path / "out"
    base = [
        sys.executable,
        "-m",
        "dbtools.migrate.cli",
        "schema-and-data",
        "--source",
        "mysql",
        "--file",
        str(dump),
        "--out",
        str(out),
        *spanner_args(spanner, f"killed{interval}{how.lower()}"),
        "--batch-mutations",
        "200",
        "--write-parallelism",
        "2",
        "--checkpoint-interval",
        interval,
    ]
    proc = subprocess.Popen(
        [*base, "--max-rows-per-second", "400"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoint = out / "checkpoint.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if checkpoint.exists():
            done = json.loads(checkpoint.read_text())["tables"]
            if sum(t["rows_done"] for t in done.values()) >= 300:
                break
        time.sleep(0.05)
    # a load that already ended cannot show the interruption (seen on a loaded machine)
    assert proc.poll() is None, "the load finished before the test could interrupt it"
    os.kill(proc.pid, getattr(signal, f"SIG{how}"))  # KILL: no cleanup code runs
    assert proc.wait() != 0
    done = json.loads(checkpoint.read_text())["tables"]
    assert 0 < sum(t["rows_done"] for t in done.values()) < rows + rows // 10
    db = spanner_database(spanner, f"killed{interval}{how.lower()}")
    # the checkpoint never runs ahead of what Spanner holds
    assert done["big"]["rows_done"] <= _rows(db, "SELECT COUNT(*) FROM big")[0][0]
    res = subprocess.run([*base, "--resume", "--format", "json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id) FROM big") == [
        [rows, rows, 0, rows - 1]
    ]
    assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT v) FROM nokey") == [[rows // 10, rows // 10]]
    rep = json.loads((out / "data_report.json").read_text())
    assert rep["tables"]["big"]["skipped_by_resume"] > 0
    assert rep["tables"]["big"]["skipped_by_resume"] + rep["tables"]["big"]["rows_read"] == rows


def test_pg_dump_with_inserts(spanner: Any, tmp_path: Path) -> None:
    text = (
        "CREATE TABLE public.ins (id integer NOT NULL, t text, n numeric(6,2), ok boolean, ts timestamp with time zone);\n"
        "ALTER TABLE ONLY public.ins ADD CONSTRAINT ins_pkey PRIMARY KEY (id);\n"
        "INSERT INTO public.ins (id, t, n, ok, ts) VALUES (1, 'it''s', 12.50, true, '2024-01-01 00:00:00+00');\n"
        "INSERT INTO public.ins VALUES (2, 'NULL', -3, false, NULL);\n"
        "INSERT INTO public.ins (id, t) VALUES (3, now());\n"
        "-- PostgreSQL database dump complete\n"
    )
    conv = convert(parse_text("postgres", text), "postgresql")
    db, _ = _db(spanner, "postgresql", conv)
    loader = Loader(conv, db, tmp_path, source_label="t", tz=UTC)
    diagnostics: list[Any] = []
    load_dump(loader, "postgres", io.BytesIO(text.encode()), diagnostics)
    res = loader.close()
    assert (res.tables["ins"].read, res.tables["ins"].written) == (2, 2)
    # an INSERT whose value is an expression is reported with its line, not guessed
    assert [(d.line, d.kind) for d in diagnostics] == [(5, "syntax")]
    rows = {r[0]: _normalise(r) for r in _rows(db, "SELECT * FROM ins")}
    assert rows[1][1:] == [
        "it's",
        decimal.Decimal("12.50"),
        True,
        dt.datetime(2024, 1, 1, tzinfo=UTC),
    ]
    assert rows[2][1:4] == ["NULL", decimal.Decimal("-3"), False]


def test_interleaved_children_load_after_their_parents(spanner: Any, tmp_path: Path) -> None:
    # mysqldump order is alphabetical: the child's rows come first in the file
    dump = tmp_path / "d.sql"
    dump.write_text(
        "CREATE TABLE `order_lines` (`order_id` int NOT NULL, `line` int NOT NULL, `sku` varchar(8), PRIMARY KEY (`order_id`, `line`));\n"
        "CREATE TABLE `orders` (`order_id` int NOT NULL, `total` int, PRIMARY KEY (`order_id`));\n"
        "INSERT INTO `order_lines` VALUES (1,1,'a'),(1,2,'b'),(2,1,'c');\n"
        "INSERT INTO `orders` VALUES (1,10),(2,20);\n"
        "-- Dump completed\n"
    )
    runner = CliRunner()
    res = runner.invoke(
        main, ["schema", "--source", "mysql", "--file", str(dump), "--out", str(tmp_path / "s")]
    )
    assert res.exit_code == 0, res.output
    session = json.loads((tmp_path / "s" / "session.json").read_text())
    assert session["tables"]["order_lines"]["interleave_candidates"] == ["orders"]
    session["tables"]["order_lines"]["interleave_in"] = "orders"
    session["tables"]["order_lines"]["on_delete"] = "CASCADE"
    (tmp_path / "edited.json").write_text(json.dumps(session))
    res = runner.invoke(
        main,
        [
            "schema-and-data",
            "--source",
            "mysql",
            "--file",
            str(dump),
            "--session",
            str(tmp_path / "edited.json"),
            "--out",
            str(tmp_path / "o"),
            *spanner_args(spanner, "interleaved"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (
        "INTERLEAVE IN PARENT `orders` ON DELETE CASCADE"
        in (tmp_path / "o" / "schema.ddl").read_text()
    )
    rep = json.loads((tmp_path / "o" / "data_report.json").read_text())
    assert rep["bad_rows"] == 0 and rep["rows_written"] == 5
    db = spanner_database(spanner, "interleaved")
    assert _rows(db, "SELECT COUNT(*) FROM order_lines") == [[3]]


def test_data_dry_run_converts_everything_and_touches_no_spanner(tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(MYSQL_SCHEMA + MYSQL_ROWS + BAD_ROWS + "-- Dump completed\n")
    # nothing listens on port 9: any Spanner call would fail
    res = CliRunner().invoke(
        main,
        [
            "schema-and-data",
            "--dry-run",
            "--source",
            "mysql",
            "--file",
            str(dump),
            "--out",
            str(tmp_path / "o"),
            *target_args("p", "i", "dry", "127.0.0.1:9"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "o" / "data_report.json").read_text())
    assert rep["rows_read"] == 9 and rep["bad_rows"] == 3
    assert len((tmp_path / "o" / "bad_rows.jsonl").read_text().splitlines()) == 3


class _PushBackDatabase:
    """Answers ABORTED / RESOURCE_EXHAUSTED a few times before accepting, like a busy instance."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.calls = 0
        self.rows: list[list[Any]] = []

    def batch(self) -> Any:
        from google.api_core import exceptions as gexc

        parent = self

        class _Batch:
            def __enter__(self) -> Any:
                return self

            def __exit__(self, *exc: object) -> None:
                return None

            def insert_or_update(
                self, table: str, columns: list[str], rows: list[list[Any]]
            ) -> None:
                parent.calls += 1
                if parent.refusals > 0:
                    parent.refusals -= 1
                    error = gexc.Aborted if parent.refusals % 2 else gexc.ResourceExhausted
                    raise error("busy")
                parent.rows.extend(rows)

        return _Batch()


def test_writers_back_off_and_retry_until_spanner_accepts(tmp_path: Path) -> None:
    text = "CREATE TABLE `t` (`id` int NOT NULL, PRIMARY KEY (`id`));\nINSERT INTO `t` VALUES (1),(2),(3);\n"
    conv = convert(parse_text("mysql", text), "google_standard_sql")
    db = _PushBackDatabase(refusals=4)
    loader = Loader(conv, db, tmp_path, source_label="t", tz=UTC, parallelism=1)
    load_dump(loader, "mysql", io.BytesIO(text.encode()), [])
    res = loader.close()
    assert res.tables["t"].written == 3 and res.tables["t"].bad == 0
    assert db.calls == 5 and sorted(r[0] for r in db.rows) == [1, 2, 3]
    assert loader.writer.backoff > 0  # the writers slowed down while pushed back


def test_live_mysql_sample_with_spatial_and_sequences(
    spanner: Any, mysql_db: Any, tmp_path: Path
) -> None:
    import pymysql

    sample = Path(__file__).parent / "samples" / "videostore_mysql.sql"
    mysql_client(mysql_db, sample)
    res = CliRunner().invoke(
        main,
        [
            "schema-and-data",
            "--url",
            mysql_db.sqlalchemy_url("pymysql"),
            "--out",
            str(tmp_path),
            *spanner_args(spanner, "vs_mysql_live"),
            "--identity-style",
            "sequence",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "data_report.json").read_text())
    conn = pymysql.connect(**mysql_db.pymysql_kwargs())
    with conn.cursor() as cur:
        expected = {}
        for table in rep["tables"]:
            cur.execute(f"SELECT COUNT(*) FROM `{table}`")
            expected[table] = cur.fetchone()[0]
    conn.close()
    assert {t: v["rows_written"] for t, v in rep["tables"].items()} == expected and rep[
        "bad_rows"
    ] == 0
    db = spanner_database(spanner, "vs_mysql_live")
    assert _rows(db, "SELECT address_id, location FROM address ORDER BY address_id") == [
        [1, "POINT(1 1)"],
        [2, "POINT(2 2)"],
    ]
    # the sequence skips the migrated ids: a new actor gets a fresh, non-colliding key
    with db.batch() as batch:
        batch.insert(
            "actor",
            ["first_name", "last_name", "last_update"],
            [["NEW", "ACTOR", dt.datetime.now(UTC)]],
        )
    ids = [r[0] for r in _rows(db, "SELECT actor_id FROM actor")]
    assert len(ids) == 4 and len(set(ids)) == 4 and max(ids) > 3
