"""Certified pruning of splitting-tree cells by a linear relaxation (floats propose).

At a cell of the splitting tree (exact vertices; the ReLU units of earlier layers and some
of the current layer decided), :class:`Pruner` tries to prove that no disjunct of a
property can be met anywhere in the cell, so the cell need not be split further:

1. *Proposal (float64).* A bounding box of the cell's vertices, rounded outward to
   dyadic numbers; symbolic linear bounds ``L(x) <= z_u(x) <= U(x)`` propagated forward
   from the cell's exact pre-activations; for every undecided unit a lower line
   ``relu(z) >= a z`` (``a`` 0 or 1) and an upper line ``relu(z) <= s z + c`` with dyadic
   ``s``, ``c`` valid on outward-rounded bounds of ``z``; then for every disjunct, by
   backward propagation, a lower bound ``G(x) <= c.y`` of one constraint's output part,
   and a check that the relaxed constraint ``a.x + G(x) <= b`` fails at every vertex.
2. *Confirmation (exact).* Farkas vectors for the box and for the relaxed constraint
   (from the exact minimising vertex), and the whole evidence re-checked by the
   checker's own rule functions (:mod:`exactrelu.checker.claims_prune`). Only evidence
   that passes is returned.

The evidence format and its soundness proof are in ``proofs/rules/prune.md``.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.vnnlib import parse_vnnlib
>>> from exactrelu.regions.walk import iter_regions
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])               # |x|
>>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) "
...                     "(assert (<= X_0 1)) (assert (>= Y_0 3))")
>>> region = prop.input_regions[0]
>>> pruner = Pruner(net, list(enumerate(prop.disjuncts)), region)
>>> nodes = []
>>> list(iter_regions(net, region, nodes=nodes, prune=pruner))   # pruned at the root: no region
[]
>>> nodes[0].pruned is not None, pruner.stats["pruned"]
(True, 1)
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from functools import partial
from typing import Any, Callable

from ..checker.claims_prune import (INF, Relaxation, _layer_matrix, check_disjunct_proofs,
                                   constraint_form, current_layer, parse_box)
from ..checker.core import CheckerError, number_reader
from ..checker.network import parse_network
from ..io.native_json import network_to_dict
from ..model.network import Network
from ..regions.activation import ACTIVE, UNDECIDED
from ..regions.walk import UnitSplit

__all__ = ["Pruner"]

K_BOX = 32  # box bounds and upper-line intercepts on the grid 2^-K_BOX
K_SLOPE = 20  # upper-line slopes on the grid 2^-K_SLOPE
WBLOCKS = 4096  # weight blocks kept per pruner (see Pruner._weights_block)
OUTS_MEMO = 256  # conversions of shared forms kept per pruner (see _ObjectMemo)
INF_B = -2  # (internal) an omitted bound of a stable unit: null in the evidence


def _dy(m: int, k: int) -> str:
    """The dyadic ``m / 2^k`` as a certificate number."""
    if m == 0:
        return "0"
    t = (m & -m).bit_length() - 1
    t = min(t, k)
    m >>= t
    k -= t
    return str(m) if k == 0 else f"{m}/{1 << k}"


class _FloatNet:
    """Float64 copy of a network's layers (proposals only)."""

    def __init__(self, net: Network) -> None:
        import numpy as np

        self.layers = []
        for layer in net.layers:
            ws = [(s, np.array([[float(v) for v in row] for row in w], dtype=float).reshape(len(w), -1))
                  for s, w in layer.inputs]
            self.layers.append((ws, np.array([float(v) for v in layer.bias]), layer.activation.value == "relu"))
        self.relu_off = [net.relu_offset(k) for k in range(1, len(net.layers) + 2)]


class Pruner:
    """A ``prune`` hook for :func:`exactrelu.regions.walk.iter_regions` (see module docstring).

    Parameters
    ----------
    net : the network (over the property's free inputs)
    disjuncts : ``[(k, Disjunct), ...]`` the disjuncts of this input region
    region : the input region (a Polytope)
    backward : bound the pre-activations of later layers by backward propagation through the
        relaxation (DeepPoly-style; tighter, costlier to check) instead of forward forms
    use_bases : bound the relaxed units' pre-activations over the cell (the value at the
        minimising vertex, certified by its basis of cell rows) where possible, else over the
        cell's bounding box

    ``stats`` counts attempts, proposals, confirmed prunes and seconds spent.
    """

    def __init__(self, net: Network, disjuncts: list, region: Any, use_bases: bool = True,
                 backward: bool = True, unit_choice: bool = True) -> None:
        import numpy as np

        self.net = net
        self.fnet = _FloatNet(net)
        self.ck_net = parse_network(network_to_dict(net))
        self.num = number_reader()
        self.n = net.n_inputs
        self.use_bases = use_bases
        self.backward = backward
        self._wcache: dict = {}
        self.disjuncts = []  # (k, [(a, c, b, strict) exact], [(a, c, b) float])
        for k, dj in disjuncts:
            cons = [(tuple(c.a), tuple(c.c), c.b, c.strict) for c in dj.constraints]
            fl = [(np.array([float(v) for v in c.a]), np.array([float(v) for v in c.c]), float(c.b))
                  for c in dj.constraints]
            self.disjuncts.append((k, cons, fl))
        self.region = region
        self.unit_choice = unit_choice
        self.hint: int | None = None
        self._mu_k = None
        self._dombox: tuple | bool | None = None  # see _domain_box (False: the domain has none)
        self._memo = _ObjectMemo(OUTS_MEMO)  # conversions of a subtree's shared forms
        self._wblocks: dict = {}  # see _weights_block
        self.stats = {"unit_choices": 0, "attempts": 0, "proposed": 0, "pruned": 0, "failed_exact": 0, "seconds": 0.0,
                      "exact_seconds": 0.0}

    # ------------------------------------------------------------------ entry point
    def __call__(self, cv: Any) -> dict | None:
        if not self.disjuncts or any(not cons for _, cons, _ in self.disjuncts):
            return None  # a disjunct without output constraints cannot be refuted by bounds
        t0 = time.perf_counter()
        self.stats["attempts"] += 1
        self.hint = None
        self._mu_k = None
        try:
            prop = self._propose(cv)
            if prop is None:
                if self.hint is not None and self.unit_choice:
                    self.stats["unit_choices"] += 1
                    return UnitSplit(self.hint)
                return None
            self.stats["proposed"] += 1
            t1 = time.perf_counter()
            ev = self._confirm(cv, *prop)
            self.stats["exact_seconds"] += time.perf_counter() - t1
            if ev is None:
                self.stats["failed_exact"] += 1
            else:
                self.stats["pruned"] += 1
            return ev
        finally:
            self.stats["seconds"] += time.perf_counter() - t0

    @staticmethod
    def _unit_hint(mu, sl, kb, off: int) -> int | None:
        """The undecided unit of layer k whose relaxation gap, weighted by its coefficient
        ``mu`` in the backward bound, is largest (a BaBSR-style score), or None."""
        import numpy as np

        if mu is None or sl is None or kb is None:
            return None
        a, sf, cf, relaxed, _ = sl
        lo, hi = kb
        gap = np.where(mu < 0, -mu * cf, mu * np.where(a > 0, -lo, hi))
        gap = np.where(relaxed & (lo < 0) & (hi > 0), gap, -1.0)
        j = int(gap.argmax())
        return off + j if gap[j] > 0 else None

    # ------------------------------------------------------------------ float proposal
    def _domain_box(self, cell: Any) -> tuple | None:
        """``(box, box_farkas, parsed box, rows used)`` of evidence bounding every input by a
        domain row that bounds it alone (every cell keeps the domain's rows first, with their
        numbers), or None if the domain has no such rows. Made once; the rows it uses are
        compared on every call."""
        from ..certificate.partition import format_multipliers

        got = self._dombox
        if got is None:
            n = self.n
            box, farkas, used = [], [], []
            for i in range(n):
                best: list = [None, None]  # (bound, row) for lo, hi
                for r, (a, b) in enumerate(cell.rows[:len(self.region.A)]):  # the domain's rows come first
                    if a[i] == 0 or any(v for q, v in enumerate(a) if q != i):
                        continue
                    side = 1 if a[i] > 0 else 0
                    bound = Fraction(b, a[i])
                    if best[side] is None or (bound < best[side][0] if side else bound > best[side][0]):
                        best[side] = (bound, r)
                if best[0] is None or best[1] is None:
                    self._dombox = False
                    return None
                pair = []
                for side, (bound, r) in enumerate(best):
                    e = [0] * (n + 1)
                    e[i] = bound.denominator if side == 0 else -bound.denominator
                    e[n] = -bound.numerator if side == 0 else bound.numerator  # q (x_i - lo) / q (hi - x_i)
                    y = _single_row(cell, tuple(e), i)
                    if y is None:
                        self._dombox = False
                        return None
                    pair.append(format_multipliers(cell.exact_multipliers(y, bound.denominator)))
                    used.append((r, cell.rows[r]))
                box.append([str(best[0][0]), str(best[1][0])])
                farkas.append(pair)
            rows = _LeafView.checker_rows(cell)
            got = self._dombox = (box, farkas, parse_box(self.num, rows, box, farkas, n, -1), used)
        if got is False or any(r >= len(cell.rows) or cell.rows[r] != row for r, row in got[3]):
            return None
        return got

    def _propose(self, cv: Any):
        import numpy as np

        n = self.n
        V = cv.cell.float_vertices()
        if not np.isfinite(V).all():
            return None
        scale = float(1 << K_BOX)
        lo_m = [math.floor(v * scale) - 1 for v in V[:, :n].min(axis=0).tolist()]
        hi_m = [math.ceil(v * scale) + 1 for v in V[:, :n].max(axis=0).tolist()]
        lo = np.array(lo_m, dtype=float) / scale
        hi = np.array(hi_m, dtype=float) / scale
        big = np.maximum(np.abs(lo), np.abs(hi))
        fnet = self.fnet
        k = cv.layer
        L = len(fnet.layers)
        cell = cv.cell
        basis_list: list[tuple] = []
        basis_of = np.full(len(V), -2)  # vertex -> index in basis_list (-1: degenerate, -2: not seen)

        def bases_for(arg):
            """Indices in basis_list of the bases of vertices ``arg`` (-1 where degenerate).
            A vertex minimising a form over all the cell's vertices is an LP optimum, so the
            dual of its basis is >= 0 when it is non-degenerate (the exact check confirms)."""
            got = basis_of[arg]
            if (got == -2).any():
                for vi in np.unique(arg[got == -2]).tolist():
                    inc = cell.incidence[vi]
                    if len(inc) == n:
                        basis_list.append(tuple(sorted(inc)))
                        basis_of[vi] = len(basis_list) - 1
                    else:
                        basis_of[vi] = -1
                got = basis_of[arg]
            return got
        # exact layers 0 .. k-1 and layer k's pre-activations, in float
        H: dict[int, tuple] = {}
        for s, lay in enumerate(cv.outs):
            F = self._float_forms(lay, lay[0], lay[1])
            H[s] = (F, F)
        Zk = self._float_forms(cv.forms, cv.forms, cv.D)
        if not np.isfinite(Zk).all():
            return None
        off_k = fnet.relu_off[k - 1]
        und = set(cv.undecided)
        params: dict[int, tuple] = {}  # unit -> (a, sm, cm)
        kb = None  # float bounds of layer k's pre-activations
        slopes: dict[int, tuple] = {}  # layer -> (a array, s array, c array, relaxed mask)
        for i in range(k, L + 1):
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
                Gb = self._backward_mat(i, eye, True, k, H, slopes, Zk, n)
                Lz, Uz = Gb[:width], -Gb[width:]
            relaxed = np.array([i > k or (off + j) in und for j in range(width)])
            if i == k:
                bits = np.array([cv.bits[off + j] == ACTIVE for j in range(width)], dtype=float)
            else:
                bits = np.zeros(width)
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
                    bis = bases_for(arg)
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
            if i == k:
                kb = (lmin, umax)
            a = np.where(relaxed, 0.0, bits)
            sf = np.where(relaxed, 0.0, bits)
            cf = np.zeros(width)
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
            Hl = a[:, None] * Lz
            Hu = sf[:, None] * Uz
            Hu[:, n] += cf
            H[i] = (Hl, Hu)
            slopes[i] = (a, sf, cf, relaxed, bits)
        # backward: one refuted constraint per disjunct
        chosen = []
        for k_dj, cons, fl in self.disjuncts:
            best = None
            closest = None  # (gmin / tol, mu_k) of the constraint closest to being refuted
            # the lower bounds of all the disjunct's constraints in one backward pass
            self._mu_k = None
            GG = self._backward_mat(L, np.array([fc for _, fc, _ in fl]), False, k, H, slopes, Zk, n)
            mu_all = self._mu_k
            for j, (fa, fc, fb) in enumerate(fl):
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
                    self.hint = self._unit_hint(closest[1], slopes.get(k), kb, off_k)
                return None
            chosen.append((k_dj, best[1], best[2]))
        box_idx = (V[:, :n].argmin(axis=0).tolist(), V[:, :n].argmax(axis=0).tolist())
        return lo_m, hi_m, box_idx, params, chosen, basis_list

    def _float_forms(self, key: Any, forms: Any, D: int):
        """Float64 array of exact integer forms ``f / D`` (``None``: the zero form), computed
        once per ``key`` object (a layer of ``cv.outs`` or ``cv.forms``: shared by a subtree)."""
        import numpy as np

        n1 = self.n + 1
        return self._memo.get("float", key, lambda: np.array(
            [[v / D for v in f] if f is not None else [0.0] * n1 for f in forms], dtype=float))

    def _backward_mat(self, top, Lam, on_pre, k, H, slopes, Zk, n):
        """Float backward propagation, one row per objective (rows of ``Lam`` on the
        pre-activation (``on_pre``) or the output of layer ``top``)."""
        import numpy as np

        fnet = self.fnet
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

    # ------------------------------------------------------------------ exact confirmation
    def _confirm(self, cv: Any, lo_m, hi_m, box_idx, params, chosen, basis_list) -> dict | None:
        from ..certificate.partition import format_multipliers

        cell = cv.cell
        n = self.n
        P2 = 1 << K_BOX
        box_farkas = []
        # no unit bounded over the box: the domain's own box (one-row proofs, made once) will do
        dom = None if any(bl == -1 or bu == -1 for _, _, _, bl, bu in params.values()) else self._domain_box(cell)
        for i in range(n if dom is None else 0):
            e = [0] * (n + 1)
            e[i] = P2
            lo_form = tuple(e[:-1]) + (-lo_m[i],)  # 2^K (x_i - lo_i) >= 0
            hi_form = tuple(-v for v in e[:-1]) + (hi_m[i],)  # 2^K (hi_i - x_i) >= 0
            pair = []
            for form, idx in ((lo_form, box_idx[0][i]), (hi_form, box_idx[1][i])):
                y = _single_row(cell, form, i) or self._farkas(cell, form, idx)
                if y is None:
                    return None
                pair.append(format_multipliers(cell.exact_multipliers(y, P2)))
            box_farkas.append(pair)
        relu = []
        for u, (a, sm, cm, bl, bu) in sorted(params.items()):
            entry = [u, str(a), _dy(sm, K_SLOPE), _dy(cm, K_BOX)]
            relu.append(entry + [None if bl == INF_B else bl, None if bu == INF_B else bu]
                        if bl != -1 or bu != -1 else entry)
        if dom is None:
            ev_box = [[_dy(l, K_BOX), _dy(h, K_BOX)] for l, h in zip(lo_m, hi_m)]
        else:
            ev_box, box_farkas = dom[0], dom[1]
        ev: dict[str, Any] = {"box": ev_box, "box_farkas": box_farkas, "relu": relu, "disjuncts": []}
        if basis_list:
            ev["bases"] = [list(b) for b in basis_list]
        leaf = _LeafView(cv, self.net, self._exact_outs(cv), self._exact_pre(cv))
        num = self.num
        try:
            if not self._forward_ok(leaf, lo_m, hi_m, params, basis_list, self.backward):
                return None
            # the checker's own functions: box (prune-box) and the backward bounds of prune-farkas
            box = dom[2] if dom is not None else parse_box(num, list(leaf.rows), ev["box"], ev["box_farkas"], n,
                                                           cv.node.id)
            ck_params = {u: ((a, 1), (sm, 1 << K_SLOPE), (cm, 1 << K_BOX), _ck_basis(bl), _ck_basis(bu))
                         for u, (a, sm, cm, bl, bu) in params.items()}
            rel = Relaxation(self.ck_net, leaf._outs, leaf._pre, leaf._bits, box, ck_params, cv.node.id,
                             list(leaf.rows), [tuple(b) for b in basis_list], forward=False)
            if self.backward:
                ev["bounds"] = "backward"
            nr = len(cell.rows)
            by_k = {k: cons for k, cons, _ in self.disjuncts}
            for k, j, idx in chosen:
                a, c, b, _ = by_k[k][j]
                v, d = constraint_form(rel, a, c, b)
                y = self._farkas(cell, v, idx)
                if y is None:
                    return None
                mult = list(cell.exact_multipliers(y, d)) + [(nr + j, 1, 1)]
                ev["disjuncts"].append({"disjunct": k, "farkas": format_multipliers(mult)})
            # ... and check the final Farkas vectors (prune-farkas) as the checker will
            check_disjunct_proofs(num, rel, leaf, [(k, cons) for k, cons, _ in self.disjuncts], ev)
        except (CheckerError, ValueError):
            return None
        return ev

    def _forward_ok(self, leaf: "_LeafView", lo_m, hi_m, params: dict, basis_list: list,
                    backward: bool = False) -> bool:
        """Exact check (python-flint integer matrices) of rule ``prune-relax`` for the proposed
        parameters: the same forward bounds and line conditions as the checker's
        :class:`~exactrelu.checker.claims_prune.Relaxation`, computed with fmpz matrices."""
        import flint

        net = self.ck_net
        self._lines_cache = {}
        outs, k, pre = current_layer(net, leaf._outs, leaf._pre, leaf._bits)
        if k is None:
            return True
        n = net.n_inputs
        n1 = n + 1
        B = 1 << K_BOX
        lo = list(lo_m) + [B]
        hi = list(hi_m) + [B]
        inv: dict[int, tuple] = {}

        def mat(vecs: list) -> Any:
            return flint.fmpz_mat(len(vecs), n1, [c for v in vecs for c in v])

        def common(forms: list) -> tuple[list, int]:
            D = math.lcm(*[d for _, d in forms]) if forms else 1
            return [list(v) if d == D else [c * (D // d) for c in v] for v, d in forms], D

        def lower(v: list, d: int, b: int) -> tuple[int, int]:
            """Box bound of ``v/d`` (``b < 0``)."""
            return sum(c * (lo[i] if c > 0 else hi[i]) for i, c in enumerate(v[:-1]) if c) + v[-1] * B, d * B

        if len(outs) == len(leaf._outs):
            exact, exact_den = self._exact_outs_mats(leaf.entries, mat, common)
        else:
            exact = {s: mat(common(outs[s])[0]) for s in range(len(outs))}
            exact_den = {s: common(outs[s])[1] for s in range(len(outs))}
        H: dict[int, tuple] = {}  # layer -> (lower mat, upper mat, den)
        L = len(net.layers)
        pe = leaf.pre_entry
        if pre is pe[0]:
            if pe[1] is None:
                pe[1] = common(pre)
                pe[2] = mat(pe[1][0])
            (pre_v, pre_D), pre_mat, pre_rows = pe[1], pe[2], pe[3]
        else:  # (not the memo's layer: nothing to share)
            pre_v, pre_D = common(pre)
            pre_mat, pre_rows = mat(pre_v), {}
        for i in range(k, L + 1):
            lay = net.layers[i - 1]
            Du = None
            if i == k:
                D = pre_D
                Zl = Zu = pre_mat
            elif backward:
                if lay.activation != "relu":
                    continue
                w = lay.width
                off_i = net.relu_offset[net.relu_layers.index(i)]
                # one objective row per bound that is needed (+z_j for lower, -z_j for upper)
                need = [(j, 1) for j in range(w) if params[off_i + j][3] != INF_B]
                need += [(j, -1) for j in range(w) if params[off_i + j][4] != INF_B]
                zl = [0] * (w * n1)
                zu = [0] * (w * n1)
                D = 1
                if need:
                    sel = flint.fmpz_mat(len(need), w)
                    for r, (j, sg) in enumerate(need):
                        sel[r, j] = sg
                    G, D = self._exact_backward(i, sel, 1, True, k, pre_v, pre_D, pre_rows, exact, exact_den, leaf,
                                                params)
                    ge = G.entries()  # fmpz: python-flint integers mix with python ints
                    for r, (j, sg) in enumerate(need):
                        row = ge[r * n1:(r + 1) * n1]
                        if sg > 0:
                            zl[j * n1:(j + 1) * n1] = row
                        else:
                            zu[j * n1:(j + 1) * n1] = [-c for c in row]
                Zl, Zu = zl, zu
            else:
                _, bias, E, pos, neg = _layer_matrix(net, i)
                srcs = []
                for s in lay.sources:
                    srcs.append((exact[s], exact[s], exact_den[s]) if s < k else H[s])
                D = math.lcm(*[d for _, _, d in srcs])
                lo_rows: list = []
                hi_rows: list = []
                for Ml, Mu, d in srcs:
                    f = D // d
                    lo_rows.extend(int(c) * f for c in Ml.entries())
                    hi_rows.extend(int(c) * f for c in Mu.entries())
                cnt = len(lo_rows) // n1
                HL = flint.fmpz_mat(cnt, n1, lo_rows)
                HU = flint.fmpz_mat(cnt, n1, hi_rows)
                Wp, Wn = self._fmpz_weights(i, pos, neg)
                Zl = Wp * HL + Wn * HU
                Zu = Wp * HU + Wn * HL
                bcol = flint.fmpz_mat(lay.width, n1, [bias[j] * D if c == n else 0
                                                      for j in range(lay.width) for c in range(n1)])
                Zl = Zl + bcol
                Zu = Zu + bcol
                D = E * D
            if lay.activation != "relu":
                H[i] = (Zl, Zu, D)
                continue
            off = net.relu_offset[net.relu_layers.index(i)]
            if isinstance(Zl, list):
                zl, zu = Zl, Zu
            else:
                zl = Zl.entries()
                zu = Zu.entries() if Zu is not Zl else zl
            S = 1 << (K_SLOPE + K_BOX)
            out_l: list = []
            out_u: list = []
            # the bounds of all relaxed units of this layer, grouped by basis (one fmpz product each)
            bound: dict[tuple, tuple] = {}
            groups: dict[tuple, list] = {}
            for j in range(lay.width):
                u = off + j
                if i == k and leaf._bits[u] != UNDECIDED:
                    continue
                _, _, _, bl, bu = params[u]
                if bl != INF_B:
                    groups.setdefault(("l", bl), []).append(j)
                if bu != INF_B:
                    groups.setdefault(("u", bu), []).append(j)
            for (side, b), js in groups.items():
                sgn = 1 if side == "l" else -1
                src = zl if side == "l" else zu
                vecs = [[sgn * c for c in src[j * n1:(j + 1) * n1]] for j in js]
                if b < 0:
                    for j, v in zip(js, vecs):
                        bound[(side, j)] = lower(v, D, -1)
                    continue
                got = inv.get(b)
                if got is None:
                    # the cell's own (cached) inverse: each of the checker's rows is a positive
                    # multiple c_r of the cell's integer row, so the duals differ by 1/c_r and
                    # their signs and the bound (sum of dual times constant) are the same
                    idx = basis_list[b]
                    Tm, DEN = leaf.cell.basis_inverse_fmpz(idx)
                    got = inv[b] = None if Tm is None else (
                        DEN, Tm, flint.fmpz_mat(1, n, [-leaf.cell.rows[r][1] for r in idx]))
                if got is None:
                    return False
                DEN, Tm, crow = got
                G = flint.fmpz_mat(n, len(js), [v[t] for t in range(n) for v in vecs])
                Ym = -(Tm * G)
                if min(Ym.entries()) < 0:
                    return False
                vals = (crow * Ym).entries()
                for col, (j, v) in enumerate(zip(js, vecs)):
                    bound[(side, j)] = (v[n] * DEN + int(vals[col]), DEN * D)
            for j in range(lay.width):
                u = off + j
                vl = zl[j * n1:(j + 1) * n1]
                vu = zu[j * n1:(j + 1) * n1]
                if i == k and leaf._bits[u] != UNDECIDED:
                    act = leaf._bits[u] == ACTIVE
                    out_l.append([c * S for c in vl] if act else [0] * n1)
                    out_u.append([c * S for c in vu] if act else [0] * n1)
                    continue
                a, sm, cm, bl, bu = params[u]
                qs, qc = 1 << K_SLOPE, 1 << K_BOX
                ok = 0 <= a <= 1 and sm >= 0
                if bl == INF_B:
                    ok = ok and sm == 0
                else:
                    nl, ql = bound[("l", j)]
                    ok = ok and sm * qc * nl + cm * qs * ql >= qs * qc * max(nl, 0)
                if bu == INF_B:
                    ok = ok and sm >= qs and bl != INF_B
                else:
                    nh, qh = bound[("u", j)]
                    nh = -nh
                    ok = ok and sm * qc * nh + cm * qs * qh >= qs * qc * max(nh, 0)
                if not ok:
                    return False
                if backward:
                    continue
                out_l.append([c * S for c in vl] if a else [0] * n1)
                up = [c * sm * (1 << K_BOX) for c in vu]
                up[-1] += cm * (1 << K_SLOPE) * D
                out_u.append(up)
            if not backward:
                H[i] = (mat(out_l), mat(out_u), D * S)
        return True

    def _exact_outs(self, cv: Any) -> list:
        """Memo entries ``[checker forms, (fmpz matrix, den) or None]``, one per exact layer
        output in ``cv.outs`` (the cells of a subtree share these layer objects)."""
        return [self._memo.get("outs", lay, partial(self._layer_entry, lay)) for lay in cv.outs]

    def _layer_entry(self, lay: tuple) -> list:
        from ..checker.network import reduce_form

        forms, D = lay
        zero = self.ck_net.zero
        return [[reduce_form(list(f), D) if f is not None else zero for f in forms], None]

    def _exact_pre(self, cv: Any) -> list:
        """Memo entry ``[checker forms, (ints, den) or None, fmpz matrix or None,
        {columns: fmpz rows}]`` of layer k's pre-activations (shared by a subtree's cells)."""
        from ..checker.network import reduce_form

        return self._memo.get("pre", cv.forms, lambda: [[reduce_form(list(f), cv.D) for f in cv.forms],
                                                         None, None, {}])

    def _weights_block(self, i: int, t: int, cols: list, scols: list) -> Any:
        """fmpz block of layer ``i``'s integer weights: rows ``cols``, columns ``t + scols``
        (cached; the cells of a subtree mostly share their unit classes)."""
        import flint

        key = (i, t, tuple(cols), tuple(scols))
        got = self._wblocks.get(key)
        if got is None:
            if len(self._wblocks) >= WBLOCKS:
                self._wblocks.clear()
            rows = _layer_matrix(self.ck_net, i)[0]
            got = self._wblocks[key] = flint.fmpz_mat(len(cols), len(scols), [rows[j][t + c] for j in cols for c in scols])
        return got

    @staticmethod
    def _exact_outs_mats(entries: list, mat, common) -> tuple[dict, dict]:
        """fmpz matrices and denominators of the memo entries' layers (built once each)."""
        exact, den = {}, {}
        for s, got in enumerate(entries):
            if got[1] is None:
                v, d = common(got[0])
                got[1] = (mat(v), d)
            exact[s], den[s] = got[1]
        return exact, den

    def _exact_backward(self, top: int, Lam: Any, Dv: int, on_pre: bool, k: int, pre_v: list, pre_D: int,
                        pre_rows: dict, exact: dict, exact_den: dict, leaf: "_LeafView",
                        params: dict) -> tuple[Any, int]:
        """Exact (fmpz) backward propagation, one row per objective: the checker's
        ``Relaxation._backward`` for a matrix of objectives. Returns ``(G, D)``: row r of
        ``G / D`` is a form below objective r on the cell. ``pre_rows`` caches fmpz row
        blocks of ``pre_v`` by their columns.

        The coefficients on a ReLU layer are kept in two column blocks: its unstable units
        (the line depends on the coefficient's sign, decided entry by entry) and its units
        whose two lines are ``z`` (stable active: a shift). Units whose lines are 0 are
        dropped (their terms are zero)."""
        import flint

        net = self.ck_net
        n1 = net.n_inputs + 1
        m = Lam.nrows()
        e_last = self._wcache.get("e_last")
        if e_last is None:
            e_last = self._wcache["e_last"] = flint.fmpz_mat(1, n1, [0] * (n1 - 1) + [1])
        # lam[layer] = ([(matrix, columns of that layer), ...], den, on_pre)
        lam: dict[int, tuple] = {top: ([(Lam, list(range(net.layers[top - 1].width)))], Dv, on_pre)}
        terms: list[tuple] = []  # (m x n1 matrix, den)
        consts: list[tuple] = []  # (m x 1 column of constant terms, den)
        for i in range(top, k - 1, -1):
            if i not in lam:
                continue
            blocks, Dm, is_pre = lam.pop(i)
            lay = net.layers[i - 1]
            if not is_pre and lay.activation == "relu":
                A, S, C, unst, act = self._lines(i, k, leaf, params)
                (MU, U), (MP, _) = blocks
                out = []
                if U:
                    ent = MU.entries()
                    w = len(U)
                    Ar = [A[j] for j in U] * m
                    Sr = [S[j] for j in U] * m
                    # mu >= 0 takes the lower line, mu < 0 the upper one (slopes over 2^K_SLOPE)
                    out.append((flint.fmpz_mat(m, w, [x * a if x > 0 else x * s for x, a, s in zip(ent, Ar, Sr)]), U))
                    Cc = [C[j] for j in U]
                    if any(Cc):
                        zero = ent[0] * 0
                        consts.append((flint.fmpz_mat(m, w, [x if x < 0 else zero for x in ent])
                                       * flint.fmpz_mat(w, 1, Cc), Dm << K_BOX))  # sum of mu c over mu < 0
                if act:
                    out.append((MP * (1 << K_SLOPE), act))  # both lines z: slope 1 over 2^K_SLOPE
                blocks = out
                Dm = Dm << K_SLOPE
            if i == k:
                for M, cols in blocks:
                    key = tuple(cols)
                    Pk = pre_rows.get(key)
                    if Pk is None:
                        Pk = pre_rows[key] = flint.fmpz_mat(len(cols), n1, [c for j in cols for c in pre_v[j]])
                    terms.append((M * Pk, Dm * pre_D))
                continue
            rows, bias, E, _, _ = _layer_matrix(net, i)
            for M, cols in blocks:
                consts.append((M * flint.fmpz_mat(len(cols), 1, [bias[j] for j in cols]), Dm * E))
            t = 0
            for s_ in lay.sources:
                width = exact[s_].nrows() if s_ < k else net.layers[s_ - 1].width
                if s_ < k or net.layers[s_ - 1].activation != "relu":
                    targets = [list(range(width))]
                else:
                    _, _, _, unst_s, act_s = self._lines(s_, k, leaf, params)
                    targets = [unst_s, act_s]
                parts = []
                for scols in targets:
                    part = None
                    if scols:
                        for M, cols in blocks:
                            P_ = M * self._weights_block(i, t, cols, scols)
                            part = P_ if part is None else part + P_
                    parts.append((part, scols))
                t += width
                if s_ < k:
                    if parts[0][0] is not None:
                        terms.append((parts[0][0] * exact[s_], Dm * E * exact_den[s_]))
                    continue
                if len(parts) == 1:
                    parts = [(None, []), parts[0]]  # a non-ReLU source: one block, no lines
                parts = [(p_ if p_ is not None else flint.fmpz_mat(m, 0), c_) for p_, c_ in parts]
                if s_ in lam:
                    Q, Dq, _ = lam[s_]
                    L_ = math.lcm(Dq, Dm * E)
                    fq, fp = L_ // Dq, L_ // (Dm * E)
                    lam[s_] = ([(q * fq + p_ * fp, c_) for (q, c_), (p_, _) in zip(Q, parts)], L_, False)
                else:
                    lam[s_] = (parts, Dm * E, False)
        if consts:
            Dc = math.lcm(*[d for _, d in consts])
            col = None
            for T_, d in consts:
                col = T_ * (Dc // d) if col is None else col + T_ * (Dc // d)
            terms.append((col * e_last, Dc))
        D = math.lcm(*[d for _, d in terms]) if terms else 1
        G = None
        for T_, d in terms:
            G = T_ * (D // d) if G is None else G + T_ * (D // d)
        if G is None:
            G = flint.fmpz_mat(m, n1)
        return G, D

    def _lines(self, i: int, k: int, leaf: "_LeafView", params: dict) -> tuple:
        """``(A, S, C, unstable, active)`` of ReLU layer ``i``: lower slopes and upper
        slopes over ``2^K_SLOPE`` and intercepts over ``2^K_BOX`` (decided units of layer
        ``k``: their bit); the units whose line depends on the sign of a coefficient, and
        those whose two lines are ``z`` (the others' lines are 0). Cached per confirmation."""
        key = ("lines", i)
        got = self._lines_cache.get(key)
        if got is None:
            net = self.ck_net
            off = net.relu_offset[net.relu_layers.index(i)]
            A, S, C = [], [], []
            for j in range(net.layers[i - 1].width):
                u = off + j
                if i == k and leaf._bits[u] != UNDECIDED:
                    on = (1 << K_SLOPE) if leaf._bits[u] == ACTIVE else 0
                    A.append(on)
                    S.append(on)
                    C.append(0)
                else:
                    a, sm, cm, _, _ = params[u]
                    A.append(a << K_SLOPE)
                    S.append(sm)
                    C.append(cm)
            one = 1 << K_SLOPE
            unstable = [j for j in range(len(A)) if A[j] != S[j] or C[j]]
            active = [j for j in range(len(A)) if A[j] == S[j] == one and not C[j]]
            got = self._lines_cache[key] = (A, S, C, unstable, active)
        return got

    def _fmpz_weights(self, i: int, pos: list, neg: list):
        import flint

        got = self._wcache.get(i)
        if got is None:
            got = self._wcache[i] = (flint.fmpz_mat(len(pos), len(pos[0]), [c for r in pos for c in r]),
                                     flint.fmpz_mat(len(neg), len(neg[0]), [c for r in neg for c in r]))
        return got

    @staticmethod
    def _farkas(cell, form, idx):
        """Farkas vector (over the cell's integer rows) proving ``form >= 0`` on the cell:
        from the basis of rows tight at vertex ``idx`` (exact integer inverse), else the
        cell's own search."""
        inc = cell.incidence[idx]
        n = cell.n
        if len(inc) == n:
            basis = tuple(sorted(inc))
            T, DEN = cell.basis_inverse(basis)
            if T is not None:
                Y = [-sum(a * g for a, g in zip(tr, form[:n])) for tr in T]  # sum_r Y_r a_r = -DEN g
                if all(v >= 0 for v in Y) and sum(v * cell.rows[r][1] for v, r in zip(Y, basis)) <= form[n] * DEN:
                    return {r: v for r, v in zip(basis, Y) if v}, DEN
        y = cell.farkas_at(form, idx)
        if y is not None:
            return y
        try:
            return cell.farkas_nonneg(form)
        except ValueError:
            return None


class _ObjectMemo:
    """Values computed once per ``(tag, object)``, the object compared by identity; the last
    ``size`` are kept. Holding the object keeps its ``id`` from being reused."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._d: dict = {}

    def get(self, tag: str, obj: Any, make: Callable[[], Any]) -> Any:
        k = (tag, id(obj))
        got = self._d.get(k)
        if got is None or got[0] is not obj:
            if len(self._d) >= self.size:
                del self._d[next(iter(self._d))]
            got = self._d[k] = (obj, make())
        return got[1]


def _ck_basis(b: int) -> Any:
    """The checker's reading of a bound marker: a basis index, None (box) or INF (no bound)."""
    return INF if b == INF_B else None if b == -1 else b


def _single_row(cell: Any, form: tuple, i: int):
    """A one-row Farkas vector for ``form = t * (+-x_i) + f0 >= 0`` from a cell row that bounds
    ``x_i`` alone (a domain box row), or None."""
    t = form[i]
    for r, (a, b) in enumerate(cell.rows):
        ai = a[i]
        if ai == 0 or (ai > 0) == (t > 0) or any(v for q, v in enumerate(a) if q != i):
            continue
        m = abs(ai)
        # -form = (|t|/m) (ai x_i - b) + c with c = -f0 - t b / ai <= 0  <=>  f0 m + t b sign(ai) >= 0
        if form[-1] * m + t * b * (1 if ai > 0 else -1) >= 0:
            return {r: abs(t)}, m
    return None


class _LeafView:
    """What the checker's prune rules read from an open cell, built from a CellView."""

    def __init__(self, cv: Any, net: Network, entries: list, pre_entry: list) -> None:
        """``entries`` and ``pre_entry``: the pruner's memo entries of ``cv.outs`` and
        ``cv.forms`` (:meth:`Pruner._exact_outs`, :meth:`Pruner._exact_pre`)."""
        cell = cv.cell
        self.cell = cell
        self.entries = entries
        self.pre_entry = pre_entry
        self.id = cv.node.id
        self.rows = tuple(self.checker_rows(cell))
        self._outs = [e[0] for e in entries]
        self._pre = pre_entry[0]
        bits = bytearray(cv.bits)
        for u in cv.undecided:
            bits[u] = UNDECIDED
        for u in range(net.relu_offset(cv.layer + 1), net.n_relu):
            bits[u] = UNDECIDED
        self._bits = bytes(bits)

    @staticmethod
    def checker_rows(cell: Any) -> list:
        """The cell's rows as the checker recomputes them (reduced forms ``a x - b``)."""
        from ..checker.network import reduce_form

        return [reduce_form([v * Q for v in a] + [-b * Q], P) for (a, b), (P, Q) in zip(cell.rows, cell.scales)]
