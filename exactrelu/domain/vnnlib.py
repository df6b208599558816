"""VNN-LIB properties (the subset used in VNN-COMP), parsed exactly.

A VNN-LIB file declares inputs ``X_i`` and outputs ``Y_j`` and asserts a formula whose
models are the *counterexamples*: the property **holds** when no input satisfying the
input constraints produces outputs satisfying the output constraints.

The reading (the checker has its own, independent reader of the same rules,
``exactrelu/checker/vnnlib.py``; ``proofs/rules/pinning.md``):

* **Lexical.** Whitespace is space, tab, CR and LF; ``;`` starts a comment that runs to the
  end of the line; string literals ``"..."`` (``""`` inside is a quote) are allowed only in
  ``set-info``/``set-option``; quoted symbols ``|...|`` are refused; any other character
  must be printable ASCII.
* **Commands.** ``(declare-const NAME Real)``, ``(assert FORMULA)``; ``set-logic``,
  ``set-info``, ``set-option``, ``check-sat``, ``get-model`` and ``exit`` are ignored;
  anything else (``declare-fun``, ``define-fun``, ``push``, ...) is refused.
* **Names.** The declared names must be exactly ``X_0 .. X_{n-1}`` and ``Y_0 .. Y_{m-1}``
  (``n, m >= 1``), the index in canonical decimal form (``X_0``, ``X_12``; not ``X_00`` or
  ``X_+1``), each declared once, with sort ``Real``, before it is used. Any other name, a
  gap, a re-declaration, an alias such as ``Y_00``, another sort or an undeclared name is
  refused with a :class:`~exactrelu.errors.PropertyError` naming the symbol: a name never
  silently becomes a zero coefficient.
* **Numbers.** ``[+-]?(D+[.D*] | .D+)([eE][+-]?D+)?`` with ASCII digits ``D``, exact
  (``0.1`` is 1/10, ``1e-3`` is 1/1000), at most 1,000,000 characters and a decimal
  exponent of at most 100,000 in absolute value (:class:`~exactrelu.errors.NumberError`);
  ``p/q``, ``#x``/``#b`` literals, ``inf`` and ``nan`` are refused (write ``(/ p q)``).
* **Terms.** Numbers, variables, ``(+ t ...)``, ``(- t)``, ``(- t t ...)``, ``(* t ...)``
  with at most one non-constant factor, ``(/ t c ...)`` with non-zero constants ``c`` (left
  associative); every operator needs at least one argument (``/`` two).
* **Formulas.** ``(and F ...)``, ``(or F ...)`` (at least one argument each) and chained
  comparisons ``(<= t1 t2 ...)``, ``>=``, ``<``, ``>``, ``=`` (at least two arguments:
  ``t1 <= t2``, ``t2 <= t3``, ...). Nothing else (``not``, ``=>``, ``true``, ``ite``, ...).
* **Normal form.** The conjunction of the asserts is put in disjunctive normal form (at
  most 100,000 disjuncts and 10,000,000 atoms). In each disjunct an atom without variables
  is decided: a true one is dropped, a false one drops the disjunct (it has no
  counterexample). An input ``X_i`` that every remaining disjunct *pins* to the same ``c``
  (non-strict one-input atoms giving ``x_i <= c`` and ``x_i >= c``; ACAS Xu property 4) is
  a fixed input, substituted everywhere (then decided atoms are dropped as above); a pin
  in only some disjuncts, or to different values, is refused. The other inputs are free:
  a disjunct's non-strict atoms on free inputs only form its input region (a bounded,
  full-dimensional polytope; otherwise refused), and everything else, including *strict*
  input-only atoms such as ``X_0 < 1``, stays in its constraints, decided exactly (a
  counterexample meets them strictly; never closed silently). When every input is fixed,
  the input region is the single point (:class:`PointRegion`).

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
>>> parse_vnnlib(text.replace("Y_1", "Y_01"))
Traceback (most recent call last):
...
exactrelu.errors.PropertyError: line 3: 'Y_01' is not a VNN-LIB variable name (X_i or Y_j, the index in canonical decimal form)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from .polytope import Point, Polytope, check_coordinate_range, polytope
from ..limits import MAX_DOMAIN_DIMENSION
from ..errors import DomainError, PropertyError
from ..numbers.rationals import format_rational
from .vnnlib_reader import MAX_ATOMS, MAX_DISJUNCTS, read_vnnlib_formula

__all__ = ["LinearAtom", "Disjunct", "Property", "PointRegion", "parse_vnnlib", "load_vnnlib",
           "MAX_DISJUNCTS", "MAX_ATOMS"]


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
class PointRegion:
    """The input region of a property that fixes every input: ``R^0``, one point ``()``.

    It has the interface of a :class:`~exactrelu.domain.polytope.Polytope` that the property code
    uses (no rows; ``to_dict()`` is ``{"A": [], "b": []}``).

    >>> r = PointRegion()
    >>> r.contains(()), r.to_dict()
    (True, {'A': [], 'b': []})
    """

    A: tuple = ()
    b: tuple = ()

    dim = 0
    vertices = ((),)
    interior_point = ()
    lower = ()
    upper = ()

    def contains(self, point: Sequence[Any], strict: bool = False) -> bool:
        if len(point) != 0:
            raise DomainError(f"point has {len(point)} coordinates, the region has dimension 0")
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"A": [], "b": []}


@dataclass(frozen=True)
class Disjunct:
    """One conjunction of the DNF: an input region (over the free inputs) and the other
    constraints (involving outputs, or strict ones on inputs only)."""

    input_region: "Polytope | PointRegion"
    constraints: tuple[LinearAtom, ...]


@dataclass
class Property:
    """A parsed VNN-LIB property: counterexamples are ``x`` in some disjunct's input
    region whose output ``y = f(x)`` satisfies all of that disjunct's constraints.

    Inputs fixed by the property (``X_i <= c`` and ``X_i >= c``, as in ACAS Xu property 4)
    are listed in ``fixed_inputs``; the input regions and the ``a`` parts of constraints
    are then over the *free* inputs only (``free_inputs``), and the network must be
    restricted with :func:`exactrelu.model.transform.fix_inputs` (see :meth:`restrict`).
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
        if not self.free_inputs:
            raise PropertyError("the property fixes every input: there is no network over free inputs "
                                "(evaluate it at the point)")
        from ..model.transform import fix_inputs

        return fix_inputs(net, self.fixed_inputs)

    def full_input(self, u: Sequence[Fraction]) -> Point:
        """A point over the free inputs -> the full input vector."""
        it = iter(u)
        return tuple(self.fixed_inputs[i] if i in self.fixed_inputs else next(it) for i in range(self.n_inputs))

    @property
    def input_regions(self) -> list:
        out: list = []
        for d in self.disjuncts:
            if d.input_region not in out:
                out.append(d.input_region)
        return out

    @property
    def domain(self) -> Polytope:
        """The input polytope, when there is exactly one and the property puts no other
        constraint on the inputs alone (a strict one such as ``X_0 < 1`` would be lost)."""
        regs = self.input_regions
        if len(regs) != 1:
            raise PropertyError(f"the property has {len(regs)} input regions; this needs exactly one")
        if isinstance(regs[0], PointRegion):
            raise PropertyError("the property fixes every input: its input region is a single point")
        if any(c.is_input_only for d in self.disjuncts for c in d.constraints):
            raise PropertyError("the property constrains the inputs strictly (e.g. X_0 < 1); its input polytope "
                                "would include the boundary, so it cannot serve as the domain")
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


# ------------------------------------------------------------------------------- reading


def parse_vnnlib(text: str, n_inputs: int | None = None, n_outputs: int | None = None,
                 source: str = "") -> Property:
    """Parse VNN-LIB text exactly (see the module docstring for the rules).

    ``n_inputs`` / ``n_outputs``, when given, must equal the declared counts.
    """
    dnf, nx, ny = read_vnnlib_formula(text)
    if n_inputs is not None and nx != n_inputs:
        raise PropertyError(f"the property has {nx} inputs, the network {n_inputs}")
    if n_outputs is not None and ny != n_outputs:
        raise PropertyError(f"the property has {ny} outputs, the network {n_outputs}")
    return _normal_form(dnf, nx, ny, source)


def _normal_form(dnf: list[list], nx: int, ny: int, source: str) -> Property:
    """DNF of atoms -> the property (see "Normal form" in the module docstring)."""
    conjs: list[list[tuple]] = []
    zero = Fraction(0)
    for conj in dnf:
        atoms = []
        for lin, strict in conj:
            a = tuple(lin.coef.get(("X", i), zero) for i in range(nx))
            c = tuple(lin.coef.get(("Y", j), zero) for j in range(ny))
            atoms.append((a, c, -lin.const, strict))
        atoms = _decide_constants(atoms)
        if atoms is not None:
            conjs.append(atoms)
    fixed = _fixed_inputs(conjs, nx)
    free = [i for i in range(nx) if i not in fixed]
    disjuncts = []
    cache: dict[tuple, Any] = {}
    for k, atoms in enumerate(conjs):
        subst = [(tuple(a[i] for i in free), c, b - sum(a[i] * v for i, v in fixed.items()), strict)
                 for a, c, b, strict in atoms]
        kept = _decide_constants(subst)
        if kept is None:
            continue
        inputs, others = [], []
        for a, c, b, strict in kept:
            atom = LinearAtom(a, c, b, strict)
            if atom.is_input_only:  # the region is the closure; a strict atom also stays a constraint
                inputs.append(LinearAtom(a, c, b) if strict else atom)
            if strict or not atom.is_input_only:
                others.append(atom)
        # disjuncts with the same input rows share one region (no key needed for one disjunct)
        key = tuple(sorted((atom.a, atom.b) for atom in inputs)) if len(conjs) > 1 else ()
        if key not in cache:
            cache[key] = _input_region(inputs, free, k, any(c.is_input_only for c in others))
        disjuncts.append(Disjunct(cache[key], tuple(others)))
    return Property(nx, ny, disjuncts, source, fixed)


def _decide_constants(atoms: list[tuple]) -> list[tuple] | None:
    """Drop true atoms without variables; None if one is false (the disjunct is empty)."""
    out = []
    for a, c, b, strict in atoms:
        if any(a) or any(c):
            out.append((a, c, b, strict))
        elif b < 0 or (b == 0 and strict):
            return None
    return out


def _pins(atoms: list[tuple], nx: int) -> dict[int, Fraction]:
    """Inputs a conjunction pins: non-strict one-input atoms give ``x_i <= c`` and ``x_i >= c``."""
    lo: dict[int, Fraction] = {}
    hi: dict[int, Fraction] = {}
    for a, c, b, strict in atoms:
        if strict or any(c):
            continue
        nz = [i for i in range(nx) if a[i]]
        if len(nz) != 1:
            continue
        i = nz[0]
        bound = b / a[i]
        if a[i] > 0:
            hi[i] = min(hi.get(i, bound), bound)
        else:
            lo[i] = max(lo.get(i, bound), bound)
    return {i: hi[i] for i in sorted(hi) if i in lo and lo[i] == hi[i]}


def _fixed_inputs(conjs: list[list[tuple]], nx: int) -> dict[int, Fraction]:
    """Inputs pinned to one value in every disjunct; a pin elsewhere is refused."""
    pins = [_pins(atoms, nx) for atoms in conjs]
    if not pins:
        return {}
    common = {i: v for i, v in pins[0].items() if all(p.get(i) == v for p in pins[1:])}
    for k, p in enumerate(pins):
        for i, v in p.items():
            if i not in common:
                raise PropertyError(
                    f"disjunct {k} pins X_{i} = {format_rational(v)} but not every disjunct pins X_{i} to that value; "
                    "an input fixed in one disjunct must be fixed alike in all (split the property into several files)")
    return common


def _input_region(inputs: list[LinearAtom], free: list[int], k: int, strict: bool):
    """The closed input region of disjunct ``k`` (``strict``: it has strict input atoms too)."""
    if not free:
        return PointRegion()
    if not inputs:
        raise PropertyError(f"disjunct {k} has no input constraints (unbounded input)")
    fast = _box_region(inputs, len(free))
    if fast is not None:
        return fast
    try:
        return polytope([atom.a for atom in inputs], [atom.b for atom in inputs])
    except DomainError as exc:
        msg = str(exc)
        if "empty" in msg:
            raise PropertyError(f"disjunct {k}: the input constraints have no solution (empty input region)") from exc
        if strict and "lower-dimensional" in msg:
            raise PropertyError(f"disjunct {k}: the input region is lower-dimensional, or empty with its strict "
                                "constraints") from exc
        raise PropertyError(f"disjunct {k}: input constraints: {msg}") from exc
    except ValueError as exc:  # pycddlib converts through str: numbers beyond 4,300 digits fail there
        raise PropertyError(f"disjunct {k}: input constraints with numbers too long for the vertex enumeration "
                            f"({str(exc)[:60]})") from exc


def _box_region(inputs: list[LinearAtom], n: int) -> Polytope | None:
    """The input region when its rows bound one input each and leave every input an
    interval ``lo < hi``: the Polytope :func:`~exactrelu.domain.polytope.polytope` would build (the
    same rows, the ``2^n`` corners as vertices, the centre), without a vertex enumeration
    (cdd takes about 45 s for a 14-D box); None otherwise."""
    lo: list = [None] * n
    hi: list = [None] * n
    for atom in inputs:
        nz = [i for i, v in enumerate(atom.a) if v]
        if len(nz) != 1:
            return None
        i = nz[0]
        bound = atom.b / atom.a[i]
        if atom.a[i] > 0:
            hi[i] = bound if hi[i] is None else min(hi[i], bound)
        else:
            lo[i] = bound if lo[i] is None else max(lo[i], bound)
    if any(l is None or h is None or not l < h for l, h in zip(lo, hi)):
        return None  # unbounded, empty or lower-dimensional: polytope() says which
    if n > MAX_DOMAIN_DIMENSION:
        raise PropertyError(f"an input box with {n} free inputs has 2^{n} vertices; exactrelu's input regions "
                            f"carry their vertices, so at most {MAX_DOMAIN_DIMENSION} free inputs")
    try:
        check_coordinate_range(lo + hi, "domain vertex coordinate")
    except DomainError as exc:
        raise PropertyError(str(exc)) from None
    corners: list[tuple] = [()]
    for l, h in zip(lo, hi):
        corners = [c + (v,) for c in corners for v in (l, h)]
    centre = tuple((l + h) / 2 for l, h in zip(lo, hi))
    return Polytope(tuple(atom.a for atom in inputs), tuple(atom.b for atom in inputs), tuple(sorted(corners)), centre)


def load_vnnlib(path: "str | Path", n_inputs: int | None = None, n_outputs: int | None = None) -> Property:
    """Read a ``.vnnlib`` or ``.vnnlib.gz`` file."""
    from ..io.files import read_text

    text = read_text(path, PropertyError)
    return parse_vnnlib(text, n_inputs, n_outputs, source=str(path))
