"""Column validation: aggregates computed in each database, compared exactly in Python.

Integers and decimals are compared as `Decimal` (sums never pass through a float); averages are
sum/count computed here with 40 significant digits, so both sides round the same way. Float
columns are summed by each engine in its own order, so their sums and averages are compared with
a relative tolerance of 1e-9 (stated in the README); min/max of floats are exact.
"""

from __future__ import annotations

import decimal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import canon
from .engines import Engine, both
from .errors import ConfigError
from .plan import plan_columns
from .results import Finding, ValidationResult
from .running_query import Running
from .types import NUMERIC_KINDS, Column, Kind

AGGREGATES = ("count", "sum", "avg", "min", "max", "bit_xor", "count_distinct", "std")
FLOAT_RELATIVE_TOLERANCE = Decimal("1e-9")
_CTX = decimal.Context(prec=40)

_UNORDERED = {Kind.JSON, Kind.OTHER, Kind.ARRAY, Kind.GEOMETRY}
_ELIGIBLE: dict[str, frozenset[Kind] | None] = {
    "count": None,  # every column
    "count_distinct": frozenset(set(Kind) - _UNORDERED),
    "sum": frozenset(NUMERIC_KINDS | {Kind.BOOL}),
    "avg": frozenset(NUMERIC_KINDS | {Kind.BOOL}),
    "std": frozenset(NUMERIC_KINDS),
    "bit_xor": frozenset({Kind.INT}),
    "min": frozenset(set(Kind) - _UNORDERED - {Kind.BINARY}),
    "max": frozenset(set(Kind) - _UNORDERED - {Kind.BINARY}),
}


@dataclass
class ColumnSpec:
    source_table: str | None = None
    target_table: str | None = None
    source_query: str | None = None
    target_query: str | None = None
    aggregates: dict[str, list[str]] = field(default_factory=dict)  # agg → columns or ["*"]
    group_by: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    source_filter: str | None = None
    target_filter: str | None = None
    threshold: float = 0.0  # allowed difference, percent
    name: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)  # source column → target column


@dataclass(frozen=True)
class _Check:
    agg: str
    column: str | None  # None for count(*)
    src: Column | None
    tgt: Column | None

    @property
    def float32(self) -> bool:
        """A 32-bit float on either side: extremes compare as 32-bit values."""
        return any(c is not None and c.float32 for c in (self.src, self.tgt))

    @property
    def rtrim(self) -> bool:
        """CHAR padding is not data when either side is CHAR (as in row validation)."""
        return any(c is not None and c.kind is Kind.CHAR for c in (self.src, self.tgt))


def _from(engine: Engine, table: str | None, query: str | None) -> str:
    return f"({query}) dvt_q" if query is not None else engine.table_ref(table or "")


class ColumnValidator:
    def __init__(self, spec: ColumnSpec, source: Engine, target: Engine) -> None:
        self._group_rtrim: set[str] = set()
        self.spec = spec
        self.source = source
        self.target = target

    def _columns(self) -> tuple[list[Column], list[Column]]:
        s = self.spec
        if s.source_query is not None:
            if s.target_query is None:
                raise ConfigError(
                    "a custom-query validation needs both a source and a target query"
                )
            return both(
                lambda: self.source.query_columns(s.source_query or ""),
                lambda: self.target.query_columns(s.target_query or ""),
            )
        if not s.source_table:
            raise ConfigError("give a table (or a source and a target query) to validate")
        return both(
            lambda: self.source.columns(s.source_table or ""),
            lambda: self.target.columns(s.target_table or s.source_table or ""),
        )

    def _checks(self, src_cols: list[Column], tgt_cols: list[Column]) -> list[_Check]:
        plan = plan_columns(
            src_cols,
            tgt_cols,
            exclude=self.spec.exclude + self.spec.group_by,
            column_map=self.spec.column_map,
        )
        pairs = {p.name.lower(): p for p in plan.pairs}
        aggs = self.spec.aggregates or {"count": ["*"]}
        checks: list[_Check] = []
        for agg, cols in aggs.items():
            if agg not in AGGREGATES:
                raise ConfigError(f"unknown aggregate {agg!r}; use {', '.join(AGGREGATES)}")
            if agg == "count" and "*" in cols:
                checks.append(_Check("count", None, None, None))
            eligible = _ELIGIBLE[agg]
            names = [p.name for p in plan.pairs] if "*" in cols else cols
            for name in names:
                pair = pairs.get(name.lower())
                if pair is None:
                    raise ConfigError(
                        f"column {name!r} is not on both sides; available: "
                        + ", ".join(p.name for p in plan.pairs)
                    )
                ok = eligible is None or (
                    pair.source.kind in eligible and pair.target.kind in eligible
                )
                if not ok:
                    if "*" in cols:
                        continue
                    raise ConfigError(
                        f"{agg} does not apply to column {name!r} "
                        f"({pair.source.native} / {pair.target.native})"
                    )
                checks.append(_Check(agg, pair.name, pair.source, pair.target))
        return checks

    @staticmethod
    def _agg_sql(engine: Engine, check: _Check, col: Column | None) -> list[str]:
        d = engine.dialect
        if check.agg == "count" and col is None:
            return [d.agg_count_star()]
        assert col is not None
        q = d.quote(col.name)
        if check.float32 and not col.float32 and col.kind in NUMERIC_KINDS:
            q = d.round_float32(q)  # the other side holds 32-bit floats: compare as such
        if check.agg == "count":
            return [d.agg_count(q)]
        if check.agg == "count_distinct":
            return [d.agg_count_distinct(q, col.kind)]
        if check.agg == "sum":
            return [d.agg_sum(q, col.kind, col.scale)]
        if check.agg == "avg":
            return [d.agg_sum(q, col.kind, col.scale), d.agg_count(q)]
        if check.agg in ("min", "max"):
            return [d.agg_minmax(check.agg.upper(), q, col.kind)]
        if check.agg == "std":
            return [d.agg_stddev(q)]
        return [d.agg_bit_xor(q)]

    def _keyed(self, rows: list[Any], groups: list[Column]) -> dict[tuple[Any, ...], list[Any]]:
        """Aggregate rows by their group key (one row, key (), without groups)."""
        out: dict[tuple[Any, ...], list[Any]] = {}
        for row in rows:
            key = tuple(
                _group_text(c, v, c.name.lower() in self._group_rtrim)
                for c, v in zip(groups, row[: len(groups)], strict=True)
            )
            out[key] = list(row[len(groups) :])
        return out

    def sql(
        self,
        engine: Engine,
        table: str | None,
        query: str | None,
        cols: list[Column],
        checks: list[_Check],
        is_source: bool,
        where: str | None,
    ) -> tuple[str, list[Column]]:
        """The aggregate query for one side, and its group-by columns."""
        d = engine.dialect
        by_name = {c.name.lower(): c for c in cols}
        groups = []
        for g in self.spec.group_by:
            col = by_name.get(g.lower())
            if col is None:
                raise ConfigError(f"group-by column {g!r} is not in {table or 'the query'}")
            groups.append(col)
        group_exprs = [d.key_order(d.quote(c.name), c.kind) for c in groups]
        agg_exprs: list[str] = []
        for ch in checks:
            agg_exprs += self._agg_sql(engine, ch, ch.src if is_source else ch.tgt)
        sql = f"SELECT {', '.join(group_exprs + agg_exprs)} FROM {_from(engine, table, query)}"
        if where:
            sql += f" WHERE {where}"
        if group_exprs:
            sql += " GROUP BY " + ", ".join(group_exprs)
        return sql, groups

    def dry_run(self) -> tuple[str, str]:
        """The query each side would run (only the column types are read)."""
        s = self.spec
        src_cols, tgt_cols = self._columns()
        checks = self._checks(src_cols, tgt_cols)
        tgt_filter = s.target_filter if s.target_filter is not None else s.source_filter
        src_sql, _ = self.sql(
            self.source, s.source_table, s.source_query, src_cols, checks, True, s.source_filter
        )
        tgt_sql, _ = self.sql(
            self.target,
            s.target_table or s.source_table,
            s.target_query,
            tgt_cols,
            checks,
            False,
            tgt_filter,
        )
        return src_sql, tgt_sql

    def _side(self, is_source: bool) -> tuple[Engine, str | None, str | None, str | None]:
        """(engine, table, query, filter) of one side."""
        s = self.spec
        if is_source:
            return self.source, s.source_table, s.source_query, s.source_filter
        tgt_filter = s.target_filter if s.target_filter is not None else s.source_filter
        return self.target, s.target_table or s.source_table, s.target_query, tgt_filter

    def _columns_and_guess(self, is_source: bool) -> tuple[list[Column], Running | None]:
        """One side's columns, and its aggregate query already started on the guess that the
        other side has the same columns (the usual case after a migration). The guess is used
        only if it is exactly the query both sides' columns give; otherwise it is cancelled."""
        engine, table, _, where = self._side(is_source)
        cols = engine.columns(table or "")
        if not engine.can_interrupt:
            return cols, None
        try:
            guess = self._checks(cols, cols)
        except ConfigError:
            return cols, None  # the real plan will say what is wrong
        sql, _ = self.sql(engine, table, None, cols, guess, is_source, where)
        return cols, engine.start_query(sql)

    def _started(self) -> tuple[list[Column], list[Column], list[Running | None]]:
        """Both sides' columns and their guessed queries (all cancelled if a side fails)."""
        if self.spec.source_query is not None:
            src_cols, tgt_cols = self._columns()
            return src_cols, tgt_cols, [None, None]
        if not self.spec.source_table:
            raise ConfigError("give a table (or a source and a target query) to validate")
        with ThreadPoolExecutor(max_workers=2) as pool:
            sides = [pool.submit(self._columns_and_guess, flag) for flag in (True, False)]
            done = [f.exception() is None for f in sides]
            if not all(done):
                for f, ok in zip(sides, done, strict=True):
                    guess = f.result()[1] if ok else None
                    if guess is not None:
                        guess.cancel()
                sides[done.index(False)].result()  # raises that side's error
        (src_cols, src_guess), (tgt_cols, tgt_guess) = (f.result() for f in sides)
        return src_cols, tgt_cols, [src_guess, tgt_guess]

    def _aggregate(
        self, is_source: bool, cols: list[Column], checks: list[_Check], guess: Running | None
    ) -> dict[tuple[Any, ...], list[Any]]:
        engine, table, query, where = self._side(is_source)
        sql, groups = self.sql(engine, table, query, cols, checks, is_source, where)
        if guess is not None and guess.sql != sql:
            guess.cancel()
            guess = None
        rows = guess.result() if guess is not None else engine.query(sql)
        return self._keyed(rows, groups)

    def run(self) -> ValidationResult:
        s = self.spec
        src_cols, tgt_cols, guesses = self._started()
        try:
            checks = self._checks(src_cols, tgt_cols)
            self._group_rtrim = {
                c.name.lower() for c in src_cols + tgt_cols if c.kind is Kind.CHAR
            } & {g.lower() for g in s.group_by}
            src_rows, tgt_rows = both(
                lambda: self._aggregate(True, src_cols, checks, guesses[0]),
                lambda: self._aggregate(False, tgt_cols, checks, guesses[1]),
            )
        except BaseException:
            for guess in guesses:
                if guess is not None:
                    guess.cancel()
            raise
        findings: list[Finding] = []
        failed = 0
        group_names = list(s.group_by)
        for gkey in sorted(set(src_rows) | set(tgt_rows), key=lambda k: tuple(str(x) for x in k)):
            keyd = dict(zip(group_names, gkey, strict=True)) if group_names else None
            a, b = src_rows.get(gkey), tgt_rows.get(gkey)
            if a is None or b is None:
                failed += 1
                findings.append(Finding("missing" if b is None else "extra", keyd, check="group"))
                continue
            ia = ib = 0
            for ch in checks:
                width = 2 if ch.agg == "avg" else 1
                sv = _value(ch, ch.src, a[ia : ia + width])
                tv = _value(ch, ch.tgt, b[ib : ib + width])
                if ch.float32 and ch.agg in ("min", "max"):
                    sv, tv = _as_float32(sv), _as_float32(tv)
                ia += width
                ib += width
                ok, diff = compare(sv, tv, s.threshold, _is_float(ch))
                failed += 0 if ok else 1
                findings.append(
                    Finding(
                        "success" if ok else "fail",
                        keyd,
                        column=ch.column or "*",
                        check=ch.agg,
                        source=_show(sv),
                        target=_show(tv),
                        difference=diff,
                    )
                )
        src_label = s.source_table or "(custom query)"
        return ValidationResult(
            name=s.name or f"column:{src_label}",
            kind="custom-query-column" if s.source_query else "column",
            source_table=src_label,
            target_table=s.target_table or s.source_table or "(custom query)",
            passed=failed == 0,
            summary={
                "checks": len(findings),
                "failed": failed,
                "groups": len(set(src_rows) | set(tgt_rows)) if group_names else None,
                "threshold_pct": s.threshold,
            },
            findings=findings,
        )


def _as_float32(value: Any) -> Any:
    if not isinstance(value, Decimal) or not value.is_finite():
        return value
    return Decimal(repr(canon.round32(float(value))))


def _is_float(ch: _Check) -> bool:
    if ch.agg == "std":
        return True  # every engine computes it in double precision, by its own algorithm
    return ch.agg in ("sum", "avg") and any(
        c is not None and c.kind is Kind.FLOAT for c in (ch.src, ch.tgt)
    )


def _group_text(col: Column, value: Any, rtrim: bool) -> Any:
    text_kind = col.kind in (Kind.STRING, Kind.CHAR)
    if isinstance(value, (bytes, bytearray)) and text_kind:
        value = bytes(value).decode("utf-8")
    return canon.canonical(col.kind, value, col.scale, rtrim=rtrim and text_kind)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _value(ch: _Check, col: Column | None, raw: list[Any]) -> Any:
    """A comparable Python value for one aggregate result."""
    v = raw[0]
    if ch.agg in ("count", "count_distinct"):
        return int(v or 0)
    if ch.agg == "bit_xor":
        return None if v is None else int(v) & 0xFFFFFFFFFFFFFFFF
    if ch.agg in ("sum", "std"):
        return None if v is None else _decimal(v)
    if ch.agg == "avg":
        total, n = raw
        if total is None or not n:
            return None
        return _CTX.divide(_decimal(total), Decimal(int(n)))
    assert col is not None
    if v is None:
        return None
    if col.kind in NUMERIC_KINDS or col.kind is Kind.BOOL:
        return _decimal(v)
    if isinstance(v, (bytes, bytearray)) and col.kind in (Kind.STRING, Kind.CHAR):
        v = bytes(v).decode("utf-8")
    text_kind = col.kind in (Kind.STRING, Kind.CHAR)
    return canon.canonical(col.kind, v, col.scale, rtrim=ch.rtrim and text_kind)


def _show(value: Any) -> Any:
    """Decimals as exact text, every digit (two different sums never look alike; JSON gets a
    string, not a rounded number); counts stay integers, exact in every format."""
    if isinstance(value, Decimal):
        return canon.decimal_text(value)
    return value


def compare(a: Any, b: Any, threshold_pct: float, is_float: bool) -> tuple[bool, str | None]:
    """(passed, difference as text). Exact unless a threshold or float tolerance applies."""
    if a is None or b is None:
        return a is None and b is None, None if a is None and b is None else "one side is NULL"
    if isinstance(a, (Decimal, int)) and isinstance(b, (Decimal, int)):
        da, db = Decimal(a), Decimal(b)
        delta = db - da
        if delta == 0:
            return True, None
        pct = (abs(delta) / abs(da) * 100) if da != 0 else Decimal("Infinity")
        allowed = Decimal(str(threshold_pct))
        if is_float:
            scale = max(abs(da), abs(db))
            if abs(delta) <= scale * FLOAT_RELATIVE_TOLERANCE:
                return True, canon.decimal_text(delta)
        return pct <= allowed and allowed > 0, f"{canon.decimal_text(delta)} ({pct:.6g}%)"
    return a == b, None if a == b else "differs"
