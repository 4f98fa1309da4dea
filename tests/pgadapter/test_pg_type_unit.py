"""pg_type as data, the drivers' pg_type look-ups, and reflection queries with inlined literals."""

from __future__ import annotations

from dbtools.pgadapter.catalog import answer_with_params
from dbtools.pgadapter.orm_catalog import literals_as_params
from dbtools.pgadapter.pg_type import BY_TYPE_OID, by_name


def test_types_and_their_arrays() -> None:
    jsonb = by_name("jsonb")
    assert jsonb is not None and (jsonb.oid, jsonb.typarray, jsonb.typinput) == (
        3802,
        3807,
        "jsonb_in",
    )
    arr = by_name("bigint[]")
    assert arr is not None and (arr.oid, arr.typname, arr.typelem) == (1016, "_int8", 20)
    assert by_name("pg_catalog.int8") is by_name("bigint") is BY_TYPE_OID[20]
    assert BY_TYPE_OID[1016].typinput == "array_in"
    assert by_name("hstore") is None
    assert by_name("interval") is BY_TYPE_OID[1186]  # query results can be intervals
    assert by_name("tsvector") is None


def test_psycopg_typeinfo_lookup() -> None:
    sql = (
        "SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype,"
        " typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype($1) ORDER BY t.oid"
    )
    found = answer_with_params(sql, {"p1": "jsonb"})
    assert found is not None and found.rows == [["jsonb", 3802, 3807, "jsonb", ","]]
    none = answer_with_params(sql, {"p1": "hstore"})
    assert none is not None and none.rows == []


def test_jdbc_lookups() -> None:
    by_typname = (
        "SELECT pg_type.oid, typname FROM pg_catalog.pg_type LEFT JOIN (select 1) as sp"
        " ON sp.nspoid = typnamespace WHERE typname = $1 ORDER BY sp.r, pg_type.oid DESC LIMIT 1"
    )
    assert answer_with_params(by_typname, {"p1": "jsonb"}).rows == [[3802, "jsonb"]]  # type: ignore[union-attr]
    assert answer_with_params(by_typname, {"p1": "bigint"}).rows == []  # type: ignore[union-attr]
    element = (
        "SELECT e.oid, n.nspname = ANY(current_schemas(true)), n.nspname, e.typname FROM"
        " pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid JOIN"
        " pg_catalog.pg_type e ON t.typelem = e.oid WHERE t.oid = $1"
    )
    assert answer_with_params(element, {"p1": 1009}).rows == [[25, True, "pg_catalog", "text"]]  # type: ignore[union-attr]


def test_ruby_pg_type_map_query_lists_every_type_with_its_input_function() -> None:
    sql = (
        "SELECT t.oid, t.typname, t.typelem, t.typdelim, ti.proname AS typinput\n"
        "FROM pg_type as t\nJOIN pg_proc as ti ON ti.oid = t.typinput"
    )
    result = answer_with_params(sql, None)
    assert result is not None
    by_oid = {r[0]: r for r in result.rows}
    assert by_oid[1009] == [1009, "_text", 25, ",", "array_in"]
    assert by_oid[869][1] == "inet"  # the map for queries needs it for IPAddr


def test_literals_as_params() -> None:
    sql, params = literals_as_params(
        "SELECT relname FROM pg_class WHERE relname IN ('x', 'it''s') AND relkind = ANY"
        " (ARRAY['r', 'p']) AND indrelid IN (12, 34)"
    )
    assert sql == (
        "SELECT relname FROM pg_class WHERE relname IN ($1, $2) AND relkind = ANY"
        " (ARRAY[$3, $4]) AND indrelid IN ($5, $6)"
    )
    assert params == {"p1": "x", "p2": "it's", "p3": "r", "p4": "p", "p5": 12, "p6": 34}


def test_sequelize_type_and_range_query() -> None:
    sql = (
        "WITH ranges AS (  SELECT pg_range.rngtypid, pg_type.typname AS rngtypname,"
        " pg_type.typarray AS rngtyparray, pg_range.rngsubtype FROM pg_range LEFT OUTER JOIN"
        " pg_type ON pg_type.oid = pg_range.rngtypid)SELECT pg_type.typname, pg_type.typtype,"
        " pg_type.oid, pg_type.typarray, ranges.rngtypname, ranges.rngtypid, ranges.rngtyparray"
        " FROM pg_type LEFT OUTER JOIN ranges ON pg_type.oid = ranges.rngsubtype"
        " WHERE (pg_type.typtype IN('b', 'e'));"
    )
    result = answer_with_params(sql, None)
    assert result is not None
    assert ["jsonb", "b", 3802, 3807, None, None, None] in result.rows
    assert all(r[4] is None for r in result.rows)  # no range types


def test_sequelize_show_index_and_describe_table() -> None:
    from dbtools.pgadapter.catalog import Catalog, Column, Index, Table
    from dbtools.pgadapter.node_catalog import answer_node_catalog

    cat = Catalog(
        "d",
        ["public"],
        [
            Table(
                "public",
                "items",
                1,
                "r",
                [
                    Column("id", 20, "bigint", True, None, 1),
                    Column("name", 1043, "character varying(50)", True, None, 2),
                    Column("tags", 1009, "text[]", False, None, 3),
                ],
                [
                    Index("items_pkey", 2, True, True, ["id"]),
                    Index("items_by_name", 3, False, False, ["name"]),
                ],
            )
        ],
    )
    show_index = (
        "SELECT i.relname AS name, ix.indisprimary AS primary, ix.indisunique AS unique,"
        " ix.indkey AS indkey, array_agg(a.attnum) as column_indexes, array_agg(a.attname) AS"
        " column_names FROM pg_class t, pg_class i, pg_index ix, pg_attribute a WHERE"
        " t.relkind = 'r' and t.relname = 'items' GROUP BY i.relname"
    )
    found = answer_node_catalog(show_index, lambda: cat)
    assert found is not None
    assert [r[:4] for r in found.rows] == [
        ["items_by_name", False, False, "2"],
        ["items_pkey", True, True, "1"],
    ]
    describe = (
        'SELECT pk.constraint_type as "Constraint",c.column_name as "Field", c.column_default'
        " FROM information_schema.columns c WHERE c.table_name = 'items' AND"
        " c.table_schema = 'public'"
    )
    found = answer_node_catalog(describe, lambda: cat)
    assert found is not None
    assert [r[:5] for r in found.rows] == [
        ["PRIMARY KEY", "id", None, "NO", "bigint"],
        [None, "name", None, "NO", "character varying(50)"],
        [None, "tags", None, "YES", "ARRAY"],
    ]
