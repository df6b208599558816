"""Stable units and lossless compression, certified by an equivalence certificate.

A ReLU unit is *stably inactive* on a domain when its pre-activation is ``<= 0`` on every
linear region (its output is always 0: the unit is removed) and *stably active* when it is
``>= 0`` everywhere (``relu(z) = z``: the unit is folded into every layer that reads it,
which may add skip connections). A layer whose units all go disappears. The result is
checked against the original with :func:`exactrelu.verify.equivalence.equivalent`, and the
certificate of that equivalence is the proof that nothing was lost.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> net = mlp(1, [([[1], [1], [-1]], [2, 0, -5]), ([[1, 1, 1]], [0])])  # x+2 > 0 and -x-5 < 0 on [-1,1]
>>> res = compress(net, box([-1], [1]))
>>> res.removed, res.compressed.widths
({1: {'active': [0], 'inactive': [2]}}, (1, 1))
>>> res.equivalent
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..domain.polytope import Polytope
from .equivalence import EquivalenceResult, equivalence_certificate, equivalent
from ..errors import InternalError, LimitReached
from ..model.network import Layer, Network
from ..regions.walk import enumerate_regions

__all__ = ["stable_units", "remove_stable_units", "CompressionResult", "compress"]


def stable_units(net: Network, domain: Polytope, *, max_regions: int | None = None,
                 time_limit: float | None = None) -> dict[int, str]:
    """``{unit: "active" | "inactive"}`` for every ReLU unit with one sign on the domain.

    Exact: taken from the activation bits of every linear region (a bit is 1 only where
    the pre-activation is >= 0 on the whole region, 0 where it is <= 0).
    """
    part = enumerate_regions(net, domain, max_regions=max_regions, time_limit=time_limit)
    if not part.complete:
        raise LimitReached(f"stable units need every region; stopped by {part.stopped_by}")
    pats = [r.pattern for r in part.regions]
    out = {}
    for u in range(net.n_relu):
        bits = {p[u] for p in pats}
        if bits == {"0"}:
            out[u] = "inactive"
        elif bits == {"1"}:
            out[u] = "active"
    return out


def remove_stable_units(net: Network, stable: dict[int, str]) -> Network:
    """Remove inactive units and fold active ones into their consumers (exact algebra).

    The result equals ``net`` wherever the units have the stated signs.
    """
    L = len(net.layers)
    units = net.relu_units
    # mutable copy: per layer, inputs {source: rows}
    ml = [{"act": lay.activation, "bias": list(lay.bias), "name": lay.name,
           "inputs": {s: [list(r) for r in w] for s, w in lay.inputs}} for lay in net.layers]
    width = [net.n_inputs] + [lay.width for lay in net.layers]
    drop: dict[int, set[int]] = {}
    for u, kind in sorted(stable.items()):
        k, j = units[u]
        drop.setdefault(k, set()).add(j)
    for k in range(1, L + 1):
        if k not in drop:
            continue
        for j in sorted(drop[k]):
            kind = stable[net.relu_offset(k) + j]
            for c in range(k + 1, L + 1):
                W = ml[c - 1]["inputs"].get(k)
                if W is None:
                    continue
                col = [row[j] for row in W]
                if kind == "active" and any(col):
                    for s, Ws in ml[k - 1]["inputs"].items():
                        tgt = ml[c - 1]["inputs"].setdefault(s, [[Fraction(0)] * width[s] for _ in range(width[c])])
                        src_row = Ws[j]
                        for r, cr in enumerate(col):
                            if cr:
                                tr = tgt[r]
                                for t, v in enumerate(src_row):
                                    if v:
                                        tr[t] += cr * v
                    bk = ml[k - 1]["bias"][j]
                    for r, cr in enumerate(col):
                        ml[c - 1]["bias"][r] += cr * bk
                for row in W:
                    row[j] = Fraction(0)
    # compact: drop units, then empty layers, then zero matrices; renumber sources
    keep = {k: [j for j in range(width[k]) if j not in drop.get(k, set())] for k in range(1, L + 1)}
    keep[0] = list(range(net.n_inputs))
    new_index: dict[int, int] = {0: 0}
    layers: list[Layer] = []
    for k in range(1, L + 1):
        rows_kept = keep[k]
        if not rows_kept:
            continue
        inputs = []
        for s in sorted(ml[k - 1]["inputs"]):
            if s not in new_index:
                continue
            W = ml[k - 1]["inputs"][s]
            cols = keep[s]
            M = tuple(tuple(W[r][t] for t in cols) for r in rows_kept)
            if any(any(row) for row in M):
                inputs.append((new_index[s], M))
        if not inputs:  # a layer reading nothing: keep a zero weight from the input so it stays valid
            inputs.append((0, tuple(tuple(Fraction(0) for _ in range(net.n_inputs)) for _ in rows_kept)))
        bias = tuple(ml[k - 1]["bias"][r] for r in rows_kept)
        layers.append(Layer(tuple(inputs), bias, ml[k - 1]["act"], ml[k - 1]["name"]))
        new_index[k] = len(layers)
    if L not in new_index:
        raise InternalError("internal error: the output layer was removed")  # pragma: no cover
    return Network(net.n_inputs, tuple(layers), net.input_names, net.output_names, net.name)


@dataclass
class CompressionResult:
    """``compressed`` equals ``original`` on the domain (``equivalent`` True when proved)."""

    original: Network
    compressed: Network
    stable: dict[int, str]
    removed: dict[int, dict[str, list[int]]]
    equivalent: bool | None
    check: EquivalenceResult | None = None
    domain: Polytope | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "units_before": self.original.n_relu,
            "units_after": self.compressed.n_relu,
            "layers_before": len(self.original.layers),
            "layers_after": len(self.compressed.layers),
            "removed_per_layer": {str(k): {kk: len(v) for kk, v in d.items()} for k, d in self.removed.items()},
            "equivalent": self.equivalent,
        }

    def certificate(self) -> dict[str, Any]:
        """The equivalence certificate original == compressed on the domain."""
        return equivalence_certificate(self.original, self.compressed, self.domain, self.check)


def compress(net: Network, domain: Polytope, *, certify: bool = True, max_regions: int | None = None,
             time_limit: float | None = None) -> CompressionResult:
    """Find stable units exactly, remove them, and prove the result equivalent."""
    stable = stable_units(net, domain, max_regions=max_regions, time_limit=time_limit)
    small = remove_stable_units(net, stable)
    removed: dict[int, dict[str, list[int]]] = {}
    for u, kind in sorted(stable.items()):
        k, j = net.relu_units[u]
        removed.setdefault(k, {"active": [], "inactive": []})[kind].append(j)
    removed = {k: {kk: v for kk, v in d.items() if v} for k, d in removed.items()}
    check = None
    ok: bool | None = None
    if certify:
        check = equivalent(net, small, domain, max_regions=None if max_regions is None else 4 * max_regions,
                           time_limit=time_limit)
        ok = check.equivalent
        if ok is False:  # pragma: no cover - would be a bug in remove_stable_units
            raise InternalError("internal error: the compressed network differs from the original")
    return CompressionResult(net, small, stable, removed, ok, check, domain)
