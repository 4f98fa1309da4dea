"""psycopg2: typed CRUD (jsonb through Json), transactions, a named server-side cursor,
copy_expert both ways, and the pg_type lookup psycopg2.extras.register_composite-style code does."""

from __future__ import annotations

import io

import psycopg2
import psycopg2.errors
import psycopg2.extras
from workload import COLUMNS, DDL, ROWS, SEQ, STREAMED, check, check_rows, report

PLACEHOLDERS = ", ".join(["%s"] * 13)


def main() -> None:
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    for stmt in DDL:
        cur.execute(stmt)
    conn.autocommit = False
    rows = [
        (
            *r[:3],
            psycopg2.extras.Json(r[3]) if r[3] is not None else None,
            *r[4:6],
            psycopg2.Binary(r[6]) if r[6] is not None else None,
            *r[7:],
        )
        for r in ROWS
    ]
    cur.executemany(f"INSERT INTO items ({COLUMNS}) VALUES ({PLACEHOLDERS})", rows)
    conn.commit()
    cur.execute(f"SELECT {COLUMNS} FROM items ORDER BY id")
    got = [(*r[:6], bytes(r[6]) if r[6] is not None else None, *r[7:]) for r in cur.fetchall()]
    check_rows(got)
    conn.commit()
    cur.execute("UPDATE items SET name = 'changed' WHERE id = 1")
    conn.rollback()
    cur.execute("SELECT name FROM items WHERE id = 1")
    check(cur.fetchone(), ("alpha",), "after rollback")
    conn.commit()
    # a prepared statement through SQL PREPARE / EXECUTE
    cur.execute("PREPARE by_id (bigint) AS SELECT name FROM items WHERE id = $1")
    for i in range(1, 4):
        cur.execute("EXECUTE by_id (%s)", (i,))
        check(cur.fetchone()[0], ROWS[i - 1][1], f"EXECUTE {i}")
    cur.execute("DEALLOCATE by_id")
    conn.commit()
    try:
        cur.execute("INSERT INTO notes (id, item_id) VALUES (2, 99)")
        conn.commit()
        raise AssertionError("FK violation accepted")
    except psycopg2.errors.ForeignKeyViolation:
        conn.rollback()
    buf = io.StringIO("".join(f"{i}\n" for i in range(1, SEQ + 1)))
    cur.copy_expert("COPY seq (id) FROM STDIN", buf)
    conn.commit()
    out = io.StringIO()
    cur.copy_expert("COPY seq TO STDOUT", out)
    copied = sorted(int(x) for x in out.getvalue().split())
    check(copied, list(range(1, SEQ + 1)), "COPY TO STDOUT")
    conn.commit()
    named = conn.cursor(name="big")
    named.itersize = 1000
    named.execute("SELECT a.id, b.id FROM seq a CROSS JOIN seq b")
    streamed = total = 0
    for a, _b in named:
        streamed += 1
        total += a
    named.close()
    conn.commit()
    check(streamed, STREAMED, "streamed rows")
    # an unused named cursor: closing it asks pg_cursors whether it exists
    unused = conn.cursor(name="unused")
    unused.close()
    conn.close()
    report("psycopg2", streamed=streamed, sum=total, copied=len(copied), rows=len(ROWS))


if __name__ == "__main__":
    main()
