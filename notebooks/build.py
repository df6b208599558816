"""Build the notebooks from their one source: the jupytext percent files ``notebooks/NN_name.py``.

    python notebooks/build.py            # execute every notebook, write docs/notebooks/NN_name.html
                                         # and docs/notebooks/NN_name.ipynb (executed, with figures)
    python notebooks/build.py 03 04      # only the notebooks whose names start with these
    python notebooks/build.py --ipynb    # write unexecuted notebooks/NN_name.ipynb to open in a
                                         # Jupyter without jupytext (not committed)

The ``.py`` files are the only source (edit them in any editor, or open them as notebooks in
Jupyter with jupytext installed); ``jupytext --to ipynb notebooks/NN_name.py`` gives the same
unexecuted notebook as ``--ipynb``. Cells run with cwd ``notebooks/`` in a ``python3`` kernel
of this interpreter. tests/test_notebooks.py executes every notebook the same way.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs" / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CELL_TIMEOUT = 300  # seconds per cell; each notebook is meant to take well under a minute


def sources() -> list[Path]:
    """The notebook sources ``notebooks/NN_name.py``, in order."""
    return sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook of a percent source, with the python3 kernel and deterministic cell ids
    (``cNN-KK``), no outputs."""
    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.pop("jupytext", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"c{path.name[:2]}-{k:02d}"
    nbformat.validate(nb)
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = CELL_TIMEOUT) -> float:
    """Run ``nb`` in place top to bottom (cwd ``notebooks/``); seconds taken. Raises
    ``nbclient.exceptions.CellExecutionError`` with the traceback on the first failing cell."""
    import nbclient

    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=timeout,
                                     resources={"metadata": {"path": str(HERE)}})
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def to_html(nb: nbformat.NotebookNode) -> str:
    """An executed notebook as one self-contained HTML page (figures embedded as PNG)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return body


def publish(path: Path) -> float:
    """Execute one source and write its executed copy to docs/notebooks/ (HTML and .ipynb)."""
    nb = read(path)
    seconds = execute(nb)
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / f"{path.stem}.html").write_text(to_html(nb), encoding="utf-8")
    nbformat.write(nb, DOCS / f"{path.stem}.ipynb")
    return seconds


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    chosen = [p for p in sources() if not [a for a in args if not a.startswith("-")]
              or any(p.name.startswith(a) for a in args if not a.startswith("-"))]
    if not chosen:
        print("no notebook matches", " ".join(args), file=sys.stderr)
        return 2
    for path in chosen:
        if "--ipynb" in args:
            out = path.with_suffix(".ipynb")
            nbformat.write(read(path), out)
            print("wrote", out)
        else:
            seconds = publish(path)
            print(f"{path.name}: executed in {seconds:.1f} s -> docs/notebooks/{path.stem}.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
