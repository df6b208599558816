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
>>> from exactrelu.network import mlp
>>> from exactrelu.vnnlib import parse_vnnlib
>>> from exactrelu.regions import iter_regions
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
from typing import Any

from .checker.claims_prune import check_disjunct_proofs, constraint_form, relaxation_from_evidence
from .checker.core import CheckerError, number_reader
from .checker.network import parse_network
from .io.native_json import network_to_dict
from .network import Network

__all__ = ["Pruner"]

K_BOX = 32  # box bounds and upper-line intercepts on the grid 2^-K_BOX
K_SLOPE = 20  # upper-line slopes on the grid 2^-K_SLOPE


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
    """A ``prune`` hook for :func:`exactrelu.regions.iter_regions` (see module docstring).

    Parameters
    ----------
    net : the network (over the property's free inputs)
    disjuncts : ``[(k, Disjunct), ...]`` the disjuncts of this input region
    region : the input region (a Polytope)
    use_bases : bound the relaxed units' pre-activations over the cell (the value at the
        minimising vertex, certified by its basis of cell rows) where possible, else over the
        cell's bounding box

    ``stats`` counts attempts, proposals, confirmed prunes and seconds spent.
    """

    def __init__(self, net: Network, disjuncts: list, region: Any, use_bases: bool = True) -> None:
        import numpy as np

        self.net = net
        self.fnet = _FloatNet(net)
        self.ck_net = parse_network(network_to_dict(net))
        self.num = number_reader()
        self.n = net.n_inputs
        self.use_bases = use_bases
        self.disjuncts = []  # (k, [(a, c, b, strict) exact], [(a, c, b) float])
        for k, dj in disjuncts:
            cons = [(tuple(c.a), tuple(c.c), c.b, c.strict) for c in dj.constraints]
            fl = [(np.array([float(v) for v in c.a]), np.array([float(v) for v in c.c]), float(c.b))
                  for c in dj.constraints]
            self.disjuncts.append((k, cons, fl))
        self.region = region
        self.stats = {"attempts": 0, "proposed": 0, "pruned": 0, "failed_exact": 0, "seconds": 0.0,
                      "exact_seconds": 0.0}

    # ------------------------------------------------------------------ entry point
    def __call__(self, cv: Any) -> dict | None:
        if not self.disjuncts or any(not cons for _, cons, _ in self.disjuncts):
            return None  # a disjunct without output constraints cannot be refuted by bounds
        t0 = time.perf_counter()
        self.stats["attempts"] += 1
        try:
            prop = self._propose(cv)
            if prop is None:
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

    # ------------------------------------------------------------------ float proposal
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
        basis_cache: dict[int, Any] = {}

        def bases_at(vi: int):
            """(index in basis_list, inverse of M^T in float) for vertex vi, or None if degenerate."""
            if vi in basis_cache:
                return basis_cache[vi]
            got = None
            inc = cell.incidence[vi]
            if len(inc) == n:
                b = tuple(sorted(inc))
                M = np.array([[float(c) for c in cell.rows[r][0]] for r in b])
                try:
                    invT = np.linalg.inv(M.T)
                    if np.isfinite(invT).all():
                        basis_list.append(b)
                        got = (len(basis_list) - 1, invT)
                except np.linalg.LinAlgError:
                    got = None
            basis_cache[vi] = got
            return got
        # exact layers 0 .. k-1 and layer k's pre-activations, in float
        H: dict[int, tuple] = {}
        for s, (forms, D) in enumerate(cv.outs):
            F = np.array([[v / D for v in f] if f is not None else [0.0] * (n + 1) for f in forms], dtype=float)
            H[s] = (F, F)
        Zk = np.array([[v / cv.D for v in f] for f in cv.forms], dtype=float)
        if not np.isfinite(Zk).all():
            return None
        off_k = fnet.relu_off[k - 1]
        und = set(cv.undecided)
        params: dict[int, tuple] = {}  # unit -> (a, sm, cm)
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
            relaxed = np.array([i > k or (off + j) in und for j in range(width)])
            if i == k:
                bits = np.array([cv.bits[off + j] == 49 for j in range(width)], dtype=float)
            else:
                bits = np.zeros(width)
            lmin = np.where(Lz[:, :n] > 0, Lz[:, :n] * lo, Lz[:, :n] * hi).sum(axis=1) + Lz[:, n]
            umax = np.where(Uz[:, :n] > 0, Uz[:, :n] * hi, Uz[:, :n] * lo).sum(axis=1) + Uz[:, n]
            blo = np.full(width, -1)
            bhi = np.full(width, -1)
            if self.use_bases and relaxed.any():
                # tighter: the value at the minimising vertex, if its basis has a dual >= 0
                Lv = Lz @ V.T
                Uv = Uz @ V.T
                for j in np.nonzero(relaxed)[0].tolist():
                    for vals, form, sign, out, dest in ((Lv[j], Lz[j], 1.0, lmin, blo), (Uv[j], Uz[j], -1.0, umax, bhi)):
                        vi = int(vals.argmin() if sign > 0 else vals.argmax())
                        b = bases_at(vi)
                        if b is None:
                            continue
                        bi, invT = b
                        y = -(invT @ (sign * form[:n]))
                        if y.min() >= 0:
                            out[j] = vals[vi]
                            dest[j] = bi
            eps_l = 1e-9 * (np.abs(Lz[:, :n]) @ big + np.abs(Lz[:, n])) + 1e-12
            eps_u = 1e-9 * (np.abs(Uz[:, :n]) @ big + np.abs(Uz[:, n])) + 1e-12
            lmin = lmin - eps_l
            umax = umax + eps_u
            if not (np.isfinite(lmin).all() and np.isfinite(umax).all()):
                return None
            a = np.where(relaxed, 0.0, bits)
            sf = np.where(relaxed, 0.0, bits)
            cf = np.zeros(width)
            for j in np.nonzero(relaxed)[0].tolist():
                u = off + j
                lj, uj = lmin[j], umax[j]
                bl, bu = int(blo[j]), int(bhi[j])
                if lj >= 0:
                    params[u] = (1, 1 << K_SLOPE, 0, bl, -1)  # stable active: needs lo >= 0
                    a[j], sf[j] = 1.0, 1.0
                elif uj <= 0:
                    params[u] = (0, 0, 0, -1, bu)  # stable inactive: needs hi <= 0
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
            for j, (fa, fc, fb) in enumerate(fl):
                G = self._backward(fc, k, L, H, slopes, Zk, cv.outs, n)
                g = G.copy()
                g[:n] += fa
                g[n] -= fb
                vals = V @ g
                gmin = float(vals.min())
                tol = 1e-9 * (float(np.abs(g[:n]) @ big) + abs(float(g[n]))) + 1e-12
                if gmin > tol and (best is None or gmin / tol > best[0]):
                    best = (gmin / tol, j, int(vals.argmin()))
            if best is None:
                return None
            chosen.append((k_dj, best[1], best[2]))
        box_idx = (V[:, :n].argmin(axis=0).tolist(), V[:, :n].argmax(axis=0).tolist())
        return lo_m, hi_m, box_idx, params, chosen, basis_list

    def _backward(self, c, k, L, H, slopes, Zk, outs, n):
        """Float lower bound ``G`` (a form over (x, 1)) of ``c . y`` through the relaxation."""
        import numpy as np

        fnet = self.fnet
        lam: dict[int, Any] = {L: np.array(c, dtype=float)}
        G = np.zeros(n + 1)
        for i in range(L, k - 1, -1):
            if i not in lam:
                continue
            lv = lam.pop(i)
            ws, b, is_relu = fnet.layers[i - 1]
            if is_relu:
                a, sf, cf, relaxed, bits = slopes[i]
                nu = np.where(relaxed, np.where(lv >= 0, lv * a, lv * sf), lv * bits)
                G[n] += float(np.where(relaxed & (lv < 0), lv * cf, 0.0).sum())
            else:
                nu = lv
            if i == k:
                G += nu @ Zk
                continue
            G[n] += float(nu @ b)
            for s, W in ws:
                contrib = nu @ W
                if s < k:
                    G += contrib @ H[s][0]
                else:
                    lam[s] = lam[s] + contrib if s in lam else contrib
        return G

    # ------------------------------------------------------------------ exact confirmation
    def _confirm(self, cv: Any, lo_m, hi_m, box_idx, params, chosen, basis_list) -> dict | None:
        from .certificate import format_multipliers

        cell = cv.cell
        n = self.n
        P2 = 1 << K_BOX
        box_farkas = []
        for i in range(n):
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
            relu.append(entry + [bl, bu] if bl >= 0 or bu >= 0 else entry)
        ev: dict[str, Any] = {"box": [[_dy(l, K_BOX), _dy(h, K_BOX)] for l, h in zip(lo_m, hi_m)],
                              "box_farkas": box_farkas, "relu": relu, "disjuncts": []}
        if basis_list:
            ev["bases"] = [list(b) for b in basis_list]
        leaf = _LeafView(cv, self.ck_net, self.net)
        num = self.num
        try:
            # the checker's own rule functions build the relaxation from the evidence as written
            rel = relaxation_from_evidence(num, self.ck_net, leaf, ev)
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

    @staticmethod
    def _farkas(cell, form, idx):
        """Farkas vector (over the cell's integer rows) proving ``form >= 0`` on the cell."""
        y = cell.farkas_at(form, idx)
        if y is not None:
            return y
        try:
            return cell.farkas_nonneg(form)
        except ValueError:
            return None


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

    def __init__(self, cv: Any, ck_net: Any, net: Network) -> None:
        from .checker.network import reduce_form

        cell = cv.cell
        self.id = cv.node.id
        rows = []
        for (a, b), (P, Q) in zip(cell.rows, cell.scales):
            rows.append(reduce_form([v * Q for v in a] + [-b * Q], P))
        self.rows = tuple(rows)
        zero = ck_net.zero
        self._outs = [[reduce_form(list(f), D) if f is not None else zero for f in forms] for forms, D in cv.outs]
        self._pre = [reduce_form(list(f), cv.D) for f in cv.forms]
        bits = bytearray(cv.bits)
        off = net.relu_offset(cv.layer)
        for u in cv.undecided:
            bits[u] = 42
        for u in range(net.relu_offset(cv.layer + 1), net.n_relu):
            bits[u] = 42
        del off
        self._bits = bytes(bits)
