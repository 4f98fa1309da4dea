"""DatabaseAdmin, the InstanceAdmin calls clients make, and google.longrunning.Operations.

Schema changes and database creation finish before the call returns, so every operation is
handed back already `done` (with its result or error); GetOperation serves them afterwards.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from typing import Any

import grpc
from google.rpc import status_pb2

from .. import codec, protos, versions
from ..codec import UTC
from ..ddl_parser import ProtoBundle
from ..errors import AlreadyExists, InvalidArgument, NotFound, SpannerLocalError
from ..registry import INSTANCE_CONFIG, Registry, parse_instance_name
from ..statement_log import StatementRecord
from ..typemap import GOOGLE_SQL, POSTGRESQL
from .base import MethodTable, generic_handler

DATABASE_SERVICE = "google.spanner.admin.database.v1.DatabaseAdmin"
INSTANCE_SERVICE = "google.spanner.admin.instance.v1.InstanceAdmin"
OPERATIONS_SERVICE = "google.longrunning.Operations"

_CREATE_DB = re.compile(
    r"^\s*CREATE\s+DATABASE\s+(`[^`]+`|\"[^\"]+\"|[A-Za-z0-9_\-]+)\s*;?\s*$", re.I
)
_DIALECTS = {
    0: GOOGLE_SQL,
    protos.DATABASE_DIALECT_GOOGLE_STANDARD_SQL: GOOGLE_SQL,
    protos.DATABASE_DIALECT_POSTGRESQL: POSTGRESQL,
}
_DIALECT_CODES = {
    GOOGLE_SQL: protos.DATABASE_DIALECT_GOOGLE_STANDARD_SQL,
    POSTGRESQL: protos.DATABASE_DIALECT_POSTGRESQL,
}


def _now_pb() -> protos.Timestamp:
    return codec.timestamp_to_pb(dt.datetime.now(UTC))


def _attach_descriptors(ops: list[Any], descriptors: bytes) -> None:
    """Proto bundle statements take their type definitions from the request."""
    for op in ops:
        if isinstance(op, ProtoBundle):
            op.descriptors = descriptors


def _pack(msg: Any) -> protos.Any:
    a = protos.Any()
    a.Pack(msg)
    return a


def _done_operation(
    name: str, metadata: Any, response: Any = None, error: SpannerLocalError | None = None
) -> protos.Operation:
    op = protos.Operation(name=name, done=True)
    op.metadata.CopyFrom(_pack(metadata))
    if error is not None:
        op.error.CopyFrom(status_pb2.Status(code=error.code.value[0], message=error.message))
    elif response is not None:
        op.response.CopyFrom(_pack(response))
    return op


class DatabaseAdminServicer:
    def __init__(self, registry: Registry) -> None:
        self.reg = registry

    def handler(self) -> grpc.GenericRpcHandler:
        p = protos
        methods: MethodTable = {
            "ListDatabases": (
                False,
                p.ListDatabasesRequest,
                p.ListDatabasesResponse,
                self.ListDatabases,
            ),
            "CreateDatabase": (False, p.CreateDatabaseRequest, p.Operation, self.CreateDatabase),
            "GetDatabase": (False, p.GetDatabaseRequest, p.Database, self.GetDatabase),
            "UpdateDatabase": (False, p.UpdateDatabaseRequest, p.Operation, self.UpdateDatabase),
            "UpdateDatabaseDdl": (
                False,
                p.UpdateDatabaseDdlRequest,
                p.Operation,
                self.UpdateDatabaseDdl,
            ),
            "DropDatabase": (False, p.DropDatabaseRequest, p.Empty, self.DropDatabase),
            "GetDatabaseDdl": (
                False,
                p.GetDatabaseDdlRequest,
                p.GetDatabaseDdlResponse,
                self.GetDatabaseDdl,
            ),
            "ListDatabaseOperations": (
                False,
                p.ListDatabaseOperationsRequest,
                p.ListDatabaseOperationsResponse,
                self.ListDatabaseOperations,
            ),
        }
        return generic_handler(DATABASE_SERVICE, methods)

    def _database_pb(self, name: str) -> protos.Database:
        db = self.reg.database(name)
        pb = protos.Database(name=db.name, state=2, database_dialect=_DIALECT_CODES[db.dialect])
        pb.create_time.CopyFrom(codec.timestamp_to_pb(db.create_time))
        # The earliest time a read can be served at: the history begins when the database
        # was opened, and versions older than the retention period are dropped.
        earliest = max(db.versions.since, db.clock.now() - db.versions.retention)
        pb.earliest_version_time.CopyFrom(codec.timestamp_to_pb(earliest))
        pb.version_retention_period = versions.format_period(db.versions.retention)
        pb.default_leader = ""
        return pb

    def ListDatabases(
        self, req: protos.ListDatabasesRequest, ctx: Any
    ) -> protos.ListDatabasesResponse:
        parse_instance_name(req.parent)
        self.reg.ensure_instance(req.parent)
        resp = protos.ListDatabasesResponse()
        with self.reg.lock:
            names = sorted(
                n for n in self.reg.databases if n.startswith(req.parent + "/databases/")
            )
        for n in names:
            resp.databases.append(self._database_pb(n))
        return resp

    def CreateDatabase(self, req: protos.CreateDatabaseRequest, ctx: Any) -> protos.Operation:
        m = _CREATE_DB.match(req.create_statement)
        if not m:
            raise InvalidArgument(
                f"Invalid create statement: {req.create_statement!r}. Expected CREATE DATABASE <name>."
            )
        database_id = m.group(1).strip('`"')
        dialect = _DIALECTS.get(req.database_dialect, GOOGLE_SQL)
        parse_instance_name(req.parent)
        name = f"{req.parent}/databases/{database_id}"
        self.reg.create_database(
            req.parent,
            database_id,
            dialect,
            list(req.extra_statements),
            prepare=lambda ops: _attach_descriptors(ops, req.proto_descriptors),
        )
        meta = protos.CreateDatabaseMetadata(database=name)
        op_name = f"{name}/operations/_auto_{uuid.uuid4().hex[:12]}"
        return self.reg.add_operation(_done_operation(op_name, meta, self._database_pb(name)))

    def GetDatabase(self, req: protos.GetDatabaseRequest, ctx: Any) -> protos.Database:
        return self._database_pb(req.name)

    def UpdateDatabase(self, req: protos.UpdateDatabaseRequest, ctx: Any) -> protos.Operation:
        name = req.database.name
        self.reg.database(name)
        meta = protos.UpdateDatabaseMetadata()
        meta.request.CopyFrom(req)
        op_name = f"{name}/operations/_auto_{uuid.uuid4().hex[:12]}"
        pb = self._database_pb(name)
        pb.enable_drop_protection = req.database.enable_drop_protection
        return self.reg.add_operation(_done_operation(op_name, meta, pb))

    def UpdateDatabaseDdl(self, req: protos.UpdateDatabaseDdlRequest, ctx: Any) -> protos.Operation:
        db = self.reg.database(req.database)
        statements = list(req.statements)
        if not statements:
            raise InvalidArgument("No statements in UpdateDatabaseDdl request.")
        op_id = req.operation_id or f"_auto_{uuid.uuid4().hex[:12]}"
        op_name = f"{db.name}/operations/{op_id}"
        if op_name in self.reg.operations:
            raise AlreadyExists(f"Operation already exists: {op_name}")
        for text in statements:
            self.reg.log.append(StatementRecord(kind="ddl", database=db.name, sql=text))
        ops = db.parse_ddl(statements)  # syntax errors answer the call itself
        _attach_descriptors(ops, req.proto_descriptors)
        stamps, err = db.apply_ddl(ops)
        meta = protos.UpdateDatabaseDdlMetadata(database=db.name, statements=statements)
        for ts in stamps:
            meta.commit_timestamps.append(codec.timestamp_to_pb(ts))
        meta.progress.add()  # one progress entry per statement, as Spanner reports
        del meta.progress[:]
        for _ in statements:
            p = meta.progress.add()
            p.progress_percent = 100
            p.start_time.CopyFrom(_now_pb())
            p.end_time.CopyFrom(_now_pb())
        return self.reg.add_operation(_done_operation(op_name, meta, protos.Empty(), err))

    def DropDatabase(self, req: protos.DropDatabaseRequest, ctx: Any) -> protos.Empty:
        self.reg.drop_database(req.database)
        return protos.Empty()

    def GetDatabaseDdl(
        self, req: protos.GetDatabaseDdlRequest, ctx: Any
    ) -> protos.GetDatabaseDdlResponse:
        db = self.reg.database(req.database)
        return protos.GetDatabaseDdlResponse(
            statements=db.ddl_statements(),
            proto_descriptors=base64.b64decode(db.catalog.proto_descriptors),
        )

    def ListDatabaseOperations(
        self, req: protos.ListDatabaseOperationsRequest, ctx: Any
    ) -> protos.ListDatabaseOperationsResponse:
        resp = protos.ListDatabaseOperationsResponse()
        with self.reg.lock:
            ops = [
                op
                for name, op in self.reg.operations.items()
                if name.startswith(req.parent + "/databases/")
            ]
        resp.operations.extend(ops)
        return resp


class InstanceAdminServicer:
    def __init__(self, registry: Registry) -> None:
        self.reg = registry

    def handler(self) -> grpc.GenericRpcHandler:
        p = protos
        methods: MethodTable = {
            "GetInstance": (False, p.GetInstanceRequest, p.Instance, self.GetInstance),
            "ListInstances": (
                False,
                p.ListInstancesRequest,
                p.ListInstancesResponse,
                self.ListInstances,
            ),
            "CreateInstance": (False, p.CreateInstanceRequest, p.Operation, self.CreateInstance),
            "UpdateInstance": (False, p.UpdateInstanceRequest, p.Operation, self.UpdateInstance),
            "DeleteInstance": (False, p.DeleteInstanceRequest, p.Empty, self.DeleteInstance),
            "GetInstanceConfig": (
                False,
                p.GetInstanceConfigRequest,
                p.InstanceConfig,
                self.GetInstanceConfig,
            ),
            "ListInstanceConfigs": (
                False,
                p.ListInstanceConfigsRequest,
                p.ListInstanceConfigsResponse,
                self.ListInstanceConfigs,
            ),
        }
        return generic_handler(INSTANCE_SERVICE, methods)

    def GetInstance(self, req: protos.GetInstanceRequest, ctx: Any) -> protos.Instance:
        # Any instance a client asks for exists: it is created on first reference.
        return self.reg.ensure_instance(req.name).to_pb()

    def ListInstances(
        self, req: protos.ListInstancesRequest, ctx: Any
    ) -> protos.ListInstancesResponse:
        resp = protos.ListInstancesResponse()
        with self.reg.lock:
            infos = [
                i for n, i in sorted(self.reg.instances.items()) if n.startswith(req.parent + "/")
            ]
        for info in infos:
            resp.instances.append(info.to_pb())
        return resp

    def CreateInstance(self, req: protos.CreateInstanceRequest, ctx: Any) -> protos.Operation:
        name = f"{req.parent}/instances/{req.instance_id}"
        parse_instance_name(name)
        info = self.reg.create_instance(name, req.instance)
        meta = protos.CreateInstanceMetadata()
        meta.instance.CopyFrom(info.to_pb())
        meta.start_time.CopyFrom(_now_pb())
        meta.end_time.CopyFrom(_now_pb())
        op_name = f"{name}/operations/_auto_{uuid.uuid4().hex[:12]}"
        return self.reg.add_operation(_done_operation(op_name, meta, info.to_pb()))

    def UpdateInstance(self, req: protos.UpdateInstanceRequest, ctx: Any) -> protos.Operation:
        info = self.reg.ensure_instance(req.instance.name)
        if req.instance.display_name:
            info.display_name = req.instance.display_name
        if req.instance.node_count:
            info.node_count = req.instance.node_count
        meta = protos.UpdateInstanceMetadata()
        meta.instance.CopyFrom(info.to_pb())
        op_name = f"{info.name}/operations/_auto_{uuid.uuid4().hex[:12]}"
        return self.reg.add_operation(_done_operation(op_name, meta, info.to_pb()))

    def DeleteInstance(self, req: protos.DeleteInstanceRequest, ctx: Any) -> protos.Empty:
        self.reg.delete_instance(req.name)
        return protos.Empty()

    def _config(self, project: str) -> protos.InstanceConfig:
        pb = protos.InstanceConfig(
            name=f"projects/{project}/instanceConfigs/{INSTANCE_CONFIG}",
            display_name="spanner-local instance config",
        )
        return pb

    def GetInstanceConfig(
        self, req: protos.GetInstanceConfigRequest, ctx: Any
    ) -> protos.InstanceConfig:
        parts = req.name.split("/")
        if len(parts) != 4 or parts[3] != INSTANCE_CONFIG:
            raise NotFound(f"Instance config not found: {req.name}")
        return self._config(parts[1])

    def ListInstanceConfigs(
        self, req: protos.ListInstanceConfigsRequest, ctx: Any
    ) -> protos.ListInstanceConfigsResponse:
        resp = protos.ListInstanceConfigsResponse()
        resp.instance_configs.append(self._config(req.parent.split("/")[-1]))
        return resp


class OperationsServicer:
    def __init__(self, registry: Registry) -> None:
        self.reg = registry

    def handler(self) -> grpc.GenericRpcHandler:
        p = protos
        methods: MethodTable = {
            "GetOperation": (False, p.GetOperationRequest, p.Operation, self.GetOperation),
            "ListOperations": (
                False,
                p.ListOperationsRequest,
                p.ListOperationsResponse,
                self.ListOperations,
            ),
            "CancelOperation": (False, p.CancelOperationRequest, p.Empty, self.CancelOperation),
            "DeleteOperation": (False, p.DeleteOperationRequest, p.Empty, self.DeleteOperation),
            "WaitOperation": (False, p.WaitOperationRequest, p.Operation, self.WaitOperation),
        }
        return generic_handler(OPERATIONS_SERVICE, methods)

    def _get(self, name: str) -> protos.Operation:
        with self.reg.lock:
            op = self.reg.operations.get(name)
        if op is None:
            raise NotFound(f"Operation not found: {name}")
        return op

    def GetOperation(self, req: protos.GetOperationRequest, ctx: Any) -> protos.Operation:
        return self._get(req.name)

    def WaitOperation(self, req: protos.WaitOperationRequest, ctx: Any) -> protos.Operation:
        return self._get(req.name)

    def ListOperations(
        self, req: protos.ListOperationsRequest, ctx: Any
    ) -> protos.ListOperationsResponse:
        resp = protos.ListOperationsResponse()
        with self.reg.lock:
            ops = [op for n, op in self.reg.operations.items() if n.startswith(req.name)]
        resp.operations.extend(ops)
        return resp

    def CancelOperation(self, req: protos.CancelOperationRequest, ctx: Any) -> protos.Empty:
        self._get(req.name)  # every operation is already done: nothing to cancel
        return protos.Empty()

    def DeleteOperation(self, req: protos.DeleteOperationRequest, ctx: Any) -> protos.Empty:
        with self.reg.lock:
            if self.reg.operations.pop(req.name, None) is None:
                raise NotFound(f"Operation not found: {req.name}")
        return protos.Empty()


__all__ = ["DatabaseAdminServicer", "InstanceAdminServicer", "OperationsServicer"]
