"""A network that float32 gets wrong in thin slivers (tests, demos, benchmarks).

Examples
--------
>>> net = sliver_network()
>>> net.n_inputs, net.n_outputs
(2, 2)
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import UsageError
from ..model.network import Network, NetworkBuilder

__all__ = ["SLIVER_LINES", "SLIVER_TIE", "sliver_network"]


SLIVER_LINES = (
    (Fraction(1), Fraction(1, 4), Fraction(-1, 8)),
    (Fraction(1, 2), Fraction(-3, 4), Fraction(1, 4)),
    (Fraction(-1), Fraction(-5, 8), Fraction(-3, 16)),
    (Fraction(3, 4), Fraction(1), Fraction(5, 16)),
    (Fraction(-1, 4), Fraction(1), Fraction(-1, 2)),
)


SLIVER_TIE = (Fraction(-3, 8), Fraction(1), Fraction(-1, 16))


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
    if not 0 <= lines <= len(SLIVER_LINES):
        raise UsageError(f"lines must be between 0 and {len(SLIVER_LINES)}")
    big = Fraction(big)
    b = NetworkBuilder(2, input_names=("x1", "x2"), name=f"sliver_{lines}_{big}")
    h1 = b.dense(b.input, [[big, 0], [big / 2, 0], [1, 0], [0, 1]], [3 * big, 3 * big / 2, 2, 2], "relu")
    rows, bias = [], []
    for i in range(4):  # pass B1, B2, P1, P2 through (all positive on the domain)
        rows.append([1 if j == i else 0 for j in range(4)])
        bias.append(0)
    for a, bb, c in SLIVER_LINES[:lines]:
        for sgn in (1, -1):
            rows.append([sgn, -2 * sgn, sgn * a, sgn * bb])
            bias.append(sgn * (c - 2 * a - 2 * bb))
    h2 = b.dense(h1, rows, bias, "relu")
    a, bb, c = SLIVER_TIE
    k = [Fraction(1, 4)] * (2 * lines)
    out = [[1, 0, a, bb] + k, [0, 2, 0, 0] + k]
    b.dense(h2, out, [c - 2 * a - 2 * bb, 0], "identity")
    return b.build(output_names=("y0", "y1"))
