"""Explicit shallow representations: maxima of one-hidden-layer networks.

A *one-hidden-layer network* (a *shallow term*) is ``s(x) = c.x + c0 + sum_u a_u relu(w_u.x + b_u)``.
All terms of a representation share one list of hidden units (a :class:`HiddenBasis`);
a term is the vector ``(c_1..c_n, c0, a_1..a_U)`` over the *features*
``phi(x) = (x_1..x_n, 1, relu(w_1.x + b_1), ..., relu(w_U.x + b_U))``, so ``s(x) = vec . phi(x)``.

:class:`ShallowRepresentation` is ``f = max_i p_i - max_j q_j`` (a *difference of maxes*,
equivalently ``max_i min_j (p_i - q_j)``); it is a *pure max* when there is one ``q``
(then folded into the ``p``'s, and ``minus`` is the single zero term). Every
representation in :mod:`exactrelu.shallow` evaluates exactly, converts back to an exact
ReLU :class:`~exactrelu.model.network.Network` (``max(a, b) = b + relu(a - b)``, a max of k
terms in ``ceil(log2 k)`` ReLU layers), and renders with sympy.

Examples
--------
>>> from fractions import Fraction as F
>>> basis = HiddenBasis(1, ((F(1), F(0)),))               # the unit relu(x)
>>> rep = ShallowRepresentation(basis, [(F(0), F(0), F(1)), (F(-1), F(0), F(0))])  # max(relu(x), -x)
>>> [str(rep.evaluate([v])) for v in (-2, 3)]
['2', '3']
>>> rep.counts()["terms"], rep.counts()["hidden_units"], rep.is_pure_max
(2, 1, True)
>>> net = rep.to_network()
>>> from exactrelu.model.evaluation import evaluate
>>> [str(evaluate(net, [v])[0]) for v in (-2, 3)]
['2', '3']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

from ..errors import ModelError, PointError
from ..model.network import Network
from .dominance import prune_dominated
from .signals import max_network

__all__ = ["Vec", "HiddenBasis", "ShallowRepresentation", "Representation", "max_network", "normalise_unit"]

Vec = tuple[Fraction, ...]
_ZERO = Fraction(0)
_ONE = Fraction(1)


def normalise_unit(form: Sequence[Fraction]) -> tuple[Vec, Fraction]:
    """``(w, b) -> (w', b'), s`` with ``(w', b')`` primitive integers and ``s > 0``.

    ``relu(w.x + b) = s * relu(w'.x + b')``: units that are positive multiples of one
    another become one basis unit. Integers (rather than, say, ``max |w| = 1``) keep
    dyadic weights dyadic, so a float export stays exact. A unit with ``w = 0`` is a
    constant and is returned unchanged with ``s = 1``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> normalise_unit((F(1, 2), F(-1), F(1, 4)))
    ((Fraction(2, 1), Fraction(-4, 1), Fraction(1, 1)), Fraction(1, 4))
    """
    if not any(form[:-1]):
        return tuple(form), _ONE
    L = 1
    for v in form:
        L = L * v.denominator // math.gcd(L, v.denominator)
    ints = [int(v * L) for v in form]
    g = 0
    for v in ints:
        g = math.gcd(g, v)
    return tuple(Fraction(v // g) for v in ints), Fraction(g, L)


@dataclass(frozen=True)
class HiddenBasis:
    """The hidden units shared by the terms: unit ``u`` is ``relu(w_u . x + b_u)``.

    Attributes
    ----------
    n_inputs : int
    units : tuple of ``(w_1, .., w_n, b)`` Fraction tuples
    """

    n_inputs: int
    units: tuple[Vec, ...] = ()

    def __post_init__(self) -> None:
        for u in self.units:
            if len(u) != self.n_inputs + 1:
                raise ModelError(f"a hidden unit needs {self.n_inputs + 1} numbers (w, b), got {len(u)}")

    @property
    def size(self) -> int:
        return len(self.units)

    @property
    def dim(self) -> int:
        """Length of a term vector: ``n + 1 + U``."""
        return self.n_inputs + 1 + len(self.units)

    def features(self, x: Sequence[Fraction]) -> Vec:
        """``(x, 1, relu(unit_1(x)), ...)`` exactly."""
        out = list(x) + [_ONE]
        for u in self.units:
            z = u[-1] + sum((w * xi for w, xi in zip(u, x) if w), _ZERO)
            out.append(z if z > 0 else _ZERO)
        return tuple(out)

    def zero(self) -> Vec:
        return tuple([_ZERO] * self.dim)


def _dot(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    return sum((x * y for x, y in zip(a, b) if x and y), _ZERO)


class Representation:
    """What every shallow form offers (see the concrete classes)."""

    n_inputs: int
    method: str = ""

    def evaluate(self, point: Any) -> Fraction:  # pragma: no cover - interface
        raise NotImplementedError

    def counts(self) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def to_network(self, name: str = "") -> Network:  # pragma: no cover - interface
        raise NotImplementedError

    def to_sympy(self, symbols: Sequence[Any] | None = None, relu: str = "max") -> Any:  # pragma: no cover
        raise NotImplementedError

    def to_latex(self, symbols: Sequence[Any] | None = None, relu: str = "max") -> str:
        """LaTeX of :meth:`to_sympy` (``sympy.latex``)."""
        import sympy

        return sympy.latex(self.to_sympy(symbols, relu=relu))

    def _point(self, point: Any) -> tuple[Fraction, ...]:
        from ..numbers.rationals import to_rational_vector
        from ..errors import NumberError

        try:
            x = to_rational_vector(point)
        except NumberError as exc:
            raise PointError(f"bad point: {exc}") from exc
        if len(x) != self.n_inputs:
            raise PointError(f"point has {len(x)} coordinates, the representation has {self.n_inputs} inputs")
        return x


@dataclass
class ShallowRepresentation(Representation):
    """``f(x) = max_i plus_i . phi(x) - max_j minus_j . phi(x)`` over a shared basis.

    Parameters
    ----------
    basis : HiddenBasis
    plus : sequence of term vectors (length ``basis.dim``), at least one
    minus : sequence of term vectors; default the single zero term. A single ``minus``
        term is folded into ``plus`` so that ``is_pure_max`` is True.
    method : str
        Which construction made it (``"weights"``, ``"lattice"``, ``"tropical"``).
    info : dict
        Anything the construction wants to report (kept in :meth:`counts`).
    """

    basis: HiddenBasis
    plus: Sequence[Vec]
    minus: Sequence[Vec] = ()
    method: str = ""
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        dim = self.basis.dim
        plus = [tuple(Fraction(v) for v in t) for t in self.plus]
        minus = [tuple(Fraction(v) for v in t) for t in self.minus] or [self.basis.zero()]
        if not plus:
            raise ModelError("a maximum needs at least one term")
        for t in plus + minus:
            if len(t) != dim:
                raise ModelError(f"a term needs {dim} numbers (n + 1 + hidden units), got {len(t)}")
        if len(minus) == 1 and any(minus[0]):
            q = minus[0]
            plus = [tuple(a - b for a, b in zip(p, q)) for p in plus]
            minus = [self.basis.zero()]
        self.plus = tuple(dict.fromkeys(plus))
        self.minus = tuple(dict.fromkeys(minus))
        self.n_inputs = self.basis.n_inputs

    # --- facts ------------------------------------------------------------------------
    @property
    def is_pure_max(self) -> bool:
        return len(self.minus) == 1

    def term_units(self, vec: Vec) -> list[int]:
        """The basis units a term uses (non-zero coefficients)."""
        n1 = self.n_inputs + 1
        return [u for u, a in enumerate(vec[n1:]) if a]

    def counts(self) -> dict[str, Any]:
        """Terms, hidden units (summed over terms), largest term, distinct units, depth.

        ``terms`` counts the shallow networks: ``len(plus)`` for a pure max, else
        ``len(plus) + len(minus)``. ``hidden_units`` is the total size of those networks
        (their hidden units, each term counted on its own).
        """
        terms = list(self.plus) + ([] if self.is_pure_max else list(self.minus))
        sizes = [len(self.term_units(t)) for t in terms]
        used = sorted({u for t in terms for u in self.term_units(t)})
        out = {
            "method": self.method,
            "form": "max" if self.is_pure_max else "max-minus-max",
            "terms": len(terms),
            "plus_terms": len(self.plus),
            "minus_terms": 0 if self.is_pure_max else len(self.minus),
            "hidden_units": sum(sizes),
            "max_units_per_term": max(sizes, default=0),
            "distinct_units": len(used),
            "materialised": True,
        }
        out.update({k: v for k, v in self.info.items() if k not in out})
        return out

    # --- evaluation -------------------------------------------------------------------
    def evaluate(self, point: Any) -> Fraction:
        """Exact value at ``point``.

        Examples
        --------
        >>> from fractions import Fraction as F
        >>> rep = ShallowRepresentation(HiddenBasis(1), [(F(1), F(0)), (F(-1), F(0))])  # |x|
        >>> rep.evaluate(["-1/3"])
        Fraction(1, 3)
        """
        phi = self.basis.features(self._point(point))
        p = max(_dot(t, phi) for t in self.plus)
        if self.is_pure_max:
            return p - _dot(self.minus[0], phi)
        return p - max(_dot(t, phi) for t in self.minus)

    # --- transformations ----------------------------------------------------------------
    def simplify(self, domain: Any = None) -> "ShallowRepresentation":
        """Drop terms that another term of the same max dominates.

        ``s_i <= s_j`` is recognised when ``s_j - s_i`` has non-negative hidden-unit
        coefficients and its affine part is ``>= 0`` everywhere (linear part 0, constant
        ``>= 0``) or, with a ``domain``, at every vertex of the domain. Quadratic in the
        number of terms; skipped above 4000 terms.
        """
        plus = prune_dominated(list(self.plus), self.n_inputs, domain)
        minus = prune_dominated(list(self.minus), self.n_inputs, domain) if not self.is_pure_max else list(self.minus)
        return ShallowRepresentation(self.basis, plus, minus, self.method, dict(self.info)).compact()

    def compact(self) -> "ShallowRepresentation":
        """Remove basis units that no term uses (and renumber)."""
        n1 = self.n_inputs + 1
        terms = list(self.plus) + list(self.minus)
        used = [u for u in range(self.basis.size) if any(t[n1 + u] for t in terms)]
        if len(used) == self.basis.size:
            return self
        basis = HiddenBasis(self.n_inputs, tuple(self.basis.units[u] for u in used))

        def sub(t: Vec) -> Vec:
            return t[:n1] + tuple(t[n1 + u] for u in used)

        return ShallowRepresentation(basis, [sub(t) for t in self.plus], [sub(t) for t in self.minus],
                                     self.method, dict(self.info))

    def pure_max(self) -> "ShallowRepresentation":
        """The same function as a pure max, when the ``minus`` terms are affine.

        ``max_i p_i - max_j q_j = max_{i,k} [p_i - q_k - sum_{j != k} relu(q_j - q_k)]``
        (the min-of-affine identity applied to ``min_j (-q_j)``). Raises ModelError when a
        ``minus`` term has hidden units (then no pure max of these terms exists).
        """
        if self.is_pure_max:
            return self
        n1 = self.n_inputs + 1
        if any(any(t[n1:]) for t in self.minus):
            raise ModelError("the minus terms use hidden units; this max-minus-max form has no pure-max "
                             "rewriting over the same terms")
        qs = [t[:n1] for t in self.minus]
        units = list(self.basis.units)
        index = {u: i for i, u in enumerate(units)}
        extra: dict[tuple[int, int], tuple[int, Fraction]] = {}
        for k, qk in enumerate(qs):
            for j, qj in enumerate(qs):
                if j == k:
                    continue
                u, s = normalise_unit(tuple(a - b for a, b in zip(qj, qk)))
                if u not in index:
                    index[u] = len(units)
                    units.append(u)
                extra[(k, j)] = (index[u], s)
        basis = HiddenBasis(self.n_inputs, tuple(units))
        U = len(units)
        terms = []
        for p in self.plus:
            base = list(p) + [_ZERO] * (U - self.basis.size)
            for k, qk in enumerate(qs):
                t = list(base)
                for c in range(n1):
                    t[c] -= qk[c]
                for j in range(len(qs)):
                    if j != k:
                        u, s = extra[(k, j)]
                        t[n1 + u] -= s
                terms.append(tuple(t))
        info = dict(self.info)
        info["pure_max_from"] = "min-of-affine identity on the minus terms"
        return ShallowRepresentation(basis, terms, (), self.method, info)

    # --- back to a network --------------------------------------------------------------
    def to_network(self, name: str = "") -> Network:
        """An exact ReLU network computing the same function.

        Layer 1: the basis units (ReLU, reading the input); then balanced max trees over
        the ``plus`` and the ``minus`` terms, one ReLU layer per level
        (``max(a, b) = b + relu(a - b)``; the kept ``b`` is read through a skip); finally
        an identity layer ``max(plus) - max(minus)``. Depth ``ceil(log2 k)`` for k terms.
        """
        groups = [(list(self.plus), _ONE)]
        if not self.is_pure_max:
            groups.append((list(self.minus), -_ONE))
        elif any(self.minus[0]):  # pragma: no cover - folded in __post_init__
            groups.append((list(self.minus), -_ONE))
        return max_network(self.basis, groups, name=name or f"shallow-{self.method or 'rep'}")

    # --- symbolic -------------------------------------------------------------------------
    def to_sympy(self, symbols: Sequence[Any] | None = None, relu: str = "max") -> Any:
        """A sympy expression: ``Max(terms) - Max(terms)``, hidden units as ``Max(0, .)``
        (or ``Piecewise`` with ``relu="piecewise"``); inputs ``x_0 .. x_{n-1}``."""
        from .symbolic import shallow_to_sympy

        return shallow_to_sympy(self, symbols, relu=relu)
