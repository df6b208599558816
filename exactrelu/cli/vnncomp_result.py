"""The VNN-COMP result file written by ``exactrelu verify --vnncomp-result FILE``.

The competition's harness (``vnncomp/run_instance.sh``) reads one result word on the
first line of FILE, ``sat``, ``unsat``, ``timeout``, ``unknown`` or ``error``; after
``sat`` comes the counterexample as an s-expression of ``(X_i value)`` and
``(Y_j value)`` pairs::

    sat
    ((X_0 0.25)
     (Y_0 0.25))

Verdicts map as ``violated`` -> ``sat`` (the VNN-LIB file describes the unsafe set, and a
point of it was found), ``holds`` -> ``unsat``, ``unknown`` stopped by the time limit ->
``timeout``, any other ``unknown`` -> ``unknown``, a failure -> ``error``.

Every value is written exactly: :func:`~exactrelu.domain.cex.format_exact_decimal` gives
the finite decimal of a dyadic rational (every float is one), so the competition's
``float()`` reads back the very float and ``exactrelu recheck`` the very rational. The
counterexample is moved, when it can be, to a float32 point (else a float64 point) that
is still an exact counterexample (:func:`float_counterexample`): a float32 network's
harness feeds float32 inputs, and such a point reaches it unchanged. The ``Y_j`` are the
exact outputs there.

Each ``unsat`` (and each ``sat``) also leaves the exactrelu certificate beside FILE, as
``FILE.cert.json`` (:func:`certificate_path`); ``exactrelu check FILE.cert.json --vnnlib P
--model M`` checks it and pins it to the instance. Files are written to a temporary name
and renamed, so a reader never sees a partial file; the certificate is in place before
the result that refers to it.

Examples
--------
>>> from fractions import Fraction
>>> result_word("holds"), result_word("unknown", "stopped by time_limit"), result_word("unknown", "stopped by max_regions")
('unsat', 'timeout', 'unknown')
>>> print(format_result("sat", [Fraction(1, 4)], [Fraction(-3, 8)]), end="")
sat
((X_0 0.25)
 (Y_0 -0.375))
>>> format_result("unsat")
'unsat\\n'
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import ExitCode, PointError, UsageError

__all__ = [
    "RESULT_WORDS",
    "result_word",
    "float_counterexample",
    "format_result",
    "certificate_path",
    "write_atomic",
    "write_vnncomp_result",
    "writing_error_result",
]

RESULT_WORDS = ("sat", "unsat", "timeout", "unknown", "error")
"""The words a VNN-COMP result file may start with."""

_NUDGES = 3  # steps (one unit in the last place each) toward the region's interior, per float type


def result_word(verdict: str, reason: str = "") -> str:
    """The VNN-COMP result word of an exactrelu verdict.

    Parameters
    ----------
    verdict : str
        ``"holds"``, ``"violated"`` or ``"unknown"`` (:class:`~exactrelu.verify.property.VerificationResult`).
    reason : str
        The result's ``reason``; an ``unknown`` stopped by the time limit is a ``timeout``.

    Returns
    -------
    str
        One of :data:`RESULT_WORDS`.

    Examples
    --------
    >>> result_word("violated"), result_word("unknown")
    ('sat', 'unknown')
    """
    if verdict == "holds":
        return "unsat"
    if verdict == "violated":
        return "sat"
    if verdict == "unknown":
        return "timeout" if "time_limit" in reason else "unknown"
    raise UsageError(f"unexpected verdict {verdict!r}")


def _rounded(u: Sequence[Fraction], target: Sequence[Fraction] | None, dtype: str) -> list[tuple[Fraction, ...]]:
    """``u`` rounded to ``dtype`` (nearest), then 1 to ``_NUDGES`` units in the last place
    toward ``target`` (back into the input region), then as many away from it (off an
    output constraint's boundary, when rounding fell on its wrong side)."""
    import numpy as np

    from ..numbers.rationals import to_float

    ftype = np.float32 if dtype == "float32" else np.float64
    with np.errstate(over="ignore", invalid="ignore"):
        cur = [ftype(to_float(v)) for v in u]
        if not all(np.isfinite(c) for c in cur):
            return []
        out = [tuple(Fraction(float(c)) for c in cur)]
        if target is not None:
            inward = [ftype(to_float(t)) for t in target]
            outward = [ftype(np.inf) if g < c else ftype(-np.inf) if g > c else g for c, g in zip(cur, inward)]
            for goal in (inward, outward):
                step = cur
                for _ in range(_NUDGES):
                    step = [np.nextafter(c, g) for c, g in zip(step, goal)]
                    out.append(tuple(Fraction(float(c)) for c in step))
    return out


def float_counterexample(net: Any, prop: Any, x: Sequence[Fraction]) -> tuple[tuple[Fraction, ...],
                                                                             tuple[Fraction, ...]]:
    """A float32 (else float64) point that is, like ``x``, an exact counterexample.

    Candidates are the free inputs of ``x`` rounded to float32, then nudged up to three
    units in the last place toward the interior point of the input region holding ``x``,
    and away from it; then the same in float64. The first candidate that is an exact counterexample
    (:meth:`~exactrelu.domain.vnnlib.Property.is_counterexample`, fixed inputs kept) is
    returned; if none is, ``x`` itself.

    Parameters
    ----------
    net : Network
    prop : Property
    x : sequence of Fraction
        An exact counterexample (full input vector).

    Returns
    -------
    (x, y) : the point and the exact network output there.

    Raises
    ------
    ExactReluError
        ``x`` is not a counterexample of ``prop`` on ``net``.

    Examples
    --------
    >>> import numpy as np
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.vnnlib import parse_vnnlib
    >>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])               # |x|
    >>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) "
    ...                     "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= Y_0 0.9))")
    >>> x, y = float_counterexample(net, prop, [Fraction(9, 10)])  # float32(0.9) < 0.9: one ulp up
    >>> x == (Fraction(float(np.nextafter(np.float32(0.9), np.float32(1)))),) and x[0] > Fraction(9, 10) and y == x
    True
    """
    from ..model.evaluation import evaluate

    x = tuple(Fraction(v) for v in x)
    y = tuple(evaluate(net, x))
    if not prop.is_counterexample(x, y):
        raise PointError("the point is not a counterexample of the property")
    free = prop.free_inputs
    u = [x[i] for i in free]
    target = None
    for d in prop.disjuncts:
        region = d.input_region
        if region.contains(u) and all(c.holds(u, y) for c in d.constraints):
            target = getattr(region, "interior_point", None)
            break
    for dtype in ("float32", "float64"):
        for cand in _rounded(u, target, dtype):
            if cand == tuple(u):
                return x, y
            xc = prop.full_input(cand)
            yc = tuple(evaluate(net, xc))
            if prop.is_counterexample(xc, yc):
                return xc, yc
    return x, y


def format_result(word: str, x: Sequence[Fraction] | None = None, y: Sequence[Fraction] | None = None) -> str:
    """The text of a result file: the word, and after ``sat`` the counterexample.

    Parameters
    ----------
    word : str
        One of :data:`RESULT_WORDS`.
    x, y : sequences of Fraction
        For ``sat``: the input and the output (exact decimals when dyadic, else ``p/q``).

    Examples
    --------
    >>> format_result("timeout")
    'timeout\\n'
    """
    from ..domain.cex import format_counterexample

    if word not in RESULT_WORDS:
        raise UsageError(f"not a VNN-COMP result word: {word!r}")
    if word != "sat":
        return word + "\n"
    if x is None:
        raise UsageError("a 'sat' result needs its counterexample")
    return format_counterexample(x, y) + "\n"


def certificate_path(result_file: "str | Path") -> Path:
    """Where the certificate of a result file goes: ``FILE.cert.json`` beside it.

    Examples
    --------
    >>> certificate_path("out/result.txt").as_posix()
    'out/result.txt.cert.json'
    """
    return Path(str(result_file) + ".cert.json")


def write_atomic(path: "str | Path", write: Callable[[Path], None]) -> None:
    """Run ``write(temporary path)`` in ``path``'s directory, then rename onto ``path``.

    A reader sees the old file or the whole new one, never a partial one; on failure the
    temporary file is removed.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as t:
    ...     write_atomic(Path(t) / "r.txt", lambda p: p.write_text("unsat\\n"))
    ...     (Path(t) / "r.txt").read_text(), sorted(q.name for q in Path(t).iterdir())
    ('unsat\\n', ['r.txt'])
    """
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.part")
    try:
        write(tmp)
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_vnncomp_result(path: "str | Path", net: Any, prop: Any, result: Any,
                         certificate: dict | None = None) -> str:
    """Write the result file of a :class:`~exactrelu.verify.property.VerificationResult`.

    For ``holds`` the certificate goes to :func:`certificate_path` first (``certificate``
    when given, else built), then ``unsat``. For ``violated`` the counterexample is moved
    to a float point (:func:`float_counterexample`), its certificate (claim
    ``counterexample``) written beside, then ``sat`` and the point. A stale certificate
    beside ``path`` is removed for the other words.

    Returns
    -------
    str
        The result word written.
    """
    from dataclasses import replace

    from ..certificate.partition import write_certificate
    from ..verify.property import property_certificate

    word = result_word(result.verdict, result.reason)
    cert_file = certificate_path(path)
    x = y = None
    if word == "sat":
        x, y = float_counterexample(net, prop, result.counterexample)
        if x != tuple(result.counterexample):
            certificate = None
            result = replace(result, counterexample=x, exact_output=y)
    if word in ("sat", "unsat"):
        cert = certificate if certificate is not None else property_certificate(net, prop, result)
        write_atomic(cert_file, lambda p: write_certificate(cert, p))
    elif cert_file.exists():
        cert_file.unlink()
    text = format_result(word, x, y)
    write_atomic(path, lambda p: p.write_text(text, encoding="ascii"))
    return word


def writing_error_result(path: "str | Path", run: Callable[[], int]) -> int:
    """Return ``run()``; if it raises an exception, write ``error`` to ``path`` and re-raise.

    The CLI's usual one-line message and exit code still follow; the harness reads
    ``error``. A limit raised as an exception (:class:`~exactrelu.errors.LimitReached`,
    exit 20) and an interruption (Ctrl-C) write ``unknown``.

    Examples
    --------
    >>> import tempfile
    >>> from exactrelu.errors import ModelFormatError
    >>> def fails():
    ...     raise ModelFormatError("cannot read model.onnx")
    >>> with tempfile.TemporaryDirectory() as t:
    ...     try:
    ...         writing_error_result(Path(t) / "r.txt", fails)
    ...     except ModelFormatError:
    ...         (Path(t) / "r.txt").read_text()
    'error\\n'
    """
    try:
        return run()
    except Exception as exc:
        _write_word(path, "unknown" if getattr(exc, "exit_code", None) == ExitCode.INCOMPLETE else "error")
        raise
    except KeyboardInterrupt:
        _write_word(path, "unknown")
        raise


def _write_word(path: "str | Path", word: str) -> None:
    """Write a bare result word; a failure to write is left to the harness (no file:
    ``run_instance.sh`` writes ``error``) and does not hide the original exception."""
    try:
        cert_file = certificate_path(path)
        if cert_file.exists():
            cert_file.unlink()
        write_atomic(path, lambda p: p.write_text(format_result(word), encoding="ascii"))
    except OSError:
        pass
