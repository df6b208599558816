"""The splitting tree's data: nodes, regions, the partition, and what hooks see.

:class:`TreeNode` is one cell of the splitting tree as the certificate writes it,
:class:`Region` a leaf (a linear region), :class:`Partition` the result of
:func:`~exactrelu.regions.walk.enumerate_regions`; :class:`CellView` is what a ``prune``
hook of :func:`~exactrelu.regions.walk.iter_regions` sees and :class:`UnitSplit` what it may
return; :class:`Progress` what a progress callback receives. These names are documented
under :mod:`exactrelu.regions.walk`, which re-exports them.

A point is a :data:`Point`, a tuple of exact :class:`~fractions.Fraction` coordinates.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> part = enumerate_regions(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1]))
>>> [(r.pattern, [str(v) for v in r.witness]) for r in part.regions]
[('1', ['1/2']), ('0', ['-1/2'])]
>>> part.nodes[0].split["unit"], part.open_nodes
(0, [])
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from fractions import Fraction
from operator import getitem
from typing import Any, Callable

from ..domain.cells import Cell
from ..domain.polytope import Point, Polytope
from ..errors import DomainError
from ..model.network import Network

__all__ = ["Point", "UnitSplit", "Deferred", "deferred_field", "PackedLists", "TreeNode", "Region", "Partition", "Progress", "CellView"]


class UnitSplit:
    """What a ``prune`` hook may return instead of evidence: split this cell on ReLU unit
    ``unit`` (one of the undecided units of the cell's layer) rather than on the first one.
    If that unit turns out not to take both signs on the cell, the first unit is split.
    (Units of one layer may be decided in any order: rule ``decision-order``.)

    The choice is recorded in the path elements of the children, so that a replay of the
    walk (:meth:`Walker.state_at <exactrelu.regions.walker.Walker.state_at>`) repeats it without
    the hook: ``0``/``1`` are the ``"+"``/``"-"`` children of a split on the first unit,
    ``2 * (1 + unit)`` and ``2 * (1 + unit) + 1`` those of a split on the chosen ``unit``. Preorder is still the
    lexicographic order of paths (siblings differ in their last element only).
    """

    __slots__ = ("unit",)

    def __init__(self, unit: int) -> None:
        self.unit = unit

    def __repr__(self) -> str:
        return f"UnitSplit({self.unit})"



class PackedLists:
    """Per-node values of one fragment of the walk (stable-unit decisions, prune evidence) as
    one :mod:`marshal` blob, decoded on first use.

    A worker of the parallel walk (:mod:`exactrelu.scale.worker`) packs its nodes before
    they are pickled back: one string instead of millions of small lists is cheap to send
    and to receive (2-D 50x6 net: 1.5 million decisions, 20.6 MB pickled in 1.1 s and
    unpickled in 0.74 s; as one blob 0.33 s and nothing until a certificate is written).
    The values are builtin lists, ints, strings and dicts (marshal's types); ``marshal``
    only ever reads blobs this program made in its own worker processes.

    >>> packed = PackedLists([[[3, "+", [0, 1]]], []])
    >>> packed[0], packed[1]
    ([[3, '+', [0, 1]]], [])
    """

    __slots__ = ("_blob", "_items")

    def __init__(self, items: list) -> None:
        self._blob = marshal.dumps(items)
        self._items: list | None = None

    def __getitem__(self, i: int) -> Any:
        if self._items is None:
            self._items = marshal.loads(self._blob)
            self._blob = b""
        return self._items[i]

    def __getstate__(self) -> bytes:
        return self._blob if self._items is None else marshal.dumps(self._items)

    def __setstate__(self, blob: bytes) -> None:
        self._blob, self._items = blob, None


class Deferred:
    """A value received packed: ``make(*args)`` gives it, on first read through a
    :func:`deferred_field` (which then stores the value in its place).

    >>> Deferred(sum, [1, 2]).value()
    3
    """

    __slots__ = ("make", "args")

    def __init__(self, make: Callable[..., Any], *args: Any) -> None:
        self.make, self.args = make, args

    def value(self) -> Any:
        return self.make(*self.args)

    def __reduce__(self) -> tuple:
        return Deferred, (self.make, *self.args)


def deferred_field(slot: str) -> property:
    """A property over the attribute ``slot`` that turns a :class:`Deferred` into its value
    the first time it is read."""

    def get(self: Any) -> Any:
        v = getattr(self, slot)
        if type(v) is Deferred:
            v = v.value()
            setattr(self, slot, v)
        return v

    def put(self: Any, value: Any) -> None:
        setattr(self, slot, value)

    return property(get, put)


class TreeNode:
    """One cell of the splitting tree (see proofs/certificate-format.md, "Nodes").

    ``decisions``: ``[[unit, '+'|'-', evidence]]`` as the certificate writes them: a Farkas
    vector ``[[row, "p/q"], ...]`` or a 2-D vertex basis ``[r0, r1]``; ``split``:
    ``{"unit", "pos", "neg", "witness_pos", "witness_neg"}``; ``pruned``: evidence returned
    by a ``prune`` hook (the cell was not split further). A node received from a worker
    holds its decisions and prune evidence packed (:class:`PackedLists`) until they are read.

    >>> nd = TreeNode(0, None, None)
    >>> nd.decisions.append([1, "-", [0, 2]])
    >>> TreeNode.pack([nd])
    >>> nd.decisions, nd == TreeNode(0, None, None, [[1, "-", [0, 2]]])
    ([[1, '-', [0, 2]]], True)
    """

    __slots__ = ("id", "parent", "side", "_decisions", "split", "open", "_pruned")

    def __init__(self, id: int, parent: int | None, side: str | None, decisions: list | None = None,
                 split: dict | None = None, open: bool = False, pruned: Any = None) -> None:
        self.id, self.parent, self.side = id, parent, side
        self._decisions: Any = [] if decisions is None else decisions
        self.split, self.open, self._pruned = split, open, pruned

    decisions = deferred_field("_decisions")
    pruned = deferred_field("_pruned")

    @staticmethod
    def pack(nodes: "list[TreeNode]") -> None:
        """Pack the decisions and prune evidence of ``nodes`` (one blob each, see
        :class:`PackedLists`); left as they are if some value is not of marshal's types."""
        try:
            dec = PackedLists([nd.decisions for nd in nodes])
            with_ev = [nd for nd in nodes if nd.pruned is not None]
            ev = PackedLists([nd.pruned for nd in with_ev]) if with_ev else None
        except ValueError:
            return
        for i, nd in enumerate(nodes):
            nd._decisions = Deferred(getitem, dec, i)
        for i, nd in enumerate(with_ev):
            nd._pruned = Deferred(getitem, ev, i)

    def __reduce__(self) -> tuple:
        return TreeNode, (self.id, self.parent, self.side, self._decisions, self.split, self.open, self._pruned)

    def _key(self) -> tuple:
        return self.id, self.parent, self.side, self.decisions, self.split, self.open, self.pruned

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TreeNode) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"TreeNode(id={self.id}, parent={self.parent}, side={self.side!r}, decisions={self.decisions!r}, "
                f"split={self.split!r}, open={self.open}, pruned={self.pruned!r})")


@dataclass
class Region:
    """A linear region: a leaf of the splitting tree.

    Attributes
    ----------
    node : the leaf's id in the tree
    pattern : activation bits of all ReLU units (``'1'`` active)
    witness : an exact point strictly inside the region
    affine_map : ``(C, d)`` with the network equal to ``C x + d`` on the region

    Pickled (a worker of the parallel walk sends it back) with its witness and affine map
    as integers, which become Fractions when first read.
    """

    node: int
    pattern: str
    witness: Point
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
    def vertices(self) -> list[Point]:
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


def _packed_fractions(values: Any) -> tuple:
    """A nest of tuples of Fractions as ``(marshal blob of numerators and denominators, shape)``."""
    if values and isinstance(values[0], (tuple, list)):
        parts = [_packed_fractions(v) for v in values]
        return ("nest", tuple(parts))
    return ("flat", marshal.dumps(tuple(x for f in values for x in (f.numerator, f.denominator))))


def _unpacked_fractions(packed: tuple) -> tuple:
    if packed[0] == "nest":
        return tuple(_unpacked_fractions(p) for p in packed[1])
    ints = marshal.loads(packed[1])
    return tuple(Fraction(ints[i], ints[i + 1]) for i in range(0, len(ints), 2))


def _region(node: int, pattern: str, witness: Any, affine: Any, cell: Cell, index: int) -> "Region":
    r = Region.__new__(Region)
    r.__dict__.update(node=node, pattern=pattern, _witness=witness, _affine_map=affine, cell=cell, index=index,
                      _facets=None)
    return r


def _reduce_region(self: "Region") -> tuple:
    w, m = self.witness, self.affine_map
    try:
        w, m = Deferred(_unpacked_fractions, _packed_fractions(w)), Deferred(_unpacked_fractions, _packed_fractions(m))
    except (AttributeError, TypeError, ValueError):  # not Fractions (a caller's own values): as they are
        pass
    return _region, (self.node, self.pattern, w, m, self.cell, self.index)


Region.witness = deferred_field("_witness")  # type: ignore[assignment]
Region.affine_map = deferred_field("_affine_map")  # type: ignore[assignment]
Region.__reduce__ = _reduce_region  # type: ignore[assignment]


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
    witness: Point
