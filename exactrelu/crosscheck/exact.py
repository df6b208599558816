"""Exact helpers of the cross-check search: anchors, affine forms of a region (python-flint),
exact projections, polytope membership and the search contexts.

A single affine form here is ``(w, c)``: a tuple of Fractions and a Fraction, ``w . x + c``
over the free inputs (:func:`row_form` takes one out of the python-flint matrices of
:func:`flint_forms`, whose rows are gradient columns then the constant); :func:`form_value`
evaluates one exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..domain.polytope import Polytope
from ..model.network import Network

__all__ = ["Anchor", "Membership", "SearchContext", "ZERO", "argbest", "dyadic", "exact_relu_pre",
           "flint_forms", "fmpq_column", "form_value", "from_fmpq", "int_form", "project", "row_form",
           "rows_to_forms", "to_fmpq"]


ZERO = Fraction(0)


@dataclass
class Anchor:
    """An exact point (free coordinates) and the forms ``w.x + c`` that vanish near it."""

    point: tuple[Fraction, ...]
    forms: list
    direction: np.ndarray | None = None
    raw: bool = False  # a ready float point: evaluate as is


def form_value(form, x: Sequence[Fraction]) -> Fraction:
    """The exact value ``w . x + c`` at ``x`` of the form ``(w, c)``."""
    w, c = form
    acc = c
    for wi, xi in zip(w, x):
        if wi and xi:
            acc += wi * xi
    return acc


def int_form(form) -> tuple[tuple[int, ...], int, float]:
    """``(W, c, ||W||_1)`` with ``W.x + c`` a positive multiple of the form (integers)."""
    w, c = form
    L = c.denominator
    for v in w:
        L = L * v.denominator // math.gcd(L, v.denominator)
    W = tuple(int(v * L) for v in w)
    return W, int(c * L), sum(abs(v) for v in W) or 1


def flint_forms(net: Network, pattern: str):
    """Exact pre-activation forms of every layer under ``pattern`` (flint ``fmpq_mat``,
    ``width x (n+1)``: gradient columns, then the constant)."""
    import flint

    from ..model.evaluation import flint_mats

    n = net.n_inputs
    outs = [flint.fmpq_mat(n, n + 1, [1 if j == i else 0 for i in range(n) for j in range(n + 1)])]
    pres = []
    pos = 0
    for layer, (ws, b) in zip(net.layers, flint_mats(net)):
        Z = None
        for s, W in ws:
            P = W * outs[s]
            Z = P if Z is None else Z + P
        w = layer.width
        bias = flint.fmpq_mat(w, n + 1, [b[i, 0] if j == n else 0 for i in range(w) for j in range(n + 1)])
        Z = Z + bias
        pres.append(Z)
        if layer.activation.value == "relu":
            bits = pattern[pos:pos + w]
            pos += w
            if "0" in bits:
                ent = Z.entries()
                zero = flint.fmpq(0)
                for i, bit in enumerate(bits):
                    if bit == "0":
                        ent[i * (n + 1):(i + 1) * (n + 1)] = [zero] * (n + 1)
                outs.append(flint.fmpq_mat(w, n + 1, ent))
            else:
                outs.append(Z)
        else:
            outs.append(Z)
    return pres, outs[-1]


def row_form(M, i: int, n: int):
    """Row ``i`` of the fmpq matrix ``M`` (``n`` gradient columns, then the constant) as a form ``(w, c)``."""
    e = [M[i, j] for j in range(n + 1)]
    return tuple(Fraction(int(v.p), int(v.q)) for v in e[:n]), Fraction(int(e[n].p), int(e[n].q))


def project(x: Sequence[Fraction], form) -> tuple[Fraction, ...] | None:
    """Exact orthogonal projection of ``x`` onto ``{w.x + c = 0}``."""
    w, c = form
    nn = sum(v * v for v in w)
    if not nn:
        return None
    t = form_value(form, x) / nn
    return tuple(xi - t * wi for xi, wi in zip(x, w))


def argbest(y: Sequence[Fraction], sign: int) -> int:
    """The index of the largest (``sign = 1``) or smallest (``sign = -1``) entry, lowest index on
    ties."""
    best = 0
    for i in range(1, len(y)):
        if (y[i] > y[best]) if sign > 0 else (y[i] < y[best]):
            best = i
    return best


def to_fmpq(v: Fraction):
    """A Fraction as a python-flint ``fmpq``."""
    import flint

    return flint.fmpq(v.numerator, v.denominator)


def from_fmpq(q) -> Fraction:
    """A python-flint ``fmpq`` as a Fraction."""
    return Fraction(int(q.p), int(q.q))


def fmpq_column(x: Sequence[Fraction]):
    """``[x; 1]`` as a flint column."""
    import flint

    return flint.fmpq_mat(len(x) + 1, 1, [to_fmpq(v) for v in x] + [1])


def rows_to_forms(M, rows: Sequence[int], n: int) -> list:
    """The forms of the given ``rows`` of the fmpq matrix ``M`` (see :func:`row_form`)."""
    ent = M.entries()
    w = n + 1
    return [(tuple(from_fmpq(ent[i * w + t]) for t in range(n)), from_fmpq(ent[i * w + n])) for i in rows]


def dyadic(xf: np.ndarray) -> tuple[list[int], int]:
    """``x_i = N_i / 2**E`` exactly for a float vector."""
    pairs = [float(v).as_integer_ratio() for v in xf.astype(np.float64).tolist()]
    E = max(q.bit_length() - 1 for _, q in pairs)
    return [p << (E - (q.bit_length() - 1)) for p, q in pairs], E


def exact_relu_pre(net: Network, x: Sequence[Fraction]) -> list[Fraction]:
    """Exact pre-activations of all ReLU units at ``x`` (flint)."""
    import flint

    from ..model.evaluation import flint_mats

    outs = [flint.fmpq_mat(len(x), 1, [to_fmpq(v) for v in x])]
    pre = []
    zero = flint.fmpq(0)
    for layer, (ws, b) in zip(net.layers, flint_mats(net)):
        Z = None
        for s, W in ws:
            P = W * outs[s]
            Z = P if Z is None else Z + P
        Z = Z + b
        if layer.activation.value == "relu":
            vals = Z.entries()
            pre.extend(vals)
            Z = flint.fmpq_mat(layer.width, 1, [v if v > 0 else zero for v in vals])
        outs.append(Z)
    return [from_fmpq(v) for v in pre]


class Membership:
    """Exact membership in a polytope, with a fast path for boxes."""

    def __init__(self, D: Polytope) -> None:
        self.D = D
        self.box = (D.lower, D.upper) if D.is_box else None
        self.rows = list(zip(D.A, D.b))

    def __call__(self, x: Sequence[Fraction]) -> bool:
        if self.box is not None:
            return all(l <= v <= h for l, v, h in zip(self.box[0], x, self.box[1]))
        for a, b in self.rows:
            s = 0
            for ai, xi in zip(a, x):
                if ai:
                    s += ai * xi
            if s > b:
                return False
        return True


class SearchContext:
    """One input polytope (free coordinates) with its partition (if enumerated)."""

    def __init__(self, domain: Polytope, partition=None) -> None:
        self.domain = domain
        self.partition = partition
        self.lo = np.array([float(v) for v in domain.lower])
        self.hi = np.array([float(v) for v in domain.upper])
        self.m_rows = len(domain.A)
        self.member = Membership(domain)
        self.volume = float(np.prod(self.hi - self.lo))
        self.complete = bool(partition is not None and partition.complete)
