"""What every ``exactrelu`` command shares: the one-line error output, the argparse value
types, the option groups (domain, scale, progress), loading a model and a domain from the
arguments, and the run of a command with its error handling (:func:`run_command`).

Every path ends in one line and an exit code of the one table
(:class:`~exactrelu.errors.ExitCode`): an error prints ``exactrelu: error: <message>`` on
one line on stderr and exits with the error's code; an unexpected exception is a bug: one
line ``exactrelu: internal error: ...`` and exit 70 (``EXACTRELU_DEBUG=1`` shows its
traceback).

Examples
--------
>>> POSITIVE("12"), NONNEG("0"), SECONDS("1.5")
(12, 0, 1.5)
>>> one_line("two\\n  lines")
'two lines'
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn

from ..errors import DomainError, ExactReluError, ExitCode

if TYPE_CHECKING:  # pragma: no cover
    from ..domain.polytope import Polytope
    from ..model.network import Network

__all__ = ["MAX_WORKERS", "MAX_MESSAGE", "Parser", "one_line", "say", "count_type", "seconds_type", "nonempty",
           "POSITIVE", "NONNEG", "SECONDS", "load_model_arg", "domain_from_args", "progress_bar", "want_progress",
           "add_domain_args", "add_scale_args", "add_progress_args", "internal_error", "run_command"]

MAX_WORKERS = 1024
"""Largest ``--workers`` accepted (each worker is a process)."""

MAX_MESSAGE = 2000
"""Characters of one error line (messages quote user input; a line stays readable)."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``exactrelu: error: regions: argument --workers: ...``
    (exit 2), instead of a usage block and the error."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        say(f"{where}{message} (see {self.prog} --help)")
        sys.exit(int(ExitCode.UNUSABLE))


def one_line(text: str) -> str:
    """``text`` on one line (whitespace runs become one space), cut at :data:`MAX_MESSAGE`.

    >>> one_line("x" * 2001)[-24:]
    '... (2,001 characters)'
    """
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + f"... ({len(text):,} characters)"


def say(message: str, kind: str = "error") -> None:
    """Print ``exactrelu: <kind>: <message>`` on one line on stderr.

    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     say("no such file")
    >>> err.getvalue()
    'exactrelu: error: no such file\\n'
    """
    print(f"exactrelu: {kind}: {one_line(message)}", file=sys.stderr)


# --- argument types: every option that takes a value is checked by argparse --------------

def count_type(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in ``[least, most]``.

    >>> count_type(1, 4)("3")
    3
    >>> count_type(1, 4)("5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected an integer from 1 to 4, got 5
    """
    def parse(text: str) -> int:
        t = text.strip()
        body = t[1:] if t[:1] in "+-" else t
        if not body.isascii() or not body.isdigit():
            raise argparse.ArgumentTypeError(f"expected an integer, got {text[:40]!r}")
        if len(body.lstrip("0")) > 18:
            raise argparse.ArgumentTypeError(f"{text[:20]}... ({len(body)} digits) is too large")
        v = int(t)
        if v < least or (most is not None and v > most):
            rng = f">= {least}" if most is None else f"from {least} to {most}"
            raise argparse.ArgumentTypeError(f"expected an integer {rng}, got {v}")
        return v
    parse.__name__ = "integer"
    return parse


def seconds_type(zero_ok: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds, positive (or zero when ``zero_ok``).

    >>> seconds_type(zero_ok=True)("0")
    0.0
    >>> seconds_type()("inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a finite number of seconds > 0, got 'inf'
    """
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text[:40]!r}") from None
        if not math.isfinite(v) or v < 0 or (v == 0 and not zero_ok):
            raise argparse.ArgumentTypeError(f"expected a finite number of seconds {'>= 0' if zero_ok else '> 0'}, "
                                             f"got {text[:40]!r}")
        return v
    parse.__name__ = "seconds"
    return parse


def nonempty(text: str) -> str:
    """An argparse type: a non-empty string (a path, an address, a box).

    >>> nonempty("tcp://host:8786")
    'tcp://host:8786'
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a non-empty value")
    return text


nonempty.__name__ = "value"
POSITIVE = count_type(1)
NONNEG = count_type(0)
SECONDS = seconds_type()


# --- what the arguments name ----------------------------------------------------------------

def load_model_arg(path: str) -> "Network":
    """The model file ``path`` (any format :func:`exactrelu.io.loader.load_model` reads)."""
    from ..io.loader import load_model

    return load_model(path)


def domain_from_args(args: argparse.Namespace, net: "Network") -> "Polytope":
    """The input domain of ``--box``, ``--domain`` or ``--vnnlib`` (exactly one), checked
    against the inputs of ``net``; :class:`~exactrelu.errors.DomainError` otherwise."""
    from ..domain.polytope import load_domain, parse_box

    given = [f"--{o}" for o in ("box", "domain", "vnnlib") if getattr(args, o, None)]
    if len(given) > 1:
        raise DomainError(f"give one of --box, --domain and --vnnlib, not {' and '.join(given)}")
    if getattr(args, "domain", None):
        D = load_domain(args.domain)
    elif getattr(args, "vnnlib", None):
        from ..domain.vnnlib import load_vnnlib

        D = load_vnnlib(args.vnnlib, n_inputs=net.n_inputs, n_outputs=net.n_outputs).domain
    elif getattr(args, "box", None):
        D = parse_box(args.box, n_inputs=net.n_inputs)
    else:
        raise DomainError("a domain is needed: --box=lo:hi (every input) or --box=lo:hi,lo:hi,... or --domain FILE")
    if D.dim != net.n_inputs:
        raise DomainError(f"domain has dimension {D.dim}, the network has {net.n_inputs} inputs")
    return D


def progress_bar(enabled: bool, desc: str) -> tuple[Any, Callable[[Any], None] | None]:
    """A tqdm bar on stderr and the Progress callback that drives it (``(None, None)`` when
    not ``enabled``); close the bar when the run ends."""
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=" regions", file=sys.stderr, leave=False)

    def cb(p: Any) -> None:
        bar.n = p.regions
        bar.set_postfix(open=p.open_cells, refresh=False)
        bar.refresh()

    return bar, cb


def want_progress(args: argparse.Namespace) -> bool:
    """``--progress`` / ``--no-progress``, else a bar when stderr is a terminal and the
    output is not ``--json``."""
    if getattr(args, "progress", None) is not None:
        return args.progress
    return sys.stderr.isatty() and not getattr(args, "json", False)


# --- option groups ------------------------------------------------------------------------

def add_domain_args(s: argparse.ArgumentParser) -> None:
    """``--box``, ``--domain``, ``--vnnlib``: the input domain (see :func:`domain_from_args`)."""
    s.add_argument("--box", help="-1:1 for every input, or lo:hi,lo:hi,... per input (p/q and decimals exact)")
    s.add_argument("--domain", help="JSON H-polytope file {\"A\": [[...]], \"b\": [...]}")
    s.add_argument("--vnnlib", help="take the input box of a VNN-LIB file")


def add_scale_args(s: argparse.ArgumentParser) -> None:
    """``--workers N`` and ``--dask ADDRESS``."""
    s.add_argument("--workers", type=count_type(1, MAX_WORKERS), default=1,
                   help=f"worker processes on this machine (default 1, at most {MAX_WORKERS})")
    s.add_argument("--dask", type=nonempty, default=None, metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://scheduler:8786, or 'local' for a LocalCluster of --workers "
                   "processes (needs the dask extra)")


def add_progress_args(s: argparse.ArgumentParser) -> None:
    """``--progress`` / ``--no-progress`` (see :func:`want_progress`)."""
    s.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar")
    s.add_argument("--no-progress", dest="progress", action="store_false")


# --- running a command --------------------------------------------------------------------

def internal_error(exc: BaseException) -> int:
    """A bug: one line naming the exception and where it was raised, and how to see its
    traceback; returns :attr:`ExitCode.INTERNAL`."""
    where = ""
    package = str(Path(__file__).resolve().parents[1])  # exactrelu/
    tb = exc.__traceback__
    while tb is not None:  # the innermost frame in exactrelu's own code
        name = tb.tb_frame.f_code.co_filename
        if name.startswith(package):
            where = f" at {Path(name).relative_to(Path(package).parent)}:{tb.tb_lineno}"
        tb = tb.tb_next
    say(f"{type(exc).__name__}{where}: {exc} (this is a bug in exactrelu; rerun with EXACTRELU_DEBUG=1 "
        "for the traceback, and please report it)", kind="internal error")
    return int(ExitCode.INTERNAL)


def run_command(func: Callable[[argparse.Namespace], Any], args: argparse.Namespace) -> int:
    """Run ``func(args)`` and return its exit code; every failure ends in one line on stderr.

    :class:`~exactrelu.errors.ExactReluError`: its message and its ``exit_code``;
    Ctrl-C: 130; ``OSError`` (a file that cannot be written, a full disk),
    ``RecursionError`` and ``MemoryError``: 2; anything else is a bug (70).  With
    ``EXACTRELU_DEBUG=1`` the traceback is shown (re-raised, except for exactrelu's errors).

    >>> import contextlib, io
    >>> from exactrelu.errors import PointError
    >>> def bad(args):
    ...     raise PointError("--point has 3 coordinates")
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     code = run_command(bad, argparse.Namespace())
    >>> code, err.getvalue()
    (2, 'exactrelu: error: --point has 3 coordinates\\n')
    """
    debug = os.environ.get("EXACTRELU_DEBUG", "").strip() not in ("", "0")
    try:
        return int(func(args) or 0)
    except ExactReluError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        say(str(exc) or type(exc).__name__)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("exactrelu: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except OSError as exc:  # a file exactrelu was asked to write (in a missing directory), a full disk, ...
        if debug:
            raise
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        say(f"{name}{exc.strerror or exc}" if isinstance(exc.errno, int) else f"{type(exc).__name__}: {exc}")
        return int(ExitCode.UNUSABLE)
    except RecursionError:
        if debug:
            raise
        say("input nested too deeply to process (RecursionError)")
        return int(ExitCode.UNUSABLE)
    except MemoryError:
        if debug:
            raise
        say("out of memory (the input is too large for this machine)")
        return int(ExitCode.UNUSABLE)
    except Exception as exc:  # noqa: BLE001 - a bug: one line and exit 70, not a traceback
        if debug:
            raise
        return internal_error(exc)
