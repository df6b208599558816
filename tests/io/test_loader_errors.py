"""Bad input to the loaders: every case raises the right exactrelu exception, in one line.

Pickle files are written with ``pickle.dumps`` here and never loaded.
"""

from __future__ import annotations

import gzip
import re
import os
import pickle
import zipfile

import numpy as np
import pytest

from conftest import shared_path
from exactrelu.errors import (ExactReluError, ModelFormatError, PointError, ShapeError, UnsafeFileError,
                              UnsupportedOperatorError)
from exactrelu.model.evaluation import evaluate
from exactrelu.io import detect_format, load_model, load_onnx, save_model
from exactrelu.model.network import mlp

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def tiny_model(nodes=None, inits=None, in_shape=(1, 2)):
    nodes = nodes or [helper.make_node("Gemm", ["x", "W"], ["h"], transB=1, name="fc"),
                      helper.make_node("Relu", ["h"], ["y"], name="act")]
    inits = inits if inits is not None else {"W": np.array([[1.0, -1.0], [0.5, 2.0]])}
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, list(in_shape))],
                          [helper.make_tensor_value_info("y", TensorProto.DOUBLE, None)],
                          initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    try:
        return onnx.shape_inference.infer_shapes(m)  # fills in the output shape the checker needs
    except Exception:  # noqa: BLE001 - some tests build deliberately broken graphs
        return m


def one_line(exc: BaseException) -> bool:
    return "\n" not in str(exc)


@pytest.fixture
def onnx_file(tmp_path):
    p = tmp_path / "good.onnx"
    p.write_bytes(tiny_model().SerializeToString())
    return p


def test_good_file_loads(onnx_file):
    net = load_model(onnx_file)
    assert net.describe()["relu_layers"] == [2]


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_truncated_onnx(tmp_path, onnx_file, cut):
    data = onnx_file.read_bytes()
    p = tmp_path / "trunc.onnx"
    p.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ModelFormatError) as ei:
        load_model(p)
    assert one_line(ei.value)


def test_truncated_real_gz_file(tmp_path):
    data = shared_path("vnncomp2022", "acasxu", "onnx", "ACASXU_run2a_1_1_batch_2000.onnx.gz").read_bytes()
    p = tmp_path / "cut.onnx.gz"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError, match="gzip") as ei:
        load_model(p)
    assert one_line(ei.value)
    # the decompressed model, truncated
    raw = gzip.decompress(data)
    p2 = tmp_path / "cut.onnx"
    p2.write_bytes(raw[: len(raw) - 1000])
    with pytest.raises(ModelFormatError) as ei:
        load_onnx(p2)
    assert one_line(ei.value)


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes(tmp_path, seed):
    p = tmp_path / "random.onnx"
    p.write_bytes(np.random.default_rng(seed).integers(0, 256, size=2000, dtype=np.uint8).tobytes())
    with pytest.raises(ModelFormatError) as ei:
        load_model(p)
    assert one_line(ei.value)


def test_unsupported_operator_names_op_and_node():
    m = tiny_model([helper.make_node("Gemm", ["x", "W"], ["h"], transB=1, name="fc"),
                    helper.make_node("Sigmoid", ["h"], ["y"], name="squash")])
    with pytest.raises(UnsupportedOperatorError) as ei:
        load_onnx(m.SerializeToString())
    assert ei.value.op == "Sigmoid" and ei.value.node == "squash"
    assert "'Sigmoid'" in str(ei.value) and "'squash'" in str(ei.value)
    assert isinstance(ei.value, ModelFormatError)


def test_custom_domain_operator():
    m = tiny_model([helper.make_node("Fancy", ["x"], ["y"], name="n1", domain="com.example")])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(UnsupportedOperatorError, match="com.example.Fancy"):
        load_onnx(m.SerializeToString())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weight_names_the_tensor(bad):
    m = tiny_model(inits={"W": np.array([[1.0, bad], [0.5, 2.0]])})
    with pytest.raises(ModelFormatError, match=r"tensor 'W' contains a non-finite value .* at index \[0, 1\]") as ei:
        load_onnx(m.SerializeToString())
    assert one_line(ei.value)


def test_shape_mismatch():
    m = tiny_model(inits={"W": np.ones((2, 3))})  # Gemm with transB: (1,2) x (3,2)^T
    with pytest.raises(ShapeError, match="fc"):
        load_onnx(m.SerializeToString())


def test_undefined_tensor():
    m = tiny_model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")], inits={})
    with pytest.raises(ModelFormatError, match="'nowhere'"):
        load_onnx(m.SerializeToString())


def test_pickle_files_are_refused_without_loading(tmp_path):
    payload = pickle.dumps({"weights": [1, 2, 3]}, protocol=4)
    for name in ("model.pkl", "model.bin", "model.json", "weights"):
        p = tmp_path / name
        p.write_bytes(payload)
        with pytest.raises(UnsafeFileError, match="pickle") as ei:
            load_model(p)
        assert one_line(ei.value)
    # forcing a format does not bypass the check
    with pytest.raises(UnsafeFileError):
        load_model(tmp_path / "weights", fmt="onnx")


@pytest.mark.parametrize("name", ["model.pt", "model.pth", "model.ckpt"])
def test_torch_checkpoints_are_refused(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"PK\x03\x04 whatever")
    with pytest.raises(UnsafeFileError, match="ONNX") as ei:
        load_model(p)
    assert "from_torch" in str(ei.value) and one_line(ei.value)


def test_zip_with_pickle_inside_is_refused_whatever_its_name(tmp_path):
    p = tmp_path / "sneaky.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps([1, 2]))
    with pytest.raises(UnsafeFileError, match="PyTorch checkpoint"):
        load_model(p)


def test_missing_directory_unknown_and_empty(tmp_path):
    with pytest.raises(ModelFormatError, match="no such file") as ei:
        load_model(tmp_path / "nope.onnx")
    assert one_line(ei.value)
    with pytest.raises(ModelFormatError, match="directory"):
        load_model(tmp_path)
    (tmp_path / "thing.xyz").write_text("hello world")
    with pytest.raises(ModelFormatError, match="unknown model format"):
        load_model(tmp_path / "thing.xyz")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(ModelFormatError, match="empty"):
        load_model(tmp_path / "empty.onnx")
    with pytest.raises(ModelFormatError, match="unknown model format 'csv'"):
        load_model(tmp_path / "thing.xyz", fmt="csv")


def test_bad_json(tmp_path):
    (tmp_path / "a.json").write_text('{"format": "exactrelu-network", "version": 1, "inputs": 1, "layers": [')
    with pytest.raises(ModelFormatError, match="malformed JSON"):
        load_model(tmp_path / "a.json")
    (tmp_path / "b.json").write_text('{"format": "something-else"}')
    with pytest.raises(ModelFormatError, match="not an exactrelu network"):
        load_model(tmp_path / "b.json")


def test_content_sniffing_without_extension(tmp_path, onnx_file):
    net = mlp(1, [([["1/2"]], [1])])
    save_model(net, tmp_path / "n.json")
    os.rename(tmp_path / "n.json", tmp_path / "n_json")
    assert detect_format(tmp_path / "n_json") == "json" and load_model(tmp_path / "n_json") == net
    os.rename(onnx_file, tmp_path / "n_onnx")
    assert detect_format(tmp_path / "n_onnx") == "onnx"
    (tmp_path / "g").write_bytes(gzip.compress((tmp_path / "n_onnx").read_bytes()))
    assert load_model(tmp_path / "g").describe()["relu_layers"] == [2]


def test_wrong_length_point():
    net = load_onnx(tiny_model().SerializeToString())
    with pytest.raises(PointError, match="3 coordinates"):
        evaluate(net, [1, 2, 3])
    with pytest.raises(PointError):
        evaluate(net, ["abc", 1])


def test_save_model_unknown_extension(tmp_path):
    from exactrelu.errors import ExportError

    with pytest.raises(ExportError, match="extension"):
        save_model(mlp(1, [([[1]], [0])]), tmp_path / "x.txt")


def test_every_error_is_an_exactrelu_error(tmp_path):
    (tmp_path / "z.onnx").write_bytes(b"\x00\x01garbage")
    with pytest.raises(ExactReluError):
        load_model(tmp_path / "z.onnx")


def test_load_json_missing_file_is_a_model_format_error(tmp_path):
    from exactrelu.io import load_json

    with pytest.raises(ModelFormatError, match="no such file"):
        load_json(tmp_path / "missing.json")
    with pytest.raises(ModelFormatError):
        load_json(tmp_path)


# --------------------------------------------------------------------------------------
# every refusal of the ONNX loader: class and message (one line each)
# --------------------------------------------------------------------------------------
F32, F64, F16 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16
N = helper.make_node


def mk(nodes, inits=None, in_shape=(1, 4), opset=13, elem=F32, out_shape=None, out_elem=None, in_elem=None,
       outputs=("y",), raw_inits=(), extra_inputs=(), opsets=None, ir=8):
    """A model built without the ONNX checker (most of these are deliberately invalid)."""
    tensors = [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()] + list(raw_inits)
    ins = [helper.make_tensor_value_info("x", in_elem or elem, list(in_shape))] + list(extra_inputs)
    outs = [helper.make_tensor_value_info(o, out_elem or elem, out_shape) for o in outputs]
    g = helper.make_graph(nodes, "g", ins, outs, initializer=tensors)
    m = helper.make_model(g, opset_imports=opsets if opsets is not None else [helper.make_opsetid("", opset)])
    m.ir_version = ir
    return m


def f32(*v):
    return np.asarray(v, dtype=np.float32)


def ints(*v):
    return np.asarray(v, dtype=np.int64)


def tensor(name, dt, dims, **fields):
    t = TensorProto(name=name, data_type=dt, dims=list(dims))
    for k, v in fields.items():
        if k == "raw_data":
            t.raw_data = v
        else:
            getattr(t, k).extend(v)
    return t


W44 = np.eye(4, dtype=np.float32)
X4 = [N("Relu", ["x"], ["r"])]  # a computed tensor r of shape (1, 4)
UNS, MFE, SHP = UnsupportedOperatorError, ModelFormatError, ShapeError
REFUSALS = [
    # -- opsets, domains, operators, versions
    ("no-lowering", mk([N("Sigmoid", ["x"], ["y"])]), UNS, "'Sigmoid' at node 'y': no exact piecewise-linear lowering"),
    ("not-an-onnx-op", mk([N("Rellu", ["x"], ["y"])]), UNS, "not an operator of ONNX opset 13"),
    ("custom-domain", mk([N("Fancy", ["x"], ["y"], domain="com.example")],
                         opsets=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)]), UNS,
     "'com.example.Fancy'.*custom domain"),
    ("opset-6", mk([N("Relu", ["x"], ["y"])], opset=6), MFE, "opset 6 of the default ONNX domain is not supported"),
    ("opset-too-new", mk([N("Relu", ["x"], ["y"])], opset=30), MFE, "opset 30 of the default ONNX domain"),
    ("no-opset-import", mk([N("Relu", ["x"], ["y"])], opsets=[]), MFE, "declares no opset for the default ONNX domain"),
    ("two-default-opsets", mk([N("Relu", ["x"], ["y"])], opsets=[helper.make_opsetid("", 13),
                                                                 helper.make_opsetid("ai.onnx", 11)]),
     MFE, "declares the default ONNX domain 2 times"),
    ("old-dropout-is_test-0", mk([N("Dropout", ["x"], ["y"], is_test=0)], opset=6), MFE, "opset 6"),
    ("old-batchnorm-training", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
                                  {k: f32(1, 1, 1, 1) for k in "sbmv"}, in_shape=(1, 4), opset=6), MFE, "opset 6"),
    # -- attributes
    ("unknown-attribute", mk([N("Relu", ["x"], ["y"], foo=1)]), MFE, "node 'y' \\(Relu-13\\) has an unknown attribute 'foo'"),
    ("misspelt-attribute", mk([N("Gemm", ["x", "W"], ["y"], transb=1)], {"W": W44}), MFE, "unknown attribute 'transb'"),
    ("is_test-after-opset-6", mk([N("Dropout", ["x"], ["y"], is_test=0)], opset=7), MFE, "unknown attribute 'is_test'"),
    ("spatial-after-opset-7", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=1)],
                                 {k: f32(1, 1, 1, 1) for k in "sbmv"}, opset=9), MFE, "unknown attribute 'spatial'"),
    ("attribute-wrong-type", mk([N("Gemm", ["x", "W"], ["y"], alpha=2)], {"W": W44}), MFE,
     "attribute 'alpha' has type INT, expected FLOAT"),
    ("attribute-wrong-type-list", mk([N("Transpose", ["x"], ["y"], perm=1)]), MFE, "'perm' has type INT, expected INTS"),
    ("missing-required-attribute", mk([N("Cast", ["x"], ["y"])]), MFE, "missing the required attribute 'to'"),
    ("concat-without-axis", mk([N("Concat", ["x", "x"], ["y"])]), MFE, "missing the required attribute 'axis'"),
    ("pool-without-kernel", mk([N("MaxPool", ["x"], ["y"])], in_shape=(1, 1, 4, 4)), MFE,
     "missing the required attribute 'kernel_shape'"),
    ("attribute-twice", mk([N("LeakyRelu", ["x"], ["y"], alpha=0.5)]), MFE, "has the attribute 'alpha' twice"),
    ("attribute-not-finite", mk([N("LeakyRelu", ["x"], ["y"], alpha=float("nan"))]), MFE, "'alpha' = nan is not finite"),
    ("constant-sparse", mk([N("Constant", [], ["y"], sparse_value=helper.make_sparse_tensor(
        helper.make_tensor("v", F32, [1], [1.0]), helper.make_tensor("i", TensorProto.INT64, [1], [0]), [4]))]),
     UNS, "attribute 'sparse_value' is not modelled"),
    ("constant-string", mk([N("Constant", [], ["y"], value_string="hi")]), UNS, "attribute 'value_string' is not modelled"),
    ("constant-two-values", mk([N("Constant", [], ["c"], value_float=1.0, value_floats=[1.0]), N("Add", ["x", "c"], ["y"])]),
     MFE, "must have exactly one value attribute"),
    ("function-attribute-reference", None, UNS, "refers to a function attribute"),
    # -- inputs and outputs of nodes
    ("too-many-inputs", mk([N("Relu", ["x", "x"], ["y"])]), MFE, "has 2 inputs; it takes 1 to 1"),
    ("too-many-outputs", mk([N("Relu", ["x"], ["y", "z"])]), MFE, "has 2 outputs; it has 1 to 1"),
    ("required-input-empty", mk([N("Gemm", ["x", "", "C"], ["y"])], {"C": f32(0)}), MFE,
     "leaves its required input 1 \\(B\\) empty"),
    # -- training mode and non-piecewise-linear outputs
    ("dropout-training", mk([N("Dropout", ["x", "r", "t"], ["y"])], {"r": np.float32(0.5), "t": np.array(True)}), UNS,
     "training_mode is true"),
    ("dropout-7-mask-used", mk([N("Dropout", ["x"], ["d", "mk"]), N("Add", ["d", "mk"], ["y"])], opset=7), UNS,
     "mask output of Dropout-7 is used"),
    ("batchnorm-training-mode", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], training_mode=1)],
                                   {k: f32(1, 1) for k in "sbmv"}, in_shape=(1, 2), opset=15), UNS, "training_mode=1"),
    ("batchnorm-9-training-outputs", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "m2", "v2"])],
                                        {k: f32(1, 1) for k in "sbmv"}, in_shape=(1, 2), opset=9), UNS, "training outputs"),
    ("batchnorm-15-extra-outputs", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "m2", "v2"])],
                                      {k: f32(1, 1) for k in "sbmv"}, in_shape=(1, 2), opset=15), MFE,
     "extra outputs are invalid when training_mode=0"),
    ("batchnorm-irrational", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
                                {"s": f32(1, 1), "b": f32(0, 0), "m": f32(0, 0), "v": f32(1, 2)}, in_shape=(1, 2)),
     UNS, "sqrt\\(var \\+ epsilon\\) = sqrt\\(.*\\) is irrational"),
    ("batchnorm-spatial0-channel-params", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=0,
                                               epsilon=0.25)], {k: f32(1, 1) for k in "sbmv"}, in_shape=(1, 2, 2, 2),
                                             opset=7), SHP, "expected \\[2, 2, 2\\] \\(spatial=0\\)"),
    ("batchnorm-param-shape", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
                                 {k: np.ones((2, 1), np.float32) for k in "sbmv"}, in_shape=(1, 2)), SHP,
     "scale has shape \\[2, 1\\], expected \\[2\\]"),
    ("batchnorm-7-1d", mk([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])], {k: f32(1) for k in "sbmv"},
                          in_shape=(4,), opset=7), SHP, "rank >= 2"),
    ("batchnorm-computed-param", mk(X4 + [N("BatchNormalization", ["x", "r", "b", "m", "v"], ["y"])],
                                    {k: f32(1, 1, 1, 1) for k in "bmv"}, in_shape=(1, 4)), UNS, "scale must be a constant"),
    ("maxpool-indices", mk([N("MaxPool", ["x"], ["y", "idx"], kernel_shape=[2, 2])], in_shape=(1, 1, 4, 4)), UNS,
     "the Indices output is not piecewise linear"),
    # -- casts
    ("cast-computed-to-float16", mk(X4 + [N("Cast", ["r"], ["h"], to=F16), N("Cast", ["h"], ["y"], to=F32)]), UNS,
     "cast of an input-dependent float32 tensor to float16 rounds its values: a step function"),
    ("cast-computed-to-int", mk(X4 + [N("Cast", ["r"], ["i"], to=TensorProto.INT64), N("Cast", ["i"], ["y"], to=F32)]), UNS,
     "float32 tensor to INT64 rounds"),
    ("cast-computed-double-to-float", mk([N("Relu", ["x"], ["r"]), N("Cast", ["r"], ["y"], to=F32)], elem=F64,
                                         out_elem=F32), UNS, "float64 tensor to float32"),
    ("cast-computed-float16-to-bfloat16", mk([N("Cast", ["x"], ["y"], to=TensorProto.BFLOAT16)], elem=F16,
                                             out_elem=TensorProto.BFLOAT16), UNS, "float16 tensor to bfloat16"),
    ("castlike-computed-narrowing", mk([N("CastLike", ["x", "c"], ["y"])], {"c": np.float16([0])}, elem=F32,
                                       out_elem=F16, opset=15), UNS, "float32 tensor to float16"),
    ("cast-to-float8", mk([N("Cast", ["c"], ["y"], to=TensorProto.FLOAT8E4M3FN)], {"c": f32(1)}, opset=19), UNS,
     "cast to FLOAT8E4M3FN is not modelled"),
    ("cast-to-string", mk([N("Cast", ["c"], ["y"], to=TensorProto.STRING)], {"c": f32(1)}), UNS, "cast to STRING"),
    ("cast-constant-overflows", mk([N("Cast", ["c"], ["h"], to=F16), N("Cast", ["h"], ["hf"], to=F32),
                                    N("Add", ["x", "hf"], ["y"])], {"c": f32(70000)}), MFE,
     "the constant 70000 overflows float16"),
    ("cast-constant-out-of-int-range", mk([N("Cast", ["c"], ["h"], to=TensorProto.INT8), N("Cast", ["h"], ["hf"], to=F32),
                                           N("Add", ["x", "hf"], ["y"])], {"c": f32(300.5)}), MFE,
     "casting 601/2 to INT8 is out of range"),
    ("cast-of-float-arithmetic", mk([N("Div", ["one", "three"], ["q"]), N("Cast", ["q"], ["h"], to=F16),
                                     N("Cast", ["h"], ["hf"], to=F32), N("Add", ["x", "hf"], ["y"])],
                                    {"one": f32(1), "three": f32(3)}), UNS,
     "cast of a constant computed with float arithmetic"),
    ("cast-to-int-of-a-sum-of-products", mk([N("MatMul", ["a", "b"], ["p"]), N("Cast", ["p"], ["i"], to=TensorProto.INT64),
                                             N("Cast", ["i"], ["pf"], to=F32), N("Add", ["x", "pf"], ["y"])],
                                            {"a": np.ones((1, 2), np.float32), "b": np.ones((2, 4), np.float32)}), UNS,
     "cast of a constant computed with float arithmetic"),
    ("cast-of-a-cancelled-input", mk([N("Sub", ["x", "x"], ["z"]), N("Cast", ["z"], ["i"], to=TensorProto.INT64),
                                      N("Cast", ["i"], ["y"], to=F32)]), UNS,
     "cast of an input-dependent float32 tensor to INT64"),  # x - x still reads the input
    # -- products, divisions
    ("product-of-computed", mk(X4 + [N("Mul", ["r", "x"], ["y"])]), UNS, "product of two input-dependent tensors"),
    ("matmul-of-computed", mk([N("Reshape", ["x", "s"], ["c"]), N("MatMul", ["x", "c"], ["y"])], {"s": ints(4, 1)}), UNS,
     "product of two input-dependent tensors"),
    ("division-by-computed", mk(X4 + [N("Div", ["x", "r"], ["y"])]), UNS, "division by an input-dependent tensor"),
    ("division-by-zero", mk([N("Div", ["x", "c"], ["y"])], {"c": f32(1, 0, 1, 1)}), MFE, "division by zero"),
    ("integer-overflow", mk([N("Add", ["a", "b"], ["s"]), N("Cast", ["s"], ["sf"], to=F32), N("Add", ["x", "sf"], ["y"])],
                            {"a": ints(2 ** 62), "b": ints(2 ** 62)}), MFE, "integer overflow of int64"),
    # -- Conv and pools
    ("conv-computed-weight", mk(X4 + [N("Reshape", ["r", "s"], ["w"]), N("Reshape", ["x", "s"], ["xi"]),
                                      N("Conv", ["xi", "w"], ["y"])], {"s": ints(1, 1, 2, 2)}), UNS,
     "the weight must be a constant"),
    ("conv-negative-pads", mk([N("Conv", ["x", "W"], ["y"], pads=[-1, 0, 0, 0])], {"W": np.ones((1, 1, 2, 2), np.float32)},
                              in_shape=(1, 1, 4, 4)), SHP, "pads \\[-1, 0, 0, 0\\] has a negative entry"),
    ("conv-pads-length", mk([N("Conv", ["x", "W"], ["y"], pads=[1, 1])], {"W": np.ones((1, 1, 2, 2), np.float32)},
                            in_shape=(1, 1, 4, 4)), SHP, "pads has 2 entries, expected 4"),
    ("conv-zero-stride", mk([N("Conv", ["x", "W"], ["y"], strides=[0, 1])], {"W": np.ones((1, 1, 2, 2), np.float32)},
                            in_shape=(1, 1, 4, 4)), SHP, "strides \\[0, 1\\] must be 2 values >= 1"),
    ("conv-negative-stride", mk([N("Conv", ["x", "W"], ["y"], strides=[-1, 1])], {"W": np.ones((1, 1, 2, 2), np.float32)},
                                in_shape=(1, 1, 4, 4)), SHP, "strides"),
    ("conv-zero-dilation", mk([N("Conv", ["x", "W"], ["y"], dilations=[1, 0])], {"W": np.ones((1, 1, 2, 2), np.float32)},
                              in_shape=(1, 1, 4, 4)), SHP, "dilations \\[1, 0\\] must be 2 values >= 1"),
    ("conv-kernel-shape", mk([N("Conv", ["x", "W"], ["y"], kernel_shape=[3, 3])], {"W": np.ones((1, 1, 2, 2), np.float32)},
                             in_shape=(1, 1, 4, 4)), SHP, "kernel_shape \\[3, 3\\] differs from weight shape"),
    ("conv-group", mk([N("Conv", ["x", "W"], ["y"], group=3)], {"W": np.ones((2, 1, 1, 1), np.float32)},
                      in_shape=(1, 4, 2, 2)), SHP, "group 3 do not fit"),
    ("conv-pads-and-auto-pad", mk([N("Conv", ["x", "W"], ["y"], pads=[1, 1, 1, 1], auto_pad="SAME_UPPER")],
                                  {"W": np.ones((1, 1, 2, 2), np.float32)}, in_shape=(1, 1, 4, 4)), MFE,
     "cannot be used together with auto_pad"),
    ("conv-unknown-auto-pad", mk([N("Conv", ["x", "W"], ["y"], auto_pad="SAME")], {"W": np.ones((1, 1, 2, 2), np.float32)},
                                 in_shape=(1, 1, 4, 4)), MFE, "unknown auto_pad 'SAME'"),
    ("conv-bias-size", mk([N("Conv", ["x", "W", "B"], ["y"])], {"W": np.ones((1, 1, 2, 2), np.float32), "B": f32(1, 2)},
                          in_shape=(1, 1, 4, 4)), SHP, "bias has 2 entries, expected 1"),
    ("conv-rank", mk([N("Conv", ["x", "W"], ["y"])], {"W": np.ones((1, 1, 2), np.float32)}, in_shape=(1, 1, 4, 4)), SHP,
     "must have the same rank"),
    ("maxpool-window-in-padding", mk([N("MaxPool", ["x"], ["y"], kernel_shape=[1, 1], pads=[1, 0, 0, 0])],
                                     in_shape=(1, 1, 2, 2)), SHP, "entirely in the padding"),
    ("maxpool-negative-pads", mk([N("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[0, 0, -1, 0])],
                                 in_shape=(1, 1, 4, 4)), SHP, "negative entry"),
    ("avgpool-count-include-pad-ceil", mk([N("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                                            ceil_mode=1, count_include_pad=1)], in_shape=(1, 1, 5, 5)), UNS,
     "count_include_pad=1 with windows beyond the padding"),
    ("pool-kernel-rank", mk([N("AveragePool", ["x"], ["y"], kernel_shape=[2])], in_shape=(1, 1, 4, 4)), SHP,
     "kernel has 1 dimensions, input has 2"),
    ("globalpool-rank-2", mk([N("GlobalMaxPool", ["x"], ["y"])], in_shape=(1, 4)), SHP, "rank >= 3"),
    # -- Pad, Split, Slice, Gather, Reshape, ...
    ("pad-reflect-too-wide", mk([N("Pad", ["x", "p"], ["y"], mode="reflect")], {"p": ints(0, 4, 0, 0)}, in_shape=(1, 4)),
     UNS, "mode 'reflect' with pads 4, 0 on an axis of size 4"),
    ("pad-edge-negative", mk([N("Pad", ["x", "p"], ["y"], mode="edge")], {"p": ints(0, -1, 0, 0)}), UNS,
     "negative pads in mode 'edge'"),
    ("pad-unknown-mode", mk([N("Pad", ["x", "p"], ["y"], mode="mirror")], {"p": ints(0, 1, 0, 0)}), MFE,
     "unknown mode 'mirror'"),
    ("pad-wrap-before-19", mk([N("Pad", ["x", "p"], ["y"], mode="wrap")], {"p": ints(0, 1, 0, 0)}, opset=18), MFE,
     "unknown mode 'wrap'"),
    ("pad-length", mk([N("Pad", ["x", "p"], ["y"])], {"p": ints(1, 1)}), SHP, "pads has 2 entries, expected 4"),
    ("pad-crop-too-much", mk([N("Pad", ["x", "p"], ["y"])], {"p": ints(0, -3, 0, -3)}), SHP, "remove more than the shape"),
    ("pad-computed-pads", mk([N("Shape", ["x"], ["s"]), N("Concat", ["s", "s"], ["p"], axis=0), N("Relu", ["x"], ["r"]),
                              N("Pad", ["x", "pp"], ["y"]), N("Identity", ["p"], ["pp"])], in_shape=(1, 4)), None, None),
    ("split-uneven", mk([N("Split", ["x"], ["a", "b"], axis=1), N("Sub", ["a", "b"], ["y"])], in_shape=(1, 5)), SHP,
     "not divisible into 2 equal parts"),
    ("split-18-neither", mk([N("Split", ["x"], ["a", "b"], axis=1), N("Sub", ["a", "b"], ["y"])], opset=18), MFE,
     "give either the split input or num_outputs"),
    ("split-sizes", mk([N("Split", ["x", "sp"], ["a", "b"], axis=1), N("Sub", ["a", "b"], ["y"])], {"sp": ints(1, 2)}),
     SHP, "Split sizes \\[1, 2\\] do not give 2 parts"),
    ("split-num-outputs-empty-chunk", mk([N("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3),
                                          N("Concat", ["a", "b", "c"], ["y"], axis=1)], opset=18), SHP,
     "cannot be cut into 3 chunks"),
    ("slice-step-0", mk([N("Slice", ["x", "s", "e", "a", "st"], ["y"])],
                        {"s": ints(0), "e": ints(2), "a": ints(1), "st": ints(0)}), SHP, "Slice step 0"),
    ("slice-repeated-axis", mk([N("Slice", ["x", "s", "e", "a"], ["y"])],
                               {"s": ints(0, 1), "e": ints(2, 3), "a": ints(1, 1)}), SHP, "repeats an axis"),
    ("slice-negative-axis-opset10", mk([N("Slice", ["x", "s", "e", "a"], ["y"])],
                                       {"s": ints(0), "e": ints(2), "a": ints(-1)}, opset=10), SHP,
     "Slice axis -1 is negative"),
    ("slice-lengths", mk([N("Slice", ["x", "s", "e"], ["y"])], {"s": ints(0, 0), "e": ints(2)}), SHP, "different lengths"),
    ("flatten-negative-axis-opset9", mk([N("Flatten", ["x"], ["y"], axis=-1)], opset=9), SHP, "must not be negative"),
    ("flatten-axis-range", mk([N("Flatten", ["x"], ["y"], axis=3)]), SHP, "out of range for rank 2"),
    ("concat-negative-axis-opset7", mk([N("Concat", ["x", "x"], ["y"], axis=-1)], opset=7), SHP, "is negative"),
    ("concat-shapes", mk([N("Concat", ["x", "c"], ["y"], axis=1)], {"c": np.ones((2, 1), np.float32)}), SHP,
     "do not fit along axis 1"),
    ("gather-negative-index-opset7", mk([N("Gather", ["x", "i"], ["y"], axis=1)], {"i": ints(-1)}, opset=7), SHP,
     "index out of range \\[0, 3\\]"),
    ("gather-index-range", mk([N("Gather", ["x", "i"], ["y"], axis=1)], {"i": ints(4)}), SHP, "out of range \\[-4, 3\\]"),
    ("gather-axis-range", mk([N("Gather", ["x", "i"], ["y"], axis=2)], {"i": ints(0)}), SHP, "Gather axis 2 is out of range"),
    ("reshape-two-minus-one", mk([N("Reshape", ["x", "s"], ["y"])], {"s": ints(-1, -1)}), SHP, "at most one -1"),
    ("reshape-size", mk([N("Reshape", ["x", "s"], ["y"])], {"s": ints(3, 2)}), SHP, "cannot reshape \\[1, 4\\]"),
    ("reshape-allowzero-with-minus-one", mk([N("Reshape", ["x", "s"], ["y"], allowzero=1)], {"s": ints(0, -1)}, opset=14),
     SHP, "both 0 and -1"),
    ("transpose-perm", mk([N("Transpose", ["x"], ["y"], perm=[0, 0])]), SHP, "is not a permutation"),
    ("squeeze-not-one", mk([N("Squeeze", ["x", "a"], ["y"])], {"a": ints(1)}), SHP, "axis 1 of shape \\[1, 4\\] is not of size 1"),
    ("unsqueeze-repeated", mk([N("Unsqueeze", ["x", "a"], ["y"])], {"a": ints(0, 0)}), SHP, "repeats an axis"),
    ("gemm-c-bidirectional", mk([N("Gemm", ["x", "W", "C"], ["y"])], {"W": W44, "C": np.ones((2, 4), np.float32)}), SHP,
     "C of shape \\[2, 4\\] does not broadcast to \\(1, 4\\)"),
    ("max-6-broadcast", mk([N("Max", ["x", "c"], ["y"])], {"c": f32(1)}, opset=7), SHP, "no broadcasting"),
    ("sum-6-broadcast", mk([N("Sum", ["x", "c"], ["y"])], {"c": f32(1)}, opset=7), SHP, "no broadcasting"),
    ("clip-computed-bound", mk(X4 + [N("Gather", ["r", "i"], ["m"], axis=1), N("Clip", ["x", "m"], ["y"])],
                               {"i": np.array(0, np.int64)}), UNS, "min/max must be a constant"),
    ("clip-bound-not-scalar", mk([N("Clip", ["x", "lo"], ["y"])], {"lo": f32(0, 1)}), SHP, "must be a scalar"),
    ("prelu-computed-slope", mk(X4 + [N("PRelu", ["x", "r"], ["y"])]), UNS, "slope must be a constant"),
    ("prelu-slope-shape", mk([N("PRelu", ["x", "s"], ["y"])], {"s": f32(1, 2, 3)}), SHP, "does not broadcast"),
    ("constantofshape-huge", mk([N("ConstantOfShape", ["s"], ["c"]), N("Add", ["x", "c"], ["y"])],
                                {"s": ints(100000, 100000)}), MFE, "more than the limit 10,000,000"),
    ("constantofshape-negative", mk([N("ConstantOfShape", ["s"], ["c"]), N("Add", ["x", "c"], ["y"])], {"s": ints(1, -4)}),
     SHP, "negative entry"),
    ("constantofshape-value-size", mk([N("ConstantOfShape", ["s"], ["c"], value=numpy_helper.from_array(f32(1, 2), "v")),
                                       N("Add", ["x", "c"], ["y"])], {"s": ints(1, 4)}), MFE, "value must hold one element"),
    ("subgraph-operator", mk([N("If", ["b"], ["y"], then_branch=helper.make_graph([], "t", [], []),
                                else_branch=helper.make_graph([], "e", [], []))], {"b": np.array(True)}), UNS,
     "'If'.*no exact piecewise-linear lowering"),
    # -- graph inputs and outputs
    ("integer-input", mk([N("Cast", ["x"], ["y"], to=F32)], in_elem=TensorProto.INT64), MFE, "input 'x' is not a float tensor"),
    ("integer-output", mk([N("Shape", ["x"], ["y"])], out_elem=TensorProto.INT64), MFE, "output 'y' is not a float tensor"),
    ("two-inputs-used", mk([N("Add", ["x", "x2"], ["y"])], extra_inputs=[helper.make_tensor_value_info("x2", F32, [1, 4])]),
     MFE, "depends on 2 graph inputs"),
    ("two-outputs", mk([N("Relu", ["x"], ["y"]), N("Neg", ["x"], ["z"])], outputs=("y", "z")), MFE,
     "has 2 outputs \\['y', 'z'\\]; choose one"),
    ("symbolic-dimension", mk([N("Relu", ["x"], ["y"])], in_shape=("N", "C")), MFE, "symbolic dimension 1 \\(C\\)"),
    # -- the graph as a whole
    ("produced-twice-by-nodes", mk([N("Relu", ["x"], ["h"], name="a"), N("Neg", ["x"], ["h"], name="b"),
                                    N("Relu", ["h"], ["y"])]), MFE, "tensor 'h' is produced twice \\(node 'a' and node 'b'\\)"),
    ("node-output-is-initializer", mk([N("Relu", ["x"], ["W"], name="a"), N("Add", ["x", "W"], ["y"])], {"W": f32(1, 1, 1, 1)}),
     MFE, "tensor 'W' is produced twice \\(an initializer and node 'a'\\)"),
    ("node-output-is-graph-input", mk([N("Relu", ["y"], ["x"], name="a"), N("Relu", ["x"], ["y"], name="b")]), MFE,
     "tensor 'x' is produced twice \\(a graph input and node 'a'\\)"),
    ("initializer-twice", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[numpy_helper.from_array(f32(1, 1, 1, 1), "W"),
                                                                    numpy_helper.from_array(f32(2, 2, 2, 2), "W")]),
     MFE, "tensor 'W' is produced twice \\(an initializer and an initializer\\)"),
    ("graph-input-twice", mk([N("Relu", ["x"], ["y"])], extra_inputs=[helper.make_tensor_value_info("x", F32, [1, 4])]), MFE,
     "graph input 'x' is declared twice"),
    ("cycle", mk([N("Add", ["x", "b"], ["a"], name="n1"), N("Relu", ["a"], ["b"], name="n2"), N("Relu", ["a"], ["y"], name="n3")]),
     MFE, "the graph has a cycle \\(through nodes 'n1', 'n2'"),
    ("self-loop", mk([N("Add", ["x", "a"], ["a"], name="n1"), N("Relu", ["a"], ["y"])]), MFE, "has a cycle"),
    ("undefined-tensor", mk([N("Relu", ["nowhere"], ["y"], name="r")]), MFE,
     "tensor 'nowhere' used by node 'r' is never defined"),
    ("output-not-produced", mk([N("Relu", ["x"], ["h"])], outputs=("y",)), MFE, "graph output 'y' is not produced"),
    ("sparse-initializer", None, MFE, "sparse initializers"),
    ("unsorted-nodes-are-refused-by-the-checker", mk([N("Relu", ["h"], ["y"]), N("Neg", ["x"], ["h"])], out_shape=[1, 4]),
     MFE, "the ONNX checker rejects the model: Nodes in a graph must be topologically sorted"),
    ("output-without-shape", mk([N("Relu", ["x"], ["y"])]), MFE, "the ONNX checker rejects the model: Field 'shape'"),
    # -- tensors
    ("raw-data-short", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[tensor("W", F32, [4], raw_data=b"\0" * 12)]), MFE,
     "initializer 'W' holds 12 bytes of raw data, but dims \\[4\\] of FLOAT need 16"),
    ("raw-data-long", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[tensor("W", F32, [4], raw_data=b"\0" * 20)]), MFE,
     "holds 20 bytes of raw data"),
    ("typed-data-short", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[tensor("W", F32, [4], float_data=[1, 2, 3])]), MFE,
     "holds 3 values, but dims \\[4\\] need 4"),
    ("float16-stored-out-of-range", mk([N("Cast", ["W"], ["Wf"], to=F32), N("Add", ["x", "Wf"], ["y"])],
                                       raw_inits=[tensor("W", F16, [4], int32_data=[15360, 70000, 0, 0])]), MFE,
     "FLOAT16\\) holds a stored value outside \\[0, 65535\\]"),
    ("int8-stored-out-of-range", mk([N("Cast", ["W"], ["Wf"], to=F32), N("Add", ["x", "Wf"], ["y"])],
                                    raw_inits=[tensor("W", TensorProto.INT8, [4], int32_data=[1, 300, 0, 0])]), MFE,
     "INT8\\) holds a stored value outside \\[-128, 127\\]"),
    ("bool-raw-byte", mk([N("Cast", ["W"], ["Wf"], to=F32), N("Add", ["x", "Wf"], ["y"])],
                         raw_inits=[tensor("W", TensorProto.BOOL, [4], raw_data=b"\x00\x01\x02\x00")]), MFE,
     "is BOOL but holds a byte other than 0 or 1"),
    ("two-value-fields", mk([N("Add", ["x", "W"], ["y"])],
                            raw_inits=[tensor("W", F32, [4], float_data=[1, 2, 3, 4], raw_data=b"\0" * 16)]), MFE,
     "more than one value field"),
    ("wrong-value-field", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[tensor("W", F32, [4], double_data=[1, 2, 3, 4])]),
     MFE, "is FLOAT but holds its values in double_data"),
    ("no-data", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[tensor("W", F32, [4])]), MFE, "declares 4 elements but holds no data"),
    ("negative-dim", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[tensor("W", F32, [-4], float_data=[])]), MFE,
     "negative dimension \\[-4\\]"),
    ("huge-dims", mk([N("Add", ["x", "W"], ["y"])], raw_inits=[tensor("W", F32, [10 ** 6, 10 ** 6], raw_data=b"\0" * 16)]),
     MFE, "declares 1000000000000 elements \\(dims \\[1000000, 1000000\\]\\), more than the limit"),
    ("float8-initializer", mk([N("Cast", ["W"], ["Wf"], to=F32), N("Add", ["x", "Wf"], ["y"])],
                              raw_inits=[helper.make_tensor("W", TensorProto.FLOAT8E4M3FN, [4], [1.0, 1.0, 1.0, 1.0])],
                              opset=19), MFE, "element type FLOAT8E4M3FN, which is not supported"),
    ("string-initializer", mk([N("Identity", ["x"], ["y"])], raw_inits=[helper.make_tensor("S", TensorProto.STRING, [1], [b"a"])]),
     MFE, "element type STRING"),
    ("uint64-above-int64", mk([N("Cast", ["W"], ["Wf"], to=F32), N("Add", ["x", "Wf"], ["y"])],
                              raw_inits=[tensor("W", TensorProto.UINT64, [1], uint64_data=[2 ** 64 - 1])]), MFE,
     "above 2\\^63 - 1"),
    ("nan-in-constant-node", mk([N("Constant", [], ["c"], value=numpy_helper.from_array(f32(1, np.nan, 1, 1), "v")),
                                 N("Add", ["x", "c"], ["y"])]), MFE, "contains a non-finite value nan"),
    ("inf-in-float16-weight", mk([N("Cast", ["W"], ["Wf"], to=F32), N("Add", ["x", "Wf"], ["y"])],
                                 {"W": np.array([1, np.inf, 0, 0], np.float16)}), MFE, "contains a non-finite value inf"),
    ("nan-in-bfloat16-weight", mk([N("Cast", ["W"], ["Wf"], to=F32), N("Add", ["x", "Wf"], ["y"])],
                                  raw_inits=[helper.make_tensor("W", TensorProto.BFLOAT16, [4], [1.0, float("nan"), 0, 0])]),
     MFE, "contains a non-finite value nan"),
    ("neg-inf-in-double-weight", mk([N("Add", ["x", "W"], ["y"])], {"W": np.array([1, -np.inf, 0, 0])}, elem=F64), MFE,
     "non-finite value -inf"),
]


def _function_attribute_model():
    m = mk([N("LeakyRelu", ["x"], ["y"])])
    a = onnx.AttributeProto(name="alpha", ref_attr_name="a", type=onnx.AttributeProto.FLOAT)
    m.graph.node[0].attribute.append(a)
    return m


def _sparse_initializer_model():
    m = mk([N("Relu", ["x"], ["y"])])
    m.graph.sparse_initializer.append(helper.make_sparse_tensor(helper.make_tensor("v", F32, [1], [1.0]),
                                                                helper.make_tensor("i", TensorProto.INT64, [1], [0]), [4]))
    return m


def _attribute_twice_model():
    m = mk([N("LeakyRelu", ["x"], ["y"], alpha=0.5)])
    m.graph.node[0].attribute.append(helper.make_attribute("alpha", 0.25))
    return m


_SPECIAL = {"function-attribute-reference": _function_attribute_model, "sparse-initializer": _sparse_initializer_model,
            "attribute-twice": _attribute_twice_model}
REFUSALS = [(name, _SPECIAL[name]() if name in _SPECIAL else model, cls, frag) for name, model, cls, frag in REFUSALS
            if cls is not None]


@pytest.mark.parametrize("name, model, cls, fragment", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_onnx_refusal_message(name, model, cls, fragment):
    with pytest.raises(cls) as ei:
        load_onnx(model.SerializeToString())
    assert re.search(fragment, str(ei.value)), f"{str(ei.value)!r} does not match {fragment!r}"
    assert one_line(ei.value)
    if cls is ModelFormatError:  # not a subclass's refusal passed off as malformed input, or the reverse
        assert not isinstance(ei.value, UnsupportedOperatorError)


def test_an_operator_version_not_modelled_is_refused(monkeypatch):
    import dataclasses

    from exactrelu.io.onnx.ops import OPERATORS

    entry = OPERATORS["Relu"]
    monkeypatch.setitem(OPERATORS, "Relu", dataclasses.replace(entry, versions=tuple(v for v in entry.versions if v != 14)))
    with pytest.raises(UnsupportedOperatorError, match="Relu-14 \\(opset 15\\) is not modelled; the loader models "
                                                       "versions 6, 13") as ei:
        load_onnx(mk([N("Relu", ["x"], ["y"])], opset=15).SerializeToString())
    assert one_line(ei.value)


def test_input_shape_may_only_fill_symbolic_dimensions():
    m = mk([N("Relu", ["x"], ["y"])], in_shape=("N", 4), out_shape=["N", 4])
    assert load_onnx(m.SerializeToString(), input_shape=[1, 4]).n_inputs == 4
    with pytest.raises(ShapeError, match="differs from the declared dimension 1 \\(4\\)"):
        load_onnx(m.SerializeToString(), input_shape=[1, 5])
    with pytest.raises(ShapeError, match="has rank 3"):
        load_onnx(m.SerializeToString(), input_shape=[1, 2, 2])
    with pytest.raises(ModelFormatError, match="has no output 'z'"):
        load_onnx(m.SerializeToString(), output="z")


# --------------------------------------------------------------------------------------
# bit flips: a flipped model loads into exactly the network an independent interpreter
# computes, or is refused with one clean line
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_bits", [1, 2, 4])
def test_bit_flipped_models_load_exactly_as_the_oracle_says_or_fail_cleanly(n_bits):
    from fractions import Fraction

    from hostile.cases_onnx import BASE, POINT, Invalid, exact_onnx_oracle, flip_bits

    points = [POINT, [Fraction(-3, 2), Fraction(5, 4), Fraction(0)]]
    accepted = 0
    for seed in range(150):
        data = flip_bits(BASE, 7919 * seed + n_bits, n_bits)
        try:
            net = load_onnx(data)
        except ExactReluError as exc:
            assert one_line(exc), f"seed {seed}: {exc}"
            continue
        accepted += 1
        for x in points:
            try:
                want = exact_onnx_oracle(data, x)
            except Invalid as exc:
                pytest.fail(f"seed {seed}: the loader accepted a model the oracle refuses ({exc})")
            assert list(evaluate(net, x)) == want, f"seed {seed}: a silently different model"
    if n_bits <= 2:
        assert accepted >= 20  # the test compares real networks, not only refusals
