"""Facts that more than one package states on its own (the packages stay independent, so the
copies stay): each copy is checked here against the official source where there is one
(google.cloud.spanner_v1 enums, a real PostgreSQL) and against the other copies on one corpus.

A copy known to disagree is marked `xfail(strict=True)` with the precise disagreement: the test
still runs, and starts failing the day the copy is fixed, so the mark cannot outlive the bug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from dbtools.migrate import ddl as migrate_ddl
from dbtools.migrate import dumpread as migrate_dumpread
from dbtools.migrate import values as migrate_values
from dbtools.pgadapter import codecs as pga_codecs
from dbtools.pgadapter import lexer as pga_lexer
from dbtools.pgadapter import sqlcommenter as pga_sqlcommenter
from dbtools.pgadapter import types as pga_types
from dbtools.spanner_local import lexer as sl_lexer
from dbtools.spanner_local import pg_catalog as sl_pg_catalog
from dbtools.spanner_local import pg_literals as sl_pg_literals
from dbtools.spanner_local import typemap as sl_typemap
from dbtools.sqlcommenter import parse as sc_parse
from dbtools.sqlcommenter import serialize as sc_serialize
from dbtools.sqlcommenter.lexer import find_comments as sc_find_comments
from google.cloud.spanner_v1 import TypeAnnotationCode, TypeCode
from hypothesis import given, settings
from hypothesis import strategies as st

# ------------------------------------------------------------------ Spanner type codes


def test_spanner_local_type_codes_are_the_official_enum() -> None:
    for name, code in sl_typemap.TYPE_CODES.items():
        assert getattr(TypeCode, name).value == code, name
    for name, code in sl_typemap.ANNOTATIONS.items():
        assert getattr(TypeAnnotationCode, name).value == code, name


def test_pgadapter_type_names_are_official_enum_names() -> None:
    official = set(TypeCode.__members__) | set(TypeAnnotationCode.__members__)
    assert set(pga_types.SPANNER_TO_OID) <= official


# ------------------------------------------------------- Spanner <-> PostgreSQL type tables


def test_spanner_to_postgresql_oids_agree() -> None:
    """spanner-local's pg_catalog and pgadapter's RowDescription give a Spanner type one OID."""
    for code, oid in sl_pg_catalog.TYPE_OIDS.items():
        assert pga_types.SPANNER_TO_OID[code] == oid, code
    # Every type a PostgreSQL-dialect column can have has an OID in both.
    creatable = {code for code, _annotation in sl_typemap.PG_TYPE_NAMES.values()}
    assert creatable <= set(sl_pg_catalog.TYPE_OIDS)
    assert creatable <= set(pga_types.SPANNER_TO_OID)
    # The PostgreSQL annotations mean the same OID as their base type.
    for annotated, base in (("PG_NUMERIC", "NUMERIC"), ("PG_JSONB", "JSON")):
        assert pga_types.SPANNER_TO_OID[annotated] == pga_types.SPANNER_TO_OID[base]


def test_spanner_type_spelled_in_postgresql_agrees() -> None:
    """migrate writes PostgreSQL-dialect DDL with the spelling spanner-local prints, and
    spanner-local reads each of migrate's spellings back as the same type."""
    assert migrate_ddl._PG_TYPES == sl_typemap.PG_CANONICAL
    for code, spelling in migrate_ddl._PG_TYPES.items():
        assert sl_typemap.PG_TYPE_NAMES[spelling][0] == code, spelling


# ------------------------------------------------------ PostgreSQL array literals

REJECTED = "rejected"

ARRAY_PARSERS: dict[str, Callable[[str], list[Any]]] = {
    "migrate": migrate_values.parse_pg_array,
    "spanner-local": sl_pg_literals.parse_array_text,
    "pgadapter": lambda text: pga_codecs._parse_array_text(text, str),
}

ARRAY_CORPUS = [
    "{}",
    "{ }",
    "{1,2,3}",
    '{a,"b c",NULL}',
    '{"NULL",null}',
    "{ a , b }",
    '{"a\\"b","c\\\\d"}',
    '{"x,y",z}',
    '{"",""}',
    "{a b}",
    '{ "a" }',
    '{"a" ,b}',
    "[0:1]={a,b}",
    "{{1,2},{3,4}}",  # multi-dimensional: every copy supports one dimension only
    "abc",
    "{a",
    '{"a}',
    "{a}x",
    '{"a"b}',
    "{a,}",
    "{,a}",
]

KNOWN_ARRAY_DISAGREEMENTS: dict[tuple[str, str], str] = {}


def _outcome(parse: Callable[[str], list[Any]], text: str) -> Any:
    try:
        return parse(text)
    except Exception:  # each copy raises its own error type; all mean "malformed"
        return REJECTED


@pytest.fixture(scope="module")
def postgres_arrays(pg_server: Any) -> dict[str, Any]:
    """What PostgreSQL itself makes of each literal as text[] (the oracle)."""
    found: dict[str, Any] = {}
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        for text in ARRAY_CORPUS:
            try:
                value = conn.execute("select %s::text[]", (text,)).fetchone()[0]  # type: ignore[index]
            except psycopg.errors.InvalidTextRepresentation:
                value = REJECTED
            if isinstance(value, list) and any(isinstance(v, list) for v in value):
                value = REJECTED  # beyond the one dimension the copies support
            found[text] = value
    return found


@pytest.mark.parametrize(
    ("copy", "text"),
    [
        pytest.param(
            copy,
            text,
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_ARRAY_DISAGREEMENTS[(copy, text)])
            if (copy, text) in KNOWN_ARRAY_DISAGREEMENTS
            else (),
        )
        for copy in ARRAY_PARSERS
        for text in ARRAY_CORPUS
    ],
)
def test_array_literal_parsers_read_like_postgresql(
    postgres_arrays: dict[str, Any], copy: str, text: str
) -> None:
    assert _outcome(ARRAY_PARSERS[copy], text) == postgres_arrays[text]


# ------------------------------------------------------------- sqlcommenter comments

COMMENT_CORPUS = [
    "select 1 /*a='1',b='x%20y'*/",
    "select 1 /*a='1',junk*/",
    "select 1 /*a='1'*/ -- remark",
    "select 1 /*a='1'*/;",
    "/*a='1'*/ select 1",
    "select /*a='1'*/ 1",
    "select 1 /* just a remark */",
    "select 1 /*a='it\\'s'*/",
    "select '/*a=''1''*/'",
    "select 1 -- /*a='1'*/",
    "select 1 /*a='1'*/ /* other */",
    "select 1 /*a=1*/",
    "select 1 /*a='1',*/",
    "select 1 /*a='1', b='2'*/",
    "select 1 /* /*a='1'*/ */",
    "select 1 /*a='x,y'*/",
    "select $$ /*a='1'*/ $$",
    "select $t$ x $t$ /*a='1'*/",
    "select 1 /*a='1'*/ /* never closed",
    "select e'\\' /*a=''1''*/' /*b='2'*/",
    "select \"/*a='1'*/\" /*b='2'*/",
    "select 1 /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/",
]


@pytest.mark.parametrize("sql", COMMENT_CORPUS)
def test_sqlcommenter_comment_parsers_agree(sql: str) -> None:
    assert pga_sqlcommenter.parse_comment(sql) == sc_parse(sql, "postgresql").tags


@given(
    tags=st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=20), max_size=5),
    prepend=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_sqlcommenter_comments_round_trip_through_both_parsers(
    tags: dict[str, str], prepend: bool
) -> None:
    body = sc_serialize(tags)
    if not body:
        return
    sql = f"/*{body}*/ select 1" if prepend else f"select 1 /*{body}*/"
    assert sc_parse(sql, "postgresql").tags == tags
    assert pga_sqlcommenter.parse_comment(sql) == tags


# --------------------------------------------- lexing: nested comments and dollar quotes

SCRIPTS = [
    "select 1; select 2;",
    "select ';' ; select 2;",
    'select ";" ; select 2;',
    "select $$ ; $$; select 2;",
    "select $tag$ $$ ; $tag$; select 2;",
    "select $f$\n;\n$f$;\nselect 2;",
    "/* ; */ select 1; -- ;\nselect 2;",
    "/* a /* ; */ ; */ select 1; select 2;",
    "select 1 /* x\n;\n*/;\nselect 2;",
    "select e'\\'; '; select 2;",
    "select 1 -- x /* \n; select 2;",
]


def _pgadapter_statements(script: str) -> int:
    return len(pga_lexer.split_statements(script))


def _migrate_statements(script: str) -> int:
    lines = [(line + "\n").encode() for line in script.split("\n")]
    diagnostics: list[Any] = []
    found = list(migrate_dumpread.read_statements("postgres", lines, diagnostics, whole=False))
    assert not diagnostics
    return len(found)


def _spanner_local_statements(script: str) -> int:
    tokens = sl_lexer.tokenize(script, "POSTGRESQL")
    return sum(1 for tok in tokens if tok.kind == "op" and tok.text == ";")


STATEMENT_SPLITTERS: dict[str, Callable[[str], int]] = {
    "pgadapter": _pgadapter_statements,
    "migrate": _migrate_statements,
    "spanner-local": _spanner_local_statements,
}

KNOWN_LEXER_DISAGREEMENTS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize(
    ("copy", "script"),
    [
        pytest.param(
            copy,
            script,
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_LEXER_DISAGREEMENTS[(copy, script)])
            if (copy, script) in KNOWN_LEXER_DISAGREEMENTS
            else (),
        )
        for copy in STATEMENT_SPLITTERS
        for script in SCRIPTS
    ],
)
def test_statement_boundaries_agree(copy: str, script: str) -> None:
    """Each script holds exactly two statements, whatever its quotes and comments hide."""
    assert STATEMENT_SPLITTERS[copy](script) == 2


@pytest.mark.parametrize("script", SCRIPTS)
def test_comment_spans_agree(script: str) -> None:
    """sqlcommenter's PostgreSQL lexer and pgadapter's find the same comments (compared as the
    code left once comments become a space; pgadapter counts a `--` comment's newline as part
    of it, sqlcommenter leaves it outside: whitespace either way)."""
    pieces, last = [], 0
    for comment in sc_find_comments(script, "postgresql"):
        pieces += [script[last : comment.start], " "]
        last = comment.end
    pieces.append(script[last:])
    assert "".join(pieces).split() == pga_lexer.strip_comments(script).split()
