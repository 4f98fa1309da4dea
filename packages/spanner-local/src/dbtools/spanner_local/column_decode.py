"""Decoding a mutation's values a whole column at a time, for the common types.

A mutation of thousands of rows spends most of its time turning protobuf Values into Python
objects. Each decoder here takes one column's Values and decodes them in a single
comprehension, assuming the usual spelling: INT64 as a decimal string, STRING as a non-empty
string within the column's size limit, FLOAT64 as a non-zero number. Any other value (NULL,
an empty string, zero, a string spelling of NaN, a wrong type, an oversized string) comes back
as `LOOK`, "look closer": the caller decodes those few with codec.decode, which accepts every
valid spelling and words every error as Spanner does. So a fast decoder never accepts what
codec.decode would refuse, nor decodes a value differently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import protos

LOOK: Any = object()  # this value needs the full decoder

ColumnDecoder = Callable[[Sequence[protos.Value], int], list[Any]]


def _one_int64(v: protos.Value) -> Any:
    try:
        return int(v.string_value)
    except ValueError:
        return LOOK


def _int64(cells: Sequence[protos.Value], _limit: int) -> list[Any]:
    # Every other kind of Value reads as "" here, which int() refuses.
    try:
        return [int(v.string_value) for v in cells]
    except ValueError:
        return [_one_int64(v) for v in cells]


def _string(cells: Sequence[protos.Value], limit: int) -> list[Any]:
    # "" is also what NULL and every non-string Value read as: those need a closer look, as
    # do strings over the limit (for the error).
    texts = [v.string_value for v in cells]
    if max(map(len, texts), default=0) > limit:
        return [s if 0 < len(s) <= limit else LOOK for s in texts]
    return [s or LOOK for s in texts]


def _float64(cells: Sequence[protos.Value], _limit: int) -> list[Any]:
    # 0.0 is also what NULL, strings ("NaN", "Infinity") and other kinds read as.
    return [v.number_value or LOOK for v in cells]


# By type code; `limit` is the column's size limit (characters), used by STRING.
FAST: dict[str, ColumnDecoder] = {
    "INT64": _int64,
    "STRING": _string,
    "FLOAT64": _float64,
}
