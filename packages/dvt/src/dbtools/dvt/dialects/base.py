"""SQL expression builders shared by every engine.

A dialect only supplies primitives (how to cast to text, trim, split, concatenate, hash) and the
few per-kind renderings that really differ (dates, binary, booleans); the canonical forms of
`canon.py` are composed here once from those primitives. Nothing in this package does I/O.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..canon import FALSE_WORDS, NULL_FRAME, SEPARATOR, TRUE_WORDS
from ..plan import Render
from ..types import TEXT_KINDS, Kind


class Dialect:
    name = "base"
    engine = "base"  # key into types._ENGINE_OVERRIDES

    # --- identifiers and literals -------------------------------------------------------
    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def table_ref(self, schema: str | None, table: str) -> str:
        return (self.quote(schema) + "." if schema else "") + self.quote(table)

    def string_literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def bytes_literal(self, raw: bytes) -> str:
        return "X'" + raw.hex() + "'"

    def literal(self, value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, Decimal)):
            return str(value)
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self.bytes_literal(bytes(value))
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return "TIMESTAMP " + self.string_literal(value.isoformat(sep=" "))
        if isinstance(value, dt.date):
            return "DATE " + self.string_literal(value.isoformat())
        return self.string_literal(str(value))

    # --- primitives -------------------------------------------------------------------
    def cast_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def cast_double(self, expr: str) -> str:
        return f"CAST({expr} AS DOUBLE PRECISION)"

    def to_int(self, expr: str) -> str:
        return f"CAST({expr} AS BIGINT)"

    def round_float32(self, expr: str) -> str:
        """The value rounded to the nearest 32-bit float."""
        return f"CAST({expr} AS REAL)"

    def concat(self, parts: list[str]) -> str:
        return "(" + " || ".join(parts) + ")"

    def char_length(self, expr: str) -> str:
        return f"LENGTH({expr})"

    def rtrim_chars(self, expr: str, chars: str) -> str:
        return f"RTRIM({expr}, {self.string_literal(chars)})"

    def ltrim_chars(self, expr: str, chars: str) -> str:
        return f"LTRIM({expr}, {self.string_literal(chars)})"

    def split_before(self, expr: str, sep: str) -> str:
        return f"SPLIT_PART({expr}, {self.string_literal(sep)}, 1)"

    def split_after(self, expr: str, sep: str) -> str:
        """The text after the first `sep`, or '' when there is none."""
        return f"SPLIT_PART({expr}, {self.string_literal(sep)}, 2)"

    def substr(self, expr: str, start: int, length: int | None = None) -> str:
        if length is None:
            return f"SUBSTR({expr}, {start})"
        return f"SUBSTR({expr}, {start}, {length})"

    def upper(self, expr: str) -> str:
        return f"UPPER({expr})"

    def hash_hex(self, text_expr: str) -> str:
        """Lower-case hex of SHA-256 over the UTF-8 bytes, first HASH_HEX_CHARS characters."""
        raise NotImplementedError

    # --- per-kind canonical text -------------------------------------------------------
    def text_of_string(self, expr: str) -> str:
        return expr

    def text_of_int(self, expr: str) -> str:
        return self.cast_text(expr)

    def text_of_bool(self, expr: str) -> str:
        return f"(CASE {expr} WHEN TRUE THEN '1' WHEN FALSE THEN '0' END)"

    def text_of_decimal(self, expr: str, scale: int | None) -> str:
        t = self.cast_text(expr)
        if scale == 0:
            return f"(CASE WHEN {expr} = 0 THEN '0' ELSE {t} END)"
        trimmed = self.rtrim_chars(self.rtrim_chars(t, "0"), ".")
        return f"(CASE WHEN {expr} = 0 THEN '0' WHEN {t} LIKE '%.%' THEN {trimmed} ELSE {t} END)"

    def float_specials(self, expr: str) -> list[tuple[str, str]]:
        """(condition, text) pairs for NaN and infinities, checked before the general rule."""
        return []

    def shortest_double_text(self, expr: str) -> str:
        """The engine's shortest round-trip text of a non-negative double."""
        return self.cast_text(expr)

    def text_of_float(self, expr: str) -> str:
        x = self.cast_double(expr)
        t = self.shortest_double_text(f"ABS({x})")
        mantissa = self.split_before(t, "e")
        exp_text = self.split_after(t, "e")
        ip = self.split_before(mantissa, ".")
        fp = self.split_after(mantissa, ".")
        digits = self.concat([ip, fp])
        stripped = self.ltrim_chars(digits, "0")
        sig = self.rtrim_chars(stripped, "0")
        exponent = (
            f"((CASE WHEN {exp_text} = '' THEN 0 ELSE {self.to_int(exp_text)} END)"
            f" + {self.char_length(ip)} - 1 - ({self.char_length(digits)} - {self.char_length(stripped)}))"
        )
        body = self.concat(
            [
                self.substr(sig, 1, 1),
                f"(CASE WHEN {self.char_length(sig)} > 1 THEN "
                + self.concat(["'.'", self.substr(sig, 2)])
                + " ELSE '' END)",
            ]
        )
        general = self.concat(
            [f"(CASE WHEN {x} < 0 THEN '-' ELSE '' END)", body, "'e'", self.cast_text(exponent)]
        )
        whens = "".join(
            f" WHEN {c} THEN {self.string_literal(v)}" for c, v in self.float_specials(x)
        )
        return f"(CASE{whens} WHEN {x} = 0 THEN '0' ELSE {general} END)"

    def text_of_date(self, expr: str) -> str:
        raise NotImplementedError

    def text_of_time(self, expr: str) -> str:
        raise NotImplementedError

    def text_of_timestamp(self, expr: str) -> str:
        raise NotImplementedError

    def text_of_timestamptz(self, expr: str) -> str:
        raise NotImplementedError

    def text_of_binary(self, expr: str) -> str:
        return f"LOWER(HEX({expr}))"

    def text_of_json(self, expr: str) -> str:
        """The document as text; it is canonicalized in Python (canon.json_text)."""
        return self.cast_text(expr)

    def text_of_uuid(self, expr: str) -> str:
        return f"LOWER({self.cast_text(expr)})"

    def geometry_wkb(self, expr: str) -> str:
        """A spatial column as WKB bytes."""
        return f"ST_AsBinary({expr})"

    def finish_source(self, render: Render, expr: str) -> str:
        """What is fetched for a value finished in Python (canon.FINISHERS)."""
        if render.finish == "wkb":
            return self.geometry_wkb(expr)
        if render.finish == "array_list":
            return expr  # the driver returns the array as a list
        if render.kind is Kind.JSON:
            return self.text_of_json(expr)
        if render.kind in TEXT_KINDS:
            return self.text_of_string(expr)
        return self.cast_text(expr)

    def base_text(self, render: Render, expr: str) -> str:
        kind = render.kind
        if render.float32 and kind in (Kind.INT, Kind.DECIMAL, Kind.BOOL, Kind.FLOAT):
            return self.text_of_float(self.round_float32(expr))
        if render.as_float and kind in (Kind.INT, Kind.DECIMAL, Kind.BOOL, Kind.FLOAT):
            return self.text_of_float(expr)
        if kind is Kind.INT:
            return self.text_of_int(expr)
        if kind is Kind.DECIMAL:
            return self.text_of_decimal(expr, render.scale)
        if kind is Kind.FLOAT:
            return self.text_of_float(expr)
        if kind in TEXT_KINDS:
            return self.text_of_string(expr)
        if kind is Kind.BOOL:
            return self.text_of_bool(expr)
        if kind is Kind.DATE:
            return self.text_of_date(expr)
        if kind is Kind.TIME:
            return self.text_of_time(expr)
        if kind is Kind.TIMESTAMP:
            return self.text_of_timestamp(expr)
        if kind is Kind.TIMESTAMPTZ:
            return self.text_of_timestamptz(expr)
        if kind is Kind.BINARY:
            return self.text_of_binary(expr)
        if kind is Kind.UUID:
            return self.text_of_uuid(expr)
        if kind is Kind.JSON:
            return self.text_of_json(expr)
        return self.cast_text(expr)

    def canonical(self, render: Render, expr: str) -> str:
        """SQL for the canonical text of a column (NULL stays NULL)."""
        if render.finish is not None:
            return self.finish_source(render, expr)
        t = self.base_text(render, expr)
        if render.rtrim:
            t = self.rtrim_chars(t, " ")
        if render.upper:
            t = self.upper(t)
        if render.boolmap:
            word = self.upper(t)
            trues = ", ".join(self.string_literal(w) for w in TRUE_WORDS)
            falses = ", ".join(self.string_literal(w) for w in FALSE_WORDS)
            t = f"(CASE WHEN {word} IN ({trues}) THEN '1' WHEN {word} IN ({falses}) THEN '0' ELSE {t} END)"
        return t

    def replace(self, expr: str, old: str, new: str) -> str:
        return f"REPLACE({expr}, {self.string_literal(old)}, {self.string_literal(new)})"

    def frame(self, text_expr: str, escaped: bool) -> str:
        """`text|` (text-like values escaped) or `\\N|` for NULL; see canon.frame."""
        if escaped:
            text_expr = self.replace(self.replace(text_expr, "\\", "\\\\"), "|", "\\|")
        framed = self.concat([text_expr, self.string_literal(SEPARATOR)])
        return f"COALESCE({framed}, {self.string_literal(NULL_FRAME)})"

    def row_text(self, canon_exprs: list[tuple[str, bool]]) -> str:
        if not canon_exprs:
            return "''"
        return self.concat([self.frame(e, esc) for e, esc in canon_exprs])

    def row_hash(self, canon_exprs: list[tuple[str, bool]]) -> str:
        return self.hash_hex(self.row_text(canon_exprs))

    def int_div(self, a: str, b: int | str) -> str:
        """Integer division of a non-negative integer expression."""
        return f"(({a}) / {b})"

    def hex_to_int48(self, hex_expr: str) -> str:
        """The first 12 hex digits (48 bits: 32768 of them still sum inside a signed 64-bit integer) of a hash as a non-negative integer (summed per block)."""
        raise NotImplementedError

    def trim_fraction(self, expr: str) -> str:
        """Drop trailing fractional zeros and a bare '.' (the text always has a '.')."""
        return self.rtrim_chars(self.rtrim_chars(expr, "0"), ".")

    # --- keys and ordering -------------------------------------------------------------
    def key_select(self, expr: str, kind: Kind) -> str:
        if kind is Kind.CHAR:
            return self.rtrim_chars(expr, " ")
        return expr

    def key_order(self, expr: str, kind: Kind) -> str:
        """An expression that sorts like Python sorts the fetched value (code point order)."""
        return self.key_select(expr, kind)

    # --- aggregates --------------------------------------------------------------------
    def agg_count_star(self) -> str:
        return "COUNT(*)"

    def agg_count(self, expr: str) -> str:
        return f"COUNT({expr})"

    def agg_count_distinct(self, expr: str, kind: Kind) -> str:
        return f"COUNT(DISTINCT {self.key_order(expr, kind)})"

    def agg_sum(self, expr: str, kind: Kind, scale: int | None) -> str:
        if kind is Kind.BOOL:
            return f"SUM(CASE WHEN {expr} THEN 1 ELSE 0 END)"
        if kind is Kind.FLOAT:
            # in double precision everywhere: PostgreSQL sums `real` in 32 bits
            return f"SUM({self.cast_double(expr)})"
        return f"SUM({expr})"

    def agg_minmax(self, func: str, expr: str, kind: Kind) -> str:
        if kind is Kind.BOOL:
            return f"{func}(CASE WHEN {expr} THEN 1 ELSE 0 END)"
        if kind is Kind.FLOAT:
            # widened exactly: MariaDB sends a FLOAT's MAX as 6-digit text (16777216 → 1.67772e7)
            return f"{func}({self.cast_double(expr)})"
        return f"{func}({self.key_order(expr, kind)})"

    def agg_bit_xor(self, expr: str) -> str:
        return f"BIT_XOR(CAST({expr} AS BIGINT))"

    def agg_stddev(self, expr: str) -> str:
        """Sample standard deviation, in double precision."""
        return f"STDDEV_SAMP({self.cast_double(expr)})"

    def limit_random(self, n: int) -> str:
        return f"ORDER BY RANDOM() LIMIT {n}"
