"""Exact ReLU networks from linear signals: the max trees behind the shallow forms.

``max(a, b) = b + relu(a - b)``: a maximum of ``k`` affine terms is a balanced tree of
``ceil(log2 k)`` ReLU levels; :func:`max_network` builds one for each group of terms, all
groups sharing the tree's layers.  Used by
:meth:`exactrelu.shallow.representation.ShallowRepresentation.to_network` and
:func:`exactrelu.shallow.lazy.formula_network`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Sequence

from ..errors import ModelError
from ..model.network import Network, NetworkBuilder

if TYPE_CHECKING:  # pragma: no cover
    from .representation import HiddenBasis

__all__ = ["LinearSignal", "add_layer", "term_signal", "max_network"]

Vec = tuple[Fraction, ...]
_ZERO = Fraction(0)
_ONE = Fraction(1)


class LinearSignal:
    """A linear combination of signals ``(source, index)`` plus a constant.

    A signal is unit ``index`` of the :class:`~exactrelu.model.network.NetworkBuilder`
    layer ``source`` (0 is the input); the constant becomes a bias.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> s = LinearSignal({(0, 0): F(1)}, F(2)).minus(LinearSignal({(0, 1): F(1)}))
    >>> sorted(s.coef.items()), s.const
    ([((0, 0), Fraction(1, 1)), ((0, 1), Fraction(-1, 1))], Fraction(2, 1))
    """

    __slots__ = ("coef", "const")

    def __init__(self, coef: dict[tuple[int, int], Fraction] | None = None, const: Fraction = _ZERO) -> None:
        self.coef = coef or {}
        self.const = const

    def minus(self, other: "LinearSignal") -> "LinearSignal":
        c = dict(self.coef)
        for k, v in other.coef.items():
            c[k] = c.get(k, _ZERO) - v
        return LinearSignal({k: v for k, v in c.items() if v}, self.const - other.const)

    def plus_signal(self, key: tuple[int, int], scale: Fraction = _ONE) -> "LinearSignal":
        c = dict(self.coef)
        c[key] = c.get(key, _ZERO) + scale
        return LinearSignal({k: v for k, v in c.items() if v}, self.const)

    def scaled(self, s: Fraction) -> "LinearSignal":
        return LinearSignal({k: v * s for k, v in self.coef.items()}, self.const * s)

    def add(self, other: "LinearSignal") -> "LinearSignal":
        c = dict(self.coef)
        for k, v in other.coef.items():
            c[k] = c.get(k, _ZERO) + v
        return LinearSignal({k: v for k, v in c.items() if v}, self.const + other.const)


def add_layer(b: NetworkBuilder, lins: list[LinearSignal], activation: str) -> int:
    """Add a layer with one unit per linear signal of ``lins``; return its index in ``b``.

    Parameters
    ----------
    b : NetworkBuilder
    lins : the units' pre-activations
    activation : ``"relu"`` or ``"identity"``

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from exactrelu.model.network import NetworkBuilder
    >>> b = NetworkBuilder(2)
    >>> add_layer(b, [LinearSignal({(0, 0): F(1), (0, 1): F(-1)})], "identity")
    1
    """
    sources = sorted({s for L in lins for s, _ in L.coef}) or [0]
    weights = {}
    for s in sources:
        w = b.width(s)
        weights[s] = [[L.coef.get((s, j), _ZERO) for j in range(w)] for L in lins]
    return b.add(weights, [L.const for L in lins], activation)


def term_signal(t: Vec, n_inputs: int, base: int | None, n_units: int) -> LinearSignal:
    """A term vector ``(c_1..c_n, c_0, a_1..a_U)`` as a linear signal of the inputs (layer 0)
    and of the hidden basis units (layer ``base``).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> s = term_signal((F(2), F(1), F(3)), 1, 1, 1)   # 2 x + 1 + 3 u_0
    >>> sorted(s.coef.items()), s.const
    ([((0, 0), Fraction(2, 1)), ((1, 0), Fraction(3, 1))], Fraction(1, 1))
    """
    c: dict[tuple[int, int], Fraction] = {}
    for i in range(n_inputs):
        if t[i]:
            c[(0, i)] = t[i]
    n1 = n_inputs + 1
    for u in range(n_units):
        if t[n1 + u]:
            c[(base, u)] = t[n1 + u]  # type: ignore[index]
    return LinearSignal(c, t[n_inputs])


def max_network(basis: "HiddenBasis", groups: Sequence[tuple[Sequence[Vec], Fraction]], name: str = "") -> Network:
    """The network ``sum_g sign_g * max(group_g)``: basis layer, max trees, output layer.

    Parameters
    ----------
    basis : HiddenBasis
    groups : ``[(terms, sign), ...]``; each group's max is taken with a balanced tree of
        ``max(a, b) = b + relu(a - b)`` (all groups share the tree's layers).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from exactrelu.model.evaluation import evaluate
    >>> from exactrelu.shallow.representation import HiddenBasis
    >>> net = max_network(HiddenBasis(1), [([(F(1), F(0)), (F(-1), F(0)), (F(0), F(1))], F(1))])
    >>> [str(evaluate(net, [v])[0]) for v in (-3, "1/2", 2)]
    ['3', '1', '2']
    >>> net.widths   # max of 3 terms: 2 ReLU levels, then the output
    (1, 1, 1)
    """
    n = basis.n_inputs
    b = NetworkBuilder(n, name=name)
    base = None
    if basis.size:
        base = b.dense(0, [list(u[:-1]) for u in basis.units], [u[-1] for u in basis.units], "relu")

    cur = [[term_signal(t, n, base, basis.size) for t in terms] for terms, _ in groups]
    if any(not g for g in cur):
        raise ModelError("a maximum needs at least one term")
    while any(len(g) > 1 for g in cur):
        units: list[LinearSignal] = []
        plan = []  # per group: list of ("pair", unit index, b) or ("keep", lin)
        for g in cur:
            steps = []
            for k in range(0, len(g) - 1, 2):
                a, c = g[k], g[k + 1]
                units.append(a.minus(c))
                steps.append(("pair", len(units) - 1, c))
            if len(g) % 2:
                steps.append(("keep", None, g[-1]))
            plan.append(steps)
        src = add_layer(b, units, "relu")
        cur = [[c.plus_signal((src, u)) if kind == "pair" else c for kind, u, c in steps] for steps in plan]
    out = LinearSignal()
    for g, (_, sign) in zip(cur, groups):
        out = out.add(g[0].scaled(Fraction(sign)))
    add_layer(b, [out], "identity")
    return b.build()
