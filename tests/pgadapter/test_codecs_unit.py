"""Codecs: round trips, and text output compared with what real PostgreSQL 15 prints."""

from __future__ import annotations

import base64
import datetime as dt
import math
import struct
from decimal import Decimal

import psycopg
import pytest
from dbtools.pgadapter import codecs as c
from dbtools.pgadapter.errors import PgError
from hypothesis import given
from hypothesis import strategies as st

UTC = dt.timezone.utc


def _text(oid: int, value: object) -> str:
    return c.text_encoder(oid)(value).decode()


FLOATS = [
    0.0,
    -0.0,
    1.5,
    0.1,
    1e15,
    1e16,
    123456789012345.0,
    1e-5,
    0.0001,
    -2.5e-10,
    1e300,
    5e-324,
    100.0,
    3.141592653589793,
    2.0**53,
    1 / 3,
]


def test_float8_text_matches_postgresql(pg_server) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        for v in [*FLOATS, math.inf, -math.inf, math.nan]:
            expected = conn.execute("select %s::float8::text", (v,)).fetchone()[0]  # type: ignore[index]
            assert _text(701, v) == expected, v


def test_float4_text_matches_postgresql(pg_server) -> None:  # type: ignore[no-untyped-def]
    values = [
        1.25,
        0.1,
        3.14,
        1e10,
        1e-7,
        16777217.0,
        123.456,
        3.4028234663852886e38,
        -1.17549435e-38,
    ]
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        for v in values:
            f32 = struct.unpack("!f", struct.pack("!f", v))[0]
            expected = conn.execute("select %s::float4::text", (str(f32),)).fetchone()[0]  # type: ignore[index]
            assert _text(700, f32) == expected, v


NUMERICS = [
    "0",
    "1",
    "-1.50",
    "12345.678",
    "0.0001",
    "1e20",
    "123456789.123456789",
    "-0.000000001",
    "99999999999999999999999999999.999999999",
    "10000",
    "0.10",
]


def test_numeric_binary_matches_postgresql(pg_server) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        cur = conn.cursor(binary=True)
        for text in [*NUMERICS, "NaN"]:
            cur.execute("select %s::text::numeric", (text,))
            wire = cur.pgresult.get_value(0, 0)  # type: ignore[union-attr]
            assert c.numeric_binary(Decimal(text)) == wire, text
            assert Decimal(c.numeric_from_binary(wire)) == Decimal(text) or text == "NaN"


def test_timestamptz_text_matches_postgresql(pg_server) -> None:  # type: ignore[no-untyped-def]
    values = [
        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
        dt.datetime(1, 1, 1, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute("set timezone = 'Asia/Kolkata'")
        from zoneinfo import ZoneInfo

        for v in values[:2]:
            expected = conn.execute("select %s::timestamptz::text", (v,)).fetchone()[0]  # type: ignore[index]
            assert c.timestamptz_text(v, ZoneInfo("Asia/Kolkata")) == expected
        conn.execute("set timezone = 'UTC'")
        for v in values:
            expected = conn.execute("select %s::timestamptz::text", (v,)).fetchone()[0]  # type: ignore[index]
            assert c.timestamptz_text(v) == expected


def test_jsonb_text_matches_postgresql(pg_server) -> None:  # type: ignore[no-untyped-def]
    doc = '{"b": [1, 2.5, null, true], "a": {"zz": "x", "y": "é"}, "ccc": 1e3}'
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        expected = conn.execute("select %s::jsonb::text", (doc,)).fetchone()[0]  # type: ignore[index]
    assert _text(3802, doc) == expected


def test_array_text_quoting() -> None:
    assert _text(1015, ["a", None, "b c", "", "NULL", 'q"t', "back\\slash", "{x}"]) == (
        '{a,NULL,"b c","","NULL","q\\"t","back\\\\slash","{x}"}'
    )
    assert _text(1016, []) == "{}"
    assert _text(1001, [base64.b64encode(b"\x01")]) == '{"\\\\x01"}'


@given(
    st.lists(
        st.one_of(
            st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
        ),
        max_size=6,
    )
)
def test_text_array_round_trip(items: list[str | None]) -> None:
    text = c.text_encoder(1009)(items)
    assert c.param_decoder(1009, 0)(text) == items


@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=6))
def test_int8_array_binary_round_trip(items: list[int | None]) -> None:
    wire = c.binary_encoder(1016)(items)
    assert c.param_decoder(1016, 1)(wire) == items


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=9, min_value=-(10**28), max_value=10**28
    )
)
def test_numeric_binary_round_trip(value: Decimal) -> None:
    assert Decimal(c.numeric_from_binary(c.numeric_binary(value))) == value


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamp_binary_round_trip(value: dt.datetime) -> None:
    wire = c.binary_encoder(1184)(value)
    back = c.param_decoder(1184, 1)(wire)
    assert back == value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(st.dates())
def test_date_round_trips(value: dt.date) -> None:
    assert c.param_decoder(1082, 1)(c.binary_encoder(1082)(value)) == value.isoformat()
    assert c.param_decoder(1082, 0)(c.text_encoder(1082)(value)) == value.isoformat()


def test_bytea_values_from_spanner_are_base64() -> None:
    raw = b"\x00\xff\x10"
    assert _text(17, base64.b64encode(raw)) == "\\x00ff10"
    assert c.binary_encoder(17)(base64.b64encode(raw)) == raw
    assert c.param_decoder(17, 0)(b"\\x00ff10") == base64.b64encode(raw)
    assert c.param_decoder(17, 0)(b"a\\\\b\\001") == base64.b64encode(b"a\\b\x01")
    assert c.param_decoder(17, 1)(raw) == base64.b64encode(raw)


@pytest.mark.parametrize(
    ("oid", "text", "expected"),
    [
        (16, b"yes", True),
        (16, b"OFF", False),
        (21, b" 12 ", 12),
        (23, b"-2147483648", -(2**31)),
        (701, b"-Infinity", -math.inf),
        (1700, b"NaN", "NaN"),
        (1700, b" 1.50 ", "1.50"),
        (1184, b"2024-01-02 03:04:05.5+05:30", "2024-01-01T21:34:05.500000Z"),
        (1184, b"2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000000Z"),
        (1184, b"2024-01-02", "2024-01-02T00:00:00.000000Z"),
        (1114, b"2024-01-02 03:04:05", "2024-01-02T03:04:05.000000Z"),
        (2950, b"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        (3802, b'{"a": 1}', '{"a": 1}'),
        (1016, b"{1,NULL,3}", [1, None, 3]),
        (1015, b'{"a,b",c}', ["a,b", "c"]),
    ],
)
def test_text_parameters(oid: int, text: bytes, expected: object) -> None:
    assert c.param_decoder(oid, 0)(text) == expected


@pytest.mark.parametrize(
    ("oid", "text", "state"),
    [
        (16, b"maybe", "22P02"),
        (20, b"12x", "22P02"),
        (21, b"40000", "22003"),
        (1700, b"1.2.3", "22P02"),
        (1082, b"2024-13-01", "22P02"),
        (1184, b"yesterday-ish", "22P02"),
        (1184, b"2024-02-30 00:00:00", "22008"),
        (3802, b"{bad json", "22P02"),
        (1016, b"1,2", "22P02"),
        (1016, b"{{1,2},{3,4}}", "0A000"),
        (25, b"\xff\xfe", "22021"),
    ],
)
def test_bad_text_parameters(oid: int, text: bytes, state: str) -> None:
    with pytest.raises(PgError) as info:
        c.param_decoder(oid, 0)(text)
    assert info.value.sqlstate == state


@pytest.mark.parametrize(("oid", "wire"), [(20, b"\0\0"), (23, b"\0"), (16, b""), (2950, b"x")])
def test_bad_binary_parameters(oid: int, wire: bytes) -> None:
    with pytest.raises(PgError) as info:
        c.param_decoder(oid, 1)(wire)
    assert info.value.sqlstate == "22P03"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("P1DT2H3M4S", "1 day 02:03:04"),
        ("P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"),
        ("P0Y", "00:00:00"),
        ("P-1D", "-1 days"),
        ("PT-1H-30M", "-01:30:00"),
        ("P14M", "1 year 2 mons"),
        (dt.timedelta(days=2, seconds=1, microseconds=5), "2 days 00:00:01.000005"),
    ],
)
def test_interval_results_are_postgresql_text(value: object, text: str) -> None:
    from dbtools.pgadapter.codecs import encoder

    assert encoder(1186, 0)(value) == text.encode()


def test_interval_binary_and_from_spanner_values() -> None:
    import struct

    from dbtools.pgadapter.codecs import encoder, value_encoder
    from dbtools.pgadapter.errors import PgError
    from dbtools.pgadapter.types import oid_for_spanner
    from google.cloud.spanner_v1 import Type, TypeCode
    from google.protobuf import struct_pb2

    assert oid_for_spanner(Type(code=TypeCode.INTERVAL)) == 1186
    assert encoder(1186, 1)("P1M2DT3S") == struct.pack("!qii", 3_000_000, 2, 1)
    raw = struct_pb2.Value(string_value="P1DT2H")
    assert value_encoder(1186, 0)(raw) == b"1 day 02:00:00"
    with pytest.raises(PgError) as info:
        encoder(1186, 0)("1 day, 2:03:04")  # not Spanner's ISO 8601 form
    assert info.value.sqlstate == "22007"
