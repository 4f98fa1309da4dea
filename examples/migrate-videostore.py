"""Example: move the video-store sample (a mysqldump) into an in-process spanner-local.

    python examples/migrate-videostore.py [--dialect postgresql]

Converts the schema, creates it on spanner-local, loads the rows, then prints the report's
summary and a few rows read back through the official google-cloud-spanner client.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from dbtools import spanner_local
from dbtools.migrate import ddl, report
from dbtools.migrate.apply import apply_schema, open_database
from dbtools.migrate.convert import convert
from dbtools.migrate.data import Loader
from dbtools.migrate.datasource import load_dump
from dbtools.migrate.source import read_dump_file
from dbtools.migrate.values import UTC

DUMP = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "migrate"
    / "samples"
    / "videostore_mysql.sql"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--dialect", default="google_standard_sql", choices=["google_standard_sql", "postgresql"]
    )
    args = parser.parse_args()
    # spanner-local has no IDENTITY columns yet: bit-reversed sequences instead (Cloud Spanner has both)
    conv = convert(
        read_dump_file("mysql", str(DUMP)), args.dialect, identity=False, uuid_default=False
    )
    print(report.build(conv)["summary"]["text"])
    with spanner_local.serve() as ep, tempfile.TemporaryDirectory() as out:
        target = {
            "project": ep.project,
            "instance": ep.instance,
            "database": "videostore",
            "emulator_host": ep.address,
        }
        apply_schema(
            ddl.statements(conv.schema, indexes=False, fks=False), dialect=args.dialect, **target
        )
        db = open_database(**target)
        loader = Loader(conv, db, Path(out), source_label=str(DUMP), tz=UTC)
        with DUMP.open("rb") as f:
            load_dump(loader, "mysql", f, [])
        result = loader.close().to_json()
        apply_schema(ddl.statements(conv.schema, tables=False), dialect=args.dialect, **target)
        print(
            f"rows read {result['rows_read']}, written {result['rows_written']}, bad {result['bad_rows']}"
        )
        with db.snapshot() as snap:
            for row in snap.execute_sql(
                "SELECT film_id, title, rating, special_features FROM film ORDER BY film_id"
            ):
                print("  ", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
