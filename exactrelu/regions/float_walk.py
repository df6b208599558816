"""A float64-only run of the same splitting-tree enumerator — for measuring, never for answers.

:func:`count_regions_float` follows the exact enumerator step by step (same layer-by-layer
splitting, same double-description cell update) but in float64 with a sign tolerance and
without evidence. It exists to measure the cost of exactness (benchmarks print the ratio)
and to show what float enumeration gets wrong on degenerate arrangements: nothing it
returns is a claim of exactrelu.

Examples
--------
>>> from exactrelu.model.random_nets import random_network
>>> from exactrelu.domain.polytope import box
>>> count_regions_float(random_network([4, 4], seed=1), box([-1, -1], [1, 1]))["regions"] > 0
True
"""

from __future__ import annotations

import time

import numpy as np

from ..domain.polytope import Polytope
from ..model.network import Network
from .activation import ACTIVE_CHAR, INACTIVE_CHAR

__all__ = ["count_regions_float"]


def count_regions_float(net: Network, domain: Polytope, tol: float = 1e-9, max_regions: int | None = None) -> dict:
    """Count regions with float64 arithmetic; returns ``{"regions", "seconds", "patterns"}``."""
    t0 = time.perf_counter()
    n = net.n_inputs
    L = len(net.layers)
    mats = []
    for layer in net.layers:
        mats.append(([(s, np.array([[float(v) for v in row] for row in w])) for s, w in layer.inputs],
                     np.array([float(v) for v in layer.bias]), layer.activation.value == "relu"))
    A = np.array([[float(v) for v in row] for row in domain.A])
    b = np.array([float(v) for v in domain.b])
    verts = np.array([[float(v) for v in p] for p in domain.vertices])
    inc = [frozenset(np.nonzero(np.abs(A @ v - b) <= tol)[0].tolist()) for v in verts]
    eye = np.hstack([np.eye(n), np.zeros((n, 1))])
    # state: (verts, inc, nrows, layer, outs [(forms)], forms, pending, bits)
    stack = [(verts, inc, len(b), 0, [eye], None, [], "")]
    count = 0
    patterns = []
    while stack:
        verts, inc, nrows, layer, outs, forms, pending, bits = stack.pop()
        while True:
            if not pending:
                if forms is not None:
                    if mats[layer - 1][2]:
                        mask = np.array([c == ACTIVE_CHAR for c in bits[-forms.shape[0]:]], dtype=float)[:, None]
                        outs = outs + [forms * mask]
                    else:
                        outs = outs + [forms]
                    forms = None
                if layer == L:
                    count += 1
                    patterns.append(bits)
                    break
                layer += 1
                ws, bias, is_relu = mats[layer - 1]
                F = np.zeros((len(bias), n + 1))
                F[:, -1] = bias
                for s, W in ws:
                    F += W @ outs[s]
                forms = F
                pending = list(range(F.shape[0])) if is_relu else []
                if is_relu:
                    bits = bits + "?" * F.shape[0]
                continue
            vals = forms[pending] @ np.hstack([verts, np.ones((len(verts), 1))]).T
            split = None
            rest = []
            bl = list(bits)
            off = len(bits) - forms.shape[0]
            for k, j in enumerate(pending):
                v = vals[k]
                if v.min() >= -tol and v.max() > tol:
                    bl[off + j] = ACTIVE_CHAR
                elif v.max() <= tol:
                    bl[off + j] = INACTIVE_CHAR
                elif split is None:
                    split = (j, v)
                else:
                    rest.append(j)
            bits = "".join(bl)
            if split is None:
                pending = []
                continue
            j, v = split
            r = nrows
            pv, pi, nv, ni = _float_split(verts, inc, v, n, r, tol)
            off = len(bits) - forms.shape[0]
            bp = bits[:off + j] + ACTIVE_CHAR + bits[off + j + 1:]
            bn = bits[:off + j] + INACTIVE_CHAR + bits[off + j + 1:]
            stack.append((nv, ni, r + 1, layer, outs, forms, list(rest), bn))
            stack.append((pv, pi, r + 1, layer, outs, forms, list(rest), bp))
            break
        if max_regions is not None and count >= max_regions:
            break
    return {"regions": count, "seconds": time.perf_counter() - t0, "patterns": patterns}


def _float_split(verts: np.ndarray, inc: list, v: np.ndarray, n: int, r: int, tol: float) -> tuple:
    """One float double-description step: the vertices and incidences of the two sides of
    the hyperplane with values ``v`` at ``verts`` (new row ``r``); ``(pv, pi, nv, ni)``."""
    pos = np.nonzero(v > tol)[0]
    neg = np.nonzero(v < -tol)[0]
    zer = np.nonzero(np.abs(v) <= tol)[0]
    new_v, new_i = [], []
    for p in pos:
        for q in neg:
            common = inc[p] & inc[q]
            if len(common) < n - 1:
                continue
            if any(t != p and t != q and common <= inc[t] for t in range(len(verts))):
                continue
            lam = v[p] / (v[p] - v[q])
            new_v.append(verts[p] + lam * (verts[q] - verts[p]))
            new_i.append(common | {r})
    zv = [verts[i] for i in zer]
    zi = [inc[i] | {r} for i in zer]
    pv = np.array([verts[i] for i in pos] + zv + new_v)
    nv = np.array([verts[i] for i in neg] + zv + new_v)
    pi = [inc[i] for i in pos] + zi + new_i
    ni = [inc[i] for i in neg] + zi + new_i
    return pv, pi, nv, ni
