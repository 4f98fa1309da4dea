"""pandas over SQLAlchemy (psycopg2, pandas' most common pairing): to_sql creating the table,
to_sql(if_exists="append") that must find it, read_sql typed round-trip, a chunked read_sql of
seq × seq."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from workload import DDL, ROWS, SEQ, STREAMED, check, check_rows, report, url

COLS = [
    "id",
    "name",
    "price",
    "attrs",
    "created",
    "day",
    "payload",
    "tags",
    "scores",
    "active",
    "r4",
    "r8",
    "note",
]


def main() -> None:
    engine = sa.create_engine(url("postgresql+psycopg2"))
    with engine.begin() as conn:
        for stmt in DDL:
            conn.execute(sa.text(stmt))
    frame = pd.DataFrame({"id": range(1, SEQ // 2 + 1)})
    frame.to_sql("seq", engine, if_exists="append", index=False)
    # append again: pandas must see that seq exists (reflection), not try to create it
    pd.DataFrame({"id": range(SEQ // 2 + 1, SEQ + 1)}).to_sql(
        "seq", engine, if_exists="append", index=False, method="multi"
    )
    # to_sql creating a table is not in the workload: pandas declares no primary key, and
    # Spanner requires one (a known difference, in the README's table)
    with engine.begin() as conn:
        for row in ROWS:
            values = dict(zip(COLS, row, strict=True))
            conn.execute(
                sa.text(
                    "INSERT INTO items ("
                    + ", ".join(COLS)
                    + ") VALUES ("
                    + ", ".join(f":{c}" for c in COLS)
                    + ")"
                ).bindparams(sa.bindparam("attrs", type_=JSONB)),
                values,
            )
    # coerce_float=False: numerics stay Decimal (pandas makes them float by default)
    df = pd.read_sql(f"SELECT {', '.join(COLS)} FROM items ORDER BY id", engine, coerce_float=False)
    got = [
        tuple(
            None if (not isinstance(v, (list, dict, bytes, memoryview)) and pd.isna(v)) else v
            for v in rec
        )
        for rec in df.itertuples(index=False, name=None)
    ]
    got = [
        (
            *r[:4],
            r[4].to_pydatetime() if r[4] is not None else None,
            *r[5:6],
            bytes(r[6]) if r[6] is not None else None,
            *r[7:],
        )
        for r in got
    ]
    check_rows(got)
    streamed = total = 0
    with engine.connect().execution_options(stream_results=True) as conn:
        for chunk in pd.read_sql(
            sa.text("SELECT a.id AS a, b.id AS b FROM seq a CROSS JOIN seq b"), conn, chunksize=5000
        ):
            streamed += len(chunk)
            total += int(chunk["a"].sum())
    check(streamed, STREAMED, "streamed rows")
    engine.dispose()
    report("pandas", streamed=streamed, sum=total, rows=len(ROWS))


if __name__ == "__main__":
    main()
