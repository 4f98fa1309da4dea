"""Interval parameters: PostgreSQL's interval input (text and binary) → Spanner's INTERVAL, an
ISO 8601 duration with one sign per field (`P1Y2M3DT-4H-5M-6.5S`).

A PostgreSQL interval is three independent fields, months, days and microseconds, and so is
Spanner's (months, days, nanoseconds): the conversion is exact. The text forms accepted are
PostgreSQL's (`interval_in`): the postgres style (`1 year 2 mons -3 days 04:05:06.5`, `@ ... ago`,
any unit spelling, fractions spread to smaller fields as PostgreSQL spreads them), the SQL
standard forms (`1-2`, `3 4:05:06`) and ISO 8601 with designators (`P1Y2M3DT4H5M6S`). ISO 8601's
alternative form (`P0001-02-03T04:05:06`) and infinite intervals are refused by name.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from .errors import PgError

_MICROS = 1_000_000
_I32 = (-(1 << 31), (1 << 31) - 1)
_I64 = (-(1 << 63), (1 << 63) - 1)
_BINARY = struct.Struct("!qii")  # microseconds, days, months


@dataclass(frozen=True)
class Interval:
    months: int
    days: int
    micros: int

    def iso(self) -> str:
        """Spanner's ISO 8601 text: years and months, days, then hours, minutes and seconds,
        each carrying its field's sign (PostgreSQL's fields are signed independently)."""
        date = ""
        years, months = int(self.months / 12), self.months - int(self.months / 12) * 12
        for value, unit in ((years, "Y"), (months, "M"), (self.days, "D")):
            if value:
                date += f"{value}{unit}"
        clock = ""
        sign = "-" if self.micros < 0 else ""
        secs, frac = divmod(abs(self.micros), _MICROS)
        hours, minutes, seconds = secs // 3600, secs // 60 % 60, secs % 60
        if hours:
            clock += f"{sign}{hours}H"
        if minutes:
            clock += f"{sign}{minutes}M"
        if seconds or frac:
            digits = f".{frac:06d}".rstrip("0") if frac else ""
            clock += f"{sign}{seconds}{digits}S"
        text = date + (f"T{clock}" if clock else "")
        return f"P{text}" if text else "P0D"


def _checked(months: int, days: int, micros: int, text: str) -> Interval:
    if not (
        _I32[0] <= months <= _I32[1] and _I32[0] <= days <= _I32[1] and _I64[0] <= micros <= _I64[1]
    ):
        raise PgError(f'interval field value out of range: "{text}"', "22015")
    return Interval(months, days, micros)


class _Fields:
    """The fields being summed, with PostgreSQL's rules for spreading a fraction of a unit to
    the smaller ones (DecodeInterval: AdjustFractDays, AdjustFractSeconds, rint)."""

    def __init__(self) -> None:
        self.months = 0
        self.days = 0
        self.micros = 0

    def seconds(self, frac: float, scale: int) -> None:
        secs = frac * scale
        whole = int(secs)
        self.micros += whole * _MICROS + round((secs - whole) * _MICROS)

    def days_of(self, frac: float, scale: int) -> None:
        days = frac * scale
        whole = int(days)
        self.days += whole
        self.seconds(days - whole, 86400)

    def add(self, whole: int, frac: float, unit: str) -> None:
        _UNITS[unit](self, whole, frac)


Adder = Callable[[_Fields, int, float], None]


def _years(n: int) -> Adder:
    def add(f: _Fields, whole: int, frac: float) -> None:
        f.months += whole * 12 * n + round(frac * 12 * n)

    return add


def _clock(scale: int) -> Adder:
    def add(f: _Fields, whole: int, frac: float) -> None:
        f.micros += whole * scale * _MICROS
        f.seconds(frac, scale)

    return add


def _sub_second(scale: int) -> Adder:
    def add(f: _Fields, whole: int, frac: float) -> None:
        f.micros += whole * scale + round(frac * scale)

    return add


def _weeks(f: _Fields, whole: int, frac: float) -> None:
    f.days += whole * 7
    f.days_of(frac, 7)


def _days(f: _Fields, whole: int, frac: float) -> None:
    f.days += whole
    f.seconds(frac, 86400)


def _months(f: _Fields, whole: int, frac: float) -> None:
    f.months += whole
    f.days_of(frac, 30)


_UNIT_ADDERS: dict[tuple[str, ...], Adder] = {
    ("microsecond", "microseconds", "us", "usec", "usecs", "useconds"): _sub_second(1),
    ("millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds"): _sub_second(1000),
    ("second", "seconds", "s", "sec", "secs"): _clock(1),
    ("minute", "minutes", "m", "min", "mins"): _clock(60),
    ("hour", "hours", "h", "hr", "hrs"): _clock(3600),
    ("day", "days", "d"): _days,
    ("week", "weeks", "w"): _weeks,
    ("month", "months", "mon", "mons"): _months,
    ("year", "years", "y", "yr", "yrs"): _years(1),
    ("decade", "decades", "dec", "decs"): _years(10),
    ("century", "centuries", "c", "cent"): _years(100),
    ("millennium", "millennia", "millenniums", "mil", "mils"): _years(1000),
}
_UNITS = {name: adder for names, adder in _UNIT_ADDERS.items() for name in names}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_TOKEN = re.compile(
    rf"(?P<time>[+-]?\d+:\d+(?::\d+(?:\.\d*)?)?)"
    rf"|(?P<ym>[+-]?\d+-\d+)"
    rf"|(?P<num>{_NUMBER})"
    r"|(?P<word>[a-z]+)"
    r"|(?P<sep>[\s,]+)"
)


def _split(number: str) -> tuple[int, float]:
    """'-1.5' → (-1, -0.5): the fraction keeps the number's sign and is read from its own
    digits (as PostgreSQL's strtod of the fractional part), not computed by subtraction."""
    sign = -1 if number.startswith("-") else 1
    whole, _, digits = number.lstrip("+-").partition(".")
    return sign * int(whole or "0"), sign * float("0." + (digits or "0"))


def _time(text: str, fields: _Fields) -> None:
    sign = -1 if text.startswith("-") else 1
    parts = text.lstrip("+-").split(":")
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = float(parts[2]) if len(parts) > 2 else 0.0
    whole = int(seconds)
    micros = (hours * 3600 + minutes * 60 + whole) * _MICROS + round((seconds - whole) * _MICROS)
    fields.micros += sign * micros


def _bad(text: str) -> PgError:
    return PgError(f'invalid input syntax for type interval: "{text}"', "22007")


def _parse_postgres(text: str, low: str) -> Interval:
    body = low.strip()
    if body.startswith("@"):
        body = body[1:]
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None:
            raise _bad(text)
        pos = m.end()
        if m.lastgroup != "sep":
            tokens.append((m.lastgroup or "", m.group()))
    if not tokens:
        raise _bad(text)
    ago = tokens[-1] == ("word", "ago")
    if ago:
        tokens.pop()
    fields = _Fields()
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if kind == "num" and nxt is not None and nxt[0] == "word":
            if nxt[1] not in _UNITS:
                raise _bad(text)
            fields.add(*_split(value), nxt[1])
            i += 2
        elif kind == "num" and nxt is not None and nxt[0] == "time":
            fields.add(*_split(value), "day")  # SQL standard `D H:M:S`
            i += 1
        elif kind == "num" and nxt is None:
            fields.add(*_split(value), "second")  # a bare number is seconds
            i += 1
        elif kind == "time":
            _time(value, fields)
            i += 1
        elif kind == "ym":
            sign = -1 if value.startswith("-") else 1
            years, months = value.lstrip("+-").split("-")
            fields.months += sign * (int(years) * 12 + int(months))
            i += 1
        else:
            raise _bad(text)
    sign = -1 if ago else 1
    return _checked(sign * fields.months, sign * fields.days, sign * fields.micros, text)


_ISO_DATE = re.compile(rf"({_NUMBER})([ymwd])")
_ISO_TIME = re.compile(rf"({_NUMBER})([hms])")
_ISO = re.compile(rf"p((?:{_NUMBER}[ymwd])*)(?:t((?:{_NUMBER}[hms])+))?")
_ISO_DATE_UNITS = {"y": "year", "m": "month", "w": "week", "d": "day"}
_ISO_TIME_UNITS = {"h": "hour", "m": "minute", "s": "second"}


def _parse_iso(text: str, low: str) -> Interval:
    body = low.strip()
    m = _ISO.fullmatch(body)
    if m is None or body in ("p", "pt"):
        if re.fullmatch(r"p[\d-]+(t[\d:.]+)?", body):
            raise PgError(
                "pgadapter does not accept ISO 8601's alternative interval format"
                f' ("{text}"): write it with designators, e.g. P1Y2M3DT4H5M6S',
                "0A000",
            )
        raise _bad(text)
    fields = _Fields()
    for number, unit in _ISO_DATE.findall(m.group(1) or ""):
        fields.add(*_split(number), _ISO_DATE_UNITS[unit])
    for number, unit in _ISO_TIME.findall(m.group(2) or ""):
        fields.add(*_split(number), _ISO_TIME_UNITS[unit])
    return _checked(fields.months, fields.days, fields.micros, text)


def parse_text(text: str) -> Interval:
    """PostgreSQL's interval input syntax → the interval."""
    low = text.strip().lower()
    if low in ("infinity", "+infinity", "-infinity"):
        raise PgError(f'interval "{text}" is infinite: Spanner has no infinite interval', "22008")
    if low.startswith("p"):
        return _parse_iso(text, low)
    return _parse_postgres(text, low)


def parse_binary(raw: bytes) -> Interval:
    """interval_send's 16 bytes: microseconds (int64), days (int32), months (int32)."""
    if len(raw) != _BINARY.size:
        raise PgError("incorrect binary data format in bind parameter of type interval", "22P03")
    micros, days, months = _BINARY.unpack(raw)
    if (months, days, micros) in ((_I32[1], _I32[1], _I64[1]), (_I32[0], _I32[0], _I64[0])):
        raise PgError("the interval is infinite: Spanner has no infinite interval", "22008")
    return Interval(months, days, micros)


def text_to_spanner(text: str) -> str:
    return parse_text(text).iso()


def binary_to_spanner(raw: bytes) -> str:
    return parse_binary(raw).iso()
