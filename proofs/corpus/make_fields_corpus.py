"""Regenerate the corpus entries of "every field is verified or refused" (issue 19):
``python proofs/corpus/make_fields_corpus.py`` (``make_corpus.py`` runs it last).

Single mutations of the valid certificates of every claim, named
``fields--<claim>--<what>``:

* ``invalid/region-map``, ``region-pattern``, ``region-list``, ``adjacency``: a wrong
  region map, a wrong pattern, an extra or duplicated region entry, an extra or duplicated
  adjacency entry -- in ``bounds``, ``equivalence``, ``lattice`` and ``property``
  certificates as in ``partition`` ones (the issue: these fields rode along unverified);
* ``invalid/<claim rule>``: evidence given twice or for nothing (a second or an unused
  proof, a prune entry for a leaf, a piece no term uses, ``complete`` contradicting the
  open nodes);
* ``malformed``: an unknown field at every level of every claim, and the shapes and
  summaries that are format errors (``n_inputs``, fixed-input keys, region rows, a number
  over 1,000,000 characters).

Valid additions: a stream certificate (``stream-2d.jsonl``) and ``bounds`` /
``equivalence`` certificates that carry adjacency evidence (verified like a partition's).
Run after ``make_corpus.py``, ``make_outputs_corpus.py`` and ``make_lattice_corpus.py``
(it mutates their valid certificates).
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
from fractions import Fraction as F
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from exactrelu.verify.bounds import bounds_certificate, output_bounds  # noqa: E402
from exactrelu.certificate.partition import partition_certificate  # noqa: E402
from exactrelu.domain.polytope import box  # noqa: E402
from exactrelu.verify.equivalence import equivalence_certificate, equivalent  # noqa: E402
from exactrelu.io.native_json import network_from_dict  # noqa: E402
from exactrelu.model.random_nets import random_network  # noqa: E402
from exactrelu.regions.walk import enumerate_regions  # noqa: E402
from exactrelu.certificate.stream import partition_stream_lines  # noqa: E402
from make_corpus import expect, net2d  # noqa: E402

COUNT = {"valid": 0, "invalid": 0, "malformed": 0}


def load(name: str) -> dict:
    return json.loads((HERE / "valid" / f"{name}.json").read_text())


def write(folder: str, name: str, obj, rule: str | None, text: str | None = None, gz: bool = False) -> None:
    """Write ``obj`` (or ``text``) as ``folder/name`` and check it: valid (``rule`` None),
    ``"malformed"``, or rejected with exactly ``rule``."""
    d = HERE / folder
    d.mkdir(parents=True, exist_ok=True)
    data = text if text is not None else json.dumps(obj, separators=(",", ":"))
    path = d / (name + (".json.gz" if gz else "" if "." in name else ".json"))
    if gz:
        path.write_bytes(gzip.compress(data.encode(), mtime=0))
    else:
        path.write_text(data)
    expect(path, rule)
    COUNT["valid" if rule is None else "malformed" if rule == "malformed" else "invalid"] += 1


def bump(s: str) -> str:
    return str(F(s) + F(1, 3))


def mutate(base: dict, change) -> dict:
    c = copy.deepcopy(base)
    change(c)
    return c


def tree_of(cert: dict) -> dict:
    """The object holding the tree (the certificate, or a property's first partition)."""
    return cert["partitions"][0] if cert["claim"] == "property" else cert


def internal_node(tree: dict) -> int:
    return next(nd["id"] for nd in tree["nodes"] if nd["split"] is not None)


def region_mutations(claim: str, base: dict) -> None:
    """The issue's mutations, in a certificate of claim ``claim``."""
    def wrong_C(c):
        tree_of(c)["regions"][0]["C"][0][0] = bump(tree_of(c)["regions"][0]["C"][0][0])

    def wrong_d(c):
        tree_of(c)["regions"][-1]["d"][0] = bump(tree_of(c)["regions"][-1]["d"][0])

    def wrong_pattern(c):
        r = tree_of(c)["regions"][1]
        r["pattern"] = ("1" if r["pattern"][0] == "0" else "0") + r["pattern"][1:]

    def extra_region(c):
        t = tree_of(c)
        t["regions"].append(dict(t["regions"][0], node=internal_node(t)))

    def duplicated_region(c):
        t = tree_of(c)
        t["regions"].append(copy.deepcopy(t["regions"][0]))

    def extra_adjacency(c):  # a made-up pair: the witness is not on the boundary of both leaves
        t = tree_of(c)
        a, b = t["regions"][0]["node"], t["regions"][1]["node"]
        n = len(t["root_witness"])
        t["adjacency"] = t.get("adjacency", []) + [{"a": a, "b": b, "hyperplane": ["1"] + ["0"] * n,
                                                    "witness": ["0"] * n, "units": [0]}]

    write("invalid/region-map", f"fields--{claim}--wrong-C", mutate(base, wrong_C), "region-map")
    write("invalid/region-map", f"fields--{claim}--wrong-d", mutate(base, wrong_d), "region-map")
    write("invalid/region-pattern", f"fields--{claim}--wrong-pattern", mutate(base, wrong_pattern), "region-pattern")
    write("invalid/region-list", f"fields--{claim}--region-of-internal-node", mutate(base, extra_region),
          "region-list")
    write("invalid/region-list", f"fields--{claim}--duplicated-region", mutate(base, duplicated_region),
          "region-list")
    if claim == "lattice":  # no adjacency evidence in a lattice certificate: refused, not checked
        write("malformed", f"fields--{claim}--adjacency", mutate(base, extra_adjacency), "malformed")
    else:
        write("invalid/adjacency", f"fields--{claim}--made-up-adjacency", mutate(base, extra_adjacency), "adjacency")


def unknown_fields(claim: str, base: dict, spots: dict) -> None:
    """An unknown field added at each level ``spots[name](cert) -> object``."""
    for name, where in spots.items():
        c = copy.deepcopy(base)
        where(c)["comment"] = "trust me"
        write("malformed", f"fields--{claim}--unknown-field-in-{name}", c, "malformed")


def network_spots(get) -> dict:
    return {"network": get, "network-layer": lambda c: get(c)["layers"][0],
            "network-layer-input": lambda c: get(c)["layers"][0]["inputs"][0]}


def tree_spots(get) -> dict:
    def split(c):
        return next(nd["split"] for nd in get(c)["nodes"] if nd["split"] is not None)
    return {"domain-or-input-region": lambda c: get(c)["domain"] if "domain" in get(c) else None,
            "node": lambda c: get(c)["nodes"][-1], "split": split, "region": lambda c: get(c)["regions"][0]}


def with_adjacency(cert: dict, part) -> dict:
    """``cert`` with the adjacency evidence of its partition ``part`` (verified by the
    checker in any claim with a tree)."""
    c = copy.deepcopy(cert)
    c["adjacency"] = partition_certificate(part)["adjacency"]
    assert c["adjacency"], "the partition has adjacent leaves"
    return c


def main() -> None:
    D = box([-1, -1], [1, 1])
    # ------------------------------------------------------------------ partition
    part2d = load("net-2d")
    region_mutations("partition", part2d)
    write("invalid/adjacency", "fields--partition--duplicated-adjacency",
          mutate(part2d, lambda c: c["adjacency"].append(copy.deepcopy(c["adjacency"][0]))), "adjacency")
    write("invalid/adjacency", "fields--partition--adjacency-pair-reversed",
          mutate(part2d, lambda c: c["adjacency"].append(dict(c["adjacency"][0], a=c["adjacency"][0]["b"],
                                                              b=c["adjacency"][0]["a"]))), "adjacency")
    write("invalid/tree-structure", "fields--partition--incomplete-without-open-node",
          mutate(part2d, lambda c: c.__setitem__("complete", False)), "tree-structure")
    spots = {"certificate": lambda c: c, **network_spots(lambda c: c["network"]),
             **{k: v for k, v in tree_spots(lambda c: c).items()},
             "adjacency-entry": lambda c: c["adjacency"][0]}
    unknown_fields("partition", part2d, spots)
    ref = load("net-2d-network-ref")
    ref["network_ref"]["path"] = "../../networks/net-2d.json"  # (the malformed folder is one level deeper)
    c = copy.deepcopy(ref)
    c["network_ref"]["comment"] = "trust me"
    write("malformed", "fields--partition--unknown-field-in-network_ref", c, "malformed")
    write("malformed", "fields--partition--network-name-not-a-string",
          mutate(part2d, lambda c: c["network"].__setitem__("name", 7)), "malformed")
    write("malformed", "fields--partition--input-names-wrong-length",
          mutate(part2d, lambda c: c["network"].__setitem__("input_names", ["x"])), "malformed")
    big = "1" + "0" * 1_000_000  # 1,000,001 characters: over the limit (gzip keeps the file small)
    write("malformed", "fields--partition--number-over-a-million-characters",
          None, "malformed", text=json.dumps(mutate(part2d, lambda c: c["root_witness"].__setitem__(0, f"1/{big}"))),
          gz=True)
    # ------------------------------------------------------------------ stream
    part = enumerate_regions(network_from_dict(net2d()), D)
    lines = list(partition_stream_lines(part))
    write("valid", "stream-2d.jsonl", None, None, text="".join(lines))
    objs = [json.loads(s) for s in lines]
    leaf = next(i for i, o in enumerate(objs) if "region" in o)
    split = next(i for i, o in enumerate(objs) if o.get("split"))

    def stream_variant(name: str, change, rule: str) -> None:
        o = copy.deepcopy(objs)
        change(o)
        text = "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in o)
        folder = "malformed" if rule == "malformed" else f"invalid/{rule}"
        write(folder, f"fields--stream--{name}.jsonl", None, rule, text=text)

    stream_variant("unknown-field-in-header", lambda o: o[0].__setitem__("comment", "x"), "malformed")
    stream_variant("adjacency-in-header", lambda o: o[0].__setitem__("adjacency", []), "malformed")
    stream_variant("complete-in-header", lambda o: o[0].__setitem__("complete", True), "malformed")
    stream_variant("id-on-a-node-line", lambda o: o[1].__setitem__("id", 0), "malformed")
    stream_variant("unknown-field-in-split", lambda o: o[split]["split"].__setitem__("pos", 1), "malformed")
    stream_variant("unknown-field-in-region", lambda o: o[leaf]["region"].__setitem__("node", leaf - 1),
                   "malformed")
    stream_variant("unknown-field-in-end-line", lambda o: o[-1].__setitem__("regions", 11), "malformed")
    stream_variant("wrong-pattern", lambda o: o[leaf]["region"].__setitem__(
        "pattern", ("1" if o[leaf]["region"]["pattern"][0] == "0" else "0") + o[leaf]["region"]["pattern"][1:]),
        "region-pattern")
    stream_variant("wrong-map", lambda o: o[leaf]["region"]["d"].__setitem__(0, bump(o[leaf]["region"]["d"][0])),
                   "region-map")
    # ------------------------------------------------------------------ bounds
    net = random_network([4, 4], seed=31)  # (make_outputs_corpus.py's bounds_4x4)
    res = output_bounds(net, D)
    bnd = load("bounds_4x4")
    assert bnd == json.loads(json.dumps(bounds_certificate(res))), "bounds_4x4 is this run's certificate"
    region_mutations("bounds", bnd)
    bnd_adj = with_adjacency(bnd, res.partition)
    write("valid", "fields-bounds-with-adjacency", bnd_adj, None)
    write("invalid/adjacency", "fields--bounds--duplicated-adjacency",
          mutate(bnd_adj, lambda c: c["adjacency"].append(copy.deepcopy(c["adjacency"][-1]))), "adjacency")
    write("invalid/adjacency", "fields--bounds--adjacency-witness-moved",
          mutate(bnd_adj, lambda c: c["adjacency"][0]["witness"].__setitem__(0, bump(c["adjacency"][0]["witness"][0]))),
          "adjacency")
    # the issue's mutation in one file: a wrong map, another region's pattern, an extra adjacency entry
    issue = mutate(bnd, lambda c: (c["regions"][0].update(C=[["7", "7"]], d=["9"]),
                                   c["regions"][1].update(pattern="0" * len(c["regions"][1]["pattern"])),
                                   c["adjacency"].append({"a": c["regions"][1]["node"], "b": c["regions"][2]["node"],
                                                          "hyperplane": ["1", "0", "0"], "witness": ["0", "0"],
                                                          "units": [0]})))
    first = min((issue["regions"][0]["node"], "region-map"), (issue["regions"][1]["node"], "region-pattern"))[1]
    write(f"invalid/{first}", "fields--bounds--issue-19", issue, first)
    write("invalid/bounds-farkas", "fields--bounds--duplicated-proof",
          mutate(bnd, lambda c: c["proofs"].append(copy.deepcopy(c["proofs"][0]))), "bounds-farkas")
    write("invalid/bounds-farkas", "fields--bounds--proof-of-internal-node",
          mutate(bnd, lambda c: c["proofs"].append(dict(c["proofs"][0], node=internal_node(c)))), "bounds-farkas")
    write("invalid/bounds-farkas", "fields--bounds--proof-of-another-output",
          mutate(bnd, lambda c: c["proofs"].append(dict(c["proofs"][0], output=1))), "bounds-farkas")
    write("invalid/bounds-farkas", "fields--bounds--proofs-without-bounds",
          mutate(bnd, lambda c: c["bounds"].pop()), "bounds-farkas")
    write("malformed", "fields--bounds--duplicated-bound",
          mutate(bnd, lambda c: c["bounds"].append(copy.deepcopy(c["bounds"][0]))), "malformed")
    unknown_fields("bounds", bnd, {"certificate": lambda c: c, "bound": lambda c: c["bounds"][0],
                                   "proof": lambda c: c["proofs"][0], **network_spots(lambda c: c["network"]),
                                   **tree_spots(lambda c: c)})
    # ------------------------------------------------------------------ equivalence
    eqv = load("equivalence_duplicated_unit")
    region_mutations("equivalence", eqv)
    unknown_fields("equivalence", eqv, {"certificate": lambda c: c, **tree_spots(lambda c: c),
                                        **{f"{k}-of-network_a": v for k, v in
                                           network_spots(lambda c: c["network_a"]).items()},
                                        "network_b": lambda c: c["network_b"]})
    a = random_network([5, 5], seed=32)
    L1, L2, L3 = a.layers  # (make_outputs_corpus.py's equivalence_duplicated_unit)
    from exactrelu.model.network import mlp
    W1 = [list(r) for r in L1.inputs[0][1]] + [list(L1.inputs[0][1][0])]
    W2 = [list(r) + [r[0] / 2] for r in L2.inputs[0][1]]
    for r in W2:
        r[0] = r[0] / 2
    b = mlp(2, [(W1, list(L1.bias) + [L1.bias[0]]), (W2, list(L2.bias)),
                ([list(r) for r in L3.inputs[0][1]], list(L3.bias))])
    eres = equivalent(a, b, D)
    assert eqv == json.loads(json.dumps(equivalence_certificate(a, b, D, result=eres)))
    write("valid", "fields-equivalence-with-adjacency", with_adjacency(eqv, eres.partition), None)
    # ------------------------------------------------------------------ lattice
    lat = load("lattice-random-mlp-2x3x3")
    region_mutations("lattice", lat)
    write("invalid/lattice-terms", "fields--lattice--unused-piece",
          mutate(lat, lambda c: c["lattice"]["pieces"].append(["1", "2", "3"])), "lattice-terms")
    refined = load("lattice-refined-cover-2x2x5x2x3")
    split_leaf = next(i for i, e in enumerate(refined["lattice"]["leaves"]) if "split" in e["cover"])
    write("malformed", "fields--lattice--cover-with-split-and-term",
          mutate(refined, lambda c: c["lattice"]["leaves"][split_leaf]["cover"].update(term=0, farkas=[])), "malformed")
    unknown_fields("lattice", refined, {
        "certificate": lambda c: c, "lattice": lambda c: c["lattice"],
        "lattice-leaf": lambda c: c["lattice"]["leaves"][0],
        "cover-term": lambda c: next(e["cover"] for e in c["lattice"]["leaves"] if "term" in e["cover"]),
        "cover-split": lambda c: c["lattice"]["leaves"][split_leaf]["cover"],
        "cover-split-child": lambda c: c["lattice"]["leaves"][split_leaf]["cover"]["pos"],
        **tree_spots(lambda c: c)})
    # ------------------------------------------------------------------ property
    prop = load("property_strict_above_max")
    region_mutations("property", prop)
    pp = load("property_pruned")
    p0 = pp["partitions"][0]
    write("invalid/property-farkas", "fields--property--duplicated-proof",
          mutate(prop, lambda c: c["partitions"][0]["proofs"].append(copy.deepcopy(c["partitions"][0]["proofs"][0]))),
          "property-farkas")
    write("invalid/property-farkas", "fields--property--proof-of-internal-node",
          mutate(prop, lambda c: c["partitions"][0]["proofs"].append(
              dict(c["partitions"][0]["proofs"][0], node=internal_node(c["partitions"][0])))), "property-farkas")
    write("invalid/property-farkas", "fields--property--proof-of-a-pruned-node",
          mutate(pp, lambda c: c["partitions"][0]["proofs"].append(
              dict(c["partitions"][0]["proofs"][0], node=c["partitions"][0]["prune"][0]["node"]))), "property-farkas")
    write("invalid/property-complete", "fields--property--prune-entry-of-a-leaf",
          mutate(pp, lambda c: c["partitions"][0]["prune"].append(
              dict(c["partitions"][0]["prune"][0], node=c["partitions"][0]["regions"][0]["node"]))),
          "property-complete")
    write("invalid/property-complete", "fields--property--top-level-incomplete",
          mutate(prop, lambda c: c.__setitem__("complete", False)), "property-complete")
    write("invalid/tree-structure", "fields--property--partition-incomplete-without-open-node",
          mutate(prop, lambda c: c["partitions"][0].__setitem__("complete", False)), "tree-structure")
    write("invalid/prune-farkas", "fields--property--duplicated-prune-disjunct",
          mutate(pp, lambda c: c["partitions"][0]["prune"][0]["disjuncts"].append(
              copy.deepcopy(c["partitions"][0]["prune"][0]["disjuncts"][0]))), "prune-farkas")
    write("invalid/prune-farkas", "fields--property--prune-proof-of-no-disjunct",
          mutate(pp, lambda c: c["partitions"][0]["prune"][0]["disjuncts"].append(
              dict(c["partitions"][0]["prune"][0]["disjuncts"][0], disjunct=5))), "prune-farkas")
    with_bases = next(i for i, e in enumerate(p0["prune"]) if e.get("bases"))
    write("invalid/prune-relax", "fields--property--unused-singular-basis",
          mutate(pp, lambda c: c["partitions"][0]["prune"][with_bases]["bases"].append([0, 0])), "prune-relax")
    write("malformed", "fields--property--n-inputs-wrong",
          mutate(prop, lambda c: c["property"].__setitem__("n_inputs", 3)), "malformed")
    write("malformed", "fields--property--n-outputs-wrong",
          mutate(prop, lambda c: c["property"].__setitem__("n_outputs", 2)), "malformed")
    write("malformed", "fields--property--fixed-input-key-not-canonical",
          mutate(prop, lambda c: c["property"]["fixed_inputs"].__setitem__("01", "0")), "malformed")
    write("malformed", "fields--property--input-region-of-no-disjunct",
          mutate(prop, lambda c: c["property"]["inputs"].append(copy.deepcopy(c["property"]["inputs"][0]))),
          "malformed")
    write("malformed", "fields--property--adjacency-at-top-level",
          mutate(prop, lambda c: c.__setitem__("adjacency", [])), "malformed")
    write("malformed", "fields--property--network-ref",
          mutate(prop, lambda c: c.__setitem__("network_ref", {"path": "n.json", "sha256": "0" * 64})), "malformed")
    unknown_fields("property", pp, {
        "certificate": lambda c: c, "property": lambda c: c["property"],
        "input-region": lambda c: c["property"]["inputs"][0], "disjunct": lambda c: c["property"]["disjuncts"][0],
        "constraint": lambda c: c["property"]["disjuncts"][0]["constraints"][0],
        "partition": lambda c: c["partitions"][0], "proof": lambda c: c["partitions"][0]["proofs"][0],
        "prune-entry": lambda c: c["partitions"][0]["prune"][0],
        "prune-disjunct": lambda c: c["partitions"][0]["prune"][0]["disjuncts"][0],
        **{k: v for k, v in tree_spots(lambda c: c["partitions"][0]).items() if k != "domain-or-input-region"}})
    # ------------------------------------------------------------------ counterexample
    cex = load("counterexample_at_max")
    write("malformed", "fields--counterexample--input-region-row-too-short",
          mutate(cex, lambda c: c["property"]["inputs"][0]["A"].__setitem__(0, c["property"]["inputs"][0]["A"][0][:1])),
          "malformed")
    write("malformed", "fields--counterexample--incomplete",
          mutate(cex, lambda c: c.__setitem__("complete", False)), "malformed")
    write("malformed", "fields--counterexample--n-outputs-wrong",
          mutate(cex, lambda c: c["property"].__setitem__("n_outputs", 5)), "malformed")
    write("malformed", "fields--counterexample--partitions",
          mutate(cex, lambda c: c.__setitem__("partitions", [])), "malformed")
    unknown_fields("counterexample", cex, {"certificate": lambda c: c, "property": lambda c: c["property"],
                                           "constraint": lambda c: c["property"]["disjuncts"][0]["constraints"][0]})
    print(f"fields corpus: {COUNT['valid']} valid, {COUNT['invalid']} invalid, {COUNT['malformed']} malformed")


if __name__ == "__main__":
    main()
