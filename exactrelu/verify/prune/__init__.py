"""Certified pruning of splitting-tree cells by a linear relaxation (floats propose).

At a cell of the splitting tree (exact vertices; the ReLU units of earlier layers and some
of the current layer decided), :class:`Pruner` tries to prove that no disjunct of a
property can be met anywhere in the cell, so the cell need not be split further:

1. *Proposal (float64).* A bounding box of the cell's vertices, rounded outward to
   dyadic numbers; symbolic linear bounds ``L(x) <= z_u(x) <= U(x)`` propagated forward
   from the cell's exact pre-activations; for every undecided unit a lower line
   ``relu(z) >= a z`` (``a`` 0 or 1) and an upper line ``relu(z) <= s z + c`` with dyadic
   ``s``, ``c`` valid on outward-rounded bounds of ``z``; then for every disjunct, by
   backward propagation, a lower bound ``G(x) <= c.y`` of one constraint's output part,
   and a check that the relaxed constraint ``a.x + G(x) <= b`` fails at every vertex.
2. *Confirmation (exact).* Farkas vectors for the box and for the relaxed constraint
   (from the exact minimising vertex), and the whole evidence re-checked exactly with
   the rules' own arithmetic (:mod:`.relaxation`, :mod:`.evidence`; nothing here comes
   from :mod:`exactrelu.checker`, which re-checks it again). Only evidence that passes
   is returned.

Modules: :mod:`.proposal` (float64), :mod:`.exactnet` (the network as integers),
:mod:`.relaxation` and :mod:`.backward` (rule ``prune-relax``, the backward bounds),
:mod:`.evidence` (Farkas vectors, rules ``prune-box`` and ``prune-farkas``),
:mod:`.pruner` (the hook).

The evidence format and its soundness proof are in ``proofs/rules/prune.md``.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.vnnlib import parse_vnnlib
>>> from exactrelu.regions.walk import iter_regions
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])               # |x|
>>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) "
...                     "(assert (<= X_0 1)) (assert (>= Y_0 3))")
>>> region = prop.input_regions[0]
>>> pruner = Pruner(net, list(enumerate(prop.disjuncts)), region)
>>> nodes = []
>>> list(iter_regions(net, region, nodes=nodes, prune=pruner))   # pruned at the root: no region
[]
>>> nodes[0].pruned is not None, pruner.stats["pruned"]
(True, 1)
"""

from __future__ import annotations

from .pruner import Pruner

__all__ = ["Pruner"]
