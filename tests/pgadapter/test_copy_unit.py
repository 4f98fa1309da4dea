"""COPY statement options and the text/csv formats, without servers."""

from __future__ import annotations

import pytest
from dbtools.pgadapter.copy import (
    BINARY_HEADER,
    BINARY_TRAILER,
    MAX_MUTATIONS,
    CopySpec,
    batches,
    binary_row,
    binary_rows,
    csv_rows,
    format_csv_row,
    format_text_row,
    parse_copy,
    text_rows,
)
from dbtools.pgadapter.errors import FeatureNotSupported, PgError


def test_parse_copy_statements() -> None:
    s = parse_copy('COPY "My Table" (a, "B") FROM STDIN WITH (FORMAT csv, HEADER, NULL \'x\');')
    assert (s.direction, s.table, s.columns, s.format, s.header, s.null, s.delimiter) == (
        "from",
        "My Table",
        ["a", "B"],
        "csv",
        True,
        "x",
        ",",
    )
    s = parse_copy("copy public.t to stdout csv header delimiter as ';'")
    assert (s.table, s.format, s.header, s.delimiter, s.null) == ("t", "csv", True, ";", "")
    s = parse_copy("COPY (select ')' as x from t where a = '(') TO STDOUT")
    assert s.query == "select ')' as x from t where a = '('" and s.table is None
    assert parse_copy("COPY t FROM STDIN").delimiter == "\t"
    with pytest.raises(FeatureNotSupported):
        parse_copy("COPY t FROM '/tmp/x'")
    assert parse_copy("COPY t FROM STDIN (FORMAT binary)").format == "binary"
    assert parse_copy("COPY t TO STDOUT BINARY").format == "binary"
    with pytest.raises(PgError, match="not recognized"):
        parse_copy("COPY t FROM STDIN (bogus 1)")
    with pytest.raises(PgError):
        parse_copy("COPY (select 1) FROM STDIN")


def test_text_format_escapes_and_nulls() -> None:
    spec = CopySpec("from", "t", None, None)
    data = "1\ta\\tb\\nc\\\\\t\\N\n2\t\\\\N\t\\101\\x42\r\n\\.\nignored\n"
    assert list(text_rows(data, spec)) == [
        (1, ["1", "a\tb\nc\\", None]),
        (2, ["2", "\\N", "AB"]),
    ]


def test_csv_format_quotes_nulls_and_multiline_records() -> None:
    spec = parse_copy("COPY t FROM STDIN (FORMAT csv, HEADER)")
    data = 'h1,h2\n1,""\n2,\n3,"a ""q""\nb"\n4,"x,y"\r\n'
    assert list(csv_rows(data, spec)) == [
        (2, ["1", ""]),
        (3, ["2", None]),
        (4, ["3", 'a "q"\nb']),
        (6, ["4", "x,y"]),
    ]
    with pytest.raises(PgError, match="unterminated"):
        list(csv_rows('1,"abc\n', spec))


def test_formatting_round_trips() -> None:
    text = CopySpec("to", "t", None, None)
    line = format_text_row(["a\tb", None, "c\\d\ne"], text)
    assert line == "a\\tb\t\\N\tc\\\\d\\ne\n"
    assert list(text_rows(line, text)) == [(1, ["a\tb", None, "c\\d\ne"])]
    csv = parse_copy("COPY t TO STDOUT (FORMAT csv)")
    line = format_csv_row(["", None, 'say "hi"', "x,y", "plain"], csv)
    assert line == '"",,"say ""hi""","x,y",plain\n'
    assert list(csv_rows(line, csv)) == [(1, ["", None, 'say "hi"', "x,y", "plain"])]


def test_binary_rows_round_trip_and_truncation() -> None:
    body = binary_row([b"\x00\x01", None, b""]) + binary_row([b"x", b"y", b"z"])
    data = BINARY_HEADER + body + BINARY_TRAILER
    assert list(binary_rows(data)) == [(1, [b"\x00\x01", None, b""]), (2, [b"x", b"y", b"z"])]
    with pytest.raises(PgError, match="EOF"):
        list(binary_rows(data[:-5]))
    with pytest.raises(PgError, match="signature"):
        list(binary_rows(b"PGCOPY\n"))


def test_batches_respect_the_mutation_limit() -> None:
    rows = [[i, "x" * 10] for i in range(100_000)]
    groups = list(batches(rows, 3, 1 << 30))
    assert sum(len(g) for g in groups) == 100_000
    assert all(len(g) * 3 <= MAX_MUTATIONS for g in groups)
    by_size = list(batches(rows, 1, 10_000))
    assert all(sum(16 + 8 + 10 for _ in g) <= 10_000 for g in by_size)
