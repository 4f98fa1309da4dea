"""Reading spanner-migrate's report.json: renames, chosen types, skips, synthetic keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbtools.dvt.columns import ColumnSpec
from dbtools.dvt.errors import ConfigError
from dbtools.dvt.migration import plan_specs, read_report, why_not_rows
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
    assert log.synthetic_key == "synth_id" and "synth_id" in (why_not_rows(log) or "")
    assert [type(s) for s in plan_specs(log, rows=False)] == [SchemaSpec, ColumnSpec]
    assert plan_specs(log)[0].exclude == ["synth_id"]
    assert old.target is None and plan_specs(old) == []


def test_a_directory_without_a_report_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--out directory"):
        read_report(tmp_path)
    (tmp_path / "report.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a spanner-migrate report"):
        read_report(tmp_path)
