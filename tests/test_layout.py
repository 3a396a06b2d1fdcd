"""The layout shows the pipeline: no import circles, the rulebook at the bottom, dev tools outside the wheel."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "rules", "expectations", "simulator", "evaluation", "bench")
SHIPPED = {"flows", "rules", "expectations"}


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """First-party modules ``name`` imports anywhere in its file (inside functions and TYPE_CHECKING too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(name, path, set(mods)) for name, path in mods.items()}


def _unit(module: str) -> str:
    """The job a module belongs to: a sub-package of flows, a top-level module of flows, or a top package."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "flows" and len(parts) > 1 else parts[0]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(_graph()) == []


def test_no_two_jobs_import_each_other() -> None:
    units: dict[str, set[str]] = {}
    for mod, deps in _graph().items():
        units.setdefault(_unit(mod), set()).update(_unit(d) for d in deps if _unit(d) != _unit(mod))
    assert _cycles(units) == []


def test_the_cycle_finder_sees_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_rules_import_nothing_of_the_project() -> None:
    graph = _graph()
    outside = {(m, d) for m, deps in graph.items() if m.startswith("rules") for d in deps if not d.startswith("rules")}
    assert outside == set()


@pytest.mark.parametrize("pkg", ["flows", "rules", "expectations"])
def test_shipped_code_never_imports_the_development_tools(pkg: str) -> None:
    graph = _graph()
    dev = {"simulator", "evaluation", "bench", "tests"}
    bad = {(m, d) for m, deps in graph.items() if m.split(".")[0] == pkg for d in deps if d.split(".")[0] in dev}
    assert bad == set()


def test_the_wheel_ships_the_warehouse_not_the_development_tools() -> None:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(meta["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]) == SHIPPED


def test_a_built_wheel_holds_the_dbt_project_and_no_development_tools(tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    uv = Path(sys.executable).with_name("uv")
    subprocess.run([str(uv), "build", "--wheel", "-q", "-o", str(tmp_path)], cwd=REPO, check=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("fraudbrain-")}
    assert tops == SHIPPED
    assert "flows/build/dbt_project/dbt_project.yml" in names
    assert any(n.startswith("flows/build/dbt_project/models/marts/") for n in names)
    assert not any("/target/" in n or "/logs/" in n for n in names)
