"""One refresh: ask the Admin API for the instance's settings and a client certificate, check
them, and turn them into what a dial needs (addresses, a TLS context, an expiry)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from .admin_api import AdminAPIClient
from .auth import TokenSource
from .errors import (
    AdminAPIError,
    ExpiredCertificateError,
    IAMAuthNotSupportedError,
    IPTypeNotFoundError,
    RegionMismatchError,
)
from .identity import ServerIdentity
from .instance import IAM_ENGINES, InstanceName, engine_of
from .keys import KeyPair
from .options import IPType
from .tls import InstanceSSLContext, make_context


@dataclass(frozen=True)
class ConnectionInfo:
    name: InstanceName
    database_version: str
    engine: str
    addresses: dict[IPType, str]
    context: InstanceSSLContext
    expiry: dt.datetime  # UTC; the client cert's notAfter, capped at the IAM token's expiry
    issued_mono: float  # time.monotonic() when it was fetched
    expiry_mono: float  # time.monotonic() at which it expires

    def address(self, ip_type: IPType) -> str:
        order = IPType.auto_order() if ip_type is IPType.AUTO else (ip_type,)
        for candidate in order:
            if candidate in self.addresses:
                return self.addresses[candidate]
        have = ", ".join(t.name for t in self.addresses) or "none"
        raise IPTypeNotFoundError(
            f"instance {self.name} has no {ip_type.name} address (it has: {have}); pass "
            "ip_type= one of those, or 'auto' to take the first available"
        )

    def remaining(self, now: float | None = None) -> float:
        return self.expiry_mono - (time.monotonic() if now is None else now)

    @property
    def lifetime(self) -> float:
        return self.expiry_mono - self.issued_mono


def parse_addresses(settings: dict[str, Any]) -> dict[IPType, str]:
    found: dict[IPType, str] = {}
    for entry in settings.get("ipAddresses") or []:
        kind, ip = entry.get("type"), entry.get("ipAddress")
        if not ip:
            continue
        if kind == "PRIMARY":
            found.setdefault(IPType.PUBLIC, ip)
        elif kind == "PRIVATE":
            found.setdefault(IPType.PRIVATE, ip)
    if settings.get("pscEnabled"):
        psc = psc_dns_names(settings)
        if psc:
            found[IPType.PSC] = psc[0]
    return found


def psc_dns_names(settings: dict[str, Any]) -> list[str]:
    names = [
        str(d["name"]).rstrip(".")
        for d in settings.get("dnsNames") or []
        if d.get("name") and d.get("connectionType") == "PRIVATE_SERVICE_CONNECT"
    ]
    names.sort(key=lambda n: not n.endswith(".sql-psc.goog"))  # stable: preferred names first
    if not names and settings.get("dnsName"):
        names.append(str(settings["dnsName"]).rstrip("."))
    return names


LEGACY_CA_MODE = "GOOGLE_MANAGED_INTERNAL_CA"  # per-instance CA, identity in the CN


def identity_for(name: InstanceName, settings: dict[str, Any]) -> ServerIdentity:
    dns = [str(d["name"]).rstrip(".") for d in settings.get("dnsNames") or [] if d.get("name")]
    if settings.get("dnsName"):
        dns.append(str(settings["dnsName"]).rstrip("."))
    mode = str(settings.get("serverCaMode") or LEGACY_CA_MODE)
    return ServerIdentity(name.server_cn, tuple(dict.fromkeys(dns)), mode != LEGACY_CA_MODE)


def check_settings(name: InstanceName, settings: dict[str, Any], enable_iam_auth: bool) -> str:
    """Validate connectSettings against what was asked; returns the engine."""
    region = settings.get("region")
    if region and region != name.region:
        raise RegionMismatchError(
            f"instance {name.project}:{name.instance} is in region {region!r}, not "
            f"{name.region!r}: use the connection name '{name.project}:{region}:{name.instance}'"
        )
    version = str(settings.get("databaseVersion") or "")
    engine = engine_of(version)
    if enable_iam_auth and engine not in IAM_ENGINES:
        raise IAMAuthNotSupportedError(
            f"automatic IAM database authentication is not available for {version or engine} "
            f"(instance {name}); it works with PostgreSQL and MySQL: connect with "
            "enable_iam_auth=False and a database user and password"
        )
    backend = settings.get("backendType")
    if backend and backend != "SECOND_GEN":
        raise AdminAPIError(
            f"instance {name} has backend type {backend!r}; only SECOND_GEN instances accept "
            "connector connections"
        )
    return engine


def client_cert_expiry(name: InstanceName, pem: str, now: dt.datetime) -> dt.datetime:
    """The ephemeral certificate's notAfter; an already-expired one is refused here, before any
    dial (the server would only reject it in the TLS handshake, and drivers then report a
    closed connection rather than the reason)."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise AdminAPIError(
            f"the Admin API returned an unreadable client certificate for {name}: {exc}"
        ) from exc
    not_after = cert.not_valid_after_utc
    if not_after <= now:
        raise ExpiredCertificateError(
            f"the Admin API issued a client certificate for {name} that had already expired "
            f"(valid until {not_after.isoformat()}, this machine's clock says "
            f"{now.isoformat(timespec='seconds')}); check the system clock, then retry"
        )
    return not_after


async def fetch_connection_info(
    client: AdminAPIClient,
    name: InstanceName,
    keys: Callable[[], Awaitable[KeyPair]],
    *,
    enable_iam_auth: bool,
    login_tokens: TokenSource | None,
    deadline: float,
) -> ConnectionInfo:
    # connectSettings needs no key: it runs while the key pair may still be generating.
    settings_call = asyncio.ensure_future(client.connect_settings(name, deadline=deadline))
    token_expiry: dt.datetime | None = None

    async def ephemeral_cert() -> dict[str, Any]:
        nonlocal token_expiry
        login_token: str | None = None
        if enable_iam_auth and login_tokens is not None:
            key_pair, (login_token, token_expiry) = await asyncio.gather(
                keys(), login_tokens.token()
            )
        else:
            key_pair = await keys()
        return await client.generate_ephemeral_cert(
            name, key_pair.public_pem, login_token=login_token, deadline=deadline
        )

    cert_call = asyncio.ensure_future(ephemeral_cert())
    try:
        settings = await settings_call
        engine = check_settings(name, settings, enable_iam_auth)
        cert_reply = await cert_call
    finally:
        for call in (settings_call, cert_call):
            if not call.done():
                call.cancel()
    key_pair = await keys()
    cert_pem = (cert_reply.get("ephemeralCert") or {}).get("cert")
    ca_pem = (settings.get("serverCaCert") or {}).get("cert")
    if not cert_pem or not ca_pem:
        raise AdminAPIError(
            f"the Admin API answer for {name} lacks the client or server CA certificate"
        )
    expiry = client_cert_expiry(name, cert_pem, dt.datetime.now(dt.timezone.utc))
    if token_expiry is not None and token_expiry < expiry:
        expiry = token_expiry  # the server stops accepting the login with the token
    context = await asyncio.to_thread(
        make_context,
        server_ca_pem=ca_pem,
        client_cert_pem=cert_pem,
        private_key_pem=key_pair.private_pem,
        identity=identity_for(name, settings),
        min_tls13=enable_iam_auth,
    )
    wall_left = (expiry - dt.datetime.now(dt.timezone.utc)).total_seconds()
    now = time.monotonic()
    return ConnectionInfo(
        name=name,
        database_version=str(settings.get("databaseVersion") or ""),
        engine=engine,
        addresses=parse_addresses(settings),
        context=context,
        expiry=expiry,
        issued_mono=now,
        expiry_mono=now + wall_left,
    )
