"""The pure parts of live migration: test_decoding lines, positions, the lag figures."""

from __future__ import annotations

import pytest
from dbtools.migrate.live import positions
from dbtools.migrate.live.capture_pg import DecodeError, parse, parse_change
from dbtools.migrate.live.changes import RowChange, Truncate
from dbtools.migrate.live.checkpoint import State
from dbtools.migrate.live.lag import Progress


def test_insert_with_quotes_spaces_nulls_and_arrays() -> None:
    line = (
        "table public.items: INSERT: id[integer]:7 name[character varying]:'it''s a b' "
        'note[text]:null tags[text[]]:\'{a,"b c"}\' "Odd Col"[numeric]:1.50'
    )
    ch = parse_change(line)
    assert ch == RowChange(
        "items",
        "insert",
        None,
        {"id": "7", "name": "it's a b", "note": None, "tags": '{a,"b c"}', "Odd Col": "1.50"},
    )


def test_update_with_key_change_and_other_schema() -> None:
    line = (
        "table sales.orders: UPDATE: old-key: id[bigint]:1 new-tuple: id[bigint]:2 qty[integer]:5"
    )
    ch = parse_change(line)
    assert isinstance(ch, RowChange) and ch.table == "sales.orders"
    assert ch.before == {"id": "1"} and ch.after == {"id": "2", "qty": "5"}


def test_delete_truncate_and_value_that_looks_like_null() -> None:
    assert parse_change("table public.t: DELETE: id[integer]:3") == RowChange(
        "t", "delete", {"id": "3"}, None
    )
    assert parse_change("table public.t: TRUNCATE: (no-flags)") == Truncate("t")
    ch = parse_change("table public.t: INSERT: id[integer]:1 v[text]:'null'")
    assert isinstance(ch, RowChange) and ch.after == {"id": "1", "v": "null"}


def test_unchanged_toast_value_without_old_row_is_an_error_naming_the_fix() -> None:
    line = "table public.docs: UPDATE: id[integer]:1 body[text]:unchanged-toast-datum"
    with pytest.raises(DecodeError, match="REPLICA IDENTITY FULL"):
        parse_change(line)
    full = (
        "table public.docs: UPDATE: old-key: id[integer]:1 body[text]:'long' "
        "new-tuple: id[integer]:1 body[text]:unchanged-toast-datum"
    )
    ch = parse_change(full)
    assert isinstance(ch, RowChange) and ch.after == {"id": "1", "body": "long"}


def test_malformed_lines_are_refused() -> None:
    for bad in ["BEGIN", "table public.t: MERGE: x", "table public.t: INSERT: id:1"]:
        with pytest.raises((DecodeError, ValueError)):
            parse_change(bad)


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


def test_truncate_of_several_tables_is_one_record_each() -> None:
    line = 'table public.a, sales."Odd ""T""", public.c: TRUNCATE: restart_seqs'
    assert parse(line) == [Truncate("a"), Truncate('sales.Odd "T"'), Truncate("c")]
