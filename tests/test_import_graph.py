"""The house's import rules, read from the source (docs/ARCHITECTURE.md draws the same map).

Every import of the project's own modules counts, also those inside functions, so a cycle
cannot hide in a late import. Lazy imports of heavy third-party libraries are not counted.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("core", "org", "capture", "recognize", "diary", "ledger", "search", "jobs", "ops", "webapp")
# What each area may import (besides itself): whole areas, or single modules of one. recognize
# has no database (the settings are plain values); core is below all.
ALLOWED = {
    "core": set(),
    "recognize": {"core.settings"},
    "org": {"core", "capture", "diary", "ledger"},  # the scope filters every area's rows by unit
    "capture": {"core", "org", "recognize", "jobs"},
    "diary": {"core", "org", "capture", "recognize", "ledger"},
    "ledger": {"core", "org", "diary", "recognize"},
    "search": {"core", "org", "capture", "diary", "ledger", "recognize"},  # indexes and finds every area's records
    "jobs": {"core", "org", "capture", "diary", "recognize",
             "ops.compose"},  # the Celery worker process is wired by the composition root, as the app is
    "ops": {"core", "org", "capture", "diary", "ledger", "search", "jobs", "recognize"},
    "webapp": set(AREAS),
}
# Function-local imports of the project's own modules left, each for a reason written beside it
# (mostly: a heavy model loaded only when used). The number may only go down.
LOCAL_IMPORT_BUDGET = 64


def _modules() -> dict[str, Path]:
    mods = {}
    for area in AREAS:
        for path in (ROOT / area).rglob("*.py"):
            if "versions" in path.parts:  # migrations are frozen in time; they import nothing of ours
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def _is_package(name: str, mods: dict[str, Path]) -> bool:
    return mods[name].name == "__init__.py"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(sub) for sub in ast.walk(node))
    return out


def _imports(name: str, path: Path, mods: dict[str, Path]):
    """(imported module, is function-local) for each import of a project module in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_nodes(tree)
    local = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local.update(id(sub) for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom)))

    def resolve(dotted: str):
        while dotted and dotted not in mods:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if _is_package(name, mods) else name.split(".")[:-1]
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]
            # `from pkg import module` depends on the module; `from pkg import name` on pkg
            targets = subs if len(subs) == len(node.names) else [base, *subs]
        else:
            continue
        for target in targets:
            if target.split(".")[0] not in AREAS:
                continue
            resolved = resolve(target)
            if resolved and resolved != name:
                yield resolved, id(node) in local, node.lineno


def _graph():
    mods = _modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    local: list[tuple[str, str, int]] = []
    for name, path in mods.items():
        for target, is_local, line in _imports(name, path, mods):
            edges[name].add(target)
            if is_local:
                local.append((name, target, line))
    return mods, edges, local


def _blueprint_pair(a: str, b: str) -> bool:
    """A Flask blueprint package (webapp.<area>) importing its own views modules, which import
    the package's `bp`: the pattern Flask documents, not a cycle between parts."""
    package, child = (a, b) if b.startswith(a + ".") else (b, a) if a.startswith(b + ".") else (None, None)
    return package is not None and package.count(".") == 1 and package.startswith("webapp.") \
        and child.count(".") == 2


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if _blueprint_pair(v, w):
                continue
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

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_even_through_function_local_imports():
    _, edges, _ = _graph()
    assert _cycles(edges) == []


def test_the_cycle_check_sees_a_cycle():
    assert _cycles({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}}) == [["a.x", "a.y", "a.z"]]
    assert _cycles({"webapp.auth": {"webapp.auth.views"}, "webapp.auth.views": {"webapp.auth"}}) == []
    assert _cycles({"webapp.cli": {"webapp.x"}, "webapp.x": {"webapp.cli"}}) == [["webapp.cli", "webapp.x"]]


def test_no_area_below_the_web_app_imports_it():
    _, edges, _ = _graph()
    upward = sorted((a, b) for a, targets in edges.items() for b in targets
                    if not a.startswith("webapp") and b.split(".")[0] == "webapp")
    assert upward == []


def _allowed(importer: str, imported: str) -> bool:
    area, target = importer.split(".")[0], imported.split(".")[0]
    rules = ALLOWED[area]
    return area == target or target in rules or any(imported == r or imported.startswith(r + ".") for r in rules)


def test_each_area_imports_only_what_the_map_allows():
    _, edges, _ = _graph()
    wrong = sorted((a, b) for a, targets in edges.items() for b in targets if not _allowed(a, b))
    assert wrong == []


def test_the_map_check_refuses_what_it_should():
    assert not _allowed("recognize.speech", "core.db") and _allowed("recognize.speech", "core.settings")
    assert not _allowed("core.audit", "org.models") and not _allowed("ledger.workflow", "webapp.cli")


def test_function_local_imports_are_counted_and_within_the_budget():
    _, _, local = _graph()
    print(f"function-local imports of the project's own modules: {len(local)} (budget {LOCAL_IMPORT_BUDGET})")
    assert len(local) <= LOCAL_IMPORT_BUDGET
