"""pg8000 (native API): typed CRUD, transactions, prepared statements, COPY via stream=,
and the whole seq × seq result."""

from __future__ import annotations

import io
import json
import os

import pg8000.native
from workload import COLUMNS, DDL, ROWS, SEQ, STREAMED, check, check_rows, report


def main() -> None:
    conn = pg8000.native.Connection(
        os.environ["PGUSER"],
        host=os.environ["PGHOST"],
        port=int(os.environ["PGPORT"]),
        database=os.environ["PGDATABASE"],
    )
    for stmt in DDL:
        conn.run(stmt)
    names = COLUMNS.split(", ")
    insert = f"INSERT INTO items ({COLUMNS}) VALUES ({', '.join(':' + n for n in names)})"
    conn.run("START TRANSACTION")
    for row in ROWS:
        params = dict(zip(names, row, strict=True))
        params["attrs"] = json.dumps(row[3]) if row[3] is not None else None
        conn.run(insert, **params, types={**{n: -1 for n in names}, "attrs": 3802})
    conn.run("COMMIT")
    check_rows([tuple(r) for r in conn.run(f"SELECT {COLUMNS} FROM items ORDER BY id")])
    conn.run("START TRANSACTION")
    conn.run("UPDATE items SET name = 'changed' WHERE id = 1")
    conn.run("ROLLBACK")
    check(conn.run("SELECT name FROM items WHERE id = 1"), [["alpha"]], "rollback")
    ps = conn.prepare("SELECT name FROM items WHERE id = :i")
    for i in range(1, 4):
        check(ps.run(i=i), [[ROWS[i - 1][1]]], f"prepared {i}")
    ps.close()
    try:
        conn.run("INSERT INTO notes (id, item_id) VALUES (2, 99)")
        raise AssertionError("FK violation accepted")
    except pg8000.native.DatabaseError as e:
        check(e.args[0]["C"], "23503", "FK violation SQLSTATE")
    conn.run("COPY seq FROM STDIN", stream=io.StringIO("".join(f"{i}\n" for i in range(1, 201))))
    out = io.BytesIO()
    conn.run("COPY seq TO STDOUT", stream=out)
    copied = sorted(int(x) for x in out.getvalue().split())
    check(copied, list(range(1, SEQ + 1)), "COPY TO STDOUT")
    rows = conn.run("SELECT a.id, b.id FROM seq a CROSS JOIN seq b")
    streamed, total = len(rows), sum(r[0] for r in rows)
    check(streamed, STREAMED, "streamed rows")
    conn.close()
    report("pg8000", streamed=streamed, sum=total, copied=len(copied), rows=len(ROWS))


if __name__ == "__main__":
    main()
