"""The results of a cross-check: :class:`Flip`, :class:`StrategyStats`, :class:`CrossCheckReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

from ..numbers.rationals import format_rational, format_vector
from .exact import ZERO

__all__ = ["CrossCheckReport", "Flip", "STRATEGIES", "StrategyStats", "dec_json", "format_point"]


STRATEGIES = ("random", "vertices", "facets", "ties")


def format_point(v: Sequence[Fraction]) -> list[str]:
    """A point as a list of exact ``p/q`` strings."""
    return format_vector(v)


@dataclass
class Flip:
    """One disagreement between the float run and the exact network at one input.

    ``input`` is the exact (float-representable) full network input; ``float_output`` the
    exact values of the float outputs. For pattern flips ``units`` lists
    ``(unit, layer, index, exact pre-activation, float pre-activation)``.
    """

    kind: str
    strategy: str
    input: tuple[Fraction, ...]
    exact_output: tuple[Fraction, ...]
    float_output: tuple[Fraction, ...]
    abs_error: Fraction
    exact_pattern: str
    float_pattern: str | None
    exact_decision: Any
    float_decision: Any
    units: list = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "kind": self.kind,
            "strategy": self.strategy,
            "input": format_point(self.input),
            "input_float": [repr(float(v)) for v in self.input],
            "exact_output": format_point(self.exact_output),
            "float_output": format_point(self.float_output),
            "float_output_decimal": [repr(float(v)) for v in self.float_output],
            "abs_error": format_rational(self.abs_error),
            "exact_decision": dec_json(self.exact_decision),
            "float_decision": dec_json(self.float_decision),
            "exact_pattern": self.exact_pattern,
            "float_pattern": self.float_pattern,
        }
        if self.units:
            d["units"] = [{"unit": u, "layer": k, "index": j, "exact_pre": format_rational(e), "float_pre": repr(f)}
                          for u, k, j, e, f in self.units]
        return d


def dec_json(dec: Any) -> Any:
    """A decision as JSON: ``(constraint truth values, counterexample flag)`` of a property as an
    object, anything else (an output index, None) as it is."""
    if isinstance(dec, tuple) and len(dec) == 2 and isinstance(dec[0], tuple):
        return {"constraints": list(dec[0]), "counterexample": dec[1]}
    return dec


@dataclass
class StrategyStats:
    """Per-strategy counts: inputs evaluated, anchors used, disagreements found."""

    tried: int = 0
    anchors: int = 0
    pattern_flips: int = 0
    decision_flips: int = 0
    verdict_flips: int = 0
    points_with_flips: int = 0
    exhausted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"tried": self.tried, "anchors": self.anchors, "pattern_flips": self.pattern_flips,
                "decision_flips": self.decision_flips, "verdict_flips": self.verdict_flips,
                "points_with_flips": self.points_with_flips, "exhausted": self.exhausted}


@dataclass
class CrossCheckReport:
    """The result of :func:`crosscheck` (exact errors as Fractions; see ``to_dict``)."""

    network: str
    n_inputs: int
    n_outputs: int
    n_relu: int
    backend: str
    dtype: str
    backend_description: str
    decision: str
    domains: list
    fixed_inputs: dict
    free_inputs: list
    points_budget: int
    seed: int
    strategies: dict
    points_tried: int = 0
    seconds: float = 0.0
    stopped_by: str | None = None
    max_abs_error: Fraction = ZERO
    max_abs_error_at: Flip | None = None
    max_rel_error: Fraction | None = None
    max_rel_error_at: Flip | None = None
    n_pattern_flips: int = 0
    n_decision_flips: int = 0
    n_verdict_flips: int = 0
    n_nonfinite: int = 0
    pattern_flips: list = field(default_factory=list)
    decision_flips: list = field(default_factory=list)
    patterns_compared: bool = True
    weight_change: Fraction | None = None
    regions: dict | None = None
    partitions: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        def at(f: Flip | None):
            if f is None:
                return None
            return {"input": format_point(f.input), "exact_output": format_point(f.exact_output),
                    "float_output": format_point(f.float_output), "strategy": f.strategy}

        return {
            "network": self.network,
            "inputs": self.n_inputs,
            "outputs": self.n_outputs,
            "relu_units": self.n_relu,
            "backend": self.backend,
            "dtype": self.dtype,
            "backend_description": self.backend_description,
            "decision": self.decision,
            "domain": [{"lower": format_point(D.lower), "upper": format_point(D.upper), "is_box": D.is_box} for D in self.domains],
            "free_inputs": self.free_inputs,
            "fixed_inputs": {str(i): format_rational(v) for i, v in self.fixed_inputs.items()},
            "seed": self.seed,
            "points_budget": self.points_budget,
            "points_tried": self.points_tried,
            "seconds": round(self.seconds, 3),
            "stopped_by": self.stopped_by,
            "strategies": {k: v.to_dict() for k, v in self.strategies.items()},
            "max_abs_error": format_rational(self.max_abs_error),
            "max_abs_error_float": float(self.max_abs_error),
            "max_abs_error_at": at(self.max_abs_error_at),
            "max_rel_error": None if self.max_rel_error is None else format_rational(self.max_rel_error),
            "max_rel_error_float": None if self.max_rel_error is None else float(self.max_rel_error),
            "max_rel_error_at": at(self.max_rel_error_at),
            "weight_rounding_error": None if self.weight_change is None else format_rational(self.weight_change),
            "patterns_compared": self.patterns_compared,
            "n_pattern_flips": self.n_pattern_flips,
            "n_decision_flips": self.n_decision_flips,
            "n_verdict_flips": self.n_verdict_flips,
            "n_nonfinite": self.n_nonfinite,
            "pattern_flips": [f.to_dict() for f in self.pattern_flips],
            "decision_flips": [f.to_dict() for f in self.decision_flips],
            "regions": self.regions,
        }
