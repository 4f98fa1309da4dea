"""Types Spanner's PostgreSQL interface does not have are refused, as Spanner refuses them.

DuckDB, which runs spanner-local's PostgreSQL SQL, has some of them (BIT, for one), so a cast
like `('x' || h)::bit(48)` used to run here and fail only on Cloud Spanner.
"""

from __future__ import annotations

import pytest
from dbtools.spanner_local.typemap import PG_UNSUPPORTED_TYPES
from google.api_core import exceptions

CASTS = [
    ("SELECT ('x' || 'ff')::bit(8)::bigint", "bit"),
    ("SELECT '101'::varbit", "varbit"),
    ("SELECT '101'::bit varying(3)", "bit varying"),
    ("SELECT CAST('12.50' AS money)", "money"),
    ("SELECT cast('10.0.0.1' as INET)", "inet"),
    ("SELECT '10.0.0.0/8'::cidr", "cidr"),
    ("SELECT '08:00:2b:01:02:03'::macaddr", "macaddr"),
    ("SELECT '<a/>'::xml", "xml"),
    ("SELECT '(1,2)'::point", "point"),
    ("SELECT '12:00+01'::time with time zone", "time with time zone"),
    ("SELECT '{1,0}'::bit[]", "bit"),
    ("SELECT inet '10.0.0.1'", "inet"),
    ("SELECT CAST(CAST('1' AS text) AS bit(1))", "bit"),
    ("SELECT 1 WHERE 'ff'::bit(8) IS NOT NULL", "bit"),
]


@pytest.mark.parametrize(("sql", "name"), CASTS)
def test_cast_to_an_unsupported_type_is_invalid_argument(pg_spanner_db, sql, name) -> None:
    with pytest.raises(exceptions.InvalidArgument) as err:
        with pg_spanner_db.snapshot() as snap:
            list(snap.execute_sql(sql))
    assert f"Type <{name}> is not supported" in str(err.value)


def test_unsupported_cast_in_dml_is_invalid_argument(pg_spanner_db) -> None:
    pg_spanner_db.update_ddl(["CREATE TABLE t (id bigint PRIMARY KEY, s varchar)"]).result()

    def write(txn):
        txn.execute_update("INSERT INTO t (id, s) VALUES (1, ('1'::bit(1))::text)")

    with pytest.raises(exceptions.InvalidArgument, match="Type <bit> is not supported"):
        pg_spanner_db.run_in_transaction(write)
    with pg_spanner_db.snapshot() as snap:
        assert list(snap.execute_sql("SELECT count(*) FROM t")) == [[0]]


@pytest.mark.parametrize("name", ["bit", "varbit", "money", "inet", "xml", "point"])
def test_column_of_an_unsupported_type_is_invalid_argument(pg_spanner_db, name) -> None:
    ddl = [f"CREATE TABLE t (id bigint PRIMARY KEY, c {name})"]
    with pytest.raises(exceptions.InvalidArgument, match=f"Type <{name}> is not supported"):
        pg_spanner_db.update_ddl(ddl).result()
    with pg_spanner_db.snapshot() as snap:
        names = [r[0] for r in snap.execute_sql("SELECT table_name FROM information_schema.tables")]
    assert "t" not in names


def test_type_names_as_aliases_and_supported_casts_still_work(pg_spanner_db) -> None:
    sql = (
        "SELECT 1 AS bit, 'x' AS money, 2 AS point, CAST('7' AS bigint) AS inet,"
        " '1.5'::float8 AS xml, (strpos('0123456789abcdef', 'f') - 1) * 16 AS box"
    )
    with pg_spanner_db.snapshot() as snap:
        rows = list(snap.execute_sql(sql))
    assert rows == [[1, "x", 2, 7, 1.5, 240]]


def test_the_list_names_no_type_spanner_supports() -> None:
    supported = {"bigint", "int8", "boolean", "bytea", "date", "double precision", "float8"}
    supported |= {"real", "float4", "interval", "jsonb", "numeric", "text", "varchar"}
    supported |= {"timestamptz", "timestamp with time zone", "character varying"}
    assert not (PG_UNSUPPORTED_TYPES & supported)
