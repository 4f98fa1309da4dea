"""Interval text output in each IntervalStyle the proxy honours, as PostgreSQL 15 prints it
(EncodeInterval): postgres, postgres_verbose and iso_8601.

An interval is (months, days, microseconds). PostgreSQL splits it into fields the same way for
every style: years and months from the months, hours, minutes, seconds and the fraction from the
microseconds, each division truncated toward zero so every time field carries the sign of the
microseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class _Fields(NamedTuple):
    years: int
    mons: int
    days: int
    hours: int
    mins: int
    secs: int
    frac: int  # microseconds below the second, signed like secs


def _trunc_divmod(n: int, d: int) -> tuple[int, int]:
    """divmod truncated toward zero, as C's / and % (Python's floor toward minus infinity)."""
    q = abs(n) // d
    q = -q if n < 0 else q
    return q, n - q * d


def _fields(months: int, days: int, micros: int) -> _Fields:
    years, mons = _trunc_divmod(months, 12)
    hours, rest = _trunc_divmod(micros, 3_600_000_000)
    mins, rest = _trunc_divmod(rest, 60_000_000)
    secs, frac = _trunc_divmod(rest, 1_000_000)
    return _Fields(years, mons, days, hours, mins, secs, frac)


def _seconds(f: _Fields, *, pad: bool) -> str:
    """|seconds| with the fraction's significant digits (AppendSeconds)."""
    whole = f"{abs(f.secs):02d}" if pad else str(abs(f.secs))
    return whole + (f".{abs(f.frac):06d}".rstrip("0") if f.frac else "")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def postgres(months: int, days: int, micros: int) -> str:
    """'1 year 2 mons -3 days +04:05:06.5': a field after a negative one shows its sign even
    when positive; the clock is printed when non-zero or alone."""
    f = _fields(months, days, micros)
    parts = []
    after_negative = False
    for n, unit in ((f.years, "year"), (f.mons, "mon"), (f.days, "day")):
        if n:
            parts.append(("+" if after_negative and n > 0 else "") + _plural(n, unit))
            after_negative = n < 0
    if micros or not parts:
        sign = "-" if micros < 0 else ("+" if after_negative else "")
        parts.append(f"{sign}{abs(f.hours):02d}:{abs(f.mins):02d}:{_seconds(f, pad=True)}")
    return " ".join(parts)


def iso_8601(months: int, days: int, micros: int) -> str:
    """'P1Y2M-3DT4H5M6.5S': each non-zero field with its own sign; zero is 'PT0S'."""
    f = _fields(months, days, micros)
    if not (months or days or micros):
        return "PT0S"
    out = "P" + "".join(f"{n}{u}" for n, u in ((f.years, "Y"), (f.mons, "M"), (f.days, "D")) if n)
    if micros:
        out += "T" + "".join(f"{n}{u}" for n, u in ((f.hours, "H"), (f.mins, "M")) if n)
        if f.secs or f.frac:
            out += ("-" if micros < 0 else "") + _seconds(f, pad=False) + "S"
    return out


def postgres_verbose(months: int, days: int, micros: int) -> str:
    """'@ 1 year 2 mons -3 days 4 hours 5 mins 6.5 secs': the first non-zero field's sign
    becomes a trailing 'ago' and the signs of the later fields are printed relative to it."""
    f = _fields(months, days, micros)
    out = "@"
    first: int | None = None  # the sign of the first non-zero field: -1 for "ago"
    for n, unit in ((f.years, "year"), (f.mons, "mon"), (f.days, "day"), (f.hours, "hour"),
                    (f.mins, "min")):  # fmt: skip
        if not n:
            continue
        if first is None:
            first = -1 if n < 0 else 1
        shown = n * first
        out += f" {shown} {unit}" + ("" if shown == 1 else "s")
    if f.secs or f.frac:
        negative = f.secs < 0 or (f.secs == 0 and f.frac < 0)
        if first is None:
            first = -1 if negative else 1
        sign = "-" if negative != (first < 0) else ""
        plural = "" if abs(f.secs) == 1 and not f.frac else "s"
        out += f" {sign}{_seconds(f, pad=False)} sec{plural}"
    if first is None:
        return "@ 0"
    return out + (" ago" if first < 0 else "")


# IntervalStyle → printer; sql_standard is not here: its input sign rule is not implemented
STYLES: dict[str, Callable[[int, int, int], str]] = {
    "postgres": postgres,
    "postgres_verbose": postgres_verbose,
    "iso_8601": iso_8601,
}
