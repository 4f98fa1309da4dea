"""Spanner SQL functions DuckDB lacks, registered as DuckDB scalar functions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import duckdb
import farmhash
from duckdb.sqltypes import BIGINT, BOOLEAN, VARCHAR

from . import pg_casts, pg_numeric, timestamps


def farm_fingerprint(value: str | None) -> int | None:
    """FARM_FINGERPRINT: FarmHash Fingerprint64 of the UTF-8 bytes, as a signed INT64."""
    if value is None:
        return None
    fp = int(farmhash.fingerprint64(value))
    return fp - (1 << 64) if fp >= 1 << 63 else fp


# PostgreSQL byte/text functions whose DuckDB namesakes differ in meaning; queries call them
# under these names (translate.PG_FUNCTIONS renames the calls).
PG_MACROS = (
    "CREATE MACRO spanner_pg_encode(b, fmt) AS CASE lower(fmt) "
    "WHEN 'hex' THEN lower(hex(b)) WHEN 'base64' THEN to_base64(b) "
    "ELSE error('encoding ' || fmt || ' is not supported') END",
    "CREATE MACRO spanner_pg_decode(s, fmt) AS CASE lower(fmt) "
    "WHEN 'hex' THEN unhex(s) WHEN 'base64' THEN from_base64(s) "
    "ELSE error('encoding ' || fmt || ' is not supported') END",
    "CREATE MACRO spanner_pg_convert_to(s, enc) AS encode(s)",
    "CREATE MACRO spanner_pg_convert_from(b, enc) AS decode(b)",
    "CREATE MACRO spanner_pg_sha256(b) AS unhex(sha256(b))",
    "CREATE MACRO spanner_pg_generate_uuid() AS CAST(gen_random_uuid() AS VARCHAR)",
    # PostgreSQL's jsonb_typeof names; DuckDB's json_type names its own types (UBIGINT, ...)
    "CREATE MACRO spanner_pg_jsonb_typeof(j) AS CASE WHEN j IS NULL THEN NULL "
    "ELSE CASE json_type(j) WHEN 'OBJECT' THEN 'object' WHEN 'ARRAY' THEN 'array' "
    "WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'boolean' WHEN 'NULL' THEN 'null' "
    "ELSE 'number' END END",
    # typeof is decided when the statement is bound: it tells arrays from jsonb
    "CREATE MACRO spanner_pg_contains(l, r) AS spanner_pg_contains_typed(typeof(l), "
    "CAST(CAST(l AS JSON) AS VARCHAR), CAST(CAST(r AS JSON) AS VARCHAR))",
)


def _jsonb_contains(left: Any, right: Any, top: bool = False) -> bool:
    """PostgreSQL's jsonb containment (`@>`): objects by key, arrays by element (order and
    duplicates ignored), scalars by equality; a top-level array also contains a scalar."""
    if isinstance(left, dict):
        return isinstance(right, dict) and all(
            k in left and _jsonb_contains(left[k], v) for k, v in right.items()
        )
    if isinstance(left, list):
        if not isinstance(right, list):
            return top and any(_jsonb_contains(item, right) for item in left)
        return all(any(_jsonb_contains(item, r) for item in left) for r in right)
    if isinstance(right, (dict, list)):
        return False
    return type(left) is type(right) and left == right


def _array_contains(left: list[Any], right: list[Any]) -> bool:
    """PostgreSQL's `anyarray @> anyarray`: every element of the right is in the left (no
    order, duplicates ignored); a NULL element equals nothing, so a right NULL is never found."""
    return all(r is not None and any(type(v) is type(r) and v == r for v in left) for r in right)


def pg_contains(left_type: str | None, left: str | None, right: str | None) -> bool | None:
    """`@>` for both operand kinds: arrays (a DuckDB list type, `typeof` ends in `[]`) and jsonb.
    Both operands arrive as JSON text, so one function serves both."""
    if left is None or right is None:
        return None
    if left_type is not None and left_type.endswith("[]"):
        return _array_contains(json.loads(left), json.loads(right))
    return _jsonb_contains(json.loads(left), json.loads(right), top=True)


def jsonb_exists(value: str | None, key: str | None) -> bool | None:
    """PostgreSQL's `jsonb ? text`: a top-level object key, or a string element of a top-level
    array, or the string itself."""
    if value is None or key is None:
        return None
    doc = json.loads(value)
    if isinstance(doc, dict):
        return key in doc
    if isinstance(doc, list):
        return any(isinstance(item, str) and item == key for item in doc)
    return isinstance(doc, str) and doc == key


def bit_reverse(counter: int | None) -> int | None:
    """Spanner's bit_reversed_positive sequences: the counter's 63 bits in reverse order."""
    if counter is None:
        return None
    return int(f"{counter & ((1 << 63) - 1):063b}"[::-1], 2)


def next_outside(counter: int, skip: tuple[int, int] | None) -> int:
    """The first counter from `counter` on whose bit-reversed value is outside `skip`."""
    if skip is not None:
        value = bit_reverse(counter)
        while value is not None and skip[0] <= value <= skip[1]:
            counter += 1
            value = bit_reverse(counter)
    return counter


def register(
    conn: duckdb.DuckDBPyConnection,
    postgresql: bool = False,
    database_id: str = "",
    sequence_value: Callable[[str, int], int] | None = None,
) -> None:
    conn.create_function(  # type: ignore[call-overload]  # the stubs reject the documented string flags
        "farm_fingerprint",
        farm_fingerprint,
        [VARCHAR],
        BIGINT,
        type="native",
        null_handling="special",
    )
    conn.create_function(  # type: ignore[call-overload]  # the stubs reject the string flags
        "spanner_bit_reverse",
        bit_reverse,
        [BIGINT],
        BIGINT,
        type="native",
        null_handling="special",
        side_effects=False,
    )
    if sequence_value is not None:
        conn.create_function(  # type: ignore[call-overload]  # the stubs reject the string flags
            "spanner_sequence_value",
            sequence_value,
            [VARCHAR, BIGINT],
            BIGINT,
            type="native",
            null_handling="special",
            side_effects=True,
        )
    macros = [
        *timestamps.MACROS,
        # the first spelling, kept for database files whose defaults still call it
        "CREATE MACRO spanner_next_sequence_value(name) AS spanner_bit_reverse(nextval(name))",
    ]
    if sequence_value is not None:
        # skip ranges and counter offsets live in Python (database.Database.sequence_value)
        macros.append(
            "CREATE MACRO spanner_sequence_next(name) AS spanner_sequence_value(name, nextval(name))"
        )
    if postgresql:
        for name, fn, arity in (
            ("spanner_pg_contains_typed", pg_contains, 3),
            ("spanner_pg_jsonb_exists", jsonb_exists, 2),
        ):
            conn.create_function(  # type: ignore[call-overload]  # the stubs reject the string flags
                name,
                fn,
                [VARCHAR] * arity,
                BOOLEAN,
                type="native",
                null_handling="special",
                side_effects=False,
            )
        conn.create_function(  # type: ignore[call-overload]  # the stubs reject the string flags
            pg_numeric.DIV_FUNCTION,
            pg_numeric.divide,
            [VARCHAR, VARCHAR],
            pg_numeric.QUOTIENT_TYPE,
            type="native",
            side_effects=False,
        )
        macros += PG_MACROS
        macros += pg_numeric.MACROS
        macros += pg_casts.MACROS  # calls pg_numeric's text macro
        quoted = database_id.replace("'", "''")
        macros += (
            "CREATE MACRO spanner_pg_version() AS "
            "'PostgreSQL 14.1 on x86_64-pc-linux-gnu (spanner-local)'",
            f"CREATE MACRO spanner_pg_current_database() AS '{quoted}'",
            "CREATE MACRO spanner_pg_current_schema() AS 'public'",
        )
    for macro in macros:
        _create_current(conn, macro)


def _create_current(conn: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Macros persist in database files: a file written by an older spanner-local gets today's
    definitions (an old CAST(ts AS STRING) printed UTC). DuckDB will not replace a macro that a
    column default or generated column calls; that one keeps its stored definition, which the
    column's values were computed with."""
    try:
        conn.execute(statement.replace("CREATE MACRO", "CREATE OR REPLACE MACRO", 1))
    except duckdb.DependencyException:
        pass
