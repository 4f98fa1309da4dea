"""The public API (`dbtools.migrate`): the examples use nothing else, and its steps give what the
CLI gives."""

from __future__ import annotations

import ast
import json
import math
import struct
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dbtools import migrate
from dbtools.migrate.cli import main

from .conftest import mysql_database, spanner_values

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SAMPLE = Path(__file__).parent / "samples" / "videostore_mysql.sql"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_import_only_the_public_api(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dbtools.migrate"):
            pytest.fail(f"{path.name} imports {node.module}: only `from dbtools import migrate`")
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("dbtools.migrate.") for a in node.names), path.name
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "migrate":
                assert node.attr in migrate.__all__, f"{path.name}: migrate.{node.attr}"


def test_every_public_name_is_typed_and_documented() -> None:
    import inspect

    for name in migrate.__all__:
        obj = getattr(migrate, name)
        if inspect.isfunction(obj):
            assert obj.__doc__, name
            sig = inspect.signature(obj)
            assert sig.return_annotation is not inspect.Signature.empty, name
            for p in sig.parameters.values():
                assert p.annotation is not inspect.Parameter.empty, (name, p.name)


def test_api_steps_write_what_the_cli_writes(tmp_path: Path) -> None:
    source = migrate.read_source(engine="mysql", file=SAMPLE)
    conv = migrate.convert_schema(source, "postgresql")
    migrate.write_outputs(
        conv, migrate.build_report(conv, source_label=str(SAMPLE)), tmp_path / "a"
    )
    res = CliRunner().invoke(
        main,
        ["schema", "--source", "mysql", "--file", str(SAMPLE), "--dialect", "postgresql",
         "--out", str(tmp_path / "b")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    for name in ("schema.ddl", "report.json", "report.txt", "session.json"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text(), name
    rep = migrate.read_report(tmp_path / "a")
    assert rep == json.loads((tmp_path / "b" / "report.json").read_text())
    assert "data" not in rep


def test_api_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(migrate.MigrateError, match="either a dump file or a database URL"):
        migrate.read_source(engine="mysql")
    with pytest.raises(migrate.MigrateError, match="needs its engine"):
        migrate.read_source(file=SAMPLE)
    with pytest.raises(migrate.MigrateError, match="does not match"):
        migrate.read_source(engine="postgres", url="mysql+pymysql://root@127.0.0.1/x")
    with pytest.raises(migrate.MigrateError, match="cannot read the report"):
        migrate.read_report(tmp_path)


def test_api_dry_run_load_counts_every_row(tmp_path: Path) -> None:
    source = migrate.read_source(engine="mysql", file=SAMPLE)
    conv = migrate.convert_schema(source)
    load = migrate.load_data(
        conv, source, database=migrate.NullDatabase(), out=tmp_path, file=SAMPLE
    )
    load.result.dry_run = True
    data = load.to_json()
    assert data["rows_read"] == data["rows_converted"] == 37 and data["rows_written"] == 0
    assert load.bad_rows == 0 and load.diagnostics == []


FLOATS = [16777216.0, 0.1, 123456789.0, 3.4e38, 1.17549435e-38, -7.0e-45, 1.0 / 3.0]


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def test_live_mysql_float_arrives_exactly(mysql_server: Any, tmp_path: Path) -> None:
    """MariaDB's text protocol prints FLOAT with 6 significant digits (16777216 -> 16777200);
    the live reader must give the stored single-precision value itself."""
    rows = ", ".join(f"({i}, {x!r})" for i, x in enumerate(FLOATS))
    with mysql_database(
        mysql_server,
        ["CREATE TABLE f (id INT PRIMARY KEY, x FLOAT)", f"INSERT INTO f VALUES {rows}"],
    ) as db:
        url = db.sqlalchemy_url("pymysql")
        source = migrate.read_source(url=url)
        conv = migrate.convert_schema(source)
        got = spanner_values(source, conv, tmp_path, url=url)["f"]
    values = {dict(r)["id"]: dict(r)["x"] for r in got}
    for i, x in enumerate(FLOATS):
        assert values[i] == _f32(x) and not math.isnan(values[i]), (x, values[i])
