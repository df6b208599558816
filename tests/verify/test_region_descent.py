"""Region descent (linear programs over activation regions): it finds violations that
gradient descent and sampling miss, never claims anything by itself, and decides ACAS Xu
property 7 on network 1_9 (a known counterexample hidden behind a plateau)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings, strategies as st

from conftest import shared_path
from exactrelu.verify.attack import pgd_candidates
from exactrelu.model.evaluation import evaluate, evaluate_float
from exactrelu.io.loader import load_model
from exactrelu.model.network import mlp
from exactrelu.verify.region_descent import region_descent, vertex_starts
from exactrelu.verify.property import confirm_float_point, verify
from exactrelu.domain.vnnlib import load_vnnlib, parse_vnnlib

HDR1 = "(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) (assert (<= X_0 1))\n"
HDR3 = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Real) (declare-const Y_0 Real)\n"
        + "".join(f"(assert (>= X_{i} -1)) (assert (<= X_{i} 1))" for i in range(3)) + "\n")


def _spike(c: str = "123/1000", slope: int = 10**6):
    """``1 - slope |x - c|``: at least 1/2 only within 1/(2 slope) of ``c``."""
    return mlp(1, [([[1], [-1]], [f"-{c}", c]), ([[-slope, -slope]], [1])])


def _violation(net, d, u):
    y = evaluate_float(net, [u])[0]
    return max(float(c.b) * -1 + sum(float(a) * x for a, x in zip(c.a, u)) + sum(float(w) * v for w, v in zip(c.c, y))
               for c in d.constraints)


def _spike3(slope: int = 10**6):
    """``1 - slope (|x0 - 123/1000| + |x1 + 1/7| + |x2 - 2/3|)``: at least 1/2 only on an
    octahedron of radius 1/(2 slope)."""
    c = ["123/1000", "-1/7", "2/3"]
    W = [[1 if j == i else 0 for j in range(3)] for i in range(3)] + [[-1 if j == i else 0 for j in range(3)]
                                                                       for i in range(3)]
    b = [f"-{ci}" if not ci.startswith("-") else ci[1:] for ci in c] + c
    return mlp(3, [(W, b), ([[-slope] * 6], [1])])


def test_descent_finds_a_spike_that_gradient_descent_steps_over():
    net = _spike3()
    prop = parse_vnnlib(HDR3 + "(assert (>= Y_0 (/ 1 2)))")
    d = prop.disjuncts[0]
    (_, v), *_ = pgd_candidates(net, prop, d.input_region)
    assert v > 0  # sign-gradient steps move every coordinate at once and never land in it
    u, v = region_descent(net, d.constraints, d.input_region, [-0.9, 0.9, 0])
    assert v <= 0 and abs(u[0] - 0.123) + abs(u[1] + 1 / 7) + abs(u[2] - 2 / 3) < 1e-6
    res = verify(net, prop)
    assert res.verdict == "violated" and res.found_by == "region descent"
    x = res.counterexample
    assert prop.is_counterexample(x, evaluate(net, x)) and res.exact_output == tuple(evaluate(net, x))


def test_descent_never_decides():
    """``y <= 1`` everywhere with equality only at x = 123/1000, which float64 cannot
    represent: the descent gets within rounding of a 'violation' of y > 1, the exact re-check
    refuses it and the walk proves the property."""
    net = _spike()
    prop = parse_vnnlib(HDR1 + "(assert (> Y_0 1))")
    d = prop.disjuncts[0]
    u, v = region_descent(net, d.constraints, d.input_region, [0.5])
    assert abs(u[0] - 0.123) < 1e-9 and v < 1e-6
    assert verify(net, prop).verdict == "holds"


def test_an_empty_conjunction_is_violated_everywhere():
    net = _spike()
    region = parse_vnnlib(HDR1 + "(assert (>= Y_0 5))").input_regions[0]
    assert region_descent(net, (), region, [0.5]) == ([0.5], float("-inf"))


def test_vertex_starts_score_every_vertex_for_every_disjunct():
    net = _spike()
    prop = parse_vnnlib(HDR1 + "(assert (or (>= Y_0 5) (<= Y_0 -2000000)))")
    starts = vertex_starts(net, prop.disjuncts, prop.input_regions[0])
    assert sorted((u[0], v) for v, u, _ in starts) == sorted(
        [(-1.0, 5 - (1 - 10**6 * 1.123)), (1.0, 5 - (1 - 10**6 * 0.877)),
         (-1.0, (1 - 10**6 * 1.123) + 2000000), (1.0, (1 - 10**6 * 0.877) + 2000000)])


def test_a_float_point_rounded_out_of_the_region_is_moved_in():
    net = mlp(1, [([[1]], [0])])
    prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 (/ 1 3))) "
                        "(assert (<= X_0 (/ 2 3))) (assert (<= Y_0 (/ 1 2)))")
    region = prop.input_regions[0]
    assert not region.contains([F(1 / 3)])  # float64's 1/3 is below 1/3
    res = confirm_float_point(net, prop, region, [1 / 3], "test")
    assert res.verdict == "violated" and F(1, 3) < res.counterexample[0] < F(1, 3) + F(1, 10**9)
    assert confirm_float_point(net, prop, region, [0.9], "test") is None  # far outside: refused


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.lists(st.floats(-1, 1), min_size=2, max_size=2))
def test_descent_only_improves_and_reports_the_true_float_violation(seed, start):
    rng = np.random.default_rng(seed)
    layers = [(rng.integers(-4, 5, (6, 2)).tolist(), rng.integers(-2, 3, 6).tolist()),
              (rng.integers(-4, 5, (6, 6)).tolist(), rng.integers(-2, 3, 6).tolist()),
              (rng.integers(-4, 5, (2, 6)).tolist(), [0, 0])]
    net = mlp(2, layers)
    prop = parse_vnnlib("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) "
                        "(declare-const Y_1 Real) (assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) "
                        "(assert (<= X_1 1)) (assert (<= Y_0 Y_1)) (assert (>= Y_0 -3))")
    d = prop.disjuncts[0]
    u, v = region_descent(net, d.constraints, d.input_region, start, seed=seed)
    assert all(-1 <= x <= 1 for x in u)
    assert v == _violation(net, d, u)
    assert v <= _violation(net, d, start)


def test_acas_xu_1_9_property_7_is_violated():
    """The one ACAS Xu instance the certified walk cannot finish in the competition's 116 s:
    its counterexamples lie behind a plateau where the network is constant; the descent
    from the box corner that violates least reaches one."""
    base = shared_path("vnncomp2022", "acasxu")
    net = load_model(base / "onnx" / "ACASXU_run2a_1_9_batch_2000.onnx.gz")
    prop = load_vnnlib(base / "vnnlib" / "prop_7.vnnlib.gz", 5, 5)
    res = verify(net, prop, time_limit=60)
    assert res.verdict == "violated" and res.found_by == "region descent"
    x = res.counterexample
    assert prop.is_counterexample(x, evaluate(net, x))
