"""INTERVAL parameters: Spanner's ISO 8601 text is bound exactly (months, days and time kept
apart, each with its sign), used in timestamptz arithmetic, and refused when it cannot be kept."""

from __future__ import annotations

import datetime as dt

import pytest
from dbtools.spanner_local.errors import InvalidArgument
from dbtools.spanner_local.intervals import Interval, parse_iso, typed_params
from dbtools.spanner_local.typemap import SType
from google.api_core import exceptions
from google.cloud.spanner_v1 import param_types
from google.cloud.spanner_v1.data_types import Interval as ClientInterval

UTC = dt.timezone.utc


def _query(db, sql, params, types):  # type: ignore[no-untyped-def]
    with db.snapshot() as snap:
        return list(snap.execute_sql(sql, params=params, param_types=types))


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("P1Y2M-3DT4H5M6.5S", (14, -3, (4 * 3600 + 5 * 60 + 6) * 10**9 + 500_000_000)),
        ("PT-1.000001S", (0, 0, -1_000_001_000)),
        ("P2W", (0, 14, 0)),
        ("P0D", (0, 0, 0)),
    ],
)
def test_iso_text_is_read_field_by_field(text: str, parts: tuple[int, int, int]) -> None:
    assert parse_iso(text) == Interval(*parts)


@pytest.mark.parametrize("text", ["P", "PT", "1 day", "P1DT", "P1.5Y", "PT1.0000000001S"])
def test_malformed_iso_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid INTERVAL"):
        parse_iso(text)


def test_out_of_range_and_sub_microsecond_values_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="out of range"):
        parse_iso("P10001Y")
    with pytest.raises(InvalidArgument, match="microsecond"):
        parse_iso("PT0.000000001S").duckdb()


def test_typed_params_casts_each_interval_parameter_once() -> None:
    types = {"p1": SType("INTERVAL"), "p2": SType("INT64")}
    assert typed_params("select $1 + $2, $1::interval", types) == (
        "select $1::interval + $2, $1::interval"
    )
    assert typed_params("select '$1', $10", types) == "select '$1', $10"
    arrays = {"p1": SType("ARRAY", SType("INTERVAL"))}
    assert typed_params("select $1", arrays) == "select $1::interval[]"


def test_pg_interval_parameter_round_trips(pg_spanner_db) -> None:  # type: ignore[no-untyped-def]
    value = ClientInterval(months=-14, days=3, nanos=-5_000)
    rows = _query(pg_spanner_db, "select $1", {"p1": value}, {"p1": param_types.INTERVAL})
    got = rows[0][0]
    assert (got.months, got.days, got.nanos) == (-14, 3, -5_000)


def test_pg_timestamptz_plus_interval_parameter(pg_spanner_db) -> None:  # type: ignore[no-untyped-def]
    base = dt.datetime(2024, 1, 31, 10, 0, tzinfo=UTC)
    types = {"p1": param_types.TIMESTAMP, "p2": param_types.INTERVAL}
    for sql, interval, expected in [
        ("select $1 + $2", "P1M1D", dt.datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("select $1 - $2", "PT-2H", dt.datetime(2024, 1, 31, 12, 0, tzinfo=UTC)),
        ("select $1 + $2::interval", "P-1Y", dt.datetime(2023, 1, 31, 10, 0, tzinfo=UTC)),
    ]:
        rows = _query(pg_spanner_db, sql, {"p1": base, "p2": interval}, types)
        assert rows[0][0] == expected, sql


def test_pg_interval_array_parameter(pg_spanner_db) -> None:  # type: ignore[no-untyped-def]
    types = {"p1": param_types.Array(param_types.INTERVAL)}
    rows = _query(pg_spanner_db, "select $1", {"p1": ["P1D", None, "PT-1H"]}, types)
    got = [None if v is None else (v.months, v.days, v.nanos) for v in rows[0][0]]
    assert got == [(0, 1, 0), None, (0, 0, -3600 * 10**9)]


def test_bad_interval_parameter_is_invalid_argument(pg_spanner_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exceptions.InvalidArgument, match="INTERVAL"):
        _query(pg_spanner_db, "select $1", {"p1": "one day"}, {"p1": param_types.INTERVAL})


IV = param_types.INTERVAL


@pytest.mark.parametrize(
    ("sql", "params", "expected"),
    [
        # interval ± interval stays interval arithmetic
        ("select interval '1 day' + interval '2 hours'", {}, (0, 1, 2 * 3600 * 10**9)),
        ("select $1 + $2", {"p1": "P1D", "p2": "PT1H"}, (0, 1, 3600 * 10**9)),
        ("select $1 - $2::interval", {"p1": "P1M", "p2": "P1D"}, (1, -1, 0)),
        # a sign, not an operator
        ("select -$1", {"p1": "P1DT1H"}, (0, -1, -3600 * 10**9)),
        ("select -interval '1 day'", {}, (0, -1, 0)),
    ],
)
def test_pg_interval_arithmetic(pg_spanner_db, sql, params, expected) -> None:  # type: ignore[no-untyped-def]
    types = {k: IV for k in params}
    got = _query(pg_spanner_db, sql, params, types)[0][0]
    assert (got.months, got.days, got.nanos) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select timestamptz '2024-01-01 00:00:00+00' - $1", dt.datetime(2023, 12, 31, 23, 0)),
        (
            "select timestamptz '2024-01-01 00:00:00+00' + interval '1 day' - $1",
            dt.datetime(2024, 1, 1, 23, 0),
        ),
        (
            "select (timestamptz '2024-01-31 00:00:00+00' + $1) + interval '1 month'",
            dt.datetime(2024, 2, 29, 1, 0),  # the month's last day, as PostgreSQL
        ),
    ],
)
def test_pg_timestamptz_with_typed_literals_and_chains(pg_spanner_db, sql, expected) -> None:  # type: ignore[no-untyped-def]
    got = _query(pg_spanner_db, sql, {"p1": "PT1H"}, {"p1": IV})[0][0]
    assert got == expected.replace(tzinfo=UTC)
