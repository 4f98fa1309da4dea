"""The real psql client through the proxy against spanner-local; output compared as text."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from dbtools.pgadapter import Proxy
from psycopg.types.json import Jsonb


def psql(
    dsn: str, script: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGTZ": "UTC", "PAGER": "", "PGCLIENTENCODING": "UTF8"}
    return subprocess.run(
        ["psql", "-X", "-q", *args, dsn],
        input=textwrap.dedent(script),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


EXPECTED = Path(__file__).parent / "expected"


def assert_expected(name: str, actual: str) -> None:
    """Compare with expected/<name>.out (PGADAPTER_REGEN_EXPECTED=1 rewrites it after review)."""
    path = EXPECTED / f"{name}.out"
    if os.environ.get("PGADAPTER_REGEN_EXPECTED") == "1":
        path.write_text(actual)
    assert actual == path.read_text()


SCHEMA = """
create table t (id bigint primary key, name varchar(20) not null, v numeric, f float8, b bool);
create index ti on t(name);
create table u (k varchar primary key, d date, ts timestamptz);
"""


def test_backslash_commands(dsn: str, database: str) -> None:
    commands = [
        "\\dt",
        "\\d t",
        "\\di",
        "\\dn",
        "\\d ti",
        "\\d t_pkey",
        "\\d+ u",
        "\\dt+ u",
        "\\df",
        "\\d",
    ]
    out = psql(dsn, SCHEMA + "\n".join(commands) + "\n")
    assert out.stderr == ""
    assert_expected("backslash", out.stdout)


def test_list_databases_names_this_database(dsn: str, database: str) -> None:
    out = psql(dsn, "\\l\n")
    assert out.returncode == 0, out.stderr
    header = out.stdout.splitlines()[1]
    assert [h.strip() for h in header.split("|")][:4] == ["Name", "Owner", "Encoding", "Collate"]
    assert any(line.split("|")[0].strip() == database for line in out.stdout.splitlines())


def test_describe_missing_relation(dsn: str) -> None:
    out = subprocess.run(
        ["psql", "-X", dsn, "-c", "\\d nothing_here"], capture_output=True, text=True, timeout=60
    )
    assert out.stderr.strip() == 'Did not find any relation named "nothing_here".'


CREATE_ALL = """create table all_t (id bigint primary key, s varchar, v numeric, f8 float8,
  f4 float4, b bool, by bytea, ts timestamptz, d date, j jsonb, ai bigint[], sa varchar[],
  af float8[], ab bool[], ad date[])"""
ALL_VALUES = (
    1,
    'héllo, "world"',
    Decimal("12345.678"),
    2.5,
    1.25,
    True,
    b"\x01\x02\xff",
    dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=dt.timezone.utc),
    dt.date(2024, 1, 2),
    Jsonb({"b": [1, 2], "a": 1}),
    [1, None, -3],
    ["x", None, "y z", ""],
    [0.5, -1e20],
    [True, False],
    [dt.date(2000, 2, 29)],
)
SELECT_ALL = "select * from all_t order by id;\n\\x on\nselect * from all_t where id = 1;\n"


def _fill(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CREATE_ALL)
        conn.execute(f"insert into all_t values ({', '.join(['%s'] * 15)})", ALL_VALUES)
        conn.execute("insert into all_t (id) values (2)")


def test_select_every_type(dsn: str) -> None:
    """Values written through psycopg parameters, read back by psql in text format."""
    _fill(dsn)
    out = psql(dsn, SELECT_ALL)
    assert out.stderr == ""
    assert_expected("every_type", out.stdout)


def test_select_output_is_what_postgresql_prints(dsn: str, pg_db) -> None:  # type: ignore[no-untyped-def]
    """The same rows, printed by psql from the proxy and from a real PostgreSQL 15."""
    _fill(dsn)
    _fill(pg_db.dsn)
    ours = psql(dsn, SELECT_ALL)
    theirs = psql(pg_db.dsn, SELECT_ALL)
    assert ours.stdout == theirs.stdout


def test_insert_returning_and_transaction_block(dsn: str) -> None:
    script = """
    create table t (id bigint primary key, name varchar);
    insert into t (id, name) values (1, 'one') returning id, name;
    begin;
    insert into t (id, name) values (2, 'two');
    update t set name = 'uno' where id = 1;
    select id, name from t order by id;
    commit;
    begin;
    delete from t where id = 2;
    rollback;
    select count(*) as n from t;
    """
    out = psql(dsn, script, "-a")
    assert out.stderr == ""
    assert " id | name \n----+------\n  1 | one\n(1 row)\n" in out.stdout
    assert "  1 | uno\n  2 | two\n(2 rows)" in out.stdout
    assert out.stdout.rstrip().endswith(" n \n---\n 2\n(1 row)")


def test_error_then_working_statement(dsn: str) -> None:
    out = psql(dsn, "select * from no_such_table;\nselect 41 + 1 as answer;\n")
    assert 'relation "no_such_table" does not exist' in out.stderr
    assert " answer \n--------\n     42\n(1 row)" in out.stdout
    assert out.returncode == 0


def test_on_error_stop(dsn: str) -> None:
    out = psql(dsn, "\\set ON_ERROR_STOP on\nselect * from no_such_table;\nselect 'not reached';\n")
    assert out.returncode == 3
    assert "not reached" not in out.stdout
    assert "ERROR:" in out.stderr


def test_failed_transaction_block(dsn: str) -> None:
    script = """
    create table t (id bigint primary key);
    begin;
    insert into t values (1);
    select * from missing;
    insert into t values (2);
    commit;
    select count(*) as n from t;
    """
    out = psql(dsn, script)
    assert (
        "current transaction is aborted, commands ignored until end of transaction block"
        in out.stderr
    )
    assert out.stdout.rstrip().endswith(" n \n---\n 0\n(1 row)")


LONG_QUERY = (
    "select count(*) from generate_series(1, 15000) a, generate_series(1, 15000) b "
    "where (a.a * b.b) % 7 = 3"
)


def test_cancel_long_query(proxy: Proxy, dsn: str) -> None:
    """Ctrl-C in psql sends a CancelRequest; the running statement ends with 57014."""
    proc = subprocess.Popen(
        ["psql", "-X", dsn, "-c", LONG_QUERY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PAGER": ""},
    )
    deadline = time.monotonic() + 60
    while proxy.server.busy_count == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert "canceling statement due to user request" in err
    assert proc.returncode == 1
    # the connection that was cancelled is gone, and the proxy still serves
    assert psql(dsn, "select 1 as one;").stdout.startswith(" one")


@pytest.mark.parametrize("command", ["show server_version", "select version()"])
def test_server_identity(dsn: str, command: str) -> None:
    out = psql(dsn, command + ";\n", "-t", "-A")
    assert out.stdout.startswith("14.1") or out.stdout.startswith("PostgreSQL 14.1")


def test_timestamptz_nanoseconds_are_shown_in_text_as_pgadapter_shows_them(dsn: str) -> None:
    """Spanner keeps nanoseconds; PostgreSQL has microseconds. Like PGAdapter, the text form
    shows all nine digits, and text input keeps them (nothing is truncated on the way)."""
    script = """
    create table tsn (k bigint primary key, ts timestamptz);
    insert into tsn (k, ts) values (1, '2024-02-29 12:30:15.123456789+00');
    insert into tsn (k, ts) values (2, '0001-01-01 00:00:00.000000001+00');
    insert into tsn (k, ts) values (3, '2024-02-29 12:30:15.123456788+00');
    \\pset format unaligned
    \\pset tuples_only on
    select k, ts from tsn order by ts;
    select k from tsn where ts = '2024-02-29 12:30:15.123456789+00';
    """
    out = psql(dsn, script)
    assert out.stderr == ""
    assert out.stdout.split() == [
        "2|0001-01-01",
        "00:00:00.000000001+00",
        "3|2024-02-29",
        "12:30:15.123456788+00",
        "1|2024-02-29",
        "12:30:15.123456789+00",
        "1",
    ]


def test_timestamptz_nanosecond_parameters_reach_spanner(dsn: str) -> None:
    """A text-format parameter with nine fractional digits is passed on whole."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table tsp (k bigint primary key, ts timestamptz)")
        conn.execute(
            "insert into tsp (k, ts) values (1, %s::timestamptz)",
            ("2024-02-29 12:30:15.123456789+00",),
        )
    out = psql(dsn, "\\pset tuples_only on\nselect ts from tsp;\n")
    assert out.stdout.strip() == "2024-02-29 12:30:15.123456789+00"


def test_dml_over_the_mutation_limit_reports_spanners_error(dsn: str) -> None:
    # 40,001 rows x 2 columns = 80,002 mutations in one statement: over Spanner's 80,000
    script = """
        create table m (id bigint primary key, v varchar);
        \\set VERBOSITY verbose
        insert into m (id, v) select g, 'x' from generate_series(1, 40001) g;
        select count(*) from m;
    """
    out = psql(dsn, script, "-t")
    assert "ERROR:  54000: The transaction contains too many mutations." in out.stderr
    assert "(Maximum number: 80000)" in out.stderr
    assert out.stdout.split() == ["0"]  # nothing written, the session went on
