"""The house rules of the code, read from its imports with `ast` (docs/dev-guide/architecture.md).

- Floors, bottom to top: language / errors / _version → sandbox → config → data → stats and
  adoption (siblings that never import each other) → value → report → commands → cli. A module
  imports only from its own floor or below, at module level or inside a function alike.
- No circle of imports between modules, inside a package as much as across.
- No private name (`_name`) taken from another module.
- No module over 500 lines.

Run `python tests/test_layers.py` for the list of what breaks a rule.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "valueproof"
MAX_LINES = 500

# The floor of every top-level module or package of valueproof (a name missing here fails the
# test: every new room gets a floor).
FLOORS = {
    "_version": 0, "errors": 0, "language": 0, "redaction": 0, "safe_text": 0,
    "sandbox": 1,
    "config": 2,
    "data": 3,
    "stats": 4, "adoption": 4,
    "value": 5,
    "report": 6,
    "commands": 7,
    "cli": 8, "__main__": 8, "__init__": 8,  # the package's face for Python callers
}
# Siblings on one floor that must not import each other.
SIBLINGS = [("stats", "adoption")]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def room(name: str) -> str:
    """The top-level module or package a module belongs to ('valueproof' itself: '__init__')."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(name: str, path: Path, known: dict[str, Path]):
    """(imported module, names taken, line) for every import of valueproof in the module, wherever
    it stands (module level or inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "valueproof":
                    yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "valueproof":
                continue
            taken = []
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in known:  # `from valueproof.data import load`: a module
                    yield submodule, [], node.lineno
                else:
                    taken.append(alias.name)
            if taken:
                yield target, taken, node.lineno


def graph():
    known = modules()
    edges = {}
    for name, path in known.items():
        for target, taken, line in imports(name, path, known):
            # `import valueproof.a.b` also runs valueproof.a: the target is the module itself.
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target != name:
                edges.setdefault(name, []).append((target, taken, line))
    return known, edges


def upward_imports() -> list[str]:
    known, edges = graph()
    found = []
    for name, targets in edges.items():
        here = room(name)
        for target, _taken, line in targets:
            there = room(target)
            if here not in FLOORS or there not in FLOORS:
                continue
            if FLOORS[there] > FLOORS[here]:
                found.append(f"{known[name].relative_to(PACKAGE.parent)}:{line} imports {target} "
                             f"(floor {there} {FLOORS[there]} is above {here} {FLOORS[here]})")
            pair = {here, there}
            if any(pair == set(siblings) for siblings in SIBLINGS):
                found.append(f"{known[name].relative_to(PACKAGE.parent)}:{line} imports {target} "
                             f"({here} and {there} are siblings that never import each other)")
    return found


def unplaced() -> list[str]:
    return sorted({room(name) for name in modules()} - set(FLOORS))


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    _known, edges = graph()
    nodes = list(modules())
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target, _taken, _line in edges.get(node, []):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in nodes:
        if node not in index:
            visit(node)
    return found


def private_imports() -> list[str]:
    known, edges = graph()
    found = []
    for name, targets in edges.items():
        for target, taken, line in targets:
            for taken_name in taken:
                if taken_name.startswith("_") and not taken_name.startswith("__"):
                    found.append(f"{known[name].relative_to(PACKAGE.parent)}:{line} takes "
                                 f"{taken_name} from {target}")
    return found


def oversized() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            found.append(f"{path.relative_to(PACKAGE.parent)}: {lines} lines (at most {MAX_LINES})")
    return found


def test_every_room_has_a_floor():
    assert unplaced() == [], "give these a floor in FLOORS"


def test_no_import_runs_up_the_floors():
    assert upward_imports() == []


def test_no_circle_of_imports():
    assert cycles() == []


def test_no_private_name_crosses_modules():
    assert private_imports() == []


def test_no_module_is_oversized():
    assert oversized() == []


def test_the_checker_sees_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The rules can fail: a made-up package with a circle, an upward import and a private name."""
    package = tmp_path / "valueproof"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "__init__.py").write_text("")
    (package / "data" / "a.py").write_text("from valueproof.data.b import _hidden\n")
    (package / "data" / "b.py").write_text(
        "def f():\n    from valueproof.data import a\n    from valueproof.report import x\n")
    (package / "report.py").write_text("x = 1\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    assert cycles() == [["valueproof.data.a", "valueproof.data.b"]]
    assert private_imports() == ["valueproof/data/a.py:1 takes _hidden from valueproof.data.b"]
    assert [line.split(" (")[0] for line in upward_imports()] == [
        "valueproof/data/b.py:3 imports valueproof.report"]


if __name__ == "__main__":
    for title, found in [("rooms without a floor", unplaced()), ("upward", upward_imports()),
                         ("circles", [" ".join(c) for c in cycles()]),
                         ("private", private_imports()), ("oversized", oversized())]:
        print(f"## {title}: {len(found)}")
        for line in found:
            print("  ", line)
