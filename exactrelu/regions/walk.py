"""Exact linear-region enumeration by a certified splitting tree.

:func:`enumerate_regions` walks the splitting tree of DESIGN.md depth-first: at a cell,
the ReLU units of the current layer whose pre-activation has one sign on the cell are
decided (each with a Farkas vector), then the cell is split on the first unit that takes
both signs (each side with a strict interior witness). The leaves are the linear regions.
Every number is exact; the whole tree is recorded so that
:func:`exactrelu.certificate.partition.partition_certificate` can emit it for the checker.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> net = mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])])
>>> part = enumerate_regions(net, box([-1], [1]))
>>> part.complete, len(part.regions)
(True, 3)
>>> [r.pattern for r in part.regions]
['11', '10', '00']
>>> [str(v) for v in part.regions[1].affine_map[0][0]]
['1']
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterator

import numpy as np

from ..domain.cells import Cell
from ..domain.polytope import Polytope
from ..errors import DomainError
from .gcpause import gc_paused
from ..model.intnet import IntNet, identity_forms
from ..model.network import Network
from ..numbers.rationals import format_multipliers

__all__ = ["Region", "Partition", "TreeNode", "CellView", "UnitSplit", "enumerate_regions", "iter_regions",
           "Progress"]


class UnitSplit:
    """What a ``prune`` hook may return instead of evidence: split this cell on ReLU unit
    ``unit`` (one of the undecided units of the cell's layer) rather than on the first one.
    If that unit turns out not to take both signs on the cell, the first unit is split.
    (Units of one layer may be decided in any order: rule ``decision-order``.)

    The choice is recorded in the path elements of the children, so that a replay of the
    walk (:meth:`_Walker.state_at`) repeats it without the hook: ``0``/``1`` are the
    ``"+"``/``"-"`` children of a split on the first unit, ``2 * (1 + unit)`` and
    ``2 * (1 + unit) + 1`` those of a split on the chosen ``unit``. Preorder is still the
    lexicographic order of paths (siblings differ in their last element only).
    """

    __slots__ = ("unit",)

    def __init__(self, unit: int) -> None:
        self.unit = unit

    def __repr__(self) -> str:
        return f"UnitSplit({self.unit})"


def _replay_hook(elem: int) -> Callable[["CellView"], Any] | None:
    """The hook that repeats the split choice recorded in path element ``elem``."""
    if elem < 2:
        return None
    choice = UnitSplit(elem // 2 - 1)
    return lambda cv: choice


@dataclass
class TreeNode:
    """One cell of the splitting tree (see proofs/certificate-format.md, "Nodes")."""

    id: int
    parent: int | None
    side: str | None
    # [[unit, '+'|'-', evidence]] as the certificate writes them: a Farkas vector
    # [[row, "p/q"], ...] or a 2-D vertex basis [r0, r1] (proofs/certificate-format.md)
    decisions: list = field(default_factory=list)
    split: dict | None = None  # {"unit", "pos", "neg", "witness_pos", "witness_neg"}
    open: bool = False
    pruned: Any = None  # evidence returned by a ``prune`` hook: the cell was not split further


@dataclass
class Region:
    """A linear region: a leaf of the splitting tree.

    Attributes
    ----------
    node : the leaf's id in the tree
    pattern : activation bits of all ReLU units (``'1'`` active)
    witness : an exact point strictly inside the region
    affine_map : ``(C, d)`` with the network equal to ``C x + d`` on the region
    """

    node: int
    pattern: str
    witness: tuple[Fraction, ...]
    affine_map: tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]
    cell: Cell = field(repr=False)
    index: int = -1
    _facets: list | None = field(default=None, repr=False)

    @property
    def constraints(self) -> tuple[list[tuple[Fraction, ...]], list[Fraction]]:
        """All rows ``A x <= b`` of the region (domain rows + split rows), exact."""
        A = [tuple(Fraction(v) for v in a) for a, _ in self.cell.rows]
        b = [Fraction(bi) for _, bi in self.cell.rows]
        return A, b

    @property
    def vertices(self) -> list[tuple[Fraction, ...]]:
        """Exact vertices of the region."""
        return [self.cell.vertex(i) for i in range(len(self.cell.vertices))]

    @property
    def facets(self) -> list[tuple[int, tuple[int, ...], int, frozenset[int]]]:
        """Facet-defining rows ``(row, a, b, vertex ids on it)`` without duplicates."""
        if self._facets is None:
            self._facets = _facets(self.cell)
        return self._facets

    def facet_representation(self) -> tuple[list[tuple[Fraction, ...]], list[Fraction]]:
        """The facet-minimal H-representation ``A x <= b`` (primitive integer rows)."""
        A = [tuple(Fraction(v) for v in a) for _, a, _, _ in self.facets]
        b = [Fraction(bi) for _, _, bi, _ in self.facets]
        return A, b

    def evaluate(self, point) -> tuple[Fraction, ...]:
        C, d = self.affine_map
        return tuple(sum(c * x for c, x in zip(row, point)) + di for row, di in zip(C, d))


def _affine_rank_int(points: list[tuple[tuple[int, ...], int]]) -> int:
    """Affine dimension of homogeneous integer points ``X / W`` (``W > 0``): the rank of the
    integer matrix with rows ``(X, W)`` minus one (python-flint's exact ``fmpz_mat.rank``)."""
    if not points:
        return -1
    import flint

    n1 = len(points[0][0]) + 1
    return flint.fmpz_mat(len(points), n1, [v for X, W in points for v in X + (W,)]).rank() - 1


def _facets(cell: Cell) -> list:
    n = cell.n
    on: dict[int, list[int]] = {}
    for vi, S in enumerate(cell.incidence):
        for r in S:
            on.setdefault(r, []).append(vi)
    seen = set()
    out = []
    for r in sorted(on):
        vids = on[r]
        if len(vids) < n:
            continue
        a, b = cell.rows[r]
        key = (a, b)
        if key in seen:
            continue
        if n == 1 or n == 2 or _affine_rank_int([cell.vertices[i] for i in vids]) == n - 1:
            if n == 2 and len({cell.vertices[i] for i in vids}) < 2:
                continue
            seen.add(key)
            out.append((r, a, b, frozenset(vids)))
    return out


@dataclass
class Partition:
    """Result of :func:`enumerate_regions`.

    ``complete`` is False when a limit stopped the run (then ``open_nodes`` lists the
    unexplored cells and the regions found so far are a subset of all regions).
    """

    network: Network
    domain: Polytope
    regions: list[Region]
    nodes: list[TreeNode]
    complete: bool
    seconds: float
    stopped_by: str | None = None
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def open_nodes(self) -> list[int]:
        return [nd.id for nd in self.nodes if nd.open]

    def region_of(self, point) -> Region:
        """The region whose closure contains ``point`` (first match)."""
        from ..numbers.rationals import to_rational_vector

        x = to_rational_vector(point)
        for r in self.regions:
            A, b = r.constraints
            if all(sum(a * xi for a, xi in zip(row, x)) <= bi for row, bi in zip(A, b)):
                return r
        raise DomainError("point is not in any found region (outside the domain, or the run was incomplete)")


@dataclass
class Progress:
    """What a progress callback receives."""

    regions: int
    open_cells: int
    nodes: int
    seconds: float


@dataclass
class CellView:
    """What a ``prune`` hook of :func:`iter_regions` sees: a cell about to be split.

    Attributes
    ----------
    node : the cell's tree node (its ``decisions`` so far are final)
    cell : the exact cell (rows ``A x <= b`` as integers, exact vertices)
    layer : the layer (1-based, as in ``Network.layers``) whose units are being decided
    forms : integer pre-activation forms of that layer, ``D * z_j = forms[j] . (x, 1)``
    D : their common positive denominator
    outs : ``((forms, D), ...)`` output forms of layers ``0 .. layer-1`` (``None`` for an
        inactive unit)
    bits : activation bits so far (``'1'`` active, ``'0'`` inactive or undecided)
    undecided : ReLU unit ids of ``layer`` not decided on this cell (the split candidates;
        every later layer is undecided too)
    witness : an exact point strictly inside the cell
    """

    node: TreeNode
    cell: Cell
    layer: int
    forms: tuple
    D: int
    outs: tuple
    bits: bytes
    undecided: tuple[int, ...]
    witness: tuple[Fraction, ...]


class _State:
    """A cell plus where the walk stands in the network.

    ``path`` is the cell's address in the splitting tree: the split sides from the root
    (0 for the ``"+"`` child, 1 for the ``"-"`` child); preorder is the lexicographic order
    of paths (a prefix first).
    """

    __slots__ = ("cell", "layer", "outs", "forms", "D", "pending", "bits", "node_parent", "side", "witness",
                 "forms_f", "path")

    def __init__(self, cell, layer, outs, forms, D, pending, bits, node_parent, side, witness, forms_f=None,
                 path=()):
        self.cell = cell
        self.layer = layer
        self.outs = outs
        self.forms = forms
        self.D = D
        self.pending = pending
        self.bits = bits
        self.node_parent = node_parent
        self.side = side
        self.witness = witness
        self.forms_f = forms_f
        self.path = path

    def copy(self) -> "_State":
        """A copy that processing will not share mutable state with (cells are immutable)."""
        return _State(self.cell, self.layer, self.outs, self.forms, self.D, list(self.pending), bytearray(self.bits),
                      self.node_parent, self.side, self.witness, self.forms_f, self.path)


class _Walker:
    """The network-side data of a walk (integer kernel, ReLU offsets) and one node step."""

    def __init__(self, net: Network, domain: Polytope, prune: Callable[["CellView"], Any] | None = None) -> None:
        if domain.dim != net.n_inputs:
            raise DomainError(f"domain has dimension {domain.dim}, the network has {net.n_inputs} inputs")
        self.net, self.domain, self.prune = net, domain, prune
        self.leaf: Callable[[Region], Any] | None = None  # a per-region hook of parallel walks
        self.kern = IntNet.of(net)
        self.n = net.n_inputs
        self.L = len(net.layers)
        self.relu_off = [net.relu_offset(k) for k in range(1, self.L + 2)]

    def root(self) -> _State:
        """The state of the root cell (the whole domain)."""
        d = self.domain
        cell = Cell.from_polytope(d.A, d.b, d.vertices)
        outs0 = ((tuple(identity_forms(self.n)), 1),)
        return _State(cell, 0, outs0, None, 1, [], bytearray(b"0" * self.net.n_relu), None, None, d.interior_point)

    def new_node(self, st: _State, nodes: list[TreeNode]) -> TreeNode:
        """Append the tree node of ``st`` to ``nodes`` (preorder id) and link it to its parent."""
        parent = st.node_parent
        node = TreeNode(len(nodes), parent.id if parent is not None else None, st.side)
        nodes.append(node)
        if parent is not None and st.side == "-":
            parent.split["neg"] = node.id
        return node

    def process(self, st: _State, node: TreeNode, stack: list[_State]) -> "Region | None":
        """Decide, split (children pushed on ``stack``, ``"+"`` on top), prune or finish."""
        return _process(st, node, self.kern, self.net, self.relu_off, self.L, self.n, stack, self.prune)

    def state_at(self, path: tuple[int, ...], cache: "dict | None" = None) -> _State:
        """Replay the walk from the root along ``path`` (deterministic: the same cells, forms
        and witnesses as the original walk) and return the state of the cell there, detached
        from its parent (``node_parent`` None, ``side`` kept).

        ``cache`` (a dict, e.g. an ``OrderedDict`` bounded by the caller) maps paths to
        unprocessed states; the replay starts from the longest cached prefix of ``path``
        and stores the cells it passes.
        """
        st = None
        start = 0
        if cache:
            for k in range(len(path), -1, -1):
                hit = cache.get(path[:k])
                if hit is not None:
                    st, start = hit.copy(), k
                    break
        if st is None:
            st = self.root()
            if cache is not None:
                cache[()] = st.copy()
        for depth in range(start, len(path)):
            stack: list[_State] = []
            # the cells on a replayed path were split, not pruned: the hook only repeats unit choices
            elem = path[depth]
            res = _process(st, TreeNode(0, None, None), self.kern, self.net, self.relu_off, self.L, self.n, stack,
                           _replay_hook(elem))
            if res is not None or len(stack) != 2 or {c.path[-1] for c in stack} != {elem, elem ^ 1}:
                raise DomainError(f"no cell at splitting-tree path {list(path[:depth + 1])} (the walk ends earlier)")
            if cache is not None:
                for child in stack:
                    cache[child.path] = child.copy()
            st = stack[0] if elem % 2 else stack[1]
        st.node_parent = None
        return st


@gc_paused(long_lived=True)
def enumerate_regions(net: Network, domain: Polytope, *, max_regions: int | None = None,
                      time_limit: float | None = None,
                      progress: Callable[[Progress], Any] | None = None,
                      progress_every: float = 0.5) -> Partition:
    """All linear regions of ``net`` over ``domain``, exactly, with the splitting tree.

    Parameters
    ----------
    net : Network
    domain : Polytope (see :mod:`exactrelu.domain.polytope`)
    max_regions, time_limit : optional limits; when one is hit the result has
        ``complete=False`` and its unexplored cells are marked open.
    progress : called with a :class:`Progress` about every ``progress_every`` seconds.

    Returns
    -------
    Partition

    Notes
    -----
    Each cell keeps its exact vertices (double description), so deciding a unit's sign is
    one pass over the vertices and a split is one double-description step; a stable
    unit's Farkas vector comes from the tight rows at the minimising vertex.
    """
    regions = []
    nodes: list[TreeNode] = []
    t0 = time.perf_counter()
    stopped = None
    info: dict = {"open": 0}
    gen = iter_regions(net, domain, nodes=nodes, info=info,
                       deadline=None if time_limit is None else t0 + time_limit)
    last = t0
    for reg in gen:
        reg.index = len(regions)
        regions.append(reg)
        now = time.perf_counter()
        if progress is not None and now - last >= progress_every:
            last = now
            progress(Progress(len(regions), info["open"], len(nodes), now - t0))
        if max_regions is not None and len(regions) >= max_regions:
            stopped = "max_regions"
        elif time_limit is not None and now - t0 > time_limit:
            stopped = "time_limit"
        if stopped is not None:
            stop_walk(gen)
            break
    complete = not any(nd.open for nd in nodes)
    if complete:
        stopped = None
    elif stopped is None:
        stopped = info.get("stopped", "time_limit")
    if progress is not None:
        progress(Progress(len(regions), 0, len(nodes), time.perf_counter() - t0))
    stats = {
        "nodes": len(nodes),
        "splits": sum(1 for nd in nodes if nd.split),
        "stable_decisions": sum(len(nd.decisions) for nd in nodes),
    }
    return Partition(net, domain, regions, nodes, complete, time.perf_counter() - t0, stopped, stats)


class _Stop(Exception):
    pass


def stop_walk(gen: Iterator[Region]) -> None:
    """Stop an :func:`iter_regions` walk early: its unexplored cells become open nodes."""
    try:
        gen.throw(_Stop())
    except StopIteration:
        pass


def iter_regions(net: Network, domain: Polytope, nodes: list[TreeNode] | None = None,
                 info: dict | None = None, deadline: float | None = None,
                 prune: Callable[[CellView], Any] | None = None) -> Iterator[Region]:
    """Generator of the regions in splitting-tree preorder (see :func:`enumerate_regions`).

    If ``nodes`` is given, the tree nodes are appended to it as they are created; ``info``
    (a dict) gets the number of open cells under ``"open"``. Closing the generator early
    with :func:`stop_walk` marks the remaining cells as open nodes.

    ``prune`` is called with a :class:`CellView` before a cell is split; a result that is
    not None is stored as the node's ``pruned`` evidence and the cell is not explored
    further (no split, no region). Callers that prune must certify that evidence
    themselves (e.g. :mod:`exactrelu.verify.property`).
    """
    walker = _Walker(net, domain, prune)
    if nodes is None:
        nodes = []
    stack: list[_State] = [walker.root()]
    stopping = False
    while stack:
        if info is not None:
            info["open"] = len(stack)
        if deadline is not None and not stopping and time.perf_counter() > deadline:
            stopping = True  # every remaining cell becomes an open node
            if info is not None:
                info["stopped"] = "time_limit"
        st = stack.pop()
        node = walker.new_node(st, nodes)
        if stopping:
            node.open = True
            continue
        result = walker.process(st, node, stack)
        if result is not None:
            try:
                yield result
            except _Stop:
                stopping = True


def _process(st: _State, node: TreeNode, kern: IntNet, net: Network, relu_off, L: int, n: int,
             stack: list, prune: Callable[[CellView], Any] | None = None) -> Region | None:
    cell = st.cell
    while True:
        if not st.pending:
            # move to the next layer, if the current one is done
            fast = None
            if st.layer >= 1 and st.forms is not None:
                layer_idx = st.layer
                srcs, _, _, is_relu = kern.layers[layer_idx - 1]
                if is_relu:
                    off = relu_off[layer_idx - 1]
                    w = len(st.forms)
                    if st.layer < L:
                        mask = np.frombuffer(st.bits, dtype=np.uint8, count=w, offset=off) == 49
                        fast = kern.masked_layer_forms(st.layer + 1, st.forms, st.D, mask)
                    if fast is not None:
                        out = fast[0]
                    else:
                        out = tuple(f if st.bits[off + j] == 49 else None for j, f in enumerate(st.forms))
                else:
                    out = tuple(st.forms)
                st.outs = st.outs + ((out, st.D),)
                st.forms = None
            if st.layer == L:
                return _make_region(st, node, net, n)
            st.layer += 1
            forms, D = fast[1] if fast is not None else kern.layer_forms(st.layer, st.outs)
            st.forms, st.D = forms, D
            if kern.layers[st.layer - 1][3]:
                st.pending = list(range(len(forms)))
                st.forms_f = _float_forms(forms, kern.float_rows(forms))
            else:
                st.pending = []
            continue
        # decide the pending units of this layer: floats propose, exact arithmetic decides
        off = relu_off[st.layer - 1]
        pend = st.pending
        forms = st.forms
        Ff = st.forms_f
        Fv = (Ff if len(pend) == len(Ff) else Ff[pend]) @ cell.float_vertices().T
        if n == 2:
            # one pass in python classifies the units (see _stable_decisions_2d)
            amin_a = Fv.argmin(axis=1)
            amax_a = Fv.argmax(axis=1)
            ar = _arange(len(pend))
            both, failed = _stable_decisions_2d(cell, forms, pend, Fv[ar, amin_a].tolist(), Fv[ar, amax_a].tolist(),
                                                amin_a.tolist(), amax_a.tolist(), st.D, off, node.decisions,
                                                st.bits)
            failed = [k for k in failed if not _decide_exactly(cell, forms[pend[k]], off + pend[k], node, st)]
            keep = sorted(both + failed) if failed else both
        else:
            mn = Fv.min(axis=1)
            mx = Fv.max(axis=1)
            # units whose float values take both signs are very likely unstable: they stay
            # candidates (confirmed exactly before a split); only the others need exact work here
            both_a = (mn < 0) & (mx > 0)
            work = (~both_a).nonzero()[0].tolist()
            mins, maxs = mn.tolist(), mx.tolist()
            amin = Fv.argmin(axis=1).tolist()
            amax = Fv.argmax(axis=1).tolist()
            failed = []
            proofs = _stable_proofs(cell, forms, pend, work, mins, maxs, amin, amax, st.D)
            decisions = node.decisions
            bits = st.bits
            for k in work:
                j = pend[k]
                u = off + j
                y = proofs.get(k)
                if y is not None:
                    if mins[k] > 0:
                        decisions.append([u, "+", format_multipliers(y)])
                        bits[u] = 49
                    else:
                        decisions.append([u, "-", format_multipliers(y)])
                        bits[u] = 48
                    continue
                if not _decide_exactly(cell, forms[j], u, node, st):
                    failed.append(k)
            both = both_a.nonzero()[0].tolist()
            keep = sorted(both + failed) if failed else both
        candidates = [pend[k] for k in keep]
        split_on = None
        while candidates:
            j = candidates.pop(0)
            vals = cell.values(forms[j])
            if min(vals) < 0 < max(vals):
                split_on = (j, vals)
                break
            _decide_exactly(cell, forms[j], off + j, node, st, vals)
        if split_on is None:
            st.pending = []
            continue
        j, vals = split_on
        code = 0  # the split's choice, recorded in the children's path elements
        if prune is not None:
            undecided = (off + j,) + tuple(off + c for c in candidates)
            evidence = prune(CellView(node, cell, st.layer, forms, st.D, st.outs, bytes(st.bits), undecided,
                                      st.witness))
            if isinstance(evidence, UnitSplit):
                j2 = evidence.unit - off
                if j2 in candidates:
                    vals2 = cell.values(forms[j2])
                    if min(vals2) < 0 < max(vals2):
                        candidates = [j] + [c for c in candidates if c != j2]
                        j, vals = j2, vals2
                        code = 1 + evidence.unit
            elif evidence is not None:
                node.pruned = evidence
                return None
        u = off + j
        form = forms[j]
        # the integer form is D times the exact pre-activation, so the split row is D times the checker's
        cpos, cneg = cell.split(form, (st.D, 1), vals)
        wpos, wneg = _split_witnesses(st.witness, form, cpos, cneg)
        node.split = {"unit": u, "pos": node.id + 1, "neg": None, "witness_pos": wpos, "witness_neg": wneg,
                      "form": tuple(form)}
        rest = candidates
        bpos = bytearray(st.bits)
        bpos[u] = 49
        bneg = bytearray(st.bits)
        bneg[u] = 48
        stack.append(_State(cneg, st.layer, st.outs, forms, st.D, rest, bneg, node, "-", wneg, st.forms_f,
                            st.path + (2 * code + 1,)))
        stack.append(_State(cpos, st.layer, st.outs, forms, st.D, list(rest), bpos, node, "+", wpos, st.forms_f,
                            st.path + (2 * code,)))
        return None


def _stable_proofs(cell: Cell, forms, pend: list[int], work: list[int], mins: list[float], maxs: list[float],
                   amin: list[int], amax: list[int], D: int) -> dict[int, Any]:
    """Exact multipliers for the units ``pend[k]`` (``k`` in ``work``) that the floats
    propose as stable (``mins[k] > 0`` or ``maxs[k] < 0``), tried at the proposed
    minimising vertex of ``form`` or ``-form``, one batch per vertex.

    Returns ``{k: multipliers or None}`` (None: no proof there, decide another way); floats
    only choose the vertex, :meth:`Cell.sign_proofs_at` decides exactly.
    """
    by_vertex: dict[int, tuple[list[int], list]] = {}
    for k in work:
        if mins[k] > 0:
            vi, form = amin[k], forms[pend[k]]
        elif maxs[k] < 0:
            vi, form = amax[k], tuple([-v for v in forms[pend[k]]])
        else:
            continue
        batch = by_vertex.get(vi)
        if batch is None:
            batch = by_vertex[vi] = ([], [])
        batch[0].append(k)
        batch[1].append(form)
    proofs: dict[int, Any] = {}
    for vi, (ks, fs) in by_vertex.items():
        proofs.update(zip(ks, cell.sign_proofs_at(fs, vi, D)))
    return proofs


def _stable_decisions_2d(cell: Cell, forms, pend: list[int], mins: list[float], maxs: list[float],
                         amin: list[int], amax: list[int], D: int, off: int, decisions: list,
                         bits: bytearray) -> tuple[list[int], list[int]]:
    """2-D: sort the pending units ``pend[k]`` by their float values at the cell's vertices
    (``mins``/``maxs``, attained at vertices ``amin``/``amax``) and decide the ones the
    floats propose as stable, each at its proposed minimising vertex (of ``form`` or
    ``-form``), appending ``[unit, sign, evidence]`` to ``decisions`` and setting ``bits``,
    in ``k`` order.

    At a vertex with two tight rows the evidence is the vertex basis and the exact test is
    :meth:`Cell._sign_proofs_2d`'s, written out for both signs; at any other vertex it is
    :meth:`Cell.sign_proofs_at`. Returns ``(both, failed)``: the ``k`` whose float values
    take both signs (split candidates, confirmed exactly before a split) and those with no
    proof at the proposed vertex (decide another way), each in increasing order.
    """
    failed: list[int] = []
    both: list[int] = []
    bds = [cell.basis_data(i) for i in range(len(cell.vertices))]
    append = decisions.append
    for k, j in enumerate(pend):
        if mins[k] > 0:
            vi, pos = amin[k], True
        elif maxs[k] < 0:
            vi, pos = amax[k], False
        else:
            (both if mins[k] < 0 < maxs[k] else failed).append(k)
            continue
        g0, g1, h = forms[j]
        bd = bds[vi]
        if bd is None:  # a degenerate vertex: the general Farkas vector
            f = (g0, g1, h) if pos else (-g0, -g1, -h)
            y = cell.sign_proofs_at([f], vi, D)[0]
        else:
            x0, x1, W, a, b, c, d, y = bd
            v = g0 * x0 + g1 * x1 + h * W
            y0 = g1 * c - g0 * d
            y1 = g0 * b - g1 * a
            if not (v >= 0 and y0 >= 0 and y1 >= 0 if pos else v <= 0 and y0 <= 0 and y1 <= 0):
                y = None
        if y is None:
            failed.append(k)
        elif pos:
            append([off + j, "+", y if bd is not None else format_multipliers(y)])
            bits[off + j] = 49
        else:
            append([off + j, "-", y if bd is not None else format_multipliers(y)])
            bits[off + j] = 48
    return both, failed


_ARANGES: dict[int, np.ndarray] = {}


def _arange(n: int) -> np.ndarray:
    """``np.arange(n)``, cached (read only)."""
    a = _ARANGES.get(n)
    if a is None:
        a = _ARANGES[n] = np.arange(n)
        a.flags.writeable = False
    return a


def _split_witnesses(w: tuple, form, cpos: Cell, cneg: Cell) -> tuple[tuple, tuple]:
    """Witnesses of the two children: the cell's own witness on its side (the checker then
    only tests the sign), otherwise a simple strictly interior point of the child."""
    zw, Q = form[-1], 1  # the form's value at w is zw / Q (Q > 0: the product of w's denominators)
    for gi, v in zip(form, w):
        q = v.denominator
        zw = zw * q + gi * v.numerator * Q
        Q *= q
    return (w if zw > 0 else cpos.simple_interior()), (w if zw < 0 else cneg.simple_interior())


def _float_forms(forms, F=None):
    """Float proposals of the forms, each row scaled to max |entry| = 1 (proposals only);
    ``F``: the forms as float64 already (:meth:`IntNet.float_rows`, a fresh array, changed
    in place), if at hand."""
    if F is not None:  # the doubles of int64 entries: finite
        return _scaled_rows(F)
    try:
        F = np.array(forms, dtype=float)
        if np.isfinite(F).all():
            return _scaled_rows(F)
    except OverflowError:
        pass
    rows = []
    for f in forms:  # huge integers: scale exactly before converting
        m = max(abs(v) for v in f) or 1
        rows.append([v / m for v in f])
    return np.array(rows, dtype=float)


def _scaled_rows(F: np.ndarray) -> np.ndarray:
    """``F`` (finite, changed in place) with each row divided by its max |entry| (if not 0)."""
    m = np.abs(F).max(axis=1, keepdims=True)
    if not m.all():
        m[m == 0] = 1.0
    F /= m
    return F


def _decide_exactly(cell: Cell, form, u: int, node: TreeNode, st: _State, vals=None) -> bool:
    """Decide unit u exactly if it is stable on the cell; False if it takes both signs."""
    if vals is None:
        vals = cell.values(form)
    lo, hi = min(vals), max(vals)
    if lo >= 0 and hi > 0:
        node.decisions.append([u, "+", format_multipliers(cell.exact_multipliers(cell.farkas_nonneg(form, vals), st.D))])
        st.bits[u] = 49
        return True
    if hi <= 0:
        neg = tuple(-v for v in form)
        node.decisions.append([u, "-", format_multipliers(cell.exact_multipliers(cell.farkas_nonneg(neg, [-v for v in vals]),
                                                                                  st.D))])
        st.bits[u] = 48
        return True
    return False


def _make_region(st: _State, node: TreeNode, net: Network, n: int) -> Region:
    forms, D = st.outs[-1]
    C = []
    d = []
    for f in forms:
        if f is None:
            C.append(tuple(Fraction(0) for _ in range(n)))
            d.append(Fraction(0))
        else:
            C.append(tuple(Fraction(v, D) for v in f[:-1]))
            d.append(Fraction(f[-1], D))
    return Region(node.id, st.bits.decode(), st.witness, (tuple(C), tuple(d)), st.cell)
