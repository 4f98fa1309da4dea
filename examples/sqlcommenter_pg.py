"""dbtools-sqlcommenter against a real PostgreSQL: the comment as the server sees it.

    python examples/sqlcommenter_pg.py [postgresql://postgres@127.0.0.1:5432/test]

Runs one statement inside an OpenTelemetry span through an instrumented SQLAlchemy engine, reads
the statement back from pg_stat_activity, and parses the comment.
"""

from __future__ import annotations

import sys

from dbtools.sqlcommenter import parse, tagged
from dbtools.sqlcommenter.sqlalchemy import instrument
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import create_engine, text


def main(url: str) -> int:
    tracer = TracerProvider().get_tracer("example")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    instrument(engine, application="example")
    own = "select query from pg_stat_activity where pid = pg_backend_pid()"
    with tracer.start_as_current_span("checkout") as span, tagged(route="/cart/{id}/checkout"):
        with engine.connect() as conn:
            seen = conn.execute(text(own)).scalar_one()
    engine.dispose()
    parsed = parse(seen)
    print("server saw:", seen)
    for key, value in sorted(parsed.tags.items()):
        print(f"  {key} = {value}")
    ok = parsed.trace is not None and parsed.trace.span_id == span.get_span_context().span_id
    print("traceparent matches the span:", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(
        main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/test")
    )
