"""``exactrelu regions MODEL (--box B | --domain F | --vnnlib P) ...``: the linear regions over a
domain, with the adjacency graph (``--graph``), the partition certificate (``--certificate``)
or a stream certificate written as the regions are found (``--stream``, ``--resume``).

Exit status: 0 complete; 20 a limit stopped the run (the certificate is marked
incomplete); 130 interrupted (a ``--stream`` run continues with ``--resume``); 2 unusable
input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CheckpointError, ExitCode, UsageError
from .common import (POSITIVE, SECONDS, add_domain_args, add_progress_args, add_scale_args, domain_from_args,
                     load_model_arg, progress_bar, want_progress)

if TYPE_CHECKING:  # pragma: no cover
    from ..domain.polytope import Polytope
    from ..model.network import Network

__all__ = ["register", "cmd_regions"]


def cmd_regions(args: argparse.Namespace) -> int:
    """Enumerate the regions; write the graph, the certificate or the stream certificate."""
    from ..certificate.partition import partition_certificate, write_certificate
    from ..graph.region_graph import adjacencies, linear_pieces, region_graph, write_graphml, graph_to_json
    from ..regions.walk import enumerate_regions

    net = load_model_arg(args.model)
    D = domain_from_args(args, net)
    if args.stream:
        return _regions_stream(args, net, D)
    if args.resume:
        raise UsageError("--resume continues a --stream run (give the same --stream file)")
    if args.no_graph and args.graph:
        raise UsageError("--no-graph and --graph exclude each other")
    bar, cb = progress_bar(want_progress(args), "regions")
    t0 = time.perf_counter()
    try:
        if args.workers == 1 and not args.dask:
            part = enumerate_regions(net, D, max_regions=args.max_regions, time_limit=args.time_limit, progress=cb)
        else:
            from ..scale.executor import make_executor
            from ..scale.parallel import parallel_walk

            with make_executor(args.workers, args.dask) as ex:
                out = parallel_walk(net, D, ex, mode="objects", max_regions=args.max_regions,
                                    time_limit=args.time_limit, progress=cb)
            part = out.partition
            if out.stopped_by == "interrupted":
                raise KeyboardInterrupt
    finally:
        if bar is not None:
            bar.close()
    if args.no_graph:  # enumeration only: no adjacency pass, a certificate without adjacency entries
        adj = pieces = None
    else:
        adj = adjacencies(part)
        G = region_graph(part, adj)
        pieces = linear_pieces(G)
    if args.graph:
        if str(args.graph).endswith(".json"):
            Path(args.graph).write_text(json.dumps(graph_to_json(G)))
        else:
            write_graphml(G, args.graph)
    if args.certificate:
        cert = partition_certificate(part, adjacency=False if adj is None else adj)
        write_certificate(cert, args.certificate)
    seconds = time.perf_counter() - t0
    summary = {
        "regions": len(part.regions),
        "adjacent_pairs": None if adj is None else len(adj),
        "linear_pieces": None if pieces is None else len(pieces),
        "complete": part.complete,
        "stopped_by": part.stopped_by,
        "seconds": round(seconds, 4),
        "tree_nodes": part.stats["nodes"],
        "splits": part.stats["splits"],
        "stable_decisions": part.stats["stable_decisions"],
    }
    if args.certificate:
        summary["certificate"] = str(args.certificate)
    if args.json:
        print(json.dumps(summary))
    else:
        state = "complete" if part.complete else f"INCOMPLETE (stopped by {part.stopped_by})"
        graph = ("" if adj is None else
                 f", {summary['adjacent_pairs']} adjacent pairs, {summary['linear_pieces']} linear pieces")
        print(f"{summary['regions']} regions{graph}; {state}; {seconds:.3f} s")
        if args.certificate:
            print(f"certificate written to {args.certificate}")
    return ExitCode.OK if part.complete else ExitCode.INCOMPLETE


def _regions_stream(args: argparse.Namespace, net: "Network", D: "Polytope") -> int:
    """``regions --stream OUT.jsonl``: the stream certificate, written as it is found, with
    checkpoints next to it (``OUT.jsonl.ckpt``, ``OUT.jsonl.parts/``) and ``--resume``."""
    from ..scale.executor import make_executor
    from ..scale.parallel import load_checkpoint, parallel_walk

    if args.graph or args.certificate:
        raise UsageError("--stream writes a stream certificate with bounded memory; --graph and "
                             "--certificate need every region in memory (run without --stream)")
    out_path = Path(args.stream)
    ck_path = Path(str(out_path) + ".ckpt")
    spill = Path(str(out_path) + ".parts")
    resume = None
    if args.resume and not ck_path.exists():
        print(f"exactrelu: no checkpoint {ck_path} (the run finished, or was stopped before its first checkpoint): "
              "starting from the beginning", file=sys.stderr)
    elif args.resume:
        resume = load_checkpoint(ck_path)
        if not out_path.exists() or out_path.stat().st_size < resume["stream_bytes"]:
            raise CheckpointError(f"{out_path} is shorter than its checkpoint says; start again without --resume")
        fh = open(out_path, "r+b")
    if resume is None:
        if ck_path.exists() and not args.resume:
            raise CheckpointError(f"{ck_path} exists: continue that run with --resume, or delete it to start again")
        fh = open(out_path, "wb")
    bar, cb = progress_bar(want_progress(args), "regions")
    try:
        with fh, make_executor(args.workers, args.dask) as ex:
            out = parallel_walk(net, D, ex, mode="lines", out=fh,
                                max_regions=args.max_regions, time_limit=args.time_limit, progress=cb,
                                spill_dir=spill, checkpoint=ck_path, checkpoint_every=args.checkpoint_every,
                                resume=resume)
    finally:
        if bar is not None:
            bar.close()
    summary = {"regions": out.regions, "adjacent_pairs": None, "linear_pieces": None, "complete": out.complete,
               "stopped_by": out.stopped_by, "seconds": round(out.seconds, 4), "tree_nodes": out.nodes,
               "splits": out.stats.get("splits", 0), "stable_decisions": out.stats.get("stable_decisions", 0),
               "stream": str(out_path), "workers": args.workers if not args.dask else f"dask {args.dask}"}
    if not out.complete:
        summary["checkpoint"] = str(ck_path)
    if args.json:
        print(json.dumps(summary))
    else:
        state = "complete" if out.complete else f"INCOMPLETE (stopped by {out.stopped_by}; --resume continues)"
        print(f"{out.regions} regions; {state}; {out.seconds:.3f} s; stream certificate {out_path}")
    if out.stopped_by == "interrupted":
        return ExitCode.INTERRUPTED
    return ExitCode.OK if out.complete else ExitCode.INCOMPLETE


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``regions`` subcommand to an argparse subparsers object."""
    s = sub.add_parser("regions", help="enumerate the linear regions over a domain, with graph and certificate")
    s.add_argument("model")
    add_domain_args(s)
    s.add_argument("--json", action="store_true")
    s.add_argument("--graph", help="write the adjacency graph (.graphml, or .json)")
    s.add_argument("--no-graph", action="store_true", help="enumeration only: no adjacency graph (the certificate "
                   "has no adjacency entries; adjacent pairs and linear pieces are not reported)")
    s.add_argument("--certificate", help="write the partition certificate (.json or .json.gz)")
    s.add_argument("--max-regions", type=POSITIVE, default=None)
    s.add_argument("--time-limit", type=SECONDS, default=None, help="seconds")
    add_scale_args(s)
    s.add_argument("--stream", help="write a stream certificate (.jsonl) as regions are found; memory stays "
                   "bounded; checkpoints in STREAM.ckpt")
    s.add_argument("--resume", action="store_true", help="continue an interrupted --stream run from its checkpoint")
    s.add_argument("--checkpoint-every", type=SECONDS, default=10.0, help="seconds between checkpoints (--stream)")
    add_progress_args(s)
    s.set_defaults(func=cmd_regions)
