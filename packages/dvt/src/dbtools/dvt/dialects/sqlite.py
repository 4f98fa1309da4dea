"""SQLite: the canonical forms and the hash run as registered Python functions.

SQLite stores values by affinity (a DECIMAL column holds REALs, timestamps are text), so the
Python reference rules of `canon.py` are what makes its values comparable; they run inside
SQLite's own query loop through `create_function`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import canon
from ..plan import Render
from ..types import Kind
from .base import Dialect

TEMPORAL_KEY_KINDS = frozenset({Kind.DATE, Kind.TIME, Kind.TIMESTAMP, Kind.TIMESTAMPTZ})

CANON_FLAGS = ("rtrim", "upper", "boolmap", "as_float", "float32")

COLUMNS_SQL = 'SELECT name, type, "notnull" = 0, pk FROM pragma_table_info(?, ?) ORDER BY cid'


def render_spec(render: Render) -> str:
    flags = [f for f in CANON_FLAGS if getattr(render, f)]
    scale = "" if render.scale is None else str(render.scale)
    return f"{render.kind.value}|{scale}|{','.join(flags)}"


class SQLiteDialect(Dialect):
    name = "sqlite"
    engine = "sqlite"

    def cast_text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def canonical(self, render: Render, expr: str) -> str:
        if render.finish is not None:
            return expr  # SQLite keeps arrays and geometry as the text finished in Python
        return f"dvt_canon({self.string_literal(render_spec(render))}, {expr})"

    def literal(self, value: Any) -> str:
        # Temporal keys are selected, ordered and compared as their canonical text (below).
        if isinstance(value, dt.datetime):
            return self.string_literal(canon.canonical(Kind.TIMESTAMP, value) or "")
        if isinstance(value, (dt.date, dt.time)):
            kind = Kind.DATE if isinstance(value, dt.date) else Kind.TIME
            return self.string_literal(canon.canonical(kind, value) or "")
        return super().literal(value)

    def key_select(self, expr: str, kind: Kind) -> str:
        # SQLite keeps dates and times as text in whatever format was written (`T` or space,
        # offsets, trailing zeros): ordered by their canonical text, which sorts chronologically,
        # they line up with the other engines' temporal ORDER BY.
        if kind in TEMPORAL_KEY_KINDS:
            return self.canonical(Render(kind=kind), expr)
        return super().key_select(expr, kind)

    def hash_hex(self, text_expr: str) -> str:
        return f"dvt_sha256({text_expr})"

    def round_float32(self, expr: str) -> str:
        return f"dvt_round32({expr})"

    def agg_sum(self, expr: str, kind: Kind, scale: int | None) -> str:
        if kind is Kind.FLOAT:
            return f"SUM({expr})"
        return f"dvt_sum({expr}, {'NULL' if scale is None else scale})"

    def agg_stddev(self, expr: str) -> str:
        return f"dvt_stddev({expr})"

    def agg_bit_xor(self, expr: str) -> str:
        return f"dvt_bit_xor({expr})"

    def hex_to_int48(self, hex_expr: str) -> str:
        return f"dvt_hex_int48({hex_expr})"


TABLES_SQL = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
)
