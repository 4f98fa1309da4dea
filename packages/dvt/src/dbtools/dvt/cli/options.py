"""The options the `dvt` commands share, and how their values are read (lists, table pairs,
queries, output settings remembered for the run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..columns import AGGREGATES
from ..connections import resolve
from ..errors import DvtError
from ..option_group import option_group
from ..report import FORMATS
from ..timeouts import Timeouts, seconds


def csv_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def table_pairs(value: str) -> list[tuple[str, str]]:
    """'a.t1,a.t2=b.t2' → [("a.t1", "a.t1"), ("a.t2", "b.t2")]."""
    out = []
    for item in csv_list(value):
        src, _, tgt = item.partition("=")
        out.append((src.strip(), (tgt or src).strip()))
    if not out:
        raise click.BadParameter("give at least one table", param_hint="--tables")
    return out


def read_sql(text: str | None, file: str | None, which: str) -> str | None:
    if text and file:
        raise click.UsageError(f"give either --{which}-query or --{which}-query-file, not both")
    if file:
        return Path(file).read_text().strip().rstrip(";")
    return text.strip().rstrip(";") if text else None


def query_pair(
    source_query: str | None,
    source_query_file: str | None,
    target_query: str | None,
    target_query_file: str | None,
) -> tuple[str, str]:
    """The source query (required) and the target's, which defaults to the source's."""
    sq = read_sql(source_query, source_query_file, "source")
    if not sq:
        raise click.UsageError("give --source-query or --source-query-file")
    return sq, read_sql(target_query, target_query_file, "target") or sq


connection_options = option_group(
    click.option(
        "-sc", "--source-conn", required=True, help="Source: URL or saved connection name."
    ),
    click.option(
        "-tc", "--target-conn", required=True, help="Target: URL or saved connection name."
    ),
)

tables_option = click.option(
    "-t", "--tables", required=True, help="Tables: 'schema.t' or 'src.t=tgt.t', comma-separated."
)


def setting(name: str, default: Any = None) -> Any:
    """An output setting of the running command (`OUTPUT_OPTIONS`, by parameter name)."""
    ctx = click.get_current_context(silent=True)
    return default if ctx is None else ctx.meta.get(f"dvt.{name}", default)


STATUSES = ("success", "fail", "error", "skipped")


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep an output setting on the context (`setting` reads it), checked first."""
    if param.name == "filter_status" and value is not None:
        wanted = csv_list(value)
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
            value = resolve(value, timeouts())
        except DvtError as exc:
            raise click.BadParameter(str(exc)) from None
    ctx.meta[f"dvt.{param.name}"] = value
    return value


# The output settings every validating command shares: (declarations, settings). They are kept
# on the command's context (`setting`), not passed to the command function.
OUTPUT_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--result-url",),
        {
            "help": "Also write the run to dvt_runs / dvt_findings tables there (PostgreSQL, "
            "MySQL/MariaDB, SQLite, DuckDB; created if missing)."
        },
    ),
    (
        ("--dry-run",),
        {
            "is_flag": True,
            "help": "Print the SQL each side would run, and run nothing (reads only column types).",
        },
    ),
    (
        ("-l", "--label", "labels"),
        {
            "multiple": True,
            "help": "KEY=VALUE attached to this run (repeatable): in JSON output and --result-url.",
        },
    ),
    (
        ("--filter-status",),
        {
            "help": "Show only these statuses: success,fail,error,skipped (validations and "
            "checks). The exit code still counts every result."
        },
    ),
    (
        ("--progress/--no-progress",),
        {"default": None, "help": "Progress bar (default: on a terminal)."},
    ),
    (
        ("-c", "--config-file", "save_to"),
        {
            "type": click.Path(dir_okay=False),
            "help": "Save the validation as a YAML/JSON config (by extension) instead of running it.",
        },
    ),
    (
        ("-o", "--output"),
        {"type": click.Path(dir_okay=False), "help": "Write the results to this file."},
    ),
    (
        ("--format", "fmt"),
        {"type": click.Choice(FORMATS), "default": "table", "show_default": True},
    ),
]

output_options = option_group(
    *(
        click.option(*decls, callback=_remember, expose_value=False, **settings)
        for decls, settings in OUTPUT_OPTIONS
    )
)


filter_options = option_group(
    click.option("-ec", "--exclude-columns", help="Comma-separated columns to leave out."),
    click.option("--filters", help="WHERE condition applied to both sides (SQL)."),
    click.option("--target-filters", help="WHERE condition for the target, if it differs."),
)


row_options = option_group(
    click.option("-pk", "--primary-keys", help="Key columns (default: the table's primary key)."),
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
)


def seconds_option(name: str) -> Callable[[click.Context, click.Parameter, Any], float]:
    def convert(ctx: click.Context, param: click.Parameter, value: Any) -> float:
        try:
            return seconds(name, str(value))
        except DvtError as exc:
            raise click.BadParameter(str(exc)) from None

    return convert


def agg_options(f: Callable[..., Any]) -> Callable[..., Any]:
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


_SQL_FILE = click.Path(exists=True, dir_okay=False)
query_options = option_group(
    click.option("-sq", "--source-query", help="Source SQL."),
    click.option("-sqf", "--source-query-file", type=_SQL_FILE),
    click.option("-tq", "--target-query", help="Target SQL."),
    click.option("-tqf", "--target-query-file", type=_SQL_FILE),
)


def timeouts() -> Timeouts:
    """The run's default limits (`dvt --connect-timeout/--query-timeout`); URLs may override."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Timeouts) else Timeouts()
