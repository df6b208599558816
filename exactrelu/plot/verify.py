"""Verification and compression drawn: :func:`plot_verification_cells_2d` (the cells of a
``holds`` run on a 2-D input region, coloured by how each was closed),
:func:`plot_network` (a network as a layered diagram) and :func:`plot_compression` (a network
before and after removing its stable units).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> fig = plot_network(mlp(2, [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]))
>>> len(fig.axes[0].collections[-1].get_offsets())                     # 2 inputs, 2 units, 1 output
5
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from ..errors import ModelError
from .figure import domain_outline, frame_2d, input_names, new_axes, polygon_2d, require_inputs

__all__ = ["tree_leaf", "cell_grid_2d", "plot_verification_cells_2d", "plot_network", "plot_compression"]

CLOSED_BY = {"region": "linear region: each disjunct refuted by a Farkas vector",
             "pruned": "pruned cell: refuted by the relaxation, not split",
             "open": "open cell: not decided (a limit stopped the walk)"}


def tree_leaf(nodes: Sequence[Any], pattern: str) -> int:
    """The id of the leaf of a splitting tree (``TreeNode`` objects or certificate dicts)
    reached by following an activation pattern: at a split on unit ``u`` go to ``pos`` when
    ``pattern[u] == "1"``, else to ``neg``.

    Examples
    --------
    >>> nodes = [{"id": 0, "parent": None, "split": {"unit": 1, "pos": 1, "neg": 2}},
    ...          {"id": 1, "parent": 0, "split": None}, {"id": 2, "parent": 0, "split": None}]
    >>> tree_leaf(nodes, "01"), tree_leaf(nodes, "10")
    (1, 2)
    """
    def split_of(nd: Any):
        return nd.get("split") if isinstance(nd, dict) else nd.split

    def id_of(nd: Any) -> int:
        return nd["id"] if isinstance(nd, dict) else nd.id

    by_id = {id_of(nd): nd for nd in nodes}
    node = next(nd for nd in nodes if (nd.get("parent") if isinstance(nd, dict) else nd.parent) is None)
    while split_of(node) is not None:
        sp = split_of(node)
        node = by_id[sp["pos"] if pattern[sp["unit"]] == "1" else sp["neg"]]
    return id_of(node)


def cell_grid_2d(partition: Any, resolution: int = 160) -> tuple[Any, tuple[float, float, float, float]]:
    """``(ids, extent)``: for a grid of pixel centres over the bounding box of a 2-D
    partition's domain, the id of the tree leaf containing each (-1 outside the domain).

    The patterns are computed in float64 (:func:`~exactrelu.model.evaluation.float_activation_pattern`):
    this is a picture, and a pixel next to a boundary may land in the neighbouring cell.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> from exactrelu.regions.walk import enumerate_regions
    >>> part = enumerate_regions(mlp(2, [([[1, 0]], [0]), ([[1]], [0])]), box([-1, -1], [1, 1]))
    >>> ids, extent = cell_grid_2d(part, resolution=4)
    >>> sorted(set(ids.ravel().tolist())) == sorted(r.node for r in part.regions)
    True
    """
    import numpy as np

    from ..model.evaluation import float_activation_pattern

    require_inputs(partition.network, 2, "cell_grid_2d")
    lo, hi = partition.domain.lower, partition.domain.upper
    n = max(2, resolution)
    gx = [lo[0] + (hi[0] - lo[0]) * Fraction(2 * k + 1, 2 * n) for k in range(n)]
    gy = [lo[1] + (hi[1] - lo[1]) * Fraction(2 * k + 1, 2 * n) for k in range(n)]
    pts = [(x, y) for y in gy for x in gx]
    inside = [partition.domain.contains(p) for p in pts]
    pats = float_activation_pattern(partition.network, [[float(x), float(y)] for x, y in pts])
    ids = np.array([tree_leaf(partition.nodes, pat) if ok else -1 for pat, ok in zip(pats, inside)]).reshape(n, n)
    return ids, (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def _kind(node: Any) -> str:
    if node.pruned is not None:
        return "pruned"
    return "open" if node.open else "region"


def plot_verification_cells_2d(result: Any, input_region: int = 0, ax: Any = None, resolution: int = 160,
                               title: str | None = None):
    """The cells of a verification run over a 2-D input region, coloured by how they were closed.

    A ``holds`` verdict (:func:`~exactrelu.verify.property.verify`) closes every cell of the
    splitting tree in one of two ways: a **linear region** (a leaf: on it the outputs are
    affine and each disjunct is refuted by a Farkas vector; green shades, exact outlines) or a
    **pruned cell** (not split further: a linear relaxation of its undecided units refutes
    every disjunct on the whole cell; blue shades). Open cells (a limit stopped the walk) are
    grey. Pruned cells are drawn from a grid of pixels (their polygons are not kept).

    Parameters
    ----------
    result : a :class:`~exactrelu.verify.property.VerificationResult` with ``partitions``
        (a ``holds`` or ``unknown`` verdict of a run with 2 free inputs).
    input_region : which input region (``result.partitions[input_region]``).

    Returns
    -------
    matplotlib.figure.Figure. The cells are ``ax.images[0]`` (``gid="cells"``), the exact region
    outlines one ``PolyCollection`` (``gid="regions"``, one path per region); the legend
    counts the cells of each kind.
    """
    parts = getattr(result, "partitions", None) or []
    if not 0 <= input_region < len(parts):
        raise ModelError(f"the result has {len(parts)} input regions with a partition; "
                         f"{input_region} does not exist (a violated verdict keeps none)")
    _, part, _ = parts[input_region]
    require_inputs(part.network, 2, "plot_verification_cells_2d")
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    ids, extent = cell_grid_2d(part, resolution)
    kind = {nd.id: _kind(nd) for nd in part.nodes if nd.split is None}
    maps = {"region": colormaps["Greens"], "pruned": colormaps["Blues"], "open": colormaps["Greys"]}
    img = np.ones(ids.shape + (4,))
    for k, nid in enumerate(sorted(kind)):
        shade = 0.35 + 0.4 * ((7 * k) % 10) / 10  # neighbouring cells get different shades
        img[ids == nid] = maps[kind[nid]](shade)
    fig, ax = new_axes(ax, figsize=(7.2, 5.0))
    im = ax.imshow(img, origin="lower", extent=extent, interpolation="nearest", aspect="equal")
    im.set_gid("cells")
    outl = PolyCollection([polygon_2d(r.vertices, r.witness) for r in part.regions], facecolors="none",
                          edgecolors="#1b5e20", linewidths=0.9)
    outl.set_gid("regions")
    ax.add_collection(outl)
    dpoly = polygon_2d(part.domain.vertices, part.domain.interior_point)
    ax.add_patch(domain_outline(dpoly))
    frame_2d(ax, dpoly)
    counts = {k: sum(1 for v in kind.values() if v == k) for k in CLOSED_BY}
    ax.legend(handles=[Patch(facecolor=maps[k](0.6), label=f"{CLOSED_BY[k]} ({counts[k]})")
                       for k in CLOSED_BY if counts[k]],
              loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, ncol=1)
    names = input_names(part.network)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(title if title is not None else
                 f"{result.verdict}: {counts['region']} region{'s' if counts['region'] != 1 else ''} and "
                 f"{counts['pruned']} pruned cell{'s' if counts['pruned'] != 1 else ''} "
                 f"({len(part.nodes)} tree nodes)", fontsize=10)
    return fig


def _unit_status(net: Any, stable: dict[int, str] | None) -> dict[tuple[int, int], str]:
    units = net.relu_units
    return {units[g]: s for g, s in (stable or {}).items()}


def plot_network(net: Any, ax: Any = None, stable: dict[int, str] | None = None, title: str | None = None):
    """A network as a layered diagram: a column of dots per layer (inputs, each hidden layer,
    outputs) and a line per non-zero weight (width and opacity by its magnitude, blue
    positive, red negative; skip connections drawn too).

    Parameters
    ----------
    stable : optional ``{global ReLU unit index: "active" | "inactive"}`` (as
        :func:`~exactrelu.verify.compress.stable_units` returns): stably active units are
        drawn as orange squares, stably inactive ones as hollow grey circles.

    Returns
    -------
    matplotlib.figure.Figure. The units are the scatter with ``gid="units"`` (one point per input,
    unit and output), the weights one ``LineCollection`` (``gid="weights"``).
    """
    fig, ax = new_axes(ax, figsize=(6.0, 4.0))
    from matplotlib.collections import LineCollection

    widths = [net.n_inputs] + list(net.widths)
    top = max(widths)

    def xy(layer: int, i: int) -> tuple[float, float]:
        return float(layer), (widths[layer] - 1) / 2 - i

    segs, cols, lws = [], [], []
    wmax = max((abs(v) for lay in net.layers for _, W in lay.inputs for row in W for v in row), default=Fraction(1))
    for k, lay in enumerate(net.layers, start=1):
        for src, W in lay.inputs:
            for i, row in enumerate(W):
                for j, v in enumerate(row):
                    if v:
                        segs.append([xy(src, j), xy(k, i)])
                        s = float(abs(v) / wmax) if wmax else 1.0
                        cols.append((0.13, 0.35, 0.75, 0.15 + 0.6 * s) if v > 0 else (0.8, 0.15, 0.15, 0.15 + 0.6 * s))
                        lws.append(0.4 + 1.8 * s)
    lc = LineCollection(segs, colors=cols, linewidths=lws, zorder=1)
    lc.set_gid("weights")
    ax.add_collection(lc)
    status = _unit_status(net, stable)
    pts = [xy(layer, i) for layer, w in enumerate(widths) for i in range(w)]
    face, edge, mark = [], [], []
    for layer, w in enumerate(widths):
        for i in range(w):
            s = status.get((layer, i))
            face.append("white" if s == "inactive" else "#dd8452" if s == "active" else
                        "0.2" if layer in (0, len(widths) - 1) else "#4c72b0")
            edge.append("0.5" if s == "inactive" else "black")
    sc = ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=90, c=face, edgecolors=edge, linewidths=1.0,
                    zorder=3)
    sc.set_gid("units")
    for p, (layer, i) in zip(pts, [(layer, i) for layer, w in enumerate(widths) for i in range(w)]):
        if status.get((layer, i)) == "active":
            ax.scatter([p[0]], [p[1]], s=90, marker="s", c="#dd8452", edgecolors="black", zorder=4)
    ax.set_xticks(range(len(widths)), ["input"] + [f"layer {k}" for k in range(1, len(widths) - 1)] + ["output"])
    ax.set_yticks([])
    ax.set_xlim(-0.4, len(widths) - 0.6)
    ax.set_ylim(-(top - 1) / 2 - 0.8, (top - 1) / 2 + 0.8)
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    ax.set_title(title if title is not None else
                 f"widths {net.n_inputs} - " + " - ".join(map(str, net.widths)) +
                 f" ({sum(len(s) for s in segs) // 2} non-zero weights)", fontsize=9)
    return fig


def plot_compression(result: Any, title: str | None = None):
    """A network before and after :func:`~exactrelu.verify.compress.compress`: left the original
    with its stable units marked (orange squares: stably active, folded into the next layer;
    hollow: stably inactive, removed), right the compressed network.

    Returns
    -------
    matplotlib.figure.Figure with two axes, as drawn by :func:`plot_network`.
    """
    from .figure import matplotlib_classes

    Figure, Canvas = matplotlib_classes()
    fig = Figure(figsize=(11.0, 4.2), layout="constrained")
    Canvas(fig)
    a1, a2 = fig.subplots(1, 2, width_ratios=[1.2, 1.0])
    n_active = sum(1 for s in result.stable.values() if s == "active")
    plot_network(result.original, ax=a1, stable=result.stable,
                 title=f"before: {result.original.n_relu} ReLU units; {n_active} stably active (squares), "
                       f"{len(result.stable) - n_active} stably inactive (hollow)")
    proved = {True: "proved equal on the domain", False: "NOT equal", None: "equality not checked"}[result.equivalent]
    plot_network(result.compressed, ax=a2, title=f"after: {result.compressed.n_relu} ReLU units ({proved})")
    if title is not None:
        fig.suptitle(title)
    return fig
