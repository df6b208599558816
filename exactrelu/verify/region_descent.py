"""Counterexample search by linear programs over activation regions (floats propose).

Gradient descent (:mod:`exactrelu.verify.attack`) stalls where a property's violation is attained
only in a thin sliver of the input space: its steps jump over the sliver, and near a kink
the gradient of the region it stands in points the wrong way. Inside one activation region
the network is affine, so the best point of a region is the solution of a linear program.
:func:`region_descent` walks from region to region:

1. fix the activation pattern of the current point ``u`` (float64 forward pass);
2. solve, in float64 (``scipy.optimize.linprog``, HiGHS), the linear program

       minimise t  subject to  a_j . u + c_j . (M u + m) - b_j <= t   for every constraint j,
                               the pattern's sign conditions, u in the input region,

   where ``M u + m`` is the network on that pattern; its optimum ``u*`` is the region's
   least-violating point (the disjunct's violation ``v(u) = max_j (a_j . u + c_j . f(u) -
   b_j)`` is ``<= 0`` exactly at counterexamples);
3. ``u*`` lies on the region's boundary; among random points very close to ``u*``, step
   to the one of a region not visited yet with the smallest violation, and repeat.

Every region visited contains (in its closure) the previous optimum, so the optimum values
never increase, and the walk ends at a region whose neighbours near ``u*`` were all seen.
Nothing here decides anything: the points are candidates that :func:`exactrelu.verify.property.verify`
re-evaluates in exact arithmetic.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.vnnlib import parse_vnnlib
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])               # |x|
>>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) "
...                     "(assert (<= X_0 1)) (assert (>= Y_0 (/ 9 10)))")
>>> d = prop.disjuncts[0]
>>> u, v = region_descent(net, d.constraints, d.input_region, [0.25])
>>> abs(u[0]) == 1.0, v                  # |x| is largest at the ends: violation 9/10 - 1
(True, -0.09999999999999998)
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from .attack import disjunct_arrays
from ..model.evaluation import evaluate_float, numpy_mats
from ..model.network import Network

__all__ = ["region_descent", "vertex_starts"]

NEIGHBOUR_SAMPLES = 64  # random points near an optimum, looking for the next region
NEIGHBOUR_SCALES = (1e-6, 1e-4)  # their distance, relative to the region's box width (the second if the first finds nothing new)


def _pattern_key(pres: list, relu: list[bool], row: int) -> bytes:
    import numpy as np

    return b"".join(np.packbits(Z[row] > 0).tobytes() for Z, r in zip(pres, relu) if r)


def _region_lp_rows(net: Network, pres: list, row: int):
    """The network on the activation pattern of forward pass ``row`` as ``(M, m)`` (the
    output is ``M u + m``) and the pattern's sign conditions ``G u <= h`` (rows of constant
    conditions, true on the pattern by construction, are left out; rows are normalised)."""
    import numpy as np

    n = net.n_inputs
    outs = [(np.eye(n), np.zeros(n))]
    G: list = []
    h: list = []
    for layer, (ws, b), Z in zip(net.layers, numpy_mats(net, "float64"), pres):
        M = sum(W @ outs[s][0] for s, W in ws)
        m = sum(W @ outs[s][1] for s, W in ws) + b
        if layer.activation.value == "relu":
            on = Z[row] > 0
            sign = np.where(on, 1.0, -1.0)
            G.append(-sign[:, None] * M)  # -s (M u + m) <= 0
            h.append(sign * m)
            M, m = M * on[:, None], m * on
        outs.append((M, m))
    M, m = outs[-1]
    if not G:
        return M, m, np.zeros((0, n)), np.zeros(0)
    G_all, h_all = np.vstack(G), np.concatenate(h)
    norms = np.linalg.norm(G_all, axis=1)
    keep = norms > 0
    return M, m, G_all[keep] / norms[keep, None], h_all[keep] / norms[keep]


def _violations(U: Any, Y: Any, A: Any, C: Any, B: Any) -> Any:
    return (U @ A.T + Y @ C.T - B).max(axis=1)


def vertex_starts(net: Network, disjuncts: Sequence[Any], region: Any, limit: int = 1024) -> list[tuple[float, list[float], Any]]:
    """Starting points for :func:`region_descent`: the vertices of ``region`` (the first
    ``limit``; a box's corners), each scored with its float64 violation for every disjunct
    on ``region``, as triples ``(v, u, disjunct)`` (unsorted).

    Extreme inputs are where networks are least trained and where gradient descent, which
    starts inside the box, arrives last; and a vertex that violates the least is a good
    place to start the walk from.
    """
    import numpy as np

    verts = region.vertices[:limit]
    if not verts:
        return []
    U = np.array([[float(v) for v in p] for p in verts])
    Y = evaluate_float(net, U)
    out = []
    for d in disjuncts:
        if d.input_region is not region or not d.constraints:
            continue
        V = _violations(U, Y, *disjunct_arrays(d.constraints, net.n_inputs, net.n_outputs))
        out.extend((float(v), u, d) for v, u in zip(V.tolist(), U.tolist()))
    return out


def region_descent(net: Network, constraints: Sequence[Any], region: Any, start: Sequence[float], *,
                   max_steps: int = 100, patience: int = 100, deadline: float | None = None,
                   seed: int = 0) -> tuple[list[float], float]:
    """The least-violating float64 point found by walking activation regions from ``start``.

    Parameters
    ----------
    net : the network (over the inputs ``region`` lives in)
    constraints : one disjunct's :class:`~exactrelu.domain.vnnlib.LinearAtom` s ``a . u + c . y <= b``
    region : the disjunct's input :class:`~exactrelu.domain.polytope.Polytope`
    start : a point of ``region`` (float64)
    max_steps : linear programs at most
    patience : stop after this many linear programs in a row that did not lower the violation
        (a plateau, e.g. where a whole layer is inactive and the network is constant)
    deadline : a ``time.perf_counter()`` value after which the walk stops
    seed : the random neighbour points (reproducible)

    Returns
    -------
    (u, v) : the point and its float64 violation ``max_j (a_j . u + c_j . f(u) - b_j)``;
        ``v <= 0`` means float64 sees a counterexample (to be confirmed exactly).
    """
    import numpy as np
    from scipy.optimize import linprog

    n = net.n_inputs
    if not constraints:  # every point of the region violates an empty conjunction
        return [float(v) for v in start], float("-inf")
    A, C, B = disjunct_arrays(constraints, n, net.n_outputs)
    RA = np.array([[float(v) for v in row] for row in region.A]).reshape(len(region.A), n)
    Rb = np.array([float(v) for v in region.b])
    lo = np.array([float(v) for v in region.lower])
    hi = np.array([float(v) for v in region.upper])
    width = hi - lo
    rng = np.random.default_rng(seed)
    objective = np.zeros(n + 1)
    objective[-1] = 1.0
    bounds = [(lo_i, hi_i) for lo_i, hi_i in zip(lo.tolist(), hi.tolist())] + [(None, None)]

    U = np.clip(np.asarray(start, dtype=float).reshape(1, n), lo, hi)
    Y, pres = evaluate_float(net, U, return_pre=True)
    best_u, best_v = U[0], float(_violations(U, Y, A, C, B)[0])
    relu = [L.activation.value == "relu" for L in net.layers]
    seen: set[bytes] = set()
    idle = 0
    for _ in range(max_steps):
        if best_v <= 0 or (deadline is not None and time.perf_counter() > deadline):
            break
        seen.add(_pattern_key(pres, relu, 0))
        M, m, G, h = _region_lp_rows(net, pres, 0)
        rows = np.vstack([np.hstack([A + C @ M, -np.ones((len(B), 1))]),
                          np.hstack([G, np.zeros((len(G), 1))]),
                          np.hstack([RA, np.zeros((len(RA), 1))])])
        rhs = np.concatenate([B - C @ m, h, Rb])
        res = linprog(objective, A_ub=rows, b_ub=rhs, bounds=bounds, method="highs")
        if res.status != 0:
            break
        opt = np.clip(res.x[:n], lo, hi)
        U, pres = _step(net, relu, opt, (A, C, B), width, lo, hi, seen, rng)
        Yo = evaluate_float(net, opt[None, :])
        v_opt = float(_violations(opt[None, :], Yo, A, C, B)[0])
        if v_opt < best_v:
            best_u, best_v, idle = opt, v_opt, 0
        else:
            idle += 1
        if U is None or idle >= patience:
            break
    return best_u.tolist(), best_v


def _step(net: Network, relu: list[bool], opt: Any, disjunct: tuple, width: Any, lo: Any, hi: Any, seen: set,
          rng: Any):
    """The least-violating of random points near ``opt`` that lie in activation regions not
    in ``seen`` (and its forward pass), or ``(None, None)``; ``relu`` flags the ReLU layers."""
    import numpy as np

    for scale in NEIGHBOUR_SCALES:
        P = np.clip(opt + rng.normal(size=(NEIGHBOUR_SAMPLES, len(opt))) * scale * width, lo, hi)
        Y, pres = evaluate_float(net, P, return_pre=True)
        for j in np.argsort(_violations(P, Y, *disjunct), kind="stable").tolist():
            if _pattern_key(pres, relu, j) not in seen:
                return P[j:j + 1], [Z[j:j + 1] for Z in pres]
    return None, None
