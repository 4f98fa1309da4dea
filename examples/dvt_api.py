"""Validating from Python with dvt's public API (`from dbtools import dvt`), nothing else of dvt.

    python examples/dvt_api.py SOURCE_URL TARGET_URL --table orders
    python examples/dvt_api.py SOURCE_URL TARGET_URL --migration out/   # after spanner-migrate

With --table: schema, aggregates and rows of one table. With --migration: every table a
spanner-migrate run migrated (its --out directory). Prints one line per validation and each
difference, writes the results as JSON if asked (--json FILE, readable again with
`dvt.read_results`), and exits with the code the `dvt` command would.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dbtools import dvt


def validate(args: argparse.Namespace) -> list[dvt.ValidationResult]:
    if args.migration:
        return dvt.validate_migration(args.migration, args.source, args.target)
    aggregates = {"count": ["*"], "sum": ["*"], "min": ["*"], "max": ["*"]}
    return [
        dvt.validate_schema(args.source, args.target, args.table),
        dvt.validate_columns(args.source, args.target, args.table, aggregates=aggregates),
        dvt.validate_rows(args.source, args.target, args.table),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="source URL or saved connection name")
    ap.add_argument("target", help="target URL or saved connection name")
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", help="one table (the same name on both sides)")
    what.add_argument("--migration", type=Path, help="spanner-migrate's --out directory")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    try:
        results = validate(args)
    except dvt.DvtError as exc:  # a database out of reach, a bad setting
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, dvt.ConnectError) else 2
    for r in results:
        why = r.error or r.skipped or ""
        print(f"{r.status:8} {r.name}" + (f" ({why})" if why else ""))
        for f in r.findings:
            if f.status != "success":
                print(f"         {f.status}: {f.key or ''} {f.column or ''} {f.check or ''} "
                      f"source={f.source!r} target={f.target!r}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    return dvt.exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
