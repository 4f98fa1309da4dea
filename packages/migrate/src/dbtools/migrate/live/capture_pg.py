"""PostgreSQL: a logical replication slot created with an exported snapshot, and the changes
decoded after it by the built-in test_decoding plugin, read through psycopg2's replication
connection (psycopg 3 has no replication protocol).

test_decoding prints each change as text in the server's output formats (the same text as
COPY and pg_dump, which migrate's converters read); `parse_change` turns a line into a
`changes` record.
"""

from __future__ import annotations

import contextlib
import re
import select
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .changes import Commit, Event, Idle, RowChange, Truncate
from .positions import Lsn

PLUGIN = "test_decoding"
_OPTIONS = {"include-xids": "0", "include-timestamp": "1", "skip-empty-xacts": "1"}
_TABLE = re.compile(
    r"^table (?P<name>.+?): (?P<op>INSERT|UPDATE|DELETE|TRUNCATE): ?(?P<rest>.*)$", re.S
)
_COMMIT_AT = re.compile(r"\(at (?P<ts>.+)\)$")
UNCHANGED_TOAST = object()  # a value test_decoding leaves out: unchanged and stored out of line


class DecodeError(ValueError):
    pass


def _dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {
        "host": u.host or "127.0.0.1",
        "port": str(u.port or 5432),
        "user": u.username or "postgres",
        "dbname": u.database or "postgres",
        "connect_timeout": "10",
    }
    if u.password:
        parts["password"] = u.password
    return " ".join(f"{k}='{v}'" for k, v in parts.items())


def _connect(url: str, replication: bool = False) -> Any:
    import psycopg2
    import psycopg2.extras

    factory = psycopg2.extras.LogicalReplicationConnection if replication else None
    conn = psycopg2.connect(_dsn(url), connection_factory=factory)
    if not replication:
        conn.autocommit = True
    return conn


def slot_name(stream_name: str) -> str:
    return "dbtools_" + re.sub(r"[^a-z0-9_]", "_", stream_name.lower())[:50]


# (setting, test, what to change)
REQUIRED_SETTINGS: list[tuple[str, Callable[[str], bool], str]] = [
    ("wal_level", lambda v: v == "logical", "set wal_level = logical (a server restart)"),
    ("max_replication_slots", lambda v: int(v) > 0, "set max_replication_slots to 1 or more"),
    ("max_wal_senders", lambda v: int(v) > 0, "set max_wal_senders to 1 or more"),
]


def check_settings(url: str) -> list[str]:
    conn = _connect(url)
    problems = []
    try:
        with conn.cursor() as cur:
            for name, ok, fix in REQUIRED_SETTINGS:
                cur.execute("SELECT current_setting(%s)", (name,))
                value = cur.fetchone()[0]
                if not ok(value):
                    problems.append(f"{name} is {value}: {fix}")
            cur.execute(
                "SELECT rolreplication OR rolsuper, current_user FROM pg_roles "
                "WHERE rolname = current_user"
            )
            allowed, who = cur.fetchone()
            if not allowed:
                problems.append(f"role {who} may not replicate: ALTER ROLE {who} REPLICATION")
            cur.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND c.relreplident = 'n' "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            )
            for nsp, rel in cur.fetchall():
                problems.append(
                    f"table {nsp}.{rel} has REPLICA IDENTITY NOTHING (its deletes carry no key): "
                    f"ALTER TABLE {nsp}.{rel} REPLICA IDENTITY DEFAULT"
                )
    finally:
        conn.close()
    if not problems:
        try:
            _connect(url, replication=True).close()
        except Exception as exc:
            problems.append(
                f"a replication connection is refused ({str(exc).strip()}): allow it in "
                "pg_hba.conf (a 'replication' line for this user and host)"
            )
    return problems


def head_position(url: str) -> str:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_current_wal_flush_lsn()::text")
            return Lsn.parse(cur.fetchone()[0]).text()
    finally:
        conn.close()


@contextlib.contextmanager
def snapshot(conn: Any, url: str, stream_name: str) -> Iterator[tuple[str, str]]:
    """Create the slot (replacing one left by an interrupted start) with an exported snapshot,
    and make `conn` (SQLAlchemy) read in it; yields (the slot's start LSN, the slot name).
    The snapshot lives as long as the replication connection that exported it: until the
    backfill is done."""
    from sqlalchemy import text

    slot = slot_name(stream_name)
    drop_slot(url, slot)
    repl = _connect(url, replication=True)
    try:
        cur = repl.cursor()
        cur.execute(f"CREATE_REPLICATION_SLOT {slot} LOGICAL {PLUGIN} EXPORT_SNAPSHOT")
        _name, consistent_point, snapshot_name, _plugin = cur.fetchone()
        conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot_name}'"))
        yield Lsn.parse(consistent_point).text(), slot
    finally:
        repl.close()


def drop_slot(url: str, slot: str) -> None:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = %s",
                (slot,),
            )
    finally:
        conn.close()


def stream(
    url: str,
    position: str,
    stop: threading.Event,
    stream_name: str,
    acked: Callable[[], str | None],
    heartbeat: float = 0.5,
) -> Iterator[Event]:
    """Changes after `position` from the stream's slot until `stop`; `acked()` is the position
    the target has committed, confirmed to the server so that it may recycle the WAL."""
    import psycopg2.extras

    slot = slot_name(stream_name)
    conn = _connect(url, replication=True)
    cur = conn.cursor()
    start = Lsn.parse(position)
    cur.start_replication(
        slot_name=slot, decode=True, start_lsn=start.value, options=_OPTIONS, status_interval=1
    )
    in_txn = False
    last = position
    confirmed = None
    try:
        while not stop.is_set():
            msg = cur.read_message()
            done = acked()
            if done is not None and done != confirmed:
                cur.send_feedback(flush_lsn=Lsn.parse(done).value)
                confirmed = done
            if msg is None:
                # ask for a keepalive now: it carries the server's current end of WAL, which is
                # how far an idle stream may move its position (the server sends one on its
                # own only every wal_sender_timeout / 2)
                cur.send_feedback(reply=True, force=True)
                select.select([cur], [], [], heartbeat)
                if not in_txn and cur.wal_end and Lsn(cur.wal_end) > Lsn.parse(last):
                    last = Lsn(cur.wal_end).text()  # nothing of ours before the server's end
                yield Idle(None if in_txn else last)
                continue
            assert isinstance(msg, psycopg2.extras.ReplicationMessage)
            payload = msg.payload
            if payload.startswith("BEGIN"):
                in_txn = True
            elif payload.startswith("COMMIT"):
                in_txn = False
                last = Lsn(max(msg.data_start, Lsn.parse(last).value)).text()
                m = _COMMIT_AT.search(payload)
                yield Commit(last, _epoch(m.group("ts")) if m else 0.0)
            else:
                yield from parse(payload)
    finally:
        conn.close()


def _epoch(text: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(text).timestamp()


def _source_name(qualified: str) -> str:
    nsp, _, rel = _split_name(qualified)
    return rel if nsp == "public" else f"{nsp}.{rel}"


def _split_name(qualified: str) -> tuple[str, str, str]:
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', qualified)
    names = [a.replace('""', '"') if a else b for a, b in parts]
    if len(names) != 2:
        raise DecodeError(f"table name {qualified!r} is not schema.table")
    return names[0], ".", names[1]


def parse(line: str) -> list[RowChange | Truncate]:
    """One test_decoding line -> its records (a TRUNCATE of several tables is one line)."""
    m = _TABLE.match(line)
    if m is not None and m.group("op") == "TRUNCATE":
        names = re.findall(
            r'(?:"(?:[^"]|"")*"|[^,."\s]+)\.(?:"(?:[^"]|"")*"|[^,."\s]+)', m.group("name")
        )
        if not names:
            raise DecodeError(f"a TRUNCATE names no table: {line[:200]!r}")
        return [Truncate(_source_name(n)) for n in names]
    return [parse_change(line)]


def parse_change(line: str) -> RowChange | Truncate:
    """One test_decoding change line -> a record (values as the server's text forms)."""
    m = _TABLE.match(line)
    if m is None:
        raise DecodeError(f"not a test_decoding change: {line[:200]!r}")
    table = _source_name(m.group("name"))
    op, rest = m.group("op"), m.group("rest")
    if op == "TRUNCATE":
        return Truncate(table)
    if op == "INSERT":
        return RowChange(table, "insert", None, _columns(rest))
    if op == "DELETE":
        if rest.startswith("(no-tuple-data)"):
            raise DecodeError(f"a delete on {table} carries no key (REPLICA IDENTITY NOTHING)")
        return RowChange(table, "delete", _columns(rest), None)
    before = None
    if rest.startswith("old-key: "):
        old, sep, new = rest[len("old-key: ") :].partition(" new-tuple: ")
        if not sep:
            raise DecodeError(f"an update without its new tuple: {line[:200]!r}")
        before, rest = _columns(old), new
    elif rest.startswith("new-tuple: "):
        rest = rest[len("new-tuple: ") :]
    after = _columns(rest)
    toasted = [k for k, v in after.items() if v is UNCHANGED_TOAST]
    for k in toasted:
        if before is None or before.get(k, UNCHANGED_TOAST) is UNCHANGED_TOAST:
            raise DecodeError(
                f"an update on {table} leaves out column {k} (unchanged, stored out of line); "
                f"ALTER TABLE {m.group('name')} REPLICA IDENTITY FULL so that the old row carries it"
            )
        after[k] = before[k]
    return RowChange(table, "update", before, after)


def _columns(text: str) -> dict[str, Any]:
    """`name[type]:value ...` -> {name: value text or None}."""
    out: dict[str, Any] = {}
    i, n = 0, len(text)
    while i < n:
        if text[i] == " ":
            i += 1
            continue
        if text[i] == '"':  # a quoted identifier
            j = i + 1
            while True:
                j = text.index('"', j)
                if j + 1 < n and text[j + 1] == '"':
                    j += 2
                    continue
                break
            name = text[i + 1 : j].replace('""', '"')
            i = j + 1
        else:
            j = text.index("[", i)
            name = text[i:j]
            i = j
        if text[i] != "[":
            raise DecodeError(f"column {name!r} has no type in {text[:200]!r}")
        j = text.index("]:", i)
        i = j + 2
        if text.startswith("null", i) and (i + 4 == n or text[i + 4] == " "):
            out[name] = None
            i += 4
        elif text.startswith("unchanged-toast-datum", i):
            out[name] = UNCHANGED_TOAST
            i += len("unchanged-toast-datum")
        elif text[i] == "'":
            j = i + 1
            buf = []
            while True:
                k = text.index("'", j)
                buf.append(text[j:k])
                if k + 1 < n and text[k + 1] == "'":
                    buf.append("'")
                    j = k + 2
                    continue
                i = k + 1
                break
            out[name] = "".join(buf)
        else:
            j = text.find(" ", i)
            j = n if j < 0 else j
            out[name] = text[i:j]
            i = j
    return out
