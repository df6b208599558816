"""Weight-level (sign-split / patterns) and tropical representations against independent oracles.

Oracle: the checker's own forward pass (``exactrelu.checker.checker.evaluate`` on the
network's JSON; it shares no code with exactrelu's evaluation or with the shallow
constructions), at random rational points and at the exact vertices of the network's
linear regions.
"""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu.checker.checker import evaluate as checker_evaluate
from exactrelu.checker.checker import parse_network
from exactrelu.domain.polytope import box
from exactrelu.model.evaluation import evaluate
from exactrelu.io.native_json import network_to_dict
from exactrelu.model.network import NetworkBuilder, mlp
from exactrelu.model.random_nets import random_network
from exactrelu.regions.walk import enumerate_regions
from exactrelu.shallow import (ShallowRepresentation, TooManyTerms, pattern_applicable, pattern_max, sign_split,
                               tropical_form, weight_representation)
from exactrelu.shallow.lazy import count


def oracle(net):
    parsed = parse_network(network_to_dict(net))
    return lambda x: checker_evaluate(parsed, [F(v) for v in x])


def points(n: int, k: int, seed: int, lo: int = -1, hi: int = 1):
    """Random rationals in [lo, hi]^n with assorted denominators."""
    rng = random.Random(seed)
    out = []
    for _ in range(k):
        x = []
        for _ in range(n):
            d = 997 - rng.randint(0, 300)
            x.append(F(rng.randint(lo * d, hi * d), d))
        out.append(x)
    return out


def region_vertices(net, lo=-1, hi=1):
    part = enumerate_regions(net, box([lo] * net.n_inputs, [hi] * net.n_inputs))
    return [v for r in part.regions for v in r.vertices]


nets = st.tuples(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(0, 10_000), st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nets)
def test_sign_split_equals_network(spec):
    widths, seed, residual = spec
    net = random_network(widths, seed=seed, residual=residual)
    f = oracle(net)
    rep = sign_split(net)
    for x in points(2, 6, seed) + region_vertices(net)[:40]:
        assert rep.evaluate(x) == f(x)[0]
    c = rep.counts()
    assert c["terms"] >= 1 and c["max_units_per_term"] <= c["distinct_units"] == rep.basis.size
    if count(rep.plus) + count(rep.minus) <= 3000:
        m = rep.materialise(3000, domain=box([-1, -1], [1, 1]))
        assert m.counts()["terms"] <= c["terms"]
        for x in points(2, 6, seed + 1):  # domain simplification: equal on the domain
            assert m.evaluate(x) == f(x)[0]
        g = m.to_network()
        for x in points(2, 4, seed + 2):
            assert evaluate(g, x)[0] == f(x)[0]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nets)
def test_tropical_equals_network(spec):
    widths, seed, residual = spec
    net = random_network(widths, seed=seed, residual=residual)
    f = oracle(net)
    t = tropical_form(net)
    assert t.counts()["hidden_units"] == 0  # F and G are max-affine
    for x in points(2, 5, seed) + region_vertices(net)[:30]:
        assert t.evaluate(x) == f(x)[0]
    if count(t.plus) * count(t.minus) <= 400:
        m = t.materialise(5000)
        pm = m.pure_max()  # F - G as a pure max of one-hidden-layer networks
        assert pm.is_pure_max
        for x in points(2, 5, seed + 3):
            assert m.evaluate(x) == pm.evaluate(x) == f(x)[0]


def test_two_layer_count_is_the_sign_split_formula():
    # f = c + sum_k v_k relu(z_k) with 3 positive and 2 negative v_k: 2^3 + 2^2 terms
    W1 = [[1, 0], [0, 1], [1, -1]]
    W2 = [[1, 1, 0], [1, -1, 1], [0, 1, 1], [2, 0, -1], [1, 1, 1]]
    net = mlp(2, [(W1, [0, 0, 0]), (W2, [0, 1, -1, 0, "1/2"]), ([[1, 2, "1/3", -1, -2]], [5])])
    c = sign_split(net).counts()
    assert (c["plus_terms"], c["minus_terms"], c["terms"]) == (8, 4, 12)
    assert c["max_units_per_term"] == 3 and c["max_units_exact"]
    f = oracle(net)
    for x in points(2, 10, 1, -3, 3):
        assert sign_split(net).evaluate(x) == f(x)[0]


def test_nonnegative_deep_weights_give_a_pure_max_of_2_to_the_deep_units():
    rng = random.Random(5)
    W1 = [[F(rng.randint(-20, 20), 8) for _ in range(2)] for _ in range(3)]
    b1 = [F(rng.randint(-8, 8), 8) for _ in range(3)]
    W2 = [[F(rng.randint(-20, 20), 8) for _ in range(3)] for _ in range(3)]  # any sign: reads base units
    W3 = [[F(rng.randint(0, 20), 8) for _ in range(3)] for _ in range(2)]   # non-negative from here on
    W4 = [[F(rng.randint(0, 20), 8) for _ in range(2)]]
    net = mlp(2, [(W1, b1), (W2, [0, F(1, 4), -1]), (W3, [F(-1, 2), 0]), (W4, [1])])
    assert pattern_applicable(net)
    rep = pattern_max(net)
    assert rep.is_pure_max and rep.info["terms_in_formula"] == 2 ** 5  # N - n1 = 3 + 2 deep units
    assert weight_representation(net).counts()["scheme"] == "patterns"
    assert sign_split(net).is_pure_max  # the sign split is a pure max here too (larger)
    f = oracle(net)
    for x in points(2, 10, 2) + region_vertices(net):
        assert rep.evaluate(x) == f(x)[0]
    bad = mlp(2, [(W1, b1), (W2, [0, 0, 0]), ([[1, -1, 0]], [0])])
    assert not pattern_applicable(bad)
    with pytest.raises(Exception):
        pattern_max(bad)


def test_residual_skips_change_the_count_only_from_deep_signals():
    for seed in range(3):
        plain = random_network([3, 3, 3], seed=seed)
        res = random_network([3, 3, 3], seed=seed, residual=True)  # skips from x and from layer 1
        assert sign_split(plain).counts()["terms"] == sign_split(res).counts()["terms"]
        plain4 = random_network([3, 3, 3, 3], seed=seed)
        res4 = random_network([3, 3, 3, 3], seed=seed, residual=True)  # + a skip from layer 2 (deep)
        assert sign_split(res4).counts()["terms"] > sign_split(plain4).counts()["terms"]


def test_astronomical_counts_are_exact_and_listing_refuses():
    net = random_network([6, 6, 6, 6], seed=3)
    t = tropical_form(net)
    c = t.counts()
    assert isinstance(c["terms"], int) and c["terms"] > 10 ** 12
    with pytest.raises(TooManyTerms, match="counts only"):
        t.materialise(10_000)
    f = oracle(net)
    for x in points(2, 3, 0):  # exact evaluation without listing
        assert t.evaluate(x) == f(x)[0]
    fn = t.formula_network()  # and the formula as a network (size linear in the formula)
    assert fn.n_relu < 200
    for x in points(2, 3, 1):
        assert evaluate(fn, x)[0] == f(x)[0]


def test_shallow_units_in_later_layers_and_identity_layers():
    # a ReLU unit fed by the input through a skip is a base unit; identity layers pass through
    b = NetworkBuilder(2)
    h1 = b.dense(b.input, [[1, -1], [1, 1]], [0, "-1/2"], "relu")
    lin = b.dense(h1, [[1, -2]], [1], "identity")
    h2 = b.add({b.input: [[2, 1]], lin: [[0]]}, ["1/3"], "relu")  # zero weight from lin: still a base unit
    h3 = b.add({lin: [[1]], h2: [[-1]]}, [0], "relu")
    b.add({h3: [[3]], b.input: [[1, 0]]}, [0])
    net = b.build()
    rep = sign_split(net)
    assert rep.basis.size == 3
    f = oracle(net)
    for x in points(2, 10, 4, -2, 2):
        assert rep.evaluate(x) == f(x)[0]
        assert tropical_form(net).evaluate(x) == f(x)[0]


def test_materialised_simplification_keeps_the_function():
    net = random_network([4, 4], seed=11)
    m = sign_split(net).materialise(simplify=False)
    s = m.simplify()
    assert len(s.plus) <= len(m.plus) and len(s.minus) <= len(m.minus)
    f = oracle(net)
    for x in points(2, 20, 5, -5, 5):  # global simplification: equal everywhere
        assert s.evaluate(x) == m.evaluate(x) == f(x)[0]


def test_shallow_representation_validation():
    from exactrelu.errors import ModelError
    from exactrelu.shallow import HiddenBasis

    with pytest.raises(ModelError):
        ShallowRepresentation(HiddenBasis(1), [])
    with pytest.raises(ModelError):
        ShallowRepresentation(HiddenBasis(1), [(F(1),)])
    with pytest.raises(ModelError):
        sign_split(random_network([2], seed=0), output=3)
