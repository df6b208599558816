"""The graph of a network over its regions: :func:`plot_function_1d` (1 input, breakpoints
marked) and :func:`plot_surface_2d` (2 inputs, one flat 3-D polygon per region).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.regions.walk import enumerate_regions
>>> part = enumerate_regions(mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])]), box([-1], [1]))
>>> fig = plot_function_1d(part)
>>> fig.axes[0].get_title()
'2 regions, 1 breakpoints'
"""

from __future__ import annotations

import math

from ..errors import UsageError
from .figure import input_names, map_value, new_axes, pad_limits, require_inputs, require_output, same_map

__all__ = ["plot_function_1d", "plot_surface_2d"]


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
    require_inputs(net, 1, "plot_function_1d")
    require_output(net, output)
    fig, ax = new_axes(ax, figsize=(6.0, 3.8))
    from matplotlib.collections import LineCollection

    regs = sorted(partition.regions, key=lambda r: min(v[0] for v in r.vertices))
    segs = []
    ends = []
    for r in regs:
        lo = min(v[0] for v in r.vertices)
        hi = max(v[0] for v in r.vertices)
        ylo, yhi = map_value(r, (lo,), output), map_value(r, (hi,), output)
        segs.append([(float(lo), float(ylo)), (float(hi), float(yhi))])
        ends.append((lo, hi, ylo, yhi))
    lc = LineCollection(segs, colors="C0", linewidths=2.0, zorder=3)
    lc.set_gid("pieces")
    ax.add_collection(lc)
    kinks, flat = [], []
    for (r1, e1), (r2, e2) in zip(zip(regs, ends), zip(regs[1:], ends[1:])):
        x, y = e1[1], e1[3]
        (flat if same_map(r1, r2) else kinks).append((float(x), float(y)))
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
    pad_limits(ax, xs, ys)
    ax.set_xlabel(input_names(net)[0])
    ax.set_ylabel(f"$y_{output}$" if net.n_outputs > 1 else "$f(x)$")
    ax.legend(loc="best", fontsize=8)
    if title is None:
        title = f"{len(regs)} regions, {len(kinks)} breakpoints"
    ax.set_title(title)
    return fig




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
    require_inputs(net, 2, "plot_surface_2d")
    require_output(net, output)
    fig, ax = new_axes(ax, projection="3d", figsize=(6.5, 5.2))
    if getattr(ax, "name", "") != "3d":
        raise UsageError("plot_surface_2d needs a 3-D axes (projection='3d')")
    from matplotlib import colormaps, colors
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    polys, heights = [], []
    for r in partition.regions:
        pts = list(dict.fromkeys(tuple(v) for v in r.vertices))
        w = r.witness
        pts.sort(key=lambda p: math.atan2(float(p[1] - w[1]), float(p[0] - w[0])))
        zs = [map_value(r, p, output) for p in pts]
        polys.append([(float(p[0]), float(p[1]), float(z)) for p, z in zip(pts, zs)])
        heights.append(float(sum(zs) / len(zs)))
    if color_by == "height":
        lo, hi = min(heights), max(heights)
        norm = colors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1)
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
    names = input_names(net)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel(f"$y_{output}$" if net.n_outputs > 1 else "$f(x)$")
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(title if title is not None else f"surface over {len(polys)} regions")
    return fig


