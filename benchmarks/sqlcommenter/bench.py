"""Per-statement overhead of adding sqlcommenter comments, side by side, in one run.

Work: SQLAlchemy `conn.execute(text("select 1")).scalar()` on in-memory SQLite, inside an active,
recording OpenTelemetry SDK span (SimpleSpanProcessor, exporter that drops everything). Keys:
traceparent + db_driver + db_framework. Each configuration runs in its own subprocess so that no
listener, instrumentation or cache leaks between them; the figure is the best of N rounds.

    python benchmarks/sqlcommenter/bench.py [--number 20000] [--repeat 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import timeit
from importlib.metadata import PackageNotFoundError, version
from typing import Any

CONFIGS = {
    "baseline": "SQLAlchemy, no commenter",
    "dbtools": "dbtools-sqlcommenter (defaults: traceparent, db_driver, db_framework)",
    "google": "google-cloud-sqlcommenter BeforeExecuteFactory(with_db_driver, with_db_framework, with_opentelemetry)",
    "otel_spans": "OpenTelemetry SQLAlchemyInstrumentor, spans only",
    "otel_commenter": "OpenTelemetry SQLAlchemyInstrumentor(enable_commenter=True)",
    "baseline_span_each": "no commenter, a new child span around every statement",
    "dbtools_span_each": "dbtools-sqlcommenter, a new child span (new traceparent) every statement",
    "unique_span_each": "no commenter, a new child span, and a different statement text every time",
}


def _tracer() -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)
    return trace.get_tracer("bench")


def _engine(config: str) -> Any:
    from sqlalchemy import create_engine, event

    engine = create_engine("sqlite://")
    if config.startswith("dbtools"):
        from dbtools.sqlcommenter.sqlalchemy import instrument

        instrument(engine)
    elif config == "google":
        from google.cloud.sqlcommenter.sqlalchemy.executor import BeforeExecuteFactory

        factory = BeforeExecuteFactory(
            with_db_driver=True, with_db_framework=True, with_opentelemetry=True
        )
        event.listen(engine, "before_cursor_execute", factory, retval=True)
    elif config == "unique_span_each":
        # The floor for any per-statement-unique comment: no comment building at all, just a
        # counter, so the driver's statement cache misses exactly as it does with a traceparent.
        dialect = engine.dialect
        original = dialect.do_execute
        counter = iter(range(10**12))

        def do_execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> Any:
            return original(cursor, f"{statement} /*n='{next(counter)}'*/", parameters, context)

        dialect.do_execute = do_execute  # type: ignore[method-assign]
    elif config.startswith("otel"):
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        SQLAlchemyInstrumentor().instrument(
            engine=engine, enable_commenter=config == "otel_commenter"
        )
    return engine


def run_one(config: str, number: int, repeat: int) -> dict[str, Any]:
    from sqlalchemy import text

    tracer = _tracer()
    engine = _engine(config)
    stmt = text("select 1")
    sent: list[str] = []

    with tracer.start_as_current_span("request"), engine.connect() as conn:
        # What SQLite really runs, as its trace callback reports it; then stop tracing.
        raw = conn.connection.dbapi_connection
        raw.set_trace_callback(sent.append)
        conn.execute(stmt).scalar()  # also warms up the caches
        raw.set_trace_callback(None)
        if config.endswith("_span_each"):
            # Every statement gets a traceparent never seen before: no per-span reuse, and the
            # driver's statement cache misses, as with the OTel commenter's DB-span traceparent.
            def work() -> None:
                with tracer.start_as_current_span("query"):
                    conn.execute(stmt).scalar()

            timer = timeit.Timer(work)
        else:
            timer = timeit.Timer(lambda: conn.execute(stmt).scalar())
        rounds = timer.repeat(number=number, repeat=repeat)
    return {"config": config, "us": min(rounds) / number * 1e6, "sent": sent[0] if sent else ""}


def _ver(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="statements per round")
    parser.add_argument("--repeat", type=int, default=5, help="rounds per pass")
    parser.add_argument(
        "--passes", type=int, default=3,
        help="passes over all configs, interleaved so that load from other processes hits all "
        "of them alike; the best round of all passes counts",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--config", choices=sorted(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.config:
        print(json.dumps(run_one(args.config, args.number, args.repeat)))
        return 0

    results: dict[str, dict[str, Any]] = {}
    for _ in range(args.passes):
        for config in CONFIGS:
            proc = subprocess.run(
                [sys.executable, __file__, "--config", config,
                 "--number", str(args.number), "--repeat", str(args.repeat)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if proc.returncode != 0:
                print(f"{config} failed:\n{proc.stderr}", file=sys.stderr)
                return 1
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            if config not in results or got["us"] < results[config]["us"]:
                results[config] = got

    base = results["baseline"]["us"]
    ours = results["dbtools"]["us"] - base
    google = results["google"]["us"] - base
    otel_commenter = results["otel_commenter"]["us"] - results["otel_spans"]["us"]
    ours_each = results["dbtools_span_each"]["us"] - results["baseline_span_each"]["us"]
    cache_miss = results["unique_span_each"]["us"] - results["baseline_span_each"]["us"]
    summary = {
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "versions": {
            d: _ver(d)
            for d in (
                "sqlalchemy",
                "dbtools-sqlcommenter",
                "google-cloud-sqlcommenter",
                "opentelemetry-sdk",
                "opentelemetry-instrumentation-sqlalchemy",
            )
        },
        "us_per_statement": {k: round(v["us"], 2) for k, v in results.items()},
        "added_us": {
            "dbtools": round(ours, 2),
            "dbtools, new traceparent every statement (vs baseline_span_each)": round(ours_each, 2),
            "  of which: a new statement text each time (unique_span_each)": round(cache_miss, 2),
            "google": round(google, 2),
            "otel_commenter (vs otel_spans)": round(otel_commenter, 2),
        },
        "ratio_vs_dbtools": {
            "google": round(google / ours, 1) if ours > 0 else None,
            "otel_commenter": round(otel_commenter / ours, 1) if ours > 0 else None,
        },
        "sent": {k: v["sent"] for k, v in results.items() if not k.endswith("_span_each")},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(
        f"Python {summary['python']}, {args.passes} passes x {args.repeat} rounds x "
        f"{args.number} statements, best round"
    )
    for dist, ver in summary["versions"].items():
        print(f"  {dist} {ver}")
    print()
    print(f"{'config':<20} {'us/stmt':>8} {'added':>8}  description")
    for config, desc in CONFIGS.items():
        us = results[config]["us"]
        ref = {
            "otel_commenter": results["otel_spans"]["us"],
            "dbtools_span_each": results["baseline_span_each"]["us"],
            "unique_span_each": results["baseline_span_each"]["us"],
        }.get(config, base)
        added = "" if config == "baseline" else f"{us - ref:+.2f}"
        print(f"{config:<20} {us:8.2f} {added:>8}  {desc}")
    print()
    print("added per statement:")
    for name, value in summary["added_us"].items():
        print(f"  {name:<66} {value:6.2f} us")
    print(f"ratio google / dbtools:          {summary['ratio_vs_dbtools']['google']}x")
    print(f"ratio otel commenter / dbtools:  {summary['ratio_vs_dbtools']['otel_commenter']}x")
    print()
    print("statement the driver received:")
    for config, sql in summary["sent"].items():
        print(f"  {config:<20} {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
