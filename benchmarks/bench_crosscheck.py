"""Float cross-check figures: search vs random sampling, and ACAS Xu float32 inference.

    python benchmarks/bench_crosscheck.py                 # defaults below (~5-8 minutes on 2 cores)
    python benchmarks/bench_crosscheck.py --quick         # fewer properties and points (~1 minute)
    python benchmarks/bench_crosscheck.py --props 1,2 --points 1000 --backends numpy32,onnxruntime

Part 1 (sliver network, :func:`exactrelu.crosscheck.crosscheck.sliver_network`): for a few seeds, the
number of float32 pattern and decision flips found by the search strategies and by random
sampling alone with the same budget, and their ratio, within one run.

Part 2 (ACAS Xu ``ACASXU_run2a_1_1``, property boxes ``prop_k``): the exact largest absolute
and relative output error of float32 inference (numpy on the exact weights, and onnxruntime
on the original ONNX file), the number of pattern flips, decision flips (the truth value of
each output constraint of the property) and counterexample-verdict flips, and the time. With
``--argmin`` also the ACAS advisory (arg-min of the scores) as the decision.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import acas, acas_prop  # noqa: E402

from exactrelu.crosscheck.crosscheck import crosscheck, sliver_network  # noqa: E402
from exactrelu.domain.polytope import box  # noqa: E402


def part_sliver(points: int, seeds: list[int]) -> None:
    net = sliver_network()
    D = box([-1, -1], [1, 1])
    print(f"== sliver network ({net.name}: 2 inputs, {net.n_relu} ReLU units), float32, {points} points per run")
    print(f"{'seed':>4}  {'search pat':>10} {'search dec':>10}   {'random pat':>10} {'random dec':>10}   "
          f"{'ratio pat':>9} {'ratio dec':>9}   {'s search':>8} {'s random':>8}")
    tot = [0, 0, 0, 0]
    for seed in seeds:
        a = crosscheck(net, D, points=points, seed=seed)
        b = crosscheck(net, D, points=points, seed=seed, strategies=("random",))
        tot[0] += a.n_pattern_flips
        tot[1] += a.n_decision_flips
        tot[2] += b.n_pattern_flips
        tot[3] += b.n_decision_flips
        rp = f"{a.n_pattern_flips / b.n_pattern_flips:.0f}x" if b.n_pattern_flips else "inf"
        rd = f"{a.n_decision_flips / b.n_decision_flips:.0f}x" if b.n_decision_flips else "inf"
        print(f"{seed:>4}  {a.n_pattern_flips:>10} {a.n_decision_flips:>10}   {b.n_pattern_flips:>10} "
              f"{b.n_decision_flips:>10}   {rp:>9} {rd:>9}   {a.seconds:>8.2f} {b.seconds:>8.2f}")
    per = {k: (v.tried, v.pattern_flips, v.decision_flips) for k, v in a.strategies.items()}
    print(f"total over {len(seeds)} seeds: search {tot[0]} pattern / {tot[1]} decision flips; "
          f"random {tot[2]} / {tot[3]}  (search/random with +1 smoothing: "
          f"{(tot[0] + 1) / (tot[2] + 1):.0f}x pattern, {(tot[1] + 1) / (tot[3] + 1):.0f}x decision)")
    print(f"last run per strategy (tried, pattern flips, decision flips): {per}")
    print(f"exact max |error| of float32 on this net: {float(a.max_abs_error):.3g} (= {a.max_abs_error})")
    print()


def part_acas(props: list[int], points: int, backends: list[str], time_limit: float, region_time: float,
              argmin: bool, baseline: bool) -> None:
    from exactrelu.io.loader import load_model
    from exactrelu.domain.vnnlib import load_vnnlib

    model = acas(1, 1)
    t = time.perf_counter()
    net = load_model(model)
    print(f"== ACAS Xu {model.name} ({net.n_relu} ReLU units), loaded in {time.perf_counter() - t:.2f} s; "
          f"{points} points per run, region budget {region_time} s, time limit {time_limit} s")
    head = (f"{'prop':>4} {'backend':>11} {'decision':>8}  {'max abs err':>11} {'max rel err':>11}  "
            f"{'pat flips':>9} {'dec flips':>9} {'verdict':>7}  {'tried':>5} {'seconds':>7}  per strategy (pat/dec)")
    print(head)
    rows = []
    for k in props:
        prop = load_vnnlib(acas_prop(k), net.n_inputs, net.n_outputs)
        runs = [(be, "property") for be in backends]
        if argmin:
            runs.append((backends[0], "argmin"))
        for be, dec in runs:
            kw = dict(backend=be, points=points, seed=0, time_limit=time_limit, region_time=region_time,
                      model_path=model)
            if dec == "property":
                rep = crosscheck(net, None, prop=prop, **kw)
            else:
                if len(prop.input_regions) != 1 or prop.fixed_inputs:
                    continue
                rep = crosscheck(net, prop.domain, decision="argmin", **kw)
            per = " ".join(f"{s}:{v.pattern_flips}/{v.decision_flips}" for s, v in rep.strategies.items())
            print(f"{k:>4} {be:>11} {dec:>8}  {float(rep.max_abs_error):>11.3e} "
                  f"{float(rep.max_rel_error or 0):>11.3e}  {rep.n_pattern_flips:>9} {rep.n_decision_flips:>9} "
                  f"{rep.n_verdict_flips:>7}  {rep.points_tried:>5} {rep.seconds:>7.1f}  {per}", flush=True)
            rows.append((k, be, dec, rep))
            if baseline and be == backends[0] and dec == "property":
                b = crosscheck(net, None, prop=prop, strategies=("random",), **kw)
                print(f"{k:>4} {'(random)':>11} {dec:>8}  {float(b.max_abs_error):>11.3e} "
                      f"{float(b.max_rel_error or 0):>11.3e}  {b.n_pattern_flips:>9} {b.n_decision_flips:>9} "
                      f"{b.n_verdict_flips:>7}  {b.points_tried:>5} {b.seconds:>7.1f}  random sampling only",
                      flush=True)
    if rows:
        worst = max(rows, key=lambda r: r[3].max_abs_error)
        print(f"largest exact float32 output error seen: {float(worst[3].max_abs_error):.6g} "
              f"= {worst[3].max_abs_error} (prop {worst[0]}, {worst[1]})")
        print(f"any pattern flips: {any(r[3].n_pattern_flips for r in rows)}; "
              f"any decision flips: {any(r[3].n_decision_flips for r in rows)}; "
              f"total time {sum(r[3].seconds for r in rows):.1f} s")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--props", default=None, help="comma-separated ACAS Xu property numbers (default 1-10)")
    ap.add_argument("--points", type=int, default=None, help="points per ACAS run (default 600)")
    ap.add_argument("--sliver-points", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--backends", default="numpy32,onnxruntime")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--region-time", type=float, default=4.0)
    ap.add_argument("--argmin", action="store_true", help="also use the ACAS advisory (arg-min) as the decision")
    ap.add_argument("--baseline", action="store_true", help="also random sampling only on ACAS")
    ap.add_argument("--skip-acas", action="store_true")
    ap.add_argument("--shared", default=None, help="path of ../shared/benchmarks (see _shared.py)")
    a = ap.parse_args(argv)
    if a.quick:
        props = [int(p) for p in (a.props or "1,2").split(",")]
        points = a.points or 300
        seeds = list(range(2))
        sliver_points = min(a.sliver_points, 1000)
    else:
        props = [int(p) for p in (a.props or ",".join(str(i) for i in range(1, 11))).split(",")]
        points = a.points or 600
        seeds = list(range(a.seeds))
        sliver_points = a.sliver_points
    part_sliver(sliver_points, seeds)
    if not a.skip_acas:
        part_acas(props, points, [b.strip() for b in a.backends.split(",") if b.strip()], a.time_limit,
                  a.region_time, a.argmin, a.baseline)


if __name__ == "__main__":
    main()
