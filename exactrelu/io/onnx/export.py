"""ONNX export (:func:`network_to_onnx`, :func:`export_onnx`); see :mod:`exactrelu.io.onnx.onnx_io`.
"""

from __future__ import annotations

import gzip
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ExportError
from ...model.network import Activation, Network
from ...numbers.rationals import format_rational, is_float32_exact, is_float64_exact
from .tensors import ZERO, first_line

__all__ = ["export_onnx", "nearest_float32", "network_to_onnx", "to_float"]


def nearest_float32(q: Fraction) -> float:
    try:
        f64 = float(q)
    except OverflowError:
        raise ExportError(f"value {format_rational(q)} is too large for float32") from None
    f32 = np.float32(f64)
    if not np.isfinite(f32):
        raise ExportError(f"value {format_rational(q)} is too large for float32")
    cands = [f32, np.nextafter(f32, np.float32(np.inf)), np.nextafter(f32, np.float32(-np.inf))]
    best = min((c for c in cands if np.isfinite(c)), key=lambda c: abs(Fraction(float(c)) - q))
    return float(best)


def to_float(q: Fraction, dtype: str, approximate: bool, where: str) -> tuple[float, Fraction]:
    exact = is_float32_exact(q) if dtype == "float32" else is_float64_exact(q)
    if exact:
        return float(q), ZERO
    if not approximate:
        raise ExportError(f"{where} = {format_rational(q)} is not exactly representable in {dtype}; "
                          f"pass approximate=True to round to the nearest {dtype}")
    if dtype == "float32":
        f = nearest_float32(q)
    else:
        try:
            f = float(q)
        except OverflowError:
            raise ExportError(f"{where} = {format_rational(q)} is too large for float64") from None
    return f, abs(Fraction(f) - q)


def network_to_onnx(net: Network, dtype: str = "float32", approximate: bool = False,
                    dynamic_batch: bool = False) -> tuple[Any, Fraction]:
    """Build an ONNX model of ``net``; return ``(model, largest change)``.

    See the module docstring for the layout. The largest change is 0 unless
    ``approximate=True`` had to round a weight.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if dtype not in ("float32", "float64"):
        raise ExportError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    np_dtype = np.float32 if dtype == "float32" else np.float64
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    worst = ZERO
    nodes, inits = [], []
    names = {0: "input"}
    n_layers = len(net.layers)
    for k, layer in enumerate(net.layers, start=1):
        last = k == n_layers
        prev = None
        for idx, (s, w) in enumerate(layer.inputs):
            vals = []
            for i, row in enumerate(w):
                for j, v in enumerate(row):
                    f, ch = to_float(v, dtype, approximate, f"layer {k}, weight from source {s} [{i}][{j}]")
                    worst = max(worst, ch)
                    vals.append(f)
            wname = f"W{k}_{s}"
            inits.append(numpy_helper.from_array(np.asarray(vals, dtype=np_dtype).reshape(layer.width,
                                                                                          net.source_width(s)), wname))
            if idx == 0:
                bvals = []
                for i, v in enumerate(layer.bias):
                    f, ch = to_float(v, dtype, approximate, f"layer {k}, bias [{i}]")
                    worst = max(worst, ch)
                    bvals.append(f)
                cname = f"b{k}"
                inits.append(numpy_helper.from_array(np.asarray(bvals, dtype=np_dtype), cname))
            else:
                cname = prev
            is_final_node = idx == len(layer.inputs) - 1 and layer.activation is Activation.IDENTITY
            out = ("output" if last else f"h{k}") if is_final_node else f"z{k}_{idx}"
            nodes.append(helper.make_node("Gemm", [names[s], wname, cname], [out],
                                          name=layer.name if is_final_node else f"gemm{k}_{s}", transB=1))
            prev = out
        if layer.activation is Activation.RELU:
            out = "output" if last else f"h{k}"
            nodes.append(helper.make_node("Relu", [prev], [out], name=layer.name))
            prev = out
        names[k] = prev
    batch: Any = "N" if dynamic_batch else 1
    graph = helper.make_graph(
        nodes, net.name or "exactrelu",
        [helper.make_tensor_value_info("input", elem, [batch, net.n_inputs])],
        [helper.make_tensor_value_info("output", elem, [batch, net.n_outputs])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="exactrelu", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"exactrelu.network_name": net.name})
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # pragma: no cover - our own construction
        raise ExportError(f"internal: exported model fails the ONNX checker: {first_line(exc)}") from None
    return model, worst


def export_onnx(net: Network, path: "str | Path", dtype: str = "float32", approximate: bool = False,
                dynamic_batch: bool = False) -> Fraction:
    """Write ``net`` as an ONNX model (gzip-compressed if ``path`` ends in ``.gz``).

    Parameters
    ----------
    net : Network
    path : str or Path
    dtype : {"float32", "float64"}
    approximate : bool
        Round weights that are not exactly representable to the nearest float instead of
        raising :class:`~exactrelu.errors.ExportError`.
    dynamic_batch : bool
        Declare the batch dimension as symbolic ``"N"`` instead of 1.

    Returns
    -------
    Fraction
        The largest absolute change made to any weight (0 for an exact export).
    """
    model, worst = network_to_onnx(net, dtype=dtype, approximate=approximate, dynamic_batch=dynamic_batch)
    data = model.SerializeToString()
    p = Path(path)
    if p.suffix == ".gz":
        data = gzip.compress(data)
    try:
        p.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"{p}: cannot write: {exc.strerror or exc}") from None
    return worst
