"""The mysqldump VALUES tokenizer: the whole-row fast path and the general path must agree
value for value, and every form the fast path does not cover must fall back, not misread."""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest
from dbtools.migrate.model import Diagnostic
from dbtools.migrate.rows import (
    _fast_rows,
    _general_rows,
    _my_unescape,
    parse_mysql_insert,
    read_rows,
)
from dbtools.migrate.values import Bits, Num

HEAD = "INSERT INTO `t` VALUES "


def both(values: str) -> tuple[list[list[Any]] | None, list[list[Any]]]:
    text = HEAD + values
    return _fast_rows(text, len(HEAD)), _general_rows(text, len(HEAD))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ("(1,'a'),(2,'b')", [["1", "a"], ["2", "b"]]),
        ("(NULL,'NULL'),('',NULL)", [[None, "NULL"], ["", None]]),
        (r"('it\'s','say \"hi\"')", [["it's", 'say "hi"']]),
        ("('it''s','''')", [["it's", "'"]]),
        (r"('back\\slash','ends\\','\\\'')", [["back\\slash", "ends\\", "\\'"]]),
        (r"('nul\0byte','ctrl\Zz','\b\n\r\t')", [["nul\0byte", "ctrl\x1az", "\b\n\r\t"]]),
        (r"('\\n is not a newline','\\\\0')", [["\\n is not a newline", "\\\\0"]]),
        (r"('100\%','a\_b')", [["100%", "a_b"]]),
        ("('),(;','(x)'),(',',')')", [["),(;", "(x)"], [",", ")"]]),
        ("(-1.5e-3,+7,.5,0.000)", [["-1.5e-3", "+7", ".5", "0.000"]]),
        ("('emoji 😀','ünïcödé')", [["emoji 😀", "ünïcödé"]]),
        ("(0x00FF,'a',0x)", [[b"\x00\xff", "a", b""]]),
        ("('0x is text','_binary too',NULL)", [["0x is text", "_binary too", None]]),
        (r"(_binary 'x\0\'y',1,_binary '',_binary'\\')", [[b"x\x00'y", "1", b"", b"\\"]]),
        ("(_binary 'caf\udce9','',0xC3A9)", [[b"caf\xe9", "", b"\xc3\xa9"]]),
        ("(1, 'spaced' ,  NULL )", [["1", "spaced", None]]),
    ],
)
def test_fast_path_reads_exact_values(values: str, expected: list[list[Any]]) -> None:
    fast, general = both(values)
    assert fast == expected
    assert general == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ("(X'0a',x'')", [[b"\n", b""]]),
        ("(0X0a,1,0xabc)", [[b"\n", "1", b"\x0a\xbc"]]),  # upper-case 0X; odd digits: padded
        ("(b'0101',B'')", [[Bits("0101"), Bits("")]]),
        ("(TRUE,false,DEFAULT,'TRUE')", [[Num("1"), Num("0"), None, "TRUE"]]),
        ("(null,1,Null,'null')", [[None, "1", None, "null"]]),  # NULL in any case
        (
            "(1,'a'), (2,'b') ,\n(3,'c')",
            [["1", "a"], ["2", "b"], ["3", "c"]],
        ),  # spaces between rows
    ],
)
def test_other_forms_are_on_the_fast_path_too(values: str, expected: list[list[Any]]) -> None:
    fast, general = both(values)
    assert fast == expected
    assert general == expected
    assert [[type(v) for v in r] for r in fast] == [[type(v) for v in r] for r in expected]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ("(1,'a'),(2)", [["1", "a"], ["2"]]),  # rows of different widths
        ("(1,'NULLx'),(NULLx,2)", None),  # not a value at all: an error, not a guess
        ("(1,'a')x(2,'b')", None),  # something other than ',' between rows
        ("(x'abc')", None),  # x'..' needs an even number of digits (0x.. does not)
    ],
)
def test_other_forms_fall_back_to_the_general_path(
    values: str, expected: list[list[Any]] | None
) -> None:
    text = HEAD + values
    assert _fast_rows(text, len(HEAD)) is None
    if expected is None:
        with pytest.raises(ValueError):
            parse_mysql_insert(text)
        return
    rows = parse_mysql_insert(text).rows
    assert rows == expected
    assert [[type(v) for v in r] for r in rows] == [[type(v) for v in r] for r in expected]


@pytest.mark.parametrize("values", ["(1,'a')(2,'b')", "(1,'a'),,(2,'b')", "(1,'a'),(2,'b'),"])
def test_rows_must_be_separated_by_one_comma_for_the_fast_path(values: str) -> None:
    # findall skips what it does not match: the coverage check must see every character
    assert _fast_rows(HEAD + values, len(HEAD)) is None


def test_numbers_glued_to_text_are_not_numbers() -> None:
    # '1x' must not be read as the number 1 followed by garbage that a findall would skip
    assert _fast_rows(HEAD + "(1x,'a')", len(HEAD)) is None
    assert _fast_rows(HEAD + "(1.2.3,'a')", len(HEAD)) is None


def test_unescape_agrees_with_the_character_by_character_rules() -> None:
    mapping = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}

    def slow(s: str) -> str:
        out, i = [], 0
        while i < len(s):
            if s[i] == "\\" and i + 1 < len(s):
                out.append(mapping.get(s[i + 1], s[i + 1]))
                i += 2
            elif s.startswith("''", i):
                out.append("'")
                i += 2
            else:
                out.append(s[i])
                i += 1
        return "".join(out)

    pieces = ["\\\\", "\\'", '\\"', "\\n", "\\0", "\\Z", "\\%", "a", "n", "'", "é", "\\é"]
    for combo in itertools.product(pieces, repeat=3):
        s = "".join(combo)
        if "'" in s.replace("\\'", "").replace("''", ""):
            continue  # a lone quote cannot occur inside a quoted string
        assert _my_unescape(s) == slow(s), s


def test_invalid_utf8_bytes_survive_the_fast_path() -> None:
    raw = b"INSERT INTO `t` VALUES (1,'ok'),(2,'bad \xff\xfe byte');\n"
    diags: list[Diagnostic] = []
    batches = list(read_rows("mysql", io.BytesIO(raw), diags))
    assert batches[0].rows[0] == ["1", "ok"]
    value = batches[0].rows[1][1]
    assert value.encode("utf-8", "surrogateescape") == b"bad \xff\xfe byte"


def test_very_long_line_and_long_strings() -> None:
    long_text = "x" * 200_000 + "\\'" + "y" * 100_000
    rows = ",".join(f"({i},'{long_text if i == 7 else i}',NULL)" for i in range(20_000))
    batch = parse_mysql_insert(HEAD + rows)
    assert len(batch.rows) == 20_000
    assert batch.rows[7][1] == "x" * 200_000 + "'" + "y" * 100_000
    assert batch.rows[19_999] == ["19999", "19999", None]


def test_wide_rows() -> None:
    row = "(" + ",".join(str(i) if i % 2 else f"'s{i}'" for i in range(600)) + ")"
    fast, general = both(row + "," + row)
    expected = [str(i) if i % 2 else f"s{i}" for i in range(600)]
    assert fast == general == [expected, expected]


def test_skip_extended_insert_dump_one_row_per_statement() -> None:
    lines = [f"INSERT INTO `t` VALUES ({i},'r\\'{i}',NULL);\n" for i in range(50)]
    dump = (
        "CREATE TABLE `t` (`a` int, `b` text, `c` int);\n" + "".join(lines) + "-- Dump completed\n"
    )
    diags: list[Diagnostic] = []
    batches = list(read_rows("mysql", io.BytesIO(dump.encode()), diags))
    assert diags == []
    assert [r for b in batches for r in b.rows] == [[str(i), f"r'{i}", None] for i in range(50)]


def test_statement_spanning_lines_with_a_semicolon_inside_a_string() -> None:
    dump = "INSERT INTO `t` VALUES (1,'first;\nsecond'),(2,'x');\nINSERT INTO `t` VALUES (3,'y');\n"
    diags: list[Diagnostic] = []
    batches = list(read_rows("mysql", io.BytesIO(dump.encode()), diags))
    assert [r for b in batches for r in b.rows] == [["1", "first;\nsecond"], ["2", "x"], ["3", "y"]]
