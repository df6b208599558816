"""Exact breakpoints and linear pieces of a 1-input ReLU network on an interval.

Independent test oracle: standard library only (``fractions.Fraction``), no LP, no floating
point, no ``exactrelu`` code, and no code shared with ``polygon2d``.  See README.md.

Network format: ``layers = [(W, b), ...]`` as in ``polygon2d`` but the first layer has one
input (``W`` rows of length 1).

Method: keep a sorted list of intervals covering [lo, hi], each with its activation pattern
so far and the exact pre-activations of the current layer as (slope, intercept) pairs.
Visit the ReLU units in order; for each interval, the unit's pre-activation
``z(t) = s*t + c`` is affine there; if it vanishes at a point strictly inside the interval,
split there.  A unit's bit is '1' iff ``z > 0`` somewhere in the open interval (so a unit
with ``z == 0`` on the whole interval is '0').  After the last hidden layer every interval
carries the exact affine output map.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Interval", "pieces", "merge", "breakpoints", "evaluate"]


@dataclass
class Interval:
    """[lo, hi] with activation pattern and output map out_k(t) = slope[k]*t + intercept[k]."""

    lo: Fraction
    hi: Fraction
    pattern: str
    slope: list
    intercept: list

    def value(self, t):
        return [s * t + c for s, c in zip(self.slope, self.intercept)]


def evaluate(layers, t):
    """Forward pass with exact Fractions: ReLU after every layer but the last."""
    h = [Fraction(t)]
    for k, (W, b) in enumerate(layers):
        z = [sum((Fraction(w) * v for w, v in zip(row, h)), Fraction(0)) + Fraction(bi)
             for row, bi in zip(W, b)]
        h = z if k == len(layers) - 1 else [max(v, Fraction(0)) for v in z]
    return h


def _next_layer(W, b, h):
    """Pre-activations (slope, intercept) of a layer given its inputs' (slope, intercept)."""
    out = []
    for row, bi in zip(W, b):
        s = sum((Fraction(w) * hs for w, (hs, _) in zip(row, h)), Fraction(0))
        c = sum((Fraction(w) * hc for w, (_, hc) in zip(row, h)), Fraction(0)) + Fraction(bi)
        out.append((s, c))
    return out


def pieces(layers, lo, hi):
    """Return (intervals, merged).

    ``intervals``: list of Interval sorted by position, covering [lo, hi], consecutive
    intervals sharing an endpoint; one per maximal set of constant activation pattern
    (each split point is a zero of some unit's pre-activation).
    ``merged``: list of Interval (pattern '' ) obtained by merging adjacent intervals with
    the same output map (slope and intercept of every output): the linear pieces.  The
    interior endpoints of ``merged`` are exactly the breakpoints of the function.
    """
    lo, hi = Fraction(lo), Fraction(hi)
    if not lo < hi:
        raise ValueError("need lo < hi")
    if not all(len(row) == 1 for row in layers[0][0]):
        raise ValueError("first layer must have 1 input")
    identity = [(Fraction(1), Fraction(0))]
    # (lo, hi, bits, pre-activations of the current layer)
    ivs = [(lo, hi, [], _next_layer(*layers[0], identity))]
    for li in range(len(layers) - 1):
        width = len(layers[li][0])
        for i in range(width):
            new = []
            for a, b, bits, Z in ivs:
                s, c = Z[i]
                za, zb = s * a + c, s * b + c
                if za * zb < 0:  # sign change strictly inside (a, b): root of s*t + c
                    r = -c / s
                    if not a < r < b:
                        raise AssertionError("root outside interval")
                    new.append((a, r, bits + ["1" if za > 0 else "0"], Z))
                    new.append((r, b, bits + ["1" if zb > 0 else "0"], Z))
                else:
                    # no sign change inside: z > 0 in the interior iff z > 0 at an endpoint
                    new.append((a, b, bits + ["1" if (za > 0 or zb > 0) else "0"], Z))
            ivs = new
        nxt = []
        for a, b, bits, Z in ivs:
            layer_bits = bits[len(bits) - width:]
            h = [Z[k] if layer_bits[k] == "1" else (Fraction(0), Fraction(0)) for k in range(width)]
            nxt.append((a, b, bits, _next_layer(*layers[li + 1], h)))
        ivs = nxt
    intervals = [Interval(a, b, "".join(bits), [s for s, _ in Z], [c for _, c in Z])
                 for a, b, bits, Z in ivs]
    for u, v in zip(intervals, intervals[1:]):
        if u.hi != v.lo:
            raise AssertionError("intervals do not tile [lo, hi]")
        if u.value(u.hi) != v.value(v.lo):
            raise AssertionError("output not continuous")
    return intervals, merge(intervals)


def merge(intervals):
    """Merge adjacent intervals with equal output maps (pattern of merged pieces is '')."""
    merged = []
    for iv in intervals:
        if merged and merged[-1].slope == iv.slope and merged[-1].intercept == iv.intercept:
            merged[-1].hi = iv.hi
        else:
            merged.append(Interval(iv.lo, iv.hi, "", list(iv.slope), list(iv.intercept)))
    return merged


def breakpoints(layers, lo, hi):
    """Sorted points in the open interval (lo, hi) where the network is not affine."""
    _, merged = pieces(layers, lo, hi)
    return [m.lo for m in merged[1:]]
