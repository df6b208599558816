"""Exact output bounds over a domain, with arg-max witnesses and a certificate.

On each linear region the output is affine, so its extremes over the region are attained
at the region's exact vertices; the global minimum and maximum over the domain are the
extremes over all regions. The certificate (claim ``"bounds"``) adds, for every leaf and
every bounded output, Farkas vectors proving ``y_k - max_k <= 0`` and ``min_k - y_k <= 0``
on the leaf, and the arg-max/arg-min points, which the checker re-evaluates exactly.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> res = output_bounds(mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], ["-1/2"])]), box([-1], [2]))
>>> [(str(b.min), str(b.max)) for b in res.outputs]
[('-1/2', '3/2')]
>>> [str(v) for v in res.outputs[0].argmax], [str(v) for v in res.outputs[0].argmin]
(['2'], ['0'])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

from ..domain.polytope import Polytope
from ..errors import LimitReached, NoCertificateError, UsageError
from ..regions.evidence import max_over_region, min_over_region, prove_le
from ..regions.gcpause import gc_paused
from ..model.network import Network
from ..numbers.rationals import format_rational, format_vector
from ..regions.walk import Partition, enumerate_regions

__all__ = ["OutputBound", "BoundsResult", "output_bounds", "bounds_certificate"]


@dataclass
class OutputBound:
    output: int
    min: Fraction
    max: Fraction
    argmin: tuple[Fraction, ...]
    argmax: tuple[Fraction, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"output": self.output, "min": format_rational(self.min), "max": format_rational(self.max),
                "argmin": format_vector(self.argmin), "argmax": format_vector(self.argmax)}


@dataclass
class BoundsResult:
    outputs: list[OutputBound]
    partition: Partition
    seconds: float
    proofs: dict = field(default_factory=dict)  # (node, output) -> (max multipliers, min multipliers)

    def to_dict(self) -> dict[str, Any]:
        return {"outputs": [b.to_dict() for b in self.outputs], "regions": len(self.partition.regions),
                "complete": self.partition.complete, "seconds": round(self.seconds, 4)}


@gc_paused()
def output_bounds(net: Network, domain: Polytope, outputs: Sequence[int] | None = None, *,
                  certify: bool = True, max_regions: int | None = None, time_limit: float | None = None,
                  progress=None, executor=None) -> BoundsResult:
    """Exact min and max of the chosen outputs (default: all) over ``domain``.

    ``executor`` (see :mod:`exactrelu.scale.executor`) runs the walk and the per-region work in
    parallel; the result and the certificate are the same as the serial run's.

    Raises :class:`~exactrelu.errors.LimitReached` if a limit stops the enumeration (a
    partial enumeration proves no bound).
    """
    t0 = time.perf_counter()
    ks = list(range(net.n_outputs)) if outputs is None else list(outputs)
    for k in ks:
        if not 0 <= k < net.n_outputs:
            raise UsageError(f"output {k} does not exist (the network has {net.n_outputs})")
    params = {"outputs": ks, "certify": certify}
    if executor is None:
        part = enumerate_regions(net, domain, max_regions=max_regions, time_limit=time_limit, progress=progress)
        _, leaf = bounds_hooks(net, params)
        per_leaf = {reg.node: leaf(reg) for reg in part.regions} if part.complete else {}
    else:
        from ..scale.parallel import parallel_walk

        out = parallel_walk(net, domain, executor, mode="objects", max_regions=max_regions, time_limit=time_limit,
                            progress=progress, hooks="exactrelu.verify.bounds:bounds_hooks", params=params)
        part, per_leaf = out.partition, out.payloads  # type: ignore[assignment]
    if not part.complete:
        raise LimitReached(f"bounds need every region; stopped by {part.stopped_by} after "
                           f"{len(part.regions)} regions")
    best: dict[int, list] = {}
    proofs = {}
    for reg in part.regions:  # preorder: the first region attaining an extreme gives its witness
        for k, (lo, vlo, hi, vhi, ymax, ymin) in zip(ks, per_leaf[reg.node]):
            b = best.get(k)
            if b is None:
                best[k] = [lo, vlo, hi, vhi]
            else:
                if lo < b[0]:
                    b[0], b[1] = lo, vlo
                if hi > b[2]:
                    b[2], b[3] = hi, vhi
            if certify:
                proofs[(reg.node, k)] = (ymax, ymin)
    res = [OutputBound(k, best[k][0], best[k][2], tuple(best[k][1]), tuple(best[k][3])) for k in ks]
    return BoundsResult(res, part, time.perf_counter() - t0, proofs)


def bounds_hooks(net: Network, params: dict):
    """Per-region work of :func:`output_bounds` (a walk hook, see :mod:`exactrelu.scale.worker`).

    For each output: the region's own exact min and max with attaining vertices and, with
    ``certify``, Farkas vectors proving them on the region. A proof of ``y_k <= M_R`` on a
    region R also proves ``y_k <= max_k`` for the global ``max_k >= M_R`` (the Farkas
    constant only decreases), so the per-region proofs serve the global bounds.
    """
    ks, certify = params["outputs"], params["certify"]

    def leaf(reg):
        C, d = reg.affine_map
        out = []
        for k in ks:
            hi, vhi = max_over_region(reg, C[k], d[k])
            lo, vlo = min_over_region(reg, C[k], d[k])
            ymax = ymin = None
            if certify:
                ymax = prove_le(reg, C[k], d[k] - hi)
                ymin = prove_le(reg, [-c for c in C[k]], lo - d[k])
                if ymax is None or ymin is None:  # pragma: no cover - the bounds are the region extremes
                    raise RuntimeError("internal error: bound not provable on a region")
            out.append((lo, vlo, hi, vhi, ymax, ymin))
        return out

    return None, leaf


@gc_paused()
def bounds_certificate(result: BoundsResult) -> dict[str, Any]:
    """Certificate (claim ``"bounds"``): the partition, the bounds and per-leaf Farkas proofs."""
    from ..certificate.partition import format_multipliers, partition_certificate

    if not result.proofs:
        raise NoCertificateError("the bounds were computed with certify=False")
    cert = partition_certificate(result.partition, adjacency=False)
    cert["claim"] = "bounds"
    cert["bounds"] = [b.to_dict() for b in result.outputs]
    cert["proofs"] = [{"node": node, "output": k, "max": format_multipliers(ymax), "min": format_multipliers(ymin)}
                      for (node, k), (ymax, ymin) in sorted(result.proofs.items())]
    return cert
