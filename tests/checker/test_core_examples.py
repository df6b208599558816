"""The worked examples of ``exactrelu/checker/checker.py``'s helpers (formerly its doctests,
moved here to keep the core file short): same inputs, same expected values."""

from __future__ import annotations

import json

import pytest

from exactrelu.checker.checker import (CertificateMalformed, Layer, as_int, farkas_residual, fields, fmt_rational,
                                       invalid, no_duplicate_keys, number_reader, read_point, read_vector,
                                       reduce_layer, unpack_digits, vertex_basis_proves)

BOX = [((1, 0, -1), 1), ((-1, 0, -1), 1), ((0, 1, -1), 1), ((0, -1, -1), 1)]  # [-1, 1]^2


def test_invalid_data():
    assert invalid("region-map", "C[0][0] is 1, the network gives 2", node=3).data == {"node": 3}


def test_fmt_rational():
    assert (fmt_rational(-3, 4), fmt_rational(2 ** 3000)[:12]) == ("-3/4", "<rational of")


def test_fields():
    assert fields({"A": [], "b": []}, "domain", "domain") == {"A": [], "b": []}
    with pytest.raises(CertificateMalformed) as info:
        fields({"A": [], "b": [], "note": "trust me"}, "domain", "domain")
    assert info.value.message == "unknown field 'note' at domain (a domain has only: A, b)"


def test_no_duplicate_keys():
    with pytest.raises(CertificateMalformed) as info:
        json.loads('{"a": 1, "a": 2}', object_pairs_hook=no_duplicate_keys)
    assert info.value.message == "duplicate key 'a' in a JSON object"


def test_as_int():
    assert as_int(3, "unit") == 3


def test_read_point_and_vector():
    assert read_point(number_reader(), ["1/2", "-1/3"], 2, "witness") == (3, -2, 6)
    assert read_vector(number_reader(), ["1/2", "3"], 2, "row") == ((1, 6), 2)


def test_reduce_layer():
    assert reduce_layer([[2, 4], [6, 0]], 8) == [((1, 3), 4), ((2, 0), 4)]


def test_unpack_digits():
    assert unpack_digits(5 - 3 * 2**8 + 0 * 2**16, 2**7 + 2**15 + 2**23, 8, 3) == [5, -3, 0]


def test_dot_columns():
    lay = Layer("relu", [0], 2, [((3, -1), 0, 1), ((-2, 5), 0, 1)])
    assert lay.dot_columns([0, 1], [(7, 4), (-1, 0)]) == [[17, 6], [-3, 2]]


def test_farkas_residual():
    rows = [((1, -1), 1), ((-1, -1), 1)]  # -1 <= x <= 1
    assert farkas_residual(number_reader(), rows, 1, ((1, -2), 1), [[0, "1"]], "r") == [0, -1]  # x - 2 - (x - 1)


def test_vertex_basis_proves():
    assert vertex_basis_proves(BOX, -1, ((1, 1, 2), 1), [1, 3]) is True  # x + y + 2 >= 0 on [-1,1]^2
    assert vertex_basis_proves(BOX, -1, ((1, 1, 2), 1), [3, 1]) is True  # the rows in either order
    assert vertex_basis_proves(BOX, -1, ((1, 1, 1), 1), [1, 3]) is False  # x + y + 1 is -1 at (-1,-1)
