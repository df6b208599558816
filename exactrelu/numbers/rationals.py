"""Exact numbers: the one place where user values become rationals.

Rules ("the one rule" of ARCHITECTURE.md):

* every number inside exactrelu is a :class:`fractions.Fraction`;
* a binary float is converted **exactly** (it is a dyadic rational), never rounded;
* decimal and fraction strings (``"0.1"``, ``"-0.298552812"``, ``"3/7"``, ``"1e-3"``)
  parse exactly (``"0.1"`` is 1/10);
* approximation to small denominators happens only when asked for
  (:func:`approximate`), and reports the largest change it made;
* NaN and infinities are refused with :class:`~exactrelu.errors.NumberError`.

Fast exact matrix arithmetic uses python-flint's ``fmpq_mat`` behind :func:`to_fmpq_mat`
and :func:`from_fmpq_mat` (exact, and much faster than pure :class:`~fractions.Fraction`
loops on the matrices the prover and the graph build).

Examples
--------
>>> to_rational("0.1")
Fraction(1, 10)
>>> to_rational(0.1)
Fraction(3602879701896397, 36028797018963968)
>>> format_rational(to_rational("-3/6"))
'-1/2'
>>> approximate([to_rational(0.1)], max_denominator=100)
([Fraction(1, 10)], Fraction(1, 180143985094819840))
"""

from __future__ import annotations

import math
import numbers as _abc  # stdlib numeric ABCs
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Sequence

from ..errors import NumberError
from ..limits import MAX_EXPONENT, MAX_NUMBER_CHARS

__all__ = [
    "clip_text",
    "parse_int",
    "Fraction",
    "Rational",
    "to_rational",
    "to_rational_vector",
    "to_rational_matrix",
    "parse_rational_list",
    "format_rational",
    "format_vector",
    "format_multipliers",
    "int_str",
    "approximate",
    "is_float32_exact",
    "is_float64_exact",
    "bit_size",
    "to_float",
    "to_fmpq_mat",
    "from_fmpq_mat",
    "common_denominator",
]

Rational = Fraction

_RATIO = re.compile(r"\s*([+-]?[0-9]+)\s*/\s*([+-]?[0-9]+)\s*", re.ASCII)
_DECIMAL = re.compile(r"\s*([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?\s*", re.ASCII)


def clip_text(text: str, width: int = 40) -> str:
    """``repr(text)``, shortened to about ``width`` characters for an error message.

    Parameters
    ----------
    text : str
        The text to quote (user input, possibly megabytes long).
    width : int
        About how many characters of ``text`` to keep.

    Returns
    -------
    str
        ``repr(text)`` or its first ``width // 2`` characters and the length.

    Examples
    --------
    >>> clip_text("1/3")
    "'1/3'"
    >>> clip_text("9" * 100, 10)
    "'99999'...(100 characters)"
    """
    if len(text) <= width:
        return repr(text)
    return repr(text[:width // 2]) + f"...({len(text):,} characters)"


def to_rational(value: Any) -> Fraction:
    """Convert one value to an exact :class:`~fractions.Fraction`.

    Parameters
    ----------
    value : int, Fraction, float, str, numpy scalar, flint.fmpq or flint.fmpz
        Floats convert exactly (dyadic rationals). Strings may be integers, decimals
        with optional exponent, or ``"p/q"``.

    Returns
    -------
    Fraction

    Raises
    ------
    NumberError
        For NaN, infinities, booleans, empty or malformed strings, zero denominators, and
        strings beyond the documented limits (:mod:`exactrelu.limits`: more than 1,000,000
        characters, or a decimal exponent beyond 100,000 in absolute value), which are
        refused before any big computation.

    Examples
    --------
    >>> to_rational("1e-3"), to_rational("3/7"), to_rational(2)
    (Fraction(1, 1000), Fraction(3, 7), Fraction(2, 1))
    >>> to_rational(float("nan"))
    Traceback (most recent call last):
    ...
    exactrelu.errors.NumberError: not a finite number: nan
    >>> to_rational("1e999999999")
    Traceback (most recent call last):
    ...
    exactrelu.errors.NumberError: decimal exponent 999999999 is beyond the limit of 100,000 in absolute value
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise NumberError(f"a boolean is not a number: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberError(f"not a finite number: {value!r}")
        return Fraction(value)
    if isinstance(value, str):
        return _parse_string(value)
    # numpy scalars, flint numbers, Decimal, anything with the numbers ABCs
    tname = type(value).__name__
    if tname in ("fmpq", "fmpz"):
        return Fraction(int(value.p), int(value.q)) if tname == "fmpq" else Fraction(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberError(f"not a finite number: {value!r}")
        return _parse_string(str(value))  # the same limits as for text (1e999999999 would hang)
    if hasattr(value, "dtype") and hasattr(value, "item"):
        kind = value.dtype.kind
        if kind == "b":
            raise NumberError(f"a boolean is not a number: {value!r}")
        if kind in "iu":
            return Fraction(int(value.item()))
        if kind == "f":
            if value.dtype.itemsize > 8:  # long double: exact via as_integer_ratio
                p, q = value.as_integer_ratio()
                return Fraction(int(p), int(q))
            return to_rational(float(value.item()))
        raise NumberError(f"unsupported numeric type {value.dtype}")
    if isinstance(value, _abc.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, _abc.Real):
        return to_rational(float(value))
    raise NumberError(f"not a number: {value!r}")


def parse_int(digits: str) -> int:
    """``int(digits)`` for an ASCII ``[+-]?[0-9]+`` string of any length (checked by the
    caller): beyond Python's 4,300-digit int/str limit through python-flint (GMP), which
    reads a million digits in a few hundredths of a second.

    Parameters
    ----------
    digits : str
        An optional sign and decimal digits (the caller has checked the syntax).

    Returns
    -------
    int

    Examples
    --------

    >>> parse_int("-" + "9" * 5000) == -(10 ** 5000 - 1)
    True
    """
    if len(digits) <= 4_000:
        return int(digits)
    import flint

    return int(flint.fmpz(digits.lstrip("+")))


def _exponent(text: str) -> int:
    """The decimal exponent ``text`` (``[+-]?[0-9]+``), refused beyond :data:`~exactrelu.limits.MAX_EXPONENT`."""
    body = text.lstrip("+-").lstrip("0") or "0"
    if len(body) > len(str(MAX_EXPONENT)) or int(body) > MAX_EXPONENT:
        shown = body if len(body) <= 20 else body[:10] + f"...({len(body):,} digits)"
        raise NumberError(f"decimal exponent {'-' if text.startswith('-') else ''}{shown} is beyond the limit of "
                          f"{MAX_EXPONENT:,} in absolute value")
    return -int(body) if text.startswith("-") else int(body)


def _parse_string(text: str) -> Fraction:
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberError(f"number literal of {len(text):,} characters refused (the limit is {MAX_NUMBER_CHARS:,})")
    m = _RATIO.fullmatch(text)
    if m:
        p, q = parse_int(m.group(1)), parse_int(m.group(2))
        if q == 0:
            raise NumberError(f"zero denominator in {clip_text(text)}")
        return Fraction(p, q)
    m = _DECIMAL.fullmatch(text)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.groups()
        frac = frac or ""
        e = (_exponent(exp) if exp is not None else 0) - len(frac)
        n = parse_int((whole + frac).lstrip("0") or "0")
        if sign == "-":
            n = -n
        return Fraction(n * 10 ** e) if e >= 0 else Fraction(n, 10 ** -e)
    raise NumberError(f"malformed number {clip_text(text)} (expected an integer, a decimal or p/q)")


def to_rational_vector(values: Iterable[Any]) -> tuple[Fraction, ...]:
    """Convert a flat sequence to a tuple of Fractions.

    Examples
    --------
    >>> to_rational_vector(["1/2", 0.25, 3])
    (Fraction(1, 2), Fraction(1, 4), Fraction(3, 1))
    """
    if isinstance(values, (str, bytes)):
        raise NumberError("expected a sequence of numbers, got a string")
    try:
        return tuple(to_rational(v) for v in values)
    except TypeError as exc:
        raise NumberError(f"expected a sequence of numbers: {exc}") from exc


def to_rational_matrix(rows: Iterable[Iterable[Any]]) -> tuple[tuple[Fraction, ...], ...]:
    """Convert a 2-D sequence (or numpy array) to a tuple of row tuples of Fractions.

    Raises :class:`NumberError` if rows have different lengths.

    Examples
    --------
    >>> to_rational_matrix([[1, "1/2"], [0.5, 0]])
    ((Fraction(1, 1), Fraction(1, 2)), (Fraction(1, 2), Fraction(0, 1)))
    """
    if hasattr(rows, "ndim") and getattr(rows, "ndim") != 2:
        raise NumberError(f"expected a 2-D array, got {rows.ndim}-D")  # type: ignore[union-attr]
    out = tuple(to_rational_vector(r) for r in rows)
    if out and len({len(r) for r in out}) != 1:
        raise NumberError("rows of a matrix have different lengths")
    return out


def parse_rational_list(text: str) -> tuple[Fraction, ...]:
    """Parse a comma-separated list such as ``"-1/2,3/4,0.1"``.

    Examples
    --------
    >>> parse_rational_list("-1/2, 3/4,0.1")
    (Fraction(-1, 2), Fraction(3, 4), Fraction(1, 10))
    """
    parts = [p for p in text.split(",")]
    if not text.strip() or any(not p.strip() for p in parts):
        raise NumberError(f"malformed list of numbers {text!r}")
    return tuple(_parse_string(p) for p in parts)


_SAFE_BITS = 13_000  # ints below 2**13000 (< 3,914 digits) convert with str() under any digit limit


def int_str(n: int) -> str:
    """``str(n)`` for an int of any size, also above Python's default limit of 4,300
    digits for int/str conversion (``sys.set_int_max_str_digits``), which exact
    certificates can exceed in five and more dimensions. Large ints are written by
    python-flint (GMP): a million digits in about 0.1 s.

    >>> int_str(-12345), int_str(10 ** 5000) == "1" + "0" * 5000
    ('-12345', True)
    """
    if n.bit_length() <= _SAFE_BITS:
        return str(n)
    import flint

    return str(flint.fmpz(n))


def format_rational(q: Fraction) -> str:
    """Format as ``"p/q"`` (or ``"p"`` for integers): the exchange format of exactrelu.

    Examples
    --------
    >>> format_rational(Fraction(6, 4)), format_rational(Fraction(-3))
    ('3/2', '-3')
    """
    if type(q) is not Fraction:
        q = Fraction(q)
    n, d = q.numerator, q.denominator
    if n.bit_length() > _SAFE_BITS or d.bit_length() > _SAFE_BITS:
        return int_str(n) if d == 1 else f"{int_str(n)}/{int_str(d)}"
    return str(n) if d == 1 else f"{n}/{d}"


def format_vector(v: Iterable[Fraction]) -> list[str]:
    """Format each entry with :func:`format_rational`."""
    return [format_rational(x) for x in v]


def format_multipliers(y: Iterable[tuple[int, int, int]]) -> list[list]:
    """``((row, p, q), ...)`` -> ``[[row, "p/q"], ...]`` (in the given order; fractions as
    given, a negative denominator moved to the numerator).

    >>> format_multipliers([(0, 3, 4), (2, 5, 1), (3, 1, -2)])
    [[0, '3/4'], [2, '5'], [3, '-1/2']]
    """
    out = []
    for r, p, q in y:
        if q < 0:
            p, q = -p, -q
        out.append([r, f"{int_str(p)}/{int_str(q)}" if q != 1 else int_str(p)])
    return out


def approximate(values: Sequence[Fraction], max_denominator: int) -> tuple[list[Fraction], Fraction]:
    """Round each value to the closest rational with denominator <= ``max_denominator``.

    Only called on explicit request. Returns the new values and the largest absolute
    change made (exact).

    Examples
    --------
    >>> approximate([Fraction(1, 3), Fraction(22, 7)], 2)
    ([Fraction(1, 2), Fraction(3, 1)], Fraction(1, 6))
    """
    if max_denominator < 1:
        raise NumberError("max_denominator must be a positive integer")
    out = [Fraction(v).limit_denominator(max_denominator) for v in values]
    change = max((abs(a - b) for a, b in zip(out, values)), default=Fraction(0))
    return out, change


def to_float(q: Fraction) -> float:
    """``float(q)`` rounded to nearest, with IEEE overflow: ``±inf`` beyond the float64
    range instead of ``OverflowError`` (for float proposals only; nothing is decided on it).

    >>> to_float(Fraction(1, 3)) == 1 / 3, to_float(Fraction(10) ** 400), to_float(-Fraction(10) ** 400)
    (True, inf, -inf)
    """
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def is_float64_exact(q: Fraction) -> bool:
    """True if ``q`` is exactly a float64 value.

    Examples
    --------
    >>> is_float64_exact(Fraction(1, 4)), is_float64_exact(Fraction(1, 10))
    (True, False)
    """
    try:
        f = float(q)
    except OverflowError:
        return False
    return math.isfinite(f) and Fraction(f) == q


def is_float32_exact(q: Fraction) -> bool:
    """True if ``q`` is exactly a float32 value.

    Examples
    --------
    >>> is_float32_exact(Fraction(1, 16)), is_float32_exact(Fraction(1, 2**30) + 1)
    (True, False)
    """
    import struct

    if not is_float64_exact(q):
        return False
    try:
        f32 = struct.unpack("f", struct.pack("f", float(q)))[0]
    except OverflowError:
        return False
    return Fraction(f32) == q


def bit_size(q: Fraction) -> tuple[int, int]:
    """Bits of numerator (absolute value) and denominator.

    Examples
    --------
    >>> bit_size(Fraction(-5, 8))
    (3, 4)
    """
    return abs(q.numerator).bit_length(), q.denominator.bit_length()


def common_denominator(values: Iterable[Fraction]) -> int:
    """Least common multiple of the denominators.

    Examples
    --------
    >>> common_denominator([Fraction(1, 4), Fraction(1, 6)])
    12
    """
    d = 1
    for v in values:
        d = d * v.denominator // math.gcd(d, v.denominator)
    return d


def to_fmpq_mat(rows: Sequence[Sequence[Fraction]]):  # -> flint.fmpq_mat
    """Convert a matrix of Fractions to a python-flint ``fmpq_mat`` (exact)."""
    import flint

    nrows = len(rows)
    ncols = len(rows[0]) if nrows else 0
    m = flint.fmpq_mat(nrows, ncols)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            if v:
                m[i, j] = flint.fmpq(v.numerator, v.denominator)
    return m


def from_fmpq_mat(m) -> list[list[Fraction]]:
    """Convert a python-flint ``fmpq_mat`` back to lists of Fractions (exact)."""
    return [[Fraction(int(m[i, j].p), int(m[i, j].q)) for j in range(m.ncols())] for i in range(m.nrows())]
