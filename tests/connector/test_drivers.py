"""Each driver, with and without IAM login, through cloudsql-local to the real servers."""

from __future__ import annotations

import asyncio
from typing import Any

import pg8000.dbapi
import pytest
import sqlalchemy
from dbtools.connector import ConfigurationError, Connector
from sqlalchemy.ext.asyncio import create_async_engine


def _query_sync(conn: Any, sql: str) -> Any:
    cur = conn.cursor()
    cur.execute(sql)
    row = cur.fetchone()
    cur.close()
    return row[0]


@pytest.mark.parametrize("driver", ["pg8000", "psycopg"])
def test_postgres_sync_drivers(
    connector: Connector, names: Any, pg_server: Any, driver: str
) -> None:
    conn = connector.connect(
        names.PG,
        driver,
        user=pg_server.user,
        password=pg_server.password or None,
        db=pg_server.database,
    )
    try:
        assert _query_sync(conn, "select current_database()") == pg_server.database
        assert _query_sync(conn, "select 6 * 7") == 42
    finally:
        conn.close()


def test_pymysql(connector: Connector, names: Any, mysql_server: Any) -> None:
    conn = connector.connect(
        names.MY,
        "pymysql",
        user=mysql_server.user,
        password=mysql_server.password,
        db=mysql_server.database,
    )
    try:
        assert _query_sync(conn, "select database()") == mysql_server.database
        assert _query_sync(conn, "select version()").lower().find("mariadb") >= 0
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("driver", "instance", "user", "expected_role"),
    [
        ("pg8000", "PG", "PG_IAM_USER", "pg"),
        ("psycopg", "PG", "PG_IAM_USER", "pg"),
        ("pymysql", "MY", "MY_IAM_USER", "my"),
    ],
)
def test_iam_login_sync(
    make_connector: Any,
    names: Any,
    pg_server: Any,
    mysql_server: Any,
    driver: str,
    instance: str,
    user: str,
    expected_role: str,
) -> None:
    connector = make_connector(enable_iam_auth=True)
    server = pg_server if expected_role == "pg" else mysql_server
    conn = connector.connect(
        getattr(names, instance), driver, user=getattr(names, user), db=server.database
    )
    try:
        sql = "select current_user" if expected_role == "pg" else "select current_user()"
        # cloudsql-local maps the IAM user to the backend role configured for it.
        assert str(_query_sync(conn, sql)).split("@")[0] == server.user
    finally:
        conn.close()


def test_iam_login_for_another_user_is_refused(make_connector: Any, names: Any) -> None:
    connector = make_connector(enable_iam_auth=True)
    with pytest.raises(pg8000.dbapi.DatabaseError, match="IAM user authentication failed"):
        connector.connect(names.PG, "pg8000", user="someone-else@proj.iam", db="test")


def test_iam_without_user_and_without_service_account_says_what_to_pass(
    make_connector: Any, names: Any
) -> None:
    connector = make_connector(enable_iam_auth=True)
    with pytest.raises(ConfigurationError, match="needs user="):
        connector.connect(names.PG, "pg8000", db="test")


@pytest.mark.parametrize("iam", [False, True])
async def test_asyncpg(make_connector: Any, names: Any, pg_server: Any, iam: bool) -> None:
    connector = make_connector(enable_iam_auth=iam)
    user = names.PG_IAM_USER if iam else pg_server.user
    conn = await connector.connect_async(
        names.PG,
        "asyncpg",
        user=user,
        password=None if iam else (pg_server.password or None),
        db=pg_server.database,
    )
    try:
        assert await conn.fetchval("select current_user") == pg_server.user
        assert await conn.fetchval("select $1::int + 1", 41) == 42
    finally:
        await conn.close()


@pytest.mark.parametrize("iam", [False, True])
async def test_psycopg_async(make_connector: Any, names: Any, pg_server: Any, iam: bool) -> None:
    connector = make_connector(enable_iam_auth=iam)
    user = names.PG_IAM_USER if iam else pg_server.user
    conn = await connector.connect_async(names.PG, "psycopg", user=user, dbname=pg_server.database)
    try:
        cur = await conn.execute("select current_user")
        assert (await cur.fetchone())[0] == pg_server.user
    finally:
        await conn.close()


async def test_connect_async_runs_on_any_loop_and_many_at_once(
    connector: Connector, names: Any, pg_server: Any
) -> None:
    # The reference insists on its own loop (ConnectorLoopError); this one runs on the caller's.
    conns = await asyncio.gather(
        *(
            connector.connect_async(names.PG, "asyncpg", user=pg_server.user, db=pg_server.database)
            for _ in range(8)
        )
    )
    try:
        pids = {await c.fetchval("select pg_backend_pid()") for c in conns}
        assert len(pids) == 8
    finally:
        await asyncio.gather(*(c.close() for c in conns))


def test_sqlalchemy_creator_pools_connector_connections(
    connector: Connector, names: Any, pg_server: Any, mysql_server: Any
) -> None:
    pg = sqlalchemy.create_engine(
        "postgresql+pg8000://",
        creator=lambda: connector.connect(
            names.PG, "pg8000", user=pg_server.user, db=pg_server.database
        ),
        pool_size=2,
    )
    my = sqlalchemy.create_engine(
        "mysql+pymysql://",
        creator=lambda: connector.connect(
            names.MY, "pymysql", user=mysql_server.user, db=mysql_server.database
        ),
    )
    try:
        with pg.connect() as c:
            assert c.execute(sqlalchemy.text("select :x + 1"), {"x": 1}).scalar() == 2
        with my.connect() as c:
            assert c.execute(sqlalchemy.text("select 40 + 2")).scalar() == 42
        ps = sqlalchemy.create_engine(
            "postgresql+psycopg://",
            creator=lambda: connector.connect(
                names.PG, "psycopg", user=pg_server.user, dbname=pg_server.database
            ),
        )
        with ps.connect() as c:
            assert (
                c.execute(sqlalchemy.text("select current_database()")).scalar()
                == pg_server.database
            )
        ps.dispose()
    finally:
        pg.dispose()
        my.dispose()


async def test_sqlalchemy_async_creator(connector: Connector, names: Any, pg_server: Any) -> None:
    async def asyncpg_creator() -> Any:
        return await connector.connect_async(
            names.PG, "asyncpg", user=pg_server.user, db=pg_server.database
        )

    async def psycopg_creator() -> Any:
        return await connector.connect_async(
            names.PG, "psycopg", user=pg_server.user, dbname=pg_server.database
        )

    for url, creator in (
        ("postgresql+asyncpg://", asyncpg_creator),
        ("postgresql+psycopg://", psycopg_creator),
    ):
        engine = create_async_engine(url, async_creator=creator)
        try:
            async with engine.connect() as c:
                result = await c.execute(sqlalchemy.text("select 1 + 1"))
                assert result.scalar() == 2
        finally:
            await engine.dispose()


def test_private_and_auto_ip_types(
    make_connector: Any, emu: Any, names: Any, pg_server: Any
) -> None:
    addresses = emu.instance(names.PG).ip_addresses
    for ip_type in ("private", "auto", "public"):
        connector = make_connector(ip_type=ip_type)
        conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
        try:
            peer = conn._usock.getpeername()[0]
            want = addresses["PRIVATE" if ip_type == "private" else "PRIMARY"]
            assert peer == want
        finally:
            conn.close()


def test_psc_reaches_the_psc_endpoint_and_checks_the_cas_name(
    make_connector: Any, emu: Any, names: Any, pg_server: Any
) -> None:
    connector = make_connector(ip_type="psc")
    conn = connector.connect(names.PG_CAS, "pg8000", user=pg_server.user, db=pg_server.database)
    try:
        assert conn._usock.getpeername()[0] == emu.instance(names.PG_CAS).ip_addresses["PSC"]
        assert _query_sync(conn, "select 1") == 1
    finally:
        conn.close()


def test_user_agent_reaches_the_admin_api(
    make_connector: Any, names: Any, pg_server: Any, admin_calls: Any
) -> None:
    connector = make_connector(user_agent="my-app/2.0", quota_project="billing-proj")
    conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
    conn.close()
    agents = {c.user_agent for c in admin_calls()}
    assert len(agents) == 1
    (agent,) = agents
    assert agent.startswith("dbtools-connector/0.1.0") and agent.endswith(" my-app/2.0")


def test_application_default_credentials(
    emu: Any, names: Any, pg_server: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    import google.auth
    from dbtools.connector import CredentialsError

    # google-auth pins authorized_user ADC files to Google's token endpoint, so the lookup
    # itself is stood in for here; the rest of the path is real.
    asked: list[dict[str, Any]] = []

    def fake_default(**kwargs: Any) -> Any:
        asked.append(kwargs)
        return emu.credentials(names.PRINCIPAL), None

    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "quota-proj")
    with monkeypatch.context() as m:
        m.setattr(google.auth, "default", fake_default)
        with Connector(admin_api_endpoint=emu.admin_url) as connector:
            conn = connector.connect(names.PG, "pg8000", user=pg_server.user, db=pg_server.database)
            assert _query_sync(conn, "select 1") == 1
            conn.close()
    assert asked == [
        {
            "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
            "quota_project_id": "quota-proj",
        }
    ]
    # No ADC at all: the error says how to set it up.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(CredentialsError, match="application-default login"):
        Connector(admin_api_endpoint=emu.admin_url)


def test_auto_ip_type_falls_back_to_private(
    make_connector: Any, emu: Any, names: Any, pg_server: Any
) -> None:
    from dbtools.connector import IPTypeNotFoundError

    private = emu.instance(names.PG_PRIVATE).ip_addresses["PRIVATE"]
    conn = make_connector(ip_type="auto").connect(
        names.PG_PRIVATE, "pg8000", user=pg_server.user, db=pg_server.database
    )
    try:
        assert conn._usock.getpeername()[0] == private
    finally:
        conn.close()
    with pytest.raises(IPTypeNotFoundError, match="no PUBLIC address"):
        make_connector().connect(names.PG_PRIVATE, "pg8000", user=pg_server.user)
