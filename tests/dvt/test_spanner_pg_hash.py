"""The 48-bit row-hash integer on Spanner's PostgreSQL interface, which has no bit type.

Every engine turns the first 12 hex digits of a row digest into the same integer; the Spanner
PostgreSQL dialect does it with documented string functions only. These run the dialect's SQL
on spanner-local (which rejects casts to types Spanner lacks) and on the real PostgreSQL.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
import pytest
from dbtools.dvt.dialects.postgres import PostgresDialect
from dbtools.dvt.dialects.spanner import SpannerPgDialect

DIGESTS = [
    "000000000000" + "0" * 20,
    "ffffffffffff" + "f" * 20,
    "0123456789ab" + "cdef" * 5,
    "800000000001" + "0" * 20,
    *(hashlib.sha256(str(n).encode()).hexdigest()[:32] for n in range(40)),
]


@pytest.fixture(scope="module")
def pg_spanner(make_spanner_db: Any) -> Any:
    database, _ = make_spanner_db("spanner_pg", [])
    return database


def _spanner_scalars(database: Any, exprs: list[str]) -> list[int]:
    with database.snapshot(multi_use=True) as snap:
        return [int(next(iter(snap.execute_sql(f"SELECT {e}")))[0]) for e in exprs]


def test_spanner_pg_hex_to_int48_equals_the_digest_prefix(pg_spanner: Any) -> None:
    d = SpannerPgDialect()
    got = _spanner_scalars(pg_spanner, [d.hex_to_int48(d.string_literal(h)) for h in DIGESTS])
    assert got == [int(h[:12], 16) for h in DIGESTS]
    assert max(got) == 2**48 - 1 and min(got) == 0


def test_spanner_pg_matches_postgres_on_a_real_digest(pg_spanner: Any) -> None:
    sp, pg = SpannerPgDialect(), PostgresDialect()
    texts = ["", "a", "Ünïcödé", "x" * 300, "1|2|3"]
    spanner = _spanner_scalars(
        pg_spanner, [sp.hex_to_int48(sp.hash_hex(sp.string_literal(t))) for t in texts]
    )
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
        postgres = [
            conn.execute(f"SELECT {pg.hex_to_int48(pg.hash_hex(pg.string_literal(t)))}").fetchone()[
                0
            ]
            for t in texts
        ]
    expected = [int(hashlib.sha256(t.encode()).hexdigest()[:12], 16) for t in texts]
    assert spanner == postgres == expected


def test_spanner_pg_sql_uses_no_bit_type() -> None:
    sql = SpannerPgDialect().hex_to_int48("h").lower()
    assert "bit" not in sql and "::" not in sql
