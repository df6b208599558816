"""The weight-level transformation: a deep network as ``max P - max Q`` of shallow networks.

No region enumeration: the construction reads the weights only (proofs/shallow.md, §1).

*Base units* are the ReLU units whose pre-activation is an affine function of the input
(the first hidden layer, and any ReLU unit fed by the input and identity layers only).
Every other signal ``h`` is kept as a pair of lazy term sets ``(P_h, Q_h)`` with
``h = max P_h - max Q_h``, whose terms are one-hidden-layer networks over the base units:

* a weighted sum splits by sign: ``w > 0`` adds ``w P_h`` to P and ``w Q_h`` to Q,
  ``w < 0`` adds ``|w| Q_h`` to P and ``|w| P_h`` to Q (a sum of maxima is the max of
  all sums);
* ``relu(max P - max Q) = max(P ∪ Q) - max Q``.

Signals that are shallow already (the input, base units and sums of them) stay a single
term. Skip connections enter the same sums, so a residual skip from a deep signal
multiplies the term count (and one from the input or a base unit does not).

With :func:`pattern_max` (``scheme="patterns"``): when every weight leaving a non-base
ReLU unit is non-negative, ``f = max_sigma f_sigma`` over the activation patterns of the
non-base units — a pure max of ``2^N`` shallow networks (N the non-base ReLU units).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1], [1, -1]], [0, 0]), ([[1, -1]], [0])])
>>> rep = sign_split(net)
>>> c = rep.counts(); c["terms"], c["plus_terms"], c["minus_terms"]
(4, 2, 2)
>>> [str(rep.evaluate([v])) for v in (-2, "1/3")]     # relu(|x|) - relu(x) = relu(-x)
['2', '0']
>>> weight_representation(net, scheme="auto").counts()["method"]
'weights'
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import ModelError
from ..model.network import Activation, Network
from .lazy import DEFAULT_MAX_TERMS, SignSplitForm, TermSet, TooManyTerms, count
from .representation import HiddenBasis, ShallowRepresentation, Vec

__all__ = ["sign_split", "pattern_max", "pattern_applicable", "weight_representation", "base_units"]

_ZERO = Fraction(0)


def _check_output(net: Network, output: int) -> None:
    if not isinstance(output, int) or not 0 <= output < net.n_outputs:
        raise ModelError(f"output {output!r} does not exist (the network has {net.n_outputs} outputs)")


def base_units(net: Network) -> tuple[list[list[Vec | None]], dict[tuple[int, int], Vec]]:
    """Affine forms of the signals that are affine in the input, and the base units.

    Returns ``(affine, base)``: ``affine[s][j]`` is the form ``(w, b)`` of signal ``j`` of
    source ``s`` when it is affine in ``x`` (else None); ``base[(k, j)]`` is the
    pre-activation form of ReLU unit ``j`` of layer ``k`` when that is affine with a
    non-zero linear part (a ReLU of a constant is a constant and stays affine).
    """
    n = net.n_inputs
    affine: list[list[Vec | None]] = [[tuple(Fraction(int(i == j)) for j in range(n)) + (_ZERO,) for i in range(n)]]
    base: dict[tuple[int, int], Vec] = {}
    for k, layer in enumerate(net.layers, start=1):
        outs: list[Vec | None] = []
        for m in range(layer.width):
            acc = [_ZERO] * n + [layer.bias[m]]
            ok = True
            for s, W in layer.inputs:
                for j, w in enumerate(W[m]):
                    if not w:
                        continue
                    f = affine[s][j]
                    if f is None:
                        ok = False
                        break
                    for c, v in enumerate(f):
                        if v:
                            acc[c] += w * v
                if not ok:
                    break
            if not ok:
                outs.append(None)
            elif layer.activation is Activation.RELU:
                if any(acc[:n]):
                    base[(k, m)] = tuple(acc)
                    outs.append(None)
                else:
                    outs.append(tuple([_ZERO] * n + [max(acc[n], _ZERO)]))
            else:
                outs.append(tuple(acc))
        affine.append(outs)
    return affine, base


def _split_unit(layer, m: int, sig: list[list[tuple]], dim: int, n: int
                ) -> tuple[list[Fraction], list[tuple[Fraction, TermSet]], list[tuple[Fraction, TermSet]]]:
    """The pre-activation of unit ``m`` of ``layer`` from its input signals: its shallow
    (explicit) part, and the term sets entering with a positive weight (``pos``) and with a
    negative one (``neg``), each with the weight's absolute value."""
    shallow = [_ZERO] * dim
    shallow[n] = layer.bias[m]
    pos: list[tuple[Fraction, TermSet]] = []
    neg: list[tuple[Fraction, TermSet]] = []
    for s, W in layer.inputs:
        for j, w in enumerate(W[m]):
            if not w:
                continue
            g = sig[s][j]
            if g[0] == "vec":
                for c, v in enumerate(g[1]):
                    if v:
                        shallow[c] += w * v
                continue
            P, Q = g[1], g[2]
            a = abs(w)
            if w > 0:
                pos.append((a, P))
                if not Q.is_zero():
                    neg.append((a, Q))
            else:
                if not Q.is_zero():
                    pos.append((a, Q))
                neg.append((a, P))
    return shallow, pos, neg


def sign_split(net: Network, output: int = 0) -> SignSplitForm:
    """The sign-split representation ``f = max P - max Q`` (lazy; see the module docstring).

    Parameters
    ----------
    net : Network (plain or with skips, any DAG)
    output : which output coordinate

    Returns
    -------
    SignSplitForm
        ``counts()`` is exact without listing terms; ``materialise(max_terms)`` lists them.

    Notes
    -----
    Time and memory are linear in the number of weights (times the term length); the
    term counts are products and sums of Python ints along the DAG.
    """
    _check_output(net, output)
    n = net.n_inputs
    affine, base = base_units(net)
    order = sorted(base)
    uidx = {key: u for u, key in enumerate(order)}
    basis = HiddenBasis(n, tuple(base[key] for key in order))
    dim = basis.dim
    zero = TermSet.zero(dim)

    def embed(f: Vec) -> Vec:
        return tuple(f) + tuple([_ZERO] * basis.size)

    # a signal is ("vec", term) or ("dm", P, Q)
    sig: list[list[tuple]] = [[("vec", embed(f)) for f in affine[0]]]  # type: ignore[arg-type]
    n_dm = 0
    for k, layer in enumerate(net.layers, start=1):
        last = k == len(net.layers)
        outs: list[tuple] = []
        for m in range(layer.width):
            if last and m != output:
                outs.append(("vec", zero.terms[0]))
                continue
            if affine[k][m] is not None:
                outs.append(("vec", embed(affine[k][m])))  # type: ignore[arg-type]
                continue
            if (k, m) in uidx:
                e = [_ZERO] * dim
                e[n + 1 + uidx[(k, m)]] = Fraction(1)
                outs.append(("vec", tuple(e)))
                continue
            shallow, pos, neg = _split_unit(layer, m, sig, dim, n)
            relu = layer.activation is Activation.RELU
            if not pos and not neg:
                z = tuple(shallow)
                if relu:
                    n_dm += 1
                    outs.append(("dm", TermSet.leaf([z, zero.terms[0]]), zero))
                else:
                    outs.append(("vec", z))
                continue
            P = TermSet.sum(pos, const=tuple(shallow), dim=dim)
            Q = TermSet.sum(neg, dim=dim)
            if relu:
                n_dm += 1
                outs.append(("dm", TermSet.union([P, Q]), Q))
            else:
                outs.append(("dm", P, Q))
        sig.append(outs)
    g = sig[-1][output]
    if g[0] == "vec":
        plus, minus = TermSet.leaf([g[1]]), zero
    else:
        plus, minus = g[1], g[2]
    info = {"scheme": "sign-split", "base_units": basis.size, "deep_units": n_dm, "output": output,
            "network_relu_units": net.n_relu}
    return SignSplitForm(basis, plus, minus, "weights", info)


# ----------------------------------------------------------------------------- patterns
def pattern_applicable(net: Network, output: int = 0) -> bool:
    """True when every weight leaving a non-base ReLU unit (directly, or through identity
    layers) is ``>= 0``; then ``f = max`` over the activation patterns of those units."""
    _check_output(net, output)
    affine, base = base_units(net)
    dep: list[list[bool]] = [[False] * net.n_inputs]
    for k, layer in enumerate(net.layers, start=1):
        last = k == len(net.layers)
        outs = []
        for m in range(layer.width):
            d = False
            for s, W in layer.inputs:
                for j, w in enumerate(W[m]):
                    if w and dep[s][j]:
                        if w < 0 and not (last and m != output):
                            return False
                        d = True
            if layer.activation is Activation.RELU:
                outs.append(affine[k][m] is None and (k, m) not in base)
            else:
                outs.append(d)
        dep.append(outs)
    return True


def pattern_max(net: Network, output: int = 0, max_terms: int = DEFAULT_MAX_TERMS) -> ShallowRepresentation:
    """``f = max_sigma f_sigma`` over the patterns of the non-base ReLU units (a pure max).

    ``f_sigma`` is the network with every non-base unit ``u`` replaced by
    ``sigma_u * z_u`` (a one-hidden-layer network over the base units). Valid when
    :func:`pattern_applicable` (proofs/shallow.md, §1.4); ``2^N`` terms before merging
    duplicates, listed depth-first (shared prefixes computed once).

    Raises
    ------
    ModelError if the weights do not allow it; TooManyTerms above ``max_terms``.
    """
    if not pattern_applicable(net, output):
        raise ModelError("pattern_max needs non-negative weights on every connection out of a non-base ReLU unit")
    n = net.n_inputs
    affine, base = base_units(net)
    order = sorted(base)
    uidx = {key: u for u, key in enumerate(order)}
    basis = HiddenBasis(n, tuple(base[key] for key in order))
    dim = basis.dim
    deep = [(k, m) for k, layer in enumerate(net.layers, start=1) if layer.activation is Activation.RELU
            for m in range(layer.width) if affine[k][m] is None and (k, m) not in uidx]
    N = len(deep)
    if 2 ** N > max_terms:
        raise TooManyTerms(f"the pattern representation has 2^{N} terms, more than the limit {max_terms}; "
                           "ask for the counts only, or raise the limit")
    zero = tuple([_ZERO] * dim)

    def pre(k: int, m: int, sig: list) -> Vec:
        layer = net.layers[k - 1]
        acc = [_ZERO] * dim
        acc[n] = layer.bias[m]
        for s, W in layer.inputs:
            for j, w in enumerate(W[m]):
                if w:
                    for c, v in enumerate(sig[s][j]):
                        if v:
                            acc[c] += w * v
        return tuple(acc)

    terms: list[Vec] = []
    L = len(net.layers)

    def rec(k: int, m: int, sig: list, cur: list) -> None:
        # fill layer k from unit m on; branch at deep units
        while k <= L:
            layer = net.layers[k - 1]
            while m < layer.width:
                if k == L and m != output:
                    cur.append(zero)
                    m += 1
                    continue
                if affine[k][m] is not None:
                    cur.append(tuple(affine[k][m]) + tuple([_ZERO] * basis.size))  # type: ignore[arg-type]
                elif (k, m) in uidx:
                    e = [_ZERO] * dim
                    e[n + 1 + uidx[(k, m)]] = Fraction(1)
                    cur.append(tuple(e))
                elif layer.activation is Activation.RELU:
                    z = pre(k, m, sig)
                    rec(k, m + 1, sig, cur + [z])
                    rec(k, m + 1, sig, cur + [zero])
                    return
                else:
                    cur.append(pre(k, m, sig))
                m += 1
            sig = sig + [cur]
            cur = []
            k += 1
            m = 0
        terms.append(sig[-1][output])

    rec(1, 0, [[tuple(affine[0][i]) + tuple([_ZERO] * basis.size) for i in range(n)]], [])  # type: ignore[arg-type]
    info = {"scheme": "patterns", "base_units": basis.size, "deep_units": N, "terms_in_formula": 2 ** N,
            "output": output, "network_relu_units": net.n_relu}
    return ShallowRepresentation(basis, terms, (), "weights", info)


def weight_representation(net: Network, output: int = 0, scheme: str = "auto",
                          max_terms: int = DEFAULT_MAX_TERMS) -> Any:
    """The weight-level representation.

    ``scheme="sign-split"``: :func:`sign_split` (lazy, always available);
    ``"patterns"``: :func:`pattern_max` (explicit pure max; needs non-negative weights
    after the base units); ``"auto"``: patterns when allowed and no larger than the
    sign-split count and ``max_terms``, else sign-split.
    """
    if scheme not in ("auto", "sign-split", "patterns"):
        raise ModelError(f"scheme must be 'auto', 'sign-split' or 'patterns', got {scheme!r}")
    if scheme == "sign-split":
        return sign_split(net, output)
    if scheme == "patterns":
        return pattern_max(net, output, max_terms)
    ss = sign_split(net, output)
    if pattern_applicable(net, output):
        N = ss.info["deep_units"]
        if 2 ** N <= min(max_terms, count(ss.plus) + (count(ss.minus) if count(ss.minus) > 1 else 0)):
            return pattern_max(net, output, max_terms)
    return ss

