"""The `cloudsql-local` command: start from TOML, serve the official connector, stop cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbtools import cloudsql_local
from google.cloud.sql.connector import Connector

CLI = str(Path(sys.executable).parent / "cloudsql-local")


@pytest.fixture
def running(tmp_path: Path, pg_server) -> Iterator[tuple[subprocess.Popen[str], dict]]:  # type: ignore[no-untyped-def,type-arg]
    address = cloudsql_local.random_loopback()
    config = tmp_path / "instances.toml"
    config.write_text(
        f"""
[refresh_tokens]
"dev-refresh" = "dev@example.com"

[[instances]]
connection_name = "cli-proj:us-east1:pg"
backend = "{pg_server.host}:{pg_server.port}"
ip_addresses = {{ PRIMARY = "{address}" }}
latency = 0.02
"""
    )
    proc = subprocess.Popen(
        [
            CLI,
            "--config",
            str(config),
            "--format",
            "json",
            "--principal",
            "sa@x.iam.gserviceaccount.com",
            "--latency",
            "0.01",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line, proc.stderr.read()  # type: ignore[union-attr]
        info = json.loads(line)
        assert info["instances"][0]["ip_addresses"] == {"PRIMARY": address}
        assert (info["latency"], info["instances"][0]["latency"]) == (0.01, 0.02)
        yield proc, info
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_cli_serves_the_official_connector(running, pg_server) -> None:  # type: ignore[no-untyped-def]
    proc, info = running
    creds = cloudsql_local.remote_credentials(info["admin_url"], "dev-refresh")
    with Connector(sqladmin_api_endpoint=info["admin_url"], credentials=creds) as connector:
        conn = connector.connect(
            "cli-proj:us-east1:pg", "pg8000", user=pg_server.user, db=pg_server.database
        )
        cur = conn.cursor()
        cur.execute("SELECT 6 * 7")
        assert cur.fetchone() == [42]
        conn.close()
    (issued,) = info["refresh_tokens"].items()
    assert issued[1] == "sa@x.iam.gserviceaccount.com"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_cli_address_in_use(running, tmp_path: Path, pg_server) -> None:  # type: ignore[no-untyped-def]
    _, info = running
    taken = info["instances"][0]["ip_addresses"]["PRIMARY"]
    config = tmp_path / "second.toml"
    config.write_text(
        f"""
[[instances]]
connection_name = "cli-proj:us-east1:other"
backend = "{pg_server.host}:{pg_server.port}"
ip_addresses = {{ PRIMARY = "{taken}" }}
"""
    )
    result = subprocess.run(
        [CLI, "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3
    assert taken in result.stderr and "pick another" in result.stderr


def test_cli_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[[instances]]\nconnection_name = 'only-two:parts'\n")
    result = subprocess.run(
        [CLI, "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "project:region:instance" in result.stderr
    result = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Examples" in result.stdout
    result = subprocess.run(
        [CLI, "--config", str(config), "--latency", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--latency" in result.stderr


def test_cli_version_and_ordinary_mistakes(tmp_path: Path) -> None:
    result = subprocess.run([CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"cloudsql-local, version {cloudsql_local.__version__}"
    mistakes = {
        "[admin]\nport = 'abc'\n": "[admin]: port = 'abc' must be an integer",
        "instances = 3\n": "instances = 3 must be an array",
        "[[instances]]\nconnection_name = 'p:r:i'\nport = 'x'\n": "port = 'x' must be",
        "cert_lifetime_seconds = 'soon'\n": "cert_lifetime_seconds = 'soon' must be a number",
    }
    for text, says in mistakes.items():
        config = tmp_path / "c.toml"
        config.write_text(text)
        result = subprocess.run(
            [CLI, "--config", str(config)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2, result.stderr
        assert says in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    (tmp_path / "latin1.toml").write_bytes(b"# caf\xe9\n")
    result = subprocess.run(
        [CLI, "--config", str(tmp_path / "latin1.toml")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "is not UTF-8 text" in result.stderr
    result = subprocess.run(
        [CLI, "--config", str(config), "--backend-timeout", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--backend-timeout" in result.stderr
