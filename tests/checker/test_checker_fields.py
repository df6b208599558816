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
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import exactrelu.checker.checker as core
import exactrelu.checker.stream as stream_form
from exactrelu.checker import CertificateInvalid, CertificateMalformed, check_certificate, run
from exactrelu.checker import SCHEMA
from exactrelu.checker.claims import outputs as output_claims

ROOT = Path(__file__).resolve().parents[2]
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
    from exactrelu.verify.bounds import bounds_certificate, output_bounds
    from exactrelu.certificate.partition import partition_certificate
    from exactrelu.verify.compress import compress
    from exactrelu.domain.polytope import box
    from exactrelu.verify.equivalence import equivalence_certificate
    from exactrelu.io.native_json import dumps
    from exactrelu.model.network import mlp
    from exactrelu.model.random_nets import random_layers, random_network
    from exactrelu.regions.walk import enumerate_regions
    from exactrelu.shallow import lattice_certificate, lattice_form
    from exactrelu.shallow.certificates import representation_certificate
    from exactrelu.certificate.stream import partition_stream_lines
    from exactrelu.verify.property import property_certificate, verify
    from exactrelu.domain.vnnlib import parse_vnnlib

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
    # the command line's stream writer (exactrelu.scale.parallel), complete and stopped by a limit
    import contextlib
    import io
    import tempfile

    from exactrelu.cli.app import main as cli
    from exactrelu.io.native_json import save_json

    with tempfile.TemporaryDirectory() as tmp:
        save_json(net, Path(tmp) / "net.json")
        save_json(random_network([64, 64, 64], seed=5), Path(tmp) / "big.json")  # (limits act per task)
        for name, model, extra in (("stream-cli", "net.json", []),
                                   ("stream-cli-stopped", "big.json", ["--max-regions", "5"])):
            s = Path(tmp) / f"{name}.jsonl"
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                cli(["regions", str(Path(tmp) / model), "--box=-1:1", "--stream", str(s), "--no-progress", *extra])
            out[name] = ("stream", s.read_text().splitlines(keepends=True))
    assert json.loads(out["stream-cli-stopped"][1][-1])["complete"] is False
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


PRODUCT = ["partition", "partition-network-ref", "partition-incomplete", "stream", "stream-incomplete", "stream-cli",
           "stream-cli-stopped", "bounds",
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
    original = core.no_duplicate_keys

    def hook(pairs):
        t = Tracked(original(pairs))
        created.append(t)
        return t

    sha = core.canonical_sha256
    with monkeypatch.context() as m:
        m.setattr(core, "no_duplicate_keys", hook)
        m.setattr(stream_form, "no_duplicate_keys", hook)
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
    monkeypatch.setitem(output_claims.SCHEMA, "bound", SCHEMA["bound"] | {"note"})
    assert any("'note'" in line for line in unread_fields(p, monkeypatch))


# ============================================================================ (2) schema and rules
def test_schema_kinds_cover_every_claim():
    from exactrelu.checker import CLAIMS

    assert {f"{c} certificate" for c in CLAIMS} <= set(SCHEMA)
    assert all(isinstance(v, frozenset) and v for v in SCHEMA.values())


def test_the_schema_is_merged_from_the_modules_without_overlap():
    """The core declares the partition kinds, each module its own; the registry's table is
    their union and no kind is declared twice."""
    from exactrelu.checker import checker as core, stream
    from exactrelu.checker.claims import adjacency, lattice, outputs, prune

    parts = [core.SCHEMA, stream.SCHEMA, adjacency.SCHEMA, outputs.SCHEMA, prune.SCHEMA, lattice.SCHEMA]
    assert sum(map(len, parts)) == len(SCHEMA) and SCHEMA == {k: v for p in parts for k, v in p.items()}
    assert "partition certificate" in core.SCHEMA and "bound" not in core.SCHEMA


def test_the_issue_mutation_is_rejected(tmp_path):
    """Issue 19: a bounds certificate whose region map and another region's pattern were
    replaced and with an extra adjacency entry was accepted ("0 adjacency pairs")."""
    cert = copy.deepcopy(product_certificates()["bounds"][1])
    for change, rule in ((lambda c: c["regions"][0].update(C=[["7", "7"]], d=["9"]), "region-map"),
                         (lambda c: c["regions"][1].update(pattern="0" * len(c["regions"][1]["pattern"])),
                          "region-pattern"),
                         (lambda c: c["adjacency"].append({"a": c["regions"][1]["node"], "b": c["regions"][2]["node"],
                                                           "hyperplane": ["1", "0", "0"], "witness": ["0", "0"],
                                                           "units": [0]}), "adjacency")):
        bad = copy.deepcopy(cert)
        change(bad)
        if rule == "region-pattern" and bad["regions"][1]["pattern"] == cert["regions"][1]["pattern"]:
            bad["regions"][1]["pattern"] = "1" * len(bad["regions"][1]["pattern"])
        with pytest.raises(CertificateInvalid) as info:
            check_certificate(bad)
        assert info.value.rule == rule, info.value.message


def _cases():
    from hostile.cases_certificates import CASES

    return CASES


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
def test_hostile_certificates_through_python_m_checker(case, tmp_path, capsys):
    """The hostile certificate cases (``tests/hostile/cases_certificates.py``) give the same
    exit code through ``python -m exactrelu.checker`` (in-process) as through ``exactrelu check``."""
    from hostile.case import expand, write_files

    paths = write_files(case, tmp_path)
    argv = [expand(a, paths) for a in case.argv[1:]]  # ("check", FILE) -> (FILE,)
    t0 = time.perf_counter()
    assert run(argv) == case.exit_code
    assert time.perf_counter() - t0 < case.seconds
    out = capsys.readouterr()
    if case.exit_code == 2:
        assert out.out == "" and len(out.err.strip().splitlines()) == 1


def test_python_m_checker_subprocess(tmp_path):
    import subprocess
    import sys

    bad = copy.deepcopy(product_certificates()["bounds"][1])
    bad["regions"][0]["d"] = ["9"]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    bad["regions"] = product_certificates()["bounds"][1]["regions"]
    bad["comment"] = "x"
    (tmp_path / "mal.json").write_text(json.dumps(bad))
    for name, code, text in (("bad.json", 1, "invalid: region-map: "), ("mal.json", 2, "unknown field 'comment'")):
        r = subprocess.run([sys.executable, "-m", "exactrelu.checker", str(tmp_path / name)], capture_output=True,
                           text=True, cwd=ROOT, timeout=60)
        assert r.returncode == code and text in r.stdout + r.stderr


# ============================================================================ (3) limits
def test_number_limit_is_fast_and_long_numbers_still_work():
    cert = json.loads((CORPUS / "valid" / "abs-1d.json").read_text())
    zeros = "0" * 30_000  # tens of thousands of digits, as exactrelu writes: fine
    w = Fraction(cert["root_witness"][0])
    cert["root_witness"] = [f"{w.numerator}{zeros}/{w.denominator}{zeros}"]
    assert check_certificate(cert).valid
    cert["root_witness"] = ["1/" + "1" * 999_998]  # 1,000,000 characters, the limit: read (1/111... is inside)
    assert check_certificate(cert).valid
    cert["root_witness"] = ["1/" + "1" * 999_999]  # 1,000,001 characters
    t0 = time.perf_counter()
    with pytest.raises(CertificateMalformed, match="1000001 characters"):
        check_certificate(cert)
    assert time.perf_counter() - t0 < 0.5
    cert["root_witness"] = ["0"]
    cert["network"]["layers"][0]["bias"][0] = "1" * 1_000_001  # the embedded network has the same limit
    with pytest.raises(CertificateMalformed, match="characters"):
        check_certificate(cert)


def test_gzip_bomb_is_refused_without_reading_it_all(tmp_path):
    text = (CORPUS / "valid" / "net-2d.json").read_text()
    p = tmp_path / "c.json.gz"
    p.write_bytes(gzip.compress(text.encode()))
    assert check_certificate(p, max_bytes=len(text)).valid  # at the limit: read
    with pytest.raises(CertificateMalformed, match="more than"):
        check_certificate(p, max_bytes=len(text) - 1)
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"[" * 8 + b" " * (256 << 20), compresslevel=1))  # 256 MiB from ~250 KB
    t0 = time.perf_counter()
    with pytest.raises(CertificateMalformed, match="more than 1048576 bytes"):
        check_certificate(bomb, max_bytes=1 << 20)
    assert time.perf_counter() - t0 < 0.5
    plain = tmp_path / "c.json"
    plain.write_text(text)
    with pytest.raises(CertificateMalformed, match="more than"):
        check_certificate(plain, max_bytes=100)
    # a stream, and a referenced network file, are bounded the same way
    lines = product_certificates()["stream"][1]
    s = tmp_path / "s.jsonl.gz"
    s.write_bytes(gzip.compress("".join(lines).encode()))
    assert check_certificate(s).valid
    with pytest.raises(CertificateMalformed, match="more than"):
        check_certificate(s, max_bytes=len(lines[0]) + 10)
    ref = write_product("partition-network-ref", tmp_path)
    size = ref.stat().st_size
    net = tmp_path / "n.json"
    net.write_text(net.read_text() + " " * size)  # the same network (and hash), larger than the certificate
    assert check_certificate(ref, max_bytes=net.stat().st_size).valid
    with pytest.raises(CertificateMalformed, match="n.json: more than"):
        check_certificate(ref, max_bytes=net.stat().st_size - 1)


# ============================================================================ (4) random mutations
def _F(s) -> Fraction:
    return Fraction(s)


def _is_number(s: str) -> bool:
    try:
        Fraction(s)
        return "/" in s or s.lstrip("-").isdigit()
    except (ValueError, ZeroDivisionError):
        return False


def _domain(dom: dict, n: int):
    """The library's polytope of a certificate domain. The checker does not need a bounded
    domain, the library does: an unbounded one is cut by the box ``[-2^20, 2^20]^n``, far
    outside the bounded part of every region of the small corpus networks (so the
    regions, and the extremes of the outputs, are the same). None if refused."""
    from exactrelu.domain.polytope import polytope
    from exactrelu.errors import ExactReluError

    try:
        return polytope(dom["A"], dom["b"])
    except ExactReluError:
        rows = [[1 if j == i else 0 for j in range(n)] for i in range(n)]
        try:
            return polytope(dom["A"] + rows + [[-v for v in r] for r in rows], dom["b"] + [2 ** 20] * (2 * n))
        except ExactReluError:
            return None


@functools.cache
def _library_partition(net_json: str, dom_json: str):
    """The library's own enumeration: ``{pattern: (C, d)}`` and the adjacent pairs
    ``{frozenset(patterns): hyperplane}``; None if the library refuses the domain."""
    from exactrelu.graph.region_graph import adjacencies
    from exactrelu.io.native_json import network_from_dict
    from exactrelu.regions.walk import enumerate_regions

    net = network_from_dict(json.loads(net_json))
    P = _domain(json.loads(dom_json), net.n_inputs)
    if P is None:
        return None
    part = enumerate_regions(net, P)
    maps = {r.pattern: r.affine_map for r in part.regions}
    adj = {frozenset((part.regions[e.i].pattern, part.regions[e.j].pattern)): e.hyperplane for e in adjacencies(part)}
    return maps, adj


def _key(obj) -> str:
    return json.dumps(obj, sort_keys=True)


def _proportional(u: list, v: list) -> bool:
    """``u`` is a nonzero multiple of ``v`` (every 2x2 minor of the pair vanishes)."""
    return any(u) and len(u) == len(v) and all(u[i] * v[j] == u[j] * v[i] for i in range(len(u)) for j in range(i))


def _tree_truth(net: dict, dom: dict, tree: dict, complete: bool) -> None:
    """The region and adjacency claims of a tree are the network's (library enumeration)."""
    lib = _library_partition(_key(net), _key(dom))
    assert lib is not None, "the library refuses the domain of an accepted certificate"
    maps, adj = lib
    regions = tree.get("regions", [])
    pats = {}
    for r in regions:
        assert r["pattern"] in maps, f"leaf {r['node']}: pattern {r['pattern']} is no region of the network"
        C, d = maps[r["pattern"]]
        assert [[_F(v) for v in row] for row in r["C"]] == [list(row) for row in C] and \
            [_F(v) for v in r["d"]] == list(d), f"leaf {r['node']}: wrong affine map"
        pats[r["node"]] = r["pattern"]
    assert len(set(pats.values())) == len(pats), "two leaves with one pattern"
    if complete and "regions" in tree:
        assert set(pats.values()) == set(maps), "a complete certificate misses regions"
    for e in tree.get("adjacency", []):
        pa, pb = pats[e["a"]], pats[e["b"]]
        h = adj.get(frozenset((pa, pb)))
        assert h is not None, f"leaves {e['a']} and {e['b']} are not adjacent"
        assert sorted(e["units"]) == [u for u in range(len(pa)) if pa[u] != pb[u]]
        want = list(h[:-1]) + [-h[-1]]
        assert _proportional([_F(v) for v in e["hyperplane"]], want), "not the shared facet's hyperplane"


def _property(pj: dict):
    from exactrelu.domain.vnnlib import Disjunct, LinearAtom, Property

    free = pj["n_inputs"] - len(pj["fixed_inputs"])
    regions = [_domain(r, free) for r in pj["inputs"]]
    assert None not in regions, "the library refuses an input region of an accepted certificate"
    dis = [Disjunct(regions[d["input"]], tuple(LinearAtom(tuple(map(_F, c["a"])), tuple(map(_F, c["c"])), _F(c["b"]),
                                                          c["strict"]) for c in d["constraints"]))
           for d in pj["disjuncts"]]
    return Property(pj["n_inputs"], pj["n_outputs"], dis, fixed_inputs={int(k): _F(v) for k, v in
                                                                         pj["fixed_inputs"].items()})


def independent_truth(cert: dict) -> None:
    """Assert that the claim of an accepted certificate is true, by the library's own exact
    computations (no checker code): enumeration for regions and adjacency, ``output_bounds``
    for bounds, ``equivalent`` for equivalence and lattice forms, ``verify`` for
    properties, ``evaluate`` for counterexamples."""
    from exactrelu.verify.bounds import output_bounds
    from exactrelu.verify.equivalence import equivalent
    from exactrelu.model.evaluation import evaluate
    from exactrelu.io.native_json import network_from_dict
    from exactrelu.verify.property import verify

    claim = cert["claim"]
    net = network_from_dict(cert["network"])
    if claim in ("partition", "bounds", "equivalence", "lattice"):
        _tree_truth(cert["network"], cert["domain"], cert, cert["complete"])
        D = _domain(cert["domain"], net.n_inputs)
    if claim == "bounds":
        for bd in cert["bounds"]:
            k = bd["output"]
            ob = output_bounds(net, D, outputs=[k], certify=False).outputs[0]
            assert (_F(bd["min"]), _F(bd["max"])) == (ob.min, ob.max), f"output {k}: wrong bounds"
            for side in ("min", "max"):
                x = [_F(v) for v in bd["arg" + side]]
                assert D.contains(x) and evaluate(net, x)[k] == _F(bd[side])
    elif claim == "equivalence":
        a, b = network_from_dict(cert["network_a"]), network_from_dict(cert["network_b"])
        assert equivalent(a, b, D).equivalent is True, "the networks differ"
    elif claim == "lattice":
        from exactrelu.shallow.certificates import compare
        from exactrelu.shallow.lattice import LatticeForm

        lat = cert["lattice"]
        lf = LatticeForm(net.n_inputs, tuple(tuple(map(_F, p)) for p in lat["pieces"]),
                         tuple(tuple(t) for t in lat["terms"]), output=lat["output"])
        assert compare(lf, net, D, output=lat["output"]).equivalent is True, "the lattice form is not the network"
    elif claim == "property":
        prop = _property(cert["property"])
        assert verify(net, prop, samples=0).verdict == "holds", "the property does not hold"
        small = prop.restrict(net)
        from exactrelu.io.native_json import network_to_dict

        for part in cert["partitions"]:
            _tree_truth(network_to_dict(small), cert["property"]["inputs"][part["input"]], part, part["complete"])
    elif claim == "counterexample":  # (directly: an input region may be any polyhedron containing the point)
        pj = cert["property"]
        fixed = {int(k): _F(v) for k, v in pj["fixed_inputs"].items()}
        x = [_F(v) for v in cert["point"]]
        y = evaluate(net, x)
        u = [v for i, v in enumerate(x) if i not in fixed]
        assert all(x[i] == v for i, v in fixed.items())

        def inside(r):
            return all(sum(_F(a) * ui for a, ui in zip(row, u)) <= _F(bi) for row, bi in zip(r["A"], r["b"]))

        def holds(c):
            lhs = sum(_F(a) * ui for a, ui in zip(c["a"], u)) + sum(_F(ci) * yi for ci, yi in zip(c["c"], y))
            return lhs < _F(c["b"]) if c["strict"] else lhs <= _F(c["b"])
        assert any(inside(pj["inputs"][d["input"]]) and all(holds(c) for c in d["constraints"])
                   for d in pj["disjuncts"]), "the point is no counterexample"


MUTATION_BASES = ["net-2d", "abs-1d", "enum-2d-3-3-2", "enum-2d-partial", "bounds_4x4", "fields-bounds-with-adjacency",
                  "equivalence_duplicated_unit", "lattice-tent-1d", "lattice-random-mlp-2x3x3",
                  "property_strict_above_max", "property_pruned", "counterexample_at_max"]


@functools.cache
def _base(name: str):
    cert = json.loads((CORPUS / "valid" / f"{name}.json").read_text())
    spots = []

    def visit(obj, path):
        if isinstance(obj, dict):
            spots.append(("dict", path))
            for k, v in obj.items():
                visit(v, path + (k,))
        elif isinstance(obj, list):
            if obj:
                spots.append(("list", path))
            for i, v in enumerate(obj):
                visit(v, path + (i,))
        elif isinstance(obj, bool):
            spots.append(("bool", path))
        elif isinstance(obj, int):
            spots.append(("int", path))
        elif isinstance(obj, str):
            spots.append(("number" if _is_number(obj) else "string", path))
    visit(cert, ())
    return cert, spots


def test_the_oracle_accepts_the_bases():
    for name in MUTATION_BASES:
        independent_truth(_base(name)[0])


def test_the_oracle_rejects_false_claims():
    """The independent oracle is not vacuous: false claims fail it."""
    cert = copy.deepcopy(_base("bounds_4x4")[0])
    cert["bounds"][0]["max"] = str(_F(cert["bounds"][0]["max"]) + 1)
    with pytest.raises(AssertionError):
        independent_truth(cert)
    cert = copy.deepcopy(_base("net-2d")[0])
    cert["regions"][0]["pattern"] = cert["regions"][1]["pattern"]
    with pytest.raises(AssertionError):
        independent_truth(cert)
    cert = copy.deepcopy(_base("counterexample_at_max")[0])
    cert["point"] = ["0", "0"]
    with pytest.raises(AssertionError):
        independent_truth(cert)


def _mutate(data, name: str) -> tuple[dict, str]:
    cert, spots = _base(name)
    kind, path = data.draw(st.sampled_from(spots))
    c = copy.deepcopy(cert)
    parent, last = None, None
    box = c
    for k in path:
        parent, last = box, k
        box = box[k]
    if kind == "dict":
        key = data.draw(st.sampled_from(["comment", "note", "id", "node", "x", "0", "regions", "adjacency"]))
        if key in box:
            return c, "noop"
        box[key] = data.draw(st.sampled_from(["1", 1, True, [], {}]))
        return c, f"key {key!r} added at {path}"
    if kind == "list":
        i = data.draw(st.integers(0, len(box) - 1))
        if data.draw(st.booleans()):
            del box[i]
            return c, f"item {i} dropped at {path}"
        box.insert(i, copy.deepcopy(box[i]))
        return c, f"item {i} duplicated at {path}"
    if kind == "bool":
        parent[last] = not box
    elif kind == "int":
        parent[last] = box + data.draw(st.sampled_from([-2, -1, 1, 2, 7]))
    elif kind == "number":
        q = _F(box)
        new = data.draw(st.sampled_from([-q, q + 1, q - 1, 2 * q, q / 2, Fraction(0), q + Fraction(1, 7)]))
        parent[last] = str(new.numerator) if new.denominator == 1 else f"{new.numerator}/{new.denominator}"
    else:
        how = data.draw(st.sampled_from(["append", "flip", "empty"]))
        if how == "append":
            parent[last] = box + "x"
        elif how == "empty":
            parent[last] = ""
        elif box:
            i = data.draw(st.integers(0, len(box) - 1))
            sub = {"0": "1", "1": "0", "+": "-", "-": "+"}.get(box[i], "z")
            parent[last] = box[:i] + sub + box[i + 1:]
    return c, f"{kind} changed at {path}"


def _single_field_mutations(data, names) -> None:
    name = data.draw(st.sampled_from(names))
    mutant, what = _mutate(data, name)
    try:
        report = check_certificate(mutant, base_dir=CORPUS / "valid")
    except (CertificateInvalid, CertificateMalformed):
        return
    # accepted: the mutant must still prove a true claim
    try:
        independent_truth(mutant)
    except AssertionError as exc:
        raise AssertionError(f"{name}: {what}: accepted ({report.summary()}) but false: {exc}") from None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_single_field_mutations_of_tree_claims(data):
    _single_field_mutations(data, [n for n in MUTATION_BASES if not n.startswith(("property", "counterexample"))])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_single_field_mutations_of_property_claims(data):
    _single_field_mutations(data, [n for n in MUTATION_BASES if n.startswith(("property", "counterexample"))])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_single_field_mutations_of_a_stream(data):
    """A stream's line objects mutated one field at a time; an accepted stream, converted by
    the product's ``stream_to_certificate``, is a true partition claim."""
    from exactrelu.certificate.stream import stream_to_certificate

    lines = (CORPUS / "valid" / "stream-2d.jsonl").read_text().splitlines(keepends=True)
    objs = [json.loads(s) for s in lines]
    i = data.draw(st.integers(0, len(objs) - 1))
    spots = []

    def visit(obj, path):
        if isinstance(obj, dict):
            spots.append(("dict", path))
            for k, v in obj.items():
                visit(v, path + (k,))
        elif isinstance(obj, list):
            for j, v in enumerate(obj):
                visit(v, path + (j,))
        elif isinstance(obj, (bool, int, str)):
            spots.append(("leaf", path))
    visit(objs[i], ())
    kind, path = data.draw(st.sampled_from(spots))
    box = objs[i]
    for k in path[:-1]:
        box = box[k]
    if kind == "dict":
        tgt = box if not path else box[path[-1]]
        tgt[data.draw(st.sampled_from(["comment", "id", "parent", "pos", "node", "end"]))] = 1
    else:
        v = box[path[-1]]
        if isinstance(v, bool):
            box[path[-1]] = not v
        elif isinstance(v, int):
            box[path[-1]] = v + data.draw(st.sampled_from([-1, 1, 3]))
        elif _is_number(v):
            box[path[-1]] = str(_F(v) + data.draw(st.sampled_from([Fraction(1, 3), Fraction(-1), Fraction(5)])))
        else:
            box[path[-1]] = v[::-1] if len(set(v)) > 1 else v + "x"
    text = [json.dumps(o, separators=(",", ":")) + "\n" for o in objs]
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "s.jsonl"
        p.write_text("".join(text))
        try:
            check_certificate(p)
        except (CertificateInvalid, CertificateMalformed):
            return
    cert = stream_to_certificate(text)
    _tree_truth(cert["network"], cert["domain"], cert, cert["complete"])
