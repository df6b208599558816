"""What every figure of :mod:`exactrelu.plot` shares: a fresh Agg figure (never registered with
``pyplot``), argument checks, exact-to-float conversion and the framing of a 2-D domain.

Everything in :mod:`exactrelu.plot` only *draws*: regions, vertices, maps and witnesses are
computed exactly by the rest of exactrelu and converted to floats at the last moment.

Examples
--------
>>> fig, ax = new_axes()
>>> type(fig.canvas).__name__
'FigureCanvasAgg'
>>> polygon_2d([(1, 1), (-1, -1), (1, -1), (-1, 1)], centre=(0, 0))
[(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

from ..errors import BackendUnavailableError, ModelError

__all__ = ["INSTALL_HINT", "matplotlib_classes", "new_axes", "require_inputs", "require_output", "as_fraction",
           "polygon_2d", "map_value", "same_map", "input_names", "domain_outline", "frame_2d", "pad_limits"]

INSTALL_HINT = "matplotlib is needed for plotting: pip install exactrelu[plot]"


def matplotlib_classes() -> tuple[Any, Any]:
    """``(Figure, FigureCanvasAgg)``, imported lazily.

    Raises
    ------
    BackendUnavailableError
        When matplotlib is not installed (the message names the ``plot`` extra).

    Examples
    --------
    >>> Figure, Canvas = matplotlib_classes()
    >>> Figure.__name__, Canvas.__name__
    ('Figure', 'FigureCanvasAgg')
    """
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is in the test extra
        raise BackendUnavailableError(f"{INSTALL_HINT} ({exc})") from None
    return Figure, FigureCanvasAgg


def new_axes(ax: Any = None, projection: str | None = None, figsize: tuple[float, float] = (6.0, 5.0)):
    """``(fig, ax)``: the given axes and its figure, or a new Agg figure with one axes.

    Parameters
    ----------
    ax : matplotlib axes or None
        Axes to draw into; None makes a new figure (constrained layout, not registered with
        ``pyplot``, so no window opens and it is freed when no longer referenced).
    projection : str or None
        ``"3d"`` for a 3-D axes.
    figsize : (float, float)
        Size of a new figure in inches.

    Examples
    --------
    >>> fig, ax = new_axes(figsize=(3, 2))
    >>> ax.figure is fig, fig.get_size_inches().tolist()
    (True, [3.0, 2.0])
    """
    if ax is not None:
        return ax.figure, ax
    Figure, FigureCanvasAgg = matplotlib_classes()
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    if projection == "3d":
        import mpl_toolkits.mplot3d  # noqa: F401  (registers the 3d projection)
    ax = fig.add_subplot(1, 1, 1, projection=projection)
    return fig, ax


def require_inputs(net: Any, n: int, what: str) -> None:
    """Raise :class:`~exactrelu.errors.ModelError` unless ``net`` has ``n`` inputs.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> require_inputs(mlp(1, [([[1]], [0])]), 2, "a 2-D plot")
    Traceback (most recent call last):
    ...
    exactrelu.errors.ModelError: a 2-D plot needs a network with 2 inputs, this one has 1
    """
    if net.n_inputs != n:
        raise ModelError(f"{what} needs a network with {n} input{'s' if n > 1 else ''}, "
                         f"this one has {net.n_inputs}")


def require_output(net: Any, output: int) -> None:
    """Raise :class:`~exactrelu.errors.ModelError` unless ``output`` is an output index of ``net``.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> require_output(mlp(1, [([[1]], [0])]), 0)
    """
    if not isinstance(output, int) or not 0 <= output < net.n_outputs:
        raise ModelError(f"output {output!r} does not exist (the network has {net.n_outputs} outputs)")


def as_fraction(v: Any) -> Fraction:
    """A number, or a ``"p/q"`` string, as a Fraction (exact for floats).

    Examples
    --------
    >>> as_fraction("1/3"), as_fraction(0.5), as_fraction(2)
    (Fraction(1, 3), Fraction(1, 2), Fraction(2, 1))
    """
    return v if isinstance(v, Fraction) else Fraction(str(v)) if isinstance(v, str) else Fraction(v)


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
    pts = list(dict.fromkeys(tuple(as_fraction(c) for c in v) for v in vertices))
    if not pts:
        return []
    if centre is None:
        c = tuple(sum(p[i] for p in pts) / len(pts) for i in range(2))
    else:
        c = tuple(as_fraction(v) for v in centre)
    pts.sort(key=lambda p: math.atan2(float(p[1] - c[1]), float(p[0] - c[0])))
    return [(float(p[0]), float(p[1])) for p in pts]


def map_value(region: Any, point: Sequence[Fraction], output: int) -> Fraction:
    """The exact value of output ``output`` of ``region``'s affine map at ``point``.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> from exactrelu.regions.walk import enumerate_regions
    >>> part = enumerate_regions(mlp(1, [([[1]], [0]), ([[2]], [1])]), box([-1], [1]))
    >>> sorted(map_value(r, (Fraction(1),), 0) for r in part.regions)
    [Fraction(1, 1), Fraction(3, 1)]
    """
    C, d = region.affine_map
    return sum((c * x for c, x in zip(C[output], point)), Fraction(0)) + d[output]


def same_map(r1: Any, r2: Any) -> bool:
    """True when two regions have the same affine map (a boundary without a kink).

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> from exactrelu.regions.walk import enumerate_regions
    >>> r0, r1 = enumerate_regions(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1])).regions
    >>> same_map(r0, r1)
    False
    """
    return r1.affine_map == r2.affine_map


def input_names(net: Any) -> list[str]:
    """Axis labels for the inputs: the network's input names, else ``$x_0$``, ``$x_1$``, ...

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> input_names(mlp(2, [([[1, 1]], [0])]))
    ['$x_0$', '$x_1$']
    """
    names = list(net.input_names) if net.input_names else []
    return names if len(names) == net.n_inputs else [f"$x_{i}$" for i in range(net.n_inputs)]


def domain_outline(poly: Sequence[tuple[float, float]]):
    """A black closed outline patch for a polygon (the domain's boundary).

    Examples
    --------
    >>> domain_outline([(0, 0), (1, 0), (0, 1)]).get_fill()
    False
    """
    from matplotlib.patches import Polygon

    return Polygon(poly, closed=True, fill=False, edgecolor="black", linewidth=1.2, zorder=2)


def frame_2d(ax: Any, dpoly: Sequence[tuple[float, float]]) -> None:
    """Fit ``ax`` to a polygon with a 3 % margin and equal aspect.

    Examples
    --------
    >>> fig, ax = new_axes()
    >>> frame_2d(ax, [(0, 0), (1, 0), (1, 1), (0, 1)])
    >>> [round(float(v), 2) for v in ax.get_xlim()]
    [-0.03, 1.03]
    """
    xs = [p[0] for p in dpoly]
    ys = [p[1] for p in dpoly]
    padx = 0.03 * ((max(xs) - min(xs)) or 1.0)
    pady = 0.03 * ((max(ys) - min(ys)) or 1.0)
    ax.set_xlim(min(xs) - padx, max(xs) + padx)
    ax.set_ylim(min(ys) - pady, max(ys) + pady)
    ax.set_aspect("equal", adjustable="box")


def pad_limits(ax: Any, xs: Sequence[float], ys: Sequence[float]) -> None:
    """Fit ``ax`` to the points ``(xs, ys)``: 2 % margin in x, 6 % in y.

    Examples
    --------
    >>> fig, ax = new_axes()
    >>> pad_limits(ax, [0, 1], [0, 1])
    >>> [round(float(v), 2) for v in ax.get_ylim()]
    [-0.06, 1.06]
    """
    xlo, xhi = min(xs), max(xs)
    ylo, yhi = min(ys), max(ys)
    px = 0.02 * ((xhi - xlo) or 1.0)
    py = 0.06 * ((yhi - ylo) or 1.0)
    ax.set_xlim(xlo - px, xhi + px)
    ax.set_ylim(ylo - py, yhi + py)
