"""Counterexample files (VNN-COMP format): exact parsing, refusals, and exact re-checking."""

from __future__ import annotations

import gzip
import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from exactrelu.domain.cex import (CounterexampleFormatError, format_counterexample, format_exact_decimal,
                           load_counterexample, parse_counterexample)
from exactrelu.cli import app as cli
from exactrelu.crosscheck.crosscheck import recheck_counterexample
from exactrelu.errors import ExactReluError, PropertyError
from exactrelu.model.evaluation import evaluate
from exactrelu.io.loader import save_model
from exactrelu.model.network import mlp
from exactrelu.domain.vnnlib import parse_vnnlib

# y0 = x0 + x1, y1 = x0 - x1 (a linear net through ReLU pairs, exact)
NET = mlp(2, [([[1, 1], [-1, -1], [1, -1], [-1, 1]], [0, 0, 0, 0]),
              ([[1, -1, 0, 0], [0, 0, 1, -1]], [0, 0])])

PROP = """(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const Y_0 Real)
(declare-const Y_1 Real)
(assert (>= X_0 -1))
(assert (<= X_0 1))
(assert (>= X_1 -0.5))
(assert (<= X_1 0.5))
(assert (>= Y_0 Y_1))
(assert (>= Y_0 0.1))
"""


# --- parsing ---------------------------------------------------------------------------
def test_parse_vnncomp_format_exactly():
    text = "sat\n((X_0 0.1)\n (X_1 -2.5e-3)\n (Y_0 1/3)\n (Y_1 (- 7)))\n"
    c = parse_counterexample(text)
    assert c.status == "sat"
    assert c.input_vector(2) == (F(1, 10), F(-1, 400))
    assert c.output_vector(2) == (F(1, 3), F(-7))


def test_parse_without_status_and_smtlib_forms():
    c = parse_counterexample("; comment\n((X_0 (/ 1 3)) (X_1 (- (/ 2 5))))")
    assert c.status is None
    assert c.input_vector(2) == (F(1, 3), F(-2, 5))
    assert c.output_vector(2) is None


def test_parse_top_level_pairs():
    c = parse_counterexample("sat\n(X_0 1)\n(X_1 2)\n")
    assert c.input_vector(2) == (F(1), F(2))


@pytest.mark.parametrize("bad, msg", [
    ("((X_0 nan) (X_1 0))", "NaN"),
    ("((X_0 NaN) (X_1 0))", "NaN"),
    ("((X_0 inf) (X_1 0))", "infinite"),
    ("((X_0 -Infinity) (X_1 0))", "infinite"),
    ("((Y_0 nan) (X_0 0) (X_1 0))", "NaN"),
    ("unsat", "claims no counterexample"),
    ("timeout", "claims no counterexample"),
    ("maybe ((X_0 1))", "unexpected result word"),
    ("((X_0 1) (X_0 2))", "given twice"),
    ("((X_0 1)", "unbalanced"),
    ("((X_0 1)))", "unbalanced"),
    ("((X_0 abc))", "malformed number"),
    ("((X_0 1/0))", "zero denominator"),
    ("((X_0 1e999999))", "out of range"),
    ("((Z_0 1))", "expected (X_i value)"),
    ("sat", "no (X_i value)"),
    ("((Y_0 1))", "no inputs"),
])
def test_parse_refuses(bad, msg):
    with pytest.raises(CounterexampleFormatError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        parse_counterexample(bad)


def test_error_is_in_the_hierarchy():
    with pytest.raises(ExactReluError) as ei:
        parse_counterexample("((X_0 nan))")
    assert isinstance(ei.value, PropertyError) and ei.value.exit_code == 2


def test_missing_and_extra_variables():
    c = parse_counterexample("((X_0 1) (Y_0 2))")
    with pytest.raises(CounterexampleFormatError, match="X_1 is missing"):
        c.input_vector(2)
    with pytest.raises(CounterexampleFormatError, match="Y_1 is missing"):
        c.output_vector(2)
    c = parse_counterexample("((X_0 1) (X_1 1) (X_2 1))")
    with pytest.raises(CounterexampleFormatError, match="X_2 but the network has 2"):
        c.input_vector(2)


def test_load_from_path_and_gzip(tmp_path):
    p = tmp_path / "cex.txt"
    p.write_text("sat\n((X_0 0.5) (X_1 -0.25))")
    assert load_counterexample(p).input_vector(2) == (F(1, 2), F(-1, 4))
    assert load_counterexample(str(p)).source == str(p)
    g = tmp_path / "cex.txt.gz"
    g.write_bytes(gzip.compress(p.read_bytes()))
    assert load_counterexample(g).input_vector(2) == (F(1, 2), F(-1, 4))
    with pytest.raises(CounterexampleFormatError, match="cannot read"):
        load_counterexample(tmp_path / "nope.txt")
    b = tmp_path / "bin"
    b.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CounterexampleFormatError, match="not a text file"):
        load_counterexample(b)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fractions(), min_size=1, max_size=5), st.lists(st.floats(allow_nan=False, allow_infinity=False,
                                                                          width=32), min_size=1, max_size=4))
def test_format_roundtrip_exact(xs, ys):
    y = [F(v) for v in ys]
    c = parse_counterexample(format_counterexample(xs, y))
    assert c.input_vector(len(xs)) == tuple(xs)
    assert c.output_vector(len(y)) == tuple(y)


def test_exact_decimal():
    assert format_exact_decimal(F(1, 1024)) == "0.0009765625"
    assert format_exact_decimal(F(-5, 2)) == "-2.5"
    assert format_exact_decimal(F(7, 3)) == "7/3"
    v = np.float32(0.1)
    assert F(format_exact_decimal(F(float(v)))) == F(float(v))


# --- re-checking -----------------------------------------------------------------------
def _prop():
    return parse_vnnlib(PROP)


def test_recheck_real_counterexample():
    x = (F(1, 2), F(1, 4))
    y = evaluate(NET, x)
    assert y == (F(3, 4), F(1, 4))
    r = recheck_counterexample(NET, _prop(), format_counterexample(x, y))
    assert r.is_counterexample and r.in_input_region
    assert r.outputs_match is True and r.max_output_error == 0
    assert r.claimed_is_counterexample is True
    assert r.violated_disjuncts == [0]
    assert r.margin == F(1, 2)  # min(y0 - y1, y0 - 1/10) = min(1/2, 13/20)
    assert r.float32_is_counterexample is True


def test_recheck_not_a_counterexample_but_claimed_outputs_say_so():
    # exactly on the boundary y0 >= y1 holds with equality: still a counterexample (non-strict)
    x = (F(1, 2), F(0))
    r = recheck_counterexample(NET, _prop(), format_counterexample(x, evaluate(NET, x)))
    assert r.is_counterexample and r.margin == 0
    # x1 slightly positive would be fine, slightly negative is not a counterexample:
    x = (F(1, 2), F(-1, 2 ** 30))
    y = evaluate(NET, x)
    assert y[0] < y[1]
    fake = (y[1], y[1])  # what a sloppy float verifier might claim
    r = recheck_counterexample(NET, _prop(), format_counterexample(x, fake))
    assert not r.is_counterexample and r.in_input_region
    assert r.margin == y[0] - y[1] < 0
    assert r.outputs_match is False and r.max_output_error == y[1] - y[0]
    assert r.claimed_is_counterexample is True


def test_recheck_outside_the_box_by_a_hair():
    x = (F(1, 2), F(1, 2) + F(1, 2 ** 40))
    r = recheck_counterexample(NET, _prop(), format_counterexample(x))
    assert not r.is_counterexample and not r.in_input_region
    assert r.input_violation == F(1, 2 ** 40)
    assert r.claimed_output is None and r.outputs_match is None


def test_recheck_fixed_inputs():
    prop = parse_vnnlib(PROP.replace("(assert (>= X_1 -0.5))\n(assert (<= X_1 0.5))",
                                     "(assert (>= X_1 0.25))\n(assert (<= X_1 0.25))"))
    assert prop.fixed_inputs == {1: F(1, 4)}
    r = recheck_counterexample(NET, prop, "((X_0 0.5) (X_1 0.25))")
    assert r.is_counterexample
    r = recheck_counterexample(NET, prop, "((X_0 0.5) (X_1 0.26))")
    assert not r.is_counterexample and not r.in_input_region and r.input_violation == F(1, 100)


def test_recheck_property_must_fit():
    prop = parse_vnnlib(PROP.replace("(declare-const Y_1 Real)\n", "").replace("(assert (>= Y_0 Y_1))\n", ""))
    with pytest.raises(PropertyError, match="outputs"):
        recheck_counterexample(NET, prop, "((X_0 0) (X_1 0))")


# --- CLI -------------------------------------------------------------------------------
def main(argv):
    """``exactrelu ...`` in-process."""
    return cli.main(argv)


@pytest.fixture()
def files(tmp_path):
    model = tmp_path / "net.json"
    save_model(NET, model)
    prop = tmp_path / "p.vnnlib"
    prop.write_text(PROP)
    return tmp_path, str(model), str(prop)


def test_cli_recheck_exit_codes(files, capsys):
    d, model, prop = files
    good = d / "good.txt"
    good.write_text("sat\n((X_0 0.5)\n (X_1 0.25)\n (Y_0 0.75)\n (Y_1 0.25))")
    assert main(["recheck", model, prop, str(good)]) == 0
    assert "real counterexample: YES" in capsys.readouterr().out
    assert main(["recheck", model, prop, str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["is_counterexample"] is True and out["outputs_match"] is True
    assert out["input"] == ["1/2", "1/4"] and out["exact_output"] == ["3/4", "1/4"]
    bad = d / "bad.txt"
    bad.write_text("sat\n((X_0 0.5)\n (X_1 0.75))")  # outside the X_1 box
    assert main(["recheck", model, prop, str(bad)]) == 1
    assert "real counterexample: NO" in capsys.readouterr().out
    nan = d / "nan.txt"
    nan.write_text("sat\n((X_0 nan)\n (X_1 0.25))")
    assert main(["recheck", model, prop, str(nan)]) == 2
    err = capsys.readouterr().err
    assert "NaN" in err and "Traceback" not in err
    assert main(["recheck", model, prop, str(d / "missing.txt")]) == 2
    short = d / "short.txt"
    short.write_text("((X_0 0.5))")
    assert main(["recheck", model, prop, str(short)]) == 2
    assert "X_1 is missing" in capsys.readouterr().err
