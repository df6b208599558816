"""Tests of the trusted certificate checker (exactrelu.checker).

* the checker imports only the standard library (an ``ast`` scan);
* the corpus: ``valid/`` passes, ``invalid/<rule>/`` fails with exactly that rule,
  ``malformed/`` is refused as unusable;
* the command line exit codes 0 / 1 / 2;
* random single-number mutations: the checker accepts a mutated certificate exactly when
  an independent, naive re-verification (``reference_accepts`` below: Fractions, the
  library's own network parser, recursion) does, and an accepted certificate's maps agree
  with exact evaluation by the library;
* deep trees (no recursion limit), huge numbers, gzip, network_ref.
"""

from __future__ import annotations

import ast
import copy
import gzip
import inspect
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu.checker import (CertificateInvalid, CertificateMalformed, CheckerError, RULES,
                               check_certificate, run)

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "exactrelu" / "checker"
CORPUS = ROOT / "proofs" / "corpus"
PARTITION_RULES = ("network-hash", "domain-witness", "tree-structure", "decision-order", "stable-farkas",
                   "split-witness", "region-pattern", "region-map", "region-list", "adjacency")


def _load(path: Path) -> dict:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        return json.load(fh)


# ============================================================================ (1) imports
def test_checker_imports_only_the_standard_library():
    files = sorted(CHECKER.rglob("*.py"))
    assert files
    bad = []
    for f in files:
        tree = ast.parse(f.read_text(), filename=str(f))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    if alias.name.startswith("exactrelu.checker"):
                        continue
                    if top not in sys.stdlib_module_names:
                        bad.append(f"{f.name}:{node.lineno}: import {alias.name}")
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    mod = node.module or ""
                    if mod == "exactrelu.checker" or mod.startswith("exactrelu.checker."):
                        continue
                    if mod.split(".")[0] not in sys.stdlib_module_names:
                        bad.append(f"{f.name}:{node.lineno}: from {mod} import ...")
                elif node.level > len(f.relative_to(CHECKER).parts):  # reaching outside the checker package
                    bad.append(f"{f.name}:{node.lineno}: from {'.' * node.level}{node.module or ''} import ...")
            elif isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
                if name in ("__import__", "import_module"):
                    bad.append(f"{f.name}:{node.lineno}: dynamic import")
    assert not bad, "non-stdlib imports in the checker:\n" + "\n".join(bad)


def test_the_core_imports_nothing_and_claims_use_only_public_names():
    """``checker.py`` imports only the standard library (it runs copied out alone); no
    checker module imports a private (``_x``) name from another."""
    core = ast.parse((CHECKER / "checker.py").read_text())
    assert not [n for n in ast.walk(core) if isinstance(n, ast.ImportFrom) and n.level]
    private = []
    for f in sorted(CHECKER.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("exactrelu")):
                private += [f"{f.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert not private


def test_python_m_checker_loads_only_the_checker(tmp_path):
    """``python -m exactrelu.checker`` imports no other exactrelu subpackage and no numpy."""
    code = ("import sys, runpy; sys.argv = ['x', sys.argv[1], '-q']\n"
            "try:\n    runpy.run_module('exactrelu.checker', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\n"
            "mods = [m for m in sys.modules if m == 'numpy' or m.startswith('numpy.') or (m.startswith('exactrelu.')"
            " and not m.startswith('exactrelu.checker'))]\n"
            "print(code, mods)")
    cert = CORPUS / "valid" / "net-2d.json"
    out = subprocess.run([sys.executable, "-c", code, str(cert)], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr


def test_the_core_file_runs_alone_when_copied_out(tmp_path):
    """``cp checker.py /tmp/x/ && python /tmp/x/checker.py CERT`` checks a partition
    certificate without adjacency entries, rejects an invalid one with its rule, and
    refuses as unusable, naming the module they need, other claims and a certificate
    carrying adjacency entries (never accepted unchecked)."""
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "checker.py").write_bytes((CHECKER / "checker.py").read_bytes())

    def alone(cert: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(tmp_path / "alone" / "checker.py"), str(cert)],
                              capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})

    def without_adjacency(src: Path) -> Path:
        cert = _load(src)
        cert["adjacency"] = []
        out = tmp_path / src.name
        out.write_text(json.dumps(cert))
        return out

    ok = alone(without_adjacency(CORPUS / "valid" / "enum-3d-5.json"))
    assert ok.returncode == 0 and ok.stdout.startswith("valid: complete partition"), ok.stdout + ok.stderr
    ok = alone(CORPUS / "valid" / "skip-2d-no-regions.json")  # (no adjacency field at all)
    assert ok.returncode == 0 and ok.stdout.startswith("valid: complete partition"), ok.stdout + ok.stderr
    carried = alone(CORPUS / "valid" / "enum-3d-5.json")
    assert carried.returncode == 2 and "needs the checker module claims/adjacency.py" in carried.stderr, \
        carried.stdout + carried.stderr
    bad = without_adjacency(sorted((CORPUS / "invalid" / "stable-farkas").glob("*.json"))[0])
    got = alone(bad)
    assert got.returncode == 1 and got.stdout.startswith("invalid: stable-farkas: "), got.stdout + got.stderr
    want = subprocess.run([sys.executable, "-m", "exactrelu.checker", str(bad)], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert got.stdout == want.stdout  # the same rejection, word for word
    other = alone(CORPUS / "valid" / "lattice-random-mlp-2x3x3.json")
    assert other.returncode == 2 and "claims/lattice.py" in other.stderr, other.stdout + other.stderr


def test_the_core_without_the_adjacency_module_refuses_adjacency_entries():
    """In the package too: the core given no adjacency checker refuses a tree carrying
    adjacency entries (unusable, naming the module) and checks one without."""
    from exactrelu.checker import checker as core

    cert = _load(CORPUS / "valid" / "net-2d.json")
    with pytest.raises(CertificateMalformed) as info:
        core.check_certificate(cert)
    assert "needs the checker module claims/adjacency.py" in info.value.message
    cert["adjacency"] = []
    assert core.check_certificate(cert).adjacency_pairs == 0
    assert check_certificate(_load(CORPUS / "valid" / "net-2d.json")).adjacency_pairs == 15


# ============================================================================ (2) corpus
def _corpus(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).rglob("*") if p.is_file() and p.name.endswith((".json", ".gz", ".jsonl")))


def test_corpus_is_populated():
    assert len(_corpus("valid")) >= 8
    assert len(_corpus("malformed")) >= 10
    folders = {p.parent.name for p in _corpus("invalid")}
    assert folders >= set(PARTITION_RULES), f"rules without invalid examples: {set(PARTITION_RULES) - folders}"
    assert folders <= set(RULES)


@pytest.mark.parametrize("path", _corpus("valid"), ids=lambda p: p.name)
def test_corpus_valid(path):
    report = check_certificate(path)
    assert report.valid
    if path.suffix == ".jsonl":  # a stream certificate: its end line states completeness and counts
        end = json.loads(path.read_text().splitlines()[-1])
        assert (report.complete, report.nodes, report.leaves) == (end["complete"], end["nodes"], end["leaves"])
        return
    cert = _load(path)
    if cert["claim"] == "counterexample" or cert.get("partitions") == []:  # a single point: no tree
        assert report.nodes == 0
        return
    assert report.nodes >= 1 and report.leaves >= 1
    assert report.complete == cert["complete"]


@pytest.mark.parametrize("path", _corpus("invalid"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_invalid(path):
    with pytest.raises(CertificateInvalid) as info:
        check_certificate(path)
    assert info.value.rule == path.parent.name, info.value.message


@pytest.mark.parametrize("path", _corpus("malformed"), ids=lambda p: p.name)
def test_corpus_malformed(path):
    with pytest.raises(CertificateMalformed):
        check_certificate(path)


# ============================================================================ (3) CLI
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exactrelu.checker", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_cli_exit_codes():
    ok = _cli(str(CORPUS / "valid" / "net-2d.json"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("valid: complete partition")
    bad = _cli(str(CORPUS / "invalid" / "stable-farkas" / "net-2d--altered-multiplier.json"))
    assert bad.returncode == 1
    assert bad.stdout.startswith("invalid: stable-farkas: ")
    mal = _cli(str(CORPUS / "malformed" / "float-witness.json"))
    assert mal.returncode == 2
    assert "float" in mal.stderr
    missing = _cli(str(CORPUS / "no-such-file.json"))
    assert missing.returncode == 2


def test_run_in_process(capsys):
    assert run([str(CORPUS / "valid" / "net-2d-partial.json")]) == 0
    assert "partial (incomplete)" in capsys.readouterr().out
    assert run([str(CORPUS / "valid" / "net-2d.json"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert run([str(CORPUS / "invalid" / "region-map" / "net-2d--altered-C.json"), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False and out["rule"] == "region-map" and out["data"]["node"] >= 0
    assert run([str(CORPUS / "malformed" / "truncated.json"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == "malformed"
    assert run([]) == 2  # usage error
    capsys.readouterr()


# ============================================================================ (4) mutations
def reference_accepts(cert: dict) -> bool:
    """A naive, independent re-verification of every numeric part of a partition certificate.

    Uses the library's network parser and Fractions; recursion; checks the same
    statements as the checker (root witness, Farkas vectors, split witnesses, region maps,
    adjacency evidence) but shares no code with it.
    """
    from exactrelu.io.native_json import network_from_dict

    F = Fraction
    net = network_from_dict(cert["network"])
    n = net.n_inputs
    units = net.relu_units  # (layer, j), topological
    index = {lj: u for u, lj in enumerate(units)}
    nodes = cert["nodes"]
    regions = {r["node"]: r for r in cert.get("regions", [])}

    def vec(v):
        return [F(s) for s in v]

    def val(row, x):  # row = (a, b) meaning a.x <= b; returns a.x - b
        return sum(ai * xi for ai, xi in zip(row[0], x)) - row[1]

    def forms(bits):
        """pre-activation forms of every ReLU unit (None where unknown) and output forms."""
        outs = [[[F(int(i == c)) for c in range(n)] + [F(0)] for i in range(n)]]
        pre_u: dict[int, list] = {}
        for k, layer in enumerate(net.layers, start=1):
            pre = []
            for j in range(layer.width):
                f = [F(0)] * n + [layer.bias[j]]
                for s, W in layer.inputs:
                    for w, h in zip(W[j], outs[s]):
                        if h is None:
                            f = None
                            break
                        f = [a + w * c for a, c in zip(f, h)]
                    if f is None:
                        break
                pre.append(f)
            if layer.activation.value == "relu":
                out = []
                for j, f in enumerate(pre):
                    u = index[(k, j)]
                    pre_u[u] = f
                    bit = bits.get(u)
                    out.append(None if f is None or bit is None else f if bit else [F(0)] * (n + 1))
                outs.append(out)
            else:
                outs.append(pre)
        return pre_u, outs[-1]

    rows0 = [(vec(a), F(b)) for a, b in zip(cert["domain"]["A"], cert["domain"]["b"])]
    w0 = vec(cert["root_witness"])
    if any(val(r, w0) >= 0 for r in rows0):
        return False
    leaves = {}

    def visit(k, rows, bits) -> bool:
        nd = nodes[k]
        bits = dict(bits)
        for u, sign, y in nd["decisions"]:
            g = forms(bits)[0][u]
            q = [-c for c in g] if sign == "+" else list(g)  # prove q.x + q0 <= 0
            if y and isinstance(y[0], int):  # a vertex basis [i, j] (2-D): solve for its multipliers
                if n != 2 or len(y) != 2 or not all(0 <= r < len(rows) for r in y):
                    return False
                a, b = rows[y[0]][0], rows[y[1]][0]
                det = a[0] * b[1] - a[1] * b[0]
                if det == 0:
                    return False
                ys = [(y[0], (q[0] * b[1] - q[1] * b[0]) / det), (y[1], (a[0] * q[1] - a[1] * q[0]) / det)]
            else:
                ys = [(r, F(v)) for r, v in y]
            if any(v < 0 for _, v in ys) or any(r >= len(rows) for r, _ in ys):
                return False
            lhs = [sum(v * rows[r][0][c] for r, v in ys) for c in range(n)]
            if lhs != q[:n] or sum(v * rows[r][1] for r, v in ys) + q[n] > 0:
                return False
            bits[u] = 1 if sign == "+" else 0
        sp = nd["split"]
        if sp is None:
            if nd.get("open"):
                return True
            _, out = forms(bits)
            leaves[k] = (rows, "".join(str(bits[u]) for u in range(len(units))))
            r = regions.get(k)
            if r is not None:
                for i, f in enumerate(out):
                    if vec(r["C"][i]) + [F(r["d"][i])] != f:
                        return False
            return True
        g = forms(bits)[0][sp["unit"]]
        z = lambda x: sum(a * b for a, b in zip(g, x)) + g[n]  # noqa: E731
        wp, wn = vec(sp["witness_pos"]), vec(sp["witness_neg"])
        if not (z(wp) > 0 and z(wn) < 0 and all(val(r, wp) < 0 and val(r, wn) < 0 for r in rows)):
            return False
        rpos = rows + [([-c for c in g[:n]], g[n])]
        rneg = rows + [(g[:n], -g[n])]
        return (visit(sp["pos"], rpos, {**bits, sp["unit"]: 1}) and visit(sp["neg"], rneg, {**bits, sp["unit"]: 0}))

    if not visit(0, rows0, {}):
        return False
    for e in cert.get("adjacency", []):
        h = vec(e["hyperplane"])
        w = vec(e["witness"])
        if not any(h[:n]) or sum(a * b for a, b in zip(h, w + [1])) != 0:
            return False
        for end in (e["a"], e["b"]):
            rows, _ = leaves[end]
            for a, b in rows:
                s = val((a, b), w)
                if s > 0:
                    return False
                # tight rows must be parallel to the hyperplane: rank of the 2 x (n+1) matrix is 1
                r = list(a) + [-b]
                if s == 0 and any(r[i] * h[j] != r[j] * h[i] for i in range(n + 1) for j in range(n + 1)):
                    return False
        pa, pb = leaves[e["a"]][1], leaves[e["b"]][1]
        if sorted(e["units"]) != [u for u in range(len(pa)) if pa[u] != pb[u]]:
            return False
    return True


def _number_paths(obj, path=()):
    """Paths to every number string of a certificate."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in ("format", "claim", "pattern", "side", "path", "sha256", "activation", "name"):
                yield from _number_paths(v, path + (k,))
    elif isinstance(obj, list):
        if len(obj) == 3 and obj[1] in ("+", "-") and isinstance(obj[0], int):  # a decision
            yield from _number_paths(obj[2], path + (2,))
            return
        for i, v in enumerate(obj):
            yield from _number_paths(v, path + (i,))
    elif isinstance(obj, str):
        yield path


def _set_numerator(cert, path, fn):
    c = copy.deepcopy(cert)
    box = c
    for k in path[:-1]:
        box = box[k]
    q = Fraction(box[path[-1]])
    new = Fraction(fn(q.numerator), q.denominator)
    box[path[-1]] = str(new.numerator) if new.denominator == 1 else f"{new.numerator}/{new.denominator}"
    return c


BASES = [p for p in (CORPUS / "valid" / f"{name}.json" for name in
                     ("abs-1d", "net-2d", "skip-2d", "relu-output-2d", "tent-1d-depth3", "enum-2d-3-3-2"))
         if p.exists()]
_BASE_CERTS = {p.stem: _load(p) for p in BASES}
_PATHS = {k: list(_number_paths(c)) for k, c in _BASE_CERTS.items()}
CHANGES = [lambda p: -p, lambda p: p + 1, lambda p: p - 1, lambda p: 2 * p, lambda p: 0, lambda p: p + 7,
           lambda p: 3 * p - 1]


def _leaf_witnesses(cert):
    nodes = cert["nodes"]
    for nd in nodes:
        if nd["split"] is None and not nd.get("open"):
            if nd["parent"] is None:
                yield nd["id"], cert["root_witness"]
            else:
                sp = nodes[nd["parent"]]["split"]
                yield nd["id"], sp["witness_pos"] if nd["side"] == "+" else sp["witness_neg"]


def _agree(mutant):
    try:
        check_certificate(mutant)
        accepted = True
    except CertificateInvalid:
        accepted = False
    assert accepted == reference_accepts(mutant)
    if accepted:  # the claimed maps are the network's, at an interior point of every leaf
        from exactrelu.model.evaluation import evaluate
        from exactrelu.io.native_json import network_from_dict

        net = network_from_dict(mutant["network"])
        regions = {r["node"]: r for r in mutant["regions"]}
        for k, w in _leaf_witnesses(mutant):
            x = [Fraction(s) for s in w]
            C, d = regions[k]["C"], regions[k]["d"]
            claimed = [sum(Fraction(c) * xi for c, xi in zip(row, x)) + Fraction(di) for row, di in zip(C, d)]
            assert claimed == list(evaluate(net, x))
    return accepted


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutating_a_vertex_basis(data):
    """A vertex basis with one row exchanged (or its sign flipped) is accepted iff the
    independent re-verification, solving for the multipliers in Fractions, accepts."""
    name = "enum-2d-3-3-2"
    cert = _BASE_CERTS[name]
    spots = [(i, j) for i, nd in enumerate(cert["nodes"]) for j, dec in enumerate(nd["decisions"])
             if dec[2] and isinstance(dec[2][0], int)]
    assert spots, "the 2-D enumerator certificate has vertex bases"
    i, j = data.draw(st.sampled_from(spots))
    mutant = copy.deepcopy(cert)
    dec = mutant["nodes"][i]["decisions"][j]
    if data.draw(st.booleans()):
        dec[2][data.draw(st.integers(0, 1))] = data.draw(st.integers(0, 12))
    else:
        dec[1] = "+" if dec[1] == "-" else "-"
    _agree(mutant)


def test_reference_accepts_the_valid_bases():
    for cert in _BASE_CERTS.values():
        assert reference_accepts(cert)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutating_one_numerator(data):
    """Accepted iff the independent re-verification accepts (then the claims are true)."""
    name = data.draw(st.sampled_from(sorted(_BASE_CERTS)))
    path = data.draw(st.sampled_from(_PATHS[name]))
    change = data.draw(st.sampled_from(CHANGES))
    _agree(_set_numerator(_BASE_CERTS[name], path, change))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutating_a_farkas_multiplier(data):
    """A changed multiplier is rejected unless the Farkas identity and constant still hold."""
    name = data.draw(st.sampled_from(sorted(_BASE_CERTS)))
    cert = _BASE_CERTS[name]
    spots = [(i, j, t) for i, nd in enumerate(cert["nodes"]) for j, dec in enumerate(nd["decisions"])
             for t in range(len(dec[2])) if isinstance(dec[2][t], list)]
    if not spots:
        return
    i, j, t = data.draw(st.sampled_from(spots))
    new = data.draw(st.fractions(min_value=-3, max_value=3, max_denominator=6))
    mutant = copy.deepcopy(cert)
    entry = mutant["nodes"][i]["decisions"][j][2][t]
    old = Fraction(entry[1])
    entry[1] = f"{new.numerator}/{new.denominator}"
    accepted = _agree(mutant)
    if new < 0:
        assert not accepted
    if new == old:
        assert accepted


def _one_unit_certificate(y: list) -> dict:
    """z = x - 2 on [-1, 1], decided inactive at the root with the Farkas vector ``y``."""
    return {"format": "exactrelu-certificate", "version": 1, "claim": "partition",
            "network": {"format": "exactrelu-network", "version": 1, "inputs": 1, "layers": [
                {"activation": "relu", "bias": ["-2"], "inputs": [{"source": 0, "weight": [["1"]]}]},
                {"activation": "identity", "bias": ["0"], "inputs": [{"source": 1, "weight": [["1"]]}]}]},
            "domain": {"A": [["1"], ["-1"]], "b": ["1", "1"]}, "root_witness": ["0"], "complete": True,
            "nodes": [{"id": 0, "parent": None, "side": None, "decisions": [[0, "-", y]], "split": None}],
            "regions": [{"node": 0, "pattern": "0", "C": [["0"]], "d": ["0"]}]}


def test_changed_multipliers_that_still_prove_the_claim_are_accepted():
    # rows: x - 1 <= 0, -x - 1 <= 0; claim x - 2 <= 0
    assert check_certificate(_one_unit_certificate([[0, "1"]])).valid  # x - 2 - (x - 1) = -1
    assert check_certificate(_one_unit_certificate([[0, "3/2"], [1, "1/2"]])).valid  # = 0
    assert check_certificate(_one_unit_certificate([[0, "1"], [0, "1/2"], [1, "1/2"]])).valid  # rows add up
    for y in ([[0, "2"], [1, "1"]], [[0, "1/2"]], [[1, "1"]], [], [[0, "1"], [1, "0"], [1, "-1/2"]]):
        with pytest.raises(CertificateInvalid) as info:
            check_certificate(_one_unit_certificate(y))
        assert info.value.rule == "stable-farkas", y
        assert reference_accepts(_one_unit_certificate(y)) is False


# ============================================================================ (5) size and depth
def deep_threshold_certificate(depth: int) -> dict:
    """1 input on [0, 1], one ReLU layer of ``depth`` units z_i = x - t_i (t increasing).

    The tree splits unit 0, 1, ... along the ``"+"`` side; every ``"-"`` child is an open
    node, so the tree is a path of ``depth`` splits (incomplete certificate).
    """
    t = [Fraction(i + 1, depth + 2) for i in range(depth)]
    net = {"format": "exactrelu-network", "version": 1, "inputs": 1,
           "layers": [{"activation": "relu", "bias": [f"{-v.numerator}/{v.denominator}" for v in t],
                       "inputs": [{"source": 0, "weight": [["1"]] * depth}]},
                      {"activation": "identity", "bias": ["0"], "inputs": [{"source": 1, "weight": [["1"] * depth]}]}]}
    top = Fraction(2 * depth + 3, 2 * depth + 4)  # above every threshold: the "+" witness everywhere
    s = lambda q: f"{q.numerator}/{q.denominator}"  # noqa: E731
    nodes = []
    for i in range(depth):
        k = len(nodes)
        lo = t[i - 1] if i else Fraction(0)
        nodes.append({"id": k, "parent": k - 2 if i else None, "side": "+" if i else None, "decisions": [],
                      "split": {"unit": i, "pos": k + 2, "neg": k + 1, "witness_pos": [s(top)],
                                "witness_neg": [s((lo + t[i]) / 2)]}})
        nodes.append({"id": k + 1, "parent": k, "side": "-", "decisions": [], "split": None, "open": True})
    # preorder: "+" subtree first, so renumber: build in preorder explicitly
    order = []
    stack = [0]
    while stack:
        k = stack.pop()
        order.append(k)
        sp = nodes[k]["split"] if k < len(nodes) else None
        if sp is not None:
            stack.append(sp["neg"])
            stack.append(sp["pos"])
    leaf = len(nodes)
    nodes.append({"id": leaf, "parent": leaf - 2, "side": "+", "decisions": [], "split": None})
    new_id = {old: new for new, old in enumerate(order)}
    out = []
    for old in order:
        nd = copy.deepcopy(nodes[old])
        nd["id"] = new_id[old]
        nd["parent"] = None if nd["parent"] is None else new_id[nd["parent"]]
        if nd["split"] is not None:
            nd["split"]["pos"] = new_id[nd["split"]["pos"]]
            nd["split"]["neg"] = new_id[nd["split"]["neg"]]
        out.append(nd)
    return {"format": "exactrelu-certificate", "version": 1, "claim": "partition", "network": net,
            "domain": {"A": [["1"], ["-1"]], "b": ["1", "0"]}, "root_witness": [s(top)], "complete": False,
            "nodes": out,
            "regions": [{"node": new_id[leaf], "pattern": "1" * depth, "C": [[str(depth)]],
                         "d": [s(-sum(t))]}]}


def test_deep_tree_does_not_recurse():
    depth = 1500  # deeper than the default recursion limit
    cert = deep_threshold_certificate(depth)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 150)  # the checker's stack must not grow with depth
    try:
        report = check_certificate(cert)
    finally:
        sys.setrecursionlimit(old)
    assert report.nodes == 2 * depth + 1 and report.splits == depth
    assert report.leaves == 1 and report.open_nodes == depth and not report.complete
    cert["complete"] = True
    with pytest.raises(CertificateInvalid) as info:
        check_certificate(cert)
    assert info.value.rule == "tree-structure"


def test_huge_numbers():
    """Numbers beyond CPython's 4300-digit int/str limit, written unreduced, are read exactly."""
    cert = copy.deepcopy(_BASE_CERTS["abs-1d"])
    zeros = "0" * 6000  # the strings are built by hand: str() of such ints is refused by CPython
    dec = cert["nodes"][1]["decisions"][0]
    q = Fraction(dec[2][0][1])
    dec[2][0][1] = f"{q.numerator}{zeros}/{q.denominator}{zeros}"
    cert["root_witness"] = [f"1{zeros}/3{zeros}"]
    assert check_certificate(cert).valid
    dec[2][0][1] = f"{q.numerator}{zeros[:-1]}1/{q.denominator}{zeros}"
    with pytest.raises(CertificateInvalid) as info:
        check_certificate(cert)
    assert info.value.rule == "stable-farkas"
    assert len(str(info.value)) < 2000


def test_gzip_and_network_ref(tmp_path):
    cert = _load(CORPUS / "valid" / "net-2d-network-ref.json")
    (tmp_path / "sub").mkdir()
    net = _load(CORPUS / "networks" / "net-2d.json")
    (tmp_path / "n.json").write_text(json.dumps(net, indent=3))  # formatting does not change the hash
    cert["network_ref"]["path"] = "../n.json"
    with gzip.open(tmp_path / "sub" / "c.json.gz", "wt") as fh:
        json.dump(cert, fh)
    report = check_certificate(tmp_path / "sub" / "c.json.gz")
    assert report.valid and report.leaves == 11
    assert check_certificate(cert, base_dir=tmp_path / "sub").valid  # a dict: relative to base_dir
    with pytest.raises(CertificateMalformed):
        check_certificate(cert, base_dir=tmp_path)  # ../n.json does not exist from there
    cert["network_ref"]["path"] = str(tmp_path / "n.json")  # absolute paths are refused
    with pytest.raises(CertificateMalformed):
        check_certificate(cert, base_dir=tmp_path / "sub")


def test_report_counts_match_the_certificate():
    cert = _BASE_CERTS["net-2d"]
    r = check_certificate(cert)
    assert r.nodes == len(cert["nodes"])
    assert r.leaves == r.regions == len(cert["regions"])
    assert r.splits == sum(1 for nd in cert["nodes"] if nd["split"])
    assert r.stable_decisions == sum(len(nd["decisions"]) for nd in cert["nodes"])
    assert r.adjacency_pairs == len(cert["adjacency"])
    assert r.claim == "partition" and r.complete and r.n_inputs == 2 and len(r.network_sha256) == 64
    assert json.loads(json.dumps(r.to_dict()))["leaves"] == r.leaves


@pytest.mark.parametrize("junk", [None, 3, "no-such-file.json", [], {"format": "exactrelu-certificate"},
                                  {"format": "exactrelu-certificate", "version": True}])
def test_junk_is_malformed_not_a_crash(junk):
    with pytest.raises(CheckerError) as info:
        check_certificate(junk)
    assert isinstance(info.value, CertificateMalformed)


def test_wrong_types_everywhere_never_crash():
    """Replace each value of a small certificate by junk of another type: always a CheckerError."""
    base = _BASE_CERTS["abs-1d"]

    def spots(obj, path=()):
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield path + (k,)
                yield from spots(v, path + (k,))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                yield path + (i,)
                yield from spots(v, path + (i,))

    for p in spots(base):
        for junk in (None, 1.5, "x", [], {}, True, -1, [[]]):
            c = copy.deepcopy(base)
            box = c
            for k in p[:-1]:
                box = box[k]
            box[p[-1]] = junk
            try:
                check_certificate(c)
            except CheckerError:
                pass


# ============================================================================ parallel subtrees
def _same(a, b) -> bool:
    da, db = a.to_dict(), b.to_dict()
    da.pop("seconds"), db.pop("seconds")
    return da == db


def _partition_files(kind: str) -> list[Path]:
    out = []
    for p in _corpus(kind):
        if p.name.endswith(".json") and _load(p).get("claim") == "partition":
            out.append(p)
    return out


@pytest.mark.parametrize("path", _partition_files("valid"), ids=lambda p: p.name)
def test_workers_give_the_serial_report_and_every_share_passes(path):
    from exactrelu.checker import ADJACENCY, SCHEMA, checker as core, parallel

    serial_report = check_certificate(path)
    for workers in (2, 3):
        assert _same(check_certificate(path, workers=workers), serial_report)
    obj, base = core.load_certificate(path)
    ctx = core.prepare(obj, base, adjacency=ADJACENCY, schema=SCHEMA)
    core.read_certificate_tree(ctx)
    for workers in (2, 3, 5):  # the shares themselves pass (the report is not the serial fallback's)
        depth = (4 * workers).bit_length()
        results = [parallel.check_share(ctx, (depth, workers, s)) for s in range(workers)]
        assert all(r is not None for r in results)
        assert sum(r[0]["leaves"] for r in results) == serial_report.leaves
        assert sum(r[0]["splits"] for r in results) == serial_report.splits
        assert sum(r[0]["stable_decisions"] for r in results) == serial_report.stable_decisions


@pytest.mark.parametrize("path", _partition_files("invalid"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_workers_give_the_serial_rejection(path):
    with pytest.raises(CertificateInvalid) as serial_exc:
        check_certificate(path)
    with pytest.raises(CertificateInvalid) as exc:
        check_certificate(path, workers=3)
    assert (exc.value.rule, exc.value.message, exc.value.data) == \
        (serial_exc.value.rule, serial_exc.value.message, serial_exc.value.data)


def test_workers_on_the_command_line(tmp_path):
    cert = CORPUS / "valid" / "enum-3d-5.json"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    got = [subprocess.run([sys.executable, "-m", "exactrelu.checker", str(cert), "--json", *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env) for extra in ([], ["--workers", "2"])]
    assert [g.returncode for g in got] == [0, 0]
    a, b = (json.loads(g.stdout) for g in got)
    a.pop("seconds"), b.pop("seconds")
    assert a == b
    bad = subprocess.run([sys.executable, "-m", "exactrelu.checker", str(cert), "--workers", "0"],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert bad.returncode == 2
