"""parse(): the specification's parsing algorithm, plus the trace context."""

from __future__ import annotations

from dbtools.sqlcommenter import parse, parse_traceparent

TP = "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-03"


def test_parse_tags_and_trace() -> None:
    sql = (
        "SELECT * FROM FOO /*action='%2Fparam*d',controller='index',framework='spring',"
        f"traceparent='{TP}',tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/"
    )
    got = parse(sql)
    assert got.tags["action"] == "/param*d"
    assert got.tags["framework"] == "spring"
    assert got.trace is not None
    assert got.trace.trace_id_hex == "5bd66ef5095369c7b0d1f8f4bd33716a"
    assert got.trace.span_id_hex == "c532cb4098ac3dd2"
    assert got.trace.trace_flags == 3 and got.trace.sampled
    assert got.trace.trace_state == (("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7"))
    assert got.trace.traceparent == TP
    assert sql[got.start : got.end] == got.comment


def test_parse_takes_the_last_comment_and_ignores_quoted_ones() -> None:
    sql = "select '/*a=''x''*/' /* first='1' */ from t /*second='2'*/;"
    assert parse(sql).tags == {"second": "2"}


def test_parse_escaped_quote() -> None:
    assert parse("select 1 /*k='FOO%20\\'BAR'*/").tags == {"k": "FOO 'BAR"}


def test_parse_without_comment() -> None:
    got = parse("select '/* no */'")
    assert got.tags == {} and got.trace is None and got.comment is None


def test_parse_skips_malformed_pairs() -> None:
    assert parse("select 1 /*a='1',broken,b=2,c='3'*/").tags == {"a": "1", "c": "3"}


def test_parse_invalid_traceparent_gives_no_trace() -> None:
    got = parse("select 1 /*traceparent='zz'*/")
    assert got.tags == {"traceparent": "zz"} and got.trace is None


def test_traceparent_rules() -> None:
    assert parse_traceparent(TP) is not None
    assert parse_traceparent("00-" + "0" * 32 + "-c532cb4098ac3dd2-01") is None
    assert parse_traceparent("00-5bd66ef5095369c7b0d1f8f4bd33716a-" + "0" * 16 + "-01") is None
    assert parse_traceparent("ff-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01") is None
    unsampled = parse_traceparent("00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-00")
    assert unsampled is not None and not unsampled.sampled
    future = parse_traceparent("01-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01-extra")
    assert future is not None and future.version == 1
