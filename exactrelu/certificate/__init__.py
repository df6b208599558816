"""Certificates the checker re-verifies: the partition certificate (:mod:`.partition`) and its streamed JSON Lines form (:mod:`.stream`).

The names of the stage's main module are re-exported here.
"""

from .partition import FORMAT, VERSION, partition_certificate, write_certificate, format_multipliers, vertex_basis_multipliers

__all__ = ['FORMAT', 'VERSION', 'partition_certificate', 'write_certificate', 'format_multipliers', 'vertex_basis_multipliers']
