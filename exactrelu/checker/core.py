"""The rules of the exactrelu certificate checker (``proofs/certificate-format.md``).

Standard library only; nothing here comes from the rest of exactrelu. One function per
rule, named after the rule id (``stable-farkas`` -> :func:`stable_farkas`); each rejection
raises :class:`CertificateInvalid` naming the rule and the offending data. Anything that is
not a certificate at all (bad JSON, wrong format or version, missing keys, wrong types,
JSON floats where numbers must be strings, a missing network file) raises
:class:`CertificateMalformed`.

Every field is verified or refused: :data:`SCHEMA` lists, for every kind of object a
certificate holds, the fields it may carry, and :func:`fields` refuses any other
(``unknown field X at Y``, :class:`CertificateMalformed`); each listed field is read and
checked by a rule.

Reading order: :data:`SCHEMA` and :func:`fields`, :func:`prepare` (header rules),
:func:`walk` (the splitting tree; yields every leaf and open cell),
:func:`partition_leaves` (the walk plus the region and adjacency lists),
:func:`check_partition` (the ``partition`` claim), the ``CLAIMS`` registry and
:func:`check_certificate`.

Numbers: a point is a tuple ``(X_1, .., X_n, P)`` of ints with ``P > 0`` meaning ``X / P``;
an affine form is ``(v, d)`` (see :mod:`.network`), and a cell row ``(v, d)`` stands for
``v/d . (x, 1) <= 0``. So the sign of a form at a point is the sign of
``sum(map(mul, v, point))``: integer arithmetic only.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import time
import zlib
from dataclasses import asdict, dataclass
from operator import mul
from os import PathLike
from pathlib import Path
from typing import Any, Callable, Iterator

from .network import (MAX_NUMBER_CHARS, Network, NetworkFormatError, canonical_sha256, input_forms,
                      parse_int, parse_network)

__all__ = ["FORMAT", "VERSION", "RULES", "CLAIMS", "SCHEMA", "MAX_BYTES", "MAX_NUMBER_CHARS", "CheckerError",
           "CertificateMalformed", "CertificateInvalid", "CheckReport", "Context", "Leaf", "fields",
           "load_certificate", "prepare", "read_tree", "walk", "partition_leaves", "check_partition",
           "check_certificate", "farkas_holds"]

FORMAT = "exactrelu-certificate"
VERSION = 1
RULES = ("network-hash", "domain-witness", "tree-structure", "decision-order", "stable-farkas",
         "split-witness", "region-pattern", "region-map", "region-list", "adjacency")

MAX_BYTES = 4 << 30  # 4 GiB: a certificate or network file larger than this (after gunzip) is refused

Point = tuple  # (X_1, .., X_n, P): ints, P > 0
Form = tuple  # (v, d): v a tuple of n + 1 ints, d > 0


# ============================================================================ errors
class CheckerError(Exception):
    """Base class of everything the checker raises."""


class CertificateMalformed(CheckerError):
    """The input is not a usable certificate (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CertificateInvalid(CheckerError):
    """The certificate breaks rule ``rule`` (exit code 1); ``data`` is the offending data."""

    def __init__(self, rule: str, message: str, data: Any = None) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
        self.data = data


def _invalid(rule: str, message: str, **data: Any) -> CertificateInvalid:
    return CertificateInvalid(rule, message, data or None)


def _fmt(num: int, den: int = 1) -> str:
    """A rational for a message (huge values are summarised, never converted in full)."""
    if max(abs(num).bit_length(), den.bit_length()) > 2000:
        return f"<rational of {abs(num).bit_length()}/{den.bit_length()} bits>"
    return str(num) if den == 1 else f"{num}/{den}"


# ============================================================================ schema
_HEAD = ("format", "version", "claim", "network", "network_ref")
_TREE = ("domain", "root_witness", "complete", "nodes", "regions", "adjacency")
#: The fields each kind of object may carry (proofs/certificate-format.md, "Fields"). A
#: field outside its kind's set is refused by :func:`fields`; every field inside is read
#: and verified by a rule (or is a number/shape the rules use). Required fields are
#: enforced where they are read.
SCHEMA: dict[str, frozenset] = {k: frozenset(v) for k, v in {
    # certificates, one kind per claim
    "partition certificate": _HEAD + _TREE,
    "bounds certificate": _HEAD + _TREE + ("bounds", "proofs"),
    "equivalence certificate": _HEAD + _TREE + ("network_a", "network_b"),
    "lattice certificate": _HEAD + _TREE[:-1] + ("lattice",),  # no adjacency evidence
    "property certificate": ("format", "version", "claim", "network", "property", "complete", "partitions"),
    "counterexample certificate": ("format", "version", "claim", "network", "property", "complete", "point"),
    # the network (embedded, referenced, network_a/network_b): names are part of the hashed object
    "network_ref": ("path", "sha256"),
    "network": ("format", "version", "inputs", "layers", "name", "input_names", "output_names"),
    "network layer": ("activation", "bias", "inputs", "name"),
    "network layer input": ("source", "weight"),
    # the partition tree
    "domain": ("A", "b"),
    "node": ("id", "parent", "side", "decisions", "split", "open"),
    "split": ("unit", "pos", "neg", "witness_pos", "witness_neg"),
    "region": ("node", "pattern", "C", "d"),
    "adjacency entry": ("a", "b", "hyperplane", "witness", "units"),
    # the stream form (JSON Lines)
    "stream header": ("format", "version", "claim", "network", "network_ref", "domain", "root_witness", "regions"),
    "stream node": ("side", "decisions", "split", "open", "region"),
    "stream split": ("unit", "witness_pos", "witness_neg"),
    "stream region": ("pattern", "C", "d"),
    "stream end line": ("end", "complete", "nodes", "leaves"),
    # claim bounds
    "bound": ("output", "min", "max", "argmin", "argmax"),
    "bounds proof": ("node", "output", "max", "min"),
    # claims property and counterexample
    "property": ("n_inputs", "n_outputs", "fixed_inputs", "inputs", "disjuncts"),
    "disjunct": ("input", "constraints"),
    "constraint": ("a", "c", "b", "strict"),
    "property partition": ("input", "root_witness", "complete", "nodes", "regions", "adjacency", "proofs", "prune"),
    "property proof": ("node", "disjunct", "farkas"),
    "prune entry": ("node", "box", "box_farkas", "bases", "relu", "disjuncts", "bounds"),
    "prune disjunct": ("disjunct", "farkas"),
    # claim lattice
    "lattice": ("output", "pieces", "terms", "leaves"),
    "lattice leaf": ("leaf", "cover", "upper"),
    "lattice cover term": ("term", "farkas"),
    "lattice cover split": ("split", "pos", "neg"),
}.items()}


def fields(obj: Any, kind: str, where: str) -> dict:
    """The schema check: ``obj`` is a JSON object whose fields are all allowed for its
    ``kind`` (:data:`SCHEMA`); returns it, else raises :class:`CertificateMalformed`.

    >>> fields({"A": [], "b": []}, "domain", "domain")
    {'A': [], 'b': []}
    >>> try:
    ...     fields({"A": [], "b": [], "note": "trust me"}, "domain", "domain")
    ... except CertificateMalformed as exc:
    ...     print(exc.message)
    unknown field 'note' at domain (a domain has only: A, b)
    """
    if not isinstance(obj, dict):
        raise CertificateMalformed(f"{where}: expected a JSON object")
    allowed = SCHEMA[kind]
    if obj.keys() <= allowed:
        return obj
    extra = min(str(k) for k in obj if k not in allowed)
    raise CertificateMalformed(f"unknown field {extra[:40]!r} at {where} (a {kind} has only: "
                               f"{', '.join(sorted(allowed))})")


# ============================================================================ reading
def _no_duplicate_keys(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        keys = [k for k, _ in pairs]
        dup = next(k for k in keys if keys.count(k) > 1)
        raise CertificateMalformed(f"duplicate key {dup[:40]!r} in a JSON object")
    return d


def _too_big(path: Path, max_bytes: int) -> CertificateMalformed:
    return CertificateMalformed(f"{path.name}: more than {max_bytes} bytes (after decompression); refused "
                                "(the checker's limit max_bytes)")


def read_bounded(fh: Any, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the open binary file ``fh``, read in 1 MiB chunks
    (``fh.read(n)`` would allocate all ``n`` bytes first, whatever the file's size)."""
    parts, total = [], 0
    while total <= max_bytes:
        chunk = fh.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def load_json(path: Path, max_bytes: int = MAX_BYTES) -> Any:
    """Read a JSON (or gzip-compressed JSON) file; duplicate object keys are refused, and so
    is a file of more than ``max_bytes`` bytes after decompression (read at most that far:
    a gzip bomb costs at most ``max_bytes`` of work)."""
    try:
        with open(path, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
            fh.seek(0)
            if not gz:
                raw = read_bounded(fh, max_bytes)
    except OSError as exc:
        raise CertificateMalformed(f"cannot read {str(path)[:200]}: {exc.strerror or exc}") from None
    if gz:
        try:
            with gzip.open(path, "rb") as g:
                raw = read_bounded(g, max_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            raise CertificateMalformed(f"{path.name}: broken gzip data ({exc})") from None
    if len(raw) > max_bytes:
        raise _too_big(path, max_bytes)
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except UnicodeDecodeError:
        raise CertificateMalformed(f"{path.name}: not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise CertificateMalformed(f"{path.name}: malformed JSON ({str(exc)[:200]})") from None


def load_certificate(cert: Any, base_dir: Any = None, max_bytes: int = MAX_BYTES) -> tuple[Any, Path]:
    """``(certificate object, directory that network_ref paths are relative to)``."""
    if isinstance(cert, (str, PathLike)):
        path = Path(cert)
        return load_json(path, max_bytes), Path(base_dir) if base_dir is not None else path.parent
    if isinstance(cert, dict):
        return cert, Path(base_dir) if base_dir is not None else Path.cwd()
    raise CertificateMalformed(f"expected a certificate dict or a path, got {type(cert).__name__}")


def _get(d: Any, key: str, kind: type | tuple, where: str) -> Any:
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


def _int(v: Any, where: str) -> int:
    if type(v) is not int:
        raise CertificateMalformed(f"{where}: expected an integer, got {type(v).__name__}")
    return v


CACHE_LIMIT = 100_000


def number_reader() -> Callable[[Any], tuple[int, int]]:
    """A parser of certificate numbers (``"p/q"`` or ``"p"`` strings: ASCII digits, an
    optional leading minus, a positive denominator, at most :data:`MAX_NUMBER_CHARS`
    characters) into ``(p, q)``, with its own cache."""
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
        # all ASCII; p is digits with an optional leading minus; q (after a slash) is digits
        if not (s.isascii() and (p.isdigit() or (p[:1] == "-" and p[1:].isdigit()))
                and (q.isdigit() or not slash)):
            raise CertificateMalformed(f"malformed number {s[:40]!r} (expected 'p/q' or 'p')")
        if len(s) < 4000:
            r = (int(p), int(q) if slash else 1)
        else:
            r = (parse_int(p), parse_int(q) if slash else 1)
        if r[1] == 0:
            raise CertificateMalformed(f"zero denominator in {s[:40]!r}")
        if len(cache) >= CACHE_LIMIT:  # bounded: a streamed certificate must not grow memory
            cache.clear()
        cache[s] = r
        return r

    return num


def _point(num: Callable, v: Any, n: int, where: str) -> Point:
    if not isinstance(v, list) or len(v) != n:
        raise CertificateMalformed(f"{where}: expected a list of {n} numbers")
    try:
        pq = [num(s) for s in v]
    except CertificateMalformed as exc:
        raise CertificateMalformed(f"{where}: {exc.message}") from None
    P = math.lcm(*[q for _, q in pq])
    return tuple([p * (P // q) for p, q in pq] + [P])


def _vector(num: Callable, v: Any, n: int, where: str) -> tuple[tuple[int, ...], int]:
    """A list of n numbers as ``(ints, common denominator)``."""
    pt = _point(num, v, n, where)
    return pt[:-1], pt[-1]


# ============================================================================ context
class Context:
    """The parsed header of a certificate: network, domain, witness, nodes, counters.

    ``tree`` is the object holding the tree's fields (``nodes``, ``regions``,
    ``adjacency``): the certificate itself, or one partition of a ``property`` certificate.
    """

    def __init__(self, num: "Callable | None" = None) -> None:
        self.cert: dict = {}
        self.tree: dict = {}
        self.claim = ""
        self.base_dir = Path(".")
        self.max_bytes = MAX_BYTES
        self.net: Network
        self.network_sha256 = ""
        self.n = 0
        self.domain_rows: list[Form] = []
        self.root_witness: Point = ()
        self.complete = True
        self.nodes: list = []
        self.stream: "_StreamReader | None" = None  # stream form: nodes come line by line
        self.stream_regions = False  # stream form: the header promises a region entry on every leaf
        self.trailer: dict | None = None
        self.num = num or number_reader()
        self.counts = {"nodes": 0, "leaves": 0, "open_nodes": 0, "stable_decisions": 0, "splits": 0,
                       "adjacency_pairs": 0}


def network_hash(ref: Any, base_dir: Path, max_bytes: int = MAX_BYTES) -> Any:
    """Rule ``network-hash``: a referenced network file's canonical SHA-256 matches."""
    fields(ref, "network_ref", "network_ref")
    path = _get(ref, "path", str, "network_ref")
    want = _get(ref, "sha256", str, "network_ref")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", want):
        raise CertificateMalformed("network_ref: 'sha256' must be 64 hexadecimal digits")
    p = Path(path)
    if p.is_absolute() or not path:
        raise CertificateMalformed("network_ref: 'path' must be a non-empty relative path")
    full = base_dir / p
    if not full.is_file():
        raise CertificateMalformed(f"network_ref: network file {path[:200]!r} not found (or not a regular file)")
    obj = load_json(full, max_bytes)
    got = canonical_sha256(obj)
    if got != want.lower():
        raise _invalid("network-hash", f"network file {path[:200]!r} has SHA-256 {got}, the certificate says {want}",
                       path=path, expected=want, actual=got)
    return obj


def read_network(obj: Any, where: str) -> Network:
    """A network object (its fields checked with :func:`fields`), parsed and compiled."""
    try:
        return parse_network(obj, fields)
    except NetworkFormatError as exc:
        msg = str(exc)
        raise CertificateMalformed(msg if where == "network" else f"{where}: {msg}") from None


def domain_witness(ctx: Context) -> None:
    """Rule ``domain-witness``: the root witness is strictly inside every domain row."""
    w = ctx.root_witness
    for i, (v, _) in enumerate(ctx.domain_rows):
        if sum(map(mul, v, w)) >= 0:
            raise _invalid("domain-witness", f"root witness is not strictly inside domain row {i}", row=i)


def domain_rows(num: Callable, dom: Any, n: int, where: str) -> list[Form]:
    """The rows of a domain ``{"A": [...], "b": [...]}`` over ``n`` inputs: row ``i`` is the
    form of ``a_i . x - b_i`` (``<= 0`` on the domain)."""
    fields(dom, "domain", where)
    A = _get(dom, "A", list, where)
    b = _get(dom, "b", list, where)
    if len(A) != len(b):
        raise CertificateMalformed(f"{where}: 'A' and 'b' have different lengths")
    rows = []
    for i, (row, bi) in enumerate(zip(A, b)):
        # row i: a.x - b <= 0, as one integer vector over a common denominator
        ints, den = _vector(num, row + [bi] if isinstance(row, list) else None, n + 1, f"{where} row {i}")
        rows.append((ints[:-1] + (-ints[-1],), den))
    return rows


def read_tree(ctx: Context, obj: dict, dom: Any, where: str, stream: bool = False,
              dom_where: str = "domain") -> None:
    """Read a tree's header from ``obj`` (the certificate, a stream header or one partition
    of a property certificate) over the domain object ``dom``: rows, root witness (rule
    ``domain-witness``), ``complete`` and ``nodes`` (not in a stream header)."""
    ctx.tree = obj
    ctx.domain_rows = domain_rows(ctx.num, dom, ctx.n, dom_where)
    ctx.root_witness = _point(ctx.num, _get(obj, "root_witness", list, where), ctx.n, "root_witness")
    if stream:
        ctx.complete, ctx.nodes = False, []  # the end line says (checked after the walk)
    else:
        ctx.complete = _get(obj, "complete", bool, where)
        ctx.nodes = _get(obj, "nodes", list, where)
    domain_witness(ctx)


def prepare(cert: Any, base_dir: Path, max_bytes: int = MAX_BYTES, stream: bool = False) -> Context:
    """Parse the header (format, version, claim, network, domain, root witness, nodes);
    with ``stream``, ``cert`` is the header line of a stream certificate."""
    ctx = Context()
    ctx.max_bytes = max_bytes
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
    ctx.claim = _get(cert, "claim", str, where)
    if stream and ctx.claim != "partition":
        raise CertificateMalformed("the stream form carries 'partition' claims only")
    if ctx.claim not in CLAIMS:
        raise CertificateMalformed(f"unknown claim {ctx.claim[:40]!r} (known: {', '.join(sorted(CLAIMS))})")
    fields(cert, "stream header" if stream else f"{ctx.claim} certificate", where)
    if ("network" in cert) == ("network_ref" in cert):
        raise CertificateMalformed("exactly one of 'network' and 'network_ref' must be present")
    if "network" in cert:
        net_obj = cert["network"]
    else:
        net_obj = network_hash(cert["network_ref"], base_dir, max_bytes)
    ctx.net = read_network(net_obj, "network")
    ctx.network_sha256 = canonical_sha256(net_obj)
    ctx.n = ctx.net.n_inputs
    if ctx.claim in CLAIMS_WITHOUT_TREE:  # the claim carries its own domains and trees
        return ctx
    if stream:
        ctx.stream_regions = _get(cert, "regions", bool, where)
    read_tree(ctx, cert, _get(cert, "domain", dict, where), where, stream)
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
        self.rank = -1  # ordinal of the current ReLU layer
        self.pre: list | None = None  # its pre-activation forms

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
    """A leaf (or open cell) of the tree as :func:`walk` yields it (a snapshot).

    Attributes: ``id``, ``node`` (the raw node object), ``rows`` (the cell rows as forms
    ``(v, d)`` meaning ``v/d . (x, 1) <= 0``), ``witness`` (a point strictly inside every
    row), ``is_open``, ``pattern`` (``'1'``/``'0'`` per unit, ``'*'`` if undecided in an
    open cell). ``output_forms()`` gives the network output's forms on the cell and
    ``layer_outputs()`` the output forms of every layer (only for leaves, not open cells).
    """

    __slots__ = ("id", "node", "rows", "witness", "is_open", "pattern", "_net", "_outs", "_pre",
                 "_bits", "_layers")

    def __init__(self, node_id: int, node: dict, path: _Path, witness: Point, is_open: bool) -> None:
        self.id, self.node, self.witness, self.is_open = node_id, node, witness, is_open
        self.rows = tuple(path.rows)
        self._bits = bytes(path.bits)
        self.pattern = self._bits.decode()
        self._net, self._outs, self._pre = path.net, list(path.outs), path.pre
        self._layers: list | None = None

    def layer_outputs(self) -> list:
        """Forms of the outputs of layers 0 (the input) .. L (the network output)."""
        if self.is_open:
            raise ValueError("an open cell has no complete activation pattern")
        if self._layers is None:
            self._layers = self._net.complete_outputs(self._outs, self._pre, self._bits)
        return self._layers

    def output_forms(self) -> list:
        """Forms of the network output on this leaf (``y_i = v_i/d_i . (x, 1)``)."""
        return self.layer_outputs()[-1]


def farkas_holds(rows: list[Form], sign: int, form: Form, y: list[tuple[int, int, int]]) -> bool:
    """Whether ``y`` proves ``sign * form <= 0`` on ``{x : rows <= 0}``.

    ``y`` holds triples ``(row, p, q)`` with ``p >= 0, q > 0`` (multiplier ``p/q``). The
    claim follows when ``sign*form - sum_i y_i row_i`` is a constant ``<= 0``: then
    ``sign*form(x) = sum_i y_i row_i(x) + constant <= 0`` wherever every ``row_i(x) <= 0``.
    """
    v, d = form
    M = math.lcm(d, *[q * rows[i][1] for i, _, q in y])
    k = sign * (M // d)
    acc = [k * c for c in v]
    for i, p, q in y:
        rv, rd = rows[i]
        c = p * (M // (q * rd))
        acc = [a - c * r for a, r in zip(acc, rv)]
    return acc[-1] <= 0 and not any(acc[:-1])


def _farkas_vector(num: Callable, raw: Any, nrows: int, rule: str, **where: Any) -> list:
    """Parse ``[[row, "p/q"], ...]``: rows must exist, multipliers be >= 0 (else ``rule``)."""
    if not isinstance(raw, list):
        raise CertificateMalformed("a Farkas vector must be a list of [row, value] pairs")
    y = []
    for item in raw:
        if not isinstance(item, list) or len(item) != 2 or type(item[0]) is not int:
            raise CertificateMalformed("a Farkas vector entry must be [row, 'p/q']")
        i = item[0]
        p, q = num(item[1])
        if not 0 <= i < nrows:
            raise _invalid(rule, f"Farkas vector uses row {i}, the cell has rows 0..{nrows - 1}", row=i, **where)
        if p < 0:
            raise _invalid(rule, f"negative Farkas multiplier {_fmt(p, q)} on row {i}", row=i, **where)
        if p:
            y.append((i, p, q))
    return y


def farkas_proves(num: Callable, rows: list[Form], sign: int, form: Form, raw: Any, rule: str,
                  **where: Any) -> bool:
    """:func:`_farkas_vector` and :func:`farkas_holds` in one pass (the hot path).

    Keeps ``acc / D = sign*form - sum_i y_i row_i`` exactly, ``D > 0`` a common multiple of
    the denominators seen (multiplied by a new one unless it already divides ``D``);
    rejects (with ``rule``) a missing row or a negative multiplier, the rejection's data
    being ``row`` and then ``where``.
    """
    try:
        return _farkas_proves(num, rows, sign, form, raw, rule)
    except CertificateInvalid as exc:
        exc.data.update(where)
        raise


def _farkas_proves(num: Callable, rows: list[Form], sign: int, form: Form, raw: Any, rule: str) -> bool:
    """:func:`farkas_proves` without the location data (a rejection's data is ``{"row": i}``);
    the caller adds its location to a raised :class:`CertificateInvalid` (no keyword dict is
    built per call on the hot path)."""
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
                raise _invalid(rule, f"Farkas vector uses row {i}, the cell has rows 0..{nrows - 1}", row=i)
            if p < 0:
                raise _invalid(rule, f"negative Farkas multiplier {_fmt(p, q)} on row {i}", row=i)
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
    return acc[-1] <= 0 and not any(acc[:-1])


def vertex_basis_proves(rows: list[Form], sign: int, form: Form, raw: list) -> bool:
    """The Farkas vector supported on two cell rows, recovered and tested (2-D cells).

    ``raw = [i, j]`` names rows ``R_i``, ``R_j`` (``<= 0`` on the cell). With ``f = sign *
    form``, the unique ``(y_i, y_j)`` with ``y_i a_i + y_j a_j = q`` (``q`` the coefficients
    of ``f``) comes from Cramer's rule; the vector proves ``f <= 0`` on the cell when
    ``y_i, y_j >= 0`` and the constant ``f - y_i R_i - y_j R_j`` is ``<= 0``
    (proofs/rules/stable-farkas.md). Only the numerators of the rows and of ``f`` are used:
    dividing each by its positive denominator rescales ``y_i``, ``y_j`` and the constant by
    positive factors, which keeps every sign.

    Rejections (rule ``stable-farkas``, data ``row``): a row out of range, the same row
    twice, parallel rows (no vertex), a negative multiplier. Returns False when the
    constant test fails.

    >>> box = [((1, 0, -1), 1), ((-1, 0, -1), 1), ((0, 1, -1), 1), ((0, -1, -1), 1)]
    >>> vertex_basis_proves(box, -1, ((1, 1, 2), 1), [1, 3])   # x + y + 2 >= 0 on [-1,1]^2
    True
    >>> vertex_basis_proves(box, -1, ((1, 1, 2), 1), [3, 1])   # the rows in either order
    True
    >>> vertex_basis_proves(box, -1, ((1, 1, 1), 1), [1, 3])   # x + y + 1 is -1 at (-1,-1)
    False
    """
    if len(raw) != 2 or type(raw[1]) is not int:
        raise CertificateMalformed("a vertex basis must be two row indices [i, j]")
    i, j = raw
    nrows = len(rows)
    for r in raw:
        if not 0 <= r < nrows:
            raise _invalid("stable-farkas", f"vertex basis uses row {r}, the cell has rows 0..{nrows - 1}", row=r)
    t0, t1, tc = _basis_target(form, sign)
    bd = _basis_data(rows, i, j)
    if bd is False:
        raise _invalid("stable-farkas", f"vertex basis rows {i} and {j} are parallel (or the same): no vertex",
                       row=j)
    a0, a1, ac, b0, b1, bc, det = bd  # type: ignore[misc]
    y0 = t0 * b1 - t1 * b0  # y_i * det
    y1 = a0 * t1 - a1 * t0  # y_j * det
    if y0 < 0 or y1 < 0:
        r = i if y0 < 0 else j
        raise _invalid("stable-farkas", f"the vertex basis [{i}, {j}] gives a negative multiplier on row {r}",
                       row=r)
    return det * tc - y0 * ac - y1 * bc <= 0


def _basis_target(form: Form, sign: int) -> tuple:
    """``sign * form``'s integer coefficients; a vertex basis is for two inputs only."""
    v = form[0]
    if len(v) != 3:
        raise CertificateMalformed(f"a vertex basis is for 2-input networks; this one has {len(v) - 1} inputs")
    return tuple([-c for c in v]) if sign < 0 else v


def stable_farkas(ctx: Context, rows: list[Form], form: Form, sign: str, raw: Any, node_id: int,
                  unit: int) -> None:
    """Rule ``stable-farkas``: ``[u, "+", y]`` proves ``z_u >= 0``, ``[u, "-", y]`` ``z_u <= 0``;
    ``y`` is a Farkas vector or, with two inputs, a vertex basis ``[i, j]``
    (:func:`vertex_basis_proves`)."""
    try:
        if type(raw) is list and raw and type(raw[0]) is int:
            proved = vertex_basis_proves(rows, -1 if sign == "+" else 1, form, raw)
        else:
            proved = _farkas_proves(ctx.num, rows, -1 if sign == "+" else 1, form, raw, "stable-farkas")
    except CertificateInvalid as exc:
        exc.data.update(node=node_id, unit=unit)
        raise
    if not proved:
        what = "z >= 0" if sign == "+" else "z <= 0"
        raise _invalid("stable-farkas", f"node {node_id}: the Farkas vector of unit {unit} does not prove {what} "
                       "(identity or constant fails)", node=node_id, unit=unit, sign=sign)


def decision_order(ctx: Context, path: _Path, u: Any, node_id: int) -> Form:
    """Rule ``decision-order`` for deciding unit ``u`` now; returns its pre-activation form."""
    net = ctx.net
    u = _int(u, "unit")
    if not 0 <= u < net.n_relu:
        raise _invalid("decision-order", f"node {node_id}: unit {u} does not exist (0..{net.n_relu - 1})",
                       node=node_id, unit=u)
    if path.bits[u] != 42:
        raise _invalid("decision-order", f"node {node_id}: unit {u} is decided twice on this path",
                       node=node_id, unit=u)
    r = net.unit_rank[u]
    if r != path.rank:
        if r < path.rank or len(path.trail) != net.relu_offset[r]:
            raise _invalid("decision-order", f"node {node_id}: unit {u} is decided before every unit of the earlier "
                           "ReLU layers is", node=node_id, unit=u)
        path.advance(r)
    return path.pre[u - net.relu_offset[r]]  # type: ignore[index]


def decision_order_leaf(ctx: Context, path: _Path, node_id: int) -> None:
    """Rule ``decision-order`` at a leaf: every unit is decided."""
    if len(path.trail) != ctx.net.n_relu:
        missing = path.bits.index(42)
        raise _invalid("decision-order", f"leaf {node_id} leaves unit {missing} undecided", node=node_id, unit=missing)


def split_witness(rows: list[Form], g: Form, wpos: Point, wneg: Point, own: Point, node_id: int,
                  unit: int) -> None:
    """Rule ``split-witness``: each witness is strictly inside every cell row, with ``z_w > 0``
    (``witness_pos``) or ``z_w < 0`` (``witness_neg``). A witness equal to the cell's own
    witness (already known to be strictly inside) only needs the sign test."""
    v = g[0]
    for name, pt, positive in (("witness_pos", wpos, True), ("witness_neg", wneg, False)):
        z = sum(map(mul, v, pt))
        if (z <= 0) if positive else (z >= 0):
            raise _invalid("split-witness", f"node {node_id}: {name} does not have z_{unit} "
                           f"{'>' if positive else '<'} 0", node=node_id, unit=unit, witness=name)
        if pt != own:
            vals = [sum(map(mul, r[0], pt)) for r in rows]
            if max(vals) >= 0:
                i = next(i for i, s in enumerate(vals) if s >= 0)
                raise _invalid("split-witness", f"node {node_id}: {name} is not strictly inside cell row {i}",
                               node=node_id, unit=unit, witness=name, row=i)


def tree_structure(ctx: Context, k: int, expected: int, parent: int | None, side: str | None) -> tuple:
    """Rule ``tree-structure`` for the node reached as ``k``: preorder position, id, parent,
    side; ``open`` only without a split and only in incomplete certificates."""
    if ctx.stream is not None:
        return _stream_node(ctx, k, expected, side)
    nodes = ctx.nodes
    if not nodes:
        raise _invalid("tree-structure", "the node list is empty")
    if k != expected or k >= len(nodes):
        what = "does not exist" if k >= len(nodes) else f"is not next in preorder (expected {expected})"
        raise _invalid("tree-structure", f"node {parent} points to child {k}, which {what}",
                       node=parent, child=k)
    node = nodes[k]
    where = f"node {k}"
    fields(node, "node", where)
    if _get(node, "id", int, where) != k:
        raise _invalid("tree-structure", f"nodes[{k}] has id {node['id']}", node=k)
    p = node.get("parent")
    if p != parent or (p is not None and type(p) is not int):
        raise _invalid("tree-structure", f"node {k}: parent is {str(p)[:20]}, the tree says {parent}", node=k)
    s = node.get("side")
    if s != side:
        raise _invalid("tree-structure", f"node {k}: side is {str(s)[:20]!r}, the tree says {side!r}", node=k)
    decisions = _get(node, "decisions", list, where)
    split = _get(node, "split", (dict, type(None)), where)
    if split is not None:
        fields(split, "split", f"{where}: split")
    is_open = node.get("open", False)
    if not isinstance(is_open, bool):
        raise CertificateMalformed(f"{where}: 'open' must be a boolean")
    if is_open and split is not None:
        raise _invalid("tree-structure", f"node {k} is open but has a split", node=k)
    if is_open and ctx.complete:
        raise _invalid("tree-structure", f"node {k} is open in a certificate that claims to be complete", node=k)
    return node, decisions, split, is_open


# ============================================================================ stream form
STREAM_FORMAT = "exactrelu-certificate-stream"


class _StreamReader:
    """The node lines of a stream certificate, read one at a time (see
    ``proofs/certificate-format.md``, "Stream form"): memory stays bounded by the path."""

    def __init__(self, lines: Iterator[str], name: str) -> None:
        self.lines, self.name, self.lineno = lines, name, 1

    def _next(self) -> Any:
        try:
            raw = next(self.lines)
        except StopIteration:
            raise CertificateMalformed(f"{self.name}: the stream is truncated (no end line): the run did not "
                                       "finish writing it") from None
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise CertificateMalformed(f"{self.name}: unreadable at line {self.lineno + 1} ({exc})") from None
        self.lineno += 1
        if not raw.endswith("\n"):
            raise CertificateMalformed(f"{self.name}: line {self.lineno} is cut short (no newline): truncated stream")
        try:
            return json.loads(raw, object_pairs_hook=_no_duplicate_keys)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            raise CertificateMalformed(f"{self.name}: line {self.lineno}: malformed JSON ({str(exc)[:200]})") from None

    def node(self, expected: int) -> dict:
        obj = self._next()
        if not isinstance(obj, dict):
            raise CertificateMalformed(f"{self.name}: line {self.lineno} is not a JSON object")
        if obj.get("end") is True:
            raise _invalid("tree-structure", f"the stream ends after {expected} nodes, but the tree needs more",
                           node=expected)
        return obj

    def end(self, nodes: int) -> dict:
        """The end line after the last node; the file must end there."""
        obj = self._next()
        if not isinstance(obj, dict) or obj.get("end") is not True:
            raise _invalid("tree-structure", f"node lines after the end of the tree (line {self.lineno})",
                           node=nodes)
        fields(obj, "stream end line", "end line")
        complete = _get(obj, "complete", bool, "end line")
        n = _int(_get(obj, "nodes", int, "end line"), "end line 'nodes'")
        _int(_get(obj, "leaves", int, "end line"), "end line 'leaves'")
        if n != nodes:
            raise _invalid("tree-structure", f"the end line counts {n} nodes, the tree has {nodes}", node=nodes)
        for extra in self.lines:
            if extra.strip():
                raise CertificateMalformed(f"{self.name}: data after the end line")
        return {"complete": complete, "nodes": n, "leaves": obj["leaves"]}


def _stream_node(ctx: Context, k: int, expected: int, side: str | None) -> tuple:
    """Rule ``tree-structure`` for the next node line of a stream (ids are implied)."""
    node = ctx.stream.node(expected)  # type: ignore[union-attr]
    where = f"node {expected}"
    fields(node, "stream node", where)
    s = node.get("side")
    if s != side:
        raise _invalid("tree-structure", f"node {expected}: side is {str(s)[:20]!r}, the tree says {side!r}",
                       node=expected)
    decisions = _get(node, "decisions", list, where)
    split = _get(node, "split", (dict, type(None)), where)
    if split is not None:
        fields(split, "stream split", f"{where}: split")
    is_open = node.get("open", False)
    if not isinstance(is_open, bool):
        raise CertificateMalformed(f"{where}: 'open' must be a boolean")
    if is_open and split is not None:
        raise _invalid("tree-structure", f"node {expected} is open but has a split", node=expected)
    if "region" in node and (is_open or split is not None):
        raise _invalid("region-list", f"node {expected} is not a leaf but has a region entry", node=expected)
    return node, decisions, split, is_open


def open_text_lines(path: Path, max_bytes: int = MAX_BYTES) -> Iterator[str]:
    """The text lines of a (possibly gzip-compressed) file, read lazily; more than
    ``max_bytes`` bytes in all (after decompression) are refused, without reading further."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    total = 0
    with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh2:
        while True:
            line = fh2.readline(max_bytes - total + 1)
            if not line:
                return
            total += len(line)
            if total > max_bytes:
                raise _too_big(path, max_bytes)
            yield line.decode("utf-8")


def is_stream(path: Path) -> bool:
    """Whether a certificate file is in stream form (its first line is a stream header)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(2)
        opener = gzip.open if raw == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError, zlib.error):
        return False
    return STREAM_FORMAT.encode() in head.split(b"\n", 1)[0][:4096]


def prepare_stream(path: Path, base_dir: Path, max_bytes: int = MAX_BYTES) -> Context:
    """Parse a stream certificate's header line; the nodes are read by :func:`walk`."""
    lines = open_text_lines(path, max_bytes)
    reader = _StreamReader(lines, path.name)
    reader.lineno = 0
    head = reader._next()
    if not isinstance(head, dict) or head.get("format") != STREAM_FORMAT:
        raise CertificateMalformed(f"'format' must be {STREAM_FORMAT!r} on the first line of a stream")
    ctx = prepare(head, base_dir, max_bytes, stream=True)
    ctx.stream = reader
    return ctx


def _decide(ctx: Context, path: _Path, decisions: Any, k: int) -> None:
    """Rules ``decision-order`` and ``stable-farkas`` for the decisions of node ``k``, in order.

    The common case is checked inline: a unit of the current ReLU layer, not decided yet,
    with a vertex basis whose test passes (the same test as :func:`vertex_basis_proves`;
    the 2x2 data of a basis is shared by the node's decisions). Anything else -- a unit of
    a later layer, a Farkas vector, a failing test -- goes through :func:`decision_order`
    and :func:`stable_farkas`, which decide it or give the rejection.
    """
    net, bits, trail, rows = ctx.net, path.bits, path.trail, path.rows
    n_relu, unit_rank, relu_offset = net.n_relu, net.unit_rank, net.relu_offset
    two = ctx.n == 2
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
        if two and type(y) is list and len(y) == 2 and type(y[0]) is int and type(y[1]) is int:
            key = (y[0], y[1])
            bd = bases.get(key)
            if bd is None:
                bd = bases[key] = _basis_data(rows, y[0], y[1])
            if bd is not False:
                a0, a1, ac, b0, b1, bc, det = bd
                t0, t1, tc = form[0]
                if s == "+":
                    t0, t1, tc = -t0, -t1, -tc
                y0 = t0 * b1 - t1 * b0
                y1 = a0 * t1 - a1 * t0
                if y0 >= 0 and y1 >= 0 and det * tc - y0 * ac - y1 * bc <= 0:
                    bits[u] = 49 if s == "+" else 48
                    trail.append(u)
                    continue
        stable_farkas(ctx, rows, form, s, y, k, u)
        bits[u] = 49 if s == "+" else 48
        trail.append(u)


def _basis_data(rows: list[Form], i: int, j: int) -> "tuple | bool":
    """``(a0, a1, ac, b0, b1, bc, det)`` for the vertex basis ``[i, j]``: with rows
    ``R_i = (A0, A1, ac)``, ``R_j = (B0, B1, bc)`` and ``D = A0 B1 - B0 A1``, ``det = |D|``
    and ``(a0, a1, b0, b1) = sign(D) (A0, A1, B0, B1)``, so that for a target ``(t0, t1, tc)``
    the Cramer multipliers times ``det`` are ``y_i = t0 b1 - t1 b0``, ``y_j = a0 t1 - a1 t0``
    and the constant times ``det`` is ``det tc - y_i ac - y_j bc``. False when a row is out
    of range or the rows are parallel (:func:`vertex_basis_proves` then rejects).
    """
    if not (0 <= i < len(rows) and 0 <= j < len(rows)):
        return False
    (A0, A1, ac), (B0, B1, bc) = rows[i][0], rows[j][0]
    D = A0 * B1 - B0 * A1
    if D > 0:
        return A0, A1, ac, B0, B1, bc, D
    if D < 0:
        return -A0, -A1, ac, -B0, -B1, bc, -D
    return False


def walk(ctx: Context) -> Iterator[Leaf]:
    """Check the splitting tree and yield each leaf and open cell, in preorder.

    Checks rules ``tree-structure``, ``decision-order``, ``stable-farkas`` and
    ``split-witness`` on every node; counts into ``ctx.counts``. The walk uses an explicit
    stack; the forms of a ReLU layer are computed once, at the cell where its first unit is
    decided, and shared by the whole subtree below.
    """
    path = _Path(ctx)
    num, counts = ctx.num, ctx.counts
    # stack entries: (node, parent, side, mark of the parent's state, unit, row, witness)
    stack: list[tuple] = [(0, None, None, path.mark(), None, None, ctx.root_witness)]
    expected = 0
    while stack:
        k, parent, side, mark, unit, row, own = stack.pop()
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
                _decide(ctx, path, decisions, k)
            counts["stable_decisions"] += len(decisions)
            if split is None:
                if not is_open:
                    decision_order_leaf(ctx, path, k)
                yield Leaf(k, node, path, own, is_open)
                continue
            w = split.get("unit")
            g = decision_order(ctx, path, w, k)
            if ctx.stream is None:
                pos = _int(split.get("pos"), f"node {k}: split 'pos'")
                neg = _int(split.get("neg"), f"node {k}: split 'neg'")
            else:  # implied by the preorder
                pos = neg = -1
            wpos = _point(num, split.get("witness_pos"), ctx.n, f"node {k}: witness_pos")
            wneg = _point(num, split.get("witness_neg"), ctx.n, f"node {k}: witness_neg")
        except CertificateMalformed as exc:
            raise CertificateMalformed(f"node {k}: {exc.message}") from None
        split_witness(path.rows, g, wpos, wneg, own, k, w)
        counts["splits"] += 1
        m = path.mark()
        v, d = g
        stack.append((neg, k, "-", m, w, g, wneg))  # row z_w <= 0
        stack.append((pos, k, "+", m, w, (tuple([-c for c in v]), d), wpos))  # row -z_w <= 0
    if ctx.stream is not None:
        ctx.trailer = ctx.stream.end(expected)
    elif expected != len(ctx.nodes):
        raise _invalid("tree-structure", f"nodes {expected}..{len(ctx.nodes) - 1} are not reachable from the root",
                       node=expected)
    counts["nodes"] = expected


# ============================================================================ partition
def region_pattern(entry: dict, leaf: Leaf) -> None:
    """Rule ``region-pattern``: the claimed pattern is the path's bits."""
    pat = _get(entry, "pattern", str, f"region of node {leaf.id}")
    if pat != leaf.pattern:
        raise _invalid("region-pattern", f"region of leaf {leaf.id} claims pattern {pat[:200]!r}, "
                       f"the path gives {leaf.pattern[:200]!r}", node=leaf.id)


def region_map(ctx: Context, entry: dict, leaf: Leaf) -> None:
    """Rule ``region-map``: the claimed ``y = C x + d`` is the recomputed output map."""
    where = f"region of node {leaf.id}"
    C = _get(entry, "C", list, where)
    dvec = _get(entry, "d", list, where)
    m, n, num = ctx.net.n_outputs, ctx.n, ctx.num
    if len(C) != m or len(dvec) != m:
        raise CertificateMalformed(f"{where}: C and d need {m} rows (the network has {m} outputs)")
    for i, ((v, den), row) in enumerate(zip(leaf.output_forms(), C)):
        if not isinstance(row, list) or len(row) != n:
            raise CertificateMalformed(f"{where}: each row of C needs {n} numbers")
        for c, s in enumerate(row + [dvec[i]]):
            p, q = num(s)
            if p * den != v[c] * q:
                what = f"C[{i}][{c}]" if c < n else f"d[{i}]"
                raise _invalid("region-map", f"region of leaf {leaf.id}: {what} is {_fmt(p, q)}, "
                               f"the network gives {_fmt(*_reduced(v[c], den))}", node=leaf.id, output=i, column=c)


def _reduced(p: int, q: int) -> tuple[int, int]:
    g = math.gcd(p, q)
    return p // g, q // g


def region_list(ctx: Context, regions: dict | None, node_id: int | None = None) -> dict | None:
    """Rule ``region-list``: one region per leaf and none for anything else.

    With ``node_id`` None: index the ``regions`` list (refusing duplicates); otherwise
    ``regions`` is that index and the entry for leaf ``node_id`` is taken out of it."""
    if node_id is not None:
        if regions is None:
            return None
        entry = regions.pop(node_id, None)
        if entry is None:
            raise _invalid("region-list", f"leaf {node_id} has no region entry", node=node_id)
        return entry
    raw = ctx.tree.get("regions")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise CertificateMalformed("'regions' must be a list")
    index: dict = {}
    for i, entry in enumerate(raw):
        fields(entry, "region", f"region entry {i}")
        k = _int(_get(entry, "node", int, "region"), "region node")
        if k in index:
            raise _invalid("region-list", f"two region entries for node {k}", node=k)
        index[k] = entry
    return index


class _Adjacency:
    __slots__ = ("i", "a", "b", "h", "w", "units")

    def __init__(self, i: int, a: int, b: int, h: tuple, w: Point, units: list) -> None:
        self.i, self.a, self.b, self.h, self.w, self.units = i, a, b, h, w, units

    def where(self) -> str:
        """The entry's name in rejection messages (built only when one is raised)."""
        return f"adjacency entry {self.i} ({self.a}, {self.b})"


def _parse_adjacency(ctx: Context) -> list[_Adjacency]:
    raw = ctx.tree.get("adjacency", [])
    if not isinstance(raw, list):
        raise CertificateMalformed("'adjacency' must be a list")
    out = []
    seen: set = set()
    for i, e in enumerate(raw):
        where = f"adjacency entry {i}"
        fields(e, "adjacency entry", where)
        a = _get(e, "a", int, where)
        b = _get(e, "b", int, where)
        h, _ = _vector(ctx.num, _get(e, "hyperplane", list, where), ctx.n + 1, f"{where}: hyperplane")
        w = _point(ctx.num, _get(e, "witness", list, where), ctx.n, f"{where}: witness")
        units = _get(e, "units", list, where)
        for u in units:
            _int(u, f"{where}: units")
        if a == b:
            raise _invalid("adjacency", f"{where} joins leaf {a} to itself", entry=i)
        if not any(h[:-1]):
            raise _invalid("adjacency", f"{where}: the hyperplane has c = 0", entry=i)
        pair = (a, b) if a < b else (b, a)
        if pair in seen:  # one entry per pair: the reported count is the number of adjacent pairs
            raise _invalid("adjacency", f"{where}: the pair ({a}, {b}) is listed twice", entry=i)
        seen.add(pair)
        out.append(_Adjacency(i, a, b, h, w, units))
    return out


def _differ_exactly_at(units: list[int], pa: str, pb: str) -> bool:
    """Whether the sorted list ``units`` is exactly the list of positions where the full
    (``'0'``/``'1'``) patterns ``pa`` and ``pb`` differ.

    With ``x`` the XOR of the patterns read as binary numbers (position ``u`` is bit
    ``L - 1 - u``): ``units`` must be strictly increasing, in ``0 .. L-1``, each a set bit
    of ``x``, and as many as ``x`` has set bits; a strictly increasing list of that many
    differing positions is the list of all of them.

    >>> _differ_exactly_at([1, 3], "0110", "0011"), _differ_exactly_at([1], "0110", "0011")
    (True, False)
    """
    L = len(pa)
    x = int(pa, 2) ^ int(pb, 2) if L else 0  # (a network without ReLU units has empty patterns)
    if x.bit_count() != len(units) or any(a >= b for a, b in zip(units, units[1:])):
        return False
    return all(0 <= u < L and x >> (L - 1 - u) & 1 for u in units)


def _first_bad_row(vals: list[int], rows: tuple, h: tuple) -> tuple[int, bool] | None:
    """The first row ``r`` (in row order) that the witness violates (``vals[r] > 0``:
    ``(r, True)``) or makes tight without being a multiple of the hyperplane ``h``
    (``vals[r] == 0``: ``(r, False)``); None if there is none. ``vals[r]`` is row ``r``
    at the witness. Only the tight rows before the first violated one are compared with
    ``h``, found by C-level searches of ``vals``."""
    stop = len(vals)
    if vals and max(vals) > 0:
        stop = next(r for r, v in enumerate(vals) if v > 0)
    j = next(c for c, hc in enumerate(h) if hc)
    hj = h[j]
    r = -1
    while 0 in vals[r + 1:stop]:
        r = vals.index(0, r + 1, stop)
        rv = rows[r][0]
        rj = rv[j]
        if any(x * hj != rj * hc for x, hc in zip(rv, h)):
            return r, False
    return (stop, True) if stop < len(vals) else None


def adjacency(ctx: Context, e: _Adjacency, leaf: Leaf | None = None, patterns: dict | None = None) -> None:
    """Rule ``adjacency``.

    With ``leaf``: the half of entry ``e`` about that leaf: the witness is on the
    hyperplane, satisfies every row of the leaf, and every row tight there is a multiple of
    the hyperplane. With ``patterns`` (after the walk): both ends are leaves and ``units``
    lists exactly the units whose bits differ."""
    h, w = e.h, e.w
    if leaf is not None:
        if sum(map(mul, h, w)) != 0:
            raise _invalid("adjacency", f"{e.where()}: the witness is not on the hyperplane", entry=e.i)
        bad = _first_bad_row([sum(map(mul, rv, w)) for rv, _ in leaf.rows], leaf.rows, h)
        if bad is not None:
            r, violated = bad
            msg = (f"the witness violates row {r} of leaf {leaf.id}" if violated else
                   f"row {r} of leaf {leaf.id} is tight at the witness but not a multiple of the hyperplane")
            raise _invalid("adjacency", f"{e.where()}: {msg}", entry=e.i, node=leaf.id, row=r)
        return
    assert patterns is not None
    for end in (e.a, e.b):
        if end not in patterns:
            raise _invalid("adjacency", f"{e.where()}: node {end} is not a leaf", entry=e.i, node=end)
    pa, pb = patterns[e.a], patterns[e.b]
    if not _differ_exactly_at(sorted(e.units), pa, pb):
        diff = [u for u, (x, y) in enumerate(zip(pa, pb)) if x != y]
        raise _invalid("adjacency", f"{e.where()}: 'units' is {e.units[:50]}, the patterns differ in {diff[:50]}",
                       entry=e.i)


def partition_leaves(ctx: Context) -> Iterator[Leaf]:
    """:func:`walk`, plus the region and adjacency lists of the tree (rules
    ``region-list``, ``region-pattern``, ``region-map``, ``adjacency``): yields every leaf
    and open cell (a leaf after its region entry and adjacency halves are checked) and,
    once the walk is over, checks what is left (region entries of non-leaves, the
    adjacency patterns, the stream's end line, ``complete`` against the open cells).
    Counts leaves, open cells and adjacency pairs into ``ctx.counts``. Every claim with a
    tree walks it through here, so a region or adjacency entry is verified in every claim.
    """
    stream = ctx.stream is not None
    regions = None if stream else region_list(ctx, None)
    adj = [] if stream else _parse_adjacency(ctx)
    at: dict[int, list[_Adjacency]] = {}
    for e in adj:
        at.setdefault(e.a, []).append(e)
        at.setdefault(e.b, []).append(e)
    patterns: dict[int, str] = {}
    counts = ctx.counts
    for leaf in walk(ctx):
        if leaf.is_open:
            counts["open_nodes"] += 1
            yield leaf
            continue
        counts["leaves"] += 1
        if stream:
            entry = leaf.node.get("region")
            if entry is None and ctx.stream_regions:
                raise _invalid("region-list", f"leaf {leaf.id} has no region entry", node=leaf.id)
            if entry is not None:
                fields(entry, "stream region", f"region of node {leaf.id}")
        else:
            entry = region_list(ctx, regions, leaf.id)
        if entry is not None:
            region_pattern(entry, leaf)
            region_map(ctx, entry, leaf)
        if leaf.id in at:
            patterns[leaf.id] = leaf.pattern
            for e in at[leaf.id]:
                adjacency(ctx, e, leaf=leaf)
        yield leaf
    if stream:
        end = ctx.trailer or {}
        ctx.complete = end["complete"]
        if end["leaves"] != counts["leaves"]:
            raise _invalid("tree-structure", f"the end line counts {end['leaves']} leaves, the tree has "
                           f"{counts['leaves']}")
        if ctx.complete and counts["open_nodes"]:
            raise _invalid("tree-structure", f"the stream claims to be complete but has {counts['open_nodes']} "
                           "open nodes")
    if not ctx.complete and not counts["open_nodes"]:
        raise _invalid("tree-structure", "the certificate says it is incomplete, but no node is open")
    if regions:
        k = min(regions)
        raise _invalid("region-list", f"region entry for node {k}, which is not a leaf", node=k)
    for e in adj:
        adjacency(ctx, e, patterns=patterns)
    counts["adjacency_pairs"] = len(adj)


def check_partition(ctx: Context) -> dict:
    """The ``partition`` claim: every rule of the tree, the regions and the adjacency."""
    for _ in partition_leaves(ctx):
        pass
    return ctx.counts


CLAIMS: dict[str, Callable[[Context], dict]] = {"partition": check_partition}
# claims whose certificate has no top-level domain/tree (they check sub-partitions themselves)
CLAIMS_WITHOUT_TREE: set[str] = {"property", "counterexample"}


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

    @property
    def regions(self) -> int:
        return self.leaves

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        what = "complete" if self.complete else "partial (incomplete)"
        opened = f", {self.open_nodes} open cells" if self.open_nodes else ""
        return (f"valid: {what} {self.claim}: {self.leaves} regions{opened}, {self.nodes} nodes, "
                f"{self.stable_decisions} stable decisions, {self.splits} splits, "
                f"{self.adjacency_pairs} adjacency pairs; network sha256 {self.network_sha256[:16]}; "
                f"{self.seconds:.3f} s")


def check_certificate(cert: Any, base_dir: Any = None, *, max_bytes: int = MAX_BYTES) -> CheckReport:
    """Check a certificate (a dict, or a path to ``.json`` / ``.json.gz``).

    Returns a :class:`CheckReport`; raises :class:`CertificateInvalid` (a rule fails) or
    :class:`CertificateMalformed` (not a usable certificate). ``network_ref`` paths are
    relative to ``base_dir`` (default: the certificate file's directory, or the current
    directory for a dict). A file (certificate or referenced network) of more than
    ``max_bytes`` bytes after decompression (default :data:`MAX_BYTES`, 4 GiB) is refused
    without reading further.
    """
    t0 = time.perf_counter()
    try:
        if isinstance(cert, (str, PathLike)) and is_stream(Path(cert)):
            ctx = prepare_stream(Path(cert), Path(base_dir) if base_dir is not None else Path(cert).parent,
                                 max_bytes)
        else:
            obj, base = load_certificate(cert, base_dir, max_bytes)
            ctx = prepare(obj, base, max_bytes)
        counts = CLAIMS[ctx.claim](ctx)
    except CheckerError:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError, RecursionError) as exc:
        # Fail safe: a structure the explicit checks did not anticipate is never accepted.
        raise CertificateMalformed(f"malformed certificate ({type(exc).__name__}: {str(exc)[:200]})") from exc
    return CheckReport(True, ctx.claim, ctx.complete, counts["nodes"], counts["leaves"], counts["open_nodes"],
                       counts["adjacency_pairs"], counts["stable_decisions"], counts["splits"],
                       time.perf_counter() - t0, ctx.network_sha256, ctx.n, ctx.net.n_relu)
