"""Certified pruning in ``verify``: pruned certificates pass the checker, every single
corruption of pruning evidence is rejected with its rule, and verdicts agree with the
unpruned region walk."""

from __future__ import annotations

import copy
from fractions import Fraction as F

import pytest

from conftest import shared_path
from exactrelu.verify.bounds import output_bounds
from exactrelu.checker import CertificateInvalid, check_certificate
from exactrelu.domain.polytope import box
from exactrelu.model.evaluation import evaluate
from exactrelu.io.loader import load_model
from exactrelu.model.network import mlp
from exactrelu.model.random_nets import random_layers
from exactrelu.verify.property import property_certificate, verify
from exactrelu.domain.vnnlib import load_vnnlib, parse_vnnlib

HDR = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)\n"
       "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1))\n")


def _q(v: F) -> str:
    return f"(/ {v.numerator} {v.denominator})" if v.denominator != 1 else str(v.numerator)


def _net(seed: int):
    return mlp(2, random_layers([8, 8], seed, n_in=2, n_out=2, denom=8))


def _pruned_cert(seed: int = 3, margin: F = F(1, 2)):
    """A 'holds' property (y0 >= max + margin) whose certificate prunes at the root."""
    net = _net(seed)
    hi = output_bounds(net, box([-1, -1], [1, 1])).outputs[0].max
    prop = parse_vnnlib(HDR + f"(assert (>= Y_0 {_q(hi + margin)}))")
    res = verify(net, prop, samples=0)
    assert res.verdict == "holds"
    return net, prop, res, property_certificate(net, prop, res), hi


def _rejected(cert: dict, rule: str) -> None:
    with pytest.raises(CertificateInvalid) as e:
        check_certificate(cert)
    assert e.value.rule == rule, e.value


def test_pruned_certificate_passes_and_prunes():
    net, prop, res, cert, _ = _pruned_cert()
    assert res.stats["pruned"] >= 1
    part = cert["partitions"][0]
    assert part["complete"] is False and part["prune"]
    open_ids = {nd["id"] for nd in part["nodes"] if nd.get("open")}
    assert open_ids == {pr["node"] for pr in part["prune"]}
    rep = check_certificate(cert)
    assert rep.valid and rep.open_nodes == len(open_ids)


def test_each_corruption_is_rejected_with_its_rule():
    _, _, _, cert, hi = _pruned_cert()
    ev = cert["partitions"][0]["prune"][0]
    relaxed = [i for i, r in enumerate(ev["relu"]) if r[2] not in ("0", "1")]  # a unit with an unstable relaxation
    assert relaxed
    muts = []
    bad = copy.deepcopy(cert)  # box lower bound above the cell's minimum
    bx = bad["partitions"][0]["prune"][0]["box"][0]
    bx[0] = bx[1]
    muts.append((bad, "prune-box"))
    bad = copy.deepcopy(cert)  # altered box multiplier
    y = bad["partitions"][0]["prune"][0]["box_farkas"][1][1]
    y[0][1] = str(F(y[0][1]) / 2)
    muts.append((bad, "prune-box"))
    bad = copy.deepcopy(cert)  # altered upper slope: s = 0 is no upper line of an unstable unit
    bad["partitions"][0]["prune"][0]["relu"][relaxed[0]][2] = "0"
    muts.append((bad, "prune-relax"))
    bad = copy.deepcopy(cert)  # altered intercept
    bad["partitions"][0]["prune"][0]["relu"][relaxed[0]][3] = "0"
    muts.append((bad, "prune-relax"))
    bad = copy.deepcopy(cert)  # lower slope outside [0, 1]
    bad["partitions"][0]["prune"][0]["relu"][relaxed[0]][1] = "2"
    muts.append((bad, "prune-relax"))
    bad = copy.deepcopy(cert)  # a unit left without a relaxation
    bad["partitions"][0]["prune"][0]["relu"].pop()
    muts.append((bad, "prune-relax"))
    bad = copy.deepcopy(cert)  # no lower bound for an unstable unit (its upper slope is not 0)
    r = bad["partitions"][0]["prune"][0]["relu"][relaxed[0]]
    bad["partitions"][0]["prune"][0]["relu"][relaxed[0]] = r[:4] + [None, r[5] if len(r) == 6 else -1]
    muts.append((bad, "prune-relax"))
    bad = copy.deepcopy(cert)  # the forward bounds are too loose for the lines chosen for backward bounds
    ev0 = bad["partitions"][0]["prune"][0]
    if ev0.get("bounds") == "backward" and any(len(r) == 6 for r in ev0["relu"]):
        bad["partitions"][0]["prune"][0]["relu"][relaxed[0]][2] = "1/1048576"
        muts.append((bad, "prune-relax"))
    bad = copy.deepcopy(cert)  # altered final multiplier
    fk = bad["partitions"][0]["prune"][0]["disjuncts"][0]["farkas"]
    fk[-1][1] = "0"
    muts.append((bad, "prune-farkas"))
    bad = copy.deepcopy(cert)  # missing disjunct proof
    bad["partitions"][0]["prune"][0]["disjuncts"] = []
    muts.append((bad, "prune-farkas"))
    bad = copy.deepcopy(cert)  # pruning claimed where the property is violable (threshold below the maximum)
    bad["property"]["disjuncts"][0]["constraints"][0]["b"] = str(-(hi - F(1, 8)))
    muts.append((bad, "prune-farkas"))
    bad = copy.deepcopy(cert)  # an open node without a pruning proof
    del bad["partitions"][0]["prune"]
    muts.append((bad, "property-complete"))
    for bad, rule in muts:
        _rejected(bad, rule)


@pytest.mark.parametrize("seed", range(6))
def test_verdicts_agree_with_the_unpruned_walk(seed):
    net = _net(seed)
    hi = output_bounds(net, box([-1, -1], [1, 1])).outputs[0].max
    for t, strict in ((hi + F(1, 2), False), (hi + F(1, 100), False), (hi, True), (hi, False), (hi - F(1, 4), False)):
        op = ">" if strict else ">="
        prop = parse_vnnlib(HDR + f"(assert ({op} Y_0 {_q(t)}))"
                            f"(assert (<= Y_1 {_q(F(1000))}))")
        a = verify(net, prop, samples=0, prune=True)
        b = verify(net, prop, samples=0, prune=False)
        assert a.verdict == b.verdict == ("holds" if t > hi or strict else "violated")
        assert check_certificate(property_certificate(net, prop, a)).valid
        if a.verdict == "violated":
            assert prop.is_counterexample(a.counterexample, evaluate(net, a.counterexample))


@pytest.mark.parametrize("backward", [True, False])
def test_residual_nets_and_both_bound_modes(backward):
    from exactrelu.model.random_nets import random_network
    from exactrelu.verify.prune import Pruner
    from exactrelu.regions.walk import iter_regions

    pruned = 0
    for seed in range(3):
        net = random_network([6, 6, 6], seed=seed, n_out=2, residual=True)
        hi = output_bounds(net, box([-1, -1], [1, 1])).outputs[0].max
        for t in (hi + F(1, 4), hi + F(1, 64), hi - F(1, 16)):
            prop = parse_vnnlib(HDR + f"(assert (>= Y_0 {_q(t)}))")
            region = prop.input_regions[0]
            pruner = Pruner(net, list(enumerate(prop.disjuncts)), region, backward=backward)
            nodes: list = []
            for _ in iter_regions(net, region, nodes=nodes, prune=pruner):
                pass
            pruned += pruner.stats["pruned"]
            if t < hi:
                continue
            # every cell is a region or pruned; pruned evidence passes the checker in a certificate
            res = verify(net, prop, samples=0)
            assert res.verdict == "holds"
            assert check_certificate(property_certificate(net, prop, res)).valid
        assert pruner.stats["failed_exact"] == 0
    assert pruned > 0


def test_disjunction_and_difference_constraints():
    net = _net(5)
    prop = parse_vnnlib(HDR + "(assert (or (and (>= Y_0 (+ Y_1 1000))) (and (<= Y_0 -1000))))")
    res = verify(net, prop, samples=0)
    assert res.verdict == "holds" and res.stats["pruned"] >= 1
    assert check_certificate(property_certificate(net, prop, res)).valid


def test_test_unsat_holds_with_pruning():
    base = shared_path("vnncomp2022", "test")
    net = load_model(base / "test_unsat.onnx")
    prop = load_vnnlib(base / "test_prop.vnnlib", 5, 5)
    res = verify(net, prop, time_limit=50)
    assert res.verdict == "holds" and res.stats["pruned"] > 0
    rep = check_certificate(property_certificate(net, prop, res))
    assert rep.valid and rep.open_nodes == res.stats["pruned"]


def _tree(nodes) -> list:
    """What identifies a splitting tree: per node its place, decisions, split unit and pruning."""
    return [(nd.parent, nd.side, nd.decisions, nd.split and nd.split["unit"], nd.pruned) for nd in nodes]


def test_unit_choice_is_replayed_by_walks_cut_at_every_node(monkeypatch):
    """The pruner picks which unstable unit to split (a BaBSR-style score); the choice is
    recorded in the cells' paths, so a parallel walk (every cell a task of its own, its
    state replayed from the root without the pruner's floats) builds the same tree."""
    from exactrelu.scale.executor import InlineExecutor
    from exactrelu.io.native_json import network_to_dict
    from exactrelu.scale.parallel import parallel_walk
    from exactrelu.regions.walk import iter_regions
    from exactrelu.verify.prune import Pruner
    from exactrelu.verify.property import walk_input_region
    import exactrelu.scale.worker

    monkeypatch.setattr(exactrelu.scale.worker, "STATE_CACHE_SIZE", 0)  # every task replays its path from the root
    seen_choice = False
    for seed in (1, 2):
        net = mlp(2, random_layers([8, 8, 8], seed, n_in=2, n_out=2, denom=8))
        hi = output_bounds(net, box([-1, -1], [1, 1])).outputs[0].max
        prop = parse_vnnlib(HDR + f"(assert (>= Y_0 {_q(hi + F(1, 64))}))")
        region = prop.input_regions[0]
        serial = walk_input_region(net, net, prop, 0)
        assert serial.complete
        out = parallel_walk(net, region, InlineExecutor(), mode="objects", budget=0.0,
                            hooks="exactrelu.verify.property:verify_hooks",
                            params={"net": network_to_dict(net), "prop": prop, "idx": 0, "prune": True})
        assert out.complete and out.fragments == len(serial.partition.nodes)
        assert _tree(out.partition.nodes) == _tree(serial.partition.nodes)
        # the same walk splitting on the first unstable unit builds another tree
        first: list = []
        plain = Pruner(net, list(enumerate(prop.disjuncts)), region, unit_choice=False)
        for _ in iter_regions(net, region, nodes=first, prune=plain):
            pass
        seen_choice |= _tree(first) != _tree(serial.partition.nodes)
        res = verify(net, prop, samples=0)
        assert res.verdict == "holds" and check_certificate(property_certificate(net, prop, res)).valid
    assert seen_choice


@pytest.mark.parametrize("use_bases", [True, False])
def test_box_evidence_domain_or_tight(monkeypatch, use_bases):
    """With every relaxed unit bounded at a vertex basis, the evidence's box is the domain's
    own (one-row proofs, made once per pruner); units bounded over the box get the cell's
    tight bounding box. Certificates pass the checker either way."""
    import exactrelu.verify.prune as relaxation

    seen = []  # (some unit bounded over the box, the evidence's box)
    real_confirm = relaxation.Pruner._confirm

    class Forced(relaxation.Pruner):
        def __init__(self, *a, **kw):
            super().__init__(*a, use_bases=use_bases, **kw)

        def _confirm(self, *a):
            ev = real_confirm(self, *a)
            if ev is not None:  # relu entry [u, a, s, c] (both bounds over the box) or [.., lo, hi]
                seen.append((any(len(e) == 4 or -1 in e[4:] for e in ev["relu"]), ev["box"]))
            return ev

    monkeypatch.setattr(relaxation, "Pruner", Forced)
    net = _net(3)
    hi = output_bounds(net, box([-1, -1], [1, 1])).outputs[0].max
    prop = parse_vnnlib(HDR + f"(assert (>= Y_0 {_q(hi + F(1, 64))}))")
    res = verify(net, prop, samples=0)
    assert res.verdict == "holds" and seen
    assert check_certificate(property_certificate(net, prop, res)).valid
    domain = [["-1", "1"], ["-1", "1"]]
    assert all((b == domain) == (not uses) for uses, b in seen)
    assert any(not uses for uses, _ in seen) if use_bases else all(uses for uses, _ in seen)


def test_box_evidence_on_a_domain_without_coordinate_rows():
    """A diamond domain has no row bounding one input alone: pruned cells get their own
    tight boxes (proved by the checker's prune-box function before they are returned)."""
    from exactrelu.domain.polytope import polytope
    from exactrelu.regions.walk import iter_regions
    from exactrelu.verify.prune import Pruner

    diamond = polytope([[1, 1], [1, -1], [-1, 1], [-1, -1]], [1, 1, 1, 1])
    net = _net(3)
    hi = output_bounds(net, box([-1, -1], [1, 1])).outputs[0].max
    prop = parse_vnnlib(HDR + f"(assert (>= Y_0 {_q(hi + F(1, 64))}))")
    pruner = Pruner(net, list(enumerate(prop.disjuncts)), diamond)
    boxes = []
    real = pruner._confirm
    pruner._confirm = lambda *a: (lambda ev: boxes.append(ev["box"]) or ev if ev else ev)(real(*a))
    nodes: list = []
    assert list(iter_regions(net, diamond, nodes=nodes, prune=pruner)) == []  # every cell pruned
    assert boxes and pruner._dombox is False
    eps = F(1, 2 ** 32)  # the tight boxes are rounded outward to this grid
    assert all(all(-1 - eps <= F(lo) < F(hi_) <= 1 + eps for lo, hi_ in b) for b in boxes)


def test_the_product_loads_no_checker_module():
    """The pruner confirms its evidence with its own exact code: verifying a property (with
    pruning) loads nothing from exactrelu.checker, which stays an independent re-check."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from exactrelu.model.network import mlp\n"
            "from exactrelu.domain.vnnlib import parse_vnnlib\n"
            "from exactrelu.verify.property import verify, property_certificate\n"
            "net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])\n"
            "prop = parse_vnnlib('(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) '\n"
            "                    '(assert (<= X_0 1)) (assert (>= Y_0 3))')\n"
            "res = verify(net, prop, samples=0)\n"
            "assert res.verdict == 'holds' and res.stats['pruned'] == 1, res\n"
            "property_certificate(net, prop, res)\n"
            "print(sorted(m for m in sys.modules if m.startswith('exactrelu.checker')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
