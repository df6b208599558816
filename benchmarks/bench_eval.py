"""Exact evaluation speed on ACAS Xu: 1000 random points in the property-1 box.

    python benchmarks/bench_eval.py

Prints seconds for: exact batch evaluation (python-flint fmpz_mat, integer-scaled), exact one-point
evaluation (Fraction loops) on the same points, a plain Fraction reference, and float64;
the ratios are within one run.
"""

from __future__ import annotations

import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import acas, acas_prop  # noqa: E402

from exactrelu.model.evaluation import evaluate, evaluate_batch, evaluate_float
from exactrelu.io.loader import load_model
from exactrelu.domain.vnnlib import load_vnnlib


def main(n_points: int = 1000) -> None:
    net = load_model(acas(1, 1))
    box = load_vnnlib(acas_prop(1), 5, 5).domain
    rng = random.Random(0)
    # float-representable random points (what a float implementation could also be given)
    pts = [[Fraction(float(l + (h - l) * Fraction(rng.randrange(1 << 30), 1 << 30)))
            for l, h in zip(box.lower, box.upper)] for _ in range(n_points)]
    t = time.perf_counter()
    batch = evaluate_batch(net, pts)
    t_batch = time.perf_counter() - t
    k = min(100, n_points)
    t = time.perf_counter()
    single = [evaluate(net, p) for p in pts[:k]]
    t_single = (time.perf_counter() - t) * n_points / k
    assert single == batch[:k]
    evaluate_float(net, [[0.0] * 5])  # warm the float weight cache
    t = time.perf_counter()
    evaluate_float(net, [[float(v) for v in p] for p in pts])
    t_float = time.perf_counter() - t
    print(f"ACAS Xu 1_1, {n_points} random points in the prop-1 box")
    print(f"  exact batch (flint fmpz_mat):   {t_batch:8.3f} s  ({n_points / t_batch:,.0f} points/s)")
    print(f"  exact one point at a time:      {t_single:8.3f} s  (extrapolated from {k}; "
          f"batch is {t_single / t_batch:.1f}x faster)")
    print(f"  float64 numpy:                  {t_float:8.4f} s  (exact batch costs {t_batch / t_float:.0f}x float)")


if __name__ == "__main__":
    main()
