"""Run each package README's quick start (its first code block) as written, in a scratch folder.

    python tests/smoke/quickstart.py dvt migrate ...   # names as in FLOOR_SETS of noxfile.py

Used by `nox -s build` (against the built wheels) and `nox -s floors` (against each package's
lowest dependencies), so the README is what gets tested. The environment is prepared by the
session, so `pip install` lines are left out; a shell line that ends in `# exit N` must exit N,
every other line 0. Background jobs (`cmd &`) are killed when the block ends.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
EXPECT = re.compile(r"#\s*exit\s+(\d+)\b")
TIMEOUT_S = 300


def readme(name: str) -> Path:
    own = ROOT / "packages" / name / "README.md"
    return own if own.exists() else ROOT / name / "README.md"


def first_block(path: Path) -> tuple[str, str]:
    found = FENCE.search(path.read_text())
    if not found:
        raise SystemExit(f"{path}: no code block to run")
    return found.group(1) or "sh", found.group(2)


def shell_script(block: str) -> str:
    """Each command checked for its expected exit code; no `set -e`, so `# exit 1` can hold."""
    joined = block.replace("\\\n", " ")
    out = ["trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null' EXIT"]
    for number, line in enumerate(joined.splitlines(), 1):
        command = line.strip()
        if (
            not command
            or command.startswith("#")
            or re.match(r"(python3? -m )?pip install", command)
        ):
            continue
        expect = EXPECT.search(command)
        want = int(expect.group(1)) if expect else 0
        out.append(command)
        out.append(
            f'rc=$?; if [ "$rc" -ne {want} ]; then'
            f' echo "quick start line {number}: exit $rc, expected {want}" >&2; exit 1; fi'
        )
    return "\n".join(out) + "\n"


def run(name: str) -> int:
    path = readme(name)
    lang, block = first_block(path)
    print(f"== {path.relative_to(ROOT)} ({lang})", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"quickstart-{name}-") as tmp:
        work = Path(tmp)
        for top in ("tests", "examples"):  # quick starts may name sample files by their path
            (work / top).symlink_to(ROOT / top)
        if lang == "python":
            cmd = [sys.executable, "-c", block]
        elif lang in ("sh", "bash", "console", "shell"):
            cmd = ["bash", "-c", shell_script(block)]
        else:
            raise SystemExit(f"{path}: first block is {lang!r}, not python or shell")
        try:
            done = subprocess.run(cmd, cwd=work, timeout=TIMEOUT_S, start_new_session=True)
        except subprocess.TimeoutExpired:
            print(f"{name}: quick start did not finish in {TIMEOUT_S} s", file=sys.stderr)
            return 1
        if done.returncode:
            print(f"{name}: quick start failed (exit {done.returncode})", file=sys.stderr)
        return done.returncode


def main(names: list[str]) -> int:
    failed = [n for n in names if run(n)]
    print(f"quick starts: {len(names) - len(failed)} passed, {len(failed)} failed {failed or ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
