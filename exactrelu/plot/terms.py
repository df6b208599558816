"""The terms of a representation (the shallow networks of a max, the min-terms of a lattice
form, any callables) drawn against the network: :func:`plot_representation_terms_1d` and
:func:`plot_representation_terms_2d`.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])             # |x| = max(x, -x)
>>> fig = plot_representation_terms_1d(net, [lambda p: p[0], lambda p: -p[0]], box([-1], [1]), samples=5)
>>> fig.axes[0].get_title()
'2 terms against the network'
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Sequence

from ..errors import PointError, UsageError
from .figure import as_fraction, input_names, new_axes, pad_limits, polygon_2d, require_inputs, require_output

__all__ = ["plot_representation_terms_1d", "plot_representation_terms_2d"]


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
    lo, hi = as_fraction(lo), as_fraction(hi)
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
    require_inputs(net, 1, "plot_representation_terms_1d")
    require_output(net, output)
    fig, ax = new_axes(ax, figsize=(7.5, 4.2))
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
    pad_limits(ax, fx, allv)
    ax.set_xlabel(input_names(net)[0])
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
    require_inputs(net, 2, "plot_representation_terms_2d")
    require_output(net, output)
    fig, ax = new_axes(ax)
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
    names = input_names(net)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(title if title is not None else f"maximising term ({len(tl)} terms, {len(part.regions)} regions)")
    return fig


