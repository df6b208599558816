"""ONNX element types, exact float rounding and TensorProto checks.

The element-type codes of ``onnx.TensorProto``, the float formats the loader rounds to
(:func:`round_to_float`), the import limits (:data:`MAX_MODEL_BYTES`,
:data:`MAX_TENSOR_ELEMENTS`, the opset range) and the consistency checks a tensor passes
before any of its data is read (:func:`check_tensor_proto`).

Examples
--------
>>> from fractions import Fraction
>>> round_to_float(Fraction(1, 3)) == Fraction(float(__import__("numpy").float32(1 / 3)))
True
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelFormatError

__all__ = ["DATA_FIELD", "F32_0_01", "F32_1E_5", "F32_MAX", "FLOAT_FORMATS", "FLOAT_TYPES", "INT64_MAX",
           "INT64_MIN", "INT_RANGES", "ITEM_SIZE", "MAX_MODEL_BYTES", "MAX_OPSET", "MAX_TENSOR_ELEMENTS",
           "MIN_OPSET", "ONE", "STORED_RANGE", "T_BFLOAT16", "T_BOOL", "T_DOUBLE", "T_FLOAT", "T_FLOAT16",
           "T_INT16", "T_INT32", "T_INT64", "T_INT8", "T_STRING", "T_UINT16", "T_UINT32", "T_UINT64",
           "T_UINT8", "VALUE_FIELDS", "WIDENING", "ZERO", "check_tensor_header", "check_tensor_proto",
           "first_line", "round_to_float", "type_name"]


ZERO = Fraction(0)


ONE = Fraction(1)


# ONNX float attribute defaults are float32 values
F32_0_01 = float(np.float32(0.01))


F32_1E_5 = float(np.float32(1e-5))


F32_MAX = Fraction(float(np.finfo(np.float32).max))


#: Oldest and newest default-domain opset the loader knows the semantics of.
MIN_OPSET = 7


MAX_OPSET = 28


#: Largest model file (or decompressed ``.onnx.gz``) read: 2 GiB, protobuf's own limit.
MAX_MODEL_BYTES = 2 * 1024 ** 3


#: Largest number of elements of any tensor (initializer, constant or computed).
MAX_TENSOR_ELEMENTS = 10_000_000


T_FLOAT, T_UINT8, T_INT8, T_UINT16, T_INT16, T_INT32, T_INT64 = 1, 2, 3, 4, 5, 6, 7


T_STRING, T_BOOL, T_FLOAT16, T_DOUBLE, T_UINT32, T_UINT64, T_BFLOAT16 = 8, 9, 10, 11, 12, 13, 16


FLOAT_TYPES = {T_FLOAT: "float32", T_FLOAT16: "float16", T_DOUBLE: "float64", T_BFLOAT16: "bfloat16"}


# (precision in bits including the hidden one, minimum normal exponent, maximum exponent)
FLOAT_FORMATS = {T_FLOAT: (24, -126, 127), T_FLOAT16: (11, -14, 15), T_DOUBLE: (53, -1022, 1023),
                  T_BFLOAT16: (8, -126, 127)}


INT_RANGES = {T_UINT8: (0, 2 ** 8 - 1), T_INT8: (-2 ** 7, 2 ** 7 - 1), T_UINT16: (0, 2 ** 16 - 1),
               T_INT16: (-2 ** 15, 2 ** 15 - 1), T_INT32: (-2 ** 31, 2 ** 31 - 1),
               T_INT64: (-2 ** 63, 2 ** 63 - 1), T_UINT32: (0, 2 ** 32 - 1), T_UINT64: (0, 2 ** 64 - 1)}


INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1


# value field and element size of every element type a tensor may have
DATA_FIELD = {T_FLOAT: "float_data", T_UINT8: "int32_data", T_INT8: "int32_data", T_UINT16: "int32_data",
               T_INT16: "int32_data", T_INT32: "int32_data", T_INT64: "int64_data", T_BOOL: "int32_data",
               T_FLOAT16: "int32_data", T_DOUBLE: "double_data", T_UINT32: "uint64_data",
               T_UINT64: "uint64_data", T_BFLOAT16: "int32_data"}


ITEM_SIZE = {T_FLOAT: 4, T_UINT8: 1, T_INT8: 1, T_UINT16: 2, T_INT16: 2, T_INT32: 4, T_INT64: 8,
              T_BOOL: 1, T_FLOAT16: 2, T_DOUBLE: 8, T_UINT32: 4, T_UINT64: 8, T_BFLOAT16: 2}


# element types stored widened in int32_data / uint64_data: the range each entry must lie in
STORED_RANGE = {T_UINT8: (0, 255), T_INT8: (-128, 127), T_UINT16: (0, 65535), T_INT16: (-32768, 32767),
                 T_BOOL: (0, 1), T_FLOAT16: (0, 65535), T_BFLOAT16: (0, 65535), T_UINT32: (0, 2 ** 32 - 1)}


VALUE_FIELDS = ("float_data", "int32_data", "string_data", "int64_data", "double_data", "uint64_data")


def type_name(t: int) -> str:
    """The ONNX name of element type ``t`` (``FLOAT``, ``DOUBLE``, ...) for messages."""
    try:
        import onnx

        return onnx.TensorProto.DataType.Name(int(t))
    except (ValueError, ImportError):
        return f"element type {t}"


def round_to_float(q: Fraction, elem_type: int = T_FLOAT) -> Fraction | None:
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
    p, emin, emax = FLOAT_FORMATS[elem_type]
    if q == 0:
        return ZERO
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


# float casts that keep every value (the identity on input-dependent tensors)
WIDENING = {(T_FLOAT16, T_FLOAT), (T_FLOAT16, T_DOUBLE), (T_FLOAT, T_DOUBLE),
             (T_BFLOAT16, T_FLOAT), (T_BFLOAT16, T_DOUBLE)}


def check_tensor_header(tp: Any, what: str) -> int:
    """Element type, dimensions and element count of a TensorProto (before any data is read)."""
    dt = int(tp.data_type)
    if dt not in DATA_FIELD:
        raise ModelFormatError(f"{what} has element type {type_name(dt)}, which is not supported")
    if tp.HasField("segment"):
        raise ModelFormatError(f"{what} is a segment of a larger tensor, which is not supported")
    dims = [int(d) for d in tp.dims]
    if any(d < 0 for d in dims):
        raise ModelFormatError(f"{what} has a negative dimension {dims}")
    n = math.prod(dims)
    if n > MAX_TENSOR_ELEMENTS:
        raise ModelFormatError(f"{what} declares {n} elements (dims {dims}), more than the limit {MAX_TENSOR_ELEMENTS:,}")
    return n


def check_tensor_proto(tp: Any, what: str) -> int:
    """Consistency of a TensorProto before its data is read; returns its element count.

    Refuses unsupported element types, negative or huge dimensions, data that does not
    match the declared shape and type, several value fields, out-of-range values in
    widened storage fields, and external data that was not inlined.
    """
    from onnx import TensorProto

    n = check_tensor_header(tp, what)
    dt = int(tp.data_type)
    dims = [int(d) for d in tp.dims]
    if tp.data_location == TensorProto.EXTERNAL:
        raise ModelFormatError(f"{what} keeps its data in an external file; load the model from its file path")
    if len(tp.external_data):
        raise ModelFormatError(f"{what} has external-data entries but is not marked external")
    fields = [f for f in VALUE_FIELDS if len(getattr(tp, f))]
    raw = tp.raw_data
    if len(fields) + bool(raw) > 1:
        raise ModelFormatError(f"{what} has more than one value field ({', '.join(fields + ['raw_data'] * bool(raw))})")
    if raw:
        want = n * ITEM_SIZE[dt]
        if len(raw) != want:
            raise ModelFormatError(f"{what} holds {len(raw)} bytes of raw data, but dims {dims} of "
                                   f"{type_name(dt)} need {want} (truncated or corrupt file?)")
        if dt == T_BOOL and n and max(raw) > 1:
            raise ModelFormatError(f"{what} is BOOL but holds a byte other than 0 or 1")
    elif fields:
        f = fields[0]
        if f != DATA_FIELD[dt]:
            raise ModelFormatError(f"{what} is {type_name(dt)} but holds its values in {f}")
        vals = getattr(tp, f)
        if len(vals) != n:
            raise ModelFormatError(f"{what} holds {len(vals)} values, but dims {dims} need {n} (truncated or corrupt file?)")
        if dt in STORED_RANGE:
            lo, hi = STORED_RANGE[dt]
            arr = np.asarray(vals, dtype=np.int64 if f == "int32_data" else np.uint64)
            if n and (int(arr.min()) < lo or int(arr.max()) > hi):
                raise ModelFormatError(f"{what} ({type_name(dt)}) holds a stored value outside [{lo}, {hi}]")
    elif n:
        raise ModelFormatError(f"{what} declares {n} elements but holds no data (truncated or corrupt file?)")
    return n


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (errors are reported on one line)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
