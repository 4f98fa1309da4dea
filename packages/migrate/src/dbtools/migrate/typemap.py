"""Type-mapping tables, kept as data.

Each source engine has a table: canonical source type name -> list of (condition, rule). The first
rule whose condition holds applies. A rule names the default Spanner type, the alternatives a user
may choose in the session file, and the issue recorded when the default is used. Types are written
dialect-free (`STRING(MAX)`, `ARRAY<INT64>`); `ddl.py` spells them for each dialect.

Length placeholders in a rule's type: `arg0` = the source's first argument (MAX when absent),
`bytes8` = ceil(bits / 8), `enum` = the longest enum/set member.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .model import MYSQL_SPATIAL, SourceType, SpType


@dataclass(frozen=True)
class Rule:
    default: str
    alternatives: tuple[str, ...] = ("STRING(MAX)",)
    issue: str | None = None


Cond = Callable[[SourceType], bool]

# Spanner NUMERIC (GoogleSQL): precision 38, scale 9 -> at most 29 integer digits.
NUMERIC_INT_DIGITS = 29
NUMERIC_SCALE = 9
STRING_MAX_CHARS = 2_621_440
BYTES_MAX = 10_485_760


def _numeric_too_big(t: SourceType) -> bool:
    precision = t.args[0] if t.args else 10
    scale = t.args[1] if len(t.args) > 1 else 0
    return scale > NUMERIC_SCALE or precision - scale > NUMERIC_INT_DIGITS


CONDITIONS: dict[str, Cond] = {
    "always": lambda t: True,
    "width1": lambda t: t.args[:1] == (1,),
    "unsigned": lambda t: t.unsigned,
    "numeric_too_big": _numeric_too_big,
    "no_args": lambda t: not t.args,
    "float_single": lambda t: not t.args or t.args[0] <= 24,
    "bytes_over_cap": lambda t: bool(t.args) and t.args[0] > BYTES_MAX,
}

_INT_ALTS = ("NUMERIC", "STRING(MAX)")
_TIME_ALTS = ("STRING(MAX)",)

MYSQL: dict[str, list[tuple[str, Rule]]] = {
    "bool": [("always", Rule("BOOL", ("INT64", "STRING(MAX)")))],
    "tinyint": [
        ("width1", Rule("BOOL", ("INT64", "STRING(MAX)"), "bool_from_int")),
        ("always", Rule("INT64", ("BOOL", "STRING(MAX)"), "widened")),
    ],
    "smallint": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "mediumint": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "int": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "bigint": [
        ("unsigned", Rule("INT64", _INT_ALTS, "unsigned_overflow")),
        ("always", Rule("INT64", _INT_ALTS)),
    ],
    "serial": [("always", Rule("INT64", _INT_ALTS, "unsigned_overflow"))],
    "decimal": [
        ("numeric_too_big", Rule("NUMERIC", ("STRING(MAX)", "FLOAT64"), "numeric_precision")),
        ("always", Rule("NUMERIC", ("STRING(MAX)", "FLOAT64"))),
    ],
    "float": [
        ("float_single", Rule("FLOAT32", ("FLOAT64", "STRING(MAX)"))),
        ("always", Rule("FLOAT64", ("STRING(MAX)",), "float_to_float64")),
    ],
    "double": [("always", Rule("FLOAT64", ("STRING(MAX)", "NUMERIC")))],
    "bit": [
        ("width1", Rule("BOOL", ("INT64", "BYTES(1)", "STRING(MAX)"))),
        ("no_args", Rule("BOOL", ("INT64", "BYTES(1)", "STRING(MAX)"))),
        ("always", Rule("BYTES(bytes8)", ("INT64", "STRING(MAX)"), "bit_to_bytes")),
    ],
    "char": [("always", Rule("STRING(arg0)", ("BYTES(arg0)", "STRING(MAX)")))],
    "varchar": [("always", Rule("STRING(arg0)", ("BYTES(arg0)", "STRING(MAX)")))],
    "tinytext": [("always", Rule("STRING(255)", ("STRING(MAX)", "BYTES(MAX)")))],
    "text": [("always", Rule("STRING(MAX)", ("BYTES(MAX)",)))],
    "mediumtext": [("always", Rule("STRING(MAX)", ("BYTES(MAX)",), "string_capped"))],
    "longtext": [("always", Rule("STRING(MAX)", ("BYTES(MAX)", "JSON"), "string_capped"))],
    "binary": [("always", Rule("BYTES(arg0)", ("STRING(MAX)", "BYTES(MAX)")))],
    "varbinary": [("always", Rule("BYTES(arg0)", ("STRING(MAX)", "BYTES(MAX)")))],
    "tinyblob": [("always", Rule("BYTES(255)", ("BYTES(MAX)", "STRING(MAX)")))],
    "blob": [
        ("no_args", Rule("BYTES(65535)", ("BYTES(MAX)", "STRING(MAX)"))),
        ("bytes_over_cap", Rule("BYTES(MAX)", ("STRING(MAX)",), "blob_capped")),
        ("always", Rule("BYTES(arg0)", ("BYTES(MAX)", "STRING(MAX)"))),
    ],
    "mediumblob": [("always", Rule("BYTES(MAX)", ("STRING(MAX)",), "blob_capped"))],
    "longblob": [("always", Rule("BYTES(MAX)", ("STRING(MAX)",), "blob_capped"))],
    "enum": [("always", Rule("STRING(enum)", ("STRING(MAX)",), "enum_to_string"))],
    "set": [("always", Rule("ARRAY<STRING(enum)>", ("STRING(MAX)",), "set_to_array"))],
    "json": [("always", Rule("JSON", ("STRING(MAX)", "BYTES(MAX)")))],
    "date": [("always", Rule("DATE", _TIME_ALTS))],
    "datetime": [("always", Rule("TIMESTAMP", _TIME_ALTS, "datetime_tz"))],
    "timestamp": [("always", Rule("TIMESTAMP", _TIME_ALTS))],
    "time": [("always", Rule("STRING(MAX)", ("INT64",), "time_to_string"))],
    "year": [("always", Rule("INT64", ("STRING(MAX)",), "year_to_int"))],
    "uuid": [("always", Rule("STRING(36)", ("BYTES(16)", "STRING(MAX)"), "uuid_to_string"))],
    "inet4": [("always", Rule("STRING(15)", ("STRING(MAX)",), "network_to_string"))],
    "inet6": [("always", Rule("STRING(39)", ("STRING(MAX)",), "network_to_string"))],
}
for _spatial in sorted(MYSQL_SPATIAL):
    MYSQL[_spatial] = [("always", Rule("STRING(MAX)", ("BYTES(MAX)",), "spatial"))]

POSTGRES: dict[str, list[tuple[str, Rule]]] = {
    "bool": [("always", Rule("BOOL", ("INT64", "STRING(MAX)")))],
    "int2": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "int4": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "int8": [("always", Rule("INT64", _INT_ALTS))],
    "smallserial": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "serial": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "bigserial": [("always", Rule("INT64", _INT_ALTS))],
    "oid": [("always", Rule("INT64", ("STRING(MAX)",), "widened"))],
    "float4": [("always", Rule("FLOAT32", ("FLOAT64", "STRING(MAX)")))],
    "float8": [("always", Rule("FLOAT64", ("STRING(MAX)", "NUMERIC")))],
    "numeric": [
        ("no_args", Rule("NUMERIC", ("STRING(MAX)", "FLOAT64"), "numeric_unbounded")),
        ("numeric_too_big", Rule("NUMERIC", ("STRING(MAX)", "FLOAT64"), "numeric_precision")),
        ("always", Rule("NUMERIC", ("STRING(MAX)", "FLOAT64"))),
    ],
    "money": [("always", Rule("NUMERIC", ("STRING(MAX)",), "money"))],
    "bpchar": [
        ("no_args", Rule("STRING(1)", ("STRING(MAX)", "BYTES(MAX)"))),
        ("always", Rule("STRING(arg0)", ("STRING(MAX)", "BYTES(MAX)"))),
    ],
    "char1": [("always", Rule("STRING(1)", ("STRING(MAX)",)))],  # the internal "char" type
    "varchar": [("always", Rule("STRING(arg0)", ("STRING(MAX)", "BYTES(MAX)")))],
    "text": [("always", Rule("STRING(MAX)", ("BYTES(MAX)",)))],
    "name": [("always", Rule("STRING(64)", ("STRING(MAX)",)))],
    "citext": [("always", Rule("STRING(MAX)", ("BYTES(MAX)",), "text_semantics"))],
    "bytea": [("always", Rule("BYTES(MAX)", ("STRING(MAX)",), "blob_capped"))],
    "date": [("always", Rule("DATE", _TIME_ALTS))],
    "timestamp": [("always", Rule("TIMESTAMP", _TIME_ALTS, "timestamp_no_tz"))],
    "timestamptz": [("always", Rule("TIMESTAMP", _TIME_ALTS))],
    "time": [("always", Rule("STRING(MAX)", ("INT64",), "time_to_string"))],
    "timetz": [("always", Rule("STRING(MAX)", (), "time_to_string"))],
    "interval": [("always", Rule("STRING(MAX)", ("INT64",), "interval_to_string"))],
    "json": [("always", Rule("JSON", ("STRING(MAX)",)))],
    "jsonb": [("always", Rule("JSON", ("STRING(MAX)",)))],
    "uuid": [("always", Rule("STRING(36)", ("BYTES(16)", "STRING(MAX)"), "uuid_to_string"))],
    "inet": [("always", Rule("STRING(43)", ("STRING(MAX)",), "network_to_string"))],
    "cidr": [("always", Rule("STRING(43)", ("STRING(MAX)",), "network_to_string"))],
    "macaddr": [("always", Rule("STRING(17)", ("STRING(MAX)",), "network_to_string"))],
    "macaddr8": [("always", Rule("STRING(23)", ("STRING(MAX)",), "network_to_string"))],
    "bit": [
        ("width1", Rule("BOOL", ("BYTES(1)", "STRING(MAX)"))),
        ("no_args", Rule("BOOL", ("BYTES(1)", "STRING(MAX)"))),
        ("always", Rule("BYTES(bytes8)", ("STRING(MAX)",), "bit_to_bytes")),
    ],
    "varbit": [("always", Rule("BYTES(bytes8)", ("STRING(MAX)",), "bit_to_bytes"))],
    "xml": [("always", Rule("STRING(MAX)", (), "no_good_type"))],
    "tsvector": [("always", Rule("STRING(MAX)", (), "text_semantics"))],
    "tsquery": [("always", Rule("STRING(MAX)", (), "text_semantics"))],
    "hstore": [("always", Rule("JSON", ("STRING(MAX)",), "text_semantics"))],
    "enum": [("always", Rule("STRING(enum)", ("STRING(MAX)",), "enum_to_string"))],
}
for _geo in ("point", "line", "lseg", "box", "path", "polygon", "circle", "geometry", "geography"):
    POSTGRES[_geo] = [("always", Rule("STRING(MAX)", ("BYTES(MAX)",), "spatial"))]
for _other in (
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "pg_lsn",
    "txid_snapshot",
    "regclass",
    "int4multirange",
):
    POSTGRES[_other] = [("always", Rule("STRING(MAX)", (), "no_good_type"))]

TABLES: dict[str, dict[str, list[tuple[str, Rule]]]] = {"mysql": MYSQL, "postgres": POSTGRES}
UNKNOWN = Rule("STRING(MAX)", (), "unknown_type")

# Element types Spanner arrays cannot hold in a useful way are stored as JSON text instead.
ARRAY_OK = (
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


def rule_for(engine: str, t: SourceType) -> Rule:
    for cond, rule in TABLES[engine].get(t.name, ()):
        if CONDITIONS[cond](t):
            return rule
    return UNKNOWN


def resolve(spec: str, t: SourceType) -> SpType:
    """Turn a rule's type text with placeholders into a concrete SpType."""
    if "(arg0)" in spec:
        length = t.args[0] if t.args else None
        spec = spec.replace("(arg0)", f"({length if length else 'MAX'})")
    if "(bytes8)" in spec:
        bits = t.args[0] if t.args else 1
        spec = spec.replace("(bytes8)", f"({max(1, math.ceil(bits / 8))})")
    if "(enum)" in spec:
        longest = max((len(v) for v in t.values), default=0)
        spec = spec.replace("(enum)", f"({longest})" if longest else "(MAX)")
    sp = SpType.parse(spec)
    if sp.base == "STRING" and sp.length is not None and sp.length > STRING_MAX_CHARS:
        sp.length = None
    if sp.base == "BYTES" and sp.length is not None and sp.length > BYTES_MAX:
        sp.length = None
    return sp


@dataclass
class Mapped:
    type: SpType
    issue: str | None
    alternatives: list[str]


def map_type(engine: str, t: SourceType) -> Mapped:
    """Default Spanner type for a source type, the issue it raises, and the alternatives."""
    key = (engine, t.name, t.args, t.unsigned, t.values, t.array_dims)
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = _map_type(engine, t)
    # a fresh SpType each time: the converter may change it (session overrides, PG keys)
    return Mapped(
        SpType(hit.type.base, hit.type.length, hit.type.array), hit.issue, list(hit.alternatives)
    )


_CACHE: dict[tuple[object, ...], Mapped] = {}


def _map_type(engine: str, t: SourceType) -> Mapped:
    if t.array_dims:
        elem = SourceType(t.name, t.args, t.unsigned, t.values)
        inner = _map_type(engine, elem)
        if t.array_dims > 1:
            return Mapped(SpType("JSON"), "array_multidim", ["STRING(MAX)"])
        if inner.type.array or inner.type.base not in ARRAY_OK:
            return Mapped(SpType("JSON"), "array_element", ["STRING(MAX)"])
        sp = SpType(inner.type.base, inner.type.length, array=True)
        return Mapped(sp, inner.issue, ["JSON", "STRING(MAX)"])
    rule = rule_for(engine, t)
    sp = resolve(rule.default, t)
    alts = [resolve(a, t).key() for a in rule.alternatives]
    return Mapped(sp, rule.issue, [a for a in alts if a != sp.key()])
