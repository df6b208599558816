"""``exactrelu check CERT [--model M] [--model-b B] [--vnnlib P] [--box B | --domain F] [--workers N] [--json]``:
the independent checker (:mod:`exactrelu.checker`) on a certificate, with the certificate's
models pinned to the given files.

Exit status (the checker's own): 0 valid, 1 invalid, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import MAX_WORKERS, count_type, load_model_arg

__all__ = ["register", "cmd_check"]


def cmd_check(args: argparse.Namespace) -> int:
    """``check CERT [--model M] [--model-b B] [--vnnlib P] [--box B | --domain F]``: the
    checker's command line; the property and domain are pinned by the checker's own readers
    (``proofs/rules/pinning.md``), the models here (they need exactrelu's loaders)."""
    from ..checker import run

    argv = [args.certificate]
    if args.json:
        argv.append("--json")
    if args.workers > 1:
        argv.append(f"--workers={args.workers}")
    for flag in ("vnnlib", "box", "domain"):
        value = getattr(args, flag)
        if value is not None:
            argv.append(f"--{flag}={value}")
    return run(argv, extra_pins=_model_pins(args))


def _model_pins(args: argparse.Namespace) -> list:
    """``(what, check)`` pins for ``--model`` / ``--model-b``. The models are loaded now, so
    an unusable one fails (exit 2) before anything is checked; ``check(certificate,
    directory)`` runs on the checked certificate and returns a mismatch or None."""
    pins = []
    if args.model:
        want = load_model_arg(args.model)
        pins.append(("network", lambda cert, base: _pin_mismatch(cert, base, want, args.model, False)))
    if args.model_b:
        want_b = load_model_arg(args.model_b)
        pins.append(("second network", lambda cert, base: _pin_mismatch(cert, base, want_b, args.model_b, True)))
    return pins


def _pin_mismatch(cert: dict, base_dir: Path, want, name: str, second: bool) -> str | None:
    """Compare a (valid) certificate's network with the model ``want`` (read from ``name``):
    network A of an equivalence certificate, its network B when ``second``."""
    from ..io.native_json import network_from_dict

    claim = cert.get("claim")
    if second:
        if claim != "equivalence":
            return "--model-b applies to equivalence certificates"
        got = network_from_dict(cert["network_b"])
    elif claim == "equivalence":
        got = network_from_dict(cert["network_a"])
    elif "network_ref" in cert:
        got = network_from_dict(json.loads((base_dir / cert["network_ref"]["path"]).read_text()))
    else:
        got = network_from_dict(cert["network"])
    if not (want.n_inputs == got.n_inputs and want.layers == got.layers):
        return f"the certificate's {'second ' if second else ''}network is not {name}"
    return None


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``check`` subcommand to an argparse subparsers object."""
    s = sub.add_parser("check", help="check a certificate (exit 0 valid, 1 invalid, 2 unusable)")
    s.add_argument("certificate")
    s.add_argument("--json", action="store_true")
    s.add_argument("--model", help="also require the certificate to be about this model (network A for equiv)")
    s.add_argument("--model-b", dest="model_b", help="for equivalence certificates: network B")
    s.add_argument("--box", help="also require this domain (as for 'regions')")
    s.add_argument("--domain", help="also require this JSON H-polytope domain")
    s.add_argument("--vnnlib", help="for property certificates: also require this property")
    s.add_argument("--workers", type=count_type(1, MAX_WORKERS), default=1,
                   help="check independent subtrees of a partition tree in N processes (same verdict and reason)")
    s.set_defaults(func=cmd_check)
