"""Adjacent pairs of regions, each with exact evidence.

Two regions are adjacent when their closures meet in an (n-1)-dimensional piece. Every
such piece lies in a facet of both regions, on one hyperplane, so facets are grouped by
their (normalised) hyperplane and only facets of one group are compared: in 2-D by
overlapping intervals along the line (sort and sweep), in higher dimension along the
splitting tree (only the leaves across the split that made the facet are candidates) and
by exact points of the hyperplane strictly inside all other rows of both regions (short
points placed in float and tested exactly, then centroids, then an exact LP, cdd.gmp).
Each :class:`Adjacency` records the hyperplane, the units whose bits differ, and an exact
witness point in the shared piece (re-verified by the checker). The graph built from
them is in :mod:`exactrelu.graph.region_graph`.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> net = mlp(2, [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
>>> adj = adjacencies(enumerate_regions(net, box([-1, -1], [1, 1])))
>>> len(adj), adj[0].i, adj[0].j, adj[0].units, [str(v) for v in adj[0].witness]
(4, 0, 1, (1,), ['1/2', '0'])
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cmp_to_key, reduce
from operator import mul

from ..domain.polytope import Point
from ..regions.gcpause import gc_paused
from ..regions.walk import Partition, Region

__all__ = ["Adjacency", "adjacencies"]


class Adjacency(tuple):
    """``(i, j, hyperplane, witness, units)``: regions i < j meet in an (n-1)-piece of
    ``hyperplane`` (ints ``c_1..c_n, c_0``: ``c.x = c_0``, oriented as the facet row
    ``c.x <= c_0`` of one of the regions; certificates write ``(c, -c_0)``) around
    ``witness``."""

    __slots__ = ()

    @property
    def i(self) -> int:
        return self[0]

    @property
    def j(self) -> int:
        return self[1]

    @property
    def hyperplane(self) -> tuple[int, ...]:
        return self[2]

    @property
    def witness(self) -> Point:
        return self[3]

    @property
    def units(self) -> tuple[int, ...]:
        return self[4]


def _key(a: tuple[int, ...], b: int) -> tuple[tuple[int, ...], int]:
    """Normalise the hyperplane a.x = b: primitive, first non-zero coefficient positive.

    Returns (key, orientation) where orientation is +1 if the row a.x <= b points the
    same way as the key and -1 otherwise.
    """
    g = math.gcd(*a, b) or 1
    a2 = tuple(v // g for v in a) if g != 1 else a
    b2 = b // g
    first = next(v for v in a2 if v)
    if first < 0:
        return (tuple(-v for v in a2) + (-b2,)), -1
    return (a2 + (b2,)), 1


@gc_paused(long_lived=True)
def adjacencies(partition: Partition) -> list[Adjacency]:
    """All adjacent pairs of regions of a (complete or partial) partition."""
    regions = partition.regions
    n = partition.network.n_inputs
    domain_keys = set()
    for a, b in zip(partition.domain.A, partition.domain.b):
        L = reduce(lambda x, y: x * y // math.gcd(x, y), [v.denominator for v in a] + [b.denominator], 1)
        domain_keys.add(_key(tuple(int(v * L) for v in a), int(b * L))[0])
    groups: dict[tuple, list] = {}
    normal: dict[tuple, tuple] = {}  # (a, b) -> _key(a, b): children share their parents' rows
    for reg in regions:
        for r, a, b, vids in reg.facets:
            ko = normal.get((a, b))
            if ko is None:
                ko = normal[(a, b)] = _key(a, b)
            key, orient = ko
            if key in domain_keys:
                continue
            groups.setdefault(key, []).append((reg, orient, vids))
    out: list[Adjacency] = []
    tree = _tree_index(partition) if n >= 3 else None
    for key, facets in groups.items():
        plus = [f for f in facets if f[1] > 0]
        minus = [f for f in facets if f[1] < 0]
        if not plus or not minus:
            continue
        if n == 1:
            for rp, _, _ in plus:
                for rm, _, _ in minus:
                    w = (Fraction(key[1], key[0]),)
                    out.append(_edge(rp, rm, key, w))
        elif n == 2:
            out.extend(_sweep_2d(key, plus, minus))
        elif tree is None:
            out.extend(_pairs_nd(key, plus, minus, n))
    if n >= 3 and tree is not None:
        out.extend(_tree_pairs(partition, groups, tree, n, normal))
    out.sort(key=lambda e: (e[0], e[1]))
    return out


def _edge(r1: Region, r2: Region, key, witness) -> Adjacency:
    i, j = sorted((r1.index, r2.index))
    diff = _bits(r1) ^ _bits(r2)
    n = len(r1.pattern)
    units = []
    while diff:
        low = diff & -diff
        units.append(n - low.bit_length())
        diff ^= low
    return Adjacency((i, j, tuple(key), tuple(witness), tuple(sorted(units))))


def _bits(r: Region) -> int:
    return int(r.pattern, 2) if r.pattern else 0


Endpoint = tuple[int, int, tuple[int, ...]]  # (N, W, X): parameter t = N / W at the vertex X / W


def _t_le(p: Endpoint, q: Endpoint) -> bool:
    """Exact ``t_p <= t_q`` (denominators are positive)."""
    return p[0] * q[1] <= q[0] * p[1]


def _t_lt(p: Endpoint, q: Endpoint) -> bool:
    """Exact ``t_p < t_q`` (denominators are positive)."""
    return p[0] * q[1] < q[0] * p[1]


def _facet_span(reg: Region, vids, a1: int, a2: int) -> tuple[Endpoint, Endpoint, Region]:
    """The first and last vertex of a 2-D facet along its line ``a1 x + a2 y = b``, in
    integer arithmetic: ``t = (-a2 x + a1 y)`` at vertex ``(X, W)`` is ``N / W``."""
    verts = reg.cell.vertices
    lo = hi = None
    for v in vids:
        X, W = verts[v]
        p = (-a2 * X[0] + a1 * X[1], W, X)
        if lo is None:
            lo = hi = p
        elif _t_lt(p, lo):
            lo = p
        elif _t_lt(hi, p):
            hi = p
    return lo, hi, reg


def _cmp_lo(s: tuple, u: tuple) -> int:
    """Exact three-way comparison of the first endpoints of two spans (for sorting)."""
    d = s[0][0] * u[0][1] - u[0][0] * s[0][1]
    return (d > 0) - (d < 0)


def _midpoint(p: Endpoint, q: Endpoint) -> Point:
    """The exact midpoint of the vertices of two endpoints."""
    Xp, Wp, Xq, Wq = p[2], p[1], q[2], q[1]
    den = 2 * Wp * Wq
    return tuple(Fraction(x * Wq + y * Wp, den) for x, y in zip(Xp, Xq))


def _sweep_2d(key, plus, minus) -> list[Adjacency]:
    """Adjacent pairs among the facets on one line (2-D): facets of each side are sorted
    by their first endpoint along the line and swept; overlapping spans of positive length
    are edges, with the midpoint of the overlap as witness. Exact integer arithmetic."""
    a1, a2, _ = key  # the line a1 x + a2 y = b; parametrise along d = (-a2, a1)
    order = cmp_to_key(_cmp_lo)
    P = sorted((_facet_span(r, v, a1, a2) for r, _, v in plus), key=order)
    M = sorted((_facet_span(r, v, a1, a2) for r, _, v in minus), key=order)
    out = []
    j0 = 0
    nm = len(M)
    for plo, phi, rp in P:
        while j0 < nm and _t_le(M[j0][1], plo):
            j0 += 1
        j = j0
        while j < nm and _t_lt(M[j][0], phi):
            mlo, mhi, rm = M[j]
            lo = plo if _t_le(mlo, plo) else mlo
            hi = phi if _t_le(phi, mhi) else mhi
            if _t_lt(lo, hi):
                out.append(_edge(rp, rm, key, _midpoint(lo, hi)))
            j += 1
    return out


def _pairs_nd(key, plus, minus, n) -> list[Adjacency]:
    """Adjacent pairs among facets on one hyperplane in dimension >= 3.

    For each pair with overlapping bounding boxes: (1) a row of one region that is >= its
    bound at every vertex of the other facet separates them (not adjacent); (2) a few exact
    candidate points of the hyperplane (short points, then facet centroids and their
    midpoint) strictly inside every other row of both regions prove adjacency; (3)
    otherwise an exact LP decides.
    """
    def prep(reg, vids):
        verts = [reg.cell.vertices[v] for v in vids]
        rows = [(a, bi) for a, bi in reg.cell.rows if any(a) and _key(a, bi)[0] != key]
        pts = [tuple(Fraction(x, W) for x in X) for X, W in verts]
        lo = [min(p[i] for p in pts) for i in range(n)]
        hi = [max(p[i] for p in pts) for i in range(n)]
        return reg, verts, rows, lo, hi

    P = [prep(r, v) for r, _, v in plus]
    M = [prep(r, v) for r, _, v in minus]
    out = []
    for rp, vp, rowsp, plo, phi in P:
        for rm, vm, rowsm, mlo, mhi in M:
            if any(phi[i] < mlo[i] or mhi[i] < plo[i] for i in range(n)):
                continue
            w = _pair_witness(key, rowsp, vp, rowsm, vm, n)
            if w is not None:
                out.append(_edge(rp, rm, key, w))
    return out


def _tree_index(partition: Partition):
    """Children, split forms and leaf regions of the splitting tree (None if unusable)."""
    nodes = partition.nodes
    if not nodes or any(nd.split is not None and "form" not in nd.split for nd in nodes):
        return None
    leaf_region = {r.node: r for r in partition.regions}
    return nodes, leaf_region


def _path_splits(nodes, leaf_id: int) -> list[int]:
    path = []
    k = nodes[leaf_id].parent
    while k is not None:
        path.append(k)
        k = nodes[k].parent
    path.reverse()
    return path


def _tree_pairs(partition: Partition, groups, tree, n, normal: dict | None = None) -> list[Adjacency]:
    """n-D adjacency by walking the splitting tree restricted to each facet.

    A facet F of leaf R on hyperplane H (oriented +) comes from the first split on R's path
    whose hyperplane is H; the points just across F lie in that split's other subtree, so
    only the leaves of that subtree whose cells can meet F are candidates: at each split
    below, the split's exact affine form is evaluated at F's vertices and the walk goes to
    the side(s) F reaches. Candidates are then decided as in :func:`_pairs_nd`.

    ``normal`` maps rows ``(a, b)`` to :func:`_key` (filled in here): the hyperplane of
    each row is normalised once per distinct row, not once per facet and candidate pair.
    """
    nodes, leaf_region = tree
    m = len(partition.domain.A)
    keys = _RowKeys(normal)
    out: list[Adjacency] = []
    minus_of: dict[tuple, dict[int, tuple]] = {}
    for key, facets in groups.items():
        minus_of[key] = {reg.node: (reg, vids) for reg, orient, vids in facets if orient < 0}
    for key, facets in groups.items():
        mk = minus_of[key]
        if not mk:
            continue
        for reg, orient, vids in facets:
            if orient < 0:
                continue
            rkeys = keys.of(reg)
            r = next((r for r in range(m, len(rkeys)) if rkeys[r] == key), None)
            if r is None:
                continue
            top = _path_splits(nodes, reg.node)[r - m]
            # which side of `top` is R on?  R's node is in the subtree of pos or neg
            sp = nodes[top].split
            side_pos = _in_subtree(nodes, reg.node, sp["pos"])
            start = sp["neg"] if side_pos else sp["pos"]
            verts = [reg.cell.vertices[v] for v in vids]
            rowsp = keys.other_rows(reg, key)
            cp = keys.float_centroid(reg, vids)
            for rm, vids_m in _reached_leaves(nodes, start, verts, mk):
                vm = [rm.cell.vertices[v] for v in vids_m]
                approx = [(a + b) / 2 for a, b in zip(cp, keys.float_centroid(rm, vids_m))]
                # both cells have the domain rows and the rows of the splits above `top`
                # (rows 0 .. r-1, the same rows): the point test needs them once
                rows_m, new_m = keys.other_rows(rm, key, r + 1)
                w = _pair_witness(key, rowsp, verts, rows_m, vm, n, approx, rowsp + new_m)
                if w is not None:
                    out.append(_edge(reg, rm, key, w))
    return out


class _RowKeys:
    """The normalised hyperplane (:func:`_key`) of every row of a region's cell, computed
    once per distinct row (``None`` for a zero row), and the float vertices of the cells."""

    def __init__(self, normal: dict | None) -> None:
        self.normal = {} if normal is None else normal
        self.by_node: dict[int, list] = {}

    def float_centroid(self, reg: Region, vids) -> list[float]:
        """:func:`_float_centroid` of the vertices ``vids`` of ``reg`` (the same floats: the
        same quotients ``x / W``, summed one vertex after another in the same order by the
        axis-0 sum, divided by the count)."""
        fv = reg.cell.float_vertices()
        return (fv[list(vids)].sum(axis=0)[:-1] / len(vids)).tolist()

    def of(self, reg: Region) -> list:
        ks = self.by_node.get(reg.node)
        if ks is None:
            normal = self.normal
            ks = []
            for row in reg.cell.rows:
                ko = normal.get(row)
                if ko is None:
                    if not any(row[0]):
                        ks.append(None)
                        continue
                    ko = normal[row] = _key(*row)
                ks.append(ko[0])
            self.by_node[reg.node] = ks
        return ks

    def other_rows(self, reg: Region, key, start: int | None = None):
        """The non-zero rows of ``reg`` whose hyperplane is not ``key``; with ``start``,
        also those of them at index ``start`` or later: ``(rows, rows[start:])``."""
        rows = reg.cell.rows
        ks = self.of(reg)
        out = [row for row, k in zip(rows, ks) if k is not None and k != key]
        if start is None:
            return out
        tail = [row for row, k in zip(rows[start:], ks[start:]) if k is not None and k != key]
        return out, tail


def _reached_leaves(nodes, start: int, verts, leaves: dict):
    """The entries of ``leaves`` (node id -> value) for the leaves below ``start`` whose
    cells a facet with vertices ``verts`` (homogeneous ints) can meet: at each split the
    exact split form is evaluated at the vertices (``"+"`` first, as before)."""
    stack = [start]
    while stack:
        k = stack.pop()
        nd = nodes[k]
        if nd.split is None:
            hit = leaves.get(k)
            if hit is not None:
                yield hit
            continue
        form = nd.split["form"]
        g, g0 = form[:-1], form[-1]
        vals = [sum(map(mul, g, X)) + g0 * W for X, W in verts]
        flat = all(v == 0 for v in vals)
        if flat or max(vals) > 0:
            stack.append(nd.split["pos"])
        if flat or min(vals) < 0:
            stack.append(nd.split["neg"])


def _in_subtree(nodes, k: int, root: int) -> bool:
    while k is not None:
        if k == root:
            return True
        k = nodes[k].parent
    return False


def _pair_witness(key, rows1, verts1, rows2, verts2, n, approx=None, test_rows=None):
    """A point of the hyperplane ``key`` in the relative interior of both facets, or None.

    Facet i has vertices ``verts_i`` (homogeneous ints) and its region's other rows
    ``rows_i``. A row of one region that
    holds with ``>=`` at every vertex of the other facet separates them. Otherwise short
    points of the hyperplane near the midpoint of the two facets' centroids (placed in
    float, :func:`_short_points`) are tried, then the exact centroids, their midpoint and
    the joint centroid (whose coordinates can have thousands of digits in five
    dimensions), each tested exactly, and an exact LP decides the rest. ``approx``: the
    midpoint of the float centroids, if the caller has it (the floats only place points).
    ``test_rows``: ``rows1 + rows2`` without repeated rows, if the caller knows them (the
    point tests; the LP gets every row, so that its point does not change).
    """
    rows = rows1 + rows2
    tested = rows if test_rows is None else test_rows

    def inside(X, W) -> bool:
        return all(sum(map(mul, a, X)) < bi * W for a, bi in tested)

    # a point passing `inside` proves adjacency exactly; a separating row proves that no
    # point passes, so testing the (cheap, usually successful) short points first gives the
    # same witnesses
    if approx is None:
        approx = [(a + b) / 2 for a, b in zip(_float_centroid(verts1, n), _float_centroid(verts2, n))]
    for X, W in _short_points(key, approx, n):
        if inside(X, W):
            return tuple(Fraction(x, W) for x in X)
    if _separated(rows1, verts2) or _separated(rows2, verts1):
        return None
    c1, c2 = _centroid(verts1, n), _centroid(verts2, n)
    for X, W in (c1, c2, _mid(c1, c2), _centroid(verts1 + verts2, n)):
        if inside(X, W):
            return tuple(Fraction(x, W) for x in X)
    return _lp_witness(key, rows, n)


def _float_centroid(verts, n) -> list[float]:
    """The average of homogeneous integer points in float (a proposal only)."""
    return [sum(X[i] / W for X, W in verts) / len(verts) for i in range(n)]


def _short_points(key, approx, n):
    """Points of the hyperplane ``key = (c, c_0)`` (``c.x = c_0``, as the facet rows
    ``a.x <= b`` it comes from) near the float point ``approx`` with short coordinates:
    all but the coordinate ``j`` of largest ``|c_j|`` rounded to the nearest multiple of
    ``2^-p`` for p = 16, 32, 48, then ``x_j`` solved for exactly, as homogeneous
    ``(X', W')`` with ``W' > 0``. Floats only place the candidates; the caller tests each
    exactly. (Centroids of facets in five dimensions can have denominators of thousands
    of digits; these have about ``p + bits(c_j)`` bits.)"""
    c, c0 = key[:-1], key[-1]
    j = max(range(n), key=lambda i: abs(c[i]))
    cj = c[j]
    for p in (16, 32, 48):
        S = 1 << p
        Y = [round(v * S) for v in approx]
        num = c0 * S - sum(c[i] * Y[i] for i in range(n) if i != j)
        Xh = [y * cj for y in Y]
        Xh[j] = num
        Wh = S * cj
        if Wh < 0:
            Xh, Wh = [-v for v in Xh], -Wh
        yield Xh, Wh


def _centroid(verts, n):
    """The average of homogeneous integer points, as (X, W)."""
    from math import gcd

    L = 1
    for _, W in verts:
        L = L * W // gcd(L, W)
    X = [0] * n
    for Xv, W in verts:
        f = L // W
        for i in range(n):
            X[i] += Xv[i] * f
    return X, L * len(verts)


def _mid(p, q):
    (X1, W1), (X2, W2) = p, q
    return [a * W2 + b * W1 for a, b in zip(X1, X2)], 2 * W1 * W2


def _separated(rows, verts) -> bool:
    """Some row ``a.x <= b`` has ``a.v >= b`` at every vertex ``v`` (the facets meet in at
    most a lower-dimensional set)."""
    for a, bi in rows:
        if all(sum(map(mul, a, X)) >= bi * W for X, W in verts):
            return True
    return False


def _lp_witness(key, rows, n):
    """Exact LP: a point of the hyperplane strictly inside all ``rows``, or None."""
    from ..numbers.lp import lp_maximize

    c = key[:-1]
    c0 = key[-1]
    A, b = [], []
    for a, bi in rows:
        scale = sum(abs(v) for v in a) or 1
        A.append([Fraction(v) for v in a] + [Fraction(scale)])
        b.append(Fraction(bi))
    norm_c = [Fraction(v) for v in c]
    A.append(norm_c + [Fraction(0)])
    b.append(Fraction(c0))
    A.append([-v for v in norm_c] + [Fraction(0)])
    b.append(Fraction(-c0))
    A.append([Fraction(0)] * n + [Fraction(1)])
    b.append(Fraction(1))
    res = lp_maximize(A, b, [Fraction(0)] * n + [Fraction(1)])
    if res.status == "optimal" and res.value > 0:
        return res.point[:n]
    return None
