"""Differential tests of every operator the ONNX loader accepts, against independent engines.

Every case is a small graph built with ``onnx.helper`` and validated with
``onnx.checker.check_model(full_check=True)``.  The loaded network is evaluated exactly
(``exactrelu.model.evaluation.evaluate`` with Fractions) at points whose coordinates are small
dyadic rationals, and the weights are small dyadic rationals too, so every float
operation of a float engine is exact there: the test requires ``Fraction(reference) ==
exact`` element by element, with no tolerance, against

* ``onnx.reference.ReferenceEvaluator`` (the ONNX reference implementation), and
* onnxruntime, wherever it runs the model (some old opsets and float16 kernels it does
  not have: then only the reference is used),

and, where the reference itself is known to be wrong, against an exact oracle written
here (``BatchNormalization``: the reference runs opset 7 in training mode and opsets 9-13
with the batch statistics whenever ``momentum`` has its default; onnxruntime and the
spec use the given statistics).  ``BatchNormalization`` uses ``var + epsilon`` equal to a
power of 4, so the reference's square root and division are exact too.

``test_every_version_and_attribute_is_tested`` checks that the cases cover every
operator version and every attribute of :data:`~exactrelu.io.onnx.onnx_io.SUPPORTED_OPERATORS`,
``test_operator_table_matches_handlers`` that the module docstring's table, the table the
loader uses and its handlers agree, and a hypothesis test builds random graphs of the
supported operators and requires the same exact agreement.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import exactrelu.io.onnx.onnx_io as onnx_io  # noqa: E402
from exactrelu.model.evaluation import evaluate  # noqa: E402
from exactrelu.io.onnx.onnx_io import SUPPORTED_OPERATORS, load_onnx  # noqa: E402

try:
    import onnxruntime as ort
except ImportError:  # pragma: no cover - onnxruntime is a test dependency
    ort = None

F, D, H, BF = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16
I64 = TensorProto.INT64
NP = {F: np.float32, D: np.float64, H: np.float16}


# --------------------------------------------------------------------------------------
# building and running models
# --------------------------------------------------------------------------------------
def arr(values, dtype=np.float32):
    return np.asarray(values, dtype=dtype)


def i64(*v):
    return np.asarray(v, dtype=np.int64)


def build(nodes, in_shape, inits=None, opset=13, elem=F, out_shape=None, out_elem=None, inputs_with_inits=(),
          in_name="x", out_name="y"):
    """A checked one-input one-output model.  ``inits`` maps names to numpy arrays (their
    dtype is the tensor type, bfloat16 given as ``("bf16", values)``); names in
    ``inputs_with_inits`` are also declared as graph inputs (overridable defaults)."""
    tensors = []
    for name, a in (inits or {}).items():
        if isinstance(a, tuple) and a[0] == "bf16":
            vals = np.asarray(a[1], dtype=np.float32)
            tensors.append(helper.make_tensor(name, BF, vals.shape, vals.ravel().tolist()))
        else:
            tensors.append(numpy_helper.from_array(np.asarray(a), name))
    graph_inputs = [helper.make_tensor_value_info(in_name, elem, list(in_shape))]
    for t in tensors:
        if t.name in inputs_with_inits:
            graph_inputs.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    g = helper.make_graph(nodes, "t", graph_inputs,
                          [helper.make_tensor_value_info(out_name, out_elem or elem, out_shape)], initializer=tensors)
    ops = [helper.make_opsetid("", opset)]
    m = helper.make_model(g, opset_imports=ops)
    m.ir_version = max(helper.find_min_ir_version_for(ops), 4)  # IR 4: initializers need not be inputs
    if out_shape is None:
        m = onnx.shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
    onnx.checker.check_model(m, full_check=True)
    return m


def dyadic_points(shape, elem, n, seed):
    """``n`` random points of ``shape`` with coordinates k/8 (k/4 for float16, smaller range)."""
    rng = np.random.default_rng(seed)
    scale, lim = (4, 8) if elem in (H, BF) else (8, 24)
    return [(rng.integers(-lim, lim + 1, size=shape) / scale) for _ in range(n)]


def exact_outputs(m, x):
    net = load_onnx(m.SerializeToString())
    return list(evaluate(net, [Fraction(float(v)) for v in np.asarray(x).ravel()]))


def fractions_of(a) -> list[Fraction]:
    return [Fraction(float(v)) for v in np.asarray(a).astype(np.float64).ravel()]


def reference_outputs(m, x, elem):
    (y,) = ReferenceEvaluator(m).run(None, {m.graph.input[0].name: np.asarray(x).astype(NP[elem])})[:1]
    return fractions_of(y)


def ort_outputs(m, x, elem):
    """onnxruntime's outputs, or None when it cannot run the model (old opset, missing kernel)."""
    if ort is None:
        return None
    so = ort.SessionOptions()
    so.log_severity_level = 4
    so.intra_op_num_threads = so.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        (y,) = sess.run([m.graph.output[0].name], {m.graph.input[0].name: np.asarray(x).astype(NP[elem])})
    except Exception:  # noqa: BLE001 - onnxruntime lacks some old or float16 kernels
        return None
    return fractions_of(y)


@dataclass
class Case:
    id: str
    model: Any
    in_shape: tuple
    elem: int = F
    ref: bool = True                  # compare with the ONNX reference evaluator
    oracle: Callable | None = None    # exact oracle: x (numpy) -> list of Fractions
    ort_required: bool = False        # onnxruntime must run it (where the reference cannot be used)
    points: int = 3

    def covers(self) -> set[tuple[str, int, frozenset]]:
        """(op, version, attribute names) of every node."""
        opset = next(o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx"))
        out = set()
        for node in self.model.graph.node:
            v = onnx.defs.get_schema(node.op_type, opset, "").since_version
            out.add((node.op_type, v, frozenset(a.name for a in node.attribute)))
        return out


CASES: list[Case] = []


def case(id, nodes, in_shape, inits=None, opset=13, elem=F, **kw):
    build_kw = {k: kw.pop(k) for k in ("out_shape", "out_elem", "inputs_with_inits") if k in kw}
    CASES.append(Case(id, build(nodes, in_shape, inits, opset, elem, **build_kw), tuple(in_shape), elem, **kw))


N = helper.make_node


# --------------------------------------------------------------------------------------
# the cases: every operator version the loader accepts, and its attributes
# --------------------------------------------------------------------------------------
W34 = arr([[0.5, -1, 0.25, 2], [1, 0.125, -0.5, 0], [-2, 1.5, 0.75, -0.25]])  # (3, 4)

# -- elementwise piecewise linear and affine --------------------------------------------------
for op, opsets in (("Abs", (7, 13)), ("Relu", (7, 13, 14)), ("Neg", (7, 13))):
    for o in opsets:
        for elem in (F, D, H):
            case(f"{op}-opset{o}-{elem}", [N("Add", ["x", "c"], ["s"]), N(op, ["s"], ["y"])], [1, 4],
                 {"c": arr([0.5, -1, 0, 2], NP[elem])}, o, elem)
for op, opsets in (("Add", (7, 13, 14)), ("Sub", (7, 13, 14))):
    for o in opsets:
        case(f"{op}-opset{o}-computed", [N("Relu", ["x"], ["r"]), N(op, ["x", "r"], ["y"])], [1, 2, 3], opset=o)
        case(f"{op}-opset{o}-broadcast-const", [N(op, ["c", "x"], ["y"])], [1, 2, 3], {"c": arr([[0.5], [-1]])}, o)
        case(f"{op}-opset{o}-double", [N(op, ["x", "c"], ["y"])], [2, 3], {"c": arr([0.25, 1, -3], np.float64)}, o, D)
for o in (7, 13, 14):
    case(f"Mul-opset{o}", [N("Mul", ["x", "c"], ["m"]), N("Mul", ["k", "m"], ["y"])], [1, 3],
         {"c": arr([0.5, -2, 0]), "k": arr(0.25)}, o)
    case(f"Div-opset{o}", [N("Div", ["x", "c"], ["y"])], [1, 3], {"c": arr([0.5, -4, 0.125])}, o)
    case(f"Mul-Div-constants-opset{o}", [N("Mul", ["a", "b"], ["ab"]), N("Div", ["ab", "c"], ["q"]),
                                        N("Add", ["x", "q"], ["y"])], [1, 2],
         {"a": arr([1.5, -0.5]), "b": arr([2, 0.25]), "c": arr([4, 0.5])}, o)
for o in (7, 16):
    for alpha in (None, 0.25, -0.5, 2.0, 1.0, 0.0):
        attrs = {} if alpha is None else {"alpha": alpha}
        elem = D if alpha is None else F  # the default alpha float32(0.01) times k/8 is exact in float64
        case(f"LeakyRelu-opset{o}-alpha{alpha}", [N("LeakyRelu", ["x"], ["y"], **attrs)], [1, 5], opset=o, elem=elem)
for o in (7, 9, 16):
    for slope in (arr(0.25), arr([0.5, -1, 2]).reshape(3, 1), arr([0.5, 0, -0.25, 1])):
        shape = [1, 3, 4] if slope.ndim == 2 else [1, 3, 4]
        case(f"PRelu-opset{o}-slope{list(slope.shape)}", [N("PRelu", ["x", "s"], ["y"])], shape, {"s": slope}, o)
# Clip: attributes (6), inputs (11-13); missing bounds; min > max
for attrs in ({"min": -0.5, "max": 0.75}, {"min": 0.0}, {"max": 0.25}, {}, {"min": 1.0, "max": -1.0},
              {"min": float("-inf"), "max": 1.0}):
    for elem in (F, D):
        case(f"Clip-opset7-{sorted(attrs.items())}-{elem}", [N("Clip", ["x"], ["y"], **attrs)], [1, 6], opset=7,
             elem=elem)
case("Clip-opset7-double-no-bounds-huge", [N("Mul", ["x", "big"], ["b"]), N("Clip", ["b"], ["y"], min=0.0)],
     [1, 6], {"big": arr(2.0 ** 126, np.float64)}, 7, D)  # the missing max is float32's max: it clips
for o in (11, 12, 13):
    for ins, vals in ((["x", "lo", "hi"], {"lo": arr(-0.5), "hi": arr(0.75)}), (["x", "lo"], {"lo": arr(-0.25)}),
                      (["x", "", "hi"], {"hi": arr(0.5)}), (["x"], {}), (["x", "lo", "hi"], {"lo": arr(1), "hi": arr(-1)})):
        case(f"Clip-opset{o}-{'-'.join(i or '_' for i in ins[1:])}-{sorted(vals)}", [N("Clip", ins, ["y"])], [1, 6],
             vals, o)
case("Clip-opset13-float16", [N("Clip", ["x", "lo", "hi"], ["y"])], [1, 6],
     {"lo": arr(-0.5, np.float16), "hi": arr(1, np.float16)}, 13, H)
# Max / Min / Sum / Mean
for op in ("Max", "Min", "Sum", "Mean"):
    versions = {"Max": (7, 8, 12, 13), "Min": (7, 8, 12, 13), "Sum": (7, 8, 13), "Mean": (7, 8, 13)}[op]
    for o in versions:
        case(f"{op}-opset{o}-one", [N(op, ["x"], ["y"])], [1, 4], opset=o)
        case(f"{op}-opset{o}-two-computed", [N("Relu", ["x"], ["r"]), N(op, ["x", "r"], ["y"])], [1, 4], opset=o)
        n_in = ["x", "c", "r", "x"] if op == "Mean" else ["x", "c", "r"]
        if o >= 8:
            case(f"{op}-opset{o}-broadcast", [N("Relu", ["x"], ["r"]), N(op, n_in, ["y"])], [2, 4],
                 {"c": arr([0.5, -1, 0, 0.25])}, o)
        else:
            case(f"{op}-opset{o}-same-shape", [N("Relu", ["x"], ["r"]), N(op, n_in, ["y"])], [2, 4],
                 {"c": arr([[0.5, -1, 0, 0.25], [1, 1, -1, 0]])}, o)
case("Max-opset13-constants", [N("Max", ["a", "b"], ["m"]), N("Add", ["x", "m"], ["y"])], [1, 3],
     {"a": arr([1, -2, 0.5]), "b": arr([0.25, -1, 3])}, 13)

# -- MatMul / Gemm ------------------------------------------------------------------------------
for o in (7, 9, 13):
    case(f"MatMul-opset{o}-row", [N("MatMul", ["x", "W"], ["y"])], [1, 3], {"W": W34}, o)
    case(f"MatMul-opset{o}-vec-right", [N("MatMul", ["x", "W"], ["y"])], [3], {"W": W34}, o)
    case(f"MatMul-opset{o}-vec-left", [N("MatMul", ["W", "x"], ["y"])], [4], {"W": W34}, o)
    case(f"MatMul-opset{o}-batched", [N("MatMul", ["x", "W"], ["y"])], [2, 1, 3], {"W": np.stack([W34, -W34])}, o)
    case(f"MatMul-opset{o}-const-left-2d", [N("MatMul", ["W", "x"], ["y"])], [4, 2], {"W": W34}, o)
case("MatMul-opset13-float16", [N("MatMul", ["x", "W"], ["y"])], [1, 3], {"W": W34.astype(np.float16)}, 13, H)
case("MatMul-opset13-double", [N("MatMul", ["x", "W"], ["y"])], [2, 3], {"W": W34.astype(np.float64)}, 13, D)
for o in (7, 9, 11, 13):
    for ta, tb, alpha, beta, cshape in ((0, 0, None, None, (4,)), (0, 1, 0.5, 2.0, (1, 4)), (1, 0, 2.0, 0.25, (2, 4)),
                                        (1, 1, None, 0.5, ()), (0, 0, 0.25, None, None)):
        if cshape is None and o < 11:
            continue  # C is required before Gemm-11
        attrs = {k: v for k, v in (("transA", ta), ("transB", tb), ("alpha", alpha), ("beta", beta)) if v is not None}
        a_shape = [3, 2] if ta else [2, 3]
        W = W34.T.copy() if tb else W34
        inits = {"W": W}
        ins = ["x", "W"]
        if cshape is not None:
            inits["C"] = (np.arange(int(np.prod(cshape))).reshape(cshape) / 4 - 1).astype(np.float32)
            ins.append("C")
        case(f"Gemm-opset{o}-tA{ta}-tB{tb}-a{alpha}-b{beta}-C{cshape}", [N("Gemm", ins, ["y"], **attrs)], a_shape,
             inits, o)
case("Gemm-opset13-const-A", [N("Gemm", ["W", "x"], ["y"], transA=1)], [3, 2], {"W": W34[:, :2].copy()}, 13)
case("Gemm-opset13-double", [N("Gemm", ["x", "W", "C"], ["y"], transB=1, alpha=0.5)], [1, 4],
     {"W": W34.astype(np.float64), "C": arr([1, 2, 3], np.float64)}, 13, D)

# -- Conv ---------------------------------------------------------------------------------------------
rng = np.random.default_rng(7)


def wts(*shape, scale=4, lim=4, dtype=np.float32):
    return (rng.integers(-lim, lim + 1, size=shape) / scale).astype(dtype)


for o in (7, 11, 22):
    for attrs in ({}, {"pads": [1, 0, 1, 2], "strides": [2, 1]}, {"dilations": [1, 2], "pads": [0, 1, 0, 1]},
                  {"group": 2}, {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, {"auto_pad": "SAME_LOWER"},
                  {"auto_pad": "VALID", "strides": [1, 2]}, {"kernel_shape": [3, 2]}, {"auto_pad": "NOTSET"}):
        g = attrs.get("group", 1)
        case(f"Conv-opset{o}-{sorted(attrs.items())}", [N("Conv", ["x", "W", "B"], ["y"], **attrs)], [1, 4, 5, 5],
             {"W": wts(4, 4 // g, 3, 2), "B": wts(4)}, o, points=2)
    case(f"Conv-opset{o}-1d-nobias", [N("Conv", ["x", "W"], ["y"], pads=[1, 1], strides=[2])], [1, 2, 7],
         {"W": wts(3, 2, 3)}, o)
    case(f"Conv-opset{o}-3d", [N("Conv", ["x", "W", "B"], ["y"], pads=[0, 1, 0, 0, 0, 1])], [1, 1, 3, 3, 2],
         {"W": wts(2, 1, 2, 2, 2), "B": wts(2)}, o, points=2)
case("Conv-opset13-double-group4", [N("Conv", ["x", "W"], ["y"], group=4, auto_pad="SAME_UPPER")], [1, 4, 4, 3],
     {"W": wts(8, 1, 2, 2, dtype=np.float64)}, 13, D, points=2)
case("Conv-opset13-float16", [N("Conv", ["x", "W", "B"], ["y"])], [1, 1, 3, 3],
     {"W": wts(1, 1, 2, 2, dtype=np.float16), "B": wts(1, dtype=np.float16)}, 13, H)

# -- pools: window counts are powers of two, so the reference's averages are exact -------------------
for o in (7, 10, 11, 19, 22):
    variants = [{"kernel_shape": [2, 2]}, {"kernel_shape": [2, 2], "strides": [2, 2]},
                {"kernel_shape": [2, 1], "pads": [1, 0, 1, 0], "count_include_pad": 0},
                {"kernel_shape": [2, 2], "pads": [1, 1, 1, 1], "strides": [2, 2], "count_include_pad": 1},
                {"kernel_shape": [2, 2], "auto_pad": "SAME_UPPER"}, {"kernel_shape": [1, 2], "auto_pad": "SAME_LOWER"},
                {"kernel_shape": [2, 2], "auto_pad": "VALID", "strides": [1, 2]}]
    if o >= 10:
        variants += [{"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1},
                     {"kernel_shape": [2, 1], "strides": [2, 1], "pads": [0, 0, 1, 0], "ceil_mode": 1}]
    if o >= 19:
        variants += [{"kernel_shape": [2, 2], "dilations": [2, 1]},
                     {"kernel_shape": [2, 2], "dilations": [1, 2], "pads": [0, 1, 0, 1], "count_include_pad": 1}]
    for attrs in variants:
        case(f"AveragePool-opset{o}-{sorted(attrs.items())}", [N("AveragePool", ["x"], ["y"], **attrs)], [1, 2, 5, 4],
             opset=o, points=2)
case("AveragePool-opset13-1d-double", [N("AveragePool", ["x"], ["y"], kernel_shape=[2], pads=[1, 1])], [1, 1, 5],
     opset=13, elem=D)
for o in (7, 8, 10, 11, 12, 22):
    variants = [{"kernel_shape": [3, 3]}, {"kernel_shape": [2, 2], "strides": [2, 2]},
                {"kernel_shape": [3, 2], "pads": [1, 0, 1, 1], "strides": [2, 1]},
                {"kernel_shape": [2, 2], "auto_pad": "SAME_UPPER"}, {"kernel_shape": [3, 3], "auto_pad": "SAME_LOWER"},
                {"kernel_shape": [2, 3], "auto_pad": "VALID"}]
    if o >= 8:
        variants.append({"kernel_shape": [2, 2], "storage_order": 1})
    if o >= 10:
        variants += [{"kernel_shape": [2, 2], "dilations": [2, 2]}, {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1},
                     {"kernel_shape": [3, 1], "strides": [2, 1], "pads": [0, 0, 1, 0], "ceil_mode": 1}]
    for attrs in variants:
        case(f"MaxPool-opset{o}-{sorted(attrs.items())}", [N("MaxPool", ["x"], ["y"], **attrs)], [1, 2, 5, 4],
             opset=o, points=2)
case("MaxPool-opset12-1d-dilated", [N("MaxPool", ["x"], ["y"], kernel_shape=[2], dilations=[2])], [1, 1, 6], opset=12)
case("MaxPool-opset13-float16", [N("MaxPool", ["x"], ["y"], kernel_shape=[2, 2])], [1, 1, 3, 3], opset=13, elem=H)
def global_max_oracle(x):
    return fractions_of(np.max(x, axis=tuple(range(2, np.ndim(x))), keepdims=True))


for op in ("GlobalAveragePool", "GlobalMaxPool"):
    for o in (7, 22):
        case(f"{op}-opset{o}-2d", [N(op, ["x"], ["y"])], [1, 3, 2, 4], opset=o)
        # the reference's GlobalMaxPool reduces the wrong axes unless there are exactly two spatial axes
        kw = {"ref": False, "oracle": global_max_oracle} if op == "GlobalMaxPool" else {}
        case(f"{op}-opset{o}-1d", [N(op, ["x"], ["y"])], [1, 2, 4], opset=o, elem=D, **kw)
        case(f"{op}-opset{o}-3d", [N(op, ["x"], ["y"])], [1, 2, 2, 2, 2], opset=o, **kw)


# -- BatchNormalization: var + epsilon is a power of 4 (exact square root and division) --------------
def bn_oracle(scale, bias, mean, var, eps, spatial=True):
    """Exact Y = scale * (X - mean) / sqrt(var + eps) + B (inference), channel axis 1."""
    def sqrt(q: Fraction) -> Fraction:
        r = Fraction(int(np.sqrt(q.numerator)), int(np.sqrt(q.denominator)))
        assert r * r == q
        return r

    def f(x):
        x = np.asarray(x, dtype=np.float64)
        fr = np.vectorize(lambda v: Fraction(float(v)), otypes=[object])
        s, b, m, v = (fr(np.asarray(p, dtype=np.float64)) for p in (scale, bias, mean, var))
        e = Fraction(float(np.float32(eps)))
        X = fr(x)
        if x.ndim == 1:
            shape = (-1,)
        elif spatial:
            shape = (1, -1) + (1,) * (x.ndim - 2)
        else:
            shape = (1,) + x.shape[1:]
        s, b, m, v = (a.reshape(shape) for a in (s, b, m, v))
        den = np.vectorize(lambda q: sqrt(q + e), otypes=[object])(v)
        return list((s * (X - m) / den + b).ravel())
    return f


def bn_case(id, opset, x_shape, elem=F, params_dtype=None, spatial=None, eps=0.25, attrs=None, as_inputs=False,
            mean_dtype=None):
    C = 1 if len(x_shape) == 1 else x_shape[1]
    pshape = (C,) if spatial in (None, 1) else tuple(x_shape[1:])
    k = int(np.prod(pshape))
    dt = params_dtype or NP[elem]
    scale = (np.arange(k) % 3 - 1) / 2 + 0.25
    bias = (np.arange(k) % 4) / 4 - 0.5
    mean = (np.arange(k) % 5) / 8 - 0.25
    e32 = float(np.float32(eps if eps is not None else 1e-5))
    var = np.array([[4.0, 1.0, 0.25, 16.0][i % 4] for i in range(k)]) - e32  # var + eps is a power of 4
    scale, bias, mean, var = (np.asarray(a, dtype=np.float64).reshape(pshape) for a in (scale, bias, mean, var))
    md = mean_dtype or dt
    inits = {"s": scale.astype(dt), "b": bias.astype(dt), "m": mean.astype(md), "v": var.astype(md)}
    assert all((inits[n].astype(np.float64) == a).all() for n, a in zip("sbmv", (scale, bias, mean, var)))
    at = dict(attrs or {})
    if eps is not None:
        at["epsilon"] = eps
    if spatial is not None:
        at["spatial"] = spatial
    oracle = bn_oracle(scale, bias, mean, var, eps if eps is not None else 1e-5, spatial in (None, 1))
    ref_ok = opset >= 14  # the reference evaluator is wrong for BatchNormalization-7 and -9 (see the docstring)
    case(id, [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], **at)], x_shape, inits, opset, elem,
         ref=ref_ok, oracle=oracle, inputs_with_inits=("s", "b", "m", "v") if as_inputs else ())


for o in (7, 9, 14, 15):
    bn_case(f"BatchNormalization-opset{o}-4d", o, [2, 3, 2, 2])
    bn_case(f"BatchNormalization-opset{o}-2d", o, [2, 5])
    bn_case(f"BatchNormalization-opset{o}-3d-double", o, [1, 2, 3], elem=D)
    bn_case(f"BatchNormalization-opset{o}-momentum", o, [1, 2, 2, 2], attrs={"momentum": 0.5})
    bn_case(f"BatchNormalization-opset{o}-params-are-inputs", o, [1, 3, 2, 1], as_inputs=True)
    bn_case(f"BatchNormalization-opset{o}-default-eps-double", o, [1, 2, 2], elem=D, eps=None)
bn_case("BatchNormalization-opset7-spatial1", 7, [1, 2, 2, 2], spatial=1)
bn_case("BatchNormalization-opset7-spatial0", 7, [2, 2, 2, 3], spatial=0)
bn_case("BatchNormalization-opset7-spatial0-2d", 7, [2, 3], spatial=0)
bn_case("BatchNormalization-opset9-1d", 9, [4])
bn_case("BatchNormalization-opset15-1d", 15, [3], elem=D)
bn_case("BatchNormalization-opset14-training0", 14, [1, 2, 2], attrs={"training_mode": 0})
bn_case("BatchNormalization-opset15-float16", 15, [1, 2, 2], elem=H)
bn_case("BatchNormalization-opset15-mixed-types", 15, [1, 2, 2], elem=F, mean_dtype=np.float64)
bn_case("BatchNormalization-opset15-float16-x-float32-params", 15, [1, 2, 2], elem=H, params_dtype=np.float32)

# -- Cast / CastLike: rounding of constants done exactly; widening casts of computed tensors --------
CAST_VERSIONS = (7, 9, 13, 19, 21, 23, 24, 25, 28)
consts64 = np.array([1 / 3, -2 / 7, 1e-6, 6.1e-5, 3.0e-8, 65504.0, -12345.678, 0.1, 2.0 ** -24, 2.0 ** -25 * 3], np.float64)
for o in CAST_VERSIONS:
    extra = {"saturate": 1} if o >= 19 else {}
    if o >= 24:
        extra["round_mode"] = "up"
    for to in (H, F, BF) if o >= 13 else (H, F):
        case(f"Cast-opset{o}-const-double-to-{TensorProto.DataType.Name(to)}",
             [N("Cast", ["c"], ["c1"], to=to, **extra), N("Cast", ["c1"], ["c2"], to=D), N("Add", ["x", "c2"], ["y"])],
             [10], {"c": consts64}, o, D)
    for to in (TensorProto.INT32, TensorProto.INT8, TensorProto.UINT8, I64, TensorProto.BOOL):
        vals = np.array([2.75, -2.75, 0.5, -0.5, 100.0, 0.0, -100.25], np.float64)
        if to == TensorProto.UINT8:
            vals = np.abs(vals)
        case(f"Cast-opset{o}-const-to-{TensorProto.DataType.Name(to)}",
             [N("Cast", ["c"], ["c1"], to=to, **extra), N("Cast", ["c1"], ["c2"], to=D), N("Add", ["x", "c2"], ["y"])],
             [7], {"c": vals}, o, D)
    case(f"Cast-opset{o}-int64-wraps-to-int8",
         [N("Cast", ["c"], ["c1"], to=TensorProto.INT8, **extra), N("Cast", ["c1"], ["c2"], to=D),
          N("Add", ["x", "c2"], ["y"])], [4], {"c": i64(200, -200, 127, 300)}, o, D)
    case(f"Cast-opset{o}-int64-to-float-rounds",
         [N("Cast", ["c"], ["c1"], to=F, **extra), N("Cast", ["c1"], ["c2"], to=D), N("Sub", ["x", "c2"], ["d"]),
          N("Add", ["d", "c0"], ["y"])], [3],
         {"c": i64(2 ** 24 + 1, 2 ** 24 + 3, -(2 ** 30) - 65), "c0": np.array([2 ** 24, 2 ** 24, -(2 ** 30)], np.float64)},
         o, D)
    for frm, to in ((H, F), (F, D), (H, D), (D, D), (F, F)):
        case(f"Cast-opset{o}-computed-{TensorProto.DataType.Name(frm)}-to-{TensorProto.DataType.Name(to)}",
             [N("Relu", ["x"], ["r"]), N("Cast", ["r"], ["y"], to=to, **extra)], [1, 4], opset=o, elem=frm, out_elem=to)
    if o >= 13:
        case(f"Cast-opset{o}-computed-bfloat16-to-float",
             [N("Cast", ["x"], ["y"], to=F, **extra)], [1, 3], opset=o, elem=BF, out_elem=F, ref=False,
             oracle=lambda x: fractions_of(x))
for o in (15, 19, 21, 23, 24, 25):
    extra = {"saturate": 1} if o >= 19 else {}
    case(f"CastLike-opset{o}-const-to-float16",
         [N("CastLike", ["c", "like"], ["c1"], **extra), N("Cast", ["c1"], ["c2"], to=D), N("Add", ["x", "c2"], ["y"])],
         [10], {"c": consts64, "like": arr([0], np.float16)}, o, D)
    case(f"CastLike-opset{o}-computed-widening",
         [N("Relu", ["x"], ["r"]), N("CastLike", ["r", "like"], ["y"], **extra)], [1, 3], {"like": arr([0], np.float64)},
         o, F, out_elem=D)
    case(f"CastLike-opset{o}-const-to-int32",
         [N("CastLike", ["c", "like"], ["c1"]), N("Cast", ["c1"], ["c2"], to=F), N("Add", ["x", "c2"], ["y"])],
         [3], {"c": arr([1.75, -1.75, 3]), "like": np.array([0], np.int32)}, o, F)
    if o >= 24:  # the reference's CastLike does not take round_mode: an exact oracle instead (numpy's float16 rounding)
        case(f"CastLike-opset{o}-round_mode",
             [N("CastLike", ["c", "like"], ["c1"], round_mode="up", **extra), N("Cast", ["c1"], ["c2"], to=D),
              N("Add", ["x", "c2"], ["y"])], [10], {"c": consts64, "like": arr([0], np.float16)}, o, D, ref=False,
             oracle=lambda x: fractions_of(np.asarray(x, np.float64) + consts64.astype(np.float16).astype(np.float64)))
for o in (9, 13, 19):  # shape arithmetic in float, as exporters write it (exact here, so the casts are modelled)
    case(f"Cast-opset{o}-float-shape-arithmetic",
         [N("Shape", ["x"], ["s"]), N("Cast", ["s"], ["sf"], to=F), N("Mul", ["sf", "half"], ["h"]),
          N("Cast", ["h"], ["hi"], to=I64), N("Cast", ["hi"], ["hf"], to=F), N("Relu", ["x"], ["r"]),
          N("Flatten", ["r"], ["fr"], axis=0), N("Unsqueeze", ["hf", "ax0"], ["h2"]) if o >= 13 else
          N("Unsqueeze", ["hf"], ["h2"], axes=[0]), N("Concat", ["fr", "h2"], ["y"], axis=1)],
         [2, 6], {"half": arr(0.5), **({"ax0": i64(0)} if o >= 13 else {})}, o, points=1)
case("float16-weights-subnormal-and-max", [N("Cast", ["x"], ["xd"], to=D), N("Mul", ["xd", "w"], ["y"])], [4],
     {"w": np.array([2.0 ** -24, 2.0 ** -14 * 0.5, 65504.0, -2.0 ** -20], np.float16).astype(np.float64)},
     13, H, out_elem=D)
case("bfloat16-initializer", [N("Cast", ["w"], ["wd"], to=D), N("Mul", ["x", "wd"], ["y"])], [3],
     {"w": ("bf16", [1.5, -2.0 ** -100, 3.0 * 2.0 ** 100])}, 13, D)

# -- shape operators ---------------------------------------------------------------------------------
for o in (7, 9, 11, 13, 21, 23, 24, 25):
    for axis in (None, 0, 1, 2, 3) + ((-1, -3) if o >= 11 else ()):
        attrs = {} if axis is None else {"axis": axis}
        case(f"Flatten-opset{o}-axis{axis}", [N("Flatten", ["x"], ["y"], **attrs)], [1, 2, 3, 2], opset=o, points=1)
for o in (7, 13, 14, 16, 19, 21, 23, 24, 25):
    case(f"Identity-opset{o}", [N("Identity", ["x"], ["i"]), N("Relu", ["i"], ["y"])], [1, 3], opset=o)
for o in (7, 13, 14, 19, 21, 23, 24, 25):
    for shape in (i64(0, -1), i64(3, 2), i64(-1), i64(1, 2, 3, 1), i64(0, 0, 3)):
        case(f"Reshape-opset{o}-{shape.tolist()}", [N("Reshape", ["x", "s"], ["y"])], [1, 2, 3, 1] if len(shape) >= 3
             else [1, 6], {"s": shape}, o, points=1)
    if o >= 14:
        case(f"Reshape-opset{o}-allowzero1", [N("Reshape", ["x", "s"], ["y"], allowzero=1)], [1, 6], {"s": i64(6, 1)},
             o, points=1)
        case(f"Reshape-opset{o}-allowzero0", [N("Reshape", ["x", "s"], ["y"], allowzero=0)], [1, 6], {"s": i64(0, 3, 2)},
             o, points=1)
for o in (7, 13, 21, 23, 24, 25):
    for perm in (None, [0, 2, 1], [2, 0, 1]):
        attrs = {} if perm is None else {"perm": perm}
        case(f"Transpose-opset{o}-{perm}", [N("Transpose", ["x"], ["y"], **attrs)], [1, 2, 3], opset=o, points=1)
for o in (7, 11, 13, 21, 23, 24, 25):
    if o < 13:
        case(f"Squeeze-opset{o}-axes", [N("Squeeze", ["x"], ["y"], axes=[0, 2])], [1, 3, 1, 2], opset=o, points=1)
        case(f"Squeeze-opset{o}-all", [N("Squeeze", ["x"], ["y"])], [1, 3, 1, 2], opset=o, points=1)
        case(f"Unsqueeze-opset{o}", [N("Unsqueeze", ["x"], ["y"], axes=[0, 3])], [2, 3], opset=o, points=1)
        if o >= 11:
            case(f"Squeeze-opset{o}-neg", [N("Squeeze", ["x"], ["y"], axes=[-2])], [1, 3, 1, 2], opset=o, points=1)
            case(f"Unsqueeze-opset{o}-neg", [N("Unsqueeze", ["x"], ["y"], axes=[-1, 1])], [2, 3], opset=o, points=1)
    else:
        case(f"Squeeze-opset{o}-axes", [N("Squeeze", ["x", "a"], ["y"])], [1, 3, 1, 2], {"a": i64(0, -2)}, o, points=1)
        case(f"Squeeze-opset{o}-all", [N("Squeeze", ["x"], ["y"])], [1, 3, 1, 2], opset=o, points=1)
        case(f"Unsqueeze-opset{o}", [N("Unsqueeze", ["x", "a"], ["y"])], [2, 3], {"a": i64(-1, 0)}, o, points=1)
for o in (7, 11, 13):
    axes = (0, 1, 2) + ((-1, -3) if o >= 11 else ())
    for axis in axes:
        case(f"Concat-opset{o}-axis{axis}", [N("Relu", ["x"], ["r"]), N("Concat", ["x", "r", "x"], ["y"], axis=axis)],
             [1, 2, 2], opset=o, points=1)
    case(f"Concat-opset{o}-const", [N("Concat", ["c", "x"], ["y"], axis=1)], [2, 2], {"c": arr([[0.5], [-1]])}, o)
for o in (7, 11, 13):
    for axis, idx in ((0, i64(0, 0)), (1, i64(2, 0, 1, 1)), (1, np.array([[0, 2], [1, 1]], np.int64)),
                      (2, np.array(1, np.int64)), (-1, i64(1))):
        if o < 11 and axis < 0:
            continue
        case(f"Gather-opset{o}-axis{axis}-{idx.tolist()}", [N("Gather", ["x", "i"], ["y"], axis=axis)], [1, 3, 2],
             {"i": idx}, o, points=1)
    if o >= 11:
        case(f"Gather-opset{o}-negative-indices", [N("Gather", ["x", "i"], ["y"], axis=1)], [1, 3, 2],
             {"i": i64(-1, -3, 0)}, o, points=1)
    case(f"Gather-opset{o}-int32-indices", [N("Gather", ["x", "i"], ["y"])], [3, 2], {"i": np.array([2, 0], np.int32)}, o)
# Slice: attributes (opsets 7-9), inputs (10+), negative steps and the spec's clamping
SLICES = [((1,), (4,), None, None), ((-3,), (100,), (1,), None), ((0, 1), (-1, 1000), None, None),
          ((-1,), (-100,), (1,), (-1,)), ((4,), (0,), (1,), (-2,)), ((-5,), (-10,), (1,), (-1,)),
          ((10,), (-10,), (1,), (-1,)), ((0,), (3,), (-1,), (2,)), ((1, 0), (2, 3), (0, 1), (1, 2))]
for o in (7, 10, 11, 13):
    for s, e, a, stp in SLICES:
        if o < 10 and stp is not None or o < 11 and a is not None and min(a) < 0:
            continue
        if o < 10:
            attrs = {"starts": list(s), "ends": list(e)}
            if a is not None:
                attrs["axes"] = list(a)
            nodes, inits = [N("Slice", ["x"], ["y"], **attrs)], {}
        else:
            ins, inits = ["x", "s", "e"], {"s": i64(*s), "e": i64(*e)}
            if a is not None or stp is not None:
                ins.append("a")
                inits["a"] = i64(*(a if a is not None else range(len(s))))
            if stp is not None:
                ins.append("st")
                inits["st"] = i64(*stp)
            nodes = [N("Slice", ins, ["y"])]
        # a negative step from a start below -dim: the spec (and onnxruntime) clamp the start to 0, the
        # reference evaluator follows numpy (empty result)
        spec_only = stp is not None and stp[0] < 0 and s[0] < -4
        case(f"Slice-opset{o}-{s}-{e}-{a}-{stp}", nodes, [2, 4], inits, o, points=1, ref=not spec_only,
             ort_required=spec_only)
    if o >= 10:
        case(f"Slice-opset{o}-int32", [N("Slice", ["x", "s", "e"], ["y"])], [2, 4],
             {"s": np.array([0, 1], np.int32), "e": np.array([1, 3], np.int32)}, o, points=1)
# Split
for o in (7, 11, 13, 18):
    if o < 13:
        variants = [({"axis": 1}, ["p", "q"]), ({"axis": 1, "split": [1, 3]}, ["p", "q"]),
                    ({"split": [1, 1]}, ["p", "q"])] + ([({"axis": -1, "split": [2, 2]}, ["p", "q"])] if o >= 11 else [])
        for attrs, outs in variants:
            case(f"Split-opset{o}-{sorted(attrs.items())}", [N("Split", ["x"], outs, **attrs), N("Sub", ["q", "p"], ["y"])],
                 [2, 4], opset=o, points=2)
    else:
        variants = [(["x"], {}, {"axis": 1}), (["x", "sp"], {"sp": i64(3, 1)}, {"axis": 1}),
                    (["x", "sp"], {"sp": i64(2, 2)}, {"axis": -1})]
        if o >= 18:
            variants = [(["x", "sp"], {"sp": i64(3, 1)}, {"axis": 1}), (["x"], {}, {"axis": 1, "num_outputs": 2})]
        for ins, inits, attrs in variants:
            case(f"Split-opset{o}-{ins}-{sorted(attrs.items())}", [N("Split", ins, ["p", "q"], **attrs),
                                                                  N("Sub", ["q", "p"], ["y"])],
                 [2, 4], inits, o, points=2)
        if o >= 18:
            case(f"Split-opset{o}-uneven-num_outputs", [N("Split", ["x"], ["p", "q", "r"], axis=1, num_outputs=3),
                                                       N("Concat", ["r", "q", "p"], ["y"], axis=1)], [2, 5], opset=o,
                 points=2)
# Pad
for o in (7, 11, 13, 18, 19, 21, 23, 24, 25):
    if o < 11:
        for attrs in ({"pads": [0, 1, 0, 2]}, {"pads": [1, 0, 0, 1], "value": 1.5}, {"pads": [0, -1, 1, 1]},
                      {"pads": [0, 1, 0, 1], "mode": "edge"}, {"pads": [1, 2, 1, 1], "mode": "reflect"},
                      {"pads": [0, 0, 0, 0], "mode": "constant"}):
            crop = min(attrs["pads"]) < 0  # the reference evaluator cannot crop; onnxruntime can
            case(f"Pad-opset{o}-{sorted(attrs.items())}", [N("Pad", ["x"], ["y"], **attrs)], [2, 3], opset=o, points=1,
                 ref=not crop, ort_required=crop)
        continue
    variants = [(["x", "p"], {"p": i64(0, 1, 0, 2)}, {}), (["x", "p", "v"], {"p": i64(1, 0, 0, 1), "v": arr(0.75)}, {}),
                (["x", "p", ""], {"p": i64(0, -1, 1, 1)}, {"mode": "constant"}),
                (["x", "p"], {"p": i64(1, 1, 1, 0)}, {"mode": "edge"}), (["x", "p"], {"p": i64(0, 2, 1, 1)}, {"mode": "reflect"})]
    if o >= 18:
        variants.append((["x", "p", "v", "a"], {"p": i64(1, 2), "v": arr(-0.5), "a": i64(-1)}, {}))
        variants.append((["x", "p", "", "a"], {"p": i64(1, 0, 0, 1), "a": i64(1, 0)}, {"mode": "edge"}))
    if o >= 19:
        variants.append((["x", "p"], {"p": i64(1, 2, 0, 3)}, {"mode": "wrap"}))
    for ins, inits, attrs in variants:
        crop = int(inits["p"].min()) < 0
        case(f"Pad-opset{o}-{ins}-{sorted(inits)}-{sorted(attrs.items())}", [N("Pad", ins, ["y"], **attrs)], [2, 3],
             inits, o, points=1, ref=not crop, ort_required=crop)
    case(f"Pad-opset{o}-int-constant", [N("Pad", ["c", "p"], ["cp"]), N("Cast", ["cp"], ["cf"], to=F),
                                       N("Add", ["x", "cf"], ["y"])], [2, 3], {"c": i64(1, -2), "p": i64(1, 0)}, o)

# -- constants, shapes, dropout ---------------------------------------------------------------------
for o in (7, 9, 11, 12, 13, 19, 21, 23, 24, 25):
    variants = [{"value": numpy_helper.from_array(arr([[0.5, -1.5, 0.25]]), "v")}]
    if o >= 12:
        variants += [{"value_float": 0.75}, {"value_floats": [0.5, -1.0, 2.0]}]
    for attrs in variants:
        case(f"Constant-opset{o}-{sorted(attrs)}", [N("Constant", [], ["c"], **attrs), N("Add", ["x", "c"], ["y"])],
             [1, 3], opset=o)
    if o >= 12:
        for attrs in ({"value_int": 2}, {"value_ints": [3, 1]}):
            case(f"Constant-opset{o}-{sorted(attrs)}", [N("Constant", [], ["c"], **attrs),
                                                       N("Cast", ["c"], ["cf"], to=F), N("Add", ["x", "cf"], ["y"])],
                 [1, 2] if "value_ints" in attrs else [1, 3], opset=o)
for o in (9, 20, 21, 23, 24, 25):
    for attrs in ({}, {"value": numpy_helper.from_array(arr([0.625]), "v")},
                  {"value": numpy_helper.from_array(np.array([3], np.int64), "v")}):
        nodes = [N("ConstantOfShape", ["s"], ["c"], **attrs)]
        if attrs and attrs["value"].data_type == I64:
            nodes.append(N("Cast", ["c"], ["cf"], to=F))
            last = "cf"
        else:
            last = "c"
        case(f"ConstantOfShape-opset{o}-{[a.data_type for a in attrs.values()]}",
             nodes + [N("Add", ["x", last], ["y"])], [2, 3], {"s": i64(2, 3)}, o, points=1)
for o in (7, 13, 15, 19, 21, 23, 24, 25):
    variants = [{}] + ([{"start": 1}, {"start": -1}, {"end": -1}, {"start": 0, "end": 10}, {"start": -10, "end": 1}]
                       if o >= 15 else [])
    unsq = N("Unsqueeze", ["sf"], ["s2"], axes=[0]) if o < 13 else N("Unsqueeze", ["sf", "ax0"], ["s2"])
    for attrs in variants:
        # y = [flatten(relu(x)), shape(x)[start:end]] as one row
        case(f"Shape-opset{o}-{sorted(attrs.items())}",
             [N("Shape", ["x"], ["s"], **attrs), N("Cast", ["s"], ["sf"], to=F), unsq, N("Relu", ["x"], ["r"]),
              N("Flatten", ["r"], ["fr"], axis=0), N("Concat", ["fr", "s2"], ["y"], axis=1)],
             [1, 3, 2], {"ax0": i64(0)} if o >= 13 else {}, o, points=1)
for o in (7, 13, 19, 21, 23, 24, 25):
    case(f"Size-opset{o}", [N("Size", ["x"], ["n"]), N("Cast", ["n"], ["nf"], to=F), N("Add", ["x", "nf"], ["y"])],
         [2, 3], opset=o, points=1)
for o in (7, 10):
    case(f"Dropout-opset{o}", [N("Dropout", ["x"], ["d"]), N("Relu", ["d"], ["y"])], [1, 4], opset=o)
    case(f"Dropout-opset{o}-ratio-unused-mask", [N("Dropout", ["x"], ["d", "mask"], ratio=0.3), N("Relu", ["d"], ["y"])],
         [1, 4], opset=o)
for o in (12, 13, 22):
    case(f"Dropout-opset{o}", [N("Dropout", ["x"], ["y"])], [1, 4], opset=o)
    case(f"Dropout-opset{o}-ratio-training-false", [N("Dropout", ["x", "r", "t"], ["y"], seed=3)], [1, 4],
         {"r": arr(0.5), "t": np.array(False)}, o)
    case(f"Dropout-opset{o}-mask-used", [N("Dropout", ["x", "r"], ["d", "mask"]), N("Cast", ["mask"], ["mf"], to=F),
                                        N("Mul", ["d", "mf"], ["y"])], [1, 4], {"r": arr(0.25)}, o)


# --------------------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_exact_network_equals_the_reference_to_the_last_bit(c: Case):
    ran = 0
    for k, x in enumerate(dyadic_points(c.in_shape, c.elem, c.points, seed=zlib.crc32(c.id.encode()))):
        x = np.asarray(x).astype(NP.get(c.elem, np.float32)) if c.elem != BF else np.asarray(x, dtype=np.float32)
        got = exact_outputs(c.model, x)
        if c.ref:
            assert got == reference_outputs(c.model, x, c.elem), f"point {k}: differs from the ONNX reference"
            ran += 1
        if c.oracle is not None:
            assert got == c.oracle(x), f"point {k}: differs from the exact oracle"
            ran += 1
        if c.elem != BF:
            theirs = ort_outputs(c.model, x, c.elem)
            if theirs is not None:
                assert got == theirs, f"point {k}: differs from onnxruntime"
                ran += 1
            elif c.ort_required:
                pytest.fail("onnxruntime cannot run the model")
    assert ran >= c.points  # something independent was compared at every point


def test_every_version_and_attribute_is_tested():
    covered = set().union(*(c.covers() for c in CASES))
    versions = {(op, v) for op, v, _ in covered}
    attrs = {(op, a) for op, _, names in covered for a in names}
    missing_v = [(op, v) for op, (vs, _) in SUPPORTED_OPERATORS.items() for v in vs if (op, v) not in versions]
    missing_a = [(op, a) for op, (_, names) in SUPPORTED_OPERATORS.items() for a in names if (op, a) not in attrs]
    assert not missing_v, f"operator versions without a differential case: {missing_v}"
    assert not missing_a, f"attributes without a differential case: {missing_a}"


def parse_operator_table(doc: str) -> dict[str, tuple[tuple[int, ...], frozenset[str]]]:
    """The operator table of the documentation (onnx_io's docstring) as ``{op: (versions, attributes)}``."""
    table: dict[str, tuple[tuple[int, ...], frozenset[str]]] = {}
    text = doc.split("Operator table", 1)[1].split("::", 1)[1].split("How each lowers", 1)[0]
    for line in text.splitlines():
        if "|" not in line:
            continue
        left, right = line.split("|", 1)
        words = left.split()
        table[words[0]] = (tuple(int(v) for v in words[1:]), frozenset(right.split()))
    return table


def test_operator_table_matches_handlers():
    doc_table = parse_operator_table(onnx_io.__doc__)
    assert doc_table == SUPPORTED_OPERATORS and len(doc_table) == 40
    for op, entry in onnx_io.OPERATORS.items():
        assert callable(entry.handler) and entry.handler.__name__.startswith("op_"), op
    assert set(onnx_io.OPERATORS) == set(SUPPORTED_OPERATORS)
    for op, (versions, attrs) in SUPPORTED_OPERATORS.items():
        union: set[str] = set()
        for v in versions:
            schema = onnx.defs.get_schema(op, v, "")
            assert schema.since_version == v, f"{op}-{v} is not an ONNX operator version"
            union |= set(schema.attributes)
        assert attrs <= union, f"{op}: {sorted(attrs - union)} are not attributes of {op}"
    # from the oldest to the newest opset accepted, every operator resolves to a modelled version
    for opset in range(onnx_io.MIN_OPSET, onnx_io.MAX_OPSET + 1):
        for op, (versions, _) in SUPPORTED_OPERATORS.items():
            try:
                v = onnx.defs.get_schema(op, opset, "").since_version
            except onnx.defs.SchemaError:
                continue  # the operator does not exist yet at this opset
            assert v in versions, f"{op} at opset {opset} is version {v}, not in the table"


def test_counts_reported():
    """The numbers the report quotes (fails loudly if the case list shrinks by accident)."""
    assert len(SUPPORTED_OPERATORS) == 40
    assert len(CASES) >= 600


# --------------------------------------------------------------------------------------
# random graphs
# --------------------------------------------------------------------------------------
@st.composite
def graphs(draw):
    """A random DAG of supported operators with small dyadic weights (float64, so exact)."""
    counter = itertools.count()

    def fresh(prefix="t"):
        return f"{prefix}{next(counter)}"

    def dy(shape, lim=4):
        return np.asarray(draw(st.lists(st.integers(-lim, lim), min_size=int(np.prod(shape)),
                                        max_size=int(np.prod(shape))))).reshape(shape) / 4.0

    nodes, inits = [], {}
    image = draw(st.booleans())
    in_shape = [1, draw(st.integers(1, 2)), draw(st.integers(2, 4)), draw(st.integers(2, 4))] if image else \
        [1, draw(st.integers(2, 5))]
    pool = [("x", tuple(in_shape))]
    n_ops = draw(st.integers(1, 6))
    for _ in range(n_ops):
        name, shape = draw(st.sampled_from(pool))
        out = fresh()
        rank = len(shape)
        choices = ["Relu", "Abs", "Neg", "LeakyRelu", "Clip", "AddConst", "MulConst", "DivConst", "Identity",
                   "Binary", "Max", "Sum"]
        if rank == 2:
            choices += ["MatMul", "Gemm", "Slice", "Transpose"]
        if rank == 4:
            choices += ["Conv", "MaxPool", "AveragePool", "BatchNormalization", "Flatten", "Pad", "Concat"]
            if shape[2] * shape[3] in (4, 8, 16):
                choices.append("GlobalAveragePool")
        op = draw(st.sampled_from(choices))
        if op in ("Relu", "Abs", "Neg", "Identity"):
            nodes.append(N(op, [name], [out]))
            new_shape = shape
        elif op == "LeakyRelu":
            nodes.append(N(op, [name], [out], alpha=draw(st.integers(-8, 8)) / 8))
            new_shape = shape
        elif op == "Clip":
            lo, hi = sorted(draw(st.lists(st.integers(-8, 8), min_size=2, max_size=2)))
            lo_n, hi_n = fresh("c"), fresh("c")
            inits[lo_n], inits[hi_n] = np.array(lo / 4), np.array(hi / 4)
            nodes.append(N("Clip", [name, lo_n, hi_n], [out]))
            new_shape = shape
        elif op in ("AddConst", "MulConst", "DivConst"):
            c = fresh("c")
            cshape = shape[-1:] if draw(st.booleans()) else shape
            if op == "DivConst":
                inits[c] = np.asarray(draw(st.lists(st.sampled_from([0.5, -2.0, 4.0, 0.25]), min_size=int(np.prod(cshape)),
                                                    max_size=int(np.prod(cshape))))).reshape(cshape)
            else:
                inits[c] = dy(cshape)
            nodes.append(N({"AddConst": "Add", "MulConst": "Mul", "DivConst": "Div"}[op], [name, c], [out]))
            new_shape = shape
        elif op in ("Binary", "Max", "Sum"):
            same = [n for n, s in pool if s == shape]
            other = draw(st.sampled_from(same))
            kind = draw(st.sampled_from(["Add", "Sub"])) if op == "Binary" else op
            if op == "Max":
                kind = draw(st.sampled_from(["Max", "Min"]))
            nodes.append(N(kind, [name, other], [out]))
            new_shape = shape
        elif op == "MatMul":
            m = draw(st.integers(1, 5))
            w = fresh("W")
            inits[w] = dy((shape[1], m))
            nodes.append(N("MatMul", [name, w], [out]))
            new_shape = (shape[0], m)
        elif op == "Gemm":
            m = draw(st.integers(1, 5))
            w, b = fresh("W"), fresh("b")
            inits[w], inits[b] = dy((m, shape[1])), dy((m,))
            nodes.append(N("Gemm", [name, w, b], [out], transB=1, alpha=draw(st.sampled_from([1.0, 0.5, 2.0]))))
            new_shape = (shape[0], m)
        elif op == "Slice":
            n = shape[1]
            s = draw(st.integers(0, n - 1))
            e = draw(st.integers(s + 1, n))
            names = [fresh("c") for _ in range(3)]
            for nm, v in zip(names, (s, e, 1)):
                inits[nm] = np.array([v], dtype=np.int64)
            nodes.append(N("Slice", [name] + names, [out]))
            new_shape = (shape[0], e - s)
        elif op == "Transpose":
            nodes.append(N("Transpose", [name], [out]))
            new_shape = shape[::-1]
        elif op == "Conv":
            C = shape[1]
            M = draw(st.integers(1, 2))
            kh, kw = draw(st.integers(1, min(2, shape[2]))), draw(st.integers(1, min(2, shape[3])))
            p = draw(st.integers(0, 1))
            w, b = fresh("W"), fresh("b")
            inits[w], inits[b] = dy((M, C, kh, kw)), dy((M,))
            nodes.append(N("Conv", [name, w, b], [out], pads=[p, p, p, p]))
            new_shape = (1, M, shape[2] + 2 * p - kh + 1, shape[3] + 2 * p - kw + 1)
        elif op in ("MaxPool", "AveragePool"):
            k = [draw(st.integers(1, min(2, shape[2]))), draw(st.integers(1, min(2, shape[3])))]
            s = draw(st.integers(1, 2))
            nodes.append(N(op, [name], [out], kernel_shape=k, strides=[s, s]))
            new_shape = (1, shape[1], (shape[2] - k[0]) // s + 1, (shape[3] - k[1]) // s + 1)
        elif op == "BatchNormalization":
            C = shape[1]
            names = [fresh("c") for _ in range(4)]
            var = np.asarray(draw(st.lists(st.sampled_from([1.0, 4.0, 0.25, 16.0]), min_size=C, max_size=C))) - 0.25
            for nm, v in zip(names, (dy((C,)), dy((C,)), dy((C,)), var)):
                inits[nm] = v
            nodes.append(N(op, [name] + names, [out], epsilon=0.25))
            new_shape = shape
        elif op == "Flatten":
            nodes.append(N("Flatten", [name], [out]))
            new_shape = (1, int(np.prod(shape[1:])))
        elif op == "Pad":
            pv = fresh("c")
            inits[pv] = np.array([0, 0, 1, 0, 0, 0, 0, 1], dtype=np.int64)
            nodes.append(N("Pad", [name, pv], [out]))
            new_shape = (1, shape[1], shape[2] + 1, shape[3] + 1)
        elif op == "Concat":
            same = [n for n, s in pool if s == shape]
            nodes.append(N("Concat", [name, draw(st.sampled_from(same))], [out], axis=1))
            new_shape = (1, 2 * shape[1], shape[2], shape[3])
        else:  # GlobalAveragePool
            nodes.append(N(op, [name], [out]))
            new_shape = (1, shape[1], 1, 1)
        pool.append((out, tuple(new_shape)))
    final = pool[-1][0]
    nodes.append(N("Identity", [final], ["y"]))
    inits = {k: np.asarray(v, dtype=np.float64) if np.asarray(v).dtype.kind == "f" else v for k, v in inits.items()}
    return nodes, inits, in_shape


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs(), st.integers(0, 2 ** 16))
def test_random_graphs_equal_the_reference_exactly(g, seed):
    nodes, inits, in_shape = g
    m = build(nodes, in_shape, inits, 15, D)  # validated by onnx.checker inside; BatchNormalization-15
    for x in dyadic_points(in_shape, D, 2, seed):
        got = exact_outputs(m, x)
        assert got == reference_outputs(m, x, D)
        theirs = ort_outputs(m, x, D)
        if theirs is not None:
            assert got == theirs
