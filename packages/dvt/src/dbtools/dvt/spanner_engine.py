"""Cloud Spanner through the official google-cloud-spanner client (both dialects).

URL: `spanner:///projects/P/instances/I/databases/D`; add `?emulator_host=HOST:PORT` (or set
SPANNER_EMULATOR_HOST) for the emulator or spanner-local (plain text, no credentials), or
`?endpoint=HOST:PORT` for another authenticated Spanner API endpoint (TLS, the application
default credentials), as spanner-migrate's --endpoint. Reads use single-use strong snapshots;
results stream from the server as they are fetched.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from typing import Any

from .connections import ConnSpec
from .dialects import get_dialect
from .dialects import spanner as sp_sql
from .engines import Engine, Row, split_table
from .errors import ConnectError, ConnectionSpecError, IntrospectionError, QueryError
from .timeouts import connect_hint
from .types import Column, make_column

_PATH = re.compile(r"^projects/([^/]+)/instances/([^/]+)/databases/([^/?]+)$")
_CLIENTS: dict[tuple[str, str | None], Any] = {}
_LOCK = threading.Lock()

# Result-set type codes → the type names parse_type understands.
_TYPE_NAMES = {
    "INT64": "INT64",
    "FLOAT64": "FLOAT64",
    "FLOAT32": "FLOAT32",
    "BOOL": "BOOL",
    "STRING": "STRING",
    "BYTES": "BYTES",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "NUMERIC": "NUMERIC",
    "JSON": "JSON",
}


def _parse_path(spec: ConnSpec) -> tuple[str, str, str]:
    path = spec.url.split("://", 1)[1].split("?", 1)[0].lstrip("/")
    m = _PATH.match(path)
    if not m:
        raise ConnectionSpecError(
            f"{spec.url!r}: a Spanner URL looks like spanner:///projects/P/instances/I/databases/D"
            " (add ?emulator_host=127.0.0.1:9010 for the emulator or spanner-local)"
        )
    return m.group(1), m.group(2), m.group(3)


class SpannerEngine(Engine):
    batch_rows = 20_000

    def __init__(self, spec: ConnSpec) -> None:
        super().__init__(spec)  # the dialect is set below, once the database's is known
        self.project, self.instance_id, self.database_id = _parse_path(spec)
        self.api_endpoint = spec.query.get("endpoint")
        if self.api_endpoint and spec.query.get("emulator_host"):
            raise ConnectionSpecError(f"{spec.display}: give emulator_host or endpoint, not both")
        # an explicit endpoint wins over SPANNER_EMULATOR_HOST from the environment
        self.emulator = spec.query.get("emulator_host") or (
            None if self.api_endpoint else os.environ.get("SPANNER_EMULATOR_HOST")
        )
        self._db: Any = None
        self.dialect = get_dialect("spanner_pg" if self._is_pg() else "spanner")

    def _client(self) -> Any:
        from google.cloud import spanner

        key = (self.project, self.emulator or self.api_endpoint)
        with _LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                if self.emulator:
                    from google.auth.credentials import AnonymousCredentials

                    client = spanner.Client(
                        project=self.project,
                        credentials=AnonymousCredentials(),
                        client_options={"api_endpoint": self.emulator},
                        disable_builtin_metrics=True,
                    )
                elif self.api_endpoint:
                    client = spanner.Client(
                        project=self.project,
                        client_options={"api_endpoint": self.api_endpoint},
                        disable_builtin_metrics=True,
                    )
                else:
                    client = spanner.Client(project=self.project)
                _CLIENTS[key] = client
            return client

    @property
    def endpoint(self) -> str:
        return self.emulator or self.api_endpoint or "spanner.googleapis.com:443"

    def database(self) -> Any:
        """The database handle, after one bounded call that proves Spanner answers.

        The client library would retry an unreachable endpoint for minutes; this call has the
        connect timeout and no retry, so a wrong address fails fast and says so."""
        if self._db is None:
            from google.api_core import exceptions as gexc

            name = (
                f"projects/{self.project}/instances/{self.instance_id}/databases/{self.database_id}"
            )
            limit = self.spec.timeouts.connect
            try:
                client = self._client()  # credentials are looked up here
                info = client.database_admin_api.get_database(name=name, timeout=limit, retry=None)
            except gexc.DeadlineExceeded as exc:
                raise ConnectError(
                    f"cannot connect to {self.spec.display} (Spanner at {self.endpoint}): "
                    + connect_hint(self.spec.timeouts)
                ) from exc
            except gexc.NotFound as exc:
                raise ConnectError(
                    f"Spanner database {name} not found at {self.endpoint}: check the project, "
                    "instance and database names"
                ) from exc
            except gexc.GoogleAPICallError as exc:
                raise ConnectError(
                    f"cannot connect to {self.spec.display} (Spanner at {self.endpoint}): "
                    f"{exc.message or exc}; check that Spanner (or the emulator) is running "
                    "there and reachable"
                ) from exc
            except Exception as exc:  # credentials, DNS: the client's own words
                raise ConnectError(
                    f"cannot open Spanner database {self.spec.display}: {exc}"
                ) from exc
            instance = client.instance(self.instance_id)
            self._db = instance.database(self.database_id, database_dialect=info.database_dialect)
        return self._db

    def _timed_out(self, exc: BaseException) -> bool:
        from google.api_core import exceptions as gexc

        return isinstance(exc, gexc.DeadlineExceeded)

    def _is_pg(self) -> bool:
        from google.cloud.spanner_admin_database_v1.types import DatabaseDialect

        return bool(self.database().database_dialect == DatabaseDialect.POSTGRESQL)

    def connect(self) -> Any:
        raise NotImplementedError("Spanner has no DB-API connection here; use query/stream")

    def _params(
        self, params: tuple[Any, ...] | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        if params is None:
            return None, None
        from google.cloud.spanner_v1 import param_types

        if self.dialect.name == "spanner_pg":
            names = [f"p{i + 1}" for i in range(len(params))]
        else:
            names = ["schema", "table"][: len(params)]
        return dict(zip(names, params, strict=True)), {n: param_types.STRING for n in names}

    def query(self, sql: str, params: tuple[Any, ...] | None = None) -> list[Row]:
        p, types = self._params(params)
        try:
            with self.database().snapshot() as snap:
                rows = snap.execute_sql(
                    sql, params=p, param_types=types, timeout=self.spec.timeouts.query
                )
                return [tuple(r) for r in rows]
        except QueryError:
            raise
        except Exception as exc:
            raise QueryError(self._explain(exc, sql)) from exc

    def query_described(self, sql: str) -> tuple[list[str], list[Row]]:
        try:
            with self.database().snapshot() as snap:
                result = snap.execute_sql(sql, timeout=self.spec.timeouts.query)
                rows = [tuple(r) for r in result]
                return [f.name for f in result.fields], rows
        except QueryError:
            raise
        except Exception as exc:
            raise QueryError(self._explain(exc, sql)) from exc

    def stream(self, sql: str) -> Iterator[list[Row]]:
        try:
            with self.database().snapshot() as snap:
                batch: list[Row] = []
                for row in snap.execute_sql(sql, timeout=self.spec.timeouts.query):
                    batch.append(tuple(row))
                    if len(batch) >= self.batch_rows:
                        yield batch
                        batch = []
                if batch:
                    yield batch
        except QueryError:
            raise
        except Exception as exc:
            raise QueryError(self._explain(exc, sql)) from exc

    def _schema_table(self, table: str) -> tuple[str, str]:
        schema, name = split_table(table)
        default = "public" if self.dialect.name == "spanner_pg" else ""
        return schema or default, name

    def tables(self) -> list[str]:
        pg = self.dialect.name == "spanner_pg"
        return [
            str(r[0]) for r in self.query(sp_sql.PG_TABLES_SQL if pg else sp_sql.GSQL_TABLES_SQL)
        ]

    def columns(self, table: str) -> list[Column]:
        sql = (
            sp_sql.PG_COLUMNS_SQL if self.dialect.name == "spanner_pg" else sp_sql.GSQL_COLUMNS_SQL
        )
        rows = self.query(sql, self._schema_table(table))
        if not rows:
            raise IntrospectionError(f"table {table!r} not found in {self.spec.display}")
        return [make_column("spanner", n, t, bool(nl)) for n, t, nl in rows]

    def primary_key(self, table: str) -> list[str]:
        sql = (
            sp_sql.PG_PRIMARY_KEY_SQL
            if self.dialect.name == "spanner_pg"
            else sp_sql.GSQL_PRIMARY_KEY_SQL
        )
        return [r[0] for r in self.query(sql, self._schema_table(table))]

    def query_columns(self, sql: str) -> list[Column]:
        try:
            with self.database().snapshot() as snap:
                result = snap.execute_sql(
                    f"SELECT * FROM ({sql}) AS dvt_q LIMIT 0", timeout=self.spec.timeouts.query
                )
                list(result)
                fields = result.fields
        except QueryError:
            raise
        except Exception as exc:
            raise QueryError(self._explain(exc, sql)) from exc
        out = []
        for f in fields:
            code = f.type_.code.name
            out.append(make_column("spanner", f.name, _TYPE_NAMES.get(code, code)))
        return out
