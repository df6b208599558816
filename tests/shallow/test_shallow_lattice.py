"""The lattice form, its ``lattice`` certificate and the checker's lattice rules.

Oracles: the checker's own forward pass on the network JSON at random rational points
and at the exact vertices of every region; the checker for certificates.
"""

from __future__ import annotations

import copy
import random
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu.checker import CertificateInvalid, CertificateMalformed, check_certificate
from exactrelu.checker.checker import evaluate as checker_evaluate
from exactrelu.checker.checker import parse_network
from exactrelu.domain.polytope import box, polytope
from exactrelu.io.native_json import network_to_dict
from exactrelu.model.network import mlp
from exactrelu.model.random_nets import random_network
from exactrelu.regions.walk import enumerate_regions
from exactrelu.shallow import LatticeForm, RepresentationMismatch, lattice_certificate, lattice_form
from exactrelu.model.evaluation import evaluate

SQUARE = box([-1, -1], [1, 1])


def oracle(net, k=0):
    parsed = parse_network(network_to_dict(net))
    return lambda x: checker_evaluate(parsed, [F(v) for v in x])[k]


def points(k: int, seed: int, n: int = 2):
    rng = random.Random(seed)
    return [[F(rng.randint(-499, 499), 499) for _ in range(n)] for _ in range(k)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(0, 10_000), st.booleans(),
       st.sampled_from([True, "domain", False]))
def test_lattice_form_equals_network_and_certifies(widths, seed, residual, simplify):
    net = random_network(widths, seed=seed, residual=residual)
    lf = lattice_form(net, SQUARE, simplify=simplify)
    f = oracle(net)
    for x in points(8, seed) + [v for r in lf.partition.regions for v in r.vertices]:
        assert lf.evaluate(x) == f(x)
    sh = lf.to_shallow()
    assert sh.is_pure_max and sh.counts()["terms"] == lf.counts()["terms"]
    for x in points(4, seed + 1):
        assert sh.evaluate(x) == f(x)
    if sh.counts()["hidden_units"] <= 1500:  # the dense network format costs terms x units
        g = lf.to_network()
        for x in points(4, seed + 2):
            assert evaluate(g, x)[0] == f(x)
    rep = check_certificate(lattice_certificate(lf))
    assert rep.claim == "lattice" and rep.leaves == len(lf.partition.regions)


def test_simplification_only_shrinks():
    net = random_network([4, 4], seed=8)
    full = lattice_form(net, SQUARE).counts()
    dom = lattice_form(net, SQUARE, simplify="domain").counts()
    none = lattice_form(net, SQUARE, simplify=False).counts()
    assert full["terms"] <= dom["terms"] <= none["terms"]
    assert full["hidden_units"] <= dom["hidden_units"] <= none["hidden_units"]
    assert full["pieces"] == none["pieces"] <= full["regions"]


def test_convex_combination_evidence_and_non_box_domain():
    net = random_network([3, 3], seed=4)
    D = polytope([[1, 0], [0, 1], [-1, -1], [1, -2]], [1, 1, 1, 2])
    lf = lattice_form(net, D)
    assert check_certificate(lattice_certificate(lf, always_combination=True)).claim == "lattice"


def test_multi_output_network():
    net = random_network([3, 3], seed=6, n_out=2)
    for k in (0, 1):
        lf = lattice_form(net, SQUARE, output=k)
        f = oracle(net, k)
        for x in points(10, k):
            assert lf.evaluate(x) == f(x)
        cert = lattice_certificate(lf)
        assert cert["lattice"]["output"] == k
        check_certificate(cert)


def test_one_dimensional_tent():
    net = mlp(1, [([[2], [2]], [0, -1]), ([[1, -2]], [0])])  # a tent on [0, 1]
    lf = lattice_form(net, box([-1], [2]))
    for x in ("-1", "1/4", "1/2", "3/4", "2"):
        assert lf.evaluate([x]) == oracle(net)([x])
    check_certificate(lattice_certificate(lf))


# ---------------------------------------------------------------- a changed representation is rejected
def _changed(lf: LatticeForm, j: int = 0, c: int = -1, by=F(1, 64)) -> LatticeForm:
    pieces = list(lf.pieces)
    p = list(pieces[j])
    p[c] += by
    pieces[j] = tuple(p)
    return LatticeForm(lf.n_inputs, tuple(pieces), lf.terms, lf.partition, lf.output, lf.region_piece,
                       lf.region_sets, lf.cover)


@pytest.mark.parametrize("residual", [False, True])
def test_one_weight_changed_is_rejected_with_a_point(residual):
    net = random_network([4, 4], seed=21, residual=residual)
    lf = lattice_form(net, SQUARE)
    cert = lattice_certificate(lf)
    f = oracle(net)
    # (a) the certificate with one number changed: the checker names a lattice rule
    bad = copy.deepcopy(cert)
    used = {j for t in bad["lattice"]["terms"] for j in t}
    j = min(used)
    bad["lattice"]["pieces"][j][-1] = str(F(bad["lattice"]["pieces"][j][-1]) + F(1, 64))
    with pytest.raises(CertificateInvalid) as exc:
        check_certificate(bad)
    assert exc.value.rule in ("lattice-lower", "lattice-upper")
    # (b) the changed form: no certificate, and an exact point where it differs
    changed = _changed(lf, j)
    with pytest.raises(RepresentationMismatch) as err:
        lattice_certificate(changed)
    x = err.value.point
    assert x is not None and changed.evaluate(x) != f(x)
    # (c) the generic route finds a difference too
    from exactrelu.shallow import compare

    res = compare(changed, net, SQUARE)
    assert res.equivalent is False and changed.evaluate(res.counterexample) != f(res.counterexample)


# ---------------------------------------------------------------- checker rules, one by one
@pytest.fixture(scope="module")
def base_cert():
    net = random_network([3, 3], seed=2)
    return lattice_certificate(lattice_form(net, SQUARE))


def _rule(cert) -> str:
    with pytest.raises(CertificateInvalid) as exc:
        check_certificate(cert)
    return exc.value.rule


def test_rule_lattice_complete(base_cert):
    c = copy.deepcopy(base_cert)
    c["complete"] = False
    assert _rule(c) == "lattice-complete"


def test_rule_lattice_terms(base_cert):
    c = copy.deepcopy(base_cert)
    c["lattice"]["terms"].append([])
    assert _rule(c) == "lattice-terms"
    c = copy.deepcopy(base_cert)
    c["lattice"]["terms"][0].append(len(c["lattice"]["pieces"]))
    assert _rule(c) == "lattice-terms"
    c = copy.deepcopy(base_cert)
    c["lattice"]["output"] = 1
    assert _rule(c) == "lattice-terms"


def test_rule_lattice_leaves(base_cert):
    c = copy.deepcopy(base_cert)
    c["lattice"]["leaves"].pop()
    assert _rule(c) == "lattice-leaves"
    c = copy.deepcopy(base_cert)
    c["lattice"]["leaves"].append(dict(c["lattice"]["leaves"][0], leaf=0))
    assert _rule(c) == "lattice-leaves"
    c = copy.deepcopy(base_cert)
    c["lattice"]["leaves"].append(c["lattice"]["leaves"][0])
    assert _rule(c) == "lattice-leaves"


def test_rule_lattice_lower(base_cert):
    c = copy.deepcopy(base_cert)
    e = next(e for e in c["lattice"]["leaves"] if any(e["cover"]["farkas"]))
    y = next(y for y in e["cover"]["farkas"] if y)
    y[0][1] = str(F(y[0][1]) * 2)
    assert _rule(c) == "lattice-lower"
    c = copy.deepcopy(base_cert)
    c["lattice"]["leaves"][0]["cover"]["term"] = 99
    assert _rule(c) == "lattice-lower"


def test_rule_lattice_upper(base_cert):
    c = copy.deepcopy(base_cert)
    e = c["lattice"]["leaves"][0]
    e["upper"][0][0] = [[e["upper"][0][0][0][0], "1/2"]]  # weights no longer sum to 1
    assert _rule(c) == "lattice-upper"
    c = copy.deepcopy(base_cert)
    e = next(e for e in c["lattice"]["leaves"] if any(item[1] for item in e["upper"]))
    item = next(item for item in e["upper"] if item[1])
    item[1][0][1] = "0"
    assert _rule(c) == "lattice-upper"
    c = copy.deepcopy(base_cert)
    c["lattice"]["leaves"][0]["upper"].pop()
    assert _rule(c) == "lattice-upper"


def test_malformed_lattice_certificates(base_cert):
    for mutate in (lambda c: c.pop("lattice"), lambda c: c["lattice"].update(pieces=[[0.5, "1", "2"]]),
                   lambda c: c.update(adjacency=[{"a": 1}]), lambda c: c["lattice"].update(output="0")):
        c = copy.deepcopy(base_cert)
        mutate(c)
        with pytest.raises(CertificateMalformed):
            check_certificate(c)


def test_partition_rules_still_apply(base_cert):
    c = copy.deepcopy(base_cert)
    c["regions"][0]["C"][0][0] = str(F(c["regions"][0]["C"][0][0]) + 1)
    assert _rule(c) == "region-map"


def test_incomplete_partition_is_refused():
    from exactrelu.errors import LimitReached

    net = random_network([4, 4], seed=1)
    part = enumerate_regions(net, SQUARE, max_regions=3)
    with pytest.raises(LimitReached):
        lattice_form(net, SQUARE, partition=part)


def test_textbook_lattice_form_can_fail_and_is_refined():
    """A real network where max_i min_{S_i} l_j over its linear regions exceeds f at an
    interior point (proofs/shallow.md §2.2): the default construction refines that region."""
    net = random_network([2, 5, 2, 3], seed=144)
    f = oracle(net)
    y = [F(21105200, 29965677), F(7490437, 19977118)]
    naive = lattice_form(net, SQUARE, simplify=False, refine="never")
    assert naive.evaluate(y) > f(y)
    with pytest.raises(RepresentationMismatch) as err:
        lattice_certificate(naive)
    assert err.value.point is not None and naive.evaluate(err.value.point) != f(err.value.point)
    for simplify in (True, "domain", False):
        lf = lattice_form(net, SQUARE, simplify=simplify)
        assert lf.counts()["refined_regions"] >= 1
        assert lf.evaluate(y) == f(y)
        check_certificate(lattice_certificate(lf))


def test_forced_refinement_certifies():
    net = random_network([3, 3, 3], seed=1, residual=True)
    lf = lattice_form(net, SQUARE, refine="always")
    assert lf.counts()["refined_cells"] > lf.counts()["refined_regions"] > 0
    f = oracle(net)
    for x in points(20, 3):
        assert lf.evaluate(x) == f(x)
    cert = lattice_certificate(lf)
    check_certificate(cert)
    split = next(e["cover"] for e in cert["lattice"]["leaves"] if "split" in e["cover"])
    bad = copy.deepcopy(cert)
    node = next(e["cover"] for e in bad["lattice"]["leaves"] if "split" in e["cover"])
    node["split"] = [str(F(v) * -1) for v in node["split"]]  # the sub-cells swap: their evidence fails
    assert split is not None and _rule(bad) == "lattice-lower"
