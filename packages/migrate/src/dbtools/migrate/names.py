"""Legal, unique Spanner identifiers.

Spanner identifiers are `[A-Za-z][A-Za-z0-9_]*`, at most 128 characters, compared
case-insensitively; tables, indexes, foreign keys and check constraints share one namespace.
Reserved words of the target dialect are renamed too (suffix `_`) so that the schema can be
queried without quoting by every tool downstream.
"""

from __future__ import annotations

import re

MAX_LEN = 128

GOOGLESQL_RESERVED = frozenset(
    """ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE CAST COLLATE CONTAINS
    CREATE CROSS CUBE CURRENT DEFAULT DEFINE DESC DISTINCT ELSE END ENUM ESCAPE EXCEPT EXCLUDE
    EXISTS EXTRACT FALSE FETCH FOLLOWING FOR FROM FULL GROUP GROUPING GROUPS HASH HAVING IF
    IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT LOOKUP MERGE NATURAL
    NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION PRECEDING PROTO RANGE RECURSIVE
    RESPECT RIGHT ROLLUP ROWS SELECT SET SOME STRUCT TABLESAMPLE THEN TO TREAT TRUE UNBOUNDED
    UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN""".split()
)
POSTGRESQL_RESERVED = frozenset(
    """ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC AUTHORIZATION BINARY BOTH CASE CAST
    CHECK COLLATE COLLATION COLUMN CONCURRENTLY CONSTRAINT CREATE CROSS CURRENT_CATALOG
    CURRENT_DATE CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEFAULT
    DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FREEZE FROM FULL GRANT
    GROUP HAVING ILIKE IN INITIALLY INNER INTERSECT INTO IS ISNULL JOIN LATERAL LEADING LEFT LIKE
    LIMIT LOCALTIME LOCALTIMESTAMP NATURAL NOT NOTNULL NULL OFFSET ON ONLY OR ORDER OUTER
    OVERLAPS PLACING PRIMARY REFERENCES RETURNING RIGHT SELECT SESSION_USER SIMILAR SOME
    SYMMETRIC TABLE TABLESAMPLE THEN TO TRAILING TRUE UNION UNIQUE USER USING VARIADIC VERBOSE
    WHEN WHERE WINDOW WITH""".split()
)
RESERVED = {"google_standard_sql": GOOGLESQL_RESERVED, "postgresql": POSTGRESQL_RESERVED}

_ILLEGAL = re.compile(r"[^A-Za-z0-9_]")


def legalize(name: str) -> str:
    out = _ILLEGAL.sub("_", name)
    if not out or not out[0].isalpha():
        out = "x" + out
    return out[:MAX_LEN]


class Namespace:
    """Case-insensitive set of names; `claim` returns a legal, unused name and why it changed."""

    def __init__(self, dialect: str) -> None:
        self.used: set[str] = set()
        self.next_suffix: dict[str, int] = {}  # avoids rescanning _2, _3, ... for common names
        self.reserved = RESERVED[dialect]

    def claim(self, wanted: str, *, check_reserved: bool = True) -> tuple[str, str | None]:
        reason: str | None = None
        name = legalize(wanted)
        if name != wanted:
            reason = (
                "name_too_long"
                if len(wanted) > MAX_LEN and _ILLEGAL.search(wanted) is None
                else "illegal_name"
            )
        if check_reserved and name.upper() in self.reserved:
            name += "_"
            reason = reason or "reserved_name"
        if name.lower() in self.used:
            base = name[: MAX_LEN - 8]
            n = self.next_suffix.get(base.lower(), 2)
            while f"{base}_{n}".lower() in self.used:
                n += 1
            self.next_suffix[base.lower()] = n + 1
            name = f"{base}_{n}"
            reason = reason or "name_clash"
        self.used.add(name.lower())
        return name, reason

    def reserve(self, name: str) -> None:
        self.used.add(name.lower())
