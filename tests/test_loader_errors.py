"""Bad input to the loaders: every case raises the right exactrelu exception, in one line.

Pickle files are written with ``pickle.dumps`` here and never loaded.
"""

from __future__ import annotations

import gzip
import os
import pickle
import zipfile

import numpy as np
import pytest

from conftest import shared_path
from exactrelu.errors import (ExactReluError, ModelFormatError, PointError, ShapeError, UnsafeFileError,
                              UnsupportedOperatorError)
from exactrelu.evaluation import evaluate
from exactrelu.io import detect_format, load_model, load_onnx, save_model
from exactrelu.network import mlp

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
