"""Property tests: round trips, and the statement itself never changes."""

from __future__ import annotations

from dbtools.sqlcommenter import comment, parse
from dbtools.sqlcommenter.lexer import dialect_family, insert_position
from hypothesis import given, settings
from hypothesis import strategies as st

TRICKY = st.sampled_from(
    ["'", '"', ",", "=", "%", "%%", "/", "*/", "/*", "\\", "\\'", " ", "é", "🙂", "\n"]
)
TEXT = st.lists(st.one_of(st.text(min_size=1, max_size=6), TRICKY), max_size=6).map("".join)
TAGS = st.dictionaries(TEXT.filter(bool), TEXT, max_size=6)

# SQL made of tokens that are hard on a lexer, but without comments of their own.
STRING = st.lists(st.one_of(st.text(max_size=5), TRICKY), max_size=4).map(
    lambda parts: "'" + "".join(parts).replace("'", "''") + "'"
)
DOLLAR = st.text(max_size=8).filter(lambda s: "$q$" not in s).map(lambda s: f"$q${s}$q$")
TOKEN = st.one_of(
    st.sampled_from(
        ["select", "*", "from", "t", "1", "=", ",", "(", ")", "$1", "%s", ";", " ", "\n"]
    ),
    STRING,
    DOLLAR,
)
SQL = st.lists(TOKEN, min_size=1, max_size=12).map(" ".join)


@given(sql=SQL, tags=TAGS, position=st.sampled_from(["append", "prepend"]))
@settings(max_examples=300, deadline=None)
def test_parse_of_comment_round_trips(sql: str, tags: dict[str, str], position: str) -> None:
    out = comment(sql, tags, position=position, dialect="postgresql")  # type: ignore[arg-type]
    if insert_position(sql, "postgresql") < 0 or not tags:
        assert out == sql
        return
    assert parse(out, "postgresql").tags == tags


@given(sql=SQL, tags=TAGS.filter(bool))
@settings(max_examples=300, deadline=None)
def test_sql_before_the_comment_is_byte_identical(sql: str, tags: dict[str, str]) -> None:
    out = comment(sql, tags, dialect="postgresql")
    pos = insert_position(sql, "postgresql")
    if pos < 0:
        assert out == sql
        return
    assert out.startswith(sql[:pos] + " /*")
    assert out.endswith("*/" + sql[pos:])
    assert sql[pos:].strip(" \t\r\n\f\v;") == ""


@given(
    sql=st.text(max_size=60),
    tags=TAGS,
    dialect=st.sampled_from(["postgresql", "mysql", "sqlite", None]),
)
@settings(max_examples=500, deadline=None)
def test_arbitrary_text_is_either_untouched_or_only_extended(
    sql: str, tags: dict[str, str], dialect: str | None
) -> None:
    out = comment(sql, tags, dialect=dialect)
    if out == sql:
        return
    pos = insert_position(sql, dialect_family(dialect))
    assert pos >= 0
    assert out[:pos] == sql[:pos] and out.endswith(sql[pos:])
    assert parse(out, dialect or "generic").tags == tags


@given(tags=TAGS)
@settings(max_examples=200, deadline=None)
def test_percent_escaped_comment_round_trips_after_the_driver_unescapes(
    tags: dict[str, str],
) -> None:
    out = comment("select %s", tags, escape_percent=True)
    # what a format-paramstyle driver does to the text after substituting parameters
    sent = out.replace("%s", "1", 1).replace("%%", "%")
    if tags:
        assert parse(sent).tags == tags


@given(
    text=st.text(max_size=200),
    dialect=st.sampled_from(["postgresql", "mysql", "sqlite", "generic"]),
)
@settings(max_examples=500, deadline=None)
def test_parse_never_raises_on_arbitrary_text(text: str, dialect: str) -> None:
    got = parse(text, dialect)
    assert isinstance(got.tags, dict)


MYSQL_STRING = st.lists(st.one_of(st.text(max_size=5), TRICKY), max_size=4).map(
    lambda parts: "'" + "".join(parts).replace("\\", "\\\\").replace("'", "\\'") + "'"
)
MYSQL_TOKEN = st.one_of(
    st.sampled_from(["select", "*", "from", "`a--b`", "`#`", "1--1", "%s", ";", " ", "\n"]),
    MYSQL_STRING,
)
MYSQL_SQL = st.lists(MYSQL_TOKEN, min_size=1, max_size=12).map(" ".join)


@given(sql=MYSQL_SQL, tags=TAGS.filter(bool))
@settings(max_examples=300, deadline=None)
def test_mysql_round_trip_and_prefix(sql: str, tags: dict[str, str]) -> None:
    out = comment(sql, tags, dialect="mysql")
    pos = insert_position(sql, "mysql")
    if pos < 0:
        assert out == sql
        return
    assert out[:pos] == sql[:pos] and out.endswith(sql[pos:])
    assert parse(out, "mysql").tags == tags
