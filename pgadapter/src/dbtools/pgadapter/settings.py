"""Values of the `spanner.*` session settings, parsed the way PGAdapter accepts them.

Pure functions: the connection calls them on SET (so a bad value fails the SET, not a later
query) and hands the parsed value to the backend.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .codecs import UTC, parse_timestamp
from .errors import PgError

DML_MODES = ("TRANSACTIONAL", "PARTITIONED_NON_ATOMIC")
PRIORITIES = {"HIGH": 3, "MEDIUM": 2, "LOW": 1, "UNSPECIFIED": 0, "NULL": 0, "": 0}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|ms|us|ns)\s*$", re.IGNORECASE)
_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def _invalid(name: str, value: str, hint: str) -> PgError:
    return PgError(f'invalid value for parameter "{name}": "{value}"', "22023", hint=hint)


_STALENESS_HINT = (
    "One of: STRONG, MIN_READ_TIMESTAMP <timestamp>, READ_TIMESTAMP <timestamp>, "
    "MAX_STALENESS <n>s|ms|us|ns, EXACT_STALENESS <n>s|ms|us|ns."
)


def parse_staleness(value: str) -> tuple[str, dict[str, Any]]:
    """`spanner.read_only_staleness` → (canonical text, keyword arguments of a Spanner snapshot)."""
    text = value.strip()
    mode, _, arg = text.partition(" ")
    mode = mode.upper()
    arg = arg.strip()
    name = "spanner.read_only_staleness"
    if mode == "STRONG" and not arg:
        return "STRONG", {}
    if mode in ("MIN_READ_TIMESTAMP", "READ_TIMESTAMP") and arg:
        try:
            ts = parse_timestamp(arg, UTC)
        except PgError:
            raise _invalid(name, value, _STALENESS_HINT) from None
        key = "min_read_timestamp" if mode.startswith("MIN") else "read_timestamp"
        return f"{mode} {arg}", {key: ts}
    if mode in ("MAX_STALENESS", "EXACT_STALENESS") and arg:
        m = _DURATION.match(arg)
        if not m:
            raise _invalid(name, value, _STALENESS_HINT)
        seconds = float(m.group(1)) * _UNIT[m.group(2).lower()]
        key = "max_staleness" if mode.startswith("MAX") else "exact_staleness"
        return f"{mode} {arg}", {key: dt.timedelta(seconds=seconds)}
    raise _invalid(name, value, _STALENESS_HINT)


def multi_use_staleness(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A read-only transaction (multi-use snapshot) can only have a fixed read time; bounded
    staleness applies to single reads, as in Spanner (and PGAdapter) -- strong then."""
    return {k: v for k, v in kwargs.items() if k in ("exact_staleness", "read_timestamp")}


def parse_priority(value: str) -> tuple[str, int]:
    text = value.strip().upper().removeprefix("PRIORITY_")
    if text not in PRIORITIES:
        raise _invalid("spanner.rpc_priority", value, "One of: HIGH, MEDIUM, LOW, NULL.")
    return text, PRIORITIES[text]


def parse_dml_mode(value: str) -> str:
    mode = value.strip().upper()
    if mode not in DML_MODES:
        raise _invalid("spanner.autocommit_dml_mode", value, "One of: " + ", ".join(DML_MODES))
    return mode
