"""Exact and floating-point evaluation of a :class:`~exactrelu.model.network.Network`.

* :func:`evaluate` — exact output at one rational point;
* :func:`evaluate_batch` — exact outputs at many points (python-flint ``fmpq_mat``);
* :func:`pre_activations`, :func:`activation_pattern` — what each ReLU unit sees;
* :func:`affine_map` — the exact affine map ``y = C x + d`` for an activation pattern;
* :func:`evaluate_float` — the same network in float64 (or float32) with numpy.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
>>> activation_pattern(net, ["-1/3"])
'01'
>>> C, d = affine_map(net, '01'); C, d
(((Fraction(-1, 1),),), (Fraction(0, 1),))
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import PointError, NumberError
from ..numbers.rationals import to_rational_vector
from .affine import AffineMap

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = [
    "flint_mats",
    "numpy_mats",
    "as_point",
    "evaluate",
    "evaluate_batch",
    "pre_activations",
    "activation_pattern",
    "affine_map",
    "layer_affine_maps",
    "evaluate_float",
    "float_activation_pattern",
]

_ZERO = Fraction(0)


def as_point(net: "Network", point: Any) -> tuple[Fraction, ...]:
    """Convert ``point`` to an exact input vector of the right length (or raise PointError)."""
    try:
        x = to_rational_vector(point)
    except NumberError as exc:
        raise PointError(f"bad point: {exc}") from exc
    if len(x) != net.n_inputs:
        raise PointError(f"point has {len(x)} coordinates, the network has {net.n_inputs} inputs")
    return x


def _forward(net: "Network", x: Sequence[Fraction]) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    outs: list[list[Fraction]] = [list(x)]
    pres: list[list[Fraction]] = []
    for layer in net.layers:
        z = list(layer.bias)
        for s, w in layer.inputs:
            h = outs[s]
            for i, row in enumerate(w):
                acc = z[i]
                for wij, hj in zip(row, h):
                    if wij and hj:
                        acc += wij * hj
                z[i] = acc
        pres.append(z)
        if layer.activation.value == "relu":
            outs.append([v if v > 0 else _ZERO for v in z])
        else:
            outs.append(z)
    return pres, outs


def evaluate(net: "Network", point: Any) -> tuple[Fraction, ...]:
    """Exact output of ``net`` at ``point``.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> evaluate(mlp(2, [([[1, 1]], ["1/3"])]), [0.5, "1/4"])
    (Fraction(13, 12),)
    """
    x = as_point(net, point)
    return tuple(_forward(net, x)[1][-1])


def pre_activations(net: "Network", point: Any) -> list[tuple[Fraction, ...]]:
    """Exact pre-activation of every layer at ``point`` (one tuple per layer)."""
    x = as_point(net, point)
    return [tuple(z) for z in _forward(net, x)[0]]


def activation_pattern(net: "Network", point: Any, ties: str = "inactive") -> str:
    """Activation pattern at ``point``: ``'1'`` where the pre-activation is > 0.

    ``ties`` says how a zero pre-activation is written: ``"inactive"`` ('0', the
    default), ``"active"`` ('1') or ``"mark"`` ('=').
    """
    pres = pre_activations(net, point)
    tie = {"inactive": "0", "active": "1", "mark": "="}[ties]
    out = []
    for k, layer in enumerate(net.layers):
        if layer.activation.value == "relu":
            out.extend("1" if v > 0 else (tie if v == 0 else "0") for v in pres[k])
    return "".join(out)


def layer_affine_maps(net: "Network", pattern: str) -> list[AffineMap]:
    """Exact affine maps (in the input) of every layer's pre-activation under ``pattern``.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> net = mlp(1, [([[2]], [1]), ([[3]], [0])])
    >>> [tuple(f) for f in layer_affine_maps(net, "1")]
    [(((Fraction(2, 1),),), (Fraction(1, 1),)), (((Fraction(6, 1),),), (Fraction(3, 1),))]
    """
    if len(pattern) != net.n_relu or any(c not in "01" for c in pattern):
        raise PointError(f"pattern must be a 0/1 string of length {net.n_relu}")
    n = net.n_inputs
    eye = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    out_maps: list[tuple[list[list[Fraction]], list[Fraction]]] = [(eye, [_ZERO] * n)]
    pre_maps = []
    pos = 0
    for layer in net.layers:
        C = [[_ZERO] * n for _ in range(layer.width)]
        d = list(layer.bias)
        for s, w in layer.inputs:
            Cs, ds = out_maps[s]
            for i, row in enumerate(w):
                Ci = C[i]
                acc = d[i]
                for j, wij in enumerate(row):
                    if wij:
                        Csj = Cs[j]
                        for t in range(n):
                            if Csj[t]:
                                Ci[t] += wij * Csj[t]
                        acc += wij * ds[j]
                d[i] = acc
        pre_maps.append(AffineMap(tuple(tuple(row) for row in C), tuple(d)))
        if layer.activation.value == "relu":
            bits = pattern[pos:pos + layer.width]
            pos += layer.width
            C = [row if b == "1" else [_ZERO] * n for row, b in zip(C, bits)]
            d = [v if b == "1" else _ZERO for v, b in zip(d, bits)]
        out_maps.append((C, d))
    return pre_maps


def affine_map(net: "Network", pattern: str) -> AffineMap:
    """The exact affine map ``y = C x + d`` of the network under activation ``pattern``
    (an :class:`~exactrelu.model.affine.AffineMap`, which unpacks as ``C, d``)."""
    C, d = layer_affine_maps(net, pattern)[-1]
    last = net.layers[-1]
    if last.activation.value == "relu":
        bits = pattern[-last.width:]
        C = [row if b == "1" else [_ZERO] * net.n_inputs for row, b in zip(C, bits)]
        d = [v if b == "1" else _ZERO for v, b in zip(d, bits)]
    return AffineMap(tuple(tuple(r) for r in C), tuple(d))


def flint_mats(net: "Network") -> list:
    """Per layer ``([(source, fmpq_mat weight)], fmpq_mat bias column)``, cached on ``net``.

    Parameters
    ----------
    net : Network

    Returns
    -------
    list
        One ``(weights, bias)`` pair per layer, python-flint exact matrices.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> (ws, b), = flint_mats(mlp(1, [([["1/2"]], [3])]))
    >>> ws[0][0], ws[0][1][0, 0], b[0, 0]
    (0, 1/2, 3)
    """
    key = "flint_mats"
    if key not in net._cache:
        from ..numbers.rationals import to_fmpq_mat
        import flint

        mats = []
        for layer in net.layers:
            ws = [(s, to_fmpq_mat(w)) for s, w in layer.inputs]
            b = flint.fmpq_mat(layer.width, 1, [flint.fmpq(v.numerator, v.denominator) for v in layer.bias])
            mats.append((ws, b))
        net._cache[key] = mats
    return net._cache[key]


def evaluate_batch(net: "Network", points: Any, return_patterns: bool = False):
    """Exact outputs at many points, fast (python-flint ``fmpq_mat`` products).

    Returns a list of output tuples (and, if asked, the activation patterns).

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> [tuple(map(str, y)) for y in evaluate_batch(net, [[-2], ["1/2"]])]
    [('2',), ('1/2',)]
    """
    import flint

    pts = [as_point(net, p) for p in points]
    if not pts:
        return ([], []) if return_patterns else []
    N = len(pts)
    # integer arithmetic: every layer's values are (fmpz matrix) / (one common denominator)
    D0 = 1
    for p in pts:
        for v in p:
            D0 = D0 * v.denominator // math.gcd(D0, v.denominator)
    X = flint.fmpz_mat(net.n_inputs, N, [int(pts[j][i] * D0) for i in range(net.n_inputs) for j in range(N)])
    outs = [(X, D0)]
    pattern_cols: list[list[str]] = [[] for _ in range(N)]
    for layer, (ws, bint, Eb) in zip(net.layers, _fmpz_mats(net)):
        L = Eb
        for s, _, E in ws:
            L = L * (E * outs[s][1]) // math.gcd(L, E * outs[s][1])
        Z = None
        for s, W, E in ws:
            P = W * outs[s][0]
            f = L // (E * outs[s][1])
            if f != 1:
                P = P * f
            Z = P if Z is None else Z + P
        ones = flint.fmpz_mat(1, N, [1] * N)
        Z = Z + (bint * (L // Eb)) * ones
        if layer.activation.value == "relu":
            vals = Z.entries()
            if return_patterns:
                w = layer.width
                for j in range(N):
                    pattern_cols[j].append("".join("1" if vals[i * N + j] > 0 else "0" for i in range(w)))
            Z = flint.fmpz_mat(layer.width, N, [v if v > 0 else 0 for v in vals])
        outs.append((Z, L))
    Y, D = outs[-1]
    vals = [int(v) for v in Y.entries()]
    m = Y.nrows()
    result = [tuple(Fraction(vals[i * N + j], D) for i in range(m)) for j in range(N)]
    if return_patterns:
        return result, ["".join(c) for c in pattern_cols]
    return result


def _fmpz_mats(net: "Network"):
    """Per layer: [(source, fmpz weight matrix, denominator)], fmpz bias column, bias denominator."""
    key = "fmpz_mats"
    if key not in net._cache:
        from .intnet import IntNet

        net._cache[key] = IntNet.of(net).fmpz_layers()
    return net._cache[key]


def numpy_mats(net: "Network", dtype: Any) -> list:
    """Per layer ``([(source, weight array)], bias array)`` rounded to ``dtype``, cached on ``net``.

    Entries beyond the dtype's range become infinities, as IEEE rounding does.

    Parameters
    ----------
    net : Network
    dtype : numpy dtype or its name

    Returns
    -------
    list
        One ``(weights, bias)`` pair per layer, numpy arrays of ``dtype``.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> (ws, b), = numpy_mats(mlp(1, [([["1/2"]], [3])]), "float32")
    >>> ws[0][1].dtype.name, float(ws[0][1][0, 0]), float(b[0])
    ('float32', 0.5, 3.0)
    """
    import numpy as np

    from ..numbers.rationals import to_float

    key = ("np_mats", np.dtype(dtype).name)
    if key not in net._cache:
        mats = []
        for layer in net.layers:
            ws = [(s, np.array([[to_float(v) for v in row] for row in w], dtype=dtype)) for s, w in layer.inputs]
            b = np.array([to_float(v) for v in layer.bias], dtype=dtype)  # beyond float64: inf, as IEEE
            mats.append((ws, b))
        net._cache[key] = mats
    return net._cache[key]


def evaluate_float(net: "Network", points: Any, dtype: str = "float64", return_pre: bool = False):
    """Floating-point evaluation (numpy) of the same network: rows of ``points`` are inputs.

    Weights are rounded to ``dtype`` (round-to-nearest); the result is an ``(N, n_out)``
    array. With ``return_pre`` also the list of per-layer pre-activation arrays.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> evaluate_float(mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])]), [[-2.0], [0.5]]).tolist()
    [[2.0], [0.5]]
    """
    import numpy as np

    X = np.asarray(points, dtype=dtype)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != net.n_inputs:
        raise PointError(f"points must have shape (N, {net.n_inputs})")
    outs = [X]
    pres = []
    for layer, (ws, b) in zip(net.layers, numpy_mats(net, dtype)):
        Z = None
        for s, W in ws:
            P = outs[s] @ W.T
            Z = P if Z is None else Z + P
        Z = Z + b
        pres.append(Z)
        outs.append(np.maximum(Z, 0) if layer.activation.value == "relu" else Z)
    return (outs[-1], pres) if return_pre else outs[-1]


def float_activation_pattern(net: "Network", points: Any, dtype: str = "float64") -> list[str]:
    """Activation patterns computed in floating point (for cross-checks)."""
    _, pres = evaluate_float(net, points, dtype=dtype, return_pre=True)
    rows = []
    for j in range(pres[0].shape[0]):
        bits = []
        for layer, Z in zip(net.layers, pres):
            if layer.activation.value == "relu":
                bits.extend("1" if v > 0 else "0" for v in Z[j])
        rows.append("".join(bits))
    return rows
