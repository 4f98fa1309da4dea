"""Streaming dump readers: statement boundaries, comments, encodings, broken input."""

from __future__ import annotations

import io
from itertools import product

import pytest
from dbtools.migrate.dumpread import CopyEnd, CopyRows, Statement, read_events, read_statements
from dbtools.migrate.model import Diagnostic
from dbtools.migrate.source import parse_text


def stmts(engine: str, text: str | bytes) -> tuple[list[Statement], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    data = text.encode() if isinstance(text, str) else text
    found = read_statements(engine, io.BytesIO(data), diags, whole=False)
    return [one for st in found for one in st.each()], diags  # runs of INSERTs, one by one


def test_mysql_semicolons_in_strings_comments_and_identifiers() -> None:
    out, diags = stmts(
        "mysql",
        "-- a comment; with a semicolon\n"
        "# another; comment\n"
        "INSERT INTO `a;b` VALUES ('x;y', \"q;\\\"\", 'it''s; ok', 'back\\\\');\n"
        "/* block; comment */ SELECT 1;\n"
        "SELECT 2--3;\n",
    )
    assert [s.text for s in out] == [
        "INSERT INTO `a;b` VALUES ('x;y', \"q;\\\"\", 'it''s; ok', 'back\\\\')",
        "SELECT 1",
        "SELECT 2--3",
    ]
    assert [s.line for s in out] == [3, 4, 5]
    assert diags == []


def test_mysql_conditional_comments_are_code_and_delimiter_changes() -> None:
    out, _ = stmts(
        "mysql",
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "DELIMITER ;;\n"
        "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END ;;\n"
        "DELIMITER ;\n"
        "SELECT 3;\n",
    )
    assert out[0].text == "SET NAMES utf8mb4"
    assert out[1].text.startswith("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END")
    assert out[2].text == "SELECT 3" and out[2].line == 5


def test_multiline_string_keeps_newlines_and_start_line() -> None:
    out, _ = stmts("mysql", "\n\nINSERT INTO t VALUES ('a\nb;\nc');\n")
    assert out[0].text == "INSERT INTO t VALUES ('a\nb;\nc')"
    assert out[0].line == 3


def test_pg_dollar_quotes_e_strings_and_copy_blocks() -> None:
    text = (
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\n"
        "SELECT E'it\\'s; fine', 'plain''s; too';\n"
        "COPY public.t (a, b) FROM stdin;\n"
        "1\tx; y\n"
        "2\t\\N\n"
        "\\.\n"
        "SELECT 2;\n"
    )
    events = list(read_events("postgres", io.BytesIO(text.encode()), []))
    kinds = [type(e).__name__ for e in events]
    # the data lines of a COPY block come as one event (read a block at a time)
    assert kinds == ["Statement", "Statement", "Statement", "CopyRows", "CopyEnd", "Statement"]
    assert isinstance(events[3], CopyRows)
    assert events[3].texts == ["1\tx; y", "2\t\\N"] and events[3].line == 4
    assert isinstance(events[4], CopyEnd) and events[4].line == 6
    assert events[5].text == "SELECT 2" and events[5].line == 7


def test_non_utf8_is_reported_with_its_line_and_the_rest_goes_on() -> None:
    data = b"CREATE TABLE t (id int PRIMARY KEY, n varchar(5) DEFAULT 'caf\xe9');\nCREATE TABLE u (id int PRIMARY KEY);\n"
    src = parse_text("mysql", data)
    assert set(src.tables) == {"t", "u"}
    assert [(d.line, d.kind) for d in src.diagnostics] == [(1, "encoding")]


def test_non_utf8_in_data_is_counted_not_fatal() -> None:
    src = parse_text(
        "mysql", b"CREATE TABLE t (b blob);\nINSERT INTO t VALUES (_binary '\xff\xfe');\n"
    )
    assert src.statements.get("insert with non-UTF-8 bytes") == 1
    assert src.diagnostics == []


def test_syntax_errors_and_unknown_statements_have_line_numbers() -> None:
    src = parse_text(
        "mysql",
        "CREATE TABLE ok1 (id int PRIMARY KEY);\n"
        "\n"
        "CREATE TABLE broken (id int NOT NULL DEFAULT, x int);\n"
        "FROBNICATE everything;\n"
        "CREATE TABLE ok2 (id int PRIMARY KEY);\n",
    )
    assert set(src.tables) == {"ok1", "ok2"}
    assert [(d.line, d.kind) for d in src.diagnostics] == [(3, "syntax"), (4, "unsupported")]


def test_pg_syntax_error_reported_and_rest_continues() -> None:
    src = parse_text(
        "postgres",
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int,, x int);\nCREATE TABLE c (id int PRIMARY KEY);\n",
    )
    assert set(src.tables) == {"a", "c"}
    assert src.diagnostics[0].line == 2 and src.diagnostics[0].kind == "syntax"


def test_truncated_dump_is_reported() -> None:
    _, diags = stmts(
        "mysql", "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES ('unterminated\n"
    )
    assert diags and diags[0].kind == "incomplete" and diags[0].line == 2
    _, diags = stmts("postgres", "COPY t (a) FROM stdin;\n1\n2\n")
    assert any("COPY" in d.message for d in diags)


def test_reads_a_stream_lazily() -> None:
    """Statements come out while the input is still being produced (constant memory: a block
    of about BLOCK_BYTES at a time)."""
    from dbtools.migrate.dumpread import BLOCK_BYTES, RUN_STATEMENTS

    produced = []

    def lines():
        for i in range(400_000):  # about 11 MB
            line = f"INSERT INTO t VALUES ({i});\n".encode()
            produced.append(len(line))
            yield line

    gen = read_statements("mysql", lines(), [])
    first = next(gen)
    # consecutive one-row INSERTs of a table come as one run
    assert first.text.startswith("INSERT INTO t VALUES (0), (1), (2)")
    assert first.count == RUN_STATEMENTS and first.line == 1
    assert sum(produced) < 2 * BLOCK_BYTES
    second = next(gen)
    assert second.line == RUN_STATEMENTS + 1 and second.text.startswith(
        f"INSERT INTO t VALUES ({RUN_STATEMENTS}),"
    )


def test_whole_line_insert_counting_agrees_with_the_scanner() -> None:
    from dbtools.migrate.dumpread import _whole_line_insert

    lines = [
        "INSERT INTO `t` VALUES (1,'a'),(2,'it''s'),(3,'');\n",
        "INSERT INTO `t` VALUES (1,'with \\'quote\\''),(2,'\\\"');\r\n",
        "INSERT INTO `t` VALUES (1,'semi;colon'),(2,';'),(3,'\\';');\n",  # ';' inside strings
        "INSERT INTO `t` VALUES (1,'back\\\\slash'),(2,'\\\\'),(3,'\\\\\\'');\n",
        "INSERT INTO `t` VALUES (1,'# -- /* in strings'),(2,'\\\\;');\n",
        "INSERT INTO `t` VALUES (1,'a') ;  \n",
        "INSERT INTO `t` VALUES (1,'open string;\n",  # the ';' is inside the string
        "INSERT INTO `t` VALUES (1,'escaped end\\');\n",  # still inside the string
        "INSERT INTO `t` VALUES (1,'escaped end\\\\\\');\n",  # still inside
        "INSERT INTO `it's` VALUES (1,'x');\n",  # a quote before VALUES
        "INSERT INTO `t` VALUES (1,'x');INSERT INTO `t` VALUES (2,'y');\n",  # two statements
        "INSERT INTO `t` VALUES (1,'x') # comment;\n",
        "INSERT INTO `t` VALUES (1,'x') -- comment;\n",
        "INSERT INTO `t` VALUES (1,'x') /* c */;\n",
    ]
    for n, line in enumerate(lines):
        counted = _whole_line_insert(line)
        # the scanner's statements for the same line (a leading space skips the counting)
        scanned, _ = stmts("mysql", " " + line)
        if n < 6:
            assert counted is not None and [counted.strip()] == [s.text for s in scanned], line
        else:
            assert counted is None, line
    # and through the reader: each line is one statement, or the scanner joins lines
    out, diags = stmts("mysql", "".join(lines[:6]))
    assert [s.line for s in out] == [1, 2, 3, 4, 5, 6] and diags == []
    out, _ = stmts("mysql", lines[6] + "more');\n")
    assert out[0].text == "INSERT INTO `t` VALUES (1,'open string;\nmore')"


def test_whole_line_counting_never_disagrees_with_the_scanner() -> None:
    from dbtools.migrate.dumpread import _whole_line_insert

    # lines as mysqldump writes them (every backslash inside a string, paired with the next
    # character), with every mix of three pieces inside a string and between two rows: the
    # counting may decline a line, but a line it takes is exactly what the scanner reads
    inside = ["a", "\\'", "\\\\", "''", ";", "#", "-- ", "/*", "*/", "\\n", '"']
    between = [";", "#", "-- ", "/*", "*/", " ", ","]
    lines = [f"INSERT INTO `t` VALUES (1,'{''.join(c)}');\n" for c in product(inside, repeat=3)]
    lines += [
        f"INSERT INTO `t` VALUES (1,'x'){''.join(c)}(2,'y');\n" for c in product(between, repeat=3)
    ]
    taken = 0
    for line in lines:
        counted = _whole_line_insert(line)
        if counted is None:
            continue
        taken += 1
        scanned, _ = stmts("mysql", " " + line)  # (a leading space skips the counting)
        assert [s.text for s in scanned] == [counted.strip()], line
    assert taken > len(lines) // 3


def test_row_per_line_inserts_read_as_the_scanner_reads_them() -> None:
    # MariaDB's mysqldump writes extended INSERTs one row per line; whole rows are joined by
    # counting, anything else (a string over two lines, ';' or comment marks in strings) goes
    # to the scanner, and the statements are the same either way
    rows = [
        "(1,'plain')",
        "(2,'a;b -- c # d /* e */')",
        "(3,'it\\'s \\\\ here')",
        "(4,'two\nlines')",
        "(5,'\"quoted\" `ticks`')",
        "(6,NULL)",
    ]
    body = "INSERT INTO `t` VALUES\n" + ",\n".join(rows) + ";\nSELECT 1;\n"
    fast, diags = stmts("mysql", body)
    slow, _ = stmts("mysql", " " + body)  # a leading space: the scanner reads every line
    assert diags == []
    assert [s.text for s in fast] == [s.text.strip() for s in slow]
    assert fast[0].text.endswith("(6,NULL)") and fast[0].line == 1 and fast[1].line == 9
    # a row line that does not close its string hands over to the scanner mid-statement
    cut, diags = stmts("mysql", "INSERT INTO `t` VALUES\n(1,'x'),\n(2,'open\n")
    assert cut == [] and diags[0].kind == "incomplete"


def test_complete_insert_head_with_its_first_row_reads_as_the_scanner_reads_it() -> None:
    # MariaDB's --complete-insert: the first row on the head line, the others one per line
    body = "INSERT INTO `t` (`a`, `b`) VALUES (1,'x;y'),\n(2,'it\\'s'),\n(3,'z');\nSELECT 1;\n"
    fast, diags = stmts("mysql", body)
    slow, _ = stmts("mysql", " " + body)
    assert diags == [] and [s.text for s in fast] == [s.text.strip() for s in slow]
    assert len(fast) == 2 and fast[0].text.endswith("(3,'z')")


def test_pg_insert_lines_read_as_the_scanner_reads_them() -> None:
    lines = [
        "INSERT INTO public.t VALUES (1, 'plain');\n",
        "INSERT INTO public.t VALUES (2, 'it''s; -- not a comment /* nor this */');\n",
        "INSERT INTO public.t VALUES (3, E'back\\\\slash \\' quote');\n",
        "INSERT INTO public.t VALUES (4, 'two\nlines');\n",
        'INSERT INTO public."T" VALUES (5, $$dollar; quoted$$);\n',
        "INSERT INTO public.t VALUES (6, 'NONE'); SELECT 1;\n",
        "INSERT INTO public.t VALUES (7, 'x'); -- trailing comment\n",
    ]
    body = "".join(lines)
    fast, diags = stmts("postgres", body)
    slow, _ = stmts("postgres", " " + body.replace("\nINSERT", "\n INSERT"))
    assert diags == []
    assert [s.text for s in fast] == [s.text.strip() for s in slow]
    assert [s.line for s in fast] == [s.line for s in slow]
    assert "E'back\\\\slash \\' quote'" in fast[2].text and fast[6].text == "SELECT 1"


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_runs_of_one_row_inserts_give_every_row_and_report_a_broken_one_by_its_line(
    engine: str,
) -> None:
    from dbtools.migrate.rows import read_rows

    head = "INSERT INTO t VALUES "
    # a string holding a statement boundary and the head (pg_dump writes newlines as they are)
    tricky = "'a;\nINSERT INTO t VALUES (9, ''z'');'" if engine == "postgres" else "'a;'"
    lines = [f"{head}({i}, 'v{i}');\n" for i in range(5)]
    lines[2] = f"{head}(2, {tricky});\n"
    lines.insert(4, f"{head}(3, 'broken' 'x' !);\n")
    data = "".join(lines).encode()
    diags: list[Diagnostic] = []
    rows = [r for b in read_rows(engine, io.BytesIO(data), diags) for r in b.rows]
    assert [str(r[0]) for r in rows] == ["0", "1", "2", "3", "4"]
    assert rows[2][1] == ("a;\nINSERT INTO t VALUES (9, 'z');" if engine == "postgres" else "a;")
    broken = data[: data.index(b"'broken'")].count(b"\n") + 1
    assert [(d.line, d.kind) for d in diags if d.kind != "incomplete"] == [(broken, "syntax")]
