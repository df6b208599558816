"""Plots of partitions, functions and representations (matplotlib, optional extra ``plot``).

Everything here only *draws*: regions, vertices, maps and witnesses are computed exactly
by the rest of exactrelu and converted to floats at the last moment, for the picture.

Every function returns a :class:`matplotlib.figure.Figure` and shows nothing: figures
are made on an Agg canvas and never registered with ``pyplot``, so no window opens, the
global backend is not touched, and a figure is freed when it is no longer referenced.
Pass ``ax=`` to draw into an existing axes instead (its figure is returned). Save with
``fig.savefig("regions.png")``; in a notebook, run ``%matplotlib inline`` once and a
returned figure displays as a cell's value.

* :func:`plot_regions_2d` — the linear regions of a 2-input network as polygons, with the
  region adjacency graph drawn over them;
* :func:`plot_function_1d` — the graph of a 1-input network, breakpoints marked;
* :func:`plot_surface_2d` — the surface of a 2-input network, one flat 3-D polygon per region;
* :func:`plot_representation_terms_1d` / :func:`plot_representation_terms_2d` — the terms
  of a representation (e.g. the shallow networks of a max) against the network;
* :func:`plot_float_disagreements_2d` — regions plus marked points (e.g. where float
  arithmetic disagrees with the exact value).

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

import math
from fractions import Fraction
from typing import Any, Callable, Sequence

from ..errors import BackendUnavailableError, ModelError, PointError, UsageError

__all__ = [
    "plot_regions_2d",
    "plot_function_1d",
    "plot_surface_2d",
    "plot_representation_terms_1d",
    "plot_representation_terms_2d",
    "plot_float_disagreements_2d",
    "region_polygons",
    "polygon_2d",
]

_INSTALL = "matplotlib is needed for plotting: pip install exactrelu[plot]"


# ----------------------------------------------------------------------------- set-up
def _mpl():
    """Import matplotlib lazily (or raise BackendUnavailableError naming the extra)."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is in the test extra
        raise BackendUnavailableError(f"{_INSTALL} ({exc})") from None
    return Figure, FigureCanvasAgg


def _new_axes(ax=None, projection: str | None = None, figsize=(6.0, 5.0)):
    """``(fig, ax)``: the given axes and its figure, or a new Agg figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    Figure, FigureCanvasAgg = _mpl()
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    if projection == "3d":
        import mpl_toolkits.mplot3d  # noqa: F401  (registers the 3d projection)
    ax = fig.add_subplot(1, 1, 1, projection=projection)
    return fig, ax


def _need_inputs(net, n: int, what: str) -> None:
    if net.n_inputs != n:
        raise ModelError(f"{what} needs a network with {n} input{'s' if n > 1 else ''}, "
                         f"this one has {net.n_inputs}")


def _need_output(net, output: int) -> None:
    if not isinstance(output, int) or not 0 <= output < net.n_outputs:
        raise ModelError(f"output {output!r} does not exist (the network has {net.n_outputs} outputs)")


def _q(v: Any) -> Fraction:
    return v if isinstance(v, Fraction) else Fraction(str(v)) if isinstance(v, str) else Fraction(v)


# ----------------------------------------------------------------------------- geometry
def polygon_2d(vertices: Sequence[Sequence[Any]], centre: Sequence[Any] | None = None) -> list[tuple[float, float]]:
    """The vertices of a convex polygon as floats, ordered counter-clockwise by angle around
    ``centre`` (an interior point such as the region's witness; default the vertex mean).

    Duplicates are dropped. The vertices are exact; the angles are computed from the
    exact differences (converted to float only for ``atan2``).

    Examples
    --------
    >>> polygon_2d([(1, 1), (-1, -1), (1, -1), (-1, 1)], centre=(0, 0))
    [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
    """
    pts = list(dict.fromkeys(tuple(_q(c) for c in v) for v in vertices))
    if not pts:
        return []
    if centre is None:
        c = tuple(sum(p[i] for p in pts) / len(pts) for i in range(2))
    else:
        c = tuple(_q(v) for v in centre)
    pts.sort(key=lambda p: math.atan2(float(p[1] - c[1]), float(p[0] - c[0])))
    return [(float(p[0]), float(p[1])) for p in pts]


def _map_value(region, point, output: int) -> Fraction:
    C, d = region.affine_map
    return sum((c * x for c, x in zip(C[output], point)), Fraction(0)) + d[output]


def _same_map(r1, r2) -> bool:
    return r1.affine_map == r2.affine_map


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
    _need_inputs(net, 2, "plot_regions_2d")
    fig, ax = _new_axes(ax)
    from matplotlib.collections import LineCollection, PolyCollection

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
    ax.add_patch(_closed_outline(dpoly))
    wit = {r.index: (float(r.witness[0]), float(r.witness[1])) for r in partition.regions}
    if show_graph and graph is not None:
        segs, styles = [], []
        ewit = []
        for u, v, data in graph.edges(data=True):
            if u not in wit or v not in wit:
                continue
            w = tuple(float(_q(c)) for c in data["witness"])
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
    if show_witnesses:
        for i, p in wit.items():
            ax.annotate(str(i), p, fontsize=7, ha="left", va="bottom", xytext=(2, 2), textcoords="offset points",
                        zorder=6)
        if not show_graph:
            nodes = ax.scatter([p[0] for p in wit.values()], [p[1] for p in wit.values()], s=10, c="black",
                               marker="x", zorder=4)
            nodes.set_gid("nodes")
    _frame_2d(ax, dpoly)
    names = _input_names(net)
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


def _closed_outline(poly):
    from matplotlib.patches import Polygon

    return Polygon(poly, closed=True, fill=False, edgecolor="black", linewidth=1.2, zorder=2)


def _frame_2d(ax, dpoly) -> None:
    xs = [p[0] for p in dpoly]
    ys = [p[1] for p in dpoly]
    padx = 0.03 * ((max(xs) - min(xs)) or 1.0)
    pady = 0.03 * ((max(ys) - min(ys)) or 1.0)
    ax.set_xlim(min(xs) - padx, max(xs) + padx)
    ax.set_ylim(min(ys) - pady, max(ys) + pady)
    ax.set_aspect("equal", adjustable="box")


def _input_names(net) -> list[str]:
    names = list(net.input_names) if net.input_names else []
    return names if len(names) == net.n_inputs else [f"$x_{i}$" for i in range(net.n_inputs)]


# ----------------------------------------------------------------------------- 1-D graph
def plot_function_1d(partition, ax=None, output: int = 0, title: str | None = None):
    """The graph of a 1-input network over its regions, with the breakpoints marked.

    Each region is an interval on which the output is affine; it is drawn as one exact
    segment (its two endpoint values are computed exactly from the region's map). A
    *breakpoint* is an interior region boundary where the affine map changes (a kink):
    filled dots. Boundaries where the map does not change (a unit switches without
    affecting the output) are drawn as hollow dots. Light vertical lines mark all region
    boundaries.

    Returns the figure. The segments are one ``LineCollection`` (``gid="pieces"``, one
    segment per region); breakpoints one scatter (``gid="breakpoints"``), and the
    non-kink boundaries one scatter (``gid="boundaries"``) when there are any.
    """
    net = partition.network
    _need_inputs(net, 1, "plot_function_1d")
    _need_output(net, output)
    fig, ax = _new_axes(ax, figsize=(6.0, 3.8))
    from matplotlib.collections import LineCollection

    regs = sorted(partition.regions, key=lambda r: min(v[0] for v in r.vertices))
    segs = []
    ends = []
    for r in regs:
        lo = min(v[0] for v in r.vertices)
        hi = max(v[0] for v in r.vertices)
        ylo, yhi = _map_value(r, (lo,), output), _map_value(r, (hi,), output)
        segs.append([(float(lo), float(ylo)), (float(hi), float(yhi))])
        ends.append((lo, hi, ylo, yhi))
    lc = LineCollection(segs, colors="C0", linewidths=2.0, zorder=3)
    lc.set_gid("pieces")
    ax.add_collection(lc)
    kinks, flat = [], []
    for (r1, e1), (r2, e2) in zip(zip(regs, ends), zip(regs[1:], ends[1:])):
        x, y = e1[1], e1[3]
        (flat if _same_map(r1, r2) else kinks).append((float(x), float(y)))
        ax.axvline(float(x), color="0.85", linewidth=0.8, zorder=1)
    bp = ax.scatter([p[0] for p in kinks], [p[1] for p in kinks], s=28, c="C3", zorder=4,
                    label=f"breakpoints ({len(kinks)})")
    bp.set_gid("breakpoints")
    if flat:
        fb = ax.scatter([p[0] for p in flat], [p[1] for p in flat], s=28, facecolors="white", edgecolors="C3",
                        zorder=4, label=f"boundaries without a kink ({len(flat)})")
        fb.set_gid("boundaries")
    xs = [p for s in segs for p, _ in s]
    ys = [q for s in segs for _, q in s]
    _pad_limits(ax, xs, ys)
    ax.set_xlabel(_input_names(net)[0])
    ax.set_ylabel(f"$y_{output}$" if net.n_outputs > 1 else "$f(x)$")
    ax.legend(loc="best", fontsize=8)
    if title is None:
        title = f"{len(regs)} regions, {len(kinks)} breakpoints"
    ax.set_title(title)
    return fig


def _pad_limits(ax, xs, ys) -> None:
    xlo, xhi = min(xs), max(xs)
    ylo, yhi = min(ys), max(ys)
    px = 0.02 * ((xhi - xlo) or 1.0)
    py = 0.06 * ((yhi - ylo) or 1.0)
    ax.set_xlim(xlo - px, xhi + px)
    ax.set_ylim(ylo - py, yhi + py)


# ----------------------------------------------------------------------------- 2-D surface
def plot_surface_2d(partition, ax=None, output: int = 0, color_by: str = "height", title: str | None = None,
                    elev: float = 28.0, azim: float = -60.0):
    """The surface of a 2-input network: each region is a flat 3-D polygon.

    Over region ``R`` with map ``y = C x + d`` the surface is the polygon with the region's
    vertices ``v`` lifted to ``(v, C v + d)`` (exact, then floats). ``color_by`` is
    ``"height"`` (the mean height of the polygon, viridis) or ``"region"``.

    Returns the figure; the polygons are one ``Poly3DCollection`` (``gid="surface"``, one
    polygon per region). ``ax`` must be a 3-D axes when given.
    """
    net = partition.network
    _need_inputs(net, 2, "plot_surface_2d")
    _need_output(net, output)
    fig, ax = _new_axes(ax, projection="3d", figsize=(6.5, 5.2))
    if getattr(ax, "name", "") != "3d":
        raise UsageError("plot_surface_2d needs a 3-D axes (projection='3d')")
    from matplotlib import colormaps, colors
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    polys, heights = [], []
    for r in partition.regions:
        pts = list(dict.fromkeys(tuple(v) for v in r.vertices))
        w = r.witness
        pts.sort(key=lambda p: math.atan2(float(p[1] - w[1]), float(p[0] - w[0])))
        zs = [_map_value(r, p, output) for p in pts]
        polys.append([(float(p[0]), float(p[1]), float(z)) for p, z in zip(pts, zs)])
        heights.append(float(sum(zs) / len(zs)))
    if color_by == "height":
        norm = colors.Normalize(vmin=min(heights), vmax=max(heights) if max(heights) > min(heights) else min(heights) + 1)
        faces = [colormaps["viridis"](norm(h)) for h in heights]
    elif color_by == "region":
        faces = [colormaps["tab20"](r.index % 20) for r in partition.regions]
    else:
        raise UsageError(f"color_by must be 'height' or 'region', got {color_by!r}")
    coll = Poly3DCollection(polys, facecolors=faces, edgecolors="0.2", linewidths=0.3)
    coll.set_gid("surface")
    ax.add_collection3d(coll)
    xs = [p[0] for P in polys for p in P]
    ys = [p[1] for P in polys for p in P]
    zs = [p[2] for P in polys for p in P]
    ax.set_xlim(min(xs), max(xs))
    ax.set_ylim(min(ys), max(ys))
    zlo, zhi = min(zs), max(zs)
    pad = 0.05 * ((zhi - zlo) or 1.0)
    ax.set_zlim(zlo - pad, zhi + pad)
    names = _input_names(net)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel(f"$y_{output}$" if net.n_outputs > 1 else "$f(x)$")
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(title if title is not None else f"surface over {len(polys)} regions")
    return fig


# ----------------------------------------------------------------------------- representations
def _term_list(terms) -> list[tuple[Callable[[tuple], Any], str, bool]]:
    """``[(evaluate(point) -> value, label, is_minus)]`` from the accepted term inputs.

    Accepted: a representation with ``basis`` and ``plus``/``minus`` term vectors (each
    term is a one-hidden-layer network over the basis; the minus terms are subtracted); a
    lazy one with ``materialise()`` (listed first); a lattice form with ``pieces`` and
    ``terms`` (index sets: term ``t`` is ``min_{j in S_t} l_j``); a single object with
    ``evaluate``; or a sequence of callables / objects with ``evaluate``.
    """
    if hasattr(terms, "pieces") and hasattr(terms, "terms") and not callable(terms.terms):
        pieces = terms.pieces

        def min_fn(S):
            def f(point):
                return min(pieces[j][-1] + sum((c * v for c, v in zip(pieces[j], point) if c), Fraction(0))
                           for j in S)
            return f

        return [(min_fn(S), "$\\min\\{l_j : j \\in S_{" + str(t) + "}\\}$", False) for t, S in enumerate(terms.terms)]
    if hasattr(terms, "materialise") and hasattr(terms, "basis"):
        terms = terms.materialise()
    if hasattr(terms, "basis") and hasattr(terms, "plus"):
        basis = terms.basis

        def term_fn(vec):
            def f(point):
                phi = basis.features(point)
                return sum((a * b for a, b in zip(vec, phi) if a and b), Fraction(0))
            return f

        out = [(term_fn(t), f"$p_{{{i}}}$", False) for i, t in enumerate(terms.plus)]
        minus = list(getattr(terms, "minus", ()))
        if not (len(minus) == 1 and not any(minus[0])):
            out += [(term_fn(t), f"$q_{{{i}}}$", True) for i, t in enumerate(minus)]
        return out
    from ..model.network import Network

    if hasattr(terms, "evaluate") or callable(terms) or isinstance(terms, Network):
        terms = [terms]
    out = []
    for i, t in enumerate(terms):
        label = getattr(t, "name", None) or getattr(t, "label", None) or f"term {i}"
        if hasattr(t, "evaluate") or isinstance(t, Network):
            out.append((_from_object(t), str(label), False))
        elif callable(t):
            out.append((t, str(label), False))
        else:
            raise TypeError(f"term {i} is neither callable nor has an evaluate method: {t!r}")
    return out


def _from_object(obj):
    from ..model.network import Network

    if isinstance(obj, Network):
        from ..model.evaluation import evaluate

        return lambda point: evaluate(obj, point)
    return obj.evaluate


def _scalar(value: Any, output: int) -> Fraction:
    if isinstance(value, (tuple, list)):
        value = value[output]
    return value if isinstance(value, Fraction) else Fraction(value)


def _interval(domain) -> tuple[Fraction, Fraction]:
    if hasattr(domain, "vertices") and hasattr(domain, "dim"):
        if domain.dim != 1:
            raise PointError(f"a 1-D plot needs a 1-D domain, got dimension {domain.dim}")
        return min(v[0] for v in domain.vertices), max(v[0] for v in domain.vertices)
    lo, hi = domain
    lo, hi = _q(lo), _q(hi)
    if not lo < hi:
        raise PointError(f"empty interval [{lo}, {hi}]")
    return lo, hi


def _grid_1d(lo: Fraction, hi: Fraction, samples: int, extra: Sequence[Fraction] = ()) -> list[Fraction]:
    pts = {lo + (hi - lo) * Fraction(k, samples - 1) for k in range(samples)}
    pts.update(x for x in extra if lo <= x <= hi)
    return sorted(pts)


def plot_representation_terms_1d(net, terms, domain, ax=None, output: int = 0, samples: int = 401,
                                  labels: Sequence[str] | None = None, show_max: bool = True,
                                  title: str | None = None):
    """The terms of a representation against the network, for 1 input.

    Parameters
    ----------
    net : the network (drawn thick, black).
    terms : a shallow representation (an object with ``basis`` and ``plus``/``minus``
        term vectors, as in :mod:`exactrelu.shallow`: each plus term ``p_i`` is drawn, and
        the minus terms ``q_j`` dashed when the form is ``max p - max q``; a lazy form is
        materialised first), a lattice form (``pieces`` and index sets ``terms``: each
        ``min_{j in S_t} l_j`` is drawn), or a sequence
        whose items are callables ``t(point)`` or objects with an exact ``evaluate(point)``
        (a :class:`~exactrelu.model.network.Network` is evaluated with
        :func:`~exactrelu.model.evaluation.evaluate`). ``point`` is a tuple of one Fraction; a
        value may be a number or a tuple (then item ``output`` is used).
    domain : a 1-D :class:`~exactrelu.domain.polytope.Polytope` or an interval ``(lo, hi)``.
    samples : the exact evaluation grid (equally spaced rationals, plus the network's
        breakpoints found by exact region enumeration so its kinks are drawn sharp).
    show_max : also draw the pointwise max of the plus terms (minus the max of the minus
        terms) as a dotted line; for a correct representation it lies on the network.

    Returns the figure. Lines (``ax.lines``): the network (``gid="network"``), one per term
    (``gid="term"``) and, with ``show_max``, the max (``gid="max"``).
    """
    _need_inputs(net, 1, "plot_representation_terms_1d")
    _need_output(net, output)
    fig, ax = _new_axes(ax, figsize=(7.5, 4.2))
    from ..domain.polytope import box
    from ..model.evaluation import evaluate_batch
    from ..regions.walk import enumerate_regions

    lo, hi = _interval(domain)
    part = enumerate_regions(net, box([lo], [hi]))
    kinks = {v[0] for r in part.regions for v in r.vertices}
    xs = _grid_1d(lo, hi, max(2, samples), kinks)
    ys = [y[output] for y in evaluate_batch(net, [[x] for x in xs])]
    fx = [float(x) for x in xs]
    tl = _term_list(terms)
    if labels is not None:
        if len(labels) != len(tl):
            raise UsageError(f"{len(labels)} labels for {len(tl)} terms")
        tl = [(f, lab, m) for (f, _, m), lab in zip(tl, labels)]
    values = []
    for k, (f, label, is_minus) in enumerate(tl):
        vals = [_scalar(f((x,)), output) for x in xs]
        values.append((vals, is_minus))
        (line,) = ax.plot(fx, [float(v) for v in vals], linewidth=1.1, alpha=0.85, color=f"C{k % 10}",
                          linestyle="--" if is_minus else "-", label=label if len(tl) <= 12 else None)
        line.set_gid("term")
    (nl,) = ax.plot(fx, [float(v) for v in ys], color="black", linewidth=2.6, label="network", zorder=5)
    nl.set_gid("network")
    if show_max and values:
        plus = [v for v, m in values if not m]
        minus = [v for v, m in values if m]
        if plus:
            mx = [max(v[i] for v in plus) - (max(v[i] for v in minus) if minus else 0) for i in range(len(xs))]
            (ml,) = ax.plot(fx, [float(v) for v in mx], color="gold", linewidth=1.2, linestyle=":",
                            label="max of terms" + (" - max of minus terms" if minus else ""), zorder=6)
            ml.set_gid("max")
    allv = [float(v) for v in ys] + [float(v) for vals, _ in values for v in vals]
    _pad_limits(ax, fx, allv)
    ax.set_xlabel(_input_names(net)[0])
    ax.set_ylabel("value")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, ncol=2 if len(tl) > 14 else 1,
              borderaxespad=0.0)
    ax.set_title(title if title is not None else f"{len(tl)} terms against the network")
    return fig


def plot_representation_terms_2d(net, terms, domain, ax=None, output: int = 0, resolution: int = 81,
                                 title: str | None = None):
    """Which plus term attains the maximum, for 2 inputs: an image over the domain's
    bounding box, coloured by the index of the (first) maximising term at each grid point,
    with the network's regions outlined.

    The grid values are exact (rational grid points, exact term values); points outside
    the domain are left blank. ``terms`` is as in :func:`plot_representation_terms_1d`
    (for a ``max p - max q`` representation only the ``p`` terms are compared).
    Returns the figure; the image is ``ax.images[0]`` (``gid="argmax"``).
    """
    _need_inputs(net, 2, "plot_representation_terms_2d")
    _need_output(net, output)
    fig, ax = _new_axes(ax)
    from matplotlib import colormaps
    from matplotlib.collections import PolyCollection

    from ..regions.walk import enumerate_regions

    tl = [t for t in _term_list(terms) if not t[2]]
    if not tl:
        raise UsageError("no terms to compare")
    lo, hi = domain.lower, domain.upper
    res = max(2, resolution)
    gx = [lo[0] + (hi[0] - lo[0]) * Fraction(k, res - 1) for k in range(res)]
    gy = [lo[1] + (hi[1] - lo[1]) * Fraction(k, res - 1) for k in range(res)]
    import numpy as np

    img = np.full((res, res), np.nan)
    for i, y in enumerate(gy):
        for j, x in enumerate(gx):
            if not domain.contains((x, y)):
                continue
            vals = [_scalar(f((x, y)), output) for f, _, _ in tl]
            img[i, j] = vals.index(max(vals))
    cmap = colormaps["tab20"].resampled(max(len(tl), 2)) if len(tl) <= 20 else colormaps["viridis"]
    im = ax.imshow(img, origin="lower", extent=(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])),
                   cmap=cmap, vmin=-0.5, vmax=len(tl) - 0.5, interpolation="nearest", aspect="equal")
    im.set_gid("argmax")
    fig.colorbar(im, ax=ax, label="index of the maximising term")
    part = enumerate_regions(net, domain)
    outl = PolyCollection([polygon_2d(r.vertices, r.witness) for r in part.regions], facecolors="none",
                          edgecolors="black", linewidths=0.5)
    outl.set_gid("regions")
    ax.add_collection(outl)
    names = _input_names(net)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(title if title is not None else f"maximising term ({len(tl)} terms, {len(part.regions)} regions)")
    return fig


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
    pts = [(float(_q(p[0])), float(_q(p[1]))) for p in points]
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
