"""PostgreSQL-dialect numeric rules that need SQL rewriting: its text form.

spanner-local keeps a PostgreSQL numeric in a DuckDB DECIMAL(38, 9), whose text form is padded
to nine fractional digits (`1.500000000`). PostgreSQL and Spanner print `1.5`, so a cast of a
numeric to text goes through `spanner_pg_numeric_text`, which prints the value as Spanner's
wire form does (see `codec.format_numeric`): no exponent, no padding zeros, `NaN` for NaN.
Other values are cast to text unchanged.
"""

from __future__ import annotations

from .codec import PG_NUMERIC_NAN
from .lexer import Tok

# PostgreSQL spellings of a cast to text whose operand may be a numeric.
_TEXT_TYPES = frozenset({"text", "varchar"})

TEXT_MACRO = "spanner_pg_numeric_text"

# Created in PostgreSQL-dialect databases (functions.register); persisted with the file.
MACROS = (
    # DECIMAL text without the padding of its type's scale; integers have no point to trim at
    "CREATE MACRO spanner_pg_decimal_text(s) AS CASE "
    f"WHEN s = '{PG_NUMERIC_NAN}' THEN 'NaN' "
    "WHEN contains(s, '.') THEN rtrim(rtrim(s, '0'), '.') ELSE s END",
    f"CREATE MACRO {TEXT_MACRO}(x) AS CASE WHEN typeof(x) LIKE 'DECIMAL(%' "
    "THEN spanner_pg_decimal_text(CAST(x AS VARCHAR)) ELSE CAST(x AS VARCHAR) END",
)


def is_text_cast(toks: list[Tok], at: int) -> bool:
    """Whether toks[at] is the `::` of `x::text` / `x::varchar` (not `varchar(n)`, whose
    length PostgreSQL applies to the text, nor the array type `text[]`)."""
    if toks[at].text != "::" or at + 1 >= len(toks):
        return False
    name = toks[at + 1]
    following = toks[at + 2] if at + 2 < len(toks) else None
    return (
        name.kind == "word"
        and name.text.lower() in _TEXT_TYPES
        and not (following is not None and following.text in ("(", "["))
    )


def cast_as_text_end(toks: list[Tok], at: int) -> int | None:
    """For `CAST(x AS text)` starting at toks[at]: the index of the `AS` before the type name,
    or None when the cast is to another type."""
    if toks[at].upper != "CAST" or at + 1 >= len(toks) or toks[at + 1].text != "(":
        return None
    depth = 0
    for k in range(at + 1, len(toks)):
        text = toks[k].text
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
            if depth == 0:
                if (
                    k >= 2
                    and toks[k - 2].upper == "AS"
                    and toks[k - 1].kind == "word"
                    and toks[k - 1].text.lower() in _TEXT_TYPES
                ):
                    return k - 2
                return None
    return None
