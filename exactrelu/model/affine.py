"""The one encoding of an exact affine map in :mod:`exactrelu.model`: :class:`AffineMap`.

``AffineMap(C, d)`` is ``x -> C x + d`` with ``C`` a tuple of rows (tuples of
:class:`~fractions.Fraction`) and ``d`` a tuple of Fractions; it unpacks as ``C, d``.
:func:`~exactrelu.model.evaluation.affine_map` and
:func:`~exactrelu.model.evaluation.layer_affine_maps` return it.  The region enumerator's
kernel (:mod:`exactrelu.model.intnet`) works on the same forms scaled to integers over a
common denominator ``D`` (a row ``(g_1, ..., g_n, g_0)`` of ints is ``(g . x + g_0) / D``);
:meth:`AffineMap.from_scaled` converts such rows at that boundary.

Examples
--------
>>> from fractions import Fraction
>>> f = AffineMap(((Fraction(1), Fraction(-2)),), (Fraction(1, 2),))
>>> f([3, 1])
(Fraction(3, 2),)
>>> C, d = f
>>> AffineMap.from_scaled([(2, -4, 1)], 2) == f
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple, Sequence

__all__ = ["AffineMap"]


class AffineMap(NamedTuple):
    """An exact affine map ``x -> C x + d``.

    Attributes
    ----------
    C : tuple of tuple of Fraction
        The rows of the linear part (one per output, one entry per input).
    d : tuple of Fraction
        The offset.
    """

    C: tuple[tuple[Fraction, ...], ...]
    d: tuple[Fraction, ...]

    def __call__(self, x: Sequence[Fraction | int]) -> tuple[Fraction, ...]:
        """The exact value ``C x + d`` at ``x``."""
        return tuple(sum((c * v for c, v in zip(row, x) if c), start=off) for row, off in zip(self.C, self.d))

    @classmethod
    def from_scaled(cls, rows: Sequence[Sequence[int]], D: int) -> "AffineMap":
        """The map of integer rows ``(g_1, ..., g_n, g_0)`` over the common denominator ``D``
        (the encoding of :mod:`exactrelu.model.intnet`)."""
        return cls(tuple(tuple(Fraction(v, D) for v in r[:-1]) for r in rows), tuple(Fraction(r[-1], D) for r in rows))
