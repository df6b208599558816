"""VNN-LIB properties (the subset used in VNN-COMP), parsed exactly.

A VNN-LIB file declares inputs ``X_i`` and outputs ``Y_j`` and asserts a formula whose
models are the *counterexamples*: the property **holds** when no input satisfying the
input constraints produces outputs satisfying the output constraints.

Supported: ``declare-const`` of ``X_i``/``Y_j`` (``Real``), ``assert`` of ``and``/``or``
nests of comparisons ``<=, >=, <, >, =`` between linear terms built from numbers,
variables, ``+``, ``-`` and ``*`` by a constant. Decimal literals are exact (``0.1`` is
1/10). The formula is put in disjunctive normal form; each disjunct's pure-input atoms
form an input polytope (bounded, full-dimensional), the rest are linear constraints on
``(x, y)`` that the outputs must meet for a counterexample.

Examples
--------
>>> text = '''(declare-const X_0 Real)
... (declare-const Y_0 Real)
... (declare-const Y_1 Real)
... (assert (>= X_0 -0.5))
... (assert (<= X_0 0.5))
... (assert (or (and (<= Y_0 Y_1)) (and (>= Y_0 0.1))))'''
>>> p = parse_vnnlib(text)
>>> p.n_inputs, p.n_outputs, len(p.disjuncts)
(1, 2, 2)
>>> p.domain.upper
(Fraction(1, 2),)
>>> str(p.disjuncts[1].constraints[0])
'-y0 <= -1/10'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from .domain import Polytope, polytope
from .errors import DomainError, NumberError, PropertyError
from .rationals import format_rational, to_rational

__all__ = ["LinearAtom", "Disjunct", "Property", "parse_vnnlib", "load_vnnlib"]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_VAR = re.compile(r"^([XY])_(\d+)$")


@dataclass(frozen=True)
class LinearAtom:
    """``a . x + c . y  <=  b`` (or ``<`` when ``strict``), exact."""

    a: tuple[Fraction, ...]
    c: tuple[Fraction, ...]
    b: Fraction
    strict: bool = False

    @property
    def is_input_only(self) -> bool:
        return not any(self.c)

    def holds(self, x: Sequence[Fraction], y: Sequence[Fraction]) -> bool:
        lhs = sum(ai * xi for ai, xi in zip(self.a, x)) + sum(ci * yi for ci, yi in zip(self.c, y))
        return lhs < self.b if self.strict else lhs <= self.b

    def slack(self, x: Sequence[Any], y: Sequence[Any]) -> float:
        """Float ``b - lhs`` (positive = satisfied with room), for float runs."""
        lhs = sum(float(ai) * float(xi) for ai, xi in zip(self.a, x)) + sum(
            float(ci) * float(yi) for ci, yi in zip(self.c, y))
        return float(self.b) - lhs

    def __str__(self) -> str:
        terms = []
        for name, coeffs in (("x", self.a), ("y", self.c)):
            for i, v in enumerate(coeffs):
                if v:
                    s = "" if v == 1 else "-" if v == -1 else format_rational(v) + "*"
                    terms.append(f"{s}{name}{i}")
        lhs = " + ".join(terms) if terms else "0"
        return f"{lhs} {'<' if self.strict else '<='} {format_rational(self.b)}"


@dataclass(frozen=True)
class Disjunct:
    """One conjunction of the DNF: an input polytope and constraints involving outputs."""

    input_region: Polytope
    constraints: tuple[LinearAtom, ...]


@dataclass
class Property:
    """A parsed VNN-LIB property: counterexamples are ``x`` in some disjunct's input
    region whose output ``y = f(x)`` satisfies all of that disjunct's constraints.

    Inputs fixed by the property (``X_i <= c`` and ``X_i >= c``, as in ACAS Xu property 4)
    are listed in ``fixed_inputs``; the input regions and the ``a`` parts of constraints
    are then over the *free* inputs only (``free_inputs``), and the network must be
    restricted with :func:`exactrelu.transform.fix_inputs` (see :meth:`restrict`).
    """

    n_inputs: int
    n_outputs: int
    disjuncts: list[Disjunct]
    source: str = ""
    fixed_inputs: dict = field(default_factory=dict)

    @property
    def free_inputs(self) -> list[int]:
        return [i for i in range(self.n_inputs) if i not in self.fixed_inputs]

    def restrict(self, net):
        """The network over the free inputs (itself when nothing is fixed)."""
        if not self.fixed_inputs:
            return net
        from .transform import fix_inputs

        return fix_inputs(net, self.fixed_inputs)

    def full_input(self, u: Sequence[Fraction]) -> tuple[Fraction, ...]:
        """A point over the free inputs -> the full input vector."""
        it = iter(u)
        return tuple(self.fixed_inputs[i] if i in self.fixed_inputs else next(it) for i in range(self.n_inputs))

    @property
    def input_regions(self) -> list[Polytope]:
        out: list[Polytope] = []
        for d in self.disjuncts:
            if d.input_region not in out:
                out.append(d.input_region)
        return out

    @property
    def domain(self) -> Polytope:
        """The input polytope, when there is exactly one."""
        regs = self.input_regions
        if len(regs) != 1:
            raise PropertyError(f"the property has {len(regs)} input regions; this needs exactly one")
        return regs[0]

    def is_counterexample(self, x: Sequence[Fraction], y: Sequence[Fraction]) -> bool:
        """Exact: does ``(x, y)`` satisfy some disjunct (input region and constraints)?

        ``x`` is the full input vector (fixed inputs must have their values).
        """
        if len(x) != self.n_inputs or len(y) != self.n_outputs:
            raise PropertyError("point or output of the wrong length for this property")
        if any(x[i] != v for i, v in self.fixed_inputs.items()):
            return False
        u = [x[i] for i in self.free_inputs]
        for d in self.disjuncts:
            if d.input_region.contains(u) and all(c.holds(u, y) for c in d.constraints):
                return True
        return False


def _tokens(text: str) -> list[str]:
    text = "\n".join(line.split(";", 1)[0] for line in text.splitlines())
    return _TOKEN.findall(text)


def _parse_sexprs(tokens: list[str]) -> list[Any]:
    out = []
    stack: list[list] = []
    for tok in tokens:
        if tok == "(":
            stack.append([])
        elif tok == ")":
            if not stack:
                raise PropertyError("unbalanced ')' in VNN-LIB")
            done = stack.pop()
            (stack[-1] if stack else out).append(done)
        else:
            if not stack:
                raise PropertyError(f"unexpected token {tok!r} outside an expression")
            stack[-1].append(tok)
    if stack:
        raise PropertyError("unbalanced '(' in VNN-LIB (truncated file?)")
    return out


class _Lin:
    """A linear term: dict var -> coefficient, plus a constant."""

    __slots__ = ("coef", "const")

    def __init__(self, coef=None, const=Fraction(0)):
        self.coef = coef or {}
        self.const = const

    def __add__(self, o: "_Lin") -> "_Lin":
        c = dict(self.coef)
        for k, v in o.coef.items():
            c[k] = c.get(k, 0) + v
        return _Lin(c, self.const + o.const)

    def scale(self, s: Fraction) -> "_Lin":
        return _Lin({k: v * s for k, v in self.coef.items()}, self.const * s)

    @property
    def is_const(self) -> bool:
        return not any(self.coef.values())


def _term(e: Any, decl: dict[str, int]) -> _Lin:
    if isinstance(e, str):
        if e in decl:
            return _Lin({e: Fraction(1)})
        try:
            return _Lin({}, to_rational(e))
        except NumberError:
            raise PropertyError(f"unknown symbol {e!r}") from None
    if not e:
        raise PropertyError("empty expression")
    op, args = e[0], e[1:]
    if op == "+":
        acc = _Lin()
        for a in args:
            acc = acc + _term(a, decl)
        return acc
    if op == "-":
        if len(args) == 1:
            return _term(args[0], decl).scale(Fraction(-1))
        acc = _term(args[0], decl)
        for a in args[1:]:
            acc = acc + _term(a, decl).scale(Fraction(-1))
        return acc
    if op == "*":
        terms = [_term(a, decl) for a in args]
        nonconst = [t for t in terms if not t.is_const]
        if len(nonconst) > 1:
            raise PropertyError("non-linear product in VNN-LIB")
        s = Fraction(1)
        for t in terms:
            if t.is_const:
                s *= t.const
        return nonconst[0].scale(s) if nonconst else _Lin({}, s)
    if op == "/":
        if len(args) != 2:
            raise PropertyError("'/' needs two arguments")
        num, den = _term(args[0], decl), _term(args[1], decl)
        if not den.is_const or den.const == 0:
            raise PropertyError("division by a non-constant or by zero")
        return num.scale(1 / den.const)
    raise PropertyError(f"unsupported term operator {op!r}")


def _formula(e: Any, decl: dict[str, int]) -> list[list[tuple[_Lin, bool]]]:
    """DNF: a list of conjunctions; each atom is (lin, strict) meaning lin <= 0 (or < 0)."""
    if not isinstance(e, list) or not e:
        raise PropertyError(f"expected a formula, got {e!r}")
    op, args = e[0], e[1:]
    if op == "and":
        dnf: list[list[tuple[_Lin, bool]]] = [[]]
        for a in args:
            sub = _formula(a, decl)
            dnf = [c1 + c2 for c1 in dnf for c2 in sub]
            if len(dnf) > 100000:
                raise PropertyError("formula too large in disjunctive normal form")
        return dnf
    if op == "or":
        out = []
        for a in args:
            out.extend(_formula(a, decl))
        return out
    if op in ("<=", ">=", "<", ">", "="):
        if len(args) < 2:
            raise PropertyError(f"comparison {op} needs two arguments")
        atoms: list[tuple[_Lin, bool]] = []
        terms = [_term(a, decl) for a in args]
        for lhs, rhs in zip(terms, terms[1:]):  # chained comparisons
            diff = lhs + rhs.scale(Fraction(-1))
            if op in ("<=", "<"):
                atoms.append((diff, op == "<"))
            elif op in (">=", ">"):
                atoms.append((diff.scale(Fraction(-1)), op == ">"))
            else:
                atoms.append((diff, False))
                atoms.append((diff.scale(Fraction(-1)), False))
        return [atoms]
    raise PropertyError(f"unsupported formula operator {op!r}")


def parse_vnnlib(text: str, n_inputs: int | None = None, n_outputs: int | None = None,
                 source: str = "") -> Property:
    """Parse VNN-LIB text exactly (see module docstring)."""
    exprs = _parse_sexprs(_tokens(text))
    decl: dict[str, int] = {}
    asserts = []
    for e in exprs:
        if not isinstance(e, list) or not e:
            raise PropertyError(f"unexpected top-level item {e!r}")
        if e[0] == "declare-const":
            if len(e) != 3 or not isinstance(e[1], str) or not _VAR.match(e[1]):
                raise PropertyError(f"unsupported declaration {e!r} (expected X_i or Y_j)")
            if e[2] != "Real":
                raise PropertyError(f"unsupported sort {e[2]!r} for {e[1]}")
            decl[e[1]] = 1
        elif e[0] == "assert":
            if len(e) != 2:
                raise PropertyError("assert takes one formula")
            asserts.append(e[1])
        elif e[0] in ("set-logic", "set-info", "set-option", "check-sat", "get-model", "exit"):
            continue
        else:
            raise PropertyError(f"unsupported command {e[0]!r}")
    nx = 1 + max((int(_VAR.match(v).group(2)) for v in decl if v[0] == "X"), default=-1)
    ny = 1 + max((int(_VAR.match(v).group(2)) for v in decl if v[0] == "Y"), default=-1)
    if nx == 0 or ny == 0:
        raise PropertyError("a VNN-LIB property needs X_ and Y_ variables")
    if n_inputs is not None and nx != n_inputs:
        raise PropertyError(f"the property has {nx} inputs, the network {n_inputs}")
    if n_outputs is not None and ny != n_outputs:
        raise PropertyError(f"the property has {ny} outputs, the network {n_outputs}")
    dnf: list[list[tuple[_Lin, bool]]] = [[]]
    for a in asserts:
        sub = _formula(a, decl)
        dnf = [c1 + c2 for c1 in dnf for c2 in sub]
        if len(dnf) > 100000:
            raise PropertyError("formula too large in disjunctive normal form")
    fixed = _fixed_inputs(dnf, nx)
    free = [i for i in range(nx) if i not in fixed]
    disjuncts = []
    cache: dict[tuple, Polytope] = {}
    for conj in dnf:
        inputs, outputs = [], []
        for lin, strict in conj:
            a = tuple(lin.coef.get(f"X_{i}", Fraction(0)) for i in range(nx))
            c = tuple(lin.coef.get(f"Y_{j}", Fraction(0)) for j in range(ny))
            b = -lin.const - sum(a[i] * v for i, v in fixed.items())
            atom = LinearAtom(tuple(a[i] for i in free), c, b, strict)
            if not any(atom.a) and not any(c):
                if (atom.b < 0) or (atom.b == 0 and strict):
                    outputs = None  # a false constant atom: the disjunct is empty
                    break
                continue
            (inputs if atom.is_input_only else outputs).append(atom)
        if outputs is None:
            continue
        key = tuple(sorted((atom.a, atom.b) for atom in inputs))
        if key not in cache:
            if not inputs:
                raise PropertyError("a disjunct has no input constraints (unbounded input)")
            try:
                cache[key] = polytope([atom.a for atom in inputs], [atom.b for atom in inputs])
            except DomainError as exc:
                raise PropertyError(f"input constraints: {exc}") from exc
        disjuncts.append(Disjunct(cache[key], tuple(outputs)))
    return Property(nx, ny, disjuncts, source, fixed)


def _fixed_inputs(dnf, nx: int) -> dict[int, Fraction]:
    """Inputs pinned to one value (x_i <= c and x_i >= c) in every disjunct."""
    common: dict[int, Fraction] | None = None
    for conj in dnf:
        lo: dict[int, Fraction] = {}
        hi: dict[int, Fraction] = {}
        for lin, strict in conj:
            keys = [k for k, v in lin.coef.items() if v]
            if len(keys) != 1 or keys[0][0] != "X" or strict:
                continue
            i = int(keys[0][2:])
            v = lin.coef[keys[0]]
            bound = -lin.const / v
            if v > 0:
                hi[i] = min(hi.get(i, bound), bound)
            else:
                lo[i] = max(lo.get(i, bound), bound)
        here = {i: hi[i] for i in hi if i in lo and lo[i] == hi[i]}
        common = here if common is None else {i: v for i, v in common.items() if here.get(i) == v}
    return common or {}


def load_vnnlib(path: "str | Path", n_inputs: int | None = None, n_outputs: int | None = None) -> Property:
    """Read a ``.vnnlib`` or ``.vnnlib.gz`` file."""
    from .io.files import read_text

    text = read_text(path, PropertyError)
    return parse_vnnlib(text, n_inputs, n_outputs, source=str(path))
