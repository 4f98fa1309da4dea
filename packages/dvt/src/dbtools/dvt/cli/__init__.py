"""The `dvt` command line: one module per group of subcommands.

Exit codes: 0 every validation passed, 1 at least one failed, 2 bad usage or config,
3 a database could not be reached or a query failed (or timed out), 4 an unexpected internal
error (a bug: the message says how to report it). 1 always means "the data differs".
"""

from __future__ import annotations

import click

from .. import DISTRIBUTION
from ..option_group import option_group
from ..timeouts import DEFAULT_CONNECT_S, DEFAULT_QUERY_S, Timeouts
from . import configs, connections, tools, validate
from .options import seconds_option

# (option, default, help) of the run's limits
TIMEOUT_OPTIONS = (
    (
        "--connect-timeout",
        DEFAULT_CONNECT_S,
        "Seconds to wait for a database to accept a connection and log in.",
    ),
    ("--query-timeout", DEFAULT_QUERY_S, "Seconds one query may run (each side, each query)."),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=DISTRIBUTION, prog_name="dvt")
@option_group(
    *(
        click.option(
            name, default=default, show_default=True, callback=seconds_option(name), help=text
        )
        for name, default, text in TIMEOUT_OPTIONS
    )
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


main.add_command(connections.connections)
main.add_command(validate.validate)
main.add_command(tools.query_cmd)
main.add_command(tools.report_cmd)
main.add_command(tools.find_tables)
main.add_command(configs.generate_partitions)
main.add_command(configs.configs)
