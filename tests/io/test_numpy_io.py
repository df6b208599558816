"""numpy arrays and .npz files: exact conversion, shapes, and no unpickling ever."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from exactrelu.errors import ModelError, ModelFormatError, NumberError, ShapeError, UnsafeFileError, ExportError
from exactrelu.model.evaluation import evaluate
from exactrelu.io import from_numpy, load_model, load_npz, save_model
from exactrelu.model.network import NetworkBuilder, mlp


def test_floats_convert_exactly_and_activations_default():
    W0 = np.array([[0.1, 2.0], [-0.5, 1.0]], dtype=np.float64)
    W1 = np.array([[1.0, 1.0]], dtype=np.float32)
    net = from_numpy([W0, W1], [np.zeros(2), np.array([0.1], dtype=np.float32)])
    assert net.layers[0].inputs[0][1][0][0] == Fraction(0.1) != Fraction(1, 10)
    assert net.layers[1].bias[0] == Fraction(float(np.float32(0.1)))
    assert [l.activation.value for l in net.layers] == ["relu", "identity"]
    # W[out][in] convention: y = W1 relu(W0 x + b0) + b1
    x = [Fraction(1), Fraction(-1, 4)]
    h = [max(Fraction(0.1) * x[0] + 2 * x[1], Fraction(0)), max(-x[0] / 2 + x[1], Fraction(0))]
    assert evaluate(net, x) == (h[0] + h[1] + Fraction(float(np.float32(0.1))),)


def test_integer_and_string_arrays_and_explicit_activations():
    net = from_numpy([np.array([[1, -2]]), [["1/3"], ["0.1"]]], [np.array([3]), ["-1/7", "2"]],
                     activations=["identity", "relu"])
    assert net.layers[1].inputs[0][1] == ((Fraction(1, 3),), (Fraction(1, 10),))
    assert net.layers[1].bias == (Fraction(-1, 7), Fraction(2))
    assert net.layers[0].activation.value == "identity" and net.layers[1].activation.value == "relu"


@pytest.mark.parametrize("weights, biases, exc, message", [
    ([np.ones((2, 3)), np.ones((1, 3))], [np.ones(2), np.ones(1)], ShapeError, "W1 has 3 columns"),
    ([np.ones((2, 3))], [np.ones(3)], ShapeError, "b0 has 3 entries"),
    ([np.ones(3)], [np.ones(1)], ShapeError, "W0 must be 2-D"),
    ([np.ones((2, 3))], [], ShapeError, "bias vectors"),
    ([np.array([[1.0, np.nan]])], [np.zeros(1)], NumberError, "W0 contains a non-finite value"),
    ([np.array([[1.0, 0.0]])], [np.array([np.inf])], NumberError, "b0 contains a non-finite value"),
    ([np.ones((1, 1))], [np.ones(1)], ModelError, None),
])
def test_bad_arrays(weights, biases, exc, message):
    if message is None:  # wrong number of activations
        with pytest.raises(exc, match="activations"):
            from_numpy(weights, biases, activations=["relu", "relu"])
        return
    with pytest.raises(exc, match=message):
        from_numpy(weights, biases)


def test_npz_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"W0": rng.standard_normal((4, 3)), "b0": rng.standard_normal(4),
              "W1": rng.standard_normal((2, 4)).astype(np.float32), "b1": rng.standard_normal(2)}
    np.savez(tmp_path / "m.npz", **arrays)
    net = load_npz(tmp_path / "m.npz")
    assert net == from_numpy([arrays["W0"], arrays["W1"]], [arrays["b0"], arrays["b1"]], name="m")
    assert load_model(tmp_path / "m.npz") == net
    # save_npz writes what load_npz reads
    save_model(net, tmp_path / "again.npz")
    assert load_npz(tmp_path / "again.npz").layers == net.layers


def test_npz_with_activations_array(tmp_path):
    np.savez(tmp_path / "a.npz", W0=np.eye(2), b0=np.zeros(2), activations=np.array(["relu"]))
    net = load_npz(tmp_path / "a.npz")
    assert net.n_relu == 2 and len(net.layers) == 1


def test_npz_object_arrays_are_refused_without_unpickling(tmp_path):
    np.savez(tmp_path / "obj.npz", W0=np.array([[1.0]], dtype=object), b0=np.zeros(1))
    with pytest.raises(UnsafeFileError, match="unpickling"):
        load_npz(tmp_path / "obj.npz")


@pytest.mark.parametrize("arrays, message", [
    ({"W0": np.eye(2)}, "b0"),
    ({"W0": np.eye(2), "b0": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}, "W0..W1"),
    ({"W0": np.eye(2), "b0": np.zeros(2), "extra": np.zeros(1)}, "unexpected array 'extra'"),
    ({"b0": np.zeros(2)}, "no weight arrays"),
])
def test_npz_layout_errors(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFormatError, match=message):
        load_npz(tmp_path / "bad.npz")


def test_npz_not_a_zip_and_missing(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(ModelFormatError, match="not an .npz file"):
        load_npz(tmp_path / "junk.npz")
    with pytest.raises(ModelFormatError, match="no such file"):
        load_npz(tmp_path / "missing.npz")


def test_save_npz_refuses_skips_and_inexact():
    b = NetworkBuilder(1)
    h = b.dense(b.input, [[1]], [0], "relu")
    b.add({b.input: [[1]], h: [[1]]}, [0])
    with pytest.raises(ExportError, match="skip"):
        save_model(b.build(), "/nonexistent/x.npz")
    with pytest.raises(ExportError, match="not exactly representable"):
        save_model(mlp(1, [([["1/3"]], [0])]), "/nonexistent/y.npz")
