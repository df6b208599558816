"""The checker's batched backward products (exactrelu.checker.claims.relaxation._times and
Relaxation._backward_many) against plain sums: exact for any sizes and signs."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings, strategies as st

from exactrelu.checker.claims.relaxation import Relaxation, _times

ints = st.one_of(st.integers(-3, 3), st.integers(-(1 << 70), 1 << 70), st.integers(-(1 << 300), 1 << 300))


@st.composite
def matrices(draw):
    R, T, C = draw(st.integers(1, 6)), draw(st.integers(1, 7)), draw(st.integers(0, 5))
    rows = [[draw(ints) for _ in range(T)] for _ in range(R)]
    cols = [tuple(draw(ints) for _ in range(T)) for _ in range(C)]
    return rows, cols


@given(matrices())
@settings(max_examples=400, deadline=None)
def test_packed_products_equal_plain_sums(m):
    rows, cols = m
    assert _times(rows, cols) == [[sum(a * b for a, b in zip(r, c)) for c in cols] for r in rows]


def test_extreme_digits_do_not_overflow():
    big = (1 << 63) - 1
    rows = [[big, -big], [-big, -big], [0, big]]
    cols = [(big, big), (-big, big), (1, -1)]
    assert _times(rows, cols) == [[sum(a * b for a, b in zip(r, c)) for c in cols] for r in rows]


def test_many_objectives_at_once_give_the_forms_of_one_at_a_time():
    """Every relaxation of a real property certificate: the batch equals each objective alone."""
    from exactrelu.verify.property import property_certificate, verify
    from exactrelu.domain.vnnlib import parse_vnnlib
    from exactrelu.model.network import mlp

    net = mlp(2, [([[1, -1], [2, 1], [-1, 3], [1, 1]], [0, "-1/2", "1/3", "-1/4"]),
                  ([[1, -1, 2, 1], [-2, 1, 1, 1], [1, 1, -1, 2]], ["1/5", 0, "-1/3"]),
                  ([[1, -2, 1], [-1, 1, 1]], [0, 0])])
    prop = parse_vnnlib("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) "
                        "(declare-const Y_1 Real) (assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) "
                        "(assert (<= X_1 1)) (assert (>= Y_0 100))")
    res = verify(net, prop, time_limit=60)
    assert str(res.verdict) == "holds"
    cert = json.loads(json.dumps(property_certificate(net, prop, res)))
    seen = []
    orig = Relaxation._backward_many

    def spy(self, top, vecs, Dv, on_pre):
        got = orig(self, top, vecs, Dv, on_pre)
        if len(vecs) > 1:
            seen.append(len(vecs))
            assert got == [orig(self, top, [v], Dv, on_pre)[0] for v in vecs]
        return got

    Relaxation._backward_many = spy
    try:
        from exactrelu.checker import check_certificate
        assert check_certificate(cert).valid
    finally:
        Relaxation._backward_many = orig
    assert seen and max(seen) > 1
