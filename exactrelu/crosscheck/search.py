"""The search of a cross-check run: float candidates next to exact anchors, their exact and
float evaluation, and the flips found (:class:`Search`, :func:`run_search`).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Iterator, Sequence

import numpy as np

from ..errors import ModelError
from .results import Flip
from .exact import (Anchor, Membership, SearchContext, argbest, dyadic, exact_relu_pre, fmpq_column, int_form,
                    rows_to_forms, to_fmpq)
from .anchors import AnchorSources

__all__ = ["LADDER", "Search", "run_search", "split_budget"]


LADDER = tuple(sorted({int(round(1.5 ** k)) for k in range(0, 40)} | {2 ** k for k in range(21)}))


LADDER = tuple(k for k in LADDER if 1 <= k <= 2 ** 20)


class Search(AnchorSources):
    """The state of one cross-check run: exact twins of float inputs, decisions, flips found."""

    def __init__(self, net, free_net, ctxs, backend, prop, decision, rng, per_anchor, max_kept, report,
                 deadline) -> None:
        self.net = net
        self.free_net = free_net
        self.ctxs = ctxs
        self.backend = backend
        self.dtype = backend.dtype
        self.prop = prop
        self.decision = decision
        self.rng = rng
        self.per_anchor = per_anchor
        self.max_kept = max_kept
        self.report = report
        self.deadline = deadline
        self.seen: set[bytes] = set()
        self.free = report.free_inputs
        self.fixed = report.fixed_inputs
        self.n_full = net.n_inputs
        self.fixed_f = {i: self.dtype.type(float(v)) for i, v in self.fixed.items()}
        units = []
        for k, layer in enumerate(net.layers, start=1):
            if layer.activation.value == "relu":
                units.extend((k, j) for j in range(layer.width))
        self.units = units
        self.sign = -1 if decision == "argmin" else 1
        self._rinfo: dict = {}
        if prop is not None:
            import flint

            self.disj_member = [Membership(d.input_region) for d in prop.disjuncts]
            atoms = [(k, a) for k, d in enumerate(prop.disjuncts) for a in d.constraints]
            self.atom_disj = [k for k, _ in atoms]
            m, nf = net.n_outputs, free_net.n_inputs
            self.K = flint.fmpq_mat(len(atoms), m, [to_fmpq(v) for _, a in atoms for v in a.c])
            self.AB = flint.fmpq_mat(len(atoms), nf + 1, [to_fmpq(v) for _, a in atoms for v in tuple(a.a) + (-a.b,)])

    # ---- time ---------------------------------------------------------------------
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # ---- helpers --------------------------------------------------------------------
    def exact(self, xf: np.ndarray) -> tuple[Fraction, ...]:
        return tuple(Fraction(v) for v in xf.astype(np.float64).tolist())

    def contains(self, ctx: SearchContext, xf: np.ndarray) -> bool:
        if not np.all(np.isfinite(xf)):
            return False
        x64 = xf.astype(np.float64)
        if np.any(x64 < ctx.lo - 1e-9 * (1 + np.abs(ctx.lo))) or np.any(x64 > ctx.hi + 1e-9 * (1 + np.abs(ctx.hi))):
            return False  # clearly outside (float proposal); the exact check decides the rest
        return ctx.member(self.exact(xf))

    def random_point(self, ctx: SearchContext, tries: int = 200) -> np.ndarray | None:
        for _ in range(tries):
            u = ctx.lo + self.rng.random(len(ctx.lo)) * (ctx.hi - ctx.lo)
            xf = u.astype(self.dtype)
            if self.contains(ctx, xf):
                return xf
        return None

    def pick_ctx(self) -> SearchContext:
        if len(self.ctxs) == 1:
            return self.ctxs[0]
        w = np.array([max(c.volume, 1e-300) for c in self.ctxs])
        return self.ctxs[int(self.rng.choice(len(self.ctxs), p=w / w.sum()))]

    # ---- decision forms ---------------------------------------------------------------
    def decision_forms(self, out, x: Sequence[Fraction]) -> list:
        """Forms (in x) whose zero set changes the decision, nearest first, at ``x``.

        ``out`` is the exact output map of x's region (flint ``m x (n+1)``).
        """
        n = len(x)
        xcol = fmpq_column(x)
        if self.prop is None:
            y = (out * xcol).entries()
            order = sorted(range(len(y)), key=lambda i: y[i], reverse=self.sign > 0)
            top = order[0]
            rows = rows_to_forms(out, [top] + order[1:3], n)
            ft = rows[0]
            forms = [(tuple(a - b for a, b in zip(ft[0], fo[0])), ft[1] - fo[1]) for fo in rows[1:]]
            return forms
        G = self.K * out + self.AB
        vals = (G * xcol).entries()
        ent = G.entries()
        inside = [m(x) for m in self.disj_member]
        scored = []
        for r, k in enumerate(self.atom_disj):
            if not inside[k]:
                continue
            nn = sum(abs(float(ent[r * (n + 1) + t])) for t in range(n))
            if nn:
                scored.append((abs(float(vals[r])) / nn, r))
        scored.sort()
        return rows_to_forms(G, [r for _, r in scored], n)

    def region_info(self, region) -> dict:
        import flint

        key = id(region)
        info = self._rinfo.get(key)
        if info is None:
            C, d = region.affine_map
            n = len(C[0])
            M = flint.fmpq_mat(len(d), n + 1, [to_fmpq(v) for row, di in zip(C, d) for v in tuple(row) + (di,)])
            info = {"C": M, "cols": {}}
            if self.prop is not None:
                info["G"] = self.K * M + self.AB
            self._rinfo[key] = info
        return info

    def _cached_col(self, info: dict, x):
        c = info["cols"].get(x)
        if c is None:
            c = info["cols"][x] = fmpq_column(x)
        return c

    # ---- candidates ----------------------------------------------------------------
    def candidates(self, anchor: Anchor) -> list[np.ndarray]:
        """Float-representable inputs next to ``anchor``, best first, inside the domain."""
        if anchor.raw:
            return [np.array([float(v) for v in anchor.point]).astype(self.dtype)]
        ctx = self.ctx_of(anchor.point)
        if ctx is None:
            return []
        pool, ladder = self._proposals(anchor, ctx)
        ranked, uniq = self._ranked(pool, anchor.forms)
        far = [x for x in ladder if x.tobytes() not in uniq]
        self.rng.shuffle(far)
        return self._pick(ctx, ranked, far)

    def _proposals(self, anchor: Anchor, ctx: SearchContext) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Float inputs near the anchor: the rounded anchor, a few ulps of jitter, slides along its
        hyperplane; and the ladder of steps along the normal on both sides."""
        dt = self.dtype
        rng = self.rng
        p64 = np.array([float(v) for v in anchor.point])
        n = len(p64)
        base = p64.astype(dt)
        floor = (ctx.hi - ctx.lo) * 2.0 ** -12
        step = np.spacing(np.maximum(np.abs(base).astype(dt), floor.astype(dt))).astype(np.float64)
        forms = anchor.forms
        if forms:
            big = max((abs(v) for v in forms[0][0]), default=0) or 1  # a direction: scaled exactly into [-1, 1]
            normal = np.array([float(v / big) for v in forms[0][0]])
        elif anchor.direction is not None:
            normal = anchor.direction.astype(np.float64)
        else:
            normal = rng.standard_normal(n)
        if not np.any(normal):
            normal = rng.standard_normal(n)
        dirn = normal / np.max(np.abs(normal))
        pool: list[np.ndarray] = [base]
        ladder: list[np.ndarray] = []
        for s in (1.0, -1.0):
            for k in LADDER:
                ladder.append((base + s * k * step * dirn).astype(dt))
        for _ in range(24):
            r = rng.integers(-2, 3, size=n).astype(np.float64)
            pool.append((base + r * step).astype(dt))
        if forms and n > 1:
            for _ in range(16):
                t = rng.standard_normal(n)
                t -= normal * (t @ normal) / (normal @ normal)
                m = np.max(np.abs(t) / step)
                if m == 0:
                    continue
                t *= 10.0 ** rng.uniform(0, 4) / m
                pool.append((p64 + t).astype(dt))
        if anchor.direction is not None and not forms:
            pool.extend(ladder[: len(ladder) // 2][:8])
        return pool, ladder

    def _ranked(self, pool: list[np.ndarray], forms: list) -> tuple[list[list], dict[bytes, np.ndarray]]:
        """The distinct finite proposals ranked exactly by their distance to the anchor's
        hyperplanes, as lists ``[on the first hyperplane, on its positive side, on its negative
        side]`` (closest first, random ties), and the distinct proposals by their bytes."""
        rng = self.rng
        iforms = [int_form(f) for f in forms]
        scored_pos, scored_neg, zeros = [], [], []
        uniq: dict[bytes, np.ndarray] = {}
        for xf in pool:
            uniq.setdefault(xf.tobytes(), xf)
        for xf in uniq.values():
            if not np.all(np.isfinite(xf)):
                continue
            if not iforms:
                scored_pos.append((0.0, float(rng.random()), xf))
                continue
            N, E = dyadic(xf)
            g0 = None
            score = math.inf
            for W, c, nn in iforms:
                g = c << E
                for wi, xi in zip(W, N):
                    if wi and xi:
                        g += wi * xi
                if g0 is None:
                    g0 = g
                score = min(score, math.ldexp(abs(g) / nn, -E))
            tie = float(rng.random())
            if g0 == 0:
                zeros.append((score, tie, xf))
            elif g0 > 0:
                scored_pos.append((score, tie, xf))
            else:
                scored_neg.append((score, tie, xf))
        for lst in (scored_pos, scored_neg, zeros):
            lst.sort(key=lambda t: (t[0], t[1]))
        return [[t[2] for t in zeros], [t[2] for t in scored_pos], [t[2] for t in scored_neg]], uniq

    def _pick(self, ctx: SearchContext, ranked: list[list], far: list[np.ndarray]) -> list[np.ndarray]:
        """Up to ``per_anchor`` new inputs inside the domain, round-robin: on the hyperplane, +, -, +,
        -, far, ..."""
        out: list[np.ndarray] = []
        picked: set[bytes] = set()
        its = [iter(lst) for lst in ranked]
        far_it = iter(far)
        order = [0, 1, 2, 1, 2, 3, 1, 2]
        idx = 0
        stalls = 0
        while len(out) < self.per_anchor and stalls < len(order):
            which = order[idx % len(order)]
            idx += 1
            it = far_it if which == 3 else its[which]
            got = None
            for xf in it:
                kb = xf.tobytes()
                if kb in picked or kb in self.seen:
                    continue
                if self.contains(ctx, xf):
                    got = xf
                    break
            if got is None:
                stalls += 1
                continue
            stalls = 0
            picked.add(got.tobytes())
            out.append(got)
        return out

    def ctx_of(self, point) -> SearchContext | None:
        for c in self.ctxs:
            if c.member(point):
                return c
        return None

    # ---- evaluation -------------------------------------------------------------------
    def full(self, xf: np.ndarray) -> np.ndarray:
        if not self.fixed:
            return xf
        out = np.empty(self.n_full, dtype=self.dtype)
        it = iter(xf.tolist())
        for i in range(self.n_full):
            out[i] = self.fixed_f[i] if i in self.fixed_f else next(it)
        return out

    def decide(self, u: Sequence[Fraction], y: Sequence[Fraction], inside=None):
        if self.prop is None:
            return argbest(y, self.sign)
        truths = []
        verdict = False
        if inside is None:
            inside = [m(u) for m in self.disj_member]
        for di_, disj in enumerate(self.prop.disjuncts):
            if not inside[di_]:
                continue
            ok = True
            for atom in disj.constraints:
                h = atom.holds(u, y)
                truths.append(h)
                ok = ok and h
            verdict = verdict or ok
        return tuple(truths), verdict

    def evaluate(self, batch: list[tuple[np.ndarray, str]]) -> None:
        from ..model.evaluation import evaluate_batch

        if not batch:
            return
        rep = self.report
        fulls = [self.full(xf) for xf, _ in batch]
        xs = [self.exact(xf) for xf in fulls]
        ys, pats = evaluate_batch(self.net, xs, return_patterns=True)
        for (xf, strat), xfull, x, y, pat in zip(batch, fulls, xs, ys, pats):
            st = rep.strategies[strat]
            st.tried += 1
            rep.points_tried += 1
            yf, pre = self.backend.run(xfull)
            yf = np.asarray(yf).reshape(-1)
            if yf.shape[0] != len(y):
                raise ModelError(f"backend {self.backend.name} returned {yf.shape[0]} outputs, "
                                     f"the network has {len(y)}")
            if not np.all(np.isfinite(yf)):
                rep.n_nonfinite += 1
                continue
            yq = tuple(Fraction(v) for v in yf.astype(np.float64).tolist())
            err = max(abs(a - b) for a, b in zip(y, yq))
            rel = None
            for a, b in zip(y, yq):
                if a:
                    r = abs(a - b) / abs(a)
                    rel = r if rel is None or r > rel else rel
            fpat = None
            if pre is not None and self.backend.has_patterns:
                fpat = "".join("1" if v > 0 else "0" for v in np.asarray(pre).reshape(-1).tolist())
            u = tuple(x[i] for i in self.free) if self.fixed else x
            inside = None if self.prop is None else [m(u) for m in self.disj_member]
            de, df = self.decide(u, y, inside), self.decide(u, yq, inside)

            def record(kind: str) -> Flip:
                return Flip(kind, strat, x, y, yq, err, pat, fpat, de, df)

            if err > rep.max_abs_error or rep.max_abs_error_at is None:
                rep.max_abs_error = err
                rep.max_abs_error_at = record("max_abs_error")
            if rel is not None and (rep.max_rel_error is None or rel > rep.max_rel_error):
                rep.max_rel_error = rel
                rep.max_rel_error_at = record("max_rel_error")
            flipped = False
            if fpat is not None and fpat != pat:
                flipped = True
                st.pattern_flips += 1
                rep.n_pattern_flips += 1
                if len(rep.pattern_flips) < self.max_kept:
                    f = record("pattern")
                    f.units = self.flipped_units(x, pat, fpat, pre)
                    rep.pattern_flips.append(f)
            if de != df:
                flipped = True
                st.decision_flips += 1
                rep.n_decision_flips += 1
                if self.prop is not None and de[1] != df[1]:
                    st.verdict_flips += 1
                    rep.n_verdict_flips += 1
                if len(rep.decision_flips) < self.max_kept:
                    rep.decision_flips.append(record("decision"))
            if flipped:
                st.points_with_flips += 1

    def flipped_units(self, x, pat: str, fpat: str, pre) -> list:
        relu_pres = exact_relu_pre(self.net, x)
        pre = np.asarray(pre).reshape(-1)
        out = []
        for u, (a, b) in enumerate(zip(pat, fpat)):
            if a != b:
                k, j = self.units[u]
                out.append((u, k, j, relu_pres[u], float(pre[u])))
        return out


def split_budget(points: int, strategies: Sequence[str]) -> dict[str, int]:
    """``points`` split as evenly as possible between ``strategies`` (the first ones get the rest).

    Examples
    --------
    >>> split_budget(10, ["random", "ties", "facets"])
    {'random': 4, 'ties': 3, 'facets': 3}
    """
    q, r = divmod(points, len(strategies))
    return {s: q + (1 if i < r else 0) for i, s in enumerate(strategies)}


def run_search(search: Search, strategies: Sequence[str], points: int, chunk: int = 48) -> None:
    """Evaluate up to ``points`` inputs, ``chunk`` at a time per strategy, into ``search.report``.

    Each strategy gets an even share of the budget; one that runs out of anchors hands its
    share on to those still running (the search strategies before ``random``).  Stops at the
    deadline (``report.stopped_by = "time_limit"``).
    """
    report = search.report
    stats = report.strategies
    sources = {"random": search.source_random(), "vertices": search.source_vertices(),
               "facets": search.source_facets(), "ties": search.source_ties()}
    quota = split_budget(points, strategies)
    exhausted: set[str] = set()

    def hand_on(amount: int) -> None:
        """Give ``amount`` more points to the strategies still running (search ones first)."""
        live = [t for t in strategies if t not in exhausted]
        rest = [t for t in live if t != "random"] or live
        if rest and amount > 0:
            share = split_budget(amount, rest)
            for t in rest:
                quota[t] += share[t]

    while report.points_tried < points:
        if search.out_of_time():
            report.stopped_by = "time_limit"
            return
        live = [t for t in strategies if t not in exhausted]
        if not live:
            return
        runnable = [t for t in live if quota[t] > stats[t].tried]
        if not runnable:
            hand_on(points - report.points_tried)
            continue
        for s in runnable:
            want = min(chunk, quota[s] - stats[s].tried, points - report.points_tried)
            batch, done = _fill_batch(search, sources[s], s, want)
            search.evaluate(batch)
            if done:
                exhausted.add(s)
                stats[s].exhausted = True
                left = quota[s] - stats[s].tried
                quota[s] = stats[s].tried
                hand_on(left)
            if search.out_of_time():
                report.stopped_by = "time_limit"
                return


def _fill_batch(search: Search, source: Iterator[Anchor], strategy: str,
                want: int) -> tuple[list[tuple[np.ndarray, str]], bool]:
    """Up to ``want`` new float inputs next to the anchors of ``source``; the flag is true when
    the source is exhausted (no anchor left, or 200 anchors in a row gave no new input)."""
    stats = search.report.strategies[strategy]
    batch: list[tuple[np.ndarray, str]] = []
    barren = 0  # anchors in a row that gave no new input
    while len(batch) < want and not search.out_of_time():
        try:
            anchor = next(source)
        except StopIteration:
            return batch, True
        stats.anchors += 1
        before = len(batch)
        for xf in search.candidates(anchor):
            if len(batch) >= want:
                break
            key = search.full(xf).tobytes()
            if key in search.seen:
                continue
            search.seen.add(key)
            batch.append((xf, strategy))
        barren = barren + 1 if len(batch) == before else 0
        if barren >= 200:
            return batch, True
    return batch, False
