"""Parser for the DDL Spanner accepts, in both dialects, into schema-change operations.

Hand-written because no parser ships Spanner's DDL: a recursive-descent parser over the shared
`lexer` that keeps the source text of expressions (DEFAULT, generated columns, CHECK) verbatim.
It is one grammar whose productions call each other, which is why it stays one module of about
900 lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import lexer
from .catalog import Check, Column, ForeignKey, Index, KeyPart, Table
from .errors import DdlError, DdlSyntaxError
from .lexer import Tok
from .typemap import (
    GOOGLE_SQL,
    GSQL_SIZED,
    GSQL_TYPE_NAMES,
    PG_REJECTED_TYPES,
    PG_TYPE_NAMES,
    PG_UNSUPPORTED_TYPE_MESSAGE,
    PG_UNSUPPORTED_TYPES,
    POSTGRESQL,
    SType,
)


def _tokenize(sql: str, dialect: str) -> list[Tok]:
    """The statement's tokens, or Spanner's syntax error at the first character that is none."""
    try:
        return lexer.tokenize(sql, dialect)
    except lexer.LexError as exc:
        line = sql.count("\n", 0, exc.position) + 1
        column = exc.position - (sql.rfind("\n", 0, exc.position) + 1) + 1
        raise DdlSyntaxError(
            f"Error parsing Spanner DDL statement: {sql} : Syntax error on line {line}, "
            f"column {column}: {exc.problem}"
        ) from exc


# ------------------------------------------------------------------- operations


@dataclass
class CreateTable:
    table: Table
    if_not_exists: bool = False


@dataclass
class CreateIndex:
    index: Index
    if_not_exists: bool = False


@dataclass
class DropTable:
    name: str
    if_exists: bool = False


@dataclass
class DropIndex:
    name: str
    if_exists: bool = False


@dataclass
class AddColumn:
    table: str
    column: Column
    if_not_exists: bool = False


@dataclass
class DropColumn:
    table: str
    column: str


@dataclass
class AlterColumn:
    table: str
    column: str
    new_definition: Column | None = None
    set_default: str | None = None
    drop_default: bool = False
    set_not_null: bool | None = None
    options: dict[str, str] = field(default_factory=dict)
    # identity columns: RESTART COUNTER WITH n, SET SKIP RANGE a, b / SET NO SKIP RANGE
    restart_counter: int | None = None
    skip_range: tuple[int, int] | None = None
    no_skip_range: bool = False


@dataclass
class AddForeignKey:
    table: str
    foreign_key: ForeignKey


@dataclass
class AddCheck:
    table: str
    check: Check


@dataclass
class DropConstraint:
    table: str
    name: str


@dataclass
class SetOnDelete:
    table: str
    action: str


@dataclass
class AlterDatabase:
    options: dict[str, str]


@dataclass
class CreateView:
    name: str
    query: str
    security: str = "INVOKER"
    or_replace: bool = False


@dataclass
class DropView:
    name: str
    if_exists: bool = False


@dataclass
class CreateSequence:
    name: str
    options: dict[str, str]
    if_not_exists: bool = False


@dataclass
class DropSequence:
    name: str
    if_exists: bool = False


@dataclass
class ProtoBundle:
    """CREATE / ALTER / DROP PROTO BUNDLE; `descriptors` is the request's FileDescriptorSet."""

    action: str  # CREATE | ALTER | DROP
    insert: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    descriptors: bytes = b""


@dataclass
class NoOp:
    """Statements Spanner accepts that change nothing spanner-local models (ANALYZE...)."""

    text: str


Operation = (
    CreateTable
    | CreateIndex
    | DropTable
    | DropIndex
    | AddColumn
    | DropColumn
    | AlterColumn
    | AddForeignKey
    | AddCheck
    | DropConstraint
    | SetOnDelete
    | AlterDatabase
    | CreateSequence
    | DropSequence
    | CreateView
    | DropView
    | ProtoBundle
    | NoOp
)


class DdlParser:
    def __init__(self, sql: str, dialect: str) -> None:
        self.sql = sql.strip().rstrip(";").strip()
        self.dialect = dialect
        self.toks = _tokenize(self.sql, dialect)
        self.i = 0
        self.fk_counter = 0
        self.serial_seen = ""

    # --------------------------------------------------------------- token helpers

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, n: int = 1) -> Tok:
        return self.toks[min(self.i + n, len(self.toks) - 1)]

    def error(self, expecting: str) -> DdlSyntaxError:
        tok = self.tok
        found = "EOF" if tok.kind == "eof" else repr(tok.text)
        line = self.sql.count("\n", 0, tok.start) + 1
        col = tok.start - (self.sql.rfind("\n", 0, tok.start) + 1) + 1
        if self.dialect == POSTGRESQL:
            return DdlSyntaxError(
                f"syntax error at or near {found}: expecting {expecting} (line {line}, column {col})"
            )
        return DdlSyntaxError(
            f"Error parsing Spanner DDL statement: {self.sql} : Syntax error on line {line}, "
            f"column {col}: Expecting '{expecting}' but found {found}"
        )

    def at(self, *words: str) -> bool:
        return all(self.peek(k).upper == w for k, w in enumerate(words))

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(" ".join(words))

    def accept_op(self, op: str) -> bool:
        if self.tok.kind == "op" and self.tok.text == op:
            self.i += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            raise self.error(op)

    def ident(self) -> str:
        tok = self.tok
        if tok.kind == "ident":
            self.i += 1
            return tok.text
        if tok.kind == "word":
            self.i += 1
            # PostgreSQL folds unquoted identifiers to lower case; GoogleSQL keeps them.
            return tok.text.lower() if self.dialect == POSTGRESQL else tok.text
        raise self.error("identifier")

    def qualified_name(self) -> str:
        name = self.ident()
        while self.accept_op("."):
            part = self.ident()
            if name.lower() == "public" and self.dialect == POSTGRESQL:
                name = part
            else:
                name = f"{name}.{part}"
        return name

    def ident_list(self) -> list[str]:
        self.expect_op("(")
        names = [self.ident()]
        while self.accept_op(","):
            names.append(self.ident())
        self.expect_op(")")
        return names

    def key_list(self) -> list[KeyPart]:
        self.expect_op("(")
        keys: list[KeyPart] = []
        if self.accept_op(")"):
            return keys
        while True:
            name = self.ident()
            desc = False
            if self.accept("DESC"):
                desc = True
            else:
                self.accept("ASC")
            if self.dialect == POSTGRESQL:
                self.accept("NULLS", "FIRST") or self.accept("NULLS", "LAST")
            keys.append(KeyPart(name, desc))
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return keys

    def balanced_text(self) -> str:
        """The verbatim source between a '(' and its matching ')', both consumed."""
        self.expect_op("(")
        start = self.tok.start
        depth = 1
        while True:
            tok = self.tok
            if tok.kind == "eof":
                raise self.error(")")
            if tok.kind == "op" and tok.text == "(":
                depth += 1
            elif tok.kind == "op" and tok.text == ")":
                depth -= 1
                if depth == 0:
                    text = self.sql[start : tok.start].strip()
                    self.i += 1
                    return text
            self.i += 1

    def expression_until(self, stops: set[str]) -> str:
        """PostgreSQL DEFAULT expressions run until a top-level ',' / ')' or a keyword."""
        start = self.tok.start
        depth = 0
        while True:
            tok = self.tok
            if tok.kind == "eof":
                break
            if tok.kind == "op" and tok.text == "(":
                depth += 1
            elif tok.kind == "op" and tok.text == ")":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and ((tok.kind == "op" and tok.text == ",") or (tok.upper in stops)):
                break
            self.i += 1
        text = self.sql[start : self.tok.start].strip()
        if not text:
            raise self.error("expression")
        return text

    def done(self) -> None:
        if self.tok.kind != "eof":
            raise self.error("EOF")

    # --------------------------------------------------------------- types

    def column_type(self) -> tuple[SType, int | None]:
        if self.dialect == POSTGRESQL:
            return self.pg_type()
        return self.gsql_type()

    def gsql_type(self) -> tuple[SType, int | None]:
        word = self.tok.upper
        if word == "ARRAY":
            self.i += 1
            self.expect_op("<")
            elem, elem_length = self.gsql_type()
            self.expect_op(">")
            return SType("ARRAY", element=elem), elem_length
        code = GSQL_TYPE_NAMES.get(word)
        if code is None and (
            self.tok.kind == "ident" or (self.tok.kind == "word" and self.peek().text == ".")
        ):
            # a proto message or enum of the database's proto bundle; whether it is one (and
            # which) is settled against the bundle when the statement is applied
            return SType("PROTO", fqn=self.qualified_name()), None
        if code is None:
            raise self.error("type")
        self.i += 1
        length: int | None = None
        if code in GSQL_SIZED:
            self.expect_op("(")
            if self.accept("MAX"):
                length = None
            elif self.tok.kind == "num":
                length = int(self.tok.text)
                self.i += 1
            else:
                raise self.error("MAX")
            self.expect_op(")")
        return SType(code), length

    def pg_type(self) -> tuple[SType, int | None]:
        words = [self.tok.text.lower()]
        if self.tok.kind != "word":
            raise self.error("type")
        self.i += 1
        # multi-word spellings
        for tail in (["varying"], ["precision"], ["with", "time", "zone"]):
            if all(self.peek(k).text.lower() == w for k, w in enumerate(tail)):
                words += tail
                self.i += len(tail)
        name = " ".join(words)
        if name in PG_REJECTED_TYPES:
            # SERIAL is an identity column whose kind comes from default_sequence_kind
            self.serial_seen = PG_REJECTED_TYPES[name]
            return SType("INT64"), None
        if name == "timestamp" and self.at("WITHOUT", "TIME", "ZONE"):
            raise DdlError("Type <timestamp without time zone> is not supported.")
        if name in PG_UNSUPPORTED_TYPES:
            raise DdlSyntaxError(PG_UNSUPPORTED_TYPE_MESSAGE.format(name=name))
        if name not in PG_TYPE_NAMES:
            raise DdlError(PG_UNSUPPORTED_TYPE_MESSAGE.format(name=name))
        code, annotation = PG_TYPE_NAMES[name]
        length: int | None = None
        if self.accept_op("("):
            if self.tok.kind != "num":
                raise self.error("length")
            length = int(self.tok.text)
            self.i += 1
            if self.accept_op(","):  # numeric(p, s): Spanner ignores precision and scale
                self.i += 1
            self.expect_op(")")
            if code != "STRING":
                length = None
        stype = SType(code, annotation=annotation)
        if self.accept_op("["):
            self.expect_op("]")
            stype = SType("ARRAY", element=stype)
        return stype, length

    # --------------------------------------------------------------- statements

    def parse(self) -> Operation:
        if self.accept("CREATE"):
            or_replace = self.accept("OR", "REPLACE")
            if self.accept("TABLE"):
                return self.create_table()
            unique = self.accept("UNIQUE")
            null_filtered = self.accept("NULL_FILTERED")
            if self.accept("INDEX"):
                return self.create_index(unique, null_filtered)
            if self.accept("VIEW"):
                return self.create_view(or_replace)
            if self.accept("SEQUENCE"):
                return self.create_sequence()
            if self.dialect == GOOGLE_SQL and self.accept("PROTO", "BUNDLE"):
                op = ProtoBundle("CREATE", insert=self.proto_type_list())
                self.done()
                return op
            if self.at("CHANGE", "STREAM") or self.at("ROLE"):
                return NoOp(self.sql)  # no effect on data; accepted for schema compatibility
            raise self.error("TABLE")
        if self.accept("DROP"):
            if self.accept("TABLE"):
                if_exists = self.accept("IF", "EXISTS")
                name = self.qualified_name()
                self.done()
                return DropTable(name, if_exists)
            if self.accept("INDEX"):
                if_exists = self.accept("IF", "EXISTS")
                name = self.qualified_name()
                self.done()
                return DropIndex(name, if_exists)
            if self.accept("SEQUENCE"):
                if_exists = self.accept("IF", "EXISTS")
                name = self.qualified_name()
                self.done()
                return DropSequence(name, if_exists)
            if self.accept("VIEW"):
                if_exists = self.accept("IF", "EXISTS")
                name = self.qualified_name()
                self.done()
                return DropView(name, if_exists)
            if self.dialect == GOOGLE_SQL and self.accept("PROTO", "BUNDLE"):
                self.done()
                return ProtoBundle("DROP")
            if self.at("CHANGE", "STREAM") or self.at("ROLE"):
                return NoOp(self.sql)
            raise self.error("TABLE")
        if self.accept("ALTER"):
            if self.accept("TABLE"):
                return self.alter_table()
            if self.accept("DATABASE"):
                self.ident()
                return AlterDatabase(self.options_or_set())
            if self.dialect == GOOGLE_SQL and self.accept("PROTO", "BUNDLE"):
                return self.alter_proto_bundle()
            raise self.error("TABLE")
        if self.accept("ANALYZE") or self.accept("GRANT") or self.accept("REVOKE"):
            return NoOp(self.sql)
        raise self.error("CREATE, ALTER or DROP")

    def proto_type_list(self) -> list[str]:
        """`(a.b.C, d.e.F,)`: a parenthesised list of proto type names, trailing comma allowed."""
        self.expect_op("(")
        names: list[str] = []
        while not self.accept_op(")"):
            names.append(self.qualified_name())
            if not self.accept_op(","):
                self.expect_op(")")
                break
        return names

    def alter_proto_bundle(self) -> ProtoBundle:
        op = ProtoBundle("ALTER")
        clauses = {"INSERT": op.insert, "UPDATE": op.update, "DELETE": op.delete}
        while self.tok.upper in clauses:
            target = clauses[self.tok.upper]
            self.i += 1
            target.extend(self.proto_type_list())
        self.done()
        return op

    def create_view(self, or_replace: bool) -> CreateView:
        name = self.qualified_name()
        if not self.accept("SQL", "SECURITY"):
            raise DdlError(
                f"View {name} is missing the SQL SECURITY clause: write SQL SECURITY INVOKER."
            )
        security = "DEFINER"
        if not self.accept("DEFINER"):
            self.expect("INVOKER")
            security = "INVOKER"
        self.expect("AS")
        query = self.sql[self.tok.start :].strip()
        if not query:
            raise self.error("query")
        self.i = len(self.toks) - 1
        return CreateView(name, query, security, or_replace)

    def create_sequence(self) -> CreateSequence:
        if_not_exists = self.accept("IF", "NOT", "EXISTS")
        name = self.qualified_name()
        opts: dict[str, str] = {}
        if self.dialect == GOOGLE_SQL:
            if self.accept("OPTIONS"):
                opts = {k: v.strip("'\"") for k, v in self.options_body().items()}
        else:
            while self.tok.kind != "eof":
                if self.accept("BIT_REVERSED_POSITIVE"):
                    opts["sequence_kind"] = "bit_reversed_positive"
                elif self.accept("SKIP", "RANGE"):
                    opts["skip_range_min"] = self.tok.text
                    self.i += 1
                    opts["skip_range_max"] = self.tok.text
                    self.i += 1
                elif self.accept("START", "COUNTER", "WITH") or self.accept("START", "COUNTER"):
                    opts["start_with_counter"] = self.tok.text
                    self.i += 1
                else:
                    raise self.error("BIT_REVERSED_POSITIVE")
        self.done()
        if opts.get("sequence_kind", "").lower() != "bit_reversed_positive":
            raise DdlError(
                f"Sequence {name} must set sequence_kind = 'bit_reversed_positive' (the only kind "
                "Spanner supports)."
            )
        return CreateSequence(name, opts, if_not_exists)

    def options_or_set(self) -> dict[str, str]:
        opts: dict[str, str] = {}
        if self.accept("SET", "OPTIONS"):
            opts = self.options_body()
        elif self.accept("SET"):
            name = self.qualified_name()
            if not (self.accept_op("=") or self.accept("TO")):
                raise self.error("=")
            opts[name] = self.sql[self.tok.start :].strip()
            self.i = len(self.toks) - 1
        return opts

    def options_body(self) -> dict[str, str]:
        body = self.balanced_text()
        opts: dict[str, str] = {}
        for part in re.split(r",(?![^(]*\))", body):
            if "=" in part:
                k, _, v = part.partition("=")
                opts[k.strip().lower()] = v.strip()
        return opts

    def create_table(self) -> CreateTable:
        if_not_exists = self.accept("IF", "NOT", "EXISTS")
        name = self.qualified_name()
        self.expect_op("(")
        columns: list[Column] = []
        fks: list[ForeignKey] = []
        checks: list[Check] = []
        pk: list[KeyPart] | None = None
        if not self.accept_op(")"):
            while True:
                if self.at("CONSTRAINT") or self.at("FOREIGN") or self.at("CHECK"):
                    item = self.table_constraint(name)
                    if isinstance(item, ForeignKey):
                        fks.append(item)
                    else:
                        checks.append(item)
                elif self.dialect == POSTGRESQL and self.at("PRIMARY", "KEY"):
                    self.i += 2
                    if pk is not None:
                        raise DdlError(f"Multiple primary keys for table {name} are not allowed.")
                    pk = self.key_list()
                else:
                    col, col_pk, col_fk = self.column_def(name)
                    columns.append(col)
                    if col_pk:
                        if pk is not None:
                            raise DdlError(
                                f"Multiple primary keys for table {name} are not allowed."
                            )
                        pk = [KeyPart(col.name)]
                    if col_fk is not None:
                        fks.append(col_fk)
                if self.accept_op(","):
                    if self.accept_op(")"):
                        break  # GoogleSQL allows a trailing comma
                    continue
                self.expect_op(")")
                break
        parent, on_delete = None, "NO ACTION"
        if self.dialect == GOOGLE_SQL:
            if not self.at("PRIMARY", "KEY"):
                raise self.error("PRIMARY KEY")
            self.i += 2
            pk = self.key_list()
            if self.accept_op(","):
                self.expect("INTERLEAVE", "IN", "PARENT")
                parent = self.qualified_name()
                on_delete = self.on_delete()
            if self.accept_op(","):
                self.expect("ROW", "DELETION", "POLICY")
                self.balanced_text()
        else:
            if self.accept("INTERLEAVE", "IN", "PARENT") or self.accept("INTERLEAVE", "IN"):
                parent = self.qualified_name()
                on_delete = self.on_delete()
            if self.accept("TTL"):
                self.i = len(self.toks) - 1
            if pk is None:
                raise DdlError(f"Primary key must be defined for table {name}.")
        self.done()
        assert pk is not None
        key_names = {k.column.lower() for k in pk}
        for col in columns:
            if col.name.lower() in key_names and self.dialect == POSTGRESQL:
                col.not_null = True  # PostgreSQL makes key columns NOT NULL
        table = Table(name, columns, pk, parent, on_delete, fks, checks)
        return CreateTable(table, if_not_exists)

    def on_delete(self) -> str:
        if self.accept("ON", "DELETE"):
            if self.accept("CASCADE"):
                return "CASCADE"
            self.expect("NO", "ACTION")
        return "NO ACTION"

    def column_def(self, table: str) -> tuple[Column, bool, ForeignKey | None]:
        name = self.ident()
        self.serial_seen = ""
        stype, length = self.column_type()
        col = Column(name, stype, length)
        if self.serial_seen:
            col.identity = {"declared_as": self.serial_seen}
        is_pk = False
        fk: ForeignKey | None = None
        while True:
            if self.accept("NOT", "NULL"):
                col.not_null = True
            elif self.accept("NULL"):
                col.not_null = False
            elif self.accept("DEFAULT"):
                if self.dialect == GOOGLE_SQL:
                    col.default = self.balanced_text()
                else:
                    col.default = self.expression_until(
                        {"NOT", "NULL", "PRIMARY", "REFERENCES", "GENERATED", "CONSTRAINT", "CHECK"}
                    )
            elif self.dialect == GOOGLE_SQL and self.accept("AS"):
                col.generated = self.balanced_text()
                col.stored = self.accept("STORED")
            elif self.accept("GENERATED", "ALWAYS", "AS"):
                col.generated = self.balanced_text()
                col.stored = self.accept("STORED") or (self.accept("VIRTUAL") and False)
            elif self.dialect == GOOGLE_SQL and self.accept("AUTO_INCREMENT"):
                col.identity = {"declared_as": "AUTO_INCREMENT"}
            elif self.accept("GENERATED", "BY", "DEFAULT", "AS", "IDENTITY"):
                col.identity = self.identity_options()
            elif self.at("GENERATED", "ALWAYS", "AS", "IDENTITY"):
                raise DdlError(
                    "Spanner supports only GENERATED BY DEFAULT AS IDENTITY, not GENERATED ALWAYS "
                    "AS IDENTITY."
                )
            elif self.accept("OPTIONS"):
                opts = self.options_body()
                col.allow_commit_timestamp = (
                    opts.get("allow_commit_timestamp", "").lower() == "true"
                )
            elif self.accept("PRIMARY", "KEY"):
                if self.dialect != POSTGRESQL:
                    raise self.error("column option")
                is_pk = True
            elif self.accept("REFERENCES"):
                ref = self.qualified_name()
                cols = self.ident_list()
                self.fk_counter += 1
                fk = ForeignKey(
                    f"FK_{table}_{ref}_{self.fk_counter}", [name], ref, cols, self.on_delete()
                )
            elif self.accept("HIDDEN"):
                pass
            else:
                break
        return col, is_pk, fk

    def signed_int(self) -> int:
        negative = self.accept_op("-")
        tok = self.tok
        if tok.kind != "num" or not tok.text.isdigit():
            raise self.error("integer")
        self.i += 1
        return -int(tok.text) if negative else int(tok.text)

    def skip_range(self) -> tuple[int, int]:
        """`a, b` (GoogleSQL) or `a b` (PostgreSQL) after SKIP RANGE."""
        low = self.signed_int()
        if self.dialect == GOOGLE_SQL:
            self.expect_op(",")
        else:
            self.accept_op(",")
        high = self.signed_int()
        if low > high:
            raise DdlError(f"SKIP RANGE {low}, {high}: the minimum must not exceed the maximum.")
        return low, high

    def identity_options(self) -> dict[str, str]:
        """The optional `( BIT_REVERSED_POSITIVE [SKIP RANGE ...] [START COUNTER WITH n] )`."""
        opts: dict[str, str] = {}
        if not self.accept_op("("):
            return opts
        while not self.accept_op(")"):
            if self.accept("BIT_REVERSED_POSITIVE"):
                opts["sequence_kind"] = "bit_reversed_positive"
            elif self.accept("SKIP", "RANGE"):
                low, high = self.skip_range()
                opts["skip_range_min"], opts["skip_range_max"] = str(low), str(high)
            elif self.accept("START", "COUNTER"):
                if self.dialect == GOOGLE_SQL:
                    self.expect("WITH")
                else:
                    self.accept("WITH")
                start = self.signed_int()
                if start < 1:
                    raise DdlError(f"START COUNTER WITH {start}: the counter must be positive.")
                opts["start_with_counter"] = str(start)
            elif self.dialect == POSTGRESQL and (
                self.accept("NO", "MINVALUE")
                or self.accept("NO", "MAXVALUE")
                or self.accept("NO", "CYCLE")
            ):
                pass
            else:
                raise self.error("BIT_REVERSED_POSITIVE, SKIP RANGE or START COUNTER WITH")
        return opts

    def identity_change(self, op: AlterColumn) -> bool:
        """RESTART COUNTER WITH n / SET SKIP RANGE / SET NO SKIP RANGE; False if none."""
        if self.accept("RESTART", "COUNTER"):
            if self.dialect == GOOGLE_SQL:
                self.expect("WITH")
            else:
                self.accept("WITH")
            op.restart_counter = self.signed_int()
            if op.restart_counter < 1:
                raise DdlError(
                    f"RESTART COUNTER WITH {op.restart_counter}: the counter must be positive."
                )
        elif self.accept("SET", "SKIP", "RANGE"):
            op.skip_range = self.skip_range()
        elif self.accept("SET", "NO", "SKIP", "RANGE"):
            op.no_skip_range = True
        else:
            return False
        return True

    def table_constraint(self, table: str) -> ForeignKey | Check:
        cname = None
        if self.accept("CONSTRAINT"):
            cname = self.ident()
            if self.at("PRIMARY", "KEY"):
                # Spanner names every primary key PK_<table> and takes no name of its own
                # (PGAdapter drops `CONSTRAINT pk_<table>` before it gets here)
                raise DdlError(
                    f"Primary key constraint {cname} of table {table}: a PostgreSQL-dialect "
                    "database does not support named primary keys; leave out "
                    f"CONSTRAINT {cname} (the primary key is named PK_{table})."
                )
        if self.accept("CHECK"):
            expr = self.balanced_text()
            self.fk_counter += 1
            return Check(cname or f"CK_{table}_{self.fk_counter}", expr)
        self.expect("FOREIGN", "KEY")
        cols = self.ident_list()
        self.expect("REFERENCES")
        ref = self.qualified_name()
        ref_cols = self.ident_list()
        on_delete = self.on_delete()
        self.accept("NOT", "ENFORCED") or self.accept("ENFORCED")
        self.fk_counter += 1
        return ForeignKey(
            cname or f"FK_{table}_{ref}_{self.fk_counter}", cols, ref, ref_cols, on_delete
        )

    def create_index(self, unique: bool, null_filtered: bool) -> CreateIndex:
        if_not_exists = self.accept("IF", "NOT", "EXISTS")
        name = self.qualified_name()
        self.expect("ON")
        table = self.qualified_name()
        keys = self.key_list()
        storing: list[str] = []
        interleave = None
        if self.accept("STORING") or self.accept("INCLUDE"):
            storing = self.ident_list()
        if self.accept_op(",") or self.at("INTERLEAVE"):
            self.expect("INTERLEAVE", "IN")
            interleave = self.qualified_name()
        if self.dialect == POSTGRESQL and self.accept("WHERE"):
            # Spanner only accepts `col IS NOT NULL [AND ...]` here: a null-filtered index.
            self.expression_until(set())
            null_filtered = True
        self.done()
        return CreateIndex(
            Index(name, table, keys, unique, null_filtered, storing, interleave), if_not_exists
        )

    def alter_table(self) -> Operation:
        table = self.qualified_name()
        if self.accept("ADD", "COLUMN") or (
            self.dialect == POSTGRESQL
            and self.at("ADD")
            and not self.at("ADD", "CONSTRAINT")
            and not self.at("ADD", "FOREIGN")
            and not self.at("ADD", "CHECK")
            and self.accept("ADD")
        ):
            if_not_exists = self.accept("IF", "NOT", "EXISTS")
            col, is_pk, fk = self.column_def(table)
            if is_pk or fk is not None:
                raise DdlError(
                    "Cannot add a key or foreign key column with ALTER TABLE ADD COLUMN."
                )
            self.done()
            return AddColumn(table, col, if_not_exists)
        if self.accept("DROP", "COLUMN"):
            col_name = self.ident()
            self.done()
            return DropColumn(table, col_name)
        if self.accept("DROP", "CONSTRAINT"):
            cname = self.ident()
            self.done()
            return DropConstraint(table, cname)
        if self.accept("ADD"):
            item = self.table_constraint(table)
            self.done()
            if isinstance(item, ForeignKey):
                return AddForeignKey(table, item)
            return AddCheck(table, item)
        if self.accept("SET", "ON", "DELETE"):
            action = "CASCADE"
            if not self.accept("CASCADE"):
                self.expect("NO", "ACTION")
                action = "NO ACTION"
            self.done()
            return SetOnDelete(table, action)
        if self.accept("ALTER", "COLUMN") or self.accept("ALTER"):
            col_name = self.ident()
            op = AlterColumn(table, col_name)
            if self.dialect == GOOGLE_SQL and self.accept("ALTER", "IDENTITY"):
                if not self.identity_change(op):
                    raise self.error("RESTART COUNTER WITH or SET [NO] SKIP RANGE")
            elif self.dialect == POSTGRESQL and self.identity_change(op):
                pass
            elif self.accept("SET", "DEFAULT"):
                op.set_default = (
                    self.balanced_text()
                    if self.dialect == GOOGLE_SQL
                    else self.expression_until(set())
                )
            elif self.accept("DROP", "DEFAULT"):
                op.drop_default = True
            elif self.accept("SET", "NOT", "NULL"):
                op.set_not_null = True
            elif self.accept("DROP", "NOT", "NULL"):
                op.set_not_null = False
            elif self.accept("SET", "OPTIONS"):
                op.options = self.options_body()
            elif self.dialect == POSTGRESQL and self.accept("TYPE"):
                stype, length = self.pg_type()
                if self.serial_seen:
                    raise DdlError(f"Cannot change the type of a column to {self.serial_seen}.")
                op.new_definition = Column(col_name, stype, length)
            else:
                stype, length = self.column_type()
                new = Column(col_name, stype, length)
                while True:
                    if self.accept("NOT", "NULL"):
                        new.not_null = True
                    elif self.accept("DEFAULT"):
                        new.default = self.balanced_text()
                    elif self.accept("OPTIONS"):
                        opts = self.options_body()
                        new.allow_commit_timestamp = (
                            opts.get("allow_commit_timestamp", "").lower() == "true"
                        )
                    else:
                        break
                op.new_definition = new
            self.done()
            return op
        raise self.error("ADD, DROP, ALTER or SET")


def parse_ddl(sql: str, dialect: str) -> Operation:
    """Parse one DDL statement of `dialect` into an operation (raises DdlSyntaxError/DdlError)."""
    return DdlParser(sql, dialect).parse()
