"""Certificates: refresh across expiry, lazy refresh, IAM-token cap, server identity checks,
refresh after a failed connect, key generation off the loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import Callable
from typing import Any

import pytest
from dbtools import cloudsql_local as cl
from dbtools.connector import Connector, ExpiredCertificateError, ServerIdentityError
from dbtools.connector.identity import CertNames, ServerIdentity
from dbtools.connector.instance import InstanceName
from google.oauth2.credentials import Credentials as OAuthCredentials


def wait_for(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Poll until `predicate` holds (a bound on waiting, not an assertion on time)."""
    end = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def one(conn: Any, sql: str = "select 1") -> Any:
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchone()[0]


def test_background_refresh_across_expiry_keeps_connections_usable(
    make_connector: Any, emu: cl.Emulator, names: Any, pg_server: Any, mysql_server: Any
) -> None:
    emu.faults.cert_lifetime = dt.timedelta(seconds=3)
    connector: Connector = make_connector(refresh_interval=0.2, refresh_buffer=1.0)
    pg = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    my = connector.connect(names.MY, "pymysql", user=mysql_server.user, db=mysql_server.database)
    cache = connector._caches[(InstanceName.parse(names.PG), False)]
    first = cache.current
    assert first is not None
    # Wait until the first certificate has expired and at least two refreshes happened.
    wait_for(lambda: first.remaining() < -0.5 and cache.refreshes >= 3, "refreshes past expiry")
    current = cache.current
    assert current is not None and current.expiry > first.expiry
    # The connections opened under the expired certificate still work ...
    assert one(pg) == 1
    assert one(my) == 1
    # ... and new ones use the refreshed certificate.
    for _ in range(3):
        conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
        assert one(conn, "select 2") == 2
        conn.close()
    pg.close()
    my.close()


def test_lazy_refresh_only_when_a_connect_needs_it(
    make_connector: Any, emu: cl.Emulator, names: Any, pg_server: Any, admin_calls: Any
) -> None:
    emu.faults.cert_lifetime = dt.timedelta(seconds=2)
    connector: Connector = make_connector(refresh_strategy="lazy", refresh_buffer=0.5)
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()
    cache = connector._caches[(InstanceName.parse(names.PG), False)]
    info = cache.current
    assert info is not None
    wait_for(lambda: info.remaining() < 0, "the certificate to expire")
    # Nothing ran in the background, and nothing is scheduled to.
    assert cache._timer is None and cache._inflight is not None and cache._inflight.done()
    assert len(admin_calls("generateEphemeralCert")) == 1
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    assert one(conn) == 1
    conn.close()
    assert len(admin_calls("generateEphemeralCert")) == 2
    assert cache.current is not None and cache.current.expiry > info.expiry


def test_cert_expiry_is_capped_at_the_iam_token_expiry(
    make_connector: Any, emu: cl.Emulator, names: Any, pg_server: Any
) -> None:
    # The server would honour the token for an hour; the client knows it expires in 10 minutes.
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)
    creds = OAuthCredentials(
        token=emu.access_token(names.PRINCIPAL), expiry=soon.replace(tzinfo=None)
    )
    connector: Connector = make_connector(credentials=creds, enable_iam_auth=True)
    conn = connector.connect(names.PG, "pg8000", user=names.PG_IAM_USER, db=pg_server.database)
    conn.close()
    iam_info = connector._caches[(InstanceName.parse(names.PG), True)].current
    assert iam_info is not None
    assert abs((iam_info.expiry - soon).total_seconds()) < 1
    conn = connector.connect(
        names.PG, "pg8000", enable_iam_auth=False, user=pg_server.user, db="test"
    )
    conn.close()
    plain = connector._caches[(InstanceName.parse(names.PG), False)].current
    assert plain is not None and plain.expiry > iam_info.expiry + dt.timedelta(minutes=30)


@pytest.mark.parametrize("instance", ["PG", "PG_CAS"])
def test_server_certificate_for_another_instance_is_refused(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any, instance: str
) -> None:
    name = getattr(names, instance)
    conn = connector.connect(name, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()  # the right certificate is accepted, whether CN (legacy) or SAN-only (CAS)
    emu.faults.wrong_server_identity = True
    with pytest.raises(ServerIdentityError, match="not issued for instance 'proj:") as info:
        connector.connect(name, "pg8000", user=pg_server.user, db=pg_server.database)
    assert isinstance(info.value, ssl.SSLCertVerificationError)


def test_wrong_identity_refused_by_every_driver(
    connector: Connector, emu: cl.Emulator, names: Any, pg_server: Any, mysql_server: Any
) -> None:
    emu.faults.wrong_server_identity = True
    with pytest.raises(ServerIdentityError):
        connector.connect(names.MY, "pymysql", user=mysql_server.user)

    async def via_asyncpg() -> None:
        await connector.connect_async(names.PG, "asyncpg", user=pg_server.user)

    with pytest.raises(ServerIdentityError):
        asyncio.run(via_asyncpg())
    # psycopg goes through the in-process listener, which reports the failure in-protocol;
    # the connector raises it again as the same error type.
    import psycopg

    with pytest.raises(ServerIdentityError, match="not issued for instance") as info:
        connector.connect(names.PG, "psycopg", user=pg_server.user)
    assert isinstance(info.value.__cause__, psycopg.OperationalError)

    async def via_psycopg_async() -> None:
        await connector.connect_async(names.PG, "psycopg", user=pg_server.user)

    with pytest.raises(ServerIdentityError):
        asyncio.run(via_psycopg_async())


def test_cas_impostor_with_the_right_cn_is_refused_by_every_driver(
    connector: Connector, emu: cl.Emulator, names: Any, every_driver: Any
) -> None:
    """A CAS instance is identified by its DNS name: a certificate from the shared CA for
    another DNS name is refused even though its CN reads project:instance."""
    attempts = every_driver(connector, names.PG_CAS, names.MY_CAS)
    for _driver, attempt in attempts:
        attempt()  # the genuine certificate passes
    emu.faults.wrong_server_identity = True
    for driver, attempt in attempts:
        with pytest.raises(ServerIdentityError, match="CAS server CA") as info:
            attempt()
        text = str(info.value)
        assert "SAN DNS:wrong-instance." in text, driver
        assert "the CN is not enough" in text, driver


def test_expired_client_certificate_is_refused_before_dialing(
    make_connector: Any, emu: cl.Emulator, names: Any, every_driver: Any
) -> None:
    emu.faults.expired_certs = True
    proxies = [emu.instance(names.PG), emu.instance(names.MY)]
    dialled = [p.accepted_connections for p in proxies]
    for driver, attempt in every_driver(make_connector(), names.PG, names.MY):
        with pytest.raises(ExpiredCertificateError, match="had already expired") as info:
            attempt()
        assert "check the system clock" in str(info.value), driver
        assert f"{names.PG if driver != 'pymysql' else names.MY}" in str(info.value), driver
    # Refused before any TCP connection to the instances.
    assert [p.accepted_connections for p in proxies] == dialled
    emu.faults.expired_certs = False
    connector: Connector = make_connector()
    for _driver, attempt in every_driver(connector, names.PG, names.MY):
        attempt()


def test_failed_connect_triggers_a_refresh(
    make_connector: Any, emu: cl.Emulator, names: Any, pg_server: Any, admin_calls: Any
) -> None:
    connector: Connector = make_connector(refresh_interval=0.1)
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()
    assert len(admin_calls("generateEphemeralCert")) == 1
    emu.faults.wrong_server_identity = True
    with pytest.raises(ServerIdentityError):
        connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    wait_for(lambda: len(admin_calls("generateEphemeralCert")) >= 2, "a refresh after the failure")
    emu.faults.wrong_server_identity = False
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    assert one(conn) == 1
    conn.close()


def test_one_refresh_serves_concurrent_first_connects(
    connector: Connector, names: Any, pg_server: Any, admin_calls: Any
) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        conns = list(
            pool.map(
                lambda _: connector.connect(names.PG, "pg8000", user=pg_server.user, db="test"),
                range(8),
            )
        )
    for c in conns:
        c.close()
    assert len(admin_calls("generateEphemeralCert")) == 1
    assert len(admin_calls("connectSettings")) == 1


def test_identity_rules() -> None:
    ident = ServerIdentity("proj:inst", ("abc.us-central1.sql.goog",))
    ident.check_names(CertNames(("proj:inst",), ()))  # legacy CN
    ident.check_names(CertNames((), ("abc.us-central1.sql.goog.",)))  # CAS SAN
    ident.check_names(CertNames((), ("*.us-central1.sql.goog",)))  # wildcard SAN
    for bad in (
        CertNames(("proj:other",), ()),
        CertNames(("evil:inst",), ("abc.us-east1.sql.goog",)),
        CertNames((), ("x.abc.us-central1.sql.goog",)),
        CertNames((), ()),
    ):
        with pytest.raises(ServerIdentityError, match="expected CN=proj:inst or SAN DNS:abc"):
            ident.check_names(bad)
    # CAS: the DNS name decides. A wrong DNS SAN is refused whatever the CN says; a
    # certificate with no DNS SAN at all may still prove itself by the CN.
    cas = ServerIdentity("proj:inst", ("abc.us-central1.sql.goog",), by_dns_name=True)
    cas.check_names(CertNames((), ("abc.us-central1.sql.goog",)))
    cas.check_names(CertNames(("proj:inst",), ()))
    impostor = CertNames(("proj:inst",), ("xyz.us-central1.sql.goog",))
    with pytest.raises(ServerIdentityError, match=r"names SAN DNS:xyz\.us-central1\.sql\.goog, "):
        cas.check_names(impostor)
    ident.check_names(impostor)  # a legacy instance's CN is its identity
    # With no DNS name known, the CN is all there is to check.
    ServerIdentity("proj:inst", (), by_dns_name=True).check_names(impostor)


async def test_key_pair_is_generated_off_the_event_loop(emu: cl.Emulator, names: Any) -> None:
    from dbtools.connector import create_async_connector

    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    connector = await create_async_connector(
        admin_api_endpoint=emu.admin_url, credentials=emu.credentials(names.PRINCIPAL)
    )
    try:
        key_future = connector._keys
        await asyncio.wrap_future(key_future)
        stop.set()
        await task
        # The loop kept running other tasks while the RSA key was being generated.
        assert ticks > 10
    finally:
        await connector.close_async()


@pytest.mark.parametrize("strategy", ["lazy", "background"])
def test_login_errors_do_not_turn_into_a_refresh_storm(
    make_connector: Any, names: Any, pg_server: Any, admin_calls: Any, strategy: str
) -> None:
    import pg8000.dbapi

    connector: Connector = make_connector(refresh_strategy=strategy)
    for _ in range(6):
        with pytest.raises(pg8000.dbapi.DatabaseError, match="does not exist"):
            connector.connect(names.PG, "pg8000", user=pg_server.user, db="no_such_database")
    if strategy == "background":  # forced refreshes run in the background
        wait_for(lambda: len(admin_calls("generateEphemeralCert")) >= 2, "a forced refresh")
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    # One initial fetch plus at most the limiter's burst of two forced refreshes.
    assert 2 <= len(admin_calls("generateEphemeralCert")) <= 3
    assert one(conn) == 1
    conn.close()
