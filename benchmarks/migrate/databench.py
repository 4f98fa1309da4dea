"""Data benchmarks for spanner-migrate (imported by bench.py)."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dbtools.migrate.convert import convert
from dbtools.migrate.source import read_dump_file

DATA_SCHEMA = (
    "CREATE TABLE `orders` (`id` bigint NOT NULL, `customer_id` int NOT NULL,"
    " `status` varchar(20) NOT NULL, `amount` decimal(12,2) NOT NULL,"
    " `created_at` datetime NOT NULL, `note` text, PRIMARY KEY (`id`));\n"
)
QUOTED = "with \\'quote\\'"  # a mysqldump-escaped quote inside a string


def make_data_dump(path: Path, megabytes: float) -> int:
    """A mysqldump-style file of about `megabytes` MB (1,000 rows per INSERT); returns rows."""
    rows = 0
    with path.open("w") as f:
        f.write(DATA_SCHEMA)
        while f.tell() < megabytes * 1e6:
            vals = ",".join(
                f"({rows + i},{i % 977},'shipped',{i % 1000}.{i % 100:02d},"
                f"'2024-01-{1 + i % 28:02d} 10:{i % 60:02d}:00','note {i} {QUOTED}')"
                for i in range(1000)
            )
            f.write(f"INSERT INTO `orders` VALUES {vals};\n")
            rows += 1000
    return rows


PG_SCHEMA = (
    "CREATE TABLE public.orders (id bigint NOT NULL, customer_id integer NOT NULL,"
    " status character varying(20) NOT NULL, amount numeric(12,2) NOT NULL,"
    " created_at timestamp without time zone NOT NULL, note text);\n"
    "ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);\n"
)


def make_pg_dump(path: Path, megabytes: float) -> int:
    """The same table and rows as make_data_dump, as pg_dump writes them (one COPY block, text
    format: tab-separated, backslash escapes); returns rows."""
    rows = 0
    with path.open("w") as f:
        f.write(PG_SCHEMA)
        f.write(
            "COPY public.orders (id, customer_id, status, amount, created_at, note) FROM stdin;\n"
        )
        while f.tell() < megabytes * 1e6:
            f.write(
                "".join(
                    f"{rows + i}\t{i % 977}\tshipped\t{i % 1000}.{i % 100:02d}\t"
                    f"2024-01-{1 + i % 28:02d} 10:{i % 60:02d}:00\tnote {i} with 'quote'\n"
                    for i in range(1000)
                )
            )
            rows += 1000
        f.write("\\.\n")
    return rows


# The benchmark table with its statements written in other value forms: (label, how the dump
# text is changed). Every note is 'note N with \'quote\''.
_NOTE = re.compile(r"'(note \d+) with \\'quote\\''")
VALUE_FORMS: list[tuple[str, Callable[[str], str]]] = [
    ("plain (the benchmark)", lambda t: t),
    ("';' inside every note", lambda t: t.replace(QUOTED, QUOTED + "; semi")),
    ("escaped backslashes in every note", lambda t: t.replace(QUOTED, "with \\\\ back\\\\slash")),
    ("spaces between rows", lambda t: t.replace("),(", "), (")),
    ("lower-case null notes", lambda t: _NOTE.sub("null", t)),
    (
        "--hex-blob: note as BLOB, 0x..",
        lambda t: _NOTE.sub(lambda m: "0x" + m.group(1).encode().hex(), t).replace(
            "`note` text", "`note` blob"
        ),
    ),
    (
        "x'..' into the TEXT note",
        lambda t: _NOTE.sub(lambda m: "x'" + m.group(1).encode().hex() + "'", t),
    ),
]


def value_forms(tmp: Path, megabytes: float, repeat: int) -> None:
    """rows/s of the mysqldump benchmark with its values written in other forms."""
    plain = tmp / "forms.sql"
    rows = make_data_dump(plain, megabytes)
    text = plain.read_text()
    print("| statements | best rows/s | median rows/s |\n|---|---|---|")
    for label, change in VALUE_FORMS:
        plain.write_text(change(text))
        cpus = rows_per_second(plain, rows, tmp, repeat, "mysql")
        print(f"| {label} | {rows / min(cpus):,.0f} | {rows / statistics.median(cpus):,.0f} |")
    print(f"(load average {os.getloadavg()[0]:.1f})")
    plain.unlink()


class NullBatch:
    def __enter__(self) -> NullBatch:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def insert_or_update(self, table: str, columns: list[str], rows: list[list[object]]) -> None:
        pass


class NullDatabase:
    """Stands for Spanner when only parsing and conversion are measured."""

    def batch(self) -> NullBatch:
        return NullBatch()


def load(
    dump: Path, database: object, out: Path, parallelism: int = 1, engine: str = "mysql"
) -> int:
    from dbtools.migrate.data import Loader
    from dbtools.migrate.datasource import load_dump
    from dbtools.migrate.values import UTC

    conv = convert(read_dump_file(engine, str(dump)), "google_standard_sql")
    loader = Loader(conv, database, out, source_label=str(dump), tz=UTC, parallelism=parallelism)
    with dump.open("rb") as f:
        load_dump(loader, engine, f, [])
    return sum(t.written for t in loader.close().tables.values())


def rows_per_second(dump: Path, rows: int, out: Path, repeat: int, engine: str) -> list[float]:
    """CPU seconds of each of `repeat` dry loads of the dump (one core, no Spanner)."""
    cpus = []
    for r in range(repeat):
        # CPU time of this process (the machine is shared); includes the schema pass over the
        # dump that every `data` run makes, and the first run's regex and converter set-up
        start = time.process_time()
        written = load(dump, NullDatabase(), out / f"null-{engine}{r}", engine=engine)
        cpus.append(time.process_time() - start)
        assert written == rows, (written, rows)
    return cpus


def run(
    tmp: Path,
    megabytes: float,
    e2e_megabytes: float,
    memory_sizes: list[float],
    repeat: int = 3,
) -> None:
    for engine, make in (("mysql", make_data_dump), ("postgres", make_pg_dump)):
        dump = tmp / f"data-{engine}.sql"
        rows = make(dump, megabytes)
        cpus = rows_per_second(dump, rows, tmp, repeat, engine)
        best, median = min(cpus), statistics.median(cpus)
        load_avg = os.getloadavg()[0]
        what = "mysqldump INSERTs" if engine == "mysql" else "pg_dump COPY"
        target = "; target 200,000" if engine == "mysql" else ""
        print(
            f"data     parse + convert, {what}: {rows} rows ({dump.stat().st_size / 1e6:.0f} MB), "
            f"{repeat} runs: best {best:.2f}s cpu = {rows / best:,.0f} rows/s, median "
            f"{rows / median:,.0f} rows/s, first {rows / cpus[0]:,.0f} rows/s "
            f"(load average {load_avg:.1f}{target})"
        )
        dump.unlink()

    from dbtools import spanner_local
    from dbtools.migrate import ddl
    from dbtools.migrate.apply import apply_schema, open_database

    small = tmp / "e2e.sql"
    make_data_dump(small, e2e_megabytes)
    with spanner_local.serve() as ep:
        conv = convert(read_dump_file("mysql", str(small)), "google_standard_sql")
        target = {
            "project": ep.project,
            "instance": ep.instance,
            "database": "bench",
            "emulator_host": ep.address,
        }
        apply_schema(ddl.statements(conv.schema), dialect="google_standard_sql", **target)
        db = open_database(**target)
        start = time.perf_counter()
        written = load(small, db, tmp / "e2e", parallelism=4)
        wall = time.perf_counter() - start
    print(
        f"data     end to end into spanner-local: {written} rows in {wall:.2f}s = "
        f"{written / wall:,.0f} rows/s"
    )

    for size in memory_sizes:
        path = tmp / f"mem{size:.0f}.sql"
        make_data_dump(path, size)
        code = (
            "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import databench;"
            "databench.load(pathlib.Path(sys.argv[2]), databench.NullDatabase(),"
            " pathlib.Path(sys.argv[3]));"
            # VmHWM: this process's own peak (ru_maxrss can carry the parent's over exec)
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
        )
        args = [sys.executable, "-c", code, str(Path(__file__).parent), str(path), str(tmp / "m")]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
        peak = int(out.stdout.split()[-1]) / 1024
        print(f"data     peak memory loading a {size:.0f} MB dump: {peak:.0f} MiB")
        path.unlink()
