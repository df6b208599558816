"""Regenerate the corpus entries of the output claims (equivalence, bounds, property,
counterexample): ``python proofs/corpus/make_outputs_corpus.py``.

Valid certificates come from exactrelu on small nets; each invalid one is a single
mutation that must be rejected with exactly the rule of its folder (checked as written).
Run after ``make_corpus.py`` (which clears the corpus folders).
"""

from __future__ import annotations

import copy
import json
import sys
from fractions import Fraction as F
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from exactrelu.verify.bounds import bounds_certificate, output_bounds  # noqa: E402
from exactrelu.certificate.partition import partition_certificate  # noqa: E402
from exactrelu.checker import check_certificate  # noqa: E402
from make_corpus import expect  # noqa: E402  (the corpus scripts share one acceptance test)
from exactrelu.domain.polytope import box  # noqa: E402
from exactrelu.verify.equivalence import difference_network, equivalence_certificate  # noqa: E402
from exactrelu.model.evaluation import evaluate  # noqa: E402
from exactrelu.io.native_json import network_to_dict  # noqa: E402
from exactrelu.model.network import mlp  # noqa: E402
from exactrelu.model.random_nets import random_network  # noqa: E402
from exactrelu.regions.walk import enumerate_regions  # noqa: E402
from exactrelu.verify.property import property_certificate, verify  # noqa: E402
from exactrelu.domain.vnnlib import parse_vnnlib  # noqa: E402


def write(folder: str, name: str, cert: dict, rule: str | None = None) -> None:
    """Write ``cert`` and check it: valid (rule None) or rejected with exactly ``rule``."""
    d = HERE / folder
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{name}.json"
    path.write_text(json.dumps(cert, separators=(",", ":")))
    expect(path, rule)


def main() -> None:
    D = box([-1, -1], [1, 1])
    # --- bounds
    net = random_network([4, 4], seed=31)
    cert = bounds_certificate(output_bounds(net, D))
    write("valid", "bounds_4x4", cert)
    bad = copy.deepcopy(cert)
    m = F(bad["bounds"][0]["max"])
    bad["bounds"][0]["max"] = str(m + F(1, 7))
    write("invalid/bounds-witness", "max_not_attained", bad, "bounds-witness")
    bad = copy.deepcopy(cert)
    bad["bounds"][0]["argmax"] = ["2", "0"]
    write("invalid/bounds-witness", "argmax_outside_domain", bad, "bounds-witness")
    bad = copy.deepcopy(cert)
    pr = next(p for p in bad["proofs"] if len(p["max"]) >= 1)
    pr["max"][0][1] = str(F(pr["max"][0][1]) * 2)
    write("invalid/bounds-farkas", "altered_multiplier", bad, "bounds-farkas")
    bad = copy.deepcopy(cert)
    bad["proofs"].pop()
    write("invalid/bounds-farkas", "missing_proof", bad, "bounds-farkas")
    # --- equivalence
    a = random_network([5, 5], seed=32)
    L1, L2, L3 = a.layers
    W1 = [list(r) for r in L1.inputs[0][1]] + [list(L1.inputs[0][1][0])]
    b1 = list(L1.bias) + [L1.bias[0]]
    W2 = [list(r) + [r[0] / 2] for r in L2.inputs[0][1]]
    for r in W2:
        r[0] = r[0] / 2
    b = mlp(2, [(W1, b1), (W2, list(L2.bias)), ([list(r) for r in L3.inputs[0][1]], list(L3.bias))])
    cert = equivalence_certificate(a, b, D)
    write("valid", "equivalence_duplicated_unit", cert)
    bad = copy.deepcopy(cert)
    bad["network_b"]["layers"][0]["bias"][0] = "1/3"
    write("invalid/equivalence-network", "other_network_b", bad, "equivalence-network")
    c = random_network([5, 5], seed=33)
    part = enumerate_regions(difference_network(a, c), D)
    bad = partition_certificate(part, adjacency=False)
    bad.update(claim="equivalence", network_a=network_to_dict(a), network_b=network_to_dict(c))
    write("invalid/equivalence-leaf", "networks_differ", bad, "equivalence-leaf")
    part = enumerate_regions(difference_network(a, b), D, max_regions=3)
    bad = partition_certificate(part, adjacency=False)
    bad.update(claim="equivalence", network_a=network_to_dict(a), network_b=network_to_dict(b))
    write("invalid/equivalence-complete", "partial_tree", bad, "equivalence-complete")
    # --- property
    hdr = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)"
           "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1))")
    net = random_network([4, 4], seed=34)
    hi = output_bounds(net, D).outputs[0].max
    prop = parse_vnnlib(hdr + f"(assert (> Y_0 (/ {hi.numerator} {hi.denominator})))")
    res = verify(net, prop, samples=0, prune=False)  # every region walked: per-leaf proofs only
    cert = property_certificate(net, prop, res)
    write("valid", "property_strict_above_max", cert)
    bad = copy.deepcopy(cert)
    bad["property"]["disjuncts"][0]["constraints"][0]["strict"] = False
    write("invalid/property-farkas", "strictness_dropped", bad, "property-farkas")
    bad = copy.deepcopy(cert)
    bad["partitions"][0]["proofs"][0]["farkas"] = bad["partitions"][0]["proofs"][0]["farkas"][:-1]
    write("invalid/property-farkas", "atom_multiplier_dropped", bad, "property-farkas")
    bad = copy.deepcopy(cert)
    bad["partitions"][0]["complete"] = False
    bad["partitions"][0]["nodes"][-1]["open"] = True  # an unexplored cell (a leaf marked open), not pruned
    write("invalid/property-complete", "incomplete", bad, "property-complete")
    bad = copy.deepcopy(cert)
    bad["partitions"] = []
    write("invalid/property-coverage", "no_partition", bad, "property-coverage")
    pruned_property(hdr, D)
    prop2 = parse_vnnlib(hdr + f"(assert (>= Y_0 (/ {hi.numerator} {hi.denominator})))")
    res2 = verify(net, prop2, samples=0)
    cert = property_certificate(net, prop2, res2)
    write("valid", "counterexample_at_max", cert)
    bad = copy.deepcopy(cert)
    bad["point"] = ["0", "0"] if cert["point"] != ["0", "0"] else ["1/2", "1/2"]
    write("invalid/counterexample-point", "not_a_counterexample", bad, "counterexample-point")
    point_property(net)
    print("output-claim corpus written")


def point_property(net) -> None:
    """A property that fixes every input (one point, rule ``property-point``): ``holds``
    with no partition, and single mutations that put the point in the unsafe set."""
    x = (F(1, 4), F(-1, 2))
    y = evaluate(net, x)[0]
    text = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)"
            f"(assert (= X_0 0.25)) (assert (= X_1 -0.5)) (assert (> Y_0 (/ {y.numerator} {y.denominator})))")
    prop = parse_vnnlib(text)
    cert = property_certificate(net, prop, verify(net, prop))
    write("valid", "property_point", cert)
    bad = copy.deepcopy(cert)
    bad["property"]["disjuncts"][0]["constraints"][0]["strict"] = False  # y >= f(x): met at the point
    write("invalid/property-point", "strictness_dropped", bad, "property-point")
    bad = copy.deepcopy(cert)
    bad["property"]["fixed_inputs"]["1"] = "-1/4"  # another point, where y > f(1/4, -1/2) is met
    if evaluate(net, (F(1, 4), F(-1, 4)))[0] <= y:
        bad["property"]["disjuncts"][0]["constraints"][0]["b"] = str(y + 1)
        bad["property"]["disjuncts"][0]["constraints"][0]["c"] = ["1"]  # y < f(x) + 1 instead
    write("invalid/property-point", "other_point", bad, "property-point")


def pruned_property(hdr: str, D) -> None:
    """A ``property`` certificate with pruned cells (proofs/rules/prune.md) and single
    mutations of its pruning evidence."""
    net = random_network([8, 8], seed=35)
    hi = output_bounds(net, D).outputs[0].max
    t = hi + F(1, 32)  # close enough to the maximum that some cells are split to leaves, not all pruned
    prop = parse_vnnlib(hdr + f"(assert (>= Y_0 (/ {t.numerator} {t.denominator})))")
    res = verify(net, prop, samples=0)
    cert = property_certificate(net, prop, res)
    if not cert["partitions"][0].get("prune") or check_certificate(cert).leaves == 0:
        raise SystemExit("expected pruned cells and leaves")
    write("valid", "property_pruned", cert)

    def mutate(folder: str, name: str, change) -> None:
        bad = copy.deepcopy(cert)
        change(bad["partitions"][0]["prune"][0], bad)
        write(f"invalid/{folder}", name, bad, folder)

    def raise_lo(ev, _):
        ev["box"][0][0] = ev["box"][0][1]

    def halve_box_multiplier(ev, _):
        y = ev["box_farkas"][1][1]
        y[0][1] = str(F(y[0][1]) / 2)

    relaxed = next(i for i, r in enumerate(cert["partitions"][0]["prune"][0]["relu"]) if r[2] not in ("0", "1"))

    def set_param(pos, value):
        def change(ev, _):
            ev["relu"][relaxed][pos] = value
        return change

    def drop_unit(ev, _):
        ev["relu"].pop()

    def omit_lower_bound(ev, _):  # no lower bound for an unstable unit: its slope s > 0 needs one
        r = ev["relu"][relaxed]
        ev["relu"][relaxed] = r[:4] + [None, r[5] if len(r) == 6 else -1]

    def other_basis(ev, _):  # a bound read at another basis (wrong vertex: a negative dual, or singular)
        r = next(r for r in ev["relu"] if len(r) == 6 and isinstance(r[4], int) and r[4] >= 0)
        b = ev["bases"][r[4]]
        b[0] = next(i for i in range(len(b) + 8) if i not in b)

    def zero_final(ev, _):
        ev["disjuncts"][0]["farkas"][-1][1] = "0"

    def violable(_, bad):  # the threshold below the maximum: pruning claimed where a counterexample exists
        bad["property"]["disjuncts"][0]["constraints"][0]["b"] = str(-(hi - F(1, 8)))

    def unpruned(_, bad):
        del bad["partitions"][0]["prune"]

    mutate("prune-box", "lower_bound_raised", raise_lo)
    mutate("prune-box", "altered_multiplier", halve_box_multiplier)
    mutate("prune-relax", "altered_slope", set_param(2, "0"))
    mutate("prune-relax", "altered_intercept", set_param(3, "0"))
    mutate("prune-relax", "lower_slope_above_one", set_param(1, "2"))
    mutate("prune-relax", "unit_missing", drop_unit)
    mutate("prune-relax", "lower_bound_omitted", omit_lower_bound)
    mutate("prune-relax", "other_basis", other_basis)
    mutate("prune-farkas", "altered_multiplier", zero_final)
    # with leaves present their proofs would fail first: use a certificate where every cell is pruned
    t2 = hi + F(1, 2)
    prop2 = parse_vnnlib(hdr + f"(assert (>= Y_0 (/ {t2.numerator} {t2.denominator})))")
    cert = property_certificate(net, prop2, verify(net, prop2, samples=0))
    mutate("prune-farkas", "property_violable", violable)
    mutate("property-complete", "open_node_not_pruned", unpruned)


if __name__ == "__main__":
    main()
