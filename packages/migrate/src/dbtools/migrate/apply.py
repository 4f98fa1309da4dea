"""Create the converted schema on a Spanner database through google-cloud-spanner.

Works against Cloud Spanner, the official emulator and spanner-local alike: `emulator_host`
(or SPANNER_EMULATOR_HOST) selects an unauthenticated endpoint, as the client library does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .errors import ApplyError

DDL_TIMEOUT = 600
CONNECT_TIMEOUT = 15.0  # seconds to reach Spanner (TCP, then the gRPC handshake); --connect-timeout
DEFAULT_ENDPOINT = "spanner.googleapis.com:443"


def _host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ApplyError(f"Spanner endpoint {address!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def check_reachable(address: str, *, tls: bool, timeout: float = CONNECT_TIMEOUT) -> None:
    """Fail fast, naming the endpoint, when Spanner cannot be reached: the client library
    retries an unreachable endpoint for minutes without a word. A TCP connection first (a
    closed port fails at once), then the gRPC handshake (a listener that accepts and never
    answers fails after `timeout` seconds in all)."""
    import socket
    import time

    import grpc

    host, port = _host_port(address)
    what = "the emulator or spanner-local" if not tls else "Cloud Spanner"
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ApplyError(
            f"cannot reach Spanner at {address}: {why} (after {time.monotonic() - started:.1f} s); "
            f"check that {what} runs there and the address is right"
        ) from exc
    left = max(0.1, timeout - (time.monotonic() - started))
    channel = (
        grpc.secure_channel(address, grpc.ssl_channel_credentials())
        if tls
        else grpc.insecure_channel(address)
    )
    try:
        grpc.channel_ready_future(channel).result(timeout=left)
    except grpc.FutureTimeoutError as exc:
        raise ApplyError(
            f"Spanner at {address} accepted a connection but did not complete a gRPC handshake "
            f"within {timeout:g} s (--connect-timeout); check that {what} runs there, "
            "not another service"
        ) from exc
    finally:
        channel.close()


def _client(
    project: str,
    emulator_host: str | None,
    endpoint: str | None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> Any:
    if emulator_host and endpoint:
        raise ApplyError("give --emulator-host or --endpoint, not both")
    # an explicit --endpoint wins over SPANNER_EMULATOR_HOST from the environment
    host = emulator_host or (None if endpoint else os.environ.get("SPANNER_EMULATOR_HOST"))
    check_reachable(host or endpoint or DEFAULT_ENDPOINT, tls=not host, timeout=connect_timeout)
    from google.cloud import spanner

    extra: dict[str, Any] = {}
    if "disable_builtin_metrics" in spanner.Client.__init__.__code__.co_varnames:
        extra["disable_builtin_metrics"] = True  # no metrics export from a CLI run
    if host:
        from google.auth.credentials import AnonymousCredentials

        # Anonymous credentials + an endpoint: the client opens a plain-text channel, as it does
        # for the emulator (spanner-local behaves the same way).
        return spanner.Client(
            project=project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": host},
            **extra,
        )
    options = {"api_endpoint": endpoint} if endpoint else None
    return spanner.Client(project=project, client_options=options, **extra)


def split_ddl(text: str) -> list[str]:
    """Statements of a schema.ddl file (our own output: `;` ends a statement at line end)."""
    out: list[str] = []
    buf: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("--") and not buf:
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip().rstrip(";").strip()
            if stmt:
                out.append(stmt)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        out.append(tail)
    return out


def apply_schema(
    statements: Sequence[str],
    *,
    project: str,
    instance: str,
    database: str,
    dialect: str,
    emulator_host: str | None = None,
    endpoint: str | None = None,
    create_instance: bool = False,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> dict[str, Any]:
    """Create `database` (in `dialect`) if needed and apply `statements` to it."""
    from google.api_core import exceptions as gexc
    from google.cloud.spanner_admin_database_v1 import DatabaseDialect

    client = _client(project, emulator_host, endpoint, connect_timeout)
    try:
        inst = client.instance(instance)
        if create_instance and not inst.exists():
            config = f"{client.project_name}/instanceConfigs/emulator-config"
            inst = client.instance(
                instance, configuration_name=config, node_count=1, display_name=instance
            )
            inst.create().result(DDL_TIMEOUT)
        db_dialect = (
            DatabaseDialect.POSTGRESQL
            if dialect == "postgresql"
            else DatabaseDialect.GOOGLE_STANDARD_SQL
        )
        db = inst.database(database, database_dialect=db_dialect)
        created = False
        if not db.exists():
            db.create().result(DDL_TIMEOUT)
            created = True
        else:
            db.reload()
            have = (
                "postgresql"
                if db.database_dialect == DatabaseDialect.POSTGRESQL
                else "google_standard_sql"
            )
            if have != dialect:
                raise ApplyError(
                    f"database {database} exists with dialect {have}, but the DDL is {dialect}; "
                    "convert again with the matching --dialect or use a new database"
                )
        if statements:
            db.update_ddl(list(statements)).result(DDL_TIMEOUT)
    except ApplyError:
        raise
    except gexc.GoogleAPICallError as exc:
        raise ApplyError(
            f"Spanner rejected the schema: {exc.message if hasattr(exc, 'message') else exc}"
        ) from exc
    except Exception as exc:
        raise ApplyError(f"cannot apply the schema: {exc}") from exc
    return {
        "database": database,
        "created": created,
        "statements": len(statements),
        "dialect": dialect,
    }


def open_database(
    *,
    project: str,
    instance: str,
    database: str,
    emulator_host: str | None = None,
    endpoint: str | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> Any:
    """A google-cloud-spanner Database handle (the database must exist)."""
    client = _client(project, emulator_host, endpoint, connect_timeout)
    db = client.instance(instance).database(database)
    try:
        exists = db.exists()
    except Exception as exc:
        raise ApplyError(f"cannot reach Spanner: {exc}") from exc
    if not exists:
        raise ApplyError(
            f"database {database} does not exist; run apply-schema (or schema-and-data) first"
        )
    return db
