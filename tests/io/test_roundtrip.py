"""Round trips: JSON -> Network -> JSON and ONNX -> Network -> ONNX are the identity."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu.errors import ExportError
from exactrelu.model.evaluation import evaluate_batch
from exactrelu.io import export_onnx, load_json, load_model, load_onnx, network_to_onnx, save_json, save_model
from exactrelu.io.native_json import dumps, loads, network_from_dict, network_to_dict
from exactrelu.model.network import Activation, Layer, Network, NetworkBuilder, mlp

ort = pytest.importorskip("onnxruntime")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rationals():
    return st.builds(Fraction, st.integers(-40, 40), st.integers(1, 12))


def dyadics(bits: int = 10):
    # k / 2^j with |k| < 2^bits: exactly representable in float32
    return st.builds(lambda k, j: Fraction(k, 2 ** j), st.integers(-(2 ** bits) + 1, 2 ** bits - 1), st.integers(0, 12))


@st.composite
def networks(draw, numbers, relu_hidden: bool = False, names: bool = True):
    n_in = draw(st.integers(1, 3))
    n_layers = draw(st.integers(1, 4))
    widths = [n_in]
    layers = []
    for k in range(1, n_layers + 1):
        width = draw(st.integers(1, 3))
        earlier = draw(st.sets(st.integers(0, k - 2), max_size=2)) if k >= 2 else set()
        sources = sorted(earlier | {k - 1})
        inputs = tuple((s, tuple(tuple(draw(numbers) for _ in range(widths[s])) for _ in range(width)))
                       for s in sources)
        bias = tuple(draw(numbers) for _ in range(width))
        last = k == n_layers
        if relu_hidden and not last:
            act = Activation.RELU
        else:
            act = draw(st.sampled_from([Activation.RELU, Activation.IDENTITY]))
        name = draw(st.sampled_from(["", f"L{k}", "dense"])) if names else ""
        layers.append(Layer(inputs, bias, act, name))
        widths.append(width)
    net_name = draw(st.sampled_from(["", "net", "my-net"])) if names else ""
    return Network(n_in, tuple(layers), name=net_name)


@SETTINGS
@given(networks(rationals()))
def test_json_roundtrip_is_identity(net):
    text = dumps(net)
    back = loads(text)
    assert back == net
    assert dumps(back) == text
    assert network_to_dict(network_from_dict(json.loads(text))) == network_to_dict(net)


def test_json_file_roundtrip(tmp_path):
    b = NetworkBuilder(2, input_names=("a", "b"), name="skip")
    h = b.dense(b.input, [["1/3", "-2/7"], [1, 0]], ["1/2", 0], "relu")
    b.add({b.input: [["5/11", 1]], h: [[1, "-1/9"]]}, ["-3/4"])
    net = b.build(output_names=("y",))
    save_json(net, tmp_path / "n.json")
    assert load_json(tmp_path / "n.json") == net
    save_model(net, tmp_path / "m.json")
    assert load_model(tmp_path / "m.json") == net


@SETTINGS
@given(networks(dyadics(), relu_hidden=True), st.sampled_from(["float32", "float64"]))
def test_onnx_roundtrip_is_identity(net, dtype):
    model, change = network_to_onnx(net, dtype=dtype)
    assert change == 0
    back = load_onnx(model.SerializeToString())
    assert back == net
    model2, _ = network_to_onnx(back, dtype=dtype)
    assert model2.SerializeToString() == model.SerializeToString()


@settings(max_examples=15, deadline=None)
@given(networks(dyadics(6), relu_hidden=False, names=False))
def test_exported_onnx_runs_in_onnxruntime_like_the_exact_net(net):
    """Also nets with identity hidden layers: the loader folds them but the function is equal."""
    model, _ = network_to_onnx(net, dtype="float64")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    back = load_onnx(model.SerializeToString())
    rng = np.random.default_rng(0)
    pts = (rng.integers(-64, 65, size=(5, net.n_inputs)) / 16).astype(np.float64)
    exact = evaluate_batch(net, pts.tolist())
    assert evaluate_batch(back, pts.tolist()) == exact  # same function exactly
    assert len(back.layers) <= len(net.layers)
    for p, y in zip(pts, exact):
        (ref,) = sess.run(None, {"input": p.reshape(1, -1)})
        # onnxruntime is a float64 implementation: products of dyadic weights can need more
        # than 53 bits, so it agrees with the correctly rounded exact value to a few ulps
        got = ref.ravel().tolist()
        assert len(got) == len(y)
        for q, f in zip(y, got):
            assert abs(Fraction(f) - q) <= abs(q) * Fraction(1, 2**48) + Fraction(1, 2**60)


def test_export_refuses_inexact_weights_or_reports_the_change(tmp_path):
    net = mlp(1, [([["1/10"]], [0]), ([[1]], ["1/3"])])
    with pytest.raises(ExportError, match=r"layer 1, weight from source 0 \[0\]\[0\] = 1/10"):
        export_onnx(net, tmp_path / "a.onnx")
    change = export_onnx(net, tmp_path / "a.onnx", approximate=True)
    f01, f13 = Fraction(float(np.float32(0.1))), Fraction(float(np.float32(1 / 3)))
    assert change == max(abs(f01 - Fraction(1, 10)), abs(f13 - Fraction(1, 3)))
    back = load_onnx(tmp_path / "a.onnx")
    assert back.layers[0].inputs[0][1][0][0] == f01
    change64 = save_model(net, tmp_path / "b.onnx.gz", dtype="float64", approximate=True)
    assert 0 < change64 < change
    assert load_model(tmp_path / "b.onnx.gz").layers[1].bias[0] == Fraction(1 / 3)


def test_export_nearest_float32_rounding_is_correct():
    # 1 + 2^-24 + 2^-60 is just above the midpoint between two float32 values: must round up
    q = 1 + Fraction(1, 2 ** 24) + Fraction(1, 2 ** 60)
    net = mlp(1, [([[q]], [0])])
    model, change = network_to_onnx(net, approximate=True)
    w = load_onnx(model.SerializeToString()).layers[0].inputs[0][1][0][0]
    assert w == 1 + Fraction(1, 2 ** 23)
    assert change == Fraction(1, 2 ** 24) - Fraction(1, 2 ** 60)


def test_export_dynamic_batch(tmp_path):
    net = mlp(2, [([[1, 2], [3, 4]], [0, 1]), ([[1, -1]], [0])])
    export_onnx(net, tmp_path / "d.onnx", dtype="float64", dynamic_batch=True)
    sess = ort.InferenceSession(str(tmp_path / "d.onnx"), providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {"input": np.array([[1.0, 2.0], [-1.0, 0.5]])})
    assert y.shape == (2, 1)
    assert load_onnx(tmp_path / "d.onnx") == net
