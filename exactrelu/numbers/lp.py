"""The exact LP adapter: the only module that talks to cddlib (``cdd.gmp``, GMP rationals).

One sign convention for the rest of exactrelu: a polyhedron is ``{x : A x <= b}``.
cddlib wants rows ``[b_i, -a_i]`` meaning ``b_i - a_i x >= 0``; the conversion lives here
and nowhere else.

Every answer comes with its evidence and is re-checked exactly before it is returned:
an optimum with a primal point and dual multipliers (checked: primal feasible, dual
non-negative, ``A^T y = c``, equal objective values), a vertex list checked against
the rows.

Examples
--------
>>> from fractions import Fraction as F
>>> A = [[F(1), F(0)], [F(-1), F(0)], [F(0), F(1)], [F(0), F(-1)]]
>>> b = [F(1), F(1), F(1), F(1)]
>>> res = lp_maximize(A, b, [F(1), F(1, 3)])
>>> res.value, res.point
(Fraction(4, 3), (Fraction(1, 1), Fraction(1, 1)))
>>> sorted(vertices(A, b))[:2]
[(Fraction(-1, 1), Fraction(-1, 1)), (Fraction(-1, 1), Fraction(1, 1))]
"""

from __future__ import annotations

import contextlib
import functools
import sys
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from ..errors import DomainError, LPError

__all__ = ["LPResult", "lp_maximize", "vertices_and_rays", "vertices", "farkas_in_cone", "to_cdd_rows"]

Row = Sequence[Fraction]


@contextlib.contextmanager
def _long_ints():
    """pycddlib converts numbers to and from GMP through decimal strings: lift Python's
    4,300-digit int/str limit while it runs (a domain or a cell with a 5,000-digit number
    used to fail with a raw ``ValueError``)."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:  # pragma: no cover - Python without the limit
        yield
        return
    old = get()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def _with_long_ints(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _long_ints():
            return fn(*args, **kwargs)
    return wrapper


def to_cdd_rows(A: Sequence[Row], b: Sequence[Fraction]) -> list[list[Fraction]]:
    """``A x <= b``  ->  cddlib rows ``[b_i, -a_i]``."""
    return [[Fraction(bi)] + [-Fraction(v) for v in ai] for ai, bi in zip(A, b)]


@dataclass(frozen=True)
class LPResult:
    """Result of :func:`lp_maximize`.

    ``status`` is ``"optimal"``, ``"infeasible"`` or ``"unbounded"``. For an optimum,
    ``point`` attains ``value`` and ``dual`` (``{row: y_row}``, y >= 0) proves that no
    feasible point does better: ``A^T y = c`` and ``b . y = value``.
    """

    status: str
    value: Fraction | None = None
    point: tuple[Fraction, ...] | None = None
    dual: dict[int, Fraction] | None = None


@_with_long_ints
def lp_maximize(A: Sequence[Row], b: Sequence[Fraction], c: Sequence[Fraction]) -> LPResult:
    """Maximise ``c . x`` over ``{x : A x <= b}`` exactly; the optimum is verified."""
    import cdd
    import cdd.gmp as g

    n = len(c)
    rows = to_cdd_rows(A, b)
    rows.append([Fraction(0)] + [Fraction(v) for v in c])
    try:
        lp = g.linprog_from_array(rows, obj_type=cdd.LPObjType.MAX)
        g.linprog_solve(lp)
    except Exception as exc:  # pragma: no cover - cdd internal failure
        raise LPError(f"cddlib failed: {exc}") from exc
    status = lp.status
    if status == cdd.LPStatusType.OPTIMAL:
        x = tuple(Fraction(v) for v in lp.primal_solution)
        y = {int(i): Fraction(v) for i, v in lp.dual_solution}
        value = Fraction(lp.obj_value)
        _verify_optimum(A, b, c, x, y, value)
        return LPResult("optimal", value, x, y)
    if status in (cdd.LPStatusType.INCONSISTENT, cdd.LPStatusType.STRUC_INCONSISTENT):
        return LPResult("infeasible")
    if status in (cdd.LPStatusType.DUAL_INCONSISTENT, cdd.LPStatusType.STRUC_DUAL_INCONSISTENT,
                  cdd.LPStatusType.UNBOUNDED):
        return LPResult("unbounded")
    raise LPError(f"cddlib returned LP status {status!r} with n={n}")


def _verify_optimum(A, b, c, x, y, value) -> None:
    for ai, bi in zip(A, b):
        if sum(a * xi for a, xi in zip(ai, x)) > bi:
            raise LPError("cddlib optimum is not feasible")
    if any(v < 0 for v in y.values()):
        raise LPError("cddlib dual has a negative multiplier")
    n = len(c)
    for j in range(n):
        if sum(y[i] * A[i][j] for i in y) != c[j]:
            raise LPError("cddlib dual does not reproduce the objective")
    if sum(y[i] * b[i] for i in y) != value or sum(ci * xi for ci, xi in zip(c, x)) != value:
        raise LPError("cddlib primal and dual values differ")


@_with_long_ints
def vertices_and_rays(A: Sequence[Row], b: Sequence[Fraction]):
    """V-representation of ``{x : A x <= b}``: (vertices, rays, lineality rays), exact."""
    import cdd
    import cdd.gmp as g

    mat = g.matrix_from_array(to_cdd_rows(A, b), rep_type=cdd.RepType.INEQUALITY)
    poly = g.polyhedron_from_matrix(mat)
    gen = g.copy_generators(poly)
    verts, rays, lin = [], [], []
    for i, row in enumerate(gen.array):
        vec = tuple(Fraction(v) for v in row[1:])
        if i in gen.lin_set:
            lin.append(vec)
        elif row[0] == 1:
            verts.append(vec)
        else:
            rays.append(vec)
    for v in verts:
        for ai, bi in zip(A, b):
            if sum(a * xi for a, xi in zip(ai, v)) > bi:
                raise LPError("cddlib vertex violates a constraint")
    return verts, rays, lin


def vertices(A: Sequence[Row], b: Sequence[Fraction]) -> list[tuple[Fraction, ...]]:
    """Vertices of a bounded polytope ``{x : A x <= b}`` (DomainError if unbounded)."""
    verts, rays, lin = vertices_and_rays(A, b)
    if rays or lin:
        raise DomainError("the polyhedron is unbounded")
    return verts


@_with_long_ints
def farkas_in_cone(normals: Sequence[Row], target: Sequence[Fraction]) -> dict[int, Fraction] | None:
    """Find ``y >= 0`` with ``sum_i y_i normals[i] = target`` exactly, or None.

    Solved as an LP feasibility problem with cddlib; the answer is verified.
    """
    import cdd
    import cdd.gmp as g

    k = len(normals)
    n = len(target)
    # variables y_0..y_{k-1} >= 0; equalities sum_i y_i normals[i][j] = target[j]
    rows = []
    lin = []
    for j in range(n):
        rows.append([-Fraction(target[j])] + [Fraction(normals[i][j]) for i in range(k)])
        lin.append(j)
    for i in range(k):
        rows.append([Fraction(0)] + [Fraction(int(i == t)) for t in range(k)])
    rows.append([Fraction(0)] + [Fraction(0)] * k)
    mat = g.matrix_from_array(rows[:-1], lin_set=lin, rep_type=cdd.RepType.INEQUALITY,
                              obj_type=cdd.LPObjType.MAX, obj_func=rows[-1])
    lp = g.linprog_from_matrix(mat)
    g.linprog_solve(lp)
    if lp.status != cdd.LPStatusType.OPTIMAL:
        return None
    y = [Fraction(v) for v in lp.primal_solution]
    if any(v < 0 for v in y):
        return None
    for j in range(n):
        if sum(y[i] * normals[i][j] for i in range(k)) != target[j]:
            return None
    return {i: v for i, v in enumerate(y) if v}
