"""The pruner's float64 proposal: a box, relaxation lines and one refuted constraint per disjunct.

Nothing here is trusted: :mod:`exactrelu.verify.prune.confirm` re-checks every proposed
number exactly. The proposal (step 1 of :mod:`exactrelu.verify.prune`):

* a bounding box of the cell's vertices, rounded outward to the grid ``2^-K_BOX``;
* symbolic bounds ``L(x) <= z_u(x) <= U(x)`` propagated from the cell's exact
  pre-activations (forward, or backward through the relaxation below a layer);
* for every undecided unit a lower line ``relu(z) >= a z`` (``a`` 0 or 1) and an upper
  line ``relu(z) <= s z + c`` (dyadic ``s``, ``c``) valid on outward-rounded bounds of ``z``;
* for every disjunct the constraint whose relaxed form fails at every vertex by the
  largest margin, or a split hint (the undecided unit whose relaxation costs most).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ...model.network import Network

__all__ = ["K_BOX", "K_SLOPE", "INF_B", "FloatNet", "Proposal", "Proposer"]

K_BOX = 32  # box bounds and upper-line intercepts on the grid 2^-K_BOX
K_SLOPE = 20  # upper-line slopes on the grid 2^-K_SLOPE
INF_B = -2  # an omitted bound of a stable unit (null in the evidence); -1: bounded over the box


class FloatNet:
    """Float64 copy of a network's layers (proposals only): per layer ``(weights, bias,
    is_relu)`` with ``weights`` a list of ``(source, matrix)``; ``relu_off[k - 1]`` the number
    of ReLU units before layer ``k``."""

    def __init__(self, net: Network) -> None:
        self.layers = []
        for layer in net.layers:
            ws = [(s, np.array([[float(v) for v in row] for row in w], dtype=float).reshape(len(w), -1))
                  for s, w in layer.inputs]
            self.layers.append((ws, np.array([float(v) for v in layer.bias]), layer.activation.value == "relu"))
        self.relu_off = [net.relu_offset(k) for k in range(1, len(net.layers) + 2)]


@dataclass
class Proposal:
    """What the float side proposes for one cell (all numbers exact ints).

    Attributes
    ----------
    lo_m, hi_m : the box ``lo_m[i] / 2^K_BOX <= x_i <= hi_m[i] / 2^K_BOX``
    box_idx : per input the vertices minimising and maximising it
    params : ``{unit: (a, s, c, bl, bu)}``: lines ``a z`` and ``s / 2^K_SLOPE z + c / 2^K_BOX``;
        ``bl``, ``bu`` index ``bases`` (the unit's bound at that basis' vertex), -1 (over the
        box) or :data:`INF_B` (no bound)
    chosen : per disjunct ``(disjunct index, constraint index, minimising vertex)``
    bases : the vertex bases used, each ``n`` sorted cell-row indices
    """

    lo_m: list
    hi_m: list
    box_idx: tuple
    params: dict
    chosen: list
    bases: list


class _Bases:
    """Bases (``n`` tight cell rows) of a cell's vertices, numbered on first use.

    A vertex minimising a form over all the cell's vertices is an LP optimum, so the dual
    of its basis is ``>= 0`` when it is non-degenerate (the exact check confirms)."""

    def __init__(self, cell: Any, n: int, count: int) -> None:
        self.cell, self.n = cell, n
        self.found: list[tuple] = []
        self.of = np.full(count, -2)  # vertex -> index in found (-1: degenerate, -2: not seen)

    def __call__(self, arg: Any) -> Any:
        """Indices in ``found`` of the bases of vertices ``arg`` (-1 where degenerate)."""
        got = self.of[arg]
        if (got == -2).any():
            for vi in np.unique(arg[got == -2]).tolist():
                inc = self.cell.incidence[vi]
                if len(inc) == self.n:
                    self.found.append(tuple(sorted(inc)))
                    self.of[vi] = len(self.found) - 1
                else:
                    self.of[vi] = -1
            got = self.of[arg]
        return got


def unit_hint(mu: Any, sl: Any, kb: Any, off: int) -> int | None:
    """The undecided unit of layer k whose relaxation gap, weighted by its coefficient
    ``mu`` in the backward bound, is largest (a BaBSR-style score), or None.

    Parameters
    ----------
    mu : coefficients of layer k's outputs in the backward bound (or None)
    sl : ``(a, s, c, relaxed, bits)`` arrays of layer k's lines (or None)
    kb : ``(lo, hi)`` float bounds of layer k's pre-activations (or None)
    off : the number of ReLU units before layer k

    Examples
    --------
    >>> lines = (np.array([0.0, 1.0]), None, np.array([0.5, 0.1]), np.array([True, True]), None)
    >>> unit_hint(np.array([-1.0, 2.0]), lines, (np.array([-1.0, -3.0]), np.array([1.0, 4.0])), 10)
    11
    """
    if mu is None or sl is None or kb is None:
        return None
    a, _, cf, relaxed, _ = sl
    lo, hi = kb
    gap = np.where(mu < 0, -mu * cf, mu * np.where(a > 0, -lo, hi))
    gap = np.where(relaxed & (lo < 0) & (hi > 0), gap, -1.0)
    j = int(gap.argmax())
    return off + j if gap[j] > 0 else None


class Proposer:
    """The float side of a :class:`~exactrelu.verify.prune.Pruner` (see the module docstring).

    Parameters
    ----------
    net : the network
    disjuncts : ``[(k, exact constraints, [(a, c, b) float arrays])]``
    float_forms : ``(key, forms, D) -> float array`` of the forms ``forms / D`` (memoised by
        the pruner per shared layer object)
    use_bases, backward : as for :class:`~exactrelu.verify.prune.Pruner`
    """

    def __init__(self, net: Network, disjuncts: list, float_forms: Callable, use_bases: bool,
                 backward: bool) -> None:
        self.fnet = FloatNet(net)
        self.n = net.n_inputs
        self.disjuncts = disjuncts
        self.float_forms = float_forms
        self.use_bases = use_bases
        self.backward = backward
        self.hint: int | None = None  # after a failed proposal: the unit to split, if any
        self._mu_k = None

    def propose(self, cv: Any) -> Proposal | None:
        """The proposal for the cell of ``cv`` (a :class:`~exactrelu.regions.walk.CellView`),
        or None (then :attr:`hint` may name a unit to split on)."""
        self.hint = None
        self._mu_k = None
        n = self.n
        V = cv.cell.float_vertices()
        if not np.isfinite(V).all():
            return None
        scale = float(1 << K_BOX)
        lo_m = [math.floor(v * scale) - 1 for v in V[:, :n].min(axis=0).tolist()]
        hi_m = [math.ceil(v * scale) + 1 for v in V[:, :n].max(axis=0).tolist()]
        box = (np.array(lo_m, dtype=float) / scale, np.array(hi_m, dtype=float) / scale)
        bases = _Bases(cv.cell, n, len(V))
        # exact layers 0 .. k-1 and layer k's pre-activations, in float
        H: dict[int, tuple] = {}
        for s, lay in enumerate(cv.outs):
            F = self.float_forms(lay, lay[0], lay[1])
            H[s] = (F, F)
        Zk = self.float_forms(cv.forms, cv.forms, cv.D)
        if not np.isfinite(Zk).all():
            return None
        params: dict[int, tuple] = {}  # unit -> (a, sm, cm, bl, bu)
        slopes: dict[int, tuple] = {}  # layer -> (a array, s array, c array, relaxed mask, bits)
        kb = self._relax_layers(cv, V, box, bases, H, Zk, params, slopes)
        if kb is None:
            return None
        chosen = self._choose(cv.layer, V, box, H, slopes, Zk, kb)
        if chosen is None:
            return None
        box_idx = (V[:, :n].argmin(axis=0).tolist(), V[:, :n].argmax(axis=0).tolist())
        return Proposal(lo_m, hi_m, box_idx, params, chosen, bases.found)

    def _relax_layers(self, cv: Any, V: Any, box: tuple, bases: _Bases, H: dict, Zk: Any, params: dict,
                      slopes: dict) -> tuple | None:
        """Bounds and lines of layers ``k .. L`` (filling ``H``, ``params`` and ``slopes``);
        returns the float bounds of layer k's pre-activations, or None if a bound is not finite."""
        fnet, n, k = self.fnet, self.n, cv.layer
        und = set(cv.undecided)
        kb = None
        for i in range(k, len(fnet.layers) + 1):
            ws, b, is_relu = fnet.layers[i - 1]
            if i == k:
                Lz = Uz = Zk
            else:
                Lz = np.zeros((len(b), n + 1))
                Uz = np.zeros((len(b), n + 1))
                for s, W in ws:
                    Hl, Hu = H[s]
                    Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
                    Lz = Lz + Wp @ Hl + Wn @ Hu
                    Uz = Uz + Wp @ Hu + Wn @ Hl
                Lz[:, n] += b
                Uz[:, n] += b
            if not is_relu:
                H[i] = (Lz, Uz)
                continue
            off = fnet.relu_off[i - 1]
            width = len(b)
            if self.backward and i > k:
                # backward (DeepPoly-style) bounds replace the forward forms for the bounds
                eye = np.vstack([np.eye(width), -np.eye(width)])
                Gb = self.backward_mat(i, eye, True, k, H, slopes, Zk)
                Lz, Uz = Gb[:width], -Gb[width:]
            relaxed = np.array([i > k or (off + j) in und for j in range(width)])
            if i == k:
                bits = np.array([cv.bits[off + j] == 49 for j in range(width)], dtype=float)
            else:
                bits = np.zeros(width)
            got = self._unit_bounds(V, box, bases, Lz, Uz, relaxed)
            if got is None:
                return None
            lmin, umax, blo, bhi = got
            if i == k:
                kb = (lmin, umax)
            a, sf, cf = _lines(params, off, relaxed, bits, lmin, umax, blo, bhi)
            Hl = a[:, None] * Lz
            Hu = sf[:, None] * Uz
            Hu[:, n] += cf
            H[i] = (Hl, Hu)
            slopes[i] = (a, sf, cf, relaxed, bits)
        return kb

    def _unit_bounds(self, V: Any, box: tuple, bases: _Bases, Lz: Any, Uz: Any, relaxed: Any) -> tuple | None:
        """Float bounds ``(lmin, umax)`` of one layer's pre-activations, widened by a relative
        margin, and per unit the basis index certifying each (-1: over the box)."""
        n = self.n
        lo, hi = box
        big = np.maximum(np.abs(lo), np.abs(hi))
        width = len(Lz)
        lmin = np.where(Lz[:, :n] > 0, Lz[:, :n] * lo, Lz[:, :n] * hi).sum(axis=1) + Lz[:, n]
        umax = np.where(Uz[:, :n] > 0, Uz[:, :n] * hi, Uz[:, :n] * lo).sum(axis=1) + Uz[:, n]
        blo = np.full(width, -1)
        bhi = np.full(width, -1)
        if self.use_bases and relaxed.any():
            # tighter: the value at the minimising vertex, if its basis has a dual >= 0
            rel_idx = np.nonzero(relaxed)[0]
            for Z, sign, out, dest in ((Lz, 1.0, lmin, blo), (Uz, -1.0, umax, bhi)):
                vals = sign * (Z[rel_idx] @ V.T)  # minimise sign * form over the vertices
                arg = vals.argmin(axis=1)
                bis = bases(arg)
                ok = bis >= 0
                if ok.any():
                    js = rel_idx[ok]
                    out[js] = sign * vals.min(axis=1)[ok]
                    dest[js] = bis[ok]
        eps_l = 1e-9 * (np.abs(Lz[:, :n]) @ big + np.abs(Lz[:, n])) + 1e-12
        eps_u = 1e-9 * (np.abs(Uz[:, :n]) @ big + np.abs(Uz[:, n])) + 1e-12
        lmin = lmin - eps_l
        umax = umax + eps_u
        if not (np.isfinite(lmin).all() and np.isfinite(umax).all()):
            return None
        return lmin, umax, blo, bhi

    def _choose(self, k: int, V: Any, box: tuple, H: dict, slopes: dict, Zk: Any, kb: tuple) -> list | None:
        """Per disjunct ``(k, constraint, vertex)``: the constraint whose relaxed form is
        positive at every vertex by the largest relative margin; None if some disjunct has
        none (then :attr:`hint` is set from the constraint closest to being refuted)."""
        n = self.n
        lo, hi = box
        big = np.maximum(np.abs(lo), np.abs(hi))
        L = len(self.fnet.layers)
        chosen = []
        for k_dj, _, fl in self.disjuncts:
            best = None
            closest = None  # (gmin / tol, mu_k) of the constraint closest to being refuted
            # the lower bounds of all the disjunct's constraints in one backward pass
            self._mu_k = None
            GG = self.backward_mat(L, np.array([fc for _, fc, _ in fl]), False, k, H, slopes, Zk)
            mu_all = self._mu_k
            for j, (fa, _, fb) in enumerate(fl):
                g = GG[j].copy()
                g[:n] += fa
                g[n] -= fb
                vals = V @ g
                gmin = float(vals.min())
                tol = 1e-9 * (float(np.abs(g[:n]) @ big) + abs(float(g[n]))) + 1e-12
                if gmin > tol and (best is None or gmin / tol > best[0]):
                    best = (gmin / tol, j, int(vals.argmin()))
                if closest is None or gmin / tol > closest[0]:
                    closest = (gmin / tol, None if mu_all is None else mu_all[j])
            if best is None:
                if closest is not None:
                    # split hint: the undecided unit of layer k whose relaxation costs the bound most
                    self.hint = unit_hint(closest[1], slopes.get(k), kb, self.fnet.relu_off[k - 1])
                return None
            chosen.append((k_dj, best[1], best[2]))
        return chosen

    def backward_mat(self, top: int, Lam: Any, on_pre: bool, k: int, H: dict, slopes: dict, Zk: Any) -> Any:
        """Float backward propagation, one row per objective (rows of ``Lam`` on the
        pre-activation (``on_pre``) or the output of layer ``top``): a lower bound form
        per row, as an array of ``n + 1`` columns."""
        fnet, n = self.fnet, self.n
        lam: dict[int, Any] = {top: (Lam, on_pre)}
        G = np.zeros((Lam.shape[0], n + 1))
        for i in range(top, k - 1, -1):
            if i not in lam:
                continue
            lv, pre = lam.pop(i)
            ws, b, is_relu = fnet.layers[i - 1]
            if is_relu and not pre:
                a, sf, cf, relaxed, bits = slopes[i]
                if i == k:
                    self._mu_k = lv  # one row of coefficients per objective
                nu = np.where(relaxed[None, :], np.where(lv >= 0, lv * a, lv * sf), lv * bits)
                G[:, n] += np.where(relaxed[None, :] & (lv < 0), lv * cf, 0.0).sum(axis=1)
            else:
                nu = lv
            if i == k:
                G += nu @ Zk
                continue
            G[:, n] += nu @ b
            for s, W in ws:
                contrib = nu @ W
                if s < k:
                    G += contrib @ H[s][0]
                elif s in lam:
                    lam[s] = (lam[s][0] + contrib, False)
                else:
                    lam[s] = (contrib, False)
        return G


def _lines(params: dict, off: int, relaxed: Any, bits: Any, lmin: Any, umax: Any, blo: Any, bhi: Any) -> tuple:
    """The lines of one ReLU layer's units from their float bounds: fills ``params`` for the
    relaxed units (dyadic slopes and intercepts, rounded so the lines stay valid on
    outward-rounded bounds) and returns the float ``(a, s, c)`` arrays of the layer."""
    scale = float(1 << K_BOX)
    a = np.where(relaxed, 0.0, bits)
    sf = np.where(relaxed, 0.0, bits)
    cf = np.zeros(len(bits))
    for j in np.nonzero(relaxed)[0].tolist():
        u = off + j
        lj, uj = lmin[j], umax[j]
        bl, bu = int(blo[j]), int(bhi[j])
        if lj >= 0:
            params[u] = (1, 1 << K_SLOPE, 0, bl, INF_B)  # stable active: lo >= 0, no upper bound
            a[j], sf[j] = 1.0, 1.0
        elif uj <= 0:
            params[u] = (0, 0, 0, INF_B, bu)  # stable inactive: hi <= 0, no lower bound
        else:
            sm = math.floor(uj / (uj - lj) * (1 << K_SLOPE))
            lm = math.floor(lj * scale)
            um = math.ceil(uj * scale)
            cnum = max(-sm * lm, (um << K_SLOPE) - sm * um)  # over 2^(K_SLOPE + K_BOX)
            cm = -((-cnum) >> K_SLOPE)  # ceil to the 2^-K_BOX grid
            aj = 1 if uj > -lj else 0
            params[u] = (aj, sm, cm, bl, bu)
            a[j], sf[j], cf[j] = aj, sm / (1 << K_SLOPE), cm / scale
    return a, sf, cf
