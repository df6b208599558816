"""Independent test oracles for exactrelu.

These modules use only the Python standard library (``fractions.Fraction`` and ``int``)
and elementary geometry: no linear programming, no floating point, and no code from the
``exactrelu`` package.  Networks are plain lists of layers ``[(W, b), ...]`` (``W`` a list
of rows, one row per output unit; entries ``Fraction`` or ``int``): every layer but the
last is followed by ReLU, the last layer is affine.  See README.md in this directory.

- ``polygon2d``: exact linear regions of 2-input networks over a box by polygon clipping,
  their adjacency, linear pieces, output range and an Euler-relation check.
- ``breakpoints1d``: exact breakpoints and linear pieces of 1-input networks on an interval.
"""
from . import breakpoints1d, polygon2d

__all__ = ["polygon2d", "breakpoints1d"]
