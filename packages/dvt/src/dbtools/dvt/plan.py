"""How each pair of columns is rendered on each side so that equal data gives equal text.

Pure logic: from the two sides' column types (and user options) to one `Render` per side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError
from .types import NUMERIC_KINDS, TEXT_KINDS, Column, Kind

ESCAPED_KINDS = frozenset(
    {Kind.STRING, Kind.CHAR, Kind.JSON, Kind.OTHER, Kind.UUID, Kind.ARRAY, Kind.GEOMETRY}
)


@dataclass(frozen=True)
class Render:
    """What a dialect must do to turn a column into canonical text."""

    kind: Kind
    scale: int | None = None
    rtrim: bool = False  # drop trailing spaces (CHAR padding on either side)
    upper: bool = False  # case-insensitive comparison (or uuid against text)
    boolmap: bool = False  # text column compared with a boolean column
    as_float: bool = False  # exact numeric compared with a float column
    # the other side is a 32-bit float: this (wider) value is rounded to 32 bits first, so both
    # compare as 32-bit values
    float32: bool = False
    # Values whose canonical text is finished in Python (see canon.FINISHERS): the SQL sends
    # the value's text (or the driver's array), and this names how to finish it.
    finish: str | None = None
    element: Kind | None = None  # element kind of an array comparison

    @property
    def escaped(self) -> bool:
        """Text-like canonical forms can hold the separator and are escaped in the row text."""
        return self.kind in ESCAPED_KINDS or self.boolmap or self.finish is not None


@dataclass(frozen=True)
class ColumnPair:
    source: Column
    target: Column
    source_render: Render
    target_render: Render

    @property
    def name(self) -> str:
        return self.source.name


def _finish(col: Column, other: Column) -> tuple[str | None, Kind | None]:
    """How a column's value is finished in Python when the pair needs it (arrays, geometry,
    JSON), and the array element kind."""
    kinds = {col.kind, other.kind}
    sets = {c.native.startswith("set(") for c in (col, other)}
    if Kind.ARRAY in kinds or (True in sets and Kind.JSON in kinds):
        # MySQL SET against an array, or against a JSON array
        element = col.element or other.element
        if col.kind is Kind.ARRAY:
            return "array_list", element
        if col.native.startswith("set(") or col.native == "set":
            return "array_csv", element  # MySQL SET: members in definition order, comma-joined
        return "array_json", element
    if Kind.GEOMETRY in kinds:
        return ("wkb" if col.kind is Kind.GEOMETRY else "wkt"), None
    if Kind.JSON in kinds:
        return "json", None
    return None, None


def plan_pair(src: Column, tgt: Column, case_insensitive: bool = False) -> ColumnPair:
    kinds = {src.kind, tgt.kind}
    float32 = (src.float32 or tgt.float32) and kinds <= (NUMERIC_KINDS | {Kind.BOOL})
    # arrays of 32-bit floats on either side: every element of both compared as a 32-bit float
    # (rounding a 32-bit value again changes nothing, so both sides are rounded)
    elements32 = (src.element_float32 or tgt.element_float32) and Kind.ARRAY in kinds
    as_float = Kind.FLOAT in kinds and kinds <= (NUMERIC_KINDS | {Kind.BOOL})
    rtrim = Kind.CHAR in kinds
    bool_vs_text = Kind.BOOL in kinds and bool(kinds & TEXT_KINDS)
    uuid_vs_text = Kind.UUID in kinds and bool(kinds & TEXT_KINDS)

    def render(col: Column, other: Column) -> Render:
        is_text = col.kind in TEXT_KINDS
        finish, element = _finish(col, other)
        return Render(
            kind=col.kind,
            scale=col.scale,
            rtrim=rtrim and is_text,
            upper=(case_insensitive and (is_text or col.kind is Kind.UUID))
            or (uuid_vs_text and (is_text or col.kind is Kind.UUID)),
            boolmap=bool_vs_text and is_text,
            as_float=as_float and col.kind is not Kind.FLOAT,
            float32=(float32 and not col.float32) or elements32,
            finish=finish,
            element=element,
        )

    return ColumnPair(src, tgt, render(src, tgt), render(tgt, src))


def _index(columns: list[Column], case_fold: bool = True) -> dict[str, Column]:
    return {(c.name.lower() if case_fold else c.name): c for c in columns}


@dataclass
class PairPlan:
    pairs: list[ColumnPair] = field(default_factory=list)
    source_only: list[str] = field(default_factory=list)
    target_only: list[str] = field(default_factory=list)


def plan_columns(
    source: list[Column],
    target: list[Column],
    *,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    case_insensitive: bool = False,
    column_map: dict[str, str] | None = None,
) -> PairPlan:
    """Match columns by name (case-insensitively, as identifiers usually migrate), through
    `column_map` (source name → target name) where a migration renamed them. `include` and
    `exclude` name source columns (an excluded name also leaves out a target column of that
    name)."""
    tgt_by_name = _index(target)
    src_by_name = _index(source)
    renamed = {s.lower(): t.lower() for s, t in (column_map or {}).items()}
    wanted = [c.lower() for c in include] if include else None
    excluded = {c.lower() for c in exclude or []}
    plan = PairPlan()
    if wanted is not None:
        for name in wanted:
            if name not in src_by_name:
                raise ConfigError(
                    f"column {name!r} is not in the source; available: "
                    + ", ".join(c.name for c in source)
                )
            if renamed.get(name, name) not in tgt_by_name:
                raise ConfigError(
                    f"column {renamed.get(name, name)!r} is not in the target; available: "
                    + ", ".join(c.name for c in target)
                )
    matched: set[str] = set()
    for col in source:
        key = col.name.lower()
        if key in excluded or (wanted is not None and key not in wanted):
            matched.add(renamed.get(key, key))
            continue
        other = tgt_by_name.get(renamed.get(key, key))
        if other is None:
            plan.source_only.append(col.name)
            continue
        matched.add(other.name.lower())
        plan.pairs.append(plan_pair(col, other, case_insensitive))
    for col in target:
        key = col.name.lower()
        if key not in matched and key not in excluded and wanted is None:
            plan.target_only.append(col.name)
    return plan
