"""The exception hierarchy of exactrelu.

Every error the library raises on bad input derives from :class:`ExactReluError`, so a
caller (and the CLI) can catch one class.  The CLI prints ``str(error)`` on one line and
exits with :attr:`ExactReluError.exit_code`.

Examples
--------
>>> from exactrelu.errors import ModelFormatError, ExactReluError
>>> issubclass(ModelFormatError, ExactReluError)
True
"""

from __future__ import annotations

__all__ = [
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
]


class ExactReluError(Exception):
    """Base class of every error exactrelu raises on bad input or impossible requests."""

    exit_code = 2


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

    exit_code = 3


class LimitReached(ExactReluError):
    """A user-set limit (regions, time) stopped a computation; partial results are marked."""

    exit_code = 20


class PropertyError(ExactReluError, ValueError):
    """A VNN-LIB (or other) property file is malformed or unsupported."""


class CertificateFormatError(ExactReluError, ValueError):
    """A certificate file cannot be read (the checker has its own, independent errors)."""


class BackendUnavailableError(ExactReluError, ImportError):
    """An optional backend is not installed; the message names the extra to install."""


class ExportError(ExactReluError, ValueError):
    """A network cannot be exported exactly in the requested format."""
