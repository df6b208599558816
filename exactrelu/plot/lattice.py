"""Which term of a lattice form ``f = max_t min_{j in S_t} l_j`` is active where, drawn over
the network's linear regions: :func:`plot_lattice_terms_1d` and :func:`plot_lattice_terms_2d`;
:func:`active_terms` computes the term per region (exactly, at the region's witness).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.shallow.lattice import lattice_form
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])              # |x| = max(x, -x)
>>> lf = lattice_form(net, box([-1], [1]))
>>> sorted(active_terms(lf))
[0, 1]
>>> fig = plot_lattice_terms_1d(lf)
>>> len(fig.axes[0].patches)                                               # one band per region
2
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from ..errors import ModelError
from .figure import domain_outline, frame_2d, input_names, map_value, new_axes, pad_limits, polygon_2d

__all__ = ["active_terms", "term_value", "term_label", "plot_lattice_terms_1d", "plot_lattice_terms_2d"]


def term_value(lattice: Any, t: int, point: Sequence[Fraction]) -> Fraction:
    """The exact value of term ``t``, ``min_{j in S_t} l_j(point)``, of a lattice form.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> from exactrelu.shallow.lattice import lattice_form
    >>> lf = lattice_form(mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])]), box([-1], [1]))
    >>> sorted(term_value(lf, t, (Fraction(1, 2),)) for t in range(len(lf.terms)))
    [Fraction(-1, 2), Fraction(1, 2)]
    """
    return min(lattice.pieces[j][-1] + sum((c * x for c, x in zip(lattice.pieces[j], point) if c), Fraction(0))
               for j in lattice.terms[t])


def term_label(lattice: Any, t: int) -> str:
    r"""A LaTeX label ``$t_k = \min\{l_i, l_j\}$`` for term ``t`` (``l_j`` alone for one piece).

    Examples
    --------
    >>> class L:
    ...     terms = ((0, 2), (1,))
    >>> print(term_label(L(), 0), term_label(L(), 1))
    $t_{0} = \min\{l_{0}, l_{2}\}$ $t_{1} = l_{1}$
    """
    S = lattice.terms[t]
    body = f"l_{{{S[0]}}}" if len(S) == 1 else "\\min\\{" + ", ".join(f"l_{{{j}}}" for j in S) + "\\}"
    return f"$t_{{{t}}} = {body}$"


def active_terms(lattice: Any, partition: Any = None) -> list[int]:
    """Per region of ``partition`` (default: the partition the form was built from), the index
    of the first term that attains the maximum at the region's witness.

    On a region the network is one affine map ``l_i`` and the max of the terms equals it; the
    returned term is the one whose min is ``l_i`` there (exact arithmetic).

    Raises
    ------
    ModelError
        When the form has no partition and none is given.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> from exactrelu.shallow.lattice import lattice_form
    >>> lf = lattice_form(mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])]), box([-1], [1]))
    >>> len(active_terms(lf)) == len(lf.partition.regions)
    True
    """
    part = partition if partition is not None else getattr(lattice, "partition", None)
    if part is None:
        raise ModelError("the lattice form has no partition: pass the partition to draw it over")
    out = []
    for r in part.regions:
        vals = [term_value(lattice, t, r.witness) for t in range(len(lattice.terms))]
        out.append(vals.index(max(vals)))
    return out


def _term_colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(t % cmap.N) for t in range(n)]


def plot_lattice_terms_1d(lattice: Any, partition: Any = None, ax: Any = None, samples: int = 201,
                          title: str | None = None):
    """A 1-input lattice form over the regions: every term ``t_k = min_{j in S_k} l_j`` as a
    thin line, the network as a thick line coloured, region by region, by the term active
    there, and a light band of that colour behind each region.

    Parameters
    ----------
    lattice : :class:`~exactrelu.shallow.lattice.LatticeForm` of a 1-input network.
    partition : the regions to draw over (default ``lattice.partition``).
    samples : exact grid points for the thin term lines (plus all region endpoints).

    Returns
    -------
    matplotlib.figure.Figure. One band patch per region (``ax.patches``), the network as one
    ``LineCollection`` (``gid="active"``, one segment per region, coloured by its active
    term) and one line per term (``gid="term"``).
    """
    part = partition if partition is not None else lattice.partition
    if part is None or part.network.n_inputs != 1:
        raise ModelError("plot_lattice_terms_1d needs the partition of a 1-input network")
    fig, ax = new_axes(ax, figsize=(7.5, 4.0))
    from matplotlib.collections import LineCollection

    act = active_terms(lattice, part)
    colours = _term_colours(len(lattice.terms))
    out = lattice.output
    ends = [(min(v[0] for v in r.vertices), max(v[0] for v in r.vertices)) for r in part.regions]
    segs = []
    for r, (lo, hi), t in zip(part.regions, ends, act):
        ax.axvspan(float(lo), float(hi), color=colours[t], alpha=0.15, linewidth=0)
        segs.append([(float(lo), float(map_value(r, (lo,), out))), (float(hi), float(map_value(r, (hi,), out)))])
    lo = min(e[0] for e in ends)
    hi = max(e[1] for e in ends)
    xs = sorted({lo + (hi - lo) * Fraction(k, samples - 1) for k in range(samples)} | {e for p in ends for e in p})
    ally = [y for s in segs for _, y in s]
    for t in range(len(lattice.terms)):
        ys = [float(term_value(lattice, t, (x,))) for x in xs]
        (line,) = ax.plot([float(x) for x in xs], ys, color=colours[t], linewidth=1.0, linestyle="--",
                          label=term_label(lattice, t) if len(lattice.terms) <= 12 else None)
        line.set_gid("term")
    lc = LineCollection(segs, colors=[colours[t] for t in act], linewidths=3.2, zorder=4)
    lc.set_gid("active")
    ax.add_collection(lc)
    pad_limits(ax, [float(lo), float(hi)], ally)
    ax.set_xlabel(input_names(part.network)[0])
    ax.set_ylabel("$f(x)$")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0,
              title="terms (dashed)", title_fontsize=8)
    ax.set_title(title if title is not None else
                 f"$f = \\max_k t_k$: {len(set(act))} of {len(lattice.terms)} terms active on "
                 f"{len(part.regions)} regions (thick: $f$, coloured by the active term)", fontsize=9)
    return fig


def plot_lattice_terms_2d(lattice: Any, partition: Any = None, ax: Any = None, title: str | None = None):
    """A 2-input lattice form over the regions: each region filled with the colour of the term
    active on it and labelled ``t_k``; a legend lists the active terms' index sets.

    Returns
    -------
    matplotlib.figure.Figure. The regions are one ``PolyCollection`` (``gid="regions"``, one
    path per region, in ``partition.regions`` order, coloured by :func:`active_terms`).
    """
    part = partition if partition is not None else lattice.partition
    if part is None or part.network.n_inputs != 2:
        raise ModelError("plot_lattice_terms_2d needs the partition of a 2-input network")
    fig, ax = new_axes(ax, figsize=(7.0, 5.0))
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    act = active_terms(lattice, part)
    colours = _term_colours(len(lattice.terms))
    polys = [polygon_2d(r.vertices, r.witness) for r in part.regions]
    coll = PolyCollection(polys, facecolors=[colours[t] for t in act], edgecolors="0.2", linewidths=0.6,
                          alpha=0.8)
    coll.set_gid("regions")
    ax.add_collection(coll)
    for r, t in zip(part.regions, act):
        ax.annotate(f"$t_{{{t}}}$", (float(r.witness[0]), float(r.witness[1])), fontsize=7, ha="center",
                    va="center")
    dpoly = polygon_2d(part.domain.vertices, part.domain.interior_point)
    ax.add_patch(domain_outline(dpoly))
    frame_2d(ax, dpoly)
    used = sorted(set(act))
    ax.legend(handles=[Patch(facecolor=colours[t], label=term_label(lattice, t)) for t in used[:20]],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, borderaxespad=0.0, title="active terms",
              title_fontsize=8)
    names = input_names(part.network)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(title if title is not None else
                 f"term attaining $\\max_k t_k$: {len(used)} of {len(lattice.terms)} terms, "
                 f"{len(part.regions)} regions", fontsize=9)
    return fig
