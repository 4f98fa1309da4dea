"""Decoding a mutation's values a whole column at a time, for the common types.

A mutation of thousands of rows spends most of its time turning protobuf Values into Python
objects. Each decoder here takes one column's Values and decodes them in a single
comprehension, assuming the usual spelling: INT64 as a decimal string, STRING as a non-empty
string, FLOAT64 as a non-zero number. It returns None, "look closer", as soon as a value is
anything else (NULL, an empty string, zero, a string spelling of NaN, a wrong type, a value
over the column's size limit); the caller then decodes that column value by value with
codec.decode, which accepts every valid spelling and words every error as Spanner does. So a
fast decoder never accepts what codec.decode would refuse, nor decodes a value differently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import protos

ColumnDecoder = Callable[[Sequence[protos.Value], int], "list[Any] | None"]


def _int64(cells: Sequence[protos.Value], _limit: int) -> list[Any] | None:
    # Every other kind of Value reads as "" here, which int() refuses.
    try:
        return [int(v.string_value) for v in cells]
    except ValueError:
        return None


def _string(cells: Sequence[protos.Value], limit: int) -> list[Any] | None:
    out = [v.string_value for v in cells]
    # "" is also what NULL and every non-string Value read as: those need a closer look.
    if not all(out) or (out and max(map(len, out)) > limit):
        return None
    return out


def _float64(cells: Sequence[protos.Value], _limit: int) -> list[Any] | None:
    out = [v.number_value for v in cells]
    # 0.0 is also what NULL, strings ("NaN", "Infinity") and other kinds read as.
    if not all(out):
        return None
    return out


# By type code; `limit` is the column's size limit (characters), used by STRING.
FAST: dict[str, ColumnDecoder] = {
    "INT64": _int64,
    "STRING": _string,
    "FLOAT64": _float64,
}
