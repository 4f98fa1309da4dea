"""PostgreSQL DDL (pg_dump plain format, or DDL rebuilt from a live catalog) -> source model.

Statements are parsed with pglast (libpg_query, PostgreSQL's own grammar); expressions are kept as
PostgreSQL SQL text produced by pglast's deparser. One method per pglast statement node,
dispatched by the node's class name, all filling the same source model: that is why the module
is about 1,000 lines rather than split by statement.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType, SortByDir
from pglast.parser import ParseError, parse_sql_json
from pglast.stream import RawStream

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
from .partitions import merge as merge_partitions

# pg_catalog internal names -> canonical keys of typemap.POSTGRES
CANONICAL = {
    "integer": "int4",
    "int": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "real": "float4",
    "boolean": "bool",
    "character": "bpchar",
    "char": "bpchar",
    "character varying": "varchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "double precision": "float8",
    "decimal": "numeric",
    "bit varying": "varbit",
    "serial4": "serial",
    "serial8": "bigserial",
    "serial2": "smallserial",
}
_FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
    "\x00": "NO ACTION",
    "": "NO ACTION",
}
_SILENT = (
    ast.RefreshMatViewStmt,
    ast.VariableSetStmt,
    ast.CreateSchemaStmt,
    ast.AlterOwnerStmt,
    ast.TransactionStmt,
    ast.CreateExtensionStmt,
    ast.DropStmt,
)


def deparse(node: Any) -> str:
    return str(RawStream()(node))


def _as_deparsed(expr: str) -> str:
    """A CHECK expression as the AST path spells it (deparsed: the parentheses pg_dump and
    pg_get_constraintdef add are not kept), so that a dump and a live read give one text."""
    try:
        stmt: Any = pglast.parse_sql(f"SELECT {expr}")[0].stmt
        (target,) = stmt.targetList
        return deparse(target.val)
    except Exception:
        return expr  # the translation reports what it cannot read


def _simple_expr(node: Any) -> str | None:
    """Text of a literal or a cast literal ('x'::text, 0, true) without the deparser."""
    cast = None
    if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const):
        tn: Any = node.typeName
        names = _names(tn.names)
        if tn.typmods or tn.arrayBounds:
            return None
        cast = _type_text(names, [], 0)
        node = node.arg
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None
    val = node.val
    if isinstance(val, ast.String):
        text = "'" + str(val.sval).replace("'", "''") + "'"
    elif isinstance(val, ast.Integer):
        text = str(val.ival)
    elif isinstance(val, ast.Float):
        text = str(val.fval)
    elif isinstance(val, ast.Boolean):
        text = "true" if val.boolval else "false"
    else:
        return None
    if cast is None:
        return text
    if text.startswith("-"):
        text = f"({text})"
    return f"{text}::{cast}"


def _qualified(rv: Any) -> str:
    if rv is None:
        return ""
    if rv.schemaname and rv.schemaname not in ("public", "pg_catalog"):
        return f"{rv.schemaname}.{rv.relname}"
    return str(rv.relname)


def _names(names: Iterable[Any] | None) -> list[str]:
    return [str(n.sval) for n in names or () if isinstance(n, ast.String)]


# how PostgreSQL spells its internal type names (format_type), for the report
_DISPLAY = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "varbit": "bit varying",
    "timestamp": "timestamp{} without time zone",
    "timestamptz": "timestamp{} with time zone",
    "time": "time{} without time zone",
    "timetz": "time{} with time zone",
}


def _type_text(names: list[str], args: list[int], dims: int) -> str:
    """The type as format_type() would print it (pglast's deparser is slow for this)."""
    if len(names) == 2 and names[0] == "pg_catalog":
        base = names[1]
        display = _DISPLAY.get(base, base)
    else:
        display = ".".join(names) if len(names) > 1 or names[0] != "char" else '"char"'
    mods = f"({','.join(map(str, args))})" if args else ""
    if "{}" in display:
        text = display.format(mods)
    else:
        text = display + mods
    return text + "[]" * dims


def _object_kind(objtype: Any) -> str:
    """`table`, `sequence`, `materialized view` ... for a pglast ObjectType."""
    kind = str(getattr(objtype, "name", objtype)).removeprefix("OBJECT_").lower()
    return _KIND_WORDS.get(kind, kind.replace("_", " "))


_KIND_WORDS = {"tabconstraint": "constraint", "domconstraint": "domain constraint"}


def _object_name(obj: Any) -> str:
    """The name of a GRANT or COMMENT target as the report writes it (public. left out)."""
    if isinstance(obj, ast.RangeVar):
        return _qualified(obj)
    if isinstance(obj, ast.String):
        return str(obj.sval)
    if isinstance(obj, ast.ObjectWithArgs):
        args = ", ".join(deparse(a) for a in obj.objargs or ())
        return f"{_strip_schema('.'.join(_names(obj.objname)))}({args})"
    items = getattr(obj, "items", obj)
    if isinstance(items, (list, tuple)):
        return ".".join(_names(items)).removeprefix("public.")
    try:
        return deparse(obj)
    except Exception:
        return str(obj)


def _role_name(role: Any) -> str:
    if getattr(role, "rolename", None):
        return str(role.rolename)
    return str(getattr(role.roletype, "name", role.roletype)).removeprefix("ROLESPEC_")


def _strip_schema(qname: str) -> str:
    parts = qname.split(".")
    if len(parts) == 2 and parts[0] in ("public", "pg_catalog"):
        return parts[1]
    return qname


class PgSchemaBuilder:
    def __init__(self, schema: SourceSchema | None = None) -> None:
        self.schema = schema or SourceSchema("postgres")
        self._domain_checks: dict[str, list[str]] = {}
        # partitions as tables of their own: what they carry is merged into the parent later
        self._parts: dict[str, Table] = {}

    def _count(self, kind: str, n: int = 1) -> None:
        self.schema.statements[kind] = self.schema.statements.get(kind, 0) + n

    def feed_all(self, statements: Iterable[Statement]) -> SourceSchema:
        for st in statements:
            self.feed(st)
        self.finish()
        return self.schema

    def feed(self, st: Statement) -> None:
        text = st.text
        if text.startswith("\\"):
            self._count("psql meta-command")
            return
        head = text[:12].upper()
        if head.startswith("COPY"):
            self._count("copy")
            return
        if head.startswith("INSERT"):
            self._count("insert", st.count)
            if st.invalid_utf8:
                self._count("insert with non-UTF-8 bytes")
            return
        if st.invalid_utf8:
            text, message = schema_text_of(st.text)
            self.schema.diagnostics.append(
                Diagnostic(st.invalid_utf8, "encoding", message or ENCODING_MESSAGE)
            )
            st = Statement(text, st.line)
        try:
            if self._fast(text, st):
                return
            stmts = pglast.parse_sql(text)
        except ParseError as exc:
            loc = getattr(exc, "location", None)
            extra = ""
            if isinstance(loc, int) and 0 <= loc <= len(text):
                extra = f" (line {st.line + text[:loc].count(chr(10))})"
            self._count("error")
            self.schema.diagnostics.append(
                Diagnostic(st.line, "syntax", f"cannot parse statement: {exc}{extra}; skipped")
            )
            return
        for raw in stmts:
            self._stmt(raw.stmt, st)

    # -- fast path -------------------------------------------------------------------------------
    # pglast builds Python AST objects, which costs most of the time on big dumps. The statements
    # that need no expression text (sequences, keys, foreign keys, plain indexes) are read from
    # libpg_query's JSON parse tree instead; everything else takes the AST path.
    def _fast(self, text: str, st: Statement) -> bool:
        tree = json.loads(parse_sql_json(text))
        stmts = tree.get("stmts") or []
        if len(stmts) != 1:
            return False
        ((kind, node),) = stmts[0]["stmt"].items()
        handler = _FAST.get(kind)
        return bool(handler and handler(self, node, st))

    def _fast_seq(self, node: dict[str, Any], st: Statement) -> bool:
        self._count("create sequence")
        self.schema.sequences.setdefault(_jq(node["sequence"]), 0)
        return True

    def _fast_alter_seq(self, node: dict[str, Any], st: Statement) -> bool:
        self._count("alter sequence")
        for opt in node.get("options") or []:
            de = opt.get("DefElem", {})
            if de.get("defname") == "owned_by":
                parts = _jnames(de.get("arg", {}).get("List", {}).get("items"))
                if len(parts) >= 2:
                    owner = (_strip_schema(".".join(parts[:-1])), parts[-1])
                    self.schema.sequence_owner[_jq(node["sequence"])] = owner
        return True

    def _fast_select(self, node: dict[str, Any], st: Statement) -> bool:
        targets = node.get("targetList") or []
        calls = [t.get("ResTarget", {}).get("val", {}).get("FuncCall") for t in targets]
        if len(calls) != 1 or not calls[0] or _jnames(calls[0].get("funcname"))[-1:] != ["setval"]:
            self._count("select")
            return True
        args = [a.get("A_Const") for a in calls[0].get("args") or []]
        if len(args) < 2 or not all(args[:2]) or "sval" not in args[0] or "ival" not in args[1]:
            return False
        self._count("select")
        seq = _strip_schema(args[0]["sval"].get("sval", ""))
        value = int(args[1]["ival"].get("ival", 0))
        called = True
        if len(args) > 2 and args[2] and "boolval" in args[2]:
            called = bool(args[2]["boolval"].get("boolval", False))
        self.schema.sequences[seq] = value if called else value - 1
        return True

    def _fast_set(self, node: dict[str, Any], st: Statement) -> bool:
        self._count("VariableSetStmt")
        return True

    def _fast_create(self, node: dict[str, Any], st: Statement) -> bool:
        """CREATE TABLE from the JSON tree; expression text is cut from the statement itself
        (libpg_query gives byte offsets), so nothing is deparsed."""
        if any(node.get(k) for k in ("inhRelations", "partspec", "partbound", "ofTypename")):
            return False
        elts = node.get("tableElts") or []
        raw = st.text.encode("utf-8", "surrogateescape")
        rel = node["relation"]
        table = Table(_jq(rel), line=st.line, schema=rel.get("schemaname"))
        starts = [_jloc(e) for e in elts] + [len(raw)]
        for n, elt in enumerate(elts):
            limit = starts[n + 1]
            if "ColumnDef" in elt:
                cd = elt["ColumnDef"]
                tn = cd.get("typeName") or {}
                args = [
                    int(m["A_Const"].get("ival", {}).get("ival", 0))
                    for m in tn.get("typmods") or []
                    if "ival" in m.get("A_Const", {})
                ]
                if len(args) != len(tn.get("typmods") or []):
                    return False
                col = Column(
                    str(cd["colname"]),
                    self.type_from(
                        _jnames(tn.get("names")), args, len(tn.get("arrayBounds") or [])
                    ),
                )
                if col.type.name in ("serial", "bigserial", "smallserial"):
                    col.auto_increment = True
                    col.not_null = True
                if cd.get("collClause"):
                    col.collation = ".".join(_jnames(cd["collClause"].get("collname")))
                cons = [c.get("Constraint") for c in cd.get("constraints") or []]
                if not all(cons):
                    return False
                bounds = [c.get("location", -1) for c in cons] + [
                    cd.get("collClause", {}).get("location", -1),
                    limit,
                ]
                for c in cons:
                    if not self._fast_column_constraint(table, col, c, raw, bounds):
                        return False
                self._domain_checks_for(table, col, _jnames(tn.get("names")))
                table.columns.append(col)
            elif "Constraint" in elt:
                c = elt["Constraint"]
                kind = c.get("contype")
                if kind == "CONSTR_CHECK":
                    expr = _paren_after(raw, c.get("location", -1), b"CHECK", limit)
                    expr = _as_deparsed(expr) if expr is not None else None
                    if expr is None:
                        return False
                    table.checks.append(Check(c.get("conname") or f"{table.name}_check", expr))
                elif kind in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_FOREIGN"):
                    self._fast_key_constraint(table, c)
                else:
                    return False
            else:
                return False
        self._count("create table")
        self.schema.tables[table.name] = table
        return True

    def _fast_column_constraint(
        self, table: Table, col: Column, c: dict[str, Any], raw: bytes, bounds: list[int]
    ) -> bool:
        kind = c.get("contype")
        loc = c.get("location", -1)
        end = min([b for b in bounds if b > loc] or [len(raw)])
        if kind == "CONSTR_NOTNULL":
            col.not_null = True
        elif kind == "CONSTR_NULL":
            col.not_null = False
        elif kind == "CONSTR_DEFAULT":
            expr = c.get("raw_expr") or {}
            if "A_Const" in expr and expr["A_Const"].get("isnull"):
                return True
            if "FuncCall" in expr and _jnames(expr["FuncCall"].get("funcname"))[-1:] == ["nextval"]:
                col.auto_increment = True
                seq = _nextval_seq(expr["FuncCall"])
                if seq is not None:
                    col.sequence = _strip_schema(seq)
            text = _expr_after(raw, loc, b"DEFAULT", end)
            if text is None:
                return False
            col.default = text
        elif kind == "CONSTR_IDENTITY":
            col.auto_increment = True
            col.not_null = True
        elif kind == "CONSTR_GENERATED":
            expr_text = _paren_after(raw, loc, b"AS", end)
            if expr_text is None:
                return False
            col.generated = expr_text
            col.generated_stored = True
        elif kind == "CONSTR_PRIMARY":
            table.primary_key = [col.name]
            table.pk_desc = [False]
        elif kind == "CONSTR_UNIQUE":
            table.indexes.append(
                Index(
                    c.get("conname") or f"{table.name}_{col.name}_key", [IndexKey(col.name)], True
                )
            )
        elif kind == "CONSTR_CHECK":
            expr_text = _paren_after(raw, loc, b"CHECK", end)
            if expr_text is None:
                return False
            expr_text = _as_deparsed(expr_text)
            table.checks.append(
                Check(c.get("conname") or f"{table.name}_{col.name}_check", expr_text)
            )
        elif kind == "CONSTR_FOREIGN":
            table.foreign_keys.append(
                ForeignKey(
                    c.get("conname") or f"{table.name}_{col.name}_fkey",
                    [col.name],
                    _jq(c.get("pktable")),
                    _jnames(c.get("pk_attrs")),
                    _FK_ACTIONS.get(c.get("fk_del_action", ""), "NO ACTION"),
                    _FK_ACTIONS.get(c.get("fk_upd_action", ""), "NO ACTION"),
                )
            )
        else:
            return False
        return True

    def _fast_key_constraint(self, table: Table, con: dict[str, Any]) -> None:
        keys = _jnames(con.get("keys"))
        cname = con.get("conname")
        if con["contype"] == "CONSTR_PRIMARY":
            table.primary_key = keys
            table.pk_desc = [False] * len(keys)
        elif con["contype"] == "CONSTR_UNIQUE":
            table.indexes.append(
                Index(
                    cname or f"{table.name}_{'_'.join(keys)}_key", [IndexKey(k) for k in keys], True
                )
            )
        else:
            cols = _jnames(con.get("fk_attrs"))
            table.foreign_keys.append(
                ForeignKey(
                    cname or f"{table.name}_{'_'.join(cols)}_fkey",
                    cols,
                    _jq(con.get("pktable")),
                    _jnames(con.get("pk_attrs")),
                    _FK_ACTIONS.get(con.get("fk_del_action", ""), "NO ACTION"),
                    _FK_ACTIONS.get(con.get("fk_upd_action", ""), "NO ACTION"),
                )
            )

    def _fast_alter_table(self, node: dict[str, Any], st: Statement) -> bool:
        if node.get("objtype") != "OBJECT_TABLE":
            return False
        name = _jq(node["relation"])
        table = self.schema.tables.get(name)
        if table is None:
            return False
        cmds = node.get("cmds") or []
        if len(cmds) == 1 and cmds[0].get("AlterTableCmd", {}).get("subtype") == "AT_ColumnDefault":
            # pg_dump's serial columns: ALTER COLUMN id SET DEFAULT nextval('seq'::regclass)
            cmd = cmds[0]["AlterTableCmd"]
            col = table.column(cmd.get("name", ""))
            call = (cmd.get("def") or {}).get("FuncCall")
            seq = (
                _nextval_seq(call)
                if call and _jnames(call.get("funcname"))[-1:] == ["nextval"]
                else None
            )
            if col is None or seq is None:
                return False
            self._count("alter table")
            col.auto_increment = True
            col.sequence = _strip_schema(seq)
            col.default = f"nextval('{seq}'::regclass)"
            return True
        cons = []
        for cmd in node.get("cmds") or []:
            c = cmd.get("AlterTableCmd", {})
            con = c.get("def", {}).get("Constraint")
            if c.get("subtype") != "AT_AddConstraint" or not con:
                return False
            if con.get("contype") not in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_FOREIGN"):
                return False
            cons.append(con)
        self._count("alter table")
        for con in cons:
            self._fast_key_constraint(table, con)
        return True

    def _fast_index(self, node: dict[str, Any], st: Statement) -> bool:
        if node.get("whereClause"):
            return False
        table = self.schema.tables.get(_jq(node["relation"]))
        if table is None:
            return False
        keys = []
        for p in node.get("indexParams") or []:
            elem = p.get("IndexElem", {})
            if not elem.get("name"):
                return False  # an expression key: the AST path deparses it
            keys.append(IndexKey(elem["name"], elem.get("ordering") == "SORTBY_DESC"))
        include = [
            p.get("IndexElem", {}).get("name") for p in node.get("indexIncludingParams") or []
        ]
        self._count("create index")
        table.indexes.append(
            Index(
                node.get("idxname") or f"{table.name}_idx",
                keys,
                bool(node.get("unique")),
                node.get("accessMethod") or "btree",
                None,
                [c for c in include if c],
            )
        )
        return True

    def _stmt(self, node: Any, st: Statement) -> None:
        name = type(node).__name__
        handler = getattr(self, "_" + name, None)
        if handler is not None:
            handler(node, st)
        elif isinstance(node, _SILENT):
            self._count(name)
        elif isinstance(node, ast.SelectStmt):
            self._count("select")
            self._setval(node)
        else:
            self._count("other")
            self.schema.diagnostics.append(
                Diagnostic(st.line, "unsupported", f"{name} not migrated: {st.text[:80]!r}")
            )

    # -- types ------------------------------------------------------------------------------
    def source_type(self, tn: Any) -> SourceType:
        names = _names(tn.names)
        dims = len(tn.arrayBounds or ())
        args: list[int] = []
        for m in tn.typmods or ():
            if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer):
                args.append(int(m.val.ival or 0))
        return self.type_from(names, args, dims)

    def type_from(self, names: list[str], args: list[int], dims: int) -> SourceType:
        if len(names) == 1 and names[0] == "char":
            base = "char1"  # the one-byte internal "char"
        else:
            base = names[-1].lower()
        base = CANONICAL.get(base, base)
        qual = ".".join(names)
        raw = _type_text(names, args, dims)
        enum = self.schema.enums.get(_strip_schema(qual)) or self.schema.enums.get(base)
        if enum is not None:
            return SourceType("enum", (), False, enum, dims, raw=raw)
        domain = self.schema.domains.get(_strip_schema(qual)) or self.schema.domains.get(base)
        if domain is not None:
            return SourceType(
                domain.name, domain.args, False, domain.values, dims or domain.array_dims, raw
            )
        if base in ("timestamp", "timestamptz", "time", "timetz", "interval"):
            args = args[:1]
        return SourceType(base, tuple(args), False, (), dims, raw=raw)

    # -- CREATE TABLE -------------------------------------------------------------------------
    def _CreateStmt(self, node: Any, st: Statement) -> None:
        self._count("create table")
        table = Table(_qualified(node.relation), line=st.line, schema=node.relation.schemaname)
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                self._column(table, elt)
            elif isinstance(elt, ast.Constraint):
                self._constraint(table, elt, st)
            elif isinstance(elt, ast.TableLikeClause):
                table.options.append("LIKE " + _qualified(elt.relation))
        for parent in node.inhRelations or ():
            table.options.append("INHERITS " + _qualified(parent))
        if node.partspec is not None:
            table.options.append("PARTITION BY " + deparse(node.partspec))
        if node.partbound is not None and node.inhRelations:
            # CREATE TABLE child PARTITION OF parent: its rows belong to the parent in Spanner
            self.schema.partitions[table.name] = _qualified(node.inhRelations[0])
            self._parts[table.name] = table
            return
        self.schema.tables[table.name] = table

    def _column(self, table: Table, cd: Any) -> None:
        col = Column(str(cd.colname), self.source_type(cd.typeName))
        if col.type.name in ("serial", "bigserial", "smallserial"):
            col.auto_increment = True
            col.not_null = True
        if cd.collClause is not None:
            col.collation = ".".join(_names(cd.collClause.collname))
        for c in cd.constraints or ():
            self._column_constraint(table, col, c)
        self._domain_checks_for(table, col, _names(cd.typeName.names))
        table.columns.append(col)

    def _domain_checks_for(self, table: Table, col: Column, type_names: list[str]) -> None:
        """A domain's CHECKs become table CHECKs on the column (VALUE -> the column)."""
        domain = _strip_schema(".".join(type_names))
        for i, expr in enumerate(self._domain_checks.get(domain, ())):
            quoted = '"' + col.name.replace('"', '""') + '"'
            table.checks.append(
                Check(
                    f"{table.name}_{col.name}_{domain}_check{i or ''}",
                    re.sub(r"\bvalue\b", quoted, expr, flags=re.I),
                )
            )

    def _column_constraint(self, table: Table, col: Column, c: Any) -> None:
        ct = c.contype
        if ct == ConstrType.CONSTR_NOTNULL:
            col.not_null = True
        elif ct == ConstrType.CONSTR_DEFAULT:
            self._set_default(col, c.raw_expr)
        elif ct == ConstrType.CONSTR_IDENTITY:
            col.auto_increment = True
            col.not_null = True
        elif ct == ConstrType.CONSTR_GENERATED:
            col.generated = deparse(c.raw_expr)
            col.generated_stored = True
        elif ct == ConstrType.CONSTR_PRIMARY:
            table.primary_key = [col.name]
            table.pk_desc = [False]
        elif ct == ConstrType.CONSTR_UNIQUE:
            table.indexes.append(
                Index(c.conname or f"{table.name}_{col.name}_key", [IndexKey(col.name)], True)
            )
        elif ct == ConstrType.CONSTR_CHECK:
            table.checks.append(
                Check(c.conname or f"{table.name}_{col.name}_check", deparse(c.raw_expr))
            )
        elif ct == ConstrType.CONSTR_FOREIGN:
            table.foreign_keys.append(self._fk(table, c, [col.name]))

    def _set_default(self, col: Column, expr: Any) -> None:
        if isinstance(expr, ast.FuncCall) and _names(expr.funcname)[-1:] == ["nextval"]:
            col.auto_increment = True
            arg = expr.args[0] if expr.args else None
            while isinstance(arg, ast.TypeCast):
                arg = arg.arg
            if isinstance(arg, ast.A_Const) and isinstance(arg.val, ast.String):
                col.sequence = _strip_schema(str(arg.val.sval))
                col.default = f"nextval('{arg.val.sval}'::regclass)"
            else:
                col.default = deparse(expr)
            return
        if isinstance(expr, ast.A_Const) and expr.isnull:
            return
        col.default = _simple_expr(expr) or deparse(expr)

    def _fk(self, table: Table, c: Any, cols: list[str] | None = None) -> ForeignKey:
        return ForeignKey(
            c.conname or f"{table.name}_{'_'.join(cols or _names(c.fk_attrs))}_fkey",
            cols or _names(c.fk_attrs),
            _qualified(c.pktable),
            _names(c.pk_attrs),
            _FK_ACTIONS.get(c.fk_del_action or "", "NO ACTION"),
            _FK_ACTIONS.get(c.fk_upd_action or "", "NO ACTION"),
        )

    def _constraint(self, table: Table, c: Any, st: Statement) -> None:
        ct = c.contype
        if ct == ConstrType.CONSTR_PRIMARY:
            table.primary_key = _names(c.keys)
            table.pk_desc = [False] * len(table.primary_key)
        elif ct == ConstrType.CONSTR_UNIQUE:
            keys = [IndexKey(k) for k in _names(c.keys)]
            table.indexes.append(
                Index(c.conname or f"{table.name}_{'_'.join(_names(c.keys))}_key", keys, True)
            )
        elif ct == ConstrType.CONSTR_CHECK:
            table.checks.append(Check(c.conname or f"{table.name}_check", deparse(c.raw_expr)))
        elif ct == ConstrType.CONSTR_FOREIGN:
            table.foreign_keys.append(self._fk(table, c))
        else:
            self.schema.diagnostics.append(
                Diagnostic(
                    st.line, "unsupported", f"constraint {c.conname} ({ct.name}) not migrated"
                )
            )

    # -- ALTER TABLE ---------------------------------------------------------------------------
    def _AlterTableStmt(self, node: Any, st: Statement) -> None:
        if node.objtype != ObjectType.OBJECT_TABLE:
            self._count("alter other")
            return
        if all(cmd.subtype in _HARMLESS_ALTERS for cmd in node.cmds or ()):
            # pg_dump writes ALTER TABLE ... OWNER TO for sequences and views too: nothing in
            # them matters to Spanner, whatever the relation is
            self._count("alter owner or storage")
            return
        self._count("alter table")
        table = self.schema.tables.get(_qualified(node.relation))
        if table is None and _qualified(node.relation) in self.schema.partitions:
            self._count("alter partition")  # merged into the parent's in finish()
            table = self._parts.get(_qualified(node.relation))
            if table is None:
                return
        if table is None:
            self.schema.diagnostics.append(
                Diagnostic(
                    st.line,
                    "unsupported",
                    f"ALTER TABLE {_qualified(node.relation)}: unknown table; skipped",
                )
            )
            return
        for cmd in node.cmds or ():
            sub = cmd.subtype
            col = table.column(cmd.name) if cmd.name else None
            if sub == AlterTableType.AT_AddConstraint:
                self._constraint(table, cmd.def_, st)
            elif sub == AlterTableType.AT_ColumnDefault and col is not None:
                if cmd.def_ is None:
                    col.default = None
                else:
                    self._set_default(col, cmd.def_)
            elif sub == AlterTableType.AT_AddIdentity and col is not None:
                col.auto_increment = True
                col.not_null = True
                ident = cmd.def_
                for opt in getattr(ident, "options", None) or ():
                    if isinstance(opt, ast.DefElem) and opt.defname == "sequence_name":
                        col.sequence = _strip_schema(".".join(_names(opt.arg)))
            elif sub == AlterTableType.AT_AttachPartition:
                child = _qualified(cmd.def_.name)
                if child in self.schema.tables:
                    self._parts[child] = self.schema.tables.pop(child)
                self.schema.partitions[child] = table.name
            elif sub == AlterTableType.AT_SetNotNull and col is not None:
                col.not_null = True
            elif sub == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                self._column(table, cmd.def_)
            elif sub in _HARMLESS_ALTERS:
                continue
            else:
                self.schema.diagnostics.append(
                    Diagnostic(
                        st.line, "unsupported", f"ALTER TABLE {table.name} {sub.name} not applied"
                    )
                )

    def _IndexStmt(self, node: Any, st: Statement) -> None:
        self._count("create index")
        table = self.schema.tables.get(_qualified(node.relation))
        if table is None and _qualified(node.relation) in self.schema.partitions:
            table = self._parts.get(_qualified(node.relation))
            if table is None:
                return
        if table is None:
            self.schema.diagnostics.append(
                Diagnostic(st.line, "unsupported", f"index {node.idxname}: unknown table; skipped")
            )
            return
        keys = []
        for p in node.indexParams or ():
            desc = p.ordering == SortByDir.SORTBY_DESC
            if p.name:
                keys.append(IndexKey(str(p.name), desc))
            else:
                keys.append(IndexKey(None, desc, None, deparse(p.expr)))
        include = [str(p.name) for p in node.indexIncludingParams or () if p.name]
        where = deparse(node.whereClause) if node.whereClause is not None else None
        table.indexes.append(
            Index(
                str(node.idxname or f"{table.name}_idx"),
                keys,
                bool(node.unique),
                str(node.accessMethod or "btree"),
                where,
                include,
            )
        )

    # -- types, sequences, objects not migrated -------------------------------------------------
    def _CreateEnumStmt(self, node: Any, st: Statement) -> None:
        self._count("create type")
        name = _strip_schema(".".join(_names(node.typeName)))
        self.schema.enums[name] = tuple(str(v.sval) for v in node.vals or ())

    def _CreateDomainStmt(self, node: Any, st: Statement) -> None:
        self._count("create domain")
        name = _strip_schema(".".join(_names(node.domainname)))
        self.schema.domains[name] = self.source_type(node.typeName)
        for c in node.constraints or ():
            if c.contype == ConstrType.CONSTR_CHECK:
                self._domain_checks.setdefault(name, []).append(deparse(c.raw_expr))

    def _CompositeTypeStmt(self, node: Any, st: Statement) -> None:
        self._count("create type")
        self.schema.ignored.append(Ignored("composite type", _qualified(node.typevar), st.line))

    def _CreateSeqStmt(self, node: Any, st: Statement) -> None:
        self._count("create sequence")
        self.schema.sequences.setdefault(_qualified(node.sequence), 0)

    def _AlterSeqStmt(self, node: Any, st: Statement) -> None:
        self._count("alter sequence")
        for opt in node.options or ():
            if isinstance(opt, ast.DefElem) and opt.defname == "owned_by":
                parts = _names(opt.arg)
                if len(parts) >= 2:
                    table = ".".join(parts[:-1])
                    self.schema.sequence_owner[_qualified(node.sequence)] = (
                        _strip_schema(table),
                        parts[-1],
                    )

    def _setval(self, node: Any) -> None:
        for target in node.targetList or ():
            fc = getattr(target, "val", None)
            if not isinstance(fc, ast.FuncCall) or _names(fc.funcname)[-1:] != ["setval"]:
                continue
            args = list(fc.args or ())
            if (
                len(args) >= 2
                and isinstance(args[0], ast.A_Const)
                and isinstance(args[1], ast.A_Const)
            ):
                first: Any = args[0].val
                second: Any = args[1].val
                seq = _strip_schema(str(first.sval))
                value = int(second.ival or 0)
                called = True
                if len(args) > 2 and isinstance(args[2], ast.A_Const):
                    third: Any = args[2].val
                    called = bool(third.boolval)
                self.schema.sequences[seq] = value if called else value - 1

    def _ViewStmt(self, node: Any, st: Statement) -> None:
        self._count("create view")
        self.schema.ignored.append(Ignored("view", _qualified(node.view), st.line))

    def _CreateTableAsStmt(self, node: Any, st: Statement) -> None:
        self._count("create materialized view")
        kind = (
            "materialized view" if node.objtype == ObjectType.OBJECT_MATVIEW else "table as select"
        )
        self.schema.ignored.append(Ignored(kind, _qualified(node.into.rel), st.line))

    def _CreateTrigStmt(self, node: Any, st: Statement) -> None:
        self._count("create trigger")
        self.schema.ignored.append(
            Ignored("trigger", str(node.trigname), st.line, f"on {_qualified(node.relation)}")
        )

    def _CreateFunctionStmt(self, node: Any, st: Statement) -> None:
        kind = "procedure" if node.is_procedure else "function"
        self._count(f"create {kind}")
        self.schema.ignored.append(Ignored(kind, ".".join(_names(node.funcname)), st.line))

    def _DefineStmt(self, node: Any, st: Statement) -> None:
        self._count("define")
        self.schema.ignored.append(
            Ignored(
                str(node.kind.name).replace("OBJECT_", "").lower(),
                ".".join(_names(node.defnames)),
                st.line,
            )
        )

    def _RuleStmt(self, node: Any, st: Statement) -> None:
        self._count("create rule")
        self.schema.ignored.append(
            Ignored("rule", str(node.rulename), st.line, f"on {_qualified(node.relation)}")
        )

    def _CreateEventTrigStmt(self, node: Any, st: Statement) -> None:
        self._count("create event trigger")
        self.schema.ignored.append(Ignored("event trigger", str(node.trigname), st.line))

    def _CommentStmt(self, node: Any, st: Statement) -> None:
        self._count("comment")
        if node.objtype == ObjectType.OBJECT_COLUMN and node.comment:
            parts = _names(node.object.items if hasattr(node.object, "items") else node.object)
            table = self.schema.tables.get(_strip_schema(".".join(parts[:-1])))
            col = table.column(parts[-1]) if table else None
            if col is not None:
                col.comment = str(node.comment)
                return
        elif node.objtype == ObjectType.OBJECT_TABLE and node.comment:
            parts = _names(node.object.items if hasattr(node.object, "items") else node.object)
            table = self.schema.tables.get(_strip_schema(".".join(parts)))
            if table is not None:
                table.comment = str(node.comment)
                return
        if node.comment:
            # a comment on anything else (index, view, function, schema, constraint ...), or
            # on a table that is not migrated: listed with its text
            kind = _object_kind(node.objtype)
            self.schema.ignored.append(
                Ignored(
                    "comment", f"{kind} {_object_name(node.object)}", st.line, str(node.comment)
                )
            )

    def _GrantStmt(self, node: Any, st: Statement) -> None:
        self._count("grant" if node.is_grant else "revoke")
        kind = _object_kind(node.objtype)
        objects = [_object_name(o) for o in node.objects or ()]
        if node.targtype != 0:  # ALL TABLES IN SCHEMA s
            objects = [f"(all in schema) {o}" for o in objects]
        privileges = [
            str(p.priv_name).upper() + (f" ({', '.join(_names(p.cols))})" if p.cols else "")
            for p in node.privileges or ()
        ]
        grantees = [_role_name(r) for r in node.grantees or ()]
        self.schema.ignored.extend(
            grants.entries(bool(node.is_grant), kind, objects, privileges, grantees, st.line)
        )

    def _GrantRoleStmt(self, node: Any, st: Statement) -> None:
        self._count("grant role")
        roles = [str(r.priv_name) for r in node.granted_roles or ()]
        members = [_role_name(r) for r in node.grantee_roles or ()]
        self.schema.ignored.extend(grants.role_entries(roles, members, st.line))

    def _AlterDefaultPrivilegesStmt(self, node: Any, st: Statement) -> None:
        self._count("alter default privileges")
        self.schema.ignored.append(
            Ignored(
                "default privileges", "", st.line, f"{st.text.strip()[:200]}: {grants.NOT_MIGRATED}"
            )
        )

    def finish(self) -> None:
        """Attach sequences to their columns (serial = nextval default + OWNED BY); copy the
        columns of INHERITS parents into their children, as PostgreSQL does."""
        for table in self.schema.tables.values():
            for opt in table.options:
                if not opt.startswith("INHERITS "):
                    continue
                parent = self.schema.tables.get(opt[len("INHERITS ") :])
                if parent is None:
                    continue
                have = {c.name for c in table.columns}
                inherited = [copy.deepcopy(c) for c in parent.columns if c.name not in have]
                table.columns[:0] = inherited
        for seq, (tname, cname) in self.schema.sequence_owner.items():
            owner = self.schema.tables.get(tname)
            col = owner.column(cname) if owner else None
            if col is not None and col.sequence is None and col.auto_increment:
                col.sequence = seq
        self._merge_partitions()

    def _merge_partitions(self) -> None:
        """Sub-partitions belong to the top table; each table gets its partitions' keys,
        indexes and foreign keys where every partition has them (partitions.py)."""
        parts = self.schema.partitions
        for child, parent in list(parts.items()):
            seen = {child}
            while parent in parts and parent not in seen:
                seen.add(parent)
                parent = parts[parent]
            parts[child] = parent
        for name, table in self.schema.tables.items():
            mine = [self._parts[c] for c, p in parts.items() if p == name and c in self._parts]
            merge_partitions(table, sorted(mine, key=lambda t: t.name))


# ALTER TABLE subcommands that change nothing Spanner has (ownership, storage, statistics ...)
_HARMLESS_ALTERS = frozenset(
    {
        AlterTableType.AT_ChangeOwner,
        AlterTableType.AT_ClusterOn,
        AlterTableType.AT_SetStatistics,
        AlterTableType.AT_ReplicaIdentity,
        AlterTableType.AT_EnableRowSecurity,
        AlterTableType.AT_SetStorage,
        AlterTableType.AT_SetRelOptions,
    }
)


def _jq(rv: dict[str, Any] | None) -> str:
    """_qualified() for a RangeVar from the JSON parse tree."""
    if not rv:
        return ""
    schema = rv.get("schemaname")
    if schema and schema not in ("public", "pg_catalog"):
        return f"{schema}.{rv.get('relname')}"
    return str(rv.get("relname"))


def _jnames(items: list[dict[str, Any]] | None) -> list[str]:
    return [str(i["String"].get("sval", "")) for i in items or () if "String" in i]


def _jloc(elt: dict[str, Any]) -> int:
    (node,) = elt.values()
    return int(node.get("location", -1))


def _nextval_seq(call: dict[str, Any]) -> str | None:
    args = call.get("args") or []
    arg = args[0] if args else {}
    while "TypeCast" in arg:
        arg = arg["TypeCast"].get("arg", {})
    value = arg.get("A_Const", {}).get("sval", {}).get("sval")
    return str(value) if value is not None else None


def _scan_end(raw: bytes, pos: int, end: int, stop_at_comma: bool) -> int:
    """Where an expression starting at `pos` ends: an unbalanced ')' or a top-level ','."""
    depth = 0
    i = pos
    while i < end:
        ch = raw[i]
        if ch in (0x27, 0x22):  # ' or "
            j = i + 1
            while j < end:
                if raw[j] == ch:
                    if j + 1 < end and raw[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            continue
        if ch == 0x28:
            depth += 1
        elif ch == 0x29:
            if depth == 0:
                return i
            depth -= 1
            if depth == 0 and not stop_at_comma:
                return i + 1
        elif ch == 0x2C and depth == 0 and stop_at_comma:
            return i
        i += 1
    return end


def _expr_after(raw: bytes, loc: int, keyword: bytes, end: int) -> str | None:
    """The expression after `keyword` at `loc` (DEFAULT expr), up to `end`."""
    if loc < 0 or raw[loc : loc + len(keyword)].upper() != keyword:
        return None
    start = loc + len(keyword)
    stop = _scan_end(raw, start, end, stop_at_comma=True)
    text = raw[start:stop].decode("utf-8", "surrogateescape").strip()
    return text or None


def _paren_after(raw: bytes, loc: int, keyword: bytes, end: int) -> str | None:
    """The text inside the parentheses that follow `keyword` (CHECK (...), AS (...))."""
    if loc < 0:
        return None
    at = raw.upper().find(keyword, loc, end)
    if at < 0:
        return None
    open_at = raw.find(b"(", at, end)
    if open_at < 0:
        return None
    close = _scan_end(raw, open_at, end, stop_at_comma=False)
    if close <= open_at + 1 or raw[close - 1] != 0x29:
        return None
    return raw[open_at + 1 : close - 1].decode("utf-8", "surrogateescape").strip()


_FAST = {
    "CreateStmt": PgSchemaBuilder._fast_create,
    "CreateSeqStmt": PgSchemaBuilder._fast_seq,
    "AlterSeqStmt": PgSchemaBuilder._fast_alter_seq,
    "SelectStmt": PgSchemaBuilder._fast_select,
    "VariableSetStmt": PgSchemaBuilder._fast_set,
    "AlterTableStmt": PgSchemaBuilder._fast_alter_table,
    "IndexStmt": PgSchemaBuilder._fast_index,
}
