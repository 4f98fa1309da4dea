"""`cloudsql-connector`: run the local listener for libpq and MySQL clients."""

from __future__ import annotations

import concurrent.futures
import json
import signal
import sys
import threading
from typing import Any

import click
from rich.console import Console

from .errors import ConnectorError, CredentialsError
from .options import IPType, RefreshStrategy

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _credentials(credentials_file: str | None, token: str | None) -> Any:
    if token:
        from google.oauth2.credentials import Credentials as OAuthCredentials

        return OAuthCredentials(token)
    if credentials_file:
        from google.auth import exceptions, load_credentials_from_file

        from .auth import CLOUD_PLATFORM_SCOPE

        try:
            creds, _ = load_credentials_from_file(credentials_file, scopes=[CLOUD_PLATFORM_SCOPE])
        except exceptions.DefaultCredentialsError as exc:
            detail = exc.args[0] if exc.args else exc
            raise CredentialsError(
                f"cannot use --credentials-file {credentials_file}: {detail} (expected a service "
                "account key or `gcloud auth application-default login` JSON file)"
            ) from exc
        return creds
    return None


def _error(console: Console, exc: Exception | str) -> None:
    # markup=False: messages quote user input and may contain [brackets].
    console.print(
        f"error: {exc}",
        markup=False,
        soft_wrap=True,  # one line, whatever the terminal width: easy to grep in logs
        style="red" if console.is_terminal else None,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dbtools-connector", prog_name="cloudsql-connector")
def main() -> None:
    """Connect to Cloud SQL with IAM-issued client certificates."""


@main.command()
@click.argument("instances", nargs=-1, required=True)
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    help="First TCP port (one per instance, counting up).",
)
@click.option("--address", "-a", default="127.0.0.1", show_default=True, help="TCP bind address.")
@click.option(
    "--unix-socket",
    "-u",
    type=click.Path(file_okay=False),
    help="Directory for unix sockets: DIR/<instance>/.s.PGSQL.5432 (PostgreSQL), DIR/<instance> (MySQL).",
)
@click.option(
    "--ip-type",
    type=click.Choice(["public", "private", "psc", "auto"], case_sensitive=False),
    default="public",
    show_default=True,
)
@click.option("--auto-iam-authn", "-i", is_flag=True, help="Log in as the IAM principal.")
@click.option("--credentials-file", type=click.Path(exists=True, dir_okay=False))
@click.option("--token", "-t", envvar="CLOUDSQL_CONNECTOR_TOKEN", help="A static OAuth2 token.")
@click.option("--quota-project", help="Project billed for Admin API quota.")
@click.option(
    "--admin-api-endpoint", help="Admin API base URL (for private endpoints or stand-ins)."
)
@click.option("--universe-domain", help="Universe domain (default googleapis.com).")
@click.option("--lazy-refresh", is_flag=True, help="Refresh certificates only when needed.")
@click.option("--max-connections", type=click.IntRange(min=0), default=0, help="0 means unlimited.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Deadline (s) of each connect: Admin API, token refresh, TCP and TLS to the instance.",
)
@click.option("--server-port", type=int, default=3307, hidden=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def listen(**options: Any) -> None:
    """Listen locally and relay each connection to INSTANCES over mTLS.

    \b
    Examples:
      cloudsql-connector listen my-proj:us-central1:db --port 5433
      psql "host=127.0.0.1 port=5433 user=app dbname=test"
      cloudsql-connector listen my-proj:us-central1:db --unix-socket /tmp/cloudsql
      psql "host=/tmp/cloudsql/my-proj:us-central1:db user=app dbname=test"
      cloudsql-connector listen my-proj:us-central1:db -p 5433 --auto-iam-authn

    Stops on SIGINT/SIGTERM, letting open connections finish for up to 10 s.
    Exit codes: 0 stopped cleanly, 1 could not start, 2 bad usage, 130 interrupted while
    starting.
    """
    try:
        _listen(**options)  # the options, typed one by one
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were in place
        sys.exit(EXIT_INTERRUPTED)


def _listen(
    instances: tuple[str, ...],
    port: int | None,
    address: str,
    unix_socket: str | None,
    ip_type: str,
    auto_iam_authn: bool,
    credentials_file: str | None,
    token: str | None,
    quota_project: str | None,
    admin_api_endpoint: str | None,
    universe_domain: str | None,
    lazy_refresh: bool,
    max_connections: int,
    timeout: float,
    server_port: int,
    fmt: str,
) -> None:
    from .connector import Connector

    console = Console(stderr=True, highlight=False)
    try:
        connector = Connector(
            ip_type=IPType.parse(ip_type),
            enable_iam_auth=auto_iam_authn,
            credentials=_credentials(credentials_file, token),
            quota_project=quota_project,
            admin_api_endpoint=admin_api_endpoint,
            universe_domain=universe_domain,
            refresh_strategy=RefreshStrategy.LAZY if lazy_refresh else RefreshStrategy.BACKGROUND,
            timeout=timeout,
            server_port=server_port,
        )
    except ConnectorError as exc:
        _error(console, exc)
        sys.exit(EXIT_FAILED)
    listeners = []
    try:
        for index, instance in enumerate(instances):
            listeners.append(
                connector.start_listener(
                    instance,
                    host=address,
                    port=None if port is None else (port + index if port else 0),
                    unix_socket_dir=unix_socket,
                    max_connections=max_connections,
                )
            )
    except (ConnectorError, OSError) as exc:  # OSError: the port or socket path is unusable
        _error(console, exc)
        connector.close()
        sys.exit(EXIT_FAILED)
    except concurrent.futures.TimeoutError:
        _error(console, f"the listeners did not start within --timeout {timeout:g} s")
        connector.close()
        sys.exit(EXIT_FAILED)
    ready = [
        {
            "instance": str(lsn.name),
            "engine": lsn.engine,
            "host": lsn.host if lsn.port is not None else None,
            "port": lsn.port,
            "unix_socket": str(lsn.unix_path) if lsn.unix_path else None,
        }
        for lsn in listeners
    ]
    if fmt == "json":
        click.echo(json.dumps({"status": "ready", "listeners": ready}), nl=True)
    else:
        for item in ready:
            where = []
            if item["port"] is not None:
                where.append(f"{item['host']}:{item['port']}")
            if item["unix_socket"]:
                where.append(str(item["unix_socket"]))
            click.echo(f"listening for {item['instance']} ({item['engine']}) on {', '.join(where)}")
    sys.stdout.flush()

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    for lsn in listeners:
        connector.stop_listener(lsn, drain_timeout=10.0)
    connector.close()
    if fmt == "json":
        click.echo(json.dumps({"status": "stopped"}))
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
