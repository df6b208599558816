"""Bounds, VNN-LIB verification, equivalence and compression, with their certificates."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from oracles import polygon2d  # noqa: E402

from conftest import load_random_nets, shared_path  # noqa: E402
from exactrelu.verify.bounds import bounds_certificate, output_bounds
from exactrelu.checker import CertificateInvalid, check_certificate
from exactrelu.verify.compress import compress, remove_stable_units, stable_units
from exactrelu.domain.polytope import box
from exactrelu.verify.equivalence import difference_network, equivalence_certificate, equivalent
from exactrelu.model.evaluation import evaluate
from exactrelu.io.loader import load_model
from exactrelu.model.network import NetworkBuilder, mlp
from exactrelu.model.random_nets import random_layers, random_network
from exactrelu.verify.property import property_certificate, verify
from exactrelu.domain.vnnlib import load_vnnlib, parse_vnnlib


# --- bounds ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_bounds_equal_polygon_oracle(seed):
    layers = random_layers([6, 5], seed, n_in=2, n_out=2, denom=8)
    res = output_bounds(mlp(2, layers), box([-1, -1], [1, 1]))
    want = polygon2d.output_range(polygon2d.regions(layers))
    assert [(b.min, b.max) for b in res.outputs] == want
    net = mlp(2, layers)
    for b in res.outputs:  # witnesses attain the bounds exactly
        assert evaluate(net, b.argmax)[b.output] == b.max and evaluate(net, b.argmin)[b.output] == b.min
    rep = check_certificate(bounds_certificate(res))
    assert rep.valid and rep.claim == "bounds"


def test_bounds_reference_net_and_tampering():
    layers = load_random_nets().random_net([16, 16, 16], 2)
    res = output_bounds(mlp(2, layers), box([-1, -1], [1, 1]))
    assert res.outputs[0].max == F(5087951, 65536)  # oracle value, see tests/oracles/README.md
    cert = bounds_certificate(res)
    assert check_certificate(cert).valid
    bad = copy.deepcopy(cert)
    bad["bounds"][0]["max"] = str(F(5087951, 65536) - F(1, 10**6))  # a bound that is not attained
    with pytest.raises(CertificateInvalid) as e:
        check_certificate(bad)
    assert e.value.rule == "bounds-witness"
    bad = copy.deepcopy(cert)
    pr = next(p for p in bad["proofs"] if p["max"])
    pr["max"][0][1] = "0"
    with pytest.raises(CertificateInvalid) as e:
        check_certificate(bad)
    assert e.value.rule in ("bounds-farkas",)


# --- VNN-LIB verification --------------------------------------------------------------------
def test_test_family_verdicts():
    base = shared_path("vnncomp2022", "test")
    for line in (base / "instances.csv").read_text().split():
        onnx_name, prop_name, _ = line.split(",")
        if onnx_name == "test_unsat.onnx":
            continue  # an ACAS Xu-sized 'holds' instance: see test_test_unsat_is_not_violated
        net = load_model(base / onnx_name)
        prop = load_vnnlib(base / prop_name, net.n_inputs, net.n_outputs)
        res = verify(net, prop, time_limit=60)
        want = "violated" if onnx_name == "test_sat.onnx" else "holds"
        assert res.verdict == want, onnx_name
        cert = property_certificate(net, prop, res)
        assert check_certificate(cert).valid
        if res.verdict == "violated":
            assert prop.is_counterexample(res.counterexample, evaluate(net, res.counterexample))
            assert res.float_confirms is True


def test_test_unsat_is_not_violated():
    base = shared_path("vnncomp2022", "test")
    net = load_model(base / "test_unsat.onnx")
    prop = load_vnnlib(base / "test_prop.vnnlib", 5, 5)
    res = verify(net, prop, time_limit=5)
    assert res.verdict in ("holds", "unknown")  # never a false 'violated'


HDR = "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)\n"


@pytest.mark.parametrize("seed", range(4))
def test_verify_agrees_with_oracle_max(seed):
    layers = random_layers([6, 6], seed, n_in=2, n_out=2, denom=8)
    net = mlp(2, layers)
    lo, hi = polygon2d.output_range(polygon2d.regions(layers))[0]
    box_txt = "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1))\n"
    # y0 >= max is reachable (violated, at the maximiser); y0 > max is not (holds)
    ok = parse_vnnlib(HDR + box_txt + f"(assert (>= Y_0 {hi.numerator}/{hi.denominator}))".replace(
        f"{hi.numerator}/{hi.denominator}", f"(/ {hi.numerator} {hi.denominator})"))
    res = verify(net, ok, samples=0)
    assert res.verdict == "violated" and evaluate(net, res.counterexample)[0] == hi
    assert check_certificate(property_certificate(net, ok, res)).valid
    above = parse_vnnlib(HDR + box_txt + f"(assert (> Y_0 (/ {hi.numerator} {hi.denominator})))")
    res = verify(net, above, samples=0)
    assert res.verdict == "holds"
    cert = property_certificate(net, above, res)
    assert check_certificate(cert).valid
    cert["partitions"][0]["proofs"][0]["farkas"] = []
    with pytest.raises(CertificateInvalid):
        check_certificate(cert)


def test_verify_fixed_inputs_and_disjunctions():
    net = mlp(3, [([[1, 0, 1], [0, 1, -1]], [0, 0]), ([[1, 1], [1, -1]], [0, 0])])
    text = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Real)"
            "(declare-const Y_0 Real) (declare-const Y_1 Real)"
            "(assert (<= X_2 0.5)) (assert (>= X_2 0.5))"
            "(assert (or (and (<= X_0 1) (>= X_0 0) (<= X_1 1) (>= X_1 0)) (and (<= X_0 0) (>= X_0 -1) (<= X_1 0) (>= X_1 -1))))"
            "(assert (or (<= Y_0 -1) (>= Y_1 10)))")
    prop = parse_vnnlib(text)
    assert prop.fixed_inputs == {2: F(1, 2)} and len(prop.input_regions) == 2
    res = verify(net, prop)
    assert res.verdict == "holds"
    assert check_certificate(property_certificate(net, prop, res)).valid
    prop2 = parse_vnnlib(text.replace("(>= Y_1 10)", "(>= Y_1 1)"))
    res2 = verify(net, prop2)
    assert res2.verdict == "violated" and res2.counterexample[2] == F(1, 2)
    assert check_certificate(property_certificate(net, prop2, res2)).valid


# --- equivalence -----------------------------------------------------------------------------
def test_equivalence_and_one_changed_weight():
    net = random_network([6, 6], seed=4)
    D = box([-1, -1], [1, 1])
    # the same function written differently: duplicate a hidden unit and halve its outgoing weights
    L1, L2, L3 = net.layers
    W1 = [list(r) for r in L1.inputs[0][1]] + [list(L1.inputs[0][1][0])]
    b1 = list(L1.bias) + [L1.bias[0]]
    W2 = [list(r) + [r[0] / 2] for r in L2.inputs[0][1]]
    for r in W2:
        r[0] = r[0] / 2
    twin = mlp(2, [(W1, b1), (W2, list(L2.bias)), ([list(r) for r in L3.inputs[0][1]], list(L3.bias))])
    res = equivalent(net, twin, D)
    assert res.equivalent is True
    cert = equivalence_certificate(net, twin, D, res)
    assert check_certificate(cert).valid
    cert["network_b"]["layers"][1]["bias"][0] = "7/3"  # B no longer matches the tree's difference network
    with pytest.raises(CertificateInvalid) as e:
        check_certificate(cert)
    assert e.value.rule == "equivalence-network"
    W2b = [list(r) for r in W2]
    W2b[3][2] += F(1, 1000)
    other = mlp(2, [(W1, b1), (W2b, list(L2.bias)), ([list(r) for r in L3.inputs[0][1]], list(L3.bias))])
    res = equivalent(net, other, D)
    assert res.equivalent is False
    ya, yb = evaluate(net, res.counterexample), evaluate(other, res.counterexample)
    assert ya != yb and res.outputs == (ya, yb)


def test_difference_network_structure():
    a, b = random_network([3], seed=1), random_network([3, 3], seed=2, residual=True)
    J = difference_network(a, b)
    for x in ([F(1, 3), F(-1, 2)], [F(0), F(1)]):
        assert evaluate(J, x) == tuple(p - q for p, q in zip(evaluate(a, x), evaluate(b, x)))


# --- stable units and compression --------------------------------------------------------------
def planted_net():
    """Layer 1: 3 always-active units (bias +4), 2 always-inactive (bias -4), 3 free; layer 2 likewise."""
    base = random_layers([8, 8], 21, n_in=2, denom=8)
    (W1, b1), (W2, b2), (W3, b3) = base
    b1 = list(b1)
    for j in (0, 1, 2):
        b1[j] = F(4) + F(j)
    for j in (3, 4):
        b1[j] = F(-4) - F(j)
    b2 = list(b2)
    b2[7] = F(-40)
    b2[6] = F(40)
    return mlp(2, [(W1, b1), (W2, b2), (W3, b3)])


def test_compression_removes_planted_units_and_proves_it():
    net = planted_net()
    D = box([-1, -1], [1, 1])
    st = stable_units(net, D)
    for u in (0, 1, 2):
        assert st[u] == "active"
    for u in (3, 4):
        assert st[u] == "inactive"
    assert st[8 + 7] == "inactive" and st[8 + 6] == "active"
    res = compress(net, D)
    assert res.equivalent is True
    assert res.compressed.n_relu == net.n_relu - len(st)
    assert res.compressed.has_skips  # folded active units create skips from the input
    cert = res.certificate()
    assert check_certificate(cert).valid
    for x in ([F(1, 3), F(-2, 7)], [F(-1), F(1)], [F(9, 10), F(0)]):
        assert evaluate(net, x) == evaluate(res.compressed, x)


def test_fully_stable_layer_collapses():
    net = mlp(1, [([[1], [2]], [5, 6]), ([[1, 1]], [0])])  # both units active on [-1, 1]
    res = compress(net, box([-1], [1]))
    assert res.compressed.n_relu == 0 and len(res.compressed.layers) == 1
    assert res.equivalent


def test_cli_verify_exit_codes(tmp_path):
    base = shared_path("vnncomp2022", "test")
    exe = [sys.executable, "-m", "exactrelu.cli"]
    r = subprocess.run(exe + ["verify", str(base / "test_sat.onnx"), str(base / "test_prop.vnnlib"), "--json",
                              "--certificate", str(tmp_path / "c.json")], capture_output=True, text=True)
    assert r.returncode == 10 and json.loads(r.stdout)["verdict"] == "violated"
    assert check_certificate(tmp_path / "c.json").valid
    r = subprocess.run(exe + ["verify", str(base / "test_small.onnx"), str(base / "test_small.vnnlib")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "holds"
    acas = shared_path("vnncomp2022", "acasxu")  # test_unsat is decided by pruning in < 1 s: use a harder one
    r = subprocess.run(exe + ["verify", str(acas / "onnx" / "ACASXU_run2a_5_9_batch_2000.onnx.gz"),
                              str(acas / "vnnlib" / "prop_1.vnnlib.gz"), "--time-limit", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 20 and r.stdout.strip() == "unknown"


# --- region evidence: conjunctions of atoms ----------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_prove_infeasible_agrees_with_the_lp_and_its_proofs_hold(seed):
    """Single-atom refutations and vertex points (the fast path) against the exact LP
    (`_infeasible_lp`), each answer checked by direct arithmetic: an "empty" combination
    is constant in x with K > 0 (or K = 0 on a strict atom), a point lies in the region's
    closure and meets every atom."""
    import random

    from exactrelu.regions.evidence import _cell_rows, _infeasible_lp, prove_infeasible
    from exactrelu.regions.walk import enumerate_regions

    rng = random.Random(seed)
    part = enumerate_regions(mlp(2, random_layers([4, 4], seed, n_in=2, n_out=1, denom=4)), box([-1, -1], [1, 1]))
    kinds = set()
    for reg in part.regions:
        for _ in range(6):
            atoms = [([F(rng.randint(-4, 4), 2), F(rng.randint(-4, 4), 2)], F(rng.randint(-3, 3), 2),
                      rng.random() < 0.5) for _ in range(rng.randint(2, 3))]
            kind, ev = prove_infeasible(reg, atoms)
            assert kind == _infeasible_lp(reg, atoms)[0]
            A, b = _cell_rows(reg.cell)
            rows = [(a, bi, False) for a, bi in zip(A, b)] + atoms
            if kind == "point":
                assert all(sum(ai * xi for ai, xi in zip(a, ev)) <= bi for a, bi in zip(A, b))
                assert all((sum(ai * xi for ai, xi in zip(a, ev)) < bi) if st else
                           (sum(ai * xi for ai, xi in zip(a, ev)) <= bi) for a, bi, st in atoms)
            else:
                y = {i: F(p, q) for i, p, q in ev}
                assert all(v > 0 for v in y.values())
                assert all(sum(y[i] * rows[i][0][j] for i in y) == 0 for j in range(2))
                K = sum(y[i] * rows[i][1] for i in y)  # sum y (a x - b) = -K
                assert K < 0 or (K == 0 and any(rows[i][2] for i in y))
            kinds.add(kind)
    assert kinds == {"point", "empty"}
