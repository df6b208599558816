"""Exact backward propagation through a cell's relaxation (python-flint integer matrices).

:func:`propagate` is the bound of rule ``prune-farkas`` (and of the ``"backward"`` bounds of
rule ``prune-relax``) for a matrix of objectives at once: every ``mu relu(z)`` becomes
``mu a z`` (``mu >= 0``) or ``mu (s z + c)`` (``mu < 0``), every linear map is substituted,
down to layer ``k``'s exact pre-activations and the exact outputs of earlier layers.
"""

from __future__ import annotations

import math
from typing import Any

from .proposal import K_BOX, K_SLOPE

__all__ = ["propagate"]


def propagate(rel: Any, top: int, Lam: Any, Dv: int, on_pre: bool) -> tuple[Any, int]:
    """``(G, D)``: row r of ``G / D`` is a form below objective r on the cell.

    Parameters
    ----------
    rel : the :class:`~exactrelu.verify.prune.relaxation.ExactRelaxation` of the cell
    top : the layer of the objectives
    Lam : fmpz matrix, one objective per row (columns: the units of layer ``top``)
    Dv : the objectives' common denominator
    on_pre : the objectives are on layer ``top``'s pre-activations (else its outputs)
    """
    import flint

    net, k = rel.net, rel.k
    n1 = rel.n1
    m = Lam.nrows()
    # lam[layer] = ([(matrix, columns of that layer), ...], den, on_pre)
    lam: dict[int, tuple] = {top: (_top_blocks(rel, top, Lam, on_pre), Dv, on_pre)}
    terms: list[tuple] = []  # (m x n1 matrix, den)
    consts: list[tuple] = []  # (m x 1 column of constant terms, den)
    for i in range(top, k - 1, -1):
        if i not in lam:
            continue
        blocks, Dm, is_pre = lam.pop(i)
        lay = net.layers[i - 1]
        if not is_pre and lay.activation == "relu":
            blocks = _through_lines(rel, i, blocks, m, Dm, consts)
            Dm = Dm << K_SLOPE
        if i == k:
            for M, cols in blocks:
                key = tuple(cols)
                Pk = rel.pre_rows.get(key)
                if Pk is None:
                    Pk = rel.pre_rows[key] = flint.fmpz_mat(len(cols), n1, [c for j in cols for c in rel.pre_v[j]])
                terms.append((M * Pk, Dm * rel.pre_D))
            continue
        _through_weights(rel, i, blocks, m, Dm, lam, terms, consts)
    if consts:
        Dc = math.lcm(*[d for _, d in consts])
        col = None
        for T_, d in consts:
            col = T_ * (Dc // d) if col is None else col + T_ * (Dc // d)
        terms.append((col * flint.fmpz_mat(1, n1, [0] * (n1 - 1) + [1]), Dc))
    D = math.lcm(*[d for _, d in terms]) if terms else 1
    G = None
    for T_, d in terms:
        G = T_ * (D // d) if G is None else G + T_ * (D // d)
    if G is None:
        G = flint.fmpz_mat(m, n1)
    return G, D


def _columns(M: Any, cols: list) -> Any:
    """The columns ``cols`` of the fmpz matrix ``M``."""
    import flint

    w = M.ncols()
    ent = M.entries()
    return flint.fmpz_mat(M.nrows(), len(cols), [ent[r * w + c] for r in range(M.nrows()) for c in cols])


def _top_blocks(rel: Any, top: int, Lam: Any, on_pre: bool) -> list:
    """The objectives as column blocks: one block, or (on a ReLU layer's outputs) its
    unstable and its active units (units whose lines are 0 dropped)."""
    if on_pre or rel.net.layers[top - 1].activation != "relu":
        return [(Lam, list(range(rel.net.layers[top - 1].width)))]
    _, _, _, unst, act = rel.lines(top)
    return [(_columns(Lam, unst), unst), (_columns(Lam, act), act)]


def _through_lines(rel: Any, i: int, blocks: list, m: int, Dm: int, consts: list) -> list:
    """Coefficients on ReLU layer ``i``'s outputs -> on its pre-activations (over
    ``Dm 2^K_SLOPE``); the intercepts' constant terms are appended to ``consts``."""
    import flint

    A, S, C, _, act = rel.lines(i)
    (MU, U), (MP, _) = blocks
    out = []
    if U:
        ent = MU.entries()
        w = len(U)
        Ar = [A[j] for j in U] * m
        Sr = [S[j] for j in U] * m
        # mu >= 0 takes the lower line, mu < 0 the upper one (slopes over 2^K_SLOPE)
        out.append((flint.fmpz_mat(m, w, [x * a if x > 0 else x * s for x, a, s in zip(ent, Ar, Sr)]), U))
        Cc = [C[j] for j in U]
        if any(Cc):
            zero = ent[0] * 0
            consts.append((flint.fmpz_mat(m, w, [x if x < 0 else zero for x in ent])
                           * flint.fmpz_mat(w, 1, Cc), Dm << K_BOX))  # sum of mu c over mu < 0
    if act:
        out.append((MP * (1 << K_SLOPE), act))  # both lines z: slope 1 over 2^K_SLOPE
    return out


def _through_weights(rel: Any, i: int, blocks: list, m: int, Dm: int, lam: dict, terms: list,
                     consts: list) -> None:
    """Coefficients on layer ``i``'s pre-activations -> on its sources: exact earlier layers
    give terms, relaxed layers get coefficients in ``lam`` (column blocks as their lines)."""
    import flint

    net, k = rel.net, rel.k
    lay = net.layers[i - 1]
    E = lay.E
    for M, cols in blocks:
        consts.append((M * flint.fmpz_mat(len(cols), 1, [lay.bias[j] for j in cols]), Dm * E))
    t = 0
    for s_ in lay.sources:
        width = rel.exact[s_].nrows() if s_ < k else net.layers[s_ - 1].width
        if s_ < k or net.layers[s_ - 1].activation != "relu":
            targets = [list(range(width))]
        else:
            _, _, _, unst_s, act_s = rel.lines(s_)
            targets = [unst_s, act_s]
        parts = []
        for scols in targets:
            part = None
            if scols:
                for M, cols in blocks:
                    P_ = M * net.weights_block(i, t, cols, scols)
                    part = P_ if part is None else part + P_
            parts.append((part, scols))
        t += width
        if s_ < k:
            if parts[0][0] is not None:
                terms.append((parts[0][0] * rel.exact[s_], Dm * E * rel.exact_den[s_]))
            continue
        if len(parts) == 1:
            parts = [(None, []), parts[0]]  # a non-ReLU source: one block, no lines
        parts = [(p_ if p_ is not None else flint.fmpz_mat(m, 0), c_) for p_, c_ in parts]
        if s_ in lam:
            Q, Dq, _ = lam[s_]
            L_ = math.lcm(Dq, Dm * E)
            fq, fp = L_ // Dq, L_ // (Dm * E)
            lam[s_] = ([(q * fq + p_ * fp, c_) for (q, c_), (p_, _) in zip(Q, parts)], L_, False)
        else:
            lam[s_] = (parts, Dm * E, False)
