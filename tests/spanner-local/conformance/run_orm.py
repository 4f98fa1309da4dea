"""Run the ORM dialects' own compliance suites, unmodified, against spanner-local.

The suites ship in the source distributions on the package index: `sqlalchemy-spanner`'s
`tests/test_suite_20.py` (SQLAlchemy's dialect compliance suite with Spanner's overrides) and
`django-google-spanner`'s `tests/system/`. Both are written for the official emulator and are
configured here the way their emulator CI does (environment variables, the database their CI
setup script creates, pytest options); the test files are run as shipped:

    pip install -e 'packages/spanner-local[conformance]'
    python tests/spanner-local/conformance/run_orm.py               # both suites
    python tests/spanner-local/conformance/run_orm.py sqlalchemy -- -k Boolean

The source distributions leave out the glue their repositories keep beside the tests (the
SQLAlchemy suite imports `tests._helpers` and needs the dialect registered as a pytest plugin;
the Django suite needs a settings module and `django.setup()`). `orm_support/` supplies that
glue, written here; nothing in the suites is changed. Counts are printed per suite; the exit
status is non-zero when any test failed or errored.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run_official import CACHE, Counts, count, start_server  # noqa: E402

PROJECT = "emulator-test-project"


@dataclass(frozen=True)
class Suite:
    dist: str  # the distribution on the package index
    version: str  # the version whose suite is run (it matches the SQLAlchemy / Django lock)
    tests: list[str]  # pytest arguments naming the tests, relative to the unpacked sdist
    env: Callable[[str], dict[str, str]]  # spanner-local's address -> environment
    prepare: Callable[[str], None]  # what the suite's CI setup script does before the run
    args: list[str]  # further pytest arguments
    path: list[str] = field(default_factory=list)  # folders of the sdist put on PYTHONPATH


SQLA_INSTANCE = "sqlalchemy-dialect-test"
SQLA_DATABASE = "compliance-test"
SQLA_URL = (
    f"spanner+spanner:///projects/{PROJECT}/instances/{SQLA_INSTANCE}/databases/{SQLA_DATABASE}"
)


def _client(address: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import spanner

    return spanner.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": address},
    )


def _prepare_sqlalchemy(address: str) -> None:
    """What sqlalchemy-spanner's create_test_database.py does on the emulator: the instance
    `sqlalchemy-dialect-test` and its database `compliance-test`."""
    _client(address).instance(SQLA_INSTANCE).database(SQLA_DATABASE).create().result(60)


def _no_preparation(address: str) -> None:
    """The Django suite creates its instance and database itself (tests/system/.../utils.py)."""


SUITES = {
    "sqlalchemy": Suite(
        dist="sqlalchemy-spanner",
        version="1.20.1",
        tests=["tests/test_suite_20.py"],
        env=lambda address: {"DBTOOLS_SQLA_DB_URL": SQLA_URL},
        prepare=_prepare_sqlalchemy,
        # setup.cfg's --maxfail=25 would stop the count early
        args=["-p", "sqla_suite_plugin", "--dburi", SQLA_URL, "--maxfail=1000000"],
    ),
    "django": Suite(
        dist="django-google-spanner",
        version="5.2.0",
        tests=["tests/system"],
        env=lambda address: {
            "DJANGO_SETTINGS_MODULE": "django_suite_settings",
            "GOOGLE_CLOUD_TESTS_CREATE_SPANNER_INSTANCE": "true",
        },
        prepare=_no_preparation,
        args=["-p", "django_suite_plugin"],
        # The sdist has no tests/__init__.py, so pytest imports the test modules as
        # `system.django_spanner...` with tests/ on the path; the settings name that app.
        path=["tests"],
    ),
}


def unpacked_sdist(dist: str, version: str) -> Path:
    """The unpacked source distribution of `dist==version` (downloaded once, cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = f"{dist.replace('-', '_')}-{version}"
    tree = CACHE / stem
    if (tree / "tests").is_dir():
        return tree
    archive = CACHE / f"{stem}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             "--dest", str(CACHE), f"{dist}=={version}"],
            check=True,
        )  # fmt: skip
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return tree


def run_suite(name: str, suite: Suite, extra: list[str]) -> Counts:
    tree = unpacked_sdist(suite.dist, suite.version)
    proc, address = start_server()
    try:
        suite.prepare(address)
        env = {
            **os.environ,
            "SPANNER_EMULATOR_HOST": address,
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            # the glue first, then the unpacked package itself (imported from its sdist)
            "PYTHONPATH": os.pathsep.join(
                filter(
                    None,
                    [
                        str(HERE / "orm_support"),
                        str(tree),
                        *(str(tree / p) for p in suite.path),
                        os.environ.get("PYTHONPATH"),
                    ],
                )
            ),
            **suite.env(address),
        }
        junit = CACHE / f"junit-orm-{name}.xml"
        junit.unlink(missing_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pytest", *suite.tests, *suite.args, "-q", "--tb=line",
             "-p", "no:cacheprovider", f"--junitxml={junit}", *extra],
            cwd=tree, env=env, check=False,
        )  # fmt: skip
        if not junit.exists():
            raise SystemExit(f"the {name} suite produced no report")
        return count(junit, Counts())
    finally:
        proc.terminate()
        proc.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", help=f"any of {', '.join(SUITES)} (default: all)")
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    unknown = set(args.suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    results = {name: run_suite(name, SUITES[name], extra) for name in args.suites or SUITES}
    print()
    for name, counts in results.items():
        suite = SUITES[name]
        print(f"{suite.dist} {suite.version} ({' '.join(suite.tests)}): {counts}")
    return 0 if all(c.ok() for c in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
