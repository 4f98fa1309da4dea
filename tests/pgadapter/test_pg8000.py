"""pg8000 (native and DB-API) through the proxy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pg8000.dbapi
import pg8000.native
import pytest
from dbtools.pgadapter import Proxy


def _native(proxy: Proxy, database: str) -> pg8000.native.Connection:
    return pg8000.native.Connection(
        user="pgadapter", host=proxy.host, port=proxy.port, database=database
    )


def test_every_type_round_trip(proxy: Proxy, typed_name: str) -> None:
    conn = _native(proxy, typed_name)
    try:
        ts = dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=dt.timezone.utc)
        conn.run(
            "insert into all_types (id, name, v, f8, f4, b, byt, ts, d, j, txt, a_i, a_s) "
            "values (:id, :name, :v, :f8, :f4, :b, :byt, :ts, :d, :j, :txt, :a_i, :a_s)",
            id=1,
            name="ünï",
            v=Decimal("3.14"),
            f8=1e-10,
            f4=0.5,
            b=True,
            byt=b"\x00\x01",
            ts=ts,
            d=dt.date(2020, 2, 29),
            j='{"k": [true, null]}',
            txt="t",
            a_i=[1, 2, None],
            a_s=["a", "b"],
        )
        rows = conn.run(
            "select id, name, v, f8, f4, b, byt, ts, d, j, txt, a_i, a_s from all_types where id = :id",
            id=1,
        )
        assert rows == [
            [
                1,
                "ünï",
                Decimal("3.14"),
                1e-10,
                0.5,
                True,
                b"\x00\x01",
                ts,
                dt.date(2020, 2, 29),
                {"k": [True, None]},
                "t",
                [1, 2, None],
                ["a", "b"],
            ]
        ]
        assert [c["type_oid"] for c in conn.columns] == [
            20,
            1043,
            1700,
            701,
            700,
            16,
            17,
            1184,
            1082,
            3802,
            1043,
            1016,
            1015,
        ]
    finally:
        conn.close()


def test_dbapi_transactions_and_errors(proxy: Proxy, database: str) -> None:
    conn = pg8000.dbapi.connect(
        user="pgadapter", host=proxy.host, port=proxy.port, database=database
    )
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("create table t (id bigint primary key, n varchar)")
        conn.autocommit = False
        cur.execute("insert into t (id, n) values (%s, %s)", (1, "a"))
        cur.executemany("insert into t (id, n) values (%s, %s)", [(2, "b"), (3, "c")])
        conn.commit()
        cur.execute("insert into t (id, n) values (%s, %s)", (4, "d"))
        conn.rollback()
        cur.execute("select id, n from t order by id")
        assert cur.fetchall() == ([1, "a"], [2, "b"], [3, "c"])
        conn.rollback()
        with pytest.raises(pg8000.dbapi.DatabaseError) as info:
            cur.execute("insert into t (id, n) values (%s, %s)", (1, "dup"))
        assert info.value.args[0]["C"] == "23505"
        conn.rollback()
        cur.execute("select count(*) from t")
        assert cur.fetchone() == [3]
    finally:
        conn.close()


def test_native_error_fields(proxy: Proxy, database: str) -> None:
    conn = _native(proxy, database)
    try:
        with pytest.raises(pg8000.native.DatabaseError) as info:
            conn.run("select * from missing_table")
        fields = info.value.args[0]
        assert fields["C"] == "42P01"
        assert fields["S"] == "ERROR"
        assert "missing_table" in fields["M"]
        assert conn.run("select 1") == [[1]]
    finally:
        conn.close()
