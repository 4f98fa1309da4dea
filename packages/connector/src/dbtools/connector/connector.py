"""The Connector: certificates from the Admin API, verified mTLS dials, driver connections.

About 840 lines in one module on purpose: the per-driver connect paths (sync and async) are
short methods that share the Connector's certificate cache, refresh state and listeners, and
splitting them out would pass that state across modules for no gain in clarity.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import os
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Iterator
from typing import Any

from google.auth.credentials import Credentials

from . import errors, wire
from ._loop import WATCHDOG, LoopThread
from .admin_api import AdminAPIClient, AdminClientConfig, RetryPolicy, default_user_agent
from .auth import (
    TokenSource,
    check_universe,
    default_credentials,
    login_credentials,
    service_account_email,
    token_endpoint,
)
from .cache import RefreshCache, is_transient
from .connection_info import ConnectionInfo, fetch_connection_info
from .drivers import Driver, load, lookup, normalize_kwargs
from .errors import (
    ClosedConnectorError,
    ConfigurationError,
    ConnectError,
    ConnectorError,
    ConnectTimeoutError,
    IncompatibleDriverError,
    ServerIdentityError,
)
from .instance import InstanceName, iam_db_user
from .keys import KeyPair, start_key_generation
from .listener import LocalListener
from .options import IPType, RefreshStrategy
from .schedule import REFRESH_BUFFER, TokenBucket
from .telemetry import Telemetry
from .tls import _VerifyingSSLSocket

SERVER_PORT = 3307  # Cloud SQL's server-side proxy port
_CacheKey = tuple[InstanceName, bool]


class _Outcome:
    """Set `.ok` at the end of a measured block that succeeded."""

    ok = False


def _env_universe() -> str:
    return os.environ.get("GOOGLE_CLOUD_UNIVERSE_DOMAIN") or "googleapis.com"


class Connector:
    """Connect to Cloud SQL instances with ephemeral client certificates.

    Create one per process and reuse it: it holds the key pair, the certificate caches and a
    small background thread. Thread-safe; ``connect_async`` works on any event loop.

    Args:
        ip_type: "public", "private", "psc" or "auto" (public, else private, else PSC).
        enable_iam_auth: log in as the IAM principal of the credentials (no password).
        credentials: google-auth credentials; Application Default Credentials when omitted.
        quota_project: project billed for Admin API quota (``x-goog-user-project``).
        admin_api_endpoint: Admin API base URL; ``https://sqladmin.<universe_domain>`` by default.
        user_agent: appended to the User-Agent of Admin API calls.
        universe_domain: ``googleapis.com`` unless ``$GOOGLE_CLOUD_UNIVERSE_DOMAIN`` says otherwise.
        refresh_strategy: "background" (refresh ahead of expiry) or "lazy" (refresh when a
            connect finds the certificate near expiry: for serverless platforms).
        timeout: end-to-end deadline of one connect, in seconds, certificate wait included.
        server_port: the instance's server-side proxy port (3307 on Cloud SQL).
        refresh_buffer: refresh this many seconds before the certificate expires.
        refresh_burst / refresh_interval: rate limit of refreshes per instance.
        retry: backoff policy of Admin API calls on 5xx.
        meter_provider / tracer_provider: OpenTelemetry providers (the global ones by default).
    """

    def __init__(
        self,
        *,
        ip_type: IPType | str = IPType.PUBLIC,
        enable_iam_auth: bool = False,
        credentials: Credentials | None = None,
        quota_project: str | None = None,
        admin_api_endpoint: str | None = None,
        sqladmin_api_endpoint: str | None = None,
        user_agent: str | None = None,
        universe_domain: str | None = None,
        refresh_strategy: RefreshStrategy | str = RefreshStrategy.BACKGROUND,
        timeout: float = 30.0,
        server_port: int = SERVER_PORT,
        refresh_buffer: float = REFRESH_BUFFER,
        refresh_burst: int = 2,
        refresh_interval: float = 30.0,
        retry: RetryPolicy | None = None,
        meter_provider: Any = None,
        tracer_provider: Any = None,
    ) -> None:
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be positive seconds, got {timeout!r}")
        self._ip_type = IPType.parse(ip_type)
        self._telemetry = Telemetry(meter_provider, tracer_provider)
        self._iam = bool(enable_iam_auth)
        self._strategy = RefreshStrategy.parse(refresh_strategy)
        self._timeout = float(timeout)
        self._server_port = server_port
        self._buffer = refresh_buffer
        self._burst, self._interval = refresh_burst, refresh_interval
        quota_project = quota_project or os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT")
        self._universe = universe_domain or _env_universe()
        endpoint = admin_api_endpoint or sqladmin_api_endpoint
        if admin_api_endpoint and sqladmin_api_endpoint and admin_api_endpoint != endpoint:
            raise ConfigurationError("pass admin_api_endpoint or sqladmin_api_endpoint, not both")
        if credentials is None:
            credentials = default_credentials(quota_project)
        if endpoint is None:
            # A custom endpoint is a deliberate choice (private endpoint, stand-in); only the
            # default one must agree with the credentials' universe.
            check_universe(credentials, self._universe)
            endpoint = f"https://sqladmin.{self._universe}"
        self._credentials = credentials
        self._tokens = TokenSource(credentials, self._timeout)
        self._login_tokens = TokenSource(login_credentials(credentials), self._timeout)
        self._client = AdminAPIClient(
            AdminClientConfig(
                endpoint=endpoint,
                user_agent=default_user_agent(user_agent),
                quota_project=quota_project,
                retry=retry or RetryPolicy(),
            ),
            self._tokens,
        )
        self._keys: concurrent.futures.Future[KeyPair] = start_key_generation()
        self._lock = threading.Lock()
        self._caches: dict[_CacheKey, RefreshCache] = {}
        self._listeners: dict[tuple[InstanceName, IPType, bool], LocalListener] = {}
        self._listener_starts: dict[
            tuple[InstanceName, IPType, bool], asyncio.Future[LocalListener]
        ] = {}
        self._listener_seq = itertools.count()
        self._public_listeners: list[LocalListener] = []
        self._listener_dir: str | None = None
        self._closed = False
        self._thread = LoopThread()
        self._pid = os.getpid()

    # ---------------------------------------------------------------- options and caches

    @property
    def admin_api(self) -> AdminAPIClient:
        return self._client

    @property
    def closed(self) -> bool:
        return self._closed

    def _ip_type_for(self, value: IPType | str | None) -> IPType:
        return self._ip_type if value is None else IPType.parse(value)

    def _iam_for(self, value: bool | None) -> bool:
        return self._iam if value is None else bool(value)

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedConnectorError(
                "this Connector was closed and refuses new connections: create a new Connector"
            )
        if self._pid != os.getpid():
            self._after_fork()

    def _after_fork(self) -> None:
        """In a forked child (gunicorn --preload, multiprocessing): the parent's loop thread,
        locks and sockets did not come along; start afresh, keeping options and key pair."""
        self._lock = threading.Lock()
        self._thread = LoopThread()
        self._caches = {}
        self._listeners = {}
        self._listener_starts = {}
        self._public_listeners = []
        self._listener_dir = None
        self._client.forget_session()
        self._tokens.after_fork()
        self._login_tokens.after_fork()
        if not self._keys.done():  # the generating thread stayed in the parent
            self._keys = start_key_generation()
        self._pid = os.getpid()

    def _cache(self, name: InstanceName, iam: bool) -> RefreshCache:
        key = (name, iam)
        cache = self._caches.get(key)
        if cache is not None:
            return cache
        with self._lock:
            if self._closed:
                self._check_open()
            cache = self._caches.get(key)
            if cache is None:

                def fetch(deadline: float) -> Awaitable[ConnectionInfo]:
                    return fetch_connection_info(
                        self._client,
                        name,
                        self._key_pair,
                        enable_iam_auth=iam,
                        login_tokens=self._login_tokens if iam else None,
                        deadline=deadline,
                    )

                cache = RefreshCache(
                    f"{name}",
                    fetch,
                    strategy=self._strategy,
                    limiter=TokenBucket(self._burst, self._interval),
                    buffer=self._buffer,
                    refresh_timeout=max(self._timeout, 30.0),
                    telemetry=self._telemetry,
                )
                self._caches[key] = cache
        return cache

    async def _key_pair(self) -> KeyPair:
        # shield: a cancelled refresh must not cancel the connector's one key generation.
        return await asyncio.shield(asyncio.wrap_future(self._keys))

    async def _get_info_on_loop(self, name: InstanceName, iam: bool) -> ConnectionInfo:
        cache = self._cache(name, iam)
        try:
            return await cache.get()
        except Exception as exc:
            if not is_transient(exc) and cache.current is None:
                # A wrong name, region or engine: forget it so the next connect asks again.
                with self._lock:
                    if self._caches.get((name, iam)) is cache:
                        del self._caches[(name, iam)]
                await cache.close()
            raise

    def _cached_info(self, name: InstanceName, iam: bool) -> ConnectionInfo | None:
        """The cached certificate when a connect may use it right now (no hop to the loop)."""
        self._check_open()
        cache = self._cache(name, iam)
        info = cache.current
        return info if cache.usable(info) else None

    def _info_sync(self, name: InstanceName, iam: bool | None, deadline: float) -> ConnectionInfo:
        iam = self._iam_for(iam)
        info = self._cached_info(name, iam)
        if info is not None:
            return info
        fut = self._thread.submit(self._get_info_on_loop(name, iam))
        try:
            return fut.result(timeout=max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise self._no_certificate(name) from None

    async def _info_async(
        self, name: InstanceName, iam: bool | None, deadline: float
    ) -> ConnectionInfo:
        iam = self._iam_for(iam)
        info = self._cached_info(name, iam)
        if info is not None:
            return info
        if self._thread.in_loop():
            coro: Awaitable[ConnectionInfo] = self._get_info_on_loop(name, iam)
        else:
            coro = asyncio.wrap_future(self._thread.submit(self._get_info_on_loop(name, iam)))
        try:
            return await asyncio.wait_for(coro, max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            raise self._no_certificate(name) from None

    def _no_certificate(self, name: InstanceName) -> ConnectTimeoutError:
        tokens = (self._tokens, self._login_tokens)
        return _no_certificate_in_time(name, self._client.endpoint, tokens)

    def _force_refresh(self, name: InstanceName, iam: bool) -> None:
        cache = self._caches.get((name, iam))
        if cache is not None and not self._closed:
            self._thread.call_soon(cache.force_refresh)

    # ---------------------------------------------------------------- dialling

    def _dial_sync(
        self,
        info: ConnectionInfo,
        ip_type: IPType,
        iam: bool,
        deadline: float,
        labels: dict[str, str],
    ) -> _VerifyingSSLSocket:
        host = info.address(ip_type)
        raw: socket.socket | None = None
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            raw = socket.create_connection((host, self._server_port), timeout=remaining)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            raw.settimeout(max(0.001, deadline - time.monotonic()))
            sock = info.context.wrap_socket(raw, server_hostname=None)
        except OSError as exc:  # TimeoutError, ssl errors and ServerIdentityError included
            if raw is not None:
                raw.close()
            self._force_refresh(info.name, iam)
            if isinstance(exc, ServerIdentityError):
                raise
            if isinstance(exc, TimeoutError):
                raise ConnectTimeoutError(
                    f"connecting to {info.name} at {host}:{self._server_port} did not finish "
                    "within the connect timeout"
                ) from exc
            raise ConnectError(
                f"could not connect to {info.name} at {host}:{self._server_port}: {exc}. Check "
                "that the address is reachable from here (ip_type) and the instance is running"
            ) from exc
        assert isinstance(sock, _VerifyingSSLSocket)
        sock.on_close = lambda: self._telemetry.open_connections.add(-1, labels)
        self._telemetry.open_connections.add(1, labels)
        return sock

    async def _open_stream(
        self,
        name: InstanceName,
        ip_type: IPType | str | None,
        iam: bool | None,
        deadline: float,
        labels: dict[str, str],
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """An asyncio stream to the instance over verified mTLS (used by the listener)."""
        iam_ = self._iam_for(iam)
        with self._measured(labels) as outcome:
            info = await self._info_async(name, iam_, deadline)
            host = info.address(self._ip_type_for(ip_type))
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        host,
                        self._server_port,
                        ssl=info.context,
                        server_hostname="",
                        limit=256 * 1024,
                    ),
                    max(0.0, deadline - time.monotonic()),
                )
            except ServerIdentityError:
                self._force_refresh(name, iam_)
                raise
            except asyncio.TimeoutError as exc:
                self._force_refresh(name, iam_)
                raise ConnectTimeoutError(
                    f"connecting to {name} at {host}:{self._server_port} timed out"
                ) from exc
            except OSError as exc:
                self._force_refresh(name, iam_)
                raise ConnectError(
                    f"could not connect to {name} at {host}:{self._server_port}: {exc}. Check "
                    "that the address is reachable from here (ip_type) and the instance is running"
                ) from exc
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            outcome.ok = True
            return reader, writer

    @contextlib.contextmanager
    def _measured(
        self, labels: dict[str, str], span_attrs: dict[str, str] | None = None
    ) -> Iterator[_Outcome]:
        """Count and time one dial (``dial_count``/``dial_latency`` labelled with the status)
        and, with ``span_attrs``, trace it as a ``dbtools.connector.connect`` span (which
        records an escaping exception itself)."""
        started = time.monotonic()
        outcome = _Outcome()
        try:
            if span_attrs is None:
                yield outcome
            else:
                with self._telemetry.tracer.start_as_current_span(
                    "dbtools.connector.connect", attributes={**labels, **span_attrs}
                ):
                    yield outcome
        finally:
            attrs = {**labels, "status": "ok" if outcome.ok else "error"}
            self._telemetry.dial_count.add(1, attrs)
            self._telemetry.dial_latency.record((time.monotonic() - started) * 1000, attrs)

    # ---------------------------------------------------------------- public API

    def _prepare(
        self, instance: str, driver: str, kwargs: dict[str, Any]
    ) -> tuple[InstanceName, Driver, IPType, bool, float, dict[str, Any]]:
        self._check_open()
        name = InstanceName.parse(instance)
        spec = lookup(driver)
        ip_type = self._ip_type_for(kwargs.pop("ip_type", None))
        iam = self._iam_for(kwargs.pop("enable_iam_auth", None))
        timeout = float(kwargs.pop("timeout", self._timeout))
        for dropped in ("host", "port", "ssl", "sslmode", "unix_sock", "sock"):
            if dropped in kwargs:
                raise ConfigurationError(
                    f"{dropped}= is set by the connector (it dials the instance itself); "
                    "remove it from the connect arguments"
                )
        return name, spec, ip_type, iam, time.monotonic() + timeout, normalize_kwargs(spec, kwargs)

    def _check_engine(self, info: ConnectionInfo, spec: Driver) -> None:
        if info.engine != spec.engine:
            raise IncompatibleDriverError(
                f"driver {spec.name!r} speaks {spec.engine} but instance {info.name} runs "
                f"{info.database_version}: use a {info.engine} driver "
                f"({', '.join(self._drivers_for(info.engine)) or 'none supported'})"
            )

    @staticmethod
    def _drivers_for(engine: str) -> list[str]:
        from .drivers import DRIVERS

        return sorted(d.name for d in DRIVERS.values() if d.engine == engine)

    def _default_user(self, info: ConnectionInfo, iam: bool, kwargs: dict[str, Any]) -> None:
        if iam and not kwargs.get("user"):
            email = service_account_email(self._credentials)
            if email is None:
                raise ConfigurationError(
                    "enable_iam_auth needs user= (the IAM database user, e.g. "
                    "'sa@project.iam' on PostgreSQL) when the credentials do not name a "
                    "service account"
                )
            kwargs["user"] = iam_db_user(email, info.engine)

    def connect(self, instance: str, driver: str, **kwargs: Any) -> Any:
        """Open a DB-API connection (pg8000, pymysql, psycopg) to `instance`.

        Thread-safe and parallel: the TCP and TLS work happens in the calling thread, so
        concurrent connects from many threads do not queue behind each other.
        Keyword arguments go to the driver (user, password, db/database/dbname, ...), except
        ``ip_type``, ``enable_iam_auth`` and ``timeout``, which override the connector's.
        """
        name, spec, ip_type, iam, deadline, kwargs = self._prepare(instance, driver, kwargs)
        if not spec.sync:
            raise ConfigurationError(
                f"{spec.name} is an asyncio driver: use `await connector.connect_async(...)`"
            )
        module = load(spec)
        labels = {"instance": str(name), "driver": spec.name}
        with self._measured(labels, {"ip_type": ip_type.name}) as outcome:
            info = self._info_sync(name, iam, deadline)
            self._check_engine(info, spec)
            self._default_user(info, iam, kwargs)
            if spec.transport == "listener":
                conn = self._connect_via_listener_sync(module, name, ip_type, iam, deadline, kwargs)
            else:
                sock = self._dial_sync(info, ip_type, iam, deadline, labels)
                conn = self._driver_over_socket(spec, module, info, iam, sock, deadline, kwargs)
            outcome.ok = True
            return conn

    def _driver_over_socket(
        self,
        spec: Driver,
        module: Any,
        info: ConnectionInfo,
        iam: bool,
        sock: _VerifyingSSLSocket,
        deadline: float,
        kwargs: dict[str, Any],
    ) -> Any:
        # Drivers' own timeouts are per read; the watchdog enforces the end-to-end deadline.
        fired = threading.Event()

        def cut() -> None:
            fired.set()
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        ticket = WATCHDOG.schedule(deadline, cut)
        try:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            if spec.name == "pg8000":
                # The socket is already TLS: without ssl_context=False pg8000 would send an
                # SSLRequest inside it and build a default SSL context (~20 ms) every time.
                kwargs.setdefault("ssl_context", False)
                conn = module.connect(sock=sock, **kwargs)
            else:  # pymysql
                conn = module.Connection(host=sock.getpeername()[0], defer_connect=True, **kwargs)
                conn.connect(sock)
            sock.settimeout(kwargs.get("read_timeout") if spec.name == "pymysql" else None)
            return conn
        except BaseException as exc:
            sock.close()
            # The server may have refused the certificate only now (TLS 1.3 reports client
            # certificate problems after the handshake): get a fresh one for the next try.
            self._force_refresh(info.name, iam)
            if fired.is_set() or time.monotonic() >= deadline:
                raise ConnectTimeoutError(
                    f"the {spec.name} login to {info.name} at {sock_peer(sock)} did not finish "
                    "within the connect timeout: the server accepted the connection but did not "
                    "complete the login"
                ) from exc
            raise
        finally:
            WATCHDOG.cancel(ticket)

    async def connect_async(self, instance: str, driver: str, **kwargs: Any) -> Any:
        """Open an asyncio connection (asyncpg, psycopg's AsyncConnection) on the running loop.

        Works on any event loop, not only the connector's.
        """
        name, spec, ip_type, iam, deadline, kwargs = self._prepare(instance, driver, kwargs)
        if not spec.async_:
            raise ConfigurationError(
                f"{spec.name} is a blocking driver: use connector.connect(...) (in a thread "
                "executor from async code)"
            )
        module = load(spec)
        labels = {"instance": str(name), "driver": spec.name}
        with self._measured(labels, {"ip_type": ip_type.name}) as outcome:
            info = await self._info_async(name, iam, deadline)
            self._check_engine(info, spec)
            self._default_user(info, iam, kwargs)
            remaining = max(0.001, deadline - time.monotonic())
            if spec.transport == "listener":
                host, port = await self._listener_address_async(name, ip_type, iam)
                coro = module.AsyncConnection.connect(
                    host=host,
                    port=port,
                    connect_timeout=_libpq_timeout(remaining),
                    sslmode="disable",
                    **kwargs,
                )
            else:
                coro = self._asyncpg_connect(module, info, ip_type, iam, remaining, kwargs, labels)
            try:
                conn = await asyncio.wait_for(coro, remaining)
            except module_errors(module) as exc:
                _raise_listener_failure(exc)
                raise
            except asyncio.TimeoutError as exc:
                where = f"{info.address(ip_type)}:{self._server_port}"
                raise ConnectTimeoutError(
                    f"connecting to {name} at {where} with {spec.name} did not finish within "
                    "the connect timeout"
                ) from exc
            outcome.ok = True
            return conn

    async def _asyncpg_connect(
        self,
        module: Any,
        info: ConnectionInfo,
        ip_type: IPType,
        iam: bool,
        remaining: float,
        kwargs: dict[str, Any],
        labels: dict[str, str],
    ) -> Any:
        host = info.address(ip_type)
        try:
            conn = await module.connect(
                host=host,
                port=self._server_port,
                ssl=info.context,
                direct_tls=True,
                timeout=remaining,
                **kwargs,
            )
        except ServerIdentityError:
            self._force_refresh(info.name, iam)
            raise
        except (OSError, asyncio.TimeoutError) as exc:
            self._force_refresh(info.name, iam)
            where = f"{host}:{self._server_port}"
            if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
                raise ConnectTimeoutError(
                    f"connecting to {info.name} at {where} did not finish within the connect "
                    "timeout"
                ) from exc
            raise ConnectError(
                f"could not connect to {info.name} at {where}: {exc}. Check that the address is "
                "reachable from here (ip_type) and the instance is running"
            ) from exc
        self._telemetry.open_connections.add(1, labels)
        conn.add_termination_listener(lambda _c: self._telemetry.open_connections.add(-1, labels))
        return conn

    # ---------------------------------------------------------------- listeners

    def _listener_key(
        self, name: InstanceName, ip_type: IPType, iam: bool
    ) -> tuple[InstanceName, IPType, bool]:
        return (name, ip_type, iam)

    async def _listener_address_async(
        self, name: InstanceName, ip_type: IPType, iam: bool
    ) -> tuple[str, int]:
        if not self._thread.in_loop():
            return await asyncio.wrap_future(
                self._thread.submit(self._listener_address_async(name, ip_type, iam))
            )
        key = self._listener_key(name, ip_type, iam)
        listener = self._listeners.get(key)
        if listener is None:
            # One start per key, awaited by every concurrent first connect: separate starts
            # would race for one socket path, and a loser's close would delete the winner's
            # socket file. This runs on the connector's loop, so the check-and-set is atomic.
            starting = self._listener_starts.get(key)
            if starting is None:
                starting = asyncio.ensure_future(self._start_private_listener(key))
                self._listener_starts[key] = starting
                starting.add_done_callback(self._listener_started)
            # shield: a caller that gives up (its deadline) must not cancel the others' start.
            listener = await asyncio.shield(starting)
        if listener.unix_path is not None:
            return str(listener.unix_path.parent), 5432
        assert listener.port is not None
        return listener.host, listener.port

    async def _start_private_listener(
        self, key: tuple[InstanceName, IPType, bool]
    ) -> LocalListener:
        name, ip_type, iam = key
        if os.name == "posix":
            if self._listener_dir is None:
                self._listener_dir = tempfile.mkdtemp(prefix="dbtc-")
            # A fresh directory per start, never reused: a failed start leaves nothing behind
            # that a later one could trip over.
            path = os.path.join(self._listener_dir, str(next(self._listener_seq)), ".s.PGSQL.5432")
            listener = LocalListener(
                self, str(name), unix_socket_path=path, ip_type=ip_type, enable_iam_auth=iam
            )
        else:
            listener = LocalListener(self, str(name), port=0, ip_type=ip_type, enable_iam_auth=iam)
        try:
            await listener.start()
        except BaseException:
            await listener.close()
            raise
        if self._closed:  # closed while starting: do not leave a listener nobody will close
            await listener.close()
            self._check_open()
        self._listeners[key] = listener
        return listener

    def _listener_started(self, task: asyncio.Future[LocalListener]) -> None:
        for key, pending in list(self._listener_starts.items()):
            if pending is task:
                del self._listener_starts[key]  # a failed start is retried by the next connect
        if not task.cancelled():
            task.exception()  # retrieved: every waiter already got it, or none is left

    def _connect_via_listener_sync(
        self,
        module: Any,
        name: InstanceName,
        ip_type: IPType,
        iam: bool,
        deadline: float,
        kwargs: dict[str, Any],
    ) -> Any:
        key = self._listener_key(name, ip_type, iam)
        listener = self._listeners.get(key)
        if listener is not None and listener.unix_path is not None:
            host, port = str(listener.unix_path.parent), 5432
        elif listener is not None and listener.port is not None:
            host, port = listener.host, listener.port
        else:
            fut = self._thread.submit(self._listener_address_async(name, ip_type, iam))
            try:
                host, port = fut.result(timeout=max(0.0, deadline - time.monotonic()))
            except concurrent.futures.TimeoutError:
                fut.cancel()
                raise ConnectTimeoutError(
                    f"connecting to {name}: the in-process listener did not start within the "
                    "connect timeout"
                ) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ConnectTimeoutError(f"connecting to {name}: no time left for the psycopg login")
        try:
            return module.connect(
                host=host,
                port=port,
                connect_timeout=_libpq_timeout(remaining),
                sslmode="disable",
                **kwargs,
            )
        except module.OperationalError as exc:
            _raise_listener_failure(exc)
            if time.monotonic() >= deadline:
                raise ConnectTimeoutError(
                    f"connecting to {name} with psycopg did not finish within the connect timeout"
                ) from exc
            raise

    def start_listener(
        self,
        instance: str,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        unix_socket_dir: str | os.PathLike[str] | None = None,
        ip_type: IPType | str | None = None,
        enable_iam_auth: bool | None = None,
        max_connections: int = 0,
    ) -> LocalListener:
        """Start a local listener on the connector's loop (sync code, CLIs). ``port=0`` picks a
        free port (see ``.port``). It stops with ``stop_listener`` or when the connector closes."""
        self._check_open()
        listener = LocalListener(
            self,
            instance,
            host=host,
            port=port,
            unix_socket_dir=unix_socket_dir,
            ip_type=ip_type,
            enable_iam_auth=enable_iam_auth,
            max_connections=max_connections,
        )
        self._thread.submit(listener.start()).result(timeout=self._timeout + 5)
        with self._lock:
            self._public_listeners.append(listener)
        return listener

    def stop_listener(self, listener: LocalListener, drain_timeout: float = 0.0) -> None:
        self._thread.submit(listener.close(drain_timeout=drain_timeout)).result(
            timeout=drain_timeout + 10
        )
        with self._lock:
            if listener in self._public_listeners:
                self._public_listeners.remove(listener)

    # ---------------------------------------------------------------- lifecycle

    async def _close_on_loop(self) -> None:
        listeners = list(self._listeners.values()) + list(self._public_listeners)
        for listener in listeners:
            await listener.close()
        for cache in list(self._caches.values()):
            await cache.close()
        await self._client.close()

    def close(self) -> None:
        """Refuse new connections, stop refreshing and listening. Open DB connections made by
        drivers stay open (they belong to the application)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread.in_loop():
            raise ConfigurationError("close() cannot run on the connector's own loop")
        try:
            self._thread.submit(self._close_on_loop()).result(timeout=10)
        except Exception:
            pass
        self._thread.stop()
        if self._listener_dir is not None:
            import shutil

            shutil.rmtree(self._listener_dir, ignore_errors=True)

    async def close_async(self) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Connector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_async()


def _no_certificate_in_time(
    name: InstanceName, endpoint: str, tokens: tuple[TokenSource, ...] = ()
) -> ConnectTimeoutError:
    waiting = next((t for t in tokens if t.in_trouble()), None)
    if waiting is not None:
        culprit = f"a token refresh at {token_endpoint(waiting.credentials)}"
    else:
        culprit = f"the Cloud SQL Admin API at {endpoint}"
    return ConnectTimeoutError(
        f"no certificate for {name} within the connect timeout: still waiting for {culprit}; "
        "check network access to it (raise timeout= if it is just slow)"
    )


def module_errors(module: Any) -> type[BaseException] | tuple[type[BaseException], ...]:
    """The driver's connection-failure exception type (psycopg: OperationalError)."""
    return getattr(module, "OperationalError", ())


def _libpq_timeout(remaining: float) -> int:
    """libpq's connect_timeout (whole seconds, at least 2) for a login through the listener:
    a second past our deadline, so that the listener's own report of a timeout, which names
    the instance's address, reaches the client before libpq gives up on its own."""
    return max(2, int(remaining + 1.999))


def sock_peer(sock: socket.socket) -> str:
    """host:port of a connected socket, for messages (the peer may be gone already)."""
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return "the instance"
    return f"{host}:{port}"


def _raise_listener_failure(exc: BaseException) -> None:
    """When the listener reported the failure (in-protocol, as text), raise it as the
    connector error it was, chained to the driver's exception; else return."""
    parsed = wire.parse_failure(str(exc))
    if parsed is None:
        return
    kind, message = parsed
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, ConnectorError):
        raise cls(message) from exc


async def create_async_connector(**kwargs: Any) -> Connector:
    """Build a Connector from async code (key generation and ADC lookup happen off the loop)."""
    return await asyncio.to_thread(lambda: Connector(**kwargs))
