"""The VNN-LIB reader: text to a disjunctive normal form of linear atoms, exactly.

:func:`read_vnnlib_formula` applies the lexical, command, name, number, term and formula
rules of :mod:`exactrelu.domain.vnnlib` (its module docstring states them) and the size
limits of the normal form; :func:`~exactrelu.domain.vnnlib.parse_vnnlib` turns the result
into a :class:`~exactrelu.domain.vnnlib.Property`.

Examples
--------
>>> dnf, nx, ny = read_vnnlib_formula("(declare-const X_0 Real)(declare-const Y_0 Real)"
...                                   "(assert (or (<= X_0 1) (< Y_0 (* 2 X_0))))")
>>> nx, ny, len(dnf)
(1, 1, 2)
>>> [(sorted(lin.coef.items()), str(lin.const), strict) for lin, strict in dnf[1]]
[([(('X', 0), Fraction(-2, 1)), (('Y', 0), Fraction(1, 1))], '0', True)]
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from ..errors import NumberError, PropertyError
from ..numbers.rationals import to_rational

__all__ = ["read_vnnlib_formula", "MAX_DISJUNCTS", "MAX_ATOMS", "MAX_LITERAL_CHARS", "MAX_LITERAL_EXPONENT"]

MAX_DISJUNCTS = 100_000  # disjuncts of the normal form (of any subformula)
MAX_ATOMS = 10_000_000  # atoms of the normal form, summed over its disjuncts
MAX_LITERAL_CHARS = 1_000_000  # the shared number limits (also enforced by rationals.to_rational)
MAX_LITERAL_EXPONENT = 100_000

_LEX = re.compile(
    r'(?P<ws>[ \t\r\n]+)|(?P<comment>;[^\r\n]*)|(?P<open>\()|(?P<close>\))'
    r'|(?P<string>"(?:[^"]|"")*")|(?P<quoted>\|[^|]*\|)|(?P<atom>[!#-\'*-:<-{}~]+)|(?P<bad>.)', re.S)
_NAME = re.compile(r"([XY])_(0|[1-9][0-9]*)")
_LOOKS_LIKE_NAME = re.compile(r"[XxYy]_.*")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?")
_IGNORED = ("set-logic", "set-info", "set-option", "check-sat", "get-model", "exit")
_COMPARISONS = ("<=", ">=", "<", ">", "=")


class _Item(str):
    """A token with the line it starts on (the s-expression leaves)."""

    line: int


def _show(e: Any, limit: int = 80) -> str:
    """A short rendering of an s-expression (bounded work, whatever its depth)."""
    out: list[str] = []
    todo: list = [e]
    size = 0
    while todo and size < limit:
        x = todo.pop()
        if isinstance(x, list):
            todo.append(")")
            todo.extend(reversed(x))
            x = "("
        elif out and out[-1] != "(" and x != ")":
            x = " " + x
        out.append(x)
        size += len(x)
    text = "".join(out)
    return text[:limit] + "..." if todo or len(text) > limit else text


def _sexprs(text: str) -> list[tuple[int, list]]:
    """The top-level s-expressions ``(line, list)``; leaves are :class:`_Item` tokens."""
    out: list[tuple[int, list]] = []
    stack: list[list] = []
    starts: list[int] = []
    line = 1
    for m in _LEX.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "ws" or kind == "comment":
            line += tok.count("\n")
            continue
        if kind == "open":
            stack.append([])
            starts.append(line)
        elif kind == "close":
            if not stack:
                raise PropertyError(f"line {line}: unbalanced ')'")
            done = stack.pop()
            start = starts.pop()
            if stack:
                stack[-1].append(done)
            else:
                out.append((start, done))
        elif kind == "bad":
            if tok == '"':
                raise PropertyError(f"line {line}: unterminated string literal")
            if tok == "|":
                raise PropertyError(f"line {line}: unterminated quoted symbol")
            raise PropertyError(f"line {line}: unexpected character U+{ord(tok):04X} in VNN-LIB text")
        elif kind == "quoted":
            raise PropertyError(f"line {line}: quoted symbols ({tok[:40]}) are not supported; write the name plainly")
        else:  # an atom or a string literal
            if not stack:
                raise PropertyError(f"line {line}: unexpected token {tok[:40]!r} outside an expression")
            item = _Item(tok)
            item.line = line
            stack[-1].append(item)
            line += tok.count("\n") if kind == "string" else 0
    if stack:
        raise PropertyError(f"line {starts[-1]}: unbalanced '(' (truncated file?)")
    return out


class _Lin:
    """A linear term: ``coef`` maps ``("X", i)`` / ``("Y", j)`` to a coefficient; plus ``const``."""

    __slots__ = ("coef", "const")

    def __init__(self, coef: dict | None = None, const: Fraction = Fraction(0)) -> None:
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


def _number(tok: str) -> Fraction:
    """A VNN-LIB numeric literal, exactly (the shared limits first, before any big work)."""
    if len(tok) > MAX_LITERAL_CHARS:
        raise NumberError(f"number literal of {len(tok)} characters (at most {MAX_LITERAL_CHARS:,})")
    m = _NUMBER.fullmatch(tok)
    if m.group(1) is not None:
        e = m.group(1).lstrip("+-").lstrip("0")
        if len(e) > 7 or int(e or "0") > MAX_LITERAL_EXPONENT:
            raise NumberError(f"number {tok[:40]!r}: decimal exponent beyond +-{MAX_LITERAL_EXPONENT:,}")
    return to_rational(tok)


class _Reader:
    """Declarations seen so far, and the evaluation of terms and formulas."""

    def __init__(self) -> None:
        self.decl: dict[str, tuple[str, int]] = {}

    def leaf(self, tok: _Item) -> _Lin:
        var = self.decl.get(tok)
        if var is not None:
            return _Lin({var: Fraction(1)})
        if _NUMBER.fullmatch(tok):
            return _Lin({}, _number(tok))
        if _LOOKS_LIKE_NAME.fullmatch(tok):
            raise PropertyError(f"line {tok.line}: undeclared variable {tok[:40]!r} (declare it with "
                                "declare-const before it is used)")
        if tok[:2] in ("#x", "#b", "#o"):
            raise PropertyError(f"line {tok.line}: literal {tok[:40]!r} is not supported (decimal numbers only)")
        if "/" in tok and tok not in ("/",):
            raise PropertyError(f"line {tok.line}: {tok[:40]!r} is not a VNN-LIB number; write (/ p q)")
        raise PropertyError(f"line {tok.line}: unknown symbol {tok[:40]!r}")

    def term(self, root: Any) -> _Lin:
        """Evaluate a term bottom-up (no recursion: any nesting depth)."""
        vals: list[_Lin] = []
        todo: list = [(root, False)]
        while todo:
            e, ready = todo.pop()
            if isinstance(e, str):
                vals.append(self.leaf(e))
                continue
            if not ready:
                if not e or not isinstance(e[0], str):
                    raise PropertyError(f"{_where(e)}expected a term, got {_show(e)}")
                op = e[0]
                if op not in ("+", "-", "*", "/"):
                    raise PropertyError(f"{_where(e)}unsupported term operator {op[:40]!r} in {_show(e)}")
                if len(e) < (3 if op == "/" else 2):
                    raise PropertyError(f"{_where(e)}{op!r} needs {'two arguments' if op == '/' else 'an argument'}"
                                        f": {_show(e)}")
                todo.append((e, True))
                todo.extend((a, False) for a in reversed(e[1:]))
                continue
            k = len(e) - 1
            args = vals[-k:]
            del vals[-k:]
            vals.append(_apply(e, args))
        return vals[0]

    def formula(self, root: Any) -> list[list[tuple[_Lin, bool]]]:
        """Evaluate a formula bottom-up into a DNF: a list of conjunctions of atoms
        ``(lin, strict)`` meaning ``lin <= 0`` (``< 0``)."""
        vals: list[list] = []
        todo: list = [(root, False)]
        while todo:
            e, ready = todo.pop()
            if not isinstance(e, list) or not e or not isinstance(e[0], str):
                raise PropertyError(f"{_where(e)}expected a formula, got {_show(e) if isinstance(e, list) else e[:40]!r}")
            op = e[0]
            if op in _COMPARISONS:
                vals.append([self.comparison(e)])
                continue
            if op not in ("and", "or"):
                raise PropertyError(f"{_where(e)}unsupported formula operator {op[:40]!r} in {_show(e)}")
            if len(e) < 2:
                raise PropertyError(f"{_where(e)}({op}) needs at least one argument")
            if not ready:
                todo.append((e, True))
                todo.extend((a, False) for a in reversed(e[1:]))
                continue
            k = len(e) - 1
            subs = vals[-k:]
            del vals[-k:]
            vals.append(_conjoin(subs) if op == "and" else _disjoin(subs))
        return vals[0]

    def comparison(self, e: list) -> list[tuple[_Lin, bool]]:
        op = e[0]
        if len(e) < 3:
            raise PropertyError(f"{_where(e)}comparison {op} needs at least two arguments: {_show(e)}")
        terms = [self.term(a) for a in e[1:]]
        atoms: list[tuple[_Lin, bool]] = []
        for lhs, rhs in zip(terms, terms[1:]):  # chained: t1 op t2, t2 op t3, ...
            diff = lhs + rhs.scale(Fraction(-1))
            if op in ("<=", "<"):
                atoms.append((diff, op == "<"))
            elif op in (">=", ">"):
                atoms.append((diff.scale(Fraction(-1)), op == ">"))
            else:
                atoms.append((diff, False))
                atoms.append((diff.scale(Fraction(-1)), False))
        return atoms


def _where(e: Any) -> str:
    """``"line L: "`` for an expression whose first token knows its line."""
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, _Item):
            return f"line {x.line}: "
        if isinstance(x, list):
            todo.extend(reversed(x[:1]))
    return ""


def _apply(e: list, args: list[_Lin]) -> _Lin:
    op = e[0]
    if op == "+":
        acc = args[0]
        for a in args[1:]:
            acc = acc + a
        return acc
    if op == "-":
        if len(args) == 1:
            return args[0].scale(Fraction(-1))
        acc = args[0]
        for a in args[1:]:
            acc = acc + a.scale(Fraction(-1))
        return acc
    if op == "*":
        nonconst = [t for t in args if not t.is_const]
        if len(nonconst) > 1:
            raise PropertyError(f"{_where(e)}non-linear product {_show(e)}")
        s = Fraction(1)
        for t in args:
            if t.is_const:
                s *= t.const
        return nonconst[0].scale(s) if nonconst else _Lin({}, s)
    # "/": left associative, every divisor a non-zero constant
    acc = args[0]
    for d in args[1:]:
        if not d.is_const:
            raise PropertyError(f"{_where(e)}division by a non-constant term in {_show(e)}")
        if d.const == 0:
            raise PropertyError(f"{_where(e)}division by zero in {_show(e)}")
        acc = acc.scale(1 / d.const)
    return acc


def _size_check(disjuncts: int, atoms: int) -> None:
    if disjuncts > MAX_DISJUNCTS:
        raise PropertyError(f"formula too large in disjunctive normal form ({disjuncts:,} disjuncts; "
                            f"at most {MAX_DISJUNCTS:,})")
    if atoms > MAX_ATOMS:
        raise PropertyError(f"formula too large in disjunctive normal form ({atoms:,} atoms; at most {MAX_ATOMS:,})")


def _conjoin(subs: list[list[list]]) -> list[list]:
    dnf: list[list] = [[]]
    for sub in subs:
        n1, n2 = len(dnf), len(sub)
        _size_check(n1 * n2, n2 * sum(map(len, dnf)) + n1 * sum(map(len, sub)))
        dnf = [c1 + c2 for c1 in dnf for c2 in sub]
    return dnf


def _disjoin(subs: list[list[list]]) -> list[list]:
    out: list[list] = []
    for sub in subs:
        out.extend(sub)
    _size_check(len(out), sum(map(len, out)))
    return out


def _declare(r: _Reader, e: list, line: int) -> None:
    if len(e) != 3 or not all(isinstance(t, str) for t in e[1:]):
        raise PropertyError(f"line {line}: malformed declaration {_show(e)} (expected (declare-const X_i Real))")
    name, sort = e[1], e[2]
    m = _NAME.fullmatch(name)
    if not m:
        raise PropertyError(f"line {line}: {name[:40]!r} is not a VNN-LIB variable name (X_i or Y_j, the index "
                            "in canonical decimal form)")
    if sort != "Real":
        raise PropertyError(f"line {line}: {name} is declared with sort {sort[:40]!r}; VNN-LIB variables are Real")
    if name in r.decl:
        raise PropertyError(f"line {line}: {name} is declared twice")
    r.decl[name] = (m.group(1), int(m.group(2)))


def _count(decl: dict, kind: str) -> int:
    idx = sorted(i for k, i in decl.values() if k == kind)
    for want, got in enumerate(idx):
        if want != got:
            raise PropertyError(f"{kind}_{want} is not declared but {kind}_{got} is: the {kind} variables must be "
                                f"{kind}_0 .. {kind}_{len(idx) - 1} without gaps")
    return len(idx)


def read_vnnlib_formula(text: str) -> tuple[list[list[tuple[Any, bool]]], int, int]:
    """Read VNN-LIB text: the conjunction of its asserts in disjunctive normal form.

    Parameters
    ----------
    text : the VNN-LIB text

    Returns
    -------
    (dnf, n_inputs, n_outputs)
        ``dnf`` is a list of disjuncts, each a list of atoms ``(lin, strict)`` meaning
        ``lin < 0`` (strict) or ``lin <= 0``, where ``lin.coef`` maps ``("X", i)`` /
        ``("Y", j)`` to exact coefficients and ``lin.const`` is the exact constant; the
        counts are those of the declared ``X_i`` and ``Y_j`` (both at least 1).

    Raises
    ------
    PropertyError, NumberError
        when the text breaks a rule (see :mod:`exactrelu.domain.vnnlib`).

    Examples
    --------
    >>> read_vnnlib_formula("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= Y_0 X_0))")[1:]
    (1, 1)
    """
    r = _Reader()
    dnf: list[list] = [[]]
    for line, e in _sexprs(text):
        if not e or not isinstance(e[0], str):
            raise PropertyError(f"line {line}: unexpected top-level item {_show(e)}")
        cmd = e[0]
        if cmd == "declare-const":
            _declare(r, e, line)
        elif cmd == "assert":
            if len(e) != 2:
                raise PropertyError(f"line {line}: assert takes one formula: {_show(e)}")
            dnf = _conjoin([dnf, r.formula(e[1])])
        elif cmd in _IGNORED:
            continue
        else:
            raise PropertyError(f"line {line}: unsupported command {cmd[:40]!r}")
    nx, ny = _count(r.decl, "X"), _count(r.decl, "Y")
    if nx == 0 or ny == 0:
        raise PropertyError("a VNN-LIB property needs X_ and Y_ variables (none declared)" if not r.decl else
                            f"a VNN-LIB property needs X_ and Y_ variables (no {'X' if nx == 0 else 'Y'}_ declared)")
    return dnf, nx, ny
