"""The Read API: key sets, ranges (incl. prefixes and DESC keys), indexes, limits; and queries."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import spanner
from google.cloud.spanner_v1 import KeyRange, KeySet, param_types


@pytest.fixture
def music(gsql_db):
    gsql_db.update_ddl(
        [
            "CREATE TABLE Albums (SingerId INT64 NOT NULL, AlbumId INT64 NOT NULL, Title STRING(MAX), "
            "Sales INT64) PRIMARY KEY (SingerId, AlbumId)",
            "CREATE INDEX AlbumsByTitle ON Albums(Title)",
            "CREATE UNIQUE INDEX AlbumsBySales ON Albums(Sales DESC)",
            "CREATE TABLE Scores (Player STRING(MAX) NOT NULL, Score INT64 NOT NULL) PRIMARY KEY (Player, Score DESC)",
        ]
    ).result(60)
    rows = [(s, a, f"t{s}{a}", s * 100 + a) for s in (1, 2, 3) for a in (1, 2, 3)]
    with gsql_db.batch() as b:
        b.insert("Albums", ["SingerId", "AlbumId", "Title", "Sales"], rows)
        b.insert("Scores", ["Player", "Score"], [("p", 1), ("p", 5), ("p", 3), ("q", 2)])
    return gsql_db


def _read(db, table, cols, keyset, **kw):
    with db.snapshot() as snap:
        return list(snap.read(table, cols, keyset, **kw))


def test_point_keys_in_key_order(music):
    rows = _read(
        music, "Albums", ["SingerId", "AlbumId"], spanner.KeySet(keys=[[3, 1], [1, 2], [9, 9]])
    )
    assert rows == [[1, 2], [3, 1]]


def test_all_rows_in_primary_key_order(music):
    rows = _read(music, "Albums", ["SingerId", "AlbumId"], spanner.KeySet(all_=True))
    assert rows == [[s, a] for s in (1, 2, 3) for a in (1, 2, 3)]


def test_closed_open_ranges_and_prefixes(music):
    ks = spanner.KeySet(ranges=[spanner.KeyRange(start_closed=[1, 2], end_open=[2, 2])])
    assert _read(music, "Albums", ["SingerId", "AlbumId"], ks) == [[1, 2], [1, 3], [2, 1]]
    prefix = spanner.KeySet(ranges=[spanner.KeyRange(start_closed=[2], end_closed=[2])])
    assert _read(music, "Albums", ["AlbumId"], prefix) == [[1], [2], [3]]
    open_start = spanner.KeySet(ranges=[spanner.KeyRange(start_open=[2], end_closed=[3, 1])])
    assert _read(music, "Albums", ["SingerId", "AlbumId"], open_start) == [[3, 1]]


def test_desc_key_ranges(music):
    rows = _read(music, "Scores", ["Player", "Score"], spanner.KeySet(all_=True))
    assert rows == [["p", 5], ["p", 3], ["p", 1], ["q", 2]]
    ks = spanner.KeySet(ranges=[spanner.KeyRange(start_closed=["p", 4], end_closed=["p", 1])])
    assert _read(music, "Scores", ["Score"], ks) == [[3], [1]]


def test_read_with_limit(music):
    assert _read(music, "Albums", ["SingerId", "AlbumId"], spanner.KeySet(all_=True), limit=2) == [
        [1, 1],
        [1, 2],
    ]


def test_read_through_index(music):
    rows = _read(
        music,
        "Albums",
        ["Title", "SingerId", "AlbumId"],
        spanner.KeySet(keys=[["t23"], ["t11"]]),
        index="AlbumsByTitle",
    )
    assert rows == [["t11", 1, 1], ["t23", 2, 3]]
    desc = _read(
        music,
        "Albums",
        ["Sales"],
        spanner.KeySet(ranges=[spanner.KeyRange(start_closed=[302], end_closed=[203])]),
        index="AlbumsBySales",
    )
    assert desc == [[302], [301], [203]]


def test_unique_index_is_enforced(music):
    with pytest.raises(exceptions.AlreadyExists), music.batch() as b:
        b.insert("Albums", ["SingerId", "AlbumId", "Title", "Sales"], [(9, 9, "x", 101)])


def test_read_errors(music):
    with pytest.raises(exceptions.NotFound):
        _read(music, "Nope", ["A"], spanner.KeySet(all_=True))
    with pytest.raises(exceptions.NotFound):
        _read(music, "Albums", ["Nope"], spanner.KeySet(all_=True))
    with pytest.raises(exceptions.NotFound):
        _read(music, "Albums", ["Title"], spanner.KeySet(all_=True), index="Nope")


def test_queries_with_joins_aggregates_and_functions(music):
    with music.snapshot() as snap:
        rows = list(
            snap.execute_sql(
                "SELECT a.SingerId, COUNT(*) AS n, SUM(a.Sales) AS total, STRING_AGG(a.Title, ',' ORDER BY a.Title) AS titles "
                "FROM Albums AS a WHERE a.SingerId IN UNNEST(@ids) GROUP BY a.SingerId ORDER BY a.SingerId",
                params={"ids": [1, 3]},
                param_types={"ids": param_types.Array(param_types.INT64)},
            )
        )
    assert rows == [[1, 3, 306, "t11,t12,t13"], [3, 3, 906, "t31,t32,t33"]]
    with music.snapshot() as snap:
        rows = list(
            snap.execute_sql(
                "SELECT IF(Sales > 200, 'big', 'small'), IFNULL(NULL, 1), STARTS_WITH(Title, 't1'), "
                "CAST(Sales AS STRING), `Title` FROM Albums WHERE SingerId = 1 AND AlbumId = 1"
            )
        )
    assert rows == [["small", 1, True, "101", "t11"]]


def test_large_scan_streams_in_chunks(music):
    music.update_ddl(["CREATE TABLE Big (K INT64, V STRING(MAX)) PRIMARY KEY (K)"]).result(60)
    with music.batch() as b:
        b.insert("Big", ["K", "V"], [(i, "v" * 20) for i in range(12_000)])
    with music.snapshot() as snap:
        rows = list(snap.execute_sql("SELECT K, V FROM Big ORDER BY K"))
    assert len(rows) == 12_000 and rows[-1] == [11_999, "v" * 20]


def test_query_modes_plan_and_profile(music):
    from google.cloud.spanner_v1 import ExecuteSqlRequest

    with music.snapshot() as snap:
        plan = snap.execute_sql(
            "SELECT SingerId FROM Albums", query_mode=ExecuteSqlRequest.QueryMode.PLAN
        )
        assert list(plan) == []
        assert len(plan.stats.query_plan.plan_nodes) >= 1
    with music.snapshot() as snap:
        prof = snap.execute_sql(
            "SELECT SingerId FROM Albums", query_mode=ExecuteSqlRequest.QueryMode.PROFILE
        )
        assert len(list(prof)) == 9
        assert prof.stats.query_stats["rows_returned"] == "9"


def test_large_values_and_results_stream_within_message_limits(music):
    music.update_ddl(["CREATE TABLE Blobs (K INT64, V STRING(MAX)) PRIMARY KEY (K)"]).result(60)
    big = "é" * 2_621_440  # STRING(MAX) holds at most this many characters
    with music.batch() as b:
        b.insert("Blobs", ["K", "V"], [(0, big)])
    for start in range(1, 8001, 2000):
        with music.batch() as b:
            b.insert("Blobs", ["K", "V"], [(k, "x" * 1000) for k in range(start, start + 2000)])
    with music.snapshot() as snap:
        rows = list(snap.execute_sql("SELECT K, V FROM Blobs ORDER BY K"))
    assert len(rows) == 8001
    assert rows[0][1] == big
    assert all(len(v) == 1000 for _, v in rows[1:])
    with music.snapshot() as snap:
        read = list(snap.read("Blobs", ["K", "V"], spanner.KeySet(all_=True)))
    assert read == rows
    with pytest.raises(exceptions.FailedPrecondition), music.batch() as b:
        b.insert("Blobs", ["K", "V"], [(-1, big + "x")])


def _read_range(db, **bounds):
    with db.snapshot() as s:
        return [r[0] for r in s.read("r", ["k"], KeySet(ranges=[KeyRange(**bounds)]))]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({"start_closed": [2], "end_closed": []}, [2, 3]),
        ({"start_closed": [2], "end_open": []}, []),
        ({"start_open": [2], "end_closed": []}, [3]),
        ({"start_open": [2], "end_open": []}, []),
        ({"start_closed": [], "end_closed": [2]}, [1, 2]),
        ({"start_open": [], "end_closed": [2]}, []),
    ],
)
def test_empty_key_bounds_are_prefixes_of_every_key(gsql_db, bounds, expected):
    """An empty key prefixes every key: as a closed bound it admits all, as an open one none."""
    gsql_db.update_ddl(["CREATE TABLE r (k INT64, v STRING(MAX)) PRIMARY KEY (k)"]).result(60)
    with gsql_db.batch() as b:
        b.insert("r", ["k", "v"], [(1, "a"), (2, "b"), (3, "c")])
    assert _read_range(gsql_db, **bounds) == expected
