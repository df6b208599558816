"""Validation of the independent test oracles in tests/oracles (not of exactrelu itself).

The 2-D oracle must reproduce the exact counts of ../shared/benchmarks/random2d/peers.md,
tile the box (areas, Euler's relation), agree with an independently counted line
arrangement for one-hidden-layer nets, and agree with exact forward evaluation.  The 1-D
oracle is compared with dense exact sampling.
"""
from __future__ import annotations

import importlib.util
import random
import sys
import time
from fractions import Fraction as F
from itertools import combinations
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from oracles import breakpoints1d, polygon2d  # noqa: E402

BOX = ((-1, 1), (-1, 1))
RANDOM2D = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "random2d"


def _random_nets():
    path = RANDOM2D / "random_nets.py"
    if not path.exists():
        pytest.skip(f"{RANDOM2D} not available")
    spec = importlib.util.spec_from_file_location("_random2d_nets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _small_net(widths, seed, n_in=2, wmax=2, bmax=1, den=2):
    """Nets with tiny rational weights: many exact degeneracies and dead units."""
    rng = random.Random(seed)
    dims = [n_in] + list(widths) + [1]
    return [([[F(rng.randint(-wmax, wmax), den) for _ in range(a)] for _ in range(b)],
             [F(rng.randint(-bmax, bmax), den) for _ in range(b)])
            for a, b in zip(dims, dims[1:])]


def _pattern_and_output(layers, point):
    """Independent forward pass: activation bits (z > 0) and outputs, exact."""
    h = [F(v) for v in point]
    bits = []
    for k, (W, b) in enumerate(layers):
        z = [sum((F(w) * v for w, v in zip(row, h)), F(0)) + F(bi) for row, bi in zip(W, b)]
        if k == len(layers) - 1:
            return "".join(bits), z
        bits += ["1" if v > 0 else "0" for v in z]
        h = [max(v, F(0)) for v in z]


def _interior_point(region):
    n = len(region.vertices)
    return (sum(x for x, _ in region.vertices) / n, sum(y for _, y in region.vertices) / n)


def _check_subdivision(layers, regs, pairs, sample=None, box=BOX):
    """Checks shared by all 2-D tests; returns (V, E, F)."""
    (x0, x1), (y0, y1) = box
    assert sum(r.area for r in regs) == (F(x1) - F(x0)) * (F(y1) - F(y0))
    assert len({r.pattern for r in regs}) == len(regs)
    V, E, Fc = polygon2d.euler_check(regs, pairs, box=box)
    assert V - E + Fc == 1
    for r in regs:
        assert r.area == polygon2d._area(r.vertices) > 0
        n = len(r.vertices)
        for i in range(n):  # strictly convex, counter-clockwise
            (ax, ay), (bx, by), (cx, cy) = r.vertices[i - 1], r.vertices[i], r.vertices[(i + 1) % n]
            assert (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) > 0
    idx = range(len(regs)) if sample is None else range(0, len(regs), max(1, len(regs) // sample))
    for i in idx:  # the region's pattern and map agree with exact evaluation inside it
        p = _interior_point(regs[i])
        pattern, out = _pattern_and_output(layers, p)
        assert pattern == regs[i].pattern
        assert out == regs[i].value(*p)
    plist = sorted(pairs)
    idx = range(len(plist)) if sample is None else range(0, len(plist), max(1, len(plist) // sample))
    for k in idx:  # shared-segment midpoints lie on both regions, where the maps agree
        (i, j), m = plist[k], pairs[plist[k]]
        assert regs[i].contains(*m) and regs[j].contains(*m)
        assert regs[i].value(*m) == regs[j].value(*m) == polygon2d.evaluate(layers, m)
    return V, E, Fc


def _brute_force_adjacency(regs):
    """O(n^2) comparison of all edge pairs, no hashing: reference for small cases."""
    def edges(r):
        n = len(r.vertices)
        return [(r.vertices[i], r.vertices[(i + 1) % n]) for i in range(n)]

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    out = set()
    E = [edges(r) for r in regs]
    for i, j in combinations(range(len(regs)), 2):
        for p, q in E[i]:
            for r, s in E[j]:
                if cross(p, q, r) != 0 or cross(p, q, s) != 0:
                    continue
                dx, dy = q[0] - p[0], q[1] - p[1]  # project on the edge direction
                t = lambda v: (v[0] - p[0]) * dx + (v[1] - p[1]) * dy  # noqa: E731
                if min(t(q), max(t(r), t(s))) - max(t(p), min(t(r), t(s))) > 0:
                    out.add((i, j))
    return out


# ----------------------------------------------------------------------------------------
# Reference nets of peers.md

BENCH = [  # (widths, seed, regions, adjacent pairs)
    pytest.param([8, 8], 1, 122, 222, id="8-8"),
    pytest.param([16, 16, 16], 2, 340, 644, id="16-16-16"),
    pytest.param([32, 32], 3, 1317, 2565, id="32-32"),
    pytest.param([32, 32, 32], 4, 2345, 4599, id="32-32-32", marks=pytest.mark.slow),
    pytest.param([64, 64], 5, 5114, 10105, id="64-64", marks=pytest.mark.slow),
    pytest.param([50] * 6, 6, 17514, 34761, id="50x6", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("widths, seed, n_regions, n_pairs", BENCH)
def test_reference_counts(widths, seed, n_regions, n_pairs):
    layers = _random_nets().random_net(widths, seed)
    t0 = time.perf_counter()
    regs = polygon2d.regions(layers, BOX)
    pairs = polygon2d.adjacency(regs)
    elapsed = time.perf_counter() - t0
    assert (len(regs), len(pairs)) == (n_regions, n_pairs)
    _check_subdivision(layers, regs, pairs, sample=60)
    # output range: attained at the returned points, and no grid point beats it
    (lo, argmin, hi, argmax), = polygon2d.output_extrema(regs)
    assert polygon2d.evaluate(layers, argmin) == [lo] and polygon2d.evaluate(layers, argmax) == [hi]
    assert polygon2d.output_range(regs) == [(lo, hi)]
    grid = [F(k, 4) for k in range(-4, 5)]
    for x in grid:
        for y in grid:
            assert lo <= polygon2d.evaluate(layers, (x, y))[0] <= hi
    print(f"{widths} seed {seed}: {len(regs)} regions, {len(pairs)} pairs in {elapsed:.2f} s")


def test_small_reference_adjacency_brute_force():
    layers = _random_nets().random_net([8, 8], 1)
    regs = polygon2d.regions(layers, BOX)
    assert set(polygon2d.adjacency(regs)) == _brute_force_adjacency(regs)


# ----------------------------------------------------------------------------------------
# One hidden layer: a line arrangement, counted independently.


def _arrangement_count(W, b, box=BOX):
    """Regions cut from the box by the lines w.x + c = 0: 1 + #lines crossing the open box
    + sum over interior intersection points p of (#lines through p - 1)."""
    (x0, x1), (y0, y1) = [tuple(map(F, side)) for side in box]
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    lines = set()
    for (a, bb), c in zip(W, b):
        a, bb, c = F(a), F(bb), F(c)
        if a == 0 and bb == 0:
            continue
        k = a if a != 0 else bb  # normalise: first nonzero coefficient 1
        vals = [(a * x + bb * y + c) / k for x, y in corners]
        if min(vals) < 0 < max(vals):
            lines.add((a / k, bb / k, c / k))
    lines = sorted(lines)
    through = {}
    for (a1, b1, c1), (a2, b2, c2) in combinations(lines, 2):
        det = a1 * b2 - a2 * b1
        if det == 0:
            continue
        x, y = (b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det
        if x0 < x < x1 and y0 < y < y1:
            through.setdefault((x, y), set()).update({(a1, b1, c1), (a2, b2, c2)})
    return 1 + len(lines) + sum(len(s) - 1 for s in through.values()), len(lines), through


@pytest.mark.parametrize("seed", range(6))
def test_one_layer_generic_lines(seed):
    rng = random.Random(100 + seed)
    k = 4 + 3 * seed
    W = [[F(rng.randint(-1000, 1000), 997), F(rng.randint(-1000, 1000), 991)] for _ in range(k)]
    b = [F(rng.randint(-500, 500), 983) for _ in range(k)]
    layers = [(W, b), ([[F(rng.randint(-3, 3)) for _ in range(k)]], [F(0)])]
    expected, n_lines, through = _arrangement_count(W, b)
    assert all(len(s) == 2 for s in through.values())  # general position
    assert expected == 1 + n_lines + len(through)
    regs = polygon2d.regions(layers, BOX)
    assert len(regs) == expected
    _check_subdivision(layers, regs, polygon2d.adjacency(regs))


@pytest.mark.parametrize("seed", range(8))
def test_one_layer_degenerate_lines(seed):
    """Small integer lines: concurrent lines, parallel and repeated lines, lines through
    corners, lines along the box boundary, zero rows."""
    rng = random.Random(200 + seed)
    k = 6 + seed
    W = [[F(rng.randint(-2, 2)), F(rng.randint(-2, 2))] for _ in range(k)]
    b = [F(rng.choice([-2, -1, 0, 0, 1, 2])) for _ in range(k)]
    layers = [(W, b), ([[F(1)] * k], [F(0)])]
    expected, _, through = _arrangement_count(W, b)
    regs = polygon2d.regions(layers, BOX)
    assert len(regs) == expected
    pairs = polygon2d.adjacency(regs)
    _check_subdivision(layers, regs, pairs)
    assert set(pairs) == _brute_force_adjacency(regs)


def test_concurrent_lines_hand_count():
    # x = 0, y = 0, x = y through the origin: 6 sectors, each adjacent to its 2 neighbours
    layers = [([[1, 0], [0, 1], [1, -1]], [0, 0, 0]), ([[1, 1, 1]], [0])]
    regs = polygon2d.regions(layers, BOX)
    pairs = polygon2d.adjacency(regs)
    assert (len(regs), len(pairs)) == (6, 6)
    assert polygon2d.euler_check(regs, pairs, BOX) == (9, 14, 6)


def test_degenerate_units():
    # z == 0 everywhere -> '0'; z = x - 1 vanishes on the right edge only -> '0';
    # z = x + 1 vanishes on the left edge -> '1'; z = -x - 1 -> '0'
    layers = [([[0, 0], [1, 0], [1, 0], [-1, 0]], [0, -1, 1, -1]), ([[1, 1, 1, 1]], [0])]
    regs = polygon2d.regions(layers, BOX)
    assert [r.pattern for r in regs] == ["0010"]
    assert regs[0].C == [[1, 0]] and regs[0].d == [1]


def test_linear_pieces():
    # relu(x) - relu(-x) = x: two regions, one linear piece; relu(x) + relu(-x) = |x|: two
    layers = [([[1, 0], [-1, 0]], [0, 0]), ([[1, -1], [1, 1]], [0, 0])]
    regs = polygon2d.regions(layers, BOX)
    pairs = polygon2d.adjacency(regs)
    assert len(regs) == 2 and len(pairs) == 1
    both = [[r.C[o] for r in regs] for o in range(2)]
    assert both[0][0] == both[0][1] == [1, 0] and both[1][0] != both[1][1]
    assert polygon2d.linear_pieces(regs, pairs) == [[0], [1]]  # maps compare all outputs
    one = [(layers[0][0], layers[0][1]), ([[1, -1]], [0])]
    regs1 = polygon2d.regions(one, BOX)
    assert polygon2d.linear_pieces(regs1, polygon2d.adjacency(regs1)) == [[0, 1]]
    abs_ = [(layers[0][0], layers[0][1]), ([[1, 1]], [0])]
    regs2 = polygon2d.regions(abs_, BOX)
    assert polygon2d.linear_pieces(regs2, polygon2d.adjacency(regs2)) == [[0], [1]]
    assert polygon2d.output_range(regs2) == [(0, 1)]


def test_t_junction_synthetic():
    """A hand-made subdivision with a vertex in the middle of a neighbour's edge: the left
    half is one region, the right half two.  (Activation subdivisions never have such
    vertices, see README.md, so this is built by hand.)"""
    R = polygon2d.Region
    z = [[F(0), F(0)]], [F(0)]
    left = R("a", [(F(-1), F(-1)), (F(0), F(-1)), (F(0), F(1)), (F(-1), F(1))], *z, F(2))
    top = R("b", [(F(0), F(0)), (F(1), F(0)), (F(1), F(1)), (F(0), F(1))], *z, F(1))
    bot = R("c", [(F(0), F(-1)), (F(1), F(-1)), (F(1), F(0)), (F(0), F(0))], *z, F(1))
    regs = [left, top, bot]
    pairs = polygon2d.adjacency(regs)
    assert pairs == {(0, 1): (F(0), F(1, 2)), (0, 2): (F(0), F(-1, 2)), (1, 2): (F(1, 2), F(0))}
    assert set(pairs) == _brute_force_adjacency(regs)
    assert polygon2d.euler_check(regs, pairs, BOX) == (8, 10, 3)
    assert polygon2d.linear_pieces(regs, pairs) == [[0, 1, 2]]


@pytest.mark.parametrize("seed", range(40))
def test_small_degenerate_deep_nets(seed):
    widths = [[3, 3], [4, 4, 4], [3, 3, 3, 3], [5, 5]][seed % 4]
    layers = _small_net(widths, seed)
    regs = polygon2d.regions(layers, BOX)
    pairs = polygon2d.adjacency(regs)
    _check_subdivision(layers, regs, pairs)
    assert set(pairs) == _brute_force_adjacency(regs)


def test_other_box():
    box = ((F(-1, 3), F(2)), (F(1, 7), F(5, 2)))
    layers = _small_net([4, 4], 7, wmax=4, bmax=4, den=3)
    regs = polygon2d.regions(layers, box)
    _check_subdivision(layers, regs, polygon2d.adjacency(regs), box=box)


# ----------------------------------------------------------------------------------------
# 1-D oracle vs dense exact sampling


def _check_1d(layers, lo, hi, n_grid):
    lo, hi = F(lo), F(hi)
    intervals, merged = breakpoints1d.pieces(layers, lo, hi)
    assert intervals[0].lo == lo and intervals[-1].hi == hi
    for u, v in zip(intervals, intervals[1:]):
        assert u.lo < u.hi == v.lo < v.hi and u.pattern != v.pattern
    for iv in intervals:  # pattern and map at the midpoint, by forward evaluation
        mid = (iv.lo + iv.hi) / 2
        pattern, out = _pattern_and_output(layers, [mid])
        assert pattern == iv.pattern and out == iv.value(mid)
    for u, v in zip(merged, merged[1:]):  # genuine breakpoints: one-sided slopes differ
        assert u.slope != v.slope
        eps = min(u.hi - u.lo, v.hi - v.lo) / 3
        b = u.hi
        left = (breakpoints1d.evaluate(layers, b)[0] - breakpoints1d.evaluate(layers, b - eps)[0]) / eps
        right = (breakpoints1d.evaluate(layers, b + eps)[0] - breakpoints1d.evaluate(layers, b)[0]) / eps
        assert (left, right) == (u.slope[0], v.slope[0])
    # dense grid: exact values match the pieces; finite-difference slopes are the piece's
    # slope on cells without breakpoints and strictly between the one-sided slopes on cells
    # with exactly one breakpoint
    grid = [lo + (hi - lo) * k / n_grid for k in range(n_grid + 1)]
    vals = [breakpoints1d.evaluate(layers, t)[0] for t in grid]
    bps = [m.lo for m in merged[1:]]
    j = 0
    for t, v in zip(grid, vals):
        while merged[j].hi < t:
            j += 1
        assert v == merged[j].value(t)[0]
    for k in range(n_grid):
        a, c = grid[k], grid[k + 1]
        slope = (vals[k + 1] - vals[k]) / (c - a)
        inside = [p for p in bps if a < p < c]
        if not inside:
            piece = next(m for m in merged if m.lo <= a and c <= m.hi)
            assert slope == piece.slope[0]
        elif len(inside) == 1:
            i = bps.index(inside[0])
            s1, s2 = merged[i].slope[0], merged[i + 1].slope[0]
            assert min(s1, s2) < slope < max(s1, s2)
    return intervals, merged


@pytest.mark.parametrize("widths, seed", [([8, 8], 1), ([16, 16, 16], 2), ([32, 32], 3),
                                          ([12] * 5, 4), ([3], 5), ([1], 6)])
def test_1d_random_nets(widths, seed):
    layers = _random_nets().random_net(widths, seed, n_in=1)
    _check_1d(layers, -1, 1, 400)


@pytest.mark.parametrize("seed", range(20))
def test_1d_small_degenerate_nets(seed):
    layers = _small_net([[3, 3], [4, 4, 4], [2, 2, 2, 2]][seed % 3], seed, n_in=1)
    _check_1d(layers, F(-3, 2), F(5, 4), 300)


def test_1d_hand_examples():
    # |t| - 1/2 relu(t - 1/2): breakpoints 0 and 1/2; unit t - 1 vanishes at hi only
    layers = [([[1], [-1], [1], [1], [0]], [0, 0, F(-1, 2), -1, 0]),
              ([[1, 1, F(-1, 2), 5, 7]], [0])]
    intervals, merged = _check_1d(layers, -1, 1, 64)
    assert [iv.pattern for iv in intervals] == ["01000", "10000", "10100"]
    assert [(m.lo, m.hi, m.slope, m.intercept) for m in merged] == [
        (-1, 0, [-1], [0]), (0, F(1, 2), [1], [0]), (F(1, 2), 1, [F(1, 2)], [F(1, 4)])]
    assert breakpoints1d.breakpoints(layers, -1, 1) == [0, F(1, 2)]
    # relu(t) - relu(-t) = t: two intervals, one piece
    intervals, merged = breakpoints1d.pieces([([[1], [-1]], [0, 0]), ([[1, -1]], [0])], -1, 1)
    assert len(intervals) == 2 and len(merged) == 1 and merged[0].slope == [1]


def test_2d_restricted_to_a_line_matches_1d():
    """Cross-check of the two oracles: a 2-input net composed with t -> (t, c*t + e) is a
    1-input net; its breakpoints are where the line crosses region boundaries with
    different maps on the two sides."""
    layers = _random_nets().random_net([8, 8], 1)
    c, e = F(1, 3), F(-1, 5)
    (W1, b1), rest = layers[0], layers[1:]
    line_net = [([[w[0] + c * w[1]] for w in W1], [bi + w[1] * e for w, bi in zip(W1, b1)])] + rest
    _, merged = breakpoints1d.pieces(line_net, -1, 1)  # y = t/3 - 1/5 stays inside the box
    regs = polygon2d.regions(layers, BOX)
    for m in merged:  # on each 1-D piece, the region at its midpoint has the same map
        t = (m.lo + m.hi) / 2
        p = (t, c * t + e)
        r = next(r for r in regs if r.contains(*p))
        assert [cx + cy * c for cx, cy in r.C] == m.slope
        assert [cy * e + d for (_, cy), d in zip(r.C, r.d)] == m.intercept
