"""Regenerate the certificate corpus: ``python proofs/corpus/make_corpus.py``.

Layout (see ../README.md)::

    valid/                 certificates the checker must accept
    invalid/<rule-id>/     certificates it must reject with exactly that rule
    malformed/             inputs it must refuse as unusable (exit code 2)
    networks/              network files referenced by ``network_ref``

Hand-made certificates come from :class:`MiniProducer`, a deliberately naive exact
producer for small input dimensions (brute-force vertex enumeration, Farkas vectors by
solving every n-row basis): it shares no code with exactrelu or with the checker. When
``exactrelu.certificate.partition.partition_certificate`` exists, certificates from the real
enumerator on a few small random networks are added, and invalid certificates are derived
from them by single mutations. Every file is checked as it is written: a valid one must
pass, an invalid one must fail with the rule of its folder, a malformed one must be
refused as malformed.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import itertools
import json
import random
import shutil
import sys
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from exactrelu.checker import CertificateInvalid, CertificateMalformed, check_certificate  # noqa: E402


def fmt(q) -> str:
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


# ============================================================================ networks
def network(n_inputs: int, layers: list) -> dict:
    """A native network dict. ``layers``: ``(activation, {source: W}, b)``."""
    return {"format": "exactrelu-network", "version": 1, "inputs": n_inputs,
            "layers": [{"activation": act, "bias": [fmt(v) for v in b],
                        "inputs": [{"source": s, "weight": [[fmt(v) for v in row] for row in W]}
                                   for s, W in sorted(ins.items())]}
                       for act, ins, b in layers]}


def mlp(n_inputs: int, layers: list) -> dict:
    """ReLU on all layers but the last (identity). ``layers``: ``(W, b)``."""
    return network(n_inputs, [("relu" if k < len(layers) - 1 else "identity", {k: W}, b)
                              for k, (W, b) in enumerate(layers)])


def box(lo: list, hi: list) -> tuple[list, list]:
    n = len(lo)
    A, b = [], []
    for i in range(n):
        A.append([1 if j == i else 0 for j in range(n)])
        b.append(hi[i])
        A.append([-1 if j == i else 0 for j in range(n)])
        b.append(-lo[i])
    return A, b


# ============================================================================ a naive producer
def solve(M: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Solve the square system M x = rhs exactly; None if singular."""
    n = len(M)
    A = [list(map(Fraction, row)) + [Fraction(r)] for row, r in zip(M, rhs)]
    for c in range(n):
        piv = next((r for r in range(c, n) if A[r][c] != 0), None)
        if piv is None:
            return None
        A[c], A[piv] = A[piv], A[c]
        for r in range(n):
            if r != c and A[r][c] != 0:
                f = A[r][c] / A[c][c]
                A[r] = [x - f * y for x, y in zip(A[r], A[c])]
    return [A[i][n] / A[i][i] for i in range(n)]


class MiniProducer:
    """Exact splitting-tree certificates by brute force (small n, few rows only)."""

    def __init__(self, net: dict, A: list, b: list) -> None:
        self.net = net
        self.n = net["inputs"]
        self.layers = net["layers"]
        self.A = [tuple(Fraction(v) for v in row) for row in A]
        self.b = [Fraction(v) for v in b]
        self.units = [(k, j) for k, lay in enumerate(self.layers, start=1) if lay["activation"] == "relu"
                      for j in range(len(lay["bias"]))]

    # forms: lists of n + 1 Fractions (coefficients, constant)
    def forms(self, bits: dict, upto: int | None = None) -> list:
        """Output forms of each layer given the bits of the ReLU units (None if unknown)."""
        n = self.n
        outs = [[[Fraction(int(i == c)) for c in range(n)] + [Fraction(0)] for i in range(n)]]
        pres = [None]
        off = 0
        for k, lay in enumerate(self.layers, start=1):
            pre = []
            for j, bj in enumerate(lay["bias"]):
                f = [Fraction(0)] * n + [Fraction(bj)]
                ok = True
                for item in lay["inputs"]:
                    src = outs[item["source"]]
                    for i, wv in enumerate(item["weight"][j]):
                        if src[i] is None:
                            ok = False
                            break
                        f = [a + Fraction(wv) * c for a, c in zip(f, src[i])]
                pre.append(f if ok else None)
            pres.append(pre)
            if lay["activation"] == "relu":
                out = []
                for j, f in enumerate(pre):
                    bit = bits.get(off + j)
                    out.append(None if bit is None or f is None else (f if bit else [Fraction(0)] * (n + 1)))
                off += len(pre)
            else:
                out = pre
            outs.append(out)
        return pres, outs

    def vertices(self, rows: list) -> list:
        n = self.n
        out = set()
        for S in itertools.combinations(range(len(rows)), n):
            x = solve([list(rows[i][0]) for i in S], [rows[i][1] for i in S])
            if x is None:
                continue
            if all(sum(a * xi for a, xi in zip(r[0], x)) <= r[1] for r in rows):
                out.add(tuple(x))
        return sorted(out)

    def interior(self, rows: list):
        """A point strictly inside every row (vertex centroid), or None."""
        V = self.vertices(rows)
        if not V:
            return None
        c = [sum(v[i] for v in V) / len(V) for i in range(self.n)]
        if all(sum(a * xi for a, xi in zip(r[0], c)) < r[1] for r in rows):
            return c
        return None

    def farkas(self, rows: list, q: list, q0: Fraction) -> dict:
        """y >= 0 with sum y_i a_i = q and b.y + q0 <= 0 (q.x + q0 <= 0 on the cell)."""
        n = self.n
        if not any(q):
            assert q0 <= 0
            return {}
        best = None
        for S in itertools.combinations(range(len(rows)), n):
            y = solve([[rows[i][0][c] for i in S] for c in range(n)], q)
            if y is None or any(v < 0 for v in y):
                continue
            const = sum(rows[i][1] * v for i, v in zip(S, y)) + q0
            if const <= 0 and (best is None or len([v for v in y if v]) < len(best)):
                best = {i: v for i, v in zip(S, y) if v}
        assert best is not None, "no Farkas vector found"
        return best

    def certificate(self, embed: bool = True) -> dict:
        n = self.n
        rows0 = list(zip(self.A, self.b))
        root_w = self.interior(rows0)
        assert root_w is not None
        nodes: list = []
        regions: list = []
        leaves: list = []  # (id, rows, pattern)
        # iterative DFS; the "-" subtree is numbered after the "+" subtree
        stack = [(None, None, rows0, {}, 0, root_w)]
        while stack:
            parent, side, rows, bits, u, witness = stack.pop()
            k = len(nodes)
            node = {"id": k, "parent": parent, "side": side, "decisions": [], "split": None, "open": False}
            nodes.append(node)
            if parent is not None and side == "-":
                nodes[parent]["split"]["neg"] = k
            bits = dict(bits)
            while u < len(self.units):
                pres, _ = self.forms(bits)
                lk, j = self.units[u]
                z = pres[lk][j]
                g, g0 = z[:n], z[n]
                V = self.vertices(rows)
                vals = [sum(a * x for a, x in zip(g, v)) + g0 for v in V]
                if max(vals) <= 0:
                    y = self.farkas(rows, g, g0)
                    node["decisions"].append([u, "-", [[i, fmt(v)] for i, v in sorted(y.items())]])
                    bits[u] = 0
                elif min(vals) >= 0:
                    y = self.farkas(rows, [-c for c in g], -g0)
                    node["decisions"].append([u, "+", [[i, fmt(v)] for i, v in sorted(y.items())]])
                    bits[u] = 1
                else:
                    rpos = rows + [(tuple(-c for c in g), g0)]
                    rneg = rows + [(tuple(g), -g0)]
                    wp, wn = self.interior(rpos), self.interior(rneg)
                    node["split"] = {"unit": u, "pos": k + 1, "neg": None,
                                     "witness_pos": [fmt(v) for v in wp], "witness_neg": [fmt(v) for v in wn]}
                    stack.append((k, "-", rneg, {**bits, u: 0}, u + 1, wn))
                    stack.append((k, "+", rpos, {**bits, u: 1}, u + 1, wp))
                    break
                u += 1
            else:
                pattern = "".join(str(bits[i]) for i in range(len(self.units)))
                _, outs = self.forms(bits)
                out = outs[-1]
                regions.append({"node": k, "pattern": pattern,
                                "C": [[fmt(c) for c in f[:n]] for f in out], "d": [fmt(f[n]) for f in out]})
                leaves.append((k, rows, pattern))
        cert = {"format": "exactrelu-certificate", "version": 1, "claim": "partition"}
        if embed:
            cert["network"] = self.net
        cert.update({"domain": {"A": [[fmt(v) for v in r] for r in self.A], "b": [fmt(v) for v in self.b]},
                     "root_witness": [fmt(v) for v in root_w], "complete": True, "nodes": nodes,
                     "regions": regions, "adjacency": self.adjacency(leaves)})
        return cert

    def adjacency(self, leaves: list) -> list:
        """Pairs of leaves sharing a facet, with the facet's vertex centroid as witness."""
        n = self.n
        out = []
        seen = set()
        for ka, rows_a, pa in leaves:
            V = self.vertices(rows_a)
            for a_r, b_r in rows_a:
                on = [v for v in V if sum(x * y for x, y in zip(a_r, v)) == b_r]
                if len(on) < n:
                    continue
                w = [sum(v[i] for v in on) / len(on) for i in range(n)]
                h = list(a_r) + [-b_r]

                def ok(rows):
                    for a, bb in rows:
                        s = sum(x * y for x, y in zip(a, w)) - bb
                        if s > 0:
                            return False
                        if s == 0:
                            j = next(c for c, hc in enumerate(h) if hc)
                            r = list(a) + [-bb]
                            if any(x * h[j] != r[j] * hc for x, hc in zip(r, h)):
                                return False
                    return True

                if not ok(rows_a):
                    continue  # a lower-dimensional "facet"
                for kb, rows_b, pb in leaves:
                    if kb != ka and (min(ka, kb), max(ka, kb)) not in seen and ok(rows_b):
                        seen.add((min(ka, kb), max(ka, kb)))
                        out.append({"a": ka, "b": kb, "hyperplane": [fmt(v) for v in h],
                                    "witness": [fmt(v) for v in w],
                                    "units": [u for u, (x, y) in enumerate(zip(pa, pb)) if x != y]})
        return out


# ============================================================================ example networks
def abs_net() -> dict:
    """|x| = relu(x) + relu(-x)."""
    return mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])


def tent_net(depth: int) -> dict:
    """The tent map t(x) = 2 relu(x) - 4 relu(x - 1/2) composed ``depth`` times on [0, 1]."""
    layers = [("relu", {0: [[1], [1]]}, [0, Fraction(-1, 2)])]
    for k in range(1, depth):
        layers.append(("relu", {k: [[2, -4], [2, -4]]}, [0, Fraction(-1, 2)]))
    layers.append(("identity", {depth: [[2, -4]]}, [0]))
    return network(1, layers)


def net2d() -> dict:
    return mlp(2, [([[1, -1], [1, 1], [0, 1]], [0, Fraction(-1, 2), Fraction(1, 3)]),
                   ([[1, -2, 1], [-1, 1, 1]], [Fraction(1, 4), 0]), ([[1, 1], [2, -1]], [0, 1])])


def skip_net() -> dict:
    """A residual net: h1 = relu(W x), h2 = relu(V h1 + x), y = h2 + 2 x (identity)."""
    return network(2, [("relu", {0: [[1, 1], [1, -1]]}, [0, Fraction(1, 5)]),
                       ("relu", {0: [[1, 0], [0, 1]], 1: [[1, -1], [-1, 2]]}, [Fraction(-1, 3), 0]),
                       ("identity", {0: [[2, 0]], 2: [[1, 1]]}, [0])])


def relu_out_net() -> dict:
    """Output layer is a ReLU layer; a dead unit with zero pre-activation on the domain."""
    return network(2, [("relu", {0: [[1, 0], [0, 0]]}, [0, 0]),
                       ("identity", {1: [[1, 1], [1, 0]]}, [0, 0]),
                       ("relu", {2: [[1, -1]], 0: [[0, 1]]}, [Fraction(-1, 4)])])


# ============================================================================ mutations
def leaves_of(cert: dict) -> list:
    return [nd for nd in cert["nodes"] if nd["split"] is None and not nd.get("open")]


def first(cert: dict, pred):
    return next(nd for nd in cert["nodes"] if pred(nd))


def is_basis(d) -> bool:
    """Whether a decision's evidence is a vertex basis ``[i, j]`` (not a Farkas vector)."""
    return bool(d[2]) and type(d[2][0]) is int


def with_decision(cert, sign=None, min_terms=1, basis=None):
    """The first node with a decision of ``sign`` with at least ``min_terms`` entries of
    evidence; ``basis`` True/False: only vertex bases / Farkas vectors (None: either)."""
    return first(cert, lambda nd: any((sign is None or d[1] == sign) and len(d[2]) >= min_terms
                                      and (basis is None or is_basis(d) == basis) for d in nd["decisions"]))


def a_decision(nd, basis=False):
    return next(d for d in nd["decisions"] if d[2] and is_basis(d) == basis)


def bump(s: str, by: int = 1) -> str:
    q = Fraction(s)
    return fmt(Fraction(q.numerator + by, q.denominator))


def mutations(base: dict, net_ref_ok: bool = False) -> list:
    """Single mutations of a valid certificate: ``(rule, name, certificate)``."""
    out = []

    def mut(rule, name, f):
        c = copy.deepcopy(base)
        try:
            if f(c) is False:
                return
        except StopIteration:  # nothing in this certificate to mutate that way
            return
        out.append((rule, name, c))

    n = base["network"]["inputs"]

    # domain-witness
    def root_on_boundary(c):
        A, b = c["domain"]["A"], c["domain"]["b"]
        # move the root witness onto row 0 of the domain: a.w = b
        a = [Fraction(v) for v in A[0]]
        w = [Fraction(v) for v in c["root_witness"]]
        j = next(i for i, v in enumerate(a) if v)
        w[j] += (Fraction(b[0]) - sum(x * y for x, y in zip(a, w))) / a[j]
        c["root_witness"] = [fmt(v) for v in w]
    mut("domain-witness", "root-witness-on-boundary", root_on_boundary)
    mut("domain-witness", "root-witness-outside", lambda c: c.__setitem__("root_witness", [str(10 ** 6)] * n))

    # tree-structure
    def dropped_node(c):
        k = leaves_of(c)[-1]["id"]
        del c["nodes"][k]
    mut("tree-structure", "dropped-leaf-node", dropped_node)

    def wrong_id(c):
        c["nodes"][-1]["id"] += 1
    mut("tree-structure", "wrong-id", wrong_id)

    def wrong_parent(c):
        nd = c["nodes"][-1]
        nd["parent"] = (nd["parent"] + 1) if nd["parent"] + 1 != nd["id"] else 0
    mut("tree-structure", "wrong-parent", wrong_parent)

    def wrong_side(c):
        nd = c["nodes"][1]
        nd["side"] = "-" if nd["side"] == "+" else "+"
    mut("tree-structure", "wrong-side", wrong_side)

    def swapped_children(c):
        sp = c["nodes"][0]["split"]
        sp["pos"], sp["neg"] = sp["neg"], sp["pos"]
    mut("tree-structure", "swapped-children", swapped_children)

    def open_in_complete(c):
        leaves_of(c)[0]["open"] = True
    mut("tree-structure", "open-node-in-complete-certificate", open_in_complete)

    def orphan(c):
        c["nodes"].append({"id": len(c["nodes"]), "parent": 0, "side": "+", "decisions": [], "split": None,
                           "open": False})
    mut("tree-structure", "unreachable-node", orphan)

    # decision-order
    def twice(c):
        nd = with_decision(c)
        d = nd["decisions"][0]
        nd["decisions"].append(copy.deepcopy(d))
    mut("decision-order", "unit-decided-twice", twice)

    def leaf_missing(c):
        nd = first(c, lambda nd: nd["split"] is None and nd["decisions"])
        nd["decisions"].pop()
        # its region stays; the checker must stop at the missing decision first
    mut("decision-order", "leaf-misses-a-unit", leaf_missing)

    def out_of_order(c):
        # a node that decides units of two layers: move a later-layer decision first
        for nd in c["nodes"]:
            us = [d[0] for d in nd["decisions"]]
            for i in range(len(us)):
                for j in range(i + 1, len(us)):
                    if layer_of(c, us[j]) > layer_of(c, us[i]):
                        nd["decisions"].insert(i, nd["decisions"].pop(j))
                        return None
        return False
    mut("decision-order", "out-of-layer-order", out_of_order)

    def later_layer_at_root(c):
        # move a decision of a unit of the second (or later) ReLU layer to the front of the root
        first_layer = layer_of(c, 0)
        for nd in c["nodes"]:
            for j, d in enumerate(nd["decisions"]):
                if layer_of(c, d[0]) > first_layer:
                    c["nodes"][0]["decisions"].insert(0, nd["decisions"].pop(j))
                    return None
        return False
    mut("decision-order", "later-layer-unit-decided-first", later_layer_at_root)

    def no_such_unit(c):
        nd = with_decision(c)
        nd["decisions"][0][0] = 10 ** 6
    mut("decision-order", "unit-does-not-exist", no_such_unit)

    # stable-farkas: Farkas vectors
    def altered(c):
        d = a_decision(with_decision(c, basis=False))
        d[2][0][1] = bump(d[2][0][1])
    mut("stable-farkas", "altered-multiplier", altered)

    def negative(c):
        d = a_decision(with_decision(c, basis=False))
        d[2][0][1] = fmt(-Fraction(d[2][0][1]))
    mut("stable-farkas", "negative-multiplier", negative)

    def wrong_sign(c):
        d = a_decision(with_decision(c, basis=False))
        d[1] = "+" if d[1] == "-" else "-"
        # keep the region's pattern in step so that only the Farkas check can fail first
    mut("stable-farkas", "wrong-sign", wrong_sign)

    def bad_row(c):
        d = a_decision(with_decision(c, basis=False))
        d[2][0][0] = 999
    mut("stable-farkas", "row-out-of-range", bad_row)

    # stable-farkas: vertex bases (2-D enumerator certificates)
    def basis_wrong_sign(c):
        d = a_decision(with_decision(c, basis=True), basis=True)
        d[1] = "+" if d[1] == "-" else "-"
    mut("stable-farkas", "basis-wrong-sign", basis_wrong_sign)

    def basis_bad_row(c):
        d = a_decision(with_decision(c, basis=True), basis=True)
        d[2] = [d[2][0], 999]
    mut("stable-farkas", "basis-row-out-of-range", basis_bad_row)

    def basis_same_row(c):
        d = a_decision(with_decision(c, basis=True), basis=True)
        d[2] = [d[2][0], d[2][0]]
    mut("stable-farkas", "basis-same-row", basis_same_row)

    def basis_other_vertex(c):
        # the first decision whose basis, with one row exchanged for another cell row, no
        # longer proves the sign (a vertex where the unit's sign or the cone test fails)
        for nd in c["nodes"]:
            for d in nd["decisions"]:
                if not is_basis(d):
                    continue
                i, j = d[2]
                for r in range(4):  # the domain rows of the box
                    if r in (i, j):
                        continue
                    d[2] = [i, r]
                    try:
                        check_certificate(c)
                    except CertificateInvalid as exc:
                        if exc.rule == "stable-farkas":
                            return
                    d[2] = [i, j]
        raise StopIteration
    mut("stable-farkas", "basis-other-vertex", basis_other_vertex)

    # split-witness
    def outside(c):
        sp = first(c, lambda nd: nd["split"] is not None)["split"]
        sp["witness_pos"] = [str(10 ** 6)] * n
    mut("split-witness", "witness-outside-cell", outside)

    def wrong_side_w(c):
        sp = first(c, lambda nd: nd["split"] is not None)["split"]
        sp["witness_pos"], sp["witness_neg"] = sp["witness_neg"], sp["witness_pos"]
    mut("split-witness", "witnesses-swapped", wrong_side_w)

    def on_hyperplane(c):
        nd = first(c, lambda nd: nd["split"] is not None)
        sp = nd["split"]
        wp = [Fraction(v) for v in sp["witness_pos"]]
        wn = [Fraction(v) for v in sp["witness_neg"]]
        # the point of the segment wp..wn where the (affine) z vanishes, via z at both ends
        zp, zn = z_at(c, nd["id"], sp["unit"], wp), z_at(c, nd["id"], sp["unit"], wn)
        t = zp / (zp - zn)
        sp["witness_pos"] = [fmt(a + t * (b - a)) for a, b in zip(wp, wn)]
    mut("split-witness", "witness-on-the-split-hyperplane", on_hyperplane)

    # region-pattern
    def swap_bit(c):
        r = c["regions"][0]
        p = r["pattern"]
        r["pattern"] = p[:-1] + ("0" if p[-1] == "1" else "1")
    mut("region-pattern", "swapped-bit", swap_bit)
    mut("region-pattern", "short-pattern", lambda c: c["regions"][0].__setitem__("pattern", c["regions"][0]["pattern"][:-1]))

    # region-map
    def alter_C(c):
        r = c["regions"][-1]
        r["C"][0][0] = bump(r["C"][0][0])
    mut("region-map", "altered-C", alter_C)
    mut("region-map", "altered-d", lambda c: c["regions"][0]["d"].__setitem__(0, bump(c["regions"][0]["d"][0], 3)))

    def alter_output_bias(c):
        lay = c["network"]["layers"][-1]
        if lay["activation"] == "relu":
            return False
        lay["bias"][0] = bump(lay["bias"][0])
    mut("region-map", "altered-output-bias-in-embedded-network", alter_output_bias)

    def alter_output_weight(c):
        # an output-layer weight only enters the leaves' maps; pick one read from a unit that
        # is active on some leaf, so that some region's C must change
        layers = c["network"]["layers"]
        if layers[-1]["activation"] == "relu":
            return False
        item = next(it for it in layers[-1]["inputs"] if it["source"] == len(layers) - 1)
        off = sum(len(l["bias"]) for l in layers[:-2] if l["activation"] == "relu")
        active = {j for r in c["regions"] for j in range(len(item["weight"][0])) if r["pattern"][off + j] == "1"}
        if layers[-2]["activation"] != "relu" or not active:
            return False
        j = min(active)
        item["weight"][0][j] = bump(item["weight"][0][j])
    mut("region-map", "altered-output-weight-in-embedded-network", alter_output_weight)

    # region-list
    mut("region-list", "dropped-region", lambda c: c["regions"].pop())
    mut("region-list", "duplicate-region", lambda c: c["regions"].append(copy.deepcopy(c["regions"][0])))

    def region_of_internal(c):
        r = copy.deepcopy(c["regions"][0])
        r["node"] = 0
        c["regions"].append(r)
    mut("region-list", "region-for-internal-node", region_of_internal)

    # adjacency
    if base.get("adjacency"):
        def move_witness(c):
            e = c["adjacency"][0]
            h = [Fraction(v) for v in e["hyperplane"]]
            w = [Fraction(v) for v in e["witness"]]
            j = next(i for i, v in enumerate(h[:-1]) if v)
            w[j] += Fraction(1, 1000) / h[j]
            e["witness"] = [fmt(v) for v in w]
        mut("adjacency", "witness-off-hyperplane", move_witness)

        def wrong_units(c):
            e = c["adjacency"][0]
            e["units"] = e["units"][1:] if e["units"] else [0]
        mut("adjacency", "wrong-units", wrong_units)

        def not_neighbours(c):
            # pair two leaves whose closures do not share the claimed piece
            e = c["adjacency"][0]
            ids = [nd["id"] for nd in leaves_of(c)]
            others = [k for k in ids if k not in (e["a"], e["b"])]
            if not others:
                return False
            e["b"] = others[-1]
        mut("adjacency", "not-neighbours", not_neighbours)

        def self_pair(c):
            e = c["adjacency"][0]
            e["b"] = e["a"]
        mut("adjacency", "leaf-paired-with-itself", self_pair)

        def internal(c):
            c["adjacency"][0]["a"] = 0
        mut("adjacency", "internal-node", internal)

        def zero_c(c):
            e = c["adjacency"][0]
            e["hyperplane"] = ["0"] * (len(e["hyperplane"]) - 1) + ["0"]
        mut("adjacency", "zero-hyperplane", zero_c)
    return out


def layer_of(cert: dict, u: int) -> int:
    k = 0
    for idx, lay in enumerate(cert["network"]["layers"]):
        if lay["activation"] == "relu":
            if u < k + len(lay["bias"]):
                return idx
            k += len(lay["bias"])
    raise ValueError(u)


def z_at(cert: dict, node_id: int, unit: int, x: list) -> Fraction:
    """Pre-activation of ``unit`` at point x under the bits on the path to ``node_id``."""
    nodes = cert["nodes"]
    bits = {}
    k = node_id
    while k is not None:
        nd = nodes[k]
        for d in nd["decisions"]:
            bits[d[0]] = 1 if d[1] == "+" else 0
        if nd["parent"] is not None:
            bits[nodes[nd["parent"]]["split"]["unit"]] = 1 if nd["side"] == "+" else 0
        k = nd["parent"]
    net = cert["network"]
    outs = [list(x)]
    off = 0
    for lay in net["layers"]:
        z = [Fraction(b) for b in lay["bias"]]
        for item in lay["inputs"]:
            for j, row in enumerate(item["weight"]):
                z[j] += sum(Fraction(w) * h for w, h in zip(row, outs[item["source"]]))
        if lay["activation"] == "relu":
            if off <= unit < off + len(z):
                return z[unit - off]
            outs.append([v if bits.get(off + j) == 1 else Fraction(0) for j, v in enumerate(z)])
            off += len(z)
        else:
            outs.append(z)
    raise ValueError(unit)


# ============================================================================ writing
def write(path: Path, obj, raw: bytes | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw)
    else:
        compact = "invalid" in path.parts or len(json.dumps(obj)) > 20000
        path.write_text(json.dumps(obj, indent=None if compact else 1) + "\n")


def expect(path: Path, rule: str | None) -> None:
    """rule None: must be valid; 'malformed': must be malformed; else that rule."""
    try:
        check_certificate(path)
    except CertificateInvalid as exc:
        if exc.rule != rule:
            raise SystemExit(f"{path}: expected {rule}, got invalid {exc.rule}: {exc.message}")
        return
    except CertificateMalformed as exc:
        if rule != "malformed":
            raise SystemExit(f"{path}: expected {rule}, got malformed: {exc.message}")
        return
    if rule is not None:
        raise SystemExit(f"{path}: expected {rule}, but it is accepted")


def canonical_sha256(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def enumerator_certificates(seed: int = 7) -> list:
    """(name, certificate) from exactrelu's enumerator, if the certificate module exists."""
    try:
        from exactrelu.certificate.partition import partition_certificate
        from exactrelu.domain.polytope import box as ebox
        from exactrelu.io.native_json import network_from_dict
        from exactrelu.regions.walk import enumerate_regions
    except ImportError:
        return []
    rng = random.Random(seed)
    out = []
    for name, n, widths in [("enum-2d-4-3", 2, [4, 3]), ("enum-3d-5", 3, [5]), ("enum-2d-3-3-2", 2, [3, 3, 2]),
                            ("enum-1d-4-4", 1, [4, 4])]:
        sizes = [n] + widths + [2]
        layers = [([[Fraction(rng.randint(-4, 4), rng.randint(1, 3)) for _ in range(sizes[i])]
                    for _ in range(sizes[i + 1])],
                   [Fraction(rng.randint(-3, 3), rng.randint(1, 4)) for _ in range(sizes[i + 1])])
                  for i in range(len(sizes) - 1)]
        netd = mlp(n, layers)
        net = network_from_dict(netd)
        part = enumerate_regions(net, ebox([-1] * n, [1] * n))
        cert = partition_certificate(part, embed_network=True)
        try:
            check_certificate(cert)
        except CertificateInvalid as exc:
            # a producer bug: keep the certificate without the offending evidence, and say so
            print(f"WARNING: enumerator certificate {name} rejected ({exc.rule}: {exc.message})")
            if exc.rule != "adjacency":
                raise
            cert["adjacency"] = []
        out.append((name, cert))
    # an incomplete run
    part = enumerate_regions(network_from_dict(net2d()), ebox([-1, -1], [1, 1]), max_regions=3)
    out.append(("enum-2d-partial", partition_certificate(part, embed_network=True)))
    return out


def main() -> None:
    for sub in ("valid", "invalid", "malformed", "networks"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
    valid: dict[str, dict] = {}
    A1, b1 = box([-1], [1])
    valid["abs-1d"] = MiniProducer(abs_net(), A1, b1).certificate()
    A, b = box([0], [1])
    valid["tent-1d-depth3"] = MiniProducer(tent_net(3), A, b).certificate()
    A2, b2 = box([-1, -1], [1, 1])
    valid["net-2d"] = MiniProducer(net2d(), A2, b2).certificate()
    valid["skip-2d"] = MiniProducer(skip_net(), A2, b2).certificate()
    valid["relu-output-2d"] = MiniProducer(relu_out_net(), A2, b2).certificate()
    # a triangle domain (not a box)
    valid["triangle-2d"] = MiniProducer(net2d(), [[-1, 0], [0, -1], [1, 1]], [1, 1, Fraction(1, 2)]).certificate()
    # an incomplete certificate: the "-" child of the root is left open
    part = copy.deepcopy(valid["net-2d"])
    part["complete"] = False
    root = part["nodes"][0]
    neg = root["split"]["neg"]
    keep = part["nodes"][:neg]
    keep.append({"id": neg, "parent": 0, "side": "-", "decisions": [], "split": None, "open": True})
    part["nodes"] = keep
    part["regions"] = [r for r in part["regions"] if r["node"] < neg]
    part["adjacency"] = [e for e in part["adjacency"] if e["a"] < neg and e["b"] < neg]
    valid["net-2d-partial"] = part
    # without the optional lists
    bare = copy.deepcopy(valid["skip-2d"])
    del bare["regions"], bare["adjacency"]
    valid["skip-2d-no-regions"] = bare
    # a network file referenced by hash
    netdir = HERE / "networks"
    write(netdir / "net-2d.json", net2d())
    ref = copy.deepcopy(valid["net-2d"])
    del ref["network"]
    ref["network_ref"] = {"path": "../networks/net-2d.json", "sha256": canonical_sha256(net2d())}
    valid["net-2d-network-ref"] = ref
    for name, cert in enumerator_certificates():
        valid[name] = cert

    for name, cert in valid.items():
        write(HERE / "valid" / f"{name}.json", cert)
        expect(HERE / "valid" / f"{name}.json", None)
    (HERE / "valid" / "net-2d.json.gz").write_bytes(gzip.compress(json.dumps(valid["net-2d"]).encode(), mtime=0))
    expect(HERE / "valid" / "net-2d.json.gz", None)

    # ---- invalid: single mutations of valid certificates
    count = 0
    for base_name in ("net-2d", "skip-2d", "abs-1d", "enum-2d-4-3", "enum-2d-3-3-2"):
        if base_name not in valid:
            continue
        for rule, name, cert in mutations(valid[base_name]):
            p = HERE / "invalid" / rule / f"{base_name}--{name}.json"
            write(p, cert)
            expect(p, rule)
            count += 1
    # network-hash: a referenced file whose weights were altered, or a wrong hash
    bad = copy.deepcopy(net2d())
    bad["layers"][0]["bias"][0] = "1/7"
    write(netdir / "net-2d-altered.json", bad)
    for name, path, sha in [("altered-weight-in-referenced-network", "../../networks/net-2d-altered.json",
                             canonical_sha256(net2d())),
                            ("wrong-hash", "../../networks/net-2d.json", "0" * 64)]:
        c = copy.deepcopy(ref)
        c["network_ref"] = {"path": path, "sha256": sha}
        p = HERE / "invalid" / "network-hash" / f"{name}.json"
        write(p, c)
        expect(p, "network-hash")
        count += 1

    # ---- malformed
    mal = HERE / "malformed"
    base = valid["abs-1d"]
    text = json.dumps(base)
    write(mal / "truncated.json", None, text[: len(text) // 2].encode())
    write(mal / "empty-file.json", None, b"")
    write(mal / "not-json.json", None, b"exactrelu certificate, trust me\n")
    write(mal / "broken.json.gz", None, gzip.compress(text.encode(), mtime=0)[:-12])
    write(mal / "duplicate-key.json", None, text.replace('"complete": true', '"complete": false, "complete": true').encode())
    write(mal / "top-level-list.json", [base])

    def mal_variant(name, f):
        c = copy.deepcopy(base)
        f(c)
        write(mal / f"{name}.json", c)

    mal_variant("wrong-version", lambda c: c.__setitem__("version", 2))
    mal_variant("wrong-format", lambda c: c.__setitem__("format", "exactrelu-proof"))
    mal_variant("unknown-claim", lambda c: c.__setitem__("claim", "bounds-v0"))
    mal_variant("float-witness", lambda c: c.__setitem__("root_witness", [0.0]))
    mal_variant("float-multiplier", lambda c: c["nodes"][1]["decisions"][0][2][0].__setitem__(1, 1.0))
    mal_variant("float-weight", lambda c: c["network"]["layers"][0]["bias"].__setitem__(0, 0.5))
    mal_variant("decimal-in-certificate", lambda c: c.__setitem__("root_witness", ["0.0"]))
    mal_variant("zero-denominator", lambda c: c.__setitem__("root_witness", ["1/0"]))
    mal_variant("missing-nodes", lambda c: c.pop("nodes"))
    mal_variant("missing-domain", lambda c: c.pop("domain"))
    mal_variant("missing-complete", lambda c: c.pop("complete"))
    mal_variant("missing-network", lambda c: c.pop("network"))
    mal_variant("node-missing-decisions", lambda c: c["nodes"][1].pop("decisions"))
    mal_variant("node-missing-split", lambda c: c["nodes"][1].pop("split"))
    mal_variant("nodes-not-a-list", lambda c: c.__setitem__("nodes", {"0": c["nodes"][0]}))
    mal_variant("unit-is-a-string", lambda c: c["nodes"][1]["decisions"][0].__setitem__(0, "1"))
    mal_variant("complete-is-a-string", lambda c: c.__setitem__("complete", "true"))
    mal_variant("witness-wrong-length", lambda c: c.__setitem__("root_witness", ["0", "0"]))
    mal_variant("decision-bad-sign", lambda c: c["nodes"][1]["decisions"][0].__setitem__(1, "0"))
    mal_variant("network-bad-shape", lambda c: c["network"]["layers"][1]["inputs"][0]["weight"][0].pop())
    mal_variant("network-bad-source", lambda c: c["network"]["layers"][1]["inputs"][0].__setitem__("source", 2))
    mal_variant("both-network-and-ref", lambda c: c.__setitem__("network_ref", {"path": "x.json", "sha256": "0" * 64}))
    mal_variant("region-C-wrong-shape", lambda c: c["regions"][0]["C"].append(["1"]))

    mal_variant("basis-in-1d", lambda c: c["nodes"][1]["decisions"][0].__setitem__(2, [0, 1]))

    def basis_variant(name, f):
        c = copy.deepcopy(valid["enum-2d-4-3"])
        d = a_decision(with_decision(c, basis=True), basis=True)
        f(d)
        write(mal / f"{name}.json", c)

    basis_variant("basis-one-row", lambda d: d.__setitem__(2, d[2][:1]))
    basis_variant("basis-three-rows", lambda d: d[2].append(0))
    basis_variant("basis-row-is-a-string", lambda d: d[2].__setitem__(1, "1"))

    def missing_file(c):
        del c["network"]
        c["network_ref"] = {"path": "../networks/no-such-network.json", "sha256": "0" * 64}
    mal_variant("missing-network-file", missing_file)
    malformed = sorted(mal.iterdir())
    for p in malformed:
        expect(p, "malformed")
    print(f"corpus: {len(valid) + 1} valid, {count} invalid, {len(malformed)} malformed")


if __name__ == "__main__":
    main()
    # the claim-specific corpora live in their own scripts; this one clears the folders first
    import runpy

    for extra in ("make_outputs_corpus.py", "make_lattice_corpus.py", "make_fields_corpus.py"):
        if (HERE / extra).exists():
            runpy.run_path(str(HERE / extra), run_name="__main__")
