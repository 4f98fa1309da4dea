"""Serialization exactly as the specification's exhibits show."""

from __future__ import annotations

from dbtools.sqlcommenter import comment, serialize
from dbtools.sqlcommenter.serializer import decode, encode


def test_spec_value_exhibits() -> None:
    assert serialize({"k": "DROP"}) == "k='DROP'"
    assert serialize({"k": 1234}) == "k='1234'"
    assert serialize({"k": "FOO 'BAR"}) == "k='FOO%20\\'BAR'"
    assert serialize({"k": "/param first"}) == "k='%2Fparam%20first'"


def test_spec_key_exhibit() -> None:
    assert serialize({"route parameter": "x"}) == "route%20parameter='x'"


def test_pairs_are_sorted_and_joined_with_commas() -> None:
    tags = {"route": "/polls 1000", "controller": "index", "action": "run", "framework": "spring"}
    assert serialize(tags) == (
        "action='run',controller='index',framework='spring',route='%2Fpolls%201000'"
    )


def test_sort_is_on_serialized_pairs() -> None:
    # '-' (0x2d) sorts before '=' (0x3d): "a-b='…'" comes before "a='…'".
    assert serialize({"a": "1", "a-b": "2"}) == "a-b='2',a='1'"


def test_nothing_to_say_means_no_comment() -> None:
    assert serialize({}) == ""
    assert serialize({"k": None, "": "x"}) == ""
    assert comment("select 1", {}) == "select 1"
    assert comment("select 1", {"k": None}) == "select 1"


def test_empty_value_is_kept_quoted() -> None:
    assert serialize({"k": ""}) == "k=''"


def test_encoding_never_lets_the_comment_close_early() -> None:
    body = serialize({"*/": "*/ drop table x; /*"})
    assert "*/" not in body and "/*" not in body


def test_unicode_and_percent() -> None:
    assert encode("é%€") == "%C3%A9%25%E2%82%AC"
    assert decode(encode("é%€ 'q'")) == "é%€ 'q'"


def test_full_statement_exhibit() -> None:
    sql = comment(
        "SELECT * FROM FOO;",
        {
            "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
            "traceparent": "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01",
        },
    )
    assert sql == (
        "SELECT * FROM FOO /*traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01',"
        "tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/;"
    )


def test_prepend_and_percent_escaping() -> None:
    assert comment("select 1;", {"r": "/a"}, position="prepend") == "/*r='%2Fa'*/ select 1;"
    assert comment("select %s", {"r": "/a"}, escape_percent=True) == "select %s /*r='%%2Fa'*/"


def test_existing_comment_is_never_touched() -> None:
    for sql in ["select 1 /* mine */", "select 1 -- mine", "/*+ hint */ select 1"]:
        assert comment(sql, {"a": "b"}, dialect="postgresql") == sql


def test_comment_never_raises() -> None:
    class Boom:
        def __str__(self) -> str:
            raise RuntimeError("nope")

    assert comment("select 1", {"a": Boom()}) == "select 1"
    assert comment(None, {"a": "b"}) is None  # type: ignore[arg-type]
