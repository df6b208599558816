"""Command line: ``python -m exactrelu.checker CERT [--vnnlib P] [--box B | --domain F] [--quiet] [--json] [--workers N]``.

Exit status: 0 valid, 1 invalid (``invalid: <rule>: <message>``; ``invalid: pinned: ...``
when the certificate is valid but not about the property or domain given), 2 unusable
input (the certificate, or a file or argument given for pinning). Every claim is checked
with the tables of :mod:`.registry`; ``--vnnlib``, ``--box`` and ``--domain`` are read by
the checker's own readers (:mod:`.vnnlib`, :mod:`.pinning`) before the certificate is
checked (``proofs/rules/pinning.md``); ``--workers N`` checks a partition tree's subtrees
in ``N`` processes (:mod:`.parallel`). ``checker.py`` alone has the minimal
:func:`~.checker.main`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from . import parallel
from .checker import (EXIT_INVALID, EXIT_UNUSABLE, EXIT_VALID, CertificateInvalid, CertificateMalformed, is_stream,
                      load_json)
from .registry import ADJACENCY, CLAIMS, PINNING, SCHEMA, STREAM

__all__ = ["run", "parser", "sayer", "unusable", "checked"]


def parser() -> argparse.ArgumentParser:
    """The parser of the full command line."""
    p = argparse.ArgumentParser(prog="python -m exactrelu.checker", description="Check an exactrelu certificate. "
                                "Exit 0: valid, 1: invalid, 2: unusable input.")
    p.add_argument("certificate", help="certificate file (.json or .json.gz)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit status")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--vnnlib", help="also require the certificate's property to be this VNN-LIB file's")
    p.add_argument("--box", help="also require this domain: lo:hi (every input) or lo:hi,lo:hi,...")
    p.add_argument("--domain", help="also require this JSON H-polytope domain {\"A\": [[...]], \"b\": [...]}")
    p.add_argument("--workers", type=positive, default=1,
                   help="check a partition tree's subtrees in this many processes (default 1)")
    return p


def positive(text: str) -> int:
    """``--workers``: an integer 1..1024."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1024:
        raise argparse.ArgumentTypeError(f"expected an integer 1..1024, got {text[:20]!r}")
    return int(text)


def run(argv: "list[str] | None" = None, extra_pins: "list | None" = None) -> int:
    """Check ``argv``'s certificate, then compare it with what is pinned; returns the exit
    status. ``extra_pins`` are ``(what, check)`` pairs, ``check(certificate, directory)``
    returning a mismatch message or None, compared after the checker's own pins
    (``exactrelu check`` passes its ``--model`` comparison this way). The certificate is
    read once, checked, then compared (``invalid: pinned: ...`` when it is valid but not
    about what was given).
    """
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else EXIT_UNUSABLE
    say = sayer(args.quiet)
    opts = {"claims": CLAIMS, "stream": STREAM, "adjacency": ADJACENCY, "schema": SCHEMA, "workers": args.workers}
    try:
        pins = PINNING(args.vnnlib, args.box, args.domain, extra_pins)
    except CertificateMalformed as exc:  # (the pinning module's PinInputError)
        return unusable(f"unusable {exc.message}", f"unusable {exc.message}", args.json, say)
    path = Path(args.certificate)
    pinned = not pins.empty

    def check() -> tuple:
        if not pinned or is_stream(path):
            obj, report = None, parallel.check_certificate(args.certificate, **opts)
        else:  # read once: checked, then compared
            obj = load_json(path)
            report = parallel.check_certificate(obj, path.parent, **opts)
        return report, pins.mismatch(pins.header(path) if obj is None else obj, path.parent) if pinned else None

    status, result = checked(check, args.json, say)
    if status is not None:
        return status
    report, problem = result
    if problem:
        if args.json:
            say(json.dumps({"valid": False, "rule": "pinned", "message": problem, "certificate": report.to_dict()}))
        else:
            say(f"invalid: pinned: {problem}")
            say(f"  (the certificate itself is {report.summary()})")
        return EXIT_INVALID
    if args.json:
        out = report.to_dict()
        if pinned:
            out["pinned"] = pins.what()
        say(json.dumps(out))
    else:
        say(report.summary())
        if pinned:
            what = pins.what()
            names = ", ".join(what[:-1]) + " and " + what[-1] if len(what) > 1 else what[0]
            say(f"pinned: the certificate's {names} {'are the ones' if len(what) > 1 else 'is the one'} given")
    return EXIT_VALID


def sayer(quiet: bool) -> Callable[..., None]:
    """The command line's printer: ``say(text, err=False)`` to stdout (stderr with ``err``), nothing if ``quiet``."""
    def say(text: str, err: bool = False) -> None:
        if not quiet:
            print(text, file=sys.stderr if err else sys.stdout)
    return say


def unusable(message: str, text: str, as_json: bool, say: Callable[..., None]) -> int:
    """Print an unusable input the command line's way; returns ``EXIT_UNUSABLE``."""
    say(json.dumps({"valid": False, "error": "malformed", "message": message}) if as_json else f"error: {text}",
        err=not as_json)
    return EXIT_UNUSABLE


def checked(step: Callable[[], Any], as_json: bool, say: Callable[..., None]) -> tuple[int | None, Any]:
    """``(None, step())``; if ``step`` raises, the rejection (``invalid: <rule>: <message>``) or the unusable
    input is printed and ``(exit status, None)`` returned."""
    try:
        return None, step()
    except CertificateInvalid as exc:
        if as_json:
            say(json.dumps({"valid": False, "rule": exc.rule, "message": exc.message, "data": exc.data}, default=str))
        else:
            say(f"invalid: {exc.rule}: {exc.message}")
            if exc.data:
                say(f"  data: {json.dumps(exc.data, default=str)[:2000]}")
        return EXIT_INVALID, None
    except CertificateMalformed as exc:
        return unusable(exc.message, f"unusable {exc.what}{exc.message}", as_json, say), None


if __name__ == "__main__":
    sys.exit(run())
