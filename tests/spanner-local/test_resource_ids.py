"""Project, instance and database ids follow Spanner's grammar before they reach the disk."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from dbtools import spanner_local
from dbtools.spanner_local import ids
from dbtools.spanner_local.errors import InvalidArgument
from google.api_core import exceptions
from google.cloud.spanner_admin_instance_v1.types import Instance

HOSTILE = [
    "..",
    ".",
    "../..",
    "a/b",
    "/etc",
    "%2e%2e",
    "%2E%2E",
    "x\x00y",
    "a" * 65,
    "",
    "UPPER",
    "ends-",
    "9starts",
    "a..b",
    "a\\b",
]


def _snapshot(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def sandbox(tmp_path):
    """A server with its data dir two levels below tmp_path, and a file outside it to guard."""
    data = tmp_path / "outer" / "data"
    victim = tmp_path / "victim.json"
    victim.write_text("keep me")
    with spanner_local.serve(data_dir=data) as ep:
        before = _snapshot(tmp_path)
        yield ep, tmp_path, before
    assert victim.read_text() == "keep me"


def _outside(tmp_path, before):
    """Paths created outside <tmp>/outer/data since `before`."""
    return [
        p
        for p in _snapshot(tmp_path)
        if p not in before and not p.startswith(os.path.join("outer", "data"))
    ]


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_instance_ids_are_invalid_argument(sandbox, bad):
    ep, tmp_path, before = sandbox
    client = ep.client()
    project = f"projects/{ep.project}"
    with pytest.raises(exceptions.InvalidArgument, match="instance"):
        client.instance_admin_api.create_instance(
            parent=project, instance_id=bad, instance=Instance(display_name="x")
        ).result(30)
    with pytest.raises(exceptions.InvalidArgument, match="instance"):
        client.instance_admin_api.get_instance(name=f"{project}/instances/{bad}")
    with pytest.raises(exceptions.InvalidArgument, match="instance"):
        client.database_admin_api.create_database(
            parent=f"{project}/instances/{bad}", create_statement="CREATE DATABASE `okdb`"
        ).result(30)
    with pytest.raises(exceptions.InvalidArgument, match="instance"):
        client.instance_admin_api.delete_instance(name=f"{project}/instances/{bad}")
    assert _outside(tmp_path, before) == []


@pytest.mark.parametrize("bad", [*HOSTILE, "a" * 31, "a_"])
def test_hostile_database_ids_are_invalid_argument(sandbox, bad):
    ep, tmp_path, before = sandbox
    client = ep.client()
    parent = f"projects/{ep.project}/instances/{ep.instance}"
    with pytest.raises(exceptions.InvalidArgument, match=r"(?i)database"):
        client.database_admin_api.create_database(
            parent=parent, create_statement=f"CREATE DATABASE `{bad}`"
        ).result(30)
    with pytest.raises(exceptions.InvalidArgument, match=r"(?i)database"):
        client.database_admin_api.drop_database(database=f"{parent}/databases/{bad}")
    with pytest.raises(exceptions.InvalidArgument, match=r"(?i)database"):
        client.database_admin_api.get_database(name=f"{parent}/databases/{bad}")
    assert _outside(tmp_path, before) == []


@pytest.mark.parametrize("bad", [*HOSTILE, "short", "a" * 31])
def test_hostile_project_ids_are_invalid_argument(sandbox, bad):
    ep, tmp_path, before = sandbox
    api = ep.client().database_admin_api
    with pytest.raises(exceptions.InvalidArgument, match="project"):
        api.create_database(
            parent=f"projects/{bad}/instances/inst", create_statement="CREATE DATABASE `okdb`"
        ).result(30)
    with pytest.raises(exceptions.InvalidArgument, match="project"):
        ep.client().instance_admin_api.get_instance(name=f"projects/{bad}/instances/inst")
    assert _outside(tmp_path, before) == []


def test_two_levels_up_cannot_be_reached(sandbox):
    """The original report: instance `..` of project `..` wrote and deleted files outside."""
    ep, tmp_path, before = sandbox
    api = ep.client().database_admin_api
    with pytest.raises(exceptions.InvalidArgument):
        api.create_database(
            parent="projects/../instances/..", create_statement="CREATE DATABASE `victim`"
        ).result(30)
    with pytest.raises(exceptions.InvalidArgument):
        api.drop_database(database="projects/../instances/../databases/victim")
    assert _outside(tmp_path, before) == []


def test_valid_ids_at_the_limits_work(tmp_path):
    project = "p" + "-" * 28 + "1"  # 30 characters
    instance = "i" + "x" * 62 + "9"  # 64 characters
    database = "d" + "_" * 28 + "9"  # 30 characters
    with spanner_local.serve(data_dir=tmp_path, project=project, instance=instance) as ep:
        db = ep.client().instance(instance).database(database)
        db.create().result(30)
        assert db.exists()
        db2 = ep.client().instance("ab").database("cd")
        db2.create().result(30)
    assert (tmp_path / project / instance / f"{database}.duckdb").exists()
    assert (tmp_path / project / "ab" / "cd.duckdb").exists()


def test_serve_rejects_a_bad_project_or_instance(tmp_path):
    with pytest.raises(InvalidArgument, match="project id"):
        with spanner_local.serve(data_dir=tmp_path, project=".."):
            pass
    with pytest.raises(InvalidArgument, match="instance id"):
        with spanner_local.serve(data_dir=tmp_path, instance="../x"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_foreign_folders_in_the_data_dir_are_not_loaded(tmp_path):
    (tmp_path / "Not_A_Project" / "inst").mkdir(parents=True)
    (tmp_path / "test-project" / "BAD..").mkdir(parents=True)
    with spanner_local.serve(data_dir=tmp_path) as ep:
        names = sorted(i.name for i in ep.client().list_instances())
    assert names == [f"projects/test-project/instances/{ep.instance}"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("my-project", True),
        ("example.com:my-project", True),
        ("123456789012", True),
        ("0123", False),
        ("my-project-", False),
        ("example.com:..", False),
        ("../my-project", False),
    ],
)
def test_project_id_grammar(value, ok):
    assert ids.is_project_id(value) is ok


def test_inside_refuses_escapes(tmp_path):
    assert ids.inside(tmp_path, "a", "b") == tmp_path.resolve() / "a" / "b"
    for parts in [("..",), ("a", "..", ".."), ("/etc",), (".",)]:
        with pytest.raises(InvalidArgument):
            ids.inside(tmp_path, *parts)


def test_cli_rejects_a_bad_project_id(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "spanner-local")
    out = subprocess.run(
        [exe, "--port", "0", "--data-dir", str(tmp_path / "d"), "--project", "../.."],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Invalid project id" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "d").exists()
