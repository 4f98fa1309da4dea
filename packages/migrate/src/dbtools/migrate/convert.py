"""Schema rules: source model -> Spanner model, recording an issue for every change or drop."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .issues import Issue
from .model import (
    Column,
    SourceSchema,
    SpColumn,
    SpForeignKey,
    SpIndex,
    SpSchema,
    SpTable,
    SpType,
    Table,
)
from .names import Namespace
from .typemap import map_type

DIALECTS = ("google_standard_sql", "postgresql")
IDENTITY_STYLES = ("identity", "sequence", "none")
UNINDEXABLE = ("JSON",)
_NON_BTREE = {"fulltext", "spatial", "gin", "gist", "brin", "spgist", "bloom"}
_JSON_VALID = re.compile(r"^\s*json_valid\s*\(\s*[`\"]?(\w+)[`\"]?\s*\)\s*$", re.IGNORECASE)
_NOT_NULL_PRED = re.compile(r"^\(?\s*\"?(\w+)\"?\s+IS\s+NOT\s+NULL\s*\)?$", re.IGNORECASE)


@dataclass
class ColumnReport:
    source_name: str
    source_type: str
    name: str | None  # None when skipped
    type: str | None
    alternatives: list[str] = field(default_factory=list)


@dataclass
class TableResult:
    source_name: str
    name: str
    columns: list[ColumnReport] = field(default_factory=list)
    skipped: bool = False
    synthetic_pk: str | None = None
    interleave_candidates: list[str] = field(default_factory=list)


@dataclass
class Conversion:
    source: SourceSchema
    dialect: str
    schema: SpSchema
    issues: list[Issue] = field(default_factory=list)
    tables: dict[str, TableResult] = field(default_factory=dict)  # by source name

    def add(
        self, code: str, table: str | None = None, column: str | None = None, **params: Any
    ) -> None:
        self.issues.append(Issue(code, table, column, params or None))


class _Converter:
    def __init__(
        self,
        src: SourceSchema,
        dialect: str,
        overrides: dict[str, Any] | None,
        identity: bool | str = True,
        uuid_default: bool = True,
    ) -> None:
        # True / "identity": IDENTITY columns; "sequence": a bit-reversed SEQUENCE per column
        # used as the column's DEFAULT; False / "none": plain INT64
        style = identity if isinstance(identity, str) else ("identity" if identity else "none")
        if style not in IDENTITY_STYLES:
            raise ValueError(f"identity style must be one of {IDENTITY_STYLES}, not {identity!r}")
        self.identity = style != "none"
        self.identity_style = str(style)
        self.uuid_default = uuid_default
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
        self.src = src
        self.dialect = dialect
        self.gsql = dialect == "google_standard_sql"
        self.over: dict[str, Any] = overrides or {}
        self.conv = Conversion(src, dialect, SpSchema(dialect))
        self.ns = Namespace(dialect)

    def tover(self, table: Table) -> dict[str, Any]:
        return dict(self.over.get(table.name) or {})

    def run(self) -> Conversion:
        by_source: dict[str, SpTable] = {}
        # names first, so that every table's name is fixed before foreign keys are resolved
        for table in self.src.tables.values():
            tover = self.tover(table)
            sp_name = self._name(tover.get("name") or table.name, table.name, None, self.ns)
            sp = SpTable(sp_name, table.name, skip=bool(tover.get("skip")))
            self.conv.tables[table.name] = TableResult(table.name, sp_name, skipped=sp.skip)
            by_source[table.name] = sp
        for table in self.src.tables.values():
            sp = by_source[table.name]
            if sp.skip:
                self.conv.add("table_skipped", sp.name)
                for col in table.columns:
                    self.conv.tables[table.name].columns.append(
                        ColumnReport(col.name, col.type.display(), None, None)
                    )
                continue
            self._table(table, sp)
            self.conv.schema.tables.append(sp)
        for table in self.src.tables.values():
            sp = by_source[table.name]
            if not sp.skip:
                self._foreign_keys(table, sp, by_source)
        self._interleave(by_source)
        self._objects()
        self.conv.schema.tables = _parents_first(self.conv.schema.tables)
        return self.conv

    def _name(
        self,
        wanted: str,
        original: str,
        table: str | None,
        ns: Namespace,
        column: str | None = None,
    ) -> str:
        name, reason = ns.claim(wanted)
        if wanted != original:
            self.conv.add("user_rename", table or name, column, old=original, new=name)
        elif reason:
            self.conv.add(reason, table or name, column, old=original, new=name)
        return name

    # -- one table -------------------------------------------------------------------------
    def _table(self, table: Table, sp: SpTable) -> None:
        tover = self.tover(table)
        cover_all: dict[str, Any] = tover.get("columns") or {}
        col_ns = Namespace(self.dialect)
        names: dict[str, str] = {}
        result = self.conv.tables[table.name]
        json_checked = {m.group(1) for c in table.checks if (m := _JSON_VALID.match(c.expression))}
        for col in table.columns:
            cover = dict(cover_all.get(col.name) or {})
            if cover.get("skip"):
                self.conv.add("column_skipped", sp.name, col.name)
                result.columns.append(ColumnReport(col.name, col.type.display(), None, None))
                continue
            name = self._name(cover.get("name") or col.name, col.name, sp.name, col_ns, col.name)
            names[col.name] = name
            spc = self._column(table, sp, col, name, cover, col.name in json_checked)
            sp.columns.append(spc)
            result.columns.append(
                ColumnReport(col.name, col.type.display(), name, spc.type.key(), spc.alternatives)
            )
        if len(sp.columns) > 1024:
            self.conv.add("too_many_columns", sp.name, n=len(sp.columns))
        self._primary_key(table, sp, names)
        self._indexes(table, sp, names)
        self._checks(table, sp, names)
        for opt in table.options:
            self.conv.add("table_option", sp.name, detail=opt)
        parts = sorted(c for c, p in self.src.partitions.items() if p == table.name)
        if parts:
            self.conv.add("partitions_merged", sp.name, parts=", ".join(parts))
        if table.schema and self.src.engine == "mysql":
            self.conv.add("database_dropped", sp.name, db=table.schema, src=table.name)
        for code, detail in table.partition_notes:
            self.conv.add(code, sp.name, detail=detail)
        if table.comment:
            self.conv.add("comment", sp.name, text=table.comment)
        result.synthetic_pk = sp.synthetic_pk

    def _column(
        self,
        table: Table,
        sp: SpTable,
        col: Column,
        name: str,
        cover: dict[str, Any],
        json_checked: bool,
    ) -> SpColumn:
        from . import exprs  # here: Beam workers unpickle a Conversion and translate nothing

        engine = self.src.engine
        mapped = map_type(engine, col.type)
        sptype, issue = mapped.type, mapped.issue
        src_display = col.type.display()
        if json_checked and col.type.name in ("longtext", "text", "mediumtext"):
            sptype, issue = SpType("JSON"), "json_text"
        wanted = cover.get("type")
        if wanted and wanted != sptype.key():
            try:
                chosen = SpType.parse(wanted)
            except ValueError:
                self.conv.add("user_override_bad", sp.name, col.name, src=sptype.key(), dst=wanted)
            else:
                sptype, issue = chosen, None
                self.conv.add("user_override", sp.name, col.name, src=src_display, dst=chosen.key())
        spc = SpColumn(name, col.name, sptype, col.not_null, alternatives=mapped.alternatives)
        if issue == "enum_to_string" and sptype.array:
            issue = "enum_values_lost"
        if issue:
            check_name = f"CK_{sp.name}_{name}"[:128] if issue == "enum_to_string" else ""
            self.conv.add(
                issue,
                sp.name,
                col.name,
                src=src_display,
                dst=self._spell(sptype),
                check=check_name,
                col=name,
            )
        if not self.gsql and sptype.base in ("BYTES",) and sptype.length is not None:
            self.conv.add("length_lost", sp.name, col.name, src=sptype.length, dst="bytea")
        if "zerofill" in col.type.raw:
            self.conv.add("zerofill", sp.name, col.name)
        if col.srid is not None:
            self.conv.add("srid_dropped", sp.name, col.name, srid=col.srid)
        if (
            engine == "mysql"
            and not self.src.live
            and col.type.name == "float"
            and (len(col.type.args) != 1 or col.type.args[0] <= 24)  # FLOAT(25..53) is DOUBLE
        ):
            # (a live read casts FLOAT to DOUBLE and gets the stored value: datasource.py)
            self.conv.add("dump_float_precision", sp.name, col.name, src=src_display)
        if (
            col.collation
            and not col.collation.lower().endswith(("_bin", "c", "posix"))
            and sptype.base == "STRING"
        ):
            self.conv.add("charset", sp.name, col.name, detail=col.collation)
        # enum: keep the allowed values as a CHECK constraint
        if (
            col.type.name == "enum"
            and col.type.values
            and sptype.base == "STRING"
            and not sptype.array
        ):
            values = ", ".join(_lit(v, self.gsql) for v in col.type.values)
            sp.checks.append((f"CK_{sp.name}_{name}"[:128], f"{_q(name, self.gsql)} IN ({values})"))
            self.ns.reserve(f"CK_{sp.name}_{name}"[:128])
        if col.auto_increment:
            self._identity(table, sp, col, spc, cover)
        elif col.default is not None:
            try:
                spc.default = exprs.translate_default(engine, self.dialect, col.default, sptype)
            except exprs.NotExpressible as exc:
                self.conv.add(
                    "default_dropped", sp.name, col.name, expr=col.default, reason=str(exc)
                )
        if col.on_update:
            self.conv.add("on_update", sp.name, col.name, expr=col.on_update)
        if col.generated:
            names = {c.name: c.name for c in table.columns}
            names.update({c.source_name or "": c.name for c in sp.columns})
            try:
                spc.generated = exprs.translate(
                    engine, self.dialect, col.generated, names, deterministic=True
                )
                if not col.generated_stored:
                    self.conv.add("generated_virtual", sp.name, col.name)
            except exprs.NotExpressible as exc:
                self.conv.add(
                    "generated_dropped", sp.name, col.name, expr=col.generated, reason=str(exc)
                )
        if col.comment:
            self.conv.add("comment", sp.name, col.name, text=col.comment)
        return spc

    def _identity(
        self, table: Table, sp: SpTable, col: Column, spc: SpColumn, cover: dict[str, Any]
    ) -> None:
        if not self.identity:
            self.conv.add("identity_off", sp.name, col.name)
            return
        if spc.type.base != "INT64" or spc.type.array:
            self.conv.add(
                "default_dropped",
                sp.name,
                col.name,
                expr="auto-increment",
                reason=f"IDENTITY needs INT64, column is {spc.type.key()}",
            )
            return
        spc.identity = True
        if self.identity_style == "sequence":
            seq_name, _ = self.ns.claim(f"{sp.name}_{spc.name}_seq")
            spc.sequence = seq_name
            spc.identity = False
            q = f"`{seq_name}`" if self.gsql else f"'{seq_name}'"
            spc.default = f"GET_NEXT_SEQUENCE_VALUE(SEQUENCE {q})" if self.gsql else f"nextval({q})"
        current: int | None = None
        if (table.name, col.name) in self.src.identity_max:
            current = self.src.identity_max[(table.name, col.name)]
        elif (
            col.sequence
            and col.sequence in self.src.sequences
            and self.src.sequences[col.sequence] >= 0  # setval(s, 1, false): unused, next is 1
        ):
            current = self.src.sequences[col.sequence]
        elif table.auto_increment_next is not None:
            current = table.auto_increment_next - 1
        if cover.get("start_counter") is not None:
            current = int(cover["start_counter"]) - 1
        if col.default and "nextval" in col.default:
            self.conv.add("default_identity", sp.name, col.name, expr=col.default)
        src = (
            "AUTO_INCREMENT"
            if self.src.engine == "mysql"
            else ("sequence " + col.sequence if col.sequence else "IDENTITY/SERIAL")
        )
        if current is None:
            self.conv.add("auto_increment_no_start", sp.name, col.name, src=src, kind=self._kind())
            return
        spc.start_counter = current + 1
        if current >= 1:
            spc.skip_range = (1, current)
        extra = (
            f" starting its counter at {current + 1} and skipping 1..{current} (the source's current maximum{' (live)' if self.src.live else ''})"
            if current >= 1
            else ""
        )
        self.conv.add("auto_increment", sp.name, col.name, src=src, extra=extra, kind=self._kind())

    def _kind(self) -> str:
        return (
            "bit-reversed SEQUENCE"
            if self.identity_style == "sequence"
            else "bit-reversed IDENTITY"
        )

    def _spell(self, t: SpType) -> str:
        from .ddl import spell_type

        return spell_type(t, self.dialect)

    # -- keys and indexes -----------------------------------------------------------------------
    def _primary_key(self, table: Table, sp: SpTable, names: dict[str, str]) -> None:
        keys: list[tuple[str, bool]] = []
        if table.primary_key:
            descs = table.pk_desc or [False] * len(table.primary_key)
            keys = [
                (names[c], d) for c, d in zip(table.primary_key, descs, strict=False) if c in names
            ]
        promoted = None
        if not keys:
            candidates = [
                ix
                for ix in table.indexes
                if ix.unique
                and ix.where is None
                and all(k.column in names and k.prefix is None for k in ix.keys)
                and all(_indexable(sp.column(names[k.column or ""]), self.gsql) for k in ix.keys)
            ]
            candidates.sort(
                key=lambda ix: (
                    not all(
                        getattr(table.column(k.column or ""), "not_null", False) for k in ix.keys
                    ),
                    len(ix.keys),
                )
            )
            if candidates:
                promoted = candidates[0]
                keys = [(names[k.column or ""], k.desc) for k in promoted.keys]
                self.conv.add("unique_promoted", sp.name, index=promoted.name)
        if not keys:
            colname, _ = Namespace(self.dialect).claim("synth_id")
            while sp.column(colname) is not None:
                colname += "_"
            default: str | None = "GENERATE_UUID()" if self.gsql else "spanner.generate_uuid()"
            if not self.uuid_default:
                default = None
            sp.columns.append(SpColumn(colname, None, SpType("STRING", 36), True, default))
            sp.synthetic_pk = colname
            keys = [(colname, False)]
            self.conv.add(
                "missing_pk", sp.name, colname, col=colname, dst=self._spell(SpType("STRING", 36))
            )
        sp.primary_key = keys
        if len(keys) > 16:
            self.conv.add("too_many_key_columns", sp.name, n=len(keys))
        for name, _ in keys:
            col = sp.column(name)
            if col is None:
                continue
            # a PRIMARY KEY column is NOT NULL in MySQL and PostgreSQL even when not declared
            # so; only a promoted UNIQUE index can hold NULLs
            if promoted is not None and not col.not_null and col.source_name is not None:
                self.conv.add("pk_nullable", sp.name, col.source_name, col=name)
            col.not_null = True
            if not self.gsql and col.type.base == "NUMERIC":
                col.type = SpType("STRING", None)
                self.conv.add(
                    "numeric_pk_pg", sp.name, col.source_name, col=name, dst="character varying"
                )
        first = sp.column(keys[0][0])
        if first is not None and first.type.base in ("TIMESTAMP", "DATE") and first.source_name:
            self.conv.add(
                "hotspot", sp.name, first.source_name, col=first.name, dst=first.type.key()
            )
        if promoted is not None:
            table_indexes = [ix for ix in table.indexes if ix is not promoted]
            table.indexes[:] = table_indexes

    def _indexes(self, table: Table, sp: SpTable, names: dict[str, str]) -> None:
        pk_cols = [c for c, _ in sp.primary_key]
        for ix in table.indexes:
            kind = ix.kind.lower()
            if kind in _NON_BTREE:
                self.conv.add("index_fulltext", sp.name, None, index=ix.name, kind=kind.upper())
                continue
            bad = next((k for k in ix.keys if k.column is None), None)
            if bad is not None:
                self.conv.add("index_expression", sp.name, None, index=ix.name, expr=bad.expression)
                continue
            missing = [k.column for k in ix.keys if k.column not in names]
            if missing:
                self.conv.add(
                    "index_expression",
                    sp.name,
                    missing[0],
                    index=ix.name,
                    expr=f"skipped column {missing[0]}",
                )
                continue
            null_filtered = False
            if ix.where is not None:
                m = _NOT_NULL_PRED.match(ix.where.strip())
                if m and m.group(1) in names:
                    null_filtered = True
                    self.conv.add("index_null_filtered", sp.name, None, index=ix.name)
                else:
                    self.conv.add("index_partial", sp.name, None, index=ix.name, expr=ix.where)
                    continue
            unindexable = next(
                (k for k in ix.keys if not _indexable(sp.column(names[k.column or ""]), self.gsql)),
                None,
            )
            if unindexable is not None:
                col = sp.column(names[unindexable.column or ""])
                self.conv.add(
                    "index_unindexable",
                    sp.name,
                    unindexable.column,
                    index=ix.name,
                    col=unindexable.column,
                    dst=col.type.key() if col else "?",
                )
                continue
            for k in ix.keys:
                if k.prefix is not None:
                    self.conv.add(
                        "index_prefix",
                        sp.name,
                        k.column,
                        index=ix.name,
                        prefix=k.prefix,
                        col=k.column,
                    )
            keys = [(names[k.column or ""], k.desc) for k in ix.keys]
            if (
                [c for c, _ in keys] == pk_cols[: len(keys)]
                and len(keys) == len(pk_cols)
                and not ix.unique
            ):
                self.conv.add("index_redundant", sp.name, None, index=ix.name)
                continue
            storing = [names[c] for c in ix.include if c in names and names[c] not in pk_cols]
            if ix.include:
                self.conv.add("index_include", sp.name, None, index=ix.name)
            name = self._name(ix.name, ix.name, sp.name, self.ns)
            sp.indexes.append(SpIndex(name, keys, ix.unique, null_filtered, storing, ix.name))

    def _checks(self, table: Table, sp: SpTable, names: dict[str, str]) -> None:
        from . import exprs  # see _column

        for check in table.checks:
            m = _JSON_VALID.match(check.expression)
            if (
                m
                and (col := sp.column(names.get(m.group(1), ""))) is not None
                and col.type.base == "JSON"
            ):
                self.conv.add("check_json_valid", sp.name, m.group(1), name=check.name)
                continue
            try:
                expr = exprs.translate(
                    self.src.engine, self.dialect, check.expression, names, deterministic=True
                )
            except exprs.NotExpressible as exc:
                self.conv.add(
                    "check_dropped",
                    sp.name,
                    None,
                    name=check.name,
                    expr=check.expression,
                    reason=str(exc),
                )
                continue
            name = self._name(check.name, check.name, sp.name, self.ns)
            sp.checks.append((name, expr))

    def _foreign_keys(self, table: Table, sp: SpTable, by_source: dict[str, SpTable]) -> None:
        names = {c.source_name: c.name for c in sp.columns if c.source_name}
        for fk in table.foreign_keys:
            ref = by_source.get(fk.ref_table)
            if ref is None or ref.skip:
                self.conv.add(
                    "fk_unresolved",
                    sp.name,
                    fk.columns[0] if fk.columns else None,
                    fk=fk.name,
                    ref=fk.ref_table + ("" if ref is None else " (skipped)"),
                )
                continue
            ref_names = {c.source_name: c.name for c in ref.columns if c.source_name}
            ref_cols = fk.ref_columns or [
                next((c.source_name or c.name for c in ref.columns if c.name == k), k)
                for k, _ in ref.primary_key
            ]
            if any(c not in names for c in fk.columns) or any(c not in ref_names for c in ref_cols):
                self.conv.add(
                    "fk_unresolved",
                    sp.name,
                    fk.columns[0] if fk.columns else None,
                    fk=fk.name,
                    ref=f"{fk.ref_table}({', '.join(ref_cols)})",
                )
                continue
            mismatch = None
            for c, rc in zip(fk.columns, ref_cols, strict=False):
                a, b = sp.column(names[c]), ref.column(ref_names[rc])
                if a and b and (a.type.base != b.type.base or a.type.array != b.type.array):
                    mismatch = (c, a, rc, b)
                    break
            if mismatch:
                c, a, rc, b = mismatch
                self.conv.add(
                    "fk_type_mismatch",
                    sp.name,
                    c,
                    fk=fk.name,
                    col=c,
                    dst=a.type.key(),
                    ref=f"{ref.name}.{rc}",
                    ref_type=b.type.key(),
                )
                continue
            action = fk.on_delete.upper()
            if action == "CASCADE":
                on_delete = "CASCADE"
            elif action == "RESTRICT":
                on_delete = "NO ACTION"
                self.conv.add("fk_on_delete_restrict", sp.name, fk.columns[0], fk=fk.name)
            elif action == "NO ACTION":
                on_delete = "NO ACTION"
            else:
                on_delete = "NO ACTION"
                self.conv.add("fk_on_delete", sp.name, fk.columns[0], fk=fk.name, action=action)
            if fk.on_update.upper() not in ("NO ACTION", "RESTRICT"):
                self.conv.add(
                    "fk_on_update", sp.name, fk.columns[0], fk=fk.name, action=fk.on_update.upper()
                )
            name = self._name(fk.name, fk.name, sp.name, self.ns)
            sp.foreign_keys.append(
                SpForeignKey(
                    name,
                    [names[c] for c in fk.columns],
                    ref.name,
                    [ref_names[c] for c in ref_cols],
                    on_delete,
                    fk.name,
                )
            )

    def _interleave(self, by_source: dict[str, SpTable]) -> None:
        live = [t for t in by_source.values() if not t.skip]
        by_key: dict[tuple[tuple[str, str], ...], SpTable] = {}
        for t in live:
            if not t.synthetic_pk:
                by_key.setdefault(_key_sig(t, len(t.primary_key)), t)
        for child in live:
            best: SpTable | None = None
            if not child.synthetic_pk:
                for n in range(len(child.primary_key) - 1, 0, -1):  # longest parent key first
                    parent = by_key.get(_key_sig(child, n))
                    if parent is not None and parent is not child:
                        best = parent
                        break
            if best is not None:
                self.conv.tables[child.source_name].interleave_candidates.append(best.source_name)
            tover = self.over.get(child.source_name) or {}
            wanted = tover.get("interleave_in")
            if wanted:
                parent = by_source.get(wanted) or next((t for t in live if t.name == wanted), None)
                reason = None
                if parent is None or parent.skip:
                    reason = "that table is not in the schema"
                elif not (
                    len(parent.primary_key) < len(child.primary_key)
                    and _same_key(parent, child, len(parent.primary_key))
                ):
                    reason = "the child's primary key does not start with the parent's key columns (same names and types)"
                elif _ancestor(parent, child, by_source):
                    reason = "that would make a cycle"
                if reason:
                    self.conv.add("interleave_rejected", child.name, parent=wanted, reason=reason)
                else:
                    assert parent is not None
                    child.parent = parent.name
                    child.on_delete_parent = (
                        "CASCADE"
                        if str(tover.get("on_delete", "")).upper() == "CASCADE"
                        else "NO ACTION"
                    )
                    self.conv.add(
                        "interleave_applied",
                        child.name,
                        parent=parent.name,
                        action=child.on_delete_parent,
                    )
            elif best is not None:
                self.conv.add("interleave_suggested", child.name, parent=best.name)

    def _objects(self) -> None:
        for obj in self.src.ignored:
            code = "view_not_migrated" if obj.kind == "view" else "not_migrated"
            table = None
            if obj.detail.startswith("on "):
                src_table = obj.detail[3:]
                table = (
                    self.conv.tables[src_table].name if src_table in self.conv.tables else src_table
                )
            self.conv.add(code, table, kind=obj.kind, name=obj.name)
        attached = {c.sequence for t in self.src.tables.values() for c in t.columns if c.sequence}
        for seq in self.src.sequences:
            if seq not in attached:
                self.conv.add("sequence_not_migrated", None, name=seq)


def _indexable(col: SpColumn | None, gsql: bool) -> bool:
    if col is None:
        return False
    if col.type.base in UNINDEXABLE or col.type.array:
        return False
    return gsql or col.type.base != "NUMERIC"


def _key_sig(t: SpTable, n: int) -> tuple[tuple[str, str], ...]:
    out = []
    for name, _ in t.primary_key[:n]:
        col = t.column(name)
        out.append((name.lower(), col.type.key() if col is not None else "?"))
    return tuple(out)


def _same_key(parent: SpTable, child: SpTable, n: int) -> bool:
    for (pc, _), (cc, _) in zip(parent.primary_key[:n], child.primary_key[:n], strict=False):
        a, b = parent.column(pc), child.column(cc)
        if a is None or b is None or pc.lower() != cc.lower() or a.type.key() != b.type.key():
            return False
    return True


def _ancestor(parent: SpTable, child: SpTable, by_source: dict[str, SpTable]) -> bool:
    seen = parent
    names = {t.name: t for t in by_source.values()}
    while seen is not None and seen.parent:
        if seen.parent == child.name:
            return True
        seen = names.get(seen.parent)  # type: ignore[assignment]
    return False


def _parents_first(tables: list[SpTable]) -> list[SpTable]:
    by_name = {t.name: t for t in tables}
    out: list[SpTable] = []
    placed: set[str] = set()

    def place(t: SpTable) -> None:
        if t.name in placed:
            return
        placed.add(t.name)
        if t.parent and t.parent in by_name:
            place(by_name[t.parent])
        out.append(t)

    for t in tables:
        place(t)
    return out


def _q(name: str, gsql: bool) -> str:
    return f"`{name}`" if gsql else f'"{name}"'


def _lit(value: str, gsql: bool) -> str:
    if gsql:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "''") + "'"


def convert(
    src: SourceSchema,
    dialect: str,
    overrides: dict[str, Any] | None = None,
    *,
    identity: bool | str = True,
    uuid_default: bool = True,
) -> Conversion:
    """Apply the schema rules; `overrides` is the `tables` section of a session file.

    `identity="sequence"` gives each auto-increment column a bit-reversed SEQUENCE as DEFAULT
    instead of IDENTITY; `identity=False` (or "none") keeps auto-increment columns as plain INT64 (the application or the loader
    supplies values) for targets without IDENTITY support; `uuid_default=False` leaves synthetic
    keys without a DEFAULT (the loader fills them with UUIDs).
    """
    return _Converter(src, dialect, overrides, identity, uuid_default).run()
