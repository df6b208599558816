"""The tropical form ``f = F - G``: a difference of two max-affine functions.

The Zhang–Naitzat–Lim recursion (proofs/shallow.md §3), extended from plain
layers to the DAG: with ``A = A+ - A-`` (entrywise positive and negative parts), every
signal ``h`` is ``F_h - G_h`` with ``F_h, G_h`` maxima of affine functions:

* input: ``F = x``, ``G = 0``;
* a layer ``z = sum_s A_s h_s + b``: ``H = sum_s (A_s+ F_s + A_s- G_s) + b`` and
  ``G_z = sum_s (A_s- F_s + A_s+ G_s)``, so ``z = H - G_z``;
* ReLU: ``F = max(H, G_z)``, ``G = G_z``; identity: ``F = H``, ``G = G_z``.

A sum of maxima is the max of all sums, so the counts multiply; they are exact Python
ints (:class:`~exactrelu.shallow.lazy.SignSplitForm`), and the terms (affine functions)
are listed only under a limit. ``materialise(...).pure_max()`` turns ``F - G`` into a pure
max of one-hidden-layer networks (the min-of-affine identity on ``-G``).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, -1]], [0])])   # relu(x) - relu(-x) = x
>>> t = tropical_form(net)
>>> c = t.counts(); c["plus_terms"], c["minus_terms"], c["hidden_units"]
(2, 2, 0)
>>> str(t.evaluate(["-2/3"]))
'-2/3'
>>> rep = t.materialise(); len(rep.plus), len(rep.minus)
(2, 2)
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import ModelError
from ..model.network import Activation, Network
from .lazy import SignSplitForm, TermSet
from .representation import HiddenBasis

__all__ = ["tropical_form"]

_ZERO = Fraction(0)


def tropical_form(net: Network, output: int = 0) -> SignSplitForm:
    """The tropical ``F - G`` form of one output (lazy; exact counts, exact evaluation).

    Parameters
    ----------
    net : Network (any DAG: skips are sums over several sources)
    output : which output coordinate

    Returns
    -------
    SignSplitForm with ``method="tropical"`` and an empty hidden basis (affine terms).
    """
    if not isinstance(output, int) or not 0 <= output < net.n_outputs:
        raise ModelError(f"output {output!r} does not exist (the network has {net.n_outputs} outputs)")
    n = net.n_inputs
    dim = n + 1
    zero = TermSet.zero(dim)
    F0 = [TermSet.leaf([tuple(Fraction(int(i == j)) for j in range(n)) + (_ZERO,)]) for i in range(n)]
    sig: list[list[tuple[TermSet, TermSet]]] = [[(f, zero) for f in F0]]
    L = len(net.layers)
    for k, layer in enumerate(net.layers, start=1):
        outs = []
        for m in range(layer.width):
            if k == L and m != output:
                outs.append((zero, zero))
                continue
            hp: list[tuple[Fraction, TermSet]] = []
            gp: list[tuple[Fraction, TermSet]] = []
            for s, W in layer.inputs:
                for j, w in enumerate(W[m]):
                    if not w:
                        continue
                    F, G = sig[s][j]
                    a = abs(w)
                    if w > 0:
                        hp.append((a, F))
                        if not G.is_zero():
                            gp.append((a, G))
                    else:
                        if not G.is_zero():
                            hp.append((a, G))
                        gp.append((a, F))
            const = tuple([_ZERO] * n + [layer.bias[m]])
            H = TermSet.sum(hp, const=const, dim=dim)
            Gz = TermSet.sum(gp, dim=dim)
            if layer.activation is Activation.RELU:
                outs.append((TermSet.union([H, Gz]), Gz))
            else:
                outs.append((H, Gz))
        sig.append(outs)
    F, G = sig[-1][output]
    return SignSplitForm(HiddenBasis(n), F, G, "tropical", {"output": output, "network_relu_units": net.n_relu})
