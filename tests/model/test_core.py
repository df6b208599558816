"""Numbers, the network model, evaluation and domains."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from exactrelu.domain.polytope import box, parse_box, polytope, load_domain
from exactrelu.errors import DomainError, ModelError, NumberError, PointError, ShapeError
from exactrelu.model.evaluation import (activation_pattern, affine_map, evaluate, evaluate_batch,
                                  evaluate_float)
from exactrelu.model.network import NetworkBuilder, mlp, residual_block
from exactrelu.model.random_nets import random_network
from exactrelu.numbers.rationals import (approximate, format_rational, is_float32_exact, parse_rational_list,
                                 to_rational)


# --- numbers -------------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [("0.1", F(1, 10)), ("-0.298552812", F(-298552812, 10**9)),
                                        ("3/7", F(3, 7)), ("1e-3", F(1, 1000)), ("-2", F(-2)),
                                        (" 5 / -10 ", F(-1, 2)), (".5", F(1, 2)), ("1.5E2", F(150))])
def test_strings_parse_exactly(text, value):
    assert to_rational(text) == value


@pytest.mark.parametrize("bad", ["", "abc", "1/0", "0x10", "1..2", "nan", "inf", float("nan"), float("inf"),
                                 True, None, [1]])
def test_bad_numbers_are_refused(bad):
    with pytest.raises(NumberError):
        to_rational(bad)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_convert_exactly(x):
    q = to_rational(x)
    assert q.denominator & (q.denominator - 1) == 0  # dyadic
    assert float(q) == x and q == F(x)


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_numpy_float32_scalars_are_exact(x):
    q = to_rational(np.float32(x))
    assert float(np.float32(x)) == float(q) and is_float32_exact(q)


def test_approximation_only_on_request_and_reports_change():
    vals = [to_rational(0.1), F(1, 3)]
    assert vals[0] != F(1, 10)
    out, change = approximate(vals, 10)
    assert out == [F(1, 10), F(1, 3)]
    assert change == abs(to_rational(0.1) - F(1, 10)) and change > 0


def test_format_and_list_parsing():
    assert format_rational(F(-6, 4)) == "-3/2"
    assert parse_rational_list("-1/2,3/4,0.1") == (F(-1, 2), F(3, 4), F(1, 10))
    with pytest.raises(NumberError):
        parse_rational_list("1,,2")


# --- network model ---------------------------------------------------------------------
def test_validation_errors():
    with pytest.raises(ShapeError):
        mlp(2, [([[1, 2, 3]], [0])])
    with pytest.raises(ShapeError):
        mlp(2, [([[1, 2]], [0, 1])])
    with pytest.raises(ModelError):
        mlp(2, [([[1, float("nan")]], [0])])
    with pytest.raises(ModelError):
        mlp(2, [([[1, float("inf")]], [0])])
    with pytest.raises(ModelError):
        mlp(0, [([[1]], [0])])
    b = NetworkBuilder(2)
    with pytest.raises(ModelError):
        b.add({3: [[1, 1]]}, [0])
    with pytest.raises(ModelError):
        mlp(1, [([[1]], [0])], activations=["tanh"])


def _reference_eval(layers, x):
    """Independent evaluation with plain Fractions (hidden ReLU, affine output)."""
    h = [F(v) for v in x]
    for k, (W, b) in enumerate(layers):
        z = [sum(F(w) * v for w, v in zip(row, h)) + F(bi) for row, bi in zip(W, b)]
        h = z if k == len(layers) - 1 else [max(v, F(0)) for v in z]
    return tuple(h)


rationals = st.fractions(min_value=-4, max_value=4, max_denominator=64)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.lists(st.tuples(rationals, rationals), min_size=5, max_size=5))
def test_evaluation_matches_reference_single_and_batch(seed, pts):
    from exactrelu.model.random_nets import random_layers

    layers = random_layers([5, 4], seed, n_in=2, n_out=2, denom=7)
    net = mlp(2, layers)
    batch = evaluate_batch(net, pts)
    for p, yb in zip(pts, batch):
        ref = _reference_eval(layers, p)
        assert evaluate(net, p) == ref == yb
        C, d = affine_map(net, activation_pattern(net, p))
        assert tuple(sum(c * v for c, v in zip(row, p)) + di for row, di in zip(C, d)) == ref
    flt = evaluate_float(net, [[float(a), float(b)] for a, b in pts])
    for row, ref in zip(flt, batch):
        for f, q in zip(row, ref):
            assert math.isclose(f, float(q), rel_tol=1e-9, abs_tol=1e-9)


def test_batch_patterns_match_single():
    net = random_network([6, 6], seed=3)
    pts = [(F(i, 7), F(-j, 5)) for i in range(-3, 4) for j in range(-2, 3)]
    ys, pats = evaluate_batch(net, pts, return_patterns=True)
    assert pats == [activation_pattern(net, p) for p in pts]


def test_residual_block_and_skips():
    b = NetworkBuilder(2)
    out = residual_block(b, b.input, [[1, 0], [0, 1]], [0, 0], [[-1, 0], [0, 2]], [0, 0])
    b.dense(out, [[1, 1]], [0])
    net = b.build()
    assert net.has_skips and net.n_relu == 4
    # relu(-relu(x) + x) = 0 ; relu(2 relu(y) + y) = 3y for y>0
    assert evaluate(net, [3, 2]) == (F(6),)
    assert evaluate(net, [-3, -2]) == (F(0),)
    res = random_network([3, 3, 3], seed=5, residual=True)
    plain = random_network([3, 3, 3], seed=5)
    assert res.has_skips and not plain.has_skips
    assert [l.sources for l in res.layers] == [(0,), (0, 1), (1, 2), (3,)]


def test_point_errors():
    net = random_network([3], seed=1)
    with pytest.raises(PointError):
        evaluate(net, [1, 2, 3])
    with pytest.raises(PointError):
        evaluate(net, ["x", 1])


def test_describe():
    d = random_network([3, 4], seed=1).describe()
    assert d["inputs"] == 2 and d["outputs"] == 1 and d["relu_layers"] == [3, 4] and d["relu_units"] == 7
    assert d["max_denominator_bits"] == 5  # denominators 16


# --- domains ------------------------------------------------------------------------------
def test_domains():
    D = parse_box("-1:1,0:1/2")
    assert D.dim == 2 and len(D.vertices) == 4 and D.contains([0, "1/4"], strict=True)
    assert parse_box("-1:1", n_inputs=3).dim == 3
    with pytest.raises(DomainError):
        parse_box("-1:1,0:1", n_inputs=3)
    with pytest.raises(DomainError):
        box([0], [0])  # lower-dimensional
    with pytest.raises(DomainError):
        polytope([[1, 0], [-1, 0]], [1, 1])  # unbounded
    with pytest.raises(DomainError):
        polytope([[1], [-1]], [-1, -1])  # empty
    with pytest.raises(DomainError):
        polytope([[1, 0], [-1, 0], [0, 1], [0, -1]], [1, -1, 1, 1])  # x = 1: lower-dimensional
    tri = polytope([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])
    assert len(tri.vertices) == 3 and tri.contains(tri.interior_point, strict=True)


def test_domain_file(tmp_path):
    p = tmp_path / "d.json"
    p.write_text('{"A": [[1, 0], [-1, 0], [0, 1], [0, -1]], "b": ["1/2", "1/2", 1, 1]}')
    assert load_domain(p).upper == (F(1, 2), F(1))
    p.write_text('{"A": [[1.5, 0]], "b": [1]}')
    with pytest.raises(DomainError):
        load_domain(p)
