"""Validating a whole migration in one command, from what spanner-migrate wrote.

`spanner-migrate schema` (and `schema-and-data`) write `report.json` to their output directory:
per table the source and target names, whether the session skipped it, the synthetic primary
key it added (if any), and per column the source and target names (renames such as reserved
words: `order` → `order_`) and the Spanner type chosen (SET → ARRAY<STRING>, spatial → STRING,
ENUM → STRING, FLOAT → FLOAT32 …); a column the session skipped has no target name. From that,
each migrated table gets a schema validation against the chosen types, the aggregates that fit
each column's type (count, sum, min, max), and a row validation by the source's primary key,
with the columns mapped by their new names.

A table without a primary key got a synthetic one in Spanner, which has no counterpart in the
source. Its rows are paired instead by a set of columns that is unique (and never NULL) in the
source data, when there is one; when there is none, the report says why and the table is
compared by its aggregates only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .columns import ColumnSpec
from .engines import Engine
from .errors import ConfigError
from .results import ValidationResult
from .rows import RowSpec
from .schema import SchemaSpec
from .types import Kind

REPORT = "report.json"
# What a migration's column validation computes; '*' keeps each to the columns it fits.
AGGREGATES: dict[str, list[str]] = {"count": ["*"], "sum": ["*"], "min": ["*"], "max": ["*"]}
# Kinds a row key can be made of: compared exactly and ordered the same way on every engine.
KEY_KINDS = frozenset(
    {Kind.INT, Kind.DECIMAL, Kind.STRING, Kind.CHAR, Kind.DATE, Kind.TIMESTAMP, Kind.UUID}
)


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


def plan_specs(
    table: MigratedTable, rows: bool = True, row_key: list[str] | None = None
) -> list[Any]:
    """The validations of one migrated table (none for a table the session skipped); `row_key`
    pairs the rows of a table whose key the migration made up."""
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
        aggregates={agg: list(cols) for agg, cols in AGGREGATES.items()},
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
                primary_keys=list(row_key) if row_key else None,
                exclude=list(table.excluded),
                column_map=dict(table.column_map),
                name=f"row:{table.source}",
            )
        )
    return specs


def find_row_key(source: Engine, table: MigratedTable) -> tuple[list[str] | None, str | None]:
    """For a table whose primary key the migration made up: source columns whose values are
    unique and never NULL in the source data, or None and why there are none.

    One column is preferred (the first that qualifies, integers first); else every migrated
    column that is never NULL, together."""
    cols = [c for c in source.columns(table.source) if c.name in table.column_map]
    usable = [c for c in cols if c.kind in KEY_KINDS]
    if not usable:
        kinds = ", ".join(sorted({c.kind.value for c in cols})) or "none"
        return None, f"no column can be a key (kinds: {kinds})"
    d = source.dialect
    ref = source.table_ref(table.source)
    exprs = ["COUNT(*)"]
    for c in usable:
        q = d.quote(c.name)
        exprs += [f"COUNT({q})", f"COUNT(DISTINCT {q})"]
    row = source.query(f"SELECT {', '.join(exprs)} FROM {ref}")[0]
    total = int(row[0])
    stats = {c.name: (int(row[1 + 2 * i]), int(row[2 + 2 * i])) for i, c in enumerate(usable)}
    single = [c for c in usable if stats[c.name] == (total, total)]
    if single:
        single.sort(key=lambda c: c.kind is not Kind.INT)
        return [single[0].name], None
    never_null = [c for c in usable if stats[c.name][0] == total]
    if not never_null:
        return None, "every column that could be a key holds NULLs"
    names = ", ".join(d.quote(c.name) for c in never_null)
    groups = source.query(f"SELECT COUNT(*) FROM (SELECT {names} FROM {ref} GROUP BY {names}) g")
    distinct = int(groups[0][0])
    if distinct == total:
        return [c.name for c in never_null], None
    return None, (
        f"{total - distinct} of {total} rows repeat another row's values in "
        f"({', '.join(c.name for c in never_null)}), the columns without NULLs"
    )


def _no_rows_reason(table: MigratedTable, why: str) -> str:
    return (
        "the source has no primary key and the migration added the synthetic key "
        f"{table.synthetic_key!r}, which has no counterpart in the source; no column set pairs "
        f"the rows: {why}. Compared by counts and aggregates only"
    )


def plan_migration(
    migrated: list[MigratedTable], source: Engine | None, rows: bool = True
) -> tuple[list[Any], list[ValidationResult]]:
    """Every validation of a migration, and a note for each table (or row validation) that is
    not run and why. `source` is needed to find row keys for tables with a synthetic key."""
    specs: list[Any] = []
    notes: list[ValidationResult] = []
    for m in migrated:
        if m.target is None:
            notes.append(
                ValidationResult(
                    f"table:{m.source}", "table", m.source, "(not migrated)",
                    skipped="the migration session skipped this table",
                )
            )  # fmt: skip
            continue
        key: list[str] | None = None
        reason: str | None = None
        if rows and m.synthetic_key:
            if source is None:
                reason = _no_rows_reason(m, "the source was not asked")
            else:
                key, why = find_row_key(source, m)
                reason = None if key else _no_rows_reason(m, why or "")
        specs += plan_specs(m, rows=rows and reason is None, row_key=key)
        if reason:
            notes.append(
                ValidationResult(f"row:{m.source}", "row", m.source, m.target, skipped=reason)
            )
    return specs, notes
