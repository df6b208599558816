"""Exact shallow representations of deep ReLU networks (proofs/shallow.md).

Every deep ReLU network, plain or residual, equals a maximum of functions that
one-hidden-layer networks realise. Three constructions, all exact:

* ``"weights"`` — :func:`~exactrelu.shallow.weights.sign_split`: from the weights alone,
  ``f = max P - max Q`` over one-hidden-layer networks (a pure max where the signs allow;
  :func:`~exactrelu.shallow.weights.pattern_max` when every deep weight is non-negative).
  Term counts are exact Python ints even when astronomically large.
* ``"lattice"`` — :func:`~exactrelu.shallow.lattice.lattice_form`: from the linear
  regions, ``f = max_t min_{j in S_t} l_j``, a pure max of one-hidden-layer networks by the
  min-of-affine identity; certified by the ``lattice`` claim.
* ``"tropical"`` — :func:`~exactrelu.shallow.tropical.tropical_form`: ``f = F - G``, a
  difference of max-affine functions (Zhang–Naitzat–Lim).

Each result evaluates exactly, reports ``counts()``, converts back to an exact ReLU
network (``to_network``), renders with sympy (``to_sympy``/``to_latex``), and can be
proved equal to the network (:mod:`exactrelu.shallow.certificates`).

Examples
--------
>>> from exactrelu.model.random_nets import random_network
>>> from exactrelu.domain.polytope import box
>>> net = random_network([3, 3], seed=1)
>>> rep = shallow_representation(net, "lattice", box([-1, -1], [1, 1]))
>>> from exactrelu.model.evaluation import evaluate
>>> rep.evaluate(["1/3", "-1/5"]) == evaluate(net, ["1/3", "-1/5"])[0]
True
>>> sorted(shallow_representation(net, "weights").counts())[:4]
['base_units', 'deep_units', 'distinct_units', 'form']
"""

from __future__ import annotations

from typing import Any

from ..domain.polytope import Polytope
from ..errors import DomainError, ModelError
from ..model.network import Network
from .certificates import (RepresentationMismatch, compare, lattice_certificate, representation_certificate,
                           representation_network, select_output)
from .lattice import LatticeForm, lattice_form
from .lazy import DEFAULT_MAX_TERMS, SignSplitForm, TermSet, TooManyTerms
from .representation import HiddenBasis, Representation, ShallowRepresentation, max_network
from .tropical import tropical_form
from .weights import pattern_applicable, pattern_max, sign_split, weight_representation

__all__ = ["shallow_representation", "METHODS", "ShallowRepresentation", "LatticeForm", "SignSplitForm",
           "HiddenBasis", "Representation", "TermSet", "TooManyTerms", "DEFAULT_MAX_TERMS", "sign_split",
           "pattern_max", "pattern_applicable", "weight_representation", "lattice_form", "tropical_form",
           "max_network", "lattice_certificate", "representation_certificate", "representation_network",
           "compare", "select_output", "RepresentationMismatch"]

METHODS = ("lattice", "weights", "tropical")


def shallow_representation(net: Network, method: str = "lattice", domain: Polytope | None = None,
                           output: int = 0, **options: Any) -> Any:
    """A shallow representation of output ``output`` of ``net``.

    Parameters
    ----------
    net : Network
    method : ``"lattice"`` (needs ``domain``), ``"weights"`` or ``"tropical"``
    domain : Polytope, for the lattice form (the others hold everywhere)
    options : passed on (``scheme`` for weights; ``simplify``, ``partition``,
        ``max_regions``, ``time_limit`` for lattice)

    Returns
    -------
    LatticeForm, SignSplitForm or ShallowRepresentation
    """
    if method == "lattice":
        if domain is None:
            raise DomainError("the lattice form is built from the linear regions on a domain: give a domain")
        return lattice_form(net, domain, output, **options)
    if method == "weights":
        return weight_representation(net, output, **options)
    if method == "tropical":
        if options:
            raise ModelError(f"tropical_form takes no options, got {sorted(options)}")
        return tropical_form(net, output)
    raise ModelError(f"unknown method {method!r} (expected one of {', '.join(METHODS)})")
