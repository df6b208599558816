"""Reproducible random networks with small-denominator rational weights (for examples,
tests, benchmarks and notebooks).

Weights are ``k/denom`` for ``k`` in ``[-2 denom, 2 denom]`` and biases ``k/denom`` for
``k`` in ``[-denom, denom]``: exactly representable in float32 and full of exact
degeneracies (several hyperplanes through one point), which is what exactness is for.

Examples
--------
>>> net = random_network([4, 4], seed=1)
>>> net.widths, net.n_relu
((4, 4, 1), 8)
>>> res = random_network([3, 3], seed=2, residual=True)
>>> res.has_skips
True
"""

from __future__ import annotations

import random
from fractions import Fraction

from .network import Network, NetworkBuilder

__all__ = ["random_layers", "random_network"]


def random_layers(widths, seed: int, n_in: int = 2, n_out: int = 1, denom: int = 16):
    """``[(W, b), ...]`` of Fractions for an MLP with the given hidden widths."""
    rng = random.Random(seed)
    dims = [n_in] + list(widths) + [n_out]
    layers = []
    for d_in, d_out in zip(dims, dims[1:]):
        W = [[Fraction(rng.randint(-2 * denom, 2 * denom), denom) for _ in range(d_in)] for _ in range(d_out)]
        b = [Fraction(rng.randint(-denom, denom), denom) for _ in range(d_out)]
        layers.append((W, b))
    return layers


def random_network(widths, seed: int, n_in: int = 2, n_out: int = 1, denom: int = 16,
                   residual: bool = False) -> Network:
    """A random MLP (ReLU hidden layers, affine output), optionally with residual skips.

    With ``residual=True`` every hidden layer ``k >= 2`` also adds the output of layer
    ``k - 2`` (the input for k = 2) through a rectangular identity matrix
    (``S_ij = 1`` if ``i == j``): ``h_k = relu(W_k h_{k-1} + S h_{k-2} + b_k)``, the
    two-layer block of a ResNet. Plain and residual nets with the same seed share all
    weights, so they differ only by the skips.
    """
    layers = random_layers(widths, seed, n_in, n_out, denom)
    tag = "res" if residual else "mlp"
    b = NetworkBuilder(n_in, name=f"random-{tag}-{n_in}-{'-'.join(map(str, widths))}-s{seed}")
    srcs = [b.input]
    for k, (W, bias) in enumerate(layers, start=1):
        last = k == len(layers)
        act = "identity" if last else "relu"
        weights = {srcs[-1]: W}
        if residual and not last and k >= 2:
            prev2 = srcs[-2]
            rows, cols = len(W), b.width(prev2)
            weights[prev2] = [[Fraction(int(i == j)) for j in range(cols)] for i in range(rows)]
        srcs.append(b.add(weights, bias, act))
    return b.build()
