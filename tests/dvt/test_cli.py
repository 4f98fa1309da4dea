"""The `dvt` command line end to end: exit codes, formats, files, saved connections and configs."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from click.testing import CliRunner
from dbtools.dvt.cli import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DVT_CONFIG_HOME", str(tmp_path / "cfg"))
    for var in ("JOB_COMPLETION_INDEX", "CLOUD_RUN_TASK_INDEX", "BATCH_TASK_INDEX"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def _sqlite(path: Path, rows: list[tuple[Any, ...]]) -> str:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, amount DECIMAL(10,2), name TEXT)")
        c.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    return f"sqlite:///{path}"


ROWS = [(i, f"{i}.50", f"n{i}") for i in range(1, 101)]


@pytest.fixture
def pair(env: Path, pg_db: Any) -> tuple[str, str, str]:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE SCHEMA sales")
        c.execute("CREATE TABLE sales.t (id int PRIMARY KEY, amount numeric(10,2), name text)")
        c.cursor().executemany("INSERT INTO sales.t VALUES (%s, %s, %s)", ROWS)
    changed = [r if r[0] != 7 else (7, "7.51", "n7") for r in ROWS if r[0] != 9]
    return pg_db.url, _sqlite(env / "same.db", ROWS), _sqlite(env / "diff.db", changed)


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_row_exit_codes_and_formats(pair: tuple[str, str, str], env: Path) -> None:
    pg, same, diff = pair
    ok = run("validate", "row", "-sc", pg, "-tc", same, "-t", "sales.t=t", "--format", "json")
    assert ok.exit_code == 0, ok.output
    [result] = json.loads(ok.output)
    assert result["status"] == "success" and result["summary"]["matched"] == 100
    bad = run("validate", "row", "-sc", pg, "-tc", diff, "-t", "sales.t=t", "--format", "csv")
    assert bad.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(bad.output)))
    assert [(r["status"], r["key"], r["column"], r["source"], r["target"]) for r in rows] == [
        ("mismatch", '{"id": 7}', "amount", "7.5", "7.51"),
        ("missing", '{"id": 9}', "", "", ""),
    ]
    out = env / "res.json"
    table = run(
        "validate",
        "row",
        "-sc",
        pg,
        "-tc",
        diff,
        "-t",
        "sales.t=t",
        "-o",
        str(out),
        "--format",
        "json",
    )
    assert (
        table.exit_code == 1 and json.loads(out.read_text())[0]["summary"]["missing_in_target"] == 1
    )
    text = run("validate", "row", "-sc", pg, "-tc", diff, "-t", "sales.t=t")
    assert "mismatch" in text.output and "7.51" in text.output and "1 failed" in text.output


def test_comparison_fields_and_exclusions(pair: tuple[str, str, str]) -> None:
    pg, _, diff = pair
    r = run(
        "validate",
        "row",
        "-sc",
        pg,
        "-tc",
        diff,
        "-t",
        "sales.t=t",
        "--comparison-fields",
        "name",
        "--format",
        "json",
    )
    assert (
        json.loads(r.output)[0]["summary"]["mismatched"] == 0 and r.exit_code == 1
    )  # the missing row
    r = run(
        "validate",
        "row",
        "-sc",
        pg,
        "-tc",
        diff,
        "-t",
        "sales.t=t",
        "-ec",
        "amount",
        "--filters",
        "id <> 9",
    )
    assert r.exit_code == 0, r.output


def test_column_and_schema_commands(pair: tuple[str, str, str]) -> None:
    pg, same, diff = pair
    assert (
        run(
            "validate",
            "column",
            "-sc",
            pg,
            "-tc",
            same,
            "-t",
            "sales.t=t",
            "--sum",
            "*",
            "--max",
            "name",
        ).exit_code
        == 0
    )
    r = run(
        "validate",
        "column",
        "-sc",
        pg,
        "-tc",
        diff,
        "-t",
        "sales.t=t",
        "--count",
        "*",
        "--format",
        "json",
    )
    assert r.exit_code == 1 and json.loads(r.output)[0]["findings"][0]["source"] == 100
    r = run("validate", "schema", "-sc", pg, "-tc", same, "-t", "sales.t=t", "--format", "json")
    assert r.exit_code == 0, r.output


def test_custom_query_row_and_column(pair: tuple[str, str, str]) -> None:
    pg, _, diff = pair
    q = "SELECT id, amount FROM {t} WHERE id < 50"
    r = run(
        "validate",
        "custom-query",
        "row",
        "-sc",
        pg,
        "-tc",
        diff,
        "-sq",
        q.format(t="sales.t"),
        "-tq",
        q.format(t="t"),
        "-pk",
        "id",
        "--format",
        "json",
    )
    res = json.loads(r.output)[0]
    assert r.exit_code == 1 and res["kind"] == "custom-query-row"
    assert (res["summary"]["mismatched"], res["summary"]["missing_in_target"]) == (1, 1)
    r = run(
        "validate",
        "custom-query",
        "column",
        "-sc",
        pg,
        "-tc",
        diff,
        "-sq",
        q.format(t="sales.t"),
        "-tq",
        q.format(t="t"),
        "--sum",
        "amount",
    )
    assert r.exit_code == 1


def test_saved_connections(env: Path, pair: tuple[str, str, str]) -> None:
    pg, same, _ = pair
    assert run("connections", "add", "src", pg).exit_code == 0
    assert run("connections", "add", "tgt", same).exit_code == 0
    listed = run("connections", "list", "--format", "json")
    assert set(json.loads(listed.output)) == {"src", "tgt"}
    assert run("validate", "row", "-sc", "src", "-tc", "tgt", "-t", "sales.t=t").exit_code == 0
    assert run("connections", "delete", "tgt").exit_code == 0
    r = run("validate", "row", "-sc", "src", "-tc", "tgt", "-t", "sales.t=t")
    assert r.exit_code == 2 and "connections add tgt" in r.output
    assert run("connections", "delete", "nope").exit_code == 2


def test_save_config_and_rerun(pair: tuple[str, str, str], env: Path) -> None:
    pg, _, diff = pair
    cfg = env / "v.yaml"
    r = run("validate", "row", "-sc", pg, "-tc", diff, "-t", "sales.t=t", "-c", str(cfg))
    assert r.exit_code == 0 and cfg.exists()
    data = yaml.safe_load(cfg.read_text())
    assert data["validations"][0]["source_table"] == "sales.t"
    again = run("configs", "run", str(cfg), "--format", "json")
    assert again.exit_code == 1 and json.loads(again.output)[0]["summary"]["mismatched"] == 1
    jcfg = env / "v.json"
    run(
        "validate",
        "column",
        "-sc",
        pg,
        "-tc",
        diff,
        "-t",
        "sales.t=t",
        "--sum",
        "amount",
        "-c",
        str(jcfg),
    )
    assert run("configs", "run", str(jcfg)).exit_code == 1
    refused = run("configs", "run", str(jcfg), "-c", str(env / "again.yaml"))
    assert refused.exit_code == 2 and "--config-file" in refused.output
    assert not (env / "again.yaml").exists()
    cfg.write_text("source: x\ntarget: y\nvalidations:\n  - type: row\n    source_tabel: t\n")
    bad = run("configs", "run", str(cfg))
    assert bad.exit_code == 2 and "source_tabel" in bad.output


def test_generate_partitions_cover_every_row_once(
    pair: tuple[str, str, str], env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg, _, diff = pair
    d = env / "parts"
    r = run(
        "generate-partitions",
        "-sc",
        pg,
        "-tc",
        diff,
        "-t",
        "sales.t=t",
        "-pn",
        "4",
        "-cdir",
        str(d),
    )
    assert r.exit_code == 0, r.output
    files = sorted(d.iterdir())
    assert len(files) == 4
    assert ":param" not in files[1].read_text() and "id" in files[1].read_text()
    res = json.loads(run("configs", "run", str(d), "--format", "json").output)
    assert sum(x["summary"]["source_rows"] for x in res) == 100
    assert sum(x["summary"]["mismatched"] for x in res) == 1
    assert sum(x["summary"]["missing_in_target"] for x in res) == 1
    monkeypatch.setenv("CLOUD_RUN_TASK_INDEX", "2")
    one = json.loads(run("configs", "run", str(d), "-kc", "--format", "json").output)
    assert len(one) == 1 and one[0]["name"].endswith("part0002")
    monkeypatch.setenv("CLOUD_RUN_TASK_INDEX", "9")
    assert run("configs", "run", str(d), "-kc").exit_code == 2


def test_bad_input_has_clear_errors(env: Path, tmp_path: Path) -> None:
    nowhere = _sqlite(tmp_path / "a.db", ROWS)
    r = run("validate", "row", "-sc", "oracle://x/y", "-tc", nowhere, "-t", "t")
    assert r.exit_code == 2 and "unsupported URL scheme" in r.output
    r = run(
        "validate",
        "row",
        "-sc",
        "postgresql://postgres@127.0.0.1:1/x",
        "-tc",
        nowhere,
        "-t",
        "t",
    )
    assert r.exit_code == 3 and "cannot connect" in r.output
    src = _sqlite(tmp_path / "x.db", ROWS)
    r = run("validate", "row", "-sc", src, "-tc", src, "-t", "missing_table")
    assert r.exit_code == 3 and "not found" in r.output
    r = run("validate", "row", "-sc", src, "-tc", src, "-t", "t", "--hash", "*", "--concat", "*")
    assert r.exit_code == 2
    r = run("validate", "row", "-sc", src, "-tc", src, "-t", "t", "--filters", "no_such_col = 1")
    assert r.exit_code == 3 and "no_such_col" in r.output


def test_multi_table_run_goes_on_past_a_table_without_a_key(env: Path, tmp_path: Path) -> None:
    def db(path: Path, changed: bool) -> str:
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT)")
            c.execute("CREATE TABLE nokey (v TEXT)")
            c.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT)")
            c.executemany("INSERT INTO a VALUES (?, ?)", [(1, "x"), (2, "y")])
            c.executemany("INSERT INTO nokey VALUES (?)", [("p",), ("q",)])
            c.executemany("INSERT INTO c VALUES (?, ?)", [(1, "x"), (2, "z" if changed else "y")])
        return f"sqlite:///{path}"

    src, tgt = db(tmp_path / "s.db", False), db(tmp_path / "t.db", True)
    r = run("validate", "row", "-sc", src, "-tc", tgt, "-t", "a,nokey,c", "--format", "json")
    assert r.exit_code == 2  # the worst: a table that could not be validated
    data = json.loads(r.stdout)
    assert [(x["source_table"], x["status"]) for x in data] == [
        ("a", "success"),
        ("nokey", "error"),
        ("c", "fail"),
    ]
    assert "no primary key" in data[1]["error"] and "--primary-keys" in data[1]["error"]
    assert "error: row:nokey: table 'nokey' has no primary key" in r.stderr
    assert data[2]["summary"]["mismatched"] == 1
    # without the keyless table the worst is the difference in c
    assert run("validate", "row", "-sc", src, "-tc", tgt, "-t", "a,c").exit_code == 1
    # a missing table is a database-side error (3), and the others still run
    r = run("validate", "row", "-sc", src, "-tc", src, "-t", "gone,a", "--format", "csv")
    assert r.exit_code == 3
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["source_table"], x["validation_status"]) for x in rows] == [
        ("gone", "error"),
        ("a", "success"),
    ]
    assert "not found" in rows[0]["difference"]
    table = run("validate", "row", "-sc", src, "-tc", tgt, "-t", "a,nokey,c").stdout
    assert "ERROR (not validated)" in table and "1 failed, 1 could not run" in table


def test_wide_decimals_are_shown_exactly_in_every_format(
    env: Path, pg_db: Any, mysql_db: Any
) -> None:
    import pymysql

    big = "12345678901234567890123456789012345.123456789012345678901234567891"
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE TABLE w (id int PRIMARY KEY, d numeric(65,30))")
        c.execute("INSERT INTO w VALUES (1, %s), (2, 1)", (big,))
    my = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    with my.cursor() as cur:
        cur.execute("CREATE TABLE w (id int PRIMARY KEY, d decimal(65,30))")
        cur.execute("INSERT INTO w VALUES (1, %s), (2, 1)", (big[:-1] + "2",))  # last digit
    my.close()
    r = run("validate", "column", "-sc", pg_db.url, "-tc", mysql_db.url, "-t", "w",
            "--sum", "d", "--max", "d", "--format", "json")  # fmt: skip
    assert r.exit_code == 1
    checks = {f["check"]: f for f in json.loads(r.stdout)[0]["findings"]}
    total = "12345678901234567890123456789012346.123456789012345678901234567891"
    assert checks["sum"]["source"] == total  # a string: every digit, no float, no rounding
    assert checks["sum"]["target"] == total[:-1] + "2"
    assert checks["max"]["source"] == big and checks["max"]["target"] == big[:-1] + "2"
    assert checks["sum"]["difference"].startswith("0.000000000000000000000000000001 ")
    csv_out = run("validate", "column", "-sc", pg_db.url, "-tc", mysql_db.url, "-t", "w",
                  "--sum", "d", "--format", "csv").stdout  # fmt: skip
    assert f'"{total}"' in csv_out and f'"{total[:-1]}2"' in csv_out
    table = run("validate", "column", "-sc", pg_db.url, "-tc", mysql_db.url, "-t", "w",
                "--sum", "d").stdout  # fmt: skip
    assert total[-10:] in table and total[:-1][-9:] + "2" in table


def test_csv_keeps_null_and_empty_string_apart(env: Path, tmp_path: Path) -> None:
    def db(path: Path, values: list[Any]) -> str:
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            c.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values, 1)))
        return f"sqlite:///{path}"

    src = db(tmp_path / "a.db", [None, "", 'say "hi"'])
    tgt = db(tmp_path / "b.db", ["", None, 'say "ho"'])
    r = run("validate", "row", "-sc", src, "-tc", tgt, "-t", "t", "--format", "csv")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()[1:]
    # column, check, source, target: NULL is empty and unquoted, '' is "" (quoted)
    assert ',"v",,,"",' in lines[0] and ',"v",,"",,' in lines[1], lines
    assert '"say ""hi""","say ""ho"""' in lines[2]
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["key"], x["source"], x["target"]) for x in rows][2] == (
        '{"id": 3}',
        'say "hi"',
        'say "ho"',
    )


def _two_dbs(tmp_path: Path) -> tuple[str, str]:
    a, b = tmp_path / "ra.db", tmp_path / "rb.db"
    for path, rows in ((a, [(1, "x"), (2, "")]), (b, [(1, "y"), (2, None), (3, "z")])):
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            c.executemany("INSERT INTO t VALUES (?, ?)", rows)
    return f"sqlite:///{a}", f"sqlite:///{b}"


@pytest.mark.parametrize("engine", ["sqlite", "duckdb", "postgresql", "mysql"])
def test_result_url_writes_every_run(
    env: Path, tmp_path: Path, engine: str, pg_db: Any, mysql_db: Any
) -> None:
    import duckdb
    import pymysql

    src, tgt = _two_dbs(tmp_path)
    urls = {
        "sqlite": f"sqlite:///{tmp_path / 'results.db'}",
        "duckdb": f"duckdb:///{tmp_path / 'results.duckdb'}",
        "postgresql": pg_db.url,
        "mysql": mysql_db.url,
    }
    url = urls[engine]
    first = run("validate", "row", "-sc", src, "-tc", tgt, "-t", "t", "--result-url", url,
                "-l", "env=test", "--label", "ticket=42", "--format", "json")  # fmt: skip
    assert first.exit_code == 1, first.output
    second = run("validate", "column", "-sc", src, "-tc", src, "-t", "t", "--result-url", url)
    assert second.exit_code == 0, second.output
    run_id = json.loads(first.stdout)[0]["run_id"]
    assert json.loads(first.stdout)[0]["labels"] == {"env": "test", "ticket": "42"}

    def fetch(sql: str) -> list[tuple[Any, ...]]:
        if engine == "sqlite":
            with sqlite3.connect(tmp_path / "results.db") as c:
                return c.execute(sql).fetchall()
        if engine == "duckdb":
            con = duckdb.connect(str(tmp_path / "results.duckdb"))
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        if engine == "postgresql":
            with psycopg.connect(pg_db.url) as c:
                return c.execute(sql).fetchall()
        c = pymysql.connect(**mysql_db.pymysql_kwargs())
        try:
            with c.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
        finally:
            c.close()

    runs = fetch("SELECT run_id, labels, validation, status, differences FROM dvt_runs "
                 "ORDER BY run_at")  # fmt: skip
    assert [(r[0] == run_id, json.loads(r[1]), r[2], r[3], int(r[4])) for r in runs] == [
        (True, {"env": "test", "ticket": "42"}, "row:t", "fail", 3),
        (False, {}, "column:t", "success", 0),
    ]
    found = fetch(
        "SELECT status, column_name, source_value, target_value FROM dvt_findings "
        f"WHERE run_id = '{run_id}' ORDER BY row_key"
    )
    assert sorted(found, key=str) == sorted(
        [("mismatch", "v", "x", "y"), ("mismatch", "v", "", None), ("extra", None, None, None)],
        key=str,
    )


def test_filter_status_shows_only_what_is_asked(env: Path, tmp_path: Path) -> None:
    src, tgt = _two_dbs(tmp_path)
    r = run("validate", "column", "-sc", src, "-tc", tgt, "-t", "t", "--count", "*",
            "--max", "id", "--filter-status", "fail", "--format", "json")  # fmt: skip
    assert r.exit_code == 1
    [res] = json.loads(r.stdout)
    assert {f["status"] for f in res["findings"]} == {"fail"}
    r = run("validate", "column", "-sc", src, "-tc", tgt, "-t", "t", "--count", "*",
            "--filter-status", "success", "--format", "json")  # fmt: skip
    assert r.exit_code == 1 and json.loads(r.stdout) == []  # hidden, still counted
    r = run("validate", "row", "-sc", src, "-tc", tgt, "-t", "t", "--filter-status", "nope")
    assert r.exit_code == 2 and "success, fail, error, skipped" in r.output


def test_dry_run_prints_each_sides_sql_and_runs_nothing(
    env: Path, pg_db: Any, tmp_path: Path
) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY, amount numeric(10,2), name text)")
        c.execute("INSERT INTO t VALUES (1, 1.5, 'a')")
        # a filter that leaves a trace whenever a data query really runs (sequences are not
        # rolled back with dvt's read-only transactions)
        c.execute("CREATE SEQUENCE ran")
        c.execute(
            "CREATE FUNCTION traced() RETURNS boolean VOLATILE LANGUAGE sql AS "
            "$$ SELECT nextval('ran') > 0 $$"
        )
    lite = _sqlite(tmp_path / "d.db", ROWS)
    opts = ["--filters", "traced()", "--target-filters", "1 = 1", "--dry-run"]
    r = run("validate", "row", "-sc", pg_db.url, "-tc", lite, "-t", "t", *opts)
    assert r.exit_code == 0, r.output
    assert "-- checksum blocks" in r.stdout and "-- rows in key order" in r.stdout
    assert "sha256(convert_to(" in r.stdout  # PostgreSQL's hash
    assert "dvt_sha256(" in r.stdout  # SQLite's registered function
    assert "traced()" in r.stdout
    r = run("validate", "column", "-sc", pg_db.url, "-tc", lite, "-t", "t", "--sum", "amount",
            *opts)  # fmt: skip
    assert r.exit_code == 0 and 'SUM("amount")' in r.stdout and "dvt_sum(" in r.stdout
    with psycopg.connect(pg_db.url) as c:
        assert c.execute("SELECT is_called FROM ran").fetchone() == (False,)
    # the same without --dry-run does run it (the trace works)
    assert run(
        "validate", "column", "-sc", pg_db.url, "-tc", lite, "-t", "t", *opts[:-1]
    ).exit_code in (0, 1)
    with psycopg.connect(pg_db.url) as c:
        assert c.execute("SELECT is_called FROM ran").fetchone() == (True,)


def test_query_and_configs_list(env: Path, tmp_path: Path) -> None:
    src = _sqlite(tmp_path / "q.db", [(1, "12345678901234.55", "a"), (2, None, "")])
    r = run("query", "-c", src, "SELECT id, name, amount FROM t ORDER BY id", "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == [
        {"id": 1, "name": "a", "amount": 12345678901234.55},
        {"id": 2, "name": "", "amount": None},
    ]
    r = run("query", "-c", src, "SELECT name FROM t ORDER BY id", "--format", "csv")
    assert r.stdout == 'name\n"a"\n""\n' or r.stdout == '"name"\n"a"\n""\n'
    assert run("query", "-c", src, "SELECT nope FROM t").exit_code == 3
    cfg = tmp_path / "cfgs"
    assert run("validate", "row", "-sc", src, "-tc", src, "-t", "t", "-c",
               str(cfg / "a.yaml")).exit_code == 0  # fmt: skip
    assert run("validate", "column", "-sc", src, "-tc", src, "-t", "t", "-c",
               str(cfg / "b.json")).exit_code == 0  # fmt: skip
    listed = json.loads(run("configs", "list", str(cfg), "--format", "json").stdout)
    assert [(x["file"].endswith(f), x["type"], x["source_table"]) for x, f in
            zip(listed, ["a.yaml", "b.json"], strict=True)] == [
        (True, "row", "t"), (True, "column", "t"),
    ]  # fmt: skip
    assert run("configs", "list", str(tmp_path / "none")).exit_code == 2


def _chromium() -> str:
    import shutil

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "the report test needs headless Chromium: apt-get install chromium"
    return found


def test_report_renders_the_history_in_a_real_browser(env: Path, tmp_path: Path) -> None:
    import subprocess

    src, tgt = _two_dbs(tmp_path)
    results = f"sqlite:///{tmp_path / 'history.db'}"
    for label in ("one", "two"):
        assert run("validate", "row", "-sc", src, "-tc", tgt, "-t", "t", "--result-url", results,
                   "-l", f"run={label}").exit_code == 1  # fmt: skip
    with sqlite3.connect(tmp_path / "rb.db") as c:  # fix the target: 0 differences next
        c.execute("DELETE FROM t WHERE id = 3")
        c.execute("UPDATE t SET v = CASE id WHEN 1 THEN 'x' ELSE '' END")
    assert run("validate", "row", "-sc", src, "-tc", tgt, "-t", "t",
               "--result-url", results).exit_code == 0  # fmt: skip
    page = tmp_path / "history.html"
    r = run("report", "--result-url", results, "-o", str(page))
    assert r.exit_code == 0, r.output
    shot = tmp_path / "history.png"
    browser = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
    ]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout  # fmt: skip
    assert '<p id="summary">3 run(s), 3 validation result(s)</p>' in dom
    assert 'class="series" data-validation="row:t"' in dom
    # the line goes 3, 3, 0: two points at the top of the chart, the last on the axis
    points = dom.split('data-validation="row:t"')[1].split('points="')[1].split('"')[0].split()
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[0] == ys[1] < ys[2]
    assert dom.count('<tr class="fail">') == 2 and dom.count('<tr class="success">') == 1
    subprocess.run([*browser, f"--screenshot={shot}", "--window-size=1000,800", page.as_uri()],
                   capture_output=True, timeout=120)  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 5000  # a rendered page, not a blank one


def test_find_tables_pairs_migrated_names(
    env: Path, pg_db: Any, tmp_path: Path, make_duckdb: Any
) -> None:
    import duckdb

    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE SCHEMA sales")
        for t in ("public.orders", 'public."order"', "sales.items", "public.lonely"):
            c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY)")
            c.execute(f"INSERT INTO {t} VALUES (1)")
    url = make_duckdb(tmp_path / "f.duckdb")
    con = duckdb.connect(str(tmp_path / "f.duckdb"))
    for t in ("orders", "order_", "sales_items", "extra"):
        con.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY)")
        con.execute(f"INSERT INTO {t} VALUES (1)")
    con.close()
    r = run("find-tables", "-sc", pg_db.url, "-tc", url, "--format", "json")
    assert r.exit_code == 0, r.output
    found = json.loads(r.stdout)
    assert {(p["source"], p["target"]) for p in found["pairs"]} == {
        ("public.orders", "orders"),
        ("public.order", "order_"),
        ("sales.items", "sales_items"),
    }
    assert found["source_only"] == ["public.lonely"] and found["target_only"] == ["extra"]
    tables = run("find-tables", "-sc", pg_db.url, "-tc", url, "--allowed-schemas", "sales")
    assert tables.stdout.strip() == "sales.items=sales_items"
    # the list feeds -t as it is
    listed = run("find-tables", "-sc", pg_db.url, "-tc", url).stdout.strip()
    assert run("validate", "row", "-sc", pg_db.url, "-tc", url, "-t", listed).exit_code == 0


def test_an_unexpected_error_exits_4_never_1(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dbtools.dvt.api as api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "run_spec", broken)  # stands in for any bug inside a validation
    src = _sqlite(tmp_path / "u.db", ROWS)
    r = run("validate", "row", "-sc", src, "-tc", src, "-t", "t")
    assert r.exit_code == 4
    assert r.stderr.startswith("error: unexpected RuntimeError: boom") and "bug in dvt" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    monkeypatch.setenv("DVT_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        run("validate", "row", "-sc", src, "-tc", src, "-t", "t")
