"""No false verdict from reading a VNN-LIB property (issue 19).

* the two false verdicts of main c6d5735 (``tests/data/false_verdicts``: a ``Y_00`` alias
  read as a zero coefficient gave ``holds``; a strict ``X_0 < 1`` closed to ``X_0 <= 1``
  gave ``violated`` at ``x = 1``): both verdicts are now right, with certificates the
  checker accepts, and the old certificates fail ``check --vnnlib`` pinning;
* strict input constraints are exact (counterexamples meet them strictly; proofs use
  Motzkin's theorem where only the strict boundary reaches the unsafe set; pruned cells);
* inputs pinned by the property: all of them (one point, rule ``property-point``), some
  disjuncts only, with a strict bound, an empty input region;
* both readers -- exactrelu's (``exactrelu/domain/vnnlib.py``) and the checker's own
  (``exactrelu/checker/vnnlib.py``) -- agree on every VNN-COMP 2022 file at hand and on
  random properties written in varied syntax, and both agree with a third, tiny evaluator
  of the formula text (below) at exact sample points;
* the parser audit: what used to be dropped or zeroed, and what both readers now accept
  or refuse alike; number limits; ``--box``/``--domain`` pinning by the checker.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BENCH, REPO
from exactrelu.checker import CertificateInvalid, CertificateMalformed, PinInputError, check_certificate
from exactrelu.checker import run as checker_run
from exactrelu.checker.pinning import canonical_property, certificate_property
from exactrelu.checker.vnnlib import read_vnnlib_file, read_vnnlib_text
from exactrelu.cli.app import main
from exactrelu.errors import NumberError, PropertyError
from exactrelu.io import load_model
from exactrelu.verify.property import property_certificate, property_to_json, verify
from exactrelu.domain.vnnlib import PointRegion, load_vnnlib, parse_vnnlib

DATA = Path(__file__).parents[1] / "data" / "false_verdicts"
RELU = load_model(DATA / "relu.json")
D1 = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
D2 = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"


def relu_sum():
    """``relu(x0 + x1)``."""
    from exactrelu.model.network import mlp

    return mlp(2, [([[1, 1]], [0]), ([[1]], [0])])


def both(text: str):
    """The canonical forms of exactrelu's reading (through the certificate's JSON form)
    and of the checker's reading of ``text``."""
    prop = parse_vnnlib(text)
    n, m = prop.n_inputs, prop.n_outputs
    product = canonical_property(n, m, certificate_property({"property": property_to_json(prop)}, n, m))
    p = read_vnnlib_text(text)
    return product, canonical_property(p.n_inputs, p.n_outputs, p.disjuncts)


def pin(cert: Path, prop: Path, *more: str) -> int:
    return checker_run([str(cert), "--vnnlib", str(prop), *more])


def write_cert(tmp_path: Path, name: str, net, prop, res) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(property_certificate(net, prop, res)))
    return path


# ----------------------------------------------------------------------------- bug 1: false holds
def test_false_holds_alias_is_refused_by_both_readers(capsys):
    with pytest.raises(PropertyError, match=r"'Y_00' is not a VNN-LIB variable name"):
        load_vnnlib(DATA / "alias.vnnlib")
    with pytest.raises(PinInputError, match=r"'Y_00' is not a variable name"):
        read_vnnlib_file(DATA / "alias.vnnlib")
    old = DATA / "alias_old_holds.json"
    assert check_certificate(old).valid  # the old certificate proves *its* (empty) property ...
    assert pin(old, DATA / "alias.vnnlib") == 2  # ... the file it came from is unusable now
    assert "Y_00" in capsys.readouterr().err


def test_false_holds_alias_right_verdict_and_old_certificate_rejected(tmp_path, capsys):
    fixed = tmp_path / "fixed.vnnlib"  # what the author meant: Y_0 >= 1/2 is reachable (x >= 1/2)
    fixed.write_text((DATA / "alias.vnnlib").read_text().replace("Y_00", "Y_0"))
    prop = load_vnnlib(fixed, 1, 1)
    res = verify(RELU, prop)
    assert res.verdict == "violated" and res.exact_output[0] >= F(1, 2)
    new = write_cert(tmp_path, "new.json", RELU, prop, res)
    assert check_certificate(new).valid
    assert pin(new, fixed) == 0
    assert pin(DATA / "alias_old_holds.json", fixed) == 1
    out = capsys.readouterr().out
    assert "invalid: pinned: the certificate's property is not" in out and "-2*y0 <= -1" in out


# ----------------------------------------------------------------------------- bug 2: false violated
def test_false_violated_strict_bound_right_verdict(tmp_path, capsys):
    prop = load_vnnlib(DATA / "strict.vnnlib", 1, 1)
    assert not prop.is_counterexample((F(1),), (F(1),))  # the old "counterexample" x = 1 is not one
    assert prop.is_counterexample((F(1, 2),), (F(1),))
    for kw in ({}, {"samples": 0, "attack_seconds": 0}, {"prune": False}):
        res = verify(RELU, prop, **kw)
        assert res.verdict == "holds", kw
    new = write_cert(tmp_path, "new.json", RELU, prop, res)
    assert check_certificate(new).valid
    assert pin(new, DATA / "strict.vnnlib") == 0
    old = DATA / "strict_old_violated.json"
    assert check_certificate(old).valid  # the point 1 meets the *closed* property it carries
    assert pin(old, DATA / "strict.vnnlib") == 1
    assert "invalid: pinned" in capsys.readouterr().out
    # the proof needs the strictness (Motzkin, K = 0): with the flag cleared it is rejected
    cert = json.loads(new.read_text())
    for c in cert["property"]["disjuncts"][0]["constraints"]:
        c["strict"] = False
    with pytest.raises(CertificateInvalid) as exc:
        check_certificate(cert)
    assert exc.value.rule == "property-farkas"


def test_false_verdicts_through_the_command_lines(tmp_path):
    """``exactrelu verify`` and ``exactrelu check --vnnlib``, and ``python -m exactrelu.checker``."""
    net, strict = DATA / "relu.json", DATA / "strict.vnnlib"
    cert = tmp_path / "c.json"
    assert main(["verify", str(net), str(strict), "--certificate", str(cert)]) == 0
    assert main(["check", str(cert), "--vnnlib", str(strict), "--model", str(net)]) == 0
    assert main(["check", str(DATA / "strict_old_violated.json"), "--vnnlib", str(strict)]) == 1
    exe = [sys.executable, "-m", "exactrelu.checker"]
    for c, p, rc in ((cert, strict, 0), (DATA / "strict_old_violated.json", strict, 1),
                     (DATA / "alias_old_holds.json", DATA / "alias.vnnlib", 2)):
        r = subprocess.run(exe + [str(c), "--vnnlib", str(p)], capture_output=True, text=True, cwd=REPO)
        assert r.returncode == rc, r.stdout + r.stderr
    r = subprocess.run(exe + [str(DATA / "strict_old_violated.json"), "--vnnlib", str(strict), "--json"],
                       capture_output=True, text=True, cwd=REPO)
    assert json.loads(r.stdout)["rule"] == "pinned"


# ----------------------------------------------------------------------------- strict constraints
def test_strict_bound_only_the_boundary_reaches(tmp_path):
    """relu(x0 + x1) on [-1, 1]^2 with x0 + x1 < 1/2: y >= 1/2 only on the excluded line."""
    net = relu_sum()
    text = D2 + "(assert (<= -1 X_0 1)) (assert (<= -1 X_1 1)) (assert (< (+ X_0 X_1) 0.5))\n"
    prop = parse_vnnlib(text + "(assert (>= Y_0 0.5))")
    for kw in ({}, {"samples": 0, "attack_seconds": 0}):
        res = verify(net, prop, **kw)
        assert res.verdict == "holds"
    c = write_cert(tmp_path, "c.json", net, prop, res)
    assert check_certificate(c).valid
    f = tmp_path / "p.vnnlib"
    f.write_text(text + "(assert (>= Y_0 0.5))")
    assert pin(c, f) == 0
    below = parse_vnnlib(text + "(assert (>= Y_0 0.49))")
    res = verify(net, below)
    assert res.verdict == "violated" and sum(res.counterexample) < F(1, 2)
    assert check_certificate(property_certificate(net, below, res)).valid
    with pytest.raises(PropertyError, match="constrains the inputs strictly"):
        prop.domain  # as a domain (regions/bounds --vnnlib) the strict cut would be lost


def test_strict_constraints_with_pruned_cells():
    """Pruned cells treat a strict row as non-strict (proving more); the checker accepts it."""
    from exactrelu.model.random_nets import random_network

    net = random_network([8, 8], seed=3)
    text = D2 + "(assert (<= -1 X_0 1)) (assert (<= -1 X_1 1)) (assert (< (+ X_0 X_1) 0.5)) (assert (>= Y_0 28))"
    prop = parse_vnnlib(text)
    res = verify(net, prop, samples=0, attack_seconds=0)
    assert res.verdict == "holds" and res.stats["pruned"] > 0
    cert = property_certificate(net, prop, res)
    assert check_certificate(cert).open_nodes == res.stats["pruned"]


# ----------------------------------------------------------------------------- pinned inputs
def test_every_input_pinned_is_one_point(tmp_path):
    net = relu_sum()
    pins = D2 + "(assert (= X_0 0.25)) (assert (<= X_1 0.25)) (assert (>= X_1 0.25))\n"
    hit = parse_vnnlib(pins + "(assert (>= Y_0 0.5))")
    assert hit.fixed_inputs == {0: F(1, 4), 1: F(1, 4)} and hit.input_regions == [PointRegion()]
    res = verify(net, hit)
    assert res.verdict == "violated" and res.counterexample == (F(1, 4), F(1, 4)) and res.found_by == "exact evaluation"
    assert check_certificate(property_certificate(net, hit, res)).valid
    miss = parse_vnnlib(pins + "(assert (> Y_0 0.5))")
    res = verify(net, miss)
    assert res.verdict == "holds" and "evaluated exactly" in res.reason
    cert = property_certificate(net, miss, res)
    assert cert["partitions"] == [] and cert["property"]["inputs"] == [{"A": [], "b": []}]
    assert check_certificate(cert).valid
    f = tmp_path / "p.vnnlib"
    f.write_text(pins + "(assert (> Y_0 0.5))")
    c = tmp_path / "c.json"
    c.write_text(json.dumps(cert))
    assert pin(c, f) == 0
    bad = copy.deepcopy(cert)  # the same certificate for y >= 1/2: the point meets it
    bad["property"]["disjuncts"][0]["constraints"][0]["strict"] = False
    with pytest.raises(CertificateInvalid) as exc:
        check_certificate(bad)
    assert exc.value.rule == "property-point"
    bad = copy.deepcopy(cert)
    bad["network"]["layers"][0]["bias"] = ["1"]
    with pytest.raises(CertificateInvalid, match="counterexample"):
        check_certificate(bad)
    bad = copy.deepcopy(cert)
    bad["partitions"] = [{"input": 0}]
    with pytest.raises(CertificateMalformed, match="nothing to partition"):
        check_certificate(bad)


def test_pins_in_some_disjuncts_strict_pins_and_empty_regions(tmp_path):
    with pytest.raises(PropertyError, match="pins X_0 = 1/2 but not every disjunct"):
        parse_vnnlib(D1 + "(assert (or (= X_0 0.5) (<= 0 X_0 1))) (assert (>= Y_0 2))")
    with pytest.raises(PropertyError, match="empty input region"):
        parse_vnnlib(D1 + "(assert (>= X_0 1)) (assert (<= X_0 0)) (assert (>= Y_0 2))")
    # pinned in every disjunct, to one value, with different free boxes: a fixed input
    p = parse_vnnlib(D2 + "(assert (= X_1 0.5)) (assert (or (<= 0 X_0 1) (<= -2 X_0 -1))) (assert (>= Y_0 3))")
    assert p.fixed_inputs == {1: F(1, 2)} and len(p.input_regions) == 2
    assert verify(relu_sum(), p).verdict == "holds"
    # a pin and a strict bound on the same input: no point, the property holds vacuously
    text = D1 + "(assert (= X_0 0.5)) (assert (< X_0 0.5)) (assert (>= Y_0 0))"
    p = parse_vnnlib(text)
    res = verify(RELU, p)
    assert p.disjuncts == [] and res.verdict == "holds" and "vacuously" in res.reason
    cert = property_certificate(RELU, p, res)
    assert check_certificate(cert).valid
    f, c = tmp_path / "p.vnnlib", tmp_path / "c.json"
    f.write_text(text)
    c.write_text(json.dumps(cert))
    assert pin(c, f) == 0
    a, b = both(text)
    assert a == b == (1, 1, ())


# ----------------------------------------------------------------------------- both readers
def _vnncomp_files() -> list[Path]:
    root = BENCH / "vnncomp2022"
    return sorted(p for d in ("acasxu", "test", "reach_prob_density") for p in (root / d).rglob("*.vnnlib*"))


def test_both_readers_agree_on_every_vnncomp_file():
    files = _vnncomp_files()
    if not files:
        pytest.skip("no VNN-COMP benchmarks")
    assert len(files) == 50  # 10 acasxu, 4 test, 36 reach_prob_density
    for f in files:
        prop = load_vnnlib(f)
        n, m = prop.n_inputs, prop.n_outputs
        cert = {"property": property_to_json(prop)}
        product = canonical_property(n, m, certificate_property(cert, n, m))
        p = read_vnnlib_file(f)
        assert (p.n_inputs, p.n_outputs) == (n, m)
        checker = canonical_property(n, m, p.disjuncts)
        assert product == checker, f
        assert len(product[2]) == len(prop.disjuncts), f  # no disjunct is lost or merged by the normal form


@pytest.mark.parametrize("name", ["test_nano", "test_tiny", "test_small"])
def test_vnncomp_test_family_round_trip(name, tmp_path):
    base = BENCH / "vnncomp2022" / "test"
    if not base.exists():
        pytest.skip("no VNN-COMP benchmarks")
    cert = tmp_path / "c.json"
    net, prop = base / f"{name}.onnx", base / f"{name}.vnnlib"
    assert main(["verify", str(net), str(prop), "--certificate", str(cert)]) in (0, 10)
    assert main(["check", str(cert), "--vnnlib", str(prop), "--model", str(net)]) == 0


# -- a third reading: the formula text evaluated directly at a point (no DNF, no normal form)
def _oracle(text: str, x, y) -> bool:
    toks = re.findall(r"\(|\)|[^\s()]+", re.sub(r";[^\n]*", " ", text))
    stack: list[list] = [[]]
    for t in toks:
        if t == "(":
            stack.append([])
        elif t == ")":
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(t)
    env = {f"X_{i}": v for i, v in enumerate(x)} | {f"Y_{j}": v for j, v in enumerate(y)}

    def term(e):
        if isinstance(e, str):
            return env[e] if e in env else F(Decimal(e))
        vals = [term(a) for a in e[1:]]
        if e[0] == "+":
            return sum(vals, F(0))
        if e[0] == "-":
            return -vals[0] if len(vals) == 1 else vals[0] - sum(vals[1:], F(0))
        if e[0] == "*":
            out = F(1)
            for v in vals:
                out *= v
            return out
        out = vals[0]
        for v in vals[1:]:
            out /= v
        return out

    rel = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
           "=": lambda a, b: a == b}

    def formula(e) -> bool:
        if e[0] == "and":
            return all(formula(a) for a in e[1:])
        if e[0] == "or":
            return any(formula(a) for a in e[1:])
        vals = [term(a) for a in e[1:]]
        return all(rel[e[0]](a, b) for a, b in zip(vals, vals[1:]))

    return all(formula(cmd[1]) for cmd in stack[0] if cmd[0] == "assert")


def _dnf_holds(disjuncts, x, y) -> bool:
    return any(all((sum(ai * xi for ai, xi in zip(a, x)) + sum(ci * yi for ci, yi in zip(c, y)) < b) if s else
                   (sum(ai * xi for ai, xi in zip(a, x)) + sum(ci * yi for ci, yi in zip(c, y)) <= b)
                   for a, c, b, s in atoms) for atoms in disjuncts)


def _canonical_holds(canon, x, y) -> bool:
    n, _, forms = canon
    v = list(x) + list(y)

    def ok(t):
        *coef, b, strict = t
        lhs = sum(ci * vi for ci, vi in zip(coef, v))
        return lhs < b if strict else lhs <= b

    return any(all(ok(t) for t in form) for form in forms)


GRID = [F(-3), F(-2), F(-1), F(-1, 2), F(-1, 3), F(0), F(1, 3), F(1, 2), F(1), F(3, 2), F(2), F(3)]
COEFS = [F(-2), F(-1), F(-1, 2), F(1, 3), F(1), F(2), F(0)]
# strategies built once (drawing through fresh strategy objects dominates the run time)
BOOL, S_GRID, S_COEF, S_OP = st.booleans(), st.sampled_from(GRID), st.sampled_from(COEFS), st.sampled_from(["<=", ">=", "<", ">", "="])
S_STYLE = st.sampled_from(["plain", "exp", "plus", "dot"])
INT = {k: st.integers(0, k) for k in range(4)}
S_LO = st.sampled_from([F(-2), F(-1), F(-1, 2), F(0)])
S_WIDTH = st.sampled_from([F(1, 2), F(1), F(3, 2), F(3)])
S_ANDOR = st.sampled_from(["and", "or"])


def _num(draw, q: F) -> str:
    """``q`` in one of several exact spellings."""
    if q < 0 and draw(BOOL):
        return f"(- {_num(draw, -q)})"
    p, d = q.numerator, q.denominator
    k = d
    while k % 2 == 0:
        k //= 2
    while k % 5 == 0:
        k //= 5
    if k == 1 and draw(BOOL):  # an exact decimal
        dec = format(Decimal(p) / Decimal(d), "f")
        style = draw(S_STYLE)
        if style == "exp":
            return f"{Decimal(dec).scaleb(1).normalize():f}e-1"
        if style == "plus" and q >= 0:
            return "+" + dec
        if style == "dot" and d == 1:
            return dec + "."
        if style == "dot" and dec.startswith("0."):
            return dec[1:]
        return dec
    return f"(/ {p} {d})" if d != 1 or draw(BOOL) else str(p)


def _lin(draw, names: list[str]) -> tuple[str, dict]:
    """A random linear term: its text and its coefficients (name -> q, "" -> constant)."""
    chosen = draw(st.lists(st.sampled_from(names), min_size=0, max_size=len(names), unique=True))
    parts, coef = [], {}
    for v in chosen:
        a = draw(S_COEF)
        coef[v] = a
        style = draw(INT[3])
        if a == 1 and style == 0:
            parts.append(v)
        elif a == -1 and style == 0:
            parts.append(f"(- {v})")
        elif style == 1 and a:
            parts.append(f"(* {v} {_num(draw, a)})")
        elif style == 2 and a and a.numerator == 1:
            parts.append(f"(/ {v} {_num(draw, F(a.denominator))})")
        else:
            parts.append(f"(* {_num(draw, a)} {v})")
    c = draw(S_GRID)
    coef[""] = c
    if c or not parts or draw(BOOL):
        parts.append(_num(draw, c))
    draw(st.randoms()).shuffle(parts)
    if len(parts) == 1:
        return parts[0], coef
    if draw(BOOL):
        return "(+ " + " ".join(parts) + ")", coef
    return "(+ " + parts[0] + " (+ " + " ".join(parts[1:]) + "))", coef


def _atom(draw, names):
    left, _ = _lin(draw, names)
    right, _ = _lin(draw, names)
    op = draw(S_OP)
    flip = {"<=": ">=", ">=": "<=", "<": ">", ">": "<", "=": "="}
    style = draw(INT[3])
    if style == 0:
        return f"({flip[op]} {right} {left})"
    if style == 1:
        return f"({op} (- {left} {right}) 0)"
    if style == 2:
        third, _ = _lin(draw, names)
        return f"({op} {left} {right} {third})"  # a chain
    return f"({op} {left} {right})"


def _formula(draw, names, depth: int) -> str:
    if depth == 0 or draw(INT[2]) == 0:
        return _atom(draw, names)
    op = draw(S_ANDOR)
    k = draw(st.integers(1, 3))
    return f"({op} " + " ".join(_formula(draw, names, depth - 1) for _ in range(k)) + ")"


@st.composite
def vnnlib_texts(draw):
    n, m = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    xs, ys = [f"X_{i}" for i in range(n)], [f"Y_{j}" for j in range(m)]
    decls = [f"(declare-const {v} Real)" for v in xs + ys]
    draw(st.randoms()).shuffle(decls)
    lines = decls[:]
    box_atoms = []
    for v in xs:
        lo = draw(S_LO)
        hi = lo + draw(S_WIDTH)
        style = draw(INT[3])
        if style == 3 and draw(BOOL):  # a pinned input
            box_atoms += [f"(= {v} {_num(draw, lo)})"] if draw(BOOL) else [f"(<= {v} {_num(draw, lo)})",
                                                                              f"(<= {_num(draw, lo)} {v})"]
        elif style in (0, 3):
            box_atoms += [f"(>= {v} {_num(draw, lo)})", f"(<= {v} {_num(draw, hi)})"]
        elif style == 1:
            box_atoms += [f"(<= {_num(draw, lo)} {v} {_num(draw, hi)})"]
        else:
            box_atoms += [f"(>= {_num(draw, hi)} {v})", f"(> {v} {_num(draw, lo - 1)})", f"(<= {_num(draw, lo)} {v})"]
    draw(st.randoms()).shuffle(box_atoms)
    if draw(BOOL):
        lines += [f"(assert {a})" for a in box_atoms]
    else:
        lines.append("(assert (and " + " ".join(box_atoms) + "))")
    for _ in range(draw(INT[3])):
        lines.append(f"(assert {_formula(draw, xs + ys, 2)})")
        if draw(BOOL):
            lines.append("; a comment (with parentheses) and (assert (<= X_0 -100))")
    return n, m, "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vnnlib_texts(), st.data())
def test_readers_agree_with_each_other_and_with_the_text(case, data):
    n, m, text = case
    checker = read_vnnlib_text(text)
    assert (checker.n_inputs, checker.n_outputs) == (n, m)
    canon = canonical_property(n, m, checker.disjuncts)
    try:
        prop = parse_vnnlib(text)
    except PropertyError as exc:  # a region the normal form refuses: lower-dimensional, empty, pinned apart
        assert re.search(r"disjunct \d+|pins X_", str(exc)), str(exc)
        prop = None
    if prop is not None:
        assert both(text) == (canon, canon)
    rng = data.draw(st.randoms(use_true_random=False))
    for _ in range(40):
        x = [rng.choice(GRID) for _ in range(n)]
        y = [rng.choice(GRID) for _ in range(m)]
        truth = _oracle(text, x, y)
        assert _dnf_holds(checker.disjuncts, x, y) == truth
        assert _canonical_holds(canon, x, y) == truth
        if prop is not None:
            assert prop.is_counterexample(x, y) == truth


# ----------------------------------------------------------------------------- the parser audit
OK_VARIANTS = [
    "(assert (<= 0 1))",  # a true constant atom: dropped
    "(assert (and (>= Y_0 1)))",  # one-argument and/or
    "(assert (or (>= Y_0 1)))",
    "(assert (>= (- Y_0) -5))",  # unary minus
    "(assert (>= Y_0 (- 1)))",
    "(assert (>= Y_0 +1))",
    "(assert (>= Y_0 .5))",
    "(assert (>= Y_0 1.))",
    "(assert (>= Y_0 1e-3))",
    "(assert (>= Y_0 1E+2))",
    "(assert (>= Y_0 (/ 1 3)))",
    "(assert (>= Y_0 (/ 1 3 2)))",  # left associative
    "(assert (>= Y_0 (* 2 3 (/ X_0 6))))",
    "(assert (= Y_0 X_0 (* 2 X_0)))",  # an = chain
    "(assert (< -1 Y_0 0 1))",
    "(assert (>= (+ Y_0) (- Y_0 Y_0 1)))",
    "(assert (>= (* Y_0 0) -1))",  # 0 * y: a constant atom
    "(check-sat)\n(get-model)\n(exit)\n(set-info :status unknown)\n(set-logic QF_LRA)",
    '(set-info :source "a ; b ) ( ""quoted""")\n(assert (>= Y_0 1))',
    "(assert (>= Y_0 1)) ; a comment without a newline at the end",
    "(assert\t(>=\tY_0\t1))\r\n(assert (<= Y_0 2))\r\n",
    "(assert (or (and (>= Y_0 1) (<= Y_0 2)) (and (>= Y_0 5)) (<= Y_0 -3)))",
    "(assert (>= Y_0 " + "0." + "0" * 5000 + "1))",  # beyond Python's int/str digit limit
    "(assert (>= Y_0 " + "7" * 5000 + "))",
    "(assert (>= Y_0 1e100000))",  # the exponent limit itself is allowed
    "(assert (>= Y_0 " + "(+ 1 " * 3000 + "0" + ")" * 3000 + "))",  # deep nesting: no recursion limit
    "(assert " + "(and " * 3000 + "(>= Y_0 1)" + ")" * 3000 + ")",
]


@pytest.mark.parametrize("extra", OK_VARIANTS, ids=range(len(OK_VARIANTS)))
def test_audit_both_readers_accept_and_agree(extra):
    text = D1 + "(assert (>= X_0 -1)) (assert (<= X_0 1))\n" + extra
    a, b = both(text)
    assert a == b


def test_audit_constant_atoms_decide_disjuncts():
    base = D1 + "(assert (>= X_0 -1)) (assert (<= X_0 1))\n"
    p = parse_vnnlib(base + "(assert (or (and (<= 1 0) (>= Y_0 5)) (>= Y_0 7)))")
    assert len(p.disjuncts) == 1 and p.disjuncts[0].constraints[0].b == -7
    p = parse_vnnlib(base + "(assert (< 0 0))")
    assert p.disjuncts == [] and verify(RELU, p).verdict == "holds"
    a, b = both(base + "(assert (< 0 0))")
    assert a == b == (1, 1, ())


def test_audit_names_never_become_zero_coefficients():
    for decl, use, msg in (("(declare-const Y_00 Real)", "Y_00", "Y_00"), ("(declare-const Y_0 Real)", "Y_1", "Y_1"),
                           ("(declare-const Y_0 Real)", "y_0", "y_0"), ("(declare-const Y_0 Real)", "X_01", "X_01")):
        text = f"(declare-const X_0 Real) {decl} (assert (<= -1 X_0 1)) (assert (>= {use} 0.5))"
        with pytest.raises(PropertyError, match=msg):
            parse_vnnlib(text)
        with pytest.raises(PinInputError, match=msg):
            read_vnnlib_text(text)


def test_number_limits_in_the_checker_reader():
    from exactrelu.checker.vnnlib import read_literal

    assert read_literal("1e100000") == 10 ** 100000 and read_literal("-2E-100000") == F(-2, 10 ** 100000)
    for tok in ("1e100001", "1e-100001", "1e999999999", "1e" + "9" * 50):
        with pytest.raises(PinInputError, match="exponent"):
            read_literal(tok)
    edge = "0." + "0" * (1_000_000 - 3) + "1"  # exactly 1,000,000 characters
    assert len(edge) == 1_000_000 and read_literal(edge) == F(1, 10 ** (1_000_000 - 2))
    with pytest.raises(PinInputError, match="1000001 characters"):
        read_literal(edge + "0")
    text = D1 + "(assert (<= -1 X_0 1)) (assert (>= Y_0 {}))"
    with pytest.raises(NumberError):
        parse_vnnlib(text.format(edge + "0"))
    assert parse_vnnlib(text.format(edge)).disjuncts[0].constraints[0].b == F(-1, 10 ** (1_000_000 - 2))
    a, b = both(text.format("0." + "0" * 100_000 + "3"))  # (writing 10^999998 in JSON takes 10 s)
    assert a == b and (0, -(10 ** 100_001), -3, False) in a[2][0]


# ----------------------------------------------------------------------------- box / domain pinning
def test_box_and_domain_pinning_by_the_checker(tmp_path, capsys):
    ex = REPO / "exactrelu" / "examples" / "mlp_2x8x8.json"
    cert = tmp_path / "c.json"
    assert main(["regions", str(ex), "--box=-1:1,0:1/2", "--certificate", str(cert)]) == 0
    assert checker_run([str(cert), "--box=-1:1,0:0.5"]) == 0
    assert checker_run([str(cert), "--box= -1 : 1 , 0 : 1/2"]) == 0
    assert checker_run([str(cert), "--box=-1:1"]) == 1
    dom = tmp_path / "d.json"
    dom.write_text(json.dumps({"A": [[0, -4], [1, 0], [0, "1"], ["-1", 0]], "b": [0, 1, "0.5", 1]}))
    assert checker_run([str(cert), "--domain", str(dom)]) == 0
    dom.write_text(json.dumps({"A": [[0, -4], [1, 0], [0, "1"]], "b": [0, 1, "0.5"]}))
    assert checker_run([str(cert), "--domain", str(dom)]) == 1
    assert "domain is not" in capsys.readouterr().out
    stream = tmp_path / "s.jsonl"
    assert main(["regions", str(ex), "--box=-1:1", "--stream", str(stream)]) == 0
    assert checker_run([str(stream), "--box=-1:1"]) == 0
    assert checker_run([str(stream), "--box=-1:2"]) == 1


def test_no_code_shared_between_the_two_readers():
    """The checker's reader imports only the standard library and the checker; exactrelu's
    parser and verifier import nothing from the checker."""
    def imports(path: Path) -> set[str]:
        tree = ast.parse(path.read_text())
        out = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                out.add(("." * node.level) + (node.module or ""))
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
        return out

    pkg = REPO / "exactrelu"
    for name in ("vnnlib.py", "pinning.py"):
        for mod in imports(pkg / "checker" / name):
            assert mod.startswith(".") or mod.split(".")[0] in sys.stdlib_module_names, (name, mod)
            assert "exactrelu" not in mod
    for name in ("domain/vnnlib.py", "domain/vnnlib_reader.py", "verify/property.py", "domain/cex.py", "cli/verify.py"):
        assert not any("checker" in mod for mod in imports(pkg / name)), name


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.randoms(use_true_random=False))
def test_box_regions_are_the_polytopes_cdd_builds(n, rng):
    """The box fast path (no vertex enumeration; 14-D ACAS-like boxes took 45 s each) builds
    exactly the Polytope of :func:`exactrelu.domain.polytope.polytope`: rows, vertices, centre."""
    from exactrelu.domain.polytope import polytope
    from exactrelu.domain.vnnlib import LinearAtom, _box_region

    atoms = []
    for i in range(n):
        lo = F(rng.randint(-6, 2), rng.choice([1, 2, 3]))
        hi = lo + F(rng.randint(1, 6), rng.choice([1, 2, 7]))
        for bound, sign in [(hi, 1), (lo, -1)] + [(hi + rng.randint(0, 2), 1)] * rng.randint(0, 1):
            k = F(rng.choice([1, 2, 5]), rng.choice([1, 3]))  # scaled rows
            e = [F(0)] * n
            e[i] = sign * k
            atoms.append(LinearAtom(tuple(e), (F(0),), sign * k * bound))
    rng.shuffle(atoms)
    fast = _box_region(atoms, n)
    slow = polytope([a.a for a in atoms], [a.b for a in atoms])
    assert (fast.A, fast.b, fast.vertices, fast.interior_point, fast.is_box) == \
        (slow.A, slow.b, slow.vertices, slow.interior_point, slow.is_box)


def test_mutated_files_never_split_the_readers():
    """Random edits of real and hand-written files (inserted tokens, deletions, copies):
    whenever exactrelu reads a file, the checker reads the same canonical property; when the
    checker refuses, so does exactrelu (a refusal by exactrelu alone is one of its
    normal-form rules: regions and pins)."""
    import gzip
    import random

    from exactrelu.errors import ExactReluError

    seeds = ["(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= -1 X_0 1))"
             "(assert (or (and (< Y_0 (- 2)) (>= X_0 0)) (> (* 2 Y_0) (/ X_0 3))))",
             D2 + "(assert (= X_1 0.5)) (assert (<= 0 X_0 1)) (assert (or (< X_0 0.25) (>= Y_0 1e-1)))"]
    prop6 = BENCH / "vnncomp2022" / "acasxu" / "vnnlib" / "prop_6.vnnlib.gz"
    if prop6.exists():
        seeds.append(gzip.decompress(prop6.read_bytes()).decode())
    pieces = ["(", ")", " ", ";", "\n", '"', "|", "X_0", "Y_0", "X_1", "0", "-", "+", "*", "/", "and", "or",
              "<=", "<", "=", ".", "e", "1e5", "(- 1)", "assert", "declare-const", "Real", "(= X_0 0.5)", "\t",
              "\r", "#x1", "00", "X_00"]
    rng = random.Random(19)
    agreed = 0
    for _ in range(1500):
        t = rng.choice(seeds)
        i = rng.randrange(len(t) + 1)
        op = rng.random()
        if op < 0.4:
            t = t[:i] + rng.choice(pieces) + t[i:]
        elif op < 0.8:
            t = t[:i] + t[i + rng.randint(1, 5):]
        else:
            j = rng.randrange(len(t) + 1)
            t = t[:i] + t[j:j + 10] + t[i:]
        try:
            mine = parse_vnnlib(t)
        except ExactReluError as exc:
            mine, why = None, str(exc)
        try:
            theirs = read_vnnlib_text(t)
        except PinInputError:
            assert mine is None, t
            continue
        if mine is None:
            assert re.search(r"disjunct \d+|pins X_", why), (why, t)
            continue
        n, m = mine.n_inputs, mine.n_outputs
        a = canonical_property(n, m, certificate_property({"property": property_to_json(mine)}, n, m))
        assert a == canonical_property(theirs.n_inputs, theirs.n_outputs, theirs.disjuncts), t
        agreed += 1
    assert agreed > 200


def test_counterexample_files_follow_the_name_and_number_rules():
    """``exactrelu/domain/cex.py`` (float verifiers' counterexamples): ``X_00`` was read as ``X_0``;
    Unicode digits were numbers; the exponent limit is the shared 100,000."""
    from exactrelu.domain.cex import CounterexampleFormatError, parse_counterexample

    for text in ("((X_00 0.5))", "((X_0 0.5) (Y_01 1))", "((X_\u0661 0.5))", "((X_0 \u0661))", "((X_0 1e100001))",
                 "((X_0 1/0))", "((X_0 " + "1" * 1_000_001 + "))"):
        with pytest.raises(CounterexampleFormatError):
            parse_counterexample(text)
    c = parse_counterexample("((X_0 1e-5000) (X_1 " + "3" * 5000 + "/7))")
    assert c.inputs == {0: F(1, 10 ** 5000), 1: F((10 ** 5000 - 1) // 3, 7)}


def test_mismatch_messages_with_huge_numbers(tmp_path, capsys):
    """A mismatch is described without converting 5,000-digit numbers to text (Python's
    int/str limit would raise): ``invalid: pinned: ...`` and exit 1."""
    f = tmp_path / "p.vnnlib"
    f.write_text(D1 + "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= Y_0 1e-5000))")
    assert pin(DATA / "strict_old_violated.json", f) == 1
    out = capsys.readouterr().out
    assert out.startswith("invalid: pinned:") and "digits>" in out
    d = tmp_path / "d.json"
    d.write_text(json.dumps({"A": [["1"], ["-1"]], "b": ["1" + "0" * 5000, "1"]}))
    cert = tmp_path / "c.json"
    assert main(["regions", str(DATA / "relu.json"), "--box=-1:1", "--certificate", str(cert)]) == 0
    assert checker_run([str(cert), "--domain", str(d)]) == 1
    assert checker_run([str(cert), "--box=1" + "0" * 5000 + ":1"]) == 2
    assert "digits>" in capsys.readouterr().err
