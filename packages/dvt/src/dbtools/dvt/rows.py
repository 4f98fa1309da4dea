"""Row validation: (key, hash) streamed from both sides in key order, merged, differences explained.

Only keys and 128-bit hashes cross the network; for the keys whose hashes differ, the canonical
text of every column is fetched afterwards and the differing columns are reported.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from . import canon
from .engines import Engine, Row, both
from .errors import ConfigError, DvtError
from .merge import MergeCounts, merge_streams, normalize_key, normalize_key_value, normalizing
from .plan import ColumnPair, PairPlan, Render, plan_columns
from .results import Finding, ValidationResult
from .types import Column, Kind

MODES = ("hash", "concat", "fields")
DETAIL_BATCH = 200
AUTO_PARTITION_ROWS = 400_000  # below this, one stream per side is faster than splitting


@dataclass
class RowSpec:
    source_table: str | None = None
    target_table: str | None = None
    source_query: str | None = None
    target_query: str | None = None
    primary_keys: list[str] | None = None
    mode: str = "hash"
    fields: list[str] | None = None  # columns to hash/concat, or the comparison fields
    exclude: list[str] = field(default_factory=list)
    case_insensitive: bool = False
    source_filter: str | None = None
    target_filter: str | None = None
    random_rows: int | None = None
    partitions: int | None = None  # None: automatic
    workers: int = 4
    max_differences: int = 1000
    block_rows: int = 2000  # rows per checksum block on integer keys; 0 streams every row
    name: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)  # source column → target column

    def label(self) -> tuple[str, str]:
        src = self.source_table or "(custom query)"
        tgt = self.target_table or self.source_table or "(custom query)"
        return src, tgt


@dataclass
class _Side:
    engine: Engine
    table: str | None
    query: str | None
    columns: list[Column]
    filter: str | None

    @property
    def from_clause(self) -> str:
        if self.query is not None:
            return f"({self.query}) dvt_q"
        assert self.table is not None
        return self.engine.table_ref(self.table)


def _and(*conds: str | None) -> str:
    parts = [f"({c})" for c in conds if c]
    return (" WHERE " + " AND ".join(parts)) if parts else ""


class _Pump:
    """Runs a stream on its own thread, handing batches over through a small bounded queue."""

    _END = object()

    def __init__(self, batches: Iterator[list[Row]], depth: int = 3) -> None:
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(batches,), daemon=True)
        self._thread.start()

    def _run(self, batches: Iterator[list[Row]]) -> None:
        try:
            for batch in batches:
                while not self._stop.is_set():
                    try:
                        self._q.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._q.put(self._END)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._q.put(exc)

    def __iter__(self) -> Iterator[list[Row]]:
        try:
            while True:
                item = self._q.get()
                if item is self._END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()


def _python_positions(pairs: list[ColumnPair]) -> list[int]:
    """Value columns whose canonical text is finished in Python: JSON, arrays, geometry."""
    return [i for i, p in enumerate(pairs) if p.source_render.finish is not None]


def _finish(values: Row, positions: list[int], renders: list[Render]) -> Row:
    if not positions:
        return values
    out = list(values)
    for i in positions:
        r = renders[i]
        out[i] = canon.FINISHERS[r.finish or ""](out[i], r)
    return tuple(out)


def finishing(
    batches: Iterable[list[Row]],
    nkeys: int,
    positions: list[int],
    renders: list[Render],
    mode: str,
) -> Iterator[list[Row]]:
    """Rows fetched with every column's text: JSON, arrays and geometry finished here, then
    framed and hashed exactly as the SQL would have, so both sides end with the same
    (key, hash) form."""
    escaped = [r.escaped for r in renders]
    for batch in batches:
        done = []
        for row in batch:
            texts = list(_finish(row[nkeys:], positions, renders))
            if mode == "hash":
                tail: Row = (canon.row_hash(canon.row_text(texts, escaped)),)
            elif mode == "concat":
                tail = (canon.row_text(texts, escaped),)
            else:
                tail = tuple(texts)
            done.append(tuple(row[:nkeys]) + tail)
        yield done


@dataclass
class Prepared:
    src: _Side
    tgt: _Side
    keys: list[ColumnPair]
    plan: PairPlan
    needs_norm: bool  # key values need normalizing before they compare across engines
    json_at: list[int]  # value positions finished in Python
    src_vals: list[str]  # value expressions of the row query, per side
    tgt_vals: list[str]


class RowValidator:
    def __init__(
        self,
        spec: RowSpec,
        source: Engine,
        target: Engine,
        progress: Callable[[int], None] | None = None,
        on_total: Callable[[int | None], None] | None = None,
    ) -> None:
        if spec.mode not in MODES:
            raise ConfigError(f"unknown row mode {spec.mode!r}; use one of {', '.join(MODES)}")
        self.spec = spec
        self.source = source
        self.target = target
        self.progress = progress
        self.on_total = on_total
        self._lock = threading.Lock()
        self._diffs: list[tuple[str, Row, Row | None, Row | None]] = []
        # (positions, source renders, target renders) when values are finished in Python
        self._finish: tuple[list[int], list[Render], list[Render]] | None = None
        self._key_kinds: tuple[list[Kind], list[Kind]] = ([], [])

    # --- setup -------------------------------------------------------------------------
    def _sides(self) -> tuple[_Side, _Side]:
        s = self.spec
        if s.source_query is not None:
            if s.target_query is None:
                raise ConfigError(
                    "a custom-query validation needs both a source and a target query"
                )
            sq, tq = s.source_query, s.target_query
            src_cols, tgt_cols = both(
                lambda: self.source.query_columns(sq), lambda: self.target.query_columns(tq)
            )
        else:
            if not s.source_table:
                raise ConfigError("give a table (or a source and a target query) to validate")
            st, tt = s.source_table, s.target_table or s.source_table
            src_cols, tgt_cols = both(
                lambda: self.source.columns(st), lambda: self.target.columns(tt)
            )
        src = _Side(self.source, s.source_table, s.source_query, src_cols, s.source_filter)
        tgt = _Side(
            self.target,
            s.target_table or s.source_table,
            s.target_query,
            tgt_cols,
            s.target_filter if s.target_filter is not None else s.source_filter,
        )
        return src, tgt

    def _keys(self, src: _Side, tgt: _Side) -> list[ColumnPair]:
        names = self.spec.primary_keys
        if not names:
            if src.table is None:
                raise ConfigError("custom-query row validation needs --primary-keys")
            names = self.source.primary_key(src.table)
            if not names and tgt.table:
                # the target's key (a migration may have promoted a UNIQUE index), named as
                # the source names those columns
                back = {t.lower(): s for s, t in self.spec.column_map.items()}
                names = [back.get(n.lower(), n) for n in self.target.primary_key(tgt.table)]
            if not names:
                raise ConfigError(
                    f"table {src.table!r} has no primary key on either side; "
                    "name the key columns with --primary-keys"
                )
        plan = plan_columns(
            src.columns, tgt.columns, include=names, column_map=self.spec.column_map
        )
        return plan.pairs

    def _values(self, src: _Side, tgt: _Side, keys: list[ColumnPair]) -> PairPlan:
        key_names = [k.name for k in keys]
        exclude = list(self.spec.exclude)
        if not self.spec.fields:
            exclude += key_names
        return plan_columns(
            src.columns,
            tgt.columns,
            include=self.spec.fields,
            exclude=exclude,
            case_insensitive=self.spec.case_insensitive,
            column_map=self.spec.column_map,
        )

    # --- SQL ---------------------------------------------------------------------------
    @staticmethod
    def _value_exprs(side: _Side, pairs: list[ColumnPair], is_source: bool, mode: str) -> list[str]:
        d = side.engine.dialect
        canon = []
        for p in pairs:
            render = p.source_render if is_source else p.target_render
            col = p.source if is_source else p.target
            canon.append((d.canonical(render, d.quote(col.name)), render.escaped))
        if mode == "fields":
            return [c for c, _ in canon]
        if mode == "concat":
            return [d.row_text(canon)]
        return [d.row_hash(canon)]

    @staticmethod
    def _key_exprs(
        side: _Side, keys: list[ColumnPair], is_source: bool
    ) -> tuple[list[str], list[str]]:
        d = side.engine.dialect
        sel, order = [], []
        for k in keys:
            col = k.source if is_source else k.target
            sel.append(d.key_select(d.quote(col.name), col.kind))
            order.append(d.key_order(d.quote(col.name), col.kind))
        return sel, order

    def _select(
        self,
        side: _Side,
        keys: list[ColumnPair],
        values: list[str],
        is_source: bool,
        extra_where: str | None,
    ) -> str:
        sel, order = self._key_exprs(side, keys, is_source)
        cols = ", ".join(sel + values)
        return (
            f"SELECT {cols} FROM {side.from_clause}"
            f"{_and(side.filter, extra_where)} ORDER BY {', '.join(order)}"
        )

    @staticmethod
    def _key_in(side: _Side, keys: list[ColumnPair], is_source: bool, key_rows: list[Row]) -> str:
        d = side.engine.dialect
        cols = [
            d.key_select(
                d.quote((k.source if is_source else k.target).name),
                (k.source if is_source else k.target).kind,
            )
            for k in keys
        ]
        if len(cols) == 1:
            return f"{cols[0]} IN ({', '.join(d.literal(r[0]) for r in key_rows)})"
        ors = [
            "(" + " AND ".join(f"{c} = {d.literal(v)}" for c, v in zip(cols, r, strict=True)) + ")"
            for r in key_rows
        ]
        return " OR ".join(ors)

    # --- partitions --------------------------------------------------------------------
    def _partitions(
        self, src: _Side, tgt: _Side, keys: list[ColumnPair]
    ) -> list[tuple[str | None, str | None]]:
        s = self.spec
        count = s.partitions
        if count is None:
            est = src.engine.estimate_rows(src.table) if src.table else None
            if self.on_total:
                self.on_total(est)
            count = max(1, s.workers) if est and est >= AUTO_PARTITION_ROWS else 1
        if count <= 1:
            return [(None, None)]
        bounds = partition_bounds(src.engine, src.from_clause, src.filter, keys[0].source, count)
        preds = []
        for lo, hi in zip([None, *bounds], [*bounds, None], strict=True):
            preds.append(
                (
                    range_predicate(src.engine, keys[0].source, lo, hi),
                    range_predicate(tgt.engine, keys[0].target, lo, hi),
                )
            )
        return preds

    # --- run ---------------------------------------------------------------------------
    def _sink(self, status: str, key: Row, a: Row | None, b: Row | None) -> None:
        with self._lock:
            self._diffs.append((status, key, a, b))
            # keep memory bounded however many rows differ: only the first keys are listed
            limit = max(1, self.spec.max_differences)
            if len(self._diffs) > 2 * limit:
                self._diffs.sort(key=lambda d: d[1])
                del self._diffs[limit:]

    def _merge(self, src_sql: str, tgt_sql: str, nkeys: int, needs_norm: bool) -> MergeCounts:
        a: Any = _Pump(self.source.stream(src_sql))
        b: Any = _Pump(self.target.stream(tgt_sql))
        if needs_norm:
            a, b = normalizing(a, self._key_kinds[0]), normalizing(b, self._key_kinds[1])
        if self._finish is not None:
            positions, src_r, tgt_r = self._finish
            a = finishing(a, nkeys, positions, src_r, self.spec.mode)
            b = finishing(b, nkeys, positions, tgt_r, self.spec.mode)
        try:
            return merge_streams(a, b, nkeys, self._sink, self.progress)
        except TypeError as exc:
            raise DvtError(
                f"the key columns do not compare across the two sides ({exc}); "
                "check that --primary-keys name columns of matching types"
            ) from exc

    def dry_run(self) -> list[tuple[str, str, str]]:
        """(what, source SQL, target SQL) this validation would run; only the column types and
        keys are read. With an integer first key, per-block checksums run first and the row
        query runs only on the key ranges whose blocks differ."""
        src, tgt = self._sides()
        keys = self._keys(src, tgt)
        plan = self._values(src, tgt, keys)
        out = []
        python_at = _python_positions(plan.pairs)
        mode = "fields" if python_at else self.spec.mode
        if self._use_blocks(keys) and not python_at:
            sh = self._value_exprs(src, keys + plan.pairs, True, "hash")[0]
            th = self._value_exprs(tgt, keys + plan.pairs, False, "hash")[0]
            sd, td = src.engine.dialect, tgt.engine.dialect
            ks, kt = sd.quote(keys[0].source.name), td.quote(keys[0].target.name)
            out.append(
                (
                    "checksum blocks (LO and WIDTH from MIN/MAX of the key and the row count)",
                    f"SELECT {sd.int_div(f'{ks} - LO', 'WIDTH')}, COUNT(*), SUM({sd.hex_to_int48(sh)}) "
                    f"FROM {src.from_clause}{_and(src.filter)} GROUP BY 1 ORDER BY 1",
                    f"SELECT {td.int_div(f'{kt} - LO', 'WIDTH')}, COUNT(*), SUM({td.hex_to_int48(th)}) "
                    f"FROM {tgt.from_clause}{_and(tgt.filter)} GROUP BY 1 ORDER BY 1",
                )
            )
        out.append(
            (
                "rows in key order" + (" (values finished in Python)" if python_at else ""),
                self._select(src, keys, self._value_exprs(src, plan.pairs, True, mode), True, None),
                self._select(
                    tgt, keys, self._value_exprs(tgt, plan.pairs, False, mode), False, None
                ),
            )
        )
        return out

    def prepare(self) -> Prepared:
        """Everything a validation decides before it reads a row (both sides' columns, keys,
        value expressions); also what a distributed run's workers need to check key ranges."""
        s = self.spec
        src, tgt = self._sides()
        keys = self._keys(src, tgt)
        plan = self._values(src, tgt, keys)
        self._key_kinds = ([k.source.kind for k in keys], [k.target.kind for k in keys])
        needs_norm = any(
            c.kind
            in (
                Kind.TIMESTAMPTZ,
                Kind.TIMESTAMP,
                Kind.DATE,
                Kind.TIME,
                Kind.BINARY,
                Kind.BOOL,
                Kind.UUID,
            )
            for k in keys
            for c in (k.source, k.target)
        )
        json_at = _python_positions(plan.pairs)
        sql_mode = s.mode
        if json_at:
            # JSON, arrays and geometry cannot be canonicalized in SQL alike on every engine:
            # fetch each column's text and frame/hash in Python (no checksum blocks then).
            self._finish = (
                json_at,
                [p.source_render for p in plan.pairs],
                [p.target_render for p in plan.pairs],
            )
            sql_mode = "fields"
        return Prepared(
            src,
            tgt,
            keys,
            plan,
            needs_norm,
            json_at,
            self._value_exprs(src, plan.pairs, True, sql_mode),
            self._value_exprs(tgt, plan.pairs, False, sql_mode),
        )

    def run(self) -> ValidationResult:
        s = self.spec
        p = self.prepare()
        src, tgt, keys, plan, needs_norm, json_at = (
            p.src,
            p.tgt,
            p.keys,
            p.plan,
            p.needs_norm,
            p.json_at,
        )
        nkeys = len(keys)
        src_vals, tgt_vals = p.src_vals, p.tgt_vals

        if s.random_rows:
            preds = self._random_predicates(src, tgt, keys, s.random_rows)
        else:
            preds = self._partitions(src, tgt, keys)
        jobs = [
            (
                self._select(src, keys, src_vals, True, sp),
                self._select(tgt, keys, tgt_vals, False, tp),
            )
            for sp, tp in preds
        ]
        if self._use_blocks(keys) and not json_at:
            # The key is part of each block's checksum: otherwise a missing row and an extra row
            # with the same content in one block would cancel out.
            src_hash = self._value_exprs(src, keys + plan.pairs, True, "hash")[0]
            tgt_hash = self._value_exprs(tgt, keys + plan.pairs, False, "hash")[0]
            counts = self._run_blocks(src, tgt, keys, src_hash, tgt_hash, nkeys, needs_norm)
            return self._result(src, tgt, keys, plan, counts)
        counts = MergeCounts()
        if len(jobs) == 1:
            counts = self._merge(jobs[0][0], jobs[0][1], nkeys, needs_norm)
        else:
            with ThreadPoolExecutor(max_workers=max(1, s.workers)) as pool:
                for part in pool.map(lambda j: self._merge(j[0], j[1], nkeys, needs_norm), jobs):
                    counts.add(part)
        return self._result(src, tgt, keys, plan, counts)

    # --- checksum blocks ---------------------------------------------------------------
    def _use_blocks(self, keys: list[ColumnPair]) -> bool:
        s = self.spec
        return (
            s.mode == "hash"
            and s.block_rows > 0
            and not s.random_rows
            and s.partitions in (None, 1)
            and keys[0].source.kind is Kind.INT
            and keys[0].target.kind is Kind.INT
        )

    def _run_blocks(
        self,
        src: _Side,
        tgt: _Side,
        keys: list[ColumnPair],
        src_hash: str,
        tgt_hash: str,
        nkeys: int,
        needs_norm: bool,
    ) -> MergeCounts:
        """Compare (count, sum of hash prefixes) per block of the first integer key inside each
        database; only blocks that differ are streamed row by row and merged."""
        s = self.spec
        k_src, k_tgt = keys[0].source, keys[0].target

        def bounds(side: _Side, col: Column) -> tuple[Any, Any]:
            q = side.engine.dialect.quote(col.name)
            return side.engine.query(
                f"SELECT MIN({q}), MAX({q}) FROM {side.from_clause}{_and(side.filter)}"
            )[0]

        with ThreadPoolExecutor(max_workers=2) as pool:
            fs, ft = pool.submit(bounds, src, k_src), pool.submit(bounds, tgt, k_tgt)
            (smin, smax), (tmin, tmax) = fs.result(), ft.result()
        lows = [int(v) for v in (smin, tmin) if v is not None]
        highs = [int(v) for v in (smax, tmax) if v is not None]
        if not lows:
            return MergeCounts()
        lo, hi = min(lows), max(highs)
        est = src.engine.estimate_rows(src.table) if src.table else None
        if not est:
            # no planner estimate (queries, SQLite, DuckDB, Spanner): count, so that sparse keys
            # do not turn into one block per row
            est = int(
                src.engine.query(f"SELECT COUNT(*) FROM {src.from_clause}{_and(src.filter)}")[0][0]
            )
        if self.on_total:
            self.on_total(est)
        span = hi - lo + 1
        n_blocks = max(1, (est or span) // s.block_rows)
        width = max(1, -(-span // n_blocks))

        def block_sql(side: _Side, col: Column, hash_expr: str) -> str:
            d = side.engine.dialect
            blk = d.int_div(f"{d.quote(col.name)} - {lo}", width)
            return (
                f"SELECT {blk}, COUNT(*), SUM({d.hex_to_int48(hash_expr)}) "
                f"FROM {side.from_clause}{_and(side.filter)} GROUP BY 1 ORDER BY 1"
            )

        with ThreadPoolExecutor(max_workers=2) as pool:
            qa = pool.submit(self.source.query, block_sql(src, k_src, src_hash))
            qb = pool.submit(self.target.query, block_sql(tgt, k_tgt, tgt_hash))
            a = {int(k): (int(c), int(h or 0)) for k, c, h in qa.result()}
            b = {int(k): (int(c), int(h or 0)) for k, c, h in qb.result()}
        counts = MergeCounts(
            source_rows=sum(c for c, _ in a.values()), target_rows=sum(c for c, _ in b.values())
        )
        bad = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        counts.matched = sum(c for k, (c, _) in a.items() if a.get(k) == b.get(k))
        if self.progress:
            self.progress(counts.matched)
        ranges: list[tuple[int, int]] = []
        for blk in bad:
            start, end = lo + blk * width, lo + (blk + 1) * width
            if ranges and ranges[-1][1] == start:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((start, end))
        jobs = []
        for i in range(0, len(ranges), 50):
            chunk = ranges[i : i + 50]
            preds = []
            for side, col in ((src, k_src), (tgt, k_tgt)):
                q = side.engine.dialect.quote(col.name)
                preds.append(" OR ".join(f"({q} >= {x} AND {q} < {y})" for x, y in chunk))
            jobs.append(
                (
                    self._select(src, keys, [src_hash], True, preds[0]),
                    self._select(tgt, keys, [tgt_hash], False, preds[1]),
                )
            )
        with ThreadPoolExecutor(max_workers=max(1, s.workers)) as pool:
            for part in pool.map(lambda j: self._merge(j[0], j[1], nkeys, needs_norm), jobs):
                counts.matched += part.matched
                counts.mismatched += part.mismatched
                counts.missing += part.missing
                counts.extra += part.extra
        # Every row must be accounted for exactly once; anything else means a database computed
        # the blocks differently from what was asked, and the result cannot be trusted.
        if (
            counts.matched + counts.mismatched + counts.missing != counts.source_rows
            or counts.matched + counts.mismatched + counts.extra != counts.target_rows
        ):
            raise DvtError(
                f"block checksums did not account for every row ({counts}); "
                "rerun with --block-rows 0 to compare row by row"
            )
        return counts

    def _random_predicates(
        self, src: _Side, tgt: _Side, keys: list[ColumnPair], n: int
    ) -> list[tuple[str | None, str | None]]:
        sel, _ = self._key_exprs(src, keys, True)
        sql = (
            f"SELECT {', '.join(sel)} FROM {src.from_clause}{_and(src.filter)} "
            + src.engine.dialect.limit_random(n)
        )
        kinds = [k.source.kind for k in keys]
        rows = [normalize_key(r, kinds) for r in self.source.query(sql)]
        if not rows:
            return [("1 = 0", "1 = 0")]
        rows.sort()
        preds: list[tuple[str | None, str | None]] = []
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            preds.append(
                (self._key_in(src, keys, True, chunk), self._key_in(tgt, keys, False, chunk))
            )
        return preds

    def _result(
        self,
        src: _Side,
        tgt: _Side,
        keys: list[ColumnPair],
        plan: PairPlan,
        counts: MergeCounts,
    ) -> ValidationResult:
        s = self.spec
        src_label, tgt_label = s.label()
        key_names = [k.name for k in keys]
        diffs = sorted(self._diffs, key=lambda d: d[1])
        listed = diffs[: s.max_differences]
        not_listed = counts.mismatched + counts.missing + counts.extra - len(listed)
        findings: list[Finding] = []
        mismatched = [d for d in listed if d[0] == "mismatch"]
        details = self._explain_mismatches(src, tgt, keys, plan, [d[1] for d in mismatched])
        for status, key, a, b in listed:
            keyd = dict(zip(key_names, key, strict=True))
            if status == "mismatch":
                cols = details.get(key) or []
                if not cols:
                    findings.append(Finding("mismatch", keyd, column="(row)", source=a, target=b))
                for col, sv, tv in cols:
                    findings.append(Finding("mismatch", keyd, column=col, source=sv, target=tv))
            else:
                findings.append(Finding(status, keyd))
        result = ValidationResult(
            name=s.name or f"row:{src_label}",
            kind="custom-query-row" if s.source_query else "row",
            source_table=src_label,
            target_table=tgt_label,
            passed=counts.mismatched == 0 and counts.missing == 0 and counts.extra == 0,
            summary={
                "source_rows": counts.source_rows,
                "target_rows": counts.target_rows,
                "matched": counts.matched,
                "mismatched": counts.mismatched,
                "missing_in_target": counts.missing,
                "extra_in_target": counts.extra,
                "primary_keys": key_names,
                "compared_columns": [p.name for p in plan.pairs],
                "mode": s.mode,
                # the split asked for (None: automatic), not how this run executed it, so
                # that every runner reports the same result for the same data and settings
                "partitions": s.partitions,
            },
            findings=findings,
            truncated=max(0, not_listed),
        )
        if s.random_rows:
            result.summary["random_rows"] = s.random_rows
        for name in plan.source_only:
            result.warnings.append(f"column {name!r} exists only in the source: not compared")
        for name in plan.target_only:
            result.warnings.append(f"column {name!r} exists only in the target: not compared")
        return result

    def _explain_mismatches(
        self, src: _Side, tgt: _Side, keys: list[ColumnPair], plan: PairPlan, key_rows: list[Row]
    ) -> dict[Row, list[tuple[str, Any, Any]]]:
        """Differing columns with both canonical values, for the listed mismatched keys."""
        out: dict[Row, list[tuple[str, Any, Any]]] = {}
        if not key_rows or not plan.pairs:
            return out
        nkeys = len(keys)
        src_exprs = self._value_exprs(src, plan.pairs, True, "fields")
        tgt_exprs = self._value_exprs(tgt, plan.pairs, False, "fields")
        for i in range(0, len(key_rows), DETAIL_BATCH):
            chunk = key_rows[i : i + DETAIL_BATCH]
            sq = self._select(src, keys, src_exprs, True, self._key_in(src, keys, True, chunk))
            tq = self._select(tgt, keys, tgt_exprs, False, self._key_in(tgt, keys, False, chunk))

            def fetch(engine: Engine, sql: str, kinds: list[Kind]) -> dict[Row, Row]:
                return {normalize_key(r[:nkeys], kinds): r[nkeys:] for r in engine.query(sql)}

            srows = fetch(self.source, sq, [k.source.kind for k in keys])
            trows = fetch(self.target, tq, [k.target.kind for k in keys])
            at = _python_positions(plan.pairs)
            src_r = [p.source_render for p in plan.pairs]
            tgt_r = [p.target_render for p in plan.pairs]
            for key in chunk:
                a, b = srows.get(key), trows.get(key)
                if a is None or b is None:
                    continue
                a, b = _finish(a, at, src_r), _finish(b, at, tgt_r)
                out[key] = [
                    (p.name, sv, tv) for p, sv, tv in zip(plan.pairs, a, b, strict=True) if sv != tv
                ]
        return out


def partition_bounds(
    engine: Engine, from_clause: str, where: str | None, key: Column, count: int
) -> list[Any]:
    """count-1 split points on the first key column, from the source's actual key values."""
    d = engine.dialect
    col = d.quote(key.name)
    if key.kind is Kind.INT:
        row = engine.query(f"SELECT MIN({col}), MAX({col}) FROM {from_clause}{_and(where)}")[0]
        lo, hi = row
        if lo is None or lo == hi:
            return []
        lo, hi = int(lo), int(hi)
        step = (hi - lo + 1) / count
        points = sorted({lo + int(step * i) for i in range(1, count)})
        return [b for b in points if lo < b <= hi]
    total = engine.query(f"SELECT COUNT(*) FROM {from_clause}{_and(where)}")[0][0]
    if not total:
        return []
    every = max(1, int(total) // count)
    sel = d.key_select(col, key.kind)
    order = d.key_order(col, key.kind)
    bounds: list[Any] = []
    seen = 0
    for batch in engine.stream(f"SELECT {sel} FROM {from_clause}{_and(where)} ORDER BY {order}"):
        for (value,) in batch:
            seen += 1
            if seen % every == 0 and len(bounds) < count - 1:
                v = normalize_key_value(value, key.kind)
                if not bounds or v != bounds[-1]:
                    bounds.append(v)
    return bounds


def range_predicate(engine: Engine, key: Column, lo: Any, hi: Any) -> str | None:
    d = engine.dialect
    expr = d.key_order(d.quote(key.name), key.kind)
    parts = []
    if lo is not None:
        parts.append(f"{expr} >= {d.literal(lo)}")
    if hi is not None:
        parts.append(f"{expr} < {d.literal(hi)}")
    return " AND ".join(parts) or None
