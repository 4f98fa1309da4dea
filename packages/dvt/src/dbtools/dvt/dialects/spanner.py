"""Cloud Spanner, GoogleSQL and PostgreSQL dialects.

Checked against spanner-local (this repository's Spanner stand-in). Where spanner-local and
Cloud Spanner may spell a result differently (NUMERIC as text with or without trailing zeros),
the canonical rules absorb both.
"""

from __future__ import annotations

from ..types import Kind
from .base import Dialect
from .postgres import PostgresDialect

GSQL_COLUMNS_SQL = """
SELECT COLUMN_NAME, SPANNER_TYPE, IS_NULLABLE = 'YES'
FROM INFORMATION_SCHEMA.COLUMNS
WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table
ORDER BY ORDINAL_POSITION
"""

GSQL_PRIMARY_KEY_SQL = """
SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.INDEX_COLUMNS
WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table AND INDEX_TYPE = 'PRIMARY_KEY'
ORDER BY ORDINAL_POSITION
"""

HEX_DIGITS = "0123456789abcdef"

PG_COLUMNS_SQL = """
SELECT column_name, spanner_type, is_nullable = 'YES'
FROM information_schema.columns
WHERE table_schema = $1 AND table_name = $2
ORDER BY ordinal_position
"""

PG_PRIMARY_KEY_SQL = """
SELECT column_name FROM information_schema.index_columns
WHERE table_schema = $1 AND table_name = $2 AND index_type = 'PRIMARY_KEY'
ORDER BY ordinal_position
"""


class SpannerDialect(Dialect):
    """GoogleSQL."""

    name = "spanner"
    engine = "spanner"

    def quote(self, ident: str) -> str:
        return "`" + ident.replace("`", "\\`") + "`"

    def string_literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def bytes_literal(self, raw: bytes) -> str:
        return "FROM_HEX('" + raw.hex() + "')"

    def literal(self, value: object) -> str:
        import datetime as dt

        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return "TIMESTAMP " + self.string_literal(value.isoformat(sep=" ") + "+00")
        return super().literal(value)

    def cast_text(self, expr: str) -> str:
        return f"CAST({expr} AS STRING)"

    def cast_double(self, expr: str) -> str:
        return f"CAST({expr} AS FLOAT64)"

    def to_int(self, expr: str) -> str:
        return f"CAST({expr} AS INT64)"

    def round_float32(self, expr: str) -> str:
        return f"CAST({expr} AS FLOAT32)"

    def char_length(self, expr: str) -> str:
        return f"CHAR_LENGTH({expr})"

    def split_before(self, expr: str, sep: str) -> str:
        lit = self.string_literal(sep)
        return f"(CASE WHEN STRPOS({expr}, {lit}) > 0 THEN SUBSTR({expr}, 1, STRPOS({expr}, {lit}) - 1) ELSE {expr} END)"

    def split_after(self, expr: str, sep: str) -> str:
        lit = self.string_literal(sep)
        return f"(CASE WHEN STRPOS({expr}, {lit}) > 0 THEN SUBSTR({expr}, STRPOS({expr}, {lit}) + 1) ELSE '' END)"

    def hash_hex(self, text_expr: str) -> str:
        return f"SUBSTR(LOWER(TO_HEX(SHA256({text_expr}))), 1, 32)"

    def float_specials(self, expr: str) -> list[tuple[str, str]]:
        return [
            (f"IS_NAN({expr})", "nan"),
            (f"IS_INF({expr}) AND {expr} > 0", "inf"),
            (f"IS_INF({expr})", "-inf"),
        ]

    def text_of_date(self, expr: str) -> str:
        return self.cast_text(expr)

    def text_of_timestamp(self, expr: str) -> str:
        return self.trim_fraction(f"FORMAT_TIMESTAMP('%Y-%m-%d %H:%M:%E6S', {expr}, 'UTC')")

    def text_of_timestamptz(self, expr: str) -> str:
        return self.text_of_timestamp(expr)

    def text_of_json(self, expr: str) -> str:
        return f"TO_JSON_STRING({expr})"

    def text_of_binary(self, expr: str) -> str:
        return f"LOWER(TO_HEX({expr}))"

    def int_div(self, a: str, b: int | str) -> str:
        return f"DIV(({a}), {b})"  # parenthesised: spanner-local loses DIV's argument grouping

    def hex_to_int48(self, hex_expr: str) -> str:
        return f"CAST('0x' || SUBSTR({hex_expr}, 1, 12) AS INT64)"

    def agg_bit_xor(self, expr: str) -> str:
        return f"BIT_XOR(CAST({expr} AS INT64))"

    def limit_random(self, n: int) -> str:
        return f"ORDER BY RAND() LIMIT {n}"


class SpannerPgDialect(PostgresDialect):
    """Spanner's PostgreSQL interface: PostgreSQL SQL with Spanner's function set."""

    name = "spanner_pg"
    engine = "spanner"

    def literal(self, value: object) -> str:
        import datetime as dt

        # Spanner's PostgreSQL interface has timestamptz only: PostgreSQL's `TIMESTAMP '...'`
        # names timestamp without time zone, which it refuses
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return "timestamptz " + self.string_literal(value.isoformat(sep=" ") + "+00")
        return super().literal(value)

    def string_literal(self, text: str) -> str:
        # spanner-local's statement lexer rejects a backslash inside a PostgreSQL string
        # literal, so backslashes are spelled chr(92).
        if "\\" not in text:
            return super().string_literal(text)
        parts = [super(SpannerPgDialect, self).string_literal(p) for p in text.split("\\")]
        return "(" + " || chr(92) || ".join(parts) + ")"

    def text_of_decimal(self, expr: str, scale: int | None) -> str:
        return Dialect.text_of_decimal(self, expr, scale)

    def hash_hex(self, text_expr: str) -> str:
        # sha256 takes and returns bytea (as in PostgreSQL); convert_to gives the UTF-8 bytes
        # of any text, where a ::bytea cast would refuse non-ASCII. Verified on spanner-local.
        return f"substr(lower(spanner.to_hex(sha256(convert_to({text_expr}, 'UTF8')))), 1, 32)"

    def text_of_binary(self, expr: str) -> str:
        return f"lower(spanner.to_hex({expr}))"

    def text_of_timestamp(self, expr: str) -> str:
        return f"(({expr}) AT TIME ZONE 'UTC')::text"

    def key_order(self, expr: str, kind: Kind) -> str:
        # Spanner compares strings by their UTF-8 bytes already; it has no COLLATE.
        return self.key_select(expr, kind)

    def hex_to_int48(self, hex_expr: str) -> str:
        # Spanner's PostgreSQL interface has no bit type, so PostgreSQL's ('x' || h)::bit(48)
        # fails there; each hex digit's value is its position in HEX_DIGITS (strpos and substr
        # are documented), weighted by its power of 16. Integers are int8 there, so the sum
        # (below 2**48) cannot overflow. The digest is lower-case (hash_hex).
        return (
            "("
            + " + ".join(
                f"(strpos('{HEX_DIGITS}', substr({hex_expr}, {i + 1}, 1)) - 1) * {16 ** (11 - i)}"
                for i in range(12)
            )
            + ")"
        )


GSQL_TABLES_SQL = """
SELECT CASE WHEN TABLE_SCHEMA = '' THEN TABLE_NAME ELSE TABLE_SCHEMA || '.' || TABLE_NAME END
FROM INFORMATION_SCHEMA.TABLES
WHERE TABLE_SCHEMA NOT IN ('INFORMATION_SCHEMA', 'SPANNER_SYS') AND TABLE_TYPE = 'BASE TABLE'
ORDER BY 1
"""

PG_TABLES_SQL = """
SELECT CASE WHEN table_schema = 'public' THEN table_name
            ELSE table_schema || '.' || table_name END
FROM information_schema.tables
WHERE table_schema NOT IN ('information_schema', 'spanner_sys', 'pg_catalog')
  AND table_type = 'BASE TABLE'
ORDER BY 1
"""
