"""Developer sessions for the dbtools monorepo.

    nox -s tests                 # every package's tests against the real local servers
    nox -s tests -- sqlcommenter # one package (folder name under tests/), extra args go to pytest
    nox -s lint typecheck        # ruff, mypy
    nox -s bench -- dvt          # side-by-side benchmarks against the reference tools
    nox -s demo                  # the end-to-end demo

Packages are discovered from the tree (packages/*/ and pgadapter/), so adding a package needs no
change here: give its pyproject.toml a `test` extra for what its tests need and, if it has a
benchmark, a `benchmarks/<name>/requirements.txt` for the reference tools.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox
import tomllib

ROOT = Path(__file__).parent
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = True

PYTHON = os.environ.get("DBTOOLS_PYTHON", "3.11")


def package_dirs() -> list[Path]:
    found = [p.parent for p in ROOT.glob("packages/*/pyproject.toml")]
    found += [p.parent for p in ROOT.glob("pgadapter/pyproject.toml")]
    return sorted(found)


def _extras(pkg: Path) -> set[str]:
    meta = tomllib.loads((pkg / "pyproject.toml").read_text())
    return set(meta.get("project", {}).get("optional-dependencies", {}))


def install_workspace(session: nox.Session, extra: str | None = "test") -> None:
    """Install every package editable, with `extra` where the package defines it."""
    args: list[str] = []
    for pkg in package_dirs():
        wanted = sorted({extra} & _extras(pkg)) if extra else []
        spec = f"{pkg}[{','.join(wanted)}]" if wanted else str(pkg)
        args += ["-e", spec]
    session.install(*args, "-r", str(ROOT / "tests" / "requirements.txt"))


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
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy over every package's sources."""
    install_workspace(session)
    session.install("mypy", "types-PyYAML")
    sources = [str(p / "src") for p in package_dirs()]
    session.run("mypy", *sources)


BENCHMARKS = sorted(p.parent.name for p in ROOT.glob("benchmarks/*/bench.py"))


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
        session.install("-r", str(reqs))
    session.run("python", str(bench_dir / "bench.py"), *args)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The end-to-end demo (examples/demo.py); pass its flags after `--`."""
    install_workspace(session, extra=None)
    session.run("python", str(ROOT / "examples" / "demo.py"), *session.posargs)
