"""Exact polytope cells with vertices: split by a hyperplane, certify a sign.

A :class:`Cell` is ``{x : a_r . x <= b_r for all rows r}``, bounded and full-dimensional,
kept in both representations: integer rows (each a positive multiple ``lambda_r`` of the
exact rational row the checker will recompute) and exact vertices in homogeneous integer
coordinates ``x = X / W`` (``W > 0``) with their sets of tight rows (the incidence).

Splitting by an affine function is one step of the double-description method; deciding
that an affine function has one sign on a cell takes one pass over the vertices, and the
proof (a Farkas vector) comes from the basis of tight rows at the minimising vertex.
Nothing here uses floating point to decide.

Examples
--------
>>> from fractions import Fraction as F
>>> c = Cell.from_polytope([[F(1), F(0)], [F(-1), F(0)], [F(0), F(1)], [F(0), F(-1)]],
...                        [F(1)] * 4, [(F(x), F(y)) for x in (-1, 1) for y in (-1, 1)])
>>> len(c.vertices)
4
>>> pos, neg = c.split((1, 1, -1), (1, 1))   # x + y - 1 >= 0 / <= 0
>>> len(pos.vertices), len(neg.vertices)
(3, 5)
>>> y = c.farkas_nonneg((1, 0, 1))               # x + 1 >= 0 on the square
>>> y
({1: 1}, 1)
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import reduce
from operator import mul
from typing import Any, Sequence

from .polytope import Point

__all__ = ["Cell", "IntRow", "HVertex"]

IntRow = tuple[tuple[int, ...], int]  # (a, b) meaning a . x <= b, ints
HVertex = tuple[tuple[int, ...], int]  # (X, W): x = X / W, W > 0


def _reduce_h(X: list[int], W: int) -> HVertex:
    g = W
    for v in X:
        if v:
            g = math.gcd(g, v)
            if g == 1:
                return tuple(X), W
    return tuple(v // g for v in X), W // g


def _int_row(a: Sequence[Fraction], b: Fraction) -> tuple[IntRow, tuple[int, int]]:
    """Scale a rational row to primitive integers; returns the row and lambda as (p, q)."""
    L = b.denominator
    for v in a:
        L = L * v.denominator // math.gcd(L, v.denominator)
    ai = [int(v * L) for v in a]
    bi = int(b * L)
    g = reduce(math.gcd, ai + [bi], 0) or 1
    return (tuple(v // g for v in ai), bi // g), (L, g)


class Cell:
    """A full-dimensional bounded polytope with rows, vertices and incidences (see module)."""

    __slots__ = ("n", "rows", "scales", "vertices", "incidence", "_witness", "_vf", "_adj", "_up", "_bd")

    def __init__(self, n: int, rows: tuple[IntRow, ...], scales: tuple[tuple[int, int], ...],
                 vertices: list[HVertex], incidence: list[frozenset[int]], witness=None) -> None:
        self.n = n
        self.rows = rows
        self.scales = scales
        self.vertices = vertices
        self.incidence = incidence
        self._witness = witness
        self._vf = None
        self._adj: dict = {}  # basis -> exact inverse
        self._up: tuple[dict, int] | None = None  # the parent's cache and row count
        self._bd: dict[int, tuple | None] = {}  # vertex -> basis_data

    def __getstate__(self) -> tuple:
        """Pickled without the float and adjugate caches (recomputed on demand)."""
        return (self.n, self.rows, self.scales, self.vertices, self.incidence, self._witness)

    def __setstate__(self, state: tuple) -> None:
        self.n, self.rows, self.scales, self.vertices, self.incidence, self._witness = state
        self._vf = None
        self._adj = {}
        self._up = None
        self._bd = {}

    # --- construction --------------------------------------------------------------
    @classmethod
    def from_polytope(cls, A: Sequence[Sequence[Fraction]], b: Sequence[Fraction],
                      verts: Sequence[Sequence[Fraction]]) -> "Cell":
        """A cell from exact rows and the exact vertex list (e.g. from cdd.gmp)."""
        rows, scales = [], []
        for a, bi in zip(A, b):
            r, lam = _int_row(a, bi)
            rows.append(r)
            scales.append(lam)
        if not verts:
            raise ValueError("a cell needs vertices")
        hv = []
        inc = []
        n = len(A[0])
        for v in verts:
            W = 1
            for x in v:
                W = W * x.denominator // math.gcd(W, x.denominator)
            X = [int(x * W) for x in v]
            hv.append((tuple(X), W))
            inc.append(frozenset(i for i, (a, bi) in enumerate(rows)
                                 if sum(map(mul, a, X)) == bi * W))
        return cls(n, tuple(rows), tuple(scales), hv, inc)

    # --- queries -------------------------------------------------------------------
    def values(self, form: Sequence[int]) -> list[int]:
        """``W_v * (g . x_v + g0)`` for every vertex (same sign as the form's value)."""
        g = form[:-1]
        g0 = form[-1]
        return [sum(map(mul, g, X)) + g0 * W for X, W in self.vertices]

    def witness(self) -> Point:
        """The average of the vertices: strictly inside every row of the cell."""
        if self._witness is None:
            k = len(self.vertices)
            n = self.n
            L = 1
            for _, W in self.vertices:
                L = L * W // math.gcd(L, W)
            acc = [0] * n
            for X, W in self.vertices:
                f = L // W
                for i in range(n):
                    acc[i] += X[i] * f
            self._witness = tuple(Fraction(v, L * k) for v in acc)
        return self._witness

    def simple_interior(self) -> Point:
        """A strictly interior point with a small power-of-two denominator near the vertex
        average (proposed in float, checked exactly against every row), else the exact
        vertex average."""
        verts = self.vertices
        k = len(verts)
        avg = [sum([X[c] / W for X, W in verts]) / k for c in range(self.n)]
        if not all(abs(v) < 1e300 for v in avg):  # no float proposal near the float64 limit (or inf)
            return self.witness()
        rows = self.rows
        for p in (8, 16, 24, 32, 48):
            W = 1 << p
            if self.n == 2:  # (the general test below, written out)
                x0, x1 = int(round(avg[0] * W)), int(round(avg[1] * W))
                for (a0, a1), b in rows:
                    if a0 * x0 + a1 * x1 >= b * W:
                        break
                else:
                    return Fraction(x0, W), Fraction(x1, W)
                continue
            X = [int(round(v * W)) for v in avg]
            if all(sum(map(mul, a, X)) < b * W for a, b in rows):
                return tuple(Fraction(x, W) for x in X)
        return self.witness()

    def float_vertices(self):
        """The vertices as a float64 array with a column of ones (for proposals only)."""
        if self._vf is None:
            import numpy as np

            if self.n == 2:
                self._vf = np.array([(x0 / W, x1 / W, 1.0) for (x0, x1), W in self.vertices])
            else:
                self._vf = np.array([[x / W for x in X] + [1.0] for X, W in self.vertices])
        return self._vf

    def farkas_at(self, form: Sequence[int], i: int) -> tuple[dict[int, int], int] | None:
        """Try to prove ``form >= 0`` from vertex ``i`` (a proposed minimiser).

        Exact: succeeds only if the form is >= 0 at vertex ``i`` and its negated gradient
        is a non-negative combination of rows tight at ``i`` (then ``i`` *is* a
        minimiser and the certificate is valid); returns None otherwise.
        """
        X, W = self.vertices[i]
        g = form[:-1]
        if sum(map(mul, g, X)) + form[-1] * W < 0:
            return None
        if not any(g):
            return {}, 1
        target = tuple(-v for v in g)
        active = self.incidence[i]
        if self.n == 2 and len(active) == 2:
            r0, r1 = active
            (a, b), (c, d) = self.rows[r0][0], self.rows[r1][0]
            det = a * d - b * c
            if det:
                t0, t1 = target
                y0 = t0 * d - t1 * c
                y1 = a * t1 - b * t0
                if det < 0:
                    det, y0, y1 = -det, -y0, -y1
                if y0 >= 0 and y1 >= 0:
                    return {r: v for r, v in ((r0, y0), (r1, y1)) if v}, det
                return None
        return self._cone_combination(active, target)

    def farkas_at_many(self, forms: list[Sequence[int]], i: int) -> list:
        """:meth:`farkas_at` for several forms at vertex ``i`` (the same results), with one
        product by the basis inverse when the vertex is simple (``n`` tight rows)."""
        inc = self.incidence[i]
        n = self.n
        if n == 2 or len(inc) != n or len(forms) < 2:
            return [self.farkas_at(f, i) for f in forms]
        basis = tuple(sorted(inc))
        Nz, den = self.basis_inverse_fmpz(basis)
        if Nz is None:
            return [self.farkas_at(f, i) for f in forms]
        import flint

        X, W = self.vertices[i]
        m = len(forms)
        Y = (Nz * flint.fmpz_mat(n, m, [-f[r] for r in range(n) for f in forms])).entries()  # column c: form c
        out: list = []
        for c, f in enumerate(forms):
            g = f[:-1]
            if sum(map(mul, g, X)) + f[-1] * W < 0:
                out.append(None)
            elif not any(g):
                out.append(({}, 1))
            else:
                ys = Y[c::m]
                out.append(None if min(ys) < 0 else ({r: int(v) for r, v in zip(basis, ys) if v}, den))
        return out

    def sign_proofs_at(self, forms: list[Sequence[int]], i: int, scale: int) -> list:
        """For each form, the evidence that ``form >= 0`` on the cell from vertex ``i``, or
        None.

        In 2-D at a vertex with two tight rows of non-zero determinant the evidence is the
        *vertex basis* ``[r0, r1]`` (one list shared by all forms proved there): the checker
        recovers the Farkas vector on those two rows by Cramer's rule
        (proofs/rules/stable-farkas.md). Otherwise it is the exact multipliers,
        ``exact_multipliers(farkas_at(form, i), scale)``.
        """
        if self.n == 2 and len(self.incidence[i]) == 2:
            out = self._sign_proofs_2d(forms, i)
            if out is not None:
                return out
        mult = self.exact_multipliers
        return [None if y is None else mult(y, scale) for y in self.farkas_at_many(forms, i)]

    def _sign_proofs_2d(self, forms: list[Sequence[int]], i: int) -> list | None:
        """:meth:`sign_proofs_at` at a 2-D vertex with two tight rows: the vertex basis for
        each form that is ``>= 0`` at the vertex with both Cramer multipliers ``>= 0``
        (exactly the test the checker repeats); None if the rows' determinant is zero."""
        bd = self.basis_data(i)
        if bd is None:
            return None
        x0, x1, W, a, b, c, d, basis = bd
        return [basis if (g0 * x0 + g1 * x1 + h * W >= 0 and g1 * c - g0 * d >= 0 and g0 * b - g1 * a >= 0)
                else None for g0, g1, h in forms]

    def basis_data(self, i: int) -> tuple | None:
        """For a 2-D vertex with two tight rows of non-zero determinant: ``(x0, x1, W, a, b,
        c, d, [r0, r1])`` with the rows' coefficients ``(a, b)``, ``(c, d)`` sign-normalised
        so that ``a d - b c > 0``; None otherwise (cached per vertex)."""
        cache = self._bd
        got = cache.get(i, False)
        if got is not False:
            return got
        got = None
        if self.n == 2 and len(self.incidence[i]) == 2:
            r0, r1 = self.incidence[i]
            (a, b), (c, d) = self.rows[r0][0], self.rows[r1][0]
            det = a * d - b * c
            if det:
                if det < 0:
                    a, b, c, d = -a, -b, -c, -d
                (x0, x1), W = self.vertices[i]
                got = (x0, x1, W, a, b, c, d, [r0, r1])
        cache[i] = got
        return got

    def vertex(self, i: int) -> Point:
        X, W = self.vertices[i]
        return tuple(Fraction(v, W) for v in X)

    # --- splitting (one double-description step) -----------------------------------
    def split(self, form: Sequence[int], scale: tuple[int, int], vals: list[int] | None = None) -> tuple["Cell", "Cell"]:
        """Split by the affine form ``h`` (ints): returns ``(C ∩ {h >= 0}, C ∩ {h <= 0})``.

        ``scale = (p, q)``: ``h = (p/q) * h_exact`` (the checker's form);
        the new rows are ``-h <= 0`` (positive side) and ``h <= 0`` (negative side). Both
        sides must contain a vertex strictly on their side.
        """
        if vals is None:
            vals = self.values(form)
        n = self.n
        if n == 2:
            return self._split_2d(form, scale, vals)
        verts = self.vertices
        inc = self.incidence
        pos = [i for i, v in enumerate(vals) if v > 0]
        neg = [i for i, v in enumerate(vals) if v < 0]
        zero = [i for i, v in enumerate(vals) if v == 0]
        if not pos or not neg:
            raise ValueError("split needs vertices strictly on both sides")
        r = len(self.rows)
        new_verts: list[HVertex] = []
        new_inc: list[frozenset[int]] = []
        need = n - 1
        for p in pos:
            Sp = inc[p]
            Xp, Wp = verts[p]
            vp = vals[p]
            for q in neg:
                common = Sp & inc[q]
                if len(common) < need:
                    continue
                # combinatorial adjacency test: no other vertex is tight on all of `common`
                adjacent = True
                for t, St in enumerate(inc):
                    if t != p and t != q and common <= St:
                        adjacent = False
                        break
                if not adjacent:
                    continue
                Xq, Wq = verts[q]
                vq = vals[q]
                X = [vp * xq - vq * xp for xp, xq in zip(Xp, Xq)]
                W = vp * Wq - vq * Wp
                new_verts.append(_reduce_h(X, W))
                new_inc.append(common | {r})
        g = tuple(form[:-1])
        g0 = form[-1]
        row_pos = (tuple(-v for v in g), g0)
        row_neg = (g, -g0)
        rows_pos = self.rows + (row_pos,)
        rows_neg = self.rows + (row_neg,)
        scales = self.scales + (scale,)
        zero_v = [verts[i] for i in zero]
        zero_i = [inc[i] | {r} for i in zero]
        cpos = Cell(n, rows_pos, scales, [verts[i] for i in pos] + zero_v + new_verts,
                    [inc[i] for i in pos] + zero_i + new_inc)
        cneg = Cell(n, rows_neg, scales, [verts[i] for i in neg] + zero_v + new_verts,
                    [inc[i] for i in neg] + zero_i + new_inc)
        cpos._up = cneg._up = (self._adj, r)
        return cpos, cneg

    def _split_2d(self, form: Sequence[int], scale: tuple[int, int], vals: list[int]) -> tuple["Cell", "Cell"]:
        """:meth:`split` in 2-D (the same cells, vertices in the same order).

        Vertices ``p`` (positive) and ``q`` (negative) are adjacent when they share a tight
        row and no third vertex is tight on all their shared rows; for one shared row ``r``
        that third vertex exists iff more than two vertices are tight on ``r`` (counted
        once per split), otherwise the general test is made."""
        verts = self.vertices
        inc = self.incidence
        pos: list[int] = []
        neg: list[int] = []
        zero: list[int] = []
        for i, v in enumerate(vals):
            (pos if v > 0 else neg if v < 0 else zero).append(i)
        if not pos or not neg:
            raise ValueError("split needs vertices strictly on both sides")
        r = len(self.rows)
        rset = frozenset((r,))
        count: dict[int, int] = {}
        for S in inc:
            for t in S:
                count[t] = count.get(t, 0) + 1
        gcd = math.gcd
        new_verts: list[HVertex] = []
        new_inc: list[frozenset[int]] = []
        for p in pos:
            Sp = inc[p]
            (xp0, xp1), Wp = verts[p]
            vp = vals[p]
            for q in neg:
                common = Sp & inc[q]
                if not common:
                    continue
                if len(common) > 1 or count[next(iter(common))] > 2:
                    if any(t != p and t != q and common <= St for t, St in enumerate(inc)):
                        continue
                (xq0, xq1), Wq = verts[q]
                vq = vals[q]
                X0 = vp * xq0 - vq * xp0
                X1 = vp * xq1 - vq * xp1
                W = vp * Wq - vq * Wp
                g = gcd(W, X0, X1)
                new_verts.append(((X0 // g, X1 // g), W // g) if g != 1 else ((X0, X1), W))
                new_inc.append(common | rset)
        g0, g1, h = form
        rows_pos = self.rows + (((-g0, -g1), h),)
        rows_neg = self.rows + (((g0, g1), -h),)
        scales = self.scales + (scale,)
        zero_v = [verts[i] for i in zero]
        zero_i = [inc[i] | rset for i in zero]
        cpos = Cell(2, rows_pos, scales, [verts[i] for i in pos] + zero_v + new_verts,
                    [inc[i] for i in pos] + zero_i + new_inc)
        cneg = Cell(2, rows_neg, scales, [verts[i] for i in neg] + zero_v + new_verts,
                    [inc[i] for i in neg] + zero_i + new_inc)
        cpos._up = cneg._up = (self._adj, r)
        return cpos, cneg

    # --- sign certificates ---------------------------------------------------------
    def exact_multipliers(self, y: tuple[dict[int, int], int], scale: int) -> tuple[tuple[int, int, int], ...]:
        """Multipliers over the integer rows -> ``(row, p, q)`` over the checker's exact rows.

        ``y = (nums, den)`` proves a statement about an integer form equal to ``scale`` times
        the exact form; integer row r is ``(P_r/Q_r)`` times the exact row r, so
        ``y_exact[r] = y[r] * P_r / (Q_r * scale)`` (reduced to lowest terms).
        """
        nums, den = y
        sc = self.scales
        ds = den * scale
        gcd = math.gcd
        out = []
        for r, v in nums.items():
            P, Q = sc[r]
            p, q = v * P, ds * Q
            g = gcd(p, q)
            out.append((r, p // g, q // g) if g != 1 else (r, p, q))
        return tuple(out)

    def farkas_nonneg(self, form: Sequence[int], vals: list[int] | None = None) -> tuple[dict[int, int], int]:
        """Farkas vector (over this cell's *integer* rows) proving ``form >= 0`` on the cell.

        Returns ``(nums, den)``: ``y_r = nums[r] / den >= 0`` with ``sum_r y_r a_r = -g`` and
        ``sum_r y_r b_r <= g0``, i.e. ``-(g x + g0) = y.(A x - b) + c`` with ``c <= 0``.
        Raises ValueError if the form is negative at some vertex.
        """
        if vals is None:
            vals = self.values(form)
        verts = self.vertices
        # minimising vertex (exact comparison of vals[i] / W_i)
        best = 0
        bv, bw = vals[0], verts[0][1]
        for i in range(1, len(vals)):
            v = vals[i]
            if v < 0:
                raise ValueError("form is negative at a vertex")
            if v * bw < bv * verts[i][1]:
                best, bv, bw = i, v, verts[i][1]
        if bv < 0:
            raise ValueError("form is negative at a vertex")
        y = self.farkas_at(form, best)
        if y is None:  # pragma: no cover - cannot happen for an exact minimiser
            raise ValueError("no Farkas vector at the minimising vertex")
        return y

    def basis_inverse(self, basis: tuple[int, ...]) -> tuple[list[list[int]] | None, int]:
        """``(N, d)`` with ``N / d`` the inverse of the matrix whose columns are the linear
        parts of rows ``basis`` (sorted row indices), ``(None, 0)`` if singular; cached per
        cell, and shared with the children of a split (they keep the parent's rows and
        numbering, so a basis of old rows has the same inverse)."""
        entry = self._inverse_entry(basis)
        if entry[0] is None and entry[2] is not None:  # python ints made on first use
            n = len(basis)
            e = [int(x) for x in entry[2].entries()]
            entry[0] = [e[r * n:(r + 1) * n] for r in range(n)]
        return entry[0], entry[1]

    def basis_inverse_fmpz(self, basis: tuple[int, ...]) -> tuple[Any, int]:
        """:meth:`basis_inverse` with ``N`` as a python-flint ``fmpz_mat`` (None if singular)."""
        entry = self._inverse_entry(basis)
        if entry[2] is None and entry[0] is not None:  # made from python ints (2-D): convert once
            import flint

            n = len(basis)
            entry[2] = flint.fmpz_mat(n, n, [v for row in entry[0] for v in row])
        return entry[2], entry[1]

    def _inverse_entry(self, basis: tuple[int, ...]) -> list:
        """The cached ``[N as python ints, d, N as fmpz_mat]`` (either form of ``N`` may be
        None until first asked for; both None with ``d = 0`` if singular)."""
        entry = self._adj.get(basis)
        if entry is None:
            up = self._up
            if up is not None and basis[-1] < up[1]:
                entry = up[0].get(basis)
            if entry is None:
                rows = [self.rows[i][0] for i in basis]
                entry = _inverse_2x2(rows) if len(rows) == 2 else _flint_inverse(rows)
            self._adj[basis] = entry
        return entry

    def _solve(self, basis: tuple[int, ...], target: tuple[int, ...]) -> tuple[dict[int, int], int] | None:
        """``y / d >= 0`` with ``sum_i y_i a_{basis_i} = d * target`` via the cached integer
        inverse, as ``({row: y_i}, d)`` without the zero entries; None if singular or some
        ``y_i < 0``."""
        adj, det = self.basis_inverse(basis)
        if adj is None:
            return None
        y = [sum(map(mul, row, target)) for row in adj]
        if any(v < 0 for v in y):
            return None
        return {i: v for i, v in zip(basis, y) if v}, det

    def _cone_combination(self, active: frozenset[int], target: tuple[int, ...]) -> tuple[dict[int, int], int] | None:
        """Non-negative multipliers ``(nums, den)`` of rows in ``active`` summing to
        ``target`` (a basis of n active rows, else an exact LP over the cone), or None."""
        n = self.n
        act = sorted(active)
        rows = self.rows
        if len(act) == n:
            return self._solve(tuple(act), target)
        if len(act) > n:
            tried = 0
            for combo in itertools.combinations(act, n):
                y = self._solve(combo, target)
                if y is not None:
                    return y
                tried += 1
                if tried > 400:
                    break
            from ..numbers.lp import farkas_in_cone

            sol = farkas_in_cone([[Fraction(v) for v in rows[i][0]] for i in act], [Fraction(v) for v in target])
            if sol is not None:
                den = 1
                for v in sol.values():
                    den = den * v.denominator // math.gcd(den, v.denominator)
                return {act[k]: int(v * den) for k, v in sol.items() if v}, den
        return None


def _flint_inverse(basis_rows: list[tuple[int, ...]]) -> list:
    """``[None, d, Nz]``: ``Nz / d`` (an ``fmpz_mat``, ``d`` the least common denominator)
    the inverse of the matrix whose columns are ``basis_rows``; ``[None, 0, None]`` if
    singular. The first slot is for :meth:`Cell.basis_inverse`'s python-int copy.

    >>> _, d, Nz = _flint_inverse([(2, 0), (1, 1)])
    >>> d, Nz.tolist()
    (2, [[1, -1], [0, 2]])
    """
    import flint

    n = len(basis_rows)
    M = flint.fmpz_mat(n, n, [basis_rows[i][j] for j in range(n) for i in range(n)])
    try:
        num, den = M.inv().numer_denom()
    except ZeroDivisionError:  # singular
        return [None, 0, None]
    return [None, int(den), num]


def _inverse_2x2(basis_rows: list[tuple[int, ...]]) -> list:
    """:func:`_flint_inverse` of two rows in python ints (no python-flint needed in 2-D):
    ``[N, d, None]`` with ``N / d`` the inverse, ``N`` and ``d > 0`` coprime (as
    python-flint's ``numer_denom`` gives them); ``[None, 0, None]`` if singular.

    >>> _inverse_2x2([(2, 0), (1, 1)])
    [[[1, -1], [0, 2]], 2, None]
    """
    (a, c), (b, d) = basis_rows  # the matrix [[a, b], [c, d]] has the rows as columns
    det = a * d - b * c
    if det == 0:
        return [None, 0, None]
    g = math.gcd(a, b, c, d, det)
    if det < 0:
        g = -g
    return [[[d // g, -b // g], [-c // g, a // g]], det // g, None]
