"""Reads of many point keys (composite, duplicated, missing): the same rows as key-by-key, at a cost close to a table scan."""

from __future__ import annotations

import time

from google.cloud import spanner
from google.cloud.spanner_v1.types import keys as kp
from google.cloud.spanner_v1.types import result_set as rs
from google.cloud.spanner_v1.types import spanner as sp
from google.protobuf import struct_pb2

from .test_raw_grpc import Raw


def test_many_point_keys_with_composite_keys_and_duplicates(gsql_db):
    gsql_db.update_ddl(
        [
            "CREATE TABLE U (A STRING(20), B INT64, V INT64) PRIMARY KEY (A, B DESC)",
        ]
    ).result(60)
    rows = [(f"a{k % 7}", k, k) for k in range(300)]
    with gsql_db.batch() as b:
        b.insert("U", ["A", "B", "V"], rows)
    wanted = [[f"a{k % 7}", k] for k in range(0, 300, 3)]
    wanted += [["a0", 0], ["zz", 1]]  # a duplicate and a key that does not exist
    with gsql_db.snapshot() as s:
        got = list(s.read("U", ["A", "B", "V"], spanner.KeySet(keys=wanted)))
    expected = sorted(
        ([a, b, v] for a, b, v in rows if [a, b] in wanted), key=lambda r: (r[0], -r[1])
    )
    assert got == expected
    # Mixed with a range: rows in either.
    ks = spanner.KeySet(
        keys=wanted, ranges=[spanner.KeyRange(start_closed=["a6"], end_closed=["a6"])]
    )
    with gsql_db.snapshot() as s:
        got = list(s.read("U", ["V"], ks))
    assert sorted(r[0] for r in got) == sorted(
        {v for a, b, v in rows if [a, b] in wanted or a == "a6"}
    )


def _read_seconds(raw, table, key_set):
    start = time.perf_counter()
    out = raw.call(
        "Read",
        sp.ReadRequest(session=raw.session, table=table, columns=["K", "V"], key_set=key_set),
        rs.ResultSet,
    )
    return time.perf_counter() - start, len(out.rows)


def test_many_point_keys_cost_close_to_a_full_read(local):
    n = 20_000
    db = local.new_database(ddl=["CREATE TABLE T (K INT64, V STRING(MAX)) PRIMARY KEY (K)"])
    try:
        with db.batch() as b:
            b.insert("T", ["K", "V"], [(k, f"v{k}") for k in range(n)])
        raw = Raw(local.address)
        raw.session = raw.call(
            "CreateSession", sp.CreateSessionRequest(database=db.name), sp.Session
        ).name
        points = kp.KeySet(
            keys=[
                struct_pb2.ListValue(values=[struct_pb2.Value(string_value=str(k))])
                for k in range(n)
            ]
        )
        everything = kp.KeySet(all_=True)
        _read_seconds(raw, "T", everything)  # warm-up
        full, full_rows = _read_seconds(raw, "T", everything)
        keyed, keyed_rows = _read_seconds(raw, "T", points)
        assert full_rows == keyed_rows == n
        # Key by key (an OR per key) this was over 50x the scan; a join of the keys is a few x.
        assert keyed <= 10 * full + 0.5, f"{n} point keys took {keyed:.2f}s, a scan {full:.2f}s"
        raw.channel.close()
    finally:
        db.drop()
