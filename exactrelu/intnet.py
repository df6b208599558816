"""Integer-scaled affine forms: the arithmetic kernel of the region enumerator.

An affine form ``g . x + g0`` over ``n`` inputs is stored as a tuple of ``n + 1`` Python
ints together with a positive integer denominator shared by a whole layer. Positive
scaling never changes a sign, so the enumerator decides signs on integers and turns a
number back into a Fraction only when it writes evidence.

Examples
--------
>>> from exactrelu.network import mlp
>>> net = mlp(2, [([["1/2", 1], [0, "-1/3"]], [0, "1/6"]), ([[1, 1]], [0])])
>>> k = IntNet(net)
>>> forms, D = k.layer_forms(1, [(tuple(identity_forms(2)), 1)])
>>> forms, D
([(3, 6, 0), (0, -2, 1)], 6)
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import reduce
from typing import Sequence

from .network import Network

__all__ = ["IntNet", "identity_forms", "primitive", "lcm"]

Form = tuple[int, ...]


def lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


def identity_forms(n: int) -> list[Form]:
    """The forms of the inputs themselves: ``x_i`` as ``(e_i, 0)``."""
    return [tuple(int(i == j) for j in range(n)) + (0,) for i in range(n)]


def primitive(vec: Sequence[int]) -> tuple[tuple[int, ...], int]:
    """Divide by the gcd of the entries: returns (vector, gcd) (gcd 1 for the zero vector)."""
    g = reduce(math.gcd, vec, 0)
    if g <= 1:
        return tuple(vec), 1
    return tuple(v // g for v in vec), g


class IntNet:
    """A network's weights as integer matrices with one denominator per (layer, source)."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.n = net.n_inputs
        self._mats: dict = {}
        self._masked: dict = {}  # id(forms) -> (forms, layer, int64 (W, H) or None, object array, arange)
        self._maxw: dict = {}  # layer -> (max |weight|, int64 weights)
        self.layers = []  # per layer: ([(source, Wint rows, E)], bint, Eb, is_relu)
        for layer in net.layers:
            srcs = []
            for s, w in layer.inputs:
                E = 1
                for row in w:
                    for v in row:
                        E = lcm(E, v.denominator)
                Wint = [tuple(int(v * E) for v in row) for row in w]
                srcs.append((s, Wint, E))
            Eb = 1
            for v in layer.bias:
                Eb = lcm(Eb, v.denominator)
            bint = tuple(int(v * Eb) for v in layer.bias)
            self.layers.append((srcs, bint, Eb, layer.activation.value == "relu"))

    @classmethod
    def of(cls, net: Network) -> "IntNet":
        """The (cached) integer form of ``net``: built once per network."""
        kern = net._cache.get("intnet")
        if kern is None:
            kern = net._cache["intnet"] = cls(net)
        return kern

    def fmpz_layers(self) -> list:
        """Per layer ``([(source, fmpz weight matrix, E)], fmpz bias column, Eb)`` (python-flint)."""
        import flint

        out = []
        for k, (srcs, bint, Eb, _) in enumerate(self.layers, start=1):
            ws = [(s, self._fmpz(k, idx, Wint), E) for idx, (s, Wint, E) in enumerate(srcs)]
            out.append((ws, flint.fmpz_mat(len(bint), 1, list(bint)), Eb))
        return out

    def layer_forms(self, k: int, outs: Sequence[tuple[Sequence[Form | None], int]]) -> tuple[list[Form], int]:
        """Pre-activation forms of layer ``k`` (1-based) from the output forms of sources.

        ``outs[s]`` is ``(forms, D)`` for source s (None = a unit that is off), the result
        is ``(forms, D)`` with the gcd of everything divided out. A layer with one source
        whose product provably fits in int64 is computed with numpy, any other with
        python-flint (the same exact integers either way).
        """
        srcs, _, _, _ = self.layers[k - 1]
        if len(srcs) == 1:
            s, Wint, E = srcs[0]
            forms, D = outs[s]
            arrays = self._int64_arrays(k, Wint, forms)
            if arrays is not None:
                W64, H64 = arrays
                return self._scaled_with_bias(k, (W64 @ H64).ravel().tolist(), E * D)
        return self._flint_layer_forms(k, outs)

    def _flint_layer_forms(self, k: int, outs: Sequence[tuple[Sequence[Form | None], int]]) -> tuple[list[Form], int]:
        """:meth:`layer_forms` with python-flint matrices (any numbers, several sources)."""
        import flint

        srcs, bint, Eb, _ = self.layers[k - 1]
        n1 = self.n + 1
        L = Eb
        for s, _, E in srcs:
            L = lcm(L, E * outs[s][1])
        width = len(bint)
        acc = None
        for idx, (s, Wint, E) in enumerate(srcs):
            forms, D = outs[s]
            f = L // (E * D)
            entries = []
            zero = (0,) * n1
            any_live = False
            for h in forms:
                if h is None:
                    entries.extend(zero)
                else:
                    any_live = True
                    entries.extend(h)
            if not any_live:
                continue
            H = flint.fmpz_mat(len(forms), n1, entries)
            P = self._fmpz(k, idx, Wint) * H
            if f != 1:
                P = P * f
            acc = P if acc is None else acc + P
        if acc is None:
            vals = [0] * (width * n1)
        else:
            vals = [int(v) for v in acc.entries()]
        return self._with_bias(k, vals, L)

    def _scaled_with_bias(self, k: int, vals: list[int], ED: int) -> tuple[list[Form], int]:
        """The forms of layer ``k`` from ``vals``, the flattened product of its single
        source's integer weights (denominator ``E``) and forms (denominator ``D``)."""
        L = lcm(self.layers[k - 1][2], ED)
        f = L // ED
        if f != 1:
            vals = [v * f for v in vals]
        return self._with_bias(k, vals, L)

    def _with_bias(self, k: int, vals: list[int], L: int) -> tuple[list[Form], int]:
        """Add layer ``k``'s bias to the flattened weight part ``vals`` (denominator ``L``,
        a multiple of the bias denominator), divide out the gcd and split into forms."""
        _, bint, Eb, _ = self.layers[k - 1]
        n1 = self.n + 1
        width = len(bint)
        cb = L // Eb
        for j in range(width):
            vals[j * n1 + n1 - 1] += bint[j] * cb
        g = L
        for v in vals:
            if v:
                g = math.gcd(g, v)
                if g == 1:
                    break
        if g > 1:
            vals = [v // g for v in vals]
            L //= g
        return [tuple(vals[j * n1:(j + 1) * n1]) for j in range(width)], L

    def masked_layer_forms(self, k: int, forms: Sequence[Form], D: int, mask) -> tuple[tuple, tuple[list[Form], int]] | None:
        """Fast path of :meth:`layer_forms` for a layer whose only source is the previous
        ReLU layer: ``forms`` are that layer's pre-activation forms (denominator ``D``) and
        ``mask`` (a numpy bool array) says which units are active.

        Returns ``(masked output forms, (forms, L))`` -- exactly what ``layer_forms`` gives
        for the masked outputs -- or None when the fast path does not apply (several
        sources, or numbers too large for int64 without risk of overflow; then the caller
        uses :meth:`layer_forms`). The int64 sums are exact: every product and every
        partial sum is bounded by ``2**62`` (checked once per ``forms``)."""
        import numpy as np

        srcs = self.layers[k - 1][0]
        if len(srcs) != 1 or srcs[0][0] != k - 1:
            return None
        _, Wint, E = srcs[0]
        entry = self._masked.get(id(forms))
        if entry is None or entry[0] is not forms or entry[1] != k:
            w = len(forms)
            objs = np.empty(w + 1, dtype=object)
            for i, f in enumerate(forms):
                objs[i] = f
            entry = (forms, k, self._int64_arrays(k, Wint, forms), objs, np.arange(w))
            self._masked[id(forms)] = entry
            while len(self._masked) > 64:
                self._masked.pop(next(iter(self._masked)))
        _, _, arrays, objs, ar = entry
        if arrays is None:
            return None
        W64, H64 = arrays
        out = tuple(objs[np.where(mask, ar, len(forms))].tolist())
        vals = (W64 @ (H64 * mask[:, None])).ravel().tolist()  # row i: sum of W[i, j] * forms[j] over active j
        return out, self._scaled_with_bias(k, vals, E * D)

    def _int64_arrays(self, k: int, Wint, forms: Sequence[Form | None]) -> tuple | None:
        """``(W, H)``: layer ``k``'s integer weights and ``forms`` (None as a zero row) as
        int64 arrays, or None unless every sum of products ``W @ H`` provably fits
        (``max |W| * max |H| * len(forms) < 2**62``)."""
        import numpy as np

        maxW, W64 = self._int64_weights(k, Wint)
        if W64 is None:
            return None
        w = len(forms)
        n1 = self.n + 1
        zero = (0,) * n1
        try:
            H64 = np.array([zero if h is None else h for h in forms], dtype=np.int64).reshape(w, n1)
        except OverflowError:
            return None
        maxH = max(int(H64.max(initial=0)), -int(H64.min(initial=0)))
        if maxW * maxH * max(w, 1) >= 1 << 62:
            return None
        return W64, H64

    def _int64_weights(self, k: int, Wint) -> tuple:
        """``(max |W|, W as int64 or None if it does not fit)`` for layer ``k`` (cached)."""
        import numpy as np

        entry = self._maxw.get(k)
        if entry is None:
            maxW = max((abs(v) for row in Wint for v in row), default=0)
            shape = (len(Wint), len(Wint[0]) if Wint else 0)
            W64 = np.array(Wint, dtype=np.int64).reshape(shape) if maxW < 1 << 62 else None
            entry = self._maxw[k] = (maxW, W64)
        return entry

    def _fmpz(self, k: int, idx: int, Wint):
        key = (k, idx)
        m = self._mats.get(key)
        if m is None:
            import flint

            m = flint.fmpz_mat(len(Wint), len(Wint[0]) if Wint else 0, [v for row in Wint for v in row])
            self._mats[key] = m
        return m

    @staticmethod
    def to_fractions(form: Form, D: int) -> tuple[Fraction, ...]:
        return tuple(Fraction(v, D) for v in form)
