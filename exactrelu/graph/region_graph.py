"""The region adjacency graph and linear pieces.

Two regions are adjacent when their closures meet in an (n-1)-dimensional piece; the
adjacent pairs and their exact evidence come from :mod:`exactrelu.graph.adjacency`
(:class:`Adjacency` and :func:`adjacencies` are re-exported here). Each edge records the
hyperplane, the units whose bits differ, and an exact witness point in the shared piece
(re-verified by the checker).

*Linear pieces* are the connected components of the subgraph of edges whose two regions
have the same affine map.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> net = mlp(2, [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
>>> G = region_graph(enumerate_regions(net, box([-1, -1], [1, 1])))
>>> G.number_of_nodes(), G.number_of_edges(), len(linear_pieces(G))
(4, 4, 4)
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..numbers.rationals import format_rational, format_vector, int_str
from ..regions.gcpause import gc_paused
from ..regions.walk import Partition, Region
from .adjacency import Adjacency, adjacencies

__all__ = ["Adjacency", "adjacencies", "region_graph", "linear_pieces", "graph_to_json",
           "write_graphml"]


@gc_paused(long_lived=True)
def region_graph(partition: Partition, adj: list[Adjacency] | None = None) -> nx.Graph:
    """The region adjacency graph: node i = region i, with attributes; one edge per pair.

    Node attributes: ``pattern``, ``witness`` (list of ``p/q`` strings), ``map`` (the
    affine map as a string key), ``piece`` (index of its linear piece). Edge attributes:
    ``hyperplane`` (ints), ``witness``, ``units`` (flipping units), ``same_map`` (bool).
    """
    if adj is None:
        adj = adjacencies(partition)
    maps = {reg.index: _map_key(reg) for reg in partition.regions}
    G = nx.Graph()
    G.add_nodes_from((reg.index, {"pattern": reg.pattern, "witness": format_vector(reg.witness),
                                  "map": maps[reg.index]}) for reg in partition.regions)
    G.add_edges_from((e.i, e.j, {"hyperplane": list(e.hyperplane), "witness": format_vector(e.witness),
                                 "units": list(e.units), "same_map": maps[e.i] == maps[e.j]}) for e in adj)
    for k, comp in enumerate(linear_pieces(G)):
        for v in comp:
            G.nodes[v]["piece"] = k
    return G


def _map_key(reg: Region) -> str:
    C, d = reg.affine_map
    return ";".join(",".join(format_rational(v) for v in row) + "|" + format_rational(di) for row, di in zip(C, d))


def linear_pieces(G: nx.Graph) -> list[list[int]]:
    """Connected components of the edges joining regions with the same affine map."""
    H = nx.Graph()
    H.add_nodes_from(G.nodes)
    H.add_edges_from((u, v) for u, v, same in G.edges(data="same_map") if same)
    comps = [sorted(c) for c in nx.connected_components(H)]
    comps.sort(key=lambda c: c[0])
    return comps


def graph_to_json(G: nx.Graph) -> dict[str, Any]:
    """A JSON-ready dict: nodes with attributes, edges with attributes."""
    return {
        "nodes": [{"id": int(v), **{k: d[k] for k in ("pattern", "witness", "map", "piece") if k in d}}
                  for v, d in G.nodes(data=True)],
        "edges": [{"a": int(u), "b": int(v), "hyperplane": [int_str(x) for x in d["hyperplane"]],
                   "witness": d["witness"], "units": d["units"], "same_map": d["same_map"]}
                  for u, v, d in G.edges(data=True)],
    }


def write_graphml(G: nx.Graph, path) -> None:
    """Write GraphML (list attributes are stored as comma-separated strings)."""
    H = nx.Graph()
    for v, d in G.nodes(data=True):
        H.add_node(v, pattern=d["pattern"], witness=",".join(d["witness"]), map=d["map"],
                   piece=int(d.get("piece", -1)))
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, hyperplane=",".join(int_str(x) for x in d["hyperplane"]), witness=",".join(d["witness"]),
                   units=",".join(str(x) for x in d["units"]), same_map=bool(d["same_map"]))
    nx.write_graphml(H, str(path))
