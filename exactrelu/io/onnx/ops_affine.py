"""Affine operators, which merge into the next layer: arithmetic, ``MatMul``/``Gemm``,
``Conv``, the average pools and ``BatchNormalization`` (inference).

Each ``op_*`` function is the handler of one ONNX operator (see the table in :mod:`.ops`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ...errors import ModelFormatError, ShapeError, UnsupportedOperatorError
from ...numbers.rationals import format_rational
from .tensors import F32_1E_5, INT64_MAX, INT64_MIN, ZERO
from .forms import (Const, Nonlinear, Sym, aff_array, check_size, inv_sqrt, lincomb, obj_array, representable,
                    wrap_result)
from .geometry import geometry, windows
from .graph import OnnxGraph

__all__ = ["binary", "bn_fold", "conv_like", "global_windows", "int_binary", "matmul_values", "op_add",
           "op_average_pool", "op_batch_normalization", "op_conv", "op_div", "op_gemm",
           "op_global_average_pool", "op_mat_mul", "op_mean", "op_mul", "op_neg", "op_sub", "op_sum",
           "pool_avg", "variadic"]


def int_binary(a: np.ndarray, b: np.ndarray, fn: Callable) -> np.ndarray:
    """Exact integer arithmetic (Python ints), refused when the result leaves int64."""
    res = np.asarray(fn(a.astype(object), b.astype(object)), dtype=object)
    vals = res.ravel().tolist()
    if any(not INT64_MIN <= int(v) <= INT64_MAX for v in vals):
        raise ModelFormatError("integer overflow of int64 (wrap-around is not modelled)")
    return np.asarray([int(v) for v in vals], dtype=np.int64).reshape(res.shape)


def binary(g: OnnxGraph, a, b, fn: Callable, int_fn: Callable | None = None):
    """Elementwise ``fn`` of two values with ONNX broadcasting (``int_fn`` for integer constants);
    affine in each operand."""
    if isinstance(a, Const) and isinstance(b, Const):
        if not a.is_float and not b.is_float:
            if int_fn is None:
                raise ModelFormatError("this operator is not defined on integer tensors")
            return Const(int_binary(a.a, b.a, int_fn))
        res = np.asarray(fn(a.frac(), b.frac()), dtype=object)
        res = res.reshape(np.shape(res))
        # one correctly rounded operation per element: exact in float iff the result is representable
        exact = a.fexact and b.fexact and representable(res.ravel().tolist(), g.in_types[0] if g.in_types else None)
        return Const(res, exact)
    A = a.a if isinstance(a, Sym) else a.frac()
    B = b.a if isinstance(b, Sym) else b.frac()
    check_size(np.broadcast_shapes(A.shape, B.shape), "the result of a broadcast")
    res = fn(A, B)
    return wrap_result(np.asarray(res, dtype=object).reshape(np.shape(res)))


def op_add(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Add`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    return [binary(g, g.need(inputs, 0, "Add", nname), g.need(inputs, 1, "Add", nname), np.add, np.add)]


def op_sub(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Sub`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    return [binary(g, g.need(inputs, 0, "Sub", nname), g.need(inputs, 1, "Sub", nname),
                         np.subtract, np.subtract)]


def op_mul(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Mul`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    return [binary(g, g.need(inputs, 0, "Mul", nname), g.need(inputs, 1, "Mul", nname),
                         np.multiply, np.multiply)]


def op_div(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Div`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    def idiv(x, y):  # integer division truncates toward zero (ONNX; the reference does the same)
        def one(p, q):
            if q == 0:
                raise ZeroDivisionError("integer division by zero")
            quo = abs(p) // abs(q)
            return quo if (p >= 0) == (q >= 0) else -quo
        return np.frompyfunc(one, 2, 1)(x, y)
    b = g.need(inputs, 1, "Div", nname)
    if isinstance(b, Const) and b.is_float and any(v == 0 for v in b.a.ravel().tolist()):
        raise ModelFormatError(f"node {nname!r} (Div): division by zero")
    return [binary(g, g.need(inputs, 0, "Div", nname), b, np.true_divide, idiv)]


def op_neg(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Neg`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Neg", nname)
    if isinstance(x, Const) and not x.is_float:
        return [Const(int_binary(np.zeros((), dtype=np.int64), x.a, np.subtract))]
    return [g.same_kind(x, np.negative(x.a))]


def variadic(g: OnnxGraph, op: str, inputs: list) -> list:
    """The given inputs of a variadic operator (``Sum``, ``Mean``, ``Max``, ``Min``); version 6 does
    not broadcast, so there they must have one shape."""
    xs = [v for v in inputs if v is not None]
    if g.v == 6 and any(v.shape != xs[0].shape for v in xs):
        raise ShapeError(f"{op}-6 needs inputs of one shape (no broadcasting), got {[list(v.shape) for v in xs]}")
    return xs


def op_sum(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Sum`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    xs = variadic(g, "Sum", inputs)
    acc = xs[0]
    for v in xs[1:]:
        acc = binary(g, acc, v, np.add, np.add)
    if isinstance(acc, Const) and acc.is_float and len(xs) > 2:
        acc = Const(acc.a, False)  # the runtime's summation order is unknown
    return [acc]


def op_mean(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Mean`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    xs = variadic(g, "Mean", inputs)
    acc = op_sum(g, node, nname, xs, attrs)[0]
    out = binary(g, acc, Const(obj_array([Fraction(len(xs))], ())), np.true_divide)
    if isinstance(out, Const) and len(xs) > 1:
        out = Const(out.a, False)  # a sum, then a division: two roundings
    return [out]


def matmul_values(g: OnnxGraph, a, b):
    """``MatMul`` of two values (one of them constant) with numpy broadcasting, exactly."""
    if isinstance(a, Sym) and isinstance(b, Sym):
        raise Nonlinear("product of two input-dependent tensors is not piecewise linear")
    if len(a.shape) == 0 or len(b.shape) == 0:
        raise ShapeError("MatMul of a scalar")
    if isinstance(a, Const) and isinstance(b, Const):
        if not a.is_float and not b.is_float:
            return Const(int_binary(a.a, b.a, np.matmul))
        res = np.matmul(a.frac(), b.frac())
        return Const(np.asarray(res, dtype=object).reshape(np.shape(res)), False)  # sums of products
    a_sym = isinstance(a, Sym)
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
    check_size(batch + (m, p), "the result of a MatMul")
    out = np.empty(batch + (m, p), dtype=object)
    for idx in np.ndindex(*batch) if batch else [()]:
        A2, B2 = A[idx], B[idx]
        for i in range(m):
            for k in range(p):
                if a_sym:
                    out[idx + (i, k)] = lincomb((B2[j, k], A2[i, j]) for j in range(n))
                else:
                    out[idx + (i, k)] = lincomb((A2[i, j], B2[j, k]) for j in range(n))
    if a1:
        out = out[..., 0, :]
    if b1:
        out = out[..., 0]
    return wrap_result(out)


def op_mat_mul(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``MatMul`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    return [matmul_values(g, g.need(inputs, 0, "MatMul", nname), g.need(inputs, 1, "MatMul", nname))]


def op_gemm(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Gemm`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    a = g.need(inputs, 0, "Gemm", nname)
    b = g.need(inputs, 1, "Gemm", nname)
    c = inputs[2] if len(inputs) > 2 else None
    for v in (a, b, c):
        if isinstance(v, Const) and not v.is_float:
            raise UnsupportedOperatorError("Gemm", nname, "Gemm of integer tensors is not modelled")
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise ShapeError(f"Gemm needs 2-D A and B, got {list(a.shape)} and {list(b.shape)}")
    if int(attrs.get("transA", 0)):
        a = g.same_kind(a, a.a.T)
    if int(attrs.get("transB", 0)):
        b = g.same_kind(b, b.a.T)
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"Gemm: A' {list(a.shape)} and B' {list(b.shape)} do not fit")
    M, N = a.shape[0], b.shape[1]
    alpha = Fraction(float(attrs.get("alpha", 1.0)))
    beta = Fraction(float(attrs.get("beta", 1.0)))
    y = matmul_values(g, a, b)
    if alpha != 1:
        y = binary(g, y, Const(obj_array([alpha], ())), np.multiply)
    if c is not None:
        if len(c.shape) > 2 or tuple(np.broadcast_shapes(c.shape, (M, N))) != (M, N):
            raise ShapeError(f"Gemm: C of shape {list(c.shape)} does not broadcast to ({M}, {N})")
        if beta != 1:
            c = binary(g, c, Const(obj_array([beta], ())), np.multiply)
        y = binary(g, y, c, np.add)
    return [y]


def conv_like(g: OnnxGraph, op, nname, x, attrs, kernel, pool: bool):
    """Geometry of ``Conv`` and the pools for input ``x`` under ``attrs``: the output spatial shape
    and the windows (see :func:`~exactrelu.io.onnx.geometry.windows`)."""
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
    out_sp, pb, pe = geometry(in_sp, kernel, strides, pads, dil, auto_pad, ceil_mode)
    wins = windows(in_sp, kernel, strides, pb, pe, dil, out_sp)
    return out_sp, wins


def op_conv(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Conv`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Conv", nname)
    w = g.require_const(g.need(inputs, 1, "Conv", nname), "Conv", nname, "the weight").frac()
    b = inputs[2] if len(inputs) > 2 else None
    bias = None
    if b is not None:
        bc = g.require_const(b, "Conv", nname, "the bias")
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
    out_sp, wins = conv_like(g, "Conv", nname, x, attrs, kernel, pool=False)
    check_size((N, M) + tuple(out_sp), f"the output of node {nname!r} (Conv)")
    X = aff_array(x)
    Mg = M // group
    out = np.empty((N, M) + tuple(out_sp), dtype=object)
    for n in range(N):
        for m in range(M):
            grp = m // Mg
            wm = w[m]
            const = bias[m] if bias is not None else ZERO
            for opos, valid, _ in wins:
                pairs = [(wm[(ci,) + ko], X[(n, grp * Cg + ci) + ipos]) for ci in range(Cg) for ko, ipos in valid]
                out[(n, m) + opos] = lincomb(pairs, const)
    return [wrap_result(out)]


def op_average_pool(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``AveragePool`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "AveragePool", nname)
    kernel = [int(v) for v in attrs["kernel_shape"]]
    include_pad = bool(int(attrs.get("count_include_pad", 0)))
    out_sp, wins = conv_like(g, "AveragePool", nname, x, attrs, kernel, pool=True)
    full = int(np.prod(kernel))
    if include_pad and any(cnt != full for _, _, cnt in wins):
        raise UnsupportedOperatorError("AveragePool", nname,
                                       "count_include_pad=1 with windows beyond the padding (ceil_mode)")
    return [pool_avg(g, x, out_sp, wins, include_pad, full)]


def pool_avg(g: OnnxGraph, x, out_sp, wins, include_pad: bool, full: int):
    """Average of each window (``include_pad`` counts padded positions, ``full`` is the window
    size)."""
    X = aff_array(x)
    N, C = x.shape[:2]
    check_size((N, C) + tuple(out_sp), "the output of a pool")
    out = np.empty((N, C) + tuple(out_sp), dtype=object)
    for n in range(N):
        for c in range(C):
            for opos, valid, _ in wins:
                if not valid:
                    raise ShapeError("an AveragePool window lies entirely in the padding")
                q = Fraction(1, full if include_pad else len(valid))
                out[(n, c) + opos] = lincomb((q, X[(n, c) + ipos]) for _, ipos in valid)
    return wrap_result(out)


def global_windows(g: OnnxGraph, x, op):
    """One window over all spatial positions of each channel (the global pools)."""
    if len(x.shape) < 3:
        raise ShapeError(f"{op} needs an input of rank >= 3, got shape {list(x.shape)}")
    sp = list(x.shape[2:])
    nd = len(sp)
    return sp, windows(sp, sp, [1] * nd, [0] * nd, [0] * nd, [1] * nd, [1] * nd)


def op_global_average_pool(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``GlobalAveragePool`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "GlobalAveragePool", nname)
    sp, wins = global_windows(g, x, "GlobalAveragePool")
    return [pool_avg(g, x, [1] * len(sp), wins, False, int(np.prod(sp)))]


def op_batch_normalization(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``BatchNormalization`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "BatchNormalization", nname)
    if int(attrs.get("training_mode", 0)):
        raise UnsupportedOperatorError("BatchNormalization", nname, "training_mode=1 (batch statistics); only "
                                       "inference is modelled")
    if len([o for o in node.output if o]) > 1:
        if g.v >= 14:
            raise ModelFormatError(f"node {nname!r} (BatchNormalization-{g.v}): extra outputs are invalid "
                                   "when training_mode=0")
        raise UnsupportedOperatorError("BatchNormalization", nname,
                                       "training outputs (mean, var, saved statistics) requested: training mode")
    spatial = int(attrs.get("spatial", 1)) if g.v == 7 else 1
    params = [g.require_const(g.need(inputs, k, "BatchNormalization", nname), "BatchNormalization", nname, what)
              for k, what in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var"))]
    eps = Fraction(float(attrs.get("epsilon", F32_1E_5)))
    r = len(x.shape)
    if r == 1 and g.v >= 9:
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
    mult, shift, worst = bn_fold(g, scale, bias, mean, var, eps, "BatchNormalization", nname)
    if worst:
        g.note_change(worst, f"BatchNormalization {nname!r}: 1/sqrt(var+eps) approximated")
    m = Const(obj_array(mult, bshape))
    s = Const(obj_array(shift, bshape))
    y = binary(g, binary(g, x, m, np.multiply), s, np.add)
    return [Const(y.a, False) if isinstance(y, Const) else y]  # the runtime rounds several times


def bn_fold(g: OnnxGraph, scale, bias, mean, var, eps, op, nname):
    """Exact (or approximated, if allowed) per-channel multiplier and shift."""
    mult, shift = [], []
    worst = ZERO
    for c in range(len(scale)):
        v = var[c] + eps
        try:
            inv, err = inv_sqrt(v, g.approximate_bn, g.bn_max_denominator)
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
