"""Value conversion and dump row readers: edge values, typed NULLs, time zones, bad values."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import struct

import pytest
from dbtools.migrate.model import SourceType, SpType
from dbtools.migrate.rows import parse_copy_row, parse_mysql_insert, parse_pg_insert
from dbtools.migrate.values import BadValue, Bits, Num, converter, parse_pg_array, parse_timezone

UTC = dt.timezone.utc
G = "google_standard_sql"


def conv(src: str, dst: str, dialect: str = G, tz: str = "UTC", **kw: object):
    return converter(SourceType(src, **kw), SpType.parse(dst), dialect, parse_timezone(tz))  # type: ignore[arg-type]


def test_integers_edges() -> None:
    c = conv("bigint", "INT64")
    assert c(Num("-9223372036854775808")) == -(2**63)
    assert c(Num("9223372036854775807")) == 2**63 - 1
    with pytest.raises(BadValue, match="range"):
        c(Num("18446744073709551615"))  # bigint unsigned max
    with pytest.raises(BadValue):
        c("12abc")
    assert conv("bigint", "NUMERIC", unsigned=True)(Num("18446744073709551615")) == decimal.Decimal(
        "18446744073709551615"
    )


def test_numeric_scale_and_precision() -> None:
    c = conv("decimal", "NUMERIC")
    assert c(Num("123.450000000")) == decimal.Decimal("123.450000000")
    with pytest.raises(BadValue, match="fractional"):
        c(Num("0.1234567891"))
    with pytest.raises(BadValue, match="integer digits"):
        c(Num("1" * 30))
    assert c(Num("9" * 29 + ".999999999")) == decimal.Decimal("9" * 29 + ".999999999")
    # the PostgreSQL dialect has no such limits
    assert conv("numeric", "NUMERIC", dialect="postgresql")(Num("0.1234567891")) == decimal.Decimal(
        "0.1234567891"
    )
    with pytest.raises(BadValue):
        c("NaN")


def test_bool_idiom_is_strict() -> None:
    c = conv("tinyint", "BOOL", args=(1,))
    assert c(Num("1")) is True and c(Num("0")) is False
    with pytest.raises(BadValue, match="INT64"):
        c(2)
    assert conv("bool", "BOOL")("t") is True
    assert conv("bit", "BOOL", args=(1,))(Bits("1")) is True


def test_strings_null_and_encoding() -> None:
    c = conv("varchar", "STRING(5)", args=(5,))
    assert c("NULL") == "NULL"  # a literal 'NULL' is text, never a NULL
    assert c("") == ""
    assert c("😀ab") == "😀ab"
    with pytest.raises(BadValue, match="exceed"):
        c("abcdef")
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")
    with pytest.raises(BadValue, match="UTF-8"):
        c(bad)
    enum = conv("enum", "STRING(2)", values=("a", "b"))
    with pytest.raises(BadValue, match="allowed"):
        enum("")


def test_timestamps_zones_and_dst() -> None:
    c = conv("datetime", "TIMESTAMP", tz="America/New_York")
    assert c("2024-01-15 10:00:00.123456") == dt.datetime(2024, 1, 15, 15, 0, 0, 123456, tzinfo=UTC)
    with pytest.raises(BadValue, match="daylight"):
        c("2024-03-10 02:30:00")  # does not exist in New York
    assert conv("datetime", "TIMESTAMP", tz="+05:30")("2024-01-01 00:00:00") == dt.datetime(
        2023, 12, 31, 18, 30, tzinfo=UTC
    )
    tstz = conv("timestamptz", "TIMESTAMP")
    assert tstz("2022-01-24 22:53:30+02") == dt.datetime(2022, 1, 24, 20, 53, 30, tzinfo=UTC)
    with pytest.raises(BadValue, match="zero"):
        c("0000-00-00 00:00:00")
    with pytest.raises(BadValue, match="zero"):
        conv("date", "DATE")("0000-00-00")
    with pytest.raises(BadValue):
        tstz("infinity")
    with pytest.raises(ValueError):
        parse_timezone("Mars/Olympus")


def test_bytes_json_arrays_and_spatial() -> None:
    b = conv("blob", "BYTES(MAX)")
    assert base64.b64decode(b(b"\x00\xff")) == b"\x00\xff"
    assert base64.b64decode(conv("bytea", "BYTES(MAX)")("\\xdeadbeef")) == b"\xde\xad\xbe\xef"
    assert (
        base64.b64decode(conv("bit", "BYTES(2)", args=(12,))(Bits("000100000001"))) == b"\x01\x01"
    )
    j = conv("json", "JSON")
    assert j('{"a": [1, 2]}') == '{"a":[1,2]}'
    with pytest.raises(BadValue, match="JSON"):
        j("{nope")
    arr = conv("text", "ARRAY<STRING(MAX)>", array_dims=1)
    assert arr('{a,"b c",NULL,"q\\"uote"}') == ["a", "b c", None, 'q"uote']
    assert conv("int4", "ARRAY<INT64>", array_dims=1)([1, None, 3]) == [1, None, 3]
    assert conv("set", "ARRAY<STRING(MAX)>")("a,b") == ["a", "b"]
    assert conv("set", "ARRAY<STRING(MAX)>")("") == []
    wkb = struct.pack("<I", 0) + struct.pack("<BIdd", 1, 1, 1.5, -2.0)
    assert conv("point", "STRING(MAX)")(wkb) == "POINT(1.5 -2)"
    assert parse_pg_array("{}") == []


def test_mysql_insert_reader() -> None:
    batch = parse_mysql_insert(
        "INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,'it\\'s\\n;',NULL),(-2.5e3,'NULL',0x00FF),(3,'',_binary 'x\\0')"
    )
    assert batch.table == "t" and batch.columns == ["a", "b", "c"]
    assert batch.rows[0] == ["1", "it's\n;", None]
    assert batch.rows[1][1] == "NULL" and batch.rows[1][2] == b"\x00\xff"
    assert batch.rows[2] == ["3", "", b"x\x00"]
    assert batch.rows[0][0] == "1"  # numbers stay text until their column's converter


def test_copy_and_pg_insert_readers() -> None:
    assert parse_copy_row("1\ta\\tb\\\\c\t\\N\t\\x41\t") == ["1", "a\tb\\c", None, "A", ""]
    batch = parse_pg_insert(
        "INSERT INTO public.t (a, b, c) VALUES (1, 'x''y', NULL), (-5, 'NULL', true);"
    )
    assert batch.table == "t" and batch.columns == ["a", "b", "c"]
    assert batch.rows == [["1", "x'y", None], ["-5", "NULL", "t"]]


INLINE_CASES = {
    ("bigint", "INT64"): [
        "0",
        "007",
        "-5",
        "+5",
        "123456789012345678",
        "9223372036854775807",
        "9223372036854775808",
        "٣",
        "1.5",
        "",
        " 7",
        "abc",
    ],
    ("decimal", "NUMERIC"): [
        "0",
        "1.",
        "-0.50",
        "+-5",
        "1.1234567890",
        "1.12345678901",
        "0" * 40 + "1",
        "9" * 29,
        "9" * 30,
        "1e3",
        ".5",
        "NaN",
        "abc",
    ],
    ("varchar", "STRING(3)"): ["", "abc", "abcd", "é", "éé€", "éééé", "\udcff"],
    ("text", "STRING(MAX)"): ["", "x" * 5000, "😀", "\udcff"],
    ("datetime", "TIMESTAMP"): [
        "2024-01-01 10:00:00",
        "2024-01-01 10:00:00.123456",
        "2024-02-30 10:00:00",
        "0000-00-00 00:00:00",
        "2024-01-01 10:00:00+02",
        "2024-01-01",
    ],
}


@pytest.mark.parametrize("tz", ["UTC", "+05:30", "-08:00", "Europe/Paris"])
def test_inlined_common_cases_equal_the_converters(tz: str) -> None:
    # row converters inline each converter's common case (data._row_converter): whatever the
    # value, the generated code must return or raise exactly what the converter does
    from dbtools.migrate.data import _row_converter

    for (src, dst), values in INLINE_CASES.items():
        c = conv(src, dst, tz=tz)
        row_conv = _row_converter([(0, c, "col")])
        for v in values:
            try:
                expected: object = c(v)
            except BadValue as exc:
                expected = ("bad", str(exc))
            try:
                got: object = row_conv([v])[0]
            except BadValue as exc:
                got = ("bad", str(exc))
            assert got == expected, (src, dst, v)
            assert type(got) is type(expected), (src, dst, v)


def test_plain_text_fast_paths() -> None:
    assert conv("bigint", "INT64")("007") == 7
    with pytest.raises(BadValue, match="range"):
        conv("bigint", "INT64")("9223372036854775808")
    with pytest.raises(BadValue):
        conv("decimal", "NUMERIC")("+-5")  # one sign only (it used to escape as InvalidOperation)
    assert conv("decimal", "NUMERIC")("1.1234567890") == decimal.Decimal("1.123456789")
    assert conv("datetime", "TIMESTAMP", tz="-08:00")("2024-01-01 20:00:00.5") == dt.datetime(
        2024, 1, 2, 4, 0, 0, 500000, tzinfo=UTC
    )
