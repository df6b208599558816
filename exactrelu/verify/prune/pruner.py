"""The :class:`Pruner`: a ``prune`` hook of the region walk (float proposal, exact confirmation)."""

from __future__ import annotations

import math
import time
from fractions import Fraction
from functools import partial
from typing import Any, Callable

from ...model.network import Network
from ...regions.walk import UnitSplit
from ...scale.stats import PrunerStats
from .evidence import box_evidence, domain_box_evidence, farkas_vector, motzkin_positive, relu_entries
from .exactnet import IntNetwork, cell_rows, reduce_form
from .proposal import Proposal, Proposer
from .relaxation import ExactRelaxation, LeafView
from ...numbers.rationals import format_multipliers

__all__ = ["Pruner", "ObjectMemo", "OUTS_MEMO"]

OUTS_MEMO = 256  # conversions of shared forms kept per pruner (see ObjectMemo)


class ObjectMemo:
    """Values computed once per ``(tag, object)``, the object compared by identity; the last
    ``size`` are kept. Holding the object keeps its ``id`` from being reused.

    >>> memo, key = ObjectMemo(2), [1, 2]
    >>> memo.get("sum", key, lambda: sum(key)), memo.get("sum", key, lambda: -1)
    (3, 3)
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._d: dict = {}

    def get(self, tag: str, obj: Any, make: Callable[[], Any]) -> Any:
        """The value for ``(tag, obj)``, made by ``make()`` on first use."""
        k = (tag, id(obj))
        got = self._d.get(k)
        if got is None or got[0] is not obj:
            if len(self._d) >= self.size:
                del self._d[next(iter(self._d))]
            got = self._d[k] = (obj, make())
        return got[1]


class Pruner:
    """A ``prune`` hook for :func:`exactrelu.regions.walk.iter_regions` (see :mod:`exactrelu.verify.prune`).

    Parameters
    ----------
    net : the network (over the property's free inputs)
    disjuncts : ``[(k, Disjunct), ...]`` the disjuncts of this input region
    region : the input region (a Polytope)
    use_bases : bound the relaxed units' pre-activations over the cell (the value at the
        minimising vertex, certified by its basis of cell rows) where possible, else over the
        cell's bounding box
    backward : bound the pre-activations of later layers by backward propagation through the
        relaxation (DeepPoly-style; tighter, costlier to check) instead of forward forms
    unit_choice : when a cell cannot be pruned, name the unit to split on (a BaBSR-style score)

    ``stats`` (a :class:`~exactrelu.scale.stats.PrunerStats`) counts attempts, proposals,
    confirmed prunes and seconds spent.
    """

    def __init__(self, net: Network, disjuncts: list, region: Any, use_bases: bool = True,
                 backward: bool = True, unit_choice: bool = True) -> None:
        import numpy as np

        self.net = net
        self.int_net = IntNetwork(net)
        self.n = net.n_inputs
        self.backward = backward
        self.disjuncts = []  # (k, [(a, c, b, strict) exact], [(a, c, b) float])
        for k, dj in disjuncts:
            cons = [(tuple(c.a), tuple(c.c), c.b, c.strict) for c in dj.constraints]
            fl = [(np.array([float(v) for v in c.a]), np.array([float(v) for v in c.c]), float(c.b))
                  for c in dj.constraints]
            self.disjuncts.append((k, cons, fl))
        self.region = region
        self.unit_choice = unit_choice
        self._memo = ObjectMemo(OUTS_MEMO)  # conversions of a subtree's shared forms
        self.proposer = Proposer(net, self.disjuncts, self._float_forms, use_bases, backward)
        self._dombox: tuple | bool | None = None  # see _domain_box (False: the domain has none)
        self.stats = PrunerStats()

    def __call__(self, cv: Any) -> Any:
        """Evidence that the cell of ``cv`` meets no disjunct, a :class:`UnitSplit`, or None."""
        if not self.disjuncts or any(not cons for _, cons, _ in self.disjuncts):
            return None  # a disjunct without output constraints cannot be refuted by bounds
        t0 = time.perf_counter()
        self.stats.attempts += 1
        try:
            prop = self.proposer.propose(cv)
            if prop is None:
                hint = self.proposer.hint
                if hint is not None and self.unit_choice:
                    self.stats.unit_choices += 1
                    return UnitSplit(hint)
                return None
            self.stats.proposed += 1
            t1 = time.perf_counter()
            ev = self._confirm(cv, prop)
            self.stats.exact_seconds += time.perf_counter() - t1
            if ev is None:
                self.stats.failed_exact += 1
            else:
                self.stats.pruned += 1
            return ev
        finally:
            self.stats.seconds += time.perf_counter() - t0

    # ------------------------------------------------------------------ memoised forms
    def _float_forms(self, key: Any, forms: Any, D: int) -> Any:
        """Float64 array of exact integer forms ``f / D`` (``None``: the zero form), computed
        once per ``key`` object (a layer of ``cv.outs`` or ``cv.forms``: shared by a subtree)."""
        import numpy as np

        n1 = self.n + 1
        return self._memo.get("float", key, lambda: np.array(
            [[v / D for v in f] if f is not None else [0.0] * n1 for f in forms], dtype=float))

    def _exact_outs(self, cv: Any) -> list:
        """Memo entries ``[reduced forms, (fmpz matrix, den) or None]``, one per exact layer
        output in ``cv.outs`` (the cells of a subtree share these layer objects)."""
        return [self._memo.get("outs", lay, partial(self._layer_entry, lay)) for lay in cv.outs]

    def _layer_entry(self, lay: tuple) -> list:
        forms, D = lay
        zero = self.int_net.zero
        return [[reduce_form(f, D) if f is not None else zero for f in forms], None]

    def _exact_pre(self, cv: Any) -> list:
        """Memo entry ``[reduced forms, (ints, den) or None, fmpz matrix or None,
        {columns: fmpz rows}]`` of layer k's pre-activations (shared by a subtree's cells)."""
        return self._memo.get("pre", cv.forms, lambda: [[reduce_form(f, cv.D) for f in cv.forms], None, None, {}])

    # ------------------------------------------------------------------ exact confirmation
    def _domain_box(self, cell: Any) -> tuple | None:
        """``(box, box_farkas, rows used)`` of evidence bounding every input by a domain row
        that bounds it alone, or None. Made once; the rows it uses are compared on every call."""
        got = self._dombox
        if got is None:
            got = domain_box_evidence(cell, cell_rows(cell), len(self.region.A))
            self._dombox = False if got is None else got
        if got is None or got is False or any(r >= len(cell.rows) or cell.rows[r] != row for r, row in got[2]):
            return None
        return got

    def _confirm(self, cv: Any, prop: Proposal) -> dict | None:
        """The evidence for the proposal ``prop``, every part checked exactly, or None."""
        cell = cv.cell
        params = prop.params
        rows = cell_rows(cell)
        # no unit bounded over the box: the domain's own box (one-row proofs, made once) will do
        dom = None if any(bl == -1 or bu == -1 for _, _, _, bl, bu in params.values()) else self._domain_box(cell)
        try:
            got = box_evidence(cell, rows, prop.lo_m, prop.hi_m, prop.box_idx) if dom is None else dom[:2]
            if got is None:
                return None
            ev: dict[str, Any] = {"box": got[0], "box_farkas": got[1], "relu": relu_entries(params), "disjuncts": []}
            if prop.bases:
                ev["bases"] = [list(b) for b in prop.bases]
            leaf = LeafView(cv, self.int_net, rows, self._exact_outs(cv), self._exact_pre(cv))
            rel = ExactRelaxation(self.int_net, leaf, cv.layer, params, prop.bases)
            if not rel.params_match() or not rel.forward_ok(prop.lo_m, prop.hi_m, self.backward):
                return None
            if self.backward:
                ev["bounds"] = "backward"
            if not self._disjunct_proofs(cell, rows, rel, prop.chosen, ev):
                return None
        except ValueError:
            return None
        return ev

    def _disjunct_proofs(self, cell: Any, rows: list, rel: ExactRelaxation, chosen: list, ev: dict) -> bool:
        """Rule ``prune-farkas``: per disjunct a Motzkin vector over the cell rows and its
        relaxed constraint (appended to ``ev["disjuncts"]``), checked; False if one fails."""
        nr = len(rows)
        by_k = {k: cons for k, cons, _ in self.disjuncts}
        for k, j, idx in chosen:
            cons = by_k[k]
            a, c, b, _ = cons[j]
            v, d = constraint_form(rel, a, c, b)
            y = farkas_vector(cell, v, idx)
            if y is None:
                return False
            mult = list(cell.exact_multipliers(y, d)) + [(nr + j, 1, 1)]
            extra = [(v, d) if t == j else rel.net.zero for t in range(len(cons))]
            strict = frozenset(nr + t for t, con in enumerate(cons) if con[3])
            if not motzkin_positive(rows + extra, tuple(mult), strict):
                return False
            ev["disjuncts"].append({"disjunct": k, "farkas": format_multipliers(mult)})
        return True


def constraint_form(rel: ExactRelaxation, a: tuple, c: tuple, b: Fraction) -> tuple[tuple[int, ...], int]:
    """The relaxed constraint row ``a.x + G_c(x) - b`` (``G_c <= c.y`` on the cell) as a form."""
    n1 = rel.n1
    gv, gd = rel.objective_lower(list(c))
    extra = [Fraction(x) for x in a] + [-Fraction(b)]
    D = math.lcm(gd, *[x.denominator for x in extra])
    return tuple(gv[t] * (D // gd) + int(extra[t] * D) for t in range(n1)), D
