"""MySQL/MariaDB: the snapshot's binlog position and the ROW events after it.

The change stream is read by mysql-replication (pymysqlreplication), which speaks the
replication protocol; this module only turns its events into `changes` records and decides
where a transaction ends (an XID event, or a COMMIT query for non-transactional tables).
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
from collections.abc import Iterator
from typing import Any

from .changes import Commit, Event, Idle, RowChange, SchemaChange, Truncate
from .positions import BinlogPosition, gtid_domains, gtid_text

# (variable, value wanted, what to change) — checked at start, each one that is off is named
REQUIRED_SETTINGS = [
    ("log_bin", "ON", "start the server with --log-bin (the binary log is off)"),
    ("binlog_format", "ROW", "set binlog_format=ROW in the server configuration"),
    ("binlog_row_image", "FULL", "set binlog_row_image=FULL (updates must carry whole rows)"),
    (
        "binlog_row_metadata",
        "FULL",
        "set binlog_row_metadata=FULL (column names in the binlog; MariaDB 10.5+, MySQL 8.0.1+)",
    ),
]
_REPLICATION_GRANTS = ("ALL PRIVILEGES ON *.*", "REPLICATION SLAVE", "REPLICATION REPLICA")
_DDL_WORDS = {"CREATE", "ALTER", "DROP", "RENAME"}
_TRUNCATE = re.compile(r"^\s*TRUNCATE\s+(?:TABLE\s+)?(?:`?(\w+)`?\.)?`?([^`\s;]+)`?", re.I)


def connect_args(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return {
        "host": u.host or "127.0.0.1",
        "port": int(u.port or 3306),
        "user": u.username or "root",
        "passwd": u.password or "",
    }


def database_of(url: str) -> str:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name:
        raise ValueError("the source URL names no database")
    return name


def _connect(url: str) -> Any:
    import pymysql

    args = connect_args(url)
    return pymysql.connect(
        host=args["host"],
        port=args["port"],
        user=args["user"],
        password=args["passwd"],
        connect_timeout=10,
        autocommit=True,
    )


def check_settings(url: str) -> list[str]:
    """What the server lacks for change capture, each with what to change (empty: ready)."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            problems = []
            for name, wanted, fix in REQUIRED_SETTINGS:
                cur.execute("SHOW GLOBAL VARIABLES LIKE %s", (name,))
                row = cur.fetchone()
                have = str(row[1]).upper() if row else "(not supported by this server)"
                if have != wanted:
                    problems.append(f"{name} is {have}, live migration needs {wanted}: {fix}")
            cur.execute("SHOW GRANTS")
            grants = " ".join(str(r[0]).upper() for r in cur.fetchall())
            if not any(g in grants for g in _REPLICATION_GRANTS):
                cur.execute("SELECT CURRENT_USER()")
                who = cur.fetchone()[0]
                problems.append(
                    f"{who} may not read the binlog: GRANT REPLICATION SLAVE, REPLICATION CLIENT "
                    f"ON *.* TO {who}"
                )
            return problems
    finally:
        conn.close()


def start_snapshot(conn: Any) -> str:
    """Open a consistent-snapshot transaction on `conn` (a SQLAlchemy connection) and return
    the binlog position it corresponds to exactly.

    MariaDB reports the position of the snapshot itself (binlog_snapshot_file/_position,
    taken atomically with it), and BINLOG_GTID_POS() turns it into the GTID position there.
    MySQL has no such status: a global read lock is held for the instant between opening the
    snapshot and reading the position (file and offset only: MySQL GTIDs are not used)."""
    from sqlalchemy import text

    def snapshot_status() -> dict[str, str]:
        # MariaDB spells the names Binlog_snapshot_file/_position
        rows = conn.execute(text("SHOW STATUS LIKE 'binlog_snapshot_%'")).fetchall()
        return {str(name).lower(): value for name, value in rows}

    conn.execute(text("SET time_zone = '+00:00'"))
    if "binlog_snapshot_file" in snapshot_status():
        conn.execute(text("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"))
        status = snapshot_status()
        file, pos = status["binlog_snapshot_file"], int(status["binlog_snapshot_position"])
        gtid = conn.execute(text("SELECT BINLOG_GTID_POS(:f, :p)"), {"f": file, "p": pos})
        return BinlogPosition.of(file, pos, gtid.scalar()).text()
    conn.execute(text("FLUSH TABLES WITH READ LOCK"))
    try:
        conn.execute(text("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"))
        row = conn.execute(text("SHOW MASTER STATUS")).fetchone()
    finally:
        conn.execute(text("UNLOCK TABLES"))
    return BinlogPosition.of(row[0], int(row[1])).text()


def head_position(url: str) -> str:
    """Where the server's binlog ends now."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW MASTER STATUS")
            row = cur.fetchone()
            return BinlogPosition.of(row[0], int(row[1])).text()
    finally:
        conn.close()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def stream(
    url: str,
    position: str,
    stop: threading.Event,
    stream_name: str,
    acked: Any = None,
    heartbeat: float = 0.5,
    **_pg_only: Any,  # the PostgreSQL stream's publication and table shapes
) -> Iterator[Event]:
    """The changes of the URL's database after `position`, as `changes` records, until `stop`
    is set (checked at least every `heartbeat` seconds: the server sends heartbeats)."""
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.event import (
        HeartbeatLogEvent,
        MariadbGtidEvent,
        QueryEvent,
        RotateEvent,
        XidEvent,
    )
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    db = database_of(url)
    start = BinlogPosition.parse(position)
    # MariaDB with a GTID position: resume by GTID (the library's MariaDB mode: it ignores the
    # file and offset); else (MySQL, or no GTID recorded) by file and offset
    by_gtid = start.gtid is not None
    reader = BinLogStreamReader(
        connection_settings=connect_args(url),
        server_id=random.randint(1_000_000, 2**31 - 1),
        log_file=None if by_gtid else start.file,
        log_pos=None if by_gtid else start.pos,
        auto_position=start.gtid if by_gtid else None,
        is_mariadb=by_gtid,
        resume_stream=True,
        blocking=True,
        only_events=[
            WriteRowsEvent,
            UpdateRowsEvent,
            DeleteRowsEvent,
            XidEvent,
            QueryEvent,
            RotateEvent,
            HeartbeatLogEvent,
            MariadbGtidEvent,
        ],
        only_schemas=[db],
        slave_heartbeat=heartbeat,
    )
    in_txn = False
    last = position  # the end of the last whole transaction read
    gtids = gtid_domains(start.gtid or "")  # per domain, the last transaction wholly read
    opened: tuple[int, str] | None = None  # the GTID of the transaction being read

    def here() -> str:
        """The position after the transaction just ended (its GTID counted as read)."""
        nonlocal opened
        if by_gtid and opened is not None:
            gtids[opened[0]] = opened[1]
            reader.auto_position = gtid_text(gtids)  # what a reconnect of the library resumes at
        opened = None
        at = BinlogPosition.of(reader.log_file, reader.log_pos)
        return at.with_gtid(gtid_text(gtids) if by_gtid else None).text()

    try:
        while not stop.is_set():
            ev = reader.fetchone()
            if ev is None:
                yield Idle(None if in_txn else last)
                continue
            if isinstance(ev, HeartbeatLogEvent):
                yield Idle(None if in_txn else last)
            elif isinstance(ev, MariadbGtidEvent):
                in_txn = True
                opened = (ev.domain_id, ev.gtid)
            elif isinstance(ev, XidEvent):
                in_txn = False
                last = here()
                yield Commit(last, float(ev.timestamp))
            elif isinstance(ev, (WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent)):
                yield from _rows(ev)
            elif isinstance(ev, QueryEvent):
                query = _text(ev.query).strip()
                word = query.split(None, 1)[0].upper() if query else ""
                if word == "BEGIN":
                    in_txn = True
                elif word in ("COMMIT", "XA"):
                    in_txn = False
                    last = here()
                    yield Commit(last, float(ev.timestamp))
                else:
                    # DDL is its own transaction (an implicit commit before and after it)
                    in_txn = False
                    mine = _text(ev.schema) == db or f"{db.lower()}." in query.lower().replace(
                        "`", ""
                    )
                    m = _TRUNCATE.match(query)
                    if mine and m and (m.group(1) in (None, db)):
                        yield Truncate(m.group(2))
                        last = here()
                        yield Commit(last, float(ev.timestamp))
                    elif mine and word in _DDL_WORDS:
                        yield SchemaChange(query, last)
                        return
                    else:
                        last = here()
                        yield Idle(last)
    finally:
        reader.close()


def _rows(ev: Any) -> Iterator[RowChange]:
    from pymysqlreplication.row_event import DeleteRowsEvent, WriteRowsEvent

    table = ev.table
    for row in ev.rows:
        if isinstance(ev, WriteRowsEvent):
            yield RowChange(table, "insert", None, row["values"])
        elif isinstance(ev, DeleteRowsEvent):
            yield RowChange(table, "delete", row["values"], None)
        else:
            yield RowChange(table, "update", row["before_values"], row["after_values"])


def catalog(url: str, tables: list[str]) -> dict[str, Any]:
    """Nothing to keep: the binlog carries every DDL statement, in order (see `stream`)."""
    return {}


def schema_drift(url: str, before: dict[str, Any]) -> None:
    """None: DDL arrives in the stream itself, exactly where it happened."""
    return None


def check_tables(url: str, tables: dict[str, list[str]], publication: str | None) -> list[str]:
    """Row images carry whole rows (binlog_row_image=FULL, checked with the settings), so any
    key is in them; a publication is PostgreSQL's."""
    if publication is not None:
        return ["--publication is for PostgreSQL sources (MySQL/MariaDB have none)"]
    return []


@contextlib.contextmanager
def snapshot(
    conn: Any, url: str, stream_name: str, tables: list[str], publication: str | None = None
) -> Iterator[tuple[str, None, dict[str, Any]]]:
    """The snapshot on `conn` and its position (MySQL needs no slot; the binlog's DDL events
    show schema changes, so no table shapes are kept)."""
    yield start_snapshot(conn), None, {}
