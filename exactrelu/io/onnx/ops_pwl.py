"""Piecewise-linear operators, which materialise ReLU layers: ``Relu``, ``LeakyRelu``,
``PRelu``, ``Clip``, ``Abs``, ``Max``/``Min`` and the max pools
(``max(a, b) = a + relu(b - a)``).

Each ``op_*`` function is the handler of one ONNX operator (see the table in :mod:`.ops`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ShapeError, UnsupportedOperatorError
from .tensors import F32_0_01, F32_MAX, T_DOUBLE, ZERO
from .forms import Aff, Const, Sym, aff_array, check_size, obj_array, representable, wrap_result
from .graph import OnnxGraph
from .ops_affine import conv_like, global_windows, variadic

__all__ = ["leaky", "max_min", "max_tree", "op_abs", "op_clip", "op_global_max_pool", "op_leaky_relu",
           "op_max", "op_max_pool", "op_min", "op_p_relu", "op_relu", "pool_max"]


def op_relu(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Relu`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Relu", nname)
    if isinstance(x, Const):
        if not x.is_float:
            return [Const(np.maximum(x.a, 0))]
        return [Const(obj_array([max(v, ZERO) for v in x.a.ravel().tolist()], x.shape), x.fexact)]
    r = g.relu(list(x.a.ravel()), node.name)
    return [Sym(obj_array(r, x.shape))]


def leaky(g: OnnxGraph, x, slopes: np.ndarray, nname: str):
    """``a x + (1 - a) relu(x)`` elementwise (exact ONNX LeakyRelu/PRelu for any slope a)."""
    if isinstance(x, Const):
        vals = [v if v >= 0 else a * v for v, a in zip(x.frac().ravel().tolist(), slopes.ravel().tolist())]
        exact = x.fexact and representable(vals, g.in_types[0] if g.in_types else None)
        return Const(obj_array(vals, x.shape), exact)
    forms = list(x.a.ravel())
    aa = slopes.ravel().tolist()
    if all(a == 1 for a in aa):
        return x
    r = g.relu(forms, nname)
    out = [f.scale(a) + rv.scale(1 - a) if a != 0 else rv for f, rv, a in zip(forms, r, aa)]
    return Sym(obj_array(out, x.shape))


def op_leaky_relu(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``LeakyRelu`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "LeakyRelu", nname)
    alpha = Fraction(float(attrs.get("alpha", F32_0_01)))
    slopes = obj_array([alpha] * int(np.prod(x.shape, dtype=np.int64)), x.shape)
    return [leaky(g, x, slopes, node.name)]


def op_p_relu(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``PRelu`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "PRelu", nname)
    slope = g.require_const(g.need(inputs, 1, "PRelu", nname), "PRelu", nname, "slope").frac()
    try:
        slopes = np.broadcast_to(slope, x.shape)  # unidirectional: slope to X
    except ValueError:
        raise ShapeError(f"PRelu slope of shape {list(slope.shape)} does not broadcast to {list(x.shape)}") from None
    return [leaky(g, x, slopes, node.name)]


def op_clip(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Clip`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Clip", nname)
    lo = hi = None
    if g.v == 6:
        # Clip-6's missing bounds are float32's lowest/max: they clip finite values only of float64 tensors
        default = F32_MAX if g.in_types and g.in_types[0] == T_DOUBLE else None
        fmin, fmax = attrs.get("min"), attrs.get("max")
        lo = -default if fmin is None and default is not None else (
            Fraction(fmin) if fmin is not None and math.isfinite(fmin) else None)
        hi = default if fmax is None else (Fraction(fmax) if math.isfinite(fmax) else None)
    else:
        for k in (1, 2):
            if len(inputs) > k and inputs[k] is not None:
                v = g.scalar_value(g.require_const(inputs[k], "Clip", nname, "min/max"), "Clip min/max")
                if k == 1:
                    lo = v
                else:
                    hi = v
    if isinstance(x, Const):
        vals = x.frac().ravel().tolist()
        if lo is not None:
            vals = [max(v, lo) for v in vals]
        if hi is not None:
            vals = [min(v, hi) for v in vals]
        if not x.is_float:
            return [Const(np.asarray([int(v) for v in vals], dtype=np.int64).reshape(x.shape))]
        bounds_exact = all(isinstance(v, Const) and v.fexact for v in inputs[1:3] if v is not None)
        return [Const(obj_array(vals, x.shape), x.fexact and bounds_exact)]
    forms = list(x.a.ravel())
    if lo is None and hi is None:
        return [x]
    if lo is not None and hi is not None and lo > hi:
        return [Sym(obj_array([Aff({}, hi)] * len(forms), x.shape))]
    if hi is None:
        r = g.relu([f - lo for f in forms], node.name)
        out = [rv + lo for rv in r]
    elif lo is None:
        r = g.relu([(-f) + hi for f in forms], node.name)
        out = [(-rv) + hi for rv in r]
    else:
        n = len(forms)
        r = g.relu([f - lo for f in forms] + [f - hi for f in forms], node.name)
        out = [(r[i] - r[n + i]) + lo for i in range(n)]
    return [Sym(obj_array(out, x.shape))]


def op_abs(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Abs`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "Abs", nname)
    if isinstance(x, Const):
        return [Const(np.abs(x.a)) if not x.is_float else
                Const(obj_array([abs(v) for v in x.a.ravel().tolist()], x.shape), x.fexact)]
    forms = list(x.a.ravel())
    n = len(forms)
    r = g.relu(forms + [-f for f in forms], node.name)
    return [Sym(obj_array([r[i] + r[n + i] for i in range(n)], x.shape))]


def max_min(g: OnnxGraph, node, nname, inputs, is_max: bool):
    """``Max`` (``is_max``) or ``Min`` of the inputs, broadcast, through ReLU trees."""
    xs = variadic(g, "Max" if is_max else "Min", inputs)
    acc = xs[0]
    for v in xs[1:]:
        if isinstance(acc, Const) and isinstance(v, Const):
            A, B = np.broadcast_arrays(acc.a, v.a) if not acc.is_float and not v.is_float else \
                np.broadcast_arrays(acc.frac(), v.frac())
            vals = [max(p, q) if is_max else min(p, q) for p, q in zip(A.ravel().tolist(), B.ravel().tolist())]
            if not acc.is_float and not v.is_float:
                acc = Const(np.asarray(vals, dtype=np.int64).reshape(A.shape))
            else:
                acc = Const(obj_array(vals, A.shape), acc.fexact and v.fexact)
            continue
        A, B = np.broadcast_arrays(aff_array(acc), aff_array(v))
        check_size(A.shape, "the result of a broadcast")
        fa, fb = list(A.ravel()), list(B.ravel())
        diffs = [b - a for a, b in zip(fa, fb)] if is_max else [a - b for a, b in zip(fa, fb)]
        r = g.relu(diffs, node.name)
        out = [a + rv if is_max else a - rv for a, rv in zip(fa, r)]
        acc = Sym(obj_array(out, A.shape))
    return [acc]


def op_max(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Max`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    return max_min(g, node, nname, inputs, True)


def op_min(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``Min`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    return max_min(g, node, nname, inputs, False)


def max_tree(g: OnnxGraph, groups: list[list[Aff]], name: str) -> list[Aff]:
    """Max of each group with ``max(a, b) = a + relu(b - a)``, one layer per tree level."""
    groups = [list(grp) for grp in groups]
    while any(len(grp) > 1 for grp in groups):
        diffs: list[Aff] = []
        plans = []
        for grp in groups:
            plan = []
            for i in range(0, len(grp) - 1, 2):
                plan.append((grp[i], len(diffs)))
                diffs.append(grp[i + 1] - grp[i])
            if len(grp) % 2:
                plan.append((grp[-1], None))
            plans.append(plan)
        r = g.relu(diffs, name, dedupe=True)
        groups = [[a if j is None else a + r[j] for a, j in plan] for plan in plans]
    return [grp[0] for grp in groups]


def op_max_pool(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``MaxPool`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "MaxPool", nname)
    if len(node.output) > 1 and node.output[1]:
        raise UnsupportedOperatorError("MaxPool", nname, "the Indices output is not piecewise linear")
    kernel = [int(v) for v in attrs["kernel_shape"]]
    out_sp, wins = conv_like(g, "MaxPool", nname, x, attrs, kernel, pool=True)
    return [pool_max(g, x, out_sp, wins, node.name)]


def pool_max(g: OnnxGraph, x, out_sp, wins, name):
    """Maximum of each window through trees of ``max(a, b) = a + relu(b - a)``."""
    X = aff_array(x)
    N, C = x.shape[:2]
    check_size((N, C) + tuple(out_sp), "the output of a pool")
    groups, where = [], []
    for n in range(N):
        for c in range(C):
            for opos, valid, _ in wins:
                if not valid:
                    raise ShapeError("a MaxPool window lies entirely in the padding")
                groups.append([X[(n, c) + ipos] for _, ipos in valid])
                where.append((n, c) + opos)
    if isinstance(x, Const):
        out = np.empty((N, C) + tuple(out_sp), dtype=object)
        for grp, w in zip(groups, where):
            out[w] = max(f.c for f in grp)
        return Const(out, x.fexact)
    res = max_tree(g, groups, name)
    out = np.empty((N, C) + tuple(out_sp), dtype=object)
    for f, w in zip(res, where):
        out[w] = f
    return wrap_result(out)


def op_global_max_pool(g: OnnxGraph, node: Any, nname: str, inputs: list, attrs: dict) -> list:
    """Handler of ONNX ``GlobalMaxPool`` (see :data:`~exactrelu.io.onnx.ops.OPERATORS`)."""
    x = g.need(inputs, 0, "GlobalMaxPool", nname)
    sp, wins = global_windows(g, x, "GlobalMaxPool")
    return [pool_max(g, x, [1] * len(sp), wins, node.name)]
