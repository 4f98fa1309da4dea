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
