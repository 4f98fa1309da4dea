"""The Beam commands the migrate and dvt READMEs show, held to the installed Apache Beam: every
pipeline option is one Beam parses (Beam itself would only log that it discards the others),
the runners, Flink versions and image tags exist in this Beam release, and the wheels named are
the ones the packages build, dbtools-beam-cli's first (workers install them in that order)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import apache_beam
import pytest
import tomllib
from apache_beam.options.pipeline_options import FlinkRunnerOptions, StandardOptions
from dbtools.beam_cli import unknown_pipeline_args

ROOT = Path(__file__).resolve().parents[2]
READMES = [ROOT / "packages" / "migrate" / "README.md", ROOT / "packages" / "dvt" / "README.md"]
RUNNERS = {path.rsplit(".", 1)[1] for path in StandardOptions.ALL_KNOWN_RUNNERS}


def _pipeline_args(text: str) -> list[str]:
    """Each `--beam-args '...'` of a command, and each `--runner=...` option run in the prose."""
    found = re.findall(r"--beam-args '([^']*)'", text)
    found += [m for m in re.findall(r"`(--runner=[^`]*)`", text)]
    return [" ".join(a.split()) for a in found]


def _version(package: str) -> str:
    pyproject = ROOT / "packages" / package / "pyproject.toml"
    return str(tomllib.loads(pyproject.read_text())["project"]["version"])


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_every_pipeline_option_shown_is_one_beam_knows(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    all_args = _pipeline_args(text)
    assert len(all_args) >= 3, all_args  # one machine, Dataflow, a portable runner
    runners = set()
    for args in all_args:
        assert unknown_pipeline_args(args) == [], args
        for arg in shlex.split(args):
            name, _, value = arg.partition("=")
            if name == "--runner":
                assert value in RUNNERS, value
                runners.add(value)
            if name == "--flink_version":
                assert value in FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS, value
    assert {"DataflowRunner", "PortableRunner"} <= runners


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_images_are_this_beam_release(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    beam = apache_beam.__version__
    sdk = re.findall(r"apache/beam_python3\.\d+_sdk:([\w.]+)", text)
    flink = re.findall(r"apache/beam_flink([\d.]+)_job_server:([\w.]+)", text)
    assert sdk and flink
    assert set(sdk) == {beam}
    for version, tag in flink:
        assert version in FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS and tag == beam
    for tag in re.findall(r"apache/beam_spark3_job_server:([\w.]+)", text):
        assert tag == beam


@pytest.mark.parametrize("package", ["migrate", "dvt"])
def test_the_staged_wheels_are_the_packages_own_in_install_order(package: str) -> None:
    text = (ROOT / "packages" / package / "README.md").read_text(encoding="utf-8")
    dataflow = next(a for a in _pipeline_args(text) if "--runner=DataflowRunner" in a)
    wheels = re.findall(r"--extra_package=dist/(\S+\.whl)", dataflow)
    assert wheels == [
        f"dbtools_beam_cli-{_version('beam-cli')}-py3-none-any.whl",
        f"dbtools_{package}-{_version(package)}-py3-none-any.whl",
    ]
    assert f"pip wheel --no-deps --wheel-dir dist packages/beam-cli packages/{package}" in text
