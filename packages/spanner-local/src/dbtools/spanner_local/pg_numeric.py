"""PostgreSQL-dialect numeric rules that need SQL rewriting: its text form, division and avg.

spanner-local keeps a PostgreSQL numeric in a DuckDB DECIMAL(38, 9), whose text form is padded
to nine fractional digits (`1.500000000`). PostgreSQL and Spanner print `1.5`, so a cast of a
numeric to text goes through `spanner_pg_numeric_text`, which prints the value as Spanner's
wire form does (see `codec.format_numeric`): no exponent, no padding zeros, `NaN` for NaN.
Other values are cast to text unchanged.

DuckDB divides DECIMALs (and averages them) in DOUBLE, which loses digits and gives a float8
where PostgreSQL gives a numeric. Every PostgreSQL `/` and `avg(...)` therefore goes through a
macro whose typed overloads let DuckDB's own binder pick the rule by the operands' types: a
numeric operand (and, for avg, a bigint one) is divided exactly by `divide` below, with
PostgreSQL's choice of result scale; anything else is divided as before.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable

from .codec import PG_NUMERIC_NAN, abbreviate_number
from .errors import InvalidArgument
from .lexer import Tok, tokenize
from .typemap import POSTGRESQL

# PostgreSQL spellings of a cast to text whose operand may be a numeric.
_TEXT_TYPES = frozenset({"text", "varchar"})

TEXT_MACRO = "spanner_pg_numeric_text"
STORE_MACRO = "spanner_pg_numeric_store"

DIV_MACRO = "spanner_pg_div"
AVG_MACRO = "spanner_pg_avg"
AVG_DISTINCT_MACRO = "spanner_pg_avg_distinct"
DIV_FUNCTION = "spanner_pg_numeric_div"

# A quotient is returned as DECIMAL(38, 20): PostgreSQL gives at least 16 significant digits,
# which this holds for quotients from 1e-4 up to 1e18; outside it a quotient that cannot be
# held exactly is refused.
QUOTIENT_SCALE = 20
QUOTIENT_TYPE = f"DECIMAL(38,{QUOTIENT_SCALE})"

# PostgreSQL's select_div_scale: at least NUMERIC_MIN_SIG_DIGITS significant digits, counted
# in base-10000 digits of DEC_DIGITS decimal digits, and no fewer than either input shows.
_MIN_SIG_DIGITS = 16
_DEC_DIGITS = 4
_MAX_DISPLAY_SCALE = 1000

# The translator writes `spanner_pg_div(a, b)` / `spanner_pg_avg(a)`; `expand_calls` turns
# them into the typed macros below, which take each operand twice: the typed copy only chooses
# the overload (DuckDB casts it, which could round), the untyped one is used. (A macro cannot
# call these itself: DuckDB cannot choose an overload for a macro's untyped parameters.)
_TYPED = {
    DIV_MACRO: "spanner_pg_div_typed",
    AVG_MACRO: "spanner_pg_avg_typed",
    AVG_DISTINCT_MACRO: "spanner_pg_avg_distinct_typed",
}

# Created in PostgreSQL-dialect databases (functions.register); persisted with the file.
MACROS = (
    # DECIMAL text without the padding of its type's scale; integers have no point to trim at
    "CREATE MACRO spanner_pg_decimal_text(s) AS CASE "
    f"WHEN s = '{PG_NUMERIC_NAN}' THEN 'NaN' "
    "WHEN contains(s, '.') THEN rtrim(rtrim(s, '0'), '.') ELSE s END",
    f"CREATE MACRO {TEXT_MACRO}(x) AS CASE WHEN typeof(x) LIKE 'DECIMAL(%' "
    "THEN spanner_pg_decimal_text(CAST(x AS VARCHAR)) ELSE CAST(x AS VARCHAR) END",
    # A value written to a numeric column (DECIMAL(38, 9)): DuckDB would round one with more
    # fractional digits (a quotient, a product); it is refused instead. Text is numeric input,
    # read by the column's cast.
    f"CREATE MACRO {STORE_MACRO}(a) AS CASE WHEN a IS NULL OR typeof(a) = 'VARCHAR' "
    "OR TRY_CAST(a AS DECIMAL(38,9)) = a THEN a ELSE error('numeric value ' "
    "|| CAST(a AS VARCHAR) || ' cannot be stored exactly by spanner-local, which keeps at most "
    "29 digits before and 9 after the decimal point') END",
    # The quotient of numerics, by the Python DIV_FUNCTION: exact, but it costs a Python
    # call per row (see README)
    "CREATE MACRO spanner_pg_quotient(a, b) AS "
    f"{DIV_FUNCTION}(CAST(a AS VARCHAR), CAST(b AS VARCHAR))",
    "CREATE MACRO spanner_pg_div_typed"
    "(x DECIMAL(38,9), y DECIMAL(38,9), a, b) AS spanner_pg_quotient(a, b), "
    # `/` is `//` in PostgreSQL-dialect connections (integer_division); DOUBLE // DOUBLE
    # divides as `/` does, so these keep what `/` did before
    "(x DOUBLE, y DOUBLE, a, b) AS a // b, (x BIGINT, y BIGINT, a, b) AS a // b, "
    "(x, y, a, b) AS a // b",
    # PostgreSQL's avg of numeric and of bigint is numeric: sum / count, divided exactly
    "CREATE MACRO spanner_pg_avg_of(s, n) AS spanner_pg_quotient(s, n)",
    "CREATE MACRO spanner_pg_avg_typed(x DECIMAL(38,9), a) AS spanner_pg_avg_of(sum(a), count(a)), "
    "(x BIGINT, a) AS spanner_pg_avg_of(sum(a), count(a)), "
    "(x DOUBLE, a) AS avg(a), (x, a) AS avg(a)",
    "CREATE MACRO spanner_pg_avg_distinct_typed"
    "(x DECIMAL(38,9), a) AS spanner_pg_avg_of(sum(DISTINCT a), count(DISTINCT a)), "
    "(x BIGINT, a) AS spanner_pg_avg_of(sum(DISTINCT a), count(DISTINCT a)), "
    "(x DOUBLE, a) AS avg(DISTINCT a), (x, a) AS avg(DISTINCT a)",
)


def _parts(text: str) -> tuple[int, int]:
    """DuckDB's text of a number -> (unscaled integer, scale): `-1.50` is (-150, 2)."""
    whole, _, fraction = text.partition(".")
    return int(whole + fraction), len(fraction)


def _min_scale(unscaled: int, scale: int) -> int:
    """The scale without trailing fractional zeros."""
    while scale and unscaled % 10 == 0:
        unscaled //= 10
        scale -= 1
    return scale if unscaled else 0


def _first_group(unscaled: int, scale: int) -> tuple[int, int]:
    """(weight, first digit) of a number in PostgreSQL's base-10000 digits; (0, 0) for zero."""
    if not unscaled:
        return 0, 0
    magnitude = abs(unscaled)
    adjusted = len(str(magnitude)) - 1 - scale  # 10^adjusted <= |number| < 10^(adjusted+1)
    weight = adjusted // _DEC_DIGITS
    shift = _DEC_DIGITS * weight - (-scale)  # first digit = |number| // 10^(4 * weight)
    first = magnitude // 10**shift if shift >= 0 else magnitude * 10**-shift
    return weight, first


def _div_scale(dividend: tuple[int, int], divisor: tuple[int, int], scales: int) -> int:
    weight1, first1 = _first_group(*dividend)
    weight2, first2 = _first_group(*divisor)
    qweight = weight1 - weight2 - (1 if first1 <= first2 else 0)
    rscale = max(_MIN_SIG_DIGITS - qweight * _DEC_DIGITS, scales, 0)
    return min(rscale, _MAX_DISPLAY_SCALE)


def _quotient(dividend: tuple[int, int], divisor: tuple[int, int], rscale: int) -> tuple[int, int]:
    """The quotient as an integer count of 10^-rscale, rounded half away from zero as
    PostgreSQL rounds, and the remainder that was rounded away (0: exact)."""
    (n1, e1), (n2, e2) = dividend, divisor
    # dividend / divisor * 10^rscale = n1 * 10^(rscale + e2 - e1) / n2
    shift = rscale + e2 - e1
    num, den = (n1 * 10**shift, n2) if shift >= 0 else (n1, n2 * 10**-shift)
    q, rem = divmod(abs(num), abs(den))
    rounded = q + (1 if 2 * rem >= abs(den) else 0)
    return (-rounded if (num < 0) != (den < 0) else rounded), rem


def divide(dividend_text: str, divisor_text: str) -> decimal.Decimal:
    """numeric / numeric as PostgreSQL computes it, from DuckDB's text of the two operands.

    The operands' display scales decide the result scale when the quotient is 10^8 or more.
    DuckDB's text shows its type's scale (9 for a stored numeric), an upper bound of the
    display scale PostgreSQL would keep; the value without trailing zeros gives a lower bound.
    When the two bounds give different quotients, the answer is not known: refused.
    """
    nan = str(PG_NUMERIC_NAN)
    if nan in (dividend_text, divisor_text):
        raise InvalidArgument("spanner-local cannot divide a numeric NaN")
    dividend, divisor = _parts(dividend_text), _parts(divisor_text)
    if not divisor[0]:
        raise InvalidArgument("division by zero")
    high = _div_scale(dividend, divisor, max(dividend[1], divisor[1]))
    low = _div_scale(dividend, divisor, max(_min_scale(*dividend), _min_scale(*divisor)))
    units, _ = _quotient(dividend, divisor, high)
    if low != high and _quotient(dividend, divisor, low)[1]:
        raise InvalidArgument(
            f"spanner-local cannot divide {abbreviate_number(dividend_text)} by "
            f"{abbreviate_number(divisor_text)} exactly: PostgreSQL rounds this quotient to "
            "the display scale of its operands, which spanner-local does not keep"
        )
    # as DECIMAL(38, QUOTIENT_SCALE): digits beyond its scale, or too many before the point,
    # cannot be held
    shift = QUOTIENT_SCALE - high
    held = units * 10**shift if shift >= 0 else units // 10**-shift
    if (shift < 0 and units % 10**-shift) or abs(held) >= 10**38:
        raise InvalidArgument(
            f"spanner-local cannot hold the quotient of {abbreviate_number(dividend_text)} and "
            f"{abbreviate_number(divisor_text)} exactly: it keeps quotients to at most "
            f"{38 - QUOTIENT_SCALE} digits before and {QUOTIENT_SCALE} after the decimal point"
        )
    # built from its digits: Decimal arithmetic would round to the context's 28 digits
    digits = tuple(int(d) for d in str(abs(held)))
    return decimal.Decimal((1 if held < 0 else 0, digits, -QUOTIENT_SCALE))


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


def is_numeric_cast(toks: list[Tok], at: int) -> bool:
    """Whether toks[at] is the `::` of `x::numeric` / `x::decimal` with an operand that is not
    a literal (literals are read exactly where they are lexed)."""
    if toks[at].text != "::" or at + 1 >= len(toks) or at == 0:
        return False
    name = toks[at + 1]
    following = toks[at + 2] if at + 2 < len(toks) else None
    return (
        name.kind == "word"
        and name.text.lower() in ("numeric", "decimal")
        and not (following is not None and following.text in ("(", "["))
        and toks[at - 1].kind not in ("num", "str")
    )


def cast_as_text_end(toks: list[Tok], at: int) -> int | None:
    """For `CAST(x AS text)` starting at toks[at]: the index of the `AS` before the type name,
    or None when the cast is to another type."""
    return _cast_as(toks, at, _TEXT_TYPES)


def numeric_cast_operand(toks: list[Tok], at: int) -> tuple[int, int] | None:
    """For `CAST(x AS numeric)` starting at toks[at]: the first and last token of `x`, unless
    it is a bare literal (read exactly where it is lexed); None for a cast to another type."""
    as_at = _cast_as(toks, at, frozenset({"numeric", "decimal"}))
    if as_at is None or as_at <= at + 2 or _plain_value(toks, at + 2, as_at - 1):
        return None
    return at + 2, as_at - 1


def _cast_as(toks: list[Tok], at: int, types: frozenset[str]) -> int | None:
    """For `CAST(x AS t)` starting at toks[at] with t one of `types` (no type modifier):
    the index of the `AS` before the type name, or None."""
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
                    and toks[k - 1].text.lower() in types
                ):
                    return k - 2
                return None
    return None


def avg_macro(toks: list[Tok], opening: int) -> tuple[str, int] | None:
    """For `avg(` with its `(` at toks[opening]: (the macro to call, tokens after the `(` to
    drop: a DISTINCT or ALL), or None for a window (`OVER`) or filtered (`FILTER`) avg, which
    a macro cannot take."""
    if not _plain_aggregate(toks, opening):
        return None
    quantifier = toks[opening + 1].upper if opening + 1 < len(toks) else ""
    if quantifier == "DISTINCT":
        return AVG_DISTINCT_MACRO, 1
    return AVG_MACRO, 1 if quantifier == "ALL" else 0


def _plain_aggregate(toks: list[Tok], opening: int) -> bool:
    depth = 0
    for k in range(opening, len(toks)):
        depth += {"(": 1, ")": -1}.get(toks[k].text, 0)
        if depth == 0:
            following = toks[k + 1].upper if k + 1 < len(toks) else ""
            return following not in ("OVER", "FILTER")
    return False


def expand_calls(sql: str) -> str:
    """Translated SQL with each `spanner_pg_div(a, b)` written `spanner_pg_div_typed(a, b, a,
    b)` and each `spanner_pg_avg(a)` written `spanner_pg_avg_typed(a, a)` (see MACROS)."""
    while True:
        toks = tokenize(sql, POSTGRESQL)
        at = next(
            (
                k
                for k, t in enumerate(toks[:-1])
                if t.kind == "word" and t.text in _TYPED and toks[k + 1].text == "("
            ),
            None,
        )
        if at is None:
            return sql
        depth, commas, close = 0, [], at + 1
        for close in range(at + 1, len(toks)):
            text = toks[close].text
            depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(text, 0)
            if depth == 1 and text == ",":
                commas.append(close)
            if depth == 0:
                break
        bounds = [at + 1, *commas, close]
        args = [sql[toks[a].end : toks[b].start] for a, b in itertools.pairwise(bounds)]
        call = f"{_TYPED[toks[at].text]}({', '.join(args + args)})"
        sql = sql[: toks[at].start] + call + sql[toks[close].end :]


def stored_expressions(
    toks: list[Tok], column_types: Callable[[str], dict[str, str]]
) -> frozenset[tuple[int, int]]:
    """(first, last) token of each expression an INSERT ... VALUES or UPDATE ... SET writes to
    a numeric column, other than a bare literal, NULL or DEFAULT (see STORE_MACRO)."""
    words = [t.upper for t in toks]
    spans: list[tuple[int, int, str]] = []  # (first, last, column)
    if words[:2] == ["INSERT", "INTO"] and len(toks) > 3:
        columns = column_types(toks[2].text)
        k, names = 3, list(columns)
        if toks[3].text == "(":
            names, k = [], 4
            while k < len(toks) and toks[k].text != ")":
                if toks[k].kind in ("word", "ident"):
                    names.append(toks[k].text.strip('"').lower())
                k += 1
            k += 1
        if k < len(toks) and words[k] == "VALUES":
            k += 1
            while k < len(toks) and toks[k].text == "(":
                items, k = _items(toks, k + 1, (")",))
                spans += [(a, b, names[n]) for n, (a, b) in enumerate(items) if n < len(names)]
                k += 1
                if k < len(toks) and toks[k].text == ",":
                    k += 1
        elif k < len(toks) and words[k] == "SELECT":
            k += 2 if k + 1 < len(toks) and words[k + 1] in ("ALL", "DISTINCT") else 1
            items, k = _items(toks, k, _SELECT_LIST_ENDS)
            items = [(a, b - 2 if b - 2 > a and words[b - 1] == "AS" else b) for a, b in items]
            spans += [(a, b, names[n]) for n, (a, b) in enumerate(items) if n < len(names)]
        else:
            return frozenset()
        # ON CONFLICT ... DO UPDATE SET column = expression, ...
        at = next(
            (j + 3 for j in range(k, len(toks) - 2) if words[j : j + 3] == ["DO", "UPDATE", "SET"]),
            None,
        )
        if at is not None:
            spans += _assignments(toks, at)
    elif words[:1] == ["UPDATE"] and "SET" in words:
        columns = column_types(toks[1].text)
        spans = _assignments(toks, words.index("SET") + 1)
    else:
        return frozenset()
    return frozenset(
        (first, last)
        for first, last, name in spans
        if columns.get(name) == "NUMERIC" and not _plain_value(toks, first, last)
    )


# What ends the select list of INSERT ... SELECT (ON: of ON CONFLICT, with no FROM).
_SELECT_LIST_ENDS = (
    "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "OFFSET", "UNION",
    "INTERSECT", "EXCEPT", "ON", "RETURNING",
)  # fmt: skip


def _assignments(toks: list[Tok], k: int) -> list[tuple[int, int, str]]:
    """(first, last, column) of each `column = expression` of a SET list starting at toks[k]."""
    spans = []
    while k + 2 < len(toks) and toks[k + 1].text == "=":
        name = toks[k].text.strip('"').lower()
        (first, last), *_ = _items(toks, k + 2, ("WHERE", "RETURNING", "FROM", ","))[0] or [(k, k)]
        spans.append((first, last, name))
        k = last + 1
        if k >= len(toks) or toks[k].text != ",":
            break
        k += 1
    return spans


def _items(
    toks: list[Tok], start: int, stops: tuple[str, ...]
) -> tuple[list[tuple[int, int]], int]:
    """The comma-separated expressions from toks[start] to the first depth-0 stop token (or
    the end): their (first, last) tokens, and the index of the stop."""
    items, depth, first, k = [], 0, start, start
    while k < len(toks):
        text = toks[k].text
        if depth == 0 and (text == "," or text in stops or toks[k].upper in stops):
            if k > first:
                items.append((first, k - 1))
            if text != "," or "," in stops:
                return items, k
            first = k + 1
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(text, 0)
        if depth < 0:
            break
        k += 1
    if k > first:
        items.append((first, k - 1))
    return items, k


def _plain_value(toks: list[Tok], first: int, last: int) -> bool:
    """A bare literal (checked where it is read), a signed number, NULL or DEFAULT."""
    if first == last:
        return toks[first].kind in ("num", "str") or toks[first].upper in ("NULL", "DEFAULT")
    return last == first + 1 and toks[first].text in ("-", "+") and toks[last].kind == "num"
