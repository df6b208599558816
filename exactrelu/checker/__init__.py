"""The trusted checker of exactrelu certificates (standard library only).

It re-verifies a certificate (``proofs/certificate-format.md``) from the network alone:
it recomputes every affine map from the weights with exact integer/rational arithmetic and
checks the evidence (witness points, Farkas vectors). It imports nothing from the rest of
exactrelu, so the package directory can be copied and run on its own::

    python -m exactrelu.checker CERT.json[.gz] [--vnnlib P] [--box B | --domain F] [--quiet] [--json]

Examples
--------
>>> from exactrelu.checker import check_certificate, CertificateInvalid
>>> cert = {"format": "exactrelu-certificate", "version": 1, "claim": "partition",
...   "network": {"format": "exactrelu-network", "version": 1, "inputs": 1, "layers": [
...       {"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"]]}]}]},
...   "domain": {"A": [["1"], ["-1"]], "b": ["1", "1"]}, "root_witness": ["0"], "complete": True,
...   "nodes": [
...     {"id": 0, "parent": None, "side": None, "decisions": [], "open": False,
...      "split": {"unit": 0, "pos": 1, "neg": 2, "witness_pos": ["1/2"], "witness_neg": ["-1/2"]}},
...     {"id": 1, "parent": 0, "side": "+", "decisions": [], "split": None, "open": False},
...     {"id": 2, "parent": 0, "side": "-", "decisions": [], "split": None, "open": False}],
...   "regions": [{"node": 1, "pattern": "1", "C": [["1"]], "d": ["0"]},
...               {"node": 2, "pattern": "0", "C": [["0"]], "d": ["0"]}]}
>>> check_certificate(cert).leaves
2
>>> cert["regions"][1]["C"] = [["1"]]
>>> try:
...     check_certificate(cert)
... except CertificateInvalid as exc:
...     print(exc.rule)
region-map

Every field is verified or refused: a field the format does not define is never ignored.

>>> from exactrelu.checker import CertificateMalformed
>>> cert["regions"][1].update(C=[["0"]], note="trust me")
>>> try:
...     check_certificate(cert)
... except CertificateMalformed as exc:
...     print(exc.message)
unknown field 'note' at region entry 1 (a region has only: C, d, node, pattern)
"""

from . import claims_outputs  # noqa: F401  (registers the equivalence/bounds/property claims)
from . import claims_lattice  # noqa: F401  (registers the lattice claim)
from .core import (CLAIMS, FORMAT, MAX_BYTES, RULES, SCHEMA, VERSION, CertificateInvalid, CertificateMalformed,
                   CheckerError, CheckReport, Context, Leaf, check_certificate, check_partition,
                   farkas_holds, fields, partition_leaves, prepare, walk)
from .vnnlib import PinInputError


def run(argv: "list[str] | None" = None, extra_pins: "list | None" = None) -> int:
    """The command line (see ``__main__``): returns the exit status 0, 1 or 2."""
    from .__main__ import run as _run

    return _run(argv, extra_pins)


__all__ = ["check_certificate", "CheckReport", "CheckerError", "CertificateInvalid",
           "CertificateMalformed", "PinInputError", "RULES", "CLAIMS", "FORMAT", "VERSION", "run", "Context", "Leaf",
           "prepare", "walk", "partition_leaves", "check_partition", "farkas_holds", "SCHEMA", "fields", "MAX_BYTES"]
