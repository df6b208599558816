"""The enumerator and graph against the independent 2-D polygon-clipping and 1-D oracles."""

from __future__ import annotations

import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from oracles import breakpoints1d, polygon2d  # noqa: E402

from conftest import load_random_nets  # noqa: E402
from exactrelu.certificate.partition import partition_certificate
from exactrelu.checker import check_certificate
from exactrelu.domain.polytope import box
from exactrelu.graph.region_graph import adjacencies, linear_pieces, region_graph
from exactrelu.model.network import mlp
from exactrelu.model.random_nets import random_layers
from exactrelu.regions.walk import enumerate_regions

BENCH = [([8, 8], 1), ([16, 16, 16], 2), ([32, 32], 3)]
SLOW = [([32, 32, 32], 4), ([64, 64], 5), ([50] * 6, 6)]  # 50x6: 17,514 regions, about a minute


def compare(layers, lo=(-1, -1), hi=(1, 1), certify=True):
    net = mlp(2, layers)
    part = enumerate_regions(net, box(list(lo), list(hi)))
    oregs = polygon2d.regions(layers, box=((F(lo[0]), F(hi[0])), (F(lo[1]), F(hi[1]))))
    opairs = polygon2d.adjacency(oregs)
    assert sorted(r.pattern for r in part.regions) == sorted(r.pattern for r in oregs)
    adj = adjacencies(part)
    by_pat = {r.pattern: i for i, r in enumerate(oregs)}
    mine = {tuple(sorted((by_pat[part.regions[e.i].pattern], by_pat[part.regions[e.j].pattern]))) for e in adj}
    assert len(adj) == len(mine) == len(opairs)
    assert mine == set(opairs)
    G = region_graph(part, adj)
    assert len(linear_pieces(G)) == len(polygon2d.linear_pieces(oregs, set(opairs)))
    for r in part.regions:  # vertex sets agree exactly
        o = oregs[by_pat[r.pattern]]
        assert set(r.cell.vertex(i) for i in range(len(r.cell.vertices))) >= set(o.vertices)
    if certify:
        rep = check_certificate(partition_certificate(part, adjacency=adj))
        assert rep.valid and rep.leaves == len(oregs) and rep.adjacency_pairs == len(opairs)
    return part, oregs


@pytest.mark.parametrize("widths,seed", BENCH)
def test_reference_nets_match_oracle(widths, seed):
    mod = load_random_nets()
    compare(mod.random_net(widths, seed))


@pytest.mark.slow
@pytest.mark.parametrize("widths,seed", SLOW)
def test_larger_reference_nets_match_oracle(widths, seed):
    mod = load_random_nets()
    compare(mod.random_net(widths, seed), certify=False)


@pytest.mark.parametrize("seed", range(12))
def test_random_small_nets_match_oracle(seed):
    widths = [[3, 3], [5], [4, 4, 4], [6, 2]][seed % 4]
    compare(random_layers(widths, seed, denom=[2, 4, 16][seed % 3]), lo=(-1, F(-1, 2)), hi=(F(3, 2), 1))


def test_degenerate_nets_match_oracle():
    # concurrent, repeated and parallel lines, lines along the box edge, a zero row
    layers = [([[1, 1], [2, 2], [1, -1], [0, 1], [1, 0], [0, 0], [1, 0]], [0, 0, 0, 0, -1, 0, 1]),
              ([[1, -1, 1, 1, 1, 1, 1], [1, 1, 1, -1, 0, 1, 0]], [0, F(1, 2)]),
              ([[1, -1]], [0])]
    compare([([[F(v) for v in row] for row in W], [F(v) for v in b]) for W, b in layers])


@pytest.mark.parametrize("seed", range(8))
def test_1d_matches_breakpoint_oracle(seed):
    layers = random_layers([5, 4, 3], seed, n_in=1, denom=[2, 8][seed % 2])
    part = enumerate_regions(mlp(1, layers), box([-1], [1]))
    intervals, merged = breakpoints1d.pieces(layers, F(-1), F(1))
    assert len(part.regions) == len(intervals)
    got = sorted((min(v[0] for v in r.vertices), max(v[0] for v in r.vertices), r.pattern) for r in part.regions)
    assert got == sorted((iv.lo, iv.hi, iv.pattern) for iv in intervals)
    G = region_graph(part)
    assert G.number_of_edges() == len(intervals) - 1
    assert len(linear_pieces(G)) == len(merged)


@pytest.mark.parametrize("widths,seed", BENCH[:2])
def test_output_range_matches_oracle(widths, seed):
    from exactrelu.regions.evidence import max_over_region, min_over_region

    layers = load_random_nets().random_net(widths, seed)
    part = enumerate_regions(mlp(2, layers), box([-1, -1], [1, 1]))
    lo = min(min_over_region(r, r.affine_map[0][0], r.affine_map[1][0])[0] for r in part.regions)
    hi = max(max_over_region(r, r.affine_map[0][0], r.affine_map[1][0])[0] for r in part.regions)
    assert [(lo, hi)] == polygon2d.output_range(polygon2d.regions(layers))
