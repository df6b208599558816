"""Checking a certificate's independent subtrees in parallel (standard library only).

``check_certificate(cert, workers=N)`` prepares the certificate once, then ``N``
processes (``multiprocessing``, forked so the parsed certificate is shared) walk its
``8 N`` shares as they become free (:func:`~.checker.walk` with ``share``): each share is
the nodes above a cut depth and every ``8 N``-th subtree below it. A ``partition``
certificate is walked share by share; a ``property`` certificate's claim check runs once
per share on every partition (``ctx.share``), each leaf's proofs and prune evidence checked
by the share that walks it. When every share passes, the checks that need the whole tree
run on the merged results: :func:`~.checker.finish_partition` (region entries of
non-leaves, the adjacency patterns, ``complete``), and for a property no proof or prune
entry that no share used (:func:`merge_property`). Whenever anything fails, or for another
claim, a property with adjacency evidence, the stream form or ``workers=1``, the
certificate is checked serially by :func:`~.checker.check_certificate`, so the verdict and
the first failing reason are exactly the serial checker's.
"""

from __future__ import annotations

import copy
import time
from typing import Any, Callable

from .checker import (MAX_BYTES, CheckerError, CheckReport, Context, adjacency_evidence, check_certificate as serial,
                      collector_paused,
                      finish_partition, is_stream, load_certificate, partition_leaves, prepare, read_certificate_tree)

__all__ = ["check_certificate", "check_share", "sum_counts", "merge_property"]

SHARES_PER_WORKER = 8
_CTX: "Context | None" = None  # the prepared certificate, inherited by the forked workers


def check_share(ctx: Context, share: tuple[int, int, int], claim: "Callable | None" = None) -> "tuple | None":
    """One share of the walk of the prepared ``ctx`` (:func:`~.checker.walk`): ``(counts,
    what the share leaves to the merge)``, or None if anything failed (the caller then checks
    serially for the reason). ``claim`` (default: the partition's walk) is a claim's check that
    walks ``ctx.share`` of its trees and leaves ``ctx.share_result``. ``ctx`` is not modified."""
    ctx = copy.copy(ctx)
    ctx.counts = dict.fromkeys(ctx.counts, 0)
    ctx.share, ctx.share_result = share, None
    try:
        if claim is None:
            for _ in partition_leaves(ctx, share):
                pass
            counts = ctx.counts
        else:
            counts = claim(ctx)
    except Exception:  # noqa: BLE001 - any failure: the serial check gives the verdict
        return None
    return counts, ctx.share_result


def _share(share: tuple[int, int, int]) -> "tuple | None":
    ctx, claim = _CTX  # (in a forked worker: the parent's prepared certificate)
    return check_share(ctx, share, claim)


def sum_counts(ctx: Context, results: list) -> None:
    """Add the shares' counts (``results`` of :func:`check_share`) into ``ctx.counts``."""
    for counts, _ in results:
        for key, value in counts.items():
            ctx.counts[key] = ctx.counts.get(key, 0) + value


def merge_property(ctx: Context, results: list) -> bool:
    """Whether the shares of a ``property`` check leave nothing unproved: per partition no
    region entry, proof or prune entry that no share used, an open cell if it is incomplete,
    no adjacency evidence; ``ctx.counts`` (the shares' sums, :func:`sum_counts`) then counts each tree's nodes once."""
    parts = [r[1] or {} for r in results]
    if any(p.keys() != parts[0].keys() for p in parts):
        return False
    for pi in parts[0]:
        per = [p[pi] for p in parts]
        regions, proofs, pruned = (set.intersection(*[x[0][0] for x in per]), set.intersection(*[x[1] for x in per]),
                                   set.intersection(*[x[2] for x in per]))
        open_nodes, complete, nodes = sum(x[3] for x in per), per[0][4], per[0][5]
        if regions or proofs or pruned or any(x[0][1] for x in per) or (not complete and not open_nodes):
            return False
        ctx.counts["nodes"] -= nodes * (len(per) - 1)
    return True


def check_certificate(cert: Any, base_dir: Any = None, *, max_bytes: int = MAX_BYTES, claims: "dict | None" = None,
                      stream: "Callable | None" = None, adjacency: Any = None, schema: "dict | None" = None,
                      workers: int = 1) -> CheckReport:
    """:func:`~.checker.check_certificate` with ``workers`` processes for the subtrees of a
    ``partition`` certificate in JSON form (same verdict, same first failing reason).

    >>> from pathlib import Path
    >>> from exactrelu.checker import ADJACENCY, check_certificate as serial_check
    >>> cert = Path(__file__).resolve().parents[2] / "proofs" / "corpus" / "valid" / "net-2d.json"
    >>> check_certificate(cert, adjacency=ADJACENCY, workers=2).leaves == serial_check(cert).leaves
    True
    """
    with collector_paused():  # (forked workers inherit it)
        return _check_parallel(cert, base_dir, max_bytes, claims, stream, adjacency, schema, workers)


def _check_parallel(cert: Any, base_dir: Any, max_bytes: int, claims: "dict | None", stream: "Callable | None",
                    adjacency: Any, schema: "dict | None", workers: int) -> CheckReport:
    global _CTX
    again = dict(base_dir=base_dir, max_bytes=max_bytes, claims=claims, stream=stream, adjacency=adjacency, schema=schema)
    if workers <= 1 or (not isinstance(cert, dict) and is_stream(cert)):
        return serial(cert, **again)
    t0 = time.perf_counter()
    try:
        obj, base = load_certificate(cert, base_dir, max_bytes)
        ctx = prepare(obj, base, max_bytes, claims=claims, adjacency=adjacency, schema=schema)
        parts = obj.get("partitions")
        if ctx.claim == "property" and not (isinstance(parts, list) and parts and "property" in (claims or {}) and all(
                isinstance(p, dict) and p.get("adjacency") in (None, []) for p in parts)):
            return serial(obj, **again)  # (a point property, adjacency evidence or a malformed one: serially)
        if ctx.claim not in ("partition", "property"):
            return serial(obj, **again)
        if ctx.claim == "partition":
            read_certificate_tree(ctx)
            adj = adjacency_evidence(ctx)
    except (CheckerError, KeyError, TypeError, IndexError, AttributeError, ValueError, RecursionError):
        return serial(cert, **again)
    import multiprocessing  # (only here: the serial checker does not load it)

    shares = SHARES_PER_WORKER * workers  # taken by the workers as they finish: uneven subtrees balance
    depth = (4 * shares).bit_length()  # 4 to 8 subtrees per share, dealt round robin
    claim = claims["property"] if ctx.claim == "property" else None  # type: ignore[index]
    _CTX = ctx, claim
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = list(pool.imap_unordered(_share, [(depth, shares, s) for s in range(shares)]))
    finally:
        _CTX = None
    again["base_dir"] = base
    if any(r is None for r in results):
        return serial(obj, **again)
    sum_counts(ctx, results)
    if claim is not None:
        return _report(ctx, t0) if merge_property(ctx, results) else serial(obj, **again)
    unused = set.intersection(*[r[1][0] for r in results])
    patterns = {k: v for r in results for k, v in r[1][1].items()}
    ctx.counts["nodes"] = len(ctx.nodes)
    try:
        finish_partition(ctx, {k: None for k in unused}, adj, patterns)
    except (CheckerError, KeyError, TypeError, IndexError, AttributeError, ValueError, RecursionError):
        return serial(obj, **again)
    return _report(ctx, t0)


def _report(ctx: Context, t0: float) -> CheckReport:
    c = ctx.counts
    return CheckReport(True, ctx.claim, ctx.complete, c["nodes"], c["leaves"], c["open_nodes"], c["adjacency_pairs"],
                       c["stable_decisions"], c["splits"], time.perf_counter() - t0, ctx.network_sha256, ctx.n,
                       ctx.net.n_relu)
