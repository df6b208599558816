"""One weight of a 1-input network varied: regions appear and vanish.
:func:`plot_weight_sweep_1d` draws the function for a few values side by side (a static
figure, e.g. for an executed copy of a notebook); :func:`weight_slider_1d` is the same as an
interactive slider when ipywidgets is installed (None otherwise).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> net = mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])])
>>> fig = plot_weight_sweep_1d(net, 1, 1, 0, ["0", "1"], box([-1], [1]))
>>> [ax.get_title() for ax in fig.axes]
['$w = 0$: 2 regions', '$w = 1$: 3 regions']
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any, Sequence

from ..errors import ModelError, UsageError
from .figure import as_fraction, matplotlib_classes

__all__ = ["network_with_weight", "plot_weight_sweep_1d", "weight_slider_1d"]


def network_with_weight(net: Any, layer: int, row: int, col: int, value: Any, source: int | None = None):
    """A copy of ``net`` with one weight replaced: entry ``(row, col)`` of layer ``layer``'s
    matrix from ``source`` (1-based layers as in :class:`~exactrelu.model.network.Layer`;
    default source: the previous layer, ``layer - 1``).

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> net = mlp(1, [([[1], [1]], [0, 0]), ([[1, 1]], [0])])
    >>> network_with_weight(net, 1, 1, 0, "-1/2").layers[0].weight(0)
    ((Fraction(1, 1),), (Fraction(-1, 2),))
    """
    if not 1 <= layer <= len(net.layers):
        raise ModelError(f"layer {layer} does not exist (the network has {len(net.layers)} layers, numbered from 1)")
    src = layer - 1 if source is None else source
    lay = net.layers[layer - 1]
    W = lay.weight(src)
    if W is None:
        raise ModelError(f"layer {layer} reads no source {src}")
    if not (0 <= row < len(W) and 0 <= col < len(W[0])):
        raise ModelError(f"weight ({row}, {col}) does not exist: the matrix is {len(W)} x {len(W[0])}")
    new_w = tuple(tuple(as_fraction(value) if (i, j) == (row, col) else v for j, v in enumerate(r))
                  for i, r in enumerate(W))
    inputs = tuple((s, new_w if s == src else M) for s, M in lay.inputs)
    layers = list(net.layers)
    layers[layer - 1] = dataclasses.replace(lay, inputs=inputs)
    return dataclasses.replace(net, layers=tuple(layers), _cache={})


def plot_weight_sweep_1d(net: Any, layer: int, row: int, col: int, values: Sequence[Any], domain: Any,
                         source: int | None = None, ncols: int = 4, title: str | None = None):
    """The function of a 1-input network for each of ``values`` of one weight, side by side,
    each panel as :func:`~exactrelu.plot.function.plot_function_1d` (regions, breakpoints) and
    titled with the weight and its number of regions.

    Returns
    -------
    matplotlib.figure.Figure with one axes per value (all on the same y scale).
    """
    from ..regions.walk import enumerate_regions
    from .function import plot_function_1d

    if not values:
        raise UsageError("no weight values to draw")
    Figure, Canvas = matplotlib_classes()
    cols = min(ncols, len(values))
    rows = math.ceil(len(values) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.6 * rows), layout="constrained")
    Canvas(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, v in zip(axes, values):
        part = enumerate_regions(network_with_weight(net, layer, row, col, v, source), domain)
        plot_function_1d(part, ax=ax, title=f"$w = {as_fraction(v)}$: {len(part.regions)} regions")
        ax.get_legend().remove()
        ax.title.set_fontsize(9)
    lims = [ax.get_ylim() for ax in axes[:len(values)]]
    for ax in axes[:len(values)]:
        ax.set_ylim(min(lo for lo, _ in lims), max(hi for _, hi in lims))  # one scale for all panels
    for ax in axes[len(values):]:
        fig.delaxes(ax)
    if title is not None:
        fig.suptitle(title, fontsize=10)
    return fig


def weight_slider_1d(net: Any, layer: int, row: int, col: int, values: Sequence[Any], domain: Any,
                     source: int | None = None):
    """An ipywidgets slider over ``values`` of one weight that redraws the function of the network
    (:func:`~exactrelu.plot.function.plot_function_1d`) at each value; None when ipywidgets is
    not installed (show :func:`plot_weight_sweep_1d` instead, as an executed copy does).

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside a notebook the figure would be printed
    ...     w = weight_slider_1d(mlp(1, [([[1]], [0]), ([[1]], [0])]), 1, 0, 0, ["-1", "1"], box([-1], [1]))
    >>> w is None or len(w.children) == 2                # the slider and its output
    True
    """
    try:
        import ipywidgets
        from IPython.display import display
    except ImportError:
        return None
    from ..regions.walk import enumerate_regions
    from .function import plot_function_1d

    options = [(str(as_fraction(v)), str(as_fraction(v))) for v in values]

    def show(w: str) -> None:
        part = enumerate_regions(network_with_weight(net, layer, row, col, w, source), domain)
        display(plot_function_1d(part, title=f"w = {w}: {len(part.regions)} regions"))

    slider = ipywidgets.SelectionSlider(options=options, description=f"W{layer}[{row},{col}]",
                                        continuous_update=False)
    return ipywidgets.interactive(show, w=slider)
