"""One step of the splitting-tree walk: :class:`Walker` and the state it works on.

:class:`Walker` holds the network-side data of a walk (the integer kernel
:class:`~exactrelu.model.intnet.IntNet`, the ReLU offsets) and processes one cell
(:class:`WalkState`) at a time: it decides the units of the current layer whose
pre-activation has one sign on the cell (floats propose, exact arithmetic decides, each
decision with evidence), and splits the cell on the first unit that takes both signs, or
finishes a region at the last layer. :func:`~exactrelu.regions.walk.iter_regions` drives
it depth-first; the parallel walk (:mod:`exactrelu.scale`) drives it from replayed cells
(:meth:`Walker.state_at`).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.tree import TreeNode
>>> w = Walker(mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])]), box([-1], [1]))
>>> stack, nodes = [w.root()], []
>>> while stack:
...     st = stack.pop()
...     region = w.process(st, w.new_node(st, nodes), stack)
...     if region is not None:
...         print(region.pattern, [str(v) for v in region.witness])
11 ['3/4']
10 ['1/4']
00 ['-1/2']
>>> w.state_at((0, 1)).path
(0, 1)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..domain.cells import Cell
from ..domain.polytope import Point, Polytope
from ..errors import DomainError
from ..model.intnet import IntNet, identity_forms
from ..model.network import Network
from ..numbers.rationals import format_multipliers
from .activation import ACTIVE, INACTIVE, inactive_bits, pattern_of
from .tree import CellView, Region, TreeNode, UnitSplit

__all__ = ["WalkState", "Walker"]


def _replay_hook(elem: int) -> Callable[[CellView], Any] | None:
    """The hook that repeats the split choice recorded in path element ``elem``."""
    if elem < 2:
        return None
    choice = UnitSplit(elem // 2 - 1)
    return lambda cv: choice


class WalkState:
    """A cell plus where the walk stands in the network.

    Attributes
    ----------
    cell : the exact cell (:class:`~exactrelu.domain.cells.Cell`, immutable)
    layer : the layer (1-based) whose units are being decided (0 at the root)
    outs : ``((forms, D), ...)`` integer output forms of the layers done so far
    forms, D : integer pre-activation forms of ``layer`` and their common denominator
    pending : indices (in ``layer``) of the units still to decide
    bits : the activation state (:mod:`exactrelu.regions.activation`), changed in place
    node_parent, side : the parent's :class:`~exactrelu.regions.tree.TreeNode` and this
        cell's side of its split (``"+"``/``"-"``), None at the root
    witness : an exact point strictly inside the cell
    forms_f : float proposals of ``forms`` (rows scaled to max 1)
    path : the cell's address in the splitting tree: the split sides from the root (0 for
        the ``"+"`` child, 1 for the ``"-"`` child, see :class:`~exactrelu.regions.tree.UnitSplit`
        for chosen units); preorder is the lexicographic order of paths (a prefix first).

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> st = Walker(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1])).root()
    >>> st.layer, bytes(st.bits), st.path, st.copy().bits is st.bits
    (0, b'0', (), False)
    """

    __slots__ = ("cell", "layer", "outs", "forms", "D", "pending", "bits", "node_parent", "side", "witness",
                 "forms_f", "path")

    def __init__(self, cell: Cell, layer: int, outs: tuple, forms, D: int, pending: list[int], bits: bytearray,
                 node_parent: TreeNode | None, side: str | None, witness: Point, forms_f=None,
                 path: tuple[int, ...] = ()) -> None:
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

    def copy(self) -> "WalkState":
        """A copy that processing will not share mutable state with (cells are immutable)."""
        return WalkState(self.cell, self.layer, self.outs, self.forms, self.D, list(self.pending),
                         bytearray(self.bits), self.node_parent, self.side, self.witness, self.forms_f, self.path)


class Walker:
    """The network-side data of a walk (integer kernel, ReLU offsets) and one node step.

    Parameters
    ----------
    net : the network
    domain : the input domain (its dimension must be ``net.n_inputs``)
    prune : an optional hook called with a :class:`~exactrelu.regions.tree.CellView`
        before a cell is split (see :func:`~exactrelu.regions.walk.iter_regions`)

    Attributes
    ----------
    leaf : an optional per-region hook of parallel walks (set by :mod:`exactrelu.scale`)

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> w = Walker(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1]))
    >>> st = w.root(); stack = []
    >>> w.process(st, w.new_node(st, []), stack) is None, [c.side for c in stack]
    (True, ['-', '+'])
    """

    def __init__(self, net: Network, domain: Polytope, prune: Callable[[CellView], Any] | None = None) -> None:
        if domain.dim != net.n_inputs:
            raise DomainError(f"domain has dimension {domain.dim}, the network has {net.n_inputs} inputs")
        self.net, self.domain, self.prune = net, domain, prune
        self.leaf: Callable[[Region], Any] | None = None  # a per-region hook of parallel walks
        self.kern = IntNet.of(net)
        self.n = net.n_inputs
        self.L = len(net.layers)
        self.relu_off = [net.relu_offset(k) for k in range(1, self.L + 2)]

    def root(self) -> WalkState:
        """The state of the root cell (the whole domain)."""
        d = self.domain
        cell = Cell.from_polytope(d.A, d.b, d.vertices)
        outs0 = ((tuple(identity_forms(self.n)), 1),)
        return WalkState(cell, 0, outs0, None, 1, [], inactive_bits(self.net.n_relu), None, None, d.interior_point)

    def new_node(self, st: WalkState, nodes: list[TreeNode]) -> TreeNode:
        """Append the tree node of ``st`` to ``nodes`` (preorder id) and link it to its parent."""
        parent = st.node_parent
        node = TreeNode(len(nodes), parent.id if parent is not None else None, st.side)
        nodes.append(node)
        if parent is not None and st.side == "-":
            parent.split["neg"] = node.id
        return node

    def process(self, st: WalkState, node: TreeNode, stack: list[WalkState]) -> Region | None:
        """Decide, split (children pushed on ``stack``, ``"+"`` on top), prune or finish.

        Returns the region if ``st`` is a leaf, else None (split, or pruned: then
        ``node.pruned`` holds the hook's evidence).
        """
        return self._step(st, node, stack, self.prune)

    def state_at(self, path: tuple[int, ...], cache: "dict | None" = None) -> WalkState:
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
            stack: list[WalkState] = []
            # the cells on a replayed path were split, not pruned: the hook only repeats unit choices
            elem = path[depth]
            res = self._step(st, TreeNode(0, None, None), stack, _replay_hook(elem))
            if res is not None or len(stack) != 2 or {c.path[-1] for c in stack} != {elem, elem ^ 1}:
                raise DomainError(f"no cell at splitting-tree path {list(path[:depth + 1])} (the walk ends earlier)")
            if cache is not None:
                for child in stack:
                    cache[child.path] = child.copy()
            st = stack[0] if elem % 2 else stack[1]
        st.node_parent = None
        return st

    def _step(self, st: WalkState, node: TreeNode, stack: list[WalkState],
              prune: Callable[[CellView], Any] | None) -> Region | None:
        """:meth:`process` with the hook ``prune`` (:meth:`state_at` passes a replay hook)."""
        while True:
            if not st.pending:
                if self._next_layer(st):
                    return _make_region(st, node, self.n)
                continue
            off = self.relu_off[st.layer - 1]
            candidates = self._decide_pending(st, node, off)
            split_on = _first_unstable(st, node, candidates, off)
            if split_on is None:
                st.pending = []
                continue
            j, vals = split_on
            code = 0  # the split's choice, recorded in the children's path elements
            if prune is not None:
                undecided = (off + j,) + tuple(off + c for c in candidates)
                evidence = prune(CellView(node, st.cell, st.layer, st.forms, st.D, st.outs, bytes(st.bits), undecided,
                                          st.witness))
                if isinstance(evidence, UnitSplit):
                    j2 = evidence.unit - off
                    if j2 in candidates:
                        vals2 = st.cell.values(st.forms[j2])
                        if min(vals2) < 0 < max(vals2):
                            candidates = [j] + [c for c in candidates if c != j2]
                            j, vals = j2, vals2
                            code = 1 + evidence.unit
                elif evidence is not None:
                    node.pruned = evidence
                    return None
            _split(st, node, stack, off + j, st.forms[j], vals, candidates, code)
            return None

    def _next_layer(self, st: WalkState) -> bool:
        """Close the current layer of ``st`` (its output forms) and open the next one (its
        pre-activation forms and pending units); True if the last layer is done."""
        kern = self.kern
        fast = None
        if st.layer >= 1 and st.forms is not None:
            if kern.layers[st.layer - 1][3]:  # a ReLU layer: inactive units output 0
                off = self.relu_off[st.layer - 1]
                if st.layer < self.L:
                    mask = np.frombuffer(st.bits, dtype=np.uint8, count=len(st.forms), offset=off) == ACTIVE
                    fast = kern.masked_layer_forms(st.layer + 1, st.forms, st.D, mask)
                if fast is not None:
                    out = fast[0]
                else:
                    out = tuple(f if st.bits[off + j] == ACTIVE else None for j, f in enumerate(st.forms))
            else:
                out = tuple(st.forms)
            st.outs = st.outs + ((out, st.D),)
            st.forms = None
        if st.layer == self.L:
            return True
        st.layer += 1
        forms, D = fast[1] if fast is not None else kern.layer_forms(st.layer, st.outs)
        st.forms, st.D = forms, D
        if kern.layers[st.layer - 1][3]:
            st.pending = list(range(len(forms)))
            st.forms_f = _float_forms(forms, kern.float_rows(forms))
        else:
            st.pending = []
        return False

    def _decide_pending(self, st: WalkState, node: TreeNode, off: int) -> list[int]:
        """Decide the pending units of the layer that are stable on the cell (floats propose,
        exact arithmetic decides, evidence into ``node.decisions``); return the others (the
        split candidates, in order)."""
        cell, pend, forms = st.cell, st.pending, st.forms
        Ff = st.forms_f
        Fv = (Ff if len(pend) == len(Ff) else Ff[pend]) @ cell.float_vertices().T
        if self.n == 2:
            # one pass in python classifies the units (see _stable_decisions_2d)
            amin_a = Fv.argmin(axis=1)
            amax_a = Fv.argmax(axis=1)
            ar = _arange(len(pend))
            both, failed = _stable_decisions_2d(cell, forms, pend, Fv[ar, amin_a].tolist(), Fv[ar, amax_a].tolist(),
                                                amin_a.tolist(), amax_a.tolist(), st.D, off, node.decisions,
                                                st.bits)
            failed = [k for k in failed if not _decide_exactly(cell, forms[pend[k]], off + pend[k], node, st)]
        else:
            both, failed = _stable_decisions_nd(st, node, off, Fv)
        keep = sorted(both + failed) if failed else both
        return [pend[k] for k in keep]


def _stable_decisions_nd(st: WalkState, node: TreeNode, off: int, Fv: np.ndarray) -> tuple[list[int], list[int]]:
    """n-D (n != 2): decide the pending units ``st.pending[k]`` that the float values ``Fv``
    (units x vertices) propose as stable; returns ``(both, failed)`` as
    :func:`_stable_decisions_2d` does."""
    cell, pend, forms = st.cell, st.pending, st.forms
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
                bits[u] = ACTIVE
            else:
                decisions.append([u, "-", format_multipliers(y)])
                bits[u] = INACTIVE
            continue
        if not _decide_exactly(cell, forms[j], u, node, st):
            failed.append(k)
    return both_a.nonzero()[0].tolist(), failed


def _first_unstable(st: WalkState, node: TreeNode, candidates: list[int], off: int) -> tuple[int, list] | None:
    """Pop split candidates until one takes both signs on the cell (exactly): return it
    with its values at the vertices; the stable ones popped on the way are decided."""
    cell, forms = st.cell, st.forms
    while candidates:
        j = candidates.pop(0)
        vals = cell.values(forms[j])
        if min(vals) < 0 < max(vals):
            return j, vals
        _decide_exactly(cell, forms[j], off + j, node, st, vals)
    return None


def _split(st: WalkState, node: TreeNode, stack: list[WalkState], u: int, form, vals, rest: list[int],
           code: int) -> None:
    """Split the cell of ``st`` on unit ``u`` (pre-activation ``form / D``, ``vals`` at the
    vertices): record the split in ``node``, push the ``"-"`` then the ``"+"`` child."""
    # the integer form is D times the exact pre-activation, so the split row is D times the checker's
    cpos, cneg = st.cell.split(form, (st.D, 1), vals)
    wpos, wneg = _split_witnesses(st.witness, form, cpos, cneg)
    node.split = {"unit": u, "pos": node.id + 1, "neg": None, "witness_pos": wpos, "witness_neg": wneg,
                  "form": tuple(form)}
    bpos = bytearray(st.bits)
    bpos[u] = ACTIVE
    bneg = bytearray(st.bits)
    bneg[u] = INACTIVE
    stack.append(WalkState(cneg, st.layer, st.outs, st.forms, st.D, rest, bneg, node, "-", wneg, st.forms_f,
                           st.path + (2 * code + 1,)))
    stack.append(WalkState(cpos, st.layer, st.outs, st.forms, st.D, list(rest), bpos, node, "+", wpos, st.forms_f,
                           st.path + (2 * code,)))


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
            bits[off + j] = ACTIVE
        else:
            append([off + j, "-", y if bd is not None else format_multipliers(y)])
            bits[off + j] = INACTIVE
    return both, failed


_ARANGES: dict[int, np.ndarray] = {}


def _arange(n: int) -> np.ndarray:
    """``np.arange(n)``, cached (read only)."""
    a = _ARANGES.get(n)
    if a is None:
        a = _ARANGES[n] = np.arange(n)
        a.flags.writeable = False
    return a


def _split_witnesses(w: Point, form, cpos: Cell, cneg: Cell) -> tuple[tuple, tuple]:
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


def _decide_exactly(cell: Cell, form, u: int, node: TreeNode, st: WalkState, vals=None) -> bool:
    """Decide unit u exactly if it is stable on the cell; False if it takes both signs."""
    if vals is None:
        vals = cell.values(form)
    lo, hi = min(vals), max(vals)
    if lo >= 0 and hi > 0:
        node.decisions.append([u, "+", format_multipliers(cell.exact_multipliers(cell.farkas_nonneg(form, vals), st.D))])
        st.bits[u] = ACTIVE
        return True
    if hi <= 0:
        neg = tuple(-v for v in form)
        node.decisions.append([u, "-", format_multipliers(cell.exact_multipliers(cell.farkas_nonneg(neg, [-v for v in vals]),
                                                                                  st.D))])
        st.bits[u] = INACTIVE
        return True
    return False


def _make_region(st: WalkState, node: TreeNode, n: int) -> Region:
    """The region of a finished leaf: its pattern, witness and exact affine map."""
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
    return Region(node.id, pattern_of(st.bits), st.witness, (tuple(C), tuple(d)), st.cell)

