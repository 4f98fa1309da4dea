"""Every way SQLAlchemy reaches the driver gets the comment once: execute, executemany,
insertmanyvalues batches, no-parameter execution, ORM flushes. SQLite's trace callback reports
each statement exactly as SQLite runs it; the no-parameters path is checked on PostgreSQL, where
psycopg must then receive single `%`.
"""

from __future__ import annotations

import logging

import pytest
from dbtools.sqlcommenter import ConfigurationError, parse
from dbtools.sqlcommenter.sqlalchemy import instrument, uninstrument
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


def sqlite_engine(seen: list[str], **options: object):  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def trace(dbapi_conn, record):  # type: ignore[no-untyped-def]
        dbapi_conn.set_trace_callback(seen.append)

    return instrument(engine, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("hook", ["dialect", "event"])
def test_all_execution_paths_commented_once(hook: str) -> None:
    seen: list[str] = []
    engine = sqlite_engine(seen, hook=hook, application="paths")
    table = Table("t", MetaData(), Column("a", Integer), Column("b", String(10)))
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"a": i, "b": f"{i}%"} for i in range(5)])  # executemany
        conn.execute(insert(table).values(a=99, b="x"))
        conn.exec_driver_sql("select count(*) from t where b like '%'")
        conn.execution_options(no_parameters=True).exec_driver_sql("select 1")
    with Session(engine) as session:
        Base.metadata.create_all(session.connection())
        session.add_all([Item(name="a"), Item(name="b")])  # insertmanyvalues
        session.commit()
        assert session.query(Item).count() == 2
    engine.dispose()
    statements = [s for s in seen if s.strip() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert statements, "nothing reached SQLite"
    for statement in statements:
        if statement.startswith("PRAGMA"):
            continue  # SQLAlchemy's own dialect probes run on a raw cursor
        assert statement.count("/*") == 1, statement
        assert parse(statement, "sqlite").tags["application"] == "paths", statement
        assert "%%" not in statement  # qmark paramstyle: nothing to escape
    assert any(s.startswith("INSERT INTO item") for s in statements)
    assert any(s.startswith("select 1 /*") for s in statements)


def test_hook_choice_decides_what_echo_logs_see(caplog: pytest.LogCaptureFixture) -> None:
    for hook, logged_with_comment in (("dialect", False), ("event", True)):
        engine = instrument(create_engine("sqlite://", echo=True), hook=hook, application="h")
        caplog.clear()
        with caplog.at_level(logging.INFO, "sqlalchemy.engine"), engine.connect() as conn:
            conn.execute(text("select 42"))
        logged = [r.getMessage() for r in caplog.records if "select 42" in r.getMessage()]
        assert logged and (("/*" in logged[0]) is logged_with_comment), (hook, logged)
        engine.dispose()


def test_unknown_hook_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="'dialect' or 'event'"):
        instrument(create_engine("sqlite://"), hook="proxy")  # type: ignore[arg-type]


def test_instrument_rejects_what_is_not_an_engine() -> None:
    with pytest.raises(TypeError, match="Engine or AsyncEngine"):
        instrument(object())


def test_switching_hooks_leaves_one_comment() -> None:
    seen: list[str] = []
    engine = sqlite_engine(seen, hook="event")
    instrument(engine, hook="dialect")
    with engine.connect() as conn:
        conn.execute(text("select 7"))
    uninstrument(engine)
    with engine.connect() as conn:
        conn.execute(text("select 8"))
    engine.dispose()
    assert [s.count("/*") for s in seen if s.startswith("select 7")] == [1]
    assert "select 8" in seen


def test_no_parameters_path_sends_single_percent_to_psycopg(pg_db) -> None:
    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT"),
        application="a/b",
    )
    own = "select query from pg_stat_activity where pid = pg_backend_pid()"
    try:
        with engine.connect() as conn:
            raw = conn.execution_options(no_parameters=True).exec_driver_sql(own).scalar_one()
    finally:
        engine.dispose()
    assert "application='a%2Fb'" in raw


def test_per_statement_stable_and_tags_through_execution_options(tracer) -> None:
    seen: list[str] = []
    engine = sqlite_engine(seen)
    with tracer.start_as_current_span("r"), engine.connect() as conn:
        conn.execute(text("select 1"))
        conn.execute(text("select 2"), execution_options={"sqlcomment_stable": True})
        conn.execute(text("select 3").execution_options(sqlcomment={"q": "three"}))
    engine.dispose()
    by_start = {s[:8]: parse(s, "sqlite").tags for s in seen if s.startswith("select")}
    assert "traceparent" in by_start["select 1"]
    assert "traceparent" not in by_start["select 2"]
    assert by_start["select 3"]["q"] == "three" and "traceparent" in by_start["select 3"]
