"""Certificates: the JSON evidence that :mod:`exactrelu.checker` re-verifies.

The format is specified in ``proofs/certificate-format.md``. This module only *writes*
certificates; reading and judging them is the checker's job, which shares no code with
the rest of exactrelu.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> part = enumerate_regions(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1]))
>>> cert = partition_certificate(part)
>>> cert["claim"], len(cert["regions"]), cert["complete"]
('partition', 2, True)
"""

from __future__ import annotations

import gzip
import json
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

from ..errors import UsageError
from ..regions.gcpause import gc_paused
from ..graph.region_graph import Adjacency, adjacencies
from ..io.native_json import network_to_dict
from ..numbers.rationals import format_multipliers, format_vector, int_str
from ..regions.walk import Partition

__all__ = ["FORMAT", "VERSION", "partition_certificate", "write_certificate", "format_multipliers",
           "vertex_basis_multipliers"]

FORMAT = "exactrelu-certificate"
VERSION = 1


def vertex_basis_multipliers(A: "list[list[Fraction]]", q: "list[Fraction]", basis: "list[int]") -> dict[int, Fraction]:
    """The Farkas vector that a vertex basis ``[i, j]`` stands for (2-D): the ``y_i, y_j``
    with ``y_i A[i] + y_j A[j] = q``, by Cramer's rule (the checker's recovery, written in
    Fractions for reading; proofs/rules/stable-farkas.md).

    >>> from fractions import Fraction as F
    >>> A = [[F(1), F(0)], [F(-1), F(0)], [F(0), F(1)], [F(0), F(-1)]]
    >>> vertex_basis_multipliers(A, [F(-1, 8), F(0)], [1, 3])
    {1: Fraction(1, 8), 3: Fraction(0, 1)}
    """
    i, j = basis
    (a0, a1), (b0, b1) = A[i], A[j]
    det = a0 * b1 - b0 * a1
    if not det:
        raise ValueError(f"rows {i} and {j} are parallel: no vertex")
    return {i: Fraction(q[0] * b1 - q[1] * b0) / det, j: Fraction(a0 * q[1] - a1 * q[0]) / det}


def _node_json(nd) -> dict[str, Any]:
    d: dict[str, Any] = {"id": nd.id, "parent": nd.parent, "side": nd.side,
                         "decisions": list(nd.decisions),
                         "split": None}
    if nd.split is not None:
        sp = nd.split
        d["split"] = {"unit": sp["unit"], "pos": sp["pos"], "neg": sp["neg"],
                      "witness_pos": format_vector(sp["witness_pos"]),
                      "witness_neg": format_vector(sp["witness_neg"])}
    if nd.open:
        d["open"] = True
    return d


@gc_paused(long_lived=True)
def partition_certificate(partition: Partition, *, embed_network: bool = True,
                          network_path: str | None = None,
                          adjacency: list[Adjacency] | None | bool = True) -> dict[str, Any]:
    """The splitting-tree certificate of ``partition`` (proofs/certificate-format.md).

    Parameters
    ----------
    embed_network : embed the network JSON (default), or reference ``network_path``
        with its SHA-256.
    adjacency : True to compute and include adjacency evidence, a precomputed list, or
        False to leave it out.
    """
    net = partition.network
    cert: dict[str, Any] = {"format": FORMAT, "version": VERSION, "claim": "partition"}
    if embed_network:
        cert["network"] = network_to_dict(net)
    else:
        if network_path is None:
            raise UsageError("network_path is needed when the network is not embedded")
        cert["network_ref"] = {"path": str(network_path), "sha256": net.sha256()}
    cert["domain"] = partition.domain.to_dict()
    cert["root_witness"] = format_vector(partition.domain.interior_point)
    cert["complete"] = partition.complete
    cert["nodes"] = [_node_json(nd) for nd in partition.nodes]
    cert["regions"] = [
        {"node": r.node, "pattern": r.pattern,
         "C": [format_vector(row) for row in r.affine_map[0]], "d": format_vector(r.affine_map[1])}
        for r in partition.regions
    ]
    if adjacency is not False:
        adj = adjacencies(partition) if adjacency is True else adjacency
        nodes_of = [r.node for r in partition.regions]
        cert["adjacency"] = [
            {"a": nodes_of[e.i], "b": nodes_of[e.j], "hyperplane": [int_str(v) for v in e.hyperplane[:-1]] + [int_str(-e.hyperplane[-1])],
             "witness": format_vector(e.witness), "units": list(e.units)}
            for e in adj
        ]
    else:
        cert["adjacency"] = []
    return cert


def write_certificate(cert: dict[str, Any], path: "str | Path") -> None:
    """Write a certificate as JSON (gzip if the name ends in ``.gz``)."""
    text = json.dumps(cert, separators=(",", ":"))
    p = Path(path)
    if p.suffix == ".gz":
        with gzip.open(p, "wt") as fh:
            fh.write(text)
    else:
        p.write_text(text)
