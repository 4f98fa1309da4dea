"""The dbtools end-to-end demo: migrate a shop database to Spanner, validate it, query it.

    nox -s demo                                   # bundled SQLite shop -> in-process spanner-local
    nox -s demo -- --source-url mysql://root@127.0.0.1:3306/shop
    nox -s demo -- --source-url postgresql://postgres@127.0.0.1:5432/shop
    nox -s demo -- --emulator-host localhost:9010 # the official emulator (or a spanner-local CLI)
    nox -s demo -- --project P --instance I --database D   # Cloud Spanner (application default
                                                             # credentials; the database must not
                                                             # exist yet; the demo leaves it
                                                             # there for you to look at)
    nox -s demo -- --plant-difference             # change one row after the migration: dvt
                                                  # must find it, and the demo exits 1

Every option has an environment variable (DBTOOLS_DEMO_SOURCE_URL, DBTOOLS_DEMO_EMULATOR_HOST,
DBTOOLS_DEMO_PROJECT, DBTOOLS_DEMO_INSTANCE, DBTOOLS_DEMO_DATABASE,
DBTOOLS_DEMO_PLANT_DIFFERENCE=1, DBTOOLS_DEMO_WORKDIR); SPANNER_EMULATOR_HOST, when set, is
used like --emulator-host.

Steps: (1) the source, (2) spanner-local, (3) `spanner-migrate schema-and-data` and its report,
(4) `dvt validate column` and (5) `dvt validate row` on every table, (6) pgadapter with psycopg
and psql, queries tagged by sqlcommenter, (7) those tags in spanner-local's statement log. The
exit code is 0 when every step succeeded, 1 when one failed (a difference found by dvt included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHOP = HERE / "shop"
BIN = Path(sys.executable).parent  # the CLIs installed next to this interpreter (nox's venv)
STEPS = 7

# Tables without a primary key get a synthetic one in Spanner; dvt compares them on a key that
# is unique in the data instead.
ROW_KEYS = {"event_log": "entity_type,entity_id,action"}

SHOWN_DIFFERENCES = 5  # per table; the JSON results hold them all

PLANTED = ("orders", "order_id", 42, "total")  # table, key column, key, column changed

QUERIES: list[tuple[str, str, list[Any]]] = [
    (
        "/reports/top-products",
        "SELECT p.name, SUM(oi.quantity * oi.unit_price) AS revenue "
        "FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
        "GROUP BY p.name ORDER BY revenue DESC, p.name LIMIT 5",
        [],
    ),
    (
        "/reports/orders-by-status",
        "SELECT status, COUNT(*) AS orders, SUM(total) AS amount FROM orders "
        "WHERE placed_at >= %s GROUP BY status ORDER BY orders DESC, status",
        [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)],
    ),
    (
        "/reports/ratings",
        "SELECT c.name AS category, COUNT(*) AS reviews, ROUND(AVG(r.rating), 2) AS avg_rating "
        "FROM reviews r JOIN products p ON p.product_id = r.product_id "
        "JOIN categories c ON c.category_id = p.category_id "
        "GROUP BY c.name ORDER BY reviews DESC, category LIMIT 5",
        [],
    ),
]
PSQL_QUERY = (
    "SELECT tier, COUNT(*) AS customers FROM customers GROUP BY tier ORDER BY customers DESC"
)


class StepFailed(Exception):
    """A step that the rest of the demo cannot go on without."""


def say(text: str = "") -> None:
    print(text, flush=True)


START = time.monotonic()


def step(n: int, title: str) -> None:
    say()
    say(f"==> [{n}/{STEPS}] {title}  (at {time.monotonic() - START:.1f}s)")


def tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if not found:
        raise StepFailed(f"`{name}` is not installed; run the demo with `nox -s demo`")
    return found


def redact(text: str) -> str:
    """A URL's password masked, for printing."""
    return re.sub(r"(://[^:/@\s]+):[^@/\s]+@", r"\1:***@", text)


def show_command(argv: list[str]) -> None:
    words = (Path(a).name if i == 0 else redact(a) for i, a in enumerate(argv))
    say("    $ " + " ".join(shlex.quote(w) for w in words))


def sqlite_url(path: Path) -> str:
    return "sqlite:///" + str(path.resolve())  # absolute path: sqlite:////tmp/...


def indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in text.rstrip().splitlines())


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.workdir or tempfile.mkdtemp(prefix="dbtools-demo-")).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.endpoint: Any = None  # in-process spanner-local
        self.pgadapter: subprocess.Popen[str] | None = None
        self.failures: list[str] = []
        self.project = args.project
        self.instance = args.instance
        self.database = args.database
        self.emulator_host = args.emulator_host
        self.source_url = args.source_url or ""
        self.tables: list[dict[str, Any]] = []
        self.t0 = time.monotonic()

    # -- helpers ---------------------------------------------------------------------------
    def run_cli(
        self, argv: list[str], ok_codes: tuple[int, ...] = (0,)
    ) -> subprocess.CompletedProcess[str]:
        show_command(argv)
        proc = subprocess.run(argv, capture_output=True, text=True, env=self.env(), check=False)
        if proc.returncode not in ok_codes:
            say(indent(proc.stdout))
            say(indent(proc.stderr))
        return proc

    def env(self) -> dict[str, str]:
        """The tools' environment: this demo's target only, and wide lines for rich."""
        env = dict(os.environ, COLUMNS="200")
        env.pop("SPANNER_EMULATOR_HOST", None)
        if self.emulator_host:
            env["SPANNER_EMULATOR_HOST"] = self.emulator_host
        return env

    def fail(self, what: str) -> None:
        self.failures.append(what)
        say(f"    FAILED: {what}")

    @property
    def dvt_target(self) -> str:
        path = f"projects/{self.project}/instances/{self.instance}/databases/{self.database}"
        host = f"?emulator_host={self.emulator_host}" if self.emulator_host else ""
        return f"spanner:///{path}{host}"

    def spanner_database(self) -> Any:
        from google.cloud import spanner

        if self.endpoint is not None:
            client = self.endpoint.client()
        elif self.emulator_host:
            from google.auth.credentials import AnonymousCredentials

            client = spanner.Client(
                project=self.project,
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": self.emulator_host},
                disable_builtin_metrics=True,
            )
        else:
            client = spanner.Client(project=self.project)
        return client.instance(self.instance).database(self.database)

    # -- steps -----------------------------------------------------------------------------
    def source(self) -> None:
        if self.source_url:
            step(1, f"Source: the live database {redact(self.source_url)}")
            say("    (load it first, e.g. with examples/shop/schema.sql and data.sql)")
            return
        step(1, "Source: the bundled shop database (SQLite, built from examples/shop/*.sql)")
        db_path = self.work / "shop.db"
        db_path.unlink(missing_ok=True)
        conn = sqlite3.connect(db_path)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            for name in ("schema.sql", "data.sql"):
                conn.executescript((SHOP / name).read_text(encoding="utf-8"))
            conn.commit()
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
            ).fetchall()
            counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for (t,) in rows}
        finally:
            conn.close()
        self.source_url = sqlite_url(db_path)
        say(f"    {db_path}: {len(counts)} tables, {sum(counts.values())} rows")
        say("    " + ", ".join(f"{t} {n}" for t, n in counts.items()))

    def target(self) -> None:
        if self.emulator_host:
            step(2, f"Target: Spanner emulator at {self.emulator_host}")
        elif self.args.project_given:
            step(2, f"Target: Cloud Spanner projects/{self.project}/instances/{self.instance}")
        else:
            step(2, "Target: spanner-local, started in this process")
            from dbtools import spanner_local

            self.endpoint = spanner_local.start(project=self.project, instance=self.instance)
            self.emulator_host = self.endpoint.address
            say(
                f"    spanner-local {spanner_local.__version__} listening on {self.endpoint.address}"
            )
        say(f"    database: {self.database} (PostgreSQL dialect)")

    def migrate(self) -> None:
        step(3, "Migrating schema and data with spanner-migrate")
        out = self.work / "migration"
        argv = [
            tool("spanner-migrate"), "schema-and-data", "--url", self.source_url,
            "--dialect", "postgresql", "--out", str(out), "--project", self.project,
            "--instance", self.instance, "--database", self.database,
        ]  # fmt: skip
        if self.emulator_host:
            argv += ["--emulator-host", self.emulator_host]
        if self.endpoint is not None:
            argv.append("--no-identity")  # spanner-local has no IDENTITY columns yet
        proc = self.run_cli(argv)
        if proc.returncode != 0:
            raise StepFailed(f"spanner-migrate exited with {proc.returncode}")
        say(indent(proc.stdout))
        report = json.loads((out / "report.json").read_text())
        data = json.loads((out / "data_report.json").read_text())
        self.tables = [t for t in report["tables"] if not t.get("skipped")]
        say()
        say(f"    Conversion report ({out / 'report.txt'}):")
        say(f"    {report['summary']['text']}.")
        counts = report["summary"]["issues"]
        say("    Issues: " + ", ".join(f"{n} {k}s" for k, n in counts.items()))
        say(f"    {'table':<13} {'rating':<10} {'rows':>6}  notes")
        for t in self.tables:
            notes = []
            if t.get("synthetic_primary_key"):
                notes.append(f"no primary key: added {t['synthetic_primary_key']}")
            if t.get("interleave_candidates"):
                notes.append("could be interleaved in " + ", ".join(t["interleave_candidates"]))
            c = t["counts"]
            notes.append(f"{c['warning']} warnings, {c['note']} notes")
            rows = data["tables"].get(t["source_table"], {}).get("rows_written", 0)
            say(f"    {t['table']:<13} {t['rating']:<10} {rows:>6}  {'; '.join(notes)}")
        say(f"    Data: {data['rows_written']} of {data['rows_read']} rows, {data['bad_rows']} bad")
        if data["bad_rows"]:
            self.fail(f"{data['bad_rows']} rows could not be migrated")

    def plant(self) -> None:
        table, key, value, column = PLANTED
        say()
        say(f"    Planting a difference: {table}.{column} of {key} = {value} changed in Spanner")
        db = self.spanner_database()
        sql = f"UPDATE {table} SET {column} = {column} + 1 WHERE {key} = {value}"
        changed = db.run_in_transaction(lambda txn: txn.execute_update(sql))
        say(f"    {sql}  -- {changed} row")

    def _dvt(self, kind: str, tables: list[dict[str, Any]], extra: list[str]) -> None:
        names = ",".join(
            t["source_table"]
            if t["source_table"] == t["table"]
            else f"{t['source_table']}={t['table']}"
            for t in tables
        )
        out = self.work / f"dvt-{kind}-{tables[0]['table']}.json"
        argv = [
            tool("dvt"), "validate", kind, "-sc", self.source_url, "-tc", self.dvt_target,
            "-t", names, *extra, "--format", "json", "-o", str(out), "--no-progress",
        ]  # fmt: skip
        proc = self.run_cli(argv, ok_codes=(0, 1))
        if not out.exists():
            self.fail(f"dvt validate {kind} exited with {proc.returncode} and wrote no results")
            return
        results = json.loads(out.read_text())
        for r in results:
            s = r["summary"]
            if kind == "column":
                detail = f"{s['checks']} checks, {s['failed']} failed"
            else:
                detail = (
                    f"{s['source_rows']} rows: {s['matched']} matched, {s['mismatched']} "
                    f"mismatched, {s['missing_in_target']} missing, {s['extra_in_target']} extra"
                )
            say(f"    {r['target_table']:<13} {r['status']:<8} {detail}")
            diffs = [f for f in r.get("findings", []) if f.get("status") not in ("success", None)]
            for f in diffs[:SHOWN_DIFFERENCES]:
                where = f" key {json.dumps(f['key'])}" if f.get("key") else ""
                what = f.get("check") or "value"
                say(
                    f"        difference{where} {f.get('column', '')} {what}: "
                    f"source {f.get('source')!r}, target {f.get('target')!r}"
                )
            if len(diffs) > SHOWN_DIFFERENCES:
                say(f"        ... and {len(diffs) - SHOWN_DIFFERENCES} more (see {out})")
        failed = [r["target_table"] for r in results if r["status"] != "success"]
        if proc.returncode != 0 or failed:
            self.fail(f"dvt validate {kind} found differences in {', '.join(failed) or '?'}")

    def validate_columns(self) -> None:
        step(4, "Validating aggregates with `dvt validate column` (count and sum of every column)")
        self._dvt("column", self.tables, ["--count", "*", "--sum", "*"])

    def validate_rows(self) -> None:
        step(5, "Validating every row with `dvt validate row` (a hash per row, on both sides)")
        keyed = [t for t in self.tables if not t.get("synthetic_primary_key")]
        if keyed:
            self._dvt("row", keyed, [])
        for t in self.tables:
            if not t.get("synthetic_primary_key"):
                continue
            key = ROW_KEYS.get(t["table"])
            if key is None:
                say(f"    {t['table']}: no key to compare rows on; covered by step 4 only")
                continue
            say(f"    {t['table']} has no primary key in the source: rows compared on ({key})")
            self._dvt("row", [t], ["-pk", key, "-ec", t["synthetic_primary_key"]])

    def start_pgadapter(self) -> int:
        argv = [
            tool("pgadapter"), "-p", self.project, "-i", self.instance, "-d", self.database,
            "--port", "0",
        ]  # fmt: skip
        if self.emulator_host:
            argv += ["--emulator-host", self.emulator_host]
        show_command(argv)
        self.pgadapter = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=self.env(),
        )  # fmt: skip
        assert self.pgadapter.stdout is not None
        for line in self.pgadapter.stdout:
            say("    " + line.rstrip())
            if "listening on" in line:
                return int(line.split("listening on", 1)[1].split()[0].rsplit(":", 1)[1])
        raise StepFailed(f"pgadapter exited with {self.pgadapter.wait()} before listening")

    def query(self) -> None:
        step(6, "Querying through pgadapter with psycopg and psql, tagged by sqlcommenter")
        import psycopg
        from dbtools.sqlcommenter import comment, tagged
        from dbtools.sqlcommenter.psycopg import connect

        port = self.start_pgadapter()
        conninfo = f"host=127.0.0.1 port={port} dbname={self.database} sslmode=disable"
        answered = 0
        try:
            with connect(
                conninfo, autocommit=True, sqlcomment={"application": "dbtools-demo"}
            ) as conn:
                for route, sql, params in QUERIES:
                    with tagged(route=route), conn.cursor() as cur:
                        cur.execute(sql, params or None)
                        rows = cur.fetchall()
                        header = [d.name for d in cur.description or []]
                    say(f"    psycopg {route}: {' | '.join(header)}")
                    for row in rows:
                        say("        " + " | ".join(str(v) for v in row))
                    answered += bool(rows)
        except psycopg.Error as exc:
            self.fail(f"psycopg query through pgadapter: {exc}")
        say(f"    psycopg: {answered} of {len(QUERIES)} queries answered")
        if answered != len(QUERIES):
            self.fail("a psycopg query returned no rows")
        psql = shutil.which("psql")
        if psql is None:
            say("    psql is not installed: skipped")
            return
        sql = comment(PSQL_QUERY, {"application": "dbtools-demo", "client": "psql"})
        argv = [psql, conninfo, "-X", "-c", sql]
        proc = self.run_cli(argv)
        if proc.returncode != 0:
            self.fail(f"psql exited with {proc.returncode}")
        else:
            say(indent(proc.stdout))

    def statement_log(self) -> None:
        step(7, "The sqlcommenter tags as Spanner received them (spanner-local's statement log)")
        if self.endpoint is None:
            say("    the statement log is a spanner-local feature; this target has none to show")
            return
        from dbtools.sqlcommenter import parse

        seen = 0
        for rec in self.endpoint.statement_log:
            tags = parse(rec.sql or "").tags if rec.sql and "/*" in rec.sql else {}
            if tags.get("application") != "dbtools-demo":
                continue
            seen += 1
            first = " ".join((rec.sql or "").split())[:60]
            say(f"    {rec.kind:<6} {first}...")
            say("           " + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())))
        say(f"    {seen} tagged statements in the log")
        if seen < len(QUERIES):
            self.fail(f"only {seen} tagged statements reached Spanner (expected {len(QUERIES)}+)")

    def run(self) -> int:
        say(f"dbtools demo (work directory {self.work})")
        try:
            self.source()
            self.target()
            self.migrate()
            if self.args.plant_difference:
                self.plant()
            self.validate_columns()
            self.validate_rows()
            self.query()
            self.statement_log()
        except StepFailed as exc:
            self.fail(str(exc))
        say()
        took = time.monotonic() - self.t0
        if self.failures:
            say(f"Demo FAILED in {took:.0f}s: " + "; ".join(self.failures))
            return 1
        say(f"Demo finished in {took:.0f}s: migrated, validated (no differences) and queried.")
        return 0

    def close(self) -> None:
        if self.pgadapter is not None:
            self.pgadapter.terminate()
            try:
                self.pgadapter.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.pgadapter.kill()
        if self.endpoint is not None:
            self.endpoint.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    doc = (__doc__ or "").split("\n\n")
    p = argparse.ArgumentParser(
        description=doc[0],
        epilog="examples:\n" + doc[1] + "\n\n" + "\n\n".join(doc[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--source-url",
        default=env("DBTOOLS_DEMO_SOURCE_URL"),
        help="live source instead of the bundled SQLite shop: mysql://..., postgresql://...",
    )
    p.add_argument(
        "--emulator-host",
        default=env("DBTOOLS_DEMO_EMULATOR_HOST") or env("SPANNER_EMULATOR_HOST"),
        help="HOST:PORT of the Spanner emulator or a spanner-local server",
    )
    p.add_argument(
        "--project",
        default=env("DBTOOLS_DEMO_PROJECT"),
        help="Spanner project; without --emulator-host this means Cloud Spanner",
    )
    p.add_argument("--instance", default=env("DBTOOLS_DEMO_INSTANCE"), help="[test-instance]")
    p.add_argument(
        "--database",
        default=env("DBTOOLS_DEMO_DATABASE"),
        help="a database that does not exist yet [shop; shop_<random> on external targets]",
    )
    p.add_argument(
        "--plant-difference",
        action="store_true",
        default=env("DBTOOLS_DEMO_PLANT_DIFFERENCE", "") not in ("", "0"),
        help="change one row in Spanner after the migration (dvt must report it; exit 1)",
    )
    p.add_argument("--workdir", default=env("DBTOOLS_DEMO_WORKDIR"), help="where outputs go")
    args = p.parse_args(argv)
    args.project_given = bool(args.project)
    external = args.emulator_host or args.project_given
    args.project = args.project or "test-project"
    args.instance = args.instance or "test-instance"
    if not args.database:
        # A fresh name on servers that outlive the demo, so that a second run starts clean.
        args.database = f"shop_{uuid.uuid4().hex[:8]}" if external else "shop"
    return args


def main(argv: list[str] | None = None) -> int:
    demo = Demo(parse_args(argv))
    try:
        return demo.run()
    finally:
        demo.close()


if __name__ == "__main__":
    sys.exit(main())
