"""`cloudsql-local`: run the emulator from a TOML file until interrupted."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from . import __version__
from .config import Config
from .errors import AddressInUseError, CloudSqlLocalError, ConfigError
from .server import Emulator

EXIT_CONFIG = 2
EXIT_ADDRESS = 3
EXIT_OTHER = 1
EXIT_INTERRUPTED = 130

EPILOG = """\b
Examples:
  cloudsql-local --config instances.toml
  cloudsql-local --config instances.toml --admin-port 8080 --principal me@example.com
  cloudsql-local --config instances.toml --format json   # one JSON line when ready
  cloudsql-local --config instances.toml --latency 0.2   # every instance 200 ms away

\b
instances.toml:
  [admin]
  port = 8080
  [tokens]
  "dev-token" = "me@example.com"        # static bearer token (all scopes)
  [refresh_tokens]
  "dev-refresh" = "sa@proj.iam.gserviceaccount.com"
  [[instances]]
  connection_name = "proj:us-central1:pg"
  database_version = "POSTGRES_15"
  backend = "127.0.0.1:5432"
  ip_addresses = { PRIMARY = "127.0.0.2" }
  latency = 0.0                          # seconds this instance is away (Admin API, TLS)

Point a connector at it with sqladmin_api_endpoint=<admin url>.
"""


def _summary(emu: Emulator, principals: dict[str, str]) -> dict[str, Any]:
    return {
        "admin_url": emu.admin_url,
        "token_uri": emu.token_uri,
        "instances": [
            {
                "connection_name": s.connection_name,
                "database_version": s.instance.database_version,
                "ip_addresses": s.ip_addresses,
                "port": s.port,
                "backend": s.instance.backend,
                "server_ca_mode": s.instance.server_ca_mode,
                "dns_name": s.dns_name,
                "latency": s.instance.latency,
            }
            for s in emu.instances
        ],
        "refresh_tokens": principals,
        "latency": emu.faults.latency,
    }


def _print_table(console: Console, info: dict[str, Any]) -> None:
    console.print(f"cloudsql-local {__version__}: Admin API at {info['admin_url']}")
    rows = []
    for inst in info["instances"]:
        addrs = ", ".join(f"{t} {a}" for t, a in inst["ip_addresses"].items())
        rows.append(
            (
                inst["connection_name"],
                inst["database_version"],
                f"{addrs} :{inst['port']}",
                inst["backend"],
            )
        )
    if console.is_terminal:
        table = Table("instance", "version", "addresses", "backend")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:  # plain lines for logs and pipes
        for row in rows:
            console.print("  ".join(row), soft_wrap=True)
    for token, principal in info["refresh_tokens"].items():
        console.print(f"refresh token for {principal}: {token}", soft_wrap=True)
    console.print("Ctrl-C to stop.")


async def _run(
    config: Config, principals: tuple[str, ...], fmt: str, console: Console, latency: float
) -> None:
    emu = Emulator(config)
    emu.faults.latency = latency
    await emu.start()
    try:
        issued = {emu.tokens.add_refresh_token(p): p for p in principals}
        info = _summary(emu, issued)
        if fmt == "json":
            click.echo(json.dumps(info), nl=True)
            sys.stdout.flush()
        else:
            _print_table(console, info)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await emu.stop()


@click.command(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="TOML file with [[instances]], [tokens], [refresh_tokens], [admin].",
)
@click.option("--admin-host", default=None, help="Admin API host (default from config, 127.0.0.1).")
@click.option("--admin-port", type=int, default=None, help="Admin API port (0: any free port).")
@click.option(
    "--principal",
    "principals",
    multiple=True,
    help="Issue a refresh token for this principal at start (repeatable).",
)
@click.option(
    "--latency",
    type=click.FloatRange(0, 600),
    default=0.0,
    show_default=True,
    help="Seconds added to every Admin API response and proxy TLS handshake (faults.latency).",
)
@click.option(
    "--backend-timeout",
    type=click.FloatRange(0, 3600, min_open=True),
    default=None,
    help="Seconds the proxy waits to connect to a backend database and for each of its answers "
    "during a login it drives (default from config, 10).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.version_option(__version__, prog_name="cloudsql-local")
def main(
    config_path: str,
    admin_host: str | None,
    admin_port: int | None,
    principals: tuple[str, ...],
    latency: float,
    backend_timeout: float | None,
    fmt: str,
) -> None:
    """Run a local Cloud SQL: Admin API endpoints and mTLS proxies on :3307."""
    stream = sys.stderr if fmt == "json" else sys.stdout
    console = Console(file=stream, highlight=False, no_color=not stream.isatty())
    try:
        config = Config.from_toml(config_path)
        if admin_host is not None:
            config.admin_host = admin_host
        if admin_port is not None:
            config.admin_port = admin_port
        if backend_timeout is not None:
            config.backend_timeout = backend_timeout
        asyncio.run(_run(config, principals, fmt, console, latency))
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except AddressInUseError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ADDRESS)
    except (CloudSqlLocalError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_OTHER)
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were in place
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":  # pragma: no cover
    main()
