"""The operator table: every ONNX operator the loader models, its versions, attributes and handler.

One entry per operator: the ONNX versions (``since_version``) the loader models, the
attributes it reads (any other attribute of the operator's schema is refused) and the
handler, ``handler(g, node, nname, inputs, attrs) -> list of output values``.  The table in
the docstring of :mod:`exactrelu.io.onnx.onnx_io` documents the same (a test checks that
they agree), and the differential tests run every operator against the ONNX reference.

Examples
--------
>>> OPERATORS["Relu"].versions, OPERATORS["Relu"].handler.__name__
((6, 13, 14), 'op_relu')
>>> sorted(SUPPORTED_OPERATORS["Gemm"][1])
['alpha', 'beta', 'transA', 'transB']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import ops_affine
from . import ops_pwl
from . import ops_shape

__all__ = ["Operator", "OPERATORS", "SUPPORTED_OPERATORS"]


@dataclass(frozen=True)
class Operator:
    """One modelled ONNX operator.

    Attributes
    ----------
    versions : tuple of int
        The operator versions (``since_version``) whose semantics the handler implements.
    attributes : tuple of str
        The attributes the handler reads; any other attribute of the schema is refused.
    handler : callable
        ``handler(g, node, nname, inputs, attrs)`` returning the output values.
    """

    versions: tuple[int, ...]
    attributes: tuple[str, ...]
    handler: Callable


#: ``{operator: Operator(versions, attributes, handler)}``, one line per supported operator.
OPERATORS: dict[str, Operator] = {
    "Abs":                Operator((6, 13), (), ops_pwl.op_abs),
    "Add":                Operator((7, 13, 14), (), ops_affine.op_add),
    "AveragePool":        Operator((7, 10, 11, 19, 22), ("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"), ops_affine.op_average_pool),
    "BatchNormalization": Operator((7, 9, 14, 15), ("epsilon", "momentum", "spatial", "training_mode"), ops_affine.op_batch_normalization),
    "Cast":               Operator((6, 9, 13, 19, 21, 23, 24, 25, 28), ("round_mode", "saturate", "to"), ops_shape.op_cast),
    "CastLike":           Operator((15, 19, 21, 23, 24, 25), ("round_mode", "saturate"), ops_shape.op_cast_like),
    "Clip":               Operator((6, 11, 12, 13), ("max", "min"), ops_pwl.op_clip),
    "Concat":             Operator((4, 11, 13), ("axis",), ops_shape.op_concat),
    "Constant":           Operator((1, 9, 11, 12, 13, 19, 21, 23, 24, 25), ("value", "value_float", "value_floats", "value_int", "value_ints"), ops_shape.op_constant),
    "ConstantOfShape":    Operator((9, 20, 21, 23, 24, 25), ("value",), ops_shape.op_constant_of_shape),
    "Conv":               Operator((1, 11, 22), ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"), ops_affine.op_conv),
    "Div":                Operator((7, 13, 14), (), ops_affine.op_div),
    "Dropout":            Operator((7, 10, 12, 13, 22), ("ratio", "seed"), ops_shape.op_dropout),
    "Flatten":            Operator((1, 9, 11, 13, 21, 23, 24, 25), ("axis",), ops_shape.op_flatten),
    "Gather":             Operator((1, 11, 13), ("axis",), ops_shape.op_gather),
    "Gemm":               Operator((7, 9, 11, 13), ("alpha", "beta", "transA", "transB"), ops_affine.op_gemm),
    "GlobalAveragePool":  Operator((1, 22), (), ops_affine.op_global_average_pool),
    "GlobalMaxPool":      Operator((1, 22), (), ops_pwl.op_global_max_pool),
    "Identity":           Operator((1, 13, 14, 16, 19, 21, 23, 24, 25), (), ops_shape.op_identity),
    "LeakyRelu":          Operator((6, 16), ("alpha",), ops_pwl.op_leaky_relu),
    "MatMul":             Operator((1, 9, 13), (), ops_affine.op_mat_mul),
    "Max":                Operator((6, 8, 12, 13), (), ops_pwl.op_max),
    "MaxPool":            Operator((1, 8, 10, 11, 12, 22), ("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"), ops_pwl.op_max_pool),
    "Mean":               Operator((6, 8, 13), (), ops_affine.op_mean),
    "Min":                Operator((6, 8, 12, 13), (), ops_pwl.op_min),
    "Mul":                Operator((7, 13, 14), (), ops_affine.op_mul),
    "Neg":                Operator((6, 13), (), ops_affine.op_neg),
    "PRelu":              Operator((7, 9, 16), (), ops_pwl.op_p_relu),
    "Pad":                Operator((2, 11, 13, 18, 19, 21, 23, 24, 25), ("mode", "pads", "value"), ops_shape.op_pad),
    "Relu":               Operator((6, 13, 14), (), ops_pwl.op_relu),
    "Reshape":            Operator((5, 13, 14, 19, 21, 23, 24, 25), ("allowzero",), ops_shape.op_reshape),
    "Shape":              Operator((1, 13, 15, 19, 21, 23, 24, 25), ("end", "start"), ops_shape.op_shape),
    "Size":               Operator((1, 13, 19, 21, 23, 24, 25), (), ops_shape.op_size),
    "Slice":              Operator((1, 10, 11, 13), ("axes", "ends", "starts"), ops_shape.op_slice),
    "Split":              Operator((2, 11, 13, 18), ("axis", "num_outputs", "split"), ops_shape.op_split),
    "Squeeze":            Operator((1, 11, 13, 21, 23, 24, 25), ("axes",), ops_shape.op_squeeze),
    "Sub":                Operator((7, 13, 14), (), ops_affine.op_sub),
    "Sum":                Operator((6, 8, 13), (), ops_affine.op_sum),
    "Transpose":          Operator((1, 13, 21, 23, 24, 25), ("perm",), ops_shape.op_transpose),
    "Unsqueeze":          Operator((1, 11, 13, 21, 23, 24, 25), ("axes",), ops_shape.op_unsqueeze),
}

#: ``{operator: (modelled versions, modelled attributes)}``, derived from :data:`OPERATORS`.
SUPPORTED_OPERATORS: dict[str, tuple[tuple[int, ...], frozenset[str]]] = {
    op: (entry.versions, frozenset(entry.attributes)) for op, entry in OPERATORS.items()}
