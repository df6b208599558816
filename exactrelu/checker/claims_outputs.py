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
  :mod:`.claims_prune`); an open node without one fails ``property-complete``. A property
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

from . import core
from .core import (CertificateMalformed, Context, _farkas_vector, _get, _int, _invalid, _point,
                   farkas_holds, prepare, walk)
from .claims_prune import PRUNE_RULES, check_pruned_cell
from .network import NetworkFormatError, evaluate, network_number, parse_network

__all__ = ["check_equivalence", "check_bounds", "check_property", "check_counterexample",
           "difference_network_json", "restrict_network_json"]

OUTPUT_RULES = ("equivalence-network", "equivalence-complete", "equivalence-leaf", "bounds-witness",
                "bounds-farkas", "bounds-complete", "property-farkas", "property-complete", "property-coverage",
                "property-point", "counterexample-point")


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
        raise _invalid("equivalence-network", "the two networks have different numbers of inputs")
    la, lb = len(na[1]), len(nb[1])
    m = len(na[1][-1][1])
    if len(nb[1][-1][1]) != m:
        raise _invalid("equivalence-network", "the two networks have different numbers of outputs")
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


def _combination_positive(rows: list, y: list, strict: frozenset = frozenset()) -> bool:
    """``sum_i y_i row_i`` is a constant ``K`` with ``K > 0``, or ``K = 0`` with a positive
    multiplier on a strict row: then ``{rows <= 0, strict rows < 0}`` is empty (Motzkin)."""
    if not y:
        return False
    M = math.lcm(*[q * rows[i][1] for i, _, q in y])
    acc = None
    for i, p, q in y:
        rv, rd = rows[i]
        c = p * (M // (q * rd))
        acc = [c * r for r in rv] if acc is None else [a + c * r for a, r in zip(acc, rv)]
    if any(acc[:-1]):
        return False
    return acc[-1] > 0 or (acc[-1] == 0 and any(i in strict and p > 0 for i, p, _ in y))


def _complete_leaves(ctx: Context, rule: str, incomplete: str, counts: dict, where: str = ""):
    """The leaves of a tree that must be complete: rule ``rule`` fails for an incomplete
    certificate (checked now) or an open node (checked during the walk); leaves are counted
    into ``counts``."""
    if not ctx.complete:
        raise _invalid(rule, incomplete)

    def leaves():
        for leaf in walk(ctx):
            if leaf.is_open:
                raise _invalid(rule, f"{where}node {leaf.id} is open", node=leaf.id)
            counts["leaves"] += 1
            yield leaf

    return leaves()


# ------------------------------------------------------------------------ equivalence
def check_equivalence(ctx: Context) -> dict:
    cert = ctx.cert
    a = _get(cert, "network_a", dict, "certificate")
    b = _get(cert, "network_b", dict, "certificate")
    try:
        parse_network(a)
        parse_network(b)
    except NetworkFormatError as exc:
        raise CertificateMalformed(f"network_a/network_b: {exc}") from None
    if "network" not in cert:
        raise CertificateMalformed("an equivalence certificate embeds its difference network")
    if _normal(difference_network_json(a, b)) != _normal(cert["network"]):
        raise _invalid("equivalence-network", "'network' is not the difference network of network_a and network_b")
    counts = ctx.counts
    for leaf in _complete_leaves(ctx, "equivalence-complete", "an incomplete tree proves no equivalence", counts):
        for k, (v, _) in enumerate(leaf.output_forms()):
            if any(v):
                raise _invalid("equivalence-leaf", f"on leaf {leaf.id} the networks differ: output {k} of A - B "
                               "is not identically zero", node=leaf.id, output=k)
    return counts


# ------------------------------------------------------------------------ bounds
def check_bounds(ctx: Context) -> dict:
    cert, num, n = ctx.cert, ctx.num, ctx.n
    bounds = _get(cert, "bounds", list, "certificate")
    m = ctx.net.layers[-1].width
    parsed = []
    for i, bd in enumerate(bounds):
        k = _int(_get(bd, "output", int, f"bounds[{i}]"), f"bounds[{i}].output")
        if not 0 <= k < m:
            raise CertificateMalformed(f"bounds[{i}]: output {k} does not exist")
        entry = {"k": k}
        for side in ("max", "min"):
            p, q = num(_get(bd, side, str, f"bounds[{i}]"))
            w = _point(num, _get(bd, "arg" + side, list, f"bounds[{i}]"), n, f"bounds[{i}].arg{side}")
            x = [Fraction(c, w[-1]) for c in w[:-1]]
            for j, (v, d) in enumerate(ctx.domain_rows):
                if sum(map(mul, v, w)) > 0:
                    raise _invalid("bounds-witness", f"arg{side} of output {k} is outside the domain (row {j})",
                                   output=k)
            if evaluate(ctx.net, x)[k] != Fraction(p, q):
                raise _invalid("bounds-witness", f"output {k} at arg{side} is not the claimed {side}", output=k)
            entry[side] = (p, q)
        parsed.append(entry)
    proofs: dict = {}
    for i, pr in enumerate(_get(cert, "proofs", list, "certificate")):
        node = _int(_get(pr, "node", int, f"proofs[{i}]"), "node")
        k = _int(_get(pr, "output", int, f"proofs[{i}]"), "output")
        proofs[(node, k)] = pr
    counts = ctx.counts
    for leaf in _complete_leaves(ctx, "bounds-complete", "bounds need a complete partition", counts):
        outs = leaf.output_forms()
        nrows = len(leaf.rows)
        for e in parsed:
            k = e["k"]
            pr = proofs.get((leaf.id, k))
            if pr is None:
                raise _invalid("bounds-farkas", f"no proof for output {k} on leaf {leaf.id}", node=leaf.id)
            for side, sign in (("max", 1), ("min", -1)):
                y = _farkas_vector(num, pr.get(side), nrows, "bounds-farkas", node=leaf.id)
                form = _form_minus_const(outs[k], *e[side])
                if not farkas_holds(list(leaf.rows), sign, form, y):
                    raise _invalid("bounds-farkas", f"the Farkas vector for the {side} of output {k} on leaf "
                                   f"{leaf.id} does not prove it", node=leaf.id, output=k)
    return counts


# ------------------------------------------------------------------------ properties
def _parse_property(num, prop: Any, n_full: int, m: int):
    if not isinstance(prop, dict):
        raise CertificateMalformed("'property' must be an object")
    fixed_raw = _get(prop, "fixed_inputs", dict, "property")
    fixed = {}
    for key, v in fixed_raw.items():
        if not key.isdigit() or not 0 <= int(key) < n_full:
            raise CertificateMalformed(f"property: bad fixed input {key[:20]!r}")
        p, q = num(v)
        fixed[int(key)] = Fraction(p, q)
    n = n_full - len(fixed)
    inputs = _get(prop, "inputs", list, "property")
    disjuncts = []
    for i, dj in enumerate(_get(prop, "disjuncts", list, "property")):
        idx = _int(_get(dj, "input", int, f"disjunct {i}"), "input")
        if not 0 <= idx < len(inputs):
            raise CertificateMalformed(f"disjunct {i}: no input region {idx}")
        cons = []
        for c in _get(dj, "constraints", list, f"disjunct {i}"):
            a = [Fraction(*num(v)) for v in _get(c, "a", list, "constraint")]
            cc = [Fraction(*num(v)) for v in _get(c, "c", list, "constraint")]
            if len(a) != n or len(cc) != m:
                raise CertificateMalformed(f"disjunct {i}: constraint of the wrong length")
            cons.append((a, cc, Fraction(*num(_get(c, "b", str, "constraint"))), _get(c, "strict", bool, "constraint")))
        disjuncts.append((idx, cons))
    return fixed, inputs, disjuncts


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


def _disjunct_met(num, reg: Any, cons: list, u: list, y: list) -> bool:
    """Exact: ``u`` lies in the input region ``reg`` and ``(u, y)`` meets every constraint."""
    A, b = _get(reg, "A", list, "input region"), _get(reg, "b", list, "input region")
    if len(A) != len(b) or any(not isinstance(row, list) or len(row) != len(u) for row in A):
        raise CertificateMalformed(f"an input region's rows must have {len(u)} entries, one 'b' entry each")
    if not all(sum(Fraction(*num(aij)) * xj for aij, xj in zip(row, u)) <= Fraction(*num(bi))
               for row, bi in zip(A, b)):
        return False
    for a, c, bb, strict in cons:
        lhs = sum(ai * ui for ai, ui in zip(a, u)) + sum(ci * yi for ci, yi in zip(c, y))
        if not (lhs < bb if strict else lhs <= bb):
            return False
    return True


def property_point(ctx: Context, fixed: dict, inputs: list, disjuncts: list) -> dict:
    """Rule ``property-point``: a property that fixes every input has one input point; the
    checker evaluates the network there exactly and requires that no disjunct is met."""
    if _get(ctx.cert, "partitions", list, "certificate"):
        raise CertificateMalformed("the property fixes every input: there is nothing to partition "
                                   "('partitions' must be empty)")
    x = [fixed[i] for i in range(ctx.n)]
    y = evaluate(ctx.net, x)
    for k, (idx, cons) in enumerate(disjuncts):
        if _disjunct_met(ctx.num, inputs[idx], cons, [], y):
            raise _invalid("property-point", f"the fixed input point meets disjunct {k}: it is a counterexample",
                           disjunct=k)
    ctx.counts["leaves"] = 0
    return ctx.counts


def check_property(ctx: Context) -> dict:
    cert, num = ctx.cert, ctx.num
    m = ctx.net.layers[-1].width
    fixed, inputs, disjuncts = _parse_property(num, cert.get("property"), ctx.n, m)
    if len(fixed) == ctx.n:
        return property_point(ctx, fixed, inputs, disjuncts)
    small = restrict_network_json(cert["network"], fixed) if fixed else cert["network"]
    parts = _get(cert, "partitions", list, "certificate")
    covered: dict[int, dict] = {}
    counts = ctx.counts
    for pi, part in enumerate(parts):
        idx = _int(_get(part, "input", int, f"partitions[{pi}]"), "input")
        if not 0 <= idx < len(inputs) or idx in covered:
            raise CertificateMalformed(f"partitions[{pi}]: bad or repeated input index")
        sub = {"format": cert["format"], "version": cert["version"], "claim": "partition", "network": small,
               "domain": inputs[idx], "root_witness": part.get("root_witness"), "complete": part.get("complete"),
               "nodes": part.get("nodes"), "regions": part.get("regions", [])}
        sctx = prepare(sub, ctx.base_dir)
        proofs = {}
        for j, pr in enumerate(_get(part, "proofs", list, f"partitions[{pi}]")):
            proofs[(_int(_get(pr, "node", int, "proof"), "node"), _int(_get(pr, "disjunct", int, "proof"), "d"))] = pr
        pruned: dict[int, Any] = {}
        for pr in _get(part, "prune", list, f"partitions[{pi}]") if "prune" in part else []:
            key = _int(_get(pr, "node", int, "prune"), "prune node")
            if key in pruned:
                raise CertificateMalformed(f"partitions[{pi}]: two prune entries for node {key}")
            pruned[key] = pr
        mine = [(k, cons) for k, (i, cons) in enumerate(disjuncts) if i == idx]
        for leaf in walk(sctx):
            if leaf.is_open:
                # an open cell is allowed only with a pruning proof for every disjunct (prune.md)
                ev = pruned.get(leaf.id)
                if ev is None:
                    raise _invalid("property-complete", f"partition {pi}: node {leaf.id} is open and not pruned",
                                   node=leaf.id)
                check_pruned_cell(num, sctx.net, leaf, mine, ev)
                counts["open_nodes"] += 1
                counts["pruned"] = counts.get("pruned", 0) + 1
                continue
            counts["leaves"] += 1
            outs = leaf.output_forms()
            for k, cons in mine:
                pr = proofs.get((leaf.id, k))
                if pr is None:
                    raise _invalid("property-farkas", f"partition {pi}: no proof for disjunct {k} on leaf {leaf.id}",
                                   node=leaf.id, disjunct=k)
                rows = list(leaf.rows) + [_atom_form(a, c, b, outs, sctx.n) for a, c, b, _ in cons]
                strict = frozenset(len(leaf.rows) + i for i, con in enumerate(cons) if con[3])
                y = _farkas_vector(num, pr.get("farkas"), len(rows), "property-farkas", node=leaf.id)
                if not _combination_positive(rows, y, strict):
                    raise _invalid("property-farkas", f"partition {pi}: the Farkas vector for disjunct {k} on leaf "
                                   f"{leaf.id} does not prove infeasibility", node=leaf.id, disjunct=k)
        for key in ("nodes", "splits", "stable_decisions"):
            counts[key] += sctx.counts[key]
        covered[idx] = part
    for k, (idx, _) in enumerate(disjuncts):
        if idx not in covered:
            raise _invalid("property-coverage", f"disjunct {k}'s input region {idx} has no partition", disjunct=k)
    return counts


def check_counterexample(ctx: Context) -> dict:
    cert, num = ctx.cert, ctx.num
    m = ctx.net.layers[-1].width
    fixed, inputs, disjuncts = _parse_property(num, cert.get("property"), ctx.n, m)
    w = _point(num, _get(cert, "point", list, "certificate"), ctx.n, "point")
    x = [Fraction(c, w[-1]) for c in w[:-1]]
    if any(x[i] != v for i, v in fixed.items()):
        raise _invalid("counterexample-point", "the point does not have the property's fixed input values")
    u = [x[i] for i in range(ctx.n) if i not in fixed]
    y = evaluate(ctx.net, x)
    for idx, cons in disjuncts:
        if _disjunct_met(num, inputs[idx], cons, u, y):
            ctx.counts["leaves"] = 0
            return ctx.counts
    raise _invalid("counterexample-point", "the point satisfies no disjunct of the property")


core.CLAIMS.update({"equivalence": check_equivalence, "bounds": check_bounds, "property": check_property,
                    "counterexample": check_counterexample})
core.RULES = tuple(core.RULES) + OUTPUT_RULES + PRUNE_RULES
