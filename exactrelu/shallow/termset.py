"""Term sets: a maximum of (astronomically) many shallow terms, kept as a formula.

The weight-level and tropical constructions produce, for every unit of a network, a pair
of *term sets* ``(P, Q)`` with unit value ``max P - max Q``. A term set is a DAG of

* ``leaf``: an explicit list of term vectors;
* ``sum``: ``{const + sum_c coef_c * t_c : t_c in child_c}`` (all combinations; coef > 0),
  whose max is ``const + sum_c coef_c * max(child_c)``;
* ``union``: the union of the children's terms, whose max is the max of their maxes.

So the number of terms (a product of sums) is computed with Python ints without listing
them, the max is evaluated exactly in time linear in the DAG, and the terms are listed
(:func:`materialise`) only under a size limit.  The form built on them is
:class:`exactrelu.shallow.lazy.SignSplitForm`.

Examples
--------
>>> from fractions import Fraction as F
>>> a = TermSet.leaf([(F(1), F(0)), (F(0), F(0))])          # {x, 0}: max is relu(x)
>>> s = TermSet.sum([(F(1), a), (F(2), a)])                 # relu(x) + 2 relu(x)
>>> count(s), max_value(s, (F(3), F(1))), len(materialise(s, 10))
(4, Fraction(9, 1), 4)
"""

from __future__ import annotations

from fractions import Fraction
from operator import add
from typing import Sequence

from ..errors import ModelError, TooManyTerms
from .dominance import prune_dominated

__all__ = ["Vec", "TermSet", "TooManyTerms", "DEFAULT_MAX_TERMS", "post_order", "count", "unit_counts", "max_units",
           "max_value", "materialise", "human_size"]

Vec = tuple[Fraction, ...]
_ZERO = Fraction(0)

DEFAULT_MAX_TERMS = 100_000
"""Largest number of terms listed by default (counting and evaluation never list them)."""


class TermSet:
    """A node of the term-set DAG (see the module docstring); build with the class methods."""

    __slots__ = ("kind", "terms", "parts", "const", "__weakref__")

    def __init__(self, kind: str, terms: tuple = (), parts: tuple = (), const: Vec | None = None) -> None:
        self.kind = kind
        self.terms = terms
        self.parts = parts
        self.const = const

    @classmethod
    def leaf(cls, terms: Sequence[Vec]) -> "TermSet":
        ts = tuple(dict.fromkeys(tuple(t) for t in terms))
        if not ts:
            raise ModelError("an empty term set has no maximum")
        return cls("leaf", terms=ts)

    @classmethod
    def zero(cls, dim: int) -> "TermSet":
        return cls("leaf", terms=(tuple([_ZERO] * dim),))

    def is_zero(self) -> bool:
        return self.kind == "leaf" and len(self.terms) == 1 and not any(self.terms[0])

    def singleton(self) -> Vec | None:
        """The only term, if this is a one-term leaf."""
        return self.terms[0] if self.kind == "leaf" and len(self.terms) == 1 else None

    @classmethod
    def sum(cls, parts: Sequence[tuple[Fraction, "TermSet"]], const: Vec | None = None,
            dim: int | None = None) -> "TermSet":
        """``const + sum coef * child`` (coef > 0); singleton children fold into ``const``.

        ``dim`` (the term length) is needed only when there are no parts and no const."""
        keep = []
        c = None if const is None else list(const)
        for coef, node in parts:
            if coef <= 0:
                raise ModelError("sum coefficients must be positive")
            one = node.singleton()
            if one is not None:
                if any(one):
                    if c is None:
                        c = [_ZERO] * len(one)
                    for i, v in enumerate(one):
                        if v:
                            c[i] += coef * v
                continue
            keep.append((Fraction(coef), node))
        cv = None if c is None or not any(c) else tuple(c)
        if not keep:
            if cv is None:
                if dim is None:
                    dim = len(parts[0][1].terms[0]) if parts else (len(const) if const is not None else None)
                if dim is None:
                    raise ModelError("an empty sum needs its dimension")
                return cls.zero(dim)
            return cls("leaf", terms=(cv,))
        if cv is None and len(keep) == 1 and keep[0][0] == 1:
            return keep[0][1]
        return cls("sum", parts=tuple(keep), const=cv)

    @classmethod
    def union(cls, parts: Sequence["TermSet"]) -> "TermSet":
        leaves: list[Vec] = []
        keep = []
        for p in parts:
            if p.kind == "leaf":
                leaves.extend(p.terms)
            elif p.kind == "union":
                keep.extend(p.parts)
            else:
                keep.append(p)
        if leaves:
            keep.append(cls.leaf(leaves))
        if len(keep) == 1:
            return keep[0]
        return cls("union", parts=tuple(keep))


def post_order(root: TermSet) -> list[TermSet]:
    """The DAG below ``root`` in post-order (children first), each node once.

    Parameters
    ----------
    root : TermSet

    Returns
    -------
    list of TermSet
        Every node reachable from ``root``, each once, a node after all its children
        (so a memo over the list fills children first); ``root`` is last.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> a = TermSet.leaf([(F(1), F(0)), (F(0), F(0))])
    >>> s = TermSet.sum([(F(1), a), (F(2), a)])
    >>> [n.kind for n in post_order(s)]
    ['leaf', 'sum']
    """
    seen: set[int] = set()
    order: list[TermSet] = []
    stack: list[tuple[TermSet, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        kids = [c for _, c in node.parts] if node.kind == "sum" else list(node.parts)
        for c in kids:
            if id(c) not in seen:
                stack.append((c, False))
    return order


def count(root: TermSet, memo: dict | None = None) -> int:
    """Number of terms (with multiplicity over the formula; an exact Python int)."""
    memo = {} if memo is None else memo
    for node in post_order(root):
        if id(node) in memo:
            continue
        if node.kind == "leaf":
            memo[id(node)] = len(node.terms)
        elif node.kind == "sum":
            t = 1
            for _, c in node.parts:
                t *= memo[id(c)]
            memo[id(node)] = t
        else:
            memo[id(node)] = sum(memo[id(c)] for c in node.parts)
    return memo[id(root)]


def unit_counts(root: TermSet, offset: int, n_units: int, memo: dict | None = None,
                tmemo: dict | None = None) -> list[int]:
    """For each hidden unit u, the number of terms whose formula involves u.

    A term of a sum involves u when one of its chosen children's terms (or the constant)
    does: ``N_u(sum) = T - prod_c (T_c - N_u(c))`` (zero contributions from the constant
    handled by setting ``N_u = T``). Exact Python ints; ``offset`` is where the hidden-unit
    coefficients start in a term vector.
    """
    memo = {} if memo is None else memo
    tmemo = {} if tmemo is None else tmemo
    count(root, tmemo)
    for node in post_order(root):
        if id(node) in memo:
            continue
        if node.kind == "leaf":
            memo[id(node)] = [sum(1 for t in node.terms if t[offset + u]) for u in range(n_units)]
        elif node.kind == "sum":
            T = tmemo[id(node)]
            out = []
            for u in range(n_units):
                if node.const is not None and node.const[offset + u]:
                    out.append(T)
                    continue
                miss = 1
                for _, c in node.parts:
                    miss *= tmemo[id(c)] - memo[id(c)][u]
                out.append(T - miss)
            memo[id(node)] = out
        else:
            memo[id(node)] = [sum(memo[id(c)][u] for c in node.parts) for u in range(n_units)]
    return memo[id(root)]


def max_units(root: TermSet, offset: int, n_units: int, cap: int = 1 << 20) -> tuple[int, bool]:
    """``(largest number of hidden units in one term, exact?)``.

    Tracks the set of supports (bit masks) per node; when a combination step would exceed
    ``cap`` mask pairs it falls back to an upper bound (the union of all supports below).
    """
    masks: dict[int, set[int] | None] = {}
    full: dict[int, int] = {}

    def mask(t: Vec) -> int:
        m = 0
        for u in range(n_units):
            if t[offset + u]:
                m |= 1 << u
        return m

    for node in post_order(root):
        if id(node) in masks:
            continue
        if node.kind == "leaf":
            ms = {mask(t) for t in node.terms}
            masks[id(node)] = ms
            full[id(node)] = 0
            for m in ms:
                full[id(node)] |= m
        elif node.kind == "sum":
            c0 = mask(node.const) if node.const is not None else 0
            cur: set[int] | None = {c0}
            f = c0
            for _, c in node.parts:
                f |= full[id(c)]
                sub = masks[id(c)]
                if cur is None or sub is None or len(cur) * len(sub) > cap:
                    cur = None
                    continue
                cur = {a | b for a in cur for b in sub}
            masks[id(node)] = cur
            full[id(node)] = f
        else:
            subs = [masks[id(c)] for c in node.parts]
            masks[id(node)] = None if any(s is None for s in subs) else set().union(*subs)  # type: ignore[arg-type]
            f = 0
            for c in node.parts:
                f |= full[id(c)]
            full[id(node)] = f
    ms = masks[id(root)]
    if ms is None:
        return bin(full[id(root)]).count("1"), False
    return max(bin(m).count("1") for m in ms), True


def max_value(root: TermSet, phi: Sequence[Fraction], memo: dict | None = None) -> Fraction:
    """``max_{t in root} t . phi`` exactly, without listing the terms."""
    memo = {} if memo is None else memo
    for node in post_order(root):
        if id(node) in memo:
            continue
        if node.kind == "leaf":
            memo[id(node)] = max(sum((a * b for a, b in zip(t, phi) if a and b), _ZERO) for t in node.terms)
        elif node.kind == "sum":
            v = _ZERO if node.const is None else sum((a * b for a, b in zip(node.const, phi) if a and b), _ZERO)
            for coef, c in node.parts:
                v += coef * memo[id(c)]
            memo[id(node)] = v
        else:
            memo[id(node)] = max(memo[id(c)] for c in node.parts)
    return memo[id(root)]


def _keep_max_constant(ts: list[Vec], const_index: int) -> list[Vec]:
    """Among terms equal except for the constant, keep the largest constant (exact,
    valid everywhere: the others are below it at every point)."""
    best: dict[tuple, Vec] = {}
    for t in ts:
        key = t[:const_index] + t[const_index + 1:]
        b = best.get(key)
        if b is None or t[const_index] > b[const_index]:
            best[key] = t
    return list(best.values())


def materialise(root: TermSet, max_terms: int, memo: dict | None = None, const_index: int | None = None,
                domain=None) -> list[Vec]:
    """List the distinct terms (raises :class:`TooManyTerms` when a step would exceed ``max_terms``).

    With ``const_index`` (the position of the constant in a term), terms that differ only
    in the constant are merged at every node (the largest constant is kept), which keeps
    the intermediate lists small without changing any maximum. Sizes are checked before
    each product is formed, so nothing large is ever built. With a ``domain`` (and
    ``const_index``), terms that a single other term dominates on the domain are dropped
    at every node of at most 3000 terms (valid: sums and unions preserve the order).
    """
    memo = {} if memo is None else memo

    def tidy(ts: list[Vec]) -> list[Vec]:
        ts = list(dict.fromkeys(ts))
        if const_index is None:
            return ts
        ts = _keep_max_constant(ts, const_index)
        if domain is not None and 1 < len(ts) <= 3000:
            ts = prune_dominated(ts, const_index, domain)
        return ts

    def too_many(size: int) -> TooManyTerms:
        return TooManyTerms(f"listing the terms needs more than {max_terms} of them (a step has {human_size(size)}; "
                            f"the formula has {human_size(count(root))}); ask for the counts only (exact without "
                            "listing the terms), or raise the limit")

    for node in post_order(root):
        if id(node) in memo:
            continue
        if node.kind == "leaf":
            memo[id(node)] = tidy(list(node.terms))
        elif node.kind == "sum":
            cur: list[Vec] = [node.const] if node.const is not None else []
            for coef, c in node.parts:
                sub = memo[id(c)]
                scaled = [tuple(coef * v for v in t) for t in sub] if coef != 1 else sub
                if not cur:
                    cur = list(scaled)
                else:
                    if len(cur) * len(scaled) > max_terms:
                        raise too_many(len(cur) * len(scaled))
                    cur = tidy([tuple(map(add, a, b)) for a in cur for b in scaled])
            memo[id(node)] = cur
        else:
            ts = [t for c in node.parts for t in memo[id(c)]]
            if len(ts) > max_terms:
                raise too_many(len(ts))
            memo[id(node)] = tidy(ts)
        if len(memo[id(node)]) > max_terms:
            raise too_many(len(memo[id(node)]))
    return memo[id(root)]


def human_size(T: int) -> str:
    """A readable size: the int itself when short, else its order of magnitude.

    Examples
    --------
    >>> human_size(12345), human_size(10 ** 30)
    ('12345', 'about 10^30')
    """
    if T.bit_length() <= 40:
        return str(T)
    import math

    return f"about 10^{int(T.bit_length() * math.log10(2))}"
