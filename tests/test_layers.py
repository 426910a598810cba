"""The layers of renda/, read from the source: no import cycles, and core a leaf.

Every module under renda/ (migrations and tests left out) is parsed with ``ast``; every
``import`` and ``from … import`` counts, at module level or inside a function, except those
under ``if TYPE_CHECKING:`` (they never run). ``from renda.x import y`` counts as importing
``renda.x.y`` when that is a module, else ``renda.x``. Importing ``renda.x.y`` also runs the
package ``renda.x``'s ``__init__``; that edge is left out: our packages' ``__init__`` files are
empty but for renda/__init__.py, which starts the Celery app, and counting it would make every
module a cycle with it. Imports by name (``importlib.import_module("…")``) are not seen.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "renda"

# Cycles that exist today and are being removed by the architecture issue; this list must end
# empty. Each entry is one strongly connected component of the import graph, exactly: a new
# cycle, or a known one that grows, fails the test; one that is fixed must be deleted here.
KNOWN_CYCLES: list[frozenset[str]] = []

# core is a leaf: the scenes and platform apps build on it, never the other way round.
FORBIDDEN_IN_CORE = [
    "opinions",
    "suggestions",
    "meetings",
    "voting",
    "projects",
    "public",
    "codes",
    "rosters",
    "org",
    "notify",
    "audit",
    "api",
    "site",
    "demo",
]
# The only modules outside core that core may import, and which core modules may (None: any).
CORE_MAY_IMPORT: dict[str, frozenset[str] | None] = {
    "renda.regions.paths": None,  # pure helpers on materialised region paths
    "renda.accounts.models": frozenset({"renda.core.scoping"}),  # a user's role assignments
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the renda module imported
    line: int

    def where(self) -> str:
        return f"{MODULES[self.source].relative_to(ROOT)}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _product_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        folders = path.relative_to(PACKAGE).parts[:-1]
        if "migrations" in folders or "tests" in folders:
            continue
        modules[_module_name(path)] = path
    return modules


MODULES = _product_modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _known(name: str) -> str | None:
    """The module that ``name`` (a module, or an attribute of one) lives in, if it is ours."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def add(name: str, line: int) -> None:
        if name != "renda" and not name.startswith("renda."):
            return
        target = _known(name)
        if target is not None:
            found.append(Import(module, target, line))

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit_one(other)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .x import y
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in MODULES else base, node.lineno)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


@cache
def import_graph() -> dict[str, dict[str, Import]]:
    """module -> {imported module -> the first line that imports it}."""
    graph: dict[str, dict[str, Import]] = {}
    for module in MODULES:
        edges: dict[str, Import] = {}
        for imp in _imports_of(module):
            edges.setdefault(imp.target, imp)
        graph[module] = edges
    return graph


def strongly_connected(graph: dict[str, dict[str, Import]]) -> list[frozenset[str]]:
    """Tarjan's algorithm, iteratively: every component of more than one module, or of one
    module that imports itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        found.append(frozenset(component))
    return found


def a_cycle_through(component: frozenset[str], graph: dict[str, dict[str, Import]]) -> str:
    """One shortest cycle inside ``component``, each step with the line that imports."""
    start = min(component)
    came_from: dict[str, Import] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target, imp in sorted(graph[node].items()):
            if target not in component or target in came_from:
                continue
            came_from[target] = imp
            if target == start:
                queue.clear()
                break
            queue.append(target)
    steps = []
    node = start
    while True:
        imp = came_from[node]
        steps.append(imp)
        node = imp.source
        if node == start:
            break
    steps.reverse()
    return " -> ".join([start] + [f"{imp.target} ({imp.where()})" for imp in steps])


def test_the_walker_sees_module_level_function_level_and_submodule_imports():
    # Guards the tests below against passing because they read nothing.
    graph = import_graph()
    assert "renda.org.selectors" in graph["renda.site.views"]  # module level, from x.y import name
    assert "renda.site.schedule" in graph["renda.celery"]  # inside a function
    assert "renda.demo.projects" in graph["renda.site.management.commands.seed_demo"]  # from pkg import submodule
    assert "renda.accounts.models" in graph["renda.core.scoping"]  # inside a function, not only TYPE_CHECKING
    assert sum(len(edges) for edges in graph.values()) > 500


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    cycles = strongly_connected(graph)
    new = [c for c in cycles if c not in KNOWN_CYCLES]
    fixed = [c for c in KNOWN_CYCLES if c not in cycles]
    problems = [f"import cycle among {sorted(c)}: {a_cycle_through(c, graph)}" for c in new]
    problems += [f"no longer a cycle, delete it from KNOWN_CYCLES: {sorted(c)}" for c in fixed]
    assert not problems, "\n".join(problems)


def test_core_imports_no_scene_or_platform_app():
    problems = []
    for module, edges in import_graph().items():
        if module != "renda.core" and not module.startswith("renda.core."):
            continue
        for target, imp in edges.items():
            app = target.split(".")[1] if "." in target else ""
            if app == "core":
                continue
            who_may = CORE_MAY_IMPORT.get(target, frozenset())
            if app in FORBIDDEN_IN_CORE or not (who_may is None or module in who_may):
                problems.append(f"{module} imports {target} ({imp.where()})")
    assert not problems, "core is a leaf:\n" + "\n".join(problems)
