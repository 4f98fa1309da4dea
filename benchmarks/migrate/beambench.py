"""The Beam load (`--runner beam`) against the threaded load, on this machine.

    python benchmarks/migrate/beambench.py [--megabytes 20] [--chunk-mb 4]

Same hand-made mysqldump as databench.py, null target (`--dry-run`: every row read and
converted, nothing written, so Spanner's speed is out of the figure), each run in a fresh
process: the threaded path, then Beam's DirectRunner with 1 and 2 worker processes. Prints
rows/s over the whole run (pipeline start-up included), the start-up alone (the same pipeline on
a one-statement dump), and the peak RSS of the launcher and of the largest worker process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from databench import DATA_SCHEMA, make_data_dump  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from click.testing import CliRunner
from dbtools.migrate.cli import main
dump, out, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t = time.perf_counter()
res = CliRunner().invoke(main, ["data", "--source", "mysql", "--file", dump, "--out", out,
    "--project", "p", "--instance", "i", "--database", "d", "--dry-run", "--format", "json", *extra])
wall = time.perf_counter() - t
assert res.exit_code == 0, res.output
rep = json.loads(Path(out, "data_report.json").read_text())
print(json.dumps({"wall": wall, "rows": rep["rows_read"], "converted": rep["rows_converted"],
    "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _run(dump: Path, extra: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            ["nice", sys.executable, "-c", CHILD, str(dump), out, json.dumps(extra)],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--megabytes", type=float, default=20)
    ap.add_argument("--chunk-mb", type=float, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "d.sql"
        rows = make_data_dump(dump, args.megabytes)
        with dump.open("a") as f:
            f.write("-- Dump completed\n")
        tiny = Path(tmp) / "tiny.sql"
        tiny.write_text(
            DATA_SCHEMA + "INSERT INTO `orders` VALUES (1,1,'a',1.00,'2024-01-01 00:00:00','n');\n"
            "-- Dump completed\n"
        )
        chunk = str(int(args.chunk_mb * 1e6))
        runs = {"threads": []}
        for workers in (1, 2):
            runs[f"beam, {workers} worker{'s' if workers > 1 else ''}"] = [
                "--runner", "beam", "--beam-chunk-bytes", chunk, "--beam-args",
                f"--direct_num_workers={workers} --direct_running_mode=multi_processing",
            ]  # fmt: skip
        print(f"{rows:,} rows, {dump.stat().st_size / 1e6:.0f} MB, units of {args.chunk_mb} MB")
        print(f"{'path':<18} {'rows/s':>9} {'start-up s':>10} {'rows/s w/o start-up':>20} "
              f"{'launcher MB':>11} {'worker MB':>9}")  # fmt: skip
        base = None
        for name, extra in runs.items():
            t0 = time.perf_counter()
            start = _run(tiny, extra)["wall"]
            r = _run(dump, extra)
            assert r["rows"] == r["converted"] == rows, r
            rate = rows / r["wall"]
            # rows/s past the start-up; a run that ends within a second of it tells nothing
            extra_s = r["wall"] - start
            steady = f"{rows / extra_s:20,.0f}" if extra_s >= 1 else f"{'(too short)':>20}"
            base = base or rate
            worker = f"{r['child_kb'] / 1024:9.0f}" if name != "threads" else f"{'-':>9}"
            print(
                f"{name:<18} {rate:9,.0f} {start:10.1f} {steady} "
                f"{r['self_kb'] / 1024:11.0f} {worker}   ({rate / base:.2f}x threads; "
                f"{time.perf_counter() - t0:.0f} s)"
            )


if __name__ == "__main__":
    main()
