"""ONNX export (:func:`network_to_onnx`, :func:`export_onnx`); see :mod:`exactrelu.io.onnx.onnx_io`.

By default the model takes ``"input"`` of shape ``[1, n]`` and returns ``"output"`` of shape
``[1, m]``.  With ``like=`` (an ONNX model, its path or bytes, or the :class:`OnnxImport` of
one) it keeps that model's signature: the input and output names, the declared shapes
(symbolic dimensions included) and element types.  The network then computes in ``dtype``
(default: float64 if the source's input is float64, else float32); a ``Reshape`` flattens a
multi-dimensional input in C order (as the loader does) and restores the output's shape,
and a ``Cast`` converts the input to ``dtype`` (exact when widening, e.g. float32 to
float64).  The output has the source's output type when converting to it is exact (the
same type, or float32 computed and a float64 output); otherwise (float64 computed, a float32
output) it stays float64, so the exported model rounds nothing the loader cannot model and
:func:`~exactrelu.io.onnx.reader.load_onnx` reads back exactly the network exported.

Examples
--------
>>> from onnx import TensorProto, helper
>>> from exactrelu.model.network import mlp
>>> from exactrelu.io.onnx.reader import import_onnx
>>> src, _ = network_to_onnx(mlp(2, [([[1, 1]], [0])]))
>>> src.graph.input[0].name = src.graph.node[0].input[0] = "obs"
>>> rep = mlp(2, [([[2, 2]], [0])])
>>> model, _ = network_to_onnx(rep, dtype="float64", like=src)
>>> [(v.name, v.type.tensor_type.elem_type) for v in (model.graph.input[0], model.graph.output[0])]
[('obs', 1), ('output', 11)]
>>> [n.op_type for n in model.graph.node]
['Cast', 'Gemm']
>>> import_onnx(model).network == rep
True
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ExportError
from ...model.network import Activation, Network
from ...numbers.rationals import format_rational, is_float32_exact, is_float64_exact
from .tensors import FLOAT_TYPES, T_DOUBLE, T_FLOAT, WIDENING, ZERO, first_line, type_name

__all__ = ["OnnxSignature", "export_onnx", "nearest_float32", "network_to_onnx", "onnx_signature", "to_float"]


def nearest_float32(q: Fraction) -> float:
    """The float32 value nearest to ``q`` (exactly: the candidates are compared as rationals)."""
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
    """The float of ``q`` in ``dtype`` and the change made: exact, or the nearest float with
    ``approximate``, else :class:`~exactrelu.errors.ExportError` naming ``where``."""
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


@dataclass(frozen=True)
class OnnxSignature:
    """The outside of an exported model: graph input and output, and the type computed in.

    Attributes
    ----------
    input_name, output_name : str
    input_type, output_type : int
        ONNX element types (``onnx.TensorProto.FLOAT`` = 1, ``DOUBLE`` = 11, ...).
    input_dims, output_dims : tuple of (int, str or None)
        Declared dimensions; a symbolic one by its name, an unset one ``None``.
    output_shape : tuple of int
        The concrete output shape (batch 1) the output ``Reshape`` restores.

    Notes
    -----
    ``output_type`` is the source's output type only where converting to it is exact.
    dtype : {"float32", "float64"}
        The type of the weights and of the computation.
    """

    input_name: str
    output_name: str
    input_type: int
    output_type: int
    input_dims: tuple
    output_dims: tuple
    output_shape: tuple
    dtype: str


def onnx_signature(net: Network, like: Any = None, dtype: str | None = None,
                   dynamic_batch: bool = False) -> OnnxSignature:
    """The signature an export of ``net`` gets: the plain default, or that of the model ``like``.

    Parameters
    ----------
    net : Network
    like : OnnxImport, onnx.ModelProto, bytes, str or Path, optional
        The source model whose input and output names, shapes and element types to keep.
        It is read with :func:`~exactrelu.io.onnx.reader.import_onnx`, so the input and output
        are the ones the loader chooses.  Its input must have ``net.n_inputs`` elements; its
        output shape is kept when it has ``net.n_outputs`` elements, otherwise the output is
        ``[batch, net.n_outputs]`` (e.g. one output of a shallow representation).
    dtype : {"float32", "float64"}, optional
        Type of the weights and the computation (default: float32, or with ``like`` float64
        when its input is float64, else float32).
    dynamic_batch : bool
        Without ``like``: declare the batch dimension as ``"N"``.

    Returns
    -------
    OnnxSignature

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> onnx_signature(mlp(2, [([[1, 1]], [0])])).input_dims
    (1, 2)
    """
    if dtype is not None and dtype not in ("float32", "float64"):
        raise ExportError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    n, m = net.n_inputs, net.n_outputs
    if like is None:
        dtype = dtype or "float32"
        elem = T_FLOAT if dtype == "float32" else T_DOUBLE
        batch: Any = "N" if dynamic_batch else 1
        return OnnxSignature("input", "output", elem, elem, (batch, n), (batch, m), (1, m), dtype)
    from .reader import OnnxImport, import_onnx

    src = like if isinstance(like, OnnxImport) else import_onnx(like)
    if math.prod(src.input_shape) != n:
        raise ExportError(f"like: the source's input {src.input_name!r} has shape {list(src.input_shape)} "
                          f"({math.prod(src.input_shape)} elements), the network has {n} inputs")
    for t in (src.input_type, src.output_type):
        if t not in FLOAT_TYPES:  # pragma: no cover - the loader refuses other types
            raise ExportError(f"like: element type {t} is not a float type")
    in_dims = tuple(src.input_dims) or tuple(src.input_shape)
    if src.output_dims is not None and math.prod(src.output_shape) == m:
        out_dims, out_shape = tuple(src.output_dims), tuple(src.output_shape)
    else:
        out_dims, out_shape = ((in_dims[0] if len(in_dims) >= 2 else 1), m), (1, m)
    dtype = dtype or ("float64" if src.input_type == T_DOUBLE else "float32")
    elem = T_FLOAT if dtype == "float32" else T_DOUBLE
    if src.input_type != elem and (src.input_type, elem) not in WIDENING:
        raise ExportError(f"like: the source's input is {type_name(src.input_type)}; computing in {dtype} would "
                          "round it (pass dtype='float64')")
    # the output keeps the source's type where converting to it is exact, else it stays in dtype
    out_type = src.output_type if src.output_type == elem or (elem, src.output_type) in WIDENING else elem
    return OnnxSignature(src.input_name, src.output_name, src.input_type, out_type, in_dims, out_dims,
                         out_shape, dtype)


def network_to_onnx(net: Network, dtype: str | None = None, approximate: bool = False,
                    dynamic_batch: bool = False, like: Any = None) -> tuple[Any, Fraction]:
    """Build an ONNX model of ``net``; return ``(model, largest change)``.

    See the module docstring for the layout and :func:`onnx_signature` for ``like``,
    ``dtype`` (default float32, or the source's type with ``like``) and ``dynamic_batch``.
    The largest change is 0 unless ``approximate=True`` had to round a weight.
    """
    import onnx
    from onnx import helper

    sig = onnx_signature(net, like, dtype, dynamic_batch)
    elem = T_FLOAT if sig.dtype == "float32" else T_DOUBLE
    pre, x = _input_nodes(sig, elem, net.n_inputs)
    y = sig.output_name if (sig.output_type == elem and not _needs_reshape(sig.output_dims, net.n_outputs)) \
        else "exactrelu_output"
    nodes, inits, worst = _layer_nodes(net, sig.dtype, approximate, x, y)
    post, post_inits = _output_nodes(sig, elem, y, net.n_outputs)
    graph = helper.make_graph(
        pre[0] + nodes + post, net.name or "exactrelu",
        [helper.make_tensor_value_info(sig.input_name, sig.input_type, list(sig.input_dims))],
        [helper.make_tensor_value_info(sig.output_name, sig.output_type, list(sig.output_dims))],
        initializer=pre[1] + inits + post_inits)
    model = helper.make_model(graph, producer_name="exactrelu", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"exactrelu.network_name": net.name})
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # pragma: no cover - our own construction
        raise ExportError(f"internal: exported model fails the ONNX checker: {first_line(exc)}") from None
    return model, worst


def _needs_reshape(dims: tuple, width: int) -> bool:
    """True unless ``dims`` is ``[batch, width]`` already."""
    return not (len(dims) == 2 and dims[1] == width)


def _shape_const(name: str, shape: list[int]) -> Any:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(shape, dtype=np.int64), name)


def _input_nodes(sig: OnnxSignature, elem: int, n: int) -> tuple[tuple[list, list], str]:
    """``Cast`` to the computation type and ``Reshape`` to ``[batch, n]`` where the source needs
    them; returns ``((nodes, initializers), name of the flat input)``."""
    from onnx import helper

    nodes, inits, x = [], [], sig.input_name
    if sig.input_type != elem:
        nodes.append(helper.make_node("Cast", [x], ["exactrelu_input_cast"], name="cast_input", to=elem))
        x = "exactrelu_input_cast"
    if _needs_reshape(sig.input_dims, n):
        inits.append(_shape_const("exactrelu_input_shape", [-1, n]))
        nodes.append(helper.make_node("Reshape", [x, "exactrelu_input_shape"], ["exactrelu_input"], name="flatten_input"))
        x = "exactrelu_input"
    return (nodes, inits), x


def _output_nodes(sig: OnnxSignature, elem: int, y: str, m: int) -> tuple[list, list]:
    """``Reshape`` to the source's output shape and ``Cast`` to its type, where needed."""
    from onnx import helper

    nodes, inits = [], []
    if _needs_reshape(sig.output_dims, m):
        target = [-1] + list(sig.output_shape[1:]) if len(sig.output_shape) >= 2 else list(sig.output_shape)
        inits.append(_shape_const("exactrelu_output_shape", target))
        out = sig.output_name if sig.output_type == elem else "exactrelu_output_reshaped"
        nodes.append(helper.make_node("Reshape", [y, "exactrelu_output_shape"], [out], name="reshape_output"))
        y = out
    if sig.output_type != elem:
        nodes.append(helper.make_node("Cast", [y], [sig.output_name], name="cast_output", to=sig.output_type))
    return nodes, inits


def _layer_nodes(net: Network, dtype: str, approximate: bool, x: str, y: str) -> tuple[list, list, Fraction]:
    """One ``Gemm`` per (layer, source) and a ``Relu`` per ReLU layer, from tensor ``x`` to ``y``;
    returns the nodes, the weight initializers and the largest change made to a weight."""
    from onnx import helper, numpy_helper

    np_dtype = np.float32 if dtype == "float32" else np.float64
    worst = ZERO
    nodes, inits = [], []
    names = {0: x}
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
            out = (y if last else f"h{k}") if is_final_node else f"z{k}_{idx}"
            nodes.append(helper.make_node("Gemm", [names[s], wname, cname], [out],
                                          name=layer.name if is_final_node else f"gemm{k}_{s}", transB=1))
            prev = out
        if layer.activation is Activation.RELU:
            out = y if last else f"h{k}"
            nodes.append(helper.make_node("Relu", [prev], [out], name=layer.name))
            prev = out
        names[k] = prev
    return nodes, inits, worst


def export_onnx(net: Network, path: "str | Path", dtype: str | None = None, approximate: bool = False,
                dynamic_batch: bool = False, like: Any = None) -> Fraction:
    """Write ``net`` as an ONNX model (gzip-compressed if ``path`` ends in ``.gz``).

    Parameters
    ----------
    net : Network
    path : str or Path
    dtype : {"float32", "float64"}, optional
        Type of the weights and the computation: float32 by default, or with ``like`` the
        source's (float64 if its input is float64, else float32).
    approximate : bool
        Round weights that are not exactly representable to the nearest float instead of
        raising :class:`~exactrelu.errors.ExportError`.
    dynamic_batch : bool
        Declare the batch dimension as symbolic ``"N"`` instead of 1 (without ``like``).
    like : OnnxImport, onnx.ModelProto, bytes, str or Path, optional
        Keep this source model's input and output names, shapes and element types
        (:func:`onnx_signature`).

    Returns
    -------
    Fraction
        The largest absolute change made to any weight (0 for an exact export).
    """
    model, worst = network_to_onnx(net, dtype=dtype, approximate=approximate, dynamic_batch=dynamic_batch, like=like)
    data = model.SerializeToString()
    p = Path(path)
    if p.suffix == ".gz":
        data = gzip.compress(data)
    try:
        p.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"{p}: cannot write: {exc.strerror or exc}") from None
    return worst
