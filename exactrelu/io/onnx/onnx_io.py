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

The loader is trusted code: a certificate proves a statement about the network the
loader built, so a misread file would give a certified false verdict.  It therefore
accepts only what it models exactly and refuses everything else with a one-line
:class:`~exactrelu.errors.ModelFormatError` (malformed file) or
:class:`~exactrelu.errors.UnsupportedOperatorError` (valid ONNX it does not model).

*What the exact network is.*  Every float in the file converts **exactly** (float16,
bfloat16, float32 and float64 values, subnormals included, are dyadic rationals; NaN and
infinity anywhere are refused).  The network is the graph's **real-arithmetic** meaning:
the rounding a float runtime does inside ``MatMul``, ``Add``, ``Conv``, ... is not
modelled, and arithmetic on constants (``Mul`` of two initializers, ...) is exact, not
in float.  So at a point where a float runtime computes without rounding (small dyadic
weights and inputs) the exact network and the runtime agree to the last bit; the tests
check exactly that for every operator below.  Operators whose *definition* rounds are
modelled as the rounding they do, or refused: ``Cast``/``CastLike`` of a constant rounds
exactly (round-half-even to float16/bfloat16/float32/float64, truncation toward zero to
integer types, integer overflow wraps as the spec says; float overflow and out-of-range
float-to-integer casts are refused); on an input-dependent tensor a widening float cast
(float16 -> float32 -> float64, bfloat16 -> float32) is the identity, and a narrowing or
integer cast is refused (it is a step function, not piecewise linear).  A rounding cast of a
constant that float arithmetic computed (a sum of products, or a result the tensor's type
cannot hold) is refused too: a float runtime rounds that constant before the cast.

*Refused, with the reason in the message:* opsets outside ``MIN_OPSET..MAX_OPSET`` (7..28;
opsets 1-6 have different broadcasting and training semantics), operator versions not in
the table below, nodes of other domains, unknown attributes, attributes of the wrong type,
missing required attributes, attributes not modelled (``Constant`` ``sparse_value`` and
strings), training mode (``Dropout`` ``training_mode`` true, ``BatchNormalization``
``training_mode=1`` or its training outputs), products of two input-dependent tensors,
``MaxPool``'s ``Indices``, ``AveragePool`` with ``count_include_pad=1`` and windows that
extend beyond the padding, pools whose window lies entirely in the padding, ``Pad`` modes
``reflect``/``edge``/``wrap`` with pads larger than the model can read, and shapes that do
not fit the spec (negative or wrongly sized ``pads``, strides or dilations below 1, a
kernel shape disagreeing with the weight, a group not dividing the channels, a ``Split``
that is not even where the spec requires it, ...).

*Malformed files are refused before anything runs:* a tensor produced twice (two nodes,
or a node output that is also an initializer or a graph input), a cycle, a tensor used
but never defined, graph outputs that nothing produces, initializers whose data does not
match their declared shape and type (``raw_data`` length, typed field length, values out
of range for their type), more than ``MAX_TENSOR_ELEMENTS`` elements in any tensor, no
opset for the default domain (a file truncated after its graph), and whatever
``onnx.checker.check_model(full_check=True)`` rejects.  Gzip-compressed files are
decompressed with a bound (``MAX_MODEL_BYTES``, 2 GiB, the protobuf limit; ``max_bytes=``
lowers it), and external-data files must lie inside the model's folder.

*BatchNormalization* multiplies by ``1/sqrt(var + epsilon)``, which is irrational unless
``var + epsilon`` is the square of a rational.  By default only that exact case is
accepted; otherwise the import fails with an explanation.  With ``approximate_bn=True``
the factor is rounded to the nearest float64 (or, with ``bn_max_denominator=D``, to the
closest rational with denominator ``<= D``); the import then warns and
:attr:`OnnxImport.max_change` holds a rigorous exact upper bound of the largest change
made to any folded coefficient.  ``momentum`` only matters in training and is ignored.

The *batch dimension*: a symbolic leading dimension (``N``, ``batch``, unset) is taken
as 1; other symbolic dimensions need ``input_shape=`` (which may only fill in symbolic
dimensions).  The network input is the input tensor flattened in C order
(``n_inputs = prod(shape)``), and likewise the output.  Graph inputs that have an
initializer are constants with the initializer's value.  Float attributes (``alpha``,
``epsilon``, ...) are float32 in ONNX and are used at their exact float32 values (also
the defaults: ``LeakyRelu`` alpha is float32(0.01)).  Weights in external data files are
read only when the model is loaded from its path.  Only the nodes the chosen output
depends on are executed (the checks above cover the whole graph).

Operator table
--------------
One line per operator: the ONNX versions (``since_version``) the loader models, and after
``|`` the attributes it reads; any other attribute of the operator's schema is refused.
The code's table is :data:`exactrelu.io.onnx.ops.OPERATORS` (with each handler); a test
checks that this table agrees with it, and the differential tests run every operator
against the ONNX reference::

    Abs                 6 13                          |
    Add                 7 13 14                       |
    AveragePool         7 10 11 19 22                 | auto_pad ceil_mode count_include_pad dilations kernel_shape pads strides
    BatchNormalization  7 9 14 15                     | epsilon momentum spatial training_mode
    Cast                6 9 13 19 21 23 24 25 28      | round_mode saturate to
    CastLike            15 19 21 23 24 25             | round_mode saturate
    Clip                6 11 12 13                    | max min
    Concat              4 11 13                       | axis
    Constant            1 9 11 12 13 19 21 23 24 25   | value value_float value_floats value_int value_ints
    ConstantOfShape     9 20 21 23 24 25              | value
    Conv                1 11 22                       | auto_pad dilations group kernel_shape pads strides
    Div                 7 13 14                       |
    Dropout             7 10 12 13 22                 | ratio seed
    Flatten             1 9 11 13 21 23 24 25         | axis
    Gather              1 11 13                       | axis
    Gemm                7 9 11 13                     | alpha beta transA transB
    GlobalAveragePool   1 22                          |
    GlobalMaxPool       1 22                          |
    Identity            1 13 14 16 19 21 23 24 25     |
    LeakyRelu           6 16                          | alpha
    MatMul              1 9 13                        |
    Max                 6 8 12 13                     |
    MaxPool             1 8 10 11 12 22               | auto_pad ceil_mode dilations kernel_shape pads storage_order strides
    Mean                6 8 13                        |
    Min                 6 8 12 13                     |
    Mul                 7 13 14                       |
    Neg                 6 13                          |
    PRelu               7 9 16                        |
    Pad                 2 11 13 18 19 21 23 24 25     | mode pads value
    Relu                6 13 14                       |
    Reshape             5 13 14 19 21 23 24 25        | allowzero
    Shape               1 13 15 19 21 23 24 25        | end start
    Size                1 13 19 21 23 24 25           |
    Slice               1 10 11 13                    | axes ends starts
    Split               2 11 13 18                    | axis num_outputs split
    Squeeze             1 11 13 21 23 24 25           | axes
    Sub                 7 13 14                       |
    Sum                 6 8 13                        |
    Transpose           1 13 21 23 24 25              | perm
    Unsqueeze           1 11 13 21 23 24 25           | axes

How each lowers: ``Gemm``, ``MatMul`` (one operand constant), ``Add``/``Sub`` (of anything),
``Mul``/``Div`` (by constants), ``Neg``, ``Sum``, ``Mean``, ``Conv`` (N-d), ``AveragePool``,
``GlobalAveragePool``, ``BatchNormalization`` (inference) and ``Pad`` are affine and merge
into the next layer; ``Relu``, ``LeakyRelu`` (``a x + (1-a) relu(x)``, exact for every slope
``a``), ``PRelu`` (constant slope), ``Clip``, ``Abs``, ``Max``, ``Min``, ``MaxPool`` and
``GlobalMaxPool`` (``max(a, b) = a + relu(b - a)``, a tree of depth ``ceil(log2 k)`` per
window, all windows of one tree level in one layer) materialise ReLU layers; the shape
operators (``Flatten``, ``Reshape``, ``Transpose``, ``Squeeze``, ``Unsqueeze``, ``Concat``,
``Slice``, ``Gather`` with constant indices, ``Split``, ``Shape``, ``Size``, ``Identity``,
``Dropout`` in inference, ``Constant``, ``ConstantOfShape``) only move forms.  ``Clip``
without a bound does not clip finite values of its type (for ``Clip-6`` on float64 the
missing bounds are float32's lowest/max, as its schema says).

Modules
-------
:mod:`.tensors` (element types, float rounding, tensor checks), :mod:`.forms` (exact affine
forms and tensor values), :mod:`.geometry` (windows of Conv and the pools), :mod:`.graph`
(the executor's state and whole-graph checks), :mod:`.ops_shape`, :mod:`.ops_affine`,
:mod:`.ops_pwl` (the operator handlers), :mod:`.ops` (the operator table),
:mod:`.executor` (node-by-node dispatch), :mod:`.reader` (the public import API) and
:mod:`.export`.  This module re-exports the public names.

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
>>> from exactrelu.model.network import mlp
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

from .export import export_onnx, network_to_onnx
from .ops import OPERATORS, SUPPORTED_OPERATORS
from .reader import OnnxImport, import_onnx, load_onnx, onnx_to_network, read_onnx_model
from .tensors import MAX_MODEL_BYTES, MAX_OPSET, MAX_TENSOR_ELEMENTS, MIN_OPSET, round_to_float

__all__ = [
    "OnnxImport",
    "load_onnx",
    "import_onnx",
    "onnx_to_network",
    "export_onnx",
    "network_to_onnx",
    "read_onnx_model",
    "round_to_float",
    "OPERATORS",
    "SUPPORTED_OPERATORS",
    "MIN_OPSET",
    "MAX_OPSET",
    "MAX_MODEL_BYTES",
    "MAX_TENSOR_ELEMENTS",
]
