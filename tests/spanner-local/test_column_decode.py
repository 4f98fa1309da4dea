"""The whole-column decoders agree with codec.decode on every value they decode themselves,
and hand every other value back for a closer look."""

from __future__ import annotations

import math

import pytest
from dbtools.spanner_local import codec, column_decode
from dbtools.spanner_local.errors import InvalidArgument
from dbtools.spanner_local.typemap import SType
from google.protobuf import struct_pb2


def _v(**kind) -> struct_pb2.Value:
    return struct_pb2.Value(**kind)


NULL = {"null_value": struct_pb2.NULL_VALUE}
CASES = {
    "INT64": [
        {"string_value": "5"},
        {"string_value": "-9223372036854775808"},
        {"string_value": " 7"},
        {"string_value": ""},
        {"string_value": "abc"},
        {"string_value": "1.5"},
        {"number_value": 3.0},
        {"number_value": 3.5},
        {"bool_value": True},
        NULL,
    ],
    "STRING": [
        {"string_value": "abc"},
        {"string_value": "ünï ✓"},
        {"string_value": ""},
        {"string_value": "x" * 11},
        {"number_value": 1.0},
        {"bool_value": False},
        NULL,
    ],
    "FLOAT64": [
        {"number_value": 1.5},
        {"number_value": -0.0},
        {"number_value": 0.0},
        {"number_value": math.inf},
        {"number_value": math.nan},
        {"string_value": "NaN"},
        {"string_value": "-Infinity"},
        {"string_value": "2.5"},
        {"string_value": "nope"},
        {"bool_value": True},
        NULL,
    ],
}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("code", sorted(CASES))
def test_fast_decoders_never_differ_from_codec_decode(code):
    cells = [_v(**kind) for kind in CASES[code]]
    fast = column_decode.FAST[code](cells, 10)
    assert len(fast) == len(cells)
    looked = 0
    for cell, got in zip(cells, fast, strict=True):
        if got is column_decode.LOOK:
            looked += 1
            continue
        assert _same(got, codec.decode(cell, SType(code))), (cell, got)
        if code == "STRING":
            assert len(got) <= 10
    # everything codec.decode refuses, and every NULL, was handed back
    for cell, got in zip(cells, fast, strict=True):
        try:
            value = codec.decode(cell, SType(code))
        except InvalidArgument:
            assert got is column_decode.LOOK, cell
            continue
        if value is None:
            assert got is column_decode.LOOK, cell
    assert 0 < looked < len(cells)
