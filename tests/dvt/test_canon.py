"""The reference rules (pure Python): decimals, floats, framing, types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dbtools.dvt import canon
from dbtools.dvt.plan import plan_pair
from dbtools.dvt.types import Kind, make_column, parse_type
from hypothesis import given
from hypothesis import strategies as st


def test_decimals_compare_by_value_whatever_the_scale() -> None:
    assert canon.canonical(Kind.DECIMAL, Decimal("100.50")) == "100.5"
    assert canon.canonical(Kind.DECIMAL, Decimal("100.00")) == "100"
    assert canon.canonical(Kind.DECIMAL, Decimal("0.000")) == "0"
    assert canon.canonical(Kind.DECIMAL, Decimal("-0.10")) == "-0.1"
    assert canon.canonical(Kind.DECIMAL, Decimal("1E+3")) == "1000"
    assert canon.canonical(Kind.DECIMAL, Decimal("-437.00")) != canon.canonical(
        Kind.DECIMAL, Decimal("-436.99")
    )


def test_sqlite_reals_in_decimal_columns_are_read_at_the_declared_scale() -> None:
    assert canon.canonical(Kind.DECIMAL, 0.1 + 0.2, 2) == "0.3"
    assert canon.canonical(Kind.DECIMAL, 12.5, 2) == "12.5"


# Each engine's spelling of the same double must give the same canonical text.
SPELLINGS = {
    "1e+20": (1e20, ["1e20", "1e+20", "100000000000000000000.0"]),
    "1.5e-7": (1.5e-7, ["1.5e-07", "0.00000015", "1.5e-7"]),
    "1e15": (1e15, ["1e+15", "1e15", "1000000000000000.0"]),
    "100000": (100000.0, ["100000", "100000.0", "1e5"]),
}


def test_float_spellings_of_every_engine_agree() -> None:
    for _, (value, spellings) in SPELLINGS.items():
        want = canon.float_text(value)
        for text in spellings:
            assert canon.float_text_from_shortest(text, False) == want, text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_is_exact_and_round_trips(x: float) -> None:
    text = canon.float_text(x)
    assert float(text) == x or (x == 0 and text == "0")


def test_float_specials_and_signed_zero() -> None:
    assert canon.float_text(float("nan")) == "nan"
    assert canon.float_text(float("-inf")) == "-inf"
    assert canon.float_text(-0.0) == canon.float_text(0.0) == "0"
    assert canon.float_text(1 / 3) != canon.float_text(1 / 3 + 5.551115123125783e-17)


def test_timestamps_are_utc_to_the_microsecond() -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    aware = dt.datetime(2024, 1, 1, 12, 0, 0, 500, tzinfo=plus2)
    assert canon.canonical(Kind.TIMESTAMPTZ, aware) == "2024-01-01 10:00:00.0005"
    assert (
        canon.canonical(Kind.TIMESTAMPTZ, "2024-01-01T12:00:00.0005+02:00")
        == "2024-01-01 10:00:00.0005"
    )
    assert canon.canonical(Kind.TIMESTAMP, dt.datetime(2024, 1, 1)) == "2024-01-01 00:00:00"
    assert canon.canonical(Kind.TIME, dt.time(1, 2, 3, 40)) == "01:02:03.00004"


def test_booleans_binary_uuid_and_char() -> None:
    assert canon.canonical(Kind.BOOL, True) == canon.canonical(Kind.INT, 1) == "1"
    assert canon.canonical(Kind.STRING, "Yes", boolmap=True) == "1"
    assert canon.canonical(Kind.STRING, "maybe", boolmap=True) == "maybe"
    assert canon.canonical(Kind.BINARY, b"\x00\xab") == "00ab"
    assert canon.canonical(Kind.UUID, "ABCDEF00-0000-0000-0000-000000000000").startswith("abcdef00")
    assert canon.canonical(Kind.CHAR, "ab   ", rtrim=True) == "ab"
    assert canon.canonical(Kind.STRING, "ab   ") == "ab   "


texts = st.one_of(
    st.none(), st.text(alphabet=st.sampled_from(["a", "b", "|", "\\", "N", " ", "é"]), max_size=5)
)


@given(st.lists(texts, min_size=1, max_size=4), st.lists(texts, min_size=1, max_size=4))
def test_row_text_is_unambiguous(a: list[str | None], b: list[str | None]) -> None:
    if len(a) == len(b) and a != b:
        assert canon.row_text(a) != canon.row_text(b)


def test_null_empty_and_the_string_null_all_differ() -> None:
    framed = {canon.row_text([v]) for v in (None, "", "NULL", "\\N", "~")}
    assert len(framed) == 5
    assert canon.row_text(["ab", "c"]) != canon.row_text(["a", "bc"])
    assert canon.row_text(["x|", "y"]) != canon.row_text(["x", "|y"])


def test_type_names_map_to_kinds() -> None:
    cases = {
        ("postgresql", "numeric(12,2)"): (Kind.DECIMAL, 12, 2),
        ("postgresql", "timestamp with time zone"): (Kind.TIMESTAMPTZ, None, None),
        ("postgresql", "character(5)"): (Kind.CHAR, None, None),
        ("mysql", "tinyint(1)"): (Kind.INT, None, None),
        ("mysql", "timestamp(6)"): (Kind.TIMESTAMPTZ, None, None),
        ("mysql", "bigint(20) unsigned"): (Kind.INT, None, None),
        ("mysql", "decimal"): (Kind.DECIMAL, 10, 0),
        ("duckdb", "DECIMAL(30,10)"): (Kind.DECIMAL, 30, 10),
        ("duckdb", "TIMESTAMP WITH TIME ZONE"): (Kind.TIMESTAMPTZ, None, None),
        ("sqlite", "CHAR(5)"): (Kind.STRING, None, None),
        ("spanner", "STRING(MAX)"): (Kind.STRING, None, None),
        ("spanner", "NUMERIC"): (Kind.DECIMAL, 38, 9),
        ("spanner", "TIMESTAMP"): (Kind.TIMESTAMPTZ, None, None),
        ("postgresql", "geometry"): (Kind.GEOMETRY, None, None),  # PostGIS
    }
    for (engine, native), (kind, p, s) in cases.items():
        got = parse_type(engine, native)
        assert (got[0], got[1], got[2]) == (kind, p, s), (engine, native, got)


def test_pair_rules() -> None:
    dec = make_column("postgresql", "x", "numeric(10,2)")
    dbl = make_column("mysql", "x", "double")
    pair = plan_pair(dec, dbl)
    assert pair.source_render.as_float and not pair.target_render.as_float
    ch = make_column("postgresql", "c", "character(3)")
    vc = make_column("mysql", "c", "varchar(3)")
    pair = plan_pair(ch, vc)
    assert pair.source_render.rtrim and pair.target_render.rtrim
    b = make_column("postgresql", "f", "boolean")
    yn = make_column("mysql", "f", "char(1)")
    assert plan_pair(b, yn).target_render.boolmap
