"""Cross-check a floating-point implementation against the exact network.

The float model (numpy float32/float64, ONNX Runtime, PyTorch) and its exact twin are run
on the same inputs. Every input is *float-representable* in the backend's dtype, so the
float run sees exactly the point the exact run sees; the input is reported as the exact
rational value of the float. Everything reported is exact:

* the largest absolute and relative output error: ``|f(x) - Fraction(f_float(x))|``, a
  rational (relative: over output components with ``f(x) != 0``);
* **pattern flips**: points where the float activation pattern (``pre-activation > 0``)
  differs from the exact one, with the units that flipped and their exact and float
  pre-activations;
* **decision flips**: points where the float decision differs from the exact decision.
  The decision is the arg-max of the outputs (lowest index on ties, as ``numpy.argmax``;
  ``decision="argmin"`` for ACAS Xu style scores), or, with a VNN-LIB property, the truth
  value of each output constraint of the disjuncts whose input region holds the point
  (the float side is judged exactly on the float outputs). A flip of the overall verdict
  ("this point is a counterexample") is counted separately.

Search, not only sampling (``strategies``):

``random``
    uniform points of the domain, rounded to the dtype;
``vertices``
    vertices of exact linear regions (:func:`~exactrelu.regions.walk.enumerate_regions`, within a
    region/time budget), where several units' pre-activations vanish at once;
``facets``
    points on a unit's hyperplane inside a region (facet points of enumerated regions;
    for large networks, exact projections of random points onto the nearest unit
    hyperplane of their region, via the exact affine forms of the region);
``ties``
    points where the decision changes inside a region: two outputs equal (arg-max
    boundaries, found exactly on the region's affine map along segments), or a property
    constraint holds with equality.

Each such exact *anchor* is turned into float-representable inputs next to it: the
rounded anchor, neighbours a few ulps away (random jitter, slides along the hyperplane),
and a ladder of steps along the normal on both sides. Candidates are ranked exactly by
their distance to the anchor's hyperplanes and the closest on each side are evaluated —
float error is most likely to flip a sign there. ``points`` bounds the number of
evaluated inputs (split evenly between the strategies; a strategy that runs out of
anchors hands its share on), ``time_limit`` the wall-clock time.

Float semantics: each input is evaluated **on its own** (a batch of one), as
``evaluate_float(net, [x], dtype=...)`` does, so every reported float output can be
reproduced; batched BLAS calls may round differently.

Examples
--------
>>> from exactrelu.domain.polytope import box
>>> net = sliver_network()
>>> rep = crosscheck(net, box([-1, -1], [1, 1]), points=300, seed=1)
>>> rep.points_tried <= 300, rep.n_decision_flips > 0, rep.max_abs_error > 0
(True, True, True)
>>> f = rep.decision_flips[0]
>>> from exactrelu.model.evaluation import evaluate
>>> evaluate(net, f.input) == f.exact_output
True

Modules
-------
:mod:`.backends` (the float implementations), :mod:`.results` (flips and the report),
:mod:`.exact` (exact forms, anchors, membership), :mod:`.anchors` (where each strategy
looks), :mod:`.search` (candidates, evaluation, the strategy loop), :mod:`.recheck`
(re-checking a float verifier's counterexample), :mod:`.sliver` (a demo network) and
:mod:`.report` (readable reports).  This module holds :func:`crosscheck` and re-exports
the public names of the stage.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..domain.polytope import Polytope
from ..errors import DomainError, PointError, PropertyError, UsageError
from ..model.network import Network
from ..numbers.rationals import format_rational
from .backends import BACKENDS, FloatBackend, NumpyBackend, OnnxRuntimeBackend, TorchBackend, make_backend
from .exact import SearchContext
from .recheck import RecheckResult, recheck_counterexample
from .results import STRATEGIES, CrossCheckReport, Flip, StrategyStats
from .search import Search, run_search
from .sliver import sliver_network

__all__ = [
    "STRATEGIES",
    "BACKENDS",
    "FloatBackend",
    "NumpyBackend",
    "OnnxRuntimeBackend",
    "TorchBackend",
    "make_backend",
    "Flip",
    "StrategyStats",
    "CrossCheckReport",
    "crosscheck",
    "RecheckResult",
    "recheck_counterexample",
    "sliver_network",
]


def crosscheck(net: Network, domain: Polytope | None = None, backend: "str | FloatBackend" = "numpy32", *,
               points: int = 2000, seed: int = 0, strategies: Sequence[str] = STRATEGIES,
               time_limit: float | None = None, prop=None, decision: str = "argmax",
               max_regions: int | None = 2000, region_time: float | None = None, partition=None,
               per_anchor: int = 6, max_kept: int = 100, model_path: "str | Path | None" = None) -> CrossCheckReport:
    """Cross-check a float implementation of ``net`` against exact arithmetic.

    Parameters
    ----------
    net : Network
    domain : Polytope, optional
        The input domain; optional when ``prop`` is given (its input regions are used).
        With a property that fixes inputs, the domain is over the free inputs.
    backend : "numpy32" | "numpy64" | "onnxruntime" | "torch" or a :class:`FloatBackend`
    points : int
        Total number of inputs evaluated (float and exact), split among ``strategies``.
    seed : int
        Seed of the pseudo-random choices (results are reproducible for a seed).
    strategies : subset of :data:`STRATEGIES`
    time_limit : float, optional
        Wall-clock seconds for the whole run (region enumeration included).
    prop : Property, optional
        A VNN-LIB property (:func:`exactrelu.domain.vnnlib.load_vnnlib`): decisions are the truth
        values of its output constraints.
    decision : "argmax" | "argmin"
        The decision rule without a property.
    max_regions, region_time : bounds of the region enumeration used by the
        ``vertices``/``facets``/``ties`` strategies (default 2000 regions and
        ``min(10 s, 30% of time_limit)``); an incomplete enumeration is fine: the
        regions found are used and exact projections cover the rest.
    partition : Partition, optional
        Regions already enumerated over ``domain`` (single-domain runs).
    per_anchor : int
        Float inputs evaluated next to each exact anchor.
    max_kept : int
        Flips kept (per kind) with full detail; all are counted.
    model_path : path, optional
        The model file, so that ``onnxruntime`` runs the original ONNX file.

    Returns
    -------
    CrossCheckReport

    Raises
    ------
    ExactReluError (DomainError, PropertyError, PointError, BackendUnavailableError)
        Bad domain/property, unknown strategy or backend, backend not installed.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    strategies = _check_arguments(strategies, points, decision)
    domains, fixed, free_net, decision = _domains_of(net, domain, prop, decision)
    be = make_backend(backend, net, model_path)
    _check_fixed_inputs(be, fixed)
    report = CrossCheckReport(
        network=net.name, n_inputs=net.n_inputs, n_outputs=net.n_outputs, n_relu=net.n_relu,
        backend=be.name, dtype=be.dtype.name, backend_description=be.description, decision=decision,
        domains=list(domains), fixed_inputs=fixed, free_inputs=[i for i in range(net.n_inputs) if i not in fixed],
        points_budget=points, seed=seed, strategies={s: StrategyStats() for s in strategies},
        patterns_compared=be.has_patterns, weight_change=be.weight_change)
    rng = np.random.default_rng(seed)
    parts: list = [None] * len(domains)
    if any(s in strategies for s in ("vertices", "facets", "ties")) and (max_regions is None or max_regions > 0):
        parts = _partitions(free_net, domains, partition, max_regions, region_time, time_limit, report)
    report.partitions = [p for p in parts if p is not None]
    ctxs = [SearchContext(D, P) for D, P in zip(domains, parts)]
    search = Search(net, free_net, ctxs, be, prop, decision, rng, per_anchor, max_kept, report, deadline)
    run_search(search, strategies, points)
    report.seconds = time.perf_counter() - t0
    if report.points_tried == 0 and report.stopped_by is None:
        raise PointError(f"no {be.dtype.name} input was found inside the domain (is it narrower than the "
                         f"{be.dtype.name} spacing?); nothing to cross-check")
    return report


def _check_arguments(strategies: Sequence[str], points: Any, decision: str) -> tuple[str, ...]:
    """The strategies, normalised; refuses unknown strategies, a bad budget or decision rule."""
    strategies = tuple(dict.fromkeys(str(s).lower() for s in strategies))
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or not strategies:
        raise UsageError(f"unknown strategy {bad[0] if bad else '(none)'}; choose from {', '.join(STRATEGIES)}")
    if not isinstance(points, int) or points < 1:
        raise UsageError(f"points must be a positive integer, got {points!r}")
    if decision not in ("argmax", "argmin"):
        raise UsageError(f"decision must be 'argmax' or 'argmin', got {decision!r}")
    return strategies


def _domains_of(net: Network, domain: Polytope | None, prop: Any,
                decision: str) -> tuple[list[Polytope], dict[int, Fraction], Network, str]:
    """The input polytopes (over the free inputs), the fixed inputs, the network over the free
    inputs and the decision rule (``"property"`` with a property)."""
    fixed: dict[int, Fraction] = {}
    free_net = net
    if prop is not None:
        if prop.n_inputs != net.n_inputs or prop.n_outputs != net.n_outputs:
            raise PropertyError(f"the property has {prop.n_inputs} inputs and {prop.n_outputs} outputs, "
                                f"the network {net.n_inputs} and {net.n_outputs}")
        fixed = dict(prop.fixed_inputs)
        free_net = prop.restrict(net)
        domains = [domain] if domain is not None else prop.input_regions
        decision = "property"
    else:
        if domain is None:
            raise DomainError("crosscheck needs a domain (or a VNN-LIB property)")
        domains = [domain]
    for D in domains:
        if D.dim != free_net.n_inputs:
            raise DomainError(f"domain has dimension {D.dim}, the network has {free_net.n_inputs} (free) inputs")
    return list(domains), fixed, free_net, decision


def _check_fixed_inputs(be: FloatBackend, fixed: dict[int, Fraction]) -> None:
    """Refuse fixed inputs the backend's dtype cannot hold (the float run would see other points)."""
    for i, v in fixed.items():
        fv = be.dtype.type(float(v))
        if Fraction(float(fv)) != v:
            raise PointError(f"the property fixes input {i} to {format_rational(v)}, which is not a "
                             f"{be.dtype.name} value: the float run cannot see the same points")


def _partitions(free_net: Network, domains: list[Polytope], partition: Any, max_regions: int | None,
                region_time: float | None, time_limit: float | None, report: CrossCheckReport) -> list:
    """The (possibly incomplete) region partitions of the domains for the structural strategies;
    records what was found in ``report.regions``."""
    from ..regions.walk import enumerate_regions

    if partition is not None and len(domains) == 1:
        parts = [partition]
        seconds = 0.0
    else:
        budget = region_time
        if budget is None:
            budget = 10.0 if time_limit is None else min(10.0, 0.3 * float(time_limit))
        tr = time.perf_counter()
        parts = [enumerate_regions(free_net, D, max_regions=max_regions, time_limit=max(budget / len(domains), 0.01))
                 for D in domains]
        seconds = round(time.perf_counter() - tr, 3)
    report.regions = {"found": sum(len(p.regions) for p in parts),
                      "complete": all(p.complete for p in parts), "seconds": seconds}
    return parts
