"""The ``exactrelu`` command line: the parser, built from the command modules, and :func:`main`.

Every path ends in one line and an exit code of the one table
(:class:`~exactrelu.errors.ExitCode`): an error prints ``exactrelu: error: <message>`` on
one line on stderr and exits 2 for unusable input (argument errors included), 3 for an
exact-backend failure; 1 is an invalid certificate (``check``), 10 a violated property,
20 an incomplete run, 130 an interruption.  An unexpected exception is a bug: one line
``exactrelu: internal error: ...`` and exit 70; ``EXACTRELU_DEBUG=1`` shows its traceback
(:func:`exactrelu.cli.common.run_command`).

Each command module has ``register(subparsers)``, which adds its subcommands with their
``func``; :data:`COMMANDS` lists them in the order of ``exactrelu --help``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import check, crosscheck, demo, eval as eval_command, info, regions, shallow, verify
from .common import MAX_WORKERS, Parser, run_command

__all__ = ["main", "build_parser", "COMMANDS", "MAX_WORKERS"]

COMMANDS = (info, eval_command, regions, check, demo, shallow, verify, crosscheck)
"""The command modules, in the order of ``exactrelu --help``: ``info``, ``eval``, ``regions``,
``check``, ``demo``, ``shallow``, ``bounds``/``verify``/``equiv``/``compress``,
``crosscheck``/``recheck``."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``exactrelu`` with every subcommand of :data:`COMMANDS`.

    >>> args = build_parser().parse_args(["regions", "m.json", "--box=-1:1", "--workers", "2"])
    >>> args.command, args.workers, args.func.__name__
    ('regions', 2, 'cmd_regions')
    """
    p = Parser(prog="exactrelu", description="Exact analysis of ReLU networks, with certificates.")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv``; return its exit code (:class:`~exactrelu.errors.ExitCode`).

    Every path ends in one line: errors print ``exactrelu: error: <message>`` on stderr
    (exit 2 for unusable input, or the error's own code); an unexpected exception prints
    ``exactrelu: internal error: ...`` and returns 70 (``EXACTRELU_DEBUG=1`` re-raises it,
    with its traceback).  argparse usage errors exit 2 with one line as well.

    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     code = main(["info", "/nonexistent/model.json"])
    >>> code, err.getvalue()
    (2, 'exactrelu: error: cannot read /nonexistent/model.json: no such file\\n')
    """
    args = build_parser().parse_args(argv)
    import warnings

    # float proposals near the float64 limit overflow to inf/nan by design (exact arithmetic
    # decides); their RuntimeWarnings would only add lines to the one-line contract
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"exactrelu(\.|$)")
    warnings.filterwarnings("ignore", category=RuntimeWarning,
                            message=r"(overflow|invalid value|divide by zero|underflow) encountered")
    return run_command(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
