"""Exact (python-flint integer) checks of a proposed relaxation, and its backward bounds.

:class:`ExactRelaxation` re-checks rule ``prune-relax`` of ``proofs/rules/prune.md`` for
the numbers a :class:`~exactrelu.verify.prune.proposal.Proposer` proposed: the forward
(or backward) bounds of every relaxed unit's pre-activation over the box or at a vertex
basis, and the conditions on its lines. :meth:`ExactRelaxation.objective_lower` is the
lower bound ``G(x) <= c.y`` of an output form through the relaxation (rule
``prune-farkas``); its reduced form is what the evidence's Farkas vectors prove about.
The arithmetic is the certificate checker's, done independently here with integer
matrices (the product imports nothing from :mod:`exactrelu.checker`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from .exactnet import IntNetwork, common_forms, reduce_form
from .proposal import INF_B, K_BOX, K_SLOPE

__all__ = ["LeafView", "ExactRelaxation"]

UNDECIDED = 42  # ord("*"): the bit of a relaxed unit
ACTIVE = 49  # ord("1")


class LeafView:
    """An open cell as the confirmation reads it, built from a CellView.

    Attributes
    ----------
    cell : the exact cell
    node : the cell's node id
    rows : the cell's rows in the certificate's scale (:func:`~.exactnet.cell_rows`)
    entries, pre_entry : the pruner's memo entries of ``cv.outs`` and ``cv.forms``
    outs, pre : reduced forms of the exact layer outputs and of layer k's pre-activations
    bits : activation bits with ``*`` for every relaxed unit
    """

    def __init__(self, cv: Any, net: IntNetwork, rows: tuple, entries: list, pre_entry: list) -> None:
        self.cell = cv.cell
        self.node = cv.node.id
        self.rows = rows
        self.entries = entries
        self.pre_entry = pre_entry
        self.outs = [e[0] for e in entries]
        self.pre = pre_entry[0]
        bits = bytearray(cv.bits)
        for u in cv.undecided:
            bits[u] = UNDECIDED
        for u in range(net.relu_offset[net.relu_layers.index(cv.layer) + 1], net.n_relu):
            bits[u] = UNDECIDED
        self.bits = bytes(bits)


class ExactRelaxation:
    """The relaxation of one cell (layer ``k`` = the cell's layer), checked exactly.

    Parameters
    ----------
    net : the network's integer copy
    leaf : the cell
    k : the layer whose units are being decided (its undecided units and every unit of later
        ReLU layers are relaxed)
    params : ``{unit: (a, s, c, bl, bu)}`` (see :class:`~.proposal.Proposal`)
    bases : the vertex bases ``bl``/``bu`` index
    """

    def __init__(self, net: IntNetwork, leaf: LeafView, k: int, params: dict, bases: list) -> None:
        import flint

        self.net, self.leaf, self.k, self.params, self.bases = net, leaf, k, params, bases
        self.n1 = net.n_inputs + 1
        self._lines_cache: dict = {}
        self._memo: dict = {}
        self._inv: dict[int, Any] = {}
        self.exact, self.exact_den = self._exact_outs(flint)
        pe = leaf.pre_entry
        if pe[1] is None:
            pe[1] = common_forms(leaf.pre)
            pe[2] = self.mat(pe[1][0])
        (self.pre_v, self.pre_D), self.pre_mat, self.pre_rows = pe[1], pe[2], pe[3]

    def mat(self, vecs: list) -> Any:
        """Rows of ``n + 1`` ints as one fmpz matrix."""
        import flint

        return flint.fmpz_mat(len(vecs), self.n1, [c for v in vecs for c in v])

    def _exact_outs(self, flint: Any) -> tuple[dict, dict]:
        """fmpz matrices and denominators of the exact layer outputs (built once per memo entry)."""
        exact, den = {}, {}
        for s, got in enumerate(self.leaf.entries):
            if got[1] is None:
                v, d = common_forms(got[0])
                got[1] = (self.mat(v), d)
            exact[s], den[s] = got[1]
        return exact, den

    def params_match(self) -> bool:
        """Whether ``params`` relax exactly the cell's undecided units (layer k's and all later)."""
        net, bits = self.net, self.leaf.bits
        r = net.relu_layers.index(self.k)
        want = [u for u in range(net.relu_offset[r], net.n_relu) if u >= net.relu_offset[r + 1] or bits[u] == 42]
        return sorted(self.params) == want

    # ------------------------------------------------------------------ rule prune-relax
    def forward_ok(self, lo_m: list, hi_m: list, backward: bool) -> bool:
        """Rule ``prune-relax`` for the box ``lo_m / 2^K_BOX <= x <= hi_m / 2^K_BOX``: every
        relaxed unit's bounds (forward forms, or ``backward`` propagation) and line conditions."""
        net, k = self.net, self.k
        B = 1 << K_BOX
        self.lo = list(lo_m) + [B]
        self.hi = list(hi_m) + [B]
        H: dict[int, tuple] = {}  # layer -> (lower mat, upper mat, den)
        for i in range(k, len(net.layers) + 1):
            lay = net.layers[i - 1]
            if i == k:
                Zl = Zu = self.pre_mat
                D = self.pre_D
            elif backward:
                if lay.activation != "relu":
                    continue
                Zl, Zu, D = self._backward_bounds(i)
            else:
                Zl, Zu, D = self._forward_bounds(i, H)
            if lay.activation != "relu":
                H[i] = (Zl, Zu, D)
                continue
            if isinstance(Zl, list):
                zl, zu = Zl, Zu
            else:
                zl = Zl.entries()
                zu = Zu.entries() if Zu is not Zl else zl
            bound = self._unit_bounds(i, zl, zu, D)
            if bound is None or not self._lines_valid(i, bound):
                return False
            if not backward:
                H[i] = self._relaxed_outputs(i, zl, zu, D)
        return True

    def _backward_bounds(self, i: int) -> tuple[list, list, int]:
        """Layer ``i``'s pre-activation bounds by backward propagation: one objective row per
        bound that is needed (``+z_j`` for lower, ``-z_j`` for upper); entry lists over ``D``."""
        import flint

        net, n1 = self.net, self.n1
        w = net.layers[i - 1].width
        off_i = net.offset_of(i)
        need = [(j, 1) for j in range(w) if self.params[off_i + j][3] != INF_B]
        need += [(j, -1) for j in range(w) if self.params[off_i + j][4] != INF_B]
        zl = [0] * (w * n1)
        zu = [0] * (w * n1)
        D = 1
        if need:
            sel = flint.fmpz_mat(len(need), w)
            for r, (j, sg) in enumerate(need):
                sel[r, j] = sg
            G, D = self.backward(i, sel, 1, True)
            ge = G.entries()  # fmpz: python-flint integers mix with python ints
            for r, (j, sg) in enumerate(need):
                row = ge[r * n1:(r + 1) * n1]
                if sg > 0:
                    zl[j * n1:(j + 1) * n1] = row
                else:
                    zu[j * n1:(j + 1) * n1] = [-c for c in row]
        return zl, zu, D

    def _forward_bounds(self, i: int, H: dict) -> tuple[Any, Any, int]:
        """Layer ``i``'s pre-activation bounds from its sources' forward bounds (fmpz, over ``D``)."""
        import flint

        lay = self.net.layers[i - 1]
        n1, k = self.n1, self.k
        srcs = [(self.exact[s], self.exact[s], self.exact_den[s]) if s < k else H[s] for s in lay.sources]
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
        Wp, Wn = self.net.fmpz_weights(i)
        bcol = flint.fmpz_mat(lay.width, n1, [lay.bias[j] * D if c == n1 - 1 else 0
                                              for j in range(lay.width) for c in range(n1)])
        return Wp * HL + Wn * HU + bcol, Wp * HU + Wn * HL + bcol, lay.E * D

    def _relaxed(self, i: int) -> list[int]:
        """The relaxed units' indices ``j`` in ReLU layer ``i``."""
        off, bits = self.net.offset_of(i), self.leaf.bits
        w = self.net.layers[i - 1].width
        return [j for j in range(w) if i != self.k or bits[off + j] == UNDECIDED]

    def _unit_bounds(self, i: int, zl: list, zu: list, D: int) -> dict | None:
        """``{("l" | "u", j): (N, Q)}``: the bound ``N/Q`` (lower) or ``-N/Q`` (upper) of every
        relaxed unit of layer ``i`` over the box or at its basis (one fmpz product per basis),
        or None if a basis is singular or its dual is negative somewhere."""
        import flint

        n1 = self.n1
        n = n1 - 1
        off = self.net.offset_of(i)
        bound: dict[tuple, tuple] = {}
        groups: dict[tuple, list] = {}
        for j in self._relaxed(i):
            _, _, _, bl, bu = self.params[off + j]
            if bl != INF_B:
                groups.setdefault(("l", bl), []).append(j)
            if bu != INF_B:
                groups.setdefault(("u", bu), []).append(j)
        cell = self.leaf.cell
        for (side, b), js in groups.items():
            sgn = 1 if side == "l" else -1
            src = zl if side == "l" else zu
            vecs = [[sgn * c for c in src[j * n1:(j + 1) * n1]] for j in js]
            if b < 0:
                for j, v in zip(js, vecs):
                    bound[(side, j)] = self._min_over_box(v), D * self.lo[-1]
                continue
            got = self._inv.get(b)
            if got is None:
                # the cell's own (cached) inverse: each certificate row is a positive multiple
                # c_r of the cell's integer row, so the duals differ by 1/c_r and their signs
                # and the bound (sum of dual times constant) are the same
                idx = self.bases[b]
                Tm, DEN = cell.basis_inverse_fmpz(idx)
                got = self._inv[b] = None if Tm is None else (
                    DEN, Tm, flint.fmpz_mat(1, n, [-cell.rows[r][1] for r in idx]))
            if got is None:
                return None
            DEN, Tm, crow = got
            G = flint.fmpz_mat(n, len(js), [v[t] for t in range(n) for v in vecs])
            Ym = -(Tm * G)
            if min(Ym.entries()) < 0:
                return None
            vals = (crow * Ym).entries()
            for col, (j, v) in enumerate(zip(js, vecs)):
                bound[(side, j)] = (v[n] * DEN + int(vals[col]), DEN * D)
        return bound

    def _min_over_box(self, v: list) -> int:
        """``B`` times the minimum of ``v . (x, 1)`` over the box (``B = 2^K_BOX``)."""
        lo, hi = self.lo, self.hi
        return sum(c * (lo[i] if c > 0 else hi[i]) for i, c in enumerate(v[:-1]) if c) + v[-1] * lo[-1]

    def _lines_valid(self, i: int, bound: dict) -> bool:
        """The line conditions of rule ``prune-relax`` for every relaxed unit of layer ``i``:
        ``0 <= a <= 1``, ``s >= 0``, ``s lo + c >= max(lo, 0)`` and ``s hi + c >= max(hi, 0)``
        (no lower bound: ``s = 0``; no upper bound: ``s >= 1``)."""
        off = self.net.offset_of(i)
        qs, qc = 1 << K_SLOPE, 1 << K_BOX
        for j in self._relaxed(i):
            a, sm, cm, bl, bu = self.params[off + j]
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
        return True

    def _relaxed_outputs(self, i: int, zl: list, zu: list, D: int) -> tuple[Any, Any, int]:
        """Forward bounds of ReLU layer ``i``'s outputs through its lines (fmpz, over ``D S``)."""
        n1, k = self.n1, self.k
        off, bits = self.net.offset_of(i), self.leaf.bits
        S = 1 << (K_SLOPE + K_BOX)
        out_l: list = []
        out_u: list = []
        for j in range(self.net.layers[i - 1].width):
            u = off + j
            vl = zl[j * n1:(j + 1) * n1]
            vu = zu[j * n1:(j + 1) * n1]
            if i == k and bits[u] != UNDECIDED:
                act = bits[u] == ACTIVE
                out_l.append([c * S for c in vl] if act else [0] * n1)
                out_u.append([c * S for c in vu] if act else [0] * n1)
                continue
            a, sm, cm, _, _ = self.params[u]
            out_l.append([c * S for c in vl] if a else [0] * n1)
            up = [c * sm * (1 << K_BOX) for c in vu]
            up[-1] += cm * (1 << K_SLOPE) * D
            out_u.append(up)
        return self.mat(out_l), self.mat(out_u), D * S

    # ------------------------------------------------------------------ rule prune-farkas
    def objective_lower(self, c: list) -> tuple[tuple[int, ...], int]:
        """The reduced form ``G`` with ``c . y(x) >= G(x)`` on the cell (backward propagation
        through the relaxation; ``c`` rational coefficients on the network outputs)."""
        import flint

        key = tuple(c)
        got = self._memo.get(key)
        if got is None:
            c = [Fraction(x) for x in c]
            Dc = math.lcm(*[x.denominator for x in c])
            top = len(self.net.layers)
            G, D = self.backward(top, flint.fmpz_mat(1, len(c), [int(x * Dc) for x in c]), Dc, False)
            got = self._memo[key] = reduce_form([int(x) for x in G.entries()], D)
        return got

    def lines(self, i: int) -> tuple:
        """``(A, S, C, unstable, active)`` of ReLU layer ``i``: lower slopes and upper slopes
        over ``2^K_SLOPE`` and intercepts over ``2^K_BOX`` (decided units of layer ``k``:
        their bit); the units whose line depends on the sign of a coefficient, and those
        whose two lines are ``z`` (the others' lines are 0). Cached."""
        got = self._lines_cache.get(i)
        if got is None:
            off, bits = self.net.offset_of(i), self.leaf.bits
            one = 1 << K_SLOPE
            A, S, C = [], [], []
            for j in range(self.net.layers[i - 1].width):
                u = off + j
                if i == self.k and bits[u] != UNDECIDED:
                    on = one if bits[u] == ACTIVE else 0
                    A.append(on)
                    S.append(on)
                    C.append(0)
                else:
                    a, sm, cm, _, _ = self.params[u]
                    A.append(a << K_SLOPE)
                    S.append(sm)
                    C.append(cm)
            unstable = [j for j in range(len(A)) if A[j] != S[j] or C[j]]
            active = [j for j in range(len(A)) if A[j] == S[j] == one and not C[j]]
            got = self._lines_cache[i] = (A, S, C, unstable, active)
        return got

    def backward(self, top: int, Lam: Any, Dv: int, on_pre: bool) -> tuple[Any, int]:
        """Exact backward propagation, one row per objective. Returns ``(G, D)``: row r of
        ``G / D`` is a form below objective r (row r of ``Lam / Dv`` on the pre-activations
        (``on_pre``) or the outputs of layer ``top``) on the cell.

        The coefficients on a ReLU layer are kept in two column blocks: its unstable units
        (the line depends on the coefficient's sign, decided entry by entry) and its units
        whose two lines are ``z`` (stable active: a shift). Units whose lines are 0 are
        dropped (their terms are zero)."""
        from .backward import propagate

        return propagate(self, top, Lam, Dv, on_pre)
