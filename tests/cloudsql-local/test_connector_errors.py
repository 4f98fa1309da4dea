"""Unhappy paths seen through the official connector: it must raise its own errors."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import asyncpg
import pg8000
import pymysql
import pytest
from dbtools import cloudsql_local
from google.cloud.sql.connector import Connector, create_async_connector
from google.cloud.sql.connector.exceptions import (
    CloudSQLIPTypeError,
    IncompatibleDriverError,
    RefreshNotValidError,
)
from google.oauth2.credentials import Credentials

PG = "csl-proj:us-central1:pg"
MY = "csl-proj:us-central1:my"


@pytest.fixture
def connector(emu: cloudsql_local.Emulator) -> Iterator[Connector]:
    with Connector(sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()) as c:
        yield c


def test_wrong_driver_for_engine(connector: Connector) -> None:
    with pytest.raises(IncompatibleDriverError, match=r"pymysql.*POSTGRES_15"):
        connector.connect(PG, "pymysql", user="root")
    with pytest.raises(IncompatibleDriverError, match=r"pg8000.*MYSQL_8_0"):
        connector.connect(MY, "pg8000", user="postgres")


def test_unknown_instance(connector: Connector, emu: cloudsql_local.Emulator) -> None:
    with pytest.raises(aiohttp.ClientResponseError) as info:
        connector.connect("csl-proj:us-central1:nope", "pg8000", user="postgres")
    assert info.value.status == 404
    assert "does not exist" in info.value.message
    with pytest.raises(aiohttp.ClientResponseError) as info:
        connector.connect("other-proj:us-central1:pg", "pg8000", user="postgres")
    assert info.value.status == 404
    assert {c.status for c in emu.admin_calls} == {404}


def test_region_mismatch(connector: Connector) -> None:
    with pytest.raises(ValueError, match=r"region was mismatched.*expected us-central1"):
        connector.connect("csl-proj:europe-west1:pg", "pg8000", user="postgres")


def test_ip_type_not_offered(connector: Connector) -> None:
    with pytest.raises(CloudSQLIPTypeError, match="PSC"):
        connector.connect(MY, "pymysql", user="root", ip_type="psc")


def test_admin_api_5xx_is_retried_then_succeeds(
    connector: Connector, emu: cloudsql_local.Emulator, pg_server
) -> None:  # type: ignore[no-untyped-def]
    emu.faults.fail_admin(503, times=2, operation="connectSettings")
    conn = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()
    settings = [c.status for c in emu.admin_calls if c.operation == "connectSettings"]
    assert settings == [503, 503, 200]


def test_admin_api_persistent_5xx(connector: Connector, emu: cloudsql_local.Emulator) -> None:
    emu.faults.fail_admin(500, times=None, operation="generateEphemeralCert")
    with pytest.raises(aiohttp.ClientResponseError) as info:
        connector.connect(PG, "pg8000", user="postgres")
    assert info.value.status == 500
    assert "injected 500" in info.value.message
    certs = [c.status for c in emu.admin_calls if c.operation == "generateEphemeralCert"]
    # The first call and the connector's 5 retries (a background refresh may add more).
    assert len(certs) >= 6 and set(certs) == {500}


def test_admin_api_429(connector: Connector, emu: cloudsql_local.Emulator) -> None:
    emu.faults.fail_admin(429, times=1)
    with pytest.raises(aiohttp.ClientResponseError) as info:
        connector.connect(PG, "pg8000", user="postgres")
    assert info.value.status == 429
    assert "Quota exceeded" in info.value.message


def test_unknown_token_is_unauthenticated(emu: cloudsql_local.Emulator) -> None:
    with (
        Connector(
            sqladmin_api_endpoint=emu.admin_url, credentials=Credentials(token="not-a-token")
        ) as connector,
        pytest.raises(aiohttp.ClientResponseError) as info,
    ):
        connector.connect(PG, "pg8000", user="postgres")
    assert info.value.status == 401


def test_iam_login_for_another_user_is_refused(
    emu: cloudsql_local.Emulator, iam_account, pg_server, mysql_server
) -> None:  # type: ignore[no-untyped-def]
    with Connector(
        sqladmin_api_endpoint=emu.admin_url,
        credentials=emu.credentials(iam_account.email),
        enable_iam_auth=True,
    ) as connector:
        with pytest.raises(pg8000.dbapi.DatabaseError) as pg_info:
            connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
        err = pg_info.value.args[0]
        assert err["C"] == "28000"
        assert "IAM user authentication failed" in err["M"]
        with pytest.raises(pymysql.err.OperationalError) as my_info:
            connector.connect(MY, "pymysql", user="someone-else@example.com")
        assert my_info.value.args[0] == 1045
        # The refusals did not break the instance: the right user still gets in.
        conn = connector.connect(PG, "pg8000", user=iam_account.email, db=pg_server.database)
        conn.close()


async def test_iam_login_for_another_user_asyncpg(
    emu: cloudsql_local.Emulator, iam_account, pg_server
) -> None:  # type: ignore[no-untyped-def]
    connector = await create_async_connector(
        sqladmin_api_endpoint=emu.admin_url,
        credentials=emu.credentials(iam_account.email),
        enable_iam_auth=True,
    )
    try:
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
            await connector.connect_async(PG, "asyncpg", user="intruder@example.com", db="test")
    finally:
        await connector.close_async()


def test_iam_user_without_backend_role(emu: cloudsql_local.Emulator, pg_server) -> None:  # type: ignore[no-untyped-def]
    """The backend's own refusal (no such role) reaches the client unchanged."""
    email = "ghost-csl@csl-proj.iam.gserviceaccount.com"
    with (
        Connector(
            sqladmin_api_endpoint=emu.admin_url,
            credentials=emu.credentials(email),
            enable_iam_auth=True,
        ) as connector,
        pytest.raises(pg8000.dbapi.DatabaseError) as info,
    ):
        connector.connect(PG, "pg8000", user=email, db=pg_server.database)
    assert "ghost-csl@csl-proj.iam" in info.value.args[0]["M"]


def test_dropped_connections(connector: Connector, emu: cloudsql_local.Emulator, pg_server) -> None:  # type: ignore[no-untyped-def]
    conn = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    assert emu.close_connections(PG) == 1
    with pytest.raises((pg8000.dbapi.InterfaceError, pg8000.dbapi.DatabaseError, OSError)):
        conn.cursor().execute("SELECT 1")
    again = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    cur = again.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone() == [1]
    again.close()


def test_faults_latency_and_wrong_identity_still_connect(
    connector: Connector, emu: cloudsql_local.Emulator, pg_server
) -> None:  # type: ignore[no-untyped-def]
    """The Python connector checks only the CA chain, so a server certificate for another
    instance still passes (connectors that check the name must refuse it: see test_tls)."""
    emu.faults.latency = 0.05
    emu.faults.wrong_server_identity = True
    conn = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    cur = conn.cursor()
    cur.execute("SELECT 2")
    assert cur.fetchone() == [2]
    conn.close()


def test_expired_certificate(connector: Connector, emu: cloudsql_local.Emulator, pg_server) -> None:  # type: ignore[no-untyped-def]
    """The official connector notices the expired certificate itself (the proxy's refusal of
    one is in test_tls)."""
    emu.faults.expired_certs = True
    with pytest.raises(RefreshNotValidError, match="expired"):
        connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    emu.faults.clear()
    conn = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()


def test_refused_connections_then_recovery(
    connector: Connector, emu: cloudsql_local.Emulator, pg_server
) -> None:  # type: ignore[no-untyped-def]
    open_conn = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    emu.faults.refuse_connections = True
    with pytest.raises((OSError, pg8000.dbapi.InterfaceError)):
        connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    cur = open_conn.cursor()  # sessions that were open are not touched
    cur.execute("SELECT 3")
    assert cur.fetchone() == [3]
    emu.faults.refuse_connections = False
    again = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
    again.close()
    open_conn.close()
