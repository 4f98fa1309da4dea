"""Golden tests: dump fragments in, DDL for both dialects and the issues out.

Each tests/migrate/golden/*.test file holds `-- source:`, `-- input`, then the expected
`-- google_standard_sql`, `-- postgresql`, `-- issues` and `-- diagnostics` sections. Regenerate
with DBTOOLS_UPDATE_GOLDEN=1 and review the diff: the goldens are the specification.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from dbtools.migrate import ddl
from dbtools.migrate.convert import convert
from dbtools.migrate.source import parse_text
from dbtools.migrate.typemap import MYSQL, POSTGRES

GOLDEN = Path(__file__).parent / "golden"
SECTIONS = ("google_standard_sql", "postgresql", "issues", "diagnostics")


def _render(engine: str, source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    issues: list[str] = []
    src = parse_text(engine, source)
    for dialect in ("google_standard_sql", "postgresql"):
        conv = convert(parse_text(engine, source), dialect)
        out[dialect] = "\n".join(s + ";" for s in ddl.statements(conv.schema))
        if dialect == "google_standard_sql":
            issues = [
                f"{i.severity} | {i.table} | {i.column} | {i.code} | {i.explanation}"
                for i in conv.issues
            ]
    out["issues"] = "\n".join(issues)
    out["diagnostics"] = "\n".join(f"{d.line} | {d.kind} | {d.message}" for d in src.diagnostics)
    return out


CASES = sorted(GOLDEN.glob("*.test"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path, golden: Any) -> None:
    parts = golden(path.read_text())
    got = _render(parts["source"], parts["input"])
    if os.environ.get("DBTOOLS_UPDATE_GOLDEN"):
        text = f"-- source: {parts['source']}\n-- input\n{parts['input']}\n"
        for sec in SECTIONS:
            text += f"-- {sec}\n{got[sec]}\n"
        path.write_text(text)
        return
    for sec in SECTIONS:
        assert sec in parts, (
            f"{path.name} lacks a -- {sec} section (run with DBTOOLS_UPDATE_GOLDEN=1)"
        )
        assert got[sec] == parts[sec], f"{path.name}: section {sec} differs"


@pytest.mark.parametrize(
    ("engine", "table", "name"),
    [("mysql", MYSQL, "mysql_types"), ("postgres", POSTGRES, "pg_types")],
)
def test_every_mapped_type_has_a_golden(
    engine: str, table: dict[str, object], name: str, golden: Any
) -> None:
    """Every type in the mapping table is exercised by the type golden of its engine."""
    src = parse_text(engine, golden((GOLDEN / f"{name}.test").read_text())["input"])
    seen = {c.type.name for t in src.tables.values() for c in t.columns}
    aliases = {
        "serial",
        "smallserial",
        "bigserial",
        "char1",
        "bpchar",
        "enum",
        "geography",
        "tsrange",
        "tstzrange",
        "numrange",
        "int8range",
        "txid_snapshot",
        "regclass",
        "int4multirange",
        "timetz",
    }
    missing = sorted(set(table) - seen - (aliases if engine == "postgres" else {"serial"}))
    assert not missing, f"types without a golden case: {missing}"
