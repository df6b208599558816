"""The checker's vertex-basis evidence (rule ``stable-farkas``, 2-D): the tree walk's
decision loop (:func:`decide`, which shares a cell's basis data between its decisions)
and :func:`vertex_basis_proves` called alone give the same verdicts, and every accepted
basis proves a true claim (checked at the cell's vertices, found by brute force)."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.checker.checker import (CertificateInvalid, CertificateMalformed, decide, number_reader,
                                       vertex_basis_proves)

BOX = [((1, 0, -1), 1), ((-1, 0, -1), 1), ((0, 1, -1), 1), ((0, -1, -1), 1)]  # [-1, 1]^2


def _cell(rng: random.Random) -> list:
    """The box cut by up to three random rows (as forms ``(v, d)``, ``v . (x, 1) / d <= 0``)."""
    rows = list(BOX)
    for _ in range(rng.randint(0, 3)):
        rows.append(((rng.randint(-5, 5), rng.randint(-5, 5), rng.randint(-3, 3)), rng.randint(1, 4)))
    return rows


def _vertices(rows: list) -> list:
    """Brute force: intersections of two rows satisfying every row (exact)."""
    out = []
    for (a, _), (b, _) in itertools.combinations(rows, 2):
        det = a[0] * b[1] - a[1] * b[0]
        if not det:
            continue
        x = Fraction(-a[2] * b[1] + b[2] * a[1], det)
        y = Fraction(-a[0] * b[2] + b[0] * a[2], det)
        if all(r[0] * x + r[1] * y + r[2] <= 0 for r, _ in rows):
            out.append((x, y))
    return out


def _walk_verdict(rows: list, form: tuple, sign: str, basis: list) -> str:
    """What the tree walk's decision loop says of ``[0, sign, basis]`` (one ReLU unit)."""
    net = SimpleNamespace(n_relu=1, unit_rank=[0], relu_offset=[0, 1])
    ctx = SimpleNamespace(net=net, n=2, num=number_reader())
    path = SimpleNamespace(bits=bytearray(b"*"), trail=[], rows=rows, rank=0, pre=[form])
    try:
        decide(ctx, path, [[0, sign, list(basis)]], 0)
    except CertificateInvalid as exc:
        return f"invalid:{exc.rule}"
    except CertificateMalformed:
        return "malformed"
    return "accepted"


def _direct_verdict(rows: list, form: tuple, sign: str, basis: list) -> str:
    try:
        ok = vertex_basis_proves(rows, -1 if sign == "+" else 1, form, list(basis))
    except CertificateInvalid as exc:
        return f"invalid:{exc.rule}"
    except CertificateMalformed:
        return "malformed"
    return "accepted" if ok else "invalid:stable-farkas"


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 10 ** 9))
def test_walk_and_direct_basis_tests_agree_and_are_sound(seed):
    rng = random.Random(seed)
    rows = _cell(rng)
    verts = _vertices(rows)
    form = ((rng.randint(-6, 6), rng.randint(-6, 6), rng.randint(-9, 9)), rng.randint(1, 3))
    sign = rng.choice("+-")
    basis = [rng.randrange(len(rows) + 1), rng.randrange(len(rows) + 1)]  # sometimes out of range
    walk = _walk_verdict(rows, form, sign, basis)
    assert walk == _direct_verdict(rows, form, sign, basis)
    assert walk in ("accepted", "invalid:stable-farkas")
    if walk == "accepted":  # the claim holds at every vertex, hence on the cell
        (g0, g1, gc), _ = form
        vals = [g0 * x + g1 * y + gc for x, y in verts]
        assert all(v >= 0 for v in vals) if sign == "+" else all(v <= 0 for v in vals)


def test_every_true_claim_at_a_simple_minimising_vertex_is_accepted():
    """Completeness where it matters: the basis of the vertex minimising the form proves it."""
    z = ((1, 2, 3), 1)  # x + 2y + 3 >= 0 on the box, minimum 0 at (-1, -1): rows 1 and 3
    assert _walk_verdict(BOX, z, "+", [1, 3]) == "accepted"
    assert _walk_verdict(BOX, z, "+", [3, 1]) == "accepted"
    assert _walk_verdict(BOX, z, "+", [0, 2]) == "invalid:stable-farkas"  # the wrong vertex
    assert _walk_verdict(BOX, z, "-", [1, 3]) == "invalid:stable-farkas"  # the wrong sign


@pytest.mark.parametrize("basis", [[1, 1], [0, 1], [1, 9], [-1, 2]])
def test_degenerate_bases_are_rejected_with_the_rule(basis):
    """The same row twice, parallel rows (x <= 1 and -x <= 1), a row out of range."""
    assert _walk_verdict(BOX, ((0, 0, 1), 1), "+", basis) == "invalid:stable-farkas"


def test_a_basis_needs_two_integer_rows():
    assert _walk_verdict(BOX, ((1, 2, 3), 1), "+", [1]) == "malformed"
    assert _walk_verdict(BOX, ((1, 2, 3), 1), "+", [1, 3, 0]) == "malformed"
