"""The certified splitting tree: exact linear-region enumeration (:mod:`.walk` drives the walk, :mod:`.walker` is one node step, :mod:`.tree` the tree's data types, :mod:`.activation` the activation-state vocabulary), Farkas evidence on regions (:mod:`.evidence`), a float64-only run of the same walk for measuring (:mod:`.float_walk`) and the garbage-collector pause used while large trees are built (:mod:`.gcpause`).

The names of the stage's main module are re-exported here.
"""

from .walk import Region, Partition, TreeNode, CellView, UnitSplit, enumerate_regions, iter_regions, Progress

__all__ = ['Region', 'Partition', 'TreeNode', 'CellView', 'UnitSplit', 'enumerate_regions', 'iter_regions', 'Progress']
