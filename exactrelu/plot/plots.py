"""The documented module path of the first plotting functions, kept importable: the code lives
in :mod:`exactrelu.plot.regions`, :mod:`exactrelu.plot.function`, :mod:`exactrelu.plot.terms`
and :mod:`exactrelu.plot.figure` (see :mod:`exactrelu.plot` for the whole list).

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

from .figure import polygon_2d
from .function import plot_function_1d, plot_surface_2d
from .regions import plot_float_disagreements_2d, plot_regions_2d, region_polygons
from .terms import plot_representation_terms_1d, plot_representation_terms_2d

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
