"""Source-neutral schema model (what was read) and the Spanner model (what will be created).

Plain dataclasses so that the session file can serialise them and tests can build them by hand.
Expressions are kept as source-dialect SQL text; `exprs.py` translates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class SourceType:
    """A column type as the source spelled it, normalised to one canonical name per engine."""

    name: str  # canonical lower-case name: "int", "varchar", "numeric", "timestamptz", ...
    args: tuple[int, ...] = ()  # length / precision, scale / fsp
    unsigned: bool = False
    values: tuple[str, ...] = ()  # enum / set members
    array_dims: int = 0
    raw: str = ""  # the type as written, for the report

    def display(self) -> str:
        return self.raw or (self.name + (f"({','.join(map(str, self.args))})" if self.args else ""))


@dataclass
class Column:
    name: str
    type: SourceType
    not_null: bool = False
    default: str | None = None  # source SQL expression text
    auto_increment: bool = False  # AUTO_INCREMENT, SERIAL, IDENTITY, nextval() default
    sequence: str | None = None  # PostgreSQL sequence feeding the column
    generated: str | None = None  # generation expression (source SQL)
    generated_stored: bool = True
    on_update: str | None = None  # MySQL ON UPDATE expression
    comment: str | None = None
    collation: str | None = None
    srid: int | None = None  # MySQL 8 spatial reference system of a spatial column


@dataclass
class IndexKey:
    column: str | None  # None when the key is an expression
    desc: bool = False
    prefix: int | None = None  # MySQL prefix length
    expression: str | None = None


@dataclass
class Index:
    name: str
    keys: list[IndexKey]
    unique: bool = False
    kind: str = "btree"  # btree, hash, fulltext, spatial, gin, gist, ...
    where: str | None = None  # partial index predicate
    include: list[str] = field(default_factory=list)


@dataclass
class ForeignKey:
    name: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    on_delete: str = "NO ACTION"  # NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT
    on_update: str = "NO ACTION"


@dataclass
class Check:
    name: str
    expression: str


@dataclass
class Table:
    name: str
    columns: list[Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    pk_desc: list[bool] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    auto_increment_next: int | None = None  # MySQL AUTO_INCREMENT=N table option
    comment: str | None = None
    schema: str | None = None  # PostgreSQL schema
    line: int = 0
    options: list[str] = field(default_factory=list)  # partitioning, inheritance, ...
    # [issue code, detail] for what the partitions carried (partitions.py): kept or lost
    partition_notes: list[list[str]] = field(default_factory=list)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass
class Ignored:
    """A statement or object that is not migrated (view, trigger, routine, ...)."""

    kind: str
    name: str
    line: int = 0
    detail: str = ""


@dataclass
class Diagnostic:
    """A problem reading the input: bad bytes, a syntax error, an unknown statement."""

    line: int
    kind: str  # "encoding" | "syntax" | "unsupported" | "incomplete"
    message: str


# Input problems after which part of the source was not read: the conversion is incomplete.
INCOMPLETE_KINDS = frozenset({"incomplete", "syntax"})


# MySQL's spatial types: mapped, read (as WKT) and converted as one family.
MYSQL_SPATIAL = frozenset(
    {
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
    }
)

ENCODING_MESSAGE = (
    "bytes that are not valid UTF-8; kept as they are (re-dump with "
    "--default-character-set=utf8mb4 / ENCODING UTF8 if this is text)"
)

# Bytes a dump line could not decode as UTF-8 are held as lone surrogates (surrogateescape).
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def schema_text_of(text: str) -> tuple[str, str]:
    """Schema statements must become valid UTF-8 DDL: each undecodable byte is read as the
    Latin-1 character of the same number (MySQL's latin1 and most legacy dumps), and the
    returned diagnostic text names the bytes and what they became, so that nothing changes
    unreported. Returns (text, "") when the statement holds no such byte."""
    found: list[str] = []

    def latin1(m: re.Match[str]) -> str:
        char = chr(ord(m.group(0)) - 0xDC00)
        if len(found) < 5:
            found.append(f"0x{ord(char):02X} as {char!r}")
        return char

    fixed = _ESCAPED_BYTE.sub(latin1, text)
    if not found:
        return text, ""
    return fixed, (
        "bytes that are not valid UTF-8 in a schema statement, read as Latin-1 ("
        + ", ".join(found)
        + "); check the names, defaults and comments of this statement (re-dump with "
        "--default-character-set=utf8mb4 / ENCODING UTF8 to avoid the guess)"
    )


@dataclass
class SourceSchema:
    engine: str  # "mysql" | "postgres": the SQL dialect the schema is parsed and mapped as
    tables: dict[str, Table] = field(default_factory=dict)
    ignored: list[Ignored] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)  # PG enum types
    domains: dict[str, SourceType] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)  # sequence -> last value
    sequence_owner: dict[str, tuple[str, str]] = field(default_factory=dict)
    identity_max: dict[tuple[str, str], int] = field(default_factory=dict)  # live max(id)
    partitions: dict[str, str] = field(default_factory=dict)  # partition table -> parent table
    time_zone: str | None = None
    statements: dict[str, int] = field(default_factory=dict)  # statement kind -> count
    # The engine the schema was read from, when it is not `engine` itself (SQLite's DDL is
    # rewritten to PostgreSQL's and mapped as such, but the report should name SQLite).
    origin: str | None = None
    live: bool = False

    def incomplete(self) -> list[Diagnostic]:
        """The input problems that left part of the source unread (cut short, unparsable)."""
        return [d for d in self.diagnostics if d.kind in INCOMPLETE_KINDS]


# ---------------------------------------------------------------------------------------------
# Spanner side


@dataclass
class SpType:
    """A Spanner type independent of dialect; `ddl.py` spells it for each dialect."""

    base: str  # BOOL INT64 FLOAT32 FLOAT64 NUMERIC STRING BYTES DATE TIMESTAMP JSON
    length: int | None = None  # STRING/BYTES length; None = MAX
    array: bool = False

    def key(self) -> str:
        inner = self.base
        if self.base in ("STRING", "BYTES"):
            inner += f"({self.length if self.length is not None else 'MAX'})"
        return f"ARRAY<{inner}>" if self.array else inner

    @classmethod
    def parse(cls, text: str) -> SpType:
        """Inverse of key(): 'STRING(50)', 'ARRAY<STRING(MAX)>', 'INT64'."""
        t = text.strip().upper().replace(" ", "")
        array = t.startswith("ARRAY<") and t.endswith(">")
        if array:
            t = t[6:-1]
        length: int | None = None
        if "(" in t:
            t, arg = t[:-1].split("(", 1)
            length = None if arg == "MAX" else int(arg)
        if t not in SPANNER_BASES:
            raise ValueError(
                f"unknown Spanner type {text!r}; use one of {', '.join(SPANNER_BASES)}"
            )
        return cls(t, length, array)


SPANNER_BASES = (
    "BOOL",
    "INT64",
    "FLOAT32",
    "FLOAT64",
    "NUMERIC",
    "STRING",
    "BYTES",
    "DATE",
    "TIMESTAMP",
    "JSON",
)


@dataclass
class SpColumn:
    name: str
    source_name: str | None  # None for a synthetic column
    type: SpType
    not_null: bool = False
    default: str | None = None  # already in the target dialect
    generated: str | None = None
    stored: bool = True
    identity: bool = False
    sequence: str | None = (
        None  # a bit-reversed SEQUENCE feeding the column (identity style "sequence")
    )
    start_counter: int | None = None
    skip_range: tuple[int, int] | None = None
    alternatives: list[str] = field(default_factory=list)


@dataclass
class SpIndex:
    name: str
    keys: list[tuple[str, bool]]  # (column, desc)
    unique: bool = False
    null_filtered: bool = False
    storing: list[str] = field(default_factory=list)
    source_name: str | None = None


@dataclass
class SpForeignKey:
    name: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    on_delete: str = "NO ACTION"  # NO ACTION | CASCADE
    source_name: str | None = None


@dataclass
class SpTable:
    name: str
    source_name: str
    columns: list[SpColumn] = field(default_factory=list)
    primary_key: list[tuple[str, bool]] = field(default_factory=list)
    indexes: list[SpIndex] = field(default_factory=list)
    foreign_keys: list[SpForeignKey] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (name, target expression)
    parent: str | None = None  # interleave parent
    on_delete_parent: str = "NO ACTION"
    synthetic_pk: str | None = None
    skip: bool = False

    def column(self, name: str) -> SpColumn | None:
        index = self.__dict__.get("_index")
        if index is not None and len(index) == len(self.columns):
            col = index.get(name)
            if col is not None and col.name == name:
                return col
        index = {c.name: c for c in self.columns}  # (re)built: columns were added or renamed
        self.__dict__["_index"] = index
        return index.get(name)


@dataclass
class SpSchema:
    dialect: str  # "google_standard_sql" | "postgresql"
    tables: list[SpTable] = field(default_factory=list)

    def table(self, name: str) -> SpTable | None:
        index = self.__dict__.get("_index")
        if index is None or len(index) != len(self.tables):
            index = {t.name: t for t in self.tables}
            self.__dict__["_index"] = index
        return index.get(name)
