"""What a dump file is: which tool wrote it (from its first lines), and whether it is whole.

mysqldump and pg_dump each write a header and a completion line. A dump that lacks the
completion line was cut short (or not written by the tool), and a dump of the other engine (or
something that is not a SQL dump at all) must be refused before its statements are misread.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from .errors import SourceError

# The completion line each tool writes last (mysqldump: "-- Dump completed on <date>", or
# without the date under --skip-dump-date).
COMPLETION_MARKERS = {
    "mysql": b"-- Dump completed",
    "postgres": b"-- PostgreSQL database dump complete",
}
TOOLS = {"mysql": "mysqldump", "postgres": "pg_dump"}

# Signs of each engine in the first lines of a dump: (pattern, weight). A header written by the
# tool decides alone; the other signs add up.
_SIGNS: dict[str, list[tuple[re.Pattern[bytes], int]]] = {
    "mysql": [
        (re.compile(rb"^-- (?:MySQL|MariaDB) dump", re.M), 100),
        (re.compile(rb"/\*!\d{5}"), 5),
        (re.compile(rb"/\*M!\d{6}"), 5),
        (re.compile(rb"\bENGINE\s*=", re.I), 5),
        (re.compile(rb"\bAUTO_INCREMENT\b", re.I), 3),
        (re.compile(rb"CREATE TABLE\s+`", re.I), 5),
        (re.compile(rb"INSERT INTO\s+`", re.I), 5),
    ],
    "postgres": [
        (re.compile(rb"^-- PostgreSQL database dump", re.M), 100),
        (re.compile(rb"pg_catalog\.set_config"), 5),
        (re.compile(rb"^SET (?:statement_timeout|standard_conforming_strings)", re.M), 5),
        (re.compile(rb"\bCOPY\s+\S+.*\bFROM\s+stdin;", re.I), 5),
        (re.compile(rb"\bOWNER TO\b"), 3),
        (re.compile(rb"::(?:text|integer|regclass|character varying)\b"), 3),
        (re.compile(rb"\bCREATE (?:SEQUENCE|EXTENSION|SCHEMA)\b", re.I), 2),
    ],
}
_SQL_WORDS = re.compile(
    rb"\b(?:CREATE|INSERT|ALTER|SET|COPY|SELECT|DROP|COMMENT|GRANT|LOCK|BEGIN|COMMIT)\b", re.I
)
HEAD_BYTES = 64 * 1024


def looks_like(head: bytes) -> str | None:
    """The engine whose dump `head` (the first bytes of a file) most looks like, "binary" for
    data that is not SQL text, or None when nothing decides."""
    if not head.strip():
        return None
    if b"\0" in head:  # neither tool ever writes a raw NUL byte (both escape it)
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a dump in a legacy encoding has a few odd bytes; random data has them everywhere
        bad = sum(1 for b in head if b >= 0x80)
        if exc.start < len(head) - 4 and bad > len(head) // 4:
            return "binary"
    scores = {
        engine: sum(weight for pattern, weight in signs if pattern.search(head))
        for engine, signs in _SIGNS.items()
    }
    best = max(scores, key=lambda e: scores[e])
    if scores[best] == 0:
        return None if _SQL_WORDS.search(head) else "binary"
    others = [s for e, s in scores.items() if e != best]
    return best if scores[best] > 2 * max(others) else None


def describe(kind: str) -> str:
    return {"mysql": "a MySQL/MariaDB dump (mysqldump)", "postgres": "a PostgreSQL dump (pg_dump)"}[
        kind
    ]


def check_kind(engine: str, stream: Iterable[bytes], label: str = "the dump") -> Iterator[bytes]:
    """The bytes of `stream`, unchanged (first lines, then blocks), after a look at its first
    bytes: raises SourceError when they show a dump of the other engine or data that is not
    SQL text."""
    lines = iter(stream)
    head: list[bytes] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if size >= HEAD_BYTES:
            break
    kind = looks_like(b"".join(head))
    if kind == "binary":
        raise SourceError(
            f"{label} is binary data, not a SQL dump (it holds NUL bytes or mostly bytes that "
            f"are not text); give the plain-text output of {TOOLS[engine]}"
        )
    if kind is not None and kind != engine:
        raise SourceError(
            f"{label} looks like {describe(kind)}, not {describe(engine)} as --source "
            f"{engine} says; use --source {kind}"
        )
    read = getattr(stream, "read", None)
    if read is not None:  # the rest in blocks: the reader joins lines into blocks anyway
        return itertools.chain(head, iter(lambda: read(1 << 20), b""))
    return itertools.chain(head, lines)


def missing_marker_message(engine: str) -> str:
    marker = COMPLETION_MARKERS[engine].decode()
    return (
        f"the dump has no '{marker}' line, which {TOOLS[engine]} writes last: it was cut short "
        "(or not written by the tool), and tables and rows after the cut would be missing"
    )
