"""PyMySQL's private names dvt relies on (`pymysql_private.PRIVATE_NAMES`) are all still there;
an upgrade that moves one fails here with its name, not in a user's run. (What they do is
tested by behaviour: the query timeout after the login in test_failfast.py, the RSA exchange
in test_lean_imports.py.)"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from typing import Any

import pytest
from dbtools.dvt import pymysql_private


def _resolve(where: str) -> Any:
    """The module, class or function a dotted path names (the longest importable prefix is
    imported, the rest read as attributes)."""
    parts = where.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(where)


def _names_read(obj: Any) -> set[str]:
    """Globals and attributes read by a function, or by any method of a class."""
    funcs = (
        [obj]
        if inspect.isfunction(obj)
        else [f for _, f in inspect.getmembers(obj, inspect.isfunction)]
    )
    names: set[str] = set()
    for f in funcs:
        names.update(f.__code__.co_names)
    return names


# Resolved in a fresh interpreter: dvt replaces `sha2_rsa_encrypt` once it imports PyMySQL.
PROBE = """
import importlib, inspect, sys
sys.path[:0] = {path!r}
from test_pymysql_private import _names_read, _resolve
where, name = sys.argv[1], sys.argv[2]
obj = _resolve(where)
found = hasattr(obj, name) if inspect.ismodule(obj) else name in _names_read(obj)
print("ok" if found else "missing")
"""


@pytest.mark.parametrize(("where", "name"), pymysql_private.PRIVATE_NAMES)
def test_private_name_is_still_in_pymysql(where: str, name: str) -> None:
    code = PROBE.format(path=[str(__import__("pathlib").Path(__file__).parent)])
    out = subprocess.run(
        [sys.executable, "-c", code, where, name], capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == "ok", (
        f"PyMySQL {importlib.metadata.version('pymysql')} no longer has {name} in {where}: "
        f"update dbtools/dvt/pymysql_private.py ({out.stderr.strip()[-300:]})"
    )


def test_every_private_reach_is_listed() -> None:
    """No module of dvt but pymysql_private touches a private PyMySQL name."""
    import dbtools.dvt as dvt

    root = __import__("pathlib").Path(dvt.__path__[0])
    names = {name for _, name in pymysql_private.PRIVATE_NAMES}
    for path in root.rglob("*.py"):
        if path.name == "pymysql_private.py":
            continue
        text = path.read_text()
        for name in names:
            if name.startswith("_"):
                assert f".{name}" not in text, f"{path.name} reaches PyMySQL's {name}"
