"""Results encoded straight to wire bytes parse to the same Values as the message path, long
strings still arrive whole through the client, and point keys decoded a column at a time give
the same rows and the same first error as key by key."""

from __future__ import annotations

import datetime as dt
import decimal
import math

import pytest
from dbtools.spanner_local import codec, protos, wire
from dbtools.spanner_local.errors import InvalidArgument
from dbtools.spanner_local.executor import keyset_where
from dbtools.spanner_local.typemap import SType
from google.cloud import spanner

CHUNK = 512 * 1024
VALUES = {
    "INT64": [0, 1, -1, 2**63 - 1, -(2**63), None],
    "STRING": ["", "a", "é" * 200, "x" * 130, "\x00", None],
    "FLOAT64": [0.0, -0.0, 1.5, math.nan, math.inf, -math.inf, 1e308, 5e-324, None],
    "BOOL": [True, False, None],
    "DATE": [dt.date(2020, 1, 2), None],
    "BYTES": [b"\x00\xff", b"", None],
    "NUMERIC": [decimal.Decimal("1.25"), None],
    "TIMESTAMP": [dt.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), None],
}


VALUES.update(
    {
        "FLOAT32": [0.0, 1.5, -2.25, math.nan, -math.inf, None],
        "DATE": [dt.date(2020, 1, 2), dt.date(1, 1, 1), dt.date(9999, 12, 31), None],
        "BYTES": [b"\x00\xff", b"", b"x" * 200, "text as bytes", None],
        "NUMERIC": [
            decimal.Decimal("1.25"),
            decimal.Decimal("-0.000000001"),
            decimal.Decimal("99999999999999999999999999999.999999999"),
            decimal.Decimal("1E+3"),
            7,
            None,
        ],
        "TIMESTAMP": [
            dt.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
            1,  # stored nanoseconds since year 1
            63_000_000_000_123_456_789,
            dt.date(2021, 5, 6),
            None,
        ],
        "JSON": ['{"b": 1, "a": [true, null]}', "[]", '"é"', {"k": 1.5}, None],
        "UUID": ["123e4567-e89b-12d3-a456-426614174000", None],
        "INTERVAL": ["1 year 2 months 3 days 04:05:06.5", "-00:00:01", "00:00:00", None],
        "ENUM": [0, 3, None],
        "PROTO": [b"\x08\x01", None],
    }
)
ANNOTATED = {
    ("NUMERIC", "PG_NUMERIC"): [decimal.Decimal("1.5"), codec.PG_NUMERIC_NAN, None],
    ("JSON", "PG_JSONB"): ['{"b": 1, "a": 2}', None],
    ("INT64", "PG_OID"): [7, None],
}


def _all_types() -> list[tuple[SType, list]]:
    scalars = [(SType(code), values) for code, values in VALUES.items()]
    scalars += [(SType(code, annotation=a), values) for (code, a), values in ANNOTATED.items()]
    arrays = [
        (SType("ARRAY", element=t), [[v for v in values], [], [None], None])
        for t, values in scalars
    ]
    struct = SType("STRUCT", fields=(("a", SType("INT64")), ("b", SType("STRING"))))
    return [*scalars, *arrays, (struct, [(1, "x"), (None, None), None])]


def _name(stype: SType) -> str:
    inner = f"<{_name(stype.element)}>" if stype.element else ""
    return stype.code + inner + (f"({stype.annotation})" if stype.annotation else "")


@pytest.mark.parametrize(("stype", "values"), _all_types(), ids=[_name(t) for t, _ in _all_types()])
def test_every_type_is_the_bytes_protobuf_writes(stype, values):
    """Byte for byte what serializing codec's Values through protobuf gives, for every type,
    its arrays (with NULL and empty ones) and annotated spellings."""
    cells = wire.encode_rows([(v,) for v in values], [stype], CHUNK)
    assert cells is not None and len(cells) == len(values)
    for value, cell in zip(values, cells, strict=True):
        want = protos.PartialResultSet(values=[codec.encode(value, stype)]).SerializeToString()
        assert cell == want, (_name(stype), value)


def test_every_type_code_is_covered_by_the_byte_test():
    from dbtools.spanner_local.typemap import TYPE_CODES

    covered = {t.code for t, _ in _all_types()} | {"ARRAY"}
    assert set(TYPE_CODES) - covered == set()


def test_a_value_codec_cannot_spell_fails_as_on_the_message_path():
    with pytest.raises(ValueError):
        codec.encode("not an interval", SType("INTERVAL"))
    with pytest.raises(ValueError):
        wire.encode_rows([("not an interval",)], [SType("INTERVAL")], CHUNK)


@pytest.mark.parametrize("code", sorted(VALUES))
def test_each_value_parses_to_what_codec_encodes(code):
    stype = SType(code)
    values = VALUES[code]
    cells = wire.encode_rows([(v,) for v in values], [stype], CHUNK)
    assert cells is not None and len(cells) == len(values)
    for value, cell in zip(values, cells, strict=True):
        got = protos.PartialResultSet.FromString(cell).values
        assert list(got) == [codec.encode(value, stype)], value


def test_rows_of_several_columns_keep_their_order():
    types = [SType("INT64"), SType("STRING"), SType("ARRAY", element=SType("INT64"))]
    rows = [(1, "a", [1, None]), (None, None, None), (3, "c", [])]
    cells = wire.encode_rows(rows, types, CHUNK)
    assert cells is not None
    message = protos.PartialResultSet.FromString(b"".join(cells))
    want = [codec.encode(v, t) for row in rows for v, t in zip(row, types, strict=True)]
    assert list(message.values) == want
    assert wire.encode_rows([], types, CHUNK) == []


def test_a_string_to_be_chunked_is_left_to_the_message_path():
    assert wire.encode_rows([("x" * 11,)], [SType("STRING")], 10) is None
    assert wire.encode_rows([(b"x" * 9,)], [SType("BYTES")], 10) is None  # base64: 12 chars
    assert wire.encode_rows([(b"x" * 6,)], [SType("BYTES")], 10) is not None  # 8 chars
    assert wire.encode_rows([('{"k": "' + "v" * 9 + '"}',)], [SType("JSON")], 10) is None
    # inside an array nothing is chunked, as on the message path
    assert wire.encode_rows([(["x" * 11],)], [SType("ARRAY", element=SType("STRING"))], 10)


def test_long_strings_and_many_messages_arrive_whole(local):
    db = local.new_database(ddl=["CREATE TABLE L (K INT64, S STRING(MAX)) PRIMARY KEY (K)"])
    try:
        long_text = "é" * (CHUNK * 2 + 7)  # split into pieces (chunked_value)
        rows = [(k, f"row {k} " + "y" * 500) for k in range(5000)]  # several messages
        with db.batch() as b:
            b.insert("L", ["K", "S"], [*rows, (-1, long_text)])
        with db.snapshot() as snap:
            got = list(snap.execute_sql("SELECT K, S FROM L WHERE K >= 0 ORDER BY K"))
        assert got == [list(r) for r in rows]
        with db.snapshot() as snap:
            got = list(snap.read("L", ["K", "S"], spanner.KeySet(keys=[[-1], [0]])))
        assert got == [[-1, long_text], [0, rows[0][1]]]
    finally:
        db.drop()


def _keys(*keys: list[protos.Value]) -> protos.KeySet:
    ks = protos.KeySet()
    for parts in keys:
        ks.keys.add().values.extend(parts)
    return ks


def _s(text: str) -> protos.Value:
    return protos.Value(string_value=text)


NULL = protos.Value(null_value=protos.NULL_VALUE)


def test_point_keys_decode_a_column_at_a_time_like_one_by_one():
    many = [[_s(str(k)), _s(f"n{k}")] for k in range(20)] + [[NULL, NULL]]
    args: list = []
    keyset_where(
        _keys(*many), [("A", False), ("B", False)], [SType("INT64"), SType("STRING")], args
    )
    assert args == [[*range(20), None], [*(f"n{k}" for k in range(20)), None]]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([_s("x"), _s("a")], "Invalid value for INT64"),
        ([_s("1")], "Point keys must specify every key column."),
        ([_s("1"), _s("a"), _s("2")], "Key has 3 parts but the key has only 2 columns."),
    ],
)
def test_the_first_bad_point_key_is_the_one_reported(bad, message):
    good = [[_s(str(k)), _s("a")] for k in range(20)]
    later_bad = [protos.Value(bool_value=True), _s("a")]  # a different error, after it
    key_set = _keys(*good[:5], bad, later_bad, *good[5:])
    with pytest.raises(InvalidArgument, match=message):
        keyset_where(key_set, [("A", False), ("B", False)], [SType("INT64"), SType("STRING")], [])
