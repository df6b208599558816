"""exactrelu's own exact JSON network format (version 1).

Layout::

    {
      "format": "exactrelu-network",
      "version": 1,
      "name": "optional",
      "inputs": 2,
      "input_names": ["x0", "x1"],          # optional
      "output_names": ["y0"],               # optional
      "layers": [
        {"activation": "relu" | "identity",
         "name": "optional",
         "bias": ["p/q", ...],
         "inputs": [{"source": 0, "weight": [["p/q", ...], ...]}, ...]},
        ...
      ]
    }

Numbers are strings ``"p/q"`` or ``"p"`` (integers); on reading, decimal strings and JSON
integers are also accepted (exactly, of any length up to the documented limit of 1,000,000
characters, :mod:`exactrelu.limits`). JSON floats are refused: they may already have been
rounded by whoever wrote the file; so are ``NaN``/``Infinity``, booleans and duplicate keys.
``source`` 0 is the network input, ``k >= 1`` the output of layer ``k``. The network output
is the last layer's output. Files may be gzipped (recognised by content); files and their
decompressed content are bounded by :func:`~exactrelu.limits.max_model_bytes`.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> net = mlp(1, [([["1/3"]], [0])])
>>> d = network_to_dict(net); d["layers"][0]["inputs"][0]["weight"]
[['1/3']]
>>> network_from_dict(d) == net
True
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import ModelFormatError, NumberError, ModelError
from ..model.network import NATIVE_FORMAT, NATIVE_VERSION, Activation, Layer, Network, network_to_dict
from ..numbers.rationals import to_rational

__all__ = ["FORMAT", "VERSION", "network_to_dict", "network_from_dict", "save_json", "load_json",
           "dumps", "loads"]

#: The ``format`` field and version of the native JSON (defined with the model, whose own
#: canonical form it is: :func:`~exactrelu.model.network.network_to_dict`).
FORMAT = NATIVE_FORMAT
VERSION = NATIVE_VERSION


def _show(v: Any) -> str:
    """A short description of a JSON value for an error message (never its whole text)."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring, r.maxlist, r.maxdict, r.maxlevel, r.maxother = 40, 4, 4, 2, 40
    try:
        return r.repr(v)
    except RecursionError:  # pragma: no cover - maxlevel guards
        return type(v).__name__


def _num(v: Any, where: str) -> Fraction:
    if isinstance(v, float):
        raise ModelFormatError(f"{where}: JSON float {_show(v)} refused; write numbers as 'p/q' strings")
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ModelFormatError(f"{where}: expected a number string, got {_show(v)}")
    try:
        return to_rational(v)
    except NumberError as exc:
        raise ModelFormatError(f"{where}: {exc}") from None


def _int(v: Any) -> bool:
    return type(v) is int


def _names(d: dict, key: str, count: int, what: str) -> tuple[str, ...]:
    names = d.get(key, [])
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        raise ModelFormatError(f"'{key}' must be a list of strings, got {_show(names)}")
    if names and len(names) != count:
        raise ModelFormatError(f"'{key}' has {len(names)} names for {count} {what}")
    return tuple(names)


def _name(d: dict, where: str) -> str:
    name = d.get("name", "")
    if not isinstance(name, str):
        raise ModelFormatError(f"{where}'name' must be a string, got {_show(name)}")
    return name


def network_from_dict(d: Any) -> Network:
    """Build a validated :class:`Network` from a native JSON object.

    Every malformed part (a wrong type at any level, a bad number, a shape mismatch, a
    source that is not an earlier layer) raises :class:`~exactrelu.errors.ModelFormatError`
    naming the layer; declared sizes are checked against the data before anything is
    built from them.

    >>> network_from_dict({"format": FORMAT, "version": 1, "inputs": 10 ** 9,
    ...                    "layers": [{"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"]]}]}]})
    Traceback (most recent call last):
    ...
    exactrelu.errors.ModelFormatError: layer 1: weight from source 0 has 1 columns, source width is 1000000000
    """
    if not isinstance(d, dict):
        raise ModelFormatError("native JSON network must be an object")
    if d.get("format") != FORMAT:
        raise ModelFormatError(f"not an exactrelu network (format={_show(d.get('format'))})")
    if not _int(d.get("version")) or d.get("version") != VERSION:
        raise ModelFormatError(f"unsupported exactrelu network version {_show(d.get('version'))} (this reads {VERSION})")
    n = d.get("inputs")
    if not _int(n) or n < 1:
        raise ModelFormatError(f"'inputs' must be a positive integer, got {_show(n)}")
    raw_layers = d.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise ModelFormatError("'layers' must be a non-empty list")
    layers = []
    widths = [n]
    for k, ld in enumerate(raw_layers, start=1):
        if not isinstance(ld, dict):
            raise ModelFormatError(f"layer {k} must be an object")
        act_name = ld.get("activation", "")
        if not isinstance(act_name, str):
            raise ModelFormatError(f"layer {k}: 'activation' must be a string, got {_show(act_name)}")
        try:
            act = Activation.parse(act_name)
        except ModelError as exc:
            raise ModelFormatError(f"layer {k}: {exc}") from None
        bias = ld.get("bias")
        if not isinstance(bias, list):
            raise ModelFormatError(f"layer {k}: 'bias' must be a list")
        if not bias:
            raise ModelFormatError(f"layer {k} has no units (an empty 'bias')")
        ins = ld.get("inputs")
        if not isinstance(ins, list) or not ins:
            raise ModelFormatError(f"layer {k}: 'inputs' must be a non-empty list")
        # shapes before numbers: a declared size that does not fit fails before any conversion
        for item in ins:
            if not isinstance(item, dict) or not _int(item.get("source")) or not isinstance(item.get("weight"), list):
                raise ModelFormatError(f"layer {k}: each input needs an integer 'source' and a 'weight' matrix")
            s = item["source"]
            if not 0 <= s < k:
                raise ModelFormatError(f"layer {k} reads from source {_show(s)}, which is not an earlier layer "
                                       f"(0 is the input, 1..{k - 1} the layers before it)")
            if len(item["weight"]) != len(bias):
                raise ModelFormatError(f"layer {k}: weight from source {s} has {len(item['weight'])} rows, "
                                       f"bias has {len(bias)}")
            for row in item["weight"]:
                if not isinstance(row, list):
                    raise ModelFormatError(f"layer {k}: weight rows must be lists")
                if len(row) != widths[s]:
                    raise ModelFormatError(f"layer {k}: weight from source {s} has {len(row)} columns, "
                                           f"source width is {widths[s]}")
        b = tuple(_num(v, f"layer {k} bias") for v in bias)
        inputs = []
        for item in ins:
            rows = tuple(tuple(_num(v, f"layer {k} weight") for v in row) for row in item["weight"])
            inputs.append((item["source"], rows))
        inputs.sort(key=lambda t: t[0])
        layers.append(Layer(tuple(inputs), b, act, _name(ld, f"layer {k}: ")))
        widths.append(len(bias))
    input_names = _names(d, "input_names", n, "inputs")
    output_names = _names(d, "output_names", widths[-1], "outputs")
    try:
        return Network(n, tuple(layers), input_names, output_names, _name(d, ""))
    except ModelFormatError:
        raise
    except ModelError as exc:
        raise ModelFormatError(str(exc)) from None


def dumps(net: Network, indent: int | None = None) -> str:
    """The native JSON text of ``net`` (:func:`~exactrelu.model.network.network_to_dict`)."""
    return json.dumps(network_to_dict(net), indent=indent)


def loads(text: "str | bytes", name: str = "native JSON") -> Network:
    """A network from the text of a native JSON file (see :func:`~exactrelu.io.files.parse_json`
    for what is refused)."""
    from .files import parse_json

    return network_from_dict(parse_json(text, ModelFormatError, name))


def save_json(net: Network, path: "str | Path") -> None:
    """Write ``net`` in the native JSON format."""
    Path(path).write_text(dumps(net, indent=1))


def load_json(path: "str | Path", max_bytes: int | None = None) -> Network:
    """Read a native JSON network (gzipped or not), at most ``max_bytes`` (default
    :func:`~exactrelu.limits.max_model_bytes`, also for the decompressed content)."""
    from .files import read_bytes

    raw = read_bytes(path, ModelFormatError, limit=max_bytes, gunzip=True, kind="model")
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ModelFormatError(f"{path}: not a text file (not UTF-8), so not a native JSON network") from None
    return loads(text, str(path))
