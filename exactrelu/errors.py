"""The exception hierarchy of exactrelu, and the one table of exit codes.

Every error the library raises on bad input derives from :class:`ExactReluError`, so a
caller (and the CLI) can catch one class.  The CLI prints ``exactrelu: error: <message>``
on one line on stderr and exits with :attr:`ExactReluError.exit_code`, a member of
:class:`ExitCode`, the only place where the command line's exit codes are defined:

===  ==============  ==============================================================
  0  OK              done; certificate valid; property holds; networks equivalent
  1  INVALID         certificate invalid; not a counterexample; a flip was found
                     (``crosscheck --fail-on-flip``); a representation does not match
  2  UNUSABLE        unusable input or request: malformed, unsafe or too large file,
                     bad number, bad domain, bad argument (also argparse usage errors)
  3  BACKEND         the exact LP backend failed to produce a verified answer
 10  VIOLATED        property violated / networks differ (with a counterexample)
 20  INCOMPLETE      a limit (regions, time, terms) stopped the run; result unknown
 70  INTERNAL        a bug in exactrelu (rerun with ``EXACTRELU_DEBUG=1`` for the traceback)
130  INTERRUPTED     interrupted (Ctrl-C)
===  ==============  ==============================================================

The independent checker (``python -m exactrelu.checker``) keeps its own copy of 0, 1
and 2 (it imports nothing from exactrelu); a test asserts the two agree.

Every exception class of the product is defined here (the checker has its own, independent
ones); the modules that raise them re-export some under their earlier homes
(``exactrelu.shallow.lazy.TooManyTerms``, ``exactrelu.domain.cex.CounterexampleFormatError``,
``exactrelu.shallow.certificates.RepresentationMismatch``).  The hierarchy::

    ExactReluError                       exit 2 unless given
    ├── NumberError (ValueError)
    ├── ModelError (ValueError)
    │   ├── ModelFormatError
    │   │   ├── UnsupportedOperatorError
    │   │   └── UnsafeFileError
    │   └── ShapeError
    ├── DomainError (ValueError)
    ├── PointError (ValueError)
    ├── PropertyError (ValueError)
    │   └── CounterexampleFormatError
    ├── CertificateFormatError (ValueError)
    ├── BackendUnavailableError (ImportError)
    ├── ExportError (ValueError)
    ├── UsageError (ValueError)
    ├── CheckpointError (ValueError)
    ├── ClusterError (RuntimeError)
    ├── NoCertificateError (ValueError)
    ├── LPError (RuntimeError)           exit 3
    ├── RepresentationMismatch           exit 1
    ├── LimitReached                     exit 20
    │   └── TooManyTerms
    └── InternalError (RuntimeError)     exit 70

Examples
--------
>>> from exactrelu.errors import ModelFormatError, ExactReluError
>>> issubclass(ModelFormatError, ExactReluError)
True
>>> int(ModelFormatError.exit_code), int(ExitCode.VIOLATED), EXIT_CODES["incomplete"]
(2, 10, 20)
"""

from __future__ import annotations

import enum

__all__ = [
    "ExitCode",
    "EXIT_CODES",
    "ExactReluError",
    "NumberError",
    "ModelError",
    "ModelFormatError",
    "UnsupportedOperatorError",
    "ShapeError",
    "UnsafeFileError",
    "DomainError",
    "PointError",
    "LPError",
    "LimitReached",
    "PropertyError",
    "CertificateFormatError",
    "BackendUnavailableError",
    "ExportError",
    "CounterexampleFormatError",
    "UsageError",
    "CheckpointError",
    "ClusterError",
    "NoCertificateError",
    "RepresentationMismatch",
    "TooManyTerms",
    "InternalError",
]


class ExitCode(enum.IntEnum):
    """Exit codes of the ``exactrelu`` command line (see the module docstring)."""

    OK = 0
    INVALID = 1
    UNUSABLE = 2
    BACKEND = 3
    VIOLATED = 10
    INCOMPLETE = 20
    INTERNAL = 70
    INTERRUPTED = 130


EXIT_CODES: dict[str, int] = {m.name.lower(): int(m) for m in ExitCode}
"""``{"ok": 0, "invalid": 1, "unusable": 2, ...}``: :class:`ExitCode` as a plain dict."""


class ExactReluError(Exception):
    """Base class of every error exactrelu raises on bad input or impossible requests."""

    exit_code: ExitCode = ExitCode.UNUSABLE


class NumberError(ExactReluError, ValueError):
    """A value is not a finite number that can be converted exactly (NaN, inf, junk text)."""


class ModelError(ExactReluError, ValueError):
    """A network is inconsistent (bad shapes, dangling references, bad activation)."""


class ModelFormatError(ModelError):
    """A model file is malformed, truncated, or of an unknown format."""


class UnsupportedOperatorError(ModelFormatError):
    """An ONNX (or other) operator that has no exact piecewise-linear lowering."""

    def __init__(self, op: str, node: str, detail: str = "") -> None:
        self.op = op
        self.node = node
        msg = f"unsupported operator {op!r} at node {node!r}"
        if detail:
            msg += f": {detail}"
        super().__init__(msg)


class ShapeError(ModelError):
    """Tensor shapes do not fit together."""


class UnsafeFileError(ModelFormatError):
    """A file that would need unsafe deserialisation (e.g. a pickle) was refused."""


class DomainError(ExactReluError, ValueError):
    """An input domain is malformed, empty, unbounded or lower-dimensional."""


class PointError(ExactReluError, ValueError):
    """A point has the wrong length or lies outside a required set."""


class LPError(ExactReluError, RuntimeError):
    """The exact LP backend failed to produce a verified answer."""

    exit_code = ExitCode.BACKEND


class LimitReached(ExactReluError):
    """A user-set limit (regions, time) stopped a computation; partial results are marked."""

    exit_code = ExitCode.INCOMPLETE


class PropertyError(ExactReluError, ValueError):
    """A VNN-LIB (or other) property file is malformed or unsupported."""


class CertificateFormatError(ExactReluError, ValueError):
    """A certificate file cannot be read (the checker has its own, independent errors)."""


class BackendUnavailableError(ExactReluError, ImportError):
    """An optional backend is not installed; the message names the extra to install."""


class ExportError(ExactReluError, ValueError):
    """A network cannot be exported exactly in the requested format."""


class CounterexampleFormatError(PropertyError):
    """A counterexample file cannot be used (malformed, NaN/inf, missing inputs, ...)."""


class UsageError(ExactReluError, ValueError):
    """A request whose arguments are out of range or do not fit together (an unknown
    choice, options that exclude each other, a setting of the environment)."""


class CheckpointError(ExactReluError, ValueError):
    """A checkpoint of a streamed run cannot be used (unreadable, of another network or
    domain, or not matching its stream file)."""


class ClusterError(ExactReluError, RuntimeError):
    """A Dask cluster cannot be used (unreachable, or its workers cannot run this exactrelu)."""


class NoCertificateError(ExactReluError, ValueError):
    """A certificate was asked for a result that has none (an unknown verdict, an undecided
    or failed equivalence, bounds computed without ``certify``)."""


class RepresentationMismatch(ExactReluError):
    """The representation differs from the network; ``point`` is an exact input where they
    differ and ``values`` the two outputs there (network, representation)."""

    exit_code = ExitCode.INVALID

    def __init__(self, message: str, point: tuple | None = None, values: tuple | None = None) -> None:
        super().__init__(message)
        self.point = point
        self.values = values


class TooManyTerms(LimitReached):
    """Listing the terms would exceed the limit; the message gives the exact count."""


class NonlinearOperation(Exception):
    """Internal signal of the ONNX reader: two input-dependent values were multiplied or divided.

    Not an :class:`ExactReluError` on purpose: it never leaves the reader, which turns it into an
    :class:`UnsupportedOperatorError` naming the node.
    """


class InternalError(ExactReluError, RuntimeError):
    """A consistency check of exactrelu itself failed: a bug (exit 70), never bad input."""

    exit_code = ExitCode.INTERNAL
