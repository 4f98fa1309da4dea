"""SQLite: the canonical forms and the hash run as registered Python functions.

SQLite stores values by affinity (a DECIMAL column holds REALs, timestamps are text), so the
Python reference rules of `canon.py` are what makes its values comparable; they run inside
SQLite's own query loop through `create_function`.
"""

from __future__ import annotations

from ..plan import Render
from ..types import Kind
from .base import Dialect

COLUMNS_SQL = 'SELECT name, type, "notnull" = 0, pk FROM pragma_table_info(?, ?) ORDER BY cid'


def render_spec(render: Render) -> str:
    flags = [f for f in ("rtrim", "upper", "boolmap", "as_float") if getattr(render, f)]
    scale = "" if render.scale is None else str(render.scale)
    return f"{render.kind.value}|{scale}|{','.join(flags)}"


class SQLiteDialect(Dialect):
    name = "sqlite"
    engine = "sqlite"

    def cast_text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def canonical(self, render: Render, expr: str) -> str:
        return f"dvt_canon({self.string_literal(render_spec(render))}, {expr})"

    def hash_hex(self, text_expr: str) -> str:
        return f"dvt_sha256({text_expr})"

    def agg_sum(self, expr: str, kind: Kind, scale: int | None) -> str:
        if kind is Kind.FLOAT:
            return f"SUM({expr})"
        return f"dvt_sum({expr}, {'NULL' if scale is None else scale})"

    def agg_bit_xor(self, expr: str) -> str:
        return f"dvt_bit_xor({expr})"

    def hex_to_int48(self, hex_expr: str) -> str:
        return f"dvt_hex_int48({hex_expr})"
