"""I/O per engine: connect, stream a query through a server-side cursor, read table metadata.

Drivers are the blocking DB-API ones (psycopg 3, PyMySQL, sqlite3, duckdb, google-cloud-spanner):
the heavy work runs inside the databases, so each stream gets its own connection and runs on
its own thread; the GIL is released while a driver waits on its socket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar

from . import canon, cloudsql
from .connections import ConnSpec
from .dialects import duckdb as duck_sql
from .dialects import get_dialect
from .dialects import mysql as my_sql
from .dialects import postgres as pg_sql
from .dialects import sqlite as lite_sql
from .dialects.base import Dialect
from .errors import ConnectError, ConnectionSpecError, IntrospectionError, QueryError
from .pymysql_private import defer_rsa_crypto, set_io_timeouts
from .running_query import Running
from .timeouts import connect_hint, query_hint
from .types import Column, Kind, make_column

Row = tuple[Any, ...]
T = TypeVar("T")
U = TypeVar("U")


def both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """Run two blocking calls (one per database) at the same time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        return a.result(), b.result()


def split_table(name: str) -> tuple[str | None, str]:
    """`schema.table` → (schema, table); a bare name uses the connection's default schema."""
    parts = [p.strip().strip('"`') for p in name.split(".")]
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise IntrospectionError(f"table name {name!r} has too many dots; use schema.table")


class Engine:
    """One side of a validation: a connection spec plus the dialect that matches it."""

    dialect: Dialect
    batch_rows = 20_000
    # Network engines keep one idle connection for the next `query`: a validation reads the
    # catalog and then aggregates, and a new connection costs a login, session set-up round
    # trips and (PyMySQL) a TLS context. Off where a connection carries per-query state.
    reuse_connections = False
    idle_seconds = 60.0  # an idle connection older than this is closed, not reused

    def __init__(self, spec: ConnSpec) -> None:
        self.spec = spec
        self.dialect = get_dialect(spec.engine)
        self._idle: list[tuple[float, Any]] = []
        self._idle_lock = threading.Lock()

    def _borrow(self) -> Any:
        """The idle connection if there is a fresh one, else a new connection."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        now = time.monotonic()
        for since, conn in idle:
            if now - since <= self.idle_seconds:
                return conn
            conn.close()
        return self.connect()

    def _give_back(self, conn: Any) -> None:
        """Keep a connection whose query succeeded, its transaction ended, for the next query."""
        if self.reuse_connections:
            try:
                conn.rollback()
            except Exception:
                conn.close()
                return
            with self._idle_lock:
                if not self._idle:
                    self._idle.append((time.monotonic(), conn))
                    return
        conn.close()

    def close(self) -> None:
        """Close the idle connection (an engine keeps one between queries)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for _, conn in idle:
            conn.close()

    # subclasses implement these three
    def connect(self) -> Any:
        raise NotImplementedError

    def columns(self, table: str) -> list[Column]:
        raise NotImplementedError

    def primary_key(self, table: str) -> list[str]:
        raise NotImplementedError

    def estimate_rows(self, table: str) -> int | None:
        return None

    tables_sql = ""

    def tables(self) -> list[str]:
        """The base tables, schema-qualified where not in the default schema."""
        return [str(r[0]) for r in self.query(self.tables_sql)]

    def query_columns(self, sql: str) -> list[Column]:
        """Column names and types of a custom query's result."""
        raise NotImplementedError

    def table_ref(self, table: str) -> str:
        schema, name = split_table(table)
        return self.dialect.table_ref(schema, name)

    def query(self, sql: str, params: tuple[Any, ...] | None = None) -> list[Row]:
        conn = self._borrow()
        rows = self._query_on(conn, sql, params)
        self._give_back(conn)
        return rows

    # Whether `interrupt` can stop a query another thread runs (see `Running`).
    can_interrupt = False

    def interrupt(self, conn: Any) -> None:
        """Ask the server to stop the query running on `conn` (a no-op if none runs)."""
        raise NotImplementedError

    def start_query(self, sql: str) -> Running:
        """Run one query on a thread of its own; the caller takes its result or cancels it."""
        return Running(self, sql)

    def _query_on(self, conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> list[Row]:
        """The rows of one query on `conn`; the connection is closed if the query fails."""
        try:
            cur = conn.cursor()
            try:
                cur.execute(sql, params) if params is not None else cur.execute(sql)
                rows = cur.fetchall() if cur.description else []
            except Exception as exc:
                raise QueryError(self._explain(exc, sql)) from exc
            cur.close()
        except BaseException:
            conn.close()
            raise
        return [tuple(r) for r in rows]

    def query_described(self, sql: str) -> tuple[list[str], list[Row]]:
        """Column names and rows of one query (`dvt query`)."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            try:
                cur.execute(sql)
                if not cur.description:
                    return [], []
                names = [d[0] for d in cur.description]
                return names, [tuple(r) for r in cur.fetchall()]
            except Exception as exc:
                raise QueryError(self._explain(exc, sql)) from exc
        finally:
            conn.close()

    def stream(self, sql: str) -> Iterator[list[Row]]:
        """Batches of rows, fetched incrementally (server-side cursor where the driver has one)."""
        conn = self.connect()
        try:
            cur = self._stream_cursor(conn)
            try:
                cur.execute(sql)
            except Exception as exc:
                raise QueryError(self._explain(exc, sql)) from exc
            while True:
                try:
                    rows = cur.fetchmany(self.batch_rows)
                except Exception as exc:
                    if self._timed_out(exc):
                        raise QueryError(
                            f"reading from {self.spec.display}: {query_hint(self.spec.timeouts)}"
                        ) from exc
                    raise QueryError(
                        f"reading from {self.spec.display} failed mid-stream ({exc}); "
                        "the connection was lost or the server cancelled the query: rerun"
                    ) from exc
                if not rows:
                    break
                yield rows
            cur.close()
        finally:
            conn.close()

    def _stream_cursor(self, conn: Any) -> Any:
        return conn.cursor()

    def _timed_out(self, exc: BaseException) -> bool:
        """Whether a driver error is this engine's query deadline firing."""
        return False

    def _explain(self, exc: Exception, sql: str) -> str:
        short = sql if len(sql) < 600 else sql[:600] + "…"
        if self._timed_out(exc):
            return f"{self.spec.engine} query on {self.spec.display}: {query_hint(self.spec.timeouts)}\nSQL: {short}"
        return f"{self.spec.engine} query failed on {self.spec.display}: {exc}\nSQL: {short}"

    def _cannot_connect(self, exc: BaseException, timed_out: bool) -> ConnectError:
        # one line: libpq's messages carry a tab-indented second line
        why = connect_hint(self.spec.timeouts) if timed_out else " ".join(str(exc).split())
        return ConnectError(f"cannot connect to {self.spec.display}: {why}")


class PostgresEngine(Engine):
    tables_sql = pg_sql.TABLES_SQL
    reuse_connections = True
    can_interrupt = True

    def __init__(self, spec: ConnSpec) -> None:
        super().__init__(spec)
        # psycopg is imported by the first connect, on the thread that needs it: importing it
        # here would hold up the other side's work (the run's largest fixed cost)
        self._options_checked = False

    def _check_options(self) -> None:
        """libpq knows its own options: a typo is a usage error, not a failed connection."""
        if self._options_checked:
            return
        import psycopg

        try:
            psycopg.conninfo.make_conninfo("", **cloudsql.driver_kwargs(self.spec))
        except psycopg.ProgrammingError as exc:
            raise ConnectionSpecError(
                f"bad parameter in {self.spec.display}: {str(exc).strip()} "
                "(PostgreSQL URLs take libpq options, connect_timeout and query_timeout)"
            ) from None
        self._options_checked = True

    def interrupt(self, conn: Any) -> None:
        conn.cancel_safe(timeout=self.spec.timeouts.connect)

    def _session_setup(self) -> tuple[str, ...]:
        ms = int(self.spec.timeouts.query * 1000)
        return (*pg_sql.SESSION_SETUP, f"SET statement_timeout = {ms}")

    def _timed_out(self, exc: BaseException) -> bool:
        import psycopg

        return isinstance(exc, psycopg.errors.QueryCanceled)

    def connect(self) -> Any:
        import psycopg

        self._check_options()
        kwargs: dict[str, Any] = {
            "host": self.spec.host or "127.0.0.1",
            "port": self.spec.port or 5432,
            "user": self.spec.user or "postgres",
            "dbname": self.spec.database or "postgres",
            "connect_timeout": self.spec.timeouts.whole_connect_seconds(),
        }
        if self.spec.password:
            kwargs["password"] = self.spec.password
        if cloudsql.wanted(self.spec):
            conn = cloudsql.connect(
                self.spec,
                "psycopg",
                user=kwargs["user"],
                password=self.spec.password,
                dbname=kwargs["dbname"],
                timeout=self.spec.timeouts.connect,
                **cloudsql.driver_kwargs(self.spec),
            )
            self._set_up(conn)
            return conn
        kwargs.update(self.spec.query)
        try:
            conn = psycopg.connect(**kwargs)
        except psycopg.Error as exc:
            raise self._cannot_connect(exc, "timeout expired" in str(exc)) from exc
        self._set_up(conn)
        return conn

    def _set_up(self, conn: Any) -> None:
        # one round trip, committed: a reused connection's rollback must not undo it
        conn.execute("; ".join(self._session_setup()))
        conn.commit()

    def _stream_cursor(self, conn: Any) -> Any:
        cur = conn.cursor(name="dvt_stream")
        cur.itersize = self.batch_rows
        return cur

    def _regclass(self, table: str) -> str:
        schema, name = split_table(table)
        return self.dialect.table_ref(schema, name)

    def columns(self, table: str) -> list[Column]:
        rows = self.query(pg_sql.COLUMNS_SQL, (self._regclass(table),))
        if not rows:
            raise IntrospectionError(
                f"table {table!r} not found on {self.spec.display} (give it as schema.table)"
            )
        return [make_column("postgresql", n, t, bool(nullable)) for n, t, nullable in rows]

    def primary_key(self, table: str) -> list[str]:
        return [r[0] for r in self.query(pg_sql.PRIMARY_KEY_SQL, (self._regclass(table),))]

    def estimate_rows(self, table: str) -> int | None:
        rows = self.query(pg_sql.ROW_ESTIMATE_SQL, (self._regclass(table),))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def query_columns(self, sql: str) -> list[Column]:
        conn = self.connect()
        try:
            conn.execute(f"CREATE TEMP VIEW dvt_probe AS {sql}")
            rows = conn.execute(pg_sql.COLUMNS_SQL, ("dvt_probe",)).fetchall()
        except Exception as exc:
            raise QueryError(self._explain(exc, sql)) from exc
        finally:
            conn.rollback()
            conn.close()
        return [make_column("postgresql", n, t, bool(nullable)) for n, t, nullable in rows]


_PYMYSQL_IMPORT = threading.Lock()


def import_pymysql() -> Any:
    """PyMySQL, without loading `cryptography` (about 7 MiB) until an RSA login needs it.

    PyMySQL imports cryptography up front only for the sha256/caching_sha2 password exchange over
    an unencrypted connection (MySQL 8 defaults); MariaDB logins never use it. It is hidden
    while PyMySQL is imported (only when no other thread could be importing it meanwhile) and
    loaded on the first RSA exchange instead."""
    import sys

    with _PYMYSQL_IMPORT:
        if "pymysql" in sys.modules:
            return sys.modules["pymysql"]
        if "cryptography" in sys.modules or threading.active_count() > 1:
            import pymysql

            return pymysql
        sys.modules["cryptography"] = None  # type: ignore[assignment]
        try:
            import pymysql
        finally:
            del sys.modules["cryptography"]
        defer_rsa_crypto(pymysql)
        return pymysql


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(key: str, text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ConnectionSpecError(f"{key}={text!r} must be true or false")


def _ssl_mode(key: str, text: str) -> dict[str, Any]:
    mode = text.strip().upper()
    modes: dict[str, dict[str, Any]] = {
        "DISABLED": {"ssl_disabled": True},
        "REQUIRED": {"ssl": {"check_hostname": False}, "ssl_verify_cert": False},
        "VERIFY_CA": {"ssl_verify_cert": True, "ssl_verify_identity": False},
        "VERIFY_IDENTITY": {"ssl_verify_cert": True, "ssl_verify_identity": True},
    }
    if mode not in modes:
        raise ConnectionSpecError(f"{key}={text!r}: use one of {', '.join(modes)}")
    return modes[mode]


# URL parameter → PyMySQL keyword arguments (the Cloud SQL ones are read by cloudsql.py)
MYSQL_PARAMS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "ssl": lambda k, v: (
        {"ssl": {"check_hostname": False}, "ssl_verify_cert": False}
        if _flag(k, v)
        else {"ssl_disabled": True}
    ),
    "ssl_mode": _ssl_mode,
    "ssl_ca": lambda k, v: {"ssl_ca": v},
    "ssl_cert": lambda k, v: {"ssl_cert": v},
    "ssl_key": lambda k, v: {"ssl_key": v},
    "ssl_verify_cert": lambda k, v: {"ssl_verify_cert": _flag(k, v)},
    "ssl_verify_identity": lambda k, v: {"ssl_verify_identity": _flag(k, v)},
    "unix_socket": lambda k, v: {"unix_socket": v},
}


def mysql_options(query: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in query.items():
        conv = MYSQL_PARAMS.get(key)
        if conv is not None:
            out.update(conv(key, value))
    return out


class MySQLEngine(Engine):
    tables_sql = my_sql.TABLES_SQL
    reuse_connections = True
    can_interrupt = True

    def interrupt(self, conn: Any) -> None:
        killer = self.connect()
        try:
            with killer.cursor() as cur:
                cur.execute(f"KILL QUERY {int(conn.thread_id())}")
        finally:
            killer.close()

    def __init__(self, spec: ConnSpec) -> None:
        super().__init__(spec)
        self._options = mysql_options(spec.query)  # bad values are usage errors, found now
        import_pymysql()  # now, usually on the main thread, before any worker thread exists

    def _timed_out(self, exc: BaseException) -> bool:
        return isinstance(exc.__context__ or exc, TimeoutError) or "timed out" in str(exc)

    def _setup(self, conn: Any) -> Any:
        # The login ran under the connect timeout; from here on every read and write waits at
        # most the query timeout (PyMySQL applies these before each socket operation).
        set_io_timeouts(conn, self.spec.timeouts.query)
        with conn.cursor() as cur:
            cur.execute(my_sql.SESSION_SETUP)
        return conn

    def connect(self) -> Any:
        pymysql = import_pymysql()
        limit = self.spec.timeouts.connect
        if cloudsql.wanted(self.spec):
            conn = cloudsql.connect(
                self.spec,
                "pymysql",
                user=self.spec.user or "root",
                password=self.spec.password or "",
                db=self.spec.database,
                charset="utf8mb4",
                timeout=limit,  # the connector's end-to-end deadline for one connect
            )
            return self._setup(conn)
        try:
            conn = pymysql.connect(
                host=self.spec.host or "127.0.0.1",
                port=self.spec.port or 3306,
                user=self.spec.user or "root",
                password=self.spec.password or "",
                database=self.spec.database,
                charset="utf8mb4",
                connect_timeout=limit,
                read_timeout=limit,  # the server's greeting and the login
                write_timeout=limit,
                **self._options,
            )
        except pymysql.MySQLError as exc:
            raise self._cannot_connect(exc, self._timed_out(exc)) from exc
        return self._setup(conn)

    def _stream_cursor(self, conn: Any) -> Any:
        return conn.cursor(import_pymysql().cursors.SSCursor)

    def columns(self, table: str) -> list[Column]:
        schema, name = split_table(table)
        rows = self.query(my_sql.COLUMNS_SQL, (schema, name))
        if not rows:
            raise IntrospectionError(
                f"table {table!r} not found on {self.spec.display} (give it as database.table)"
            )
        return [
            make_column("mysql", n, t.decode() if isinstance(t, bytes) else t, bool(nullable))
            for n, t, nullable in rows
        ]

    def primary_key(self, table: str) -> list[str]:
        schema, name = split_table(table)
        return [r[0] for r in self.query(my_sql.PRIMARY_KEY_SQL, (schema, name))]

    def estimate_rows(self, table: str) -> int | None:
        schema, name = split_table(table)
        rows = self.query(my_sql.ROW_ESTIMATE_SQL, (schema, name))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def query_columns(self, sql: str) -> list[Column]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    f"CREATE TEMPORARY TABLE dvt_probe AS SELECT * FROM ({sql}) dvt_q LIMIT 0"
                )
                cur.execute(
                    "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES' "
                    "FROM information_schema.COLUMNS WHERE TABLE_NAME = 'dvt_probe' "
                    "AND TABLE_SCHEMA = DATABASE() ORDER BY ORDINAL_POSITION"
                )
                rows = cur.fetchall()
                if not rows:  # MariaDB hides temporary tables from information_schema
                    cur.execute("SHOW COLUMNS FROM dvt_probe")
                    rows = [(r[0], r[1], r[2] == "YES") for r in cur.fetchall()]
        except Exception as exc:
            raise QueryError(self._explain(exc, sql)) from exc
        finally:
            conn.close()
        return [
            make_column("mysql", n, t.decode() if isinstance(t, bytes) else t, bool(nl))
            for n, t, nl in rows
        ]


def _sqlite_canon_factory() -> Any:
    from functools import lru_cache

    @lru_cache(maxsize=256)
    def parse(spec: str) -> tuple[Kind, int | None, dict[str, bool]]:
        kind, scale, flags = spec.split("|")
        names = set(filter(None, flags.split(",")))
        opts = {f: f in names for f in lite_sql.CANON_FLAGS}
        return Kind(kind), (int(scale) if scale else None), opts

    def dvt_canon(spec: str, value: Any) -> str | None:
        kind, scale, opts = parse(spec)
        return canon.canonical(kind, value, scale, **opts)

    return dvt_canon


class _DecimalSum:
    """Exact SUM for SQLite, whose DECIMAL columns hold doubles."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any, scale: int | None) -> None:
        if value is None:
            return
        d = Decimal(canon.decimal_text(canon._to_decimal(value, scale)))
        self.total = d if self.total is None else self.total + d

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)


class _StdDev:
    """Sample standard deviation for SQLite (Welford's algorithm, in doubles)."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def step(self, value: Any) -> None:
        if value is None:
            return
        x = float(value)
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    def finalize(self) -> float | None:
        import math

        return None if self.n < 2 else math.sqrt(self.m2 / (self.n - 1))


class _BitXor:
    def __init__(self) -> None:
        self.acc: int | None = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.acc = (self.acc or 0) ^ (int(value) & 0xFFFFFFFFFFFFFFFF)

    def finalize(self) -> str | None:
        return None if self.acc is None else str(self.acc)


def register_sqlite_functions(conn: Any) -> None:
    conn.create_function("dvt_canon", 2, _sqlite_canon_factory(), deterministic=True)
    conn.create_function("dvt_sha256", 1, canon.row_hash, deterministic=True)
    conn.create_function(
        "dvt_hex_int48", 1, lambda h: None if h is None else int(h[:12], 16), deterministic=True
    )
    conn.create_function(
        "dvt_round32",
        1,
        lambda v: None if v is None else canon.round32(float(v)),
        deterministic=True,
    )
    conn.create_aggregate("dvt_sum", 2, _DecimalSum)
    conn.create_aggregate("dvt_bit_xor", 1, _BitXor)
    conn.create_aggregate("dvt_stddev", 1, _StdDev)


def require_file(spec: ConnSpec) -> None:
    """A validation reads existing databases: a missing file is a wrong path, never created."""
    import os

    path = spec.database or ":memory:"
    if path != ":memory:" and not os.path.isfile(path):
        raise ConnectionSpecError(
            f"{spec.engine} database file {path!r} does not exist ({spec.display}); check the "
            f"path: {spec.engine}:///relative/path or {spec.engine}:////absolute/path"
        )


class SQLiteEngine(Engine):
    tables_sql = lite_sql.TABLES_SQL

    def __init__(self, spec: ConnSpec) -> None:
        super().__init__(spec)
        require_file(spec)

    def _timed_out(self, exc: BaseException) -> bool:
        return str(exc) == "interrupted"  # only the deadline below interrupts a query

    def connect(self) -> Any:
        import sqlite3  # here, not at import: the other engines do not need libsqlite3
        import time
        from urllib.parse import quote

        path = self.spec.database or ":memory:"
        try:
            if path == ":memory:":
                conn = sqlite3.connect(path, check_same_thread=False)
            else:  # mode=rw: never create a file
                uri = f"file:{quote(path)}?mode=rw"
                conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ConnectError(f"cannot open SQLite database {path}: {exc}") from exc
        register_sqlite_functions(conn)
        # each query runs on its own connection: its deadline starts now
        deadline = time.monotonic() + self.spec.timeouts.query
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        return conn

    def columns(self, table: str) -> list[Column]:
        schema, name = split_table(table)
        rows = self.query(lite_sql.COLUMNS_SQL, (name, schema or "main"))
        if not rows:
            raise IntrospectionError(f"table {table!r} not found in {self.spec.display}")
        # SQLite does not flag primary-key columns NOT NULL, but they hold no NULLs in practice
        return [make_column("sqlite", n, t or "", bool(nl) and not pk) for n, t, nl, pk in rows]

    def primary_key(self, table: str) -> list[str]:
        schema, name = split_table(table)
        rows = self.query(lite_sql.COLUMNS_SQL, (name, schema or "main"))
        return [n for n, _t, _nl, pk in sorted(rows, key=lambda r: r[3]) if pk]

    def query_columns(self, sql: str) -> list[Column]:
        conn = self.connect()
        try:
            conn.execute(f"CREATE TEMP VIEW dvt_probe AS {sql}")
            rows = conn.execute(lite_sql.COLUMNS_SQL, ("dvt_probe", "temp")).fetchall()
        except Exception as exc:
            raise QueryError(self._explain(exc, sql)) from exc
        finally:
            conn.close()
        return [make_column("sqlite", n, t or "", bool(nl)) for n, t, nl, _pk in rows]


_DUCK_LOCK = threading.Lock()
_DUCK_DBS: dict[str, Any] = {}


class DuckDBEngine(Engine):
    """DuckDB allows one writer process per file: one database object per path, cursors per use."""

    tables_sql = duck_sql.TABLES_SQL

    def __init__(self, spec: ConnSpec) -> None:
        super().__init__(spec)
        require_file(spec)

    def _timed_out(self, exc: BaseException) -> bool:
        import duckdb

        return isinstance(exc, duckdb.InterruptException)

    def _database(self) -> Any:
        import duckdb

        path = self.spec.database or ":memory:"
        with _DUCK_LOCK:
            db = _DUCK_DBS.get(path)
            if db is None:
                try:
                    db = duckdb.connect(path)
                except duckdb.Error as exc:
                    raise ConnectError(f"cannot open DuckDB database {path}: {exc}") from exc
                _DUCK_DBS[path] = db
            return db

    def connect(self) -> Any:
        cur = self._database().cursor()
        for stmt in duck_sql.SESSION_SETUP:
            cur.execute(stmt)
        return _DuckConn(cur, self.spec.timeouts.query)

    def columns(self, table: str) -> list[Column]:
        schema, name = split_table(table)
        rows = self.query(duck_sql.COLUMNS_SQL, (schema, name))
        if not rows:
            raise IntrospectionError(f"table {table!r} not found in {self.spec.display}")
        return [make_column("duckdb", n, t, bool(nl)) for n, t, nl in rows]

    def primary_key(self, table: str) -> list[str]:
        schema, name = split_table(table)
        rows = self.query(duck_sql.PRIMARY_KEY_SQL, (schema, name))
        return list(rows[0][0]) if rows else []

    def query_columns(self, sql: str) -> list[Column]:
        rows = self.query(f"DESCRIBE ({sql})")
        return [make_column("duckdb", r[0], r[1], r[2] == "YES") for r in rows]


class _DuckConn:
    """Adapts a DuckDB cursor to the connection shape the Engine base expects."""

    def __init__(self, cur: Any, limit: float) -> None:
        self._cur = cur
        # the query deadline: DuckDB stops a running query when its connection is interrupted
        self._timer = threading.Timer(limit, cur.interrupt)
        self._timer.daemon = True
        self._timer.start()

    def cursor(self) -> Any:
        return self._cur

    def close(self) -> None:
        self._timer.cancel()
        self._cur.close()


ENGINES: dict[str, type[Engine]] = {
    "postgresql": PostgresEngine,
    "mysql": MySQLEngine,
    "sqlite": SQLiteEngine,
    "duckdb": DuckDBEngine,
}


# engine → (module it needs, the extra that installs it)
EXTRAS: dict[str, tuple[str, str]] = {
    "duckdb": ("duckdb", "duckdb"),
    "spanner": ("google.cloud.spanner", "spanner"),
}


def require_extra(engine: str) -> None:
    """A clear usage error, instead of ModuleNotFoundError, when an optional driver is missing."""
    if engine not in EXTRAS:
        return
    module, extra = EXTRAS[engine]
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise ConnectionSpecError(
            f"{engine}:// URLs need the {engine} driver, which is not installed: "
            f"pip install 'dbtools-dvt[{extra}]'"
        ) from None


def open_engine(spec: ConnSpec) -> Engine:
    require_extra(spec.engine)
    if spec.engine == "spanner":
        from .spanner_engine import SpannerEngine

        return SpannerEngine(spec)
    return ENGINES[spec.engine](spec)
