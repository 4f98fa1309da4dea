"""`pgadapter` command line: serve a Spanner PostgreSQL-dialect database over the PG protocol."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

import click
from rich.console import Console

from .errors import ConfigError
from .version import __version__

EPILOG = """
Examples:

\b
  pgadapter -p my-project -i my-instance -d my-db
  pgadapter -p p -i i -d db --emulator-host localhost:9010 --port 5433
  pgadapter -p test-project -i test-instance --emulator-host localhost:9010 --auto-create-database
  pgadapter -p p -i i -d db --unix-socket-dir /tmp --credentials key.json
  psql -h localhost -p 5432 -d my-db
"""


@click.command(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-p", "--project", required=True, help="Google Cloud project id.")
@click.option("-i", "--instance", required=True, help="Spanner instance id.")
@click.option("-d", "--database", default=None, help="Default database (clients may name another).")
@click.option(
    "--port", "-s", default=5432, show_default=True, type=int, help="TCP port (0: pick one)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--unix-socket-dir", default=None, help="Also listen on DIR/.s.PGSQL.PORT.")
@click.option("--credentials", "-c", default=None, help="Service-account / credentials JSON file.")
@click.option(
    "--emulator-host", default=None, help="host:port of a Spanner emulator or spanner-local."
)
@click.option("--endpoint", "-e", default=None, help="Spanner API endpoint URL.")
@click.option(
    "--auth",
    type=click.Choice(["none", "password"]),
    default="none",
    show_default=True,
    help="'password': clients send an OAuth token or credentials JSON as cleartext password.",
)
@click.option("--ssl-cert", default=None, help="TLS certificate (PEM) to accept SSLRequest.")
@click.option("--ssl-key", default=None, help="TLS private key (PEM).")
@click.option(
    "--ssl-mode",
    type=click.Choice(["enable", "require"]),
    default="enable",
    show_default=True,
    help="'require': refuse clients that do not use TLS (needs --ssl-cert/--ssl-key).",
)
@click.option(
    "--max-connections",
    default=0,
    show_default=True,
    type=int,
    help="Clients served at once; past it a client gets 'too many clients' (0: no limit).",
)
@click.option(
    "--max-message-size",
    default=64 * 1024 * 1024,
    show_default=True,
    type=int,
    help="Largest protocol message a client may send, in bytes.",
)
@click.option(
    "--ddl-transaction-mode",
    type=click.Choice(
        ["single", "batch", "autocommit_implicit_transaction", "autocommit_explicit_transaction"]
    ),
    default="batch",
    show_default=True,
)
@click.option(
    "--auto-create-database",
    is_flag=True,
    help="With --emulator-host: create a database (PostgreSQL dialect) the first time a client names it.",
)
@click.option(
    "--connect-timeout",
    default=20.0,
    show_default=True,
    type=float,
    help="Seconds to wait for Spanner when a client connects; past it the client gets a FATAL "
    "error naming the endpoint.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Log each connection and failed statement (INFO) and every statement (DEBUG) to stderr.",
)
@click.version_option(__version__, "--version", prog_name="pgadapter (dbtools)")
def main(**kw: object) -> None:
    """Serve a Cloud Spanner PostgreSQL-dialect database to psql and PostgreSQL drivers."""
    from .server import ProxyConfig, ProxyServer  # heavy (the Spanner client): not for --help

    verbose = bool(kw.pop("verbose"))
    console = Console(stderr=True, highlight=False, no_color=not sys.stderr.isatty())
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    # the proxy's own loggers only: the Spanner client's and gRPC's stay at WARNING
    logging.getLogger("dbtools.pgadapter").setLevel(logging.DEBUG if verbose else logging.WARNING)
    config = ProxyConfig(
        project=str(kw["project"]),
        instance=str(kw["instance"]),
        database=kw["database"] or None,  # type: ignore[arg-type]
        host=str(kw["host"]),
        port=int(kw["port"]),  # type: ignore[call-overload]
        unix_socket_dir=kw["unix_socket_dir"] or None,  # type: ignore[arg-type]
        credentials_file=kw["credentials"] or None,  # type: ignore[arg-type]
        emulator_host=kw["emulator_host"] or None,  # type: ignore[arg-type]
        endpoint=kw["endpoint"] or None,  # type: ignore[arg-type]
        auth=str(kw["auth"]),
        ssl_cert=kw["ssl_cert"] or None,  # type: ignore[arg-type]
        ssl_key=kw["ssl_key"] or None,  # type: ignore[arg-type]
        ddl_transaction_mode=str(kw["ddl_transaction_mode"]),
        auto_create_database=bool(kw["auto_create_database"]),
        connect_timeout=float(kw["connect_timeout"]),  # type: ignore[arg-type]
        ssl_mode=str(kw["ssl_mode"]),
        max_connections=int(kw["max_connections"]),  # type: ignore[call-overload]
        max_message_size=int(kw["max_message_size"]),  # type: ignore[call-overload]
    )
    try:
        server = ProxyServer(config)
    except ConfigError as exc:  # also raised by ProxyConfig.validate()
        console.print(f"error: {exc}")
        sys.exit(2)

    async def run() -> None:
        await server.start()
        where = f"{config.host}:{server.port}"
        console.print(
            f"pgadapter listening on {where} for projects/{config.project}/instances/"
            f"{config.instance}",
            soft_wrap=True,
        )
        if server.unreachable is not None:
            console.print(
                f"warning: Spanner at {server.spanner_endpoint} cannot be reached "
                f"({server.unreachable}); clients are refused until it can",
                soft_wrap=True,
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, _on_signal, stop)
        await stop.wait()
        await server.stop()

    try:
        asyncio.run(run())
    except OSError as exc:
        console.print(f"error: cannot listen on {config.host}:{config.port}: {exc.strerror}")
        sys.exit(3)
    console.print("pgadapter stopped")
    if not server.drained:
        # a worker still inside a Spanner call: the interpreter would wait for it at exit,
        # and a stop must not wait on Spanner
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _on_signal(stop: asyncio.Event) -> None:
    """The first SIGINT/SIGTERM stops the server; another during the stop exits at once."""
    if stop.is_set():
        os._exit(0)
    stop.set()


if __name__ == "__main__":
    main()
