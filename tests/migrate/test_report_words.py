"""The report says what happened and nothing false: no invented input problems, no false
NULL warnings, no fair rating with an error, and every flattened name accounted for."""

from __future__ import annotations

from dbtools.migrate import report
from dbtools.migrate.convert import convert
from dbtools.migrate.report import _wrap
from dbtools.migrate.source import parse_text


def codes(src_text: str, engine: str) -> list[tuple[str, str | None, str | None]]:
    conv = convert(parse_text(engine, src_text), "google_standard_sql")
    return [(i.code, i.table, i.column) for i in conv.issues]


def test_owner_changes_of_sequences_and_views_are_not_input_problems() -> None:
    src = parse_text(
        "postgres",
        "CREATE SEQUENCE public.s;\n"
        "ALTER TABLE public.s OWNER TO app;\n"
        "CREATE TABLE public.t (id integer PRIMARY KEY);\n"
        "CREATE VIEW public.v AS SELECT id FROM public.t;\n"
        "ALTER TABLE public.v OWNER TO app;\n"
        "ALTER TABLE public.t OWNER TO app;\n"
        "ALTER TABLE public.nowhere ADD COLUMN x int;\n",
    )
    # only the ALTER that would change a table we do not have is a problem
    assert [(d.line, d.message) for d in src.diagnostics] == [
        (7, "ALTER TABLE nowhere: unknown table; skipped")
    ]
    assert src.statements["alter owner or storage"] == 3


def test_primary_key_columns_are_not_said_to_allow_null() -> None:
    # neither engine lets a PRIMARY KEY column hold NULL, declared NOT NULL or not
    assert not [
        c
        for c in codes("CREATE TABLE t (id int, PRIMARY KEY (id));", "mysql")
        if c[0] == "pk_nullable"
    ]
    assert not [
        c
        for c in codes("CREATE TABLE t (id int); ALTER TABLE t ADD PRIMARY KEY (id);", "postgres")
        if c[0] == "pk_nullable"
    ]
    # a promoted UNIQUE index may hold NULLs: that one is reported
    found = codes("CREATE TABLE t (a int, b int NOT NULL, UNIQUE KEY u (a));", "mysql")
    assert ("pk_nullable", "t", "a") in found and ("unique_promoted", "t", None) in found


def test_the_overall_rating_is_poor_with_an_error() -> None:
    # an unresolved foreign key is an error; every column is otherwise clean
    conv = convert(
        parse_text(
            "mysql",
            "CREATE TABLE t (id bigint NOT NULL, r bigint, PRIMARY KEY (id),"
            " FOREIGN KEY (r) REFERENCES missing (id));",
        ),
        "google_standard_sql",
    )
    assert any(i.severity == "error" for i in conv.issues)
    assert report.build(conv)["summary"]["rating"] == "POOR"


def test_mysql_database_qualifiers_and_several_databases_are_reported() -> None:
    found = codes("CREATE TABLE shop.t (id int PRIMARY KEY);", "mysql")
    assert ("database_dropped", "t", None) in found
    src = parse_text(
        "mysql",
        "USE `a`;\nCREATE TABLE t (id int PRIMARY KEY);\nUSE `b`;\nCREATE TABLE t (id int PRIMARY KEY);\n",
    )
    messages = [(d.line, d.message) for d in src.diagnostics]
    assert messages[0][0] == 3 and "more than one database (a, b)" in messages[0][1]
    assert any("defined twice" in m for _, m in messages)


def test_postgres_schema_qualified_names_are_reported_when_flattened() -> None:
    found = codes(
        "CREATE TABLE myschema.test (id int PRIMARY KEY); CREATE TABLE public.test (id int PRIMARY KEY);",
        "postgres",
    )
    assert ("illegal_name", "myschema_test", None) in found


def test_wrapped_report_lines_keep_their_indent() -> None:
    text = "  2. " + "word " * 40
    lines = _wrap(text, indent="     ").splitlines()
    assert lines[0].startswith("  2. word") and all(x.startswith("     word") for x in lines[1:])
