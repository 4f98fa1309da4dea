"""Running spanner-local: an in-process gRPC server and the endpoint handed to its users."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc

from . import cancellation
from .ids import check_instance_id, check_project_id
from .limits import MAX_GRPC_MESSAGE_BYTES
from .registry import Registry
from .servicers.admin import DatabaseAdminServicer, InstanceAdminServicer, OperationsServicer
from .servicers.spanner import SpannerServicer
from .statement_log import StatementLog
from .versions import DEFAULT_RETENTION

EMULATOR_ENV = "SPANNER_EMULATOR_HOST"
_ENV_LOCK = threading.Lock()
DEFAULT_PROJECT = "test-project"
DEFAULT_INSTANCE = "test-instance"


_server_numbers = itertools.count(1)


@dataclass
class Endpoint:
    """Where a running spanner-local listens, and helpers to reach it with the official client."""

    host: str
    port: int
    project: str
    instance: str
    statement_log: StatementLog
    registry: Registry = field(repr=False)
    _server: Any = field(default=None, repr=False)
    _thread_prefix: str = field(default="spanner-local", repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.address

    def client(self, project: str | None = None, **kwargs: Any) -> Any:
        """A `google.cloud.spanner.Client` wired to this server with anonymous credentials.

        With AnonymousCredentials and an `api_endpoint`, the client treats the endpoint like the
        emulator's and opens a plain-text (insecure) gRPC channel to it.
        """
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import spanner

        kwargs.setdefault("disable_builtin_metrics", True)
        # The client prefers SPANNER_EMULATOR_HOST over api_endpoint when the variable is set
        # (for example while the test suite also targets the official emulator), so point the
        # variable here while the client reads it.
        with _ENV_LOCK:
            saved = os.environ.get(EMULATOR_ENV)
            if saved is not None:
                os.environ[EMULATOR_ENV] = self.address
            try:
                return spanner.Client(
                    project=project or self.project,
                    credentials=AnonymousCredentials(),
                    client_options={"api_endpoint": self.address},
                    **kwargs,
                )
            finally:
                if saved is not None:
                    os.environ[EMULATOR_ENV] = saved

    def env(self) -> dict[str, str]:
        """Environment variables that point the client libraries here."""
        return {EMULATOR_ENV: self.address}

    def stop(self, grace: float | None = None) -> None:
        if self._server is not None:
            stopped = self._server.stop(grace)
            # A running DuckDB statement does not notice the call's end; stop them all so that
            # shutting down takes the grace period, not as long as the slowest query.
            cancellation.interrupt_all(self._thread_prefix)
            stopped.wait()
            self._server = None
        self.registry.close()


def start(
    project: str = DEFAULT_PROJECT,
    instance: str = DEFAULT_INSTANCE,
    data_dir: str | os.PathLike[str] | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    statement_log: bool = True,
    max_workers: int = 32,
    version_retention: dt.timedelta = DEFAULT_RETENTION,
) -> Endpoint:
    """Start a server in this process; call `.stop()` on the result (or use `serve`).

    `version_retention` is how long old row versions are kept for reads at a past timestamp
    (Spanner's version_retention_period; 0 keeps none).
    """
    if version_retention < dt.timedelta(0):
        raise ValueError("version_retention must not be negative")
    check_project_id(project)  # before the data dir is created
    check_instance_id(instance)
    log = StatementLog(enabled=statement_log)
    thread_prefix = f"spanner-local-{next(_server_numbers)}-"
    registry = Registry(data_dir, log, version_retention)
    registry.ensure_instance(f"projects/{project}/instances/{instance}")
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=thread_prefix),
        options=[
            ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    for servicer in (
        SpannerServicer(registry),
        DatabaseAdminServicer(registry),
        InstanceAdminServicer(registry),
        OperationsServicer(registry),
    ):
        server.add_generic_rpc_handlers((servicer.handler(),))
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:  # grpcio raises instead of returning 0 in recent versions
        registry.close()
        raise OSError(f"spanner-local could not listen on {host}:{port}: {exc}") from exc
    if bound == 0:
        raise OSError(f"spanner-local could not listen on {host}:{port}")
    server.start()
    return Endpoint(host, bound, project, instance, log, registry, server, thread_prefix)


@contextlib.contextmanager
def serve(
    project: str = DEFAULT_PROJECT,
    instance: str = DEFAULT_INSTANCE,
    data_dir: str | os.PathLike[str] | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    statement_log: bool = True,
    version_retention: dt.timedelta = DEFAULT_RETENTION,
) -> Iterator[Endpoint]:
    """Run spanner-local for the duration of a `with` block.

    `data_dir=None` keeps everything in memory; with a directory, databases survive restarts.
    """
    endpoint = start(
        project, instance, data_dir, port, host, statement_log, version_retention=version_retention
    )
    try:
        yield endpoint
    finally:
        endpoint.stop()
