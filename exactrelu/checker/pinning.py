"""Pinning: is an accepted certificate about the property / domain the user names?
(standard library only; ``proofs/rules/pinning.md``).

A valid certificate proves a claim about *its own* property or domain. Pinning compares
that with what the user gives, read by the checker itself: a VNN-LIB file
(:mod:`.vnnlib`), a ``--box`` string or a ``--domain`` JSON file (readers below).

Both sides are brought to a **canonical form**, built only from steps that keep the set
of counterexamples (resp. the set of points) the same, and compared for equality:

* a property becomes, per disjunct, the set of its atoms over *all* inputs (the
  certificate's fixed inputs become the atoms ``x_i <= v``, ``-x_i <= -v``; its input
  region's rows and its constraints are atoms), and then :func:`canonical_disjunct`;
  the property is ``(n, m, sorted set of canonical disjuncts)``;
* a domain becomes the sorted set of its rows scaled to primitive integer vectors
  (true rows ``0 <= b`` dropped).

Equal canonical forms mean the same set, so the certificate's claim is a claim about the
user's property or domain. (Different forms may still be the same set: pinning then
fails safe, as a mismatch.)

Examples
--------
>>> from exactrelu.checker.vnnlib import read_vnnlib_text
>>> p = read_vnnlib_text("(declare-const X_0 Real) (declare-const Y_0 Real)"
...                      "(assert (<= 0 X_0 1)) (assert (>= Y_0 0.5))")
>>> canonical_property(p.n_inputs, p.n_outputs, p.disjuncts)
(1, 1, (((-1, 0, 0, False), (0, -2, -1, False), (1, 0, 1, False)),))
>>> canonical_rows(parse_box("0:1", 1)) == canonical_rows([((Fraction(2),), Fraction(2)), ((Fraction(-1),), 0)])
True
>>> canonical_rows(parse_box("0:1", 1))
(((-1, 0), (1, 1)), False)
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from .checker import CertificateMalformed, is_stream, load_json, no_duplicate_keys, number_reader, parse_int
from .stream import open_text_lines
from .vnnlib import LITERAL_CHARS, PinInputError, read_literal, read_vnnlib_file

__all__ = ["canonical_disjunct", "canonical_property", "canonical_rows", "certificate_property",
           "parse_box", "read_domain_file", "certificate_header", "PinRequest"]

Atom = tuple  # (a, c, b, strict): a.x + c.y <= b (< b if strict), Fractions


# ----------------------------------------------------------------------------- canonical forms
def _primitive(values: list[Fraction]) -> tuple[int, ...]:
    """The positive multiple of ``values`` that is a coprime integer vector (not all zero)."""
    L = math.lcm(*[v.denominator for v in values])
    ints = [int(v * L) for v in values]
    g = math.gcd(*ints)
    return tuple(i // g for i in ints)


def canonical_disjunct(n: int, atoms: list[Atom]) -> tuple | None:
    """A canonical form of the conjunction ``atoms`` (``a`` over all ``n`` inputs), or None
    if it has no point. Each step keeps the conjunction's set of points ``(x, y)``:

    1. inputs *pinned* by non-strict one-input atoms (largest lower bound = smallest upper
       bound ``v``) are substituted by ``v`` in every atom (true on the set);
    2. atoms without variables are decided: true ones are dropped, a false one empties the
       set (None);
    3. the pins come back as the two atoms ``x_i <= v`` and ``-x_i <= -v``;
    4. every atom is scaled by a positive factor to a coprime integer vector ``(a, c, b)``;
    5. a non-strict atom whose strict twin is present is dropped (it is implied);
    6. the result is the sorted set of atoms ``(*a, *c, b, strict)``.

    >>> F = Fraction
    >>> canonical_disjunct(1, [((F(1),), (F(0),), F(1, 2), False), ((F(-2),), (F(0),), F(-1), False),
    ...                        ((F(3),), (F(1),), F(2), True)])
    ((-2, 0, -1, False), (0, 2, 1, True), (2, 0, 1, False))
    """
    lo: dict[int, Fraction] = {}
    hi: dict[int, Fraction] = {}
    for a, c, b, strict in atoms:
        if strict or any(c):
            continue
        support = [i for i, v in enumerate(a) if v]
        if len(support) == 1:
            i = support[0]
            bound = b / a[i]
            if a[i] > 0:
                hi[i] = bound if i not in hi else min(hi[i], bound)
            else:
                lo[i] = bound if i not in lo else max(lo[i], bound)
    pins = {i: v for i, v in hi.items() if lo.get(i) == v}
    out = set()
    for a, c, b, strict in atoms:
        if pins:
            b = b - sum(a[i] * v for i, v in pins.items())
            a = tuple(Fraction(0) if i in pins else v for i, v in enumerate(a))
        if not any(a) and not any(c):
            if b > 0 or (b == 0 and not strict):
                continue
            return None
        out.add(_primitive(list(a) + list(c) + [b]) + (bool(strict),))
    m = len(atoms[0][1]) if atoms else 0
    for i, v in pins.items():
        e = [Fraction(0)] * (n + m)
        e[i] = Fraction(1)
        out.add(_primitive(e + [v]) + (False,))
        e[i] = Fraction(-1)
        out.add(_primitive(e + [-v]) + (False,))
    return tuple(sorted(t for t in out if t[-1] or t[:-1] + (True,) not in out))


def canonical_property(n: int, m: int, disjuncts: list[list[Atom]]) -> tuple:
    """``(n, m, sorted tuple of the canonical forms of the non-empty disjuncts)``."""
    forms = {canonical_disjunct(n, atoms) for atoms in disjuncts}
    forms.discard(None)
    return n, m, tuple(sorted(forms))


def canonical_rows(rows: list[tuple]) -> tuple:
    """Rows ``(a, b)`` meaning ``a.x <= b`` as ``(sorted set of their primitive integer
    vectors, whether a false row 0 <= b < 0 is present)``; true rows ``0 <= b`` are dropped."""
    out = set()
    false_row = False
    for a, b in rows:
        if not any(a):
            false_row = false_row or b < 0
            continue
        out.add(_primitive([Fraction(v) for v in a] + [Fraction(b)]))
    return tuple(sorted(out)), false_row


def _short(v: "int | Fraction") -> str:
    """A number for a message (huge ones summarised: no int/str conversion limit)."""
    q = Fraction(v)
    if max(abs(q.numerator).bit_length(), q.denominator.bit_length()) > 2000:
        return f"<a number of about {int(abs(q.numerator).bit_length() * 0.30103)} digits>"
    return str(q)


def describe_atom(t: tuple, n: int) -> str:
    """``(*a, *c, b, strict)`` as text, e.g. ``x0 - 2*y1 <= 3``."""
    *coef, b, strict = t
    parts = []
    for k, v in enumerate(coef):
        if v:
            name = f"x{k}" if k < n else f"y{k - n}"
            parts.append(("-" if v < 0 else "+") + ("" if abs(v) == 1 else f"{_short(abs(v))}*") + name)
    lhs = " ".join(parts).lstrip("+") or "0"
    text = f"{lhs} {'<' if strict else '<='} {_short(b)}"
    return text if len(text) < 120 else text[:117] + "..."


# ----------------------------------------------------------------------------- certificates
def certificate_property(cert: dict, n: int, m: int) -> list[list[Atom]]:
    """The disjuncts of a (checked) certificate's ``property`` as atoms over all ``n`` inputs
    (fixed inputs as the two atoms ``x_i <= v``, ``-x_i <= -v``).

    >>> prop = {"fixed_inputs": {"1": "1/2"}, "inputs": [{"A": [["1"]], "b": ["1"]}],
    ...         "disjuncts": [{"input": 0, "constraints": [{"a": ["0"], "c": ["-1"], "b": "0", "strict": True}]}]}
    >>> [(a, c, str(b), s) for a, c, b, s in certificate_property({"property": prop}, 2, 1)[0]][2:]
    [((Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1),), '1', False), ((Fraction(0, 1), Fraction(0, 1)), (Fraction(-1, 1),), '0', True)]
    """
    num = number_reader()

    def q(s: Any) -> Fraction:
        return Fraction(*num(s))

    prop = cert["property"]
    fixed = {int(k): q(v) for k, v in prop["fixed_inputs"].items()}
    free = [i for i in range(n) if i not in fixed]
    zero = Fraction(0)

    def full(a: list) -> tuple:
        if len(a) != len(free):
            raise CertificateShapeError(f"a row has {len(a)} entries, the property has {len(free)} free inputs")
        x = [zero] * n
        for i, v in zip(free, a):
            x[i] = q(v)
        return tuple(x)

    pins = []
    for i, v in fixed.items():
        e = [zero] * n
        e[i] = Fraction(1)
        pins.append((tuple(e), (zero,) * m, v, False))
        e[i] = Fraction(-1)
        pins.append((tuple(e), (zero,) * m, -v, False))
    out = []
    for dj in prop["disjuncts"]:
        reg = prop["inputs"][dj["input"]]
        atoms = list(pins)
        if len(reg["A"]) != len(reg["b"]):
            raise CertificateShapeError("an input region has different numbers of rows in 'A' and 'b'")
        atoms += [(full(row), (zero,) * m, q(bi), False) for row, bi in zip(reg["A"], reg["b"])]
        for con in dj["constraints"]:
            c = tuple(q(v) for v in con["c"])
            if len(c) != m:
                raise CertificateShapeError(f"a constraint has {len(c)} output coefficients, the network {m} outputs")
            atoms.append((full(con["a"]), c, q(con["b"]), con["strict"] is True))
        out.append(atoms)
    return out


class CertificateShapeError(PinInputError):
    """The certificate's property has a shape pinning cannot read (exit code 2)."""


def certificate_header(path: Path) -> tuple[dict, Path]:
    """The certificate object (for a stream: its header line) and its directory."""
    if is_stream(path):
        lines = open_text_lines(path)
        try:
            return json.loads(next(lines), object_pairs_hook=no_duplicate_keys), path.parent
        finally:
            close = getattr(lines, "close", None)
            if close is not None:
                close()
    return load_json(path), path.parent


def network_object(cert: dict, base_dir: Path) -> dict:
    """The certificate's network (embedded, or the ``network_ref`` file: already hash-checked)."""
    if "network" in cert:
        return cert["network"]
    return load_json(base_dir / cert["network_ref"]["path"])


# ----------------------------------------------------------------------------- domains
def _integer(text: str) -> int | None:
    """``[+-]?digits`` (ASCII) as an int, else None."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not (body.isascii() and body.isdigit()):
        return None
    value = parse_int(body)
    return -value if text[:1] == "-" else value


def _number(text: str, where: str) -> Fraction:
    """A box or domain number: ``p/q`` (integers) or a decimal, exact, within the number
    limits; spaces around the number and around ``/`` are allowed."""
    s = text.strip(" ")
    if len(s) > LITERAL_CHARS:
        raise PinInputError(f"{where}: a number of {len(s)} characters (the limit is {LITERAL_CHARS})")
    top, slash, bottom = s.partition("/")
    if slash:
        p, q = _integer(top.strip(" ")), _integer(bottom.strip(" "))
        if p is None or q is None:
            raise PinInputError(f"{where}: malformed number {s[:40]!r} (p/q needs integers p and q)")
        if q == 0:
            raise PinInputError(f"{where}: zero denominator in {s[:40]!r}")
        return Fraction(p, q)
    value = read_literal(s, f"{where}: ")
    if value is None:
        raise PinInputError(f"{where}: malformed number {s[:40]!r} (expected p/q or a decimal)")
    return value


def parse_box(spec: str, n: int) -> list[tuple]:
    """``"lo:hi"`` (every input) or ``"lo:hi,lo:hi,..."`` (one per input) as rows
    ``(a, b)``: ``x_i <= hi`` and ``-x_i <= -lo``. Each ``lo`` must be below its ``hi``.

    >>> parse_box("-1:1/2", 1)
    [((Fraction(1, 1),), Fraction(1, 2)), ((Fraction(-1, 1),), Fraction(1, 1))]
    >>> parse_box("0:1,2:2", 2)
    Traceback (most recent call last):
    ...
    exactrelu.checker.vnnlib.PinInputError: --box: the interval of input 1 is empty or a point (2 >= 2)
    """
    bounds = _intervals(spec)
    if len(bounds) == 1:
        bounds = bounds * n
    if len(bounds) != n:
        raise PinInputError(f"--box: {len(bounds)} intervals for {n} inputs")
    rows = []
    for i, (lo, hi) in enumerate(bounds):
        e = [Fraction(0)] * n
        e[i] = Fraction(1)
        rows.append((tuple(e), hi))
        e[i] = Fraction(-1)
        rows.append((tuple(e), -lo))
    return rows


def _intervals(spec: str) -> list[tuple[Fraction, Fraction]]:
    parts = spec.split(",")
    bounds = []
    for part in parts:
        lo, colon, hi = part.partition(":")
        if not colon or ":" in hi:
            raise PinInputError(f"--box: malformed interval {part[:40]!r} (expected lo:hi)")
        bounds.append((_number(lo, "--box"), _number(hi, "--box")))
    for i, (lo, hi) in enumerate(bounds):
        if not lo < hi:
            raise PinInputError(f"--box: the interval of input {i} is empty or a point ({_short(lo)} >= {_short(hi)})")
    return bounds


def read_domain_file(path: "str | Path") -> list[tuple]:
    """A JSON H-polytope ``{"A": [[...]], "b": [...]}`` (numbers: JSON integers or strings
    ``p/q`` / decimals; floats refused) as rows ``(a, b)``."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PinInputError(f"cannot read domain file {str(p)[:200]}: {exc.strerror or exc}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        d = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicate_keys)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError, RecursionError,
            CertificateMalformed) as exc:
        raise PinInputError(f"{p.name}: not a usable JSON domain file ({str(exc)[:100]})") from None
    if not isinstance(d, dict) or not isinstance(d.get("A"), list) or not isinstance(d.get("b"), list):
        raise PinInputError(f"{p.name}: a domain file is an object with lists 'A' and 'b'")
    A, b = d["A"], d["b"]
    if not A or len(A) != len(b) or not all(isinstance(row, list) for row in A):
        raise PinInputError(f"{p.name}: 'A' must be a non-empty list of rows, one 'b' entry per row")
    width = len(A[0])
    if width == 0 or any(len(row) != width for row in A):
        raise PinInputError(f"{p.name}: the rows of 'A' must be non-empty and of one length")

    def value(v: Any) -> Fraction:
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise PinInputError(f"{p.name}: {type(v).__name__} {str(v)[:20]} is not a number here "
                                "(JSON integers or 'p/q' / decimal strings; floats are refused)")
        return Fraction(v) if isinstance(v, int) else _number(v, p.name)

    return [(tuple(value(v) for v in row), value(bi)) for row, bi in zip(A, b)]


# ----------------------------------------------------------------------------- the comparison
def _read(reader: Callable, arg: str, what: str) -> Any:
    """``reader(arg)``; an unusable input's message names ``what``."""
    try:
        return reader(arg)
    except PinInputError as exc:
        text = exc.message
        for prefix in (f"{Path(arg).name}: ", "--box: "):
            if text.startswith(prefix):
                text = text[len(prefix):]
        raise PinInputError(f"{what}: {text}") from None


class PinRequest:
    """What to pin (read first, so an unusable input fails before any checking):
    ``vnnlib`` (a path), ``box`` (a string), ``domain`` (a path) and ``extra``: callables
    ``(certificate object, directory) -> problem or None`` (the product's ``--model``)."""

    def __init__(self, vnnlib: str | None = None, box: str | None = None, domain: str | None = None,
                 extra: list | None = None) -> None:
        if box is not None and domain is not None:
            raise PinInputError("--box and --domain: give one of them, not both")
        self.vnnlib_path = vnnlib
        self.prop = _read(read_vnnlib_file, vnnlib, f"--vnnlib file {vnnlib}") if vnnlib is not None else None
        self.box = box
        self.intervals = _read(_intervals, box, "--box") if box is not None else None  # n: from the certificate
        self.domain_path = domain
        self.domain_rows = _read(read_domain_file, domain, f"--domain file {domain}") if domain is not None else None
        self.extra: list[tuple[str, Callable]] = list(extra or [])

    @property
    def empty(self) -> bool:
        return self.prop is None and self.box is None and self.domain_rows is None and not self.extra

    def what(self) -> list[str]:
        out = [name for name, _ in self.extra]
        if self.box is not None or self.domain_rows is not None:
            out.append("domain")
        if self.prop is not None:
            out.append("property")
        return out

    @staticmethod
    def header(path: Path) -> dict:
        """The certificate object to compare for a stream certificate (its header line)."""
        return certificate_header(path)[0]

    def mismatch(self, cert: dict, base_dir: Path) -> str | None:
        """The first difference between the (valid) certificate and the request, or None."""
        for _, check in self.extra:
            problem = check(cert, base_dir)
            if problem:
                return problem
        claim = cert.get("claim")
        if self.box is not None or self.domain_rows is not None:
            problem = self._domain(cert, base_dir, claim)
            if problem:
                return problem
        if self.prop is not None:
            return self._property(cert, base_dir, claim)
        return None

    def _domain(self, cert: dict, base_dir: Path, claim: Any) -> str | None:
        if claim in ("property", "counterexample"):
            return "property certificates carry their input regions: pin them with --vnnlib"
        if not isinstance(cert.get("domain"), dict):
            return f"a {claim} certificate has no domain to pin"
        num = number_reader()
        dom = cert["domain"]
        got = [(tuple(Fraction(*num(v)) for v in row), Fraction(*num(bi))) for row, bi in zip(dom["A"], dom["b"])]
        n = network_object(cert, base_dir)["inputs"]
        if self.intervals is not None and len(self.intervals) not in (1, n):
            return f"the --box has {len(self.intervals)} intervals, the certificate's network has {n} inputs"
        want = parse_box(self.box, n) if self.box is not None else self.domain_rows
        if len(want[0][0]) != n:
            return f"the domain given has dimension {len(want[0][0])}, the certificate's network {n} inputs"
        if canonical_rows(got) != canonical_rows(want):
            return f"the certificate's domain is not the one given ({'--box' if self.box else self.domain_path})"
        return None

    def _property(self, cert: dict, base_dir: Path, claim: Any) -> str | None:
        if claim not in ("property", "counterexample"):
            return "--vnnlib applies to property and counterexample certificates"
        net = network_object(cert, base_dir)
        n, m = net["inputs"], len(net["layers"][-1]["bias"])
        p = self.prop
        if (p.n_inputs, p.n_outputs) != (n, m):
            return (f"the property file declares {p.n_inputs} inputs and {p.n_outputs} outputs, the certificate's "
                    f"network has {n} and {m}")
        want = canonical_property(n, m, p.disjuncts)
        got = canonical_property(n, m, certificate_property(cert, n, m))
        if want == got:
            return None
        where = self.vnnlib_path
        extra = sorted(set(want[2]) - set(got[2]))
        if extra:
            return (f"the certificate's property is not {where}: a disjunct of the file is not in the certificate "
                    f"({'; '.join(describe_atom(t, n) for t in extra[0][:3])}{'; ...' if len(extra[0]) > 3 else ''})")
        extra = sorted(set(got[2]) - set(want[2]))
        return (f"the certificate's property is not {where}: the certificate has a disjunct the file does not "
                f"({'; '.join(describe_atom(t, n) for t in extra[0][:3])}{'; ...' if len(extra[0]) > 3 else ''})")
