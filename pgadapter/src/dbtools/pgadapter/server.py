"""The asyncio server: listeners (TCP and Unix socket), connection registry, CancelRequest
routing, Spanner clients, and a thread-backed synchronous façade for in-process use."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import importlib
import json
import logging
import os
import re
import ssl
import threading
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from . import call_context
from . import protocol as p
from .config import ProxyConfig
from .errors import ConfigError, PgError
from .reach import probe, spanner_address
from .spanner_private import client_of, instance_of
from .text_workers import TextWorkers

if TYPE_CHECKING:
    from .connection import PgConnection

__all__ = ["Proxy", "ProxyConfig", "ProxyServer", "serve"]

log = logging.getLogger(__name__)

MAX_CLIENTS = 64  # Spanner clients kept for distinct password credentials
# Spanner's rule for database ids (what --auto-create-database may create)
_DATABASE_ID = re.compile(r"[a-z][a-z0-9_\-]{0,28}[a-z0-9]")


def _client_info() -> Any:
    """The proxy names itself in the x-goog-api-client header of every call, as PGAdapter
    does with its `pg-adapter` user agent."""
    from google.api_core.gapic_v1.client_info import ClientInfo
    from google.cloud.spanner_v1 import __version__ as spanner_version

    from .version import __version__

    return ClientInfo(
        user_agent=f"dbtools-pgadapter/{__version__}", client_library_version=spanner_version
    )


class ProxyServer:
    """A PostgreSQL wire-protocol server backed by one Spanner instance."""

    def __init__(self, config: ProxyConfig, *, client: Any = None) -> None:
        config.validate()
        self.config = config
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=config.max_workers, thread_name_prefix="pgadapter"
        )
        # large statement texts are parsed in these processes; two is enough to keep one
        # client's huge statement from queueing another's, more would take the loop's cores
        self.text_workers = TextWorkers(min(2, os.cpu_count() or 1))
        self._client = client
        self._clients: dict[str, Any] = {}
        self._databases: dict[tuple[str, str], Any] = {}
        # the asyncio clients of loop reads, closed at stop(); one whose credentials were
        # evicted goes with its Database (its grpc.aio channel closes when collected)
        self._loop_apis: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._connections: dict[int, PgConnection] = {}
        self._next_pid = 1000
        self._servers: list[asyncio.AbstractServer] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.port: int = config.port
        # counters for tests and operators: aborts_retried...
        self.stats: Counter[str] = Counter()
        self.spanner_host, self.spanner_port = spanner_address(
            config.emulator_host, config.endpoint
        )
        # why Spanner could not be reached by the last probe (None: it could, or not probed)
        self.unreachable: str | None = None
        self._reached_at: float | None = None
        self._writers: weakref.WeakSet[asyncio.StreamWriter] = weakref.WeakSet()
        self.active_connections = 0  # sockets being served, in startup or after
        self.drained = True  # False: stop() left a worker thread running (a stuck call)
        self.ssl_context: ssl.SSLContext | None = None
        if config.ssl_cert and config.ssl_key:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(config.ssl_cert, config.ssl_key)
            self.ssl_context = ctx

    # --- Spanner clients --------------------------------------------------------------------

    def _make_client(self, credentials: Any = None) -> Any:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import spanner

        cfg = self.config
        if cfg.emulator_host:
            # builtin metrics export to Cloud Monitoring, which an emulator setup cannot reach
            # (and whose exporter then blocks interpreter exit)
            return spanner.Client(
                project=cfg.project,
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=cfg.emulator_host),
                client_info=_client_info(),
                disable_builtin_metrics=True,
            )
        options = ClientOptions(api_endpoint=cfg.endpoint) if cfg.endpoint else None
        if credentials is None and cfg.credentials_file:
            from google.oauth2 import service_account

            credentials = service_account.Credentials.from_service_account_file(
                cfg.credentials_file, scopes=["https://www.googleapis.com/auth/spanner.data"]
            )
        return spanner.Client(
            project=cfg.project,
            credentials=credentials,
            client_options=options,
            client_info=_client_info(),
        )

    def credentials_from_password(self, user: str, password: bytes) -> tuple[Any, str]:
        """Cleartext password: an OAuth2 access token, or a service-account/credentials JSON.
        Returns the credentials and a key (a hash of the password) to share clients by."""
        text = password.decode("utf-8", "replace").strip()
        if not text:
            raise PgError(
                f'password authentication failed for user "{user}"', "28P01", severity="FATAL"
            )
        if text.startswith("{"):
            try:
                info = json.loads(text)
                from google.oauth2 import service_account

                creds = service_account.Credentials.from_service_account_info(
                    info, scopes=["https://www.googleapis.com/auth/spanner.data"]
                )
                return creds, hashlib.sha256(text.encode()).hexdigest()
            except Exception as exc:
                raise PgError(
                    f'password authentication failed for user "{user}": the password is JSON '
                    f"but not a usable credentials file ({exc})",
                    "28P01",
                    severity="FATAL",
                ) from None
        from google.oauth2.credentials import Credentials

        return Credentials(token=text), hashlib.sha256(text.encode()).hexdigest()

    def open_database(self, database_id: str, credentials: Any = None, cred_key: str = "") -> Any:
        """The Database handle, shared by every connection with the same credentials (one
        Spanner client, hence one channel and one multiplexed session, per credential)."""
        key = (cred_key, database_id)
        with self._lock:
            db = self._databases.get(key)
            if db is None:
                client = self._clients.get(cred_key)
                if client is None:
                    if credentials is None and self._client is not None:
                        client = self._client
                    else:
                        client = self._make_client(credentials)
                    if len(self._clients) >= MAX_CLIENTS:  # tokens rotate: forget the oldest
                        oldest = next(iter(self._clients))
                        del self._clients[oldest]
                        for k in [k for k in self._databases if k[0] == oldest]:
                            del self._databases[k]
                    self._clients[cred_key] = client
                db = client.instance(self.config.instance).database(database_id)
                call_context.install(db)
                self._databases[key] = db
        from google.api_core import exceptions as gexc

        if self.config.auto_create_database and not _DATABASE_ID.fullmatch(database_id):
            # before asking Spanner, which answers an invalid id with INVALID_ARGUMENT
            raise _not_creatable(database_id)
        try:
            exists = self._exists(db)
        except gexc.MethodNotImplemented:
            exists = True  # a backend without the admin API: the first statement will tell
        except Exception as exc:
            from .sqlstate import pg_error_from

            err = pg_error_from(exc)
            err.severity = "FATAL"
            raise err from exc
        if not exists and self.config.auto_create_database:
            exists = self._create_database(db)
        if not exists:
            raise PgError(f'database "{database_id}" does not exist', "3D000", severity="FATAL")
        self._check_dialect(db, database_id)
        return db

    @property
    def spanner_endpoint(self) -> str:
        return f"{self.spanner_host}:{self.spanner_port}"

    async def probe_spanner(self) -> str | None:
        """Why Spanner cannot be reached now, or None. A success is trusted for 10 s (a TCP
        connection per client connect would cost a round trip each)."""
        if self._client is not None:
            return None  # a client given by the caller: its endpoint is not ours to know
        loop = asyncio.get_running_loop()
        if self._reached_at is not None and loop.time() - self._reached_at < 10:
            return None
        why = await probe(self.spanner_host, self.spanner_port, self.config.connect_timeout)
        self.unreachable = why
        self._reached_at = loop.time() if why is None else None
        return why

    async def open_session(self, database_id: str, credentials: Any, cred_key: str) -> Any:
        """The Database for a new connection, checked to exist, within --connect-timeout; a
        Spanner that cannot be reached is a FATAL error naming the endpoint."""
        why = await self.probe_spanner()
        if why is not None:
            raise PgError(
                f"cannot reach Spanner at {self.spanner_endpoint}: {why}",
                "08001",
                hint=self._where_hint(),
                severity="FATAL",
            )
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(
            self.executor, self.open_database, database_id, credentials, cred_key
        )
        try:
            return await asyncio.wait_for(work, self.config.connect_timeout)
        except asyncio.TimeoutError:
            raise PgError(
                f"Spanner at {self.spanner_endpoint} did not answer within "
                f"{self.config.connect_timeout:g} s",
                "08001",
                hint=self._where_hint(),
                severity="FATAL",
            ) from None

    def _where_hint(self) -> str:
        flag = "--emulator-host" if self.config.emulator_host else "--endpoint"
        return (
            f"Check that Spanner (or the emulator) is running there and reachable from this "
            f"host, and pgadapter's {flag}; --connect-timeout sets how long to wait."
        )

    async def loop_reads(self, db: Any) -> Any:
        """The LoopReads (autocommit queries sent from the event loop) of a database, shared by
        its connections, or None where the client offers no multiplexed session to send them
        on (then every query goes through the synchronous client)."""
        # kept on the Database itself: it is per credentials, and goes when they are evicted
        if hasattr(db, "_pgadapter_loop_reads"):
            return db._pgadapter_loop_reads
        from .loopread import LoopReads, make_api, session_name

        reads = None
        try:
            name = await asyncio.get_running_loop().run_in_executor(self.executor, session_name, db)
        except Exception:  # the synchronous path will report what is wrong, statement by statement
            log.debug("no multiplexed session for loop reads", exc_info=True)
            name = None
        if name is not None:
            info = _client_info()
            api = make_api(client_of(db), self.config.emulator_host)
            self._loop_apis.add(api)
            reads = LoopReads(api, db, name, info)
        db._pgadapter_loop_reads = reads
        return reads

    def _admin_call(self, db: Any, method: str, **request: Any) -> Any:
        """A database admin call bounded by --connect-timeout, retries included (the client's
        own calls retry an unreachable endpoint for minutes)."""
        from google.api_core import exceptions as gexc
        from google.api_core.retry import Retry, if_exception_type

        timeout = self.config.connect_timeout
        retry = Retry(
            predicate=if_exception_type(gexc.ServiceUnavailable),
            initial=0.1,
            maximum=1.0,
            timeout=timeout,
        )
        api = client_of(db).database_admin_api
        metadata = [("google-cloud-resource-prefix", db.name)]
        return getattr(api, method)(**request, metadata=metadata, retry=retry, timeout=timeout)

    def _exists(self, db: Any) -> bool:
        from google.api_core import exceptions as gexc

        try:
            self._admin_call(db, "get_database_ddl", database=db.name)
        except gexc.NotFound:
            return False
        return True

    def _check_dialect(self, db: Any, database_id: str) -> None:
        """Refuse GoogleSQL databases up front: every statement would fail on them otherwise."""
        from google.api_core import exceptions as gexc
        from google.cloud.spanner_admin_database_v1.types import DatabaseDialect

        if getattr(db, "_pgadapter_dialect_ok", False):
            return
        try:
            dialect = self._admin_call(db, "get_database", name=db.name).database_dialect
        except gexc.GoogleAPICallError:
            return  # a backend that cannot tell (no admin API): let statements speak
        if dialect == DatabaseDialect.GOOGLE_STANDARD_SQL:
            raise PgError(
                f'database "{database_id}" uses the GoogleSQL dialect',
                "0A000",
                hint="pgadapter serves PostgreSQL-dialect databases; create the database with "
                "database_dialect=POSTGRESQL.",
                severity="FATAL",
            )
        db._pgadapter_dialect_ok = True

    def _create_database(self, db: Any) -> bool:
        from google.api_core import exceptions as gexc
        from google.cloud.spanner_admin_database_v1.types import DatabaseDialect

        from .sqlstate import pg_error_from

        if not _DATABASE_ID.fullmatch(db.database_id):
            raise _not_creatable(db.database_id)
        fresh = instance_of(db).database(
            db.database_id, database_dialect=DatabaseDialect.POSTGRESQL
        )
        try:
            fresh.create().result(120)
        except gexc.AlreadyExists:  # another connection created it first
            pass
        except gexc.GoogleAPICallError as exc:
            err = pg_error_from(exc)
            err.severity = "FATAL"
            raise err from exc
        return True

    # --- connections ------------------------------------------------------------------------

    def register(self, conn: PgConnection) -> int:
        with self._lock:
            self._next_pid += 1
            pid = self._next_pid
            self._connections[pid] = conn
        return pid

    def unregister(self, conn: PgConnection) -> None:
        with self._lock:
            if self._connections.get(conn.pid) is conn:
                del self._connections[conn.pid]

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    @property
    def busy_count(self) -> int:
        """Connections waiting on a Spanner call right now."""
        return sum(1 for c in list(self._connections.values()) if c.busy)

    def cancel(self, pid: int, secret: int) -> None:
        conn = self._connections.get(pid)
        if conn is not None and conn.secret == secret:
            conn.cancel()

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # imported here, not at the top: it pulls in the Spanner client (seconds of imports),
        # and the listener should be up before that (start() begins the import in background)
        from .connection import PgConnection

        conn = PgConnection(self, reader, writer)
        try:
            if await conn.startup():
                await conn.serve()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError):
            pass  # the client went away or never spoke: nothing to answer
        except PgError as exc:
            exc.severity = "FATAL"  # an error that reaches here ends the connection
            with suppress(Exception):
                conn.send(p.error_response(exc))
                await conn.flush()
        except Exception:
            log.exception("connection failed")
            with suppress(Exception):
                internal = PgError("internal error in pgadapter", "XX000", severity="FATAL")
                conn.send(p.error_response(internal))
                await conn.flush()
        finally:
            await conn.close()
            writer.close()
            with suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    def _spawn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # counting and serving in this one coroutine: each level of the await chain is resumed
        # at every event loop turn of every statement of the connection
        self._spawn(reader, writer)
        self._writers.add(writer)
        self.active_connections += 1
        try:
            with suppress(asyncio.CancelledError):  # server shutdown
                await self._serve_client(reader, writer)
        finally:
            self.active_connections -= 1
            log.debug("connection closed; %d open", self.active_connections)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, importlib.import_module, "dbtools.pgadapter.connection")
        server = await asyncio.start_server(
            self._on_client, self.config.host, self.config.port, limit=1 << 20
        )
        self._servers.append(server)
        self.port = server.sockets[0].getsockname()[1]
        if self.config.unix_socket_dir:
            path = os.path.join(self.config.unix_socket_dir, f".s.PGSQL.{self.port}")
            with suppress(FileNotFoundError):
                os.unlink(path)
            self._servers.append(await asyncio.start_unix_server(self._on_client, path))
            self.unix_socket_path: str | None = path
        why = await self.probe_spanner()
        if why is not None:
            log.warning(
                "Spanner at %s cannot be reached (%s): clients are refused until it can",
                self.spanner_endpoint,
                why,
            )

    async def stop(self) -> None:
        """Stop listening, end every connection, and return within a few seconds whatever the
        clients or Spanner are doing: connections get `stop_grace` seconds to end, then their
        sockets are aborted; a Spanner call still running on a worker is abandoned (the CLI
        exits without waiting for it)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self.config.stop_grace

        def left() -> float:  # each later step gets what is left, and a little at least
            return max(until - loop.time(), 0.5)

        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=left())
        for writer in list(self._writers):  # a client that reads nothing blocks a clean close
            with suppress(Exception):
                writer.transport.abort()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=left())
        for server in self._servers:
            with suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), left())
        self._servers.clear()
        for api in list(self._loop_apis):
            with suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(api.transport.close(), left())
        self._loop_apis.clear()
        with suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(self.text_workers.close(), left())
        if self.config.unix_socket_dir:
            with suppress(FileNotFoundError):
                os.unlink(os.path.join(self.config.unix_socket_dir, f".s.PGSQL.{self.port}"))
        # the pool is drained from a thread of its own: a worker stuck in a Spanner call must
        # hold neither the event loop nor asyncio's default executor
        drained: asyncio.Future[None] = loop.create_future()

        def mark_drained() -> None:
            if not drained.done():
                drained.set_result(None)

        def drain() -> None:
            self.executor.shutdown(wait=True)
            with suppress(RuntimeError):  # the loop is gone already
                loop.call_soon_threadsafe(mark_drained)

        threading.Thread(target=drain, name="pgadapter-drain", daemon=True).start()
        await asyncio.wait((drained,), timeout=left())
        self.drained = drained.done()

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()


class Proxy:
    """A ProxyServer running on its own event-loop thread: the synchronous, in-process façade.

    with Proxy(ProxyConfig("p", "i", "db", port=0, emulator_host="localhost:9010")) as proxy:
        psycopg.connect(proxy.dsn())
    """

    def __init__(self, config: ProxyConfig, *, client: Any = None) -> None:
        self.server = ProxyServer(config, client=client)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def host(self) -> str:
        return self.server.config.host

    def dsn(self, database: str | None = None, user: str = "pgadapter") -> str:
        db = database or self.server.config.database or ""
        return f"host={self.host} port={self.port} user={user} dbname={db} sslmode=disable"

    def url(self, database: str | None = None, user: str = "pgadapter") -> str:
        db = database or self.server.config.database or ""
        return f"postgresql://{user}@{self.host}:{self.port}/{db}?sslmode=disable"

    def start(self) -> Proxy:
        started = threading.Event()
        error: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.server.start())
            except BaseException as exc:
                error.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self.server.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="pgadapter-loop", daemon=True)
        self._thread.start()
        started.wait()
        if error:
            raise ConfigError(f"pgadapter could not start: {error[0]}") from error[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop = None

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve(
    project: str,
    instance: str,
    database: str | None = None,
    *,
    client: Any = None,
    **options: Any,
) -> Iterator[Proxy]:
    """Run pgadapter in this process on an ephemeral localhost port for the `with` block."""
    options.setdefault("port", 0)
    config = ProxyConfig(project, instance, database, **options)
    proxy = Proxy(config, client=client)
    with proxy:
        yield proxy


def _not_creatable(database_id: str) -> PgError:
    return PgError(
        f'database "{database_id}" does not exist, and cannot be created: '
        "not a valid Spanner database id",
        "3D000",
        hint="A Spanner database id has 2 to 30 characters: lowercase letters, digits, "
        "'_' and '-', starting with a letter and not ending with '_' or '-'.",
        severity="FATAL",
    )
