"""Exact linear-region enumeration by a certified splitting tree.

:func:`enumerate_regions` walks the splitting tree (ARCHITECTURE.md, proofs/certificate-format.md) depth-first: at a cell,
the ReLU units of the current layer whose pre-activation has one sign on the cell are
decided (each with a Farkas vector), then the cell is split on the first unit that takes
both signs (each side with a strict interior witness). The leaves are the linear regions.
Every number is exact; the whole tree is recorded so that
:func:`exactrelu.certificate.partition.partition_certificate` can emit it for the checker.

This module drives the walk; one node step is :class:`~exactrelu.regions.walker.Walker`'s,
and the tree's data types live in :mod:`exactrelu.regions.tree` (re-exported here, where
they are documented). For an enumeration without the adjacency graph (issue 18), use
:func:`enumerate_regions` and ``partition_certificate(partition, adjacency=False)``: the
certificate then has no adjacency entries, which the checker accepts (``regions --no-graph``).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> net = mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])])
>>> part = enumerate_regions(net, box([-1], [1]))
>>> part.complete, len(part.regions)
(True, 3)
>>> [r.pattern for r in part.regions]
['11', '10', '00']
>>> [str(v) for v in part.regions[1].affine_map[0][0]]
['1']
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator

from ..domain.polytope import Polytope
from ..model.network import Network
from .gcpause import gc_paused
from .tree import CellView, Partition, Point, Progress, Region, TreeNode, UnitSplit
from .walker import Walker, WalkState

__all__ = ["Region", "Partition", "TreeNode", "CellView", "UnitSplit", "enumerate_regions", "iter_regions",
           "Progress", "stop_walk", "Walker", "WalkState", "Point"]


@gc_paused(long_lived=True)
def enumerate_regions(net: Network, domain: Polytope, *, max_regions: int | None = None,
                      time_limit: float | None = None,
                      progress: Callable[[Progress], Any] | None = None,
                      progress_every: float = 0.5) -> Partition:
    """All linear regions of ``net`` over ``domain``, exactly, with the splitting tree.

    Parameters
    ----------
    net : Network
    domain : Polytope (see :mod:`exactrelu.domain.polytope`)
    max_regions, time_limit : optional limits; when one is hit the result has
        ``complete=False`` and its unexplored cells are marked open.
    progress : called with a :class:`Progress` about every ``progress_every`` seconds.

    Returns
    -------
    Partition

    Notes
    -----
    Each cell keeps its exact vertices (double description), so deciding a unit's sign is
    one pass over the vertices and a split is one double-description step; a stable
    unit's Farkas vector comes from the tight rows at the minimising vertex.
    """
    regions = []
    nodes: list[TreeNode] = []
    t0 = time.perf_counter()
    stopped = None
    info: dict = {"open": 0}
    gen = iter_regions(net, domain, nodes=nodes, info=info,
                       deadline=None if time_limit is None else t0 + time_limit)
    last = t0
    for reg in gen:
        reg.index = len(regions)
        regions.append(reg)
        now = time.perf_counter()
        if progress is not None and now - last >= progress_every:
            last = now
            progress(Progress(len(regions), info["open"], len(nodes), now - t0))
        if max_regions is not None and len(regions) >= max_regions:
            stopped = "max_regions"
        elif time_limit is not None and now - t0 > time_limit:
            stopped = "time_limit"
        if stopped is not None:
            stop_walk(gen)
            break
    complete = not any(nd.open for nd in nodes)
    if complete:
        stopped = None
    elif stopped is None:
        stopped = info.get("stopped", "time_limit")
    if progress is not None:
        progress(Progress(len(regions), 0, len(nodes), time.perf_counter() - t0))
    stats = {
        "nodes": len(nodes),
        "splits": sum(1 for nd in nodes if nd.split),
        "stable_decisions": sum(len(nd.decisions) for nd in nodes),
    }
    return Partition(net, domain, regions, nodes, complete, time.perf_counter() - t0, stopped, stats)


class _Stop(Exception):
    pass


def stop_walk(gen: Iterator[Region]) -> None:
    """Stop an :func:`iter_regions` walk early: its unexplored cells become open nodes."""
    try:
        gen.throw(_Stop())
    except StopIteration:
        pass


def iter_regions(net: Network, domain: Polytope, nodes: list[TreeNode] | None = None,
                 info: dict | None = None, deadline: float | None = None,
                 prune: Callable[[CellView], Any] | None = None) -> Iterator[Region]:
    """Generator of the regions in splitting-tree preorder (see :func:`enumerate_regions`).

    If ``nodes`` is given, the tree nodes are appended to it as they are created; ``info``
    (a dict) gets the number of open cells under ``"open"``. Closing the generator early
    with :func:`stop_walk` marks the remaining cells as open nodes.

    ``prune`` is called with a :class:`CellView` before a cell is split; a result that is
    not None is stored as the node's ``pruned`` evidence and the cell is not explored
    further (no split, no region). Callers that prune must certify that evidence
    themselves (e.g. :mod:`exactrelu.verify.property`).
    """
    walker = Walker(net, domain, prune)
    if nodes is None:
        nodes = []
    stack: list[WalkState] = [walker.root()]
    stopping = False
    while stack:
        if info is not None:
            info["open"] = len(stack)
        if deadline is not None and not stopping and time.perf_counter() > deadline:
            stopping = True  # every remaining cell becomes an open node
            if info is not None:
                info["stopped"] = "time_limit"
        st = stack.pop()
        node = walker.new_node(st, nodes)
        if stopping:
            node.open = True
            continue
        result = walker.process(st, node, stack)
        if result is not None:
            try:
                yield result
            except _Stop:
                stopping = True
