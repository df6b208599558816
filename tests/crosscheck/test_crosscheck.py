"""Float cross-checking: search finds float32 flips that random sampling misses; every
reported witness is re-evaluated here, exactly and in float, independently of the search."""

from __future__ import annotations

import json
import sys
from fractions import Fraction as F

import numpy as np
import pytest

from exactrelu.cli import app as cli
from exactrelu.crosscheck.crosscheck import (STRATEGIES, FloatBackend, crosscheck, make_backend, recheck_counterexample,
                                  sliver_network)
from exactrelu.domain.cex import format_counterexample
from exactrelu.domain.polytope import box
from exactrelu.errors import BackendUnavailableError, ExactReluError, PointError
from exactrelu.model.evaluation import activation_pattern, evaluate, evaluate_float, float_activation_pattern, pre_activations
from exactrelu.io.loader import save_model
from exactrelu.model.network import mlp
from exactrelu.numbers.rationals import is_float32_exact, is_float64_exact
from exactrelu.domain.vnnlib import parse_vnnlib

from conftest import shared_path

SQ = box([-1, -1], [1, 1])


def main(argv):
    """``exactrelu ...`` in-process."""
    return cli.main(argv)


@pytest.fixture(scope="module")
def sliver():
    return sliver_network()


@pytest.fixture(scope="module")
def runs(sliver):
    search = crosscheck(sliver, SQ, points=800, seed=0)
    rand = crosscheck(sliver, SQ, points=800, seed=0, strategies=("random",))
    return search, rand


def _argmax(y):
    return max(range(len(y)), key=lambda i: (y[i], -i))


def _verify_flip(net, f, dtype="float32", domain=SQ):
    """Re-derive a reported flip from scratch: exact and float evaluation at the input."""
    x = f.input
    assert domain.contains(x)
    exact32 = is_float32_exact if dtype == "float32" else is_float64_exact
    assert all(exact32(v) for v in x), "the input must be float-representable"
    xf = np.array([[float(v) for v in x]], dtype=dtype)
    assert all(F(float(a)) == b for a, b in zip(xf[0], x))
    y = evaluate(net, x)
    assert y == f.exact_output
    yf = evaluate_float(net, xf, dtype=dtype)[0]
    assert tuple(F(float(v)) for v in yf) == f.float_output
    assert f.abs_error == max(abs(a - b) for a, b in zip(y, f.float_output))
    if f.kind == "pattern":
        pe = activation_pattern(net, x)
        pf = float_activation_pattern(net, xf, dtype=dtype)[0]
        assert pe == f.exact_pattern and pf == f.float_pattern and pe != pf
        pres = [v for layer, z in zip(net.layers, pre_activations(net, x)) if layer.activation.value == "relu"
                for v in z]
        diff = [u for u, (a, b) in enumerate(zip(pe, pf)) if a != b]
        assert [u[0] for u in f.units] == diff
        for u, k, j, e, fl in f.units:
            assert e == pres[u]
            assert net.relu_units[u] == (k, j)
            assert (e > 0) != (fl > 0)
    else:
        de, df = _argmax(y), _argmax(f.float_output)
        assert de != df
        assert (de, df) == (f.exact_decision, f.float_decision)
        assert int(np.argmax(yf)) == df


# --- the sliver network -------------------------------------------------------------------
def test_sliver_network_is_exactly_a_near_tie(sliver):
    # y0 - y1 = x1 - 3/8 x0 - 1/16 exactly, everywhere
    for x in [("1/2", "1/4"), ("-1", "1"), ("3/7", "-2/9")]:
        y = evaluate(sliver, x)
        xs = [F(v) for v in x]
        assert y[0] - y[1] == xs[1] - F(3, 8) * xs[0] - F(1, 16)
    assert crosscheck(sliver, SQ, points=5, strategies=("random",)).weight_change == 0


def test_search_finds_flips_random_does_not(runs):
    search, rand = runs
    assert search.points_tried == 800 and rand.points_tried == 800
    assert search.n_decision_flips >= 30 and search.n_pattern_flips >= 30
    assert search.n_decision_flips >= 10 * (rand.n_decision_flips + 1)
    assert search.n_pattern_flips >= 10 * (rand.n_pattern_flips + 1)
    # the search strategies are the ones finding them
    s = search.strategies
    assert s["ties"].decision_flips >= 30
    assert s["facets"].pattern_flips >= 30
    assert sum(v.tried for v in s.values()) == search.points_tried
    assert sum(v.decision_flips for v in s.values()) == search.n_decision_flips


def test_every_reported_flip_is_real(runs, sliver):
    search, _ = runs
    assert search.pattern_flips and search.decision_flips
    for f in search.pattern_flips + search.decision_flips:
        _verify_flip(sliver, f)


def test_exact_error_figures(runs, sliver):
    search, _ = runs
    e = search.max_abs_error
    assert isinstance(e, F) and 0 < e < F(1, 1000)
    f = search.max_abs_error_at
    y = evaluate(sliver, f.input)
    yf = evaluate_float(sliver, np.array([[float(v) for v in f.input]], dtype="float32"), dtype="float32")[0]
    assert max(abs(a - F(float(b))) for a, b in zip(y, yf)) == e
    r = search.max_rel_error_at
    assert search.max_rel_error == max(abs(a - b) / abs(a) for a, b in zip(r.exact_output, r.float_output) if a)


def test_json_shape(runs):
    d = json.loads(json.dumps(runs[0].to_dict()))
    assert d["points_tried"] == 800
    assert F(d["max_abs_error"]) == runs[0].max_abs_error
    for key in ("pattern_flips", "decision_flips"):
        item = d[key][0]
        assert all(F(v) == F(float(F(v))) for v in item["input"])
        assert len(item["exact_output"]) == len(item["float_output"]) == 2
        F(item["exact_output"][0]), F(item["float_output"][0])
    assert set(d["strategies"]) == set(STRATEGIES)


def test_reproducible_for_a_seed(sliver):
    a = crosscheck(sliver, SQ, points=150, seed=7)
    b = crosscheck(sliver, SQ, points=150, seed=7)
    assert (a.n_pattern_flips, a.n_decision_flips, a.max_abs_error) == (b.n_pattern_flips, b.n_decision_flips,
                                                                        b.max_abs_error)
    assert [f.input for f in a.decision_flips] == [f.input for f in b.decision_flips]


def test_float64_backend(sliver):
    rep = crosscheck(sliver, SQ, backend="numpy64", points=200, seed=1)
    assert rep.dtype == "float64"
    assert 0 < rep.max_abs_error < F(1, 10 ** 9)
    assert rep.n_pattern_flips + rep.n_decision_flips > 0
    for f in (rep.pattern_flips + rep.decision_flips)[:20]:
        _verify_flip(sliver, f, dtype="float64")


def test_no_false_alarms_when_float_is_exact():
    # integer weights, outputs relu(x0) - relu(-x0) and x1 on float32 inputs: float32 is exact
    net = mlp(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0]), ([[1, -1, 0, 0], [0, 0, 1, -1]], [0, 0])])
    rep = crosscheck(net, SQ, points=300, seed=0)
    assert rep.points_tried == 300
    assert rep.max_abs_error == 0 and rep.n_pattern_flips == 0 and rep.n_decision_flips == 0
    assert rep.strategies["vertices"].tried > 0 and rep.strategies["facets"].tried > 0


def test_budget_and_time_limit(sliver):
    rep = crosscheck(sliver, SQ, points=37, seed=0)
    assert rep.points_tried == 37
    rep = crosscheck(sliver, SQ, points=10 ** 6, seed=0, time_limit=0.5)
    assert rep.stopped_by == "time_limit" and rep.seconds < 5


def test_polytope_domain_and_float_free_domain(sliver):
    from exactrelu.domain.polytope import polytope

    T = polytope([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])  # the triangle x, y >= 0, x + y <= 1
    rep = crosscheck(sliver, T, points=200, seed=0)
    assert rep.points_tried == 200 and rep.n_pattern_flips + rep.n_decision_flips > 0
    for f in rep.pattern_flips + rep.decision_flips:
        _verify_flip(sliver, f, domain=T)
    thin = box([F(1, 3) - F(1, 10 ** 20), 0], [F(1, 3) + F(1, 10 ** 20), 1])  # holds no float32 x0
    with pytest.raises(PointError, match="no float32 input"):
        crosscheck(sliver, thin, points=20, strategies=("random",))


def test_argmin_decision(sliver):
    rep = crosscheck(sliver, SQ, points=200, seed=2, decision="argmin", strategies=("ties",))
    assert rep.n_decision_flips > 0
    for f in rep.decision_flips:
        de = min(range(2), key=lambda i: (f.exact_output[i], i))
        dfl = min(range(2), key=lambda i: (f.float_output[i], i))
        assert de == f.exact_decision and dfl == f.float_decision and de != dfl


# --- properties ---------------------------------------------------------------------------
PROP = """(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const Y_0 Real)
(declare-const Y_1 Real)
(assert (>= X_0 -1))
(assert (<= X_0 1))
(assert (>= X_1 {lo}))
(assert (<= X_1 {hi}))
(assert (>= Y_0 Y_1))
"""


def test_property_decisions_and_verdict_flips(sliver):
    prop = parse_vnnlib(PROP.format(lo=-1, hi=1))
    rep = crosscheck(sliver, None, points=300, seed=0, prop=prop)
    assert rep.decision == "property"
    assert rep.n_verdict_flips > 0 and rep.n_verdict_flips <= rep.n_decision_flips
    for f in rep.decision_flips:
        exact_cex = prop.is_counterexample(f.input, f.exact_output)
        float_cex = prop.is_counterexample(f.input, f.float_output)
        assert exact_cex != float_cex
        assert f.exact_decision[1] == exact_cex and f.float_decision[1] == float_cex
    # a float "counterexample" that is not one: the exact re-check says so
    wrong = [f for f in rep.decision_flips if f.float_decision[1] and not f.exact_decision[1]]
    assert wrong
    f = wrong[0]
    r = recheck_counterexample(sliver, prop, format_counterexample(f.input, f.float_output))
    assert not r.is_counterexample and r.claimed_is_counterexample and r.outputs_match is False
    assert r.float32_is_counterexample is True


def test_property_with_a_fixed_input(sliver):
    prop = parse_vnnlib(PROP.format(lo="0.25", hi="0.25"))
    assert prop.fixed_inputs == {1: F(1, 4)}
    rep = crosscheck(sliver, None, points=200, seed=0, prop=prop)
    assert rep.free_inputs == [0] and rep.points_tried == 200
    assert rep.n_decision_flips > 0
    for f in rep.decision_flips + rep.pattern_flips:
        assert f.input[1] == F(1, 4)
        assert evaluate(sliver, f.input) == f.exact_output
    bad = parse_vnnlib(PROP.format(lo="0.1", hi="0.1"))
    with pytest.raises(PointError, match="not a float32 value"):
        crosscheck(sliver, None, points=10, prop=bad)


# --- backends ----------------------------------------------------------------------------
def test_onnxruntime_export_and_original_file(sliver, tmp_path):
    pytest.importorskip("onnxruntime")
    rep = crosscheck(sliver, SQ, backend="onnxruntime", points=200, seed=0)
    assert rep.patterns_compared and "exported" in rep.backend_description
    assert rep.n_decision_flips > 0 and rep.n_pattern_flips > 0
    for f in rep.decision_flips:
        assert evaluate(sliver, f.input) == f.exact_output
        assert _argmax(f.exact_output) != _argmax(f.float_output)
    path = tmp_path / "sliver.onnx"
    save_model(sliver, path)
    be = make_backend("onnxruntime", sliver, model_path=path)
    assert "original" in be.description and be.has_patterns
    y, pre = be.run(np.array([0.5, 0.25], dtype=np.float32))
    assert y.shape == (2,) and pre.shape == (sliver.n_relu,)
    rep2 = crosscheck(sliver, SQ, backend=be, points=100, seed=0)
    assert rep2.points_tried == 100


def test_torch_backend(sliver):
    pytest.importorskip("torch")
    rep = crosscheck(sliver, SQ, backend="torch", points=150, seed=0, strategies=("ties",))
    assert rep.n_decision_flips > 0
    for f in rep.decision_flips:
        assert evaluate(sliver, f.input) == f.exact_output
        assert _argmax(f.exact_output) != _argmax(f.float_output)


def test_custom_backend_object(sliver):
    class Exactish(FloatBackend):
        name = "float64-rounded-outputs"
        dtype = np.dtype(np.float64)

        def run(self, x):
            y = evaluate(sliver, [F(float(v)) for v in x])
            return np.array([float(v) for v in y]), None

    rep = crosscheck(sliver, SQ, backend=Exactish(), points=60, seed=0)
    assert not rep.patterns_compared and rep.n_pattern_flips == 0
    assert rep.max_abs_error < F(1, 2 ** 40)


@pytest.mark.parametrize("name, module, extra", [("onnxruntime", "onnxruntime", "exactrelu[onnxruntime]"),
                                                 ("torch", "torch", "exactrelu[torch]")])
def test_missing_backend_names_the_extra(monkeypatch, sliver, name, module, extra):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(BackendUnavailableError, match=extra.replace("[", r"\[").replace("]", r"\]")):
        crosscheck(sliver, SQ, backend=name, points=5)


def test_bad_requests(sliver):
    with pytest.raises(ExactReluError, match="unknown backend"):
        crosscheck(sliver, SQ, backend="fortran")
    with pytest.raises(ExactReluError, match="unknown strategy"):
        crosscheck(sliver, SQ, strategies=("random", "telepathy"))
    with pytest.raises(ExactReluError, match="dimension"):
        crosscheck(sliver, box([0], [1]))
    with pytest.raises(ExactReluError, match="positive"):
        crosscheck(sliver, SQ, points=0)
    with pytest.raises(ExactReluError, match="needs a domain"):
        crosscheck(sliver, None)


# --- report ---------------------------------------------------------------------------------
def test_report_text_html_png(runs, tmp_path):
    from exactrelu.crosscheck.report import format_table, plot_report, report_html, write_report

    search, rand = runs
    text = format_table(search)
    assert "decision flips" in text and "ties" in text and "max |exact - float|" in text
    page = report_html(search, baseline=rand)
    assert "<table>" in page and "data:image/png;base64," in page and "random only" in page
    fig = plot_report(search)
    assert len(fig.axes) == 2
    png = write_report(search, tmp_path / "r.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ExactReluError, match=".html or .png"):
        write_report(search, tmp_path / "r.pdf")


def test_report_without_matplotlib(monkeypatch, runs):
    from exactrelu.crosscheck.report import format_table, plot_report

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(BackendUnavailableError, match=r"pip install exactrelu\[plot\]"):
        plot_report(runs[0])
    assert "pattern flips" in format_table(runs[0])  # text needs no matplotlib


def test_plot_needs_two_inputs():
    from exactrelu.crosscheck.report import plot_report, report_html

    net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    rep = crosscheck(net, box([-1], [1]), points=20)
    with pytest.raises(ExactReluError, match="two"):
        plot_report(rep)
    assert "<img" not in report_html(rep)


# --- CLI -------------------------------------------------------------------------------------
def test_cli_crosscheck_json_on_the_shipped_example(capsys):
    from exactrelu.cli.demo import example_path

    assert main(["crosscheck", str(example_path("mlp_2x8x8.json")), "--box=-1:1", "--points", "200",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["points_tried"] == 200
    F(d["max_abs_error"])
    assert isinstance(d["pattern_flips"], list) and isinstance(d["decision_flips"], list)


def test_cli_crosscheck_flags_and_exit_codes(sliver, tmp_path, capsys):
    model = tmp_path / "sliver.json"
    save_model(sliver, model)
    rep = tmp_path / "r.html"
    assert main(["crosscheck", str(model), "--box=-1:1", "--points", "300", "--report", str(rep),
                 "--baseline"]) == 0
    out = capsys.readouterr().out
    assert "random sampling alone" in out and rep.exists()
    assert main(["crosscheck", str(model), "--box=-1:1", "--points", "300", "--fail-on-flip"]) == 1
    capsys.readouterr()
    assert main(["crosscheck", str(model), "--box=-1:1", "--points", "50", "--strategies", "ties",
                 "--json", "--baseline"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert list(d["strategies"]) == ["ties"] and "baseline_random" in d
    for argv, msg in [(["--box=1:0"], "not below"), (["--box=-1:1", "--backend", "cobol"], "unknown backend"),
                      ([], "domain is needed"), (["--box=-1:1", "--strategies", "x"], "unknown strategy")]:
        assert main(["crosscheck", str(model)] + argv) == 2
        err = capsys.readouterr().err
        assert msg in err and "Traceback" not in err


def test_cli_missing_backend_exit_2(monkeypatch, sliver, tmp_path, capsys):
    model = tmp_path / "sliver.json"
    save_model(sliver, model)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert main(["crosscheck", str(model), "--box=-1:1", "--backend", "onnxruntime"]) == 2
    assert "pip install exactrelu[onnxruntime]" in capsys.readouterr().err


# --- ACAS Xu --------------------------------------------------------------------------------
@pytest.mark.slow
def test_acasxu_float32_cross_check():
    from exactrelu.io.loader import load_model
    from exactrelu.domain.vnnlib import load_vnnlib

    model = shared_path("vnncomp2022", "acasxu", "onnx", "ACASXU_run2a_1_1_batch_2000.onnx.gz")
    net = load_model(model)
    prop = load_vnnlib(shared_path("vnncomp2022", "acasxu", "vnnlib", "prop_2.vnnlib.gz"))
    rep = crosscheck(net, None, points=160, seed=0, prop=prop, region_time=1.5, time_limit=40)
    assert rep.points_tried == 160 and rep.weight_change == 0
    assert 0 < rep.max_abs_error < F(1, 10 ** 5)
    assert rep.n_pattern_flips > 0  # facets/vertices find float32 pattern flips even in ACAS Xu
    f = rep.max_abs_error_at
    assert evaluate(net, f.input) == f.exact_output
    for f in rep.pattern_flips[:3]:  # float32 pattern flips in ACAS Xu, re-derived here
        assert activation_pattern(net, f.input) == f.exact_pattern
        xf = np.array([[float(v) for v in f.input]], dtype=np.float32)
        assert float_activation_pattern(net, xf, dtype="float32")[0] == f.float_pattern != f.exact_pattern
