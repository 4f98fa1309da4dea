"""Translate source expressions (DEFAULT, CHECK, generated columns) to Spanner, when possible.

Expressions are parsed with sqlglot in the source dialect, checked against the small set of
constructs both Spanner dialects accept, columns are renamed, and the result is printed for the
target dialect. Anything outside that set is refused with a reason; the caller records an issue.
Nothing is sent to Spanner to check it, so a dry run stays offline.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .model import SpType
from .mysql_parse import DIALECT as MYSQL_DIALECT


class NotExpressible(Exception):
    """The expression cannot be carried over; the message is the reason."""


_ALLOWED = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.Neg,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Like,
    exp.Length,
    exp.Upper,
    exp.Lower,
    exp.Coalesce,
    exp.Abs,
    exp.Concat,
    exp.DPipe,
    exp.Trim,
    exp.Substring,
    exp.Round,
    exp.If,
    exp.Case,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Tuple,
    exp.CurrentTimestamp,
    exp.CurrentDate,
)
_NONDETERMINISTIC = (exp.CurrentTimestamp, exp.CurrentDate)
_ZERO_DATE = re.compile(r"^0000-00-00")


def _source_dialect(engine: str) -> Any:
    return MYSQL_DIALECT if engine == "mysql" else "postgres"


def _target_dialect(dialect: str) -> str:
    return "bigquery" if dialect == "google_standard_sql" else "postgres"


def parse(engine: str, text: str) -> Any:
    try:
        tree = sqlglot.parse_one(text, read=_source_dialect(engine))
    except (ParseError, TokenError) as exc:
        raise NotExpressible(f"cannot parse: {str(exc).splitlines()[0]}") from exc
    return tree


def translate(
    engine: str,
    dialect: str,
    text: str,
    columns: Mapping[str, str],
    *,
    deterministic: bool,
) -> str:
    """Translate a boolean/scalar expression; `columns` maps source to target column names."""
    tree = parse(engine, text)
    tree = tree.transform(_any_to_in, copy=False).transform(_drop_parens, copy=False)
    while isinstance(tree, exp.Paren):  # pg_dump wraps whole expressions: ((a > 0))
        tree = tree.this
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            if isinstance(node, exp.Anonymous):
                raise NotExpressible(
                    f"function {node.name.upper()}() has no Spanner equivalent here"
                )
            if isinstance(node, exp.Func):
                raise NotExpressible(f"function {node.sql_name()}() has no Spanner equivalent here")
            raise NotExpressible(f"{type(node).__name__.upper()} has no Spanner equivalent here")
        if deterministic and isinstance(node, _NONDETERMINISTIC):
            raise NotExpressible("it is not deterministic")
    for col in list(tree.find_all(exp.Column)):
        name = col.name
        target = columns.get(name) or columns.get(name.lower())
        if target is None:
            raise NotExpressible(f"it refers to {name}, which is not a column of this table")
        col.replace(exp.column(target, quoted=True))
    for cast in list(tree.find_all(exp.Cast)):
        if isinstance(cast.this, (exp.Literal, exp.Boolean)):
            cast.replace(cast.this)  # PostgreSQL's literal casts ('x'::text) are noise here
            continue
        wanted = _CAST_TYPES.get(cast.to.this.name)
        if wanted is None:
            raise NotExpressible(f"it casts to {cast.to.sql()}, which has no Spanner equivalent")
        spelled = wanted[0] if dialect == "google_standard_sql" else wanted[1]
        cast.set("to", exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=spelled))
    return tree.sql(dialect=_target_dialect(dialect))


# sqlglot type -> (GoogleSQL, PostgreSQL-dialect) cast target
_CAST_TYPES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        (
            "TINYINT",
            "SMALLINT",
            "MEDIUMINT",
            "INT",
            "BIGINT",
            "UTINYINT",
            "USMALLINT",
            "UMEDIUMINT",
            "UINT",
            "UBIGINT",
        ),
        ("INT64", "bigint"),
    ),
    **dict.fromkeys(("DECIMAL", "BIGDECIMAL", "UDECIMAL"), ("NUMERIC", "numeric")),
    **dict.fromkeys(("DOUBLE", "FLOAT", "UDOUBLE"), ("FLOAT64", "float8")),
    **dict.fromkeys(("VARCHAR", "TEXT", "CHAR", "NCHAR", "NVARCHAR"), ("STRING", "text")),
    "BOOLEAN": ("BOOL", "boolean"),
    "DATE": ("DATE", "date"),
    **dict.fromkeys(("TIMESTAMP", "TIMESTAMPTZ", "DATETIME"), ("TIMESTAMP", "timestamptz")),
}


def _drop_parens(node: exp.Expression) -> exp.Expression:
    """(x), (0), ((a)) -> x, 0, a: parentheses around a single operand change nothing."""
    if isinstance(node, exp.Paren):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, (exp.Column, exp.Literal, exp.Boolean, exp.Null, exp.Cast)):
            return inner
    return node


def _any_to_in(node: exp.Expression) -> exp.Expression:
    """PostgreSQL's `x = ANY (ARRAY[a, b])` (how it stores IN lists) back to `x IN (a, b)`."""
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        arr = node.expression.this
        if isinstance(arr, exp.Paren):
            arr = arr.this
        if isinstance(arr, exp.Array):
            return exp.In(this=node.this, expressions=list(arr.expressions))
    return node


def _unwrap_literal(tree: exp.Expression) -> exp.Expression:
    while isinstance(tree, (exp.Cast, exp.Paren)):
        tree = tree.this
    if isinstance(tree, exp.Neg) and isinstance(tree.this, exp.Literal):
        return exp.Literal.number("-" + str(tree.this.this))
    return tree


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pg_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_GENERATE_UUID = {"uuid", "gen_random_uuid", "uuid_generate_v4"}


def translate_default(engine: str, dialect: str, text: str, target: SpType) -> str:
    """A DEFAULT expression for a column of Spanner type `target`, in the target dialect."""
    return _translate_default(engine, dialect, text, target.key())


@functools.lru_cache(maxsize=4096)
def _translate_default(engine: str, dialect: str, text: str, target_key: str) -> str:
    # schemas repeat the same few defaults ('', 0, CURRENT_TIMESTAMP) thousands of times
    target = SpType.parse(target_key)
    gsql = dialect == "google_standard_sql"
    tree = _unwrap_literal(parse(engine, text))
    if isinstance(tree, exp.Anonymous) or (
        isinstance(tree, exp.Func) and not isinstance(tree, (exp.CurrentTimestamp, exp.CurrentDate))
    ):
        fname = (tree.name if isinstance(tree, exp.Anonymous) else tree.sql_name()).lower()
        if fname in _GENERATE_UUID and target.base == "STRING":
            return "GENERATE_UUID()" if gsql else "spanner.generate_uuid()"
    if isinstance(tree, exp.CurrentTimestamp) or (
        isinstance(tree, exp.Anonymous) and tree.name.lower() in ("now", "localtimestamp")
    ):
        if target.base == "TIMESTAMP":
            return "CURRENT_TIMESTAMP()" if gsql else "CURRENT_TIMESTAMP"
        if target.base == "DATE":
            return "CURRENT_DATE()" if gsql else "CURRENT_DATE"
        raise NotExpressible(f"a current-time default does not fit {target.key()}")
    if isinstance(tree, exp.CurrentDate) and target.base == "DATE":
        return "CURRENT_DATE()" if gsql else "CURRENT_DATE"
    if isinstance(tree, exp.Boolean):
        value = "TRUE" if tree.this else "FALSE"
        if target.base == "BOOL":
            return value
        if target.base == "INT64":
            return "1" if tree.this else "0"
        raise NotExpressible(f"a boolean default does not fit {target.key()}")
    if isinstance(tree, (exp.BitString, exp.HexString)):
        number = int(str(tree.this), 2 if isinstance(tree, exp.BitString) else 16)
        if target.base == "BOOL":
            return "TRUE" if number else "FALSE"
        if target.base == "INT64":
            return str(number)
        raise NotExpressible(f"a bit-string default does not fit {target.key()}")
    if not isinstance(tree, exp.Literal):
        raise NotExpressible("only literals and current time/UUID defaults are carried over")
    value = str(tree.this)
    if target.array:
        raise NotExpressible("array defaults are not carried over")
    base = target.base
    if base == "BOOL":
        if value.lower() in ("0", "1", "true", "false", "t", "f", "b'0'", "b'1'"):
            truthy = value.lower() in ("1", "true", "t", "b'1'")
            return "TRUE" if truthy else "FALSE"
        raise NotExpressible(f"{value!r} is not a boolean")
    if base == "INT64":
        if re.fullmatch(r"[+-]?\d+", value.strip()):
            return str(int(value))
        raise NotExpressible(f"{value!r} is not an integer")
    if base in ("FLOAT64", "FLOAT32", "NUMERIC"):
        try:
            float(value)
        except ValueError as exc:
            raise NotExpressible(f"{value!r} is not a number") from exc
        if base == "NUMERIC":
            return f"NUMERIC {_quote(value.strip())}" if gsql else value.strip()
        return value.strip()
    if base == "STRING":
        if target.length is not None and len(value) > target.length:
            raise NotExpressible(f"{value!r} is longer than {target.key()}")
        return _quote(value) if gsql else _pg_quote(value)
    if base in ("DATE", "TIMESTAMP"):
        if _ZERO_DATE.match(value):
            raise NotExpressible(f"zero date {value!r} is not a valid Spanner {base}")
        if gsql:
            return f"{base} {_quote(value)}"
        return f"{_pg_quote(value)}::{'date' if base == 'DATE' else 'timestamptz'}"
    if base == "JSON":
        return f"JSON {_quote(value)}" if gsql else f"{_pg_quote(value)}::jsonb"
    if base == "BYTES":
        return f"b{_quote(value)}" if gsql else f"{_pg_quote(value)}::bytea"
    raise NotExpressible(f"no literal form for {target.key()}")
