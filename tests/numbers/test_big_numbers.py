"""Numbers beyond Python's 4,300-digit int/str limit, and short adjacency witnesses in
higher dimensions (an ACAS Xu certificate once failed to serialise on a 16,000-digit
witness coordinate)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from exactrelu.certificate.partition import partition_certificate
from exactrelu.checker import check_certificate
from exactrelu.domain.polytope import box
from exactrelu.graph.region_graph import adjacencies
from exactrelu.model.random_nets import random_network
from exactrelu.checker.checker import parse_int
from exactrelu.numbers.rationals import format_rational, int_str, to_rational


@pytest.mark.parametrize("digits", [1, 3_000, 4_301, 9_000, 25_000])
def test_int_str_and_parse_int_round_trip_beyond_the_limit(digits):
    n = 7 ** int(digits / 0.845)  # about `digits` decimal digits
    for v in (n, -n, n + 1):
        s = int_str(v)
        assert s.lstrip("-").isdigit() and not s.lstrip("-").startswith("0")
        assert parse_int(s) == v
        assert len(s.lstrip("-")) == len(repr(v).lstrip("-")) if digits < 4_000 else True


def test_huge_rationals_format_and_parse():
    q = Fraction(3 ** 20_000 + 1, 2 ** 30_000)
    s = format_rational(q)
    assert to_rational(s) == q
    assert format_rational(Fraction(-(10 ** 5_000))) == "-1" + "0" * 5_000


def test_five_input_certificate_has_short_adjacency_witnesses_and_checks():
    net = random_network([6, 6], seed=3, n_in=5)
    from exactrelu.regions.walk import enumerate_regions

    part = enumerate_regions(net, box([-1] * 5, [1] * 5), max_regions=150)
    adj = adjacencies(part)
    assert adj
    # a short point of the shared facet (rounded to 2^-p, one coordinate solved for), not
    # the centroid of the facet's vertices
    assert max(max(v.denominator.bit_length() for v in e.witness) for e in adj) < 400
    cert = json.loads(json.dumps(partition_certificate(part, adjacency=adj)))
    assert check_certificate(cert).valid
