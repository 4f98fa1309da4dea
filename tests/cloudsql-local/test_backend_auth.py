"""IAM logins mapped to backend roles that need a password (SCRAM-SHA-256, md5, cleartext).

The shared PostgreSQL trusts every login, so this module starts a private PostgreSQL cluster of
its own (same installed server, random port, its own data directory) whose pg_hba.conf asks for
passwords, and removes it afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pg8000.dbapi
import psycopg
import pytest
from dbtools import cloudsql_local
from google.cloud.sql.connector import Connector

PG = "csl-proj:us-central1:pg-pw"
EMAIL = "pw-tester@csl-proj.iam.gserviceaccount.com"
IAM_USER = "pw-tester@csl-proj.iam"
SUPERUSER_PASSWORD = "Super-pw-1"
ROLES = {  # role -> (password, pg_hba method)
    "scram_role": ("Scram-pw-1", "scram-sha-256"),
    "md5_role": ("Md5-pw-1", "md5"),
    "clear_role": ("Clear-pw-1", "password"),
}


@dataclass
class PrivateCluster:
    port: int


def _as_postgres(cmd: list[str]) -> list[str]:
    # The server refuses to run as root: when the tests run as root, run it as `postgres`.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    versions = (
        sorted(os.listdir("/usr/lib/postgresql")) if Path("/usr/lib/postgresql").is_dir() else []
    )
    if not versions:
        pytest.fail("these tests need the PostgreSQL server binaries under /usr/lib/postgresql")
    bindir = Path("/usr/lib/postgresql") / versions[-1] / "bin"
    root = Path(tempfile.mkdtemp(prefix="csl-pg-"))
    data = root / "data"
    pwfile = root / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    started = False
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--pwfile",
                    str(pwfile),
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        hba = [f"host all {role} 127.0.0.1/32 {method}" for role, (_, method) in ROLES.items()]
        hba.append("host all all 127.0.0.1/32 scram-sha-256")
        (data / "pg_hba.conf").write_text("\n".join(hba) + "\n")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        started = True
        url = f"postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{port}/postgres"
        with psycopg.connect(url, autocommit=True) as admin:
            for role, (password, method) in ROLES.items():
                encryption = "md5" if method == "md5" else "scram-sha-256"
                admin.execute(f"SET password_encryption = '{encryption}'")
                admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        yield PrivateCluster(port)
    finally:
        if started:
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def _serve(cluster: PrivateCluster, role: str, password: str | None) -> cloudsql_local.Config:
    return cloudsql_local.Config(
        instances=[
            cloudsql_local.Instance(
                PG,
                backend=f"127.0.0.1:{cluster.port}",
                iam_roles={IAM_USER: role},
                backend_passwords={} if password is None else {role: password},
            )
        ]
    )


@pytest.mark.parametrize("role", sorted(ROLES))
def test_iam_login_to_password_role(cluster: PrivateCluster, role: str) -> None:
    password, _ = ROLES[role]
    with (
        cloudsql_local.serve(_serve(cluster, role, password)) as emu,
        Connector(
            sqladmin_api_endpoint=emu.admin_url,
            credentials=emu.credentials(EMAIL),
            enable_iam_auth=True,
        ) as connector,
    ):
        conn = connector.connect(PG, "pg8000", user=EMAIL, db="postgres")
        cur = conn.cursor()
        cur.execute("SELECT current_user")
        assert cur.fetchone() == [role]
        conn.close()


def test_wrong_backend_password_is_the_backends_refusal(cluster: PrivateCluster) -> None:
    with (
        cloudsql_local.serve(_serve(cluster, "scram_role", "not-it")) as emu,
        Connector(
            sqladmin_api_endpoint=emu.admin_url,
            credentials=emu.credentials(EMAIL),
            enable_iam_auth=True,
        ) as connector,
        pytest.raises(pg8000.dbapi.DatabaseError) as info,
    ):
        connector.connect(PG, "pg8000", user=EMAIL, db="postgres")
    assert info.value.args[0]["C"] == "28P01"  # invalid_password, from PostgreSQL itself


def test_missing_backend_password_says_what_to_configure(cluster: PrivateCluster) -> None:
    with (
        cloudsql_local.serve(_serve(cluster, "md5_role", None)) as emu,
        Connector(
            sqladmin_api_endpoint=emu.admin_url,
            credentials=emu.credentials(EMAIL),
            enable_iam_auth=True,
        ) as connector,
        pytest.raises(pg8000.dbapi.DatabaseError) as info,
    ):
        connector.connect(PG, "pg8000", user=EMAIL, db="postgres")
    assert "backend_passwords" in info.value.args[0]["M"]


def test_builtin_login_is_piped_to_the_backend(cluster: PrivateCluster) -> None:
    """Without IAM the backend itself checks the password the client sends."""
    with (
        cloudsql_local.serve(_serve(cluster, "scram_role", None)) as emu,
        Connector(sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()) as connector,
    ):
        password, _ = ROLES["scram_role"]
        conn = connector.connect(PG, "pg8000", user="scram_role", password=password, db="postgres")
        cur = conn.cursor()
        cur.execute("SELECT current_user")
        assert cur.fetchone() == ["scram_role"]
        conn.close()
        with pytest.raises(pg8000.dbapi.DatabaseError) as info:
            connector.connect(PG, "pg8000", user="scram_role", password="wrong", db="postgres")
        assert info.value.args[0]["C"] == "28P01"
