"""Where the search strategies look: the exact anchors of ``vertices``, ``facets`` and ``ties``
(and the random points of ``random``), as a mixin of :class:`~exactrelu.crosscheck.search.Search`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterator

import numpy as np

from .exact import Anchor, SearchContext, argbest, flint_forms, from_fmpq, project, row_form, rows_to_forms

__all__ = ["AnchorSources"]


class AnchorSources:
    """The exact anchors of the search strategies (a mixin of :class:`~exactrelu.crosscheck.search.Search`).

    Each ``source_*`` method yields :class:`~exactrelu.crosscheck.exact.Anchor` objects for one strategy."""

    # ---- anchor sources ---------------------------------------------------------------
    def source_random(self) -> Iterator[Anchor]:
        fails = 0
        while True:
            ctx = self.pick_ctx()
            xf = self.random_point(ctx)
            if xf is None:
                fails += 1
                if fails > 20:
                    return
                continue
            fails = 0
            yield Anchor(self.exact(xf), [], raw=True)

    def _regions(self) -> list:
        out = []
        for ctx in self.ctxs:
            if ctx.partition is not None:
                out.extend((ctx, r) for r in ctx.partition.regions)
        return out

    def _split_facets(self, ctx: SearchContext, region) -> list:
        """(form, vertex ids) of the region's facets that are unit hyperplanes."""
        out = []
        for r, a, b, vids in region.facets:
            if r < ctx.m_rows:
                continue
            out.append(((tuple(Fraction(v) for v in a), Fraction(-b)), vids))
        return out

    def source_vertices(self) -> Iterator[Anchor]:
        regs = self._regions()
        order = self.rng.permutation(len(regs)) if regs else []
        done: set = set()
        for k in order:
            ctx, region = regs[int(k)]
            facets = self._split_facets(ctx, region)
            verts = region.vertices
            w = region.witness
            for vid, v in enumerate(verts):
                if v in done:
                    continue
                done.add(v)
                forms = [f for f, vids in facets if vid in vids]
                direction = np.array([float(wi - vi) for wi, vi in zip(w, v)])
                yield Anchor(v, forms, direction)

    def source_facets(self) -> Iterator[Anchor]:
        return self._interleave(self._region_facet_anchors(), self._projected_unit_anchors())

    def _interleave(self, regional: Iterator[Anchor], projected: Iterator[Anchor]) -> Iterator[Anchor]:
        """Anchors from the regions, alternating with projected ones while some partition is
        incomplete; the projected ones alone once the regions are used up."""
        use_proj = not all(c.complete for c in self.ctxs)
        have_regional = True
        while True:
            if have_regional:
                try:
                    yield next(regional)
                except StopIteration:
                    have_regional = False
            if use_proj or not have_regional:
                try:
                    yield next(projected)
                except StopIteration:
                    if not have_regional:
                        return

    def _region_facet_anchors(self) -> Iterator[Anchor]:
        regs = self._regions()
        if not regs:
            return
        facets = []
        seen = set()
        for k in self.rng.permutation(len(regs)):
            ctx, region = regs[int(k)]
            verts = region.vertices
            for form, vids in self._split_facets(ctx, region):
                pts = tuple(sorted(verts[i] for i in vids))
                key = pts
                if key in seen:
                    continue
                seen.add(key)
                facets.append((form, pts))
                n = len(pts)
                centre = tuple(sum(p[t] for p in pts) / n for t in range(len(pts[0])))
                yield Anchor(centre, [form])
        if not facets:
            return
        while True:  # random points of random facets
            form, pts = facets[int(self.rng.integers(len(facets)))]
            wts = [int(v) for v in self.rng.integers(0, 9, size=len(pts))]
            if not any(wts):
                wts[0] = 1
            s = sum(wts)
            p = tuple(sum(Fraction(wt, s) * q[t] for wt, q in zip(wts, pts)) for t in range(len(pts[0])))
            yield Anchor(p, [form])

    def _local_forms(self, ctx: SearchContext):
        """A random float point of ``ctx``, its exact pattern and the region's exact forms."""
        from ..model.evaluation import evaluate_batch

        xf = self.random_point(ctx)
        if xf is None:
            return None
        x = self.exact(xf)
        _, pats = evaluate_batch(self.free_net, [x], return_patterns=True)
        pres, out = flint_forms(self.free_net, pats[0])
        return x, pres, out

    def _projected_unit_anchors(self) -> Iterator[Anchor]:
        import flint

        fails = 0
        n = self.free_net.n_inputs
        relu_layers = [k for k, layer in enumerate(self.free_net.layers) if layer.activation.value == "relu"]
        if not relu_layers:
            return
        while fails < 50:
            if self.out_of_time():
                return
            ctx = self.pick_ctx()
            got = self._local_forms(ctx)
            if got is None:
                fails += 1
                continue
            x, pres, _ = got
            xcol = flint.fmpq_mat(n + 1, 1, [flint.fmpq(v.numerator, v.denominator) for v in x] + [1])
            cands = []
            for k in relu_layers:
                M = pres[k]
                vals = (M * xcol).entries()
                ent = M.entries()
                for i in range(M.nrows()):
                    g = [float(ent[i * (n + 1) + t]) for t in range(n)]
                    nn = math.sqrt(sum(v * v for v in g))
                    if nn == 0:
                        continue
                    cands.append((abs(float(vals[i])) / nn, k, i))
            cands.sort()
            made = 0
            for _, k, i in cands[:6]:
                form = row_form(pres[k], i, n)
                p = project(x, form)
                if p is None or not ctx.member(p):
                    continue
                made += 1
                yield Anchor(p, [form])
                if made >= 3:
                    break
            fails = 0 if made else fails + 1

    def source_ties(self) -> Iterator[Anchor]:
        return self._interleave(self._region_tie_anchors(), self._projected_tie_anchors())

    def _segment_boundaries(self, region, u, v) -> list[Anchor]:
        """Exact points on segment [u, v] (inside ``region``) where the decision changes."""
        import flint

        info = self.region_info(region)
        n = len(u)
        ucol, vcol = self._cached_col(info, u), self._cached_col(info, v)
        out = []

        def point(t):
            tf = from_fmpq(t)
            return tuple(a + tf * (b - a) for a, b in zip(u, v))

        if self.prop is None:
            C = info["C"]
            yu, yv = (C * ucol).entries(), (C * vcol).entries()
            s = self.sign
            yu_s = [a if s > 0 else -a for a in yu]
            slope = [(b - a) if s > 0 else (a - b) for a, b in zip(yu, yv)]
            t = flint.fmpq(0)
            k = argbest(yu_s, 1)
            for _ in range(len(yu) + 1):
                best = None
                for l in range(len(yu)):
                    if l == k or slope[l] <= slope[k]:
                        continue
                    gap = (yu_s[k] + t * slope[k]) - (yu_s[l] + t * slope[l])
                    tl = t + gap / (slope[l] - slope[k])
                    if tl <= 1 and (best is None or tl < best[0] or (tl == best[0] and slope[l] > slope[best[1]])):
                        best = (tl, l)
                if best is None:
                    break
                t, l = best
                rk, rl = rows_to_forms(C, [k, l], n)
                form = (tuple(a - b for a, b in zip(rk[0], rl[0])), rk[1] - rl[1])
                out.append(Anchor(point(t), [form]))
                k = l
        else:
            G = info["G"]
            gu, gv = (G * ucol).entries(), (G * vcol).entries()
            for r, k in enumerate(self.atom_disj):
                a, b = gu[r], gv[r]
                if a == b or (a > 0 and b > 0) or (a < 0 and b < 0):
                    continue
                p = point(a / (a - b))
                if self.disj_member[k](p):
                    out.append(Anchor(p, rows_to_forms(G, [r], n)))
        return out

    def _region_tie_anchors(self) -> Iterator[Anchor]:
        regs = self._regions()
        if not regs:
            return
        found_any = False
        for k in self.rng.permutation(len(regs)):
            _, region = regs[int(k)]
            w = region.witness
            for v in region.vertices:
                for a in self._segment_boundaries(region, w, v):
                    found_any = True
                    yield a
        misses = 0
        while misses < 300:
            _, region = regs[int(self.rng.integers(len(regs)))]
            verts = region.vertices
            u = verts[int(self.rng.integers(len(verts)))]
            v = verts[int(self.rng.integers(len(verts)))]
            if u == v:
                v = region.witness
            got = self._segment_boundaries(region, u, v)
            if not got:
                misses += 1 if found_any else 10
                continue
            misses = 0
            found_any = True
            for a in got:
                yield a

    def _projected_tie_anchors(self) -> Iterator[Anchor]:
        fails = 0
        while fails < 50:
            if self.out_of_time():
                return
            ctx = self.pick_ctx()
            got = self._local_forms(ctx)
            if got is None:
                fails += 1
                continue
            x, _, out = got
            made = 0
            for form in self.decision_forms(out, x)[:2]:
                p = project(x, form)
                if p is None or not ctx.member(p):
                    continue
                made += 1
                yield Anchor(p, [form])
            fails = 0 if made else fails + 1
