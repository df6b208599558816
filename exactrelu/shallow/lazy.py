"""The lazy form ``f = max P - max Q`` over term sets, and its formula as a network.

:class:`SignSplitForm` keeps the two maxima as term-set DAGs (:mod:`.termset`): its counts
are exact Python ints and its value is exact without listing a single term;
:meth:`SignSplitForm.materialise` lists them under a limit, and :func:`formula_network`
turns the formula itself into a ReLU network of linear size.  The term-set functions
(``TermSet``, ``count``, ``materialise``, ...) are importable from here as well.

Examples
--------
>>> from fractions import Fraction as F
>>> a = TermSet.leaf([(F(1), F(0)), (F(0), F(0))])          # {x, 0}: max is relu(x)
>>> s = TermSet.sum([(F(1), a), (F(2), a)])                 # relu(x) + 2 relu(x)
>>> count(s), max_value(s, (F(3), F(1))), len(materialise(s, 10))
(4, Fraction(9, 1), 4)
>>> form = SignSplitForm(HiddenBasis(1), s, TermSet.zero(2), "weights")
>>> form.evaluate([3]), form.counts()["terms"]
(Fraction(9, 1), 4)
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from .representation import HiddenBasis, Representation
from .signals import LinearSignal, add_layer, term_signal
from .termset import (DEFAULT_MAX_TERMS, TermSet, TooManyTerms, Vec, count, materialise, max_units, max_value, post_order,
                      unit_counts)

if TYPE_CHECKING:  # pragma: no cover
    from ..model.network import Network

__all__ = ["TermSet", "SignSplitForm", "TooManyTerms", "DEFAULT_MAX_TERMS", "formula_network", "count", "unit_counts",
           "max_units", "max_value", "materialise"]


class SignSplitForm(Representation):
    """``f = max P - max Q`` with ``P``, ``Q`` lazy term sets over a shared hidden basis.

    Made by :func:`exactrelu.shallow.weights.sign_split` (terms are one-hidden-layer
    networks over the network's first-layer units) and
    :func:`exactrelu.shallow.tropical.tropical_form` (terms are affine: ``F - G``).
    Counting and exact evaluation never list the terms; :meth:`materialise` does, under a
    limit.
    """

    def __init__(self, basis: HiddenBasis, plus: TermSet, minus: TermSet, method: str, info: dict | None = None) -> None:
        self.basis = basis
        self.n_inputs = basis.n_inputs
        self.plus = plus
        self.minus = minus
        self.method = method
        self.info = dict(info or {})
        self._counts: dict | None = None

    def __repr__(self) -> str:
        c = self.counts()
        return f"SignSplitForm(method={self.method!r}, terms={c['terms']}, hidden_units={c['hidden_units']})"

    @property
    def is_pure_max(self) -> bool:
        return count(self.minus) == 1

    def evaluate(self, point) -> Fraction:
        """Exact value at ``point`` (linear in the size of the formula, not of the term list)."""
        phi = self.basis.features(self._point(point))
        return max_value(self.plus, phi) - max_value(self.minus, phi)

    def counts(self) -> dict:
        """Exact counts from the formula (Python ints; nothing is listed).

        ``terms``: shallow networks in ``max P - max Q`` (``|P|`` alone when ``|Q| = 1``,
        a pure max). ``hidden_units``: summed over the terms, a unit counted in a term when
        the term's formula involves it. ``max_units_per_term``: the largest term
        (``max_units_exact`` False when that is an upper bound).
        """
        if self._counts is not None:
            return dict(self._counts)
        n1, U = self.n_inputs + 1, self.basis.size
        tP, tQ = count(self.plus), count(self.minus)
        pure = tQ == 1
        nP = unit_counts(self.plus, n1, U)
        mP, exact = max_units(self.plus, n1, U)
        if pure:
            q = self.minus.singleton() if self.minus.kind == "leaf" else None
            if q is None:
                q = materialise(self.minus, 1)[0]
            qu = [u for u in range(U) if q[n1 + u]]
            for u in qu:
                nP[u] = tP
            if qu:
                exact = False
                mP = min(U, mP + len(qu))
            hidden = sum(nP)
            terms = tP
            mx = mP
        else:
            nQ = unit_counts(self.minus, n1, U)
            mQ, exQ = max_units(self.minus, n1, U)
            hidden = sum(nP) + sum(nQ)
            terms = tP + tQ
            mx = max(mP, mQ)
            exact = exact and exQ
        self._counts = {
            "method": self.method,
            "form": "max" if pure else "max-minus-max",
            "terms": terms,
            "plus_terms": tP,
            "minus_terms": 0 if pure else tQ,
            "hidden_units": hidden,
            "max_units_per_term": mx,
            "max_units_exact": exact,
            "distinct_units": U,
            "materialised": False,
        }
        self._counts.update({k: v for k, v in self.info.items() if k not in self._counts})
        return dict(self._counts)

    def materialise(self, max_terms: int = DEFAULT_MAX_TERMS, simplify: bool = True, domain=None):
        """The explicit :class:`~exactrelu.shallow.representation.ShallowRepresentation`.

        Terms are listed node by node, merging at every node the terms that differ only in
        their constant (the largest is kept); raises :class:`TooManyTerms` (quoting the
        exact count of the formula) when a list would exceed ``max_terms``. ``simplify``
        then drops dominated terms (``domain`` makes the domination test use the domain's
        vertices).
        """
        from .representation import ShallowRepresentation

        T = count(self.plus) + count(self.minus)
        n = self.n_inputs
        plus = materialise(self.plus, max_terms, const_index=n, domain=domain)
        minus = materialise(self.minus, max_terms, const_index=n, domain=domain)
        info = dict(self.info)
        info["terms_in_formula"] = T
        rep = ShallowRepresentation(self.basis, plus, minus, self.method, info)
        return rep.simplify(domain) if simplify else rep

    def to_network(self, name: str = "", max_terms: int = DEFAULT_MAX_TERMS):
        """The materialised representation as an exact ReLU network (see ShallowRepresentation)."""
        return self.materialise(max_terms).to_network(name)

    def to_sympy(self, symbols=None, relu: str = "max", expand: bool = False, max_terms: int = DEFAULT_MAX_TERMS):
        """sympy: ``expand=False`` renders the formula itself (sums of maxima, compact);
        ``expand=True`` the flat ``Max(...) - Max(...)`` of the materialised terms."""
        from .symbolic import lazy_to_sympy

        if expand:
            return self.materialise(max_terms).to_sympy(symbols, relu=relu)
        return lazy_to_sympy(self, symbols, relu=relu)

    def to_latex(self, symbols=None, relu: str = "max", expand: bool = False) -> str:
        import sympy

        return sympy.latex(self.to_sympy(symbols, relu=relu, expand=expand))

    def formula_network(self, name: str = "") -> "Network":
        """The formula itself as an exact ReLU network (see :func:`formula_network`)."""
        return formula_network(self, name)


def formula_network(form: SignSplitForm, name: str = "") -> "Network":
    """The formula of a lazy form as an exact ReLU network, without listing its terms.

    Sums are linear; every leaf and union is a max tree (``max(a, b) = b + relu(a - b)``);
    tree levels of different nodes that are ready at the same time share one ReLU layer.
    The size is linear in the formula (not in the number of terms), so even an
    astronomically large representation can be proved equal to the network
    (:func:`exactrelu.shallow.certificates.representation_certificate`).
    """
    from ..model.network import NetworkBuilder

    basis = form.basis
    n = basis.n_inputs
    b = NetworkBuilder(n, name=name or f"formula-{form.method}")
    base = None
    if basis.size:
        base = b.dense(0, [list(u[:-1]) for u in basis.units], [u[-1] for u in basis.units], "relu")

    def lin(t: Vec) -> LinearSignal:
        return term_signal(t, n, base, basis.size)

    nodes: list[TermSet] = []
    seen: set[int] = set()
    for root in (form.plus, form.minus):
        for node in post_order(root):
            if id(node) not in seen:
                seen.add(id(node))
                nodes.append(node)
    value: dict[int, LinearSignal] = {}
    jobs: dict[int, list[LinearSignal]] = {}  # max reductions in progress
    for node in nodes:
        if node.kind == "leaf":
            jobs[id(node)] = [lin(t) for t in node.terms]
    while id(form.plus) not in value or id(form.minus) not in value:
        progress = True
        while progress:
            progress = False
            for node in nodes:
                key = id(node)
                if key in value:
                    continue
                if key in jobs:
                    if len(jobs[key]) == 1:
                        value[key] = jobs.pop(key)[0]
                        progress = True
                    continue
                kids = [c for _, c in node.parts] if node.kind == "sum" else list(node.parts)
                if not all(id(c) in value for c in kids):
                    continue
                if node.kind == "sum":
                    v = lin(node.const) if node.const is not None else LinearSignal()
                    for coef, c in node.parts:
                        v = v.add(value[id(c)].scaled(coef))
                    value[key] = v
                else:
                    jobs[key] = [value[id(c)] for c in kids]
                progress = True
        if id(form.plus) in value and id(form.minus) in value:
            break
        units: list[LinearSignal] = []
        plan = []
        for key, vals in jobs.items():
            steps = []
            for k in range(0, len(vals) - 1, 2):
                units.append(vals[k].minus(vals[k + 1]))
                steps.append((len(units) - 1, vals[k + 1]))
            keep = vals[-1] if len(vals) % 2 else None
            plan.append((key, steps, keep))
        src = add_layer(b, units, "relu")
        for key, steps, keep in plan:
            new = [c.plus_signal((src, u)) for u, c in steps]
            if keep is not None:
                new.append(keep)
            jobs[key] = new
    out = value[id(form.plus)].add(value[id(form.minus)].scaled(Fraction(-1)))
    add_layer(b, [out], "identity")
    return b.build()

