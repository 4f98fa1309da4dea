"""dbtools-beam-cli on a command of its own: a Beam setting without --runner beam, an
in-process setting with it, and a pipeline option Beam does not know are refused before any
work, each with a message naming it; settings that apply are honoured (the command runs).

The tools' own wiring (migrate's --beam-chunk-bytes, dvt's --workers) is tested with each tool."""

from __future__ import annotations

import json
from typing import Any

import click
import pytest
from click.testing import CliRunner
from dbtools.beam_cli import (
    RunnerChoice,
    check_runner_settings,
    runner_options,
    unknown_pipeline_args,
)

RUNNER = RunnerChoice("local", "this process", "dbtools-example[beam]")


def _command() -> click.Command:
    def cmd(**kw: Any) -> None:
        beam = check_runner_settings(
            kw, RUNNER, not_for_beam={"workers": "the runner sets it"}, beam_only=("chunk",)
        )
        click.echo(json.dumps({"beam": beam, **kw}))

    options = [
        *runner_options(RUNNER, files_help="F", range_rows_help="R"),
        click.option("--workers", type=int, default=4),
        click.option("--chunk", type=int, default=10),
    ]
    for option in reversed(options):
        cmd = option(cmd)
    return click.command()(cmd)


def _run(*args: str) -> Any:
    return CliRunner().invoke(_command(), list(args))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--beam-args", "--runner=DataflowRunner"], "--beam-args applies only to --runner beam"),
        (["--beam-files", "/tmp/x"], "--beam-files applies only to --runner beam"),
        (["--beam-range-rows", "10"], "--beam-range-rows applies only to --runner beam"),
        (["--chunk", "3"], "--chunk applies only to --runner beam"),  # the tool's own
        (["--runner", "beam", "--workers", "8"], "--workers does not apply to --runner beam: "),
        # Beam only logs that it discards what it cannot parse: a typo would run locally
        (["--runner", "beam", "--beam-args", "--runnr=DataflowRunner"], "knows no option --runnr"),
        (["--runner", "fast"], "'fast' is not one of 'local', 'beam'"),
        (["--runner", "beam", "--beam-range-rows", "0"], "0 is not in the range x>=1"),
    ],
)
def test_settings_the_runner_would_ignore_are_refused(args: list[str], message: str) -> None:
    res = _run(*args)
    assert res.exit_code == 2 and message in res.output, res.output


def test_settings_that_apply_are_honoured() -> None:
    local = json.loads(_run("--workers", "2").output)
    assert local["beam"] is False and local["workers"] == 2 and local["runner"] == "local"
    beam_args = "--runner=DirectRunner --direct_num_workers=2"
    res = _run("--runner", "beam", "--chunk", "3", "--beam-args", beam_args)
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert (got["beam"], got["chunk"], got["beam_args"]) == (True, 3, beam_args)
    assert got["beam_range_rows"] == 100_000


def test_help_names_the_local_runner_and_the_extra() -> None:
    res = _run("--help")
    text = " ".join(res.output.split())
    assert text.index("--runner") < text.index("--beam-args") < text.index("--workers")
    assert "local: this process; beam: an Apache Beam pipeline" in text
    assert "(needs dbtools-example[beam])" in text


def test_beam_missing_is_refused_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "apache_beam", None)  # import raises ImportError
    res = _run("--runner", "beam")
    assert res.exit_code == 2
    assert "--runner beam needs Apache Beam: pip install 'dbtools-example[beam]'" in res.output


def test_unknown_pipeline_args_lists_each_unparseable_one() -> None:
    assert unknown_pipeline_args("--runner=DirectRunner --direct_num_workers=2") == []
    assert unknown_pipeline_args("--runnr=X --project=p --no_such_flag") == [
        "--runnr=X",
        "--no_such_flag",
    ]
