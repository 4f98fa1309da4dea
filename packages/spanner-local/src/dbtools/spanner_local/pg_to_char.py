"""PostgreSQL's to_char(timestamptz, format) as DuckDB's strftime: the format translated once.

The value is formatted as the wall-clock time in the default time zone (as PostgreSQL formats it
in its session time zone). Template patterns strftime has no equivalent for (the blank-padded
`Month` and `Day`, upper-case names, TZ, OF) are refused by name, never printed differently.
Pure: no I/O.
"""

from __future__ import annotations

from .errors import InvalidArgument

# PostgreSQL template patterns -> strftime; longest first where one begins another.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("FMMonth", "%B"),
    ("FMDay", "%A"),
    ("HH24", "%H"),
    ("HH12", "%I"),
    ("YYYY", "%Y"),
    ("DDD", "%j"),
    ("Mon", "%b"),
    ("Dy", "%a"),
    ("HH", "%I"),
    ("MI", "%M"),
    ("SS", "%S"),
    ("MS", "%g"),
    ("US", "%f"),
    ("AM", "%p"),
    ("PM", "%p"),
    ("YY", "%y"),
    ("MM", "%m"),
    ("DD", "%d"),
)
# Patterns strftime cannot print as PostgreSQL does (blank-padded or upper-case names, zones):
# refused by name, checked before _PATTERNS (`Month` begins with `Mon`).
_REFUSED = (
    "Month",
    "MONTH",
    "month",
    "Day",
    "DAY",
    "day",
    "MON",
    "mon",
    "DY",
    "dy",
    "TZ",
    "tz",
    "OF",
)
# Patterns that show a fraction of a second (a value with nanoseconds is refused: they would
# be cut).
FRACTION_PATTERNS = frozenset({"MS", "US"})


def strftime_format(template: str) -> tuple[str, bool]:
    """(the strftime format for a to_char template, whether it shows a fraction of a second)."""
    out: list[str] = []
    fraction = False
    i = 0
    while i < len(template):
        if template[i] == '"':  # quoted text is copied as written
            end = template.find('"', i + 1)
            if end < 0:
                raise InvalidArgument(f"unterminated quoted string in to_char format: {template}")
            out.append(template[i + 1 : end].replace("%", "%%"))
            i = end + 1
            continue
        refused = next((p for p in _REFUSED if template.startswith(p, i)), None)
        if refused is not None:
            raise InvalidArgument(
                f'spanner-local\'s to_char does not support the template pattern "{refused}" '
                "(FMMonth, FMDay, Mon and Dy are supported)"
            )
        for pattern, directive in _PATTERNS:
            if template.startswith(pattern, i):
                out.append(directive)
                fraction = fraction or pattern in FRACTION_PATTERNS
                i += len(pattern)
                break
        else:
            char = template[i]
            if char.isalpha():
                raise InvalidArgument(
                    f"spanner-local's to_char does not support the template pattern at "
                    f'"{template[i:]}" (it supports {", ".join(p for p, _ in _PATTERNS)}, and '
                    'quoted text such as "T")'
                )
            out.append("%%" if char == "%" else char)
            i += 1
    return "".join(out), fraction
