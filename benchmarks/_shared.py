"""Where the public benchmarks live (read in place from ../shared, never copied)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(sys.argv[sys.argv.index("--shared") + 1]) if "--shared" in sys.argv else REPO.parent / "shared" / "benchmarks"


def random_nets():
    spec = importlib.util.spec_from_file_location("shared_random_nets", BENCH / "random2d" / "random_nets.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def acas(i: int = 1, j: int = 1) -> Path:
    return BENCH / "vnncomp2022" / "acasxu" / "onnx" / f"ACASXU_run2a_{i}_{j}_batch_2000.onnx.gz"


def acas_prop(k: int) -> Path:
    return BENCH / "vnncomp2022" / "acasxu" / "vnnlib" / f"prop_{k}.vnnlib.gz"
