"""information_schema as Spanner answers it, in both dialects."""

from __future__ import annotations

import pytest
from google.cloud.spanner_v1 import param_types

GSQL = [
    "CREATE TABLE Singers (SingerId INT64 NOT NULL, Name STRING(1024), Tags ARRAY<STRING(MAX)>) PRIMARY KEY (SingerId)",
    "CREATE TABLE Albums (SingerId INT64 NOT NULL, AlbumId INT64 NOT NULL, Title STRING(MAX)) "
    "PRIMARY KEY (SingerId, AlbumId DESC), INTERLEAVE IN PARENT Singers ON DELETE CASCADE",
    "CREATE UNIQUE INDEX AlbumsByTitle ON Albums(Title) STORING (AlbumId)",
    "CREATE TABLE Fans (FanId INT64 NOT NULL, SingerId INT64, "
    "CONSTRAINT FK_FanSinger FOREIGN KEY (SingerId) REFERENCES Singers (SingerId)) PRIMARY KEY (FanId)",
]
PG = [
    "create table singers (singer_id bigint primary key, name varchar(1024), tags text[])",
    "create table albums (singer_id bigint not null, album_id bigint not null, title varchar, "
    "primary key (singer_id, album_id)) interleave in parent singers on delete cascade",
    "create unique index albums_by_title on albums (title) include (album_id)",
    "create table fans (fan_id bigint primary key, singer_id bigint, "
    "constraint fk_fan_singer foreign key (singer_id) references singers (singer_id))",
]


def _q(db, sql, **kw):
    with db.snapshot() as s:
        return list(s.execute_sql(sql, **kw))


@pytest.fixture
def gdb(gsql_db):
    gsql_db.update_ddl(GSQL).result(60)
    return gsql_db


@pytest.fixture
def pdb(pg_spanner_db):
    pg_spanner_db.update_ddl(PG).result(60)
    return pg_spanner_db


def test_gsql_tables(gdb):
    rows = _q(
        gdb,
        "SELECT TABLE_NAME, PARENT_TABLE_NAME, ON_DELETE_ACTION, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES "
        "WHERE TABLE_SCHEMA = '' ORDER BY TABLE_NAME",
    )
    assert rows == [
        ["Albums", "Singers", "CASCADE", "BASE TABLE"],
        ["Fans", None, None, "BASE TABLE"],
        ["Singers", None, None, "BASE TABLE"],
    ]


def test_gsql_columns(gdb):
    rows = _q(
        gdb,
        "SELECT COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, SPANNER_TYPE FROM INFORMATION_SCHEMA.COLUMNS "
        "WHERE TABLE_SCHEMA = '' AND TABLE_NAME = @t ORDER BY ORDINAL_POSITION",
        params={"t": "Singers"},
        param_types={"t": param_types.STRING},
    )
    assert rows == [
        ["SingerId", 1, "NO", "INT64"],
        ["Name", 2, "YES", "STRING(1024)"],
        ["Tags", 3, "YES", "ARRAY<STRING(MAX)>"],
    ]


def test_gsql_indexes_and_index_columns(gdb):
    rows = _q(
        gdb,
        "SELECT TABLE_NAME, INDEX_NAME, INDEX_TYPE, IS_UNIQUE FROM INFORMATION_SCHEMA.INDEXES "
        "WHERE TABLE_SCHEMA = '' ORDER BY TABLE_NAME, INDEX_NAME",
    )
    assert ["Albums", "AlbumsByTitle", "INDEX", True] in rows
    assert ["Albums", "PRIMARY_KEY", "PRIMARY_KEY", True] in rows
    cols = _q(
        gdb,
        "SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_ORDERING FROM INFORMATION_SCHEMA.INDEX_COLUMNS "
        "WHERE TABLE_NAME = 'Albums' AND INDEX_NAME = 'PRIMARY_KEY' ORDER BY ORDINAL_POSITION",
    )
    assert cols == [["SingerId", 1, "ASC"], ["AlbumId", 2, "DESC"]]
    storing = _q(
        gdb,
        "SELECT COLUMN_NAME, ORDINAL_POSITION FROM INFORMATION_SCHEMA.INDEX_COLUMNS "
        "WHERE INDEX_NAME = 'AlbumsByTitle' ORDER BY COLUMN_NAME",
    )
    assert storing == [["AlbumId", None], ["Title", 1]]


def test_gsql_constraints(gdb):
    tc = _q(
        gdb,
        "SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS "
        "WHERE TABLE_NAME = 'Fans' ORDER BY CONSTRAINT_NAME",
    )
    assert ["FK_FanSinger", "FOREIGN KEY"] in tc
    assert ["PK_Fans", "PRIMARY KEY"] in tc
    rc = _q(
        gdb,
        "SELECT CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, DELETE_RULE FROM INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS",
    )
    assert rc == [["FK_FanSinger", "PK_Singers", "NO ACTION"]]
    kcu = _q(
        gdb,
        "SELECT COLUMN_NAME, ORDINAL_POSITION FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE "
        "WHERE CONSTRAINT_NAME = 'FK_FanSinger'",
    )
    assert kcu == [["SingerId", 1]]


def test_gsql_constraint_column_usage(gdb):
    """As the emulator fills it: key columns, NOT NULL and CHECK columns, and the columns a
    foreign key references (listed under the referenced table)."""
    gdb.update_ddl(
        ["ALTER TABLE Fans ADD CONSTRAINT CK_FanId CHECK (FanId > 0 AND FanId < 1000000)"]
    ).result(60)
    rows = _q(
        gdb,
        "SELECT TABLE_NAME, COLUMN_NAME, CONSTRAINT_NAME "
        "FROM INFORMATION_SCHEMA.CONSTRAINT_COLUMN_USAGE WHERE TABLE_SCHEMA = '' "
        "ORDER BY CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME",
    )
    assert rows == [
        ["Fans", "FanId", "CK_FanId"],
        ["Albums", "AlbumId", "CK_IS_NOT_NULL_Albums_AlbumId"],
        ["Albums", "SingerId", "CK_IS_NOT_NULL_Albums_SingerId"],
        ["Fans", "FanId", "CK_IS_NOT_NULL_Fans_FanId"],
        ["Singers", "SingerId", "CK_IS_NOT_NULL_Singers_SingerId"],
        ["Singers", "SingerId", "FK_FanSinger"],
        ["Albums", "AlbumId", "PK_Albums"],
        ["Albums", "SingerId", "PK_Albums"],
        ["Fans", "FanId", "PK_Fans"],
        ["Singers", "SingerId", "PK_Singers"],
    ]


def test_gsql_foreign_key_column_pairs_as_sqlalchemy_reads_them(gdb):
    """`SELECT (a, b)` is a STRUCT in GoogleSQL; an ARRAY of them comes back as pairs."""
    (row,) = _q(
        gdb,
        "SELECT ARRAY(SELECT (kcu.COLUMN_NAME, kcu_uq.COLUMN_NAME) "
        "FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS kcu "
        "JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS kcu_uq "
        "ON kcu_uq.CONSTRAINT_NAME = 'PK_Singers' "
        "AND kcu_uq.ORDINAL_POSITION = kcu.ORDINAL_POSITION "
        "WHERE kcu.CONSTRAINT_NAME = 'FK_FanSinger'), ('x', 1)",
    )
    assert row == [[["SingerId", "SingerId"]], ["x", 1]]


def test_gsql_schemata(gdb):
    names = [
        r[0]
        for r in _q(gdb, "SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA ORDER BY SCHEMA_NAME")
    ]
    assert "" in names and "INFORMATION_SCHEMA" in names


def test_pg_tables_and_columns(pdb):
    rows = _q(
        pdb,
        "select table_name, parent_table_name from information_schema.tables "
        "where table_schema = 'public' order by table_name",
    )
    assert rows == [["albums", "singers"], ["fans", None], ["singers", None]]
    # quoted, as TypeORM writes it: the same schema (a quoted lower-case name is the name)
    quoted = _q(
        pdb,
        'select "table_name" from "information_schema"."tables" '
        """where "table_schema" = 'public' order by 1""",
    )
    assert quoted == [["albums"], ["fans"], ["singers"]]
    cols = _q(
        pdb,
        "select column_name, data_type, spanner_type, is_nullable, character_maximum_length "
        "from information_schema.columns where table_schema = 'public' and table_name = $1 "
        "order by ordinal_position",
        params={"p1": "singers"},
        param_types={"p1": param_types.STRING},
    )
    assert cols == [
        ["singer_id", "bigint", "bigint", "NO", None],
        ["name", "character varying", "character varying(1024)", "YES", 1024],
        ["tags", "ARRAY", "character varying[]", "YES", None],
    ]


def test_pg_indexes_and_constraints(pdb):
    idx = _q(
        pdb,
        "select index_name, index_type, is_unique from information_schema.indexes "
        "where table_name = 'albums' order by index_name",
    )
    assert idx == [["PRIMARY_KEY", "PRIMARY_KEY", "YES"], ["albums_by_title", "INDEX", "YES"]]
    schemas = [
        r[0] for r in _q(pdb, "select schema_name from information_schema.schemata order by 1")
    ]
    assert "public" in schemas and "information_schema" in schemas
    rc = _q(
        pdb, "select constraint_name, delete_rule from information_schema.referential_constraints"
    )
    assert rc == [["fk_fan_singer", "NO ACTION"]]


def test_pg_catalog_tables_spanner_lacks_are_rejected(pdb):
    from google.api_core import exceptions

    with pytest.raises(exceptions.InvalidArgument) as err:
        _q(pdb, "select * from pg_catalog.pg_stat_activity")
    assert "pg_stat_activity" in str(err.value)


def test_pg_catalog_relations_spanner_offers(pdb):
    from google.cloud.spanner_v1 import TypeAnnotationCode

    with pdb.snapshot() as s:
        results = s.execute_sql(
            "select oid, typname from pg_catalog.pg_type where typname = 'int8'"
        )
        rows = list(results)
    assert rows == [[20, "int8"]]
    assert results.fields[0].type_.type_annotation == TypeAnnotationCode.PG_OID
    tables = _q(
        pdb,
        "select tablename, hasindexes from pg_tables where schemaname = 'public' order by tablename",
    )
    assert tables == [["albums", True], ["fans", False], ["singers", False]]
    assert ["public"] in _q(pdb, "select nspname from pg_namespace")
    idx = _q(pdb, "select indexname, indexdef from pg_catalog.pg_indexes")
    assert idx == [
        [
            "albums_by_title",
            "CREATE UNIQUE INDEX albums_by_title ON albums(title) INCLUDE (album_id)",
        ]
    ]


def test_pg_class_and_attribute_join_like_psql_does(pdb):
    rows = _q(
        pdb,
        "select a.attname, t.typname, a.attnotnull from pg_catalog.pg_attribute a "
        "join pg_catalog.pg_class c on a.attrelid = c.oid "
        "join pg_catalog.pg_namespace n on c.relnamespace = n.oid "
        "join pg_catalog.pg_type t on a.atttypid = t.oid "
        "where c.relname = 'singers' and n.nspname = 'public' and c.relkind = 'r' order by a.attnum",
    )
    assert rows == [
        ["singer_id", "int8", True],
        ["name", "varchar", False],
        ["tags", "_varchar", False],
    ]
    idx = _q(
        pdb,
        "select c.relname, i.indisunique, i.indisprimary from pg_index i join pg_class c on c.oid = i.indexrelid "
        "join pg_class t on t.oid = i.indrelid where t.relname = 'albums' order by c.relname",
    )
    assert idx == [["albums_by_title", True, False], ["albums_pkey", True, True]]


def test_pg_views_lists_the_databases_views(pdb):
    pdb.update_ddl(["create view fan_ids sql security invoker as select fan_id from fans"]).result(
        60
    )
    want = [["public", "fan_ids", "select fan_id from fans"]]
    sql = "select schemaname, viewname, definition from {} where schemaname = 'public'"
    assert _q(pdb, sql.format("pg_views")) == want
    assert _q(pdb, sql.format("pg_catalog.pg_views")) == want
    # quoted, as TypeORM's dropDatabase writes it: not DuckDB's own pg_views
    assert _q(pdb, sql.format('"pg_views"')) == want
