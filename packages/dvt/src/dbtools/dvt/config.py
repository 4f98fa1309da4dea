"""Validation configs: YAML or JSON files that describe validations, saved and re-run later.

source: pg-prod                  # a saved connection name or a URL
target: spanner:///projects/p/instances/i/databases/d
validations:
  - type: row                    # row | column | schema
    source_table: public.orders
    target_table: orders
    primary_keys: [id]
    source_filter: "id >= 1 AND id < 500000"
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .columns import ColumnSpec, ColumnValidator
from .engines import Engine
from .errors import ConfigError
from .results import ValidationResult
from .rows import RowSpec, RowValidator
from .schema import SchemaSpec, validate_schema

SPECS: dict[str, type[Any]] = {"row": RowSpec, "column": ColumnSpec, "schema": SchemaSpec}
TASK_INDEX_VARS = ("JOB_COMPLETION_INDEX", "CLOUD_RUN_TASK_INDEX", "BATCH_TASK_INDEX")


@dataclasses.dataclass
class ValidationConfig:
    source: str
    target: str
    validations: list[RowSpec | ColumnSpec | SchemaSpec]

    def to_dict(self) -> dict[str, Any]:
        items = []
        for v in self.validations:
            kind = next(k for k, cls in SPECS.items() if isinstance(v, cls))
            body = {k: val for k, val in dataclasses.asdict(v).items() if val not in (None, [], {})}
            items.append({"type": kind, **body})
        return {"source": self.source, "target": self.target, "validations": items}


def spec_from_dict(item: dict[str, Any]) -> RowSpec | ColumnSpec | SchemaSpec:
    data = dict(item)
    kind = data.pop("type", None)
    cls = SPECS.get(str(kind))
    if cls is None:
        raise ConfigError(f"validation type {kind!r} is not one of {', '.join(SPECS)}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(unknown)} in a {kind} validation; known: {', '.join(sorted(names))}"
        )
    try:
        return cls(**data)
    except TypeError as exc:
        raise ConfigError(f"bad {kind} validation: {exc}") from None


def load_config(path: str | Path) -> ValidationConfig:
    import yaml  # imported on use: runs given plain URLs never need it

    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config {p}: {exc}") from None
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"{p} is not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {exc}"
        ) from None
    if not isinstance(data, dict) or not {"source", "target", "validations"} <= set(data):
        raise ConfigError(f"{p} must have 'source', 'target' and 'validations' keys")
    if not isinstance(data["validations"], list) or not data["validations"]:
        raise ConfigError(f"{p}: 'validations' must be a non-empty list")
    return ValidationConfig(
        str(data["source"]), str(data["target"]), [spec_from_dict(v) for v in data["validations"]]
    )


def save_config(config: ValidationConfig, path: str | Path) -> Path:
    import yaml  # imported on use: runs given plain URLs never need it

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = config.to_dict()
    if p.suffix == ".json":
        p.write_text(json.dumps(data, indent=2, default=str) + "\n")
    else:
        p.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return p


def config_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files += sorted(
                f for f in p.iterdir() if f.suffix in (".yaml", ".yml", ".json") and f.is_file()
            )
        elif p.exists():
            files.append(p)
        else:
            raise ConfigError(f"config path {raw} does not exist")
    if not files:
        raise ConfigError(f"no .yaml/.yml/.json config files in {', '.join(paths)}")
    return files


def task_index() -> int | None:
    for var in TASK_INDEX_VARS:
        if os.environ.get(var, "").strip():
            try:
                return int(os.environ[var])
            except ValueError:
                raise ConfigError(f"{var}={os.environ[var]!r} is not an integer") from None
    return None


def run_spec(
    spec: RowSpec | ColumnSpec | SchemaSpec,
    source: Engine,
    target: Engine,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int | None], None] | None = None,
) -> ValidationResult:
    if isinstance(spec, RowSpec):
        return RowValidator(spec, source, target, progress, on_total).run()
    if isinstance(spec, ColumnSpec):
        return ColumnValidator(spec, source, target).run()
    return validate_schema(spec, source, target)
