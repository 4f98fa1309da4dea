"""Parsing of the spanner.* setting values, without servers."""

from __future__ import annotations

import datetime as dt

import pytest
from dbtools.pgadapter.errors import PgError
from dbtools.pgadapter.settings import (
    multi_use_staleness,
    parse_dml_mode,
    parse_priority,
    parse_staleness,
)


def test_staleness_values() -> None:
    assert parse_staleness("strong") == ("STRONG", {})
    assert parse_staleness("max_staleness 10s") == (
        "MAX_STALENESS 10s",
        {"max_staleness": dt.timedelta(seconds=10)},
    )
    assert parse_staleness("EXACT_STALENESS 250ms")[1] == {
        "exact_staleness": dt.timedelta(milliseconds=250)
    }
    assert parse_staleness("EXACT_STALENESS 7us")[1] == {
        "exact_staleness": dt.timedelta(microseconds=7)
    }
    ts = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert parse_staleness("READ_TIMESTAMP 2024-01-02T03:04:05Z")[1] == {"read_timestamp": ts}
    assert parse_staleness("MIN_READ_TIMESTAMP 2024-01-02 04:04:05+01")[1] == {
        "min_read_timestamp": ts
    }
    for bad in ("", "STRONG 1s", "MAX_STALENESS", "MAX_STALENESS 10", "READ_TIMESTAMP soon", "x"):
        with pytest.raises(PgError) as err:
            parse_staleness(bad)
        assert err.value.sqlstate == "22023"


def test_multi_use_keeps_only_fixed_read_times() -> None:
    assert multi_use_staleness({"max_staleness": dt.timedelta(seconds=1)}) == {}
    exact = {"exact_staleness": dt.timedelta(seconds=1)}
    assert multi_use_staleness(exact) == exact


def test_priority_and_dml_mode() -> None:
    assert parse_priority("high") == ("HIGH", 3)
    assert parse_priority("PRIORITY_LOW") == ("LOW", 1)
    assert parse_priority("") == ("", 0)
    with pytest.raises(PgError):
        parse_priority("urgent")
    assert parse_dml_mode("partitioned_non_atomic") == "PARTITIONED_NON_ATOMIC"
    with pytest.raises(PgError):
        parse_dml_mode("autocommit")
