"""Developer sessions for the dbtools monorepo.

    nox -s demo                  # the end-to-end demo (README)
    nox -s tests                 # every package's tests against the real local servers
    nox -s tests -- sqlcommenter # one package (folder name under tests/), extra args go to pytest
    nox -s lint typecheck        # ruff and vulture, mypy
    nox -s bench -- dvt          # side-by-side benchmarks against the reference tools
    nox -s lock                  # re-resolve constraints.txt (the one environment) from PyPI
    nox -s conformance           # google-cloud-spanner's own system tests against spanner-local
    nox -s conformance-orm       # sqlalchemy-spanner's and django-google-spanner's suites (not CI)
    nox -s build                 # wheels + sdists in dist/, metadata checked, quick starts run
    nox -t floors                # every package at its lowest dependencies, on its lowest Python

Every environment is installed with `-c constraints.txt`, so a fresh machine gets exactly the
versions CI tested; only `floors` ignores it on purpose, to prove the floors in each pyproject.

Packages are discovered from the tree (packages/*/ and pgadapter/), so adding a package needs no
change here: give its pyproject.toml a `test` extra for what its tests need and, if it has a
benchmark, a `benchmarks/<name>/requirements.txt` for the reference tools. A reference tool whose
pins clash with ours goes in `benchmarks/<name>/reference.txt` instead: it gets a venv of its own
(locked in `benchmarks/<name>/reference-constraints.txt`) whose bin/ is put on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
LOCK = ROOT / "constraints.txt"
nox.options.default_venv_backend = "uv|virtualenv"
# uv installs without compiling bytecode, and where PYTHONDONTWRITEBYTECODE is set (as on CI
# machines) every process then compiles its imports from source: each Beam DirectRunner worker
# recompiled Beam, numpy and pandas, ~17 s of CPU for a two-worker pipeline against ~5.5 s with
# the bytecode written at install time (packages/migrate/README.md, "Speed and sizing").
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")
nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = True

# The sessions' Python: the one running nox (by path, so a pyenv or venv Python that is not on
# PATH under its versioned name still works), or DBTOOLS_PYTHON=3.12.
PYTHON = os.environ.get("DBTOOLS_PYTHON") or sys.executable
LOWEST_PYTHON = "3.10"  # the lowest Python any package allows (its `requires-python`)
SESSIONS_LOWEST_PYTHON = "3.11"  # the sessions install spanner-local, which needs 3.11


def _interpreter(version: str) -> str:
    """`version` as nox finds it on PATH, else a pyenv install of it that is not on PATH."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-V"], capture_output=True).returncode == 0:
        return version
    pyenv = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    return str(pyenv[-1]) if pyenv else version


# Tools the sessions install besides the packages; locked with them.
TOOLS = ["ruff", "mypy", "types-PyYAML", "vulture", "build", "twine"]


def package_dirs() -> list[Path]:
    found = [p.parent for p in ROOT.glob("packages/*/pyproject.toml")]
    found += [p.parent for p in ROOT.glob("pgadapter/pyproject.toml")]
    return sorted(found)


def _project(pkg: Path) -> dict:
    return nox.project.load_toml(pkg / "pyproject.toml")["project"]


def _extras(pkg: Path) -> set[str]:
    return set(_project(pkg).get("optional-dependencies", {}))


def _constrained(session: nox.Session, *args: str) -> None:
    session.install("-c", str(LOCK), *args)


def install_workspace(session: nox.Session, extra: str | None = "test") -> None:
    """Install every package editable, with `extra` where the package defines it."""
    args: list[str] = []
    for pkg in package_dirs():
        wanted = sorted({extra} & _extras(pkg)) if extra else []
        spec = f"{pkg}[{','.join(wanted)}]" if wanted else str(pkg)
        args += ["-e", spec]
    _constrained(session, *args, "-r", str(ROOT / "tests" / "requirements.txt"))


def _split_target(posargs: list[str]) -> tuple[list[str], list[str]]:
    """`-- sqlcommenter -k foo` → (["tests/sqlcommenter"], ["-k", "foo"])."""
    targets, rest = [], []
    for arg in posargs:
        if not rest and not arg.startswith("-") and (ROOT / "tests" / arg).is_dir():
            targets.append(f"tests/{arg}")
        else:
            rest.append(arg)
    return targets, rest


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (all packages, or the ones named after `--`)."""
    install_workspace(session)
    targets, rest = _split_target(session.posargs)
    session.run("pytest", *(targets or ["tests"]), *rest)


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """The official google-cloud-spanner system tests, unmodified, against spanner-local."""
    _constrained(session, "-e", f"{ROOT / 'packages' / 'spanner-local'}[conformance]")
    runner = ROOT / "tests" / "spanner-local" / "conformance"
    known = ["--known-failures", str(runner / "known_failures.txt")]
    session.run("python", str(runner / "run_official.py"), *(session.posargs or known))


@nox.session(python=PYTHON, name="conformance-orm")
def conformance_orm(session: nox.Session) -> None:
    """sqlalchemy-spanner's and django-google-spanner's own compliance suites against
    spanner-local. Not part of CI: the SQLAlchemy suite alone runs for several minutes."""
    _constrained(session, "-e", f"{ROOT / 'packages' / 'spanner-local'}[conformance-orm]")
    runner = ROOT / "tests" / "spanner-local" / "conformance" / "run_orm.py"
    session.run("python", str(runner), *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check and vulture (dead code) over the whole tree."""
    _constrained(session, "ruff", "vulture")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("vulture")  # dead code; paths and the allow-list: [tool.vulture] in pyproject.toml


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy over every package's sources."""
    install_workspace(session)
    _constrained(session, "mypy", "types-PyYAML")
    # By import name: the packages share the `dbtools` namespace across several src/ folders.
    modules = [
        m.name for p in package_dirs() for m in (p / "src" / "dbtools").iterdir() if m.is_dir()
    ]
    session.run("mypy", *(arg for m in sorted(modules) for arg in ("-p", f"dbtools.{m}")))


BENCHMARKS = sorted(p.parent.name for p in ROOT.glob("benchmarks/*/bench.py"))


def _reference_venv(session: nox.Session, bench_dir: Path) -> None:
    """The reference tool in a venv of its own, on PATH after ours (its pins clash with ours)."""
    ref = bench_dir / "reference.txt"
    if not ref.exists():
        return
    venv = Path(session.virtualenv.location).with_name(f"{bench_dir.name}-reference")
    if not (venv / "bin" / "python").exists():
        session.run("uv", "venv", "--python", PYTHON, str(venv), external=True)
    session.run(
        "uv", "pip", "install", "--python", str(venv / "bin" / "python"),
        "-c", str(bench_dir / "reference-constraints.txt"), "-r", str(ref),
        external=True,
    )  # fmt: skip
    session.env["PATH"] = os.pathsep.join([session.env.get("PATH") or "", str(venv / "bin")])


@nox.session(python=PYTHON)
@nox.parametrize("name", BENCHMARKS, ids=BENCHMARKS)
def bench(session: nox.Session, name: str) -> None:
    """benchmarks/<name>/bench.py, each in its own venv: `nox -s bench [-- dvt [args]]`."""
    args = list(session.posargs)
    if args and args[0] in BENCHMARKS:
        if args[0] != name:
            session.skip(f"only {args[0]} was asked for")
        args = args[1:]
    install_workspace(session, extra=None)
    bench_dir = ROOT / "benchmarks" / name
    reqs = bench_dir / "requirements.txt"
    if reqs.exists():
        _constrained(session, "-r", str(reqs))
    _reference_venv(session, bench_dir)
    session.run("python", str(bench_dir / "bench.py"), *args)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The end-to-end demo (examples/demo.py); pass its flags after `--`."""
    install_workspace(session, extra=None)
    session.run("python", str(ROOT / "examples" / "demo.py"), *session.posargs)


def _lock_inputs() -> list[str]:
    """Everything any session installs, so that one resolution covers them all."""
    lines = []
    for pkg in package_dirs():
        extras = ",".join(sorted(_extras(pkg)))
        lines.append(f"-e {pkg}[{extras}]" if extras else f"-e {pkg}")
    lines.append(f"-r {ROOT / 'tests' / 'requirements.txt'}")
    lines += [f"-r {p}" for p in sorted(ROOT.glob("benchmarks/*/requirements.txt"))]
    return lines + TOOLS


def _compile(session: nox.Session, inputs: list[str], out: Path, *extra: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        infile = Path(tmp) / "lock.in"
        infile.write_text("\n".join(inputs) + "\n")
        no_emit = [a for p in package_dirs() for a in ("--no-emit-package", _project(p)["name"])]
        session.run(
            "uv", "pip", "compile", str(infile), "--universal",
            "--python-version", SESSIONS_LOWEST_PYTHON, "--no-header", "--no-annotate",
            *no_emit, *extra, "-o", str(out),
            external=True, env={"UV_PYTHON_DOWNLOADS": "never"},
        )  # fmt: skip
    body = out.read_text()
    out.write_text(
        "# The one environment: every nox session installs with `-c` this file.\n"
        "# Regenerate with `nox -s lock` (pass `-- --upgrade` to move to the newest releases).\n"
        + body
    )


@nox.session(python=PYTHON, venv_backend="none")
def lock(session: nox.Session) -> None:
    """Resolve constraints.txt (and each benchmark's reference-constraints.txt) from PyPI."""
    _compile(session, _lock_inputs(), LOCK, *session.posargs)
    for ref in sorted(ROOT.glob("benchmarks/*/reference.txt")):
        _compile(session, [f"-r {ref}"], ref.with_name("reference-constraints.txt"))


def _quickstart(session: nox.Session, packages: list[str]) -> None:
    session.run("python", str(ROOT / "tests" / "smoke" / "quickstart.py"), *packages)


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build a wheel and an sdist of every package, check them, install the wheels, run quick starts."""
    _constrained(session, "build", "twine")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for pkg in package_dirs():
        session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist), str(pkg))
    session.run("twine", "check", "--strict", *map(str, sorted(dist.iterdir())))
    wheels = sorted(str(w) for w in dist.glob("*.whl"))
    # Not editable, and nothing from the checkout but the wheels: the extras the quick starts need.
    session.install(
        "-c", str(LOCK), "--reinstall", *wheels,
        "dbtools-connector[psycopg]", "dbtools-dvt[duckdb,spanner]", "cloud-sql-python-connector[psycopg]",
        "--find-links", str(dist),
    )  # fmt: skip
    _quickstart(session, [p.name for p in package_dirs()])


FLOOR_SETS = {  # what each package's quick start needs beside it, at its own floors
    "sqlcommenter": ["packages/sqlcommenter[sqlalchemy]"],
    "connector": ["packages/connector[psycopg]", "packages/cloudsql-local"],
    "cloudsql-local": ["packages/cloudsql-local"],
    "spanner-local": ["packages/spanner-local"],
    "pgadapter": ["pgadapter", "packages/spanner-local"],
    "migrate": ["packages/migrate", "packages/beam-cli", "packages/spanner-local"],
    "dvt": ["packages/dvt", "packages/beam-cli"],
    "beam-cli": ["packages/beam-cli"],
}
# Needed by a quick start but not a dependency of the package: the newest release that installs
# on the floor's Python (the lock, made for the sessions' Python, may pin one that does not).
FLOOR_HELPERS = {"cloudsql-local": ["cloud-sql-python-connector[psycopg]", "psycopg[binary]"]}


def _lowest_python(specs: list[str]) -> str:
    """The lowest Python every package in `specs` allows (their `requires-python` floors)."""
    floors = []
    for spec in specs:
        pkg = ROOT / spec.split("[")[0]
        wanted = _project(pkg).get("requires-python", f">={LOWEST_PYTHON}")
        floors.append(tuple(int(p) for p in wanted.split(">=")[1].split(",")[0].split(".")))
    return ".".join(map(str, max(floors)))


def _floor_session(name: str) -> None:
    specs = FLOOR_SETS[name]

    def floor(session: nox.Session) -> None:
        session.install("--resolution", "lowest-direct", *(str(ROOT / s) for s in specs))
        if FLOOR_HELPERS.get(name):
            session.install(*FLOOR_HELPERS[name])
        session.run(
            "uv", "pip", "list", "--python", str(Path(session.bin) / "python"), external=True
        )
        _quickstart(session, [name])

    floor.__doc__ = f"{name} at its lowest dependencies, on its lowest Python, quick start run."
    python = _interpreter(_lowest_python(specs))
    nox.session(name=f"floors-{name}", python=python, tags=["floors"])(floor)


for _name in sorted(FLOOR_SETS):
    _floor_session(_name)
