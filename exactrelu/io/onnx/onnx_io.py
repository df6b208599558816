"""Exact ONNX import and export.

Import (:func:`load_onnx`, :func:`import_onnx`, :func:`onnx_to_network`)
------------------------------------------------------------------------
The graph is executed *symbolically*: every tensor element is an exact affine form
``sum c_(s,i) h_s[i] + d`` over the outputs ``h_s`` of the network layers created so far
(``s = 0`` is the network input).  Linear operators only combine forms, so consecutive
affine operators (``Sub -> Flatten -> MatMul -> Add``) merge into one layer; a piecewise
linear operator (``Relu``, ``LeakyRelu``, ``MaxPool``, ...) *materialises* a new ReLU layer
whose units are the forms it needs.  At the end the output forms become an identity
output layer (or, if the output is exactly the output of the last ReLU layer, nothing
more is added).  ACAS Xu thus gives six ReLU layers of 50 and one identity layer of 5.

The loader is trusted code: a certificate proves a statement about the network the
loader built, so a misread file would give a certified false verdict.  It therefore
accepts only what it models exactly and refuses everything else with a one-line
:class:`~exactrelu.errors.ModelFormatError` (malformed file) or
:class:`~exactrelu.errors.UnsupportedOperatorError` (valid ONNX it does not model).

*What the exact network is.*  Every float in the file converts **exactly** (float16,
bfloat16, float32 and float64 values, subnormals included, are dyadic rationals; NaN and
infinity anywhere are refused).  The network is the graph's **real-arithmetic** meaning:
the rounding a float runtime does inside ``MatMul``, ``Add``, ``Conv``, ... is not
modelled, and arithmetic on constants (``Mul`` of two initializers, ...) is exact, not
in float.  So at a point where a float runtime computes without rounding (small dyadic
weights and inputs) the exact network and the runtime agree to the last bit; the tests
check exactly that for every operator below.  Operators whose *definition* rounds are
modelled as the rounding they do, or refused: ``Cast``/``CastLike`` of a constant rounds
exactly (round-half-even to float16/bfloat16/float32/float64, truncation toward zero to
integer types, integer overflow wraps as the spec says; float overflow and out-of-range
float-to-integer casts are refused); on an input-dependent tensor a widening float cast
(float16 -> float32 -> float64, bfloat16 -> float32) is the identity, and a narrowing or
integer cast is refused (it is a step function, not piecewise linear).  A rounding cast of a
constant that float arithmetic computed (a sum of products, or a result the tensor's type
cannot hold) is refused too: a float runtime rounds that constant before the cast.

*Refused, with the reason in the message:* opsets outside ``MIN_OPSET..MAX_OPSET`` (7..28;
opsets 1-6 have different broadcasting and training semantics), operator versions not in
the table below, nodes of other domains, unknown attributes, attributes of the wrong type,
missing required attributes, attributes not modelled (``Constant`` ``sparse_value`` and
strings), training mode (``Dropout`` ``training_mode`` true, ``BatchNormalization``
``training_mode=1`` or its training outputs), products of two input-dependent tensors,
``MaxPool``'s ``Indices``, ``AveragePool`` with ``count_include_pad=1`` and windows that
extend beyond the padding, pools whose window lies entirely in the padding, ``Pad`` modes
``reflect``/``edge``/``wrap`` with pads larger than the model can read, and shapes that do
not fit the spec (negative or wrongly sized ``pads``, strides or dilations below 1, a
kernel shape disagreeing with the weight, a group not dividing the channels, a ``Split``
that is not even where the spec requires it, ...).

*Malformed files are refused before anything runs:* a tensor produced twice (two nodes,
or a node output that is also an initializer or a graph input), a cycle, a tensor used
but never defined, graph outputs that nothing produces, initializers whose data does not
match their declared shape and type (``raw_data`` length, typed field length, values out
of range for their type), more than ``MAX_TENSOR_ELEMENTS`` elements in any tensor, no
opset for the default domain (a file truncated after its graph), and whatever
``onnx.checker.check_model(full_check=True)`` rejects.  Gzip-compressed files are
decompressed with a bound (``MAX_MODEL_BYTES``, 2 GiB, the protobuf limit; ``max_bytes=``
lowers it), and external-data files must lie inside the model's folder.

*BatchNormalization* multiplies by ``1/sqrt(var + epsilon)``, which is irrational unless
``var + epsilon`` is the square of a rational.  By default only that exact case is
accepted; otherwise the import fails with an explanation.  With ``approximate_bn=True``
the factor is rounded to the nearest float64 (or, with ``bn_max_denominator=D``, to the
closest rational with denominator ``<= D``); the import then warns and
:attr:`OnnxImport.max_change` holds a rigorous exact upper bound of the largest change
made to any folded coefficient.  ``momentum`` only matters in training and is ignored.

The *batch dimension*: a symbolic leading dimension (``N``, ``batch``, unset) is taken
as 1; other symbolic dimensions need ``input_shape=`` (which may only fill in symbolic
dimensions).  The network input is the input tensor flattened in C order
(``n_inputs = prod(shape)``), and likewise the output.  Graph inputs that have an
initializer are constants with the initializer's value.  Float attributes (``alpha``,
``epsilon``, ...) are float32 in ONNX and are used at their exact float32 values (also
the defaults: ``LeakyRelu`` alpha is float32(0.01)).  Weights in external data files are
read only when the model is loaded from its path.  Only the nodes the chosen output
depends on are executed (the checks above cover the whole graph).

Operator table
--------------
One line per operator: the ONNX versions (``since_version``) the loader models, and after
``|`` the attributes it reads; any other attribute of the operator's schema is refused.
A test checks this table against the loader (:data:`SUPPORTED_OPERATORS` and its
handlers), and the differential tests run every operator against the ONNX reference::

    Abs                 6 13                          |
    Add                 7 13 14                       |
    AveragePool         7 10 11 19 22                 | auto_pad ceil_mode count_include_pad dilations kernel_shape pads strides
    BatchNormalization  7 9 14 15                     | epsilon momentum spatial training_mode
    Cast                6 9 13 19 21 23 24 25 28      | round_mode saturate to
    CastLike            15 19 21 23 24 25             | round_mode saturate
    Clip                6 11 12 13                    | max min
    Concat              4 11 13                       | axis
    Constant            1 9 11 12 13 19 21 23 24 25   | value value_float value_floats value_int value_ints
    ConstantOfShape     9 20 21 23 24 25              | value
    Conv                1 11 22                       | auto_pad dilations group kernel_shape pads strides
    Div                 7 13 14                       |
    Dropout             7 10 12 13 22                 | ratio seed
    Flatten             1 9 11 13 21 23 24 25         | axis
    Gather              1 11 13                       | axis
    Gemm                7 9 11 13                     | alpha beta transA transB
    GlobalAveragePool   1 22                          |
    GlobalMaxPool       1 22                          |
    Identity            1 13 14 16 19 21 23 24 25     |
    LeakyRelu           6 16                          | alpha
    MatMul              1 9 13                        |
    Max                 6 8 12 13                     |
    MaxPool             1 8 10 11 12 22               | auto_pad ceil_mode dilations kernel_shape pads storage_order strides
    Mean                6 8 13                        |
    Min                 6 8 12 13                     |
    Mul                 7 13 14                       |
    Neg                 6 13                          |
    PRelu               7 9 16                        |
    Pad                 2 11 13 18 19 21 23 24 25     | mode pads value
    Relu                6 13 14                       |
    Reshape             5 13 14 19 21 23 24 25        | allowzero
    Shape               1 13 15 19 21 23 24 25        | end start
    Size                1 13 19 21 23 24 25           |
    Slice               1 10 11 13                    | axes ends starts
    Split               2 11 13 18                    | axis num_outputs split
    Squeeze             1 11 13 21 23 24 25           | axes
    Sub                 7 13 14                       |
    Sum                 6 8 13                        |
    Transpose           1 13 21 23 24 25              | perm
    Unsqueeze           1 11 13 21 23 24 25           | axes

How each lowers: ``Gemm``, ``MatMul`` (one operand constant), ``Add``/``Sub`` (of anything),
``Mul``/``Div`` (by constants), ``Neg``, ``Sum``, ``Mean``, ``Conv`` (N-d), ``AveragePool``,
``GlobalAveragePool``, ``BatchNormalization`` (inference) and ``Pad`` are affine and merge
into the next layer; ``Relu``, ``LeakyRelu`` (``a x + (1-a) relu(x)``, exact for every slope
``a``), ``PRelu`` (constant slope), ``Clip``, ``Abs``, ``Max``, ``Min``, ``MaxPool`` and
``GlobalMaxPool`` (``max(a, b) = a + relu(b - a)``, a tree of depth ``ceil(log2 k)`` per
window, all windows of one tree level in one layer) materialise ReLU layers; the shape
operators (``Flatten``, ``Reshape``, ``Transpose``, ``Squeeze``, ``Unsqueeze``, ``Concat``,
``Slice``, ``Gather`` with constant indices, ``Split``, ``Shape``, ``Size``, ``Identity``,
``Dropout`` in inference, ``Constant``, ``ConstantOfShape``) only move forms.  ``Clip``
without a bound does not clip finite values of its type (for ``Clip-6`` on float64 the
missing bounds are float32's lowest/max, as its schema says).

Export (:func:`export_onnx`, :func:`network_to_onnx`)
-----------------------------------------------------
One ``Gemm`` per (layer, source) with ``transB=1`` (weights stored ``[out, in]`` like
PyTorch; the first Gemm of a layer carries the bias, later ones add the previous result
as ``C``), then ``Relu`` for ReLU layers.  Input ``"input"`` of shape ``[1, n]`` (or
``["N", n]`` with ``dynamic_batch=True``), output ``"output"`` of shape ``[1, m]``;
opset 13, IR version 8.  Every weight must be exactly representable in ``dtype`` or
:class:`~exactrelu.errors.ExportError` names the first one that is not, unless
``approximate=True`` (then each is rounded to the nearest float and the largest change is
returned, exactly).  Loading the export gives back an equal :class:`Network` when every
hidden layer is a ReLU layer and every layer influences the output (identity hidden
layers are folded into their consumers by the loader, which is exact but changes the
structure); input and output names are not stored.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> net = mlp(2, [([[1, "-1/2"], [2, 1]], ["1/4", 0]), ([[1, 1]], [0])])
>>> model, change = network_to_onnx(net)
>>> change
Fraction(0, 1)
>>> load_onnx(model.SerializeToString()) == net
True
>>> network_to_onnx(mlp(1, [([["1/10"]], [0])]))
Traceback (most recent call last):
...
exactrelu.errors.ExportError: layer 1, weight from source 0 [0][0] = 1/10 is not exactly representable in float32; pass approximate=True to round to the nearest float32
"""

from __future__ import annotations

import gzip
import io
import itertools
import math
import os
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ...errors import (ExactReluError, ExportError, ModelError, ModelFormatError, ShapeError,
                      UnsupportedOperatorError)
from ...model.network import Activation, Layer, Network
from ...numbers.rationals import format_rational, is_float32_exact, is_float64_exact

__all__ = [
    "OnnxImport",
    "load_onnx",
    "import_onnx",
    "onnx_to_network",
    "export_onnx",
    "network_to_onnx",
    "read_onnx_model",
    "round_to_float",
    "SUPPORTED_OPERATORS",
    "MIN_OPSET",
    "MAX_OPSET",
    "MAX_MODEL_BYTES",
    "MAX_TENSOR_ELEMENTS",
]

_ZERO = Fraction(0)
_ONE = Fraction(1)
_GZIP_MAGIC = b"\x1f\x8b"
# ONNX float attribute defaults are float32 values
_F32_0_01 = float(np.float32(0.01))
_F32_1E_5 = float(np.float32(1e-5))
_F32_MAX = Fraction(float(np.finfo(np.float32).max))

#: Oldest and newest default-domain opset the loader knows the semantics of.
MIN_OPSET = 7
MAX_OPSET = 28
#: Largest model file (or decompressed ``.onnx.gz``) read: 2 GiB, protobuf's own limit.
MAX_MODEL_BYTES = 2 * 1024 ** 3
#: Largest number of elements of any tensor (initializer, constant or computed).
MAX_TENSOR_ELEMENTS = 10_000_000


def _parse_operator_table(doc: str) -> dict[str, tuple[tuple[int, ...], frozenset[str]]]:
    """The operator table of the module docstring as ``{op: (versions, attributes)}``."""
    table: dict[str, tuple[tuple[int, ...], frozenset[str]]] = {}
    text = doc.split("Operator table", 1)[1].split("::", 1)[1].split("How each lowers", 1)[0]
    for line in text.splitlines():
        if "|" not in line:
            continue
        left, right = line.split("|", 1)
        words = left.split()
        table[words[0]] = (tuple(int(v) for v in words[1:]), frozenset(right.split()))
    return table


#: ``{operator: (modelled versions, modelled attributes)}``, read from the table above.
SUPPORTED_OPERATORS = _parse_operator_table(__doc__ or "")

# ---- ONNX element types ------------------------------------------------------------------
_T_FLOAT, _T_UINT8, _T_INT8, _T_UINT16, _T_INT16, _T_INT32, _T_INT64 = 1, 2, 3, 4, 5, 6, 7
_T_STRING, _T_BOOL, _T_FLOAT16, _T_DOUBLE, _T_UINT32, _T_UINT64, _T_BFLOAT16 = 8, 9, 10, 11, 12, 13, 16
_FLOAT_TYPES = {_T_FLOAT: "float32", _T_FLOAT16: "float16", _T_DOUBLE: "float64", _T_BFLOAT16: "bfloat16"}
# (precision in bits including the hidden one, minimum normal exponent, maximum exponent)
_FLOAT_FORMATS = {_T_FLOAT: (24, -126, 127), _T_FLOAT16: (11, -14, 15), _T_DOUBLE: (53, -1022, 1023),
                  _T_BFLOAT16: (8, -126, 127)}
_INT_RANGES = {_T_UINT8: (0, 2 ** 8 - 1), _T_INT8: (-2 ** 7, 2 ** 7 - 1), _T_UINT16: (0, 2 ** 16 - 1),
               _T_INT16: (-2 ** 15, 2 ** 15 - 1), _T_INT32: (-2 ** 31, 2 ** 31 - 1),
               _T_INT64: (-2 ** 63, 2 ** 63 - 1), _T_UINT32: (0, 2 ** 32 - 1), _T_UINT64: (0, 2 ** 64 - 1)}
_INT64_MIN, _INT64_MAX = -2 ** 63, 2 ** 63 - 1
# value field and element size of every element type a tensor may have
_DATA_FIELD = {_T_FLOAT: "float_data", _T_UINT8: "int32_data", _T_INT8: "int32_data", _T_UINT16: "int32_data",
               _T_INT16: "int32_data", _T_INT32: "int32_data", _T_INT64: "int64_data", _T_BOOL: "int32_data",
               _T_FLOAT16: "int32_data", _T_DOUBLE: "double_data", _T_UINT32: "uint64_data",
               _T_UINT64: "uint64_data", _T_BFLOAT16: "int32_data"}
_ITEM_SIZE = {_T_FLOAT: 4, _T_UINT8: 1, _T_INT8: 1, _T_UINT16: 2, _T_INT16: 2, _T_INT32: 4, _T_INT64: 8,
              _T_BOOL: 1, _T_FLOAT16: 2, _T_DOUBLE: 8, _T_UINT32: 4, _T_UINT64: 8, _T_BFLOAT16: 2}
# element types stored widened in int32_data / uint64_data: the range each entry must lie in
_STORED_RANGE = {_T_UINT8: (0, 255), _T_INT8: (-128, 127), _T_UINT16: (0, 65535), _T_INT16: (-32768, 32767),
                 _T_BOOL: (0, 1), _T_FLOAT16: (0, 65535), _T_BFLOAT16: (0, 65535), _T_UINT32: (0, 2 ** 32 - 1)}
_VALUE_FIELDS = ("float_data", "int32_data", "string_data", "int64_data", "double_data", "uint64_data")


def _type_name(t: int) -> str:
    try:
        import onnx

        return onnx.TensorProto.DataType.Name(int(t))
    except (ValueError, ImportError):
        return f"element type {t}"


def round_to_float(q: Fraction, elem_type: int = _T_FLOAT) -> Fraction | None:
    """``q`` rounded to the nearest value of an ONNX float type, ties to even (IEEE 754).

    Exact: no intermediate float64 (so no double rounding).  Subnormals are produced
    where the format has them; ``None`` means the result overflows to infinity.

    Parameters
    ----------
    q : Fraction
    elem_type : int
        ``TensorProto.FLOAT`` (1, default), ``FLOAT16`` (10), ``DOUBLE`` (11) or ``BFLOAT16`` (16).

    Examples
    --------
    >>> round_to_float(Fraction(1, 3), 10)    # float16
    Fraction(1365, 4096)
    >>> round_to_float(Fraction(2049), 10), round_to_float(Fraction(2051), 10)   # ties to even
    (Fraction(2048, 1), Fraction(2052, 1))
    >>> round_to_float(Fraction(65520), 10) is None    # rounds to float16 infinity
    True
    """
    p, emin, emax = _FLOAT_FORMATS[elem_type]
    if q == 0:
        return _ZERO
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()  # 2^(e-1) < a < 2^(e+1)
    if a < Fraction(2) ** e:
        e -= 1  # now 2^e <= a < 2^(e+1)
    e = max(e, emin)
    shift = e - p + 1  # the unit in the last place is 2^shift
    scaled = a / (Fraction(2) ** shift) if shift >= 0 else a * (1 << -shift)
    n = math.floor(scaled)
    rest = scaled - n
    if rest > Fraction(1, 2) or rest == Fraction(1, 2) and n % 2 == 1:
        n += 1
    r = n * (Fraction(2) ** shift)
    if r >= Fraction(2) ** (emax + 1):
        return None
    return r if q > 0 else -r
# --------------------------------------------------------------------------------------
# exact affine forms
# --------------------------------------------------------------------------------------
class _Nonlinear(Exception):
    """Raised inside arithmetic when two input-dependent values are multiplied."""


def _scalar(o: Any) -> Fraction | None:
    if type(o) is Fraction:
        return o
    if isinstance(o, (int, np.integer)) and not isinstance(o, (bool, np.bool_)):
        return Fraction(int(o))
    if isinstance(o, Fraction):
        return Fraction(o.numerator, o.denominator)
    return None


class _Aff:
    """An exact affine form ``sum t[(s, i)] * h_s[i] + c``.

    ``t`` is never mutated after construction (forms share dictionaries).  Zero
    coefficients are kept: they record which sources a value structurally reads.
    """

    __slots__ = ("t", "c")

    def __init__(self, t: dict, c: Fraction) -> None:
        self.t = t
        self.c = c

    def __add__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            if not o.t:
                return _Aff(self.t, self.c + o.c)
            if not self.t:
                return _Aff(o.t, self.c + o.c)
            t = dict(self.t)
            for k, v in o.t.items():
                t[k] = t.get(k, _ZERO) + v
            return _Aff(t, self.c + o.c)
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return _Aff(self.t, self.c + q)

    __radd__ = __add__

    def __neg__(self) -> "_Aff":
        return _Aff({k: -v for k, v in self.t.items()}, -self.c)

    def __sub__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            return self + (-o)
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return _Aff(self.t, self.c - q)

    def __rsub__(self, o: Any) -> "_Aff":
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return (-self) + q

    def scale(self, q: Fraction) -> "_Aff":
        return _Aff({k: v * q for k, v in self.t.items()}, self.c * q)

    def __mul__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            if not o.t:
                return self.scale(o.c)
            if not self.t:
                return o.scale(self.c)
            raise _Nonlinear("product of two input-dependent tensors is not piecewise linear")
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return self.scale(q)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            if o.t:
                raise _Nonlinear("division by an input-dependent tensor is not piecewise linear")
            o = o.c
        q = _scalar(o)
        if q is None:
            return NotImplemented
        if q == 0:
            raise ZeroDivisionError("division by zero")
        return self.scale(1 / q)

    def __rtruediv__(self, o: Any) -> "_Aff":
        if not self.t:
            q = _scalar(o)
            if q is None:
                return NotImplemented
            if self.c == 0:
                raise ZeroDivisionError("division by zero")
            return _Aff({}, q / self.c)
        raise _Nonlinear("division by an input-dependent tensor is not piecewise linear")

    def key(self) -> tuple:
        return (tuple(sorted(self.t.items())), self.c)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_Aff({self.t!r}, {self.c!r})"


def _lincomb(pairs: Iterable[tuple[Fraction, _Aff]], const: Fraction = _ZERO) -> _Aff:
    """``sum q * f + const`` accumulated into one fresh dictionary."""
    t: dict = {}
    c = const
    get = t.get
    for q, f in pairs:
        if f.c:
            c += q * f.c
        for k, v in f.t.items():
            t[k] = get(k, _ZERO) + q * v
    return _Aff(t, c)


def _obj_array(items: Sequence[Any], shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out.reshape(shape)


# --------------------------------------------------------------------------------------
# tensor values during symbolic execution
# --------------------------------------------------------------------------------------
class _Const:
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
        return _obj_array(flat, self.a.shape)

    def ints(self, what: str) -> list[int]:
        a = self.a
        if a.dtype == object:
            vals = a.ravel().tolist()
            if any(v.denominator != 1 for v in vals):
                raise ModelFormatError(f"{what} must be integers")
            return [int(v) for v in vals]
        return [int(v) for v in a.ravel().tolist()]


class _Sym:
    """An input-dependent tensor: object array of :class:`_Aff`."""

    __slots__ = ("a",)

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape)


_Value = "_Const | _Sym"


def _aff_array(v: "_Const | _Sym") -> np.ndarray:
    if isinstance(v, _Sym):
        return v.a
    fr = v.frac()
    flat = [_Aff({}, q) for q in fr.ravel().tolist()]
    return _obj_array(flat, fr.shape)


def _wrap_result(arr: np.ndarray) -> "_Const | _Sym":
    """Object array of _Aff and/or Fractions -> _Sym (if anything depends on the input) or _Const."""
    flat = arr.ravel().tolist()
    if any(isinstance(v, _Aff) and v.t for v in flat):
        return _Sym(_obj_array([v if isinstance(v, _Aff) else _Aff({}, _scalar(v)) for v in flat], arr.shape))
    return _Const(_obj_array([v.c if isinstance(v, _Aff) else _scalar(v) for v in flat], arr.shape), fexact=False)


def _representable(vals: Iterable[Fraction], elem_type: int | None) -> bool:
    """Every value is a value of the float type (so one correctly rounded operation gives it)."""
    t = elem_type if elem_type in _FLOAT_FORMATS else _T_FLOAT
    return all(round_to_float(q, t) == q for q in vals)


def _isqrt_exact(q: Fraction) -> Fraction | None:
    """sqrt(q) if it is rational, else None (q > 0)."""
    p, d = q.numerator, q.denominator
    rp, rd = math.isqrt(p), math.isqrt(d)
    if rp * rp == p and rd * rd == d:
        return Fraction(rp, rd)
    return None


def _inv_sqrt(v: Fraction, approximate: bool, max_denominator: int | None) -> tuple[Fraction, Fraction]:
    """``1/sqrt(v)`` exactly, or a rational approximation and an exact upper bound of its error.

    Returns ``(s, err_bound)``; raises ``ValueError`` (caught by callers) if irrational and
    not ``approximate``.
    """
    if v <= 0:
        raise ZeroDivisionError(f"var + epsilon = {format_rational(v)} is not positive")
    r = _isqrt_exact(v)
    if r is not None:
        return 1 / r, _ZERO
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




def _check_size(shape: Sequence[int], what: str) -> int:
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


# --------------------------------------------------------------------------------------
# spatial geometry shared by Conv and the pools
# --------------------------------------------------------------------------------------
def _geometry(in_sp: Sequence[int], kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int] | None,
              dilations: Sequence[int], auto_pad: str, ceil_mode: bool) -> tuple[list[int], list[int], list[int]]:
    """Output spatial size and begin/end pads (ONNX rules)."""
    nd = len(in_sp)
    eff = [(kernel[d] - 1) * dilations[d] + 1 for d in range(nd)]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-in_sp[d] // strides[d]) for d in range(nd)]
        pb, pe = [], []
        for d in range(nd):
            total = max(0, (out[d] - 1) * strides[d] + eff[d] - in_sp[d])
            small, big = total // 2, total - total // 2
            if auto_pad == "SAME_UPPER":
                pb.append(small)
                pe.append(big)
            else:
                pb.append(big)
                pe.append(small)
        return out, pb, pe
    if auto_pad == "VALID":
        pb = [0] * nd
        pe = [0] * nd
    elif auto_pad == "NOTSET":
        p = list(pads) if pads is not None else [0] * (2 * nd)
        if len(p) != 2 * nd:
            raise ShapeError(f"pads has {len(p)} entries, expected {2 * nd} (begin and end of {nd} spatial axes)")
        if any(v < 0 for v in p):
            raise ShapeError(f"pads {p} has a negative entry")
        pb, pe = p[:nd], p[nd:]
    else:
        raise ModelFormatError(f"unknown auto_pad {auto_pad!r} (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)")
    out = []
    for d in range(nd):
        span = in_sp[d] + pb[d] + pe[d] - eff[d]
        if span < 0:
            raise ShapeError(f"kernel {kernel[d]} (dilation {dilations[d]}) larger than padded input {in_sp[d] + pb[d] + pe[d]}")
        if ceil_mode:
            o = -(-span // strides[d]) + 1
            if (o - 1) * strides[d] >= in_sp[d] + pb[d]:
                o -= 1  # a window that would start in the end padding is dropped
        else:
            o = span // strides[d] + 1
        out.append(o)
    return out, pb, pe


def _windows(in_sp: Sequence[int], kernel: Sequence[int], strides: Sequence[int], pb: Sequence[int],
             pe: Sequence[int], dilations: Sequence[int], out_sp: Sequence[int]):
    """For each output position: list of (kernel offset, input position) inside the input,
    and the number of kernel positions inside the padded input."""
    nd = len(in_sp)
    n_out = _check_size(out_sp, "the output of a window operator")
    n_k = _check_size(kernel, "a window")
    if n_out * n_k > MAX_TENSOR_ELEMENTS:
        raise ModelFormatError(f"{n_out} windows of {n_k} positions exceed the limit {MAX_TENSOR_ELEMENTS:,}")
    offsets = list(itertools.product(*[range(k) for k in kernel]))
    result = []
    for opos in itertools.product(*[range(o) for o in out_sp]):
        valid = []
        in_padded = 0
        for ko in offsets:
            ipos = tuple(opos[d] * strides[d] - pb[d] + ko[d] * dilations[d] for d in range(nd))
            if all(-pb[d] <= ipos[d] < in_sp[d] + pe[d] for d in range(nd)):
                in_padded += 1
            if all(0 <= ipos[d] < in_sp[d] for d in range(nd)):
                valid.append((ko, ipos))
        result.append((opos, valid, in_padded))
    return result


# --------------------------------------------------------------------------------------
# the importer
# --------------------------------------------------------------------------------------
@dataclass
class OnnxImport:
    """Result of :func:`import_onnx`: the network and facts about how it was read.

    Attributes
    ----------
    network : Network
    input_name, output_name : str
    input_shape, output_shape : tuple of int
        Shapes used (symbolic batch dimension set to 1).
    notes : list of str
        Human-readable remarks (approximations made).
    max_change : Fraction
        Exact upper bound of the largest change any approximation made to a coefficient
        (0 when the import is exact).
    """

    network: Network
    input_name: str
    output_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    notes: list[str] = field(default_factory=list)
    max_change: Fraction = _ZERO

    @property
    def exact(self) -> bool:
        return self.max_change == 0 and not self.notes


# float casts that keep every value (the identity on input-dependent tensors)
_WIDENING = {(_T_FLOAT16, _T_FLOAT), (_T_FLOAT16, _T_DOUBLE), (_T_FLOAT, _T_DOUBLE),
             (_T_BFLOAT16, _T_FLOAT), (_T_BFLOAT16, _T_DOUBLE)}


class _FakeNode:
    """Stands in for an ONNX NodeProto when other importers call operator handlers."""

    def __init__(self, op_type: str, name: str, n_outputs: int = 1) -> None:
        self.op_type = op_type
        self.name = name
        self.domain = ""
        self.input: list[str] = []
        self.output = [f"{name}:{i}" for i in range(n_outputs)]


def _check_tensor_header(tp: Any, what: str) -> int:
    """Element type, dimensions and element count of a TensorProto (before any data is read)."""
    dt = int(tp.data_type)
    if dt not in _DATA_FIELD:
        raise ModelFormatError(f"{what} has element type {_type_name(dt)}, which is not supported")
    if tp.HasField("segment"):
        raise ModelFormatError(f"{what} is a segment of a larger tensor, which is not supported")
    dims = [int(d) for d in tp.dims]
    if any(d < 0 for d in dims):
        raise ModelFormatError(f"{what} has a negative dimension {dims}")
    n = math.prod(dims)
    if n > MAX_TENSOR_ELEMENTS:
        raise ModelFormatError(f"{what} declares {n} elements (dims {dims}), more than the limit {MAX_TENSOR_ELEMENTS:,}")
    return n


def _check_tensor_proto(tp: Any, what: str) -> int:
    """Consistency of a TensorProto before its data is read; returns its element count.

    Refuses unsupported element types, negative or huge dimensions, data that does not
    match the declared shape and type, several value fields, out-of-range values in
    widened storage fields, and external data that was not inlined.
    """
    from onnx import TensorProto

    n = _check_tensor_header(tp, what)
    dt = int(tp.data_type)
    dims = [int(d) for d in tp.dims]
    if tp.data_location == TensorProto.EXTERNAL:
        raise ModelFormatError(f"{what} keeps its data in an external file; load the model from its file path")
    if len(tp.external_data):
        raise ModelFormatError(f"{what} has external-data entries but is not marked external")
    fields = [f for f in _VALUE_FIELDS if len(getattr(tp, f))]
    raw = tp.raw_data
    if len(fields) + bool(raw) > 1:
        raise ModelFormatError(f"{what} has more than one value field ({', '.join(fields + ['raw_data'] * bool(raw))})")
    if raw:
        want = n * _ITEM_SIZE[dt]
        if len(raw) != want:
            raise ModelFormatError(f"{what} holds {len(raw)} bytes of raw data, but dims {dims} of "
                                   f"{_type_name(dt)} need {want} (truncated or corrupt file?)")
        if dt == _T_BOOL and n and max(raw) > 1:
            raise ModelFormatError(f"{what} is BOOL but holds a byte other than 0 or 1")
    elif fields:
        f = fields[0]
        if f != _DATA_FIELD[dt]:
            raise ModelFormatError(f"{what} is {_type_name(dt)} but holds its values in {f}")
        vals = getattr(tp, f)
        if len(vals) != n:
            raise ModelFormatError(f"{what} holds {len(vals)} values, but dims {dims} need {n} (truncated or corrupt file?)")
        if dt in _STORED_RANGE:
            lo, hi = _STORED_RANGE[dt]
            arr = np.asarray(vals, dtype=np.int64 if f == "int32_data" else np.uint64)
            if n and (int(arr.min()) < lo or int(arr.max()) > hi):
                raise ModelFormatError(f"{what} ({_type_name(dt)}) holds a stored value outside [{lo}, {hi}]")
    elif n:
        raise ModelFormatError(f"{what} declares {n} elements but holds no data (truncated or corrupt file?)")
    return n


class _Graph:
    """Symbolic executor of one ONNX graph."""

    def __init__(self, model: Any, input_shape: Sequence[int] | None, output: str | None,
                 approximate_bn: bool, bn_max_denominator: int | None) -> None:
        """``model=None`` gives a blank builder (used by the PyTorch importer): call
        :meth:`set_input`, the ``_op_*`` handlers (through :meth:`call`) and :meth:`finish`."""
        self.model = model
        self.opset = 13
        self.approximate_bn = approximate_bn
        self.bn_max_denominator = bn_max_denominator
        self.layers: list[Layer] = []
        self.widths: list[int] = []
        self.layer_vars: list[list[_Aff]] = []
        self.notes: list[str] = []
        self.max_change = _ZERO
        self.env: dict[str, Any] = {}
        self.inits: dict[str, Any] = {}
        self.producers: dict[str, Any] = {}
        self.types: dict[str, int] = {}
        self.needed_tensors: set[str] = set()
        self.v = 0                      # version of the operator being executed
        self.in_types: list[int | None] = []
        if model is None:
            return
        self.graph = model.graph
        self.opset = self._default_opset(model)
        self._check_structure()
        self.inits = {t.name: t for t in self.graph.initializer}
        for t in self.graph.initializer:
            self.types[t.name] = int(t.data_type)
        self._choose_io(input_shape, output)

    # ---- whole-graph checks ---------------------------------------------------------
    @staticmethod
    def _default_opset(model: Any) -> int:
        import onnx

        versions = [int(imp.version) for imp in model.opset_import if imp.domain in ("", "ai.onnx")]
        if not versions:
            raise ModelFormatError("the model declares no opset for the default ONNX domain "
                                   "(a file truncated after its graph, or IR version < 3)")
        if len(versions) > 1:
            raise ModelFormatError(f"the model declares the default ONNX domain {len(versions)} times {versions}")
        top = min(MAX_OPSET, onnx.defs.onnx_opset_version())
        v = versions[0]
        if not MIN_OPSET <= v <= top:
            raise ModelFormatError(f"opset {v} of the default ONNX domain is not supported: the loader knows the "
                                   f"semantics of opsets {MIN_OPSET} to {top} (convert the model with "
                                   "onnx.version_converter)")
        return v

    def _check_structure(self) -> None:
        """Single assignment, every tensor defined, graph outputs produced, no cycle,
        initializers consistent (the whole graph, not only the part that is executed)."""
        g = self.graph
        self._check_text(g)
        if len(g.sparse_initializer):
            raise ModelFormatError("the model has sparse initializers, which are not supported")
        where: dict[str, str] = {}

        def claim(name: str, what: str) -> None:
            if name in where:
                raise ModelFormatError(f"tensor {name!r} is produced twice ({where[name]} and {what})")
            where[name] = what

        init_names = set()
        for t in g.initializer:
            if not t.name:
                raise ModelFormatError("an initializer has no name")
            claim(t.name, "an initializer")
            init_names.add(t.name)
            _check_tensor_proto(t, f"initializer {t.name!r}")
        seen_inputs: set[str] = set()
        for vi in g.input:
            if not vi.name:
                raise ModelFormatError("a graph input has no name")
            if vi.name in seen_inputs:
                raise ModelFormatError(f"graph input {vi.name!r} is declared twice")
            seen_inputs.add(vi.name)
            if vi.name not in init_names:
                claim(vi.name, "a graph input")
        for node in g.node:
            for o in node.output:
                if o:
                    claim(o, f"node {self._nname(node)!r}")
        for node in g.node:
            for i in node.input:
                if i and i not in where:
                    raise ModelFormatError(f"tensor {i!r} used by node {self._nname(node)!r} is never defined "
                                           "(truncated file?)")
        for o in g.output:
            if o.name not in where:
                raise ModelFormatError(f"graph output {o.name!r} is not produced by any node, initializer or input "
                                       "(truncated file?)")
        # cycles (Kahn's algorithm over the nodes)
        producer = {o: k for k, node in enumerate(g.node) for o in node.output if o}
        deps = [{producer[i] for i in node.input if i in producer} for node in g.node]
        users: dict[int, list[int]] = {}
        for k, ds in enumerate(deps):
            for d in ds:
                users.setdefault(d, []).append(k)
        count = [len(ds) for ds in deps]
        ready = [k for k, c in enumerate(count) if c == 0]
        done = 0
        while ready:
            k = ready.pop()
            done += 1
            for u in users.get(k, ()):
                count[u] -= 1
                if count[u] == 0:
                    ready.append(u)
        if done != len(deps):
            stuck = [self._nname(g.node[k]) for k, c in enumerate(count) if c > 0][:4]
            raise ModelFormatError(f"the graph has a cycle (through nodes {', '.join(repr(s) for s in stuck)})")

    @staticmethod
    def _check_text(g: Any) -> None:
        """Names, operator types and domains must be text (protobuf hands invalid UTF-8 over as bytes)."""
        def text(v: Any, what: str) -> None:
            if not isinstance(v, str):
                raise ModelFormatError(f"{what} is not valid UTF-8 text (corrupt file?)")

        for vi in list(g.input) + list(g.output) + list(g.value_info):
            text(vi.name, "a graph input/output name")
        for t in g.initializer:
            text(t.name, "an initializer name")
        for node in g.node:
            for v, what in ((node.op_type, "an operator type"), (node.domain, "an operator domain"),
                            (node.name, "a node name")):
                text(v, what)
            for name in list(node.input) + list(node.output):
                text(name, f"a tensor name of node {node.name!r}")
            for a in node.attribute:
                text(a.name, f"an attribute name of node {node.name!r}")

    # ---- inputs/outputs -------------------------------------------------------------
    def _choose_io(self, input_shape: Sequence[int] | None, output: str | None) -> None:
        outs = [o.name for o in self.graph.output]
        if output is None:
            if len(outs) != 1:
                raise ModelFormatError(
                    f"the model has {len(outs)} outputs {outs}; choose one with output=" if outs
                    else "the model has no graph outputs (empty or truncated file?)")
            output = outs[0]
        elif output not in outs:
            raise ModelFormatError(f"the model has no output {output!r} (outputs: {outs})")
        self.output_name = output
        out_vi = next(o for o in self.graph.output if o.name == output)
        out_type = out_vi.type.tensor_type.elem_type if out_vi.type.HasField("tensor_type") else 0
        if out_type not in _FLOAT_TYPES:
            raise ModelFormatError(f"output {output!r} is not a float tensor ({_type_name(out_type)})")
        producers = {}
        for node in self.graph.node:
            for o in node.output:
                if o:
                    producers[o] = node
        self.producers = producers
        # nodes the output depends on
        seen_nodes = set()
        needed_tensors: set[str] = set()
        stack = [output]
        while stack:
            name = stack.pop()
            if name in needed_tensors:
                continue
            needed_tensors.add(name)
            node = producers.get(name)
            if node is not None and id(node) not in seen_nodes:
                seen_nodes.add(id(node))
                stack.extend(i for i in node.input if i)
        self.needed_tensors = needed_tensors
        self.needed_nodes = [n for n in self.graph.node if id(n) in seen_nodes]
        graph_inputs = [i for i in self.graph.input if i.name not in self.inits]
        used = [i for i in graph_inputs if i.name in needed_tensors]
        if not used:
            if not graph_inputs:
                raise ModelFormatError("the model has no (non-constant) graph input")
            used = graph_inputs[:1]
        if len(used) > 1:
            raise ModelFormatError(
                f"the output depends on {len(used)} graph inputs {[i.name for i in used]}; exactrelu networks have one input")
        vi = used[0]
        self.input_name = vi.name
        if not vi.type.HasField("tensor_type"):
            raise ModelFormatError(f"input {vi.name!r} is not a tensor")
        tt = vi.type.tensor_type
        if tt.elem_type not in _FLOAT_TYPES:
            raise ModelFormatError(f"input {vi.name!r} is not a float tensor ({_type_name(tt.elem_type)})")
        self.types[vi.name] = int(tt.elem_type)
        declared = list(tt.shape.dim) if tt.HasField("shape") else None
        if input_shape is not None:
            shape = [int(d) for d in input_shape]
            if declared is not None:
                if len(shape) != len(declared):
                    raise ShapeError(f"input_shape {shape} has rank {len(shape)}, but input {vi.name!r} is declared "
                                     f"with rank {len(declared)}")
                for k, d in enumerate(declared):
                    if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != shape[k]:
                        raise ShapeError(f"input_shape {shape} differs from the declared dimension {k} "
                                         f"({d.dim_value}) of input {vi.name!r}; only symbolic dimensions can be set")
        else:
            if declared is None:
                raise ModelFormatError(f"input {vi.name!r} has no shape; pass input_shape=")
            shape = []
            for k, d in enumerate(declared):
                if d.HasField("dim_value") and d.dim_value <= 0:
                    raise ShapeError(f"input {vi.name!r} declares dimension {k} as {d.dim_value}")
                if d.HasField("dim_value"):
                    shape.append(int(d.dim_value))
                elif k == 0:
                    shape.append(1)  # symbolic or unset batch dimension
                else:
                    raise ModelFormatError(
                        f"input {vi.name!r} has a symbolic dimension {k} ({d.dim_param or '?'}); pass input_shape=")
        self.env[vi.name] = self.set_input(shape)

    def set_input(self, shape: Sequence[int]) -> "_Sym":
        """Declare the network input (source 0) with this tensor shape; return its value."""
        shape = [int(d) for d in shape]
        if any(d < 1 for d in shape):
            raise ShapeError(f"input shape {shape} has a non-positive dimension")
        _check_size(shape, "the input")
        self.input_shape = tuple(shape)
        self.n_inputs = int(np.prod(shape)) if shape else 1
        self.widths.append(self.n_inputs)
        vars0 = [_Aff({(0, i): _ONE}, _ZERO) for i in range(self.n_inputs)]
        self.layer_vars.append(vars0)
        return _Sym(_obj_array(vars0, self.input_shape))

    # ---- constants ------------------------------------------------------------------
    def _const_from_numpy(self, arr: np.ndarray, name: str) -> _Const:
        kind = arr.dtype.kind
        if kind == "b":
            return _Const(np.asarray(arr, dtype=np.bool_))
        if kind in "iu":
            if arr.size and kind == "u" and int(arr.max()) > _INT64_MAX:
                raise ModelFormatError(f"tensor {name!r} holds an integer above 2^63 - 1, which is not supported")
            return _Const(np.asarray(arr, dtype=np.int64))
        if kind == "c" or kind in "OSU":
            raise ModelFormatError(f"tensor {name!r} has unsupported type {arr.dtype}")
        try:
            a64 = np.asarray(arr).astype(np.float64)  # exact for float16, bfloat16, float32
        except (TypeError, ValueError) as exc:
            raise ModelFormatError(f"tensor {name!r} has unsupported type {arr.dtype}") from exc
        finite = np.isfinite(a64)
        if not finite.all():
            bad = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ModelFormatError(f"tensor {name!r} contains a non-finite value {float(a64[bad])} at index {list(bad)}")
        flat = [Fraction(x) for x in a64.ravel().tolist()]
        return _Const(_obj_array(flat, a64.shape))

    def _tensor(self, tp: Any, what: str | None = None) -> _Const:
        from onnx import numpy_helper

        _check_tensor_proto(tp, what or f"tensor {tp.name!r}")
        try:
            arr = numpy_helper.to_array(tp)
        except Exception as exc:  # onnx raises many kinds here
            raise ModelFormatError(f"tensor {tp.name!r} cannot be read: {_first_line(exc)}") from None
        return self._const_from_numpy(np.asarray(arr), tp.name or (what or "constant"))

    def get(self, name: str, node: Any) -> Any:
        if name in self.env:
            return self.env[name]
        if name in self.inits:
            v = self._tensor(self.inits[name], f"initializer {name!r}")
            self.env[name] = v
            return v
        raise ModelFormatError(f"tensor {name!r} used by node {self._nname(node)!r} is never defined (truncated file?)")

    @staticmethod
    def _nname(node: Any) -> str:
        return node.name or (node.output[0] if node.output else node.op_type)

    # ---- layers ---------------------------------------------------------------------
    def materialise(self, forms: Sequence[_Aff], activation: Activation, name: str) -> list[_Aff]:
        """Create a layer whose pre-activations are ``forms``; return its output variables."""
        k = len(self.layers) + 1
        width = len(forms)
        _check_size([width], "a layer")
        sources = sorted({key[0] for f in forms for key in f.t})
        if not sources:
            sources = [0]
        mats = {s: [[_ZERO] * self.widths[s] for _ in range(width)] for s in sources}
        for i, f in enumerate(forms):
            for (s, j), v in f.t.items():
                mats[s][i][j] = v
        inputs = tuple((s, tuple(tuple(row) for row in mats[s])) for s in sources)
        self.layers.append(Layer(inputs, tuple(f.c for f in forms), activation, name))
        self.widths.append(width)
        vars_k = [_Aff({(k, i): _ONE}, _ZERO) for i in range(width)]
        self.layer_vars.append(vars_k)
        return vars_k

    def relu(self, forms: Sequence[_Aff], name: str, dedupe: bool = False) -> list[_Aff]:
        """ReLU of each form (one new ReLU layer)."""
        if not dedupe:
            return self.materialise(forms, Activation.RELU, name)
        index: dict = {}
        unique: list[_Aff] = []
        where = []
        for f in forms:
            key = f.key()
            if key not in index:
                index[key] = len(unique)
                unique.append(f)
            where.append(index[key])
        vars_k = self.materialise(unique, Activation.RELU, name)
        return [vars_k[i] for i in where]

    # ---- driver ---------------------------------------------------------------------
    def run(self, name: str) -> Network:
        pending = list(self.needed_nodes)
        while pending:
            progressed = False
            rest = []
            for node in pending:
                if all((not i) or i in self.env or i in self.inits for i in node.input):
                    self._execute(node)
                    progressed = True
                else:
                    rest.append(node)
            if not progressed:  # pragma: no cover - _check_structure refuses cycles and undefined tensors
                node = rest[0]
                missing = [i for i in node.input if i and i not in self.env and i not in self.inits]
                raise ModelFormatError(
                    f"tensor {missing[0]!r} used by node {self._nname(node)!r} is never computed")
            pending = rest
        out = self.get(self.output_name, None) if self.output_name in self.inits else self.env.get(self.output_name)
        if out is None:
            raise ModelFormatError(f"output {self.output_name!r} is never computed")
        if isinstance(out, _Const) and not out.is_float:
            raise ModelFormatError(f"output {self.output_name!r} is an integer tensor")
        out_node = self.producers.get(self.output_name)
        return self.finish(out, out_node.name if out_node is not None else "", name)

    def finish(self, out: Any, out_name: str, name: str) -> Network:
        """Materialise the output value (identity layer unless it is the last ReLU layer)."""
        self.output_shape = tuple(out.shape)
        forms = list(_aff_array(out).ravel())
        if not forms:
            raise ShapeError("the output tensor is empty")
        last = len(self.layers)
        if not (last >= 1 and self.layers[-1].activation is Activation.RELU and len(forms) == self.widths[last]
                and all(f is v for f, v in zip(forms, self.layer_vars[last]))):
            self.materialise(forms, Activation.IDENTITY, out_name)
        try:
            return Network(self.n_inputs, tuple(self.layers), name=name)
        except ModelError as exc:  # pragma: no cover - construction is consistent by design
            raise ModelFormatError(f"internal: inconsistent network: {exc}") from exc

    def _attributes(self, node: Any, nname: str, op: str, schema: Any, modelled: frozenset[str]) -> dict:
        """The node's attributes, checked against the operator's schema and the modelled set."""
        from onnx import AttributeProto, helper

        attrs: dict[str, Any] = {}
        for a in node.attribute:
            if a.name in attrs:
                raise ModelFormatError(f"node {nname!r} ({op}) has the attribute {a.name!r} twice")
            sa = schema.attributes.get(a.name)
            if sa is None:
                raise ModelFormatError(f"node {nname!r} ({op}-{schema.since_version}) has an unknown attribute {a.name!r}")
            if a.ref_attr_name:
                raise UnsupportedOperatorError(op, nname, f"attribute {a.name!r} refers to a function attribute")
            want = int(sa.type.value)
            if int(a.type) != want:
                got = AttributeProto.AttributeType.Name(a.type) if a.type in AttributeProto.AttributeType.values() \
                    else str(a.type)
                raise ModelFormatError(f"node {nname!r} ({op}): attribute {a.name!r} has type {got}, expected "
                                       f"{AttributeProto.AttributeType.Name(want)}")
            if a.name not in modelled:
                raise UnsupportedOperatorError(op, nname, f"attribute {a.name!r} is not modelled")
            if want == AttributeProto.TENSOR:
                value: Any = a.t
            else:
                try:
                    value = helper.get_attribute_value(a)
                except Exception as exc:
                    raise ModelFormatError(f"node {nname!r}: malformed attribute {a.name!r}: {_first_line(exc)}") from None
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise ModelFormatError(f"node {nname!r} ({op}): attribute {a.name!r} is not UTF-8 text") from None
            if want in (AttributeProto.FLOAT, AttributeProto.FLOATS):
                vals = [value] if want == AttributeProto.FLOAT else list(value)
                ok = all(math.isfinite(f) for f in vals) or (
                    op == "Clip" and (a.name, value) in (("min", -math.inf), ("max", math.inf)))
                if not ok:
                    raise ModelFormatError(f"node {nname!r} ({op}): attribute {a.name!r} = {value!r} is not finite")
            attrs[a.name] = value
        for name, sa in schema.attributes.items():
            if sa.required and name not in attrs:
                raise ModelFormatError(f"node {nname!r} ({op}) is missing the required attribute {name!r}")
        return attrs

    def _execute(self, node: Any) -> None:
        import onnx
        from onnx.defs import OpSchema

        nname = self._nname(node)
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedOperatorError(f"{node.domain}.{op}", nname, "operator from a custom domain")
        try:
            schema = onnx.defs.get_schema(op, self.opset, "")
        except onnx.defs.SchemaError:
            raise UnsupportedOperatorError(op, nname, f"not an operator of ONNX opset {self.opset}") from None
        entry = SUPPORTED_OPERATORS.get(op)
        handler = getattr(self, "_op_" + op, None)
        if entry is None or handler is None:
            raise UnsupportedOperatorError(op, nname, "no exact piecewise-linear lowering")
        v = int(schema.since_version)
        if v not in entry[0]:
            raise UnsupportedOperatorError(op, nname, f"{op}-{v} (opset {self.opset}) is not modelled; the loader "
                                           f"models versions {', '.join(map(str, entry[0]))}")
        attrs = self._attributes(node, nname, op, schema, entry[1])
        n_in, n_out = len(node.input), len(node.output)
        if not schema.min_input <= n_in <= schema.max_input:
            raise ModelFormatError(f"node {nname!r} ({op}-{v}) has {n_in} inputs; it takes "
                                   f"{schema.min_input} to {min(schema.max_input, 99)}")
        if not schema.min_output <= n_out <= schema.max_output:
            raise ModelFormatError(f"node {nname!r} ({op}-{v}) has {n_out} outputs; it has "
                                   f"{schema.min_output} to {min(schema.max_output, 99)}")
        formals = list(schema.inputs)
        for k, name in enumerate(node.input):
            formal = formals[min(k, len(formals) - 1)]
            if not name and formal.option != OpSchema.FormalParameterOption.Optional:
                raise ModelFormatError(f"node {nname!r} ({op}) leaves its required input {k} ({formal.name}) empty")
        inputs = [self.get(i, node) if i else None for i in node.input]
        self.v = v
        self.in_types = [self.types.get(i) if i else None for i in node.input]
        outs = self._guarded(handler, node, nname, op, inputs, attrs)
        types = self._output_types(op, attrs, n_out)
        for k, (name, val) in enumerate(zip(node.output, outs)):
            if name and val is not None:
                t = types[k]
                if isinstance(val, _Const) and not val.is_float and t in _INT_RANGES and val.a.size and op != "Cast":
                    lo, hi = _INT_RANGES[t]
                    if int(val.a.min()) < lo or int(val.a.max()) > hi:
                        raise ModelFormatError(f"node {nname!r} ({op}): integer overflow of {_type_name(t)} "
                                               "(wrap-around is not modelled)")
                self.env[name] = val
                if t is not None:
                    self.types[name] = t

    def _output_types(self, op: str, attrs: dict, n: int) -> list[int | None]:
        it = self.in_types
        first = it[0] if it else None
        if op == "Cast":
            return [int(attrs["to"])]
        if op == "CastLike":
            return [it[1]]
        if op in ("Shape", "Size"):
            return [_T_INT64]
        if op == "Constant":
            if "value" in attrs:
                return [int(attrs["value"].data_type)]
            return [_T_FLOAT if "value_float" in attrs or "value_floats" in attrs else _T_INT64]
        if op == "ConstantOfShape":
            return [int(attrs["value"].data_type) if "value" in attrs else _T_FLOAT]
        if op == "Dropout":
            return [first, _T_BOOL if self.v >= 10 else first]
        if op == "MaxPool":
            return [first, _T_INT64]
        return [first] * n

    @staticmethod
    def _guarded(handler: Callable, node: Any, nname: str, op: str, inputs: list, attrs: dict) -> list:
        """Run an operator handler, translating low-level errors into exactrelu errors."""
        try:
            return handler(node, nname, inputs, attrs)
        except ShapeError as exc:
            if f"node {nname!r}" in str(exc):
                raise
            raise ShapeError(f"node {nname!r} ({op}): {_first_line(exc)}") from None
        except UnsupportedOperatorError:
            raise
        except ModelFormatError as exc:
            if f"node {nname!r}" in str(exc) or "tensor " in str(exc):
                raise
            raise ModelFormatError(f"node {nname!r} ({op}): {_first_line(exc)}") from None
        except ExactReluError:
            raise
        except _Nonlinear as exc:
            raise UnsupportedOperatorError(op, nname, str(exc)) from None
        except ZeroDivisionError as exc:
            raise ModelFormatError(f"node {nname!r} ({op}): {exc}") from None
        except (ValueError, IndexError, TypeError) as exc:
            raise ShapeError(f"node {nname!r} ({op}): {_first_line(exc)}") from None

    def call(self, op: str, name: str, inputs: list, attrs: dict | None = None, n_outputs: int = 1) -> list:
        """Apply ONNX operator ``op`` (its version at this builder's opset) to values, for importers
        of other formats (float inputs)."""
        import onnx

        handler = getattr(self, "_op_" + op)
        node = _FakeNode(op, name, n_outputs)
        self.v = int(onnx.defs.get_schema(op, self.opset, "").since_version)
        self.in_types = [_T_FLOAT] * len(inputs)
        return self._guarded(handler, node, name, op, inputs, dict(attrs or {}))

    # ---- helpers for handlers --------------------------------------------------------
    @staticmethod
    def _need(inputs: list, k: int, op: str, nname: str) -> Any:
        if len(inputs) <= k or inputs[k] is None:
            raise ModelFormatError(f"node {nname!r} ({op}) is missing input {k}")
        return inputs[k]

    @staticmethod
    def _const(v: Any, op: str, nname: str, what: str) -> _Const:
        if not isinstance(v, _Const):
            raise UnsupportedOperatorError(op, nname, f"{what} must be a constant, not input-dependent")
        return v

    def _int_list(self, inputs: list, k: int, op: str, nname: str, what: str, required: bool = True) -> list[int] | None:
        """A constant 1-D integer input (axes, pads, shape, ...)."""
        if len(inputs) <= k or inputs[k] is None:
            if required:
                raise ModelFormatError(f"node {nname!r} ({op}) is missing its input {what}")
            return None
        c = self._const(inputs[k], op, nname, what)
        if c.is_float or c.a.dtype == np.bool_:
            raise ModelFormatError(f"node {nname!r} ({op}): {what} must be an integer tensor")
        if len(c.shape) != 1:
            raise ShapeError(f"{what} must be a 1-D tensor, got shape {list(c.shape)}")
        return [int(v) for v in c.a.tolist()]

    @staticmethod
    def _axis(a: int, r: int, what: str, negative: bool = True) -> int:
        """Axis ``a`` of a rank-``r`` tensor, normalised; ``negative=False`` for old versions."""
        a = int(a)
        if a < 0 and not negative:
            raise ShapeError(f"{what} {a} is negative, which this operator version does not allow")
        if not -r <= a < r:
            raise ShapeError(f"{what} {a} is out of range for rank {r}")
        return a + r if a < 0 else a

    def _axes(self, axes: Sequence[int], r: int, what: str, negative: bool = True) -> list[int]:
        out = [self._axis(a, r, what, negative) for a in axes]
        if len(set(out)) != len(out):
            raise ShapeError(f"{what} {list(axes)} repeats an axis")
        return out

    @staticmethod
    def _same_kind(x, arr: np.ndarray):
        return _Sym(arr) if isinstance(x, _Sym) else _Const(arr, x.fexact)

    @staticmethod
    def _scalar_value(c: _Const, what: str) -> Fraction:
        if c.a.size != 1 or len(c.shape) > 1:
            raise ShapeError(f"{what} must be a scalar, got shape {list(c.shape)}")
        return c.frac().ravel()[0]

    # ---- shape-only operators --------------------------------------------------------
    def _op_Identity(self, node, nname, inputs, attrs):
        return [self._need(inputs, 0, "Identity", nname)]

    def _op_Dropout(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Dropout", nname)
        if self.v >= 12 and len(inputs) > 2 and inputs[2] is not None:
            tm = self._const(inputs[2], "Dropout", nname, "training_mode")
            if tm.a.size != 1:
                raise ShapeError(f"training_mode must be a scalar, got shape {list(tm.shape)}")
            if bool(tm.a.ravel()[0]):
                raise UnsupportedOperatorError("Dropout", nname, "training_mode is true (random dropout); only "
                                               "inference is modelled")
        outs: list = [x]
        if len(node.output) > 1 and node.output[1]:
            if node.output[1] in self.needed_tensors:
                if self.v < 12:
                    raise UnsupportedOperatorError("Dropout", nname, f"the mask output of Dropout-{self.v} is used; "
                                                   "its inference value is not defined before Dropout-12")
                _check_size(x.shape, f"node {nname!r} (Dropout) mask")
                outs.append(_Const(np.ones(x.shape, dtype=np.bool_)))
            else:
                outs.append(None)
        return outs

    def _op_Cast(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Cast", nname)
        return [self._cast(x, int(attrs["to"]), self.in_types[0], "Cast", nname)]

    def _op_CastLike(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "CastLike", nname)
        self._need(inputs, 1, "CastLike", nname)
        return [self._cast(x, self.in_types[1], self.in_types[0], "CastLike", nname)]

    def _cast(self, x, to: int | None, frm: int | None, op: str, nname: str):
        if to is None or (to not in _FLOAT_TYPES and to not in _INT_RANGES and to != _T_BOOL):
            raise UnsupportedOperatorError(op, nname, f"cast to {_type_name(to or 0)} is not modelled")
        if isinstance(x, _Sym):
            if to == frm or (frm, to) in _WIDENING:
                return x  # every value is kept
            src = _FLOAT_TYPES.get(frm or 0, _type_name(frm or 0))
            dst = _FLOAT_TYPES.get(to) or _type_name(to)
            raise UnsupportedOperatorError(op, nname, f"cast of an input-dependent {src} tensor to {dst} rounds "
                                           "its values: a step function, not piecewise linear")
        lossless = to == frm or (frm, to) in _WIDENING
        if not x.fexact and not lossless:
            raise UnsupportedOperatorError(op, nname, "cast of a constant computed with float arithmetic: a float "
                                           "runtime rounds it first, so its rounding step may fall elsewhere")
        if to in _FLOAT_TYPES:
            vals = []
            for q in x.frac().ravel().tolist():
                r = round_to_float(q, to)
                if r is None:
                    raise ModelFormatError(f"node {nname!r} ({op}): the constant {format_rational(q)} overflows "
                                           f"{_FLOAT_TYPES[to]} (becomes infinity)")
                vals.append(r)
            return _Const(_obj_array(vals, x.shape), x.fexact)
        if to == _T_BOOL:
            vals = [v != 0 for v in (x.frac() if x.is_float else x.a).ravel().tolist()]
            return _Const(np.asarray(vals, dtype=np.bool_).reshape(x.shape))
        lo, hi = _INT_RANGES[to]
        if x.is_float:
            ints = []
            for q in x.a.ravel().tolist():
                i = int(q)  # truncation toward zero
                if not lo <= i <= hi:
                    raise ModelFormatError(f"node {nname!r} ({op}): casting {format_rational(q)} to "
                                           f"{_type_name(to)} is out of range (undefined in ONNX)")
                ints.append(i)
        else:  # integer to integer: discard the high bits (two's complement), as the spec says
            span = hi - lo + 1
            ints = [(int(v) - lo) % span + lo for v in x.a.ravel().tolist()]
        if ints and max(ints) > _INT64_MAX:
            raise ModelFormatError(f"node {nname!r} ({op}): UINT64 values above 2^63 - 1 are not supported")
        return _Const(np.asarray(ints, dtype=np.int64).reshape(x.shape))

    def _op_Constant(self, node, nname, inputs, attrs):
        if len(attrs) != 1:
            raise ModelFormatError(f"node {nname!r} (Constant) must have exactly one value attribute, has "
                                   f"{sorted(attrs) or 'none'}")
        (key, val), = attrs.items()
        if key == "value":
            return [self._tensor(val, f"the value of node {nname!r} (Constant)")]
        if key == "value_float":
            return [self._const_from_numpy(np.asarray(val, dtype=np.float32), nname)]
        if key == "value_floats":
            return [self._const_from_numpy(np.asarray(list(val), dtype=np.float32).reshape(len(val)), nname)]
        if key == "value_int":
            return [_Const(np.asarray(int(val), dtype=np.int64))]
        return [_Const(np.asarray(list(val), dtype=np.int64).reshape(len(val)))]

    def _op_ConstantOfShape(self, node, nname, inputs, attrs):
        shape = self._int_list(inputs, 0, "ConstantOfShape", nname, "shape")
        if any(d < 0 for d in shape):
            raise ShapeError(f"shape {shape} has a negative entry")
        if "value" in attrs:
            val = self._tensor(attrs["value"], f"the value of node {nname!r} (ConstantOfShape)")
            if val.a.size != 1:
                raise ModelFormatError(f"node {nname!r} (ConstantOfShape): value must hold one element, holds "
                                       f"{val.a.size}")
        else:
            val = _Const(_obj_array([_ZERO], (1,)))
        n = _check_size(shape, f"the output of node {nname!r} (ConstantOfShape)")
        v = val.a.ravel()[0]
        if val.is_float:
            return [_Const(_obj_array([v] * n, tuple(shape)))]
        return [_Const(np.full(tuple(shape), v, dtype=val.a.dtype))]

    def _op_Shape(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Shape", nname)
        shape = list(x.shape)
        start = int(attrs.get("start", 0))
        end = attrs.get("end")
        shape = shape[start:] if end is None else shape[start:int(end)]  # the spec clamps like Python slices
        return [_Const(np.asarray(shape, dtype=np.int64).reshape(len(shape)))]

    def _op_Size(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Size", nname)
        return [_Const(np.asarray(int(np.prod(x.shape, dtype=np.int64)), dtype=np.int64))]

    def _op_Flatten(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Flatten", nname)
        axis = int(attrs.get("axis", 1))
        r = len(x.shape)
        if axis < 0 and self.v < 11:
            raise ShapeError(f"Flatten-{self.v} axis {axis} must not be negative")
        if axis < 0:
            axis += r
        if not 0 <= axis <= r:
            raise ShapeError(f"Flatten axis {attrs.get('axis')} out of range for rank {r}")
        a = int(np.prod(x.shape[:axis], dtype=np.int64))
        b = int(np.prod(x.shape[axis:], dtype=np.int64))
        return [self._same_kind(x, x.a.reshape(a, b))]

    def _op_Reshape(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Reshape", nname)
        shape = self._int_list(inputs, 1, "Reshape", nname, "shape")
        allowzero = int(attrs.get("allowzero", 0))
        if allowzero and 0 in shape and -1 in shape:
            raise ShapeError(f"Reshape shape {shape} has both 0 and -1 with allowzero=1")
        if sum(d == -1 for d in shape) > 1 or any(d < -1 for d in shape):
            raise ShapeError(f"Reshape shape {shape}: at most one -1 and no other negative entry")
        new = []
        for k, d in enumerate(shape):
            if d == 0 and not allowzero:
                if k >= len(x.shape):
                    raise ShapeError(f"Reshape: 0 at position {k} but input has rank {len(x.shape)}")
                new.append(x.shape[k])
            else:
                new.append(d)
        size = int(np.prod(x.shape, dtype=np.int64))
        if -1 in new:
            rest = int(np.prod([d for d in new if d != -1], dtype=np.int64))
            if rest == 0 or size % rest:
                raise ShapeError(f"cannot reshape {list(x.shape)} to {shape}")
            new[new.index(-1)] = size // rest
        if int(np.prod(new, dtype=np.int64)) != size:
            raise ShapeError(f"cannot reshape {list(x.shape)} ({size} elements) to {shape}")
        return [self._same_kind(x, x.a.reshape(new))]

    def _op_Transpose(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Transpose", nname)
        r = len(x.shape)
        perm = list(range(r))[::-1] if "perm" not in attrs else [int(p) for p in attrs["perm"]]
        if sorted(perm) != list(range(r)):
            raise ShapeError(f"Transpose perm {perm} is not a permutation of the {r} axes")
        return [self._same_kind(x, np.transpose(x.a, perm))]

    def _op_Squeeze(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Squeeze", nname)
        r = len(x.shape)
        if self.v < 13:
            axes = [int(a) for a in attrs["axes"]] if "axes" in attrs else None
        else:
            axes = self._int_list(inputs, 1, "Squeeze", nname, "axes", required=False)
        if axes is None:
            return [self._same_kind(x, x.a.reshape([d for d in x.shape if d != 1]))]
        axes = self._axes(axes, r, "Squeeze axis", negative=self.v >= 11)
        for a in axes:
            if x.shape[a] != 1:
                raise ShapeError(f"Squeeze: axis {a} of shape {list(x.shape)} is not of size 1")
        return [self._same_kind(x, x.a.reshape([d for k, d in enumerate(x.shape) if k not in axes]))]

    def _op_Unsqueeze(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Unsqueeze", nname)
        if self.v < 13:
            axes = [int(a) for a in attrs["axes"]]
        else:
            axes = self._int_list(inputs, 1, "Unsqueeze", nname, "axes")
        r = len(x.shape) + len(axes)
        axes = sorted(self._axes(axes, r, "Unsqueeze axis", negative=self.v >= 11))
        a = x.a
        for ax in axes:
            a = np.expand_dims(a, ax)
        return [self._same_kind(x, a)]

    def _op_Concat(self, node, nname, inputs, attrs):
        xs = [v for v in inputs if v is not None]
        r = len(xs[0].shape)
        if r == 0:
            raise ShapeError("Concat of scalars")
        axis = self._axis(attrs["axis"] if "axis" in attrs else 0, r, "Concat axis", negative=self.v >= 11)
        for v in xs[1:]:
            if len(v.shape) != r or any(a != b for k, (a, b) in enumerate(zip(v.shape, xs[0].shape)) if k != axis):
                raise ShapeError(f"Concat inputs {[list(v.shape) for v in xs]} do not fit along axis {axis}")
        if all(isinstance(v, _Const) for v in xs):
            if all(not v.is_float for v in xs):
                return [_Const(np.concatenate([v.a for v in xs], axis=axis))]
            return [_Const(np.concatenate([v.frac() for v in xs], axis=axis), all(v.fexact for v in xs))]
        return [_Sym(np.concatenate([_aff_array(v) for v in xs], axis=axis))]

    def _op_Gather(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Gather", nname)
        idx = self._const(self._need(inputs, 1, "Gather", nname), "Gather", nname, "indices")
        if idx.is_float or idx.a.dtype == np.bool_:
            raise ModelFormatError(f"node {nname!r} (Gather): indices must be integers")
        r = len(x.shape)
        if r == 0:
            raise ShapeError("Gather from a scalar")
        axis = self._axis(attrs.get("axis", 0), r, "Gather axis")
        dim = x.shape[axis]
        ind = np.asarray(idx.a, dtype=np.int64)
        if ind.size:
            lo = -dim if self.v >= 11 else 0
            if int(ind.min()) < lo or int(ind.max()) >= dim:
                raise ShapeError(f"Gather index out of range [{lo}, {dim - 1}]")
        ind = np.where(ind < 0, ind + dim, ind)
        _check_size(x.shape[:axis] + ind.shape + x.shape[axis + 1:], f"the output of node {nname!r} (Gather)")
        return [self._same_kind(x, np.take(x.a, ind, axis=axis))]

    def _op_Slice(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Slice", nname)
        r = len(x.shape)
        if self.v == 1:
            starts = [int(v) for v in attrs["starts"]]
            ends = [int(v) for v in attrs["ends"]]
            axes = [int(v) for v in attrs["axes"]] if "axes" in attrs else None
            steps = None
        else:
            starts = self._int_list(inputs, 1, "Slice", nname, "starts")
            ends = self._int_list(inputs, 2, "Slice", nname, "ends")
            axes = self._int_list(inputs, 3, "Slice", nname, "axes", required=False)
            steps = self._int_list(inputs, 4, "Slice", nname, "steps", required=False)
        n = len(starts)
        if axes is None:
            axes = list(range(n))
        if steps is None:
            steps = [1] * n
        if not len(ends) == len(axes) == len(steps) == n:
            raise ShapeError(f"Slice starts/ends/axes/steps have different lengths ({n}, {len(ends)}, "
                             f"{len(axes)}, {len(steps)})")
        axes = self._axes(axes, r, "Slice axis", negative=self.v >= 11)
        a = x.a
        for s, e, ax, st in zip(starts, ends, axes, steps):
            dim = x.shape[ax]
            if st == 0:
                raise ShapeError("Slice step 0")
            if s < 0:
                s += dim
            if e < 0:
                e += dim
            if st > 0:
                s, e = min(max(s, 0), dim), min(max(e, 0), dim)
            else:
                s, e = min(max(s, 0), dim - 1), min(max(e, -1), dim - 1)
            idx = list(range(s, e, st)) if dim else []
            a = np.take(a, np.asarray(idx, dtype=np.int64), axis=ax)
        return [self._same_kind(x, a)]

    def _op_Split(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Split", nname)
        r = len(x.shape)
        if r == 0:
            raise ShapeError("Split of a scalar")
        axis = self._axis(attrs.get("axis", 0), r, "Split axis", negative=self.v >= 11)
        dim = x.shape[axis]
        n_out = len(node.output)
        if self.v < 13:
            sizes = [int(v) for v in attrs["split"]] if "split" in attrs else None
        else:
            sizes = self._int_list(inputs, 1, "Split", nname, "split", required=False)
        if self.v >= 18 and (sizes is None) == ("num_outputs" not in attrs):
            raise ModelFormatError(f"node {nname!r} (Split-18): give either the split input or num_outputs, "
                                   "exactly one of them")
        if sizes is not None:
            if len(sizes) != n_out or any(s < 0 for s in sizes) or sum(sizes) != dim:
                raise ShapeError(f"Split sizes {sizes} do not give {n_out} parts of axis {axis} (size {dim})")
        elif "num_outputs" in attrs:
            k = int(attrs["num_outputs"])
            if k != n_out or k < 1:
                raise ShapeError(f"Split num_outputs {k} differs from its {n_out} outputs")
            chunk = -(-dim // k)
            sizes = [chunk] * (k - 1) + [dim - chunk * (k - 1)]
            if sizes[-1] <= 0:
                raise ShapeError(f"Split: axis of size {dim} cannot be cut into {k} chunks of {chunk} with a "
                                 "smaller non-empty last chunk")
        else:
            if dim % n_out:
                raise ShapeError(f"Split: axis of size {dim} is not divisible into {n_out} equal parts")
            sizes = [dim // n_out] * n_out
        bounds = np.cumsum([0] + sizes)
        outs = []
        for i in range(len(sizes)):
            idx = [slice(None)] * r
            idx[axis] = slice(int(bounds[i]), int(bounds[i + 1]))
            outs.append(self._same_kind(x, x.a[tuple(idx)]))
        return outs

    def _op_Pad(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Pad", nname)
        mode = attrs.get("mode", "constant")
        modes = ("constant", "reflect", "edge") + (("wrap",) if self.v >= 19 else ())
        if mode not in modes:
            raise ModelFormatError(f"node {nname!r} (Pad-{self.v}): unknown mode {mode!r} (expected {', '.join(modes)})")
        r = len(x.shape)
        value_exact = True
        if self.v == 2:
            pads = [int(v) for v in attrs["pads"]]
            value = Fraction(float(attrs.get("value", 0.0)))
            axes = list(range(r))
        else:
            pads = self._int_list(inputs, 1, "Pad", nname, "pads")
            value = _ZERO
            if len(inputs) > 2 and inputs[2] is not None:
                cv = self._const(inputs[2], "Pad", nname, "constant_value")
                value, value_exact = self._scalar_value(cv, "constant_value"), cv.fexact
            axes_in = self._int_list(inputs, 3, "Pad", nname, "axes", required=False) if self.v >= 18 else None
            axes = list(range(r)) if axes_in is None else self._axes(axes_in, r, "Pad axis")
        na = len(axes)
        if len(pads) != 2 * na:
            raise ShapeError(f"Pad: pads has {len(pads)} entries, expected {2 * na}")
        width = [(0, 0)] * r
        for i, ax in enumerate(axes):
            width[ax] = (pads[i], pads[i + na])
        if mode != "constant":
            if any(p < 0 for w in width for p in w):
                raise UnsupportedOperatorError("Pad", nname, f"negative pads in mode {mode!r} are not modelled")
            for k, (b, e) in enumerate(width):
                dim = x.shape[k]
                if (b or e) and (dim == 0 or mode == "reflect" and max(b, e) > dim - 1 or
                                 mode == "wrap" and max(b, e) > dim):
                    raise UnsupportedOperatorError("Pad", nname, f"mode {mode!r} with pads {b}, {e} on an axis of "
                                                   f"size {dim} is not modelled")
            out_shape = [d + b + e for d, (b, e) in zip(x.shape, width)]
            _check_size(out_shape, f"the output of node {nname!r} (Pad)")
            return [self._same_kind(x, np.pad(x.a, width, mode=mode))]
        crop = [(max(-b, 0), max(-e, 0)) for b, e in width]
        if any(cb + ce > d for (cb, ce), d in zip(crop, x.shape)):
            raise ShapeError(f"Pad: negative pads {pads} remove more than the shape {list(x.shape)}")
        arr = x.a[tuple(slice(cb, d - ce) for (cb, ce), d in zip(crop, x.shape))]
        width = [(max(b, 0), max(e, 0)) for b, e in width]
        out_shape = tuple(arr.shape[k] + b + e for k, (b, e) in enumerate(width))
        n = _check_size(out_shape, f"the output of node {nname!r} (Pad)")
        if isinstance(x, _Sym):
            fill: Any = _Aff({}, value)
        elif x.is_float:
            fill = value
            value_exact = value_exact and x.fexact
        else:
            if value.denominator != 1:
                raise ModelFormatError(f"node {nname!r} (Pad): constant_value of an integer tensor must be an integer")
            return [_Const(np.pad(arr, width, mode="constant", constant_values=int(value)))]
        out = _obj_array([fill] * n, out_shape)
        inner = tuple(slice(b, b + arr.shape[k]) for k, (b, e) in enumerate(width))
        out[inner] = arr
        if isinstance(x, _Sym):
            return [_Sym(out)]
        return [_Const(out, value_exact)]

    # ---- affine operators ------------------------------------------------------------
    @staticmethod
    def _int_binary(a: np.ndarray, b: np.ndarray, fn: Callable) -> np.ndarray:
        """Exact integer arithmetic (Python ints), refused when the result leaves int64."""
        res = np.asarray(fn(a.astype(object), b.astype(object)), dtype=object)
        vals = res.ravel().tolist()
        if any(not _INT64_MIN <= int(v) <= _INT64_MAX for v in vals):
            raise ModelFormatError("integer overflow of int64 (wrap-around is not modelled)")
        return np.asarray([int(v) for v in vals], dtype=np.int64).reshape(res.shape)

    def _binary(self, a, b, fn: Callable, int_fn: Callable | None = None):
        if isinstance(a, _Const) and isinstance(b, _Const):
            if not a.is_float and not b.is_float:
                if int_fn is None:
                    raise ModelFormatError("this operator is not defined on integer tensors")
                return _Const(self._int_binary(a.a, b.a, int_fn))
            res = np.asarray(fn(a.frac(), b.frac()), dtype=object)
            res = res.reshape(np.shape(res))
            # one correctly rounded operation per element: exact in float iff the result is representable
            exact = a.fexact and b.fexact and _representable(res.ravel().tolist(), self.in_types[0] if self.in_types else None)
            return _Const(res, exact)
        A = a.a if isinstance(a, _Sym) else a.frac()
        B = b.a if isinstance(b, _Sym) else b.frac()
        _check_size(np.broadcast_shapes(A.shape, B.shape), "the result of a broadcast")
        res = fn(A, B)
        return _wrap_result(np.asarray(res, dtype=object).reshape(np.shape(res)))

    def _op_Add(self, node, nname, inputs, attrs):
        return [self._binary(self._need(inputs, 0, "Add", nname), self._need(inputs, 1, "Add", nname), np.add, np.add)]

    def _op_Sub(self, node, nname, inputs, attrs):
        return [self._binary(self._need(inputs, 0, "Sub", nname), self._need(inputs, 1, "Sub", nname),
                             np.subtract, np.subtract)]

    def _op_Mul(self, node, nname, inputs, attrs):
        return [self._binary(self._need(inputs, 0, "Mul", nname), self._need(inputs, 1, "Mul", nname),
                             np.multiply, np.multiply)]

    def _op_Div(self, node, nname, inputs, attrs):
        def idiv(x, y):  # integer division truncates toward zero (ONNX; the reference does the same)
            def one(p, q):
                if q == 0:
                    raise ZeroDivisionError("integer division by zero")
                quo = abs(p) // abs(q)
                return quo if (p >= 0) == (q >= 0) else -quo
            return np.frompyfunc(one, 2, 1)(x, y)
        b = self._need(inputs, 1, "Div", nname)
        if isinstance(b, _Const) and b.is_float and any(v == 0 for v in b.a.ravel().tolist()):
            raise ModelFormatError(f"node {nname!r} (Div): division by zero")
        return [self._binary(self._need(inputs, 0, "Div", nname), b, np.true_divide, idiv)]

    def _op_Neg(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Neg", nname)
        if isinstance(x, _Const) and not x.is_float:
            return [_Const(self._int_binary(np.zeros((), dtype=np.int64), x.a, np.subtract))]
        return [self._same_kind(x, np.negative(x.a))]

    def _variadic(self, op: str, inputs: list) -> list:
        xs = [v for v in inputs if v is not None]
        if self.v == 6 and any(v.shape != xs[0].shape for v in xs):
            raise ShapeError(f"{op}-6 needs inputs of one shape (no broadcasting), got {[list(v.shape) for v in xs]}")
        return xs

    def _op_Sum(self, node, nname, inputs, attrs):
        xs = self._variadic("Sum", inputs)
        acc = xs[0]
        for v in xs[1:]:
            acc = self._binary(acc, v, np.add, np.add)
        if isinstance(acc, _Const) and acc.is_float and len(xs) > 2:
            acc = _Const(acc.a, False)  # the runtime's summation order is unknown
        return [acc]

    def _op_Mean(self, node, nname, inputs, attrs):
        xs = self._variadic("Mean", inputs)
        acc = self._op_Sum(node, nname, xs, attrs)[0]
        out = self._binary(acc, _Const(_obj_array([Fraction(len(xs))], ())), np.true_divide)
        if isinstance(out, _Const) and len(xs) > 1:
            out = _Const(out.a, False)  # a sum, then a division: two roundings
        return [out]

    def _matmul(self, a, b):
        if isinstance(a, _Sym) and isinstance(b, _Sym):
            raise _Nonlinear("product of two input-dependent tensors is not piecewise linear")
        if len(a.shape) == 0 or len(b.shape) == 0:
            raise ShapeError("MatMul of a scalar")
        if isinstance(a, _Const) and isinstance(b, _Const):
            if not a.is_float and not b.is_float:
                return _Const(self._int_binary(a.a, b.a, np.matmul))
            res = np.matmul(a.frac(), b.frac())
            return _Const(np.asarray(res, dtype=object).reshape(np.shape(res)), False)  # sums of products
        a_sym = isinstance(a, _Sym)
        A = a.a if a_sym else a.frac()
        B = b.a if not a_sym else b.frac()
        a1, b1 = A.ndim == 1, B.ndim == 1
        if a1:
            A = A[None, :]
        if b1:
            B = B[:, None]
        if A.shape[-1] != B.shape[-2]:
            raise ShapeError(f"MatMul shapes {list(a.shape)} and {list(b.shape)} do not fit")
        batch = tuple(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]))
        A = np.broadcast_to(A, batch + A.shape[-2:])
        B = np.broadcast_to(B, batch + B.shape[-2:])
        m, n, p = A.shape[-2], A.shape[-1], B.shape[-1]
        _check_size(batch + (m, p), "the result of a MatMul")
        out = np.empty(batch + (m, p), dtype=object)
        for idx in np.ndindex(*batch) if batch else [()]:
            A2, B2 = A[idx], B[idx]
            for i in range(m):
                for k in range(p):
                    if a_sym:
                        out[idx + (i, k)] = _lincomb((B2[j, k], A2[i, j]) for j in range(n))
                    else:
                        out[idx + (i, k)] = _lincomb((A2[i, j], B2[j, k]) for j in range(n))
        if a1:
            out = out[..., 0, :]
        if b1:
            out = out[..., 0]
        return _wrap_result(out)

    def _op_MatMul(self, node, nname, inputs, attrs):
        return [self._matmul(self._need(inputs, 0, "MatMul", nname), self._need(inputs, 1, "MatMul", nname))]

    def _op_Gemm(self, node, nname, inputs, attrs):
        a = self._need(inputs, 0, "Gemm", nname)
        b = self._need(inputs, 1, "Gemm", nname)
        c = inputs[2] if len(inputs) > 2 else None
        for v in (a, b, c):
            if isinstance(v, _Const) and not v.is_float:
                raise UnsupportedOperatorError("Gemm", nname, "Gemm of integer tensors is not modelled")
        if len(a.shape) != 2 or len(b.shape) != 2:
            raise ShapeError(f"Gemm needs 2-D A and B, got {list(a.shape)} and {list(b.shape)}")
        if int(attrs.get("transA", 0)):
            a = self._same_kind(a, a.a.T)
        if int(attrs.get("transB", 0)):
            b = self._same_kind(b, b.a.T)
        if a.shape[1] != b.shape[0]:
            raise ShapeError(f"Gemm: A' {list(a.shape)} and B' {list(b.shape)} do not fit")
        M, N = a.shape[0], b.shape[1]
        alpha = Fraction(float(attrs.get("alpha", 1.0)))
        beta = Fraction(float(attrs.get("beta", 1.0)))
        y = self._matmul(a, b)
        if alpha != 1:
            y = self._binary(y, _Const(_obj_array([alpha], ())), np.multiply)
        if c is not None:
            if len(c.shape) > 2 or tuple(np.broadcast_shapes(c.shape, (M, N))) != (M, N):
                raise ShapeError(f"Gemm: C of shape {list(c.shape)} does not broadcast to ({M}, {N})")
            if beta != 1:
                c = self._binary(c, _Const(_obj_array([beta], ())), np.multiply)
            y = self._binary(y, c, np.add)
        return [y]

    def _conv_like(self, op, nname, x, attrs, kernel, pool: bool):
        nd = len(x.shape) - 2
        if nd < 1:
            raise ShapeError(f"{op} needs an input of rank >= 3, got shape {list(x.shape)}")
        if len(kernel) != nd:
            raise ShapeError(f"{op}: kernel has {len(kernel)} dimensions, input has {nd} spatial dimensions")
        if min(kernel) < 1:
            raise ShapeError(f"{op}: kernel_shape {list(kernel)} has an entry below 1")
        strides = [int(v) for v in attrs.get("strides", [1] * nd)]
        dil = [int(v) for v in attrs.get("dilations", [1] * nd)]
        if len(strides) != nd or min(strides) < 1:
            raise ShapeError(f"{op}: strides {strides} must be {nd} values >= 1")
        if len(dil) != nd or min(dil) < 1:
            raise ShapeError(f"{op}: dilations {dil} must be {nd} values >= 1")
        auto_pad = attrs.get("auto_pad", "NOTSET")
        pads = [int(v) for v in attrs["pads"]] if "pads" in attrs else None
        if auto_pad != "NOTSET" and pads is not None and any(pads):
            raise ModelFormatError(f"node {nname!r} ({op}): pads {pads} cannot be used together with auto_pad "
                                   f"{auto_pad!r}")
        ceil_mode = bool(int(attrs.get("ceil_mode", 0))) if pool else False
        in_sp = list(x.shape[2:])
        out_sp, pb, pe = _geometry(in_sp, kernel, strides, pads, dil, auto_pad, ceil_mode)
        wins = _windows(in_sp, kernel, strides, pb, pe, dil, out_sp)
        return out_sp, wins

    def _op_Conv(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Conv", nname)
        w = self._const(self._need(inputs, 1, "Conv", nname), "Conv", nname, "the weight").frac()
        b = inputs[2] if len(inputs) > 2 else None
        bias = None
        if b is not None:
            bc = self._const(b, "Conv", nname, "the bias")
            if len(bc.shape) != 1:
                raise ShapeError(f"Conv bias must be 1-D, got shape {list(bc.shape)}")
            bias = bc.frac().ravel().tolist()
        group = int(attrs.get("group", 1))
        if len(x.shape) < 3 or w.ndim != len(x.shape):
            raise ShapeError(f"Conv input {list(x.shape)} and weight {list(w.shape)} must have the same rank >= 3")
        N, C = x.shape[0], x.shape[1]
        M, Cg = w.shape[0], w.shape[1]
        kernel = [int(v) for v in attrs.get("kernel_shape", w.shape[2:])]
        if list(kernel) != list(w.shape[2:]):
            raise ShapeError(f"Conv kernel_shape {kernel} differs from weight shape {list(w.shape)}")
        if group < 1 or C != Cg * group or M % group:
            raise ShapeError(f"Conv: {C} input channels, weight {list(w.shape)}, group {group} do not fit")
        if bias is not None and len(bias) != M:
            raise ShapeError(f"Conv bias has {len(bias)} entries, expected {M}")
        out_sp, wins = self._conv_like("Conv", nname, x, attrs, kernel, pool=False)
        _check_size((N, M) + tuple(out_sp), f"the output of node {nname!r} (Conv)")
        X = _aff_array(x)
        Mg = M // group
        out = np.empty((N, M) + tuple(out_sp), dtype=object)
        for n in range(N):
            for m in range(M):
                g = m // Mg
                wm = w[m]
                const = bias[m] if bias is not None else _ZERO
                for opos, valid, _ in wins:
                    pairs = [(wm[(ci,) + ko], X[(n, g * Cg + ci) + ipos]) for ci in range(Cg) for ko, ipos in valid]
                    out[(n, m) + opos] = _lincomb(pairs, const)
        return [_wrap_result(out)]

    def _op_AveragePool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "AveragePool", nname)
        kernel = [int(v) for v in attrs["kernel_shape"]]
        include_pad = bool(int(attrs.get("count_include_pad", 0)))
        out_sp, wins = self._conv_like("AveragePool", nname, x, attrs, kernel, pool=True)
        full = int(np.prod(kernel))
        if include_pad and any(cnt != full for _, _, cnt in wins):
            raise UnsupportedOperatorError("AveragePool", nname,
                                           "count_include_pad=1 with windows beyond the padding (ceil_mode)")
        return [self._pool_avg(x, out_sp, wins, include_pad, full)]

    def _pool_avg(self, x, out_sp, wins, include_pad: bool, full: int):
        X = _aff_array(x)
        N, C = x.shape[:2]
        _check_size((N, C) + tuple(out_sp), "the output of a pool")
        out = np.empty((N, C) + tuple(out_sp), dtype=object)
        for n in range(N):
            for c in range(C):
                for opos, valid, _ in wins:
                    if not valid:
                        raise ShapeError("an AveragePool window lies entirely in the padding")
                    q = Fraction(1, full if include_pad else len(valid))
                    out[(n, c) + opos] = _lincomb((q, X[(n, c) + ipos]) for _, ipos in valid)
        return _wrap_result(out)

    def _global_windows(self, x, op):
        if len(x.shape) < 3:
            raise ShapeError(f"{op} needs an input of rank >= 3, got shape {list(x.shape)}")
        sp = list(x.shape[2:])
        nd = len(sp)
        return sp, _windows(sp, sp, [1] * nd, [0] * nd, [0] * nd, [1] * nd, [1] * nd)

    def _op_GlobalAveragePool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "GlobalAveragePool", nname)
        sp, wins = self._global_windows(x, "GlobalAveragePool")
        return [self._pool_avg(x, [1] * len(sp), wins, False, int(np.prod(sp)))]

    def _op_BatchNormalization(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "BatchNormalization", nname)
        if int(attrs.get("training_mode", 0)):
            raise UnsupportedOperatorError("BatchNormalization", nname, "training_mode=1 (batch statistics); only "
                                           "inference is modelled")
        if len([o for o in node.output if o]) > 1:
            if self.v >= 14:
                raise ModelFormatError(f"node {nname!r} (BatchNormalization-{self.v}): extra outputs are invalid "
                                       "when training_mode=0")
            raise UnsupportedOperatorError("BatchNormalization", nname,
                                           "training outputs (mean, var, saved statistics) requested: training mode")
        spatial = int(attrs.get("spatial", 1)) if self.v == 7 else 1
        params = [self._const(self._need(inputs, k, "BatchNormalization", nname), "BatchNormalization", nname, what)
                  for k, what in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var"))]
        eps = Fraction(float(attrs.get("epsilon", _F32_1E_5)))
        r = len(x.shape)
        if r == 1 and self.v >= 9:
            C, pshape, bshape = 1, (1,), (1,)  # "single dimension input of size N: C is assumed to be 1"
        elif r < 2:
            raise ShapeError(f"BatchNormalization input must have rank >= 2, got {list(x.shape)}")
        elif spatial:
            C = x.shape[1]
            pshape, bshape = (C,), (1, C) + (1,) * (r - 2)
        else:  # BatchNormalization-7 spatial=0: one set of statistics per activation
            C = x.shape[1]
            pshape, bshape = tuple(x.shape[1:]), (1,) + tuple(x.shape[1:])
        for p, what in zip(params, ("scale", "B", "mean", "var")):
            if p.shape != pshape:
                raise ShapeError(f"BatchNormalization {what} has shape {list(p.shape)}, expected {list(pshape)}"
                                 + ("" if spatial else " (spatial=0)"))
        scale, bias, mean, var = (p.frac().ravel().tolist() for p in params)
        mult, shift, worst = self._bn_fold(scale, bias, mean, var, eps, "BatchNormalization", nname)
        if worst:
            self._note_change(worst, f"BatchNormalization {nname!r}: 1/sqrt(var+eps) approximated")
        m = _Const(_obj_array(mult, bshape))
        s = _Const(_obj_array(shift, bshape))
        y = self._binary(self._binary(x, m, np.multiply), s, np.add)
        return [_Const(y.a, False) if isinstance(y, _Const) else y]  # the runtime rounds several times

    def _bn_fold(self, scale, bias, mean, var, eps, op, nname):
        """Exact (or approximated, if allowed) per-channel multiplier and shift."""
        mult, shift = [], []
        worst = _ZERO
        for c in range(len(scale)):
            v = var[c] + eps
            try:
                inv, err = _inv_sqrt(v, self.approximate_bn, self.bn_max_denominator)
            except ValueError:
                raise UnsupportedOperatorError(
                    op, nname,
                    f"channel {c}: sqrt(var + epsilon) = sqrt({format_rational(v)}) is irrational, so the exact "
                    "network has irrational weights; fold the normalisation into the weights yourself or pass "
                    "approximate_bn=True to round it (the largest change is reported)") from None
            mult.append(scale[c] * inv)
            shift.append(bias[c] - mean[c] * scale[c] * inv)
            worst = max(worst, abs(scale[c]) * err, abs(mean[c] * scale[c]) * err)
        return mult, shift, worst

    def _note_change(self, bound: Fraction, what: str) -> None:
        self.max_change = max(self.max_change, bound)
        self.notes.append(f"{what}; largest coefficient change <= {float(bound):.3g}")

    # ---- piecewise-linear operators --------------------------------------------------
    def _op_Relu(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Relu", nname)
        if isinstance(x, _Const):
            if not x.is_float:
                return [_Const(np.maximum(x.a, 0))]
            return [_Const(_obj_array([max(v, _ZERO) for v in x.a.ravel().tolist()], x.shape), x.fexact)]
        r = self.relu(list(x.a.ravel()), node.name)
        return [_Sym(_obj_array(r, x.shape))]

    def _leaky(self, x, slopes: np.ndarray, nname: str):
        """``a x + (1 - a) relu(x)`` elementwise (exact ONNX LeakyRelu/PRelu for any slope a)."""
        if isinstance(x, _Const):
            vals = [v if v >= 0 else a * v for v, a in zip(x.frac().ravel().tolist(), slopes.ravel().tolist())]
            exact = x.fexact and _representable(vals, self.in_types[0] if self.in_types else None)
            return _Const(_obj_array(vals, x.shape), exact)
        forms = list(x.a.ravel())
        aa = slopes.ravel().tolist()
        if all(a == 1 for a in aa):
            return x
        r = self.relu(forms, nname)
        out = [f.scale(a) + rv.scale(1 - a) if a != 0 else rv for f, rv, a in zip(forms, r, aa)]
        return _Sym(_obj_array(out, x.shape))

    def _op_LeakyRelu(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "LeakyRelu", nname)
        alpha = Fraction(float(attrs.get("alpha", _F32_0_01)))
        slopes = _obj_array([alpha] * int(np.prod(x.shape, dtype=np.int64)), x.shape)
        return [self._leaky(x, slopes, node.name)]

    def _op_PRelu(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "PRelu", nname)
        slope = self._const(self._need(inputs, 1, "PRelu", nname), "PRelu", nname, "slope").frac()
        try:
            slopes = np.broadcast_to(slope, x.shape)  # unidirectional: slope to X
        except ValueError:
            raise ShapeError(f"PRelu slope of shape {list(slope.shape)} does not broadcast to {list(x.shape)}") from None
        return [self._leaky(x, slopes, node.name)]

    def _op_Clip(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Clip", nname)
        lo = hi = None
        if self.v == 6:
            # Clip-6's missing bounds are float32's lowest/max: they clip finite values only of float64 tensors
            default = _F32_MAX if self.in_types and self.in_types[0] == _T_DOUBLE else None
            fmin, fmax = attrs.get("min"), attrs.get("max")
            lo = -default if fmin is None and default is not None else (
                Fraction(fmin) if fmin is not None and math.isfinite(fmin) else None)
            hi = default if fmax is None else (Fraction(fmax) if math.isfinite(fmax) else None)
        else:
            for k in (1, 2):
                if len(inputs) > k and inputs[k] is not None:
                    v = self._scalar_value(self._const(inputs[k], "Clip", nname, "min/max"), "Clip min/max")
                    if k == 1:
                        lo = v
                    else:
                        hi = v
        if isinstance(x, _Const):
            vals = x.frac().ravel().tolist()
            if lo is not None:
                vals = [max(v, lo) for v in vals]
            if hi is not None:
                vals = [min(v, hi) for v in vals]
            if not x.is_float:
                return [_Const(np.asarray([int(v) for v in vals], dtype=np.int64).reshape(x.shape))]
            bounds_exact = all(isinstance(v, _Const) and v.fexact for v in inputs[1:3] if v is not None)
            return [_Const(_obj_array(vals, x.shape), x.fexact and bounds_exact)]
        forms = list(x.a.ravel())
        if lo is None and hi is None:
            return [x]
        if lo is not None and hi is not None and lo > hi:
            return [_Sym(_obj_array([_Aff({}, hi)] * len(forms), x.shape))]
        if hi is None:
            r = self.relu([f - lo for f in forms], node.name)
            out = [rv + lo for rv in r]
        elif lo is None:
            r = self.relu([(-f) + hi for f in forms], node.name)
            out = [(-rv) + hi for rv in r]
        else:
            n = len(forms)
            r = self.relu([f - lo for f in forms] + [f - hi for f in forms], node.name)
            out = [(r[i] - r[n + i]) + lo for i in range(n)]
        return [_Sym(_obj_array(out, x.shape))]

    def _op_Abs(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Abs", nname)
        if isinstance(x, _Const):
            return [_Const(np.abs(x.a)) if not x.is_float else
                    _Const(_obj_array([abs(v) for v in x.a.ravel().tolist()], x.shape), x.fexact)]
        forms = list(x.a.ravel())
        n = len(forms)
        r = self.relu(forms + [-f for f in forms], node.name)
        return [_Sym(_obj_array([r[i] + r[n + i] for i in range(n)], x.shape))]

    def _max_min(self, node, nname, inputs, is_max: bool):
        xs = self._variadic("Max" if is_max else "Min", inputs)
        acc = xs[0]
        for v in xs[1:]:
            if isinstance(acc, _Const) and isinstance(v, _Const):
                A, B = np.broadcast_arrays(acc.a, v.a) if not acc.is_float and not v.is_float else \
                    np.broadcast_arrays(acc.frac(), v.frac())
                vals = [max(p, q) if is_max else min(p, q) for p, q in zip(A.ravel().tolist(), B.ravel().tolist())]
                if not acc.is_float and not v.is_float:
                    acc = _Const(np.asarray(vals, dtype=np.int64).reshape(A.shape))
                else:
                    acc = _Const(_obj_array(vals, A.shape), acc.fexact and v.fexact)
                continue
            A, B = np.broadcast_arrays(_aff_array(acc), _aff_array(v))
            _check_size(A.shape, "the result of a broadcast")
            fa, fb = list(A.ravel()), list(B.ravel())
            diffs = [b - a for a, b in zip(fa, fb)] if is_max else [a - b for a, b in zip(fa, fb)]
            r = self.relu(diffs, node.name)
            out = [a + rv if is_max else a - rv for a, rv in zip(fa, r)]
            acc = _Sym(_obj_array(out, A.shape))
        return [acc]

    def _op_Max(self, node, nname, inputs, attrs):
        return self._max_min(node, nname, inputs, True)

    def _op_Min(self, node, nname, inputs, attrs):
        return self._max_min(node, nname, inputs, False)

    def _max_tree(self, groups: list[list[_Aff]], name: str) -> list[_Aff]:
        """Max of each group with ``max(a, b) = a + relu(b - a)``, one layer per tree level."""
        groups = [list(g) for g in groups]
        while any(len(g) > 1 for g in groups):
            diffs: list[_Aff] = []
            plans = []
            for g in groups:
                plan = []
                for i in range(0, len(g) - 1, 2):
                    plan.append((g[i], len(diffs)))
                    diffs.append(g[i + 1] - g[i])
                if len(g) % 2:
                    plan.append((g[-1], None))
                plans.append(plan)
            r = self.relu(diffs, name, dedupe=True)
            groups = [[a if j is None else a + r[j] for a, j in plan] for plan in plans]
        return [g[0] for g in groups]

    def _op_MaxPool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "MaxPool", nname)
        if len(node.output) > 1 and node.output[1]:
            raise UnsupportedOperatorError("MaxPool", nname, "the Indices output is not piecewise linear")
        kernel = [int(v) for v in attrs["kernel_shape"]]
        out_sp, wins = self._conv_like("MaxPool", nname, x, attrs, kernel, pool=True)
        return [self._pool_max(x, out_sp, wins, node.name)]

    def _pool_max(self, x, out_sp, wins, name):
        X = _aff_array(x)
        N, C = x.shape[:2]
        _check_size((N, C) + tuple(out_sp), "the output of a pool")
        groups, where = [], []
        for n in range(N):
            for c in range(C):
                for opos, valid, _ in wins:
                    if not valid:
                        raise ShapeError("a MaxPool window lies entirely in the padding")
                    groups.append([X[(n, c) + ipos] for _, ipos in valid])
                    where.append((n, c) + opos)
        if isinstance(x, _Const):
            out = np.empty((N, C) + tuple(out_sp), dtype=object)
            for g, w in zip(groups, where):
                out[w] = max(f.c for f in g)
            return _Const(out, x.fexact)
        res = self._max_tree(groups, name)
        out = np.empty((N, C) + tuple(out_sp), dtype=object)
        for f, w in zip(res, where):
            out[w] = f
        return _wrap_result(out)

    def _op_GlobalMaxPool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "GlobalMaxPool", nname)
        sp, wins = self._global_windows(x, "GlobalMaxPool")
        return [self._pool_max(x, [1] * len(sp), wins, node.name)]


# --------------------------------------------------------------------------------------
# public import API
# --------------------------------------------------------------------------------------
def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _gunzip_bounded(data: bytes, limit: int, where: str) -> bytes:
    """Decompress gzip data (several members allowed) of at most ``limit`` bytes.

    A first pass only counts (so a gzip bomb costs time, not memory); the second keeps
    the bytes.
    """
    chunk = 1 << 20

    def stream():
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            while True:
                block = f.read(chunk)
                if not block:
                    return
                yield block

    try:
        total = 0
        for block in stream():
            total += len(block)
            if total > limit:
                break
        else:
            return b"".join(stream())
    except (OSError, EOFError, gzip.BadGzipFile, ValueError) as exc:
        raise ModelFormatError(f"{where}: corrupt or truncated gzip data ({_first_line(exc)})") from None
    raise ModelFormatError(f"{where}: decompresses to more than {limit:,} bytes, the limit "
                           "(gzip bomb or too large a model)")


def read_onnx_model(source: "str | Path | bytes | Any", max_bytes: int = MAX_MODEL_BYTES) -> Any:
    """Parse an ONNX model from a path (``.onnx`` or gzip-compressed), raw bytes or a ModelProto.

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto
    max_bytes : int
        Largest file, or decompressed gzip content, that is read (default
        :data:`MAX_MODEL_BYTES`, 2 GiB).

    Raises
    ------
    ModelFormatError
        Missing, truncated, corrupt or too large files (one line).

    Examples
    --------
    >>> import gzip
    >>> read_onnx_model(gzip.compress(bytes(5000)), max_bytes=4096)
    Traceback (most recent call last):
    ...
    exactrelu.errors.ModelFormatError: ONNX data: decompresses to more than 4,096 bytes, the limit (gzip bomb or too large a model)
    """
    import onnx

    if isinstance(source, onnx.ModelProto):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        where = "ONNX data"
        if len(data) > max_bytes:
            raise ModelFormatError(f"{where}: {len(data):,} bytes, more than the limit {max_bytes:,}")
    else:
        p = Path(source)
        where = str(p)
        if not p.exists():
            raise ModelFormatError(f"{p}: no such file")
        if p.is_dir():
            raise ModelFormatError(f"{p}: is a directory, not a model file")
        try:
            size = p.stat().st_size
            if size > max_bytes:
                raise ModelFormatError(f"{p}: {size:,} bytes, more than the limit {max_bytes:,}")
            data = p.read_bytes()
        except OSError as exc:
            raise ModelFormatError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip_bounded(data, max_bytes, where)
    if not data:
        raise ModelFormatError(f"{where}: empty file")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # google.protobuf.message.DecodeError and friends
        raise ModelFormatError(f"{where}: not a valid ONNX model, truncated or corrupt ({_first_line(exc)})") from None
    if not model.HasField("graph") or not model.graph.node and not model.graph.output:
        raise ModelFormatError(f"{where}: not a valid ONNX model (no graph)")
    return model


def _all_tensor_protos(model: Any) -> list[tuple[Any, str]]:
    out = [(t, f"initializer {t.name!r}") for t in model.graph.initializer]
    for node in model.graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                out.append((a.t, f"attribute {a.name!r} of node {node.name or node.op_type!r}"))
            for t in a.tensors:
                out.append((t, f"attribute {a.name!r} of node {node.name or node.op_type!r}"))
    return out


def _load_external_data(model: Any, base_dir: Path | None) -> None:
    """Inline tensors stored in external files (only for models read from a path).

    Every ``location`` must name an existing regular file inside ``base_dir`` (after
    resolving ``..`` and symbolic links), and ``offset``/``length`` must lie inside it and
    match the tensor's declared size.
    """
    from onnx import TensorProto

    external = [(t, what) for t, what in _all_tensor_protos(model) if t.data_location == TensorProto.EXTERNAL]
    if not external:
        return
    if base_dir is None:
        raise ModelFormatError("the model keeps its weights in external data files; load it from its file path")
    root = base_dir.resolve()
    for t, what in external:
        info: dict[str, str] = {}
        for e in t.external_data:
            if e.key in info:
                raise ModelFormatError(f"{what}: external-data key {e.key!r} given twice")
            info[e.key] = e.value
        unknown = set(info) - {"location", "offset", "length", "checksum", "basepath"}
        if unknown:
            raise ModelFormatError(f"{what}: unknown external-data keys {sorted(unknown)}")
        loc = info.get("location", "")
        if not loc or "\x00" in loc:
            raise ModelFormatError(f"{what}: external data without a file location")
        if os.path.isabs(loc) or loc.startswith(("/", "\\")):
            raise ModelFormatError(f"{what}: external data location {loc!r} is an absolute path; it must lie "
                                   "inside the model's folder")
        target = (root / loc).resolve()
        if root not in target.parents:
            raise ModelFormatError(f"{what}: external data location {loc!r} points outside the model's folder")
        if not target.is_file():
            raise ModelFormatError(f"{what}: external data file {loc!r} is missing")
        try:
            offset = int(info.get("offset", "0"))
            length = int(info["length"]) if "length" in info else None
        except ValueError:
            raise ModelFormatError(f"{what}: external data offset/length are not integers") from None
        if t.raw_data:
            raise ModelFormatError(f"{what}: both external and inline data")
        n = _check_tensor_header(t, what)
        want = n * _ITEM_SIZE[int(t.data_type)]
        size = target.stat().st_size
        if offset < 0 or (length is not None and length < 0) or offset > size:
            raise ModelFormatError(f"{what}: external data offset {offset} is outside {loc!r} ({size} bytes)")
        if length is None:
            length = size - offset
        if offset + length > size:
            raise ModelFormatError(f"{what}: external data range {offset}+{length} is beyond the end of {loc!r} "
                                   f"({size} bytes)")
        if length != want:
            raise ModelFormatError(f"{what}: external data holds {length} bytes, but its dims need {want}")
        try:
            with open(target, "rb") as fh:
                fh.seek(offset)
                data = fh.read(length)
        except OSError as exc:
            raise ModelFormatError(f"{what}: cannot read external data {loc!r}: {exc.strerror or exc}") from None
        if len(data) != length:
            raise ModelFormatError(f"{what}: external data {loc!r} is shorter than declared")
        t.raw_data = data
        t.data_location = TensorProto.DEFAULT
        del t.external_data[:]


def _run_onnx_checker(model: Any) -> None:
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # ValidationError, InferenceError, ...
        text = " ".join(str(exc).split()) or type(exc).__name__
        if len(text) > 300:
            text = text[:297] + "..."
        raise ModelFormatError(f"the ONNX checker rejects the model: {text}") from None


def import_onnx(source: "str | Path | bytes | Any", *, input_shape: Sequence[int] | None = None,
                output: str | None = None, approximate_bn: bool = False,
                bn_max_denominator: int | None = None, max_bytes: int = MAX_MODEL_BYTES) -> OnnxImport:
    """Read an ONNX model into an exact :class:`Network`, with a report.

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto
        ``.onnx`` file (gzip-compressed files such as ``.onnx.gz`` are recognised by their
        magic bytes), serialized model bytes, or a parsed model (which is not modified).
    input_shape : sequence of int, optional
        Sets the input's symbolic dimensions (declared dimensions must be repeated as they are).
    output : str, optional
        Which graph output to use when there are several.
    approximate_bn : bool
        Allow BatchNormalization with irrational ``1/sqrt(var + eps)`` (rounded; see module
        docs). Default: refuse.
    bn_max_denominator : int, optional
        With ``approximate_bn``, round to the closest rational with at most this
        denominator instead of the nearest float64.
    max_bytes : int
        Largest model file or decompressed ``.onnx.gz`` content read (default 2 GiB).

    Returns
    -------
    OnnxImport

    Raises
    ------
    ModelFormatError
        Missing, truncated, corrupt or malformed file; undefined or twice-produced tensors;
        non-finite weights; an opset the loader does not know.
    UnsupportedOperatorError
        An operator, operator version, attribute or mode with no exact lowering (names the
        operator and the node, and says why).
    ShapeError
        Shapes that do not fit.
    """
    import onnx

    model = read_onnx_model(source, max_bytes=max_bytes)
    if model is source:
        model = onnx.ModelProto.FromString(model.SerializeToString())  # never modify the caller's model
    _load_external_data(model, None if isinstance(source, (bytes, bytearray, memoryview)) or
                        not isinstance(source, (str, Path)) else Path(source).parent)
    if bn_max_denominator is not None and (not isinstance(bn_max_denominator, int) or bn_max_denominator < 1):
        raise ModelError("bn_max_denominator must be a positive integer")
    g = _Graph(model, input_shape, output, approximate_bn, bn_max_denominator)
    props = {p.key: p.value for p in model.metadata_props}
    name = props.get("exactrelu.network_name", model.graph.name or "")
    net = g.run(name if isinstance(name, str) else "")
    _run_onnx_checker(model)  # last: the loader's own checks give the more precise messages
    if g.notes:
        warnings.warn("ONNX import approximated: " + "; ".join(g.notes), stacklevel=2)
    return OnnxImport(net, g.input_name, g.output_name, g.input_shape, g.output_shape, g.notes, g.max_change)

def load_onnx(source: "str | Path | bytes | Any", **options: Any) -> Network:
    """Read an ONNX model (``.onnx`` / ``.onnx.gz`` path, bytes or ModelProto) exactly.

    Keyword options are those of :func:`import_onnx`.

    Examples
    --------
    >>> import onnx
    >>> from onnx import helper, TensorProto, numpy_helper
    >>> import numpy as np
    >>> W = numpy_helper.from_array(np.array([[1.0, -1.0]], dtype=np.float32), "W")
    >>> g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["h"]),
    ...                        helper.make_node("LeakyRelu", ["h"], ["y"], alpha=0.5)], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], initializer=[W])
    >>> net = load_onnx(helper.make_model(g).SerializeToString())
    >>> net.describe()["relu_layers"], [str(v) for v in evaluate(net, [-2])]
    ([2], ['-1', '2'])
    """
    return import_onnx(source, **options).network


def onnx_to_network(model: Any, **options: Any) -> Network:
    """Convert a parsed ``onnx.ModelProto`` (alias of :func:`load_onnx` for models in memory)."""
    return import_onnx(model, **options).network


# --------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------
def _nearest_float32(q: Fraction) -> float:
    try:
        f64 = float(q)
    except OverflowError:
        raise ExportError(f"value {format_rational(q)} is too large for float32") from None
    f32 = np.float32(f64)
    if not np.isfinite(f32):
        raise ExportError(f"value {format_rational(q)} is too large for float32")
    cands = [f32, np.nextafter(f32, np.float32(np.inf)), np.nextafter(f32, np.float32(-np.inf))]
    best = min((c for c in cands if np.isfinite(c)), key=lambda c: abs(Fraction(float(c)) - q))
    return float(best)


def _to_float(q: Fraction, dtype: str, approximate: bool, where: str) -> tuple[float, Fraction]:
    exact = is_float32_exact(q) if dtype == "float32" else is_float64_exact(q)
    if exact:
        return float(q), _ZERO
    if not approximate:
        raise ExportError(f"{where} = {format_rational(q)} is not exactly representable in {dtype}; "
                          f"pass approximate=True to round to the nearest {dtype}")
    if dtype == "float32":
        f = _nearest_float32(q)
    else:
        try:
            f = float(q)
        except OverflowError:
            raise ExportError(f"{where} = {format_rational(q)} is too large for float64") from None
    return f, abs(Fraction(f) - q)


def network_to_onnx(net: Network, dtype: str = "float32", approximate: bool = False,
                    dynamic_batch: bool = False) -> tuple[Any, Fraction]:
    """Build an ONNX model of ``net``; return ``(model, largest change)``.

    See the module docstring for the layout. The largest change is 0 unless
    ``approximate=True`` had to round a weight.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if dtype not in ("float32", "float64"):
        raise ExportError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    np_dtype = np.float32 if dtype == "float32" else np.float64
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    worst = _ZERO
    nodes, inits = [], []
    names = {0: "input"}
    n_layers = len(net.layers)
    for k, layer in enumerate(net.layers, start=1):
        last = k == n_layers
        prev = None
        for idx, (s, w) in enumerate(layer.inputs):
            vals = []
            for i, row in enumerate(w):
                for j, v in enumerate(row):
                    f, ch = _to_float(v, dtype, approximate, f"layer {k}, weight from source {s} [{i}][{j}]")
                    worst = max(worst, ch)
                    vals.append(f)
            wname = f"W{k}_{s}"
            inits.append(numpy_helper.from_array(np.asarray(vals, dtype=np_dtype).reshape(layer.width,
                                                                                          net.source_width(s)), wname))
            if idx == 0:
                bvals = []
                for i, v in enumerate(layer.bias):
                    f, ch = _to_float(v, dtype, approximate, f"layer {k}, bias [{i}]")
                    worst = max(worst, ch)
                    bvals.append(f)
                cname = f"b{k}"
                inits.append(numpy_helper.from_array(np.asarray(bvals, dtype=np_dtype), cname))
            else:
                cname = prev
            is_final_node = idx == len(layer.inputs) - 1 and layer.activation is Activation.IDENTITY
            out = ("output" if last else f"h{k}") if is_final_node else f"z{k}_{idx}"
            nodes.append(helper.make_node("Gemm", [names[s], wname, cname], [out],
                                          name=layer.name if is_final_node else f"gemm{k}_{s}", transB=1))
            prev = out
        if layer.activation is Activation.RELU:
            out = "output" if last else f"h{k}"
            nodes.append(helper.make_node("Relu", [prev], [out], name=layer.name))
            prev = out
        names[k] = prev
    batch: Any = "N" if dynamic_batch else 1
    graph = helper.make_graph(
        nodes, net.name or "exactrelu",
        [helper.make_tensor_value_info("input", elem, [batch, net.n_inputs])],
        [helper.make_tensor_value_info("output", elem, [batch, net.n_outputs])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="exactrelu", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"exactrelu.network_name": net.name})
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # pragma: no cover - our own construction
        raise ExportError(f"internal: exported model fails the ONNX checker: {_first_line(exc)}") from None
    return model, worst


def export_onnx(net: Network, path: "str | Path", dtype: str = "float32", approximate: bool = False,
                dynamic_batch: bool = False) -> Fraction:
    """Write ``net`` as an ONNX model (gzip-compressed if ``path`` ends in ``.gz``).

    Parameters
    ----------
    net : Network
    path : str or Path
    dtype : {"float32", "float64"}
    approximate : bool
        Round weights that are not exactly representable to the nearest float instead of
        raising :class:`~exactrelu.errors.ExportError`.
    dynamic_batch : bool
        Declare the batch dimension as symbolic ``"N"`` instead of 1.

    Returns
    -------
    Fraction
        The largest absolute change made to any weight (0 for an exact export).
    """
    model, worst = network_to_onnx(net, dtype=dtype, approximate=approximate, dynamic_batch=dynamic_batch)
    data = model.SerializeToString()
    p = Path(path)
    if p.suffix == ".gz":
        data = gzip.compress(data)
    try:
        p.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"{p}: cannot write: {exc.strerror or exc}") from None
    return worst


# evaluation is used by the doctests above
from ...model.evaluation import evaluate  # noqa: E402
