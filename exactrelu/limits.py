"""The documented limits on what exactrelu reads: the one place where they are set.

Beyond a limit, input is refused with a one-line error (exit status 2) *before* any big
computation or allocation; everything within them is read exactly.

=====================================  ===============  ========================================
limit                                  default          set by
=====================================  ===============  ========================================
characters in one number literal       1,000,000        :data:`MAX_NUMBER_CHARS`
decimal exponent (absolute value)      100,000          :data:`MAX_EXPONENT`
model and certificate files, and the   2 GiB            ``EXACTRELU_MAX_MODEL_BYTES`` or the
decompressed size of a gzip stream                      ``max_bytes`` argument of the readers
properties, domains, counterexamples   64 MiB           ``EXACTRELU_MAX_INPUT_BYTES`` or
(and their decompressed size)                           ``max_bytes``
dimension of an input domain           20               :data:`MAX_DOMAIN_DIMENSION`
rows (constraints) of an input domain  10,000           :data:`MAX_DOMAIN_ROWS`
coordinates of a domain's vertices     float64 range    :data:`MAX_DOMAIN_COORDINATE`
=====================================  ===============  ========================================

A number literal is a JSON string or integer, a VNN-LIB or ``.nnet`` token, an element of
an ``.npz`` string array, an entry of a domain file or a CLI ``--box``/``--point`` value.
Integers longer than Python's 4,300-digit int/str limit are read (and written) exactly
up to the character limit.  A domain is at most 20-dimensional because exactrelu
enumerates its vertices exactly (a box in ``n`` dimensions has ``2**n``; cddlib takes
about a second for 10,000 rows and grows quadratically), and its
vertices lie within the float64 range (``|x| <= 1.797...e308``) because the float
proposals of the search evaluate the network there (nothing is decided on them).  The checker
(:mod:`exactrelu.checker`) keeps its own copy of the number limits (it imports nothing
from exactrelu).

Examples
--------
>>> MAX_NUMBER_CHARS, MAX_EXPONENT
(1000000, 100000)
>>> max_input_bytes() == MAX_INPUT_BYTES or "EXACTRELU_MAX_INPUT_BYTES" in os.environ
True
"""

from __future__ import annotations

import os
import sys
from fractions import Fraction

__all__ = ["MAX_NUMBER_CHARS", "MAX_EXPONENT", "MAX_MODEL_BYTES", "MAX_INPUT_BYTES", "MAX_DOMAIN_DIMENSION",
           "MAX_DOMAIN_ROWS", "MAX_DOMAIN_COORDINATE", "ENV_MODEL_BYTES", "ENV_INPUT_BYTES", "max_model_bytes", "max_input_bytes",
           "format_bytes"]

MAX_NUMBER_CHARS = 1_000_000
MAX_EXPONENT = 100_000
MAX_MODEL_BYTES = 2 * 1024 ** 3
MAX_INPUT_BYTES = 64 * 1024 ** 2
MAX_DOMAIN_DIMENSION = 20
MAX_DOMAIN_ROWS = 10_000
MAX_DOMAIN_COORDINATE = Fraction(sys.float_info.max)  # exactly the largest float64

ENV_MODEL_BYTES = "EXACTRELU_MAX_MODEL_BYTES"
ENV_INPUT_BYTES = "EXACTRELU_MAX_INPUT_BYTES"


def _from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 30:
        from .errors import UsageError

        raise UsageError(f"environment variable {name}={raw[:40]!r}: expected a positive number of bytes")
    return int(raw)


def max_model_bytes() -> int:
    """Largest model or certificate file (and decompressed gzip stream) read, in bytes:
    ``EXACTRELU_MAX_MODEL_BYTES`` if set, else 2 GiB.

    >>> os.environ.get(ENV_MODEL_BYTES) is not None or max_model_bytes() == 2 * 1024 ** 3
    True
    """
    return _from_env(ENV_MODEL_BYTES, MAX_MODEL_BYTES)


def max_input_bytes() -> int:
    """Largest property, domain or counterexample file (and decompressed gzip stream) read,
    in bytes: ``EXACTRELU_MAX_INPUT_BYTES`` if set, else 64 MiB."""
    return _from_env(ENV_INPUT_BYTES, MAX_INPUT_BYTES)


def format_bytes(n: int) -> str:
    """``2 GiB``, ``64 MiB``, ``1,000 bytes``: a limit as the error messages print it.

    >>> format_bytes(MAX_MODEL_BYTES), format_bytes(MAX_INPUT_BYTES), format_bytes(1000)
    ('2 GiB', '64 MiB', '1,000 bytes')
    """
    for unit, size in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"
