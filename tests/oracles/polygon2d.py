"""Exact linear regions of a 2-input ReLU network over a box, by convex polygon clipping.

Independent test oracle: standard library only (``int``, ``fractions.Fraction``), no LP,
no floating point, no ``exactrelu`` code.  See README.md in this directory.

Network format: ``layers = [(W, b), ...]``, ``W`` a list of rows (one per unit of the layer,
each row with one entry per input of the layer), ``b`` a list; entries ``Fraction`` or ``int``.
All layers but the last are followed by ReLU; the last layer is affine.  The first layer
must have 2 inputs.

Method (``regions``): start from the box polygon.  Visit the ReLU units in order (layer by
layer, unit by unit).  For every current polygon (convex, exact vertices, counter-clockwise)
the unit's pre-activation is an exact affine function ``z(x, y)`` determined by the
activation pattern of the earlier layers.  If ``z`` takes both signs at vertices of the
polygon, cut the polygon along ``z = 0`` into ``{z >= 0}`` (bit '1') and ``{z <= 0}``
(bit '0'); both parts then have positive area.  Otherwise the polygon is kept whole, with
bit '1' iff ``z > 0`` somewhere in its interior, i.e. iff ``z > 0`` at some vertex (so a unit
with ``z == 0`` on the whole polygon is '0').

Internally points are kept in homogeneous integer coordinates ``(X, Y, W)`` with ``W > 0``
and ``gcd(X, Y, W) == 1`` (the point is ``(X/W, Y/W)``; this representation is unique), and
the pre-activations of a layer as integer triples with one common positive denominator, so
that the sign of ``z`` at a vertex is the sign of an integer.  Results are returned as
``Fraction``.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm

__all__ = [
    "Region",
    "regions",
    "adjacency",
    "linear_pieces",
    "output_range",
    "output_extrema",
    "euler_check",
    "evaluate",
    "OracleError",
]


class OracleError(AssertionError):
    """An internal consistency check of the oracle failed (this would be an oracle bug or
    an invalid input, never a tolerance issue: everything is exact)."""


def _check(cond, msg):
    if not cond:
        raise OracleError(msg)


@dataclass
class Region:
    """One linear region (activation region intersected with the box).

    pattern:  '0'/'1' per ReLU unit, all hidden layers in order.
    vertices: counter-clockwise, no repeated and no collinear vertices, exact Fractions.
    C, d:     the output on the region is ``C @ (x, y) + d``; ``C`` has one row [c_x, c_y]
              per output, ``d`` one entry per output.
    area:     exact area (> 0).
    """

    pattern: str
    vertices: list
    C: list
    d: list
    area: Fraction

    def value(self, x, y):
        """Outputs of the region's affine map at (x, y)."""
        return [cx * x + cy * y + dd for (cx, cy), dd in zip(self.C, self.d)]

    def contains(self, x, y):
        """True iff (x, y) lies in the closed polygon."""
        n = len(self.vertices)
        for i in range(n):
            (x0, y0), (x1, y1) = self.vertices[i], self.vertices[(i + 1) % n]
            if (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) < 0:
                return False
        return True


# ---------------------------------------------------------------------------------------
# Exact network evaluation (used by tests; plain forward pass with Fractions).


def evaluate(layers, point):
    """Forward pass with exact Fractions: ReLU after every layer but the last."""
    h = [Fraction(v) for v in point]
    for k, (W, b) in enumerate(layers):
        z = [sum((Fraction(w) * v for w, v in zip(row, h)), Fraction(0)) + Fraction(bi)
             for row, bi in zip(W, b)]
        h = z if k == len(layers) - 1 else [max(v, Fraction(0)) for v in z]
    return h


# ---------------------------------------------------------------------------------------
# Homogeneous integer points and lines.


def _point(X, Y, W):
    """Canonical homogeneous representation: W > 0, gcd(X, Y, W) == 1."""
    _check(W != 0, "point at infinity")
    if W < 0:
        X, Y, W = -X, -Y, -W
    g = gcd(X, Y, W)
    return (X // g, Y // g, W // g)


def _point_from_fractions(x, y):
    x, y = Fraction(x), Fraction(y)
    W = lcm(x.denominator, y.denominator)
    return _point(x.numerator * (W // x.denominator), y.numerator * (W // y.denominator), W)


def _fractions_from_point(P):
    X, Y, W = P
    return (Fraction(X, W), Fraction(Y, W))


def _line(P, Q):
    """Line through two distinct points as primitive integers (a, b, c), a*x + b*y + c = 0,
    with the first nonzero of (a, b) positive.  Unique for each line."""
    (X1, Y1, W1), (X2, Y2, W2) = P, Q
    a = Y1 * W2 - W1 * Y2
    b = W1 * X2 - X1 * W2
    c = X1 * Y2 - Y1 * X2
    _check(a != 0 or b != 0, "degenerate edge (repeated vertex)")
    g = gcd(a, b, c)
    a, b, c = a // g, b // g, c // g
    if a < 0 or (a == 0 and b < 0):
        a, b, c = -a, -b, -c
    return (a, b, c)


def _det3(P, Q, R):
    """Twice the signed area of triangle PQR times W_P*W_Q*W_R (same sign as the area)."""
    (x1, y1, w1), (x2, y2, w2), (x3, y3, w3) = P, Q, R
    return (x1 * (y2 * w3 - w2 * y3) - y1 * (x2 * w3 - w2 * x3) + w1 * (x2 * y3 - y2 * x3))


def _remove_collinear(verts):
    """Drop vertices lying on the segment between their neighbours (and repeats)."""
    changed = True
    while changed and len(verts) >= 3:
        changed = False
        n = len(verts)
        for i in range(n):
            if verts[i] == verts[(i + 1) % n] or _det3(verts[i - 1], verts[i], verts[(i + 1) % n]) == 0:
                verts = verts[:i] + verts[i + 1:]
                changed = True
                break
    return verts


def _area(frac_verts):
    """Shoelace formula, exact; positive for counter-clockwise polygons."""
    n = len(frac_verts)
    s = Fraction(0)
    for i in range(n):
        (x0, y0), (x1, y1) = frac_verts[i], frac_verts[(i + 1) % n]
        s += x0 * y1 - x1 * y0
    return s / 2


# ---------------------------------------------------------------------------------------
# Polygon clipping.


def _signs(verts, z):
    a1, a2, a0 = z
    return [a1 * X + a2 * Y + a0 * W for (X, Y, W) in verts]


def _clip(verts, s, positive):
    """Part of the convex polygon ``verts`` where z >= 0 (positive=True) or z <= 0, given the
    values ``s`` of (a positive multiple of) z at the vertices.  Vertices with z == 0 belong
    to both parts; an edge whose endpoints have strictly opposite signs contributes its
    crossing point."""
    out = []
    n = len(verts)
    for i in range(n):
        P, Q = verts[i], verts[(i + 1) % n]
        sp, sq = s[i], s[(i + 1) % n]
        if (sp >= 0) if positive else (sp <= 0):
            out.append(P)
        if (sp > 0 and sq < 0) or (sp < 0 and sq > 0):
            # z is linear in homogeneous coordinates: z(sp*Q - sq*P) = sp*sq - sq*sp = 0,
            # and sp, -sq have the same sign, so this is a point of the open segment PQ.
            out.append(_point(*(sp * q - sq * p for p, q in zip(P, Q))))
    return out


# ---------------------------------------------------------------------------------------
# Layer maps with a common denominator.


def _integer_layer(W, b):
    """(Wint, bint, q) with W = Wint/q, b = bint/q, q > 0 the lcm of all denominators."""
    W = [[Fraction(w) for w in row] for row in W]
    b = [Fraction(v) for v in b]
    q = 1
    for v in [w for row in W for w in row] + b:
        q = lcm(q, v.denominator)
    Wint = [[int(w * q) for w in row] for row in W]
    bint = [int(v * q) for v in b]
    return Wint, bint, q


def _apply_layer(layer, H, den):
    """Pre-activations of the next layer.  ``H`` lists (k, (h1, h2, h0)) for the nonzero
    inputs h_k = (h1*x + h2*y + h0)/den.  Returns (Z, den2) with z_i = Z[i] / den2, where
    Z[i] are integer triples and den2 > 0, reduced by the common gcd."""
    Wint, bint, q = layer
    Z = []
    for row, bi in zip(Wint, bint):
        a1 = a2 = a0 = 0
        for k, (h1, h2, h0) in H:
            w = row[k]
            if w:
                a1 += w * h1
                a2 += w * h2
                a0 += w * h0
        Z.append((a1, a2, a0 + bi * den))
    den2 = q * den
    g = den2
    for t in Z:
        g = gcd(g, *t)
    return [(a1 // g, a2 // g, a0 // g) for (a1, a2, a0) in Z], den2 // g


def regions(layers, box=((-1, 1), (-1, 1))):
    """All linear (activation) regions of the network over the box, as a list of Region.

    Regions are the nonempty-interior sets {x in box : pattern(x) = p}, where a unit's bit
    is '1' iff its pre-activation is > 0 (closures taken, so shared boundaries belong to
    both neighbours).  Each pattern occurs at most once (the set is convex).
    """
    _check(len(layers) >= 1, "empty network")
    _check(all(len(row) == 2 for row in layers[0][0]), "first layer must have 2 inputs")
    ilayers = [_integer_layer(W, b) for W, b in layers]
    (x0, x1), (y0, y1) = box
    x0, x1, y0, y1 = map(Fraction, (x0, x1, y0, y1))
    _check(x0 < x1 and y0 < y1, "empty box")
    box_poly = [_point_from_fractions(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]

    # State per polygon: (vertices, pattern bits (str), Z, den) where Z[i]/den is the
    # pre-activation of unit i of the current layer (shared by siblings, never mutated).
    identity = [(0, (1, 0, 0)), (1, (0, 1, 0))]  # h_0 = x, h_1 = y, common denominator 1
    Z0, den0 = _apply_layer(ilayers[0], identity, 1)
    polys = [(box_poly, "", Z0, den0)]
    for li in range(len(layers) - 1):
        width = len(ilayers[li][0])
        for i in range(width):
            new = []
            for verts, bits, Z, den in polys:
                s = _signs(verts, Z[i])
                has_pos = any(v > 0 for v in s)
                has_neg = any(v < 0 for v in s)
                if has_pos and has_neg:
                    new.append((_clip(verts, s, True), bits + "1", Z, den))
                    new.append((_clip(verts, s, False), bits + "0", Z, den))
                else:
                    new.append((verts, bits + ("1" if has_pos else "0"), Z, den))
            polys = new
        # Next layer's pre-activations (or the output map after the last hidden layer).
        nxt = []
        for verts, bits, Z, den in polys:
            layer_bits = bits[len(bits) - width:]
            H = [(k, Z[k]) for k in range(width) if layer_bits[k] == "1"]
            Z2, den2 = _apply_layer(ilayers[li + 1], H, den)
            nxt.append((verts, bits, Z2, den2))
        polys = nxt

    result = []
    for verts, bits, Z, den in polys:
        verts = _remove_collinear(verts)
        _check(len(verts) >= 3, "degenerate polygon")
        fv = [_fractions_from_point(P) for P in verts]
        area = _area(fv)
        _check(area > 0, "polygon without positive area / not counter-clockwise")
        C = [[Fraction(a1, den), Fraction(a2, den)] for a1, a2, _ in Z]
        d = [Fraction(a0, den) for _, _, a0 in Z]
        result.append(Region(bits, fv, C, d, area))
    _check(len({r.pattern for r in result}) == len(result), "repeated activation pattern")
    return result


# ---------------------------------------------------------------------------------------
# Edges grouped by their supporting line.


def _edges_by_line(regions_):
    """{line: [(t_lo, t_hi, region_index, side), ...]} for all polygon edges.

    ``line`` is the primitive integer triple (a, b, c) of the edge's supporting line; ``t``
    is a coordinate along the line (x if b != 0, else y); ``side`` is +1 if the region lies
    where a*x + b*y + c > 0, else -1.
    """
    by_line = {}
    for idx, r in enumerate(regions_):
        hv = [_point_from_fractions(x, y) for x, y in r.vertices]
        n = len(hv)
        for j in range(n):
            P, Q = hv[j], hv[(j + 1) % n]
            a, b, c = _line(P, Q)
            (px, py), (qx, qy) = r.vertices[j], r.vertices[(j + 1) % n]
            tp, tq = (px, qx) if b != 0 else (py, qy)
            _check(tp != tq, "zero-length edge")
            # Counter-clockwise: interior is to the left of P->Q, i.e. along (-(qy-py), qx-px).
            left = a * (py - qy) + b * (qx - px)
            _check(left != 0, "edge direction parallel to its normal")
            by_line.setdefault((a, b, c), []).append(
                (min(tp, tq), max(tp, tq), idx, 1 if left > 0 else -1))
    return by_line


def _point_on_line(line, t):
    a, b, c = line
    if b != 0:
        return (t, Fraction(-(a * t + c), b))
    return (Fraction(-c, a), t)


def adjacency(regions_):
    """Pairs of regions whose closures share a segment of positive length.

    Returns a dict {(i, j): (mx, my)} with i < j (region indices) mapping each adjacent pair
    to the midpoint of the shared segment; ``set(result)`` is the set of pairs.

    Method: hash every edge by its normalised supporting line; on each line sort the edge
    intervals by their start and sweep, reporting pairs of intervals that overlap with
    positive length.  Edges need not match one to one (T-junctions, several neighbours
    along one edge).
    """
    pairs = {}
    for line, ivs in _edges_by_line(regions_).items():
        ivs.sort(key=lambda e: (e[0], e[1]))
        active = []  # intervals whose end lies beyond the current start
        for lo, hi, idx, side in ivs:
            active = [e for e in active if e[1] > lo]
            for alo, ahi, aidx, aside in active:
                # alo <= lo < ahi and lo < hi: overlap [lo, min(hi, ahi)] of positive length.
                _check(aside != side, f"regions {aidx} and {idx} overlap along {line}")
                _check(aidx != idx, "a convex polygon with two edges on one line")
                key = (min(idx, aidx), max(idx, aidx))
                _check(key not in pairs, f"regions {key} share two segments")
                pairs[key] = _point_on_line(line, (lo + min(hi, ahi)) / 2)
            active.append((lo, hi, idx, side))
    return pairs


def linear_pieces(regions_, pairs):
    """Connected components (lists of region indices, sorted; list sorted by first index) of
    the graph on regions whose edges are the adjacent pairs with equal affine maps (C, d)."""
    parent = list(range(len(regions_)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        if regions_[i].C == regions_[j].C and regions_[i].d == regions_[j].d:
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    comps = {}
    for i in range(len(regions_)):
        comps.setdefault(find(i), []).append(i)
    return sorted(comps.values())


def output_extrema(regions_):
    """Per output: (min, argmin point, max, argmax point) over the box, exact.  The extremum
    of an affine function over a convex polygon is attained at a vertex."""
    n_out = len(regions_[0].d)
    res = []
    for o in range(n_out):
        best_lo = best_hi = None
        for r in regions_:
            (cx, cy), d = r.C[o], r.d[o]
            for x, y in r.vertices:
                v = cx * x + cy * y + d
                if best_lo is None or v < best_lo[0]:
                    best_lo = (v, (x, y))
                if best_hi is None or v > best_hi[0]:
                    best_hi = (v, (x, y))
        res.append((best_lo[0], best_lo[1], best_hi[0], best_hi[1]))
    return res


def output_range(regions_):
    """Per output: (min, max) over the box, exact."""
    return [(lo, hi) for lo, _, hi, _ in output_extrema(regions_)]


def euler_check(regions_, pairs=None, box=None):
    """Build the planar graph of the subdivision and return (V, E, F).

    Vertices: distinct polygon vertices.  Edges: on each supporting line, the segments
    between consecutive endpoints of the polygon edges on that line that are covered by
    some polygon edge (this splits edges at T-junctions: a vertex in the middle of an edge
    is always the endpoint of another edge on the same line).  Faces: the regions.
    For a subdivision of the box into convex polygons, V - E + F == 1.

    Also checked (OracleError on failure): along every line the edges on each side are
    disjoint; every elementary segment is covered by exactly one region on each side, or by
    one region only if it lies on the box boundary (``box`` given: on its boundary lines);
    if ``pairs`` is given, it equals the set of pairs of regions on the two sides of an
    elementary segment.
    """
    verts = set()
    for r in regions_:
        verts.update(r.vertices)
    boundary_lines = None
    if box is not None:
        (x0, x1), (y0, y1) = box
        corners = [_point_from_fractions(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        boundary_lines = {_line(corners[i], corners[(i + 1) % 4]) for i in range(4)}
    E = 0
    seg_pairs = set()
    for line, ivs in _edges_by_line(regions_).items():
        ends = sorted({t for lo, hi, _, _ in ivs for t in (lo, hi)})
        sides = {}
        for side in (1, -1):
            s_ivs = sorted((lo, hi, idx) for lo, hi, idx, sd in ivs if sd == side)
            for (lo1, hi1, _), (lo2, hi2, _) in zip(s_ivs, s_ivs[1:]):
                _check(hi1 <= lo2, f"overlapping edges on one side of {line}")
            sides[side] = (s_ivs, [e[0] for e in s_ivs])
        for u, v in zip(ends, ends[1:]):
            covering = []
            for side in (1, -1):
                s_ivs, starts = sides[side]
                k = bisect_right(starts, u) - 1
                if k >= 0 and s_ivs[k][1] >= v:
                    covering.append(s_ivs[k][2])
            if not covering:
                continue  # a gap between two edges on the same line
            E += 1
            if len(covering) == 2:
                seg_pairs.add((min(covering), max(covering)))
            elif boundary_lines is not None:
                _check(line in boundary_lines, f"segment of {line} with a region on one side only")
    if pairs is not None:
        _check(set(pairs) == seg_pairs, "adjacency pairs differ from the planar graph's")
    return len(verts), E, len(regions_)
