"""ONNX import: real benchmark networks and every lowered operator against onnxruntime.

The exact side is compared with onnxruntime (a float engine, hence tolerances) and, for
ACAS Xu, with an independent plain-Fraction forward pass written here from the raw
initializers (no exactrelu.model.evaluation involved).
"""

from __future__ import annotations

import gzip
import math
import random
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from conftest import shared_path  # noqa: E402
from exactrelu.errors import ShapeError, UnsupportedOperatorError  # noqa: E402
from exactrelu.model.evaluation import evaluate, evaluate_batch  # noqa: E402
from exactrelu.io.onnx.onnx_io import import_onnx, load_onnx  # noqa: E402

D = TensorProto.DOUBLE
F = TensorProto.FLOAT


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def ort_session(model_or_bytes):
    data = model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString()
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])


def make_model(nodes, in_shape, inits=None, elem=D, opset=13, out_name="y", in_name="x", out_shape=None):
    """A one-input one-output model; initializers given as numpy arrays (cast to elem); the
    output shape is inferred unless given."""
    dt = np.float64 if elem == D else np.float32
    tensors = []
    for name, arr in (inits or {}).items():
        arr = np.asarray(arr)
        if arr.dtype.kind == "f":
            arr = arr.astype(dt)
        tensors.append(numpy_helper.from_array(arr, name))
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info(in_name, elem, in_shape)],
                          [helper.make_tensor_value_info(out_name, elem, out_shape)], initializer=tensors)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m if out_shape is not None else shaped(m)


def shaped(m):
    """``m`` with its graph outputs' shapes filled in by ONNX shape inference (the checker needs them)."""
    try:
        return onnx.shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
    except Exception:  # noqa: BLE001 - deliberately broken graphs keep their unshaped outputs
        return m


def dyadic(rng, shape, scale=8, lim=16):
    """Random multiples of 1/scale in [-lim/scale, lim/scale]: exact in float32 and float64."""
    return rng.integers(-lim, lim + 1, size=shape).astype(np.float64) / scale


def check_against_ort(model, in_shape, n_points=4, seed=0, rtol=None, **load_opts):
    """Exact outputs of the loaded network vs onnxruntime at dyadic points; returns the net."""
    elem = model.graph.input[0].type.tensor_type.elem_type
    dt = np.float64 if elem == D else np.float32
    if rtol is None:
        rtol = 1e-12 if elem == D else 2e-6
    net = load_onnx(model.SerializeToString(), **load_opts)
    assert net.n_inputs == int(np.prod(in_shape))
    sess = ort_session(model)
    rng = np.random.default_rng(seed)
    pts = [dyadic(rng, in_shape, scale=16, lim=32).astype(dt) for _ in range(n_points)]
    exact = evaluate_batch(net, [p.ravel().tolist() for p in pts])
    for p, y in zip(pts, exact):
        (ref,) = sess.run(None, {model.graph.input[0].name: p})
        ref = np.asarray(ref, dtype=np.float64).ravel()
        assert ref.size == net.n_outputs
        got = np.array([float(v) for v in y])
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * max(1.0, float(np.abs(ref).max(initial=0))))
    return net


# --------------------------------------------------------------------------------------
# benchmark networks
# --------------------------------------------------------------------------------------
ACAS = ("vnncomp2022", "acasxu", "onnx", "ACASXU_run2a_1_1_batch_2000.onnx.gz")


def prop1_box():
    text = gzip.open(shared_path("vnncomp2022", "acasxu", "vnnlib", "prop_1.vnnlib.gz"), "rt").read()
    lo, hi = [None] * 5, [None] * 5
    for op, i, c in re.findall(r"\(assert \((<=|>=) X_(\d+) ([-+0-9.eE]+)\)\)", text):
        (hi if op == "<=" else lo)[int(i)] = Fraction(c)
    assert None not in lo and None not in hi
    return lo, hi


def fraction_reference(model, x):
    """Independent exact forward pass of the ACAS Xu graph from its raw initializers."""
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}

    def frac(a):
        return [[Fraction(float(v)) for v in row] for row in np.atleast_2d(a).tolist()]

    avg = [Fraction(float(v)) for v in init["input_AvgImg"].ravel().tolist()]
    h = [xi - a for xi, a in zip(x, avg)]
    for k in range(1, 8):
        name = f"Operation_{k}" if k < 7 else "linear_7"
        W = frac(init[f"{name}_MatMul_W"])
        b = [Fraction(float(v)) for v in init[f"{name}_Add_B"].tolist()]
        z = [sum((h[i] * W[i][j] for i in range(len(h))), b[j]) for j in range(len(b))]
        h = [max(v, Fraction(0)) for v in z] if k < 7 else z
    return h


def test_acasxu_structure():
    net = load_onnx(shared_path(*ACAS))
    d = net.describe()
    assert d["inputs"] == 5 and d["outputs"] == 5
    assert d["relu_layers"] == [50] * 6
    assert len(d["layers"]) == 7
    assert [l["activation"] for l in d["layers"]] == ["relu"] * 6 + ["identity"]
    assert [l["sources"] for l in d["layers"]] == [[k] for k in range(7)]
    assert not d["has_skips"]
    # every weight is a float32 value: denominators are powers of two
    for layer in net.layers:
        for _, w in layer.inputs:
            for row in w:
                for v in row:
                    assert v.denominator & (v.denominator - 1) == 0


def test_acasxu_exact_matches_onnxruntime_and_fraction_oracle():
    path = shared_path(*ACAS)
    model = onnx.load_model_from_string(gzip.open(path).read())
    net = load_onnx(path)
    sess = ort_session(model)
    lo, hi = prop1_box()
    rng = random.Random(1)
    pts = []
    for _ in range(6):
        p = [np.float32(float(l + (h - l) * Fraction(rng.random()))) for l, h in zip(lo, hi)]
        pts.append(p)
    exact = evaluate_batch(net, [[Fraction(float(v)) for v in p] for p in pts])
    for p, y in zip(pts, exact):
        x = [Fraction(float(v)) for v in p]
        assert all(l - Fraction(1, 10**6) <= xi <= h + Fraction(1, 10**6) for xi, l, h in zip(x, lo, hi))
        assert list(y) == fraction_reference(model, x)  # exact equality with the oracle
        assert list(evaluate(net, x)) == list(y)
        (ref,) = sess.run(None, {"input": np.asarray(p, dtype=np.float32).reshape(1, 1, 1, 5)})
        np.testing.assert_allclose([float(v) for v in y], ref.ravel().astype(np.float64), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, n_in, relu_layers, n_out, last", [
    ("test_nano.onnx", 1, [1], 1, "relu"),
    ("test_tiny.onnx", 1, [1], 1, "identity"),
    ("test_small.onnx", 1, [2, 2], 1, "identity"),
    ("test_sat.onnx", 5, [50] * 6, 5, "identity"),
    ("test_unsat.onnx", 5, [50] * 6, 5, "identity"),
])
def test_vnncomp_test_family(name, n_in, relu_layers, n_out, last):
    path = shared_path("vnncomp2022", "test", name)
    imp = import_onnx(path)
    d = imp.network.describe()
    assert (d["inputs"], d["relu_layers"], d["outputs"]) == (n_in, relu_layers, n_out)
    assert d["layers"][-1]["activation"] == last
    assert not d["has_skips"] and imp.exact
    model = onnx.load(str(path))
    sess = ort_session(model)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = (rng.integers(-64, 65, size=imp.input_shape) / 64).astype(np.float32)
        (ref,) = sess.run(None, {imp.input_name: x})
        got = [float(v) for v in evaluate(imp.network, [Fraction(float(v)) for v in x.ravel()])]
        np.testing.assert_allclose(got, np.asarray(ref, dtype=np.float64).ravel(), rtol=1e-5, atol=1e-6)


def test_reach_prob_density_gemm_nets_load():
    path = shared_path("vnncomp2022", "reach_prob_density", "onnx", "vdp.onnx.gz")
    imp = import_onnx(path)
    assert imp.network.describe()["relu_layers"] == [32, 32]
    assert imp.input_shape == (1, 3) and imp.network.n_outputs == 3


# --------------------------------------------------------------------------------------
# operators, one small model each, against onnxruntime
# --------------------------------------------------------------------------------------
RNG = np.random.default_rng(42)


@pytest.mark.parametrize("transA, transB, alpha, beta, cshape", [
    (0, 0, 1.0, 1.0, (3,)), (0, 1, 0.5, 2.0, (1, 3)), (1, 0, 2.0, 0.25, (3,)), (1, 1, 1.0, 1.0, None)])
def test_gemm_variants(transA, transB, alpha, beta, cshape):
    a_shape = [4, 1] if transA else [1, 4]
    w = dyadic(RNG, (3, 4) if transB else (4, 3))
    inits = {"W": w}
    ins = ["x", "W"]
    if cshape is not None:
        inits["C"] = dyadic(RNG, cshape)
        ins.append("C")
    node = helper.make_node("Gemm", ins, ["h"], transA=transA, transB=transB, alpha=alpha, beta=beta)
    model = make_model([node, helper.make_node("Relu", ["h"], ["y"])], a_shape, inits)
    net = check_against_ort(model, a_shape)
    assert net.describe()["relu_layers"] == [3] and len(net.layers) == 1


def test_gemm_constant_A_times_input():
    w = dyadic(RNG, (2, 3))
    model = make_model([helper.make_node("Gemm", ["W", "x"], ["y"])], [3, 1], {"W": w})
    check_against_ort(model, [3, 1])


@pytest.mark.parametrize("case", ["row", "vec_right", "vec_left", "batched"])
def test_matmul_shapes(case):
    if case == "row":
        shape, nodes, inits = [1, 4], [helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": dyadic(RNG, (4, 3))}
    elif case == "vec_right":  # 1-D input times matrix
        shape, nodes, inits = [4], [helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": dyadic(RNG, (4, 3))}
    elif case == "vec_left":  # matrix times 1-D input (the nnet2onnx convention)
        shape, nodes, inits = [4], [helper.make_node("MatMul", ["W", "x"], ["y"])], {"W": dyadic(RNG, (3, 4))}
    else:
        shape, nodes, inits = [1, 2, 4], [helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": dyadic(RNG, (3, 4, 2))}
    check_against_ort(make_model(nodes, shape, inits), shape)


def test_add_sub_mul_div_neg_merge_into_one_layer():
    nodes = [
        helper.make_node("Sub", ["x", "m"], ["a"]),
        helper.make_node("Div", ["a", "s"], ["b"]),
        helper.make_node("Mul", ["b", "k"], ["c"]),
        helper.make_node("Neg", ["c"], ["d"]),
        helper.make_node("Sub", ["m", "d"], ["e"]),  # constant minus input
        helper.make_node("MatMul", ["e", "W"], ["f"]),
        helper.make_node("Add", ["f", "b0"], ["y"]),
    ]
    inits = {"m": dyadic(RNG, (1, 3)), "s": np.array([2.0, 4.0, 0.5]), "k": np.array([[0.5], ]).reshape(1, 1) * 3,
             "W": dyadic(RNG, (3, 2)), "b0": dyadic(RNG, (2,))}
    net = check_against_ort(make_model(nodes, [1, 3], inits), [1, 3])
    assert len(net.layers) == 1 and net.n_relu == 0


def test_add_of_two_computed_tensors_is_a_skip():
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "W2", "b2"], ["g"], transB=1),
        helper.make_node("Add", ["g", "x"], ["s"]),  # residual
        helper.make_node("Relu", ["s"], ["r2"]),
        helper.make_node("Sub", ["r2", "r"], ["y"]),
    ]
    inits = {"W1": dyadic(RNG, (3, 3)), "b1": dyadic(RNG, (3,)), "W2": dyadic(RNG, (3, 3)), "b2": dyadic(RNG, (3,))}
    net = check_against_ort(make_model(nodes, [1, 3], inits), [1, 3], n_points=6)
    d = net.describe()
    assert d["relu_layers"] == [3, 3] and d["has_skips"]
    assert [l["sources"] for l in d["layers"]] == [[0], [0, 1], [1, 2]]


@pytest.mark.parametrize("pads, strides, dilations, group, auto_pad", [
    ([0, 0, 0, 0], [1, 1], [1, 1], 1, None),
    ([1, 0, 1, 2], [2, 1], [1, 2], 2, None),
    (None, [2, 2], [1, 1], 4, "SAME_UPPER"),
    (None, [1, 2], [1, 1], 1, "SAME_LOWER"),
])
def test_conv2d(pads, strides, dilations, group, auto_pad):
    C, M = 4, 4
    w = dyadic(RNG, (M, C // group, 3, 2))
    b = dyadic(RNG, (M,))
    attrs = dict(strides=strides, dilations=dilations, group=group)
    if auto_pad:
        attrs["auto_pad"] = auto_pad
    else:
        attrs["pads"] = pads
    node = helper.make_node("Conv", ["x", "W", "B"], ["y"], **attrs)
    model = make_model([node], [1, C, 5, 6], {"W": w, "B": b}, elem=F)
    net = check_against_ort(model, [1, C, 5, 6], n_points=2)
    assert net.n_relu == 0 and len(net.layers) == 1


def test_conv1d_then_relu_then_flatten_gemm():
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1], strides=[2]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"], axis=1),
             helper.make_node("Gemm", ["f", "G"], ["y"], transB=1)]
    model = make_model(nodes, [1, 2, 7], {"W": dyadic(RNG, (3, 2, 3)), "G": dyadic(RNG, (2, 12))}, elem=F)
    net = check_against_ort(model, [1, 2, 7], n_points=3)
    assert net.describe()["relu_layers"] == [12]


def _bn_model(var, eps, elem=D):
    C = len(var)
    inits = {"s": dyadic(RNG, (C,)), "b": dyadic(RNG, (C,)), "m": dyadic(RNG, (C,)), "v": np.asarray(var)}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=eps)
    return make_model([node], [1, C, 2, 2], inits, elem=elem)


def test_batchnorm_exact_rational_case():
    # var + eps = 4, 1, 9/4: square roots are rational
    model = _bn_model([3.75, 0.75, 2.0], 0.25)
    imp = import_onnx(model.SerializeToString())
    assert imp.exact and imp.max_change == 0
    check_against_ort(model, [1, 3, 2, 2])


def test_batchnorm_irrational_refused_then_approximated():
    model = _bn_model([1.0, 0.5], 1e-5)
    with pytest.raises(UnsupportedOperatorError) as ei:
        load_onnx(model.SerializeToString())
    assert "BatchNormalization" in str(ei.value) and "irrational" in str(ei.value)
    assert "approximate_bn" in str(ei.value)
    with pytest.warns(UserWarning, match="approximated"):
        imp = import_onnx(model.SerializeToString(), approximate_bn=True)
    assert 0 < imp.max_change < Fraction(1, 10**12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_ort(model, [1, 2, 2, 2], rtol=1e-9, approximate_bn=True)
        imp2 = import_onnx(model.SerializeToString(), approximate_bn=True, bn_max_denominator=1000)
    assert Fraction(1, 10**12) < imp2.max_change < Fraction(1, 10**4)
    for layer in imp2.network.layers:
        for _, w in layer.inputs:
            assert all(v.denominator <= 1000 * 2**40 for row in w for v in row)


@pytest.mark.parametrize("kernel, strides, pads, include_pad, ceil", [
    ([3, 3], [2, 2], [1, 1, 1, 1], 0, 0),
    ([3, 3], [2, 2], [1, 1, 1, 1], 1, 0),
    ([2, 2], [1, 1], [0, 0, 0, 0], 0, 0),
    ([2, 3], [2, 2], [0, 1, 0, 1], 0, 1),
])
def test_average_pool(kernel, strides, pads, include_pad, ceil):
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=kernel, strides=strides, pads=pads,
                            count_include_pad=include_pad, ceil_mode=ceil)
    net = check_against_ort(make_model([node], [1, 2, 5, 6], elem=F), [1, 2, 5, 6], n_points=2)
    assert net.n_relu == 0


@pytest.mark.parametrize("kernel, strides, pads, ceil, depth", [
    ([3, 3], [1, 1], [1, 1, 1, 1], 0, 4),   # 9 elements: ceil(log2 9) = 4 levels
    ([2, 2], [2, 2], [0, 0, 0, 0], 0, 2),
    ([2, 2], [2, 2], [0, 0, 0, 0], 1, 2),
    ([3, 1], [2, 1], [0, 0, 0, 0], 0, 2),
    ([3, 1], [2, 1], [0, 0, 1, 0], 1, 2),
])
def test_max_pool(kernel, strides, pads, ceil, depth):
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=kernel, strides=strides, pads=pads, ceil_mode=ceil)
    net = check_against_ort(make_model([node], [1, 2, 5, 5]), [1, 2, 5, 5], n_points=3)
    assert len(net.describe()["relu_layers"]) == depth


def test_pool_ceil_mode_drops_a_window_starting_in_the_padding():
    for op in ("MaxPool", "AveragePool"):
        node = helper.make_node(op, ["x"], ["y"], kernel_shape=[3, 1], strides=[2, 1], pads=[0, 0, 2, 0], ceil_mode=1)
        model = make_model([node], [1, 1, 2, 5], elem=F)
        assert import_onnx(model.SerializeToString()).output_shape == (1, 1, 1, 5)
        check_against_ort(model, [1, 1, 2, 5], n_points=2)


def test_max_pool_1d_dilation_and_global_pools():
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2], dilations=[2], strides=[1])
    check_against_ort(make_model([node], [1, 1, 6], elem=F, opset=12), [1, 1, 6])
    for op in ("GlobalMaxPool", "GlobalAveragePool"):
        check_against_ort(make_model([helper.make_node(op, ["x"], ["y"])], [1, 2, 3, 3], elem=F), [1, 2, 3, 3])


@pytest.mark.parametrize("alpha", [0.25, 0.1, 2.0, -0.5, 1.0])
def test_leaky_relu_any_slope(alpha):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("LeakyRelu", ["h"], ["y"], alpha=alpha)]
    net = check_against_ort(make_model(nodes, [1, 3], {"W": dyadic(RNG, (3, 4))}, elem=F), [1, 3], n_points=6)
    assert net.n_relu == (0 if alpha == 1.0 else 4)
    if alpha != 1.0:
        # output = a h + (1 - a) relu(h), with a the exact float32 value of alpha
        a = Fraction(float(np.float32(alpha)))
        w_relu = dict(net.layers[-1].inputs)[1]
        assert [w_relu[i][i] for i in range(4)] == [1 - a] * 4


@pytest.mark.parametrize("op, extra, inits, relu_units", [
    ("PRelu", ["slope"], {"slope": np.array([0.5, -0.25, 2.0, 0.0])}, 4),
    ("Clip", ["lo", "hi"], {"lo": np.array(-0.5), "hi": np.array(0.75)}, 8),
    ("Clip", ["lo"], {"lo": np.array(-0.5)}, 4),
    ("Clip", ["", "hi"], {"hi": np.array(0.25)}, 4),
    ("Abs", [], {}, 8),
    ("Max", ["k"], {"k": np.array([0.125, -1.0, 0.0, 0.5])}, 4),
    ("Min", ["k"], {"k": np.array([0.125, -1.0, 0.0, 0.5])}, 4),
])
def test_piecewise_linear_elementwise_ops(op, extra, inits, relu_units):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node(op, ["h"] + extra, ["y"])]
    inits = dict(inits, W=dyadic(RNG, (3, 4)))
    net = check_against_ort(make_model(nodes, [1, 3], inits, elem=F), [1, 3], n_points=8)
    assert net.n_relu == relu_units


def test_max_min_of_two_computed_tensors():
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("MatMul", ["x", "V"], ["g"]),
             helper.make_node("Max", ["h", "g", "x"], ["m"]), helper.make_node("Min", ["m", "g"], ["y"])]
    inits = {"W": dyadic(RNG, (3, 3)), "V": dyadic(RNG, (3, 3))}
    net = check_against_ort(make_model(nodes, [1, 3], inits), [1, 3], n_points=8)
    assert net.describe()["relu_layers"] == [3, 3, 3]


def test_shape_ops_constant_identity_dropout_cast():
    shape_const = helper.make_node("Constant", [], ["shp"], value=helper.make_tensor("s", TensorProto.INT64, [2], [0, -1]))
    w_const = helper.make_node("Constant", [], ["W"], value=numpy_helper.from_array(dyadic(RNG, (6, 2)), "Wc"))
    nodes = [shape_const, w_const,
             helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),        # (1,3,2)
             helper.make_node("Unsqueeze", ["t", "ax"], ["u"]),                   # (1,1,3,2)
             helper.make_node("Squeeze", ["u", "ax"], ["q"]),                     # (1,3,2)
             helper.make_node("Reshape", ["q", "shp"], ["r"]),                    # (1,6)
             helper.make_node("Identity", ["r"], ["i"]),
             helper.make_node("Dropout", ["i"], ["dr"]),
             helper.make_node("Cast", ["dr"], ["ca"], to=TensorProto.DOUBLE),
             helper.make_node("MatMul", ["ca", "W"], ["m"]),
             helper.make_node("Flatten", ["m"], ["y"], axis=0)]
    model = make_model(nodes, [1, 2, 3], {"ax": np.array([1], dtype=np.int64)})
    net = check_against_ort(model, [1, 2, 3])
    assert len(net.layers) == 1 and net.n_outputs == 2


def test_concat_slice_pad_shape_gather():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Concat", ["x", "r", "c"], ["cat"], axis=1),                # (1,7)
             helper.make_node("Slice", ["cat", "st", "en", "axs", "stp"], ["sl"]),      # every 2nd of 1..6
             helper.make_node("Pad", ["sl", "pads", "pv"], ["pd"]),
             helper.make_node("Shape", ["pd"], ["sh"]),
             helper.make_node("Gather", ["sh", "i1"], ["n"], axis=0),
             helper.make_node("Concat", ["one", "n"], ["newshape"], axis=0),
             helper.make_node("Reshape", ["pd", "newshape"], ["y"])]
    inits = {"c": np.array([[0.5]]), "st": np.array([1], dtype=np.int64), "en": np.array([7], dtype=np.int64),
             "axs": np.array([1], dtype=np.int64), "stp": np.array([2], dtype=np.int64),
             "pads": np.array([0, 1, 0, 2], dtype=np.int64), "pv": np.array(0.25),
             "i1": np.array([1], dtype=np.int64), "one": np.array([1], dtype=np.int64)}
    net = check_against_ort(make_model(nodes, [1, 3], inits, out_shape=[1, 6]), [1, 3], n_points=5)
    assert net.n_outputs == 6 and net.describe()["relu_layers"] == [3]


def test_symbolic_batch_dimension_and_declared_shape_override():
    g = helper.make_graph([helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)], "g",
                          [helper.make_tensor_value_info("x", D, ["N", 3])],
                          [helper.make_tensor_value_info("y", D, ["N", 2])],
                          initializer=[numpy_helper.from_array(dyadic(RNG, (2, 3)), "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    imp = import_onnx(m.SerializeToString())
    assert imp.input_shape == (1, 3) and imp.network.n_inputs == 3
    g2 = helper.make_graph([helper.make_node("Flatten", ["x"], ["y"])], "g",
                           [helper.make_tensor_value_info("x", D, ["N", "C", 2])],
                           [helper.make_tensor_value_info("y", D, None)])
    m2 = helper.make_model(g2, opset_imports=[helper.make_opsetid("", 13)])
    m2.graph.output[0].type.tensor_type.shape.SetInParent()
    m2.graph.output[0].type.tensor_type.shape.dim.add().dim_param = "N"
    m2.graph.output[0].type.tensor_type.shape.dim.add().dim_param = "M"
    with pytest.raises(Exception, match="symbolic dimension"):
        load_onnx(m2.SerializeToString())
    assert load_onnx(m2.SerializeToString(), input_shape=[1, 4, 2]).n_inputs == 8


def test_dead_branches_are_not_executed():
    nodes = [helper.make_node("Sigmoid", ["x"], ["unused"]), helper.make_node("Relu", ["x"], ["y"])]
    net = load_onnx(make_model(nodes, [1, 2]).SerializeToString())
    assert net.describe()["relu_layers"] == [2] and len(net.layers) == 1


def test_multiplying_two_computed_tensors_is_unsupported():
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Mul", ["r", "x"], ["y"])]
    with pytest.raises(UnsupportedOperatorError, match="Mul"):
        load_onnx(make_model(nodes, [1, 2]).SerializeToString())


def test_matmul_shape_mismatch_is_a_shape_error():
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"])]
    with pytest.raises(ShapeError, match="MatMul"):
        load_onnx(make_model(nodes, [1, 3], {"W": np.ones((4, 2))}).SerializeToString())


def test_exact_weights_are_the_float_values():
    w = np.array([[0.1, -1 / 3]], dtype=np.float32).T  # (2,1)
    net = load_onnx(make_model([helper.make_node("MatMul", ["x", "W"], ["y"])], [1, 2], {"W": w}, elem=F)
                    .SerializeToString())
    row = net.layers[0].inputs[0][1][0]
    assert row == (Fraction(float(np.float32(0.1))), Fraction(float(np.float32(-1 / 3))))
    assert row[0] != Fraction(1, 10) and math.log2(row[0].denominator).is_integer()


def _i64(*v):
    return np.array(v, dtype=np.int64)


@pytest.mark.parametrize("nodes, inits, opset, elem", [
    # negative-step slices
    ([helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
     {"s": _i64(-1), "e": _i64(-100), "a": _i64(1), "st": _i64(-2)}, 13, D),
    ([helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
     {"s": _i64(4), "e": _i64(0), "a": _i64(1), "st": _i64(-1)}, 13, D),
    # opset-10-style attribute Slice, opset-11 Unsqueeze/Squeeze attributes
    ([helper.make_node("Slice", ["x"], ["s"], starts=[1], ends=[4], axes=[1]),
      helper.make_node("Unsqueeze", ["s"], ["u"], axes=[0]), helper.make_node("Squeeze", ["u"], ["y"], axes=[0])],
     {}, 9, D),
    # Split into outputs, recombined
    ([helper.make_node("Split", ["x", "sp"], ["p", "q"], axis=1), helper.make_node("Sub", ["q", "p"], ["y"])],
     {"sp": _i64(3, 3)}, 13, D),
    # Sum / Mean of computed and constant tensors, CastLike, ConstantOfShape
    ([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sum", ["x", "r", "c"], ["s"]),
      helper.make_node("Mean", ["s", "r"], ["m"]), helper.make_node("CastLike", ["m", "c"], ["cl"]),
      helper.make_node("ConstantOfShape", ["shp"], ["k"], value=numpy_helper.from_array(np.array([0.5], dtype=np.float32), "v")),
      helper.make_node("Add", ["cl", "k"], ["y"])],
     {"c": np.linspace(-1, 1, 6).reshape(1, 6), "shp": _i64(1, 6)}, 15, F),
    # opset-2 style Pad attribute, Squeeze without axes
    ([helper.make_node("Pad", ["x"], ["p"], pads=[0, 2, 0, 1], value=1.5), helper.make_node("Squeeze", ["p"], ["y"])],
     {}, 9, D),
])
def test_more_shape_and_affine_ops(nodes, inits, opset, elem):
    check_against_ort(make_model(nodes, [1, 6], inits, opset=opset, elem=elem), [1, 6], n_points=3)


def test_external_data_is_read_only_next_to_a_file(tmp_path):
    w = numpy_helper.from_array((np.arange(40, dtype=np.float32) / 8).reshape(2, 20), "W")
    g = helper.make_graph([helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)], "g",
                          [helper.make_tensor_value_info("x", F, [1, 20])],
                          [helper.make_tensor_value_info("y", F, [1, 2])], initializer=[w])
    onnx.save_model(helper.make_model(g), str(tmp_path / "m.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="w.bin", size_threshold=0)
    net = load_onnx(tmp_path / "m.onnx")
    assert net.layers[0].inputs[0][1][1][:2] == (Fraction(20, 8), Fraction(21, 8))
    with pytest.raises(Exception, match="external data"):
        load_onnx((tmp_path / "m.onnx").read_bytes())


# --------------------------------------------------------------------------------------
# regressions (issue 19): each of these loaded into a wrong exact network, or a malformed
# file loaded at all, before the loader checked what it reads
# --------------------------------------------------------------------------------------
from onnx.reference import ReferenceEvaluator  # noqa: E402

from exactrelu.errors import ModelFormatError  # noqa: E402


def _ref(model, x):
    return [Fraction(float(v)) for v in np.asarray(ReferenceEvaluator(model).run(None, {"x": x})[0], np.float64).ravel()]


def test_regression_cast_to_float16_and_back_of_a_computed_tensor_is_refused():
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Cast", ["r"], ["h"], to=TensorProto.FLOAT16),
             helper.make_node("Cast", ["h"], ["y"], to=F)]
    m = make_model(nodes, [1, 1], elem=F)
    x = np.array([[1 + 2.0 ** -20]], np.float32)  # a float32 value that float16 rounds to 1
    assert _ref(m, x) == [1]  # the reference rounds; the old loader modelled the identity (1 + 2^-20)
    with pytest.raises(UnsupportedOperatorError, match="float32 tensor to float16 rounds its values: a step function"):
        load_onnx(m.SerializeToString())


def test_regression_batchnorm_of_opset_6_runs_in_training_mode_and_is_refused():
    # BatchNormalization-6 without is_test=1 uses the batch statistics; the old loader used the given ones
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=0.25)
    inits = {"s": np.ones(2), "b": np.zeros(2), "m": np.zeros(2), "v": np.full(2, 0.75)}
    m = make_model([node], [2, 2], inits, opset=6, out_shape=[2, 2])
    with pytest.raises(ModelFormatError, match="opset 6 of the default ONNX domain is not supported"):
        load_onnx(m.SerializeToString())


def _cast_const_model(values, to, via=None, elem=D, opset=13):
    nodes = [helper.make_node("Cast", ["c"], ["c1"], to=to)]
    last = "c1"
    if via is not None:
        nodes.append(helper.make_node("Cast", ["c1"], ["c2"], to=via))
        last = "c2"
    nodes.append(helper.make_node("Add", ["x", last], ["y"]))
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", elem, [len(values)])],
                          [helper.make_tensor_value_info("y", elem, [len(values)])],
                          initializer=[numpy_helper.from_array(np.asarray(values), "c")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def test_regression_constant_casts_round_exactly():
    zero = np.zeros(3)
    # to bfloat16 (the old loader did not round at all)
    m = _cast_const_model(np.array([1 / 3, 1.00390625, -1e-3]), TensorProto.BFLOAT16, D)
    assert evaluate(load_onnx(m.SerializeToString()), [0, 0, 0]) == tuple(_ref(m, zero))
    assert _ref(m, zero)[0] == Fraction(171, 512)
    # int64 to float32 (the old loader kept 2^24 + 1)
    m = _cast_const_model(np.array([2 ** 24 + 1, 2 ** 24 + 3, -(2 ** 40) - 1], np.int64), F, D)
    assert evaluate(load_onnx(m.SerializeToString()), [0, 0, 0]) == (2 ** 24, 2 ** 24 + 4, -(2 ** 40))
    # int64 to int8 wraps around (the old loader kept 200)
    m = _cast_const_model(np.array([200, -200, 127], np.int64), TensorProto.INT8, D)
    assert evaluate(load_onnx(m.SerializeToString()), [0, 0, 0]) == (-56, 56, 127) == tuple(_ref(m, zero))


def test_regression_castlike_rounds_to_the_type_of_its_target():
    nodes = [helper.make_node("CastLike", ["c", "like"], ["c1"]), helper.make_node("Cast", ["c1"], ["c2"], to=D),
             helper.make_node("Add", ["x", "c2"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", D, [2])], [helper.make_tensor_value_info("y", D, [2])],
                          initializer=[numpy_helper.from_array(np.array([0.1, 1 / 3]), "c"),
                                       numpy_helper.from_array(np.zeros(1, np.float16), "like")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])
    want = [Fraction(float(np.float16(0.1))), Fraction(float(np.float16(1 / 3)))]
    # the old loader rounded to float32 whatever the target's type
    assert list(evaluate(load_onnx(m.SerializeToString()), [0, 0])) == want == _ref(m, np.zeros(2))


def test_regression_slice_with_a_negative_step_clamps_its_start_as_the_spec_says():
    # starts=-5 on an axis of 4 with step -1: the start clamps to 0, the end (-10 + 4) to -1: one element.
    nodes = [helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])]
    m = make_model(nodes, [1, 4], {"s": _i64(-5), "e": _i64(-10), "a": _i64(1), "st": _i64(-1)}, out_shape=[1, 1])
    net = check_against_ort(m, [1, 4])  # the old loader gave an empty tensor here
    assert evaluate(net, [3, 1, 4, 1]) == (3,)


def test_regression_misspelt_or_missing_attributes_are_not_ignored():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    m = make_model([helper.make_node("Gemm", ["x", "W"], ["y"], transb=1)], [1, 2], {"W": w}, out_shape=[1, 2])
    with pytest.raises(ModelFormatError, match="unknown attribute 'transb'"):
        load_onnx(m.SerializeToString())  # the old loader ignored it and used transB=0
    m = make_model([helper.make_node("Cast", ["x"], ["y"])], [1, 2], out_shape=[1, 2])
    with pytest.raises(ModelFormatError, match="missing the required attribute 'to'"):
        load_onnx(m.SerializeToString())  # the old loader assumed to=FLOAT


def test_regression_dropout_in_training_mode_is_refused():
    nodes = [helper.make_node("Dropout", ["x", "r", "t"], ["y"])]
    m = make_model(nodes, [1, 4], {"r": np.array(0.5), "t": np.array(True)}, out_shape=[1, 4])
    with pytest.raises(UnsupportedOperatorError, match="training_mode is true"):
        load_onnx(m.SerializeToString())  # the old loader modelled the identity


def test_regression_float16_weights_stored_out_of_range_are_refused():
    t = TensorProto(name="W", data_type=TensorProto.FLOAT16, dims=[2])
    t.int32_data.extend([15360, 70000])  # 70000 is no float16 bit pattern; numpy wraps it to 6.6e-4
    nodes = [helper.make_node("Cast", ["W"], ["Wd"], to=D), helper.make_node("Add", ["x", "Wd"], ["y"])]
    m = make_model(nodes, [2], out_shape=[2])
    m.graph.initializer.append(t)
    with pytest.raises(ModelFormatError, match="stored value outside \\[0, 65535\\]"):
        load_onnx(m.SerializeToString())


def test_regression_float16_weights_are_exact_including_subnormals():
    w = np.array([2.0 ** -24, -(2.0 ** -15) * 3, 65504.0, 0.1], np.float16)
    nodes = [helper.make_node("Mul", ["x", "W"], ["y"])]
    m = make_model(nodes, [4], {"W": w.astype(np.float64)}, out_shape=[4])
    m.graph.initializer[0].CopyFrom(numpy_helper.from_array(w, "W"))
    m.graph.input[0].type.tensor_type.elem_type = TensorProto.FLOAT16
    m.graph.output[0].type.tensor_type.elem_type = TensorProto.FLOAT16
    net = load_onnx(m.SerializeToString())
    assert evaluate(net, [1, 1, 1, 1]) == (Fraction(1, 2 ** 24), Fraction(-3, 2 ** 15), 65504, Fraction(1638, 16384))


def test_regression_a_file_truncated_after_its_graph_is_refused(tmp_path):
    m = make_model([helper.make_node("Relu", ["x"], ["y"])], [1, 2])
    data = m.SerializeToString()
    head = onnx.ModelProto()
    head.CopyFrom(m)
    del head.opset_import[:]
    cut = len(head.SerializeToString())  # fields are written in number order: graph (7) before opset_import (8)
    assert data[:cut] == head.SerializeToString()[:cut]
    with pytest.raises(ModelFormatError, match="declares no opset for the default ONNX domain"):
        load_onnx(data[:cut])  # the old loader ran it as opset 1


def test_regression_clip_6_on_float64_clips_at_float32_max():
    nodes = [helper.make_node("Mul", ["x", "k"], ["b"]), helper.make_node("Clip", ["b"], ["y"], min=0.0)]
    m = make_model(nodes, [1, 2], {"k": np.array(2.0 ** 127)}, opset=7, out_shape=[1, 2])
    x = np.array([[4.0, 0.5]])
    got = list(evaluate(load_onnx(m.SerializeToString()), [4, Fraction(1, 2)]))
    assert got == _ref(m, x) == [Fraction(float(np.finfo(np.float32).max)), Fraction(2) ** 126]


def test_regression_tensors_produced_twice_are_refused():
    nodes = [helper.make_node("Relu", ["x"], ["W"], name="a"), helper.make_node("Add", ["x", "W"], ["y"])]
    m = make_model(nodes, [1, 2], {"W": np.ones((1, 2))}, out_shape=[1, 2])
    with pytest.raises(ModelFormatError, match="tensor 'W' is produced twice \\(an initializer and node 'a'\\)"):
        load_onnx(m.SerializeToString())


def test_regression_batchnorm_spatial_0_needs_per_activation_statistics():
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=0, epsilon=0.25)
    inits = {k: np.full(2, 0.75) for k in "sbmv"}
    m = make_model([node], [1, 2, 2, 2], inits, opset=7, out_shape=[1, 2, 2, 2])
    with pytest.raises(ShapeError, match="expected \\[2, 2, 2\\] \\(spatial=0\\)"):
        load_onnx(m.SerializeToString())  # the old loader used them per channel; onnxruntime refuses the model


@pytest.mark.parametrize("node, shape, inits, match", [
    (helper.make_node("Conv", ["x", "W"], ["y"], pads=[-1, 0, 0, 0]), [1, 1, 4, 4], {"W": np.ones((1, 1, 2, 2))},
     "negative entry"),
    (helper.make_node("Gemm", ["x", "W", "C"], ["y"]), [1, 2], {"W": np.eye(2), "C": np.ones((3, 2))}, "does not broadcast"),
    (helper.make_node("Max", ["x", "c"], ["y"]), [1, 2], {"c": np.ones(1)}, "no broadcasting"),
])
def test_regression_malformed_shapes_are_refused(node, shape, inits, match):
    opset = 7 if node.op_type == "Max" else 13
    m = make_model([node], shape, inits, opset=opset, out_shape=shape)
    with pytest.raises(ShapeError, match=match):
        load_onnx(m.SerializeToString())


def test_regression_integer_arithmetic_on_constants_is_exact():
    nodes = [helper.make_node("Div", ["a", "b"], ["q"]), helper.make_node("Cast", ["q"], ["qd"], to=D),
             helper.make_node("Add", ["x", "qd"], ["y"])]
    m = make_model(nodes, [2], {"a": np.array([2 ** 60 - 1, -7], np.int64), "b": np.array([2 ** 30, 2], np.int64)},
                   out_shape=[2])
    # integer Div truncates toward zero; the old loader divided in float64, where 2^60 - 1 is 2^60
    assert evaluate(load_onnx(m.SerializeToString()), [0, 0]) == (2 ** 30 - 1, -3) == tuple(_ref(m, np.zeros(2)))


def test_regression_unknown_opsets_are_refused():
    for opset in (5, 29):
        m = make_model([helper.make_node("Relu", ["x"], ["y"])], [1, 2], opset=opset, out_shape=[1, 2])
        with pytest.raises(ModelFormatError, match=f"opset {opset} of the default ONNX domain is not supported"):
            load_onnx(m.SerializeToString())
