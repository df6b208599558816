"""The lattice (max–min) form from the linear regions: ``f = max_t min_{j in S_t} l_j``.

Tarela–Martínez / Ovchinnikov (proofs/shallow.md §2): for the regions ``R_i`` of a
continuous piecewise-linear ``f`` on a convex domain, with ``f = l_{p(i)}`` on ``R_i``,
``S_i = {j : l_j >= l_{p(i)} on R_i}`` gives ``f = max_i min_{j in S_i} l_j``.

Exactly: an affine ``l_j - l_p`` is ``>= 0`` on a region iff it is ``>= 0`` at every exact
vertex (floats only pre-select candidates; every membership is decided with integers).
Simplification (each step keeps the function on the domain):

1. *distinct pieces*: regions with the same affine map share one ``l_j``;
2. *dominated members*: ``j`` is dropped from ``S`` when another ``j' in S`` has
   ``l_j' <= l_j`` on the domain (at every domain vertex) — the min is unchanged;
3. *dominated terms*: equal sets merge, and a set containing another is dropped
   (its min is below the smaller set's min everywhere);
4. *hitting sets*: a region's set shrinks to a few members that still contain its own
   piece and, for every region ``R_k``, some ``l_j <= f`` on all of ``R_k`` (greedy);
   a region whose set is already a superset of a term made so far reuses that term.

The identity is only guaranteed for regions on which no piece *crosses* the region's own
piece (proofs/shallow.md §2.2 has a counterexample otherwise). So every term is checked
to stay below ``f`` on every region (one piece below ``f`` on the whole region, or an exact
LP for a convex combination); a region whose own term fails is cut into sub-cells along
the crossing pieces, and each sub-cell brings its own term.

Every region keeps a *cover*: a term whose pieces are all ``>= f`` on it, or a tree of
cuts whose sub-cells each have one (what the ``lattice`` certificate uses). The
min-of-affine identity
``min_j l_j = max_k [l_k - sum_{j != k} relu(l_k - l_j)]`` then gives a pure max of
one-hidden-layer networks (:meth:`LatticeForm.to_shallow`).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])      # |x|
>>> lf = lattice_form(net, box([-1], [1]))
>>> lf.pieces, lf.terms
(((Fraction(1, 1), Fraction(0, 1)), (Fraction(-1, 1), Fraction(0, 1))), ((0,), (1,)))
>>> str(lf.evaluate(["-1/2"])), lf.counts()["terms"]
('1/2', 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

from ..domain.polytope import Polytope
from ..errors import LimitReached, ModelError
from ..model.network import Network
from ..regions.walk import Partition, enumerate_regions
from .representation import HiddenBasis, Representation, ShallowRepresentation, Vec, normalise_unit

__all__ = ["LatticeForm", "lattice_form", "region_sets"]

_ZERO = Fraction(0)


@dataclass
class LatticeForm(Representation):
    """``f(x) = max_t min_{j in terms[t]} pieces[j](x)``; a piece is ``(c_1..c_n, c_0)``.

    Attributes
    ----------
    pieces : distinct affine functions
    terms : the sets ``S_t`` (sorted tuples of piece indices)
    partition : the partition it was built from (or None)
    output : which network output it represents
    region_piece : per region (``partition.regions`` order) the index of its piece
    region_sets : per region its full set ``S_i``
    cover : per region a cover node: ``("term", t, cell)`` — every piece of term ``t`` is
        ``>= f`` on the cell — or ``("split", h, pos, neg)`` — the cell cut by the
        hyperplane ``h = (c_1..c_n, c_0) = 0`` into ``h >= 0`` (``pos``) and ``h <= 0``
    """

    n_inputs: int
    pieces: tuple[Vec, ...]
    terms: tuple[tuple[int, ...], ...]
    partition: Partition | None = None
    output: int = 0
    region_piece: list[int] = field(default_factory=list)
    region_sets: list[frozenset[int]] = field(default_factory=list)
    cover: list[Any] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    method: str = "lattice"

    def __post_init__(self) -> None:
        if not self.terms or any(not t for t in self.terms):
            raise ModelError("a lattice form needs at least one term, and no empty term")
        for t in self.terms:
            for j in t:
                if not 0 <= j < len(self.pieces):
                    raise ModelError(f"term uses piece {j}, there are {len(self.pieces)}")
        for p in self.pieces:
            if len(p) != self.n_inputs + 1:
                raise ModelError(f"a piece needs {self.n_inputs + 1} numbers")

    def piece_value(self, j: int, x: Sequence[Fraction]) -> Fraction:
        p = self.pieces[j]
        return p[-1] + sum((c * v for c, v in zip(p, x) if c), _ZERO)

    def evaluate(self, point: Any) -> Fraction:
        """Exact ``max_t min_{j in S_t} l_j(x)``."""
        x = self._point(point)
        vals = [self.piece_value(j, x) for j in range(len(self.pieces))]
        return max(min(vals[j] for j in t) for t in self.terms)

    def counts(self) -> dict[str, Any]:
        """``terms``/``hidden_units``/``max_units_per_term`` of the pure max of shallow
        networks (:meth:`to_shallow`): ``sum |S_t|`` terms of ``|S_t| - 1`` units each;
        ``lattice_terms`` is the number of mins, ``pieces`` the distinct affine pieces."""
        sizes = [len(t) for t in self.terms]
        out = {
            "method": "lattice",
            "form": "max",
            "terms": sum(sizes),
            "hidden_units": sum(s * (s - 1) for s in sizes),
            "max_units_per_term": max(sizes) - 1,
            "lattice_terms": len(self.terms),
            "pieces": len(self.pieces),
            "max_set_size": max(sizes),
            "materialised": True,
        }
        if self.partition is not None:
            out["regions"] = len(self.partition.regions)
        out.update({k: v for k, v in self.info.items() if k not in out})
        return out

    def to_shallow(self) -> ShallowRepresentation:
        """The pure max of one-hidden-layer networks given by the min-of-affine identity.

        Term ``(t, k)`` for ``k in S_t`` is ``l_k - sum_{j in S_t, j != k} relu(l_k - l_j)``;
        units that are positive multiples of one another are shared in the basis.
        """
        n = self.n_inputs
        units: list[Vec] = []
        index: dict[Vec, int] = {}
        raw: list[tuple[int, list[tuple[int, Fraction]]]] = []
        for t in self.terms:
            for k in t:
                parts = []
                for j in t:
                    if j == k:
                        continue
                    u, s = normalise_unit(tuple(a - b for a, b in zip(self.pieces[k], self.pieces[j])))
                    if u not in index:
                        index[u] = len(units)
                        units.append(u)
                    parts.append((index[u], s))
                raw.append((k, parts))
        basis = HiddenBasis(n, tuple(units))
        terms = []
        for k, parts in raw:
            vec = list(self.pieces[k]) + [_ZERO] * len(units)
            for u, s in parts:
                vec[n + 1 + u] -= s
            terms.append(tuple(vec))
        info = {"lattice_terms": len(self.terms), "pieces": len(self.pieces)}
        return ShallowRepresentation(basis, terms, (), "lattice", info)

    def to_network(self, name: str = "") -> Network:
        """An exact ReLU network: the shallow layer of :meth:`to_shallow` and a max tree."""
        return self.to_shallow().to_network(name or "shallow-lattice")

    def to_sympy(self, symbols: Sequence[Any] | None = None, relu: str = "max") -> Any:
        """``Max(Min(l_j, ...), ...)`` over the symbols ``x_0 .. x_{n-1}``."""
        from .symbolic import lattice_to_sympy

        return lattice_to_sympy(self, symbols)


# ----------------------------------------------------------------------------- construction
def _int_forms(maps: Sequence[Vec]) -> tuple[list[tuple[int, ...]], int]:
    """Affine maps scaled by one common denominator D: ``(D * map as ints, D)``."""
    D = 1
    for m in maps:
        for v in m:
            D = D * v.denominator // math.gcd(D, v.denominator)
    return [tuple(int(v * D) for v in m) for m in maps], D


def region_sets(partition: Partition, output: int = 0) -> tuple[list[Vec], list[int], list[frozenset[int]],
                                                                  list[frozenset[int]]]:
    """Distinct pieces and, per region, its piece, ``S_i`` (pieces ``>=`` its own on it)
    and ``U_i`` (pieces ``<=`` its own on it). Decided exactly at the region's vertices.

    Returns ``(pieces, region_piece, S, U)``.
    """
    import numpy as np

    if not partition.complete:
        raise LimitReached("the partition is incomplete (a limit stopped the enumeration); "
                           "the lattice form needs every region")
    net = partition.network
    if not isinstance(output, int) or not 0 <= output < net.n_outputs:
        raise ModelError(f"output {output!r} does not exist (the network has {net.n_outputs} outputs)")
    index: dict[Vec, int] = {}
    pieces: list[Vec] = []
    region_piece = []
    for reg in partition.regions:
        C, d = reg.affine_map
        key = tuple(C[output]) + (d[output],)
        if key not in index:
            index[key] = len(pieces)
            pieces.append(key)
        region_piece.append(index[key])
    G, _ = _int_forms(pieces)
    Gf = np.array([[float(v) for v in g] for g in G], dtype=float)
    scale = np.abs(Gf).max(axis=1, keepdims=True) + 1.0
    S: list[frozenset[int]] = []
    Ul: list[frozenset[int]] = []
    for reg, p in zip(partition.regions, region_piece):
        verts = reg.cell.vertices  # (X, W) homogeneous ints
        Vf = reg.cell.float_vertices()
        diff = (Gf - Gf[p]) @ Vf.T
        tol = 1e-7 * (scale + scale[p]) * (np.abs(Vf).max() + 1.0)
        lo = diff.min(axis=1)
        hi = diff.max(axis=1)
        gp = G[p]
        own = [sum(a * b for a, b in zip(gp, X)) + gp[-1] * W for X, W in verts]
        s_set, u_set = {p}, {p}
        for j in range(len(pieces)):
            if j == p:
                continue
            maybe_s = lo[j] >= -tol[j]
            maybe_u = hi[j] <= tol[j]
            if not (maybe_s or maybe_u):
                continue
            gj = G[j]
            vals = [sum(a * b for a, b in zip(gj, X)) + gj[-1] * W - o for (X, W), o in zip(verts, own)]
            if maybe_s and min(vals) >= 0:
                s_set.add(j)
            if maybe_u and max(vals) <= 0:
                u_set.add(j)
        S.append(frozenset(s_set))
        Ul.append(frozenset(u_set))
    return pieces, region_piece, S, Ul


def _domain_order(pieces: Sequence[Vec], domain: Polytope):
    """Boolean matrix ``le[a, b]``: ``l_a <= l_b`` at every vertex of the domain (hence on
    it, the domain being their convex hull). Exact integers (numpy int64 when small
    enough, Python ints otherwise)."""
    import numpy as np

    G, _ = _int_forms(pieces)
    verts = list(domain.vertices)
    L = 1
    for v in verts:
        for c in v:
            L = L * c.denominator // math.gcd(L, c.denominator)
    Vi = [tuple(int(c * L) for c in v) + (L,) for v in verts]
    vals = [[sum(a * b for a, b in zip(g, v)) for v in Vi] for g in G]
    big = max((abs(x) for r in vals for x in r), default=0).bit_length() > 62
    M = np.array(vals, dtype=object if big else np.int64).reshape(len(G), -1)
    le = (M[:, None, :] <= M[None, :, :]).all(axis=2)
    return np.asarray(le, dtype=bool)


def combination_below(cell: Any, pieces: Sequence[Vec], members: Sequence[int], f: Vec) -> dict[int, Fraction] | None:
    """Weights ``mu`` (>= 0, summing to 1) on ``members`` with ``sum mu_j l_j <= f`` on the
    cell, or None when there is none.

    Exact LP (cddlib, verified) over the cell's vertices: minimise ``t`` subject to
    ``sum mu_j (l_j - f)(v) <= t`` at every vertex ``v``. By LP duality (the minimax
    theorem for this bilinear game) such ``mu`` exists iff ``min_{j} l_j <= f`` at every
    point of the cell.
    """
    from ..numbers.lp import lp_maximize

    k = len(members)
    A, b = [], []
    for i in range(len(cell.vertices)):
        v = cell.vertex(i)
        fv = f[-1] + sum((c * x for c, x in zip(f, v)), _ZERO)
        row = [pieces[j][-1] + sum((c * x for c, x in zip(pieces[j], v)), _ZERO) - fv for j in members]
        A.append(row + [Fraction(-1)])
        b.append(_ZERO)
    for i in range(k):
        A.append([Fraction(-int(i == j)) for j in range(k)] + [_ZERO])
        b.append(_ZERO)
    A.append([Fraction(1)] * k + [_ZERO])
    b.append(Fraction(1))
    A.append([Fraction(-1)] * k + [_ZERO])
    b.append(Fraction(-1))
    res = lp_maximize(A, b, [_ZERO] * k + [Fraction(-1)])
    if res.status != "optimal" or res.value < 0:  # the optimum is -t*; we need t* <= 0
        return None
    return {members[i]: res.point[i] for i in range(k) if res.point[i]}


def exceeding_point(cell: Any, pieces: Sequence[Vec], members: Sequence[int], f: Vec) -> tuple | None:
    """A point of the cell where ``min_{j in members} l_j > f``, or None (exact LP:
    maximise ``s`` with ``s <= l_j - f`` for every member, over the cell)."""
    from ..numbers.lp import lp_maximize

    n = len(f) - 1
    A = [[Fraction(v) for v in a] + [_ZERO] for a, _ in cell.rows]
    b = [Fraction(bi) for _, bi in cell.rows]
    for j in members:
        g = [pieces[j][i] - f[i] for i in range(n + 1)]
        A.append([-v for v in g[:n]] + [Fraction(1)])
        b.append(g[n])
    res = lp_maximize(A, b, [_ZERO] * n + [Fraction(1)])
    if res.status == "optimal" and res.value > 0:
        return tuple(res.point[:n])
    return None


def lattice_form(net: Network, domain: Polytope, output: int = 0, *, partition: Partition | None = None,
                 simplify: bool | str = True, refine: str = "auto", max_regions: int | None = None,
                 time_limit: float | None = None) -> LatticeForm:
    """The lattice form of output ``output`` of ``net`` on ``domain``.

    Parameters
    ----------
    net, domain : the network and a bounded full-dimensional polytope (convex: needed)
    output : which output coordinate
    partition : a complete partition of ``net`` over ``domain`` (enumerated if None)
    simplify : ``True``/``"full"`` (default): steps 2–4 of the module docstring;
        ``"domain"``: steps 2–3; ``False``/``"none"``: distinct pieces only
    refine : ``"auto"`` (default): a region whose own term fails the upper-bound check is
        cut into order-compatible sub-cells (proofs/shallow.md §2.2); ``"always"``: cut
        every region that some piece crosses (for tests; more terms); ``"never"``: the
        textbook construction, unchecked — it can be wrong (for comparison only)
    max_regions, time_limit : passed to :func:`~exactrelu.regions.walk.enumerate_regions`;
        an incomplete partition raises :class:`~exactrelu.errors.LimitReached`

    Notes
    -----
    ``S_i`` costs one pass over the region's vertices per candidate piece
    (``O(regions * pieces * vertices)`` integer dot products at worst; a float
    pre-selection skips most pieces). Every term is verified to stay below ``f``: on a
    region by one piece that is ``<= f`` there (a bit-set test), or else by an exact LP
    (rare). The result is therefore always exact, and :func:`lattice_certificate
    <exactrelu.shallow.certificates.lattice_certificate>` finds its evidence.
    """
    if partition is None:
        partition = enumerate_regions(net, domain, max_regions=max_regions, time_limit=time_limit)
    elif partition.network is not net and partition.network != net:
        raise ModelError("the partition is of another network")
    level = {True: "full", False: "none"}.get(simplify, simplify)  # type: ignore[call-overload]
    if level not in ("none", "domain", "full"):
        raise ModelError(f"simplify must be True, False, 'domain' or 'full', got {simplify!r}")
    if refine not in ("auto", "always", "never"):
        raise ModelError(f"refine must be 'auto', 'always' or 'never', got {refine!r}")
    pieces, region_piece, S, U = region_sets(partition, output)
    regions = partition.regions
    m = len(regions)
    info: dict[str, Any] = {"regions": m, "simplified": level, "unsimplified_terms": len(set(S))}
    builder = _Builder(pieces, region_piece, U, regions, partition.domain, level, check=refine != "never")
    order = sorted(range(m), key=lambda i: len(S[i])) if level == "full" else list(range(m))
    cover: list[Any] = [None] * m
    for k in order:
        cell = regions[k].cell
        p = region_piece[k]
        if refine == "always" and _crossing(builder, cell, p):
            cover[k] = builder.refined(cell, p)
            continue
        node = builder.leaf(S[k], p, cell)
        cover[k] = node if node is not None else builder.refined(cell, p)
    terms, cover = builder.finish(cover)
    info.update(builder.stats)
    return LatticeForm(net.n_inputs, tuple(pieces), terms, partition, output, region_piece, S, cover, info)


def _crossing(b: "_Builder", cell: Any, p: int) -> list[int]:
    """Pieces whose difference with piece ``p`` takes both signs (strictly) on the cell."""
    out = []
    gp = b.G[p]
    for j, gj in enumerate(b.G):
        if j == p:
            continue
        vals = cell.values(tuple(a - c for a, c in zip(gj, gp)))
        if min(vals) < 0 < max(vals):
            out.append(j)
    return out


class _Builder:
    """Chooses, checks and collects the terms (see :func:`lattice_form`).

    A *cover node* is ``("term", t, cell)`` (every piece of term t is ``>= f`` on the
    cell) or ``("split", h, pos, neg)`` (the cell cut by the hyperplane ``h = 0``,
    ``h = (c_1..c_n, c_0)``; ``pos`` covers ``h >= 0``, ``neg`` covers ``h <= 0``).
    """

    def __init__(self, pieces, region_piece, U, regions, domain, level, check: bool = True) -> None:
        import numpy as np

        self.check = check
        self.pieces = pieces
        self.G, self.D = _int_forms(pieces)
        self.region_piece = region_piece
        self.regions = regions
        self.level = level
        self.m = len(regions)
        self.everything = (1 << self.m) - 1
        self.hits: dict[int, int] = {}
        for k, u in enumerate(U):
            for j in u:
                self.hits[j] = self.hits.get(j, 0) | (1 << k)
        self.le = _domain_order(pieces, domain) if level != "none" else None
        self._np = np
        self.terms: list[frozenset[int]] = []
        self.index: dict[frozenset[int], int] = {}
        self._lp: dict[tuple[frozenset[int], int], bool] = {}
        self.stats = {"convex_combination_terms": 0, "refined_regions": 0, "refined_cells": 0}

    def _prune(self, s: frozenset[int]) -> frozenset[int]:
        if self.le is None:
            return s
        np = self._np
        members = sorted(s)
        sub = self.le[np.ix_(members, members)].copy()
        np.fill_diagonal(sub, False)
        dominated = sub.any(axis=0)  # another member is below it on the whole domain: the min is unchanged
        return frozenset(j for j, d in zip(members, dominated) if not d)

    def _upper_ok(self, s: frozenset[int], union: int) -> bool:
        """``min_s <= f`` on every region: by one piece (bit sets) or by an exact LP."""
        missing = self.everything & ~union
        k = 0
        while missing:
            if missing & 1:
                key = (s, k)
                if key not in self._lp:
                    reg = self.regions[k]
                    f = self.pieces[self.region_piece[k]]
                    self._lp[key] = combination_below(reg.cell, self.pieces, sorted(s), f) is not None
                if not self._lp[key]:
                    return False
            missing >>= 1
            k += 1
        return True

    def _choose(self, s: frozenset[int], p: int) -> frozenset[int] | None:
        s = self._prune(s)
        union = 0
        for j in s:
            union |= self.hits.get(j, 0)
        if union == self.everything:
            if self.level != "full":
                return s
            chosen = {p}
            left = self.everything & ~self.hits.get(p, 0)
            while left:
                j = max((j for j in s if j not in chosen),
                        key=lambda j: (bin(self.hits.get(j, 0) & left).count("1"), -j))
                chosen.add(j)
                left &= ~self.hits.get(j, 0)
            return frozenset(chosen)
        if not self.check or self._upper_ok(s, union):
            self.stats["convex_combination_terms"] += 1
            return s
        return None

    def _add(self, s: frozenset[int]) -> int:
        t = self.index.get(s)
        if t is None:
            t = self.index[s] = len(self.terms)
            self.terms.append(s)
        return t

    def leaf(self, s: frozenset[int], p: int, cell: Any) -> tuple | None:
        """A cover node for a cell on which ``s`` are the pieces ``>= f`` (None: invalid)."""
        if self.level == "full":
            for t, term in enumerate(self.terms):
                if term <= s:
                    return ("term", t, cell)
        chosen = self._choose(s, p)
        if chosen is None:
            return None
        return ("term", self._add(chosen), cell)

    def refined(self, cell: Any, p: int) -> tuple:
        """Cut the cell by ``l_j = l_p`` for every piece j crossing ``l_p`` on it; cover each
        sub-cell (order-compatible, so its own set is valid: proofs/shallow.md §2.2)."""
        self.stats["refined_regions"] += 1
        gp = self.G[p]
        forms = {j: tuple(a - c for a, c in zip(gj, gp)) for j, gj in enumerate(self.G) if j != p}

        def build(c: Any, todo: list[int]) -> tuple:
            for idx, j in enumerate(todo):
                vals = c.values(forms[j])
                if min(vals) < 0 < max(vals):
                    cpos, cneg = c.split(forms[j], (self.D, 1), vals)
                    h = tuple(a - b for a, b in zip(self.pieces[j], self.pieces[p]))
                    rest = todo[idx + 1:]
                    return ("split", h, build(cpos, rest), build(cneg, rest))
            self.stats["refined_cells"] += 1
            s = frozenset([p] + [j for j, g in forms.items() if min(c.values(g)) >= 0])
            node = self.leaf(s, p, c)
            if node is None:  # pragma: no cover - excluded by the theorem of proofs/shallow.md §2.2
                from ..errors import LPError

                raise LPError("internal error: an order-compatible cell's lattice term is not below f")
            return node

        return build(cell, _crossing(self, cell, p))

    def finish(self, cover: list) -> tuple[tuple[tuple[int, ...], ...], list]:
        """Drop terms that contain another term (dominated) and renumber the cover."""
        used = sorted(range(len(self.terms)), key=lambda t: len(self.terms[t]))
        kept: list[int] = []
        for t in used:
            if self.level == "none" or not any(self.terms[k] <= self.terms[t] for k in kept):
                kept.append(t)
        kept.sort()
        new_index = {t: i for i, t in enumerate(kept)}
        remap = {}
        for t in range(len(self.terms)):
            if t in new_index:
                remap[t] = new_index[t]
            else:
                remap[t] = next(new_index[k] for k in kept if self.terms[k] <= self.terms[t])

        def walk(node: tuple) -> tuple:
            if node[0] == "term":
                return ("term", remap[node[1]], node[2])
            return ("split", node[1], walk(node[2]), walk(node[3]))

        terms = tuple(tuple(sorted(self.terms[t])) for t in kept)
        return terms, [walk(c) for c in cover]
