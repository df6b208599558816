"""Checker rules for claims about network *outputs* over a partition (standard library only).

Claims (see ``proofs/rules/`` for statements and soundness proofs):

* ``equivalence`` — two networks agree on the domain. The checker builds the difference
  network ``J = A - B`` from the two embedded networks itself (rule
  ``equivalence-network``), checks J's splitting tree with every partition rule, and
  checks that J's recomputed output map is identically zero on every leaf (rule
  ``equivalence-leaf``); an incomplete tree proves nothing (``equivalence-complete``).
* ``bounds`` — for listed outputs ``k``: ``min_k <= y_k <= max_k`` on the domain, each
  bound attained at a given point (``bounds-witness``) and each leaf carrying two Farkas
  vectors (``bounds-farkas``).
* ``property`` — a VNN-LIB property holds: for every disjunct, on every leaf of the
  partition of its input region, the disjunct's constraints (outputs replaced by the
  leaf's recomputed affine map) are infeasible, by a Farkas vector (``property-farkas``);
  the network is restricted to fixed inputs by the checker itself. A partition may be
  incomplete when every open node carries a pruning proof (``prune-*`` rules,
  :mod:`.prune`); an open node without one fails ``property-complete``. A property
  that fixes every input has one input point and no partition: the checker evaluates the
  network there and requires that no disjunct is met (``property-point``).
* ``counterexample`` — a point that violates a property, re-evaluated exactly
  (``counterexample-point``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from operator import mul
from typing import Any

from ..checker import (HEAD_FIELDS, TREE_FIELDS, CertificateMalformed, Context, NetworkFormatError, as_int, canonical_sha256, domain_rows,
                       evaluate, fields, invalid, network_number, partition_leaves,
                       read_certificate_tree, read_network, read_point, read_tree, require)
from .farkas import farkas_proves, motzkin_proves
from . import prune
from .prune import check_pruned_cell

__all__ = ["SCHEMA", "check_equivalence", "check_bounds", "check_property", "check_counterexample",
           "difference_network_json", "restrict_network_json"]

OUTPUT_RULES = ("equivalence-network", "equivalence-complete", "equivalence-leaf", "bounds-witness",
                "bounds-farkas", "bounds-complete", "property-farkas", "property-complete", "property-coverage",
                "property-point", "counterexample-point")
#: The fields of these claims' objects.
SCHEMA: dict[str, frozenset] = {k: frozenset(v) for k, v in {
    "bounds certificate": HEAD_FIELDS + TREE_FIELDS + ("bounds", "proofs"),
    "equivalence certificate": HEAD_FIELDS + TREE_FIELDS + ("network_a", "network_b"),
    "property certificate": ("format", "version", "claim", "network", "property", "complete", "partitions"),
    "counterexample certificate": ("format", "version", "claim", "network", "property", "complete", "point"),
    "bound": ("output", "min", "max", "argmin", "argmax"),
    "bounds proof": ("node", "output", "max", "min"),
    "property": ("n_inputs", "n_outputs", "fixed_inputs", "inputs", "disjuncts"),
    "disjunct": ("input", "constraints"),
    "constraint": ("a", "c", "b", "strict"),
    "property partition": ("input", "root_witness", "complete", "nodes", "regions", "adjacency", "proofs", "prune"),
    "property proof": ("node", "disjunct", "farkas"),
}.items()}


# ------------------------------------------------------------------------ network JSON
def _q(v: Any, where: str) -> Fraction:
    try:
        return network_number(v, where)
    except NetworkFormatError as exc:
        raise CertificateMalformed(str(exc)) from None


def _s(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _normal(net: Any) -> tuple:
    """A comparable normal form of a network object (exact numbers, names ignored)."""
    if not isinstance(net, dict) or not isinstance(net.get("layers"), list):
        raise CertificateMalformed("a network must be an object with 'layers'")
    layers = []
    for k, lay in enumerate(net["layers"]):
        if not isinstance(lay, dict) or not isinstance(lay.get("inputs"), list) or not isinstance(lay.get("bias"), list):
            raise CertificateMalformed(f"network layer {k}: malformed")
        ins = []
        for item in lay["inputs"]:
            if not isinstance(item, dict) or not isinstance(item.get("weight"), list):
                raise CertificateMalformed(f"network layer {k}: malformed input")
            ins.append((item.get("source"), tuple(tuple(_q(v, "weight") for v in row) for row in item["weight"])))
        ins.sort(key=lambda t: t[0] if isinstance(t[0], int) else -1)
        layers.append((lay.get("activation"), tuple(_q(v, "bias") for v in lay["bias"]), tuple(ins)))
    return (net.get("inputs"), tuple(layers))


def difference_network_json(a: Any, b: Any) -> dict:
    """The network ``x -> a(x) - b(x)``: a's layers, b's layers (sources shifted), ``[I, -I]``."""
    na, nb = _normal(a), _normal(b)
    if na[0] != nb[0]:
        raise invalid("equivalence-network", "the two networks have different numbers of inputs")
    la, lb = len(na[1]), len(nb[1])
    m = len(na[1][-1][1])
    if len(nb[1][-1][1]) != m:
        raise invalid("equivalence-network", "the two networks have different numbers of outputs")
    layers = list(a["layers"])
    for lay in b["layers"]:
        lay2 = dict(lay)
        lay2["inputs"] = [dict(item, source=item["source"] if item["source"] == 0 else item["source"] + la)
                          for item in lay["inputs"]]
        layers.append(lay2)
    eye = [["1" if i == j else "0" for j in range(m)] for i in range(m)]
    neg = [["-1" if i == j else "0" for j in range(m)] for i in range(m)]
    layers.append({"activation": "identity", "bias": ["0"] * m,
                   "inputs": [{"source": la, "weight": eye}, {"source": la + lb, "weight": neg}]})
    return {"format": "exactrelu-network", "version": 1, "inputs": a["inputs"], "layers": layers}


def restrict_network_json(net: Any, fixed: dict[int, Fraction]) -> dict:
    """The network over the free inputs, with ``x_i = fixed[i]`` substituted (exact)."""
    n = net["inputs"]
    free = [i for i in range(n) if i not in fixed]
    layers = []
    for lay in net["layers"]:
        bias = [_q(v, "bias") for v in lay["bias"]]
        ins = []
        for item in lay["inputs"]:
            if item["source"] == 0:
                W = [[_q(v, "weight") for v in row] for row in item["weight"]]
                for r, row in enumerate(W):
                    bias[r] += sum(row[i] * v for i, v in fixed.items())
                ins.append({"source": 0, "weight": [[_s(row[i]) for i in free] for row in W]})
            else:
                ins.append(item)
        layers.append({"activation": lay["activation"], "bias": [_s(v) for v in bias], "inputs": ins})
    return {"format": "exactrelu-network", "version": 1, "inputs": len(free), "layers": layers}


# ------------------------------------------------------------------------ forms
def _form_minus_const(form: tuple, p: int, q: int) -> tuple:
    """``form - p/q`` as a form."""
    v, d = form
    return tuple([c * q for c in v[:-1]] + [v[-1] * q - p * d]), d * q


def _complete_leaves(ctx: Context, rule: str, incomplete: str, where: str = ""):
    """The leaves of a tree that must be complete (:func:`~exactrelu.checker.checker.partition_leaves`: the
    tree, region and adjacency rules): rule ``rule`` fails for an incomplete certificate
    (checked now) or an open node (checked during the walk)."""
    if not ctx.complete:
        raise invalid(rule, incomplete)

    def leaves():
        for leaf in partition_leaves(ctx):
            if leaf.is_open:
                raise invalid(rule, f"{where}node {leaf.id} is open", node=leaf.id)
            yield leaf

    return leaves()


def _unused(rule: str, what: str, left: dict) -> None:
    """Reject (rule ``rule``) the first evidence entry that no leaf or cell used."""
    if left:
        key = min(left)
        raise invalid(rule, f"{what} {key} proves nothing: no such leaf (or output/disjunct) needs it",
                       entry=list(key) if isinstance(key, tuple) else key)


# ------------------------------------------------------------------------ equivalence
def check_equivalence(ctx: Context) -> dict:
    """The ``equivalence`` claim (rules ``equivalence-*`` and every partition rule)."""
    read_certificate_tree(ctx)
    cert = ctx.cert
    a = require(cert, "network_a", dict, "certificate")
    b = require(cert, "network_b", dict, "certificate")
    read_network(a, "network_a")
    read_network(b, "network_b")
    if "network" not in cert:
        raise CertificateMalformed("an equivalence certificate embeds its difference network")
    if _normal(difference_network_json(a, b)) != _normal(cert["network"]):
        raise invalid("equivalence-network", "'network' is not the difference network of network_a and network_b")
    for leaf in _complete_leaves(ctx, "equivalence-complete", "an incomplete tree proves no equivalence"):
        for k, (v, _) in enumerate(leaf.output_forms()):
            if any(v):
                raise invalid("equivalence-leaf", f"on leaf {leaf.id} the networks differ: output {k} of A - B "
                               "is not identically zero", node=leaf.id, output=k)
    return ctx.counts


# ------------------------------------------------------------------------ bounds
def check_bounds(ctx: Context) -> dict:
    """The ``bounds`` claim (rules ``bounds-*`` and every partition rule)."""
    read_certificate_tree(ctx)
    cert, num, n = ctx.cert, ctx.num, ctx.n
    bounds = require(cert, "bounds", list, "certificate")
    m = ctx.net.layers[-1].width
    parsed = []
    for i, bd in enumerate(bounds):
        fields(bd, "bound", f"bounds[{i}]", SCHEMA)
        k = as_int(require(bd, "output", int, f"bounds[{i}]"), f"bounds[{i}].output")
        if not 0 <= k < m:
            raise CertificateMalformed(f"bounds[{i}]: output {k} does not exist")
        if any(e["k"] == k for e in parsed):
            raise CertificateMalformed(f"bounds[{i}]: a second entry for output {k}")
        entry = {"k": k}
        for side in ("max", "min"):
            p, q = num(require(bd, side, str, f"bounds[{i}]"))
            w = read_point(num, require(bd, "arg" + side, list, f"bounds[{i}]"), n, f"bounds[{i}].arg{side}")
            x = [Fraction(c, w[-1]) for c in w[:-1]]
            for j, (v, d) in enumerate(ctx.domain_rows):
                if sum(map(mul, v, w)) > 0:
                    raise invalid("bounds-witness", f"arg{side} of output {k} is outside the domain (row {j})",
                                   output=k)
            if evaluate(ctx.net, x)[k] != Fraction(p, q):
                raise invalid("bounds-witness", f"output {k} at arg{side} is not the claimed {side}", output=k)
            entry[side] = (p, q)
        parsed.append(entry)
    proofs: dict = {}
    for i, pr in enumerate(require(cert, "proofs", list, "certificate")):
        fields(pr, "bounds proof", f"proofs[{i}]", SCHEMA)
        node = as_int(require(pr, "node", int, f"proofs[{i}]"), "node")
        k = as_int(require(pr, "output", int, f"proofs[{i}]"), "output")
        if (node, k) in proofs:
            raise invalid("bounds-farkas", f"proofs[{i}]: a second proof for output {k} on node {node}",
                           node=node, output=k)
        proofs[(node, k)] = pr
    for leaf in _complete_leaves(ctx, "bounds-complete", "bounds need a complete partition"):
        outs = leaf.output_forms()
        rows = list(leaf.rows)
        for e in parsed:
            k = e["k"]
            pr = proofs.pop((leaf.id, k), None)
            if pr is None:
                raise invalid("bounds-farkas", f"no proof for output {k} on leaf {leaf.id}", node=leaf.id)
            for side, sign in (("max", 1), ("min", -1)):
                raw = require(pr, side, list, f"proof of output {k} on leaf {leaf.id}")
                form = _form_minus_const(outs[k], *e[side])
                if not farkas_proves(num, rows, sign, form, raw, "bounds-farkas", node=leaf.id):
                    raise invalid("bounds-farkas", f"the Farkas vector for the {side} of output {k} on leaf "
                                   f"{leaf.id} does not prove it", node=leaf.id, output=k)
    _unused("bounds-farkas", "the proof for (node, output)", proofs)
    return ctx.counts


# ------------------------------------------------------------------------ properties
def _parse_property(num, prop: Any, net: Any):
    """The property object: ``(fixed inputs, input regions as row forms, disjuncts)``.

    ``n_inputs`` and ``n_outputs`` must be the network's; every input region is a domain
    over the free inputs and is the input of some disjunct; every constraint has one
    coefficient per free input and per output."""
    fields(prop, "property", "property", SCHEMA)
    n_full, m = net.n_inputs, net.n_outputs
    for key, want in (("n_inputs", n_full), ("n_outputs", m)):
        got = as_int(require(prop, key, int, "property"), f"property {key}")
        if got != want:
            raise CertificateMalformed(f"property: {key!r} is {got}, the network has {want}")
    fixed_raw = require(prop, "fixed_inputs", dict, "property")
    fixed = {}
    for key, v in fixed_raw.items():
        if not (key.isascii() and key.isdigit() and str(int(key)) == key and int(key) < n_full):
            raise CertificateMalformed(f"property: bad fixed input {key[:20]!r} (an input index 0..{n_full - 1})")
        p, q = num(v)
        fixed[int(key)] = Fraction(p, q)
    n = n_full - len(fixed)
    raw_inputs = require(prop, "inputs", list, "property")
    inputs = [domain_rows(num, reg, n, f"property input region {i}") for i, reg in enumerate(raw_inputs)]
    disjuncts = []
    for i, dj in enumerate(require(prop, "disjuncts", list, "property")):
        fields(dj, "disjunct", f"disjunct {i}", SCHEMA)
        idx = as_int(require(dj, "input", int, f"disjunct {i}"), "input")
        if not 0 <= idx < len(inputs):
            raise CertificateMalformed(f"disjunct {i}: no input region {idx}")
        cons = []
        for j, c in enumerate(require(dj, "constraints", list, f"disjunct {i}")):
            where = f"disjunct {i} constraint {j}"
            fields(c, "constraint", where, SCHEMA)
            a = [Fraction(*num(v)) for v in require(c, "a", list, where)]
            cc = [Fraction(*num(v)) for v in require(c, "c", list, where)]
            if len(a) != n or len(cc) != m:
                raise CertificateMalformed(f"disjunct {i}: constraint of the wrong length")
            cons.append((a, cc, Fraction(*num(require(c, "b", str, where))), require(c, "strict", bool, where)))
        disjuncts.append((idx, cons))
    unused = set(range(len(inputs))) - {idx for idx, _ in disjuncts}
    if unused:
        raise CertificateMalformed(f"property: input region {min(unused)} is the input of no disjunct")
    return fixed, raw_inputs, inputs, disjuncts


def _atom_form(a, c, b, outs, n) -> tuple:
    """``a.x + c.y - b`` with ``y`` the leaf's output forms, as one form ``(ints, den)``."""
    acc = [Fraction(v) for v in list(a) + [-b]]
    for j, cj in enumerate(c):
        if cj:
            v, d = outs[j]
            for t in range(n + 1):
                acc[t] += cj * Fraction(v[t], d)
    L = math.lcm(*[x.denominator for x in acc])
    return tuple(int(x * L) for x in acc), L


def _claims_whole_property(ctx: Context, rule: str | None) -> None:
    """The top-level ``complete`` of a property or counterexample certificate is ``true``
    (what the checker reports when it accepts)."""
    if require(ctx.cert, "complete", bool, "certificate") is not True:
        if rule is None:
            raise CertificateMalformed("a counterexample certificate has 'complete': true")
        raise invalid(rule, "the certificate says it is incomplete; a property certificate proves the whole "
                       "property")


def property_point(ctx: Context, fixed: dict, inputs: list, disjuncts: list) -> dict:
    """Rule ``property-point``: a property that fixes every input has one input point; the
    checker evaluates the network there exactly and requires that no disjunct is met
    (``partitions`` must be empty: there is nothing to partition)."""
    if require(ctx.cert, "partitions", list, "certificate"):
        raise CertificateMalformed("the property fixes every input: there is nothing to partition "
                                   "('partitions' must be empty)")
    y = evaluate(ctx.net, [fixed[i] for i in range(ctx.n)])
    for k, (idx, cons) in enumerate(disjuncts):
        # no free inputs: a region row is a constant form (-b_i,), violated when positive
        if any(v[-1] > 0 for v, _ in inputs[idx]):
            continue
        if all((sum(ci * yi for ci, yi in zip(c, y)) < bb) if strict else (sum(ci * yi for ci, yi in zip(c, y)) <= bb)
               for _, c, bb, strict in cons):
            raise invalid("property-point", f"the fixed input point meets disjunct {k}: it is a counterexample",
                           disjunct=k)
    ctx.counts["leaves"] = 0
    return ctx.counts


def check_property(ctx: Context) -> dict:
    """The ``property`` claim (rules ``property-*``, ``prune-*`` and every partition rule)."""
    cert, num = ctx.cert, ctx.num
    _claims_whole_property(ctx, "property-complete")
    fixed, raw_inputs, inputs, disjuncts = _parse_property(num, cert.get("property"), ctx.net)
    if len(fixed) == ctx.n:
        return property_point(ctx, fixed, inputs, disjuncts)
    small = restrict_network_json(cert["network"], fixed) if fixed else cert["network"]
    small_net = read_network(small, "network") if fixed else ctx.net
    small_sha = canonical_sha256(small) if fixed else ctx.network_sha256
    parts = require(cert, "partitions", list, "certificate")
    covered: dict[int, dict] = {}
    counts = ctx.counts
    for pi, part in enumerate(parts):
        where = f"partitions[{pi}]"
        fields(part, "property partition", where, SCHEMA)
        idx = as_int(require(part, "input", int, where), "input")
        if not 0 <= idx < len(raw_inputs) or idx in covered:
            raise CertificateMalformed(f"{where}: bad or repeated input index")
        sctx = Context(num)
        sctx.claim, sctx.cert, sctx.base_dir, sctx.max_bytes = "partition", cert, ctx.base_dir, ctx.max_bytes
        sctx.net, sctx.network_sha256, sctx.n = small_net, small_sha, small_net.n_inputs
        sctx.adjacency = ctx.adjacency
        read_tree(sctx, part, raw_inputs[idx], where, dom_where=f"property input region {idx}")
        proofs = {}
        for j, pr in enumerate(require(part, "proofs", list, where)):
            fields(pr, "property proof", f"{where} proof {j}", SCHEMA)
            key = (as_int(require(pr, "node", int, "proof"), "node"), as_int(require(pr, "disjunct", int, "proof"), "d"))
            if key in proofs:
                raise invalid("property-farkas", f"{where}: a second proof for disjunct {key[1]} on node {key[0]}",
                               node=key[0], disjunct=key[1])
            proofs[key] = pr
        pruned: dict[int, Any] = {}
        for j, pr in enumerate(require(part, "prune", list, where) if "prune" in part else []):
            fields(pr, "prune entry", f"{where} prune entry {j}", prune.SCHEMA)
            key = as_int(require(pr, "node", int, "prune"), "prune node")
            if key in pruned:
                raise CertificateMalformed(f"{where}: two prune entries for node {key}")
            pruned[key] = pr
        mine = [(k, cons) for k, (i, cons) in enumerate(disjuncts) if i == idx]
        for leaf in partition_leaves(sctx, ctx.share):
            if leaf.is_open:
                # an open cell is allowed only with a pruning proof for every disjunct (prune.md)
                ev = pruned.pop(leaf.id, None)
                if ev is None:
                    raise invalid("property-complete", f"partition {pi}: node {leaf.id} is open and not pruned",
                                   node=leaf.id)
                check_pruned_cell(num, sctx.net, leaf, mine, ev)
                counts["pruned"] = counts.get("pruned", 0) + 1
                continue
            outs = leaf.output_forms()
            for k, cons in mine:
                pr = proofs.pop((leaf.id, k), None)
                if pr is None:
                    raise invalid("property-farkas", f"partition {pi}: no proof for disjunct {k} on leaf {leaf.id}",
                                   node=leaf.id, disjunct=k)
                rows = list(leaf.rows) + [_atom_form(a, c, b, outs, sctx.n) for a, c, b, _ in cons]
                strict = frozenset(len(leaf.rows) + i for i, con in enumerate(cons) if con[3])
                raw = require(pr, "farkas", list, f"proof of disjunct {k} on leaf {leaf.id}")
                if not motzkin_proves(num, rows, raw, strict, "property-farkas", node=leaf.id):
                    raise invalid("property-farkas", f"partition {pi}: the Farkas vector for disjunct {k} on leaf "
                                   f"{leaf.id} does not prove infeasibility", node=leaf.id, disjunct=k)
        if ctx.share is not None:  # one share of a parallel check: what is left is judged over all shares
            ctx.share_result = ctx.share_result or {}
            ctx.share_result[pi] = (sctx.share_result, set(proofs), set(pruned), sctx.counts["open_nodes"],
                                    sctx.complete, sctx.counts["nodes"])
            proofs, pruned = {}, {}
        _unused("property-farkas", f"partition {pi}: the proof for (node, disjunct)", proofs)
        if pruned:
            k = min(pruned)
            raise invalid("property-complete", f"partition {pi}: prune entry for node {k}, which is not an open "
                           "node", node=k)
        for key in ("nodes", "splits", "stable_decisions", "leaves", "open_nodes", "adjacency_pairs"):
            counts[key] += sctx.counts[key]
        covered[idx] = part
    for k, (idx, _) in enumerate(disjuncts):
        if idx not in covered:
            raise invalid("property-coverage", f"disjunct {k}'s input region {idx} has no partition", disjunct=k)
    return counts


def check_counterexample(ctx: Context) -> dict:
    """The ``counterexample`` claim (rule ``counterexample-point``)."""
    cert, num = ctx.cert, ctx.num
    _claims_whole_property(ctx, None)
    fixed, _, inputs, disjuncts = _parse_property(num, cert.get("property"), ctx.net)
    w = read_point(num, require(cert, "point", list, "certificate"), ctx.n, "point")
    x = [Fraction(c, w[-1]) for c in w[:-1]]
    if any(x[i] != v for i, v in fixed.items()):
        raise invalid("counterexample-point", "the point does not have the property's fixed input values")
    # the free inputs as a point (U_1 .. U_k, P): the sign of a region row at u is one dot product
    u = tuple(w[i] for i in range(ctx.n) if i not in fixed) + (w[-1],)
    free = [x[i] for i in range(ctx.n) if i not in fixed]
    y = evaluate(ctx.net, x)
    for idx, cons in disjuncts:
        if any(sum(map(mul, v, u)) > 0 for v, _ in inputs[idx]):
            continue
        ok = True
        for a, c, bb, strict in cons:
            lhs = sum(ai * ui for ai, ui in zip(a, free)) + sum(ci * yi for ci, yi in zip(c, y))
            if not (lhs < bb if strict else lhs <= bb):
                ok = False
                break
        if ok:
            ctx.counts["leaves"] = 0
            return ctx.counts
    raise invalid("counterexample-point", "the point satisfies no disjunct of the property")
