"""The README's quick start works as written, and its examples print what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from dbtools.sqlcommenter import comment, parse, serialize

README = Path(__file__).resolve().parents[2] / "packages" / "sqlcommenter" / "README.md"


def test_quick_start_is_five_lines_and_prints_the_comment() -> None:
    text = README.read_text()
    first_block = re.search(r"```python\n(.*?)```", text, re.S)
    assert first_block is not None
    code = first_block.group(1)
    assert len([line for line in code.splitlines() if line.strip()]) == 5
    assert text.index("```python") < text.index("## ")  # the README starts with it
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    logged = [line for line in result.stdout.splitlines() if "select 1" in line]
    assert logged, result.stdout
    assert "select 1 /*application='quickstart',db_driver='pysqlite%3A" in logged[0]
    assert "db_framework='sqlalchemy%3A" in logged[0]


def test_pure_function_examples() -> None:
    assert comment("select 1;", {"route": "/a b"}) == "select 1 /*route='%2Fa%20b'*/;"
    assert serialize({"k": "FOO 'BAR"}) == "k='FOO%20\\'BAR'"
    tp = "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-03"
    got = parse(f"select 1 /*r='%2Fa',traceparent='{tp}'*/")
    assert got.tags == {"r": "/a", "traceparent": tp}
    assert got.trace is not None
    assert (got.trace.trace_id_hex, got.trace.sampled) == ("5bd66ef5095369c7b0d1f8f4bd33716a", True)


def test_postgres_example_runs(pg_db) -> None:
    example = README.parents[2] / "examples" / "sqlcommenter_pg.py"
    result = subprocess.run(
        [sys.executable, str(example), pg_db.url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "route = /cart/{id}/checkout" in result.stdout
    assert "traceparent matches the span: True" in result.stdout
