"""Exact Farkas vectors of a pruned cell's evidence, and their re-checks.

The evidence format is in ``proofs/rules/prune.md``. Every Farkas vector made here is
checked here before the pruner returns it (:func:`farkas_holds`, :func:`motzkin_positive`:
the arithmetic of rules ``prune-box`` and ``prune-farkas``), over the cell's rows in the
certificate's scale (:func:`~exactrelu.verify.prune.exactnet.cell_rows`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from ...numbers.rationals import format_multipliers
from .proposal import INF_B, K_BOX, K_SLOPE

__all__ = ["dyadic", "single_row", "farkas_vector", "farkas_holds", "motzkin_positive", "relu_entries",
           "box_evidence", "domain_box_evidence"]


def dyadic(m: int, k: int) -> str:
    """The dyadic ``m / 2^k`` as a certificate number (lowest terms).

    >>> dyadic(6, 3), dyadic(0, 5), dyadic(8, 2), dyadic(-3, 1)
    ('3/4', '0', '2', '-3/2')
    """
    if m == 0:
        return "0"
    t = (m & -m).bit_length() - 1
    t = min(t, k)
    m >>= t
    k -= t
    return str(m) if k == 0 else f"{m}/{1 << k}"


def single_row(cell: Any, form: tuple, i: int) -> tuple[dict, int] | None:
    """A one-row Farkas vector for ``form = t * (+-x_i) + f0 >= 0`` from a cell row that bounds
    ``x_i`` alone (a domain box row), or None.

    >>> class Cell:
    ...     rows = [((1, 0), 2), ((0, -1), 3)]       # x_0 <= 2, -x_1 <= 3
    >>> single_row(Cell(), (-4, 0, 8), 0)            # 4 (2 - x_0) >= 0: 4 times row 0
    ({0: 4}, 1)
    >>> single_row(Cell(), (-4, 0, 7), 0) is None    # 7 - 4 x_0 >= 0 does not follow
    True
    """
    t = form[i]
    for r, (a, b) in enumerate(cell.rows):
        ai = a[i]
        if ai == 0 or (ai > 0) == (t > 0) or any(v for q, v in enumerate(a) if q != i):
            continue
        m = abs(ai)
        # -form = (|t|/m) (ai x_i - b) + c with c = -f0 - t b / ai <= 0  <=>  f0 m + t b sign(ai) >= 0
        if form[-1] * m + t * b * (1 if ai > 0 else -1) >= 0:
            return {r: abs(t)}, m
    return None


def farkas_vector(cell: Any, form: tuple, idx: int) -> tuple[dict, int] | None:
    """Farkas vector (over the cell's integer rows) proving ``form >= 0`` on the cell: from
    the basis of rows tight at vertex ``idx`` (exact integer inverse), else the cell's own
    search; None if there is none."""
    inc = cell.incidence[idx]
    n = cell.n
    if len(inc) == n:
        basis = tuple(sorted(inc))
        T, DEN = cell.basis_inverse(basis)
        if T is not None:
            Y = [-sum(a * g for a, g in zip(tr, form[:n])) for tr in T]  # sum_r Y_r a_r = -DEN g
            if all(v >= 0 for v in Y) and sum(v * cell.rows[r][1] for v, r in zip(Y, basis)) <= form[n] * DEN:
                return {r: v for r, v in zip(basis, Y) if v}, DEN
    y = cell.farkas_at(form, idx)
    if y is not None:
        return y
    try:
        return cell.farkas_nonneg(form)
    except ValueError:
        return None


def _valid(rows: list, y: tuple) -> bool:
    """Every multiplier ``(row, p, q)`` names a row and is ``>= 0``."""
    return all(0 <= r < len(rows) and p >= 0 and q > 0 for r, p, q in y)


def farkas_holds(rows: list, sign: int, form: tuple, y: tuple) -> bool:
    """Whether the multipliers ``y`` (``(row, p, q)``: ``p/q >= 0``) prove ``sign * form <= 0``
    on ``{x : rows <= 0}``: ``sign * form - sum_i y_i row_i`` is a constant ``<= 0``.

    >>> rows = [((1, -2), 1)]                        # x - 2 <= 0
    >>> farkas_holds(rows, 1, ((2, -5), 1), ((0, 2, 1),))    # 2x - 5 <= 0
    True
    >>> farkas_holds(rows, 1, ((2, -3), 1), ((0, 2, 1),))    # 2x - 3 <= 0 does not follow
    False
    """
    if not _valid(rows, y):
        return False
    v, d = form
    M = math.lcm(d, *[q * rows[i][1] for i, _, q in y])
    k = sign * (M // d)
    acc = [k * c for c in v]
    for i, p, q in y:
        rv, rd = rows[i]
        c = p * (M // (q * rd))
        acc = [a - c * r for a, r in zip(acc, rv)]
    return acc[-1] <= 0 and not any(acc[:-1])


def motzkin_positive(rows: list, y: tuple, strict: frozenset) -> bool:
    """``sum_i y_i row_i`` is a constant ``K > 0``, or ``K = 0`` with a positive multiplier
    on a strict row (then ``{rows <= 0, strict rows < 0}`` is empty).

    >>> rows = [((1, -2), 1), ((-1, 3), 1)]          # x <= 2 and x >= 3
    >>> motzkin_positive(rows, ((0, 1, 1), (1, 1, 1)), frozenset())
    True
    """
    if not y or not _valid(rows, y):
        return False
    M = math.lcm(*[q * rows[i][1] for i, _, q in y])
    acc = [0] * len(rows[y[0][0]][0])
    for i, p, q in y:
        rv, rd = rows[i]
        c = p * (M // (q * rd))
        acc = [a + c * r for a, r in zip(acc, rv)]
    if any(acc[:-1]):
        return False
    return acc[-1] > 0 or (acc[-1] == 0 and any(i in strict and p > 0 for i, p, _ in y))


def relu_entries(params: dict) -> list:
    """The evidence's ``relu`` list: ``[u, a, s, c]``, with ``[.., bl, bu]`` where a bound is
    at a basis or omitted (``null``).

    >>> relu_entries({3: (0, 1 << 19, 1 << 31, -1, -1), 1: (1, 1 << 20, 0, 0, INF_B)})
    [[1, '1', '1', '0', 0, None], [3, '0', '1/2', '1/2']]
    """
    relu = []
    for u, (a, sm, cm, bl, bu) in sorted(params.items()):
        entry = [u, str(a), dyadic(sm, K_SLOPE), dyadic(cm, K_BOX)]
        relu.append(entry + [None if bl == INF_B else bl, None if bu == INF_B else bu]
                    if bl != -1 or bu != -1 else entry)
    return relu


def _box_form(i: int, n: int, bound: Fraction) -> tuple:
    """The form ``(q x_i - p, q)`` of ``x_i - bound`` (``bound = p/q``)."""
    v = [0] * (n + 1)
    v[i] = bound.denominator
    v[-1] = -bound.numerator
    return tuple(v), bound.denominator


def _box_proved(rows: list, n: int, bounds: list, farkas: list) -> bool:
    """Rule ``prune-box``: each ``lo_i <= x_i <= hi_i`` follows from its multipliers."""
    for i, ((lo, hi), (ylo, yhi)) in enumerate(zip(bounds, farkas)):
        if not (farkas_holds(rows, -1, _box_form(i, n, lo), ylo) and farkas_holds(rows, 1, _box_form(i, n, hi), yhi)):
            return False
    return True


def box_evidence(cell: Any, rows: list, lo_m: list, hi_m: list, box_idx: tuple) -> tuple[list, list] | None:
    """``(box, box_farkas)`` of the box ``lo_m / 2^K_BOX <= x <= hi_m / 2^K_BOX`` of a cell
    (Farkas vectors at the extreme vertices ``box_idx``), checked; None if a bound is not proved."""
    n = len(lo_m)
    P2 = 1 << K_BOX
    raw = []
    for i in range(n):
        e = [0] * (n + 1)
        e[i] = P2
        lo_form = tuple(e[:-1]) + (-lo_m[i],)  # 2^K (x_i - lo_i) >= 0
        hi_form = tuple(-v for v in e[:-1]) + (hi_m[i],)  # 2^K (hi_i - x_i) >= 0
        pair = []
        for form, idx in ((lo_form, box_idx[0][i]), (hi_form, box_idx[1][i])):
            y = single_row(cell, form, i) or farkas_vector(cell, form, idx)
            if y is None:
                return None
            pair.append(cell.exact_multipliers(y, P2))
        raw.append(pair)
    bounds = [(Fraction(lo, P2), Fraction(hi, P2)) for lo, hi in zip(lo_m, hi_m)]
    if not _box_proved(rows, n, bounds, raw):
        return None
    box = [[dyadic(lo, K_BOX), dyadic(hi, K_BOX)] for lo, hi in zip(lo_m, hi_m)]
    return box, [[format_multipliers(y) for y in pair] for pair in raw]


def domain_box_evidence(cell: Any, rows: list, n_domain: int) -> tuple[list, list, list] | None:
    """``(box, box_farkas, rows used)`` bounding every input by one of the first ``n_domain``
    rows of ``cell`` (the domain's, which every cell keeps first with their numbers) that
    bounds it alone, checked; None if the domain has no such rows."""
    n = cell.n
    box, farkas, raw, used, bounds = [], [], [], [], []
    for i in range(n):
        best: list = [None, None]  # (bound, row) for lo, hi
        for r, (a, b) in enumerate(cell.rows[:n_domain]):
            if a[i] == 0 or any(v for q, v in enumerate(a) if q != i):
                continue
            side = 1 if a[i] > 0 else 0
            bound = Fraction(b, a[i])
            if best[side] is None or (bound < best[side][0] if side else bound > best[side][0]):
                best[side] = (bound, r)
        if best[0] is None or best[1] is None:
            return None
        pair = []
        for side, (bound, r) in enumerate(best):
            e = [0] * (n + 1)
            e[i] = bound.denominator if side == 0 else -bound.denominator
            e[n] = -bound.numerator if side == 0 else bound.numerator  # q (x_i - lo) / q (hi - x_i)
            y = single_row(cell, tuple(e), i)
            if y is None:
                return None
            pair.append(cell.exact_multipliers(y, bound.denominator))
            used.append((r, cell.rows[r]))
        box.append([str(best[0][0]), str(best[1][0])])
        bounds.append((best[0][0], best[1][0]))
        raw.append(pair)
        farkas.append([format_multipliers(y) for y in pair])
    if not _box_proved(rows, n, bounds, raw):
        return None
    return box, farkas, used
