"""The region adjacency graph (networkx) and linear pieces (:mod:`.region_graph`), from the adjacent pairs of regions and their exact evidence (:mod:`.adjacency`).

The names of the stage's main module are re-exported here.
"""

from .region_graph import Adjacency, adjacencies, region_graph, linear_pieces, graph_to_json, write_graphml

__all__ = ['Adjacency', 'adjacencies', 'region_graph', 'linear_pieces', 'graph_to_json', 'write_graphml']
