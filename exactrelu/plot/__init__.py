"""Figures (matplotlib, the optional extra ``plot``). Every function returns a
:class:`matplotlib.figure.Figure` drawn on an Agg canvas, never registered with ``pyplot``;
pass ``ax=`` to draw into an existing axes. Exact values are converted to floats only to draw.

* :mod:`.regions` — :func:`plot_regions_2d` (regions and their adjacency graph),
  :func:`plot_float_disagreements_2d` (regions with marked points);
* :mod:`.function` — :func:`plot_function_1d` (graph and breakpoints), :func:`plot_surface_2d`;
* :mod:`.terms` — :func:`plot_representation_terms_1d` / :func:`plot_representation_terms_2d`
  (the terms of a representation against the network);
* :mod:`.lattice` — :func:`plot_lattice_terms_1d` / :func:`plot_lattice_terms_2d` (which
  max-min term of a lattice form is active on which region);
* :mod:`.tree` — :func:`plot_certificate_tree` (a certificate's splitting tree) and
  :func:`plot_farkas_2d` (what a Farkas vector proves);
* :mod:`.verify` — :func:`plot_verification_cells_2d` (cells of a verification run by how
  they were closed), :func:`plot_network`, :func:`plot_compression`;
* :mod:`.sweep` — :func:`plot_weight_sweep_1d` and :func:`weight_slider_1d` (one weight varied);
* :mod:`.figure` — the shared helpers; :mod:`.plots` — the first functions' documented path.
"""

from .figure import polygon_2d
from .function import plot_function_1d, plot_surface_2d
from .lattice import active_terms, plot_lattice_terms_1d, plot_lattice_terms_2d
from .regions import plot_float_disagreements_2d, plot_regions_2d, region_polygons
from .sweep import network_with_weight, plot_weight_sweep_1d, weight_slider_1d
from .terms import plot_representation_terms_1d, plot_representation_terms_2d
from .tree import plot_certificate_tree, plot_farkas_2d, tree_layout
from .verify import cell_grid_2d, plot_compression, plot_network, plot_verification_cells_2d, tree_leaf

__all__ = ["plot_regions_2d", "plot_function_1d", "plot_surface_2d", "plot_representation_terms_1d",
           "plot_representation_terms_2d", "plot_float_disagreements_2d", "region_polygons", "polygon_2d",
           "active_terms", "plot_lattice_terms_1d", "plot_lattice_terms_2d", "plot_certificate_tree",
           "plot_farkas_2d", "tree_layout", "plot_verification_cells_2d", "plot_network", "plot_compression",
           "cell_grid_2d", "tree_leaf", "network_with_weight", "plot_weight_sweep_1d", "weight_slider_1d"]
