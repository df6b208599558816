"""Gradient search for counterexamples: it finds violations that sampling misses, its
candidates are re-checked exactly, and a float-only 'violation' is never reported."""

from __future__ import annotations

from fractions import Fraction as F

from exactrelu.verify.attack import pgd_candidates
from exactrelu.model.evaluation import evaluate
from exactrelu.model.network import mlp
from exactrelu.verify.property import verify
from exactrelu.domain.vnnlib import parse_vnnlib

HDR = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)\n"
       "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1))\n")


def _peak(height: F = F(1)):
    """``height - 1000 (|x0 - 3/10| + |x1 + 1/5|)``: above 1/2 only on a diamond of radius
    1/2000 (area 5e-7: 2000 random samples of the square miss it)."""
    return mlp(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], ["-3/10", "3/10", "1/5", "-1/5"]),
                   ([[-1000, -1000, -1000, -1000]], [height])])


def test_gradient_search_finds_a_narrow_violation_that_sampling_misses():
    net = _peak()
    prop = parse_vnnlib(HDR + "(assert (>= Y_0 (/ 1 2)))")
    res = verify(net, prop, attack_seconds=0.0)  # sampling misses it; the exact walk finds it
    assert res.verdict == "violated" and res.found_by != "float-guided search"
    res = verify(net, prop)
    assert res.verdict == "violated" and res.found_by == "gradient search"
    x = res.counterexample
    assert prop.is_counterexample(x, evaluate(net, x)) and res.exact_output == tuple(evaluate(net, x))
    (u, v), *_ = pgd_candidates(net, prop, prop.input_regions[0], starts=16, steps=60)
    assert abs(u[0] - 0.3) + abs(u[1] + 0.2) < 1 / 2000 and v <= 0


def test_candidates_are_only_candidates():
    """At the peak value itself (y <= 1 everywhere, = 1 only at (3/10, -1/5), which float64
    cannot represent) no counterexample of 'y > 1' exists: descent gets close in float, the
    exact re-check refuses, and the walk proves the property."""
    net = _peak()
    prop = parse_vnnlib(HDR + "(assert (> Y_0 1))")
    assert pgd_candidates(net, prop, prop.input_regions[0], starts=16, steps=60)
    res = verify(net, prop)
    assert res.verdict == "holds"


def test_disjunctions_and_several_constraints():
    net = _peak()
    prop = parse_vnnlib(HDR + "(assert (or (and (>= Y_0 (/ 1 2)) (<= X_0 (/ 3 10))) (and (>= Y_0 5))))")
    res = verify(net, prop)
    assert res.verdict == "violated" and res.found_by == "gradient search" and res.counterexample[0] <= F(3, 10)
