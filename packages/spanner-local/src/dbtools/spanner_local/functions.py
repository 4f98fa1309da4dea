"""Spanner SQL functions DuckDB lacks, registered as DuckDB scalar functions."""

from __future__ import annotations

import duckdb
import farmhash
from duckdb.sqltypes import BIGINT, VARCHAR


def farm_fingerprint(value: str | None) -> int | None:
    """FARM_FINGERPRINT: FarmHash Fingerprint64 of the UTF-8 bytes, as a signed INT64."""
    if value is None:
        return None
    fp = int(farmhash.fingerprint64(value))
    return fp - (1 << 64) if fp >= 1 << 63 else fp


# PostgreSQL byte/text functions whose DuckDB namesakes differ in meaning; queries call them
# under these names (translate.PG_FUNCTIONS renames the calls).
PG_MACROS = (
    "CREATE OR REPLACE MACRO spanner_pg_encode(b, fmt) AS CASE lower(fmt) "
    "WHEN 'hex' THEN lower(hex(b)) WHEN 'base64' THEN to_base64(b) "
    "ELSE error('encoding ' || fmt || ' is not supported') END",
    "CREATE OR REPLACE MACRO spanner_pg_decode(s, fmt) AS CASE lower(fmt) "
    "WHEN 'hex' THEN unhex(s) WHEN 'base64' THEN from_base64(s) "
    "ELSE error('encoding ' || fmt || ' is not supported') END",
    "CREATE OR REPLACE MACRO spanner_pg_convert_to(s, enc) AS encode(s)",
    "CREATE OR REPLACE MACRO spanner_pg_convert_from(b, enc) AS decode(b)",
    "CREATE OR REPLACE MACRO spanner_pg_sha256(b) AS unhex(sha256(b))",
)


def register(conn: duckdb.DuckDBPyConnection, postgresql: bool = False) -> None:
    conn.create_function(  # type: ignore[call-overload]  # the stubs reject the documented string flags
        "farm_fingerprint",
        farm_fingerprint,
        [VARCHAR],
        BIGINT,
        type="native",
        null_handling="special",
    )
    if postgresql:
        for macro in PG_MACROS:
            conn.execute(macro)
