"""The emulator: Admin API + one proxy per instance, run in process.

`serve(config)` runs it on a background thread (sync façade); `serve_async(config)` runs it on
the caller's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import web

from .admin import AdminCall, build_app
from .ca import InstanceCertificates, sha1_fingerprint
from .config import ALL_SCOPES, Config, Instance
from .errors import AddressInUseError, UnknownInstanceError
from .faults import Faults
from .proxy import GrantBook, InstanceProxy
from .tokens import TokenStore

_RANDOM_ADDRESS_TRIES = 40


def random_loopback(rng: random.Random | None = None) -> str:
    """A random address in 127.0.0.0/8 other than 127.0.0.1 (two runs rarely collide)."""
    r = rng or random.SystemRandom()
    return f"127.{r.randint(1, 254)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


@dataclass
class ServedInstance:
    """A running instance: its config, certificates, addresses and proxy."""

    instance: Instance
    certs: InstanceCertificates
    proxy: InstanceProxy
    ip_addresses: dict[str, str]

    @property
    def connection_name(self) -> str:
        return self.instance.connection_name

    @property
    def ip_address(self) -> str:
        """The PRIMARY address (else the first one) where the proxy listens on :3307."""
        return self.ip_addresses.get("PRIMARY") or next(iter(self.ip_addresses.values()))

    @property
    def port(self) -> int:
        return self.instance.port

    @property
    def server_ca_pem(self) -> str:
        return self.certs.server_ca_pem

    @property
    def dns_name(self) -> str:
        return self.instance.effective_dns_name

    @property
    def open_connections(self) -> int:
        return self.proxy.open_connections

    @property
    def accepted_connections(self) -> int:
        """TCP connections the proxy has accepted since it started (open or not)."""
        return self.proxy.accepted

    def close_connections(self) -> int:
        """Drop all open proxied connections (from any thread is not safe: use Emulator's)."""
        return self.proxy.close_connections()

    def connect_settings(self) -> dict[str, Any]:
        inst = self.instance
        ca = self.certs.server_ca_cert
        ip_list = [{"type": t, "ipAddress": a} for t, a in self.ip_addresses.items() if t != "PSC"]
        body: dict[str, Any] = {
            "kind": "sql#connectSettings",
            "serverCaCert": {
                "kind": "sql#sslCert",
                "certSerialNumber": str(ca.serial_number),
                "cert": self.certs.server_ca_pem,
                "commonName": ca.subject.rfc4514_string(),
                "sha1Fingerprint": sha1_fingerprint(ca),
                "instance": inst.name,
                "createTime": _iso(ca.not_valid_before_utc),
                "expirationTime": _iso(ca.not_valid_after_utc),
            },
            "ipAddresses": ip_list,
            "region": inst.region,
            "databaseVersion": inst.database_version,
            "backendType": "SECOND_GEN",
            "serverCaMode": inst.server_ca_mode,
            "pscEnabled": "PSC" in self.ip_addresses,
        }
        dns_names = []
        if inst.is_cas:
            body["dnsName"] = inst.effective_dns_name + "."
            dns_names.append(
                {
                    "name": inst.effective_dns_name + ".",
                    "connectionType": "PUBLIC",
                    "dnsScope": "INSTANCE",
                }
            )
        if "PSC" in self.ip_addresses:
            # The connector dials the PSC DNS name; a loopback literal needs no resolver.
            psc = self.ip_addresses["PSC"]
            dns_names.insert(
                0,
                {"name": psc, "connectionType": "PRIVATE_SERVICE_CONNECT", "dnsScope": "INSTANCE"},
            )
            body.setdefault("dnsName", psc)
        if dns_names:
            body["dnsNames"] = dns_names
        return body


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Emulator:
    """A running cloudsql-local. Create with `serve()` / `serve_async()`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.faults = Faults()
        self.tokens = TokenStore(config)
        self.grants = GrantBook()
        self._served: dict[str, ServedInstance] = {}
        self._calls: list[AdminCall] = []
        self._calls_lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._folder: Path | None = None
        self._port = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._folder = Path(tempfile.mkdtemp(prefix="cloudsql-local-"))
        try:
            for inst in self.config.instances:
                await self._start_instance(inst)
            self._runner = web.AppRunner(build_app(self), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(
                self._runner, self.config.admin_host, self.config.admin_port, reuse_address=True
            )
            await site.start()
            self._port = int(self._runner.addresses[0][1])
        except BaseException:
            await self.stop()
            raise

    async def _start_instance(self, inst: Instance) -> None:
        assert self._folder is not None
        certs = await asyncio.to_thread(
            InstanceCertificates.create,
            inst.project,
            inst.name,
            inst.is_cas,
            inst.effective_dns_name,
        )
        folder = self._folder / f"i{len(self._served)}"
        folder.mkdir()
        proxy = InstanceProxy(
            inst, certs, self.faults, self.grants, folder, self.config.backend_timeout
        )
        addresses: dict[str, str] = {}
        wanted = list(dict.fromkeys([*inst.ip_addresses, *inst.ip_types]))
        try:
            for ip_type in wanted:
                fixed = inst.ip_addresses.get(ip_type)
                addresses[ip_type] = await self._listen(proxy, fixed, addresses.values())
        except BaseException:
            await proxy.close()
            raise
        self._served[inst.connection_name] = ServedInstance(inst, certs, proxy, addresses)

    async def _listen(self, proxy: InstanceProxy, fixed: str | None, taken: Any) -> str:
        if fixed is not None:
            if fixed in taken:
                return fixed
            try:
                await proxy.listen(fixed)
            except OSError as exc:
                raise AddressInUseError(
                    f"{proxy.instance.connection_name}: cannot listen on {fixed}:"
                    f"{proxy.instance.port} ({exc.strerror}); pick another 127.x.y.z address "
                    "or leave ip_addresses empty to get a random free one"
                ) from exc
            return fixed
        for _ in range(_RANDOM_ADDRESS_TRIES):
            address = random_loopback()
            try:
                await proxy.listen(address)
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                    continue
                raise
            return address
        raise AddressInUseError(
            f"{proxy.instance.connection_name}: found no free loopback address for port "
            f"{proxy.instance.port} after {_RANDOM_ADDRESS_TRIES} tries"
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for served in self._served.values():
            await served.proxy.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    # --- what tests use ---------------------------------------------------------------------

    @property
    def admin_url(self) -> str:
        """Base URL for the connector's `sqladmin_api_endpoint` option."""
        return f"http://{self.config.admin_host}:{self._port}"

    @property
    def token_uri(self) -> str:
        return self.admin_url + "/token"

    @property
    def instances(self) -> list[ServedInstance]:
        return list(self._served.values())

    def instance(self, connection_name: str) -> ServedInstance:
        try:
            return self._served[connection_name]
        except KeyError:
            raise UnknownInstanceError(
                f"cloudsql-local serves no instance {connection_name!r}; configured: "
                f"{', '.join(self._served) or 'none'}"
            ) from None

    def _find(self, project: str, name: str) -> ServedInstance | None:
        for served in self._served.values():
            if served.instance.project == project and served.instance.name == name:
                return served
        return None

    def credentials(
        self,
        principal: str = "tester@cloudsql-local.iam.gserviceaccount.com",
        scopes: list[str] | None = None,
    ) -> Any:
        """google-auth user credentials for `principal`, refreshed at this emulator's token
        endpoint. The tokens they get are accepted by the Admin API and, down-scoped to
        sqlservice.login, for IAM database login as `principal`."""
        return remote_credentials(
            self.admin_url, self.tokens.add_refresh_token(principal), scopes=scopes
        )

    def token_credentials(
        self,
        principal: str = "tester@cloudsql-local.iam.gserviceaccount.com",
        scopes: tuple[str, ...] = ALL_SCOPES,
    ) -> Any:
        """google-auth credentials holding a fresh token that never needs a refresh.

        For a connector on the same event loop as `serve_async()`: the official connector
        refreshes credentials synchronously on its loop, which would block the token endpoint.
        (IAM login needs a refresh, so it needs `serve()` or `credentials()`.)
        """
        from google.oauth2.credentials import Credentials

        return Credentials(token=self.access_token(principal, scopes))

    def access_token(
        self,
        principal: str = "tester@cloudsql-local.iam.gserviceaccount.com",
        scopes: tuple[str, ...] = ALL_SCOPES,
    ) -> str:
        """A fresh bearer token (valid for the config's token lifetime)."""
        token, _ = self.tokens.add_access_token(principal, scopes)
        return token

    @property
    def admin_calls(self) -> list[AdminCall]:
        """Every Admin API call so far (operation, instance, status, principal, user agent)."""
        with self._calls_lock:
            return list(self._calls)

    def _record(self, call: AdminCall) -> None:
        with self._calls_lock:
            self._calls.append(call)

    def close_connections(self, connection_name: str | None = None) -> int:
        """Drop the open proxied connections of one instance (or all); thread-safe."""
        targets = [self.instance(connection_name)] if connection_name else self.instances

        def drop() -> int:
            return sum(s.proxy.close_connections() for s in targets)

        loop = self._loop
        if loop is None:
            return 0
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return drop()
        fut: Future[int] = Future()

        def run() -> None:
            try:
                fut.set_result(drop())
            except BaseException as exc:
                fut.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return fut.result(timeout=10)


def remote_credentials(admin_url: str, refresh_token: str, scopes: list[str] | None = None) -> Any:
    """google-auth credentials for an emulator started elsewhere (e.g. by the CLI): a refresh
    token from its config (`[refresh_tokens]`) or printed by `--principal`."""
    from google.oauth2.credentials import Credentials

    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=admin_url.rstrip("/") + "/token",
        client_id="cloudsql-local",
        client_secret="cloudsql-local",
        scopes=scopes,
    )


@contextlib.asynccontextmanager
async def serve_async(config: Config) -> AsyncIterator[Emulator]:
    """Run the emulator on the current event loop."""
    emu = Emulator(config)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@contextlib.contextmanager
def serve(config: Config) -> Iterator[Emulator]:
    """Run the emulator on a background thread with its own event loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="cloudsql-local", daemon=True)
    thread.start()
    emu = Emulator(config)
    try:
        asyncio.run_coroutine_threadsafe(emu.start(), loop).result()
        yield emu
    finally:
        try:
            asyncio.run_coroutine_threadsafe(emu.stop(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
