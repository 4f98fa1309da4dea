"""Validating a whole migration in one command, from what spanner-migrate wrote.

`spanner-migrate schema` (and `schema-and-data`) write `report.json` to their output directory:
per table the source and target names, whether the session skipped it, the synthetic primary
key it added (if any), and per column the source and target names (renames such as reserved
words: `order` → `order_`) and the Spanner type chosen (SET → ARRAY<STRING>, spatial → STRING,
ENUM → STRING, FLOAT → FLOAT32 …); a column the session skipped has no target name. From that,
each migrated table gets a schema validation against the chosen types, counts and sums, and a
row validation by the source's primary key, with the columns mapped by their new names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .columns import ColumnSpec
from .errors import ConfigError
from .rows import RowSpec
from .schema import SchemaSpec

REPORT = "report.json"


@dataclass
class MigratedTable:
    source: str
    target: str | None  # None when the session skipped the table
    column_map: dict[str, str] = field(default_factory=dict)  # source → target column
    expected_types: dict[str, str] = field(default_factory=dict)  # target column → type
    excluded: list[str] = field(default_factory=list)  # source columns not migrated
    synthetic_key: str | None = None  # target column added as the primary key


def read_report(out_dir: str | Path) -> list[MigratedTable]:
    path = Path(out_dir) / REPORT
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path} ({exc.strerror}): give the --out directory of "
            "`spanner-migrate schema` or `schema-and-data`"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise ConfigError(f"{path} is not a spanner-migrate report (no 'tables' list)")
    return [_table(t, path) for t in data["tables"]]


def _table(t: dict[str, Any], path: Path) -> MigratedTable:
    try:
        table = MigratedTable(
            source=str(t["source_table"]),
            target=None if t.get("skipped") else str(t["table"]),
            synthetic_key=t.get("synthetic_primary_key"),
        )
        for c in t.get("columns", []):
            src, tgt = c.get("source_column"), c.get("column")
            if src is None:
                continue  # a column the migration added (the synthetic key)
            if tgt is None:
                table.excluded.append(src)
                continue
            table.column_map[src] = tgt
            if c.get("spanner_type"):
                table.expected_types[tgt] = c["spanner_type"]
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: unexpected table entry ({exc!r})") from None
    return table


def plan_specs(table: MigratedTable, rows: bool = True) -> list[Any]:
    """The validations of one migrated table (none for a table the session skipped)."""
    if table.target is None:
        return []
    schema = SchemaSpec(
        table.source,
        table.target,
        exclude=list(table.excluded) + ([table.synthetic_key] if table.synthetic_key else []),
        column_map=dict(table.column_map),
        expected_types=dict(table.expected_types),
        name=f"schema:{table.source}",
    )
    column = ColumnSpec(
        source_table=table.source,
        target_table=table.target,
        aggregates={"count": ["*"], "sum": ["*"]},
        exclude=list(table.excluded),
        column_map=dict(table.column_map),
        name=f"column:{table.source}",
    )
    specs: list[Any] = [schema, column]
    if rows:
        specs.append(
            RowSpec(
                source_table=table.source,
                target_table=table.target,
                exclude=list(table.excluded),
                column_map=dict(table.column_map),
                name=f"row:{table.source}",
            )
        )
    return specs


def why_not_rows(table: MigratedTable) -> str | None:
    """Why a table cannot be compared row by row, or None."""
    if table.synthetic_key:
        return (
            f"the source has no primary key; the migration added {table.synthetic_key!r}, "
            "which has no counterpart in the source, so rows cannot be paired: compared by "
            "counts and sums only"
        )
    return None
