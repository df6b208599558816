"""Cross-check a floating-point implementation against the exact network.

The float model (numpy float32/float64, ONNX Runtime, PyTorch) and its exact twin are run
on the same inputs. Every input is *float-representable* in the backend's dtype, so the
float run sees exactly the point the exact run sees; the input is reported as the exact
rational value of the float. Everything reported is exact:

* the largest absolute and relative output error: ``|f(x) - Fraction(f_float(x))|``, a
  rational (relative: over output components with ``f(x) != 0``);
* **pattern flips**: points where the float activation pattern (``pre-activation > 0``)
  differs from the exact one, with the units that flipped and their exact and float
  pre-activations;
* **decision flips**: points where the float decision differs from the exact decision.
  The decision is the arg-max of the outputs (lowest index on ties, as ``numpy.argmax``;
  ``decision="argmin"`` for ACAS Xu style scores), or, with a VNN-LIB property, the truth
  value of each output constraint of the disjuncts whose input region holds the point
  (the float side is judged exactly on the float outputs). A flip of the overall verdict
  ("this point is a counterexample") is counted separately.

Search, not only sampling (``strategies``):

``random``
    uniform points of the domain, rounded to the dtype;
``vertices``
    vertices of exact linear regions (:func:`~exactrelu.regions.walk.enumerate_regions`, within a
    region/time budget), where several units' pre-activations vanish at once;
``facets``
    points on a unit's hyperplane inside a region (facet points of enumerated regions;
    for large networks, exact projections of random points onto the nearest unit
    hyperplane of their region, via the exact affine forms of the region);
``ties``
    points where the decision changes inside a region: two outputs equal (arg-max
    boundaries, found exactly on the region's affine map along segments), or a property
    constraint holds with equality.

Each such exact *anchor* is turned into float-representable inputs next to it: the
rounded anchor, neighbours a few ulps away (random jitter, slides along the hyperplane),
and a ladder of steps along the normal on both sides. Candidates are ranked exactly by
their distance to the anchor's hyperplanes and the closest on each side are evaluated —
float error is most likely to flip a sign there. ``points`` bounds the number of
evaluated inputs (split evenly between the strategies; a strategy that runs out of
anchors hands its share on), ``time_limit`` the wall-clock time.

Float semantics: each input is evaluated **on its own** (a batch of one), as
``evaluate_float(net, [x], dtype=...)`` does, so every reported float output can be
reproduced; batched BLAS calls may round differently.

Examples
--------
>>> from exactrelu.domain.polytope import box
>>> net = sliver_network()
>>> rep = crosscheck(net, box([-1, -1], [1, 1]), points=300, seed=1)
>>> rep.points_tried <= 300, rep.n_decision_flips > 0, rep.max_abs_error > 0
(True, True, True)
>>> f = rep.decision_flips[0]
>>> from exactrelu.model.evaluation import evaluate
>>> evaluate(net, f.input) == f.exact_output
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from ..domain.polytope import Polytope
from ..errors import BackendUnavailableError, DomainError, ModelError, PointError, PropertyError, UsageError
from ..model.network import Network, NetworkBuilder
from ..numbers.rationals import format_rational, format_vector, to_float

__all__ = [
    "STRATEGIES",
    "BACKENDS",
    "FloatBackend",
    "NumpyBackend",
    "OnnxRuntimeBackend",
    "TorchBackend",
    "make_backend",
    "Flip",
    "StrategyStats",
    "CrossCheckReport",
    "crosscheck",
    "RecheckResult",
    "recheck_counterexample",
    "sliver_network",
]

STRATEGIES = ("random", "vertices", "facets", "ties")
BACKENDS = ("numpy32", "numpy64", "onnxruntime", "torch")
_ZERO = Fraction(0)
_LADDER = tuple(sorted({int(round(1.5 ** k)) for k in range(0, 40)} | {2 ** k for k in range(21)}))
_LADDER = tuple(k for k in _LADDER if 1 <= k <= 2 ** 20)


# =====================================================================================
# float backends
# =====================================================================================
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


def _weight_change(net: Network, dtype) -> Fraction:
    """Largest exact change of a weight or bias when rounded (via float64) to ``dtype``."""
    worst = _ZERO
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
        self.weight_change = _weight_change(net, self.dtype)
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
        self.weight_change = _weight_change(net, self.dtype)
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


# =====================================================================================
# results
# =====================================================================================
def _fmt(v: Sequence[Fraction]) -> list[str]:
    return format_vector(v)


@dataclass
class Flip:
    """One disagreement between the float run and the exact network at one input.

    ``input`` is the exact (float-representable) full network input; ``float_output`` the
    exact values of the float outputs. For pattern flips ``units`` lists
    ``(unit, layer, index, exact pre-activation, float pre-activation)``.
    """

    kind: str
    strategy: str
    input: tuple[Fraction, ...]
    exact_output: tuple[Fraction, ...]
    float_output: tuple[Fraction, ...]
    abs_error: Fraction
    exact_pattern: str
    float_pattern: str | None
    exact_decision: Any
    float_decision: Any
    units: list = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "kind": self.kind,
            "strategy": self.strategy,
            "input": _fmt(self.input),
            "input_float": [repr(float(v)) for v in self.input],
            "exact_output": _fmt(self.exact_output),
            "float_output": _fmt(self.float_output),
            "float_output_decimal": [repr(float(v)) for v in self.float_output],
            "abs_error": format_rational(self.abs_error),
            "exact_decision": _dec_json(self.exact_decision),
            "float_decision": _dec_json(self.float_decision),
            "exact_pattern": self.exact_pattern,
            "float_pattern": self.float_pattern,
        }
        if self.units:
            d["units"] = [{"unit": u, "layer": k, "index": j, "exact_pre": format_rational(e), "float_pre": repr(f)}
                          for u, k, j, e, f in self.units]
        return d


def _dec_json(dec: Any) -> Any:
    if isinstance(dec, tuple) and len(dec) == 2 and isinstance(dec[0], tuple):
        return {"constraints": list(dec[0]), "counterexample": dec[1]}
    return dec


@dataclass
class StrategyStats:
    """Per-strategy counts: inputs evaluated, anchors used, disagreements found."""

    tried: int = 0
    anchors: int = 0
    pattern_flips: int = 0
    decision_flips: int = 0
    verdict_flips: int = 0
    points_with_flips: int = 0
    exhausted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"tried": self.tried, "anchors": self.anchors, "pattern_flips": self.pattern_flips,
                "decision_flips": self.decision_flips, "verdict_flips": self.verdict_flips,
                "points_with_flips": self.points_with_flips, "exhausted": self.exhausted}


@dataclass
class CrossCheckReport:
    """The result of :func:`crosscheck` (exact errors as Fractions; see ``to_dict``)."""

    network: str
    n_inputs: int
    n_outputs: int
    n_relu: int
    backend: str
    dtype: str
    backend_description: str
    decision: str
    domains: list
    fixed_inputs: dict
    free_inputs: list
    points_budget: int
    seed: int
    strategies: dict
    points_tried: int = 0
    seconds: float = 0.0
    stopped_by: str | None = None
    max_abs_error: Fraction = _ZERO
    max_abs_error_at: Flip | None = None
    max_rel_error: Fraction | None = None
    max_rel_error_at: Flip | None = None
    n_pattern_flips: int = 0
    n_decision_flips: int = 0
    n_verdict_flips: int = 0
    n_nonfinite: int = 0
    pattern_flips: list = field(default_factory=list)
    decision_flips: list = field(default_factory=list)
    patterns_compared: bool = True
    weight_change: Fraction | None = None
    regions: dict | None = None
    partitions: list = field(default_factory=list, repr=False)

    @property
    def found_flips(self) -> bool:
        return bool(self.n_pattern_flips or self.n_decision_flips or self.n_nonfinite)

    def to_dict(self) -> dict[str, Any]:
        def at(f: Flip | None):
            if f is None:
                return None
            return {"input": _fmt(f.input), "exact_output": _fmt(f.exact_output),
                    "float_output": _fmt(f.float_output), "strategy": f.strategy}

        return {
            "network": self.network,
            "inputs": self.n_inputs,
            "outputs": self.n_outputs,
            "relu_units": self.n_relu,
            "backend": self.backend,
            "dtype": self.dtype,
            "backend_description": self.backend_description,
            "decision": self.decision,
            "domain": [{"lower": _fmt(D.lower), "upper": _fmt(D.upper), "is_box": D.is_box} for D in self.domains],
            "free_inputs": self.free_inputs,
            "fixed_inputs": {str(i): format_rational(v) for i, v in self.fixed_inputs.items()},
            "seed": self.seed,
            "points_budget": self.points_budget,
            "points_tried": self.points_tried,
            "seconds": round(self.seconds, 3),
            "stopped_by": self.stopped_by,
            "strategies": {k: v.to_dict() for k, v in self.strategies.items()},
            "max_abs_error": format_rational(self.max_abs_error),
            "max_abs_error_float": float(self.max_abs_error),
            "max_abs_error_at": at(self.max_abs_error_at),
            "max_rel_error": None if self.max_rel_error is None else format_rational(self.max_rel_error),
            "max_rel_error_float": None if self.max_rel_error is None else float(self.max_rel_error),
            "max_rel_error_at": at(self.max_rel_error_at),
            "weight_rounding_error": None if self.weight_change is None else format_rational(self.weight_change),
            "patterns_compared": self.patterns_compared,
            "n_pattern_flips": self.n_pattern_flips,
            "n_decision_flips": self.n_decision_flips,
            "n_verdict_flips": self.n_verdict_flips,
            "n_nonfinite": self.n_nonfinite,
            "pattern_flips": [f.to_dict() for f in self.pattern_flips],
            "decision_flips": [f.to_dict() for f in self.decision_flips],
            "regions": self.regions,
        }


# =====================================================================================
# exact helpers
# =====================================================================================
@dataclass
class _Anchor:
    """An exact point (free coordinates) and the forms ``w.x + c`` that vanish near it."""

    point: tuple[Fraction, ...]
    forms: list
    direction: np.ndarray | None = None
    raw: bool = False  # a ready float point: evaluate as is


def _form_value(form, x: Sequence[Fraction]) -> Fraction:
    w, c = form
    acc = c
    for wi, xi in zip(w, x):
        if wi and xi:
            acc += wi * xi
    return acc


def _int_form(form) -> tuple[tuple[int, ...], int, float]:
    """``(W, c, ||W||_1)`` with ``W.x + c`` a positive multiple of the form (integers)."""
    w, c = form
    L = c.denominator
    for v in w:
        L = L * v.denominator // math.gcd(L, v.denominator)
    W = tuple(int(v * L) for v in w)
    return W, int(c * L), sum(abs(v) for v in W) or 1


def _flint_forms(net: Network, pattern: str):
    """Exact pre-activation forms of every layer under ``pattern`` (flint ``fmpq_mat``,
    ``width x (n+1)``: gradient columns, then the constant)."""
    import flint

    from ..model.evaluation import _flint_mats

    n = net.n_inputs
    outs = [flint.fmpq_mat(n, n + 1, [1 if j == i else 0 for i in range(n) for j in range(n + 1)])]
    pres = []
    pos = 0
    for layer, (ws, b) in zip(net.layers, _flint_mats(net)):
        Z = None
        for s, W in ws:
            P = W * outs[s]
            Z = P if Z is None else Z + P
        w = layer.width
        bias = flint.fmpq_mat(w, n + 1, [b[i, 0] if j == n else 0 for i in range(w) for j in range(n + 1)])
        Z = Z + bias
        pres.append(Z)
        if layer.activation.value == "relu":
            bits = pattern[pos:pos + w]
            pos += w
            if "0" in bits:
                ent = Z.entries()
                zero = flint.fmpq(0)
                for i, bit in enumerate(bits):
                    if bit == "0":
                        ent[i * (n + 1):(i + 1) * (n + 1)] = [zero] * (n + 1)
                outs.append(flint.fmpq_mat(w, n + 1, ent))
            else:
                outs.append(Z)
        else:
            outs.append(Z)
    return pres, outs[-1]


def _row_form(M, i: int, n: int):
    e = [M[i, j] for j in range(n + 1)]
    return tuple(Fraction(int(v.p), int(v.q)) for v in e[:n]), Fraction(int(e[n].p), int(e[n].q))


def _project(x: Sequence[Fraction], form) -> tuple[Fraction, ...] | None:
    """Exact orthogonal projection of ``x`` onto ``{w.x + c = 0}``."""
    w, c = form
    nn = sum(v * v for v in w)
    if not nn:
        return None
    t = _form_value(form, x) / nn
    return tuple(xi - t * wi for xi, wi in zip(x, w))


def _argbest(y: Sequence[Fraction], sign: int) -> int:
    best = 0
    for i in range(1, len(y)):
        if (y[i] > y[best]) if sign > 0 else (y[i] < y[best]):
            best = i
    return best


def _fq(v: Fraction):
    import flint

    return flint.fmpq(v.numerator, v.denominator)


def _fr(q) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _col(x: Sequence[Fraction]):
    """``[x; 1]`` as a flint column."""
    import flint

    return flint.fmpq_mat(len(x) + 1, 1, [_fq(v) for v in x] + [1])


def _rows_to_forms(M, rows: Sequence[int], n: int) -> list:
    ent = M.entries()
    w = n + 1
    return [(tuple(_fr(ent[i * w + t]) for t in range(n)), _fr(ent[i * w + n])) for i in rows]


def _dyadic(xf: np.ndarray) -> tuple[list[int], int]:
    """``x_i = N_i / 2**E`` exactly for a float vector."""
    pairs = [float(v).as_integer_ratio() for v in xf.astype(np.float64).tolist()]
    E = max(q.bit_length() - 1 for _, q in pairs)
    return [p << (E - (q.bit_length() - 1)) for p, q in pairs], E


def _exact_relu_pre(net: Network, x: Sequence[Fraction]) -> list[Fraction]:
    """Exact pre-activations of all ReLU units at ``x`` (flint)."""
    import flint

    from ..model.evaluation import _flint_mats

    outs = [flint.fmpq_mat(len(x), 1, [_fq(v) for v in x])]
    pre = []
    zero = flint.fmpq(0)
    for layer, (ws, b) in zip(net.layers, _flint_mats(net)):
        Z = None
        for s, W in ws:
            P = W * outs[s]
            Z = P if Z is None else Z + P
        Z = Z + b
        if layer.activation.value == "relu":
            vals = Z.entries()
            pre.extend(vals)
            Z = flint.fmpq_mat(layer.width, 1, [v if v > 0 else zero for v in vals])
        outs.append(Z)
    return [_fr(v) for v in pre]


# =====================================================================================
# the search
# =====================================================================================
class _Member:
    """Exact membership in a polytope, with a fast path for boxes."""

    def __init__(self, D: Polytope) -> None:
        self.D = D
        self.box = (D.lower, D.upper) if D.is_box else None
        self.rows = list(zip(D.A, D.b))

    def __call__(self, x: Sequence[Fraction]) -> bool:
        if self.box is not None:
            return all(l <= v <= h for l, v, h in zip(self.box[0], x, self.box[1]))
        for a, b in self.rows:
            s = 0
            for ai, xi in zip(a, x):
                if ai:
                    s += ai * xi
            if s > b:
                return False
        return True


class _Ctx:
    """One input polytope (free coordinates) with its partition (if enumerated)."""

    def __init__(self, domain: Polytope, partition=None) -> None:
        self.domain = domain
        self.partition = partition
        self.lo = np.array([float(v) for v in domain.lower])
        self.hi = np.array([float(v) for v in domain.upper])
        self.m_rows = len(domain.A)
        self.member = _Member(domain)
        self.volume = float(np.prod(self.hi - self.lo))
        self.complete = bool(partition is not None and partition.complete)


class _Search:
    def __init__(self, net, free_net, ctxs, backend, prop, decision, rng, per_anchor, max_kept, report,
                 deadline) -> None:
        self.net = net
        self.free_net = free_net
        self.ctxs = ctxs
        self.backend = backend
        self.dtype = backend.dtype
        self.prop = prop
        self.decision = decision
        self.rng = rng
        self.per_anchor = per_anchor
        self.max_kept = max_kept
        self.report = report
        self.deadline = deadline
        self.seen: set[bytes] = set()
        self.free = report.free_inputs
        self.fixed = report.fixed_inputs
        self.n_full = net.n_inputs
        self.fixed_f = {i: self.dtype.type(float(v)) for i, v in self.fixed.items()}
        units = []
        for k, layer in enumerate(net.layers, start=1):
            if layer.activation.value == "relu":
                units.extend((k, j) for j in range(layer.width))
        self.units = units
        self.sign = -1 if decision == "argmin" else 1
        self._rinfo: dict = {}
        if prop is not None:
            import flint

            self.disj_member = [_Member(d.input_region) for d in prop.disjuncts]
            atoms = [(k, a) for k, d in enumerate(prop.disjuncts) for a in d.constraints]
            self.atom_disj = [k for k, _ in atoms]
            m, nf = net.n_outputs, free_net.n_inputs
            self.K = flint.fmpq_mat(len(atoms), m, [_fq(v) for _, a in atoms for v in a.c])
            self.AB = flint.fmpq_mat(len(atoms), nf + 1, [_fq(v) for _, a in atoms for v in tuple(a.a) + (-a.b,)])

    # ---- time ---------------------------------------------------------------------
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # ---- helpers --------------------------------------------------------------------
    def exact(self, xf: np.ndarray) -> tuple[Fraction, ...]:
        return tuple(Fraction(v) for v in xf.astype(np.float64).tolist())

    def contains(self, ctx: _Ctx, xf: np.ndarray) -> bool:
        if not np.all(np.isfinite(xf)):
            return False
        x64 = xf.astype(np.float64)
        if np.any(x64 < ctx.lo - 1e-9 * (1 + np.abs(ctx.lo))) or np.any(x64 > ctx.hi + 1e-9 * (1 + np.abs(ctx.hi))):
            return False  # clearly outside (float proposal); the exact check decides the rest
        return ctx.member(self.exact(xf))

    def random_point(self, ctx: _Ctx, tries: int = 200) -> np.ndarray | None:
        for _ in range(tries):
            u = ctx.lo + self.rng.random(len(ctx.lo)) * (ctx.hi - ctx.lo)
            xf = u.astype(self.dtype)
            if self.contains(ctx, xf):
                return xf
        return None

    def pick_ctx(self) -> _Ctx:
        if len(self.ctxs) == 1:
            return self.ctxs[0]
        w = np.array([max(c.volume, 1e-300) for c in self.ctxs])
        return self.ctxs[int(self.rng.choice(len(self.ctxs), p=w / w.sum()))]

    # ---- decision forms ---------------------------------------------------------------
    def decision_forms(self, out, x: Sequence[Fraction]) -> list:
        """Forms (in x) whose zero set changes the decision, nearest first, at ``x``.

        ``out`` is the exact output map of x's region (flint ``m x (n+1)``).
        """
        n = len(x)
        xcol = _col(x)
        if self.prop is None:
            y = (out * xcol).entries()
            order = sorted(range(len(y)), key=lambda i: y[i], reverse=self.sign > 0)
            top = order[0]
            rows = _rows_to_forms(out, [top] + order[1:3], n)
            ft = rows[0]
            forms = [(tuple(a - b for a, b in zip(ft[0], fo[0])), ft[1] - fo[1]) for fo in rows[1:]]
            return forms
        G = self.K * out + self.AB
        vals = (G * xcol).entries()
        ent = G.entries()
        inside = [m(x) for m in self.disj_member]
        scored = []
        for r, k in enumerate(self.atom_disj):
            if not inside[k]:
                continue
            nn = sum(abs(float(ent[r * (n + 1) + t])) for t in range(n))
            if nn:
                scored.append((abs(float(vals[r])) / nn, r))
        scored.sort()
        return _rows_to_forms(G, [r for _, r in scored], n)

    def region_info(self, region) -> dict:
        import flint

        key = id(region)
        info = self._rinfo.get(key)
        if info is None:
            C, d = region.affine_map
            n = len(C[0])
            M = flint.fmpq_mat(len(d), n + 1, [_fq(v) for row, di in zip(C, d) for v in tuple(row) + (di,)])
            info = {"C": M, "cols": {}}
            if self.prop is not None:
                info["G"] = self.K * M + self.AB
            self._rinfo[key] = info
        return info

    def _cached_col(self, info: dict, x):
        c = info["cols"].get(x)
        if c is None:
            c = info["cols"][x] = _col(x)
        return c

    # ---- anchor sources ---------------------------------------------------------------
    def source_random(self) -> Iterator[_Anchor]:
        fails = 0
        while True:
            ctx = self.pick_ctx()
            xf = self.random_point(ctx)
            if xf is None:
                fails += 1
                if fails > 20:
                    return
                continue
            fails = 0
            yield _Anchor(self.exact(xf), [], raw=True)

    def _regions(self) -> list:
        out = []
        for ctx in self.ctxs:
            if ctx.partition is not None:
                out.extend((ctx, r) for r in ctx.partition.regions)
        return out

    def _split_facets(self, ctx: _Ctx, region) -> list:
        """(form, vertex ids) of the region's facets that are unit hyperplanes."""
        out = []
        for r, a, b, vids in region.facets:
            if r < ctx.m_rows:
                continue
            out.append(((tuple(Fraction(v) for v in a), Fraction(-b)), vids))
        return out

    def source_vertices(self) -> Iterator[_Anchor]:
        regs = self._regions()
        order = self.rng.permutation(len(regs)) if regs else []
        done: set = set()
        for k in order:
            ctx, region = regs[int(k)]
            facets = self._split_facets(ctx, region)
            verts = region.vertices
            w = region.witness
            for vid, v in enumerate(verts):
                if v in done:
                    continue
                done.add(v)
                forms = [f for f, vids in facets if vid in vids]
                direction = np.array([float(wi - vi) for wi, vi in zip(w, v)])
                yield _Anchor(v, forms, direction)

    def source_facets(self) -> Iterator[_Anchor]:
        regional = self._region_facet_anchors()
        projected = self._projected_unit_anchors()
        use_proj = not all(c.complete for c in self.ctxs)
        have_regional = True
        while True:
            if have_regional:
                try:
                    yield next(regional)
                except StopIteration:
                    have_regional = False
            if use_proj or not have_regional:
                try:
                    yield next(projected)
                except StopIteration:
                    if not have_regional:
                        return

    def _region_facet_anchors(self) -> Iterator[_Anchor]:
        regs = self._regions()
        if not regs:
            return
        facets = []
        seen = set()
        for k in self.rng.permutation(len(regs)):
            ctx, region = regs[int(k)]
            verts = region.vertices
            for form, vids in self._split_facets(ctx, region):
                pts = tuple(sorted(verts[i] for i in vids))
                key = pts
                if key in seen:
                    continue
                seen.add(key)
                facets.append((form, pts))
                n = len(pts)
                centre = tuple(sum(p[t] for p in pts) / n for t in range(len(pts[0])))
                yield _Anchor(centre, [form])
        if not facets:
            return
        while True:  # random points of random facets
            form, pts = facets[int(self.rng.integers(len(facets)))]
            wts = [int(v) for v in self.rng.integers(0, 9, size=len(pts))]
            if not any(wts):
                wts[0] = 1
            s = sum(wts)
            p = tuple(sum(Fraction(wt, s) * q[t] for wt, q in zip(wts, pts)) for t in range(len(pts[0])))
            yield _Anchor(p, [form])

    def _local_forms(self, ctx: _Ctx):
        """A random float point of ``ctx``, its exact pattern and the region's exact forms."""
        from ..model.evaluation import evaluate_batch

        xf = self.random_point(ctx)
        if xf is None:
            return None
        x = self.exact(xf)
        _, pats = evaluate_batch(self.free_net, [x], return_patterns=True)
        pres, out = _flint_forms(self.free_net, pats[0])
        return x, pres, out

    def _projected_unit_anchors(self) -> Iterator[_Anchor]:
        import flint

        fails = 0
        n = self.free_net.n_inputs
        relu_layers = [k for k, layer in enumerate(self.free_net.layers) if layer.activation.value == "relu"]
        if not relu_layers:
            return
        while fails < 50:
            if self.out_of_time():
                return
            ctx = self.pick_ctx()
            got = self._local_forms(ctx)
            if got is None:
                fails += 1
                continue
            x, pres, _ = got
            xcol = flint.fmpq_mat(n + 1, 1, [flint.fmpq(v.numerator, v.denominator) for v in x] + [1])
            cands = []
            for k in relu_layers:
                M = pres[k]
                vals = (M * xcol).entries()
                ent = M.entries()
                for i in range(M.nrows()):
                    g = [float(ent[i * (n + 1) + t]) for t in range(n)]
                    nn = math.sqrt(sum(v * v for v in g))
                    if nn == 0:
                        continue
                    cands.append((abs(float(vals[i])) / nn, k, i))
            cands.sort()
            made = 0
            for _, k, i in cands[:6]:
                form = _row_form(pres[k], i, n)
                p = _project(x, form)
                if p is None or not ctx.member(p):
                    continue
                made += 1
                yield _Anchor(p, [form])
                if made >= 3:
                    break
            fails = 0 if made else fails + 1

    def source_ties(self) -> Iterator[_Anchor]:
        regional = self._region_tie_anchors()
        projected = self._projected_tie_anchors()
        use_proj = not all(c.complete for c in self.ctxs)
        have_regional = True
        while True:
            if have_regional:
                try:
                    yield next(regional)
                except StopIteration:
                    have_regional = False
            if use_proj or not have_regional:
                try:
                    yield next(projected)
                except StopIteration:
                    if not have_regional:
                        return

    def _segment_boundaries(self, region, u, v) -> list[_Anchor]:
        """Exact points on segment [u, v] (inside ``region``) where the decision changes."""
        import flint

        info = self.region_info(region)
        n = len(u)
        ucol, vcol = self._cached_col(info, u), self._cached_col(info, v)
        out = []

        def point(t):
            tf = _fr(t)
            return tuple(a + tf * (b - a) for a, b in zip(u, v))

        if self.prop is None:
            C = info["C"]
            yu, yv = (C * ucol).entries(), (C * vcol).entries()
            s = self.sign
            yu_s = [a if s > 0 else -a for a in yu]
            slope = [(b - a) if s > 0 else (a - b) for a, b in zip(yu, yv)]
            t = flint.fmpq(0)
            k = _argbest(yu_s, 1)
            for _ in range(len(yu) + 1):
                best = None
                for l in range(len(yu)):
                    if l == k or slope[l] <= slope[k]:
                        continue
                    gap = (yu_s[k] + t * slope[k]) - (yu_s[l] + t * slope[l])
                    tl = t + gap / (slope[l] - slope[k])
                    if tl <= 1 and (best is None or tl < best[0] or (tl == best[0] and slope[l] > slope[best[1]])):
                        best = (tl, l)
                if best is None:
                    break
                t, l = best
                rk, rl = _rows_to_forms(C, [k, l], n)
                form = (tuple(a - b for a, b in zip(rk[0], rl[0])), rk[1] - rl[1])
                out.append(_Anchor(point(t), [form]))
                k = l
        else:
            G = info["G"]
            gu, gv = (G * ucol).entries(), (G * vcol).entries()
            for r, k in enumerate(self.atom_disj):
                a, b = gu[r], gv[r]
                if a == b or (a > 0 and b > 0) or (a < 0 and b < 0):
                    continue
                p = point(a / (a - b))
                if self.disj_member[k](p):
                    out.append(_Anchor(p, _rows_to_forms(G, [r], n)))
        return out

    def _region_tie_anchors(self) -> Iterator[_Anchor]:
        regs = self._regions()
        if not regs:
            return
        found_any = False
        for k in self.rng.permutation(len(regs)):
            _, region = regs[int(k)]
            w = region.witness
            for v in region.vertices:
                for a in self._segment_boundaries(region, w, v):
                    found_any = True
                    yield a
        misses = 0
        while misses < 300:
            _, region = regs[int(self.rng.integers(len(regs)))]
            verts = region.vertices
            u = verts[int(self.rng.integers(len(verts)))]
            v = verts[int(self.rng.integers(len(verts)))]
            if u == v:
                v = region.witness
            got = self._segment_boundaries(region, u, v)
            if not got:
                misses += 1 if found_any else 10
                continue
            misses = 0
            found_any = True
            for a in got:
                yield a

    def _projected_tie_anchors(self) -> Iterator[_Anchor]:
        fails = 0
        n = self.free_net.n_inputs
        while fails < 50:
            if self.out_of_time():
                return
            ctx = self.pick_ctx()
            got = self._local_forms(ctx)
            if got is None:
                fails += 1
                continue
            x, _, out = got
            made = 0
            for form in self.decision_forms(out, x)[:2]:
                p = _project(x, form)
                if p is None or not ctx.member(p):
                    continue
                made += 1
                yield _Anchor(p, [form])
            fails = 0 if made else fails + 1

    # ---- candidates ----------------------------------------------------------------
    def candidates(self, anchor: _Anchor) -> list[np.ndarray]:
        """Float-representable inputs next to ``anchor``, best first, inside the domain."""
        dt = self.dtype
        if anchor.raw:
            xf = np.array([float(v) for v in anchor.point]).astype(dt)
            return [xf]
        ctx = self.ctx_of(anchor.point)
        if ctx is None:
            return []
        rng = self.rng
        p64 = np.array([float(v) for v in anchor.point])
        n = len(p64)
        base = p64.astype(dt)
        floor = (ctx.hi - ctx.lo) * 2.0 ** -12
        step = np.spacing(np.maximum(np.abs(base).astype(dt), floor.astype(dt))).astype(np.float64)
        forms = anchor.forms
        if forms:
            big = max((abs(v) for v in forms[0][0]), default=0) or 1  # a direction: scaled exactly into [-1, 1]
            normal = np.array([float(v / big) for v in forms[0][0]])
        elif anchor.direction is not None:
            normal = anchor.direction.astype(np.float64)
        else:
            normal = rng.standard_normal(n)
        if not np.any(normal):
            normal = rng.standard_normal(n)
        dirn = normal / np.max(np.abs(normal))
        pool: list[np.ndarray] = [base]
        ladder: list[np.ndarray] = []
        for s in (1.0, -1.0):
            for k in _LADDER:
                ladder.append((base + s * k * step * dirn).astype(dt))
        for _ in range(24):
            r = rng.integers(-2, 3, size=n).astype(np.float64)
            pool.append((base + r * step).astype(dt))
        if forms and n > 1:
            for _ in range(16):
                t = rng.standard_normal(n)
                t -= normal * (t @ normal) / (normal @ normal)
                m = np.max(np.abs(t) / step)
                if m == 0:
                    continue
                t *= 10.0 ** rng.uniform(0, 4) / m
                pool.append((p64 + t).astype(dt))
        if anchor.direction is not None and not forms:
            pool.extend(ladder[: len(ladder) // 2][:8])
        # exact ranking by distance to the anchor's hyperplanes
        iforms = [_int_form(f) for f in forms]
        scored_pos, scored_neg, zeros = [], [], []
        uniq: dict[bytes, np.ndarray] = {}
        for xf in pool:
            uniq.setdefault(xf.tobytes(), xf)
        for key, xf in uniq.items():
            if not np.all(np.isfinite(xf)):
                continue
            if not iforms:
                scored_pos.append((0.0, float(rng.random()), xf))
                continue
            N, E = _dyadic(xf)
            g0 = None
            score = math.inf
            for W, c, nn in iforms:
                g = c << E
                for wi, xi in zip(W, N):
                    if wi and xi:
                        g += wi * xi
                if g0 is None:
                    g0 = g
                score = min(score, math.ldexp(abs(g) / nn, -E))
            tie = float(rng.random())
            if g0 == 0:
                zeros.append((score, tie, xf))
            elif g0 > 0:
                scored_pos.append((score, tie, xf))
            else:
                scored_neg.append((score, tie, xf))
        for lst in (scored_pos, scored_neg, zeros):
            lst.sort(key=lambda t: (t[0], t[1]))
        far = [x for x in ladder if x.tobytes() not in uniq]
        rng.shuffle(far)
        # round-robin: zero, +, -, +, -, far, ...
        out: list[np.ndarray] = []
        picked: set[bytes] = set()
        its = [iter([t[2] for t in zeros]), iter([t[2] for t in scored_pos]), iter([t[2] for t in scored_neg])]
        far_it = iter(far)
        order = [0, 1, 2, 1, 2, 3, 1, 2]
        idx = 0
        stalls = 0
        while len(out) < self.per_anchor and stalls < len(order):
            which = order[idx % len(order)]
            idx += 1
            it = far_it if which == 3 else its[which]
            got = None
            for xf in it:
                kb = xf.tobytes()
                if kb in picked or kb in self.seen:
                    continue
                if self.contains(ctx, xf):
                    got = xf
                    break
            if got is None:
                stalls += 1
                continue
            stalls = 0
            picked.add(got.tobytes())
            out.append(got)
        return out

    def ctx_of(self, point) -> _Ctx | None:
        for c in self.ctxs:
            if c.member(point):
                return c
        return None

    # ---- evaluation -------------------------------------------------------------------
    def full(self, xf: np.ndarray) -> np.ndarray:
        if not self.fixed:
            return xf
        out = np.empty(self.n_full, dtype=self.dtype)
        it = iter(xf.tolist())
        for i in range(self.n_full):
            out[i] = self.fixed_f[i] if i in self.fixed_f else next(it)
        return out

    def decide(self, u: Sequence[Fraction], y: Sequence[Fraction], inside=None):
        if self.prop is None:
            return _argbest(y, self.sign)
        truths = []
        verdict = False
        if inside is None:
            inside = [m(u) for m in self.disj_member]
        for di_, disj in enumerate(self.prop.disjuncts):
            if not inside[di_]:
                continue
            ok = True
            for atom in disj.constraints:
                h = atom.holds(u, y)
                truths.append(h)
                ok = ok and h
            verdict = verdict or ok
        return tuple(truths), verdict

    def evaluate(self, batch: list[tuple[np.ndarray, str]]) -> None:
        from ..model.evaluation import evaluate_batch

        if not batch:
            return
        rep = self.report
        fulls = [self.full(xf) for xf, _ in batch]
        xs = [self.exact(xf) for xf in fulls]
        ys, pats = evaluate_batch(self.net, xs, return_patterns=True)
        for (xf, strat), xfull, x, y, pat in zip(batch, fulls, xs, ys, pats):
            st = rep.strategies[strat]
            st.tried += 1
            rep.points_tried += 1
            yf, pre = self.backend.run(xfull)
            yf = np.asarray(yf).reshape(-1)
            if yf.shape[0] != len(y):
                raise ModelError(f"backend {self.backend.name} returned {yf.shape[0]} outputs, "
                                     f"the network has {len(y)}")
            if not np.all(np.isfinite(yf)):
                rep.n_nonfinite += 1
                continue
            yq = tuple(Fraction(v) for v in yf.astype(np.float64).tolist())
            err = max(abs(a - b) for a, b in zip(y, yq))
            rel = None
            for a, b in zip(y, yq):
                if a:
                    r = abs(a - b) / abs(a)
                    rel = r if rel is None or r > rel else rel
            fpat = None
            if pre is not None and self.backend.has_patterns:
                fpat = "".join("1" if v > 0 else "0" for v in np.asarray(pre).reshape(-1).tolist())
            u = tuple(x[i] for i in self.free) if self.fixed else x
            inside = None if self.prop is None else [m(u) for m in self.disj_member]
            de, df = self.decide(u, y, inside), self.decide(u, yq, inside)

            def record(kind: str) -> Flip:
                return Flip(kind, strat, x, y, yq, err, pat, fpat, de, df)

            if err > rep.max_abs_error or rep.max_abs_error_at is None:
                rep.max_abs_error = err
                rep.max_abs_error_at = record("max_abs_error")
            if rel is not None and (rep.max_rel_error is None or rel > rep.max_rel_error):
                rep.max_rel_error = rel
                rep.max_rel_error_at = record("max_rel_error")
            flipped = False
            if fpat is not None and fpat != pat:
                flipped = True
                st.pattern_flips += 1
                rep.n_pattern_flips += 1
                if len(rep.pattern_flips) < self.max_kept:
                    f = record("pattern")
                    f.units = self.flipped_units(x, pat, fpat, pre)
                    rep.pattern_flips.append(f)
            if de != df:
                flipped = True
                st.decision_flips += 1
                rep.n_decision_flips += 1
                if self.prop is not None and de[1] != df[1]:
                    st.verdict_flips += 1
                    rep.n_verdict_flips += 1
                if len(rep.decision_flips) < self.max_kept:
                    rep.decision_flips.append(record("decision"))
            if flipped:
                st.points_with_flips += 1

    def flipped_units(self, x, pat: str, fpat: str, pre) -> list:
        relu_pres = _exact_relu_pre(self.net, x)
        pre = np.asarray(pre).reshape(-1)
        out = []
        for u, (a, b) in enumerate(zip(pat, fpat)):
            if a != b:
                k, j = self.units[u]
                out.append((u, k, j, relu_pres[u], float(pre[u])))
        return out


def _split_budget(points: int, strategies: Sequence[str]) -> dict[str, int]:
    q, r = divmod(points, len(strategies))
    return {s: q + (1 if i < r else 0) for i, s in enumerate(strategies)}


def crosscheck(net: Network, domain: Polytope | None = None, backend: "str | FloatBackend" = "numpy32", *,
               points: int = 2000, seed: int = 0, strategies: Sequence[str] = STRATEGIES,
               time_limit: float | None = None, prop=None, decision: str = "argmax",
               max_regions: int | None = 2000, region_time: float | None = None, partition=None,
               per_anchor: int = 6, max_kept: int = 100, model_path: "str | Path | None" = None) -> CrossCheckReport:
    """Cross-check a float implementation of ``net`` against exact arithmetic.

    Parameters
    ----------
    net : Network
    domain : Polytope, optional
        The input domain; optional when ``prop`` is given (its input regions are used).
        With a property that fixes inputs, the domain is over the free inputs.
    backend : "numpy32" | "numpy64" | "onnxruntime" | "torch" or a :class:`FloatBackend`
    points : int
        Total number of inputs evaluated (float and exact), split among ``strategies``.
    seed : int
        Seed of the pseudo-random choices (results are reproducible for a seed).
    strategies : subset of :data:`STRATEGIES`
    time_limit : float, optional
        Wall-clock seconds for the whole run (region enumeration included).
    prop : Property, optional
        A VNN-LIB property (:func:`exactrelu.domain.vnnlib.load_vnnlib`): decisions are the truth
        values of its output constraints.
    decision : "argmax" | "argmin"
        The decision rule without a property.
    max_regions, region_time : bounds of the region enumeration used by the
        ``vertices``/``facets``/``ties`` strategies (default 2000 regions and
        ``min(10 s, 30% of time_limit)``); an incomplete enumeration is fine: the
        regions found are used and exact projections cover the rest.
    partition : Partition, optional
        Regions already enumerated over ``domain`` (single-domain runs).
    per_anchor : int
        Float inputs evaluated next to each exact anchor.
    max_kept : int
        Flips kept (per kind) with full detail; all are counted.
    model_path : path, optional
        The model file, so that ``onnxruntime`` runs the original ONNX file.

    Returns
    -------
    CrossCheckReport

    Raises
    ------
    ExactReluError (DomainError, PropertyError, PointError, BackendUnavailableError)
        Bad domain/property, unknown strategy or backend, backend not installed.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    strategies = tuple(dict.fromkeys(str(s).lower() for s in strategies))
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or not strategies:
        raise UsageError(f"unknown strategy {bad[0] if bad else '(none)'}; choose from {', '.join(STRATEGIES)}")
    if not isinstance(points, int) or points < 1:
        raise UsageError(f"points must be a positive integer, got {points!r}")
    if decision not in ("argmax", "argmin"):
        raise UsageError(f"decision must be 'argmax' or 'argmin', got {decision!r}")
    fixed: dict[int, Fraction] = {}
    free_net = net
    if prop is not None:
        if prop.n_inputs != net.n_inputs or prop.n_outputs != net.n_outputs:
            raise PropertyError(f"the property has {prop.n_inputs} inputs and {prop.n_outputs} outputs, "
                                f"the network {net.n_inputs} and {net.n_outputs}")
        fixed = dict(prop.fixed_inputs)
        free_net = prop.restrict(net)
        domains = [domain] if domain is not None else prop.input_regions
        decision = "property"
    else:
        if domain is None:
            raise DomainError("crosscheck needs a domain (or a VNN-LIB property)")
        domains = [domain]
    for D in domains:
        if D.dim != free_net.n_inputs:
            raise DomainError(f"domain has dimension {D.dim}, the network has {free_net.n_inputs} (free) inputs")
    be = make_backend(backend, net, model_path)
    for i, v in fixed.items():
        fv = be.dtype.type(float(v))
        if Fraction(float(fv)) != v:
            raise PointError(f"the property fixes input {i} to {format_rational(v)}, which is not a "
                             f"{be.dtype.name} value: the float run cannot see the same points")
    free = [i for i in range(net.n_inputs) if i not in fixed]
    report = CrossCheckReport(
        network=net.name, n_inputs=net.n_inputs, n_outputs=net.n_outputs, n_relu=net.n_relu,
        backend=be.name, dtype=be.dtype.name, backend_description=be.description, decision=decision,
        domains=list(domains), fixed_inputs=fixed, free_inputs=free, points_budget=points, seed=seed,
        strategies={s: StrategyStats() for s in strategies}, patterns_compared=be.has_patterns,
        weight_change=be.weight_change)
    rng = np.random.default_rng(seed)
    # regions for the structural strategies
    parts: list = [None] * len(domains)
    if any(s in strategies for s in ("vertices", "facets", "ties")) and (max_regions is None or max_regions > 0):
        from ..regions.walk import enumerate_regions

        if partition is not None and len(domains) == 1:
            parts = [partition]
        else:
            budget = region_time
            if budget is None:
                budget = 10.0 if time_limit is None else min(10.0, 0.3 * float(time_limit))
            tr = time.perf_counter()
            for i, D in enumerate(domains):
                parts[i] = enumerate_regions(free_net, D, max_regions=max_regions,
                                             time_limit=max(budget / len(domains), 0.01))
            report.regions = {"found": sum(len(p.regions) for p in parts),
                              "complete": all(p.complete for p in parts),
                              "seconds": round(time.perf_counter() - tr, 3)}
        if parts[0] is not None and report.regions is None:
            report.regions = {"found": sum(len(p.regions) for p in parts),
                              "complete": all(p.complete for p in parts), "seconds": 0.0}
    report.partitions = [p for p in parts if p is not None]
    ctxs = [_Ctx(D, P) for D, P in zip(domains, parts)]
    search = _Search(net, free_net, ctxs, be, prop, decision, rng, per_anchor, max_kept, report, deadline)
    sources = {
        "random": search.source_random(),
        "vertices": search.source_vertices(),
        "facets": search.source_facets(),
        "ties": search.source_ties(),
    }
    quota = _split_budget(points, strategies)
    exhausted: set[str] = set()
    chunk = 48
    stats = report.strategies

    def hand_on(amount: int) -> None:
        """Give ``amount`` more points to the strategies still running (search ones first)."""
        live = [t for t in strategies if t not in exhausted]
        rest = [t for t in live if t != "random"] or live
        if rest and amount > 0:
            share = _split_budget(amount, rest)
            for t in rest:
                quota[t] += share[t]

    while report.points_tried < points:
        if search.out_of_time():
            report.stopped_by = "time_limit"
            break
        live = [t for t in strategies if t not in exhausted]
        if not live:
            break
        runnable = [t for t in live if quota[t] > stats[t].tried]
        if not runnable:
            hand_on(points - report.points_tried)
            continue
        for s in runnable:
            want = min(chunk, quota[s] - stats[s].tried, points - report.points_tried)
            batch: list[tuple[np.ndarray, str]] = []
            done = False
            barren = 0  # anchors in a row that gave no new input
            while len(batch) < want and not search.out_of_time():
                try:
                    anchor = next(sources[s])
                except StopIteration:
                    done = True
                    break
                stats[s].anchors += 1
                before = len(batch)
                for xf in search.candidates(anchor):
                    if len(batch) >= want:
                        break
                    key = search.full(xf).tobytes()
                    if key in search.seen:
                        continue
                    search.seen.add(key)
                    batch.append((xf, s))
                barren = barren + 1 if len(batch) == before else 0
                if barren >= 200:
                    done = True
                    break
            search.evaluate(batch)
            if done:
                exhausted.add(s)
                stats[s].exhausted = True
                left = quota[s] - stats[s].tried
                quota[s] = stats[s].tried
                hand_on(left)
            if search.out_of_time():
                report.stopped_by = "time_limit"
                break
    report.seconds = time.perf_counter() - t0
    if report.points_tried == 0 and report.stopped_by is None:
        raise PointError(f"no {be.dtype.name} input was found inside the domain (is it narrower than the "
                         f"{be.dtype.name} spacing?); nothing to cross-check")
    return report


# =====================================================================================
# re-checking counterexamples of float verifiers
# =====================================================================================
@dataclass
class RecheckResult:
    """Whether a claimed counterexample is real, decided exactly.

    ``is_counterexample``: the input lies in the property's input region (fixed inputs
    included) and the exact outputs satisfy some disjunct's output constraints.
    ``margin``: for the best disjunct whose region holds the input, the smallest slack
    ``b - (a.x + c.y)`` of its constraints (>= 0 where they hold; None outside all
    regions). ``outputs_match``: the claimed outputs equal the exact ones (None if the
    file gives none); ``max_output_error`` their largest difference.
    """

    is_counterexample: bool
    in_input_region: bool
    input_violation: Fraction
    input: tuple[Fraction, ...]
    exact_output: tuple[Fraction, ...]
    claimed_output: tuple[Fraction, ...] | None
    outputs_match: bool | None
    max_output_error: Fraction | None
    claimed_is_counterexample: bool | None
    violated_disjuncts: list
    margin: Fraction | None
    float32_output: tuple[Fraction, ...] | None = None
    float32_is_counterexample: bool | None = None
    status: str | None = None
    source: str = ""

    def summary(self) -> str:
        lines = [
            f"real counterexample: {'YES' if self.is_counterexample else 'NO'}",
            f"input inside the property's input region: {'yes' if self.in_input_region else 'no'}"
            + ("" if self.in_input_region else f" (outside by {format_rational(self.input_violation)}"
               f" ~ {to_float(self.input_violation):.3g})"),
        ]
        if self.margin is not None:
            lines.append(f"exact margin of the output constraints: {format_rational(self.margin)} "
                         f"(~ {to_float(self.margin):.6g}; >= 0 means violated)")
        if self.claimed_output is None:
            lines.append("claimed outputs: not given in the file")
        else:
            lines.append(f"claimed outputs match the exact ones: {'yes' if self.outputs_match else 'no'}"
                         + ("" if self.outputs_match else
                            f" (largest difference {format_rational(self.max_output_error)}"
                            f" ~ {to_float(self.max_output_error):.3g})"))
            lines.append(f"claimed outputs would make it a counterexample: "
                         f"{'yes' if self.claimed_is_counterexample else 'no'}")
        if self.float32_is_counterexample is not None:
            lines.append(f"float32 (numpy) evaluation says counterexample: "
                         f"{'yes' if self.float32_is_counterexample else 'no'}")
        lines.append("input:        " + " ".join(_fmt(self.input)))
        lines.append("exact output: " + " ".join(_fmt(self.exact_output)))
        if self.claimed_output is not None:
            lines.append("claimed:      " + " ".join(_fmt(self.claimed_output)))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        def opt(v):
            return None if v is None else format_rational(v)

        return {
            "is_counterexample": self.is_counterexample,
            "in_input_region": self.in_input_region,
            "input_violation": format_rational(self.input_violation),
            "input": _fmt(self.input),
            "exact_output": _fmt(self.exact_output),
            "claimed_output": None if self.claimed_output is None else _fmt(self.claimed_output),
            "outputs_match": self.outputs_match,
            "max_output_error": opt(self.max_output_error),
            "claimed_is_counterexample": self.claimed_is_counterexample,
            "violated_disjuncts": self.violated_disjuncts,
            "margin": opt(self.margin),
            "float32_output": None if self.float32_output is None else _fmt(self.float32_output),
            "float32_is_counterexample": self.float32_is_counterexample,
            "status": self.status,
            "source": self.source,
        }


def _region_violation(D: Polytope, u: Sequence[Fraction]) -> Fraction:
    worst = _ZERO
    for a, b in zip(D.A, D.b):
        s = sum(ai * xi for ai, xi in zip(a, u)) - b
        if s > worst:
            worst = s
    return worst


def _holds_disjuncts(prop, u, y) -> tuple[list[int], Fraction | None]:
    hits = []
    margin = None
    for k, disj in enumerate(prop.disjuncts):
        if not disj.input_region.contains(u):
            continue
        slack = None
        ok = True
        for atom in disj.constraints:
            lhs = sum(ai * xi for ai, xi in zip(atom.a, u)) + sum(ci * yi for ci, yi in zip(atom.c, y))
            s = atom.b - lhs
            slack = s if slack is None or s < slack else slack
            ok = ok and atom.holds(u, y)
        if slack is None:
            slack = _ZERO
        margin = slack if margin is None or slack > margin else margin
        if ok:
            hits.append(k)
    return hits, margin


def recheck_counterexample(net: Network, prop, source: Any) -> RecheckResult:
    """Re-check a float verifier's counterexample exactly.

    Parameters
    ----------
    net : Network
    prop : Property (from :func:`exactrelu.domain.vnnlib.load_vnnlib`)
    source : path, text, bytes or :class:`exactrelu.domain.cex.Counterexample`

    Raises
    ------
    CounterexampleFormatError
        Unusable file (malformed, NaN/inf, missing or extra variables, ``unsat``).
    PropertyError
        The property does not fit the network.
    """
    from ..domain.cex import Counterexample, load_counterexample
    from ..model.evaluation import evaluate, evaluate_float
    from ..numbers.rationals import is_float32_exact

    if prop.n_inputs != net.n_inputs or prop.n_outputs != net.n_outputs:
        raise PropertyError(f"the property has {prop.n_inputs} inputs and {prop.n_outputs} outputs, "
                            f"the network {net.n_inputs} and {net.n_outputs}")
    cex = source if isinstance(source, Counterexample) else load_counterexample(source)
    x = cex.input_vector(net.n_inputs)
    claimed = cex.output_vector(net.n_outputs)
    y = evaluate(net, x)
    fixed = prop.fixed_inputs
    u = tuple(x[i] for i in range(net.n_inputs) if i not in fixed)
    fixed_gap = max((abs(x[i] - v) for i, v in fixed.items()), default=_ZERO)
    regions = prop.input_regions
    violation = min(_region_violation(D, u) for D in regions)
    violation = max(violation, fixed_gap)
    in_region = violation == 0
    hits, margin = _holds_disjuncts(prop, u, y) if fixed_gap == 0 else ([], None)
    is_cex = in_region and bool(hits)
    match = err = claimed_cex = None
    if claimed is not None:
        err = max(abs(a - b) for a, b in zip(y, claimed))
        match = err == 0
        claimed_cex = in_region and bool(_holds_disjuncts(prop, u, claimed)[0]) if fixed_gap == 0 else False
    f32 = f32_cex = None
    if all(is_float32_exact(v) for v in x):
        yf = evaluate_float(net, [[float(v) for v in x]], dtype="float32")[0]
        if np.all(np.isfinite(yf)):
            f32 = tuple(Fraction(v) for v in yf.astype(np.float64).tolist())
            f32_cex = in_region and bool(_holds_disjuncts(prop, u, f32)[0]) if fixed_gap == 0 else False
    return RecheckResult(is_cex, in_region, violation, x, y, claimed, match, err, claimed_cex, hits, margin,
                         f32, f32_cex, cex.status, cex.source)


# =====================================================================================
# a network that float32 gets wrong in thin slivers (tests, demos, benchmarks)
# =====================================================================================
_SLIVER_LINES = (
    (Fraction(1), Fraction(1, 4), Fraction(-1, 8)),
    (Fraction(1, 2), Fraction(-3, 4), Fraction(1, 4)),
    (Fraction(-1), Fraction(-5, 8), Fraction(-3, 16)),
    (Fraction(3, 4), Fraction(1), Fraction(5, 16)),
    (Fraction(-1, 4), Fraction(1), Fraction(-1, 2)),
)
_SLIVER_TIE = (Fraction(-3, 8), Fraction(1), Fraction(-1, 16))


def sliver_network(lines: int = 3, big: int = 1000) -> Network:
    """A 2-input, 2-output ReLU network that float32 evaluates wrongly in thin slivers.

    Layer 1 computes ``B1 = relu(big x1 + 3 big)`` and ``B2 = relu(big/2 x1 + 3 big/2)``
    (so ``B1 = 2 B2`` exactly) and ``P_i = relu(x_i + 2)``. Layer 2 has, for each of
    ``lines`` lines ``s(x) = a x1 + b x2 + c``, two units ``relu(±(B1 - 2 B2 + s(x)))``:
    exactly ``relu(±s(x))``, but in float the large cancelling terms leave a rounding
    error of about ``ulp(3 big)``. The outputs are ``y0 = B1 + t(x) + k`` and
    ``y1 = 2 B2 + k`` with ``k = sum (relu(s) + relu(-s)) / 4``, so ``y0 - y1 = t(x)``
    exactly: a near-tie along the line ``t = 0``. All weights are float32 values, so
    every disagreement comes from float arithmetic. Domain: ``[-1, 1]^2``.

    Examples
    --------
    >>> net = sliver_network()
    >>> from exactrelu.model.evaluation import evaluate
    >>> y = evaluate(net, ["1/2", "1/4"]); y[0] - y[1] == Fraction(1, 4) - Fraction(3, 16) - Fraction(1, 16)
    True
    """
    if not 0 <= lines <= len(_SLIVER_LINES):
        raise UsageError(f"lines must be between 0 and {len(_SLIVER_LINES)}")
    big = Fraction(big)
    b = NetworkBuilder(2, input_names=("x1", "x2"), name=f"sliver_{lines}_{big}")
    h1 = b.dense(b.input, [[big, 0], [big / 2, 0], [1, 0], [0, 1]], [3 * big, 3 * big / 2, 2, 2], "relu")
    rows, bias = [], []
    for i in range(4):  # pass B1, B2, P1, P2 through (all positive on the domain)
        rows.append([1 if j == i else 0 for j in range(4)])
        bias.append(0)
    for a, bb, c in _SLIVER_LINES[:lines]:
        for sgn in (1, -1):
            rows.append([sgn, -2 * sgn, sgn * a, sgn * bb])
            bias.append(sgn * (c - 2 * a - 2 * bb))
    h2 = b.dense(h1, rows, bias, "relu")
    a, bb, c = _SLIVER_TIE
    k = [Fraction(1, 4)] * (2 * lines)
    out = [[1, 0, a, bb] + k, [0, 2, 0, 0] + k]
    b.dense(h2, out, [c - 2 * a - 2 * bb, 0], "identity")
    return b.build(output_names=("y0", "y1"))
