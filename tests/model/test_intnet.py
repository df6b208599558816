"""The integer kernel (exactrelu.model.intnet) against plain Fraction arithmetic.

Every path of the next-layer forms -- float64 and int64 sums under their bounds, the int64
product with a Python-int tail, python-flint -- must give the canonical result: the exact
rational forms over the least common denominator of all their entries.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest

from exactrelu.model.intnet import _FLOAT, _INT, _NONE, _PY, IntNet, identity_forms
from exactrelu.model.network import mlp
from exactrelu.model.random_nets import random_network


def reference(net, k, outs):
    """Layer ``k``'s forms from ``outs[s] = (forms, D)`` (None = off) in Fractions, put over
    the least common denominator of all entries."""
    layer = net.layers[k - 1]
    n1 = net.n_inputs + 1
    rows = []
    for i in range(layer.width):
        acc = [Fraction(0)] * n1
        for s, W in layer.inputs:
            forms, D = outs[s]
            for j, h in enumerate(forms):
                if h is not None and W[i][j]:
                    for c in range(n1):
                        acc[c] += W[i][j] * Fraction(h[c], D)
        acc[-1] += layer.bias[i]
        rows.append(acc)
    L = 1
    for row in rows:
        for v in row:
            L = math.lcm(L, v.denominator)
    return [tuple(int(v * L) for v in row) for row in rows], L


def assert_python_ints(forms):
    assert type(forms) is list and all(type(f) is tuple for f in forms)
    assert all(type(v) is int for f in forms for v in f)


def masked_outs(forms, mask):
    return tuple(f if m else None for f, m in zip(forms, mask.tolist()))


def entry_mode(kern, forms):
    return kern._masked[id(forms)][3]


def test_chained_layers_equal_fractions():
    """Random nets, random masks, layer after layer (so the cached data made for the next
    layer is used): masked_layer_forms, layer_forms and the flint product all give the
    Fraction result; a fresh kernel gives the same."""
    rng = random.Random(5)
    for seed in range(8):
        net = random_network([9, 7, 6, 5], seed=seed, denom=rng.choice([4, 16, 6]))
        kern = IntNet(net)
        outs = ((tuple(identity_forms(2)), 1),)
        forms, D = kern.layer_forms(1, outs)
        assert (forms, D) == reference(net, 1, outs) == kern._flint_layer_forms(1, outs)
        for k in range(2, len(net.layers) + 1):
            for _ in range(3):  # several masks for the same forms (cache hits)
                mask = np.array([rng.random() < 0.6 for _ in forms])
                got = kern.masked_layer_forms(k, forms, D, mask)
                assert got is not None
                masked = masked_outs(forms, mask)
                assert got[0] == masked and all(a is b for a, b in zip(got[0], forms) if a is not None)
                o = outs + ((masked, D),)
                want = reference(net, k, o)
                assert got[1] == want == kern.layer_forms(k, o) == kern._flint_layer_forms(k, o)
                assert IntNet(net).masked_layer_forms(k, list(forms), D, mask) == got
                assert_python_ints(got[1][0])
            outs = outs + ((masked, D),)
            forms, D = got[1]


def test_residual_layers_use_flint_and_equal_fractions():
    net = random_network([6, 6, 6], seed=3, residual=True)
    kern = IntNet(net)
    rng = random.Random(1)
    outs = ((tuple(identity_forms(2)), 1),)
    for k in range(1, len(net.layers) + 1):
        forms, D = kern.layer_forms(k, outs)
        assert (forms, D) == reference(net, k, outs)
        assert_python_ints(forms)
        if k < len(net.layers):
            mask = np.array([rng.random() < 0.5 for _ in forms])
            o = outs + ((masked_outs(forms, mask), D),)
            got = kern.masked_layer_forms(k + 1, forms, D, mask)
            if k + 1 < len(net.layers):  # two sources (a skip): no fast path
                assert got is None
            else:
                assert got[1] == reference(net, k + 1, o)
            outs = o


def two_layer(W1, W2, b2):
    """A net whose layer 2 (weights W2, bias b2) reads the ReLU layer 1 (weights W1)."""
    return mlp(2, [(W1, [0] * len(W1)), (W2, b2)])


@pytest.mark.parametrize("case", ["float", "int", "python tail", "scale f", "gcd"])
def test_modes_equal_fractions(case):
    """Each way of summing, chosen by the bound, gives the Fraction result."""
    rng = random.Random(case)
    w = 8
    W1 = [[1, 0]] * w
    if case == "float":
        W2, b2, big, D = [[rng.randint(-9, 9) for _ in range(w)] for _ in range(5)], ["1/3"] * 5, 10 ** 6, 7
        mode = _FLOAT
    elif case == "int":  # bound about 2**57: past float64, inside int64
        W2, b2, big, D = [[rng.randint(-16, 16) for _ in range(w)] for _ in range(5)], ["1/2"] * 5, 2 ** 50, 3
        mode = _INT
    elif case == "python tail":  # the product fits, the bias over the common denominator not
        W2, b2, big, D = [[rng.randint(-3, 3) for _ in range(w)] for _ in range(5)], [2 ** 62 + 1] * 5, 2 ** 20, 1
        mode = _PY
    elif case == "scale f":  # f = 3**30 rescales the product: int64 sums no longer provably fit
        W2, b2, big, D = [[rng.randint(-3, 3) for _ in range(w)] for _ in range(5)], [f"1/{3 ** 30}"] * 5, 2 ** 20, 2
        mode = _PY
    else:  # every numerator even and D even: a gcd to divide out
        W2, b2, big, D = [[2 * rng.randint(-3, 3) for _ in range(w)] for _ in range(5)], [2] * 5, 2 ** 10, 4
        mode = _FLOAT
    net = two_layer(W1, W2, b2)
    kern = IntNet(net)
    forms = [tuple(rng.randint(-big, big) for _ in range(3)) for _ in range(w)]
    for _ in range(4):
        mask = np.array([rng.random() < 0.7 for _ in range(w)])
        got = kern.masked_layer_forms(2, forms, D, mask)
        assert entry_mode(kern, forms) == mode
        o = (None, (masked_outs(forms, mask), D))
        assert got[1] == reference(net, 2, o) == kern.layer_forms(2, o) == kern._flint_layer_forms(2, o)
        assert_python_ints(got[1][0])
        if case == "gcd":  # every numerator over lcm(Eb, E * D) = D is even
            assert got[1][1] < D


def test_float_bound_edges():
    """Forms at the edge of the float64 bound go to int64, just below it they stay float64;
    both give the Fraction result."""
    w = 4
    net = two_layer([[1, 0]] * w, [[1] * w], [0])
    for big, mode in ((2 ** 51 - 1, _FLOAT), (2 ** 51, _INT), (2 ** 60, _NONE)):
        kern = IntNet(net)
        forms = [(big, -big, big)] * w
        mask = np.ones(w, dtype=bool)
        got = kern.masked_layer_forms(2, forms, 1, mask)
        assert entry_mode(kern, forms) == mode
        o = (None, (masked_outs(forms, mask), 1))
        want = reference(net, 2, o)
        assert (got is None if mode == _NONE else got[1] == want)
        assert kern.layer_forms(2, o) == want


def test_huge_numbers_step_aside():
    """Numbers too large for int64 (in the first live row, or only in a later one): no fast
    path, and layer_forms gives the Fraction result through python-flint."""
    w = 5
    net = two_layer([[1, 0]] * w, [[1, -2, 3, 0, 1]] * 3, ["1/5", 0, 2])
    for forms in ([(3 ** 60, -(5 ** 40), 7)] * w,
                  [(1, 2, 3)] * (w - 1) + [(3 ** 60, 1, 1)],
                  [None, (2 ** 63, 0, 0)] + [(1, 1, 1)] * (w - 2)):
        kern = IntNet(net)
        mask = np.ones(w, dtype=bool)
        if forms[0] is not None:
            assert kern.masked_layer_forms(2, forms, 1, mask) is None
        o = (None, (tuple(forms), 1))
        assert kern.layer_forms(2, o) == reference(net, 2, o) == kern._flint_layer_forms(2, o)


def test_cached_data_follows_forms_and_denominator():
    """The same forms with another denominator, or equal forms in another list, give their
    own exact results (the cache is keyed by the list and checked against D)."""
    net = random_network([6, 5], seed=2)
    kern = IntNet(net)
    forms = [tuple(random.Random(i).randint(-50, 50) for _ in range(3)) for i in range(6)]
    mask = np.array([True, False, True, True, False, True])
    for D in (1, 3, 16, 3):
        got = kern.masked_layer_forms(2, forms, D, mask)
        assert got[1] == reference(net, 2, (None, (masked_outs(forms, mask), D)))
        assert kern.masked_layer_forms(2, list(forms), D, mask) == got
