"""sympy renderings: ``Max``/``Min`` forms, relu as ``Max(0, .)`` or ``Piecewise``, and the
network itself as a ``Piecewise`` over its linear regions. Inputs are the symbols
``x_0 .. x_{n-1}`` (or the ones given). Rationals stay exact (``sympy.Rational``).

Examples
--------
>>> from fractions import Fraction as F
>>> from exactrelu.shallow.representation import HiddenBasis, ShallowRepresentation
>>> rep = ShallowRepresentation(HiddenBasis(1, ((F(1), F(-1, 2)),)), [(F(1), F(0), F(-2)), (F(0), F(1, 3), F(0))])
>>> rep.to_sympy()
Max(1/3, x_0 - 2*Max(0, x_0 - 1/2))
>>> print(rep.to_latex())
\\max\\left(\\frac{1}{3}, x_{0} - 2 \\max\\left(0, x_{0} - \\frac{1}{2}\\right)\\right)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

__all__ = ["input_symbols", "affine_expr", "shallow_to_sympy", "lattice_to_sympy", "lazy_to_sympy",
           "piecewise_expression"]


def input_symbols(n: int, symbols: Sequence[Any] | None = None) -> list[Any]:
    """``x_0 .. x_{n-1}`` (real sympy symbols), or the given ones (names or symbols)."""
    import sympy

    if symbols is None:
        return list(sympy.symbols(f"x_0:{n}", real=True)) if n > 1 else [sympy.Symbol("x_0", real=True)]
    out = [sympy.Symbol(s, real=True) if isinstance(s, str) else s for s in symbols]
    if len(out) != n:
        from ..errors import ModelError

        raise ModelError(f"{len(out)} symbols for {n} inputs")
    return out


def _q(v: Fraction) -> Any:
    import sympy

    return sympy.Rational(v.numerator, v.denominator)


def affine_expr(form: Sequence[Fraction], xs: Sequence[Any]) -> Any:
    """``c . x + c_0`` for ``form = (c_1..c_n, c_0)``."""
    import sympy

    return sympy.Add(*[_q(c) * x for c, x in zip(form, xs) if c], _q(form[-1]))


def _relu(z: Any, how: str) -> Any:
    import sympy

    if how == "piecewise":
        return sympy.Piecewise((z, z > 0), (0, True))
    return sympy.Max(0, z, evaluate=False) if not z.is_number else sympy.Max(0, z)


def shallow_to_sympy(rep: Any, symbols: Sequence[Any] | None = None, relu: str = "max") -> Any:
    """``Max(p_1, p_2, ...) - Max(q_1, ...)`` of a ShallowRepresentation."""
    import sympy

    n = rep.n_inputs
    xs = input_symbols(n, symbols)
    units = [_relu(affine_expr(u, xs), relu) for u in rep.basis.units]

    def term(t: Sequence[Fraction]) -> Any:
        e = affine_expr(t[:n + 1], xs)
        return e + sympy.Add(*[_q(a) * u for a, u in zip(t[n + 1:], units) if a])

    def mx(ts: Sequence[Any]) -> Any:
        es = [term(t) for t in ts]
        return es[0] if len(es) == 1 else sympy.Max(*es, evaluate=False)

    if rep.is_pure_max:
        return mx(rep.plus) - term(rep.minus[0]) if any(rep.minus[0]) else mx(rep.plus)
    return mx(rep.plus) - mx(rep.minus)


def lattice_to_sympy(lf: Any, symbols: Sequence[Any] | None = None) -> Any:
    """``Max(Min(l_j, ...), ...)`` of a LatticeForm."""
    import sympy

    xs = input_symbols(lf.n_inputs, symbols)
    ls = [affine_expr(p, xs) for p in lf.pieces]
    mins = [ls[t[0]] if len(t) == 1 else sympy.Min(*[ls[j] for j in t], evaluate=False) for t in lf.terms]
    return mins[0] if len(mins) == 1 else sympy.Max(*mins, evaluate=False)


def lazy_to_sympy(form: Any, symbols: Sequence[Any] | None = None, relu: str = "max") -> Any:
    """The formula of a lazy form: nested sums of maxima (compact; nothing is listed)."""
    import sympy

    from .termset import post_order

    n = form.n_inputs
    xs = input_symbols(n, symbols)
    units = [_relu(affine_expr(u, xs), relu) for u in form.basis.units]

    def term(t: Sequence[Fraction]) -> Any:
        return affine_expr(t[:n + 1], xs) + sympy.Add(*[_q(a) * u for a, u in zip(t[n + 1:], units) if a])

    memo: dict[int, Any] = {}
    for root in (form.plus, form.minus):
        for node in post_order(root):
            if id(node) in memo:
                continue
            if node.kind == "leaf":
                es = [term(t) for t in node.terms]
                memo[id(node)] = es[0] if len(es) == 1 else sympy.Max(*es, evaluate=False)
            elif node.kind == "sum":
                parts = [term(node.const)] if node.const is not None else []
                parts += [_q(c) * memo[id(ch)] for c, ch in node.parts]
                memo[id(node)] = sympy.Add(*parts)
            else:
                memo[id(node)] = sympy.Max(*[memo[id(ch)] for ch in node.parts], evaluate=False)
    return memo[id(form.plus)] - memo[id(form.minus)]


def piecewise_expression(partition: Any, output: int = 0, symbols: Sequence[Any] | None = None) -> Any:
    """The network on its domain as ``Piecewise((l_R, constraints of R), ...)``.

    Each region contributes its affine map and its facet inequalities (closed regions; a
    point on a shared facet takes the first region, where both maps agree).
    """
    import sympy

    n = partition.network.n_inputs
    xs = input_symbols(n, symbols)
    pieces = []
    for reg in partition.regions:
        C, d = reg.affine_map
        A, b = reg.facet_representation()
        cond = sympy.And(*[affine_expr(tuple(a) + (-bi,), xs) <= 0 for a, bi in zip(A, b)])
        pieces.append((affine_expr(tuple(C[output]) + (d[output],), xs), cond))
    return sympy.Piecewise(*pieces)
