"""The pure parts of live migration: pgoutput messages, positions, the lag figures."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from dbtools.migrate.live import positions
from dbtools.migrate.live.capture_pg import _Decoder
from dbtools.migrate.live.changes import RowChange, SchemaChange, Truncate
from dbtools.migrate.live.checkpoint import State
from dbtools.migrate.live.lag import Progress
from dbtools.migrate.live.pgoutput import (
    PG_EPOCH,
    UNCHANGED_TOAST,
    Begin,
    CommitMsg,
    DecodeError,
    decode,
)


def _s(text: str) -> bytes:
    return text.encode() + b"\0"


def _tuple(*values: str | object | None) -> bytes:
    out = struct.pack("!H", len(values))
    for v in values:
        if v is None:
            out += b"n"
        elif v is UNCHANGED_TOAST:
            out += b"u"
        else:
            raw = str(v).encode()
            out += b"t" + struct.pack("!I", len(raw)) + raw
    return out


def _relation(oid: int, nsp: str, name: str, cols: list[tuple[str, int, int, bool]]) -> bytes:
    out = b"R" + struct.pack("!I", oid) + _s(nsp) + _s(name) + b"d" + struct.pack("!H", len(cols))
    for col, typ, typmod, key in cols:
        out += struct.pack("!b", 1 if key else 0) + _s(col) + struct.pack("!Ii", typ, typmod)
    return out


ITEMS = [("id", 23, -1, True), ("name", 1043, 44, False), ("Odd Col", 1700, -1, False)]


def _decoder(shapes: dict[str, Any] | None = None) -> Any:
    d = _Decoder(shapes or {}, lambda oid, typmod: f"type{oid}({typmod})")
    d.records(decode(_relation(16400, "public", "items", ITEMS)))
    d.records(decode(_relation(16500, "sales", "orders", [("id", 20, -1, True)])))
    return d


def test_pgoutput_insert_update_delete_by_relation() -> None:
    d = _decoder()
    ins = decode(b"I" + struct.pack("!I", 16400) + b"N" + _tuple("7", "it's a b", None))
    assert d.records(ins) == [
        RowChange("items", "insert", None, {"id": "7", "name": "it's a b", "Odd Col": None})
    ]
    # a key change: the old key (other columns sent as nulls) and the new row
    upd = decode(
        b"U" + struct.pack("!I", 16400) + b"K" + _tuple("7", None, None) + b"N"
        + _tuple("8", "x", "1.50")
    )  # fmt: skip
    assert d.records(upd) == [
        RowChange("items", "update", {"id": "7"}, {"id": "8", "name": "x", "Odd Col": "1.50"})
    ]
    dele = decode(b"D" + struct.pack("!I", 16500) + b"K" + _tuple("3"))
    assert d.records(dele) == [RowChange("sales.orders", "delete", {"id": "3"}, None)]
    trunc = decode(b"T" + struct.pack("!Ib", 2, 0) + struct.pack("!II", 16400, 16500))
    assert d.records(trunc) == [Truncate("items"), Truncate("sales.orders")]


def test_pgoutput_begin_and_commit_carry_lsn_and_time() -> None:
    micros = 86_400 * 1_000_000  # 2000-01-02 UTC
    begin = decode(b"B" + struct.pack("!Qqi", 0x1_0000_00A0, micros, 77))
    assert isinstance(begin, Begin) and begin.final_lsn == 0x1_0000_00A0
    assert begin.commit_time == PG_EPOCH + 86_400
    commit = decode(b"C" + struct.pack("!bQQq", 0, 0x100, 0x1A0, micros))
    assert isinstance(commit, CommitMsg) and (commit.commit_lsn, commit.end_lsn) == (0x100, 0x1A0)


def test_unchanged_toast_value_without_old_row_is_an_error_naming_the_fix() -> None:
    d = _decoder()
    upd = decode(b"U" + struct.pack("!I", 16400) + b"N" + _tuple("1", UNCHANGED_TOAST, "2"))
    with pytest.raises(DecodeError, match="REPLICA IDENTITY FULL"):
        d.records(upd)
    full = decode(
        b"U" + struct.pack("!I", 16400) + b"O" + _tuple("1", "long", "2") + b"N"
        + _tuple("1", UNCHANGED_TOAST, "3")
    )  # fmt: skip
    (ch,) = d.records(full)
    assert isinstance(ch, RowChange) and ch.after == {"id": "1", "name": "long", "Odd Col": "3"}


def test_a_relation_unlike_the_snapshot_is_a_schema_change_naming_it() -> None:
    shapes = {"items": [["id", 23, -1, "integer"], ["name", 1043, 44, "character varying(40)"],
                        ["Odd Col", 1700, -1, "numeric"]]}  # fmt: skip
    d = _decoder(shapes)  # the same description again: nothing to say
    assert d.records(decode(_relation(16400, "public", "items", ITEMS))) == []
    retyped = [ITEMS[0], ("name", 25, -1, False), ITEMS[2], ("extra", 23, -1, False)]
    (ev,) = d.records(decode(_relation(16400, "public", "items", retyped)))
    assert isinstance(ev, SchemaChange) and ev.tables == ["items"]
    assert "new columns extra" in ev.statement
    assert "column name type character varying(40) -> type25(-1)" in ev.statement


def test_malformed_messages_are_refused() -> None:
    d = _decoder()
    for bad in [b"", b"Z123", b"I\0\0", b"I" + struct.pack("!I", 16400) + b"N" + b"\0\1x"]:
        with pytest.raises(DecodeError):
            d.records(decode(bad))
    with pytest.raises(DecodeError, match="no Relation"):
        d.records(decode(b"D" + struct.pack("!I", 999) + b"K" + _tuple("3")))


def test_positions_order_and_distance() -> None:
    a = positions.BinlogPosition.parse("binlog.000009:500")
    b = positions.BinlogPosition.parse("binlog.000010:4")
    assert a < b  # by file number, not by name length
    assert positions.distance("mysql", "binlog.000010:4", "binlog.000010:104") == 100
    assert positions.distance("mysql", "binlog.000010:104", "binlog.000010:104") == 0
    assert positions.Lsn.parse("1/A0").text() == "1/A0"
    assert positions.distance("postgres", "0/100", "1/0") == (1 << 32) - 0x100
    with pytest.raises(ValueError):
        positions.BinlogPosition.parse("no-position")


def test_binlog_position_with_mariadb_gtids_round_trips_and_orders_by_coordinate() -> None:
    text = "binlog.000010:104 gtid=0-1-42,3-2-7"
    p = positions.BinlogPosition.parse(text)
    assert (p.file, p.pos, p.gtid) == ("binlog.000010", 104, "0-1-42,3-2-7") and p.text() == text
    assert positions.distance("mysql", text, "binlog.000010:204") == 100
    assert positions.BinlogPosition.parse("binlog.000010:104 gtid=").gtid is None
    domains = positions.gtid_domains("3-2-7, 0-1-42")
    domains[0] = "0-1-43"
    assert positions.gtid_text(domains) == "0-1-43,3-2-7"


def test_lag_is_zero_only_when_caught_up_and_rate_counts_the_window() -> None:
    now = [1000.0]
    prog = Progress("mysql", clock=lambda: now[0])
    st = State("mysql", "streaming", "binlog.000001:100", events=0, source_time=990.0)
    prog.committed(st)
    now[0] += 2
    st.events = 400
    prog.committed(st)
    behind = prog.status(st, "binlog.000001:300", pending=0)
    assert behind["bytes_behind"] == 200 and behind["lag_seconds"] == 12.0
    assert behind["events_per_second"] == 200.0
    caught = prog.status(st, "binlog.000001:100", pending=0)
    assert caught["lag_seconds"] == 0.0
    assert prog.status(st, "binlog.000001:100", pending=5)["lag_seconds"] == 12.0


def test_cutover_hands_the_spanner_endpoint_to_dvt() -> None:
    """--endpoint (an authenticated API endpoint) reaches dvt's URL, which dvt takes: it goes on
    to look up the credentials for it (none on this machine, so that is where it stops; there
    is no TLS Spanner endpoint here to go further), and refuses it together with an emulator."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from dbtools.migrate.live.cutover import spanner_url

    base = {"project": "p", "instance": "i", "database": "d"}
    url = spanner_url({**base, "endpoint": "127.0.0.1:1"})
    assert url == "spanner:///projects/p/instances/i/databases/d?endpoint=127.0.0.1:1"
    assert spanner_url({**base, "emulator_host": "h:9"}).endswith("?emulator_host=h:9")
    dvt = str(Path(sys.executable).parent / "dvt")
    env = {k: v for k, v in os.environ.items() if k != "SPANNER_EMULATOR_HOST"}
    env["GOOGLE_APPLICATION_CREDENTIALS"] = "/nonexistent/adc.json"
    args = [dvt, "--connect-timeout", "3", "validate", "row", "-sc", "sqlite:///:memory:",
            "-t", "t", "-tc"]  # fmt: skip
    proc = subprocess.run([*args, url], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0 and "adc.json" in proc.stderr, proc.stderr
    both = url + "&emulator_host=127.0.0.1:2"
    proc = subprocess.run([*args, both], capture_output=True, text=True, env=env, timeout=120)
    assert "give emulator_host or endpoint, not both" in proc.stderr, proc.stderr


def test_write_order_keeps_parents_before_children_in_every_prefix() -> None:
    from dbtools.migrate.live.order import parent_ranks, write_order

    # grandchild -> child -> parent, and a table referencing itself (no rank from it)
    ranks = parent_ranks({"parent": set(), "child": {"parent"}, "grand": {"child", "grand"}})
    assert ranks == {"parent": 0, "child": 1, "grand": 2}
    source_order = [
        (("grand", (1,)), "upsert"),
        (("child", (1,)), "upsert"),
        (("parent", (9,)), "delete"),
        (("parent", (1,)), "upsert"),
        (("child", (9,)), "delete"),
        (("grand", (9,)), "delete"),
        (("child", ("*all*",)), "truncate"),
        (("grand", ("*all*",)), "truncate"),
        (("child", (2,)), "upsert"),
    ]
    ordered = [(t, k[0], op) for (t, k), op in write_order(source_order, lambda e: e, ranks)]
    assert ordered == [
        ("grand", "*all*", "truncate"),
        ("child", "*all*", "truncate"),
        ("parent", 1, "upsert"),
        ("child", 1, "upsert"),
        ("child", 2, "upsert"),  # the source's order within a table and phase
        ("grand", 1, "upsert"),
        ("grand", 9, "delete"),
        ("child", 9, "delete"),
        ("parent", 9, "delete"),
    ]


def test_parent_ranks_of_a_cycle_end() -> None:
    from dbtools.migrate.live.order import parent_ranks

    assert parent_ranks({"a": {"b"}, "b": {"a"}}) in ({"a": 1, "b": 0}, {"a": 0, "b": 1})
    assert parent_ranks({}) == {}


def test_catalog_differences_name_each_change() -> None:
    from dbtools.migrate.live.schema_watch import differences

    before = {
        "p": {"column id": "integer", "not null id": "NOT NULL", "column Odd Col": "text",
              "index p_pkey": "CREATE UNIQUE INDEX p_pkey ON public.p USING btree (id)"},
        "q": {"column id": "integer"},
        "r": {"column id": "integer"},
    }  # fmt: skip
    now = {
        "p": {"column id": "bigint", "not null id": "NOT NULL", "column extra": "integer",
              "not null extra": "NOT NULL", "default extra": "7",
              "index p_pkey": "CREATE UNIQUE INDEX p_pkey ON public.p USING btree (id)",
              "index p_extra": "CREATE INDEX p_extra ON public.p USING btree (extra)",
              "constraint p_extra_check": "CHECK ((extra > 0))"},
        "r": {"column id": "integer"},
    }  # fmt: skip
    assert differences(before, now) == [
        "table p: new columns extra (integer); columns gone Odd Col; "
        "column id type integer -> bigint; new constraint p_extra_check: CHECK ((extra > 0)); "
        "new index p_extra: CREATE INDEX p_extra ON public.p USING btree (extra)",
        "table q is gone (dropped or renamed)",
    ]
    assert differences(now, now) == []


class _Batch:
    """One recorded Spanner commit: its mutations in order."""

    def __init__(self, log: list[list[tuple[str, str, Any]]]) -> None:
        self.log = log
        self.ops: list[tuple[str, str, Any]] = []

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.log.append(self.ops)

    def insert_or_update(self, table: str, columns: list[str], rows: list[Any]) -> None:
        self.ops += [("upsert", table, dict(zip(columns, r, strict=True))) for r in rows]

    def delete(self, table: str, keyset: Any) -> None:
        if keyset.all_:
            self.ops.append(("truncate", table, None))
        else:
            self.ops += [("delete", table, tuple(k)) for k in keyset.keys]


class _Recorder:
    def __init__(self) -> None:
        self.commits: list[list[tuple[str, str, Any]]] = []

    def batch(self) -> _Batch:
        return _Batch(self.commits)


def test_every_commit_of_a_split_transaction_leaves_each_child_with_its_parent() -> None:
    """A source transaction far bigger than the budget, writing children before parents,
    moving a parent's key, deleting parents before children: after each commit (the target's
    state as a crash there would leave it) every child row has its parent."""
    from dbtools.migrate.convert import convert
    from dbtools.migrate.live.apply import Applier
    from dbtools.migrate.live.changes import Commit
    from dbtools.migrate.loadplan import plan_tables
    from dbtools.migrate.source import parse_text
    from dbtools.migrate.values import UTC

    text = (
        "CREATE TABLE `p` (`id` int NOT NULL, `v` int, PRIMARY KEY (`id`));\n"
        "CREATE TABLE `c` (`id` int NOT NULL, `pid` int NOT NULL, PRIMARY KEY (`id`), "
        "CONSTRAINT `fk` FOREIGN KEY (`pid`) REFERENCES `p` (`id`));\n"
    )
    conv = convert(parse_text("mysql", text), "google_standard_sql")
    db = _Recorder()
    state = State("mysql", "streaming", "binlog.000001:4")
    applier = Applier(db, plan_tables(conv, UTC), "live", state, batch_mutations=10)
    p_rows = {i: {"id": i, "v": 0} for i in range(1, 6)}  # already in the target
    c_rows = {i: {"id": i, "pid": i} for i in range(1, 6)}
    # one transaction: children 10..29 before their parents, parent 1 moved to key 100 with
    # its child re-pointed, parents 2..5 deleted before their children
    for i in range(10, 30):
        applier.row(RowChange("c", "insert", None, {"id": i, "pid": i}))
    for i in range(10, 30):
        applier.row(RowChange("p", "insert", None, {"id": i, "v": 1}))
    applier.row(RowChange("p", "update", {"id": 1, "v": 0}, {"id": 100, "v": 0}))
    applier.row(RowChange("c", "update", {"id": 1, "pid": 1}, {"id": 1, "pid": 100}))
    for i in range(2, 6):
        applier.row(RowChange("p", "delete", {"id": i, "v": 0}, None))
    for i in range(2, 6):
        applier.row(RowChange("c", "delete", {"id": i, "pid": i}, None))
    applier.commit(Commit("binlog.000001:900", 0.0))
    applier.flush()
    assert len(db.commits) > 3  # it was split
    target = {"p": {k: dict(v) for k, v in p_rows.items()}, "c": dict(c_rows)}
    for ops in db.commits:
        for op, table, what in ops:
            if table not in target:
                continue  # the checkpoint row
            if op == "upsert":
                target[table][what["id"]] = what
            elif op == "delete":
                target[table].pop(what[0], None)
        orphans = [c for c in target["c"].values() if c["pid"] not in target["p"]]
        assert not orphans, (orphans, ops)
    assert sorted(target["p"]) == [*range(10, 30), 100]
    assert sorted(target["c"]) == [1, *range(10, 30)] and target["c"][1]["pid"] == 100
    # the commits inside the transaction carry the position before it; the last one, its end
    positions = [json.loads(ops[-1][2]["state"])["position"] for ops in db.commits]
    assert positions[:-1] == ["binlog.000001:4"] * (len(positions) - 1)
    assert positions[-1] == "binlog.000001:900"


def test_transactions_that_fit_are_never_split_across_commits() -> None:
    """Two small transactions after one another, budget for one: the first is committed alone
    and the second whole, even though the second's first rows would have fitted with the
    first (a commit ending inside it could hold a child before its parent)."""
    from dbtools.migrate.convert import convert
    from dbtools.migrate.live.apply import Applier
    from dbtools.migrate.live.changes import Commit
    from dbtools.migrate.loadplan import plan_tables
    from dbtools.migrate.source import parse_text
    from dbtools.migrate.values import UTC

    text = "CREATE TABLE `t` (`id` int NOT NULL, `v` int, PRIMARY KEY (`id`));\n"
    conv = convert(parse_text("mysql", text), "google_standard_sql")
    db = _Recorder()
    applier = Applier(db, plan_tables(conv, UTC), "live",
                      State("mysql", "streaming", "f:4"), batch_mutations=10, interval=3600)  # fmt: skip
    for i in range(3):  # 2 mutations a row: 6
        applier.row(RowChange("t", "insert", None, {"id": i, "v": 0}))
    applier.commit(Commit("f:100", 0.0))
    for i in range(3, 7):  # 8 more: the two do not fit together
        applier.row(RowChange("t", "insert", None, {"id": i, "v": 0}))
    applier.commit(Commit("f:200", 0.0))
    applier.flush()
    rows = [[w[2]["id"] for w in ops if w[1] == "t"] for ops in db.commits]
    assert rows == [[0, 1, 2], [3, 4, 5, 6]]
    assert [json.loads(ops[-1][2]["state"])["position"] for ops in db.commits] == ["f:100", "f:200"]
