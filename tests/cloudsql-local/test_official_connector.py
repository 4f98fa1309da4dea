"""The official cloud-sql-python-connector, unmodified, against cloudsql-local: every driver,
with and without IAM database login, running real queries on the real local servers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pymysql
import pytest
from dbtools import cloudsql_local
from google.cloud.sql.connector import Connector, IPTypes, create_async_connector
from google.cloud.sql.connector.exceptions import CloudSQLIPTypeError

# The instances conftest.py configures (test modules cannot import conftest under importlib).
PG = "csl-proj:us-central1:pg"
PG_CAS = "csl-proj:us-central1:pg-cas"
MY = "csl-proj:us-central1:my"


@pytest.fixture
def connector(emu: cloudsql_local.Emulator) -> Iterator[Connector]:
    with Connector(sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()) as c:
        yield c


def _roundtrip_dbapi(conn) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Create, fill and read a table (all three DB-API drivers use the %s paramstyle)."""
    cur = conn.cursor()
    cur.execute("CREATE TABLE t_csl (id INT PRIMARY KEY, name VARCHAR(40))")
    cur.executemany("INSERT INTO t_csl VALUES (%s, %s)", [(1, "alpha"), (2, "béta")])
    conn.commit()
    cur.execute("SELECT id, name FROM t_csl ORDER BY id")
    rows = [tuple(r) for r in cur.fetchall()]
    cur.close()
    return rows


def test_pg8000_queries(connector: Connector, emu: cloudsql_local.Emulator, pg_db) -> None:  # type: ignore[no-untyped-def]
    conn = connector.connect(PG, "pg8000", user=pg_db.user, db=pg_db.database)
    try:
        assert _roundtrip_dbapi(conn) == [(1, "alpha"), (2, "béta")]
        cur = conn.cursor()
        cur.execute("SELECT current_database(), current_user")
        assert cur.fetchone() == [pg_db.database, pg_db.user]
    finally:
        conn.close()
    ops = [(c.operation, c.status) for c in emu.admin_calls]
    assert ("connectSettings", 200) in ops and ("generateEphemeralCert", 200) in ops
    assert all("pg8000" in c.user_agent for c in emu.admin_calls)


def test_psycopg_queries(emu: cloudsql_local.Emulator, pg_db) -> None:  # type: ignore[no-untyped-def]
    connector = Connector(
        sqladmin_api_endpoint=emu.admin_url,
        credentials=emu.credentials(),
        quota_project="billing-proj",
        user_agent="csl-test/1.0",
    )
    conn = connector.connect(PG, "psycopg", user=pg_db.user, db=pg_db.database)
    try:
        assert _roundtrip_dbapi(conn) == [(1, "alpha"), (2, "béta")]
        assert conn.execute("SELECT %s::int + 1", (41,)).fetchone() == (42,)
    finally:
        conn.close()
        connector.close()
    assert {c.quota_project for c in emu.admin_calls} == {"billing-proj"}
    assert all(c.user_agent.endswith("+psycopg csl-test/1.0") for c in emu.admin_calls)


def test_pymysql_queries(connector: Connector, mysql_db) -> None:  # type: ignore[no-untyped-def]
    conn = connector.connect(MY, "pymysql", user=mysql_db.user, db=mysql_db.database)
    try:
        assert _roundtrip_dbapi(conn) == [(1, "alpha"), (2, "béta")]
        cur = conn.cursor()
        cur.execute("SELECT DATABASE()")
        assert cur.fetchone() == (mysql_db.database,)
    finally:
        conn.close()


async def test_asyncpg_queries(emu: cloudsql_local.Emulator, pg_db) -> None:  # type: ignore[no-untyped-def]
    connector = await create_async_connector(
        sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()
    )
    try:
        conn = await connector.connect_async(PG, "asyncpg", user=pg_db.user, db=pg_db.database)
        try:
            await conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
            await conn.executemany("INSERT INTO t VALUES ($1, $2)", [(1, "x"), (2, "y")])
            rows = await conn.fetch("SELECT id, v FROM t ORDER BY id")
            assert [tuple(r) for r in rows] == [(1, "x"), (2, "y")]
        finally:
            await conn.close()
    finally:
        await connector.close_async()


def test_cas_instance_and_private_ip(
    connector: Connector, emu: cloudsql_local.Emulator, pg_db
) -> None:  # type: ignore[no-untyped-def]
    conn = connector.connect(PG_CAS, "pg8000", user=pg_db.user, db=pg_db.database)
    cur = conn.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone() == [1]
    conn.close()
    private = connector.connect(
        PG, "pg8000", user=pg_db.user, db=pg_db.database, ip_type=IPTypes.PRIVATE
    )
    cur = private.cursor()
    cur.execute("SELECT inet_client_addr() IS NOT NULL OR true")
    assert cur.fetchone() == [True]
    private.close()
    assert emu.instance(PG).ip_addresses["PRIVATE"] != emu.instance(PG).ip_addresses["PRIMARY"]


def test_many_connections_share_one_certificate(
    connector: Connector, emu: cloudsql_local.Emulator, pg_db
) -> None:  # type: ignore[no-untyped-def]
    conns = [connector.connect(PG, "pg8000", user=pg_db.user, db=pg_db.database) for _ in range(5)]
    try:
        pids = set()
        for conn in conns:
            cur = conn.cursor()
            cur.execute("SELECT pg_backend_pid()")
            pids.add(cur.fetchone()[0])
        assert len(pids) == 5
        assert emu.instance(PG).open_connections == 5
    finally:
        for conn in conns:
            conn.close()
    certs = [c for c in emu.admin_calls if c.operation == "generateEphemeralCert"]
    assert len(certs) == 1


# --- IAM database login ----------------------------------------------------------------------


@pytest.fixture
def iam_connector(emu: cloudsql_local.Emulator, iam_account) -> Iterator[Connector]:
    with Connector(
        sqladmin_api_endpoint=emu.admin_url,
        credentials=emu.credentials(iam_account.email),
        enable_iam_auth=True,
    ) as c:
        yield c


@pytest.mark.parametrize("driver", ["pg8000", "psycopg"])
def test_iam_login_postgres(iam_connector: Connector, iam_account, pg_server, driver: str) -> None:  # type: ignore[no-untyped-def]
    # The user passes the full service account email; the connector trims it.
    conn = iam_connector.connect(PG, driver, user=iam_account.email, db=pg_server.database)
    try:
        cur = conn.cursor()
        cur.execute("SELECT current_user, session_user")
        assert tuple(cur.fetchone()) == (iam_account.pg_user, iam_account.pg_user)
        cur.execute("CREATE TEMP TABLE tmp_iam (x int)")
        cur.execute("INSERT INTO tmp_iam VALUES (1), (2)")
        cur.execute("SELECT sum(x) FROM tmp_iam")
        assert cur.fetchone()[0] == 3
    finally:
        conn.close()


async def test_iam_login_asyncpg(emu: cloudsql_local.Emulator, iam_account, pg_server) -> None:  # type: ignore[no-untyped-def]
    connector = await create_async_connector(
        sqladmin_api_endpoint=emu.admin_url,
        credentials=emu.credentials(iam_account.email),
        enable_iam_auth=True,
    )
    try:
        conn = await connector.connect_async(
            PG, "asyncpg", user=iam_account.email, db=pg_server.database
        )
        try:
            assert await conn.fetchval("SELECT current_user") == iam_account.pg_user
            assert await conn.fetchval("SELECT $1::int * 2", 21) == 42
        finally:
            await conn.close()
    finally:
        await connector.close_async()


def test_iam_login_mysql(iam_connector: Connector, iam_account, mysql_db) -> None:  # type: ignore[no-untyped-def]
    conn = iam_connector.connect(MY, "pymysql", user=iam_account.email, db=mysql_db.database)
    try:
        cur = conn.cursor()
        cur.execute("SELECT CURRENT_USER(), USER()")
        current, user = cur.fetchone()
        assert current == f"{iam_account.mysql_user}@%"
        assert user.startswith(iam_account.mysql_user + "@")
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO t VALUES (7)")
        conn.commit()
        cur.execute("SELECT id FROM t")
        assert cur.fetchall() == ((7,),)
    finally:
        conn.close()


def test_iam_role_mapping(pg_server, mysql_server, iam_account, pg_db) -> None:  # type: ignore[no-untyped-def]
    """An IAM user mapped to an existing backend role logs in as that role."""
    config = cloudsql_local.Config(
        instances=[
            cloudsql_local.Instance(
                PG,
                backend=f"{pg_server.host}:{pg_server.port}",
                iam_roles={iam_account.pg_user: pg_server.user},
            ),
            cloudsql_local.Instance(
                MY,
                database_version="MYSQL_8_0",
                backend=f"{mysql_server.host}:{mysql_server.port}",
                iam_roles={iam_account.mysql_user: mysql_server.user},
            ),
        ]
    )
    with (
        cloudsql_local.serve(config) as emu,
        Connector(
            sqladmin_api_endpoint=emu.admin_url,
            credentials=emu.credentials(iam_account.email),
            enable_iam_auth=True,
        ) as connector,
    ):
        conn = connector.connect(PG, "pg8000", user=iam_account.email, db=pg_db.database)
        cur = conn.cursor()
        cur.execute("SELECT current_user")
        assert cur.fetchone() == [pg_server.user]
        conn.close()
        conn = connector.connect(MY, "pymysql", user=iam_account.email)
        cur = conn.cursor()
        cur.execute("SELECT CURRENT_USER()")
        assert cur.fetchone()[0].startswith(mysql_server.user + "@")
        conn.close()


def test_iam_and_builtin_side_by_side(emu: cloudsql_local.Emulator, iam_account, pg_server) -> None:  # type: ignore[no-untyped-def]
    """One connector, per-call enable_iam_auth: two certificates, each with its own login."""
    with Connector(
        sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials(iam_account.email)
    ) as connector:
        builtin = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
        iam = connector.connect(
            PG, "pg8000", user=iam_account.email, db=pg_server.database, enable_iam_auth=True
        )
        for conn, want in ((builtin, pg_server.user), (iam, iam_account.pg_user)):
            cur = conn.cursor()
            cur.execute("SELECT current_user")
            assert cur.fetchone() == [want]
            conn.close()
    certs = [c for c in emu.admin_calls if c.operation == "generateEphemeralCert"]
    assert len(certs) == 2


async def test_serve_async_on_the_callers_loop(config: cloudsql_local.Config, pg_server) -> None:  # type: ignore[no-untyped-def]
    async with cloudsql_local.serve_async(config) as emu:
        # The connector refreshes credentials synchronously on its loop, which is the
        # emulator's loop here: give it a token that needs no refresh.
        connector = await create_async_connector(
            sqladmin_api_endpoint=emu.admin_url, credentials=emu.token_credentials()
        )
        try:
            conns = await asyncio.gather(
                *[
                    connector.connect_async(
                        PG, "asyncpg", user=pg_server.user, db=pg_server.database
                    )
                    for _ in range(3)
                ]
            )
            values = [await c.fetchval("SELECT 40 + $1::int", i) for i, c in enumerate(conns)]
            assert values == [40, 41, 42]
            for c in conns:
                await c.close()
        finally:
            await connector.close_async()


def test_iam_login_to_backend_user_with_password(mysql_server, iam_account) -> None:  # type: ignore[no-untyped-def]
    """The proxy logs in to the backend with the mapped user's password (native scramble)."""
    backend_user = iam_account.mysql_user + "b"
    admin = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE USER '{backend_user}'@'%' IDENTIFIED BY 'Pa55-word'")
        config = cloudsql_local.Config(
            instances=[
                cloudsql_local.Instance(
                    MY,
                    database_version="MYSQL_8_0",
                    backend=f"{mysql_server.host}:{mysql_server.port}",
                    iam_roles={iam_account.mysql_user: backend_user},
                    backend_passwords={backend_user: "Pa55-word"},
                )
            ]
        )
        with (
            cloudsql_local.serve(config) as emu,
            Connector(
                sqladmin_api_endpoint=emu.admin_url,
                credentials=emu.credentials(iam_account.email),
                enable_iam_auth=True,
            ) as connector,
        ):
            conn = connector.connect(MY, "pymysql", user=iam_account.email)
            cur = conn.cursor()
            cur.execute("SELECT CURRENT_USER()")
            assert cur.fetchone() == (f"{backend_user}@%",)
            conn.close()
            # A wrong password for the backend user surfaces as the backend's refusal.
            emu.instance(MY).instance.backend_passwords[backend_user] = "wrong"
            with pytest.raises(pymysql.err.OperationalError) as info:
                connector.connect(MY, "pymysql", user=iam_account.email)
            assert info.value.args[0] == 1045
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{backend_user}'@'%'")
        admin.close()


def test_psc_and_private_only_instance(pg_server) -> None:  # type: ignore[no-untyped-def]
    """An instance without a public IP: the connector reaches it by PSC or PRIVATE only."""
    name = "csl-proj:us-central1:pg-psc"
    config = cloudsql_local.Config(
        instances=[
            cloudsql_local.Instance(
                name,
                backend=f"{pg_server.host}:{pg_server.port}",
                ip_types=("PRIVATE", "PSC"),
            )
        ]
    )
    with (
        cloudsql_local.serve(config) as emu,
        Connector(sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()) as connector,
    ):
        assert set(emu.instance(name).ip_addresses) == {"PRIVATE", "PSC"}
        for ip_type in ("psc", "private"):
            conn = connector.connect(
                name, "pg8000", user=pg_server.user, db=pg_server.database, ip_type=ip_type
            )
            cur = conn.cursor()
            cur.execute("SELECT 1")
            assert cur.fetchone() == [1]
            conn.close()
        with pytest.raises(CloudSQLIPTypeError):
            connector.connect(name, "pg8000", user=pg_server.user, ip_type="public")


def test_lazy_refresh_with_short_lived_certificates(
    emu: cloudsql_local.Emulator, pg_server
) -> None:  # type: ignore[no-untyped-def]
    """Certificates that expire within the connector's 4-minute refresh margin make the lazy
    strategy fetch a new one for every connection; normal ones are reused."""

    def certs_issued() -> int:
        return sum(c.operation == "generateEphemeralCert" for c in emu.admin_calls)

    def connect_three() -> None:
        with Connector(
            sqladmin_api_endpoint=emu.admin_url,
            credentials=emu.credentials(),
            refresh_strategy="lazy",
        ) as connector:
            for _ in range(3):
                conn = connector.connect(PG, "pg8000", user=pg_server.user, db=pg_server.database)
                cur = conn.cursor()
                cur.execute("SELECT 1")
                assert cur.fetchone() == [1]
                conn.close()

    emu.faults.cert_lifetime = timedelta(minutes=3)
    connect_three()
    assert certs_issued() == 3
    emu.faults.clear()
    connect_three()
    assert certs_issued() == 4
