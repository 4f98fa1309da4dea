"""The Commenter's options, without a database: trace modes, propagators, span attribute,
stable mode, % escaping rules, configuration errors and the never-raise guarantee."""

from __future__ import annotations

import pytest
from dbtools.sqlcommenter import (
    Commenter,
    ConfigurationError,
    Options,
    SqlCommenterError,
    parse,
    request_context,
    tagged,
)
from dbtools.sqlcommenter.core import make_options
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, use_span
from opentelemetry.trace.span import TraceState

STATIC = {"db_driver": "drv:1", "db_framework": "fw:2"}


def remote_span(flags: int, state: TraceState | None = None) -> NonRecordingSpan:
    ctx = SpanContext(
        0x5BD66EF5095369C7B0D1F8F4BD33716A,
        0xC532CB4098AC3DD2,
        is_remote=True,
        trace_flags=TraceFlags(flags),
        trace_state=state,
    )
    return NonRecordingSpan(ctx)


def make(paramstyle: str | None = None, **kw: object) -> Commenter:
    return Commenter(make_options(None, **kw), static_tags=STATIC, paramstyle=paramstyle)


def test_any_trace_flags_byte_is_written_as_is() -> None:
    c = make()
    for flags in (0x00, 0x01, 0x03, 0xFF):
        with use_span(remote_span(flags)):
            tags = parse(c("select 1")).tags
        assert (
            tags["traceparent"]
            == f"00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-{flags:02x}"
        )


def test_tracestate_is_encoded_and_sorted_in() -> None:
    state = TraceState([("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7")])
    c = Commenter(Options(tags={"zz": "last", "aa": "first", "tracez": "x"}), static_tags=STATIC)
    with use_span(remote_span(1, state)):
        out = c("select 1")
    body = out[out.index("/*") + 2 : out.index("*/")]
    pairs = body.split(",")
    assert pairs == sorted(pairs)
    assert "tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'" in pairs
    parsed = parse(out)
    assert parsed.trace is not None
    assert parsed.trace.trace_state == (("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7"))


def test_fast_path_equals_general_path() -> None:
    c = make(application="app")
    with use_span(remote_span(3, TraceState([("k", "v")]))):
        fast = c("select 1")
        with tagged():  # an empty block forces the general (merging) path
            slow = c("select 1", {"x": None})
    assert fast == slow


def test_trace_modes() -> None:
    unsampled, sampled = remote_span(0), remote_span(1)
    for mode, expect_unsampled, expect_sampled in [
        ("always", True, True),
        ("sampled", False, True),
        ("never", False, False),
    ]:
        c = make(trace=mode)
        with use_span(unsampled):
            assert ("traceparent" in parse(c("select 1")).tags) is expect_unsampled, mode
        with use_span(sampled):
            assert ("traceparent" in parse(c("select 1")).tags) is expect_sampled, mode


def test_stable_mode_and_per_statement_stable() -> None:
    with use_span(remote_span(1)):
        assert "traceparent" not in parse(make(stable=True)("select 1")).tags
        c = make()
        assert "traceparent" not in parse(c("select 1", stable=True)).tags
        with request_context(route="/r"):
            # request keys stay: they have few values, so statement caches still work
            assert parse(c("select 1", stable=True)).tags["route"] == "/r"


class B3Single(TextMapPropagator):
    """A minimal user propagator (B3 single-header format)."""

    def inject(self, carrier, context=None, setter=None):  # type: ignore[no-untyped-def]
        from opentelemetry.trace import get_current_span

        ctx = get_current_span(context).get_span_context()
        carrier["b3"] = f"{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags) & 1}"

    def extract(self, carrier, context=None, getter=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    @property
    def fields(self) -> set[str]:
        return {"b3"}


def test_user_propagator() -> None:
    c = make(propagator=B3Single(), trace="sampled")
    with use_span(remote_span(1)):
        tags = parse(c("select 1")).tags
    assert tags["b3"] == "5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-1"
    assert "traceparent" not in tags
    with use_span(remote_span(0)):
        assert "b3" not in parse(c("select 1")).tags
    assert "b3" not in parse(c("select 1")).tags  # no span at all


def test_record_query_text(tracer, exporter) -> None:
    c = make("pyformat", record_query_text=True)
    with tracer.start_as_current_span("q"):
        sent = c("select %s", params_passed=True)
    (span,) = exporter.get_finished_spans()
    # the span holds what the server runs (single %), the driver gets %% to collapse
    assert span.attributes["db.query.text"] == sent.replace("%%", "%")
    assert "%%" in sent


def test_percent_escaping_needs_both_paramstyle_and_parameters() -> None:
    tags = {"r": "/x"}
    for paramstyle, passed, doubled in [
        ("pyformat", True, True),
        ("format", True, True),
        ("pyformat", False, False),
        ("qmark", True, False),
        ("numeric_dollar", True, False),
        (None, True, False),
    ]:
        c = Commenter(Options(tags=tags, db_driver=False), paramstyle=paramstyle)
        out = c("select 1", params_passed=passed)
        assert ("%%2F" in out) is doubled, (paramstyle, passed)


def test_precedence_static_request_block_statement() -> None:
    c = Commenter(Options(tags={"k": "static", "only": "s"}))
    with request_context(k="request", route="/r"), tagged(k="block", b="1"):
        tags = parse(c("select 1", {"k": "statement"})).tags
        inner = None
        with tagged(b=None):
            inner = parse(c("select 1")).tags
    assert tags == {"k": "statement", "only": "s", "route": "/r", "b": "1"}
    assert inner == {"k": "block", "only": "s", "route": "/r"}


def test_request_tags_can_be_switched_off() -> None:
    c = Commenter(Options(request_tags=False, tags={"a": "b"}))
    with request_context(route="/r"):
        assert parse(c("select 1")).tags == {"a": "b"}


def test_configuration_errors_say_what_to_do() -> None:
    with pytest.raises(ConfigurationError, match="'append' or 'prepend'"):
        Options(position="middle")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'always', 'sampled' or 'never'"):
        make_options(None, trace="sometimes")
    with pytest.raises(ConfigurationError, match="unknown option"):
        make_options(None, positon="append")
    with pytest.raises(ConfigurationError, match="TextMapPropagator"):
        Options(propagator=object())
    assert issubclass(ConfigurationError, SqlCommenterError)


def test_never_raises_and_returns_sql_unchanged(monkeypatch, caplog) -> None:
    class Exploding:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    c = make()
    assert c("select 1", {"bad": Exploding()}) == "select 1"
    assert c(None) is None  # type: ignore[arg-type]
    assert c(b"select 1") == b"select 1"  # type: ignore[arg-type]
    assert "building a comment failed" in caplog.text


def test_fast_span_lookup_agrees_with_the_public_api(tracer) -> None:
    from dbtools.sqlcommenter import tracing

    assert tracing.current_span_context() is tracing._public_lookup()  # no span: invalid
    with tracer.start_as_current_span("outer") as outer:
        assert tracing.current_span_context() is outer.get_span_context()
        assert tracing.current_span_context() is tracing._public_lookup()
        with use_span(remote_span(3)):
            assert tracing.current_span_context() is tracing._public_lookup()


def test_threads_and_tasks_each_get_their_own_span(tracer) -> None:
    """One Commenter shared by many threads: the per-span cache never hands one thread's
    traceparent to another."""
    import threading

    c = make()
    errors: list[str] = []

    def worker(n: int) -> None:
        for i in range(200):
            with tracer.start_as_current_span(f"t{n}-{i}") as span:
                ctx = span.get_span_context()
                got = parse(c("select 1")).trace
                if got is None or got.span_id != ctx.span_id or got.trace_id != ctx.trace_id:
                    errors.append(f"thread {n} round {i}: {got}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


async def test_asyncio_tasks_keep_their_own_tags(tracer) -> None:
    import asyncio

    c = make()

    async def task(n: int) -> tuple[int, dict[str, str]]:
        with tagged(task=str(n)), tracer.start_as_current_span(f"task{n}"):
            await asyncio.sleep(0)  # let the other tasks run in between
            return n, parse(c("select 1")).tags

    for n, tags in await asyncio.gather(*(task(n) for n in range(20))):
        assert tags["task"] == str(n)
