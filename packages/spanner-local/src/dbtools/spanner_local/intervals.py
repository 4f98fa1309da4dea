"""INTERVAL values sent to spanner-local (parameters and mutations): Spanner's ISO 8601 duration
text (`P1Y2M-3DT4H5M6.5S`, each field signed) → the interval DuckDB binds.

Spanner keeps an interval as months, days and nanoseconds, each within its own range; DuckDB
keeps months, days and microseconds. A value is refused, not rounded, when it has digits below
the microsecond (spanner-local cannot keep them) or leaves Spanner's range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidArgument
from .lexer import tokenize
from .typemap import POSTGRESQL, SType

# Spanner's INTERVAL range: ±10,000 years, as months, days and nanoseconds
MAX_MONTHS = 120_000
MAX_DAYS = 3_660_000
MAX_NANOS = 316_224_000_000_000_000_000

_NUM = r"[+-]?\d+"
_ISO = re.compile(
    rf"P(?:({_NUM})Y)?(?:({_NUM})M)?(?:({_NUM})W)?(?:({_NUM})D)?"
    rf"(?:T(?:({_NUM})H)?(?:({_NUM})M)?(?:([+-]?\d+(?:[.,]\d{{1,9}})?)S)?)?"
)
_NANOS_PER = {"H": 3600 * 10**9, "M": 60 * 10**9}


@dataclass(frozen=True)
class Interval:
    months: int
    days: int
    nanos: int

    def duckdb(self) -> str:
        """DuckDB's interval input: the three fields, each with its own sign."""
        micros, rest = divmod(abs(self.nanos), 1000)
        if rest:
            raise InvalidArgument(
                f"spanner-local keeps intervals to the microsecond; {self.nanos} nanoseconds"
                " cannot be stored exactly"
            )
        sign = -1 if self.nanos < 0 else 1
        return f"{self.months} months {self.days} days {sign * micros} microseconds"


def _seconds_nanos(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("+-").replace(",", ".").partition(".")
    return sign * (int(whole) * 10**9 + int((frac + "000000000")[:9]))


def parse_iso(text: str) -> Interval:
    """Spanner's interval text → the interval, in Spanner's range, or InvalidArgument."""
    m = _ISO.fullmatch(text.strip())
    if m is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise InvalidArgument(f"Invalid INTERVAL value: {text!r}")
    years, months, weeks, days, hours, minutes, seconds = m.groups()
    total_months = int(years or 0) * 12 + int(months or 0)
    total_days = int(weeks or 0) * 7 + int(days or 0)
    nanos = int(hours or 0) * _NANOS_PER["H"] + int(minutes or 0) * _NANOS_PER["M"]
    nanos += _seconds_nanos(seconds) if seconds else 0
    if abs(total_months) > MAX_MONTHS or abs(total_days) > MAX_DAYS or abs(nanos) > MAX_NANOS:
        raise InvalidArgument(f"INTERVAL value out of range: {text!r}")
    return Interval(total_months, total_days, nanos)


def duckdb_value(text: str) -> str:
    """A request's INTERVAL value (its string form) → the text DuckDB casts to INTERVAL."""
    return parse_iso(text).duckdb()


def is_interval(stype: SType) -> bool:
    """INTERVAL, or ARRAY<INTERVAL>."""
    return stype.code == "INTERVAL" or (
        stype.element is not None and stype.element.code == "INTERVAL"
    )


def typed_params(sql: str, types: dict[str, SType]) -> str:
    """The PostgreSQL statement with each INTERVAL parameter cast to interval where it is used.

    The translation to DuckDB sees only the text; Spanner types a parameter from its declared
    type, so `ts + $1` is timestamptz + interval when $1 is an INTERVAL. Writing the cast lets
    the translation pick the timestamp arithmetic it picks for `ts + $1::interval`."""
    wanted = {
        key[1:]: "interval[]" if t.element is not None else "interval"
        for key, t in types.items()
        if key[:1] == "p" and key[1:].isdigit() and is_interval(t)
    }
    if not wanted:
        return sql
    toks = tokenize(sql, POSTGRESQL)
    out, pos = [], 0
    for k, tok in enumerate(toks[:-1]):
        if tok.kind != "num" or k == 0 or toks[k - 1].text != "$" or tok.text not in wanted:
            continue
        following = toks[k + 1 : k + 3]
        if [t.text.lower() for t in following] == ["::", "interval"]:
            continue  # already cast
        out.append(sql[pos : tok.end] + "::" + wanted[tok.text])
        pos = tok.end
    return "".join(out) + sql[pos:]
