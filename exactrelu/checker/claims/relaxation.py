"""The linear relaxation of a pruned cell, re-checked exactly (standard library only).

Used by the ``prune-*`` rules (:mod:`.prune`, ``proofs/rules/prune.md``): for an open
cell of a ``property`` certificate's tree, :class:`Relaxation` computes linear bounds
``L(x) <= z_u(x) <= U(x)`` of every undecided unit's pre-activation from the cell's exact
pre-activations, forward layer by layer or (``"bounds": "backward"``) by propagating each
unit's pre-activation backwards through the relaxations below it, and checks the
evidence's lines ``relu(z) >= a z`` and ``relu(z) <= s z + c`` against them (rule
``prune-relax``); :meth:`Relaxation.objective_lower` bounds ``c . y`` from below on the
cell. Lower and upper pre-activation bounds are taken over the evidence's box or at the
vertex of a basis of ``n`` cell rows whose dual solution is checked to be non-negative;
an omitted bound (:data:`INF`) is infinite.

Forms are ``(v, d)``: ``v`` a list of ``n + 1`` ints, ``d > 0``, meaning ``v/d . (x, 1)``.

Examples
--------
>>> from fractions import Fraction
>>> from ..checker import parse_network
>>> net = parse_network({"format": "exactrelu-network", "version": 1, "inputs": 1, "layers": [
...     {"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"]]}]},
...     {"activation": "identity", "bias": ["0"], "inputs": [{"source": 1, "weight": [["1"]]}]}]})
>>> rel = Relaxation(net, [[((1, 0), 1)]], None, b"*", (((-1,), 1), ((1,), 1)),
...                  {0: ((0, 1), (1, 2), (1, 2), None, None)})
>>> rel.objective_lower([Fraction(-1)])    # -relu(x) >= -(x/2 + 1/2) on [-1, 1]
((-1, -1), 2)
"""

from __future__ import annotations

import math
from fractions import Fraction
from operator import mul
from typing import Any

from ..checker import invalid, unpack_digits

__all__ = ["INF", "Relaxation", "current_layer", "layer_matrix", "integer_inverse"]

INF = "inf"  # marks an omitted (infinite) pre-activation bound of a relaxed unit


# ------------------------------------------------------------------------ helpers
def _common(forms: list) -> tuple[list[list[int]], int]:
    """Forms ``(v, d)`` over one common denominator: ``(list of int lists, D)``."""
    D = math.lcm(*[d for _, d in forms]) if forms else 1
    return [list(v) if d == D else [c * (D // d) for c in v] for v, d in forms], D


def _reduce(vecs: list[list[int]], D: int) -> tuple[list[list[int]], int]:
    g = D
    for v in vecs:
        for c in v:
            if c:
                g = math.gcd(g, c)
                if g == 1:
                    return vecs, D
    if g > 1:
        return [[c // g for c in v] for v in vecs], D // g
    return vecs, D


def current_layer(net: Any, outs: list, pre: list | None, bits: bytes) -> tuple[list, int | None, list | None]:
    """From a walk state (outputs of layers ``0 .. t-1``, pre-activations of layer ``t`` or
    None, bits with ``*`` for undecided units) to ``(outs, k, pre_k)``: ``k`` is the first
    ReLU layer with an undecided unit and ``outs`` the exact outputs of layers ``0 .. k-1``
    (``k`` None if every unit is decided; ``outs`` then holds every layer)."""
    outs = list(outs)
    L = len(net.layers)
    while True:
        if pre is None:
            while len(outs) <= L:
                k = len(outs)
                z = net.layer_pre(k, outs)
                if net.layers[k - 1].activation == "relu":
                    pre = z
                    break
                outs.append(z)
            if pre is None:
                return outs, None, None
        k = len(outs)
        off = net.relu_offset[net.relu_layers.index(k)]
        if any(bits[off + j] == 42 for j in range(len(pre))):
            return outs, k, pre
        outs.append(net.relu_out(pre, bits, off))
        pre = None


def layer_matrix(net: Any, k: int) -> tuple:
    """Layer ``k`` as one integer matrix over its concatenated sources with one denominator
    (the layer's own ``Layer.common`` and ``Layer.E``): ``(rows, bias, E, pos, neg)`` with
    ``z_j = (rows[j] . h + bias[j]) / E`` and ``pos``/``neg`` the positive and negative parts
    of ``rows`` (the split is cached in ``net.derived``).

    >>> from ..checker import parse_network
    >>> net = parse_network({"format": "exactrelu-network", "version": 1, "inputs": 2, "layers": [
    ...     {"activation": "relu", "bias": ["1/2"], "inputs": [{"source": 0, "weight": [["1", "-1/3"]]}]}]})
    >>> layer_matrix(net, 1)
    ([(6, -2)], [3], 6, [[6, 0]], [[0, -2]])
    """
    cache = net.derived.setdefault("layer_matrix", {})
    got = cache.get(k)
    if got is None:
        lay = net.layers[k - 1]
        rows = [w for w, _ in lay.common]
        pos = [[c if c > 0 else 0 for c in r] for r in rows]
        neg = [[c if c < 0 else 0 for c in r] for r in rows]
        got = cache[k] = (rows, [c for _, c in lay.common], lay.E, pos, neg)
    return got


def _min_over_box(v: list[int], lo: list[int], hi: list[int]) -> int:
    """``B * min`` of ``v . (x, 1)`` over the box ``lo/B <= x <= hi/B`` (times B)."""
    return sum(c * (lo[i] if c > 0 else hi[i]) for i, c in enumerate(v[:-1]) if c) + v[-1] * lo[-1]


# ------------------------------------------------------------------------ relaxation
class Relaxation:
    """The forward relaxation of a cell (checks rule ``prune-relax`` while building it).

    Parameters
    ----------
    net : the checker's network
    forward : build and check the forward bounds (rule ``prune-relax``); the checker always
        does. A producer that has verified the same conditions exactly itself may skip it
        and use only :meth:`objective_lower`.
    outs, pre, bits : the walk state of the cell (see :func:`current_layer`)
    box : ``(lo, hi)``, each a tuple of ``n`` ints over a common denominator: the pair
        ``((lo_1 .. lo_n, B), (hi_1 .. hi_n, B))`` (already proved to contain the cell)
    params : ``{unit: ((pa, qa), (ps, qs), (pc, qc))}`` for every undecided unit
    """

    def __init__(self, net: Any, outs: list, pre: list | None, bits: bytes, box: tuple, params: dict,
                 node: int | None = None, rows: list | None = None, bases: list | None = None,
                 forward: bool = True, backward_bounds: bool = False) -> None:
        self.net = net
        self.rows = rows or []
        self.bases = bases or []
        self._inv: dict[int, tuple] = {}
        (lo, B1), (hi, B2) = box
        B = math.lcm(B1, B2)
        self.lo = [c * (B // B1) for c in lo] + [B]
        self.hi = [c * (B // B2) for c in hi] + [B]
        self.params = params
        self.node = node
        outs, k, pre = current_layer(net, outs, pre, bits)
        self.k, self.bits = k, bits
        self.exact = outs  # exact output forms of layers 0 .. k-1 (all layers if k is None)
        self.pre = pre
        want = []
        if k is not None:
            r = net.relu_layers.index(k)
            off = net.relu_offset[r]
            want = [u for u in range(off, net.n_relu) if u >= net.relu_offset[r + 1] or bits[u] == 42]
        if sorted(params) != want:
            raise invalid("prune-relax", f"node {node}: relaxation parameters are given for units "
                           f"{sorted(params)[:20]}, the undecided units are {want[:20]}", node=node)
        self._memo: dict = {}
        self.lower: dict[int, tuple] = {}  # layer -> (vecs, D): lower forms of its output
        self.upper: dict[int, tuple] = {}
        self._cols_cache: dict = {}
        if k is not None and forward:  # (forward=False: a producer that has checked it itself)
            if backward_bounds:
                self._backward_bounds()
            else:
                self._forward()

    def _check_unit(self, u: int, vl: list[int], dl: int, vu: list[int], du: int) -> None:
        """Rule ``prune-relax`` for unit ``u`` whose pre-activation lies between the forms
        ``vl/dl`` and ``vu/du`` on the cell."""
        (pa, qa), (ps, qs), (pc, qc), bl, bu = self.params[u]
        ok = 0 <= pa <= qa and ps >= 0
        # lo = nl / ql <= min of the lower form on the cell, hi = nh / qh >= max of the upper form;
        # an omitted bound (INF) is -inf (resp. +inf): then the line's slope must be 0 (resp. >= 1)
        if bl is INF:
            ok = ok and ps == 0
            nl, ql = None, 1
        else:
            nl, ql = self._lower_bound(vl, dl, bl, u)
            ok = ok and ps * qc * nl + pc * qs * ql >= qs * qc * max(nl, 0)  # times qs qc ql > 0
        if bu is INF:
            ok = ok and ps >= qs and bl is not INF
            nh, qh = None, 1
        else:
            nh, qh = self._lower_bound([-c for c in vu], du, bu, u)
            nh = -nh
            ok = ok and ps * qc * nh + pc * qs * qh >= qs * qc * max(nh, 0)
        if not ok:
            a, s, c = Fraction(pa, qa), Fraction(ps, qs), Fraction(pc, qc)
            lo = "-inf" if nl is None else Fraction(nl, ql)
            hi = "inf" if nh is None else Fraction(nh, qh)
            raise invalid("prune-relax", f"node {self.node}: the lines of unit {u} (a={a}, s={s}, c={c}) "
                           f"are not a relaxation of relu on [{lo}, {hi}]", node=self.node, unit=u)

    def _backward_bounds(self) -> None:
        """Backward (DeepPoly-style) bounds: every relaxed unit of a layer after ``k`` is
        bounded by forms obtained by propagating its pre-activation backwards through the
        relaxations of the layers below it (checked layer by layer, bottom up)."""
        net, k = self.net, self.k
        pv, pD = _common(self.pre)
        for i in range(k, len(net.layers) + 1):
            lay = net.layers[i - 1]
            if lay.activation != "relu":
                continue
            off = net.relu_offset[net.relu_layers.index(i)]
            if i == k:
                for j in range(lay.width):
                    if self.bits[off + j] == 42:
                        self._check_unit(off + j, pv[j], pD, pv[j], pD)
                continue
            # all the layer's bounds in one backward pass: +z_j for a lower bound, -z_j for an upper one
            need = [(j, sg) for j in range(lay.width) for sg, b in ((1, self.params[off + j][3]),
                                                                   (-1, self.params[off + j][4])) if b is not INF]
            objs = [[sg if t == j else 0 for t in range(lay.width)] for j, sg in need]
            forms = dict(zip(need, self._backward_many(i, objs, 1, True))) if need else {}
            for j in range(lay.width):
                gl, dl = forms.get((j, 1), ((), 1))
                gu, du = forms.get((j, -1), ((), 1))
                self._check_unit(off + j, list(gl), dl, [-c for c in gu], du)

    def _lower_bound(self, v: list[int], d: int, basis: int | None, unit: int) -> tuple[int, int]:
        """``(N, Q)``, ``Q > 0``: a lower bound ``N/Q`` of the form ``v/d`` on the cell: over the
        box, or (``basis`` given) the value at the vertex of that basis of cell rows, valid
        when the dual solution there is non-negative (checked; else ``prune-relax``)."""
        if basis is None:
            B = self.lo[-1]
            return _min_over_box(v, self.lo, self.hi), d * B
        if not 0 <= basis < len(self.bases):
            raise invalid("prune-relax", f"node {self.node}: unit {unit} uses basis {basis}, which does not exist",
                           node=self.node, unit=unit)
        T, DEN = self.basis_inverse(basis, unit)
        # y'_r = Y_r / (DEN d) with Y = -T g: sum_r y'_r row_r(x) = -g_lin . x + sum_r y'_r c_r
        n = len(v) - 1
        g = v[:n]
        Y = [-sum(map(mul, t, g)) for t in T]
        if any(y < 0 for y in Y):
            raise invalid("prune-relax", f"node {self.node}: the bound of unit {unit} at basis {basis} has a "
                           "negative multiplier", node=self.node, unit=unit)
        rows = [self.rows[r] for r in self.bases[basis]]
        # g(x) = -sum_r y'_r row_r(x) + g0 + sum_r y'_r c_r >= g0 + sum_r y'_r c_r on the cell
        return v[n] * DEN + sum(y * rv[n] for y, (rv, _) in zip(Y, rows)), DEN * d

    def basis_inverse(self, basis: int, unit: int) -> tuple[list[list[int]], int]:
        """``(T, DEN)`` with ``T / DEN`` the inverse of ``M^T``, ``M`` the basis rows' linear parts
        (rule ``prune-relax``: the basis is ``n`` distinct cell rows, nonsingular); cached."""
        got = self._inv.get(basis)
        if got is not None:
            return got
        idx = self.bases[basis]
        n = self.net.n_inputs
        if len(idx) != n or len(set(idx)) != n or any(not 0 <= r < len(self.rows) for r in idx):
            raise invalid("prune-relax", f"node {self.node}: basis {basis} is not {n} distinct cell rows",
                           node=self.node, unit=unit)
        Mt = [[self.rows[idx[j]][0][i] for j in range(n)] for i in range(n)]  # column j: row idx[j]
        got = integer_inverse(Mt)
        if got is None:
            raise invalid("prune-relax", f"node {self.node}: basis {basis} is singular", node=self.node, unit=unit)
        self._inv[basis] = got
        return got

    def _source(self, s: int, side: str) -> list:
        if s < self.k:
            return self.exact[s]
        vecs, D = (self.lower if side == "lo" else self.upper)[s]
        return [(v, D) for v in vecs]

    def _forward(self) -> None:
        net, k = self.net, self.k
        L = len(net.layers)
        n1 = net.n_inputs + 1
        for i in range(k, L + 1):
            lay = net.layers[i - 1]
            if i == k:
                zl, Dl = _common(self.pre)
                zu, Du = zl, Dl
            else:
                rows, bias, E, pos, neg = layer_matrix(net, i)
                lo_src = [f for s in lay.sources for f in self._source(s, "lo")]
                hi_src = [f for s in lay.sources for f in self._source(s, "hi")]
                both, D = _common(lo_src + hi_src)
                H_lo, H_hi = both[:len(lo_src)], both[len(lo_src):]
                # skip source units whose two bounds are both zero (e.g. inactive units)
                live = [t for t in range(len(H_lo)) if any(H_lo[t]) or any(H_hi[t])]
                cl = list(zip(*[H_lo[t] for t in live])) or [()] * (n1)
                ch = list(zip(*[H_hi[t] for t in live])) or [()] * (n1)
                zl, zu = [], []
                for j in range(lay.width):
                    p, q = pos[j], neg[j]
                    if len(live) < len(H_lo):
                        p, q = [p[t] for t in live], [q[t] for t in live]
                    a = [sum(map(mul, p, x)) + sum(map(mul, q, y)) for x, y in zip(cl, ch)]
                    b = [sum(map(mul, p, y)) + sum(map(mul, q, x)) for x, y in zip(cl, ch)]
                    a[-1] += bias[j] * D
                    b[-1] += bias[j] * D
                    zl.append(a)
                    zu.append(b)
                Dl = Du = E * D
            if lay.activation != "relu":
                self.lower[i], self.upper[i] = _reduce(zl, Dl), _reduce(zu, Du)
                continue
            off = net.relu_offset[net.relu_layers.index(i)]
            hl, hu = [], []
            for j in range(lay.width):
                u = off + j
                if i == k and self.bits[u] != 42:
                    if self.bits[u] == 49:
                        hl.append((zl[j], Dl))
                        hu.append((zu[j], Du))
                    else:
                        zero = [0] * len(zl[j])
                        hl.append((zero, 1))
                        hu.append((zero, 1))
                    continue
                (pa, qa), (ps, qs), (pc, qc), bl, bu = self.params[u]
                self._check_unit(u, zl[j], Dl, zu[j], Du)
                hl.append(([pa * v for v in zl[j]], qa * Dl))
                up = [ps * qc * v for v in zu[j]]
                up[-1] += pc * qs * Du
                hu.append((up, qs * qc * Du))
            self.lower[i] = _reduce(*_common(hl))
            self.upper[i] = _reduce(*_common(hu))

    def objective_lower(self, c: list[Fraction]) -> tuple[tuple[int, ...], int]:
        """A form ``G`` with ``c . y(x) >= G(x)`` on the cell (backward propagation through
        the relaxation; ``c`` are rational coefficients on the network outputs)."""
        key = tuple(c)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self._objective_lower(list(c))
        return got

    def _objective_lower(self, c: list[Fraction]) -> tuple[tuple[int, ...], int]:
        net = self.net
        L = len(net.layers)
        n1 = net.n_inputs + 1
        if self.k is None:  # no undecided unit: the exact output forms
            return _combine_forms(c, self.exact[L], n1)
        Dc = math.lcm(*[x.denominator for x in c])
        return self._backward(L, [int(x * Dc) for x in c], Dc, False)

    def _columns(self, key: Any, forms: list) -> tuple[list, int]:
        """Columns of ``forms`` over a common denominator (cached by ``key``)."""
        got = self._cols_cache.get(key)
        if got is None:
            vecs, D = _common(forms)
            got = self._cols_cache[key] = (list(zip(*vecs)), D)
        return got

    def _backward(self, top: int, vec: list[int], Dv: int, on_pre: bool) -> tuple[tuple[int, ...], int]:
        """A form ``G`` with ``sum_t vec_t / Dv * w_t(x) >= G(x)`` on the cell, ``w`` the
        pre-activation (``on_pre``) or the output of layer ``top >= k`` (see :meth:`_backward_many`)."""
        return self._backward_many(top, [vec], Dv, on_pre)[0]

    def _backward_many(self, top: int, vecs: list[list[int]], Dv: int, on_pre: bool) -> list[tuple[tuple[int, ...], int]]:
        """Per objective ``vec`` of ``vecs`` a form ``G`` with ``sum_t vec_t / Dv * w_t(x) >= G(x)``
        on the cell, ``w`` the pre-activation (``on_pre``) or the output of layer ``top >= k``:
        every ``mu relu(z)`` is replaced by ``mu a z`` (``mu >= 0``) or ``mu (s z + c)``
        (``mu < 0``), every linear map is substituted, down to layer ``k`` and the exact earlier
        layers. The objectives go down together (their coefficients share denominators; the
        products are :func:`_times`); each form is reduced to lowest terms."""
        net, k = self.net, self.k
        n1 = net.n_inputs + 1
        R = len(vecs)
        lam: dict[int, tuple] = {top: (vecs, Dv, on_pre)}
        terms: list[tuple[list[list[int]], int]] = []  # (R rows of n + 1 ints, denominator)
        for i in range(top, k - 1, -1):
            if i not in lam:
                continue
            lv, lD, pre = lam.pop(i)
            lay = net.layers[i - 1]
            if not pre and lay.activation == "relu":
                back = [self._relax_back(i, row, lD) for row in lv]
                nv = [b[0] for b in back]
                Dn, cd = back[0][1], back[0][3]
                if any(b[2] for b in back):
                    terms.append(([[0] * (n1 - 1) + [b[2]] for b in back], cd))
            else:
                nv, Dn = lv, lD
            if not any(any(row) for row in nv):
                continue
            if i == k:
                cols, pD = self._columns("pre", self.pre)
                terms.append((_times(nv, cols), Dn * pD))
                continue
            rows, bias, E, _, _ = layer_matrix(net, i)
            cb = _times(nv, [bias])
            if any(c for c, in cb):
                terms.append(([[0] * (n1 - 1) + [c] for c, in cb], Dn * E))
            relaxed_here = not pre and lay.activation == "relu"
            live_i = self._live(i) if relaxed_here else None
            key = ("w", i, relaxed_here)
            wcols = self._cols_cache.get(key)
            if wcols is None:  # columns of the weights, restricted to the units that can be nonzero
                cols_all = list(zip(*rows))
                wcols = [[col[t] for t in live_i] for col in cols_all] if relaxed_here else cols_all
                self._cols_cache[key] = wcols
            if relaxed_here:
                nv = [[row[t] for t in live_i] for row in nv]
            t = 0
            for s in lay.sources:
                width = len(self.exact[s]) if s < k else net.layers[s - 1].width
                if s >= k and net.layers[s - 1].activation == "relu":
                    # units of s whose two lines are 0 contribute nothing: skip their sums
                    live_s = self._live(s)
                    got = _times(nv, [wcols[t + j] for j in live_s])
                    contrib = [[0] * width for _ in range(R)]
                    for row, vals in zip(contrib, got):
                        for j, v in zip(live_s, vals):
                            row[j] = v
                else:
                    contrib = _times(nv, wcols[t:t + width])
                t += width
                if s < k:
                    cols, eD = self._columns(("exact", s), self.exact[s])
                    terms.append((_times(contrib, cols), Dn * E * eD))
                elif s in lam:
                    pv, pD, _ = lam[s]
                    M = math.lcm(pD, Dn * E)
                    fa, fb = M // pD, M // (Dn * E)
                    lam[s] = ([[a * fa + b * fb for a, b in zip(ra, rb)] for ra, rb in zip(pv, contrib)], M, False)
                else:
                    lam[s] = (contrib, Dn * E, False)
        if not terms:
            return [(tuple([0] * n1), 1)] * R
        out = []
        for r in range(R):
            vecs_r, D = _common([(rows_t[r], d) for rows_t, d in terms])
            v, D = _reduce([[sum(col) for col in zip(*vecs_r)]], D)
            out.append((tuple(v[0]), D))
        return out

    def _live(self, i: int) -> list[int]:
        """Units of ReLU layer ``i`` whose output can be nonzero in the backward bounds:
        decided active units of layer ``k`` and relaxed units whose lines are not all 0
        (``a = s = c = 0``: both lines say the output is 0, so it contributes no term)."""
        key = ("live", i)
        got = self._cols_cache.get(key)
        if got is None:
            net, k = self.net, self.k
            off = net.relu_offset[net.relu_layers.index(i)]
            got = []
            for j in range(net.layers[i - 1].width):
                u = off + j
                if i == k and self.bits[u] != 42:
                    if self.bits[u] == 49:
                        got.append(j)
                elif self.params[u][0][0] or self.params[u][1][0] or self.params[u][2][0]:
                    got.append(j)  # (a = s = c = 0 means relu(z) = 0 on the cell: no term at all)
            self._cols_cache[key] = got
        return got

    def _relax_back(self, i: int, lv: list[int], lD: int) -> tuple[list[int], int, int, int]:
        """Coefficients ``lv / lD`` on the outputs of ReLU layer ``i`` -> coefficients
        ``nv / Dn`` on its pre-activations plus the constant ``cn / cd`` (lower bound)."""
        Q, QC, lower, upper, const = self._back_lines(i)
        nv = [m * a if m > 0 else m * b for m, a, b in zip(lv, lower, upper)]
        cn = sum([m * c for m, c in zip(lv, const) if m < 0 and c])
        return nv, lD * Q, cn, lD * QC

    def _back_lines(self, i: int) -> tuple[int, int, list[int], list[int], list[int]]:
        """ReLU layer ``i``'s lines over common denominators ``Q`` (slopes) and ``QC``
        (intercepts): per unit the lower slope (taken by a coefficient ``> 0``), the upper
        slope and intercept (taken by a coefficient ``< 0``); a decided unit of layer ``k``
        has both slopes 1 (active) or 0 and no intercept. Cached."""
        key = ("q", i)
        got = self._cols_cache.get(key)
        if got is None:
            net, k = self.net, self.k
            off = net.relu_offset[net.relu_layers.index(i)]
            ps_ = [self.params.get(off + j) for j in range(net.layers[i - 1].width)]
            Q = math.lcm(1, *[q for p in ps_ if p is not None for q in (p[0][1], p[1][1])])
            QC = math.lcm(1, *[p[2][1] for p in ps_ if p is not None])
            lower, upper, const = [], [], []
            for j, p in enumerate(ps_):
                if i == k and self.bits[off + j] != 42:
                    on = Q if self.bits[off + j] == 49 else 0
                    lower.append(on)
                    upper.append(on)
                    const.append(0)
                else:
                    (pa, qa), (ps, qs), (pc, qc), _, _ = p
                    lower.append(pa * (Q // qa))
                    upper.append(ps * (Q // qs))
                    const.append(pc * (QC // qc))
            got = self._cols_cache[key] = (Q, QC, lower, upper, const)
        return got


def _times(rows: list[list[int]], cols: list) -> list[list[int]]:
    """``out[r][c] = sum_t rows[r][t] * cols[c][t]``. One row: plain sums. Several rows: per
    ``t`` the rows' entries packed as the base-``2^B`` digits of one integer, so each column
    costs one sum of ``len(cols[c])`` products, read off by :func:`unpack_digits`; with
    ``B - 1 >= bits(max |rows|) + bits(max |cols|) + bits(len(cols[c]))`` no digit can reach
    ``2^(B-1)`` in absolute value, so the digits are the exact sums.

    >>> _times([[1, -2], [3, 4]], [(5, 6), (-7, 0)])
    [[-7, -7], [39, -21]]
    """
    if len(rows) == 1:
        row = rows[0]
        return [[sum(map(mul, row, col)) for col in cols]]
    T = len(rows[0]) if rows else 0
    if not T or not cols:
        return [[0] * len(cols) for _ in rows]
    rbits = max(max(map(abs, r)) for r in rows).bit_length()
    cbits = max(max(map(abs, col)) for col in cols).bit_length()
    need = rbits + cbits + T.bit_length() + 1
    B = 8 << max(0, (need - 1).bit_length() - 3) if need <= 64 else -(-need // 8) * 8  # 8/16/32/64 when it fits
    nb, half = B // 8, 1 << (B - 1)
    offset = int.from_bytes(half.to_bytes(nb, "little") * len(rows), "little")
    # per t: the rows' entries t as the digits (shifted by half, so each digit is >= 0) of one integer
    zero = half.to_bytes(nb, "little")
    packed = [int.from_bytes(b"".join([(v + half).to_bytes(nb, "little") if v else zero for v in col]), "little")
              - offset for col in zip(*rows)]
    by_col = [unpack_digits(sum(map(mul, packed, col)), offset, B, len(rows)) for col in cols]
    return [list(x) for x in zip(*by_col)]


def integer_inverse(A: list[list[int]]) -> tuple[list[list[int]], int] | None:
    """``(T, d)`` with ``d > 0`` and ``T / d`` the inverse of the integer matrix ``A``; None if
    ``A`` is singular. Fraction-free Gauss-Jordan (Bareiss); the result is verified by
    ``T A = d I`` before it is returned, so its correctness does not rest on the algorithm.

    >>> integer_inverse([[2, 0], [1, 1]])
    ([[1, 0], [-1, 2]], 2)
    """
    n = len(A)
    M = [list(A[i]) + [int(i == c) for c in range(n)] for i in range(n)]
    prev = 1
    for k in range(n):
        piv = next((r for r in range(k, n) if M[r][k] != 0), None)
        if piv is None:
            return None
        M[k], M[piv] = M[piv], M[k]
        pk = M[k]
        p = pk[k]
        for i in range(n):
            if i != k:
                row = M[i]
                f = row[k]
                M[i] = [(p * x - f * y) // prev for x, y in zip(row, pk)]
        prev = p
    d = M[0][0]
    T = [row[n:] for row in M]
    if d < 0:
        d, T = -d, [[-x for x in row] for row in T]
    cols = list(zip(*A))
    for i in range(n):
        for j in range(n):
            if sum(map(mul, T[i], cols[j])) != (d if i == j else 0):
                return _fraction_inverse(A)
    return T, d


def _fraction_inverse(A: list[list[int]]) -> tuple[list[list[int]], int] | None:
    """Gauss-Jordan over Fractions (the fallback of :func:`_integer_inverse`)."""
    n = len(A)
    M = [[Fraction(x) for x in A[i]] + [Fraction(int(i == c)) for c in range(n)] for i in range(n)]
    for col in range(n):
        piv = next((r for r in range(col, n) if M[r][col] != 0), None)
        if piv is None:
            return None
        M[col], M[piv] = M[piv], M[col]
        pv = M[col][col]
        M[col] = [x / pv for x in M[col]]
        for r in range(n):
            if r != col and M[r][col] != 0:
                f = M[r][col]
                M[r] = [x - f * y for x, y in zip(M[r], M[col])]
    inv = [row[n:] for row in M]
    d = math.lcm(*[x.denominator for row in inv for x in row])
    return [[int(x * d) for x in row] for row in inv], d


def _combine_forms(coef: list[Fraction], forms: list, n1: int) -> tuple[list[int], int]:
    """``sum_j coef_j * forms_j`` as one form."""
    terms = [(f, x) for f, x in zip(forms, coef) if x]
    if not terms:
        return [0] * n1, 1
    D = math.lcm(*[f[1] * x.denominator for f, x in terms])
    tot = [0] * n1
    for (v, d), x in terms:
        m = x.numerator * (D // (d * x.denominator))
        tot = [a + m * b for a, b in zip(tot, v)]
    return tot, D
