"""ACAS Xu (VNN-COMP 2022): verdicts and seconds per instance.

    python benchmarks/bench_acasxu.py [--limit 116] [--first N] [--props 1,2,3] [--instances 1_1:6,1_9:7]
                                      [--certify] [--workers 2] [--check-workers 2] [--no-prune] [--peers]

Reads ``../shared/benchmarks/vnncomp2022/acasxu/instances.csv`` in place, runs
``exactrelu.verify.property`` with the per-instance time limit, checks each certificate with the
independent checker (``--certify``), and prints one line per instance (verdict, seconds,
regions, pruned cells / pruning attempts, checker seconds) plus totals. ``--no-prune`` walks
every region (no relaxation). ``--peers`` runs the twelve instances of
``../shared/benchmarks/acasxu-peers/README.md`` (unless ``--instances`` names others) and adds
a table beside the float star-set verifier's stored figures: its seconds, the ratio
exactrelu / float tool per instance and in total (a float timeout counts as the limit), and
checking / deciding per certificate.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import BENCH  # noqa: E402

from exactrelu.checker import check_certificate
from exactrelu.io.loader import load_model
from exactrelu.verify.property import property_certificate, verify
from exactrelu.domain.vnnlib import load_vnnlib


def peer_figures() -> dict[tuple[str, str], tuple[str, float, bool]]:
    """``(net, prop) -> (verdict, seconds, timed out)`` of the float tool, from the peers' README."""
    text = (BENCH / "acasxu-peers" / "README.md").read_text()
    out = {}
    for m in re.finditer(r"^\| (\d_\d) prop (\d+) \| ([a-z]+)[^|]*\| ([^|]+)\|", text, re.M):
        cell = m.group(4).strip()
        secs = float(re.search(r"[0-9.]+", cell).group())
        out[(m.group(1), m.group(2))] = (m.group(3), secs, cell.startswith("timeout"))
    return out


def peer_table(results: list, limit: float) -> None:
    """The side-by-side table of ``--peers``: ``results`` = ``(net, prop, verdict, s, check s)``."""
    peers = peer_figures()
    print("\n| instance | verdict | exactrelu | float star-set tool | exactrelu / float | checking | check / verify |")
    print("|---|---|---|---|---|---|---|")
    tot_e = tot_f = 0.0
    for net, prop, verdict, secs, check in results:
        pv, ps, timeout = peers.get((net, prop), ("-", float("nan"), False))
        shown = secs if verdict != "unknown" else limit
        tot_e += shown
        tot_f += ps
        ratio = f"{shown / ps:.2f}" if verdict != "unknown" else f"> {limit / ps:.2f}"
        fl = f"timeout ({ps:g} s)" if timeout else f"{ps:.1f} s ({pv})"
        ck = "-" if check is None else f"{check:.1f} s"
        cv = "-" if check is None else f"{check / max(secs, 1e-9):.2f}"
        shown_e = f"{secs:.1f} s" if verdict != "unknown" else f"unknown at {limit:g} s"
        print(f"| {net} prop {prop} | {verdict} | {shown_e} | {fl} | {ratio} | {ck} | {cv} |")
    print(f"| total | | {tot_e:.0f} s | {tot_f:.0f} s | {tot_e / max(tot_f, 1e-9):.2f} | | |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=116.0)
    ap.add_argument("--first", type=int, default=None)
    ap.add_argument("--props", default=None, help="comma-separated property numbers")
    ap.add_argument("--instances", default=None, help="comma-separated NET:PROP, e.g. 1_1:6,1_9:7")
    ap.add_argument("--certify", action="store_true")
    ap.add_argument("--shared", default=None)
    ap.add_argument("--no-prune", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="process pool per instance (exactrelu.scale.executor)")
    ap.add_argument("--dask", default=None, help="Dask scheduler address, or 'local'")
    ap.add_argument("--peers", action="store_true", help="the float tool's twelve instances, with ratios")
    ap.add_argument("--check-workers", type=int, default=None, help="processes for checking (default: --workers)")
    args = ap.parse_args()
    if args.peers and not args.instances:
        args.instances = ",".join(f"{n}:{p}" for n, p in peer_figures())
    executor = None
    if args.workers != 1 or args.dask:
        from exactrelu.scale.executor import make_executor

        executor = make_executor(args.workers, args.dask)
    base = BENCH / "vnncomp2022" / "acasxu"
    rows = [line.split(",") for line in (base / "instances.csv").read_text().split()]
    if args.props:
        want = {f"vnnlib/prop_{p}.vnnlib" for p in args.props.split(",")}
        rows = [r for r in rows if r[1] in want]
    if args.instances:
        want_i = {(f"onnx/ACASXU_run2a_{net}_batch_2000.onnx", f"vnnlib/prop_{p}.vnnlib")
                  for net, p in (item.split(":") for item in args.instances.split(","))}
        rows = [r for r in rows if (r[0], r[1]) in want_i]
    if args.first:
        rows = rows[:args.first]
    totals = {"holds": 0, "violated": 0, "unknown": 0}
    agg = {"regions": 0, "pruned": 0, "prune_attempts": 0, "seconds": 0.0, "check_seconds": 0.0}
    t_all = time.perf_counter()
    cache = {}
    results = []
    for onnx_name, prop_name, _ in rows:
        net = cache.get(onnx_name) or load_model(base / (onnx_name + ".gz"))
        cache[onnx_name] = net
        prop = load_vnnlib(base / (prop_name + ".gz"), 5, 5)
        res = verify(net, prop, time_limit=args.limit, prune=not args.no_prune, executor=executor)
        if res.reason == "stopped by interrupted":  # SIGINT/SIGTERM stop a parallel walk cleanly: stop here too
            print(f"interrupted during {Path(onnx_name).stem} {Path(prop_name).stem}", flush=True)
            break
        checked, dt = "", None
        if args.certify and res.verdict != "unknown":
            cert = property_certificate(net, prop, res)
            tc = time.perf_counter()  # (the checking alone: the certificate is built first)
            ok = check_certificate(cert, workers=args.check_workers or args.workers).valid
            dt = time.perf_counter() - tc
            agg["check_seconds"] += dt
            checked = f" cert:{'ok' if ok else 'BAD'} ({dt:.1f} s)"
        totals[res.verdict] += 1
        m = re.search(r"_(\d_\d)_batch", onnx_name)
        results.append((m.group(1) if m else onnx_name, re.sub(r"\D", "", Path(prop_name).stem), str(res.verdict),
                        res.seconds, dt))
        st = res.stats
        for key in ("regions", "pruned", "prune_attempts"):
            agg[key] += st.get(key, 0)
        agg["seconds"] += res.seconds
        extra = (f" ({res.found_by}) float64 {'agrees' if res.float_confirms else 'DISAGREES'}"
                 if res.verdict == "violated" else "")
        print(f"{Path(onnx_name).stem:32s} {Path(prop_name).stem:8s} {res.verdict:9s} {res.seconds:7.1f} s "
              f"{res.regions:7d} regions {st.get('pruned', 0):6d}/{st.get('prune_attempts', '-')!s:<6} pruned"
              f"{extra}{checked}", flush=True)
    if executor is not None:
        executor.close()
    n = len(rows)
    print(f"\n{n} instances, limit {args.limit:g} s: {totals['holds']} holds, {totals['violated']} violated, "
          f"{totals['unknown']} unknown; {time.perf_counter() - t_all:.0f} s in all")
    print(f"verify {agg['seconds']:.0f} s ({agg['seconds'] / max(n, 1):.1f} s per instance), {agg['regions']} regions, "
          f"{agg['pruned']} pruned cells / {agg['prune_attempts']} attempts; checker {agg['check_seconds']:.0f} s")
    if args.peers:
        peer_table(results, args.limit)


if __name__ == "__main__":
    main()
