"""Streaming certificates: the splitting tree as JSON Lines, written while it is found.

A stream certificate (``proofs/certificate-format.md``, "Stream form") is the same proof
as a ``partition`` certificate, laid out so that neither the writer nor the checker
holds more than the current root-to-cell path:

* line 1, the header: ``{"format": "exactrelu-certificate-stream", "version": 1,
  "claim": "partition", "network": ..., "domain": ..., "root_witness": ..., "regions": true}``;
* one line per tree node **in preorder**, without ids: ``{"side": "+", "decisions": [...],
  "split": {"unit": u, "witness_pos": [...], "witness_neg": [...]} | null, ["open": true],
  ["region": {"pattern": ..., "C": ..., "d": ...}]}`` (ids, parents and children are
  implied by the order, so lines written by different workers concatenate unchanged);
* the trailer: ``{"end": true, "complete": bool, "nodes": N, "leaves": R}``. A stream
  without its trailer (a killed run) is refused by the checker.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> part = enumerate_regions(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1]))
>>> lines = list(partition_stream_lines(part))
>>> len(lines), json.loads(lines[-1])["complete"]
(5, True)
>>> stream_to_certificate(lines)["nodes"][0]["split"]["neg"]
2
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

from .partition import FORMAT, VERSION
from ..errors import CertificateFormatError
from ..numbers.rationals import format_vector

__all__ = ["STREAM_FORMAT", "header", "node_line", "open_line", "trailer", "region_entry",
           "partition_stream_lines", "stream_to_certificate"]

STREAM_FORMAT = "exactrelu-certificate-stream"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":")) + "\n"


def header(network: dict, domain: dict, root_witness: list[str], *, claim: str = "partition",
           regions: bool = True) -> str:
    """The header line (network and domain as JSON objects, the root witness formatted)."""
    return _dumps({"format": STREAM_FORMAT, "version": VERSION, "claim": claim, "network": network,
                   "domain": domain, "root_witness": root_witness, "regions": regions})


def region_entry(region) -> dict[str, Any]:
    """A region's ``pattern``, ``C`` and ``d`` (exact strings)."""
    C, d = region.affine_map
    return {"pattern": region.pattern, "C": [format_vector(row) for row in C], "d": format_vector(d)}


def node_line(node, region=None) -> str:
    """One node of the tree as a stream line (no ids: they are implied by the preorder)."""
    obj: dict[str, Any] = {"side": node.side,
                           "decisions": node.decisions,
                           "split": None}
    if node.split is not None:
        sp = node.split
        obj["split"] = {"unit": sp["unit"], "witness_pos": format_vector(sp["witness_pos"]),
                        "witness_neg": format_vector(sp["witness_neg"])}
    if node.open:
        obj["open"] = True
    if region is not None:
        obj["region"] = region_entry(region)
    return _dumps(obj)


def open_line(side: str | None) -> str:
    """An unexplored cell (its subtree was not walked): an open node without decisions."""
    return _dumps({"side": side, "decisions": [], "split": None, "open": True})


def trailer(complete: bool, nodes: int, leaves: int) -> str:
    """The last line: whether the tree is complete, and the node and leaf counts."""
    return _dumps({"end": True, "complete": bool(complete), "nodes": nodes, "leaves": leaves})


def partition_stream_lines(partition) -> Iterator[str]:
    """The stream certificate of an in-memory :class:`~exactrelu.regions.walk.Partition`."""
    by_node = {r.node: r for r in partition.regions}
    yield header(_network_json(partition.network), partition.domain.to_dict(),
                 format_vector(partition.domain.interior_point))
    for nd in partition.nodes:
        yield node_line(nd, by_node.get(nd.id))
    yield trailer(partition.complete, len(partition.nodes), len(partition.regions))


def _network_json(net) -> dict:
    from ..io.native_json import network_to_dict

    return network_to_dict(net)


def stream_to_certificate(lines: Iterable[str]) -> dict[str, Any]:
    """Convert a stream certificate into the equivalent JSON ``partition`` certificate
    (ids, parents and children filled in; the region list gathered). Holds the whole
    tree in memory, as the JSON form does."""
    it = iter(lines)
    try:
        head = json.loads(next(it))
    except (StopIteration, json.JSONDecodeError) as exc:
        raise CertificateFormatError(f"not a stream certificate: {exc}") from None
    if not isinstance(head, dict) or head.get("format") != STREAM_FORMAT:
        raise CertificateFormatError(f"not a stream certificate (format must be {STREAM_FORMAT!r})")
    cert: dict[str, Any] = {"format": FORMAT, "version": VERSION, "claim": head.get("claim", "partition")}
    for key in ("network", "network_ref", "domain", "root_witness"):
        if key in head:
            cert[key] = head[key]
    nodes: list[dict] = []
    regions: list[dict] = []
    expect: list[tuple[int | None, str | None]] = [(None, None)]
    end = None
    for raw in it:
        obj = json.loads(raw)
        if obj.get("end"):
            end = obj
            break
        if not expect:
            raise CertificateFormatError("stream certificate: a node line after the end of the tree")
        parent, side = expect.pop()
        k = len(nodes)
        node = {"id": k, "parent": parent, "side": side, "decisions": obj.get("decisions", []), "split": None}
        if parent is not None and side == "-":
            nodes[parent]["split"]["neg"] = k
        sp = obj.get("split")
        if sp is not None:
            node["split"] = {"unit": sp["unit"], "pos": k + 1, "neg": None,
                             "witness_pos": sp["witness_pos"], "witness_neg": sp["witness_neg"]}
            expect.append((k, "-"))
            expect.append((k, "+"))
        if obj.get("open"):
            node["open"] = True
        nodes.append(node)
        if "region" in obj:
            regions.append({"node": k, **obj["region"]})
    if end is None:
        raise CertificateFormatError("stream certificate is truncated (no end line): the run did not finish")
    cert["complete"] = bool(end.get("complete"))
    cert["nodes"] = nodes
    cert["regions"] = regions
    cert["adjacency"] = []
    return cert
