"""Counterexample files in the VNN-COMP format, read and written exactly.

A float verifier that finds a violation of a VNN-LIB property writes the input (and
usually the outputs it computed) as an s-expression of ``(name value)`` pairs, sometimes
preceded by a result word::

    sat
    ((X_0 0.6)
     (X_1 -0.5)
     (Y_0 -0.0182)
     (Y_1 0.3))

:func:`parse_counterexample` reads such text into exact rationals: decimals and
exponents are exact (``0.1`` is 1/10), ``p/q``, SMT-LIB ``(- v)`` and ``(/ p q)`` are
accepted. NaN, infinities, missing or repeated inputs, and files that claim the
property *holds* (``unsat``) are refused with :class:`CounterexampleFormatError`, a
:class:`~exactrelu.errors.PropertyError` (CLI exit 2). Re-checking the file against
a network is :func:`exactrelu.crosscheck.crosscheck.recheck_counterexample`.

Examples
--------
>>> c = parse_counterexample("sat\\n((X_0 0.1)\\n (X_1 (- 1e-3))\\n (Y_0 3/4))")
>>> c.status, c.input_vector(2), c.output_vector(1)
('sat', (Fraction(1, 10), Fraction(-1, 1000)), (Fraction(3, 4),))
>>> parse_counterexample("((X_0 nan))")
Traceback (most recent call last):
...
exactrelu.errors.CounterexampleFormatError: X_0 is NaN, not a number: a counterexample needs finite values
>>> print(format_counterexample([Fraction(1, 4)], [Fraction(-3, 2)]))
sat
((X_0 0.25)
 (Y_0 -1.5))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from ..errors import CounterexampleFormatError, NumberError
from .polytope import Point

__all__ = [
    "Counterexample",
    "CounterexampleFormatError",
    "parse_counterexample",
    "load_counterexample",
    "format_counterexample",
    "format_exact_decimal",
]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_NAME = re.compile(r"^([XY])_(0|[1-9][0-9]*)$")  # canonical indices only: X_00 is not X_0
_NONFINITE = {"nan": "NaN", "+nan": "NaN", "-nan": "NaN", "inf": "infinite", "+inf": "infinite",
              "-inf": "infinite", "infinity": "infinite", "+infinity": "infinite", "-infinity": "infinite"}
_CLAIMS_SAT = ("sat", "violated", "counterexample")
_CLAIMS_OTHER = ("unsat", "holds", "timeout", "unknown", "error", "unsafe", "safe")
_MAX_INDEX = 10**7


@dataclass
class Counterexample:
    """A parsed counterexample: exact input values ``X_i`` and (optional) outputs ``Y_j``."""

    inputs: dict[int, Fraction]
    outputs: dict[int, Fraction] = field(default_factory=dict)
    status: str | None = None
    source: str = ""

    def input_vector(self, n_inputs: int) -> Point:
        """``(X_0, ..., X_{n-1})``; every input must be given, and no other."""
        extra = sorted(i for i in self.inputs if i >= n_inputs)
        if extra:
            raise CounterexampleFormatError(
                f"{self._where()}the file gives X_{extra[0]} but the network has {n_inputs} inputs")
        missing = [i for i in range(n_inputs) if i not in self.inputs]
        if missing:
            raise CounterexampleFormatError(f"{self._where()}input X_{missing[0]} is missing "
                                            f"({len(missing)} of {n_inputs} inputs missing)")
        return tuple(self.inputs[i] for i in range(n_inputs))

    def output_vector(self, n_outputs: int) -> tuple[Fraction, ...] | None:
        """``(Y_0, ..., Y_{m-1})`` if the file gives outputs (all of them), else None."""
        if not self.outputs:
            return None
        extra = sorted(j for j in self.outputs if j >= n_outputs)
        if extra:
            raise CounterexampleFormatError(
                f"{self._where()}the file gives Y_{extra[0]} but the network has {n_outputs} outputs")
        missing = [j for j in range(n_outputs) if j not in self.outputs]
        if missing:
            raise CounterexampleFormatError(f"{self._where()}output Y_{missing[0]} is missing "
                                            "(give all outputs or none)")
        return tuple(self.outputs[j] for j in range(n_outputs))

    def _where(self) -> str:
        return f"{self.source}: " if self.source else ""


def _number(tok: str, name: str) -> Fraction:
    from ..numbers.rationals import to_rational

    t = tok.strip()
    low = t.lower()
    if low in _NONFINITE:
        raise CounterexampleFormatError(
            f"{name} is {_NONFINITE[low]}, not a number: a counterexample needs finite values")
    try:  # the one number reader, with the documented limits (exactrelu.limits) checked on the text first
        return to_rational(t)
    except NumberError as exc:
        msg = str(exc)
        if msg.startswith("malformed number"):
            shown = t if len(t) <= 40 else t[:20] + f"...({len(t):,} characters)"
            raise CounterexampleFormatError(f"{name}: malformed number {shown!r} (expected a decimal, p/q, "
                                            "(- v) or (/ p q))") from None
        if "beyond the limit" in msg or "refused" in msg:
            raise CounterexampleFormatError(f"{name}: value out of range: {msg}") from None
        raise CounterexampleFormatError(f"{name}: {msg}") from None


def _value(e: Any, name: str) -> Fraction:
    if isinstance(e, str):
        return _number(e, name)
    if isinstance(e, list) and e:
        op, args = e[0], e[1:]
        if op == "-" and len(args) == 1:
            return -_value(args[0], name)
        if op == "+" and len(args) == 1:
            return _value(args[0], name)
        if op == "/" and len(args) == 2:
            num, den = _value(args[0], name), _value(args[1], name)
            if den == 0:
                raise CounterexampleFormatError(f"{name}: division by zero")
            return num / den
    raise CounterexampleFormatError(f"{name}: unsupported value {_show(e)}")


def _show(e: Any) -> str:
    if isinstance(e, list):
        return "(" + " ".join(_show(x) for x in e) + ")"
    return str(e)


def _sexprs(text: str) -> list[Any]:
    text = "\n".join(line.split(";", 1)[0] for line in text.splitlines())
    out: list[Any] = []
    stack: list[list] = []
    for tok in _TOKEN.findall(text):
        if tok == "(":
            stack.append([])
        elif tok == ")":
            if not stack:
                raise CounterexampleFormatError("unbalanced ')' in the counterexample")
            done = stack.pop()
            (stack[-1] if stack else out).append(done)
        else:
            (stack[-1] if stack else out).append(tok)
    if stack:
        raise CounterexampleFormatError("unbalanced '(' in the counterexample (truncated file?)")
    return out


def _is_pair(e: Any) -> bool:
    return isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and bool(_NAME.match(e[0]))


def parse_counterexample(text: str, source: str = "") -> Counterexample:
    """Parse VNN-COMP counterexample text exactly (see the module docstring)."""
    where = f"{source}: " if source else ""
    items = _sexprs(text)
    status = None
    if items and isinstance(items[0], str):
        status = items[0].lower()
        items = items[1:]
        if status in _CLAIMS_OTHER:
            raise CounterexampleFormatError(
                f"{where}the file says {status!r}: it claims no counterexample, so there is nothing to re-check")
        if status not in _CLAIMS_SAT:
            raise CounterexampleFormatError(f"{where}unexpected result word {status!r} (expected 'sat')")
    pairs: list[Any] = []
    for e in items:
        if isinstance(e, str):
            raise CounterexampleFormatError(f"{where}unexpected token {e!r}")
        if _is_pair(e):
            pairs.append(e)  # pairs written at top level
        elif all(_is_pair(x) for x in e):
            pairs.extend(e)
        else:
            bad = next((x for x in e if not _is_pair(x)), e)
            raise CounterexampleFormatError(f"{where}expected (X_i value) or (Y_j value), got {_show(bad)}")
    if not pairs:
        raise CounterexampleFormatError(f"{where}no (X_i value) assignments found")
    inputs: dict[int, Fraction] = {}
    outputs: dict[int, Fraction] = {}
    for name, val in pairs:
        kind, idx = _NAME.match(name).groups()
        i = int(idx)
        if i > _MAX_INDEX:
            raise CounterexampleFormatError(f"{where}variable index of {name} is out of range")
        target = inputs if kind == "X" else outputs
        if i in target:
            raise CounterexampleFormatError(f"{where}{name} is given twice")
        try:
            target[i] = _value(val, name)
        except CounterexampleFormatError as exc:
            raise CounterexampleFormatError(f"{where}{exc}") from None
    if not inputs:
        raise CounterexampleFormatError(f"{where}the file gives no inputs X_i")
    return Counterexample(inputs, outputs, status, source)


def load_counterexample(source: "str | Path | bytes") -> Counterexample:
    """Read a counterexample from a path (``.gz`` recognised), bytes, or the text itself.

    A ``str`` containing a parenthesis or a newline is taken as the text; otherwise as a
    path.
    """
    from ..io.files import decode_text, read_text

    if isinstance(source, bytes):
        name = ""
        text = decode_text(source, CounterexampleFormatError, "counterexample")
    elif isinstance(source, str) and ("(" in source or "\n" in source):
        return parse_counterexample(source)
    else:
        name = str(Path(source))
        text = read_text(source, CounterexampleFormatError, "counterexample ")
    return parse_counterexample(text, source=name)


def format_exact_decimal(q: Fraction) -> str:
    """``q`` as an exact decimal when its denominator is ``2^a 5^b`` (every float is), else ``p/q``.

    Examples
    --------
    >>> format_exact_decimal(Fraction(3, 8)), format_exact_decimal(Fraction(1, 3)), format_exact_decimal(Fraction(-2))
    ('0.375', '1/3', '-2')
    """
    from ..numbers.rationals import int_str

    q = Fraction(q)
    d = q.denominator
    a = b = 0
    while d % 2 == 0:
        d //= 2
        a += 1
    while d % 5 == 0:
        d //= 5
        b += 1
    if d != 1:
        return f"{int_str(q.numerator)}/{int_str(q.denominator)}"
    k = max(a, b)
    if k == 0:
        return int_str(q.numerator)
    scaled = abs(q.numerator) * (10 ** k // q.denominator)
    s = int_str(scaled).rjust(k + 1, "0")
    s = (s[:-k] + "." + s[-k:]).rstrip("0").rstrip(".")
    return ("-" if q < 0 else "") + s


def format_counterexample(x: Sequence[Fraction], y: Sequence[Fraction] | None = None, status: str = "sat") -> str:
    """Write ``x`` (and ``y``) in the VNN-COMP format, exactly (see :func:`format_exact_decimal`)."""
    lines = [f"(X_{i} {format_exact_decimal(v)})" for i, v in enumerate(x)]
    if y is not None:
        lines += [f"(Y_{j} {format_exact_decimal(v)})" for j, v in enumerate(y)]
    body = "(" + "\n ".join(lines) + ")"
    return f"{status}\n{body}" if status else body
