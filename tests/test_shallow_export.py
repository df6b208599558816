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
