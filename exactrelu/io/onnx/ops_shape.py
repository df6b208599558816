"""Operators that only move affine forms: shape operators, casts, constants and ``Pad``.

Each ``op_*`` function is the handler of one ONNX operator (see the table in :mod:`.ops`):
``handler(g, node, nname, inputs, attrs) -> list of output values``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelFormatError, ShapeError, UnsupportedOperatorError
from ...numbers.rationals import format_rational
from .tensors import FLOAT_TYPES, INT64_MAX, INT_RANGES, T_BOOL, WIDENING, ZERO, round_to_float, type_name
from .forms import Aff, Const, Sym, aff_array, check_size, obj_array
from .graph import OnnxGraph

__all__ = ["cast_value", "op_cast", "op_cast_like", "op_concat", "op_constant", "op_constant_of_shape",
           "op_dropout", "op_flatten", "op_gather", "op_identity", "op_pad", "op_reshape", "op_shape",
           "op_size", "op_slice", "op_split", "op_squeeze", "op_transpose", "op_unsqueeze"]


def op_identity(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Identity`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    return [g.need(inputs, 0, "Identity", nname)]


def op_dropout(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Dropout`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Dropout", nname)
    if g.v >= 12 and len(inputs) > 2 and inputs[2] is not None:
        tm = g.require_const(inputs[2], "Dropout", nname, "training_mode")
        if tm.a.size != 1:
            raise ShapeError(f"training_mode must be a scalar, got shape {list(tm.shape)}")
        if bool(tm.a.ravel()[0]):
            raise UnsupportedOperatorError("Dropout", nname, "training_mode is true (random dropout); only "
                                           "inference is modelled")
    outs: list = [x]
    if len(node.output) > 1 and node.output[1]:
        if node.output[1] in g.needed_tensors:
            if g.v < 12:
                raise UnsupportedOperatorError("Dropout", nname, f"the mask output of Dropout-{g.v} is used; "
                                               "its inference value is not defined before Dropout-12")
            check_size(x.shape, f"node {nname!r} (Dropout) mask")
            outs.append(Const(np.ones(x.shape, dtype=np.bool_)))
        else:
            outs.append(None)
    return outs


def op_cast(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Cast`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Cast", nname)
    return [cast_value(g, x, int(attrs["to"]), g.in_types[0], "Cast", nname)]


def op_cast_like(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``CastLike`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "CastLike", nname)
    g.need(inputs, 1, "CastLike", nname)
    return [cast_value(g, x, g.in_types[1], g.in_types[0], "CastLike", nname)]


def cast_value(g: OnnxGraph, x, to: int | None, frm: int | None, op: str, nname: str):
    """``Cast`` of ``x`` from element type ``frm`` to ``to``: exact rounding of constants, identity
    for widening casts of input-dependent tensors, refused otherwise."""
    if to is None or (to not in FLOAT_TYPES and to not in INT_RANGES and to != T_BOOL):
        raise UnsupportedOperatorError(op, nname, f"cast to {type_name(to or 0)} is not modelled")
    if isinstance(x, Sym):
        if to == frm or (frm, to) in WIDENING:
            return x  # every value is kept
        src = FLOAT_TYPES.get(frm or 0, type_name(frm or 0))
        dst = FLOAT_TYPES.get(to) or type_name(to)
        raise UnsupportedOperatorError(op, nname, f"cast of an input-dependent {src} tensor to {dst} rounds "
                                       "its values: a step function, not piecewise linear")
    lossless = to == frm or (frm, to) in WIDENING
    if not x.fexact and not lossless:
        raise UnsupportedOperatorError(op, nname, "cast of a constant computed with float arithmetic: a float "
                                       "runtime rounds it first, so its rounding step may fall elsewhere")
    if to in FLOAT_TYPES:
        vals = []
        for q in x.frac().ravel().tolist():
            r = round_to_float(q, to)
            if r is None:
                raise ModelFormatError(f"node {nname!r} ({op}): the constant {format_rational(q)} overflows "
                                       f"{FLOAT_TYPES[to]} (becomes infinity)")
            vals.append(r)
        return Const(obj_array(vals, x.shape), x.fexact)
    if to == T_BOOL:
        vals = [v != 0 for v in (x.frac() if x.is_float else x.a).ravel().tolist()]
        return Const(np.asarray(vals, dtype=np.bool_).reshape(x.shape))
    lo, hi = INT_RANGES[to]
    if x.is_float:
        ints = []
        for q in x.a.ravel().tolist():
            i = int(q)  # truncation toward zero
            if not lo <= i <= hi:
                raise ModelFormatError(f"node {nname!r} ({op}): casting {format_rational(q)} to "
                                       f"{type_name(to)} is out of range (undefined in ONNX)")
            ints.append(i)
    else:  # integer to integer: discard the high bits (two's complement), as the spec says
        span = hi - lo + 1
        ints = [(int(v) - lo) % span + lo for v in x.a.ravel().tolist()]
    if ints and max(ints) > INT64_MAX:
        raise ModelFormatError(f"node {nname!r} ({op}): UINT64 values above 2^63 - 1 are not supported")
    return Const(np.asarray(ints, dtype=np.int64).reshape(x.shape))


def op_constant(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Constant`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    if len(attrs) != 1:
        raise ModelFormatError(f"node {nname!r} (Constant) must have exactly one value attribute, has "
                               f"{sorted(attrs) or 'none'}")
    (key, val), = attrs.items()
    if key == "value":
        return [g.tensor(val, f"the value of node {nname!r} (Constant)")]
    if key == "value_float":
        return [g.const_from_numpy(np.asarray(val, dtype=np.float32), nname)]
    if key == "value_floats":
        return [g.const_from_numpy(np.asarray(list(val), dtype=np.float32).reshape(len(val)), nname)]
    if key == "value_int":
        return [Const(np.asarray(int(val), dtype=np.int64))]
    return [Const(np.asarray(list(val), dtype=np.int64).reshape(len(val)))]


def op_constant_of_shape(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``ConstantOfShape`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    shape = g.int_list(inputs, 0, "ConstantOfShape", nname, "shape")
    if any(d < 0 for d in shape):
        raise ShapeError(f"shape {shape} has a negative entry")
    if "value" in attrs:
        val = g.tensor(attrs["value"], f"the value of node {nname!r} (ConstantOfShape)")
        if val.a.size != 1:
            raise ModelFormatError(f"node {nname!r} (ConstantOfShape): value must hold one element, holds "
                                   f"{val.a.size}")
    else:
        val = Const(obj_array([ZERO], (1,)))
    n = check_size(shape, f"the output of node {nname!r} (ConstantOfShape)")
    v = val.a.ravel()[0]
    if val.is_float:
        return [Const(obj_array([v] * n, tuple(shape)))]
    return [Const(np.full(tuple(shape), v, dtype=val.a.dtype))]


def op_shape(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Shape`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Shape", nname)
    shape = list(x.shape)
    start = int(attrs.get("start", 0))
    end = attrs.get("end")
    shape = shape[start:] if end is None else shape[start:int(end)]  # the spec clamps like Python slices
    return [Const(np.asarray(shape, dtype=np.int64).reshape(len(shape)))]


def op_size(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Size`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Size", nname)
    return [Const(np.asarray(int(np.prod(x.shape, dtype=np.int64)), dtype=np.int64))]


def op_flatten(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Flatten`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Flatten", nname)
    axis = int(attrs.get("axis", 1))
    r = len(x.shape)
    if axis < 0 and g.v < 11:
        raise ShapeError(f"Flatten-{g.v} axis {axis} must not be negative")
    if axis < 0:
        axis += r
    if not 0 <= axis <= r:
        raise ShapeError(f"Flatten axis {attrs.get('axis')} out of range for rank {r}")
    a = int(np.prod(x.shape[:axis], dtype=np.int64))
    b = int(np.prod(x.shape[axis:], dtype=np.int64))
    return [g.same_kind(x, x.a.reshape(a, b))]


def op_reshape(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Reshape`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Reshape", nname)
    shape = g.int_list(inputs, 1, "Reshape", nname, "shape")
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
    return [g.same_kind(x, x.a.reshape(new))]


def op_transpose(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Transpose`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Transpose", nname)
    r = len(x.shape)
    perm = list(range(r))[::-1] if "perm" not in attrs else [int(p) for p in attrs["perm"]]
    if sorted(perm) != list(range(r)):
        raise ShapeError(f"Transpose perm {perm} is not a permutation of the {r} axes")
    return [g.same_kind(x, np.transpose(x.a, perm))]


def op_squeeze(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Squeeze`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Squeeze", nname)
    r = len(x.shape)
    if g.v < 13:
        axes = [int(a) for a in attrs["axes"]] if "axes" in attrs else None
    else:
        axes = g.int_list(inputs, 1, "Squeeze", nname, "axes", required=False)
    if axes is None:
        return [g.same_kind(x, x.a.reshape([d for d in x.shape if d != 1]))]
    axes = g.norm_axes(axes, r, "Squeeze axis", negative=g.v >= 11)
    for a in axes:
        if x.shape[a] != 1:
            raise ShapeError(f"Squeeze: axis {a} of shape {list(x.shape)} is not of size 1")
    return [g.same_kind(x, x.a.reshape([d for k, d in enumerate(x.shape) if k not in axes]))]


def op_unsqueeze(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Unsqueeze`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Unsqueeze", nname)
    if g.v < 13:
        axes = [int(a) for a in attrs["axes"]]
    else:
        axes = g.int_list(inputs, 1, "Unsqueeze", nname, "axes")
    r = len(x.shape) + len(axes)
    axes = sorted(g.norm_axes(axes, r, "Unsqueeze axis", negative=g.v >= 11))
    a = x.a
    for ax in axes:
        a = np.expand_dims(a, ax)
    return [g.same_kind(x, a)]


def op_concat(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Concat`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    xs = [v for v in inputs if v is not None]
    r = len(xs[0].shape)
    if r == 0:
        raise ShapeError("Concat of scalars")
    axis = g.norm_axis(attrs["axis"] if "axis" in attrs else 0, r, "Concat axis", negative=g.v >= 11)
    for v in xs[1:]:
        if len(v.shape) != r or any(a != b for k, (a, b) in enumerate(zip(v.shape, xs[0].shape)) if k != axis):
            raise ShapeError(f"Concat inputs {[list(v.shape) for v in xs]} do not fit along axis {axis}")
    if all(isinstance(v, Const) for v in xs):
        if all(not v.is_float for v in xs):
            return [Const(np.concatenate([v.a for v in xs], axis=axis))]
        return [Const(np.concatenate([v.frac() for v in xs], axis=axis), all(v.fexact for v in xs))]
    return [Sym(np.concatenate([aff_array(v) for v in xs], axis=axis))]


def op_gather(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Gather`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Gather", nname)
    idx = g.require_const(g.need(inputs, 1, "Gather", nname), "Gather", nname, "indices")
    if idx.is_float or idx.a.dtype == np.bool_:
        raise ModelFormatError(f"node {nname!r} (Gather): indices must be integers")
    r = len(x.shape)
    if r == 0:
        raise ShapeError("Gather from a scalar")
    axis = g.norm_axis(attrs.get("axis", 0), r, "Gather axis")
    dim = x.shape[axis]
    ind = np.asarray(idx.a, dtype=np.int64)
    if ind.size:
        lo = -dim if g.v >= 11 else 0
        if int(ind.min()) < lo or int(ind.max()) >= dim:
            raise ShapeError(f"Gather index out of range [{lo}, {dim - 1}]")
    ind = np.where(ind < 0, ind + dim, ind)
    check_size(x.shape[:axis] + ind.shape + x.shape[axis + 1:], f"the output of node {nname!r} (Gather)")
    return [g.same_kind(x, np.take(x.a, ind, axis=axis))]


def op_slice(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Slice`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Slice", nname)
    r = len(x.shape)
    if g.v == 1:
        starts = [int(v) for v in attrs["starts"]]
        ends = [int(v) for v in attrs["ends"]]
        axes = [int(v) for v in attrs["axes"]] if "axes" in attrs else None
        steps = None
    else:
        starts = g.int_list(inputs, 1, "Slice", nname, "starts")
        ends = g.int_list(inputs, 2, "Slice", nname, "ends")
        axes = g.int_list(inputs, 3, "Slice", nname, "axes", required=False)
        steps = g.int_list(inputs, 4, "Slice", nname, "steps", required=False)
    n = len(starts)
    if axes is None:
        axes = list(range(n))
    if steps is None:
        steps = [1] * n
    if not len(ends) == len(axes) == len(steps) == n:
        raise ShapeError(f"Slice starts/ends/axes/steps have different lengths ({n}, {len(ends)}, "
                         f"{len(axes)}, {len(steps)})")
    axes = g.norm_axes(axes, r, "Slice axis", negative=g.v >= 11)
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
    return [g.same_kind(x, a)]


def op_split(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Split`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Split", nname)
    r = len(x.shape)
    if r == 0:
        raise ShapeError("Split of a scalar")
    axis = g.norm_axis(attrs.get("axis", 0), r, "Split axis", negative=g.v >= 11)
    dim = x.shape[axis]
    n_out = len(node.output)
    if g.v < 13:
        sizes = [int(v) for v in attrs["split"]] if "split" in attrs else None
    else:
        sizes = g.int_list(inputs, 1, "Split", nname, "split", required=False)
    if g.v >= 18 and (sizes is None) == ("num_outputs" not in attrs):
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
        outs.append(g.same_kind(x, x.a[tuple(idx)]))
    return outs


def op_pad(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Pad`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Pad", nname)
    mode = attrs.get("mode", "constant")
    modes = ("constant", "reflect", "edge") + (("wrap",) if g.v >= 19 else ())
    if mode not in modes:
        raise ModelFormatError(f"node {nname!r} (Pad-{g.v}): unknown mode {mode!r} (expected {', '.join(modes)})")
    r = len(x.shape)
    value_exact = True
    if g.v == 2:
        pads = [int(v) for v in attrs["pads"]]
        value = Fraction(float(attrs.get("value", 0.0)))
        axes = list(range(r))
    else:
        pads = g.int_list(inputs, 1, "Pad", nname, "pads")
        value = ZERO
        if len(inputs) > 2 and inputs[2] is not None:
            cv = g.require_const(inputs[2], "Pad", nname, "constant_value")
            value, value_exact = g.scalar_value(cv, "constant_value"), cv.fexact
        axes_in = g.int_list(inputs, 3, "Pad", nname, "axes", required=False) if g.v >= 18 else None
        axes = list(range(r)) if axes_in is None else g.norm_axes(axes_in, r, "Pad axis")
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
        check_size(out_shape, f"the output of node {nname!r} (Pad)")
        return [g.same_kind(x, np.pad(x.a, width, mode=mode))]
    crop = [(max(-b, 0), max(-e, 0)) for b, e in width]
    if any(cb + ce > d for (cb, ce), d in zip(crop, x.shape)):
        raise ShapeError(f"Pad: negative pads {pads} remove more than the shape {list(x.shape)}")
    arr = x.a[tuple(slice(cb, d - ce) for (cb, ce), d in zip(crop, x.shape))]
    width = [(max(b, 0), max(e, 0)) for b, e in width]
    out_shape = tuple(arr.shape[k] + b + e for k, (b, e) in enumerate(width))
    n = check_size(out_shape, f"the output of node {nname!r} (Pad)")
    if isinstance(x, Sym):
        fill: Any = Aff({}, value)
    elif x.is_float:
        fill = value
        value_exact = value_exact and x.fexact
    else:
        if value.denominator != 1:
            raise ModelFormatError(f"node {nname!r} (Pad): constant_value of an integer tensor must be an integer")
        return [Const(np.pad(arr, width, mode="constant", constant_values=int(value)))]
    out = obj_array([fill] * n, out_shape)
    inner = tuple(slice(b, b + arr.shape[k]) for k, (b, e) in enumerate(width))
    out[inner] = arr
    if isinstance(x, Sym):
        return [Sym(out)]
    return [Const(out, value_exact)]
