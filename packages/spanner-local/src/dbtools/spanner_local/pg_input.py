"""PostgreSQL's input functions for float8, float4, date and jsonb, within Spanner's ranges.

Pure functions from the text a PostgreSQL literal holds to the value it stands for, with
PostgreSQL's error messages where PostgreSQL refuses the text, and a message naming Spanner's
limit where PostgreSQL would accept a value Spanner cannot hold (infinite dates, year 10000).
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import math
import re
import struct

from .codec import normalize_json
from .errors import InvalidArgument

# C's isspace, which PostgreSQL's input functions skip around a value.
_SPACE = " \t\n\r\v\f"
# strtod's forms: decimal with an optional exponent, hexadecimal with an optional binary one.
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_HEX_FLOAT = re.compile(
    r"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)"
)
_SPECIAL_FLOATS = {
    "nan": math.nan,
    "+nan": math.nan,
    "-nan": math.nan,
    "inf": math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-inf": -math.inf,
    "-infinity": -math.inf,
}
_FLOAT_NAMES = {"float8": "double precision", "float4": "real"}


def _float_value(value: str, type_name: str) -> tuple[float, bool]:
    """(the double strtod reads, whether the text is a non-zero finite number)."""
    text = value.strip(_SPACE)
    special = _SPECIAL_FLOATS.get(text.lower())
    if special is not None:
        return special, False
    if _DECIMAL_FLOAT.fullmatch(text):
        return float(text), decimal.Decimal(text) != 0
    hexa = _HEX_FLOAT.fullmatch(text)
    if hexa:
        body = hexa.group(2)
        number = float.fromhex(hexa.group(1) + "0x" + body)
        return number, any(c not in "0.xX" for c in body.split("p")[0].split("P")[0])
    raise InvalidArgument(f'invalid input syntax for type {_FLOAT_NAMES[type_name]}: "{value}"')


def float8_input(value: str) -> float:
    """A double from PostgreSQL's float8 input text; overflow and underflow are errors."""
    try:
        number, nonzero = _float_value(value, "float8")
    except OverflowError:
        number, nonzero = math.inf, True
    if nonzero and (math.isinf(number) or number == 0):
        raise InvalidArgument(f'"{value}" is out of range for type double precision')
    return number


def float4_input(value: str) -> float:
    """A single-precision value (as the double it equals) from PostgreSQL's float4 input."""
    try:
        number, nonzero = _float_value(value, "float4")
    except OverflowError:
        number, nonzero = math.inf, True
    if math.isnan(number) or (math.isinf(number) and not nonzero):
        return number
    try:
        single = struct.unpack("f", struct.pack("f", number))[0]
    except OverflowError:
        single = math.inf
    if nonzero and (math.isinf(single) or single == 0):
        raise InvalidArgument(f'"{value}" is out of range for type real')
    return float(single)


# ------------------------------------------------------------------------ date

_MONTHS = {
    name.lower(): n
    for n in range(1, 13)
    for name in (calendar.month_name[n], calendar.month_abbr[n])
}
_MONTHS["sept"] = 9
# What may follow a date in date input: a time of day and a zone, which a date drops.
_TIME_TAIL = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[zZ]|UTC|[+-]\d{1,2}(?::?\d{2})?)?)?"
_MONTH = r"([A-Za-z]{3,9})\.?"
# The date styles PostgreSQL reads with its default DateStyle (ISO, MDY), as (pattern, the
# order of year, month and day in its groups).
_DATE_FORMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + _TIME_TAIL, re.IGNORECASE), order)
    for pattern, order in (
        (r"(\d{4,5})-(\d{1,2})-(\d{1,2})", "ymd"),  # 1999-01-08
        (r"(\d{4,5})[./](\d{1,2})[./](\d{1,2})", "ymd"),  # 1999.01.08, 1999/01/08
        (r"(\d{4})(\d{2})(\d{2})", "ymd"),  # 19990108
        (r"(\d{1,2})/(\d{1,2})/(\d{4,5})", "mdy"),  # 1/8/1999
        (_MONTH + r"\s+(\d{1,2}),?\s+(\d{4,5})", "mdy"),  # Jan 8 1999, January 8, 1999
        (r"(\d{1,2})[\s-]" + _MONTH + r"[\s-](\d{4,5})", "dmy"),  # 8 Jan 1999, 8-Jan-1999
        (r"(\d{4,5})-" + _MONTH + r"-(\d{1,2})", "ymd"),  # 1999-Jan-08
    )
)
_DATE_WORDS = {"epoch": dt.date(1970, 1, 1)}
# Words PostgreSQL reads as a date that Spanner's DATE cannot hold or spanner-local will not
# guess: infinite dates, and the ones that depend on the clock.
_REFUSED_DATE_WORDS = {
    "infinity": "Spanner's date has no infinity (dates range from 0001-01-01 to 9999-12-31)",
    "-infinity": "Spanner's date has no -infinity (dates range from 0001-01-01 to 9999-12-31)",
    "today": "spanner-local does not read the date 'today'; use CURRENT_DATE",
    "tomorrow": "spanner-local does not read the date 'tomorrow'; use CURRENT_DATE + 1",
    "yesterday": "spanner-local does not read the date 'yesterday'; use CURRENT_DATE - 1",
    "now": "spanner-local does not read the date 'now'; use CURRENT_DATE",
}


def _month(text: str) -> int | None:
    return int(text) if text.isdigit() else _MONTHS.get(text.lower())


def date_input(value: str) -> dt.date:
    """A date from PostgreSQL's date input text (ISO, MDY and month-name styles, a time of
    day after it ignored), within Spanner's 0001-01-01 to 9999-12-31."""
    text = value.strip(_SPACE)
    word = text.lower()
    if word in _DATE_WORDS:
        return _DATE_WORDS[word]
    if word in _REFUSED_DATE_WORDS:
        raise InvalidArgument(f'{_REFUSED_DATE_WORDS[word]}: "{value}"')
    for pattern, order in _DATE_FORMS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        parts = dict(zip(order, m.groups()[:3], strict=True))
        month = _month(parts["m"])
        if month is None:
            break
        year, day = int(parts["y"]), int(parts["d"])
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            raise InvalidArgument(f'date/time field value out of range: "{value}"')
        if year == 0 or year > 9999:
            raise InvalidArgument(
                f'date out of range: "{value}" (Spanner dates range from 0001-01-01 to 9999-12-31)'
            )
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise InvalidArgument(f'date/time field value out of range: "{value}"') from None
    raise InvalidArgument(f'invalid input syntax for type date: "{value}"')


# ------------------------------------------------------------------------ jsonb


def jsonb_input(value: str) -> str:
    """jsonb input text -> the normalised text Spanner stores: keys ordered by length then
    bytes, the last of duplicate keys kept, numbers written out without exponent."""
    try:
        return normalize_json(value, pg=True)
    except InvalidArgument:
        raise InvalidArgument("invalid input syntax for type json") from None
