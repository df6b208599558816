"""Command line: ``python -m exactrelu.checker CERT [--quiet] [--json]``.

Exit status: 0 valid, 1 invalid (``invalid: <rule>: <message>``), 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys

from .core import CertificateInvalid, CertificateMalformed, check_certificate


def run(argv: list[str] | None = None) -> int:
    """Run the checker on the command line ``argv``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m exactrelu.checker",
        description="Check an exactrelu certificate. Exit 0: valid, 1: invalid, 2: unusable input.")
    parser.add_argument("certificate", help="certificate file (.json or .json.gz)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit status")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else 2

    def say(text: str, err: bool = False) -> None:
        if not args.quiet:
            print(text, file=sys.stderr if err else sys.stdout)

    try:
        report = check_certificate(args.certificate)
    except CertificateInvalid as exc:
        if args.json:
            say(json.dumps({"valid": False, "rule": exc.rule, "message": exc.message, "data": exc.data},
                           default=str))
        else:
            say(f"invalid: {exc.rule}: {exc.message}")
            if exc.data:
                say(f"  data: {json.dumps(exc.data, default=str)[:2000]}")
        return 1
    except CertificateMalformed as exc:
        if args.json:
            say(json.dumps({"valid": False, "error": "malformed", "message": exc.message}))
        else:
            say(f"error: unusable certificate: {exc.message}", err=True)
        return 2
    say(json.dumps(report.to_dict()) if args.json else report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(run())
