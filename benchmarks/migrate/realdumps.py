"""Parse + convert rows/s on dumps written by the real mysqldump and pg_dump (imported by
bench.py, `--real-dumps`).

The benchmark table (the same six columns as databench.py) is built in the local MariaDB and
PostgreSQL, dumped with each common variant, and every dump is loaded into a null target on
one core (CPU time of this process; the schema pass over the dump included, as in a real run).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import uuid
from pathlib import Path

import databench

MYSQL_VARIANTS = {
    "default (one row per line)": [],
    "--skip-extended-insert": ["--skip-extended-insert"],
    "--complete-insert": ["--complete-insert"],
    "--hex-blob": ["--hex-blob"],
}
PG_VARIANTS = {
    "default (COPY)": [],
    "--inserts": ["--inserts"],
    "--column-inserts": ["--column-inserts"],
}

MYSQL_TABLE = (
    "CREATE TABLE orders (id bigint NOT NULL, customer_id int NOT NULL, status varchar(20) NOT "
    "NULL, amount decimal(12,2) NOT NULL, created_at datetime NOT NULL, note text, PRIMARY KEY "
    "(id)); INSERT INTO orders SELECT seq, seq % 977, 'shipped', (seq % 1000) + (seq % 100) / "
    "100, '2024-01-01 10:00:00' + INTERVAL (seq % 100000) MINUTE, CONCAT('note ', seq, ' with "
    "\\'quote\\'') FROM seq_1_to_{rows};"
)
PG_TABLE = (
    "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status varchar(20) "
    "NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamp NOT NULL, note text); INSERT "
    "INTO orders SELECT g, g % 977, 'shipped', (g % 1000) + (g % 100) / 100.0, timestamp "
    "'2024-01-01 10:00' + (g % 100000) * interval '1 minute', 'note ' || g || ' with ''quote''' "
    "FROM generate_series(1, {rows}) g;"
)


def _mysql(*args: str, stdin: str | None = None, out: Path | None = None) -> None:
    with out.open("wb") if out else open(os.devnull, "wb") as sink:
        subprocess.run(list(args), input=stdin.encode() if stdin else None, stdout=sink, check=True)


def run(tmp: Path, rows: int, repeat: int) -> None:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    my = ["-h", "127.0.0.1", "-u", "root"]
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    dumps: list[tuple[str, str, Path]] = []
    try:
        _mysql(
            "mysql",
            *my,
            stdin=f"CREATE DATABASE {name}; USE {name}; " + MYSQL_TABLE.format(rows=rows),
        )
        for label, opts in MYSQL_VARIANTS.items():
            path = tmp / f"my{len(dumps)}.sql"
            _mysql("mysqldump", *my, *opts, name, out=path)
            dumps.append(("mysql", "mysqldump " + label, path))
        _mysql("psql", *pg, "-q", "-c", f"CREATE DATABASE {name}")
        _mysql("psql", *pg, "-q", "-d", name, "-c", PG_TABLE.format(rows=rows))
        for label, opts in PG_VARIANTS.items():
            path = tmp / f"pg{len(dumps)}.sql"
            _mysql("pg_dump", *pg, *opts, name, out=path)
            dumps.append(("postgres", "pg_dump " + label, path))
    finally:
        _mysql("mysql", *my, stdin=f"DROP DATABASE IF EXISTS {name};")
        _mysql("psql", *pg, "-q", "-c", f"DROP DATABASE IF EXISTS {name}")
    print(f"| dump ({rows:,} rows) | MB | best rows/s | median rows/s |")
    print("|---|---|---|---|")
    for engine, label, path in dumps:
        cpus = databench.rows_per_second(path, rows, tmp, repeat, engine)
        size = path.stat().st_size / 1e6
        print(
            f"| {label} | {size:.0f} | {rows / min(cpus):,.0f} | "
            f"{rows / statistics.median(cpus):,.0f} |",
            flush=True,
        )
        path.unlink()
    print(f"(load average {os.getloadavg()[0]:.1f}; CPU time of one process, one core)")
