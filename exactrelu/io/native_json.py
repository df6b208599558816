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
integers are also accepted (exactly). JSON floats are refused: they may already have been
rounded by whoever wrote the file. ``source`` 0 is the network input, ``k >= 1`` the output
of layer ``k``. The network output is the last layer's output.

Examples
--------
>>> from exactrelu.network import mlp
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
from ..network import Activation, Layer, Network
from ..rationals import format_rational, to_rational

__all__ = ["FORMAT", "VERSION", "network_to_dict", "network_from_dict", "save_json", "load_json",
           "dumps", "loads"]

FORMAT = "exactrelu-network"
VERSION = 1


def network_to_dict(net: Network) -> dict[str, Any]:
    """The native JSON object of ``net`` (canonical: equal networks give equal dicts)."""
    d: dict[str, Any] = {"format": FORMAT, "version": VERSION, "inputs": net.n_inputs}
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


def _num(v: Any, where: str) -> Fraction:
    if isinstance(v, float):
        raise ModelFormatError(f"{where}: JSON float {v!r} refused; write numbers as 'p/q' strings")
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ModelFormatError(f"{where}: expected a number string, got {v!r}")
    try:
        return to_rational(v)
    except NumberError as exc:
        raise ModelFormatError(f"{where}: {exc}") from exc


def network_from_dict(d: Any) -> Network:
    """Build a validated :class:`Network` from a native JSON object."""
    if not isinstance(d, dict):
        raise ModelFormatError("native JSON network must be an object")
    if d.get("format") != FORMAT:
        raise ModelFormatError(f"not an exactrelu network (format={d.get('format')!r})")
    if d.get("version") != VERSION:
        raise ModelFormatError(f"unsupported exactrelu network version {d.get('version')!r} (this reads {VERSION})")
    n = d.get("inputs")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ModelFormatError(f"'inputs' must be a positive integer, got {n!r}")
    raw_layers = d.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise ModelFormatError("'layers' must be a non-empty list")
    layers = []
    for k, ld in enumerate(raw_layers, start=1):
        if not isinstance(ld, dict):
            raise ModelFormatError(f"layer {k} must be an object")
        try:
            act = Activation.parse(ld.get("activation", ""))
        except ModelError as exc:
            raise ModelFormatError(f"layer {k}: {exc}") from exc
        bias = ld.get("bias")
        if not isinstance(bias, list):
            raise ModelFormatError(f"layer {k}: 'bias' must be a list")
        b = tuple(_num(v, f"layer {k} bias") for v in bias)
        ins = ld.get("inputs")
        if not isinstance(ins, list) or not ins:
            raise ModelFormatError(f"layer {k}: 'inputs' must be a non-empty list")
        inputs = []
        for item in ins:
            if not isinstance(item, dict) or not isinstance(item.get("source"), int) or not isinstance(item.get("weight"), list):
                raise ModelFormatError(f"layer {k}: each input needs an integer 'source' and a 'weight' matrix")
            rows = []
            for row in item["weight"]:
                if not isinstance(row, list):
                    raise ModelFormatError(f"layer {k}: weight rows must be lists")
                rows.append(tuple(_num(v, f"layer {k} weight") for v in row))
            inputs.append((item["source"], tuple(rows)))
        inputs.sort(key=lambda t: t[0])
        layers.append(Layer(tuple(inputs), b, act, str(ld.get("name", ""))))
    try:
        return Network(n, tuple(layers), tuple(d.get("input_names", ())), tuple(d.get("output_names", ())),
                       str(d.get("name", "")))
    except ModelFormatError:
        raise
    except ModelError as exc:
        raise ModelFormatError(str(exc)) from exc


def dumps(net: Network, indent: int | None = None) -> str:
    return json.dumps(network_to_dict(net), indent=indent)


def loads(text: str) -> Network:
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ModelFormatError(f"malformed JSON: {exc}") from exc
    return network_from_dict(d)


def save_json(net: Network, path: "str | Path") -> None:
    """Write ``net`` in the native JSON format."""
    Path(path).write_text(dumps(net, indent=1))


def load_json(path: "str | Path") -> Network:
    """Read a native JSON network."""
    try:
        text = Path(path).read_text()
    except UnicodeDecodeError as exc:
        raise ModelFormatError(f"{path}: not a text file") from exc
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return loads(text)
