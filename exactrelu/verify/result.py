"""The result of a property verification (:func:`exactrelu.verify.property.verify`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..numbers.rationals import format_vector
from ..outcome import Verdict
from ..scale.stats import VerificationStats

__all__ = ["VerificationResult", "EXIT_CODES"]

EXIT_CODES = {Verdict.HOLDS: 0, Verdict.VIOLATED: 10, Verdict.UNKNOWN: 20}  # of ``exactrelu verify``


@dataclass
class VerificationResult:
    """Outcome of :func:`verify`.

    ``counterexample`` is the full input (exact), ``exact_output`` the exact network output
    there, ``float_output`` the float64 output and ``float_confirms`` whether float64
    arithmetic also sees a counterexample there.
    """

    verdict: Verdict
    counterexample: tuple[Fraction, ...] | None = None
    exact_output: tuple[Fraction, ...] | None = None
    float_output: list[float] | None = None
    float_confirms: bool | None = None
    found_by: str | None = None
    partitions: list = field(default_factory=list)  # [(input index, Partition, proofs)]
    regions: int = 0
    seconds: float = 0.0
    reason: str = ""
    stats: VerificationStats = field(default_factory=VerificationStats)  # regions, nodes, pruned cells, prune attempts / seconds

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"verdict": self.verdict, "regions": self.regions, "seconds": round(self.seconds, 4)}
        if self.counterexample is not None:
            d["counterexample"] = format_vector(self.counterexample)
            d["exact_output"] = format_vector(self.exact_output)
            d["float_output"] = self.float_output
            d["float_confirms"] = self.float_confirms
            d["found_by"] = self.found_by
        if self.reason:
            d["reason"] = self.reason
        if self.stats.pruned:
            d["pruned_cells"] = self.stats.pruned
        return d
