"""The public API stays importable through the restructuring (issue 16): every name of
``exactrelu.__all__``, every module path the README names, and every old module path kept
in ``exactrelu.MOVED``."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import exactrelu

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(exactrelu.__all__))
def test_every_api_name_imports(name):
    value = getattr(exactrelu, name)
    assert value is not None
    assert name in dir(exactrelu)
    if name in exactrelu._API:
        home = importlib.import_module(f"exactrelu.{exactrelu._API[name]}")
        assert getattr(home, name) is value


def test_from_import_of_the_api():
    from exactrelu import check_certificate, enumerate_regions, shallow_representation, verify  # noqa: F401

    assert callable(verify) and callable(shallow_representation)


@pytest.mark.parametrize("old, new", sorted(exactrelu.MOVED.items()))
def test_moved_alias_is_the_same_module(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_moved_targets_exist():
    for new in exactrelu.MOVED.values():
        assert importlib.util.find_spec(new) is not None, new


def _readme_paths() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"\bexactrelu(?:\.[A-Za-z_][A-Za-z0-9_]*)+", text)))


@pytest.mark.parametrize("dotted", _readme_paths())
def test_readme_module_paths_resolve(dotted):
    """``exactrelu.a.b.name``: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ModuleNotFoundError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)
        return
    pytest.fail(f"{dotted} does not resolve")


def test_api_is_lazy_and_the_checker_loads_alone():
    """``import exactrelu`` imports no stage; ``import exactrelu.checker`` loads the checker
    and nothing else of exactrelu (nor numpy)."""
    code = ("import sys, exactrelu; before = {m for m in sys.modules if m.startswith('exactrelu')}; "
            "import exactrelu.checker; after = {m for m in sys.modules if m.startswith('exactrelu')}; "
            "print(sorted(before)); print(sorted(m for m in after if not m.startswith('exactrelu.checker'))); "
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, check=True).stdout.splitlines()
    assert out == ["['exactrelu']", "['exactrelu']", "False"], out
