"""The `dvt` command line.

Exit codes: 0 every validation passed, 1 at least one failed, 2 bad usage or config,
3 a database could not be reached or a query failed (or timed out), 4 an unexpected internal
error (a bug: the message says how to report it). 1 always means "the data differs".
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__
from .beamcli import beam_row_options, beam_settings, run_row_beam, take_beam_settings
from .columns import AGGREGATES, ColumnSpec
from .config import (
    ValidationConfig,
    config_files,
    load_config,
    run_spec,
    save_config,
    task_index,
)
from .connections import delete_named, load_named, parse_url, resolve, save_named
from .engines import open_engine
from .errors import ConfigError, ConnectError, DvtError
from .report import FORMATS, render
from .results import ValidationResult
from .rows import RowSpec, RowValidator, partition_bounds, range_predicate
from .schema import TABLE_DOC, SchemaSpec
from .timeouts import DEFAULT_CONNECT_S, DEFAULT_QUERY_S, Timeouts, seconds

EXIT_FAILED, EXIT_CONFIG, EXIT_DATABASE, EXIT_INTERNAL = 1, 2, 3, 4


def _csv_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _tables(value: str) -> list[tuple[str, str]]:
    """'a.t1,a.t2=b.t2' → [("a.t1", "a.t1"), ("a.t2", "b.t2")]."""
    out = []
    for item in _csv_list(value):
        src, _, tgt = item.partition("=")
        out.append((src.strip(), (tgt or src).strip()))
    if not out:
        raise click.BadParameter("give at least one table", param_hint="--tables")
    return out


def _read_sql(text: str | None, file: str | None, which: str) -> str | None:
    if text and file:
        raise click.UsageError(f"give either --{which}-query or --{which}-query-file, not both")
    if file:
        return Path(file).read_text().strip().rstrip(";")
    return text.strip().rstrip(";") if text else None


def _query_pair(
    source_query: str | None,
    source_query_file: str | None,
    target_query: str | None,
    target_query_file: str | None,
) -> tuple[str, str]:
    """The source query (required) and the target's, which defaults to the source's."""
    sq = _read_sql(source_query, source_query_file, "source")
    if not sq:
        raise click.UsageError("give --source-query or --source-query-file")
    return sq, _read_sql(target_query, target_query_file, "target") or sq


def connection_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "-tc", "--target-conn", required=True, help="Target: URL or saved connection name."
    )(f)
    f = click.option(
        "-sc", "--source-conn", required=True, help="Source: URL or saved connection name."
    )(f)
    return f


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
    )(f)
    f = click.option(
        "-o", "--output", type=click.Path(dir_okay=False), help="Write the results to this file."
    )(f)
    f = click.option(
        "-c",
        "--config-file",
        "save_to",
        type=click.Path(dir_okay=False),
        help="Save the validation as a YAML/JSON config (by extension) instead of running it.",
    )(f)
    f = click.option(
        "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
    )(f)
    f = click.option(
        "--filter-status",
        callback=_remember,
        expose_value=False,
        help="Show only these statuses: success,fail,error,skipped (validations and checks). "
        "The exit code still counts every result.",
    )(f)
    f = click.option(
        "-l",
        "--label",
        "labels",
        multiple=True,
        callback=_remember,
        expose_value=False,
        help="KEY=VALUE attached to this run (repeatable): in JSON output and --result-url.",
    )(f)
    f = click.option(
        "--dry-run",
        is_flag=True,
        callback=_remember,
        expose_value=False,
        help="Print the SQL each side would run, and run nothing (reads only column types).",
    )(f)
    f = click.option(
        "--result-url",
        callback=_remember,
        expose_value=False,
        help="Also write the run to dvt_runs / dvt_findings tables there (PostgreSQL, "
        "MySQL/MariaDB, SQLite, DuckDB; created if missing).",
    )(f)
    return f


STATUSES = ("success", "fail", "error", "skipped")


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Output settings every validate command shares, kept on the context for `_emit`."""
    if param.name == "filter_status" and value is not None:
        wanted = _csv_list(value)
        bad = sorted(set(wanted) - set(STATUSES))
        if bad or not wanted:
            raise click.BadParameter(f"use some of {', '.join(STATUSES)}")
        value = wanted
    if param.name == "labels":
        pairs = {}
        for item in value:
            key, eq, val = item.partition("=")
            if not eq or not key.strip():
                raise click.BadParameter(f"{item!r}: use KEY=VALUE")
            pairs[key.strip()] = val.strip()
        value = pairs
    if param.name == "result_url" and value is not None:
        try:
            value = resolve(value, _timeouts())
        except DvtError as exc:
            raise click.BadParameter(str(exc)) from None
    ctx.meta[f"dvt.{param.name}"] = value
    return value


def filter_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--target-filters", help="WHERE condition for the target, if it differs.")(f)
    f = click.option("--filters", help="WHERE condition applied to both sides (SQL).")(f)
    f = click.option("-ec", "--exclude-columns", help="Comma-separated columns to leave out.")(f)
    return f


def row_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option(
            "-pk", "--primary-keys", help="Key columns (default: the table's primary key)."
        ),
        click.option(
            "--hash", "hash_cols", help="Compare a hash of these columns ('*' = all, default)."
        ),
        click.option(
            "--concat", "concat_cols", help="Compare the full normalized text of these columns."
        ),
        click.option("--comparison-fields", help="Compare these columns value by value."),
        click.option("--case-insensitive", is_flag=True, help="Compare text case-insensitively."),
        click.option("-rr", "--random-rows", type=int, help="Validate N random source rows only."),
        click.option("--partitions", type=int, help="Split by key range (default: automatic)."),
        click.option(
            "--workers", type=int, default=4, show_default=True, help="Partitions run in parallel."
        ),
        click.option(
            "--max-differences",
            type=int,
            default=1000,
            show_default=True,
            help="Differences listed (counts stay exact).",
        ),
        click.option(
            "--block-rows",
            type=int,
            default=2000,
            show_default=True,
            help="Rows per in-database checksum block (integer keys); 0 streams every row.",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn dvt errors into one clear line and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_CONFIG)
        except DvtError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_DATABASE)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("DVT_TRACEBACK"):
                raise
            where = exc.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            at = f" at {where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else ""
            click.echo(
                f"error: unexpected {type(exc).__name__}: {exc}{at} — a bug in dvt; rerun with "
                "DVT_TRACEBACK=1 and report the traceback",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper


def _timeouts() -> Timeouts:
    """The run's default limits (`dvt --connect-timeout/--query-timeout`); URLs may override."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Timeouts) else Timeouts()


@contextmanager
def _progress(
    enabled: bool | None, label: str
) -> Iterator[tuple[Callable[[int], None], Callable[[int | None], None]]]:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield (lambda n: None), (lambda t: None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(label, total=None)
    with progress:
        yield (lambda n: progress.advance(task, n)), (lambda t: progress.update(task, total=t))


def exit_code(results: list[ValidationResult]) -> int:
    """The worst result decides: a validation that could not run (2 config, 3 database) is
    worse than one that found differences (1)."""
    codes = [0]
    for r in results:
        if r.error is not None:
            codes.append(EXIT_CONFIG if r.error_kind == "config" else EXIT_DATABASE)
        elif not r.passed:
            codes.append(EXIT_FAILED)
    return max(codes)


def _shown(results: list[ValidationResult], statuses: list[str] | None) -> list[ValidationResult]:
    """The results (and their checks) whose status is wanted; None keeps everything."""
    if not statuses:
        return results
    out = []
    for r in results:
        if r.status not in statuses:
            continue
        kept = [f for f in r.findings if f.status in statuses or f.status not in STATUSES]
        out.append(dataclasses.replace(r, findings=kept))
    return out


def _emit(results: list[ValidationResult], fmt: str, output: str | None) -> None:
    import datetime as dt
    import uuid

    ctx = click.get_current_context()
    run_id = uuid.uuid4().hex
    labels = ctx.meta.get("dvt.labels") or {}
    for r in results:
        r.run_id, r.labels = run_id, labels
    target = ctx.meta.get("dvt.result_url")
    if target is not None:
        from . import store

        conns = ctx.meta.get("dvt.conns", ("", ""))
        runs, findings = store.run_rows(
            results, run_id, ctx.meta.get("dvt.started", dt.datetime.now(dt.timezone.utc)),
            labels, conns,
        )  # fmt: skip
        store.write(target, runs, findings)
    all_results, results = results, _shown(results, ctx.meta.get("dvt.filter_status"))
    if output:
        Path(output).write_text(render(results, fmt, color=False))
        click.echo(
            render(results, "table", color=sys.stdout.isatty())
            if fmt == "table"
            else f"results written to {output}"
        )
    else:
        click.echo(render(results, fmt, color=sys.stdout.isatty()), nl=False)
    for r in all_results:
        if r.error is not None:
            click.echo(f"error: {r.name}: {r.error}", err=True)
    code = exit_code(all_results)
    if code:
        sys.exit(code)


def _run_or_save(
    source_conn: str,
    target_conn: str,
    specs: list[Any],
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
) -> None:
    config = ValidationConfig(source_conn, target_conn, specs)
    if save_to:
        path = save_config(config, save_to)
        click.echo(f"saved {len(specs)} validation(s) to {path}; run with: dvt configs run {path}")
        return
    _emit(_run(config, progress), fmt, output)


def _run(config: ValidationConfig, progress: bool | None) -> list[ValidationResult]:
    import datetime as dt

    source = open_engine(resolve(config.source, _timeouts()))
    target = open_engine(resolve(config.target, _timeouts()))
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta.setdefault("dvt.started", dt.datetime.now(dt.timezone.utc))
        ctx.meta["dvt.conns"] = (source.spec.display, target.spec.display)
    if ctx is not None and ctx.meta.get("dvt.dry_run"):
        _print_dry_run(config, source, target)
        raise click.exceptions.Exit(0)
    results = []
    for spec in config.validations:
        with _progress(
            progress,
            f"{type(spec).__name__[:-4].lower()} {getattr(spec, 'source_table', '') or 'query'}",
        ) as (adv, total):
            results.append(run_or_report(spec, source, target, adv, total))
    return results


def _print_dry_run(config: ValidationConfig, source: Any, target: Any) -> None:
    from .columns import ColumnValidator

    for spec in config.validations:
        label = getattr(spec, "name", None) or getattr(spec, "source_table", None) or "query"
        click.echo(f"-- {type(spec).__name__[:-4].lower()}: {label}")
        if isinstance(spec, RowSpec):
            steps = RowValidator(spec, source, target).dry_run()
        elif isinstance(spec, SchemaSpec):
            click.echo("-- reads the column metadata of both tables only\n")
            continue
        else:
            steps = [("aggregates", *ColumnValidator(spec, source, target).dry_run())]
        for what, src_sql, tgt_sql in steps:
            click.echo(f"-- {what}\n-- source ({source.spec.display}):\n{src_sql};")
            click.echo(f"-- target ({target.spec.display}):\n{tgt_sql};\n")


def run_or_report(
    spec: Any,
    source: Any,
    target: Any,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int | None], None] | None = None,
) -> ValidationResult:
    """Run one validation; one that cannot run (no usable key, a missing table, a failed query)
    becomes an error result and the run goes on with the next. An unreachable database stops
    the run: every other validation would wait for it too."""
    try:
        beam = beam_settings()
        if beam is not None and isinstance(spec, RowSpec):
            return run_row_beam(spec, source, target, beam)
        return run_spec(spec, source, target, progress, on_total)
    except ConnectError:
        raise
    except DvtError as exc:
        kind = type(spec).__name__[:-4].lower()
        src = getattr(spec, "source_table", None) or "(custom query)"
        tgt = getattr(spec, "target_table", None) or src
        return ValidationResult(
            name=getattr(spec, "name", None) or f"{kind}:{src}",
            kind=kind,
            source_table=src,
            target_table=tgt,
            passed=False,
            error=str(exc),
            error_kind="config" if isinstance(exc, ConfigError) else "database",
        )


def _seconds_option(name: str) -> Callable[[click.Context, click.Parameter, Any], float]:
    def convert(ctx: click.Context, param: click.Parameter, value: Any) -> float:
        try:
            return seconds(name, str(value))
        except DvtError as exc:
            raise click.BadParameter(str(exc)) from None

    return convert


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dvt")
@click.option(
    "--connect-timeout",
    default=DEFAULT_CONNECT_S,
    show_default=True,
    callback=_seconds_option("--connect-timeout"),
    help="Seconds to wait for a database to accept a connection and log in.",
)
@click.option(
    "--query-timeout",
    default=DEFAULT_QUERY_S,
    show_default=True,
    callback=_seconds_option("--query-timeout"),
    help="Seconds one query may run (each side, each query).",
)
@click.pass_context
def main(ctx: click.Context, connect_timeout: float, query_timeout: float) -> None:
    """Validate data after a migration: row hashes, aggregates and schema, between PostgreSQL,
    MySQL/MariaDB, SQLite, DuckDB and Spanner.

    \b
    Examples:
      dvt connections add pg postgresql://postgres@127.0.0.1:5432/shop
      dvt validate row -sc pg -tc mysql://root@127.0.0.1/shop -t public.orders=shop.orders
      dvt validate column -sc pg -tc my -t orders --count '*' --sum amount --format json
      dvt validate schema -sc pg -tc my -t orders --allow-list 'numeric(12,2):decimal(12,2)'

    Every connection and query is time-limited (--connect-timeout, --query-timeout, or
    ?connect_timeout=S&query_timeout=S in a URL). Exit codes: 0 passed, 1 the data differs,
    2 bad usage or config, 3 a database unreachable, a query failed or timed out, 4 a bug.
    """
    ctx.obj = Timeouts(connect_timeout, query_timeout)


# --- connections -----------------------------------------------------------------------
@main.group()
def connections() -> None:
    """Saved connections (a YAML file in $DVT_CONFIG_HOME or ~/.config/dbtools-dvt)."""


@connections.command("add")
@click.argument("name")
@click.argument("url")
@_guard
def connections_add(name: str, url: str) -> None:
    """Save URL under NAME, e.g. `dvt connections add pg postgresql://postgres@localhost/db`."""
    path = save_named(name, url)
    click.echo(f"saved {name} → {parse_url(url).display} in {path}")


@connections.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@_guard
def connections_list(fmt: str) -> None:
    """List saved connections (passwords masked)."""
    named = {n: parse_url(u).display for n, u in load_named().items()}
    if fmt == "json":
        import json

        click.echo(json.dumps(named, indent=2))
        return
    for name, url in sorted(named.items()):
        click.echo(f"{name}\t{url}")


@connections.command("delete")
@click.argument("name")
@_guard
def connections_delete(name: str) -> None:
    """Delete a saved connection."""
    delete_named(name)
    click.echo(f"deleted {name}")


# --- validate --------------------------------------------------------------------------
@main.group()
def validate() -> None:
    """Run a validation (row, column, schema, custom-query)."""


def _row_spec(
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
        cols = None if raw.strip() == "*" else _csv_list(raw)
        if mode == "fields" and cols is None:
            raise click.UsageError("--comparison-fields needs column names")
    if kw.get("random_rows") is not None and kw["random_rows"] <= 0:
        raise click.BadParameter("must be positive", param_hint="--random-rows")
    return RowSpec(
        source_table=src,
        target_table=tgt,
        source_query=squery,
        target_query=tquery,
        primary_keys=_csv_list(kw.get("primary_keys")) or None,
        mode=mode,
        fields=cols,
        exclude=_csv_list(kw.get("exclude_columns")),
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
@click.option(
    "-t", "--tables", required=True, help="Tables: 'schema.t' or 'src.t=tgt.t', comma-separated."
)
@row_options
@filter_options
@output_options
@beam_row_options
@_guard
def validate_row(
    source_conn: str,
    target_conn: str,
    tables: str,
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
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
    specs = [_row_spec(s, t, None, None, kw) for s, t in _tables(tables)]
    _run_or_save(source_conn, target_conn, specs, fmt, output, save_to, progress)


def _agg_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for agg in reversed(AGGREGATES):
        flag = "--" + agg.replace("_", "-")
        f = click.option(flag, agg, help=f"{agg} of these columns ('*' = every eligible column).")(
            f
        )
    f = click.option("-gc", "--grouped-columns", help="Group by these columns.")(f)
    f = click.option(
        "--threshold",
        type=float,
        default=0.0,
        show_default=True,
        help="Allowed difference, percent.",
    )(f)
    return f


def _column_spec(
    src: str | None, tgt: str | None, squery: str | None, tquery: str | None, kw: dict[str, Any]
) -> ColumnSpec:
    aggs = {a: _csv_list(kw.get(a)) for a in AGGREGATES if kw.get(a)}
    return ColumnSpec(
        source_table=src,
        target_table=tgt,
        source_query=squery,
        target_query=tquery,
        aggregates=aggs or {"count": ["*"]},
        group_by=_csv_list(kw.get("grouped_columns")),
        exclude=_csv_list(kw.get("exclude_columns")),
        source_filter=kw.get("filters"),
        target_filter=kw.get("target_filters"),
        threshold=kw.get("threshold") or 0.0,
    )


@validate.command("column")
@connection_options
@click.option(
    "-t", "--tables", required=True, help="Tables: 'schema.t' or 'src.t=tgt.t', comma-separated."
)
@_agg_options
@filter_options
@output_options
@_guard
def validate_column(
    source_conn: str,
    target_conn: str,
    tables: str,
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
    **kw: Any,
) -> None:
    """Compare aggregates (count, sum, avg, min, max, bit_xor, count_distinct) exactly.

    \b
    Examples:
      dvt validate column -sc pg -tc my -t orders --count '*' --sum '*'
      dvt validate column -sc pg -tc my -t orders --sum amount -gc region --threshold 0.1
    """
    specs = [_column_spec(s, t, None, None, kw) for s, t in _tables(tables)]
    _run_or_save(source_conn, target_conn, specs, fmt, output, save_to, progress)


@validate.command("schema")
@connection_options
@click.option(
    "-t", "--tables", required=True, help="Tables: 'schema.t' or 'src.t=tgt.t', comma-separated."
)
@click.option("-ec", "--exclude-columns", help="Columns to leave out.")
@click.option("--allow-list", help="Accepted type pairs: 'decimal(12,2):double,int:bigint'.")
@click.option(
    "--allow-list-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Allow-list, one pair a line.",
)
@click.option("--ignore-nullability", is_flag=True, help="Do not compare NULL/NOT NULL.")
@output_options
@_guard
def validate_schema_cmd(
    source_conn: str,
    target_conn: str,
    tables: str,
    exclude_columns: str | None,
    allow_list: str | None,
    allow_list_file: str | None,
    ignore_nullability: bool,
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
) -> None:
    """Compare columns, types (through the compatibility table below) and nullability."""
    allow = ",".join(
        filter(None, [allow_list, Path(allow_list_file).read_text() if allow_list_file else None])
    )
    specs = [
        SchemaSpec(s, t, _csv_list(exclude_columns), allow or None, not ignore_nullability)
        for s, t in _tables(tables)
    ]
    _run_or_save(source_conn, target_conn, specs, fmt, output, save_to, progress)


validate_schema_cmd.help = (
    (validate_schema_cmd.help or "")
    + "\n\n\b\nSame kinds pass when the target is at least as wide; across kinds:\n"
    + TABLE_DOC
)


@validate.command("migration")
@click.argument("out_dir", type=click.Path(file_okay=False))
@connection_options
@click.option("--no-rows", is_flag=True, help="Schema, counts and sums only (no row hashes).")
@click.option("-t", "--tables", help="Only these source tables (comma-separated).")
@output_options
@_guard
def validate_migration(
    out_dir: str,
    source_conn: str,
    target_conn: str,
    no_rows: bool,
    tables: str | None,
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
) -> None:
    """Validate every table a spanner-migrate run migrated, from its --out directory.

    Reads OUT_DIR/report.json (table and column renames, the Spanner type chosen for each
    column, skipped tables and columns, synthetic keys) and runs, per table, a schema
    validation against the chosen types, counts and sums, and a row validation by the
    source's primary key. One report; the exit code is the worst result's.

    \b
    Example:
      spanner-migrate schema-and-data --url mysql+pymysql://root@db/shop --out out/ ...
      dvt validate migration out/ -sc mysql://root@db/shop \\
        -tc 'spanner:///projects/p/instances/i/databases/shop'
    """
    from .migration import plan_specs, read_report, why_not_rows

    migrated = read_report(out_dir)
    wanted = {t.lower() for t in _csv_list(tables)}
    unknown = wanted - {m.source.lower() for m in migrated}
    if unknown:
        raise ConfigError(f"not in {out_dir}/report.json: {', '.join(sorted(unknown))}")
    chosen = [m for m in migrated if not wanted or m.source.lower() in wanted]
    specs: list[Any] = []
    notes: list[ValidationResult] = []
    for m in chosen:
        if m.target is None:
            notes.append(
                ValidationResult(
                    f"table:{m.source}", "table", m.source, "(not migrated)",
                    skipped="the migration session skipped this table",
                )
            )  # fmt: skip
            continue
        reason = why_not_rows(m)
        specs += plan_specs(m, rows=not no_rows and reason is None)
        if reason and not no_rows:
            notes.append(
                ValidationResult(f"row:{m.source}", "row", m.source, m.target, skipped=reason)
            )
    if save_to:
        path = save_config(ValidationConfig(source_conn, target_conn, specs), save_to)
        click.echo(f"saved {len(specs)} validation(s) to {path}; run with: dvt configs run {path}")
        return
    results = _run(ValidationConfig(source_conn, target_conn, specs), progress) if specs else []
    _emit(results + notes, fmt, output)


@validate.group("custom-query")
def custom_query() -> None:
    """Validate the results of two queries instead of two tables."""


def _query_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("-tqf", "--target-query-file", type=click.Path(exists=True, dir_okay=False))(f)
    f = click.option("-tq", "--target-query", help="Target SQL.")(f)
    f = click.option("-sqf", "--source-query-file", type=click.Path(exists=True, dir_okay=False))(f)
    f = click.option("-sq", "--source-query", help="Source SQL.")(f)
    return f


@custom_query.command("row")
@connection_options
@_query_options
@row_options
@filter_options
@output_options
@_guard
def custom_row(
    source_conn: str,
    target_conn: str,
    source_query: str | None,
    source_query_file: str | None,
    target_query: str | None,
    target_query_file: str | None,
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
    **kw: Any,
) -> None:
    """Row-by-row comparison of two queries' results (--primary-keys required).

    \b
    Example:
      dvt validate custom-query row -sc pg -tc my -pk id \\
        -sq "SELECT id, total FROM orders WHERE paid" -tq "SELECT id, total FROM orders WHERE paid=1"
    """
    sq, tq = _query_pair(source_query, source_query_file, target_query, target_query_file)
    _run_or_save(
        source_conn,
        target_conn,
        [_row_spec(None, None, sq, tq, kw)],
        fmt,
        output,
        save_to,
        progress,
    )


@custom_query.command("column")
@connection_options
@_query_options
@_agg_options
@filter_options
@output_options
@_guard
def custom_column(
    source_conn: str,
    target_conn: str,
    source_query: str | None,
    source_query_file: str | None,
    target_query: str | None,
    target_query_file: str | None,
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
    **kw: Any,
) -> None:
    """Aggregates over two queries' results.

    \b
    Example:
      dvt validate custom-query column -sc pg -tc my --sum total -sq "SELECT * FROM orders"
    """
    sq, tq = _query_pair(source_query, source_query_file, target_query, target_query_file)
    _run_or_save(
        source_conn,
        target_conn,
        [_column_spec(None, None, sq, tq, kw)],
        fmt,
        output,
        save_to,
        progress,
    )


@main.command("query")
@click.option("-c", "--conn", required=True, help="URL or saved connection name.")
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@_guard
def query_cmd(conn: str, sql: str, fmt: str) -> None:
    """Run one SQL query on a connection and print the rows (values exactly as the driver
    returns them; decimals as exact text).

    \b
    Example:
      dvt query -c pg "SELECT count(*) FROM orders"
    """
    from .report import rows_table

    engine = open_engine(resolve(conn, _timeouts()))
    names, rows = engine.query_described(sql)
    click.echo(rows_table(names, rows, fmt), nl=False)


@main.command("report")
@click.option("--result-url", required=True, help="Where `--result-url` runs were written.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help="The HTML file."
)
@_guard
def report_cmd(result_url: str, output: str) -> None:
    """Render the run history (dvt_runs) as an HTML page: a chart of the differences per
    validation over the runs, and the table of runs.

    \b
    Example:
      dvt report --result-url postgresql://postgres@db/dvt -o history.html
    """
    from . import history, store

    runs = store.read_runs(resolve(result_url, _timeouts()))
    Path(output).write_text(history.page(runs))
    click.echo(f"{len(runs)} result(s) written to {output}")


@main.command("find-tables")
@connection_options
@click.option("--allowed-schemas", help="Only source tables in these schemas (comma-separated).")
@click.option(
    "--format", "fmt", type=click.Choice(["tables", "json"]), default="tables", show_default=True
)
@_guard
def find_tables(source_conn: str, target_conn: str, allowed_schemas: str | None, fmt: str) -> None:
    """Pair the source's tables with the target's by name, for -t/--tables.

    Names match case-insensitively, also when a migration flattened a schema into the name
    (`sales.orders` → `sales_orders`) or renamed a reserved word (`order` → `order_`).
    Unmatched tables are listed on stderr.

    \b
    Example:
      dvt validate row -sc pg -tc sp -t "$(dvt find-tables -sc pg -tc sp)"
    """
    from .tables import match_tables

    src = open_engine(resolve(source_conn, _timeouts()))
    tgt = open_engine(resolve(target_conn, _timeouts()))
    src_tables, tgt_tables = src.tables(), tgt.tables()
    schemas = {s.lower() for s in _csv_list(allowed_schemas)}
    if schemas:
        src_tables = [t for t in src_tables if t.partition(".")[0].lower() in schemas]
    pairs, src_only, tgt_only = match_tables(src_tables, tgt_tables)
    if fmt == "json":
        import json

        click.echo(
            json.dumps(
                {
                    "pairs": [{"source": s, "target": t} for s, t in pairs],
                    "source_only": src_only,
                    "target_only": tgt_only,
                },
                indent=2,
            )
        )
    else:
        click.echo(",".join(s if s == t else f"{s}={t}" for s, t in pairs))
    for name in src_only:
        click.echo(f"no target table for {name}", err=True)
    for name in tgt_only:
        click.echo(f"no source table for {name}", err=True)


# --- partitions and configs ------------------------------------------------------------
@main.command("generate-partitions")
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
@_guard
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
    pairs = _tables(tables)
    if len(pairs) != 1:
        raise click.UsageError("generate-partitions takes exactly one table")
    spec = _row_spec(pairs[0][0], pairs[0][1], None, None, kw)
    src_engine = open_engine(resolve(source_conn, _timeouts()))
    tgt_engine = open_engine(resolve(target_conn, _timeouts()))
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


@main.group()
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
@_guard
def configs_run(
    paths: tuple[str, ...],
    task_index_from_env: bool,
    fmt: str,
    output: str | None,
    save_to: str | None,
    progress: bool | None,
) -> None:
    """Run config files (or every config in directories).

    \b
    Examples:
      dvt configs run orders.yaml
      dvt configs run parts/ --format json -o results.json
    """
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
        results += _run(load_config(f), progress)
    _emit(results, fmt, output)


@configs.command("list")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@_guard
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
@_guard
def configs_show(path: str) -> None:
    """Print a config after validation (catches typos before a long run)."""
    import yaml

    click.echo(yaml.safe_dump(load_config(path).to_dict(), sort_keys=False), nl=False)


if __name__ == "__main__":
    main()
