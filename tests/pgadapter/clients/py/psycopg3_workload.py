"""psycopg 3: DDL, typed CRUD, transactions, prepared statements, COPY both ways, the
TypeInfo introspection, a server-side cursor streaming seq × seq."""

from __future__ import annotations

import psycopg
from psycopg.types import TypeInfo
from psycopg.types.json import Jsonb
from workload import COLUMNS, DDL, ROWS, SEQ, STREAMED, check, check_rows, report

PLACEHOLDERS = ", ".join(["%s"] * 13)


def main() -> None:
    with psycopg.connect(autocommit=True) as conn:
        for stmt in DDL:
            conn.execute(stmt)
        with conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO items ({COLUMNS}) VALUES ({PLACEHOLDERS})",
                    [(*r[:3], Jsonb(r[3]) if r[3] is not None else None, *r[4:]) for r in ROWS],
                )
        check_rows(conn.execute(f"SELECT {COLUMNS} FROM items ORDER BY id").fetchall())
        # rollback leaves nothing behind
        try:
            with conn.transaction():
                conn.execute("UPDATE items SET name = 'changed' WHERE id = 1")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        check(conn.execute("SELECT name FROM items WHERE id = 1").fetchone(), ("alpha",), "rb")
        # a prepared statement, executed many times
        for i in range(1, 4):
            row = conn.execute("SELECT name FROM items WHERE id = %s", (i,), prepare=True)
            check(row.fetchone()[0], ROWS[i - 1][1], f"prepared {i}")
        conn.execute("INSERT INTO notes (id, item_id, body) VALUES (1, 1, 'n')")
        with conn.transaction():
            conn.execute("UPDATE items SET note = %s WHERE id = %s", ("updated", 2))
            conn.execute("DELETE FROM notes WHERE id = 1")
        check(conn.execute("SELECT note FROM items WHERE id = 2").fetchone(), ("updated",), "upd")
        conn.execute("UPDATE items SET note = NULL WHERE id = 2")
        # a foreign-key violation is an error with PostgreSQL's SQLSTATE
        try:
            conn.execute("INSERT INTO notes (id, item_id) VALUES (2, 99)")
            raise AssertionError("FK violation accepted")
        except psycopg.errors.ForeignKeyViolation:
            pass
        # introspection: psycopg's TypeInfo (a pg_type lookup)
        info = TypeInfo.fetch(conn, "jsonb")
        check(getattr(info, "oid", None), 3802, "TypeInfo jsonb oid")
        # COPY in and out
        with conn.cursor() as cur:
            with cur.copy("COPY seq (id) FROM STDIN") as copy:
                for i in range(1, SEQ + 1):
                    copy.write_row((i,))
            with cur.copy("COPY (SELECT id FROM seq ORDER BY id) TO STDOUT") as copy:
                copied = [int(r[0]) for r in copy.rows()]
        check(copied, list(range(1, SEQ + 1)), "COPY TO STDOUT")
        streamed = total = 0
        with conn.transaction():
            with conn.cursor(name="big") as cur:
                cur.itersize = 1000
                cur.execute("SELECT a.id, b.id FROM seq a CROSS JOIN seq b")
                for a, _b in cur:
                    streamed += 1
                    total += a
        check(streamed, STREAMED, "streamed rows")
    report("psycopg3", streamed=streamed, sum=total, copied=len(copied), rows=len(ROWS))


if __name__ == "__main__":
    main()
