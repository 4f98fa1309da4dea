"""Schema validation: columns present on both sides, compatible types, same nullability.

Types are compared through their comparison kinds (`types.Kind`) and this table; anything else
fails unless the pair is on the allow-list (`--allow-list 'decimal(12,2):double'`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .engines import Engine
from .errors import ConfigError
from .results import Finding, ValidationResult
from .types import Column, Kind

# (source kind, target kind) → why the pair is accepted. Same-kind pairs are accepted when the
# target is at least as wide (see `width_problem`).
COMPATIBLE: dict[tuple[Kind, Kind], str] = {
    (Kind.CHAR, Kind.STRING): "CHAR padding is not data",
    (Kind.STRING, Kind.CHAR): "values compared without trailing padding",
    (Kind.BOOL, Kind.INT): "booleans stored as 0/1 (e.g. MySQL tinyint(1))",
    (Kind.INT, Kind.BOOL): "0/1 integers as booleans",
    (Kind.INT, Kind.DECIMAL): "integers fit a decimal with enough digits",
    (Kind.UUID, Kind.STRING): "uuid as its 36-character text",
    (Kind.STRING, Kind.UUID): "text holding uuids",
    (Kind.JSON, Kind.STRING): "json kept as text",
    (Kind.STRING, Kind.JSON): "text holding json",
    (Kind.TIMESTAMP, Kind.TIMESTAMPTZ): "wall-clock time taken as UTC",
    (Kind.TIMESTAMPTZ, Kind.TIMESTAMP): "instant stored as UTC wall-clock time",
    (Kind.ARRAY, Kind.STRING): "array kept as text (JSON)",
    (Kind.STRING, Kind.ARRAY): "MySQL SET or text holding arrays",
    (Kind.ARRAY, Kind.JSON): "array kept as a JSON array",
    (Kind.JSON, Kind.ARRAY): "JSON arrays",
    (Kind.GEOMETRY, Kind.STRING): "spatial values kept as WKT",
}

TABLE_DOC = "\n".join(f"- {s.value} → {t.value}: {why}" for (s, t), why in COMPATIBLE.items())


# Spellings that mean the same type, so an allow-list can use the short names.
ALIASES = (
    ("character varying", "varchar"),
    ("double precision", "double"),
    ("timestamp without time zone", "timestamp"),
    ("timestamp with time zone", "timestamptz"),
    ("time without time zone", "time"),
    ("character", "char"),
    ("integer", "int"),
    ("numeric", "decimal"),
    ("boolean", "bool"),
)


def _spelling(native: str) -> str:
    return "".join(native.lower().split())


def _norm(native: str) -> str:
    text = " ".join(native.lower().replace(", ", ",").split())
    for long, short in ALIASES:
        text = text.replace(long, short)
    return text


def _split_allow(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch in ",\n" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def allow_list(text: str | None) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for item in _split_allow(text or ""):
        if not item.strip():
            continue
        parts = item.split(":", 1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ConfigError(
                f"allow-list entry {item.strip()!r} must look like 'source_type:target_type'"
            )
        pairs.add((_norm(parts[0]), _norm(parts[1])))
    return pairs


# Severities of a type finding: "error" fails the validation (the target cannot hold every
# source value: narrowing), "warning" is reported without failing (cannot be decided from the
# types alone), "info" says why a pair is accepted.
ERROR, WARNING, INFO = "error", "warning", "info"


def _digits(n: int) -> int:
    return len(str(abs(n)))


def _int_problem(src: Column, tgt: Column) -> str | None:
    if src.int_range is None or tgt.int_range is None:
        return None
    (slo, shi), (tlo, thi) = src.int_range, tgt.int_range
    if slo < tlo or shi > thi:
        return f"integer narrowing: target holds {tlo}…{thi}, source {slo}…{shi}"
    return None


def _decimal_problem(src: Column, tgt: Column) -> str | None:
    if src.kind is Kind.DECIMAL:
        if None in (src.precision, tgt.precision):
            return None
        assert src.precision is not None and tgt.precision is not None
        s_scale, t_scale = src.scale or 0, tgt.scale or 0
        if t_scale < s_scale:
            return f"numeric narrowing: target scale {t_scale} < source scale {s_scale}"
        if tgt.precision - t_scale < src.precision - s_scale:
            return (
                f"numeric narrowing: target has {tgt.precision - t_scale} integer digits, "
                f"source {src.precision - s_scale}"
            )
        return None
    # an integer into a decimal: every value of the integer type must fit the integer digits
    if src.int_range is None or tgt.precision is None:
        return None
    need = max(_digits(v) for v in src.int_range)
    room = tgt.precision - (tgt.scale or 0)
    if room < need:
        return f"numeric narrowing: target has {room} integer digits, the integer type needs {need}"
    return None


def _float_problem(src: Column, tgt: Column) -> str | None:
    if (src.precision or 53) > (tgt.precision or 53):
        return "float narrowing: 64-bit source, 32-bit target (about 7 significant digits kept)"
    return None


def _time_problem(src: Column, tgt: Column) -> str | None:
    if src.fraction is not None and tgt.fraction is not None and tgt.fraction < src.fraction:
        return (
            f"timestamp precision narrowing: target keeps {tgt.fraction} fractional digits, "
            f"source {src.fraction}"
        )
    return None


def _string_problem(src: Column, tgt: Column) -> tuple[str, str] | None:
    if src.length is not None and tgt.length is not None and tgt.length < src.length:
        return ERROR, f"string narrowing: target length {tgt.length} < source length {src.length}"
    if src.length is None and tgt.length is not None:
        return WARNING, f"source is unbounded, target length {tgt.length}: check the longest value"
    return None


_TEMPORAL = (Kind.TIME, Kind.TIMESTAMP, Kind.TIMESTAMPTZ)


def width_problem(src: Column, tgt: Column) -> tuple[str, str] | None:
    """(severity, why) when the target type is narrower than the source type."""
    kinds = (src.kind, tgt.kind)
    problem: str | None = None
    if kinds == (Kind.INT, Kind.INT):
        problem = _int_problem(src, tgt)
    elif tgt.kind is Kind.DECIMAL and src.kind in (Kind.INT, Kind.DECIMAL):
        problem = _decimal_problem(src, tgt)
    elif kinds == (Kind.FLOAT, Kind.FLOAT):
        problem = _float_problem(src, tgt)
    elif src.kind in _TEMPORAL and tgt.kind in _TEMPORAL:
        problem = _time_problem(src, tgt)
    elif src.kind in (Kind.STRING, Kind.CHAR) and tgt.kind in (Kind.STRING, Kind.CHAR):
        return _string_problem(src, tgt)
    return (ERROR, problem) if problem else None


def compare_types(src: Column, tgt: Column, allowed: set[tuple[str, str]]) -> tuple[bool, str, str]:
    """(passes, severity, why)."""
    if (_norm(src.native), _norm(tgt.native)) in allowed or (
        src.kind.value,
        tgt.kind.value,
    ) in allowed:
        return True, INFO, "allow-listed"
    if src.kind is tgt.kind or (src.kind, tgt.kind) in COMPATIBLE:
        problem = width_problem(src, tgt)
        if problem:
            severity, why = problem
            return severity != ERROR, severity, why
        why = "same kind" if src.kind is tgt.kind else COMPATIBLE[(src.kind, tgt.kind)]
        return True, INFO, why
    return False, ERROR, f"{src.kind.value} is not compatible with {tgt.kind.value}"


@dataclass
class SchemaSpec:
    source_table: str
    target_table: str | None = None
    exclude: list[str] = field(default_factory=list)
    allow_list: str | None = None
    check_nullability: bool = True
    name: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)  # source column → target column
    # target column → the type a migration chose for it: checked instead of the compatibility
    # table (the conversion's own choices, e.g. SET → ARRAY<STRING(14)>, are the expectation)
    expected_types: dict[str, str] = field(default_factory=dict)


def validate_schema(spec: SchemaSpec, source: Engine, target: Engine) -> ValidationResult:
    allowed = allow_list(spec.allow_list)
    tgt_name = spec.target_table or spec.source_table
    src_cols = source.columns(spec.source_table)
    tgt_cols = target.columns(tgt_name)
    excluded = {e.lower() for e in spec.exclude}
    renamed = {k.lower(): v.lower() for k, v in spec.column_map.items()}
    expected = {k.lower(): v for k, v in spec.expected_types.items()}
    tgt_by = {c.name.lower(): c for c in tgt_cols}
    mapped = {renamed.get(c.name.lower(), c.name.lower()) for c in src_cols}
    findings: list[Finding] = []
    for col in src_cols:
        key = col.name.lower()
        if key in excluded:
            continue
        other = tgt_by.get(renamed.get(key, key))
        if other is None:
            findings.append(
                Finding(
                    "fail", None, col.name, "presence", col.native, None, "missing in target", ERROR
                )
            )
            continue
        want = expected.get(other.name.lower())
        if want is not None:
            ok = _spelling(want) == _spelling(other.native)
            severity = INFO if ok else ERROR
            why = (
                f"as converted ({want})"
                if ok
                else f"the migration chose {want}, the target has {other.native}"
            )
        else:
            ok, severity, why = compare_types(col, other, allowed)
        findings.append(
            Finding(
                "success" if ok else "fail",
                None,
                col.name,
                "type",
                col.native,
                other.native,
                why,
                severity=severity,
            )
        )
        if spec.check_nullability and col.nullable != other.nullable:
            findings.append(
                Finding(
                    "fail",
                    None,
                    col.name,
                    "nullable",
                    col.nullable,
                    other.nullable,
                    "nullability differs",
                    ERROR,
                )
            )
    for col in tgt_cols:
        if col.name.lower() not in mapped and col.name.lower() not in excluded:
            findings.append(
                Finding(
                    "fail", None, col.name, "presence", None, col.native, "missing in source", ERROR
                )
            )
    failed = sum(1 for f in findings if f.status == "fail")
    return ValidationResult(
        name=spec.name or f"schema:{spec.source_table}",
        kind="schema",
        source_table=spec.source_table,
        target_table=tgt_name,
        passed=failed == 0,
        summary={
            "columns_checked": len(src_cols),
            "failed": failed,
            "warnings": sum(1 for f in findings if f.severity == WARNING),
        },
        findings=findings,
    )
