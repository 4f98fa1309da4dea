"""`dvt query`, `dvt report` and `dvt find-tables`: looking at databases and results."""

from __future__ import annotations

from pathlib import Path

import click

from .. import api
from .options import connection_options, csv_list, timeouts
from .running import engine, guard


@click.command("query")
@click.option("-c", "--conn", required=True, help="URL or saved connection name.")
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@guard
def query_cmd(conn: str, sql: str, fmt: str) -> None:
    """Run one SQL query on a connection and print the rows (values exactly as the driver
    returns them; decimals as exact text).

    \b
    Example:
      dvt query -c pg "SELECT count(*) FROM orders"
    """
    from ..report import rows_table

    names, rows = engine(conn).query_described(sql)
    click.echo(rows_table(names, rows, fmt), nl=False)


@click.command("report")
@click.option("--result-url", required=True, help="Where `--result-url` runs were written.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help="The HTML file."
)
@guard
def report_cmd(result_url: str, output: str) -> None:
    """Render the run history (dvt_runs) as an HTML page: a chart of the differences per
    validation over the runs, and the table of runs.

    \b
    Example:
      dvt report --result-url postgresql://postgres@db/dvt -o history.html
    """
    from .. import history

    runs = api.read_history(result_url, timeouts())
    Path(output).write_text(history.page(runs))
    click.echo(f"{len(runs)} result(s) written to {output}")


@click.command("find-tables")
@connection_options
@click.option("--allowed-schemas", help="Only source tables in these schemas (comma-separated).")
@click.option(
    "--format", "fmt", type=click.Choice(["tables", "json"]), default="tables", show_default=True
)
@guard
def find_tables(source_conn: str, target_conn: str, allowed_schemas: str | None, fmt: str) -> None:
    """Pair the source's tables with the target's by name, for -t/--tables.

    Names match case-insensitively, also when a migration flattened a schema into the name
    (`sales.orders` → `sales_orders`) or renamed a reserved word (`order` → `order_`).
    Unmatched tables are listed on stderr.

    \b
    Example:
      dvt validate row -sc pg -tc sp -t "$(dvt find-tables -sc pg -tc sp)"
    """
    from ..tables import match_tables

    src, tgt = engine(source_conn), engine(target_conn)
    src_tables, tgt_tables = src.tables(), tgt.tables()
    schemas = {s.lower() for s in csv_list(allowed_schemas)}
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
