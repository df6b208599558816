"""The exact network model: an immutable, validated feed-forward ReLU DAG.

A :class:`Network` has ``n_inputs`` inputs and a sequence of :class:`Layer` objects.
Layer ``k`` (1-based) computes ``h_k = act_k(sum_s W_{k,s} h_s + b_k)`` where the sum runs
over *sources* ``s``: ``0`` is the network input ``x`` and ``s >= 1`` is the output of an
earlier layer ``s < k``.  This covers plain MLPs, residual blocks and dense skips.
Activations are ``relu`` or ``identity``.  The network output is the last layer's output.

All weights are :class:`fractions.Fraction`; objects are validated once at construction,
so no half-built network exists.

The ReLU *units* of a network, in topological order, are numbered ``0 .. n_relu-1``
(:attr:`Network.relu_units`); an *activation pattern* is a string of ``'0'``/``'1'`` over
them (``'1'`` = pre-activation > 0).

Examples
--------
>>> from exactrelu.model.evaluation import evaluate
>>> net = mlp(2, [([[1, -1], [1, 1]], [0, 0]), ([[1, 1]], [0])])
>>> net.n_inputs, net.n_outputs, net.n_relu
(2, 1, 2)
>>> [str(v) for v in evaluate(net, ["1/2", "1/4"])]
['1']
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping, Sequence

from ..errors import ModelError, ShapeError, NumberError
from ..numbers.rationals import format_rational, to_rational_matrix, to_rational_vector

__all__ = [
    "Activation",
    "Layer",
    "Network",
    "NetworkBuilder",
    "mlp",
    "residual_block",
    "Matrix",
    "Vector",
    "NATIVE_FORMAT",
    "NATIVE_VERSION",
    "network_to_dict",
]

#: ``format`` field and version of the native exact JSON (:mod:`exactrelu.io.native_json`).
NATIVE_FORMAT = "exactrelu-network"
NATIVE_VERSION = 1

Vector = tuple[Fraction, ...]
Matrix = tuple[Vector, ...]


class Activation(str, enum.Enum):
    """Activation of a layer."""

    RELU = "relu"
    IDENTITY = "identity"

    @classmethod
    def parse(cls, value: "str | Activation") -> "Activation":
        if isinstance(value, Activation):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ModelError(f"unknown activation {value!r} (expected 'relu' or 'identity')") from None


@dataclass(frozen=True)
class Layer:
    """One layer: ``act(sum_s W_s h_s + bias)``.

    Parameters
    ----------
    inputs : tuple of (source, matrix)
        Sorted by source; source 0 is the network input, source k >= 1 the output of
        layer k. Each matrix has ``width`` rows and as many columns as the source's width.
    bias : tuple of Fraction
    activation : Activation
    name : str
    """

    inputs: tuple[tuple[int, Matrix], ...]
    bias: Vector
    activation: Activation
    name: str = ""

    @property
    def width(self) -> int:
        return len(self.bias)

    @property
    def sources(self) -> tuple[int, ...]:
        return tuple(s for s, _ in self.inputs)

    def weight(self, source: int) -> Matrix | None:
        for s, w in self.inputs:
            if s == source:
                return w
        return None


@dataclass(frozen=True)
class Network:
    """An exact feed-forward ReLU DAG (see module docstring).

    Use :func:`mlp`, :class:`NetworkBuilder` or a loader rather than calling this directly;
    the constructor validates everything and raises :class:`~exactrelu.errors.ModelError`.
    """

    n_inputs: int
    layers: tuple[Layer, ...]
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    name: str = ""
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        if type(self.n_inputs) is not int or self.n_inputs < 1:
            raise ModelError(f"a network needs at least one input, got {str(self.n_inputs)[:40]}")
        if not self.layers:
            raise ModelError("a network needs at least one layer")
        widths = [self.n_inputs]
        for k, layer in enumerate(self.layers, start=1):
            if not isinstance(layer, Layer):
                raise ModelError(f"layer {k} is not a Layer")
            if layer.width < 1:
                raise ModelError(f"layer {k} has no units")
            if not layer.inputs:
                raise ModelError(f"layer {k} has no inputs")
            seen = set()
            for s, w in layer.inputs:
                if type(s) is not int or s < 0 or s >= k:
                    raise ModelError(f"layer {k} reads from source {str(s)[:40]}, which is not an earlier layer")
                if s in seen:
                    raise ModelError(f"layer {k} reads source {s} twice")
                seen.add(s)
                if len(w) != layer.width:
                    raise ShapeError(
                        f"layer {k}: weight from source {s} has {len(w)} rows, bias has {layer.width}")
                for row in w:
                    if len(row) != widths[s]:
                        raise ShapeError(
                            f"layer {k}: weight from source {s} has {len(row)} columns, source width is {widths[s]}")
                    for v in row:
                        if type(v) is not Fraction:
                            raise ModelError(f"layer {k}: weight {v!r} is not a Fraction")
            for v in layer.bias:
                if type(v) is not Fraction:
                    raise ModelError(f"layer {k}: bias {v!r} is not a Fraction")
            if list(layer.sources) != sorted(layer.sources):
                raise ModelError(f"layer {k}: inputs must be sorted by source")
            widths.append(layer.width)
        for what in ("input_names", "output_names"):
            names = getattr(self, what)
            if not isinstance(names, tuple) or not all(isinstance(x, str) for x in names):
                raise ModelError(f"{what} must be a tuple of strings")
        if not isinstance(self.name, str):
            raise ModelError("a network's name must be a string")
        if self.input_names and len(self.input_names) != self.n_inputs:
            raise ModelError("input_names has the wrong length")
        if self.output_names and len(self.output_names) != self.layers[-1].width:
            raise ModelError("output_names has the wrong length")

    # --- shape facts -------------------------------------------------------------
    @property
    def n_outputs(self) -> int:
        return self.layers[-1].width

    @property
    def widths(self) -> tuple[int, ...]:
        """Widths of all layers (without the input)."""
        return tuple(layer.width for layer in self.layers)

    def source_width(self, source: int) -> int:
        return self.n_inputs if source == 0 else self.layers[source - 1].width

    @property
    def relu_units(self) -> tuple[tuple[int, int], ...]:
        """``(layer, unit)`` of every ReLU unit in topological order (layer is 1-based)."""
        key = "relu_units"
        if key not in self._cache:
            self._cache[key] = tuple(
                (k, j)
                for k, layer in enumerate(self.layers, start=1)
                if layer.activation is Activation.RELU
                for j in range(layer.width)
            )
        return self._cache[key]

    @property
    def n_relu(self) -> int:
        return len(self.relu_units)

    def relu_offset(self, layer: int) -> int:
        """Index of the first ReLU unit of ``layer`` in :attr:`relu_units` (or where it would be)."""
        off = 0
        for k in range(1, layer):
            if self.layers[k - 1].activation is Activation.RELU:
                off += self.layers[k - 1].width
        return off

    @property
    def has_skips(self) -> bool:
        """True if some layer reads from anything but the layer just before it."""
        return any(layer.sources != (k - 1,) for k, layer in enumerate(self.layers, start=1))

    def sha256(self) -> str:
        """SHA-256 of the canonical native JSON (what certificates reference)."""
        text = json.dumps(network_to_dict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def __hash__(self) -> int:  # frozen dataclass with a dict field: hash by content
        return hash((self.n_inputs, self.layers))

    def describe(self) -> dict[str, Any]:
        """Facts for ``exactrelu info``: inputs, outputs, layers, skips, ReLU units, bit sizes."""
        layers = []
        max_num = max_den = 0
        for k, layer in enumerate(self.layers, start=1):
            nb = db = 0
            for _, w in layer.inputs:
                for row in w:
                    for v in row:
                        nb = max(nb, abs(v.numerator).bit_length())
                        db = max(db, v.denominator.bit_length())
            for v in layer.bias:
                nb = max(nb, abs(v.numerator).bit_length())
                db = max(db, v.denominator.bit_length())
            max_num, max_den = max(max_num, nb), max(max_den, db)
            layers.append({
                "layer": k,
                "name": layer.name,
                "width": layer.width,
                "activation": layer.activation.value,
                "sources": list(layer.sources),
                "skip": layer.sources != (k - 1,),
                "max_numerator_bits": nb,
                "max_denominator_bits": db,
            })
        return {
            "name": self.name,
            "inputs": self.n_inputs,
            "outputs": self.n_outputs,
            "relu_units": self.n_relu,
            "relu_layers": [l["width"] for l in layers if l["activation"] == "relu"],
            "has_skips": self.has_skips,
            "layers": layers,
            "max_numerator_bits": max_num,
            "max_denominator_bits": max_den,
        }


def _matrix(w: Any, rows: int | None = None, cols: int | None = None, what: str = "weight") -> Matrix:
    try:
        m = to_rational_matrix(w)
    except NumberError as exc:
        raise ModelError(f"{what}: {exc}") from exc
    if rows is not None and len(m) != rows:
        raise ShapeError(f"{what} has {len(m)} rows, expected {rows}")
    if cols is not None and any(len(r) != cols for r in m):
        raise ShapeError(f"{what} has rows of length other than {cols}")
    return m


def _vector(v: Any, n: int | None = None, what: str = "bias") -> Vector:
    if hasattr(v, "ndim") and v.ndim != 1:
        v = v.reshape(-1)
    try:
        out = to_rational_vector(v)
    except NumberError as exc:
        raise ModelError(f"{what}: {exc}") from exc
    if n is not None and len(out) != n:
        raise ShapeError(f"{what} has length {len(out)}, expected {n}")
    return out


class NetworkBuilder:
    """Build a network layer by layer, with arbitrary skip connections.

    Every value converts exactly (floats are dyadic rationals; strings parse exactly).

    Examples
    --------
    >>> from exactrelu.model.evaluation import evaluate
    >>> b = NetworkBuilder(2)
    >>> h = b.dense(b.input, [[1, 0], [0, 1]], [0, 0], activation="relu")
    >>> y = b.add({h: [[1, 1]], b.input: [[-1, 0]]}, [0])
    >>> net = b.build()
    >>> [str(v) for v in evaluate(net, [3, -2])]
    ['0']
    """

    input = 0

    def __init__(self, n_inputs: int, input_names: Sequence[str] = (), name: str = "") -> None:
        if not isinstance(n_inputs, int) or n_inputs < 1:
            raise ModelError(f"n_inputs must be a positive integer, got {n_inputs!r}")
        self.n_inputs = n_inputs
        self.input_names = tuple(input_names)
        self.name = name
        self._layers: list[Layer] = []

    def width(self, source: int) -> int:
        if source == 0:
            return self.n_inputs
        if not 1 <= source <= len(self._layers):
            raise ModelError(f"no layer {source} yet")
        return self._layers[source - 1].width

    def add(self, weights: Mapping[int, Any], bias: Any, activation: "str | Activation" = "identity",
            name: str = "") -> int:
        """Add a layer ``act(sum_s W_s h_s + bias)``; returns its source index."""
        act = Activation.parse(activation)
        b = _vector(bias, what=f"bias of layer {len(self._layers) + 1}")
        inputs = []
        for s in sorted(weights):
            w = _matrix(weights[s], len(b), self.width(s), what=f"weight {len(self._layers) + 1}<-{s}")
            inputs.append((s, w))
        self._layers.append(Layer(tuple(inputs), b, act, name))
        return len(self._layers)

    def dense(self, source: int, weight: Any, bias: Any, activation: "str | Activation" = "identity",
              name: str = "") -> int:
        """Add a layer reading one source."""
        return self.add({source: weight}, bias, activation, name)

    def build(self, output_names: Sequence[str] = ()) -> Network:
        return Network(self.n_inputs, tuple(self._layers), self.input_names, tuple(output_names), self.name)


def mlp(n_inputs: int, layers: Sequence[tuple[Any, Any]], activations: Sequence[str] | None = None,
        name: str = "") -> Network:
    """A plain MLP from ``[(W1, b1), (W2, b2), ...]``; ReLU on all but the last layer.

    Weights are ``W[out][in]`` as nested lists or numpy arrays.

    Examples
    --------
    >>> from exactrelu.model.evaluation import evaluate
    >>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])  # |x|
    >>> [str(evaluate(net, [x])[0]) for x in (-2, 3)]
    ['2', '3']
    """
    if not layers:
        raise ModelError("an MLP needs at least one layer")
    acts = list(activations) if activations is not None else ["relu"] * (len(layers) - 1) + ["identity"]
    if len(acts) != len(layers):
        raise ModelError("activations and layers differ in length")
    b = NetworkBuilder(n_inputs, name=name)
    src = b.input
    for (w, bias), act in zip(layers, acts):
        src = b.dense(src, w, bias, act)
    return b.build()


def residual_block(builder: NetworkBuilder, source: int, w1: Any, b1: Any, w2: Any, b2: Any,
                   skip: Any | None = None, activation: str = "relu") -> int:
    """Append a residual block ``act(W2 relu(W1 h + b1) + b2 + S h)`` to ``builder``.

    ``S`` is the identity when ``skip`` is None (then the block's width must equal the
    source's), otherwise the given projection matrix. Returns the block's output source.

    Examples
    --------
    >>> from exactrelu.model.evaluation import evaluate
    >>> b = NetworkBuilder(1)
    >>> out = residual_block(b, b.input, [[1]], [0], [[-1]], [0])  # relu(x - relu(x))
    >>> net = b.build()
    >>> [str(evaluate(net, [x])[0]) for x in (-3, 5)]
    ['0', '0']
    """
    inner = builder.dense(source, w1, b1, "relu")
    width_out = len(_vector(b2))
    if skip is None:
        if width_out != builder.width(source):
            raise ShapeError("identity skip needs the block output width to equal its input width")
        skip = [[1 if i == j else 0 for j in range(width_out)] for i in range(width_out)]
    return builder.add({source: skip, inner: w2}, b2, activation)


def network_to_dict(net: Network) -> dict[str, Any]:
    """The native JSON object of ``net`` (canonical: equal networks give equal dicts).

    This is the model's own exact encoding (what :meth:`Network.sha256` hashes and
    certificates embed); reading it back, with full validation, is
    :func:`exactrelu.io.native_json.network_from_dict`.

    Examples
    --------
    >>> network_to_dict(mlp(1, [([["1/3"]], [0])]))["layers"][0]["inputs"]
    [{'source': 0, 'weight': [['1/3']]}]
    """
    d: dict[str, Any] = {"format": NATIVE_FORMAT, "version": NATIVE_VERSION, "inputs": net.n_inputs}
    if net.name:
        d["name"] = net.name
    if net.input_names:
        d["input_names"] = list(net.input_names)
    if net.output_names:
        d["output_names"] = list(net.output_names)
    layers = []
    for layer in net.layers:
        ld: dict[str, Any] = {"activation": layer.activation.value}
        if layer.name:
            ld["name"] = layer.name
        ld["bias"] = [format_rational(v) for v in layer.bias]
        ld["inputs"] = [{"source": s, "weight": [[format_rational(v) for v in row] for row in w]}
                        for s, w in layer.inputs]
        layers.append(ld)
    d["layers"] = layers
    return d
