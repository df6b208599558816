"""Certificates that a shallow representation equals the network on a domain.

Two kinds, both re-verified by the independent checker (:mod:`exactrelu.checker`):

* :func:`lattice_certificate` — claim ``"lattice"`` (rules in proofs/rules/lattice.md):
  the network's splitting tree plus, per leaf, Farkas vectors for the lattice rule
  (the cover term's pieces are ``>= f`` on the leaf; for every term a convex combination of
  its pieces is ``<= f`` on the leaf).
* :func:`representation_certificate` — claim ``"equivalence"``: the representation
  turned back into a ReLU network (:meth:`to_network`, or the formula network of a lazy
  form) is equivalent to the network (:mod:`exactrelu.verify.equivalence`).

:func:`compare` decides equality exactly and returns a point where they differ.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.checker import check_certificate
>>> from exactrelu.shallow.lattice import lattice_form
>>> net = mlp(1, [([[1], [-1]], [0, "1/2"]), ([[1, 1]], [0])])
>>> lf = lattice_form(net, box([-1], [1]))
>>> check_certificate(lattice_certificate(lf)).claim
'lattice'
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

from ..domain.polytope import Polytope
from ..errors import ModelError, RepresentationMismatch
from ..model.network import Layer, Network
from ..numbers.rationals import format_rational, format_vector
from .lattice import combination_below, exceeding_point
from .representation import Vec

__all__ = ["lattice_certificate", "representation_certificate", "compare", "select_output",
           "RepresentationMismatch", "representation_network"]

_ZERO = Fraction(0)


def select_output(net: Network, output: int) -> Network:
    """The network restricted to one output coordinate (the last layer's row ``output``)."""
    if not 0 <= output < net.n_outputs:
        raise ModelError(f"output {output!r} does not exist (the network has {net.n_outputs} outputs)")
    if net.n_outputs == 1:
        return net
    last = net.layers[-1]
    layer = Layer(tuple((s, (w[output],)) for s, w in last.inputs), (last.bias[output],), last.activation, last.name)
    names = (net.output_names[output],) if net.output_names else ()
    return Network(net.n_inputs, net.layers[:-1] + (layer,), net.input_names, names, net.name)


def _fmt(p: int, q: int) -> str:
    g = math.gcd(p, q)
    p, q = p // g, q // g
    return str(p) if q == 1 else f"{p}/{q}"


def _int_form(form: Sequence[Fraction]) -> tuple[list[int], int]:
    D = 1
    for v in form:
        D = D * v.denominator // math.gcd(D, v.denominator)
    return [int(v * D) for v in form], D


def _farkas(cell, form: Sequence[Fraction]) -> list[list]:
    """Multipliers over the checker's rows of the cell proving ``form >= 0`` on it.

    ``cell.farkas_nonneg`` works on the cell's integer rows (row r = (P_r/Q_r) times the
    exact row) and an integer form (D times ``form``): ``y_exact_r = y_r P_r / (Q_r D)``.
    Raises ValueError if ``form`` is negative at a vertex.
    """
    ints, D = _int_form(form)
    nums, den = cell.farkas_nonneg(tuple(ints))
    out = []
    for r in sorted(nums):
        P, Q = cell.scales[r]
        out.append([r, _fmt(nums[r] * P, den * Q * D)])
    return out


def _nonneg_on(cell, form: Sequence[Fraction]) -> bool:
    ints, _ = _int_form(form)
    return min(cell.values(tuple(ints))) >= 0


def lattice_certificate(lf: Any, *, embed_network: bool = True, network_path: str | None = None,
                        always_combination: bool = False) -> dict[str, Any]:
    """The ``lattice`` certificate of a :class:`~exactrelu.shallow.lattice.LatticeForm`.

    Parameters
    ----------
    lf : LatticeForm built from a complete partition (``lf.partition``)
    embed_network, network_path : as for :func:`exactrelu.certificate.partition.partition_certificate`
    always_combination : use the LP for the upper-bound evidence even where one piece
        suffices (for tests of that path)

    Raises
    ------
    RepresentationMismatch
        when the evidence cannot be found (the form is not the network's; the exception
        carries an exact point where they differ when the regions show one).
    """
    from ..certificate.partition import partition_certificate

    part = lf.partition
    if part is None:
        raise ModelError("a lattice certificate needs the partition the form was built from")
    if not part.complete:
        raise ModelError("the partition is incomplete; the lattice claim needs every region")
    net = part.network
    out = lf.output
    pieces = [tuple(p) for p in lf.pieces]
    terms = [tuple(t) for t in lf.terms]
    cert = partition_certificate(part, embed_network=embed_network, network_path=network_path, adjacency=False)
    cert.pop("adjacency", None)
    cert["claim"] = "lattice"
    leaves = []
    for k, reg in enumerate(part.regions):
        C, d = reg.affine_map
        f = tuple(C[out]) + (d[out],)
        node = lf.cover[k] if k < len(lf.cover) and lf.cover[k] is not None else ("term", None, reg.cell)
        cover = _cover_json(node, pieces, terms, f, lf, net, reg)
        upper = []
        for t, term in enumerate(terms):
            item = None
            if not always_combination:
                for j in term:
                    g = tuple(a - c for a, c in zip(f, pieces[j]))
                    if _nonneg_on(reg.cell, g):
                        item = [[[j, "1"]], _farkas(reg.cell, g)]
                        break
            if item is None:
                mu = combination_below(reg.cell, pieces, list(term), f)
                if mu is None:
                    x = exceeding_point(reg.cell, pieces, list(term), f)
                    raise _mismatch(lf, net, reg, f"term {t} of the lattice form exceeds the network somewhere on "
                                    f"region {k}", extra=[x] if x is not None else [])
                comb = [sum((mu[j] * pieces[j][c] for j in mu), _ZERO) for c in range(len(f))]
                g = tuple(a - c for a, c in zip(f, comb))
                item = [[[j, format_rational(v)] for j, v in sorted(mu.items())], _farkas(reg.cell, g)]
            upper.append(item)
        leaves.append({"leaf": reg.node, "cover": cover, "upper": upper})
    cert["lattice"] = {"output": out, "pieces": [format_vector(p) for p in pieces],
                       "terms": [list(t) for t in terms], "leaves": leaves}
    return cert


def _cover_json(node: tuple, pieces: list, terms: list, f: Vec, lf: Any, net: Network, reg: Any) -> dict:
    """The JSON of a cover node; a term that fails on its cell is replaced by one that
    works (or RepresentationMismatch)."""
    if node[0] == "split":
        return {"split": format_vector(node[1]), "pos": _cover_json(node[2], pieces, terms, f, lf, net, reg),
                "neg": _cover_json(node[3], pieces, terms, f, lf, net, reg)}
    t0, cell = node[1], node[2]
    for t in ([t0] if t0 is not None else []) + [t for t in range(len(terms)) if t != t0]:
        diffs = [tuple(a - c for a, c in zip(pieces[j], f)) for j in terms[t]]
        if all(_nonneg_on(cell, g) for g in diffs):
            return {"term": t, "farkas": [_farkas(cell, g) for g in diffs]}
    raise _mismatch(lf, net, reg, f"no term of the lattice form is >= the network on region {reg.index}, "
                    "so max_t min_j l_j < f somewhere there")


def _mismatch(lf: Any, net: Network, reg: Any, why: str, extra: list | None = None) -> RepresentationMismatch:
    from ..model.evaluation import evaluate

    for x in (extra or []) + [reg.witness] + reg.vertices:
        a = evaluate(net, x)[lf.output]
        b = lf.evaluate(x)
        if a != b:
            return RepresentationMismatch(f"the representation differs from the network at "
                                          f"{format_vector(x)}: {format_rational(a)} != {format_rational(b)}",
                                          tuple(x), (a, b))
    return RepresentationMismatch(f"no lattice evidence: {why}")


def representation_network(rep: Any, max_terms: int | None = None) -> Network:
    """The representation as a network: :meth:`to_network` (the max-of-shallow network),
    or, for a lazy form above ``max_terms``, its formula network."""
    from .lazy import DEFAULT_MAX_TERMS, SignSplitForm, TooManyTerms

    if isinstance(rep, SignSplitForm):
        try:
            return rep.to_network(max_terms=max_terms or DEFAULT_MAX_TERMS)
        except TooManyTerms:
            return rep.formula_network()
    return rep.to_network()


def compare(rep: Any, net: Network, domain: Polytope, output: int = 0, **limits: Any):
    """Decide exactly whether ``rep`` equals output ``output`` of ``net`` on ``domain``.

    Returns the :class:`~exactrelu.verify.equivalence.EquivalenceResult` of the network against
    :func:`representation_network` (``.equivalent``, ``.counterexample``, ``.outputs``).
    """
    from ..verify.equivalence import equivalent

    return equivalent(select_output(net, output), representation_network(rep), domain, **limits)


def representation_certificate(rep: Any, net: Network, domain: Polytope, output: int = 0,
                               **limits: Any) -> dict[str, Any]:
    """An ``equivalence`` certificate: the representation's network equals the network.

    Raises :class:`RepresentationMismatch` (with the point) when they differ.
    """
    from ..verify.equivalence import equivalence_certificate, equivalent

    a = select_output(net, output)
    b = representation_network(rep)
    res = equivalent(a, b, domain, **limits)
    if res.equivalent is False:
        x = res.counterexample
        ya, yb = res.outputs if res.outputs is not None else (None, None)
        raise RepresentationMismatch(f"the representation differs from the network at {format_vector(x)}: "
                                     f"{[format_rational(v) for v in ya]} != {[format_rational(v) for v in yb]}",
                                     tuple(x), (ya, yb))
    return equivalence_certificate(a, b, domain, result=res)
