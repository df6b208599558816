"""Re-checking counterexamples of float verifiers exactly (:func:`recheck_counterexample`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ..domain.polytope import Polytope
from ..errors import PropertyError
from ..model.network import Network
from ..numbers.rationals import format_rational, to_float
from .results import format_point
from .exact import ZERO

__all__ = ["RecheckResult", "holds_disjuncts", "recheck_counterexample", "region_violation"]


@dataclass
class RecheckResult:
    """Whether a claimed counterexample is real, decided exactly.

    ``is_counterexample``: the input lies in the property's input region (fixed inputs
    included) and the exact outputs satisfy some disjunct's output constraints.
    ``margin``: for the best disjunct whose region holds the input, the smallest slack
    ``b - (a.x + c.y)`` of its constraints (>= 0 where they hold; None outside all
    regions). ``outputs_match``: the claimed outputs equal the exact ones (None if the
    file gives none); ``max_output_error`` their largest difference.
    """

    is_counterexample: bool
    in_input_region: bool
    input_violation: Fraction
    input: tuple[Fraction, ...]
    exact_output: tuple[Fraction, ...]
    claimed_output: tuple[Fraction, ...] | None
    outputs_match: bool | None
    max_output_error: Fraction | None
    claimed_is_counterexample: bool | None
    violated_disjuncts: list
    margin: Fraction | None
    float32_output: tuple[Fraction, ...] | None = None
    float32_is_counterexample: bool | None = None
    status: str | None = None
    source: str = ""

    def summary(self) -> str:
        lines = [
            f"real counterexample: {'YES' if self.is_counterexample else 'NO'}",
            f"input inside the property's input region: {'yes' if self.in_input_region else 'no'}"
            + ("" if self.in_input_region else f" (outside by {format_rational(self.input_violation)}"
               f" ~ {to_float(self.input_violation):.3g})"),
        ]
        if self.margin is not None:
            lines.append(f"exact margin of the output constraints: {format_rational(self.margin)} "
                         f"(~ {to_float(self.margin):.6g}; >= 0 means violated)")
        if self.claimed_output is None:
            lines.append("claimed outputs: not given in the file")
        else:
            lines.append(f"claimed outputs match the exact ones: {'yes' if self.outputs_match else 'no'}"
                         + ("" if self.outputs_match else
                            f" (largest difference {format_rational(self.max_output_error)}"
                            f" ~ {to_float(self.max_output_error):.3g})"))
            lines.append(f"claimed outputs would make it a counterexample: "
                         f"{'yes' if self.claimed_is_counterexample else 'no'}")
        if self.float32_is_counterexample is not None:
            lines.append(f"float32 (numpy) evaluation says counterexample: "
                         f"{'yes' if self.float32_is_counterexample else 'no'}")
        lines.append("input:        " + " ".join(format_point(self.input)))
        lines.append("exact output: " + " ".join(format_point(self.exact_output)))
        if self.claimed_output is not None:
            lines.append("claimed:      " + " ".join(format_point(self.claimed_output)))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        def opt(v):
            return None if v is None else format_rational(v)

        return {
            "is_counterexample": self.is_counterexample,
            "in_input_region": self.in_input_region,
            "input_violation": format_rational(self.input_violation),
            "input": format_point(self.input),
            "exact_output": format_point(self.exact_output),
            "claimed_output": None if self.claimed_output is None else format_point(self.claimed_output),
            "outputs_match": self.outputs_match,
            "max_output_error": opt(self.max_output_error),
            "claimed_is_counterexample": self.claimed_is_counterexample,
            "violated_disjuncts": self.violated_disjuncts,
            "margin": opt(self.margin),
            "float32_output": None if self.float32_output is None else format_point(self.float32_output),
            "float32_is_counterexample": self.float32_is_counterexample,
            "status": self.status,
            "source": self.source,
        }


def region_violation(D: Polytope, u: Sequence[Fraction]) -> Fraction:
    """How far ``u`` is outside ``D``: the largest exact violation of a constraint (0 inside)."""
    worst = ZERO
    for a, b in zip(D.A, D.b):
        s = sum(ai * xi for ai, xi in zip(a, u)) - b
        if s > worst:
            worst = s
    return worst


def holds_disjuncts(prop, u, y) -> tuple[list[int], Fraction | None]:
    """The disjuncts of ``prop`` that hold at input ``u`` and output ``y``, and the largest over the
    disjuncts whose input region contains ``u`` of their smallest constraint slack."""
    hits = []
    margin = None
    for k, disj in enumerate(prop.disjuncts):
        if not disj.input_region.contains(u):
            continue
        slack = None
        ok = True
        for atom in disj.constraints:
            lhs = sum(ai * xi for ai, xi in zip(atom.a, u)) + sum(ci * yi for ci, yi in zip(atom.c, y))
            s = atom.b - lhs
            slack = s if slack is None or s < slack else slack
            ok = ok and atom.holds(u, y)
        if slack is None:
            slack = ZERO
        margin = slack if margin is None or slack > margin else margin
        if ok:
            hits.append(k)
    return hits, margin


def recheck_counterexample(net: Network, prop, source: Any) -> RecheckResult:
    """Re-check a float verifier's counterexample exactly.

    Parameters
    ----------
    net : Network
    prop : Property (from :func:`exactrelu.domain.vnnlib.load_vnnlib`)
    source : path, text, bytes or :class:`exactrelu.domain.cex.Counterexample`

    Raises
    ------
    CounterexampleFormatError
        Unusable file (malformed, NaN/inf, missing or extra variables, ``unsat``).
    PropertyError
        The property does not fit the network.
    """
    from ..domain.cex import Counterexample, load_counterexample
    from ..model.evaluation import evaluate, evaluate_float
    from ..numbers.rationals import is_float32_exact

    if prop.n_inputs != net.n_inputs or prop.n_outputs != net.n_outputs:
        raise PropertyError(f"the property has {prop.n_inputs} inputs and {prop.n_outputs} outputs, "
                            f"the network {net.n_inputs} and {net.n_outputs}")
    cex = source if isinstance(source, Counterexample) else load_counterexample(source)
    x = cex.input_vector(net.n_inputs)
    claimed = cex.output_vector(net.n_outputs)
    y = evaluate(net, x)
    fixed = prop.fixed_inputs
    u = tuple(x[i] for i in range(net.n_inputs) if i not in fixed)
    fixed_gap = max((abs(x[i] - v) for i, v in fixed.items()), default=ZERO)
    regions = prop.input_regions
    violation = min(region_violation(D, u) for D in regions)
    violation = max(violation, fixed_gap)
    in_region = violation == 0
    hits, margin = holds_disjuncts(prop, u, y) if fixed_gap == 0 else ([], None)
    is_cex = in_region and bool(hits)
    match = err = claimed_cex = None
    if claimed is not None:
        err = max(abs(a - b) for a, b in zip(y, claimed))
        match = err == 0
        claimed_cex = in_region and bool(holds_disjuncts(prop, u, claimed)[0]) if fixed_gap == 0 else False
    f32 = f32_cex = None
    if all(is_float32_exact(v) for v in x):
        yf = evaluate_float(net, [[float(v) for v in x]], dtype="float32")[0]
        if np.all(np.isfinite(yf)):
            f32 = tuple(Fraction(v) for v in yf.astype(np.float64).tolist())
            f32_cex = in_region and bool(holds_disjuncts(prop, u, f32)[0]) if fixed_gap == 0 else False
    return RecheckResult(is_cex, in_region, violation, x, y, claimed, match, err, claimed_cex, hits, margin,
                         f32, f32_cex, cex.status, cex.source)
