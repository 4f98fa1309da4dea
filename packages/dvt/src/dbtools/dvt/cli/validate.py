"""`dvt validate`: row, column, schema, migration and custom-query validations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import api
from ..beamcli import beam_row_options, take_beam_settings
from ..columns import AGGREGATES, ColumnSpec
from ..config import ValidationConfig, save_config
from ..rows import RowSpec
from ..schema import TABLE_DOC, SchemaSpec
from .options import (
    agg_options,
    connection_options,
    csv_list,
    filter_options,
    output_options,
    query_options,
    query_pair,
    row_options,
    setting,
    table_pairs,
    tables_option,
    timeouts,
)
from .running import emit, guard, run, run_or_save


@click.group()
def validate() -> None:
    """Run a validation (row, column, schema, custom-query)."""


def row_spec(
    src: str | None, tgt: str | None, squery: str | None, tquery: str | None, kw: dict[str, Any]
) -> RowSpec:
    modes = [m for m in ("hash_cols", "concat_cols", "comparison_fields") if kw.get(m)]
    if len(modes) > 1:
        raise click.UsageError("give only one of --hash, --concat, --comparison-fields")
    mode, cols = "hash", None
    if modes:
        mode = {"hash_cols": "hash", "concat_cols": "concat", "comparison_fields": "fields"}[
            modes[0]
        ]
        raw = kw[modes[0]]
        cols = None if raw.strip() == "*" else csv_list(raw)
        if mode == "fields" and cols is None:
            raise click.UsageError("--comparison-fields needs column names")
    if kw.get("random_rows") is not None and kw["random_rows"] <= 0:
        raise click.BadParameter("must be positive", param_hint="--random-rows")
    return RowSpec(
        source_table=src,
        target_table=tgt,
        source_query=squery,
        target_query=tquery,
        primary_keys=csv_list(kw.get("primary_keys")) or None,
        mode=mode,
        fields=cols,
        exclude=csv_list(kw.get("exclude_columns")),
        case_insensitive=kw.get("case_insensitive", False),
        source_filter=kw.get("filters"),
        target_filter=kw.get("target_filters"),
        random_rows=kw.get("random_rows"),
        partitions=kw.get("partitions"),
        workers=kw.get("workers") or 4,
        max_differences=kw.get("max_differences") or 1000,
        block_rows=2000 if kw.get("block_rows") is None else kw["block_rows"],
    )


@validate.command("row")
@connection_options
@tables_option
@row_options
@filter_options
@output_options
@beam_row_options
@guard
def validate_row(
    source_conn: str,
    target_conn: str,
    tables: str,
    **kw: Any,
) -> None:
    """Compare every row by key: a hash of each row computed inside both databases.

    \b
    Examples:
      dvt validate row -sc pg -tc my -t public.orders=shop.orders
      dvt validate row -sc pg -tc my -t orders --comparison-fields amount,status
      dvt validate row -sc pg -tc my -t orders -rr 10000 --format json -o diff.json
    """
    take_beam_settings(kw)
    specs = [row_spec(s, t, None, None, kw) for s, t in table_pairs(tables)]
    run_or_save(source_conn, target_conn, specs)


def column_spec(
    src: str | None, tgt: str | None, squery: str | None, tquery: str | None, kw: dict[str, Any]
) -> ColumnSpec:
    aggs = {a: csv_list(kw.get(a)) for a in AGGREGATES if kw.get(a)}
    return ColumnSpec(
        source_table=src,
        target_table=tgt,
        source_query=squery,
        target_query=tquery,
        aggregates=aggs or {"count": ["*"]},
        group_by=csv_list(kw.get("grouped_columns")),
        exclude=csv_list(kw.get("exclude_columns")),
        source_filter=kw.get("filters"),
        target_filter=kw.get("target_filters"),
        threshold=kw.get("threshold") or 0.0,
    )


@validate.command("column")
@connection_options
@tables_option
@agg_options
@filter_options
@output_options
@guard
def validate_column(
    source_conn: str,
    target_conn: str,
    tables: str,
    **kw: Any,
) -> None:
    """Compare aggregates (count, sum, avg, min, max, bit_xor, count_distinct) exactly.

    \b
    Examples:
      dvt validate column -sc pg -tc my -t orders --count '*' --sum '*'
      dvt validate column -sc pg -tc my -t orders --sum amount -gc region --threshold 0.1
    """
    specs = [column_spec(s, t, None, None, kw) for s, t in table_pairs(tables)]
    run_or_save(source_conn, target_conn, specs)


@validate.command("schema")
@connection_options
@tables_option
@click.option("-ec", "--exclude-columns", help="Columns to leave out.")
@click.option("--allow-list", help="Accepted type pairs: 'decimal(12,2):double,int:bigint'.")
@click.option(
    "--allow-list-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Allow-list, one pair a line.",
)
@click.option("--ignore-nullability", is_flag=True, help="Do not compare NULL/NOT NULL.")
@output_options
@guard
def validate_schema_cmd(
    source_conn: str,
    target_conn: str,
    tables: str,
    exclude_columns: str | None,
    allow_list: str | None,
    allow_list_file: str | None,
    ignore_nullability: bool,
) -> None:
    """Compare columns, types (through the compatibility table below) and nullability."""
    allow = ",".join(
        filter(None, [allow_list, Path(allow_list_file).read_text() if allow_list_file else None])
    )
    specs = [
        SchemaSpec(s, t, csv_list(exclude_columns), allow or None, not ignore_nullability)
        for s, t in table_pairs(tables)
    ]
    run_or_save(source_conn, target_conn, specs)


validate_schema_cmd.help = (
    (validate_schema_cmd.help or "")
    + "\n\n\b\nSame kinds pass when the target is at least as wide; across kinds:\n"
    + TABLE_DOC
)


@validate.command("migration")
@click.argument("out_dir", type=click.Path(file_okay=False))
@connection_options
@click.option("--no-rows", is_flag=True, help="Schema and aggregates only (no row hashes).")
@click.option("-t", "--tables", help="Only these source tables (comma-separated).")
@output_options
@guard
def validate_migration(
    out_dir: str,
    source_conn: str,
    target_conn: str,
    no_rows: bool,
    tables: str | None,
) -> None:
    """Validate every table a spanner-migrate run migrated, from its --out directory.

    Reads OUT_DIR/report.json (table and column renames, the Spanner type chosen for each
    column, skipped tables and columns, synthetic keys) and runs, per table, a schema
    validation against the chosen types, the aggregates that fit each column (count, sum,
    min, max), and a row validation by the source's primary key. A table the migration gave a
    synthetic key is paired by columns unique in the source data, or listed as skipped with
    the reason. One report; the exit code is the worst result's.

    \b
    Example:
      spanner-migrate schema-and-data --url mysql+pymysql://root@db/shop --out out/ ...
      dvt validate migration out/ -sc mysql://root@db/shop \\
        -tc 'spanner:///projects/p/instances/i/databases/shop'
    """
    specs, notes = api.plan_migration(
        out_dir, source_conn, rows=not no_rows, tables=csv_list(tables), timeouts=timeouts()
    )
    save_to = setting("save_to")
    if save_to:
        path = save_config(ValidationConfig(source_conn, target_conn, specs), save_to)
        click.echo(f"saved {len(specs)} validation(s) to {path}; run with: dvt configs run {path}")
        return
    results = run(ValidationConfig(source_conn, target_conn, specs)) if specs else []
    emit(results + notes)


@validate.group("custom-query")
def custom_query() -> None:
    """Validate the results of two queries instead of two tables."""


def _custom(make_spec: Callable[..., Any], kw: dict[str, Any]) -> None:
    """Run (or save) one custom-query validation from its command's options."""
    sq, tq = query_pair(
        kw.pop("source_query"),
        kw.pop("source_query_file"),
        kw.pop("target_query"),
        kw.pop("target_query_file"),
    )
    conns = kw.pop("source_conn"), kw.pop("target_conn")
    run_or_save(*conns, [make_spec(None, None, sq, tq, kw)])


@custom_query.command("row")
@connection_options
@query_options
@row_options
@filter_options
@output_options
@guard
def custom_row(**kw: Any) -> None:
    """Row-by-row comparison of two queries' results (--primary-keys required).

    \b
    Example:
      dvt validate custom-query row -sc pg -tc my -pk id \\
        -sq "SELECT id, total FROM orders WHERE paid" -tq "SELECT id, total FROM orders WHERE paid=1"
    """
    _custom(row_spec, kw)


@custom_query.command("column")
@connection_options
@query_options
@agg_options
@filter_options
@output_options
@guard
def custom_column(**kw: Any) -> None:
    """Aggregates over two queries' results.

    \b
    Example:
      dvt validate custom-query column -sc pg -tc my --sum total -sq "SELECT * FROM orders"
    """
    _custom(column_spec, kw)
