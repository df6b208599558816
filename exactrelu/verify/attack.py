"""Gradient-guided search for counterexamples (floats propose; :mod:`exactrelu.verify.property` decides).

For one input region of a property, :func:`pgd_candidates` runs projected sign-gradient
descent (float64, numpy, manual backpropagation through the network) from many starting
points at once. Each start works on one disjunct and minimises its *violation*

    v(u) = max_j ( a_j . u + c_j . f(u) - b_j ),

which is ``<= 0`` exactly where the disjunct's output constraints all hold (a counterexample
if ``u`` lies in the input region). The iterates are projected onto the region's bounding
box. The best points float64 finds are returned, most violating first; they are only
*candidates*: :func:`exactrelu.verify.property.verify` re-evaluates each one in exact arithmetic and
reports a counterexample only if the exact network confirms it.

Examples
--------
>>> from fractions import Fraction
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.vnnlib import parse_vnnlib
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])               # |x|
>>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) "
...                     "(assert (<= X_0 1)) (assert (>= Y_0 (/ 9 10)))")
>>> u, v = pgd_candidates(net, prop, prop.input_regions[0], starts=8, steps=20)[0]
>>> abs(u[0]) >= 0.9, v <= 0                        # a point where |x| >= 9/10 (in float64)
(True, True)
"""

from __future__ import annotations

import random
import time
from typing import Any

from ..model.evaluation import evaluate_float, numpy_mats
from ..model.network import Network

__all__ = ["disjunct_arrays", "pgd_candidates", "pgd_search"]


def disjunct_arrays(constraints: Any, n_in: int, n_out: int) -> tuple:
    """A disjunct's constraints ``a . u + c . y <= b`` as float64 arrays ``(A, C, B)`` (one
    row per constraint)."""
    import numpy as np

    A = np.array([[float(v) for v in c.a] for c in constraints]).reshape(len(constraints), n_in)
    C = np.array([[float(v) for v in c.c] for c in constraints]).reshape(len(constraints), n_out)
    B = np.array([float(c.b) for c in constraints])
    return A, C, B


def _input_gradient(mats: list, relu: list[bool], pres: list, dY: Any) -> Any:
    """Backpropagation: the gradient with respect to the inputs of ``sum_rows dY . y``, from the
    pre-activations ``pres`` of a forward pass (:func:`exactrelu.model.evaluation.evaluate_float`)."""
    grads: dict[int, Any] = {len(mats): dY}
    for i in range(len(mats), 0, -1):
        g = grads.pop(i, None)
        if g is None:
            continue
        ws, _ = mats[i - 1]
        if relu[i - 1]:
            g = g * (pres[i - 1] > 0)
        for s, W in ws:
            contrib = g @ W
            grads[s] = grads[s] + contrib if s in grads else contrib
    return grads[0]


def pgd_candidates(net: Network, prop: Any, region: Any, *, starts: int = 256, steps: int = 60,
                   seed: int = 0, deadline: float | None = None, keep: int = 16) -> list[tuple[list[float], float]]:
    """:func:`pgd_search` without the disjuncts: ``(u, v)`` pairs, most violating first."""
    return [(u, v) for u, v, _ in pgd_search(net, prop, region, starts=starts, steps=steps, seed=seed,
                                             deadline=deadline, keep=keep)]


def pgd_search(net: Network, prop: Any, region: Any, *, starts: int = 256, steps: int = 60,
               seed: int = 0, deadline: float | None = None, keep: int = 16) -> list[tuple[list[float], float, Any]]:
    """Float64 points of ``region`` (over the property's free inputs; ``net`` is the restricted
    network) that come closest to violating ``prop``, most violating first (at most ``keep``),
    each with its float64 violation ``v`` (``<= 0``: float64 sees a counterexample) and the
    :class:`~exactrelu.domain.vnnlib.Disjunct` it was measured on: triples ``(u, v, disjunct)``.

    Parameters
    ----------
    net : the network over the free inputs (:meth:`~exactrelu.domain.vnnlib.Property.restrict`)
    prop : the property; only disjuncts whose input region is ``region`` are attacked
    region : one of ``prop.input_regions``
    starts, steps : parallel starting points (split among the disjuncts) and descent steps
    seed : the random starting points (reproducible)
    deadline : a ``time.perf_counter()`` value after which the descent stops early
    keep : how many candidates to return
    """
    import numpy as np

    disj = [d for d in prop.disjuncts if d.input_region is region and d.constraints]
    if not disj:
        return []
    lo = np.array([float(v) for v in region.lower])
    hi = np.array([float(v) for v in region.upper])
    width = hi - lo
    n = len(lo)
    rng = np.random.default_rng(random.Random(seed).randrange(1 << 32))
    mats = numpy_mats(net, "float64")
    relu = [layer.activation.value == "relu" for layer in net.layers]
    # constraints per start: A (rows a_j), C (rows c_j), B (b_j); padded with -inf rows
    J = max(len(d.constraints) for d in disj)
    owner = np.arange(starts) % len(disj)
    A = np.zeros((len(disj), J, n))
    C = np.zeros((len(disj), J, net.n_outputs))
    B = np.full((len(disj), J), np.inf)  # padding rows never attain the max
    for k, d in enumerate(disj):
        rows = len(d.constraints)
        A[k, :rows], C[k, :rows], B[k, :rows] = disjunct_arrays(d.constraints, n, net.n_outputs)
    A, C, B = A[owner], C[owner], B[owner]
    U = lo + width * rng.random((starts, n))
    U[0] = (lo + hi) / 2
    best_v = np.full(starts, np.inf)
    best_u = U.copy()
    rows = np.arange(starts)
    for step in range(steps):
        if deadline is not None and time.perf_counter() > deadline:
            break
        Y, pres = evaluate_float(net, U, return_pre=True)
        V = np.einsum("sjn,sn->sj", A, U) + np.einsum("sjm,sm->sj", C, Y) - B
        jstar = V.argmax(axis=1)  # each start descends on its currently largest constraint
        v = V[rows, jstar]
        better = v < best_v
        best_v[better] = v[better]
        best_u[better] = U[better]
        G = _input_gradient(mats, relu, pres, C[rows, jstar]) + A[rows, jstar]
        eta = 0.1 * (0.001 ** (step / max(1, steps - 1)))  # from 1/10 to 1/10^4 of the box width
        U = np.clip(U - eta * width * np.sign(G), lo, hi)
    order = np.argsort(best_v, kind="stable")[:keep]
    return [(best_u[i].tolist(), float(best_v[i]), disj[owner[i]]) for i in order.tolist() if np.isfinite(best_v[i])]
