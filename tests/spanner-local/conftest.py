"""Fixtures for spanner-local tests.

Behaviour tests take the `target` fixture, which is spanner-local and, when
SPANNER_EMULATOR_HOST is set, also the official emulator: the same assertions run against both,
so a difference in behaviour shows up as a failing test. Only the emulator variant is ever
skipped (when the variable is unset).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dbtools import spanner_local
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import spanner
from google.cloud.spanner_admin_database_v1 import DatabaseDialect

PROJECT = "test-project"
INSTANCE = "test-instance"
EMULATOR_HOST = os.environ.get("SPANNER_EMULATOR_HOST")


@dataclass
class Target:
    """A Spanner to test against: spanner-local (with its endpoint) or the official emulator."""

    name: str
    address: str
    client: Any
    instance: Any
    endpoint: spanner_local.Endpoint | None

    @property
    def is_local(self) -> bool:
        return self.endpoint is not None

    def new_database(
        self, dialect: str = "GOOGLE_STANDARD_SQL", ddl: list[str] | None = None
    ) -> Any:
        db_id = "t" + uuid.uuid4().hex[:20]
        if dialect == "POSTGRESQL":
            db = self.instance.database(db_id, database_dialect=DatabaseDialect.POSTGRESQL)
            db.create().result(60)
            if ddl:
                db.update_ddl(ddl).result(60)
        else:
            db = self.instance.database(db_id, ddl_statements=ddl or [])
            db.create().result(60)
        return db


def make_client(address: str, project: str = PROJECT) -> Any:
    return spanner.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": address},
        disable_builtin_metrics=True,
    )


@pytest.fixture(scope="session")
def local_server() -> Iterator[spanner_local.Endpoint]:
    with spanner_local.serve(project=PROJECT, instance=INSTANCE) as endpoint:
        yield endpoint


@pytest.fixture(scope="session", params=["spanner-local", "emulator"])
def target(request: pytest.FixtureRequest, local_server: spanner_local.Endpoint) -> Target:
    if request.param == "spanner-local":
        client = local_server.client()
        return Target(
            "spanner-local", local_server.address, client, client.instance(INSTANCE), local_server
        )
    if not EMULATOR_HOST:
        pytest.skip("SPANNER_EMULATOR_HOST is not set: no official emulator to compare with")
    client = make_client(EMULATOR_HOST)
    instance = client.instance(
        INSTANCE,
        configuration_name=f"projects/{PROJECT}/instanceConfigs/emulator-config",
        node_count=1,
    )
    if not instance.exists():
        try:
            instance.create().result(60)
        except exceptions.AlreadyExists:
            pass
    return Target("emulator", EMULATOR_HOST, client, instance, None)


@pytest.fixture
def local(local_server: spanner_local.Endpoint) -> Target:
    """spanner-local only (tests of its own features: statement log, persistence, CLI)."""
    client = local_server.client()
    return Target(
        "spanner-local", local_server.address, client, client.instance(INSTANCE), local_server
    )


def _drop(db: Any) -> None:
    try:
        db.drop()
    except exceptions.NotFound:
        pass


@pytest.fixture
def gsql_db(target: Target) -> Iterator[Any]:
    db = target.new_database()
    yield db
    _drop(db)


@pytest.fixture
def pg_spanner_db(target: Target) -> Iterator[Any]:
    db = target.new_database("POSTGRESQL")
    yield db
    _drop(db)


@pytest.fixture(params=["GOOGLE_STANDARD_SQL", "POSTGRESQL"])
def any_db(request: pytest.FixtureRequest, target: Target) -> Iterator[Any]:
    db = target.new_database(request.param)
    db.dialect_name = request.param
    yield db
    _drop(db)


def commit_mutation_count(db: Any, work: Any) -> int:
    """Run `work(transaction)` in a read/write transaction that asks for commit stats; the
    mutation count Spanner reported for its commit."""
    seen: dict[str, Any] = {}

    def capture(txn: Any) -> None:
        work(txn)
        seen["txn"] = txn

    db.log_commit_stats = True
    try:
        db.run_in_transaction(capture)
    finally:
        db.log_commit_stats = False
    return int(seen["txn"].commit_stats.mutation_count)
