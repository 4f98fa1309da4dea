"""A local listener: a TCP port and/or a unix socket that any client (psql, psycopg with any
options, Django, mysql) connects to in plain text; each connection is dialled to the instance
over mTLS by the connector and the bytes are relayed. Many concurrent connections share one
certificate cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import wire
from .errors import ConfigurationError, ConnectorError
from .instance import InstanceName
from .options import IPType

if TYPE_CHECKING:
    from .connector import Connector

_CHUNK = 256 * 1024
ENGINE_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


def unix_socket_path(directory: str | os.PathLike[str], name: InstanceName, engine: str) -> Path:
    """Where the socket goes, as the Auth Proxy lays it out: DIR/<name>/.s.PGSQL.5432 for
    PostgreSQL (so libpq's host=DIR/<name> finds it), DIR/<name> for MySQL."""
    base = Path(directory)
    if engine == "postgresql":
        return base / str(name) / ".s.PGSQL.5432"
    return base / str(name)


class LocalListener:
    """Serve one instance on a local TCP port and/or unix socket.

    Use ``await listener.start()`` / ``await listener.close()`` on any event loop, or
    ``Connector.start_listener(...)`` from sync code.
    """

    def __init__(
        self,
        connector: Connector,
        instance: str,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        unix_socket_dir: str | os.PathLike[str] | None = None,
        unix_socket_path: str | os.PathLike[str] | None = None,
        ip_type: IPType | str | None = None,
        enable_iam_auth: bool | None = None,
        max_connections: int = 0,
    ) -> None:
        self._connector = connector
        self.name = InstanceName.parse(instance)
        self.host = host
        self._port = port
        self._unix_dir = unix_socket_dir
        self._unix_path_override = Path(unix_socket_path) if unix_socket_path else None
        self._ip_type = ip_type
        self._iam = enable_iam_auth
        self.max_connections = max_connections
        self.engine = ""
        self.unix_path: Path | None = None
        self._unix_inode: tuple[int, int] | None = None  # (st_dev, st_ino) of our socket file
        self.port: int | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.active = 0
        self.served = 0

    async def start(self) -> LocalListener:
        """Fetch the instance's settings (failing fast on a wrong name) and start listening."""
        info = await self._connector._info_async(self.name, self._iam, self._deadline())
        self.engine = info.engine
        info.address(self._connector._ip_type_for(self._ip_type))  # fail now on a wrong IP type
        if self._port is None and self._unix_dir is None and self._unix_path_override is None:
            self._port = ENGINE_DEFAULT_PORTS.get(self.engine, 0)
        if self._port is not None:
            server = await asyncio.start_server(
                self._serve, self.host, self._port, limit=_CHUNK, backlog=512
            )
            self._servers.append(server)
            self.port = server.sockets[0].getsockname()[1]
        path = self._unix_path_override
        if path is None and self._unix_dir is not None:
            path = unix_socket_path(self._unix_dir, self.name, self.engine)
        if path is not None:
            if len(os.fsencode(path)) > 100:
                raise ConfigurationError(
                    f"unix socket path {str(path)!r} is too long for the OS (about 100 bytes); "
                    "use a shorter --unix-socket directory"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            server = await asyncio.start_unix_server(
                self._serve, str(path), limit=_CHUNK, backlog=512
            )
            self._servers.append(server)
            self.unix_path = path
            st = path.stat()
            self._unix_inode = (st.st_dev, st.st_ino)
        return self

    def _deadline(self) -> float:
        return time.monotonic() + self._connector._timeout

    @property
    def libpq_host(self) -> str:
        """What to give libpq as host: the socket's directory, else the TCP host."""
        if self.unix_path is not None and self.engine == "postgresql":
            return str(self.unix_path.parent)
        return self.host

    @staticmethod
    async def _read_startup(reader: asyncio.StreamReader) -> bytes | None:
        """PostgreSQL: the client's first message; None for an SSL/GSS request (answer 'N')."""
        header = await reader.readexactly(8)
        length, code = wire.pg_request_code(header)
        if length == 8 and code in wire.DECLINED_REQUESTS:
            return None
        if length < 8 or length > 10_000:
            raise ConnectionError(f"not a PostgreSQL startup message (length {length})")
        return header + await reader.readexactly(length - 8)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        self.active += 1
        self.served += 1
        labels = {"instance": str(self.name), "transport": "listener"}
        upstream: asyncio.StreamWriter | None = None
        try:
            first = b""
            if self.engine == "postgresql":
                # Settle libpq's SSL/GSS requests first: it reads any error only after them.
                while True:
                    msg = await self._read_startup(reader)
                    if msg is not None:
                        first = msg
                        break
                    writer.write(b"N")
                    await writer.drain()
            if self.max_connections and self.active > self.max_connections:
                writer.write(
                    wire.error_packet(
                        self.engine,
                        f"dbtools-connector: too many connections to {self.name} through this "
                        f"listener (max {self.max_connections}); retry later or raise "
                        "--max-connections",
                    )
                )
                await writer.drain()
                return
            try:
                up_reader, upstream = await self._connector._open_stream(
                    self.name, self._ip_type, self._iam, self._deadline(), labels
                )
            except ConnectorError as exc:
                writer.write(wire.error_packet(self.engine, wire.failure_text(exc)))
                await writer.drain()
                return
            self._connector._telemetry.open_connections.add(1, labels)
            try:
                if first:
                    upstream.write(first)
                await asyncio.gather(self._pipe(reader, upstream), self._pipe(up_reader, writer))
            finally:
                self._connector._telemetry.open_connections.add(-1, labels)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            self.active -= 1
            self._writers.discard(writer)
            for w in (writer, upstream):
                if w is not None:
                    w.close()
            if task is not None:
                self._tasks.discard(task)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await src.read(_CHUNK)
                if not data:
                    break
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One side ended: end the other too (TLS has no half-close worth keeping).
            dst.close()

    async def close(self, *, drain_timeout: float = 0.0) -> None:
        """Stop accepting; wait up to `drain_timeout` s for open connections, then cut them."""
        for server in self._servers:
            server.close()
        if drain_timeout > 0 and self._tasks:
            await asyncio.wait(set(self._tasks), timeout=drain_timeout)
        for w in list(self._writers):
            w.close()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)
        self._servers.clear()
        self._remove_socket_file()

    def _remove_socket_file(self) -> None:
        """Delete our socket file, and only ours: another listener may have bound the same path
        since (a restart, a second CLI), and deleting its file would strand its clients."""
        if self.unix_path is None or self._unix_inode is None:
            return
        with contextlib.suppress(FileNotFoundError):
            st = self.unix_path.stat()
            if (st.st_dev, st.st_ino) == self._unix_inode:
                self.unix_path.unlink()
        self._unix_inode = None

    async def __aenter__(self) -> LocalListener:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
