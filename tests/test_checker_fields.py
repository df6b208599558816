"""Every field of a certificate is verified or refused (issue 19).

* **Completeness**: an instrument (a ``dict`` subclass installed as the checker's JSON
  object hook) records which keys the checker reads; for every valid certificate of the
  corpus and for certificates of every kind the product writes, every key of every object
  must have been read. A field nobody reads fails this test.
* **Schema**: a field outside its object's schema (at every level, in every claim) is
  refused as malformed, naming the field and where it is.
* **Mutations**: the issue's mutation (a bounds certificate with a wrong region map,
  another region's pattern replaced and an extra adjacency entry) and the same mutations
  in every claim are rejected with the region/adjacency rules; hypothesis draws random
  single-field mutations of valid certificates of every claim (numbers changed, booleans
  flipped, strings changed, list items dropped or duplicated, keys added), and a mutant
  the checker accepts must be a true claim by an independent re-verification
  (:func:`independent_truth`: the Fraction re-verifier of ``test_checker.py`` for the
  tree, the library's own exact bounds / equivalence / verification / evaluation for the
  claim).
* **Limits**: number strings over 1,000,000 characters and files over ``max_bytes``
  (a gzip bomb) are refused fast; numbers of tens of thousands of digits still work.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import exactrelu.checker.core as core
from exactrelu.checker import CertificateInvalid, CertificateMalformed, check_certificate, run
from exactrelu.checker.core import SCHEMA

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "proofs" / "corpus"
VALID = sorted(p for p in (CORPUS / "valid").iterdir() if p.name.endswith((".json", ".gz", ".jsonl")))


# ============================================================================ product certificates
def _named(net):
    """``net`` with a network name, input and output names and layer names (all written)."""
    import dataclasses

    layers = tuple(dataclasses.replace(lay, name=f"layer{k}") for k, lay in enumerate(net.layers, 1))
    return dataclasses.replace(net, layers=layers, name="named-net",
                               input_names=tuple(f"x{i}" for i in range(net.n_inputs)),
                               output_names=tuple(f"y{j}" for j in range(net.layers[-1].width)))


HDR2 = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)\n"
        "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1))\n")


def _q(v: Fraction) -> str:
    return f"(/ {v.numerator} {v.denominator})" if v.denominator != 1 else str(v.numerator)


@functools.cache
def product_certificates() -> dict:
    """``{name: (kind, payload)}`` for certificates of every kind the product writes:
    kind ``"json"`` (a dict), ``"stream"`` (the lines of a stream certificate), ``"ref"``
    (a dict with a ``network_ref`` and the network file's text)."""
    from exactrelu.bounds import bounds_certificate, output_bounds
    from exactrelu.certificate import partition_certificate
    from exactrelu.compress import compress
    from exactrelu.domain import box
    from exactrelu.equivalence import equivalence_certificate
    from exactrelu.io.native_json import dumps
    from exactrelu.network import mlp
    from exactrelu.random_nets import random_layers, random_network
    from exactrelu.regions import enumerate_regions
    from exactrelu.shallow import lattice_certificate, lattice_form
    from exactrelu.shallow.certificates import representation_certificate
    from exactrelu.stream import partition_stream_lines
    from exactrelu.verify import property_certificate, verify
    from exactrelu.vnnlib import parse_vnnlib

    D = box([-1, -1], [1, 1])
    out: dict = {}
    net = _named(random_network([4, 4], seed=41))
    part = enumerate_regions(net, D)
    out["partition"] = ("json", partition_certificate(part))
    out["partition-network-ref"] = ("ref", (partition_certificate(part, embed_network=False, network_path="n.json"),
                                            dumps(net, indent=1)))
    out["partition-incomplete"] = ("json", partition_certificate(enumerate_regions(net, D, max_regions=3)))
    out["stream"] = ("stream", list(partition_stream_lines(part)))
    out["stream-incomplete"] = ("stream", list(partition_stream_lines(enumerate_regions(net, D, max_regions=3))))
    out["bounds"] = ("json", bounds_certificate(output_bounds(net, D)))
    a = _named(random_network([3, 3], seed=42))
    out["equivalence"] = ("json", equivalence_certificate(a, a, D))
    comp = compress(mlp(2, random_layers([6, 6], 3, n_in=2, n_out=1, denom=4)), D)
    out["equivalence-compress"] = ("json", comp.certificate())
    small = random_network([3, 2], seed=43)
    lf = lattice_form(small, D)
    out["lattice"] = ("json", lattice_certificate(lf))
    out["lattice-combination"] = ("json", lattice_certificate(lf, always_combination=True))
    out["lattice-network-ref"] = ("ref", (lattice_certificate(lf, embed_network=False, network_path="n.json"),
                                          dumps(small, indent=1)))
    out["equivalence-representation"] = ("json", representation_certificate(lf, small, D))
    pnet = mlp(2, random_layers([8, 8], 3, n_in=2, n_out=2, denom=8))
    hi = output_bounds(pnet, D).outputs[0].max
    for name, extra, prune in (("property", f"(assert (>= Y_0 {_q(hi + Fraction(1, 32))}))", False),
                               ("property-pruned", f"(assert (>= Y_0 {_q(hi + Fraction(1, 32))}))", True),
                               ("property-two-disjuncts", f"(assert (or (>= Y_0 {_q(hi + 1)}) (<= Y_0 (- 0 100))))",
                                True),
                               ("counterexample", f"(assert (>= Y_0 {_q(hi)}))", True)):
        prop = parse_vnnlib(HDR2 + extra)
        res = verify(pnet, prop, samples=0, prune=prune)
        out[name] = ("json", property_certificate(pnet, prop, res))
    fixed = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)\n"
             "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 (/ 1 2))) (assert (<= X_1 (/ 1 2)))\n"
             f"(assert (>= Y_0 {_q(hi + 1)}))")
    prop = parse_vnnlib(fixed)
    out["property-fixed-input"] = ("json", property_certificate(pnet, prop, verify(pnet, prop, samples=0)))
    for name, (_, payload) in out.items():
        if name.startswith("counterexample"):
            assert payload["claim"] == "counterexample"
    assert out["property-pruned"][1]["partitions"][0].get("prune"), "the pruned property has pruned cells"
    assert out["property-fixed-input"][1]["property"]["fixed_inputs"]
    return out


def write_product(name: str, tmp: Path) -> Path:
    """Write product certificate ``name`` into ``tmp``; return the path to check."""
    kind, payload = product_certificates()[name]
    if kind == "stream":
        p = tmp / f"{name}.jsonl"
        p.write_text("".join(payload))
    elif kind == "ref":
        cert, net_text = payload
        (tmp / "n.json").write_text(net_text)
        p = tmp / f"{name}.json"
        p.write_text(json.dumps(cert))
    else:
        p = tmp / f"{name}.json"
        p.write_text(json.dumps(payload))
    return p


PRODUCT = ["partition", "partition-network-ref", "partition-incomplete", "stream", "stream-incomplete", "bounds",
           "equivalence", "equivalence-compress", "equivalence-representation", "lattice", "lattice-combination",
           "lattice-network-ref", "property", "property-pruned", "property-two-disjuncts", "property-fixed-input",
           "counterexample"]


def test_every_product_kind_is_built():
    assert sorted(product_certificates()) == sorted(PRODUCT)
    claims = {json.loads(p[0])["claim"] if k == "stream" else (p[0] if k == "ref" else p)["claim"]
              for k, p in product_certificates().values()}
    assert claims == {"partition", "bounds", "equivalence", "lattice", "property", "counterexample"}


# ============================================================================ (1) completeness
class Tracked(dict):
    """A JSON object that records which of its keys were read (``[]``, ``get``, ``pop``,
    ``items``, ``values``; membership tests and key iteration are not reads)."""

    def __init__(self, pairs) -> None:
        super().__init__(pairs)
        self.read: set = set()

    def __getitem__(self, k):
        self.read.add(k)
        return dict.__getitem__(self, k)

    def get(self, k, default=None):
        self.read.add(k)
        return dict.get(self, k, default)

    def pop(self, k, *default):
        self.read.add(k)
        return dict.pop(self, k, *default)

    def setdefault(self, k, default=None):
        self.read.add(k)
        return dict.setdefault(self, k, default)

    def items(self):
        self.read.update(dict.keys(self))
        return dict.items(self)

    def values(self):
        self.read.update(dict.keys(self))
        return dict.values(self)


def _plain(obj):
    """A deep copy as plain dicts and lists, read without marking anything."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in dict.items(obj)}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def unread_fields(path: Path, monkeypatch) -> list[str]:
    """Check ``path`` with every parsed JSON object tracked; the keys nobody read."""
    created: list[Tracked] = []
    original = core._no_duplicate_keys

    def hook(pairs):
        t = Tracked(original(pairs))
        created.append(t)
        return t

    sha = core.canonical_sha256
    with monkeypatch.context() as m:
        m.setattr(core, "_no_duplicate_keys", hook)
        # hashing the network serialises every field; that is not a reading of any field
        m.setattr(core, "canonical_sha256", lambda obj: sha(_plain(obj)))
        check_certificate(path)
    assert created, "the instrument saw no JSON object"
    return [f"object with keys {sorted(dict.keys(t))}: never read {sorted(set(dict.keys(t)) - t.read)}"
            for t in created if set(dict.keys(t)) - t.read]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_every_field_of_the_valid_corpus_is_read(path, monkeypatch):
    assert unread_fields(path, monkeypatch) == []


@pytest.mark.parametrize("name", PRODUCT)
def test_every_field_the_product_writes_is_read(name, tmp_path, monkeypatch):
    assert unread_fields(write_product(name, tmp_path), monkeypatch) == []


def test_the_instrument_finds_an_unread_field(tmp_path, monkeypatch):
    """The instrument is not vacuous: a key the checker skips is reported. (With the
    schema check the only way to have one is to widen the schema for the test.)"""
    cert = copy.deepcopy(product_certificates()["bounds"][1])
    cert["bounds"][0]["note"] = "trust me"
    p = tmp_path / "c.json"
    p.write_text(json.dumps(cert))
    monkeypatch.setitem(SCHEMA, "bound", SCHEMA["bound"] | {"note"})
    assert any("'note'" in line for line in unread_fields(p, monkeypatch))
