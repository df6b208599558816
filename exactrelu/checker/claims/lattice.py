"""Checker rules for the ``lattice`` claim (standard library only).

The claim: on the certificate's domain, output ``k`` of the network equals
``max_t min_{j in S_t} l_j`` for the listed affine pieces ``l_j`` and sets ``S_t``
(proofs/rules/lattice.md has the statement and the soundness proof).

The evidence sits on the network's splitting tree (checked with every partition rule by
:func:`~exactrelu.checker.checker.walk`); the checker recomputes the network's output map
``f_L`` on every leaf ``L`` from the weights and checks, with Farkas vectors over the
leaf's rows:

* ``lattice-lower``: the leaf's *cover* term ``t`` has ``l_j >= f_L`` on ``L`` for every
  ``j`` in ``S_t`` (so ``min_{S_t} l_j >= f`` there: the max is ``>= f``); a cover may
  also cut the leaf by hyperplanes and give one term per sub-cell;
* ``lattice-upper``: for *every* term ``t``, a convex combination ``sum_j mu_j l_j``
  (``mu_j >= 0`` on ``S_t``, summing to 1) is ``<= f_L`` on ``L`` (so some ``l_j`` with
  ``j in S_t`` is ``<= f`` at each point: the max is ``<= f``).

Certificate fields (besides the partition header and ``nodes``; ``regions`` optional and
checked as for ``partition``; no ``adjacency``; every piece is used by some term)::

    "lattice": {
      "output": k,
      "pieces": [["c_1", ..., "c_n", "c_0"], ...],          # l_j(x) = c.x + c_0
      "terms":  [[j, ...], ...],                            # the sets S_t
      "leaves": [{"leaf": node_id,
                  "cover": {"term": t, "farkas": [y_j for j in terms[t], in order]}
                           or {"split": ["c_1", ..., "c_n", "c_0"], "pos": cover, "neg": cover},
                  "upper": [[mu_t, y_t] for t in 0 .. T-1]}, ...]}

with ``mu_t`` a list ``[[j, "p/q"], ...]`` and every ``y`` a sparse Farkas vector
``[[row, "p/q"], ...]`` over the leaf's rows (certificate-format.md).

Rules: ``lattice-complete``, ``lattice-terms``, ``lattice-leaves``, ``lattice-lower``,
``lattice-upper``.
"""

from __future__ import annotations

import math
from typing import Any

from ..checker import (HEAD_FIELDS, TREE_FIELDS, CertificateMalformed, Context, fields, invalid, partition_leaves,
                       read_certificate_tree, read_vector, require)
from .farkas import farkas_proves

__all__ = ["check_lattice", "LATTICE_RULES", "SCHEMA", "lattice_complete", "lattice_terms", "lattice_leaves", "lattice_lower",
           "lattice_upper"]

LATTICE_RULES = ("lattice-complete", "lattice-terms", "lattice-leaves", "lattice-lower", "lattice-upper")
#: The fields of a ``lattice`` certificate's objects (a tree without adjacency evidence).
SCHEMA: dict[str, frozenset] = {k: frozenset(v) for k, v in {
    "lattice certificate": HEAD_FIELDS + TREE_FIELDS[:-1] + ("lattice",),
    "lattice": ("output", "pieces", "terms", "leaves"),
    "lattice leaf": ("leaf", "cover", "upper"),
    "lattice cover term": ("term", "farkas"),
    "lattice cover split": ("split", "pos", "neg"),
}.items()}

Form = tuple  # (v, d): v ints over (x_1..x_n, 1), d > 0 ints, meaning v / d


def _sub(a: Form, b: Form) -> Form:
    """``a - b`` as a form."""
    (va, da), (vb, db) = a, b
    return tuple(x * db - y * da for x, y in zip(va, vb)), da * db


def _combination(mu: list[tuple[int, int, int]], pieces: list[Form]) -> Form:
    """``sum_j (p/q) l_j`` for ``mu = [(j, p, q), ...]`` as one form."""
    L = math.lcm(*[q * pieces[j][1] for j, _, q in mu])
    acc = [0] * len(pieces[0][0])
    for j, p, q in mu:
        v, d = pieces[j]
        c = p * (L // (q * d))
        acc = [a + c * x for a, x in zip(acc, v)]
    return tuple(acc), L


def lattice_complete(ctx: Context) -> None:
    """Rule ``lattice-complete``: the tree claims to be complete (open nodes are then refused
    by ``tree-structure``); the identity is claimed on the whole domain."""
    if not ctx.complete:
        raise invalid("lattice-complete", "the partition is marked incomplete; the lattice claim needs every region")


def lattice_terms(ctx: Context, lat: dict) -> tuple[int, list[Form], list[list[int]]]:
    """Rule ``lattice-terms``: the output exists, every piece has ``n + 1`` numbers, every
    term is a non-empty list of distinct indices of pieces, and every piece is used by a
    term (a piece no term uses would be a field that asserts nothing)."""
    fields(lat, "lattice", "lattice", SCHEMA)
    out = lat.get("output")
    if type(out) is not int:
        raise CertificateMalformed("lattice: 'output' must be an integer")
    if not 0 <= out < ctx.net.n_outputs:
        raise invalid("lattice-terms", f"output {out} does not exist (the network has {ctx.net.n_outputs})",
                       output=out)
    raw_pieces = require(lat, "pieces", list, "lattice")
    pieces: list[Form] = []
    for i, p in enumerate(raw_pieces):
        pieces.append(read_vector(ctx.num, p, ctx.n + 1, f"lattice piece {i}"))
    raw_terms = require(lat, "terms", list, "lattice")
    if not raw_terms:
        raise invalid("lattice-terms", "the lattice form has no terms (a max over nothing)")
    terms: list[list[int]] = []
    for t, term in enumerate(raw_terms):
        if not isinstance(term, list) or any(type(j) is not int for j in term):
            raise CertificateMalformed(f"lattice term {t} must be a list of integers")
        if not term:
            raise invalid("lattice-terms", f"term {t} is empty (a min over nothing)", term=t)
        if len(set(term)) != len(term):
            raise invalid("lattice-terms", f"term {t} repeats a piece", term=t)
        bad = [j for j in term if not 0 <= j < len(pieces)]
        if bad:
            raise invalid("lattice-terms", f"term {t} uses piece {bad[0]}, there are {len(pieces)}", term=t,
                           piece=bad[0])
        terms.append(term)
    unused = set(range(len(pieces))).difference(*terms)
    if unused:
        j = min(unused)
        raise invalid("lattice-terms", f"piece {j} is used by no term", piece=j)
    return out, pieces, terms


def lattice_leaves(ctx: Context, lat: dict) -> dict[int, dict]:
    """Rule ``lattice-leaves`` (first half): index the leaf entries, refusing duplicates.
    The second half (every leaf has an entry, no entry names anything else) is checked
    during and after the walk."""
    raw = require(lat, "leaves", list, "lattice")
    index: dict[int, dict] = {}
    for i, e in enumerate(raw):
        fields(e, "lattice leaf", f"lattice leaf entry {i}", SCHEMA)
        k = require(e, "leaf", int, "lattice leaf entry")
        if k in index:
            raise invalid("lattice-leaves", f"two lattice entries for node {k}", node=k)
        index[k] = e
    return index


def lattice_lower(ctx: Context, leaf: Any, entry: dict, f: Form, pieces: list[Form], terms: list[list[int]]) -> None:
    """Rule ``lattice-lower``: the leaf's cover holds. A cover is a term whose pieces are
    all ``>= f`` on the (sub-)cell, each by a Farkas vector over the cell's rows, or a cut
    ``{"split": h, "pos": cover, "neg": cover}`` of the cell by the hyperplane ``h = 0``:
    ``pos`` is checked with the extra row ``-h <= 0`` and ``neg`` with ``h <= 0`` (the two
    closed halves cover the cell, so no witness is needed)."""
    where = f"lattice cover of leaf {leaf.id}"
    stack: list[tuple[Any, list]] = [(require(entry, "cover", dict, f"lattice entry of leaf {leaf.id}"), list(leaf.rows))]
    cells = 0
    while stack:
        cover, rows = stack.pop()
        cells += 1
        if cells > 1_000_000:
            raise CertificateMalformed(f"{where}: more than a million sub-cells")
        if not isinstance(cover, dict):
            raise CertificateMalformed(f"{where}: a cover must be an object")
        fields(cover, "lattice cover split" if "split" in cover else "lattice cover term", where, SCHEMA)
        if "split" in cover:
            h = read_vector(ctx.num, cover["split"], ctx.n + 1, f"{where}: split hyperplane")
            pos = require(cover, "pos", dict, where)
            neg = require(cover, "neg", dict, where)
            stack.append((neg, rows + [h]))  # h <= 0
            stack.append((pos, rows + [(tuple(-c for c in h[0]), h[1])]))  # -h <= 0
            continue
        t = require(cover, "term", int, where)
        if not 0 <= t < len(terms):
            raise invalid("lattice-lower", f"leaf {leaf.id}: cover term {t} does not exist", node=leaf.id, term=t)
        ys = require(cover, "farkas", list, where)
        if len(ys) != len(terms[t]):
            raise invalid("lattice-lower", f"leaf {leaf.id}: cover term {t} has {len(terms[t])} pieces but "
                           f"{len(ys)} Farkas vectors", node=leaf.id, term=t)
        for j, raw in zip(terms[t], ys):
            if not farkas_proves(ctx.num, rows, 1, _sub(f, pieces[j]), raw, "lattice-lower", node=leaf.id, term=t,
                                 piece=j):
                raise invalid("lattice-lower", f"leaf {leaf.id}: the Farkas vector does not prove piece {j} >= "
                               f"the network output on the (sub-)cell (cover term {t})", node=leaf.id, term=t,
                               piece=j)


def lattice_upper(ctx: Context, leaf: Any, entry: dict, f: Form, pieces: list[Form], terms: list[list[int]]) -> None:
    """Rule ``lattice-upper``: for every term, a convex combination of its pieces is
    ``<= f`` on the leaf."""
    ups = require(entry, "upper", list, f"lattice entry of leaf {leaf.id}")
    if len(ups) != len(terms):
        raise invalid("lattice-upper", f"leaf {leaf.id}: {len(ups)} upper-bound entries for {len(terms)} terms",
                       node=leaf.id)
    rows = list(leaf.rows)
    for t, (term, item) in enumerate(zip(terms, ups)):
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], list):
            raise CertificateMalformed(f"lattice leaf {leaf.id}, term {t}: an upper entry is [mu, farkas]")
        members = set(term)
        mu = []
        seen = set()
        for pair in item[0]:
            if not isinstance(pair, list) or len(pair) != 2 or type(pair[0]) is not int:
                raise CertificateMalformed(f"lattice leaf {leaf.id}, term {t}: mu entries are [piece, 'p/q']")
            j = pair[0]
            p, q = ctx.num(pair[1])
            if j not in members or j in seen:
                raise invalid("lattice-upper", f"leaf {leaf.id}: the combination for term {t} uses piece {j}, "
                               "which is not (or twice) in the term", node=leaf.id, term=t, piece=j)
            if p < 0:
                raise invalid("lattice-upper", f"leaf {leaf.id}: negative weight on piece {j} (term {t})",
                               node=leaf.id, term=t, piece=j)
            seen.add(j)
            if p:
                mu.append((j, p, q))
        if not mu:
            raise invalid("lattice-upper", f"leaf {leaf.id}: empty combination for term {t}", node=leaf.id, term=t)
        Q = math.lcm(*[q for _, _, q in mu])
        if sum(p * (Q // q) for _, p, q in mu) != Q:
            raise invalid("lattice-upper", f"leaf {leaf.id}: the weights for term {t} do not sum to 1",
                           node=leaf.id, term=t)
        if not farkas_proves(ctx.num, rows, 1, _sub(_combination(mu, pieces), f), item[1], "lattice-upper",
                             node=leaf.id, term=t):
            raise invalid("lattice-upper", f"leaf {leaf.id}: the Farkas vector does not prove that the combination "
                           f"of term {t} is <= the network output on the leaf", node=leaf.id, term=t)


def check_lattice(ctx: Context) -> dict:
    """The ``lattice`` claim (see the module docstring and proofs/rules/lattice.md)."""
    read_certificate_tree(ctx)
    lat = require(ctx.cert, "lattice", dict, "certificate")
    lattice_complete(ctx)
    out, pieces, terms = lattice_terms(ctx, lat)
    entries = lattice_leaves(ctx, lat)
    counts = ctx.counts
    for leaf in partition_leaves(ctx):  # (the tree, region-list/-pattern/-map)
        if leaf.is_open:  # pragma: no cover - tree-structure refuses open cells in a complete certificate
            raise invalid("lattice-complete", f"node {leaf.id} is open", node=leaf.id)
        e = entries.pop(leaf.id, None)
        if e is None:
            raise invalid("lattice-leaves", f"leaf {leaf.id} has no lattice entry", node=leaf.id)
        f = leaf.output_forms()[out]
        lattice_lower(ctx, leaf, e, f, pieces, terms)
        lattice_upper(ctx, leaf, e, f, pieces, terms)
    if entries:
        k = min(entries)
        raise invalid("lattice-leaves", f"lattice entry for node {k}, which is not a leaf", node=k)
    counts["lattice_terms"] = len(terms)
    counts["lattice_pieces"] = len(pieces)
    return counts
