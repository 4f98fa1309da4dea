"""Classifying each statement: its kind, its CommandComplete tag, and what its handler needs.

The proxy must know, before sending anything to Spanner, whether a statement is a query, DML,
DDL (which goes through UpdateDatabaseDdl, not ExecuteSql), transaction control, a session
command answered locally, or a catalog query that Spanner cannot answer. A statement is
classified once (a prepared statement keeps its classification for every execution), and the
classification carries the parsed arguments of session commands (`commands`), of COPY and of
FETCH, so that no handler reads the SQL text again. Keywords are read by the lexer (`lexer`),
which skips strings, quoted identifiers, dollar quotes and comments.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from . import commands
from .copy import parse_copy
from .errors import PgError
from .lexer import code_only, words
from .scroll import parse_fetch

T = TypeVar("T")


class Kind(str, Enum):
    QUERY = "query"
    DML = "dml"
    DDL = "ddl"
    BEGIN = "begin"
    COMMIT = "commit"
    ROLLBACK = "rollback"
    SET = "set"
    SHOW = "show"
    RESET = "reset"
    COPY = "copy"
    START_BATCH = "start_batch"  # START BATCH DDL|DML (PGAdapter)
    RUN_BATCH = "run_batch"
    ABORT_BATCH = "abort_batch"
    PREPARE = "prepare"  # SQL-level PREPARE / EXECUTE
    EXECUTE = "execute"
    DECLARE = "declare"  # cursors
    FETCH = "fetch"
    CLOSE = "close"
    TRUNCATE = "truncate"  # no TRUNCATE in Spanner: a DELETE of every row, as PGAdapter does
    SAVEPOINT = "savepoint"
    RELEASE = "release"
    ROLLBACK_TO = "rollback_to"
    EMPTY = "empty"
    DISCARD = "discard"
    DEALLOCATE = "deallocate"
    NOOP = "noop"  # accepted and ignored (LISTEN, NOTIFY, VACUUM...)
    UNSUPPORTED = "unsupported"
    PARTITIONED = "partitioned"  # RUN PARTITIONED QUERY, PARTITION, RUN PARTITION (PGAdapter)


@dataclass
class Statement:
    sql: str
    kind: Kind
    tag: str  # CommandComplete tag (without row count)
    words: list[str] = field(default_factory=list)
    returning: bool = False
    read_only: bool | None = None  # BEGIN READ ONLY / READ WRITE
    not_local: bool = False  # known not to be answerable without Spanner (set by the connection)
    args: Any = None  # what the kind's handler needs, parsed at classification (see `command`)
    error: PgError | None = None  # the arguments did not parse: reported when the statement runs
    inner: Statement | None = None  # the statement a PREPARE or DECLARE wraps, classified

    def command(self, kind: type[T]) -> T:
        """The parsed arguments, or the syntax error they gave."""
        if self.error is not None:
            raise self.error
        assert isinstance(self.args, kind), (self.kind, self.args)
        return self.args


_DDL_FIRST = {"CREATE", "ALTER", "DROP", "ANALYZE", "GRANT", "REVOKE", "COMMENT", "RENAME"}
_NOOP = {
    "LISTEN": "LISTEN",
    "UNLISTEN": "UNLISTEN",
    "NOTIFY": "NOTIFY",
    "VACUUM": "VACUUM",
    "CHECKPOINT": "CHECKPOINT",
    "LOAD": "LOAD",
}
# Every word a PostgreSQL 17 statement can begin with, and PGAdapter's own (RUN, PARTITION):
# one of these that pgadapter does not run is unsupported (0A000); any other first word is a
# syntax error (42601), as PostgreSQL's parser reports it.
STATEMENT_WORDS = frozenset(
    "ABORT ALTER ANALYSE ANALYZE BEGIN CALL CHECKPOINT CLOSE CLUSTER COMMENT COMMIT COPY "
    "CREATE DEALLOCATE DECLARE DELETE DISCARD DO DROP END EXECUTE EXPLAIN FETCH GRANT IMPORT "
    "INSERT LISTEN LOAD LOCK MERGE MOVE NOTIFY PREPARE REASSIGN REFRESH REINDEX RELEASE RESET "
    "REVOKE ROLLBACK SAVEPOINT SECURITY SELECT SET SHOW START TABLE TRUNCATE UNLISTEN UPDATE "
    "VACUUM VALUES WITH RUN PARTITION".split()
)
_QUERY_FIRST = {"SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN"}
_DML_FIRST = {"INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE"}


def _ddl_tag(ws: list[str]) -> str:
    """PGAdapter's tag for DDL: the statement's first keyword (`CREATE`, `ALTER`, `DROP`...),
    which its published psql samples expect; PostgreSQL would say `CREATE TABLE`."""
    return ws[0]


def classify(sql: str) -> Statement:
    stmt = _kind(sql)
    parse = _ARGUMENTS.get(stmt.kind)
    if parse is not None:
        try:
            stmt.args = parse(stmt)
        except PgError as exc:
            stmt.error = exc
        query = getattr(stmt.args, "query", None)
        if isinstance(query, str):
            stmt.inner = classify(query)
    return stmt


def _kind(sql: str) -> Statement:
    ws = words(sql)
    if not ws:
        return Statement(sql, Kind.EMPTY, "", ws)
    first = ws[0]
    if first in _QUERY_FIRST:
        code = code_only(sql).upper()
        if first == "WITH":
            for dml in _DML_FIRST:
                if re.search(rf"\)\s*{dml}\b", code):
                    return Statement(
                        sql, Kind.DML, _DML_FIRST[dml], ws, returning="RETURNING" in code
                    )
        return Statement(sql, Kind.QUERY, "SELECT", ws)
    if first in _DML_FIRST:
        code = code_only(sql).upper()
        return Statement(
            sql, Kind.DML, _DML_FIRST[first], ws, returning=bool(re.search(r"\bRETURNING\b", code))
        )
    if ws[:2] == ["START", "BATCH"]:
        return Statement(sql, Kind.START_BATCH, "START BATCH", ws)
    if ws[:3] == ["RUN", "PARTITIONED", "QUERY"] or ws[:1] == ["PARTITION"]:
        return Statement(sql, Kind.PARTITIONED, "SELECT", ws)
    if ws[:2] == ["RUN", "PARTITION"]:
        return Statement(sql, Kind.PARTITIONED, "SELECT", ws)
    if ws[:2] == ["RUN", "BATCH"]:
        return Statement(sql, Kind.RUN_BATCH, "RUN BATCH", ws)
    if ws[:2] == ["ABORT", "BATCH"]:
        return Statement(sql, Kind.ABORT_BATCH, "ABORT BATCH", ws)
    if first == "PREPARE" and ws[1:2] != ["TRANSACTION"]:
        return Statement(sql, Kind.PREPARE, "PREPARE", ws)
    if first == "EXECUTE":
        return Statement(sql, Kind.EXECUTE, "EXECUTE", ws)
    if first == "DECLARE":
        return Statement(sql, Kind.DECLARE, "DECLARE CURSOR", ws)
    if first in ("FETCH", "MOVE"):
        return Statement(sql, Kind.FETCH, first, ws)
    if first == "CLOSE":
        return Statement(sql, Kind.CLOSE, "CLOSE CURSOR", ws)
    if first == "COPY":
        return Statement(sql, Kind.COPY, "COPY", ws)
    if first == "TRUNCATE":
        return Statement(sql, Kind.TRUNCATE, "TRUNCATE TABLE", ws)
    if first in _DDL_FIRST:
        return Statement(sql, Kind.DDL, _ddl_tag(ws), ws)
    if first in ("BEGIN", "START"):
        if first == "START" and ws[1:2] != ["TRANSACTION"]:
            return Statement(sql, Kind.UNSUPPORTED, first, ws)
        return Statement(sql, Kind.BEGIN, "BEGIN", ws, read_only=_access_mode(ws))
    if first in ("COMMIT", "END"):
        return Statement(sql, Kind.COMMIT, "COMMIT", ws)
    if first in ("ROLLBACK", "ABORT"):
        if "TO" in ws[:3]:
            return Statement(sql, Kind.ROLLBACK_TO, "ROLLBACK", ws)
        return Statement(sql, Kind.ROLLBACK, "ROLLBACK", ws)
    if first == "SAVEPOINT":
        return Statement(sql, Kind.SAVEPOINT, "SAVEPOINT", ws)
    if first == "RELEASE":
        return Statement(sql, Kind.RELEASE, "RELEASE", ws)
    if first == "SET":
        if ws[1:2] == ["TRANSACTION"] or ws[1:3] == ["SESSION", "CHARACTERISTICS"]:
            return Statement(sql, Kind.SET, "SET", ws, read_only=_access_mode(ws))
        return Statement(sql, Kind.SET, "SET", ws)
    if first == "RESET":
        return Statement(sql, Kind.RESET, "RESET", ws)
    if first == "SHOW":
        return Statement(sql, Kind.SHOW, "SHOW", ws)
    if first == "DISCARD":
        return Statement(sql, Kind.DISCARD, "DISCARD ALL", ws)
    if first == "DEALLOCATE":
        return Statement(sql, Kind.DEALLOCATE, "DEALLOCATE", ws)
    if first in _NOOP:
        return Statement(sql, Kind.NOOP, first, ws)
    return Statement(sql, Kind.UNSUPPORTED, first, ws)


def _access_mode(ws: list[str]) -> bool | None:
    for a, b in itertools.pairwise(ws):
        if a == "READ" and b == "ONLY":
            return True
        if a == "READ" and b == "WRITE":
            return False
    return None


_ARGUMENTS: dict[Kind, Callable[[Statement], Any]] = {
    Kind.PARTITIONED: lambda s: commands.parse_partitioned(s.sql),
    Kind.PREPARE: lambda s: commands.parse_prepare(s.sql),
    Kind.EXECUTE: lambda s: commands.parse_execute(s.sql),
    Kind.DECLARE: lambda s: commands.parse_declare(s.sql),
    Kind.FETCH: lambda s: parse_fetch(s.sql),
    Kind.CLOSE: lambda s: commands.parse_close(s.sql),
    Kind.SET: lambda s: commands.parse_set(s.sql, s.words),
    Kind.RESET: lambda s: commands.parse_reset(s.sql),
    Kind.SHOW: lambda s: commands.parse_show(s.sql),
    Kind.SAVEPOINT: lambda s: commands.parse_savepoint(s.sql, s.words),
    Kind.RELEASE: lambda s: commands.parse_savepoint(s.sql, s.words),
    Kind.ROLLBACK_TO: lambda s: commands.parse_savepoint(s.sql, s.words),
    Kind.DEALLOCATE: lambda s: commands.parse_deallocate(s.sql, s.words),
    Kind.TRUNCATE: lambda s: commands.parse_truncate(s.sql),
    Kind.COPY: lambda s: parse_copy(s.sql),
}
