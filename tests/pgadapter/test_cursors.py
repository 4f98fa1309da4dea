"""Cursors through the proxy behave as in PostgreSQL: the same cursor scripts run against the
real PostgreSQL 15 and against the proxy (in front of spanner-local) give the same rows,
command tags and errors."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from dbtools.pgadapter import Proxy

DDL = "create table cur_t (id bigint primary key, name varchar)"
QUERY = "select id, name from cur_t order by id"

# Each script runs in its own transaction; an error ends it (the rest is not run), as a
# failed transaction block would refuse it anyway.
SCRIPTS: dict[str, list[str]] = {
    "scroll_every_direction": [
        f"declare c scroll cursor for {QUERY}",
        "fetch next from c",
        "fetch prior from c",
        "fetch prior from c",
        "fetch first from c",
        "fetch last from c",
        "fetch next from c",
        "fetch prior from c",
        "fetch absolute 3 from c",
        "fetch absolute -2 from c",
        "fetch absolute 0 from c",
        "fetch absolute 12 from c",
        "fetch absolute -12 from c",
        "fetch relative 4 from c",
        "fetch relative -2 from c",
        "fetch relative 0 from c",
        "fetch relative 20 from c",
        "fetch relative 0 from c",
        "fetch relative -1 from c",
        "fetch backward 3 from c",
        "fetch backward all from c",
        "fetch backward all from c",
        "fetch forward all from c",
        "fetch backward from c",
        "fetch -2 from c",
        "fetch forward -2 from c",
        "fetch backward -3 from c",
        "fetch 0 from c",
        "fetch forward 0 from c",
        "fetch backward 0 from c",
        "fetch all in c",
        "fetch c",
        "fetch 0 from c",
    ],
    "scroll_move": [
        f"declare c scroll cursor for {QUERY}",
        "move forward 3 in c",
        "fetch c",
        "move backward 2 in c",
        "fetch c",
        "move 0 in c",
        "move relative 0 in c",
        "move last in c",
        "fetch c",
        "move backward all in c",
        "fetch next from c",
        "move absolute 5 in c",
        "move forward all in c",
        "move 0 in c",
        "move backward all in c",
        "move backward all in c",
        "move absolute -1 in c",
        "fetch prior from c",
        "move prior in c",
        "move first in c",
        "fetch relative 0 from c",
        "move relative -1 in c",
        "move backward 1 in c",
        "move all from c",
        "fetch absolute 1 from c",
    ],
    "scroll_absolute_near_and_far": [
        f"declare c scroll cursor for {QUERY}",
        "fetch absolute 8 from c",
        "fetch absolute 7 from c",
        "fetch absolute 9 from c",
        "fetch absolute 2 from c",
        "fetch absolute 10 from c",
        "fetch absolute 11 from c",
        "fetch absolute 10 from c",
        "fetch absolute -10 from c",
        "fetch absolute -11 from c",
        "fetch next from c",
    ],
    "scroll_empty_result": [
        "declare c scroll cursor for select id, name from cur_t where id < 0",
        "fetch next from c",
        "fetch prior from c",
        "fetch last from c",
        "fetch first from c",
        "fetch relative 0 from c",
        "move backward all in c",
        "fetch all from c",
        "move 0 in c",
    ],
    "scroll_with_hold": [
        f"declare h scroll cursor with hold for {QUERY}",
        "fetch last from h",
        "fetch backward 2 from h",
        "fetch absolute 2 from h",
        "fetch relative -5 from h",
        "close h",
    ],
    "no_scroll_forward_moves_work": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch absolute 1 from c",
        "fetch absolute 4 from c",
        "move relative 2 in c",
        "fetch relative 1 from c",
        "move 0 in c",
        "fetch absolute 10 from c",
        "fetch next from c",
        "move forward all in c",
    ],
    "no_scroll_prior": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch 2 from c",
        "fetch prior from c",
    ],
    "no_scroll_first_after_reading": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch next from c",
        "fetch first from c",
    ],
    "no_scroll_first_before_reading": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch first from c",
        "fetch next from c",
        "fetch absolute 1 from c",
    ],
    "no_scroll_absolute_backward": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch 6 from c",
        "fetch absolute 5 from c",
    ],
    "no_scroll_last": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch last from c",
    ],
    "no_scroll_relative_zero_on_a_row": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch next from c",
        "fetch relative 0 from c",
    ],
    "no_scroll_backward_all_move": [
        f"declare c no scroll cursor for {QUERY}",
        "move backward all in c",
        "fetch next from c",
        "move backward all in c",
    ],
    "no_scroll_negative_count": [
        f"declare c no scroll cursor for {QUERY}",
        "fetch 3 from c",
        "fetch -1 from c",
    ],
    "no_scroll_with_hold": [
        f"declare h no scroll cursor with hold for {QUERY}",
        "fetch 2 from h",
        "fetch backward 1 from h",
    ],
    "unknown_cursor": [
        "fetch next from nope",
    ],
}


def _run(conn: psycopg.Connection, script: list[str]) -> list[tuple[str, Any]]:
    """What each statement gave: the command tag and rows, or the error's fields."""
    out: list[tuple[str, Any]] = []
    conn.execute("begin")
    try:
        for sql in script:
            try:
                cur = conn.execute(sql)
            except psycopg.Error as err:
                diag = err.diag
                out.append((sql, ("error", diag.sqlstate, diag.message_primary, diag.message_hint)))
                break
            rows = cur.fetchall() if cur.description is not None else None
            out.append((sql, (cur.statusmessage, rows)))
    finally:
        conn.execute("rollback")
    return out


@pytest.fixture
def both(dsn: str, pg_db) -> Any:  # type: ignore[no-untyped-def]
    with (
        psycopg.connect(pg_db.dsn, autocommit=True) as pg,
        psycopg.connect(dsn, autocommit=True) as px,
    ):
        for conn in (pg, px):
            conn.execute(DDL)
            with conn.cursor().copy("COPY cur_t FROM STDIN") as cp:
                for i in range(1, 11):
                    cp.write_row((i, f"row {i}"))
        yield pg, px


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_cursor_script_matches_postgresql(both: Any, name: str) -> None:
    pg, px = both
    expected = _run(pg, SCRIPTS[name])
    assert _run(px, SCRIPTS[name]) == expected


def test_no_scroll_refusal_is_postgresqls_error(both: Any) -> None:
    """The refusal itself, spelled out (the scripts above compare it with PostgreSQL's)."""
    _, px = both
    got = _run(px, SCRIPTS["no_scroll_prior"])[-1][1]
    assert got == (
        "error",
        "55000",
        "cursor can only scan forward",
        "Declare it with SCROLL option to enable backward scan.",
    )


def test_a_cursor_without_scroll_is_forward_only_and_streams(dsn: str, proxy: Proxy) -> None:
    """A cursor declared without SCROLL reads the Spanner stream as it is fetched and holds
    no more than one fetch's rows; it refuses to go back, like a NO SCROLL cursor."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
        with conn.cursor().copy("COPY cur_t FROM STDIN") as cp:
            for i in range(30_000):
                cp.write_row((i, f"row {i}"))
        conn.execute("begin")
        conn.execute(f"declare c cursor for {QUERY}")
        assert conn.execute("fetch 3 from c").fetchall() == [
            (0, "row 0"),
            (1, "row 1"),
            (2, "row 2"),
        ]
        assert conn.execute("move forward 20000 in c").statusmessage == "MOVE 20000"
        portal = proxy.server._connections[conn.info.backend_pid].portals["c"]
        assert portal.position is not None and not hasattr(portal.position.source, "rows")
        assert conn.execute("fetch next from c").fetchall() == [(20003, "row 20003")]
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="scan forward"):
            conn.execute("fetch prior from c")
        conn.execute("rollback")
        # a SCROLL cursor keeps what it has read, and only that
        conn.execute("begin")
        conn.execute(f"declare s scroll cursor for {QUERY}")
        assert conn.execute("fetch absolute 5 from s").fetchall() == [(4, "row 4")]
        portal = proxy.server._connections[conn.info.backend_pid].portals["s"]
        assert portal.position is not None
        kept = len(portal.position.source.rows)  # type: ignore[attr-defined]
        assert 5 <= kept < 30_000
        assert conn.execute("fetch first from s").fetchall() == [(0, "row 0")]
        assert conn.execute("move last in s").statusmessage == "MOVE 1"
        assert conn.execute("fetch prior from s").fetchall() == [(29_998, "row 29998")]
        conn.execute("rollback")


def test_pg_cursors_lists_the_sessions_declared_cursors(dsn: str) -> None:
    import psycopg2

    with psycopg.connect(dsn) as conn:
        conn.execute("declare c1 scroll cursor for select 1")
        rows = conn.execute("select name, statement, is_scrollable from pg_cursors").fetchall()
        assert rows == [("c1", "select 1", True)]
        assert conn.execute("SELECT 1 FROM pg_catalog.pg_cursors WHERE name = 'c1'").fetchall() == [
            (1,)
        ]
        assert conn.execute("SELECT 1 FROM pg_cursors WHERE name = %s", ("nope",)).fetchall() == []
        conn.execute("close c1")
        assert conn.execute("select * from pg_cursors").fetchall() == []
    # psycopg2 asks pg_cursors before closing a named cursor it never executed
    conn2 = psycopg2.connect(dsn)
    try:
        unused = conn2.cursor(name="unused")
        unused.close()
        conn2.commit()
    finally:
        conn2.close()
