"""Reading spanner-migrate's report.json: renames, chosen types, skips, synthetic keys."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from dbtools.dvt.columns import ColumnSpec
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import Engine, open_engine
from dbtools.dvt.errors import ConfigError
from dbtools.dvt.migration import (
    MigratedTable,
    find_row_key,
    plan_migration,
    plan_specs,
    read_report,
)
from dbtools.dvt.rows import RowSpec
from dbtools.dvt.schema import SchemaSpec

REPORT = {
    "format": "dbtools-migrate-report",
    "tables": [
        {
            "source_table": "sales.order",
            "table": "sales_order_",
            "skipped": False,
            "synthetic_primary_key": None,
            "columns": [
                {"source_column": "id", "column": "id", "spanner_type": "INT64"},
                {"source_column": "group", "column": "group_", "spanner_type": "STRING(10)"},
                {"source_column": "secret", "column": None, "spanner_type": None},
            ],
        },
        {
            "source_table": "log",
            "table": "log",
            "skipped": False,
            "synthetic_primary_key": "synth_id",
            "columns": [
                {"source_column": "msg", "column": "msg", "spanner_type": "STRING(MAX)"},
                {"source_column": None, "column": "synth_id", "spanner_type": "STRING(36)"},
            ],
        },
        {"source_table": "old", "table": None, "skipped": True, "columns": []},
    ],
}


def test_report_becomes_one_mapped_validation_per_aspect(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text(json.dumps(REPORT))
    order, log, old = read_report(tmp_path)
    assert order.column_map == {"id": "id", "group": "group_"}
    assert order.excluded == ["secret"] and order.synthetic_key is None
    assert order.expected_types == {"id": "INT64", "group_": "STRING(10)"}
    schema, column, row = plan_specs(order)
    assert isinstance(schema, SchemaSpec) and schema.target_table == "sales_order_"
    assert schema.expected_types["group_"] == "STRING(10)" and schema.exclude == ["secret"]
    assert isinstance(column, ColumnSpec) and column.column_map["group"] == "group_"
    assert isinstance(row, RowSpec) and row.exclude == ["secret"]
    # every aggregate that fits each column's type, not only count and sum
    assert column.aggregates == {"count": ["*"], "sum": ["*"], "min": ["*"], "max": ["*"]}
    assert log.synthetic_key == "synth_id"
    specs, notes = plan_migration([order, log, old], source=None)
    assert [(n.name, n.status) for n in notes] == [("row:log", "skipped"), ("table:old", "skipped")]
    assert "synth_id" in (notes[0].skipped or "") and "not asked" in (notes[0].skipped or "")
    assert [s.name for s in specs] == [
        "schema:sales.order", "column:sales.order", "row:sales.order", "schema:log", "column:log",
    ]  # fmt: skip
    assert [type(s) for s in plan_specs(log, rows=False)] == [SchemaSpec, ColumnSpec]
    assert plan_specs(log)[0].exclude == ["synth_id"]
    assert old.target is None and plan_specs(old) == []


def test_a_directory_without_a_report_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--out directory"):
        read_report(tmp_path)
    (tmp_path / "report.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a spanner-migrate report"):
        read_report(tmp_path)


def _keyless(path: Path, rows: list[tuple[object, ...]]) -> tuple[Engine, MigratedTable]:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE log (a INTEGER, b TEXT, c TEXT)")
        c.executemany("INSERT INTO log VALUES (?, ?, ?)", rows)
    table = MigratedTable("log", "log", {"a": "a", "b": "b", "c": "c"}, synthetic_key="synth_id")
    return open_engine(parse_url(f"sqlite:///{path}")), table


@pytest.mark.parametrize(
    "rows,key,why",
    [
        # one column unique and never NULL: the first such, integers first
        ([(1, "x", "p"), (2, "x", None), (3, "y", "p")], ["a"], None),
        ([(None, "x", "p"), (2, "y", "p"), (3, "z", "q")], ["b"], None),
        # no single column is unique, the never-NULL ones together are
        ([(1, "x", None), (1, "y", None), (2, "x", "q")], ["a", "b"], None),
        # duplicate rows: nothing can pair them
        ([(2, "y", "p"), (2, "y", "p"), (1, "x", "p")], None, "1 of 3 rows repeat"),
        ([(None, "x", None), (1, None, "p")], None, "every column that could be a key holds NULLs"),
    ],
)
def test_a_table_with_a_synthetic_key_is_paired_by_columns_unique_in_the_data(
    tmp_path: Path, rows: list[tuple[object, ...]], key: list[str] | None, why: str | None
) -> None:
    engine, table = _keyless(tmp_path / "k.db", rows)
    found, reason = find_row_key(engine, table)
    assert found == key
    assert (reason is None) if why is None else (why in (reason or ""))
    specs, notes = plan_migration([table], engine)
    if key:
        assert notes == [] and specs[-1].primary_keys == key
    else:
        assert [type(s) for s in specs] == [SchemaSpec, ColumnSpec]
        assert notes[0].status == "skipped" and why in (notes[0].skipped or "")
