"""The catalogue of conversion issues, as data.

Every change or drop made during conversion is recorded as an `Issue` whose `code` is a key of
`CATALOGUE`. Severities: "error" (something could not be migrated and needs a decision),
"warning" (migrated, but behaviour or values may differ), "note" (a change the user should know
about, with no loss), "suggestion" (an optional improvement).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITIES = ("error", "warning", "note", "suggestion")

# code -> (severity, explanation template). Templates use str.format with the issue's `params`.
CATALOGUE: dict[str, tuple[str, str]] = {
    # types
    "widened": (
        "note",
        "{src} widened to {dst}: Spanner has one integer and one float width per kind",
    ),
    "unsigned_overflow": (
        "warning",
        "{src} can hold values up to 18446744073709551615, above INT64's maximum 9223372036854775807; larger values become bad rows (choose NUMERIC or STRING to keep them)",
    ),
    "numeric_precision": (
        "warning",
        "{src} exceeds Spanner NUMERIC (29 integer digits, 9 fractional); values outside that range become bad rows (choose STRING to keep every digit)",
    ),
    "numeric_unbounded": (
        "note",
        "{src} has no declared precision; values beyond Spanner NUMERIC's 29 integer and 9 fractional digits become bad rows",
    ),
    "numeric_pk_pg": (
        "warning",
        "PostgreSQL-dialect Spanner cannot index NUMERIC; key column {col} mapped to {dst}",
    ),
    "float_to_float64": ("note", "{src} stored as {dst}"),
    "bool_from_int": (
        "note",
        "{src} is MySQL's boolean idiom; mapped to BOOL (choose INT64 if it holds other numbers)",
    ),
    "bit_to_bytes": ("note", "{src} stored as {dst}, most significant bit first"),
    "enum_to_string": (
        "note",
        "{src} mapped to {dst}; allowed values kept as CHECK constraint {check}",
    ),
    "enum_values_lost": (
        "warning",
        "{src} mapped to {dst}; the allowed values could not be kept as a CHECK",
    ),
    "set_to_array": ("note", "{src} mapped to {dst}: each member becomes an array element"),
    "array_multidim": (
        "warning",
        "{src} is multi-dimensional; Spanner arrays have one dimension, stored as {dst} (JSON text)",
    ),
    "array_element": (
        "warning",
        "{src}: element type has no Spanner array equivalent; stored as {dst}",
    ),
    "json_text": ("note", "{src} holds JSON (it has CHECK json_valid); mapped to {dst}"),
    "datetime_tz": (
        "warning",
        "{src} has no time zone; values are read as UTC unless --source-timezone says otherwise, and stored as {dst}",
    ),
    "timestamp_no_tz": (
        "warning",
        "{src} has no time zone; values are read in --source-timezone (UTC by default) and stored as {dst}",
    ),
    "time_to_string": (
        "warning",
        "{src}: Spanner has no time-of-day type; stored as {dst} ('HH:MM:SS[.ffffff]')",
    ),
    "year_to_int": ("note", "{src} stored as {dst}"),
    "interval_to_string": (
        "warning",
        "{src}: Spanner cannot store intervals; stored as {dst} (ISO 8601 text)",
    ),
    "spatial": (
        "warning",
        "{src}: Spanner has no spatial types; stored as {dst} (WKT text); spatial functions and indexes are lost",
    ),
    "database_dropped": (
        "warning",
        "the database qualifier of {db}.{src} is dropped (Spanner has one namespace): a table "
        "{src} of another database would collide with it",
    ),
    "partition_object_kept": ("note", "{detail}"),
    "partition_object_lost": ("warning", "{detail}"),
    "srid_dropped": (
        "warning",
        "SRID {srid} dropped: the WKT text stored in Spanner carries no spatial reference "
        "system; keep it in the application if it matters",
    ),
    "dump_float_precision": (
        "warning",
        "{src}: mysqldump writes FLOAT values with 6 significant digits (16777216 as 16777200, "
        "123456.7 as 123457), so values loaded from this dump can differ from the source's from "
        "the 7th digit on; a live read of the database keeps every digit",
    ),
    "uuid_to_string": ("note", "{src} stored as {dst} (canonical text form)"),
    "network_to_string": ("note", "{src} stored as {dst}; network operators are lost"),
    "no_good_type": ("warning", "{src} has no Spanner equivalent; stored as {dst} (text form)"),
    "text_semantics": (
        "warning",
        "{src} stored as {dst}; its special semantics (case-insensitive / full-text / key-value) are lost",
    ),
    "money": ("note", "{src} stored as {dst} (currency symbol and locale formatting dropped)"),
    "blob_capped": (
        "warning",
        "{src} may hold more than Spanner's 10 MiB per cell; larger values become bad rows",
    ),
    "string_capped": (
        "note",
        "{src} may hold more than Spanner's 2,621,440 characters per cell; larger values become bad rows",
    ),
    "length_lost": (
        "note",
        "PostgreSQL-dialect Spanner has no length for {dst}; the limit {src} is not enforced",
    ),
    "unknown_type": ("warning", "{src} is not a type this tool knows; stored as {dst} (text form)"),
    "user_override": ("note", "type set by the session file: {src} -> {dst}"),
    "user_override_bad": (
        "error",
        "the session file asks for {dst}, which is not a Spanner type; kept {src}",
    ),
    "zerofill": ("note", "ZEROFILL is display-only and is dropped"),
    "charset": (
        "note",
        "character set / collation {detail} dropped; Spanner strings are UTF-8, compared by code point (case-sensitive)",
    ),
    # names
    "illegal_name": ("warning", "name {old!r} is not a legal Spanner identifier; renamed {new!r}"),
    "reserved_name": (
        "warning",
        "name {old!r} is a reserved word in the target dialect; renamed {new!r}",
    ),
    "name_clash": (
        "warning",
        "name {old!r} clashes (case-insensitively) with another schema object; renamed {new!r}",
    ),
    "name_too_long": ("warning", "name {old!r} is longer than 128 characters; renamed {new!r}"),
    "user_rename": ("note", "renamed by the session file: {old!r} -> {new!r}"),
    # keys
    "missing_pk": (
        "warning",
        "table has no primary key; added {col} {dst} filled with random UUIDs (no write hotspot)",
    ),
    "unique_promoted": (
        "note",
        "table has no primary key; unique index {index} promoted to primary key",
    ),
    "pk_nullable": ("warning", "key column {col} allowed NULL in the source; it becomes NOT NULL"),
    "hotspot": (
        "suggestion",
        "primary key starts with {col} ({dst}), which grows monotonically; writes will concentrate on one split (consider a UUID or bit-reversed key)",
    ),
    "auto_increment": (
        "note",
        "{src} counter becomes a bit-reversed IDENTITY{extra}; new values are not sequential",
    ),
    "auto_increment_no_start": (
        "warning",
        "{src} counter becomes a bit-reversed IDENTITY, but the source's current maximum is unknown (dump without AUTO_INCREMENT= or setval); set START COUNTER WITH / SKIP RANGE in the session before loading",
    ),
    "identity_off": (
        "warning",
        "auto-increment not carried over (--no-identity): plain INT64; new rows need their key from the application",
    ),
    "sequence_not_migrated": (
        "warning",
        "sequence {name} is not attached to a column and is not migrated",
    ),
    # indexes
    "index_prefix": (
        "warning",
        "index {index}: prefix length {prefix} on {col} dropped; the whole column is indexed",
    ),
    "index_fulltext": (
        "warning",
        "index {index} is a {kind} index; not migrated (consider a Spanner search index)",
    ),
    "index_expression": (
        "warning",
        "index {index} has an expression key {expr}; not migrated (index a generated column instead)",
    ),
    "index_partial": ("warning", "index {index} is partial (WHERE {expr}); not migrated"),
    "index_null_filtered": (
        "note",
        "index {index} is partial on IS NOT NULL; created as NULL_FILTERED",
    ),
    "index_unindexable": (
        "warning",
        "index {index} includes {col} of type {dst}, which Spanner cannot index; not migrated",
    ),
    "index_include": ("note", "index {index}: INCLUDE columns become STORING"),
    "index_redundant": ("note", "index {index} duplicates the primary key; not migrated"),
    # foreign keys
    "fk_on_delete": (
        "warning",
        "foreign key {fk}: ON DELETE {action} is not supported by Spanner; NO ACTION used",
    ),
    "fk_on_delete_restrict": (
        "note",
        "foreign key {fk}: ON DELETE RESTRICT becomes NO ACTION (same effect, checked at commit)",
    ),
    "fk_on_update": (
        "warning",
        "foreign key {fk}: ON UPDATE {action} is not supported (Spanner keys cannot be updated); dropped",
    ),
    "fk_unresolved": (
        "error",
        "foreign key {fk} references {ref}, which is not in the schema; not migrated",
    ),
    "fk_type_mismatch": (
        "error",
        "foreign key {fk}: {col} ({dst}) and {ref} ({ref_type}) have different Spanner types; not migrated",
    ),
    "interleave_suggested": (
        "suggestion",
        'primary key starts with the key of {parent}; consider interleaving in it (set "interleave_in" in the session)',
    ),
    "interleave_applied": (
        "note",
        "interleaved in {parent} (ON DELETE {action}), as the session asks",
    ),
    "interleave_rejected": (
        "error",
        "the session asks to interleave in {parent}, but {reason}; not interleaved",
    ),
    # constraints and expressions
    "check_dropped": (
        "warning",
        "CHECK {name} ({expr}) cannot be expressed in Spanner ({reason}); not migrated",
    ),
    "check_json_valid": ("note", "CHECK {name} (json_valid) is implied by the JSON type; dropped"),
    "default_dropped": (
        "warning",
        "DEFAULT {expr} cannot be expressed in Spanner ({reason}); not migrated",
    ),
    "default_identity": ("note", "DEFAULT {expr} replaced by the IDENTITY column"),
    "on_update": (
        "warning",
        "ON UPDATE {expr} is not supported by Spanner; set the value in the application (or use allow_commit_timestamp)",
    ),
    "generated_dropped": (
        "error",
        "generated column expression {expr} cannot be expressed in Spanner ({reason}); column created as a plain column",
    ),
    "generated_virtual": ("note", "VIRTUAL generated column becomes STORED"),
    "comment": ("note", "comment dropped: {text!r}"),
    # tables and objects
    "table_skipped": ("note", "table skipped, as the session asks"),
    "partitions_merged": (
        "note",
        "partitions {parts} are merged into this table (Spanner splits tables by key on its own); their rows load here",
    ),
    "table_option": ("note", "table option {detail} has no Spanner equivalent; dropped"),
    "column_skipped": ("warning", "column skipped, as the session asks"),
    "not_migrated": (
        "warning",
        "{kind} {name} is not migrated: Spanner has no {kind}s (recreate it in the application)",
    ),
    "view_not_migrated": (
        "warning",
        "view {name} is not migrated (Spanner views must be created by hand with SQL SECURITY INVOKER)",
    ),
    "too_many_columns": ("error", "{n} columns exceed Spanner's limit of 1024 per table"),
    "too_many_key_columns": ("error", "{n} key columns exceed Spanner's limit of 16"),
}


@dataclass
class Issue:
    code: str
    table: str | None = None
    column: str | None = None
    params: dict[str, Any] | None = None

    @property
    def severity(self) -> str:
        return CATALOGUE[self.code][0]

    @property
    def explanation(self) -> str:
        template = CATALOGUE[self.code][1]
        try:
            return template.format(**(self.params or {}))
        except (KeyError, IndexError):
            return template

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "table": self.table,
            "column": self.column,
            "params": self.params,
            "severity": self.severity,
            "explanation": self.explanation,
        }
