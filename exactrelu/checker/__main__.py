"""Command line: ``python -m exactrelu.checker CERT [--vnnlib P] [--box B | --domain F] [--quiet] [--json]``.

Exit status: 0 valid, 1 invalid (``invalid: <rule>: <message>``; ``invalid: pinned: ...``
when the certificate is valid but not about the property or domain given), 2 unusable
input (the certificate, or a file or argument given for pinning).

``--vnnlib``, ``--box`` and ``--domain`` are read by the checker's own readers
(:mod:`.vnnlib`, :mod:`.pinning`) before the certificate is checked, and compared with
the certificate's property / domain in canonical form (``proofs/rules/pinning.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .core import CertificateInvalid, CertificateMalformed, check_certificate, is_stream, load_json


def run(argv: list[str] | None = None, extra_pins: list | None = None) -> int:
    """Run the checker on the command line ``argv``; return the exit status.

    ``extra_pins`` are ``(what, check)`` pairs, ``check(certificate, directory)`` returning
    a mismatch message or None, compared after the checker's own pins (``exactrelu check``
    passes its ``--model`` comparison this way).
    """
    parser = argparse.ArgumentParser(
        prog="python -m exactrelu.checker",
        description="Check an exactrelu certificate. Exit 0: valid, 1: invalid, 2: unusable input.")
    parser.add_argument("certificate", help="certificate file (.json or .json.gz)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit status")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--vnnlib", help="also require the certificate's property to be this VNN-LIB file's")
    parser.add_argument("--box", help="also require this domain: lo:hi (every input) or lo:hi,lo:hi,...")
    parser.add_argument("--domain", help="also require this JSON H-polytope domain {\"A\": [[...]], \"b\": [...]}")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else 2

    def say(text: str, err: bool = False) -> None:
        if not args.quiet:
            print(text, file=sys.stderr if err else sys.stdout)

    def unusable(message: str) -> int:
        say(json.dumps({"valid": False, "error": "malformed", "message": message}) if args.json
            else f"error: unusable certificate: {message}", err=not args.json)
        return 2

    from .pinning import PinInputError, PinRequest

    try:
        pins = PinRequest(args.vnnlib, args.box, args.domain, extra_pins)
    except PinInputError as exc:
        message = f"unusable {exc.message}"
        say(json.dumps({"valid": False, "error": "malformed", "message": message}) if args.json
            else f"error: {message}", err=not args.json)
        return 2
    path = Path(args.certificate)
    try:
        if pins.empty or is_stream(path):
            obj, report = None, check_certificate(args.certificate)
        else:  # read once: checked, then compared
            obj = load_json(path)
            report = check_certificate(obj, path.parent)
        problem = None
        if not pins.empty:
            if obj is None:
                from .pinning import certificate_header

                obj, _ = certificate_header(path)
            problem = pins.mismatch(obj, path.parent)
    except CertificateInvalid as exc:
        if args.json:
            say(json.dumps({"valid": False, "rule": exc.rule, "message": exc.message, "data": exc.data},
                           default=str))
        else:
            say(f"invalid: {exc.rule}: {exc.message}")
            if exc.data:
                say(f"  data: {json.dumps(exc.data, default=str)[:2000]}")
        return 1
    except PinInputError as exc:
        say(json.dumps({"valid": False, "error": "malformed", "message": exc.message}) if args.json
            else f"error: unusable {exc.message}", err=not args.json)
        return 2
    except CertificateMalformed as exc:
        return unusable(exc.message)
    if problem:
        if args.json:
            say(json.dumps({"valid": False, "rule": "pinned", "message": problem, "certificate": report.to_dict()}))
        else:
            say(f"invalid: pinned: {problem}")
            say(f"  (the certificate itself is {report.summary()})")
        return 1
    if args.json:
        out = report.to_dict()
        if not pins.empty:
            out["pinned"] = pins.what()
        say(json.dumps(out))
    else:
        say(report.summary())
        if not pins.empty:
            what = pins.what()
            names = ", ".join(what[:-1]) + " and " + what[-1] if len(what) > 1 else what[0]
            say(f"pinned: the certificate's {names} {'are the ones' if len(what) > 1 else 'is the one'} given")
    return 0


if __name__ == "__main__":
    sys.exit(run())
