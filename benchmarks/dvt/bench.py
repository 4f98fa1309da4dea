"""dvt vs Google's data-validation (google-pso-data-validator), same tables, same run.

    python benchmarks/dvt/bench.py                      # 100k and 1M rows, PG→PG and PG→MariaDB
    python benchmarks/dvt/bench.py --rows 100000 --pairs pg-pg

For each size and pair: `validate row` (hash of every column) and `validate column`
(count + sum of every column) by both tools, as separate processes; wall time and peak RSS of
each process, CPU time (user + system), and the differences each one reports against the planted truth.

Needs PostgreSQL and MariaDB as in the tests (DBTOOLS_TEST_PG_URL / DBTOOLS_TEST_MYSQL_URL) and
`data-validation` on PATH or next to this interpreter (benchmarks/dvt/reference.txt).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent))
import dataset

PG_URL = os.environ.get("DBTOOLS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MY_URL = os.environ.get("DBTOOLS_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
SRC_DB, TGT_DB = "dvt_bench_src", "dvt_bench_tgt"


def _bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: install benchmarks/dvt/reference.txt (and dbtools-dvt)")
    return found


def _with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return p._replace(path="/" + db).geturl()


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, int, float]:
    """(wall seconds, peak RSS MiB, stdout, exit code, CPU seconds: user + system) of one
    process.

    Linux carries the RSS high-water mark across fork, so a child forked from this (large)
    process would report our size: GNU time, a small process, starts the command instead."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as stats:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [gnu_time, "-f", "%M %U %S", "-o", stats.name, *cmd],
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
        )
        _, status, _ = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        # the last line is ours ("KiB user system"); earlier ones are the command's exit notice
        last = Path(stats.name).read_text().strip().splitlines()[-1:] or ["0 0 0"]
        fields = last[0].split()
        rss_kib, cpu = int(fields[0]), float(fields[1]) + float(fields[2])
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        err = proc.stderr.read().decode() if proc.stderr else ""
        print(f"   ! {cmd[0]} exited {code}: {err[-800:]}", file=sys.stderr)
    return wall, rss_kib / 1024, text, code, cpu


def load(n: int, pairs: list[str]) -> None:
    import psycopg
    import pymysql

    print(f"loading {n:,} rows …", flush=True)
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        for db in (SRC_DB, TGT_DB):
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {db}")
    dataset.load_pg(_with_db(PG_URL, SRC_DB), "t", dataset.rows(n))
    if "pg-pg" in pairs:
        dataset.load_pg(_with_db(PG_URL, TGT_DB), "t", dataset.target_rows(n))
    if "pg-mysql" in pairs:
        p = urlsplit(MY_URL)
        kw = {
            "host": p.hostname,
            "port": p.port or 3306,
            "user": p.username or "root",
            "password": p.password or "",
        }
        admin = pymysql.connect(**kw, autocommit=True)
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {TGT_DB}")
            cur.execute(f"CREATE DATABASE {TGT_DB} CHARACTER SET utf8mb4")
        admin.close()
        dataset.load_mysql({**kw, "database": TGT_DB}, "t", dataset.target_rows(n))


def patch_reference_for_mariadb() -> None:
    """data-validation (through Ibis 7) runs `SET time_zone = 'UTC'`, which fails on a MariaDB
    without time zone tables (error 1298) and only SQLAlchemy's exception is caught. As in the
    reference measurement, use the equivalent '+00:00' inside the reference tool's own venv."""
    py = Path(_bin("data-validation")).parent / "python"
    code = "import ibis.backends.mysql as m; print(m.__file__)"
    path = Path(
        subprocess.run(
            [str(py), "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    text = path.read_text()
    if "time_zone = 'UTC'" in text:
        path.write_text(text.replace("time_zone = 'UTC'", "time_zone = '+00:00'"))
        print(f"patched {path}: session time_zone '+00:00' (MariaDB without tz tables)")


def compile_bytecode(with_reference: bool) -> None:
    """Both tools as an installed tool runs: with its modules compiled to bytecode (pip does it
    at install time). Without this, a session with PYTHONDONTWRITEBYTECODE set (or a venv made
    by uv, which does not compile) re-compiles every module of both tools on every run."""
    import compileall

    import dbtools.dvt

    ours = [Path(sys.prefix), *(Path(p).parents[1] for p in dbtools.dvt.__path__)]
    for path in ours:
        compileall.compile_dir(str(path), quiet=2, workers=0)
    if with_reference:
        venv = Path(_bin("data-validation")).parents[1]
        python = venv / "bin" / "python"
        subprocess.run(
            [str(python), "-m", "compileall", "-q", "-q", "-j", "0", str(venv / "lib")], check=False
        )
    print("bytecode compiled for dvt" + (" and data-validation" if with_reference else ""))


def dvt_conns(home: Path, pair: str) -> dict[str, str]:
    """Connections for data-validation, in a throwaway PSO_DV_CONN_HOME."""
    env = {**os.environ, "PSO_DV_CONN_HOME": str(home)}
    dv = _bin("data-validation")
    pg = urlsplit(PG_URL)
    for name, db in (("src", SRC_DB), ("pgt", TGT_DB)):
        subprocess.run(
            [
                dv,
                "connections",
                "add",
                "-c",
                name,
                "Postgres",
                "--host",
                pg.hostname or "127.0.0.1",
                "--port",
                str(pg.port or 5432),
                "--user",
                pg.username or "postgres",
                "--password",
                pg.password or "",
                "--database",
                db,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    my = urlsplit(MY_URL)
    subprocess.run(
        [
            dv,
            "connections",
            "add",
            "-c",
            "myt",
            "MySQL",
            "--host",
            my.hostname or "127.0.0.1",
            "--port",
            str(my.port or 3306),
            "--user",
            my.username or "root",
            "--password",
            my.password or "",
            "--database",
            TGT_DB,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def ours_row(src: str, tgt: str) -> list[str]:
    return [
        _bin("dvt"),
        "validate",
        "row",
        "-sc",
        src,
        "-tc",
        tgt,
        "-t",
        "t",
        "--format",
        "json",
        "--no-progress",
    ]


def ours_col(src: str, tgt: str) -> list[str]:
    return [
        _bin("dvt"),
        "validate",
        "column",
        "-sc",
        src,
        "-tc",
        tgt,
        "-t",
        "t",
        "--count",
        "*",
        "--sum",
        "*",
        "--format",
        "json",
        "--no-progress",
    ]


def parse_ours_row(text: str) -> set[str]:
    res = json.loads(text)[0]
    return {str(f["key"]["id"]) for f in res["findings"] if f["status"] != "success"}


def parse_ours_col(text: str) -> set[str]:
    res = json.loads(text)[0]
    return {f"{f['check']}:{f['column']}" for f in res["findings"] if f["status"] != "success"}


def parse_dvt_row(text: str) -> set[str]:
    keys = set()
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("validation_status") == "fail":
            g = row.get("group_by_columns") or "{}"
            keys.add(str(json.loads(g).get("id")))
    return keys


def parse_dvt_col(text: str) -> set[str]:
    out = set()
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("validation_status") == "fail":
            out.add(f"{row.get('aggregation_type', '')}:{row.get('source_column_name', '')}")
    return out


def fmt_set(found: set[str], truth: set[str]) -> str:
    return f"{len(found):,} reported, {len(found & truth)}/{len(truth)} real, {len(found - truth):,} false"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--pairs", default="pg-pg,pg-mysql")
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--no-load", action="store_true", help="reuse the tables of the last run")
    ap.add_argument("--kinds", default="row,column", help="row, column or both")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per command, the tools in turn; medians and per-pair ratios count",
    )
    args = ap.parse_args()
    pairs = args.pairs.split(",")
    if "pg-mysql" in pairs and not args.skip_reference:
        patch_reference_for_mariadb()
    compile_bytecode(not args.skip_reference)
    results = []
    for n in [int(x) for x in args.rows.split(",")]:
        if not args.no_load:
            load(n, pairs)
        truth_rows = {str(i) for i in dataset.truth(n)}
        truth_cols = {"sum:amount", "count:note"}
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ) if args.skip_reference else dvt_conns(Path(home), "x")
            for pair in pairs:
                src = _with_db(PG_URL, SRC_DB)
                tgt = _with_db(PG_URL, TGT_DB) if pair == "pg-pg" else _with_db(MY_URL, TGT_DB)
                dv_tgt = "pgt" if pair == "pg-pg" else "myt"
                tables = "public.t" if pair == "pg-pg" else f"{TGT_DB}.t"
                runs = [
                    ("row", "dvt", ours_row(src, tgt), parse_ours_row, truth_rows),
                    ("column", "dvt", ours_col(src, tgt), parse_ours_col, truth_cols),
                ]
                if not args.skip_reference:
                    dv = _bin("data-validation")
                    runs += [
                        (
                            "row",
                            "data-validation",
                            [
                                dv,
                                "validate",
                                "row",
                                "-sc",
                                "src",
                                "-tc",
                                dv_tgt,
                                "-tbls",
                                f"public.t={tables}",
                                "-pk",
                                "id",
                                "--hash",
                                "*",
                                "--filter-status",
                                "fail",
                                "--format",
                                "csv",
                            ],
                            parse_dvt_row,
                            truth_rows,
                        ),
                        (
                            "column",
                            "data-validation",
                            [
                                dv,
                                "validate",
                                "column",
                                "-sc",
                                "src",
                                "-tc",
                                dv_tgt,
                                "-tbls",
                                f"public.t={tables}",
                                "--count",
                                "*",
                                "--sum",
                                "*",
                                "--format",
                                "csv",
                            ],
                            parse_dvt_col,
                            truth_cols,
                        ),
                    ]
                wanted = [r for r in runs if r[0] in args.kinds.split(",")]
                # the tools in turn (dvt, reference, dvt, …) so that both see the same load
                tries: dict[int, list[tuple[float, float, str, int, float]]] = {
                    i: [] for i in range(len(wanted))
                }
                for _ in range(max(1, args.repeat)):
                    for i, (_, _, cmd, _, _) in enumerate(wanted):
                        tries[i].append(measure(cmd, env))
                for i, (kind, tool, _, parse, truth) in enumerate(wanted):
                    walls = [t[0] for t in tries[i]]
                    out, code = tries[i][-1][2], tries[i][-1][3]
                    wall = statistics.median(walls)
                    cpu = statistics.median(t[4] for t in tries[i])
                    rss = max(t[1] for t in tries[i])
                    try:
                        found = parse(out)
                    except Exception as exc:  # the reference tool may print errors instead of CSV
                        found = set()
                        print(
                            f"   ! could not parse {tool} output: {exc}: {out[:300]!r}",
                            file=sys.stderr,
                        )
                    line = {
                        "rows": n,
                        "pair": pair,
                        "kind": kind,
                        "tool": tool,
                        "wall_s": round(wall, 2),
                        "walls": walls,
                        "cpu_s": round(cpu, 2),
                        "peak_rss_mib": round(rss),
                        "exit": code,
                        "result": fmt_set(found, truth),
                        "exact": found == truth,
                    }
                    results.append(line)
                    print(
                        f"{n:>9,} {pair:8} {kind:6} {tool:16} {wall:7.2f} s (median of "
                        f"{len(walls)}, {min(walls):.2f}–{max(walls):.2f}) {cpu:6.2f} s CPU "
                        f"{rss:7.0f} MiB  exit {code}  {line['result']}",
                        flush=True,
                    )
    print("\nratios (data-validation / dvt):")
    for r in results:
        if r["tool"] != "dvt":
            continue
        ref = next(
            (
                x
                for x in results
                if x["tool"] != "dvt" and all(x[k] == r[k] for k in ("rows", "pair", "kind"))
            ),
            None,
        )
        if ref:
            pairs = sorted(a / b for a, b in zip(ref["walls"], r["walls"], strict=True))
            print(
                f"{r['rows']:>9,} {r['pair']:8} {r['kind']:6} time ×{statistics.median(pairs):.1f}"
                f" (median of {len(pairs)} run pairs, {pairs[0]:.1f}–{pairs[-1]:.1f})"
                f"  CPU ×{ref['cpu_s'] / r['cpu_s']:.1f}"
                f"  memory ×{ref['peak_rss_mib'] / r['peak_rss_mib']:.1f}"
            )
    Path(tempfile.gettempdir(), "dvt-bench.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
