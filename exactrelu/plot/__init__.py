"""Plots of partitions, functions, representations and float disagreements (matplotlib, the
optional extra ``plot``): :mod:`.plots`."""

from .plots import (plot_float_disagreements_2d, plot_function_1d, plot_regions_2d, plot_representation_terms_1d,
                    plot_representation_terms_2d, plot_surface_2d, polygon_2d, region_polygons)

__all__ = ["plot_regions_2d", "plot_function_1d", "plot_surface_2d", "plot_representation_terms_1d",
           "plot_representation_terms_2d", "plot_float_disagreements_2d", "region_polygons", "polygon_2d"]
