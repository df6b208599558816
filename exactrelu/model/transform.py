"""Exact transformations of networks that keep the function (on a stated set).

* :func:`fix_inputs` — restrict a network to the affine subspace where some inputs are
  fixed to given values (how VNN-LIB properties with ``X_i = c`` are handled: the
  restricted network has the free inputs only, so domains stay full-dimensional).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.model.evaluation import evaluate
>>> net = mlp(2, [([[1, 2]], [1])])
>>> small = fix_inputs(net, {1: "1/2"})
>>> small.n_inputs, evaluate(small, [3]) == evaluate(net, [3, "1/2"])
(1, True)
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import ModelError
from .network import Layer, Network
from ..numbers.rationals import to_rational

__all__ = ["fix_inputs"]


def fix_inputs(net: Network, values: Mapping[int, Any]) -> Network:
    """The network ``u -> net(x)`` where ``x`` has ``values`` at the given input indices and
    the free inputs ``u`` (in increasing index order) elsewhere."""
    fixed = {int(i): to_rational(v) for i, v in values.items()}
    if any(not 0 <= i < net.n_inputs for i in fixed):
        raise ModelError("fix_inputs: input index out of range")
    free = [i for i in range(net.n_inputs) if i not in fixed]
    if not free:
        raise ModelError("fix_inputs: at least one input must stay free")
    layers = []
    for layer in net.layers:
        inputs = []
        bias = list(layer.bias)
        for s, w in layer.inputs:
            if s == 0:
                for r, row in enumerate(w):
                    bias[r] += sum(row[i] * v for i, v in fixed.items())
                inputs.append((0, tuple(tuple(row[i] for i in free) for row in w)))
            else:
                inputs.append((s, w))
        layers.append(Layer(tuple(inputs), tuple(bias), layer.activation, layer.name))
    names = tuple(net.input_names[i] for i in free) if net.input_names else ()
    return Network(len(free), tuple(layers), names, net.output_names, net.name)
