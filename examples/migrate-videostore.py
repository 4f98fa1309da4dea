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

from dbtools import migrate, spanner_local

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
    source = migrate.read_source(engine="mysql", file=DUMP)
    conv = migrate.convert_schema(source, args.dialect, identity="none", uuid_default=False)
    print(migrate.build_report(conv)["summary"]["text"])
    with spanner_local.serve() as ep, tempfile.TemporaryDirectory() as out:
        target = {
            "project": ep.project,
            "instance": ep.instance,
            "database": "videostore",
            "emulator_host": ep.address,
        }
        tables_only = migrate.schema_statements(conv, indexes=False, fks=False)
        migrate.apply_schema(tables_only, dialect=args.dialect, **target)
        db = migrate.open_database(**target)
        load = migrate.load_data(conv, source, database=db, out=Path(out), file=DUMP)
        rest = migrate.schema_statements(conv, tables=False)  # indexes and FKs after the load
        migrate.apply_schema(rest, dialect=args.dialect, **target)
        result = load.to_json()
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
