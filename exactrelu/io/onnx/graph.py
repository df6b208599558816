"""The symbolic executor's state: one ONNX graph, its checks, inputs, constants and layers.

:class:`OnnxGraph` checks the whole graph before anything runs, chooses the input and
output, reads constants exactly and builds the network's layers (:meth:`OnnxGraph.materialise`,
:meth:`OnnxGraph.relu`); the operator handlers (:mod:`.ops`) call its helpers, and
:mod:`.executor` drives it node by node.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ...errors import ModelError, ModelFormatError, ShapeError, UnsupportedOperatorError
from ...model.network import Activation, Layer, Network
from .tensors import (FLOAT_TYPES, INT64_MAX, MAX_OPSET, MIN_OPSET, ONE, T_FLOAT, ZERO, check_tensor_proto,
                      first_line, type_name)
from .forms import Aff, Const, Sym, aff_array, check_size, obj_array

__all__ = ["OnnxGraph", "declared_dims"]


def declared_dims(vi: Any) -> tuple[int | str | None, ...] | None:
    """The declared dimensions of a graph input or output: sizes, symbolic names, ``None`` if unset.

    Parameters
    ----------
    vi : onnx.ValueInfoProto

    Returns
    -------
    tuple or None
        ``None`` when no shape is declared.

    Examples
    --------
    >>> from onnx import TensorProto, helper
    >>> declared_dims(helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, None]))
    ('N', 3, None)
    """
    if not vi.type.HasField("tensor_type") or not vi.type.tensor_type.HasField("shape"):
        return None
    dims: list[int | str | None] = []
    for d in vi.type.tensor_type.shape.dim:
        dims.append(int(d.dim_value) if d.HasField("dim_value") else (d.dim_param if d.HasField("dim_param") else None))
    return tuple(dims)


class OnnxGraph:
    """Symbolic executor of one ONNX graph."""

    def __init__(self, model: Any, input_shape: Sequence[int] | None, output: str | None,
                 approximate_bn: bool, bn_max_denominator: int | None) -> None:
        """``model=None`` gives a blank builder (used by the PyTorch importer): call
        :meth:`set_input`, the ``_op_*`` handlers (through :meth:`call`) and :meth:`finish`."""
        self.model = model
        self.opset = 13
        self.approximate_bn = approximate_bn
        self.bn_max_denominator = bn_max_denominator
        self.layers: list[Layer] = []
        self.widths: list[int] = []
        self.layer_vars: list[list[Aff]] = []
        self.notes: list[str] = []
        self.max_change = ZERO
        self.env: dict[str, Any] = {}
        self.inits: dict[str, Any] = {}
        self.producers: dict[str, Any] = {}
        self.types: dict[str, int] = {}
        self.needed_tensors: set[str] = set()
        self.v = 0                      # version of the operator being executed
        self.in_types: list[int | None] = []
        # the declared element types and dimensions of the chosen graph input and output
        self.input_type = self.output_type = T_FLOAT
        self.input_dims: tuple[int | str | None, ...] = ()
        self.output_dims: tuple[int | str | None, ...] | None = None
        if model is None:
            return
        self.graph = model.graph
        self.opset = self._default_opset(model)
        self._check_structure()
        self.inits = {t.name: t for t in self.graph.initializer}
        for t in self.graph.initializer:
            self.types[t.name] = int(t.data_type)
        self._choose_io(input_shape, output)

    @staticmethod
    def _default_opset(model: Any) -> int:
        import onnx

        versions = [int(imp.version) for imp in model.opset_import if imp.domain in ("", "ai.onnx")]
        if not versions:
            raise ModelFormatError("the model declares no opset for the default ONNX domain "
                                   "(a file truncated after its graph, or IR version < 3)")
        if len(versions) > 1:
            raise ModelFormatError(f"the model declares the default ONNX domain {len(versions)} times {versions}")
        top = min(MAX_OPSET, onnx.defs.onnx_opset_version())
        v = versions[0]
        if not MIN_OPSET <= v <= top:
            raise ModelFormatError(f"opset {v} of the default ONNX domain is not supported: the loader knows the "
                                   f"semantics of opsets {MIN_OPSET} to {top} (convert the model with "
                                   "onnx.version_converter)")
        return v

    def _check_structure(self) -> None:
        """Single assignment, every tensor defined, graph outputs produced, no cycle,
        initializers consistent (the whole graph, not only the part that is executed)."""
        g = self.graph
        self._check_text(g)
        if len(g.sparse_initializer):
            raise ModelFormatError("the model has sparse initializers, which are not supported")
        where: dict[str, str] = {}

        def claim(name: str, what: str) -> None:
            if name in where:
                raise ModelFormatError(f"tensor {name!r} is produced twice ({where[name]} and {what})")
            where[name] = what

        init_names = set()
        for t in g.initializer:
            if not t.name:
                raise ModelFormatError("an initializer has no name")
            claim(t.name, "an initializer")
            init_names.add(t.name)
            check_tensor_proto(t, f"initializer {t.name!r}")
        seen_inputs: set[str] = set()
        for vi in g.input:
            if not vi.name:
                raise ModelFormatError("a graph input has no name")
            if vi.name in seen_inputs:
                raise ModelFormatError(f"graph input {vi.name!r} is declared twice")
            seen_inputs.add(vi.name)
            if vi.name not in init_names:
                claim(vi.name, "a graph input")
        for node in g.node:
            for o in node.output:
                if o:
                    claim(o, f"node {self.node_name(node)!r}")
        for node in g.node:
            for i in node.input:
                if i and i not in where:
                    raise ModelFormatError(f"tensor {i!r} used by node {self.node_name(node)!r} is never defined "
                                           "(truncated file?)")
        for o in g.output:
            if o.name not in where:
                raise ModelFormatError(f"graph output {o.name!r} is not produced by any node, initializer or input "
                                       "(truncated file?)")
        # cycles (Kahn's algorithm over the nodes)
        producer = {o: k for k, node in enumerate(g.node) for o in node.output if o}
        deps = [{producer[i] for i in node.input if i in producer} for node in g.node]
        users: dict[int, list[int]] = {}
        for k, ds in enumerate(deps):
            for d in ds:
                users.setdefault(d, []).append(k)
        count = [len(ds) for ds in deps]
        ready = [k for k, c in enumerate(count) if c == 0]
        done = 0
        while ready:
            k = ready.pop()
            done += 1
            for u in users.get(k, ()):
                count[u] -= 1
                if count[u] == 0:
                    ready.append(u)
        if done != len(deps):
            stuck = [self.node_name(g.node[k]) for k, c in enumerate(count) if c > 0][:4]
            raise ModelFormatError(f"the graph has a cycle (through nodes {', '.join(repr(s) for s in stuck)})")

    @staticmethod
    def _check_text(g: Any) -> None:
        """Names, operator types and domains must be text (protobuf hands invalid UTF-8 over as bytes)."""
        def text(v: Any, what: str) -> None:
            if not isinstance(v, str):
                raise ModelFormatError(f"{what} is not valid UTF-8 text (corrupt file?)")

        for vi in list(g.input) + list(g.output) + list(g.value_info):
            text(vi.name, "a graph input/output name")
        for t in g.initializer:
            text(t.name, "an initializer name")
        for node in g.node:
            for v, what in ((node.op_type, "an operator type"), (node.domain, "an operator domain"),
                            (node.name, "a node name")):
                text(v, what)
            for name in list(node.input) + list(node.output):
                text(name, f"a tensor name of node {node.name!r}")
            for a in node.attribute:
                text(a.name, f"an attribute name of node {node.name!r}")

    def _choose_io(self, input_shape: Sequence[int] | None, output: str | None) -> None:
        outs = [o.name for o in self.graph.output]
        if output is None:
            if len(outs) != 1:
                raise ModelFormatError(
                    f"the model has {len(outs)} outputs {outs}; choose one with output=" if outs
                    else "the model has no graph outputs (empty or truncated file?)")
            output = outs[0]
        elif output not in outs:
            raise ModelFormatError(f"the model has no output {output!r} (outputs: {outs})")
        self.output_name = output
        out_vi = next(o for o in self.graph.output if o.name == output)
        out_type = out_vi.type.tensor_type.elem_type if out_vi.type.HasField("tensor_type") else 0
        if out_type not in FLOAT_TYPES:
            raise ModelFormatError(f"output {output!r} is not a float tensor ({type_name(out_type)})")
        self.output_type = int(out_type)
        self.output_dims = declared_dims(out_vi)
        self._find_needed(output)
        needed_tensors = self.needed_tensors
        graph_inputs = [i for i in self.graph.input if i.name not in self.inits]
        used = [i for i in graph_inputs if i.name in needed_tensors]
        if not used:
            if not graph_inputs:
                raise ModelFormatError("the model has no (non-constant) graph input")
            used = graph_inputs[:1]
        if len(used) > 1:
            raise ModelFormatError(
                f"the output depends on {len(used)} graph inputs {[i.name for i in used]}; exactrelu networks have one input")
        vi = used[0]
        self.input_name = vi.name
        if not vi.type.HasField("tensor_type"):
            raise ModelFormatError(f"input {vi.name!r} is not a tensor")
        tt = vi.type.tensor_type
        if tt.elem_type not in FLOAT_TYPES:
            raise ModelFormatError(f"input {vi.name!r} is not a float tensor ({type_name(tt.elem_type)})")
        self.types[vi.name] = int(tt.elem_type)
        self.input_type = int(tt.elem_type)
        self.input_dims = declared_dims(vi) or ()
        declared = list(tt.shape.dim) if tt.HasField("shape") else None
        if input_shape is not None:
            shape = [int(d) for d in input_shape]
            if declared is not None:
                if len(shape) != len(declared):
                    raise ShapeError(f"input_shape {shape} has rank {len(shape)}, but input {vi.name!r} is declared "
                                     f"with rank {len(declared)}")
                for k, d in enumerate(declared):
                    if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != shape[k]:
                        raise ShapeError(f"input_shape {shape} differs from the declared dimension {k} "
                                         f"({d.dim_value}) of input {vi.name!r}; only symbolic dimensions can be set")
        else:
            if declared is None:
                raise ModelFormatError(f"input {vi.name!r} has no shape; pass input_shape=")
            shape = []
            for k, d in enumerate(declared):
                if d.HasField("dim_value") and d.dim_value <= 0:
                    raise ShapeError(f"input {vi.name!r} declares dimension {k} as {d.dim_value}")
                if d.HasField("dim_value"):
                    shape.append(int(d.dim_value))
                elif k == 0:
                    shape.append(1)  # symbolic or unset batch dimension
                else:
                    raise ModelFormatError(
                        f"input {vi.name!r} has a symbolic dimension {k} ({d.dim_param or '?'}); pass input_shape=")
        self.env[vi.name] = self.set_input(shape)

    def _find_needed(self, output: str) -> None:
        """The producers of all tensors, and the tensors and nodes the output depends on."""
        producers = {}
        for node in self.graph.node:
            for o in node.output:
                if o:
                    producers[o] = node
        self.producers = producers
        seen_nodes = set()
        needed_tensors: set[str] = set()
        stack = [output]
        while stack:
            name = stack.pop()
            if name in needed_tensors:
                continue
            needed_tensors.add(name)
            node = producers.get(name)
            if node is not None and id(node) not in seen_nodes:
                seen_nodes.add(id(node))
                stack.extend(i for i in node.input if i)
        self.needed_tensors = needed_tensors
        self.needed_nodes = [n for n in self.graph.node if id(n) in seen_nodes]

    def set_input(self, shape: Sequence[int]) -> "Sym":
        """Declare the network input (source 0) with this tensor shape; return its value."""
        shape = [int(d) for d in shape]
        if any(d < 1 for d in shape):
            raise ShapeError(f"input shape {shape} has a non-positive dimension")
        check_size(shape, "the input")
        self.input_shape = tuple(shape)
        self.n_inputs = int(np.prod(shape)) if shape else 1
        self.widths.append(self.n_inputs)
        vars0 = [Aff({(0, i): ONE}, ZERO) for i in range(self.n_inputs)]
        self.layer_vars.append(vars0)
        return Sym(obj_array(vars0, self.input_shape))

    def const_from_numpy(self, arr: np.ndarray, name: str) -> Const:
        kind = arr.dtype.kind
        if kind == "b":
            return Const(np.asarray(arr, dtype=np.bool_))
        if kind in "iu":
            if arr.size and kind == "u" and int(arr.max()) > INT64_MAX:
                raise ModelFormatError(f"tensor {name!r} holds an integer above 2^63 - 1, which is not supported")
            return Const(np.asarray(arr, dtype=np.int64))
        if kind == "c" or kind in "OSU":
            raise ModelFormatError(f"tensor {name!r} has unsupported type {arr.dtype}")
        try:
            a64 = np.asarray(arr).astype(np.float64)  # exact for float16, bfloat16, float32
        except (TypeError, ValueError) as exc:
            raise ModelFormatError(f"tensor {name!r} has unsupported type {arr.dtype}") from exc
        finite = np.isfinite(a64)
        if not finite.all():
            bad = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ModelFormatError(f"tensor {name!r} contains a non-finite value {float(a64[bad])} at index {list(bad)}")
        flat = [Fraction(x) for x in a64.ravel().tolist()]
        return Const(obj_array(flat, a64.shape))

    def tensor(self, tp: Any, what: str | None = None) -> Const:
        from onnx import numpy_helper

        check_tensor_proto(tp, what or f"tensor {tp.name!r}")
        try:
            arr = numpy_helper.to_array(tp)
        except Exception as exc:  # onnx raises many kinds here
            raise ModelFormatError(f"tensor {tp.name!r} cannot be read: {first_line(exc)}") from None
        return self.const_from_numpy(np.asarray(arr), tp.name or (what or "constant"))

    def get(self, name: str, node: Any) -> Any:
        if name in self.env:
            return self.env[name]
        if name in self.inits:
            v = self.tensor(self.inits[name], f"initializer {name!r}")
            self.env[name] = v
            return v
        raise ModelFormatError(f"tensor {name!r} used by node {self.node_name(node)!r} is never defined (truncated file?)")

    @staticmethod
    def node_name(node: Any) -> str:
        return node.name or (node.output[0] if node.output else node.op_type)

    def materialise(self, forms: Sequence[Aff], activation: Activation, name: str) -> list[Aff]:
        """Create a layer whose pre-activations are ``forms``; return its output variables."""
        k = len(self.layers) + 1
        width = len(forms)
        check_size([width], "a layer")
        sources = sorted({key[0] for f in forms for key in f.t})
        if not sources:
            sources = [0]
        mats = {s: [[ZERO] * self.widths[s] for _ in range(width)] for s in sources}
        for i, f in enumerate(forms):
            for (s, j), v in f.t.items():
                mats[s][i][j] = v
        inputs = tuple((s, tuple(tuple(row) for row in mats[s])) for s in sources)
        self.layers.append(Layer(inputs, tuple(f.c for f in forms), activation, name))
        self.widths.append(width)
        vars_k = [Aff({(k, i): ONE}, ZERO) for i in range(width)]
        self.layer_vars.append(vars_k)
        return vars_k

    def relu(self, forms: Sequence[Aff], name: str, dedupe: bool = False) -> list[Aff]:
        """ReLU of each form (one new ReLU layer)."""
        if not dedupe:
            return self.materialise(forms, Activation.RELU, name)
        index: dict = {}
        unique: list[Aff] = []
        where = []
        for f in forms:
            key = f.key()
            if key not in index:
                index[key] = len(unique)
                unique.append(f)
            where.append(index[key])
        vars_k = self.materialise(unique, Activation.RELU, name)
        return [vars_k[i] for i in where]

    def finish(self, out: Any, out_name: str, name: str) -> Network:
        """Materialise the output value (identity layer unless it is the last ReLU layer)."""
        self.output_shape = tuple(out.shape)
        forms = list(aff_array(out).ravel())
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

    @staticmethod
    def need(inputs: list, k: int, op: str, nname: str) -> Any:
        if len(inputs) <= k or inputs[k] is None:
            raise ModelFormatError(f"node {nname!r} ({op}) is missing input {k}")
        return inputs[k]

    @staticmethod
    def require_const(v: Any, op: str, nname: str, what: str) -> Const:
        if not isinstance(v, Const):
            raise UnsupportedOperatorError(op, nname, f"{what} must be a constant, not input-dependent")
        return v

    def int_list(self, inputs: list, k: int, op: str, nname: str, what: str, required: bool = True) -> list[int] | None:
        """A constant 1-D integer input (axes, pads, shape, ...)."""
        if len(inputs) <= k or inputs[k] is None:
            if required:
                raise ModelFormatError(f"node {nname!r} ({op}) is missing its input {what}")
            return None
        c = self.require_const(inputs[k], op, nname, what)
        if c.is_float or c.a.dtype == np.bool_:
            raise ModelFormatError(f"node {nname!r} ({op}): {what} must be an integer tensor")
        if len(c.shape) != 1:
            raise ShapeError(f"{what} must be a 1-D tensor, got shape {list(c.shape)}")
        return [int(v) for v in c.a.tolist()]

    @staticmethod
    def norm_axis(a: int, r: int, what: str, negative: bool = True) -> int:
        """Axis ``a`` of a rank-``r`` tensor, normalised; ``negative=False`` for old versions."""
        a = int(a)
        if a < 0 and not negative:
            raise ShapeError(f"{what} {a} is negative, which this operator version does not allow")
        if not -r <= a < r:
            raise ShapeError(f"{what} {a} is out of range for rank {r}")
        return a + r if a < 0 else a

    def norm_axes(self, axes: Sequence[int], r: int, what: str, negative: bool = True) -> list[int]:
        out = [self.norm_axis(a, r, what, negative) for a in axes]
        if len(set(out)) != len(out):
            raise ShapeError(f"{what} {list(axes)} repeats an axis")
        return out

    @staticmethod
    def same_kind(x, arr: np.ndarray):
        return Sym(arr) if isinstance(x, Sym) else Const(arr, x.fexact)

    @staticmethod
    def scalar_value(c: Const, what: str) -> Fraction:
        if c.a.size != 1 or len(c.shape) > 1:
            raise ShapeError(f"{what} must be a scalar, got shape {list(c.shape)}")
        return c.frac().ravel()[0]

    def note_change(self, bound: Fraction, what: str) -> None:
        self.max_change = max(self.max_change, bound)
        self.notes.append(f"{what}; largest coefficient change <= {float(bound):.3g}")
