"""The package's layers (issue 22): imports run one way, from the ground up to teaching, with no circle.

Read from the source with ast (nothing is imported), every import of every module of ``src/psyalliance``,
at module level and inside functions alike. A module may import

* a module of a lower layer (``LAYERS``: the ground, then study, simulation, sem, analysis, trust, then audit
  and figures side by side, then teaching at the top);
* a module of its own subpackage, as long as no circle forms.

Never a module of a higher layer, nor of the neighbour on the same floor (audit and figures know nothing of
each other), nor the package's face ``psyalliance/__init__.py`` (which may import anything, and nothing
imports). An import inside a function hides an order that the module level would show, so it is refused too,
except for the few of ``FUNCTION_LEVEL``, each with its reason. A new module belongs to a layer: one at the
top of the package that is not of the ground fails here.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "psyalliance"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("",),  # the ground: psyalliance.errors, psyalliance.resources, psyalliance.fmt
    ("study",),
    ("simulation",),
    ("sem",),
    ("analysis",),
    ("trust",),
    ("audit", "figures"),  # neighbours: neither imports the other
    ("teaching",),
)
"""The subpackages, from the ground up ("" = the package's own top-level modules)."""

GROUND = {"psyalliance.errors", "psyalliance.resources", "psyalliance.fmt"}
"""The only top-level modules besides the face: they import nothing of the package but each other."""

FUNCTION_LEVEL: dict[tuple[str, str], str] = {}
"""(module, imported module) -> why it is imported inside a function (an optional heavy dependency, say). None now."""

RANK = {pkg: floor for floor, pkgs in enumerate(LAYERS) for pkg in pkgs}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    path: Path
    line: int
    target: str  # the imported module of the package
    text: str  # the import statement as written
    in_function: bool


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    return {_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == PACKAGE]
    base = node.module or ""
    if node.level:  # a relative import, resolved against the importing module's package
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    if base.split(".")[0] != PACKAGE:
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def _imports_of(module: str, path: Path, source: str, known: set[str]) -> list[Import]:
    """The package imports of one module's ``source``, each marked whether it sits inside a function."""
    out: list[Import] = []
    is_package = path.name == "__init__.py"
    lines = source.splitlines()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _targets(child, module, is_package, known):
                    text = " ".join(lines[child.lineno - 1: child.end_lineno])
                    out.append(Import(module, path, child.lineno, target, text, in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(source, filename=str(path)), False)
    return out


@functools.cache
def imports() -> tuple[Import, ...]:
    """Every import of a package module by a package module (module level and inside functions)."""
    found = modules()
    return tuple(i for module, path in found.items()
                 for i in _imports_of(module, path, path.read_text(encoding="utf-8"), set(found)))


def subpackage(module: str) -> str | None:
    """'psyalliance.sem.models' -> 'sem'; a ground module -> ''; the face -> None."""
    parts = module.split(".")
    if module == PACKAGE:
        return None
    return parts[1] if len(parts) > 2 or parts[1] in RANK else ""


def _where(imp: Import) -> str:
    return f"{imp.path.relative_to(SRC.parent)}:{imp.line}: {imp.module}: {' '.join(imp.text.split())}"


def against_direction(imp: Import) -> str | None:
    """Why ``imp`` runs against the layers, or None."""
    low, high = subpackage(imp.target), subpackage(imp.module)
    if high is None:
        return None  # the face may import anything
    if low is None:
        return "imports the package's face (psyalliance/__init__.py), the top of everything"
    if low == high:
        return None
    if RANK[low] > RANK[high]:
        return f"imports layer {low or 'ground'!r} (floor {RANK[low]}) from layer {high or 'ground'!r} (floor {RANK[high]})"
    if RANK[low] == RANK[high]:
        return f"imports its neighbour {low!r} on the same floor ({RANK[low]}); neighbours know nothing of each other"
    return None


def circles(edges: list[Import] | tuple[Import, ...]) -> list[list[str]]:
    """The import circles among the package's modules: strongly connected components of two or more modules."""
    graph: dict[str, set[str]] = {}
    for imp in edges:
        if imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan; the package is small enough for recursion
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_every_module_is_in_a_layer():
    loose = [m for m in modules() if subpackage(m) == "" and m not in GROUND]
    unknown = [m for m in modules() if subpackage(m) not in (None, "") and subpackage(m) not in RANK]
    assert not loose, f"top-level modules outside the ground {sorted(GROUND)}: {loose}; put each in a layer's subpackage"
    assert not unknown, f"modules of a subpackage that LAYERS does not know: {unknown}"


def test_each_subpackage_says_what_it_holds_and_imports_nothing():
    for pkg in (p for floor in LAYERS for p in floor if p):
        init = SRC / PACKAGE / pkg / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        assert "May import" in doc, f"{init}: its docstring must say what it holds and what it may import"
        assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], \
            f"{init} imports: a subpackage's __init__ holds its docstring only"


def test_no_import_runs_against_the_layers():
    wrong = [f"{_where(i)}: {why}" for i in imports() if (why := against_direction(i))]
    order = " -> ".join("/".join(p or "ground" for p in floor) for floor in LAYERS)
    assert not wrong, f"imports against the direction {order}:\n" + "\n".join(wrong)


def test_no_function_level_import_of_the_package():
    hidden = [_where(i) for i in imports() if i.in_function and (i.module, i.target) not in FUNCTION_LEVEL]
    assert not hidden, ("imports of the package inside a function (move them to the top; a needed exception goes "
                        "into FUNCTION_LEVEL with its reason):\n" + "\n".join(hidden))


def test_no_import_circle():
    found = circles([i for i in imports() if subpackage(i.module) is not None])
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_checks_see_what_they_are_meant_to():  # the rule's own arithmetic, on made-up imports
    def imp(module: str, target: str, in_function: bool = False) -> Import:
        return Import(module, SRC / "x.py", 1, target, f"import {target}", in_function)

    assert against_direction(imp("psyalliance.sem.paths", "psyalliance.trust.sensitivity"))
    assert against_direction(imp("psyalliance.audit.ledger", "psyalliance.figures.figures"))
    assert against_direction(imp("psyalliance.errors", "psyalliance.study.facts"))
    assert against_direction(imp("psyalliance.sem.models", "psyalliance"))
    assert against_direction(imp("psyalliance.trust.power", "psyalliance.sem.paths")) is None
    assert against_direction(imp("psyalliance", "psyalliance.audit.ledger")) is None
    assert circles([imp("psyalliance.sem.a", "psyalliance.sem.b"), imp("psyalliance.sem.b", "psyalliance.sem.c"),
                    imp("psyalliance.sem.c", "psyalliance.sem.a")]) == [["psyalliance.sem.a", "psyalliance.sem.b",
                                                                         "psyalliance.sem.c"]]
    source = "from psyalliance.sem import paths\n\ndef f():\n    from psyalliance.study.facts import load_facts\n"
    seen = _imports_of("psyalliance.sem.x", SRC / "x.py", source, {"psyalliance.sem.paths", "psyalliance.study.facts"})
    assert [(i.target, i.line, i.in_function) for i in seen] == [("psyalliance.sem.paths", 1, False),
                                                                 ("psyalliance.study.facts", 4, True)]


def test_every_module_is_on_the_api_page():
    page = (SRC.parent / "book" / "api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\.\. automodule:: (\S+)", page, re.M))
    missing = sorted(set(modules()) - listed - {PACKAGE})
    assert not missing, f"book/api.md lists no `.. automodule::` for {missing}; add each under its layer's section"
    assert not listed - set(modules()), f"book/api.md lists modules that do not exist: {sorted(listed - set(modules()))}"
