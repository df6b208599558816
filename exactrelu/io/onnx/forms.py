"""Exact affine forms and the tensor values of the symbolic execution.

An :class:`Aff` is ``sum c_(s,i) h_s[i] + d`` over the outputs of the network layers built
so far; a :class:`Const` is a constant tensor (exact Fractions, or integers); a :class:`Sym`
is an input-dependent tensor of forms.  Operator handlers combine them.

Examples
--------
>>> x = Aff({(0, 0): Fraction(1)}, Fraction(0))
>>> lincomb([(Fraction(2), x)], Fraction(1)).c
Fraction(1, 1)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable, Sequence

import numpy as np

from ...errors import ModelFormatError, ShapeError
from ...errors import NonlinearOperation as Nonlinear
from ...numbers.rationals import format_rational
from .tensors import FLOAT_FORMATS, MAX_TENSOR_ELEMENTS, T_FLOAT, ZERO, round_to_float

__all__ = ["Aff", "Const", "Nonlinear", "Sym", "Value", "aff_array", "check_size", "inv_sqrt",
           "isqrt_exact", "lincomb", "obj_array", "representable", "scalar", "wrap_result"]


def scalar(o: Any) -> Fraction | None:
    """The exact value of an integer (Python or numpy, not bool) or a Fraction; None for anything else."""
    if type(o) is Fraction:
        return o
    if isinstance(o, (int, np.integer)) and not isinstance(o, (bool, np.bool_)):
        return Fraction(int(o))
    if isinstance(o, Fraction):
        return Fraction(o.numerator, o.denominator)
    return None


class Aff:
    """An exact affine form ``sum t[(s, i)] * h_s[i] + c``.

    ``t`` is never mutated after construction (forms share dictionaries).  Zero
    coefficients are kept: they record which sources a value structurally reads.
    """

    __slots__ = ("t", "c")

    def __init__(self, t: dict, c: Fraction) -> None:
        self.t = t
        self.c = c

    def __add__(self, o: Any) -> "Aff":
        if isinstance(o, Aff):
            if not o.t:
                return Aff(self.t, self.c + o.c)
            if not self.t:
                return Aff(o.t, self.c + o.c)
            t = dict(self.t)
            for k, v in o.t.items():
                t[k] = t.get(k, ZERO) + v
            return Aff(t, self.c + o.c)
        q = scalar(o)
        if q is None:
            return NotImplemented
        return Aff(self.t, self.c + q)

    __radd__ = __add__

    def __neg__(self) -> "Aff":
        return Aff({k: -v for k, v in self.t.items()}, -self.c)

    def __sub__(self, o: Any) -> "Aff":
        if isinstance(o, Aff):
            return self + (-o)
        q = scalar(o)
        if q is None:
            return NotImplemented
        return Aff(self.t, self.c - q)

    def __rsub__(self, o: Any) -> "Aff":
        q = scalar(o)
        if q is None:
            return NotImplemented
        return (-self) + q

    def scale(self, q: Fraction) -> "Aff":
        return Aff({k: v * q for k, v in self.t.items()}, self.c * q)

    def __mul__(self, o: Any) -> "Aff":
        if isinstance(o, Aff):
            if not o.t:
                return self.scale(o.c)
            if not self.t:
                return o.scale(self.c)
            raise Nonlinear("product of two input-dependent tensors is not piecewise linear")
        q = scalar(o)
        if q is None:
            return NotImplemented
        return self.scale(q)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "Aff":
        if isinstance(o, Aff):
            if o.t:
                raise Nonlinear("division by an input-dependent tensor is not piecewise linear")
            o = o.c
        q = scalar(o)
        if q is None:
            return NotImplemented
        if q == 0:
            raise ZeroDivisionError("division by zero")
        return self.scale(1 / q)

    def __rtruediv__(self, o: Any) -> "Aff":
        if not self.t:
            q = scalar(o)
            if q is None:
                return NotImplemented
            if self.c == 0:
                raise ZeroDivisionError("division by zero")
            return Aff({}, q / self.c)
        raise Nonlinear("division by an input-dependent tensor is not piecewise linear")

    def key(self) -> tuple:
        return (tuple(sorted(self.t.items())), self.c)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Aff({self.t!r}, {self.c!r})"


def lincomb(pairs: Iterable[tuple[Fraction, Aff]], const: Fraction = ZERO) -> Aff:
    """``sum q * f + const`` accumulated into one fresh dictionary."""
    t: dict = {}
    c = const
    get = t.get
    for q, f in pairs:
        if f.c:
            c += q * f.c
        for k, v in f.t.items():
            t[k] = get(k, ZERO) + q * v
    return Aff(t, c)


def obj_array(items: Sequence[Any], shape: tuple[int, ...]) -> np.ndarray:
    """A numpy object array of ``shape`` holding ``items`` (Fractions or forms) in C order."""
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out.reshape(shape)


class Const:
    """A constant tensor: object array of Fractions (float) or a numpy integer/bool array.

    ``fexact`` says that a float runtime holds exactly these values too: true for
    initializers, ``Constant`` outputs, integer results, and whatever only moves, compares
    or exactly rounds such values; false after float arithmetic that may round (sums of
    products, or results not representable in the tensor's type) and for input-dependent
    values that cancelled to a constant.  A rounding ``Cast`` is only modelled when it is true.
    """

    __slots__ = ("a", "fexact")

    def __init__(self, a: np.ndarray, fexact: bool = True) -> None:
        self.a = a
        self.fexact = fexact

    @property
    def is_float(self) -> bool:
        return self.a.dtype == object

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape)

    def frac(self) -> np.ndarray:
        """Object array of Fractions."""
        if self.a.dtype == object:
            return self.a
        flat = [Fraction(int(v)) for v in self.a.ravel().tolist()]
        return obj_array(flat, self.a.shape)

    def ints(self, what: str) -> list[int]:
        a = self.a
        if a.dtype == object:
            vals = a.ravel().tolist()
            if any(v.denominator != 1 for v in vals):
                raise ModelFormatError(f"{what} must be integers")
            return [int(v) for v in vals]
        return [int(v) for v in a.ravel().tolist()]


class Sym:
    """An input-dependent tensor: object array of :class:`Aff`."""

    __slots__ = ("a",)

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape)


Value = "Const | Sym"


def aff_array(v: "Const | Sym") -> np.ndarray:
    """The value as an object array of affine forms (constants become constant forms)."""
    if isinstance(v, Sym):
        return v.a
    fr = v.frac()
    flat = [Aff({}, q) for q in fr.ravel().tolist()]
    return obj_array(flat, fr.shape)


def wrap_result(arr: np.ndarray) -> "Const | Sym":
    """Object array of Aff and/or Fractions -> Sym (if anything depends on the input) or Const."""
    flat = arr.ravel().tolist()
    if any(isinstance(v, Aff) and v.t for v in flat):
        return Sym(obj_array([v if isinstance(v, Aff) else Aff({}, scalar(v)) for v in flat], arr.shape))
    return Const(obj_array([v.c if isinstance(v, Aff) else scalar(v) for v in flat], arr.shape), fexact=False)


def representable(vals: Iterable[Fraction], elem_type: int | None) -> bool:
    """Every value is a value of the float type (so one correctly rounded operation gives it)."""
    t = elem_type if elem_type in FLOAT_FORMATS else T_FLOAT
    return all(round_to_float(q, t) == q for q in vals)


def isqrt_exact(q: Fraction) -> Fraction | None:
    """sqrt(q) if it is rational, else None (q > 0)."""
    p, d = q.numerator, q.denominator
    rp, rd = math.isqrt(p), math.isqrt(d)
    if rp * rp == p and rd * rd == d:
        return Fraction(rp, rd)
    return None


def inv_sqrt(v: Fraction, approximate: bool, max_denominator: int | None) -> tuple[Fraction, Fraction]:
    """``1/sqrt(v)`` exactly, or a rational approximation and an exact upper bound of its error.

    Returns ``(s, err_bound)``; raises ``ValueError`` (caught by callers) if irrational and
    not ``approximate``.
    """
    if v <= 0:
        raise ZeroDivisionError(f"var + epsilon = {format_rational(v)} is not positive")
    r = isqrt_exact(v)
    if r is not None:
        return 1 / r, ZERO
    if not approximate:
        raise ValueError(format_rational(v))
    p, q = v.numerator, v.denominator
    K = 160
    approx = Fraction(math.isqrt((q * p) << (2 * K)), p << K)  # ~ sqrt(q/p) = 1/sqrt(v)
    if max_denominator is not None:
        s = approx.limit_denominator(max_denominator)
    else:
        s = Fraction(float(approx))
    # |s - 1/sqrt(v)| = |s sqrt(v) - 1| / sqrt(v) <= |s^2 v - 1| / sqrt(v) <= |s^2 v - 1| / lb
    lb = Fraction(math.isqrt((p * q) << (2 * K)), q << K)  # <= sqrt(p/q)
    if lb <= 0:
        raise ValueError(format_rational(v))
    return s, abs(s * s * v - 1) / lb


def check_size(shape: Sequence[int], what: str) -> int:
    """Number of elements of ``shape``; refuses negative dimensions and huge tensors."""
    n = 1
    for d in shape:
        d = int(d)
        if d < 0:
            raise ShapeError(f"{what} would have a negative dimension {list(shape)}")
        n *= d
    if n > MAX_TENSOR_ELEMENTS:
        raise ModelFormatError(f"{what} would have {n} elements (shape {list(shape)}), more than the limit "
                               f"{MAX_TENSOR_ELEMENTS:,}")
    return n
