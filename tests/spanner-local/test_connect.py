"""How clients reach spanner-local: api_endpoint + anonymous credentials, the emulator variable,
the CLI, and the endpoint object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from dbtools import spanner_local
from google.cloud import spanner


def test_endpoint_shape(local_server):
    ep = local_server
    assert ep.address == f"{ep.host}:{ep.port}"
    assert str(ep) == ep.address
    assert ep.host == "127.0.0.1" and ep.port > 0
    assert ep.project == "test-project" and ep.instance == "test-instance"
    assert ep.env() == {"SPANNER_EMULATOR_HOST": ep.address}


def test_client_via_api_endpoint_and_anonymous_credentials(local_server):
    from google.auth.credentials import AnonymousCredentials

    client = spanner.Client(
        project="test-project",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": local_server.address},
    )
    db = client.instance("test-instance").database("c" + uuid.uuid4().hex[:10])
    db.create().result(30)
    with db.snapshot() as snap:
        assert list(snap.execute_sql("SELECT 1")) == [[1]]
    db.drop()


def test_client_via_emulator_environment_variable(local_server, monkeypatch):
    monkeypatch.setenv("SPANNER_EMULATOR_HOST", local_server.address)
    client = spanner.Client(project="test-project")
    db = client.instance("test-instance").database("e" + uuid.uuid4().hex[:10])
    db.create().result(30)
    with db.snapshot() as snap:
        assert list(snap.execute_sql("SELECT 'via env'")) == [["via env"]]
    db.drop()


def test_serve_on_fixed_port_and_in_memory_isolation():
    with spanner_local.serve(project="proj-1", instance="i1") as a, spanner_local.serve() as b:
        assert a.port != b.port
        ca = a.client()
        db = ca.instance("i1").database("only-here")
        db.create().result(30)
        assert db.exists()
        assert not b.client().instance("test-instance").database("only-here").exists()


def test_cli_serves_and_stops(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "spanner-local")
    proc = subprocess.Popen(
        [exe, "--port", "0", "--format", "json", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        assert info["env"]["SPANNER_EMULATOR_HOST"] == info["address"]
        from google.auth.credentials import AnonymousCredentials

        client = spanner.Client(
            project="test-project",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": info["address"]},
        )
        db = client.instance("test-instance").database(
            "cli", ddl_statements=["CREATE TABLE T (K INT64) PRIMARY KEY (K)"]
        )
        db.create().result(30)
        with db.batch() as b:
            b.insert("T", ["K"], [(1,)])
        with db.snapshot() as s:
            assert list(s.execute_sql("SELECT K FROM T")) == [[1]]
    finally:
        proc.terminate()
        assert proc.wait(20) == 0
    assert (tmp_path / "test-project" / "test-instance" / "cli.duckdb").exists()


def test_cli_help_has_examples():
    exe = os.path.join(os.path.dirname(sys.executable), "spanner-local")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True).stdout
    assert "--data-dir" in out and "spanner-local --port 9010" in out


def test_cli_port_in_use_exits_non_zero(local_server):
    exe = os.path.join(os.path.dirname(sys.executable), "spanner-local")
    res = subprocess.run(
        [exe, "--port", str(local_server.port)], capture_output=True, text=True, timeout=30
    )
    assert res.returncode == 2
    assert "--port 0" in res.stderr


def test_endpoint_client_ignores_another_emulator_variable(local_server, monkeypatch):
    monkeypatch.setenv("SPANNER_EMULATOR_HOST", "127.0.0.1:1")  # nothing listens there
    client = local_server.client()
    assert client.instance("test-instance").exists()
    assert os.environ["SPANNER_EMULATOR_HOST"] == "127.0.0.1:1"
