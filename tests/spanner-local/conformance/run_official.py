"""Run the official google-cloud-spanner system tests, unmodified, against spanner-local.

The suite ships inside the client's source distribution (`tests/system/`). It is written for
the official emulator; this script configures it the way the client's own emulator CI does
(environment variables only) and points it at a spanner-local started on a free port:

    pip install -e 'packages/spanner-local[conformance]'
    python tests/spanner-local/conformance/run_official.py            # both dialects
    python tests/spanner-local/conformance/run_official.py --dialect POSTGRESQL -- -k dbapi

It downloads the source distribution of the *installed* client version once (cached under
~/.cache/dbtools/conformance), prints passed/failed/errors/skipped per dialect, and exits
non-zero when any test failed or errored.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

DIST = "google-cloud-spanner"
DIALECTS = ("GOOGLE_STANDARD_SQL", "POSTGRESQL")
CACHE = Path(os.environ.get("DBTOOLS_CACHE", Path.home() / ".cache" / "dbtools")) / "conformance"

# What the client's emulator CI sets (its GitHub workflow and its nox `system` session).
CI_ENV = {
    "GOOGLE_CLOUD_PROJECT": "emulator-test-project",
    "GCLOUD_PROJECT": "emulator-test-project",
    "GOOGLE_CLOUD_TESTS_CREATE_SPANNER_INSTANCE": "true",
    "SKIP_BACKUP_TESTS": "true",
}


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    not_passed: set[str] = field(default_factory=set)  # ids of the failed and errored tests
    passed_ids: set[str] = field(default_factory=set)

    def ok(self) -> bool:
        return self.failed == 0 and self.errors == 0

    def __str__(self) -> str:
        return (
            f"{self.passed} passed, {self.failed} failed, {self.errors} errors, "
            f"{self.skipped} skipped"
        )


def sdist_tree(version: str) -> Path:
    """The unpacked source distribution of `google-cloud-spanner==version` (downloaded once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tree = CACHE / f"google_cloud_spanner-{version}"
    if (tree / "tests" / "system").is_dir():
        return tree
    archive = CACHE / f"google_cloud_spanner-{version}.tar.gz"
    if not archive.exists():
        if importlib.util.find_spec("pip") is None:
            raise SystemExit(
                "pip is needed to download the source distribution: install the "
                "'conformance' extra of dbtools-spanner-local (it includes pip)"
            )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-binary",
                ":all:",
                "--no-deps",
                "--dest",
                str(CACHE),
                f"{DIST}=={version}",
            ],
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    if not (tree / "tests" / "system").is_dir():
        raise SystemExit(f"{archive} has no tests/system directory")
    return tree


def start_server() -> tuple[subprocess.Popen[str], str]:
    """spanner-local in its own process on a free port, as a real emulator would run."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dbtools.spanner_local.cli",
            "--port",
            "0",
            "--format",
            "json",
            "--no-statement-log",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"spanner-local did not start (exit code {proc.wait()})")
    return proc, json.loads(line)["address"]


# The async tests carry their own pytest.ini (asyncio mode), so upstream runs them as a separate
# pytest invocation; each entry is (junit name, pytest arguments).
SUITES = (
    ("sync", ["tests/system", "--ignore=tests/system/_async"]),
    ("async", ["tests/system/_async"]),
)


def count(junit: Path, counts: Counts) -> Counts:
    for case in ET.parse(junit).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        test_id = f"{case.get('classname')}::{case.get('name')}"
        if "error" in tags:
            counts.errors += 1
            counts.not_passed.add(test_id)
        elif "failure" in tags:
            counts.failed += 1
            counts.not_passed.add(test_id)
        elif "skipped" in tags:
            counts.skipped += 1
        else:
            counts.passed += 1
            counts.passed_ids.add(test_id)
    return counts


def read_known(path: Path) -> dict[str, str]:
    """`DIALECT classname::name  # reason` per line: failures explained and tracked."""
    known: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line, _, reason = raw.partition("#")
        if line.strip():
            known[" ".join(line.split())] = reason.strip()
    return known


def judge(results: dict[str, Counts], known: dict[str, str]) -> bool:
    """Every failure must be a known one (printed with its reason); a known one that now passes
    must leave the list, so that the list never hides a fixed test."""
    unexpected = [f"{d} {t}" for d, c in results.items() for t in sorted(c.not_passed)
                  if f"{d} {t}" not in known]  # fmt: skip
    fixed = [f"{d} {t}" for d, c in results.items() for t in sorted(c.passed_ids)
             if f"{d} {t}" in known]  # fmt: skip
    expected = [k for k in known if k.split()[0] in results and k not in fixed]
    if expected:
        print(f"\nknown failures ({len(expected)}), each with its reason:")
        for key in expected:
            print(f"  {key}\n      {known[key]}")
    for key in unexpected:
        print(f"UNEXPECTED failure or error: {key}")
    for key in fixed:
        print(f"now passes, remove it from the known failures: {key}")
    return not unexpected and not fixed


def run_dialect(
    tree: Path, dialect: str, pytest_args: list[str], beyond_emulator: bool = False
) -> Counts:
    proc, address = start_server()
    env = {
        **os.environ,
        **CI_ENV,
        "SPANNER_EMULATOR_HOST": address,
        "SPANNER_DATABASE_DIALECT": dialect,
    }
    if beyond_emulator:
        here = str(Path(__file__).resolve().parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
        pytest_args = ["-p", "beyond_emulator", *pytest_args]
    counts = Counts()
    try:
        for name, suite_args in SUITES:
            suffix = "-beyond" if beyond_emulator else ""
            junit = CACHE / f"junit-{dialect}-{name}{suffix}.xml"
            junit.unlink(missing_ok=True)
            rc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    *suite_args,
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    f"--junitxml={junit}",
                    *pytest_args,
                ],
                cwd=tree,
                env=env,
                check=False,
            ).returncode
            # 0: all passed, 1: some failed, 5: nothing selected; anything else is a crash
            # (usage error, internal error, interrupted) that the junit counts would hide.
            if rc not in (0, 1, 5) or not junit.exists():
                print(f"pytest for the {name} suite ({dialect}) ended with exit code {rc}")
                counts.errors += 1
                # named like a test, so that --known-failures reports it as unexpected too
                counts.not_passed.add(f"<{name} suite>::pytest exit code {rc}")
            if junit.exists():
                count(junit, counts)
    finally:
        proc.terminate()
        proc.wait(30)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=DIALECTS, action="append")
    parser.add_argument(
        "--beyond-emulator",
        action="store_true",
        help="run only the tests the suite skips because the emulator lacks a feature",
    )
    parser.add_argument(
        "--known-failures",
        type=Path,
        help="file of failures that are understood (one per line, with the reason); "
        "the run passes when exactly those fail",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    version = metadata.version(DIST)
    tree = sdist_tree(version)
    results: dict[str, tuple[Counts, float]] = {}
    for dialect in args.dialect or DIALECTS:
        began = time.monotonic()
        counts = run_dialect(tree, dialect, args.pytest_args, args.beyond_emulator)
        results[dialect] = (counts, time.monotonic() - began)
    scope = " (only those skipped for the emulator)" if args.beyond_emulator else ""
    print(f"\nofficial {DIST} {version} system tests against spanner-local{scope}:")
    for dialect, (counts, seconds) in results.items():
        print(f"  {dialect:<20} {counts} ({seconds:.0f} s)")
    if args.known_failures:
        known = read_known(args.known_failures)
        return 0 if judge({d: c for d, (c, _) in results.items()}, known) else 1
    return 0 if all(counts.ok() for counts, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
