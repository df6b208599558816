"""Farkas evidence on regions: the exact proofs that consumers of a partition attach.

All functions work on a :class:`~exactrelu.regions.walk.Region` (its exact vertices and rows)
and return multipliers ``((row, p, q), ...)`` over the region's rows *as the checker
recomputes them* (domain rows as given, split rows from the exact pre-activations), so
they can be written into certificates unchanged.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> part = enumerate_regions(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1]))
>>> reg = part.regions[0]                       # x > 0, output x
>>> y = prove_le(reg, (Fraction(1),), Fraction(-1))   # x - 1 <= 0 on the region
>>> y is not None
True
>>> prove_le(reg, (Fraction(1),), Fraction(-1, 2)) is None   # x - 1/2 <= 0 is false there
True
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from ..domain.polytope import Point

__all__ = ["int_form", "prove_le", "max_over_region", "min_over_region", "prove_infeasible"]

Multipliers = tuple[tuple[int, int, int], ...]


def int_form(coeffs: Sequence[Fraction], const: Fraction) -> tuple[tuple[int, ...], int]:
    """``(coeffs . x + const)`` as integer form times a positive scale ``s``: returns (form, s)."""
    L = Fraction(const).denominator
    for c in coeffs:
        L = L * Fraction(c).denominator // math.gcd(L, Fraction(c).denominator)
    return tuple(int(Fraction(c) * L) for c in coeffs) + (int(Fraction(const) * L),), L


def prove_le(region, coeffs: Sequence[Fraction], const: Fraction) -> Multipliers | None:
    """Farkas multipliers proving ``coeffs . x + const <= 0`` on the region, or None if false."""
    cell = region.cell if hasattr(region, "cell") else region
    form, s = int_form(coeffs, const)
    neg = tuple(-v for v in form)
    vals = cell.values(neg)
    if min(vals) < 0:
        return None
    return tuple(sorted(cell.exact_multipliers(cell.farkas_nonneg(neg, vals), s)))


def max_over_region(region, coeffs: Sequence[Fraction], const: Fraction) -> tuple[Fraction, Point]:
    """Exact maximum of ``coeffs . x + const`` over the region and a vertex attaining it."""
    cell = region.cell if hasattr(region, "cell") else region
    form, s = int_form(coeffs, const)
    vals = cell.values(form)
    best = max(range(len(vals)), key=lambda i: Fraction(vals[i], cell.vertices[i][1]))
    return Fraction(vals[best], cell.vertices[best][1] * s), cell.vertex(best)


def min_over_region(region, coeffs: Sequence[Fraction], const: Fraction) -> tuple[Fraction, Point]:
    """Exact minimum of ``coeffs . x + const`` over the region and a vertex attaining it."""
    m, v = max_over_region(region, [-c for c in coeffs], -const)
    return -m, v


def prove_infeasible(region, atoms: Sequence[tuple]):
    """Decide whether ``{x in region : a_k . x <= b_k (or < b_k) for all atoms}`` is empty.

    ``atoms`` are ``(a, b)`` or ``(a, b, strict)``. Returns ``("empty", y)`` with multipliers
    ``y >= 0`` over the region rows followed by the atoms (indices ``len(rows) + k``) such
    that ``sum y_i (a_i . x - b_i)`` is a constant ``K`` with ``K > 0``, or ``K = 0`` and a
    positive multiplier on a strict atom (Motzkin's transposition theorem); or
    ``("point", x)`` with an exact point of the set (strict atoms strictly met).
    """
    cell = region.cell if hasattr(region, "cell") else region
    nrows = len(cell.rows)
    atoms = [(a, b, bool(rest[0]) if rest else False) for a, b, *rest in atoms]
    # one atom alone often refutes the conjunction: its minimum over the region's vertices
    for k, (a, b, strict) in enumerate(atoms):
        m, v = min_over_region(region, a, Fraction(0))
        if m < b or (m == b and not strict):  # the minimising vertex meets the atom ...
            if all(_meets(v, *atom) for atom in atoms):  # ... and every other one: a point
                return "point", v
            continue
        # a.x >= m >= b on the region: Farkas for  m - a.x <= 0, plus the atom with weight 1
        y = prove_le(region, [-c for c in a], m)
        return "empty", tuple(y) + ((nrows + k, 1, 1),)
    return _infeasible_lp(region, atoms)


def _meets(x: Sequence[Fraction], a: Sequence[Fraction], b: Fraction, strict: bool) -> bool:
    """Exact: does the point meet ``a . x <= b`` (``<`` if strict)?"""
    val = sum(ai * xi for ai, xi in zip(a, x))
    return val < b if strict else val <= b


def _cell_rows(cell):
    A, b = [], []
    for (a, bi), (P, Q) in zip(cell.rows, cell.scales):
        # the checker's row is (a, bi) * Q / P
        A.append([Fraction(v * Q, P) for v in a])
        b.append(Fraction(bi * Q, P))
    return A, b


def _infeasible_lp(region, atoms):
    from ..numbers.lp import lp_maximize

    cell = region.cell
    n = cell.n
    A, b = _cell_rows(cell)
    for a, bi, _ in atoms:
        A.append([Fraction(v) for v in a])
        b.append(Fraction(bi))
    m = len(A)
    # phase 1: the closed system.  maximise -s  s.t.  A x - s <= b,  -s <= 0
    A2 = [row + [Fraction(-1)] for row in A] + [[Fraction(0)] * n + [Fraction(-1)]]
    b2 = b + [Fraction(0)]
    res = lp_maximize(A2, b2, [Fraction(0)] * n + [Fraction(-1)])
    if res.status != "optimal":
        raise RuntimeError(f"unexpected LP status {res.status}")
    if res.value < 0:  # s* > 0: even the closed system is empty
        return "empty", tuple(sorted((i, v.numerator, v.denominator) for i, v in res.dual.items() if i < m and v))
    strict = [len(cell.rows) + k for k, (_, _, st) in enumerate(atoms) if st]
    if not strict:
        return "point", res.point[:n]
    # phase 2: maximise t  s.t.  closed rows,  strict rows + t <= b,  t <= 1
    A3 = [row + [Fraction(1) if i in strict else Fraction(0)] for i, row in enumerate(A)]
    A3.append([Fraction(0)] * n + [Fraction(1)])
    b3 = b + [Fraction(1)]
    res = lp_maximize(A3, b3, [Fraction(0)] * n + [Fraction(1)])
    if res.status != "optimal":
        raise RuntimeError(f"unexpected LP status {res.status}")
    if res.value > 0:
        return "point", res.point[:n]
    return "empty", tuple(sorted((i, v.numerator, v.denominator) for i, v in res.dual.items() if i < m and v))
