"""PostgreSQL: a publication of the migrated tables, a logical replication slot created with an
exported snapshot, and the changes after it from the built-in pgoutput plugin, read through
psycopg2's replication connection (psycopg 3 has no replication protocol).

pgoutput sends only the publication's tables, and describes each table (a Relation message)
before its first change and after any change of its definition: comparing that with the
columns of the snapshot is how a DDL change stops the stream, a type change included.
`pgoutput` decodes the messages; this module turns them into `changes` records.
"""

from __future__ import annotations

import contextlib
import re
import select
import threading
from collections.abc import Callable, Iterator
from typing import Any

from . import schema_watch
from .changes import Commit, Event, Idle, RowChange, SchemaChange, Truncate
from .pgoutput import (
    UNCHANGED_TOAST,
    Begin,
    Change,
    CommitMsg,
    DecodeError,
    Relation,
    Shape,
    TruncateMsg,
    decode,
    relation_diff,
)
from .positions import Lsn

PLUGIN = "pgoutput"
ACTIONS = ("insert", "update", "delete", "truncate")  # what the publication must publish


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


def publication_name(stream_name: str, publication: str | None) -> str:
    """The user's publication, or the one the tool manages for this stream (named as its slot)."""
    return publication or slot_name(stream_name)


def _split(source_name: str) -> tuple[str, str]:
    """A plan's source table name -> (schema, table): migrate names a table outside `public`
    schema.table."""
    nsp, sep, rel = source_name.partition(".")
    return (nsp, rel) if sep else ("public", source_name)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(source_name: str) -> str:
    return ".".join(_ident(part) for part in _split(source_name))


def _source_name(nsp: str, rel: str) -> str:
    return rel if nsp == "public" else f"{nsp}.{rel}"


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


# per migrated table: its kind, owner check, replica identity and the columns it carries
_TABLES_SQL = """
SELECT c.relkind, pg_has_role(c.relowner, 'USAGE'), c.relreplident,
       ARRAY(SELECT a.attname FROM pg_index i JOIN pg_attribute a
             ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = c.oid AND i.indisprimary),
       ARRAY(SELECT a.attname FROM pg_index i JOIN pg_attribute a
             ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = c.oid AND i.indisreplident)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s
"""
_IDENTITY = {"d": "its primary key", "i": "its replica identity index", "n": "nothing"}


def check_tables(url: str, tables: dict[str, list[str]], publication: str | None) -> list[str]:
    """What keeps the tables {source name: Spanner key's source columns} from being followed:
    old rows that would not carry the key, and a publication (the user's, or the rights to
    create one) that does not cover them."""
    conn = _connect(url)
    problems: list[str] = []
    try:
        with conn.cursor() as cur:
            partitioned, not_owned = [], []
            for name, key in tables.items():
                cur.execute(_TABLES_SQL, _split(name))
                row = cur.fetchone()
                if row is None:
                    problems.append(f"table {name} is not in the source")
                    continue
                kind, owned, ident, pkey, ident_index = row
                if kind == "p":
                    partitioned.append(name)
                if not owned:
                    not_owned.append(name)
                carried = {"d": pkey, "i": ident_index, "n": []}.get(ident)
                if carried is None or set(key) <= set(carried):
                    continue  # FULL: the whole old row
                what = _IDENTITY[ident] + (f" ({', '.join(carried)})" if carried else "")
                why = (
                    "no primary key, so the application's UPDATE and DELETE fail once it is "
                    "published"
                    if ident == "d" and not pkey
                    else f"deletes and key changes carry {what}"
                )
                problems.append(
                    f"table {name}: {why}, not the Spanner key ({', '.join(key)}): "
                    f"ALTER TABLE {_qualified(name)} REPLICA IDENTITY FULL"
                )
            if publication is None:
                cur.execute("SELECT has_database_privilege(current_database(), 'CREATE')")
                if not_owned or not cur.fetchone()[0]:
                    what = (
                        f"does not own {', '.join(not_owned)}"
                        if not_owned
                        else "may not create in this database"
                    )
                    problems.append(
                        f"this role {what}, so it cannot create the publication: create one "
                        "as the tables' owner (CREATE PUBLICATION p FOR TABLE ... WITH "
                        "(publish_via_partition_root = true)) and pass --publication p"
                    )
            else:
                problems += _check_publication(cur, publication, list(tables), partitioned)
    finally:
        conn.close()
    return problems


def _check_publication(
    cur: Any, publication: str, tables: list[str], partitioned: list[str]
) -> list[str]:
    cur.execute(
        "SELECT pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot FROM pg_publication "
        "WHERE pubname = %s",
        (publication,),
    )
    row = cur.fetchone()
    if row is None:
        return [f"publication {publication} does not exist (CREATE PUBLICATION, or leave out "
                "--publication and the tool creates one)"]  # fmt: skip
    problems = []
    missing = [a for a, on in zip(ACTIONS, row[:4], strict=True) if not on]
    if missing:
        problems.append(
            f"publication {publication} does not publish {', '.join(missing)}: ALTER "
            f"PUBLICATION {_ident(publication)} SET (publish = '{', '.join(ACTIONS)}')"
        )
    if partitioned and not row[4]:
        problems.append(
            f"publication {publication} reports partitions under their own names, and "
            f"{', '.join(partitioned)} are partitioned: ALTER PUBLICATION {_ident(publication)} "
            "SET (publish_via_partition_root = true)"
        )
    cur.execute(
        "SELECT schemaname, tablename, rowfilter IS NOT NULL, attnames FROM pg_publication_tables "
        "WHERE pubname = %s",
        (publication,),
    )
    published = {_source_name(r[0], r[1]): r for r in cur.fetchall()}
    absent = [t for t in tables if t not in published]
    if absent:
        problems.append(
            f"publication {publication} lacks {', '.join(absent)}: ALTER PUBLICATION "
            f"{_ident(publication)} ADD TABLE {', '.join(_qualified(t) for t in absent)}"
        )
    for t in tables:
        if t in published and published[t][2]:
            problems.append(f"publication {publication} filters the rows of {t} (a WHERE): "
                            "every row must be published")  # fmt: skip
        if t in published:
            cur.execute(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                "AND NOT attisdropped AND attgenerated = ''",
                (_qualified(t),),
            )
            if len(published[t][3]) != cur.fetchone()[0]:
                problems.append(f"publication {publication} leaves columns of {t} out (a "
                                "column list): every column must be published")  # fmt: skip
    return problems


def head_position(url: str) -> str:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_current_wal_flush_lsn()::text")
            return Lsn.parse(cur.fetchone()[0]).text()
    finally:
        conn.close()


def catalog(url: str, tables: list[str]) -> dict[str, schema_watch.Definition]:
    """The tables' definitions now (read at the snapshot, kept in the checkpoint)."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            return schema_watch.read(cur, tables)
    finally:
        conn.close()


def schema_drift(
    url: str, before: dict[str, schema_watch.Definition]
) -> tuple[list[str], str] | None:
    """(what changed in the tables since `before`, the WAL position by which it had changed),
    or None when nothing did. The position is read after the catalog: the stream that has
    applied up to it has passed every DDL seen here."""
    if not before:
        return None  # a checkpoint from before definitions were kept
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            lines = schema_watch.differences(before, schema_watch.read(cur, list(before)))
            if not lines:
                return None
            cur.execute("SELECT pg_current_wal_lsn()::text")
            return lines, Lsn.parse(cur.fetchone()[0]).text()
    finally:
        conn.close()


_SHAPES_SQL = """
SELECT pt.schemaname, pt.tablename, a.attname, a.atttypid::int, a.atttypmod,
       format_type(a.atttypid, a.atttypmod)
FROM pg_publication_tables pt
JOIN pg_namespace n ON n.nspname = pt.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
JOIN pg_attribute a ON a.attrelid = c.oid
WHERE pt.pubname = :pub AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY 1, 2, a.attnum
"""


@contextlib.contextmanager
def snapshot(
    conn: Any, url: str, stream_name: str, tables: list[str], publication: str | None = None
) -> Iterator[tuple[str, str, dict[str, Shape]]]:
    """Create the publication (unless the user named one), then the slot (each replacing one
    left by an interrupted start) with an exported snapshot, and make `conn` (SQLAlchemy) read
    in it; yields (the slot's start LSN, the slot name, each published table's columns as of
    the snapshot). The snapshot lives as long as the replication connection that exported it:
    until the backfill is done."""
    from sqlalchemy import text

    slot = slot_name(stream_name)
    drop_slot(url, slot)
    pub = publication_name(stream_name, publication)
    if publication is None:
        _create_publication(url, pub, tables)
    repl = _connect(url, replication=True)
    try:
        cur = repl.cursor()
        cur.execute(f"CREATE_REPLICATION_SLOT {slot} LOGICAL {PLUGIN} EXPORT_SNAPSHOT")
        _name, consistent_point, snapshot_name, _plugin = cur.fetchone()
        conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot_name}'"))
        shapes: dict[str, Shape] = {}
        for nsp, rel, col, oid, typmod, type_name in conn.execute(text(_SHAPES_SQL), {"pub": pub}):
            shapes.setdefault(_source_name(nsp, rel), []).append([col, oid, typmod, type_name])
        yield Lsn.parse(consistent_point).text(), slot, shapes
    finally:
        repl.close()


def _create_publication(url: str, pub: str, tables: list[str]) -> None:
    """The tool's own publication, of exactly the migrated tables (made anew: a restarted
    backfill may carry other tables)."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP PUBLICATION IF EXISTS {_ident(pub)}")
            cur.execute(
                f"CREATE PUBLICATION {_ident(pub)} FOR TABLE "
                + ", ".join(_qualified(t) for t in tables)
                + " WITH (publish_via_partition_root = true)"
            )
    finally:
        conn.close()


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


def _stream_checks(url: str, slot: str, pub: str) -> tuple[str, Callable[[int, int], str]]:
    """The slot and publication the stream needs are there (else a message naming what to do);
    (the database's Python encoding, a type namer for messages)."""
    import psycopg2.extensions

    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT plugin FROM pg_replication_slots WHERE slot_name = %s", (slot,))
            row = cur.fetchone()
            if row is None:
                raise DecodeError(
                    f"the replication slot {slot} is gone (dropped on the source): its changes "
                    "cannot be recovered; migrate again from a fresh target"
                )
            if row[0] != PLUGIN:
                raise DecodeError(
                    f"the replication slot {slot} decodes with {row[0]} (made by an earlier "
                    f"version), not {PLUGIN}: migrate again from a fresh target"
                )
            cur.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (pub,))
            if cur.fetchone() is None:
                raise DecodeError(f"the publication {pub} is gone: create it again as it was")
            cur.execute("SHOW server_encoding")
            encoding = psycopg2.extensions.encodings.get(cur.fetchone()[0], "utf-8")
    finally:
        conn.close()

    def type_name(oid: int, typmod: int) -> str:
        c = _connect(url)
        try:
            with c.cursor() as cur:
                cur.execute("SELECT format_type(%s, %s)", (oid, typmod))
                return str(cur.fetchone()[0])
        finally:
            c.close()

    return encoding, type_name


def stream(
    url: str,
    position: str,
    stop: threading.Event,
    stream_name: str,
    acked: Callable[[], str | None],
    heartbeat: float = 0.5,
    *,
    publication: str | None = None,
    shapes: dict[str, Shape] | None = None,
) -> Iterator[Event]:
    """Changes after `position` from the stream's slot until `stop`; `acked()` is the position
    the target has committed, confirmed to the server so that it may recycle the WAL. A table
    whose description differs from `shapes` (its columns at the snapshot) ends the stream with
    a SchemaChange."""
    slot = slot_name(stream_name)
    pub = publication_name(stream_name, publication)
    encoding, type_name = _stream_checks(url, slot, pub)
    decoder = _Decoder(shapes or {}, type_name)
    conn = _connect(url, replication=True)
    cur = conn.cursor()
    start = Lsn.parse(position)
    cur.start_replication(
        slot_name=slot,
        decode=False,
        start_lsn=start.value,
        options={"proto_version": "1", "publication_names": pub},
        status_interval=1,
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
            m = decode(msg.payload, encoding)
            if isinstance(m, Begin):
                in_txn = True
                decoder.commit_time = m.commit_time
            elif isinstance(m, CommitMsg):
                in_txn = False
                last = Lsn(max(m.end_lsn, Lsn.parse(last).value)).text()
                yield Commit(last, m.commit_time)
            else:
                for ev in decoder.records(m):
                    if isinstance(ev, SchemaChange):
                        yield SchemaChange(ev.statement, last, ev.tables)
                        return
                    yield ev
    finally:
        conn.close()


class _Decoder:
    """pgoutput records -> `changes` records, by the tables the Relation messages described."""

    def __init__(self, shapes: dict[str, Shape], type_name: Callable[[int, int], str]) -> None:
        self.shapes = shapes
        self.type_name = type_name
        self.relations: dict[int, Relation] = {}
        self.commit_time = 0.0

    def records(self, m: Any) -> list[RowChange | Truncate | SchemaChange]:
        if isinstance(m, Relation):
            self.relations[m.oid] = m
            planned = self.shapes.get(m.source_name)
            diff = relation_diff(planned, m, self.type_name) if planned is not None else []
            if diff:
                what = f"table {m.source_name}: {'; '.join(diff)}"
                return [SchemaChange(what, "", [m.source_name])]
            return []
        if isinstance(m, TruncateMsg):
            return [Truncate(self._relation(oid).source_name) for oid in m.relation_oids]
        if isinstance(m, Change):
            return [self._change(m)]
        return []  # origins, types, messages

    def _relation(self, oid: int) -> Relation:
        rel = self.relations.get(oid)
        if rel is None:
            raise DecodeError(f"a change on relation {oid}, which no Relation message described")
        return rel

    def _change(self, m: Change) -> RowChange:
        rel = self._relation(m.relation_oid)
        table = rel.source_name
        names = [c.name for c in rel.columns]
        before = None
        if m.old is not None:
            keys = {c.name for c in rel.columns if c.key} if m.old_is_key else set(names)
            before = {n: v for n, v in zip(names, m.old, strict=True) if n in keys}
        if m.op == "delete":
            return RowChange(table, "delete", before, None)
        assert m.new is not None
        after = dict(zip(names, m.new, strict=True))
        if m.op == "insert":
            return RowChange(table, "insert", None, after)
        for k in [k for k, v in after.items() if v is UNCHANGED_TOAST]:
            if before is None or before.get(k, UNCHANGED_TOAST) is UNCHANGED_TOAST:
                raise DecodeError(
                    f"an update on {table} leaves out column {k} (unchanged, stored out of "
                    f"line); ALTER TABLE {_qualified(table)} REPLICA IDENTITY FULL so that the "
                    "old row carries it"
                )
            after[k] = before[k]
        return RowChange(table, "update", before, after)
