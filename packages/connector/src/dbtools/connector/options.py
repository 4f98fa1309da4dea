"""Option values, as enums that also accept their (case-insensitive) string names."""

from __future__ import annotations

import enum
from typing import TypeVar

from .errors import ConfigurationError

_C = TypeVar("_C", bound="_Choice")


class _Choice(str, enum.Enum):
    @classmethod
    def parse(cls: type[_C], value: object) -> _C:
        if isinstance(value, cls):
            return value
        text = str(value).strip().upper().replace("-", "_")
        for member in cls:
            if text in (member.name, member.value.upper()):
                return member
        names = ", ".join(m.name.lower() for m in cls)
        raise ConfigurationError(f"{value!r} is not a valid {cls.__name__}: use one of {names}")


class IPType(_Choice):
    """Which of the instance's addresses to dial."""

    PUBLIC = "PRIMARY"  # the Admin API calls the public address PRIMARY
    PRIVATE = "PRIVATE"
    PSC = "PSC"
    AUTO = "AUTO"  # public when the instance has one, else private, else PSC

    # AUTO's order of preference
    @classmethod
    def auto_order(cls) -> tuple[IPType, ...]:
        return (cls.PUBLIC, cls.PRIVATE, cls.PSC)


class RefreshStrategy(_Choice):
    """BACKGROUND refreshes ahead of expiry in a task; LAZY only when a connect needs it
    (for serverless platforms where CPU is throttled between requests)."""

    BACKGROUND = "BACKGROUND"
    LAZY = "LAZY"
