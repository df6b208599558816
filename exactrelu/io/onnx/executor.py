"""Running an ONNX graph node by node: attribute checks, the dispatch through the operator
table (:data:`~exactrelu.io.onnx.ops.OPERATORS`) and the translation of low-level errors.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ...errors import ExactReluError, ModelFormatError, ShapeError, UnsupportedOperatorError
from ...model.network import Network
from .tensors import INT_RANGES, T_BOOL, T_FLOAT, T_INT64, first_line, type_name
from .forms import Const, Nonlinear
from .graph import OnnxGraph
from .ops import OPERATORS

__all__ = ["FakeNode", "call_operator", "execute_node", "guarded", "node_attributes", "output_types",
           "run_graph"]


class FakeNode:
    """Stands in for an ONNX NodeProto when other importers call operator handlers."""

    def __init__(self, op_type: str, name: str, n_outputs: int = 1) -> None:
        self.op_type = op_type
        self.name = name
        self.domain = ""
        self.input: list[str] = []
        self.output = [f"{name}:{i}" for i in range(n_outputs)]


def run_graph(g: OnnxGraph, name: str) -> Network:
    """Execute the nodes the output depends on, in dependency order, and build the network."""
    pending = list(g.needed_nodes)
    while pending:
        progressed = False
        rest = []
        for node in pending:
            if all((not i) or i in g.env or i in g.inits for i in node.input):
                execute_node(g, node)
                progressed = True
            else:
                rest.append(node)
        if not progressed:  # pragma: no cover - _check_structure refuses cycles and undefined tensors
            node = rest[0]
            missing = [i for i in node.input if i and i not in g.env and i not in g.inits]
            raise ModelFormatError(
                f"tensor {missing[0]!r} used by node {g.node_name(node)!r} is never computed")
        pending = rest
    out = g.get(g.output_name, None) if g.output_name in g.inits else g.env.get(g.output_name)
    if out is None:
        raise ModelFormatError(f"output {g.output_name!r} is never computed")
    if isinstance(out, Const) and not out.is_float:
        raise ModelFormatError(f"output {g.output_name!r} is an integer tensor")
    out_node = g.producers.get(g.output_name)
    return g.finish(out, out_node.name if out_node is not None else "", name)


def node_attributes(g: OnnxGraph, node: Any, nname: str, op: str, schema: Any, modelled: frozenset[str]) -> dict:
    """The node's attributes, checked against the operator's schema and the modelled set."""
    from onnx import AttributeProto, helper

    attrs: dict[str, Any] = {}
    for a in node.attribute:
        if a.name in attrs:
            raise ModelFormatError(f"node {nname!r} ({op}) has the attribute {a.name!r} twice")
        sa = schema.attributes.get(a.name)
        if sa is None:
            raise ModelFormatError(f"node {nname!r} ({op}-{schema.since_version}) has an unknown attribute {a.name!r}")
        if a.ref_attr_name:
            raise UnsupportedOperatorError(op, nname, f"attribute {a.name!r} refers to a function attribute")
        want = int(sa.type.value)
        if int(a.type) != want:
            got = AttributeProto.AttributeType.Name(a.type) if a.type in AttributeProto.AttributeType.values() \
                else str(a.type)
            raise ModelFormatError(f"node {nname!r} ({op}): attribute {a.name!r} has type {got}, expected "
                                   f"{AttributeProto.AttributeType.Name(want)}")
        if a.name not in modelled:
            raise UnsupportedOperatorError(op, nname, f"attribute {a.name!r} is not modelled")
        if want == AttributeProto.TENSOR:
            value: Any = a.t
        else:
            try:
                value = helper.get_attribute_value(a)
            except Exception as exc:
                raise ModelFormatError(f"node {nname!r}: malformed attribute {a.name!r}: {first_line(exc)}") from None
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise ModelFormatError(f"node {nname!r} ({op}): attribute {a.name!r} is not UTF-8 text") from None
        if want in (AttributeProto.FLOAT, AttributeProto.FLOATS):
            vals = [value] if want == AttributeProto.FLOAT else list(value)
            ok = all(math.isfinite(f) for f in vals) or (
                op == "Clip" and (a.name, value) in (("min", -math.inf), ("max", math.inf)))
            if not ok:
                raise ModelFormatError(f"node {nname!r} ({op}): attribute {a.name!r} = {value!r} is not finite")
        attrs[a.name] = value
    for name, sa in schema.attributes.items():
        if sa.required and name not in attrs:
            raise ModelFormatError(f"node {nname!r} ({op}) is missing the required attribute {name!r}")
    return attrs


def execute_node(g: OnnxGraph, node: Any) -> None:
    """Check one node against its operator's schema and the table, run its handler and store its
    outputs."""
    import onnx
    from onnx.defs import OpSchema

    nname = g.node_name(node)
    op = node.op_type
    if node.domain not in ("", "ai.onnx"):
        raise UnsupportedOperatorError(f"{node.domain}.{op}", nname, "operator from a custom domain")
    try:
        schema = onnx.defs.get_schema(op, g.opset, "")
    except onnx.defs.SchemaError:
        raise UnsupportedOperatorError(op, nname, f"not an operator of ONNX opset {g.opset}") from None
    entry = OPERATORS.get(op)
    if entry is None:
        raise UnsupportedOperatorError(op, nname, "no exact piecewise-linear lowering")
    v = int(schema.since_version)
    if v not in entry.versions:
        raise UnsupportedOperatorError(op, nname, f"{op}-{v} (opset {g.opset}) is not modelled; the loader "
                                       f"models versions {', '.join(map(str, entry.versions))}")
    attrs = node_attributes(g, node, nname, op, schema, frozenset(entry.attributes))
    n_in, n_out = len(node.input), len(node.output)
    if not schema.min_input <= n_in <= schema.max_input:
        raise ModelFormatError(f"node {nname!r} ({op}-{v}) has {n_in} inputs; it takes "
                               f"{schema.min_input} to {min(schema.max_input, 99)}")
    if not schema.min_output <= n_out <= schema.max_output:
        raise ModelFormatError(f"node {nname!r} ({op}-{v}) has {n_out} outputs; it has "
                               f"{schema.min_output} to {min(schema.max_output, 99)}")
    formals = list(schema.inputs)
    for k, name in enumerate(node.input):
        formal = formals[min(k, len(formals) - 1)]
        if not name and formal.option != OpSchema.FormalParameterOption.Optional:
            raise ModelFormatError(f"node {nname!r} ({op}) leaves its required input {k} ({formal.name}) empty")
    inputs = [g.get(i, node) if i else None for i in node.input]
    g.v = v
    g.in_types = [g.types.get(i) if i else None for i in node.input]
    outs = guarded(entry.handler, g, node, nname, op, inputs, attrs)
    types = output_types(g, op, attrs, n_out)
    for k, (name, val) in enumerate(zip(node.output, outs)):
        if name and val is not None:
            t = types[k]
            if isinstance(val, Const) and not val.is_float and t in INT_RANGES and val.a.size and op != "Cast":
                lo, hi = INT_RANGES[t]
                if int(val.a.min()) < lo or int(val.a.max()) > hi:
                    raise ModelFormatError(f"node {nname!r} ({op}): integer overflow of {type_name(t)} "
                                           "(wrap-around is not modelled)")
            g.env[name] = val
            if t is not None:
                g.types[name] = t


def output_types(g: OnnxGraph, op: str, attrs: dict, n: int) -> list[int | None]:
    """The element types of the outputs of an ``op`` node (those the loader tracks)."""
    it = g.in_types
    first = it[0] if it else None
    if op == "Cast":
        return [int(attrs["to"])]
    if op == "CastLike":
        return [it[1]]
    if op in ("Shape", "Size"):
        return [T_INT64]
    if op == "Constant":
        if "value" in attrs:
            return [int(attrs["value"].data_type)]
        return [T_FLOAT if "value_float" in attrs or "value_floats" in attrs else T_INT64]
    if op == "ConstantOfShape":
        return [int(attrs["value"].data_type) if "value" in attrs else T_FLOAT]
    if op == "Dropout":
        return [first, T_BOOL if g.v >= 10 else first]
    if op == "MaxPool":
        return [first, T_INT64]
    return [first] * n


def guarded(handler: Callable, g: OnnxGraph, node: Any, nname: str, op: str, inputs: list, attrs: dict) -> list:
    """Run an operator handler, translating low-level errors into exactrelu errors."""
    try:
        return handler(g, node, nname, inputs, attrs)
    except ShapeError as exc:
        if f"node {nname!r}" in str(exc):
            raise
        raise ShapeError(f"node {nname!r} ({op}): {first_line(exc)}") from None
    except UnsupportedOperatorError:
        raise
    except ModelFormatError as exc:
        if f"node {nname!r}" in str(exc) or "tensor " in str(exc):
            raise
        raise ModelFormatError(f"node {nname!r} ({op}): {first_line(exc)}") from None
    except ExactReluError:
        raise
    except Nonlinear as exc:
        raise UnsupportedOperatorError(op, nname, str(exc)) from None
    except ZeroDivisionError as exc:
        raise ModelFormatError(f"node {nname!r} ({op}): {exc}") from None
    except (ValueError, IndexError, TypeError) as exc:
        raise ShapeError(f"node {nname!r} ({op}): {first_line(exc)}") from None


def call_operator(g: OnnxGraph, op: str, name: str, inputs: list, attrs: dict | None = None, n_outputs: int = 1) -> list:
    """Apply ONNX operator ``op`` (its version at this builder's opset) to values, for importers
    of other formats (float inputs)."""
    import onnx

    handler = OPERATORS[op].handler
    node = FakeNode(op, name, n_outputs)
    g.v = int(onnx.defs.get_schema(op, g.opset, "").since_version)
    g.in_types = [T_FLOAT] * len(inputs)
    return guarded(handler, g, node, name, op, inputs, dict(attrs or {}))
