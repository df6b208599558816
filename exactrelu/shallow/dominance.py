"""Domination between the terms of a maximum: exact, vectorised, valid on a domain.

A term ``a`` of ``max(...)`` can be dropped when another term ``b`` is at least ``a``
everywhere (or at every vertex of the domain): ``b - a`` has non-negative hidden-unit
coefficients and a non-negative affine part.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

__all__ = ["prune_dominated"]

Vec = tuple[Fraction, ...]
_ONE = Fraction(1)


def _int_matrix(rows: Sequence[Sequence[Fraction]]) -> list[list[int]]:
    """Rows scaled by one common positive denominator (exact ints, same order)."""
    D = 1
    for r in rows:
        for v in r:
            if v.denominator != 1:
                D = D * v.denominator // math.gcd(D, v.denominator)
    return [[int(v * D) for v in r] for r in rows]


def prune_dominated(ts: list[Vec], n: int, domain: Any = None, limit: int = 20000) -> list[Vec]:
    """Drop the terms of a max that another term dominates (see ShallowRepresentation.simplify).

    Parameters
    ----------
    ts : list of term vectors ``(c_1..c_n, c_0, a_1..a_U)``: affine part, then hidden-unit
        coefficients
    n : number of inputs (``ts[i][n]`` is the constant)
    domain : Polytope or None; with it, the affine parts are compared at its vertices
    limit : above this many terms the list is returned as it is

    Returns
    -------
    list
        The terms that no other term dominates, in their order.

    ``a <= b`` when ``b - a`` has non-negative hidden-unit coefficients and a non-negative
    affine part (everywhere, or at every domain vertex). Among equivalent terms the first
    is kept. Exact integer arithmetic (numpy int64 when the entries are small enough,
    Python ints otherwise); skipped above ``limit`` terms.
    """
    import numpy as np

    T = len(ts)
    if T <= 1 or T > limit:
        return ts
    n1 = n + 1
    M = _int_matrix(ts)
    if domain is None:
        aff_rows = [r[:n1] for r in M]
        V = None
    else:
        Vi = _int_matrix([tuple(v) + (_ONE,) for v in domain.vertices])
        V = Vi
        aff_rows = [[sum(a * b for a, b in zip(r[:n1], v)) for v in Vi] for r in M]
    big = max((abs(v) for r in M for v in r), default=0).bit_length() > 60 or \
        max((abs(v) for r in aff_rows for v in r), default=0).bit_length() > 60
    dt = object if big else np.int64
    U = np.array([r[n1:] for r in M], dtype=dt).reshape(T, -1)
    A = np.array(aff_rows, dtype=dt).reshape(T, -1)
    idx = np.arange(T)
    keep = []
    for i in range(T):
        dU = U - U[i]
        dA = A - A[i]
        if V is None:
            ok_fwd = (dU >= 0).all(axis=1) & (dA[:, :n] == 0).all(axis=1) & (dA[:, n] >= 0)
            ok_rev = (dU <= 0).all(axis=1) & (dA[:, :n] == 0).all(axis=1) & (dA[:, n] <= 0)
        else:
            ok_fwd = (dU >= 0).all(axis=1) & (dA >= 0).all(axis=1)
            ok_rev = (dU <= 0).all(axis=1) & (dA <= 0).all(axis=1)
        ok_fwd[i] = False
        # i is dominated by j; when they dominate each other, the earlier one is kept
        drop = ok_fwd & ~(ok_rev & (idx > i))
        if not drop.any():
            keep.append(ts[i])
    return keep
