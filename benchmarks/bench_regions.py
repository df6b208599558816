"""Region enumeration, graph, certificate and checking speed (issue 3's figures).

    python benchmarks/bench_regions.py [--quick] [--only 32-32]

For each benchmark net (../shared/benchmarks/random2d nets over [-1,1]^n, and ACAS Xu
1_1 inside the property-3 and -4 boxes with a time limit) it prints, within one run:
regions, exact enumeration rate, rate with graph + certificate, checking rate, the
float64-only run of the same enumerator (and the cost of exactness as a ratio), and the
peak Python memory per region (tracemalloc) for the exact run.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import acas, acas_prop, random_nets  # noqa: E402

from exactrelu.certificate.partition import partition_certificate
from exactrelu.checker import check_certificate
from exactrelu.domain.polytope import box
from exactrelu.regions.float_walk import count_regions_float
from exactrelu.graph.region_graph import adjacencies, region_graph
from exactrelu.io.loader import load_model
from exactrelu.model.network import mlp
from exactrelu.regions.walk import enumerate_regions
from exactrelu.domain.vnnlib import load_vnnlib

NETS_2D = [([8, 8], 1), ([16, 16, 16], 2), ([32, 32], 3), ([32, 32, 32], 4), ([64, 64], 5), ([50] * 6, 6)]
NETS_4D = [([16, 16], 7), ([32, 32, 32], 8)]


def run(name, net, D, time_limit=None, memory=True):
    gc.collect()
    t = time.process_time()
    part = enumerate_regions(net, D, time_limit=time_limit)
    t_enum = time.process_time() - t
    t = time.process_time()
    adj = adjacencies(part)
    region_graph(part, adj)
    cert = partition_certificate(part, adjacency=adj)
    t_cert = time.process_time() - t
    t = time.process_time()
    rep = check_certificate(cert)
    t_check = time.process_time() - t
    fl = count_regions_float(net, D, max_regions=None if part.complete else len(part.regions))
    n = len(part.regions)
    mem = ""
    if memory and n <= 6000:
        del cert
        gc.collect()
        tracemalloc.start()
        p2 = enumerate_regions(net, D, time_limit=time_limit)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        mem = f"{peak / max(1, len(p2.regions)) / 1024:6.1f} KiB/region"
        del p2
    full = t_enum + t_cert
    print(f"| {name:22s} | {n:6d}{'' if part.complete else '+'} | {len(adj):6d} | {n / t_enum:8.0f} | "
          f"{n / full:8.0f} | {n / t_check:8.0f} | {full / t_check:5.1f} | {fl['regions']:6d} | "
          f"{fl['regions'] / fl['seconds']:8.0f} | {t_enum / fl['seconds']:5.1f} | {mem} |", flush=True)
    assert rep.valid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the largest nets")
    ap.add_argument("--only", default=None)
    ap.add_argument("--acas-limit", type=float, default=60.0)
    ap.add_argument("--shared", default=None)
    args = ap.parse_args()
    rn = random_nets()
    print("Rates are regions per CPU second (process time). 'find' = exact enumeration with graph and")
    print("certificate; 'check' = the independent checker on that certificate; 'float' = the same")
    print("enumerator in float64 without evidence; '+' = stopped by the time limit.\n")
    print("| net                    | regions | pairs | enum r/s | find r/s | check r/s | find/check | float regions | float r/s | exact/float | peak memory |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for widths, seed in NETS_2D:
        name = f"2-D {'-'.join(map(str, widths)) if len(set(widths)) > 1 or len(widths) < 3 else f'{widths[0]}x{len(widths)}'} s{seed}"
        if args.only and args.only not in name:
            continue
        if args.quick and len(widths) == 6:
            continue
        run(name, mlp(2, rn.random_net(widths, seed)), box([-1, -1], [1, 1]))
    for widths, seed in NETS_4D:
        name = f"4-D {'-'.join(map(str, widths))} s{seed}"
        if args.only and args.only not in name:
            continue
        if args.quick and seed == 8:
            continue
        run(name, mlp(4, rn.random_net(widths, seed, n_in=4)), box([-1] * 4, [1] * 4), time_limit=120, memory=False)
    for k in (3, 4):
        name = f"ACAS Xu 1_1 prop {k}"
        if args.only and args.only not in name:
            continue
        net = load_model(acas(1, 1))
        prop = load_vnnlib(acas_prop(k), 5, 5)
        run(name, prop.restrict(net), prop.domain, time_limit=args.acas_limit, memory=False)


if __name__ == "__main__":
    main()
