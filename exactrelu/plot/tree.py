"""Certificates drawn: :func:`plot_certificate_tree` (the splitting tree of a partition or
property certificate, read from its JSON form) and :func:`plot_farkas_2d` (what a Farkas vector
proves: a cell, the half-plane it cannot meet, and the combination of constraints between them).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> from exactrelu.certificate.partition import partition_certificate
>>> part = enumerate_regions(mlp(2, [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]), box([-1, -1], [1, 1]))
>>> cert = partition_certificate(part)
>>> fig = plot_certificate_tree(cert)
>>> len(tree_layout(cert["nodes"])) == len(cert["nodes"])
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from ..errors import ModelError
from .figure import as_fraction, new_axes, polygon_2d

__all__ = ["tree_layout", "plot_certificate_tree", "plot_farkas_2d"]


def tree_layout(nodes: Sequence[dict]) -> dict[int, tuple[float, int]]:
    """``{node id: (x, depth)}`` for a splitting tree in certificate form (a list of nodes with
    ``id``, ``parent`` and ``split`` = None or ``{"pos", "neg", ...}``): leaves at consecutive
    x in depth-first order (the ``+`` child first), an inner node above the middle of its two
    children.

    Examples
    --------
    >>> nodes = [{"id": 0, "parent": None, "split": {"pos": 1, "neg": 2}},
    ...          {"id": 1, "parent": 0, "split": None}, {"id": 2, "parent": 0, "split": None}]
    >>> tree_layout(nodes)
    {1: (0.0, 1), 2: (1.0, 1), 0: (0.5, 0)}
    """
    by_id = {nd["id"]: nd for nd in nodes}
    roots = [nd["id"] for nd in nodes if nd.get("parent") is None]
    if len(roots) != 1:
        raise ModelError(f"a splitting tree has one root, this one has {len(roots)}")
    pos: dict[int, tuple[float, int]] = {}
    next_leaf = 0.0
    # iterative post-order walk (trees can be deeper than Python's recursion limit)
    stack: list[tuple[int, int, bool]] = [(roots[0], 0, False)]
    while stack:
        nid, depth, done = stack.pop()
        split = by_id[nid].get("split")
        if split is None:
            pos[nid] = (next_leaf, depth)
            next_leaf += 1.0
        elif done:
            pos[nid] = ((pos[split["pos"]][0] + pos[split["neg"]][0]) / 2, depth)
        else:
            stack += [(nid, depth, True), (split["neg"], depth + 1, False), (split["pos"], depth + 1, False)]
    return pos


def _nodes_of(cert: dict, partition: int) -> list[dict]:
    if "nodes" in cert:
        return cert["nodes"]
    if "partitions" in cert:
        return cert["partitions"][partition]["nodes"]
    raise ModelError("the certificate has no splitting tree (no 'nodes' and no 'partitions')")


def plot_certificate_tree(cert: dict, ax: Any = None, partition: int = 0, show_decisions: bool = True,
                          title: str | None = None):
    """The splitting tree of a certificate: one marker per node, one edge per parent-child pair.

    Inner nodes (a split on unit ``u``: one witness on each side) are circles labelled ``u``,
    edges are labelled with the side (``+``: ``z_u > 0``). Leaves are squares: green for a
    linear region, orange for an open cell (a pruned cell of a property certificate, closed by
    the relaxation evidence instead of being split further). With ``show_decisions`` each node
    lists its stable-unit decisions (``u+`` / ``u-``, each proved by a Farkas vector) below it.

    Parameters
    ----------
    cert : a certificate in JSON form with a splitting tree: ``partition_certificate`` output
        (``nodes``) or a property certificate (``partitions[partition]["nodes"]``).

    Returns
    -------
    matplotlib.figure.Figure. The nodes are one scatter per kind with ``gid`` ``"splits"``,
    ``"regions"`` and ``"open"``; the edges one ``LineCollection`` (``gid="edges"``).
    """
    nodes = _nodes_of(cert, partition)
    layout = tree_layout(nodes)
    n_leaves = sum(1 for nd in nodes if nd.get("split") is None)
    depth = max(d for _, d in layout.values())
    fig, ax = new_axes(ax, figsize=(min(14.0, max(6.0, 0.55 * n_leaves + 1)), min(8.0, 1.0 + 0.9 * (depth + 1))))
    from matplotlib.collections import LineCollection

    segs, edge_labels = [], []
    for nd in nodes:
        sp = nd.get("split")
        if sp is None:
            continue
        x0, d0 = layout[nd["id"]]
        for side, child in (("+", sp["pos"]), ("-", sp["neg"])):
            x1, d1 = layout[child]
            segs.append([(x0, -d0), (x1, -d1)])
            edge_labels.append(((x0 + x1) / 2, -(d0 + d1) / 2, side))
    lc = LineCollection(segs, colors="0.4", linewidths=1.0, zorder=1)
    lc.set_gid("edges")
    ax.add_collection(lc)
    for x, y, side in edge_labels:
        ax.annotate(side, (x, y), fontsize=8, ha="center", va="center", color="0.25",
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    kinds = {"splits": [], "regions": [], "open": []}
    for nd in nodes:
        kind = "splits" if nd.get("split") is not None else "open" if nd.get("open") else "regions"
        kinds[kind].append(nd)
    style = {"splits": ("o", "#4c72b0", "split on a unit (label: unit)"),
             "regions": ("s", "#55a868", "leaf: a linear region"),
             "open": ("s", "#dd8452", "open leaf: pruned cell")}
    for kind, members in kinds.items():
        if not members:
            continue
        marker, colour, label = style[kind]
        sc = ax.scatter([layout[nd["id"]][0] for nd in members], [-layout[nd["id"]][1] for nd in members],
                        s=170, marker=marker, c=colour, edgecolors="black", linewidths=0.6, zorder=3,
                        label=f"{label} ({len(members)})")
        sc.set_gid(kind)
    for nd in nodes:
        x, d = layout[nd["id"]]
        if nd.get("split") is not None:
            ax.annotate(str(nd["split"]["unit"]), (x, -d), fontsize=7, ha="center", va="center", color="white",
                        zorder=4)
        if show_decisions and nd.get("decisions"):
            text = "\n".join(f"{u}{s}" for u, s, *_ in nd["decisions"])
            ax.annotate(text, (x, -d), xytext=(0, -9), textcoords="offset points", fontsize=6, ha="center",
                        va="top", color="0.3")
    xs = [p[0] for p in layout.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(-depth - 0.9, 0.5)
    ax.set_yticks([-d for d in range(depth + 1)], [str(d) for d in range(depth + 1)])
    ax.set_xticks([])
    ax.set_ylabel("depth")
    for spine in ("top", "right", "bottom"):
        ax.spines[spine].set_visible(False)
    ax.legend(loc="lower left", fontsize=7, framealpha=0.9)
    ax.set_title(title if title is not None else
                 f"splitting tree: {len(nodes)} nodes, {len(kinds['splits'])} splits, {n_leaves} leaves "
                 f"(grey: stable units, decided by a Farkas vector)", fontsize=9)
    return fig


def _clip_halfplane(poly: list[tuple[float, float]], a: Sequence[float], c: float) -> list[tuple[float, float]]:
    """The part of a convex polygon (floats) where ``a . x <= c`` (Sutherland-Hodgman)."""
    out = []
    for p, q in zip(poly, poly[1:] + poly[:1]):
        fp = a[0] * p[0] + a[1] * p[1] - c
        fq = a[0] * q[0] + a[1] * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _line_in_box(a: Sequence[float], c: float, box: tuple[float, float, float, float]):
    """Endpoints of ``a . x = c`` inside the rectangle ``(x0, x1, y0, y1)``, or None."""
    x0, x1, y0, y1 = box
    rect = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    pts = []
    for p, q in zip(rect, rect[1:] + rect[:1]):
        fp = a[0] * p[0] + a[1] * p[1] - c
        fq = a[0] * q[0] + a[1] * q[1] - c
        if fp == 0:
            pts.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            pts.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return (pts[0], pts[1]) if len(pts) >= 2 else None


def _checked_farkas(A, b, q, q0, y):
    """Exact ``(A, b, q, q0, y, b . y + q0)`` with ``y`` scaled to ``A^T y = q``, or a ValueError
    / ModelError saying why ``y`` proves nothing (see :func:`plot_farkas_2d`)."""
    Aq = [[as_fraction(v) for v in row] for row in A]
    bq = [as_fraction(v) for v in b]
    qq = [as_fraction(v) for v in q]
    q0q = as_fraction(q0)
    items = y.items() if isinstance(y, dict) else ((i, Fraction(p, r)) for i, p, r in y)
    yq = {int(i): as_fraction(v) for i, v in items}
    if any(len(row) != 2 for row in Aq) or len(qq) != 2:
        raise ModelError("plot_farkas_2d draws 2-D cells only")
    if any(v < 0 for v in yq.values()):
        raise ValueError("a Farkas vector has no negative multiplier")
    combo = [sum((yq[i] * Aq[i][k] for i in yq), Fraction(0)) for k in range(2)]
    k = next((k for k in range(2) if qq[k]), None)
    lam = combo[k] / qq[k] if k is not None else Fraction(0)
    if lam <= 0 or combo != [lam * v for v in qq]:
        raise ValueError(f"A^T y = {[str(v) for v in combo]} is not a positive multiple of q = {[str(v) for v in qq]}")
    yq = {i: v / lam for i, v in yq.items()}  # a proof for lam * g is one for g: normalise to A^T y = q
    slack = sum((yq[i] * bq[i] for i in yq), Fraction(0)) + q0q
    if slack > 0:
        raise ValueError(f"b . y + q0 = {slack} > 0: the vector proves nothing")
    return Aq, bq, qq, q0q, yq, slack


def plot_farkas_2d(A: Sequence[Sequence[Any]], b: Sequence[Any], q: Sequence[Any], q0: Any, y: Any,
                   ax: Any = None, title: str | None = None):
    """What a Farkas vector proves, in 2-D: ``g(x) = q . x + q0 <= 0`` on the cell ``A x <= b``.

    The multipliers ``y >= 0`` (``{row: value}``, or ``(row, numerator, denominator)`` triples
    as :func:`~exactrelu.regions.evidence.prove_le` returns them; a positive multiple of a
    proof is a proof, so ``y`` is first scaled to ``A^T y = q``) satisfy ``A^T y = q`` and ``b . y + q0 <= 0``
    (checked exactly here; a ValueError says which fails). Then for ``x`` in the cell,
    ``g(x) = y . (A x - b) + (b . y + q0) <= 0``: the set where ``g > 0`` (red) cannot meet the
    cell (blue). Drawn: the cell, the rows with ``y_i > 0`` (thick, labelled with ``y_i``) and
    the others (thin), the line ``g = 0`` (red), and the combined inequality
    ``(A^T y) . x <= b . y`` (dashed, black): a line parallel to ``g = 0`` that touches or
    contains the cell and keeps the red side away.

    Returns
    -------
    matplotlib.figure.Figure. The cell is ``ax.patches`` with ``gid="cell"`` (one vertex per
    cell vertex), the used rows are lines with ``gid="used_row"``, the others ``gid="row"``,
    ``g = 0`` has ``gid="g"`` and the combination ``gid="combination"``.
    """
    from ..domain.polytope import polytope

    Aq, bq, qq, q0q, yq, slack = _checked_farkas(A, b, q, q0, y)
    cell = polytope(Aq, bq)
    fig, ax = new_axes(ax, figsize=(6.0, 6.0))
    from matplotlib.patches import Polygon

    cpoly = polygon_2d(cell.vertices, cell.interior_point)
    xs, ys = [p[0] for p in cpoly], [p[1] for p in cpoly]
    w = max(max(xs) - min(xs), max(ys) - min(ys))
    view = (min(xs) - 0.6 * w, max(xs) + 0.6 * w, min(ys) - 0.6 * w, max(ys) + 0.6 * w)
    rect = [(view[0], view[2]), (view[1], view[2]), (view[1], view[3]), (view[0], view[3])]
    qf, q0f = [float(v) for v in qq], float(q0q)
    bad = _clip_halfplane(rect, [-qf[0], -qf[1]], q0f)  # g >= 0  <=>  -q . x <= q0
    if len(bad) >= 3:
        ax.add_patch(Polygon(bad, closed=True, facecolor="#d62728", alpha=0.18, edgecolor="none",
                             label="$g(x) > 0$: where the claim would fail"))
    patch = Polygon(cpoly, closed=True, facecolor="#4c72b0", alpha=0.35, edgecolor="#1f3b70", linewidth=1.5,
                    label="the cell $Ax \\leq b$", zorder=2)
    patch.set_gid("cell")
    ax.add_patch(patch)
    for i, (row, bi) in enumerate(zip(Aq, bq)):
        seg = _line_in_box([float(row[0]), float(row[1])], float(bi), view)
        if seg is None:
            continue
        used = yq.get(i, 0) > 0
        (line,) = ax.plot([seg[0][0], seg[1][0]], [seg[0][1], seg[1][1]], color="C2" if used else "0.6",
                          linewidth=2.2 if used else 0.8, linestyle="-" if used else ":", zorder=3,
                          label=None if not used else f"row {i}, $y_{{{i}}} = {yq[i]}$")
        line.set_gid("used_row" if used else "row")
    seg = _line_in_box(qf, -q0f, view)
    if seg is not None:
        (gl,) = ax.plot([seg[0][0], seg[1][0]], [seg[0][1], seg[1][1]], color="#d62728", linewidth=1.6,
                        zorder=4, label="$g(x) = q \\cdot x + q_0 = 0$")
        gl.set_gid("g")
    by = slack - q0q
    seg = _line_in_box(qf, float(by), view)
    if seg is not None:
        (cl,) = ax.plot([seg[0][0], seg[1][0]], [seg[0][1], seg[1][1]], color="black", linewidth=1.4,
                        linestyle="--", zorder=4, label=f"$(A^T y) \\cdot x = b \\cdot y = {by}$")
        cl.set_gid("combination")
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, ncol=2)
    ax.set_title(title if title is not None else
                 f"Farkas: $A^T y = q$, $b \\cdot y + q_0 = {slack} \\leq 0$, so $g \\leq 0$ on the cell",
                 fontsize=9)
    return fig
