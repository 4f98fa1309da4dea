"""The package's module graph: no import cycles (type-only imports included), and the
protocol loop stays apart from the statement handlers."""

from __future__ import annotations

import ast
from pathlib import Path

import dbtools.pgadapter

PACKAGE = Path(dbtools.pgadapter.__file__).parent
PREFIX = "dbtools.pgadapter"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PREFIX, *parts])


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package's modules that `path` imports, wherever the import statement stands
    (`from . import protocol` imports the module protocol, not the package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            target = (
                (f"{base}.{node.module}" if node.module else base)
                if node.level
                else (node.module or "")
            )
            subs = {f"{target}.{alias.name}" for alias in node.names}
            found.update(subs & modules if subs & modules else {target})
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(path, name, set(files)) if m in files and m != name}
        for name, path in files.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycles() -> None:
    graph = _graph()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_connection_and_server_are_layered() -> None:
    graph = _graph()
    assert f"{PREFIX}.server" not in graph[f"{PREFIX}.connection"]
    assert f"{PREFIX}.connection" not in graph[f"{PREFIX}.session"]
    for name, deps in graph.items():
        if name.startswith(f"{PREFIX}.handlers"):
            assert f"{PREFIX}.connection" not in deps, name
            assert f"{PREFIX}.server" not in deps, name
