"""NUMERIC never loses a digit: a value round-trips exactly, or the write is refused.

spanner-local stores NUMERIC as DECIMAL(38, 9): GoogleSQL's NUMERIC exactly, and in the
PostgreSQL dialect a narrower range than Cloud Spanner's arbitrary precision (its README says
so). Within the range values must come back digit for digit; outside it, the write must fail
with INVALID_ARGUMENT, never be rounded.
"""

from __future__ import annotations

import decimal

import pytest
from google.api_core import exceptions
from google.cloud.spanner_v1 import KeySet, param_types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FITS = st.builds(
    lambda sign, whole, frac, scale: decimal.Decimal(
        f"{sign}{whole}.{str(frac).zfill(scale)[:scale]}" if scale else f"{sign}{whole}"
    ),
    st.sampled_from(["", "-"]),
    st.integers(min_value=0, max_value=10**29 - 1),
    st.integers(min_value=0, max_value=10**9 - 1),
    st.integers(min_value=0, max_value=9),
)
TOO_PRECISE = st.builds(
    lambda whole, frac: decimal.Decimal(f"{whole}.{frac}"),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=10**20).map(lambda n: str(n).zfill(10)),
).filter(lambda d: d != d.quantize(decimal.Decimal("1e-9"), rounding=decimal.ROUND_DOWN))

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def pg_numbers(local):
    db = local.new_database(
        "POSTGRESQL", ["create table n (id bigint primary key, v numeric, a numeric[])"]
    )
    yield db
    db.drop()


def _round_trip(db, value: decimal.Decimal) -> tuple[decimal.Decimal, decimal.Decimal]:
    """Write `value` by mutation, read it back by Read and by a query with it as a parameter."""
    with db.batch() as b:
        b.insert_or_update("n", ["id", "v", "a"], [(1, value, [value, None])])
    with db.snapshot(multi_use=True) as s:
        (row,) = list(s.read("n", ["v", "a"], keyset=KeySet(all_=True)))
        (echo,) = list(
            s.execute_sql(
                "select $1::numeric",
                params={"p1": value},
                param_types={"p1": param_types.PG_NUMERIC},
            )
        )
    assert row[1] == [value, None]
    return row[0], echo[0]


@SETTINGS
@given(value=FITS)
def test_pg_numeric_round_trips_exactly(pg_numbers, value):
    stored, echoed = _round_trip(pg_numbers, value)
    assert stored == value and echoed == value


@SETTINGS
@given(value=TOO_PRECISE)
def test_pg_numeric_out_of_range_is_refused_not_rounded(pg_numbers, value):
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        with pg_numbers.batch() as b:
            # as text: the Python client itself refuses a Decimal with more than 9 decimals
            b.insert_or_update("n", ["id", "v"], [(2, format(value, "f"))])
    with pg_numbers.snapshot() as s:
        assert list(s.execute_sql("select count(*) from n where id = 2")) == [[0]]


def test_googlesql_numeric_beyond_scale_9_is_rejected(local):
    db = local.new_database(
        "GOOGLE_STANDARD_SQL", ["CREATE TABLE n (id INT64, v NUMERIC) PRIMARY KEY (id)"]
    )
    try:
        # sent as a string so that the client's own check does not stop it first
        with pytest.raises(exceptions.InvalidArgument, match="precision of 38 and a scale of 9"):
            with db.snapshot() as s:
                list(
                    s.execute_sql(
                        "SELECT @v",
                        params={"v": "1.1234567891"},
                        param_types={"v": param_types.NUMERIC},
                    )
                )
    finally:
        db.drop()


@pytest.mark.parametrize(
    "sql",
    [
        "insert into n (id, v) values (3, 1.123456789012345)",
        "update n set v = -1.12345678901 where id = 3",
        "insert into n (id, v) values (3, '1.1234567891'::numeric)",
        "insert into n (id, v) values (3, 1.1234567891::numeric)",
    ],
)
def test_pg_numeric_literals_that_would_round_are_refused(pg_numbers, sql):
    """What drivers that inline their parameters (psycopg2, PDO...) send."""
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        pg_numbers.run_in_transaction(lambda tx: tx.execute_update(sql))


def test_pg_numeric_literals_that_fit_are_kept(pg_numbers):
    pg_numbers.run_in_transaction(
        lambda tx: tx.execute_update(
            "insert into n (id, v) values (4, 12345678901234567890.123456789), (5, -0.5)"
        )
    )
    with pg_numbers.snapshot() as s:
        rows = list(s.execute_sql("select v from n where id >= 4 order by id"))
    assert rows == [
        [decimal.Decimal("12345678901234567890.123456789")],
        [decimal.Decimal("-0.5")],
    ]


# Cloud Spanner's PostgreSQL numeric: up to 131,072 digits before the decimal point and 16,383
# after it. spanner-local keeps 29 and 9; anything between that and Spanner's limits must be
# refused by name, through parameters and literals alike, never rounded.
PG_INTEGER_DIGITS, PG_SCALE = 131_072, 16_383


def _digits(count: int, pattern: str) -> str:
    """`count` digits repeating `pattern` (cheap to build at Spanner's sizes)."""
    return (pattern * (count // len(pattern) + 1))[:count]


PATTERNS = st.text("0123456789", min_size=1, max_size=12)
WIDE = st.builds(
    lambda whole, wpat, frac, fpat: decimal.Decimal(
        "1" + _digits(whole - 1, wpat) + ("." + _digits(frac, fpat) if frac else "")
    ),
    st.integers(min_value=1, max_value=PG_INTEGER_DIGITS),
    PATTERNS,
    st.integers(min_value=0, max_value=PG_SCALE),
    PATTERNS,
).filter(lambda d: not codec_fits(d))


def codec_fits(number: decimal.Decimal) -> bool:
    from dbtools.spanner_local.codec import numeric_fits

    return numeric_fits(number)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=WIDE)
def test_pg_numeric_up_to_spanners_limits_is_refused_not_rounded(pg_numbers, value):
    text = format(value, "f")
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        with pg_numbers.snapshot() as s:
            list(
                s.execute_sql(
                    "select $1::numeric",
                    params={"p1": text},
                    param_types={"p1": param_types.PG_NUMERIC},
                )
            )
    with pytest.raises(exceptions.InvalidArgument, match="cannot be stored exactly"):
        pg_numbers.run_in_transaction(
            lambda tx: tx.execute_update(f"insert into n (id, v) values (7, {text})")
        )
