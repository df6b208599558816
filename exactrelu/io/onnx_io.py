"""Exact ONNX import and export.

Import (:func:`load_onnx`, :func:`import_onnx`, :func:`onnx_to_network`)
------------------------------------------------------------------------
The graph is executed *symbolically*: every tensor element is an exact affine form
``sum c_(s,i) h_s[i] + d`` over the outputs ``h_s`` of the network layers created so far
(``s = 0`` is the network input).  Linear operators only combine forms, so consecutive
affine operators (``Sub -> Flatten -> MatMul -> Add``) merge into one layer; a piecewise
linear operator (``Relu``, ``LeakyRelu``, ``MaxPool``, ...) *materialises* a new ReLU layer
whose units are the forms it needs.  At the end the output forms become an identity
output layer (or, if the output is exactly the output of the last ReLU layer, nothing
more is added).  ACAS Xu thus gives six ReLU layers of 50 and one identity layer of 5.

Every float in the file converts **exactly** (float32/float16/float64 values are dyadic
rationals); arithmetic on constants (``Mul`` of two initializers, ...) is done exactly, not
in float.  Supported operators:

* affine: ``Gemm`` (alpha, beta, transA, transB), ``MatMul`` (one operand constant, numpy
  batching and 1-D rules), ``Add``, ``Sub`` (constant or two computed tensors), ``Mul`` and
  ``Div`` by constants, ``Neg``, ``Sum``, ``Mean``, ``Conv`` (N-d, pads, strides, dilations,
  groups, auto_pad), ``AveragePool``, ``GlobalAveragePool``, ``BatchNormalization``
  (inference; see below), ``Pad`` (constant mode);
* piecewise linear (materialise ReLU layers): ``Relu``, ``LeakyRelu`` (``a x + (1-a)
  relu(x)``, exact for every slope ``a``), ``PRelu`` (constant slope), ``Clip``, ``Abs``,
  ``Max``, ``Min``, ``MaxPool``, ``GlobalMaxPool`` (``max(a, b) = a + relu(b - a)``, a tree
  of depth ``ceil(log2 k)`` per window, all windows of one tree level in one layer);
* shape only: ``Flatten``, ``Reshape``, ``Transpose``, ``Squeeze``, ``Unsqueeze``,
  ``Concat``, ``Slice``, ``Gather`` (constant indices), ``Split``, ``Shape``,
  ``Identity``, ``Dropout`` (inference: identity), ``Cast``/``CastLike`` to float types
  (identity on computed tensors), ``Constant``, ``ConstantOfShape``.

Anything else raises :class:`~exactrelu.errors.UnsupportedOperatorError` naming the
operator and the node.  Only the nodes the chosen output depends on are executed.

*BatchNormalization* multiplies by ``1/sqrt(var + epsilon)``, which is irrational unless
``var + epsilon`` is the square of a rational.  By default only that exact case is
accepted; otherwise the import fails with an explanation.  With ``approximate_bn=True``
the factor is rounded to the nearest float64 (or, with ``bn_max_denominator=D``, to the
closest rational with denominator ``<= D``); the import then warns and
:attr:`OnnxImport.max_change` holds a rigorous exact upper bound of the largest change
made to any folded coefficient.

The *batch dimension*: a symbolic leading dimension (``N``, ``batch``, unset) is taken
as 1; other symbolic dimensions need ``input_shape=``.  The network input is the input
tensor flattened in C order (``n_inputs = prod(shape)``), and likewise the output.
Graph inputs that have an initializer are constants (old-IR "optional inputs").
Float attributes (``alpha``, ``epsilon``, ...) are float32 in ONNX and are used at their
exact float32 values (also the defaults: ``LeakyRelu`` alpha is float32(0.01)).  Weights
in external data files are read only when the model is loaded from its path.

Export (:func:`export_onnx`, :func:`network_to_onnx`)
-----------------------------------------------------
One ``Gemm`` per (layer, source) with ``transB=1`` (weights stored ``[out, in]`` like
PyTorch; the first Gemm of a layer carries the bias, later ones add the previous result
as ``C``), then ``Relu`` for ReLU layers.  Input ``"input"`` of shape ``[1, n]`` (or
``["N", n]`` with ``dynamic_batch=True``), output ``"output"`` of shape ``[1, m]``;
opset 13, IR version 8.  Every weight must be exactly representable in ``dtype`` or
:class:`~exactrelu.errors.ExportError` names the first one that is not, unless
``approximate=True`` (then each is rounded to the nearest float and the largest change is
returned, exactly).  Loading the export gives back an equal :class:`Network` when every
hidden layer is a ReLU layer and every layer influences the output (identity hidden
layers are folded into their consumers by the loader, which is exact but changes the
structure); input and output names are not stored.

Examples
--------
>>> from exactrelu.network import mlp
>>> net = mlp(2, [([[1, "-1/2"], [2, 1]], ["1/4", 0]), ([[1, 1]], [0])])
>>> model, change = network_to_onnx(net)
>>> change
Fraction(0, 1)
>>> load_onnx(model.SerializeToString()) == net
True
>>> network_to_onnx(mlp(1, [([["1/10"]], [0])]))
Traceback (most recent call last):
...
exactrelu.errors.ExportError: layer 1, weight from source 0 [0][0] = 1/10 is not exactly representable in float32; pass approximate=True to round to the nearest float32
"""

from __future__ import annotations

import gzip
import itertools
import math
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..errors import (ExactReluError, ExportError, ModelError, ModelFormatError, ShapeError,
                      UnsupportedOperatorError)
from ..network import Activation, Layer, Network
from ..rationals import format_rational, is_float32_exact, is_float64_exact

__all__ = [
    "OnnxImport",
    "load_onnx",
    "import_onnx",
    "onnx_to_network",
    "export_onnx",
    "network_to_onnx",
    "read_onnx_model",
]

_ZERO = Fraction(0)
_ONE = Fraction(1)
_GZIP_MAGIC = b"\x1f\x8b"
# ONNX float attribute defaults are float32 values
_F32_0_01 = float(np.float32(0.01))
_F32_1E_5 = float(np.float32(1e-5))


# --------------------------------------------------------------------------------------
# exact affine forms
# --------------------------------------------------------------------------------------
class _Nonlinear(Exception):
    """Raised inside arithmetic when two input-dependent values are multiplied."""


def _scalar(o: Any) -> Fraction | None:
    if type(o) is Fraction:
        return o
    if isinstance(o, (int, np.integer)) and not isinstance(o, (bool, np.bool_)):
        return Fraction(int(o))
    if isinstance(o, Fraction):
        return Fraction(o.numerator, o.denominator)
    return None


class _Aff:
    """An exact affine form ``sum t[(s, i)] * h_s[i] + c``.

    ``t`` is never mutated after construction (forms share dictionaries).  Zero
    coefficients are kept: they record which sources a value structurally reads.
    """

    __slots__ = ("t", "c")

    def __init__(self, t: dict, c: Fraction) -> None:
        self.t = t
        self.c = c

    def __add__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            if not o.t:
                return _Aff(self.t, self.c + o.c)
            if not self.t:
                return _Aff(o.t, self.c + o.c)
            t = dict(self.t)
            for k, v in o.t.items():
                t[k] = t.get(k, _ZERO) + v
            return _Aff(t, self.c + o.c)
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return _Aff(self.t, self.c + q)

    __radd__ = __add__

    def __neg__(self) -> "_Aff":
        return _Aff({k: -v for k, v in self.t.items()}, -self.c)

    def __sub__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            return self + (-o)
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return _Aff(self.t, self.c - q)

    def __rsub__(self, o: Any) -> "_Aff":
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return (-self) + q

    def scale(self, q: Fraction) -> "_Aff":
        return _Aff({k: v * q for k, v in self.t.items()}, self.c * q)

    def __mul__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            if not o.t:
                return self.scale(o.c)
            if not self.t:
                return o.scale(self.c)
            raise _Nonlinear("product of two input-dependent tensors is not piecewise linear")
        q = _scalar(o)
        if q is None:
            return NotImplemented
        return self.scale(q)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "_Aff":
        if isinstance(o, _Aff):
            if o.t:
                raise _Nonlinear("division by an input-dependent tensor is not piecewise linear")
            o = o.c
        q = _scalar(o)
        if q is None:
            return NotImplemented
        if q == 0:
            raise ZeroDivisionError("division by zero")
        return self.scale(1 / q)

    def __rtruediv__(self, o: Any) -> "_Aff":
        if not self.t:
            q = _scalar(o)
            if q is None:
                return NotImplemented
            if self.c == 0:
                raise ZeroDivisionError("division by zero")
            return _Aff({}, q / self.c)
        raise _Nonlinear("division by an input-dependent tensor is not piecewise linear")

    def key(self) -> tuple:
        return (tuple(sorted(self.t.items())), self.c)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_Aff({self.t!r}, {self.c!r})"


def _lincomb(pairs: Iterable[tuple[Fraction, _Aff]], const: Fraction = _ZERO) -> _Aff:
    """``sum q * f + const`` accumulated into one fresh dictionary."""
    t: dict = {}
    c = const
    get = t.get
    for q, f in pairs:
        if f.c:
            c += q * f.c
        for k, v in f.t.items():
            t[k] = get(k, _ZERO) + q * v
    return _Aff(t, c)


def _obj_array(items: Sequence[Any], shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out.reshape(shape)


# --------------------------------------------------------------------------------------
# tensor values during symbolic execution
# --------------------------------------------------------------------------------------
class _Const:
    """A constant tensor: object array of Fractions (float) or a numpy integer/bool array."""

    __slots__ = ("a",)

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    @property
    def is_float(self) -> bool:
        return self.a.dtype == object

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape)

    def frac(self) -> np.ndarray:
        """Object array of Fractions."""
        if self.a.dtype == object:
            return self.a
        flat = [Fraction(int(v)) for v in self.a.ravel().tolist()]
        return _obj_array(flat, self.a.shape)

    def ints(self, what: str) -> list[int]:
        a = self.a
        if a.dtype == object:
            vals = a.ravel().tolist()
            if any(v.denominator != 1 for v in vals):
                raise ModelFormatError(f"{what} must be integers")
            return [int(v) for v in vals]
        return [int(v) for v in a.ravel().tolist()]


class _Sym:
    """An input-dependent tensor: object array of :class:`_Aff`."""

    __slots__ = ("a",)

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape)


_Value = "_Const | _Sym"


def _aff_array(v: "_Const | _Sym") -> np.ndarray:
    if isinstance(v, _Sym):
        return v.a
    fr = v.frac()
    flat = [_Aff({}, q) for q in fr.ravel().tolist()]
    return _obj_array(flat, fr.shape)


def _wrap_result(arr: np.ndarray) -> "_Const | _Sym":
    """Object array of _Aff and/or Fractions -> _Sym (if anything depends on the input) or _Const."""
    flat = arr.ravel().tolist()
    if any(isinstance(v, _Aff) and v.t for v in flat):
        return _Sym(_obj_array([v if isinstance(v, _Aff) else _Aff({}, _scalar(v)) for v in flat], arr.shape))
    return _Const(_obj_array([v.c if isinstance(v, _Aff) else _scalar(v) for v in flat], arr.shape))


def _isqrt_exact(q: Fraction) -> Fraction | None:
    """sqrt(q) if it is rational, else None (q > 0)."""
    p, d = q.numerator, q.denominator
    rp, rd = math.isqrt(p), math.isqrt(d)
    if rp * rp == p and rd * rd == d:
        return Fraction(rp, rd)
    return None


def _inv_sqrt(v: Fraction, approximate: bool, max_denominator: int | None) -> tuple[Fraction, Fraction]:
    """``1/sqrt(v)`` exactly, or a rational approximation and an exact upper bound of its error.

    Returns ``(s, err_bound)``; raises ``ValueError`` (caught by callers) if irrational and
    not ``approximate``.
    """
    if v <= 0:
        raise ZeroDivisionError(f"var + epsilon = {format_rational(v)} is not positive")
    r = _isqrt_exact(v)
    if r is not None:
        return 1 / r, _ZERO
    if not approximate:
        raise ValueError(format_rational(v))
    p, q = v.numerator, v.denominator
    K = 160
    approx = Fraction(math.isqrt((q * p) << (2 * K)), p << K)  # ~ sqrt(q/p) = 1/sqrt(v)
    if max_denominator is not None:
        s = approx.limit_denominator(max_denominator)
    else:
        s = Fraction(float(approx))
    # |s - 1/sqrt(v)| = |s sqrt(v) - 1| / sqrt(v) <= |s^2 v - 1| / sqrt(v) <= |s^2 v - 1| / lb
    lb = Fraction(math.isqrt((p * q) << (2 * K)), q << K)  # <= sqrt(p/q)
    if lb <= 0:
        raise ValueError(format_rational(v))
    return s, abs(s * s * v - 1) / lb


# --------------------------------------------------------------------------------------
# spatial geometry shared by Conv and the pools
# --------------------------------------------------------------------------------------
def _geometry(in_sp: Sequence[int], kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int] | None,
              dilations: Sequence[int], auto_pad: str, ceil_mode: bool) -> tuple[list[int], list[int], list[int]]:
    """Output spatial size and begin/end pads (ONNX rules)."""
    nd = len(in_sp)
    eff = [(kernel[d] - 1) * dilations[d] + 1 for d in range(nd)]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-in_sp[d] // strides[d]) for d in range(nd)]
        pb, pe = [], []
        for d in range(nd):
            total = max(0, (out[d] - 1) * strides[d] + eff[d] - in_sp[d])
            small, big = total // 2, total - total // 2
            if auto_pad == "SAME_UPPER":
                pb.append(small)
                pe.append(big)
            else:
                pb.append(big)
                pe.append(small)
        return out, pb, pe
    if auto_pad == "VALID":
        pb = [0] * nd
        pe = [0] * nd
    elif auto_pad in ("NOTSET", ""):
        p = list(pads) if pads else [0] * (2 * nd)
        if len(p) != 2 * nd:
            raise ShapeError(f"pads has {len(p)} entries, expected {2 * nd}")
        pb, pe = p[:nd], p[nd:]
    else:
        raise ModelFormatError(f"unknown auto_pad {auto_pad!r}")
    out = []
    for d in range(nd):
        span = in_sp[d] + pb[d] + pe[d] - eff[d]
        if span < 0:
            raise ShapeError(f"kernel {kernel[d]} (dilation {dilations[d]}) larger than padded input {in_sp[d] + pb[d] + pe[d]}")
        if ceil_mode:
            o = -(-span // strides[d]) + 1
            if (o - 1) * strides[d] >= in_sp[d] + pb[d]:
                o -= 1
        else:
            o = span // strides[d] + 1
        out.append(o)
    return out, pb, pe


def _windows(in_sp: Sequence[int], kernel: Sequence[int], strides: Sequence[int], pb: Sequence[int],
             pe: Sequence[int], dilations: Sequence[int], out_sp: Sequence[int]):
    """For each output position: list of (kernel offset, input position) inside the input,
    and the number of kernel positions inside the padded input."""
    nd = len(in_sp)
    offsets = list(itertools.product(*[range(k) for k in kernel]))
    result = []
    for opos in itertools.product(*[range(o) for o in out_sp]):
        valid = []
        in_padded = 0
        for ko in offsets:
            ipos = tuple(opos[d] * strides[d] - pb[d] + ko[d] * dilations[d] for d in range(nd))
            if all(-pb[d] <= ipos[d] < in_sp[d] + pe[d] for d in range(nd)):
                in_padded += 1
            if all(0 <= ipos[d] < in_sp[d] for d in range(nd)):
                valid.append((ko, ipos))
        result.append((opos, valid, in_padded))
    return result


# --------------------------------------------------------------------------------------
# the importer
# --------------------------------------------------------------------------------------
@dataclass
class OnnxImport:
    """Result of :func:`import_onnx`: the network and facts about how it was read.

    Attributes
    ----------
    network : Network
    input_name, output_name : str
    input_shape, output_shape : tuple of int
        Shapes used (symbolic batch dimension set to 1).
    notes : list of str
        Human-readable remarks (approximations made).
    max_change : Fraction
        Exact upper bound of the largest change any approximation made to a coefficient
        (0 when the import is exact).
    """

    network: Network
    input_name: str
    output_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    notes: list[str] = field(default_factory=list)
    max_change: Fraction = _ZERO

    @property
    def exact(self) -> bool:
        return self.max_change == 0 and not self.notes


_FLOAT_TYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16"}


class _FakeNode:
    """Stands in for an ONNX NodeProto when other importers call operator handlers."""

    def __init__(self, op_type: str, name: str, n_outputs: int = 1) -> None:
        self.op_type = op_type
        self.name = name
        self.domain = ""
        self.input: list[str] = []
        self.output = [f"{name}:{i}" for i in range(n_outputs)]


class _Graph:
    """Symbolic executor of one ONNX graph."""

    def __init__(self, model: Any, input_shape: Sequence[int] | None, output: str | None,
                 approximate_bn: bool, bn_max_denominator: int | None) -> None:
        """``model=None`` gives a blank builder (used by the PyTorch importer): call
        :meth:`set_input`, the ``_op_*`` handlers and :meth:`finish` directly."""
        self.model = model
        self.opset = 13
        self.approximate_bn = approximate_bn
        self.bn_max_denominator = bn_max_denominator
        self.layers: list[Layer] = []
        self.widths: list[int] = []
        self.layer_vars: list[list[_Aff]] = []
        self.notes: list[str] = []
        self.max_change = _ZERO
        self.env: dict[str, Any] = {}
        self.inits: dict[str, Any] = {}
        self.producers: dict[str, Any] = {}
        if model is None:
            return
        self.graph = model.graph
        self.opset = 1
        for imp in model.opset_import:
            if imp.domain in ("", "ai.onnx"):
                self.opset = int(imp.version)
        self.inits = {t.name: t for t in self.graph.initializer}
        self._choose_io(input_shape, output)

    # ---- inputs/outputs -------------------------------------------------------------
    def _choose_io(self, input_shape: Sequence[int] | None, output: str | None) -> None:
        outs = [o.name for o in self.graph.output]
        if output is None:
            if len(outs) != 1:
                raise ModelFormatError(
                    f"the model has {len(outs)} outputs {outs}; choose one with output=" if outs
                    else "the model has no graph outputs (empty or truncated file?)")
            output = outs[0]
        self.output_name = output
        producers = {}
        for node in self.graph.node:
            for o in node.output:
                if o:
                    producers[o] = node
        self.producers = producers
        # nodes the output depends on
        needed_nodes = []
        seen_nodes = set()
        needed_tensors = set()
        stack = [output]
        while stack:
            name = stack.pop()
            if name in needed_tensors:
                continue
            needed_tensors.add(name)
            node = producers.get(name)
            if node is not None and id(node) not in seen_nodes:
                seen_nodes.add(id(node))
                needed_nodes.append(node)
                stack.extend(i for i in node.input if i)
        self.needed_nodes = [n for n in self.graph.node if id(n) in seen_nodes]
        graph_inputs = [i for i in self.graph.input if i.name not in self.inits]
        used = [i for i in graph_inputs if i.name in needed_tensors]
        if not used:
            if output not in producers and output not in self.inits:
                raise ModelFormatError(f"output {output!r} is not produced by any node (truncated file?)")
            if not graph_inputs:
                raise ModelFormatError("the model has no (non-constant) graph input")
            used = graph_inputs[:1]
        if len(used) > 1:
            raise ModelFormatError(
                f"the output depends on {len(used)} graph inputs {[i.name for i in used]}; exactrelu networks have one input")
        vi = used[0]
        self.input_name = vi.name
        if input_shape is not None:
            shape = [int(d) for d in input_shape]
        else:
            shape = []
            tt = vi.type.tensor_type
            if not tt.HasField("shape"):
                raise ModelFormatError(f"input {vi.name!r} has no shape; pass input_shape=")
            for k, d in enumerate(tt.shape.dim):
                if d.HasField("dim_value") and d.dim_value > 0:
                    shape.append(int(d.dim_value))
                elif k == 0:
                    shape.append(1)  # symbolic or unset batch dimension
                else:
                    raise ModelFormatError(
                        f"input {vi.name!r} has a symbolic dimension {k} ({d.dim_param or '?'}); pass input_shape=")
            if tt.elem_type not in _FLOAT_TYPES and tt.elem_type != 0:
                raise ModelFormatError(f"input {vi.name!r} is not a float tensor (elem_type {tt.elem_type})")
        self.env[vi.name] = self.set_input(shape)

    def set_input(self, shape: Sequence[int]) -> "_Sym":
        """Declare the network input (source 0) with this tensor shape; return its value."""
        shape = [int(d) for d in shape]
        if any(d < 1 for d in shape):
            raise ShapeError(f"input shape {shape} has a non-positive dimension")
        self.input_shape = tuple(shape)
        self.n_inputs = int(np.prod(shape)) if shape else 1
        self.widths.append(self.n_inputs)
        vars0 = [_Aff({(0, i): _ONE}, _ZERO) for i in range(self.n_inputs)]
        self.layer_vars.append(vars0)
        return _Sym(_obj_array(vars0, self.input_shape))

    # ---- constants ------------------------------------------------------------------
    def _const_from_numpy(self, arr: np.ndarray, name: str) -> _Const:
        kind = arr.dtype.kind
        if kind in "iub":
            return _Const(np.asarray(arr, dtype=np.bool_ if kind == "b" else np.int64))
        if kind == "c" or kind in "OSU":
            raise ModelFormatError(f"tensor {name!r} has unsupported type {arr.dtype}")
        try:
            a64 = np.asarray(arr).astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ModelFormatError(f"tensor {name!r} has unsupported type {arr.dtype}") from exc
        finite = np.isfinite(a64)
        if not finite.all():
            bad = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ModelFormatError(f"tensor {name!r} contains a non-finite value {a64[bad]!r} at index {list(bad)}")
        flat = [Fraction(x) for x in a64.ravel().tolist()]
        return _Const(_obj_array(flat, a64.shape))

    def _tensor(self, tp: Any) -> _Const:
        from onnx import numpy_helper

        try:
            arr = numpy_helper.to_array(tp)
        except Exception as exc:  # onnx raises many kinds here
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelFormatError(f"tensor {tp.name!r} cannot be read: {msg}") from exc
        return self._const_from_numpy(np.asarray(arr), tp.name)

    def get(self, name: str, node: Any) -> Any:
        if name in self.env:
            return self.env[name]
        if name in self.inits:
            v = self._tensor(self.inits[name])
            self.env[name] = v
            return v
        raise ModelFormatError(f"tensor {name!r} used by node {self._nname(node)!r} is never defined (truncated file?)")

    @staticmethod
    def _nname(node: Any) -> str:
        return node.name or (node.output[0] if node.output else node.op_type)

    # ---- layers ---------------------------------------------------------------------
    def materialise(self, forms: Sequence[_Aff], activation: Activation, name: str) -> list[_Aff]:
        """Create a layer whose pre-activations are ``forms``; return its output variables."""
        k = len(self.layers) + 1
        width = len(forms)
        sources = sorted({key[0] for f in forms for key in f.t})
        if not sources:
            sources = [0]
        mats = {s: [[_ZERO] * self.widths[s] for _ in range(width)] for s in sources}
        for i, f in enumerate(forms):
            for (s, j), v in f.t.items():
                mats[s][i][j] = v
        inputs = tuple((s, tuple(tuple(row) for row in mats[s])) for s in sources)
        self.layers.append(Layer(inputs, tuple(f.c for f in forms), activation, name))
        self.widths.append(width)
        vars_k = [_Aff({(k, i): _ONE}, _ZERO) for i in range(width)]
        self.layer_vars.append(vars_k)
        return vars_k

    def relu(self, forms: Sequence[_Aff], name: str, dedupe: bool = False) -> list[_Aff]:
        """ReLU of each form (one new ReLU layer)."""
        if not dedupe:
            return self.materialise(forms, Activation.RELU, name)
        index: dict = {}
        unique: list[_Aff] = []
        where = []
        for f in forms:
            key = f.key()
            if key not in index:
                index[key] = len(unique)
                unique.append(f)
            where.append(index[key])
        vars_k = self.materialise(unique, Activation.RELU, name)
        return [vars_k[i] for i in where]

    # ---- driver ---------------------------------------------------------------------
    def run(self, name: str) -> Network:
        pending = list(self.needed_nodes)
        while pending:
            progressed = False
            rest = []
            for node in pending:
                if all((not i) or i in self.env or i in self.inits for i in node.input):
                    self._execute(node)
                    progressed = True
                else:
                    rest.append(node)
            if not progressed:
                node = rest[0]
                missing = [i for i in node.input if i and i not in self.env and i not in self.inits]
                raise ModelFormatError(
                    f"tensor {missing[0]!r} used by node {self._nname(node)!r} is never defined (or the graph has a cycle)")
            pending = rest
        out = self.get(self.output_name, None) if self.output_name in self.inits else self.env.get(self.output_name)
        if out is None:
            raise ModelFormatError(f"output {self.output_name!r} is never computed")
        out_node = self.producers.get(self.output_name)
        return self.finish(out, out_node.name if out_node is not None else "", name)

    def finish(self, out: Any, out_name: str, name: str) -> Network:
        """Materialise the output value (identity layer unless it is the last ReLU layer)."""
        self.output_shape = tuple(out.shape)
        forms = list(_aff_array(out).ravel())
        if not forms:
            raise ShapeError("the output tensor is empty")
        last = len(self.layers)
        if not (last >= 1 and self.layers[-1].activation is Activation.RELU and len(forms) == self.widths[last]
                and all(f is v for f, v in zip(forms, self.layer_vars[last]))):
            self.materialise(forms, Activation.IDENTITY, out_name)
        try:
            return Network(self.n_inputs, tuple(self.layers), name=name)
        except ModelError as exc:  # pragma: no cover - construction is consistent by design
            raise ModelFormatError(f"internal: inconsistent network: {exc}") from exc

    def _execute(self, node: Any) -> None:
        from onnx import helper

        nname = self._nname(node)
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedOperatorError(f"{node.domain}.{op}", nname, "operator from a custom domain")
        handler = getattr(self, "_op_" + op, None)
        if handler is None:
            raise UnsupportedOperatorError(op, nname, "no exact piecewise-linear lowering")
        inputs = [self.get(i, node) if i else None for i in node.input]
        try:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        except Exception as exc:
            raise ModelFormatError(f"node {nname!r}: malformed attribute: {exc}") from exc
        for k, v in list(attrs.items()):
            if isinstance(v, bytes):
                attrs[k] = v.decode("utf-8", "replace")
        outs = self._guarded(handler, node, nname, op, inputs, attrs)
        for name, val in zip(node.output, outs):
            if name:
                self.env[name] = val

    @staticmethod
    def _guarded(handler: Callable, node: Any, nname: str, op: str, inputs: list, attrs: dict) -> list:
        """Run an operator handler, translating low-level errors into exactrelu errors."""
        try:
            return handler(node, nname, inputs, attrs)
        except ShapeError as exc:
            if f"node {nname!r}" in str(exc):
                raise
            raise ShapeError(f"node {nname!r} ({op}): {exc}") from None
        except ExactReluError:
            raise
        except _Nonlinear as exc:
            raise UnsupportedOperatorError(op, nname, str(exc)) from None
        except ZeroDivisionError as exc:
            raise ModelFormatError(f"node {nname!r} ({op}): {exc}") from None
        except (ValueError, IndexError, TypeError) as exc:
            raise ShapeError(f"node {nname!r} ({op}): {_first_line(exc)}") from None

    def call(self, op: str, name: str, inputs: list, attrs: dict | None = None, n_outputs: int = 1) -> list:
        """Apply ONNX operator ``op`` to values (for importers of other formats)."""
        handler = getattr(self, "_op_" + op)
        node = _FakeNode(op, name, n_outputs)
        return self._guarded(handler, node, name, op, inputs, dict(attrs or {}))

    # ---- helpers for handlers --------------------------------------------------------
    @staticmethod
    def _need(inputs: list, k: int, op: str, nname: str) -> Any:
        if len(inputs) <= k or inputs[k] is None:
            raise ModelFormatError(f"node {nname!r} ({op}) is missing input {k}")
        return inputs[k]

    @staticmethod
    def _const(v: Any, op: str, nname: str, what: str) -> _Const:
        if not isinstance(v, _Const):
            raise UnsupportedOperatorError(op, nname, f"{what} must be a constant, not input-dependent")
        return v

    def _axes_input(self, inputs: list, attrs: dict, k: int, op: str, nname: str) -> list[int] | None:
        if "axes" in attrs:
            return [int(a) for a in attrs["axes"]]
        if len(inputs) > k and inputs[k] is not None:
            return self._const(inputs[k], op, nname, "axes").ints("axes")
        return None

    # ---- shape-only operators --------------------------------------------------------
    def _op_Identity(self, node, nname, inputs, attrs):
        return [self._need(inputs, 0, "Identity", nname)]

    def _op_Dropout(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Dropout", nname)
        if len(node.output) > 1 and node.output[1]:
            mask = _Const(np.ones(x.shape, dtype=np.bool_))
            return [x, mask]
        return [x]

    def _op_Cast(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Cast", nname)
        to = int(attrs.get("to", 1))
        return [self._cast(x, to, "Cast", nname)]

    def _op_CastLike(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "CastLike", nname)
        like = self._need(inputs, 1, "CastLike", nname)
        to = 1 if isinstance(like, _Sym) or like.is_float else 7
        return [self._cast(x, to, "CastLike", nname)]

    def _cast(self, x, to: int, op: str, nname: str):
        if to in _FLOAT_TYPES:
            if isinstance(x, _Sym):
                return x  # exact semantics: no rounding of input-dependent values
            if not x.is_float:
                return _Const(x.frac())
            dt = {1: np.float32, 10: np.float16, 11: np.float64}.get(to)
            if dt is None:
                return x
            vals = [Fraction(float(dt(float(q)))) for q in x.a.ravel().tolist()]
            return _Const(_obj_array(vals, x.shape))
        if isinstance(x, _Sym):
            raise UnsupportedOperatorError(op, nname, f"cast of an input-dependent tensor to non-float type {to}")
        if to == 9:
            return _Const(np.asarray([bool(v) for v in x.a.ravel().tolist()], dtype=np.bool_).reshape(x.shape))
        vals = [int(v) for v in x.a.ravel().tolist()]  # int() truncates Fractions toward zero
        return _Const(np.asarray(vals, dtype=np.int64).reshape(x.shape))

    def _op_Constant(self, node, nname, inputs, attrs):
        if "value" in attrs:
            arr = attrs["value"]
            tp = next(a.t for a in node.attribute if a.name == "value")
            return [self._tensor(tp)] if not isinstance(arr, np.ndarray) else [self._const_from_numpy(arr, nname)]
        if "value_float" in attrs:
            return [self._const_from_numpy(np.asarray(attrs["value_float"], dtype=np.float32), nname)]
        if "value_floats" in attrs:
            return [self._const_from_numpy(np.asarray(attrs["value_floats"], dtype=np.float32), nname)]
        if "value_int" in attrs:
            return [_Const(np.asarray(attrs["value_int"], dtype=np.int64))]
        if "value_ints" in attrs:
            return [_Const(np.asarray(attrs["value_ints"], dtype=np.int64))]
        raise UnsupportedOperatorError("Constant", nname, "only tensor, float(s) and int(s) values are supported")

    def _op_ConstantOfShape(self, node, nname, inputs, attrs):
        shape = self._const(self._need(inputs, 0, "ConstantOfShape", nname), "ConstantOfShape", nname, "shape").ints("shape")
        if "value" in attrs:
            tp = next(a.t for a in node.attribute if a.name == "value")
            val = self._tensor(tp)
        else:
            val = self._const_from_numpy(np.zeros(1, dtype=np.float32), nname)
        v = val.a.ravel()[0]
        if val.is_float:
            return [_Const(_obj_array([v] * int(np.prod(shape, dtype=np.int64)), tuple(shape)))]
        return [_Const(np.full(tuple(shape), v, dtype=val.a.dtype))]

    def _op_Shape(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Shape", nname)
        shape = list(x.shape)
        start = int(attrs.get("start", 0))
        end = attrs.get("end")
        shape = shape[start:] if end is None else shape[start:int(end)]
        return [_Const(np.asarray(shape, dtype=np.int64))]

    def _op_Size(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Size", nname)
        return [_Const(np.asarray(int(np.prod(x.shape, dtype=np.int64)), dtype=np.int64))]

    @staticmethod
    def _same_kind(x, arr: np.ndarray):
        return _Sym(arr) if isinstance(x, _Sym) else _Const(arr)

    def _op_Flatten(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Flatten", nname)
        axis = int(attrs.get("axis", 1))
        r = len(x.shape)
        if axis < 0:
            axis += r
        if not 0 <= axis <= r:
            raise ShapeError(f"Flatten axis {attrs.get('axis')} out of range for rank {r}")
        a = int(np.prod(x.shape[:axis], dtype=np.int64))
        b = int(np.prod(x.shape[axis:], dtype=np.int64))
        return [self._same_kind(x, x.a.reshape(a, b))]

    def _op_Reshape(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Reshape", nname)
        if "shape" in attrs and (len(inputs) < 2 or inputs[1] is None):  # opset < 5
            shape = [int(v) for v in attrs["shape"]]
        else:
            shape = self._const(self._need(inputs, 1, "Reshape", nname), "Reshape", nname, "shape").ints("shape")
        allowzero = int(attrs.get("allowzero", 0))
        new = []
        for k, d in enumerate(shape):
            if d == 0 and not allowzero:
                if k >= len(x.shape):
                    raise ShapeError(f"Reshape: 0 at position {k} but input has rank {len(x.shape)}")
                new.append(x.shape[k])
            else:
                new.append(d)
        return [self._same_kind(x, x.a.reshape(new))]

    def _op_Transpose(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Transpose", nname)
        perm = attrs.get("perm")
        perm = None if perm is None else [int(p) for p in perm]
        return [self._same_kind(x, np.transpose(x.a, perm))]

    def _op_Squeeze(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Squeeze", nname)
        axes = self._axes_input(inputs, attrs, 1, "Squeeze", nname)
        if axes is None:
            return [self._same_kind(x, np.squeeze(x.a))]
        r = len(x.shape)
        axes = [a + r if a < 0 else a for a in axes]
        for a in axes:
            if not 0 <= a < r or x.shape[a] != 1:
                raise ShapeError(f"Squeeze: axis {a} of shape {list(x.shape)} is not of size 1")
        return [self._same_kind(x, np.squeeze(x.a, axis=tuple(axes)))]

    def _op_Unsqueeze(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Unsqueeze", nname)
        axes = self._axes_input(inputs, attrs, 1, "Unsqueeze", nname)
        if axes is None:
            raise ModelFormatError(f"node {nname!r} (Unsqueeze) has no axes")
        r = len(x.shape) + len(axes)
        axes = sorted(a + r if a < 0 else a for a in axes)
        a = x.a
        for ax in axes:
            a = np.expand_dims(a, ax)
        return [self._same_kind(x, a)]

    def _op_Concat(self, node, nname, inputs, attrs):
        xs = [v for v in inputs if v is not None]
        axis = int(attrs.get("axis", 0))
        if all(isinstance(v, _Const) for v in xs):
            if all(not v.is_float for v in xs):
                return [_Const(np.concatenate([v.a for v in xs], axis=axis))]
            return [_Const(np.concatenate([v.frac() for v in xs], axis=axis))]
        return [_Sym(np.concatenate([_aff_array(v) for v in xs], axis=axis))]

    def _op_Gather(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Gather", nname)
        idx = self._const(self._need(inputs, 1, "Gather", nname), "Gather", nname, "indices")
        ind = np.asarray(idx.ints("indices"), dtype=np.int64).reshape(idx.shape)
        axis = int(attrs.get("axis", 0))
        return [self._same_kind(x, np.take(x.a, ind, axis=axis))]

    def _op_Slice(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Slice", nname)
        r = len(x.shape)
        if self.opset < 10 and "starts" in attrs:
            starts = [int(v) for v in attrs["starts"]]
            ends = [int(v) for v in attrs["ends"]]
            axes = [int(v) for v in attrs.get("axes", range(len(starts)))]
            steps = [1] * len(starts)
        else:
            def ci(k, what):
                return self._const(self._need(inputs, k, "Slice", nname), "Slice", nname, what).ints(what)
            starts, ends = ci(1, "starts"), ci(2, "ends")
            axes = ci(3, "axes") if len(inputs) > 3 and inputs[3] is not None else list(range(len(starts)))
            steps = ci(4, "steps") if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
        sl = [slice(None)] * r
        for s, e, a, st in zip(starts, ends, axes, steps):
            if a < 0:
                a += r
            dim = x.shape[a]
            if st == 0:
                raise ShapeError("Slice step 0")
            if s < 0:
                s += dim
            if e < 0:
                e += dim
            if st > 0:
                s = min(max(s, 0), dim)
                e = min(max(e, 0), dim)
                sl[a] = slice(s, e, st)
            else:
                s = min(max(s, -1), dim - 1)
                e = min(max(e, -1), dim - 1)
                sl[a] = slice(s, None if e < 0 else e, st) if s >= 0 else slice(0, 0)
        return [self._same_kind(x, x.a[tuple(sl)])]

    def _op_Split(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Split", nname)
        axis = int(attrs.get("axis", 0))
        if axis < 0:
            axis += len(x.shape)
        dim = x.shape[axis]
        if "split" in attrs:
            sizes = [int(v) for v in attrs["split"]]
        elif len(inputs) > 1 and inputs[1] is not None:
            sizes = self._const(inputs[1], "Split", nname, "split").ints("split")
        else:
            n = int(attrs.get("num_outputs", len(node.output)))
            chunk = -(-dim // n)
            sizes = [min(chunk, dim - i * chunk) for i in range(n)]
        if sum(sizes) != dim:
            raise ShapeError(f"Split sizes {sizes} do not add up to {dim}")
        bounds = np.cumsum([0] + sizes)
        outs = []
        for i in range(len(sizes)):
            idx = [slice(None)] * len(x.shape)
            idx[axis] = slice(int(bounds[i]), int(bounds[i + 1]))
            outs.append(self._same_kind(x, x.a[tuple(idx)]))
        return outs

    def _op_Pad(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Pad", nname)
        mode = attrs.get("mode", "constant")
        if mode != "constant":
            raise UnsupportedOperatorError("Pad", nname, f"mode {mode!r} (only 'constant' is supported)")
        r = len(x.shape)
        if "pads" in attrs:
            pads = [int(v) for v in attrs["pads"]]
            value = Fraction(float(attrs.get("value", 0.0)))
            axes = list(range(r))
        else:
            pads = self._const(self._need(inputs, 1, "Pad", nname), "Pad", nname, "pads").ints("pads")
            value = _ZERO
            if len(inputs) > 2 and inputs[2] is not None:
                cv = self._const(inputs[2], "Pad", nname, "constant_value")
                value = cv.frac().ravel()[0] if cv.a.size else _ZERO
            axes = (self._const(inputs[3], "Pad", nname, "axes").ints("axes")
                    if len(inputs) > 3 and inputs[3] is not None else list(range(r)))
            axes = [a + r if a < 0 else a for a in axes]
        na = len(axes)
        if len(pads) != 2 * na:
            raise ShapeError(f"Pad: pads has {len(pads)} entries, expected {2 * na}")
        width = [(0, 0)] * r
        for i, a in enumerate(axes):
            width[a] = (pads[i], pads[i + na])
        if any(p < 0 for w in width for p in w):
            # negative pads crop
            sl = tuple(slice(max(-b, 0), x.shape[k] - max(-e, 0)) for k, (b, e) in enumerate(width))
            arr = x.a[sl]
            width = [(max(b, 0), max(e, 0)) for b, e in width]
        else:
            arr = x.a
        if isinstance(x, _Sym):
            fill = _Aff({}, value)
        elif x.is_float:
            fill = value
        else:
            return [_Const(np.pad(arr, width, mode="constant", constant_values=int(value)))]
        out_shape = tuple(arr.shape[k] + b + e for k, (b, e) in enumerate(width))
        out = _obj_array([fill] * int(np.prod(out_shape, dtype=np.int64)), out_shape)
        inner = tuple(slice(b, b + arr.shape[k]) for k, (b, e) in enumerate(width))
        out[inner] = arr
        return [self._same_kind(x, out)]

    # ---- affine operators ------------------------------------------------------------
    def _binary(self, a, b, fn: Callable, int_fn: Callable | None = None):
        if isinstance(a, _Const) and isinstance(b, _Const):
            if not a.is_float and not b.is_float and int_fn is not None:
                return _Const(np.asarray(int_fn(a.a, b.a)))
            res = fn(a.frac(), b.frac())
            return _Const(np.asarray(res, dtype=object).reshape(np.shape(res)))
        A = a.a if isinstance(a, _Sym) else a.frac()
        B = b.a if isinstance(b, _Sym) else b.frac()
        res = fn(A, B)
        return _wrap_result(np.asarray(res, dtype=object).reshape(np.shape(res)))

    def _op_Add(self, node, nname, inputs, attrs):
        return [self._binary(self._need(inputs, 0, "Add", nname), self._need(inputs, 1, "Add", nname), np.add, np.add)]

    def _op_Sub(self, node, nname, inputs, attrs):
        return [self._binary(self._need(inputs, 0, "Sub", nname), self._need(inputs, 1, "Sub", nname),
                             np.subtract, np.subtract)]

    def _op_Mul(self, node, nname, inputs, attrs):
        return [self._binary(self._need(inputs, 0, "Mul", nname), self._need(inputs, 1, "Mul", nname),
                             np.multiply, np.multiply)]

    def _op_Div(self, node, nname, inputs, attrs):
        def idiv(x, y):
            if np.any(y == 0):
                raise ZeroDivisionError("integer division by zero")
            return np.trunc(x / y).astype(np.int64)
        b = self._need(inputs, 1, "Div", nname)
        if isinstance(b, _Const) and b.is_float and any(v == 0 for v in b.a.ravel().tolist()):
            raise ModelFormatError(f"node {nname!r} (Div): division by zero")
        return [self._binary(self._need(inputs, 0, "Div", nname), b, np.true_divide, idiv)]

    def _op_Neg(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Neg", nname)
        if isinstance(x, _Const) and not x.is_float:
            return [_Const(-x.a)]
        return [self._same_kind(x, np.negative(x.a))]

    def _op_Sum(self, node, nname, inputs, attrs):
        xs = [v for v in inputs if v is not None]
        acc = xs[0]
        for v in xs[1:]:
            acc = self._binary(acc, v, np.add, np.add)
        return [acc]

    def _op_Mean(self, node, nname, inputs, attrs):
        acc = self._op_Sum(node, nname, inputs, attrs)[0]
        n = Fraction(len([v for v in inputs if v is not None]))
        return [self._binary(acc, _Const(_obj_array([n], ())), np.true_divide)]

    def _matmul(self, a, b):
        if isinstance(a, _Const) and isinstance(b, _Const):
            if not a.is_float and not b.is_float:
                return _Const(np.matmul(a.a, b.a))
            res = np.matmul(a.frac(), b.frac())
            return _Const(np.asarray(res, dtype=object).reshape(np.shape(res)))
        if isinstance(a, _Sym) and isinstance(b, _Sym):
            raise _Nonlinear("product of two input-dependent tensors is not piecewise linear")
        a_sym = isinstance(a, _Sym)
        A = a.a if a_sym else a.frac()
        B = b.a if not a_sym else b.frac()
        if A.ndim == 0 or B.ndim == 0:
            raise ShapeError("MatMul of a scalar")
        a1, b1 = A.ndim == 1, B.ndim == 1
        if a1:
            A = A[None, :]
        if b1:
            B = B[:, None]
        if A.shape[-1] != B.shape[-2]:
            raise ShapeError(f"MatMul shapes {list(a.shape)} and {list(b.shape)} do not fit")
        batch = tuple(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]))
        A = np.broadcast_to(A, batch + A.shape[-2:])
        B = np.broadcast_to(B, batch + B.shape[-2:])
        m, n, p = A.shape[-2], A.shape[-1], B.shape[-1]
        out = np.empty(batch + (m, p), dtype=object)
        for idx in np.ndindex(*batch) if batch else [()]:
            A2, B2 = A[idx], B[idx]
            for i in range(m):
                for k in range(p):
                    if a_sym:
                        out[idx + (i, k)] = _lincomb((B2[j, k], A2[i, j]) for j in range(n))
                    else:
                        out[idx + (i, k)] = _lincomb((A2[i, j], B2[j, k]) for j in range(n))
        if a1:
            out = out[..., 0, :]
        if b1:
            out = out[..., 0]
        return _wrap_result(out)

    def _op_MatMul(self, node, nname, inputs, attrs):
        return [self._matmul(self._need(inputs, 0, "MatMul", nname), self._need(inputs, 1, "MatMul", nname))]

    def _op_Gemm(self, node, nname, inputs, attrs):
        a = self._need(inputs, 0, "Gemm", nname)
        b = self._need(inputs, 1, "Gemm", nname)
        c = inputs[2] if len(inputs) > 2 else None
        if len(a.shape) != 2 or len(b.shape) != 2:
            raise ShapeError(f"Gemm needs 2-D A and B, got {list(a.shape)} and {list(b.shape)}")
        if int(attrs.get("transA", 0)):
            a = self._same_kind(a, a.a.T) if isinstance(a, _Sym) else _Const(a.a.T)
        if int(attrs.get("transB", 0)):
            b = self._same_kind(b, b.a.T) if isinstance(b, _Sym) else _Const(b.a.T)
        alpha = Fraction(float(attrs.get("alpha", 1.0)))
        beta = Fraction(float(attrs.get("beta", 1.0)))
        y = self._matmul(a, b)
        if alpha != 1:
            y = self._binary(y, _Const(_obj_array([alpha], ())), np.multiply)
        if c is not None:
            if beta != 1:
                c = self._binary(c, _Const(_obj_array([beta], ())), np.multiply)
            y = self._binary(y, c, np.add)
        return [y]

    def _conv_like(self, op, nname, x, attrs, kernel, pool: bool):
        nd = len(x.shape) - 2
        if nd < 1:
            raise ShapeError(f"{op} needs an input of rank >= 3, got shape {list(x.shape)}")
        if len(kernel) != nd:
            raise ShapeError(f"{op}: kernel has {len(kernel)} dimensions, input has {nd} spatial dimensions")
        strides = [int(v) for v in attrs.get("strides", [1] * nd)]
        dil = [int(v) for v in attrs.get("dilations", [1] * nd)]
        if len(strides) != nd or len(dil) != nd or min(strides + dil) < 1:
            raise ShapeError(f"{op}: bad strides {strides} or dilations {dil}")
        auto_pad = attrs.get("auto_pad", "NOTSET")
        ceil_mode = bool(int(attrs.get("ceil_mode", 0))) if pool else False
        in_sp = list(x.shape[2:])
        out_sp, pb, pe = _geometry(in_sp, kernel, strides, attrs.get("pads"), dil, auto_pad, ceil_mode)
        wins = _windows(in_sp, kernel, strides, pb, pe, dil, out_sp)
        return out_sp, wins

    def _op_Conv(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Conv", nname)
        w = self._const(self._need(inputs, 1, "Conv", nname), "Conv", nname, "the weight").frac()
        b = inputs[2] if len(inputs) > 2 else None
        bias = self._const(b, "Conv", nname, "the bias").frac().ravel().tolist() if b is not None else None
        group = int(attrs.get("group", 1))
        N, C = x.shape[0], x.shape[1]
        M, Cg = w.shape[0], w.shape[1]
        kernel = [int(v) for v in attrs.get("kernel_shape", w.shape[2:])]
        if list(kernel) != list(w.shape[2:]):
            raise ShapeError(f"Conv kernel_shape {kernel} differs from weight shape {list(w.shape)}")
        if group < 1 or C != Cg * group or M % group:
            raise ShapeError(f"Conv: {C} input channels, weight {list(w.shape)}, group {group} do not fit")
        if bias is not None and len(bias) != M:
            raise ShapeError(f"Conv bias has {len(bias)} entries, expected {M}")
        out_sp, wins = self._conv_like("Conv", nname, x, attrs, kernel, pool=False)
        X = _aff_array(x)
        Mg = M // group
        out = np.empty((N, M) + tuple(out_sp), dtype=object)
        for n in range(N):
            for m in range(M):
                g = m // Mg
                wm = w[m]
                const = bias[m] if bias is not None else _ZERO
                for opos, valid, _ in wins:
                    pairs = [(wm[(ci,) + ko], X[(n, g * Cg + ci) + ipos]) for ci in range(Cg) for ko, ipos in valid]
                    out[(n, m) + opos] = _lincomb(pairs, const)
        return [_wrap_result(out)]

    def _op_AveragePool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "AveragePool", nname)
        if "kernel_shape" not in attrs:
            raise ModelFormatError(f"node {nname!r} (AveragePool) has no kernel_shape")
        kernel = [int(v) for v in attrs["kernel_shape"]]
        include_pad = bool(int(attrs.get("count_include_pad", 0)))
        out_sp, wins = self._conv_like("AveragePool", nname, x, attrs, kernel, pool=True)
        full = int(np.prod(kernel))
        if include_pad and any(cnt != full for _, _, cnt in wins):
            raise UnsupportedOperatorError("AveragePool", nname,
                                           "count_include_pad=1 with windows beyond the padding (ceil_mode)")
        return [self._pool_avg(x, out_sp, wins, include_pad, full)]

    def _pool_avg(self, x, out_sp, wins, include_pad: bool, full: int):
        X = _aff_array(x)
        N, C = x.shape[:2]
        out = np.empty((N, C) + tuple(out_sp), dtype=object)
        for n in range(N):
            for c in range(C):
                for opos, valid, _ in wins:
                    if not valid:
                        raise ShapeError("an AveragePool window lies entirely in the padding")
                    q = Fraction(1, full if include_pad else len(valid))
                    out[(n, c) + opos] = _lincomb((q, X[(n, c) + ipos]) for _, ipos in valid)
        return _wrap_result(out)

    def _op_GlobalAveragePool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "GlobalAveragePool", nname)
        sp = list(x.shape[2:])
        nd = len(sp)
        wins = _windows(sp, sp, [1] * nd, [0] * nd, [0] * nd, [1] * nd, [1] * nd)
        return [self._pool_avg(x, [1] * nd, wins, False, int(np.prod(sp)))]

    def _op_BatchNormalization(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "BatchNormalization", nname)
        if int(attrs.get("training_mode", 0)):
            raise UnsupportedOperatorError("BatchNormalization", nname, "training_mode=1")
        if len([o for o in node.output if o]) > 1:
            raise UnsupportedOperatorError("BatchNormalization", nname, "training outputs (running mean/var) requested")
        scale, bias, mean, var = (self._const(self._need(inputs, k, "BatchNormalization", nname),
                                              "BatchNormalization", nname, what).frac().ravel().tolist()
                                  for k, what in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var")))
        eps = Fraction(float(attrs.get("epsilon", _F32_1E_5)))
        if len(x.shape) < 2:
            raise ShapeError(f"BatchNormalization input must have rank >= 2, got {list(x.shape)}")
        C = x.shape[1]
        if not (len(scale) == len(bias) == len(mean) == len(var) == C):
            raise ShapeError(f"BatchNormalization parameters must have {C} entries")
        mult, shift, worst = self._bn_fold(scale, bias, mean, var, eps, "BatchNormalization", nname)
        if worst:
            self._note_change(worst, f"BatchNormalization {nname!r}: 1/sqrt(var+eps) approximated")
        shape = [1] * len(x.shape)
        shape[1] = C
        m = _Const(_obj_array(mult, tuple(shape)))
        s = _Const(_obj_array(shift, tuple(shape)))
        return [self._binary(self._binary(x, m, np.multiply), s, np.add)]

    def _bn_fold(self, scale, bias, mean, var, eps, op, nname):
        """Exact (or approximated, if allowed) per-channel multiplier and shift."""
        mult, shift = [], []
        worst = _ZERO
        for c in range(len(scale)):
            v = var[c] + eps
            try:
                inv, err = _inv_sqrt(v, self.approximate_bn, self.bn_max_denominator)
            except ValueError:
                raise UnsupportedOperatorError(
                    op, nname,
                    f"channel {c}: sqrt(var + epsilon) = sqrt({format_rational(v)}) is irrational, so the exact "
                    "network has irrational weights; fold the normalisation into the weights yourself or pass "
                    "approximate_bn=True to round it (the largest change is reported)") from None
            mult.append(scale[c] * inv)
            shift.append(bias[c] - mean[c] * scale[c] * inv)
            worst = max(worst, abs(scale[c]) * err, abs(mean[c] * scale[c]) * err)
        return mult, shift, worst

    def _note_change(self, bound: Fraction, what: str) -> None:
        self.max_change = max(self.max_change, bound)
        self.notes.append(f"{what}; largest coefficient change <= {float(bound):.3g}")

    # ---- piecewise-linear operators --------------------------------------------------
    def _op_Relu(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Relu", nname)
        if isinstance(x, _Const):
            if not x.is_float:
                return [_Const(np.maximum(x.a, 0))]
            return [_Const(_obj_array([max(v, _ZERO) for v in x.a.ravel().tolist()], x.shape))]
        r = self.relu(list(x.a.ravel()), node.name)
        return [_Sym(_obj_array(r, x.shape))]

    def _leaky(self, x, slopes: np.ndarray, nname: str):
        """``a x + (1 - a) relu(x)`` elementwise (exact ONNX LeakyRelu/PRelu for any slope a)."""
        if isinstance(x, _Const):
            vals = [v if v >= 0 else a * v for v, a in zip(x.frac().ravel().tolist(), slopes.ravel().tolist())]
            return _Const(_obj_array(vals, x.shape))
        forms = list(x.a.ravel())
        aa = slopes.ravel().tolist()
        if all(a == 1 for a in aa):
            return x
        r = self.relu(forms, nname)
        out = [f.scale(a) + rv.scale(1 - a) if a != 0 else rv for f, rv, a in zip(forms, r, aa)]
        return _Sym(_obj_array(out, x.shape))

    def _op_LeakyRelu(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "LeakyRelu", nname)
        alpha = Fraction(float(attrs.get("alpha", _F32_0_01)))
        slopes = _obj_array([alpha] * int(np.prod(x.shape, dtype=np.int64)), x.shape)
        return [self._leaky(x, slopes, node.name)]

    def _op_PRelu(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "PRelu", nname)
        slope = self._const(self._need(inputs, 1, "PRelu", nname), "PRelu", nname, "slope").frac()
        slopes = np.broadcast_to(slope, x.shape)
        return [self._leaky(x, slopes, node.name)]

    def _op_Clip(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Clip", nname)
        lo = hi = None
        if "min" in attrs:
            lo = Fraction(float(attrs["min"])) if math.isfinite(float(attrs["min"])) else None
        if "max" in attrs:
            hi = Fraction(float(attrs["max"])) if math.isfinite(float(attrs["max"])) else None
        for k in (1, 2):
            if len(inputs) > k and inputs[k] is not None:
                v = self._const(inputs[k], "Clip", nname, "min/max").frac().ravel().tolist()
                if len(v) != 1:
                    raise ShapeError("Clip min/max must be scalars")
                if k == 1:
                    lo = v[0]
                else:
                    hi = v[0]
        if isinstance(x, _Const):
            vals = x.frac().ravel().tolist()
            if lo is not None:
                vals = [max(v, lo) for v in vals]
            if hi is not None:
                vals = [min(v, hi) for v in vals]
            return [_Const(_obj_array(vals, x.shape))]
        forms = list(x.a.ravel())
        if lo is None and hi is None:
            return [x]
        if lo is not None and hi is not None and lo > hi:
            return [_Sym(_obj_array([_Aff({}, hi)] * len(forms), x.shape))]
        if hi is None:
            r = self.relu([f - lo for f in forms], node.name)
            out = [rv + lo for rv in r]
        elif lo is None:
            r = self.relu([(-f) + hi for f in forms], node.name)
            out = [(-rv) + hi for rv in r]
        else:
            n = len(forms)
            r = self.relu([f - lo for f in forms] + [f - hi for f in forms], node.name)
            out = [(r[i] - r[n + i]) + lo for i in range(n)]
        return [_Sym(_obj_array(out, x.shape))]

    def _op_Abs(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "Abs", nname)
        if isinstance(x, _Const):
            return [_Const(np.abs(x.a)) if not x.is_float else
                    _Const(_obj_array([abs(v) for v in x.a.ravel().tolist()], x.shape))]
        forms = list(x.a.ravel())
        n = len(forms)
        r = self.relu(forms + [-f for f in forms], node.name)
        return [_Sym(_obj_array([r[i] + r[n + i] for i in range(n)], x.shape))]

    def _max_min(self, node, nname, inputs, is_max: bool):
        xs = [v for v in inputs if v is not None]
        acc = xs[0]
        for v in xs[1:]:
            if isinstance(acc, _Const) and isinstance(v, _Const):
                A, B = np.broadcast_arrays(acc.frac(), v.frac())
                vals = [max(p, q) if is_max else min(p, q) for p, q in zip(A.ravel().tolist(), B.ravel().tolist())]
                acc = _Const(_obj_array(vals, A.shape))
                continue
            A, B = np.broadcast_arrays(_aff_array(acc), _aff_array(v))
            fa, fb = list(A.ravel()), list(B.ravel())
            diffs = [b - a for a, b in zip(fa, fb)] if is_max else [a - b for a, b in zip(fa, fb)]
            r = self.relu(diffs, node.name)
            out = [a + rv if is_max else a - rv for a, rv in zip(fa, r)]
            acc = _Sym(_obj_array(out, A.shape))
        return [acc]

    def _op_Max(self, node, nname, inputs, attrs):
        return self._max_min(node, nname, inputs, True)

    def _op_Min(self, node, nname, inputs, attrs):
        return self._max_min(node, nname, inputs, False)

    def _max_tree(self, groups: list[list[_Aff]], name: str) -> list[_Aff]:
        """Max of each group with ``max(a, b) = a + relu(b - a)``, one layer per tree level."""
        groups = [list(g) for g in groups]
        while any(len(g) > 1 for g in groups):
            diffs: list[_Aff] = []
            plans = []
            for g in groups:
                plan = []
                for i in range(0, len(g) - 1, 2):
                    plan.append((g[i], len(diffs)))
                    diffs.append(g[i + 1] - g[i])
                if len(g) % 2:
                    plan.append((g[-1], None))
                plans.append(plan)
            r = self.relu(diffs, name, dedupe=True)
            groups = [[a if j is None else a + r[j] for a, j in plan] for plan in plans]
        return [g[0] for g in groups]

    def _op_MaxPool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "MaxPool", nname)
        if len(node.output) > 1 and node.output[1]:
            raise UnsupportedOperatorError("MaxPool", nname, "the Indices output is not piecewise linear")
        if "kernel_shape" not in attrs:
            raise ModelFormatError(f"node {nname!r} (MaxPool) has no kernel_shape")
        kernel = [int(v) for v in attrs["kernel_shape"]]
        out_sp, wins = self._conv_like("MaxPool", nname, x, attrs, kernel, pool=True)
        return [self._pool_max(x, out_sp, wins, node.name)]

    def _pool_max(self, x, out_sp, wins, name):
        X = _aff_array(x)
        N, C = x.shape[:2]
        groups, where = [], []
        for n in range(N):
            for c in range(C):
                for opos, valid, _ in wins:
                    if not valid:
                        raise ShapeError("a MaxPool window lies entirely in the padding")
                    groups.append([X[(n, c) + ipos] for _, ipos in valid])
                    where.append((n, c) + opos)
        if isinstance(x, _Const):
            out = np.empty((N, C) + tuple(out_sp), dtype=object)
            for g, w in zip(groups, where):
                out[w] = max(f.c for f in g)
            return _Const(out)
        res = self._max_tree(groups, name)
        out = np.empty((N, C) + tuple(out_sp), dtype=object)
        for f, w in zip(res, where):
            out[w] = f
        return _wrap_result(out)

    def _op_GlobalMaxPool(self, node, nname, inputs, attrs):
        x = self._need(inputs, 0, "GlobalMaxPool", nname)
        sp = list(x.shape[2:])
        nd = len(sp)
        wins = _windows(sp, sp, [1] * nd, [0] * nd, [0] * nd, [1] * nd, [1] * nd)
        return [self._pool_max(x, [1] * nd, wins, node.name)]


# --------------------------------------------------------------------------------------
# public import API
# --------------------------------------------------------------------------------------
def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_onnx_model(source: "str | Path | bytes | Any") -> Any:
    """Parse an ONNX model from a path (``.onnx`` or gzip-compressed), raw bytes or a ModelProto.

    Raises :class:`~exactrelu.errors.ModelFormatError` (one line) for missing, truncated or
    corrupt files.
    """
    import onnx

    if isinstance(source, onnx.ModelProto):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        where = "ONNX data"
    else:
        p = Path(source)
        where = str(p)
        if not p.exists():
            raise ModelFormatError(f"{p}: no such file")
        if p.is_dir():
            raise ModelFormatError(f"{p}: is a directory, not a model file")
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ModelFormatError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise ModelFormatError(f"{where}: corrupt or truncated gzip data ({_first_line(exc)})") from None
    if not data:
        raise ModelFormatError(f"{where}: empty file")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # google.protobuf.message.DecodeError and friends
        raise ModelFormatError(f"{where}: not a valid ONNX model, truncated or corrupt ({_first_line(exc)})") from None
    if not model.HasField("graph") or not model.graph.node and not model.graph.output:
        raise ModelFormatError(f"{where}: not a valid ONNX model (no graph)")
    return model


def _load_external_data(model: Any, base_dir: Path | None) -> None:
    """Inline initializers stored in external files (only for models read from a path)."""
    from onnx.external_data_helper import load_external_data_for_model, uses_external_data

    if not any(uses_external_data(t) for t in model.graph.initializer):
        return
    if base_dir is None:
        raise ModelFormatError("the model keeps its weights in external data files; load it from its file path")
    try:
        load_external_data_for_model(model, str(base_dir))
    except Exception as exc:
        raise ModelFormatError(f"cannot read the model's external data: {_first_line(exc)}") from None


def import_onnx(source: "str | Path | bytes | Any", *, input_shape: Sequence[int] | None = None,
                output: str | None = None, approximate_bn: bool = False,
                bn_max_denominator: int | None = None) -> OnnxImport:
    """Read an ONNX model into an exact :class:`Network`, with a report.

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto
        ``.onnx`` file (gzip-compressed files such as ``.onnx.gz`` are recognised by their
        magic bytes), serialized model bytes, or a parsed model.
    input_shape : sequence of int, optional
        Overrides the input's declared shape (needed for symbolic non-batch dimensions).
    output : str, optional
        Which graph output to use when there are several.
    approximate_bn : bool
        Allow BatchNormalization with irrational ``1/sqrt(var + eps)`` (rounded; see module
        docs). Default: refuse.
    bn_max_denominator : int, optional
        With ``approximate_bn``, round to the closest rational with at most this
        denominator instead of the nearest float64.

    Returns
    -------
    OnnxImport

    Raises
    ------
    ModelFormatError
        Missing, truncated or corrupt file; undefined tensors; non-finite weights.
    UnsupportedOperatorError
        An operator with no exact lowering (names the operator and node).
    ShapeError
        Shapes that do not fit.
    """
    model = read_onnx_model(source)
    _load_external_data(model, None if isinstance(source, (bytes, bytearray, memoryview)) or
                        not isinstance(source, (str, Path)) else Path(source).parent)
    if bn_max_denominator is not None and (not isinstance(bn_max_denominator, int) or bn_max_denominator < 1):
        raise ModelError("bn_max_denominator must be a positive integer")
    g = _Graph(model, input_shape, output, approximate_bn, bn_max_denominator)
    props = {p.key: p.value for p in model.metadata_props}
    net = g.run(props.get("exactrelu.network_name", model.graph.name or ""))
    if g.notes:
        warnings.warn("ONNX import approximated: " + "; ".join(g.notes), stacklevel=2)
    return OnnxImport(net, g.input_name, g.output_name, g.input_shape, g.output_shape, g.notes, g.max_change)


def load_onnx(source: "str | Path | bytes | Any", **options: Any) -> Network:
    """Read an ONNX model (``.onnx`` / ``.onnx.gz`` path, bytes or ModelProto) exactly.

    Keyword options are those of :func:`import_onnx`.

    Examples
    --------
    >>> import onnx
    >>> from onnx import helper, TensorProto, numpy_helper
    >>> import numpy as np
    >>> W = numpy_helper.from_array(np.array([[1.0, -1.0]], dtype=np.float32), "W")
    >>> g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["h"]),
    ...                        helper.make_node("LeakyRelu", ["h"], ["y"], alpha=0.5)], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], initializer=[W])
    >>> net = load_onnx(helper.make_model(g).SerializeToString())
    >>> net.describe()["relu_layers"], [str(v) for v in evaluate(net, [-2])]
    ([2], ['-1', '2'])
    """
    return import_onnx(source, **options).network


def onnx_to_network(model: Any, **options: Any) -> Network:
    """Convert a parsed ``onnx.ModelProto`` (alias of :func:`load_onnx` for models in memory)."""
    return import_onnx(model, **options).network


# --------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------
def _nearest_float32(q: Fraction) -> float:
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


def _to_float(q: Fraction, dtype: str, approximate: bool, where: str) -> tuple[float, Fraction]:
    exact = is_float32_exact(q) if dtype == "float32" else is_float64_exact(q)
    if exact:
        return float(q), _ZERO
    if not approximate:
        raise ExportError(f"{where} = {format_rational(q)} is not exactly representable in {dtype}; "
                          f"pass approximate=True to round to the nearest {dtype}")
    if dtype == "float32":
        f = _nearest_float32(q)
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
    worst = _ZERO
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
                    f, ch = _to_float(v, dtype, approximate, f"layer {k}, weight from source {s} [{i}][{j}]")
                    worst = max(worst, ch)
                    vals.append(f)
            wname = f"W{k}_{s}"
            inits.append(numpy_helper.from_array(np.asarray(vals, dtype=np_dtype).reshape(layer.width,
                                                                                          net.source_width(s)), wname))
            if idx == 0:
                bvals = []
                for i, v in enumerate(layer.bias):
                    f, ch = _to_float(v, dtype, approximate, f"layer {k}, bias [{i}]")
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
        raise ExportError(f"internal: exported model fails the ONNX checker: {_first_line(exc)}") from None
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


# evaluation is used by the doctests above
from ..evaluation import evaluate  # noqa: E402
