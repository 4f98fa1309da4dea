"""PostgreSQL (and anything that speaks its SQL closely enough)."""

from __future__ import annotations

from ..types import Kind
from .base import Dialect

# Session settings the canonical forms rely on: shortest round-trip float text, UTC.
SESSION_SETUP = ("SET extra_float_digits = 1", "SET TIME ZONE 'UTC'", "SET DateStyle = ISO")

COLUMNS_SQL = """
SELECT a.attname,
       CASE WHEN t.typtype = 'e' THEN 'enum(' || format_type(a.atttypid, a.atttypmod) || ')'
            ELSE format_type(a.atttypid, a.atttypmod) END,
       NOT a.attnotnull
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

PRIMARY_KEY_SQL = """
SELECT a.attname
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = to_regclass(%s) AND i.indisprimary
ORDER BY array_position(i.indkey, a.attnum)
"""

ROW_ESTIMATE_SQL = "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(%s)"


class PostgresDialect(Dialect):
    name = "postgresql"
    engine = "postgresql"

    def bytes_literal(self, raw: bytes) -> str:
        return f"'\\x{raw.hex()}'::bytea"

    def cast_text(self, expr: str) -> str:
        return f"({expr})::text"

    def cast_double(self, expr: str) -> str:
        return f"({expr})::float8"

    def to_int(self, expr: str) -> str:
        return f"({expr})::bigint"

    def round_float32(self, expr: str) -> str:
        return f"({expr})::real"

    def char_length(self, expr: str) -> str:
        return f"char_length({expr})"

    def hash_hex(self, text_expr: str) -> str:
        return f"encode(substring(sha256(convert_to({text_expr}, 'UTF8')) from 1 for 16), 'hex')"

    def float_specials(self, expr: str) -> list[tuple[str, str]]:
        return [
            (f"{expr} = 'NaN'::float8", "nan"),
            (f"{expr} = 'Infinity'::float8", "inf"),
            (f"{expr} = '-Infinity'::float8", "-inf"),
        ]

    # ISO DateStyle output is already the canonical form (fraction without trailing zeros),
    # and much cheaper than to_char.
    def text_of_date(self, expr: str) -> str:
        return f"({expr})::text"

    def text_of_time(self, expr: str) -> str:
        return f"({expr})::time::text"

    def text_of_timestamp(self, expr: str) -> str:
        return f"({expr})::text"

    def text_of_timestamptz(self, expr: str) -> str:
        return f"(({expr}) AT TIME ZONE 'UTC')::text"

    def text_of_decimal(self, expr: str, scale: int | None) -> str:
        return f"trim_scale({expr})::text"

    def text_of_binary(self, expr: str) -> str:
        return f"encode({expr}, 'hex')"

    def key_order(self, expr: str, kind: Kind) -> str:
        selected = self.key_select(expr, kind)
        if kind in (Kind.STRING, Kind.CHAR):
            return f'({selected}) COLLATE "C"'
        return selected

    def agg_bit_xor(self, expr: str) -> str:
        return f"bit_xor(({expr})::bigint)"

    def hex_to_int48(self, hex_expr: str) -> str:
        return f"('x' || substr({hex_expr}, 1, 12))::bit(48)::bigint"


TABLES_SQL = """
SELECT table_schema || '.' || table_name FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_%%'
ORDER BY 1
"""
