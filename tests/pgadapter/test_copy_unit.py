"""COPY statement options and the text/csv formats, without servers."""

from __future__ import annotations

import pytest
from dbtools.pgadapter.copy import (
    BINARY_HEADER,
    BINARY_TRAILER,
    MAX_MUTATIONS,
    CopyBatcher,
    CopyReader,
    CopySpec,
    batches,
    binary_row,
    binary_rows,
    csv_rows,
    format_csv_row,
    format_text_row,
    parse_copy,
    read_rows,
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
    # either name is the client's stream, as in PostgreSQL (PHP PDO sends TO STDIN)
    assert parse_copy("COPY t TO STDIN").direction == "to"
    assert parse_copy("COPY t FROM STDOUT").direction == "from"
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


def test_copy_batcher_cuts_pieces_as_batches_cuts_the_whole() -> None:
    """Fed in arbitrary pieces, the streaming batcher gives the same batches as cutting the
    converted rows at once; a batch is handed out when the row after it arrives."""
    spec = parse_copy("COPY t (id, name) FROM STDIN")
    data = "".join(f"{i}\tname {i}\n" for i in range(50_000)).encode()
    parsers = [int, str]
    batcher = CopyBatcher(spec, "t", ["id", "name"], parsers, 4)
    got: list[list[list[object]]] = []
    for start in range(0, len(data), 7_777):
        full, error = batcher.feed(data[start : start + 7_777])
        assert error is None
        got.extend(full)
        assert len(batcher.filler.batch) <= MAX_MUTATIONS // 4
    full, error = batcher.finish()
    assert error is None
    got.extend(full)
    rows = [[i, f"name {i}"] for i in range(50_000)]
    assert got == list(batches(rows, 4, 32 * 1024 * 1024))
    assert [len(g) for g in got] == [20_000, 20_000, 10_000]


def test_copy_batcher_keeps_the_batches_before_a_bad_row() -> None:
    spec = parse_copy("COPY t (id) FROM STDIN")
    batcher = CopyBatcher(spec, "t", ["id"], [int], 4)
    data = "".join(f"{i}\n" for i in range(45_000)) + "oops\n" + "1\n"

    def parse(raw: str) -> int:
        if not raw.isdigit():
            raise PgError(f'invalid input syntax for type bigint: "{raw}"', "22P02")
        return int(raw)

    batcher.parsers = [parse]
    full, error = batcher.feed(data.encode())
    assert [len(b) for b in full] == [20_000, 20_000]
    assert error is not None and "line 45001" in error.message


# --- streaming reader ----------------------------------------------------------------------------

_STREAM_CASES = [
    (
        "COPY t FROM STDIN (HEADER)",
        "h\tx\n1\tab\\tc\n2\t\\N\n3\té\\\\N\n\\.\n4\tignored\n".encode(),
    ),
    (
        "COPY t FROM STDIN (FORMAT csv, HEADER)",
        'id,s\n1,"a\nb"\n2,é\n3,"x""y"\n4,\n5,""\n\\.\n6,ignored\n'.encode(),
    ),
    ("COPY t FROM STDIN (FORMAT csv)", b'1,"last, no newline"'),
    (
        "COPY t FROM STDIN (FORMAT binary)",
        BINARY_HEADER + binary_row([b"1", None]) + binary_row([b"22", b"xyz"]) + BINARY_TRAILER,
    ),
]


@pytest.mark.parametrize(("sql", "data"), _STREAM_CASES)
@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_copy_reader_pieces_give_the_rows_of_the_whole_input(
    sql: str, data: bytes, step: int
) -> None:
    spec = parse_copy(sql)
    whole = list(read_rows(data, spec))
    assert whole  # the case has rows
    reader = CopyReader(spec)
    got = []
    for start in range(0, len(data), step):
        got += reader.feed(data[start : start + step])
        # only an incomplete tail is kept: never more than one record plus the piece
        assert len(reader.buffer) < 40 + step
    got += reader.finish()
    assert got == whole


def test_copy_reader_errors_keep_the_line_number() -> None:
    reader = CopyReader(parse_copy("COPY t FROM STDIN (FORMAT csv)"))
    assert [n for n, _ in reader.feed(b"1,a\n2,b\n3,")] == [1, 2]
    assert reader.feed(b'"open\nstill open\n') == []
    with pytest.raises(PgError) as err:
        reader.finish()
    assert err.value.where == "COPY, line 3"
    text = CopyReader(parse_copy("COPY t FROM STDIN"))
    text.feed(b"1\ta\n2\tb\n")
    with pytest.raises(PgError) as err:
        text.feed(b"3\t\xff\n")
    assert err.value.sqlstate == "22021" and err.value.where == "COPY, line 3"
    binary = CopyReader(parse_copy("COPY t FROM STDIN (FORMAT binary)"))
    assert binary.feed(BINARY_HEADER + binary_row([b"1"])) == [(1, [b"1"])]
    binary.feed(binary_row([b"22"])[:5])
    with pytest.raises(PgError) as err:
        binary.finish()
    assert err.value.where == "COPY, line 2"
    with pytest.raises(PgError):
        CopyReader(parse_copy("COPY t FROM STDIN (FORMAT binary)")).feed(b"not a copy file at all")
