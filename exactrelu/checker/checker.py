"""The exactrelu certificate checker's core: one file, standard library only.

It re-verifies a ``partition`` certificate (``proofs/certificate-format.md``) from the network alone, in exact
integer arithmetic, and runs alone when copied out (``python checker.py CERT.json[.gz] [--quiet] [--json]``);
``registry.py`` hands in the other claims, adjacency evidence and the stream form as tables (a module not loaded
is refused, naming it). One function per rule id, after its proof ``proofs/rules/<rule>.md``; a rejection raises
:class:`CertificateInvalid`, a non-certificate :class:`CertificateMalformed`. Every field is verified or refused
(:func:`fields`). Worked examples: ``tests/checker/test_core_examples.py``.

Numbers: a point ``(X_1, .., X_n, P)`` (ints, ``P > 0``) means ``X / P``; a form ``(v, d)`` (``v`` the ``n + 1``
coefficients of ``(x, 1)``, ``d > 0``) means ``v / d``; a cell row ``(v, d)`` stands for ``v/d . (x, 1) <= 0``, its
sign at a point that of ``sum(map(mul, v, point))``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import hashlib
import json
import math
import re
import struct
import sys
import time
import zlib
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from fractions import Fraction
from itertools import chain
from operator import mul
from os import PathLike
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["FORMAT", "VERSION", "RULES", "CLAIMS", "SCHEMA", "HEAD_FIELDS", "TREE_FIELDS", "MAX_BYTES",
           "MAX_NUMBER_CHARS", "MAX_EXPONENT", "STREAM_FORMAT", "EXIT_VALID", "EXIT_INVALID", "EXIT_UNUSABLE",
           "CheckerError", "CertificateMalformed", "CertificateInvalid", "NetworkFormatError", "CheckReport",
           "Context", "Leaf", "Network", "Layer", "invalid", "fmt_rational", "fields", "require", "as_int",
           "number_reader", "read_point", "read_vector", "no_duplicate_keys", "too_big", "read_bounded",
           "load_json", "load_certificate", "is_stream", "parse_int", "network_number", "canonical_sha256",
           "input_forms", "parse_network", "evaluate", "read_network", "domain_rows", "read_tree",
           "read_certificate_tree", "prepare", "farkas_residual", "vertex_basis_proves", "walk", "partition_leaves",
           "adjacency_evidence", "finish_partition", "check_partition", "check_certificate",
           "collector_paused", "main"]

FORMAT, VERSION, STREAM_FORMAT = "exactrelu-certificate", 1, "exactrelu-certificate-stream"
RULES = ("network-hash", "domain-witness", "tree-structure", "decision-order", "stable-farkas",
         "split-witness", "region-pattern", "region-map", "region-list")
MAX_BYTES = 4 << 30  # 4 GiB: a certificate or network file larger than this (after gunzip) is refused
EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2  # the verdicts' exit codes
Point = tuple  # (X_1, .., X_n, P): ints, P > 0
Form = tuple  # (v, d): v a tuple of n + 1 ints, d > 0


# ============================================================================ errors
class CheckerError(Exception):
    """Base class of everything the checker raises."""


class CertificateMalformed(CheckerError):
    """Not a usable certificate (exit 2); ``what`` prefixes the command line's message."""

    what = "certificate: "

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CertificateInvalid(CheckerError):
    """The certificate breaks rule ``rule`` (exit code 1); ``data`` is the offending data."""

    def __init__(self, rule: str, message: str, data: Any = None) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule, self.message, self.data = rule, message, data


def invalid(rule: str, message: str, **data: Any) -> CertificateInvalid:
    """The rejection by rule ``rule``; the keyword arguments are its data (None if none)."""
    return CertificateInvalid(rule, message, data or None)


def fmt_rational(num: int, den: int = 1) -> str:
    """A rational for a message (huge values are summarised, never converted in full)."""
    if max(abs(num).bit_length(), den.bit_length()) > 2000:
        return f"<rational of {abs(num).bit_length()}/{den.bit_length()} bits>"
    return str(num) if den == 1 else f"{num}/{den}"


# ============================================================================ schema
#: The fields of a certificate header and of a tree (the claims' certificate kinds extend them).
HEAD_FIELDS = ("format", "version", "claim", "network", "network_ref")
TREE_FIELDS = ("domain", "root_witness", "complete", "nodes", "regions", "adjacency")
#: The fields each kind of object of a ``partition`` certificate may carry (proofs/certificate-format.md,
#: "Fields"; ``registry.SCHEMA`` adds the modules' kinds): a field outside its kind's set is refused by
#: :func:`fields`, every field inside is read and verified by a rule (required ones where read).
SCHEMA: dict[str, frozenset] = {k: frozenset(v) for k, v in {
    "partition certificate": HEAD_FIELDS + TREE_FIELDS, "network_ref": ("path", "sha256"),
    "network": ("format", "version", "inputs", "layers", "name", "input_names", "output_names"),
    "network layer": ("activation", "bias", "inputs", "name"), "network layer input": ("source", "weight"),
    "domain": ("A", "b"), "node": ("id", "parent", "side", "decisions", "split", "open"),
    "split": ("unit", "pos", "neg", "witness_pos", "witness_neg"), "region": ("node", "pattern", "C", "d"),
}.items()}


def fields(obj: Any, kind: str, where: str, schema: "dict | None" = None) -> dict:
    """The schema check: ``obj`` is an object with only fields of ``kind`` in ``schema`` (default
    :data:`SCHEMA`); returns it, else raises :class:`CertificateMalformed`."""
    if not isinstance(obj, dict):
        raise CertificateMalformed(f"{where}: expected a JSON object")
    allowed = (SCHEMA if schema is None else schema)[kind]
    if obj.keys() <= allowed:
        return obj
    extra = min(str(k) for k in obj if k not in allowed)
    raise CertificateMalformed(f"unknown field {extra[:40]!r} at {where} (a {kind} has only: "
                               f"{', '.join(sorted(allowed))})")


# ============================================================================ reading
def no_duplicate_keys(pairs: list) -> dict:
    """The ``object_pairs_hook`` of every JSON read: a repeated key is refused."""
    d = dict(pairs)
    if len(d) != len(pairs):
        keys = [k for k, _ in pairs]
        dup = next(k for k in keys if keys.count(k) > 1)
        raise CertificateMalformed(f"duplicate key {dup[:40]!r} in a JSON object")
    return d


def too_big(path: Path, max_bytes: int) -> CertificateMalformed:
    """The refusal of a file of more than ``max_bytes`` bytes (after decompression)."""
    return CertificateMalformed(f"{path.name}: more than {max_bytes} bytes (after decompression); refused "
                                "(the checker's limit max_bytes)")


def read_bounded(fh: Any, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``fh``, in 1 MiB chunks (never one huge allocation)."""
    parts, total = [], 0
    while total <= max_bytes:
        chunk = fh.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def load_json(path: Path, max_bytes: int = MAX_BYTES) -> Any:
    """A JSON (or gzip JSON) file, read at most ``max_bytes`` far; duplicate keys and larger files are refused."""
    try:
        with open(path, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
            fh.seek(0)
            raw = b"" if gz else read_bounded(fh, max_bytes)
    except OSError as exc:
        raise CertificateMalformed(f"cannot read {str(path)[:200]}: {exc.strerror or exc}") from None
    if gz:
        try:
            with gzip.open(path, "rb") as g:
                raw = read_bounded(g, max_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            raise CertificateMalformed(f"{path.name}: broken gzip data ({exc})") from None
    if len(raw) > max_bytes:
        raise too_big(path, max_bytes)
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicate_keys)
    except UnicodeDecodeError:
        raise CertificateMalformed(f"{path.name}: not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise CertificateMalformed(f"{path.name}: malformed JSON ({str(exc)[:200]})") from None


def is_stream(path: Path) -> bool:
    """Whether a certificate file is in stream form (its first line is a stream header)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(2)
        with (gzip.open if raw == b"\x1f\x8b" else open)(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError, zlib.error):
        return False
    return STREAM_FORMAT.encode() in head.split(b"\n", 1)[0][:4096]


def load_certificate(cert: Any, base_dir: Any = None, max_bytes: int = MAX_BYTES) -> tuple[Any, Path]:
    """``(certificate object, directory that network_ref paths are relative to)``."""
    if isinstance(cert, (str, PathLike)):
        path = Path(cert)
        return load_json(path, max_bytes), Path(base_dir) if base_dir is not None else path.parent
    if isinstance(cert, dict):
        return cert, Path(base_dir) if base_dir is not None else Path.cwd()
    raise CertificateMalformed(f"expected a certificate dict or a path, got {type(cert).__name__}")


def require(d: Any, key: str, kind: type | tuple, where: str) -> Any:
    """``d[key]``, which must exist and be of ``kind`` (bool is never an int here)."""
    if not isinstance(d, dict):
        raise CertificateMalformed(f"{where}: expected a JSON object")
    if key not in d:
        raise CertificateMalformed(f"{where}: missing key {key!r}")
    v = d[key]
    if not isinstance(v, kind) or (isinstance(v, bool) and kind is int):
        name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise CertificateMalformed(f"{where}: {key!r} must be {name}, got {type(v).__name__}")
    return v


def as_int(v: Any, where: str) -> int:
    """``v``, which must be a JSON integer (not a boolean)."""
    if type(v) is not int:
        raise CertificateMalformed(f"{where}: expected an integer, got {type(v).__name__}")
    return v


CACHE_LIMIT = 100_000


def number_reader() -> Callable[[Any], tuple[int, int]]:
    """A cached parser of certificate numbers ``"p/q"`` / ``"p"`` (ASCII digits, optional minus, positive
    denominator, at most :data:`MAX_NUMBER_CHARS` characters) into ``(p, q)``."""
    cache: dict[str, tuple[int, int]] = {}
    get = cache.get

    def num(s: Any) -> tuple[int, int]:
        if type(s) is not str:
            what = "a JSON float" if isinstance(s, float) else type(s).__name__
            raise CertificateMalformed(f"numbers must be strings 'p/q' or 'p', found {what}")
        r = get(s)
        if r is not None:
            return r
        if len(s) > MAX_NUMBER_CHARS:
            raise CertificateMalformed(f"a number of {len(s)} characters (more than {MAX_NUMBER_CHARS}): refused")
        p, slash, q = s.partition("/")
        if not (s.isascii() and (p.isdigit() or (p[:1] == "-" and p[1:].isdigit()))
                and (q.isdigit() or not slash)):
            raise CertificateMalformed(f"malformed number {s[:40]!r} (expected 'p/q' or 'p')")
        conv = int if len(s) < 4000 else parse_int
        r = (conv(p), conv(q) if slash else 1)
        if r[1] == 0:
            raise CertificateMalformed(f"zero denominator in {s[:40]!r}")
        if len(cache) >= CACHE_LIMIT:  # bounded: a streamed certificate must not grow memory
            cache.clear()
        cache[s] = r
        return r

    return num


def read_point(num: Callable, v: Any, n: int, where: str) -> Point:
    """``n`` number strings as a point ``(X_1, .., X_n, P)`` over a common denominator."""
    if not isinstance(v, list) or len(v) != n:
        raise CertificateMalformed(f"{where}: expected a list of {n} numbers")
    try:
        pq = [num(s) for s in v]
    except CertificateMalformed as exc:
        raise CertificateMalformed(f"{where}: {exc.message}") from None
    P = math.lcm(*[q for _, q in pq])
    return tuple([p * (P // q) for p, q in pq] + [P])


def read_vector(num: Callable, v: Any, n: int, where: str) -> tuple[tuple[int, ...], int]:
    """``n`` numbers as ``(ints, common denominator)`` (:func:`read_point`)."""
    pt = read_point(num, v, n, where)
    return pt[:-1], pt[-1]


# ============================================================================ network
# Network JSON version 1 (exactrelu/io/native_json.py): {"format": "exactrelu-network", "version": 1, "inputs": n,
# "layers": [{"activation": "relu" | "identity", "bias": [...], "inputs": [{"source": s, "weight": [[...]]}]}]}.
# Numbers are JSON integers or strings ("p/q", "p", decimals such as "-0.25" or "1e-3"), read exactly; JSON floats
# are refused. Source 0 is the input x, source k >= 1 layer k's output (an earlier layer). The optional names
# (name, input_names, output_names, a layer's name) are checked to be strings and are part of the hashed object.
class NetworkFormatError(ValueError):
    """The network JSON is not a valid exactrelu network."""


_INT_CHUNK = 4000  # below CPython's default int/str conversion limit (4300 digits)


def parse_int(digits: str) -> int:
    """``int(digits)`` for a validated ASCII ``[+-]?[0-9]+`` string of any length."""
    if len(digits) <= _INT_CHUNK:
        return int(digits)

    def conv(s: str) -> int:
        h = len(s) // 2
        return int(s) if len(s) <= _INT_CHUNK else conv(s[:-h]) * 10 ** h + conv(s[-h:])

    return (-1 if digits[0] == "-" else 1) * conv(digits.lstrip("+-"))


_RATIO = re.compile(r"\s*([+-]?[0-9]+)\s*/\s*([+-]?[0-9]+)\s*")
_DECIMAL = re.compile(r"\s*([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?\s*")
MAX_EXPONENT = 100_000  # a decimal exponent beyond this is refused (it would take gigabytes)
MAX_NUMBER_CHARS = 1_000_000  # a longer number string is refused before it is converted


def network_number(v: object, where: str) -> Fraction:
    """One weight or bias: a JSON int or a number string, exactly."""
    if isinstance(v, bool):
        raise NetworkFormatError(f"{where}: a boolean is not a number")
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, float):
        raise NetworkFormatError(f"{where}: JSON float refused; write numbers as 'p/q' strings")
    if not isinstance(v, str):
        raise NetworkFormatError(f"{where}: expected a number string, got {type(v).__name__}")
    if len(v) > MAX_NUMBER_CHARS:
        raise NetworkFormatError(f"{where}: a number of {len(v)} characters (more than {MAX_NUMBER_CHARS})")
    m = _RATIO.fullmatch(v)
    if m:
        q = parse_int(m.group(2))
        if q == 0:
            raise NetworkFormatError(f"{where}: zero denominator")
        return Fraction(parse_int(m.group(1)), q)
    m = _DECIMAL.fullmatch(v)
    if m and (m.group(2) or m.group(3)):
        sign, ip, fp, ex = m.group(1), m.group(2), m.group(3) or "", m.group(4)
        e = 0 if ex is None else int(ex) if len(ex) <= 10 else MAX_EXPONENT + 1
        if abs(e) > MAX_EXPONENT:
            raise NetworkFormatError(f"{where}: decimal exponent too large")
        mant = parse_int(sign + ((ip + fp) or "0"))
        e -= len(fp)
        return Fraction(mant * 10 ** e) if e >= 0 else Fraction(mant, 10 ** -e)
    raise NetworkFormatError(f"{where}: malformed number {v[:40]!r}")


def canonical_sha256(obj: object) -> str:
    """SHA-256 of ``json.dumps(obj, sort_keys=True, separators=(",", ":"))``."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def reduce_layer(cols: list[list[int]], L: int) -> list[tuple[tuple[int, ...], int]]:
    """A layer's forms ``(v_i, L')`` from its coefficient columns (``cols[c][i]``: coefficient ``c`` of unit
    ``i``) over ``L > 0``, divided by the gcd of ``L`` and every entry."""
    g = math.gcd(L, *chain.from_iterable(cols))
    if g > 1:
        cols = [[v // g for v in col] for col in cols]
        L //= g
    return [(v, L) for v in zip(*cols)]


def input_forms(n: int) -> list[tuple[tuple[int, ...], int]]:
    """The forms of the inputs ``x_0 .. x_{n-1}``."""
    return [(tuple(1 if c == i else 0 for c in range(n + 1)), 1) for i in range(n)]


def unpack_digits(x: int, offset: int, B: int, count: int) -> list[int]:
    """The digits ``d_i`` of ``x = sum_i d_i 2^(iB)``, ``|d_i| < 2^(B-1)``, ``B`` a multiple of 8, ``offset =
    sum_i 2^(B-1) 2^(iB)``: exact, ``x + offset`` has base-``2^B`` digits ``d_i + 2^(B-1)`` (read off its bytes)."""
    nb = B // 8
    raw = (x + offset).to_bytes(nb * count, "little")
    half = 1 << (B - 1)
    if B <= 64 and B & (B - 1) == 0:  # 8, 16, 32 or 64 bits: unpacked by struct in one call
        return [d - half for d in struct.unpack(f"<{count}{'BHIQ'[B.bit_length() - 4]}", raw)]
    return [int.from_bytes(raw[k:k + nb], "little") - half for k in range(0, nb * count, nb)]


class Layer:
    """One layer, compiled: per unit the integer weights over the concatenated sources."""

    __slots__ = ("activation", "sources", "width", "units", "E", "common", "wbits", "_packed")

    def __init__(self, activation: str, sources: list[int], width: int,
                 units: list[tuple[tuple[int, ...], int, int]]) -> None:
        self.activation, self.sources, self.width = activation, sources, width  # sources: in the weights' order
        self.units = units  # (integer weights w, integer bias c, denominator e): z = (w.h + c) / e
        self.E = math.lcm(*[e for _, _, e in units]) if units else 1  # the layer's common denominator
        # the same units over E: z = (w'.h + c') / E, |w'| < 2^wbits
        self.common = [(tuple([x * (self.E // e) for x in w]), c * (self.E // e)) for w, c, e in units]
        self.wbits = max((abs(x).bit_length() for w, _ in self.common for x in w), default=0)
        self._packed: dict[int, tuple[list[int], int]] = {}

    def packed_weights(self, B: int) -> tuple[list[int], int]:
        """Per input ``j`` the integer ``sum_i w_ij 2^(iB)`` and the offset for :func:`unpack_digits` (per ``B``)."""
        got = self._packed.get(B)
        if got is None:
            if len(self._packed) >= 8:  # bounded memory: a layer sees only a few values of B
                self._packed.clear()
            n_in = len(self.common[0][0])
            packed = [sum(w[j] << (i * B) for i, (w, _) in enumerate(self.common)) for j in range(n_in)]
            offset = sum(1 << (i * B + B - 1) for i in range(self.width))
            got = self._packed[B] = (packed, offset)
        return got

    def dot_columns(self, idx: list[int], cols: list[tuple[int, ...]]) -> list[list[int]]:
        """``[[w_i . col for every unit i] for col in cols]`` (``col[t]`` with input ``idx[t]``), one packed sum per
        column: ``B - 1 >= bits(len(idx)) + wbits + bits(max |col|)`` makes :func:`unpack_digits` exact."""
        if self.width == 1:  # one unit: digit 0 alone, its weights are the packed integers
            w = self.common[0][0]
            live = [w[j] for j in idx]
            return [[sum(map(mul, col, live))] for col in cols]
        cbits = max(map(abs, chain.from_iterable(cols))).bit_length()
        need = len(idx).bit_length() + self.wbits + cbits + 1
        B = 8 << max(0, (need - 1).bit_length() - 3) if need <= 64 else -(-need // 8) * 8  # 8/16/32/64 when it fits
        packed, offset = self.packed_weights(B)
        live = [packed[j] for j in idx]
        return [unpack_digits(sum(map(mul, col, live)), offset, B, self.width) for col in cols]


class Network:
    """A parsed network: ``layers[k - 1]`` is layer ``k``; ReLU units numbered in order."""

    def __init__(self, n_inputs: int, layers: list[Layer]) -> None:
        self.n_inputs, self.layers = n_inputs, layers
        self.relu_layers = [k for k, lay in enumerate(layers, start=1) if lay.activation == "relu"]
        self.relu_offset = []  # per ReLU-layer ordinal: number of ReLU units before it
        self.unit_rank = []  # per unit: the ordinal of its ReLU layer
        off = 0
        for r, k in enumerate(self.relu_layers):
            self.relu_offset.append(off)
            self.unit_rank.extend([r] * layers[k - 1].width)
            off += layers[k - 1].width
        self.relu_offset.append(off)
        self.n_relu, self.n_outputs = off, layers[-1].width
        self.zero = (tuple([0] * (n_inputs + 1)), 1)  # the output form of an inactive unit
        self.derived: dict = {}  # data a claim module derives from the layers once (e.g. relaxation.layer_matrix)

    def layer_pre(self, k: int, outs: list) -> list[tuple[tuple[int, ...], int]]:
        """Layer ``k``'s pre-activation forms from the earlier layers' output forms ``outs`` (zero forms skipped):
        ``(w_i . cols + c_i D) / (E D)``, ``D`` the live inputs' common denominator, reduced by :func:`reduce_layer`."""
        lay, zero, srcs = self.layers[k - 1], self.zero, self.layers[k - 1].sources
        forms = outs[srcs[0]] if len(srcs) == 1 else [f for s in srcs for f in outs[s]]
        idx = [i for i, f in enumerate(forms) if f is not zero]
        E = lay.E
        if not idx:
            return reduce_layer([[0] * lay.width for _ in range(self.n_inputs)] + [[c for _, c in lay.common]], E)
        live = [forms[i] for i in idx] if len(idx) < len(forms) else forms
        D = live[0][1]
        if any(d != D for _, d in live):
            D = math.lcm(*[d for _, d in live])
            cols = list(zip(*[v if d == D else [c * (D // d) for c in v] for v, d in live]))
        else:
            cols = list(zip(*[v for v, _ in live]))
        sums = lay.dot_columns(idx, cols)
        sums[-1] = [s + c * D for s, (_, c) in zip(sums[-1], lay.common)]
        return reduce_layer(sums, E * D)

    def relu_out(self, pre: list, bits: bytes, offset: int) -> list:
        """A ReLU layer's output forms: the pre-activation where the bit is ``b'1'``, else ``self.zero``."""
        zero = self.zero
        return [f if bits[offset + j] == 49 else zero for j, f in enumerate(pre)]

    def complete_outputs(self, outs: list, pre: list | None, bits: bytes) -> list:
        """The output forms of layers ``0 .. L`` once every unit has its bit, from ``outs`` (layers ``0 .. t-1``,
        not modified) and ``pre`` (layer ``t``'s pre-activations, or None)."""
        full = list(outs)
        if pre is not None:
            full.append(self.relu_out(pre, bits, self.relu_offset[self.relu_layers.index(len(full))]))
        while len(full) <= len(self.layers):
            k = len(full)
            z = self.layer_pre(k, full)
            if self.layers[k - 1].activation == "relu":
                z = self.relu_out(z, bits, self.relu_offset[self.relu_layers.index(k)])
            full.append(z)
        return full


def _field(d: dict, key: str, where: str, ok: Callable[[Any], bool], message: str) -> Any:
    """``d[key]`` of a network object, refused if missing or if not ``ok`` (``where: message``)."""
    if key not in d:
        raise NetworkFormatError(f"{where}: missing {key!r}")
    if not ok(d[key]):
        raise NetworkFormatError(f"{where}: {message}")
    return d[key]


def _names(d: dict, key: str, count: int | None, where: str) -> None:
    """The optional names: ``key`` a list of ``count`` strings, or (``count`` None) one string."""
    if key not in d:
        return
    v = d[key]
    if count is None:
        if not isinstance(v, str):
            raise NetworkFormatError(f"{where}: {key!r} must be a string")
    elif not isinstance(v, list) or len(v) != count or not all(isinstance(x, str) for x in v):
        raise NetworkFormatError(f"{where}: {key!r} must be a list of {count} strings")


def _nonempty_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v)


def parse_network(d: object, fields: "Callable[[Any, str, str], Any] | None" = None) -> Network:
    """Validate and compile a native network object (raises :class:`NetworkFormatError`); ``fields``, if given,
    is the schema check of the network, its layers and their inputs."""
    if not isinstance(d, dict):
        raise NetworkFormatError("network: expected a JSON object")
    if fields is not None:
        fields(d, "network", "network")
    if d.get("format") != "exactrelu-network":
        raise NetworkFormatError("network: 'format' is not 'exactrelu-network'")
    if type(d.get("version")) is not int or d.get("version") != 1:
        raise NetworkFormatError("network: unsupported version (this checker reads version 1)")
    _names(d, "name", None, "network")
    n = _field(d, "inputs", "network", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
               "'inputs' must be a positive integer")
    raw = _field(d, "layers", "network", _nonempty_list, "'layers' must be a non-empty list")
    widths, layers = [n], []
    for k, ld in enumerate(raw, start=1):
        where = f"network layer {k}"
        if not isinstance(ld, dict):
            raise NetworkFormatError(f"{where}: expected an object")
        if fields is not None:
            fields(ld, "network layer", where)
        _names(ld, "name", None, where)
        act = _field(ld, "activation", where, lambda v: isinstance(v, str) and v.lower() in ("relu", "identity"),
                     "activation must be 'relu' or 'identity'")
        bias = _field(ld, "bias", where, _nonempty_list, "'bias' must be a non-empty list")
        b = [network_number(v, f"{where} bias") for v in bias]
        ins = _field(ld, "inputs", where, _nonempty_list, "'inputs' must be a non-empty list")
        sources: list[int] = []
        mats = []
        for item in ins:
            if not isinstance(item, dict):
                raise NetworkFormatError(f"{where}: each input must be an object")
            if fields is not None:
                fields(item, "network layer input", f"{where} input")
            s = _field(item, "source", where, lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < k,
                       f"source must be an integer in 0..{k - 1}")
            if s in sources:
                raise NetworkFormatError(f"{where}: source {s} appears twice")
            w = _field(item, "weight", where, lambda v: isinstance(v, list) and len(v) == len(b),
                       f"weight from source {s} needs {len(b)} rows")
            rows = []
            for row in w:
                if not isinstance(row, list) or len(row) != widths[s]:
                    raise NetworkFormatError(f"{where}: weight rows from source {s} need {widths[s]} entries")
                rows.append([network_number(v, f"{where} weight") for v in row])
            sources.append(s)
            mats.append(rows)
        units = []
        for j in range(len(b)):
            vals = [v for m in mats for v in m[j]]
            e = math.lcm(b[j].denominator, *[v.denominator for v in vals])
            units.append((tuple(v.numerator * (e // v.denominator) for v in vals),
                          b[j].numerator * (e // b[j].denominator), e))
        layers.append(Layer(act.lower(), sources, len(b), units))
        widths.append(len(b))
    _names(d, "input_names", n, "network")
    _names(d, "output_names", widths[-1], "network")
    return Network(n, layers)


def evaluate(net: Network, x: list[Fraction]) -> list[Fraction]:
    """Exact forward pass at a rational point (for rules about single points)."""
    outs = [list(x)]
    for lay in net.layers:
        h = [v for s in lay.sources for v in outs[s]]
        z = [(sum(map(mul, w, h)) + c) / e for w, c, e in lay.units]
        outs.append([v if v > 0 else Fraction(0) for v in z] if lay.activation == "relu" else z)
    return outs[-1]


# ============================================================================ context
class Context:
    """The parsed header of a certificate: network, domain, witness, nodes, counters; ``tree`` is the object
    holding the tree's fields (the certificate, or a ``property`` partition)."""

    def __init__(self, num: "Callable | None" = None) -> None:
        self.cert: dict = {}
        self.tree: dict = {}
        self.claim, self.base_dir, self.max_bytes = "", Path("."), MAX_BYTES
        self.net: Network
        self.network_sha256, self.n = "", 0
        self.domain_rows: list[Form] = []
        self.root_witness: Point = ()
        self.complete, self.nodes = True, []
        self.stream: Any = None  # stream form: the reader of the node lines (stream.py's StreamReader)
        self.stream_regions = False  # stream form: the header promises a region entry on every leaf
        self.trailer: dict | None = None
        self.adjacency: Any = None  # the checker of adjacency evidence (claims/adjacency.py), if loaded
        self.share: tuple | None = None  # the share of the tree a claim walks (parallel.py); None: all of it
        self.share_result: Any = None  # what one share leaves to the merge of all shares (partition_leaves, claims)
        self.num = num or number_reader()
        self.counts = {"nodes": 0, "leaves": 0, "open_nodes": 0, "stable_decisions": 0, "splits": 0,
                       "adjacency_pairs": 0}


def network_hash(ref: Any, base_dir: Path, max_bytes: int = MAX_BYTES) -> Any:
    """Rule ``network-hash`` (``proofs/rules/network-hash.md``): a referenced network file's canonical SHA-256
    matches; returns the network object."""
    fields(ref, "network_ref", "network_ref")
    path = require(ref, "path", str, "network_ref")
    want = require(ref, "sha256", str, "network_ref")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", want):
        raise CertificateMalformed("network_ref: 'sha256' must be 64 hexadecimal digits")
    if Path(path).is_absolute() or not path:
        raise CertificateMalformed("network_ref: 'path' must be a non-empty relative path")
    full = base_dir / Path(path)
    if not full.is_file():
        raise CertificateMalformed(f"network_ref: network file {path[:200]!r} not found (or not a regular file)")
    obj = load_json(full, max_bytes)
    got = canonical_sha256(obj)
    if got != want.lower():
        raise invalid("network-hash", f"network file {path[:200]!r} has SHA-256 {got}, the certificate says {want}",
                      path=path, expected=want, actual=got)
    return obj


def read_network(obj: Any, where: str) -> Network:
    """A network object (its fields checked with :func:`fields`), parsed and compiled."""
    try:
        return parse_network(obj, fields)
    except NetworkFormatError as exc:
        raise CertificateMalformed(str(exc) if where == "network" else f"{where}: {exc}") from None


def domain_witness(ctx: Context) -> None:
    """Rule ``domain-witness`` (``domain-witness.md``): the root witness is strictly inside every domain row."""
    w = ctx.root_witness
    for i, (v, _) in enumerate(ctx.domain_rows):
        if sum(map(mul, v, w)) >= 0:
            raise invalid("domain-witness", f"root witness is not strictly inside domain row {i}", row=i)


def domain_rows(num: Callable, dom: Any, n: int, where: str) -> list[Form]:
    """The rows ``a_i . x - b_i`` (``<= 0`` on the domain) of ``{"A": [...], "b": [...]}``, each one integer
    vector over a common denominator."""
    fields(dom, "domain", where)
    A = require(dom, "A", list, where)
    b = require(dom, "b", list, where)
    if len(A) != len(b):
        raise CertificateMalformed(f"{where}: 'A' and 'b' have different lengths")
    rows = []
    for i, (row, bi) in enumerate(zip(A, b)):
        ints, den = read_vector(num, row + [bi] if isinstance(row, list) else None, n + 1, f"{where} row {i}")
        rows.append((ints[:-1] + (-ints[-1],), den))
    return rows


def read_tree(ctx: Context, obj: dict, dom: Any, where: str, stream: bool = False,
              dom_where: str = "domain") -> None:
    """Read a tree's header from ``obj`` over the domain object ``dom``: rows, root witness (rule
    ``domain-witness``), ``complete`` and ``nodes`` (a stream's end line gives these)."""
    ctx.tree = obj
    ctx.domain_rows = domain_rows(ctx.num, dom, ctx.n, dom_where)
    ctx.root_witness = read_point(ctx.num, require(obj, "root_witness", list, where), ctx.n, "root_witness")
    if stream:
        ctx.complete, ctx.nodes = False, []  # the end line says (checked after the walk)
    else:
        ctx.complete = require(obj, "complete", bool, where)
        ctx.nodes = require(obj, "nodes", list, where)
    domain_witness(ctx)


def read_certificate_tree(ctx: Context) -> None:
    """Read the certificate's own tree header (and a stream header's ``regions`` flag): the first step of every
    claim with a top-level tree."""
    cert, stream = ctx.cert, ctx.stream is not None
    where = "stream header" if stream else "certificate"
    if stream:
        ctx.stream_regions = require(cert, "regions", bool, where)
    read_tree(ctx, cert, require(cert, "domain", dict, where), where, stream)


def prepare(cert: Any, base_dir: Path, max_bytes: int = MAX_BYTES, stream: bool = False,
            claims: "dict | None" = None, adjacency: Any = None, schema: "dict | None" = None) -> Context:
    """Parse the header (format, version, claim, network; with ``stream`` a stream header); claims not in ``claims``
    (default :data:`CLAIMS`) are refused, ``schema`` (default :data:`SCHEMA`) holds the certificate's kind."""
    claims = CLAIMS if claims is None else claims
    ctx = Context()
    ctx.max_bytes, ctx.adjacency = max_bytes, adjacency
    if not isinstance(cert, dict):
        raise CertificateMalformed("a certificate is a JSON object")
    want = STREAM_FORMAT if stream else FORMAT
    if cert.get("format") != want:
        raise CertificateMalformed(f"'format' must be {want!r}" + (" on the first line of a stream" if stream else ""))
    if type(cert.get("version")) is not int or cert["version"] != VERSION:
        raise CertificateMalformed(f"unsupported certificate version {str(cert.get('version'))[:20]!r} "
                                   f"(this checker reads version {VERSION})")
    ctx.cert, ctx.base_dir = cert, base_dir
    where = "stream header" if stream else "certificate"
    ctx.claim = require(cert, "claim", str, where)
    if stream and ctx.claim != "partition":
        raise CertificateMalformed("the stream form carries 'partition' claims only")
    if ctx.claim not in claims and ctx.claim in CLAIM_MODULES:
        raise CertificateMalformed(f"claim {ctx.claim!r} needs the checker module {CLAIM_MODULES[ctx.claim]}, "
                                   "which is not loaded (run python -m exactrelu.checker)")
    if ctx.claim not in claims:
        raise CertificateMalformed(f"unknown claim {ctx.claim[:40]!r} (known: {', '.join(sorted(claims))})")
    fields(cert, "stream header" if stream else f"{ctx.claim} certificate", where, schema)
    if ("network" in cert) == ("network_ref" in cert):
        raise CertificateMalformed("exactly one of 'network' and 'network_ref' must be present")
    net_obj = cert["network"] if "network" in cert else network_hash(cert["network_ref"], base_dir, max_bytes)
    ctx.net = read_network(net_obj, "network")
    ctx.network_sha256 = canonical_sha256(net_obj)
    ctx.n = ctx.net.n_inputs
    return ctx


# ============================================================================ the tree
class _Path:
    """Walk state along the current root-to-cell path (undone on backtracking)."""

    __slots__ = ("net", "bits", "trail", "rows", "outs", "levels", "rank", "pre")

    def __init__(self, ctx: Context) -> None:
        self.net = ctx.net
        self.bits = bytearray(b"*" * ctx.net.n_relu)  # b'1' active, b'0' inactive, b'*' undecided
        self.trail: list[int] = []  # decided units in order
        self.rows: list[Form] = list(ctx.domain_rows)
        self.outs: list = [input_forms(ctx.n)]  # output forms of layers 0 .. t-1
        self.levels: list = []  # (ReLU-layer ordinal, pre-activation forms) of ReLU layers started
        self.rank, self.pre = -1, None  # the current ReLU layer's ordinal and pre-activation forms

    def mark(self) -> tuple[int, int, int, int]:
        return len(self.trail), len(self.rows), len(self.levels), len(self.outs)

    def restore(self, tl: int, rl: int, ll: int, ol: int) -> None:
        trail, bits = self.trail, self.bits
        for u in trail[tl:]:
            bits[u] = 42
        del trail[tl:], self.rows[rl:]
        if len(self.levels) > ll:
            del self.levels[ll:], self.outs[ol:]
            self.rank, self.pre = self.levels[-1] if self.levels else (-1, None)

    def advance(self, r: int) -> None:
        """Start ReLU layer ordinal ``r``: finish the outputs below it, compute its forms."""
        net, outs = self.net, self.outs
        k = net.relu_layers[r]
        if self.pre is not None:
            outs.append(net.relu_out(self.pre, self.bits, net.relu_offset[self.rank]))
        while len(outs) < k:  # identity layers in between
            outs.append(net.layer_pre(len(outs), outs))
        self.rank, self.pre = r, net.layer_pre(k, outs)
        self.levels.append((r, self.pre))


class Leaf:
    """A leaf or open cell as :func:`walk` yields it (a snapshot): ``id``, ``node``, cell ``rows``, ``witness``,
    ``is_open``, ``pattern`` (``'1'``, ``'0'``, ``'*'``) and the walk state ``net``, ``outs``, ``pre``, ``bits``."""

    __slots__ = ("id", "node", "rows", "witness", "is_open", "pattern", "net", "outs", "pre", "bits", "_layers")

    def __init__(self, node_id: int, node: dict, path: _Path, witness: Point, is_open: bool) -> None:
        self.id, self.node, self.witness, self.is_open = node_id, node, witness, is_open
        self.rows, self.bits = tuple(path.rows), bytes(path.bits)
        self.pattern = self.bits.decode()
        self.net, self.outs, self.pre = path.net, list(path.outs), path.pre
        self._layers: list | None = None

    def layer_outputs(self) -> list:
        """Forms of the outputs of layers 0 (the input) .. L (leaves only)."""
        if self.is_open:
            raise ValueError("an open cell has no complete activation pattern")
        if self._layers is None:
            self._layers = self.net.complete_outputs(self.outs, self.pre, self.bits)
        return self._layers

    def output_forms(self) -> list:
        """Forms of the network output on this leaf."""
        return self.layer_outputs()[-1]


def farkas_residual(num: Callable, rows: list[Form], sign: int, form: Form, raw: Any, rule: str) -> list[int]:
    """The one Farkas computation: the numerators of ``sign*form - sum_i y_i row_i`` (``raw = [[i, "y_i"], ...]``)
    over a positive denominator; a missing row or negative multiplier is rejected by ``rule`` (data ``row``)."""
    if type(raw) is not list:
        raise CertificateMalformed("a Farkas vector must be a list of [row, value] pairs")
    v, D = form
    acc = [-c for c in v] if sign < 0 else list(v)
    nrows = len(rows)
    for item in raw:
        if type(item) is not list or len(item) != 2 or type(item[0]) is not int:
            raise CertificateMalformed("a Farkas vector entry must be [row, 'p/q']")
        i = item[0]
        p, q = num(item[1])
        if p <= 0 or not 0 <= i < nrows:
            if not 0 <= i < nrows:
                raise invalid(rule, f"Farkas vector uses row {i}, the cell has rows 0..{nrows - 1}", row=i)
            if p < 0:
                raise invalid(rule, f"negative Farkas multiplier {fmt_rational(p, q)} on row {i}", row=i)
            continue
        rv, rd = rows[i]
        e = q * rd
        if D % e:  # acc/D - (p/e) rv = (e acc - p D rv) / (D e)
            c = p * D
            acc = [a * e - c * r for a, r in zip(acc, rv)]
            D *= e
        else:  # e divides D: acc/D - (p/e) rv = (acc - p (D/e) rv) / D
            c = p * (D // e)
            acc = [a - c * r for a, r in zip(acc, rv)]
    return acc


def basis_data(rows: list[Form], raw: list, n1: int) -> tuple:
    """``(a0, a1, ac, b0, b1, bc, |D|)`` of the vertex basis ``[i, j]`` (``stable-farkas.md``): ``D = A0 B1 - B0 A1``
    of rows ``(A0, A1, ac)``, ``(B0, B1, bc)``, ``(a0, a1, b0, b1) = sign(D) (A0, A1, B0, B1)``; ``D = 0`` rejected."""
    if len(raw) != 2 or type(raw[1]) is not int:
        raise CertificateMalformed("a vertex basis must be two row indices [i, j]")
    i, j = raw
    nrows = len(rows)
    for r in raw:
        if not 0 <= r < nrows:
            raise invalid("stable-farkas", f"vertex basis uses row {r}, the cell has rows 0..{nrows - 1}", row=r)
    if n1 != 3:
        raise CertificateMalformed(f"a vertex basis is for 2-input networks; this one has {n1 - 1} inputs")
    (A0, A1, ac), (B0, B1, bc) = rows[i][0], rows[j][0]
    D = A0 * B1 - B0 * A1
    if D > 0:
        return A0, A1, ac, B0, B1, bc, D
    if D < 0:
        return -A0, -A1, ac, -B0, -B1, bc, -D
    raise invalid("stable-farkas", f"vertex basis rows {i} and {j} are parallel (or the same): no vertex", row=j)


def vertex_basis_proves(rows: list[Form], sign: int, form: Form, raw: list, bases: "dict | None" = None) -> bool:
    """Whether the vertex basis ``raw = [i, j]`` proves ``sign * form <= 0`` on a 2-D cell (``stable-farkas.md``:
    Cramer's multipliers ``>= 0``, else rejected; constant ``<= 0``, else False); ``bases`` caches basis data."""
    key = tuple(raw)
    bd = bases.get(key) if bases is not None else None
    if bd is None:
        bd = basis_data(rows, raw, len(form[0]))
        if bases is not None:
            bases[key] = bd
    a0, a1, ac, b0, b1, bc, det = bd
    t0, t1, tc = form[0]
    if sign < 0:
        t0, t1, tc = -t0, -t1, -tc
    y0 = t0 * b1 - t1 * b0  # y_i * det
    y1 = a0 * t1 - a1 * t0  # y_j * det
    if y0 < 0 or y1 < 0:
        r = raw[0] if y0 < 0 else raw[1]
        raise invalid("stable-farkas", f"the vertex basis [{raw[0]}, {raw[1]}] gives a negative multiplier on row "
                      f"{r}", row=r)
    return det * tc - y0 * ac - y1 * bc <= 0


def stable_farkas(ctx: Context, rows: list[Form], form: Form, sign: str, raw: Any, node_id: int,
                  unit: int, bases: "dict | None" = None) -> None:
    """Rule ``stable-farkas`` (``stable-farkas.md``): ``[u, "+", y]`` proves ``z_u >= 0``, ``[u, "-", y]``
    ``z_u <= 0``; ``y`` a Farkas vector or, with two inputs, a vertex basis ``[i, j]``."""
    try:
        if type(raw) is list and raw and type(raw[0]) is int:
            proved = vertex_basis_proves(rows, -1 if sign == "+" else 1, form, raw, bases)
        else:
            acc = farkas_residual(ctx.num, rows, -1 if sign == "+" else 1, form, raw, "stable-farkas")
            proved = acc[-1] <= 0 and not any(acc[:-1])
    except CertificateInvalid as exc:
        exc.data.update(node=node_id, unit=unit)
        raise
    if not proved:
        what = "z >= 0" if sign == "+" else "z <= 0"
        raise invalid("stable-farkas", f"node {node_id}: the Farkas vector of unit {unit} does not prove {what} "
                      "(identity or constant fails)", node=node_id, unit=unit, sign=sign)


def decision_order(ctx: Context, path: _Path, u: Any, node_id: int) -> Form:
    """Rule ``decision-order`` (``decision-order.md``) for deciding unit ``u`` now; returns its pre-activation."""
    net = ctx.net
    u = as_int(u, "unit")
    if not 0 <= u < net.n_relu:
        raise invalid("decision-order", f"node {node_id}: unit {u} does not exist (0..{net.n_relu - 1})",
                      node=node_id, unit=u)
    if path.bits[u] != 42:
        raise invalid("decision-order", f"node {node_id}: unit {u} is decided twice on this path",
                      node=node_id, unit=u)
    r = net.unit_rank[u]
    if r != path.rank:
        if r < path.rank or len(path.trail) != net.relu_offset[r]:
            raise invalid("decision-order", f"node {node_id}: unit {u} is decided before every unit of the earlier "
                          "ReLU layers is", node=node_id, unit=u)
        path.advance(r)
    return path.pre[u - net.relu_offset[r]]  # type: ignore[index]


def decision_order_leaf(ctx: Context, path: _Path, node_id: int) -> None:
    """Rule ``decision-order`` at a leaf: every unit is decided."""
    if len(path.trail) != ctx.net.n_relu:
        missing = path.bits.index(42)
        raise invalid("decision-order", f"leaf {node_id} leaves unit {missing} undecided", node=node_id, unit=missing)


def split_witness(rows: list[Form], g: Form, wpos: Point, wneg: Point, own: Point, node_id: int,
                  unit: int) -> None:
    """Rule ``split-witness`` (``split-witness.md``): each witness is strictly inside every cell row (unless it is
    the cell's own), with ``z_w > 0`` (``witness_pos``) or ``< 0`` (``witness_neg``)."""
    v = g[0]
    for name, pt, positive in (("witness_pos", wpos, True), ("witness_neg", wneg, False)):
        z = sum(map(mul, v, pt))
        if (z <= 0) if positive else (z >= 0):
            raise invalid("split-witness", f"node {node_id}: {name} does not have z_{unit} "
                          f"{'>' if positive else '<'} 0", node=node_id, unit=unit, witness=name)
        if pt != own:
            vals = [sum(map(mul, r[0], pt)) for r in rows]
            if max(vals) >= 0:
                i = next(i for i, s in enumerate(vals) if s >= 0)
                raise invalid("split-witness", f"node {node_id}: {name} is not strictly inside cell row {i}",
                              node=node_id, unit=unit, witness=name, row=i)


def tree_structure(ctx: Context, k: int, expected: int, parent: int | None, side: str | None) -> tuple:
    """Rule ``tree-structure`` (``tree-structure.md``) for the node reached as ``k``: preorder position, id,
    parent, side; ``open`` only without a split, only if incomplete."""
    if ctx.stream is not None:
        return ctx.stream.node_entry(ctx, expected, side)
    nodes = ctx.nodes
    if not nodes:
        raise invalid("tree-structure", "the node list is empty")
    if k != expected or k >= len(nodes):
        what = "does not exist" if k >= len(nodes) else f"is not next in preorder (expected {expected})"
        raise invalid("tree-structure", f"node {parent} points to child {k}, which {what}", node=parent, child=k)
    node = nodes[k]
    where = f"node {k}"
    fields(node, "node", where)
    if require(node, "id", int, where) != k:
        raise invalid("tree-structure", f"nodes[{k}] has id {node['id']}", node=k)
    p = node.get("parent")
    if p != parent or (p is not None and type(p) is not int):
        raise invalid("tree-structure", f"node {k}: parent is {str(p)[:20]}, the tree says {parent}", node=k)
    s = node.get("side")
    if s != side:
        raise invalid("tree-structure", f"node {k}: side is {str(s)[:20]!r}, the tree says {side!r}", node=k)
    decisions = require(node, "decisions", list, where)
    split = require(node, "split", (dict, type(None)), where)
    if split is not None:
        fields(split, "split", f"{where}: split")
    is_open = node.get("open", False)
    if not isinstance(is_open, bool):
        raise CertificateMalformed(f"{where}: 'open' must be a boolean")
    if is_open and split is not None:
        raise invalid("tree-structure", f"node {k} is open but has a split", node=k)
    if is_open and ctx.complete:
        raise invalid("tree-structure", f"node {k} is open in a certificate that claims to be complete", node=k)
    return node, decisions, split, is_open


def decide(ctx: Context, path: _Path, decisions: Any, k: int) -> None:
    """Rules ``decision-order`` and ``stable-farkas`` for node ``k``'s decisions, in order (the vertex bases of
    one node share their 2x2 data)."""
    net, bits, trail, rows = ctx.net, path.bits, path.trail, path.rows
    n_relu, unit_rank, relu_offset = net.n_relu, net.unit_rank, net.relu_offset
    bases: dict = {}
    rank, pre = path.rank, path.pre
    roff = relu_offset[rank] if rank >= 0 else 0
    for dec in decisions:
        if type(dec) is not list or len(dec) != 3 or dec[1] not in ("+", "-"):
            raise CertificateMalformed("a decision must be [unit, '+' or '-', Farkas vector or vertex basis]")
        u, s, y = dec
        if type(u) is int and 0 <= u < n_relu and bits[u] == 42 and unit_rank[u] == rank:
            form = pre[u - roff]
        else:
            form = decision_order(ctx, path, u, k)
            rank, pre = path.rank, path.pre
            roff = relu_offset[rank]
        stable_farkas(ctx, rows, form, s, y, k, u, bases)
        bits[u] = 49 if s == "+" else 48
        trail.append(u)


def walk(ctx: Context, share: "tuple[int, int, int] | None" = None) -> Iterator[Leaf]:
    """Rules ``tree-structure``, ``decision-order``, ``stable-farkas``, ``split-witness`` on every node, in preorder;
    yields each leaf and open cell. ``share = (depth, shares, s)`` (``parallel.py``, JSON form): of the subtrees at
    ``depth`` only every ``shares``-th from the ``s``-th is checked (the nodes above by all, counted by share 0)."""
    path = _Path(ctx)
    num, counts = ctx.num, ctx.counts
    cut, shares, mine = share if share is not None else (-1, 1, 0)
    seen = 0  # subtrees met at depth cut
    # stack entries: (node, parent, side, mark of the parent's state, unit, row, witness, depth, end)
    stack: list[tuple] = [(0, None, None, path.mark(), None, None, ctx.root_witness, 0, len(ctx.nodes))]
    expected = 0
    while stack:
        k, parent, side, mark, unit, row, own, depth, end = stack.pop()
        if depth <= cut:
            if depth == cut:
                seen += 1
                if (seen - 1) % shares != mine:  # another share's subtree: skip to its end
                    if k != expected or not expected < end <= len(ctx.nodes):
                        raise invalid("tree-structure", f"node {parent}: the subtree of child {k} does not end at "
                                      f"{end}", node=parent)
                    expected = end
                    continue
            elif mine:  # above the cut: walked by every share for its subtrees, counted by share 0
                counts = {key: 0 for key in counts}
        path.restore(*mark)
        if unit is not None:
            path.bits[unit] = 49 if side == "+" else 48
            path.trail.append(unit)
            path.rows.append(row)
        node, decisions, split, is_open = tree_structure(ctx, k, expected, parent, side)
        k = expected  # (a stream's ids are implied; a JSON node's id was checked to be this)
        expected += 1
        try:
            if decisions:
                decide(ctx, path, decisions, k)
            counts["stable_decisions"] += len(decisions)
            if split is None:
                if not is_open:
                    decision_order_leaf(ctx, path, k)
                if depth >= cut or not mine:
                    yield Leaf(k, node, path, own, is_open)
                counts = ctx.counts
                continue
            w = split.get("unit")
            g = decision_order(ctx, path, w, k)
            if ctx.stream is None:
                pos = as_int(split.get("pos"), f"node {k}: split 'pos'")
                neg = as_int(split.get("neg"), f"node {k}: split 'neg'")
            else:  # implied by the preorder
                pos = neg = -1
            wpos = read_point(num, split.get("witness_pos"), ctx.n, f"node {k}: witness_pos")
            wneg = read_point(num, split.get("witness_neg"), ctx.n, f"node {k}: witness_neg")
        except CertificateMalformed as exc:
            raise CertificateMalformed(f"node {k}: {exc.message}") from None
        split_witness(path.rows, g, wpos, wneg, own, k, w)
        counts["splits"] += 1
        counts = ctx.counts
        m = path.mark()
        v, d = g
        stack.append((neg, k, "-", m, w, g, wneg, depth + 1, end))  # row z_w <= 0
        stack.append((pos, k, "+", m, w, (tuple([-c for c in v]), d), wpos, depth + 1, neg))  # row -z_w <= 0
    if ctx.stream is not None:
        ctx.trailer = ctx.stream.end(expected)
    elif expected != len(ctx.nodes):
        raise invalid("tree-structure", f"nodes {expected}..{len(ctx.nodes) - 1} are not reachable from the root",
                       node=expected)
    counts["nodes"] = expected


# ============================================================================ partition
def region_pattern(entry: dict, leaf: Leaf) -> None:
    """Rule ``region-pattern`` (``region-pattern.md``): the claimed pattern is the path's bits."""
    pat = require(entry, "pattern", str, f"region of node {leaf.id}")
    if pat != leaf.pattern:
        raise invalid("region-pattern", f"region of leaf {leaf.id} claims pattern {pat[:200]!r}, "
                      f"the path gives {leaf.pattern[:200]!r}", node=leaf.id)


def region_map(ctx: Context, entry: dict, leaf: Leaf) -> None:
    """Rule ``region-map`` (``region-map.md``): the claimed ``y = C x + d`` is the recomputed output map."""
    where = f"region of node {leaf.id}"
    C = require(entry, "C", list, where)
    dvec = require(entry, "d", list, where)
    m, n, num = ctx.net.n_outputs, ctx.n, ctx.num
    if len(C) != m or len(dvec) != m:
        raise CertificateMalformed(f"{where}: C and d need {m} rows (the network has {m} outputs)")
    for i, ((v, den), row) in enumerate(zip(leaf.output_forms(), C)):
        if not isinstance(row, list) or len(row) != n:
            raise CertificateMalformed(f"{where}: each row of C needs {n} numbers")
        for c, s in enumerate(row + [dvec[i]]):
            p, q = num(s)
            if p * den != v[c] * q:
                what, g = f"C[{i}][{c}]" if c < n else f"d[{i}]", math.gcd(v[c], den)
                raise invalid("region-map", f"region of leaf {leaf.id}: {what} is {fmt_rational(p, q)}, the network "
                              f"gives {fmt_rational(v[c] // g, den // g)}", node=leaf.id, output=i, column=c)


def region_list(ctx: Context, regions: dict | None, node_id: int | None = None) -> dict | None:
    """Rule ``region-list`` (``region-list.md``): one region per leaf and none for anything else. With
    ``node_id`` None: index the ``regions`` list (refusing duplicates); else take leaf ``node_id``'s entry out."""
    if node_id is not None:
        if regions is None:
            return None
        entry = regions.pop(node_id, None)
        if entry is None:
            raise invalid("region-list", f"leaf {node_id} has no region entry", node=node_id)
        return entry
    raw = ctx.tree.get("regions")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise CertificateMalformed("'regions' must be a list")
    index: dict = {}
    for i, entry in enumerate(raw):
        fields(entry, "region", f"region entry {i}")
        k = as_int(require(entry, "node", int, "region"), "region node")
        if k in index:
            raise invalid("region-list", f"two region entries for node {k}", node=k)
        index[k] = entry
    return index


def adjacency_evidence(ctx: Context) -> list:
    """The tree's adjacency entries, read by ``ctx.adjacency`` (``claims/adjacency.py``); without that module a
    tree carrying any is refused: evidence is never accepted unchecked."""
    if ctx.adjacency is not None:
        return ctx.adjacency.adjacency_entries(ctx)
    if ctx.tree.get("adjacency") in (None, []):
        return []
    raise CertificateMalformed("adjacency evidence needs the checker module claims/adjacency.py, which is not "
                               "loaded (run python -m exactrelu.checker)")


def partition_leaves(ctx: Context, share: "tuple[int, int, int] | None" = None) -> Iterator[Leaf]:
    """:func:`walk` plus the rules ``region-list``, ``region-pattern``, ``region-map``, ``adjacency``, then
    :func:`finish_partition` (with ``share``, the caller's, from ``ctx.share_result``); every tree is walked here."""
    stream = ctx.stream is not None
    regions = None if stream else region_list(ctx, None)
    adj = [] if stream else adjacency_evidence(ctx)
    at: dict[int, list] = {}
    for e in adj:
        at.setdefault(e.a, []).append(e)
        at.setdefault(e.b, []).append(e)
    patterns: dict[int, str] = {}
    counts = ctx.counts
    for leaf in walk(ctx, share):
        if leaf.is_open:
            counts["open_nodes"] += 1
            yield leaf
            continue
        counts["leaves"] += 1
        entry = ctx.stream.region_entry(ctx, leaf) if stream else region_list(ctx, regions, leaf.id)
        if entry is not None:
            region_pattern(entry, leaf)
            region_map(ctx, entry, leaf)
        if leaf.id in at:
            patterns[leaf.id] = leaf.pattern
            for e in at[leaf.id]:
                ctx.adjacency.adjacency_leaf(ctx, e, leaf)
        yield leaf
    if share is not None:
        ctx.share_result = (set(regions or ()), patterns)
        return
    finish_partition(ctx, regions, adj, patterns)


def finish_partition(ctx: Context, regions: "dict | set | None", adj: list, patterns: dict) -> None:
    """After the walk: the stream's end line, ``complete`` against the open cells (``tree-structure``), region
    entries of non-leaves (``region-list``), the adjacency ends."""
    if ctx.stream is not None:
        ctx.stream.finish(ctx)  # the end line's counts; sets ctx.complete
    if not ctx.complete and not ctx.counts["open_nodes"]:
        raise invalid("tree-structure", "the certificate says it is incomplete, but no node is open")
    if regions:
        k = min(regions)
        raise invalid("region-list", f"region entry for node {k}, which is not a leaf", node=k)
    if adj:
        ctx.adjacency.finish_adjacency(ctx, adj, patterns)


def check_partition(ctx: Context) -> dict:
    """The ``partition`` claim: every rule of the tree, the regions and the adjacency."""
    read_certificate_tree(ctx)
    for _ in partition_leaves(ctx):
        pass
    return ctx.counts


#: The claims this file checks (``registry.CLAIMS`` adds the modules in ``claims/``) and where the others live.
CLAIMS: dict[str, Callable[[Context], dict]] = {"partition": check_partition}
CLAIM_MODULES = {"bounds": "claims/outputs.py", "equivalence": "claims/outputs.py", "property": "claims/outputs.py",
                 "counterexample": "claims/outputs.py", "lattice": "claims/lattice.py"}


# ============================================================================ driver
@dataclass(frozen=True)
class CheckReport:
    """What an accepted certificate proves (``valid`` is always True: rejection raises)."""

    valid: bool
    claim: str
    complete: bool
    nodes: int
    leaves: int
    open_nodes: int
    adjacency_pairs: int
    stable_decisions: int
    splits: int
    seconds: float
    network_sha256: str
    n_inputs: int
    n_relu: int
    regions = property(lambda self: self.leaves)
    to_dict = asdict

    def summary(self) -> str:
        what = "complete" if self.complete else "partial (incomplete)"
        opened = f", {self.open_nodes} open cells" if self.open_nodes else ""
        return (f"valid: {what} {self.claim}: {self.leaves} regions{opened}, {self.nodes} nodes, "
                f"{self.stable_decisions} stable decisions, {self.splits} splits, "
                f"{self.adjacency_pairs} adjacency pairs; network sha256 {self.network_sha256[:16]}; "
                f"{self.seconds:.3f} s")


def check_certificate(cert: Any, base_dir: Any = None, *, max_bytes: int = MAX_BYTES, claims: "dict | None" = None,
                      stream: "Callable | None" = None, adjacency: Any = None,
                      schema: "dict | None" = None) -> CheckReport:
    """Check a certificate (a dict, or a ``.json`` / ``.json.gz`` path; ``network_ref`` paths relative to ``base_dir``):
    a :class:`CheckReport`, or a rejection raised. The tables (default: ``partition`` only) are ``registry.py``'s.
    ``stream(path, base_dir, max_bytes, claims)`` reads the stream form."""
    t0 = time.perf_counter()
    claims = CLAIMS if claims is None else claims
    with collector_paused():
        ctx, counts = _check(cert, base_dir, max_bytes, claims, stream, adjacency, schema)
    return CheckReport(True, ctx.claim, ctx.complete, counts["nodes"], counts["leaves"], counts["open_nodes"],
                       counts["adjacency_pairs"], counts["stable_decisions"], counts["splits"],
                       time.perf_counter() - t0, ctx.network_sha256, ctx.n, ctx.net.n_relu)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside (a certificate is millions of acyclic lists: with it on, reading a
    45 MB one took 2.0 s instead of 0.4 s); back on after, if it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check(cert: Any, base_dir: Any, max_bytes: int, claims: dict, stream: "Callable | None", adjacency: Any,
           schema: "dict | None") -> tuple[Context, dict]:
    try:
        if isinstance(cert, (str, PathLike)) and is_stream(Path(cert)):
            if stream is None:
                raise CertificateMalformed("a stream certificate needs the checker module stream.py, which is not "
                                           "loaded (run python -m exactrelu.checker)")
            ctx = stream(Path(cert), Path(base_dir) if base_dir is not None else Path(cert).parent, max_bytes,
                         claims)
        else:
            obj, base = load_certificate(cert, base_dir, max_bytes)
            ctx = prepare(obj, base, max_bytes, claims=claims, adjacency=adjacency, schema=schema)
        counts = claims[ctx.claim](ctx)
    except CheckerError:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError, RecursionError) as exc:
        # Fail safe: a structure the explicit checks did not anticipate is never accepted.
        raise CertificateMalformed(f"malformed certificate ({type(exc).__name__}: {str(exc)[:200]})") from exc
    return ctx, counts


def main(argv: "list[str] | None" = None) -> int:
    """``python checker.py CERT [--quiet] [--json]``: this file alone (``partition`` certificates); returns the exit
    status, printing as ``python -m exactrelu.checker`` (``__main__.py``, the full command line) does."""
    parser = argparse.ArgumentParser(prog="checker.py", description="Check an exactrelu partition certificate "
                                     "with this file alone. Exit 0: valid, 1: invalid, 2: unusable input.")
    parser.add_argument("certificate", help="certificate file (.json or .json.gz)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit status")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else EXIT_UNUSABLE
    status, out = EXIT_VALID, sys.stdout
    try:
        report = check_certificate(args.certificate)
        text = json.dumps(report.to_dict()) if args.json else report.summary()
    except CertificateInvalid as exc:
        status = EXIT_INVALID
        data = f"\n  data: {json.dumps(exc.data, default=str)[:2000]}" if exc.data else ""
        text = (json.dumps({"valid": False, "rule": exc.rule, "message": exc.message, "data": exc.data}, default=str)
                if args.json else f"invalid: {exc.rule}: {exc.message}{data}")
    except CertificateMalformed as exc:
        status, out = EXIT_UNUSABLE, sys.stdout if args.json else sys.stderr
        text = (json.dumps({"valid": False, "error": "malformed", "message": exc.message}) if args.json
                else f"error: unusable {exc.what}{exc.message}")
    if not args.quiet:
        print(text, file=out)
    return status


if __name__ == "__main__":
    sys.exit(main())
