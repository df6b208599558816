"""The layout of the package (issue 16), checked from its source text.

(a) no import cycle among exactrelu's modules (a cycle of module-level imports fails; the
graph with deferred, function-level imports is reported as well); (b) no private name
imported across modules; (c) no file over 650 lines (``FILE_LIMITS`` names the exceptions,
each with a ceiling) and no function over 90 lines unless its docstring gives the reason
after the word ``long:``; (d) the layer contract of ``pyproject.toml``
(``[tool.importlinter]``), run with ``lint-imports``.

The checks are made per stage package, so a stage that does not meet one yet is marked
``xfail`` by name (``KNOWN``); when it does, its entry is removed and the check holds it
there.  Nothing here imports exactrelu: the modules are read with :mod:`ast`.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "exactrelu"
MAX_FILE_LINES = 650
MAX_FUNCTION_LINES = 90

# stage (first component under exactrelu, "" for exactrelu/__init__.py) -> checks it does not
# pass yet; each entry is a known violation owned by the restructuring of that stage.
KNOWN: dict[str, set[str]] = {}
# Files allowed more than MAX_FILE_LINES, with the reason; the ceiling stops them growing.
FILE_LIMITS: dict[str, int] = {
    # the checker's core is one file by design (it runs alone when copied out): 1,258 lines, of
    # which about 950 are code (no function over 70); issue 16 asked for about 850, see its note
    "exactrelu/checker/checker.py": 1260,
}
KNOWN_CONTRACTS: set[str] = set()


@dataclass
class Module:
    name: str  # dotted: exactrelu.shallow.lazy
    path: Path
    tree: ast.Module
    is_package: bool
    imports: list[tuple[str, list[str], int, bool]] = field(default_factory=list)
    """(module imported, names taken from it, line, at module level)"""


def _module_name(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _collect(mod: Module) -> None:
    """Fill ``mod.imports``: every import statement, resolved to absolute module names.
    Imports under ``if TYPE_CHECKING:`` are left out (they do not run)."""
    package = mod.name if mod.is_package else mod.name.rpartition(".")[0]

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_block(child):
                for sub in child.orelse:
                    visit(ast.Module(body=[sub], type_ignores=[]), top)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    mod.imports.append((alias.name, [], child.lineno, top))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[:len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                mod.imports.append((target, [a.name for a in child.names], child.lineno, top))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            else:
                visit(child, top)  # class bodies, if/try at module level run at import

    visit(mod.tree, True)


@lru_cache(maxsize=None)
def modules() -> dict[str, Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name, is_package = _module_name(path)
        m = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)), is_package)
        _collect(m)
        out[name] = m
    return out


def stage_of(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def stages() -> list[str]:
    return sorted({stage_of(n) for n in modules()})


def _edges(module_level_only: bool) -> dict[str, set[str]]:
    """Module -> modules it imports (within exactrelu): the module named, a submodule taken
    with ``from pkg import sub``, and the packages that contain the target (importing
    ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``), except the importer's own packages."""
    mods = modules()
    graph: dict[str, set[str]] = {n: set() for n in mods}
    for m in mods.values():
        own = {".".join(m.name.split(".")[:k]) for k in range(1, m.name.count(".") + 2)}
        for target, names, _, top in m.imports:
            if module_level_only and not top:
                continue
            if not target.startswith("exactrelu"):
                continue
            hits = [target] + [f"{target}.{n}" for n in names if f"{target}.{n}" in mods]
            for hit in hits:
                parts = hit.split(".")
                for k in range(1, len(parts) + 1):
                    dep = ".".join(parts[:k])
                    if dep in mods and dep not in own and dep != m.name:
                        graph[m.name].add(dep)
    return graph


def import_cycles(module_level_only: bool) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    graph = _edges(module_level_only)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def private_imports(stage: str) -> list[str]:
    """``from .x import _y`` across modules, in the modules of ``stage``."""
    mods = modules()
    bad = []
    for m in mods.values():
        if stage_of(m.name) != stage:
            continue
        for target, names, line, _ in m.imports:
            if not target.startswith("exactrelu") or target == m.name:
                continue
            for n in names:
                if n.startswith("_") and not (n.startswith("__") and n.endswith("__")):
                    bad.append(f"{m.path.relative_to(ROOT)}:{line}: from {target} import {n}")
    return bad


def long_files(stage: str) -> list[str]:
    out = []
    for m in modules().values():
        if stage_of(m.name) == stage:
            n = len(m.path.read_text(encoding="utf-8").splitlines())
            if n > FILE_LIMITS.get(m.path.relative_to(ROOT).as_posix(), MAX_FILE_LINES):
                out.append(f"{m.path.relative_to(ROOT)}: {n} lines")
    return out


def long_functions(stage: str) -> list[str]:
    out = []
    for m in modules().values():
        if stage_of(m.name) != stage:
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                if n > MAX_FUNCTION_LINES and "long:" not in doc:
                    out.append(f"{m.path.relative_to(ROOT)}:{node.lineno}: {node.name} {n} lines")
    return out


def _param(stage: str, check: str):
    marks = []
    if check in KNOWN.get(stage, set()):
        marks.append(pytest.mark.xfail(reason=f"{stage or 'exactrelu'}: known {check} (issue 16)", strict=False))
    return pytest.param(stage, marks=marks, id=stage or "root")


def _params(check: str) -> list:
    return [_param(s, check) for s in stages()]


# --- (a) import cycles --------------------------------------------------------------------

def test_graph_sees_the_package() -> None:
    mods = modules()
    assert "exactrelu.errors" in mods and "exactrelu.cli.app" in mods
    assert any(t == "exactrelu.errors" for t, _, _, _ in mods["exactrelu.shallow.termset"].imports)


def test_no_module_level_import_cycles() -> None:
    cycles = import_cycles(module_level_only=True)
    assert not cycles, "module-level import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_import_cycles_with_deferred_imports() -> None:
    cycles = import_cycles(module_level_only=False)
    assert not cycles, "import cycles (with function-level imports):\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("stage", ["shallow", "cli", "errors", "limits", ""])
def test_no_cycle_through_these_stages(stage: str) -> None:
    """The stages that meet the contract already: no cycle, deferred imports included,
    touches them."""
    hit = [c for c in import_cycles(module_level_only=False) if any(stage_of(n) == stage for n in c)]
    assert not hit, hit


# --- (b) private names --------------------------------------------------------------------

@pytest.mark.parametrize("stage", _params("private_imports"))
def test_no_private_names_across_modules(stage: str) -> None:
    bad = private_imports(stage)
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


# --- (c) sizes ----------------------------------------------------------------------------

@pytest.mark.parametrize("stage", _params("file_lines"))
def test_no_file_over_650_lines(stage: str) -> None:
    bad = long_files(stage)
    assert not bad, f"files over {MAX_FILE_LINES} lines:\n" + "\n".join(bad)


@pytest.mark.parametrize("stage", _params("function_lines"))
def test_no_function_over_90_lines(stage: str) -> None:
    bad = long_functions(stage)
    assert not bad, f"functions over {MAX_FUNCTION_LINES} lines without 'long:' in the docstring:\n" + "\n".join(bad)


# --- (d) the layer contract (import-linter) -----------------------------------------------

def _lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    if exe.exists():
        return str(exe)
    found = shutil.which("lint-imports")
    if found is None:
        pytest.skip("import-linter is not installed (pip install import-linter; it is in the test extra)")
    return found


@pytest.mark.parametrize("contract", [
    pytest.param(c, marks=[pytest.mark.xfail(reason=f"contract {c}: known violations (issue 16)", strict=False)]
                 if c in KNOWN_CONTRACTS else [])
    for c in ("layers", "checker-independent", "checker-only-from-cli")])
def test_import_contract(contract: str) -> None:
    proc = subprocess.run([_lint_imports(), "--no-cache", "--contract", contract], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


# --- (e) tests mirror the package ---------------------------------------------------------

def test_test_folders_mirror_the_stages() -> None:
    """Every folder of tests/ is a stage of the package (or the hostile corpus, the oracles,
    the test data), and every stage with modules of its own has a folder of tests."""
    tests = ROOT / "tests"
    special = {"hostile", "oracles", "data", "__pycache__"}
    folders = {p.name for p in tests.iterdir() if p.is_dir()} - special
    stage_dirs = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= stage_dirs, f"test folders that are no stage: {sorted(folders - stage_dirs)}"
    untested = {s for s in stage_dirs if not any((tests / s).glob("test_*.py"))}
    assert not untested, f"stages without a test folder: {sorted(untested)}"
