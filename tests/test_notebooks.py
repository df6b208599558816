"""The notebooks: one source format (jupytext percent files notebooks/NN_name.py), every one
draws figures through exactrelu.plot, uses only public names, has a published executed copy
in docs/notebooks/, and runs top to bottom without an error (cwd = notebooks/).

The .ipynb files are not stored: notebooks/build.py makes them from the .py sources (so the
two cannot drift), executes them and writes the executed HTML + .ipynb copies. The slow test
executes each one with nbclient in a ``python3`` kernel that runs *this* interpreter (the
venv's): jupyter_client starts a kernel whose argv[0] is ``python`` with ``sys.executable``,
and a first injected cell asserts it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
jupytext = pytest.importorskip("jupytext")

REPO = Path(__file__).resolve().parents[1]
NB_DIR = REPO / "notebooks"
DOCS = REPO / "docs" / "notebooks"


def _builder():
    spec = importlib.util.spec_from_file_location("notebooks_build", NB_DIR / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


BUILD = _builder()
SOURCES = BUILD.sources()
PLOT_NAMES = set(__import__("exactrelu.plot", fromlist=["__all__"]).__all__)


def _code_cells(path: Path) -> list[str]:
    return [c.source for c in BUILD.read(path).cells if c.cell_type == "code"]


def test_six_sources_and_no_second_format():
    assert [p.name[:2] for p in SOURCES] == ["01", "02", "03", "04", "05", "06"]
    assert not (NB_DIR / "build_notebooks.py").exists()
    assert "*.ipynb" in (NB_DIR / ".gitignore").read_text().split(), "notebooks/*.ipynb are generated, not stored"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_source_is_canonical_percent_format(path):
    """Each source reads as a notebook and is exactly what jupytext writes back (no drift in
    form), starts with a markdown title and has no stored outputs."""
    text = path.read_text()
    nb = jupytext.reads(text, fmt="py:percent")
    written = jupytext.writes(nb, fmt="py:percent")
    assert re.sub(r"#\s+jupytext_version: .*\n", "", written) == text  # the sources omit the version stamp
    built = BUILD.read(path)
    assert built.cells[0].cell_type == "markdown" and built.cells[0].source.startswith(f"# {int(path.name[:2])}.")
    assert all(not c.get("outputs") for c in built.cells if c.cell_type == "code")
    assert [c.id for c in built.cells] == [f"c{path.name[:2]}-{k:02d}" for k in range(len(built.cells))]
    assert built == BUILD.read(path)  # deterministic


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_uses_no_private_api_and_defines_no_logic(path):
    for src in _code_cells(path):
        tree = ast.parse("\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))))
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef)), f"{path.name} defines {node.name}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(part.startswith("_") for n in names for part in n.split(".")), \
                    f"{path.name}: private import {ast.unparse(node)}"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_notebook_draws_with_exactrelu_plot(path):
    calls = {m.group(1) for src in _code_cells(path) for m in re.finditer(r"\b(plot_\w+)\(", src)}
    assert calls & PLOT_NAMES, f"{path.name} draws no figure with exactrelu.plot"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_published_executed_copy(path):
    """docs/notebooks/ holds an executed copy of each notebook (python notebooks/build.py): the
    same cells as the source, every code cell run, figures embedded as PNG, no error."""
    ipynb = DOCS / f"{path.stem}.ipynb"
    html = DOCS / f"{path.stem}.html"
    assert ipynb.exists() and html.exists(), "run: python notebooks/build.py"
    done = nbformat.read(ipynb, as_version=4)
    src = BUILD.read(path)
    assert [c.source for c in done.cells] == [c.source for c in src.cells], \
        f"{ipynb.name} is out of date: run python notebooks/build.py {path.name[:2]}"
    code = [c for c in done.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    n_png = sum(1 for o in outputs if "image/png" in o.get("data", {}))
    assert n_png >= 1
    assert html.read_text(encoding="utf-8").count("data:image/png;base64") >= n_png
    assert html.stat().st_size < 3_000_000 and ipynb.stat().st_size < 3_000_000


@pytest.mark.slow
@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_runs(path):
    nb = BUILD.read(path)
    guard = nbformat.v4.new_code_cell(
        "import sys\n"
        f"assert sys.prefix == {sys.prefix!r}, ('the notebook kernel runs', sys.executable)",
        id="guard-interpreter")
    nb.cells.insert(0, guard)
    seconds = BUILD.execute(nb)  # raises CellExecutionError (with the traceback) on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    print(f"{path.name}: {seconds:.1f} s")
