"""Integer-scaled affine forms: the arithmetic kernel of the region enumerator.

An affine form ``g . x + g0`` over ``n`` inputs is stored as a tuple of ``n + 1`` Python
ints together with a positive integer denominator shared by a whole layer. Positive
scaling never changes a sign, so the enumerator decides signs on integers and turns a
number back into a Fraction only when it writes evidence.  This is the scaled form of
:class:`~exactrelu.model.affine.AffineMap` (the model's one exact encoding of an affine map);
:meth:`~exactrelu.model.affine.AffineMap.from_scaled` converts rows and their denominator.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> net = mlp(2, [([["1/2", 1], [0, "-1/3"]], [0, "1/6"]), ([[1, 1]], [0])])
>>> k = IntNet(net)
>>> forms, D = k.layer_forms(1, [(tuple(identity_forms(2)), 1)])
>>> forms, D
([(3, 6, 0), (0, -2, 1)], 6)
"""

from __future__ import annotations

import math
from functools import reduce
from typing import Sequence

import numpy as np

from .network import Network

__all__ = ["IntNet", "identity_forms", "primitive", "lcm"]

Form = tuple[int, ...]

_BOUND = 1 << 62  # int64 sums are used only where every number provably stays below this
_FBOUND = 1 << 53  # float64 sums of integers: exact while every partial sum stays below this
_NONE, _FLOAT, _INT, _PY = range(4)  # how masked_layer_forms computes a layer (see _masked_entry)


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
        self._masked: dict = {}  # id(forms) -> masked_layer_forms data (see _masked_entry)
        self._tails: dict = {}  # (layer, product denominator) -> see _tail
        self._maxw: dict = {}  # layer -> (max |weight|, int64 weights, float64 weights)
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
        # _feeds[k]: the forms of layer k go on to masked_layer_forms(k + 1) (k is a ReLU
        # layer and the only source of layer k + 1)
        self._feeds = [False] * (len(self.layers) + 1)
        for k in range(1, len(self.layers)):
            srcs = self.layers[k][0]
            self._feeds[k] = self.layers[k - 1][3] and len(srcs) == 1 and srcs[0][0] == k

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
            s, _, E = srcs[0]
            forms, D = outs[s]
            arrays = self._int64_arrays(k, forms)
            if arrays is not None:
                W64, H64, bound, _ = arrays
                return self._int64_tail(k, W64 @ H64, bound, E * D)
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
        cb = L // Eb
        if cb == 1:
            for j, b in enumerate(bint):
                vals[j * n1 + n1 - 1] += b
        else:
            for j, b in enumerate(bint):
                vals[j * n1 + n1 - 1] += b * cb
        g = math.gcd(L, *vals)
        if g > 1:
            vals = [v // g for v in vals]
            L //= g
        return list(zip(*[iter(vals)] * n1)), L

    def _tail(self, k: int, ED: int) -> tuple:
        """``(L, f, B, Bf, bmax)`` for layer ``k`` after a single-source product with
        denominator ``ED`` (cached): the common denominator ``L = lcm(Eb, ED)``, the factor
        ``f = L / ED`` on the product, the bias numerators over ``L`` as an int64 column
        ``B`` (None unless they are below ``2**62``) and as the last column of an otherwise
        zero float64 ``width x (n + 1)`` array ``Bf`` (None unless below ``2**53``), and
        their largest absolute value ``bmax``."""
        key = (k, ED)
        t = self._tails.get(key)
        if t is None:
            _, bint, Eb, _ = self.layers[k - 1]
            L = lcm(Eb, ED)
            cb = L // Eb
            bmax = max((abs(b) for b in bint), default=0) * cb
            B64 = Bf = None
            if bmax < _BOUND:
                B64 = np.array([b * cb for b in bint], dtype=np.int64)
                if bmax < _FBOUND:
                    Bf = np.zeros((len(bint), self.n + 1))
                    Bf[:, -1] = B64
            t = (L, L // ED, B64, Bf, bmax)
            if len(self._tails) >= 1024:
                self._tails.clear()
            self._tails[key] = t
        return t

    def _int64_tail(self, k: int, P: np.ndarray, bound: int, ED: int) -> tuple[list[Form], int]:
        """The forms of layer ``k`` from ``P``, the int64 product (a fresh array, changed in
        place) of its single source's integer weights and forms (denominator ``ED``), every
        entry of which is at most ``bound`` in absolute value.

        Scaling, bias and gcd stay in int64 when ``bound * f + max |bias| < 2**62`` proves
        that they fit; otherwise the Python-int tail :meth:`_scaled_with_bias` does them."""
        L, f, B64, _, bmax = self._tail(k, ED)
        if B64 is None or bound * f + bmax >= _BOUND:
            return self._scaled_with_bias(k, P.ravel().tolist(), ED)
        if f != 1:
            P *= f
        P[:, -1] += B64
        return self._finish(k, P, L)

    def _finish(self, k: int, P: np.ndarray, L: int) -> tuple[list[Form], int]:
        """Layer ``k``'s forms from their int64 numerators ``P`` (one row per unit, a fresh
        array whose entries are below ``2**62``) over ``L``: divide out the gcd of ``L`` and
        all of ``P`` and split into tuples. When these forms feed
        :meth:`masked_layer_forms` for layer ``k + 1``, its data for them is made now from
        ``P`` (no conversion back from Python ints)."""
        vals = P.ravel().tolist()
        g = math.gcd(L, *vals)
        if g > 1:
            if g < 1 << 62:  # (g >= 2**62 only if every entry is 0: then g == L, beyond int64)
                P //= g
            L //= g
            vals = P.ravel().tolist()
        it = iter(vals)
        forms = list(zip(*[it] * P.shape[1]))  # the rows, as tuples
        if self._feeds[k]:
            self._masked_entry(k + 1, forms, L, P)
        return forms, L

    def masked_layer_forms(self, k: int, forms: Sequence[Form], D: int,
                           mask: np.ndarray) -> tuple[tuple, tuple[list[Form], int]] | None:
        """Fast path of :meth:`layer_forms` for a layer whose only source is the previous
        ReLU layer: ``forms`` are that layer's pre-activation forms (denominator ``D``) and
        ``mask`` (a numpy bool array) says which units are active.

        Returns ``(masked output forms, (forms, L))`` -- exactly what ``layer_forms`` gives
        for the masked outputs -- or None when the fast path does not apply (several
        sources, or numbers too large for int64 without risk of overflow; then the caller
        uses :meth:`layer_forms`).

        Exactness: with ``bound = max |W| * max |forms| * len(forms)`` (checked once per
        ``forms``, see :meth:`_masked_entry`) every partial sum of the product is at most
        ``bound``, and every number after the scaling by ``f`` and the bias at most
        ``bound * f + max |bias|``. Below ``2**53`` the product and the bias are summed in
        float64, where every such integer and every partial sum is exact whatever the
        order of summation; below ``2**62`` in int64; otherwise the product is taken in
        int64 (when ``bound < 2**62``) and the rest is done with Python ints."""
        entry = self._masked.get(id(forms))
        if entry is None or entry[0] is not forms or entry[1] != k or entry[2] != D:
            srcs = self.layers[k - 1][0]
            if len(srcs) != 1 or srcs[0][0] != k - 1:
                return None
            entry = self._masked_entry(k, forms, D)
        _, _, _, mode, W, H, L, f, B = entry
        if mode == _NONE:
            return None
        out = tuple([h if m else None for h, m in zip(forms, mask.tolist())])
        P = W @ (H * mask).T  # row i: sum of W[i, j] * forms[j] over active j (H is transposed)
        if mode == _FLOAT:
            if f != 1:
                P *= f
            P += B
            P = P.astype(np.int64)
        elif mode == _INT:
            if f != 1:
                P *= f
            P[:, -1] += B
        else:  # _PY; the product's denominator is L / f
            return out, self._scaled_with_bias(k, P.ravel().tolist(), L // f)
        return out, self._finish(k, P, L)

    def _masked_entry(self, k: int, forms: Sequence[Form], D: int, H64: np.ndarray | None = None) -> tuple:
        """Make and cache the data of :meth:`masked_layer_forms` for ``forms`` (denominator
        ``D``) feeding layer ``k``: ``(forms, k, D, mode, W, H, L, f, B)`` with ``L``, ``f``
        from :meth:`_tail` and, by mode, ``W``, ``H`` and the bias ``B`` as float64
        (``_FLOAT``), int64 (``_INT``), or only ``W``, ``H`` as int64 (``_PY``: Python ints
        after the product), or nothing (``_NONE``). ``H64``, if given, is ``forms`` as an
        int64 array with entries below ``2**62``."""
        maxW, W64, Wf = self._maxw.get(k) or self._int64_weights(k)
        if H64 is not None and W64 is not None:
            maxH = int(np.maximum.reduce(np.abs(H64), axis=None, initial=0))
            bound = maxW * maxH * max(len(forms), 1)
            arrays = (W64, H64, bound, maxH) if bound < _BOUND else None
        else:
            arrays = self._int64_arrays(k, forms)
        if arrays is None:
            entry = (forms, k, D, _NONE, None, None, 1, 1, None)
        else:
            W64, H64, bound, maxH = arrays
            ED = self.layers[k - 1][0][0][2] * D
            L, f, B64, Bf, bmax = self._tails.get((k, ED)) or self._tail(k, ED)
            top = bound * f + bmax
            if top < _FBOUND and Wf is not None and maxH < _FBOUND and Bf is not None:
                entry = (forms, k, D, _FLOAT, Wf, H64.T.astype(np.float64, order="C"), L, f, Bf)
            elif B64 is not None and top < _BOUND:
                entry = (forms, k, D, _INT, W64, np.ascontiguousarray(H64.T), L, f, B64)
            else:
                entry = (forms, k, D, _PY, W64, np.ascontiguousarray(H64.T), L, f, None)
        masked = self._masked
        masked[id(forms)] = entry
        while len(masked) > 64:
            del masked[next(iter(masked))]
        return entry

    def float_rows(self, forms: Sequence[Form]) -> "np.ndarray | None":
        """``forms`` as a float64 array (one row per form, each entry the double nearest to
        the integer), when :meth:`masked_layer_forms` already holds them as an int64 or
        float64 array (no conversion from Python ints); else None. For float proposals."""
        entry = self._masked.get(id(forms))
        if entry is None or entry[0] is not forms or entry[5] is None:
            return None
        H = entry[5]  # (n + 1) x len(forms)
        return H.T.astype(np.float64)

    def _int64_arrays(self, k: int, forms: Sequence[Form | None]) -> tuple | None:
        """``(W, H, bound, max |H|)``: the integer weights of layer ``k`` (one source) and
        ``forms`` (None as a zero row) as int64 arrays, a bound on every partial sum of
        ``W @ H`` and the largest absolute entry of ``H``; None unless that bound,
        ``max |W| * max |H| * len(forms)``, is below ``2**62``. Forms whose first live row
        already breaks the bound are not converted at all."""
        maxW, W64, _ = self._int64_weights(k)
        if W64 is None:
            return None
        w = len(forms)
        scale = maxW * max(w, 1)
        for h in forms:
            if h is not None:
                if scale * max(map(abs, h), default=0) >= _BOUND:
                    return None
                break
        zero = (0,) * (self.n + 1)
        try:
            H64 = np.array([zero if h is None else h for h in forms], dtype=np.int64).reshape(w, self.n + 1)
        except OverflowError:
            return None
        maxH = max(int(H64.max(initial=0)), -int(H64.min(initial=0)))
        bound = maxW * maxH * max(w, 1)
        if bound >= _BOUND:
            return None
        return W64, H64, bound, maxH

    def _int64_weights(self, k: int) -> tuple:
        """``(max |W|, W as int64, W as float64)`` for the weights of layer ``k`` (which has
        one source), cached; the int64 array is None unless ``max |W| < 2**62``, the
        float64 one unless ``max |W| < 2**53``."""
        entry = self._maxw.get(k)
        if entry is None:
            Wint = self.layers[k - 1][0][0][1]
            maxW = max((abs(v) for row in Wint for v in row), default=0)
            shape = (len(Wint), len(Wint[0]) if Wint else 0)
            W64 = np.array(Wint, dtype=np.int64).reshape(shape) if maxW < _BOUND else None
            Wf = W64.astype(np.float64) if maxW < _FBOUND else None
            entry = self._maxw[k] = (maxW, W64, Wf)
        return entry

    def _fmpz(self, k: int, idx: int, Wint):
        key = (k, idx)
        m = self._mats.get(key)
        if m is None:
            import flint

            m = flint.fmpz_mat(len(Wint), len(Wint[0]) if Wint else 0, [v for row in Wint for v in row])
            self._mats[key] = m
        return m
