"""Hostile certificates (issue 19: no field rides along unverified): ``exactrelu check F``
must reject a wrong region map, pattern, region or adjacency entry in every claim with
the rule's name (exit 1), and refuse unknown fields, wrong summaries, over-long numbers
and decompression bombs as unusable (exit 2, one line). ``tests/checker/test_checker_fields.py``
runs the same cases through ``python -m exactrelu.checker``.

The certificates are single mutations of the valid corpus (``proofs/corpus/valid``).
"""

from __future__ import annotations

import copy
import gzip
import json
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from exactrelu.checker import check_certificate

from hostile.case import Case

VALID = Path(__file__).resolve().parents[2] / "proofs" / "corpus" / "valid"


def _load(name: str) -> dict:
    return json.loads((VALID / name).read_text())


def _bump(s: str) -> str:
    return str(Fraction(s) + Fraction(1, 3))


def cert(base: str, change: Callable[[dict], Any]) -> Callable[[Path], bytes]:
    """A file: the valid corpus certificate ``base`` with ``change`` applied."""
    def make(_tmp: Path) -> bytes:
        c = copy.deepcopy(_load(base))
        change(c)
        return json.dumps(c).encode()
    return make


def stream(change: Callable[[list], Any]) -> Callable[[Path], bytes]:
    """A file: the valid stream certificate with ``change`` applied to its line objects."""
    def make(_tmp: Path) -> bytes:
        objs = [json.loads(line) for line in (VALID / "stream-2d.jsonl").read_text().splitlines()]
        change(objs)
        return "".join(json.dumps(o) + "\n" for o in objs).encode()
    return make


def _issue_19(c: dict) -> None:
    """The mutation of the issue: a region's map and another region's pattern replaced by
    arbitrary values, an extra adjacency entry appended."""
    c["regions"][0].update(C=[["7", "7"]], d=["9"])
    c["regions"][1]["pattern"] = "0" * len(c["regions"][1]["pattern"])
    c["adjacency"].append({"a": c["regions"][1]["node"], "b": c["regions"][2]["node"], "hyperplane": ["1", "0", "0"],
                           "witness": ["0", "0"], "units": [0]})


def _made_up_adjacency(tree: dict) -> None:
    n = len(tree["root_witness"])
    tree["adjacency"] = tree.get("adjacency", []) + [
        {"a": tree["regions"][0]["node"], "b": tree["regions"][1]["node"], "hyperplane": ["1"] + ["0"] * n,
         "witness": ["0"] * n, "units": [0]}]


def _internal(tree: dict) -> int:
    return next(nd["id"] for nd in tree["nodes"] if nd["split"] is not None)


def _bomb(_tmp: Path) -> bytes:
    """64 MiB of JSON whitespace after an opening brace, gzip-compressed to about 64 KB."""
    return gzip.compress(b"{" + b" " * (64 << 20), compresslevel=9, mtime=0)


def _check(name: str, **kw: Any) -> Callable[[dict], Any]:
    return lambda p: check_certificate(p[name], **kw)


def _invalid(name: str, files: dict, rule: str, fname: str = "c.json") -> Case:
    return Case(f"certificates/{name}", files, ("check", "{" + fname + "}"), 1, rf"^invalid: {rule}",
                "CertificateInvalid", api=_check(fname), tags=("checker",))


def _malformed(name: str, files: dict, message: str, fname: str = "c.json", **kw: Any) -> Case:
    return Case(f"certificates/{name}", files, ("check", "{" + fname + "}"), 2,
                rf"^error: unusable certificate: .*{message}", "CertificateMalformed", api=_check(fname, **kw),
                tags=("checker",))


B = "bounds_4x4.json"
CASES = [
    # ---- the issue, and the same mutations in every claim with a tree (exit 1, the rule)
    _invalid("bounds-issue-19-mutation", {"c.json": cert(B, _issue_19)}, "region-(map|pattern)"),
    _invalid("bounds-wrong-region-map", {"c.json": cert(B, lambda c: c["regions"][0]["d"].__setitem__(
        0, _bump(c["regions"][0]["d"][0])))}, "region-map"),
    _invalid("bounds-wrong-region-pattern", {"c.json": cert(B, lambda c: c["regions"][3].__setitem__(
        "pattern", "1" * len(c["regions"][3]["pattern"])))}, "region-pattern"),
    _invalid("bounds-made-up-adjacency", {"c.json": cert(B, _made_up_adjacency)}, "adjacency"),
    _invalid("bounds-duplicated-adjacency", {"c.json": cert("fields-bounds-with-adjacency.json", lambda c: c[
        "adjacency"].append(c["adjacency"][0]))}, "adjacency"),
    _invalid("bounds-region-of-internal-node", {"c.json": cert(B, lambda c: c["regions"].append(
        dict(c["regions"][0], node=_internal(c))))}, "region-list"),
    _invalid("bounds-proof-given-twice", {"c.json": cert(B, lambda c: c["proofs"].append(c["proofs"][0]))},
             "bounds-farkas"),
    _invalid("equivalence-wrong-region-map", {"c.json": cert("equivalence_duplicated_unit.json", lambda c: c[
        "regions"][2]["C"][0].__setitem__(1, _bump(c["regions"][2]["C"][0][1])))}, "region-map"),
    _invalid("equivalence-made-up-adjacency", {"c.json": cert("equivalence_duplicated_unit.json", _made_up_adjacency)},
             "adjacency"),
    _invalid("lattice-wrong-region-pattern", {"c.json": cert("lattice-random-mlp-2x3x3.json", lambda c: c["regions"][
        0].__setitem__("pattern", ("1" if c["regions"][0]["pattern"][0] == "0" else "0")
                       + c["regions"][0]["pattern"][1:]))}, "region-pattern"),
    _invalid("lattice-unused-piece", {"c.json": cert("lattice-random-mlp-2x3x3.json", lambda c: c["lattice"][
        "pieces"].append(["0", "0", "0"]))}, "lattice-terms"),
    _invalid("property-wrong-region-map", {"c.json": cert("property_strict_above_max.json", lambda c: c["partitions"][
        0]["regions"][1]["d"].__setitem__(0, "12345"))}, "region-map"),
    _invalid("property-region-of-internal-node", {"c.json": cert("property_pruned.json", lambda c: c["partitions"][0][
        "regions"].append(dict(c["partitions"][0]["regions"][0], node=_internal(c["partitions"][0]))))},
             "region-list"),
    _invalid("property-made-up-adjacency", {"c.json": cert("property_strict_above_max.json", lambda c:
                                                           _made_up_adjacency(c["partitions"][0]))}, "adjacency"),
    _invalid("property-proof-given-twice", {"c.json": cert("property_strict_above_max.json", lambda c: c["partitions"][
        0]["proofs"].append(c["partitions"][0]["proofs"][-1]))}, "property-farkas"),
    _invalid("property-prune-entry-of-a-leaf", {"c.json": cert("property_pruned.json", lambda c: c["partitions"][0][
        "prune"].append(dict(c["partitions"][0]["prune"][0], node=c["partitions"][0]["regions"][0]["node"])))},
             "property-complete"),
    _invalid("partition-incomplete-without-open-node", {"c.json": cert("net-2d.json", lambda c: c.__setitem__(
        "complete", False))}, "tree-structure"),
    # ---- unknown or unverifiable fields (exit 2, one line naming the field)
    _malformed("unknown-top-level-field", {"c.json": cert(B, lambda c: c.__setitem__("comment", "trust me"))},
               "unknown field 'comment' at certificate"),
    _malformed("unknown-node-field", {"c.json": cert(B, lambda c: c["nodes"][3].__setitem__("note", 1))},
               "unknown field 'note' at node 3"),
    _malformed("unknown-network-layer-field", {"c.json": cert(B, lambda c: c["network"]["layers"][1].__setitem__(
        "scale", "2"))}, "unknown field 'scale' at network layer 2"),
    _malformed("unknown-bound-field", {"c.json": cert(B, lambda c: c["bounds"][0].__setitem__("sup", "1"))},
               r"unknown field 'sup' at bounds\[0\]"),
    _malformed("lattice-with-adjacency", {"c.json": cert("lattice-tent-1d.json", lambda c: c.__setitem__(
        "adjacency", []))}, "unknown field 'adjacency' at certificate"),
    _malformed("property-n-inputs-wrong", {"c.json": cert("property_pruned.json", lambda c: c["property"].__setitem__(
        "n_inputs", 7))}, "'n_inputs' is 7"),
    _malformed("counterexample-short-region-row", {"c.json": cert("counterexample_at_max.json", lambda c: c[
        "property"]["inputs"][0]["A"].__setitem__(0, []))}, "property input region 0 row 0"),
    _malformed("stream-header-with-adjacency", {"c.jsonl": stream(lambda o: o[0].__setitem__("adjacency", []))},
               "unknown field 'adjacency' at stream header", fname="c.jsonl"),
    _malformed("stream-node-line-with-id", {"c.jsonl": stream(lambda o: o[2].__setitem__("id", 2))},
               "unknown field 'id' at node 1", fname="c.jsonl"),
    _malformed("stream-end-line-field", {"c.jsonl": stream(lambda o: o[-1].__setitem__("regions", 1))},
               "unknown field 'regions' at end line", fname="c.jsonl"),
    # ---- limits (exit 2, fast)
    _malformed("number-over-a-million-characters", {"c.json.gz": lambda _t: gzip.compress(json.dumps(dict(
        _load("net-2d.json"), root_witness=["0", "1/1" + "0" * 1_000_000])).encode(), mtime=0)},
               "a number of 1000003 characters", fname="c.json.gz"),
    _malformed("absurd-declared-input-count", {"c.json": cert("net-2d.json", lambda c: c["network"].__setitem__(
        "inputs", 10 ** 18))}, "need 1000000000000000000 entries"),
    _invalid("stream-end-line-absurd-node-count", {"c.jsonl": stream(lambda o: o[-1].__setitem__("nodes", 10 ** 18))},
             "tree-structure: the end line counts", fname="c.jsonl"),
    # the command line reads the 64 MiB (under its 4 GiB limit) and finds no JSON; with a 1 MiB
    # limit the library stops reading at 1 MiB
    _malformed("gzip-bomb", {"c.json.gz": _bomb}, "malformed JSON", fname="c.json.gz", max_bytes=1 << 20),
    # ---- a certificate with adjacency evidence in a bounds claim is accepted (and verified)
    Case("certificates/bounds-with-adjacency-is-valid", {"c.json": cert("fields-bounds-with-adjacency.json", lambda c:
                                                                        None)},
         ("check", "{c.json}"), 0, r"^valid: complete bounds: 19 regions.* [1-9][0-9]* adjacency pairs",
         tags=("checker",)),
]
