"""Rule ``adjacency`` (``proofs/rules/adjacency.md``): the adjacency evidence of a tree
(standard library only; uses only public names of :mod:`exactrelu.checker.checker`).

An entry ``{a, b, hyperplane, witness, units}`` says leaves ``a`` and ``b`` share a facet
on the hyperplane. :func:`~exactrelu.checker.checker.partition_leaves` reads the entries
with :func:`adjacency_entries`, checks each leaf's half with :func:`adjacency_leaf` as the
walk reaches it and the ends with :func:`finish_adjacency` after the walk. The core gets
this module from :mod:`exactrelu.checker.registry` (``check_certificate(...,
adjacency=...)``); without it a tree carrying adjacency entries is refused.
"""

from __future__ import annotations

from operator import mul

from ..checker import (CertificateMalformed, Context, Leaf, as_int, fields, invalid, read_point, read_vector,
                       require)

__all__ = ["ADJACENCY_RULES", "SCHEMA", "Adjacency", "adjacency_entries", "adjacency_leaf", "adjacency_ends",
           "finish_adjacency", "differ_exactly_at", "first_bad_row"]

ADJACENCY_RULES = ("adjacency",)
#: The fields of an adjacency entry (``proofs/certificate-format.md``).
SCHEMA: dict[str, frozenset] = {"adjacency entry": frozenset(("a", "b", "hyperplane", "witness", "units"))}


class Adjacency:
    """One adjacency entry, read: index ``i``, leaves ``a``, ``b``, hyperplane ``h`` (ints),
    witness ``w`` (a point) and ``units``."""

    __slots__ = ("i", "a", "b", "h", "w", "units")

    def __init__(self, i: int, a: int, b: int, h: tuple, w: tuple, units: list) -> None:
        self.i, self.a, self.b, self.h, self.w, self.units = i, a, b, h, w, units

    def where(self) -> str:
        """The entry's name in rejection messages (built only when one is raised)."""
        return f"adjacency entry {self.i} ({self.a}, {self.b})"


def adjacency_entries(ctx: Context) -> list[Adjacency]:
    """Rule ``adjacency``, per entry: no self-loop, a hyperplane with ``c != 0``, one entry
    per pair; returns the tree's entries read."""
    raw = ctx.tree.get("adjacency", [])
    if not isinstance(raw, list):
        raise CertificateMalformed("'adjacency' must be a list")
    out = []
    seen: set = set()
    for i, e in enumerate(raw):
        where = f"adjacency entry {i}"
        fields(e, "adjacency entry", where, SCHEMA)
        a = require(e, "a", int, where)
        b = require(e, "b", int, where)
        h, _ = read_vector(ctx.num, require(e, "hyperplane", list, where), ctx.n + 1, f"{where}: hyperplane")
        w = read_point(ctx.num, require(e, "witness", list, where), ctx.n, f"{where}: witness")
        units = require(e, "units", list, where)
        for u in units:
            as_int(u, f"{where}: units")
        if a == b:
            raise invalid("adjacency", f"{where} joins leaf {a} to itself", entry=i)
        if not any(h[:-1]):
            raise invalid("adjacency", f"{where}: the hyperplane has c = 0", entry=i)
        pair = (a, b) if a < b else (b, a)
        if pair in seen:  # one entry per pair: the reported count is the number of adjacent pairs
            raise invalid("adjacency", f"{where}: the pair ({a}, {b}) is listed twice", entry=i)
        seen.add(pair)
        out.append(Adjacency(i, a, b, h, w, units))
    return out


def differ_exactly_at(units: list[int], pa: str, pb: str) -> bool:
    """Whether the sorted ``units`` are exactly the positions where the full patterns
    ``pa`` and ``pb`` differ (the XOR test of ``adjacency.md``).

    >>> differ_exactly_at([1, 3], "0110", "0011"), differ_exactly_at([1], "0110", "0011")
    (True, False)
    """
    L = len(pa)
    x = int(pa, 2) ^ int(pb, 2) if L else 0  # (a network without ReLU units has empty patterns)
    if x.bit_count() != len(units) or any(a >= b for a, b in zip(units, units[1:])):
        return False
    return all(0 <= u < L and x >> (L - 1 - u) & 1 for u in units)


def first_bad_row(vals: list[int], rows: tuple, h: tuple) -> tuple[int, bool] | None:
    """The first row the witness violates (``vals[r] > 0``: ``(r, True)``) or makes tight
    without being a multiple of ``h`` (``(r, False)``); None if none. ``vals[r]`` is row
    ``r`` at the witness.

    >>> rows = (((1, 0), 1), ((-1, -1), 1))        # x <= 0 and x >= -1; hyperplane 2x = 0
    >>> first_bad_row([0, -1], rows, (2, 0)), first_bad_row([-1, 1], rows, (2, 0))
    (None, (1, True))
    """
    stop = len(vals)
    if vals and max(vals) > 0:
        stop = next(r for r, v in enumerate(vals) if v > 0)
    j = next(c for c, hc in enumerate(h) if hc)
    hj = h[j]
    r = -1
    while 0 in vals[r + 1:stop]:
        r = vals.index(0, r + 1, stop)
        rv = rows[r][0]
        rj = rv[j]
        if any(x * hj != rj * hc for x, hc in zip(rv, h)):
            return r, False
    return (stop, True) if stop < len(vals) else None


def adjacency_leaf(ctx: Context, e: Adjacency, leaf: Leaf) -> None:
    """Rule ``adjacency``, the half of entry ``e`` about ``leaf``: the witness is on the
    hyperplane and satisfies every row of the leaf; every row tight there is a multiple of
    the hyperplane."""
    h, w = e.h, e.w
    if sum(map(mul, h, w)) != 0:
        raise invalid("adjacency", f"{e.where()}: the witness is not on the hyperplane", entry=e.i)
    bad = first_bad_row([sum(map(mul, rv, w)) for rv, _ in leaf.rows], leaf.rows, h)
    if bad is not None:
        r, violated = bad
        msg = (f"the witness violates row {r} of leaf {leaf.id}" if violated else
               f"row {r} of leaf {leaf.id} is tight at the witness but not a multiple of the hyperplane")
        raise invalid("adjacency", f"{e.where()}: {msg}", entry=e.i, node=leaf.id, row=r)


def adjacency_ends(e: Adjacency, patterns: dict) -> None:
    """Rule ``adjacency`` after the walk: both ends are leaves and ``units`` lists exactly
    the units whose bits differ (``patterns``: leaf id -> pattern)."""
    for end in (e.a, e.b):
        if end not in patterns:
            raise invalid("adjacency", f"{e.where()}: node {end} is not a leaf", entry=e.i, node=end)
    pa, pb = patterns[e.a], patterns[e.b]
    if not differ_exactly_at(sorted(e.units), pa, pb):
        diff = [u for u, (x, y) in enumerate(zip(pa, pb)) if x != y]
        raise invalid("adjacency", f"{e.where()}: 'units' is {e.units[:50]}, the patterns differ in {diff[:50]}",
                      entry=e.i)


def finish_adjacency(ctx: Context, adj: list[Adjacency], patterns: dict) -> None:
    """:func:`adjacency_ends` for every entry; counts them as ``adjacency_pairs``."""
    for e in adj:
        adjacency_ends(e, patterns)
    ctx.counts["adjacency_pairs"] = len(adj)
