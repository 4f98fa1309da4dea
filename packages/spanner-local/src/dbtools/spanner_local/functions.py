"""Spanner SQL functions DuckDB lacks, registered as DuckDB scalar functions."""

from __future__ import annotations

import uuid

import duckdb
import farmhash
from duckdb.sqltypes import BIGINT, VARCHAR


def farm_fingerprint(value: str | None) -> int | None:
    """FARM_FINGERPRINT: FarmHash Fingerprint64 of the UTF-8 bytes, as a signed INT64."""
    if value is None:
        return None
    fp = int(farmhash.fingerprint64(value))
    return fp - (1 << 64) if fp >= 1 << 63 else fp


def generate_uuid() -> str:
    """GENERATE_UUID() / spanner.generate_uuid(): a random version 4 UUID as text."""
    return str(uuid.uuid4())


def register(conn: duckdb.DuckDBPyConnection) -> None:
    # side_effects: a fresh value per row, as Spanner gives for DEFAULT (GENERATE_UUID()) keys
    conn.create_function("generate_uuid", generate_uuid, [], VARCHAR, side_effects=True)
    conn.create_function(  # type: ignore[call-overload]  # the stubs reject the documented string flags
        "farm_fingerprint",
        farm_fingerprint,
        [VARCHAR],
        BIGINT,
        type="native",
        null_handling="special",
    )
