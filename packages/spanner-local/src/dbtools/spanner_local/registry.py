"""Instances, databases, sessions and long-running operations held by one server."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import protos, versions
from .codec import UTC, timestamp_to_pb
from .database import Database
from .errors import AlreadyExists, NotFound
from .ids import check_database_id, inside, is_database_id, is_instance_id, is_project_id
from .ids import parse_database_name as parse_database_name
from .ids import parse_instance_name as parse_instance_name
from .statement_log import StatementLog
from .transactions import TransactionManager
from .typemap import GOOGLE_SQL

INSTANCE_CONFIG = "emulator-config"
_SESSION_NAME = re.compile(r"^(projects/[^/]+/instances/[^/]+/databases/[^/]+)/sessions/([^/]+)$")


@dataclass
class SessionInfo:
    name: str
    database: str
    multiplexed: bool
    create_time: dt.datetime
    labels: dict[str, str] = field(default_factory=dict)
    creator_role: str = ""

    def to_pb(self) -> protos.Session:
        pb = protos.Session(
            name=self.name, multiplexed=self.multiplexed, creator_role=self.creator_role
        )
        pb.create_time.CopyFrom(timestamp_to_pb(self.create_time))
        pb.approximate_last_use_time.CopyFrom(timestamp_to_pb(self.create_time))
        for k, v in self.labels.items():
            pb.labels[k] = v
        return pb


@dataclass
class InstanceInfo:
    name: str
    display_name: str
    config: str
    node_count: int = 1
    processing_units: int = 1000
    labels: dict[str, str] = field(default_factory=dict)
    create_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))

    def to_pb(self) -> protos.Instance:
        pb = protos.Instance(
            name=self.name,
            config=self.config,
            display_name=self.display_name,
            node_count=self.node_count,
            processing_units=self.processing_units,
            state=2,  # READY
        )
        pb.create_time.CopyFrom(timestamp_to_pb(self.create_time))
        pb.update_time.CopyFrom(timestamp_to_pb(self.create_time))
        for k, v in self.labels.items():
            pb.labels[k] = v
        return pb


class Registry:
    """Everything a running server knows; thread-safe."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None,
        log: StatementLog,
        version_retention: dt.timedelta = versions.DEFAULT_RETENTION,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.version_retention = version_retention
        self.log = log
        self.instances: dict[str, InstanceInfo] = {}
        self.databases: dict[str, Database] = {}
        self.sessions: dict[str, SessionInfo] = {}
        self.operations: dict[str, protos.Operation] = {}
        self.transactions = TransactionManager()
        self.lock = threading.RLock()
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._load()

    # --------------------------------------------------------------- persistence layout

    def _db_path(self, name: str) -> Path | None:
        if self.data_dir is None:
            return None
        project, instance, database = parse_database_name(name)
        folder = inside(self.data_dir, project, instance)
        folder.mkdir(parents=True, exist_ok=True)
        return inside(self.data_dir, project, instance, f"{database}.duckdb")

    def _load(self) -> None:
        assert self.data_dir is not None
        for meta in sorted(self.data_dir.glob("*/*/*.json")):
            db_file = meta.with_suffix(".duckdb")
            if not db_file.exists() or not _valid_layout(meta.parent, meta.stem):
                continue
            db = Database.load(db_file, self.version_retention)
            self.databases[db.name] = db
            instance = db.name.split("/databases/")[0]
            self.ensure_instance(instance)
        for folder in self.data_dir.glob("*/*"):
            if folder.is_dir() and _valid_layout(folder):
                self.ensure_instance(f"projects/{folder.parent.name}/instances/{folder.name}")

    # --------------------------------------------------------------- instances

    def ensure_instance(self, name: str, display_name: str | None = None) -> InstanceInfo:
        project, instance = parse_instance_name(name)
        with self.lock:
            info = self.instances.get(name)
            if info is None:
                info = InstanceInfo(
                    name=name,
                    display_name=display_name or instance,
                    config=f"projects/{project}/instanceConfigs/{INSTANCE_CONFIG}",
                )
                self.instances[name] = info
                if self.data_dir is not None:
                    inside(self.data_dir, project, instance).mkdir(parents=True, exist_ok=True)
            return info

    def create_instance(self, name: str, pb: protos.Instance) -> InstanceInfo:
        with self.lock:
            if name in self.instances:
                raise AlreadyExists(f"Instance already exists: {name}")
            info = self.ensure_instance(name, pb.display_name or None)
            if pb.node_count:
                info.node_count = pb.node_count
                info.processing_units = pb.node_count * 1000
            elif pb.processing_units:
                info.processing_units = pb.processing_units
            info.labels = dict(pb.labels)
            return info

    def delete_instance(self, name: str) -> None:
        project, instance = parse_instance_name(name)
        with self.lock:
            if name not in self.instances:
                raise NotFound(f"Instance not found: {name}")
            for db_name in [d for d in self.databases if d.startswith(name + "/")]:
                self.drop_database(db_name)
            del self.instances[name]
        if self.data_dir is not None:
            shutil.rmtree(inside(self.data_dir, project, instance), ignore_errors=True)

    # --------------------------------------------------------------- databases

    def create_database(
        self,
        parent: str,
        database_id: str,
        dialect: str,
        extra_statements: Sequence[str] = (),
        prepare: Callable[[list[Any]], None] | None = None,
    ) -> Database:
        """Create a database with its extra DDL; it is listed on disk only once all is done.

        `prepare` sees the parsed statements before they run (proto bundles take their
        descriptors from the request)."""
        check_database_id(database_id)
        self.ensure_instance(parent)
        name = f"{parent}/databases/{database_id}"
        with self.lock:
            if name in self.databases:
                raise AlreadyExists(f"Database already exists: {name}")
            path = self._db_path(name)
            if path is not None:  # what an interrupted create or drop left behind
                for p in (path, Path(str(path) + ".wal")):
                    p.unlink(missing_ok=True)
            db = Database(
                name=name,
                dialect=dialect or GOOGLE_SQL,
                path=path,
                version_retention=self.version_retention,
            )
            try:
                if extra_statements:
                    ops = db.parse_ddl(list(extra_statements))
                    if prepare is not None:
                        prepare(ops)
                    _, err = db.apply_ddl(ops)
                    if err is not None:
                        raise err
            except BaseException:
                db.drop()
                raise
            db.publish()
            self.databases[name] = db
            return db

    def database(self, name: str) -> Database:
        with self.lock:
            db = self.databases.get(name)
        if db is None:
            parse_database_name(name)  # a malformed name is the caller's error, not a miss
            raise NotFound(f"Database not found: {name}")
        return db

    def drop_database(self, name: str) -> None:
        with self.lock:
            db = self.databases.pop(name, None)
            if db is None:
                parse_database_name(name)
                raise NotFound(f"Database not found: {name}")
            for s in [k for k, v in self.sessions.items() if v.database == name]:
                del self.sessions[s]
        self.transactions.forget_database(db)
        db.drop()

    # --------------------------------------------------------------- sessions

    def create_session(self, database: str, template: protos.Session | None) -> SessionInfo:
        self.database(database)
        info = SessionInfo(
            name=f"{database}/sessions/{uuid.uuid4().hex}",
            database=database,
            multiplexed=bool(template.multiplexed) if template is not None else False,
            create_time=dt.datetime.now(UTC),
            labels=dict(template.labels) if template is not None else {},
            creator_role=template.creator_role if template is not None else "",
        )
        with self.lock:
            self.sessions[info.name] = info
        return info

    def session(self, name: str) -> tuple[SessionInfo, Database]:
        with self.lock:
            info = self.sessions.get(name)
        if info is None:
            m = _SESSION_NAME.match(name)
            if m and m.group(1) not in self.databases:
                raise NotFound(f"Database not found: {m.group(1)}")
            raise NotFound(f"Session not found: {name}")
        return info, self.database(info.database)

    def delete_session(self, name: str) -> None:
        with self.lock:
            if self.sessions.pop(name, None) is None:
                raise NotFound(f"Session not found: {name}")

    # --------------------------------------------------------------- operations

    def add_operation(self, op: protos.Operation) -> protos.Operation:
        with self.lock:
            self.operations[op.name] = op
        return op

    def close(self) -> None:
        with self.lock:
            for db in self.databases.values():
                db.close()


def _valid_layout(folder: Path, database_id: str | None = None) -> bool:
    """Whether a folder (and file stem) under the data dir spells valid ids; others are not ours."""
    ok = is_project_id(folder.parent.name) and is_instance_id(folder.name)
    if database_id is not None:
        ok = ok and is_database_id(database_id)
    return ok
