"""Shared test fixtures: where the public benchmarks live (read-only, never copied)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH = SHARED / "benchmarks"


def shared_path(*parts: str) -> Path:
    p = BENCH.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"benchmark file not available: {p}")
    return p


def load_random_nets():
    """The shared reference generator ../shared/benchmarks/random2d/random_nets.py."""
    path = shared_path("random2d", "random_nets.py")
    spec = importlib.util.spec_from_file_location("shared_random_nets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod
