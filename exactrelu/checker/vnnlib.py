"""The checker's own reader of VNN-LIB property files (standard library only).

Written apart from exactrelu's parser (``exactrelu/domain/vnnlib.py``) and sharing no code with
it, so that a misreading has to happen twice, independently, to pass pinning
(``proofs/rules/pinning.md``). It reads the same subset by the same rules:

* characters: whitespace is space, tab, CR, LF; ``;`` comments to the end of the line;
  ``"..."`` strings (``""`` is a quote) only inside ``set-info``/``set-option``; ``|...|``
  refused; any other character outside comments and strings must be printable ASCII;
* commands: ``declare-const``, ``assert``; ``set-logic``, ``set-info``, ``set-option``,
  ``check-sat``, ``get-model``, ``exit`` ignored; anything else refused;
* names: exactly ``X_0 .. X_{n-1}``, ``Y_0 .. Y_{m-1}`` (``n, m >= 1``), canonical decimal
  index, each declared once with sort ``Real`` before its first use;
* numbers: optional sign, ASCII digits with an optional point (a digit on at least one
  side), optional exponent ``e``/``E`` with optional sign and digits; exact; at most
  1,000,000 characters, exponent at most 100,000 in absolute value;
* terms: ``+``, ``-`` (one argument: negation), ``*`` (at most one non-constant factor),
  ``/`` (two or more arguments, constant non-zero divisors), each with arguments;
* formulas: ``and``/``or`` with at least one argument, chained ``<= >= < > =`` with at
  least two; at most 100,000 disjuncts and 10,000,000 atoms in disjunctive normal form.

It does not build an expression tree: one left-to-right pass keeps a stack of open
parentheses, and each ``)`` turns its frame into a value at once (a linear term, a formula
in disjunctive normal form, or an executed command).

The result is the formula's disjunctive normal form over the declared variables: a list
of disjuncts, each a list of atoms ``(a, c, b, strict)`` meaning ``a.x + c.y <= b`` (``<``
if strict) with ``a`` over all ``n`` inputs. Nothing is simplified here; the comparable
normal form is :func:`exactrelu.checker.pinning.canonical_property`.

Examples
--------
>>> p = read_vnnlib_text("(declare-const X_0 Real) (declare-const Y_0 Real)"
...                      "(assert (<= -1 X_0 1)) (assert (> Y_0 (/ 1 3)))")
>>> p.n_inputs, p.n_outputs, len(p.disjuncts)
(1, 1, 1)
>>> p.disjuncts[0][2]
((Fraction(0, 1),), (Fraction(-1, 1),), Fraction(-1, 3), True)
>>> read_vnnlib_text("(declare-const X_00 Real)")
Traceback (most recent call last):
...
exactrelu.checker.vnnlib.PinInputError: line 1: 'X_00' is not a variable name X_i / Y_j (canonical index, no leading zeros)
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .checker import CertificateMalformed, parse_int

__all__ = ["PinInputError", "VnnlibProperty", "read_vnnlib_text", "read_vnnlib_file", "read_literal",
           "LITERAL_CHARS", "LITERAL_EXPONENT", "DNF_DISJUNCTS", "DNF_ATOMS"]

LITERAL_CHARS = 1_000_000
LITERAL_EXPONENT = 100_000
DNF_DISJUNCTS = 100_000
DNF_ATOMS = 10_000_000

_SPACE = re.compile(r"[ \t\r\n]+")
_RUN = re.compile(r'[^ \t\r\n();"|]+')
_COMMENT = re.compile(r";[^\r\n]*")
_SKIPPED_COMMANDS = frozenset(("set-logic", "set-info", "set-option", "check-sat", "get-model", "exit"))
_RELATIONS = frozenset(("<=", ">=", "<", ">", "="))
_ARITHMETIC = frozenset(("+", "-", "*", "/"))
_CONST = None  # the key of a term's constant


class PinInputError(CertificateMalformed):
    """A file or argument given to pin a certificate (``--vnnlib``, ``--box``,
    ``--domain``) is unusable (exit code 2); the message names the input itself."""

    what = ""


@dataclass(frozen=True)
class VnnlibProperty:
    """A VNN-LIB file as read: ``disjuncts`` in disjunctive normal form (see the module)."""

    n_inputs: int
    n_outputs: int
    disjuncts: list


# ----------------------------------------------------------------------------- numbers
def _ascii_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def read_literal(tok: str, where: str = "") -> Fraction | None:
    """The exact value of a decimal literal, or None if ``tok`` is not written as one.

    >>> read_literal("-.5e1"), read_literal("1."), read_literal("1/2"), read_literal("#x1")
    (Fraction(-5, 1), Fraction(1, 1), None, None)
    """
    body = tok[1:] if tok[:1] in ("+", "-") else tok
    mant, exp = body, None
    for k, ch in enumerate(body):
        if ch == "e" or ch == "E":
            mant, exp = body[:k], body[k + 1:]
            break
    whole, dot, frac = mant.partition(".")
    if not (whole or frac) or (whole and not _ascii_digits(whole)) or (frac and not _ascii_digits(frac)):
        return None
    if exp is not None:
        e_digits = exp[1:] if exp[:1] in ("+", "-") else exp
        if not e_digits or not _ascii_digits(e_digits):
            return None
    if len(tok) > LITERAL_CHARS:
        raise PinInputError(f"{where}a number literal of {len(tok)} characters (the limit is {LITERAL_CHARS})")
    e = 0
    if exp is not None:
        significant = e_digits.lstrip("0")
        if len(significant) > 6 or int(significant or "0") > LITERAL_EXPONENT:
            raise PinInputError(f"{where}the exponent of {tok[:30]!r} is beyond +-{LITERAL_EXPONENT}")
        e = -int(e_digits) if exp[:1] == "-" else int(e_digits)
    value = parse_int((whole + frac) or "0")
    if tok[:1] == "-":
        value = -value
    e -= len(frac)
    return Fraction(value * 10 ** e) if e >= 0 else Fraction(value, 10 ** -e)


# ----------------------------------------------------------------------------- terms
def _negated(t: dict) -> dict:
    return {k: -v for k, v in t.items()}


def _sum(ts: list) -> dict:
    out: dict = {_CONST: Fraction(0)}
    for t in ts:
        for k, v in t.items():
            out[k] = out.get(k, 0) + v
    return out


def _is_constant(t: dict) -> bool:
    return all(v == 0 for k, v in t.items() if k is not _CONST)


def _scaled(t: dict, s: Fraction) -> dict:
    return {k: v * s for k, v in t.items()}


class _Frame:
    """One open parenthesis: its role, head token, arguments so far, starting line."""

    __slots__ = ("role", "head", "args", "line")

    def __init__(self, role: str, line: int) -> None:
        self.role, self.head, self.args, self.line = role, None, [], line


class _Reader:
    def __init__(self) -> None:
        self.declared: dict[str, tuple[str, int]] = {}
        self.dnf: list = [[]]  # the conjunction of the asserts so far (true)
        self.atoms = 0

    # -- limits
    @staticmethod
    def _limit(disjuncts: int, atoms: int, line: int) -> None:
        if disjuncts > DNF_DISJUNCTS or atoms > DNF_ATOMS:
            raise PinInputError(f"line {line}: the formula has more than {DNF_DISJUNCTS} disjuncts or "
                                f"{DNF_ATOMS} atoms in disjunctive normal form")

    def _and(self, parts: list, line: int) -> tuple:
        """Conjunction of DNFs ``(disjuncts, atom count)``."""
        acc, count = [[]], 0
        for dis, cnt in parts:
            total = count * len(dis) + cnt * len(acc)  # every atom of acc once per disjunct of dis, and back
            self._limit(len(acc) * len(dis), total, line)
            acc = [left + right for left in acc for right in dis]
            count = total
        return acc, count

    def _or(self, parts: list, line: int) -> tuple:
        acc: list = []
        count = 0
        for dis, cnt in parts:
            acc.extend(dis)
            count += cnt
        self._limit(len(acc), count, line)
        return acc, count

    # -- leaves
    def leaf(self, tok: str, line: int) -> dict:
        if tok in self.declared:
            return {tok: Fraction(1), _CONST: Fraction(0)}
        value = read_literal(tok, f"line {line}: ")
        if value is not None:
            return {_CONST: value}
        if tok[:2] in ("X_", "Y_", "x_", "y_"):
            raise PinInputError(f"line {line}: {tok[:40]!r} is used but not declared (before this use)")
        raise PinInputError(f"line {line}: {tok[:40]!r} is neither a declared variable nor a decimal number")

    # -- frames
    def child_role(self, parent: _Frame | None, line: int) -> str:
        if parent is None:
            return "command"
        if parent.head is None:
            raise PinInputError(f"line {line}: '(' where an operator or command name is expected")
        role = parent.role
        if role == "assert":
            return "formula"
        if role == "formula":
            return "formula" if parent.head in ("and", "or") else "term"
        if role in ("term", "skip"):
            return role
        raise PinInputError(f"line {line}: {parent.head} takes no parenthesised argument here")

    def head(self, f: _Frame, tok: str, line: int) -> None:
        role = f.role
        if role == "command":
            if tok == "declare-const":
                f.role = "declare"
            elif tok == "assert":
                f.role = "assert"
            elif tok in _SKIPPED_COMMANDS:
                f.role = "skip"
            else:
                raise PinInputError(f"line {line}: command {tok[:40]!r} is not part of the supported VNN-LIB subset")
        elif role == "formula":
            if tok not in ("and", "or") and tok not in _RELATIONS:
                raise PinInputError(f"line {line}: {tok[:40]!r} is not a supported formula operator")
        elif role == "term":
            if tok not in _ARITHMETIC:
                raise PinInputError(f"line {line}: {tok[:40]!r} is not a supported term operator")
        f.head = tok

    def argument(self, f: _Frame, tok: str, line: int) -> None:
        role = f.role
        if role == "declare":
            f.args.append(tok)
        elif role == "term" or (role == "formula" and f.head in _RELATIONS):
            f.args.append(self.leaf(tok, line))
        elif role != "skip":
            raise PinInputError(f"line {line}: {tok[:40]!r} where a formula is expected")

    def close(self, f: _Frame) -> Any:
        """Reduce a frame to its value (or execute its command)."""
        line, op, args = f.line, f.head, f.args
        if op is None:
            raise PinInputError(f"line {line}: empty parentheses ()")
        role = f.role
        if role == "skip":
            return None
        if role == "declare":
            self.declare(args, line)
            return None
        if role == "assert":
            if len(args) != 1:
                raise PinInputError(f"line {line}: assert needs exactly one formula, got {len(args)}")
            self.dnf, self.atoms = self._and([(self.dnf, self.atoms), args[0]], line)
            return None
        if role == "term":
            return self.term(op, args, line)
        if op in _RELATIONS:
            return self.relation(op, args, line)
        if not args:
            raise PinInputError(f"line {line}: ({op}) without arguments")
        return self._and(args, line) if op == "and" else self._or(args, line)

    def declare(self, args: list, line: int) -> None:
        if len(args) != 2:
            raise PinInputError(f"line {line}: declare-const takes a name and a sort")
        name, sort = args
        index = name[2:]
        if not (name[:2] in ("X_", "Y_") and _ascii_digits(index) and (index == "0" or index[0] != "0")):
            raise PinInputError(f"line {line}: {name[:40]!r} is not a variable name X_i / Y_j (canonical index, "
                                "no leading zeros)")
        if sort != "Real":
            raise PinInputError(f"line {line}: {name} has sort {sort[:40]!r}, not Real")
        if name in self.declared:
            raise PinInputError(f"line {line}: {name} is declared a second time")
        self.declared[name] = (name[0], len(self.declared))

    def term(self, op: str, args: list, line: int) -> dict:
        if not args or (op == "/" and len(args) < 2):
            raise PinInputError(f"line {line}: ({op} ...) has too few arguments")
        if op == "+":
            return _sum(args)
        if op == "-":
            return _negated(args[0]) if len(args) == 1 else _sum([args[0]] + [_negated(t) for t in args[1:]])
        if op == "*":
            variable = [t for t in args if not _is_constant(t)]
            if len(variable) > 1:
                raise PinInputError(f"line {line}: a product of two non-constant terms is not linear")
            factor = Fraction(1)
            for t in args:
                if _is_constant(t):
                    factor *= t.get(_CONST, 0)
            return _scaled(variable[0], factor) if variable else {_CONST: factor}
        out = args[0]
        for t in args[1:]:
            if not _is_constant(t):
                raise PinInputError(f"line {line}: division by a term with variables")
            d = t.get(_CONST, 0)
            if d == 0:
                raise PinInputError(f"line {line}: division by zero")
            out = _scaled(out, 1 / d)
        return out

    def relation(self, op: str, args: list, line: int) -> tuple:
        if len(args) < 2:
            raise PinInputError(f"line {line}: ({op} ...) needs two or more terms")
        conj = []
        for left, right in zip(args, args[1:]):
            le = _sum([left, _negated(right)])  # left - right
            ge = _negated(le)  # right - left
            if op == "<=" or op == "<":
                conj.append((le, op == "<"))
            elif op == ">=" or op == ">":
                conj.append((ge, op == ">"))
            else:
                conj.append((le, False))
                conj.append((ge, False))
        return [conj], len(conj)


def _tokens(text: str):
    """``(kind, text, line)`` with kind ``(``, ``)``, ``sym`` or ``str``."""
    i, end, line = 0, len(text), 1
    while i < end:
        ch = text[i]
        if ch in " \t\r\n":
            m = _SPACE.match(text, i)
            line += m.group().count("\n")
            i = m.end()
        elif ch == ";":
            i = _COMMENT.match(text, i).end()
        elif ch == "(" or ch == ")":
            yield ch, ch, line
            i += 1
        elif ch == '"':
            j = i + 1
            while True:
                j = text.find('"', j)
                if j < 0:
                    raise PinInputError(f"line {line}: a string literal is not closed")
                if text[j + 1:j + 2] == '"':
                    j += 2
                    continue
                break
            yield "str", text[i:j + 1], line
            line += text.count("\n", i, j)
            i = j + 1
        elif ch == "|":
            raise PinInputError(f"line {line}: quoted symbols |...| are not supported")
        else:
            m = _RUN.match(text, i)
            tok = m.group()
            if not (tok.isascii() and tok.isprintable()):
                bad = next(c for c in tok if not (c.isascii() and c.isprintable()))
                raise PinInputError(f"line {line}: character U+{ord(bad):04X} is not allowed outside comments")
            yield "sym", tok, line
            i = m.end()


def read_vnnlib_text(text: str) -> VnnlibProperty:
    """Read VNN-LIB text (see the module docstring); raises :class:`PinInputError`."""
    r = _Reader()
    stack: list[_Frame] = []
    for kind, tok, line in _tokens(text):
        top = stack[-1] if stack else None
        if kind == "(":
            stack.append(_Frame(r.child_role(top, line), line))
        elif kind == ")":
            if top is None:
                raise PinInputError(f"line {line}: ')' without a matching '('")
            stack.pop()
            value = r.close(top)
            if stack and value is not None:
                stack[-1].args.append(value)
        elif top is None:
            raise PinInputError(f"line {line}: {tok[:40]!r} outside parentheses")
        elif kind == "str":
            if top.role != "skip" or top.head is None:
                raise PinInputError(f"line {line}: a string literal is allowed only in set-info / set-option")
        elif top.head is None:
            r.head(top, tok, line)
        else:
            r.argument(top, tok, line)
    if stack:
        raise PinInputError(f"line {stack[-1].line}: '(' is never closed (truncated file?)")
    return _result(r)


def _result(r: _Reader) -> VnnlibProperty:
    count = {"X": 0, "Y": 0}
    for name in r.declared:
        count[name[0]] += 1
    for kind, n in count.items():
        if n == 0:
            raise PinInputError(f"no {kind}_ variable is declared")
        for i in range(n):
            if f"{kind}_{i}" not in r.declared:
                raise PinInputError(f"{kind}_{i} is missing: the {kind} variables must be {kind}_0 .. {kind}_{n - 1}")
    n, m = count["X"], count["Y"]
    zero = Fraction(0)
    disjuncts = []
    for conj in r.dnf:
        atoms = []
        for t, strict in conj:  # t(x, y) <= 0, i.e.  a.x + c.y <= -const
            a = tuple(t.get(f"X_{i}", zero) for i in range(n))
            c = tuple(t.get(f"Y_{j}", zero) for j in range(m))
            atoms.append((a, c, -t.get(_CONST, zero), strict))
        disjuncts.append(atoms)
    return VnnlibProperty(n, m, disjuncts)


def read_vnnlib_file(path: "str | Path") -> VnnlibProperty:
    """Read a ``.vnnlib`` file (gzip recognised by content)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PinInputError(f"cannot read {str(p)[:200]}: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise PinInputError(f"{p.name}: broken gzip data ({exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PinInputError(f"{p.name}: not UTF-8 text") from None
    try:
        return read_vnnlib_text(text)
    except PinInputError as exc:
        raise PinInputError(f"{p.name}: {exc.message}") from None
