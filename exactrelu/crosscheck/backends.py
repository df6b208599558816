"""Float backends of the cross-check: numpy float32/float64, ONNX Runtime and PyTorch.

A backend runs the float implementation on one input at a time and returns its outputs
(and, where it can, its pre-activations); :func:`make_backend` builds one by name.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> be = make_backend("numpy32", mlp(1, [([[1]], [0])]))
>>> be.name, be.dtype.name
('numpy32', 'float32')
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError, ModelError, UsageError
from ..model.network import Network
from ..numbers.rationals import to_float
from .exact import ZERO

__all__ = ["BACKENDS", "FloatBackend", "NumpyBackend", "OnnxRuntimeBackend", "TorchBackend",
           "make_backend", "max_rounding_change"]


BACKENDS = ("numpy32", "numpy64", "onnxruntime", "torch")


class FloatBackend:
    """A float implementation of a network: ``run(x)`` on one full input vector.

    Subclasses set ``name``, ``dtype`` (a numpy dtype: inputs must be representable in
    it), ``has_patterns`` (``run`` also returns the ReLU pre-activations, in the exact
    network's unit order), ``weight_change`` (the largest exact change of a weight when
    it was rounded to ``dtype``, or None if unknown) and ``description``.
    """

    name = "float"
    dtype: Any = np.dtype(np.float32)
    has_patterns = False
    weight_change: Fraction | None = None
    description = ""

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:  # pragma: no cover - interface
        """Outputs (1-D) and ReLU pre-activations (1-D, or None) at one input ``x``."""
        raise NotImplementedError


def max_rounding_change(net: Network, dtype) -> Fraction:
    """Largest exact change of a weight or bias when rounded (via float64) to ``dtype``."""
    worst = ZERO
    for layer in net.layers:
        vals = [v for _, w in layer.inputs for row in w for v in row] + list(layer.bias)
        arr = np.array([to_float(v) for v in vals], dtype=np.float64).astype(dtype)  # overflow: inf
        for v, f in zip(vals, arr.tolist()):
            if not math.isfinite(f):
                return Fraction(10) ** 400  # overflow: reported as huge
            ch = abs(Fraction(f) - v)
            if ch > worst:
                worst = ch
    return worst


class NumpyBackend(FloatBackend):
    """:func:`exactrelu.model.evaluation.evaluate_float` in ``float32`` or ``float64`` (one input per call)."""

    has_patterns = True

    def __init__(self, net: Network, dtype: str = "float32") -> None:
        from ..model.evaluation import evaluate_float

        self._eval = evaluate_float
        self.net = net
        self.dtype = np.dtype(dtype)
        self.name = "numpy32" if self.dtype == np.float32 else "numpy64"
        self._relu = [layer.activation.value == "relu" for layer in net.layers]
        self.weight_change = max_rounding_change(net, self.dtype)
        self.description = f"numpy {self.dtype.name} (weights rounded to {self.dtype.name}, one input per call)"

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        y, pres = self._eval(self.net, x.reshape(1, -1), dtype=self.dtype.name, return_pre=True)
        pre = [Z[0] for Z, r in zip(pres, self._relu) if r]
        return y[0], (np.concatenate(pre) if pre else np.zeros(0, self.dtype))


class TorchBackend(FloatBackend):
    """The network rebuilt in PyTorch (``torch.float32`` by default), one input per call."""

    has_patterns = True

    def __init__(self, net: Network, dtype: str = "float32") -> None:
        try:
            import torch
        except ImportError:
            raise BackendUnavailableError(
                "the torch backend needs PyTorch, which is not installed: pip install exactrelu[torch]") from None
        self._torch = torch
        self.dtype = np.dtype(dtype)
        tdt = torch.float32 if self.dtype == np.float32 else torch.float64
        self.name = "torch"
        self.layers = []
        for layer in net.layers:
            ws = [(s, torch.tensor(np.array([[float(v) for v in row] for row in w], dtype=self.dtype), dtype=tdt))
                  for s, w in layer.inputs]
            b = torch.tensor(np.array([float(v) for v in layer.bias], dtype=self.dtype), dtype=tdt)
            self.layers.append((ws, b, layer.activation.value == "relu"))
        self.weight_change = max_rounding_change(net, self.dtype)
        self.description = f"PyTorch {self.dtype.name} on CPU, one input per call"

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        torch = self._torch
        with torch.no_grad():
            outs = [torch.from_numpy(np.ascontiguousarray(x.reshape(1, -1)))]
            pre = []
            for ws, b, relu in self.layers:
                z = None
                for s, W in ws:
                    p = outs[s] @ W.T
                    z = p if z is None else z + p
                z = z + b
                if relu:
                    pre.append(z[0].numpy().copy())
                    outs.append(torch.relu(z))
                else:
                    outs.append(z)
            y = outs[-1][0].numpy().copy()
        return y, (np.concatenate(pre) if pre else np.zeros(0, self.dtype))


class OnnxRuntimeBackend(FloatBackend):
    """ONNX Runtime (CPU) on an ONNX model: the original file when given, else an export.

    Outputs come from the unmodified model. For activation patterns a second session
    also returns the input of every ``Relu`` node; they are used only when these tensors
    line up one-to-one with the exact network's ReLU layers (``has_patterns``).
    """

    name = "onnxruntime"

    def __init__(self, net: Network, model: "str | Path | bytes | None" = None, dtype: str = "float32") -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise BackendUnavailableError(
                "the onnxruntime backend needs onnxruntime, which is not installed: "
                "pip install exactrelu[onnxruntime]") from None
        import onnx
        from onnx import helper

        from ..io.files import maybe_gunzip

        self.net = net
        if model is None:
            from ..io.onnx.onnx_io import network_to_onnx

            proto, change = network_to_onnx(net, dtype=dtype, approximate=True)
            self.weight_change = change
            raw = proto.SerializeToString()
            self.description = f"onnxruntime on an exported {dtype} ONNX model (weights rounded to nearest)"
        else:
            raw = maybe_gunzip(model if isinstance(model, bytes) else Path(model).read_bytes())
            proto = onnx.load_from_string(raw)
            self.weight_change = None
            self.description = "onnxruntime on the original ONNX file" + (
                f" {Path(model).name}" if not isinstance(model, bytes) else "")
        so = ort.SessionOptions()
        so.log_severity_level = 3
        self._sess = ort.InferenceSession(raw, so, providers=["CPUExecutionProvider"])
        inits = {i.name for i in proto.graph.initializer}
        ins = [i for i in self._sess.get_inputs() if i.name not in inits]
        if len(ins) != 1:
            raise ModelError(f"onnxruntime backend: the model has {len(ins)} data inputs, expected 1")
        inp = ins[0]
        self._in_name = inp.name
        types = {"tensor(float)": np.float32, "tensor(double)": np.float64}
        if inp.type not in types:
            raise ModelError(f"onnxruntime backend: unsupported input type {inp.type}")
        self.dtype = np.dtype(types[inp.type])
        self._shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
        if int(np.prod(self._shape)) != net.n_inputs:
            raise ModelError(f"onnxruntime backend: input shape {inp.shape} does not hold {net.n_inputs} values")
        self._out_name = self._sess.get_outputs()[0].name
        # second session exposing the Relu inputs (pre-activations)
        self.has_patterns = False
        self._psess = None
        relu_in = [n.input[0] for n in proto.graph.node if n.op_type == "Relu"]
        widths = [layer.width for layer in net.layers if layer.activation.value == "relu"]
        if relu_in and len(relu_in) == len(widths):
            inst = onnx.ModelProto()
            inst.CopyFrom(proto)
            existing = {o.name for o in inst.graph.output}
            elem = onnx.TensorProto.FLOAT if self.dtype == np.float32 else onnx.TensorProto.DOUBLE
            for r in relu_in:
                if r not in existing:
                    inst.graph.output.append(helper.make_tensor_value_info(r, elem, None))
            try:
                self._psess = ort.InferenceSession(inst.SerializeToString(), so, providers=["CPUExecutionProvider"])
                self._relu_names = relu_in
                probe = self._psess.run(relu_in, {self._in_name: np.zeros(self._shape, self.dtype)})
                if [int(np.prod(a.shape)) for a in probe] == widths:
                    self.has_patterns = True
            except Exception:  # noqa: BLE001 - instrumentation is best effort; outputs still work
                self._psess = None
        if not self.has_patterns:
            self.description += " (ReLU pre-activations not mapped: patterns not compared)"

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        feed = {self._in_name: np.ascontiguousarray(x.astype(self.dtype).reshape(self._shape))}
        y = self._sess.run([self._out_name], feed)[0].reshape(-1)
        pre = None
        if self.has_patterns:
            pres = self._psess.run(self._relu_names, feed)
            pre = np.concatenate([a.reshape(-1) for a in pres])
        return y, pre


def make_backend(backend: "str | FloatBackend", net: Network, model_path: "str | Path | None" = None) -> FloatBackend:
    """A :class:`FloatBackend` from a name in :data:`BACKENDS` (or return the object given).

    ``onnxruntime`` runs ``model_path`` itself when it is an ONNX file (``.onnx``,
    ``.onnx.gz``), otherwise an ONNX export of ``net`` (float32, weights rounded to nearest).
    """
    if isinstance(backend, FloatBackend):
        return backend
    name = str(backend).lower()
    if name in ("numpy32", "float32", "numpy"):
        return NumpyBackend(net, "float32")
    if name in ("numpy64", "float64"):
        return NumpyBackend(net, "float64")
    if name in ("torch", "pytorch", "torch32"):
        return TorchBackend(net, "float32")
    if name in ("onnxruntime", "ort", "onnx"):
        src = None
        if model_path is not None and (str(model_path).endswith(".onnx") or str(model_path).endswith(".onnx.gz")):
            src = model_path
        return OnnxRuntimeBackend(net, src)
    raise UsageError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
