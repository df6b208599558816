"""Region enumeration: partition properties, degenerate arrangements, limits, progress."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest
from hypothesis import given, settings, strategies as st

from exactrelu.domain.polytope import box, polytope
from exactrelu.errors import DomainError
from exactrelu.model.evaluation import activation_pattern, evaluate
from exactrelu.model.network import NetworkBuilder, mlp
from exactrelu.model.random_nets import random_layers, random_network
from exactrelu.regions.walk import enumerate_regions


def assert_valid_partition(net, D, part, samples=200, seed=0):
    """Check a partition against the network itself (no enumerator internals)."""
    assert part.complete
    pats = [r.pattern for r in part.regions]
    assert len(set(pats)) == len(pats), "two regions with one pattern"
    for r in part.regions:
        A, b = r.constraints
        w = r.witness
        assert all(sum(a * x for a, x in zip(row, w)) < bi for row, bi in zip(A, b)), "witness not interior"
        assert D.contains(w, strict=True)
        assert activation_pattern(net, w) == r.pattern
        assert evaluate(net, w) == r.evaluate(w)
        for v in r.vertices:  # the map holds on the closure (continuity)
            assert evaluate(net, v) == r.evaluate(v)
            assert all(sum(a * x for a, x in zip(row, v)) <= bi for row, bi in zip(A, b))
    rng = random.Random(seed)
    lo, hi = D.lower, D.upper
    for _ in range(samples):
        x = [F(rng.randint(-10**6, 10**6), 10**6) * (h - l) / 2 + (h + l) / 2 for l, h in zip(lo, hi)]
        if not D.contains(x):
            continue
        hits = [r for r in part.regions
                if all(sum(a * xi for a, xi in zip(row, x)) <= bi for row, bi in zip(*r.constraints))]
        assert hits, f"point {x} is in no region"
        p = activation_pattern(net, x, ties="mark")
        if "=" not in p:
            assert [h.pattern for h in hits if all(
                sum(a * xi for a, xi in zip(row, x)) < bi for row, bi in zip(*h.constraints))] == [p]


def brute_force_1d(layers, lo, hi):
    """Breakpoints of a 1-input net by exhaustive bisection on exact patterns (test oracle)."""
    net = mlp(1, layers)
    # every breakpoint is a zero of some unit's pre-activation on some pattern: collect the
    # candidate points of all patterns seen on a fine grid, then keep those where the pattern changes
    grid = [lo + (hi - lo) * F(i, 4000) for i in range(4001)]
    pats = [p for p in (activation_pattern(net, [x], ties="mark") for x in grid) if "=" not in p]
    return sum(1 for a, b in zip(pats, pats[1:]) if a != b) + 1


@pytest.mark.parametrize("seed", range(6))
def test_random_2d_partitions_are_valid(seed):
    net = random_network([5, 4, 3], seed=seed)
    D = box([-1, -1], [1, 1])
    part = enumerate_regions(net, D)
    assert_valid_partition(net, D, part)


@pytest.mark.parametrize("seed", range(4))
def test_residual_partitions_are_valid(seed):
    net = random_network([4, 4, 4], seed=seed, residual=True)
    D = box(["-1", "-1/2"], [1, "3/2"])
    assert_valid_partition(net, D, enumerate_regions(net, D))


def test_3d_and_4d_partitions_are_valid():
    for n_in in (3, 4):
        net = random_network([5, 3], seed=n_in, n_in=n_in)
        D = box([-1] * n_in, [1] * n_in)
        assert_valid_partition(net, D, enumerate_regions(net, D), samples=100)


@pytest.mark.parametrize("seed", range(5))
def test_1d_region_count_matches_grid(seed):
    layers = random_layers([4, 3], seed, n_in=1, denom=4)
    part = enumerate_regions(mlp(1, layers), box([-1], [1]))
    # grid count is a lower bound; with denominators 4 breakpoints are multiples of small
    # fractions, so a 1/2000 grid sees every region of positive length >= 1/2000
    assert len(part.regions) >= brute_force_1d(layers, F(-1), F(1))
    assert_valid_partition(mlp(1, layers), box([-1], [1]), part)


def test_degenerate_coinciding_hyperplanes():
    # three units on the same line x + y = 0 (scaled differently, one reversed), a fourth through the origin
    net = mlp(2, [([[1, 1], [2, 2], [-1, -1], [1, -1]], [0, 0, 0, 0]), ([[1, -1, 1, 1]], [0])])
    D = box([-1, -1], [1, 1])
    part = enumerate_regions(net, D)
    assert len(part.regions) == 4
    assert_valid_partition(net, D, part)


def test_degenerate_many_lines_through_one_point():
    k = 7
    W = [[F(i), F(1)] for i in range(-3, 4)]
    net = mlp(2, [(W, [0] * k), ([[1] * k], [0])])
    D = box([-1, -1], [1, 1])
    part = enumerate_regions(net, D)
    assert len(part.regions) == 2 * k
    assert_valid_partition(net, D, part)


def test_degenerate_line_on_domain_boundary_and_zero_unit():
    # unit 0: x - 1 (zero on the edge x = 1, never positive); unit 1: identically 0; unit 2: y
    net = mlp(2, [([[1, 0], [0, 0], [0, 1]], [-1, 0, 0]), ([[1, 1, 1]], [0])])
    D = box([-1, -1], [1, 1])
    part = enumerate_regions(net, D)
    assert len(part.regions) == 2
    assert {r.pattern for r in part.regions} == {"001", "000"}
    assert_valid_partition(net, D, part)


def test_degenerate_second_layer_constant_on_region():
    # layer 2 unit: relu(x) - relu(x) = 0 wherever it is defined: pre-activation identically 0
    net = mlp(2, [([[1, 0], [1, 0]], [0, 0]), ([[1, -1], [1, 1]], [0, 0]), ([[1, 1]], [0])])
    D = box([-1, -1], [1, 1])
    part = enumerate_regions(net, D)
    assert_valid_partition(net, D, part)
    assert len(part.regions) == 2


def test_non_box_domain():
    D = polytope([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])  # triangle
    net = random_network([6, 6], seed=9)
    assert_valid_partition(net, D, enumerate_regions(net, D))


def test_dimension_mismatch():
    with pytest.raises(DomainError):
        enumerate_regions(random_network([3], seed=1), box([0], [1]))


def test_limits_mark_incomplete_and_open_nodes():
    net = random_network([8, 8], seed=1)
    D = box([-1, -1], [1, 1])
    full = enumerate_regions(net, D)
    part = enumerate_regions(net, D, max_regions=10)
    assert len(part.regions) == 10 and not part.complete and part.stopped_by == "max_regions"
    assert part.open_nodes
    assert {r.pattern for r in part.regions} <= {r.pattern for r in full.regions}
    exact = enumerate_regions(net, D, max_regions=len(full.regions))
    assert exact.complete and exact.stopped_by is None
    t = enumerate_regions(random_network([32, 32], seed=3), D, time_limit=0.05)
    assert not t.complete and t.stopped_by == "time_limit"


def test_progress_callback():
    seen = []
    enumerate_regions(random_network([16, 16], seed=2), box([-1, -1], [1, 1]), progress=seen.append,
                      progress_every=0.0)
    assert seen and seen[-1].regions > 0 and seen[-1].open_cells == 0
    assert all(a.regions <= b.regions for a, b in zip(seen, seen[1:]))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**9), st.lists(st.integers(1, 4), min_size=1, max_size=3), st.booleans())
def test_hypothesis_small_nets(seed, widths, residual):
    net = random_network(widths, seed=seed, denom=3, residual=residual)
    D = box([-1, -1], [1, 1])
    assert_valid_partition(net, D, enumerate_regions(net, D), samples=40, seed=seed)


def test_masked_layer_forms_equal_the_general_product():
    """The int64 fast paths (masked_layer_forms, and layer_forms for one source) give exactly
    the python-flint product's result, and step aside for huge numbers."""
    import random

    import numpy as np

    from exactrelu.model.intnet import IntNet, identity_forms
    from exactrelu.model.random_nets import random_network

    rng = random.Random(3)
    for seed in range(6):
        net = random_network([7, 5, 3], seed=seed)
        kern = IntNet(net)
        outs = ((tuple(identity_forms(2)), 1),)
        forms, D = kern.layer_forms(1, outs)
        assert (forms, D) == kern._flint_layer_forms(1, outs)
        for k in (2, 3):
            mask = np.array([rng.random() < 0.5 for _ in forms])
            got = kern.masked_layer_forms(k, forms, D, mask)
            masked = tuple(f if m else None for f, m in zip(forms, mask))
            assert got is not None and got[0] == masked
            assert got[1] == kern.layer_forms(k, outs + ((masked, D),))
            assert got[1] == kern._flint_layer_forms(k, outs + ((masked, D),))
            outs = outs + ((masked, D),)
            forms, D = got[1]
    huge = tuple((3 ** 60, -(5 ** 40), 7) for _ in range(7))
    kern = IntNet(random_network([7, 5], seed=1))
    assert kern.masked_layer_forms(2, huge, 1, np.ones(7, dtype=bool)) is None
    assert kern.layer_forms(2, [None, (huge, 1)]) == kern._flint_layer_forms(2, [None, (huge, 1)])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(2, 4))
def test_farkas_at_many_equals_farkas_at(seed, n):
    """The batched Farkas vectors at a vertex are exactly the one-at-a-time ones, and each
    proves its form non-negative on the cell (checked at every vertex); the batched exact
    multipliers (:meth:`Cell.sign_proofs_at`) are exactly ``exact_multipliers`` of them (in
    2-D at a simple vertex: the vertex basis, exactly where a Farkas vector exists)."""
    from exactrelu.domain.cells import Cell

    rng = random.Random(seed)
    dom = box([-1] * n, [1] * n)
    cell = Cell.from_polytope(dom.A, dom.b, dom.vertices)
    for _ in range(3):  # cut by random hyperplanes: new, still simple and degenerate vertices
        form = tuple(rng.randint(-3, 3) for _ in range(n)) + (rng.randint(-1, 1),)
        vals = cell.values(form)
        if min(vals) < 0 < max(vals):
            cell = cell.split(form, (rng.randint(1, 5), rng.randint(1, 3)), vals)[rng.randint(0, 1)]
    proved = 0
    for i, (X, W) in enumerate(cell.vertices):
        forms = [tuple(rng.randint(-4, 4) for _ in range(n)) + (rng.randint(-9, 9),) for _ in range(6)]
        # and forms minimised at vertex i: minus a positive combination of its tight rows, times W
        for _ in range(2):
            g = [0] * n
            for r in cell.incidence[i]:
                t = rng.randint(1, 3)
                g = [gi - t * ai for gi, ai in zip(g, cell.rows[r][0])]
            g = [W * gi for gi in g]
            forms.append(tuple(g) + (-sum(gi * xi for gi, xi in zip(g, X)) // W + rng.randint(0, 2),))
        many = cell.farkas_at_many(forms, i)
        assert many == [cell.farkas_at(f, i) for f in forms]
        scale = rng.randint(1, 6)
        got = cell.sign_proofs_at(forms, i, scale)
        if n == 2 and len(cell.incidence[i]) == 2:  # a vertex basis where a Farkas vector exists
            assert [y is None for y in got] == [y is None for y in many]
            assert all(sorted(y) == sorted(cell.incidence[i]) for y in got if y is not None)
        else:
            assert got == [None if y is None else cell.exact_multipliers(y, scale) for y in many]
        for f, y in zip(forms, many):
            if y is not None:  # form >= 0 at every vertex
                assert min(cell.values(f)) >= 0
                proved += 1
    assert proved >= len(cell.vertices)


def test_inverse_2x2_equals_flint_inverse():
    """The python-int 2x2 basis inverse is exactly python-flint's (numerator, least
    denominator), singular bases included."""
    from exactrelu.domain.cells import _flint_inverse, _inverse_2x2

    rng = random.Random(5)
    for _ in range(3000):
        R = rng.choice([3, 10, 1000, 10 ** 20])
        k = rng.choice([1, 1, 2, 6])
        rows = [tuple(k * rng.randint(-R, R) for _ in range(2)) for _ in range(2)]
        _, d, Nz = _flint_inverse(rows)
        N, d2, _ = _inverse_2x2(rows)
        assert d2 == d
        assert N == (None if Nz is None else [[int(x) for x in r] for r in Nz.tolist()])


def test_cli_regions_no_graph_certificate_checks(tmp_path):
    """``regions --no-graph`` (issue 18): enumeration only; the certificate has the same tree
    and regions as with the graph, no adjacency entries, and the checker accepts it."""
    import json
    import subprocess
    import sys

    from exactrelu.checker import check_certificate
    from exactrelu.cli.demo import example_path

    ex = str(example_path("mlp_2x8x8.json"))
    exe = [sys.executable, "-m", "exactrelu.cli", "regions", ex, "--box=-1:1", "--json"]
    c0, c1 = tmp_path / "g.json", tmp_path / "n.json"
    full = json.loads(subprocess.run(exe + ["--certificate", str(c0)], capture_output=True, text=True,
                                     check=True).stdout)
    r = subprocess.run(exe + ["--no-graph", "--certificate", str(c1)], capture_output=True, text=True, check=True)
    d = json.loads(r.stdout)
    assert d["regions"] == full["regions"] and d["complete"] is True
    assert d["adjacent_pairs"] is None and d["linear_pieces"] is None
    a, b = json.loads(c0.read_text()), json.loads(c1.read_text())
    assert b["adjacency"] == [] and a["adjacency"]
    assert {k: v for k, v in a.items() if k != "adjacency"} == {k: v for k, v in b.items() if k != "adjacency"}
    rep = check_certificate(c1)
    assert rep.valid and rep.complete and rep.leaves == d["regions"] and rep.adjacency_pairs == 0
    bad = subprocess.run(exe + ["--no-graph", "--graph", str(tmp_path / "x.graphml")], capture_output=True, text=True)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "--no-graph" in bad.stderr
