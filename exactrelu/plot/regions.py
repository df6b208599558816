"""The linear regions of a 2-input network drawn as polygons: :func:`plot_regions_2d` (with the
region adjacency graph over them) and :func:`plot_float_disagreements_2d` (regions with marked
points on top).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> part = enumerate_regions(mlp(2, [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]), box([-1, -1], [1, 1]))
>>> fig = plot_regions_2d(part)
>>> len(region_polygons(fig.axes[0]).get_paths())
4
"""

from __future__ import annotations

from typing import Sequence

from ..errors import UsageError
from .figure import as_fraction, domain_outline, frame_2d, input_names, new_axes, polygon_2d, require_inputs

__all__ = ["plot_regions_2d", "plot_float_disagreements_2d", "region_polygons"]


def region_polygons(ax):
    """The collection of region polygons that :func:`plot_regions_2d` drew into ``ax``
    (the first collection with ``gid == "regions"``), or None."""
    for coll in ax.collections:
        if coll.get_gid() == "regions":
            return coll
    return None


def _spread_colouring(G, size: int = 20) -> dict:
    """A proper colouring of G (neighbours differ when degrees allow) that uses the whole
    palette: node v takes the first colour not used by its coloured neighbours, starting
    from ``7 v mod size`` (deterministic)."""
    col: dict = {}
    for v in sorted(G.nodes):
        used = {col[u] for u in G[v] if u in col}
        start = (7 * v) % size
        col[v] = next(((start + k) % size for k in range(size) if (start + k) % size not in used), start)
    return col


def _colours(partition, color_by: str, graph):
    """(facecolours, colour-bar info or None) for the regions.

    "region" and "piece" colour the region graph (the graph of pieces) so that neighbours
    get different colours of a 20-colour palette.
    """
    from matplotlib import colormaps, colors
    import networkx as nx

    regions = partition.regions
    palette = colormaps["tab20"]
    if color_by == "region":
        col = _spread_colouring(graph.subgraph([r.index for r in regions if r.index in graph]))
        return [palette(col.get(r.index, r.index) % 20) for r in regions], None
    if color_by == "piece":
        piece = {r.index: graph.nodes[r.index].get("piece", -1 - r.index) if r.index in graph else -1 - r.index
                 for r in regions}
        ids = {p: k for k, p in enumerate(sorted(set(piece.values())))}
        Q = nx.Graph()
        Q.add_nodes_from(ids.values())
        Q.add_edges_from((ids[piece[u]], ids[piece[v]]) for u, v in graph.edges
                         if u in piece and v in piece and piece[u] != piece[v])
        col = _spread_colouring(Q)
        return [palette(col[ids[piece[r.index]]] % 20) for r in regions], None
    if color_by == "pattern":
        active = [r.pattern.count("1") for r in regions]
        lo, hi = (min(active), max(active)) if active else (0, 1)
        norm = colors.Normalize(vmin=lo - 0.5, vmax=max(hi, lo) + 0.5)
        cmap = colormaps["viridis"]
        return [cmap(norm(a)) for a in active], (cmap, norm, "active ReLU units")
    raise UsageError(f"color_by must be 'region', 'piece' or 'pattern', got {color_by!r}")


# ----------------------------------------------------------------------------- regions
def plot_regions_2d(partition, graph=None, ax=None, color_by: str = "region", show_graph: bool = True,
                    show_witnesses: bool = False, title: str | None = None, alpha: float = 0.85):
    """The linear regions of a 2-input network as coloured polygons, with the adjacency graph.

    Parameters
    ----------
    partition : :class:`~exactrelu.regions.walk.Partition` of a network with 2 inputs.
    graph : the region graph (:func:`~exactrelu.graph.region_graph.region_graph`) of this partition;
        computed when needed and not given.
    ax : matplotlib axes to draw into (default: a new figure).
    color_by : ``"region"`` (neighbouring regions get different colours), ``"piece"``
        (one colour per linear piece: regions joined by same-map edges share it, and
        neighbouring pieces differ) or ``"pattern"`` (the number of active ReLU units,
        with a colour bar).
    show_graph : draw the graph: a dot at each region's witness and, for each edge, the
        path witness(i) -> edge witness -> witness(j). The edge witness lies in the shared
        boundary piece and the regions are convex, so the path stays inside the two
        regions and crosses their common boundary. Edges between regions with the same
        affine map are dashed.
    show_witnesses : label each region with its index at its witness, and mark the edge
        witnesses.

    Returns
    -------
    matplotlib.figure.Figure. The polygons are one ``PolyCollection`` (``gid="regions"``,
    one path per region, see :func:`region_polygons`), the edges one ``LineCollection``
    (``gid="edges"``, one segment list per edge) and the nodes one scatter (``gid="nodes"``).
    """
    net = partition.network
    require_inputs(net, 2, "plot_regions_2d")
    fig, ax = new_axes(ax)
    from matplotlib.collections import PolyCollection

    if graph is None and (show_graph or color_by in ("piece", "region")):
        from ..graph.region_graph import region_graph

        graph = region_graph(partition)
    faces, scale = _colours(partition, color_by, graph)
    polys = [polygon_2d(r.vertices, r.witness) for r in partition.regions]
    coll = PolyCollection(polys, facecolors=faces, edgecolors="0.15", linewidths=0.6, alpha=alpha)
    coll.set_gid("regions")
    ax.add_collection(coll)
    if scale is not None:
        from matplotlib.cm import ScalarMappable

        cmap, norm, label = scale
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=label)
    dom = partition.domain
    dpoly = polygon_2d(dom.vertices, dom.interior_point)
    ax.add_patch(domain_outline(dpoly))
    wit = {r.index: (float(r.witness[0]), float(r.witness[1])) for r in partition.regions}
    if show_graph and graph is not None:
        _draw_graph(ax, graph, wit, show_witnesses)
    if show_witnesses:
        for i, p in wit.items():
            ax.annotate(str(i), p, fontsize=7, ha="left", va="bottom", xytext=(2, 2), textcoords="offset points",
                        zorder=6)
        if not show_graph:
            nodes = ax.scatter([p[0] for p in wit.values()], [p[1] for p in wit.values()], s=10, c="black",
                               marker="x", zorder=4)
            nodes.set_gid("nodes")
    frame_2d(ax, dpoly)
    names = input_names(net)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    n_edges = graph.number_of_edges() if graph is not None else None
    if title is None:
        title = f"{len(partition.regions)} linear regions" + (
            f", {n_edges} adjacencies" if show_graph and n_edges is not None else "")
        if color_by == "piece" and graph is not None:
            title += f", {len({graph.nodes[r.index].get('piece') for r in partition.regions})} linear pieces"
        if not partition.complete:
            title += " (incomplete)"
    ax.set_title(title)
    return fig




def _draw_graph(ax, graph, wit: dict, show_witnesses: bool) -> None:
    """The region graph over the polygons: witness(i) -> edge witness -> witness(j) per edge
    (dashed when the maps agree), a dot per region, and the edge witnesses if asked."""
    from matplotlib.collections import LineCollection

    segs, styles = [], []
    ewit = []
    for u, v, data in graph.edges(data=True):
        if u not in wit or v not in wit:
            continue
        w = tuple(float(as_fraction(c)) for c in data["witness"])
        ewit.append(w)
        segs.append([wit[u], w, wit[v]])
        styles.append("dashed" if data.get("same_map") else "solid")
    lc = LineCollection(segs, colors="black", linewidths=0.9, linestyles=styles, zorder=3)
    lc.set_gid("edges")
    ax.add_collection(lc)
    nodes = ax.scatter([p[0] for p in wit.values()], [p[1] for p in wit.values()], s=10, c="black",
                       zorder=4)
    nodes.set_gid("nodes")
    if show_witnesses and ewit:
        ew = ax.scatter([p[0] for p in ewit], [p[1] for p in ewit], s=12, marker="D", facecolors="white",
                        edgecolors="black", linewidths=0.6, zorder=5)
        ew.set_gid("edge_witnesses")


# ----------------------------------------------------------------------------- points
def plot_float_disagreements_2d(partition, points, ax=None, values: Sequence[float] | None = None,
                                label: str = "disagreement", graph=None, title: str | None = None):
    """The regions of a 2-input network (light, no graph) with ``points`` marked on top.

    Parameters
    ----------
    points : ``(N, 2)`` points: floats, Fractions or ``"p/q"`` strings (converted to float
        for drawing only), e.g. where a float evaluation disagrees with the exact value.
    values : optional number per point (e.g. the absolute error); the markers are then
        coloured by it on a log scale when all values are positive, with a colour bar.
    label : the legend label of the points.

    Returns the figure; the points are one scatter (``gid="points"``), the regions as in
    :func:`plot_regions_2d` (``gid="regions"``).
    """
    fig = plot_regions_2d(partition, graph=graph, ax=ax, color_by="region", show_graph=False, alpha=0.35,
                          title=title)
    ax = ax if ax is not None else fig.axes[0]
    pts = [(float(as_fraction(p[0])), float(as_fraction(p[1]))) for p in points]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    if values is not None:
        vals = [float(v) for v in values]
        if len(vals) != len(pts):
            raise UsageError(f"{len(vals)} values for {len(pts)} points")
        from matplotlib import colors

        norm = colors.LogNorm() if vals and min(vals) > 0 else None
        sc = ax.scatter(xs, ys, c=vals, cmap="plasma", norm=norm, s=48, marker="X", edgecolors="black",
                        linewidths=0.4, zorder=7, label=label)
        fig.colorbar(sc, ax=ax, label=label)
    else:
        sc = ax.scatter(xs, ys, c="red", s=48, marker="X", edgecolors="black", linewidths=0.4, zorder=7,
                        label=label)
    sc.set_gid("points")
    if pts:
        ax.legend(loc="upper right", fontsize=8)
    if title is None:
        ax.set_title(f"{len(partition.regions)} regions, {len(pts)} marked points")
    return fig
