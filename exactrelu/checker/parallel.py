"""Checking a ``partition`` certificate's independent subtrees in parallel (standard library only).

``check_certificate(cert, workers=N)`` prepares the certificate once, then ``N``
processes (``multiprocessing``, forked so the parsed certificate is shared) walk its
``8 N`` shares as they become free (:func:`~.checker.walk` with ``share``): each share is
the nodes above a cut depth and every ``8 N``-th subtree below it. When every share passes, the checks that need the
whole tree (:func:`~.checker.finish_partition`: region entries of non-leaves, the
adjacency patterns, ``complete``) run on the merged results. Whenever anything fails, or
for another claim, the stream form or ``workers=1``, the certificate is checked serially
by :func:`~.checker.check_certificate`, so the verdict and the first failing reason are
exactly the serial checker's.
"""

from __future__ import annotations

import copy
import time
from typing import Any, Callable

from .checker import (MAX_BYTES, CheckerError, CheckReport, Context, adjacency_evidence, check_certificate as serial,
                      collector_paused,
                      finish_partition, is_stream, load_certificate, partition_leaves, prepare, read_certificate_tree)

__all__ = ["check_certificate", "check_share"]

SHARES_PER_WORKER = 8
_CTX: "Context | None" = None  # the prepared certificate, inherited by the forked workers


def check_share(ctx: Context, share: tuple[int, int, int]) -> "tuple | None":
    """One share of the walk of the prepared ``ctx`` (:func:`~.checker.walk`): ``(counts,
    region entries it did not use, patterns of its adjacency ends)``, or None if anything
    failed (the caller then checks serially for the reason). ``ctx`` is not modified."""
    ctx = copy.copy(ctx)
    ctx.counts = dict.fromkeys(ctx.counts, 0)
    try:
        for _ in partition_leaves(ctx, share):
            pass
    except Exception:  # noqa: BLE001 - any failure: the serial check gives the verdict
        return None
    return (ctx.counts, *ctx.share_result)


def _share(share: tuple[int, int, int]) -> "tuple | None":
    return check_share(_CTX, share)  # (in a forked worker: the parent's prepared certificate)


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
        if ctx.claim != "partition":
            return serial(obj, **again)
        read_certificate_tree(ctx)
        adj = adjacency_evidence(ctx)
    except (CheckerError, KeyError, TypeError, IndexError, AttributeError, ValueError, RecursionError):
        return serial(cert, **again)
    import multiprocessing  # (only here: the serial checker does not load it)

    shares = SHARES_PER_WORKER * workers  # taken by the workers as they finish: uneven subtrees balance
    depth = (4 * shares).bit_length()  # 4 to 8 subtrees per share, dealt round robin
    _CTX = ctx
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = list(pool.imap_unordered(_share, [(depth, shares, s) for s in range(shares)]))
    finally:
        _CTX = None
    again["base_dir"] = base
    if any(r is None for r in results):
        return serial(obj, **again)
    unused = set.intersection(*[r[1] for r in results])
    patterns = {k: v for r in results for k, v in r[2].items()}
    for r in results:
        for key, value in r[0].items():
            ctx.counts[key] += value
    ctx.counts["nodes"] = len(ctx.nodes)
    try:
        finish_partition(ctx, {k: None for k in unused}, adj, patterns)
    except (CheckerError, KeyError, TypeError, IndexError, AttributeError, ValueError, RecursionError):
        return serial(obj, **again)
    c = ctx.counts
    return CheckReport(True, ctx.claim, ctx.complete, c["nodes"], c["leaves"], c["open_nodes"], c["adjacency_pairs"],
                       c["stable_decisions"], c["splits"], time.perf_counter() - t0, ctx.network_sha256, ctx.n,
                       ctx.net.n_relu)
