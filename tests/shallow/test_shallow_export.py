"""Representations back to networks: equivalence certificates, ONNX under onnxruntime,
sympy/LaTeX, native JSON and the ``exactrelu shallow`` command."""

from __future__ import annotations

import json
import random
from fractions import Fraction as F

import numpy as np
import pytest

from exactrelu.checker import check_certificate
from exactrelu.checker.checker import evaluate as checker_evaluate
from exactrelu.checker.checker import parse_network
from exactrelu.domain.polytope import box
from exactrelu.model.evaluation import evaluate
from exactrelu.io.native_json import load_json, network_to_dict
from exactrelu.model.random_nets import random_network
from exactrelu.shallow import (RepresentationMismatch, ShallowRepresentation, compare, lattice_form,
                               representation_certificate, shallow_representation, sign_split, tropical_form)

SQUARE = box([-1, -1], [1, 1])


def oracle(net):
    parsed = parse_network(network_to_dict(net))
    return lambda x: checker_evaluate(parsed, [F(v) for v in x])[0]


def points(k: int, seed: int):
    rng = random.Random(seed)
    return [[F(rng.randint(-300, 300), 301) for _ in range(2)] for _ in range(k)]


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("method", ["lattice", "weights", "tropical"])
def test_every_method_equals_the_network_and_certifies(method, residual):
    net = random_network([3, 3], seed=7, residual=residual)
    rep = shallow_representation(net, method, SQUARE)
    f = oracle(net)
    for x in points(15, 1):
        assert rep.evaluate(x) == f(x)
    cert = representation_certificate(rep, net, SQUARE)
    report = check_certificate(cert)
    assert report.claim == "equivalence" and report.complete


@pytest.mark.parametrize("residual", [False, True])
def test_one_weight_changed_is_rejected_with_a_point(residual):
    net = random_network([3, 3], seed=9, residual=residual)
    m = sign_split(net).materialise()
    plus = [list(t) for t in m.plus]
    plus[0][m.n_inputs + 1 if m.basis.size else 0] += F(1, 8)  # one hidden-unit weight of one term
    changed = ShallowRepresentation(m.basis, plus, m.minus, "weights")
    res = compare(changed, net, SQUARE)
    assert res.equivalent is False
    x = res.counterexample
    assert changed.evaluate(x) != oracle(net)(x)
    with pytest.raises(RepresentationMismatch) as err:
        representation_certificate(changed, net, SQUARE)
    assert changed.evaluate(err.value.point) != oracle(net)(err.value.point)


def test_astronomical_form_is_certified_through_its_formula_network():
    net = random_network([4, 4, 4], seed=1)
    t = tropical_form(net)
    assert t.counts()["terms"] > 10 ** 12
    report = check_certificate(representation_certificate(t, net, SQUARE))
    assert report.claim == "equivalence"


@pytest.mark.parametrize("method", ["lattice", "weights"])
def test_onnx_export_agrees_under_onnxruntime(tmp_path, method):
    ort = pytest.importorskip("onnxruntime")
    from exactrelu.io.onnx.onnx_io import export_onnx

    net = random_network([3, 3], seed=5, residual=True)
    rep = shallow_representation(net, method, SQUARE)
    explicit = rep.materialise() if method == "weights" else rep
    g = explicit.to_network()
    path = tmp_path / "rep.onnx"
    export_onnx(g, path, dtype="float64")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    f = oracle(net)
    for x in points(25, 3):
        y = sess.run(None, {name: np.array([[float(v) for v in x]], dtype=np.float64)})[0]
        assert abs(float(y.reshape(-1)[0]) - float(f(x))) <= 1e-9 * (1 + abs(float(f(x))))


def test_sympy_and_latex_are_exact():
    import sympy

    net = random_network([2, 3], seed=3, residual=True)
    x0, x1 = sympy.symbols("x_0 x_1", real=True)
    f = oracle(net)
    lf = lattice_form(net, SQUARE)
    forms = [lf, lf.to_shallow(), sign_split(net), sign_split(net).materialise(), tropical_form(net)]
    for rep in forms:
        for relu in ("max", "piecewise"):
            e = rep.to_sympy(relu=relu)
            for x in points(3, 2):
                assert e.xreplace({x0: sympy.Rational(x[0]), x1: sympy.Rational(x[1])}) == sympy.Rational(f(x))
        assert "x_{0}" in rep.to_latex()
    from exactrelu.shallow.symbolic import piecewise_expression

    pw = piecewise_expression(lf.partition)
    assert isinstance(pw, sympy.Piecewise)
    for x in points(3, 4):
        assert pw.xreplace({x0: sympy.Rational(x[0]), x1: sympy.Rational(x[1])}) == sympy.Rational(f(x))
    named = lf.to_sympy(symbols=["a", "b"])
    assert {s.name for s in named.free_symbols} <= {"a", "b"}


def test_max_network_depth_is_ceil_log2():
    from exactrelu.shallow.representation import HiddenBasis, max_network

    for k in (1, 2, 3, 4, 5, 8, 9):
        terms = [(F(i), F(-i * i, 7)) for i in range(k)]
        net = max_network(HiddenBasis(1), [(terms, F(1))])
        relu_layers = sum(1 for l in net.layers if l.activation.value == "relu")
        assert relu_layers == (k - 1).bit_length()
        for x in ("-2", "1/3", "5"):
            assert evaluate(net, [x])[0] == max(F(i) * F(x) - F(i * i, 7) for i in range(k))


def test_cli_shallow(tmp_path, capsys):
    from exactrelu.cli.app import main
    from exactrelu.cli.demo import example_path

    ex = str(example_path("mlp_1x4x4.json"))
    out, cert = tmp_path / "rep.json", tmp_path / "cert.json"
    assert main(["shallow", ex, "--box=-1:1", "--method", "lattice", "--out", str(out), "--certificate", str(cert),
                 "--latex", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"terms", "hidden_units", "max_units_per_term", "method"} <= set(d) and d["certificate_valid"]
    assert d["latex"].startswith("\\max")
    net, g = load_json(ex), load_json(out)
    for x in (["-1"], ["-1/3"], ["2/7"], ["1"]):
        assert evaluate(net, x) == evaluate(g, x)
    for method in ("weights", "tropical"):
        assert main(["shallow", str(example_path("resnet_2x6x6.json")), "--box=-1:1", "--method", method,
                     "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        assert d["method"] == method and d["terms"] >= 1
    # listing an astronomical representation stops with the limit's exit code and a clear message
    assert main(["shallow", str(example_path("mlp_2x8x8.json")), "--method", "tropical", "--out",
                 str(tmp_path / "t.json")]) == 20
    assert "counts only" in capsys.readouterr().err
    assert main(["shallow", ex, "--method", "lattice"]) == 2  # the lattice form needs a domain


# ---- exports that match the source model (issue 17) ------------------------------------------
# The comparison.  onnxruntime evaluates the source (float32) and the export (float64 weights,
# the float32 input cast exactly to float64) in floating point, in an order of its choosing, so
# equal outputs are not guaranteed.  Two checks instead:
# 1. exact: the exported file, read back by the exact loader, computes at every test point
#    exactly the value of the exact source network (the rational values of the float inputs);
# 2. float: each onnxruntime output lies within a rigorous bound of that exact value, computed
#    exactly (Fractions) from the weights, the input and the exact hidden values by
#    float_error_bound below; so the two runtimes' outputs differ by at most the sum of both bounds.

def float_error_bound(net, x, unit_roundoff, eta):
    """Bound on ``|float run - exact|`` of every output of ``net`` at the exact point ``x``, for a
    float graph of one Gemm per (layer, source) and a Relu per ReLU layer (the exporter's
    layout), weights exactly as in ``net``.

    A layer unit sums ``t = (sum of its source widths) + 1`` terms (products and the bias), in any
    order and with or without FMA: ``|fl(s) - s| <= gamma_t * sum |terms| + t * eta`` with
    ``gamma_t = t u / (1 - t u)`` (Higham, Accuracy and Stability, 3.1) and ``eta`` the smallest
    subnormal (underflow of the products).  Input errors ``E`` of the sources propagate by
    ``sum |w| E``, and ReLU is 1-Lipschitz and exact, so the unit's error is at most
    ``sum |w| E + gamma_t (sum |w| (|h| + E) + |b|) + t eta``.  Returns exact Fractions.
    """
    import flint

    from exactrelu.model.evaluation import flint_mats
    from exactrelu.model.network import Activation

    def col(v):
        return flint.fmpq_mat(len(v), 1, [flint.fmpq(q.numerator, q.denominator) for q in v])

    def absolute(m):
        return flint.fmpq_mat(m.nrows(), m.ncols(), [abs(v) for v in m.entries()])

    vals, errs = {0: col(x)}, {0: col([F(0)] * len(x))}
    for k, (layer, (ws, b)) in enumerate(zip(net.layers, flint_mats(net)), start=1):
        t = sum(net.source_width(s) for s, _ in layer.inputs) + 1
        gamma = t * unit_roundoff / (1 - t * unit_roundoff)
        value, prop, mag = b, col([F(0)] * layer.width), absolute(b)
        for s, w in ws:
            aw = absolute(w)
            value = value + w * vals[s]
            prop = prop + aw * errs[s]
            mag = mag + aw * (absolute(vals[s]) + errs[s])
        if layer.activation is Activation.RELU:
            value = col([max(F(int(v.p), int(v.q)), F(0)) for v in value.entries()])
        vals[k] = value
        errs[k] = prop + mag * flint.fmpq(gamma.numerator, gamma.denominator) + \
            col([t * eta] * layer.width)
    return [F(int(v.p), int(v.q)) for v in errs[len(net.layers)].entries()]


F32 = (F(1, 2 ** 24), F(1, 2 ** 149))
F64 = (F(1, 2 ** 53), F(1, 2 ** 1074))


def source_onnx(net):
    """``net`` as a float32 ONNX model with its own signature: input ``obs`` of shape
    ``[batch, 1, n]`` (flattened by a Flatten node) and output ``scores`` of shape ``[batch, m]``."""
    from onnx import TensorProto, helper

    from exactrelu.io.onnx.export import network_to_onnx

    model, change = network_to_onnx(net, "float32")
    assert change == 0
    g = model.graph
    for node in g.node:
        node.input[:] = ["flat" if i == "input" else i for i in node.input]
        node.output[:] = ["scores" if o == "output" else o for o in node.output]
    g.node.insert(0, helper.make_node("Flatten", ["obs"], ["flat"], axis=1))
    del g.input[:]
    g.input.append(helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["batch", 1, net.n_inputs]))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", net.n_outputs]))
    return model.SerializeToString()


def check_export_matches(src_bytes, exported_path, rep_net, n_points=300, seed=0, output=0):
    """The export takes the source's input (name, shape, float32) and agrees with the source:
    exactly through the loader, and under onnxruntime within the documented bounds."""
    ort = pytest.importorskip("onnxruntime")
    from exactrelu.io.onnx.onnx_io import load_onnx

    src_net = load_onnx(src_bytes)
    exported = load_onnx(str(exported_path))
    s_src = ort.InferenceSession(src_bytes, providers=["CPUExecutionProvider"])
    s_exp = ort.InferenceSession(str(exported_path), providers=["CPUExecutionProvider"])
    i_src, i_exp = s_src.get_inputs()[0], s_exp.get_inputs()[0]
    assert (i_exp.name, i_exp.type, i_exp.shape) == (i_src.name, i_src.type, i_src.shape) == \
        ("obs", "tensor(float)", ["batch", 1, src_net.n_inputs])
    assert s_exp.get_outputs()[0].name == "scores"
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_points, 1, src_net.n_inputs)).astype(np.float32)
    Y_src = s_src.run(None, {"obs": X})[0]
    Y_exp = s_exp.run(None, {"obs": X})[0]
    assert Y_exp.shape == (n_points, 1) and Y_exp.dtype == np.float64
    from exactrelu.model.evaluation import evaluate_batch

    xs = [[F(float(v)) for v in x32.ravel()] for x32 in X]
    exact_src = evaluate_batch(src_net, xs)
    assert evaluate_batch(exported, xs) == [(y[output],) for y in exact_src]  # 1. exact
    for x, y, y_src, y_exp in zip(xs, exact_src, Y_src, Y_exp):
        exact = y[output]
        b_src = float_error_bound(src_net, x, *F32)[output]
        b_exp = float_error_bound(rep_net, x, *F64)[0]
        assert abs(F(float(y_src[output])) - exact) <= b_src  # 2. float, each within its bound
        assert abs(F(float(y_exp[0])) - exact) <= b_exp
        assert abs(F(float(y_src[output])) - F(float(y_exp[0]))) <= b_src + b_exp


@pytest.mark.parametrize("method", ["lattice", "weights", "tropical"])
def test_export_keeps_the_source_signature_and_matches_it(tmp_path, method):
    from exactrelu.io.onnx.onnx_io import export_onnx, load_onnx
    from exactrelu.shallow.certificates import representation_network

    net = random_network([3, 3], seed=5, n_out=2, residual=True)
    src = source_onnx(net)
    assert load_onnx(src) == net
    rep = shallow_representation(net, method, SQUARE)
    rep_net = representation_network(rep)
    path = tmp_path / "rep.onnx"
    assert export_onnx(rep_net, path, dtype="float64", like=src) == 0
    check_export_matches(src, path, rep_net)


def test_export_default_type_is_the_sources(tmp_path):
    from onnx import TensorProto

    from exactrelu.io.onnx.export import network_to_onnx
    from exactrelu.io.onnx.onnx_io import load_onnx

    net = random_network([3], seed=2, n_out=2)
    src = source_onnx(net)
    model, _ = network_to_onnx(net, like=src)  # same type as the source: float32 throughout, no Cast
    io_types = [v.type.tensor_type.elem_type for v in (model.graph.input[0], model.graph.output[0])]
    assert io_types == [TensorProto.FLOAT, TensorProto.FLOAT]
    assert [n.op_type for n in model.graph.node][0] == "Reshape" and "Cast" not in {n.op_type for n in model.graph.node}
    assert [d.dim_param or d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim] == ["batch", 2]
    assert load_onnx(model.SerializeToString()) == net


def test_cli_shallow_onnx_of_an_astronomical_form_writes_its_formula_network(tmp_path, capsys):
    from exactrelu.cli.app import main
    from exactrelu.io.onnx.onnx_io import load_onnx

    net = random_network([4, 4, 4], seed=1)
    src_path = tmp_path / "src.onnx"
    src_path.write_bytes(source_onnx(net))
    out = tmp_path / "t.onnx"
    assert main(["shallow", str(src_path), "--method", "tropical", "--onnx", str(out), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["network"]["form"] == "formula" and "formula_network" in d
    rep_net = tropical_form(load_onnx(str(src_path))).formula_network()
    check_export_matches(src_path.read_bytes(), out, rep_net, n_points=300, seed=1)
