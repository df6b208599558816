"""Exact reader of the ACAS Xu ``.nnet`` text format (Julian et al.).

Layout (numbers separated by commas, trailing commas allowed, ``//`` comment lines first)::

    // comments
    L, n_in, n_out, max_width,          # L = number of weight layers
    n_in, w_1, ..., w_{L-1}, n_out,     # L + 1 layer sizes
    0,                                  # unused flag
    min_1, ..., min_n_in,               # input minima
    max_1, ..., max_n_in,               # input maxima
    mean_1, ..., mean_n_in, mean_out,   # normalisation means (last: outputs)
    range_1, ..., range_n_in, range_out,
    then for each layer: its weight matrix row by row (one row per line), then its biases

Every decimal parses exactly (``"0.1"`` is 1/10).  The network of the file computes
``y = range_out * N((clip(x) - mean) / range) + mean_out`` where ``N`` is the ReLU MLP.
exactrelu represents:

* the input normalisation ``x' = (x - mean) / range`` exactly, by default as a separate
  identity first layer (``input_normalization="layer"``), or folded into the first ReLU
  layer (``"fold"``), or not at all (``"none"``: the network takes normalised inputs, as
  the VNN-COMP ONNX versions of ACAS Xu do);
* the output scaling ``y * range_out + mean_out`` exactly, merged into the last layer
  (``scale_outputs=True``, the default);
* **not** the input clipping to ``[min, max]`` (clipping is piecewise linear but it is a
  property of the domain, not of the network): :func:`load_nnet_with_domain` returns the
  box ``[min, max]`` (in the coordinates the network takes) to use as the domain.

Examples
--------
>>> text = '''// tiny
... 2,1,1,2,
... 1,2,1,
... 0,
... -1,
... 1,
... 0.5,0,
... 2,10,
... 1,
... -1,
... 0,
... 0,
... 1,1,
... 0.1,
... '''
>>> net, lo, hi = nnet_from_text(text, with_domain=True)
>>> net.describe()["relu_layers"], lo, hi
([2], (Fraction(-1, 1),), (Fraction(1, 1),))
>>> [str(v) for v in evaluate(net, ["3/2"])]  # x' = 1/2, N = 1/2, y = 10*(1/2 + 1/10)
['6']
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import ModelError, ModelFormatError, NumberError
from ..model.network import Activation, Layer, Network
from ..numbers.rationals import clip_text, to_rational

__all__ = ["NNetFile", "read_nnet", "parse_nnet", "nnet_from_text", "load_nnet", "load_nnet_with_domain"]

_ZERO = Fraction(0)
_ONE = Fraction(1)


class NNetFile:
    """The raw, exact content of an ``.nnet`` file.

    Attributes
    ----------
    sizes : list of int
        Layer sizes including input and output.
    weights : list of list of list of Fraction
        ``weights[k][i][j]``: layer ``k``, output unit ``i``, input ``j``.
    biases : list of list of Fraction
    mins, maxes : list of Fraction
        Input clipping box (raw coordinates).
    means, ranges : list of Fraction
        ``n_in + 1`` entries each; the last is for the outputs.
    """

    def __init__(self, sizes: list[int], weights: list, biases: list, mins: list, maxes: list,
                 means: list, ranges: list, name: str = "") -> None:
        self.sizes = sizes
        self.weights = weights
        self.biases = biases
        self.mins = mins
        self.maxes = maxes
        self.means = means
        self.ranges = ranges
        self.name = name

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    def to_network(self, input_normalization: str = "layer", scale_outputs: bool = True) -> Network:
        """The exact network (see the module docstring for the options)."""
        return self.to_network_with_domain(input_normalization, scale_outputs)[0]

    def to_network_with_domain(self, input_normalization: str = "layer", scale_outputs: bool = True
                               ) -> tuple[Network, tuple[Fraction, ...], tuple[Fraction, ...]]:
        """The network and the input box ``[min, max]`` in the network's input coordinates."""
        if input_normalization not in ("layer", "fold", "none"):
            raise ModelError("input_normalization must be 'layer', 'fold' or 'none'")
        n = self.n_inputs
        mean, rng = self.means[:n], self.ranges[:n]
        inv = [1 / r for r in rng]
        weights = [list(map(list, w)) for w in self.weights]
        biases = [list(b) for b in self.biases]
        if input_normalization == "fold":
            w0 = weights[0]
            biases[0] = [b - sum(w0[i][j] * inv[j] * mean[j] for j in range(n)) for i, b in enumerate(biases[0])]
            weights[0] = [[row[j] * inv[j] for j in range(n)] for row in w0]
        if scale_outputs:
            ro, mo = self.ranges[-1], self.means[-1]
            weights[-1] = [[v * ro for v in row] for row in weights[-1]]
            biases[-1] = [b * ro + mo for b in biases[-1]]
        layers = []
        if input_normalization == "layer":
            eye = tuple(tuple(inv[i] if i == j else _ZERO for j in range(n)) for i in range(n))
            layers.append(Layer(((0, eye),), tuple(-inv[i] * mean[i] for i in range(n)), Activation.IDENTITY,
                                "input_normalization"))
        off = len(layers)
        L = len(weights)
        for k in range(L):
            act = Activation.RELU if k < L - 1 else Activation.IDENTITY
            w = tuple(tuple(row) for row in weights[k])
            layers.append(Layer(((k + off, w),), tuple(biases[k]), act, f"layer{k + 1}"))
        try:
            net = Network(n, tuple(layers), name=self.name)
        except ModelError as exc:
            raise ModelFormatError(f"inconsistent .nnet file: {exc}") from exc
        if input_normalization == "none":
            lo = tuple((a - m) * i for a, m, i in zip(self.mins, mean, inv))
            hi = tuple((b - m) * i for b, m, i in zip(self.maxes, mean, inv))
        else:
            lo, hi = tuple(self.mins), tuple(self.maxes)
        return net, lo, hi


def _why(token: str, exc: Exception) -> str:
    """``'abc'`` for junk, ``'1e999999999' (decimal exponent ... beyond the limit ...)`` otherwise."""
    msg = str(exc)
    return clip_text(token) if msg.startswith("malformed number") else f"{clip_text(token)} ({msg})"


def _token_rows(text: str, where: str) -> list[tuple[int, list[str]]]:
    """``(line number, comma-separated tokens)`` of every line that is not blank or a comment."""
    rows: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("//"):
            continue
        toks = [t.strip() for t in s.split(",")]
        while toks and toks[-1] == "":
            toks.pop()
        if any(t == "" for t in toks):
            raise ModelFormatError(f"{where}:{lineno}: empty number between commas")
        rows.append((lineno, toks))
    return rows


def parse_nnet(text: str, name: str = "", where: str = ".nnet") -> NNetFile:
    """Parse the text of an ``.nnet`` file exactly (raises ModelFormatError)."""
    rows = _token_rows(text, where)
    pos = 0

    def take(count: int | None, what: str, kind: str = "number") -> list:
        nonlocal pos
        if pos >= len(rows):
            raise ModelFormatError(f"{where}: file ends before the {what} (truncated?)")
        lineno, toks = rows[pos]
        pos += 1
        if count is not None and len(toks) < count:
            raise ModelFormatError(f"{where}:{lineno}: the {what} line has {len(toks)} values, expected {count}")
        if count is not None:
            toks = toks[:count]
        out = []
        for t in toks:
            try:
                if kind == "int":
                    if not t.isascii() or not t.isdigit() or len(t) > 12:
                        raise ValueError(t)  # a layer size: a plain (not astronomically large) count
                    v = int(t)
                else:
                    v = to_rational(t)
            except NumberError as exc:
                raise ModelFormatError(f"{where}:{lineno}: bad {what} value {_why(t, exc)}") from None
            except ValueError:
                raise ModelFormatError(f"{where}:{lineno}: bad {what} value {clip_text(t)}") from None
            out.append(v)
        return out

    head = take(None, "header")
    if len(head) < 3 or any(v.denominator != 1 for v in head):
        raise ModelFormatError(f"{where}: the first line must be 'layers, inputs, outputs, max size'")
    n_layers, n_in, n_out = (int(v) for v in head[:3])
    if n_layers < 1 or n_in < 1 or n_out < 1:
        raise ModelFormatError(f"{where}: bad header: {n_layers} layers, {n_in} inputs, {n_out} outputs "
                               "(each must be positive)")
    sizes = take(n_layers + 1, "layer sizes", "int")
    if sizes[0] != n_in or sizes[-1] != n_out or min(sizes) < 1:
        raise ModelFormatError(f"{where}: layer sizes {sizes} do not match {n_in} inputs and {n_out} outputs")
    take(None, "unused flag")
    mins = take(n_in, "input minima")
    maxes = take(n_in, "input maxima")
    means = take(n_in + 1, "means")
    ranges = take(n_in + 1, "ranges")
    for k, (a, b) in enumerate(zip(mins, maxes)):
        if a > b:
            raise ModelFormatError(f"{where}: input {k} has min {a} > max {b}")
    if any(r == 0 for r in ranges):
        raise ModelFormatError(f"{where}: a normalisation range is zero")
    # weights and biases: read as one token stream (one row / one bias per line is the
    # convention, but writers differ)
    stream: list[tuple[int, str]] = [(lineno, t) for lineno, toks in rows[pos:] for t in toks]
    need = sum(sizes[k + 1] * sizes[k] + sizes[k + 1] for k in range(n_layers))
    if len(stream) < need:
        raise ModelFormatError(f"{where}: {len(stream)} weights and biases, expected {need} (truncated?)")
    if len(stream) > need:
        raise ModelFormatError(f"{where}:{stream[need][0]}: {len(stream) - need} numbers after the last bias")
    vals = []
    for lineno, t in stream:
        try:
            vals.append(to_rational(t))
        except NumberError as exc:
            raise ModelFormatError(f"{where}:{lineno}: bad weight value {_why(t, exc)}") from None
    weights, biases = [], []
    i = 0
    for k in range(n_layers):
        a, b = sizes[k], sizes[k + 1]
        weights.append([vals[i + r * a:i + (r + 1) * a] for r in range(b)])
        i += a * b
        biases.append(vals[i:i + b])
        i += b
    return NNetFile(sizes, weights, biases, mins, maxes, means, ranges, name)


def read_nnet(path: "str | Path", max_bytes: int | None = None) -> NNetFile:
    """Read an ``.nnet`` file (raises ModelFormatError for missing or malformed files, and
    for files larger than ``max_bytes``, default :func:`~exactrelu.limits.max_model_bytes`)."""
    from .files import read_bytes

    p = Path(path)
    raw = read_bytes(p, ModelFormatError, limit=max_bytes, gunzip=True, kind="model")
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ModelFormatError(f"{p}: not a text file, so not an .nnet file") from None
    return parse_nnet(text, name=p.name.removesuffix(".gz").removesuffix(".nnet"), where=str(p))


def nnet_from_text(text: str, input_normalization: str = "layer", scale_outputs: bool = True,
                   with_domain: bool = False) -> Any:
    """Network (and, with ``with_domain``, the input box) from ``.nnet`` text."""
    f = parse_nnet(text)
    res = f.to_network_with_domain(input_normalization, scale_outputs)
    return res if with_domain else res[0]


def load_nnet(path: "str | Path", input_normalization: str = "layer", scale_outputs: bool = True) -> Network:
    """Load an ``.nnet`` file as an exact :class:`Network`.

    Parameters
    ----------
    path : str or Path
    input_normalization : {"layer", "fold", "none"}
        ``"layer"`` (default): an identity first layer computes ``(x - mean) / range``;
        ``"fold"``: the same map folded into the first ReLU layer; ``"none"``: the network
        takes already-normalised inputs.
    scale_outputs : bool
        Merge ``y * range_out + mean_out`` into the last layer (default True).

    Notes
    -----
    Input clipping to ``[min, max]`` is not modelled; use :func:`load_nnet_with_domain`
    to get that box as the domain.
    """
    return read_nnet(path).to_network(input_normalization, scale_outputs)


def load_nnet_with_domain(path: "str | Path", input_normalization: str = "layer", scale_outputs: bool = True
                          ) -> tuple[Network, tuple[Fraction, ...], tuple[Fraction, ...]]:
    """Like :func:`load_nnet`, also returning the input box ``(lower, upper)``.

    The box is the file's ``[min, max]`` in the coordinates the network takes (raw inputs,
    or normalised ones with ``input_normalization="none"``).
    """
    return read_nnet(path).to_network_with_domain(input_normalization, scale_outputs)


from ..model.evaluation import evaluate  # noqa: E402  (doctests)
