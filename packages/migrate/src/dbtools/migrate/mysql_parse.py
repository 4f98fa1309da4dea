"""MySQL / MariaDB DDL -> source model, using sqlglot's MySQL parser.

sqlglot builds the statement tree; the type name is read from the source text right after the
column name (sqlglot normalises some names, e.g. REAL, and does not know every spatial type).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import TokenType

from . import grants
from .dumpread import Statement
from .model import (
    ENCODING_MESSAGE,
    Check,
    Column,
    Diagnostic,
    ForeignKey,
    Ignored,
    Index,
    IndexKey,
    SourceSchema,
    SourceType,
    Table,
    schema_text_of,
)

_SPATIAL = (
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
)


logging.getLogger("sqlglot").setLevel(logging.ERROR)


class _Dialect(MySQL):
    class Tokenizer(MySQL.Tokenizer):
        # sqlglot knows GEOMETRY but not its subtypes; parse them as GEOMETRY, the real name
        # is taken from the text.
        KEYWORDS: ClassVar[dict[str, TokenType]] = {
            **MySQL.Tokenizer.KEYWORDS,
            **dict.fromkeys(_SPATIAL, TokenType.GEOMETRY),
            "INET4": TokenType.INET,
            "INET6": TokenType.INET,
        }


DIALECT = _Dialect

# Spellings -> canonical name used as key of typemap.MYSQL.
CANONICAL = {
    "integer": "int",
    "int4": "int",
    "int1": "tinyint",
    "int2": "smallint",
    "int3": "mediumint",
    "middleint": "mediumint",
    "int8": "bigint",
    "dec": "decimal",
    "numeric": "decimal",
    "fixed": "decimal",
    "real": "double",
    "double precision": "double",
    "float4": "float",
    "float8": "double",
    "boolean": "bool",
    "character": "char",
    "nchar": "char",
    "national char": "char",
    "character varying": "varchar",
    "nvarchar": "varchar",
    "national varchar": "varchar",
    "long": "mediumtext",
    "long varchar": "mediumtext",
    "long varbinary": "mediumblob",
}

_TYPE_TEXT = re.compile(
    r"\s*((?:national\s+|long\s+)?[a-z_][a-z0-9_]*(?:\s+precision|\s+varying)?)\s*"
    r"(\((?:[^()'\"]|'(?:[^'\\]|\\.|'')*')*\))?((?:\s+(?:unsigned|signed|zerofill))*)",
    re.IGNORECASE,
)
_FIRST_WORDS = re.compile(r"\s*(\w+)(?:\s+(\w+))?(?:\s+(\w+))?")
_DEFINER = re.compile(r"DEFINER\s*=\s*\S+\s+", re.IGNORECASE)


def _ident(node: exp.Expression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, exp.Identifier):
        return str(node.this)
    if isinstance(node, (exp.Column, exp.Table)):
        return str(node.name)
    return str(node.name) if hasattr(node, "name") else node.sql(dialect=DIALECT)


def _int(node: exp.Expression) -> int | None:
    lit = node.this if isinstance(node, exp.DataTypeParam) else node
    if isinstance(lit, exp.Literal) and not lit.is_string:
        try:
            return int(str(lit.this))
        except ValueError:
            return None
    return None


def _sql(node: exp.Expression) -> str:
    if isinstance(node, exp.Literal):  # the common case, without the SQL generator
        value = str(node.this)
        if not node.is_string:
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return node.sql(dialect=DIALECT)


def parse_type(kind: exp.DataType, text_after_name: str) -> SourceType:
    m = _TYPE_TEXT.match(text_after_name)
    raw_name = re.sub(r"\s+", " ", m.group(1).lower()) if m else kind.this.name.lower()
    name = CANONICAL.get(raw_name, raw_name)
    modifiers = (m.group(3) or "").lower() if m else ""
    raw = (raw_name + m.group(0).strip()[len(m.group(1)) :]) if m else _sql(kind).lower()
    values: tuple[str, ...] = ()
    args: list[int] = []
    if name in ("enum", "set"):
        values = tuple(str(e.this) for e in kind.expressions if isinstance(e, exp.Literal))
    else:
        for e in kind.expressions:
            v = _int(e)
            if v is not None:
                args.append(v)
    unsigned = "unsigned" in modifiers or (
        kind.this.name.startswith("U") and not raw_name.startswith("u")
    )
    if name == "serial":
        unsigned = True
    return SourceType(name, tuple(args), unsigned, values, raw=raw)


def _key(node: exp.Expression) -> IndexKey:
    desc = False
    if isinstance(node, exp.Ordered):
        desc = bool(node.args.get("desc"))
        node = node.this
    if isinstance(node, exp.ColumnPrefix):
        return IndexKey(_ident(node.this), desc, _int(node.expression))
    if isinstance(node, exp.Anonymous) and len(node.expressions) == 1:
        prefix = _int(node.expressions[0])
        if prefix is not None:  # CREATE INDEX i ON t (col(10)) parses as a call
            name = node.this.this if isinstance(node.this, exp.Identifier) else node.this
            return IndexKey(str(name), desc, prefix)
    if isinstance(node, (exp.Identifier, exp.Column)):
        return IndexKey(_ident(node), desc)
    if isinstance(node, exp.Paren):
        node = node.this
    return IndexKey(None, desc, None, _sql(node))


def _fk(name: str, fk: exp.ForeignKey) -> ForeignKey:
    ref = fk.args.get("reference")
    ref_schema = ref.this if ref is not None else None
    ref_table = ""
    ref_cols: list[str] = []
    if isinstance(ref_schema, exp.Schema):
        ref_table = _ident(ref_schema.this)
        ref_cols = [_ident(e) for e in ref_schema.expressions]
    elif ref_schema is not None:
        ref_table = _ident(ref_schema)
    on_delete, on_update = "NO ACTION", "NO ACTION"
    for opt in ref.args.get("options") or [] if ref is not None else []:
        text = str(opt).upper()
        if text.startswith("ON DELETE "):
            on_delete = text[len("ON DELETE ") :]
        elif text.startswith("ON UPDATE "):
            on_update = text[len("ON UPDATE ") :]
    for key in ("delete", "update"):  # older sqlglot keeps actions as args
        val = fk.args.get(key)
        if val:
            if key == "delete":
                on_delete = str(val).upper()
            else:
                on_update = str(val).upper()
    return ForeignKey(
        name, [_ident(e) for e in fk.expressions], ref_table, ref_cols, on_delete, on_update
    )


class MySQLSchemaBuilder:
    """Feeds statements into a SourceSchema; unknown or broken statements become diagnostics."""

    def __init__(self, schema: SourceSchema | None = None) -> None:
        self.schema = schema or SourceSchema("mysql")
        self._anon = 0
        self._databases: list[str] = []  # of USE statements

    def _count(self, kind: str, n: int = 1) -> None:
        self.schema.statements[kind] = self.schema.statements.get(kind, 0) + n

    def feed_all(self, statements: Iterable[Statement]) -> SourceSchema:
        for st in statements:
            self.feed(st)
        return self.schema

    def feed(self, st: Statement) -> None:
        if st.text.startswith("INSERT INTO ") and not st.invalid_utf8:  # most of a dump
            self._count("insert", st.count)
            return
        first = _FIRST_WORDS.match(st.text)
        words = [w.upper() for w in first.groups() if w] if first else []
        head = words[0] if words else ""
        if head in ("INSERT", "REPLACE"):
            self._count("insert")
            if st.invalid_utf8:
                self._count("insert with non-UTF-8 bytes")
            return
        if st.invalid_utf8:
            text, message = schema_text_of(st.text)
            self.schema.diagnostics.append(
                Diagnostic(st.invalid_utf8, "encoding", message or ENCODING_MESSAGE)
            )
            st = Statement(text, st.line)
        if head in ("GRANT", "REVOKE"):  # mysqldump --system=users, or written by hand
            self._count(head.lower())
            if head == "GRANT":
                self.schema.ignored.extend(grants.mysql_entries(st.text, st.line))
            else:
                self.schema.ignored.append(
                    Ignored("revoke", "", st.line, f"{st.text[:200]}: {grants.NOT_MIGRATED}")
                )
            return
        if head == "USE":
            self._use(st)
        if head in ("LOCK", "UNLOCK", "DROP", "USE", "COMMIT", "START", "BEGIN"):
            self._count(head.lower())
            return
        if head == "SET":
            self._count("set")
            m = re.match(r"\s*SET\s+TIME_ZONE\s*=\s*'([^']*)'", st.text, re.IGNORECASE)
            if m:
                self.schema.time_zone = m.group(1)
            return
        if head == "CREATE":
            text = _DEFINER.sub("", st.text)
            rest = [w.upper() for w in re.findall(r"\w+", text[:300])[1:12]]
            for kind in ("TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "VIEW"):
                if kind in rest and "TABLE" not in rest[:2] and "INDEX" not in rest[:3]:
                    self._ignored(kind.lower(), text, kind, st.line)
                    return
            if "DATABASE" in rest[:1] or "SCHEMA" in rest[:1]:
                self._count("create database")
                return
        if head == "ALTER" and re.search(r"\b(?:DIS|EN)ABLE\s+KEYS\s*$", st.text, re.IGNORECASE):
            self._count("alter table keys")
            return
        if head == "ALTER" and "DATABASE" in words[1:2]:
            self._count("alter database")
            return
        text, partition = _split_partition(st.text) if head == "CREATE" else (st.text, None)
        self._unknown_types: dict[int, str] = {}
        text, pk_desc = _strip_pk_desc(text) if head == "CREATE" else (text, set())
        original = text
        if "ZEROFILL" in text.upper():
            # display-only, and the compiled sqlglot rejects it; blanked (same length, so the
            # column type is still read, ZEROFILL included, from the original text)
            text = _ZEROFILL.sub(lambda m: " " * len(m.group(0)), text)
        srids: dict[str, int] = {}
        if "SRID" in text.upper():
            # MySQL 8's `SRID n` on a spatial column (mysqldump: /*!80003 SRID 0 */): sqlglot
            # cannot parse it; blanked like ZEROFILL, remembered per column and reported
            text, srids = _strip_srid(text)
        try:
            tree, parsed_text = self._parse_with_unknown_types(text, st)
            if parsed_text != text:  # unknown types were substituted: offsets follow that text
                original = text = parsed_text
        except (ParseError, TokenError) as exc:
            msg = str(exc).splitlines()[0]
            self.schema.diagnostics.append(
                Diagnostic(st.line, "syntax", f"cannot parse statement ({msg}); skipped")
            )
            return
        if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE":
            self._count("create table")
            self._create_table(tree, Statement(original, st.line))
            table = (
                self.schema.tables.get(_ident(tree.this.this)) if tree.this is not None else None
            )
            if pk_desc and table is not None:
                table.pk_desc = [c in pk_desc for c in table.primary_key]
            for name, srid in srids.items():
                col = table.column(name) if table is not None else None
                if col is not None:
                    col.srid = srid
            if partition and tree.this is not None:
                table = self.schema.tables.get(_ident(tree.this.this))
                if table is not None:
                    table.options.append(partition)
        elif isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "INDEX":
            self._count("create index")
            self._create_index(tree, st)
        elif isinstance(tree, exp.Alter):
            self._count("alter table")
            self._alter(tree, st)
        elif isinstance(tree, exp.Command) and head in ("CREATE", "ALTER"):
            self._count("error")
            self.schema.diagnostics.append(
                Diagnostic(st.line, "syntax", f"cannot parse statement: {st.text[:80]!r}; skipped")
            )
        else:
            self._count("other")
            self.schema.diagnostics.append(
                Diagnostic(
                    st.line,
                    "unsupported",
                    f"statement not understood and skipped: {st.text[:80]!r}",
                )
            )

    def _use(self, st: Statement) -> None:
        """mysqldump --databases a b: every database's tables land in one Spanner database."""
        m = re.match(r"\s*USE\s+(`(?:[^`]|``)+`|\w+)", st.text, re.IGNORECASE)
        if m is None:
            return
        db = _my_name(m.group(1))
        if self._databases and db not in self._databases:
            self.schema.diagnostics.append(
                Diagnostic(
                    st.line,
                    "unsupported",
                    f"the dump holds more than one database ({', '.join(self._databases)}, "
                    f"{db}): their tables all go into one Spanner database, and tables of the "
                    "same name collide (reported as defined twice)",
                )
            )
        if db not in self._databases:
            self._databases.append(db)

    def _parse_with_unknown_types(self, text: str, st: Statement) -> tuple[Any, str]:
        """Parse; a column type sqlglot does not know is read as LONGTEXT and reported."""
        for _ in range(50):
            try:
                return sqlglot.parse_one(text, dialect=DIALECT, error_level=ErrorLevel.RAISE), text
            except ParseError as exc:
                err = exc.errors[0] if exc.errors else {}
                word = str(err.get("highlight") or "")
                line, col = err.get("line"), err.get("col")
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word) or not line or not col:
                    raise
                lines = text.split("\n")
                offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - len(word)
                if text[offset : offset + len(word)] != word or not _type_position(text, offset):
                    raise
                self.schema.diagnostics.append(
                    Diagnostic(
                        st.line + text[:offset].count("\n"),
                        "unsupported",
                        f"unknown column type {word!r}; read as text",
                    )
                )
                text = text[:offset] + "LONGTEXT" + text[offset + len(word) :]
                shift = len("LONGTEXT") - len(word)
                self._unknown_types = {
                    (k + shift if k > offset else k): v for k, v in self._unknown_types.items()
                }
                self._unknown_types[offset] = word.lower()
        raise ParseError("too many unknown types")

    def _ignored(self, kind: str, text: str, keyword: str, line: int) -> None:
        self._count(f"create {kind}")
        m = re.search(
            keyword + r"\s+(?:IF\s+NOT\s+EXISTS\s+)?([`\"]?)([^`\"\s(]+)\1", text, re.IGNORECASE
        )
        name = m.group(2) if m else "?"
        detail = ""
        if kind == "trigger":
            on = re.search(r"\bON\s+([`\"]?)([^`\"\s]+)\1\s+FOR\s+EACH\s+ROW", text, re.IGNORECASE)
            detail = f"on {on.group(2)}" if on else ""
        # mysqldump writes each view twice (a stand-in first, the real one at the end)
        if not any(o.kind == kind and o.name == name for o in self.schema.ignored):
            self.schema.ignored.append(Ignored(kind, name, line, detail))

    # -- CREATE TABLE ----------------------------------------------------------------------
    def _create_table(self, tree: exp.Create, st: Statement) -> None:
        schema_node = tree.this
        if not isinstance(schema_node, exp.Schema):
            self.schema.diagnostics.append(
                Diagnostic(st.line, "unsupported", "CREATE TABLE ... AS SELECT / LIKE skipped")
            )
            return
        table = Table(_ident(schema_node.this), line=st.line)
        db = schema_node.this.args.get("db") if isinstance(schema_node.this, exp.Table) else None
        if db is not None:
            table.schema = _ident(db)  # reported: the database qualifier is dropped
        for item in schema_node.expressions:
            if isinstance(item, exp.ColumnDef):
                self._column(table, item, st.text)
            elif isinstance(item, (exp.Identifier, exp.Column)):
                self.schema.diagnostics.append(
                    Diagnostic(
                        st.line,
                        "syntax",
                        f"table {table.name}: column {_ident(item)} has no type; column skipped",
                    )
                )
            else:
                self._table_item(table, item)
        for prop in (tree.args.get("properties") or exp.Properties()).expressions:
            if isinstance(prop, exp.AutoIncrementProperty):
                table.auto_increment_next = _int(prop.this)
            elif isinstance(prop, exp.CollateProperty) and _sql(prop.this).lower().strip(
                "'\""
            ).endswith("_ci"):
                table.options.append(f"COLLATE={_sql(prop.this)} (case-insensitive comparisons)")
            elif isinstance(prop, exp.SchemaCommentProperty):
                table.comment = str(prop.this.this)
            elif isinstance(prop, (exp.PartitionedByProperty,)) or "PARTITION" in prop.key.upper():
                table.options.append(_sql(prop))
        if table.name in self.schema.tables:
            self.schema.diagnostics.append(
                Diagnostic(st.line, "unsupported", f"table {table.name} defined twice; last wins")
            )
        self.schema.tables[table.name] = table

    def _column(self, table: Table, cd: exp.ColumnDef, text: str) -> None:
        end = cd.this.meta.get("end") if isinstance(cd.this, exp.Identifier) else None
        after = text[end + 1 : end + 200] if end is not None else ""
        kind = cd.args.get("kind")
        if kind is None:
            kind = exp.DataType.build("text")
        col = Column(_ident(cd.this), parse_type(kind, after))
        if end is not None:
            start = end + 1 + (len(after) - len(after.lstrip()))
            unknown = getattr(self, "_unknown_types", {}).get(start)
            if unknown is not None:
                col.type = SourceType(
                    unknown, col.type.args, raw=unknown + col.type.raw[len("longtext") :]
                )
        if col.type.name == "serial":
            col.type = SourceType("bigint", (), True, raw="serial")
            col.not_null = True
            col.auto_increment = True
            table.indexes.append(Index(col.name, [IndexKey(col.name)], unique=True))
        for c in cd.constraints:
            k = c.kind
            if isinstance(k, exp.NotNullColumnConstraint):
                col.not_null = not k.args.get("allow_null")
            elif isinstance(k, exp.DefaultColumnConstraint):
                if not (isinstance(k.this, exp.Null)):
                    col.default = _sql(k.this)
            elif isinstance(k, exp.AutoIncrementColumnConstraint):
                col.auto_increment = True
            elif isinstance(k, exp.ComputedColumnConstraint):
                col.generated = _sql(k.this)
                col.generated_stored = bool(k.args.get("persisted"))
            elif isinstance(k, exp.OnUpdateColumnConstraint):
                col.on_update = _sql(k.this)
            elif isinstance(k, exp.CommentColumnConstraint):
                col.comment = str(k.this.this) if isinstance(k.this, exp.Literal) else _sql(k.this)
            elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                table.primary_key = [col.name]
                table.pk_desc = [False]
            elif isinstance(k, exp.UniqueColumnConstraint):
                table.indexes.append(Index(col.name, [IndexKey(col.name)], unique=True))
            elif isinstance(k, exp.CheckColumnConstraint):
                self._anon += 1
                table.checks.append(Check(f"{table.name}_chk_{col.name}", _sql(k.this)))
            elif isinstance(k, exp.CollateColumnConstraint):
                col.collation = _sql(k.this)
        table.columns.append(col)

    def _table_item(self, table: Table, item: exp.Expression) -> None:
        name = ""
        if isinstance(item, exp.Constraint):
            name = _ident(item.this)
            for inner in item.expressions:
                self._table_item_named(table, inner, name)
            return
        self._table_item_named(table, item, name)

    def _table_item_named(self, table: Table, item: exp.Expression, name: str) -> None:
        if isinstance(item, exp.PrimaryKey):
            keys = [_key(e) for e in item.expressions]
            table.primary_key = [k.column or "" for k in keys]
            table.pk_desc = [k.desc for k in keys]
        elif isinstance(item, exp.UniqueColumnConstraint):
            target = item.this
            if isinstance(target, exp.Schema):
                idx_name = _ident(target.this) or name
                keys = [_key(e) for e in target.expressions]
            else:
                idx_name = name
                keys = [_key(e) for e in item.expressions] if item.expressions else []
            table.indexes.append(Index(idx_name or self._auto_name(table, keys), keys, unique=True))
        elif isinstance(item, exp.IndexColumnConstraint):
            keys = [_key(e) for e in item.expressions]
            kind = str(item.args.get("kind") or "btree").lower()
            unique = kind == "unique"
            idx_name = _ident(item.this) if item.this else self._auto_name(table, keys)
            table.indexes.append(
                Index(idx_name, keys, unique=unique, kind="btree" if unique else kind)
            )
        elif isinstance(item, exp.ForeignKey):
            fk = _fk(name, item)
            if not fk.name:
                self._anon += 1
                fk.name = f"{table.name}_ibfk_{self._anon}"
            table.foreign_keys.append(fk)
        elif isinstance(item, exp.CheckColumnConstraint):
            self._anon += 1
            table.checks.append(Check(name or f"{table.name}_chk_{self._anon}", _sql(item.this)))
        elif isinstance(item, exp.Check):
            self._anon += 1
            table.checks.append(Check(name or f"{table.name}_chk_{self._anon}", _sql(item.this)))

    @staticmethod
    def _auto_name(table: Table, keys: list[IndexKey]) -> str:
        return keys[0].column or f"{table.name}_idx" if keys else f"{table.name}_idx"

    # -- CREATE INDEX / ALTER TABLE ------------------------------------------------------------
    def _create_index(self, tree: exp.Create, st: Statement) -> None:
        idx = tree.this
        table = self.schema.tables.get(_ident(idx.args.get("table")))
        if table is None:
            self.schema.diagnostics.append(
                Diagnostic(st.line, "unsupported", "CREATE INDEX on an unknown table; skipped")
            )
            return
        params = idx.args.get("params")
        cols = params.args.get("columns") if params is not None else []
        keys = [_key(e) for e in cols or []]
        kind = "btree"
        using = params.args.get("using") if params is not None else None
        if using is not None:
            kind = _sql(using).lower()
        text_head = st.text[:40].upper()
        if "FULLTEXT" in text_head:
            kind = "fulltext"
        elif "SPATIAL" in text_head:
            kind = "spatial"
        table.indexes.append(
            Index(_ident(idx.this), keys, unique=bool(tree.args.get("unique")), kind=kind)
        )

    def _alter(self, tree: exp.Alter, st: Statement) -> None:
        table = self.schema.tables.get(_ident(tree.this))
        if table is None:
            self.schema.diagnostics.append(
                Diagnostic(
                    st.line,
                    "unsupported",
                    f"ALTER TABLE {_ident(tree.this)}: unknown table; skipped",
                )
            )
            return
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AddConstraint):
                for item in action.expressions:
                    self._table_item(table, item)
            elif isinstance(action, exp.ColumnDef):
                self._column(table, action, st.text)
            else:
                self.schema.diagnostics.append(
                    Diagnostic(
                        st.line,
                        "unsupported",
                        f"ALTER TABLE action not applied: {_sql(action)[:80]}",
                    )
                )


_NOT_TYPES = {"DESC", "ASC", "KEY", "INDEX", "CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK"}


def _type_position(text: str, offset: int) -> bool:
    """Is `offset` where a column type starts: right after a column name in the column list?"""
    if not re.match(r"\s*CREATE\s", text, re.IGNORECASE):
        return False
    word = re.match(r"\w+", text[offset:])
    if word is None or word.group(0).upper() in _NOT_TYPES:
        return False
    prefix = text[:offset]
    depth = 0
    for ch in re.sub(r"'(?:[^'\\]|\\.|'')*'|`[^`]*`|\"[^\"]*\"", "", prefix):
        depth += ch == "("
        depth -= ch == ")"
    if depth != 1:
        return False
    return re.search(r"[(,]\s*(?:`(?:[^`]|``)+`|\"[^\"]+\"|\w+)\s+$", prefix) is not None


_ZEROFILL = re.compile(r"(?<=\s)zerofill\b", re.IGNORECASE)
_SRID = re.compile(
    r"(?P<col>`(?:[^`]|``)+`|\w+)\s+(?:geometry|point|linestring|polygon|multipoint|"
    r"multilinestring|multipolygon|geometrycollection|geomcollection)\b[^,`]*?"
    r"(?P<clause>\bSRID\s+(?P<srid>\d+))",
    re.IGNORECASE,
)


def _strip_srid(text: str) -> tuple[str, dict[str, int]]:
    """Blank each spatial column's `SRID n` (same length: offsets stay) -> text, {column: n}."""
    found: dict[str, int] = {}
    pieces: list[str] = []
    last = 0
    for m in _SRID.finditer(text):
        found[_my_name(m.group("col"))] = int(m.group("srid"))
        pieces += [text[last : m.start("clause")], " " * len(m.group("clause"))]
        last = m.end("clause")
    return "".join(pieces) + text[last:], found


def _my_name(word: str) -> str:
    return word[1:-1].replace("``", "`") if word.startswith("`") else word


_PK_DESC_HINT = re.compile(r"PRIMARY\s+KEY\s*\([^)]*\bDESC\b", re.IGNORECASE)


def _strip_pk_desc(text: str) -> tuple[str, set[str]]:
    """sqlglot cannot parse DESC inside PRIMARY KEY (...): cut it out and remember the columns."""
    if not _PK_DESC_HINT.search(text):
        return text, set()
    try:
        tokens = DIALECT().tokenize(text)
    except TokenError:
        return text, set()
    cuts: list[tuple[int, int]] = []
    desc_cols: set[str] = set()
    i = 0
    while i < len(tokens) - 2:
        head = " ".join(tokens[i].text.upper().split())
        if head == "PRIMARY KEY" or (head == "PRIMARY" and tokens[i + 1].text.upper() == "KEY"):
            j = i + 1 if head == "PRIMARY KEY" else i + 2
            depth = 0
            while j < len(tokens):
                tok = tokens[j]
                if tok.token_type == TokenType.L_PAREN:
                    depth += 1
                elif tok.token_type == TokenType.R_PAREN:
                    depth -= 1
                    if depth == 0:
                        break
                elif tok.token_type == TokenType.DESC and depth == 1:
                    cuts.append((tok.start, tok.end + 1))
                    desc_cols.add(tokens[j - 1].text)
                j += 1
            i = j
        i += 1
    for start, end in reversed(cuts):
        text = text[:start] + text[end:]
    return text, desc_cols


def _split_partition(text: str) -> tuple[str, str | None]:
    """Cut a top-level PARTITION BY clause, which sqlglot cannot parse; it is reported instead."""
    if "PARTITION" not in text.upper():
        return text, None
    try:
        tokens = DIALECT().tokenize(text)
    except TokenError:
        return text, None
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif (depth == 0 and " ".join(tok.text.upper().split()) == "PARTITION BY") or (
            depth == 0
            and tok.text.upper() == "PARTITION"
            and i + 1 < len(tokens)
            and tokens[i + 1].text.upper() == "BY"
        ):
            return text[: tok.start].rstrip(), " ".join(text[tok.start :].split())
    return text, None
