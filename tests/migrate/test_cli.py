"""The spanner-migrate CLI: schema (file, stdin, session), apply-schema, exit codes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dbtools.migrate.cli import main

from .conftest import spanner_args, target_args

DUMP = """
CREATE TABLE `customer` (`id` int NOT NULL AUTO_INCREMENT, `name` varchar(40) NOT NULL, `kind` enum('a','b'),
  PRIMARY KEY (`id`)) AUTO_INCREMENT=10;
CREATE TABLE `orders` (`customer_id` int NOT NULL, `order_id` int NOT NULL, `total` decimal(10,2),
  PRIMARY KEY (`customer_id`, `order_id`),
  CONSTRAINT `fk_c` FOREIGN KEY (`customer_id`) REFERENCES `customer` (`id`) ON DELETE CASCADE);
CREATE TABLE `scratch` (`x` int);
CREATE TABLE `order_lines` (`customer_id` int NOT NULL, `order_id` int NOT NULL, `line` int NOT NULL,
  PRIMARY KEY (`customer_id`, `order_id`, `line`));
-- Dump completed
"""


def run(args: list[str], input: str | None = None) -> Any:
    return CliRunner().invoke(main, args, input=input, catch_exceptions=False)


def test_schema_from_file_writes_all_outputs(tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(DUMP)
    out = tmp_path / "out"
    res = run(
        ["schema", "--source", "mysql", "--file", str(dump), "--out", str(out), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["tables"] == 4
    for name in ("schema.ddl", "report.txt", "report.json", "session.json"):
        assert (out / name).stat().st_size > 0
    rep = json.loads((out / "report.json").read_text())
    issue = rep["tables"][0]["issues"][0]
    assert {"table", "column", "severity", "explanation", "code"} <= set(issue)
    assert rep["tables"][2]["primary_key_missing"] is True
    assert "CREATE TABLE `orders`" in (out / "schema.ddl").read_text()


def test_schema_from_stdin_and_postgresql_dialect(tmp_path: Path) -> None:
    res = run(
        [
            "schema",
            "--source",
            "mysql",
            "--file",
            "-",
            "--dialect",
            "postgresql",
            "--out",
            str(tmp_path),
        ],
        input=DUMP,
    )
    assert res.exit_code == 0, res.output
    text = (tmp_path / "schema.ddl").read_text()
    assert text.startswith("-- Spanner DDL (postgresql)")
    assert '"name" character varying(40) NOT NULL' in text


def test_session_edits_are_applied(tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(DUMP)
    run(["schema", "--source", "mysql", "--file", str(dump), "--out", str(tmp_path / "a")])
    session = json.loads((tmp_path / "a" / "session.json").read_text())
    assert session["format"] == "dbtools-migrate-session" and session["version"] == 1
    tables = session["tables"]
    assert tables["order_lines"]["interleave_candidates"] == ["orders"]
    tables["customer"]["name"] = "Customers"
    tables["customer"]["columns"]["name"]["name"] = "full_name"
    tables["customer"]["columns"]["name"]["type"] = "STRING(MAX)"
    tables["orders"]["columns"]["total"]["type"] = "STRING(MAX)"
    tables["scratch"]["skip"] = True
    tables["order_lines"]["interleave_in"] = "orders"
    tables["order_lines"]["on_delete"] = "CASCADE"
    tables["customer"]["columns"]["id"]["start_counter"] = 5000
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(session))
    # the session alone is enough: it carries the source schema
    res = run(["schema", "--session", str(edited), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "b" / "schema.ddl").read_text()
    assert "CREATE TABLE `Customers`" in text and "`full_name` STRING(MAX) NOT NULL" in text
    assert "`total` STRING(MAX)" in text
    assert "scratch" not in text
    assert "INTERLEAVE IN PARENT `orders` ON DELETE CASCADE" in text
    assert "START COUNTER WITH 5000" in text
    assert "REFERENCES `Customers` (`id`)" in text
    codes = {
        i["code"]
        for t in json.loads((tmp_path / "b" / "report.json").read_text())["tables"]
        for i in t["issues"]
    }
    assert {"user_rename", "user_override", "table_skipped", "interleave_applied"} <= codes
    # and the edited session is re-emitted with the choices kept
    again = json.loads((tmp_path / "b" / "session.json").read_text())
    assert again["tables"]["customer"]["name"] == "Customers"
    assert again["tables"]["order_lines"]["interleave_in"] == "orders"


def test_session_with_bad_choices_reports_them(tmp_path: Path) -> None:
    run(["schema", "--source", "mysql", "--file", "-", "--out", str(tmp_path / "a")], input=DUMP)
    session = json.loads((tmp_path / "a" / "session.json").read_text())
    session["tables"]["orders"]["columns"]["total"]["type"] = "DECIMAL(9)"
    session["tables"]["customer"]["interleave_in"] = "orders"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(session))
    res = run(["schema", "--session", str(bad), "--out", str(tmp_path / "b"), "--fail-on", "error"])
    assert res.exit_code == 1
    codes = {
        i["code"]
        for t in json.loads((tmp_path / "b" / "report.json").read_text())["tables"]
        for i in t["issues"]
    }
    assert {"user_override_bad", "interleave_rejected"} <= codes


def test_session_file_validation(tmp_path: Path) -> None:
    bad = tmp_path / "s.json"
    bad.write_text('{"format": "something-else"}')
    res = run(["schema", "--session", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 3
    bad.write_text('{"format": "dbtools-migrate-session", "version": 99}')
    res = run(["schema", "--session", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 3


def test_usage_errors_and_unreadable_source(tmp_path: Path) -> None:
    res = run(["schema", "--file", "x.sql", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "--source" in res.output
    res = run(
        [
            "schema",
            "--source",
            "mysql",
            "--file",
            str(tmp_path / "missing.sql"),
            "--out",
            str(tmp_path),
        ]
    )
    assert res.exit_code == 3
    res = run(["schema", "--url", "oracle://x@y/z", "--out", str(tmp_path)])
    assert res.exit_code == 3
    res = run(["schema", "--url", "mysql+pymysql://root@127.0.0.1:1/none", "--out", str(tmp_path)])
    assert res.exit_code == 3


def test_fail_on_warning(tmp_path: Path) -> None:
    # scratch has no primary key: a warning, and no error
    for level, code in (("warning", 1), ("error", 0)):
        schema = ["schema", "--source", "mysql", "--file", "-", "--out", str(tmp_path)]
        res = run([*schema, "--fail-on", level], input=DUMP)
        assert res.exit_code == code, level


def test_help_has_examples() -> None:
    res = run(["--help"])
    assert "Examples" in res.output and "apply-schema" in res.output


@pytest.mark.parametrize("dialect", ["google_standard_sql", "postgresql"])
def test_apply_schema_command_on_spanner_local(tmp_path: Path, spanner: Any, dialect: str) -> None:
    out = tmp_path / "out"
    res = run(
        [
            "schema",
            "--source",
            "mysql",
            "--file",
            "-",
            "--out",
            str(out),
            "--dialect",
            dialect,
            "--no-identity",
            "--no-uuid-default",
        ],
        input=DUMP,
    )
    assert res.exit_code == 0, res.output
    args = [
        "apply-schema",
        "--out",
        str(out),
        *spanner_args(spanner, f"cli_{dialect[:2]}"),
        "--format",
        "json",
    ]
    res = run(args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["created"] is True
    db = spanner.client().instance(spanner.instance).database(f"cli_{dialect[:2]}")
    with db.snapshot() as snap:
        names = {
            r[0]
            for r in snap.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ''"
                if dialect == "google_standard_sql"
                else "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert {"customer", "orders", "scratch", "order_lines"} <= names
    # applying the same DDL again fails (the tables exist) with exit code 4
    assert run(args).exit_code == 4


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dbtools.migrate.cli", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "0.1.0" in proc.stdout


def test_cloudsql_url_without_connector_says_what_to_install(tmp_path: Path) -> None:
    import importlib.util

    url = "mysql+pymysql://app:pw@/shop?cloudsql_instance=proj:us-central1:db"
    res = run(["schema", "--url", url, "--out", str(tmp_path)])
    assert res.exit_code == 3
    if importlib.util.find_spec("dbtools.connector") is None:
        assert "dbtools-connector" in res.output


def test_example_script_runs() -> None:
    script = Path(__file__).resolve().parents[2] / "examples" / "migrate-videostore.py"
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rows read 37, written 37, bad 0" in proc.stdout


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def _apply_args(out: Path, address: str, *extra: str) -> list[str]:
    return [
        "apply-schema",
        "--out",
        str(out),
        "--project",
        "p",
        "--instance",
        "i",
        "--database",
        "d",
        *extra,
        "--emulator-host",
        address,
    ]


@pytest.mark.parametrize("flag", ["--emulator-host", "--endpoint"])
def test_apply_schema_to_a_closed_port_fails_at_once_naming_it(
    tmp_path: Path, flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("SPANNER_EMULATOR_HOST", "grpc_proxy", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)  # (behind a proxy gRPC, not TCP, is tried)
    for var in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(var, raising=False)
    dump = tmp_path / "d.sql"
    dump.write_text(DUMP)
    assert (
        run(["schema", "--source", "mysql", "--file", str(dump), "--out", str(tmp_path)]).exit_code
        == 0
    )
    address = f"127.0.0.1:{_closed_port()}"
    args = _apply_args(tmp_path, address, "--connect-timeout", "60")
    if flag == "--endpoint":
        args = [*args[:-2], "--endpoint", address]
    started = time.monotonic()
    res = CliRunner().invoke(main, args)
    elapsed = time.monotonic() - started
    assert res.exit_code == 4, res.output
    assert f"cannot reach Spanner at {address}" in res.output
    assert "refused" in res.output.lower()
    assert elapsed < 60  # the configured timeout: a refused connection needs none of it


def test_apply_schema_to_a_listener_that_never_answers_stops_at_the_timeout(
    tmp_path: Path,
) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(DUMP)
    assert (
        run(["schema", "--source", "mysql", "--file", str(dump), "--out", str(tmp_path)]).exit_code
        == 0
    )
    with socket.socket() as silent:  # the kernel accepts connections; nothing ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        res = CliRunner().invoke(main, _apply_args(tmp_path, address, "--connect-timeout", "2"))
        elapsed = time.monotonic() - started
    assert res.exit_code == 4, res.output
    assert f"Spanner at {address} accepted a connection" in res.output
    assert "within 2 s (--connect-timeout)" in res.output
    # it waited for the handshake, and gave up at the configured timeout (not minutes later)
    assert 2 <= elapsed < 2 * 10


def test_connect_timeout_is_validated(tmp_path: Path) -> None:
    res = run(_apply_args(tmp_path, "127.0.0.1:1", "--connect-timeout", "0"))
    assert res.exit_code == 2 and "--connect-timeout" in res.output


def test_emulator_host_and_endpoint_together_are_refused(tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(DUMP)
    run(["schema", "--source", "mysql", "--file", str(dump), "--out", str(tmp_path)])
    res = run([*_apply_args(tmp_path, "127.0.0.1:1"), "--endpoint", "127.0.0.1:2"])
    assert res.exit_code == 4 and "not both" in res.output


def test_data_to_a_closed_port_fails_at_once_naming_it(tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_text(DUMP)
    address = f"127.0.0.1:{_closed_port()}"
    res = run(
        [
            "schema-and-data",
            "--source",
            "mysql",
            "--file",
            str(dump),
            "--out",
            str(tmp_path / "o"),
            *target_args("p", "i", "d", address),
        ]
    )
    assert res.exit_code == 4 and f"cannot reach Spanner at {address}" in res.output
