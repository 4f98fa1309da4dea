"""`dvt generate-partitions` and `dvt configs`: validations saved as files and run later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..config import ValidationConfig, config_files, load_config, save_config, task_index
from ..errors import ConfigError
from ..results import ValidationResult
from ..rows import RowSpec, RowValidator, partition_bounds, range_predicate
from .options import (
    connection_options,
    filter_options,
    output_options,
    row_options,
    setting,
    table_pairs,
)
from .running import emit, engine, guard, run
from .validate import row_spec


@click.command("generate-partitions")
@connection_options
@click.option("-t", "--tables", required=True, help="One table: 'schema.t' or 'src.t=tgt.t'.")
@row_options
@filter_options
@click.option("-pn", "--partition-num", type=int, required=True, help="Number of key ranges.")
@click.option(
    "-cdir",
    "--config-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Where to write the configs.",
)
@guard
def generate_partitions(
    source_conn: str, target_conn: str, tables: str, partition_num: int, config_dir: str, **kw: Any
) -> None:
    """Write one row-validation config per key range, for many machines to run.

    Each file holds plain SQL range filters on the first key column; run them with
    `dvt configs run DIR --task-index-from-env` as Kubernetes or Cloud Run job tasks.

    \b
    Example:
      dvt generate-partitions -sc pg -tc my -t orders -pn 16 -cdir parts/
    """
    if partition_num < 1:
        raise click.BadParameter("must be at least 1", param_hint="--partition-num")
    pairs = table_pairs(tables)
    if len(pairs) != 1:
        raise click.UsageError("generate-partitions takes exactly one table")
    spec = row_spec(pairs[0][0], pairs[0][1], None, None, kw)
    src_engine, tgt_engine = engine(source_conn), engine(target_conn)
    validator = RowValidator(spec, src_engine, tgt_engine)
    src_side, tgt_side = validator._sides()
    keys = validator._keys(src_side, tgt_side)
    spec.primary_keys = [k.name for k in keys]
    bounds = partition_bounds(
        src_engine, src_side.from_clause, src_side.filter, keys[0].source, partition_num
    )
    out = Path(config_dir)
    out.mkdir(parents=True, exist_ok=True)
    edges = list(zip([None, *bounds], [*bounds, None], strict=True))
    for i, (lo, hi) in enumerate(edges):
        sp = range_predicate(src_engine, keys[0].source, lo, hi)
        tp = range_predicate(tgt_engine, keys[0].target, lo, hi)
        part = RowSpec(**{**spec.__dict__})
        part.source_filter = " AND ".join(f"({c})" for c in (spec.source_filter, sp) if c) or None
        tfilter = spec.target_filter if spec.target_filter is not None else spec.source_filter
        part.target_filter = " AND ".join(f"({c})" for c in (tfilter, tp) if c) or None
        part.partitions = 1
        part.name = f"row:{spec.source_table}:part{i:04d}"
        save_config(ValidationConfig(source_conn, target_conn, [part]), out / f"{i:04d}.yaml")
    click.echo(f"wrote {len(edges)} config(s) to {out}; run: dvt configs run {out}")


@click.group()
def configs() -> None:
    """Run saved validation configs."""


@configs.command("run")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--task-index-from-env",
    "-kc",
    is_flag=True,
    help="Run only file number $JOB_COMPLETION_INDEX / $CLOUD_RUN_TASK_INDEX (sorted order).",
)
@output_options
@guard
def configs_run(
    paths: tuple[str, ...],
    task_index_from_env: bool,
) -> None:
    """Run config files (or every config in directories).

    \b
    Examples:
      dvt configs run orders.yaml
      dvt configs run parts/ --format json -o results.json
    """
    if setting("save_to"):
        raise click.UsageError("--config-file saves a new validation; configs run runs saved ones")
    files = config_files(list(paths))
    if task_index_from_env:
        idx = task_index()
        if idx is None:
            raise ConfigError(
                "--task-index-from-env: none of JOB_COMPLETION_INDEX, CLOUD_RUN_TASK_INDEX is set"
            )
        if not 0 <= idx < len(files):
            raise ConfigError(f"task index {idx} is outside the {len(files)} config files")
        files = [files[idx]]
    results: list[ValidationResult] = []
    for f in files:
        results += run(load_config(f))
    emit(results)


@configs.command("list")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@guard
def configs_list(paths: tuple[str, ...], fmt: str) -> None:
    """List config files (or the configs in directories): connections and validations."""
    rows = []
    for f in config_files(list(paths)):
        cfg = load_config(f)
        for v in cfg.validations:
            rows.append(
                {
                    "file": str(f),
                    "source": cfg.source,
                    "target": cfg.target,
                    "type": type(v).__name__[:-4].lower(),
                    "name": getattr(v, "name", None),
                    "source_table": getattr(v, "source_table", None) or "(custom query)",
                    "target_table": getattr(v, "target_table", None)
                    or getattr(v, "source_table", None),
                }
            )
    if fmt == "json":
        import json

        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['file']}\t{r['type']}\t{r['source_table']} → {r['target_table']}\t"
            f"{r['source']} → {r['target']}"
        )


@configs.command("show")
@click.argument("path")
@guard
def configs_show(path: str) -> None:
    """Print a config after validation (catches typos before a long run)."""
    import yaml

    click.echo(yaml.safe_dump(load_config(path).to_dict(), sort_keys=False), nl=False)
