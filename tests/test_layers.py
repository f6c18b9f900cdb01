"""The import drawing: imports go down the road only, no private names cross modules, no cycles.

The road (DESIGN.md): foundation -> text -> vocab -> embeddings -> models -> training -> run -> cli.
Every import in the package counts, also those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "embedkit"

FOUNDATION = {"embedkit", "config", "errors", "io", "resources", "plots", "weights", "lazy"}
ROAD = ["text", "vocab", "embeddings", "models", "training", "run", "cli", "__main__"]


def layer(module: str) -> int:
    """0 for the foundation, then 1.. along the road."""
    parts = module.split(".")
    room = parts[1] if len(parts) > 1 else "embedkit"
    room = room.lstrip("_") if room.lstrip("_") in FOUNDATION else room
    if room in FOUNDATION:
        return 0
    return ROAD.index(room) + 1


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(module: str, path: Path, known: set[str]) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every embedkit import in one file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name.split(".")[0] == "embedkit"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "embedkit":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub, None) if sub in known else (base, alias.name))
    return found


def graph(root: Path = PACKAGE) -> tuple[dict[str, set[str]], list[str]]:
    """The module graph and the list of private names imported from another module."""
    names = module_names(root)
    known = set(names)
    edges: dict[str, set[str]] = {name: set() for name in names}
    private = []
    for module, path in names.items():
        for target, name in imports_of(module, path, known):
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target != module:
                edges[module].add(target)
                if name is not None and name.startswith("_") and not name.startswith("__"):
                    private.append(f"{module} imports {target}.{name}")
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports from a lower room to a higher one on the road."""
    return sorted(f"{src} -> {dst}" for src, targets in edges.items() for dst in targets
                  if dst != "embedkit" and layer(dst) > layer(src))


def test_imports_never_run_up_the_road() -> None:
    edges, _ = graph()
    assert upward(edges) == []


def test_no_module_imports_another_modules_private_name() -> None:
    _, private = graph()
    assert private == []


def test_no_import_cycles() -> None:
    edges, _ = graph()
    assert cycles(edges) == []


def test_the_drawing_catches_what_it_forbids(tmp_path: Path) -> None:
    root = tmp_path / "embedkit"
    (root / "text").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "__init__.py").write_text("")
    (root / "text" / "__init__.py").write_text("")
    (root / "models" / "__init__.py").write_text("")
    (root / "text" / "a.py").write_text("from embedkit.models.b import thing\n")
    (root / "models" / "b.py").write_text("def f():\n    from ..text.a import _hidden\n")
    edges, private = graph(root)
    assert upward(edges) == ["embedkit.text.a -> embedkit.models.b"]
    assert private == ["embedkit.models.b imports embedkit.text.a._hidden"]
    assert cycles(edges) == [["embedkit.models.b", "embedkit.text.a"]]


@pytest.mark.parametrize(("module", "expected"), [("embedkit.io", 0), ("embedkit.text.pipeline", 1),
                                                  ("embedkit.vocab", 2), ("embedkit.cli.app", 7)])
def test_layers_follow_the_road(module: str, expected: int) -> None:
    assert layer(module) == expected
