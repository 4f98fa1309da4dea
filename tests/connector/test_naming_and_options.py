"""Pure logic: instance names, IAM user names, options, driver table."""

from __future__ import annotations

import pytest
from dbtools.connector import (
    ConfigurationError,
    InvalidInstanceNameError,
    IPType,
    RefreshStrategy,
    UnsupportedDriverError,
)
from dbtools.connector.drivers import lookup, normalize_kwargs
from dbtools.connector.instance import InstanceName, engine_of, iam_db_user


@pytest.mark.parametrize(
    ("text", "project", "region", "instance"),
    [
        ("my-project:us-central1:my-db", "my-project", "us-central1", "my-db"),
        ("example.com:proj:europe-west1:db1", "example.com:proj", "europe-west1", "db1"),
        ("  p1:local:i  ", "p1", "local", "i"),
    ],
)
def test_instance_names_parse(text: str, project: str, region: str, instance: str) -> None:
    name = InstanceName.parse(text)
    assert (name.project, name.region, name.instance) == (project, region, instance)
    assert name.server_cn == f"{project}:{instance}"
    assert str(name) == text.strip()


@pytest.mark.parametrize("text", ["", "proj:inst", "a:b:c:d:e", "Proj:us:db", "p:r:", "p::i"])
def test_bad_instance_names_say_the_expected_form(text: str) -> None:
    with pytest.raises(InvalidInstanceNameError, match="project:region:instance"):
        InstanceName.parse(text)


def test_engine_and_iam_user_mapping() -> None:
    assert engine_of("POSTGRES_15") == "postgresql"
    assert engine_of("MYSQL_8_0_31") == "mysql"
    assert engine_of("SQLSERVER_2019_STANDARD") == "sqlserver"
    sa = "app@proj.iam.gserviceaccount.com"
    assert iam_db_user(sa, "postgresql") == "app@proj.iam"
    assert iam_db_user(sa, "mysql") == "app"
    assert iam_db_user("alice@example.com", "postgresql") == "alice@example.com"


def test_options_accept_names_case_insensitively() -> None:
    assert IPType.parse("public") is IPType.PUBLIC
    assert IPType.parse("PRIMARY") is IPType.PUBLIC
    assert IPType.parse("psc") is IPType.PSC
    assert IPType.parse(IPType.AUTO) is IPType.AUTO
    assert RefreshStrategy.parse("lazy") is RefreshStrategy.LAZY
    with pytest.raises(ConfigurationError, match="public, private, psc, auto"):
        IPType.parse("internal")


def test_driver_table() -> None:
    assert lookup("PG8000").engine == "postgresql"
    assert lookup("pymysql").engine == "mysql"
    assert lookup("psycopg3").name == "psycopg"
    with pytest.raises(UnsupportedDriverError, match="asyncpg, pg8000, psycopg, pymysql"):
        lookup("pytds")
    psycopg = lookup("psycopg")
    assert normalize_kwargs(psycopg, {"db": "x", "user": "u"}) == {"dbname": "x", "user": "u"}
    assert normalize_kwargs(lookup("asyncpg"), {"dbname": "x"}) == {"database": "x"}


def test_errors_print_their_message() -> None:
    from dbtools.connector import ConnectError, ConnectTimeoutError, ServerIdentityError

    for cls in (ServerIdentityError, ConnectTimeoutError, ConnectError, ConfigurationError):
        assert str(cls("what went wrong")) == "what went wrong"
