"""Long string literals: exact values, and peak memory a small multiple of the request size."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from dbtools.spanner_local import big_literals
from dbtools.spanner_local.typemap import POSTGRESQL
from google.auth.credentials import AnonymousCredentials
from google.cloud import spanner

from .conftest import _drop

N = big_literals.HOIST_MIN_CHARS + 10


def _one(db, sql):
    with db.snapshot() as s:
        return list(s.execute_sql(sql))


def test_googlesql_long_literals_keep_their_values(gsql_db):
    gsql_db.update_ddl(["CREATE TABLE T (K INT64, V STRING(MAX), J JSON) PRIMARY KEY (K)"]).result(
        60
    )
    a = "a" * N
    quoted = "it's " * (N // 5)
    raw = "\\n" * (N // 2)
    assert _one(gsql_db, f"SELECT '{a}', \"{quoted}\", r'{raw}', LENGTH('{a}')") == [
        [a, quoted, raw, N]
    ]
    assert _one(gsql_db, f"SELECT '''{a}'''")[0][0] == a
    # Escapes, bytes and typed literals are left to the parser: same values either way.
    assert _one(gsql_db, f"SELECT '{'b' * N}\\t'")[0][0] == "b" * N + "\t"
    # (the client hands BYTES back base64-encoded)
    assert _one(gsql_db, f"SELECT b'{'c' * N}'")[0][0] == base64.b64encode(b"c" * N)
    doc = json.dumps({"k": "d" * N})
    assert _one(gsql_db, f"SELECT JSON '{doc}'")[0][0] == {"k": "d" * N}
    # A literal inside a comment is not a literal.
    assert _one(gsql_db, f"SELECT 1 /* '{a}' */, 2 -- '{a}'\n") == [[1, 2]]

    def work(txn):
        txn.execute_update(f"INSERT INTO T (K, V) VALUES (1, '{a}'), (2, @v)", params={"v": "x"})
        txn.execute_update(f'UPDATE T SET V = CONCAT(V, "{quoted}") WHERE K = 2')

    gsql_db.run_in_transaction(work)
    assert _one(gsql_db, "SELECT K, V FROM T ORDER BY K") == [[1, a], [2, "x" + quoted]]
    assert _one(gsql_db, f"SELECT K FROM T WHERE V = '{a}'") == [[1]]


def test_postgresql_long_literals_keep_their_values(pg_spanner_db):
    pg_spanner_db.update_ddl(["create table t (k bigint primary key, v varchar, j jsonb)"]).result(
        60
    )
    a = "a" * N
    quoted = "it''s " * (N // 5)
    assert _one(pg_spanner_db, f"select '{a}', '{quoted}', length('{a}')") == [
        [a, quoted.replace("''", "'"), N]
    ]
    doc = json.dumps({"k": "d" * N})

    def work(txn):
        txn.execute_update(f"insert into t (k, v, j) values (1, '{a}', '{doc}'::jsonb)")
        txn.execute_update(f"insert into t (k, v) values ($1, '{quoted}')", params={"p1": 2})

    pg_spanner_db.run_in_transaction(work)
    rows = _one(pg_spanner_db, "select k, v, j from t order by k")
    assert rows[0][:2] == [1, a] and rows[0][2] == {"k": "d" * N}
    assert rows[1][:2] == [2, quoted.replace("''", "'")]
    assert _one(pg_spanner_db, f"select k from t where v = '{a}'") == [[1]]


@pytest.mark.parametrize(
    ("sql", "dialect", "hoisted"),
    [
        ("SELECT 'LIT'", "GOOGLE_STANDARD_SQL", True),
        ("SELECT DATE 'LIT'", "GOOGLE_STANDARD_SQL", False),
        ("SELECT b'LIT'", "GOOGLE_STANDARD_SQL", False),
        ("SELECT `LIT`", "GOOGLE_STANDARD_SQL", False),
        ("SELECT x FROM t WHERE y = 'LIT'", "GOOGLE_STANDARD_SQL", True),
        ("select 'LIT'", POSTGRESQL, True),
        ("select E'LIT'", POSTGRESQL, False),
        ("select 'LIT'::jsonb", POSTGRESQL, False),
        ("select $$LIT$$", POSTGRESQL, False),
        ('select "LIT"', POSTGRESQL, False),
        ("select jsonb 'LIT'", POSTGRESQL, False),
    ],
)
def test_which_literals_are_hoisted(sql, dialect, hoisted):
    long = "q" * N
    out, values, _ = big_literals.hoist(sql.replace("LIT", long), dialect, {}, {})
    assert (long not in out) is hoisted
    assert (list(values.values()) == [long]) is hoisted


def _rss(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (peak so far) of a process, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_peak_memory_of_a_big_literal_is_a_small_multiple_of_its_size(tmp_path):
    size = 4 * 1024 * 1024
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbtools.spanner_local.cli", "--port", "0", "--format", "json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        address = json.loads(proc.stdout.readline())["address"]
        client = spanner.Client(
            project="test-project",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": address},
            disable_builtin_metrics=True,
        )
        db = client.instance("test-instance").database(
            "mem", ddl_statements=["CREATE TABLE T (K INT64, V STRING(MAX)) PRIMARY KEY (K)"]
        )
        db.create().result(60)
        # Warm up every path once with a 1 MB literal, then take the baseline.
        assert _one(db, f"SELECT LENGTH('{'w' * 1_000_000}')") == [[1_000_000]]
        requests = [
            lambda: _one(db, f"SELECT LENGTH('{'y' * size}')") == [[size]],
            lambda: _one(db, f"SELECT '{'z' * size}' AS s")[0][0] == "z" * size,
            lambda: (
                db.run_in_transaction(
                    lambda t: t.execute_update(f"INSERT INTO T (K, V) VALUES (1, '{'v' * size}')")
                )
                == 1
            ),
        ]
        for i, request in enumerate(requests):
            with open(f"/proc/{proc.pid}/clear_refs", "w") as f:
                f.write("5")  # resets the peak (VmHWM) to the current RSS
            before = _rss(proc.pid, "VmRSS")
            assert request()
            # This request's peak above where the process stood before it.
            growth = _rss(proc.pid, "VmHWM") - before
            assert growth <= 10 * size, f"request {i}: peak {growth / size:.1f}x its literal"
        _drop(db)
    finally:
        proc.kill()
        proc.wait(30)
