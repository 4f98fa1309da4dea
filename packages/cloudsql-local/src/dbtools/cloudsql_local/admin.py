"""The Cloud SQL Admin API endpoints connectors call, plus an OAuth token endpoint.

- GET  /sql/{v1|v1beta4}/projects/{p}/instances/{i}/connectSettings
- POST /sql/{v1|v1beta4}/projects/{p}/instances/{i}:generateEphemeralCert
- GET  /sql/{v1|v1beta4}/locations/{region}/dns/{name}:resolveConnectSettings
- POST /token  (grant_type=refresh_token, as google-auth user credentials send it)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .ca import InvalidPublicKeyError, pem, sha1_fingerprint
from .config import ADMIN_SCOPES, SCOPE_SQL_LOGIN
from .faults import status_name
from .proxy import Grant
from .tokens import AccessToken

if TYPE_CHECKING:
    from .server import Emulator, ServedInstance

_VERSIONS = ("v1", "v1beta4")


@dataclass(frozen=True)
class AdminCall:
    """One Admin API request, as the emulator saw it (for tests: `emu.admin_calls`)."""

    operation: str
    connection_name: str | None
    status: int
    principal: str | None
    user_agent: str
    quota_project: str | None = None  # the x-goog-user-project header


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _rfc3339(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "status": status_name(status),
            "errors": [{"message": message, "domain": "global", "reason": status_name(status)}],
        }
    }


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", charset="utf-8"
    )


def build_app(emu: Emulator) -> web.Application:
    app = web.Application()
    api = _AdminApi(emu)
    app.router.add_get("/sql/{version}/projects/{project}/instances/{rest:.+}", api.get_instance)
    app.router.add_post("/sql/{version}/projects/{project}/instances/{rest:.+}", api.post_instance)
    app.router.add_get("/sql/{version}/locations/{region}/dns/{rest:.+}", api.resolve)
    app.router.add_post("/token", api.token)
    return app


class _AdminApi:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def _handle(
        self,
        request: web.Request,
        operation: str,
        connection_name: str | None,
        work: Callable[[AccessToken | None], Awaitable[dict[str, Any]]],
    ) -> web.Response:
        faults = self.emu.faults
        delay = faults.latency
        if connection_name is not None:
            delay += self.emu.instance(connection_name).instance.latency
        if delay:
            await asyncio.sleep(delay)
        principal = None
        try:
            if request.match_info.get("version") not in _VERSIONS:
                raise ApiError(404, f"API version {request.match_info.get('version')} not found")
            token = self._authenticate(request)
            principal = token.principal if token else None
            injected = faults.take_admin_failure(operation)
            if injected is not None:
                raise ApiError(*injected)
            body = await work(token)
            status = 200
            response = _json(200, body)
        except ApiError as exc:
            status = exc.status
            response = _json(exc.status, error_body(exc.status, exc.message))
        self.emu._record(
            AdminCall(
                operation,
                connection_name,
                status,
                principal,
                request.headers.get("User-Agent", ""),
                request.headers.get("x-goog-user-project"),
            )
        )
        return response

    def _authenticate(self, request: web.Request) -> AccessToken | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token (Authorization: Bearer <token>).",
            )
        if not self.emu.config.require_auth:
            return None
        token = self.emu.tokens.lookup(value.strip())
        if token is None or token.expired():
            raise ApiError(
                401,
                "Request had invalid authentication credentials: the access token is "
                f"{'expired' if token else 'unknown to cloudsql-local'}.",
            )
        if not token.scopes & ADMIN_SCOPES:
            raise ApiError(
                403,
                "Request had insufficient authentication scopes: the Admin API needs "
                "cloud-platform or sqlservice.admin.",
            )
        return token

    def _instance(self, project: str, rest: str, suffix: str) -> tuple[ServedInstance, str]:
        name = rest[: -len(suffix)] if rest.endswith(suffix) else None
        if not name or "/" in name:
            raise ApiError(404, f"Unknown Admin API method: instances/{rest}")
        served = self.emu._find(project, name)
        if served is None:
            raise ApiError(404, "The Cloud SQL instance does not exist.")
        return served, served.instance.connection_name

    async def get_instance(self, request: web.Request) -> web.Response:
        project, rest = request.match_info["project"], request.match_info["rest"]
        try:
            served, cname = self._instance(project, rest, "/connectSettings")
        except ApiError as exc:
            return await self._handle(request, "connectSettings", None, _raiser(exc))

        async def work(_token: AccessToken | None) -> dict[str, Any]:
            return served.connect_settings()

        return await self._handle(request, "connectSettings", cname, work)

    async def post_instance(self, request: web.Request) -> web.Response:
        project, rest = request.match_info["project"], request.match_info["rest"]
        try:
            served, cname = self._instance(project, rest, ":generateEphemeralCert")
        except ApiError as exc:
            return await self._handle(request, "generateEphemeralCert", None, _raiser(exc))

        async def work(_token: AccessToken | None) -> dict[str, Any]:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ApiError(400, f"Invalid JSON payload received: {exc}") from exc
            if not isinstance(body, dict):
                raise ApiError(400, "Invalid JSON payload received: expected an object.")
            return self._ephemeral_cert(served, body)

        return await self._handle(request, "generateEphemeralCert", cname, work)

    def _ephemeral_cert(self, served: ServedInstance, body: dict[str, Any]) -> dict[str, Any]:
        public_key = body.get("public_key", body.get("publicKey"))
        if not isinstance(public_key, str) or not public_key:
            raise ApiError(400, "Missing required field: public_key.")
        login = body.get("access_token", body.get("accessToken"))
        now = datetime.now(timezone.utc)
        faults = self.emu.faults
        lifetime = faults.cert_lifetime or self.emu.config.cert_lifetime
        not_before, not_after = now - timedelta(minutes=5), now + lifetime
        if faults.expired_certs:
            not_before, not_after = now - timedelta(hours=2), now - timedelta(hours=1)
        grant = Grant(None, None)
        if login:
            token = self.emu.tokens.lookup(login)
            if token is None or token.expired():
                raise ApiError(400, "Invalid access_token: it is expired or unknown.")
            if SCOPE_SQL_LOGIN not in token.scopes:
                raise ApiError(
                    403,
                    "The access_token for IAM database login needs the "
                    "https://www.googleapis.com/auth/sqlservice.login scope.",
                )
            grant = Grant(token.principal, token.expiry)
            if token.expiry is not None and not faults.expired_certs:
                not_after = min(not_after, token.expiry)
        try:
            cert = served.certs.sign_client(public_key, not_before, not_after)
        except InvalidPublicKeyError as exc:
            raise ApiError(400, f"Invalid public_key: {exc}") from exc
        self.emu.grants.add(cert.serial_number, grant, not_after)
        return {
            "ephemeralCert": {
                "kind": "sql#sslCert",
                "certSerialNumber": str(cert.serial_number),
                "cert": pem(cert),
                "commonName": cert.subject.rfc4514_string(),
                "sha1Fingerprint": sha1_fingerprint(cert),
                "instance": served.instance.name,
                "createTime": _rfc3339(now),
                "expirationTime": _rfc3339(not_after),
            }
        }

    async def resolve(self, request: web.Request) -> web.Response:
        region, rest = request.match_info["region"], request.match_info["rest"]
        suffix = ":resolveConnectSettings"

        async def work(_token: AccessToken | None) -> dict[str, Any]:
            if not rest.endswith(suffix):
                raise ApiError(404, f"Unknown Admin API method: dns/{rest}")
            dns = rest[: -len(suffix)].rstrip(".")
            for served in self.emu._served.values():
                inst = served.instance
                if inst.region == region and inst.effective_dns_name == dns:
                    return {**served.connect_settings(), "connectionName": inst.connection_name}
            raise ApiError(404, f"No Cloud SQL instance has DNS name {dns} in {region}.")

        return await self._handle(request, "resolveConnectSettings", None, work)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "refresh_token":
            return _json(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "cloudsql-local supports grant_type=refresh_token only",
                },
            )
        scopes = tuple(str(form.get("scope", "")).split())
        minted = self.emu.tokens.mint(str(form.get("refresh_token", "")), scopes)
        if minted is None:
            return _json(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        token, info = minted
        expires_in = (
            int((info.expiry - datetime.now(timezone.utc)).total_seconds()) if info.expiry else 3600
        )
        return _json(
            200,
            {
                "access_token": token,
                "expires_in": expires_in,
                "token_type": "Bearer",
                "scope": " ".join(sorted(info.scopes)),
            },
        )


def _raiser(exc: ApiError) -> Callable[[AccessToken | None], Awaitable[dict[str, Any]]]:
    async def work(_token: AccessToken | None) -> dict[str, Any]:
        raise exc

    return work
