"""Input domains: bounded, full-dimensional H-polytopes ``{x : A x <= b}`` with rational data.

Build one with :func:`box`, :func:`parse_box`, :func:`polytope`, :func:`load_domain` (a
JSON file ``{"A": [[...]], "b": [...]}``) or from the input part of a VNN-LIB file
(:mod:`exactrelu.domain.vnnlib`). Every constructor validates exactly (via the cdd.gmp vertex
enumeration in :mod:`exactrelu.numbers.lp`): empty, unbounded and lower-dimensional domains are
refused with :class:`~exactrelu.errors.DomainError`, and so are domains of more than
:data:`~exactrelu.limits.MAX_DOMAIN_DIMENSION` (20) dimensions or
:data:`~exactrelu.limits.MAX_DOMAIN_ROWS` (10,000) rows, before any vertex is enumerated
(a box in ``n`` dimensions has ``2**n`` vertices), and domains reaching beyond the
float64 range (the search's float proposals evaluate the network at the vertices).

Examples
--------
>>> D = parse_box("-1:1,0:1/2")
>>> D.dim, len(D.vertices)
(2, 4)
>>> D.contains(["1/2", "1/4"]), D.contains([2, 0])
(True, False)
>>> box([0], [0])
Traceback (most recent call last):
...
exactrelu.errors.DomainError: box: lower bound 0 is not below upper bound 0 for input 0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from ..errors import DomainError, NumberError
from ..limits import MAX_DOMAIN_COORDINATE, MAX_DOMAIN_DIMENSION, MAX_DOMAIN_ROWS
from ..numbers.rationals import format_rational, to_rational, to_rational_matrix, to_rational_vector

__all__ = ["Point", "Polytope", "polytope", "box", "parse_box", "load_domain", "affine_rank"]

#: An exact point: a tuple of :class:`~fractions.Fraction` coordinates (vertices, interior
#: witnesses, adjacency witnesses of regions, cells and domains are all of this type).
Point = tuple[Fraction, ...]


@dataclass(frozen=True)
class Polytope:
    """A validated domain ``{x : A x <= b}``; build it with :func:`polytope` or :func:`box`.

    Attributes
    ----------
    A, b : the rows (tuples of Fractions)
    vertices : exact vertices (cdd.gmp)
    interior_point : the vertex average, strictly inside every row
    lower, upper : the bounding box of the vertices
    is_box : True if built by :func:`box`
    """

    A: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]
    vertices: tuple[Point, ...] = field(compare=False)
    interior_point: Point = field(compare=False)
    is_box: bool = field(default=False, compare=False)

    @property
    def dim(self) -> int:
        return len(self.A[0])

    @property
    def lower(self) -> Point:
        return tuple(min(v[i] for v in self.vertices) for i in range(self.dim))

    @property
    def upper(self) -> Point:
        return tuple(max(v[i] for v in self.vertices) for i in range(self.dim))

    def contains(self, point: Sequence[Any], strict: bool = False) -> bool:
        x = to_rational_vector(point)
        if len(x) != self.dim:
            raise DomainError(f"point has {len(x)} coordinates, the domain has dimension {self.dim}")
        for a, bi in zip(self.A, self.b):
            s = sum(ai * xi for ai, xi in zip(a, x))
            if s > bi or (strict and s == bi):
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"A": [[format_rational(v) for v in row] for row in self.A],
                "b": [format_rational(v) for v in self.b]}


def check_coordinate_range(values, what: str) -> None:
    """Refuse a vertex coordinate beyond the float64 range (the search's float proposals
    evaluate the network at the vertices)."""
    for v in values:
        if abs(v) > MAX_DOMAIN_COORDINATE:
            raise DomainError(f"{what} {'-' if v < 0 else ''}{_magnitude(v)} is beyond the float64 range "
                              "(|x| <= 1.8e308), which the search's float proposals need")


def _magnitude(v: Fraction) -> str:
    """``|v|`` for a message: exactly if short, else its order of magnitude."""
    s = format_rational(abs(v))
    if len(s) <= 24:
        return s
    return f"about 10^{int((abs(v.numerator) // v.denominator).bit_length() * 0.30103)}"


def _too_many_dimensions(n: int) -> DomainError:
    return DomainError(f"domain has {n:,} dimensions; exactrelu enumerates a domain's vertices exactly "
                       f"(a box in n dimensions has 2**n) and takes at most {MAX_DOMAIN_DIMENSION}")


def polytope(A: Any, b: Any, *, _is_box: bool = False) -> Polytope:
    """Validate ``{x : A x <= b}``: rational, bounded, non-empty and full-dimensional (and
    at most :data:`~exactrelu.limits.MAX_DOMAIN_DIMENSION`-dimensional).

    >>> polytope([["1"], ["-1"]], ["1", "0"]).vertices
    ((Fraction(0, 1),), (Fraction(1, 1),))
    >>> polytope([[1] * 21], [1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exactrelu.errors.DomainError: domain has 21 dimensions; ... takes at most 20
    """
    from ..numbers.lp import vertices_and_rays

    if isinstance(A, (list, tuple)) and A and isinstance(A[0], (list, tuple)) and len(A[0]) > MAX_DOMAIN_DIMENSION:
        raise _too_many_dimensions(len(A[0]))
    if hasattr(A, "__len__") and len(A) > MAX_DOMAIN_ROWS:
        raise DomainError(f"domain has {len(A):,} rows; exactrelu takes at most {MAX_DOMAIN_ROWS:,} (cddlib's "
                          "vertex enumeration grows quadratically with them)")
    try:
        Am = to_rational_matrix(A)
        bv = to_rational_vector(b)
    except NumberError as exc:
        raise DomainError(f"domain: {exc}") from None
    if not Am or len(Am) != len(bv):
        raise DomainError("domain: A and b must be non-empty with one b entry per row of A")
    n = len(Am[0])
    if n == 0:
        raise DomainError("domain: zero-dimensional")
    if n > MAX_DOMAIN_DIMENSION:
        raise _too_many_dimensions(n)
    rows, rhs = [], []
    for a, bi in zip(Am, bv):
        if all(v == 0 for v in a):
            if bi < 0:
                raise DomainError("domain is empty (a row 0 <= b with b < 0)")
            continue  # 0 <= b with b >= 0 says nothing
        rows.append(a)
        rhs.append(bi)
    if not rows:
        raise DomainError("domain is unbounded (no constraints)")
    verts, rays, lin = vertices_and_rays(rows, rhs)
    if not verts:
        raise DomainError("domain is empty")
    if rays or lin:
        raise DomainError("domain is unbounded; give a bounded polytope (e.g. a box)")
    check_coordinate_range((c for v in verts for c in v), "domain vertex coordinate")
    if affine_rank(verts) < n:
        raise DomainError(f"domain is lower-dimensional (affine dimension {affine_rank(verts)} < {n})")
    k = len(verts)
    centre = tuple(sum(v[i] for v in verts) / k for i in range(n))
    for a, bi in zip(rows, rhs):  # exact re-check: the centre is strictly inside
        if sum(ai * ci for ai, ci in zip(a, centre)) >= bi:
            raise DomainError("domain is lower-dimensional")  # pragma: no cover - implied by rank
    return Polytope(tuple(rows), tuple(rhs), tuple(sorted(verts)), centre, _is_box)


def affine_rank(points: Sequence[Sequence[Fraction]]) -> int:
    """Dimension of the affine hull of exact points (-1 for none).

    Examples
    --------
    >>> affine_rank([(Fraction(0), Fraction(0)), (Fraction(1), Fraction(1)), (Fraction(2), Fraction(2))])
    1
    """
    if not points:
        return -1
    p0 = points[0]
    M = [[a - b for a, b in zip(p, p0)] for p in points[1:]]
    rank = 0
    ncols = len(p0)
    for col in range(ncols):
        piv = next((r for r in range(rank, len(M)) if M[r][col] != 0), None)
        if piv is None:
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for r in range(len(M)):
            if r != rank and M[r][col] != 0:
                f = M[r][col] / M[rank][col]
                M[r] = [x - f * y for x, y in zip(M[r], M[rank])]
        rank += 1
    return rank


def box(lower: Sequence[Any], upper: Sequence[Any]) -> Polytope:
    """The box ``lower <= x <= upper`` (each lower strictly below its upper; at most
    :data:`~exactrelu.limits.MAX_DOMAIN_DIMENSION` inputs)."""
    try:
        lo = to_rational_vector(lower)
        hi = to_rational_vector(upper)
    except NumberError as exc:
        raise DomainError(f"box: {exc}") from None
    if len(lo) != len(hi) or not lo:
        raise DomainError("box: lower and upper must be non-empty and of equal length")
    if len(lo) > MAX_DOMAIN_DIMENSION:
        raise _too_many_dimensions(len(lo))
    for i, (l, h) in enumerate(zip(lo, hi)):
        if not l < h:
            raise DomainError(f"box: lower bound {format_rational(l)} is not below upper bound "
                              f"{format_rational(h)} for input {i}")
    check_coordinate_range(lo + hi, "box bound")
    n = len(lo)
    A, b = [], []
    for i in range(n):
        e = [Fraction(0)] * n
        e[i] = Fraction(1)
        A.append(tuple(e))
        b.append(hi[i])
        A.append(tuple(-v for v in e))
        b.append(-lo[i])
    verts = [()]
    for i in range(n):
        verts = [v + (c,) for v in verts for c in (lo[i], hi[i])]
    centre = tuple((l + h) / 2 for l, h in zip(lo, hi))
    return Polytope(tuple(A), tuple(b), tuple(sorted(verts)), centre, True)


def parse_box(spec: str, n_inputs: int | None = None) -> Polytope:
    """Parse ``"-1:1"`` (every input; needs ``n_inputs``) or ``"-1:1,0:1/2,..."`` (per input).

    Examples
    --------
    >>> parse_box("-1:1", n_inputs=3).dim
    3
    >>> parse_box("0:1,2")
    Traceback (most recent call last):
    ...
    exactrelu.errors.DomainError: box: malformed interval '2' (expected lo:hi)
    """
    from ..numbers.rationals import clip_text

    if not isinstance(spec, str) or not spec.strip():
        raise DomainError("box: empty (expected lo:hi, or lo:hi,lo:hi,... with one interval per input)")
    parts = [p.strip(_ASCII_SPACE) for p in spec.split(",")]
    if len(parts) > MAX_DOMAIN_DIMENSION:
        raise _too_many_dimensions(len(parts))
    if n_inputs is not None and len(parts) == 1 and n_inputs > MAX_DOMAIN_DIMENSION:
        raise _too_many_dimensions(n_inputs)
    bounds = []
    for p in parts:
        if p.count(":") != 1:
            raise DomainError(f"box: malformed interval {clip_text(p)} (expected lo:hi)")
        lo, hi = p.split(":")
        try:
            bounds.append((to_rational(lo.strip(_ASCII_SPACE)), to_rational(hi.strip(_ASCII_SPACE))))
        except NumberError as exc:
            raise DomainError(f"box: {exc}") from None
    if len(bounds) == 1 and n_inputs is not None:
        bounds = bounds * n_inputs
    if n_inputs is not None and len(bounds) != n_inputs:
        raise DomainError(f"box has {len(bounds)} intervals, the network has {n_inputs} inputs")
    return box([l for l, _ in bounds], [h for _, h in bounds])


_ASCII_SPACE = " \t\r\n\f\v"  # as in number literals (rationals): no Unicode spaces


def load_domain(path: "str | Path", max_bytes: int | None = None) -> Polytope:
    """Read a JSON H-polytope ``{"A": [[...]], "b": [...]}`` (numbers as strings or ints).

    The file may be gzipped; it (and its decompressed content) is at most ``max_bytes``
    (default :func:`~exactrelu.limits.max_input_bytes`, 64 MiB). Every failure is a
    :class:`~exactrelu.errors.DomainError` naming the file: not a regular file, too large,
    not UTF-8 JSON, NaN/Infinity, JSON floats, duplicate keys, wrong types, and every
    geometric reason of :func:`polytope`.
    """
    from ..io.files import parse_json, read_text

    text = read_text(path, DomainError, "domain file ", limit=max_bytes, kind="input")
    d = parse_json(text, DomainError, f"domain file {path}")
    if not isinstance(d, dict) or "A" not in d or "b" not in d:
        raise DomainError(f"{path}: a domain file needs keys 'A' and 'b'")
    extra = sorted(set(d) - {"A", "b"})
    if extra:
        raise DomainError(f"{path}: unexpected keys {[k[:40] for k in extra[:5]]} (a domain file has 'A' and 'b')")
    A, b = d["A"], d["b"]
    if not isinstance(A, list) or not all(isinstance(row, list) for row in A):
        raise DomainError(f"{path}: 'A' must be a list of rows (lists of numbers)")
    if not isinstance(b, list):
        raise DomainError(f"{path}: 'b' must be a list of numbers")
    if A and len(A[0]) > MAX_DOMAIN_DIMENSION:
        raise _too_many_dimensions(len(A[0]))
    for v in [x for row in A for x in row] + b:
        if isinstance(v, float):
            raise DomainError(f"{path}: JSON float {v!r} refused; write numbers as 'p/q' strings")
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise DomainError(f"{path}: expected numbers as strings or integers, got a {type(v).__name__}")
    try:
        return polytope(A, b)
    except DomainError as exc:
        raise DomainError(f"{path}: {exc}") from None
