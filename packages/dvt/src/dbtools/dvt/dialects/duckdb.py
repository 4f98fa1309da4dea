"""DuckDB."""

from __future__ import annotations

from .base import Dialect

SESSION_SETUP = ("SET TimeZone = 'UTC'",)

COLUMNS_SQL = """
SELECT column_name, data_type, is_nullable = 'YES'
FROM information_schema.columns
WHERE table_schema = COALESCE(?, current_schema()) AND table_name = ?
ORDER BY ordinal_position
"""

PRIMARY_KEY_SQL = """
SELECT constraint_column_names
FROM duckdb_constraints()
WHERE schema_name = COALESCE(?, current_schema()) AND table_name = ?
  AND constraint_type = 'PRIMARY KEY'
"""


class DuckDBDialect(Dialect):
    name = "duckdb"
    engine = "duckdb"

    def bytes_literal(self, raw: bytes) -> str:
        return f"from_hex('{raw.hex()}')"

    def cast_double(self, expr: str) -> str:
        return f"CAST({expr} AS DOUBLE)"

    def round_float32(self, expr: str) -> str:
        return f"CAST({expr} AS FLOAT)"

    def hash_hex(self, text_expr: str) -> str:
        return f"left(sha256({text_expr}), 32)"

    def float_specials(self, expr: str) -> list[tuple[str, str]]:
        return [
            (f"isnan({expr})", "nan"),
            (f"isinf({expr}) AND {expr} > 0", "inf"),
            (f"isinf({expr})", "-inf"),
        ]

    def text_of_date(self, expr: str) -> str:
        return f"strftime({expr}, '%Y-%m-%d')"

    def text_of_time(self, expr: str) -> str:
        return self.trim_fraction(f"strftime(DATE '2000-01-01' + {expr}, '%H:%M:%S.%f')")

    def text_of_timestamp(self, expr: str) -> str:
        return self.trim_fraction(f"strftime(CAST({expr} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')")

    def text_of_timestamptz(self, expr: str) -> str:
        return self.trim_fraction(f"strftime(timezone('UTC', {expr}), '%Y-%m-%d %H:%M:%S.%f')")

    def int_div(self, a: str, b: int | str) -> str:
        return f"(({a}) // {b})"

    def hex_to_int48(self, hex_expr: str) -> str:
        return f"CAST('0x' || left({hex_expr}, 12) AS BIGINT)"


TABLES_SQL = """
SELECT CASE WHEN table_schema = current_schema() THEN table_name
            ELSE table_schema || '.' || table_name END
FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_catalog = current_database() ORDER BY 1
"""
