"""The public Python API (`from dbtools import dvt`): the same validations as the CLI, results
as objects, and results read back from the CLI's JSON output."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbtools import dvt
from dbtools.dvt.cli import main


def _db(path: Path, amounts: list[str]) -> str:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, amount DECIMAL(10,2), name TEXT)")
        c.executemany(
            "INSERT INTO t VALUES (?, ?, ?)", [(i, a, f"n{i}") for i, a in enumerate(amounts, 1)]
        )
    return f"sqlite:///{path}"


def test_rows_columns_and_schema_through_the_api(tmp_path: Path) -> None:
    src = _db(tmp_path / "s.db", ["1.50", "2.00", "3.25"])
    tgt = _db(tmp_path / "t.db", ["1.50", "2.01", "3.25"])
    rows = dvt.validate_rows(src, tgt, "t")
    assert not rows.passed and rows.status == "fail"
    assert [(f.key, f.column, f.source, f.target) for f in rows.findings] == [
        ({"id": 2}, "amount", "2", "2.01")  # SQLite keeps 2.00 as 2
    ]
    cols = dvt.validate_columns(src, tgt, "t", aggregates={"sum": ["amount"], "max": ["*"]})
    failed = {(f.check, f.column) for f in cols.findings if f.status == "fail"}
    assert failed == {("sum", "amount")}
    assert dvt.validate_schema(src, tgt, "t").passed
    assert dvt.exit_code([rows, cols]) == 1


def test_a_bad_option_and_a_missing_table_are_reported_not_ignored(tmp_path: Path) -> None:
    src = _db(tmp_path / "s.db", ["1.00"])
    with pytest.raises(dvt.ConfigError, match="no_such_option"):
        dvt.validate_rows(src, src, "t", no_such_option=1)
    missing = dvt.validate_rows(src, src, "nope")
    assert missing.status == "error" and dvt.exit_code([missing]) in (2, 3)


def test_results_written_by_the_cli_read_back_as_objects(tmp_path: Path) -> None:
    src = _db(tmp_path / "s.db", ["1.00", "2.00"])
    tgt = _db(tmp_path / "t.db", ["1.00", "2.50"])
    out = tmp_path / "r.json"
    cli = CliRunner().invoke(
        main, ["validate", "row", "-sc", src, "-tc", tgt, "-t", "t", "--format", "json",
               "-o", str(out), "--label", "team=data"],
    )  # fmt: skip
    assert cli.exit_code == 1, cli.output
    (result,) = dvt.read_results(out)
    assert result.status == "fail" and result.labels == {"team": "data"}
    assert result.findings[0].key == {"id": 2} and result.findings[0].target == "2.5"
    assert result.as_dict() == json.loads(out.read_text())[0]
    assert dvt.exit_code(dvt.read_results(out)) == cli.exit_code


def test_reading_something_else_fails_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"not": "a list"}')
    with pytest.raises(dvt.ConfigError, match=r"x\.json"):
        dvt.read_results(bad)
    bad.write_text('[{"name": "n", "status": "weird"}]')
    with pytest.raises(dvt.ConfigError, match="not dvt's JSON output"):
        dvt.read_results(bad)
    with pytest.raises(dvt.ConfigError, match="cannot read"):
        dvt.read_results(tmp_path / "absent.json")


def test_the_public_names_are_the_documented_ones() -> None:
    assert set(dvt.__all__) >= {
        "validate_rows", "validate_columns", "validate_schema", "validate_migration",
        "read_results", "read_history", "exit_code", "ValidationResult", "Finding",
    }  # fmt: skip
    for name in dvt.__all__:
        assert getattr(dvt, name) is not None
    with pytest.raises(AttributeError, match="nothing_here"):
        dvt.nothing_here  # noqa: B018


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dvt_api.py"


def test_the_example_uses_only_the_public_api_and_finds_the_difference(tmp_path: Path) -> None:
    import ast
    import subprocess
    import sys

    tree = ast.parse(EXAMPLE.read_text())
    imported = {
        (n.module or "") + ":" + ",".join(a.name for a in n.names)
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
    } | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert [i for i in imported if "dbtools" in i] == ["dbtools:dvt"]

    src = _db(tmp_path / "s.db", ["1.00", "2.00"])
    tgt = _db(tmp_path / "t.db", ["1.00", "2.50"])
    out = tmp_path / "r.json"
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), src, tgt, "--table", "t", "--json", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "success  schema:t" and lines[-1].startswith("         mismatch")
    assert [r.status for r in dvt.read_results(out)] == ["success", "fail", "fail"]
    same = subprocess.run(
        [sys.executable, str(EXAMPLE), src, src, "--table", "t"], capture_output=True, text=True
    )
    assert same.returncode == 0, same.stdout + same.stderr
