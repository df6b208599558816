"""Exact equivalence of two networks on a domain, with a certificate.

Both networks are composed into one *difference network* ``J(x) = A(x) - B(x)``
(:func:`difference_network`: A's layers, then B's layers reading the same input, then an
identity layer ``[I, -I]``). ``A == B`` on the domain iff ``J``'s affine map is zero on
every linear region of ``J``. The certificate (claim ``"equivalence"``) embeds A, B and
J's splitting tree; the checker rebuilds J from A and B itself and checks that each
leaf's recomputed output map is identically zero. A difference is reported with an exact
input where the outputs differ (re-evaluated on both networks).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> a = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])        # |x|
>>> b = mlp(1, [([[2], [1]], [0, 0]), ([[1, -1]], [0])])        # relu(2x) - relu(x) ... not |x|
>>> res = equivalent(a, b, box([-1], [1]))
>>> res.equivalent, [str(v) for v in res.counterexample]
(False, ['-1/2'])
>>> equivalent(a, a, box([-1], [1])).equivalent
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..domain.polytope import Polytope
from ..errors import ModelError
from ..model.evaluation import evaluate
from ..model.network import Activation, Layer, Network
from ..numbers.rationals import format_vector
from ..regions.walk import Partition, enumerate_regions

__all__ = ["difference_network", "EquivalenceResult", "equivalent", "equivalence_certificate"]


def difference_network(a: Network, b: Network) -> Network:
    """The network ``x -> a(x) - b(x)`` (same inputs and output size required)."""
    if a.n_inputs != b.n_inputs:
        raise ModelError(f"the networks have {a.n_inputs} and {b.n_inputs} inputs")
    if a.n_outputs != b.n_outputs:
        raise ModelError(f"the networks have {a.n_outputs} and {b.n_outputs} outputs")
    La = len(a.layers)
    layers = list(a.layers)
    for layer in b.layers:
        inputs = tuple((s if s == 0 else s + La, w) for s, w in layer.inputs)
        layers.append(Layer(inputs, layer.bias, layer.activation, layer.name))
    m = a.n_outputs
    eye = tuple(tuple(Fraction(int(i == j)) for j in range(m)) for i in range(m))
    neg = tuple(tuple(-v for v in row) for row in eye)
    layers.append(Layer(((La, eye), (La + len(b.layers), neg)), tuple(Fraction(0) for _ in range(m)),
                        Activation.IDENTITY, "difference"))
    return Network(a.n_inputs, tuple(layers), a.input_names, (), "difference")


@dataclass
class EquivalenceResult:
    """``equivalent`` is True (proved), False (``counterexample`` where they differ) or None
    (a limit stopped the search). ``partition`` is the difference network's partition."""

    equivalent: bool | None
    counterexample: tuple[Fraction, ...] | None = None
    outputs: tuple[tuple[Fraction, ...], tuple[Fraction, ...]] | None = None
    partition: Partition | None = None
    regions_checked: int = 0
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)


def equivalent(a: Network, b: Network, domain: Polytope, *, max_regions: int | None = None,
               time_limit: float | None = None, progress=None) -> EquivalenceResult:
    """Decide exactly whether ``a`` and ``b`` agree everywhere on ``domain``."""
    import time

    t0 = time.perf_counter()
    J = difference_network(a, b)
    part = enumerate_regions(J, domain, max_regions=max_regions, time_limit=time_limit, progress=progress)
    for reg in part.regions:
        C, d = reg.affine_map
        if any(any(row) for row in C) or any(d):
            x = _differing_point(reg)
            ya, yb = evaluate(a, x), evaluate(b, x)
            if ya == yb:  # pragma: no cover - the map is non-zero, so one of the tried points differs
                raise RuntimeError("internal error: no differing point found on a non-zero region")
            return EquivalenceResult(False, x, (ya, yb), part, reg.index + 1, time.perf_counter() - t0)
    ok: bool | None = True if part.complete else None
    return EquivalenceResult(ok, None, None, part, len(part.regions), time.perf_counter() - t0, part.stats)


def _differing_point(reg) -> tuple[Fraction, ...]:
    C, d = reg.affine_map
    for x in [reg.witness] + reg.vertices:
        if any(sum(c * xi for c, xi in zip(row, x)) + di for row, di in zip(C, d)):
            return tuple(x)
    return tuple(reg.witness)  # pragma: no cover


def equivalence_certificate(a: Network, b: Network, domain: Polytope, result: EquivalenceResult | None = None,
                            **limits: Any) -> dict[str, Any]:
    """Certificate (claim ``"equivalence"``) that ``a == b`` on ``domain``.

    Raises :class:`~exactrelu.errors.ExactReluError` if they differ or the run is incomplete.
    """
    from ..certificate.partition import partition_certificate
    from ..errors import NoCertificateError
    from ..io.native_json import network_to_dict

    res = result if result is not None else equivalent(a, b, domain, **limits)
    if res.equivalent is not True:
        if res.equivalent is False:
            raise NoCertificateError("the networks differ; there is no equivalence certificate "
                                 f"(they differ at {format_vector(res.counterexample)})")
        raise NoCertificateError("equivalence was not decided within the limits")
    cert = partition_certificate(res.partition, adjacency=False)
    cert["claim"] = "equivalence"
    cert["network_a"] = network_to_dict(a)
    cert["network_b"] = network_to_dict(b)
    return cert
