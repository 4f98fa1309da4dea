"""String and composite keys under real collations, column aggregates, schema comparison."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools.dvt.columns import ColumnSpec, ColumnValidator
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.errors import ConfigError
from dbtools.dvt.rows import RowSpec, RowValidator
from dbtools.dvt.schema import SchemaSpec, allow_list, validate_schema

# Keys that case-insensitive or accent-insensitive collations sort (and group) differently.
KEYS = ["a", "B", "b", "a ", "a\t", "é", "e", "Z", "zz", "Ä", "10", "9", "", "ß", "ss"]


def _mysql(db: Any) -> Any:
    return pymysql.connect(**db.pymysql_kwargs(), autocommit=True)


def test_string_keys_merge_across_collations(pg_db: Any, mysql_db: Any, tmp_path: Any) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE TABLE k (code varchar(10) PRIMARY KEY, v int)")
        c.cursor().executemany(
            "INSERT INTO k VALUES (%s, %s)", [(k, i) for i, k in enumerate(KEYS)]
        )
    my = _mysql(mysql_db)
    with my.cursor() as cur:
        # utf8mb4_bin keeps 'a' and 'A' apart; it is PAD SPACE, so 'a' and 'a ' would collide:
        # leave 'a ' out of MariaDB and expect it reported as missing.
        cur.execute("CREATE TABLE k (code varchar(10) COLLATE utf8mb4_bin PRIMARY KEY, v int)")
        cur.executemany(
            "INSERT INTO k VALUES (%s, %s)", [(k, i) for i, k in enumerate(KEYS) if k != "a "]
        )
    my.close()
    lite = tmp_path / "k.db"
    with sqlite3.connect(lite) as c:
        c.execute("CREATE TABLE k (code TEXT PRIMARY KEY, v INT)")
        c.executemany("INSERT INTO k VALUES (?, ?)", [(k, i) for i, k in enumerate(KEYS)])
    pg, myu, sq = pg_db.url, mysql_db.url, f"sqlite:///{lite}"
    for src, tgt, missing in ((pg, sq, 0), (pg, myu, 1), (myu, sq, 0)):
        for block in (0, 2000):
            r = RowValidator(
                RowSpec(source_table="k", block_rows=block),
                open_engine(parse_url(src)),
                open_engine(parse_url(tgt)),
            ).run()
            extra = 1 if src == myu and missing == 0 and tgt == sq else 0
            assert r.summary["mismatched"] == 0, (src, tgt, r.findings)
            assert r.summary["missing_in_target"] == missing
            assert r.summary["extra_in_target"] == extra
            assert r.summary["matched"] == len(KEYS) - 1 if (missing or extra) else len(KEYS)
    # partitioned on a string key: every row lands in exactly one range
    r = RowValidator(
        RowSpec(source_table="k", partitions=4, workers=2),
        open_engine(parse_url(pg)),
        open_engine(parse_url(sq)),
    ).run()
    assert r.passed and r.summary["matched"] == len(KEYS) and r.summary["partitions"] == 4


def test_composite_key_auto_detected(pg_db: Any, mysql_db: Any) -> None:
    rows = [(t, i, f"v{t}{i}") for t in ("x", "Y", "y") for i in (1, 2, 10)]
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE SCHEMA app")
        c.execute("CREATE TABLE app.t (tenant text, n int, v text, PRIMARY KEY (tenant, n))")
        c.cursor().executemany("INSERT INTO app.t VALUES (%s, %s, %s)", rows)
    my = _mysql(mysql_db)
    with my.cursor() as cur:
        cur.execute(
            "CREATE TABLE t (tenant varchar(5), n int, v text, PRIMARY KEY (tenant, n)) COLLATE utf8mb4_bin"
        )
        cur.executemany(
            "INSERT INTO t VALUES (%s, %s, %s)",
            [r if r != ("y", 10, "vy10") else ("y", 10, "changed") for r in rows],
        )
    my.close()
    r = RowValidator(
        RowSpec(source_table="app.t", target_table=f"{mysql_db.database}.t"),
        open_engine(parse_url(pg_db.url)),
        open_engine(parse_url(mysql_db.url)),
    ).run()
    assert r.summary["primary_keys"] == ["tenant", "n"]
    assert [(f.key, f.column, f.source, f.target) for f in r.findings] == [
        ({"tenant": "y", "n": 10}, "v", "vy10", "changed")
    ]


def test_table_without_key_needs_primary_keys(pg_db: Any) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE TABLE nokey (a int, b text)")
    e = open_engine(parse_url(pg_db.url))
    with pytest.raises(ConfigError, match="primary-keys"):
        RowValidator(RowSpec(source_table="nokey"), e, e).run()
    r = RowValidator(RowSpec(source_table="nokey", primary_keys=["a"]), e, e).run()
    assert r.passed


@pytest.fixture
def money(pg_db: Any, mysql_db: Any) -> tuple[Any, Any]:
    # the sums differ by one cent on a total of ~ -2e11: float32 comparison would call it equal
    rows = [(i, f"-{460498632 + i}.58", "eu" if i % 2 else "us", i % 7) for i in range(1, 401)]
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE TABLE m (id int PRIMARY KEY, amount numeric(12,2), region text, n int)")
        c.cursor().executemany("INSERT INTO m VALUES (%s, %s, %s, %s)", rows)
    my = _mysql(mysql_db)
    with my.cursor() as cur:
        cur.execute(
            "CREATE TABLE m (id int PRIMARY KEY, amount decimal(12,2), region varchar(5), n int) COLLATE utf8mb4_general_ci"
        )
        changed = [r if r[0] != 1 else (1, "-460498633.57", "us", 1) for r in rows]
        cur.executemany("INSERT INTO m VALUES (%s, %s, %s, %s)", changed)
    my.close()
    return open_engine(parse_url(pg_db.url)), open_engine(parse_url(mysql_db.url))


def test_column_sums_are_exact(money: tuple[Any, Any]) -> None:
    src, tgt = money
    spec = ColumnSpec(
        source_table="m",
        aggregates={
            "count": ["*"],
            "sum": ["amount"],
            "avg": ["amount"],
            "bit_xor": ["n"],
            "count_distinct": ["region"],
        },
    )
    r = ColumnValidator(spec, src, tgt).run()
    by = {(f.check, f.column): f for f in r.findings}
    assert by[("count", "*")].status == "success"
    assert by[("sum", "amount")].status == "fail"
    assert by[("sum", "amount")].difference.startswith("0.01")
    assert by[("avg", "amount")].status == "fail"
    assert by[("bit_xor", "n")].status == "success"
    assert by[("count_distinct", "region")].status == "success"
    assert not r.passed
    # a threshold above the relative difference accepts it
    spec.threshold = 0.001
    assert ColumnValidator(spec, src, tgt).run().passed


def test_grouped_and_filtered_aggregates(money: tuple[Any, Any]) -> None:
    src, tgt = money
    spec = ColumnSpec(
        source_table="m",
        aggregates={"sum": ["amount"], "min": ["amount"], "max": ["n"]},
        group_by=["region"],
    )
    r = ColumnValidator(spec, src, tgt).run()
    failed = {(f.key["region"], f.check) for f in r.findings if f.status != "success"}
    assert ("eu", "sum") in failed and ("us", "sum") in failed  # row 1 moved from eu to us
    spec = ColumnSpec(source_table="m", aggregates={"sum": ["*"]}, source_filter="id > 1")
    assert ColumnValidator(spec, src, tgt).run().passed


def test_aggregate_on_wrong_type_is_a_config_error(money: tuple[Any, Any]) -> None:
    with pytest.raises(ConfigError, match="does not apply"):
        ColumnValidator(ColumnSpec(source_table="m", aggregates={"sum": ["region"]}), *money).run()
    with pytest.raises(ConfigError, match="not on both sides"):
        ColumnValidator(ColumnSpec(source_table="m", aggregates={"sum": ["nope"]}), *money).run()


def test_schema_validation(pg_db: Any, mysql_db: Any) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute(
            "CREATE TABLE s (id int PRIMARY KEY, price numeric(12,2) NOT NULL, name varchar(50), flag boolean, gone text, ts timestamptz)"
        )
    my = _mysql(mysql_db)
    with my.cursor() as cur:
        cur.execute(
            "CREATE TABLE s (id bigint PRIMARY KEY, price double, name varchar(20), flag tinyint(1), added int, ts timestamp(6) NULL)"
        )
    my.close()
    src, tgt = open_engine(parse_url(pg_db.url)), open_engine(parse_url(mysql_db.url))
    r = validate_schema(SchemaSpec("s"), src, tgt)
    fails = {(f.column, f.check) for f in r.findings if f.status == "fail"}
    assert fails == {
        ("price", "type"),
        ("price", "nullable"),
        ("name", "type"),
        ("gone", "presence"),
        ("added", "presence"),
    }
    r = validate_schema(
        SchemaSpec(
            "s",
            allow_list="numeric(12,2):double,varchar(50):varchar(20)",
            exclude=["gone", "added"],
            check_nullability=False,
        ),
        src,
        tgt,
    )
    assert r.passed, [f.as_dict() for f in r.findings if f.status == "fail"]


def test_allow_list_parsing() -> None:
    assert allow_list("decimal(12,2):decimal(38,9), int:bigint") == {
        ("decimal(12,2)", "decimal(38,9)"),
        ("int", "bigint"),
    }
    with pytest.raises(ConfigError, match="source_type:target_type"):
        allow_list("decimal(12,2)")


def test_schema_qualified_names_on_sqlite_and_duckdb(tmp_path: Any) -> None:
    import duckdb

    lite = tmp_path / "q.db"
    with sqlite3.connect(lite) as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        c.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b")])
    duck = tmp_path / "q.duckdb"
    con = duckdb.connect(str(duck))
    con.execute("CREATE SCHEMA sales")
    con.execute("CREATE TABLE sales.t (id INTEGER PRIMARY KEY, v VARCHAR)")
    con.execute("INSERT INTO sales.t VALUES (1, 'a'), (2, 'c')")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR)")  # a decoy in main
    con.close()
    src = open_engine(parse_url(f"sqlite:///{lite}"))
    tgt = open_engine(parse_url(f"duckdb:///{duck}"))
    r = RowValidator(RowSpec(source_table="main.t", target_table="sales.t"), src, tgt).run()
    assert [(f.key, f.column, f.source, f.target) for f in r.findings] == [
        ({"id": 2}, "v", "b", "c")
    ]
    with pytest.raises(Exception, match="not found"):
        RowValidator(RowSpec(source_table="main.t", target_table="nosuch.t"), src, tgt).run()


def test_schema_validation_reports_narrowing_with_a_severity(pg_db: Any, mysql_db: Any) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute(
            "CREATE TABLE n (id int PRIMARY KEY, a bigint, b int, c double precision, "
            "d timestamp(6), e varchar(50), f numeric(20,4), g text, h smallint, i int, "
            "j real, k timestamp(0), l numeric(10,2))"
        )
    my = _mysql(mysql_db)
    with my.cursor() as cur:
        cur.execute(
            "CREATE TABLE n (id int PRIMARY KEY, a int, b smallint, c float, d datetime, "
            "e varchar(20), f decimal(12,2), g varchar(10), h bigint, i decimal(5,0), "
            "j double, k datetime(6), l decimal(30,9))"
        )
    my.close()
    src, tgt = open_engine(parse_url(pg_db.url)), open_engine(parse_url(mysql_db.url))
    r = validate_schema(SchemaSpec("n", check_nullability=False), src, tgt)
    types = {f.column: (f.status, f.severity, f.difference) for f in r.findings}
    narrowed = {c: why for c, (st, sev, why) in types.items() if (st, sev) == ("fail", "error")}
    assert set(narrowed) == {"a", "b", "c", "d", "e", "f", "i"}
    assert "integer narrowing" in narrowed["a"] and "integer narrowing" in narrowed["b"]
    assert "float narrowing" in narrowed["c"]
    assert "timestamp precision narrowing" in narrowed["d"]
    assert "string narrowing" in narrowed["e"]
    assert "numeric narrowing" in narrowed["f"] and "numeric narrowing" in narrowed["i"]
    assert types["g"][:2] == ("success", "warning") and "unbounded" in types["g"][2]
    for widened in ("id", "h", "j", "k", "l"):  # wider or equal targets pass
        assert types[widened][:2] == ("success", "info"), types[widened]
    assert r.summary["failed"] == 7 and r.summary["warnings"] == 1 and not r.passed
    # the reverse direction of every widening is a narrowing
    back = validate_schema(SchemaSpec("n", check_nullability=False), tgt, src)
    back_fail = {f.column for f in back.findings if f.status == "fail"}
    assert {"h", "j", "k", "l"} <= back_fail


def test_renamed_columns_and_a_key_only_the_target_declares(tmp_path: Any) -> None:
    a, b = tmp_path / "src.db", tmp_path / "tgt.db"
    with sqlite3.connect(a) as c:  # no primary key; a unique column
        c.execute("CREATE TABLE t (k TEXT UNIQUE NOT NULL, v TEXT)")
        c.executemany("INSERT INTO t VALUES (?, ?)", [("a", "1"), ("b", "2"), ("c", "3")])
    with sqlite3.connect(b) as c:  # migrated: key promoted, both columns renamed
        c.execute("CREATE TABLE t (k_ TEXT PRIMARY KEY, value TEXT)")
        c.executemany("INSERT INTO t VALUES (?, ?)", [("a", "1"), ("b", "x"), ("d", "3")])
    src, tgt = open_engine(parse_url(f"sqlite:///{a}")), open_engine(parse_url(f"sqlite:///{b}"))
    spec = RowSpec(source_table="t", column_map={"k": "k_", "v": "value"})
    r = RowValidator(spec, src, tgt).run()
    assert r.summary["primary_keys"] == ["k"] and r.summary["compared_columns"] == ["v"]
    assert [(f.status, f.key, f.column) for f in r.findings] == [
        ("mismatch", {"k": "b"}, "v"),
        ("missing", {"k": "c"}, None),
        ("extra", {"k": "d"}, None),
    ]
    assert r.warnings == []  # no column left unpaired
