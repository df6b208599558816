"""The checker's own reader of exactrelu-network JSON and its exact affine-map arithmetic.

Standard library only; nothing here comes from the rest of exactrelu.

Network JSON (version 1, see ``exactrelu/io/native_json.py``)::

    {"format": "exactrelu-network", "version": 1, "inputs": n,
     "layers": [{"activation": "relu" | "identity", "bias": [...],
                 "inputs": [{"source": s, "weight": [[...], ...]}, ...]}, ...]}

Numbers are JSON integers or strings (``"p/q"``, ``"p"``, decimals such as ``"-0.25"`` or
``"1e-3"``; at most :data:`MAX_NUMBER_CHARS` characters, a decimal exponent at most
:data:`MAX_EXPONENT`), all read exactly; JSON floats are refused. Source 0 is the input
``x``, source ``k >= 1`` the output of layer ``k < the reading layer``. The optional names
(``name``, ``input_names``, ``output_names``, a layer's ``name``) do not enter the
arithmetic; they are checked to be strings (one per input, resp. output) and are part of
the hashed network object (the report's ``network_sha256``).

Affine forms
------------
An affine function ``g.x + g0`` of the input is a *form* ``(v, d)``: ``v`` a tuple of
``n + 1`` Python ints (the coefficients of ``x``, then the constant) and ``d > 0`` an int,
meaning ``v / d``. Only ``int`` arithmetic is used on forms: no Fraction in inner loops.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from fractions import Fraction
from itertools import chain
from operator import mul
from typing import Any, Callable

__all__ = ["NetworkFormatError", "Network", "parse_network", "canonical_sha256", "parse_int",
           "input_forms", "reduce_form", "evaluate", "MAX_NUMBER_CHARS", "MAX_EXPONENT"]


class NetworkFormatError(ValueError):
    """The network JSON is not a valid exactrelu network."""


# ----------------------------------------------------------------------------- numbers
_INT_CHUNK = 4000  # below CPython's default int/str conversion limit (4300 digits)


def parse_int(digits: str) -> int:
    """``int(digits)`` for a validated ASCII ``[+-]?[0-9]+`` string of any length."""
    if len(digits) <= _INT_CHUNK:
        return int(digits)
    sign = -1 if digits[0] == "-" else 1
    body = digits.lstrip("+-")

    def conv(s: str) -> int:
        if len(s) <= _INT_CHUNK:
            return int(s)
        h = len(s) // 2
        return conv(s[:-h]) * 10 ** h + conv(s[-h:])

    return sign * conv(body)


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
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------- forms
def reduce_form(v: "list[int] | tuple[int, ...]", d: int) -> tuple[tuple[int, ...], int]:
    """``(v, d)`` divided by the gcd of all its entries (``d > 0`` is kept positive)."""
    g = math.gcd(d, *v)
    if g > 1:
        return tuple([c // g for c in v]), d // g
    return tuple(v), d


def reduce_layer(cols: list[list[int]], L: int) -> list[tuple[tuple[int, ...], int]]:
    """Forms ``(v_i, L')`` of a layer from its coefficient columns ``cols`` (``cols[c][i]`` is
    coefficient ``c`` of unit ``i``) over the common denominator ``L > 0``, all divided by the
    gcd of ``L`` and every entry.

    >>> reduce_layer([[2, 4], [6, 0]], 8)
    [((1, 3), 4), ((2, 0), 4)]
    """
    g = math.gcd(L, *chain.from_iterable(cols))
    if g > 1:
        cols = [[v // g for v in col] for col in cols]
        L //= g
    return [(v, L) for v in zip(*cols)]


def input_forms(n: int) -> list[tuple[tuple[int, ...], int]]:
    """The forms of the inputs ``x_0 .. x_{n-1}``."""
    return [(tuple(1 if c == i else 0 for c in range(n + 1)), 1) for i in range(n)]


def unpack_digits(x: int, offset: int, B: int, count: int) -> list[int]:
    """The digits ``d_0 .. d_{count-1}`` of ``x = sum_i d_i 2^(iB)``, given ``|d_i| < 2^(B-1)``
    for every ``i``, ``B`` a multiple of 8 and ``offset = sum_i 2^(B-1) 2^(iB)``.

    Exact: ``x + offset = sum_i (d_i + 2^(B-1)) 2^(iB)`` with every ``d_i + 2^(B-1)`` in
    ``[0, 2^B)``, so these are its base-``2^B`` digits (unique), read off its bytes.

    >>> unpack_digits(5 - 3 * 2**8 + 0 * 2**16, 2**7 + 2**15 + 2**23, 8, 3)
    [5, -3, 0]
    """
    nb = B // 8
    raw = (x + offset).to_bytes(nb * count, "little")
    half = 1 << (B - 1)
    return [int.from_bytes(raw[k:k + nb], "little") - half for k in range(0, nb * count, nb)]


class Layer:
    """One layer, compiled: per unit the integer weights over the concatenated sources."""

    __slots__ = ("activation", "sources", "width", "units", "E", "common", "wbits", "_packed")

    def __init__(self, activation: str, sources: list[int], width: int,
                 units: list[tuple[tuple[int, ...], int, int]]) -> None:
        self.activation = activation
        self.sources = sources  # source indices, in the order the weights are concatenated
        self.width = width
        self.units = units  # (integer weights w, integer bias c, denominator e): z = (w.h + c) / e
        self.E = math.lcm(*[e for _, _, e in units]) if units else 1  # the layer's common denominator
        # the same units over E: z = (w'.h + c') / E
        self.common = [(tuple([x * (self.E // e) for x in w]), c * (self.E // e)) for w, c, e in units]
        self.wbits = max((abs(x).bit_length() for w, _ in self.common for x in w), default=0)  # |w'| < 2^wbits
        self._packed: dict[int, tuple[list[int], int]] = {}

    def packed_weights(self, B: int) -> tuple[list[int], int]:
        """Per input ``j`` the integer ``sum_i w_ij 2^(iB)`` (unit ``i``'s weight as digit
        ``i``), and the offset ``sum_i 2^(B-1) 2^(iB)`` for :func:`unpack_digits`; cached per ``B``."""
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
        """``[[w_i . col for every unit i] for col in cols]``, ``w_i`` being unit ``i``'s weights
        on the inputs ``idx`` (``col[t]`` goes with input ``idx[t]``).

        One sum per column: the weights of all units are packed into one integer per input
        (digit ``i`` = unit ``i``) with ``B - 1 >= bits(len(idx)) + wbits + bits(max |col|)``,
        so every exact dot product satisfies ``|w_i . col| < 2^(B-1)`` and its digit is
        recovered exactly by :func:`unpack_digits`.

        >>> lay = Layer("relu", [0], 2, [((3, -1), 0, 1), ((-2, 5), 0, 1)])
        >>> lay.dot_columns([0, 1], [(7, 4), (-1, 0)])
        [[17, 6], [-3, 2]]
        """
        if self.width == 1:  # one unit: digit 0 alone, its weights are the packed integers
            w = self.common[0][0]
            live = [w[j] for j in idx]
            return [[sum(map(mul, col, live))] for col in cols]
        cbits = max(map(abs, chain.from_iterable(cols))).bit_length()
        B = -(-(len(idx).bit_length() + self.wbits + cbits + 1) // 8) * 8
        packed, offset = self.packed_weights(B)
        live = [packed[j] for j in idx]
        return [unpack_digits(sum(map(mul, col, live)), offset, B, self.width) for col in cols]


class Network:
    """A parsed network: ``layers[k - 1]`` is layer ``k``; ReLU units numbered in order."""

    def __init__(self, n_inputs: int, layers: list[Layer]) -> None:
        self.n_inputs = n_inputs
        self.layers = layers
        self.relu_layers = [k for k, lay in enumerate(layers, start=1) if lay.activation == "relu"]
        self.relu_offset = []  # per ReLU-layer ordinal: number of ReLU units before it
        self.unit_rank = []  # per unit: the ordinal of its ReLU layer
        off = 0
        for r, k in enumerate(self.relu_layers):
            self.relu_offset.append(off)
            w = layers[k - 1].width
            self.unit_rank.extend([r] * w)
            off += w
        self.relu_offset.append(off)
        self.n_relu = off
        self.n_outputs = layers[-1].width
        self.zero = (tuple([0] * (n_inputs + 1)), 1)  # the output form of an inactive unit

    # The walk keeps ``outs``: outs[0] = input forms, outs[k] = forms of layer k's output.
    def layer_pre(self, k: int, outs: list) -> list[tuple[tuple[int, ...], int]]:
        """Pre-activation forms of layer ``k`` given the output forms of all earlier layers.

        Inputs that are the zero form (inactive units) are skipped. With ``D`` the lcm of the
        live inputs' denominators, unit ``i`` gets ``(w_i . cols + c_i D) / (E D)``, where
        ``(w_i, c_i)`` are its weights and bias over the layer's common denominator ``E``
        and ``cols`` are the live inputs' coefficient columns over ``D`` (the dot products of
        a column with every unit's weights are one packed sum, :meth:`Layer.dot_columns`).
        All the layer's forms share one denominator, divided with them by the gcd of all
        their entries (so the next layer usually needs no rescaling)."""
        lay = self.layers[k - 1]
        zero = self.zero
        srcs = lay.sources
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
        """Output forms of a ReLU layer: the pre-activation where the bit is ``b'1'``, else
        the shared zero form ``self.zero``."""
        zero = self.zero
        return [f if bits[offset + j] == 49 else zero for j, f in enumerate(pre)]

    def complete_outputs(self, outs: list, pre: list | None, bits: bytes) -> list:
        """The output forms of every layer ``0 .. L`` once every ReLU unit has its bit.

        ``outs`` holds the outputs of layers ``0 .. t-1`` (it is not modified); ``pre`` the
        pre-activations of layer ``t`` (a ReLU layer), or None if no ReLU layer was reached.
        """
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


# ----------------------------------------------------------------------------- parsing
def _field(d: dict, key: str, where: str) -> object:
    if key not in d:
        raise NetworkFormatError(f"{where}: missing {key!r}")
    return d[key]


def _names(d: dict, key: str, count: int, where: str) -> None:
    """An optional list of ``count`` name strings (``input_names``, ``output_names``)."""
    if key in d:
        v = d[key]
        if not isinstance(v, list) or len(v) != count or not all(isinstance(x, str) for x in v):
            raise NetworkFormatError(f"{where}: {key!r} must be a list of {count} strings")


def _name(d: dict, where: str) -> None:
    if "name" in d and not isinstance(d["name"], str):
        raise NetworkFormatError(f"{where}: 'name' must be a string")


def parse_network(d: object, fields: "Callable[[Any, str, str], Any] | None" = None) -> Network:
    """Validate and compile a native network object (raises NetworkFormatError).

    ``fields(obj, kind, where)``, if given, is called on the network, each layer and each
    layer input (kinds ``"network"``, ``"network layer"``, ``"network layer input"``): the
    certificate checker's schema check (:func:`exactrelu.checker.core.fields`).
    """
    if not isinstance(d, dict):
        raise NetworkFormatError("network: expected a JSON object")
    if fields is not None:
        fields(d, "network", "network")
    if d.get("format") != "exactrelu-network":
        raise NetworkFormatError("network: 'format' is not 'exactrelu-network'")
    if type(d.get("version")) is not int or d.get("version") != 1:
        raise NetworkFormatError("network: unsupported version (this checker reads version 1)")
    _name(d, "network")
    n = _field(d, "inputs", "network")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise NetworkFormatError("network: 'inputs' must be a positive integer")
    raw = _field(d, "layers", "network")
    if not isinstance(raw, list) or not raw:
        raise NetworkFormatError("network: 'layers' must be a non-empty list")
    widths = [n]
    layers = []
    for k, ld in enumerate(raw, start=1):
        where = f"network layer {k}"
        if not isinstance(ld, dict):
            raise NetworkFormatError(f"{where}: expected an object")
        if fields is not None:
            fields(ld, "network layer", where)
        _name(ld, where)
        act = _field(ld, "activation", where)
        if not isinstance(act, str) or act.lower() not in ("relu", "identity"):
            raise NetworkFormatError(f"{where}: activation must be 'relu' or 'identity'")
        bias = _field(ld, "bias", where)
        if not isinstance(bias, list) or not bias:
            raise NetworkFormatError(f"{where}: 'bias' must be a non-empty list")
        b = [network_number(v, f"{where} bias") for v in bias]
        ins = _field(ld, "inputs", where)
        if not isinstance(ins, list) or not ins:
            raise NetworkFormatError(f"{where}: 'inputs' must be a non-empty list")
        sources: list[int] = []
        mats = []
        for item in ins:
            if not isinstance(item, dict):
                raise NetworkFormatError(f"{where}: each input must be an object")
            if fields is not None:
                fields(item, "network layer input", f"{where} input")
            s = _field(item, "source", where)
            if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < k:
                raise NetworkFormatError(f"{where}: source must be an integer in 0..{k - 1}")
            if s in sources:
                raise NetworkFormatError(f"{where}: source {s} appears twice")
            w = _field(item, "weight", where)
            if not isinstance(w, list) or len(w) != len(b):
                raise NetworkFormatError(f"{where}: weight from source {s} needs {len(b)} rows")
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
