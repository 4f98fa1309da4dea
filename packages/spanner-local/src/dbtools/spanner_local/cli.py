"""`spanner-local`: run the server from the command line."""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading

import click

from .errors import SpannerLocalError
from .server import DEFAULT_INSTANCE, DEFAULT_PROJECT, start
from .versions import parse_period

# The server process's own garbage collector settings (only when it runs as its own process:
# an application embedding spanner-local keeps its own). A large read or commit allocates
# hundreds of thousands of short-lived tuples and lists, none in reference cycles; at Python's
# default (a collection every 700 net allocations) the collector ran hundreds of times per
# request and cost 20-30% of the server's CPU in a 5,000-key read or a 2,000-row commit.
COLLECT_EVERY = 100_000  # net container allocations between young-generation collections
OLDER_COLLECTIONS = (50, 100)


def tune_collector() -> None:
    """Freeze what start-up allocated (modules, catalogs: never garbage) out of the
    collector's scans, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(COLLECT_EVERY, *OLDER_COLLECTIONS)


@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""Examples:

\b
  spanner-local --port 9010
  spanner-local --port 9010 --data-dir ./spanner-data
  SPANNER_EMULATOR_HOST=127.0.0.1:9010 python my_app.py
""",
)
@click.version_option(package_name="dbtools-spanner-local", prog_name="spanner-local")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=9010, show_default=True, type=int, help="Port (0: any free port).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep databases here across restarts (default: in memory).",
)
@click.option(
    "--project",
    default=DEFAULT_PROJECT,
    show_default=True,
    help="Project of the pre-created instance.",
)
@click.option(
    "--instance", default=DEFAULT_INSTANCE, show_default=True, help="Pre-created instance."
)
@click.option("--no-statement-log", is_flag=True, help="Do not record statements in memory.")
@click.option(
    "--version-retention",
    default="1h",
    show_default=True,
    help="How long old row versions are kept for stale reads (Spanner's "
    "version_retention_period), e.g. 1h, 10m, 30s; 0 keeps none.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the startup line.",
)
def main(
    host: str,
    port: int,
    data_dir: str | None,
    project: str,
    instance: str,
    no_statement_log: bool,
    version_retention: str,
    fmt: str,
) -> None:
    """Run an embedded Cloud Spanner stand-in that the official client libraries talk to."""
    try:
        retention = parse_period(version_retention)
    except ValueError as exc:
        click.echo(f"error: --version-retention: {exc}", err=True)
        sys.exit(2)
    try:
        endpoint = start(
            project,
            instance,
            data_dir,
            port,
            host,
            statement_log=not no_statement_log,
            version_retention=retention,
        )
    except OSError as exc:
        click.echo(f"error: {exc}. Is another server using port {port}? Try --port 0.", err=True)
        sys.exit(2)
    except SpannerLocalError as exc:  # an invalid --project or --instance id
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    info = {
        "address": endpoint.address,
        "project": project,
        "instance": instance,
        "data_dir": data_dir,
        "env": endpoint.env(),
    }
    if fmt == "json":
        click.echo(json.dumps(info))
    else:
        where = f"data in {data_dir}" if data_dir else "in memory"
        if sys.stdout.isatty():
            from rich.console import Console

            console = Console()
            console.print(
                f"[bold green]spanner-local[/] listening on [bold]{endpoint.address}[/] "
                f"(projects/{project}/instances/{instance}; {where}). Ctrl-C stops it."
            )
            console.print(f"export SPANNER_EMULATOR_HOST={endpoint.address}", highlight=False)
        else:
            click.echo(
                f"spanner-local listening on {endpoint.address} "
                f"(projects/{project}/instances/{instance}; {where})"
            )
            click.echo(f"export SPANNER_EMULATOR_HOST={endpoint.address}")
    sys.stdout.flush()
    tune_collector()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    endpoint.stop(grace=1)
    # The databases are closed; a worker thread still unwinding an interrupted statement must
    # not hold the exit up (the thread pool joins its threads at interpreter exit).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
