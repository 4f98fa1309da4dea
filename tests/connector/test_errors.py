"""Unhappy paths: each failure gives the error type and a message that says what to do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dbtools import cloudsql_local as cl
from dbtools.connector import (
    AdminAPIError,
    ClosedConnectorError,
    ConfigurationError,
    Connector,
    CredentialsError,
    IAMAuthNotSupportedError,
    IncompatibleDriverError,
    InstanceNotFoundError,
    InvalidInstanceNameError,
    IPTypeNotFoundError,
    QuotaExceededError,
    RegionMismatchError,
    UnsupportedDriverError,
)
from dbtools.connector.connection_info import check_settings
from dbtools.connector.instance import InstanceName
from google.oauth2.credentials import Credentials as OAuthCredentials


def test_wrong_driver_for_the_engine(connector: Connector, names: Any) -> None:
    with pytest.raises(IncompatibleDriverError, match=r"speaks mysql .* runs POSTGRES_15.*pg8000"):
        connector.connect(names.PG, "pymysql", user="root")
    with pytest.raises(IncompatibleDriverError, match="pymysql"):
        connector.connect(names.MY, "pg8000", user="postgres")


def test_unknown_instance(
    connector: Connector, admin_calls: Any, names: Any, pg_server: Any
) -> None:
    with pytest.raises(InstanceNotFoundError, match="Cloud SQL Client role") as info:
        connector.connect("proj:local:nope", "pg8000", user="postgres")
    assert info.value.status == 404
    assert "does not exist. Check that instance 'nope'" in str(info.value)
    # A wrong name is not cached: the next connect asks again rather than repeating an error.
    with pytest.raises(InstanceNotFoundError):
        connector.connect("proj:local:nope", "pg8000", user="postgres")
    assert len(admin_calls("connectSettings")) == 2
    # The aborted refreshes did not spoil the connector (its key pair, its session).
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()


def test_region_mismatch_names_the_right_connection_name(connector: Connector) -> None:
    with pytest.raises(RegionMismatchError, match="'proj:local:pg'"):
        connector.connect("proj:us-central1:pg", "pg8000", user="postgres")


def test_iam_on_an_engine_without_it() -> None:
    settings = {"region": "r", "databaseVersion": "SQLSERVER_2019_STANDARD"}
    with pytest.raises(IAMAuthNotSupportedError, match="PostgreSQL and MySQL"):
        check_settings(InstanceName.parse("p:r:i"), settings, enable_iam_auth=True)
    assert check_settings(InstanceName.parse("p:r:i"), settings, False) == "sqlserver"


def test_missing_ip_type(make_connector: Any, names: Any) -> None:
    connector = make_connector(ip_type="private")
    with pytest.raises(IPTypeNotFoundError, match=r"no PRIVATE address .* PUBLIC"):
        connector.connect(names.MY, "pymysql", user="root")


def test_bad_names_and_drivers_fail_before_any_call(connector: Connector, admin_calls: Any) -> None:
    with pytest.raises(InvalidInstanceNameError):
        connector.connect("just-a-name", "pg8000")
    with pytest.raises(UnsupportedDriverError, match="listen"):
        connector.connect("proj:local:pg", "psycopg2")
    with pytest.raises(ConfigurationError, match="host= is set by the connector"):
        connector.connect("proj:local:pg", "pg8000", host="10.0.0.1")
    with pytest.raises(ConfigurationError, match="connect_async"):
        connector.connect("proj:local:pg", "asyncpg")
    assert admin_calls() == []


async def test_blocking_driver_on_connect_async_is_refused(connector: Connector) -> None:
    with pytest.raises(ConfigurationError, match="blocking driver"):
        await connector.connect_async("proj:local:pg", "pg8000")


def test_closed_connector_refuses(make_connector: Any, names: Any, pg_server: Any) -> None:
    connector = make_connector()
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    connector.close()
    connector.close()  # idempotent
    with pytest.raises(ClosedConnectorError, match="create a new Connector"):
        connector.connect(names.PG, "pg8000", user=pg_server.user)
    # Connections made before closing belong to the application and keep working.
    cur = conn.cursor()
    cur.execute("select 1")
    assert cur.fetchone() == [1]
    conn.close()


async def test_closed_connector_refuses_async(make_connector: Any, names: Any) -> None:
    connector = make_connector()
    await connector.close_async()
    with pytest.raises(ClosedConnectorError):
        await connector.connect_async(names.PG, "asyncpg", user="postgres")


def test_expired_credentials(make_connector: Any, emu: cl.Emulator, names: Any) -> None:
    past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=1)
    stale = OAuthCredentials(token="expired-token", expiry=past)
    connector = make_connector(credentials=stale)
    with pytest.raises(CredentialsError, match="could not be refreshed"):
        connector.connect(names.PG, "pg8000", user="postgres")
    revoked = cl.remote_credentials(emu.admin_url, "revoked-refresh-token")
    connector = make_connector(credentials=revoked)
    with pytest.raises(CredentialsError, match="expired or been revoked"):
        connector.connect(names.PG, "pg8000", user="postgres")


def test_token_rejected_by_the_admin_api(make_connector: Any, names: Any) -> None:
    connector = make_connector(credentials=OAuthCredentials(token="never-issued"))
    with pytest.raises(CredentialsError, match="HTTP 401"):
        connector.connect(names.PG, "pg8000", user="postgres")


def test_admin_api_5xx_is_retried_with_backoff(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any, admin_calls: Any
) -> None:
    emu.faults.fail_admin(503, times=2, operation="connectSettings")
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()
    statuses = [c.status for c in admin_calls("connectSettings")]
    assert statuses == [503, 503, 200], admin_calls()


def test_admin_api_5xx_that_persists_gives_up_with_the_status(
    connector: Connector, emu: cl.Emulator, names: Any, admin_calls: Any
) -> None:
    emu.faults.fail_admin(500, times=None, operation="generateEphemeralCert")
    with pytest.raises(AdminAPIError, match=r"HTTP 500 INTERNAL") as info:
        connector.connect(names.PG, "pg8000", user="postgres")
    assert info.value.status == 500
    assert [c.status for c in admin_calls("generateEphemeralCert")][:4] == [500] * 4


def test_admin_api_429_is_surfaced_at_once(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any, admin_calls: Any
) -> None:
    emu.faults.fail_admin(429, times=1, operation="generateEphemeralCert")
    with pytest.raises(
        QuotaExceededError, match=r"quota exceeded.*one Connector per process"
    ) as info:
        connector.connect(names.PG, "pg8000", user=pg_server.user)
    assert info.value.status == 429
    assert [c.status for c in admin_calls("generateEphemeralCert")] == [429]  # not retried
    # The failure is not cached: once the quota is back, connecting works.
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()


def test_universe_domain_must_match_the_credentials(emu: cl.Emulator) -> None:
    with pytest.raises(ConfigurationError, match=r"universe domain 'googleapis\.com'"):
        Connector(credentials=emu.credentials(), universe_domain="example-universe.test")
    with pytest.raises(ConfigurationError, match="timeout"):
        Connector(credentials=emu.credentials(), timeout=0)


def test_unreachable_admin_api(make_connector: Any, names: Any) -> None:
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    connector = make_connector(admin_api_endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(AdminAPIError, match="could not reach the Cloud SQL Admin API"):
        connector.connect(names.PG, "pg8000", user="postgres")
