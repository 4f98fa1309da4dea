"""PostgreSQL settings that change what a session prints or reads: each value is either the
one pgadapter follows (then PostgreSQL and pgadapter agree on it) or refused with 0A000 naming
the setting; never shown by SHOW and then ignored. The local PostgreSQL is the oracle for which
values are valid at all."""

from __future__ import annotations

import psycopg
import pytest

# (statement, what PostgreSQL says, what pgadapter says): None is success, else the SQLSTATE
CASES = [
    ("SET DateStyle = 'ISO'", None, None),
    ("SET DateStyle = 'ISO, MDY'", None, None),
    ("SET DateStyle = 'mdy'", None, None),
    ("SET DateStyle = 'SQL, DMY'", None, "0A000"),
    ("SET DateStyle = 'German'", None, "0A000"),
    ("SET DateStyle = 'ISO, YMD'", None, "0A000"),
    ("SET DateStyle = 'foo'", "22023", "22023"),
    ("SET DateStyle = 'ISO, SQL'", "22023", "22023"),
    ("SET bytea_output = 'hex'", None, None),
    ("SET bytea_output = 'escape'", None, "0A000"),
    ("SET bytea_output = 'octal'", "22023", "22023"),
    ("SET extra_float_digits = 3", None, None),
    ("SET extra_float_digits = 1", None, None),
    ("SET extra_float_digits = 0", None, "0A000"),
    ("SET extra_float_digits = -15", None, "0A000"),
    ("SET extra_float_digits = 4", "22023", "22023"),
    ("SET standard_conforming_strings = on", None, None),
    ("SET standard_conforming_strings = off", None, "0A000"),
    ("SET escape_string_warning = 'banana'", "22023", "22023"),
    ("SET escape_string_warning = off", None, None),
    ("SET search_path = public", None, None),
    ('SET search_path = "$user", public', None, None),
    ("SET search_path = myschema", None, "0A000"),
    ("SET lc_messages = 'C'", None, None),
    ("SET lc_numeric = 'POSIX'", None, None),
    ("SET lc_time = 'C.UTF-8'", None, "0A000"),
    ("SET lc_collate = 'C'", "55P02", "55P02"),
    ("SET lc_ctype = 'C'", "55P02", "55P02"),
    ("SET max_identifier_length = 10", "55P02", "55P02"),
    ("SET block_size = 1", "55P02", "55P02"),
    ("SET max_index_keys = 1", "55P02", "55P02"),
    ("SET default_with_oids = off", None, None),
    ("SET default_with_oids = on", "0A000", "0A000"),
    ("SET IntervalStyle = postgres", None, None),
    ("SET IntervalStyle = sql_standard", None, "0A000"),
]


def _outcome(conn: psycopg.Connection, statement: str) -> str | None:
    try:
        conn.execute(statement)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


@pytest.mark.parametrize(("statement", "in_postgresql", "in_pgadapter"), CASES)
def test_output_settings_are_followed_or_refused(
    pg_server, dsn: str, statement: str, in_postgresql: str | None, in_pgadapter: str | None
) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_server.url, autocommit=True) as pg:
        assert _outcome(pg, statement) == in_postgresql
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert _outcome(conn, statement) == in_pgadapter
        if in_pgadapter is None and in_postgresql is None:
            name = statement.split()[1]
            shown = conn.execute(f"SHOW {name}").fetchone()
            with psycopg.connect(pg_server.url, autocommit=True) as pg:
                pg.execute(statement)
                assert shown == pg.execute(f"SHOW {name}").fetchone()


def test_refusal_names_the_setting_and_keeps_the_old_value(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="DateStyle"):
            conn.execute("SET DateStyle = 'SQL, DMY'")
        assert conn.execute("SHOW DateStyle").fetchone() == ("ISO, MDY",)
        assert conn.execute("SELECT DATE '2024-03-01'::text").fetchone() == ("2024-03-01",)


def test_jdbc_startup_settings_are_accepted(proxy, database: str) -> None:  # type: ignore[no-untyped-def]
    # what pgjdbc sends in its startup packet
    options = "-c DateStyle=ISO -c extra_float_digits=2 -c client_encoding=UTF8"
    with psycopg.connect(proxy.dsn(database), options=options, autocommit=True) as conn:
        assert conn.execute("SHOW extra_float_digits").fetchone() == ("2",)
