"""Input domains and properties: bounded H-polytopes ``{x : A x <= b}`` (:mod:`.polytope`), exact polytope cells with vertices (:mod:`.cells`), VNN-LIB properties (:mod:`.vnnlib`) and VNN-COMP counterexample files (:mod:`.cex`).

The names of the stage's main module are re-exported here.
"""

from .polytope import Polytope, polytope, box, parse_box, load_domain, affine_rank

__all__ = ['Polytope', 'polytope', 'box', 'parse_box', 'load_domain', 'affine_rank']
