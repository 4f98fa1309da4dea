"""The streaming merge against a plain dictionary comparison, on random streams."""

from __future__ import annotations

from typing import Any

from dbtools.dvt.merge import merge_streams
from hypothesis import given, settings
from hypothesis import strategies as st


def batches(rows: list[tuple[Any, ...]], size: int) -> list[list[tuple[Any, ...]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.integers(0, 400), st.integers(0, 3), max_size=300),
    st.dictionaries(st.integers(0, 400), st.integers(0, 3), max_size=300),
    st.integers(1, 50),
    st.integers(1, 50),
)
def test_merge_matches_a_dictionary_diff(
    a: dict[int, int], b: dict[int, int], sa: int, sb: int
) -> None:
    src = sorted((k, v) for k, v in a.items())
    tgt = sorted((k, v) for k, v in b.items())
    seen: list[tuple[str, Any]] = []
    counts = merge_streams(
        batches(src, sa), batches(tgt, sb), 1, lambda st_, key, x, y: seen.append((st_, key[0]))
    )
    want_missing = sorted(set(a) - set(b))
    want_extra = sorted(set(b) - set(a))
    want_mismatch = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    assert sorted(k for s, k in seen if s == "missing") == want_missing
    assert sorted(k for s, k in seen if s == "extra") == want_extra
    assert sorted(k for s, k in seen if s == "mismatch") == want_mismatch
    assert counts.matched == len(set(a) & set(b)) - len(want_mismatch)
    assert (counts.source_rows, counts.target_rows) == (len(a), len(b))


def test_composite_and_string_keys_merge_in_code_point_order() -> None:
    src = [("a", 1, "h"), ("a", 2, "h"), ("b", 1, "h"), ("é", 1, "h")]
    tgt = [("a", 2, "h"), ("b", 1, "x"), ("z", 0, "h"), ("é", 1, "h")]
    tgt.sort()
    out: list[tuple[str, tuple[Any, ...]]] = []
    merge_streams([src], [tgt], 2, lambda s, k, x, y: out.append((s, k)))
    assert out == [("missing", ("a", 1)), ("mismatch", ("b", 1)), ("extra", ("z", 0))]


def test_empty_sides() -> None:
    out: list[str] = []
    c = merge_streams([], [[(1, "h")]], 1, lambda s, k, x, y: out.append(s))
    assert out == ["extra"] and c.target_rows == 1 and c.source_rows == 0
