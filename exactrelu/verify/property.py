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
from typing import Any

from ..errors import NoCertificateError, PropertyError
from ..regions.evidence import prove_infeasible
from ..regions.gcpause import gc_paused
from ..model.network import Network
from ..numbers.rationals import format_rational, format_vector
from ..regions.walk import Partition, Progress, TreeNode, iter_regions, stop_walk
from ..domain.vnnlib import Property
from ..outcome import StopReason, Verdict
from .result import EXIT_CODES, VerificationResult
from .search import attack_search, confirm_counterexample, confirm_float_point, sample_search
from ..scale.stats import VerificationStats

__all__ = ["VerificationResult", "verify", "property_certificate", "EXIT_CODES", "confirm_float_point"]

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
        raise PropertyError(f"the property is for {prop.n_inputs} inputs / {prop.n_outputs} outputs, the network "
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
        res = sample_search(net, prop, samples, rng, deadline)
        if res is None and attack_seconds > 0:
            res = attack_search(net, small, prop, attack_seconds, seed, deadline)
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
    res = confirm_counterexample(net, prop, x, "exact evaluation")
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
            hit = confirm_counterexample(net, prop, prop.full_input(reg.witness), "region walk")
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
        hit = confirm_counterexample(net, prop, prop.full_input(ev), "region walk")
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
        raise NoCertificateError("no certificate for an unknown verdict")
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
