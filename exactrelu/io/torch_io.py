"""Exact import of PyTorch modules (optional: ``pip install exactrelu[torch]``).

:func:`from_torch` traces the module with ``torch.fx.symbolic_trace`` (so an
``nn.Sequential`` and a module with an attribute-style ``forward``, e.g. a residual block
``return self.fc2(relu(self.fc1(x))) + x``, both work) and executes the traced graph
symbolically with the same exact engine as the ONNX importer: parameters convert exactly
(float32 values are dyadic rationals), affine steps merge into one layer, each ReLU
materialises a ReLU layer and ``+`` of two computed tensors gives a skip connection.

Python-float hyperparameters (``LeakyReLU`` slope, ``BatchNorm`` eps) are used at their
exact float64 values.  Inference semantics are modelled: ``Dropout`` is the identity and ``BatchNorm`` uses its
running statistics (exactly only when ``1/sqrt(var + eps)`` is rational, see
:mod:`exactrelu.io.onnx.onnx_io`; ``approximate_bn=True`` rounds it).

Supported modules: ``Linear``, ``ReLU``, ``LeakyReLU`` (any slope, exact), ``PReLU``,
``ReLU6``, ``Hardtanh``, ``Identity``, ``Flatten``, ``Unflatten``, ``Dropout*``,
``Conv1d/2d/3d`` (zero padding), ``BatchNorm1d/2d/3d``, ``MaxPool1d/2d``, ``AvgPool1d/2d``,
``AdaptiveAvgPool``/``AdaptiveMaxPool`` to size 1, nested ``Sequential``.  Functions and
methods: ``+``, ``-``, unary ``-``, ``*`` and ``/`` by constants, ``torch.add/sub/cat/flatten/
reshape/relu``, ``F.relu``, ``F.leaky_relu``, ``F.linear``, ``.view``, ``.reshape``,
``.flatten``, ``.size``, ``.relu``.  Anything else raises
:class:`~exactrelu.errors.UnsupportedOperatorError` naming it.

The input is a tensor of shape ``(1, n_inputs)`` by default; ``n_inputs`` defaults to
the ``in_features`` of the first ``Linear``.  For convolutional models pass
``input_shape=(1, C, H, W)``.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any, Sequence

import numpy as np

from ..errors import BackendUnavailableError, ModelError, ShapeError, UnsupportedOperatorError
from ..model.network import Network
from .onnx.executor import call_operator
from .onnx.forms import Const, Sym
from .onnx.graph import OnnxGraph
from .onnx.ops_affine import binary, matmul_values

__all__ = ["from_torch"]


def _torch():
    try:
        import torch  # noqa: F401
        import torch.fx  # noqa: F401
    except ImportError:
        raise BackendUnavailableError("PyTorch is not installed; pip install exactrelu[torch] "
                                      "(or export the model to ONNX and use load_onnx)") from None
    return torch


def _pair(v: Any, nd: int) -> list[int]:
    if isinstance(v, (tuple, list)):
        return [int(x) for x in v]
    return [int(v)] * nd


class _TorchImporter:
    def __init__(self, module: Any, input_shape: Sequence[int], approximate_bn: bool,
                 bn_max_denominator: int | None) -> None:
        self.torch = _torch()
        self.module = module
        self.g = OnnxGraph(None, None, None, approximate_bn, bn_max_denominator)
        self.x = self.g.set_input(input_shape)

    # ---- values ---------------------------------------------------------------------
    def const(self, t: Any, name: str) -> Const:
        torch = self.torch
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu()
            if t.is_floating_point():
                return self.g.const_from_numpy(t.to(torch.float64).numpy(), name)  # exact widening
            return self.g.const_from_numpy(t.numpy(), name)
        if isinstance(t, bool):
            raise ModelError(f"{name}: a boolean is not a number")
        if isinstance(t, int):
            return Const(np.asarray(t, dtype=np.int64))
        if isinstance(t, float):
            return self.g.const_from_numpy(np.asarray(t, dtype=np.float64), name)
        raise ModelError(f"{name}: cannot use {type(t).__name__} as a tensor")

    def val(self, v: Any, name: str) -> Any:
        if isinstance(v, (Const, Sym)):
            return v
        return self.const(v, name)

    # ---- driver ---------------------------------------------------------------------
    def run(self) -> Network:
        torch = self.torch
        try:
            gm = torch.fx.symbolic_trace(self.module)
        except Exception as exc:
            raise ModelError(f"torch.fx cannot trace this module ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}); export it to ONNX instead") from None
        env: dict[Any, Any] = {}
        placeholders = 0
        out = None
        out_name = ""
        for node in gm.graph.nodes:
            if node.op == "placeholder":
                placeholders += 1
                if placeholders > 1:
                    raise ModelError("the module's forward takes more than one input; exactrelu networks have one")
                env[node] = self.x
                continue
            if node.op == "output":
                out = torch.fx.node.map_arg(node.args[0], lambda n: env[n])
                break
            args = torch.fx.node.map_arg(node.args, lambda n: env[n])
            kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
            if node.op == "get_attr":
                obj = gm
                for part in str(node.target).split("."):
                    obj = getattr(obj, part)
                env[node] = self.const(obj, str(node.target))
            elif node.op == "call_module":
                env[node] = self.module_call(gm.get_submodule(node.target), str(node.target), args, kwargs)
            elif node.op == "call_function":
                env[node] = self.function_call(node.target, node.name, args, kwargs)
            elif node.op == "call_method":
                env[node] = self.method_call(str(node.target), node.name, args, kwargs)
            else:  # pragma: no cover - fx has no other node kinds
                raise UnsupportedOperatorError(node.op, node.name)
            out_name = str(node.target) if node.op == "call_module" else node.name
        if isinstance(out, (tuple, list)):
            if len(out) != 1:
                raise ModelError("the module returns several tensors; exactrelu networks have one output")
            out = out[0]
        if not isinstance(out, (Const, Sym)):
            raise ModelError("the module does not return a tensor")
        net = self.g.finish(out, out_name, type(self.module).__name__)
        if self.g.notes:
            warnings.warn("PyTorch import approximated: " + "; ".join(self.g.notes), stacklevel=3)
        return net

    # ---- modules --------------------------------------------------------------------
    def module_call(self, m: Any, name: str, args: tuple, kwargs: dict) -> Any:
        nn = self.torch.nn
        g = self.g
        if kwargs or len(args) != 1:
            raise UnsupportedOperatorError(type(m).__name__, name, "modules must be called with one tensor")
        x = self.val(args[0], name)
        if isinstance(m, nn.Linear):
            y = matmul_values(g, x, Const(self.const(m.weight, f"{name}.weight").a.T))
            if m.bias is not None:
                y = binary(g, y, self.const(m.bias, f"{name}.bias"), np.add)
            return y
        if isinstance(m, nn.ReLU):
            return call_operator(g, "Relu", name, [x])[0]
        if isinstance(m, nn.LeakyReLU):
            return call_operator(g, "LeakyRelu", name, [x], {"alpha": float(m.negative_slope)})[0]
        if isinstance(m, nn.PReLU):
            w = self.const(m.weight, f"{name}.weight")
            rank = len(x.shape)
            if w.a.size > 1 and rank >= 2:
                w = Const(w.a.reshape((-1,) + (1,) * (rank - 2)))
            return call_operator(g, "PRelu", name, [x, w])[0]
        if isinstance(m, nn.Hardtanh):  # includes ReLU6
            return call_operator(g, "Clip", name, [x, self.const(float(m.min_val), name), self.const(float(m.max_val), name)])[0]
        if isinstance(m, (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)):
            return x
        if isinstance(m, nn.Flatten):
            return self._flatten(x, m.start_dim, m.end_dim)
        if isinstance(m, nn.Unflatten):
            dim = m.dim if m.dim >= 0 else m.dim + len(x.shape)
            shape = list(x.shape[:dim]) + list(m.unflattened_size) + list(x.shape[dim + 1:])
            return g.same_kind(x, x.a.reshape(shape))
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            return self._conv(m, name, x)
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            if m.running_mean is None or m.running_var is None:
                raise UnsupportedOperatorError(type(m).__name__, name, "no running statistics (track_running_stats=False)")
            C = m.num_features
            scale = self.const(m.weight, f"{name}.weight") if m.weight is not None else Const(np.ones(C, dtype=np.int64))
            bias = self.const(m.bias, f"{name}.bias") if m.bias is not None else Const(np.zeros(C, dtype=np.int64))
            return call_operator(g, "BatchNormalization", name,
                          [x, scale, bias, self.const(m.running_mean, name), self.const(m.running_var, name)],
                          {"epsilon": float(m.eps)})[0]
        if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
            if m.return_indices:
                raise UnsupportedOperatorError(type(m).__name__, name, "return_indices=True")
            nd = len(x.shape) - 2
            k = _pair(m.kernel_size, nd)
            s = _pair(m.stride if m.stride is not None else m.kernel_size, nd)
            p = _pair(m.padding, nd)
            return call_operator(g, "MaxPool", name, [x], {"kernel_shape": k, "strides": s, "pads": p + p,
                                                 "dilations": _pair(m.dilation, nd), "ceil_mode": int(m.ceil_mode)})[0]
        if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
            if getattr(m, "divisor_override", None):
                raise UnsupportedOperatorError(type(m).__name__, name, "divisor_override")
            nd = len(x.shape) - 2
            k = _pair(m.kernel_size, nd)
            s = _pair(m.stride if m.stride is not None else m.kernel_size, nd)
            p = _pair(m.padding, nd)
            return call_operator(g, "AveragePool", name, [x], {"kernel_shape": k, "strides": s, "pads": p + p,
                                                     "ceil_mode": int(m.ceil_mode),
                                                     "count_include_pad": int(m.count_include_pad)})[0]
        if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
                          nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
            size = m.output_size
            sizes = list(size) if isinstance(size, (tuple, list)) else [size]
            if any(v not in (1, None) for v in sizes) and not all(v is None for v in sizes):
                raise UnsupportedOperatorError(type(m).__name__, name, "only output size 1 is supported")
            op = "GlobalAveragePool" if "Avg" in type(m).__name__ else "GlobalMaxPool"
            return call_operator(g, op, name, [x])[0]
        raise UnsupportedOperatorError(type(m).__name__, name, "no exact piecewise-linear lowering")

    def _conv(self, m: Any, name: str, x: Any) -> Any:
        if m.padding_mode != "zeros":
            raise UnsupportedOperatorError(type(m).__name__, name, f"padding_mode {m.padding_mode!r}")
        nd = len(m.kernel_size)
        k = list(m.kernel_size)
        d = _pair(m.dilation, nd)
        if isinstance(m.padding, str):
            if m.padding == "valid":
                pb = pe = [0] * nd
            else:  # "same" (stride 1): PyTorch puts the extra pad at the end
                total = [d[i] * (k[i] - 1) for i in range(nd)]
                pb = [t // 2 for t in total]
                pe = [t - t // 2 for t in total]
        else:
            pb = pe = _pair(m.padding, nd)
        inputs = [x, self.const(m.weight, f"{name}.weight")]
        if m.bias is not None:
            inputs.append(self.const(m.bias, f"{name}.bias"))
        return call_operator(self.g, "Conv", name, inputs, {"strides": _pair(m.stride, nd), "pads": list(pb) + list(pe),
                                                  "dilations": d, "group": int(m.groups), "kernel_shape": k})[0]

    def _flatten(self, x: Any, start: int = 0, end: int = -1) -> Any:
        r = len(x.shape)
        start = start + r if start < 0 else start
        end = end + r if end < 0 else end
        if r == 0:
            return self.g.same_kind(x, x.a.reshape(1))
        shape = list(x.shape[:start]) + [int(np.prod(x.shape[start:end + 1]))] + list(x.shape[end + 1:])
        return self.g.same_kind(x, x.a.reshape(shape))

    def _reshape(self, x: Any, shape: Sequence[Any]) -> Any:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        dims = [self._int(v) for v in shape]
        return self.g.same_kind(x, x.a.reshape(dims))

    @staticmethod
    def _int(v: Any) -> int:
        if isinstance(v, Const):
            return int(v.a)
        return int(v)

    # ---- functions and methods -------------------------------------------------------
    def function_call(self, fn: Any, name: str, args: tuple, kwargs: dict) -> Any:
        torch = self.torch
        F = torch.nn.functional
        g = self.g
        if fn is operator.getitem:
            seq, idx = args
            if isinstance(seq, (tuple, list)):
                return seq[idx]
            x = self.val(seq, name)
            return g.same_kind(x, x.a[idx])
        if fn in (operator.add, torch.add, operator.iadd):
            a, b = args[0], args[1]
            alpha = kwargs.get("alpha", 1)
            b = self.val(b, name)
            if alpha != 1:
                b = binary(g, b, self.const(alpha, name), np.multiply)
            return binary(g, self.val(a, name), b, np.add)
        if fn in (operator.sub, torch.sub, operator.isub):
            return binary(g, self.val(args[0], name), self.val(args[1], name), np.subtract)
        if fn in (operator.mul, torch.mul, operator.imul):
            return call_operator(g, "Mul", name, [self.val(args[0], name), self.val(args[1], name)])[0]
        if fn in (operator.truediv, torch.div, operator.itruediv):
            if kwargs.get("rounding_mode") is not None:
                raise UnsupportedOperatorError("div", name, "rounding_mode")
            return call_operator(g, "Div", name, [self.val(args[0], name), self.val(args[1], name)])[0]
        if fn in (operator.neg, torch.neg):
            return call_operator(g, "Neg", name, [self.val(args[0], name)])[0]
        if fn is operator.pos:
            return args[0]
        if fn in (torch.relu, F.relu):
            return call_operator(g, "Relu", name, [self.val(args[0], name)])[0]
        if fn is F.leaky_relu:
            slope = kwargs.get("negative_slope", args[1] if len(args) > 1 else 0.01)
            return call_operator(g, "LeakyRelu", name, [self.val(args[0], name)], {"alpha": float(slope)})[0]
        if fn is F.linear:
            x = self.val(args[0], name)
            w = self.val(args[1] if len(args) > 1 else kwargs["weight"], name)
            b = args[2] if len(args) > 2 else kwargs.get("bias")
            y = matmul_values(g, x, Const(w.a.T) if isinstance(w, Const) else w)
            return binary(g, y, self.val(b, name), np.add) if b is not None else y
        if fn is torch.flatten:
            start = kwargs.get("start_dim", args[1] if len(args) > 1 else 0)
            end = kwargs.get("end_dim", args[2] if len(args) > 2 else -1)
            return self._flatten(self.val(args[0], name), start, end)
        if fn is torch.reshape:
            return self._reshape(self.val(args[0], name), args[1])
        if fn is torch.cat:
            tensors = [self.val(t, name) for t in args[0]]
            dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
            return call_operator(g, "Concat", name, tensors, {"axis": int(dim)})[0]
        if fn in (F.dropout, F.alpha_dropout):
            return args[0]
        fname = getattr(fn, "__name__", repr(fn))
        raise UnsupportedOperatorError(fname, name, "no exact piecewise-linear lowering")

    def method_call(self, meth: str, name: str, args: tuple, kwargs: dict) -> Any:
        g = self.g
        x = self.val(args[0], name)
        if meth == "size":
            dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
            return tuple(x.shape) if dim is None else x.shape[dim]
        if meth in ("relu", "relu_"):
            return call_operator(g, "Relu", name, [x])[0]
        if meth in ("view", "reshape"):
            return self._reshape(x, args[1:])
        if meth == "flatten":
            start = kwargs.get("start_dim", args[1] if len(args) > 1 else 0)
            end = kwargs.get("end_dim", args[2] if len(args) > 2 else -1)
            return self._flatten(x, start, end)
        if meth in ("contiguous", "clone", "detach", "float", "double"):
            return x
        if meth in ("add", "add_"):
            return binary(g, x, self.val(args[1], name), np.add)
        if meth in ("sub", "sub_"):
            return binary(g, x, self.val(args[1], name), np.subtract)
        if meth in ("mul", "mul_"):
            return call_operator(g, "Mul", name, [x, self.val(args[1], name)])[0]
        if meth in ("div", "div_"):
            return call_operator(g, "Div", name, [x, self.val(args[1], name)])[0]
        if meth == "neg":
            return call_operator(g, "Neg", name, [x])[0]
        if meth in ("squeeze", "unsqueeze"):
            dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
            if meth == "squeeze":
                if dim is None:
                    return g.same_kind(x, np.squeeze(x.a))
                return g.same_kind(x, np.squeeze(x.a, axis=dim) if x.shape[dim] == 1 else x.a)
            return g.same_kind(x, np.expand_dims(x.a, dim if dim >= 0 else dim + len(x.shape) + 1))
        raise UnsupportedOperatorError(f"Tensor.{meth}", name, "no exact piecewise-linear lowering")


def from_torch(module: Any, n_inputs: int | None = None, input_shape: Sequence[int] | None = None,
               approximate_bn: bool = False, bn_max_denominator: int | None = None) -> Network:
    """Exact :class:`Network` of a PyTorch module (inference semantics).

    Parameters
    ----------
    module : torch.nn.Module
        ``nn.Sequential`` or any module ``torch.fx.symbolic_trace`` can trace.
    n_inputs : int, optional
        Input width; the input tensor has shape ``(1, n_inputs)``. Default: the
        ``in_features`` of the first ``nn.Linear``.
    input_shape : sequence of int, optional
        Full input tensor shape (e.g. ``(1, 1, 28, 28)`` for convolutional models);
        overrides ``n_inputs``.
    approximate_bn, bn_max_denominator
        As in :func:`exactrelu.io.onnx.onnx_io.import_onnx`.

    Raises
    ------
    BackendUnavailableError
        PyTorch is not installed (``pip install exactrelu[torch]``).
    UnsupportedOperatorError
        A module, function or method with no exact lowering (named).
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise ModelError(f"expected a torch.nn.Module, got {type(module).__name__}")
    if input_shape is None:
        if n_inputs is None:
            first = next((m for m in module.modules() if isinstance(m, torch.nn.Linear)), None)
            if first is None:
                raise ShapeError("cannot infer the input size (no nn.Linear); pass n_inputs= or input_shape=")
            n_inputs = int(first.in_features)
        if not isinstance(n_inputs, int) or isinstance(n_inputs, bool) or n_inputs < 1:
            raise ShapeError(f"n_inputs must be a positive integer, got {n_inputs!r}")
        input_shape = (1, n_inputs)
    return _TorchImporter(module, input_shape, approximate_bn, bn_max_denominator).run()

