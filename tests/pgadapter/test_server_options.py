"""Server options: the CLI, Unix sockets, password auth, TLS, startup parameters."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter import ConfigError, Proxy, ProxyConfig, serve


def _serve(spanner: spanner_local.Endpoint, **options: object) -> Proxy:
    return serve(  # type: ignore[return-value]
        spanner_local.DEFAULT_PROJECT, spanner.instance, emulator_host=spanner.address, **options
    )


def test_cli_serves_and_stops_on_sigint(spanner: spanner_local.Endpoint, database: str) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dbtools.pgadapter.cli",
            "-p",
            spanner_local.DEFAULT_PROJECT,
            "-i",
            spanner.instance,
            "-d",
            database,
            "--emulator-host",
            spanner.address,
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert m, line
        port = int(m.group(1))
        with psycopg.connect(
            host="127.0.0.1", port=port, user="u", dbname=database, sslmode="disable"
        ) as conn:
            assert conn.execute("select 2").fetchone() == (2,)
        # no dbname: the -d default applies when the client sends no database
        out = subprocess.run(
            [
                "psql",
                "-X",
                "-At",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "u",
                "-d",
                database,
                "-c",
                "select current_database()",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.stdout.strip() == database
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_cli_help_and_bad_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dbtools.pgadapter.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "--emulator-host" in out.stdout and "Examples" in out.stdout
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtools.pgadapter.cli",
            "-p",
            "p",
            "-i",
            "i",
            "--emulator-host",
            "h:1",
            "--endpoint",
            "https://x",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "either --emulator-host or --endpoint" in out.stderr


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        ProxyConfig("p", "").validate()
    with pytest.raises(ConfigError):
        ProxyConfig("p", "i", ssl_cert="c.pem").validate()
    with pytest.raises(ConfigError):
        ProxyConfig("p", "i", credentials_file="/no/such/file.json").validate()


def test_unix_socket(spanner: spanner_local.Endpoint, database: str, tmp_path: Path) -> None:
    with _serve(spanner, unix_socket_dir=str(tmp_path)) as proxy:
        assert (tmp_path / f".s.PGSQL.{proxy.port}").exists()
        out = subprocess.run(
            [
                "psql",
                "-X",
                "-At",
                "-h",
                str(tmp_path),
                "-p",
                str(proxy.port),
                "-U",
                "u",
                "-d",
                database,
                "-c",
                "select 40 + 2",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.stdout.strip() == "42", out.stderr
    assert not (tmp_path / f".s.PGSQL.{proxy.port}").exists()


def test_password_auth_carries_a_token(spanner: spanner_local.Endpoint, database: str) -> None:
    with _serve(spanner, auth="password") as proxy:
        for token in ("ya29.token", "ya29.token", "ya29.other"):
            with psycopg.connect(proxy.dsn(database, user="oauth2") + f" password={token}") as conn:
                assert conn.execute("select 1").fetchone() == (1,)
        assert len(proxy.server._clients) == 2  # one Spanner client per distinct credential
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(proxy.dsn(database) + " password='{not json'")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(proxy.dsn(database))  # no password at all


def test_tls(spanner: spanner_local.Endpoint, database: str, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    with _serve(spanner, ssl_cert=str(cert), ssl_key=str(key)) as proxy:
        dsn = proxy.dsn(database).replace("sslmode=disable", "sslmode=require")
        with psycopg.connect(dsn) as conn:
            assert conn.pgconn.ssl_in_use
            assert conn.execute("select 3").fetchone() == (3,)
        with psycopg.connect(proxy.dsn(database)) as conn:  # plain connections still work
            assert not conn.pgconn.ssl_in_use


def test_startup_options_and_application_name(dsn: str) -> None:
    with psycopg.connect(dsn, options="-c TimeZone=Asia/Tokyo", application_name="probe") as conn:
        assert conn.info.parameter_status("TimeZone") == "Asia/Tokyo"
        assert conn.info.parameter_status("application_name") == "probe"
        assert conn.execute("show application_name").fetchone() == ("probe",)
        conn.execute("reset all")
        assert conn.info.parameter_status("TimeZone") == "UTC"


def test_session_timezone_renders_timestamps(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, ts timestamptz)")
        conn.execute("insert into t values (1, '2024-07-01 12:00:00+00')")
        conn.execute("set time zone 'Asia/Kolkata'")
        cur = conn.cursor()
        cur.execute("select ts from t")
        assert cur.pgresult.get_value(0, 0) == b"2024-07-01 17:30:00+05:30"  # type: ignore[union-attr]
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("set timezone = 'Mars/Olympus'")


def test_another_database_of_the_instance(
    spanner: spanner_local.Endpoint, make_database: Callable[..., str], database: str
) -> None:
    other = make_database(["create table only_here (id bigint primary key)"])
    with _serve(spanner, database=database) as proxy:
        with psycopg.connect(proxy.dsn(other)) as conn:
            assert conn.execute("select count(*) from only_here").fetchone() == (0,)
        with psycopg.connect(proxy.dsn()) as conn:
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("select count(*) from only_here")


def test_auto_create_database(spanner: spanner_local.Endpoint, spanner_client) -> None:  # type: ignore[no-untyped-def]
    name = "auto_db_probe"
    with _serve(spanner, auto_create_database=True) as proxy:
        with psycopg.connect(proxy.dsn(name), autocommit=True) as conn:
            conn.execute("create table t (id bigint primary key)")
            assert conn.execute("select count(*) from t").fetchone() == (0,)
    with _serve(spanner) as proxy:
        with pytest.raises(psycopg.OperationalError, match='database "never_made" does not exist'):
            psycopg.connect(proxy.dsn("never_made"))
    spanner_client.instance(spanner.instance).database(name).drop()
    with pytest.raises(ConfigError):
        ProxyConfig("p", "i", auto_create_database=True).validate()


def test_cli_port_in_use(spanner: spanner_local.Endpoint, proxy: Proxy) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtools.pgadapter.cli",
            "-p",
            "p",
            "-i",
            "i",
            "--emulator-host",
            spanner.address,
            "--port",
            str(proxy.port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 3 and "cannot listen" in out.stderr


def test_googlesql_database_is_refused(
    spanner: spanner_local.Endpoint, spanner_client, proxy: Proxy
) -> None:  # type: ignore[no-untyped-def]
    db = spanner_client.instance(spanner.instance).database("gsql_probe")
    db.create().result(120)
    try:
        with pytest.raises(psycopg.OperationalError, match="GoogleSQL dialect"):
            psycopg.connect(proxy.dsn("gsql_probe"))
    finally:
        db.drop()
