"""A backend that is down or hung: the proxy answers the client in its own protocol, naming the
backend, within the configured backend timeout (real closed ports, a listener that accepts and
never answers; the clients are pg8000 and pymysql over an mTLS socket made here)."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pg8000
import pymysql
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from dbtools import cloudsql_local

BACKEND_TIMEOUT = 1.5
SLACK = 5.0  # the connector's own Admin API round trips and TLS, on a loaded machine


@pytest.fixture
def hostile(
    closed_port: int, silent_listener: Callable[..., Any]
) -> Iterator[tuple[cloudsql_local.Emulator, dict[str, str]]]:
    silent = silent_listener()
    backends = {
        "pg-closed": f"127.0.0.1:{closed_port}",
        "pg-silent": f"127.0.0.1:{silent.port}",
        "my-closed": f"127.0.0.1:{closed_port}",
        "my-silent": f"127.0.0.1:{silent.port}",
    }
    config = cloudsql_local.Config(
        instances=[
            cloudsql_local.Instance(
                f"bad:r:{name}",
                database_version="POSTGRES_15" if name.startswith("pg") else "MYSQL_8_0",
                backend=backend,
            )
            for name, backend in backends.items()
        ],
        backend_timeout=BACKEND_TIMEOUT,
    )
    with cloudsql_local.serve(config) as emu:
        yield emu, backends


def _tls_socket(emu: cloudsql_local.Emulator, name: str, folder: Path) -> ssl.SSLSocket:
    """An mTLS socket to the instance's proxy with a certificate from its Admin API."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    project, _, instance = name.split(":")
    reply = requests.post(
        f"{emu.admin_url}/sql/v1beta4/projects/{project}/instances/{instance}:generateEphemeralCert",
        json={"public_key": public.decode()},
        headers={"Authorization": f"Bearer {emu.access_token()}"},
        timeout=10,
    )
    reply.raise_for_status()
    (folder / "cert.pem").write_text(reply.json()["ephemeralCert"]["cert"])
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    served = emu.instance(name)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cadata=served.server_ca_pem)
    ctx.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    raw = socket.create_connection(
        (served.ip_address, served.port), timeout=BACKEND_TIMEOUT + SLACK
    )
    return ctx.wrap_socket(raw)


def _connect(emu: cloudsql_local.Emulator, name: str, folder: Path) -> None:
    sock = _tls_socket(emu, f"bad:r:{name}", folder)
    try:
        if name.startswith("pg"):
            pg8000.dbapi.connect(user="postgres", sock=sock, ssl_context=False).close()
        else:
            conn = pymysql.Connection(host="x", user="root", defer_connect=True)
            conn.connect(sock)
            conn.close()
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("pg-closed", "cannot reach the backend"),
        ("pg-silent", "accepted the connection but sent nothing within 1.5 s"),
        ("my-closed", "cannot reach the backend"),
        ("my-silent", "accepted the connection but sent nothing within 1.5 s"),
    ],
)
def test_backend_failure_reaches_the_client_in_time(
    hostile: tuple[cloudsql_local.Emulator, dict[str, str]], name: str, says: str, tmp_path: Path
) -> None:
    emu, backends = hostile
    errors = (pg8000.dbapi.DatabaseError, pg8000.dbapi.InterfaceError, pymysql.err.MySQLError)
    started = time.monotonic()
    with pytest.raises(errors) as info:
        _connect(emu, name, tmp_path)
    elapsed = time.monotonic() - started
    text = str(info.value)
    assert says in text
    assert f"bad:r:{name} at {backends[name]}" in text  # names the endpoint
    assert "check" in text or "is it a database server" in text  # says what to look at
    assert elapsed < BACKEND_TIMEOUT + SLACK
    if name.startswith("my"):
        assert info.value.args[0] == 2003


def test_backend_timeout_setting() -> None:
    with pytest.raises(cloudsql_local.ConfigError, match="backend_timeout"):
        cloudsql_local.Config(backend_timeout=0)
    raw = {"backend_timeout_seconds": 2.5}
    assert cloudsql_local.Config.from_dict(raw).backend_timeout == 2.5
    assert cloudsql_local.Config().backend_timeout == 10.0
