"""The proxy's TLS, seen from raw ssl sockets: who gets in, who is refused at the handshake, and
what identity the server presents."""

from __future__ import annotations

import socket
import ssl
import struct
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from dbtools import cloudsql_local

PG = "csl-proj:us-central1:pg"
PG_CAS = "csl-proj:us-central1:pg-cas"
MY = "csl-proj:us-central1:my"


@pytest.fixture(scope="module")
def client_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def issue_cert(emu: cloudsql_local.Emulator, name: str, key: rsa.RSAPrivateKey) -> str:
    project, _, inst = name.split(":")
    resp = requests.post(
        f"{emu.admin_url}/sql/v1beta4/projects/{project}/instances/{inst}:generateEphemeralCert",
        json={"public_key": _public_pem(key)},
        headers={"Authorization": f"Bearer {emu.access_token()}"},
        timeout=10,
    )
    resp.raise_for_status()
    return str(resp.json()["ephemeralCert"]["cert"])


def client_context(
    tmp_path: Path,
    server_ca: str,
    cert_pem: str | None,
    key: rsa.RSAPrivateKey | None,
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cadata=server_ca)
    if cert_pem is not None and key is not None:
        (tmp_path / "c.pem").write_text(cert_pem)
        (tmp_path / "k.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    return ctx


def _pg_startup(user: str, database: str) -> bytes:
    body = f"user\0{user}\0database\0{database}\0\0".encode()
    return struct.pack("!II", 8 + len(body), 196608) + body


@pytest.fixture
def dial(emu: cloudsql_local.Emulator) -> Iterator:  # type: ignore[type-arg]
    opened: list[socket.socket] = []

    def _dial(name: str, ctx: ssl.SSLContext, server_hostname: str | None = None) -> ssl.SSLSocket:
        inst = emu.instance(name)
        raw = socket.create_connection((inst.ip_address, inst.port), timeout=10)
        opened.append(raw)
        sock = ctx.wrap_socket(raw, server_hostname=server_hostname)
        opened.append(sock)
        return sock

    yield _dial
    for s in opened:
        s.close()


def _expect_refusal(sock_factory, reason: str) -> None:  # type: ignore[no-untyped-def]
    """TLS 1.3 clients learn of a refused certificate from the alert that follows the
    handshake, so the refusal may surface at wrap_socket or at the first read."""
    with pytest.raises(ssl.SSLError) as info:
        sock = sock_factory()
        sock.sendall(_pg_startup("postgres", "postgres"))
        sock.recv(1)
    assert reason in info.value.reason, info.value


def test_valid_certificate_gets_a_postgres_session(
    emu, dial, client_key, tmp_path, pg_server
) -> None:  # type: ignore[no-untyped-def]
    inst = emu.instance(PG)
    ctx = client_context(tmp_path, inst.server_ca_pem, issue_cert(emu, PG, client_key), client_key)
    sock = dial(PG, ctx)
    assert sock.version() == "TLSv1.3"
    sock.sendall(_pg_startup(pg_server.user, pg_server.database))
    assert sock.recv(1) == b"R"  # an Authentication message from the real server
    # Legacy instance: the server certificate names the instance in its CN.
    cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "csl-proj:pg"


def test_no_client_certificate_is_refused(emu, dial, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = client_context(tmp_path, emu.instance(PG).server_ca_pem, None, None)
    _expect_refusal(lambda: dial(PG, ctx), "CERTIFICATE_REQUIRED")


def test_certificate_from_another_ca_is_refused(emu, dial, client_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Google Cloud SQL Client CA")])
    now = datetime.now(timezone.utc)
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intruder")]))
        .issuer_name(name)
        .public_key(client_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .sign(ca_key, hashes.SHA256())
    )
    forged_pem = forged.public_bytes(serialization.Encoding.PEM).decode()
    ctx = client_context(tmp_path, emu.instance(PG).server_ca_pem, forged_pem, client_key)
    _expect_refusal(lambda: dial(PG, ctx), "UNKNOWN_CA")


def test_certificate_of_another_instance_is_refused(emu, dial, client_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each instance has its own client CA: a MySQL instance's cert does not open the PG one."""
    other = issue_cert(emu, MY, client_key)
    ctx = client_context(tmp_path, emu.instance(PG).server_ca_pem, other, client_key)
    _expect_refusal(lambda: dial(PG, ctx), "UNKNOWN_CA")


def test_expired_certificate_is_refused(emu, dial, client_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    emu.faults.expired_certs = True
    expired = issue_cert(emu, PG, client_key)
    cert = x509.load_pem_x509_certificate(expired.encode())
    assert cert.not_valid_after_utc < datetime.now(timezone.utc)
    ctx = client_context(tmp_path, emu.instance(PG).server_ca_pem, expired, client_key)
    _expect_refusal(lambda: dial(PG, ctx), "CERTIFICATE_EXPIRED")


def test_tls12_is_refused(emu, dial, client_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = client_context(
        tmp_path, emu.instance(PG).server_ca_pem, issue_cert(emu, PG, client_key), client_key
    )
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(ssl.SSLError, match=r"PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL"):
        dial(PG, ctx)


def test_cas_server_identity_is_the_dns_name(emu, dial, client_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    inst = emu.instance(PG_CAS)
    ctx = client_context(
        tmp_path, inst.server_ca_pem, issue_cert(emu, PG_CAS, client_key), client_key
    )
    ctx.check_hostname = True
    sock = dial(PG_CAS, ctx, server_hostname=inst.dns_name)
    cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
    assert len(cert.subject) == 0
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [inst.dns_name]
    # serverCaCert holds the chain (intermediate, root)
    assert inst.server_ca_pem.count("BEGIN CERTIFICATE") == 2


def test_wrong_server_identity_fault(emu, dial, client_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    emu.faults.wrong_server_identity = True
    legacy = emu.instance(PG)
    ctx = client_context(
        tmp_path, legacy.server_ca_pem, issue_cert(emu, PG, client_key), client_key
    )
    sock = dial(PG, ctx)  # the chain still verifies...
    cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn != "csl-proj:pg"  # ...but it names another instance
    assert cn.startswith("csl-proj:")
    cas = emu.instance(PG_CAS)
    ctx = client_context(
        tmp_path, cas.server_ca_pem, issue_cert(emu, PG_CAS, client_key), client_key
    )
    sock = dial(PG_CAS, ctx)
    cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
    sock.close()
    # The CAS impostor: another DNS name, but this instance's own CN.
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == PG_CAS.split(":")[0] + ":" + PG_CAS.split(":")[-1]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) != [cas.dns_name]
    ctx.check_hostname = True
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        dial(PG_CAS, ctx, server_hostname=cas.dns_name)
    emu.faults.wrong_server_identity = False
    dial(PG_CAS, ctx, server_hostname=cas.dns_name).close()


def test_garbage_after_handshake_does_not_hurt_the_proxy(
    emu, dial, client_key, tmp_path, pg_server
) -> None:  # type: ignore[no-untyped-def]
    inst = emu.instance(PG)
    ctx = client_context(tmp_path, inst.server_ca_pem, issue_cert(emu, PG, client_key), client_key)
    bad = dial(PG, ctx)
    bad.sendall(b"\xff\xff\xff\xff not a startup packet")
    assert bad.recv(100) == b""  # the proxy hangs up
    good = dial(PG, ctx)
    good.sendall(_pg_startup(pg_server.user, pg_server.database))
    assert good.recv(1) == b"R"


def _read_pg_message(sock: ssl.SSLSocket) -> tuple[bytes, bytes]:
    head = b""
    while len(head) < 5:
        chunk = sock.recv(5 - len(head))
        assert chunk, "connection closed"
        head += chunk
    (length,) = struct.unpack("!I", head[1:5])
    body = b""
    while len(body) < length - 4:
        chunk = sock.recv(length - 4 - len(body))
        assert chunk, "connection closed"
        body += chunk
    return head[:1], body


def test_ssl_request_inside_tls_is_declined(emu, dial, client_key, tmp_path, pg_server) -> None:  # type: ignore[no-untyped-def]
    inst = emu.instance(PG)
    ctx = client_context(tmp_path, inst.server_ca_pem, issue_cert(emu, PG, client_key), client_key)
    sock = dial(PG, ctx)
    sock.sendall(struct.pack("!II", 8, 80877103))  # SSLRequest
    assert sock.recv(1) == b"N"
    sock.sendall(_pg_startup(pg_server.user, pg_server.database))
    tag, body = _read_pg_message(sock)
    assert (tag, body[:4]) == (b"R", b"\x00\x00\x00\x00")  # AuthenticationOk (trust)


def test_iam_login_with_expired_token_is_refused(
    emu, dial, client_key, tmp_path, iam_account, pg_server
) -> None:  # type: ignore[no-untyped-def]
    from dbtools.cloudsql_local.proxy import Grant

    project, _, name = PG.split(":")
    login = emu.access_token(iam_account.email, (cloudsql_local.SCOPE_SQL_LOGIN,))
    resp = requests.post(
        f"{emu.admin_url}/sql/v1beta4/projects/{project}/instances/{name}:generateEphemeralCert",
        json={"public_key": _public_pem(client_key), "access_token": login},
        headers={"Authorization": f"Bearer {emu.access_token()}"},
        timeout=10,
    )
    cert_pem = resp.json()["ephemeralCert"]["cert"]
    ctx = client_context(tmp_path, emu.instance(PG).server_ca_pem, cert_pem, client_key)
    # With a live token the IAM user gets in...
    sock = dial(PG, ctx)
    sock.sendall(_pg_startup(iam_account.pg_user, pg_server.database))
    assert _read_pg_message(sock)[0] == b"R"
    sock.close()
    # ...and once the token behind the certificate has expired, it does not.
    serial = x509.load_pem_x509_certificate(cert_pem.encode()).serial_number
    emu.grants.add(
        serial, Grant(iam_account.email, datetime.now(timezone.utc) - timedelta(seconds=1))
    )
    sock = dial(PG, ctx)
    sock.sendall(_pg_startup(iam_account.pg_user, pg_server.database))
    tag, body = _read_pg_message(sock)
    assert tag == b"E"
    assert b"28000" in body and b"expired" in body


def test_plaintext_ssl_request_is_refused(emu) -> None:  # type: ignore[no-untyped-def]
    """Port 3307 speaks TLS from the first byte. A client that negotiates TLS the libpq way
    (a plaintext SSLRequest first, as asyncpg's query cancellation does) gets no 'S': the
    bytes are not a ClientHello, so the proxy hangs up."""
    inst = emu.instance(PG)
    with socket.create_connection((inst.ip_address, inst.port), timeout=10) as raw:
        raw.sendall(struct.pack("!II", 8, 80877103))
        data = raw.recv(100)
    assert not data.startswith(b"S")
    assert data == b"" or data[:1] == b"\x15"  # closed, or a TLS alert record


@pytest.mark.parametrize("iam", [False, True])
def test_cancel_request_inside_tls_reaches_the_backend(
    emu, dial, client_key, tmp_path, iam_account, pg_server, iam: bool
) -> None:  # type: ignore[no-untyped-def]
    project, _, name = PG.split(":")
    body: dict[str, str] = {"public_key": _public_pem(client_key)}
    if iam:
        body["access_token"] = emu.access_token(
            iam_account.email, (cloudsql_local.SCOPE_SQL_LOGIN,)
        )
    resp = requests.post(
        f"{emu.admin_url}/sql/v1beta4/projects/{project}/instances/{name}:generateEphemeralCert",
        json=body,
        headers={"Authorization": f"Bearer {emu.access_token()}"},
        timeout=10,
    )
    ctx = client_context(
        tmp_path, emu.instance(PG).server_ca_pem, resp.json()["ephemeralCert"]["cert"], client_key
    )
    session = dial(PG, ctx)
    session.sendall(_pg_startup(iam_account.pg_user if iam else pg_server.user, pg_server.database))
    key = None
    while True:
        tag, payload = _read_pg_message(session)
        assert tag != b"E", payload
        if tag == b"K":
            key = payload[:8]  # process id + secret key
        if tag == b"Z":
            break
    assert key is not None
    query = b"SELECT pg_sleep(60)\x00"
    session.sendall(b"Q" + struct.pack("!I", 4 + len(query)) + query)
    pid = struct.unpack("!I", key[:4])[0]
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        for _ in range(200):  # a cancel that arrives before the query starts cancels nothing
            state = admin.execute(
                "SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if state and state[0] == "active":
                break
            time.sleep(0.02)
    canceller = dial(PG, ctx)
    canceller.sendall(struct.pack("!II", 16, 80877102) + key)
    tag, payload = _read_pg_message(session)
    while tag != b"E":  # RowDescription may come first
        tag, payload = _read_pg_message(session)
    assert b"C57014" in payload  # query_canceled
