"""The Admin API over plain HTTP: fields, auth, errors, fault knobs, the token endpoint."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dbtools import cloudsql_local

PG = "csl-proj:us-central1:pg"
PG_CAS = "csl-proj:us-central1:pg-cas"
MY = "csl-proj:us-central1:my"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def spki_pem(key: rsa.RSAPrivateKey, label: str = "PUBLIC KEY") -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    b64 = base64.encodebytes(der).decode()
    return f"-----BEGIN {label}-----\n{b64}-----END {label}-----\n"


class Api:
    def __init__(self, emu: cloudsql_local.Emulator) -> None:
        self.emu = emu
        self.token = emu.access_token()

    def _url(self, name: str, method: str, version: str) -> str:
        project, _, inst = name.split(":")
        sep = "/" if method == "connectSettings" else ":"
        return (
            f"{self.emu.admin_url}/sql/{version}/projects/{project}/instances/{inst}{sep}{method}"
        )

    def settings(
        self, name: str, token: str | None = "default", version: str = "v1beta4"
    ) -> requests.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {self._tok(token)}"}
        return requests.get(
            self._url(name, "connectSettings", version), headers=headers, timeout=10
        )

    def cert(
        self, name: str, body: Any, token: str | None = "default", version: str = "v1beta4"
    ) -> requests.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {self._tok(token)}"}
        url = self._url(name, "generateEphemeralCert", version)
        if isinstance(body, bytes):
            return requests.post(url, data=body, headers=headers, timeout=10)
        return requests.post(url, json=body, headers=headers, timeout=10)

    def _tok(self, token: str) -> str:
        return self.token if token == "default" else token


@pytest.fixture
def api(emu: cloudsql_local.Emulator) -> Api:
    return Api(emu)


def test_connect_settings_legacy(api: Api, emu: cloudsql_local.Emulator) -> None:
    resp = api.settings(PG)
    assert resp.status_code == 200
    body = resp.json()
    inst = emu.instance(PG)
    assert body["region"] == "us-central1"
    assert body["databaseVersion"] == "POSTGRES_15"
    assert body["backendType"] == "SECOND_GEN"
    assert body["serverCaMode"] == "GOOGLE_MANAGED_INTERNAL_CA"
    assert body["pscEnabled"] is False
    assert {(a["type"], a["ipAddress"]) for a in body["ipAddresses"]} == set(
        inst.ip_addresses.items()
    )
    assert body["serverCaCert"]["cert"] == inst.server_ca_pem
    ca = x509.load_pem_x509_certificate(body["serverCaCert"]["cert"].encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "dnsName" not in body


def test_connect_settings_cas_and_v1(api: Api, emu: cloudsql_local.Emulator) -> None:
    body = api.settings(PG_CAS, version="v1").json()
    assert body["serverCaMode"] == "GOOGLE_MANAGED_CAS_CA"
    assert body["dnsName"] == emu.instance(PG_CAS).dns_name + "."
    assert body["dnsNames"][0]["name"].rstrip(".") == emu.instance(PG_CAS).dns_name
    assert body["dnsName"].endswith(".us-central1.sql.goog.")


def test_resolve_connect_settings(api: Api, emu: cloudsql_local.Emulator) -> None:
    dns = emu.instance(PG_CAS).dns_name
    url = f"{emu.admin_url}/sql/v1beta4/locations/us-central1/dns/{dns}.:resolveConnectSettings"
    resp = requests.get(url, headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["connectionName"] == PG_CAS
    url = f"{emu.admin_url}/sql/v1beta4/locations/europe-west1/dns/{dns}:resolveConnectSettings"
    resp = requests.get(url, headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
    assert resp.status_code == 404


@pytest.mark.parametrize("label", ["PUBLIC KEY", "RSA PUBLIC KEY"])
def test_ephemeral_cert_accepts_spki_under_any_label(
    api: Api, key: rsa.RSAPrivateKey, emu: cloudsql_local.Emulator, label: str
) -> None:  # type: ignore[no-untyped-def]
    resp = api.cert(PG, {"public_key": spki_pem(key, label)})
    assert resp.status_code == 200, resp.text
    eph = resp.json()["ephemeralCert"]
    cert = x509.load_pem_x509_certificate(eph["cert"].encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    not_after = datetime.fromisoformat(eph["expirationTime"].replace("Z", "+00:00"))
    assert abs((not_after - cert.not_valid_after_utc).total_seconds()) < 1
    lifetime = cert.not_valid_after_utc - datetime.now(timezone.utc)
    assert timedelta(minutes=55) < lifetime <= timedelta(hours=1)


def test_ephemeral_cert_accepts_pkcs1(api: Api, key: rsa.RSAPrivateKey) -> None:
    pkcs1 = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    assert api.cert(PG, {"public_key": pkcs1}).status_code == 200


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "Missing required field: public_key"),
        ({"public_key": "hello"}, "not a PEM block"),
        ({"public_key": "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----"}, "base64"),
        (
            {"public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"},
            "neither an SPKI",
        ),
        (b"{not json", "Invalid JSON"),
        ([1, 2], "expected an object"),
    ],
)
def test_ephemeral_cert_rejects_bad_bodies(api: Api, body: Any, needle: str) -> None:
    resp = api.cert(PG, body)
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["status"] == "INVALID_ARGUMENT"
    assert needle in err["message"]


def test_small_rsa_keys_are_rejected(api: Api) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    resp = api.cert(PG, {"public_key": spki_pem(small)})  # type: ignore[arg-type]
    assert resp.status_code == 400
    assert "too small" in resp.json()["error"]["message"]


def test_authentication(api: Api, emu: cloudsql_local.Emulator) -> None:
    assert api.settings(PG, token=None).status_code == 401
    assert api.settings(PG, token="made-up").status_code == 401
    login_only = emu.access_token(scopes=(cloudsql_local.SCOPE_SQL_LOGIN,))
    resp = api.settings(PG, token=login_only)
    assert resp.status_code == 403
    assert "insufficient authentication scopes" in resp.json()["error"]["message"]
    admin_only = emu.access_token(scopes=(cloudsql_local.SCOPE_SQL_ADMIN,))
    assert api.settings(PG, token=admin_only).status_code == 200


def test_iam_login_token_checks(
    api: Api, key: rsa.RSAPrivateKey, emu: cloudsql_local.Emulator
) -> None:  # type: ignore[no-untyped-def]
    pub = spki_pem(key)
    resp = api.cert(PG, {"public_key": pub, "access_token": "made-up"})
    assert resp.status_code == 400
    admin_only = emu.access_token(scopes=(cloudsql_local.SCOPE_SQL_ADMIN,))
    resp = api.cert(PG, {"public_key": pub, "access_token": admin_only})
    assert resp.status_code == 403
    assert "sqlservice.login" in resp.json()["error"]["message"]
    login = emu.access_token("sa@p.iam.gserviceaccount.com", (cloudsql_local.SCOPE_SQL_LOGIN,))
    resp = api.cert(PG, {"public_key": pub, "access_token": login})
    assert resp.status_code == 200


def test_iam_cert_expires_with_the_login_token(pg_server) -> None:  # type: ignore[no-untyped-def]
    config = cloudsql_local.Config(
        instances=[cloudsql_local.Instance(PG, backend=f"{pg_server.host}:{pg_server.port}")],
        token_lifetime=timedelta(minutes=10),
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with cloudsql_local.serve(config) as emu:
        api = Api(emu)
        resp = api.cert(PG, {"public_key": spki_pem(key), "access_token": emu.access_token()})
        cert = x509.load_pem_x509_certificate(resp.json()["ephemeralCert"]["cert"].encode())
        assert cert.not_valid_after_utc - datetime.now(timezone.utc) <= timedelta(minutes=10)


def test_require_auth_off_accepts_any_token(pg_server) -> None:  # type: ignore[no-untyped-def]
    config = cloudsql_local.Config(
        instances=[cloudsql_local.Instance(PG, backend=f"{pg_server.host}:{pg_server.port}")],
        require_auth=False,
    )
    with cloudsql_local.serve(config) as emu:
        api = Api(emu)
        assert api.settings(PG, token="anything").status_code == 200
        assert api.settings(PG, token=None).status_code == 401  # a bearer token is still needed


def test_unknown_instance_and_method(api: Api, emu: cloudsql_local.Emulator) -> None:
    resp = api.settings("csl-proj:us-central1:missing")
    assert resp.status_code == 404
    assert resp.json()["error"]["status"] == "NOT_FOUND"
    url = f"{emu.admin_url}/sql/v1beta4/projects/csl-proj/instances/pg/users"
    resp = requests.get(url, headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
    assert resp.status_code == 404
    assert api.settings(PG, version="v2").status_code == 404


def test_fail_admin_counts_and_filters(
    api: Api, emu: cloudsql_local.Emulator, key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    emu.faults.fail_admin(503, times=2, operation="generateEphemeralCert")
    assert api.settings(PG).status_code == 200  # other operation unaffected
    statuses = [api.cert(PG, {"public_key": spki_pem(key)}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    emu.faults.fail_admin(429, times=None)
    for _ in range(3):
        resp = api.settings(PG)
        assert resp.status_code == 429
        assert resp.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    emu.faults.clear()
    assert api.settings(PG).status_code == 200
    with pytest.raises(ValueError, match="operation"):
        emu.faults.fail_admin(500, operation="deleteInstance")
    with pytest.raises(ValueError, match="status"):
        emu.faults.fail_admin(200)


def test_short_cert_lifetime_fault(
    api: Api, emu: cloudsql_local.Emulator, key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    emu.faults.cert_lifetime = timedelta(minutes=3)
    eph = api.cert(PG, {"public_key": spki_pem(key)}).json()["ephemeralCert"]
    cert = x509.load_pem_x509_certificate(eph["cert"].encode())
    assert cert.not_valid_after_utc - datetime.now(timezone.utc) <= timedelta(minutes=3)


def test_admin_calls_are_recorded(api: Api, emu: cloudsql_local.Emulator) -> None:
    api.settings(PG)
    api.settings("csl-proj:us-central1:missing")
    calls = emu.admin_calls
    assert [(c.operation, c.connection_name, c.status) for c in calls] == [
        ("connectSettings", PG, 200),
        ("connectSettings", None, 404),
    ]
    assert calls[0].principal == "tester@cloudsql-local.iam.gserviceaccount.com"


def test_token_endpoint(emu: cloudsql_local.Emulator) -> None:
    url = emu.token_uri
    assert requests.post(url, data={"grant_type": "password"}, timeout=10).status_code == 400
    resp = requests.post(
        url, data={"grant_type": "refresh_token", "refresh_token": "nope"}, timeout=10
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"
    creds = emu.credentials("me@example.com", scopes=[cloudsql_local.SCOPE_SQL_LOGIN])
    refresh = creds.refresh_token
    resp = requests.post(
        url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "scope": cloudsql_local.SCOPE_SQL_LOGIN,
        },
        timeout=10,
    )
    body = resp.json()
    assert body["scope"] == cloudsql_local.SCOPE_SQL_LOGIN
    assert body["expires_in"] > 3000
    info = emu.tokens.lookup(body["access_token"])
    assert info is not None and info.principal == "me@example.com"


def test_static_tokens_from_config(pg_server) -> None:  # type: ignore[no-untyped-def]
    config = cloudsql_local.Config(
        instances=[cloudsql_local.Instance(PG, backend=f"{pg_server.host}:{pg_server.port}")],
        tokens={
            "all": "me@example.com",
            "login": cloudsql_local.Token("me@example.com", (cloudsql_local.SCOPE_SQL_LOGIN,)),
        },
    )
    with cloudsql_local.serve(config) as emu:
        api = Api(emu)
        assert api.settings(PG, token="all").status_code == 200
        assert api.settings(PG, token="login").status_code == 403
