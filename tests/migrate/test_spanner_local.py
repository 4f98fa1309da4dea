"""Round trip: the DDL generated for every golden case is accepted whole by spanner-local, both dialects."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from dbtools.migrate import ddl
from dbtools.migrate.apply import apply_schema
from dbtools.migrate.convert import convert
from dbtools.migrate.errors import ApplyError
from dbtools.migrate.source import parse_text

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.test"))
_ids = itertools.count()


def _apply(spanner: Any, statements: list[str], dialect: str) -> str:
    name = f"rt{next(_ids)}"
    apply_schema(
        statements,
        project=spanner.project,
        instance=spanner.instance,
        database=name,
        dialect=dialect,
        emulator_host=spanner.address,
    )
    return name


@pytest.mark.parametrize("dialect", ["google_standard_sql", "postgresql"])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_ddl_applies(path: Path, dialect: str, spanner: Any, golden: Any) -> None:
    parts = golden(path.read_text())
    src = parse_text(parts["source"], parts["input"])
    statements = ddl.statements(convert(src, dialect).schema)
    assert statements
    _apply(spanner, statements, dialect)


def test_options_for_targets_without_identity(spanner: Any, golden: Any) -> None:
    parts = golden((GOLDEN / "mysql_keys.test").read_text())
    src = parse_text("mysql", parts["input"])
    for dialect in ("google_standard_sql", "postgresql"):
        conv = convert(src, dialect, identity=False, uuid_default=False)
        statements = ddl.statements(conv.schema)
        assert not any("IDENTITY" in s or "uuid" in s.lower() for s in statements)
        assert "identity_off" in {i.code for i in conv.issues}
        _apply(spanner, statements, dialect)


def test_tables_and_columns_exist_after_apply(spanner: Any, golden: Any) -> None:
    parts = golden((GOLDEN / "foreign_keys.test").read_text())
    conv = convert(parse_text("mysql", parts["input"]), "google_standard_sql")
    name = _apply(spanner, ddl.statements(conv.schema), "google_standard_sql")
    db = spanner.client().instance(spanner.instance).database(name)
    with db.snapshot() as snap:
        rows = list(
            snap.execute_sql(
                "SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS "
                "WHERE TABLE_SCHEMA = '' ORDER BY TABLE_NAME, ORDINAL_POSITION"
            )
        )
    got = {(t, c) for t, c in rows}
    want = {(t.name, c.name) for t in conv.schema.tables for c in t.columns}
    assert want <= got


def test_apply_rejects_dialect_mismatch(spanner: Any) -> None:
    name = _apply(spanner, ["CREATE TABLE T (K INT64) PRIMARY KEY (K)"], "google_standard_sql")
    with pytest.raises(ApplyError, match="dialect"):
        apply_schema(
            ["CREATE TABLE t2 (k bigint PRIMARY KEY)"],
            project=spanner.project,
            instance=spanner.instance,
            database=name,
            dialect="postgresql",
            emulator_host=spanner.address,
        )


def test_apply_reports_bad_ddl(spanner: Any) -> None:
    with pytest.raises(ApplyError, match="rejected"):
        _apply(spanner, ["CREATE TABLE T (K INT64)"], "google_standard_sql")  # no primary key


@pytest.mark.parametrize("dialect", ["google_standard_sql", "postgresql"])
@pytest.mark.parametrize("name", ["mysql_keys", "mysql_types", "pg_keys", "pg_types"])
def test_sequence_style_applies_without_identity(
    name: str, dialect: str, spanner: Any, golden: Any
) -> None:
    """Auto-increment columns as bit-reversed SEQUENCE defaults: spanner-local runs those."""
    parts = golden((GOLDEN / f"{name}.test").read_text())
    conv = convert(parse_text(parts["source"], parts["input"]), dialect, identity="sequence")
    statements = ddl.statements(conv.schema)
    assert any(s.startswith("CREATE SEQUENCE") for s in statements)
    assert not any("IDENTITY" in s for s in statements)
    _apply(spanner, statements, dialect)


def test_sequence_counters_skip_the_migrated_range(spanner: Any) -> None:
    text = "CREATE TABLE `t` (`id` int NOT NULL AUTO_INCREMENT, `v` varchar(5), PRIMARY KEY (`id`)) AUTO_INCREMENT=101;\n"
    conv = convert(parse_text("mysql", text), "google_standard_sql", identity="sequence")
    statements = ddl.statements(conv.schema)
    assert statements[0] == (
        "CREATE SEQUENCE `t_id_seq` OPTIONS (sequence_kind = 'bit_reversed_positive', "
        "skip_range_min = 1, skip_range_max = 100, start_with_counter = 101)"
    )
    name = _apply(spanner, statements, "google_standard_sql")
    db = spanner.client().instance(spanner.instance).database(name)
    with db.batch() as batch:  # the key is left out: the sequence default fills it
        batch.insert("t", ["v"], [["a"], ["b"], ["c"]])
    with db.snapshot() as snap:
        ids = [r[0] for r in snap.execute_sql("SELECT id FROM t")]
    assert len(set(ids)) == 3 and all(i > 100 for i in ids)
