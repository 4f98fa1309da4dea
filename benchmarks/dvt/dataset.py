"""The benchmark table, generated deterministically, and its loaders for PostgreSQL and MariaDB.

Columns follow the reference measurement: id int PK, name varchar(100) (unicode, tabs, trailing
spaces, ''), amount numeric(12,2), created_at timestamp (a third with microseconds), flag boolean,
note text (20 % NULL, 5 % ''). The target copy gets the three changes the truth lists.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from decimal import Decimal

NAMES = [
    "café",
    "naïve",
    "tab\there",
    "trailing  ",
    "",
    "日本",
    "plain",
    "Zoë",
    "x y z",
    "emoji 😀",
]
BASE = dt.datetime(2020, 1, 1)

# id → (column, new value) applied to the target; every one is a real difference
CHANGES = {
    41: ("name", "cafe"),
    1: ("amount", Decimal("-436.99")),
    50015: ("note", ""),
}


def rows(n: int) -> Iterator[tuple]:
    rnd = random.Random(42)
    for i in range(1, n + 1):
        name = NAMES[i % len(NAMES)] + (str(i) if i % 3 else "")
        if i == 41:
            name = "café"
        amount = Decimal(rnd.randrange(-99_999_999, 99_999_999)) / 100
        if i == 1:
            amount = Decimal("-437.00")
        us = rnd.randrange(1_000_000) if i % 3 == 0 else 0
        created = BASE + dt.timedelta(seconds=rnd.randrange(100_000_000), microseconds=us)
        flag = bool(i % 2)
        r = rnd.random()
        note = None if r < 0.2 else "" if r < 0.25 else f"note {i}"
        if i == 50015:
            note = None
        yield (i, name, amount, created, flag, note)


def target_rows(n: int) -> Iterator[tuple]:
    cols = ["id", "name", "amount", "created_at", "flag", "note"]
    for row in rows(n):
        change = CHANGES.get(row[0])
        if change:
            row = tuple(change[1] if c == change[0] else v for c, v in zip(cols, row, strict=True))
        yield row


def truth(n: int) -> set[int]:
    return {i for i in CHANGES if i <= n}


PG_DDL = """CREATE TABLE {t} (id integer PRIMARY KEY, name varchar(100), amount numeric(12,2),
created_at timestamp, flag boolean, note text)"""
MY_DDL = """CREATE TABLE {t} (id int PRIMARY KEY, name varchar(100), amount decimal(12,2),
created_at datetime(6), flag boolean, note text) CHARACTER SET utf8mb4"""


def load_pg(url: str, table: str, data: Iterator[tuple]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(PG_DDL.format(t=table))
        with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
        conn.execute(f"ANALYZE {table}")


def _my_text(v: object) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load_mysql(kwargs: dict, table: str, data: Iterator[tuple]) -> None:
    import pymysql

    conn = pymysql.connect(**kwargs, local_infile=True, autocommit=True, charset="utf8mb4")
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(MY_DDL.format(t=table))
            buf = io.StringIO()
            for row in data:
                buf.write("\t".join(_my_text(v) for v in row) + "\n")
            import tempfile

            with tempfile.NamedTemporaryFile("w", suffix=".tsv", encoding="utf-8") as f:
                f.write(buf.getvalue())
                f.flush()
                cur.execute(
                    f"LOAD DATA LOCAL INFILE '{f.name}' INTO TABLE {table} "
                    "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                    "LINES TERMINATED BY '\\n'"
                )
            cur.execute(f"ANALYZE TABLE {table}")
    finally:
        conn.close()
