"""The ``prune-*`` rules: pruned cells of a ``property`` certificate (standard library only).

A *pruned* cell is an open node of an input region's splitting tree (some ReLU units
still undecided) together with evidence that no disjunct of the property can be met
anywhere in the cell (``proofs/rules/prune.md``):

* ``box`` with ``box_farkas``: ``lo_i <= x_i <= hi_i`` on the cell, each bound by a Farkas
  vector over the cell rows (rule ``prune-box``);
* ``relu``: for every undecided unit ``u`` (ascending; the undecided units of the current
  ReLU layer and every unit of later ReLU layers) numbers ``[u, a, s, c]`` (optionally
  ``[u, a, s, c, bl, bu]``): the lower line ``relu(z) >= a z`` and the upper line
  ``relu(z) <= s z + c``, checked against the bounds the checker computes itself
  (:class:`~.relaxation.Relaxation`; ``bl``/``bu`` index a list ``bases`` of ``n`` cell
  rows each, ``null`` omits a bound). It requires ``0 <= a <= 1``, ``s >= 0``,
  ``s lo + c >= max(lo, 0)`` and ``s hi + c >= max(hi, 0)`` (with ``lo = -inf``: ``s = 0``;
  with ``hi = +inf``: ``s >= 1``) (rule ``prune-relax``);
* ``disjuncts``: per disjunct a Motzkin vector over the cell rows followed by one row per
  constraint ``a.u + G(x) - b <= 0`` (``< 0`` if strict), where ``G(x) <= c.y`` is the
  lower bound of the constraint's output part obtained by propagating ``c`` backwards
  through the relaxation (rule ``prune-farkas``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

from ..checker import CertificateMalformed, as_int, fields, invalid, require
from .farkas import farkas_proves, motzkin_proves
from .relaxation import INF, Relaxation

__all__ = ["PRUNE_RULES", "SCHEMA", "check_pruned_cell", "relaxation_from_evidence", "check_disjunct_proofs",
           "constraint_form", "parse_box", "parse_relu_params", "parse_bases"]

PRUNE_RULES = ("prune-box", "prune-relax", "prune-farkas")
#: The fields of a pruned cell's evidence.
SCHEMA: dict[str, frozenset] = {k: frozenset(v) for k, v in {
    "prune entry": ("node", "box", "box_farkas", "bases", "relu", "disjuncts", "bounds"),
    "prune disjunct": ("disjunct", "farkas"),
}.items()}


def _param(num: Callable, s: Any) -> tuple[int, int]:
    p, q = num(s)
    if q < 0:
        p, q = -p, -q
    return p, q


def parse_relu_params(num: Callable, raw: Any, node: int) -> dict:
    """``[[u, a, s, c], ...]`` or ``[u, a, s, c, bl, bu]`` (a basis index, -1 for the box,
    null for no bound) -> ``{u: ((pa, qa), (ps, qs), (pc, qc), bl, bu)}`` (``None`` for the
    box, ``INF`` for no bound)."""
    if not isinstance(raw, list):
        raise CertificateMalformed(f"prune evidence of node {node}: 'relu' must be a list")
    out: dict = {}
    for item in raw:
        if not isinstance(item, list) or len(item) not in (4, 6):
            raise CertificateMalformed(f"prune evidence of node {node}: a 'relu' entry is [unit, a, s, c] or "
                                       "[unit, a, s, c, basis_lo, basis_hi]")
        u = as_int(item[0], "relu unit")
        if u in out:
            raise invalid("prune-relax", f"node {node}: unit {u} has two relaxations", node=node, unit=u)
        bases = [INF if b is None else as_int(b, "relu basis") for b in item[4:]] or [-1, -1]
        out[u] = tuple(_param(num, x) for x in item[1:4]) + tuple(b if b is INF or b >= 0 else None
                                                                  for b in bases)
    return out


def parse_bases(raw: Any, node: int) -> list:
    """``[[r_1, .., r_n], ...]``: bases of cell rows (checked where used)."""
    if not isinstance(raw, list):
        raise CertificateMalformed(f"prune evidence of node {node}: 'bases' must be a list")
    out = []
    for b in raw:
        if not isinstance(b, list):
            raise CertificateMalformed(f"prune evidence of node {node}: a basis is a list of row indices")
        out.append(tuple(as_int(r, "basis row") for r in b))
    return out


def parse_box(num: Callable, rows: list, raw_box: Any, raw_farkas: Any, n: int, node: int) -> tuple:
    """Rule ``prune-box``: ``lo_i <= x_i <= hi_i`` on the cell by Farkas vectors."""
    if not isinstance(raw_box, list) or len(raw_box) != n or not isinstance(raw_farkas, list) \
            or len(raw_farkas) != n:
        raise CertificateMalformed(f"prune evidence of node {node}: 'box' and 'box_farkas' need {n} entries")
    los, his = [], []
    for i, (bd, fk) in enumerate(zip(raw_box, raw_farkas)):
        if not isinstance(bd, list) or len(bd) != 2 or not isinstance(fk, list) or len(fk) != 2:
            raise CertificateMalformed(f"prune evidence of node {node}: box entry {i} is [lo, hi] / [y_lo, y_hi]")
        for side, s, y in (("lo", bd[0], fk[0]), ("hi", bd[1], fk[1])):
            p, q = num(s)
            v = [0] * (n + 1)
            v[i] = q
            v[-1] = -p
            sign = -1 if side == "lo" else 1  # -(x_i - lo) <= 0, resp. x_i - hi <= 0
            if not farkas_proves(num, rows, sign, (tuple(v), q), y, "prune-box", node=node):
                raise invalid("prune-box", f"node {node}: the Farkas vector does not prove x_{i} "
                               f"{'>=' if side == 'lo' else '<='} {p}/{q} on the cell", node=node, coordinate=i)
            (los if side == "lo" else his).append((p, q))
    B1 = math.lcm(*[q for _, q in los])
    B2 = math.lcm(*[q for _, q in his])
    return (tuple(p * (B1 // q) for p, q in los), B1), (tuple(p * (B2 // q) for p, q in his), B2)


def constraint_form(rel: Relaxation, a: list, c: list, b: Fraction) -> tuple:
    """The relaxed constraint row ``a.x + G_c(x) - b`` (``G_c <= c.y`` on the cell)."""
    n1 = rel.net.n_inputs + 1
    gv, gd = rel.objective_lower(list(c))
    extra = [Fraction(x) for x in a] + [-Fraction(b)]
    D = math.lcm(gd, *[x.denominator for x in extra])
    v = [gv[t] * (D // gd) + int(extra[t] * D) for t in range(n1)]
    return tuple(v), D


def check_pruned_cell(num: Callable, net: Any, leaf: Any, disjuncts: list, ev: Any) -> int:
    """All prune rules for one open cell ``leaf`` (a :class:`~exactrelu.checker.checker.Leaf`, or anything with
    ``id, rows, outs, pre, bits``) and its evidence ``ev``; ``disjuncts`` is
    ``[(k, [(a, c, b, strict), ...]), ...]`` (the disjuncts of the cell's input region).
    Returns the number of relaxed units."""
    rel = relaxation_from_evidence(num, net, leaf, ev)
    check_disjunct_proofs(num, rel, leaf, disjuncts, ev)
    return len(rel.params)


def relaxation_from_evidence(num: Callable, net: Any, leaf: Any, ev: Any) -> Relaxation:
    """Rules ``prune-box`` and ``prune-relax``: the cell's relaxation built from the evidence."""
    node = leaf.id
    rows = list(leaf.rows)
    box = parse_box(num, rows, require(ev, "box", list, f"prune {node}"), require(ev, "box_farkas", list, f"prune {node}"),
                    net.n_inputs, node)
    params = parse_relu_params(num, require(ev, "relu", list, f"prune {node}"), node)
    bases = parse_bases(ev.get("bases", []), node)
    how = ev.get("bounds", "forward")
    if how not in ("forward", "backward"):
        raise CertificateMalformed(f"prune evidence of node {node}: 'bounds' must be 'forward' or 'backward'")
    rel = Relaxation(net, leaf.outs, leaf.pre, leaf.bits, box, params, node, rows, bases,
                     backward_bounds=how == "backward")
    for i in range(len(bases)):  # every basis is n distinct rows, nonsingular (used or not: nothing unchecked)
        rel.basis_inverse(i, None)  # type: ignore[arg-type]
    return rel


def check_disjunct_proofs(num: Callable, rel: Relaxation, leaf: Any, disjuncts: list, ev: Any) -> None:
    """Rule ``prune-farkas``: every disjunct's relaxed constraints are infeasible on the cell."""
    node = leaf.id
    n = rel.net.n_inputs
    rows = list(leaf.rows)
    proofs = {}
    for i, pr in enumerate(require(ev, "disjuncts", list, f"prune {node}")):
        fields(pr, "prune disjunct", f"prune evidence of node {node}, disjunct entry {i}", SCHEMA)
        k = as_int(require(pr, "disjunct", int, "prune disjunct"), "disjunct")
        if k in proofs:
            raise invalid("prune-farkas", f"pruned node {node} has two proofs for disjunct {k}", node=node,
                           disjunct=k)
        proofs[k] = pr
    for k, cons in disjuncts:
        pr = proofs.pop(k, None)
        if pr is None:
            raise invalid("prune-farkas", f"pruned node {node} has no proof for disjunct {k}", node=node, disjunct=k)
        nr = len(rows)
        raw = require(pr, "farkas", list, f"prune {node} disjunct {k}")
        # only the constraint rows the vector names need their (backward) relaxed form
        used = {it[0] for it in raw if type(it) is list and len(it) == 2 and type(it[0]) is int and it[0] >= nr}
        zero = (tuple([0] * (n + 1)), 1)
        extra = [constraint_form(rel, a, c, b) if nr + j in used else zero for j, (a, c, b, _) in enumerate(cons)]
        strict = frozenset(nr + j for j, con in enumerate(cons) if con[3])
        if not motzkin_proves(num, rows + extra, raw, strict, "prune-farkas", node=node, disjunct=k):
            raise invalid("prune-farkas", f"node {node}: the Farkas vector for disjunct {k} does not prove that "
                           "the relaxed constraints are infeasible on the cell", node=node, disjunct=k)
    if proofs:
        k = min(proofs)
        raise invalid("prune-farkas", f"pruned node {node} has a proof for disjunct {k}, which is not a disjunct "
                       "of its input region", node=node, disjunct=k)
