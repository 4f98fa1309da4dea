"""MySQL and MariaDB."""

from __future__ import annotations

from ..types import Kind
from .base import Dialect

# one statement, one round trip
SESSION_SETUP = (
    "SET NAMES utf8mb4 COLLATE utf8mb4_bin, time_zone = '+00:00', "
    "SESSION group_concat_max_len = 1048576"
)

COLUMNS_SQL = """
SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES'
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s
ORDER BY ORDINAL_POSITION
"""

PRIMARY_KEY_SQL = """
SELECT COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY'
ORDER BY ORDINAL_POSITION
"""

ROW_ESTIMATE_SQL = """
SELECT TABLE_ROWS FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s
"""


class MySQLDialect(Dialect):
    name = "mysql"
    engine = "mysql"

    def quote(self, ident: str) -> str:
        return "`" + ident.replace("`", "``") + "`"

    def string_literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    def cast_text(self, expr: str) -> str:
        return f"CAST({expr} AS CHAR)"

    def cast_double(self, expr: str) -> str:
        return f"CAST({expr} AS DOUBLE)"

    def to_int(self, expr: str) -> str:
        return f"CAST({expr} AS SIGNED)"

    def round_float32(self, expr: str) -> str:
        return f"CAST({expr} AS FLOAT)"

    def concat(self, parts: list[str]) -> str:
        return "CONCAT(" + ", ".join(parts) + ")"

    def char_length(self, expr: str) -> str:
        return f"CHAR_LENGTH({expr})"

    def rtrim_chars(self, expr: str, chars: str) -> str:
        return f"TRIM(TRAILING {self.string_literal(chars)} FROM {expr})"

    def ltrim_chars(self, expr: str, chars: str) -> str:
        return f"TRIM(LEADING {self.string_literal(chars)} FROM {expr})"

    def split_before(self, expr: str, sep: str) -> str:
        return f"SUBSTRING_INDEX({expr}, {self.string_literal(sep)}, 1)"

    def split_after(self, expr: str, sep: str) -> str:
        lit = self.string_literal(sep)
        return f"(CASE WHEN LOCATE({lit}, {expr}) > 0 THEN SUBSTR({expr}, LOCATE({lit}, {expr}) + 1) ELSE '' END)"

    def hash_hex(self, text_expr: str) -> str:
        return f"LEFT(SHA2({text_expr}, 256), 32)"

    def text_of_string(self, expr: str) -> str:
        # One charset and one explicit collation, so CONCAT never mixes collations.
        return f"(CONVERT({expr} USING utf8mb4) COLLATE utf8mb4_bin)"

    def text_of_date(self, expr: str) -> str:
        return f"DATE_FORMAT({expr}, '%Y-%m-%d')"

    def text_of_time(self, expr: str) -> str:
        return self.trim_fraction(f"TIME_FORMAT({expr}, '%H:%i:%s.%f')")

    def text_of_timestamp(self, expr: str) -> str:
        return self.trim_fraction(f"DATE_FORMAT({expr}, '%Y-%m-%d %H:%i:%s.%f')")

    def text_of_timestamptz(self, expr: str) -> str:
        return self.text_of_timestamp(expr)

    def key_order(self, expr: str, kind: Kind) -> str:
        selected = self.key_select(expr, kind)
        if kind in (Kind.STRING, Kind.CHAR):
            return f"CAST({selected} AS BINARY)"
        return selected

    def agg_bit_xor(self, expr: str) -> str:
        return f"BIT_XOR({expr})"

    def limit_random(self, n: int) -> str:
        return f"ORDER BY RAND() LIMIT {n}"

    def int_div(self, a: str, b: int | str) -> str:
        return f"(({a}) DIV {b})"

    def hex_to_int48(self, hex_expr: str) -> str:
        return f"CAST(CONV(LEFT({hex_expr}, 12), 16, 10) AS UNSIGNED)"


TABLES_SQL = """
SELECT TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1
"""
