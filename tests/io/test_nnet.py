"""The ACAS Xu ``.nnet`` reader: exact decimals, normalisation, domain, malformed files."""

from __future__ import annotations

import gzip
import random
from decimal import Decimal
from fractions import Fraction

import pytest

from conftest import shared_path
from exactrelu.errors import ModelFormatError
from exactrelu.model.evaluation import evaluate
from exactrelu.io import load_model, load_nnet, load_nnet_with_domain, load_onnx
from exactrelu.io.nnet import parse_nnet, read_nnet

# 2 inputs -> 3 -> 2 -> 1 output, with decimals that are not binary floats
SMALL = """// Neural Network File Format by Kyle Julian, Stanford 2016
// a hand-written test network
3,2,1,3,
2,3,2,1,
0,
-1.0,0.0,
1.0,0.5,
0.1,0.2,7.5,
2.0,0.4,373.9,
0.1,-0.2,
0.3,0.4,
-0.5,0.6,
0.01,
-0.02,
0.03,
1.5,-1.0,0.25,
-0.75,0.5,1e-1,
0.0,
0.1,
2.0,-3.0,
0.3333,
"""


def write(tmp_path, text, name="net.nnet"):
    p = tmp_path / name
    p.write_text(text)
    return p


def reference(x, normalize=True, scale=True):
    """Independent evaluation of SMALL from its decimals (plain Fractions)."""
    Fr = Fraction
    mean = [Fr("0.1"), Fr("0.2")]
    rng = [Fr("2.0"), Fr("0.4")]
    if normalize:
        x = [(xi - m) / r for xi, m, r in zip(x, mean, rng)]
    W1 = [[Fr("0.1"), Fr("-0.2")], [Fr("0.3"), Fr("0.4")], [Fr("-0.5"), Fr("0.6")]]
    b1 = [Fr("0.01"), Fr("-0.02"), Fr("0.03")]
    W2 = [[Fr("1.5"), Fr("-1.0"), Fr("0.25")], [Fr("-0.75"), Fr("0.5"), Fr("0.1")]]
    b2 = [Fr(0), Fr("0.1")]
    W3 = [[Fr(2), Fr(-3)]]
    b3 = [Fr("0.3333")]
    h = x
    for W, b, relu in ((W1, b1, True), (W2, b2, True), (W3, b3, False)):
        z = [sum((w * v for w, v in zip(row, h)), bb) for row, bb in zip(W, b)]
        h = [max(v, Fr(0)) for v in z] if relu else z
    if scale:
        h = [v * Fr("373.9") + Fr("7.5") for v in h]
    return h


def test_decimals_parse_exactly(tmp_path):
    f = read_nnet(write(tmp_path, SMALL))
    assert f.sizes == [2, 3, 2, 1]
    assert f.weights[0][0] == [Fraction(1, 10), Fraction(-1, 5)]
    assert f.weights[1][1][2] == Fraction(1, 10)  # "1e-1"
    assert f.biases[2] == [Fraction(3333, 10000)]
    assert f.means == [Fraction(1, 10), Fraction(1, 5), Fraction(15, 2)]
    assert f.ranges[-1] == Fraction(3739, 10)


@pytest.mark.parametrize("mode", ["layer", "fold", "none"])
@pytest.mark.parametrize("scale", [True, False])
def test_normalisation_modes_are_exact(tmp_path, mode, scale):
    net = load_nnet(write(tmp_path, SMALL), input_normalization=mode, scale_outputs=scale)
    d = net.describe()
    assert d["relu_layers"] == [3, 2] and d["outputs"] == 1
    assert len(net.layers) == (4 if mode == "layer" else 3)
    if mode == "layer":
        assert d["layers"][0]["activation"] == "identity" and d["layers"][0]["name"] == "input_normalization"
    rnd = random.Random(5)
    for _ in range(20):
        x = [Fraction(rnd.randint(-100, 100), 97), Fraction(rnd.randint(0, 50), 89)]
        got = list(evaluate(net, x))
        assert got == reference(x, normalize=(mode != "none"), scale=scale)


def test_domain_is_the_clipping_box(tmp_path):
    p = write(tmp_path, SMALL)
    net, lo, hi = load_nnet_with_domain(p)
    assert lo == (Fraction(-1), Fraction(0)) and hi == (Fraction(1), Fraction(1, 2))
    _, lo_n, hi_n = load_nnet_with_domain(p, input_normalization="none")
    assert lo_n == ((Fraction(-1) - Fraction(1, 10)) / 2, (0 - Fraction(1, 5)) / Fraction(2, 5))
    assert hi_n == ((1 - Fraction(1, 10)) / 2, (Fraction(1, 2) - Fraction(1, 5)) / Fraction(2, 5))


def test_load_model_dispatches_nnet(tmp_path):
    p = write(tmp_path, SMALL)
    assert load_model(p) == load_nnet(p)
    assert load_model(p, input_normalization="fold") == load_nnet(p, input_normalization="fold")


def test_biases_on_one_line_also_parse(tmp_path):
    lines = SMALL.splitlines()
    i = lines.index("0.01,")
    alt = lines[:i] + ["0.01,-0.02,0.03,"] + lines[i + 3:]
    a = load_nnet(write(tmp_path, "\n".join(alt)))
    b = load_nnet(write(tmp_path, SMALL, "b.nnet"))
    assert a.layers == b.layers and (a.name, b.name) == ("net", "b")


def test_acasxu_weights_written_as_exact_decimals_match_the_onnx_file(tmp_path):
    """An .nnet written from the ONNX ACAS Xu weights (exact decimal expansions of the
    float32 values) gives the very same weights (with input_normalization='none')."""
    import onnx
    from onnx import numpy_helper

    path = shared_path("vnncomp2022", "acasxu", "onnx", "ACASXU_run2a_1_1_batch_2000.onnx.gz")
    model = onnx.load_model_from_string(gzip.open(path).read())
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    lines = ["// ACAS Xu 1_1 rewritten", "7,5,5,50,", "5,50,50,50,50,50,50,5,", "0,",
             "0.0,-3.141593,-3.141593,100.0,0.0,", "60760.0,3.141593,3.141593,1200.0,1200.0,",
             "19791.091,0.0,0.0,650.0,600.0,7.5188840201005975,",
             "60261.0,6.28318530718,6.28318530718,1100.0,1200.0,373.94992,"]

    def dec(v):
        return str(Decimal(float(v)))  # exact decimal expansion of a binary float

    for k in range(1, 8):
        name = f"Operation_{k}" if k < 7 else "linear_7"
        W = init[f"{name}_MatMul_W"].T
        lines += [",".join(dec(v) for v in row) + "," for row in W]
        lines += [dec(v) + "," for v in init[f"{name}_Add_B"]]
    net = load_nnet(write(tmp_path, "\n".join(lines) + "\n"), input_normalization="none", scale_outputs=False)
    ref = load_onnx(path)
    assert net.describe()["relu_layers"] == ref.describe()["relu_layers"] == [50] * 6
    for a, b in zip(net.layers, ref.layers):
        assert a.inputs == b.inputs and a.bias == b.bias and a.activation == b.activation
    # with normalisation: f(x) = range_out * g((x - mean)/range) + mean_out
    full = load_nnet(tmp_path / "net.nnet")
    x = [Fraction(56000), Fraction(1, 10), Fraction(-1, 5), Fraction(1150), Fraction(30)]
    mean = [Fraction(s) for s in ("19791.091", "0.0", "0.0", "650.0", "600.0")]
    rng = [Fraction(s) for s in ("60261.0", "6.28318530718", "6.28318530718", "1100.0", "1200.0")]
    xn = [(a - m) / r for a, m, r in zip(x, mean, rng)]
    assert list(evaluate(full, x)) == [v * Fraction("373.94992") + Fraction("7.5188840201005975")
                                       for v in evaluate(ref, xn)]


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t[: t.index("0.0,\n0.1,\n2.0")], "truncated"),
    (lambda t: t.replace("0.3,0.4,", "0.3,abc,"), "bad weight value 'abc'"),
    (lambda t: t + "1.0,\n", "after the last bias"),
    (lambda t: t.replace("2.0,0.4,373.9,", "2.0,0,373.9,"), "range is zero"),
    (lambda t: t.replace("2,3,2,1,", "2,3,2,4,"), "layer sizes"),
    (lambda t: t.replace("3,2,1,3,", "x,2,1,3,"), "header"),
    (lambda t: t.replace("-1.0,0.0,", "5.0,0.0,"), "min"),
    (lambda t: "// only comments\n", "before the header"),
    (lambda t: t.replace("0.1,-0.2,", "nan,-0.2,"), "bad weight value 'nan'"),
])
def test_malformed_files(tmp_path, mutate, message):
    with pytest.raises(ModelFormatError, match=message):
        load_nnet(write(tmp_path, mutate(SMALL)))


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(ModelFormatError, match="no such file"):
        load_nnet(tmp_path / "nope.nnet")
    (tmp_path / "bin.nnet").write_bytes(bytes(range(256)))
    with pytest.raises(ModelFormatError):
        load_nnet(tmp_path / "bin.nnet")


def test_parse_error_messages_are_one_line():
    with pytest.raises(ModelFormatError) as ei:
        parse_nnet(SMALL.replace("0.3,0.4,", "0.3,,0.4,"))
    assert "\n" not in str(ei.value) and "empty number" in str(ei.value)
