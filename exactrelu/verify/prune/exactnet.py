"""Integer copy of a network and the exact form helpers of the pruner's confirmation.

A *form* ``(v, d)`` is a tuple ``v`` of ``n + 1`` ints and a denominator ``d > 0``,
meaning the affine function ``v / d . (x, 1)`` of the network input ``x``. The pruner's
exact side (:mod:`exactrelu.verify.prune.confirm`) works on forms with Python ints and
python-flint integer matrices only; this module gives it each layer as one integer
matrix over the layer's concatenated sources.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> net = IntNetwork(mlp(1, [([["1/2"], [-1]], [0, "1/3"]), ([[1, 1]], [0])]))
>>> lay = net.layers[0]
>>> lay.rows, lay.bias, lay.E
([[3], [-6]], [0, 2], 6)
>>> net.relu_layers, net.relu_offset, net.n_relu
([1], [0, 2], 2)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ...model.network import Network

__all__ = ["IntLayer", "IntNetwork", "reduce_form", "common_forms", "cell_rows", "WBLOCKS"]

WBLOCKS = 4096  # fmpz weight blocks kept per network copy (see IntNetwork.weights_block)


class IntLayer:
    """One layer as integers: ``z_j = (rows[j] . h + bias[j]) / E``, ``h`` the concatenated
    outputs of ``sources``; ``pos`` and ``neg`` are ``rows`` with their negative (resp.
    positive) entries set to 0."""

    __slots__ = ("activation", "sources", "width", "rows", "bias", "E", "pos", "neg")

    def __init__(self, layer: Any) -> None:
        self.activation = layer.activation.value
        self.sources = [s for s, _ in layer.inputs]
        self.width = len(layer.bias)
        vals = [v for _, w in layer.inputs for row in w for v in row] + list(layer.bias)
        E = math.lcm(*[v.denominator for v in vals])
        self.E = E
        self.rows = [[int(v * E) for _, w in layer.inputs for v in w[j]] for j in range(self.width)]
        self.bias = [int(v * E) for v in layer.bias]
        self.pos = [[c if c > 0 else 0 for c in r] for r in self.rows]
        self.neg = [[c if c < 0 else 0 for c in r] for r in self.rows]


class IntNetwork:
    """A :class:`~exactrelu.model.network.Network` as :class:`IntLayer` objects.

    Attributes
    ----------
    n_inputs : int
    layers : list of IntLayer (``layers[k - 1]`` is layer ``k``)
    relu_layers : the 1-based indices of the ReLU layers
    relu_offset : per ReLU-layer ordinal the number of ReLU units before it, then the total
    n_relu : int
        The number of ReLU units.
    zero : the zero form ``((0, .., 0), 1)`` (the output of an inactive unit)
    """

    def __init__(self, net: Network) -> None:
        self.n_inputs = net.n_inputs
        self.layers = [IntLayer(lay) for lay in net.layers]
        self.relu_layers = [k for k, lay in enumerate(self.layers, start=1) if lay.activation == "relu"]
        self.relu_offset = []
        off = 0
        for k in self.relu_layers:
            self.relu_offset.append(off)
            off += self.layers[k - 1].width
        self.relu_offset.append(off)
        self.n_relu = off
        self.zero = (tuple([0] * (net.n_inputs + 1)), 1)
        self._fmpz: dict = {}  # layer -> (positive part, negative part) as fmpz matrices
        self._blocks: dict = {}  # see weights_block

    def fmpz_weights(self, i: int) -> tuple[Any, Any]:
        """Layer ``i``'s weights split by sign, ``(pos, neg)``, as python-flint matrices (cached)."""
        got = self._fmpz.get(i)
        if got is None:
            import flint

            lay = self.layers[i - 1]
            pos, neg = lay.pos, lay.neg
            got = self._fmpz[i] = (flint.fmpz_mat(len(pos), len(pos[0]), [c for r in pos for c in r]),
                                   flint.fmpz_mat(len(neg), len(neg[0]), [c for r in neg for c in r]))
        return got

    def weights_block(self, i: int, t: int, cols: list, scols: list) -> Any:
        """fmpz block of layer ``i``'s integer weights: rows ``cols``, columns ``t + scols``
        (the last :data:`WBLOCKS` kept: the cells of a subtree mostly share their unit classes)."""
        key = (i, t, tuple(cols), tuple(scols))
        got = self._blocks.get(key)
        if got is None:
            import flint

            if len(self._blocks) >= WBLOCKS:
                self._blocks.clear()
            rows = self.layers[i - 1].rows
            got = self._blocks[key] = flint.fmpz_mat(len(cols), len(scols),
                                                     [rows[j][t + c] for j in cols for c in scols])
        return got

    def offset_of(self, k: int) -> int:
        """The number of ReLU units before ReLU layer ``k`` (1-based layer index)."""
        return self.relu_offset[self.relu_layers.index(k)]


def reduce_form(v: Sequence[int], d: int) -> tuple[tuple[int, ...], int]:
    """``(v, d)`` divided by the gcd of ``d`` and all entries of ``v`` (``d > 0`` stays positive).

    >>> reduce_form([2, 4, 6], 8)
    ((1, 2, 3), 4)
    >>> reduce_form([0, 0], 5)
    ((0, 0), 1)
    """
    g = math.gcd(d, *v)
    if g > 1:
        return tuple([c // g for c in v]), d // g
    return tuple(v), d


def common_forms(forms: Sequence[tuple[Sequence[int], int]]) -> tuple[list[list[int]], int]:
    """Forms ``(v, d)`` over one common denominator ``D``: ``(list of int lists, D)``.

    >>> common_forms([((1, 2), 2), ((1, 1), 3)])
    ([[3, 6], [2, 2]], 6)
    """
    D = math.lcm(*[d for _, d in forms]) if forms else 1
    return [list(v) if d == D else [c * (D // d) for c in v] for v, d in forms], D


def cell_rows(cell: Any) -> list[tuple[tuple[int, ...], int]]:
    """A cell's rows ``a x <= b`` as reduced forms of ``a x - b`` in the certificate's scale
    (each integer row over its scale ``(P, Q)``: the rows the certificate's multipliers refer to).

    >>> class Cell:
    ...     rows, scales = [((2, 0), 4)], [(2, 1)]
    >>> cell_rows(Cell())
    [((1, 0, -2), 1)]
    """
    return [reduce_form([v * Q for v in a] + [-b * Q], P) for (a, b), (P, Q) in zip(cell.rows, cell.scales)]
