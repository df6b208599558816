"""The adjacency graph of regions: the n-D fast path (separating rows, short and centroid
witnesses) against an exact LP on every pair of regions on one hyperplane."""

from __future__ import annotations

import pytest

from exactrelu.domain.polytope import box
from exactrelu.model.random_nets import random_network
from exactrelu.regions.walk import enumerate_regions


@pytest.mark.parametrize("seed, n", [(0, 3), (1, 3), (2, 3), (3, 4)])
def test_nd_adjacency_fast_path_matches_exact_lp(seed, n):
    """3-D and 4-D adjacency: separating rows and short/centroid witnesses agree with an LP
    for every pair on a hyperplane."""
    from exactrelu.certificate.partition import partition_certificate
    from exactrelu.checker import check_certificate
    from exactrelu.graph.adjacency import _key, _lp_witness, adjacencies

    net = random_network([5, 4] if n == 3 else [4, 3], seed=seed, n_in=n, denom=4)
    part = enumerate_regions(net, box([-1] * n, [1] * n))
    fast = {(e.i, e.j) for e in adjacencies(part)}
    groups = {}
    for reg in part.regions:
        for r, a, b, vids in reg.facets:
            key, orient = _key(a, b)
            groups.setdefault(key, []).append((reg, orient))
    slow = set()
    for key, fs in groups.items():
        for r1, o1 in fs:
            for r2, o2 in fs:
                if o1 > 0 > o2:
                    rows = [(a, b) for reg in (r1, r2) for a, b in reg.cell.rows if any(a) and _key(a, b)[0] != key]
                    if _lp_witness(key, rows, n) is not None:
                        slow.add(tuple(sorted((r1.index, r2.index))))
    assert fast == slow
    rep = check_certificate(partition_certificate(part))
    assert rep.adjacency_pairs == len(fast)
