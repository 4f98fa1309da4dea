"""Fixtures for cloudsql-local: an emulator in front of the real local servers, IAM roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pymysql
import pytest
from dbtools import cloudsql_local

PROJECT = "csl-proj"
REGION = "us-central1"
PG = f"{PROJECT}:{REGION}:pg"
PG_CAS = f"{PROJECT}:{REGION}:pg-cas"
MY = f"{PROJECT}:{REGION}:my"


@pytest.fixture
def config(pg_server, mysql_server) -> cloudsql_local.Config:  # type: ignore[no-untyped-def]
    return cloudsql_local.Config(
        instances=[
            cloudsql_local.Instance(
                PG,
                database_version="POSTGRES_15",
                backend=f"{pg_server.host}:{pg_server.port}",
                ip_types=("PRIMARY", "PRIVATE"),
            ),
            cloudsql_local.Instance(
                PG_CAS,
                database_version="POSTGRES_15",
                backend=f"{pg_server.host}:{pg_server.port}",
                server_ca_mode="GOOGLE_MANAGED_CAS_CA",
            ),
            cloudsql_local.Instance(
                MY,
                database_version="MYSQL_8_0",
                backend=f"{mysql_server.host}:{mysql_server.port}",
            ),
        ]
    )


@pytest.fixture
def emu(config: cloudsql_local.Config) -> Iterator[cloudsql_local.Emulator]:
    with cloudsql_local.serve(config) as running:
        yield running


@dataclass
class IamAccount:
    email: str  # the service account
    pg_user: str  # the database user the connector sends for PostgreSQL
    mysql_user: str


@pytest.fixture
def iam_account(pg_server, mysql_server) -> Iterator[IamAccount]:  # type: ignore[no-untyped-def]
    """A service account with matching roles in PostgreSQL and MariaDB (dropped afterwards)."""
    short = f"csl-{uuid.uuid4().hex[:10]}"
    account = IamAccount(
        email=f"{short}@{PROJECT}.iam.gserviceaccount.com",
        pg_user=f"{short}@{PROJECT}.iam",
        mysql_user=short,
    )
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{account.pg_user}" LOGIN')
    my = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    try:
        with my.cursor() as cur:
            cur.execute(f"CREATE USER '{account.mysql_user}'@'%'")
            cur.execute(f"GRANT ALL ON `dbt_%`.* TO '{account.mysql_user}'@'%'")
    finally:
        my.close()
    try:
        yield account
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (account.pg_user,),
            )
            admin.execute(f'DROP OWNED BY "{account.pg_user}"')
            admin.execute(f'DROP ROLE IF EXISTS "{account.pg_user}"')
        my = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
        try:
            with my.cursor() as cur:
                cur.execute(f"DROP USER IF EXISTS '{account.mysql_user}'@'%'")
        finally:
            my.close()
