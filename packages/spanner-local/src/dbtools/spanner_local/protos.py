"""Raw protobuf message classes of the Spanner APIs.

The wheel of google-cloud-spanner ships them wrapped in proto-plus; the server works on the raw
classes underneath (``Wrapper.pb()``), which are several times faster to build and serialize.
"""

from __future__ import annotations

from typing import Any as _AnyType

from google.cloud.spanner_admin_database_v1.types import common as _db_common
from google.cloud.spanner_admin_database_v1.types import spanner_database_admin as _dba
from google.cloud.spanner_admin_instance_v1.types import spanner_instance_admin as _ia
from google.cloud.spanner_v1.types import commit_response as _commit
from google.cloud.spanner_v1.types import keys as _keys
from google.cloud.spanner_v1.types import mutation as _mutation
from google.cloud.spanner_v1.types import result_set as _rs
from google.cloud.spanner_v1.types import spanner as _sp
from google.cloud.spanner_v1.types import transaction as _tx
from google.cloud.spanner_v1.types import type as _type
from google.longrunning import operations_pb2
from google.protobuf import any_pb2, empty_pb2, struct_pb2, timestamp_pb2


def _raw(wrapper: _AnyType) -> _AnyType:
    return wrapper.pb()


# google.spanner.v1
Session = _raw(_sp.Session)
CreateSessionRequest = _raw(_sp.CreateSessionRequest)
BatchCreateSessionsRequest = _raw(_sp.BatchCreateSessionsRequest)
BatchCreateSessionsResponse = _raw(_sp.BatchCreateSessionsResponse)
GetSessionRequest = _raw(_sp.GetSessionRequest)
ListSessionsRequest = _raw(_sp.ListSessionsRequest)
ListSessionsResponse = _raw(_sp.ListSessionsResponse)
DeleteSessionRequest = _raw(_sp.DeleteSessionRequest)
ExecuteSqlRequest = _raw(_sp.ExecuteSqlRequest)
ExecuteBatchDmlRequest = _raw(_sp.ExecuteBatchDmlRequest)
ExecuteBatchDmlResponse = _raw(_sp.ExecuteBatchDmlResponse)
ReadRequest = _raw(_sp.ReadRequest)
BeginTransactionRequest = _raw(_sp.BeginTransactionRequest)
CommitRequest = _raw(_sp.CommitRequest)
RollbackRequest = _raw(_sp.RollbackRequest)
PartitionQueryRequest = _raw(_sp.PartitionQueryRequest)
PartitionReadRequest = _raw(_sp.PartitionReadRequest)
PartitionResponse = _raw(_sp.PartitionResponse)
BatchWriteRequest = _raw(_sp.BatchWriteRequest)
BatchWriteResponse = _raw(_sp.BatchWriteResponse)
CommitResponse = _raw(_commit.CommitResponse)
ResultSet = _raw(_rs.ResultSet)
PartialResultSet = _raw(_rs.PartialResultSet)
ResultSetMetadata = _raw(_rs.ResultSetMetadata)
ResultSetStats = _raw(_rs.ResultSetStats)
Transaction = _raw(_tx.Transaction)
TransactionOptions = _raw(_tx.TransactionOptions)
TransactionSelector = _raw(_tx.TransactionSelector)
Mutation = _raw(_mutation.Mutation)
KeySet = _raw(_keys.KeySet)
KeyRange = _raw(_keys.KeyRange)
Type = _raw(_type.Type)
StructType = _raw(_type.StructType)

# google.spanner.admin.database.v1
Database = _raw(_dba.Database)
CreateDatabaseRequest = _raw(_dba.CreateDatabaseRequest)
CreateDatabaseMetadata = _raw(_dba.CreateDatabaseMetadata)
GetDatabaseRequest = _raw(_dba.GetDatabaseRequest)
ListDatabasesRequest = _raw(_dba.ListDatabasesRequest)
ListDatabasesResponse = _raw(_dba.ListDatabasesResponse)
DropDatabaseRequest = _raw(_dba.DropDatabaseRequest)
UpdateDatabaseDdlRequest = _raw(_dba.UpdateDatabaseDdlRequest)
UpdateDatabaseDdlMetadata = _raw(_dba.UpdateDatabaseDdlMetadata)
GetDatabaseDdlRequest = _raw(_dba.GetDatabaseDdlRequest)
GetDatabaseDdlResponse = _raw(_dba.GetDatabaseDdlResponse)
UpdateDatabaseRequest = _raw(_dba.UpdateDatabaseRequest)
UpdateDatabaseMetadata = _raw(_dba.UpdateDatabaseMetadata)
ListDatabaseOperationsRequest = _raw(_dba.ListDatabaseOperationsRequest)
ListDatabaseOperationsResponse = _raw(_dba.ListDatabaseOperationsResponse)
DATABASE_DIALECT_GOOGLE_STANDARD_SQL: int = int(_db_common.DatabaseDialect.GOOGLE_STANDARD_SQL)
DATABASE_DIALECT_POSTGRESQL: int = int(_db_common.DatabaseDialect.POSTGRESQL)

# google.spanner.admin.instance.v1
Instance = _raw(_ia.Instance)
InstanceConfig = _raw(_ia.InstanceConfig)
GetInstanceRequest = _raw(_ia.GetInstanceRequest)
ListInstancesRequest = _raw(_ia.ListInstancesRequest)
ListInstancesResponse = _raw(_ia.ListInstancesResponse)
CreateInstanceRequest = _raw(_ia.CreateInstanceRequest)
CreateInstanceMetadata = _raw(_ia.CreateInstanceMetadata)
DeleteInstanceRequest = _raw(_ia.DeleteInstanceRequest)
UpdateInstanceRequest = _raw(_ia.UpdateInstanceRequest)
UpdateInstanceMetadata = _raw(_ia.UpdateInstanceMetadata)
GetInstanceConfigRequest = _raw(_ia.GetInstanceConfigRequest)
ListInstanceConfigsRequest = _raw(_ia.ListInstanceConfigsRequest)
ListInstanceConfigsResponse = _raw(_ia.ListInstanceConfigsResponse)

# google.longrunning and well-known types
Operation = operations_pb2.Operation
GetOperationRequest = operations_pb2.GetOperationRequest
ListOperationsRequest = operations_pb2.ListOperationsRequest
ListOperationsResponse = operations_pb2.ListOperationsResponse
CancelOperationRequest = operations_pb2.CancelOperationRequest
DeleteOperationRequest = operations_pb2.DeleteOperationRequest
WaitOperationRequest = operations_pb2.WaitOperationRequest
Any = any_pb2.Any
Empty = empty_pb2.Empty
Value = struct_pb2.Value
ListValue = struct_pb2.ListValue
Struct = struct_pb2.Struct
Timestamp = timestamp_pb2.Timestamp
NULL_VALUE = struct_pb2.NULL_VALUE
