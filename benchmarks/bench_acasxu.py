"""ACAS Xu (VNN-COMP 2022): verdicts and seconds per instance.

    python benchmarks/bench_acasxu.py [--limit 116] [--first N] [--props 1,2,3] [--certify]

Reads ``../shared/benchmarks/vnncomp2022/acasxu/instances.csv`` in place, runs
``exactrelu.verify`` with the per-instance time limit, checks each certificate with the
independent checker (``--certify``), and prints one line per instance plus totals.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import BENCH  # noqa: E402

from exactrelu.checker import check_certificate
from exactrelu.io.loader import load_model
from exactrelu.verify import property_certificate, verify
from exactrelu.vnnlib import load_vnnlib


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=116.0)
    ap.add_argument("--first", type=int, default=None)
    ap.add_argument("--props", default=None, help="comma-separated property numbers")
    ap.add_argument("--certify", action="store_true")
    ap.add_argument("--shared", default=None)
    args = ap.parse_args()
    base = BENCH / "vnncomp2022" / "acasxu"
    rows = [line.split(",") for line in (base / "instances.csv").read_text().split()]
    if args.props:
        want = {f"vnnlib/prop_{p}.vnnlib" for p in args.props.split(",")}
        rows = [r for r in rows if r[1] in want]
    if args.first:
        rows = rows[:args.first]
    totals = {"holds": 0, "violated": 0, "unknown": 0}
    t_all = time.perf_counter()
    cache = {}
    for onnx_name, prop_name, _ in rows:
        net = cache.get(onnx_name) or load_model(base / (onnx_name + ".gz"))
        cache[onnx_name] = net
        prop = load_vnnlib(base / (prop_name + ".gz"), 5, 5)
        res = verify(net, prop, time_limit=args.limit)
        checked = ""
        if args.certify and res.verdict != "unknown":
            checked = " cert:ok" if check_certificate(property_certificate(net, prop, res)).valid else " cert:BAD"
        totals[res.verdict] += 1
        extra = f" float64 {'agrees' if res.float_confirms else 'DISAGREES'}" if res.verdict == "violated" else ""
        print(f"{Path(onnx_name).stem:32s} {Path(prop_name).stem:8s} {res.verdict:9s} {res.seconds:7.1f} s "
              f"{res.regions:7d} regions{extra}{checked}", flush=True)
    n = len(rows)
    print(f"\n{n} instances, limit {args.limit:g} s: {totals['holds']} holds, {totals['violated']} violated, "
          f"{totals['unknown']} unknown; {time.perf_counter() - t_all:.0f} s in all")


if __name__ == "__main__":
    main()
