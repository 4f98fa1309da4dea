"""Runs of one-row INSERTs found by counting (insertruns.py) must be cut exactly where the
tokenizing pattern cuts them, and anything the counting cannot vouch for must go to it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from dbtools.migrate import dumpread, insertruns
from dbtools.migrate.dumpread import Statement, read_statements

MY = "INSERT INTO `t` VALUES "
PG = "INSERT INTO public.t VALUES "

# (engine, the values of each statement of a run, whether counting may take the run whole)
RUNS: list[tuple[str, list[str], bool]] = [
    ("mysql", ["(1,'a')", "(2,'it\\'s')", "(3,NULL)"], True),
    ("mysql", ["(1,'back\\\\')", "(2,'\\\\\\'')", "(3,'x')"], True),
    ("mysql", ["(1,'a;b')", "(2,'-- c # d /* e */')", "(3,'\"q\" `t`')"], True),
    ("mysql", ["(1,'x');\nINSERT INTO `t` VALUES (9,'y')", "(2,'z')"], True),
    # a string going on to the next line, with what looks like a statement boundary in it
    ("mysql", ["(1,'a);\nINSERT INTO `t` VALUES (2,'", "(3,'z')"], False),
    ("mysql", ["(1,'a\\');\nINSERT INTO `t` VALUES (2,\\'')", "(3,'z')"], False),
    ("mysql", ["(1,'a') /* x */", "(2,'b')"], False),
    ("mysql", ["(1,'a') # x", "(2,'b')"], False),
    ("mysql", ["(1,'a');SELECT 1", "(2,'b')"], False),
    ("postgres", ["(1, 'a')", "(2, 'it''s')", "(3, NULL)"], True),
    ("postgres", ["(1, 'a;b -- c /* d */ $$')", "(2, 'back\\slash')"], True),
    ("postgres", ["(1, 'a);\nINSERT INTO public.t VALUES (2, ''')", "(3, 'z')"], False),
    # an E'' string: a backslash escapes its quote
    ("postgres", ["(1, E'a\\');\nINSERT INTO public.t VALUES (2, ''')", "(3, 'z')"], False),
    ("postgres", ["(1, E'a\\'b\\'')", "(2, 'z')"], False),
    ("postgres", ["(1, 'back\\'), (2, 'e''')", "(3, 'z')"], True),
    ("postgres", ["(1, 'a') -- x", "(2, 'b')"], False),
    ("postgres", ["(1, $$a$$)", "(2, 'b')"], False),
]


def _statements(engine: str, text: str) -> list[str]:
    found = read_statements(engine, io.BytesIO(text.encode()), [], whole=False)
    return [one.text for st in found for one in st.each()]


@pytest.mark.parametrize(("engine", "values", "whole"), RUNS)
def test_counted_runs_cut_where_the_tokenizer_cuts(
    engine: str, values: list[str], whole: bool, monkeypatch: Any
) -> None:
    head = MY if engine == "mysql" else PG
    values = [*values, "(7,'p')", "(8,'q')"]  # (a run's last statement is read on its own)
    text = "".join(f"{head}{v};\n" for v in values) + "SELECT 1;\n"
    start = text.index("INSERT")
    fast = _statements(engine, text)
    monkeypatch.setattr(dumpread, "counted_run", lambda *a: None)
    slow = _statements(engine, text)  # the tokenizing pattern's cut
    assert fast == slow
    counted = insertruns.counted_run(engine, text, start, head.rstrip(), 1000)
    assert (counted is not None) == whole
    if counted is not None:
        end, pieces = counted
        assert len(pieces) == len(slow) - 2  # (not in the run: the last INSERT, the SELECT)
        assert [head.rstrip() + p for p in pieces] == slow[: len(pieces)]
        assert text[end:].startswith(slow[len(pieces)])


def test_a_run_stops_at_its_limit_and_at_another_head() -> None:
    text = "".join(f"{MY}({i},'v');\n" for i in range(7)) + "INSERT INTO `u` VALUES (1);\n"
    counted = insertruns.counted_run("mysql", text, 0, MY.rstrip(), 3)
    assert counted is not None and len(counted[1]) == 3
    assert text[counted[0] :].startswith(f"{MY}(3,")
    counted = insertruns.counted_run("mysql", text, 0, MY.rstrip(), 1000)
    # the last statement of the run is left for the next read (it is followed by another head)
    assert counted is not None and len(counted[1]) == 6
    found = list(read_statements("mysql", io.BytesIO(text.encode()), [], whole=False))
    assert [st.count for st in found] == [6, 1, 1]
    assert [st.line for st in found] == [1, 7, 8]
    assert all(isinstance(st, Statement) for st in found)
