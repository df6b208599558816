"""Exact verification of VNN-LIB properties: ``holds`` with a certificate, or ``violated``
with an exact rational counterexample.

Procedure (floats propose, exact arithmetic decides):

1. *Falsification.* Random and corner points of each input region are evaluated in
   float64; then gradient descent (:mod:`exactrelu.verify.attack`) and region descent (linear
   programs over activation regions, :mod:`exactrelu.verify.region_descent`) search for about
   ``attack_seconds``. The most promising points are re-evaluated exactly and kept only if
   they are exact counterexamples.
2. *Region walk with pruning.* The linear regions of the network over each input region
   are streamed from the certified splitting tree (:func:`walk_input_region`, one call per
   input region). Before a cell is split, :class:`exactrelu.verify.prune.Pruner` tries to
   refute every disjunct on the whole cell with a linear relaxation of its undecided units
   (proposed in float64, confirmed exactly); a refuted cell is *pruned*: not split, its
   evidence kept. On a region the outputs are affine, so each disjunct becomes a set of
   linear inequalities in ``x``; its emptiness is decided exactly (vertex minimum for one
   inequality, an exact LP otherwise) and proved by a Farkas vector, or a point of it is a
   counterexample (re-checked exactly).
3. *Verdict.* ``violated`` as soon as a counterexample is confirmed; ``holds`` when every
   cell of every input region is a region proved empty or a pruned cell; ``unknown`` when a
   limit stops the walk.

Strict input constraints (``X_0 < 1``) are constraints of their disjuncts, beside the closed
input region: a counterexample meets them strictly (the exact re-check), and a region where
only the excluded boundary reaches the unsafe set is proved empty by a Motzkin vector. A
property that fixes every input is decided by one exact evaluation at that point (its
``holds`` certificate has no partition: rule ``property-point``); one whose disjuncts are
all contradictory holds vacuously (``result.reason`` says so).

The certificate (claim ``"property"``) holds the property in exact JSON form, one
splitting tree per input region, the per-leaf Farkas vectors and, for pruned cells (open
nodes of an incomplete tree), the relaxation evidence (``proofs/rules/prune.md``).

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.vnnlib import parse_vnnlib
>>> net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])               # |x|
>>> hdr = "(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) (assert (<= X_0 1))"
>>> verify(net, parse_vnnlib(hdr + " (assert (<= Y_0 -0.1))")).verdict
'holds'
>>> res = verify(net, parse_vnnlib(hdr + " (assert (>= Y_0 0.9))"))
>>> res.verdict, res.float_confirms
('violated', True)
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..errors import ExactReluError
from ..model.evaluation import evaluate, evaluate_float
from ..regions.evidence import prove_infeasible
from ..regions.gcpause import gc_paused
from ..model.network import Network
from ..numbers.rationals import format_rational, format_vector
from ..regions.walk import Partition, Progress, TreeNode, iter_regions, stop_walk
from ..domain.vnnlib import Property
from ..outcome import StopReason, Verdict
from ..scale.stats import VerificationStats

__all__ = ["VerificationResult", "verify", "property_certificate", "EXIT_CODES", "confirm_float_point"]

EXIT_CODES = {Verdict.HOLDS: 0, Verdict.VIOLATED: 10, Verdict.UNKNOWN: 20}


@dataclass
class VerificationResult:
    """Outcome of :func:`verify`.

    ``counterexample`` is the full input (exact), ``exact_output`` the exact network output
    there, ``float_output`` the float64 output and ``float_confirms`` whether float64
    arithmetic also sees a counterexample there.
    """

    verdict: Verdict
    counterexample: tuple[Fraction, ...] | None = None
    exact_output: tuple[Fraction, ...] | None = None
    float_output: list[float] | None = None
    float_confirms: bool | None = None
    found_by: str | None = None
    partitions: list = field(default_factory=list)  # [(input index, Partition, proofs)]
    regions: int = 0
    seconds: float = 0.0
    reason: str = ""
    stats: VerificationStats = field(default_factory=VerificationStats)  # regions, nodes, pruned cells, prune attempts / seconds

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"verdict": self.verdict, "regions": self.regions, "seconds": round(self.seconds, 4)}
        if self.counterexample is not None:
            d["counterexample"] = format_vector(self.counterexample)
            d["exact_output"] = format_vector(self.exact_output)
            d["float_output"] = self.float_output
            d["float_confirms"] = self.float_confirms
            d["found_by"] = self.found_by
        if self.reason:
            d["reason"] = self.reason
        if self.stats.pruned:
            d["pruned_cells"] = self.stats.pruned
        return d


def _float_inside(prop: Property, x_full) -> tuple[Fraction, ...] | None:
    """A float64-representable point near ``x_full`` inside the same input region, or None."""
    import math

    free = prop.free_inputs
    for d in prop.disjuncts:
        region = d.input_region
        u = [x_full[i] for i in free]
        if not region.contains(u):
            continue
        c = region.interior_point
        cand = [Fraction(float(v)) for v in u]
        for _ in range(4):
            if region.contains(cand):
                return prop.full_input(cand)
            cand = [Fraction(math.nextafter(float(v), float(ci))) for v, ci in zip(cand, c)]
        return None
    return None


def _confirm(net: Network, prop: Property, x_full, how: str) -> VerificationResult | None:
    """Re-check a candidate exactly; prefer a float-representable counterexample nearby."""
    y = evaluate(net, x_full)
    if not prop.is_counterexample(x_full, y):
        return None
    xf = _float_inside(prop, x_full)
    if xf is not None and xf != tuple(x_full):
        yf = evaluate(net, xf)
        if prop.is_counterexample(xf, yf):
            x_full, y = xf, yf
    fy = evaluate_float(net, [[float(v) for v in x_full]])[0].tolist()
    float_ok = None
    if all(abs(v) < float("inf") for v in fy):
        fyq = [Fraction(v) for v in fy]
        float_ok = prop.is_counterexample(x_full, fyq)
    else:
        float_ok = False
    return VerificationResult(Verdict.VIOLATED, tuple(x_full), tuple(y), fy, float_ok, how)


def _falsify(net: Network, prop: Property, samples: int, rng: random.Random, deadline: float | None):
    """Float-guided search for counterexamples; every candidate is re-checked exactly.

    Candidates are the region's vertices, its interior point and ``samples`` random dyadic
    points of its bounding box; they are scored in float64 (vectorised) and only the few
    that float64 sees (nearly) violating the property become exact points and are re-checked.
    """
    import numpy as np

    for region_idx, region in enumerate(prop.input_regions):
        lo, hi = region.lower, region.upper
        exact_pts = [list(v) for v in region.vertices[:64]] + [list(region.interior_point)]
        ticks = [[rng.randrange(1 << 20) for _ in lo] for _ in range(samples)]

        def point(j: int) -> list:
            if j < len(exact_pts):
                return exact_pts[j]
            t = ticks[j - len(exact_pts)]
            return [l + (h - l) * Fraction(ti, 1 << 20) for l, h, ti in zip(lo, hi, t)]

        lo_f = np.array([float(v) for v in lo])
        hi_f = np.array([float(v) for v in hi])
        U = np.array([[float(v) for v in p] for p in exact_pts]).reshape(len(exact_pts), len(lo))
        if ticks:
            U = np.vstack([U, lo_f + (hi_f - lo_f) * (np.array(ticks, dtype=float) / float(1 << 20))])
        X = np.zeros((len(U), prop.n_inputs))
        free = prop.free_inputs
        X[:, free] = U
        for i, v in prop.fixed_inputs.items():
            X[:, i] = float(v)
        Y = evaluate_float(net, X)
        # score: the largest (over disjuncts) of the smallest slack (b - lhs) of its constraints
        best = np.full(len(U), -np.inf)
        for d in prop.disjuncts:
            if d.input_region is not region:
                continue
            smin = np.full(len(U), np.inf)
            for c in d.constraints:
                a = np.array([float(v) for v in c.a])
                cc = np.array([float(v) for v in c.c])
                smin = np.minimum(smin, float(c.b) - (U @ a + Y @ cc))
            best = np.maximum(best, smin)
        order = np.argsort(-best, kind="stable")[:32]
        # exact re-checks only where float64 sees (nearly) a counterexample: the region walk
        # finds the others exactly
        for j in order.tolist():
            if not best[j] >= -1e-6:
                break
            p = point(j)
            if not region.contains(p):
                continue
            res = _confirm(net, prop, prop.full_input(p), "float-guided search")
            if res is not None:
                return res
            if deadline is not None and time.perf_counter() > deadline:
                return None
    return None


ATTACK_TOLERANCE = 1e-6  # candidates float64 sees violating by more than this are not re-checked exactly
ATTACK_ROUNDS = 16  # gradient-search rounds at most (small nets finish them in well under a second)
GRADIENT_SHARE = 0.5  # of the attack's seconds; the rest walks activation regions by linear programs
DESCENT_PATIENCE = 25  # linear programs without progress before a region descent gives up


def _attack(net: Network, small: Network, prop: Property, seconds: float, seed: int, deadline: float | None):
    """Search for a counterexample for about ``seconds`` (at least one gradient round).

    First rounds of projected gradient descent in float64 (:mod:`exactrelu.verify.attack`) on every
    input region of ``small`` (``net`` restricted to the free inputs), each from new random
    starts, for ``GRADIENT_SHARE`` of the time (at most ``ATTACK_ROUNDS``); then region
    descents (:mod:`exactrelu.verify.region_descent`: linear programs over activation regions) from
    the input regions' vertices and the gradient search's best points, least violating
    first. Points float64 sees violating are re-checked exactly on ``net``.
    """
    from .attack import pgd_search
    from .region_descent import region_descent, vertex_starts

    t_start = time.perf_counter()
    stop = t_start + seconds
    if deadline is not None:
        stop = min(stop, deadline)
    gradient_stop = min(stop, t_start + GRADIENT_SHARE * seconds)
    starts: list = []
    for rnd in range(ATTACK_ROUNDS):
        for region in prop.input_regions:
            for u, viol, disjunct in pgd_search(small, prop, region, seed=seed + rnd, deadline=gradient_stop):
                starts.append((viol, u, disjunct))
                if viol <= ATTACK_TOLERANCE:
                    res = confirm_float_point(net, prop, region, u, "gradient search")
                    if res is not None:
                        return res
        if time.perf_counter() >= gradient_stop:
            break
    for region in prop.input_regions:
        starts.extend(vertex_starts(small, prop.disjuncts, region))
    starts.sort(key=lambda s: s[0])
    tried: set = set()
    for k, (_, u, disjunct) in enumerate(starts):
        if time.perf_counter() >= stop:
            break
        key = (id(disjunct), tuple(u))
        if key in tried:
            continue
        tried.add(key)
        u2, viol = region_descent(small, disjunct.constraints, disjunct.input_region, u, seed=seed + k,
                                  patience=DESCENT_PATIENCE, deadline=stop)
        if viol <= ATTACK_TOLERANCE:
            res = confirm_float_point(net, prop, disjunct.input_region, u2, "region descent")
            if res is not None:
                return res
    return None


def confirm_float_point(net: Network, prop: Property, region: Any, u: list[float], how: str) -> VerificationResult | None:
    """Re-check a float64 point of ``region`` exactly (floats are dyadic rationals: converted
    exactly). A point that rounding put just outside the region is first moved a tiny step
    towards the region's interior point.

    Parameters
    ----------
    net : the network
    prop : the property
    region : the input region (over the free inputs) the point belongs to
    u : the point's free coordinates
    how : what found it (the result's ``found_by``)

    Returns
    -------
    VerificationResult or None
        ``violated`` with the exact counterexample, or None if the point is not one.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.vnnlib import parse_vnnlib
    >>> prop = parse_vnnlib("(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 0)) "
    ...                     "(assert (<= X_0 1)) (assert (>= Y_0 0.5))")
    >>> net = mlp(1, [([[1]], [0])])
    >>> confirm_float_point(net, prop, prop.input_regions[0], [0.75], "test").verdict
    'violated'
    >>> confirm_float_point(net, prop, prop.input_regions[0], [0.25], "test") is None
    True
    """
    p = [Fraction(v) for v in u]
    if not region.contains(p):
        c = region.interior_point
        for e in (40, 30, 20):
            q = [pi + (ci - pi) / (1 << e) for pi, ci in zip(p, c)]
            if region.contains(q):
                p = q
                break
        else:
            return None
    return _confirm(net, prop, prop.full_input(p), how)


def verify(net: Network, prop: Property, *, time_limit: float | None = None, max_regions: int | None = None,
           samples: int = 2000, seed: int = 0, certify: bool = True, progress=None,
           prune: bool = True, executor=None, attack_seconds: float = 2.0) -> VerificationResult:
    """Decide ``prop`` for ``net`` exactly (see module docstring).

    ``executor`` (:mod:`exactrelu.scale.executor`) walks each input region with parallel workers
    (the pruning and the per-region proofs run on the workers); the verdict is the same,
    and a ``holds`` certificate is the same as the serial one.

    Before any walk, candidates from float64 sampling (``samples`` points) and, for about
    ``attack_seconds``, from projected gradient descent (:mod:`exactrelu.verify.attack`) and region
    descent (:mod:`exactrelu.verify.region_descent`) are re-checked exactly (0 turns the searches
    off, as does ``samples=0``); a confirmed one is the verdict ``violated``.

    ``prune`` enables certified pruning of splitting-tree cells by a linear relaxation
    (:mod:`exactrelu.verify.prune`), attempted at every cell before it is split;
    ``result.stats`` reports regions, tree nodes, pruned cells, attempts and their cost.
    """
    if prop.n_inputs != net.n_inputs or prop.n_outputs != net.n_outputs:
        raise ExactReluError(f"the property is for {prop.n_inputs} inputs / {prop.n_outputs} outputs, the network "
                             f"has {net.n_inputs} / {net.n_outputs}")
    t0 = time.perf_counter()
    if not prop.disjuncts:
        return VerificationResult(Verdict.HOLDS, seconds=time.perf_counter() - t0,
                                  reason="no disjunct can be met: each one has a constant contradiction (after "
                                  "substituting the fixed inputs), so the property holds vacuously")
    if not prop.free_inputs:
        return _decide_point(net, prop, t0)
    deadline = None if time_limit is None else t0 + time_limit
    rng = random.Random(seed)
    small = prop.restrict(net)
    if samples:
        res = _falsify(net, prop, samples, rng, deadline)
        if res is None and attack_seconds > 0:
            res = _attack(net, small, prop, attack_seconds, seed, deadline)
        if res is not None:
            res.seconds = time.perf_counter() - t0
            return res
    parts = []
    # prune attempts and their seconds: present when a pruner ran (summed over workers)
    stats = VerificationStats()
    undecided = 0
    for idx, region in enumerate(prop.input_regions):
        budget = None if max_regions is None else max_regions - stats.regions
        outcome = walk_input_region(net, small, prop, idx, deadline=deadline, max_regions=budget, t0=t0,
                                    progress=progress, prune=prune, executor=executor)
        stats.add(outcome.stats)
        if outcome.counterexample is not None:
            return _finish(outcome.counterexample, t0, stats)
        undecided += outcome.undecided
        parts.append((idx, outcome.partition, outcome.proofs))
        if not outcome.complete:
            return VerificationResult(Verdict.UNKNOWN, partitions=parts, regions=stats.regions,
                                      seconds=time.perf_counter() - t0, reason=f"stopped by {outcome.stopped}",
                                      stats=stats)
    if undecided:
        return VerificationResult(Verdict.UNKNOWN, partitions=parts, regions=stats.regions,
                                  seconds=time.perf_counter() - t0,
                                  reason="a candidate counterexample failed the exact re-check", stats=stats)
    return VerificationResult(Verdict.HOLDS, partitions=parts, regions=stats.regions, seconds=time.perf_counter() - t0,
                              stats=stats)


def _decide_point(net: Network, prop: Property, t0: float) -> VerificationResult:
    """A property that fixes every input: its only input is one point, evaluated exactly
    (the certificate of ``holds`` has no partition; the checker evaluates the point itself,
    rule ``property-point``)."""
    x = prop.full_input(())
    res = _confirm(net, prop, x, "exact evaluation")
    if res is None:
        res = VerificationResult(Verdict.HOLDS, reason="every input is fixed: the network was evaluated exactly at that "
                                 "point and no disjunct is met")
    res.seconds = time.perf_counter() - t0
    return res


@dataclass
class RegionOutcome:
    """What :func:`walk_input_region` returns for one input region.

    ``complete`` means every cell is a region proved empty for every disjunct or a pruned
    cell (``partition.nodes[i].pruned`` holds its evidence); ``counterexample`` is set when
    one was confirmed exactly.
    """

    partition: Partition
    proofs: dict
    complete: bool
    stopped: StopReason | None = None
    counterexample: VerificationResult | None = None
    undecided: int = 0
    stats: VerificationStats = field(default_factory=VerificationStats)


@gc_paused()
def walk_input_region(net: Network, small: Network, prop: Property, idx: int, *, deadline: float | None = None,
                      max_regions: int | None = None, t0: float | None = None, progress=None,
                      prune: bool = True, executor=None) -> RegionOutcome:
    """The certified walk over input region ``idx`` of ``prop`` (``small`` is ``net`` restricted
    to the free inputs): every region is proved empty for every disjunct of this input region
    (a Farkas vector each), or a counterexample is confirmed; cells refuted by the relaxation
    are pruned. Self-contained so that input regions can be walked in separate processes."""
    if t0 is None:
        t0 = time.perf_counter()
    if executor is not None:
        return _walk_input_region_parallel(net, small, prop, idx, executor, deadline, max_regions, progress, prune)
    region = prop.input_regions[idx]
    disj = [(k, d) for k, d in enumerate(prop.disjuncts) if d.input_region is region]
    nodes: list[TreeNode] = []
    regions = []
    proofs: dict = {}
    info: dict = {"open": 0}
    pruner = None
    if prune:
        from .prune import Pruner

        pruner = Pruner(small, disj, region)
    gen = iter_regions(small, region, nodes=nodes, info=info, deadline=deadline, prune=pruner)
    stopped = None
    last = time.perf_counter()
    total = 0
    undecided = 0

    def stats() -> VerificationStats:
        st = VerificationStats(regions=total, nodes=len(nodes), pruned=sum(1 for nd in nodes if nd.pruned is not None))
        if pruner is not None:
            st.prune_attempts = pruner.stats.attempts
            st.prune_seconds = pruner.stats.seconds
        return st

    for reg in gen:
        reg.index = len(regions)
        regions.append(reg)
        total += 1
        found, und, hit = _region_evidence(net, prop, small.n_inputs, disj, reg)
        if hit is not None:
            gen.close()
            return RegionOutcome(None, proofs, False, counterexample=hit, stats=stats())
        for k, ev in found.items():
            proofs[(reg.node, k)] = ev
        undecided += und
        now = time.perf_counter()
        if progress is not None and now - last > 0.5:
            last = now
            progress(Progress(total, info["open"], len(nodes), now - t0))
        if deadline is not None and now > deadline:
            stopped = StopReason.TIME_LIMIT
        elif max_regions is not None and total >= max_regions:
            stopped = StopReason.MAX_REGIONS
        if stopped:
            stop_walk(gen)
            break
    complete = not any(nd.open for nd in nodes)
    if not complete and stopped is None:
        stopped = info.get("stopped", StopReason.TIME_LIMIT)
    part = Partition(small, region, regions, nodes, complete, time.perf_counter() - t0,
                     None if complete else stopped)
    return RegionOutcome(part, proofs, complete, None if complete else stopped, undecided=undecided, stats=stats())


def _region_evidence(net: Network, prop: Property, n_free: int, disj: list, reg) -> tuple[dict, int, Any]:
    """On one linear region: for each disjunct ``k``, a proof that it is empty there
    (``found[k]``), or a confirmed counterexample (``hit``); ``undecided`` counts candidates
    that failed the exact re-check (cannot happen unless the exact re-check disagrees)."""
    C, d = reg.affine_map
    found: dict = {}
    undecided = 0
    for k, dj in disj:
        atoms = []
        for c in dj.constraints:
            coeff = [c.a[i] + sum(c.c[j] * C[j][i] for j in range(len(C))) for i in range(n_free)]
            rhs = c.b - sum(c.c[j] * d[j] for j in range(len(d)))
            atoms.append((coeff, rhs, c.strict))
        if not atoms:  # no output constraint: the whole region is a counterexample
            hit = _confirm(net, prop, prop.full_input(reg.witness), "region walk")
            if hit is not None:
                return found, undecided, hit
            undecided += 1
            continue
        kind, ev = prove_infeasible(reg, atoms)
        if kind == "empty":
            found[k] = ev
            continue
        # ev meets every atom (strict ones strictly: prove_infeasible guarantees it) and
        # lies in the region's closure, where the network is the affine map
        hit = _confirm(net, prop, prop.full_input(ev), "region walk")
        if hit is not None:
            return found, undecided, hit
        undecided += 1
    return found, undecided, None


def verify_hooks(small: Network, params: dict):
    """Walk hooks of a parallel :func:`walk_input_region` (see :mod:`exactrelu.scale.worker`):
    the relaxation pruner and the per-region evidence, built once per worker process."""
    from ..scale.worker import StopWalk
    from ..io.native_json import network_from_dict

    net = network_from_dict(params["net"])
    prop: Property = params["prop"]
    region = prop.input_regions[params["idx"]]
    disj = [(k, d) for k, d in enumerate(prop.disjuncts) if d.input_region is region]
    pruner = None
    if params["prune"]:
        from .prune import Pruner

        pruner = Pruner(small, disj, region)

    def leaf(reg):
        found, und, hit = _region_evidence(net, prop, small.n_inputs, disj, reg)
        return StopWalk(hit) if hit is not None else (found, und)

    return pruner, leaf


def _walk_input_region_parallel(net: Network, small: Network, prop: Property, idx: int, executor,
                                deadline: float | None, max_regions: int | None, progress, prune: bool) -> RegionOutcome:
    from ..io.native_json import network_to_dict
    from ..scale.parallel import parallel_walk

    limit = None if deadline is None else max(0.0, deadline - time.perf_counter())
    out = parallel_walk(small, prop.input_regions[idx], executor, mode="objects", time_limit=limit,
                        max_regions=max_regions, progress=progress, hooks="exactrelu.verify.property:verify_hooks",
                        params={"net": network_to_dict(net), "prop": prop, "idx": idx, "prune": prune})
    part = out.partition
    st = VerificationStats(regions=out.regions, nodes=out.nodes,
                           pruned=sum(1 for nd in part.nodes if nd.pruned is not None))  # type: ignore[union-attr]
    if "prune_attempts" in out.stats:  # summed over the workers' tasks
        st.prune_attempts = out.stats["prune_attempts"]
        st.prune_seconds = out.stats.get("prune_us", 0) / 1e6
    if "busy_us" in out.stats:  # the workers' seconds in tasks, and replaying paths in them
        st.busy_seconds = out.stats["busy_us"] / 1e6
    if "replay_us" in out.stats:
        st.replay_seconds = out.stats["replay_us"] / 1e6
    if "tasks" in out.stats:
        st.tasks = out.stats["tasks"]
    if out.stop_value is not None:
        return RegionOutcome(None, {}, False, counterexample=out.stop_value, stats=st)  # type: ignore[arg-type]
    proofs: dict = {}
    undecided = 0
    for node, (found, und) in out.payloads.items():
        for k, ev in found.items():
            proofs[(node, k)] = ev
        undecided += und
    return RegionOutcome(part, proofs, part.complete, part.stopped_by, undecided=undecided,  # type: ignore
                         stats=st)


def _finish(res: VerificationResult, t0: float, stats: VerificationStats) -> VerificationResult:
    res.seconds = time.perf_counter() - t0
    res.regions = stats.regions
    res.stats = stats
    return res


def property_to_json(prop: Property) -> dict[str, Any]:
    """The property in the certificate's exact JSON form."""
    inputs = prop.input_regions
    return {
        "n_inputs": prop.n_inputs,
        "n_outputs": prop.n_outputs,
        "fixed_inputs": {str(i): format_rational(v) for i, v in sorted(prop.fixed_inputs.items())},
        "inputs": [r.to_dict() for r in inputs],
        "disjuncts": [{"input": inputs.index(d.input_region),
                       "constraints": [{"a": format_vector(c.a), "c": format_vector(c.c), "b": format_rational(c.b),
                                        "strict": c.strict} for c in d.constraints]}
                      for d in prop.disjuncts],
    }


@gc_paused()
def property_certificate(net: Network, prop: Property, result: VerificationResult) -> dict[str, Any]:
    """Certificate (claim ``"property"``) for a ``holds`` verdict; for ``violated`` the
    counterexample itself is the evidence (claim ``"counterexample"``)."""
    from ..certificate.partition import FORMAT, VERSION, format_multipliers, partition_certificate
    from ..io.native_json import network_to_dict

    if result.verdict == Verdict.VIOLATED:
        return {"format": FORMAT, "version": VERSION, "claim": "counterexample",
                "network": network_to_dict(net), "property": property_to_json(prop),
                "complete": True, "point": format_vector(result.counterexample)}
    if result.verdict != Verdict.HOLDS:
        raise ExactReluError("no certificate for an unknown verdict")
    cert: dict[str, Any] = {"format": FORMAT, "version": VERSION, "claim": "property",
                            "network": network_to_dict(net), "property": property_to_json(prop), "complete": True}
    cert["partitions"] = []
    for idx, part, proofs in result.partitions:
        pc = partition_certificate(part, adjacency=False)
        pruned = [nd for nd in part.nodes if nd.pruned is not None]
        for nd in pruned:  # a pruned cell is an open node with a pruning proof (proofs/rules/prune.md)
            pc["nodes"][nd.id]["open"] = True
        entry = {"input": idx, "root_witness": pc["root_witness"], "complete": pc["complete"] and not pruned,
                 "nodes": pc["nodes"], "regions": pc["regions"],
                 "proofs": [{"node": node, "disjunct": k, "farkas": format_multipliers(y)}
                            for (node, k), y in sorted(proofs.items())]}
        if pruned:
            entry["prune"] = [dict(node=nd.id, **nd.pruned) for nd in pruned]
        cert["partitions"].append(entry)
    return cert
