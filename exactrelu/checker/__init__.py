"""The trusted checker of exactrelu certificates (standard library only).

It re-verifies a certificate (``proofs/certificate-format.md``) from the network alone:
it recomputes every affine map from the weights with exact integer/rational arithmetic and
checks the evidence (witness points, Farkas vectors). It imports nothing from the rest of
exactrelu, so the package directory can be copied and run on its own::

    python -m exactrelu.checker CERT.json[.gz] [--vnnlib P] [--box B | --domain F] [--quiet] [--json] [--workers N]

Layout: :mod:`.checker` (one file: header, numbers, network, tree walk, ``partition``
rules, driver; copied out alone it checks ``partition`` certificates without adjacency
evidence), :mod:`.stream` (the stream form), :mod:`.claims` (the other claims, adjacency
evidence, the Farkas tests they share), :mod:`.pinning` and :mod:`.vnnlib` (the readers of
what the command line pins), :mod:`.registry` (the explicit tables that put them
together), :mod:`.parallel` (``workers=N``: a partition tree's subtrees in ``N``
processes), ``__main__.py`` (the command line).

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

from typing import Any

from . import parallel
from .checker import (FORMAT, MAX_BYTES, VERSION, CertificateInvalid, CertificateMalformed, CheckerError,
                      CheckReport, Context, Leaf, check_partition, fields,
                      partition_leaves, prepare, vertex_basis_proves, walk)
from .claims.farkas import farkas_proves, motzkin_proves
from .registry import ADJACENCY, CLAIMS, RULES, SCHEMA, STREAM
from .vnnlib import PinInputError


def check_certificate(cert: Any, base_dir: Any = None, *, max_bytes: int = MAX_BYTES, workers: int = 1) -> CheckReport:
    """Check a certificate of any claim (a dict, or a path to ``.json``, ``.json.gz`` or a
    stream ``.jsonl``): :func:`.checker.check_certificate` with the tables of
    :mod:`.registry`.

    Returns a :class:`CheckReport`; raises :class:`CertificateInvalid` (a rule fails) or
    :class:`CertificateMalformed` (not a usable certificate). ``network_ref`` paths are
    relative to ``base_dir`` (default: the certificate's directory, or the current directory
    for a dict); a file of more than ``max_bytes`` bytes after decompression is refused.
    With ``workers > 1`` the subtrees of a ``partition`` tree are checked in that many
    processes (:mod:`.parallel`; same verdict and same first failing reason).
    """
    return parallel.check_certificate(cert, base_dir, max_bytes=max_bytes, claims=CLAIMS, stream=STREAM,
                                      adjacency=ADJACENCY, schema=SCHEMA, workers=workers)


def run(argv: "list[str] | None" = None, extra_pins: "list | None" = None) -> int:
    """The command line ``python -m exactrelu.checker CERT [--vnnlib P] [--box B | --domain F]
    [--quiet] [--json] [--workers N]`` (:func:`.__main__.run`): returns the exit status 0
    (valid), 1 (invalid) or 2 (unusable). ``extra_pins`` are ``(what, check)`` pairs,
    ``check(certificate, directory)`` returning a mismatch message or None, compared after
    the checker's own pins (``exactrelu check`` passes its ``--model`` comparison this way).
    """
    from .__main__ import run as command_line  # (imported here: ``python -m`` runs that file itself)

    return command_line(argv, extra_pins)


__all__ = ["check_certificate", "CheckReport", "CheckerError", "CertificateInvalid",
           "CertificateMalformed", "PinInputError", "RULES", "CLAIMS", "FORMAT", "VERSION", "run", "Context", "Leaf",
           "prepare", "walk", "partition_leaves", "check_partition", "farkas_proves", "motzkin_proves",
           "vertex_basis_proves", "SCHEMA", "fields", "MAX_BYTES", "ADJACENCY"]
