"""Float-guided searches for counterexamples, every candidate re-checked exactly.

Before any region walk, :func:`exactrelu.verify.property.verify` tries float64 sampling
(:func:`sample_search`), then projected gradient descent and region descent
(:func:`attack_search`); a point is a counterexample only once :func:`confirm_counterexample`
has re-checked it with exact arithmetic.
"""

from __future__ import annotations

import random
import time
from fractions import Fraction
from typing import Any

from ..domain.vnnlib import Property
from ..model.evaluation import evaluate, evaluate_float
from ..model.network import Network
from ..outcome import Verdict
from .result import VerificationResult

__all__ = ["confirm_counterexample", "confirm_float_point", "sample_search", "attack_search", "ATTACK_TOLERANCE",
           "ATTACK_ROUNDS", "GRADIENT_SHARE", "DESCENT_PATIENCE"]


def _float_inside(prop: Property, x_full) -> tuple[Fraction, ...] | None:
    """A float64-representable point near ``x_full`` inside the same input region, or None."""
    import math

    free = prop.free_inputs
    for d in prop.disjuncts:
        region = d.input_region
        u = [x_full[i] for i in free]
        if not region.contains(u):
            continue
        c = region.interior_point
        cand = [Fraction(float(v)) for v in u]
        for _ in range(4):
            if region.contains(cand):
                return prop.full_input(cand)
            cand = [Fraction(math.nextafter(float(v), float(ci))) for v, ci in zip(cand, c)]
        return None
    return None


def confirm_counterexample(net: Network, prop: Property, x_full: Any, how: str) -> VerificationResult | None:
    """Re-check a candidate exactly; prefer a float-representable counterexample nearby.

    Parameters
    ----------
    net : the network
    prop : the property
    x_full : the candidate (every input, exact)
    how : what found it (the result's ``found_by``)

    Returns
    -------
    VerificationResult or None
        ``violated`` with the exact and the float64 outputs there, or None.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.vnnlib import parse_vnnlib
    >>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 0)) "
    ...                     "(assert (<= X_0 1)) (assert (>= Y_0 0.5))")
    >>> res = confirm_counterexample(mlp(1, [([[1]], [0])]), prop, (Fraction(3, 4),), "test")
    >>> res.verdict, res.counterexample, res.float_confirms
    ('violated', (Fraction(3, 4),), True)
    """
    y = evaluate(net, x_full)
    if not prop.is_counterexample(x_full, y):
        return None
    xf = _float_inside(prop, x_full)
    if xf is not None and xf != tuple(x_full):
        yf = evaluate(net, xf)
        if prop.is_counterexample(xf, yf):
            x_full, y = xf, yf
    fy = evaluate_float(net, [[float(v) for v in x_full]])[0].tolist()
    float_ok = None
    if all(abs(v) < float("inf") for v in fy):
        fyq = [Fraction(v) for v in fy]
        float_ok = prop.is_counterexample(x_full, fyq)
    else:
        float_ok = False
    return VerificationResult(Verdict.VIOLATED, tuple(x_full), tuple(y), fy, float_ok, how)


def sample_search(net: Network, prop: Property, samples: int, rng: random.Random,
                  deadline: float | None) -> VerificationResult | None:
    """Float-guided search for counterexamples; every candidate is re-checked exactly.

    Candidates are the region's vertices, its interior point and ``samples`` random dyadic
    points of its bounding box; they are scored in float64 (vectorised) and only the few
    that float64 sees (nearly) violating the property become exact points and are re-checked.
    Returns the first confirmed counterexample (``violated``), or None.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.vnnlib import parse_vnnlib
    >>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 0)) "
    ...                     "(assert (<= X_0 1)) (assert (>= Y_0 0.5))")
    >>> sample_search(mlp(1, [([[1]], [0])]), prop, 100, random.Random(0), None).verdict
    'violated'
    """
    import numpy as np

    for region_idx, region in enumerate(prop.input_regions):
        lo, hi = region.lower, region.upper
        exact_pts = [list(v) for v in region.vertices[:64]] + [list(region.interior_point)]
        ticks = [[rng.randrange(1 << 20) for _ in lo] for _ in range(samples)]

        def point(j: int) -> list:
            if j < len(exact_pts):
                return exact_pts[j]
            t = ticks[j - len(exact_pts)]
            return [l + (h - l) * Fraction(ti, 1 << 20) for l, h, ti in zip(lo, hi, t)]

        lo_f = np.array([float(v) for v in lo])
        hi_f = np.array([float(v) for v in hi])
        U = np.array([[float(v) for v in p] for p in exact_pts]).reshape(len(exact_pts), len(lo))
        if ticks:
            U = np.vstack([U, lo_f + (hi_f - lo_f) * (np.array(ticks, dtype=float) / float(1 << 20))])
        X = np.zeros((len(U), prop.n_inputs))
        free = prop.free_inputs
        X[:, free] = U
        for i, v in prop.fixed_inputs.items():
            X[:, i] = float(v)
        Y = evaluate_float(net, X)
        # score: the largest (over disjuncts) of the smallest slack (b - lhs) of its constraints
        best = np.full(len(U), -np.inf)
        for d in prop.disjuncts:
            if d.input_region is not region:
                continue
            smin = np.full(len(U), np.inf)
            for c in d.constraints:
                a = np.array([float(v) for v in c.a])
                cc = np.array([float(v) for v in c.c])
                smin = np.minimum(smin, float(c.b) - (U @ a + Y @ cc))
            best = np.maximum(best, smin)
        order = np.argsort(-best, kind="stable")[:32]
        # exact re-checks only where float64 sees (nearly) a counterexample: the region walk
        # finds the others exactly
        for j in order.tolist():
            if not best[j] >= -1e-6:
                break
            p = point(j)
            if not region.contains(p):
                continue
            res = confirm_counterexample(net, prop, prop.full_input(p), "float-guided search")
            if res is not None:
                return res
            if deadline is not None and time.perf_counter() > deadline:
                return None
    return None


ATTACK_TOLERANCE = 1e-6  # candidates float64 sees violating by more than this are not re-checked exactly
ATTACK_ROUNDS = 16  # gradient-search rounds at most (small nets finish them in well under a second)
GRADIENT_SHARE = 0.5  # of the attack's seconds; the rest walks activation regions by linear programs
DESCENT_PATIENCE = 25  # linear programs without progress before a region descent gives up


def attack_search(net: Network, small: Network, prop: Property, seconds: float, seed: int,
                  deadline: float | None) -> VerificationResult | None:
    """Search for a counterexample for about ``seconds`` (at least one gradient round).

    First rounds of projected gradient descent in float64 (:mod:`exactrelu.verify.attack`) on every
    input region of ``small`` (``net`` restricted to the free inputs), each from new random
    starts, for ``GRADIENT_SHARE`` of the time (at most ``ATTACK_ROUNDS``); then region
    descents (:mod:`exactrelu.verify.region_descent`: linear programs over activation regions) from
    the input regions' vertices and the gradient search's best points, least violating
    first. Points float64 sees violating are re-checked exactly on ``net``; returns the
    first confirmed counterexample, or None.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.vnnlib import parse_vnnlib
    >>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 0)) "
    ...                     "(assert (<= X_0 1)) (assert (>= Y_0 0.5))")
    >>> net = mlp(1, [([[1]], [0])])
    >>> attack_search(net, net, prop, 1.0, 0, None).found_by in ("gradient search", "region descent")
    True
    """
    from .attack import pgd_search
    from .region_descent import region_descent, vertex_starts

    t_start = time.perf_counter()
    stop = t_start + seconds
    if deadline is not None:
        stop = min(stop, deadline)
    gradient_stop = min(stop, t_start + GRADIENT_SHARE * seconds)
    starts: list = []
    for rnd in range(ATTACK_ROUNDS):
        for region in prop.input_regions:
            for u, viol, disjunct in pgd_search(small, prop, region, seed=seed + rnd, deadline=gradient_stop):
                starts.append((viol, u, disjunct))
                if viol <= ATTACK_TOLERANCE:
                    res = confirm_float_point(net, prop, region, u, "gradient search")
                    if res is not None:
                        return res
        if time.perf_counter() >= gradient_stop:
            break
    for region in prop.input_regions:
        starts.extend(vertex_starts(small, prop.disjuncts, region))
    starts.sort(key=lambda s: s[0])
    tried: set = set()
    for k, (_, u, disjunct) in enumerate(starts):
        if time.perf_counter() >= stop:
            break
        key = (id(disjunct), tuple(u))
        if key in tried:
            continue
        tried.add(key)
        u2, viol = region_descent(small, disjunct.constraints, disjunct.input_region, u, seed=seed + k,
                                  patience=DESCENT_PATIENCE, deadline=stop)
        if viol <= ATTACK_TOLERANCE:
            res = confirm_float_point(net, prop, disjunct.input_region, u2, "region descent")
            if res is not None:
                return res
    return None


def confirm_float_point(net: Network, prop: Property, region: Any, u: list[float], how: str) -> VerificationResult | None:
    """Re-check a float64 point of ``region`` exactly (floats are dyadic rationals: converted
    exactly). A point that rounding put just outside the region is first moved a tiny step
    towards the region's interior point.

    Parameters
    ----------
    net : the network
    prop : the property
    region : the input region (over the free inputs) the point belongs to
    u : the point's free coordinates
    how : what found it (the result's ``found_by``)

    Returns
    -------
    VerificationResult or None
        ``violated`` with the exact counterexample, or None if the point is not one.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.vnnlib import parse_vnnlib
    >>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 0)) "
    ...                     "(assert (<= X_0 1)) (assert (>= Y_0 0.5))")
    >>> net = mlp(1, [([[1]], [0])])
    >>> confirm_float_point(net, prop, prop.input_regions[0], [0.75], "test").verdict
    'violated'
    >>> confirm_float_point(net, prop, prop.input_regions[0], [0.25], "test") is None
    True
    """
    p = [Fraction(v) for v in u]
    if not region.contains(p):
        c = region.interior_point
        for e in (40, 30, 20):
            q = [pi + (ci - pi) / (1 << e) for pi, ci in zip(p, c)]
            if region.contains(q):
                p = q
                break
        else:
            return None
    return confirm_counterexample(net, prop, prop.full_input(p), how)
