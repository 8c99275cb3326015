"""The package's layout (docs/architecture.md, "The Python package"): the reports live in
``leadkit.reports`` and are also at the top; no two modules import each other, directly or
around a circle (imports inside functions count too); no module reads another's private
names. Read from the installed package's sources with ``ast``."""

from __future__ import annotations

import ast
import pathlib

import leadkit
import leadkit.reports

PACKAGE = pathlib.Path(leadkit.__file__).parent


def _modules() -> dict[str, pathlib.Path]:
    """Module name -> source file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()
EXTENSIONS = {"leadkit._core"}  # compiled: imports nothing of the package


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The absolute name a `from ... import` reads from, inside `module`."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> list[tuple[str, list[str], ast.AST]]:
    """(imported module, names taken from it, node) for every import of the package's modules
    in `module`, at any depth: ``from X import y`` of a submodule y is an import of X.y."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node) for a in node.names if a.name.startswith("leadkit")]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if not source.startswith("leadkit"):
                continue
            names = []
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES or full in EXTENSIONS:
                    out.append((full, [], node))
                else:
                    names.append(alias.name)
            if names:
                out.append((source, names, node))
    return out


def _graph() -> dict[str, set[str]]:
    return {m: {target for target, _, _ in _imports(m) if target in MODULES and target != m}
            for m in MODULES}


def test_the_reports_are_a_subpackage_and_at_the_top():
    assert "leadkit.reports" in MODULES and _is_package("leadkit.reports")
    for name in leadkit.reports.__all__:
        assert getattr(leadkit, name) is getattr(leadkit.reports, name), name
        assert name in leadkit.__all__, name
    for name in ("kpis", "funnel", "audit", "KpiState", "PipelineState", "AuditState"):
        assert name in leadkit.reports.__all__, name
    # Nothing but reports' modules in the subpackage.
    assert {m for m in MODULES if m.startswith("leadkit.reports.")} >= {
        "leadkit.reports._kpis", "leadkit.reports._pipeline", "leadkit.reports._audit"}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports in `graph` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles():
    """A package imports its submodules; a submodule importing its package back would be a
    circle through the package's __init__, and is one here."""
    circle = _circle(_graph())
    assert circle is None, "import cycle: " + " -> ".join(circle or [])


def test_the_layout_check_reads_the_imports_and_finds_circles():
    graph = _graph()
    assert {"leadkit._frames", "leadkit._core"} <= graph["leadkit.reports._kpis"] | {
        "leadkit._core"}
    assert "leadkit._scope" in graph["leadkit.reports._kpis"]
    assert "leadkit.reports" in graph["leadkit"]
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_module_reads_another_modules_private_names():
    offences = []
    for module in MODULES:
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        aliases = {}  # local name -> imported module
        for target, names, node in _imports(module):
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    offences.append(f"{module}: from {target} import {name}")
            if not names and isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    aliases[alias.asname or alias.name] = target
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and aliases[node.value.id] != "leadkit._core"
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                offences.append(f"{module}: {node.value.id}.{node.attr}")
    assert offences == []


def test_every_docs_page_a_source_names_is_installed_with_the_package():
    # Docstrings and messages name pages as "docs/<page>.md" (the package docstring says
    # where they are): each such page must be in the installed package, identical to the
    # repository's page.
    import re

    repository_docs = pathlib.Path(__file__).resolve().parents[2] / "docs"
    named = set()
    for path in MODULES.values():
        named.update(re.findall(r"docs/([a-z_-]+\.md)", path.read_text(encoding="utf-8")))
    assert len(named) >= 10
    installed = PACKAGE / "docs"
    missing = sorted(page for page in named if not (installed / page).is_file())
    assert not missing, f"pages named in the sources but not installed: {missing}"
    for page in named:
        if (repository_docs / page).is_file():  # the tests run from a source checkout
            assert (installed / page).read_bytes() == (repository_docs / page).read_bytes(), page
