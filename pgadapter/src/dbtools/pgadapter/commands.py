"""The arguments of session commands (PREPARE, EXECUTE, DECLARE, CLOSE, SET, RESET, SHOW,
savepoints, DEALLOCATE, TRUNCATE), read once when the statement is classified.

Pure: each parser takes the statement's text and returns what its handler needs, or raises
the PostgreSQL syntax error the handler reports when the statement runs (`classify` keeps the
error with the statement, so a bad command fails at its turn in a batch, not before the
statements ahead of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import PgError
from .lexer import split_args, strip_comments

_NAME = r'("(?:[^"]|"")+"|\w+)'


def fold_name(token: str) -> str:
    """An SQL identifier as PostgreSQL folds it: quoted kept (quotes undone), else lower-cased."""
    if len(token) >= 2 and token[0] == token[-1] == '"':
        return token[1:-1].replace('""', '"')
    return token.lower()


@dataclass(frozen=True)
class Prepare:
    name: str
    type_oids: list[int]
    query: str  # the statement prepared (classified as Statement.inner)


@dataclass(frozen=True)
class Execute:
    name: str
    args: list[str]  # SQL expressions, one per parameter


@dataclass(frozen=True)
class Declare:
    name: str
    hold: bool  # WITH HOLD: survives its transaction
    scroll: bool  # SCROLL: may go backward
    query: str  # classified as Statement.inner


@dataclass(frozen=True)
class Close:
    name: str | None  # None: CLOSE ALL


class SetCommand:
    """SET in either of its forms."""


@dataclass(frozen=True)
class SetTransaction(SetCommand):
    session: bool  # SET SESSION CHARACTERISTICS AS TRANSACTION (else SET TRANSACTION)


@dataclass(frozen=True)
class SetParameter(SetCommand):
    name: str
    value: str | None  # None: DEFAULT
    local: bool = False  # SET LOCAL: until the transaction block ends


@dataclass(frozen=True)
class Reset:
    name: str | None  # None: RESET ALL


@dataclass(frozen=True)
class Show:
    name: str


@dataclass(frozen=True)
class SavepointName:
    name: str


@dataclass(frozen=True)
class Deallocate:
    name: str | None  # None: DEALLOCATE ALL or no name given
    all: bool


@dataclass(frozen=True)
class Truncate:
    tables: list[str]


_PREPARE = re.compile(rf"(?is)^\s*PREPARE\s+{_NAME}\s*(?:\((.*?)\))?\s*AS\s+(.*?)\s*;?\s*$")


def type_oid(name: str) -> int | None:
    """The OID of a type name as written in SQL (`bigint`, `varchar(20)`, `text[]`,
    `timestamp with time zone[]`), among the types Spanner columns can have."""
    from .pg_type import by_name
    from .types import ARRAY_ELEMENT, BY_OID

    plain = re.sub(r"\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\)", "", name.strip().lower())
    row = by_name(re.sub(r"\s+", " ", plain))
    if row is None or (row.oid not in BY_OID and row.oid not in ARRAY_ELEMENT):
        return None
    return row.oid


def parse_prepare(sql: str) -> Prepare:
    m = _PREPARE.match(strip_comments(sql))
    if not m:
        raise PgError("syntax error in PREPARE: PREPARE name [(types)] AS statement", "42601")
    oids = []
    for t in split_args(m.group(2) or ""):
        oid = type_oid(t)
        if oid is None:
            raise PgError(f'type "{t.strip()}" does not exist', "42704")
        oids.append(oid)
    return Prepare(fold_name(m.group(1)), oids, m.group(3))


_EXECUTE = re.compile(rf"(?is)^\s*EXECUTE\s+{_NAME}\s*(?:\((.*)\))?\s*;?\s*$")


def parse_execute(sql: str) -> Execute:
    m = _EXECUTE.match(strip_comments(sql))
    if not m:
        raise PgError("syntax error in EXECUTE: EXECUTE name [(values)]", "42601")
    return Execute(fold_name(m.group(1)), split_args(m.group(2) or ""))


_DECLARE = re.compile(rf"(?is)^\s*DECLARE\s+{_NAME}\s+(.*?)\bCURSOR\b(.*?)\bFOR\s+(.*?)\s*;?\s*$")


def parse_declare(sql: str) -> Declare:
    m = _DECLARE.match(strip_comments(sql))
    if not m:
        raise PgError("syntax error in DECLARE: DECLARE name CURSOR FOR query", "42601")
    hold = bool(re.search(r"(?i)\bWITH\s+HOLD\b", m.group(3)))
    # PostgreSQL lets a cursor declared without SCROLL go backward when its plan allows it
    # (and warns not to rely on that); here only SCROLL cursors keep their rows for it
    options = m.group(2).upper().split()
    scroll = "SCROLL" in options and "NO" not in options
    return Declare(fold_name(m.group(1)), hold, scroll, m.group(4))


_CLOSE = re.compile(rf"(?is)^\s*CLOSE\s+{_NAME}\s*;?\s*$")


def parse_close(sql: str) -> Close:
    m = _CLOSE.match(strip_comments(sql))
    if not m:
        raise PgError("syntax error in CLOSE: CLOSE name | ALL", "42601")
    name = fold_name(m.group(1))
    if name == "all" and not m.group(1).startswith('"'):
        return Close(None)
    return Close(name)


_SET = re.compile(
    r"(?is)^\s*SET\s+(?:SESSION\s+|(LOCAL)\s+)?(?:(TIME\s+ZONE)|(NAMES)|(\"?[\w.]+\"?)\s*(?:=|\bTO\b))\s*(.*?)\s*;?\s*$"
)


# SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE (Sequelize): a fixed offset east of UTC
_TZ_INTERVAL = re.compile(r"(?is)INTERVAL\s+'([+-]?\d{1,2}(?::\d{2})?)'(?:\s+HOUR\s+TO\s+MINUTE)?")


def _posix_offset(text: str) -> str:
    """'+05:30' → PostgreSQL's spelling of that zone, '<+05:30>-05:30' (POSIX signs are west)."""
    sign = "-" if text.startswith("-") else "+"
    hours, _, minutes = text.lstrip("+-").partition(":")
    hhmm = f"{int(hours):02d}:{int(minutes or 0):02d}"
    return f"<{sign}{hhmm}>{'+' if sign == '-' else '-'}{hhmm}"


def parse_set(sql: str, words: list[str]) -> SetCommand:
    if words[1:2] == ["TRANSACTION"] or words[1:3] == ["SESSION", "CHARACTERISTICS"]:
        return SetTransaction(session=words[1] != "TRANSACTION")
    m = _SET.match(sql)
    if not m:
        raise PgError(f"syntax error in SET statement: {sql.strip()[:80]}", "42601")
    local = m.group(1) is not None
    name = (
        "TimeZone" if m.group(2) else ("client_encoding" if m.group(3) else m.group(4).strip('"'))
    )
    raw = m.group(5).strip()
    if raw.upper() in ("DEFAULT", "LOCAL") or not raw:
        return SetParameter(name, None, local)
    interval = _TZ_INTERVAL.fullmatch(raw) if m.group(2) else None
    if interval:
        return SetParameter(name, _posix_offset(interval.group(1)), local)
    parts = [x.strip() for x in _split_commas(raw)]
    values = [
        x[1:-1].replace("''", "'") if len(x) >= 2 and x[0] == x[-1] == "'" else x for x in parts
    ]
    return SetParameter(name, ", ".join(values), local)


def _split_commas(s: str) -> list[str]:
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in s:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


def parse_reset(sql: str) -> Reset:
    m = re.match(r"(?is)\s*RESET\s+(.+?)\s*;?\s*$", sql)
    name = m.group(1).strip().strip('"') if m else ""
    return Reset(None if name.upper() == "ALL" else name)


def parse_show(sql: str) -> Show:
    m = re.match(r"(?is)\s*SHOW\s+(.+?)\s*;?\s*$", sql)
    return Show(m.group(1).strip().strip('"') if m else "")


_SAVEPOINT = re.compile(r'(?is)(?:SAVEPOINT|RELEASE|TO)\s+(?:SAVEPOINT\s+)?("[^"]+"|\w+)\s*;?\s*$')


def parse_savepoint(sql: str, words: list[str]) -> SavepointName:
    """SAVEPOINT s, RELEASE [SAVEPOINT] s, ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] s."""
    names = [w for w in words[1:] if w not in ("SAVEPOINT", "TO", "TRANSACTION")]
    m = _SAVEPOINT.search(sql)
    return SavepointName((m.group(1).strip('"') if m else (names[0] if names else "")).lower())


_DEALLOCATE = re.compile(r'(?is)DEALLOCATE\s+(?:PREPARE\s+)?("[^"]+"|\w+)')


def parse_deallocate(sql: str, words: list[str]) -> Deallocate:
    names = [w for w in words[1:] if w != "PREPARE"]
    if names[:1] == ["ALL"]:
        return Deallocate(None, all=True)
    m = _DEALLOCATE.search(sql)
    if not m:
        return Deallocate(None, all=False)
    name = m.group(1)
    return Deallocate(name[1:-1] if name.startswith('"') else name, all=False)


_TRUNCATE = re.compile(r"(?is)^\s*TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?(.*?)\s*;?\s*$")


def parse_truncate(sql: str) -> Truncate:
    """`TRUNCATE [TABLE] [ONLY] a, b [RESTART IDENTITY] [CASCADE]`."""
    m = _TRUNCATE.match(strip_comments(sql))
    body = m.group(1) if m else ""
    body = re.sub(r"(?i)\s+(RESTART|CONTINUE)\s+IDENTITY\b|\s+(CASCADE|RESTRICT)\s*$", "", body)
    tables = [t.strip() for t in body.split(",") if t.strip()]
    if not tables:
        raise PgError("syntax error in TRUNCATE: no table named", "42601")
    return Truncate(tables)


@dataclass(frozen=True)
class Partitioned:
    verb: str  # "RUN PARTITIONED QUERY", "PARTITION" or "RUN PARTITION"
    sql: str  # the query (RUN PARTITIONED QUERY, PARTITION) or the partition token


_PARTITIONED = re.compile(
    r"(?is)^\s*(RUN\s+PARTITIONED\s+QUERY|PARTITION|RUN\s+PARTITION)\s+(.*?)\s*;?\s*$"
)


def parse_partitioned(sql: str) -> Partitioned:
    """PGAdapter's partitioned query statements; RUN PARTITION takes a quoted token."""
    m = _PARTITIONED.match(strip_comments(sql))
    if not m or not m.group(2):
        raise PgError(f"syntax error in partitioned query statement: {sql.strip()[:80]}", "42601")
    verb = " ".join(m.group(1).upper().split())
    arg = m.group(2)
    if verb == "RUN PARTITION":
        if not (len(arg) >= 2 and arg[0] == arg[-1] == "'"):
            raise PgError(
                "RUN PARTITION takes a quoted partition token: RUN PARTITION 'token'", "42601"
            )
        arg = arg[1:-1].replace("''", "'")
    return Partitioned(verb, arg)
