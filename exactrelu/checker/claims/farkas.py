"""Farkas and Motzkin evidence as the claims use it (standard library only; uses only
public names of :mod:`exactrelu.checker.checker`): whether a vector proves an inequality
on a cell (rules ``bounds-farkas``, ``prune-box``, ``lattice-lower``/``-upper``) or a
system empty (``property-farkas``, ``prune-farkas``). Both are
:func:`~exactrelu.checker.checker.farkas_residual`, the checker's one Farkas computation.
"""

from __future__ import annotations

from typing import Any, Callable

from ..checker import CertificateInvalid, farkas_residual, number_reader  # noqa: F401 (number_reader: the doctests)

__all__ = ["farkas_proves", "motzkin_proves"]

Form = tuple  # (v, d): v a tuple of n + 1 ints, d > 0


def farkas_proves(num: Callable, rows: list[Form], sign: int, form: Form, raw: Any, rule: str,
                  **where: Any) -> bool:
    """Whether the Farkas vector ``raw`` proves ``sign * form <= 0`` on ``{x : rows <= 0}``:
    ``sign*form - sum_i y_i row_i`` is a constant ``<= 0`` (:func:`farkas_residual`; a
    rejection's data is ``row`` and then ``where``).

    >>> rows = [((1, -1), 1), ((-1, -1), 1)]       # -1 <= x <= 1
    >>> farkas_proves(number_reader(), rows, 1, ((1, -2), 1), [[0, "1"]], "r")   # x <= 2
    True
    """
    try:
        acc = farkas_residual(num, rows, sign, form, raw, rule)
    except CertificateInvalid as exc:
        exc.data.update(where)
        raise
    return acc[-1] <= 0 and not any(acc[:-1])


def motzkin_proves(num: Callable, rows: list[Form], raw: Any, strict: frozenset, rule: str, **where: Any) -> bool:
    """Whether ``raw`` proves ``{x : rows <= 0, rows in strict < 0}`` empty (Motzkin):
    ``sum_i y_i row_i`` is a constant ``K > 0``, or ``K = 0`` with a positive multiplier on a
    strict row (:func:`farkas_residual` of the zero form is ``-K``).

    >>> rows = [((1, -1), 1), ((-1, 1), 1)]        # x <= 1 and x >= 1
    >>> num = number_reader()
    >>> motzkin_proves(num, rows, [[0, "1"], [1, "1"]], frozenset(), "r"), \\
    ...     motzkin_proves(num, rows, [[0, "1"], [1, "1"]], frozenset({1}), "r")
    (False, True)
    """
    zero = ((0,) * (len(rows[0][0]) if rows else 1), 1)
    try:
        acc = farkas_residual(num, rows, 1, zero, raw, rule)
    except CertificateInvalid as exc:
        exc.data.update(where)
        raise
    if any(acc[:-1]) or acc[-1] > 0:
        return False
    return acc[-1] < 0 or any(item[0] in strict and num(item[1])[0] > 0 for item in raw)

