"""``check_certificate(property certificate, workers=N)``: the shares of a property proof.

Every share checks the proofs and prune evidence of the leaves it walks; what no share used
is judged over all shares (:func:`exactrelu.checker.parallel.merge_property`). These tests
hold the parallel check to the serial one on real property certificates (pruned cells and
leaf proofs), on the shares directly (so that a pass is not the serial fallback's), and on
certificates with one piece of evidence removed or added, which must be rejected with the
serial checker's rule, message and data.
"""

from __future__ import annotations

import copy

import pytest

from exactrelu.checker import CLAIMS, SCHEMA, ADJACENCY, CertificateInvalid, check_certificate
from exactrelu.checker import checker as core, parallel
from exactrelu.domain.vnnlib import parse_vnnlib
from exactrelu.model.random_nets import random_network
from exactrelu.verify.property import property_certificate, verify

HDR = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)\n"
       "(assert (<= -1 X_0 1)) (assert (<= -1 X_1 1))\n")


def _cert(seed: int, threshold: str, prune: bool) -> dict:
    net = random_network([12, 12], seed=seed)
    prop = parse_vnnlib(HDR + f"(assert (>= Y_0 {threshold}))")
    res = verify(net, prop, samples=0, prune=prune)
    assert res.verdict == "holds"
    return property_certificate(net, prop, res)


@pytest.fixture(scope="module")
def certs() -> dict[str, dict]:
    return {"pruned": _cert(3, "4", True), "leaf proofs": _cert(3, "4", False)}


def _same(a, b) -> bool:
    da, db = a.to_dict(), b.to_dict()
    da.pop("seconds"), db.pop("seconds")
    return da == db


def _shares(cert: dict, shares: int):
    ctx = core.prepare(cert, core.Path("."), claims=CLAIMS, adjacency=ADJACENCY, schema=SCHEMA)
    depth = (2 * shares).bit_length()
    results = [parallel.check_share(ctx, (depth, shares, s), CLAIMS["property"]) for s in range(shares)]
    return ctx, results


@pytest.mark.parametrize("kind", ["pruned", "leaf proofs"])
def test_workers_give_the_serial_report(certs, kind):
    cert = certs[kind]
    assert len(cert["partitions"][0]["nodes"]) > 20  # a tree that the shares really divide
    serial = check_certificate(cert)
    for workers in (2, 3):
        assert _same(check_certificate(cert, workers=workers), serial)


@pytest.mark.parametrize("kind", ["pruned", "leaf proofs"])
@pytest.mark.parametrize("shares", [2, 3, 5])
def test_every_share_passes_and_the_merge_accepts(certs, kind, shares):
    cert = certs[kind]
    serial = check_certificate(cert)
    ctx, results = _shares(cert, shares)
    assert all(r is not None for r in results)
    assert sum(1 for r in results if r[0]["leaves"] + r[0]["open_nodes"]) >= 2  # more than one share walked cells
    parallel.sum_counts(ctx, results)
    assert parallel.merge_property(ctx, results)
    for key in ("leaves", "nodes", "splits", "stable_decisions", "open_nodes"):
        assert ctx.counts[key] == getattr(serial, key), key


def _drop_proof(c):
    c["partitions"][0]["proofs"].pop()


def _drop_prune(c):
    c["partitions"][0]["prune"].pop()


def _prune_a_leaf(c):
    part = c["partitions"][0]
    leaf = next(nd for nd in part["nodes"] if nd["split"] is None and not nd.get("open"))
    part["prune"].append(dict(copy.deepcopy(part["prune"][0]), node=leaf["id"]))


def _proof_for_inner_node(c):
    part = c["partitions"][0]
    part["proofs"].append(dict(copy.deepcopy(part["proofs"][0]), node=0))


MUTATIONS = [("pruned", _drop_prune), ("pruned", _prune_a_leaf), ("leaf proofs", _drop_proof),
             ("leaf proofs", _proof_for_inner_node)]


@pytest.mark.parametrize("kind,mutate", MUTATIONS, ids=lambda m: getattr(m, "__name__", m))
def test_a_missing_or_extra_proof_is_the_serial_rejection(certs, kind, mutate):
    cert = copy.deepcopy(certs[kind])
    mutate(cert)
    with pytest.raises(CertificateInvalid) as serial_exc:
        check_certificate(cert)
    for workers in (2, 3):
        with pytest.raises(CertificateInvalid) as exc:
            check_certificate(cert, workers=workers)
        assert (exc.value.rule, exc.value.message, exc.value.data) == \
            (serial_exc.value.rule, serial_exc.value.message, serial_exc.value.data)
    for shares in (2, 3):  # the shares or their merge see it themselves
        ctx, results = _shares(cert, shares)
        assert any(r is None for r in results) or not parallel.merge_property(ctx, results)
