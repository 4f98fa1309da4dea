"""Result values written straight as protobuf wire bytes, a column at a time.

Streaming a result through protobuf message objects costs a Python call chain per value (add
a Value, set it, ask which kind it became); for 100,000 rows that was most of the server's
work. Here each column of a result is encoded in one loop into the bytes of
`PartialResultSet.values` entries, and a message is its envelope (metadata, resume token,
stats, `last`, serialized as usual) followed by those bytes: concatenated protobuf messages
parse as one. Every type is written here: the types sent as a string_value take their text
from codec's spellers (codec stays the one place that decides how a value is spelled), FLOAT64,
FLOAT32 and BOOL are written as numbers and booleans as codec's setters write them, and ARRAY
as a list_value of its elements' bytes. Only STRUCT values (rare in results) still go through a
protobuf Value and its own serialization.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from typing import Any

from . import codec, protos
from .typemap import SType

_VALUES_FIELD = protos.PartialResultSet.DESCRIPTOR.fields_by_name["values"].number
_VALUE_FIELDS = {f.name: f.number for f in protos.Value.DESCRIPTOR.fields}
LEN, FIXED64, VARINT = 2, 1, 0  # protobuf wire types


def _tag(number: int, wire_type: int) -> bytes:
    return bytes((number << 3 | wire_type,))  # every field number here is below 16


_VALUE_TAG = _tag(_VALUES_FIELD, LEN)
_STRING_TAG = _tag(_VALUE_FIELDS["string_value"], LEN)
_NUMBER_TAG = _tag(_VALUE_FIELDS["number_value"], FIXED64)
_BOOL_TAG = _tag(_VALUE_FIELDS["bool_value"], VARINT)
_LIST_TAG = _tag(_VALUE_FIELDS["list_value"], LEN)
_ITEM_TAG = _tag(protos.ListValue.DESCRIPTOR.fields_by_name["values"].number, LEN)
_NULL_BODY = _tag(_VALUE_FIELDS["null_value"], VARINT) + bytes((protos.NULL_VALUE,))


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _cell(body: bytes) -> bytes:
    """One `values` entry of a PartialResultSet holding the serialized Value `body`."""
    return _VALUE_TAG + _varint(len(body)) + body


NULL_CELL = _cell(_NULL_BODY)
_SPECIAL_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}


class TooLong(Exception):
    """A value must be split across messages (chunked): the caller streams messages instead."""


def _string_body(text: str, chunk_chars: int) -> bytes:
    if len(text) > chunk_chars:
        raise TooLong
    data = text.encode()
    return _STRING_TAG + _varint(len(data)) + data


# The start of a `values` entry holding a string_value of n bytes, for every n whose two
# lengths (the entry's and the string's) fit one byte each.
_SHORT = 126
_STRING_HEAD = [_VALUE_TAG + bytes((n + 2,)) + _STRING_TAG + bytes((n,)) for n in range(_SHORT)]


def _string_cells(data: list[bytes]) -> list[bytes]:
    head = _STRING_HEAD
    return [
        head[n] + d if (n := len(d)) < _SHORT else _cell(_STRING_TAG + _varint(n) + d) for d in data
    ]


def _with_nulls(values: Sequence[Any], cells_of: Callable[[list[Any]], list[bytes]]) -> list[bytes]:
    """`cells_of` applied to the non-NULL values, NULL cells in between."""
    present = [v for v in values if v is not None]
    if len(present) == len(values):
        return cells_of(present)
    it = iter(cells_of(present))
    return [NULL_CELL if v is None else next(it) for v in values]


def _int64_cells(values: list[Any]) -> list[bytes]:
    # One join and one encode for the whole column: NUL never occurs in a number's digits.
    digits = "\x00".join(map(str, map(int, values))).encode().split(b"\x00")
    head = _STRING_HEAD  # at most 20 bytes: every length fits one byte
    return [head[len(d)] + d for d in digits] if values else []


def _int64_column(values: Sequence[Any], _chunk: int) -> list[bytes]:
    return _with_nulls(values, _int64_cells)


def _texts_cells(texts: list[str], chunk: int) -> list[bytes]:
    if max(map(len, texts), default=0) > chunk:
        raise TooLong
    return _string_cells([t.encode() for t in texts])


def _string_column(values: Sequence[Any], chunk: int) -> list[bytes]:
    return _with_nulls(
        values, lambda vs: _texts_cells([v if isinstance(v, str) else str(v) for v in vs], chunk)
    )


def _float64_body(v: Any) -> bytes:
    v = float(v)
    if math.isnan(v):
        return _string_body("NaN", 3)
    if math.isinf(v):
        return _string_body(_SPECIAL_FLOATS[v], 9)
    return _NUMBER_TAG + struct.pack("<d", v)


def _float64_column(values: Sequence[Any], _chunk: int) -> list[bytes]:
    return [NULL_CELL if v is None else _cell(_float64_body(v)) for v in values]


_TRUE_BODY = _BOOL_TAG + b"\x01"
_FALSE_BODY = _BOOL_TAG + b"\x00"
_TRUE_CELL = _cell(_TRUE_BODY)
_FALSE_CELL = _cell(_FALSE_BODY)


def _bool_column(values: Sequence[Any], _chunk: int) -> list[bytes]:
    return [NULL_CELL if v is None else _TRUE_CELL if v else _FALSE_CELL for v in values]


ColumnEncoder = Callable[[Sequence[Any], int], list[bytes]]
# The serialized Value of one non-NULL value (array elements; no chunking inside a list_value,
# as on the message path).
BodyEncoder = Callable[[Any], bytes]


def _text_column(speller: codec.Speller) -> ColumnEncoder:
    def encode(values: Sequence[Any], chunk: int) -> list[bytes]:
        return _with_nulls(values, lambda vs: _texts_cells(list(map(speller, vs)), chunk))

    return encode


def _text_body(speller: codec.Speller) -> BodyEncoder:
    def body(v: Any) -> bytes:
        data = speller(v).encode()
        return _STRING_TAG + _varint(len(data)) + data

    return body


def _through_setter_body(stype: SType) -> BodyEncoder:
    setter = codec.setter_for(stype)

    def body(v: Any) -> bytes:
        pb = protos.Value()
        setter(pb, v)
        return pb.SerializeToString()

    return body


def _body(stype: SType) -> BodyEncoder:
    """How one non-NULL value of `stype` is serialized as a Value."""
    speller = codec.speller_for(stype)
    if speller is not None:
        return _text_body(speller)
    if stype.code in ("FLOAT64", "FLOAT32"):
        return _float64_body
    if stype.code == "BOOL":
        return lambda v: _TRUE_BODY if v else _FALSE_BODY
    if stype.code == "ARRAY":
        return _list_body(stype)
    return _through_setter_body(stype)


def _list_body(stype: SType) -> BodyEncoder:
    assert stype.element is not None
    item = _body(stype.element)
    null_item = _ITEM_TAG + _varint(len(_NULL_BODY)) + _NULL_BODY

    def body(v: Any) -> bytes:
        items = b"".join(
            null_item if x is None else _ITEM_TAG + _varint(len(b := item(x))) + b for x in v
        )
        return _LIST_TAG + _varint(len(items)) + items

    return body


def _array_column(stype: SType) -> ColumnEncoder:
    body = _list_body(stype)

    def encode(values: Sequence[Any], _chunk: int) -> list[bytes]:
        return [NULL_CELL if v is None else _cell(body(v)) for v in values]

    return encode


def _struct_column(stype: SType) -> ColumnEncoder:
    body = _through_setter_body(stype)

    def encode(values: Sequence[Any], _chunk: int) -> list[bytes]:
        return [NULL_CELL if v is None else _cell(body(v)) for v in values]

    return encode


# By type code: the types with a loop of their own (the common ones, and those not spelled as
# text); the other types' columns are their spellers' texts.
_COLUMNS: dict[str, ColumnEncoder] = {
    "INT64": _int64_column,
    "STRING": _string_column,
    "FLOAT64": _float64_column,
    "FLOAT32": _float64_column,
    "BOOL": _bool_column,
}
_BUILT_COLUMNS: dict[str, Callable[[SType], ColumnEncoder]] = {
    "ARRAY": _array_column,
    "STRUCT": _struct_column,
}


def _encoder(stype: SType) -> ColumnEncoder:
    speller = codec.speller_for(stype)
    own = _COLUMNS.get(stype.code)
    if own is not None and speller is codec.speller_for(SType(stype.code)):
        return own  # an annotation that does not change the spelling (PG_OID)
    if speller is not None:
        return _text_column(speller)
    return _BUILT_COLUMNS[stype.code](stype)


def encode_rows(
    rows: Sequence[tuple[Any, ...]], types: Sequence[SType], chunk_chars: int
) -> list[bytes] | None:
    """Each row's values as `PartialResultSet.values` wire bytes, or None when some string
    is longer than `chunk_chars` and must be sent in pieces (chunked_value)."""
    if not rows:
        return []
    if not types:
        return [b"" for _ in rows]
    try:
        columns = [
            _encoder(stype)(column, chunk_chars)
            for stype, column in zip(types, zip(*rows, strict=True), strict=True)
        ]
    except TooLong:
        return None
    return [b"".join(cells) for cells in zip(*columns, strict=True)]
