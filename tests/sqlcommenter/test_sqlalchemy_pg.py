"""SQLAlchemy against the real PostgreSQL: the comment arrives at the server.

`pg_stat_activity.query` of the session's own backend holds the statement currently running,
exactly as the server received it, comment included. The statistics snapshot is kept for a
whole transaction, so the engines run in autocommit mode: one snapshot per statement.
"""

from __future__ import annotations

import pytest
import sqlalchemy
from dbtools.sqlcommenter import parse, tagged
from dbtools.sqlcommenter.sqlalchemy import commenter_of, instrument, uninstrument
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

OWN = "select query from pg_stat_activity where pid = pg_backend_pid()"
OWN_WITH_PARAM = OWN + " and :x = 1"


@pytest.mark.parametrize("hook", ["dialect", "event"])
def test_sync_psycopg_comment_reaches_server(pg_db, tracer, traceparent, hook) -> None:
    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT"),
        application="shop/api",
        hook=hook,
    )
    try:
        with tracer.start_as_current_span("request") as span, engine.connect() as conn:
            seen = conn.execute(text(OWN)).scalar_one()
            with_param = conn.execute(text(OWN_WITH_PARAM), {"x": 1}).scalar_one()
    finally:
        engine.dispose()
    assert seen.startswith(OWN + " /*")
    tags = parse(seen).tags
    assert tags["traceparent"] == traceparent(span)
    assert tags["application"] == "shop/api"  # '/' went out as %2F and came back
    assert tags["db_framework"] == f"sqlalchemy:{sqlalchemy.__version__}"
    assert tags["db_driver"].startswith("psycopg:")
    # with parameters psycopg collapses our %% back to %: the server sees valid encoding
    assert "%%" not in with_param
    assert with_param.startswith(OWN_WITH_PARAM.replace(":x", "$1") + " /*")  # server-side binding
    assert parse(with_param).tags == tags


def test_no_span_no_traceparent_and_user_tags(pg_db) -> None:
    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT"),
        db_driver=False,
    )
    try:
        with engine.connect() as conn:
            plain = conn.execute(text(OWN)).scalar_one()
            with tagged(job="nightly, 100%"):
                blocked = conn.execute(text(OWN)).scalar_one()
            stmt = text(OWN).execution_options(sqlcomment={"report": "q'3"})
            per_statement = conn.execute(stmt).scalar_one()
    finally:
        engine.dispose()
    assert parse(plain).tags == {"db_framework": f"sqlalchemy:{sqlalchemy.__version__}"}
    assert parse(blocked).tags["job"] == "nightly, 100%"
    assert parse(per_statement).tags["report"] == "q'3"
    assert "job" not in parse(per_statement).tags


def test_existing_comment_and_hint_left_alone(pg_db, tracer) -> None:
    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT")
    )
    try:
        with tracer.start_as_current_span("r"), engine.connect() as conn:
            mine = conn.execute(text(OWN + " /* mine */")).scalar_one()
            hint = conn.execute(text("/*+ SeqScan(pg_stat_activity) */ " + OWN)).scalar_one()
            quoted = conn.execute(text(OWN + " and '/*--;' <> ''")).scalar_one()
    finally:
        engine.dispose()
    assert mine == OWN + " /* mine */"
    assert hint == "/*+ SeqScan(pg_stat_activity) */ " + OWN
    assert quoted.startswith(OWN + " and '/*--;' <> '' /*")
    assert "traceparent" in parse(quoted).tags


def test_prepend_position(pg_db) -> None:
    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT"),
        position="prepend",
    )
    try:
        with engine.connect() as conn:
            seen = conn.execute(text(OWN)).scalar_one()
    finally:
        engine.dispose()
    assert seen.startswith("/*db_driver=") and seen.endswith("*/ " + OWN)


def test_reinstrument_replaces_and_uninstrument_removes(pg_db) -> None:
    engine = create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT")
    instrument(engine, application="one")
    instrument(engine, application="two")
    try:
        with engine.connect() as conn:
            seen = conn.execute(text(OWN)).scalar_one()
            uninstrument(engine)
            assert commenter_of(engine) is None
            bare = conn.execute(text(OWN)).scalar_one()
    finally:
        engine.dispose()
    assert seen.count("/*") == 1 and parse(seen).tags["application"] == "two"
    assert bare == OWN


async def test_async_psycopg_and_asyncpg(pg_db, tracer, traceparent) -> None:
    for driver in ("psycopg", "asyncpg"):
        engine = instrument(
            create_async_engine(pg_db.sqlalchemy_url(driver), isolation_level="AUTOCOMMIT"),
            application="a",
        )
        try:
            async with engine.connect() as conn:
                with tracer.start_as_current_span(f"req-{driver}") as span:
                    seen = (await conn.execute(text(OWN))).scalar_one()
                    with_param = (await conn.execute(text(OWN_WITH_PARAM), {"x": 1})).scalar_one()
                    with tagged(route="/orders/{id}"):
                        routed = (await conn.execute(text(OWN))).scalar_one()
        finally:
            await engine.dispose()
        tags = parse(seen).tags
        assert tags["traceparent"] == traceparent(span), driver
        assert tags["db_driver"].startswith(f"{driver}:"), driver
        assert with_param.startswith(OWN_WITH_PARAM.replace(":x", "$1") + " /*"), with_param
        assert parse(with_param).tags == tags, driver
        assert parse(routed).tags["route"] == "/orders/{id}", driver


async def test_async_stable_mode_keeps_statement_text_constant(pg_db, tracer) -> None:
    engine = instrument(
        create_async_engine(pg_db.sqlalchemy_url("asyncpg"), isolation_level="AUTOCOMMIT"),
        stable=True,
    )
    try:
        async with engine.connect() as conn:
            seen = set()
            for i in range(3):
                with tracer.start_as_current_span(f"req{i}"):
                    seen.add((await conn.execute(text(OWN))).scalar_one())
    finally:
        await engine.dispose()
    assert len(seen) == 1
    assert "traceparent" not in parse(seen.pop()).tags


def test_sampled_only_mode(pg_db, tracer, traceparent) -> None:
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, use_span

    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT"),
        trace="sampled",
    )
    unsampled = NonRecordingSpan(SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(0)))
    try:
        with engine.connect() as conn:
            with use_span(unsampled):
                off = conn.execute(text(OWN)).scalar_one()
            with tracer.start_as_current_span("sampled") as span:
                on = conn.execute(text(OWN)).scalar_one()
    finally:
        engine.dispose()
    assert "traceparent" not in parse(off).tags
    assert parse(on).tags["traceparent"] == traceparent(span)


def test_two_layers_give_one_comment(pg_db) -> None:
    """SQLAlchemy on top of an instrumented psycopg connection: the driver layer sees the ORM's
    comment as an existing comment and leaves the statement alone."""
    from dbtools.sqlcommenter.psycopg import instrument as instrument_psycopg
    from sqlalchemy import event

    engine = create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, record):  # type: ignore[no-untyped-def]
        instrument_psycopg(dbapi_conn, application="driver-layer")

    instrument(engine, application="orm-layer")
    try:
        with engine.connect() as conn:
            seen = conn.execute(text(OWN)).scalar_one()
    finally:
        engine.dispose()
    assert seen.count("/*") == 1
    assert parse(seen).tags["application"] == "orm-layer"
