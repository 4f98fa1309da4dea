"""SET inside a transaction block, compared with PostgreSQL: a plain SET is undone by ROLLBACK,
SET LOCAL by any end of the block, ROLLBACK TO SAVEPOINT undoes both back to the savepoint, and
SET LOCAL outside a block changes nothing (with PostgreSQL's warning)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

SCRIPTS = {
    "set then commit": ["BEGIN", "SET statement_timeout = 7000", "COMMIT"],
    "set then rollback": ["BEGIN", "SET statement_timeout = 7000", "ROLLBACK"],
    "local then commit": ["BEGIN", "SET LOCAL statement_timeout = 7000", "COMMIT"],
    "local then rollback": ["BEGIN", "SET LOCAL statement_timeout = 7000", "ROLLBACK"],
    "set then local then commit": [
        "BEGIN",
        "SET statement_timeout = 5000",
        "SET LOCAL statement_timeout = 7000",
        "COMMIT",
    ],
    "local then set then commit": [
        "BEGIN",
        "SET LOCAL statement_timeout = 7000",
        "SET statement_timeout = 5000",
        "COMMIT",
    ],
    "local outside a block": ["SET LOCAL statement_timeout = 7000"],
    "savepoint rolled back to": [
        "BEGIN",
        "SET statement_timeout = 5000",
        "SAVEPOINT a",
        "SET statement_timeout = 7000",
        "SET LOCAL IntervalStyle = iso_8601",
        "ROLLBACK TO SAVEPOINT a",
        "COMMIT",
    ],
    "failed block committed": [
        "BEGIN",
        "SET TimeZone = 'Asia/Tokyo'",
        "SELECT 1/0",
        "COMMIT",
    ],
    "set_config local then commit": [
        "BEGIN",
        "SELECT set_config('statement_timeout', '7000', true)",
        "COMMIT",
    ],
    "set_config local outside a block": ["SELECT set_config('statement_timeout', '7000', true)"],
    "set_config then rollback": [
        "BEGIN",
        "SELECT set_config('statement_timeout', '7000', false)",
        "ROLLBACK",
    ],
    "reset all then rollback": [
        "SET statement_timeout = 3000",
        "BEGIN",
        "RESET ALL",
        "ROLLBACK",
    ],
}
SHOWN = ("statement_timeout", "IntervalStyle", "TimeZone")


def _run(url: str, script: list[str]) -> tuple[list[str], list[str]]:
    notices: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.sqlstate or ""))
        conn.execute("SET TimeZone = 'UTC'")
        for statement in script:
            try:
                conn.execute(statement)
            except psycopg.errors.DivisionByZero:
                pass
        shown = [conn.execute(f"SHOW {name}").fetchone()[0] for name in SHOWN]
    return shown, notices


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_settings_at_the_end_of_a_block_match_postgresql(pg_server, dsn: str, name: str) -> None:  # type: ignore[no-untyped-def]
    expected = _run(pg_server.url, SCRIPTS[name])
    assert _run(dsn, SCRIPTS[name]) == expected


def test_set_local_applies_inside_the_block(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("SET LOCAL TimeZone = 'Asia/Tokyo'")
        # in force for the block's statements: timestamptz results are written at +09
        row = conn.execute("SELECT '2024-01-01T00:00:00Z'::timestamptz").fetchone()
        assert row is not None and row[0].utcoffset() == dt.timedelta(hours=9)
        conn.execute("COMMIT")
        assert conn.execute("SHOW TimeZone").fetchone() == ("UTC",)


def test_set_config_answers_the_new_value(pg_server, dsn: str) -> None:  # type: ignore[no-untyped-def]
    sql = "SELECT set_config('statement_timeout', '7000', true)"
    with psycopg.connect(pg_server.url, autocommit=True) as pg:
        expected = pg.execute(sql).fetchone()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute(sql).fetchone() == expected
