"""What every Python workload of the client matrix shares: the schema, the typed rows it writes
and must read back unchanged, and the summary line the test checks.

The workloads run as separate processes (like the Node, Java, Ruby and PHP ones) and connect to
the proxy named by the libpq environment variables PGHOST, PGPORT, PGDATABASE and PGUSER.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from typing import Any

DDL = [
    "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50) NOT NULL, price numeric,"
    " attrs jsonb, created timestamptz, day date, payload bytea, tags text[], scores bigint[],"
    " active bool, r4 float4, r8 float8, note text)",
    "CREATE TABLE notes (id bigint PRIMARY KEY, item_id bigint NOT NULL, body text,"
    " CONSTRAINT fk_notes_items FOREIGN KEY (item_id) REFERENCES items (id))",
    "CREATE INDEX items_by_name ON items (name)",
    "CREATE TABLE seq (id bigint PRIMARY KEY)",
]
COLUMNS = "id, name, price, attrs, created, day, payload, tags, scores, active, r4, r8, note"
UTC = dt.timezone.utc
ROWS: list[tuple[Any, ...]] = [
    (
        1,
        "alpha",
        Decimal("12345.678901"),
        {"k": "v", "n": [1, 2]},
        dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        dt.date(2024, 5, 6),
        b"\x00\x01\xfe\xff",
        ["x", "y,z"],
        [1, 2, 3],
        True,
        1.5,
        2.25,
        "it's",
    ),
    (2, "beta", None, None, None, None, None, None, None, None, None, None, None),
    (
        3,
        "gamma",
        Decimal("-0.5"),
        [1, "two"],
        dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        dt.date(1970, 1, 1),
        b"",
        [],
        [-9007199254740993],
        False,
        -0.25,
        1e300,
        "ünïcode ✓",
    ),
]
SEQ = 200  # rows of `seq`; the streamed result is seq × seq
STREAMED = SEQ * SEQ
STREAMED_SUM = SEQ * (SEQ * (SEQ + 1) // 2)


def env() -> dict[str, str]:
    return {k: os.environ[k] for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER")}


def url(driver: str = "postgresql") -> str:
    e = env()
    return f"{driver}://{e['PGUSER']}@{e['PGHOST']}:{e['PGPORT']}/{e['PGDATABASE']}"


def check(got: Any, want: Any, what: str) -> None:
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def check_rows(got: list[tuple[Any, ...]], what: str = "items") -> None:
    """The rows read back equal ROWS (jsonb may come back as text: parsed before comparing)."""
    check(len(got), len(ROWS), f"{what} row count")
    for row, want in zip(got, ROWS, strict=True):
        row = tuple(
            json.loads(v) if i == 3 and isinstance(v, str) else v for i, v in enumerate(row)
        )
        for i, (g, w) in enumerate(zip(row, want, strict=True)):
            check(g, w, f"{what} id={want[0]} column {COLUMNS.split(', ')[i]}")


def report(client: str, **facts: Any) -> None:
    """The last line of output: what the test checks besides the exit status."""
    print("RESULT " + json.dumps({"client": client, **facts}, sort_keys=True), flush=True)
